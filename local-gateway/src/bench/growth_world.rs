//! The data of the growth benchmark and of its test (`tests/e2e/growth.rs`): a company,
//! its admin and a registered customer made the way users make them (Cognito, the API),
//! then a size along each [`Dimension`] seeded directly (`Store::seed`: `BatchWriteItem`
//! of the items the app itself writes, built by the store's own item constructors), so
//! that 100,000 items take seconds to a minute instead of 100,000 API calls. And the
//! routes that read each dimension, with the request each is measured with.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use anyhow::{Context, Result};
use portal_shared::domain::{
    AccessStatus, ContactId, DocumentId, DocumentStatus, FolderId, ItemRef, OrganizationId, Role, TenantId,
    TenantStatus, UserSub,
};
use portal_shared::model::{
    Action, ActivityEvent, Actor, Contact, CustomerLink, Document, Folder, Language, Organization, Share, Tenant,
    UploaderKind,
};
use portal_shared::store::{MAX_FOLDER_DEPTH, MAX_LINKED_COMPANIES, Seed, SeededKey, Store};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use xtask::client::ApiClient;
use xtask::provision::Stack;
use xtask::seed::{Seeder, registered_customer};

pub const STAFF_PASSWORD: &str = "Growth-Passw0rd!1";
pub const CUSTOMER_PASSWORD: &str = "Growth-Customer-Passw0rd!2";

/// What grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    /// Documents in the company's drive (its root).
    Documents,
    /// Contacts of the company.
    Contacts,
    /// Contacts of one organization.
    Members,
    /// Activity entries about one contact and one document (downloads).
    Trail,
    /// Documents one customer sent back.
    Submissions,
    /// Documents shared one by one with one customer.
    SharedDocuments,
    /// Folders shared with one customer, one document in each.
    SharedFolders,
    /// Documents in one folder shared with one customer.
    FolderSize,
    /// Companies one customer is a customer of, each sharing one document.
    Companies,
    /// Nested folders above one document, the top one shared with the customer.
    Depth,
}

impl Dimension {
    pub const ALL: [Self; 10] = [
        Self::Documents,
        Self::Contacts,
        Self::Members,
        Self::Trail,
        Self::Submissions,
        Self::SharedDocuments,
        Self::SharedFolders,
        Self::FolderSize,
        Self::Companies,
        Self::Depth,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Documents => "documents",
            Self::Contacts => "contacts",
            Self::Members => "members",
            Self::Trail => "trail",
            Self::Submissions => "submissions",
            Self::SharedDocuments => "shared-documents",
            Self::SharedFolders => "shared-folders",
            Self::FolderSize => "folder-size",
            Self::Companies => "companies",
            Self::Depth => "depth",
        }
    }

    /// What one unit of the dimension is, for the docs.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::Documents => "documents in the company's drive (at its root)",
            Self::Contacts => "contacts of the company",
            Self::Members => "contacts in one organization",
            Self::Trail => "activity entries (downloads) about one contact and one document",
            Self::Submissions => "documents one customer sent back to the company",
            Self::SharedDocuments => "documents shared one by one with one customer",
            Self::SharedFolders => "folders shared with one customer, one document in each",
            Self::FolderSize => "documents in one folder shared with one customer",
            Self::Companies => "companies one customer account is linked to, each sharing one document with it",
            Self::Depth => "nested folders above one document, the top one shared with the customer (at most 20)",
        }
    }

    /// The sizes measured: 10, 100, … up to `max`; folder depth up to its maximum (20), and
    /// companies up to an account's (50).
    pub fn sizes(self, max: usize) -> Vec<usize> {
        let sizes: Vec<usize> = match self {
            Self::Depth => vec![1, 5, 10, MAX_FOLDER_DEPTH],
            // One account is linked to at most 50 companies (registration refuses more).
            Self::Companies => vec![1, 10, MAX_LINKED_COMPANIES],
            _ => vec![10, 100, 1_000, 10_000, 100_000],
        };
        sizes.into_iter().filter(|&n| n <= max).collect()
    }

    /// Whether the customer sees what this dimension seeds (their listing must converge
    /// to it before the routes are measured).
    pub fn visible_to_customer(self) -> bool {
        matches!(self, Self::SharedDocuments | Self::SharedFolders | Self::FolderSize | Self::Companies | Self::Depth)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How much of each dimension a world holds (absent: none).
#[derive(Debug, Clone, Default)]
pub struct Shape(pub BTreeMap<Dimension, usize>);

impl Shape {
    /// `size` along one dimension, nothing along the others.
    pub fn one(dimension: Dimension, size: usize) -> Self {
        Self(BTreeMap::from([(dimension, size)]))
    }

    /// `size` along every dimension (depth capped at its maximum).
    pub fn every(size: usize) -> Self {
        Self(
            Dimension::ALL
                .iter()
                .map(|&d| (d, if d == Dimension::Depth { size.min(MAX_FOLDER_DEPTH) } else { size }))
                .collect(),
        )
    }

    /// The same with `size` along `dimension`.
    pub fn with(mut self, dimension: Dimension, size: usize) -> Self {
        self.0.insert(dimension, size);
        self
    }

    fn of(&self, dimension: Dimension) -> usize {
        self.0.get(&dimension).copied().unwrap_or(0)
    }
}

/// A company with a customer and the seeded data, and the ids the routes are asked about.
pub struct World {
    pub tenant_id: TenantId,
    pub staff: ApiClient,
    pub customer: ApiClient,
    /// The registered customer's contact.
    pub contact_id: ContactId,
    /// A document at the drive's root (single-item routes).
    pub base_document: DocumentId,
    pub organization: Option<OrganizationId>,
    /// The document the trail is about.
    pub trail_document: Option<DocumentId>,
    /// One of the documents shared one by one.
    pub shared_document: Option<DocumentId>,
    /// One of the shared folders.
    pub shared_folder: Option<FolderId>,
    /// The shared folder of `folder-size`, and one document in it.
    pub big_folder: Option<(FolderId, DocumentId)>,
    /// The deepest folder of `depth`, and the document in it.
    pub deep: Option<(FolderId, DocumentId)>,
    /// Another company's shared document (`companies`).
    pub other_company: Option<(TenantId, DocumentId)>,
    /// Every document the customer should see, across companies.
    pub visible: BTreeSet<DocumentId>,
    /// The visible documents' names, to name what the listing misses.
    visible_names: std::collections::BTreeMap<DocumentId, String>,
    /// Items written by the seeding (seeded count, for the report).
    pub seeded_items: usize,
    keys: Vec<SeededKey>,
    store: Store,
    /// The table, read directly to count the customer's view entries while they are built.
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
}

/// Builds seeds with one clock: later items are a second newer, as if made one by one.
struct Maker {
    tenant: TenantId,
    staff: UserSub,
    staff_email: portal_shared::domain::Email,
    start: OffsetDateTime,
    tick: i64,
}

impl Maker {
    fn at(&mut self) -> OffsetDateTime {
        self.tick += 1;
        self.start + Duration::seconds(self.tick)
    }

    fn document(&mut self, name: String, folder: Option<FolderId>) -> Result<Document> {
        let at = self.at();
        Ok(Document {
            id: DocumentId::new(),
            tenant_id: self.tenant,
            name: name.parse()?,
            content_type: "application/pdf".parse()?,
            size: 1024,
            status: DocumentStatus::Available,
            uploaded_by: self.staff.clone(),
            uploader_kind: UploaderKind::Staff,
            folder_id: folder,
            contact_id: None,
            seen_at: None,
            created_at: at,
            available_at: Some(at),
            rejected_reason: None,
            version_id: None,
        })
    }

    fn folder(&mut self, name: String, parent: Option<FolderId>) -> Result<Folder> {
        Ok(Folder {
            id: FolderId::new(),
            name: name.parse()?,
            parent_id: parent,
            created_at: self.at(),
            created_by: self.staff.clone(),
        })
    }

    fn share(&mut self, contact: ContactId, item: ItemRef) -> Share {
        Share { contact_id: contact, item, shared_by: self.staff.clone(), shared_at: self.at(), available_until: None }
    }

    fn contact(&mut self, email: String, organization: Option<OrganizationId>) -> Result<Contact> {
        Ok(Contact {
            id: ContactId::new(),
            name: email.split('@').next().unwrap_or("contact").parse()?,
            email: email.parse()?,
            access_status: AccessStatus::None,
            organization_id: organization,
            access_changed_at: None,
            customer_sub: None,
            language: Language::default(),
            created_at: self.at(),
            created_by: self.staff.clone(),
        })
    }

    fn actor(&self) -> Actor {
        Actor { kind: UploaderKind::Staff, sub: self.staff.clone(), email: Some(self.staff_email.clone()) }
    }
}

impl World {
    /// A fresh company (its own partition) holding `shape`, seeded through the store of
    /// `stack`; its staff and customer signed in through the gateway at `api_url`.
    pub async fn build(stack: &Stack, api_url: &str, shape: &Shape) -> Result<Self> {
        let seeder = Seeder::new(stack).await;
        let store = seeder.store().clone();
        let short = &uuid::Uuid::new_v4().simple().to_string()[..10];
        let slug = format!("growth-{short}");
        let tenant = seeder.tenant("Growth Company", &slug).await?;
        let staff_email = format!("admin@{slug}.example");
        let account = seeder.staff(tenant.id, &staff_email, Role::Admin, STAFF_PASSWORD).await?;
        let staff = ApiClient::staff_login(api_url, &staff_email, STAFF_PASSWORD).await?;
        let customer_email = format!("customer@{slug}.example");
        let (customer, contact) =
            registered_customer(api_url, &stack.endpoint, &staff, &customer_email, CUSTOMER_PASSWORD).await?;
        let contact_id: ContactId = contact.parse().context("the customer's contact id")?;
        let registered = store.contact(tenant.id, contact_id).await?.context("the customer's contact")?;
        let customer_sub = registered.customer_sub.clone().context("the registered contact has no account")?;

        let mut m = Maker {
            tenant: tenant.id,
            staff: account.member.sub.clone(),
            staff_email: account.member.email.clone(),
            start: OffsetDateTime::now_utc() - Duration::days(400),
            tick: 0,
        };
        let t = tenant.id;
        let mut seeds = Vec::new();
        let mut visible = BTreeSet::new();
        let mut visible_names = std::collections::BTreeMap::new();
        let base = m.document("base.pdf".into(), None)?;
        let base_document = base.id;
        seeds.push(Seed::Document(base));

        for n in 0..shape.of(Dimension::Documents) {
            seeds.push(Seed::Document(m.document(format!("document-{n}.pdf"), None)?));
        }
        for n in 0..shape.of(Dimension::Contacts) {
            seeds.push(Seed::Contact(t, m.contact(format!("contact-{n}@{slug}.example"), None)?));
        }
        let mut organization = None;
        if shape.of(Dimension::Members) > 0 {
            let org = Organization {
                id: OrganizationId::new(),
                name: "Growth Organization".parse()?,
                created_at: m.at(),
                created_by: m.staff.clone(),
            };
            for n in 0..shape.of(Dimension::Members) {
                seeds.push(Seed::Contact(t, m.contact(format!("member-{n}@{slug}.example"), Some(org.id))?));
            }
            organization = Some(org.id);
            seeds.push(Seed::Organization(t, org));
        }
        let mut trail_document = None;
        if shape.of(Dimension::Trail) > 0 {
            let document = m.document("trail.pdf".into(), None)?;
            for _ in 0..shape.of(Dimension::Trail) {
                let at = m.at();
                let event = ActivityEvent::new(Action::DocumentDownloaded, m.actor(), at)
                    .contact(contact_id)
                    .item(ItemRef::Document(document.id), "trail.pdf");
                seeds.push(Seed::Event(t, event));
            }
            trail_document = Some(document.id);
            seeds.push(Seed::Document(document));
        }
        for n in 0..shape.of(Dimension::Submissions) {
            let mut document = m.document(format!("submission-{n}.pdf"), None)?;
            document.contact_id = Some(contact_id);
            document.uploader_kind = UploaderKind::Customer;
            document.uploaded_by = customer_sub.clone();
            seeds.push(Seed::Document(document));
        }
        let mut shared_document = None;
        for n in 0..shape.of(Dimension::SharedDocuments) {
            let document = m.document(format!("shared-{n}.pdf"), None)?;
            seeds.push(Seed::Share(t, m.share(contact_id, ItemRef::Document(document.id))));
            visible.insert(document.id);
            visible_names.insert(document.id, document.name.to_string());
            shared_document = Some(document.id);
            seeds.push(Seed::Document(document));
        }
        let mut shared_folder = None;
        for n in 0..shape.of(Dimension::SharedFolders) {
            let folder = m.folder(format!("Folder {n}"), None)?;
            let document = m.document(format!("in-folder-{n}.pdf"), Some(folder.id))?;
            seeds.push(Seed::Share(t, m.share(contact_id, ItemRef::Folder(folder.id))));
            visible.insert(document.id);
            visible_names.insert(document.id, document.name.to_string());
            shared_folder = Some(folder.id);
            seeds.push(Seed::Document(document));
            seeds.push(Seed::Folder(t, folder));
        }
        let mut big_folder = None;
        if shape.of(Dimension::FolderSize) > 0 {
            let folder = m.folder("Big folder".into(), None)?;
            let mut one = None;
            for n in 0..shape.of(Dimension::FolderSize) {
                let document = m.document(format!("big-{n}.pdf"), Some(folder.id))?;
                visible.insert(document.id);
                visible_names.insert(document.id, document.name.to_string());
                one = Some(document.id);
                seeds.push(Seed::Document(document));
            }
            seeds.push(Seed::Share(t, m.share(contact_id, ItemRef::Folder(folder.id))));
            big_folder = one.map(|d| (folder.id, d));
            seeds.push(Seed::Folder(t, folder));
        }
        let mut deep = None;
        let depth = shape.of(Dimension::Depth).min(MAX_FOLDER_DEPTH);
        if depth > 0 {
            let mut parent = None;
            for level in 0..depth {
                let folder = m.folder(format!("Level {level}"), parent)?;
                if level == 0 {
                    seeds.push(Seed::Share(t, m.share(contact_id, ItemRef::Folder(folder.id))));
                }
                parent = Some(folder.id);
                seeds.push(Seed::Folder(t, folder));
            }
            let document = m.document("deep.pdf".into(), parent)?;
            visible.insert(document.id);
            visible_names.insert(document.id, document.name.to_string());
            deep = parent.map(|f| (f, document.id));
            seeds.push(Seed::Document(document));
        }
        // The other companies (the customer's own company is the first).
        let mut other_company = None;
        for n in 1..shape.of(Dimension::Companies) {
            let other = Tenant {
                id: TenantId::new(),
                name: format!("Growth Company {n}").parse()?,
                slug: format!("{slug}-{n}").parse()?,
                accent_color: None,
                logo: None,
                notify_access_closed: false,
                status: TenantStatus::Active,
                created_at: m.at(),
            };
            let mut contact = m.contact(customer_email.clone(), None)?;
            contact.access_status = AccessStatus::Active;
            contact.access_changed_at = Some(m.at());
            contact.customer_sub = Some(customer_sub.clone());
            let mut other_maker = Maker { tenant: other.id, ..m };
            let document = other_maker.document(format!("company-{n}.pdf"), None)?;
            let share = other_maker.share(contact.id, ItemRef::Document(document.id));
            m = Maker { tenant: t, ..other_maker };
            let link = CustomerLink { tenant_id: other.id, contact_id: contact.id, linked_at: m.at() };
            visible.insert(document.id);
            visible_names.insert(document.id, document.name.to_string());
            other_company = Some((other.id, document.id));
            seeds.push(Seed::CustomerLink(customer_sub.clone(), link));
            seeds.push(Seed::Share(other.id, share));
            seeds.push(Seed::Document(document));
            seeds.push(Seed::Contact(other.id, contact));
            seeds.push(Seed::Tenant(other));
        }
        // What is shared after what it shares, as the app makes them (a folder before what
        // it holds, a share after both): the stream delivers the second write after the
        // first, and the view index sees each share with its whole subtree in place.
        let (shares, things): (Vec<Seed>, Vec<Seed>) =
            seeds.into_iter().partition(|seed| matches!(seed, Seed::Share(..) | Seed::CustomerLink(..)));
        let mut keys = store.seed(&things).await.context("seeding")?;
        keys.extend(store.seed(&shares).await.context("seeding the shares")?);
        Ok(Self {
            tenant_id: t,
            staff,
            customer,
            contact_id,
            base_document,
            organization,
            trail_document,
            shared_document,
            shared_folder,
            big_folder,
            deep,
            other_company,
            visible,
            visible_names,
            seeded_items: keys.len(),
            keys,
            store,
            dynamodb: aws_sdk_dynamodb::Client::new(&stack.sdk_config().await),
            table: stack.table.clone(),
        })
    }

    /// Deletes what the seeding wrote (the emulator answers a query by walking the
    /// partition, an index query by walking the table: left behind, a size would slow
    /// every later one down).
    pub async fn clear(&self) -> Result<()> {
        Ok(self.store.unseed(&self.keys).await?)
    }

    /// The routes that read `dimension`, each with its request (`limit` items a page
    /// for the paged ones).
    pub fn routes(&self, dimension: Dimension, limit: u32) -> Vec<Case> {
        use Caller::{Customer, Staff};
        let (t, c) = (self.tenant_id, self.contact_id);
        let mut cases = Vec::new();
        let mut add = |route: &'static str, path: String, caller: Caller, paged: bool| {
            cases.push(Case { route, path, caller, paged });
        };
        let page = format!("limit={limit}");
        let customer_download = |tenant: TenantId, document: DocumentId| {
            format!("/portal/companies/{tenant}/documents/{document}/download")
        };
        const DOWNLOAD: &str = "GET /portal/companies/{tenantId}/documents/{documentId}/download";
        match dimension {
            Dimension::Documents => {
                add("GET /documents", format!("/documents?{page}"), Staff, true);
                add("GET /drive", format!("/drive?{page}"), Staff, true);
                add("GET /documents/{documentId}", format!("/documents/{}", self.base_document), Staff, false);
            }
            Dimension::Contacts => {
                add("GET /contacts", format!("/contacts?{page}"), Staff, true);
                add("GET /contacts/{contactId}", format!("/contacts/{c}"), Staff, false);
            }
            Dimension::Members => {
                if let Some(org) = self.organization {
                    add(
                        "GET /organizations/{organizationId}/contacts",
                        format!("/organizations/{org}/contacts?{page}"),
                        Staff,
                        true,
                    );
                    add("GET /organizations/{organizationId}", format!("/organizations/{org}"), Staff, false);
                }
                add("GET /organizations", format!("/organizations?{page}"), Staff, true);
            }
            Dimension::Trail => {
                add("GET /contacts/{contactId}/activity", format!("/contacts/{c}/activity?{page}"), Staff, true);
                if let Some(d) = self.trail_document {
                    add("GET /documents/{documentId}/activity", format!("/documents/{d}/activity?{page}"), Staff, true);
                }
            }
            Dimension::Submissions => {
                add("GET /submissions", format!("/submissions?{page}"), Staff, true);
                add("GET /contacts/{contactId}/submissions", format!("/contacts/{c}/submissions?{page}"), Staff, true);
                add("GET /portal/submissions", format!("/portal/submissions?{page}"), Customer, true);
            }
            Dimension::SharedDocuments => {
                add("GET /portal/shares", format!("/portal/shares?{page}"), Customer, true);
                add("GET /contacts/{contactId}/shares", format!("/contacts/{c}/shares?{page}"), Staff, true);
                if let Some(d) = self.shared_document {
                    add("GET /documents/{documentId}/shares", format!("/documents/{d}/shares?{page}"), Staff, true);
                    add(DOWNLOAD, customer_download(t, d), Customer, false);
                }
            }
            Dimension::SharedFolders => {
                add("GET /portal/shares", format!("/portal/shares?{page}"), Customer, true);
                add("GET /contacts/{contactId}/shares", format!("/contacts/{c}/shares?{page}"), Staff, true);
                if let Some(f) = self.shared_folder {
                    add("GET /folders/{folderId}/shares", format!("/folders/{f}/shares?{page}"), Staff, true);
                }
            }
            Dimension::FolderSize => {
                add("GET /portal/shares", format!("/portal/shares?{page}"), Customer, true);
                if let Some((f, d)) = self.big_folder {
                    add("GET /folders/{folderId}/items", format!("/folders/{f}/items?{page}"), Staff, true);
                    add("GET /folders/{folderId}/shares", format!("/folders/{f}/shares?{page}"), Staff, true);
                    add(DOWNLOAD, customer_download(t, d), Customer, false);
                }
            }
            Dimension::Companies => {
                add("GET /portal/me", "/portal/me".into(), Customer, false);
                add("GET /portal/shares", format!("/portal/shares?{page}"), Customer, true);
                add("GET /portal/submissions", format!("/portal/submissions?{page}"), Customer, true);
                if let Some((other, d)) = self.other_company {
                    add(DOWNLOAD, customer_download(other, d), Customer, false);
                }
            }
            Dimension::Depth => {
                add("GET /portal/shares", format!("/portal/shares?{page}"), Customer, true);
                if let Some((f, d)) = self.deep {
                    add("GET /folders/{folderId}", format!("/folders/{f}"), Staff, false);
                    add("GET /folders/{folderId}/items", format!("/folders/{f}/items?{page}"), Staff, true);
                    add(DOWNLOAD, customer_download(t, d), Customer, false);
                }
            }
        }
        cases
    }

    /// The bearer token of `caller`.
    pub fn token(&self, caller: Caller) -> Option<&str> {
        match caller {
            Caller::Staff => self.staff.token(),
            Caller::Customer => self.customer.token(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Caller {
    Staff,
    Customer,
}

/// One request of a route, as the growth benchmark and test make it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The route table's key.
    pub route: &'static str,
    pub path: String,
    pub caller: Caller,
    /// A listing read one page at a time: its requests per page must not grow.
    pub paged: bool,
}

/// The customer's listing read to its end.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageThrough {
    pub pages: usize,
    pub documents: usize,
    /// Documents listed more than once.
    pub duplicates: usize,
    /// Documents that should be listed and were not.
    pub missing: usize,
    /// Documents listed that should not be.
    pub unexpected: usize,
}

impl PageThrough {
    pub fn exactly_once(&self) -> bool {
        self.duplicates == 0 && self.missing == 0 && self.unexpected == 0
    }
}

/// A listed document's id: `{document: {id}}` (the customer's listing) or `{id}`.
fn listed_id(item: &serde_json::Value) -> Option<&str> {
    item["document"]["id"].as_str().or_else(|| item["id"].as_str())
}

impl World {
    /// Waits (bounded) until the customer's listing shows every seeded visible document:
    /// what the customer sees may be an index kept up to date asynchronously. Returns how
    /// long that took.
    pub async fn wait_until_visible(&self, timeout: std::time::Duration) -> Result<std::time::Duration> {
        let started = std::time::Instant::now();
        // Read the listing (every page) only once the index holds nearly all of it: on moto's
        // one core, paging through thousands of entries twice a second competed with the very
        // indexing it waited for (1,000 shares: 432 indexed after 88 s). Each check is followed
        // by a pause three times as long, so the waiting never takes more than a quarter of it.
        let nearly = self.visible.len().saturating_sub(MAX_LINKED_COMPANIES);
        loop {
            let checking = std::time::Instant::now();
            let seen = if self.indexed_here().await? >= nearly { Some(self.visible_count().await?) } else { None };
            if seen == Some(self.visible.len()) {
                return Ok(started.elapsed());
            }
            if started.elapsed() >= timeout {
                let listed = self.listed_ids().await?;
                let missing: Vec<&str> = self
                    .visible_names
                    .iter()
                    .filter(|(id, _)| !listed.contains(&id.to_string()))
                    .map(|(_, name)| name.as_str())
                    .take(20)
                    .collect();
                anyhow::bail!(
                    "the customer's listing shows {} documents, not {}, after {:?}; missing (first 20): {missing:?}",
                    listed.len(),
                    self.visible.len(),
                    started.elapsed()
                );
            }
            let pause = (checking.elapsed() * 3).max(std::time::Duration::from_millis(500));
            tokio::time::sleep(pause).await;
        }
    }

    /// The entries of the customer's view index at this world's own company (one `Query`
    /// `Select=COUNT` per page of its GSI1 partition).
    async fn indexed_here(&self) -> Result<usize> {
        let partition = portal_shared::keys::view_gsi_pk(self.tenant_id, self.contact_id);
        let (mut count, mut start) = (0, None);
        loop {
            let page = self
                .dynamodb
                .query()
                .table_name(&self.table)
                .index_name("GSI1")
                .key_condition_expression("GSI1PK = :pk")
                .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(partition.clone()))
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("counting the customer's view entries")?;
            count += page.count.max(0) as usize;
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    /// The ids the customer's listing shows (bounded, like `page_through`).
    async fn listed_ids(&self) -> Result<BTreeSet<String>> {
        let mut listed = BTreeSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..self.visible.len() / PAGE_THROUGH_LIMIT as usize + 10 {
            let path = match &cursor {
                Some(c) => format!("/portal/shares?limit={PAGE_THROUGH_LIMIT}&cursor={c}"),
                None => format!("/portal/shares?limit={PAGE_THROUGH_LIMIT}"),
            };
            let page = self.customer.get(&path).await?.expect(200)?;
            for item in page["items"].as_array().into_iter().flatten() {
                listed.insert(
                    listed_id(item).with_context(|| format!("a listed item without an id: {item}"))?.to_owned(),
                );
            }
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        Ok(listed)
    }

    /// How many documents the customer's listing says it holds (`total`), or counts.
    async fn visible_count(&self) -> Result<usize> {
        let page = self.customer.get("/portal/shares?limit=1").await?.expect(200)?;
        match page["total"].as_u64() {
            Some(total) => Ok(total as usize),
            None => Ok(self.page_through(PAGE_THROUGH_LIMIT).await?.documents),
        }
    }

    /// Reads the customer's listing page by page to its end (bounded: a few pages more
    /// than the visible documents need) and checks each visible document appears once.
    pub async fn page_through(&self, limit: u32) -> Result<PageThrough> {
        let bound = self.visible.len() / limit as usize + 10;
        let mut seen = std::collections::HashMap::<String, usize>::new();
        let mut result = PageThrough::default();
        let mut cursor: Option<String> = None;
        loop {
            anyhow::ensure!(result.pages < bound, "the customer's listing has more than {bound} pages of {limit}");
            let path = match &cursor {
                Some(c) => format!("/portal/shares?limit={limit}&cursor={c}"),
                None => format!("/portal/shares?limit={limit}"),
            };
            let page = self.customer.get(&path).await?.expect(200)?;
            result.pages += 1;
            for item in page["items"].as_array().into_iter().flatten() {
                let id = listed_id(item).with_context(|| format!("a listed item without an id: {item}"))?;
                *seen.entry(id.to_owned()).or_default() += 1;
            }
            cursor = page["nextCursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        let expected: BTreeSet<String> = self.visible.iter().map(ToString::to_string).collect();
        result.documents = seen.len();
        result.duplicates = seen.values().filter(|&&n| n > 1).count();
        result.missing = expected.iter().filter(|id| !seen.contains_key(*id)).count();
        result.unexpected = seen.keys().filter(|id| !expected.contains(*id)).count();
        Ok(result)
    }
}

/// The page size the customer's listing is read through with.
pub const PAGE_THROUGH_LIMIT: u32 = portal_shared::pagination::MAX_LIMIT as u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_go_by_tens_up_to_the_maximum_and_depth_to_its_own() {
        assert_eq!(Dimension::Documents.sizes(100_000), [10, 100, 1_000, 10_000, 100_000]);
        assert_eq!(Dimension::Contacts.sizes(1_000), [10, 100, 1_000]);
        assert_eq!(Dimension::Depth.sizes(100_000), [1, 5, 10, MAX_FOLDER_DEPTH]);
        assert_eq!(Dimension::Depth.sizes(10), [1, 5, 10]);
        assert_eq!(Dimension::Companies.sizes(100_000), [1, 10, MAX_LINKED_COMPANIES]);
    }

    #[test]
    fn a_shape_of_every_dimension_caps_the_depth() {
        let shape = Shape::every(60).with(Dimension::Companies, 2);
        assert_eq!(shape.of(Dimension::Documents), 60);
        assert_eq!(shape.of(Dimension::Depth), MAX_FOLDER_DEPTH);
        assert_eq!(shape.of(Dimension::Companies), 2);
        assert_eq!(Shape::one(Dimension::Trail, 10).of(Dimension::Documents), 0);
    }

    #[test]
    fn a_listed_document_is_read_from_either_shape() {
        assert_eq!(listed_id(&serde_json::json!({ "document": { "id": "a" } })), Some("a"));
        assert_eq!(listed_id(&serde_json::json!({ "id": "b" })), Some("b"));
        assert_eq!(listed_id(&serde_json::json!({})), None);
    }
}

//! The `customer` function: a customer's personal space. Everything, and only what, is
//! currently shared with them by every company that gives them active access — single
//! documents and shared folders with their current contents — searchable, filterable,
//! sortable and paged; downloads of the originals; uploads back into their submissions
//! at a company (deletable until staff have seen them); and their email preferences.
//!
//! Access is resolved on every request (`Customer::resolve`), so a closed access or an
//! expired share makes items vanish, and their downloads refuse, at once.

use std::collections::{HashMap, HashSet};

use aws_config::SdkConfig;
use base64::Engine;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError, TransferLimits};
use portal_shared::domain::{
    AccentColor, ContactId, ContentType, DisplayName, DocumentId, DocumentStatus, Email, FileName, FolderId, ItemRef,
    Slug, TenantId, UserSub,
};
use portal_shared::function::HttpFunction;
use portal_shared::http::{json_body, no_content, path_param, query_param, respond, route_key, unknown_route};
use portal_shared::identity::{Company, Customer};
use portal_shared::model::{Action, ActivityEvent, Actor, Document, DriveEntry, Language, Preferences, UploaderKind};
use portal_shared::pagination::merge::{MergeRequest, StreamRead, merge_page};
use portal_shared::pagination::{Page, PageRequest};
use portal_shared::storage::Storage;
use portal_shared::store::{MAX_FOLDER_DEPTH, Store};
use portal_shared::transfers::{DownloadTicket, UploadTicket, begin_upload};
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). A download names the document's pinned version, which S3
/// authorizes as GetObjectVersion.
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "s3:PutObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
];

pub struct App {
    store: Store,
    storage: Storage,
    limits: TransferLimits,
}

/// A company as its customers see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyView {
    pub tenant_id: TenantId,
    pub name: DisplayName,
    pub slug: Slug,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<AccentColor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_path: Option<String>,
}

impl From<&Company> for CompanyView {
    fn from(company: &Company) -> Self {
        let tenant = &company.tenant;
        Self {
            tenant_id: tenant.id,
            name: tenant.name.clone(),
            slug: tenant.slug.clone(),
            accent_color: tenant.accent_color.clone(),
            logo_path: tenant.logo_path(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub sub: UserSub,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub companies: Vec<CompanyView>,
}

/// A shared document as a customer sees it (no staff-internal fields).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedDocument {
    pub id: DocumentId,
    pub name: FileName,
    pub content_type: ContentType,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FolderRef {
    pub id: FolderId,
    pub name: FileName,
}

/// One incoming item of the personal space.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Incoming {
    pub document: SharedDocument,
    pub company: CompanyView,
    /// The folder holding it, when it came with a shared folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder: Option<FolderRef>,
    /// Who shared it, as customers see staff: the member's name, else the company's name.
    /// Never a staff member's email (their sign-in name).
    pub shared_by: DisplayName,
    #[serde(with = "time::serde::rfc3339")]
    pub shared_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub available_until: Option<OffsetDateTime>,
    /// Every folder above it up to the shared one (for the folder filter).
    #[serde(skip)]
    pub folder_ids: Vec<FolderId>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingPage {
    pub items: Vec<Incoming>,
    pub total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UploadRequest {
    file_name: FileName,
    content_type: ContentType,
    size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PreferencesInput {
    email_notifications: bool,
    #[serde(default)]
    muted_companies: Vec<TenantId>,
    #[serde(default)]
    language: Language,
}

/// How the personal space is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Date,
    Size,
}

/// The search, filters, order and page of a personal-space request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub text: Option<String>,
    pub company: Option<TenantId>,
    pub folder: Option<FolderId>,
    /// A media type (`application/pdf`) or a family (`image`).
    pub kind: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub sort: Sort,
    pub descending: bool,
    pub limit: usize,
    pub offset: usize,
}

fn parse_instant(name: &str, raw: &str, end_of_day: bool) -> Result<OffsetDateTime, ApiError> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(at) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Ok(at);
    }
    let bad = || ApiError::Invalid(format!("{name}: must be a date (2026-01-31) or an RFC 3339 instant"));
    let parts: Vec<&str> = raw.split('-').collect();
    let [year, month, day] = parts.as_slice() else { return Err(bad()) };
    let (year, month, day): (i32, u8, u8) =
        (year.parse().map_err(|_| bad())?, month.parse().map_err(|_| bad())?, day.parse().map_err(|_| bad())?);
    let month = time::Month::try_from(month).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    let time = if end_of_day { time::Time::from_hms(23, 59, 59).expect("valid time") } else { time::Time::MIDNIGHT };
    Ok(date.with_time(time).assume_utc())
}

impl Query {
    /// Parses the query string; every parameter is optional.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let text = get("q").map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        if text.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::Invalid("q: must be at most 200 characters".into()));
        }
        let company = get("company")
            .map(|v| v.parse().map_err(|_| ApiError::Invalid("company: not a valid id".into())))
            .transpose()?;
        let folder = get("folder")
            .map(|v| v.parse().map_err(|_| ApiError::Invalid("folder: not a valid id".into())))
            .transpose()?;
        let kind = get("type").map(|t| t.trim().to_ascii_lowercase()).filter(|t| !t.is_empty());
        if let Some(kind) = &kind {
            let valid = kind.len() <= 130
                && kind.split('/').count() <= 2
                && kind.chars().all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c));
            if !valid {
                return Err(ApiError::Invalid("type: must be a media type or a family like `image`".into()));
            }
        }
        let from = get("from").map(|v| parse_instant("from", &v, false)).transpose()?;
        let to = get("to").map(|v| parse_instant("to", &v, true)).transpose()?;
        let sort = match get("sort").as_deref() {
            None | Some("date") => Sort::Date,
            Some("name") => Sort::Name,
            Some("size") => Sort::Size,
            Some(_) => return Err(ApiError::Invalid("sort: must be name, date or size".into())),
        };
        let descending = match get("order").as_deref() {
            None => sort == Sort::Date,
            Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(ApiError::Invalid("order: must be asc or desc".into())),
        };
        let page = PageRequest::parse(get("limit").as_deref(), None)?;
        let offset = match get("cursor") {
            None => 0,
            Some(cursor) => decode_offset(&cursor)?,
        };
        Ok(Self { text, company, folder, kind, from, to, sort, descending, limit: page.limit as usize, offset })
    }

    pub fn matches(&self, item: &Incoming) -> bool {
        let document = &item.document;
        self.text.as_ref().is_none_or(|q| document.name.as_str().to_lowercase().contains(q))
            && self.company.is_none_or(|company| item.company.tenant_id == company)
            && self.folder.is_none_or(|folder| item.folder_ids.contains(&folder))
            && self.kind.as_ref().is_none_or(|kind| {
                let content_type = document.content_type.as_str();
                content_type == kind || content_type.split('/').next() == Some(kind.as_str())
            })
            && self.from.is_none_or(|from| item.shared_at >= from)
            && self.to.is_none_or(|to| item.shared_at <= to)
    }

    /// Filters, sorts and cuts one page out of everything visible.
    pub fn apply(&self, mut items: Vec<Incoming>) -> IncomingPage {
        items.retain(|item| self.matches(item));
        items.sort_by(|a, b| {
            let order = match self.sort {
                Sort::Name => a.document.name.as_str().to_lowercase().cmp(&b.document.name.as_str().to_lowercase()),
                Sort::Date => a.shared_at.cmp(&b.shared_at),
                Sort::Size => a.document.size.cmp(&b.document.size),
            };
            // Ties keep a stable order (by id) so pages never overlap.
            let order = order.then_with(|| a.document.id.cmp(&b.document.id));
            if self.descending { order.reverse() } else { order }
        });
        let total = items.len();
        let end = (self.offset + self.limit).min(total);
        let next_cursor = (end < total).then(|| encode_offset(end));
        let items = items.into_iter().skip(self.offset).take(self.limit).collect();
        IncomingPage { items, total, next_cursor }
    }
}

fn encode_offset(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

fn decode_offset(cursor: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::Malformed("cursor is not valid".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix('o').and_then(|n| n.parse().ok()).filter(|n| *n <= 1_000_000).ok_or_else(bad)
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(config::TABLE_NAME)?,
            config::required(config::DOCUMENTS_BUCKET)?,
            TransferLimits::from_env()?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /portal/me") => respond(StatusCode::OK, self.me(&req).await),
            Some("GET /portal/shares") => respond(StatusCode::OK, self.shares(&req).await),
            Some("GET /portal/companies/{tenantId}/documents/{documentId}/download") => {
                respond(StatusCode::OK, self.download(&req).await)
            }
            Some("POST /portal/companies/{tenantId}/uploads") => respond(StatusCode::CREATED, self.upload(&req).await),
            Some("GET /portal/submissions") => respond(StatusCode::OK, self.submissions(&req).await),
            Some("DELETE /portal/companies/{tenantId}/submissions/{documentId}") => {
                no_content(self.delete_submission(&req).await)
            }
            Some("GET /portal/preferences") => respond(StatusCode::OK, self.preferences(&req).await),
            Some("PUT /portal/preferences") => respond(StatusCode::OK, self.set_preferences(&req).await),
            _ => unknown_route(&req).into_response(),
        }
    }
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>, bucket: impl Into<String>, limits: TransferLimits) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            storage: Storage::new(aws::s3_client(sdk), bucket),
            limits,
        }
    }

    async fn me(&self, req: &Request) -> Result<Me, ApiError> {
        let customer = Customer::resolve(&self.store, req).await?;
        Ok(Me {
            email: customer.companies.first().map(|company| company.contact.email.clone()),
            companies: customer.companies.iter().map(CompanyView::from).collect(),
            sub: customer.sub,
        })
    }

    async fn shares(&self, req: &Request) -> Result<IncomingPage, ApiError> {
        let query = Query::parse(|name| query_param(req, name))?;
        let customer = Customer::resolve(&self.store, req).await?;
        let mut everything = Vec::new();
        for company in &customer.companies {
            if query.company.is_none_or(|wanted| wanted == company.tenant.id) {
                everything.extend(self.visible(company).await?);
            }
        }
        Ok(query.apply(everything))
    }

    /// Everything currently shared with the customer at one company: shared documents that
    /// are available, and every available document in a shared folder or below it.
    async fn visible(&self, company: &Company) -> Result<Vec<Incoming>, ApiError> {
        let tenant = company.tenant.id;
        let now = OffsetDateTime::now_utc();
        let shares: Vec<_> = self
            .store
            .all_contact_shares(tenant, company.contact.id)
            .await?
            .into_iter()
            .filter(|share| share.is_current(now))
            .collect();
        let items: Vec<ItemRef> = shares.iter().map(|share| share.item).collect();
        let mut sharers: Vec<UserSub> = shares.iter().map(|share| share.shared_by.clone()).collect();
        sharers.sort();
        sharers.dedup();
        let (entries, staff) = self.store.drive_entries_and_staff(tenant, &items, &sharers).await?;
        // Who shared, by name (a member of this company only; a member who has left, or
        // has no name, shows as the company).
        let company_name = &company.tenant.name;
        let sharers: HashMap<UserSub, DisplayName> = staff
            .into_values()
            .filter(|member| member.tenant_id == tenant)
            .map(|m| (m.sub.clone(), m.shown_to_customers(company_name)))
            .collect();
        let view = CompanyView::from(company);
        let mut seen: HashSet<DocumentId> = HashSet::new();
        let mut visible = Vec::new();
        for share in &shares {
            let incoming = |document: &Document, folder: Option<FolderRef>, folder_ids: Vec<FolderId>| Incoming {
                document: SharedDocument {
                    id: document.id,
                    name: document.name.clone(),
                    content_type: document.content_type.clone(),
                    size: document.size,
                },
                company: view.clone(),
                folder,
                shared_by: sharers.get(&share.shared_by).cloned().unwrap_or_else(|| company_name.clone()),
                shared_at: share.shared_at,
                available_until: share.available_until,
                folder_ids,
            };
            match entries.get(&share.item) {
                Some(DriveEntry::Document(document)) if shareable(document) && seen.insert(document.id) => {
                    visible.push(incoming(document, None, Vec::new()));
                }
                Some(DriveEntry::Folder(root)) => {
                    // Walk the shared folder's subtree (depth-bounded; each folder once).
                    let mut stack = vec![(root.clone(), vec![root.id])];
                    let mut walked = HashSet::new();
                    while let Some((folder, path)) = stack.pop() {
                        if !walked.insert(folder.id) || path.len() > MAX_FOLDER_DEPTH {
                            continue;
                        }
                        for entry in self.store.all_drive_children(tenant, folder.id).await? {
                            match entry {
                                DriveEntry::Document(document) if shareable(&document) => {
                                    if seen.insert(document.id) {
                                        let folder_ref = FolderRef { id: folder.id, name: folder.name.clone() };
                                        visible.push(incoming(&document, Some(folder_ref), path.clone()));
                                    }
                                }
                                DriveEntry::Folder(child) => {
                                    let mut child_path = path.clone();
                                    child_path.push(child.id);
                                    stack.push((child, child_path));
                                }
                                DriveEntry::Document(_) => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(visible)
    }

    /// The document, if it is visible to the customer at the company (as in `visible`):
    /// available, not a submission, and shared with the contact itself or through one of
    /// its folders. Answered from the document up, one BatchGetItem (the item and the
    /// contact's share of it) per level, rather than by listing everything shared.
    async fn shared_document(&self, company: &Company, id: DocumentId) -> Result<Document, ApiError> {
        let (tenant, contact) = (company.tenant.id, company.contact.id);
        let now = OffsetDateTime::now_utc();
        let not_shared = || ApiError::Forbidden("this document is not shared with you".into());
        let (entry, share) = self.store.entry_and_share(tenant, contact, ItemRef::Document(id)).await?;
        let Some(DriveEntry::Document(document)) = entry else { return Err(not_shared()) };
        if !shareable(&document) {
            return Err(not_shared());
        }
        let mut shared = share.is_some_and(|share| share.is_current(now));
        // A shared folder shows what is up to MAX_FOLDER_DEPTH levels down (see `visible`).
        let mut folder = document.folder_id;
        let mut level = 0;
        while let Some(id) = folder.filter(|_| !shared && level < MAX_FOLDER_DEPTH) {
            let (entry, share) = self.store.entry_and_share(tenant, contact, ItemRef::Folder(id)).await?;
            let Some(DriveEntry::Folder(current)) = entry else { break };
            shared = share.is_some_and(|share| share.is_current(now));
            folder = current.parent_id;
            level += 1;
        }
        if shared { Ok(document) } else { Err(not_shared()) }
    }

    fn actor(customer: &Customer, company: &Company) -> Actor {
        Actor { kind: UploaderKind::Customer, sub: customer.sub.clone(), email: Some(company.contact.email.clone()) }
    }

    async fn download(&self, req: &Request) -> Result<DownloadTicket, ApiError> {
        let tenant: TenantId = path_param(req, "tenantId")?;
        let id: DocumentId = path_param(req, "documentId")?;
        let customer = Customer::resolve(&self.store, req).await?;
        let company = customer.company(tenant)?;
        let document = self.shared_document(company, id).await?;
        let download = self
            .storage
            .presign_download(
                portal_shared::object_key::ObjectKey::document(tenant, id),
                document.version_id.as_ref(),
                &document.name,
                &document.content_type,
                self.limits.download_url_ttl_seconds,
            )
            .await?;
        let event =
            ActivityEvent::new(Action::DocumentDownloaded, Self::actor(&customer, company), OffsetDateTime::now_utc())
                .contact(company.contact.id)
                .item(ItemRef::Document(id), document.name.as_str());
        self.store.record_event(tenant, &event).await?;
        tracing::info!(tenant = %tenant, document = %id, "customer download presigned");
        Ok(DownloadTicket { document_id: id, download })
    }

    /// A presigned upload into the customer's submissions at the company, with the same
    /// limits as staff uploads.
    async fn upload(&self, req: &Request) -> Result<UploadTicket, ApiError> {
        let tenant: TenantId = path_param(req, "tenantId")?;
        let customer = Customer::resolve(&self.store, req).await?;
        let company = customer.company(tenant)?;
        let input: UploadRequest = json_body(req)?;
        let document = Document {
            contact_id: Some(company.contact.id),
            ..Document::pending(
                tenant,
                input.file_name,
                input.content_type,
                input.size,
                customer.sub.clone(),
                UploaderKind::Customer,
            )
        };
        begin_upload(&self.store, &self.storage, &self.limits, document).await
    }

    /// The customer's own submissions, at every company (or one), newest first, a page at
    /// a time: one Query per company not yet exhausted, merged (`pagination::merge`). The
    /// partitions come from the resolved companies only; the cursor only says where in
    /// them to start, and which of them (by contact) are done.
    async fn submissions(&self, req: &Request) -> Result<Page<Document>, ApiError> {
        let wanted: Option<TenantId> = query_param(req, "company")
            .map(|v| v.parse().map_err(|_| ApiError::Invalid("company: not a valid id".into())))
            .transpose()?;
        let page: MergeRequest<ContactId, DocumentId> =
            MergeRequest::parse(query_param(req, "limit").as_deref(), query_param(req, "cursor").as_deref())?;
        let customer = Customer::resolve(&self.store, req).await?;
        let mut reads = Vec::new();
        for company in customer.companies.iter().filter(|c| wanted.is_none_or(|t| t == c.tenant.id)) {
            let contact = company.contact.id;
            if page.is_done(&contact) {
                reads.push(StreamRead::done(contact));
                continue;
            }
            let read = self
                .store
                .contact_submissions_after(company.tenant.id, contact, page.after().copied(), page.limit)
                .await?;
            reads.push(StreamRead { stream: contact, more: read.next_cursor.is_some(), items: read.items });
        }
        Ok(merge_page(page.limit as usize, reads, |document| document.id).into_page())
    }

    /// Deletes one of the customer's own submissions while staff have not seen it.
    async fn delete_submission(&self, req: &Request) -> Result<(), ApiError> {
        let tenant: TenantId = path_param(req, "tenantId")?;
        let id: DocumentId = path_param(req, "documentId")?;
        let customer = Customer::resolve(&self.store, req).await?;
        let company = customer.company(tenant)?;
        let document = self
            .store
            .document(tenant, id)
            .await?
            .filter(|document| document.contact_id == Some(company.contact.id))
            .ok_or(ApiError::NotFound("submission"))?;
        if document.seen_at.is_some() {
            return Err(ApiError::Conflict("the company has already seen this document".into()));
        }
        let event =
            ActivityEvent::new(Action::DocumentDeleted, Self::actor(&customer, company), OffsetDateTime::now_utc())
                .contact(company.contact.id)
                .item(ItemRef::Document(id), document.name.as_str());
        // The record first (its condition re-checks "not seen"), then the bytes.
        self.store.delete_submission(tenant, id, company.contact.id, &event).await?;
        self.storage.delete_all_versions(document.object_key()).await?;
        tracing::info!(tenant = %tenant, document = %id, "customer deleted a submission");
        Ok(())
    }

    async fn preferences(&self, req: &Request) -> Result<Preferences, ApiError> {
        let customer = Customer::resolve(&self.store, req).await?;
        Ok(self.store.preferences(&customer.sub).await?)
    }

    async fn set_preferences(&self, req: &Request) -> Result<Preferences, ApiError> {
        let customer = Customer::resolve(&self.store, req).await?;
        let input: PreferencesInput = json_body(req)?;
        if input.muted_companies.len() > 100 {
            return Err(ApiError::Invalid("mutedCompanies: at most 100 companies".into()));
        }
        let mut muted = input.muted_companies;
        muted.sort();
        muted.dedup();
        let preferences = Preferences {
            email_notifications: input.email_notifications,
            muted_companies: muted,
            language: input.language,
        };
        self.store.put_preferences(&customer.sub, &preferences).await?;
        Ok(preferences)
    }
}

/// Customers see finished staff documents only (not pending or rejected uploads, and not
/// other customers' submissions).
fn shareable(document: &Document) -> bool {
    document.status == DocumentStatus::Available && document.contact_id.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<Query, ApiError> {
        Query::parse(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    fn item(name: &str, content_type: &str, size: u64, days_ago: i64) -> Incoming {
        Incoming {
            document: SharedDocument {
                id: DocumentId::new(),
                name: name.parse().unwrap(),
                content_type: content_type.parse().unwrap(),
                size,
            },
            company: CompanyView {
                tenant_id: TenantId::new(),
                name: "Acme".parse().unwrap(),
                slug: "acme".parse().unwrap(),
                accent_color: None,
                logo_path: None,
            },
            folder: None,
            shared_by: "Acme".parse().unwrap(),
            shared_at: OffsetDateTime::now_utc() - time::Duration::days(days_ago),
            available_until: None,
            folder_ids: Vec::new(),
        }
    }

    fn names(page: &IncomingPage) -> Vec<&str> {
        page.items.iter().map(|i| i.document.name.as_str()).collect()
    }

    #[test]
    fn the_space_searches_filters_sorts_and_pages() {
        let items = vec![
            item("Invoice March.pdf", "application/pdf", 300, 3),
            item("photo.png", "image/png", 100, 1),
            item("invoice April.pdf", "application/pdf", 200, 2),
        ];
        let newest_first = query(&[]).unwrap().apply(items.clone());
        assert_eq!(names(&newest_first), ["photo.png", "invoice April.pdf", "Invoice March.pdf"]);
        let search = query(&[("q", "INVOICE"), ("sort", "name")]).unwrap().apply(items.clone());
        assert_eq!(names(&search), ["invoice April.pdf", "Invoice March.pdf"]);
        let images = query(&[("type", "image")]).unwrap().apply(items.clone());
        assert_eq!(names(&images), ["photo.png"]);
        let by_size = query(&[("sort", "size"), ("order", "desc")]).unwrap().apply(items.clone());
        assert_eq!(names(&by_size), ["Invoice March.pdf", "invoice April.pdf", "photo.png"]);
        let from = (OffsetDateTime::now_utc() - time::Duration::days(2) - time::Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let recent = query(&[("from", &from)]).unwrap().apply(items.clone());
        assert_eq!(names(&recent), ["photo.png", "invoice April.pdf"]);

        let first = query(&[("limit", "2")]).unwrap().apply(items.clone());
        assert_eq!(first.total, 3);
        let cursor = first.next_cursor.clone().unwrap();
        let second = query(&[("limit", "2"), ("cursor", &cursor)]).unwrap().apply(items);
        assert_eq!(names(&second), ["Invoice March.pdf"]);
        assert!(second.next_cursor.is_none());
    }

    #[test]
    fn bad_queries_are_refused() {
        for pairs in [
            vec![("sort", "owner")],
            vec![("order", "up")],
            vec![("company", "acme")],
            vec![("folder", "../x")],
            vec![("from", "yesterday")],
            vec![("type", "text/html;x")],
            vec![("limit", "0")],
            vec![("cursor", "bm9wZQ")],
        ] {
            assert!(query(&pairs).is_err(), "{pairs:?} was accepted");
        }
        assert!(query(&[("to", "2026-01-31"), ("from", "2026-01-01")]).is_ok());
    }
}

#[cfg(test)]
mod properties;

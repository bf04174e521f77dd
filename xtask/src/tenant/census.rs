//! What `tenant list` and `tenant show` count, with paged queries (`Select=COUNT` where the
//! items themselves are not needed). Finding every company is one Scan of the profiles
//! (there is no index of companies): its cost is a read of the whole table (see
//! `docs/operations.md`).

use std::collections::HashMap;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use portal_shared::domain::{DocumentStatus, Role, TenantId};
use portal_shared::identity::StaffMember;
use portal_shared::keys;
use portal_shared::model::Tenant;
use portal_shared::object_key::ObjectKey;

use super::Operator;

/// One company's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Census {
    pub tenant: Tenant,
    pub staff: u64,
    pub contacts: u64,
    /// Documents available to use (staff uploads and customer submissions).
    pub documents: u64,
    /// The announced size of the available documents (what object-events checked).
    pub bytes: u64,
    /// Uploads handed out and not arrived yet, and uploads refused.
    pub pending: u64,
    pub rejected: u64,
}

/// `show`: the census, the staff, and what the bucket really holds under the prefix.
#[derive(Debug, Clone)]
pub struct Detail {
    pub census: Census,
    pub staff: Vec<StaffMember>,
    pub stored: Stored,
}

/// Every object version and delete marker under a company's prefix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    pub versions: u64,
    pub delete_markers: u64,
    pub bytes: u64,
}

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Every company's profile: a Scan of the table for `SK = PROFILE` (paged; consistent).
pub async fn tenants(op: &Operator) -> Result<Vec<Tenant>> {
    let profiles: Vec<Item> = op
        .dynamodb
        .scan()
        .table_name(&op.resources.table)
        .filter_expression("#sk = :profile AND begins_with(#pk, :tenant)")
        .expression_attribute_names("#sk", keys::SK)
        .expression_attribute_names("#pk", keys::PK)
        .expression_attribute_values(":profile", s(keys::TENANT_PROFILE_SK))
        .expression_attribute_values(":tenant", s("TENANT#"))
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .context("DynamoDB Scan (company profiles)")?;
    let mut tenants: Vec<Tenant> =
        profiles.into_iter().map(serde_dynamo::from_item).collect::<Result<_, _>>().context("a company profile")?;
    tenants.sort_by(|a: &Tenant, b: &Tenant| a.slug.as_str().cmp(b.slug.as_str()));
    Ok(tenants)
}

/// `list`: every company with its figures.
pub async fn all(op: &Operator) -> Result<Vec<Census>> {
    let mut all = Vec::new();
    for tenant in tenants(op).await? {
        all.push(census(op, tenant).await?);
    }
    Ok(all)
}

/// One company's figures: three paged queries (staff and contacts counted, documents read
/// for their status and size only).
pub async fn census(op: &Operator, tenant: Tenant) -> Result<Census> {
    let partition = keys::tenant_pk(tenant.id);
    let staff = count(op, Some(keys::GSI1), (keys::GSI1_PK, &partition), (keys::GSI1_SK, keys::STAFF_PREFIX)).await?;
    let contacts = count(op, None, (keys::PK, &partition), (keys::SK, keys::CONTACT_PREFIX)).await?;
    let (mut documents, mut bytes, mut pending, mut rejected) = (0, 0, 0, 0);
    let items: Vec<Item> = op
        .dynamodb
        .query()
        .table_name(&op.resources.table)
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .projection_expression("#status, #size")
        .expression_attribute_names("#pk", keys::PK)
        .expression_attribute_names("#sk", keys::SK)
        .expression_attribute_names("#status", "status")
        .expression_attribute_names("#size", "size")
        .expression_attribute_values(":pk", s(&partition))
        .expression_attribute_values(":prefix", s(keys::DOCUMENT_PREFIX))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .context("DynamoDB Query (documents)")?;
    #[derive(serde::Deserialize)]
    struct Sized {
        status: DocumentStatus,
        size: u64,
    }
    for item in items {
        let document: Sized = serde_dynamo::from_item(item).context("a document")?;
        match document.status {
            DocumentStatus::Available => {
                documents += 1;
                bytes += document.size;
            }
            DocumentStatus::Pending => pending += 1,
            DocumentStatus::Rejected => rejected += 1,
        }
    }
    Ok(Census { tenant, staff, contacts, documents, bytes, pending, rejected })
}

/// The number of items of a partition whose sort key starts with a prefix (`Select=COUNT`,
/// all pages: each page reads up to 1 MB).
async fn count(op: &Operator, index: Option<&str>, pk: (&str, &str), sk: (&str, &str)) -> Result<u64> {
    let mut pages = op
        .dynamodb
        .query()
        .table_name(&op.resources.table)
        .set_index_name(index.map(str::to_owned))
        .key_condition_expression("#pk = :pk AND begins_with(#sk, :prefix)")
        .expression_attribute_names("#pk", pk.0)
        .expression_attribute_names("#sk", sk.0)
        .expression_attribute_values(":pk", s(pk.1))
        .expression_attribute_values(":prefix", s(sk.1))
        .select(Select::Count)
        .into_paginator()
        .send();
    let mut total = 0;
    while let Some(page) = pages.next().await {
        total += page.context("DynamoDB Query (count)")?.count() as u64;
    }
    Ok(total)
}

/// `show`: the census, the staff (all pages), and the bucket's versions under the prefix.
pub async fn detail(op: &Operator, tenant: Tenant) -> Result<Detail> {
    let staff = op.store.all_staff(tenant.id).await?;
    let stored = stored(op, tenant.id).await?;
    Ok(Detail { census: census(op, tenant).await?, staff, stored })
}

/// Every version and delete marker under the company's prefix (`ListObjectVersions`, 1000
/// per page).
pub async fn stored(op: &Operator, tenant: TenantId) -> Result<Stored> {
    let mut stored = Stored::default();
    let prefix = ObjectKey::tenant_prefix(tenant);
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = op
            .s3
            .list_object_versions()
            .bucket(&op.resources.bucket)
            .prefix(&prefix)
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
            .context("S3 ListObjectVersions")?;
        for version in page.versions() {
            stored.versions += 1;
            stored.bytes += version.size().unwrap_or_default().max(0) as u64;
        }
        stored.delete_markers += page.delete_markers().len() as u64;
        if page.is_truncated() != Some(true) {
            return Ok(stored);
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
}

fn status(tenant: &Tenant) -> String {
    serde_json::to_value(tenant.status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// `list`'s table.
pub fn table(all: &[Census]) -> String {
    let mut out = format!(
        "{:<24} {:<10} {:>5} {:>8} {:>9} {:>14}  {:<36}  name\n",
        "slug", "status", "staff", "contacts", "documents", "bytes", "id"
    );
    for c in all {
        let _ = writeln!(
            out,
            "{:<24} {:<10} {:>5} {:>8} {:>9} {:>14}  {:<36}  {}",
            c.tenant.slug.as_str(),
            status(&c.tenant),
            c.staff,
            c.contacts,
            c.documents,
            c.bytes,
            c.tenant.id,
            c.tenant.name.as_str()
        );
    }
    let _ = writeln!(out, "{} companies", all.len());
    out
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.census;
        writeln!(f, "{} ({})", c.tenant.name.as_str(), c.tenant.slug.as_str())?;
        writeln!(f, "  id:         {}", c.tenant.id)?;
        writeln!(f, "  status:     {}", status(&c.tenant))?;
        writeln!(f, "  created:    {}", c.tenant.created_at)?;
        writeln!(f, "  contacts:   {}", c.contacts)?;
        writeln!(
            f,
            "  documents:  {} available ({} bytes), {} pending, {} rejected",
            c.documents, c.bytes, c.pending, c.rejected
        )?;
        writeln!(
            f,
            "  bucket:     {} object versions ({} bytes), {} delete markers under tenants/{}/",
            self.stored.versions, self.stored.bytes, self.stored.delete_markers, c.tenant.id
        )?;
        writeln!(f, "  staff:      {}", c.staff)?;
        for member in &self.staff {
            let role = match member.role {
                Role::Admin => "admin",
                Role::Member => "member",
                Role::Viewer => "viewer",
            };
            let name = member.name.as_ref().map(|n| format!(" ({})", n.as_str())).unwrap_or_default();
            writeln!(f, "    {:<7} {}{name}", role, member.email.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::domain::TenantStatus;

    fn census(slug: &str, status: TenantStatus) -> Census {
        Census {
            tenant: Tenant {
                id: TenantId::new(),
                name: "Acme Accounting".parse().unwrap(),
                slug: slug.parse().unwrap(),
                accent_color: None,
                logo: None,
                notify_access_closed: false,
                status,
                created_at: OffsetDateTime::now_utc(),
            },
            staff: 3,
            contacts: 12,
            documents: 7,
            bytes: 123_456,
            pending: 1,
            rejected: 0,
        }
    }

    use time::OffsetDateTime;

    #[test]
    fn the_list_shows_each_status_and_figure() {
        let text = table(&[census("acme", TenantStatus::Active), census("northwind", TenantStatus::Suspended)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[1].starts_with("acme") && lines[1].contains(" active "), "{text}");
        assert!(lines[2].starts_with("northwind") && lines[2].contains(" suspended "), "{text}");
        for figure in ["3", "12", "7", "123456"] {
            assert!(lines[1].split_whitespace().any(|cell| cell == figure), "{figure} missing: {text}");
        }
        assert_eq!(lines[3], "2 companies");
    }
}

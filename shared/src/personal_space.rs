//! The customer's personal space as a listing: each visible document as the customer sees
//! it ([`Incoming`], built from the visibility rule's answer), and the search, filters,
//! order and page of a listing request ([`Query`]). Paging is by offset over the whole
//! filtered and sorted set (the set is computed per request; ties break by id, so pages
//! never overlap).

use base64::Engine;
use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::{AccentColor, ContentType, DisplayName, DocumentId, FileName, FolderId, Slug, TenantId};
use crate::error::ApiError;
use crate::identity::Company;
use crate::pagination::PageRequest;
pub use crate::visibility::FolderRef;
use crate::visibility::Visible;

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

/// A shared document as a customer sees it (no staff-internal fields).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedDocument {
    pub id: DocumentId,
    pub name: FileName,
    pub content_type: ContentType,
    pub size: u64,
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

impl Incoming {
    /// The listing of what is visible at one company, in the visibility walk's order.
    pub fn listing(visible: Visible, company: &Company) -> Vec<Self> {
        let view = CompanyView::from(company);
        let company_name = &company.tenant.name;
        let shown: Vec<DisplayName> =
            visible.documents.iter().map(|v| visible.shown_sharer(&v.share.shared_by, company_name)).collect();
        visible
            .documents
            .into_iter()
            .zip(shown)
            .map(|(v, shared_by)| Incoming {
                document: SharedDocument {
                    id: v.document.id,
                    name: v.document.name,
                    content_type: v.document.content_type,
                    size: v.document.size,
                },
                company: view.clone(),
                folder: v.folder,
                shared_by,
                shared_at: v.share.shared_at,
                available_until: v.share.available_until,
                folder_ids: v.folder_ids,
            })
            .collect()
    }
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

/// A date (`2026-01-31`: its start, or with `end_of_day` its last second, UTC) or an
/// RFC 3339 instant.
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

/// The cursor of the page starting at `offset`.
pub fn encode_offset(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o{offset}"))
}

/// The offset a cursor names (400 for anything else).
pub fn decode_offset(cursor: &str) -> Result<usize, ApiError> {
    let bad = || ApiError::Malformed("cursor is not valid".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix('o').and_then(|n| n.parse().ok()).filter(|n| *n <= 1_000_000).ok_or_else(bad)
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

    #[test]
    fn the_listing_names_the_company_the_folder_and_who_shared_and_filters_by_any_folder_above() {
        use crate::domain::{DocumentStatus, UserSub};
        use crate::model::{Contact, Document, Folder, Share, Tenant, UploaderKind};
        use crate::visibility::model::DriveModel;
        use crate::visibility::visible_documents;

        let now = OffsetDateTime::now_utc();
        let tenant = Tenant {
            id: TenantId::new(),
            name: "Acme".parse().unwrap(),
            slug: "acme".parse().unwrap(),
            accent_color: None,
            logo: None,
            notify_access_closed: false,
            status: Default::default(),
            created_at: now,
        };
        let contact: Contact = serde_json::from_value(serde_json::json!({
            "id": crate::domain::ContactId::new(),
            "email": "chloe@client.example",
            "name": "Chloe",
            "accessStatus": "active",
            "createdAt": "2026-01-01T00:00:00Z",
            "createdBy": "staff",
        }))
        .unwrap();
        let staff: UserSub = "staff".parse().unwrap();
        let mut model = DriveModel::new(tenant.id);
        let folder = |name: &str, parent| Folder {
            id: FolderId::new(),
            name: name.parse().unwrap(),
            parent_id: parent,
            created_at: now,
            created_by: staff.clone(),
        };
        let (outer, inner) = {
            let outer = folder("Outer", None);
            let inner = folder("Inner", Some(outer.id));
            (outer, inner)
        };
        let mut document = Document::pending(
            tenant.id,
            "deep.pdf".parse().unwrap(),
            "application/pdf".parse().unwrap(),
            5,
            staff.clone(),
            UploaderKind::Staff,
        );
        document.status = DocumentStatus::Available;
        document.folder_id = Some(inner.id);
        let until = now + time::Duration::days(1);
        model.put_share(Share {
            contact_id: contact.id,
            item: crate::domain::ItemRef::Folder(outer.id),
            shared_by: staff.clone(),
            shared_at: now,
            available_until: Some(until),
        });
        let (outer_id, inner_id, document_id) = (outer.id, inner.id, document.id);
        model.put_folder(outer);
        model.put_folder(inner);
        model.put_document(document);
        let company = Company { tenant, contact };

        let visible = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(visible_documents(&model, company.tenant.id, company.contact.id, now))
            .unwrap();
        let listing = Incoming::listing(visible, &company);
        assert_eq!(listing.len(), 1);
        let item = &listing[0];
        assert_eq!(item.document.id, document_id);
        assert_eq!(item.company.tenant_id, company.tenant.id);
        assert_eq!(item.folder.as_ref().map(|f| f.name.as_str()), Some("Inner"));
        assert_eq!(item.shared_by.as_str(), "Acme", "a sharer who is not a member shows as the company");
        assert_eq!((item.shared_at, item.available_until), (now, Some(until)));
        for folder in [outer_id, inner_id] {
            let page = query(&[("folder", &folder.to_string())]).unwrap().apply(listing.clone());
            assert_eq!(names(&page), ["deep.pdf"]);
        }
        let elsewhere = query(&[("folder", &FolderId::new().to_string())]).unwrap().apply(listing);
        assert_eq!(elsewhere.total, 0);
    }
}

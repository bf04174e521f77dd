//! The customer's personal space as a listing: each visible document as the customer sees
//! it ([`Incoming`], built from a view index entry the read confirmed), and the search,
//! filters, order and page of a listing request ([`Query`]): which index and key range each
//! company's read uses, what it filters, and the cursor (the last returned sort key and
//! the companies read to their end, never a table key; `view::merge_view`).

use std::collections::BTreeSet;

use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::{AccentColor, ContactId, ContentType, DisplayName, DocumentId, FileName, FolderId, Slug, TenantId};
use crate::error::ApiError;
use crate::identity::Company;
use crate::pagination::PageRequest;
use crate::pagination::merge::MergeCursor;
use crate::view::{self, Checked, ViewEntry, ViewFilter, ViewOrder, ViewRange};
pub use crate::visibility::FolderRef;

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
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingPage {
    /// At most `limit`; fewer when entries failed the read's check (a page may be short,
    /// even empty, with a `nextCursor`: the list ends only when there is none).
    pub items: Vec<Incoming>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Incoming {
    /// The row of an entry the read confirmed: the live document, folder and share; who
    /// shared as customers see staff (the member's name, else the company's).
    pub fn of(checked: Checked, company: &Company) -> Self {
        let shared_by = checked
            .sharer
            .as_ref()
            .map_or_else(|| company.tenant.name.clone(), |member| member.shown_to_customers(&company.tenant.name));
        Incoming {
            document: SharedDocument {
                id: checked.document.id,
                name: checked.document.name,
                content_type: checked.document.content_type,
                size: checked.document.size,
            },
            company: CompanyView::from(company),
            folder: checked.folder,
            shared_by,
            shared_at: checked.share.shared_at,
            available_until: checked.share.available_until,
        }
    }
}

/// How the personal space is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Date,
    Size,
}

/// The cursor of the personal space: the last returned sort key (tagged with the listing's
/// kind, so a cursor of one sort is refused by another) and the contacts (companies) read
/// to their end.
pub type SpaceCursor = MergeCursor<ContactId, String>;

/// The search, filters, order and page of a personal-space request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The search's words (folded: case- and accent-insensitive), each a prefix of a word
    /// of the name; empty: no search.
    pub words: Vec<String>,
    pub company: Option<TenantId>,
    pub folder: Option<FolderId>,
    /// A media type (`application/pdf`) or a family (`image`).
    pub kind: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub sort: Sort,
    pub descending: bool,
    pub limit: i32,
    /// Where the list continues: after this sort key (untagged), except in `done`.
    pub after: Option<String>,
    pub done: BTreeSet<ContactId>,
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

/// Whether `key` is a sort key of this listing: `{value}#{documentId}`, the value of the
/// listing's alphabet and length.
fn valid_key(order: ViewOrder, key: &str) -> bool {
    let Some((value, id)) = key.rsplit_once('#') else { return false };
    let digits = |n: usize| value.len() == n && value.bytes().all(|b| b.is_ascii_digit());
    let value_ok = match order {
        ViewOrder::Date => digits(15),
        ViewOrder::Size => digits(20),
        ViewOrder::Name => {
            value.len() <= view::MAX_NAME_KEY_CHARS
                && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'$')
        }
        ViewOrder::Word => {
            !value.is_empty()
                && value.len() <= view::MAX_WORD_CHARS
                && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
    };
    value_ok && id.parse::<DocumentId>().is_ok()
}

fn tag(order: ViewOrder) -> &'static str {
    match order {
        ViewOrder::Date => "d:",
        ViewOrder::Name => "n:",
        ViewOrder::Size => "s:",
        ViewOrder::Word => "w:",
    }
}

impl Query {
    /// Parses the query string; every parameter is optional.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let text = get("q").map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if text.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(ApiError::Invalid("q: must be at most 200 characters".into()));
        }
        let words = text.as_deref().map(view::query_words).unwrap_or_default();
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
        let limit = PageRequest::parse(get("limit").as_deref(), None)?.limit;
        let mut query = Self {
            words,
            company,
            folder,
            kind,
            from,
            to,
            sort,
            descending,
            limit,
            after: None,
            done: BTreeSet::new(),
        };
        if let Some(raw) = get("cursor").filter(|c| !c.is_empty()) {
            let cursor = SpaceCursor::decode(&raw)?;
            let bad = || ApiError::Malformed("cursor is not valid".into());
            let order = query.order();
            let key = cursor.after.strip_prefix(tag(order)).filter(|key| valid_key(order, key)).ok_or_else(bad)?;
            query.after = Some(key.to_owned());
            query.done = cursor.done;
        }
        Ok(query)
    }

    /// The index the listing reads: the name search's word items, else the sort's.
    pub fn order(&self) -> ViewOrder {
        if !self.words.is_empty() {
            return ViewOrder::Word;
        }
        match self.sort {
            Sort::Date => ViewOrder::Date,
            Sort::Name => ViewOrder::Name,
            Sort::Size => ViewOrder::Size,
        }
    }

    /// Each company's read: the index and key range (the date range is a key range when
    /// sorted by date; a search reads its first word's items), and the filters.
    pub fn plan(&self) -> (ViewRange, ViewFilter) {
        let order = self.order();
        let ms = |at: OffsetDateTime| (at.unix_timestamp_nanos() / 1_000_000) as i64;
        let mut filter = ViewFilter { kind: self.kind.clone(), folder: self.folder, ..ViewFilter::default() };
        let (lower, upper) = match order {
            ViewOrder::Date => (
                self.from.map(view::time_key),
                // `~` sorts after every document id: the whole last millisecond is in.
                self.to.map(|to| format!("{}#~", view::time_key(to))),
            ),
            ViewOrder::Word => {
                filter.words = self.words[1..].to_vec();
                // Word items' keys are `[a-z0-9]+#{id}`: everything starting with the prefix
                // lies between it and the prefix followed by `~`.
                (Some(self.words[0].clone()), Some(format!("{}~", self.words[0])))
            }
            ViewOrder::Name | ViewOrder::Size => (None, None),
        };
        if order != ViewOrder::Date {
            filter.from_ms = self.from.map(ms);
            filter.to_ms = self.to.map(|to| ms(to) + 999);
        }
        (ViewRange { order, lower, upper, descending: self.descending }, filter)
    }

    /// Whether a search's word item is the one its document is listed by: the first of its
    /// name's words (in order) that the first query word is a prefix of, so a name with two
    /// matching words is listed once.
    pub fn listed_by(&self, key: &str, entry: &ViewEntry) -> bool {
        let Some(first) = self.words.first() else { return true };
        let word = key.rsplit_once('#').map_or(key, |(word, _)| word);
        let matching = entry.name_words.split(' ').filter(|w| w.starts_with(first.as_str())).min();
        matching == Some(word)
    }

    /// The cursor of the page after the one that ended at `after` (untagged).
    pub fn cursor(&self, after: String, done: BTreeSet<ContactId>) -> String {
        SpaceCursor { after: format!("{}{after}", tag(self.order())), done }.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Result<Query, ApiError> {
        Query::parse(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()))
    }

    #[test]
    fn each_listing_reads_its_index_and_key_range() {
        let (range, filter) = query(&[]).unwrap().plan();
        assert_eq!((range.order, range.descending, range.lower, range.upper), (ViewOrder::Date, true, None, None));
        assert!(filter.kind.is_none() && filter.words.is_empty());
        let (range, filter) = query(&[("sort", "name"), ("from", "2026-01-01")]).unwrap().plan();
        assert_eq!((range.order, range.descending), (ViewOrder::Name, false));
        assert!(filter.from_ms.is_some(), "the date range filters when sorted otherwise");
        let (range, _) = query(&[("from", "2026-01-01"), ("to", "2026-01-31")]).unwrap().plan();
        assert!(range.lower.unwrap().len() == 15 && range.upper.unwrap().ends_with("#~"));
        let (range, filter) = query(&[("q", "Éte  Mars"), ("sort", "size")]).unwrap().plan();
        assert_eq!(range.order, ViewOrder::Word);
        assert_eq!((range.lower.as_deref(), range.upper.as_deref()), (Some("ete"), Some("ete~")));
        assert_eq!(filter.words, ["mars"]);
        let (range, filter) = query(&[("sort", "size"), ("order", "desc"), ("type", "image")]).unwrap().plan();
        assert_eq!((range.order, range.descending), (ViewOrder::Size, true));
        assert_eq!(filter.kind.as_deref(), Some("image"));
    }

    #[test]
    fn cursors_hold_a_sort_key_of_their_own_listing_only() {
        let by_date = query(&[]).unwrap();
        let key = format!("{}#{}", view::time_key(OffsetDateTime::now_utc()), DocumentId::new());
        let cursor = by_date.cursor(key.clone(), BTreeSet::from([ContactId::new()]));
        let next = query(&[("cursor", &cursor)]).unwrap();
        assert_eq!(next.after.as_deref(), Some(key.as_str()));
        assert_eq!(next.done.len(), 1);
        // A date cursor is not a name or size cursor, nor a table key.
        assert!(query(&[("cursor", &cursor), ("sort", "name")]).is_err());
        assert!(query(&[("cursor", &cursor), ("sort", "size")]).is_err());
        let forged = SpaceCursor { after: "d:TENANT#x".into(), done: BTreeSet::new() }.encode();
        assert!(query(&[("cursor", &forged)]).is_err());
        let by_word = query(&[("q", "inv")]).unwrap();
        let cursor = by_word.cursor(format!("invoice#{}", DocumentId::new()), BTreeSet::new());
        assert!(query(&[("q", "inv"), ("cursor", &cursor)]).is_ok());
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

//! Who the customer is here, and their personal space: everything visible at each
//! company, read from the view index (`portal_shared::view`), as one searchable, sorted,
//! paged listing.

use portal_shared::ApiError;
use portal_shared::domain::{Email, UserSub};
use portal_shared::identity::Customer;
use portal_shared::personal_space::{CompanyView, Incoming, IncomingPage, Query};
use portal_shared::view::{self, StreamRead, ViewEntry};
use serde::Serialize;
use time::OffsetDateTime;

use crate::App;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub sub: UserSub,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    pub companies: Vec<CompanyView>,
}

impl Me {
    pub fn of(customer: Customer) -> Self {
        Self {
            email: customer.companies.first().map(|company| company.contact.email.clone()),
            companies: customer.companies.iter().map(CompanyView::from).collect(),
            sub: customer.sub,
        }
    }
}

impl App {
    /// The page of the personal space `query` asks for, over every company it names (all,
    /// or one) that the customer has active access to: one Query of the view index per
    /// company not read to its end, merged by sort key (`view::merge_view`), then every
    /// entry of the page checked against the items it names (`view::check`, BatchGetItems
    /// of at most 100 keys), so nothing no longer shared is shown.
    pub(crate) async fn space(&self, customer: &Customer, query: &Query) -> Result<IncomingPage, ApiError> {
        let (range, filter) = query.plan();
        let mut reads = Vec::new();
        for (index, company) in customer.companies.iter().enumerate() {
            if query.company.is_some_and(|wanted| wanted != company.tenant.id) {
                continue;
            }
            let contact = company.contact.id;
            if query.done.contains(&contact) {
                continue;
            }
            let read = self
                .store
                .view_read(company.tenant.id, contact, &range, &filter, query.after.as_deref(), query.limit)
                .await?;
            reads.push(StreamRead {
                stream: contact,
                items: read.entries.into_iter().map(|(key, entry)| (key, (index, entry))).collect(),
                stopped_at: read.stopped_at,
            });
        }
        let merged = view::merge_view(query.limit as usize, query.descending, reads);
        let listed: Vec<(usize, ViewEntry)> = merged
            .items
            .into_iter()
            .filter(|(key, (_, entry))| query.listed_by(key, entry))
            .map(|(_, item)| item)
            .collect();
        let entries: Vec<&ViewEntry> = listed.iter().map(|(_, entry)| entry).collect();
        let found = self.store.view_found(&entries).await?;
        let now = OffsetDateTime::now_utc();
        let items = listed
            .iter()
            .filter_map(|(index, entry)| {
                let checked = view::check(entry, &found, now)?;
                Some(Incoming::of(checked, &customer.companies[*index]))
            })
            .collect();
        let next_cursor = merged.next.map(|(after, done)| query.cursor(after, done));
        Ok(IncomingPage { items, next_cursor })
    }
}

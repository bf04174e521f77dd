//! Who the customer is here, and their personal space: everything visible at each
//! company (the visibility rule), as one searchable, sorted, paged listing.

use portal_shared::ApiError;
use portal_shared::domain::{Email, UserSub};
use portal_shared::identity::Customer;
use portal_shared::personal_space::{CompanyView, Incoming, IncomingPage, Query};
use portal_shared::visibility;
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
    /// or one) that the customer has active access to.
    pub(crate) async fn space(&self, customer: &Customer, query: &Query) -> Result<IncomingPage, ApiError> {
        let mut everything = Vec::new();
        for company in &customer.companies {
            if query.company.is_none_or(|wanted| wanted == company.tenant.id) {
                let now = OffsetDateTime::now_utc();
                let visible =
                    visibility::visible_documents(&self.store, company.tenant.id, company.contact.id, now).await?;
                everything.extend(Incoming::listing(visible, company));
            }
        }
        Ok(query.apply(everything))
    }
}

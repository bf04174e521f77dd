//! The customer's email preferences (one record per account, across companies).

use portal_shared::ApiError;
use portal_shared::identity::Customer;
use portal_shared::model::Preferences;

use crate::{App, PreferencesInput};

/// At most this many companies muted at once.
const MAX_MUTED: usize = 100;

impl PreferencesInput {
    /// The preferences to store: at most `MAX_MUTED` companies muted, each once, in order.
    pub(crate) fn into_preferences(self) -> Result<Preferences, ApiError> {
        if self.muted_companies.len() > MAX_MUTED {
            return Err(ApiError::Invalid(format!("mutedCompanies: at most {MAX_MUTED} companies")));
        }
        let mut muted = self.muted_companies;
        muted.sort();
        muted.dedup();
        Ok(Preferences {
            email_notifications: self.email_notifications,
            muted_companies: muted,
            language: self.language,
        })
    }
}

impl App {
    pub(crate) async fn preferences(&self, customer: &Customer) -> Result<Preferences, ApiError> {
        Ok(self.store.preferences(&customer.sub).await?)
    }

    pub(crate) async fn set_preferences(
        &self,
        customer: &Customer,
        preferences: Preferences,
    ) -> Result<Preferences, ApiError> {
        self.store.put_preferences(&customer.sub, &preferences).await?;
        Ok(preferences)
    }
}

//! `reindex`: writes the staff search entries of every contact and document of a company
//! (`store/search.rs`), for items made before search existed and for the members of an
//! organization renamed with more than `RENAME_REINDEX_MEMBERS` of them. Paged (100 items a
//! query, one transaction per item) and idempotent: an item's entries are a function of the
//! item, so running it again, or after a crash part-way, writes the same entries.

use std::collections::HashMap;

use anyhow::Result;
use portal_shared::domain::{OrganizationId, TenantId};
use portal_shared::model::Organization;
use portal_shared::pagination::{Cursor, MAX_LIMIT, Page, PageRequest};
use portal_shared::store::StoreError;

use super::Operator;

/// What a run rewrote, and what it skipped because it changed meanwhile (its change wrote
/// its own entries).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reindexed {
    pub contacts: usize,
    pub documents: usize,
    pub skipped: usize,
}

impl std::fmt::Display for Reindexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "search entries written for {} contacts and {} documents; {} changed meanwhile (their change wrote them)",
            self.contacts, self.documents, self.skipped
        )
    }
}

/// The next page after `page` (`None`: the listing is done).
fn next(page: &Page<impl Sized>) -> Result<Option<PageRequest>> {
    Ok(match &page.next_cursor {
        Some(cursor) => Some(PageRequest { limit: MAX_LIMIT, cursor: Some(Cursor::decode(cursor)?) }),
        None => None,
    })
}

/// Whether a rewrite took effect: a clash means the item changed or went meanwhile.
fn counted(result: Result<(), StoreError>, done: &mut usize, skipped: &mut usize) -> Result<()> {
    match result {
        Ok(()) => *done += 1,
        Err(StoreError::Clash(_)) => *skipped += 1,
        Err(err) => return Err(err.into()),
    }
    Ok(())
}

pub async fn reindex(operator: &Operator, tenant: TenantId) -> Result<Reindexed> {
    let store = &operator.store;
    let mut done = Reindexed::default();
    let mut organizations: HashMap<OrganizationId, Option<Organization>> = HashMap::new();
    let mut request = Some(PageRequest { limit: MAX_LIMIT, cursor: None });
    while let Some(page) = request {
        let contacts = store.list_contacts(tenant, &page).await?;
        for contact in &contacts.items {
            let organization = match contact.organization_id {
                None => None,
                Some(id) => match organizations.get(&id) {
                    Some(found) => found.clone(),
                    None => {
                        let found = store.organization(tenant, id).await?;
                        organizations.insert(id, found.clone());
                        found
                    }
                },
            };
            let result = store.reindex_contact(tenant, contact, organization.as_ref()).await;
            counted(result, &mut done.contacts, &mut done.skipped)?;
        }
        request = next(&contacts)?;
    }
    let mut request = Some(PageRequest { limit: MAX_LIMIT, cursor: None });
    while let Some(page) = request {
        let documents = store.list_documents(tenant, &page).await?;
        for document in &documents.items {
            counted(store.reindex_document(document).await, &mut done.documents, &mut done.skipped)?;
        }
        request = next(&documents)?;
    }
    Ok(done)
}

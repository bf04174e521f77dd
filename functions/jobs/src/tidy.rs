//! Tidying the share records of a deleted document, folder, contact or organization past
//! the page its delete removed (`jobs::tidy_shares`): a page a chunk, read from the start
//! (what a chunk removed is gone), so a replayed chunk removes nothing twice.

use portal_shared::ApiError;
use portal_shared::domain::TenantId;
use portal_shared::jobs::{ChunkOutcome, SharesOf};

use crate::App;

/// The cursor of a tidy that goes on (each chunk reads from the start again).
const MORE: &str = "more";

impl App {
    /// One chunk of a `shares-tidy` job: a page of the records removed; the job ends when
    /// a page is not full.
    pub(crate) async fn shares_tidy_chunk(&self, tenant: TenantId, of: SharesOf) -> Result<ChunkOutcome, ApiError> {
        let tidied = self.store.tidy_shares(tenant, of, self.chunk_size.max(1)).await?;
        Ok(ChunkOutcome {
            done: tidied.removed,
            discovered: tidied.removed,
            next: tidied.more.then(|| MORE.into()),
            failures: Vec::new(),
        })
    }
}

//! The hard cap on the AWS requests one invocation may make, per route (beside the route
//! table, `routes.rs`) and per queue record of an event function. `HttpFunction::serve`
//! runs every request inside `metering::capped(route, cap, …)` and `batch::process_records`
//! every record: the request after the cap fails before it is sent (503
//! `request-budget-exceeded`, logged, counted), so work that grows with the data ends in a
//! clear answer instead of Lambda's timeout.
//!
//! How a cap is derived (`docs/performance.md`, "Caps"): the route's documented bound of
//! requests (its row under "AWS requests per route", summed over services) times 3, the
//! attempts the SDK's standard retry mode may make of each, rounded up. Routes whose
//! bound is at most 10 share [`DEFAULT_ROUTE_CAP`]. Routes that still do work growing
//! with the data (walks, fan-outs, tidying) get [`FAN_OUT_CAP`]: what fits well inside the
//! 10 s timeout (DynamoDB answers in 5 to 10 ms, sequentially), until they become paged
//! reads or jobs. `tests/e2e/aws_calls.rs` checks every measured route stays under its cap.

/// The cap of a route not listed in [`ROUTE_CAPS`]: 3 × a bound of at most 10 requests.
pub const DEFAULT_ROUTE_CAP: u32 = 30;

/// The cap of a route whose work still grows with the data: about half of what the
/// 10 s Lambda timeout allows at DynamoDB's usual latency.
pub const FAN_OUT_CAP: u32 = 500;

/// The cap of a queue record (one SQS message) of an event function that names none:
/// bounded per record like a route, the rest left to the next delivery or a job.
pub const DEFAULT_RECORD_CAP: u32 = 100;

/// Routes whose cap is not [`DEFAULT_ROUTE_CAP`], by `routeKey`.
pub const ROUTE_CAPS: &[(&str, u32)] = &[
    // Walks up the folder tree (at most `MAX_FOLDER_DEPTH` = 20 levels, one read each):
    // a bound of 23, × 3.
    ("GET /folders/{folderId}", 70),
    ("POST /folders", 70),
    ("PATCH /folders/{folderId}", 70),
    ("GET /portal/companies/{tenantId}/documents/{documentId}/download", 70),
    // Company sign-up's worst case (taking over an abandoned slug): 16 + 5 + 1 = 22, × 3.
    ("POST /signup", 70),
    // One sign-up per company that invited the email: grows with those invitations.
    ("POST /registration/confirm", 100),
    // A query per company of the customer (merged pages).
    ("GET /portal/submissions", 100),
    // The view index: 2 + a query per company + the page's check (⌈k / 100⌉ reads).
    ("GET /portal/shares", 100),
    // Up to `jobs::DEFAULT_SYNC_LIMIT` (20) shares in the request, about 8 requests each
    // with the contact's access and invitation; more is a job. 3 × (10 + 8 × 20) = 510.
    ("POST /shares", 510),
    // Up to 20 members in the request (access, invitation or sign-out and notice: 6 each);
    // more is a job. 3 × (4 + 6 × 20) = 372.
    ("POST /organizations/{organizationId}/access", 380),
    ("DELETE /organizations/{organizationId}/access", 380),
    // A selection of at most 100 items (and a contact with at most 100 shares): each a
    // share and its announcement, plus the removals.
    ("PUT /contacts/{contactId}/shares", FAN_OUT_CAP),
    // A delete, then a page of 25 of the item's, contact's or organization's share records (a Query and a
    // BatchWriteItem, its unprocessed items sent again at most 7 times) and a job for the
    // rest (PutItem, SendMessage); a non-empty folder is a job. A document adds its S3
    // versions, a contact its sign-out: at most 20, × 3, rounded up.
    ("DELETE /folders/{folderId}", 70),
    ("DELETE /contacts/{contactId}", 70),
    ("DELETE /documents/{documentId}", 70),
    ("DELETE /organizations/{organizationId}", 70),
];

/// The cap of one invocation of `route` (a `routeKey`; an unknown one gets the default).
pub fn route_cap(route: &str) -> u32 {
    ROUTE_CAPS.iter().find(|(key, _)| *key == route).map_or(DEFAULT_ROUTE_CAP, |(_, cap)| *cap)
}

/// The per-record cap of the notifications function: one page of a share batch is a look,
/// the lease, the page, the company, the contact, the preferences, one email, the deletes
/// (one BatchWriteItem, its unprocessed items asked again at most 4 times) and the lease
/// given back: 13, × 3.
pub const NOTIFICATIONS_RECORD_CAP: u32 = 40;

/// The per-record cap of the jobs function, from its chunk size: a chunk reads its job,
/// records its progress and sends the next (3), and each unit costs at most about 11
/// requests (a share unit: 5, plus 6 for a contact's access and invitation), × 3.
pub const fn jobs_record_cap(chunk_size: usize) -> u32 {
    3 * (3 + 11 * chunk_size as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capped_route_is_a_route_and_is_listed_once() {
        let keys: Vec<String> = crate::routes::ROUTES.iter().map(|r| r.key()).collect();
        for (i, (route, cap)) in ROUTE_CAPS.iter().enumerate() {
            assert!(keys.iter().any(|k| k == route), "{route}: no such route");
            assert!(!ROUTE_CAPS[..i].iter().any(|(r, _)| r == route), "{route}: listed twice");
            assert!(*cap > DEFAULT_ROUTE_CAP, "{route}: a cap below the default needs no row");
        }
        assert_eq!(route_cap("GET /contacts"), DEFAULT_ROUTE_CAP);
        assert_eq!(route_cap("PUT /contacts/{contactId}/shares"), FAN_OUT_CAP);
        // A chunk of the deployed size stays well inside the jobs function's 10 s.
        assert!(jobs_record_cap(crate::jobs::DEFAULT_CHUNK_SIZE) <= FAN_OUT_CAP);
    }
}

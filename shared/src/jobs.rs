//! Bulk changes as jobs. A change too large for one request (many items × many contacts,
//! a whole organization, a large folder) is written as a job item and run by the `jobs`
//! function from the jobs queue in bounded chunks: each SQS message is one chunk (the
//! job, and the step it is to run); a chunk does at most `chunk_size` units of work, then
//! records its progress with a conditional update on the step (so a replayed chunk counts
//! nothing twice) and enqueues the next step. Each unit of work is idempotent on its own
//! (a share is created only if absent, an invitation sent only while owed), so a chunk
//! delivered twice changes nothing twice.
//!
//! This module is the pure part: the job as stored and shown, the chunk message, and the
//! rules (which unit a cursor names, how a job's final status is decided, how many
//! failures a job keeps). The store's half is `store/jobs.rs`; the queue is [`JobQueue`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::{ContactId, FolderId, ItemRef, JobId, OrganizationId, TenantId};
use crate::identity::StaffMember;

/// A job keeps at most this many failures (its `failed` count has them all).
pub const MAX_FAILURES: usize = 20;

/// Writes above which a change runs as a job rather than in the request (deployed;
/// `JOBS_SYNC_LIMIT` sets it, the local stack uses a small one so tests stay fast). At most
/// 20: a synchronous share or organization access change costs up to about 8 requests per
/// unit, and the routes' request caps (`route_caps`) hold 3 × that for 20 units.
pub const DEFAULT_SYNC_LIMIT: usize = 20;

/// Units of work one chunk does (deployed; `JOBS_CHUNK_SIZE` sets it). The jobs function's
/// per-record request cap follows from it (`route_caps::jobs_record_cap`).
pub const DEFAULT_CHUNK_SIZE: usize = 10;

/// A finished job's item is kept this long (TTL), for `GET /jobs/{jobId}`.
pub const KEEP_FINISHED_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobKind {
    /// Items shared with contacts and/or an organization's members (`POST /shares` over
    /// the limit).
    Share,
    /// An organization's shares removed from its members (unsharing from an organization).
    OrganizationUnshare,
    /// A contact joined or left an organization: the organization's shares applied to
    /// it, or the ones that came from the organization removed.
    Membership,
    /// Portal access opened or closed for every member of an organization.
    OrganizationAccess,
    /// A non-empty folder deleted, bottom-up.
    FolderDelete,
    /// The share records of a deleted document, folder, contact or organization removed
    /// (past the first page, which the delete removes itself).
    SharesTidy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    PartiallyFailed,
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::PartiallyFailed)
    }

    /// How a job that has done `done` units and failed `failed` ends.
    pub fn finished(done: u64, failed: u64) -> Self {
        match (done, failed) {
            (_, 0) => Self::Succeeded,
            (0, _) => Self::Failed,
            _ => Self::PartiallyFailed,
        }
    }
}

/// One unit of work that failed, and why (a deleted item, a deleted contact, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobFailure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemRef>,
    pub reason: String,
}

/// What a job does. Kept on the job item; its size is bounded by the request that made
/// it (at most `share_selection::MAX_ITEMS` items and `MAX_CONTACTS` contacts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum JobSpec {
    /// First each named contact gets each item; then, with an organization, each of its
    /// members (paged) gets each item, marked as coming from the organization.
    Share {
        items: Vec<ItemRef>,
        contacts: Vec<ContactId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        organization_id: Option<OrganizationId>,
        #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
        available_until: Option<OffsetDateTime>,
    },
    OrganizationUnshare {
        organization_id: OrganizationId,
        items: Vec<ItemRef>,
    },
    /// `joined`: the organization's shares applied to the contact; otherwise removed.
    Membership {
        contact_id: ContactId,
        organization_id: OrganizationId,
        joined: bool,
    },
    OrganizationAccess {
        organization_id: OrganizationId,
        open: bool,
    },
    FolderDelete {
        folder_id: FolderId,
    },
    SharesTidy {
        of: SharesOf,
    },
}

/// Whose share records a tidy removes: a deleted item's (a document or a folder), a
/// deleted contact's, or a deleted organization's own (what was shared with it as such).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "owner", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum SharesOf {
    Item { item: ItemRef },
    Contact { contact_id: ContactId },
    Organization { organization_id: OrganizationId },
}

/// Share records a delete removes itself (one `Query` and one `BatchWriteItem`); the rest
/// are a [`JobSpec::SharesTidy`] job.
pub const TIDY_PAGE: usize = 25;

impl JobSpec {
    pub fn kind(&self) -> JobKind {
        match self {
            Self::Share { .. } => JobKind::Share,
            Self::OrganizationUnshare { .. } => JobKind::OrganizationUnshare,
            Self::Membership { .. } => JobKind::Membership,
            Self::OrganizationAccess { .. } => JobKind::OrganizationAccess,
            Self::FolderDelete { .. } => JobKind::FolderDelete,
            Self::SharesTidy { .. } => JobKind::SharesTidy,
        }
    }
}

/// A job as stored (`TENANT#{tenantId}` / `JOB#{jobId}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub status: JobStatus,
    pub spec: JobSpec,
    /// Who asked for it: the chunks act as this staff member (the trail names them).
    pub by: StaffMember,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The next step to run (0 until the first chunk is recorded).
    pub step: u64,
    /// Where the next step starts (opaque to all but the job's kind), absent at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Units of work known so far (a fan-out learns them as it pages).
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    /// The first [`MAX_FAILURES`] failures.
    #[serde(default)]
    pub failures: Vec<JobFailure>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<OffsetDateTime>,
}

impl Job {
    /// A new, queued job of `spec` with `total` units known at the start.
    pub fn new(spec: JobSpec, by: &StaffMember, total: u64, now: OffsetDateTime) -> Self {
        Self {
            id: JobId::new(),
            kind: spec.kind(),
            status: JobStatus::Queued,
            spec,
            by: by.clone(),
            created_at: now,
            step: 0,
            cursor: None,
            total,
            done: 0,
            failed: 0,
            failures: Vec::new(),
            finished_at: None,
        }
    }

    /// What `GET /jobs/{jobId}` answers (never the spec's internals or the staff record).
    pub fn view(&self) -> JobView {
        JobView {
            id: self.id,
            kind: self.kind,
            status: self.status,
            total: self.total,
            done: self.done,
            failed: self.failed,
            failures: self.failures.clone(),
            created_at: self.created_at,
            finished_at: self.finished_at,
        }
    }

    /// The failures of a chunk this job can still keep (the rest are only counted).
    pub fn keepable<'a>(&self, failures: &'a [JobFailure]) -> &'a [JobFailure] {
        let room = MAX_FAILURES.saturating_sub(self.failures.len());
        &failures[..failures.len().min(room)]
    }
}

/// A job's progress as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: JobId,
    pub kind: JobKind,
    pub status: JobStatus,
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    pub failures: Vec<JobFailure>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<OffsetDateTime>,
}

/// The `202 Accepted` answer of a change that became a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub job_id: JobId,
    pub status: JobStatus,
}

impl Accepted {
    pub fn of(job: &Job) -> Self {
        Self { job_id: job.id, status: job.status }
    }
}

/// One chunk of a job: the SQS message body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChunkMessage {
    pub tenant_id: TenantId,
    pub job_id: JobId,
    pub step: u64,
}

/// What one chunk did, recorded on the job in one conditional update.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkOutcome {
    pub done: u64,
    pub failures: Vec<JobFailure>,
    /// Units of work discovered by this chunk (a fan-out's page), added to `total`.
    pub discovered: u64,
    /// Where the next step starts; `None`: the job is finished.
    pub next: Option<String>,
}

impl ChunkOutcome {
    pub fn ok(&mut self) {
        self.done += 1;
    }

    pub fn fail(&mut self, contact_id: Option<ContactId>, item: Option<ItemRef>, reason: impl Into<String>) {
        self.failures.push(JobFailure { contact_id, item, reason: reason.into() });
    }
}

/// The units `[start, end)` of a job of `total` units that the chunk starting at
/// `start` does, at most `chunk_size` of them.
pub fn chunk_range(start: u64, total: u64, chunk_size: usize) -> std::ops::Range<u64> {
    let end = start.saturating_add(chunk_size.max(1) as u64).min(total);
    start.min(end)..end
}

/// An offset cursor (the jobs whose units are numbered): `None` at the start.
pub fn offset(cursor: Option<&str>) -> Result<u64, crate::ApiError> {
    match cursor {
        None => Ok(0),
        Some(text) => text.parse().map_err(|_| crate::ApiError::Internal(format!("job cursor {text:?}"))),
    }
}

/// Unit `index` of a share job: which contact gets which item. Contacts in the order
/// given, each with every item in turn (so a contact's access opens after its last item).
pub fn share_unit(items: &[ItemRef], contacts: &[ContactId], index: u64) -> Option<(ContactId, ItemRef, bool)> {
    if items.is_empty() {
        return None;
    }
    let index = usize::try_from(index).ok()?;
    let contact = *contacts.get(index / items.len())?;
    let position = index % items.len();
    Some((contact, items[position], position + 1 == items.len()))
}

/// What a route that may become a job answers: the change done (its usual answer), or
/// a job started (`202 Accepted` with the job's id).
#[derive(Debug)]
pub enum Answer<T> {
    Done(T),
    Started(Accepted),
}

/// Renders an [`Answer`]: `status` with the value, `202` with the job, or the problem.
pub fn respond<T: Serialize>(
    status: http::StatusCode,
    outcome: Result<Answer<T>, crate::ApiError>,
) -> lambda_http::Response<lambda_http::Body> {
    match outcome {
        Ok(Answer::Done(value)) => crate::http::json(status, &value),
        Ok(Answer::Started(accepted)) => crate::http::json(http::StatusCode::ACCEPTED, &accepted),
        Err(err) => err.into_response(),
    }
}

/// Removes the share records of a deleted item, contact or organization: the first [`TIDY_PAGE`] at
/// once, the rest (when there are more) by a job started on behalf of `by`, whose id is
/// returned. The records are invisible already, so the delete is done either way: the
/// caller answers as if all were removed.
#[cfg(all(feature = "sqs", feature = "dynamodb"))]
pub async fn tidy_shares(
    store: &crate::store::Store,
    queue: &JobQueue,
    tenant: TenantId,
    by: &StaffMember,
    of: SharesOf,
) -> Result<Option<JobId>, crate::ApiError> {
    let tidied = store.tidy_shares(tenant, of, TIDY_PAGE).await?;
    if !tidied.more {
        return Ok(None);
    }
    let job = Job::new(JobSpec::SharesTidy { of }, by, 0, OffsetDateTime::now_utc());
    let id = job.id;
    start(store, queue, tenant, job).await?;
    Ok(Some(id))
}

/// Stores a new job and sends its first chunk. A job whose first message could not be
/// sent is stored as failed ("never started"), so `GET /jobs/{jobId}` never shows a job
/// queued forever; the request answers the send's error.
#[cfg(all(feature = "sqs", feature = "dynamodb"))]
pub async fn start(
    store: &crate::store::Store,
    queue: &JobQueue,
    tenant: TenantId,
    job: Job,
) -> Result<Accepted, crate::ApiError> {
    store.create_job(tenant, &job).await?;
    let message = ChunkMessage { tenant_id: tenant, job_id: job.id, step: 0 };
    if let Err(err) = queue.send(&message).await {
        let outcome = ChunkOutcome {
            failures: vec![JobFailure { contact_id: None, item: None, reason: "the job could not be started".into() }],
            ..ChunkOutcome::default()
        };
        if let Err(record) = store.record_chunk(tenant, &job, &outcome, OffsetDateTime::now_utc()).await {
            tracing::warn!(job = %job.id, error = %record, "a job that never started is not marked failed");
        }
        return Err(err);
    }
    tracing::info!(tenant = %tenant, job = %job.id, kind = ?job.kind, "job started");
    Ok(Accepted::of(&job))
}

/// The jobs queue, as the functions that start and continue jobs see it.
#[cfg(feature = "sqs")]
#[derive(Clone, Debug)]
pub struct JobQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

#[cfg(feature = "sqs")]
impl JobQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    /// Sends one chunk of a job.
    pub async fn send(&self, message: &ChunkMessage) -> Result<(), crate::ApiError> {
        let body = serde_json::to_string(message).map_err(|e| crate::ApiError::Internal(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| crate::ApiError::from_sdk("SendMessage", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DocumentId;

    #[test]
    fn a_share_job_numbers_contacts_times_items_and_marks_each_contacts_last_item() {
        let items = [ItemRef::Document(DocumentId::new()), ItemRef::Document(DocumentId::new())];
        let contacts = [ContactId::new(), ContactId::new(), ContactId::new()];
        let units: Vec<_> = (0..7).map(|i| share_unit(&items, &contacts, i)).collect();
        assert_eq!(units[0], Some((contacts[0], items[0], false)));
        assert_eq!(units[1], Some((contacts[0], items[1], true)));
        assert_eq!(units[4], Some((contacts[2], items[0], false)));
        assert_eq!(units[5], Some((contacts[2], items[1], true)));
        assert_eq!(units[6], None, "past the last unit");
        assert_eq!(share_unit(&[], &contacts, 0), None);
    }

    #[test]
    fn chunks_cover_every_unit_once_and_never_exceed_their_size() {
        for total in [0, 1, 24, 25, 26, 100, 101] {
            for size in [1, 4, 25] {
                let mut start = 0;
                let mut seen = 0;
                let mut steps = 0;
                loop {
                    let range = chunk_range(start, total, size);
                    assert!(range.end - range.start <= size as u64);
                    seen += range.end - range.start;
                    steps += 1;
                    if range.end >= total {
                        break;
                    }
                    start = range.end;
                    assert!(steps <= total + 1, "bounded");
                }
                assert_eq!(seen, total, "total {total}, size {size}");
            }
        }
        assert_eq!(chunk_range(5, 3, 4), 3..3, "a start past the end does nothing");
    }

    #[test]
    fn a_job_ends_succeeded_failed_or_partially_failed() {
        assert_eq!(JobStatus::finished(10, 0), JobStatus::Succeeded);
        assert_eq!(JobStatus::finished(0, 0), JobStatus::Succeeded);
        assert_eq!(JobStatus::finished(0, 3), JobStatus::Failed);
        assert_eq!(JobStatus::finished(7, 3), JobStatus::PartiallyFailed);
        assert!(!JobStatus::Running.is_finished() && !JobStatus::Queued.is_finished());
    }

    #[test]
    fn a_job_keeps_a_bounded_list_of_failures() {
        let failure = JobFailure { contact_id: None, item: None, reason: "gone".into() };
        let staff: StaffMember = serde_json::from_value(serde_json::json!({
            "sub": "s", "tenantId": TenantId::new(), "email": "a@b.example", "role": "admin"
        }))
        .unwrap();
        let mut job =
            Job::new(JobSpec::FolderDelete { folder_id: FolderId::new() }, &staff, 0, OffsetDateTime::now_utc());
        let many = vec![failure.clone(); MAX_FAILURES + 5];
        assert_eq!(job.keepable(&many).len(), MAX_FAILURES);
        job.failures = vec![failure; MAX_FAILURES - 2];
        assert_eq!(job.keepable(&many).len(), 2);
        assert_eq!(job.view().failures.len(), MAX_FAILURES - 2);
    }

    #[test]
    fn a_chunk_message_is_its_three_fields_and_nothing_else() {
        let message = ChunkMessage { tenant_id: TenantId::new(), job_id: JobId::new(), step: 3 };
        let text = serde_json::to_string(&message).unwrap();
        assert_eq!(serde_json::from_str::<ChunkMessage>(&text).unwrap(), message);
        assert!(serde_json::from_str::<ChunkMessage>(&text.replace("}", r#","extra":1}"#)).is_err());
    }

    #[test]
    fn a_tidy_job_names_whose_shares_it_removes_as_stored() {
        let folder = FolderId::new();
        let spec = JobSpec::SharesTidy { of: SharesOf::Item { item: ItemRef::Folder(folder) } };
        let stored = serde_json::to_value(&spec).unwrap();
        assert_eq!(stored["kind"], "shares-tidy");
        assert_eq!(stored["of"]["owner"], "item");
        assert_eq!(stored["of"]["item"]["id"], folder.to_string());
        assert_eq!(serde_json::from_value::<JobSpec>(stored).unwrap(), spec);
        for of in [
            SharesOf::Contact { contact_id: ContactId::new() },
            SharesOf::Organization { organization_id: OrganizationId::new() },
        ] {
            let spec = JobSpec::SharesTidy { of };
            let text = serde_json::to_string(&spec).unwrap();
            assert_eq!(serde_json::from_str::<JobSpec>(&text).unwrap(), spec);
            assert_eq!(spec.kind(), JobKind::SharesTidy);
        }
    }

    #[test]
    fn the_offset_cursor_starts_at_zero_and_refuses_anything_else() {
        assert_eq!(offset(None).unwrap(), 0);
        assert_eq!(offset(Some("12")).unwrap(), 12);
        assert!(offset(Some("x")).is_err());
    }
}

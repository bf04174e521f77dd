//! Jobs (`jobs.rs` has the rules): one item per job in the tenant's partition,
//! `JOB#{jobId}`. A chunk's progress is one `UpdateItem` conditional on the step it ran,
//! so a replayed or concurrent delivery of the same chunk records nothing.

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::{Clash, Entity, Store, StoreError, conditional, n, rfc3339, s, sent, to_item, took_effect, value};
use crate::domain::{JobId, TenantId};
use crate::jobs::{ChunkOutcome, Job, JobStatus, KEEP_FINISHED_DAYS};
use crate::keys::{self, PK, SK};

pub const JOB_PREFIX: &str = "JOB#";

pub fn job_sk(job: JobId) -> String {
    format!("{JOB_PREFIX}{job}")
}

impl Store {
    /// Stores a new job (`Exists(Job)` never happens in practice: ids are new).
    pub async fn create_job(&self, tenant: TenantId, job: &Job) -> Result<(), StoreError> {
        let item = to_item(job, &[(PK, keys::tenant_pk(tenant)), (SK, job_sk(job.id))])?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        conditional("PutItem", result, Clash::Exists(Entity::Job)).map(drop)
    }

    /// A job of the tenant, read consistently (a chunk must see the step just recorded).
    pub async fn job(&self, tenant: TenantId, job: JobId) -> Result<Option<Job>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, job_sk(job))))
            .consistent_read(true)
            .send()
            .await;
        sent("GetItem", output)?.item.map(super::from_item).transpose()
    }

    /// Records what the chunk of `job.step` did: moves the step on, adds the counts, keeps
    /// the failures there is room for, and either stores the next cursor or finishes the
    /// job (its status decided by the counts; kept `KEEP_FINISHED_DAYS`). Conditional on
    /// the step still being `job.step`: `false` when another delivery recorded it first.
    pub async fn record_chunk(
        &self,
        tenant: TenantId,
        job: &Job,
        outcome: &ChunkOutcome,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let failed = outcome.failures.len() as u64;
        let kept = serde_dynamo::to_attribute_value(job.keepable(&outcome.failures))
            .map_err(|e| StoreError::internal("serialize failures", e))?;
        let mut update = String::from(
            "SET #step = :next, #status = :status, #done = #done + :done, #failed = #failed + :failed, \
             #total = #total + :discovered, #failures = list_append(if_not_exists(#failures, :empty), :kept)",
        );
        let status = match &outcome.next {
            Some(_) => {
                update.push_str(", #cursor = :cursor");
                JobStatus::Running
            }
            None => {
                update.push_str(", finishedAt = :now, #ttl = :ttl REMOVE #cursor");
                JobStatus::finished(job.done + outcome.done, job.failed + failed)
            }
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, job_sk(job.id))))
            .update_expression(update)
            .condition_expression("attribute_exists(#pk) AND #step = :step")
            .expression_attribute_names("#pk", PK)
            // Every attribute by a placeholder: `total` is one of DynamoDB's reserved words.
            .expression_attribute_names("#step", "step")
            .expression_attribute_names("#done", "done")
            .expression_attribute_names("#failed", "failed")
            .expression_attribute_names("#total", "total")
            .expression_attribute_names("#failures", "failures")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#cursor", "cursor")
            .expression_attribute_values(":step", n(job.step as i64))
            .expression_attribute_values(":next", n(job.step as i64 + 1))
            .expression_attribute_values(":status", value(status)?)
            .expression_attribute_values(":done", n(outcome.done as i64))
            .expression_attribute_values(":failed", n(failed as i64))
            .expression_attribute_values(":discovered", n(outcome.discovered as i64))
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":kept", kept);
        request = match &outcome.next {
            Some(cursor) => request.expression_attribute_values(":cursor", s(cursor)),
            None => request
                .expression_attribute_names("#ttl", keys::TTL_ATTRIBUTE)
                .expression_attribute_values(":now", s(rfc3339(now)))
                .expression_attribute_values(
                    ":ttl",
                    n((now + time::Duration::days(KEEP_FINISHED_DAYS)).unix_timestamp()),
                ),
        };
        took_effect("UpdateItem", request.send().await)
    }
}

impl Store {
    /// Claims the sending of a contact's owed invitation for `seconds`: only one of two
    /// deliveries of a job's chunk running at once sends it. `false`: nothing to send (no
    /// request, sent already, or claimed by another delivery whose claim has not expired).
    /// The sender marks it sent (`mark_invitation_sent`); a failed send's claim expires.
    pub async fn claim_invitation(
        &self,
        tenant: TenantId,
        contact: crate::domain::ContactId,
        now: OffsetDateTime,
        seconds: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::tenant_key(tenant, keys::invitation_request_sk(contact))))
            .update_expression("SET claimedUntil = :until")
            .condition_expression(
                "attribute_exists(#pk) AND attribute_not_exists(sentAt) \
                 AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)",
            )
            .expression_attribute_names("#pk", PK)
            .expression_attribute_values(":until", n(now.unix_timestamp() + seconds))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .send()
            .await;
        took_effect("UpdateItem", result)
    }
}

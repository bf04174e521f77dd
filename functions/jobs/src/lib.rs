//! The `jobs` function: consumes the jobs queue. Each message is one chunk of a bulk
//! change (`portal_shared::jobs`): the job is read, the chunk does at most `chunk_size`
//! units of work, its progress is recorded with a conditional update on the step, and the
//! next chunk is enqueued. A chunk delivered again (SQS redelivery, a retry after a lost
//! answer) finds the step moved on and changes nothing; each unit of work is idempotent on
//! its own, so even two deliveries of the same chunk running at once create no second
//! share, event or invitation. Only the records that failed are reported back, so SQS
//! retries those and, after the configured receives, moves them to the dead-letter queue.

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use portal_shared::config::{self, ConfigError};
use portal_shared::invitations::Inviter;
use portal_shared::jobs::{ChunkMessage, ChunkOutcome, Job, JobQueue, JobSpec};
use portal_shared::mail::Mailer;
use portal_shared::queue::NotificationQueue;
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};
use time::OffsetDateTime;

mod access;
mod folders;
mod organizations;
mod share;
mod tidy;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). The SQS event source mapping polls the queue with the
/// function's role (ReceiveMessage, DeleteMessage, GetQueueAttributes).
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:BatchWriteItem",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
    "ses:SendEmail",
    "cognito-idp:AdminUserGlobalSignOut",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];

/// What happened to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// The chunk ran and its progress was recorded (the next one enqueued, if any).
    Recorded,
    /// Another delivery recorded this step first, or the job moved past it, finished, or
    /// is gone: nothing was counted.
    Skipped,
}

pub struct App {
    store: Store,
    inviter: Inviter,
    notifier: portal_shared::notify::Notifier,
    notifications: NotificationQueue,
    jobs: JobQueue,
    storage: portal_shared::storage::Storage,
    cognito: aws::OnFirstUse<aws_sdk_cognitoidentityprovider::Client>,
    customer_pool_id: String,
    share_email_window_seconds: i64,
    chunk_size: usize,
}

impl App {
    pub fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        let store = Store::new(aws::dynamodb_client(sdk), config::required(env, config::TABLE_NAME)?);
        let mailer = Mailer::new(sdk, config::required(env, config::SENDER_EMAIL)?);
        let public_url = config::required(env, config::PUBLIC_URL)?;
        Ok(Self {
            inviter: Inviter::new(store.clone(), mailer.clone(), public_url.clone()),
            notifier: portal_shared::notify::Notifier::new(store.clone(), mailer, public_url),
            notifications: NotificationQueue::new(
                aws::sqs_client(sdk),
                config::required(env, config::NOTIFICATIONS_QUEUE_URL)?,
            ),
            jobs: JobQueue::new(aws::sqs_client(sdk), config::required(env, config::JOBS_QUEUE_URL)?),
            storage: portal_shared::storage::Storage::new(
                aws::s3_client(sdk),
                config::required(env, config::DOCUMENTS_BUCKET)?,
            ),
            cognito: aws::OnFirstUse::new(sdk, aws::cognito_client),
            customer_pool_id: config::required(env, config::CUSTOMER_USER_POOL_ID)?,
            share_email_window_seconds: config::optional(
                env,
                config::SHARE_EMAIL_WINDOW_SECONDS,
                config::DEFAULT_SHARE_EMAIL_WINDOW_SECONDS,
            )?,
            chunk_size: config::optional(env, config::JOBS_CHUNK_SIZE, portal_shared::jobs::DEFAULT_CHUNK_SIZE)?,
            store,
        })
    }

    /// Entry point: an SQS batch; only the records that failed are reported back.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let cap = portal_shared::route_caps::jobs_record_cap(self.chunk_size);
        portal_shared::batch::process_json_capped(event, "a job chunk", cap, |message| self.process(message)).await
    }

    /// What the Lambda runtime does with a JSON payload: deserialized into an [`SqsEvent`]
    /// (anything else fails the invocation), handled, the response serialized.
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, lambda_runtime::Error> {
        let event: SqsEvent = serde_json::from_value(payload)?;
        Ok(serde_json::to_value(self.handle(event).await)?)
    }

    /// Runs one chunk, once.
    pub async fn process(&self, message: ChunkMessage) -> Result<Ran, ApiError> {
        portal_shared::telemetry::record_tenant(message.tenant_id);
        let Some(job) = self.store.job(message.tenant_id, message.job_id).await? else {
            tracing::warn!(job = %message.job_id, "no such job");
            return Ok(Ran::Skipped);
        };
        if job.status.is_finished() || job.step != message.step {
            if job.step == message.step + 1 && !job.status.is_finished() {
                // The step was recorded but its successor may never have been sent (the
                // send failed after the update): send it again. A duplicate is harmless.
                self.jobs.send(&ChunkMessage { step: job.step, ..message }).await?;
            }
            return Ok(Ran::Skipped);
        }
        let outcome = self.run_chunk(message, &job).await?;
        let now = OffsetDateTime::now_utc();
        if !self.store.record_chunk(message.tenant_id, &job, &outcome, now).await? {
            // Another delivery of this chunk recorded it first (and enqueues the next).
            return Ok(Ran::Skipped);
        }
        tracing::info!(
            job = %job.id, step = job.step, done = outcome.done, failed = outcome.failures.len(),
            finished = outcome.next.is_none(), "job chunk recorded"
        );
        if outcome.next.is_some() {
            self.jobs.send(&ChunkMessage { step: job.step + 1, ..message }).await?;
        }
        Ok(Ran::Recorded)
    }

    /// The chunk's work, by the job's kind. A unit that fails for a reason of its own (a
    /// deleted item or contact) is a failure of the job; an error of the store or a
    /// service fails the message, which SQS delivers again.
    async fn run_chunk(&self, message: ChunkMessage, job: &Job) -> Result<ChunkOutcome, ApiError> {
        let tenant = message.tenant_id;
        let cursor = job.cursor.as_deref();
        match &job.spec {
            JobSpec::Share { items, contacts, organization_id, available_until } => {
                self.share_chunk(tenant, job, items, contacts, *organization_id, *available_until, cursor).await
            }
            JobSpec::OrganizationUnshare { organization_id, items } => {
                self.organization_unshare_chunk(tenant, job, *organization_id, items, cursor).await
            }
            JobSpec::Membership { contact_id, organization_id, joined } => {
                self.membership_chunk(tenant, job, *contact_id, *organization_id, *joined, cursor).await
            }
            JobSpec::OrganizationAccess { organization_id, open } => {
                self.organization_access_chunk(tenant, job, *organization_id, *open, cursor).await
            }
            JobSpec::FolderDelete { folder_id } => self.folder_delete_chunk(tenant, job, *folder_id, cursor).await,
            JobSpec::SharesTidy { of } => self.shares_tidy_chunk(tenant, *of).await,
        }
    }
}

impl portal_shared::function::EventFunction for App {
    const NAME: &'static str = "jobs";
    type Event = SqsEvent;
    type Answer = SqsBatchResponse;

    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::configure(sdk, &config::ProcessEnv)
    }

    async fn serve(&self, event: SqsEvent) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        Ok(self.handle(event).await)
    }
}

#[cfg(test)]
mod properties;

//! The `notifications` function: consumes the notifications queue. A share batch message
//! arrives once the batch's window has passed; the oldest page of the batch is emailed as
//! one message (if the customer wants it), and a delivery that leaves more pending is
//! reported failed, so SQS delivers it again for the next page. Only the records that failed are reported back, so SQS retries
//! those and, after the configured attempts, moves them to the dead-letter queue.

use aws_config::SdkConfig;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use portal_shared::config::{self, ConfigError};
use portal_shared::mail::Mailer;
use portal_shared::model::NotificationMessage;
use portal_shared::notify::{Notifier, Sent};
use portal_shared::store::Store;
use portal_shared::{ApiError, aws};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). The SQS event source mapping polls the queue with the
/// function's role (ReceiveMessage, DeleteMessage, GetQueueAttributes).
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "ses:SendEmail",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
];

pub struct App {
    notifier: Notifier,
    share_email_window_seconds: i64,
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        sender: impl Into<String>,
        public_url: impl Into<String>,
        share_email_window_seconds: i64,
    ) -> Self {
        let store = Store::new(aws::dynamodb_client(sdk), table);
        let notifier = Notifier::new(store, Mailer::new(sdk, sender), public_url);
        Self { notifier, share_email_window_seconds }
    }

    pub fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::SENDER_EMAIL)?,
            config::required(env, config::PUBLIC_URL)?,
            config::optional(env, config::SHARE_EMAIL_WINDOW_SECONDS, config::DEFAULT_SHARE_EMAIL_WINDOW_SECONDS)?,
        ))
    }

    /// The same function naming at most `count` shares per email (the default is
    /// `notify::SHARES_PER_EMAIL`): tests page through a batch with a few shares.
    pub fn with_shares_per_email(mut self, count: usize) -> Self {
        self.notifier = self.notifier.with_shares_per_email(count);
        self
    }

    /// [`configure`](Self::configure) from the process environment, as on Lambda.
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::configure(sdk, &config::ProcessEnv)
    }

    /// Entry point: an SQS batch; only the records that failed are reported back.
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        portal_shared::batch::process_json_capped(
            event,
            "a notification message",
            portal_shared::route_caps::NOTIFICATIONS_RECORD_CAP,
            |message| self.process(message),
        )
        .await
    }

    /// What the Lambda runtime does with a JSON payload: deserialized into an [`SqsEvent`]
    /// (anything else fails the invocation), handled, the response serialized.
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, lambda_runtime::Error> {
        let event: SqsEvent = serde_json::from_value(payload)?;
        Ok(serde_json::to_value(self.handle(event).await)?)
    }

    pub async fn process(&self, message: NotificationMessage) -> Result<Sent, ApiError> {
        match message {
            NotificationMessage::Shares { tenant_id, contact_id } => {
                portal_shared::telemetry::record_tenant(tenant_id);
                self.notifier.shares_due(tenant_id, contact_id, self.share_email_window_seconds).await
            }
        }
    }
}

impl portal_shared::function::EventFunction for App {
    const NAME: &'static str = "notifications";
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

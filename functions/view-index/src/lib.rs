//! The `view-index` function: maintains the customers' view index (`portal_shared::view`)
//! from the table's stream. Each record names the pairs (contact, document) a change
//! concerns (`view::change_of_record`); each pair is recomputed from the truth, which is
//! idempotent and order-insensitive, so a replayed, reordered or retried batch converges.
//!
//! Partial batch failures as Lambda's DynamoDB event source expects them: records are
//! processed in order, and the first that fails is reported by its sequence number (the
//! event source retries from it, bisecting the batch, then sends what still fails to the
//! on-failure destination). Records of one batch that ask for the same work are served
//! once: the recompute reads the truth as it is when it runs, after every record of it.

use aws_config::SdkConfig;
use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use portal_shared::config::{self, ConfigError};
use portal_shared::store::Store;
use portal_shared::view::{self, Change};
use portal_shared::{ApiError, aws};
use time::OffsetDateTime;
use tracing::Instrument;

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares). The event source mapping reads the stream with the function's
/// role (DescribeStream, GetRecords, GetShardIterator, ListStreams), and sends what fails every
/// retry to the on-failure destination with it (SendMessage).
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
    "sqs:SendMessage",
];

pub struct App {
    store: Store,
}

impl App {
    pub fn new(sdk: &SdkConfig, table: impl Into<String>) -> Self {
        Self { store: Store::new(aws::dynamodb_client(sdk), table) }
    }

    pub fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required(env, config::TABLE_NAME)?))
    }

    /// Entry point: a batch of stream records; the first that failed is reported back.
    pub async fn handle(&self, event: Event) -> DynamoDbEventResponse {
        let mut done: Vec<Change> = Vec::new();
        let mut failures = Vec::new();
        for record in event.records {
            let sequence = record.change.sequence_number.clone().unwrap_or_default();
            let span = tracing::info_span!("record", sequence = %sequence, tenant_id = tracing::field::Empty);
            let outcome = async {
                let change =
                    view::change_of_record(&record.change.keys, &record.change.old_image, &record.change.new_image)
                        .map_err(|e| ApiError::Malformed(format!("not an item of its kind: {e}")))?;
                match change {
                    Some(change) if !done.contains(&change) => {
                        let pairs = view::apply(&self.store, &change, OffsetDateTime::now_utc()).await?;
                        tracing::debug!(pairs, ?change, "view index recomputed");
                        done.push(change);
                        Ok::<_, ApiError>(())
                    }
                    _ => Ok(()),
                }
            }
            .instrument(span.clone())
            .await;
            if let Err(err) = outcome {
                span.in_scope(|| tracing::warn!(error = %err, "record failed; the stream delivers it again"));
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(sequence);
                failures.push(failure);
                // The event source retries from this record on: the later ones come again.
                break;
            }
        }
        let mut response = DynamoDbEventResponse::default();
        response.batch_item_failures = failures;
        response
    }

    /// What the Lambda runtime does with a JSON payload: deserialized into a stream [`Event`]
    /// (anything else fails the invocation), handled, the response serialized.
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<serde_json::Value, lambda_runtime::Error> {
        let event: Event = serde_json::from_value(payload)?;
        Ok(serde_json::to_value(self.handle(event).await)?)
    }
}

impl portal_shared::function::EventFunction for App {
    const NAME: &'static str = "view-index";
    type Event = Event;
    type Answer = DynamoDbEventResponse;

    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::configure(sdk, &config::ProcessEnv)
    }

    async fn serve(&self, event: Event) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
        Ok(self.handle(event).await)
    }
}

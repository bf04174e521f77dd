//! SQS batches as Lambda's event source mapping delivers them: each record is processed,
//! and only the ones that failed are reported back (partial batch failure), so SQS retries
//! those alone and moves them to the dead-letter queue after the configured receives.

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use tracing::Instrument;

use crate::error::ApiError;
use crate::telemetry::clip;

/// Runs `process` on each record's body, in a `message` span (its id, and the tenant once
/// `process` records it: `telemetry::record_tenant`); the response lists the records that
/// failed.
pub async fn process_records<F, Fut, T>(event: SqsEvent, mut process: F) -> SqsBatchResponse
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut failures = Vec::new();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %clip(&id), tenant_id = tracing::field::Empty);
        if let Err(err) = process(message.body.unwrap_or_default()).instrument(span.clone()).await {
            // The error may quote the body (a serde message names the offending value).
            span.in_scope(|| {
                tracing::warn!(error = %clip(&err.to_string()), "record failed; SQS will deliver it again");
            });
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    response
}

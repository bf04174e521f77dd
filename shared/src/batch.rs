//! SQS batches as Lambda's event source mapping delivers them: each record is processed,
//! and only the ones that failed are reported back (partial batch failure), so SQS retries
//! those alone and moves them to the dead-letter queue after the configured receives.
//!
//! The one helper every queue consumer uses. Unlike `SqsEventObj<T>`, which parses every
//! body while deserializing the batch, a body that does not parse fails its own record
//! only, never its neighbours.

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::de::DeserializeOwned;
use tracing::Instrument;

use crate::error::ApiError;
use crate::telemetry::clip;

/// Runs `process` on each record's body, in a `message` span (its id, and the tenant once
/// `process` records it: `telemetry::record_tenant`), each within
/// [`DEFAULT_RECORD_CAP`](crate::route_caps::DEFAULT_RECORD_CAP) AWS requests; the response
/// lists the records that failed.
pub async fn process_records<F, Fut, T>(event: SqsEvent, process: F) -> SqsBatchResponse
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    process_records_capped(event, crate::route_caps::DEFAULT_RECORD_CAP, process).await
}

/// [`process_records`] with each record allowed at most `cap` AWS requests
/// (`metering::capped`): a record that needs more fails alone (503
/// `request-budget-exceeded`), so SQS delivers it again and, at last, dead-letters it; what
/// it committed before stays, so an idempotent consumer continues where it stopped.
pub async fn process_records_capped<F, Fut, T>(event: SqsEvent, cap: u32, mut process: F) -> SqsBatchResponse
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut failures = Vec::new();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %clip(&id), tenant_id = tracing::field::Empty);
        // Boxed: a consumer's future is large in debug builds, and the test threads' stacks small.
        let processed =
            crate::metering::capped("queue record", cap, Box::pin(process(message.body.unwrap_or_default())));
        if let Err(err) = processed.instrument(span.clone()).await {
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

/// [`process_records`] with each body read as JSON of `M` first: a body that is not one
/// fails as `Malformed` ("not {what}: …"), that record only.
pub async fn process_json<M, F, Fut, T>(event: SqsEvent, what: &'static str, process: F) -> SqsBatchResponse
where
    M: DeserializeOwned,
    F: FnMut(M) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    process_json_capped(event, what, crate::route_caps::DEFAULT_RECORD_CAP, process).await
}

/// [`process_json`] with each record allowed at most `cap` AWS requests (see
/// [`process_records_capped`]).
pub async fn process_json_capped<M, F, Fut, T>(
    event: SqsEvent,
    what: &'static str,
    cap: u32,
    mut process: F,
) -> SqsBatchResponse
where
    M: DeserializeOwned,
    F: FnMut(M) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    process_records_capped(event, cap, |body| {
        let message = serde_json::from_str::<M>(&body).map_err(|e| ApiError::Malformed(format!("not {what}: {e}")));
        let processed = message.map(&mut process);
        async move { processed?.await }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsMessage;

    #[derive(serde::Deserialize)]
    struct Work {
        fail: bool,
    }

    fn event(bodies: &[&str]) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let mut message = SqsMessage::default();
                message.message_id = Some(format!("m-{i}"));
                message.body = Some((*body).to_owned());
                message
            })
            .collect();
        event
    }

    #[test]
    fn only_the_records_that_fail_or_do_not_parse_are_reported_and_every_other_is_processed() {
        let bodies = [r#"{"fail":false}"#, r#"{"fail":true}"#, "not json", r#"{"fail":false}"#, r#"{"other":1}"#];
        let mut processed = 0;
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let response = runtime.block_on(process_json(event(&bodies), "work", |work: Work| {
            processed += 1;
            async move { if work.fail { Err(ApiError::Unavailable) } else { Ok(()) } }
        }));
        let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        assert_eq!(failed, ["m-1", "m-2", "m-4"]);
        assert_eq!(processed, 3, "the bodies that parse are processed, the others are not");
    }
}

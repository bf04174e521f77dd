//! Property tests of the queue message parsing: arbitrary SQS batches never panic the
//! handler, and no record is dropped silently. A body that is not a chunk message is
//! refused (reported as failed, so SQS retries it and then dead-letters it); in this test a
//! well-formed message fails too, as its table is unreachable, so every record of a
//! well-formed batch must come back as a failure.

use portal_test_support as support;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::App;

const FIELDS: &[&str] = &["tenantId", "jobId", "step", "Records", "body", "messageId", "eventSource"];

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => (support::uuid_text(), support::uuid_text(), any::<i64>())
            .prop_map(|(tenant, job, step)| json!({ "tenantId": tenant, "jobId": job, "step": step }).to_string()),
        2 => support::json_value(FIELDS).prop_map(|v| v.to_string()),
        1 => support::any_text(),
    ]
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

/// The function with clients that fail at once: nothing listens on the endpoint and
/// retries are off.
fn app() -> &'static App {
    static APP: std::sync::OnceLock<App> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let sdk = runtime().block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-east-1"))
                .endpoint_url("http://127.0.0.1:9")
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .no_credentials()
                .load(),
        );
        let env: std::collections::BTreeMap<String, String> = [
            ("TABLE_NAME", "t"),
            ("SENDER_EMAIL", "s@example.com"),
            ("PUBLIC_URL", "http://127.0.0.1:9"),
            ("NOTIFICATIONS_QUEUE_URL", "http://127.0.0.1:9/q"),
            ("JOBS_QUEUE_URL", "http://127.0.0.1:9/j"),
            ("DOCUMENTS_BUCKET", "b"),
            ("CUSTOMER_USER_POOL_ID", "p"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        App::configure(&sdk, &env).unwrap()
    })
}

fn event() -> impl Strategy<Value = Value> {
    let message = (body(), support::any_text()).prop_map(
        |(body, id)| json!({ "messageId": id, "body": body, "eventSource": "aws:sqs", "awsRegion": "us-east-1" }),
    );
    prop_oneof![
        4 => prop::collection::vec(message, 0..4).prop_map(|records| json!({ "Records": records })),
        1 => support::json_value(FIELDS),
    ]
}

proptest! {
    #[test]
    fn no_record_of_a_batch_is_dropped_silently(event in event()) {
        let outcome = runtime().block_on(app().invoke(event.clone()));
        if let Ok(response) = outcome {
            prop_assert_eq!(support::failed_items(&response), support::message_ids(&event, |_| true));
        }
    }
}

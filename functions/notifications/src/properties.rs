//! Property tests of the queue message parsing: arbitrary SQS batches never panic the
//! handler, and no record is dropped silently. A body that is not a notification message is
//! refused (reported as failed, so SQS retries it and then dead-letters it); in this test a
//! well-formed message fails too, as its table is unreachable, so every record of a
//! well-formed batch must come back as a failure.

use portal_test_support as support;

use portal_shared::model::NotificationMessage;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::App;

const FIELDS: &[&str] = &["kind", "tenantId", "contactId", "Records", "body", "messageId", "eventSource"];

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => (support::uuid_text(), support::uuid_text(), prop::sample::select(vec!["shares", "Shares", "other"]))
            .prop_map(|(tenant, contact, kind)| json!({ "kind": kind, "tenantId": tenant, "contactId": contact }).to_string()),
        2 => support::json_value(FIELDS).prop_map(|v| v.to_string()),
        1 => support::any_text(),
    ]
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
        App::new(&sdk, "table", "sender@example.com", "http://127.0.0.1", 60)
    })
}

proptest! {
    #[test]
    fn messages_parse_or_are_refused(body in body()) {
        if let Ok(message) = serde_json::from_str::<NotificationMessage>(&body) {
            let back = serde_json::to_string(&message).unwrap();
            prop_assert_eq!(serde_json::from_str::<NotificationMessage>(&back).unwrap(), message);
        }
    }

    #[test]
    fn no_record_of_a_batch_is_dropped_silently(event in event()) {
        let outcome = runtime().block_on(app().invoke(event.clone()));
        if let Ok(response) = outcome {
            prop_assert_eq!(support::failed_items(&response), support::message_ids(&event, |_| true));
        }
    }
}

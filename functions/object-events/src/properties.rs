//! Property tests of the S3 event parsing: arbitrary JSON (direct S3 notifications, SQS
//! batches, anything else) never panics the handler; only `ObjectCreated:*` records yield
//! objects; an object key names no tenant but the one it literally starts with, however it
//! is URL-encoded; and keys outside ours are ignored before any AWS call.

use portal_test_support as support;

use proptest::prelude::*;
use serde_json::{Value, json};

use portal_shared::object_key::ObjectKey;

use super::App;
use super::notification::Notification;

const FIELDS: &[&str] = &[
    "Records",
    "eventName",
    "eventSource",
    "s3",
    "bucket",
    "name",
    "object",
    "key",
    "size",
    "messageId",
    "body",
    "Service",
    "Event",
];

/// A bucket name the generated events never use, so the handler under test makes no AWS
/// call (every object is "another bucket" to it).
const BUCKET: &str = "bucket-under-test";

fn encoded_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => support::key_text(),
        1 => (support::key_text(), any::<bool>()).prop_map(|(key, upper)| support::encode_all(&key, upper)),
        1 => support::key_text().prop_map(|key| key.replace('/', "%2F").replace(' ', "+")),
        1 => support::hostile_string(),
    ]
}

fn record() -> impl Strategy<Value = Value> {
    let event_name = prop_oneof![3 => Just("ObjectCreated:Put".to_owned()), 1 => Just("ObjectRemoved:Delete".to_owned()), 1 => support::any_text()];
    let bucket = prop_oneof![Just("docs".to_owned()), support::any_text()];
    let version = prop_oneof![2 => Just(None), 1 => "[A-Za-z0-9._+/=-]{1,40}".prop_map(Some), 1 => support::any_text().prop_map(Some)];
    (event_name, bucket, encoded_key(), version, support::json_value(FIELDS)).prop_map(
        |(name, bucket, key, version, extra)| {
            let mut record =
                json!({ "eventName": name, "s3": { "bucket": { "name": bucket }, "object": { "key": key } } });
            if let Some(version) = version {
                record["s3"]["object"]["versionId"] = json!(version);
            }
            if let (Value::Object(record), Value::Object(extra)) = (&mut record, extra) {
                for (field, value) in extra.into_iter().filter(|(field, _)| field.as_str() != "s3") {
                    record.entry(field).or_insert(value);
                }
            }
            record
        },
    )
}

fn notification() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::collection::vec(record(), 0..4).prop_map(|records| json!({ "Records": records })),
        1 => support::json_value(FIELDS),
    ]
}

/// The event a function gets: a direct notification, or an SQS batch of them (some bodies
/// not JSON at all).
fn event() -> impl Strategy<Value = Value> {
    let body = prop_oneof![3 => notification().prop_map(|n| n.to_string()), 1 => support::any_text()];
    let message = (body, support::any_text()).prop_map(|(body, id)| {
        json!({ "messageId": id, "body": body, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:0:q", "awsRegion": "us-east-1" })
    });
    prop_oneof![
        2 => notification(),
        2 => prop::collection::vec(message, 1..4).prop_map(|records| json!({ "Records": records })),
        1 => support::json_value(FIELDS),
    ]
}

fn app() -> &'static App {
    static APP: std::sync::OnceLock<App> = std::sync::OnceLock::new();
    APP.get_or_init(|| {
        let sdk = runtime().block_on(
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .region(aws_config::Region::new("us-east-1"))
                .endpoint_url("http://127.0.0.1:9")
                .no_credentials()
                .load(),
        );
        App::new(&sdk, "table", BUCKET, "sender@example.com", "http://127.0.0.1")
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

proptest! {
    #[test]
    fn created_objects_come_only_from_created_records(value in notification()) {
        if let Ok(notification) = serde_json::from_value::<Notification>(value.clone()) {
            let created = notification.created_objects();
            let records = value["Records"].as_array().cloned().unwrap_or_default();
            let expected: Vec<&Value> = records
                .iter()
                .filter(|r| r["eventName"].as_str().is_some_and(|n| n.starts_with("ObjectCreated:")))
                .collect();
            prop_assert_eq!(created.len(), expected.len());
            for (object, record) in created.iter().zip(expected) {
                prop_assert_eq!(Some(object.bucket.as_str()), record["s3"]["bucket"]["name"].as_str());
                prop_assert_eq!(Some(object.encoded_key.as_str()), record["s3"]["object"]["key"].as_str());
                // A version id is kept when it is one, dropped otherwise (never a failure).
                let version = record["s3"]["object"]["versionId"].as_str().and_then(|v| v.parse::<portal_shared::domain::ObjectVersion>().ok());
                prop_assert_eq!(&object.version, &version);
                // The key names its literal tenant, or none at all.
                if let Ok(key) = ObjectKey::from_event_key(&object.encoded_key) {
                    let plus = object.encoded_key.replace('+', " ");
                    let decoded = percent_encoding_decode(&plus);
                    prop_assert_eq!(decoded, Some(key.to_string()));
                }
            }
        }
    }

    #[test]
    fn the_handler_never_panics_and_touches_nothing_outside_its_bucket(event in event()) {
        let from_sqs = event["Records"][0]["eventSource"] == "aws:sqs";
        let outcome = runtime().block_on(app().invoke(event.clone()));
        if from_sqs {
            // Well-formed batches: only the bodies that are not S3 notifications fail
            // (retried, then dead-lettered); nothing else is reported.
            if let Ok(response) = outcome {
                let expected = support::message_ids(&event, |r| {
                    serde_json::from_str::<Notification>(r["body"].as_str().unwrap_or_default()).is_err()
                });
                prop_assert_eq!(support::failed_items(&response), expected);
            }
        } else if serde_json::from_value::<Notification>(event).is_ok() {
            // Every object is in another bucket: ignored, so the invocation succeeds.
            prop_assert!(outcome.is_ok());
        }
    }
}

fn percent_encoding_decode(text: &str) -> Option<String> {
    let mut bytes = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (first, tail) {
            (b'%', [hi, lo, tail @ ..]) if hex(*hi).is_some() && hex(*lo).is_some() => {
                bytes.push((hex(*hi).unwrap() * 16 + hex(*lo).unwrap()) as u8);
                rest = tail;
            }
            _ => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    String::from_utf8(bytes).ok()
}

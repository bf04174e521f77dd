//! The events this function is invoked with: S3 notifications through SQS (the deployed
//! path: Lambda's event source mapping), or an S3 notification directly (`sam local
//! invoke` with the samples in `events/`). Both have `Records`; an SQS batch's records say
//! `"eventSource": "aws:sqs"`.
//!
//! The S3 notification itself is [`Notification`], read leniently rather than as
//! `aws_lambda_events::s3::S3Event`: that type requires `eventTime`, `userIdentity` and
//! `requestParameters` in every record, which moto leaves out (and `Records`, which S3's
//! `s3:TestEvent` has not), so every local notification would fail.

use aws_lambda_events::sqs::SqsEvent;
use serde::{Deserialize, Deserializer};

use crate::notification::Notification;

#[derive(Debug)]
pub enum Event {
    /// A batch from the queue: each body is an S3 notification.
    Queue(SqsEvent),
    /// An S3 notification, invoked directly.
    Direct(Notification),
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Both shapes are `{"Records": [...]}`: the first record's source tells them apart.
        let value = serde_json::Value::deserialize(deserializer)?;
        let from_sqs = value["Records"][0]["eventSource"] == "aws:sqs";
        let event = if from_sqs {
            serde_json::from_value(value).map(Event::Queue)
        } else {
            serde_json::from_value(value).map(Event::Direct)
        };
        event.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_from_the_queue_and_a_direct_notification_are_told_apart() {
        let batch = r#"{"Records":[{"messageId":"m","body":"{}","eventSource":"aws:sqs"}]}"#;
        let Event::Queue(batch) = serde_json::from_str(batch).unwrap() else { panic!("a batch") };
        assert_eq!(batch.records[0].message_id.as_deref(), Some("m"));
        let direct = r#"{"Records":[{"eventName":"ObjectCreated:Put","eventSource":"aws:s3",
            "s3":{"bucket":{"name":"docs"},"object":{"key":"k"}}}]}"#;
        let Event::Direct(notification) = serde_json::from_str(direct).unwrap() else { panic!("direct") };
        assert_eq!(notification.created_objects().len(), 1);
        assert!(serde_json::from_str::<Event>(r#"{"Records":[{"eventSource":"aws:sqs","body":7}]}"#).is_err());
    }
}

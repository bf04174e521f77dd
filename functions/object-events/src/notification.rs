//! The S3 event notification, read leniently: only the fields this function needs. (The
//! `aws_lambda_events` S3 types require fields that emulators omit, such as `userIdentity`.)

use serde::Deserialize;

#[derive(Debug, Deserialize, Default)]
pub struct Notification {
    /// Absent in the `s3:TestEvent` S3 sends when a notification is configured.
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(default)]
    event_name: String,
    s3: Entity,
}

#[derive(Debug, Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Debug, Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Object {
    key: String,
}

/// One created object, with its key still URL-encoded as S3 sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    pub bucket: String,
    pub encoded_key: String,
}

impl Notification {
    pub fn created_objects(&self) -> Vec<ObjectCreated> {
        self.records
            .iter()
            .filter(|r| r.event_name.starts_with("ObjectCreated:"))
            .map(|r| ObjectCreated { bucket: r.s3.bucket.name.clone(), encoded_key: r.s3.object.key.clone() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_events_carry_no_objects() {
        let n: Notification =
            serde_json::from_str(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"docs"}"#).unwrap();
        assert!(n.created_objects().is_empty());
    }

    #[test]
    fn created_objects_are_read_and_other_events_skipped() {
        let body = r#"{"Records":[
            {"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"docs"},"object":{"key":"tenants%2Fa","size":5}}},
            {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"docs"},"object":{"key":"x"}}}]}"#;
        let n: Notification = serde_json::from_str(body).unwrap();
        assert_eq!(
            n.created_objects(),
            vec![ObjectCreated { bucket: "docs".into(), encoded_key: "tenants%2Fa".into() }]
        );
    }
}

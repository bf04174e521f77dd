//! The S3 event notification, read leniently: only the fields this function needs. (The
//! `aws_lambda_events` S3 types require fields that emulators omit, such as `userIdentity`.)

use portal_shared::domain::ObjectVersion;
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
#[serde(rename_all = "camelCase")]
struct Object {
    key: String,
    /// S3 sends it for an object in a versioned bucket (moto does not). Read as text: a
    /// value that is not a version id is dropped, not a failure of the whole message.
    #[serde(default)]
    version_id: Option<String>,
}

/// One created object, with its key still URL-encoded as S3 sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    pub bucket: String,
    pub encoded_key: String,
    /// The version this event is about, when the notification names one (S3 does for a
    /// versioned bucket); `None`: the key's current version is the one to look at.
    pub version: Option<ObjectVersion>,
}

impl ObjectCreated {
    /// An event without a version id (as moto sends them, and as tests build them).
    pub fn new(bucket: impl Into<String>, encoded_key: impl Into<String>) -> Self {
        Self { bucket: bucket.into(), encoded_key: encoded_key.into(), version: None }
    }
}

impl Notification {
    pub fn created_objects(&self) -> Vec<ObjectCreated> {
        self.records
            .iter()
            .filter(|r| r.event_name.starts_with("ObjectCreated:"))
            .map(|r| ObjectCreated {
                bucket: r.s3.bucket.name.clone(),
                encoded_key: r.s3.object.key.clone(),
                version: r.s3.object.version_id.as_deref().and_then(|v| v.parse().ok()),
            })
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
        assert_eq!(n.created_objects(), vec![ObjectCreated::new("docs", "tenants%2Fa")]);
    }

    #[test]
    fn the_version_id_is_read_when_s3_sends_one_and_dropped_when_it_is_not_one() {
        let body = r#"{"Records":[
            {"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"docs"},"object":{"key":"a","versionId":"3/L4kqtJlcpX"}}},
            {"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"docs"},"object":{"key":"b","versionId":"not one"}}}]}"#;
        let n: Notification = serde_json::from_str(body).unwrap();
        let versions: Vec<_> = n.created_objects().into_iter().map(|o| o.version.map(String::from)).collect();
        assert_eq!(versions, vec![Some("3/L4kqtJlcpX".to_owned()), None]);
    }
}

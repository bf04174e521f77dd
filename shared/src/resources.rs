//! The AWS resources the system needs, as data. The local provisioning creates exactly
//! these, and a test checks `infra/template.yaml` declares the same (so local and deployed
//! never drift).

use crate::keys;

/// The single DynamoDB table: string keys everywhere, three overloaded GSIs (the third for the view index).
pub struct TableSpec {
    pub partition_key: &'static str,
    pub sort_key: &'static str,
    pub indexes: &'static [IndexSpec],
    pub ttl_attribute: &'static str,
    /// The table's stream (`StreamViewType`): the customer's view index is maintained from it.
    pub stream_view_type: &'static str,
}

pub struct IndexSpec {
    pub name: &'static str,
    pub partition_key: &'static str,
    pub sort_key: &'static str,
}

pub const TABLE: TableSpec = TableSpec {
    partition_key: keys::PK,
    sort_key: keys::SK,
    indexes: &[
        IndexSpec { name: keys::GSI1, partition_key: keys::GSI1_PK, sort_key: keys::GSI1_SK },
        IndexSpec { name: keys::GSI2, partition_key: keys::GSI2_PK, sort_key: keys::GSI2_SK },
        IndexSpec { name: keys::GSI3, partition_key: keys::GSI3_PK, sort_key: keys::GSI3_SK },
    ],
    ttl_attribute: keys::TTL_ATTRIBUTE,
    stream_view_type: "NEW_AND_OLD_IMAGES",
};

/// The S3 → SQS notification queue feeding the object-events function.
pub struct QueueSpec {
    pub visibility_timeout_seconds: u32,
    /// After this many failed receives a message moves to the dead-letter queue.
    pub max_receive_count: u32,
}

pub const OBJECT_EVENTS_QUEUE: QueueSpec = QueueSpec { visibility_timeout_seconds: 60, max_receive_count: 5 };

/// The notifications queue feeding the notifications function (share batches).
pub const NOTIFICATIONS_QUEUE: QueueSpec = QueueSpec { visibility_timeout_seconds: 60, max_receive_count: 5 };

/// The jobs queue feeding the jobs function (one message per chunk of a bulk change).
pub const JOBS_QUEUE: QueueSpec = QueueSpec { visibility_timeout_seconds: 60, max_receive_count: 5 };

/// Only these S3 events reach the queue.
pub const DOCUMENT_EVENTS: &[&str] = &["s3:ObjectCreated:*"];

/// A Cognito user pool: email is the username, and its app client allows password and
/// refresh-token auth and never reveals whether a user exists.
pub struct UserPoolSpec {
    pub logical_name: &'static str,
    pub groups: &'static [&'static str],
    pub password_min_length: u32,
    pub auth_flows: &'static [&'static str],
    pub prevent_user_existence_errors: &'static str,
}

const AUTH_FLOWS: &[&str] = &["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];

pub const STAFF_POOL: UserPoolSpec = UserPoolSpec {
    logical_name: "StaffUserPool",
    groups: &["admin", "member", "viewer"],
    password_min_length: 12,
    auth_flows: AUTH_FLOWS,
    prevent_user_existence_errors: "ENABLED",
};

pub const CUSTOMER_POOL: UserPoolSpec = UserPoolSpec {
    logical_name: "CustomerUserPool",
    groups: &["customer"],
    password_min_length: 10,
    auth_flows: AUTH_FLOWS,
    prevent_user_existence_errors: "ENABLED",
};

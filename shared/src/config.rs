//! Function configuration from environment variables (set by the SAM template on AWS and
//! by the local gateway locally). Read once per cold start; a missing variable fails the
//! cold start loudly instead of the first request.

use std::str::FromStr;

pub const TABLE_NAME: &str = "TABLE_NAME";
pub const DOCUMENTS_BUCKET: &str = "DOCUMENTS_BUCKET";
pub const STAFF_USER_POOL_ID: &str = "STAFF_USER_POOL_ID";
pub const STAFF_CLIENT_ID: &str = "STAFF_CLIENT_ID";
pub const CUSTOMER_USER_POOL_ID: &str = "CUSTOMER_USER_POOL_ID";
pub const CUSTOMER_CLIENT_ID: &str = "CUSTOMER_CLIENT_ID";
pub const UPLOAD_URL_TTL_SECONDS: &str = "UPLOAD_URL_TTL_SECONDS";
pub const DOWNLOAD_URL_TTL_SECONDS: &str = "DOWNLOAD_URL_TTL_SECONDS";
pub const MAX_UPLOAD_BYTES: &str = "MAX_UPLOAD_BYTES";
/// The address emails are sent from (a verified SES identity).
pub const SENDER_EMAIL: &str = "SENDER_EMAIL";
/// Where people open the portal (the site: pages at `/`, the API at `/api`); links in
/// emails start with it.
pub const PUBLIC_URL: &str = "PUBLIC_URL";
/// The notifications queue (share batches are announced on it, delayed by their window).
pub const NOTIFICATIONS_QUEUE_URL: &str = "NOTIFICATIONS_QUEUE_URL";
/// Shares to one contact within this many seconds go out as one email.
pub const SHARE_EMAIL_WINDOW_SECONDS: &str = "SHARE_EMAIL_WINDOW_SECONDS";
pub const DEFAULT_SHARE_EMAIL_WINDOW_SECONDS: i64 = 120;
/// Multiplies every per-email rate limit (`rate_limit`): for benchmarks that repeat one
/// sign-in thousands of times. The template does not set it (1: the limits as documented).
pub const RATE_LIMIT_MULTIPLIER: &str = "RATE_LIMIT_MULTIPLIER";
/// The CloudFormation stack's name: the `Stack` dimension of the business metrics
/// (`metrics`), which the dashboard and the alarms read. Optional (unset locally).
pub const STACK_NAME: &str = "STACK_NAME";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} is not valid: {1}")]
    Invalid(&'static str, String),
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or(ConfigError::Missing(name))
}

pub fn optional<T: FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match std::env::var(name) {
        Ok(text) if !text.is_empty() => text.parse().map_err(|_| ConfigError::Invalid(name, text)),
        _ => Ok(default),
    }
}

/// Limits of presigned transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimits {
    pub upload_url_ttl_seconds: u64,
    pub download_url_ttl_seconds: u64,
    pub max_upload_bytes: u64,
}

impl Default for TransferLimits {
    fn default() -> Self {
        // Minutes, not hours: a presigned URL is a bearer token until it expires.
        Self { upload_url_ttl_seconds: 300, download_url_ttl_seconds: 120, max_upload_bytes: 100 * 1024 * 1024 }
    }
}

impl TransferLimits {
    pub fn from_env() -> Result<Self, ConfigError> {
        let defaults = Self::default();
        Ok(Self {
            upload_url_ttl_seconds: optional(UPLOAD_URL_TTL_SECONDS, defaults.upload_url_ttl_seconds)?,
            download_url_ttl_seconds: optional(DOWNLOAD_URL_TTL_SECONDS, defaults.download_url_ttl_seconds)?,
            max_upload_bytes: optional(MAX_UPLOAD_BYTES, defaults.max_upload_bytes)?,
        })
    }
}

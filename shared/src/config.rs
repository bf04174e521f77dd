//! Function configuration: one path from a key → value [`Source`] to the values a function
//! runs with. On Lambda the source is the process environment ([`ProcessEnv`], set by the
//! SAM template's `Environment`); the local gateway passes the same template's
//! `Environment` for that function, resolved for the local stack, plus named local
//! overrides (`xtask::function_env`). Each function reads its names in one place (its
//! `configure`), so the names and defaults are the same wherever it runs; a drift test
//! checks that every function reads exactly the names the template sets for it.
//!
//! Read once per cold start; a missing variable fails the cold start loudly instead of the
//! first request.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Mutex;

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
/// The jobs queue (bulk changes run from it in chunks, `jobs`).
pub const JOBS_QUEUE_URL: &str = "JOBS_QUEUE_URL";
/// Writes above which a change runs as a job rather than in the request.
pub const JOBS_SYNC_LIMIT: &str = "JOBS_SYNC_LIMIT";
/// Units of work one chunk of a job does.
pub const JOBS_CHUNK_SIZE: &str = "JOBS_CHUNK_SIZE";
/// Multiplies every per-email rate limit (`rate_limit`): for benchmarks that repeat one
/// sign-in thousands of times. The template does not set it (1: the limits as documented).
pub const RATE_LIMIT_MULTIPLIER: &str = "RATE_LIMIT_MULTIPLIER";
pub const DEFAULT_RATE_LIMIT_MULTIPLIER: u32 = 1;
/// The CloudFormation stack's name: the `Stack` dimension of the business metrics
/// (`metrics`), which the dashboard and the alarms read. Optional (unset locally).
pub const STACK_NAME: &str = "STACK_NAME";
/// The log filter (`telemetry`).
pub const RUST_LOG: &str = "RUST_LOG";

/// Read by the process itself (logs, metrics) rather than by a function's `configure`:
/// the template sets them for every function (its `Globals`).
pub const PROCESS_WIDE: &[&str] = &[RUST_LOG, STACK_NAME];

/// Read by a function's `configure` but deliberately left unset by the template (their
/// default is the deployed behaviour).
pub const NOT_IN_TEMPLATE: &[&str] = &[RATE_LIMIT_MULTIPLIER];

/// Every optional name and its default, as text: defined here once; a test checks the
/// template's parameter defaults say the same.
pub fn defaults() -> Vec<(&'static str, String)> {
    let limits = TransferLimits::default();
    vec![
        (UPLOAD_URL_TTL_SECONDS, limits.upload_url_ttl_seconds.to_string()),
        (DOWNLOAD_URL_TTL_SECONDS, limits.download_url_ttl_seconds.to_string()),
        (MAX_UPLOAD_BYTES, limits.max_upload_bytes.to_string()),
        (SHARE_EMAIL_WINDOW_SECONDS, DEFAULT_SHARE_EMAIL_WINDOW_SECONDS.to_string()),
        (JOBS_SYNC_LIMIT, crate::jobs::DEFAULT_SYNC_LIMIT.to_string()),
        (JOBS_CHUNK_SIZE, crate::jobs::DEFAULT_CHUNK_SIZE.to_string()),
        (RATE_LIMIT_MULTIPLIER, DEFAULT_RATE_LIMIT_MULTIPLIER.to_string()),
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    #[error("environment variable {0} is not valid: {1}")]
    Invalid(&'static str, String),
}

/// Where configuration values come from: names to values.
pub trait Source: Sync {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment (Lambda: what the template's `Environment` set).
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Source for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        BTreeMap::get(self, name).cloned()
    }
}

/// A source that remembers every name asked of it: what a function's configuration reads.
pub struct Recording<'a> {
    inner: &'a dyn Source,
    read: Mutex<BTreeSet<String>>,
}

impl<'a> Recording<'a> {
    pub fn new(inner: &'a dyn Source) -> Self {
        Self { inner, read: Mutex::new(BTreeSet::new()) }
    }

    /// The names read so far.
    pub fn names(&self) -> BTreeSet<String> {
        self.read.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Source for Recording<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.read.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_owned());
        self.inner.get(name)
    }
}

pub fn required(env: &dyn Source, name: &'static str) -> Result<String, ConfigError> {
    env.get(name).filter(|v| !v.is_empty()).ok_or(ConfigError::Missing(name))
}

pub fn optional<T: FromStr>(env: &dyn Source, name: &'static str, default: T) -> Result<T, ConfigError> {
    match env.get(name) {
        Some(text) if !text.is_empty() => text.parse().map_err(|_| ConfigError::Invalid(name, text)),
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
    pub fn read(env: &dyn Source) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        Ok(Self {
            upload_url_ttl_seconds: optional(env, UPLOAD_URL_TTL_SECONDS, defaults.upload_url_ttl_seconds)?,
            download_url_ttl_seconds: optional(env, DOWNLOAD_URL_TTL_SECONDS, defaults.download_url_ttl_seconds)?,
            max_upload_bytes: optional(env, MAX_UPLOAD_BYTES, defaults.max_upload_bytes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn required_values_must_be_present_and_non_empty() {
        let env = source(&[(TABLE_NAME, "t"), (DOCUMENTS_BUCKET, "")]);
        assert_eq!(required(&env, TABLE_NAME).unwrap(), "t");
        assert!(matches!(required(&env, DOCUMENTS_BUCKET), Err(ConfigError::Missing(DOCUMENTS_BUCKET))));
        assert!(matches!(required(&env, SENDER_EMAIL), Err(ConfigError::Missing(SENDER_EMAIL))));
    }

    #[test]
    fn optional_values_default_when_unset_and_refuse_what_does_not_parse() {
        assert_eq!(TransferLimits::read(&source(&[])).unwrap(), TransferLimits::default());
        let set = TransferLimits::read(&source(&[(MAX_UPLOAD_BYTES, "5")])).unwrap();
        assert_eq!(set.max_upload_bytes, 5);
        assert_eq!(set.upload_url_ttl_seconds, TransferLimits::default().upload_url_ttl_seconds);
        assert!(matches!(
            TransferLimits::read(&source(&[(UPLOAD_URL_TTL_SECONDS, "soon")])),
            Err(ConfigError::Invalid(UPLOAD_URL_TTL_SECONDS, _))
        ));
    }

    #[test]
    fn a_recording_source_names_what_was_read() {
        let env = source(&[(TABLE_NAME, "t")]);
        let recording = Recording::new(&env);
        let _ = required(&recording, TABLE_NAME);
        let _ = TransferLimits::read(&recording);
        let expected = [TABLE_NAME, UPLOAD_URL_TTL_SECONDS, DOWNLOAD_URL_TTL_SECONDS, MAX_UPLOAD_BYTES];
        assert_eq!(recording.names(), expected.iter().map(|n| (*n).to_owned()).collect());
    }
}

//! Everything the Lambda functions share: domain types that cannot hold a bad value, the
//! one error type and its HTTP mapping, the single-table store, S3 keys and presigning,
//! caller identity, resource definitions and configuration.
//!
//! Functions depend on this crate with only the SDK features they use (`dynamodb`, `s3`,
//! `cognito`), so each binary links only the AWS clients it calls.

// Every function binary links this crate, so this is their allocator. A page of items is
// thousands of small allocations (the SDK's attribute maps, their strings), and with
// mimalloc a warm invocation's own time is about 10 % lower than with glibc's malloc
// (docs/performance.md). Its `no_thp` build keeps transparent huge pages off, which
// doubled peak RSS.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod access;
pub mod aws;
pub mod batch;
pub mod config;
pub mod domain;
pub mod error;
pub mod function;
pub mod http;
pub mod identity;
pub mod invisible;
pub mod keys;
pub mod metering;
pub mod metrics;
pub mod model;
pub mod object_key;
pub mod pagination;
pub mod personal_space;
pub mod rate_limit;
pub mod resources;
pub mod routes;
pub mod secrets;
pub mod share_selection;
pub mod signup;
pub mod source;
pub mod telemetry;
pub mod visibility;

#[cfg(feature = "dynamodb")]
pub mod store;

#[cfg(feature = "s3")]
pub mod storage;

#[cfg(all(feature = "s3", feature = "dynamodb"))]
pub mod transfers;

#[cfg(feature = "cognito")]
pub mod accounts;

#[cfg(feature = "ses")]
pub mod mail;

#[cfg(all(feature = "ses", feature = "dynamodb"))]
pub mod invitations;

#[cfg(all(feature = "ses", feature = "dynamodb"))]
pub mod notify;

pub mod tokens;

#[cfg(feature = "sqs")]
pub mod queue;

pub use error::ApiError;

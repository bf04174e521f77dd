//! Everything the Lambda functions share: domain types that cannot hold a bad value, the
//! one error type and its HTTP mapping, the single-table store, S3 keys and presigning,
//! caller identity, resource definitions and configuration.
//!
//! Functions depend on this crate with only the SDK features they use (`dynamodb`, `s3`,
//! `cognito`), so each binary links only the AWS clients it calls.

pub mod access;
pub mod allocator;
pub mod aws;
pub mod batch;
pub mod config;
pub mod domain;
pub mod error;
pub mod function;
pub mod http;
pub mod identity;
pub mod invisible;
pub mod jobs;
pub mod keys;
pub mod metering;
pub mod metrics;
pub mod model;
pub mod object_key;
pub mod pagination;
pub mod personal_space;
pub mod rate_limit;
pub mod resources;
pub mod route_caps;
pub mod routes;
pub mod secrets;
pub mod share_selection;
pub mod signup;
pub mod source;
pub mod telemetry;
pub mod view;
pub mod visibility;
pub mod words;

#[cfg(feature = "dynamodb")]
pub mod store;

#[cfg(feature = "dynamodb")]
pub mod capacity;

#[cfg(feature = "s3")]
pub mod storage;

#[cfg(all(feature = "s3", feature = "dynamodb"))]
pub mod transfers;

#[cfg(feature = "cognito")]
pub mod accounts;

#[cfg(all(feature = "cognito", feature = "dynamodb"))]
pub mod staff_accounts;

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

//! AWS SDK configuration, loaded once per cold start and shared by every client.
//!
//! `aws-config` honours the SDK's standard `AWS_ENDPOINT_URL` (and the service-specific
//! `AWS_ENDPOINT_URL_<SERVICE>`), which is how the functions reach moto or LocalStack.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the environment (region, credentials, endpoint).
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// An S3 client; path-style addressing when a custom endpoint is set (emulators do not
/// serve virtual-hosted bucket names on 127.0.0.1).
#[cfg(feature = "s3")]
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config).force_path_style(config.endpoint_url().is_some()).build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

#[cfg(feature = "dynamodb")]
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

#[cfg(feature = "cognito")]
pub fn cognito_client(config: &SdkConfig) -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(config)
}

/// An SES client that does not retry by itself: a retried SendEmail whose first attempt
/// was delivered but whose answer was lost sends the email twice. Retries happen a level
/// up instead, where the notification outbox knows what was sent (SQS redelivery).
#[cfg(feature = "ses")]
pub fn ses_client(config: &SdkConfig) -> aws_sdk_sesv2::Client {
    let ses_config =
        aws_sdk_sesv2::config::Builder::from(config).retry_config(aws_config::retry::RetryConfig::disabled()).build();
    aws_sdk_sesv2::Client::from_conf(ses_config)
}

#[cfg(feature = "sqs")]
pub fn sqs_client(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

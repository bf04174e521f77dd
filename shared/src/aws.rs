//! AWS SDK configuration, loaded once per cold start and shared by every client.
//!
//! Every client reports its requests to [`crate::metering`] (an SDK interceptor), so each
//! invocation's log line says what it asked of AWS and how long it waited.
//!
//! `aws-config` honours the SDK's standard `AWS_ENDPOINT_URL` (and the service-specific
//! `AWS_ENDPOINT_URL_<SERVICE>`), which is how the functions reach moto or LocalStack.

use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::client::http::{HttpClient, SharedHttpClient, http_client_fn};

#[cfg(any(feature = "dynamodb", feature = "s3", feature = "cognito", feature = "ses", feature = "sqs"))]
use crate::metering::AwsRequestMeter;

/// Loads the SDK configuration from the environment (region, credentials, endpoint).
///
/// Lambda gives every function its role's credentials and its region as environment
/// variables, so the functions read only those. The SDK's default chains would otherwise
/// build, in every cold start, providers a function never asks: web identity (an STS
/// client, with its endpoint rules parsed), the instance metadata service, ECS, profiles
/// (~0.25 ms of a ~2 ms init, `docs/performance.md`).
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .http_client(connect_on_first_use())
        .load()
        .await
}

/// A client built on its first use, for a service only a few of a function's routes call
/// (contacts, portal-access and settings call Cognito only to sign a customer out or to
/// manage staff; SES is called only by the routes and events that send email): the other
/// routes' cold starts do not build it. Building an SDK crate's first client parses that
/// crate's endpoint partition table, ~0.05 ms of a ~2 ms init.
#[derive(Clone)]
pub struct OnFirstUse<C> {
    sdk: SdkConfig,
    build: fn(&SdkConfig) -> C,
    client: std::sync::OnceLock<C>,
}

impl<C> std::fmt::Debug for OnFirstUse<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnFirstUse").field("built", &self.client.get().is_some()).finish()
    }
}

impl<C> OnFirstUse<C> {
    pub fn new(sdk: &SdkConfig, build: fn(&SdkConfig) -> C) -> Self {
        Self { sdk: sdk.clone(), build, client: std::sync::OnceLock::new() }
    }

    pub fn get(&self) -> &C {
        self.client.get_or_init(|| (self.build)(&self.sdk))
    }
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc), set up on its first
/// request instead of when a client is built.
///
/// The default client reads and parses the system's trust store as soon as any client is
/// built from it (its `validate_base_client_config`, on purpose), which was ~2 ms of a
/// 5 ms init (`docs/performance.md`). Behind `http_client_fn`, which has no such hook,
/// that happens on the first request, which needs the trust store anyway.
fn connect_on_first_use() -> SharedHttpClient {
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .build_https();
    http_client_fn(move |settings, components| client.http_connector(settings, components))
}

/// An S3 client; path-style addressing when a custom endpoint is set (emulators do not
/// serve virtual-hosted bucket names on 127.0.0.1).
#[cfg(feature = "s3")]
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .interceptor(AwsRequestMeter::new("s3"))
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

#[cfg(feature = "dynamodb")]
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    let mut config = aws_sdk_dynamodb::config::Builder::from(config).interceptor(AwsRequestMeter::new("dynamodb"));
    // The growth benchmark's capacity figures (`crate::capacity`); never set when deployed.
    if crate::capacity::requested() {
        config = config.interceptor(crate::capacity::ReturnConsumedCapacityTotal);
    }
    aws_sdk_dynamodb::Client::from_conf(config.build())
}

#[cfg(feature = "cognito")]
pub fn cognito_client(config: &SdkConfig) -> aws_sdk_cognitoidentityprovider::Client {
    let config = aws_sdk_cognitoidentityprovider::config::Builder::from(config)
        .interceptor(AwsRequestMeter::new("cognito-idp"))
        .build();
    aws_sdk_cognitoidentityprovider::Client::from_conf(config)
}

/// An SES client that does not retry by itself: a retried SendEmail whose first attempt
/// was delivered but whose answer was lost sends the email twice. Retries happen a level
/// up instead, where the notification outbox knows what was sent (SQS redelivery).
#[cfg(feature = "ses")]
pub fn ses_client(config: &SdkConfig) -> aws_sdk_sesv2::Client {
    let ses_config = aws_sdk_sesv2::config::Builder::from(config)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .interceptor(AwsRequestMeter::new("ses"))
        .build();
    aws_sdk_sesv2::Client::from_conf(ses_config)
}

#[cfg(feature = "sqs")]
pub fn sqs_client(config: &SdkConfig) -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::config::Builder::from(config).interceptor(AwsRequestMeter::new("sqs")).build();
    aws_sdk_sqs::Client::from_conf(config)
}

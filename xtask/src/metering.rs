//! Counts and times the AWS requests a piece of code makes, for the benchmarks and the
//! AWS-calls budget test.
//!
//! It sits in the SDK's HTTP client (wrapping the connector of an `SdkConfig`), not in a
//! per-service interceptor: every client the functions build from that one `SdkConfig`
//! is metered with no change to the functions, and each attempt (a retry too) is counted
//! as the request it is. Requests are attributed to the innermost [`metered`] future
//! they run in (a tokio task-local), so concurrent invocations never mix their counts.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

/// The AWS requests made inside one [`metered`] future.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    /// Requests per service (`dynamodb`, `s3`, `cognito-idp`, `ses`, `sqs`).
    pub per_service: BTreeMap<String, u32>,
    /// `service:Operation` in the order they were sent (operation when the protocol names it).
    pub operations: Vec<String>,
    /// Wall time spent waiting on AWS (requests may overlap; overlapping time counts once).
    pub waiting: Duration,
}

impl Calls {
    pub fn total(&self) -> u32 {
        self.per_service.values().sum()
    }

    pub fn count(&self, service: &str) -> u32 {
        self.per_service.get(service).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
struct Meter {
    calls: Calls,
    in_flight: u32,
    busy_since: Option<Instant>,
}

impl Meter {
    fn start(&mut self, service: String, operation: Option<String>) {
        *self.calls.per_service.entry(service.clone()).or_default() += 1;
        self.calls.operations.push(match operation {
            Some(op) => format!("{service}:{op}"),
            None => service,
        });
        if self.in_flight == 0 {
            self.busy_since = Some(Instant::now());
        }
        self.in_flight += 1;
    }

    fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0
            && let Some(since) = self.busy_since.take()
        {
            self.calls.waiting += since.elapsed();
        }
    }
}

tokio::task_local! {
    static METER: Arc<Mutex<Meter>>;
}

/// Runs `future` and returns its output with the AWS requests it made (through clients
/// built from a [`metered_config`]).
pub async fn metered<F: Future>(future: F) -> (F::Output, Calls) {
    let meter = Arc::new(Mutex::new(Meter::default()));
    let output = METER.scope(Arc::clone(&meter), future).await;
    let calls = std::mem::take(&mut meter.lock().expect("meter").calls);
    (output, calls)
}

/// `sdk` with its HTTP client wrapped in the meter. Without an HTTP client of its own (the
/// SDK then picks its default per service), a plain-HTTP one: metering is for the local
/// emulator.
pub fn metered_config(sdk: &SdkConfig) -> SdkConfig {
    let inner: SharedHttpClient =
        sdk.http_client().unwrap_or_else(|| aws_smithy_http_client::Builder::new().build_http());
    let client = http_client_fn(move |settings, components| {
        SharedHttpConnector::new(MeteredConnector { inner: inner.http_connector(settings, components) })
    });
    sdk.to_builder().http_client(client).build()
}

#[derive(Debug)]
struct MeteredConnector {
    inner: SharedHttpConnector,
}

impl HttpConnector for MeteredConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Ok(meter) = METER.try_with(Arc::clone) else {
            return self.inner.call(request);
        };
        let (service, operation) = describe(&request);
        meter.lock().expect("meter").start(service, operation);
        let response = self.inner.call(request);
        HttpConnectorFuture::new(async move {
            let result = response.await;
            meter.lock().expect("meter").finish();
            result
        })
    }
}

/// The service (from SigV4's credential scope, or the JSON protocol's target for the
/// unsigned Cognito calls) and, where the protocol names it, the operation.
fn describe(request: &HttpRequest) -> (String, Option<String>) {
    describe_request(request.method(), |name| request.headers().get(name).map(str::to_owned))
}

/// [`describe`] for any HTTP request to AWS, given its method and a header lookup.
pub fn describe_request(method: &str, header: impl Fn(&str) -> Option<String>) -> (String, Option<String>) {
    let target = header("x-amz-target");
    let operation = target.as_deref().and_then(|t| t.rsplit('.').next()).map(str::to_owned);
    let from_scope = header("authorization").and_then(|auth| {
        // `AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/dynamodb/aws4_request, …`
        let scope = auth.split("Credential=").nth(1)?.split(',').next()?.to_owned();
        scope.split('/').nth(3).map(str::to_owned)
    });
    let service = from_scope
        .or_else(|| {
            target.as_deref().map(|t| match t.split('.').next().unwrap_or_default() {
                "AWSCognitoIdentityProviderService" => "cognito-idp".to_owned(),
                other => other.to_ascii_lowercase(),
            })
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let operation = operation.or_else(|| match service.as_str() {
        // REST protocols: the method is enough to tell a read from a write.
        "s3" | "ses" => Some(method.to_owned()),
        _ => None,
    });
    (service, operation)
}

//! What every HTTP function is: built once per cold start from the environment, then a
//! handler from API Gateway request to response. `main.rs` of each function is `run::<App>()`
//! and the local gateway calls the same `handle` in-process.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_http::{Body, Request, Response};

use crate::config::ConfigError;
use crate::metering::{Cost, measured};

pub trait HttpFunction: Send + Sync + Sized + 'static {
    /// Builds the function's clients and configuration (once per cold start).
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError>;

    /// Serves one request; errors are already rendered as problem+json.
    fn handle(&self, req: Request) -> impl Future<Output = Response<Body>> + Send;

    /// [`handle`](Self::handle) with the headers every API response carries: what Lambda
    /// runs and what the local gateway calls.
    fn serve(&self, req: Request) -> impl Future<Output = Response<Body>> + Send {
        async move {
            let mut response = self.handle(req).await;
            protective_headers(response.headers_mut());
            response
        }
    }
}

/// The API's answers are data for the pages' scripts, never documents to render or keep:
/// browsers must not sniff another type into them, and no cache may store them (they
/// hold one caller's data).
pub fn protective_headers(headers: &mut http::HeaderMap) {
    headers.insert(http::header::X_CONTENT_TYPE_OPTIONS, http::HeaderValue::from_static("nosniff"));
    headers.entry(http::header::CACHE_CONTROL).or_insert(http::HeaderValue::from_static("no-store"));
}

/// The Lambda entry point of an HTTP function.
pub async fn run<F: HttpFunction>() -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let sdk = crate::aws::load().await;
    let app = Arc::new(F::from_env(&sdk)?);
    lambda_http::run(lambda_http::service_fn(move |req| {
        let app = Arc::clone(&app);
        async move {
            let route = crate::http::route_key(&req).unwrap_or("(no route)").to_owned();
            let (response, cost) = measured(app.serve(req)).await;
            log_invocation(&route, Some(response.status().as_u16()), &cost);
            Ok::<_, Infallible>(response)
        }
    }))
    .await
}

/// One line per invocation with what it cost (the benchmark reads these too):
/// `{"message":"invocation","route":"GET /contacts","status":200,"ms":…,"aws_wait_ms":…,
/// "overhead_ms":…,"cpu_ms":…,"aws":"dynamodb 2"}`.
pub fn log_invocation(route: &str, status: Option<u16>, cost: &Cost) {
    let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    tracing::info!(
        route,
        status,
        ms = ms(cost.elapsed),
        aws_wait_ms = ms(cost.aws.waiting),
        overhead_ms = ms(cost.overhead()),
        cpu_ms = ms(cost.cpu),
        aws = %cost.aws,
        "invocation"
    );
}

//! What every function is: built once per cold start from the environment, then a handler.
//! An HTTP function ([`HttpFunction`]) answers API Gateway requests; `main.rs` is
//! `run::<App>()` and the local gateway calls the same `handle` in-process. An event
//! function ([`EventFunction`], a queue's consumer) answers its events; `main.rs` is
//! `run_events::<App>()`.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use aws_config::SdkConfig;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

use crate::config::{ConfigError, ProcessEnv, Source};
use crate::metering::{Cost, measured};

pub trait HttpFunction: Send + Sync + Sized + 'static {
    /// Builds the function's clients and its configuration from `env` (once per cold
    /// start): every name the function reads, read here (`config`).
    fn configure(sdk: &SdkConfig, env: &dyn Source) -> Result<Self, ConfigError>;

    /// [`configure`](Self::configure) from the process environment, as on Lambda.
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Self::configure(sdk, &ProcessEnv)
    }

    /// Serves one request; errors are already rendered as problem+json.
    fn handle(&self, req: Request) -> impl Future<Output = Response<Body>> + Send;

    /// [`handle`](Self::handle) with the headers every API response carries, within the
    /// route's cap of AWS requests (`route_caps`): what Lambda runs and what the local
    /// gateway calls.
    fn serve(&self, req: Request) -> impl Future<Output = Response<Body>> + Send {
        async move {
            let route = crate::http::route_key(&req).unwrap_or("(no route)").to_owned();
            let cap = crate::route_caps::route_cap(&route);
            let mut response = crate::metering::capped(route, cap, self.handle(req)).await;
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
        let span = request_span(&req);
        async move {
            let route = crate::http::route_key(&req).unwrap_or("(no route)").to_owned();
            let (response, cost) = measured(app.serve(req)).await;
            log_invocation(&route, Some(response.status().as_u16()), &cost);
            Ok::<_, Infallible>(response)
        }
        .instrument(span)
    }))
    .await
}

/// A function fed by events (SQS batches): its event and answer types, how it is built from
/// the process environment, and how it serves one event. An error fails the invocation, so
/// Lambda delivers the event again.
pub trait EventFunction: Send + Sync + Sized + 'static {
    /// The name its invocation lines carry (an HTTP function's carry the route).
    const NAME: &'static str;
    type Event: serde::de::DeserializeOwned + Send + 'static;
    type Answer: serde::Serialize + Send;

    /// Built once per cold start from the process environment, as on Lambda.
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError>;

    fn serve(&self, event: Self::Event) -> impl Future<Output = Result<Self::Answer, lambda_http::Error>> + Send;
}

/// The Lambda entry point of an event function: logging, SDK configuration and clients once
/// per cold start, then each event served and its cost logged.
pub async fn run_events<F: EventFunction>() -> Result<(), lambda_http::Error> {
    crate::telemetry::init();
    let sdk = crate::aws::load().await;
    let app = Arc::new(F::from_env(&sdk)?);
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event: lambda_http::LambdaEvent<F::Event>| {
        let app = Arc::clone(&app);
        async move {
            let (answer, cost) = measured(app.serve(event.payload)).await;
            log_invocation(F::NAME, None, &cost);
            answer
        }
    }))
    .await
}

/// The span of one HTTP request (inside the runtime's span, which names the Lambda request
/// id): API Gateway's request id, and the tenant once known ([`crate::telemetry::record_tenant`]).
/// Every line logged while serving the request carries both (`docs/operations.md` shows how
/// to find them). The local gateway serves its requests in the same span.
pub fn request_span(req: &Request) -> tracing::Span {
    let api_request_id = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.as_deref(),
        _ => None,
    };
    tracing::info_span!(
        "request",
        api_request_id = api_request_id.map(crate::telemetry::clip).map(tracing::field::display),
        tenant_id = tracing::field::Empty,
    )
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
    use serde_json::Value;
    use tracing::Instrument;
    use tracing_subscriber::filter::{LevelFilter, Targets};

    use super::*;
    use crate::ApiError;
    use crate::domain::TenantId;
    use crate::telemetry::tests::Writer;

    /// The functions' log format (`telemetry::subscriber`), into a buffer: its lines, parsed.
    fn captured(run: impl FnOnce()) -> Vec<Value> {
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let writer = {
            let buffer = buffer.clone();
            move || Writer(buffer.clone())
        };
        let subscriber = crate::telemetry::subscriber(Targets::new().with_default(LevelFilter::INFO), writer);
        tracing::subscriber::with_default(subscriber, run);
        let written = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        written.lines().map(|line| serde_json::from_str(line).expect("one JSON object per line")).collect()
    }

    /// The value of `field` in the line's spans, wherever it is in the list.
    fn span_field<'a>(line: &'a Value, field: &str) -> Option<&'a Value> {
        line["spans"].as_array()?.iter().find_map(|span| span.get(field))
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    /// The span the Lambda runtime opens around every invocation (`lambda_runtime::run`).
    fn runtime_span(request_id: &str) -> tracing::Span {
        let mut context = lambda_http::Context::default();
        context.request_id = request_id.to_owned();
        context.xray_trace_id = Some("Root=1-67891233-abcdef012345678912345678".to_owned());
        lambda_http::lambda_runtime::layers::trace::request_span(&context)
    }

    fn http_request(api_request_id: &str) -> Request {
        let event = serde_json::json!({
            "version": "2.0",
            "routeKey": "POST /contacts",
            "rawPath": "/contacts",
            "rawQueryString": "",
            "headers": { "content-type": "application/json" },
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "api",
                "domainName": "api.example",
                "domainPrefix": "api",
                "http": { "method": "POST", "path": "/contacts", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test" },
                "requestId": api_request_id,
                "routeKey": "POST /contacts",
                "stage": "$default",
                "time": "06/Dec/2026:22:00:00 +0000",
                "timeEpoch": 1_796_594_400_000_i64,
            },
            "isBase64Encoded": false,
        });
        let request: lambda_http::request::LambdaRequest = serde_json::from_value(event).unwrap();
        Request::from(request)
    }

    /// What a handler does: resolves the caller's company, then works and logs, deep inside.
    async fn handler_like(tenant: TenantId) {
        tokio::task::yield_now().await;
        crate::telemetry::record_tenant(tenant);
        async {
            tokio::task::yield_now().await;
            tracing::info!(contact = "c", "contact created");
        }
        .await;
    }

    #[test]
    fn every_line_of_an_http_request_names_the_request_and_the_tenant_once_known() {
        let tenant = TenantId::new();
        let request = http_request("Ab1cD2eF3gHIjkL=");
        let lines = captured(|| {
            // As in `run`: the request's span is made inside the runtime's.
            block_on(
                async {
                    let span = request_span(&request);
                    async {
                        tracing::warn!("before the caller is known");
                        handler_like(tenant).await;
                    }
                    .instrument(span)
                    .await
                }
                .instrument(runtime_span("8476a536-e9f4-11e8-9739-2dfe598c3fcd")),
            );
        });
        assert_eq!(lines.len(), 2, "{lines:?}");
        for line in &lines {
            assert_eq!(
                span_field(line, "requestId"),
                Some(&Value::from("8476a536-e9f4-11e8-9739-2dfe598c3fcd")),
                "{line}"
            );
            assert_eq!(span_field(line, "api_request_id"), Some(&Value::from("Ab1cD2eF3gHIjkL=")), "{line}");
        }
        assert_eq!(span_field(&lines[0], "tenant_id"), None, "{}", lines[0]);
        assert_eq!(lines[1]["fields"]["message"], "contact created");
        assert_eq!(span_field(&lines[1], "tenant_id"), Some(&Value::from(tenant.to_string())), "{}", lines[1]);
    }

    #[test]
    fn every_line_of_a_queue_message_names_the_message_and_its_tenant() {
        let tenants = [TenantId::new(), TenantId::new()];
        let message = |id: &str, body: String| {
            let mut message = SqsMessage::default();
            message.message_id = Some(id.to_owned());
            message.body = Some(body);
            message
        };
        let mut event = SqsEvent::default();
        event.records = vec![message("m-1", tenants[0].to_string()), message("m-2", tenants[1].to_string())];
        let lines = captured(|| {
            let response = block_on(
                crate::batch::process_records(event, |body| async move {
                    let tenant: TenantId = body.parse().unwrap();
                    crate::telemetry::record_tenant(tenant);
                    tracing::info!("object settled");
                    if tenant == tenants[1] { Err(ApiError::Unavailable) } else { Ok(()) }
                })
                .instrument(runtime_span("req-1")),
            );
            assert_eq!(response.batch_item_failures.len(), 1);
        });
        // Each message's lines (the failed one's warning too) name it and its tenant only.
        let expected = [("m-1", tenants[0]), ("m-2", tenants[1]), ("m-2", tenants[1])];
        assert_eq!(lines.len(), expected.len(), "{lines:?}");
        for (line, (id, tenant)) in lines.iter().zip(expected) {
            assert_eq!(span_field(line, "requestId"), Some(&Value::from("req-1")), "{line}");
            assert_eq!(span_field(line, "message_id"), Some(&Value::from(id)), "{line}");
            assert_eq!(span_field(line, "tenant_id"), Some(&Value::from(tenant.to_string())), "{line}");
        }
        assert_eq!(lines[2]["fields"]["message"], "record failed; SQS will deliver it again");
    }
}

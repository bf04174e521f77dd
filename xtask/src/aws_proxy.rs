//! A reverse proxy between the functions and the emulator, on 127.0.0.1.
//!
//! - **Recording** (the benchmarks): every request's service and start and end times are
//!   logged, so a warm invocation's time splits into waiting on AWS and the handler's own
//!   work.
//! - **Faults** (the fault tests): requests to one service, or to all, can be answered
//!   with the error AWS gives when it throttles or fails (in each service's own protocol,
//!   so the SDK classifies it as it would on AWS), from the n-th matching request on.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::Response;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Exchange {
    pub service: String,
    /// `service:Operation` where the protocol names it (see [`describe_request`]).
    pub operation: Option<String>,
    pub started: Instant,
    pub ended: Instant,
    /// The fault it was answered with instead of being forwarded.
    pub fault: Option<Fault>,
    /// The capacity units a DynamoDB answer says the request consumed (its
    /// `ConsumedCapacity`, present when the request asked for it: `ReturnConsumedCapacity`).
    pub capacity_units: Option<f64>,
}

/// What AWS answers when it cannot serve a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error (`ThrottlingException`, `TooManyRequestsException`,
    /// S3's `SlowDown`).
    Throttle,
    /// An internal error of the service (HTTP 500).
    ServerError,
}

/// Which requests fail: those to `service` (all services when `None`), after `pass` of
/// them went through; `times` of them (all when `None`).
#[derive(Debug, Clone)]
struct Plan {
    service: Option<String>,
    pass: u32,
    times: Option<u32>,
    fault: Fault,
}

#[derive(Default)]
struct Faults {
    plan: Option<Plan>,
    /// Matching requests seen since the plan was set.
    matched: u32,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    log: Mutex<Vec<Exchange>>,
    faults: Mutex<Faults>,
}

pub struct AwsProxy {
    pub address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
}

impl AwsProxy {
    pub async fn start(upstream: &str) -> Result<Self> {
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?,
            log: Mutex::default(),
            faults: Mutex::default(),
        });
        let router = Router::new().fallback(forward).with_state(Arc::clone(&shared));
        let (address, shutdown) = crate::local_server::serve_local(router).await?;
        Ok(Self { address, shared, shutdown })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Everything logged so far, oldest first; the log starts over.
    pub fn take_log(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.shared.log.lock().expect("log"))
    }

    /// From now on, requests to `service` (every service when `None`; names as in
    /// [`describe_request`]: `dynamodb`, `s3`, `cognito-idp`, `ses`, `sqs`) are answered
    /// with `fault`, after the first `pass` of them went through.
    pub fn fail(&self, service: Option<&str>, pass: u32, fault: Fault) {
        self.plan(Plan { service: service.map(str::to_owned), pass, times: None, fault });
    }

    /// Like [`fail`](Self::fail), but only the one request after the first `pass`: a
    /// transient fault, which the SDK's retry should absorb.
    pub fn fail_once(&self, service: Option<&str>, pass: u32, fault: Fault) {
        self.plan(Plan { service: service.map(str::to_owned), pass, times: Some(1), fault });
    }

    fn plan(&self, plan: Plan) {
        *self.shared.faults.lock().expect("faults") = Faults { plan: Some(plan), matched: 0 };
    }

    /// Every request goes through again.
    pub fn heal(&self) {
        *self.shared.faults.lock().expect("faults") = Faults::default();
    }
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

impl Faults {
    fn decide(&mut self, service: &str) -> Option<Fault> {
        let plan = self.plan.as_ref()?;
        if plan.service.as_deref().is_some_and(|s| s != service) {
            return None;
        }
        self.matched += 1;
        let failing = self.matched > plan.pass && plan.times.is_none_or(|times| self.matched <= plan.pass + times);
        failing.then_some(plan.fault)
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (service, operation) = describe_request(parts.method.as_str(), |name| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    });
    let fault = shared.faults.lock().expect("faults").decide(&service);
    let mut capacity_units = None;
    let response = match fault {
        Some(fault) => fault_response(&service, fault),
        None => {
            let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            let url = format!("{}{}", shared.upstream, parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
            let mut upstream = shared.http.request(parts.method.clone(), url).body(body);
            for (name, value) in parts.headers.iter().filter(|(name, _)| !is_hop_by_hop(name)) {
                // Host stays as signed (the emulator does not check signatures, but keep it true).
                upstream = upstream.header(name, value);
            }
            match upstream.send().await {
                Ok(answer) => {
                    let mut response = Response::builder().status(answer.status());
                    for (name, value) in answer.headers().iter().filter(|(name, _)| !is_hop_by_hop(name)) {
                        response = response.header(name, value);
                    }
                    let bytes = answer.bytes().await.unwrap_or_default();
                    if service == "dynamodb" {
                        capacity_units = consumed_capacity(&bytes);
                    }
                    response.body(axum::body::Body::from(bytes)).unwrap_or_default()
                }
                Err(err) => {
                    Response::builder().status(502).body(axum::body::Body::from(err.to_string())).unwrap_or_default()
                }
            }
        }
    };
    let ended = Instant::now();
    shared.log.lock().expect("log").push(Exchange { service, operation, started, ended, fault, capacity_units });
    response
}

/// The error response `service` sends for `fault`, in its protocol: JSON with `__type` for
/// DynamoDB, Cognito and SQS, REST-JSON with `x-amzn-ErrorType` for SES, XML for S3.
fn fault_response(service: &str, fault: Fault) -> Response {
    let (status, code) = match (service, fault) {
        ("dynamodb", Fault::Throttle) => (400, "ThrottlingException"),
        ("cognito-idp" | "ses", Fault::Throttle) => {
            (if service == "ses" { 429 } else { 400 }, "TooManyRequestsException")
        }
        ("sqs", Fault::Throttle) => (400, "RequestThrottled"),
        ("s3", Fault::Throttle) => (503, "SlowDown"),
        ("s3", Fault::ServerError) => (500, "InternalError"),
        (_, Fault::Throttle) => (400, "ThrottlingException"),
        (_, Fault::ServerError) => (500, "InternalServerError"),
    };
    let message = "fault injected by the local AWS proxy";
    let (content_type, body) = match service {
        "s3" => ("application/xml", format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>")),
        "ses" => ("application/json", format!(r#"{{"message":"{message}"}}"#)),
        "dynamodb" | "sqs" => ("application/x-amz-json-1.0", format!(r#"{{"__type":"{code}","message":"{message}"}}"#)),
        _ => ("application/x-amz-json-1.1", format!(r#"{{"__type":"{code}","message":"{message}"}}"#)),
    };
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-errortype", code)
        .header("x-amzn-query-error", format!("{code};Sender"))
        .body(axum::body::Body::from(body))
        .unwrap_or_default()
}

/// The capacity units in a DynamoDB answer: `ConsumedCapacity` is one object (single-item
/// operations, `Query`, `Scan`) or a list of them, one per table (batches, transactions).
pub fn consumed_capacity(body: &[u8]) -> Option<f64> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let units = |c: &serde_json::Value| c["CapacityUnits"].as_f64();
    match &answer["ConsumedCapacity"] {
        serde_json::Value::Array(tables) => Some(tables.iter().filter_map(units).sum()),
        object @ serde_json::Value::Object(_) => units(object),
        _ => None,
    }
}

/// Headers about one connection's framing, which each side sets for itself.
fn is_hop_by_hop(name: &http::HeaderName) -> bool {
    matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection" | "keep-alive")
}

/// The service (from SigV4's credential scope, or the JSON protocol's target for the
/// unsigned Cognito calls) and, where the protocol names it, the operation of an HTTP
/// request to AWS, given its method and a header lookup.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_lets_the_first_matching_requests_through_then_fails_the_rest() {
        let mut faults = Faults {
            plan: Some(Plan { service: Some("dynamodb".into()), pass: 2, times: None, fault: Fault::Throttle }),
            matched: 0,
        };
        let decisions: Vec<_> =
            ["dynamodb", "s3", "dynamodb", "dynamodb", "s3", "dynamodb"].iter().map(|s| faults.decide(s)).collect();
        assert_eq!(decisions, [None, None, None, Some(Fault::Throttle), None, Some(Fault::Throttle)]);
        assert_eq!(Faults::default().decide("dynamodb"), None);
    }

    #[test]
    fn consumed_capacity_is_read_from_one_object_or_a_list() {
        let one = br#"{"Item":{},"ConsumedCapacity":{"TableName":"t","CapacityUnits":0.5}}"#;
        assert_eq!(consumed_capacity(one), Some(0.5));
        let list =
            br#"{"ConsumedCapacity":[{"TableName":"t","CapacityUnits":2},{"TableName":"u","CapacityUnits":1.5}]}"#;
        assert_eq!(consumed_capacity(list), Some(3.5));
        assert_eq!(consumed_capacity(br#"{"ConsumedCapacity":[]}"#), Some(0.0));
        assert_eq!(consumed_capacity(br#"{"Items":[]}"#), None);
        assert_eq!(consumed_capacity(b"<xml/>"), None);
    }

    #[test]
    fn a_transient_fault_fails_one_request_only() {
        let mut faults = Faults {
            plan: Some(Plan { service: None, pass: 1, times: Some(1), fault: Fault::ServerError }),
            matched: 0,
        };
        let decisions: Vec<_> = ["s3", "dynamodb", "ses", "sqs"].iter().map(|s| faults.decide(s)).collect();
        assert_eq!(decisions, [None, Some(Fault::ServerError), None, None]);
    }
}

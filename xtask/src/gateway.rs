//! The local API gateway: what API Gateway's HTTP API does on AWS, on 127.0.0.1.
//!
//! - matches the request against the route table (`portal_shared::routes`), the same one
//!   the SAM template declares;
//! - verifies the bearer token like the HTTP API JWT authorizer (signature against the
//!   pool's JWKS, issuer, audience or `client_id`, expiry), 401 otherwise;
//! - builds the payload-2.0 event the function gets on AWS (request context with the
//!   authorizer claims, path parameters, query string, body) and calls the function's
//!   handler in-process;
//! - relays S3 notifications from the SQS queue to the object-events handler, deleting
//!   only the messages it processed (like Lambda's SQS event source with partial batch
//!   responses);
//! - serves `web/` and a `/config.js` telling the pages where the API is, every response
//!   with the security headers of the distribution's response headers policy;
//! - serves the local mailbox at `/_mailbox` (every email sent; `crate::mailbox`), which
//!   exists only here, never in the template.

use portal_registration::SignUpMode;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{any, get};
use base64::Engine;
use futures::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, Response};
use portal_shared::ApiError;
use portal_shared::config::TransferLimits;
use portal_shared::function::HttpFunction;
use portal_shared::routes::{self, Authorizer};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::provision::{Pool, Stack};

/// API Gateway's payload limit.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
/// The API is served under this prefix locally (CloudFront routes it the same way).
pub const API_PREFIX: &str = "/api";

type HttpHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
/// A queue consumer: an SQS batch event in, the batch response (failed ids) out.
type QueueHandler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;

/// Shares to one contact within this many seconds make one email, locally (deployed: the
/// template's `SHARE_EMAIL_WINDOW_SECONDS`, two minutes).
pub const LOCAL_SHARE_EMAIL_WINDOW_SECONDS: i64 = 2;

/// Who may create a company locally (`cargo xtask dev` and the suite's gateway): anyone.
/// Tests of the other modes start a gateway of their own ([`start_with_signup`]).
pub const LOCAL_COMPANY_SIGNUP: SignUpMode = SignUpMode::Open;

/// The functions' handlers, built once like on a cold start.
pub struct Functions {
    http: HashMap<&'static str, HttpHandler>,
    object_events: QueueHandler,
    notifications: QueueHandler,
}

fn http_function<F: HttpFunction>(app: F) -> HttpHandler {
    let app = Arc::new(app);
    Arc::new(move |req| {
        let app = Arc::clone(&app);
        // In the request's span, as `function::run` serves it on Lambda.
        let span = portal_shared::function::request_span(&req);
        Box::pin(tracing::Instrument::instrument(async move { app.serve(req).await }, span))
    })
}

impl Functions {
    /// The handlers, configured as the template configures the functions; `public_url` is
    /// where the gateway serves the site (links in emails point there).
    pub fn new(sdk: &SdkConfig, stack: &Stack, public_url: &str) -> Self {
        Self::with_signup(sdk, stack, public_url, LOCAL_COMPANY_SIGNUP)
    }

    /// [`Functions::new`] with company sign-up in `mode` (the template's `CompanySignUp`).
    pub fn with_signup(sdk: &SdkConfig, stack: &Stack, public_url: &str, mode: SignUpMode) -> Self {
        let table = &stack.table;
        let http = HashMap::from([
            (
                "auth",
                http_function(portal_auth::App::new(
                    sdk,
                    table,
                    &stack.staff_pool.client_id,
                    &stack.customer_pool.client_id,
                )),
            ),
            (
                "registration",
                http_function(portal_registration::App::new(
                    sdk,
                    table,
                    &stack.customer_pool.id,
                    &stack.customer_pool.client_id,
                    portal_registration::CompanySignupConfig {
                        staff_pool_id: stack.staff_pool.id.clone(),
                        sender: stack.sender.clone(),
                        public_url: public_url.to_owned(),
                        mode,
                    },
                )),
            ),
            (
                "customer",
                http_function(portal_customer::App::new(sdk, table, &stack.bucket, TransferLimits::default())),
            ),
            ("contacts", http_function(portal_contacts::App::new(sdk, table, &stack.customer_pool.id))),
            ("documents", http_function(portal_documents::App::new(sdk, table, &stack.bucket))),
            (
                "sharing",
                http_function(
                    portal_sharing::App::new(sdk, table, &stack.sender, public_url, &stack.notifications_queue_url)
                        .with_share_email_window(LOCAL_SHARE_EMAIL_WINDOW_SECONDS),
                ),
            ),
            (
                "settings",
                http_function(portal_settings::App::new(
                    sdk,
                    table,
                    &stack.bucket,
                    &stack.staff_pool.id,
                    TransferLimits::default(),
                )),
            ),
            (
                "portal-access",
                http_function(portal_portal_access::App::new(
                    sdk,
                    table,
                    &stack.customer_pool.id,
                    &stack.sender,
                    public_url,
                )),
            ),
            (
                "transfers",
                http_function(portal_transfers::App::new(sdk, table, &stack.bucket, TransferLimits::default())),
            ),
        ]);
        let object_events =
            Arc::new(portal_object_events::App::new(sdk, table, &stack.bucket, &stack.sender, public_url));
        let notifications = Arc::new(portal_notifications::App::new(
            sdk,
            table,
            &stack.sender,
            public_url,
            LOCAL_SHARE_EMAIL_WINDOW_SECONDS,
        ));
        Self {
            http,
            object_events: Arc::new(move |event| {
                let app = Arc::clone(&object_events);
                Box::pin(async move { app.handle(event).await.map_err(|e| e.to_string()) })
            }),
            notifications: Arc::new(move |event| {
                let app = Arc::clone(&notifications);
                Box::pin(async move { app.handle(event).await.map_err(|e| e.to_string()) })
            }),
        }
    }
}

/// Why [`Functions`] could not run an event.
#[derive(Debug)]
pub enum InvokeError {
    /// No function of that name handles this kind of event.
    NoSuchFunction(String),
    /// The event is not what the Lambda runtime accepts for it.
    Malformed(serde_json::Error),
}

impl std::fmt::Display for InvokeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoSuchFunction(name) => write!(f, "no function {name:?} for this event"),
            Self::Malformed(err) => write!(f, "the event cannot be represented: {err}"),
        }
    }
}

impl std::error::Error for InvokeError {}

impl Functions {
    /// The HTTP functions (crate names under `functions/`, as in the route table).
    pub fn http_functions(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.http.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Runs an API Gateway event through `function`'s handler as the Lambda runtime does:
    /// the JSON deserialized into lambda_http's request type (with only the `apigw_http`
    /// feature, it accepts the HTTP API payload 2.0 and nothing else), then `serve`.
    pub async fn invoke_http(&self, function: &str, event: Value) -> Result<Response<Body>, InvokeError> {
        let handler = self.http.get(function).ok_or_else(|| InvokeError::NoSuchFunction(function.to_owned()))?;
        let request: LambdaRequest = serde_json::from_value(event).map_err(InvokeError::Malformed)?;
        Ok(handler(Request::from(request)).await)
    }

    /// Runs an event through a queue consumer (`object-events`, `notifications`): its
    /// response (`{"batchItemFailures": […]}`, or `null` for a direct S3 notification), or
    /// the invocation's error.
    pub async fn invoke_queue(&self, function: &str, event: Value) -> Result<Result<Value, String>, InvokeError> {
        let handler = match function {
            "object-events" => &self.object_events,
            "notifications" => &self.notifications,
            other => return Err(InvokeError::NoSuchFunction(other.to_owned())),
        };
        Ok(handler(event).await)
    }
}

/// Verifies Cognito tokens the way the HTTP API JWT authorizer does.
pub struct JwtAuthorizer {
    issuer: String,
    audience: String,
    keys: HashMap<String, DecodingKey>,
}

impl JwtAuthorizer {
    pub async fn fetch(pool: &Pool) -> Result<Self> {
        let jwks: JwkSet = reqwest::get(&pool.jwks_url).await?.error_for_status()?.json().await.context("JWKS")?;
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            if let Some(kid) = &jwk.common.key_id {
                keys.insert(kid.clone(), DecodingKey::from_jwk(jwk)?);
            }
        }
        Ok(Self { issuer: pool.issuer.clone(), audience: pool.client_id.clone(), keys })
    }

    /// The token's claims if it is valid for this pool and app client.
    pub fn verify(&self, token: &str) -> Option<serde_json::Map<String, Value>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let key = self.keys.get(header.kid.as_deref()?)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false; // checked below: `aud` (ID token) or `client_id` (access token)
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, key, &validation).ok()?.claims;
        let audience_matches = match claims.get("aud") {
            Some(Value::String(aud)) => aud == &self.audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a == &Value::String(self.audience.clone())),
            _ => claims.get("client_id") == Some(&Value::String(self.audience.clone())),
        };
        audience_matches.then_some(claims)
    }
}

/// What API Gateway does with one API request, without the HTTP server around it: route,
/// authorize, build the event, call the function. The benchmarks and the AWS-calls budget
/// test use it in-process.
pub struct ApiGateway {
    functions: Functions,
    authorizers: HashMap<Authorizer, JwtAuthorizer>,
}

/// A request routed and authorized: the function it goes to and the event it gets.
pub struct Prepared {
    pub function: &'static str,
    pub event: Value,
}

impl ApiGateway {
    /// The functions configured from `sdk` (see [`Functions::new`]) behind both authorizers.
    pub async fn new(sdk: &SdkConfig, stack: &Stack, public_url: &str) -> Result<Self> {
        Self::with_signup(sdk, stack, public_url, LOCAL_COMPANY_SIGNUP).await
    }

    /// [`ApiGateway::new`] with company sign-up in `mode`.
    pub async fn with_signup(sdk: &SdkConfig, stack: &Stack, public_url: &str, mode: SignUpMode) -> Result<Self> {
        let authorizers = HashMap::from([
            (Authorizer::Staff, JwtAuthorizer::fetch(&stack.staff_pool).await?),
            (Authorizer::Customer, JwtAuthorizer::fetch(&stack.customer_pool).await?),
        ]);
        Ok(Self { functions: Functions::with_signup(sdk, stack, public_url, mode), authorizers })
    }

    /// Routes and authorizes a request for `path` (without the `/api` prefix).
    pub fn prepare(&self, parts: &http::request::Parts, path: &str, body: &Bytes) -> Result<Prepared, ApiError> {
        let method = parts.method.as_str();
        let Some((route, params)) = routes::match_route(method, path) else {
            return Err(ApiError::RouteNotFound { method: method.to_owned(), path: path.to_owned() });
        };
        let claims = match route.authorizer {
            Authorizer::Public => None,
            authorizer => {
                let token = parts
                    .headers
                    .get(http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
                match token.and_then(|t| self.authorizers[&authorizer].verify(t.trim())) {
                    Some(claims) => Some(claims),
                    None => return Err(ApiError::Unauthenticated),
                }
            }
        };
        let event = api_gateway_event(&route.key(), path, parts, &params, claims.as_ref(), body);
        Ok(Prepared { function: route.function, event })
    }

    /// Calls the function's handler in-process with the event (as the Lambda runtime
    /// would, after deserializing it).
    pub async fn invoke(&self, prepared: Prepared) -> Response<Body> {
        match self.functions.invoke_http(prepared.function, prepared.event).await {
            Ok(response) => response,
            Err(err @ InvokeError::Malformed(_)) => ApiError::Malformed(err.to_string()).into_response(),
            // The route table names every function this gateway builds (a test checks the
            // samples of each); a missing one is a defect of the gateway, not of the request.
            Err(err) => ApiError::Internal(err.to_string()).into_response(),
        }
    }
}

struct GatewayState {
    api: ApiGateway,
    config_js: String,
}

/// A running gateway; stops when `stop` is called or when dropped.
pub struct RunningGateway {
    pub address: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningGateway {
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn api_url(&self) -> String {
        format!("{}{API_PREFIX}", self.url())
    }

    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts the gateway on 127.0.0.1:`port` (0 = any free port) and the SQS relay.
pub async fn start(stack: &Stack, port: u16) -> Result<RunningGateway> {
    start_with(&stack.sdk_config().await, stack, port, Relay::Queues).await
}

/// Batches of one queue handled at once, as Lambda's event source mapping polls a queue
/// with several pollers: one slow batch (an email to send, a transaction behind the
/// emulator's DynamoDB lock) does not hold every later message of the suite's shared
/// gateway behind it. The handlers are safe to run concurrently (claims and conditional
/// writes), as on AWS.
const RELAY_POLLERS: usize = 3;

/// Whether a gateway also relays the queues to their functions: one gateway per stack
/// should, or they would take each other's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    Queues,
    None,
}

/// [`start`] with the functions' AWS clients built from `sdk` (the fault tests point it at
/// a fault proxy).
pub async fn start_with(sdk: &SdkConfig, stack: &Stack, port: u16, relay: Relay) -> Result<RunningGateway> {
    start_with_signup(sdk, stack, port, relay, LOCAL_COMPANY_SIGNUP).await
}

/// [`start_with`] with company sign-up in `mode` (tests of the `invite-code` and `closed`
/// modes start such a gateway; the suite's runs `open`).
pub async fn start_with_signup(
    sdk: &SdkConfig,
    stack: &Stack,
    port: u16,
    relay: Relay,
    mode: SignUpMode,
) -> Result<RunningGateway> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    let state = Arc::new(GatewayState {
        api: ApiGateway::with_signup(sdk, stack, &format!("http://{address}"), mode).await?,
        config_js: format!("window.PORTAL_CONFIG = {};\n", json!({ "apiBase": API_PREFIX })),
    });
    let router = Router::new()
        .route("/config.js", get(config_js))
        .route_service("/p/{slug}", tower_http::services::ServeFile::new(crate::paths::web_dir().join("portal.html")))
        .route_service(
            "/p/{slug}/register",
            tower_http::services::ServeFile::new(crate::paths::web_dir().join("portal.html")),
        )
        .route_service("/portal", tower_http::services::ServeFile::new(crate::paths::web_dir().join("portal.html")))
        .route(API_PREFIX, any(api))
        // The wildcard below needs a non-empty rest: `/api/` is the API too (a 404 problem).
        .route(&format!("{API_PREFIX}/"), any(api))
        .route(&format!("{API_PREFIX}/{{*path}}"), any(api))
        .fallback_service(tower_http::services::ServeDir::new(crate::paths::web_dir()))
        // CloudFront's response headers policy, on pages and API alike; not on the local
        // mailbox, which frames its emails and exists only here.
        .layer(axum::middleware::map_response(security_headers))
        .merge(crate::mailbox::routes(&stack.endpoint))
        .with_state(Arc::clone(&state));
    let (shutdown, stopped) = watch::channel(false);
    let mut server_stopped = shutdown.subscribe();
    let server = tokio::spawn(async move {
        // With the peer's address (`ConnectInfo`), which becomes the event's `sourceIp`.
        let router = router.into_make_service_with_connect_info::<SocketAddr>();
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = server_stopped.wait_for(|stop| *stop).await;
        });
        if let Err(err) = serve.await {
            tracing::error!(error = %err, "gateway stopped");
        }
    });
    let mut tasks = vec![server];
    if relay == Relay::None {
        return Ok(RunningGateway { address, shutdown, tasks });
    }
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queues = [
        (stack.queue_url.clone(), stack.queue_arn.clone(), Arc::clone(&state.api.functions.object_events)),
        (
            stack.notifications_queue_url.clone(),
            stack.notifications_queue_arn.clone(),
            Arc::clone(&state.api.functions.notifications),
        ),
    ];
    for (queue_url, queue_arn, handler) in queues {
        for _ in 0..RELAY_POLLERS {
            let (sqs, queue_url, queue_arn, handler) =
                (sqs.clone(), queue_url.clone(), queue_arn.clone(), Arc::clone(&handler));
            let mut stopped = stopped.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stopped.wait_for(|stop| *stop) => break,
                        _ = relay_once(&sqs, &queue_url, &queue_arn, &handler) => {}
                    }
                }
            }));
        }
    }
    Ok(RunningGateway { address, shutdown, tasks })
}

async fn security_headers(mut response: AxumResponse) -> AxumResponse {
    for (name, value) in crate::deploy::SECURITY_HEADERS {
        response.headers_mut().insert(*name, http::HeaderValue::from_static(value));
    }
    response
}

async fn config_js(State(state): State<Arc<GatewayState>>) -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "text/javascript")], state.config_js.clone())
}

fn problem(err: ApiError) -> AxumResponse {
    let mut response = err.into_response();
    portal_shared::function::protective_headers(response.headers_mut());
    to_axum(response)
}

fn to_axum(response: Response<Body>) -> AxumResponse {
    let (parts, body) = response.into_parts();
    let bytes: &[u8] = body.as_ref();
    AxumResponse::from_parts(parts, axum::body::Body::from(bytes.to_vec()))
}

async fn api(State(state): State<Arc<GatewayState>>, request: AxumRequest) -> AxumResponse {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return problem(ApiError::PayloadTooLarge { limit: MAX_REQUEST_BYTES });
    };
    let path = parts.uri.path().strip_prefix(API_PREFIX).unwrap_or_default();
    let path = if path.is_empty() { "/" } else { path };
    let prepared = match state.api.prepare(&parts, path, &body) {
        Ok(prepared) => prepared,
        Err(err) => return problem(err),
    };
    // Like Lambda, a panicking handler is a failed invocation, never a dead gateway.
    let state = Arc::clone(&state);
    match tokio::spawn(async move { state.api.invoke(prepared).await }).await {
        Ok(response) => to_axum(response),
        Err(_) => problem(ApiError::Internal("the function panicked".into())),
    }
}

/// The API Gateway HTTP API payload (format 2.0) of one request.
pub fn api_gateway_event(
    route_key: &str,
    path: &str,
    parts: &http::request::Parts,
    params: &[(&str, &str)],
    claims: Option<&serde_json::Map<String, Value>>,
    body: &Bytes,
) -> Value {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
            continue;
        }
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let raw_query = parts.uri.query().unwrap_or_default();
    let mut query: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(name.into_owned())
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value.into_owned());
    }
    let (body, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let now = time::OffsetDateTime::now_utc();
    let authorizer = claims.map(|claims| {
        // The HTTP API passes every claim as a string; arrays become "[a b]".
        let flat: BTreeMap<&str, String> = claims
            .iter()
            .map(|(name, value)| {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => {
                        format!(
                            "[{}]",
                            items
                                .iter()
                                .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    }
                    other => other.to_string(),
                };
                (name.as_str(), text)
            })
            .collect();
        let scopes: Option<Vec<&str>> = claims.get("scope").and_then(Value::as_str).map(|s| s.split(' ').collect());
        json!({ "jwt": { "claims": flat, "scopes": scopes } })
    });
    let user_agent = headers.get("user-agent").cloned().unwrap_or_default();
    // As API Gateway: the address of the TCP peer, never a header the client could set.
    // A request built in-process (benchmarks, the budget test) has no peer: 127.0.0.1.
    let source_ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map_or_else(|| "127.0.0.1".to_owned(), |peer| peer.0.ip().to_string());
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "cookies": if cookies.is_empty() { Value::Null } else { json!(cookies) },
        "headers": headers,
        "queryStringParameters": if query.is_empty() { Value::Null } else { json!(query) },
        "pathParameters": if params.is_empty() { Value::Null } else { json!(params.iter().copied().collect::<BTreeMap<_, _>>()) },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": authorizer,
            "domainName": headers.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into()),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": user_agent,
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.format(&time::format_description::well_known::Rfc2822).unwrap_or_default(),
            "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// One poll of a queue: the messages go to the consumer as an SQS event; those it did not
/// report as failed are deleted (the others come back after their visibility timeout,
/// and go to the dead-letter queue after the configured receives), as Lambda's event
/// source mapping does.
async fn relay_once(sqs: &aws_sdk_sqs::Client, queue_url: &str, queue_arn: &str, handler: &QueueHandler) {
    let received = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await;
    let messages = match received {
        Ok(output) => output.messages.unwrap_or_default(),
        Err(err) => {
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&err), "SQS receive failed");
            tokio::time::sleep(Duration::from_millis(500)).await;
            return;
        }
    };
    if messages.is_empty() {
        return;
    }
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: BTreeMap<String, String> =
                m.attributes.iter().flatten().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect();
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": crate::provision::REGION,
            })
        })
        .collect();
    let failed: Vec<String> = match handler(json!({ "Records": records })).await {
        Ok(response) => response["batchItemFailures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["itemIdentifier"].as_str().map(str::to_owned))
            .collect(),
        Err(err) => {
            tracing::error!(error = %err, "queue consumer failed; the batch will be retried");
            return;
        }
    };
    // The failed ones stay: back on the queue after their visibility timeout, then to the DLQ.
    let done: Vec<_> = messages
        .iter()
        .filter(|m| !m.message_id.as_ref().is_some_and(|id| failed.contains(id)))
        .filter_map(|m| {
            aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                .id(m.message_id.clone().unwrap_or_default())
                .receipt_handle(m.receipt_handle.clone()?)
                .build()
                .ok()
        })
        .collect();
    if done.is_empty() {
        return;
    }
    match sqs.delete_message_batch().queue_url(queue_url).set_entries(Some(done)).send().await {
        Ok(output) if output.failed.is_empty() => {}
        Ok(output) => tracing::warn!(failed = ?output.failed, "SQS delete failed for some messages"),
        Err(err) => tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&err), "SQS delete failed"),
    }
}

#[cfg(test)]
mod tests {
    use lambda_http::RequestExt;
    use lambda_http::request::{LambdaRequest, RequestContext};

    /// Every HTTP sample in `events/` is what the Lambda runtime accepts (the payload 2.0,
    /// the only shape this build of lambda_http deserializes) and names a route of the
    /// table served by the function whose directory holds it, with matching path parameters.
    /// (Running them through the handlers needs the local stack; see `events/README.md`.)
    #[test]
    fn http_samples_deserialize_and_name_their_functions_routes() {
        let root = crate::paths::repo_root().join("events");
        let mut checked = 0;
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let function = dir.file_name().unwrap().to_str().unwrap().to_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let path = file.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                let Some(key) = json["routeKey"].as_str() else { continue };
                let request: LambdaRequest =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(matches!(request, LambdaRequest::ApiGatewayV2(_)), "{}", path.display());
                let request = lambda_http::Request::from(request);
                let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
                    panic!("{}: no payload 2.0 context", path.display())
                };
                assert_eq!(context.route_key.as_deref(), Some(key), "{}", path.display());
                let (method, raw_path) = key.split_once(' ').unwrap();
                let actual_path = json["rawPath"].as_str().unwrap();
                let (route, params) = super::routes::match_route(method, actual_path)
                    .unwrap_or_else(|| panic!("{}: no route for {method} {actual_path}", path.display()));
                assert_eq!(route.key(), key, "{}: rawPath {actual_path} is not {raw_path}", path.display());
                assert_eq!(route.function, function, "{}", path.display());
                for (name, value) in params {
                    assert_eq!(json["pathParameters"][name], value, "{}: path parameter {name}", path.display());
                }
                let has_authorizer = context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).is_some();
                assert_eq!(has_authorizer, route.authorizer != super::Authorizer::Public, "{}", path.display());
                if let Some(body) = json["body"].as_str()
                    && let Some(length) = json["headers"]["content-length"].as_str()
                {
                    assert_eq!(length, body.len().to_string(), "{}: content-length", path.display());
                }
                checked += 1;
            }
        }
        assert!(checked >= 22, "only {checked} HTTP samples");
    }
}

//! The gateway's HTTP server on 127.0.0.1 (pages, `/config.js`, the API under `/api`, the
//! local mailbox), the relay of the SQS queues to their consumers and of the table's stream
//! to the view-index function (`stream`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use aws_config::SdkConfig;
use axum::Router;
use axum::extract::{Request as AxumRequest, State};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{any, get};
use lambda_http::{Body, Response};
use portal_shared::ApiError;
use portal_shared::signup::SignUpMode;
use serde_json::json;
use tokio::sync::watch;
use xtask::function_env::LocalOverrides;
use xtask::provision::{REGION, Stack};

use crate::api::ApiGateway;
use crate::event::sqs_event;
use crate::functions::QueueHandler;
use crate::{API_PREFIX, MAX_REQUEST_BYTES};

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
    start_with_overrides(sdk, stack, port, relay, LocalOverrides::default()).await
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
    let overrides = LocalOverrides { company_signup: mode.as_str().to_owned(), ..LocalOverrides::default() };
    start_with_overrides(sdk, stack, port, relay, overrides).await
}

/// [`start_with`] with explicit local overrides.
pub async fn start_with_overrides(
    sdk: &SdkConfig,
    stack: &Stack,
    port: u16,
    relay: Relay,
    overrides: LocalOverrides,
) -> Result<RunningGateway> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let address = listener.local_addr()?;
    let state = Arc::new(GatewayState {
        api: ApiGateway::with_overrides(sdk, stack, &format!("http://{address}"), overrides).await?,
        config_js: format!("window.PORTAL_CONFIG = {};\n", json!({ "apiBase": API_PREFIX })),
    });
    let router = Router::new()
        .route("/config.js", get(config_js))
        .route_service("/p/{slug}", tower_http::services::ServeFile::new(xtask::paths::web_dir().join("portal.html")))
        .route_service(
            "/p/{slug}/register",
            tower_http::services::ServeFile::new(xtask::paths::web_dir().join("portal.html")),
        )
        .route_service("/portal", tower_http::services::ServeFile::new(xtask::paths::web_dir().join("portal.html")))
        .route(API_PREFIX, any(api))
        // The wildcard below needs a non-empty rest: `/api/` is the API too (a 404 problem).
        .route(&format!("{API_PREFIX}/"), any(api))
        .route(&format!("{API_PREFIX}/{{*path}}"), any(api))
        .fallback_service(tower_http::services::ServeDir::new(xtask::paths::web_dir()))
        // CloudFront's response headers policy, on pages and API alike; not on the local
        // mailbox, which frames its emails and exists only here.
        .layer(axum::middleware::map_response(security_headers))
        .merge(xtask::mailbox::routes(&stack.endpoint))
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
    let functions = state.api.functions();
    let queues = [
        (stack.queue_url.clone(), stack.queue_arn.clone(), Arc::clone(&functions.object_events)),
        (
            stack.notifications_queue_url.clone(),
            stack.notifications_queue_arn.clone(),
            Arc::clone(&functions.notifications),
        ),
        (stack.jobs_queue_url.clone(), stack.jobs_queue_arn.clone(), Arc::clone(&functions.jobs)),
    ];
    // The table's stream to the view-index function (one poller: one shard).
    tasks.push(tokio::spawn(crate::stream::poll(
        sdk.clone(),
        stack.table.clone(),
        REGION.to_owned(),
        Arc::clone(&functions.view_index),
        stopped.clone(),
    )));
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
    for (name, value) in xtask::deploy::SECURITY_HEADERS {
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
    let event = sqs_event(&messages, queue_arn, REGION);
    let failed: Vec<String> =
        handler(event).await.batch_item_failures.into_iter().map(|failure| failure.item_identifier).collect();
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

//! A recording reverse proxy in front of the emulator: the benchmarked processes send
//! their AWS requests here, and every request's service and start and end times are
//! logged, so a warm invocation's time can be split into waiting on AWS and the
//! handler's own work.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::Response;
use tokio::sync::watch;

use crate::metering::describe_request;

#[derive(Debug, Clone)]
pub struct Exchange {
    pub service: String,
    pub started: Instant,
    pub ended: Instant,
}

struct Shared {
    upstream: String,
    http: reqwest::Client,
    log: Mutex<Vec<Exchange>>,
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
        });
        let router = Router::new().fallback(forward).with_state(Arc::clone(&shared));
        let (address, shutdown) = super::serve_local(router).await?;
        Ok(Self { address, shared, shutdown })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Everything logged so far, oldest first; the log starts over.
    pub fn take_log(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.shared.log.lock().expect("log"))
    }
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn forward(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (service, _) = describe_request(parts.method.as_str(), |name| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    });
    let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let url = format!("{}{}", shared.upstream, parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
    let mut upstream = shared.http.request(parts.method.clone(), url).body(body);
    for (name, value) in parts.headers.iter().filter(|(name, _)| !is_hop_by_hop(name)) {
        // Host stays as signed (the emulator does not check signatures, but keep it true).
        upstream = upstream.header(name, value);
    }
    let response = match upstream.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers().iter().filter(|(name, _)| !is_hop_by_hop(name)) {
                response = response.header(name, value);
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            response.body(axum::body::Body::from(bytes)).unwrap_or_default()
        }
        Err(err) => Response::builder().status(502).body(axum::body::Body::from(err.to_string())).unwrap_or_default(),
    };
    shared.log.lock().expect("log").push(Exchange { service, started, ended: Instant::now() });
    response
}

/// Headers about one connection's framing, which each side sets for itself.
fn is_hop_by_hop(name: &http::HeaderName) -> bool {
    matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection" | "keep-alive")
}

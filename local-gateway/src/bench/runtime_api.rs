//! A local Lambda Runtime API (the `2018-06-01` interface a `bootstrap` polls): the armed
//! events are handed out one per `next`, each response (or error) reported back with when
//! its event was handed out and when the answer arrived. While the queue is empty, `next`
//! waits (like a frozen execution environment) until more events are queued.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{Notify, mpsc, watch};

/// How one invocation went.
#[derive(Debug)]
pub struct Outcome {
    /// When its event was handed out.
    pub served: Instant,
    /// When its response or error arrived.
    pub at: Instant,
    pub ok: bool,
    pub body: String,
    /// CPU time the function's process used between the two (all its threads), when the
    /// process is known (see [`RuntimeApi::watch_process`]).
    pub cpu: Option<Duration>,
}

struct Shared {
    events: Mutex<VecDeque<Value>>,
    /// Woken when events are queued (one process polls at a time).
    queued: Notify,
    /// When each handed-out event (by request id) was handed out, with the process's CPU
    /// time then.
    served: Mutex<Vec<(Instant, Option<Duration>)>>,
    /// The process whose CPU time each invocation is charged.
    pid: Mutex<Option<u32>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    shared: Arc<Shared>,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    shutdown: watch::Sender<bool>,
}

impl RuntimeApi {
    pub async fn start() -> Result<Self> {
        let (sender, outcomes) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            events: Mutex::default(),
            queued: Notify::new(),
            served: Mutex::default(),
            pid: Mutex::default(),
            outcomes: sender,
        });
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(Arc::clone(&shared));
        let (address, shutdown) = xtask::local_server::serve_local(router).await?;
        Ok(Self { address, shared, outcomes, shutdown })
    }

    /// The next `next` calls get these events, in order (for a new process: forget
    /// everything before).
    pub fn arm(&mut self, events: impl IntoIterator<Item = Value>) {
        while self.outcomes.try_recv().is_ok() {}
        self.shared.served.lock().expect("served").clear();
        *self.shared.events.lock().expect("events") = events.into_iter().collect();
        self.shared.queued.notify_one();
    }

    /// Queues more events for the same process, after those it has been given.
    pub fn extend(&self, events: impl IntoIterator<Item = Value>) {
        self.shared.events.lock().expect("events").extend(events);
        self.shared.queued.notify_one();
    }

    /// When the first armed event was asked for: the process had finished its init.
    pub fn first_poll(&self) -> Option<Instant> {
        self.shared.served.lock().expect("served").first().map(|(at, _)| *at)
    }

    /// Charges each invocation from now on the CPU time process `pid` uses for it.
    pub fn watch_process(&self, pid: Option<u32>) {
        *self.shared.pid.lock().expect("pid") = pid;
    }

    /// Waits for the next invocation to finish.
    pub async fn outcome(&mut self) -> Option<Outcome> {
        self.outcomes.recv().await
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> (StatusCode, HeaderMap, String) {
    let event = loop {
        let event = shared.events.lock().expect("events").pop_front();
        match event {
            Some(event) => break event,
            // Nothing for this process yet: it waits here until more is queued (or it is
            // killed). `notify_one` keeps a wake-up for a `next` not waiting yet.
            None => shared.queued.notified().await,
        }
    };
    let cpu = shared.cpu_time();
    let request_id = {
        let mut served = shared.served.lock().expect("served");
        served.push((Instant::now(), cpu));
        served.len() - 1
    };
    let mut headers = HeaderMap::new();
    let deadline =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis() + 30_000;
    headers.insert("lambda-runtime-aws-request-id", HeaderValue::from_str(&request_id.to_string()).expect("digits"));
    headers.insert("lambda-runtime-deadline-ms", HeaderValue::from_str(&deadline.to_string()).expect("digits"));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        HeaderValue::from_static("arn:aws:lambda:eu-west-1:000000000000:function:bench"),
    );
    headers.insert("lambda-runtime-trace-id", HeaderValue::from_static("Root=1-00000000-000000000000000000000000"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, event.to_string())
}

impl Shared {
    /// The watched process's CPU time so far: the sum over its threads of the first field
    /// of `/proc/{pid}/task/{tid}/schedstat` (nanoseconds on a CPU).
    fn cpu_time(&self) -> Option<Duration> {
        let pid = (*self.pid.lock().expect("pid"))?;
        process_cpu_time(pid)
    }
}

/// The CPU time process `pid` has used so far: the sum over its live threads of the first
/// field of `/proc/{pid}/task/{tid}/schedstat` (nanoseconds on a CPU).
pub fn process_cpu_time(pid: u32) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()).unwrap_or(0);
    }
    Some(Duration::from_nanos(total))
}

fn report(shared: &Shared, id: Option<&str>, ok: bool, body: Bytes) -> StatusCode {
    let cpu_now = shared.cpu_time();
    let at = Instant::now();
    let (served, cpu_then) = id
        .and_then(|id| id.parse::<usize>().ok())
        .and_then(|id| shared.served.lock().expect("served").get(id).copied())
        .unwrap_or((at, None));
    let cpu = cpu_now.zip(cpu_then).map(|(now, then)| now.saturating_sub(then));
    let _ = shared.outcomes.send(Outcome { served, at, ok, body: String::from_utf8_lossy(&body).into_owned(), cpu });
    StatusCode::ACCEPTED
}

async fn response(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    report(&shared, Some(&id), true, body)
}

async fn error(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    report(&shared, Some(&id), false, body)
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    report(&shared, None, false, body)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    async fn next_event(api: &RuntimeApi) -> reqwest::Result<(String, Value)> {
        let response = reqwest::get(format!("http://{}/2018-06-01/runtime/invocation/next", api.address))
            .await?
            .error_for_status()?;
        let id = response.headers()["lambda-runtime-aws-request-id"].to_str().unwrap_or_default().to_owned();
        Ok((id, response.json().await?))
    }

    #[tokio::test]
    async fn next_waits_for_events_queued_later_and_each_answer_is_reported() -> Result<()> {
        let mut api = RuntimeApi::start().await?;
        api.arm([json!({ "n": 1 })]);
        let (id, event) = next_event(&api).await?;
        assert_eq!(event, json!({ "n": 1 }));
        let url = format!("http://{}/2018-06-01/runtime/invocation/{id}/response", api.address);
        reqwest::Client::new().post(url).body("one").send().await?.error_for_status()?;
        let outcome = api.outcome().await.expect("an outcome");
        assert!(outcome.ok);
        assert_eq!(outcome.body, "one");

        // Nothing queued: the poll waits (a frozen sandbox) until more is queued.
        let waiting = next_event(&api);
        tokio::pin!(waiting);
        assert!(tokio::time::timeout(Duration::from_millis(200), &mut waiting).await.is_err());
        api.extend([json!({ "n": 2 })]);
        let (id, event) = tokio::time::timeout(Duration::from_secs(5), waiting).await??;
        assert_eq!(event, json!({ "n": 2 }));
        assert_eq!(id, "1", "request ids go on counting for the same process");
        Ok(())
    }
}

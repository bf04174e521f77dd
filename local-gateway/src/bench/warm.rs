//! Warm invocations of a release binary through the local Runtime API. The end-to-end
//! time is the Runtime API's (event handed out → response back); the handler's own time,
//! its waiting on AWS, its CPU and its AWS requests come from the function itself: the
//! line `function::run` logs per invocation, measured in-process by `portal_shared::metering`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cold::Program;
use super::percentile;
use super::routes::RouteCase;
use super::runtime_api::RuntimeApi;
use super::snapshot::TableSnapshot;

#[derive(Debug, Serialize)]
pub struct WarmSummary {
    pub route: String,
    pub invocations: usize,
    /// End to end, through the Runtime API (includes the runtime's own HTTP exchange).
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The handler, in-process (`HttpFunction::serve`, request to response).
    pub handler_p50_ms: f64,
    pub handler_p99_ms: f64,
    /// The handler's time not spent waiting on AWS (in-process).
    pub overhead_p50_ms: f64,
    pub overhead_p99_ms: f64,
    /// CPU time the process used during the handler (its own work only: no waiting, no
    /// time lost to other processes on the machine).
    pub cpu_p50_ms: f64,
    pub cpu_p99_ms: f64,
    /// CPU time of the whole invocation, the runtime's exchange included (from
    /// `/proc/{pid}/task/*/schedstat`, read by the Runtime API).
    pub invocation_cpu_p99_ms: f64,
    /// AWS requests of one invocation, per service.
    pub aws_calls: BTreeMap<String, u32>,
}

/// The line `portal_shared::function::log_invocation` writes.
#[derive(Debug, Deserialize)]
struct InvocationLine {
    route: String,
    ms: f64,
    overhead_ms: f64,
    cpu_ms: f64,
    aws: String,
}

/// The environment's log filter for measured functions: warnings, and the per-invocation
/// line the measurements come from.
pub const LOG_FILTER: &str = "warn,portal_shared::function=info";

/// Starts `program` once and sends it `invocations` of each case's event (after one
/// unmeasured warm-up each), the table put back as in `snapshot` after each case.
pub async fn series(
    runtime: &mut RuntimeApi,
    program: &Program,
    cases: &[(&RouteCase, Value)],
    invocations: usize,
    snapshot: &TableSnapshot,
) -> Result<Vec<WarmSummary>> {
    let per_case = 1 + invocations; // one unmeasured warm-up each
    runtime.arm([]);
    // The function's own logs: the measurements, and what went wrong if an invocation fails.
    let log_dir = xtask::paths::repo_root().join("target").join("bench").join("logs");
    std::fs::create_dir_all(&log_dir)?;
    let log_path = log_dir.join(format!("{}.log", program.command.file_name().unwrap_or_default().to_string_lossy()));
    let mut child = program
        .command(runtime)
        .stdout(std::fs::File::create(&log_path)?)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.command.display()))?;
    runtime.watch_process(child.id());
    let mut outcomes = Vec::new();
    for (case, event) in cases {
        runtime.extend(std::iter::repeat_n(event.clone(), per_case));
        let mut mine = Vec::with_capacity(per_case);
        for _ in 0..per_case {
            let outcome = tokio::time::timeout(Duration::from_secs(30), runtime.outcome())
                .await
                .ok()
                .flatten()
                .with_context(|| format!("{}: no response within 30 s", case.route))?;
            if !outcome.ok {
                bail!("{} failed: {} (logs: {})", case.route, outcome.body, log_path.display());
            }
            let status = serde_json::from_str::<Value>(&outcome.body).ok().and_then(|b| b["statusCode"].as_u64());
            if status != Some(u64::from(case.status)) {
                bail!(
                    "{} answered {status:?}, not {}: {} (logs: {})",
                    case.route,
                    case.status,
                    outcome.body,
                    log_path.display()
                );
            }
            mine.push(outcome);
        }
        outcomes.push(mine);
        snapshot.restore().await.with_context(|| format!("putting the table back after {}", case.route))?;
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let mut lines = invocation_lines(&log_path)?.into_iter();
    let mut summaries = Vec::new();
    for ((case, _), outcomes) in cases.iter().zip(&outcomes) {
        let (mut times, mut handler, mut overheads, mut cpu, mut invocation_cpu) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut aws_calls = BTreeMap::new();
        for (index, outcome) in outcomes.iter().enumerate() {
            let line =
                lines.next().with_context(|| format!("{}: fewer invocation lines than invocations", case.route))?;
            ensure!(line.route == case.route, "invocation line of {} where {} was expected", line.route, case.route);
            if index == 0 {
                aws_calls = parse_requests(&line.aws)?;
                continue; // the warm-up
            }
            times.push(outcome.at.duration_since(outcome.served).as_secs_f64() * 1000.0);
            handler.push(line.ms);
            overheads.push(line.overhead_ms);
            cpu.push(line.cpu_ms);
            invocation_cpu.extend(outcome.cpu.map(|c| c.as_secs_f64() * 1000.0));
        }
        summaries.push(WarmSummary {
            route: case.route.to_owned(),
            invocations: times.len(),
            p50_ms: percentile(&times, 50.0),
            p99_ms: percentile(&times, 99.0),
            handler_p50_ms: percentile(&handler, 50.0),
            handler_p99_ms: percentile(&handler, 99.0),
            overhead_p50_ms: percentile(&overheads, 50.0),
            overhead_p99_ms: percentile(&overheads, 99.0),
            cpu_p50_ms: percentile(&cpu, 50.0),
            cpu_p99_ms: percentile(&cpu, 99.0),
            invocation_cpu_p99_ms: percentile(&invocation_cpu, 99.0),
            aws_calls,
        });
    }
    Ok(summaries)
}

/// The per-invocation lines of a function's log, in order.
fn invocation_lines(log: &Path) -> Result<Vec<InvocationLine>> {
    let text = std::fs::read_to_string(log).with_context(|| log.display().to_string())?;
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["fields"]["message"] == "invocation")
        .map(|entry| Ok(serde_json::from_value(entry["fields"].clone())?))
        .collect()
}

/// `dynamodb 2, s3 1` → {dynamodb: 2, s3: 1}.
fn parse_requests(text: &str) -> Result<BTreeMap<String, u32>> {
    text.split(", ")
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (service, n) = part.rsplit_once(' ').with_context(|| format!("AWS requests: {text:?}"))?;
            Ok((service.to_owned(), n.parse()?))
        })
        .collect()
}

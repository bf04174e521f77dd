//! Warm invocations of a release binary through the local Runtime API, split into the
//! time spent waiting on AWS (from the recording proxy) and the handler's own work.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;

use super::cold::Program;
use super::percentile;
use super::routes::{RouteCase, TRANSACTIONAL_INVOCATIONS};
use super::runtime_api::RuntimeApi;
use crate::aws_proxy::{AwsProxy, Exchange};

#[derive(Debug, Serialize)]
pub struct WarmSummary {
    pub route: String,
    pub invocations: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub overhead_p50_ms: f64,
    pub overhead_p99_ms: f64,
    /// CPU time the function's process spent per invocation (its own work; no waiting, no
    /// time lost to other processes on the machine).
    pub cpu_p50_ms: f64,
    pub cpu_p99_ms: f64,
    /// AWS requests of one invocation, per service.
    pub aws_calls: BTreeMap<String, u32>,
}

/// Starts `program` once and sends it `invocations` of each case's event (after one
/// unmeasured warm-up each).
pub async fn series(
    runtime: &mut RuntimeApi,
    proxy: &AwsProxy,
    program: &Program<'_>,
    cases: &[(&RouteCase, Value)],
    invocations: usize,
) -> Result<Vec<WarmSummary>> {
    let count = |case: &RouteCase| {
        1 + if case.transactional { invocations.min(TRANSACTIONAL_INVOCATIONS) } else { invocations }
    };
    runtime.arm(cases.iter().flat_map(|(case, event)| std::iter::repeat_n(event.clone(), count(case))));
    proxy.take_log();
    // The function's own logs, for when an invocation fails.
    let log_dir = crate::paths::repo_root().join("target").join("bench").join("logs");
    std::fs::create_dir_all(&log_dir)?;
    let log_path = log_dir.join(format!("{}.log", program.command.file_name().unwrap_or_default().to_string_lossy()));
    let mut child = program
        .command(runtime)
        .stdout(std::fs::File::create(&log_path)?)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.command.display()))?;
    runtime.watch_process(child.id());
    let mut summaries = Vec::new();
    for (case, _) in cases {
        let mut outcomes = Vec::with_capacity(count(case));
        for _ in 0..count(case) {
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
            outcomes.push(outcome);
        }
        let log = proxy.take_log();
        let (mut times, mut overheads, mut cpu) = (Vec::new(), Vec::new(), Vec::new());
        let mut aws_calls = BTreeMap::new();
        for (index, outcome) in outcomes.iter().enumerate() {
            let during: Vec<&Exchange> =
                log.iter().filter(|e| e.started >= outcome.served && e.ended <= outcome.at).collect();
            if index == 0 {
                for exchange in &during {
                    *aws_calls.entry(exchange.service.clone()).or_insert(0) += 1;
                }
                continue; // the warm-up
            }
            let total = outcome.at.duration_since(outcome.served);
            let waiting = union(&during);
            times.push(total.as_secs_f64() * 1000.0);
            overheads.push(total.saturating_sub(waiting).as_secs_f64() * 1000.0);
            cpu.extend(outcome.cpu.map(|c| c.as_secs_f64() * 1000.0));
        }
        summaries.push(WarmSummary {
            route: case.route.to_owned(),
            invocations: times.len(),
            p50_ms: percentile(&times, 50.0),
            p99_ms: percentile(&times, 99.0),
            overhead_p50_ms: percentile(&overheads, 50.0),
            overhead_p99_ms: percentile(&overheads, 99.0),
            cpu_p50_ms: percentile(&cpu, 50.0),
            cpu_p99_ms: percentile(&cpu, 99.0),
            aws_calls,
        });
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    Ok(summaries)
}

/// The time covered by the exchanges (overlapping requests count once).
fn union(exchanges: &[&Exchange]) -> Duration {
    let mut spans: Vec<(Instant, Instant)> = exchanges.iter().map(|e| (e.started, e.ended)).collect();
    spans.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                total += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        total += e - s;
    }
    total
}

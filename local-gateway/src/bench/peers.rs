//! The peers: the same route in the runtimes a Lambda function is most often written in
//! (Python 3 + boto3, `python/functions.py`; Node.js 20 + the AWS SDK for JavaScript v3,
//! `node/functions.mjs`, bundled into one file by esbuild), each behind a Runtime API loop
//! like its managed runtime's, measured warm side by side with the Rust function through
//! the same local Runtime API and the same recording proxy.
//!
//! Every runtime is measured the same way, from outside the process, so the figures
//! compare: *end to end* (the Runtime API hands the event out → the response arrives), the
//! time its AWS requests were in flight as the proxy saw them, the *overhead* (end to end
//! less that: the runtime's loop, the handler's own work, the SDK's signing and parsing),
//! and the *CPU* the process used for the invocation (`/proc/{pid}/task/*/schedstat`). Each
//! series runs with the cores held in shallow idle states and without, so no figure rests
//! on that machine setting alone; CPU time barely depends on it.
//!
//! The proxy also shows which AWS requests each invocation made: a peer must make exactly
//! the Rust function's (same services and operations, same order), or the bench stops.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde::Serialize;
use serde_json::Value;
use xtask::aws_proxy::{AwsProxy, Exchange};
use xtask::paths::{local_dir, repo_root};

use super::cold::Program;
use super::percentile;
use super::runtime_api::RuntimeApi;
use super::snapshot::TableSnapshot;

/// Unmeasured invocations before each series: the interpreters' and V8's code warmed up
/// (and the Rust function's connections opened), as in a sandbox that has served a few.
const WARM_UP: usize = 10;

/// One runtime's warm series of one route, with or without the idle hold.
#[derive(Debug, Clone, Serialize)]
pub struct PeerSeries {
    pub route: String,
    pub runtime: String,
    pub shallow_idle: bool,
    pub invocations: usize,
    pub end_to_end_p50_ms: f64,
    pub end_to_end_p99_ms: f64,
    /// Time with at least one AWS request in flight, at the proxy.
    pub aws_p50_ms: f64,
    /// End to end less the AWS time.
    pub overhead_p50_ms: f64,
    pub overhead_p99_ms: f64,
    /// The process's CPU time for the invocation, the runtime's own exchange included.
    pub cpu_p50_ms: f64,
    pub cpu_p99_ms: f64,
    /// The AWS requests of one invocation, in order (`service Operation`), the same for
    /// every invocation of the series.
    pub aws_requests: Vec<String>,
}

/// Starts `program`, sends it `WARM_UP` + `invocations` times `event` (each must answer
/// `status`), and measures each from outside. The table is put back as in `snapshot` after.
#[allow(clippy::too_many_arguments)]
pub async fn series(
    runtime: &mut RuntimeApi,
    proxy: &AwsProxy,
    program: &Program,
    label: (&str, &str),
    event: &Value,
    status: u16,
    invocations: usize,
    snapshot: &TableSnapshot,
    shallow_idle: bool,
) -> Result<PeerSeries> {
    let (route, name) = label;
    runtime.arm([]);
    let log_dir = repo_root().join("target").join("bench").join("logs");
    std::fs::create_dir_all(&log_dir)?;
    let log_path = log_dir.join(format!("peer-{}.log", name.replace([' ', '/', '(', ')', '+'], "-")));
    let log_file = std::fs::File::create(&log_path)?;
    let mut child = program
        .command(runtime)
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("starting {}", program.command.display()))?;
    runtime.watch_process(child.id());
    runtime.extend(std::iter::repeat_n(event.clone(), WARM_UP + invocations));
    let mut outcomes = Vec::with_capacity(invocations);
    for index in 0..WARM_UP + invocations {
        if index == WARM_UP {
            proxy.take_log(); // the warm-up's requests
        }
        let outcome = tokio::time::timeout(Duration::from_secs(30), runtime.outcome())
            .await
            .ok()
            .flatten()
            .with_context(|| format!("{name}, {route}: no response within 30 s (logs: {})", log_path.display()))?;
        let answered = serde_json::from_str::<Value>(&outcome.body).ok().and_then(|b| b["statusCode"].as_u64());
        if !outcome.ok || answered != Some(u64::from(status)) {
            bail!(
                "{name}, {route}: answered {answered:?}, not {status}: {} (logs: {})",
                outcome.body,
                log_path.display()
            );
        }
        if index >= WARM_UP {
            outcomes.push(outcome);
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let log = proxy.take_log();
    snapshot.restore().await.with_context(|| format!("putting the table back after {name}"))?;

    let (mut end_to_end, mut aws, mut overhead, mut cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut requests: Option<Vec<String>> = None;
    for outcome in &outcomes {
        let mine: Vec<&Exchange> =
            log.iter().filter(|e| e.started >= outcome.served && e.ended <= outcome.at).collect();
        let made: Vec<String> =
            mine.iter().map(|e| format!("{} {}", e.service, e.operation.as_deref().unwrap_or("?"))).collect();
        match &requests {
            None => requests = Some(made),
            Some(first) => ensure!(
                *first == made,
                "{name}, {route}: one invocation made {made:?}, another {first:?}: the series is not repeatable"
            ),
        }
        let total = outcome.at.duration_since(outcome.served);
        let waiting = in_flight(mine.iter().map(|e| (e.started, e.ended)));
        end_to_end.push(ms(total));
        aws.push(ms(waiting));
        overhead.push(ms(total.saturating_sub(waiting)));
        cpu.extend(outcome.cpu.map(ms));
    }
    ensure!(cpu.len() == outcomes.len(), "{name}: the process's CPU time could not be read");
    Ok(PeerSeries {
        route: route.to_owned(),
        runtime: name.to_owned(),
        shallow_idle,
        invocations: outcomes.len(),
        end_to_end_p50_ms: percentile(&end_to_end, 50.0),
        end_to_end_p99_ms: percentile(&end_to_end, 99.0),
        aws_p50_ms: percentile(&aws, 50.0),
        overhead_p50_ms: percentile(&overhead, 50.0),
        overhead_p99_ms: percentile(&overhead, 99.0),
        cpu_p50_ms: percentile(&cpu, 50.0),
        cpu_p99_ms: percentile(&cpu, 99.0),
        aws_requests: requests.unwrap_or_default(),
    })
}

/// Fails unless every series of a route made the same AWS requests as the first (the Rust
/// function's).
pub fn check_same_requests(series: &[PeerSeries]) -> Result<()> {
    for s in series {
        let Some(reference) = series.iter().find(|r| r.route == s.route) else { continue };
        ensure!(
            s.aws_requests == reference.aws_requests,
            "{} does not do the same AWS work as {} on {}: {:?} against {:?}",
            s.runtime,
            reference.runtime,
            s.route,
            s.aws_requests,
            reference.aws_requests
        );
    }
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The time covered by at least one of `spans` (overlapping requests counted once).
fn in_flight(spans: impl Iterator<Item = (Instant, Instant)>) -> Duration {
    let mut spans: Vec<(Instant, Instant)> = spans.collect();
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
    total + current.map_or(Duration::ZERO, |(s, e)| e - s)
}

/// The Node.js peer, built on first use (and again when its sources change) under
/// `.local/node-peer`: its pinned packages installed from `package-lock.json` (`npm ci`),
/// then bundled into one file by esbuild, as a Lambda deployment of it would be.
pub struct NodePeer {
    pub node: PathBuf,
    pub bundle: PathBuf,
}

const NODE_SOURCES: [&str; 3] = ["package.json", "package-lock.json", "functions.mjs"];

impl NodePeer {
    pub fn ensure() -> Result<Self> {
        let node = which("node")
            .context("the Node.js peer needs Node.js 20 or later and npm on PATH (the machine's `nodejs` package)")?;
        let npm = which("npm").context("the Node.js peer needs npm on PATH")?;
        let sources = repo_root().join("local-gateway/src/bench/node");
        let dir = local_dir().join("node-peer");
        let bundle = dir.join("dist").join("functions.cjs");
        std::fs::create_dir_all(&dir)?;
        let mut changed = !bundle.exists();
        for name in NODE_SOURCES {
            let wanted = std::fs::read(sources.join(name)).with_context(|| format!("reading node/{name}"))?;
            if std::fs::read(dir.join(name)).ok().as_ref() != Some(&wanted) {
                std::fs::write(dir.join(name), wanted)?;
                changed = true;
            }
        }
        let lock = std::fs::read(dir.join("package-lock.json"))?;
        let installed = dir.join("node_modules").join(".package-lock.json");
        let marker = dir.join(".installed-lock");
        if std::fs::read(&marker).ok().as_ref() != Some(&lock) || !installed.exists() {
            eprintln!("bench: installing the Node.js peer's pinned packages into {}", dir.display());
            // `--ignore-scripts`: esbuild's binary comes in its platform package; its
            // postinstall only checks it.
            run(Command::new(&npm).current_dir(&dir).args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ]))?;
            std::fs::write(&marker, &lock)?;
            changed = true;
        }
        if changed {
            eprintln!("bench: bundling the Node.js peer (esbuild)");
            run(Command::new(dir.join("node_modules/.bin/esbuild")).current_dir(&dir).args([
                "functions.mjs",
                "--bundle",
                "--platform=node",
                "--target=node20",
                "--format=cjs",
                "--minify",
                "--log-level=warning",
                &format!("--outfile={}", bundle.display()),
            ]))?;
        }
        Ok(Self { node, bundle })
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.stdin(Stdio::null()).status().with_context(|| format!("could not run {command:?}"))?;
    ensure!(status.success(), "{command:?} failed with {status}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_requests_count_once_in_the_time_in_flight() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let spans = [(at(0), at(10)), (at(5), at(15)), (at(20), at(25)), (at(21), at(22))];
        assert_eq!(in_flight(spans.into_iter()), Duration::from_millis(20));
        assert_eq!(in_flight(std::iter::empty()), Duration::ZERO);
    }

    #[test]
    fn a_peer_with_other_requests_than_the_rust_function_is_refused() {
        let series = |runtime: &str, requests: &[&str]| PeerSeries {
            route: "GET /documents/{documentId}/download".into(),
            runtime: runtime.into(),
            shallow_idle: true,
            invocations: 1,
            end_to_end_p50_ms: 1.0,
            end_to_end_p99_ms: 1.0,
            aws_p50_ms: 0.5,
            overhead_p50_ms: 0.5,
            overhead_p99_ms: 0.5,
            cpu_p50_ms: 0.5,
            cpu_p99_ms: 0.5,
            aws_requests: requests.iter().map(|r| (*r).to_owned()).collect(),
        };
        let rust = series("Rust", &["dynamodb GetItem", "dynamodb TransactWriteItems"]);
        let same = series("Node.js", &["dynamodb GetItem", "dynamodb TransactWriteItems"]);
        let other = series("Python", &["dynamodb GetItem", "dynamodb PutItem"]);
        assert!(check_same_requests(&[rust.clone(), same]).is_ok());
        let refused = check_same_requests(&[rust, other]).expect_err("a PutItem is not the Rust route's transaction");
        assert!(refused.to_string().contains("PutItem"));
    }
}

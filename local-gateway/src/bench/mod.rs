//! `cargo xtask bench`: cold starts (every function, a hello-world floor, Python + boto3
//! and Node.js + AWS SDK v3 equivalents), warm handler latency and overhead per route, the
//! peers side by side warm (`peers`), AWS requests per route, package sizes and peak
//! memory. Results go to `target/bench/` (JSON, one file per run plus `latest.json`) and
//! to the results section of `docs/performance.md`.

pub mod cold;
pub mod cpus;
pub mod growth;
mod growth_chart;
pub mod growth_world;
pub mod peers;
pub mod routes;
pub mod runtime_api;
pub mod scenario;
pub mod snapshot;
pub mod warm;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use serde::Serialize;
use serde_json::{Value, json};

use self::cold::{ColdRun, Program};
use self::routes::RouteCase;
use self::runtime_api::RuntimeApi;
use self::scenario::Scenario;
use self::snapshot::TableSnapshot;
use crate as gateway;
use crate::ApiGateway;
use xtask::aws_proxy::AwsProxy;
use xtask::emulator::{Backend, Emulator};
use xtask::function_env;
use xtask::paths::repo_root;
use xtask::provision::{self, Names};

pub use xtask::bench::Options;

/// The functions, each cold-started with the request (or event) it is measured with.
const FUNCTIONS: &[(&str, &str)] = &[
    ("auth", "POST /auth/staff/login"),
    ("contacts", "GET /contacts"),
    ("documents", "GET /drive"),
    ("transfers", "GET /documents/{documentId}/download"),
    ("portal-access", "POST /contacts/{contactId}/access"),
    ("sharing", "GET /contacts/{contactId}/shares"),
    ("settings", "GET /settings"),
    ("registration", "POST /registration/resend"),
    ("customer", "GET /portal/shares"),
    ("object-events", "sqs: object-events/sqs-object-created.json"),
    ("notifications", "sqs: notifications/sqs-shares.json"),
];

/// The Python + boto3 equivalents (see `python/functions.py`) and the Rust function and
/// route each stands beside.
const PYTHON: &[(&str, &str, &str)] = &[
    ("presign_download", "transfers", "GET /documents/{documentId}/download"),
    ("incoming_shares", "customer", "GET /portal/shares"),
];

/// The Node.js 20 + AWS SDK v3 equivalents (see `node/functions.mjs`), likewise.
const NODE: &[(&str, &str, &str)] = &[("presign_download", "transfers", "GET /documents/{documentId}/download")];

/// The routes measured warm side by side in every runtime (`peers`): the peers make the
/// same AWS requests as the Rust function there, which the bench checks. (Python's
/// `incoming_shares` makes more than the Rust route's four, and is cold-started only.)
const SIDE_BY_SIDE: &[(&str, &str)] = &[("transfers", "GET /documents/{documentId}/download")];

/// A program of the cold-start series, and the event it is started with.
struct ColdProgram {
    name: String,
    measured_with: String,
    program: Program,
    event: Value,
}

#[derive(Debug, Serialize)]
struct ColdSummary {
    program: String,
    measured_with: String,
    runs: usize,
    init_p50_ms: f64,
    init_p95_ms: f64,
    total_p50_ms: f64,
    total_p95_ms: f64,
    /// CPU time from exec to the first response.
    cpu_p50_ms: f64,
    peak_rss_max_mib: f64,
}

pub async fn run(options: Options) -> Result<()> {
    if options.growth {
        return growth::run(options).await;
    }
    let started = Instant::now();
    eprintln!("bench: building the release binaries (host) …");
    let functions: Vec<(&str, &str)> = FUNCTIONS
        .iter()
        .copied()
        .filter(|(f, _)| options.only.as_ref().is_none_or(|only| only.iter().any(|o| o == f)))
        .collect();
    if let Some(only) = &options.only {
        ensure!(
            only.len() == functions.len(),
            "--only takes function names among {:?}",
            FUNCTIONS.iter().map(|f| f.0).collect::<Vec<_>>()
        );
    }
    let binaries = build(&options.profile, &functions)?;

    // Before moto starts, so that it inherits the bench's cores (see `cpus`).
    let split = cpus::CoreSplit::apply().context("setting the bench's CPU affinity")?;
    let core = split.map(cpus::CoreSplit::measured_core);
    let mut idle = cpus::ShallowIdle::hold();
    let emulator = Emulator::start(Backend::Moto).await?;
    let stack = provision::provision(&emulator.endpoint(), &Names::new("bench")).await?;
    let running = gateway::start(&stack, 0).await?;
    let scenario = Scenario::seed(&stack, &running.api_url()).await?;
    let sdk = stack.sdk_config().await;
    let api = ApiGateway::new(&sdk, &stack, &running.url()).await?;

    // Cold starts.
    // Each function's environment as the template sets it (resolved for this stack, as the
    // gateway configures the functions); one map for all: every value is the same stack's.
    let template = function_env::template()?;
    let public_url = running.url();
    let local = function_env::LocalStack { stack: &stack, public_url: &public_url, overrides: Default::default() };
    let mut configuration = BTreeMap::new();
    for function in function_env::functions(&template)?.keys() {
        configuration.extend(local.environment(&template, function)?);
    }
    let mut env: Vec<(String, String)> =
        stack.connection_env().into_iter().map(|(k, v)| (k.to_owned(), v)).chain(configuration).collect();
    env.extend([
        // Lambda sets both; boto3 reads only the second.
        ("AWS_DEFAULT_REGION".to_owned(), stack.region.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), "portal-bench".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_owned(), "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION".to_owned(), "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME".to_owned(), "/aws/lambda/bench".to_owned()),
        ("AWS_LAMBDA_LOG_STREAM_NAME".to_owned(), "bench".to_owned()),
        ("RUST_LOG".to_owned(), warm::LOG_FILTER.to_owned()),
        // Every cold start and warm invocation signs the same accounts in: far more than the
        // per-email limits allow. Raised, not switched off, so the counters' request is
        // measured as deployed.
        (portal_shared::config::RATE_LIMIT_MULTIPLIER.to_owned(), "1000000".to_owned()),
    ]);
    let cases = routes::cases(&scenario);
    let mut runtime = RuntimeApi::start().await?;

    // Cold starts: the floor, every function and the Python equivalents, each with its
    // environment and first event.
    let mut programs = vec![ColdProgram {
        name: "hello-world (Rust)".into(),
        measured_with: "any event".into(),
        program: Program { command: binaries.join("portal-bench-hello"), args: vec![], env: env.clone(), core },
        event: json!({}),
    }];
    for (function, measured_with) in &functions {
        let mut function_env = env.clone();
        function_env.retain(|(k, _)| k != "AWS_LAMBDA_FUNCTION_NAME");
        function_env.push(("AWS_LAMBDA_FUNCTION_NAME".to_owned(), format!("portal-{function}")));
        programs.push(ColdProgram {
            name: (*function).to_owned(),
            measured_with: (*measured_with).to_owned(),
            program: Program {
                command: binaries.join(format!("portal-{function}")),
                args: vec![],
                env: function_env,
                core,
            },
            event: function_event(&api, &scenario, &cases, function, measured_with)?,
        });
    }
    let script = repo_root().join("local-gateway/src/bench/python/functions.py");
    for (name, rust_function, route) in PYTHON.iter().filter(|(_, f, _)| functions.iter().any(|(g, _)| g == f)) {
        programs.push(ColdProgram {
            name: format!("{name} (Python 3 + boto3)"),
            measured_with: (*route).to_owned(),
            program: Program {
                command: xtask::venv::EMULATOR.bin("python"),
                args: vec![script.display().to_string(), (*name).to_owned()],
                env: env.clone(),
                core,
            },
            event: function_event(&api, &scenario, &cases, rust_function, route)?,
        });
    }
    let node = if NODE.iter().any(|(_, f, _)| functions.iter().any(|(g, _)| g == f)) {
        Some(peers::NodePeer::ensure().context("building the Node.js peer")?)
    } else {
        None
    };
    for (name, rust_function, route) in NODE.iter().filter(|(_, f, _)| functions.iter().any(|(g, _)| g == f)) {
        let node = node.as_ref().context("the Node.js peer")?;
        programs.push(ColdProgram {
            name: format!("{name} (Node.js 20 + AWS SDK v3)"),
            measured_with: (*route).to_owned(),
            program: Program {
                command: node.node.clone(),
                args: vec![node.bundle.display().to_string(), (*name).to_owned()],
                env: env.clone(),
                core,
            },
            event: function_event(&api, &scenario, &cases, rust_function, route)?,
        });
    }
    eprintln!("bench: cold starts ({} runs each, the programs taking turns) …", options.runs);
    let mut runs: Vec<Vec<ColdRun>> = vec![Vec::with_capacity(options.runs); programs.len()];
    // One unmeasured start of each first: the binary's pages in the OS cache, like a warm
    // host. Then rounds in which every program starts once, so that the machine's drift
    // over the minutes of the series falls on every program alike, and each ratio to the
    // floor compares starts made side by side.
    for round in 0..=options.runs {
        for (cold, runs) in programs.iter().zip(&mut runs) {
            let run = cold::run_once(&mut runtime, &cold.program, &cold.event)
                .await
                .with_context(|| format!("cold starts of {}", cold.name))?;
            if round > 0 {
                runs.push(run);
            }
        }
    }
    let cold: Vec<ColdSummary> =
        programs.iter().zip(&runs).map(|(p, runs)| summary(&p.name, &p.measured_with, runs)).collect();

    // Warm invocations: each function's release binary, started once, answers every
    // request of its routes through the Runtime API, and logs what each one cost. Its AWS
    // requests go through a proxy that keeps connections open, as AWS endpoints do: moto
    // (werkzeug) closes every connection after one answer, which would make every request
    // of a warm function open a new TCP connection, on AWS a cold start's cost only.
    eprintln!("bench: warm invocations ({} per route) …", options.invocations);
    let proxy = AwsProxy::start(&stack.endpoint).await?;
    let snapshot = TableSnapshot::take(aws_sdk_dynamodb::Client::new(&sdk), &stack.table).await?;
    let mut warm = Vec::new();
    for (function, _) in &functions {
        let mine: Vec<&RouteCase> = cases.iter().filter(|c| routes::function_of(c.route) == Some(*function)).collect();
        if mine.is_empty() {
            continue;
        }
        let mut function_env = env.clone();
        function_env.retain(|(k, _)| k != "AWS_ENDPOINT_URL" && k != "AWS_LAMBDA_FUNCTION_NAME");
        function_env.push(("AWS_ENDPOINT_URL".to_owned(), proxy.url()));
        function_env.push(("AWS_LAMBDA_FUNCTION_NAME".to_owned(), format!("portal-{function}")));
        let command = binaries.join(format!("portal-{function}"));
        let program = Program { command, args: vec![], env: function_env, core };
        let mut cases_events = Vec::new();
        for case in &mine {
            cases_events.push((*case, serde_json::to_value(routes::prepare(&api, &scenario, case)?.event)?));
        }
        warm.extend(
            warm::series(&mut runtime, &program, &cases_events, options.invocations, &snapshot)
                .await
                .with_context(|| format!("warm invocations of {function}"))?,
        );
        proxy.take_log(); // its record of the requests is not needed here
    }

    // The peers side by side, warm: the same route in Rust, Python and Node.js, each
    // measured from outside the same way, with the cores held in shallow idle states and
    // without (the hold is taken back after).
    let mut side_by_side = Vec::new();
    for (function, route) in SIDE_BY_SIDE.iter().filter(|(f, _)| functions.iter().any(|(g, _)| g == f)) {
        let case = cases.iter().find(|c| c.route == *route).context("the side-by-side route's request")?;
        let event = function_event(&api, &scenario, &cases, function, route)?;
        let mut runtimes = vec![(
            "Rust".to_owned(),
            binaries.join(format!("portal-{function}")),
            vec![],
            vec![("AWS_LAMBDA_FUNCTION_NAME".to_owned(), format!("portal-{function}"))],
        )];
        if let Some((name, _, _)) = PYTHON.iter().find(|(_, f, r)| f == function && r == route) {
            let script = repo_root().join("local-gateway/src/bench/python/functions.py");
            runtimes.push((
                "Python 3 + boto3".to_owned(),
                xtask::venv::EMULATOR.bin("python"),
                vec![script.display().to_string(), (*name).to_owned()],
                vec![],
            ));
        }
        if let (Some((name, _, _)), Some(node)) = (NODE.iter().find(|(_, f, r)| f == function && r == route), &node) {
            runtimes.push((
                "Node.js 20 + AWS SDK v3".to_owned(),
                node.node.clone(),
                vec![node.bundle.display().to_string(), (*name).to_owned()],
                vec![],
            ));
        }
        let mut measured = Vec::new();
        for held in [true, false] {
            idle.set(held);
            for (runtime_name, command, args, extra) in &runtimes {
                eprintln!("bench: {route} warm in {runtime_name} (idle hold {}) …", if held { "on" } else { "off" });
                let mut program_env = env.clone();
                program_env.retain(|(k, _)| k != "AWS_ENDPOINT_URL" && !extra.iter().any(|(e, _)| e == k));
                program_env.push(("AWS_ENDPOINT_URL".to_owned(), proxy.url()));
                program_env.extend(extra.iter().cloned());
                let program = Program { command: command.clone(), args: args.clone(), env: program_env, core };
                measured.push(
                    peers::series(
                        &mut runtime,
                        &proxy,
                        &program,
                        (route, runtime_name),
                        &event,
                        case.status,
                        options.invocations,
                        &snapshot,
                        idle.held(),
                    )
                    .await?,
                );
            }
        }
        idle.set(true);
        peers::check_same_requests(&measured)?;
        side_by_side.extend(measured);
    }
    running.stop().await;
    drop(emulator);
    let shallow_idle = idle.held();
    drop(idle);

    let packages = if options.package { package_sizes()? } else { BTreeMap::new() };
    let report = json!({
        "date": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?,
        "command": format!("cargo xtask bench --runs {} --invocations {}{}{}", options.runs, options.invocations,
                           if options.package { "" } else { " --no-package" },
                           if options.profile == "release" { String::new() } else { format!(" --profile {}", options.profile) }),
        "machine": machine(),
        "measured_core": core,
        "shallow_idle": shallow_idle,
        "cold": cold,
        "warm": warm,
        "peers": side_by_side,
        "packages": packages,
        "seconds": started.elapsed().as_secs(),
    });
    let json_path = write_json(&report)?;
    let markdown = markdown(&report);
    println!("{markdown}");
    if options.profile == "release" && options.only.is_none() {
        update_performance_doc(&markdown)?;
        println!("bench: written {} and docs/performance.md in {:.0?}", json_path.display(), started.elapsed());
    } else {
        println!("bench: written {} in {:.0?} ({} profile)", json_path.display(), started.elapsed(), options.profile);
    }
    Ok(())
}

fn build(profile: &str, functions: &[(&str, &str)]) -> Result<PathBuf> {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo.current_dir(repo_root()).args(["build", "--profile", profile, "-p", "portal-bench-hello"]);
    for (function, _) in functions {
        cargo.args(["-p", &format!("portal-{function}")]);
    }
    ensure!(cargo.status()?.success(), "the release build failed");
    Ok(std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
        .join(profile))
}

/// The event a function is cold-started with: the API Gateway event of its measured
/// route, or the sample SQS event of a queue consumer.
fn function_event(
    api: &ApiGateway,
    s: &Scenario,
    cases: &[routes::RouteCase],
    function: &str,
    measured_with: &str,
) -> Result<Value> {
    if let Some(sample) = measured_with.strip_prefix("sqs: ") {
        let path = repo_root().join("events").join(sample);
        return Ok(serde_json::from_str(&std::fs::read_to_string(&path).with_context(|| path.display().to_string())?)?);
    }
    let case = cases
        .iter()
        .find(|c| c.route == measured_with)
        .with_context(|| format!("no benchmark request for {measured_with} ({function})"))?;
    Ok(serde_json::to_value(routes::prepare(api, s, case)?.event)?)
}

fn summary(program: &str, measured_with: &str, runs: &[ColdRun]) -> ColdSummary {
    let init: Vec<f64> = runs.iter().map(|r| r.init_ms).collect();
    let total: Vec<f64> = runs.iter().map(|r| r.total_ms).collect();
    ColdSummary {
        program: program.to_owned(),
        measured_with: measured_with.to_owned(),
        runs: runs.len(),
        init_p50_ms: percentile(&init, 50.0),
        init_p95_ms: percentile(&init, 95.0),
        total_p50_ms: percentile(&total, 50.0),
        total_p95_ms: percentile(&total, 95.0),
        cpu_p50_ms: percentile(&runs.iter().map(|r| r.cpu_ms).collect::<Vec<_>>(), 50.0),
        peak_rss_max_mib: runs.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0) as f64 / 1024.0,
    }
}

pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn package_sizes() -> Result<BTreeMap<String, u64>> {
    eprintln!("bench: building the arm64 packages (sam build) …");
    Ok(xtask::deploy::package("dev")?.into_iter().map(|package| (package.binary, package.zip_bytes)).collect())
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| (kb / 1024.0 / 1024.0).round())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        // The machine's, not this process's (`cpus` narrows the bench's own affinity).
        "cores": std::fs::read_to_string("/proc/cpuinfo")
            .map(|info| info.lines().filter(|l| l.starts_with("processor")).count())
            .unwrap_or(1),
        "memory_gib": memory_gib,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}

fn write_json(report: &Value) -> Result<PathBuf> {
    let dir = repo_root().join("target").join("bench");
    std::fs::create_dir_all(&dir)?;
    let stamp = report["date"].as_str().unwrap_or("run").replace(':', "-");
    let path = dir.join(format!("{stamp}.json"));
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&path, &text)?;
    std::fs::write(dir.join("latest.json"), &text)?;
    Ok(path)
}

const RESULTS_START: &str = "<!-- bench:results:start -->";
const RESULTS_END: &str = "<!-- bench:results:end -->";

fn update_performance_doc(markdown: &str) -> Result<()> {
    let path = repo_root().join("docs").join("performance.md");
    let doc = std::fs::read_to_string(&path).context("docs/performance.md")?;
    let (Some(start), Some(end)) = (doc.find(RESULTS_START), doc.find(RESULTS_END)) else {
        bail!("docs/performance.md lacks the {RESULTS_START} … {RESULTS_END} markers");
    };
    let updated = format!("{}{RESULTS_START}\n{markdown}\n{}", &doc[..start], &doc[end..]);
    std::fs::write(&path, updated)?;
    Ok(())
}

fn markdown(report: &Value) -> String {
    let number = |v: &Value| v.as_f64().map(|f| format!("{f:.1}")).unwrap_or_else(|| "–".into());
    let machine = &report["machine"];
    let mut out = format!(
        "Measured {} on {} ({} cores, {} GiB, {}/{}) with `{}`{}{}.\n\n",
        report["date"].as_str().unwrap_or_default(),
        machine["cpu"].as_str().unwrap_or_default(),
        machine["cores"],
        machine["memory_gib"],
        machine["os"].as_str().unwrap_or_default(),
        machine["arch"].as_str().unwrap_or_default(),
        report["command"].as_str().unwrap_or_default(),
        match report["measured_core"].as_u64() {
            Some(core) => format!("; the measured programs on core {core}, moto and the harness on the others"),
            None => String::new(),
        },
        if report["shallow_idle"].as_bool() == Some(true) {
            "; the cores held in shallow idle states (`/dev/cpu_dma_latency` 0)"
        } else {
            "; idle states not held (no access to `/dev/cpu_dma_latency`)"
        },
    );
    let cold = report["cold"].as_array().cloned().unwrap_or_default();
    let floor = cold.first().cloned().unwrap_or_default();
    // A peer's row names its runtime in parentheses after the equivalent's name.
    let is_peer = |c: &Value| c["program"].as_str().is_some_and(|p| p.contains("Python") || p.contains("Node.js"));
    let peers_of = |route: &str| -> Vec<Value> {
        cold.iter().filter(|c| is_peer(c) && c["measured_with"] == route).cloned().collect()
    };
    out.push_str(
        "### Cold start (exec → end of the first invocation; local Runtime API, AWS on the local emulator)\n\n",
    );
    out.push_str("| Program | Measured with | Runs | Init p50 / p95 (ms) | Init ÷ floor | Total p50 / p95 (ms) | Peer ÷ Rust (total p50) | CPU p50 (ms) | Peak RSS (MiB) |\n");
    out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for c in &cold {
        let ratio = c["init_p50_ms"]
            .as_f64()
            .zip(floor["init_p50_ms"].as_f64())
            .map(|(a, b)| format!("{:.2}×", a / b))
            .unwrap_or_default();
        let peers = if is_peer(c) {
            String::new()
        } else {
            peers_of(c["measured_with"].as_str().unwrap_or_default())
                .iter()
                .filter_map(|p| {
                    let runtime = if p["program"].as_str()?.contains("Python") { "Python" } else { "Node.js" };
                    let (p, r) = p["total_p50_ms"].as_f64().zip(c["total_p50_ms"].as_f64())?;
                    Some(format!("{runtime} {:.1}×", p / r))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} / {} | {} | {} / {} | {} | {} | {} |\n",
            c["program"].as_str().unwrap_or_default(),
            c["measured_with"].as_str().unwrap_or_default(),
            c["runs"],
            number(&c["init_p50_ms"]),
            number(&c["init_p95_ms"]),
            ratio,
            number(&c["total_p50_ms"]),
            number(&c["total_p95_ms"]),
            peers,
            number(&c["cpu_p50_ms"]),
            number(&c["peak_rss_max_mib"]),
        ));
    }
    out.push_str(
        "\n### Warm invocations (release binary through the Runtime API)\n\n\
         *End to end* is the Runtime API's time from handing the event out to the response; \
         the other columns are the function's own per-invocation log line, measured in-process \
         around the handler: its time, its *overhead* (time not spent waiting on AWS), the \
         *CPU* the process used meanwhile (its own work, nothing else), and its AWS requests. \
         *Invocation CPU* is the whole invocation's, the runtime's exchange included.\n\n",
    );
    out.push_str(
        "| Route | Invocations | End to end p50 / p99 (ms) | Handler p50 / p99 (ms) | Overhead p50 / p99 (ms) | CPU p50 / p99 (ms) | Invocation CPU p99 (ms) | AWS requests |\n",
    );
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
    let ms = |value: &Value| format!("{:.3}", value.as_f64().unwrap_or(f64::NAN));
    for w in report["warm"].as_array().into_iter().flatten() {
        let calls = w["aws_calls"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {} | {} / {} | {} / {} | {} / {} | {} / {} | {} | {} |\n",
            w["route"].as_str().unwrap_or_default(),
            w["invocations"],
            number(&w["p50_ms"]),
            number(&w["p99_ms"]),
            ms(&w["handler_p50_ms"]),
            ms(&w["handler_p99_ms"]),
            ms(&w["overhead_p50_ms"]),
            ms(&w["overhead_p99_ms"]),
            ms(&w["cpu_p50_ms"]),
            ms(&w["cpu_p99_ms"]),
            ms(&w["invocation_cpu_p99_ms"]),
            if calls.is_empty() { "none".to_owned() } else { calls },
        ));
    }
    if let Some(peers) = report["peers"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "\n### The same route in Rust, Python and Node.js, warm\n\n\
             Each runtime's process answers the same request through the same Runtime API, its \
             AWS requests through the same recording proxy, measured from outside the process \
             alike: *end to end* (event handed out → response), *AWS* (time with a request in \
             flight, at the proxy), *overhead* (end to end less AWS: the runtime's loop, the \
             handler, the SDK's signing and parsing) and the process's *CPU* per invocation \
             (every thread). Each series once with the cores held in shallow idle states and \
             once without. The AWS requests are the proxy's record, the same for every runtime \
             (the bench stops otherwise).\n\n",
        );
        out.push_str("| Route | Runtime | Idle hold | Invocations | End to end p50 / p99 (ms) | AWS p50 (ms) | Overhead p50 / p99 (ms) | CPU p50 / p99 (ms) | AWS requests |\n");
        out.push_str("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for p in peers {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} / {} | {} | {} / {} | {} / {} | {} |\n",
                p["route"].as_str().unwrap_or_default(),
                p["runtime"].as_str().unwrap_or_default(),
                if p["shallow_idle"].as_bool() == Some(true) { "held" } else { "off" },
                p["invocations"],
                number(&p["end_to_end_p50_ms"]),
                number(&p["end_to_end_p99_ms"]),
                number(&p["aws_p50_ms"]),
                ms(&p["overhead_p50_ms"]),
                ms(&p["overhead_p99_ms"]),
                ms(&p["cpu_p50_ms"]),
                ms(&p["cpu_p99_ms"]),
                p["aws_requests"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default(),
            ));
        }
    }
    if let Some(packages) = report["packages"].as_object().filter(|p| !p.is_empty()) {
        out.push_str("\n### Packages (zipped arm64 `bootstrap`)\n\n| Function | Size (MiB) |\n| --- | ---: |\n");
        for (function, size) in packages {
            out.push_str(&format!("| {function} | {:.2} |\n", size.as_f64().unwrap_or(0.0) / 1024.0 / 1024.0));
        }
    }
    out
}

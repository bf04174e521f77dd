//! `cargo xtask bench --growth`: what each route costs as the data grows. For each
//! [`Dimension`] and each size (10 … 100,000, or up to `--max`), a fresh company is seeded
//! with that much (`growth_world`), the customer's listing is awaited until it shows what
//! was seeded, and every route that reads the dimension is invoked in the function's
//! release binary through the local Runtime API, its AWS requests going through the
//! recording proxy: per invocation, the requests per service and operation, the DynamoDB
//! capacity units the answers report (the functions ask for them:
//! `portal_shared::capacity`), and the CPU time the function's own log line reports.
//! At the largest size of each dimension the customer sees, the customer's whole listing
//! is read page by page and each document must appear exactly once. The results go to
//! `target/bench/growth-*.json`, to the growth section of `docs/performance.md`, and to
//! the chart `docs/growth.svg` (`growth_chart`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::cold::Program;
use super::growth_world::{Case, Dimension, PAGE_THROUGH_LIMIT, PageThrough, Shape, World};
use super::runtime_api::RuntimeApi;
use super::{cpus, growth_chart, percentile};
use crate as gateway;
use crate::ApiGateway;
use xtask::aws_proxy::{AwsProxy, Exchange};
use xtask::emulator::{Backend, Emulator};
use xtask::function_env;
use xtask::paths::repo_root;
use xtask::provision::{self, Names};

pub use xtask::bench::Options;

/// The functions whose routes read the dimensions.
const FUNCTIONS: &[&str] = &["contacts", "documents", "sharing", "customer"];

/// Measured invocations per route and size (after one unmeasured warm-up).
const REPEAT: usize = 3;

/// Items per page of the measured listings (the default page).
const PAGE: u32 = portal_shared::pagination::DEFAULT_LIMIT as u32;

/// One route at one size.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RouteGrowth {
    pub dimension: String,
    pub size: usize,
    pub route: String,
    pub paged: bool,
    /// The HTTP status it answered (the measured invocations), or why it was not measured.
    pub status: Option<u16>,
    pub error: Option<String>,
    /// AWS requests of one invocation, per service.
    pub requests: BTreeMap<String, u32>,
    /// … per `service:Operation`.
    pub operations: BTreeMap<String, u32>,
    /// DynamoDB capacity units the answers reported for one invocation (see
    /// `docs/local-stack.md` for what the emulator models).
    pub capacity_units: f64,
    /// The function's CPU time per invocation (median of the measured ones), in-process.
    pub cpu_ms: f64,
    /// The handler's wall time (median; mostly the emulator's).
    pub handler_ms: f64,
}

impl RouteGrowth {
    pub fn total(&self) -> u32 {
        self.requests.values().sum()
    }
}

/// One size of one dimension: what was seeded and how long it took.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SizeRun {
    pub dimension: String,
    pub size: usize,
    pub seeded_items: usize,
    pub seed_seconds: f64,
    /// Until the customer's listing showed what was seeded (dimensions the customer sees).
    pub converged_seconds: Option<f64>,
    pub page_through: Option<PageThroughRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PageThroughRun {
    pub visible: usize,
    pub pages: usize,
    pub documents: usize,
    pub duplicates: usize,
    pub missing: usize,
    pub unexpected: usize,
    pub seconds: f64,
}

impl PageThroughRun {
    fn of(visible: usize, p: &PageThrough, seconds: f64) -> Self {
        Self {
            visible,
            pages: p.pages,
            documents: p.documents,
            duplicates: p.duplicates,
            missing: p.missing,
            unexpected: p.unexpected,
            seconds,
        }
    }

    pub fn exactly_once(&self) -> bool {
        self.duplicates == 0 && self.missing == 0 && self.unexpected == 0 && self.documents == self.visible
    }
}

/// The dimensions named (every one when `None`).
fn dimensions(names: Option<&[String]>) -> Result<Vec<Dimension>> {
    let Some(names) = names else { return Ok(Dimension::ALL.to_vec()) };
    names
        .iter()
        .map(|name| {
            Dimension::ALL.into_iter().find(|d| d.name() == name).with_context(|| {
                let known: Vec<&str> = Dimension::ALL.iter().map(|d| d.name()).collect();
                format!("--dimension {name}: not one of {known:?}")
            })
        })
        .collect()
}

pub async fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    let max = options.max.unwrap_or(100_000);
    eprintln!("growth: building the {} binaries (host) …", options.profile);
    let functions: Vec<(&str, &str)> = FUNCTIONS.iter().map(|f| (*f, "")).collect();
    super::build(&options.profile, &functions)?;
    let binaries = profile_dir(&options.profile);

    let split = cpus::CoreSplit::apply().context("setting the bench's CPU affinity")?;
    let core = split.map(cpus::CoreSplit::measured_core);
    let idle = cpus::ShallowIdle::hold();
    let mut runtime = RuntimeApi::start().await?;

    let mut routes = Vec::new();
    let mut sizes = Vec::new();
    for dimension in dimensions(options.dimensions.as_deref())? {
        // Each dimension on a stack of its own: every item an earlier dimension seeded and
        // removed is a stream record the view index reads in turn (one local shard), and
        // behind tens of thousands of them the next dimension's listing would wait minutes.
        let emulator = Emulator::start(Backend::Moto).await?;
        let stack = provision::provision(&emulator.endpoint(), &Names::new("growth")).await?;
        let running = gateway::start(&stack, 0).await?;
        let sdk = stack.sdk_config().await;
        let api = ApiGateway::new(&sdk, &stack, &running.url()).await?;
        let proxy = AwsProxy::start(&stack.endpoint).await?;
        let env = function_environment(&stack, &running.url(), &proxy.url())?;
        let measured_sizes = dimension.sizes(max);
        for &size in &measured_sizes {
            eprintln!("growth: {dimension} = {size}: seeding …");
            let seeding = Instant::now();
            let world = World::build(&stack, &running.api_url(), &Shape::one(dimension, size)).await?;
            let seed_seconds = seeding.elapsed().as_secs_f64();
            let converged_seconds = if dimension.visible_to_customer() {
                // Bounded: a minute, plus 200 ms per document to index (the local stream is
                // one shard read by one poller, every request through moto's one core: about
                // 10 documents a second measured; AWS reads shards in parallel).
                let timeout = Duration::from_secs(60 + world.visible.len() as u64 / 5);
                Some(world.wait_until_visible(timeout).await?.as_secs_f64())
            } else {
                None
            };
            eprintln!("growth: {dimension} = {size}: {} items in {seed_seconds:.1} s; measuring …", world.seeded_items);
            let cases = world.routes(dimension, PAGE);
            for function in FUNCTIONS {
                let mine: Vec<&Case> =
                    cases.iter().filter(|c| super::routes::function_of(c.route) == Some(*function)).collect();
                if mine.is_empty() {
                    continue;
                }
                let mut function_env = env.clone();
                function_env.push(("AWS_LAMBDA_FUNCTION_NAME".to_owned(), format!("portal-{function}")));
                let program = Program {
                    command: binaries.join(format!("portal-{function}")),
                    args: vec![],
                    env: function_env,
                    core,
                };
                let measured = measure(&mut runtime, &program, &proxy, &api, &world, &mine)
                    .await
                    .with_context(|| format!("{dimension} = {size}: {function}"))?;
                routes.extend(measured.into_iter().map(|mut r| {
                    r.dimension = dimension.name().to_owned();
                    r.size = size;
                    r
                }));
            }
            let page_through = if dimension.visible_to_customer() && Some(&size) == measured_sizes.last() {
                eprintln!("growth: {dimension} = {size}: reading the customer's {} documents …", world.visible.len());
                let reading = Instant::now();
                let read = world.page_through(PAGE_THROUGH_LIMIT).await?;
                Some(PageThroughRun::of(world.visible.len(), &read, reading.elapsed().as_secs_f64()))
            } else {
                None
            };
            world.clear().await.context("removing the seeded items")?;
            sizes.push(SizeRun {
                dimension: dimension.name().to_owned(),
                size,
                seeded_items: world.seeded_items,
                seed_seconds,
                converged_seconds,
                page_through,
            });
        }
        running.stop().await;
        drop(emulator);
    }
    let shallow_idle = idle.held();
    drop(idle);

    let command = format!(
        "cargo xtask bench --growth{}{}",
        options.max.map(|m| format!(" --max {m}")).unwrap_or_default(),
        if options.profile == "release" { String::new() } else { format!(" --profile {}", options.profile) }
    );
    let report = json!({
        "date": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?,
        "command": command,
        "machine": super::machine(),
        "measured_core": core,
        "shallow_idle": shallow_idle,
        "routes": routes,
        "sizes": sizes,
        "seconds": started.elapsed().as_secs(),
    });
    let dir = repo_root().join("target").join("bench");
    std::fs::create_dir_all(&dir)?;
    let stamp = report["date"].as_str().unwrap_or("run").replace(':', "-");
    let json_path = dir.join(format!("growth-{stamp}.json"));
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(dir.join("growth-latest.json"), serde_json::to_string_pretty(&report)?)?;

    let markdown = markdown(&report, &routes, &sizes);
    println!("{markdown}");
    if options.dimensions.is_none() {
        let chart = repo_root().join("docs").join(CHART);
        growth_chart::draw(&chart, &routes).context("drawing the chart")?;
        update_doc(&markdown)?;
        println!(
            "growth: written {}, docs/{CHART} and docs/performance.md in {:.0?}",
            json_path.display(),
            started.elapsed()
        );
    } else {
        println!(
            "growth: written {} (some dimensions: not the docs) in {:.0?}",
            json_path.display(),
            started.elapsed()
        );
    }
    // Every measured route answered, and the customer saw each document once: otherwise the
    // figures above are of a failure, and the run says so.
    let failed: Vec<String> =
        routes
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| format!("{} = {}: {}: {}", r.dimension, r.size, r.route, r.error.as_deref().unwrap_or_default()))
            .chain(sizes.iter().filter(|s| s.page_through.as_ref().is_some_and(|p| !p.exactly_once())).map(|s| {
                format!("{} = {}: the customer's listing did not show each document once", s.dimension, s.size)
            }))
            .collect();
    ensure!(failed.is_empty(), "growth: failures (recorded in the report):\n{}", failed.join("\n"));
    Ok(())
}

/// Where cargo puts `profile`'s binaries (`dev` is `debug`).
fn profile_dir(profile: &str) -> PathBuf {
    let dir = if profile == "dev" { "debug" } else { profile };
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target")).join(dir)
}

/// The functions' environment as the template sets it (as `bench::run` builds it), their
/// AWS requests through the recording proxy, and DynamoDB asked for consumed capacity.
fn function_environment(stack: &provision::Stack, public_url: &str, proxy: &str) -> Result<Vec<(String, String)>> {
    let template = function_env::template()?;
    let local = function_env::LocalStack { stack, public_url, overrides: Default::default() };
    let mut configuration = BTreeMap::new();
    for function in function_env::functions(&template)?.keys() {
        configuration.extend(local.environment(&template, function)?);
    }
    let mut env: Vec<(String, String)> = stack
        .connection_env()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL")
        .chain(configuration)
        .collect();
    env.extend([
        ("AWS_ENDPOINT_URL".to_owned(), proxy.to_owned()),
        ("AWS_DEFAULT_REGION".to_owned(), stack.region.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_owned(), "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION".to_owned(), "$LATEST".to_owned()),
        ("AWS_LAMBDA_LOG_GROUP_NAME".to_owned(), "/aws/lambda/growth".to_owned()),
        ("AWS_LAMBDA_LOG_STREAM_NAME".to_owned(), "growth".to_owned()),
        ("RUST_LOG".to_owned(), super::warm::LOG_FILTER.to_owned()),
        (portal_shared::capacity::ENV.to_owned(), "TOTAL".to_owned()),
        (portal_shared::config::RATE_LIMIT_MULTIPLIER.to_owned(), "1000000".to_owned()),
    ]);
    Ok(env)
}

/// The API Gateway event of `case`, with its caller's token.
fn event(api: &ApiGateway, world: &World, case: &Case) -> Result<Value> {
    let mut request = http::Request::builder().method("GET").uri(&case.path);
    if let Some(token) = world.token(case.caller) {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (parts, ()) = request.body(())?.into_parts();
    let path = case.path.split('?').next().unwrap_or_default();
    let prepared = api.prepare(&parts, path, &Bytes::new()).map_err(|e| anyhow::anyhow!("{}: {e}", case.route))?;
    Ok(serde_json::to_value(prepared.event)?)
}

/// The line `portal_shared::function::log_invocation` writes.
#[derive(Debug, Deserialize)]
struct InvocationLine {
    route: String,
    ms: f64,
    cpu_ms: f64,
}

/// What one invocation asked of AWS, as the proxy saw it.
struct Seen {
    status: Option<u16>,
    requests: BTreeMap<String, u32>,
    operations: BTreeMap<String, u32>,
    capacity_units: f64,
}

fn seen(status: Option<u16>, exchanges: &[Exchange]) -> Seen {
    let mut requests = BTreeMap::new();
    let mut operations = BTreeMap::new();
    for exchange in exchanges {
        *requests.entry(exchange.service.clone()).or_default() += 1;
        let operation = exchange.operation.clone().unwrap_or_else(|| format!("{}:?", exchange.service));
        let operation = if operation.contains(':') { operation } else { format!("{}:{operation}", exchange.service) };
        *operations.entry(operation).or_default() += 1;
    }
    let capacity_units = exchanges.iter().filter_map(|e| e.capacity_units).sum();
    Seen { status, requests, operations, capacity_units }
}

/// Starts `program` and invokes each case once unmeasured, then [`REPEAT`] times.
async fn measure(
    runtime: &mut RuntimeApi,
    program: &Program,
    proxy: &AwsProxy,
    api: &ApiGateway,
    world: &World,
    cases: &[&Case],
) -> Result<Vec<RouteGrowth>> {
    runtime.arm([]);
    let log_dir = repo_root().join("target").join("bench").join("logs");
    std::fs::create_dir_all(&log_dir)?;
    let log_path =
        log_dir.join(format!("growth-{}.log", program.command.file_name().unwrap_or_default().to_string_lossy()));
    let mut child = program
        .command(runtime)
        .stdout(std::fs::File::create(&log_path)?)
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.command.display()))?;
    runtime.watch_process(child.id());
    // Per case: the measured invocations' observations, or why it stopped.
    let mut observed: Vec<(Vec<Seen>, Option<String>)> = Vec::new();
    let mut stuck = false;
    for case in cases {
        let mut mine = Vec::new();
        let mut error = None;
        if stuck {
            observed.push((mine, Some("not measured: an earlier route of the function did not answer".into())));
            continue;
        }
        let event = event(api, world, case)?;
        for index in 0..=REPEAT {
            proxy.take_log();
            runtime.extend([event.clone()]);
            // The function's own timeout is far shorter on AWS (the template's); here a
            // size may be too much for the emulator, which the report then says.
            let Ok(Some(outcome)) = tokio::time::timeout(Duration::from_secs(300), runtime.outcome()).await else {
                error = Some("no answer within 300 s".to_owned());
                stuck = true;
                break;
            };
            let exchanges = proxy.take_log();
            let status = serde_json::from_str::<Value>(&outcome.body)
                .ok()
                .and_then(|b| b["statusCode"].as_u64())
                .and_then(|s| u16::try_from(s).ok());
            if !outcome.ok || status != Some(200) {
                let body: String = outcome.body.chars().take(300).collect();
                error = Some(format!("answered {status:?}: {body}"));
            }
            if index > 0 {
                mine.push(seen(status, &exchanges));
            }
        }
        observed.push((mine, error));
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let mut lines = invocation_lines(&log_path)?.into_iter().peekable();
    let mut results = Vec::new();
    for (case, (seen, error)) in cases.iter().zip(observed) {
        // The function's lines of this case: the warm-up's and the measured ones'.
        let mut cpu = Vec::new();
        let mut handler = Vec::new();
        let mut index = 0;
        while lines.peek().is_some_and(|l| l.route == case.route) && index <= REPEAT {
            let line = lines.next().expect("peeked");
            if index > 0 {
                cpu.push(line.cpu_ms);
                handler.push(line.ms);
            }
            index += 1;
        }
        let last = seen.last();
        results.push(RouteGrowth {
            dimension: String::new(),
            size: 0,
            route: case.route.to_owned(),
            paged: case.paged,
            status: last.and_then(|s| s.status),
            error,
            requests: last.map(|s| s.requests.clone()).unwrap_or_default(),
            operations: last.map(|s| s.operations.clone()).unwrap_or_default(),
            capacity_units: last.map(|s| s.capacity_units).unwrap_or(f64::NAN),
            cpu_ms: percentile(&cpu, 50.0),
            handler_ms: percentile(&handler, 50.0),
        });
    }
    Ok(results)
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

/// The chart's file under `docs/`.
pub const CHART: &str = "growth.svg";

const START: &str = "<!-- bench:growth:start -->";
const END: &str = "<!-- bench:growth:end -->";

fn update_doc(markdown: &str) -> Result<()> {
    let path = repo_root().join("docs").join("performance.md");
    let doc = std::fs::read_to_string(&path).context("docs/performance.md")?;
    let (Some(start), Some(end)) = (doc.find(START), doc.find(END)) else {
        bail!("docs/performance.md lacks the {START} … {END} markers");
    };
    std::fs::write(&path, format!("{}{START}\n{markdown}\n{}", &doc[..start], &doc[end..]))?;
    Ok(())
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn markdown(report: &Value, routes: &[RouteGrowth], sizes: &[SizeRun]) -> String {
    let machine = &report["machine"];
    let mut out = format!(
        "Measured {} on {} ({} cores, {} GiB, {}/{}) with `{}`, in {} s. Each cell: AWS requests per \
         invocation / DynamoDB capacity units the emulator reported / the function's CPU ms (median of {REPEAT}). \
         Listings are read for their first page of {PAGE}. *Growth* compares the largest size with the smallest.\n\n\
         ![AWS requests per invocation against the data size, log-log](growth.svg)\n",
        report["date"].as_str().unwrap_or_default(),
        machine["cpu"].as_str().unwrap_or_default(),
        machine["cores"],
        machine["memory_gib"],
        machine["os"].as_str().unwrap_or_default(),
        machine["arch"].as_str().unwrap_or_default(),
        report["command"].as_str().unwrap_or_default(),
        report["seconds"],
    );
    for dimension in Dimension::ALL {
        let mine: Vec<&RouteGrowth> = routes.iter().filter(|r| r.dimension == dimension.name()).collect();
        if mine.is_empty() {
            continue;
        }
        let mut measured: Vec<usize> = mine.iter().map(|r| r.size).collect();
        measured.sort_unstable();
        measured.dedup();
        out.push_str(&format!("\n#### `{dimension}`: {}\n\n| Route |", dimension.meaning()));
        for size in &measured {
            out.push_str(&format!(" {} |", thousands(*size)));
        }
        out.push_str(" Growth |\n| --- |");
        out.push_str(&" ---: |".repeat(measured.len()));
        out.push_str(" --- |\n");
        // Each route once, in the order measured (the runs are by size, then route).
        let mut route_names: Vec<&str> = Vec::new();
        for r in &mine {
            if !route_names.contains(&r.route.as_str()) {
                route_names.push(&r.route);
            }
        }
        for route in route_names {
            out.push_str(&format!("| `{route}` |"));
            let row: Vec<&&RouteGrowth> = mine.iter().filter(|r| r.route == route).collect();
            for size in &measured {
                match row.iter().find(|r| r.size == *size) {
                    Some(r) if r.error.is_some() => out.push_str(" failed |"),
                    Some(r) => out.push_str(&format!(" {} / {} / {:.2} |", r.total(), r.capacity_units, r.cpu_ms)),
                    None => out.push_str(" |"),
                }
            }
            let ok: Vec<&&&RouteGrowth> = row.iter().filter(|r| r.error.is_none()).collect();
            let growth = match (ok.first(), ok.last()) {
                (Some(first), Some(last)) if first.total() == last.total() => "constant".to_owned(),
                (Some(first), Some(last)) => format!("{} → {} requests", first.total(), last.total()),
                _ => "–".to_owned(),
            };
            out.push_str(&format!(" {growth} |\n"));
        }
        let runs: Vec<&SizeRun> = sizes.iter().filter(|s| s.dimension == dimension.name()).collect();
        let seeding: Vec<String> = runs
            .iter()
            .map(|s| {
                let converged = s.converged_seconds.map(|c| format!(", listed after {c:.1} s")).unwrap_or_default();
                format!(
                    "{}: {} items in {:.1} s{converged}",
                    thousands(s.size),
                    thousands(s.seeded_items),
                    s.seed_seconds
                )
            })
            .collect();
        out.push_str(&format!("\nSeeded {}.\n", seeding.join("; ")));
        for run in &runs {
            if let Some(p) = &run.page_through {
                out.push_str(&format!(
                    "The customer's whole listing at {}: {} pages of {PAGE_THROUGH_LIMIT} in {:.1} s, {} documents of {} \
                     ({} duplicated, {} missing, {} not expected): {}.\n",
                    thousands(run.size),
                    thousands(p.pages),
                    p.seconds,
                    thousands(p.documents),
                    thousands(p.visible),
                    p.duplicates,
                    p.missing,
                    p.unexpected,
                    if p.exactly_once() { "each exactly once" } else { "WRONG" },
                ));
            }
        }
    }
    let failures: Vec<String> = routes
        .iter()
        .filter_map(|r| {
            r.error.as_ref().map(|e| format!("- `{}` at {} = {}: {e}", r.route, r.dimension, thousands(r.size)))
        })
        .collect();
    if !failures.is_empty() {
        out.push_str(&format!("\nFailed:\n\n{}\n", failures.join("\n")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn requests_are_counted_per_service_and_operation() {
        let at = Instant::now();
        let exchange = |service: &str, operation: Option<&str>, capacity_units| Exchange {
            service: service.to_owned(),
            operation: operation.map(str::to_owned),
            started: at,
            ended: at,
            fault: None,
            capacity_units,
        };
        let seen = seen(
            Some(200),
            &[
                exchange("dynamodb", Some("GetItem"), Some(0.5)),
                exchange("dynamodb", Some("Query"), Some(1.0)),
                exchange("dynamodb", Some("Query"), Some(1.0)),
                exchange("s3", Some("GET"), None),
            ],
        );
        assert_eq!(seen.requests, BTreeMap::from([("dynamodb".to_owned(), 3), ("s3".to_owned(), 1)]));
        assert_eq!(
            seen.operations,
            BTreeMap::from([
                ("dynamodb:GetItem".to_owned(), 1),
                ("dynamodb:Query".to_owned(), 2),
                ("s3:GET".to_owned(), 1)
            ])
        );
        assert_eq!(seen.capacity_units, 2.5);
    }
}

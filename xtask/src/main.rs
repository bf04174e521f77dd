//! `cargo xtask <command>`:
//! - `dev`  — the whole portal locally: emulator, provisioning, demo tenant, gateway.
//! - `test` — the whole suite: template lint, then unit, integration and end-to-end tests
//!   against a fresh local stack.
//! - `package` — `sam build` (every function built for Lambda, arm64, release), the build
//!   checked against the template, and each package's size.
//! - `bench` — cold starts, warm latency, AWS requests per route, package sizes and memory
//!   (see `docs/performance.md`).
//! - `soak` — the long load run: 50 concurrent staff and customer sessions × 200 operations
//!   through the gateway against a fresh local stack, bounded in count and time, with the
//!   final state checked against a model of what was done (see `xtask/src/load.rs`).
//! - `cost` — the cost model: requests per user action × AWS prices, for 1, 100 and 10,000
//!   companies (`docs/cost-model.toml` → `docs/performance.md`, `xtask/src/cost.rs`).
//! - `tenant` — the operator's commands for companies on a deployed or local stack: create,
//!   list, show, suspend, resume, delete (`xtask/src/tenant/`, `docs/operations.md`).
//! - `deploy-web` — web/ and config.js to the stack's web bucket, then a CloudFront
//!   invalidation (`--dry-run` lists the objects; `--config-env` picks the samconfig.toml
//!   environment, `default` unless given).
//! - `smoke` — the post-deploy checks of a public URL (`xtask/src/smoke.rs`).

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use clap::Parser;
use xtask::browser::CHROMEDRIVER_ENV;
use xtask::cli::{Cli, DeployWebArgs, PackageArgs, Task, TestArgs};
use xtask::emulator::{Backend, Emulator};
use xtask::provision::{self, API_URL_ENV, LOCALSTACK_URL_ENV, Names, STACK_ENV, Stack};
use xtask::seed::Seeder;
use xtask::{deploy, gateway, paths};

const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

fn main() -> ExitCode {
    // The command line is defined and tested in `xtask::cli`; a bad one exits 2 with its usage.
    let cli = Cli::parse();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = match cli.task {
        Task::Dev => runtime.block_on(dev()),
        Task::Test(args) => runtime.block_on(test(args)),
        Task::Package(args) => package(args),
        Task::Bench(args) => runtime.block_on(bench(args.into())),
        Task::Soak(args) => runtime.block_on(soak(args.into())),
        Task::Cost(args) => xtask::cost::run(args.write).map(|()| ExitCode::SUCCESS),
        Task::DeployWeb(args) => deploy_web(args),
        Task::Tenant(args) => runtime.block_on(tenant(args.into())),
        Task::Smoke(args) => runtime.block_on(xtask::smoke::command(args)),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn start_stack() -> Result<(Emulator, Stack)> {
    let emulator = Emulator::start(Backend::Moto).await?;
    eprintln!("xtask: moto {} (pid {})", emulator.endpoint(), emulator.pid().unwrap_or_default());
    let stack = provision::provision(&emulator.endpoint(), &Names::new("portal")).await?;
    Ok((emulator, stack))
}

async fn dev() -> Result<ExitCode> {
    init_logs();
    let started = std::time::Instant::now();
    let (_emulator, stack) = start_stack().await?;
    let port = std::env::var("PORTAL_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let gateway = match gateway::start(&stack, port).await {
        Ok(gateway) => gateway,
        Err(_) => gateway::start(&stack, 0).await.context("starting the gateway")?,
    };
    let seeder = Seeder::new(&stack).await;
    let demo = xtask::seed::demo(&seeder, &gateway.api_url(), &stack.endpoint, DEMO_PASSWORD).await?;
    let url = gateway.url();
    println!("\nCustomer portal running locally, ready in {:.1?} (Ctrl-C stops everything)\n", started.elapsed());
    println!("  Staff dashboard:   {url}/");
    println!(
        "  Company sign-up:   {url}/signup.html  (sign-up is {}: the link to verify is in the mailbox)",
        xtask::gateway::LOCAL_COMPANY_SIGNUP
    );
    for company in &demo.companies {
        println!("  Customer portal:   {url}/p/{}  ({})", company.tenant.slug, company.tenant.name);
    }
    println!("  Mailbox:           {url}{}  (every email sent; invitation links work)", xtask::mailbox::PAGE_PATH);
    println!("  API:               {}", gateway.api_url());
    println!("  AWS emulator:      {}", stack.endpoint);
    println!(
        "  Operator:          cargo xtask tenant list --endpoint {}  (create, suspend, invite-code…)",
        stack.endpoint
    );
    println!(
        "  Smoke check:       cargo xtask smoke --url {url} --admin-email admin@acme.example --admin-password {DEMO_PASSWORD}"
    );
    println!("\nEvery password is {DEMO_PASSWORD}");
    for company in &demo.companies {
        println!("  {} staff:", company.tenant.name);
        for (role, email) in &company.staff {
            println!("    {role:?}: {email}");
        }
    }
    println!("  Customer of both companies: {} (sign in at either portal link)", demo.customer);
    println!();
    for line in &demo.contents {
        println!("  {line}");
    }
    // Ctrl-C, or a polite kill: either way the gateway stops and the emulator is killed by
    // its PID when it is dropped.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted?,
        _ = terminate.recv() => {}
    }
    eprintln!("\nxtask: stopping");
    gateway.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn bench(options: xtask::bench::Options) -> Result<ExitCode> {
    init_logs();
    xtask::bench::run(options).await?;
    Ok(ExitCode::SUCCESS)
}

/// The long load run (the end-to-end suite runs a small one): a fresh stack and gateway, the
/// load, its report; a failed check is a non-zero exit.
async fn soak(options: xtask::load::Options) -> Result<ExitCode> {
    init_logs();
    let (emulator, stack) = start_stack().await?;
    let gateway = gateway::start(&stack, 0).await?;
    eprintln!(
        "xtask: gateway {}; soak: {} sessions × {} operations, new operations for at most {} s",
        gateway.url(),
        options.clients,
        options.requests,
        options.seconds
    );
    let report = xtask::load::run(&gateway.api_url(), &stack, &options).await;
    gateway.stop().await;
    drop(emulator);
    let report = report?;
    println!("{report}");
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Runs `cargo` (a `cargo test`) against a stack of its own: moto provisioned afresh and
/// the gateway in front of it, both stopped after. Whether the tests passed.
async fn run_on_a_fresh_stack(mut cargo: Command, chromedriver: &std::path::Path) -> Result<bool> {
    let (emulator, stack) = start_stack().await?;
    let running = gateway::start(&stack, 0).await?;
    eprintln!("xtask: gateway {}", running.url());
    cargo.env(STACK_ENV, stack.to_json()).env(API_URL_ENV, running.api_url()).env(CHROMEDRIVER_ENV, chromedriver);
    let passed = cargo.status().context("running cargo test");
    running.stop().await;
    drop(emulator);
    Ok(passed?.success())
}

fn package(args: PackageArgs) -> Result<ExitCode> {
    let config_env = args.config_env.as_str();
    let started = std::time::Instant::now();
    let packages = deploy::package(config_env)?;
    println!("\nsam build checked ({} functions, arm64 ELF executables) in {:.0?}:", packages.len(), started.elapsed());
    println!("  {:>9}  {:>9}  function", "zip MiB", "MiB");
    for package in packages {
        let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
        println!(
            "  {:>9.2}  {:>9.2}  {} ({})",
            mib(package.zip_bytes),
            mib(package.bootstrap_bytes),
            package.binary,
            package.bootstrap.strip_prefix(paths::repo_root()).unwrap_or(&package.bootstrap).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn deploy_web(args: DeployWebArgs) -> Result<ExitCode> {
    let DeployWebArgs { config_env, dry_run } = args;
    deploy::deploy_web(&config_env, dry_run)?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask tenant …` (`cargo xtask tenant help` is clap's).
async fn tenant(invocation: xtask::tenant::args::Invocation) -> Result<ExitCode> {
    init_logs();
    xtask::tenant::run(invocation).await?;
    Ok(ExitCode::SUCCESS)
}

async fn test(args: TestArgs) -> Result<ExitCode> {
    init_logs();
    let TestArgs { backend, cargo_test: extra } = args;
    deploy::lint_template()?;
    // The presigned-URL group always runs against LocalStack's S3, which enforces signatures.
    let localstack = Emulator::start(Backend::LocalStack).await?;
    eprintln!("xtask: LocalStack {} (S3 with signature checks)", localstack.endpoint());
    let cargo_test = |args: &[&str]| {
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo.current_dir(paths::repo_root()).env(LOCALSTACK_URL_ENV, localstack.endpoint()).arg("test").args(args);
        cargo
    };
    let failed = match backend {
        Backend::Moto => {
            // `cargo xtask test [-- <cargo test args>]`; without a package selection, the workspace.
            let selects_packages = extra.iter().any(|a| a == "-p" || a.starts_with("--package") || a == "--workspace");
            let whole_suite = extra.is_empty();
            let mut cargo = cargo_test(&["--no-fail-fast"]);
            cargo.args(if selects_packages { None } else { Some("--workspace") }).args(extra);
            let chromedriver = xtask::browser::ensure_chromedriver()?;
            let mut failed = !run_on_a_fresh_stack(cargo, &chromedriver).await?;
            if whole_suite {
                // The growth test and the view index's tests seed hundreds of items and wait
                // on the one local stream for each change: behind every other test's changes
                // (the first run leaves the stream's reader minutes behind) their waits would
                // measure the suite's backlog, not the index. They run after the rest
                // (`#[ignore]`d there), on a stack of their own: an empty table and a stream
                // that serves them alone.
                let cargo = cargo_test(&[
                    "--package",
                    "portal-tests",
                    "--test",
                    "e2e",
                    "--",
                    "--ignored",
                    "growth::",
                    "view_index::",
                ]);
                failed |= !run_on_a_fresh_stack(cargo, &chromedriver).await?;
            }
            failed
        }
        Backend::LocalStack => {
            eprintln!(
                "xtask: against LocalStack: the unit tests, the template and OpenAPI checks and the presigned-URL \
                 group; skipping every other end-to-end group — they need DynamoDB (LocalStack's downloads \
                 DynamoDB Local when it starts, which fails offline), Cognito and SES v2 (not in LocalStack's \
                 free edition)"
            );
            let mut failed = false;
            for mut run in [
                cargo_test(&["--no-fail-fast", "--workspace", "--exclude", "portal-tests"]),
                cargo_test(&["--no-fail-fast", "--package", "portal-tests", "--test", "e2e", "--", "presigned::"]),
            ] {
                failed |= !run.status().context("running cargo test")?.success();
            }
            failed
        }
    };
    drop(localstack);
    if failed {
        bail!("tests failed");
    }
    Ok(ExitCode::SUCCESS)
}

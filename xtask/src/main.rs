//! `cargo xtask <command>`:
//! - `dev`  — the whole portal locally: emulator, provisioning, demo tenant, gateway.
//! - `test` — the whole suite against a fresh local stack.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use portal_shared::domain::Role;
use xtask::emulator::Emulator;
use xtask::provision::{self, API_URL_ENV, Names, STACK_ENV, Stack};
use xtask::seed::Seeder;
use xtask::{gateway, paths};

const USAGE: &str = "usage: cargo xtask <dev|test> [-- extra cargo test arguments]";
const DEMO_PASSWORD: &str = "Demo-Passw0rd!";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = match args.first().map(String::as_str) {
        Some("dev") => runtime.block_on(dev()),
        Some("test") => runtime.block_on(test(&args[1..])),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
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
    let emulator = Emulator::start().await?;
    eprintln!("xtask: moto {} (pid {})", emulator.endpoint(), emulator.pid());
    let stack = provision::provision(&emulator.endpoint(), &Names::new("portal")).await?;
    Ok((emulator, stack))
}

async fn dev() -> Result<ExitCode> {
    init_logs();
    let (_emulator, stack) = start_stack().await?;
    let seeder = Seeder::new(&stack).await;
    let tenant = seeder.tenant("Acme Accounting", "acme").await?;
    let mut logins = Vec::new();
    for (email, role) in [("admin@acme.example", Role::Admin), ("member@acme.example", Role::Member), ("viewer@acme.example", Role::Viewer)] {
        seeder.staff(tenant.id, email, role, DEMO_PASSWORD).await?;
        logins.push(format!("  {role:?}: {email} / {DEMO_PASSWORD}"));
    }
    let port = std::env::var("PORTAL_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(3000);
    let gateway = match gateway::start(&stack, port).await {
        Ok(gateway) => gateway,
        Err(_) => gateway::start(&stack, 0).await.context("starting the gateway")?,
    };
    let demo = xtask::seed::demo_content(&gateway.api_url(), "member@acme.example", DEMO_PASSWORD).await?;
    println!("\nCustomer portal running locally (Ctrl-C stops everything)\n");
    println!("  Staff dashboard:  {}/", gateway.url());
    println!("  Customer portal:  {}/p/{}", gateway.url(), tenant.slug);
    println!("  API:              {}", gateway.api_url());
    println!("  AWS emulator:     {}", stack.endpoint);
    println!("\nDemo tenant \"{}\" ({demo}); staff logins:", tenant.name);
    for login in logins {
        println!("{login}");
    }
    tokio::signal::ctrl_c().await?;
    eprintln!("\nxtask: stopping");
    gateway.stop().await;
    Ok(ExitCode::SUCCESS)
}

async fn test(extra: &[String]) -> Result<ExitCode> {
    init_logs();
    let (emulator, stack) = start_stack().await?;
    let gateway = gateway::start(&stack, 0).await?;
    eprintln!("xtask: gateway {}", gateway.url());
    // `cargo xtask test [-- <cargo test args>]`; without a package selection, the workspace.
    let extra = extra.strip_prefix(&["--".to_owned()]).unwrap_or(extra);
    let selects_packages = extra.iter().any(|a| a == "-p" || a.starts_with("--package") || a == "--workspace");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(paths::repo_root())
        .args(["test", "--no-fail-fast"])
        .args(if selects_packages { None } else { Some("--workspace") })
        .args(extra)
        .env(STACK_ENV, stack.to_json())
        .env(API_URL_ENV, gateway.api_url())
        .status()
        .context("running cargo test")?;
    gateway.stop().await;
    drop(emulator);
    if !status.success() {
        bail!("tests failed ({status})");
    }
    Ok(ExitCode::SUCCESS)
}

//! `local-gateway [--port N]`: the local API gateway for the stack in `PORTAL_STACK` (as
//! `cargo xtask dev|test|soak` start it), on 127.0.0.1:N (3000 unless given; any free port
//! when 0 or when N is taken), relaying the stack's queues. Prints
//! `local-gateway serving <url>` once it serves; stops on SIGTERM or Ctrl-C.

use anyhow::{Context, Result, bail};
use xtask::gateway::READY_LINE;
use xtask::provision::Stack;

#[tokio::main]
async fn main() -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    let mut port: u16 = 3000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).context("--port needs a port number")?,
            other => bail!("unknown argument {other}; usage: local-gateway [--port N]"),
        }
    }
    let stack = Stack::from_env()?;
    let gateway = match local_gateway::start(&stack, port).await {
        Ok(gateway) => gateway,
        Err(_) if port != 0 => local_gateway::start(&stack, 0).await.context("starting the gateway")?,
        Err(err) => return Err(err.context("starting the gateway")),
    };
    println!("{READY_LINE}{}", gateway.url());
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted?,
        _ = terminate.recv() => {}
    }
    gateway.stop().await;
    Ok(())
}

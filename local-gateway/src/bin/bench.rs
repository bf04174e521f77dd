//! `portal-bench`: the benchmarks (`local_gateway::bench`), with the options
//! `cargo xtask bench` passes in `PORTAL_BENCH_OPTIONS`.

use anyhow::Result;

#[tokio::main]
async fn main() -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    local_gateway::bench::run(xtask::bench::Options::from_env()?).await
}

//! `cargo xtask bench`: the benchmarks run the functions in-process behind the gateway, so
//! they live in the `local-gateway` crate (`local-gateway/src/bench/`, its `portal-bench`
//! binary); this builds and runs that binary with the options, so that xtask itself never
//! compiles the functions.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::paths;

/// The options of `cargo xtask bench`, handed to `portal-bench` as JSON in this variable.
pub const OPTIONS_ENV: &str = "PORTAL_BENCH_OPTIONS";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    /// Cold starts per program.
    pub runs: usize,
    /// Warm invocations per route.
    pub invocations: usize,
    /// Also build the arm64 zips (`cargo xtask package`) to report their sizes.
    pub package: bool,
    /// The cargo profile of the measured binaries. Another than `release` (e.g.
    /// `profiling`, which keeps the symbols, to `perf record` the functions meanwhile) writes
    /// only the JSON, not `docs/performance.md`.
    pub profile: String,
    /// Measure only these functions (and the floor): a quick look at a change, written
    /// only as JSON.
    pub only: Option<Vec<String>>,
    /// Run the growth benchmark instead (`local-gateway/src/bench/growth.rs`).
    #[serde(default)]
    pub growth: bool,
    /// The growth benchmark's largest size (default 100,000).
    #[serde(default)]
    pub max: Option<usize>,
    /// The growth benchmark's dimensions to measure (all when absent; a subset writes only
    /// the JSON).
    #[serde(default)]
    pub dimensions: Option<Vec<String>>,
}

impl Options {
    /// The options `portal-bench` was started with.
    pub fn from_env() -> Result<Self> {
        let json =
            std::env::var(OPTIONS_ENV).with_context(|| format!("{OPTIONS_ENV} is not set: run `cargo xtask bench`"))?;
        Ok(serde_json::from_str(&json)?)
    }
}

/// Runs the benchmarks: `cargo run -p local-gateway --bin portal-bench` with `options`.
pub async fn run(options: Options) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = tokio::process::Command::new(cargo)
        .current_dir(paths::repo_root())
        .args(["run", "-p", "local-gateway", "--bin", "portal-bench"])
        .env(OPTIONS_ENV, serde_json::to_string(&options)?)
        .status()
        .await
        .context("running portal-bench")?;
    if !status.success() {
        bail!("portal-bench failed ({status})");
    }
    Ok(())
}

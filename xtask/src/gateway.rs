//! The local API gateway as xtask runs it: the `local-gateway` crate (which links every
//! function) built and started as a process of its own, so that the commands which do not
//! serve the API (`package`, `deploy-web`, `tenant`, `smoke`) never compile the functions.
//! `cargo xtask dev`, `test`, `soak` build it (`cargo build -p local-gateway`) and start it
//! on the provisioned stack (`PORTAL_STACK`); it prints the address it serves, and stops on
//! SIGTERM or Ctrl-C (or is killed when the [`RunningGateway`] is dropped).

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub use crate::function_env::{LOCAL_COMPANY_SIGNUP, LOCAL_SHARE_EMAIL_WINDOW_SECONDS};
use crate::paths;
use crate::provision::{STACK_ENV, Stack};

/// The API is served under this prefix locally (CloudFront routes it the same way).
pub const API_PREFIX: &str = "/api";

/// The line the gateway process prints once it serves, followed by its URL.
pub const READY_LINE: &str = "local-gateway serving ";

/// How long a started gateway may take to fetch the pools' keys and bind (the build is
/// done before it starts).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Builds the gateway binary (debug profile) and returns its path, from cargo's own report
/// of the artifact (the target directory may be anywhere).
pub fn build() -> Result<std::path::PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .current_dir(paths::repo_root())
        .args(["build", "-p", "local-gateway", "--bin", "local-gateway", "--message-format=json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build -p local-gateway")?;
    if !output.status.success() {
        bail!("cargo build -p local-gateway failed");
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact" && message["target"]["name"] == "local-gateway")
        .find_map(|message| message["executable"].as_str().map(std::path::PathBuf::from))
        .context("cargo built no local-gateway executable")
}

/// A running gateway process; stopped by [`stop`](Self::stop), killed when dropped.
pub struct RunningGateway {
    url: String,
    child: Child,
}

impl RunningGateway {
    pub fn url(&self) -> String {
        self.url.clone()
    }

    pub fn api_url(&self) -> String {
        format!("{}{API_PREFIX}", self.url)
    }

    /// Asks the gateway to stop (SIGTERM: it finishes what it serves) and waits for it.
    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id() {
            // SAFETY: a plain signal to our own child, by its id.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
        }
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// Builds and starts the gateway on 127.0.0.1:`port` (0, or `port` taken: any free port)
/// for `stack`, relaying its queues to the queue consumers.
pub async fn start(stack: &Stack, port: u16) -> Result<RunningGateway> {
    let binary = tokio::task::spawn_blocking(build).await??;
    let mut child = Command::new(&binary)
        .current_dir(paths::repo_root())
        .env(STACK_ENV, stack.to_json())
        .args(["--port", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let mut lines = BufReader::new(child.stdout.take().context("the gateway's stdout")?).lines();
    let url = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = lines.next_line().await? {
            match line.strip_prefix(READY_LINE) {
                Some(url) => return Ok(url.trim().to_owned()),
                None => println!("{line}"),
            }
        }
        bail!("the gateway exited before serving")
    })
    .await
    .context("the gateway did not start in time")??;
    // Whatever it prints later goes on ours, and its pipe never fills.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            println!("{line}");
        }
    });
    Ok(RunningGateway { url, child })
}

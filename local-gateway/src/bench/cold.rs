//! Cold starts: a fresh `bootstrap` process per run, timed from exec to the end of its
//! first invocation, with its peak resident memory.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;
use tokio::process::Command;

use super::runtime_api::RuntimeApi;

/// What one program to cold-start is: the command and its environment.
pub struct Program {
    pub command: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The core it runs on (`cpus`), if the bench keeps one for the measured programs.
    pub core: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ColdRun {
    /// exec → the runtime asks for its first event (init: runtime, clients, config).
    pub init_ms: f64,
    /// exec → the first invocation's response arrives.
    pub total_ms: f64,
    pub peak_rss_kib: u64,
    /// CPU time the process used from exec to its first response (its threads alive then).
    pub cpu_ms: f64,
}

impl Program {
    /// The process as Lambda starts it: only the function's environment, polling `runtime`.
    pub fn command(&self, runtime: &RuntimeApi) -> Command {
        let mut command = Command::new(&self.command);
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("AWS_LAMBDA_RUNTIME_API", runtime.address.to_string())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(core) = self.core {
            // SAFETY: between fork and exec the closure only makes one system call.
            unsafe { command.pre_exec(move || super::cpus::pin_current_thread(core)) };
        }
        command
    }
}

/// Starts `program` once with `event` as its first invocation.
pub async fn run_once(api: &mut RuntimeApi, program: &Program, event: &Value) -> Result<ColdRun> {
    api.arm([event.clone()]);
    let started = Instant::now();
    let mut child = program
        .command(api)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", program.command.display()))?;
    let pid = child.id().context("no pid")?;
    let outcome = tokio::time::timeout(Duration::from_secs(30), api.outcome()).await;
    // Read before the process goes: the kernel's high-water mark of its resident set.
    let peak_rss_kib = peak_rss_kib(pid).unwrap_or(0);
    let cpu_ms = super::runtime_api::process_cpu_time(pid).map_or(f64::NAN, |cpu| cpu.as_secs_f64() * 1000.0);
    let init_at = api.first_poll();
    let _ = child.start_kill();
    let exited = child.wait_with_output().await?;
    let Ok(Some(outcome)) = outcome else {
        bail!(
            "{} gave no response within 30 s; stderr: {}",
            program.command.display(),
            String::from_utf8_lossy(&exited.stderr)
        );
    };
    if !outcome.ok {
        bail!("{} failed its invocation: {}", program.command.display(), outcome.body);
    }
    let ms = |at: Instant| at.duration_since(started).as_secs_f64() * 1000.0;
    Ok(ColdRun { init_ms: init_at.map(ms).unwrap_or(f64::NAN), total_ms: ms(outcome.at), peak_rss_kib, cpu_ms })
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

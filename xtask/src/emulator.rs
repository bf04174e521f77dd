//! The local AWS emulator: a pinned moto server, installed into `.local/venv` when missing,
//! started on 127.0.0.1 on a free port and stopped (by its own PID) when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::paths::local_dir;

/// The pinned emulator (its known limits are measured against this version; see
/// `docs/local-stack.md`).
pub const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";

fn venv_dir() -> PathBuf {
    local_dir().join("venv")
}

fn moto_server_bin() -> PathBuf {
    venv_dir().join("bin").join("moto_server")
}

/// Installs the pinned moto into the project's virtualenv unless it is already there.
pub fn ensure_installed() -> Result<()> {
    let marker = venv_dir().join(".installed");
    if moto_server_bin().exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == MOTO_REQUIREMENT) {
        return Ok(());
    }
    std::fs::create_dir_all(local_dir())?;
    eprintln!("xtask: installing {MOTO_REQUIREMENT} into {}", venv_dir().display());
    if !venv_dir().join("bin").join("python").exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(venv_dir()))?;
    }
    run(Command::new(venv_dir().join("bin").join("pip")).args(["install", "--quiet", "--disable-pip-version-check", MOTO_REQUIREMENT]))?;
    std::fs::write(marker, MOTO_REQUIREMENT)?;
    Ok(())
}

fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("could not run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// A free TCP port on 127.0.0.1 (asked of the OS; there is a tiny window before use).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running moto server; killed when dropped.
pub struct Emulator {
    child: Child,
    port: u16,
}

impl Emulator {
    pub async fn start() -> Result<Self> {
        ensure_installed()?;
        let port = free_port()?;
        let log_path = local_dir().join(format!("moto-{port}.log"));
        let log = std::fs::File::create(&log_path)?;
        let child = Command::new(moto_server_bin())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("could not start moto_server")?;
        let mut emulator = Self { child, port };
        emulator.wait_until_ready(&log_path).await?;
        Ok(emulator)
    }

    async fn wait_until_ready(&mut self, log_path: &std::path::Path) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("moto_server exited with {status}; see {}", log_path.display());
            }
            if let Ok(response) = client.get(format!("{}/moto-api/data.json", self.endpoint())).send().await {
                if response.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("moto_server did not answer within 60 s; see {}", log_path.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

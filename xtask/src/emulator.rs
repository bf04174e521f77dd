//! The local AWS emulators, each pinned in its own virtualenv (installed when missing),
//! started on 127.0.0.1 on a free port and stopped (by their own PID) when dropped:
//! - moto, the default: every service the system uses;
//! - LocalStack (host install, no Docker): its S3 enforces presigned-URL signatures and
//!   expiry, which moto does not. Where a Docker engine answers, the LocalStack container
//!   of `infra/local/docker-compose.yml` is used instead.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::paths::{local_dir, repo_root};
use crate::venv::{EMULATOR, LOCALSTACK};

/// The moto launcher: moto's own server, with DynamoDB's write atomicity restored.
const MOTO_LAUNCHER: &str = include_str!("moto_server.py");

/// A free TCP port on 127.0.0.1 (asked of the OS; there is a tiny window before use).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The emulator to run against (`cargo xtask test --backend moto|localstack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Moto,
    #[value(name = "localstack")]
    LocalStack,
}

/// How an emulator runs: our own child process, or a Docker Compose project.
enum Process {
    Child(Child),
    Compose { project: String },
}

/// A running emulator; stopped when dropped.
pub struct Emulator {
    process: Process,
    port: u16,
    backend: Backend,
}

/// LocalStack configuration for a host install: bound to loopback, no DNS server, no
/// downloads or analytics, and signatures checked (the point of running it).
const LOCALSTACK_ENV: &[(&str, &str)] = &[
    ("GATEWAY_SERVER", "hypercorn"),
    ("DNS_ADDRESS", "0"),
    ("S3_SKIP_SIGNATURE_VALIDATION", "0"),
    ("DISABLE_EVENTS", "1"),
    ("SKIP_SSL_CERT_DOWNLOAD", "1"),
    ("SERVICES", "s3"),
];

fn docker_available() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Emulator {
    pub async fn start(backend: Backend) -> Result<Self> {
        if backend == Backend::Moto {
            return Self::start_moto().await;
        }
        // LocalStack takes its port from the environment and does not report the one it
        // bound, so it gets a port found free (a short window in which another process
        // could take it; LocalStack then fails to start, and the error says so).
        let port = free_port()?;
        let log_path = local_dir().join(format!("localstack-{port}.log"));
        std::fs::create_dir_all(local_dir())?;
        let log = std::fs::File::create(&log_path)?;
        let process = match backend {
            Backend::Moto => unreachable!("started above"),
            Backend::LocalStack if docker_available() => {
                let project = format!("portal-localstack-{port}");
                let status = Command::new("docker")
                    .args(["compose", "-f", "infra/local/docker-compose.yml", "-p", &project, "up", "-d"])
                    .current_dir(repo_root())
                    .env("LOCALSTACK_PORT", port.to_string())
                    .stdout(log.try_clone()?)
                    .stderr(log)
                    .status()?;
                if !status.success() {
                    bail!("docker compose up failed; see {}", log_path.display());
                }
                Process::Compose { project }
            }
            Backend::LocalStack => {
                LOCALSTACK.ensure()?;
                let state = local_dir().join(format!("localstack-state-{port}"));
                std::fs::create_dir_all(&state)?;
                Process::Child(
                    Command::new(LOCALSTACK.bin("python"))
                        .args(["-m", "localstack.runtime.main"])
                        .envs(LOCALSTACK_ENV.iter().copied())
                        .env("GATEWAY_LISTEN", format!("127.0.0.1:{port}"))
                        .env("LOCALSTACK_VOLUME_DIR", state.join("volume"))
                        .env("CONFIG_DIR", state.join("config"))
                        .env("FILESYSTEM_ROOT", state.join("filesystem"))
                        .current_dir(&state)
                        .stdin(Stdio::null())
                        .stdout(log.try_clone()?)
                        .stderr(log)
                        .spawn()
                        .context("could not start LocalStack")?,
                )
            }
        };
        let mut emulator = Self { process, port, backend };
        emulator.wait_until_ready(&log_path).await?;
        Ok(emulator)
    }

    /// moto on a port its own server binds (`-p 0`), read from the line werkzeug logs
    /// (` * Running on http://127.0.0.1:<port>`): no window between finding a free port
    /// and binding it, in which another process (another suite on this machine) could take
    /// the port and answer in our emulator's place.
    async fn start_moto() -> Result<Self> {
        EMULATOR.ensure()?;
        std::fs::create_dir_all(local_dir())?;
        // moto's server, with DynamoDB requests serialized (see moto_server.py).
        let launcher = local_dir().join("moto_server.py");
        std::fs::write(&launcher, MOTO_LAUNCHER)?;
        let starting = local_dir().join(format!("moto-starting-{}.log", std::process::id()));
        let log = std::fs::File::create(&starting)?;
        let child = Command::new(EMULATOR.bin("python"))
            .arg(&launcher)
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("could not start moto's server")?;
        let mut emulator = Self { process: Process::Child(child), port: 0, backend: Backend::Moto };
        let deadline = Instant::now() + Duration::from_secs(120);
        emulator.port = loop {
            let text = std::fs::read_to_string(&starting).unwrap_or_default();
            if let Some(port) = text
                .lines()
                .find_map(|line| line.trim().strip_prefix("* Running on http://127.0.0.1:"))
                .and_then(|port| port.trim().parse::<u16>().ok())
            {
                break port;
            }
            if let Process::Child(child) = &mut emulator.process
                && let Some(status) = child.try_wait()?
            {
                bail!("moto exited with {status}; see {}", starting.display());
            }
            if Instant::now() > deadline {
                bail!("moto did not report its port within 120 s; see {}", starting.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        // The log keeps its documented name (the open file follows the rename).
        let log_path = local_dir().join(format!("moto-{}.log", emulator.port));
        std::fs::rename(&starting, &log_path)?;
        emulator.wait_until_ready(&log_path).await?;
        Ok(emulator)
    }

    /// Ready when moto serves its mailbox, or LocalStack reports S3 available.
    async fn wait_until_ready(&mut self, log_path: &std::path::Path) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let client = reqwest::Client::new();
        let probe = match self.backend {
            Backend::Moto => format!("{}{}", self.endpoint(), crate::mailbox::MOTO_MAILBOX_PATH),
            Backend::LocalStack => format!("{}/_localstack/health", self.endpoint()),
        };
        loop {
            if let Process::Child(child) = &mut self.process
                && let Some(status) = child.try_wait()?
            {
                bail!("the emulator exited with {status}; see {}", log_path.display());
            }
            if let Ok(response) = client.get(&probe).send().await {
                let ready = match self.backend {
                    Backend::Moto => response.status().is_success(),
                    Backend::LocalStack => response
                        .json::<serde_json::Value>()
                        .await
                        .is_ok_and(|health| matches!(health["services"]["s3"].as_str(), Some("available" | "running"))),
                };
                if ready {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("the emulator did not answer within 120 s; see {}", log_path.display());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The emulator's process id (none for a Docker container).
    pub fn pid(&self) -> Option<u32> {
        match &self.process {
            Process::Child(child) => Some(child.id()),
            Process::Compose { .. } => None,
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        match &mut self.process {
            Process::Child(child) => {
                let _ = child.kill();
                let _ = child.wait();
            }
            Process::Compose { project } => {
                let _ = Command::new("docker")
                    .args(["compose", "-f", "infra/local/docker-compose.yml", "-p", project, "down", "--volumes"])
                    .current_dir(repo_root())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

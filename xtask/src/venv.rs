//! Python tools the project installs for itself, each set pinned in its own virtualenv
//! under `.local/` (git-ignored), created on first use.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::paths::local_dir;

pub struct Venv {
    pub name: &'static str,
    pub requirements: &'static [&'static str],
}

/// The local AWS emulator (its known limits are measured against this version; see
/// `docs/local-stack.md`).
pub const EMULATOR: Venv = Venv { name: "venv", requirements: &["moto[server]==5.2.5"] };

/// LocalStack on the host (no Docker): the versions measured to work with Python 3.11 here.
pub const LOCALSTACK: Venv = Venv {
    name: "localstack",
    requirements: &[
        "localstack-core[runtime]==4.9.2",
        "cbor2<6",
        "pyopenssl==24.2.1",
        "cryptography==43.0.3",
        "service_identity",
    ],
};

/// Template checks and Lambda packaging (kept apart from moto: their boto pins differ).
/// cargo-lambda's wheel brings zig, which links the arm64 binaries.
pub const DEPLOY_TOOLS: Venv =
    Venv { name: "tools", requirements: &["cfn-lint==1.58.0", "aws-sam-cli==1.170.0", "cargo-lambda==1.9.2"] };

impl Venv {
    pub fn dir(&self) -> PathBuf {
        local_dir().join(self.name)
    }

    pub fn bin(&self, program: &str) -> PathBuf {
        self.dir().join("bin").join(program)
    }

    /// Creates the virtualenv and installs the pinned requirements unless they already are.
    pub fn ensure(&self) -> Result<()> {
        let marker = self.dir().join(".installed");
        let wanted = self.requirements.join("\n");
        if std::fs::read_to_string(&marker).is_ok_and(|installed| installed == wanted) {
            return Ok(());
        }
        std::fs::create_dir_all(local_dir())?;
        eprintln!("xtask: installing {} into {}", self.requirements.join(", "), self.dir().display());
        if !self.bin("python").exists() {
            run(Command::new("python3").arg("-m").arg("venv").arg(self.dir()))?;
        }
        run(Command::new(self.bin("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(self.requirements))?;
        std::fs::write(marker, wanted)?;
        Ok(())
    }
}

pub fn run(command: &mut Command) -> Result<()> {
    let status = command.status().with_context(|| format!("could not run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

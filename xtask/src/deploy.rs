//! Deployment checks and packaging: the SAM template linted offline (`cfn-lint`,
//! `sam validate --lint`), and every function built for Lambda on arm64 with cargo-lambda
//! (which links with zig, so no cross gcc is needed), zipped, with its size printed.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::paths::{repo_root, template_path};
use crate::venv::{DEPLOY_TOOLS, run};

/// The function crates, as deployed (one Lambda each; binary = package name).
pub const FUNCTION_PACKAGES: &[&str] = &[
    "portal-auth",
    "portal-contacts",
    "portal-documents",
    "portal-transfers",
    "portal-object-events",
    "portal-portal-access",
    "portal-sharing",
    "portal-settings",
    "portal-registration",
    "portal-customer",
    "portal-notifications",
];

/// A command from the tools virtualenv, with that virtualenv first on PATH.
fn tool(program: &str) -> Command {
    let path = std::env::var("PATH").unwrap_or_default();
    let mut command = Command::new(DEPLOY_TOOLS.bin(program));
    command
        .current_dir(repo_root())
        .env("PATH", format!("{}:{path}", DEPLOY_TOOLS.dir().join("bin").display()))
        // Both tools run offline: no telemetry, no update checks.
        .env("SAM_CLI_TELEMETRY", "0")
        .env("AWS_DEFAULT_REGION", std::env::var("AWS_DEFAULT_REGION").unwrap_or_else(|_| "us-east-1".into()));
    command
}

pub fn lint_template() -> Result<()> {
    DEPLOY_TOOLS.ensure()?;
    let template = template_path();
    eprintln!("xtask: cfn-lint {}", template.display());
    run(tool("cfn-lint").arg(&template))?;
    eprintln!("xtask: sam validate --lint");
    run(tool("sam").args(["validate", "--lint", "--template-file"]).arg(&template))?;
    Ok(())
}

/// Builds every function for arm64 in release (strip, LTO, one codegen unit), zips each
/// `bootstrap`, and returns the zip paths with their sizes.
pub fn package() -> Result<Vec<(PathBuf, u64)>> {
    DEPLOY_TOOLS.ensure()?;
    run(Command::new("rustup").args(["target", "add", "aarch64-unknown-linux-gnu"]))?;
    let mut build = tool("cargo-lambda");
    build.args(["lambda", "build", "--release", "--arm64", "--output-format", "zip"]);
    for package in FUNCTION_PACKAGES {
        build.args(["--package", package]);
    }
    run(&mut build)?;
    FUNCTION_PACKAGES
        .iter()
        .map(|package| {
            let zip = repo_root().join("target/lambda").join(package).join("bootstrap.zip");
            let size = std::fs::metadata(&zip).with_context(|| format!("{} was not built", zip.display()))?.len();
            Ok((zip, size))
        })
        .collect()
}

//! Chromium and ChromeDriver for the browser tests: Debian's packages (the same version
//! pair), installed with apt when missing and running as root.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Tells the browser tests which chromedriver to start.
pub const CHROMEDRIVER_ENV: &str = "PORTAL_CHROMEDRIVER";

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// The chromedriver to use, installing Chromium and ChromeDriver first if needed.
pub fn ensure_chromedriver() -> Result<PathBuf> {
    if let Some(found) = std::env::var_os(CHROMEDRIVER_ENV).map(PathBuf::from).filter(|p| p.exists()) {
        return Ok(found);
    }
    if PathBuf::from(CHROMEDRIVER).exists() && PathBuf::from(CHROMIUM).exists() {
        return Ok(CHROMEDRIVER.into());
    }
    if !is_root() {
        bail!(
            "the browser tests need Debian's chromium and chromium-driver: run as root, or `apt-get install chromium chromium-driver`"
        );
    }
    eprintln!("xtask: installing chromium and chromium-driver (Debian packages) for the browser tests");
    let apt = |args: &[&str]| -> Result<()> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        if !status.success() {
            bail!("apt-get {} failed ({status})", args.join(" "));
        }
        Ok(())
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"])?;
    Ok(CHROMEDRIVER.into())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

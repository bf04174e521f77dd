//! Deployment checks and packaging: the SAM template linted offline (`cfn-lint`,
//! `sam validate --lint`), every function built for Lambda on arm64 with cargo-lambda
//! (which links with zig, so no cross gcc is needed), zipped, with its size printed, and
//! the web pages uploaded to the stack's web bucket (`deploy-web`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::gateway::API_PREFIX;
use crate::paths::{repo_root, template_path, web_dir};
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

/// `config.js`, exactly as the local gateway serves it: the API is on the site's own origin
/// under `/api` (CloudFront routes it to the HTTP API), so one static file fits every stack.
pub fn config_js() -> String {
    format!("window.PORTAL_CONFIG = {};\n", serde_json::json!({ "apiBase": API_PREFIX }))
}

/// Pages and config.js are revalidated on every load (CloudFront keeps them a second at
/// most, CachingOptimized's minimum); scripts, styles and images, whose names carry no
/// content hash, for five minutes.
const REVALIDATE: &str = "no-cache";
const SHORT: &str = "public, max-age=300";

/// One object of the site as `deploy-web` uploads it.
#[derive(Debug)]
pub struct WebObject {
    /// The key in the web bucket (= the URL path without its leading `/`).
    pub key: String,
    /// The file under web/, or None for the generated config.js.
    pub file: Option<PathBuf>,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    pub size: u64,
}

fn content_type(key: &str) -> Option<&'static str> {
    let extension = key.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => return None,
    })
}

/// What `deploy-web` uploads: every file under `web` (hidden files skipped) plus the
/// generated config.js, assets first and pages last (so a new page never references an
/// asset not uploaded yet). An unknown file type is an error rather than a guess: served
/// with the wrong Content-Type under `nosniff`, a script or a stylesheet would not load.
pub fn web_plan(web: &Path) -> Result<Vec<WebObject>> {
    let mut files = Vec::new();
    let mut dirs = vec![web.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    let mut plan = Vec::new();
    for file in files {
        let relative = file.strip_prefix(web).expect("under web/");
        let key = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if key == "config.js" {
            bail!("{} would be overwritten: config.js is generated (deploy::config_js)", file.display());
        }
        let content_type = content_type(&key).with_context(|| {
            format!("{}: no Content-Type known for this file type (add it to deploy.rs)", file.display())
        })?;
        let cache_control = if key.ends_with(".html") { REVALIDATE } else { SHORT };
        let size = std::fs::metadata(&file)?.len();
        plan.push(WebObject { key, file: Some(file), content_type, cache_control, size });
    }
    plan.push(WebObject {
        key: "config.js".into(),
        file: None,
        content_type: "text/javascript; charset=utf-8",
        cache_control: REVALIDATE,
        size: config_js().len() as u64,
    });
    plan.sort_by(|a, b| (a.cache_control == REVALIDATE, &a.key).cmp(&(b.cache_control == REVALIDATE, &b.key)));
    Ok(plan)
}

/// The stack name and region of a `samconfig.toml` environment (`default`, `dev`, `prod`).
fn samconfig_stack(config_env: &str) -> Result<(String, String)> {
    let path = repo_root().join("samconfig.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let value = |table: &str, key: &str| -> Option<String> {
        let header = format!("[{config_env}.{table}.parameters]");
        let section = text.split_once(&header)?.1;
        let section = section.split("\n[").next().unwrap_or(section);
        section.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            (name.trim() == key).then(|| value.trim().trim_matches('"').to_owned())
        })
    };
    let stack =
        value("global", "stack_name").with_context(|| format!("no stack_name for {config_env} in samconfig.toml"))?;
    let region = value("deploy", "region").with_context(|| format!("no region for {config_env} in samconfig.toml"))?;
    Ok((stack, region))
}

fn aws(region: &str) -> Command {
    let mut command = Command::new("aws");
    command.args(["--region", region]);
    command
}

fn aws_json(command: &mut Command) -> Result<Value> {
    let output = command.stderr(Stdio::inherit()).output().with_context(|| format!("could not run {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed with {}", output.status);
    }
    serde_json::from_slice(&output.stdout).with_context(|| format!("{command:?}: not JSON"))
}

/// The outputs of the stack of a `samconfig.toml` environment (`aws cloudformation
/// describe-stacks`): its region and an output reader (`WebBucketName`, `TableName`, …).
pub fn stack_outputs(config_env: &str) -> Result<StackOutputs> {
    let (stack, region) = samconfig_stack(config_env)?;
    let outputs = aws_json(aws(&region).args([
        "cloudformation",
        "describe-stacks",
        "--stack-name",
        &stack,
        "--query",
        "Stacks[0].Outputs",
        "--output",
        "json",
    ]))
    .context("reading the stack's outputs (is the aws CLI installed and are credentials set?)")?;
    Ok(StackOutputs { stack, region, outputs })
}

pub struct StackOutputs {
    pub stack: String,
    pub region: String,
    outputs: Value,
}

impl StackOutputs {
    pub fn get(&self, name: &str) -> Result<String> {
        self.outputs
            .as_array()
            .and_then(|all| all.iter().find(|o| o["OutputKey"] == name))
            .and_then(|o| o["OutputValue"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("stack {} has no output {name} (sam deploy first)", self.stack))
    }
}

/// `cargo xtask deploy-web`: uploads web/ and config.js to the stack's web bucket with their
/// Content-Type and Cache-Control, deletes what web/ no longer has, and invalidates the
/// distribution. Needs the `aws` CLI with credentials; `dry_run` only prints the plan.
pub fn deploy_web(config_env: &str, dry_run: bool) -> Result<()> {
    let plan = web_plan(&web_dir())?;
    println!("{} objects (web/ and the generated config.js):", plan.len());
    for object in &plan {
        println!("  {:<32} {:>8} B  {:<32} {}", object.key, object.size, object.content_type, object.cache_control);
    }
    if dry_run {
        return Ok(());
    }
    let outputs = stack_outputs(config_env)?;
    let region = outputs.region.clone();
    let output = |name: &str| outputs.get(name);
    let (bucket, distribution) = (output("WebBucketName")?, output("WebDistributionId")?);
    let (public_url, distribution_url) = (output("PublicUrl")?, output("DistributionUrl")?);

    let config_file = std::env::temp_dir().join(format!("portal-config-{}.js", std::process::id()));
    std::fs::write(&config_file, config_js())?;
    for object in &plan {
        let source = object.file.as_deref().unwrap_or(&config_file);
        println!("upload s3://{bucket}/{}", object.key);
        run(aws(&region)
            .args(["s3", "cp", "--only-show-errors", "--content-type", object.content_type])
            .args(["--cache-control", object.cache_control])
            .arg(source)
            .arg(format!("s3://{bucket}/{}", object.key)))?;
    }
    let _ = std::fs::remove_file(&config_file);

    let keys = aws_json(aws(&region).args([
        "s3api",
        "list-objects-v2",
        "--bucket",
        &bucket,
        "--query",
        "Contents[].Key",
        "--output",
        "json",
    ]))?;
    for key in keys.as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !plan.iter().any(|o| o.key == key) {
            println!("delete s3://{bucket}/{key} (no longer in web/)");
            run(aws(&region).args(["s3", "rm", "--only-show-errors", &format!("s3://{bucket}/{key}")]))?;
        }
    }

    println!("invalidate {distribution} /*");
    run(aws(&region).args(["cloudfront", "create-invalidation", "--distribution-id", &distribution, "--paths", "/*"]))?;
    println!("\nSite: {public_url}/ (staff dashboard), {public_url}/p/<slug> (customer portal)");
    if public_url != distribution_url {
        println!(
            "Note: links in emails point to {public_url} (DashboardOrigin), this distribution is {distribution_url}. \
             Unless {public_url} is a custom domain aliased to it (SiteCertificateArn and a DNS record), set \
             DashboardOrigin={distribution_url} in samconfig.toml and sam deploy again."
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_js_is_what_the_local_gateway_serves() {
        assert_eq!(config_js(), "window.PORTAL_CONFIG = {\"apiBase\":\"/api\"};\n");
    }

    #[test]
    fn the_stack_and_region_come_from_samconfig() {
        assert_eq!(samconfig_stack("prod").unwrap(), ("customer-portal-prod".into(), "us-east-1".into()));
        assert_eq!(samconfig_stack("default").unwrap(), ("customer-portal-dev".into(), "us-east-1".into()));
        assert!(samconfig_stack("nowhere").is_err());
    }

    #[test]
    fn the_web_plan_types_every_file_and_uploads_pages_last() {
        let plan = web_plan(&web_dir()).unwrap();
        let find = |key: &str| plan.iter().find(|o| o.key == key).unwrap_or_else(|| panic!("{key} not planned"));
        assert_eq!(find("index.html").content_type, "text/html; charset=utf-8");
        assert_eq!(find("index.html").cache_control, REVALIDATE);
        assert_eq!(find("portal.html").cache_control, REVALIDATE);
        assert_eq!(find("config.js").cache_control, REVALIDATE);
        assert_eq!(find("config.js").file, None);
        for object in plan.iter().filter(|o| o.key.ends_with(".js") && o.key != "config.js") {
            assert_eq!((object.content_type, object.cache_control), ("text/javascript; charset=utf-8", SHORT));
        }
        for object in plan.iter().filter(|o| o.key.ends_with(".css")) {
            assert_eq!((object.content_type, object.cache_control), ("text/css; charset=utf-8", SHORT));
        }
        assert!(plan.iter().all(|o| !o.key.starts_with('/') && !o.key.contains('\\')));
        let first_revalidated = plan.iter().position(|o| o.cache_control == REVALIDATE).unwrap();
        assert!(plan[first_revalidated..].iter().all(|o| o.cache_control == REVALIDATE));
    }
}

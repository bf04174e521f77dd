//! Deployment checks and packaging: the SAM template linted offline (`cfn-lint`,
//! `sam validate --lint`), `sam build` (every function built for Lambda on arm64 by
//! cargo-lambda, which links with zig, so no cross gcc is needed) with a check of what it
//! built and each package's size, and the web pages uploaded to the stack's web bucket
//! (`deploy-web`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
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
    "portal-view-index",
    "portal-jobs",
];

/// What CloudFront's response headers policy (`WebSecurityHeadersPolicy`) adds to every
/// response of the site, pages and `/api` alike (lower-case names). The local gateway sends
/// the same, `cargo xtask smoke` expects them, and a drift test keeps them equal to the
/// template's.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("strict-transport-security", "max-age=63072000; includeSubDomains"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
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

/// One function as `sam build` left it for `sam deploy`.
#[derive(Debug, Clone)]
pub struct Package {
    /// The template's logical id (`AuthFunction`).
    pub logical_id: String,
    /// Its crate's binary (`portal-auth`), `Metadata.BuildProperties.Binary`.
    pub binary: String,
    /// `.aws-sam/build/<LogicalId>/bootstrap`.
    pub bootstrap: PathBuf,
    pub bootstrap_bytes: u64,
    /// The size of the zip `sam deploy` makes of the function's directory (deflated, as
    /// SAM CLI's own `zipfile` does).
    pub zip_bytes: u64,
}

/// Where `sam build` writes (SAM's default build directory, relative to the repository).
pub fn sam_build_dir() -> PathBuf {
    repo_root().join(".aws-sam").join("build")
}

/// `sam build --config-env <env>`, exactly the documented deploy step, with what it needs
/// installed first (the tools virtualenv: SAM CLI and cargo-lambda with its zig; the arm64
/// Rust target), then [`check_build`]. Every function is built into the workspace's one
/// target directory, so the dependencies are compiled once and a rebuild is incremental.
pub fn package(config_env: &str) -> Result<Vec<Package>> {
    DEPLOY_TOOLS.ensure()?;
    run(Command::new("rustup").args(["target", "add", "aarch64-unknown-linux-gnu"]))?;
    eprintln!("xtask: sam build --config-env {config_env}");
    run(tool("sam").args(["build", "--config-env", config_env]))?;
    let packages = check_build(&sam_build_dir(), &template_path(), &cargo_target_dir()?)?;
    packages.into_iter().map(|package| Ok(Package { zip_bytes: zipped_size(&package.bootstrap)?, ..package })).collect()
}

/// The target directory cargo builds into (`CARGO_TARGET_DIR` or the workspace's `target`),
/// where cargo-lambda leaves `lambda/<binary>/bootstrap`.
fn cargo_target_dir() -> Result<PathBuf> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo_root())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .stderr(Stdio::inherit())
        .output()
        .context("cargo metadata")?;
    ensure!(output.status.success(), "cargo metadata failed with {}", output.status);
    let metadata: Value = serde_json::from_slice(&output.stdout)?;
    Ok(PathBuf::from(metadata["target_directory"].as_str().context("no target_directory")?))
}

/// Checks that the built template and its artifacts are what `sam deploy` should upload:
/// - the built template declares exactly the functions of the source template;
/// - each function's `CodeUri` is a directory holding one file, `bootstrap` (sam deploy
///   zips the whole directory), executable, of a plausible size (1 to 100 MiB);
/// - each `bootstrap` is a 64-bit little-endian AArch64 ELF executable whose interpreter is
///   the arm64 glibc loader of `provided.al2023`, and the source template declares
///   `Runtime: provided.al2023`, `Architectures: [arm64]`, `Handler: bootstrap`;
/// - each is its own crate's binary: byte for byte cargo-lambda's
///   `<target>/lambda/<Binary>/bootstrap`, and no two functions got the same file.
///
/// `zip_bytes` is left 0 (see [`package`]).
pub fn check_build(build_dir: &Path, source_template: &Path, target_dir: &Path) -> Result<Vec<Package>> {
    let read = |path: &Path| -> Result<serde_norway::Value> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_norway::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    };
    let source = read(source_template)?;
    let built = read(&build_dir.join("template.yaml"))?;
    let functions = |template: &serde_norway::Value| -> Vec<(String, serde_norway::Value)> {
        template["Resources"]
            .as_mapping()
            .into_iter()
            .flatten()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .map(|(id, r)| (id.as_str().unwrap_or_default().to_owned(), r.clone()))
            .collect()
    };
    let (declared, built_functions) = (functions(&source), functions(&built));
    let names = |list: &[(String, serde_norway::Value)]| list.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    ensure!(!declared.is_empty(), "{} declares no function", source_template.display());
    ensure!(
        names(&declared) == names(&built_functions),
        "the built template's functions {:?} are not the source template's {:?}",
        names(&built_functions),
        names(&declared)
    );
    let globals = &source["Globals"]["Function"];
    let property = |function: &serde_norway::Value, name: &str| -> serde_norway::Value {
        let own = &function["Properties"][name];
        if own.is_null() { globals[name].clone() } else { own.clone() }
    };

    let mut problems = Vec::new();
    let mut packages: Vec<Package> = Vec::new();
    for ((logical_id, function), (_, built_function)) in declared.iter().zip(&built_functions) {
        let mut problem = |text: String| problems.push(format!("{logical_id}: {text}"));
        if property(function, "Runtime").as_str() != Some("provided.al2023") {
            problem(format!("Runtime is {:?}, not provided.al2023", property(function, "Runtime")));
        }
        if property(function, "Handler").as_str() != Some("bootstrap") {
            problem(format!("Handler is {:?}, not bootstrap", property(function, "Handler")));
        }
        let architectures = property(function, "Architectures");
        if architectures.as_sequence().map(|a| a.iter().map(|v| v.as_str()).collect::<Vec<_>>())
            != Some(vec![Some("arm64")])
        {
            problem(format!("Architectures is {architectures:?}, not [arm64]"));
        }
        let Some(binary) = function["Metadata"]["BuildProperties"]["Binary"].as_str() else {
            problem("no Metadata.BuildProperties.Binary".into());
            continue;
        };
        let Some(code_uri) = built_function["Properties"]["CodeUri"].as_str() else {
            problem(format!("the built template's CodeUri is {:?}", built_function["Properties"]["CodeUri"]));
            continue;
        };
        let dir = build_dir.join(code_uri);
        let entries: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => {
                entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            }
            Err(err) => {
                problem(format!("{}: {err}", dir.display()));
                continue;
            }
        };
        if entries != ["bootstrap"] {
            problem(format!("{} holds {entries:?}, not just bootstrap", dir.display()));
        }
        let bootstrap = dir.join("bootstrap");
        let bytes = match std::fs::read(&bootstrap) {
            Ok(bytes) => bytes,
            Err(err) => {
                problem(format!("{}: {err}", bootstrap.display()));
                continue;
            }
        };
        let size = bytes.len() as u64;
        if !(1 << 20..=100 << 20).contains(&size) {
            problem(format!("bootstrap is {size} bytes, not 1 to 100 MiB"));
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&bootstrap)?.permissions().mode();
        if mode & 0o111 != 0o111 {
            problem(format!("bootstrap is not executable by all (mode {mode:o})"));
        }
        if let Err(err) = check_arm64_executable(&bytes) {
            problem(format!("bootstrap: {err}"));
        }
        let own = target_dir.join("lambda").join(binary).join("bootstrap");
        match std::fs::read(&own) {
            Ok(own_bytes) if own_bytes == bytes => {}
            Ok(_) => problem(format!("bootstrap is not {}, the build of {binary}", own.display())),
            Err(err) => problem(format!("{}: {err}", own.display())),
        }
        if let Some(twin) = packages.iter().find(|p| std::fs::read(&p.bootstrap).is_ok_and(|other| other == bytes)) {
            problem(format!("the same bootstrap as {}", twin.logical_id));
        }
        packages.push(Package {
            logical_id: logical_id.clone(),
            binary: binary.to_owned(),
            bootstrap,
            bootstrap_bytes: size,
            zip_bytes: 0,
        });
    }
    if !problems.is_empty() {
        bail!("the SAM build is not what sam deploy should upload:\n  {}", problems.join("\n  "));
    }
    Ok(packages)
}

/// The program interpreter of an arm64 `provided.al2023` executable (glibc's loader).
const AL2023_ARM64_INTERPRETER: &[u8] = b"/lib/ld-linux-aarch64.so.1";

/// A 64-bit little-endian AArch64 ELF executable (`ET_EXEC`, or `ET_DYN` for a PIE) that
/// asks for the arm64 glibc loader. The headers are read with the `object` crate (gimli's
/// ELF reader, the one the Rust toolchain's own tools use).
pub fn check_arm64_executable(elf: &[u8]) -> Result<()> {
    use object::Endianness;
    use object::elf::{EM_AARCH64, ET_DYN, ET_EXEC, FileHeader64};
    use object::read::elf::{FileHeader, ProgramHeader};

    // Refuses anything but a 64-bit ELF (magic and class checked).
    let header = FileHeader64::<Endianness>::parse(elf).map_err(|e| anyhow::anyhow!("not a 64-bit ELF file: {e}"))?;
    let endian = header.endian().map_err(|e| anyhow::anyhow!("not an ELF file: {e}"))?;
    ensure!(endian == Endianness::Little, "not a 64-bit little-endian ELF");
    let machine = header.e_machine(endian);
    ensure!(machine == EM_AARCH64, "machine {machine} is not AArch64 ({EM_AARCH64})");
    let kind = header.e_type(endian);
    ensure!(matches!(kind, ET_EXEC | ET_DYN), "ELF type {kind} is not an executable");
    let segments = header.program_headers(endian, elf).map_err(|e| anyhow::anyhow!("program headers: {e}"))?;
    for segment in segments {
        let Some(interpreter) = segment
            .interpreter(endian, elf)
            .map_err(|e| anyhow::anyhow!("the interpreter is outside the file: {e}"))?
        else {
            continue;
        };
        ensure!(
            interpreter == AL2023_ARM64_INTERPRETER,
            "interpreter {} is not {}",
            String::from_utf8_lossy(interpreter),
            String::from_utf8_lossy(AL2023_ARM64_INTERPRETER)
        );
        return Ok(());
    }
    bail!("no program interpreter (not a dynamically linked glibc executable)")
}

/// The size of the deflated zip SAM CLI makes of a function's directory, made the same way
/// (Python's `zipfile`, from the tools virtualenv) in a temporary file.
fn zipped_size(bootstrap: &Path) -> Result<u64> {
    let zip = std::env::temp_dir().join(format!("portal-package-{}.zip", std::process::id()));
    let script = "import sys, zipfile\n\
                  with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    z.write(sys.argv[2], 'bootstrap')\n";
    run(Command::new(DEPLOY_TOOLS.bin("python")).arg("-c").arg(script).arg(&zip).arg(bootstrap))?;
    let size = std::fs::metadata(&zip)?.len();
    let _ = std::fs::remove_file(&zip);
    Ok(size)
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
    let config: toml::Table = text.parse().with_context(|| format!("parsing {}", path.display()))?;
    // `[<env>.<command>.parameters]` tables, as SAM CLI reads them.
    let value = |command: &str, key: &str| -> Option<String> {
        config.get(config_env)?.get(command)?.get("parameters")?.get(key)?.as_str().map(str::to_owned)
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

    /// A minimal ELF header with one PT_INTERP program header, padded to `size` bytes.
    fn elf(machine: u16, interpreter: &[u8], size: usize) -> Vec<u8> {
        let mut elf = vec![0u8; 64 + 56];
        elf[..4].copy_from_slice(b"\x7fELF");
        (elf[4], elf[5], elf[6]) = (2, 1, 1);
        elf[16..18].copy_from_slice(&3u16.to_le_bytes());
        elf[18..20].copy_from_slice(&machine.to_le_bytes());
        elf[32..40].copy_from_slice(&64u64.to_le_bytes());
        elf[54..56].copy_from_slice(&56u16.to_le_bytes());
        elf[56..58].copy_from_slice(&1u16.to_le_bytes());
        elf[64..68].copy_from_slice(&3u32.to_le_bytes());
        elf[72..80].copy_from_slice(&120u64.to_le_bytes());
        elf[96..104].copy_from_slice(&(interpreter.len() as u64 + 1).to_le_bytes());
        elf.extend_from_slice(interpreter);
        elf.push(0);
        elf.resize(size.max(elf.len()), 0);
        elf
    }

    #[test]
    fn only_an_arm64_glibc_executable_passes() {
        check_arm64_executable(&elf(183, AL2023_ARM64_INTERPRETER, 0)).unwrap();
        let x86 = check_arm64_executable(&elf(62, b"/lib64/ld-linux-x86-64.so.2", 0)).unwrap_err();
        assert!(x86.to_string().contains("not AArch64"), "{x86}");
        let other_loader = check_arm64_executable(&elf(183, b"/lib/ld-musl-aarch64.so.1", 0)).unwrap_err();
        assert!(other_loader.to_string().contains("interpreter"), "{other_loader}");
        let mut no_interpreter = elf(183, AL2023_ARM64_INTERPRETER, 0);
        no_interpreter[64..68].copy_from_slice(&1u32.to_le_bytes());
        assert!(check_arm64_executable(&no_interpreter).is_err());
        assert!(check_arm64_executable(b"#!/bin/sh\necho hello\n").is_err());
    }

    /// A source template, a `.aws-sam/build` and a cargo target dir in a temporary directory.
    struct FakeBuild {
        root: PathBuf,
    }

    impl FakeBuild {
        fn new(binaries: &[(&str, Vec<u8>)]) -> Self {
            let root = std::env::temp_dir().join(format!("portal-fake-build-{}", uuid::Uuid::new_v4().simple()));
            let mut source = String::from(
                "Globals:\n  Function:\n    Runtime: provided.al2023\n    Architectures: [arm64]\n    Handler: bootstrap\nResources:\n",
            );
            let mut built = String::from("Resources:\n");
            for (binary, bytes) in binaries {
                let id = format!("F{}", binary.replace('-', ""));
                source.push_str(&format!(
                    "  {id}:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildMethod: makefile\n      \
                     BuildProperties:\n        Binary: {binary}\n    Properties:\n      CodeUri: ../x\n"
                ));
                built.push_str(&format!(
                    "  {id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: {id}\n"
                ));
                for dir in [root.join("build").join(&id), root.join("target/lambda").join(binary)] {
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(dir.join("bootstrap"), bytes).unwrap();
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(dir.join("bootstrap"), std::fs::Permissions::from_mode(0o755)).unwrap();
                }
            }
            std::fs::write(root.join("template.yaml"), source).unwrap();
            std::fs::write(root.join("build/template.yaml"), built).unwrap();
            Self { root }
        }

        fn check(&self) -> Result<Vec<Package>> {
            check_build(&self.root.join("build"), &self.root.join("template.yaml"), &self.root.join("target"))
        }
    }

    impl Drop for FakeBuild {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    #[test]
    fn the_build_check_accepts_only_each_functions_own_arm64_bootstrap() {
        let binary = |tag: u8| {
            let mut bytes = elf(183, AL2023_ARM64_INTERPRETER, 2 << 20);
            *bytes.last_mut().unwrap() = tag;
            bytes
        };
        let good = FakeBuild::new(&[("portal-a", binary(1)), ("portal-b", binary(2))]);
        let packages = good.check().unwrap();
        assert_eq!(packages.iter().map(|p| p.binary.as_str()).collect::<Vec<_>>(), ["portal-a", "portal-b"]);
        assert!(packages.iter().all(|p| p.bootstrap_bytes == 2 << 20));

        let error = |build: &FakeBuild| format!("{:#}", build.check().unwrap_err());
        let same = FakeBuild::new(&[("portal-a", binary(1)), ("portal-b", binary(1))]);
        assert!(error(&same).contains("the same bootstrap as Fportala"), "{}", error(&same));

        let small = FakeBuild::new(&[("portal-a", elf(183, AL2023_ARM64_INTERPRETER, 4096))]);
        assert!(error(&small).contains("not 1 to 100 MiB"), "{}", error(&small));

        let x86 = FakeBuild::new(&[("portal-a", elf(62, b"/lib64/ld-linux-x86-64.so.2", 2 << 20))]);
        assert!(error(&x86).contains("not AArch64"), "{}", error(&x86));

        let copied_wrong = FakeBuild::new(&[("portal-a", binary(1))]);
        std::fs::write(copied_wrong.root.join("target/lambda/portal-a/bootstrap"), binary(9)).unwrap();
        assert!(error(&copied_wrong).contains("the build of portal-a"), "{}", error(&copied_wrong));

        let extra = FakeBuild::new(&[("portal-a", binary(1))]);
        std::fs::write(extra.root.join("build/Fportala/notes.txt"), "x").unwrap();
        assert!(error(&extra).contains("not just bootstrap"), "{}", error(&extra));

        let not_executable = FakeBuild::new(&[("portal-a", binary(1))]);
        use std::os::unix::fs::PermissionsExt;
        let path = not_executable.root.join("build/Fportala/bootstrap");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(error(&not_executable).contains("not executable"), "{}", error(&not_executable));

        let missing = FakeBuild::new(&[("portal-a", binary(1)), ("portal-b", binary(2))]);
        let built = std::fs::read_to_string(missing.root.join("build/template.yaml")).unwrap();
        let first_only = built.split("  Fportalb:").next().unwrap();
        std::fs::write(missing.root.join("build/template.yaml"), first_only).unwrap();
        assert!(error(&missing).contains("are not the source template's"), "{}", error(&missing));
    }

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

//! `cargo xtask`'s command line, read with clap (derive). It lives in the library so that
//! `cargo test -p xtask` checks it, the documented invocations included; `main.rs` only
//! dispatches. The `tenant` and `smoke` arguments are in their own modules
//! ([`crate::tenant::args`], [`crate::smoke::SmokeArgs`]).

use clap::{Args, Parser, Subcommand};

use crate::emulator::Backend;
use crate::tenant::args::TenantArgs;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about = "The customer portal's tooling: the local stack, the tests, packaging, benchmarks and the operator's commands",
    after_help = "README.md and docs/operations.md describe each command.",
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub task: Task,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Task {
    /// The whole portal locally: emulator, provisioning, demo tenants, gateway
    Dev,
    /// The whole suite (template lint, unit, integration and end-to-end tests) against a fresh local stack
    Test(TestArgs),
    /// `sam build` (every function for Lambda, arm64, release), checked, and each package's size
    Package(PackageArgs),
    /// Cold starts, warm latency, AWS requests per route, package sizes and memory (docs/performance.md)
    Bench(BenchArgs),
    /// The long load run: concurrent staff and customer sessions against a fresh local stack
    Soak(SoakArgs),
    /// The cost model: requests per user action × AWS prices (docs/cost-model.toml), for 1, 100 and 10,000 companies
    Cost(CostArgs),
    /// web/ and config.js to the stack's web bucket, then a CloudFront invalidation
    DeployWeb(DeployWebArgs),
    /// The operator's commands for companies: create, list, show, suspend, resume, delete, invite-code
    Tenant(TenantArgs),
    /// The post-deploy checks of a public URL
    Smoke(crate::smoke::SmokeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// The emulator: moto (everything), or LocalStack (what it can serve; names what it skips)
    #[arg(long, value_enum, default_value_t = Backend::Moto)]
    pub backend: Backend,
    /// Arguments for `cargo test`, after `--` (e.g. `-- -p portal-tests --test e2e -- slice::`);
    /// without a package selection, the workspace
    #[arg(value_name = "CARGO TEST ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub cargo_test: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct PackageArgs {
    /// The samconfig.toml environment whose build settings `sam build` uses
    #[arg(long, value_name = "ENV", default_value = "dev")]
    pub config_env: String,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Cold starts per program
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub runs: usize,
    /// Warm invocations per route
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub invocations: usize,
    /// Skip building the arm64 zips (`cargo xtask package`) whose sizes are reported
    #[arg(long)]
    pub no_package: bool,
    /// The cargo profile of the measured binaries (another than release writes only the JSON)
    #[arg(long, value_name = "NAME", default_value = "release")]
    pub profile: String,
    /// Measure only these functions (and the floor), comma-separated; written only as JSON
    #[arg(long, value_name = "F,G", value_delimiter = ',')]
    pub only: Option<Vec<String>>,
    /// The growth benchmark instead: each route's AWS requests, capacity units and CPU as
    /// the data grows from 10 to 100,000 (docs/performance.md, docs/growth.svg)
    #[arg(long)]
    pub growth: bool,
    /// With --growth: the largest size seeded (10 to 100000)
    #[arg(long, value_name = "N", requires = "growth", value_parser = clap::value_parser!(u64).range(10..=100_000))]
    pub max: Option<u64>,
    /// With --growth: only these dimensions, comma-separated (e.g. shared-documents); written
    /// only as JSON
    #[arg(long, value_name = "D,E", value_delimiter = ',', requires = "growth")]
    pub dimension: Option<Vec<String>>,
}

impl From<BenchArgs> for crate::bench::Options {
    fn from(args: BenchArgs) -> Self {
        Self {
            runs: args.runs,
            invocations: args.invocations,
            package: !args.no_package,
            profile: args.profile,
            only: args.only,
            growth: args.growth,
            max: args.max.map(|m| m as usize),
            dimensions: args.dimension,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CostArgs {
    /// Write the table into docs/performance.md ("Cost per tenant") instead of printing it
    #[arg(long)]
    pub write: bool,
}

/// Each count is brought into its range (not refused), as it always was.
#[derive(Debug, Clone, Args)]
pub struct SoakArgs {
    /// Concurrent sessions, staff and customers (1 to 500)
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub clients: u64,
    /// Operations per session (1 to 10000)
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub requests: u64,
    /// No new operation starts after this many seconds (1 to 3600)
    #[arg(long, value_name = "N", default_value_t = 900)]
    pub seconds: u64,
    /// The seed of the operation mix (the same seed, the same mix)
    #[arg(long, value_name = "N", default_value_t = crate::load::Options::DEFAULT_SEED)]
    pub seed: u64,
}

impl From<SoakArgs> for crate::load::Options {
    fn from(args: SoakArgs) -> Self {
        let mut options = Self::new(
            args.clients.clamp(1, 500) as usize,
            args.requests.clamp(1, 10_000) as usize,
            args.seconds.clamp(1, 3600),
        );
        options.seed = args.seed;
        options.progress = Some(std::time::Duration::from_secs(30));
        options
    }
}

#[derive(Debug, Clone, Args)]
pub struct DeployWebArgs {
    /// The samconfig.toml environment whose stack receives the site
    #[arg(long, value_name = "ENV", default_value = "default")]
    pub config_env: String,
    /// List the objects that would be uploaded; change nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("xtask").chain(line.split_whitespace()))
    }

    fn task(line: &str) -> Task {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e}")).task
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_every_command() {
        assert_eq!(parse("--help").unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse("").unwrap_err().kind(), ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand);
        let help = Cli::command().render_long_help().to_string();
        for command in ["dev", "test", "package", "bench", "soak", "deploy-web", "tenant", "smoke"] {
            assert!(help.contains(command), "{command} missing from\n{help}");
        }
        assert_eq!(parse("tenant --help").unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert_eq!(parse("tenant help").unwrap_err().kind(), ErrorKind::DisplayHelp);
        assert!(parse("deploy").is_err() && parse("dev --port 3000").is_err());
    }

    /// `cargo xtask test -- <cargo test args>`: everything after the first `--` goes to
    /// `cargo test` as it is, a second `--` (the test binary's arguments) included.
    #[test]
    fn test_passes_its_arguments_through_to_cargo_test() {
        let Task::Test(args) = task("test") else { panic!() };
        assert_eq!((args.backend, args.cargo_test), (Backend::Moto, vec![]));
        let Task::Test(args) = task("test -- -p portal-tests --test e2e -- slice::") else { panic!() };
        assert_eq!(args.backend, Backend::Moto);
        assert_eq!(args.cargo_test, ["-p", "portal-tests", "--test", "e2e", "--", "slice::"]);
        let Task::Test(args) = task("test -- -p portal-tests slice") else { panic!() };
        assert_eq!(args.cargo_test, ["-p", "portal-tests", "slice"]);
        let Task::Test(args) = task("test --backend localstack") else { panic!() };
        assert_eq!((args.backend, args.cargo_test), (Backend::LocalStack, vec![]));
        assert!(parse("test --backend docker").is_err());
    }

    #[test]
    fn package_and_deploy_web_take_a_config_env() {
        let Task::Package(args) = task("package") else { panic!() };
        assert_eq!(args.config_env, "dev");
        let Task::Package(args) = task("package --config-env prod") else { panic!() };
        assert_eq!(args.config_env, "prod");
        assert!(parse("package prod").is_err() && parse("package --config-env").is_err());
        let Task::DeployWeb(args) = task("deploy-web") else { panic!() };
        assert_eq!((args.config_env.as_str(), args.dry_run), ("default", false));
        let Task::DeployWeb(args) = task("deploy-web --config-env dev --dry-run") else { panic!() };
        assert_eq!((args.config_env.as_str(), args.dry_run), ("dev", true));
        assert!(parse("deploy-web --force").is_err());
    }

    #[test]
    fn bench_options_and_their_defaults() {
        let Task::Bench(args) = task("bench") else { panic!() };
        let options = crate::bench::Options::from(args);
        assert_eq!((options.runs, options.invocations, options.package), (20, 1000, true));
        assert_eq!((options.profile.as_str(), options.only), ("release", None));
        let Task::Bench(args) =
            task("bench --runs 5 --invocations 10 --no-package --profile profiling --only auth,documents")
        else {
            panic!()
        };
        let options = crate::bench::Options::from(args);
        assert_eq!((options.runs, options.invocations, options.package), (5, 10, false));
        assert_eq!(options.profile, "profiling");
        assert_eq!(options.only, Some(vec!["auth".to_owned(), "documents".to_owned()]));
        assert!(parse("bench --runs many").is_err() && parse("bench --profile").is_err());
        let Task::Bench(args) = task("bench") else { panic!() };
        let options = crate::bench::Options::from(args);
        assert_eq!((options.growth, options.max), (false, None));
        let Task::Bench(args) = task("bench --growth --max 1000") else { panic!() };
        let options = crate::bench::Options::from(args);
        assert_eq!((options.growth, options.max, options.dimensions), (true, Some(1000), None));
        let Task::Bench(args) = task("bench --growth --dimension shared-documents,companies") else { panic!() };
        let dimensions = crate::bench::Options::from(args).dimensions;
        assert_eq!(dimensions, Some(vec!["shared-documents".to_owned(), "companies".to_owned()]));
        assert!(parse("bench --dimension companies").is_err(), "--dimension is the growth benchmark's");
        assert!(parse("bench --max 1000").is_err(), "--max is the growth benchmark's");
        assert!(parse("bench --growth --max 5").is_err() && parse("bench --growth --max 1000000").is_err());
    }

    #[test]
    fn soak_options_their_defaults_and_ranges() {
        let Task::Soak(args) = task("soak") else { panic!() };
        let options = crate::load::Options::from(args);
        assert_eq!((options.clients, options.requests, options.seconds), (50, 200, 900));
        assert_eq!(options.seed, crate::load::Options::new(1, 1, 1).seed);
        assert_eq!(options.progress, Some(std::time::Duration::from_secs(30)));
        let Task::Soak(args) = task("soak --clients 0 --requests 99999 --seconds 5000 --seed 7") else { panic!() };
        let options = crate::load::Options::from(args);
        assert_eq!((options.clients, options.requests, options.seconds, options.seed), (1, 10_000, 3600, 7));
        assert!(parse("soak --clients -1").is_err() && parse("soak --speed 3").is_err());
    }

    #[test]
    fn smoke_takes_a_url_and_optional_credentials() {
        let Task::Smoke(args) = task("smoke --url https://portal.example.com") else { panic!() };
        assert_eq!(args.url, "https://portal.example.com");
        assert!(args.admin_email.is_none() && args.admin_password.is_none() && args.settle_seconds.is_none());
        let Task::Smoke(args) = task(
            "smoke --url http://127.0.0.1:3000 --admin-email admin@acme.example --admin-password -Demo-Passw0rd! \
             --settle-seconds 30",
        ) else {
            panic!()
        };
        assert_eq!(args.admin_email.as_deref(), Some("admin@acme.example"));
        assert_eq!(args.admin_password.as_deref(), Some("-Demo-Passw0rd!"), "a password may start with a dash");
        assert_eq!(args.settle_seconds, Some(30));
        assert!(parse("smoke").is_err(), "--url is required");
        // A stray value is kept for `smoke::command` to refuse without echoing it.
        let Task::Smoke(args) = task("smoke --url https://portal.example.com hunter2") else { panic!() };
        assert_eq!(args.stray, ["hunter2"]);
    }

    /// Every `cargo xtask` line README.md, docs/ and .ci/run show, as they show it.
    #[test]
    fn the_documented_invocations_parse() {
        for line in [
            "dev",
            "test",
            "test -- -p portal-tests slice",
            "test -- -p portal-tests --test e2e fuzz",
            "test --backend localstack",
            "package",
            "package --config-env dev",
            "bench",
            "bench --profile profiling",
            "bench --runs 20 --invocations 1000",
            "bench --growth",
            "bench --growth --max 1000",
            "soak",
            "soak --clients 50 --requests 200 --seconds 900 --seed 1",
            "cost",
            "cost --write",
            "deploy-web",
            "deploy-web --config-env dev",
            "deploy-web --config-env dev --dry-run",
            "smoke --url https://portal.example.com",
            "smoke --url http://127.0.0.1:3000 --admin-email admin@acme.example --admin-password Demo-Passw0rd!",
            "tenant list --endpoint http://127.0.0.1:40229",
            "tenant list --config-env prod",
            "tenant show acme --config-env prod",
            "tenant suspend acme --config-env prod",
            "tenant resume acme --config-env prod",
            "tenant delete acme --config-env prod --dry-run",
            "tenant delete acme --config-env prod --yes-i-typed-the-slug acme",
            "tenant invite-code --config-env dev",
            "tenant invite-code --config-env prod --count 3 --valid-days 14",
            "tenant create --config-env dev --name Acme --slug acme --admin-email ana@acme.example",
        ] {
            let parsed = parse(line).unwrap_or_else(|e| panic!("cargo xtask {line}: {e}"));
            if let Task::Tenant(args) = parsed.task {
                // The domain conversion cannot fail once clap has accepted the line.
                let _ = crate::tenant::args::Invocation::from(args);
            }
        }
    }
}

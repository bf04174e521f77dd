//! `cargo xtask tenant …` arguments (clap), parsed into domain types: a bad slug or email
//! is refused here, before any AWS call.

use anyhow::Result;
use clap::{Parser, Subcommand};
use portal_shared::domain::{DisplayName, Email, Slug, TenantId};

/// How `--config-env` and `--endpoint` pick a stack, after the commands' list.
const TARGETS: &str = "Deployed stack: --config-env picks the samconfig.toml environment (default: default); names come
from its CloudFormation outputs, credentials from the AWS SDK's default chain.
Local stack: --endpoint http://127.0.0.1:PORT of the emulator, --prefix the stack's name prefix
(default: portal, what `cargo xtask dev` provisions).";

/// `cargo xtask tenant`: the command line as clap reads it. The target options are global:
/// they may come before or after the subcommand and its arguments.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "tenant",
    bin_name = "cargo xtask tenant",
    about = "The operator's commands for companies, on a deployed or a local stack (docs/operations.md)",
    after_help = TARGETS,
    arg_required_else_help = true
)]
pub struct TenantArgs {
    /// A deployed stack: the samconfig.toml environment (default, dev, prod) [default: default]
    #[arg(long, global = true, value_name = "ENV", conflicts_with = "endpoint")]
    pub config_env: Option<String>,
    /// A local stack: the emulator's endpoint, http://127.0.0.1:PORT
    #[arg(long, global = true, value_name = "URL", value_parser = local_endpoint)]
    pub endpoint: Option<String>,
    /// The local stack's resource-name prefix [default: portal]
    #[arg(long, global = true, value_name = "NAME", requires = "endpoint")]
    pub prefix: Option<String>,
    #[command(subcommand)]
    pub command: TenantCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TenantCommand {
    /// An active company and its first admin (Cognito emails them a temporary password)
    Create {
        #[arg(long)]
        name: DisplayName,
        #[arg(long)]
        slug: Slug,
        #[arg(long)]
        admin_email: Email,
        #[arg(long)]
        admin_name: Option<DisplayName>,
    },
    /// Every company, with its status and counts
    List,
    /// One company in detail
    Show {
        #[arg(value_name = "SLUG|TENANT-ID")]
        company: CompanyRef,
    },
    /// Refuses the company's staff and customers from their next request
    Suspend { slug: Slug },
    /// Makes a suspended company active again
    Resume { slug: Slug },
    /// Erases a company for good (asks for its slug unless given or --dry-run)
    Delete {
        #[arg(value_name = "SLUG|TENANT-ID")]
        company: CompanyRef,
        /// Lists what would be deleted; changes nothing
        #[arg(long)]
        dry_run: bool,
        /// The company's slug, typed in advance (for scripts)
        #[arg(long, value_name = "SLUG")]
        yes_i_typed_the_slug: Option<String>,
    },
    /// Writes the staff search entries of the company's contacts and documents (idempotent)
    Reindex {
        #[arg(value_name = "SLUG|TENANT-ID")]
        company: CompanyRef,
    },
    /// One-time codes for CompanySignUp = invite-code
    InviteCode {
        /// How many codes (1 to 100)
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        count: u32,
        /// Days each code stays valid (until used, when not given)
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
        valid_days: Option<u32>,
    },
}

/// An emulator on this machine; AWS itself is reached with `--config-env`.
fn local_endpoint(endpoint: &str) -> Result<String, String> {
    if endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:") {
        Ok(endpoint.to_owned())
    } else {
        Err("must be a local emulator (http://127.0.0.1:PORT); use --config-env for AWS".to_owned())
    }
}

/// Which stack the command works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A deployed stack, by its `samconfig.toml` environment.
    Deployed { config_env: String },
    /// A local stack on an emulator: its endpoint and resource-name prefix.
    Local { endpoint: String, prefix: String },
}

/// A company named on the command line: by its portal slug or its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompanyRef {
    Slug(Slug),
    Id(TenantId),
}

impl std::str::FromStr for CompanyRef {
    type Err = anyhow::Error;
    fn from_str(text: &str) -> Result<Self> {
        // A UUID is read as a tenant id (a slug spelled like a UUID is named by its id).
        if let Ok(id) = text.parse::<TenantId>() {
            return Ok(Self::Id(id));
        }
        Ok(Self::Slug(text.parse().map_err(|e| anyhow::anyhow!("{text:?} is neither a slug nor a tenant id: {e}"))?))
    }
}

impl std::fmt::Display for CompanyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Slug(slug) => write!(f, "{slug}"),
            Self::Id(id) => write!(f, "{id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Create {
        name: DisplayName,
        slug: Slug,
        admin_email: Email,
        admin_name: Option<DisplayName>,
    },
    List,
    Show {
        company: CompanyRef,
    },
    Suspend {
        slug: Slug,
    },
    Resume {
        slug: Slug,
    },
    /// `confirmation`: the slug typed with `--yes-i-typed-the-slug` (asked for on the
    /// terminal when absent, unless `dry_run`).
    Delete {
        company: CompanyRef,
        dry_run: bool,
        confirmation: Option<String>,
    },
    /// The staff search entries of a company's contacts and documents, written again.
    Reindex {
        company: CompanyRef,
    },
    /// One-time invite codes for company sign-up (`CompanySignUp = invite-code`): `count` of
    /// them (1 to 100), each working once, for `valid_days` days or until used.
    InviteCode {
        count: usize,
        valid_days: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub target: Target,
    pub command: Command,
}

impl From<TenantArgs> for Invocation {
    fn from(args: TenantArgs) -> Self {
        // clap has refused both targets at once, and a prefix without an endpoint.
        let target = match args.endpoint {
            Some(endpoint) => Target::Local { endpoint, prefix: args.prefix.unwrap_or_else(|| "portal".to_owned()) },
            None => Target::Deployed { config_env: args.config_env.unwrap_or_else(|| "default".to_owned()) },
        };
        let command = match args.command {
            TenantCommand::Create { name, slug, admin_email, admin_name } => {
                Command::Create { name, slug, admin_email, admin_name }
            }
            TenantCommand::List => Command::List,
            TenantCommand::Show { company } => Command::Show { company },
            TenantCommand::Suspend { slug } => Command::Suspend { slug },
            TenantCommand::Resume { slug } => Command::Resume { slug },
            TenantCommand::Delete { company, dry_run, yes_i_typed_the_slug } => {
                Command::Delete { company, dry_run, confirmation: yes_i_typed_the_slug }
            }
            TenantCommand::Reindex { company } => Command::Reindex { company },
            TenantCommand::InviteCode { count, valid_days } => {
                Command::InviteCode { count: count as usize, valid_days }
            }
        };
        Invocation { target, command }
    }
}

/// Parses the arguments after `tenant` (what the tests call with an operator's line).
/// Target options may appear anywhere.
pub fn parse(args: &[String]) -> Result<Invocation> {
    let args = TenantArgs::try_parse_from(std::iter::once("tenant").chain(args.iter().map(String::as_str)))?;
    Ok(args.into())
}

/// Whether the typed confirmation names the company being deleted: exactly its slug
/// (surrounding whitespace from a terminal line ignored).
pub fn confirms(typed: &str, slug: &Slug) -> bool {
    typed.trim() == slug.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Invocation> {
        parse(&line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
    }

    fn parse_words(words: &[&str]) -> Result<Invocation> {
        parse(&words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        <TenantArgs as clap::CommandFactory>::command().debug_assert();
    }

    /// The invocations README.md and docs/operations.md show, word for word.
    #[test]
    fn the_documented_invocations_parse() {
        let created = parse_words(&[
            "create",
            "--config-env",
            "prod",
            "--name",
            "Acme Accounting",
            "--slug",
            "acme",
            "--admin-email",
            "ana@acme.example",
        ])
        .unwrap();
        assert_eq!(created.target, Target::Deployed { config_env: "prod".into() });
        let Command::Create { name, slug, admin_name: None, .. } = created.command else { panic!("{created:?}") };
        assert_eq!((name.as_str(), slug.as_str()), ("Acme Accounting", "acme"));
        let acme = || CompanyRef::Slug("acme".parse().unwrap());
        for (line, command) in [
            ("list --config-env prod", Command::List),
            ("show acme --config-env prod", Command::Show { company: acme() }),
            ("suspend acme --config-env prod", Command::Suspend { slug: "acme".parse().unwrap() }),
            ("reindex acme --config-env prod", Command::Reindex { company: CompanyRef::Slug("acme".parse().unwrap()) }),
            ("resume acme --config-env prod", Command::Resume { slug: "acme".parse().unwrap() }),
            (
                "delete acme --config-env prod --dry-run",
                Command::Delete { company: acme(), dry_run: true, confirmation: None },
            ),
            ("delete acme --config-env prod", Command::Delete { company: acme(), dry_run: false, confirmation: None }),
            (
                "delete acme --config-env prod --yes-i-typed-the-slug acme",
                Command::Delete { company: acme(), dry_run: false, confirmation: Some("acme".into()) },
            ),
            ("invite-code --config-env prod", Command::InviteCode { count: 1, valid_days: None }),
            (
                "invite-code --config-env prod --count 5 --valid-days 30",
                Command::InviteCode { count: 5, valid_days: Some(30) },
            ),
        ] {
            let parsed = parse_line(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(
                parsed,
                Invocation { target: Target::Deployed { config_env: "prod".into() }, command },
                "{line}"
            );
        }
        assert_eq!(
            parse_line("invite-code --config-env dev").unwrap().target,
            Target::Deployed { config_env: "dev".into() }
        );
        assert_eq!(
            parse_line("list --endpoint http://127.0.0.1:40229").unwrap(),
            Invocation {
                target: Target::Local { endpoint: "http://127.0.0.1:40229".into(), prefix: "portal".into() },
                command: Command::List
            }
        );
        // The target may also come first, before the subcommand.
        assert_eq!(
            parse_line("--endpoint http://127.0.0.1:5000 --prefix t1 show acme").unwrap(),
            Invocation {
                target: Target::Local { endpoint: "http://127.0.0.1:5000".into(), prefix: "t1".into() },
                command: Command::Show { company: acme() }
            }
        );
    }

    #[test]
    fn help_is_asked_for_or_shown_when_no_command_is_given() {
        use clap::error::ErrorKind;
        let kind = |line: &str| TenantArgs::try_parse_from(line.split_whitespace()).unwrap_err().kind();
        // `cargo xtask tenant help` and `--help` print the usage (exit 0), a bare `tenant` too (exit 2).
        assert_eq!(kind("tenant help"), ErrorKind::DisplayHelp);
        assert_eq!(kind("tenant --help"), ErrorKind::DisplayHelp);
        assert_eq!(kind("tenant"), ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand);
        let help = <TenantArgs as clap::CommandFactory>::command().render_long_help().to_string();
        for word in [
            "create",
            "list",
            "show",
            "suspend",
            "resume",
            "delete",
            "invite-code",
            "--config-env",
            "--endpoint",
            "--prefix",
        ] {
            assert!(help.contains(word), "{word} missing from\n{help}");
        }
    }

    #[test]
    fn create_takes_typed_values_and_the_deployed_default() {
        let parsed =
            parse_line("create --name Acme --slug acme --admin-email Ana@Acme.example --admin-name Ana").unwrap();
        assert_eq!(parsed.target, Target::Deployed { config_env: "default".into() });
        let Command::Create { name, slug, admin_email, admin_name } = parsed.command else { panic!("{parsed:?}") };
        assert_eq!((name.as_str(), slug.as_str(), admin_email.as_str()), ("Acme", "acme", "ana@acme.example"));
        assert_eq!(admin_name.unwrap().as_str(), "Ana");
        assert!(parse_line("create --name Acme --slug acme").is_err(), "no admin email");
        assert!(parse_line("create --name Acme --slug Not_A_Slug --admin-email a@b.example").is_err());
        assert!(parse_line("create --name Acme --slug acme --admin-email not-an-email").is_err());
        assert!(parse_line("create --name Acme --slug acme --admin-email a@b.example --colour red").is_err());
    }

    #[test]
    fn the_target_is_a_config_env_or_a_local_endpoint_never_both() {
        assert_eq!(
            parse_line("list --config-env prod").unwrap().target,
            Target::Deployed { config_env: "prod".into() }
        );
        assert_eq!(
            parse_line("list --endpoint http://127.0.0.1:5000").unwrap().target,
            Target::Local { endpoint: "http://127.0.0.1:5000".into(), prefix: "portal".into() }
        );
        assert_eq!(
            parse_line("list --endpoint http://127.0.0.1:5000 --prefix t1").unwrap().target,
            Target::Local { endpoint: "http://127.0.0.1:5000".into(), prefix: "t1".into() }
        );
        assert!(parse_line("list --endpoint http://127.0.0.1:5000 --config-env dev").is_err());
        assert!(parse_line("list --prefix t1").is_err());
        assert!(parse_line("list --endpoint https://dynamodb.us-east-1.amazonaws.com").is_err());
        assert!(parse_line("list extra").is_err());
        assert!(parse_line("").is_err());
        assert!(parse_line("rename acme").is_err());
    }

    #[test]
    fn companies_are_named_by_slug_or_id() {
        let id = TenantId::new();
        assert_eq!(parse_line(&format!("show {id}")).unwrap().command, Command::Show { company: CompanyRef::Id(id) });
        assert_eq!(
            parse_line("show acme").unwrap().command,
            Command::Show { company: CompanyRef::Slug("acme".parse().unwrap()) }
        );
        assert!(parse_line("show").is_err());
        assert!(parse_line("show a b").is_err());
        assert!(parse_line("suspend ACME!").is_err());
        assert_eq!(parse_line("resume acme").unwrap().command, Command::Resume { slug: "acme".parse().unwrap() });
    }

    #[test]
    fn delete_takes_a_dry_run_and_a_typed_confirmation() {
        assert_eq!(
            parse_line("delete acme --dry-run").unwrap().command,
            Command::Delete { company: CompanyRef::Slug("acme".parse().unwrap()), dry_run: true, confirmation: None }
        );
        assert_eq!(
            parse_line("delete --yes-i-typed-the-slug acme acme").unwrap().command,
            Command::Delete {
                company: CompanyRef::Slug("acme".parse().unwrap()),
                dry_run: false,
                confirmation: Some("acme".into())
            }
        );
        assert!(parse_line("delete").is_err());
        assert!(parse_line("delete acme --force").is_err());
        assert!(parse_line("delete acme --yes-i-typed-the-slug").is_err());
        assert!(parse_line("delete acme other").is_err());
        let slug: Slug = "acme".parse().unwrap();
        assert!(confirms("acme\n", &slug));
        assert!(!confirms("acm", &slug) && !confirms("ACME", &slug) && !confirms("", &slug));
    }

    #[test]
    fn invite_codes_take_a_count_and_a_validity() {
        let parsed = parse_line("invite-code --count 3 --config-env prod --valid-days 14").unwrap();
        assert_eq!(parsed.target, Target::Deployed { config_env: "prod".into() });
        assert_eq!(parsed.command, Command::InviteCode { count: 3, valid_days: Some(14) });
        assert_eq!(parse_line("invite-code").unwrap().command, Command::InviteCode { count: 1, valid_days: None });
        for bad in [
            "invite-code --count 0",
            "invite-code --count 101",
            "invite-code --count x",
            "invite-code --valid-days",
            "invite-code issue",
        ] {
            assert!(parse_line(bad).is_err(), "{bad}");
        }
    }
}

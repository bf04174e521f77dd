//! `cargo xtask tenant …` arguments, parsed into domain types (a bad slug or email is refused
//! here, before any AWS call). Hand-written like the rest of `xtask/src/main.rs`: seven
//! subcommands with a few flags each do not need a parsing crate.

use anyhow::{Context, Result, bail};
use portal_shared::domain::{DisplayName, Email, Slug, TenantId};

pub const USAGE: &str =
    "usage: cargo xtask tenant <command> [--config-env default|dev|prod | --endpoint URL [--prefix NAME]]
  create --name NAME --slug SLUG --admin-email EMAIL [--admin-name NAME]
  list
  show <slug|tenant-id>
  suspend <slug>
  resume <slug>
  delete <slug|tenant-id> [--dry-run] [--yes-i-typed-the-slug SLUG]
  invite-code [--count N] [--valid-days DAYS]   (one-time codes for CompanySignUp = invite-code)
Deployed stack: --config-env picks the samconfig.toml environment (default: default); names come
from its CloudFormation outputs, credentials from the AWS SDK's default chain.
Local stack: --endpoint http://127.0.0.1:PORT of the emulator, --prefix the stack's name prefix
(default: portal, what `cargo xtask dev` provisions).";

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

/// Parses the arguments after `tenant`. Target options may appear anywhere.
pub fn parse(args: &[String]) -> Result<Invocation> {
    let Some((subcommand, tail)) = args.split_first() else { bail!("a command is required\n{USAGE}") };
    let (target, rest) = split_target(tail)?;
    let command = match subcommand.as_str() {
        "create" => create(&rest)?,
        "list" => {
            no_more(&rest)?;
            Command::List
        }
        "show" => Command::Show { company: one(&rest, "show <slug|tenant-id>")?.parse()? },
        "suspend" => Command::Suspend { slug: slug(one(&rest, "suspend <slug>")?)? },
        "resume" => Command::Resume { slug: slug(one(&rest, "resume <slug>")?)? },
        "delete" => delete(&rest)?,
        "invite-code" => invite_code(&rest)?,
        other => bail!("unknown tenant command {other:?}\n{USAGE}"),
    };
    Ok(Invocation { target, command })
}

fn split_target(args: &[String]) -> Result<(Target, Vec<String>)> {
    let (mut config_env, mut endpoint, mut prefix, mut rest) = (None, None, None, Vec::new());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().cloned().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--config-env" => config_env = Some(value("--config-env")?),
            "--endpoint" => endpoint = Some(value("--endpoint")?),
            "--prefix" => prefix = Some(value("--prefix")?),
            _ => rest.push(arg.clone()),
        }
    }
    Ok((target(config_env, endpoint, prefix)?, rest))
}

fn target(config_env: Option<String>, endpoint: Option<String>, prefix: Option<String>) -> Result<Target> {
    match (config_env, endpoint) {
        (Some(_), Some(_)) => bail!("--config-env (a deployed stack) and --endpoint (a local one) exclude each other"),
        (config_env, None) => {
            if prefix.is_some() {
                bail!("--prefix names a local stack's resources: it needs --endpoint");
            }
            Ok(Target::Deployed { config_env: config_env.unwrap_or_else(|| "default".to_owned()) })
        }
        (None, Some(endpoint)) => {
            let local = endpoint.starts_with("http://127.0.0.1:") || endpoint.starts_with("http://localhost:");
            if !local {
                bail!("--endpoint must be a local emulator (http://127.0.0.1:PORT); use --config-env for AWS");
            }
            Ok(Target::Local { endpoint, prefix: prefix.unwrap_or_else(|| "portal".to_owned()) })
        }
    }
}

fn create(args: &[String]) -> Result<Command> {
    let (mut name, mut slug_text, mut email, mut admin_name) = (None, None, None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().cloned().with_context(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--name" => name = Some(value("--name")?),
            "--slug" => slug_text = Some(value("--slug")?),
            "--admin-email" => email = Some(value("--admin-email")?),
            "--admin-name" => admin_name = Some(value("--admin-name")?),
            other => bail!("create: unexpected argument {other:?}\n{USAGE}"),
        }
    }
    let name = name.context("create needs --name")?;
    Ok(Command::Create {
        name: name.parse().map_err(|e| anyhow::anyhow!("--name: {e}"))?,
        slug: slug(&slug_text.context("create needs --slug")?)?,
        admin_email: email
            .context("create needs --admin-email")?
            .parse()
            .map_err(|e| anyhow::anyhow!("--admin-email: {e}"))?,
        admin_name: admin_name.map(|n| n.parse().map_err(|e| anyhow::anyhow!("--admin-name: {e}"))).transpose()?,
    })
}

fn delete(args: &[String]) -> Result<Command> {
    let (mut company, mut dry_run, mut confirmation) = (None, false, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dry-run" => dry_run = true,
            "--yes-i-typed-the-slug" => {
                confirmation = Some(args.next().cloned().context("--yes-i-typed-the-slug needs the slug")?);
            }
            flag if flag.starts_with("--") => bail!("delete: unknown option {flag}\n{USAGE}"),
            text if company.is_none() => company = Some(text.parse::<CompanyRef>()?),
            extra => bail!("delete: unexpected argument {extra:?}\n{USAGE}"),
        }
    }
    Ok(Command::Delete { company: company.context("delete <slug|tenant-id>")?, dry_run, confirmation })
}

fn invite_code(args: &[String]) -> Result<Command> {
    let (mut count, mut valid_days) = (1, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Result<u32> {
            args.next()
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .with_context(|| format!("{flag} needs a positive number"))
        };
        match arg.as_str() {
            "--count" => count = number("--count")? as usize,
            "--valid-days" => valid_days = Some(number("--valid-days")?),
            other => bail!("invite-code: unexpected argument {other:?}\n{USAGE}"),
        }
    }
    if count > 100 {
        bail!("invite-code: at most 100 codes at once");
    }
    Ok(Command::InviteCode { count, valid_days })
}

fn slug(text: &str) -> Result<Slug> {
    text.parse().map_err(|e| anyhow::anyhow!("{text:?} is not a portal slug: {e}"))
}

fn one<'a>(args: &'a [String], usage: &str) -> Result<&'a str> {
    match args {
        [one] if !one.starts_with("--") => Ok(one),
        _ => bail!("usage: cargo xtask tenant {usage}"),
    }
}

fn no_more(args: &[String]) -> Result<()> {
    match args.first() {
        Some(extra) => bail!("unexpected argument {extra:?}\n{USAGE}"),
        None => Ok(()),
    }
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

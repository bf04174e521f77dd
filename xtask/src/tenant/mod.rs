//! `cargo xtask tenant …`: the operator's commands for companies, on a deployed stack or a
//! local one (the same code; the tests run it against the emulator). See
//! `docs/operations.md`.
//!
//! - `args`: the command line, parsed into domain types;
//! - this module: the stack's names and clients ([`Operator`]), create, suspend, resume;
//! - `census`: what `list` and `show` count;
//! - `erase`: `delete`, what it finds and in which order it removes it;
//! - `reindex`: the staff search entries of a company's contacts and documents.

pub mod args;
pub mod census;
pub mod erase;
pub mod reindex;

use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use portal_shared::domain::{DisplayName, Email, Role, Slug, TenantId, TenantStatus};
use portal_shared::model::Tenant;
use portal_shared::store::Store;
use portal_shared::store::{Clash, StoreError};
use time::OffsetDateTime;

use self::args::{Command, CompanyRef, Invocation, Target};
use crate::provision::Stack;

/// The names and ids of one stack's resources that the operator commands use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub table: String,
    pub bucket: String,
    pub staff_pool_id: String,
    pub customer_pool_id: String,
}

/// A stack to operate on: its resources and SDK clients.
pub struct Operator {
    pub sdk: SdkConfig,
    pub resources: Resources,
    pub store: Store,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
}

impl Operator {
    pub fn new(sdk: SdkConfig, resources: Resources) -> Self {
        let dynamodb = portal_shared::aws::dynamodb_client(&sdk);
        Self {
            store: Store::new(dynamodb.clone(), &resources.table),
            dynamodb,
            s3: portal_shared::aws::s3_client(&sdk),
            cognito: portal_shared::aws::cognito_client(&sdk),
            sdk,
            resources,
        }
    }

    /// A local stack provisioned by xtask (the tests hand theirs over).
    pub async fn for_stack(stack: &Stack) -> Self {
        let resources = Resources {
            table: stack.table.clone(),
            bucket: stack.bucket.clone(),
            staff_pool_id: stack.staff_pool.id.clone(),
            customer_pool_id: stack.customer_pool.id.clone(),
        };
        Self::new(stack.sdk_config().await, resources)
    }

    pub async fn connect(target: &Target) -> Result<Self> {
        match target {
            Target::Deployed { config_env } => {
                // Names from the stack's outputs; credentials from the SDK's default chain.
                let outputs = crate::deploy::stack_outputs(config_env)?;
                let resources = Resources {
                    table: outputs.get("TableName")?,
                    bucket: outputs.get("DocumentsBucketName")?,
                    staff_pool_id: outputs.get("StaffUserPoolId")?,
                    customer_pool_id: outputs.get("CustomerUserPoolId")?,
                };
                let sdk =
                    aws_config::defaults(BehaviorVersion::latest()).region(Region::new(outputs.region)).load().await;
                Ok(Self::new(sdk, resources))
            }
            Target::Local { endpoint, prefix } => {
                // Names as `provision` makes them; the pools' ids found by their names.
                let sdk = crate::provision::sdk_config(endpoint).await;
                let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
                let mut pools = Vec::new();
                let mut next = None;
                for _ in 0..100 {
                    let page = cognito
                        .list_user_pools()
                        .max_results(60)
                        .set_next_token(next)
                        .send()
                        .await
                        .context("Cognito ListUserPools")?;
                    pools.extend(page.user_pools().iter().cloned());
                    next = page.next_token().map(str::to_owned);
                    if next.is_none() {
                        break;
                    }
                }
                let pool = |name: String| -> Result<String> {
                    pools
                        .iter()
                        .find(|p| p.name() == Some(name.as_str()))
                        .and_then(|p| p.id().map(str::to_owned))
                        .with_context(|| format!("no user pool {name} at {endpoint}"))
                };
                let resources = Resources {
                    table: format!("{prefix}-table"),
                    bucket: format!("{prefix}-documents"),
                    staff_pool_id: pool(format!("{prefix}-staff"))?,
                    customer_pool_id: pool(format!("{prefix}-customers"))?,
                };
                Ok(Self::new(sdk, resources))
            }
        }
    }

    /// The company a command names (an error when there is none).
    pub async fn company(&self, company: &CompanyRef) -> Result<Tenant> {
        let found = match company {
            CompanyRef::Slug(slug) => self.store.tenant_by_slug(slug).await?,
            CompanyRef::Id(id) => self.store.tenant(*id).await?,
        };
        found.with_context(|| format!("no company {company}"))
    }

    /// `create`: an active company and its first admin, invited exactly as an admin invites
    /// a colleague (the settings function's use case: Cognito emails a temporary password,
    /// and the first sign-in asks for a new one). If the invitation fails, the company is
    /// removed again, so the command can simply be run again.
    pub async fn create(
        &self,
        name: DisplayName,
        slug: Slug,
        admin_email: Email,
        admin_name: Option<DisplayName>,
    ) -> Result<(Tenant, portal_shared::identity::StaffMember)> {
        let tenant = Tenant {
            id: TenantId::new(),
            name,
            slug,
            accent_color: None,
            logo: None,
            notify_access_closed: false,
            status: TenantStatus::Active,
            created_at: OffsetDateTime::now_utc(),
        };
        match self.store.create_tenant(&tenant).await {
            Err(StoreError::Clash(Clash::SlugTaken)) => bail!("the portal slug {} is taken", tenant.slug),
            other => other?,
        }
        let invited = portal_shared::staff_accounts::invite(
            &self.cognito,
            &self.store,
            &self.resources.staff_pool_id,
            tenant.id,
            admin_email,
            Role::Admin,
            admin_name,
        );
        match invited.await {
            Ok(admin) => Ok((tenant, admin)),
            Err(err) => {
                erase::remove_profile_and_guard(self, &tenant).await?;
                Err(anyhow::Error::new(err).context("inviting the first admin (the company was removed again)"))
            }
        }
    }

    /// `suspend` and `resume`: the company's status, then the same status copied onto each
    /// of its staff memberships (what every staff request reads). Returns the memberships
    /// changed.
    pub async fn set_status(&self, slug: &Slug, status: TenantStatus) -> Result<(Tenant, usize)> {
        let tenant = self.company(&CompanyRef::Slug(slug.clone())).await?;
        match tenant.status {
            TenantStatus::Deleting => bail!("{slug} is being deleted: run `tenant delete {slug}` again to finish"),
            // Resuming must not make a company active that never was (its admin verifies it).
            TenantStatus::Unverified => bail!("{slug} is not verified yet: there is nothing to suspend or resume"),
            TenantStatus::Active | TenantStatus::Suspended => {}
        }
        let before = self.store.set_tenant_status(tenant.id, status).await?;
        let changed = self.copy_status_to_staff(tenant.id, status).await?;
        Ok((Tenant { status, ..before }, changed))
    }

    /// Copies `status` onto every membership of the company. The staff listing is an index
    /// query (eventually consistent), so a member invited in the instant before the
    /// company's own status changed may be missing from the first pass: a second pass, a
    /// moment later, catches them (later invitations are refused by the profile check in
    /// their transaction).
    ///
    /// Every listed membership is written, whatever status the listing shows: the index may
    /// still show the status of a suspension made a moment ago.
    pub async fn copy_status_to_staff(&self, tenant: TenantId, status: TenantStatus) -> Result<usize> {
        let mut written = std::collections::HashSet::new();
        for pass in 0..2 {
            if pass > 0 {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            for member in self.store.all_staff(tenant).await? {
                if !written.contains(&member.sub)
                    && self.store.set_membership_company_status(tenant, &member.sub, status).await?
                {
                    written.insert(member.sub);
                }
            }
        }
        Ok(written.len())
    }

    /// `invite-code`: `count` one-time sign-up codes, valid `valid_days` days (or until
    /// used). Only their hashes are stored; the plain codes exist only in what this returns.
    pub async fn invite_codes(&self, count: usize, valid_days: Option<u32>) -> Result<Vec<String>> {
        let valid_for = valid_days.map(|days| time::Duration::days(days.into()));
        let mut codes = Vec::with_capacity(count);
        for _ in 0..count {
            codes.push(portal_shared::signup::issue_invite_code(&self.store, valid_for).await?);
        }
        Ok(codes)
    }
}

/// `cargo xtask tenant …`.
pub async fn run(invocation: Invocation) -> Result<()> {
    let operator = Operator::connect(&invocation.target).await?;
    match invocation.command {
        Command::Create { name, slug, admin_email, admin_name } => {
            let (tenant, admin) = operator.create(name, slug, admin_email, admin_name).await?;
            println!("created {} ({}), id {}, status active", tenant.name, tenant.slug, tenant.id);
            println!(
                "invited {} as its admin: Cognito emails them a temporary password; the first sign-in asks for a new one",
                admin.email
            );
        }
        Command::List => {
            let all = census::all(&operator).await?;
            print!("{}", census::table(&all));
        }
        Command::Show { company } => {
            let tenant = operator.company(&company).await?;
            let detail = census::detail(&operator, tenant).await?;
            print!("{detail}");
        }
        Command::Suspend { slug } => {
            let (tenant, changed) = operator.set_status(&slug, TenantStatus::Suspended).await?;
            println!(
                "{} ({}) suspended: its staff and customers are refused (403 company-suspended) from their next request; {changed} staff memberships marked",
                tenant.name, tenant.slug
            );
        }
        Command::Resume { slug } => {
            let (tenant, changed) = operator.set_status(&slug, TenantStatus::Active).await?;
            println!("{} ({}) active again; {changed} staff memberships marked", tenant.name, tenant.slug);
        }
        Command::Delete { company, dry_run, confirmation } => {
            let found = erase::find(&operator, &company).await?;
            print!("{}", found.summary());
            if dry_run {
                println!("dry run: nothing was deleted");
                return Ok(());
            }
            let slug = found.slug.clone();
            let typed = match confirmation {
                Some(typed) => typed,
                None => prompt(&format!("Type the slug of the company to delete it for good ({slug}): "))?,
            };
            if !args::confirms(&typed, &slug) {
                bail!("the typed slug {:?} is not {slug}: nothing was deleted", typed.trim());
            }
            let done = erase::erase(&operator, found).await?;
            println!("{done}");
        }
        Command::Reindex { company } => {
            let tenant = operator.company(&company).await?;
            let done = reindex::reindex(&operator, tenant.id).await?;
            println!("{} ({}): {done}", tenant.name, tenant.slug);
        }
        Command::InviteCode { count, valid_days } => {
            for code in operator.invite_codes(count, valid_days).await? {
                println!("{code}");
            }
            let validity = valid_days.map_or("until used".to_owned(), |days| format!("for {days} days or until used"));
            eprintln!("{count} sign-up invite code(s), each working once, {validity}; only their hashes are stored");
        }
    }
    Ok(())
}

fn prompt(question: &str) -> Result<String> {
    use std::io::Write;
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the confirmation")?;
    Ok(line)
}

//! The configuration each function runs with locally: its `Environment` in
//! `infra/template.yaml` (the `Globals` and its own), every `!Ref` resolved for the local
//! stack, plus the few explicit, named local overrides ([`LocalOverrides`]). The local
//! gateway configures each function from exactly this (`configure(sdk, &env)`, the same
//! function Lambda runs with the process environment), so local and deployed read the same
//! names with the same defaults; nothing is wired by hand.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use portal_shared::config;
use serde_norway::Value;

use crate::provision::Stack;

/// Who may create a company locally (`cargo xtask dev` and the suite's gateway): anyone.
/// Deployed: the template's `CompanySignUp` (`closed` unless set).
pub const LOCAL_COMPANY_SIGNUP: &str = "open";

/// Shares to one contact within this many seconds make one email, locally (deployed: the
/// template's `ShareEmailWindowSeconds`, two minutes), so the suite need not wait.
pub const LOCAL_SHARE_EMAIL_WINDOW_SECONDS: i64 = 2;

/// Writes above which a bulk change runs as a job, locally (deployed: the template's
/// `JobsSyncLimit`, 20), so the suite makes jobs from a few dozen shares.
pub const LOCAL_JOBS_SYNC_LIMIT: usize = 12;

/// Units of work per chunk of a job, locally (deployed: `JobsChunkSize`, 10), so a small
/// job runs in several chunks.
pub const LOCAL_JOBS_CHUNK_SIZE: usize = 4;

/// The template parameters given another value locally than their default, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOverrides {
    /// `CompanySignUp`: open | invite-code | closed.
    pub company_signup: String,
    /// `ShareEmailWindowSeconds`.
    pub share_email_window_seconds: i64,
    /// `JobsSyncLimit`.
    pub jobs_sync_limit: usize,
    /// `JobsChunkSize`.
    pub jobs_chunk_size: usize,
}

impl Default for LocalOverrides {
    fn default() -> Self {
        Self {
            company_signup: LOCAL_COMPANY_SIGNUP.to_owned(),
            share_email_window_seconds: LOCAL_SHARE_EMAIL_WINDOW_SECONDS,
            jobs_sync_limit: LOCAL_JOBS_SYNC_LIMIT,
            jobs_chunk_size: LOCAL_JOBS_CHUNK_SIZE,
        }
    }
}

/// The SAM template, parsed.
pub fn template() -> Result<Value> {
    let path = crate::paths::template_path();
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    serde_norway::from_str(&text).with_context(|| path.display().to_string())
}

/// The template's functions: crate name (`auth`, `object-events`, …; its binary is
/// `portal-<name>`) → the function's resource.
pub fn functions(template: &Value) -> Result<BTreeMap<String, &Value>> {
    let resources = template["Resources"].as_mapping().context("the template has no Resources")?;
    let mut functions = BTreeMap::new();
    for (_, resource) in resources.iter().filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function")) {
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().context("a function's Binary")?;
        let name = binary.strip_prefix("portal-").with_context(|| format!("binary {binary} is not portal-…"))?;
        functions.insert(name.to_owned(), resource);
    }
    Ok(functions)
}

/// The variables the template sets for `function`, as written (`Globals`, then its own).
pub fn declared<'t>(template: &'t Value, function: &str) -> Result<BTreeMap<String, &'t Value>> {
    let resource = *functions(template)?.get(function).with_context(|| format!("the template has no {function}"))?;
    let mut variables = BTreeMap::new();
    for section in [
        &template["Globals"]["Function"]["Environment"]["Variables"],
        &resource["Properties"]["Environment"]["Variables"],
    ] {
        for (name, value) in section.as_mapping().into_iter().flatten() {
            variables.insert(name.as_str().context("a variable name")?.to_owned(), value);
        }
    }
    Ok(variables)
}

/// What the template's `!Ref`s name on the local stack.
pub struct LocalStack<'a> {
    pub stack: &'a Stack,
    /// Where the local gateway serves the site (`DashboardOrigin` deployed).
    pub public_url: &'a str,
    pub overrides: LocalOverrides,
}

impl LocalStack<'_> {
    /// The value of `!Ref name`: a resource of the local stack, a parameter overridden
    /// locally, or else the parameter's default in the template.
    fn reference(&self, template: &Value, name: &str) -> Result<String> {
        let stack = self.stack;
        Ok(match name {
            "Table" => stack.table.clone(),
            "DocumentsBucket" => stack.bucket.clone(),
            "StaffUserPool" => stack.staff_pool.id.clone(),
            "StaffUserPoolClient" => stack.staff_pool.client_id.clone(),
            "CustomerUserPool" => stack.customer_pool.id.clone(),
            "CustomerUserPoolClient" => stack.customer_pool.client_id.clone(),
            // An SQS queue's `Ref` is its URL.
            "NotificationsQueue" => stack.notifications_queue_url.clone(),
            "JobsQueue" => stack.jobs_queue_url.clone(),
            "SenderEmail" => stack.sender.clone(),
            "DashboardOrigin" => self.public_url.to_owned(),
            "CompanySignUp" => self.overrides.company_signup.clone(),
            "ShareEmailWindowSeconds" => self.overrides.share_email_window_seconds.to_string(),
            "JobsSyncLimit" => self.overrides.jobs_sync_limit.to_string(),
            "JobsChunkSize" => self.overrides.jobs_chunk_size.to_string(),
            parameter => match &template["Parameters"][parameter]["Default"] {
                Value::Null => bail!("!Ref {parameter}: no local value (add it to function_env::LocalStack)"),
                default => scalar(default).with_context(|| format!("the default of {parameter}"))?,
            },
        })
    }

    /// The environment `function` gets locally: the template's variables for it, resolved,
    /// without the process-wide ones (logs, metrics: the gateway process has its own).
    pub fn environment(&self, template: &Value, function: &str) -> Result<BTreeMap<String, String>> {
        let mut environment = BTreeMap::new();
        for (name, value) in declared(template, function)? {
            if config::PROCESS_WIDE.contains(&name.as_str()) {
                continue;
            }
            let resolved = match value {
                Value::Tagged(tagged) if tagged.tag == "Ref" => {
                    let target = tagged.value.as_str().with_context(|| format!("{function}: {name}: !Ref what"))?;
                    self.reference(template, target).with_context(|| format!("{function}: {name}"))?
                }
                other => scalar(other).with_context(|| format!("{function}: {name}"))?,
            };
            environment.insert(name, resolved);
        }
        Ok(environment)
    }
}

fn scalar(value: &Value) -> Result<String> {
    Ok(match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => bail!("{other:?} is not a value this resolver knows"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every optional name's default is defined once, in `portal_shared::config`: the
    /// template's parameter behind the variable has that same default, so the deployed
    /// function (given the parameter) and the code (given nothing) agree.
    #[test]
    fn the_template_parameter_defaults_are_the_codes_defaults() {
        let template = template().unwrap();
        let mut compared = 0;
        for (name, default) in config::defaults() {
            if config::NOT_IN_TEMPLATE.contains(&name) {
                for function in functions(&template).unwrap().keys() {
                    assert!(!declared(&template, function).unwrap().contains_key(name), "{function} sets {name}");
                }
                continue;
            }
            for function in functions(&template).unwrap().keys() {
                let Some(Value::Tagged(reference)) = declared(&template, function).unwrap().get(name).copied() else {
                    continue;
                };
                let parameter = reference.value.as_str().unwrap();
                let template_default = scalar(&template["Parameters"][parameter]["Default"]).unwrap();
                assert_eq!(template_default, default, "{function}: {name} (!Ref {parameter})");
                compared += 1;
            }
        }
        assert!(compared >= 5, "only {compared} defaults compared");
    }

    /// The local resolution knows every `!Ref` of every function's environment.
    #[test]
    fn every_functions_environment_resolves_for_a_local_stack() {
        let template = template().unwrap();
        let pool = |id: &str| crate::provision::Pool {
            id: format!("{id}-pool"),
            client_id: format!("{id}-client"),
            issuer: String::new(),
            jwks_url: String::new(),
        };
        let stack = Stack {
            endpoint: "http://127.0.0.1:1".into(),
            region: crate::provision::REGION.into(),
            table: "table".into(),
            bucket: "bucket".into(),
            queue_url: "q".into(),
            queue_arn: "q-arn".into(),
            dead_letter_queue_url: "dlq".into(),
            notifications_queue_url: "notifications-q".into(),
            notifications_queue_arn: "notifications-arn".into(),
            notifications_dead_letter_queue_url: "notifications-dlq".into(),
            jobs_queue_url: "jobs-q".into(),
            jobs_queue_arn: "jobs-arn".into(),
            jobs_dead_letter_queue_url: "jobs-dlq".into(),
            staff_pool: pool("staff"),
            customer_pool: pool("customer"),
            sender: "sender@example.com".into(),
        };
        let local =
            LocalStack { stack: &stack, public_url: "http://127.0.0.1:3000", overrides: LocalOverrides::default() };
        let functions = functions(&template).unwrap();
        assert_eq!(functions.len(), crate::deploy::FUNCTION_PACKAGES.len());
        for function in functions.keys() {
            let env = local.environment(&template, function).unwrap();
            assert!(!env.contains_key(config::STACK_NAME), "{function}");
            assert_eq!(env.get(config::TABLE_NAME).map(String::as_str), Some("table"), "{function}");
        }
        let sharing = local.environment(&template, "sharing").unwrap();
        assert_eq!(sharing[config::NOTIFICATIONS_QUEUE_URL], "notifications-q");
        assert_eq!(sharing[config::SHARE_EMAIL_WINDOW_SECONDS], LOCAL_SHARE_EMAIL_WINDOW_SECONDS.to_string());
        assert_eq!(sharing[config::PUBLIC_URL], "http://127.0.0.1:3000");
        assert_eq!(sharing[config::JOBS_QUEUE_URL], "jobs-q");
        assert_eq!(sharing[config::JOBS_SYNC_LIMIT], LOCAL_JOBS_SYNC_LIMIT.to_string());
        let jobs = local.environment(&template, "jobs").unwrap();
        assert_eq!(jobs[config::JOBS_CHUNK_SIZE], LOCAL_JOBS_CHUNK_SIZE.to_string());
        let customer = local.environment(&template, "customer").unwrap();
        assert_eq!(customer[config::MAX_UPLOAD_BYTES], config::TransferLimits::default().max_upload_bytes.to_string());
        let registration = local.environment(&template, "registration").unwrap();
        assert_eq!(registration[portal_shared::signup::COMPANY_SIGNUP], LOCAL_COMPANY_SIGNUP);
    }
}

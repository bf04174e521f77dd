//! `cargo xtask cost`: the cost model on paper. Requests per user action (each action's
//! routes, their AWS requests read from the "AWS requests per route" table of
//! `docs/performance.md`, plus what happens outside a route) × public AWS prices, for 1, 100
//! and 10,000 companies with the usage profile of `docs/cost-model.toml`. The markdown it
//! prints is the "Cost per tenant" section's table; `--write` puts it there.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use serde::Deserialize;

use crate::paths::repo_root;

/// The company counts the model is computed for.
pub const COMPANIES: [u64; 3] = [1, 100, 10_000];

const RESULTS_START: &str = "<!-- cost:results:start -->";
const RESULTS_END: &str = "<!-- cost:results:end -->";
const SECONDS_PER_MONTH: f64 = 30.0 * 24.0 * 3600.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub region: String,
    pub prices: BTreeMap<String, Price>,
    pub cognito: Cognito,
    pub lambda: Lambda,
    pub fixed: Fixed,
    pub profile: BTreeMap<String, f64>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub usd: f64,
    /// `usd` is the price of this many units.
    pub per: f64,
    pub unit: String,
    #[serde(default)]
    pub free_per_month: f64,
    pub source: String,
    pub read: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cognito {
    pub source: String,
    pub read: String,
    /// Monthly active users free each month, shared by the plans marked `free`.
    pub free_mau: f64,
    pub plans: BTreeMap<String, Plan>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub free: bool,
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub up_to: f64,
    pub usd: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lambda {
    pub memory_mb: f64,
    pub base_ms: f64,
    pub ms_per_aws_request: f64,
    pub cold_start_share: f64,
    pub init_ms: f64,
    pub log_bytes_per_invocation: f64,
    pub traces_reservoir_per_second: f64,
    pub traces_rate: f64,
    /// AWS requests of one event-function invocation (object-events, notifications).
    pub aws_requests_per_event: f64,
    /// What CloudFront sends back per API answer and per static file, KB.
    pub kb_per_api_response: f64,
    pub kb_per_static_request: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixed {
    pub alarms: f64,
    pub sqs_polling_requests_per_month: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub name: String,
    /// The profile field the count is a multiple of.
    pub per: String,
    pub times: f64,
    pub routes: Vec<String>,
    #[serde(default)]
    pub read_units: f64,
    #[serde(default)]
    pub write_units: f64,
    #[serde(default)]
    pub s3_puts: f64,
    #[serde(default)]
    pub s3_gets: f64,
    #[serde(default)]
    pub egress_documents: f64,
    #[serde(default)]
    pub stored_documents: f64,
    #[serde(default)]
    pub events: f64,
    #[serde(default)]
    pub sqs: f64,
    #[serde(default)]
    pub emails: f64,
    #[serde(default)]
    pub static_requests: f64,
}

/// One route's AWS requests per invocation, from the docs' table.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RouteRequests {
    pub dynamodb: f64,
    pub s3: f64,
    pub cognito: f64,
    pub ses: f64,
    pub sqs: f64,
}

impl RouteRequests {
    fn total(&self) -> f64 {
        self.dynamodb + self.s3 + self.cognito + self.ses + self.sqs
    }
}

/// The "| Route | DynamoDB | S3 | Cognito | SES | SQS |" table of `markdown`, by header name
/// (other columns may come and go).
pub fn route_table(markdown: &str) -> Result<BTreeMap<String, RouteRequests>> {
    let mut lines = markdown.lines().skip_while(|l| !(l.starts_with("| Route |") && l.contains("| DynamoDB |")));
    let header = lines.next().context("docs/performance.md has no \"| Route | DynamoDB | …\" table")?;
    let cells = |line: &str| -> Vec<String> {
        line.trim().trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_owned()).collect()
    };
    let names = cells(header);
    let column = |name: &str| names.iter().position(|n| n == name).with_context(|| format!("no {name} column"));
    let (dynamodb, s3, cognito, ses, sqs) =
        (column("DynamoDB")?, column("S3")?, column("Cognito")?, column("SES")?, column("SQS")?);
    let mut table = BTreeMap::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let row = cells(line);
        let number = |i: usize| -> Result<f64> {
            let text = row.get(i).with_context(|| format!("short row: {line}"))?;
            text.parse().with_context(|| format!("not a count: {text:?} in {line}"))
        };
        table.insert(
            row[0].clone(),
            RouteRequests {
                dynamodb: number(dynamodb)?,
                s3: number(s3)?,
                cognito: number(cognito)?,
                ses: number(ses)?,
                sqs: number(sqs)?,
            },
        );
    }
    ensure!(!table.is_empty(), "the AWS requests per route table is empty");
    Ok(table)
}

impl Model {
    pub fn parse(text: &str) -> Result<Self> {
        let model: Self = toml::from_str(text).context("docs/cost-model.toml")?;
        for action in &model.actions {
            ensure!(
                model.profile.contains_key(&action.per),
                "{}: `per = {:?}` is not a profile field",
                action.name,
                action.per
            );
        }
        for needed in PRICES {
            ensure!(model.prices.contains_key(*needed), "docs/cost-model.toml has no [prices.{needed}]");
        }
        Ok(model)
    }

    fn profile(&self, name: &str) -> f64 {
        self.profile.get(name).copied().unwrap_or(0.0)
    }

    /// How many times `action` happens in one company's month.
    pub fn monthly(&self, action: &Action) -> f64 {
        self.profile(&action.per) * action.times
    }
}

/// The price lines every model must have.
const PRICES: &[&str] = &[
    "lambda_requests",
    "lambda_gb_seconds",
    "http_api_requests",
    "cloudfront_requests",
    "cloudfront_egress_gb",
    "dynamodb_read_units",
    "dynamodb_write_units",
    "dynamodb_storage_gb",
    "dynamodb_backup_gb",
    "s3_put_requests",
    "s3_get_requests",
    "s3_storage_gb",
    "s3_egress_gb",
    "ses_emails",
    "sqs_requests",
    "log_ingestion_gb",
    "xray_traces",
    "alarms",
];

/// What one action costs in requests, per occurrence.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionRequests {
    pub invocations: f64,
    pub api_requests: f64,
    pub aws: RouteRequests,
    pub gb_seconds: f64,
}

pub fn action_requests(
    model: &Model,
    routes: &BTreeMap<String, RouteRequests>,
    action: &Action,
) -> Result<ActionRequests> {
    let lambda = &model.lambda;
    let billed_ms = |aws_requests: f64| lambda.base_ms + lambda.ms_per_aws_request * aws_requests;
    let mut out = ActionRequests::default();
    for route in &action.routes {
        let r = routes.get(route).with_context(|| {
            format!("{}: {route} is not in docs/performance.md's AWS requests per route", action.name)
        })?;
        out.invocations += 1.0;
        out.api_requests += 1.0;
        out.aws.dynamodb += r.dynamodb;
        out.aws.s3 += r.s3;
        out.aws.cognito += r.cognito;
        out.aws.ses += r.ses;
        out.aws.sqs += r.sqs;
        out.gb_seconds += billed_ms(r.total()) / 1000.0 * lambda.memory_mb / 1024.0;
    }
    out.invocations += action.events;
    out.gb_seconds += action.events * billed_ms(lambda.aws_requests_per_event) / 1000.0 * lambda.memory_mb / 1024.0;
    // Cold starts: a share of invocations also pays its init.
    out.gb_seconds += out.invocations * lambda.cold_start_share * lambda.init_ms / 1000.0 * lambda.memory_mb / 1024.0;
    Ok(out)
}

/// A month of the whole deployment for `companies` companies: each price line's quantity.
pub fn quantities(
    model: &Model,
    routes: &BTreeMap<String, RouteRequests>,
    companies: f64,
) -> Result<BTreeMap<&'static str, f64>> {
    let mut q: BTreeMap<&'static str, f64> = PRICES.iter().map(|p| (*p, 0.0)).collect();
    let document_gb = model.profile("document_mb") / 1024.0;
    for action in &model.actions {
        let n = model.monthly(action) * companies;
        let r = action_requests(model, routes, action)?;
        *q.get_mut("lambda_requests").expect("line") += n * r.invocations;
        *q.get_mut("lambda_gb_seconds").expect("line") += n * r.gb_seconds;
        *q.get_mut("http_api_requests").expect("line") += n * r.api_requests;
        *q.get_mut("cloudfront_requests").expect("line") += n * (r.api_requests + action.static_requests);
        *q.get_mut("cloudfront_egress_gb").expect("line") += n
            * (r.api_requests * model.lambda.kb_per_api_response
                + action.static_requests * model.lambda.kb_per_static_request)
            / 1024.0
            / 1024.0;
        *q.get_mut("dynamodb_read_units").expect("line") += n * action.read_units;
        *q.get_mut("dynamodb_write_units").expect("line") += n * action.write_units;
        *q.get_mut("s3_put_requests").expect("line") += n * action.s3_puts;
        // A route's own S3 requests (HEAD, DELETE) are priced as GET-class requests (DELETE
        // is free: an upper bound).
        *q.get_mut("s3_get_requests").expect("line") += n * (action.s3_gets + r.aws.s3);
        *q.get_mut("s3_egress_gb").expect("line") += n * action.egress_documents * document_gb;
        *q.get_mut("ses_emails").expect("line") += n * (r.aws.ses + action.emails);
        *q.get_mut("sqs_requests").expect("line") += n * (r.aws.sqs + action.sqs);
        // What is stored: each month's documents, kept for the retention period.
        *q.get_mut("s3_storage_gb").expect("line") +=
            n * action.stored_documents * document_gb * model.profile("retention_months");
    }
    let stored_documents = (model.profile("documents_uploaded") + model.profile("customer_uploads"))
        * model.profile("retention_months")
        * companies;
    let table_gb = stored_documents * model.profile("dynamodb_kb_per_document") / 1024.0 / 1024.0;
    *q.get_mut("dynamodb_storage_gb").expect("line") = table_gb;
    *q.get_mut("dynamodb_backup_gb").expect("line") = table_gb;
    *q.get_mut("sqs_requests").expect("line") += model.fixed.sqs_polling_requests_per_month;
    let invocations = q["lambda_requests"];
    *q.get_mut("log_ingestion_gb").expect("line") = invocations * model.lambda.log_bytes_per_invocation / 1e9;
    let reservoir = (model.lambda.traces_reservoir_per_second * SECONDS_PER_MONTH).min(invocations);
    *q.get_mut("xray_traces").expect("line") = reservoir + (invocations - reservoir) * model.lambda.traces_rate;
    *q.get_mut("alarms").expect("line") = model.fixed.alarms;
    Ok(q)
}

/// The month's price of `quantity` of a line, its free allowance taken off.
pub fn price(line: &Price, quantity: f64) -> f64 {
    (quantity - line.free_per_month).max(0.0) * line.usd / line.per
}

/// The month's price of `mau` monthly active users on `plan`.
pub fn cognito_price(cognito: &Cognito, plan: &Plan, mau: f64) -> f64 {
    let mut billable = if plan.free { (mau - cognito.free_mau).max(0.0) } else { mau };
    // Volume tiers count from the first MAU, the free ones included.
    let mut counted = mau - billable;
    let mut total = 0.0;
    for tier in &plan.tiers {
        if billable <= 0.0 {
            break;
        }
        let room = (tier.up_to - counted).max(0.0);
        let here = billable.min(room);
        total += here * tier.usd;
        billable -= here;
        counted += here;
    }
    total
}

/// Monthly active users for `companies`: every staff member and every active customer.
pub fn mau(model: &Model, companies: f64) -> f64 {
    (model.profile("staff") + model.profile("active_customers")) * companies
}

/// The section's markdown: the profile, requests per action, the bill at each size.
pub fn report(model: &Model, routes: &BTreeMap<String, RouteRequests>) -> Result<String> {
    let mut out = String::new();
    let money = |usd: f64| {
        if usd >= 100.0 {
            format!("{:.0}", usd)
        } else if usd >= 1.0 {
            format!("{usd:.2}")
        } else {
            format!("{usd:.4}")
        }
    };
    writeln!(
        out,
        "Computed by `cargo xtask cost` from `docs/cost-model.toml` (prices: {}, on-demand, USD, as \
         read on the dates the file gives; the AWS requests of each route from the table above).\n",
        model.region
    )?;
    writeln!(out, "**Usage profile**, one company's month:\n")?;
    writeln!(out, "| Profile | Per company per month |\n| --- | ---: |")?;
    for (name, value) in &model.profile {
        writeln!(out, "| `{name}` | {} |", trim(*value))?;
    }
    writeln!(out, "\n**Requests per user action** (per occurrence; DynamoDB as requests and as capacity units):\n")?;
    writeln!(
        out,
        "| Action | Per company per month | Lambda invocations | GB-s | DynamoDB requests | RRU / WRU | S3 | SES | SQS | Cognito |"
    )?;
    writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")?;
    for action in &model.actions {
        let r = action_requests(model, routes, action)?;
        writeln!(
            out,
            "| {} | {} | {} | {:.4} | {} | {} / {} | {} | {} | {} | {} |",
            action.name,
            trim(model.monthly(action)),
            trim(r.invocations),
            r.gb_seconds,
            trim(r.aws.dynamodb),
            trim(action.read_units),
            trim(action.write_units),
            trim(r.aws.s3 + action.s3_puts + action.s3_gets),
            trim(r.aws.ses + action.emails),
            trim(r.aws.sqs + action.sqs),
            trim(r.aws.cognito),
        )?;
    }

    let sizes: Vec<(u64, BTreeMap<&str, f64>)> =
        COMPANIES.iter().map(|&n| Ok((n, quantities(model, routes, n as f64)?))).collect::<Result<_>>()?;
    writeln!(out, "\n**The month's bill** (USD; the account's always-free allowances taken off once):\n")?;
    let mut header = "| Line |".to_owned();
    let mut rule = "| --- |".to_owned();
    for (n, _) in &sizes {
        write!(header, " {} {} |", group(*n), if *n == 1 { "company" } else { "companies" })?;
        rule.push_str(" ---: |");
    }
    writeln!(out, "{header}\n{rule}")?;
    let mut totals: Vec<f64> = vec![0.0; sizes.len()];
    let mut lines: Vec<(String, Vec<f64>)> = Vec::new();
    for key in PRICES {
        let line = &model.prices[*key];
        let costs: Vec<f64> = sizes.iter().map(|(_, q)| price(line, q[key])).collect();
        lines.push((line.unit.clone(), costs));
    }
    for (unit, costs) in &lines {
        for (total, cost) in totals.iter_mut().zip(costs) {
            *total += cost;
        }
        writeln!(out, "| {unit} | {} |", costs.iter().map(|c| money(*c)).collect::<Vec<_>>().join(" | "))?;
    }
    writeln!(
        out,
        "| **Everything but Cognito** | {} |",
        totals.iter().map(|c| format!("**{}**", money(*c))).collect::<Vec<_>>().join(" | ")
    )?;
    let mut dominant = Vec::new();
    for plan_name in ["Essentials", "Plus", "Lite"] {
        let Some(plan) = model.cognito.plans.get(plan_name) else { continue };
        let cognito: Vec<f64> =
            sizes.iter().map(|(n, _)| cognito_price(&model.cognito, plan, mau(model, *n as f64))).collect();
        writeln!(
            out,
            "| Cognito {plan_name} ({} MAU per company) | {} |",
            trim(mau(model, 1.0)),
            cognito.iter().map(|c| money(*c)).collect::<Vec<_>>().join(" | ")
        )?;
        let total: Vec<f64> = totals.iter().zip(&cognito).map(|(t, c)| t + c).collect();
        writeln!(
            out,
            "| **Total with {plan_name}**, per company | {} |",
            total
                .iter()
                .zip(&sizes)
                .map(|(t, (n, _))| format!("**{}**, {}", money(*t), money(t / *n as f64)))
                .collect::<Vec<_>>()
                .join(" | ")
        )?;
        if plan_name == "Essentials" {
            for (i, (n, _)) in sizes.iter().enumerate() {
                let mut ranked: Vec<(&str, f64)> =
                    lines.iter().map(|(u, c)| (u.as_str(), c[i])).chain([("Cognito Essentials", cognito[i])]).collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
                let share = |usd: f64| if total[i] > 0.0 { usd / total[i] * 100.0 } else { 0.0 };
                dominant.push(format!(
                    "{} {}: {} ({:.0} %), then {} ({:.0} %)",
                    group(*n),
                    if *n == 1 { "company" } else { "companies" },
                    ranked[0].0,
                    share(ranked[0].1),
                    ranked[1].0,
                    share(ranked[1].1)
                ));
            }
        }
    }
    writeln!(out, "\n**What dominates** (with Essentials): {}.", dominant.join("; "))?;
    writeln!(out, "\n**Prices used:**\n")?;
    writeln!(out, "| Line | USD | Per | Free a month | Source (read) |\n| --- | ---: | ---: | ---: | --- |")?;
    for key in PRICES {
        let p = &model.prices[*key];
        writeln!(
            out,
            "| {} | {} | {} | {} | {} ({}) |",
            p.unit,
            p.usd,
            trim(p.per),
            trim(p.free_per_month),
            p.source,
            p.read
        )?;
    }
    for (name, plan) in &model.cognito.plans {
        let tiers: Vec<String> =
            plan.tiers.iter().map(|t| format!("{} up to {} MAU", t.usd, group(t.up_to as u64))).collect();
        writeln!(
            out,
            "| Cognito {name}, per MAU | {} | 1 | {} | {} ({}) |",
            tiers.join("; "),
            if plan.free { group(model.cognito.free_mau as u64) } else { "0".to_owned() },
            model.cognito.source,
            model.cognito.read
        )?;
    }
    Ok(out)
}

fn trim(value: f64) -> String {
    if value.fract() == 0.0 { group(value as u64) } else { format!("{value}") }
}

/// 10000 → "10,000".
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `cargo xtask cost [--write]`.
pub fn run(write: bool) -> Result<()> {
    let root = repo_root();
    let model =
        Model::parse(&std::fs::read_to_string(root.join("docs/cost-model.toml")).context("docs/cost-model.toml")?)?;
    let doc_path = root.join("docs/performance.md");
    let doc = std::fs::read_to_string(&doc_path).context("docs/performance.md")?;
    let markdown = report(&model, &route_table(&doc)?)?;
    if write {
        write_section(&doc_path, &doc, &markdown)?;
        println!("cost: written to {}", doc_path.display());
    } else {
        println!("{markdown}");
    }
    Ok(())
}

fn write_section(path: &Path, doc: &str, markdown: &str) -> Result<()> {
    let (Some(start), Some(end)) = (doc.find(RESULTS_START), doc.find(RESULTS_END)) else {
        bail!("{} lacks the {RESULTS_START} … {RESULTS_END} markers", path.display());
    };
    let updated = format!("{}{RESULTS_START}\n{markdown}{}", &doc[..start], &doc[end..]);
    std::fs::write(path, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "intro\n\n| Route | DynamoDB | S3 | Cognito | SES | SQS |\n| --- | --- | --- | --- | --- | --- |\n\
                         | `GET /me` | 2 | 0 | 0 | 0 | 0 |\n| `POST /shares` | 10 | 0 | 0 | 1 | 1 |\n\nafter\n";

    #[test]
    fn the_route_table_is_read_by_its_column_names() {
        let table = route_table(TABLE).expect("table");
        assert_eq!(table.len(), 2);
        assert_eq!(table["POST /shares"], RouteRequests { dynamodb: 10.0, s3: 0.0, cognito: 0.0, ses: 1.0, sqs: 1.0 });
        // Another column (a cap) between them changes nothing.
        let with_cap = "| Route | Cap | DynamoDB | S3 | Cognito | SES | SQS |\n| --- | --- | --- | --- | --- | --- | --- |\n\
                        | `GET /me` | 8 | 2 | 0 | 0 | 0 | 0 |\n";
        assert_eq!(route_table(with_cap).expect("table")["GET /me"].dynamodb, 2.0);
        assert!(route_table("no table here").is_err());
        assert!(
            route_table(
                "| Route | DynamoDB | S3 | Cognito | SES | SQS |\n| --- |\n| `GET /me` | two | 0 | 0 | 0 | 0 |\n"
            )
            .is_err()
        );
    }

    #[test]
    fn a_price_takes_off_the_free_allowance_once() {
        let line = Price {
            usd: 0.20,
            per: 1e6,
            unit: "requests".into(),
            free_per_month: 1e6,
            source: "s".into(),
            read: "r".into(),
        };
        assert_eq!(price(&line, 500_000.0), 0.0);
        assert!((price(&line, 3e6) - 0.40).abs() < 1e-12);
    }

    #[test]
    fn cognito_bills_past_the_free_mau_and_by_volume_tier() {
        let cognito = Cognito { source: "s".into(), read: "r".into(), free_mau: 10_000.0, plans: BTreeMap::new() };
        let essentials = Plan { free: true, tiers: vec![Tier { up_to: 1e9, usd: 0.015 }] };
        let plus = Plan { free: false, tiers: vec![Tier { up_to: 1e9, usd: 0.02 }] };
        let lite =
            Plan { free: true, tiers: vec![Tier { up_to: 100_000.0, usd: 0.0055 }, Tier { up_to: 1e9, usd: 0.0046 }] };
        assert_eq!(cognito_price(&cognito, &essentials, 9_000.0), 0.0);
        assert!((cognito_price(&cognito, &essentials, 20_000.0) - 150.0).abs() < 1e-9);
        assert!((cognito_price(&cognito, &plus, 20_000.0) - 400.0).abs() < 1e-9, "Plus has no free MAUs");
        // 90,000 at the first tier (after 10,000 free), 50,000 at the second.
        assert!((cognito_price(&cognito, &lite, 150_000.0) - (90_000.0 * 0.0055 + 50_000.0 * 0.0046)).abs() < 1e-6);
    }

    #[test]
    fn the_committed_model_reads_and_names_only_documented_routes() {
        let root = repo_root();
        let model = Model::parse(&std::fs::read_to_string(root.join("docs/cost-model.toml")).expect("model"))
            .expect("docs/cost-model.toml parses");
        let routes =
            route_table(&std::fs::read_to_string(root.join("docs/performance.md")).expect("doc")).expect("table");
        for action in &model.actions {
            action_requests(&model, &routes, action).expect("every route of every action is in the table");
        }
        let report = report(&model, &routes).expect("report");
        for size in ["1 company", "100 companies", "10,000 companies"] {
            assert!(report.contains(size), "{size} missing");
        }
        // More companies cost more, and never less per company than the free allowances allow.
        let one = quantities(&model, &routes, 1.0).expect("1");
        let many = quantities(&model, &routes, 10_000.0).expect("10,000");
        assert!(many["lambda_requests"] > one["lambda_requests"] * 9_999.0);
        // The fixed lines follow the template: one alarm-month per alarm it declares.
        let template = std::fs::read_to_string(root.join("infra/template.yaml")).expect("template");
        let alarms = template.matches("Type: AWS::CloudWatch::Alarm").count();
        assert_eq!(model.fixed.alarms, alarms as f64, "docs/cost-model.toml [fixed] alarms");
    }

    #[test]
    fn an_action_costs_its_routes_requests_plus_its_events() {
        let model = Model::parse(&std::fs::read_to_string(repo_root().join("docs/cost-model.toml")).expect("model"))
            .expect("model");
        let routes = route_table(TABLE).expect("table");
        let action = Action {
            name: "share".into(),
            per: "shares".into(),
            times: 1.0,
            routes: vec!["POST /shares".into(), "GET /me".into()],
            read_units: 1.0,
            write_units: 1.0,
            s3_puts: 0.0,
            s3_gets: 0.0,
            egress_documents: 0.0,
            stored_documents: 0.0,
            events: 1.0,
            sqs: 0.0,
            emails: 0.0,
            static_requests: 0.0,
        };
        let r = action_requests(&model, &routes, &action).expect("requests");
        assert_eq!((r.invocations, r.api_requests), (3.0, 2.0));
        assert_eq!((r.aws.dynamodb, r.aws.ses, r.aws.sqs), (12.0, 1.0, 1.0));
        let unknown = Action { routes: vec!["GET /nowhere".into()], ..action };
        assert!(action_requests(&model, &routes, &unknown).is_err());
    }
}

//! The AWS requests each route makes, counted (by the metering HTTP client under every SDK
//! client) for one invocation and checked against the budget table in
//! `docs/performance.md`. A counting test, not a timing test: a route that starts making
//! an extra round trip fails here, whatever the machine's speed.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use local_gateway::ApiGateway;
use local_gateway::bench::routes as bench_routes;
use local_gateway::bench::scenario::Scenario;
use portal_shared::metering;
use portal_shared::{route_caps, routes};
use portal_tests::call_in_process;
use portal_tests::{env, sdk};

use crate::writes::{WRITES, world};

/// The services of the budget table's columns, as the meter names them.
const SERVICES: [&str; 5] = ["dynamodb", "s3", "cognito-idp", "ses", "sqs"];

/// `route → [dynamodb, s3, cognito-idp, ses, sqs]` from the table under "AWS requests per route".
fn budget() -> Result<BTreeMap<String, [u32; 5]>> {
    let doc = std::fs::read_to_string(xtask::paths::repo_root().join("docs/performance.md"))?;
    let section = doc.split("## AWS requests per route").nth(1).context("no budget section in docs/performance.md")?;
    let mut budget = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).skip(2) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        ensure!(cells.len() == 6, "a budget row needs a route and 5 counts: {line}");
        let route = cells[0].trim_matches('`').to_owned();
        let mut counts = [0; 5];
        for (count, cell) in counts.iter_mut().zip(&cells[1..]) {
            *count = cell.parse().with_context(|| format!("{route}: {cell:?} is not a count"))?;
        }
        budget.insert(route, counts);
    }
    Ok(budget)
}

#[tokio::test]
async fn every_measured_route_stays_within_its_aws_request_budget() -> Result<()> {
    let budget = budget()?;
    let scenario = Scenario::seed(&env().stack, &env().api_url).await?;
    let api = ApiGateway::new(&sdk().await, &env().stack, "http://127.0.0.1").await?;
    let cases = bench_routes::cases(&scenario);
    let mut over = Vec::new();
    let mut measured = Vec::new();
    for case in &cases {
        let invocation = bench_routes::invoke(&api, &scenario, case).await?;
        let counts = SERVICES.map(|service| invocation.calls.count(service));
        ensure!(
            invocation.calls.total() == counts.iter().sum::<u32>(),
            "{}: requests to a service the budget has no column for: {:?}",
            case.route,
            invocation.calls.operations
        );
        measured.push(format!("| `{}` | {} |", case.route, counts.map(|c| c.to_string()).join(" | ")));
        under_cap(case.route, &invocation.calls, &mut over);
        match budget.get(case.route) {
            None => over.push(format!("{}: no row in the budget ({:?})", case.route, invocation.calls.operations)),
            Some(allowed) if counts.iter().zip(allowed).any(|(count, limit)| count > limit) => {
                over.push(format!("{}: {counts:?} > {allowed:?} ({:?})", case.route, invocation.calls.operations));
            }
            Some(_) => {}
        }
    }
    // The one-shot writes, each on fresh data (a route measured twice must fit its row both times).
    let w = world().await?;
    let mut one_shot = Vec::new();
    for write in WRITES {
        let attempt = write.prepare(&w).await?;
        let route = routes::match_route(attempt.method.as_str(), attempt.path.split('?').next().unwrap_or_default())
            .map(|(route, _)| route.key())
            .with_context(|| format!("{write:?}: no route for {} {}", attempt.method, attempt.path))?;
        let call = call_in_process(&api, &attempt.method, &attempt.path, attempt.caller.token(), attempt.body.as_ref());
        let (answer, cost) = metering::measured(call).await;
        let calls = cost.aws;
        let (status, body) = answer?;
        ensure!(status < 300, "{write:?}: {status} {body}");
        let counts = SERVICES.map(|service| calls.count(service));
        measured.push(format!("| `{route}` | {} |", counts.map(|c| c.to_string()).join(" | ")));
        under_cap(&route, &calls, &mut over);
        match budget.get(&route) {
            None => over.push(format!("{route}: no row in the budget ({:?})", calls.operations)),
            Some(allowed) if counts.iter().zip(allowed).any(|(count, limit)| count > limit) => {
                over.push(format!("{route}: {counts:?} > {allowed:?} ({:?})", calls.operations));
            }
            Some(_) => {}
        }
        one_shot.push(route);
    }
    // Company sign-up's one-shot routes: a new company, then its verification link.
    let slug = portal_tests::unique("budget");
    let email = format!("admin@{slug}.example");
    let signup = serde_json::json!({
        "companyName": "Budget Co", "slug": slug, "name": "Budget Admin", "email": email,
        "password": portal_tests::PASSWORD,
    });
    let (answer, cost) =
        metering::measured(call_in_process(&api, &reqwest::Method::POST, "/signup", None, Some(&signup))).await;
    let (status, answer) = answer?;
    ensure!(status == 202, "POST /signup: {status} {answer}");
    check_one_shot(&budget, "POST /signup", &cost.aws, &mut measured, &mut over);
    one_shot.push("POST /signup".to_owned());
    let token = verification_token(&email).await?;
    let body = serde_json::json!({ "token": token });
    let (answer, cost) =
        metering::measured(call_in_process(&api, &reqwest::Method::POST, "/signup/verify", None, Some(&body))).await;
    let (status, answer) = answer?;
    ensure!(status == 200, "POST /signup/verify: {status} {answer}");
    check_one_shot(&budget, "POST /signup/verify", &cost.aws, &mut measured, &mut over);
    one_shot.push("POST /signup/verify".to_owned());

    let stale: Vec<_> = budget
        .keys()
        .filter(|route| !cases.iter().any(|c| c.route == route.as_str()) && !one_shot.contains(route))
        .collect();
    ensure!(stale.is_empty(), "budget rows for routes that are not measured: {stale:?}");
    ensure!(over.is_empty(), "over budget, or not in it:\n{}\n\nmeasured:\n{}", over.join("\n"), measured.join("\n"));
    Ok(())
}

/// Checks one measured one-shot invocation against its budget row.
fn check_one_shot(
    budget: &BTreeMap<String, [u32; 5]>,
    route: &str,
    calls: &metering::AwsRequests,
    measured: &mut Vec<String>,
    over: &mut Vec<String>,
) {
    let counts = SERVICES.map(|service| calls.count(service));
    measured.push(format!("| `{route}` | {} |", counts.map(|c| c.to_string()).join(" | ")));
    under_cap(route, calls, over);
    match budget.get(route) {
        None => over.push(format!("{route}: no row in the budget ({:?})", calls.operations)),
        Some(allowed) if counts.iter().zip(allowed).any(|(count, limit)| count > limit) => {
            over.push(format!("{route}: {counts:?} > {allowed:?} ({:?})", calls.operations));
        }
        Some(_) => {}
    }
}

/// Checks that a measured invocation stays under its route's hard cap (`route_caps`), with
/// room for the SDK's retries: the cap is derived as three attempts of each request of the
/// route's bound, so a measured count above a third of it means the cap no longer fits.
fn under_cap(route: &str, calls: &metering::AwsRequests, over: &mut Vec<String>) {
    let cap = route_caps::route_cap(route);
    if calls.total() * 3 > cap {
        over.push(format!(
            "{route}: {} requests, 3 × that is over its cap of {cap} ({:?})",
            calls.total(),
            calls.operations
        ));
    }
}

/// The caps table of `docs/performance.md` ("Caps"): `route → cap`.
fn documented_caps() -> Result<BTreeMap<String, u32>> {
    let doc = std::fs::read_to_string(xtask::paths::repo_root().join("docs/performance.md"))?;
    let section = doc.split("### Caps per route").nth(1).context("no caps section in docs/performance.md")?;
    let mut caps = BTreeMap::new();
    for line in section.lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')).skip(2) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        ensure!(cells.len() >= 2, "a caps row needs a route and a cap: {line}");
        let cap = cells[1].parse().with_context(|| format!("{}: {:?} is not a cap", cells[0], cells[1]))?;
        caps.insert(cells[0].trim_matches('`').to_owned(), cap);
    }
    Ok(caps)
}

#[test]
fn the_documented_caps_are_the_caps_in_the_code() -> Result<()> {
    let documented = documented_caps()?;
    let mut code: BTreeMap<String, u32> = route_caps::ROUTE_CAPS.iter().map(|(r, c)| ((*r).to_owned(), *c)).collect();
    code.insert("every other route".to_owned(), route_caps::DEFAULT_ROUTE_CAP);
    code.insert(
        "a queue record (object-events, and any consumer naming none)".to_owned(),
        route_caps::DEFAULT_RECORD_CAP,
    );
    code.insert("a queue record of notifications".to_owned(), route_caps::NOTIFICATIONS_RECORD_CAP);
    code.insert(
        "a job chunk (the jobs function)".to_owned(),
        route_caps::jobs_record_cap(portal_shared::jobs::DEFAULT_CHUNK_SIZE),
    );
    ensure!(
        documented == code,
        "docs/performance.md \"Caps per route\" differs from route_caps:\n{documented:#?}\n{code:#?}"
    );
    Ok(())
}

/// The token of the last verification link emailed to `email`.
async fn verification_token(email: &str) -> Result<String> {
    const MARK: &str = "#verify=";
    let emails = portal_tests::emails_to(email).await?;
    let text = emails.last().and_then(|m| m["text"].as_str()).context("no verification email")?.to_owned();
    let at = text.find(MARK).context("no verification link")? + MARK.len();
    Ok(text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect())
}

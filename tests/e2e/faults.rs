//! Faults: the local stack made to fail. A second gateway runs the same functions with
//! their AWS clients pointed at a fault proxy in front of the emulator
//! (`xtask::aws_proxy`), which answers with the errors AWS sends when it throttles or
//! fails, in each service's own protocol; another has no emulator behind it at all.
//!
//! What must hold: the API answers 503 `application/problem+json` with `Retry-After`, never
//! a 500 and never a word about its internals; a failed request leaves nothing
//! half-written; a single transient fault is absorbed by the SDK's retries.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use local_gateway::{self as gateway, Relay, RunningGateway};
use portal_tests::{
    ApiResponse, CUSTOMER_PASSWORD, env, items_mentioning, registered_customer, sdk, tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::json;
use xtask::aws_proxy::{AwsProxy, Fault};
use xtask::client::ApiClient;
use xtask::provision;

use crate::writes::{WRITES, Write, world};

/// The functions behind a fault proxy, in a gateway of their own (which leaves the queues
/// to the suite's gateway).
struct Faulty {
    proxy: AwsProxy,
    gateway: RunningGateway,
}

/// The SDK's standard retries, with short back-offs so that a test waits milliseconds,
/// not seconds, for the retries of a failing request.
pub(crate) fn quick_retries(sdk: SdkConfig) -> SdkConfig {
    sdk.to_builder().retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(5))).build()
}

impl Faulty {
    async fn start() -> Result<Self> {
        let proxy = AwsProxy::start(&env().stack.endpoint).await?;
        let sdk = quick_retries(provision::sdk_config(&proxy.url()).await);
        let gateway = gateway::start_with(&sdk, &env().stack, 0, Relay::None).await?;
        Ok(Self { proxy, gateway })
    }

    /// `client`'s caller, talking to this gateway.
    fn as_(&self, client: &ApiClient) -> ApiClient {
        let anonymous = ApiClient::anonymous(&self.gateway.api_url());
        match client.token() {
            Some(token) => anonymous.with_token(token),
            None => anonymous,
        }
    }
}

/// Words that must never reach a caller: the internals of a failure.
const INTERNALS: &[&str] = &["dynamodb", "cognito", "exception", "arn:", "fault injected", "throttl", "s3", "sqs"];

/// A 503 problem with a retry hint and nothing about the internals.
fn assert_unavailable(what: &str, response: &ApiResponse) {
    assert_eq!(response.status, 503, "{what}: {}", response.json);
    assert_eq!(response.content_type, "application/problem+json", "{what}");
    assert_eq!(response.json["status"], 503, "{what}");
    assert_eq!(response.json["type"], "/problems/service-unavailable", "{what}");
    let seconds: u64 = response.retry_after.as_deref().and_then(|s| s.parse().ok()).unwrap_or_default();
    assert!(seconds >= 1, "{what}: Retry-After {:?}", response.retry_after);
    let text = response.json.to_string().to_lowercase();
    for word in INTERNALS {
        assert!(!text.contains(word), "{what}: the problem mentions {word:?}: {text}");
    }
}

/// The table's items that mention any of `markers` (ids or unique names of what one
/// request touches), keyed `PK|SK`, each as canonical JSON; plus the customer pool's
/// users with a marker as email. Other tests write to the same table meanwhile, so the
/// markers keep this to the request's own items.
async fn snapshot(markers: &[String]) -> Result<BTreeMap<String, String>> {
    let mut items = BTreeMap::new();
    for json in items_mentioning(markers).await? {
        // The customers' view index is written from the table's stream, after the request
        // and at any moment (its own consistency is tests/e2e/view_index.rs).
        if json["SK"].as_str().is_some_and(|sk| sk.starts_with(portal_shared::keys::VIEW_PREFIX)) {
            continue;
        }
        let key = format!("{}|{}", json["PK"].as_str().unwrap_or("?"), json["SK"].as_str().unwrap_or("?"));
        items.insert(key, json.to_string());
    }
    let sdk = sdk().await;
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    for marker in markers.iter().filter(|m| m.contains('@')) {
        for pool in [&env().stack.customer_pool.id, &env().stack.staff_pool.id] {
            let users = cognito.list_users().user_pool_id(pool).filter(format!("email = \"{marker}\"")).send().await?;
            for user in users.users() {
                items.insert(format!("cognito|{pool}|{marker}"), format!("{:?}", user.user_status()));
            }
        }
    }
    Ok(items)
}

/// A key with its ids, hashes and emails replaced by placeholders: the shape of an item,
/// to compare what two requests on different data wrote.
fn shape(key: &str) -> String {
    key.split(['#', '|'])
        .map(|part| {
            let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if part.contains('@') {
                "{email}".to_owned()
            } else if (part.len() == 36 || part.len() == 64) && hex(part) {
                "{id}".to_owned()
            } else {
                part.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The shapes of the items `after` has that `before` did not, or has changed, counted;
/// left out: activity events (every attempt that changed something is on the trail) and
/// share batches (an outbox the suite's gateway drains on its own schedule).
fn written(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> BTreeMap<String, usize> {
    let mut shapes = BTreeMap::new();
    for (key, value) in after {
        if before.get(key) != Some(value) && !key.contains("|EVENT#") && !key.contains("|NOTIFY#") {
            *shapes.entry(shape(key)).or_default() += 1;
        }
    }
    for key in before.keys().filter(|key| !after.contains_key(*key) && !key.contains("|NOTIFY#")) {
        *shapes.entry(format!("deleted {}", shape(key))).or_default() += 1;
    }
    shapes
}

/// An outage of one service that starts in the middle of a request: for every write
/// route and every request `k` of its sequence of AWS requests, the service of request
/// `k` fails from then on (after the SDK's retries), the others keep working.
///
/// Each time, the answer is a 503 (or the success it would have been, when only
/// optional work failed) and either nothing was written, or the change was committed
/// whole (items that change together are in one transaction) and the same request, sent
/// again once the service is back, completes it: it succeeds (a repeated DELETE may say
/// 404) and leaves exactly what one clean success leaves, no second copy of anything.
#[tokio::test]
async fn an_outage_at_any_point_of_a_write_leaves_nothing_half_written() -> Result<()> {
    let w = world().await?;
    let faulty = Faulty::start().await?;
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for write in WRITES {
        // A clean run counts the route's AWS requests and shows what one success writes.
        let clean = write.prepare(&w).await?;
        let before = snapshot(&clean.markers).await?;
        faulty.proxy.take_log();
        let response = faulty.as_(&clean.caller).send(clean.method.clone(), &clean.path, clean.body.clone()).await?;
        ensure!(response.status < 300, "{write:?} without faults: {} {}", response.status, response.json);
        let log = faulty.proxy.take_log();
        let success = written(&before, &snapshot(&clean.markers).await?);
        let names: Vec<String> = log.iter().map(|e| e.operation.clone().unwrap_or_else(|| e.service.clone())).collect();
        report.push(format!("{write:?}: {} requests: {}; writes {success:?}", log.len(), names.join(", ")));
        for (k, exchange) in log.iter().enumerate() {
            let pass = log[..k].iter().filter(|e| e.service == exchange.service).count() as u32;
            let attempt = write.prepare(&w).await?;
            let before = snapshot(&attempt.markers).await?;
            faulty.proxy.fail(Some(&exchange.service), pass, Fault::Throttle);
            let client = faulty.as_(&attempt.caller);
            let send = || client.send(attempt.method.clone(), &attempt.path, attempt.body.clone());
            let response = send().await?;
            faulty.proxy.heal();
            let what = format!("{write:?} with {} failing from request {} ({})", exchange.service, k + 1, names[k]);
            if response.status < 300 {
                report.push(format!("  {what}: {} (only optional work failed)", response.status));
                continue;
            }
            assert_unavailable(&what, &response);
            let after = snapshot(&attempt.markers).await?;
            if before == after {
                report.push(format!("  {what}: 503, nothing written"));
                continue;
            }
            let retried = send().await?;
            let completed = written(&before, &snapshot(&attempt.markers).await?);
            // A repeated DELETE may say 404: what it deletes is gone, as asked.
            let retry_succeeded = retried.status < 300 || (attempt.method == Method::DELETE && retried.status == 404);
            if !retry_succeeded || completed != success {
                failures.push(format!(
                    "{what}: 503 wrote {:?}; the retry answered {} {} and left {completed:?}, not {success:?}",
                    written(&before, &after),
                    retried.status,
                    retried.json
                ));
            } else {
                report.push(format!(
                    "  {what}: 503 after committing {:?}; the retry completed it",
                    written(&before, &after)
                ));
            }
        }
    }
    println!("{}", report.join("\n"));
    ensure!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

/// One failed attempt (throttled, or a 500 from the service) is retried by the SDK and
/// the caller never sees it.
#[tokio::test]
async fn a_single_transient_fault_is_retried_and_never_seen() -> Result<()> {
    let w = world().await?;
    let faulty = Faulty::start().await?;
    for (write, fault) in [
        (Write::CreateContact, Fault::Throttle),
        (Write::Share, Fault::ServerError),
        (Write::StaffUpload, Fault::ServerError),
        (Write::CustomerDownload, Fault::Throttle),
    ] {
        for k in 0..3 {
            let attempt = write.prepare(&w).await?;
            faulty.proxy.fail_once(None, k, fault);
            let response =
                faulty.as_(&attempt.caller).send(attempt.method.clone(), &attempt.path, attempt.body.clone()).await?;
            faulty.proxy.heal();
            assert!(response.status < 300, "{write:?} with one {fault:?} at request {}: {}", k + 1, response.json);
        }
    }
    Ok(())
}

/// Every service throttled in turn, for reads and writes of both sides: 503 with a retry
/// hint each time, and the API works again as soon as the service does.
#[tokio::test]
async fn a_throttled_service_is_a_503_with_a_retry_hint() -> Result<()> {
    let w = world().await?;
    let faulty = Faulty::start().await?;
    let member = faulty.as_(&w.t.member);
    let customer = faulty.as_(&w.customer);
    let anonymous = ApiClient::anonymous(&faulty.gateway.api_url());
    let login = json!({ "email": w.t.member_account.member.email.as_str(), "password": portal_tests::PASSWORD });
    for fault in [Fault::Throttle, Fault::ServerError] {
        faulty.proxy.fail(Some("dynamodb"), 0, fault);
        assert_unavailable("GET /contacts", &member.get("/contacts").await?);
        assert_unavailable("GET /portal/shares", &customer.get("/portal/shares").await?);
        assert_unavailable("POST /folders", &member.post("/folders", json!({ "name": "Never" })).await?);
        faulty.proxy.fail(Some("cognito-idp"), 0, fault);
        assert_unavailable("POST /auth/staff/login", &anonymous.post("/auth/staff/login", login.clone()).await?);
        faulty.proxy.heal();
        member.get("/contacts").await?.expect(200)?;
        anonymous.post("/auth/staff/login", login.clone()).await?.expect(200)?;
    }
    let folders = w.t.member.get("/drive").await?.expect(200)?;
    assert!(!folders.to_string().contains("Never"), "a refused write was written: {folders}");
    Ok(())
}

/// With no emulator at all (stopped, or unreachable), every route that needs AWS answers
/// 503 with a retry hint.
#[tokio::test]
async fn a_stopped_emulator_is_a_503_with_a_retry_hint() -> Result<()> {
    let t = tenant_fixture().await?;
    // A port this test holds without listening: connections to it are refused, and no
    // other process can take it meanwhile (a port found free and let go could be reused
    // by another test's server, which would then answer).
    let held = tokio::net::TcpSocket::new_v4()?;
    held.bind("127.0.0.1:0".parse()?)?;
    let nowhere = format!("http://{}", held.local_addr()?);
    let sdk = quick_retries(provision::sdk_config(&nowhere).await);
    let gateway = gateway::start_with(&sdk, &env().stack, 0, Relay::None).await?;
    let member = ApiClient::anonymous(&gateway.api_url()).with_token(t.member.token().context("token")?);
    let anonymous = ApiClient::anonymous(&gateway.api_url());
    assert_unavailable("GET /contacts", &member.get("/contacts").await?);
    assert_unavailable(
        "POST /contacts",
        &member.post("/contacts", json!({ "email": "a@b.example", "name": "A" })).await?,
    );
    assert_unavailable(
        "POST /uploads",
        &member.post("/uploads", json!({ "fileName": "a.txt", "contentType": "text/plain", "size": 1 })).await?,
    );
    let login = json!({ "email": "nobody@faults.example", "password": "Whatever-Passw0rd!" });
    assert_unavailable("POST /auth/customer/login", &anonymous.post("/auth/customer/login", login).await?);
    assert_unavailable("GET /branding/{slug}", &anonymous.get(&format!("/branding/{}", t.tenant.slug)).await?);
    gateway.stop().await;
    drop(held);
    Ok(())
}

/// Closing a registered customer's access commits the closing, then signs their account
/// out everywhere in Cognito. When Cognito fails there, the answer is a 503 and the
/// closing stands (the customer routes already refuse them); the retry, finding the
/// access closed, still signs the account out.
#[tokio::test]
async fn a_closing_whose_sign_out_failed_signs_out_on_retry() -> Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@faults.example", unique("closing"));
    let (_, contact) = registered_customer(&t.member, &email).await?;
    let login = json!({ "email": email, "password": CUSTOMER_PASSWORD });
    let tokens = portal_tests::anonymous().post("/auth/customer/login", login).await?.expect(200)?;
    let refresh = json!({ "refreshToken": tokens["refreshToken"] });

    let faulty = Faulty::start().await?;
    let close = format!("/contacts/{contact}/access");
    faulty.proxy.fail(Some("cognito-idp"), 0, Fault::Throttle);
    assert_unavailable("closing with Cognito down", &faulty.as_(&t.member).send(Method::DELETE, &close, None).await?);
    faulty.proxy.heal();
    let closed = t.member.get(&format!("/contacts/{contact}")).await?.expect(200)?;
    assert_eq!(closed["accessStatus"], "closed");
    portal_tests::anonymous().post("/auth/customer/refresh", refresh.clone()).await?.expect(200)?;

    faulty.as_(&t.member).send(Method::DELETE, &close, None).await?.expect(200)?;
    let refused = portal_tests::anonymous().post("/auth/customer/refresh", refresh).await?;
    assert_eq!(refused.status, 401, "the retry did not sign the customer out: {}", refused.json);
    Ok(())
}

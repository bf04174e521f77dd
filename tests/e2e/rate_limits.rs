//! Rate limits of sign-in, password reset and registration (`portal_shared::rate_limit`),
//! through the local gateway, which passes each connection's peer address as `sourceIp`
//! like API Gateway: the requests here come from different loopback addresses
//! (127.0.0.0/8 is all this machine) by binding the client's socket to one.
//!
//! - A flood from one source at one email stops at that source's limit (429 problem+json
//!   with `Retry-After`, the same for an existing and an unknown email), and does not lock
//!   the account out: from another source the right password still signs in, a reset code
//!   is still sent and still resets, a confirmation code still confirms, a registration
//!   still links.
//! - Guessing spread over many sources stops at the email's ceiling.
//! - One source is bounded across emails too.
//! - A refused attempt does nothing else (no sign-in, no password change, no confirmation,
//!   no link, no email, no count); concurrent attempts never pass more than a limit.
//!
//! The counters are fixed windows of the wall clock, so each test first makes sure the
//! current window has time left for it (or waits for the next), and uses fresh emails and
//! its own loopback addresses (`127.0.N.x`, N per test) so that tests running side by side
//! never share a source's counters.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use aws_sdk_dynamodb::types::AttributeValue;
use portal_shared::domain::{Email, Role};
use portal_shared::rate_limit::{self, Policy, Purpose};
use portal_shared::source::SourceAddress;
use portal_tests::{
    CUSTOMER_PASSWORD, PASSWORD, TenantFixture, emails_to, env, invitation_token, registered_customer, sdk,
    tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;

const WRONG: &str = "Wrong-Passw0rd!1";

/// The loopback address `127.0.{test}.{host}`.
fn ip(test: u8, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, test, host))
}

/// 127.0.0.1, where the rest of the suite's requests come from.
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// An answer with what these tests compare: the raw body and the `Retry-After` header.
#[derive(Debug)]
struct Answer {
    status: u16,
    /// When it was sent (epoch seconds): the server's clock read between `sent` and `at`.
    sent: i64,
    /// When it arrived (epoch seconds).
    at: i64,
    content_type: String,
    retry_after: Option<u64>,
    body: Vec<u8>,
    json: Value,
}

/// A POST from the source address `from`.
async fn post_from(from: IpAddr, path: &str, body: &Value) -> Result<Answer> {
    let client = reqwest::Client::builder().local_address(from).build()?;
    let sent = now();
    let response = client.post(format!("{}{path}", env().api_url)).json(body).send().await?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, content_type) = (response.status().as_u16(), header("content-type").unwrap_or_default());
    let retry_after = header("retry-after").map(|v| v.parse()).transpose()?;
    let body = response.bytes().await?.to_vec();
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok(Answer { status, sent, at: now(), content_type, retry_after, body, json })
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Waits, if need be, until the current window of `policy` has at least `needed` left.
async fn fresh_window(policy: Policy, needed: Duration) {
    let left = policy.window(now()).end - now();
    if left < needed.as_secs() as i64 {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

/// A 429 of the rate limit, with a wait that ends with the current window.
fn assert_limited(answer: &Answer, policy: Policy) {
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(answer.json["type"], "/problems/too-many-requests", "{}", answer.json);
    assert_eq!(answer.json["status"], 429);
    assert!(answer.json["title"].is_string() && answer.json["detail"].is_string(), "{}", answer.json);
    let wait = answer.retry_after.expect("a Retry-After header") as i64;
    // The server counted down from a moment between sending and arrival (a loaded machine
    // can take seconds to answer), ±1 s for its rounding.
    let end = policy.window(answer.at).end;
    let (least, most) = (end - answer.at, end - answer.sent);
    assert!(
        wait >= 1 && wait >= least - 1 && wait <= most + 1,
        "Retry-After {wait} s, but the window ends in {least}-{most} s"
    );
}

/// The limited answers for an existing account's email and for an unknown one are the same.
fn assert_alike(known: &Answer, unknown: &Answer) {
    assert_eq!((known.status, &known.content_type), (unknown.status, &unknown.content_type));
    assert_eq!(known.body, unknown.body, "{} vs {}", known.json, unknown.json);
    let (a, b) = (known.retry_after.unwrap_or(0), unknown.retry_after.unwrap_or(0));
    // Each counts down to the same window end from when the server answered it.
    let apart = (known.at.max(unknown.at) - known.sent.min(unknown.sent)) as u64;
    assert!(a.abs_diff(b) <= apart + 1, "Retry-After {a} vs {b}, answered within {apart} s");
}

/// The stored item `pk`/`sk` as numbers by attribute, checking its TTL is `expires_at`.
async fn counter(pk: String, sk: String, expires_at: i64) -> Result<Option<BTreeMap<String, i64>>> {
    let item = aws_sdk_dynamodb::Client::new(&sdk().await)
        .get_item()
        .table_name(&env().stack.table)
        .key("PK", AttributeValue::S(pk))
        .key("SK", AttributeValue::S(sk))
        .consistent_read(true)
        .send()
        .await?
        .item;
    let Some(item) = item else { return Ok(None) };
    let mut numbers = BTreeMap::new();
    for (name, value) in &item {
        if let Ok(n) = value.as_n() {
            numbers.insert(name.clone(), n.parse()?);
        }
    }
    ensure!(numbers.get("expiresAt") == Some(&expires_at), "expiresAt is not the window's end {expires_at}: {item:?}");
    Ok(Some(numbers))
}

/// What the email's counter of `purpose` holds in the current window: all sources'
/// attempts together, and those of each source in `sources`.
async fn counted_for_email(purpose: Purpose, email: &str, sources: &[IpAddr]) -> Result<(i64, Vec<i64>)> {
    let email: Email = email.parse()?;
    let window = purpose.policy().window(now());
    let (pk, sk) = rate_limit::email_counter_key(purpose, &email, window);
    ensure!(pk.starts_with("RATE#") && !pk.contains('@'), "{pk}");
    let numbers = counter(pk, sk, window.end).await?.unwrap_or_default();
    let of = |name: &str| numbers.get(name).copied().unwrap_or(0);
    let by_source = sources.iter().map(|ip| of(&rate_limit::source_attribute(SourceAddress::from_ip(*ip)))).collect();
    Ok((of("attempts"), by_source))
}

/// What the source's counter of `purpose` (across emails) holds in the current window.
async fn counted_for_source(purpose: Purpose, source: IpAddr) -> Result<i64> {
    let window = purpose.policy().window(now());
    let (pk, sk) = rate_limit::source_counter_key(purpose, SourceAddress::from_ip(source), window);
    ensure!(!pk.contains("127."), "{pk}");
    Ok(counter(pk, sk, window.end).await?.and_then(|n| n.get("attempts").copied()).unwrap_or(0))
}

fn fresh_email(prefix: &str) -> String {
    format!("{}@limits.example", unique(prefix))
}

/// A staff account of `t`'s tenant that has not signed in yet.
async fn new_staff(t: &TenantFixture) -> Result<String> {
    let email = fresh_email("staff");
    xtask::seed::Seeder::new(&env().stack).await.staff(t.tenant.id, &email, Role::Member, PASSWORD).await?;
    Ok(email)
}

/// Whether `password` signs `email` in to the pool of app client `client_id` (tokens, not a
/// challenge), asked of Cognito directly (not through the API, whose attempts count).
async fn password_works(client_id: &str, email: &str, password: &str) -> Result<bool> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await);
    let outcome = cognito
        .initiate_auth()
        .client_id(client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await;
    Ok(outcome.is_ok_and(|o| o.authentication_result.is_some()))
}

async fn customer_password_works(email: &str, password: &str) -> Result<bool> {
    password_works(&env().stack.customer_pool.client_id, email, password).await
}

async fn staff_password_works(email: &str, password: &str) -> Result<bool> {
    password_works(&env().stack.staff_pool.client_id, email, password).await
}

fn login(email: &str, password: &str) -> Value {
    json!({ "email": email, "password": password })
}

#[tokio::test]
async fn a_flood_of_wrong_passwords_from_one_source_does_not_lock_a_staff_member_out() -> Result<()> {
    let policy = Purpose::StaffLogin.policy();
    let t = tenant_fixture().await?;
    let (known, other) = (new_staff(&t).await?, new_staff(&t).await?);
    let unknown = fresh_email("nobody");
    let attacker = ip(1, 2);
    fresh_window(policy, Duration::from_secs(120)).await;
    let path = "/auth/staff/login";

    // The attacker knows the address: wrong passwords until refused, and the same for an
    // email that has no account.
    for _ in 0..policy.per_source_and_email {
        assert_eq!(post_from(attacker, path, &login(&known, WRONG)).await?.status, 401);
        assert_eq!(post_from(attacker, path, &login(&unknown, WRONG)).await?.status, 401);
    }
    // From that source even the right password is refused now: no tokens.
    let refused = post_from(attacker, path, &login(&known, PASSWORD)).await?;
    assert_limited(&refused, policy);
    assert!(refused.json.get("accessToken").is_none());
    let unknown_refused = post_from(attacker, path, &login(&unknown, WRONG)).await?;
    assert_limited(&unknown_refused, policy);
    assert_alike(&refused, &unknown_refused);

    // The staff member, from their own address, signs in: the flood did not lock them out.
    let signed_in = post_from(HOME, path, &login(&known, PASSWORD)).await?;
    assert_eq!(signed_in.status, 200, "{}", signed_in.json);
    assert!(signed_in.json["accessToken"].is_string());
    // Another email signs in from the attacker's address (its limit is per email).
    assert_eq!(post_from(attacker, path, &login(&other, PASSWORD)).await?.status, 200);
    // The same email on the customer side has its own counters.
    let customer = post_from(attacker, "/auth/customer/login", &login(&known, PASSWORD)).await?;
    assert_eq!(customer.status, 401, "{}", customer.json);

    // Refused attempts are not counted; the counters hold hashes, and expire with the window.
    let n = i64::from(policy.per_source_and_email);
    assert_eq!(counted_for_email(Purpose::StaffLogin, &known, &[attacker, HOME]).await?, (n + 1, vec![n, 1]));
    assert_eq!(counted_for_email(Purpose::StaffLogin, &unknown, &[attacker]).await?, (n, vec![n]));
    assert_eq!(counted_for_source(Purpose::StaffLogin, attacker).await?, 2 * n + 1);
    Ok(())
}

#[tokio::test]
async fn a_flood_of_wrong_passwords_from_one_source_does_not_lock_a_customer_out() -> Result<()> {
    let policy = Purpose::CustomerLogin.policy();
    let t = tenant_fixture().await?;
    let known = fresh_email("customer");
    let unknown = fresh_email("nobody");
    let attacker = ip(2, 2);
    fresh_window(policy, Duration::from_secs(180)).await;
    // Registering signs the customer in once (from 127.0.0.1).
    registered_customer(&t.member, &known).await?;
    let path = "/auth/customer/login";
    for _ in 0..policy.per_source_and_email {
        assert_eq!(post_from(attacker, path, &login(&known, WRONG)).await?.status, 401);
        assert_eq!(post_from(attacker, path, &login(&unknown, WRONG)).await?.status, 401);
    }
    let refused = post_from(attacker, path, &login(&known, CUSTOMER_PASSWORD)).await?;
    assert_limited(&refused, policy);
    let unknown_refused = post_from(attacker, path, &login(&unknown, WRONG)).await?;
    assert_limited(&unknown_refused, policy);
    assert_alike(&refused, &unknown_refused);
    // The password itself is fine: only the API refused that source, before asking Cognito.
    assert!(customer_password_works(&known, CUSTOMER_PASSWORD).await?);

    // The customer, from anywhere else, signs in.
    for home in [HOME, ip(2, 3)] {
        let signed_in = post_from(home, path, &login(&known, CUSTOMER_PASSWORD)).await?;
        assert_eq!(signed_in.status, 200, "{}", signed_in.json);
    }
    Ok(())
}

#[tokio::test]
async fn guessing_spread_over_many_sources_stops_at_the_email_ceiling() -> Result<()> {
    let policy = Purpose::StaffLogin.policy();
    let t = tenant_fixture().await?;
    let known = fresh_email("target");
    xtask::seed::Seeder::new(&env().stack).await.staff(t.tenant.id, &known, Role::Member, PASSWORD).await?;
    let sources: Vec<IpAddr> = (1..=policy.sources_to_lock_out() as u8).map(|host| ip(3, host)).collect();
    fresh_window(policy, Duration::from_secs(180)).await;
    let path = "/auth/staff/login";
    // Each source stays within its own limit; together they reach the email's ceiling.
    for source in &sources {
        for _ in 0..policy.per_source_and_email {
            assert_eq!(post_from(*source, path, &login(&known, WRONG)).await?.status, 401);
        }
    }
    let per_source = vec![i64::from(policy.per_source_and_email); sources.len()];
    assert_eq!(
        counted_for_email(Purpose::StaffLogin, &known, &sources).await?,
        (i64::from(policy.per_email), per_source)
    );
    // Past the ceiling, a new source is refused too, right password or not: the guessing
    // stops (the price of the ceiling: so does the owner, until the window ends).
    for source in [ip(3, 200), HOME] {
        assert_limited(&post_from(source, path, &login(&known, PASSWORD)).await?, policy);
    }
    assert_limited(&post_from(ip(3, 201), path, &login(&known, WRONG)).await?, policy);
    let (total, _) = counted_for_email(Purpose::StaffLogin, &known, &[]).await?;
    assert_eq!(total, i64::from(policy.per_email), "a refused attempt was counted");
    // Nothing of this reached the sources' counts of other emails.
    assert_eq!(post_from(sources[0], path, &login(&new_staff(&t).await?, PASSWORD)).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn one_source_is_bounded_across_emails_and_its_refused_attempts_count_nowhere() -> Result<()> {
    let policy = Purpose::ResendCode.policy();
    let stuffer = ip(4, 2);
    fresh_window(policy, Duration::from_secs(240)).await;
    let resend = |from: IpAddr, email: String| async move {
        post_from(from, "/registration/resend", &json!({ "email": email })).await
    };
    // One attempt each at many emails (credential stuffing's shape).
    for _ in 0..policy.per_source {
        let answer = resend(stuffer, fresh_email("stuffed")).await?;
        assert_eq!(answer.status, 202, "{}", answer.json);
    }
    let fresh = fresh_email("fresh");
    assert_limited(&resend(stuffer, fresh.clone()).await?, policy);
    assert_eq!(counted_for_source(Purpose::ResendCode, stuffer).await?, i64::from(policy.per_source));
    // The refused attempt was taken back from the email's counter: it spent nothing of it.
    assert_eq!(counted_for_email(Purpose::ResendCode, &fresh, &[stuffer]).await?, (0, vec![0]));
    // That email, from another source, is served.
    assert_eq!(resend(ip(4, 3), fresh.clone()).await?.status, 202);
    assert_eq!(counted_for_email(Purpose::ResendCode, &fresh, &[stuffer, ip(4, 3)]).await?, (1, vec![0, 1]));
    Ok(())
}

/// The customer's or the staff's password-recovery routes, with what differs between them.
#[derive(Clone, Copy)]
enum Side {
    Customer,
    Staff,
}

impl Side {
    fn path(self, action: &str) -> String {
        match self {
            Side::Customer => format!("/auth/customer/{action}"),
            Side::Staff => format!("/auth/staff/{action}"),
        }
    }

    fn other(self) -> Side {
        match self {
            Side::Customer => Side::Staff,
            Side::Staff => Side::Customer,
        }
    }

    fn forgot_purpose(self) -> Purpose {
        match self {
            Side::Customer => Purpose::ForgotPassword,
            Side::Staff => Purpose::StaffForgotPassword,
        }
    }

    fn reset_purpose(self) -> Purpose {
        match self {
            Side::Customer => Purpose::ResetPassword,
            Side::Staff => Purpose::StaffResetPassword,
        }
    }

    async fn password_works(self, email: &str, password: &str) -> Result<bool> {
        match self {
            Side::Customer => customer_password_works(email, password).await,
            Side::Staff => staff_password_works(email, password).await,
        }
    }

    /// A fresh account of this side in `t`'s company (a registered customer, or a staff
    /// member who has not signed in yet) and its password.
    async fn account(self, t: &TenantFixture) -> Result<(String, &'static str)> {
        match self {
            Side::Customer => {
                let email = fresh_email("recover");
                registered_customer(&t.member, &email).await?;
                Ok((email, CUSTOMER_PASSWORD))
            }
            Side::Staff => Ok((new_staff(t).await?, PASSWORD)),
        }
    }
}

/// Forgotten-password requests of `side`, from loopback addresses `127.0.{test}.x`: limited
/// per source and email with the same answer for an unknown email, no lock-out (the owner
/// still gets a code from their own address), and counters apart from the other side's.
async fn forgotten_password_requests_are_limited(side: Side, test: u8) -> Result<()> {
    let policy = side.forgot_purpose().policy();
    assert_eq!(policy, side.other().forgot_purpose().policy(), "the same policy on both sides");
    let t = tenant_fixture().await?;
    let unknown = fresh_email("nobody");
    let (attacker, owner) = (ip(test, 2), ip(test, 1));
    fresh_window(policy, Duration::from_secs(180)).await;
    let (known, _) = side.account(&t).await?;
    let forgot = |from: IpAddr, side: Side, email: &str| {
        let (path, body) = (side.path("forgot-password"), json!({ "email": email }));
        async move { post_from(from, &path, &body).await }
    };
    for _ in 0..policy.per_source_and_email {
        let (a, b) = (forgot(attacker, side, &known).await?, forgot(attacker, side, &unknown).await?);
        assert_eq!(a.status, 202, "{}", a.json);
        assert_eq!(a.body, b.body);
    }
    let (refused, unknown_refused) = (forgot(attacker, side, &known).await?, forgot(attacker, side, &unknown).await?);
    assert_limited(&refused, policy);
    assert_limited(&unknown_refused, policy);
    assert_alike(&refused, &unknown_refused);
    // The owner still gets a code from their own address, and the attacker may ask for
    // another email; the other side's route has its own counters, which were not spent.
    assert_eq!(forgot(owner, side, &known).await?.status, 202);
    assert_eq!(forgot(attacker, side, &fresh_email("other")).await?.status, 202);
    assert_eq!(forgot(attacker, side.other(), &known).await?.status, 202);
    let n = i64::from(policy.per_source_and_email);
    assert_eq!(counted_for_email(side.forgot_purpose(), &known, &[attacker, owner]).await?, (n + 1, vec![n, 1]));
    assert_eq!(counted_for_email(side.other().forgot_purpose(), &known, &[attacker]).await?, (1, vec![1]));
    assert_eq!(counted_for_source(side.forgot_purpose(), attacker).await?, 2 * n + 1);
    Ok(())
}

/// Reset codes of `side`, from loopback addresses `127.0.{test}.x`: limited per source and
/// email alike for an unknown email, a refused reset changes no password, its attempts
/// count on this side only, and the owner still resets from their own address.
async fn reset_codes_are_limited(side: Side, test: u8) -> Result<()> {
    let policy = side.reset_purpose().policy();
    assert_eq!(policy, side.other().reset_purpose().policy(), "the same policy on both sides");
    let t = tenant_fixture().await?;
    let unknown = fresh_email("nobody");
    let (attacker, owner) = (ip(test, 2), ip(test, 1));
    fresh_window(policy, Duration::from_secs(180)).await;
    let (known, password) = side.account(&t).await?;
    post_from(owner, &side.path("forgot-password"), &json!({ "email": known })).await?;
    let reset = |from: IpAddr, email: &str, password: &str| {
        let (path, body) =
            (side.path("reset-password"), json!({ "email": email, "code": "123456", "newPassword": password }));
        async move { post_from(from, &path, &body).await }
    };
    // (moto takes any code here; on AWS a wrong one is a 422. Either way the attempt counts.)
    let mut current = password.to_owned();
    for attempt in 0..policy.per_source_and_email {
        let password = format!("Reset-Passw0rd!{attempt}");
        let answer = reset(attacker, &known, &password).await?;
        assert!(matches!(answer.status, 204 | 422), "{answer:?}");
        assert_eq!(reset(attacker, &unknown, &password).await?.status, 422);
        if answer.status == 204 {
            current = password;
        }
    }
    let refused = reset(attacker, &known, "Never-Applied-Passw0rd!1").await?;
    assert_limited(&refused, policy);
    let unknown_refused = reset(attacker, &unknown, "Never-Applied-Passw0rd!1").await?;
    assert_limited(&unknown_refused, policy);
    assert_alike(&refused, &unknown_refused);
    assert!(side.password_works(&known, &current).await?, "the password changed");
    assert!(!side.password_works(&known, "Never-Applied-Passw0rd!1").await?);
    let n = i64::from(policy.per_source_and_email);
    assert_eq!(counted_for_email(side.reset_purpose(), &known, &[attacker]).await?, (n, vec![n]));
    assert_eq!(counted_for_email(side.other().reset_purpose(), &known, &[attacker]).await?, (0, vec![0]));

    // The owner, from their own address, still enters their code.
    let chosen = reset(owner, &known, "Owner-Chose-Passw0rd!1").await?;
    assert_ne!(chosen.status, 429, "{}", chosen.json);
    if chosen.status == 204 {
        assert!(side.password_works(&known, "Owner-Chose-Passw0rd!1").await?);
    }
    Ok(())
}

#[tokio::test]
async fn forgotten_password_requests_are_limited_per_source_and_email_and_do_not_lock_out() -> Result<()> {
    forgotten_password_requests_are_limited(Side::Customer, 5).await
}

#[tokio::test]
async fn reset_codes_are_limited_a_refused_reset_changes_no_password_and_the_owner_still_resets() -> Result<()> {
    reset_codes_are_limited(Side::Customer, 6).await
}

#[tokio::test]
async fn staff_forgotten_password_requests_are_limited_per_source_and_email_apart_from_customers() -> Result<()> {
    forgotten_password_requests_are_limited(Side::Staff, 11).await
}

#[tokio::test]
async fn staff_reset_codes_are_limited_a_refused_reset_changes_no_password_and_the_owner_still_resets() -> Result<()> {
    reset_codes_are_limited(Side::Staff, 12).await
}

/// A contact of `t` with `email` whose access is open: the token of its invitation.
async fn invited(t: &TenantFixture, email: &str) -> Result<(String, String)> {
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Limited" })).await?.expect(201)?;
    let id = contact["id"].as_str().context("no id")?.to_owned();
    t.member.send(Method::POST, &format!("/contacts/{id}/access"), None).await?.expect(200)?;
    Ok((id, invitation_token(email).await?))
}

#[tokio::test]
async fn registration_is_limited_per_source_and_invited_email_and_the_owner_still_registers() -> Result<()> {
    let policy = Purpose::Register.policy();
    let (first, second) = (tenant_fixture().await?, tenant_fixture().await?);
    let email = fresh_email("twice");
    let attacker = ip(7, 2);
    fresh_window(policy, Duration::from_secs(240)).await;
    // An account from the first company's invitation (one registration attempt)…
    let (customer, _) = registered_customer(&first.member, &email).await?;
    // …and the second company's invitation, guessed at with wrong passwords by whoever got
    // hold of the link.
    let (contact, token) = invited(&second, &email).await?;
    let register = |from: IpAddr, password: &str| {
        let body = json!({ "token": token, "password": password });
        async move { post_from(from, "/registration", &body).await }
    };
    for _ in 0..policy.per_source_and_email {
        assert_eq!(register(attacker, "Not-The-Passw0rd!").await?.status, 422);
    }
    assert_limited(&register(attacker, CUSTOMER_PASSWORD).await?, policy);
    // Nothing was linked: the contact still waits, the link is unused, one company.
    let waiting = second.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
    assert_eq!(waiting["accessStatus"], "pending");
    let stored = second.store.invitation_token(&portal_shared::tokens::hash(&token)).await?.context("no token")?;
    assert!(stored.used_at.is_none());
    assert_eq!(customer.get("/portal/me").await?.expect(200)?["companies"].as_array().map(Vec::len), Some(1));

    // The customer, from their own address, links the second company with their password.
    let linked = register(ip(7, 1), CUSTOMER_PASSWORD).await?;
    assert_eq!(linked.status, 200, "{}", linked.json);
    assert_eq!(linked.json["status"], "active");
    assert_eq!(customer.get("/portal/me").await?.expect(200)?["companies"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn confirmation_codes_are_limited_a_refused_code_confirms_nothing_and_the_owner_still_confirms() -> Result<()> {
    let policy = Purpose::ConfirmSignup.policy();
    let t = tenant_fixture().await?;
    let known = fresh_email("confirm");
    let unknown = fresh_email("nobody");
    let attacker = ip(8, 2);
    fresh_window(policy, Duration::from_secs(180)).await;
    let confirm = |from: IpAddr, email: &str| {
        let body = json!({ "email": email, "code": "123456" });
        async move { post_from(from, "/registration/confirm", &body).await }
    };
    // Guessed at before the account even exists: every attempt counts.
    for _ in 0..policy.per_source_and_email {
        assert_eq!(confirm(attacker, &known).await?.status, 422);
        assert_eq!(confirm(attacker, &unknown).await?.status, 422);
    }
    let (contact, token) = invited(&t, &known).await?;
    let registered =
        post_from(ip(8, 1), "/registration", &json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?;
    assert_eq!(registered.status, 202, "{}", registered.json);
    // (moto confirms with any code: past the limit this one would have.)
    let refused = confirm(attacker, &known).await?;
    assert_limited(&refused, policy);
    let unknown_refused = confirm(attacker, &unknown).await?;
    assert_limited(&unknown_refused, policy);
    assert_alike(&refused, &unknown_refused);
    let waiting = t.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
    assert_eq!(waiting["accessStatus"], "pending");
    let user = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await)
        .admin_get_user()
        .user_pool_id(&env().stack.customer_pool.id)
        .username(&known)
        .send()
        .await?;
    assert_eq!(user.user_status().map(|s| s.as_str()), Some("UNCONFIRMED"));

    // The customer, from their own address, confirms: the access becomes active.
    let confirmed = confirm(ip(8, 1), &known).await?;
    assert_eq!(confirmed.status, 200, "{}", confirmed.json);
    let active = t.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
    assert_eq!(active["accessStatus"], "active");
    Ok(())
}

#[tokio::test]
async fn resending_the_code_is_limited_a_refused_resend_sends_nothing_and_the_owner_still_gets_one() -> Result<()> {
    let policy = Purpose::ResendCode.policy();
    let t = tenant_fixture().await?;
    let known = fresh_email("resend");
    let unknown = fresh_email("nobody");
    let attacker = ip(9, 2);
    fresh_window(policy, Duration::from_secs(180)).await;
    let (_, token) = invited(&t, &known).await?;
    post_from(ip(9, 1), "/registration", &json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?;
    let mails = emails_to(&known).await?.len();
    let resend = |from: IpAddr, email: &str| {
        let body = json!({ "email": email });
        async move { post_from(from, "/registration/resend", &body).await }
    };
    for _ in 0..policy.per_source_and_email {
        let (a, b) = (resend(attacker, &known).await?, resend(attacker, &unknown).await?);
        assert_ne!(a.status, 429, "{}", a.json);
        assert_eq!((a.status, &a.body), (b.status, &b.body));
    }
    let refused = resend(attacker, &known).await?;
    assert_limited(&refused, policy);
    let unknown_refused = resend(attacker, &unknown).await?;
    assert_limited(&unknown_refused, policy);
    assert_alike(&refused, &unknown_refused);
    assert_eq!(emails_to(&known).await?.len(), mails, "a refused resend sent an email");
    // The customer, from their own address, still gets the code sent.
    assert_eq!(resend(ip(9, 1), &known).await?.status, 202);
    Ok(())
}

#[tokio::test]
async fn concurrent_attempts_never_pass_more_than_a_limit() -> Result<()> {
    // One source at one email: exactly its own limit passes.
    for (purpose, path, body, from) in [
        (Purpose::StaffLogin, "/auth/staff/login", login(&fresh_email("burst"), PASSWORD), ip(10, 1)),
        (Purpose::ResendCode, "/registration/resend", json!({ "email": fresh_email("burst") }), ip(10, 2)),
    ] {
        let policy = purpose.policy();
        fresh_window(policy, Duration::from_secs(90)).await;
        let answers = futures::future::join_all((0..30).map(|_| post_from(from, path, &body))).await;
        let answers: Vec<Answer> = answers.into_iter().collect::<Result<_>>()?;
        let refused = answers.iter().filter(|a| a.status == 429).count();
        let passed = answers.len() - refused;
        assert_eq!(passed, policy.per_source_and_email as usize, "{path}: {passed} of 30 passed");
        for answer in answers.iter().filter(|a| a.status == 429) {
            assert_limited(answer, policy);
        }
        let email = body["email"].as_str().unwrap();
        let n = i64::from(policy.per_source_and_email);
        assert_eq!(counted_for_email(purpose, email, &[from]).await?, (n, vec![n]), "{path}");
    }

    // Many sources at one email, all at once: exactly the email's ceiling passes, and no
    // source more than its own limit.
    let policy = Purpose::ResendCode.policy();
    fresh_window(policy, Duration::from_secs(90)).await;
    let email = fresh_email("ceiling");
    let body = json!({ "email": email });
    let sources: Vec<IpAddr> = (0..policy.sources_to_lock_out() as u8 + 2).map(|host| ip(10, 10 + host)).collect();
    let attempts = sources.iter().flat_map(|source| (0..8).map(move |_| *source));
    let answers = futures::future::join_all(attempts.map(|source| {
        let body = body.clone();
        async move { post_from(source, "/registration/resend", &body).await.map(|a| (source, a)) }
    }))
    .await;
    let answers: Vec<(IpAddr, Answer)> = answers.into_iter().collect::<Result<_>>()?;
    let passed: Vec<IpAddr> = answers.iter().filter(|(_, a)| a.status != 429).map(|(source, _)| *source).collect();
    assert_eq!(passed.len(), policy.per_email as usize, "{} of {} passed", passed.len(), answers.len());
    let (total, by_source) = counted_for_email(Purpose::ResendCode, &email, &sources).await?;
    assert_eq!(total, i64::from(policy.per_email));
    for (source, counted) in sources.iter().zip(&by_source) {
        let n = passed.iter().filter(|s| *s == source).count() as i64;
        assert!(n <= i64::from(policy.per_source_and_email), "{source}: {n} passed");
        assert_eq!(*counted, n, "{source}");
    }
    Ok(())
}

//! Per-email rate limits of sign-in, password reset and registration
//! (`portal_shared::rate_limit`): past the limit every route answers 429 problem+json with
//! `Retry-After`, the same for an existing and an unknown email; another email is not
//! affected; the refused request does nothing else (no sign-in, no password change, no
//! confirmation, no link); concurrent attempts never pass more than the limit.
//!
//! The counters are fixed windows of the wall clock, so each test first makes sure the
//! current window has time left for it (or waits for the next), and uses fresh emails.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use aws_sdk_dynamodb::types::AttributeValue;
use portal_shared::domain::{Email, Role};
use portal_shared::rate_limit::{self, Limit, Purpose};
use portal_tests::{
    CUSTOMER_PASSWORD, PASSWORD, TenantFixture, emails_to, env, invitation_token, registered_customer, sdk,
    tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;

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

async fn post(path: &str, body: Value) -> Result<Answer> {
    let sent = now();
    let response = reqwest::Client::new().post(format!("{}{path}", env().api_url)).json(&body).send().await?;
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

/// Waits, if need be, until the current window of `limit` has at least `needed` left.
async fn fresh_window(limit: Limit, needed: Duration) {
    let left = limit.window(now()).end - now();
    if left < needed.as_secs() as i64 {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

/// A 429 of the rate limit, with a wait that ends with the current window.
fn assert_limited(answer: &Answer, limit: Limit) {
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.content_type, "application/problem+json");
    assert_eq!(answer.json["type"], "/problems/too-many-requests", "{}", answer.json);
    assert_eq!(answer.json["status"], 429);
    assert!(answer.json["title"].is_string() && answer.json["detail"].is_string(), "{}", answer.json);
    let wait = answer.retry_after.expect("a Retry-After header") as i64;
    // The server counted down from a moment between sending and arrival (a loaded machine
    // can take seconds to answer), ±1 s for its rounding.
    let end = limit.window(answer.at).end;
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

/// The stored attempt count of `purpose` for `email` in the current window.
async fn counted(purpose: Purpose, email: &str) -> Result<Option<(u32, i64)>> {
    let email: Email = email.parse()?;
    let window = purpose.limit().window(now());
    let (pk, sk) = rate_limit::counter_key(purpose, &email, window);
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
    let number = |name: &str| -> Result<String> {
        Ok(item.get(name).and_then(|v| v.as_n().ok()).with_context(|| format!("no {name} in {item:?}"))?.clone())
    };
    let attempts = number("attempts")?.parse()?;
    let expires_at = number("expiresAt")?.parse()?;
    ensure!(expires_at == window.end, "expiresAt {expires_at} is not the window's end {}", window.end);
    Ok(Some((attempts, expires_at)))
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

/// Whether `password` signs `email` in to the customer pool, asked of Cognito directly
/// (not through the API, whose attempts count).
async fn customer_password_works(email: &str, password: &str) -> Result<bool> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await);
    let outcome = cognito
        .initiate_auth()
        .client_id(&env().stack.customer_pool.client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await;
    Ok(outcome.is_ok())
}

#[tokio::test]
async fn staff_sign_in_is_limited_per_email_alike_for_known_and_unknown_emails() -> Result<()> {
    let limit = Purpose::StaffLogin.limit();
    let t = tenant_fixture().await?;
    let (known, other) = (new_staff(&t).await?, new_staff(&t).await?);
    let unknown = fresh_email("nobody");
    fresh_window(limit, Duration::from_secs(120)).await;
    let login =
        |email: &str, password: &str| post("/auth/staff/login", json!({ "email": email, "password": password }));

    // Every attempt counts, a successful one too.
    assert_eq!(login(&known, PASSWORD).await?.status, 200);
    for _ in 1..limit.max_attempts {
        assert_eq!(login(&known, "Wrong-Passw0rd!").await?.status, 401);
    }
    for _ in 0..limit.max_attempts {
        assert_eq!(login(&unknown, "Wrong-Passw0rd!").await?.status, 401);
    }
    // At the limit even the right password is refused: no tokens.
    let refused = login(&known, PASSWORD).await?;
    assert_limited(&refused, limit);
    assert!(refused.json.get("accessToken").is_none());
    let unknown_refused = login(&unknown, "Wrong-Passw0rd!").await?;
    assert_limited(&unknown_refused, limit);
    assert_alike(&refused, &unknown_refused);
    // Refused attempts are not counted; the counter is keyed by the email's hash and expires
    // with its window.
    assert_eq!(counted(Purpose::StaffLogin, &known).await?.map(|c| c.0), Some(limit.max_attempts));
    assert_eq!(counted(Purpose::StaffLogin, &unknown).await?.map(|c| c.0), Some(limit.max_attempts));

    // Another email signs in; the same email on the customer side has its own counter.
    assert_eq!(login(&other, PASSWORD).await?.status, 200);
    let customer = post("/auth/customer/login", json!({ "email": known, "password": PASSWORD })).await?;
    assert_eq!(customer.status, 401, "{}", customer.json);
    Ok(())
}

#[tokio::test]
async fn customer_sign_in_is_limited_per_email_alike_for_known_and_unknown_emails() -> Result<()> {
    let limit = Purpose::CustomerLogin.limit();
    let t = tenant_fixture().await?;
    let (known, other) = (fresh_email("customer"), fresh_email("other"));
    let unknown = fresh_email("nobody");
    fresh_window(limit, Duration::from_secs(180)).await;
    // Registering signs the customer in once.
    registered_customer(&t.member, &known).await?;
    let login =
        |email: &str, password: &str| post("/auth/customer/login", json!({ "email": email, "password": password }));
    for _ in 1..limit.max_attempts {
        assert_eq!(login(&known, "Wrong-Passw0rd!1").await?.status, 401);
    }
    for _ in 0..limit.max_attempts {
        assert_eq!(login(&unknown, "Wrong-Passw0rd!1").await?.status, 401);
    }
    let refused = login(&known, CUSTOMER_PASSWORD).await?;
    assert_limited(&refused, limit);
    let unknown_refused = login(&unknown, "Wrong-Passw0rd!1").await?;
    assert_limited(&unknown_refused, limit);
    assert_alike(&refused, &unknown_refused);
    // The password itself is fine: only the API refuses, before asking Cognito.
    assert!(customer_password_works(&known, CUSTOMER_PASSWORD).await?);

    registered_customer(&t.member, &other).await?;
    assert_eq!(login(&other, CUSTOMER_PASSWORD).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn forgotten_password_requests_are_limited_per_email() -> Result<()> {
    let limit = Purpose::ForgotPassword.limit();
    let t = tenant_fixture().await?;
    let known = fresh_email("forgot");
    let unknown = fresh_email("nobody");
    fresh_window(limit, Duration::from_secs(180)).await;
    registered_customer(&t.member, &known).await?;
    let forgot = |email: &str| post("/auth/customer/forgot-password", json!({ "email": email }));
    for _ in 0..limit.max_attempts {
        let (a, b) = (forgot(&known).await?, forgot(&unknown).await?);
        assert_eq!(a.status, 202, "{}", a.json);
        assert_eq!(a.body, b.body);
    }
    let (refused, unknown_refused) = (forgot(&known).await?, forgot(&unknown).await?);
    assert_limited(&refused, limit);
    assert_limited(&unknown_refused, limit);
    assert_alike(&refused, &unknown_refused);
    assert_eq!(forgot(&fresh_email("other")).await?.status, 202);
    Ok(())
}

#[tokio::test]
async fn reset_codes_are_limited_and_a_refused_reset_changes_no_password() -> Result<()> {
    let limit = Purpose::ResetPassword.limit();
    let t = tenant_fixture().await?;
    let known = fresh_email("reset");
    let unknown = fresh_email("nobody");
    fresh_window(limit, Duration::from_secs(180)).await;
    registered_customer(&t.member, &known).await?;
    post("/auth/customer/forgot-password", json!({ "email": known })).await?;
    let reset = |email: &str, password: &str| {
        post("/auth/customer/reset-password", json!({ "email": email, "code": "123456", "newPassword": password }))
    };
    // (moto takes any code here; on AWS a wrong one is a 422. Either way the attempt counts.)
    let mut current = CUSTOMER_PASSWORD.to_owned();
    for attempt in 0..limit.max_attempts {
        let password = format!("Reset-Passw0rd!{attempt}");
        let answer = reset(&known, &password).await?;
        assert!(matches!(answer.status, 204 | 422), "{answer:?}");
        assert_eq!(reset(&unknown, &password).await?.status, 422);
        if answer.status == 204 {
            current = password;
        }
    }
    let refused = reset(&known, "Never-Applied-Passw0rd!1").await?;
    assert_limited(&refused, limit);
    let unknown_refused = reset(&unknown, "Never-Applied-Passw0rd!1").await?;
    assert_limited(&unknown_refused, limit);
    assert_alike(&refused, &unknown_refused);
    assert!(customer_password_works(&known, &current).await?, "the password changed");
    assert!(!customer_password_works(&known, "Never-Applied-Passw0rd!1").await?);
    assert_eq!(reset(&fresh_email("other"), "Other-Passw0rd!1").await?.status, 422);
    Ok(())
}

/// A contact of `t` with `email` whose access is open: the token of its invitation.
async fn invited(t: &TenantFixture, email: &str) -> Result<(String, String)> {
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Limited" })).await?.expect(201)?;
    let id = contact["id"].as_str().context("no id")?.to_owned();
    t.member.send(Method::POST, &format!("/contacts/{id}/access"), None).await?.expect(200)?;
    Ok((id, invitation_token(email).await?))
}

#[tokio::test]
async fn registration_is_limited_per_invited_email_and_a_refused_one_links_nothing() -> Result<()> {
    let limit = Purpose::Register.limit();
    let (first, second) = (tenant_fixture().await?, tenant_fixture().await?);
    let email = fresh_email("twice");
    fresh_window(limit, Duration::from_secs(240)).await;
    // An account from the first company's invitation (one registration attempt)…
    let (customer, _) = registered_customer(&first.member, &email).await?;
    // …and the second company's invitation, guessed at with wrong passwords.
    let (contact, token) = invited(&second, &email).await?;
    let register = |password: &str| post("/registration", json!({ "token": token, "password": password }));
    for _ in 1..limit.max_attempts {
        assert_eq!(register("Not-The-Passw0rd!").await?.status, 422);
    }
    assert_limited(&register(CUSTOMER_PASSWORD).await?, limit);
    // Nothing was linked: the contact still waits, the link is unused, one company.
    let waiting = second.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
    assert_eq!(waiting["accessStatus"], "pending");
    let stored = second.store.invitation_token(&portal_shared::tokens::hash(&token)).await?.context("no token")?;
    assert!(stored.used_at.is_none());
    assert_eq!(customer.get("/portal/me").await?.expect(200)?["companies"].as_array().map(Vec::len), Some(1));

    // Another invited email registers.
    let other = fresh_email("other");
    let (_, other_token) = invited(&second, &other).await?;
    let registered = post("/registration", json!({ "token": other_token, "password": CUSTOMER_PASSWORD })).await?;
    assert_eq!(registered.status, 202, "{}", registered.json);
    Ok(())
}

#[tokio::test]
async fn confirmation_codes_are_limited_and_a_refused_code_confirms_nothing() -> Result<()> {
    let limit = Purpose::ConfirmSignup.limit();
    let t = tenant_fixture().await?;
    let known = fresh_email("confirm");
    let unknown = fresh_email("nobody");
    fresh_window(limit, Duration::from_secs(180)).await;
    let confirm = |email: &str| post("/registration/confirm", json!({ "email": email, "code": "123456" }));
    // Guessed at before the account even exists: every attempt counts.
    for _ in 0..limit.max_attempts {
        assert_eq!(confirm(&known).await?.status, 422);
        assert_eq!(confirm(&unknown).await?.status, 422);
    }
    let (contact, token) = invited(&t, &known).await?;
    let registered = post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?;
    assert_eq!(registered.status, 202, "{}", registered.json);
    // (moto confirms with any code: past the limit this one would have.)
    let refused = confirm(&known).await?;
    assert_limited(&refused, limit);
    let unknown_refused = confirm(&unknown).await?;
    assert_limited(&unknown_refused, limit);
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

    // Another email's code is still checked (refused as wrong, not as too many).
    assert_eq!(confirm(&fresh_email("other")).await?.status, 422);
    Ok(())
}

#[tokio::test]
async fn resending_the_code_is_limited_and_a_refused_resend_sends_nothing() -> Result<()> {
    let limit = Purpose::ResendCode.limit();
    let t = tenant_fixture().await?;
    let known = fresh_email("resend");
    let unknown = fresh_email("nobody");
    fresh_window(limit, Duration::from_secs(180)).await;
    let (_, token) = invited(&t, &known).await?;
    post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?;
    let mails = emails_to(&known).await?.len();
    let resend = |email: &str| post("/registration/resend", json!({ "email": email }));
    for _ in 0..limit.max_attempts {
        let (a, b) = (resend(&known).await?, resend(&unknown).await?);
        assert_ne!(a.status, 429, "{}", a.json);
        assert_eq!((a.status, &a.body), (b.status, &b.body));
    }
    let refused = resend(&known).await?;
    assert_limited(&refused, limit);
    let unknown_refused = resend(&unknown).await?;
    assert_limited(&unknown_refused, limit);
    assert_alike(&refused, &unknown_refused);
    assert_eq!(emails_to(&known).await?.len(), mails, "a refused resend sent an email");
    assert_ne!(resend(&fresh_email("other")).await?.status, 429);
    Ok(())
}

#[tokio::test]
async fn concurrent_attempts_never_pass_more_than_the_limit() -> Result<()> {
    for (purpose, path, body) in [
        (Purpose::StaffLogin, "/auth/staff/login", json!({ "email": fresh_email("burst"), "password": PASSWORD })),
        (Purpose::ResendCode, "/registration/resend", json!({ "email": fresh_email("burst") })),
    ] {
        let limit = purpose.limit();
        fresh_window(limit, Duration::from_secs(90)).await;
        let answers = futures::future::join_all((0..30).map(|_| post(path, body.clone()))).await;
        let answers: Vec<Answer> = answers.into_iter().collect::<Result<_>>()?;
        let refused = answers.iter().filter(|a| a.status == 429).count();
        let passed = answers.len() - refused;
        assert_eq!(passed, limit.max_attempts as usize, "{path}: {passed} of 30 passed");
        for answer in answers.iter().filter(|a| a.status == 429) {
            assert_limited(answer, limit);
        }
        let email = body["email"].as_str().unwrap();
        assert_eq!(counted(purpose, email).await?.map(|c| c.0), Some(limit.max_attempts), "{path}");
    }
    Ok(())
}

//! Company self-service sign-up (`/signup…`, the registration function) end to end: the
//! journey from the sign-up to the first share in each `CompanySignUp` mode, the unverified
//! admin refused, duplicates, a race for one slug, a fault half-way then a retry, rate
//! limits, identical answers for known and unknown emails, and spent or expired links.
//!
//! The suite's gateway runs `open`; the `invite-code` and `closed` tests start a gateway
//! of their own in that mode. Every sign-up is sent from its own loopback address
//! (`127.1.x.y`), so that the per-source limit of sign-ups (20 an hour) counts only what a
//! test means it to.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, ensure};
use local_gateway::{self as gateway, Relay, RunningGateway};
use portal_shared::signup::{SignUpMode, issue_invite_code};
use portal_shared::store::Store;
use portal_tests::{ApiResponse, PASSWORD, assert_problem, emails_to, env, items_mentioning, sdk, unique};
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// A loopback address no other sign-up of the run uses.
fn fresh_source() -> IpAddr {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    IpAddr::V4(Ipv4Addr::new(127, 1, (n / 250) as u8, (n % 250 + 1) as u8))
}

/// A request to `api` (an API base URL) from the source address `from`.
async fn send_from(
    api: &str,
    from: IpAddr,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> Result<ApiResponse> {
    let client = reqwest::Client::builder().local_address(from).build()?;
    let mut request = client.request(method, format!("{api}{path}"));
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await?;
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, content_type, retry_after) =
        (response.status().as_u16(), header("content-type").unwrap_or_default(), header("retry-after"));
    let bytes = response.bytes().await?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(ApiResponse { status, content_type, retry_after, json })
}

async fn post(api: &str, path: &str, body: &Value) -> Result<ApiResponse> {
    send_from(api, fresh_source(), reqwest::Method::POST, path, Some(body)).await
}

async fn get(api: &str, path: &str) -> Result<ApiResponse> {
    send_from(api, fresh_source(), reqwest::Method::GET, path, None).await
}

/// A sign-up's fields for a new company (`slug`) and admin (`email`).
fn form(slug: &str, email: &str) -> Value {
    json!({
        "companyName": format!("Company {slug}"),
        "slug": slug,
        "name": "Ada Admin",
        "email": email,
        "password": PASSWORD,
    })
}

fn fresh() -> (String, String) {
    let slug = unique("su");
    let email = format!("admin@{slug}.example");
    (slug, email)
}

/// The verification tokens emailed to `email` (oldest first).
async fn verification_tokens(email: &str) -> Result<Vec<String>> {
    const MARK: &str = "#verify=";
    let mut tokens = Vec::new();
    for message in emails_to(email).await? {
        let text = message["text"].as_str().unwrap_or_default();
        for word in text.split_whitespace() {
            if let Some(at) = word.find(MARK) {
                tokens.push(
                    word[at + MARK.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                        .collect(),
                );
            }
        }
    }
    Ok(tokens)
}

async fn last_token(email: &str) -> Result<String> {
    verification_tokens(email).await?.pop().with_context(|| format!("no verification email to {email}"))
}

async fn sign_in(api: &str, email: &str) -> Result<ApiResponse> {
    ApiClient::anonymous(api).post("/auth/staff/login", json!({ "email": email, "password": PASSWORD })).await
}

async fn store_for_tests() -> Store {
    Store::new(aws_sdk_dynamodb::Client::new(&sdk().await), env().stack.table.clone())
}

/// The items of the table about one slug: its guard, its tenant profile (by the name), its
/// sign-up record.
async fn items_of(slug: &str) -> Result<Vec<Value>> {
    items_mentioning(&[format!("SLUG#{slug}"), format!("Company {slug}"), format!("\"slug\":\"{slug}\"")]).await
}

/// Exactly one whole company for `slug`: one guard, one profile, one sign-up record, all
/// naming the same tenant.
async fn assert_one_company(slug: &str) -> Result<Value> {
    let items = items_of(slug).await?;
    let of = |prefix: &str| {
        items.iter().filter(|i| i["PK"].as_str().is_some_and(|pk| pk.starts_with(prefix))).cloned().collect::<Vec<_>>()
    };
    let (guards, profiles, records) = (of("SLUG#"), of("TENANT#"), of("COMPANYSIGNUP#"));
    ensure!(
        guards.len() == 1 && profiles.len() == 1 && records.len() == 1,
        "not one whole company for {slug}: {items:#?}"
    );
    let tenant = guards[0]["tenantId"].clone();
    ensure!(profiles[0]["id"] == tenant && records[0]["tenantId"] == tenant, "{items:#?}");
    Ok(records[0].clone())
}

/// Verify → sign in (empty dashboard) → invite a staff member → a contact → a first share.
async fn verify_sign_in_and_share(api: &str, slug: &str, email: &str) -> Result<()> {
    // Unverified: the admin cannot sign in, and the company is unverified.
    assert_problem(&sign_in(api, email).await?, 401);
    let record = assert_one_company(slug).await?;
    let profile = items_of(slug).await?.into_iter().find(|i| i["SK"] == "PROFILE").context("profile")?;
    assert_eq!(profile["status"], "unverified", "{profile}");
    assert!(record["sub"].is_string(), "the account is noted: {record}");
    // No portal page before the email is verified.
    assert_problem(&ApiClient::anonymous(api).get(&format!("/branding/{slug}")).await?, 404);

    let token = last_token(email).await?;
    let verified = post(api, "/signup/verify", &json!({ "token": token })).await?.expect(200)?;
    assert_eq!(verified["status"], "active");
    assert_eq!(verified["slug"], slug);
    let profile = items_of(slug).await?.into_iter().find(|i| i["SK"] == "PROFILE").context("profile")?;
    assert_eq!(profile["status"], "active", "{profile}");
    // The link works once.
    assert_problem(&post(api, "/signup/verify", &json!({ "token": token })).await?, 409);
    let branding = ApiClient::anonymous(api).get(&format!("/branding/{slug}")).await?.expect(200)?;
    assert_eq!(branding["name"], format!("Company {slug}"));

    let tokens = sign_in(api, email).await?.expect(200)?;
    let admin = ApiClient::anonymous(api).with_token(tokens["accessToken"].as_str().unwrap_or_default());
    let me = admin.get("/me").await?.expect(200)?;
    assert_eq!(me["role"], "admin", "{me}");
    assert_eq!(me["tenant"]["slug"], slug, "{me}");
    assert_eq!(me["name"], "Ada Admin", "{me}");
    // An empty dashboard of its own company.
    assert_eq!(admin.get("/contacts").await?.expect(200)?["items"], json!([]));
    assert_eq!(admin.get("/documents").await?.expect(200)?["items"], json!([]));

    let colleague = format!("colleague@{slug}.example");
    admin.post("/staff", json!({ "email": colleague, "role": "member" })).await?.expect(201)?;
    let staff = admin.get("/staff").await?.expect(200)?;
    assert_eq!(staff["items"].as_array().map(Vec::len), Some(2), "{staff}");

    let customer = format!("customer@{slug}.example");
    let contact = admin.post("/contacts", json!({ "email": customer, "name": "First Customer" })).await?.expect(201)?;
    let document = admin.upload("Welcome.txt", "text/plain", b"welcome").await?;
    let id = document["id"].as_str().unwrap_or_default().to_owned();
    admin.wait_settled(&id, portal_tests::SETTLE).await?;
    admin
        .post("/shares", json!({ "items": [{ "kind": "document", "id": id }], "contactIds": [contact["id"]] }))
        .await?
        .expect(200)?;
    let invited = emails_to(&customer).await?;
    ensure!(
        invited.iter().any(|m| m["subject"].as_str().is_some_and(|s| s.contains(&format!("Company {slug}")))),
        "no invitation from the new company: {invited:?}"
    );
    Ok(())
}

#[tokio::test]
async fn open_sign_up_verify_sign_in_invite_and_share() -> Result<()> {
    let api = &env().api_url;
    assert_eq!(get(api, "/signup").await?.expect(200)?, json!({ "mode": "open" }));
    let (slug, email) = fresh();
    assert_eq!(get(api, &format!("/signup/slugs/{slug}")).await?.expect(200)?["available"], true);
    for reserved in ["api", "admin", "www", "portal", "p"] {
        let answer = get(api, &format!("/signup/slugs/{reserved}")).await?;
        assert!(matches!(answer.status, 400 | 404), "{reserved}: {}", answer.json);
        assert_eq!(answer.content_type, "application/problem+json");
    }
    let accepted = post(api, "/signup", &form(&slug, &email)).await?.expect(202)?;
    assert_eq!(accepted, json!({ "status": "verificationSent" }));
    assert_eq!(get(api, &format!("/signup/slugs/{slug}")).await?.expect(200)?["available"], false);
    let message = emails_to(&email).await?.pop().context("verification email")?;
    assert!(message["subject"].as_str().unwrap_or_default().contains(&format!("Company {slug}")), "{message}");
    let tenant = assert_one_company(&slug).await?["tenantId"].as_str().unwrap_or_default().to_owned();
    verify_sign_in_and_share(api, &slug, &email).await?;

    // The operator's delete erases a signed-up company too: its sign-up record and spent
    // link (outside its partition) included, and its staff accounts.
    let mut line: Vec<String> =
        format!("delete {slug} --yes-i-typed-the-slug {slug}").split_whitespace().map(str::to_owned).collect();
    line.extend(["--endpoint".to_owned(), env().stack.endpoint.clone()]);
    xtask::tenant::run(xtask::tenant::args::parse(&line)?).await?;
    let left = items_mentioning(&[tenant, format!("SLUG#{slug}"), email.clone()]).await?;
    ensure!(left.is_empty(), "the deleted company left items behind: {left:#?}");
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await);
    for staff in [email.clone(), format!("colleague@{slug}.example")] {
        let found = cognito.admin_get_user().user_pool_id(&env().stack.staff_pool.id).username(&staff).send().await;
        ensure!(
            found.as_ref().err().and_then(|e| e.as_service_error()).is_some_and(|e| e.is_user_not_found_exception()),
            "{staff}'s staff account outlived its company: {found:?}"
        );
    }
    assert_eq!(get(api, &format!("/signup/slugs/{slug}")).await?.expect(200)?["available"], true);
    Ok(())
}

/// A gateway of its own whose registration function runs in `mode`.
async fn gateway_in(mode: SignUpMode) -> Result<RunningGateway> {
    gateway::start_with_signup(&sdk().await, &env().stack, 0, Relay::None, mode).await
}

#[tokio::test]
async fn invite_code_sign_up_takes_a_fresh_code_once_and_refuses_others() -> Result<()> {
    let gateway = gateway_in(SignUpMode::InviteCode).await?;
    let api = &gateway.api_url();
    assert_eq!(get(api, "/signup").await?.expect(200)?, json!({ "mode": "invite-code" }));
    let store = store_for_tests().await;
    // Issued as the operator does (`cargo xtask tenant invite-code --valid-days 7`).
    let operator = xtask::tenant::Operator::for_stack(&env().stack).await;
    let codes = operator.invite_codes(2, Some(7)).await?;
    let [code, spare] = <[String; 2]>::try_from(codes).map_err(|c| anyhow::anyhow!("{} codes", c.len()))?;
    ensure!(code != spare, "two codes alike");
    // Only the hash is stored.
    assert!(items_mentioning(std::slice::from_ref(&code)).await?.is_empty(), "the plain code is in the table");
    assert!(store.invite_code(&portal_shared::tokens::hash(&code)).await?.is_some());

    let (slug, email) = fresh();
    let refused = |body: Value| async move {
        let answer = post(api, "/signup", &body).await?;
        assert_problem(&answer, 422);
        ensure!(answer.json["detail"].as_str().unwrap_or_default().starts_with("inviteCode"), "{}", answer.json);
        Ok::<_, anyhow::Error>(())
    };
    refused(form(&slug, &email)).await?; // no code
    let mut wrong = form(&slug, &email);
    wrong["inviteCode"] = json!(portal_shared::tokens::new_token());
    refused(wrong).await?;
    let expired = issue_invite_code(&store, Some(time::Duration::seconds(-1))).await?;
    let mut late = form(&slug, &email);
    late["inviteCode"] = json!(expired);
    refused(late).await?;
    ensure!(items_of(&slug).await?.is_empty(), "a refused sign-up wrote something");

    let mut good = form(&slug, &email);
    good["inviteCode"] = json!(code);
    post(api, "/signup", &good).await?.expect(202)?;
    let used = store.invite_code(&portal_shared::tokens::hash(&code)).await?.context("code")?;
    assert_eq!(used.used_by.as_ref().map(|e| e.as_str()), Some(email.as_str()));

    // The same code again, for another company: refused, nothing written.
    let (other_slug, other_email) = fresh();
    let mut reused = form(&other_slug, &other_email);
    reused["inviteCode"] = json!(code);
    refused(reused).await?;
    ensure!(items_of(&other_slug).await?.is_empty(), "a reused code wrote something");

    // The operator's second code is still fresh: each code works once, not the batch.
    assert!(store.invite_code(&portal_shared::tokens::hash(&spare)).await?.context("spare")?.used_at.is_none());

    verify_sign_in_and_share(api, &slug, &email).await?;
    gateway.stop().await;
    Ok(())
}

#[tokio::test]
async fn closed_sign_up_is_refused_and_writes_nothing() -> Result<()> {
    let gateway = gateway_in(SignUpMode::Closed).await?;
    let api = &gateway.api_url();
    assert_eq!(get(api, "/signup").await?.expect(200)?, json!({ "mode": "closed" }));
    let (slug, email) = fresh();
    let answer = post(api, "/signup", &form(&slug, &email)).await?;
    assert_problem(&answer, 403);
    assert!(answer.json["detail"].as_str().unwrap_or_default().contains("closed"), "{}", answer.json);
    assert_problem(&get(api, &format!("/signup/slugs/{slug}")).await?, 403);
    ensure!(items_of(&slug).await?.is_empty(), "a closed sign-up wrote something");
    ensure!(emails_to(&email).await?.is_empty(), "a closed sign-up sent an email");
    gateway.stop().await;
    Ok(())
}

#[tokio::test]
async fn duplicate_emails_and_slugs_end_in_one_company() -> Result<()> {
    let api = &env().api_url;
    let (slug, email) = fresh();
    post(api, "/signup", &form(&slug, &email)).await?.expect(202)?;
    // The same sign-up again (a double submit, a retry, or someone else who knows the
    // email and slug): the same company, a new link, and the first password stays.
    let mut again = form(&slug, &email);
    again["password"] = json!("Someone-Elses-Passw0rd!");
    post(api, "/signup", &again).await?.expect(202)?;
    // The same email with another slug: the pending sign-up's link again; the slug stays free.
    let other_slug = unique("su");
    post(api, "/signup", &form(&other_slug, &email)).await?.expect(202)?;
    assert_eq!(get(api, &format!("/signup/slugs/{other_slug}")).await?.expect(200)?["available"], true);
    ensure!(items_of(&other_slug).await?.is_empty());
    assert_eq!(verification_tokens(&email).await?.len(), 3);
    assert_one_company(&slug).await?;
    // Another email, the same slug: taken.
    let taken = post(api, "/signup", &form(&slug, &format!("someone@{}.example", unique("x")))).await?;
    assert_problem(&taken, 409);
    assert_one_company(&slug).await?;
    // Any of the links verifies; the others are spent with it.
    let tokens = verification_tokens(&email).await?;
    post(api, "/signup/verify", &json!({ "token": tokens[0] })).await?.expect(200)?;
    assert_problem(&post(api, "/signup/verify", &json!({ "token": tokens[2] })).await?, 409);
    sign_in(api, &email).await?.expect(200)?;
    let other = ApiClient::anonymous(api)
        .post("/auth/staff/login", json!({ "email": email, "password": "Someone-Elses-Passw0rd!" }))
        .await?;
    assert_problem(&other, 401);
    Ok(())
}

#[tokio::test]
async fn concurrent_sign_ups_for_one_slug_make_exactly_one_company() -> Result<()> {
    let api = env().api_url.clone();
    let slug = unique("race");
    let attempts = (0..4).map(|i| {
        let (api, slug) = (api.clone(), slug.clone());
        async move { post(&api, "/signup", &form(&slug, &format!("racer{i}@{slug}.example"))).await }
    });
    let answers = futures::future::join_all(attempts).await.into_iter().collect::<Result<Vec<_>>>()?;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 3, "{statuses:?}");
    let record = assert_one_company(&slug).await?;
    // The winner's staff account is the only one, and only the winner was emailed.
    let winner = record["email"].as_str().unwrap_or_default().to_owned();
    for i in 0..4 {
        let racer = format!("racer{i}@{slug}.example");
        assert_eq!(verification_tokens(&racer).await?.is_empty(), racer != winner, "{racer}");
    }
    Ok(())
}

#[tokio::test]
async fn a_fault_half_way_then_a_retry_ends_in_one_whole_company() -> Result<()> {
    use xtask::aws_proxy::{AwsProxy, Fault};
    // Each fault in turn: Cognito at each of its three steps, then the email.
    for (service, pass) in [("cognito-idp", 0), ("cognito-idp", 1), ("cognito-idp", 2), ("ses", 0)] {
        let proxy = AwsProxy::start(&env().stack.endpoint).await?;
        let sdk = xtask::provision::sdk_config(&proxy.url()).await;
        let sdk = sdk
            .to_builder()
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_initial_backoff(std::time::Duration::from_millis(5)),
            )
            .build();
        let faulty = gateway::start_with(&sdk, &env().stack, 0, Relay::None).await?;
        proxy.fail(Some(service), pass, Fault::Throttle);
        let (slug, email) = fresh();
        let answer = post(&faulty.api_url(), "/signup", &form(&slug, &email)).await?;
        assert_problem(&answer, 503);
        assert!(sign_in(&env().api_url, &email).await?.status == 401, "{service}/{pass}: signs in half-made");
        faulty.stop().await;
        // The retry (the page's "try again") completes the same company.
        post(&env().api_url, "/signup", &form(&slug, &email)).await?.expect(202)?;
        let record = assert_one_company(&slug).await.with_context(|| format!("{service} after {pass}"))?;
        assert!(record["sub"].is_string(), "{record}");
        let token = last_token(&email).await?;
        post(&env().api_url, "/signup/verify", &json!({ "token": token })).await?.expect(200)?;
        sign_in(&env().api_url, &email).await?.expect(200)?;
    }
    Ok(())
}

#[tokio::test]
async fn answers_are_identical_for_known_and_unknown_emails() -> Result<()> {
    let api = &env().api_url;
    // A verified company's admin, a pending sign-up and a stranger.
    let (slug, verified) = fresh();
    post(api, "/signup", &form(&slug, &verified)).await?.expect(202)?;
    post(api, "/signup/verify", &json!({ "token": last_token(&verified).await? })).await?.expect(200)?;
    let (pending_slug, pending) = fresh();
    post(api, "/signup", &form(&pending_slug, &pending)).await?.expect(202)?;
    let stranger = format!("nobody@{}.example", unique("x"));
    let mut answers = Vec::new();
    for email in [&verified, &pending, &stranger] {
        let fresh_slug = unique("su");
        answers.push(post(api, "/signup", &form(&fresh_slug, email)).await?);
        answers.push(post(api, "/signup/resend", &json!({ "email": email })).await?);
    }
    for pair in answers.chunks(2) {
        assert_eq!((pair[0].status, &pair[0].json), (202, &json!({ "status": "verificationSent" })));
        assert_eq!((pair[1].status, &pair[1].json), (202, &json!({ "status": "verificationSent" })));
    }
    // A staff member of another company (seeded, no sign-up): the same answer, nothing made.
    let t = portal_tests::tenant_fixture().await?;
    let member = t.member_account.member.email.to_string();
    let (other_slug, _) = fresh();
    let answer = post(api, "/signup", &form(&other_slug, &member)).await?;
    assert_eq!((answer.status, &answer.json), (202, &json!({ "status": "verificationSent" })));
    ensure!(items_of(&other_slug).await?.is_empty(), "a sign-up for a staff member's email made a company");
    ensure!(verification_tokens(&member).await?.is_empty(), "a staff member was sent a verification link");
    // A slug another company holds: the same 409 for every email, known or not.
    let taken = t.tenant.slug.to_string();
    let mut refusals = Vec::new();
    for email in [&verified, &pending, &stranger, &member] {
        let answer = post(api, "/signup", &form(&taken, email)).await?;
        ensure!(answer.status == 409, "{email} asking for {taken}: {} {}", answer.status, answer.json);
        assert_problem(&answer, 409);
        refusals.push(answer.json);
    }
    // A verified company's own slug is no retry either.
    let answer = post(api, "/signup", &form(&slug, &verified)).await?;
    assert_problem(&answer, 409);
    refusals.push(answer.json);
    ensure!(refusals.windows(2).all(|w| w[0] == w[1]), "{refusals:#?}");
    // The member still signs in to their own company.
    let tokens = sign_in(api, &member).await?.expect(200)?;
    let me = ApiClient::anonymous(api)
        .with_token(tokens["accessToken"].as_str().unwrap_or_default())
        .get("/me")
        .await?
        .expect(200)?;
    assert_eq!(me["tenant"]["id"], t.tenant.id.to_string());
    Ok(())
}

#[tokio::test]
async fn sign_ups_are_rate_limited_per_email_and_per_source() -> Result<()> {
    let api = &env().api_url;
    let policy = portal_shared::rate_limit::COMPANY_SIGNUP;
    // One source, one email: at most `per_source_and_email` attempts an hour.
    let (slug, email) = fresh();
    let source = fresh_source();
    for _ in 0..policy.per_source_and_email {
        let answer = send_from(api, source, reqwest::Method::POST, "/signup", Some(&form(&slug, &email))).await?;
        assert_eq!(answer.status, 202, "{}", answer.json);
    }
    let refused = send_from(api, source, reqwest::Method::POST, "/signup", Some(&form(&slug, &email))).await?;
    assert_problem(&refused, 429);
    assert!(refused.retry_after.is_some());
    // An unknown email at its limit answers the same.
    let stranger = format!("nobody@{}.example", unique("x"));
    let other = fresh_source();
    for _ in 0..policy.per_source_and_email {
        send_from(api, other, reqwest::Method::POST, "/signup", Some(&form(&unique("su"), &stranger))).await?;
    }
    let refused_too =
        send_from(api, other, reqwest::Method::POST, "/signup", Some(&form(&unique("su"), &stranger))).await?;
    assert_eq!((refused_too.status, &refused_too.json), (refused.status, &refused.json));
    // One source across emails: at most `per_source`.
    let crowd = fresh_source();
    let mut statuses = Vec::new();
    for _ in 0..=policy.per_source {
        let (slug, email) = fresh();
        statuses
            .push(send_from(api, crowd, reqwest::Method::POST, "/signup", Some(&form(&slug, &email))).await?.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), policy.per_source as usize, "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429));
    Ok(())
}

#[tokio::test]
async fn expired_wrong_and_spent_links_are_refused() -> Result<()> {
    let api = &env().api_url;
    let (slug, email) = fresh();
    post(api, "/signup", &form(&slug, &email)).await?.expect(202)?;
    let record = assert_one_company(&slug).await?;
    // An expired link (its record written as the function writes them, a day in the past).
    let store = store_for_tests().await;
    let old = portal_shared::tokens::new_token();
    let expired = portal_shared::signup::VerificationToken {
        email: email.parse()?,
        tenant_id: record["tenantId"].as_str().unwrap_or_default().parse()?,
        valid_until: time::OffsetDateTime::now_utc() - time::Duration::days(1),
        used_at: None,
    };
    store.put_verification_token(&portal_shared::tokens::hash(&old), &expired).await?;
    assert_problem(&post(api, "/signup/verify", &json!({ "token": old })).await?, 410);
    assert_problem(&post(api, "/signup/verify", &json!({ "token": portal_shared::tokens::new_token() })).await?, 422);
    assert_problem(&post(api, "/signup/verify", &json!({ "token": "not a token" })).await?, 422);
    assert_problem(&sign_in(api, &email).await?, 401);
    // The good link, then again.
    let token = last_token(&email).await?;
    post(api, "/signup/verify", &json!({ "token": token })).await?.expect(200)?;
    assert_problem(&post(api, "/signup/verify", &json!({ "token": token })).await?, 409);
    // Resending for a verified company sends nothing.
    let before = verification_tokens(&email).await?.len();
    post(api, "/signup/resend", &json!({ "email": email })).await?.expect(202)?;
    assert_eq!(verification_tokens(&email).await?.len(), before);
    Ok(())
}

#[tokio::test]
async fn bad_sign_up_inputs_are_problems_and_write_nothing() -> Result<()> {
    let api = &env().api_url;
    let (slug, email) = fresh();
    let good = form(&slug, &email);
    let mut cases: Vec<(Value, u16)> = Vec::new();
    for (field, value) in [
        ("slug", json!("admin")),
        ("slug", json!("Bad Slug")),
        ("slug", json!("ab")),
        ("email", json!("not-an-email")),
        ("password", json!("weak")),
        ("password", json!("alllowercase-and-long-1!")),
        ("companyName", json!("")),
        ("name", json!(42)),
    ] {
        let mut body = good.clone();
        body[field] = value;
        cases.push((body, 422));
    }
    let mut extra = good.clone();
    extra["role"] = json!("admin");
    cases.push((extra, 422));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("password");
    cases.push((missing, 422));
    for (body, status) in cases {
        let answer = post(api, "/signup", &body).await?;
        assert!(answer.status == status || answer.status == 400, "{body}: {} {}", answer.status, answer.json);
        assert_eq!(answer.content_type, "application/problem+json", "{body}");
    }
    let raw = reqwest::Client::builder().local_address(fresh_source()).build()?;
    let answer = raw.post(format!("{api}/signup")).header("content-type", "text/plain").body("x").send().await?;
    assert_eq!(answer.status().as_u16(), 415);
    ensure!(items_of(&slug).await?.is_empty(), "a refused sign-up wrote something");
    ensure!(emails_to(&email).await?.is_empty(), "a refused sign-up sent an email");
    // Tokens of any caller change nothing on the public routes: the staff token of another
    // company signs up nobody into that company.
    let t = portal_tests::tenant_fixture().await?;
    let answer = t.admin.post("/signup", form(&slug, &email)).await?;
    assert!(matches!(answer.status, 202 | 429), "{}", answer.json);
    let me = t.admin.get("/me").await?.expect(200)?;
    assert_eq!(me["tenant"]["id"], t.tenant.id.to_string());
    Ok(())
}

#[tokio::test]
async fn an_abandoned_sign_up_gives_its_slug_to_the_next_one() -> Result<()> {
    let api = &env().api_url;
    let (slug, first) = fresh();
    post(api, "/signup", &form(&slug, &first)).await?.expect(202)?;
    let first_link = last_token(&first).await?;
    // Days pass without the link being followed: the record is aged as the clock would.
    let created =
        time::OffsetDateTime::now_utc() - time::Duration::days(portal_shared::signup::ABANDONED_AFTER_DAYS + 1);
    aws_sdk_dynamodb::Client::new(&sdk().await)
        .update_item()
        .table_name(&env().stack.table)
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(format!("COMPANYSIGNUP#{first}")))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("COMPANYSIGNUP".into()))
        .update_expression("SET createdAt = :at")
        .expression_attribute_values(
            ":at",
            aws_sdk_dynamodb::types::AttributeValue::S(created.format(&time::format_description::well_known::Rfc3339)?),
        )
        .send()
        .await?;
    let second = format!("second@{slug}.example");
    post(api, "/signup", &form(&slug, &second)).await?.expect(202)?;
    let record = assert_one_company(&slug).await?;
    assert_eq!(record["email"], second.as_str());
    // The abandoned one is gone whole: its record, its account, its link.
    ensure!(items_mentioning(&[format!("COMPANYSIGNUP#{first}")]).await?.is_empty());
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await);
    let gone = cognito.admin_get_user().user_pool_id(&env().stack.staff_pool.id).username(&first).send().await;
    ensure!(gone.is_err(), "the abandoned sign-up's account is still there");
    assert_problem(&post(api, "/signup/verify", &json!({ "token": first_link })).await?, 410);
    // A pending sign-up that is not abandoned keeps its slug.
    let third = format!("third@{slug}.example");
    assert_problem(&post(api, "/signup", &form(&slug, &third)).await?, 409);
    post(api, "/signup/verify", &json!({ "token": last_token(&second).await? })).await?.expect(200)?;
    sign_in(api, &second).await?.expect(200)?;
    Ok(())
}

/// The authorization matrix of the sign-up routes: they are public, so a staff token, a
/// customer-like token or garbage in `Authorization` changes nothing in the answer (no
/// caller is resolved from it), and nothing names another company.
#[tokio::test]
async fn every_sign_up_route_answers_alike_whoever_calls() -> Result<()> {
    let api = &env().api_url;
    let t = portal_tests::tenant_fixture().await?;
    let garbage = ApiClient::anonymous(api).with_token("not-a-jwt");
    let callers = [("anonymous", portal_tests::anonymous()), ("a staff admin", t.admin.clone()), ("garbage", garbage)];
    let requests: [(reqwest::Method, String, Option<Value>); 4] = [
        (reqwest::Method::GET, "/signup".into(), None),
        (reqwest::Method::GET, format!("/signup/slugs/{}", t.tenant.slug), None),
        (reqwest::Method::POST, "/signup/verify".into(), Some(json!({ "token": portal_shared::tokens::new_token() }))),
        (
            reqwest::Method::POST,
            "/signup/resend".into(),
            Some(json!({ "email": format!("{}@x.example", unique("n")) })),
        ),
    ];
    for (method, path, body) in requests {
        let mut answers = Vec::new();
        for (who, client) in &callers {
            let answer = client.send(method.clone(), &path, body.clone()).await?;
            ensure!(answer.status < 500, "{method} {path} as {who}: {}", answer.json);
            let text = answer.json.to_string();
            ensure!(!text.contains(&t.tenant.id.to_string()), "{method} {path} as {who} named a tenant: {text}");
            answers.push((answer.status, answer.json));
        }
        ensure!(answers.windows(2).all(|w| w[0] == w[1]), "{method} {path}: {answers:?}");
    }
    Ok(())
}

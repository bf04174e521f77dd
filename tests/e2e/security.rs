//! Claims of `docs/security.md` that no other test proves: the protective headers of
//! every answer, invitation tokens stored only as hashes, the append-only activity trail,
//! and no secret in the logs.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, ensure};
use local_gateway::ApiGateway;
use portal_shared::telemetry;
use portal_tests::{CUSTOMER_PASSWORD, PASSWORD, env, invitation_token, items_mentioning, sdk, tenant_fixture, unique};
use serde_json::{Value, json};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::filter::{LevelFilter, Targets};

/// Every answer of the API, success or problem, from a function or from the gateway,
/// tells browsers not to sniff it and caches not to keep it.
#[tokio::test]
async fn every_answer_says_nosniff_and_no_store() -> Result<()> {
    let t = tenant_fixture().await?;
    let http = reqwest::Client::new();
    let api = &env().api_url;
    let token = t.member.token().context("token")?;
    let answers = [
        ("200", http.get(format!("{api}/contacts")).bearer_auth(token).send().await?),
        ("401 from the gateway", http.get(format!("{api}/contacts")).send().await?),
        ("422", http.post(format!("{api}/contacts")).bearer_auth(token).json(&json!({ "email": "x" })).send().await?),
        ("404", http.get(format!("{api}/branding/{}", unique("nobody"))).send().await?),
        ("public 200", http.get(format!("{api}/branding/{}", t.tenant.slug)).send().await?),
    ];
    for (what, answer) in answers {
        let headers = answer.headers();
        assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{what}");
        assert!(
            headers.get("cache-control").is_some_and(|v| v.to_str().unwrap_or_default().contains("no-store")),
            "{what}"
        );
    }
    Ok(())
}

/// The emailed registration link is the only place the token exists: the table keeps its
/// SHA-256, so a read of the table cannot be turned into a registration.
#[tokio::test]
async fn invitation_tokens_are_stored_only_as_hashes() -> Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@security.example", unique("invited"));
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Invited" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().context("id")?;
    t.member.send(reqwest::Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    let token = invitation_token(&email).await?;
    assert!(
        items_mentioning(std::slice::from_ref(&token)).await?.is_empty(),
        "the raw invitation token is in the table"
    );
    let hashed = items_mentioning(&[portal_shared::tokens::hash(&token)]).await?;
    assert_eq!(hashed.len(), 1, "the token's hash names exactly one invitation: {hashed:?}");
    Ok(())
}

/// The tenant's activity events (`PK=TENANT#…`, `SK=EVENT#…`), by sort key.
async fn activity(tenant: &str) -> Result<std::collections::BTreeMap<String, String>> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk().await);
    let page = dynamodb
        .query()
        .table_name(&env().stack.table)
        .key_condition_expression("PK = :pk AND begins_with(SK, :event)")
        .expression_attribute_values(":pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("TENANT#{tenant}")))
        .expression_attribute_values(":event", aws_sdk_dynamodb::types::AttributeValue::S("EVENT#".into()))
        .send()
        .await?;
    ensure!(page.last_evaluated_key().is_none(), "more events than one page");
    let mut events = std::collections::BTreeMap::new();
    for item in page.items() {
        let json: Value = serde_dynamo::from_item(item.clone())?;
        events.insert(json["SK"].as_str().unwrap_or_default().to_owned(), json.to_string());
    }
    Ok(events)
}

/// Through a document's and a contact's whole life (shared, downloaded, unshared,
/// deleted; access opened, closed, contact deleted) the trail only grows: every event
/// stays, unchanged, after what it is about is gone.
#[tokio::test]
async fn the_activity_trail_is_append_only() -> Result<()> {
    let t = tenant_fixture().await?;
    let tenant = t.tenant.id.to_string();
    let email = format!("{}@security.example", unique("trail"));
    let (customer, contact) = portal_tests::registered_customer(&t.member, &email).await?;
    let document = t.member.upload("Trail.txt", "text/plain", b"audit me").await?;
    let document = document["id"].as_str().context("id")?.to_owned();
    t.member.wait_settled(&document, portal_tests::SETTLE).await?;

    let mut trail = activity(&tenant).await?;
    let steps: Vec<(&str, reqwest::Method, String, Option<Value>, &xtask::client::ApiClient, u16)> = vec![
        (
            "share",
            reqwest::Method::POST,
            "/shares".into(),
            Some(json!({ "items": [{ "kind": "document", "id": document }], "contactIds": [contact] })),
            &t.member,
            200,
        ),
        (
            "customer download",
            reqwest::Method::GET,
            format!("/portal/companies/{tenant}/documents/{document}/download"),
            None,
            &customer,
            200,
        ),
        ("unshare", reqwest::Method::DELETE, format!("/contacts/{contact}/shares/{document}"), None, &t.member, 204),
        ("delete document", reqwest::Method::DELETE, format!("/documents/{document}"), None, &t.member, 204),
        ("close access", reqwest::Method::DELETE, format!("/contacts/{contact}/access"), None, &t.member, 200),
        ("delete contact", reqwest::Method::DELETE, format!("/contacts/{contact}"), None, &t.member, 204),
    ];
    for (what, method, path, body, caller, status) in steps {
        caller.send(method, &path, body).await?.expect(status).with_context(|| what.to_owned())?;
        let now = activity(&tenant).await?;
        for (key, event) in &trail {
            assert_eq!(now.get(key), Some(event), "after {what}, event {key} changed or vanished");
        }
        assert!(now.len() > trail.len(), "{what} recorded no event");
        trail = now;
    }
    Ok(())
}

/// A log line buffer shared with the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn call(api: &ApiGateway, method: &str, path: &str, token: Option<&str>, body: Value) -> Result<(u16, Value)> {
    portal_tests::call_in_process(api, &method.parse()?, path, token, Some(&body)).await
}

/// Every function that sees a secret (passwords, invitation tokens, Cognito tokens,
/// confirmation and reset codes) runs with the deployed log format at the most verbose
/// level our own code logs at, and none of those secrets appears in what it wrote.
#[tokio::test]
async fn no_secret_is_ever_logged() -> Result<()> {
    let t = tenant_fixture().await?;
    let api = ApiGateway::new(&sdk().await, &env().stack, "http://127.0.0.1").await?;
    let captured = Captured::default();
    let writer = captured.clone();
    // Debug for our crates (more than the deployed `info`), info for the SDK's.
    let filter = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("portal_shared", LevelFilter::DEBUG)
        .with_target("portal_auth", LevelFilter::DEBUG)
        .with_target("portal_registration", LevelFilter::DEBUG)
        .with_target("portal_portal_access", LevelFilter::DEBUG)
        .with_target("portal_contacts", LevelFilter::DEBUG);
    let subscriber = telemetry::subscriber(filter, move || writer.clone());

    let email = format!("{}@security.example", unique("secret"));
    let new_password = "Another-Passw0rd!7";
    let journey = async {
        let mut secrets = vec![PASSWORD.to_owned(), CUSTOMER_PASSWORD.to_owned(), new_password.to_owned()];
        let staff_login = json!({ "email": t.member_account.member.email.as_str(), "password": PASSWORD });
        let (status, staff) = call(&api, "POST", "/auth/staff/login", None, staff_login).await?;
        ensure!(status == 200, "staff login: {staff}");
        let staff_token = staff["accessToken"].as_str().context("accessToken")?.to_owned();
        secrets.push(staff_token.clone());
        secrets.push(staff["refreshToken"].as_str().context("refreshToken")?.to_owned());
        let wrong = json!({ "email": t.member_account.member.email.as_str(), "password": "Wrong-Passw0rd!1" });
        call(&api, "POST", "/auth/staff/login", None, wrong).await?;
        secrets.push("Wrong-Passw0rd!1".into());

        let (status, contact) =
            call(&api, "POST", "/contacts", Some(&staff_token), json!({ "email": email, "name": "S" })).await?;
        ensure!(status == 201, "contact: {contact}");
        let access = format!("/contacts/{}/access", contact["id"].as_str().context("id")?);
        call(&api, "POST", &access, Some(&staff_token), json!({})).await?;
        let token = invitation_token(&email).await?;
        secrets.push(token.clone());
        let registration = json!({ "token": token, "password": CUSTOMER_PASSWORD });
        let (status, registered) = call(&api, "POST", "/registration", None, registration).await?;
        ensure!(status == 202, "registration: {registered}");
        call(&api, "POST", "/registration/confirm", None, json!({ "email": email, "code": "123456" })).await?;
        let login = json!({ "email": email, "password": CUSTOMER_PASSWORD });
        let (status, tokens) = call(&api, "POST", "/auth/customer/login", None, login).await?;
        ensure!(status == 200, "customer login: {tokens}");
        let refresh = tokens["refreshToken"].as_str().context("refreshToken")?.to_owned();
        secrets.push(tokens["accessToken"].as_str().context("accessToken")?.to_owned());
        secrets.push(refresh.clone());
        call(&api, "POST", "/auth/customer/refresh", None, json!({ "refreshToken": refresh })).await?;
        call(&api, "POST", "/auth/customer/forgot-password", None, json!({ "email": email })).await?;
        let reset = json!({ "email": email, "code": "654321", "password": new_password });
        call(&api, "POST", "/auth/customer/reset-password", None, reset).await?;
        secrets.push("654321".into());
        anyhow::Ok(secrets)
    };
    let secrets = journey.with_subscriber(subscriber).await?;

    let logs = String::from_utf8(captured.0.lock().expect("log buffer").clone())?;
    ensure!(logs.contains("customer signed up"), "the capture saw no log line of the journey:\n{logs}");
    for secret in &secrets {
        ensure!(!logs.contains(secret.as_str()), "a secret is in the logs: {secret}\n{logs}");
    }
    Ok(())
}

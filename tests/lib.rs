//! Test support for the end-to-end suite: the stack and gateway started by
//! `cargo xtask test` (passed in `PORTAL_STACK` and `PORTAL_API_URL`), fresh tenants with
//! staff of every role, and direct SDK access to check what was (not) written.

use std::sync::OnceLock;

use anyhow::Result;
use aws_config::SdkConfig;
use portal_shared::domain::Role;
use portal_shared::model::Tenant;
use portal_shared::store::Store;
use xtask::client::ApiClient;
use xtask::mailbox::Mailbox;
use xtask::provision::{API_URL_ENV, Stack};
use xtask::seed::{Seeder, StaffAccount};

pub use xtask::client::{ApiResponse, put_presigned};

pub const PASSWORD: &str = "Test-Passw0rd!42";

/// The bound of a wait for the queue relays' work (an upload settled, a logo applied, an
/// email sent). The suite's one gateway relays for every test while the emulators and
/// Chromium share two cores, so a delivery can queue behind others' for tens of seconds;
/// a passing test stops waiting as soon as the effect is there.
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(120);

pub struct TestEnv {
    pub stack: Stack,
    pub api_url: String,
}

/// The running stack; the suite is meant to run under `cargo xtask test`.
pub fn env() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| TestEnv {
        stack: Stack::from_env().expect("the end-to-end tests run under `cargo xtask test`"),
        api_url: std::env::var(API_URL_ENV).expect("PORTAL_API_URL is set by `cargo xtask test`"),
    })
}

pub async fn sdk() -> SdkConfig {
    env().stack.sdk_config().await
}

pub fn anonymous() -> ApiClient {
    ApiClient::anonymous(&env().api_url)
}

/// A fresh tenant with an admin, a member and a viewer, each signed in. Every test makes
/// its own, so tests never see each other's data (and isolation is tested for free).
pub struct TenantFixture {
    pub tenant: Tenant,
    pub admin: ApiClient,
    pub member: ApiClient,
    pub viewer: ApiClient,
    pub member_account: StaffAccount,
    pub store: Store,
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

pub async fn tenant_fixture() -> Result<TenantFixture> {
    let seeder = Seeder::new(&env().stack).await;
    let slug = unique("t");
    let tenant = seeder.tenant(&format!("Tenant {slug}"), &slug).await?;
    let mut clients = Vec::new();
    let mut member_account = None;
    for role in [Role::Admin, Role::Member, Role::Viewer] {
        let email = format!("{role:?}@{slug}.example").to_lowercase();
        let account = seeder.staff(tenant.id, &email, role, PASSWORD).await?;
        clients.push(ApiClient::staff_login(&env().api_url, &email, PASSWORD).await?);
        if role == Role::Member {
            member_account = Some(account);
        }
    }
    let viewer = clients.pop().unwrap();
    let member = clients.pop().unwrap();
    let admin = clients.pop().unwrap();
    Ok(TenantFixture {
        tenant,
        admin,
        member,
        viewer,
        member_account: member_account.unwrap(),
        store: seeder.store().clone(),
    })
}

/// Uploads a logo for the admin's tenant and waits until object-events has made it the
/// logo. Returns the logo's id.
pub async fn upload_logo(admin: &ApiClient, bytes: &[u8]) -> Result<String> {
    let ticket = admin
        .post("/settings/logo", serde_json::json!({ "contentType": "image/png", "size": bytes.len() }))
        .await?
        .expect(201)?;
    put_presigned(&ticket["upload"], bytes.to_vec()).await?;
    let id = ticket["logo"]["id"].as_str().unwrap_or_default().to_owned();
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let settings = admin.get("/settings").await?.expect(200)?;
        if settings["logo"]["id"] == id.as_str() {
            return Ok(id);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "logo {id} not applied: {settings}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The ids of a listing page's items.
pub fn ids(page: &serde_json::Value) -> Vec<String> {
    page["items"].as_array().into_iter().flatten().filter_map(|item| item["id"].as_str().map(str::to_owned)).collect()
}

/// Polls `check` until it holds (or `timeout` passes): for effects of asynchronous work.
pub async fn eventually<F, Fut>(timeout: std::time::Duration, mut check: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if check().await? {
            return Ok(());
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "still not true after {timeout:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The page of the customer's personal space at `path` (`/portal/shares?…`) once `check`
/// holds for it: the view index is maintained from the table's stream, so what was just
/// shared appears within the stream's delay (`docs/architecture.md`); what was unshared
/// disappears at once and needs no wait.
pub async fn shares_when(
    customer: &ApiClient,
    path: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> Result<serde_json::Value> {
    let deadline = std::time::Instant::now() + SETTLE;
    loop {
        let page = customer.get(path).await?.expect(200)?;
        if check(&page) {
            return Ok(page);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "{path} never became as expected: {page}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The sorted names of a personal-space page's documents.
pub fn shared_names(page: &serde_json::Value) -> Vec<String> {
    let mut names: Vec<String> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["document"]["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// The emails sent to `address`, oldest first, read from the local stack's mailbox
/// (`xtask::mailbox`) as a mail client shows them: `subject`, `source` (the `From`
/// header), `text` and `html` parts (`body` is the HTML), `listUnsubscribe`, `hasText`
/// and `hasHtml` (each alternative really in the message).
pub async fn emails_to(address: &str) -> Result<Vec<serde_json::Value>> {
    let sent = Mailbox::new(&env().stack.endpoint).sent(Some(address)).await?;
    Ok(sent
        .into_iter()
        .map(|email| {
            // The templates' autoescaped HTML, decoded (links read as the browser reads them).
            let html = email.html.as_deref().map(|html| html_escape::decode_html_entities(html).into_owned());
            let mut value = serde_json::to_value(&email).unwrap_or_default();
            value["html"] = html.clone().into();
            value["body"] = html.into();
            value
        })
        .collect())
}

/// The registration token in the last invitation emailed to `address`.
pub async fn invitation_token(address: &str) -> Result<String> {
    Mailbox::new(&env().stack.endpoint).invitation_token(address).await
}

/// A customer who registered from `tenant`'s invitation (the whole flow through the API:
/// the staff member opens access, the emailed link, sign-up, confirmation, sign-in).
pub async fn registered_customer(staff: &ApiClient, email: &str) -> Result<(ApiClient, String)> {
    xtask::seed::registered_customer(&env().api_url, &env().stack.endpoint, staff, email, CUSTOMER_PASSWORD).await
}

/// A customer registered from `t`'s invitation, with one settled document (`file_name`,
/// `bytes`) that `t`'s member shared with them: the customer's client, their contact id
/// and the document id.
pub async fn customer_with_a_shared_document(
    t: &TenantFixture,
    file_name: &str,
    bytes: &[u8],
) -> Result<(ApiClient, String, String)> {
    let email = format!("{}@customer.example", unique("shared"));
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let doc = t.member.upload(file_name, "text/plain", bytes).await?;
    let doc_id = doc["id"].as_str().unwrap_or_default().to_owned();
    t.member.wait_settled(&doc_id, SETTLE).await?;
    t.member
        .post(
            "/shares",
            serde_json::json!({ "items": [{ "kind": "document", "id": doc_id }], "contactIds": [contact_id] }),
        )
        .await?
        .expect(200)?;
    Ok((customer, contact_id, doc_id))
}

pub const CUSTOMER_PASSWORD: &str = "Customer-Passw0rd!9";

pub async fn customer_login(email: &str) -> Result<ApiClient> {
    let tokens = anonymous()
        .post("/auth/customer/login", serde_json::json!({ "email": email, "password": CUSTOMER_PASSWORD }))
        .await?
        .expect(200)?;
    Ok(anonymous().with_token(tokens["accessToken"].as_str().unwrap_or_default()))
}

/// Every item of the table whose JSON form mentions one of `needles`, as JSON (a full
/// scan: for checks of what was, or was not, written anywhere).
pub async fn items_mentioning(needles: &[String]) -> Result<Vec<serde_json::Value>> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk().await);
    let mut found = Vec::new();
    let mut start = None;
    loop {
        let page = dynamodb.scan().table_name(&env().stack.table).set_exclusive_start_key(start).send().await?;
        for item in page.items() {
            let json: serde_json::Value = serde_dynamo::from_item(item.clone())?;
            let text = json.to_string();
            if needles.iter().any(|needle| text.contains(needle.as_str())) {
                found.push(json);
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(found);
        }
    }
}

/// One request through an in-process gateway (`local_gateway::ApiGateway`, the functions
/// called in this process, e.g. to meter or log them): its status and JSON body.
pub async fn call_in_process(
    api: &local_gateway::ApiGateway,
    method: &reqwest::Method,
    path_and_query: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value)> {
    let mut request = http::Request::builder().method(method.as_str()).uri(path_and_query);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let (parts, ()) = request.body(())?.into_parts();
    let path = path_and_query.split('?').next().unwrap_or_default();
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let prepared = api.prepare(&parts, path, &bytes.into()).map_err(|e| anyhow::anyhow!("{method} {path}: {e}"))?;
    let response = api.invoke(prepared).await;
    let json = serde_json::from_slice(response.body().as_ref()).unwrap_or(serde_json::Value::Null);
    Ok((response.status().as_u16(), json))
}

/// Asserts an RFC 9457 problem response with `status`.
pub fn assert_problem(response: &ApiResponse, status: u16) {
    assert_eq!(response.status, status, "unexpected status, body: {}", response.json);
    assert_eq!(response.content_type, "application/problem+json", "body: {}", response.json);
    assert_eq!(response.json["status"], status);
    assert!(response.json["type"].as_str().is_some_and(|t| t.starts_with("/problems/")), "{}", response.json);
    assert!(response.json["title"].is_string() && response.json["detail"].is_string(), "{}", response.json);
}

/// Forges Cognito-like tokens signed with the emulator's own signing key (shipped in the
/// moto package), so the authorizer can be shown refusing each kind of bad token.
pub mod forge {
    use std::sync::OnceLock;

    use anyhow::{Context, Result, ensure};
    use base64::Engine;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::Value;

    /// moto ships its private JWK with only `n`, `e` and `d`; the virtualenv's `cryptography`
    /// recovers the primes and writes the PKCS#1 DER (base64) that `jsonwebtoken` signs with.
    const TO_PEM: &str = r#"
import gzip, json, base64, pathlib, moto.cognitoidp as c
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
jwk = json.load(gzip.open(pathlib.Path(c.__file__).parent / "resources" / "jwks-private.json.gz"))
num = lambda k: int.from_bytes(base64.urlsafe_b64decode(jwk[k] + "=="), "big")
n, e, d = num("n"), num("e"), num("d")
p, q = rsa.rsa_recover_prime_factors(n, e, d)
key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(e, n)).private_key()
print(jwk["kid"])
print(base64.b64encode(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())).decode("ascii"))
"#;

    fn emulator_key() -> Result<&'static (String, Vec<u8>)> {
        static KEY: OnceLock<(String, Vec<u8>)> = OnceLock::new();
        if let Some(key) = KEY.get() {
            return Ok(key);
        }
        let python = xtask::paths::local_dir().join("venv/bin/python");
        let output =
            std::process::Command::new(python).args(["-c", TO_PEM]).output().context("running the venv's python")?;
        ensure!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout)?;
        let (kid, der) = text.trim().split_once('\n').context("no kid line")?;
        let der = base64::engine::general_purpose::STANDARD.decode(der).context("the key's DER")?;
        Ok(KEY.get_or_init(|| (kid.to_owned(), der)))
    }

    pub fn sign(claims: &Value) -> Result<String> {
        let (kid, der) = emulator_key()?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(der))?)
    }

    /// The algorithm-confusion attack: an HS256 token under the pool's key id, its HMAC
    /// keyed with `secret` (e.g. the pool's public key bytes, which anyone can fetch).
    pub fn sign_hs256(claims: &Value, secret: &[u8]) -> Result<String> {
        let (kid, _) = emulator_key()?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret))?)
    }
}

/// Base64url without padding, how the API encodes its page cursors (for crafting them).
pub fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An invited staff member's first sign-in: Cognito emailed a temporary password; the test
/// sets a known one the same way, and the sign-in answers the new-password challenge.
pub async fn staff_new_password_challenge(email: &str) -> Result<serde_json::Value> {
    let temporary = "Temp-Passw0rd!77";
    aws_sdk_cognitoidentityprovider::Client::new(&sdk().await)
        .admin_set_user_password()
        .user_pool_id(&env().stack.staff_pool.id)
        .username(email)
        .password(temporary)
        .permanent(false)
        .send()
        .await?;
    let challenge = anonymous()
        .post("/auth/staff/login", serde_json::json!({ "email": email, "password": temporary }))
        .await?
        .expect(200)?;
    anyhow::ensure!(challenge["challenge"] == "NEW_PASSWORD_REQUIRED", "{challenge}");
    Ok(challenge)
}

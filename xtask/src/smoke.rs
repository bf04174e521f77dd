//! `cargo xtask smoke --url <public URL>`: the checks a deployed stack must pass, run from
//! outside as a browser would reach it (docs/deployment.md, "After the first deploy"):
//!
//! - the pages (`/`, `/p/{slug}/register`) are HTML with the response headers policy's
//!   security headers, `config.js` is the one every stack serves, the API answers under
//!   `/api` (a missing portal is a `404` problem+json from the function, not an S3 error)
//!   and refuses a call without a token;
//! - given a staff admin's (or member's) credentials, a round trip through the API: sign in,
//!   upload a document with the presigned PUT (after the bucket's CORS preflight for the
//!   public URL), wait for it to settle, share it with a test contact the run creates,
//!   download it and compare the bytes, then delete what the run made (document, contact),
//!   also when a step failed midway.
//!
//! Every check is reported as passed or failed with what was expected and what was seen; the
//! command exits non-zero when any failed. `tests/e2e/smoke.rs` runs it against the local
//! gateway so it stays true.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{ApiClient, ApiResponse};
use crate::deploy::{SECURITY_HEADERS, config_js};
use crate::gateway::API_PREFIX;

/// Environment variables the credentials may come from (better than the command line,
/// which other users of the machine can read in the process list).
pub const ADMIN_EMAIL_ENV: &str = "PORTAL_SMOKE_ADMIN_EMAIL";
pub const ADMIN_PASSWORD_ENV: &str = "PORTAL_SMOKE_ADMIN_PASSWORD";

/// A staff account of the deployed portal (admin or member: the round trip writes).
#[derive(Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// Never prints the password.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).field("password", &"<redacted>").finish()
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The public URL (`PublicUrl`): `https://portal.example.com`, no path.
    pub url: String,
    pub admin: Option<Credentials>,
    /// How long an upload may take to settle (S3 → SQS → object-events).
    pub settle: Duration,
    /// The bound of each HTTP request.
    pub request_timeout: Duration,
}

impl Options {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.trim_end_matches('/').to_owned(),
            admin: None,
            settle: Duration::from_secs(60),
            request_timeout: Duration::from_secs(20),
        }
    }
}

/// One check: what it looked at, and what it saw, or what it expected and saw instead.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed {
        seen: String,
    },
    Failed {
        expected: String,
        seen: String,
    },
    /// Not run, because an earlier check it needs failed.
    Skipped {
        because: String,
    },
}

impl Check {
    pub fn passed(&self) -> bool {
        !matches!(self.outcome, Outcome::Failed { .. })
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Passed { seen } if seen.is_empty() => write!(f, "✓ {}", self.name),
            Outcome::Passed { seen } => write!(f, "✓ {} ({seen})", self.name),
            Outcome::Failed { expected, seen } => {
                write!(f, "✗ {}\n    expected: {expected}\n    seen:     {seen}", self.name)
            }
            Outcome::Skipped { because } => write!(f, "- {} (skipped: {because})", self.name),
        }
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// Every check passed (skipped ones only follow a failure, so they cannot hide one).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(Check::passed)
    }

    pub fn failed(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.passed())
    }

    pub fn check(&self, name_starts_with: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name.starts_with(name_starts_with))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            writeln!(f, "{check}")?;
        }
        let failed = self.failed().count();
        if failed == 0 {
            write!(f, "smoke: all {} checks passed", self.checks.len())
        } else {
            write!(f, "smoke: {failed} of {} checks FAILED", self.checks.len())
        }
    }
}

/// A check's verdict: `Ok(seen)` or `Err((expected, seen))`.
type Verdict = std::result::Result<String, (String, String)>;

fn fail(expected: impl Into<String>, seen: impl Into<String>) -> Verdict {
    Err((expected.into(), seen.into()))
}

struct Run<'a> {
    options: &'a Options,
    http: reqwest::Client,
    report: Report,
    progress: &'a mut dyn FnMut(&Check),
}

impl Run<'_> {
    fn record(&mut self, name: impl Into<String>, verdict: Verdict) -> bool {
        let outcome = match verdict {
            Ok(seen) => Outcome::Passed { seen },
            Err((expected, seen)) => Outcome::Failed { expected, seen },
        };
        let check = Check { name: name.into(), outcome };
        (self.progress)(&check);
        let passed = check.passed();
        self.report.checks.push(check);
        passed
    }

    fn skip(&mut self, name: impl Into<String>, because: &str) {
        let check = Check { name: name.into(), outcome: Outcome::Skipped { because: because.to_owned() } };
        (self.progress)(&check);
        self.report.checks.push(check);
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.options.url)
    }

    /// The API under /api, with the run's request timeout.
    fn api(&self) -> ApiClient {
        ApiClient::anonymous_with(self.http.clone(), &self.url(API_PREFIX))
    }

    async fn get(&self, path: &str) -> std::result::Result<Page, String> {
        let response = self.http.get(self.url(path)).send().await.map_err(|e| error_chain(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| error_chain(&e))?.to_vec();
        Ok(Page { status, headers, body })
    }
}

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("(none)")
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn media_type(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// The security headers CloudFront's response headers policy adds, as a check of `page`.
fn security_headers(page: &Page) -> Verdict {
    let wrong: Vec<String> = SECURITY_HEADERS
        .iter()
        .filter(|(name, value)| page.header(name) != Some(value))
        .map(|(name, value)| format!("{name}: `{}` instead of `{value}`", page.header(name).unwrap_or("(none)")))
        .collect();
    if wrong.is_empty() {
        Ok(format!("{} headers", SECURITY_HEADERS.len()))
    } else {
        fail(SECURITY_HEADERS.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join("; "), wrong.join("; "))
    }
}

fn html_page(page: &Page) -> Verdict {
    let media = media_type(page.content_type());
    if page.status == 200 && media == "text/html" {
        Ok(format!("200 {media}, {} bytes", page.body.len()))
    } else {
        fail("200 text/html", format!("{} {}", page.status, page.content_type()))
    }
}

/// A `404` problem+json, as the API's functions answer (an S3 or CloudFront error page
/// would be XML or HTML: the request did not reach the API).
fn problem_404(response: &ApiResponse) -> Verdict {
    let media = media_type(&response.content_type);
    if response.status == 404 && media == "application/problem+json" && response.json["status"] == 404 {
        Ok(format!("404 {media}, title {}", response.json["title"]))
    } else {
        fail(
            "404 application/problem+json with \"status\": 404",
            format!("{} {} {}", response.status, response.content_type, shorten(&response.json.to_string())),
        )
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn status(response: &ApiResponse, expected: u16) -> Verdict {
    if response.status == expected {
        Ok(expected.to_string())
    } else {
        fail(expected.to_string(), format!("{} {}", response.status, shorten(&response.json.to_string())))
    }
}

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// `cargo xtask smoke`'s command line.
#[derive(Debug, Clone, clap::Args)]
pub struct SmokeArgs {
    /// The site's origin, the stack's PublicUrl output: https://portal.example.com (no path)
    #[arg(long)]
    pub url: String,
    /// A staff admin (or member) of the deployed portal, for the round trip [env: PORTAL_SMOKE_ADMIN_EMAIL]
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    pub admin_email: Option<String>,
    /// Their password; better in PORTAL_SMOKE_ADMIN_PASSWORD, as other users can read a command line
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub admin_password: Option<String>,
    /// How long an upload may take to settle, in seconds (1 to 900) [default: 60]
    #[arg(long, value_name = "N")]
    pub settle_seconds: Option<u64>,
    /// Anything else: refused without being echoed (a stray value might be a password).
    #[arg(hide = true)]
    pub stray: Vec<String>,
}

/// `cargo xtask smoke --url <public URL> [--admin-email E --admin-password P]
/// [--settle-seconds N]`: prints each check as it is made; non-zero exit when one failed.
pub async fn command(args: SmokeArgs) -> Result<std::process::ExitCode> {
    anyhow::ensure!(
        args.stray.is_empty(),
        "smoke: unexpected argument (options are --url, --admin-email, --admin-password, --settle-seconds)"
    );
    let SmokeArgs { url, admin_email: email, admin_password: password, settle_seconds: settle, .. } = args;
    let parsed = reqwest::Url::parse(&url).with_context(|| format!("smoke: {url} is not a URL"))?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "http" | "https") && parsed.path() == "/" && parsed.query().is_none(),
        "smoke: --url is the site's origin, e.g. https://portal.example.com (no path), not {url}"
    );
    let mut options = Options::new(&url);
    options.admin = credentials(email, password)?;
    if let Some(seconds) = settle {
        options.settle = Duration::from_secs(seconds.clamp(1, 900));
    }
    match &options.admin {
        Some(admin) => println!("smoke: {} (round trip as {})", options.url, admin.email),
        None => println!(
            "smoke: {} (anonymous checks only: give --admin-email and --admin-password, or {ADMIN_EMAIL_ENV} and \
             {ADMIN_PASSWORD_ENV}, for the round trip)",
            options.url
        ),
    }
    let report = run_with(&options, &mut |check| println!("{check}")).await;
    let failed = report.failed().count();
    if failed == 0 {
        println!("smoke: all {} checks passed", report.checks.len());
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        println!("smoke: {failed} of {} checks FAILED", report.checks.len());
        Ok(std::process::ExitCode::FAILURE)
    }
}

/// Runs every check against `options.url`, calling `progress` after each one.
pub async fn run_with(options: &Options, progress: &mut dyn FnMut(&Check)) -> Report {
    let http = match reqwest::Client::builder().timeout(options.request_timeout).build() {
        Ok(http) => http,
        Err(err) => {
            let mut report = Report::default();
            let check = Check {
                name: "HTTP client".into(),
                outcome: Outcome::Failed { expected: "a client".into(), seen: error_chain(&err) },
            };
            progress(&check);
            report.checks.push(check);
            return report;
        }
    };
    let mut run = Run { options, http, report: Report::default(), progress };
    site(&mut run).await;
    if let Some(admin) = &options.admin {
        round_trip(&mut run, admin).await;
    }
    run.report
}

/// [`run_with`] without progress output.
pub async fn run(options: &Options) -> Report {
    run_with(options, &mut |_| {}).await
}

/// The anonymous checks: pages, their headers, config.js, the API behind /api.
async fn site(run: &mut Run<'_>) {
    // Any slug: CloudFront's rewrite serves portal.html for every /p/{slug}/register, and
    // the page asks the API for the branding itself.
    let absent_slug = format!("smoke-absent-{}", unique());
    for path in ["/".to_owned(), format!("/p/{absent_slug}/register")] {
        match run.get(&path).await {
            Ok(page) => {
                run.record(format!("GET {path} is a page"), html_page(&page));
                run.record(format!("GET {path} sends the security headers"), security_headers(&page));
            }
            Err(err) => {
                run.record(format!("GET {path} is a page"), fail("a response", err));
            }
        }
    }

    let expected = config_js();
    let verdict = match run.get("/config.js").await {
        Ok(page) if page.status == 200 && page.body == expected.as_bytes() => Ok(expected.trim().to_owned()),
        Ok(page) => fail(
            format!("200 `{}`", expected.trim()),
            format!("{} `{}`", page.status, shorten(String::from_utf8_lossy(&page.body).trim())),
        ),
        Err(err) => fail(format!("200 `{}`", expected.trim()), err),
    };
    run.record("GET /config.js is the API's address", verdict);

    let path = format!("{API_PREFIX}/branding/{absent_slug}");
    match run.get(&path).await {
        Ok(page) => {
            let response = ApiResponse {
                status: page.status,
                content_type: page.content_type().to_owned(),
                retry_after: None,
                json: serde_json::from_slice(&page.body).unwrap_or(Value::Null),
            };
            run.record(format!("GET {path} reaches the API: a 404 problem"), problem_404(&response));
            run.record(format!("GET {path} sends the security headers"), security_headers(&page));
        }
        Err(err) => {
            run.record(format!("GET {path} reaches the API: a 404 problem"), fail("a response", err));
        }
    }

    let verdict = match run.api().get("/me").await {
        // API Gateway's JWT authorizer answers before any function (its own body on AWS).
        Ok(response) => status(&response, 401),
        Err(err) => fail("401", error_chain(err.as_ref())),
    };
    run.record(format!("GET {API_PREFIX}/me without a token is refused"), verdict);
}

/// What the round trip made, deleted at the end whatever happened.
#[derive(Default)]
struct Made {
    document: Option<String>,
    contact: Option<String>,
}

async fn round_trip(run: &mut Run<'_>, admin: &Credentials) {
    const SIGN_IN: &str = "staff sign-in";
    let anonymous = run.api();
    let signed_in =
        anonymous.post("/auth/staff/login", json!({ "email": admin.email, "password": admin.password })).await;
    let staff = match signed_in {
        Ok(response) if response.status == 200 && response.json["accessToken"].is_string() => {
            run.record(SIGN_IN, Ok(admin.email.clone()));
            anonymous.with_token(response.json["accessToken"].as_str().unwrap_or_default())
        }
        Ok(response) => {
            // A challenge (a new password to choose) or a refusal: either way no token.
            let seen = match response.json["challenge"].as_str() {
                Some(challenge) => {
                    format!("{} challenge {challenge}: sign in on the dashboard once first", response.status)
                }
                None => format!("{} {}", response.status, response.json["type"]),
            };
            run.record(SIGN_IN, fail("200 with an access token", seen));
            return skip_round_trip(run, "no staff sign-in");
        }
        Err(err) => {
            run.record(SIGN_IN, fail("200 with an access token", error_chain(err.as_ref())));
            return skip_round_trip(run, "no staff sign-in");
        }
    };

    let mut made = Made::default();
    let steps = steps(run, &staff, &mut made).await;
    if let Err(err) = steps {
        // A step that could not even get an answer (network); the checks it recorded say the rest.
        run.record("round trip", fail("every request answered", format!("{err:#}")));
    }
    clean_up(run, &staff, &made).await;
}

const ROUND_TRIP: &[&str] = &[
    "the account's company",
    "GET /api/branding/{slug} of that company",
    "upload ticket",
    "documents bucket CORS preflight for the public URL",
    "presigned PUT",
    "upload settled",
    "test contact created",
    "shared with the test contact",
    "listed among the document's recipients",
    "download URL",
    "downloaded bytes are the uploaded ones",
];

fn skip_round_trip(run: &mut Run<'_>, because: &str) {
    for name in ROUND_TRIP {
        run.skip(*name, because);
    }
}

/// The round trip's checks, recording into `made` what has to be deleted. Returns at the
/// first failed check (the rest are skipped): each needs the one before.
async fn steps(run: &mut Run<'_>, staff: &ApiClient, made: &mut Made) -> Result<()> {
    let mut at = 0;
    macro_rules! step {
        ($verdict:expr) => {{
            let name = ROUND_TRIP[at];
            at += 1;
            let verdict: Verdict = $verdict;
            if !run.record(name, verdict) {
                for later in &ROUND_TRIP[at..] {
                    run.skip(*later, &format!("`{name}` failed"));
                }
                return Ok(());
            }
        }};
    }

    let me = staff.get("/me").await?;
    let slug = me.json["tenant"]["slug"].as_str().unwrap_or_default().to_owned();
    let role = me.json["role"].as_str().unwrap_or_default().to_owned();
    step!(if me.status == 200 && (role == "admin" || role == "member") {
        Ok(format!("{slug}, role {role}"))
    } else {
        fail("200 with a role that may write (admin or member)", format!("{} role {role:?}", me.status))
    });

    let branding = run.api().get(&format!("/branding/{slug}")).await?;
    step!(match status(&branding, 200) {
        Ok(_) if branding.json["slug"] == slug.as_str() => Ok(format!("{}", branding.json["name"])),
        Ok(_) => fail(format!("slug {slug}"), branding.json.to_string()),
        Err(err) => Err(err),
    });

    let id = unique();
    let bytes = format!("portal smoke check {id}\n").repeat(64).into_bytes();
    let file_name = format!("smoke-check-{id}.txt");
    let ticket = staff
        .post("/uploads", json!({ "fileName": file_name, "contentType": "text/plain", "size": bytes.len() }))
        .await?;
    if let Some(document) = ticket.json["document"]["id"].as_str() {
        made.document = Some(document.to_owned());
    }
    let upload = ticket.json["upload"].clone();
    step!(match status(&ticket, 201) {
        Ok(_) if made.document.is_some() && upload["url"].is_string() => Ok(file_name.clone()),
        Ok(_) => fail("a document and a presigned upload", shorten(&ticket.json.to_string())),
        Err(err) => Err(err),
    });
    let document = made.document.clone().unwrap_or_default();
    let upload_url = upload["url"].as_str().unwrap_or_default().to_owned();

    step!(cors_preflight(run, &upload).await);

    let put = crate::client::put_presigned_with(&run.http, &upload, bytes.clone()).await;
    step!(match put {
        Ok(response) => Ok(format!("{} {} bytes", response.status(), bytes.len())),
        Err(err) => fail("2xx from the bucket", format!("{err:#}")),
    });

    let deadline = Instant::now() + run.options.settle;
    let settled = loop {
        let response = staff.get(&format!("/documents/{document}")).await?;
        let state = response.json["status"].as_str().unwrap_or_default().to_owned();
        if response.status != 200 || state != "pending" || Instant::now() > deadline {
            break (response.status, state, response.json);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    step!(match settled {
        (200, state, _) if state == "available" => Ok(format!("available, {} bytes", bytes.len())),
        (200, state, json) if state == "pending" => fail(
            format!("available within {:?}", run.options.settle),
            format!(
                "still pending (S3 → SQS → object-events: check the queue, its DLQ and the function's log) {}",
                json["id"]
            ),
        ),
        (status, state, json) => fail("200 available", format!("{status} {state} {}", json["rejectedReason"])),
    });

    let email = format!("success+smoke-{id}@simulator.amazonses.com");
    let contact = staff.post("/contacts", json!({ "name": format!("Smoke check {id}"), "email": email })).await?;
    if contact.status == 201 {
        made.contact = contact.json["id"].as_str().map(str::to_owned);
    }
    step!(match status(&contact, 201) {
        Ok(_) if made.contact.is_some() => Ok(email.clone()),
        Ok(_) => fail("a contact with an id", contact.json.to_string()),
        Err(err) => Err(err),
    });
    let contact_id = made.contact.clone().unwrap_or_default();

    let shared = staff
        .post("/shares", json!({ "items": [{ "kind": "document", "id": document }], "contactIds": [contact_id] }))
        .await?;
    step!(status(&shared, 200));

    let recipients = staff.get(&format!("/documents/{document}/shares")).await?;
    let listed = recipients.json["items"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|recipient| recipient["contact"]["id"] == contact_id.as_str());
    step!(match status(&recipients, 200) {
        Ok(_) if listed => Ok(email.clone()),
        Ok(_) => fail(format!("contact {contact_id} listed"), shorten(&recipients.json.to_string())),
        Err(err) => Err(err),
    });

    let ticket = staff.get(&format!("/documents/{document}/download")).await?;
    let download_url = ticket.json["download"]["url"].as_str().unwrap_or_default().to_owned();
    step!(match status(&ticket, 200) {
        Ok(_) if !download_url.is_empty() && download_url != upload_url => Ok(String::new()),
        Ok(_) => fail("a presigned download URL", shorten(&ticket.json.to_string())),
        Err(err) => Err(err),
    });

    let downloaded = async {
        let response = run.http.get(&download_url).send().await?;
        let status = response.status().as_u16();
        Ok::<_, reqwest::Error>((status, response.bytes().await?.to_vec()))
    }
    .await;
    step!(match downloaded {
        Ok((200, body)) if body == bytes => Ok(format!("{} bytes", body.len())),
        Ok((200, body)) => fail(
            format!("the {} bytes uploaded", bytes.len()),
            format!("{} other bytes (first difference at {})", body.len(), first_difference(&bytes, &body)),
        ),
        Ok((status, body)) => fail("200", format!("{status} {}", shorten(&String::from_utf8_lossy(&body)))),
        Err(err) => fail("200", error_chain(&err)),
    });
    Ok(())
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

/// What a browser on the public URL asks the documents bucket before its PUT: S3 must allow
/// the site's origin with the signed headers.
async fn cors_preflight(run: &Run<'_>, upload: &Value) -> Verdict {
    let url = upload["url"].as_str().unwrap_or_default();
    let mut headers: Vec<String> = upload["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| name.to_ascii_lowercase())
        // Browsers set content-length themselves; it is never a requested header.
        .filter(|name| name != "content-length")
        .collect();
    headers.sort();
    let origin = run.options.url.as_str();
    let response = run
        .http
        .request(Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", headers.join(","))
        .send()
        .await;
    let response = match response {
        Ok(response) => response,
        Err(err) => return fail("200 allowing the origin", error_chain(&err)),
    };
    let allowed = response.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok());
    if response.status().is_success() && (allowed == Some(origin) || allowed == Some("*")) {
        Ok(format!("{origin} allowed"))
    } else {
        fail(
            format!("2xx with Access-Control-Allow-Origin: {origin}"),
            format!("{} Access-Control-Allow-Origin: {}", response.status().as_u16(), allowed.unwrap_or("(none)")),
        )
    }
}

/// Deletes what the run made, each checked gone; runs whatever failed before.
async fn clean_up(run: &mut Run<'_>, staff: &ApiClient, made: &Made) {
    let targets = [("document", "/documents", &made.document), ("test contact", "/contacts", &made.contact)];
    for (what, collection, id) in targets {
        let Some(id) = id else { continue };
        let path = format!("{collection}/{id}");
        let deleted = staff.send(Method::DELETE, &path, None).await;
        let gone = match deleted {
            Ok(response) if response.status == 204 || response.status == 200 => staff.get(&path).await,
            Ok(response) => {
                run.record(
                    format!("{what} deleted"),
                    fail("204", format!("{} {}", response.status, shorten(&response.json.to_string()))),
                );
                continue;
            }
            Err(err) => {
                run.record(format!("{what} deleted"), fail("204", format!("{err:#}")));
                continue;
            }
        };
        let verdict = match gone {
            Ok(response) if response.status == 404 => Ok(format!("{id}; GET {path}: 404")),
            Ok(response) => fail(format!("GET {path}: 404"), response.status.to_string()),
            Err(err) => fail(format!("GET {path}: 404"), format!("{err:#}")),
        };
        run.record(format!("{what} deleted"), verdict);
    }
}

/// The credentials from the flags, else the environment.
pub fn credentials(email: Option<String>, password: Option<String>) -> Result<Option<Credentials>> {
    pair(
        email.or_else(|| std::env::var(ADMIN_EMAIL_ENV).ok()),
        password.or_else(|| std::env::var(ADMIN_PASSWORD_ENV).ok()),
    )
}

/// An email without a password (or the reverse) is an error rather than a silent anonymous run.
fn pair(email: Option<String>, password: Option<String>) -> Result<Option<Credentials>> {
    match (email.filter(|e| !e.is_empty()), password.filter(|p| !p.is_empty())) {
        (Some(email), Some(password)) => Ok(Some(Credentials { email, password })),
        (None, None) => Ok(None),
        (Some(_), None) => {
            None.with_context(|| format!("--admin-email needs a password (--admin-password or {ADMIN_PASSWORD_ENV})"))
        }
        (None, Some(_)) => None.with_context(|| format!("a password needs --admin-email (or {ADMIN_EMAIL_ENV})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_the_password() {
        let credentials = Credentials { email: "admin@example.com".into(), password: "Secret-Passw0rd!".into() };
        let shown =
            format!("{credentials:?} {:?}", Options { admin: Some(credentials.clone()), ..Options::new("https://x") });
        assert!(!shown.contains("Secret-Passw0rd!"), "{shown}");
        assert!(shown.contains("admin@example.com"));
    }

    #[test]
    fn half_given_credentials_are_an_error() {
        assert!(pair(Some("a@example.com".into()), Some("p".into())).unwrap().is_some());
        assert!(pair(None, None).unwrap().is_none());
        assert!(pair(Some("a@example.com".into()), None).is_err());
        assert!(pair(Some("a@example.com".into()), Some(String::new())).is_err());
        assert!(pair(None, Some("p".into())).is_err());
    }

    #[test]
    fn a_report_passes_only_when_no_check_failed() {
        let passed = Check { name: "a".into(), outcome: Outcome::Passed { seen: String::new() } };
        let failed = Check { name: "b".into(), outcome: Outcome::Failed { expected: "x".into(), seen: "y".into() } };
        assert!(Report { checks: vec![passed.clone()] }.passed());
        assert!(!Report { checks: vec![passed.clone(), failed.clone()] }.passed());
        assert!(!Report::default().passed(), "no check run is no pass");
        let shown = failed.to_string();
        assert!(shown.starts_with("✗ b") && shown.contains("expected: x") && shown.contains("seen:     y"), "{shown}");
    }

    #[test]
    fn security_headers_name_each_wrong_one() {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in SECURITY_HEADERS {
            headers.insert(*name, value.parse().unwrap());
        }
        let page = Page { status: 200, headers: headers.clone(), body: Vec::new() };
        assert!(security_headers(&page).is_ok());
        headers.remove("x-frame-options");
        headers.insert("referrer-policy", "unsafe-url".parse().unwrap());
        let (_, seen) = security_headers(&Page { status: 200, headers, body: Vec::new() }).unwrap_err();
        assert!(seen.contains("x-frame-options: `(none)`"), "{seen}");
        assert!(seen.contains("referrer-policy: `unsafe-url`"), "{seen}");
        assert!(!seen.contains("content-security-policy"), "{seen}");
    }
}

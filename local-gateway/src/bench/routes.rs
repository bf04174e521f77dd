//! The requests the warm benchmark and the AWS-calls budget make: one per route that can
//! be repeated as is (reads, and writes that leave the data as they found it), against
//! the seeded [`Scenario`].

use anyhow::{Context, Result};
use axum::body::Bytes;
use lambda_http::{Body, Response};
use serde_json::{Value, json};

use super::scenario::Scenario;
use crate::{ApiGateway, Prepared};
use portal_shared::metering::{AwsRequests, measured};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Staff,
    Customer,
}

#[derive(Debug, Clone)]
pub struct RouteCase {
    /// The route table's key, e.g. `GET /contacts/{contactId}`.
    pub route: &'static str,
    pub path: String,
    pub body: Option<Value>,
    pub caller: Caller,
    /// The status every invocation must answer.
    pub status: u16,
}

fn case(route: &'static str, path: impl Into<String>, caller: Caller, status: u16) -> RouteCase {
    RouteCase { route, path: path.into(), body: None, caller, status }
}

fn with_body(route: &'static str, path: impl Into<String>, body: Value, caller: Caller, status: u16) -> RouteCase {
    RouteCase { route, path: path.into(), body: Some(body), caller, status }
}

/// The repeatable routes, each with the request it is measured with.
pub fn cases(s: &Scenario) -> Vec<RouteCase> {
    use Caller::{Anonymous, Customer, Staff};
    let (contact, document, folder, tenant) = (&s.contact_id, &s.document_id, &s.folder_id, &s.tenant_id);
    vec![
        with_body(
            "POST /auth/staff/login",
            "/auth/staff/login",
            json!({ "email": s.staff_email, "password": super::scenario::STAFF_PASSWORD }),
            Anonymous,
            200,
        ),
        with_body(
            "POST /auth/customer/login",
            "/auth/customer/login",
            json!({ "email": s.customer_email, "password": super::scenario::CUSTOMER_PASSWORD }),
            Anonymous,
            200,
        ),
        with_body(
            "POST /auth/customer/forgot-password",
            "/auth/customer/forgot-password",
            json!({ "email": s.customer_email }),
            Anonymous,
            202,
        ),
        with_body(
            "POST /auth/staff/forgot-password",
            "/auth/staff/forgot-password",
            json!({ "email": s.staff_email }),
            Anonymous,
            202,
        ),
        with_body(
            "POST /registration/resend",
            "/registration/resend",
            json!({ "email": s.unconfirmed_email }),
            Anonymous,
            202,
        ),
        // Company sign-up's repeatable routes: the mode, a slug's availability, and a resend
        // for an email without a sign-up (the answer every email gets).
        case("GET /signup", "/signup", Anonymous, 200),
        case("GET /signup/slugs/{slug}", "/signup/slugs/bench-free-slug", Anonymous, 200),
        with_body(
            "POST /signup/resend",
            "/signup/resend",
            json!({ "email": "nobody-signed-up@bench.example" }),
            Anonymous,
            202,
        ),
        case("GET /me", "/me", Staff, 200),
        with_body("PATCH /me", "/me", json!({ "notifySubmissions": true }), Staff, 200),
        case("GET /contacts", "/contacts?limit=50", Staff, 200),
        case("GET /contacts/{contactId}", format!("/contacts/{contact}"), Staff, 200),
        case("GET /contacts/{contactId}/activity", format!("/contacts/{contact}/activity"), Staff, 200),
        case("GET /organizations", "/organizations", Staff, 200),
        case("POST /contacts/{contactId}/access", format!("/contacts/{contact}/access"), Staff, 200),
        case("GET /documents", "/documents?limit=50", Staff, 200),
        case("GET /documents/{documentId}", format!("/documents/{document}"), Staff, 200),
        case("GET /documents/{documentId}/activity", format!("/documents/{document}/activity"), Staff, 200),
        case("GET /drive", "/drive", Staff, 200),
        case("GET /folders/{folderId}", format!("/folders/{folder}"), Staff, 200),
        case("GET /folders/{folderId}/items", format!("/folders/{folder}/items"), Staff, 200),
        case("GET /submissions", "/submissions", Staff, 200),
        case("GET /contacts/{contactId}/submissions", format!("/contacts/{contact}/submissions"), Staff, 200),
        with_body(
            "POST /uploads",
            "/uploads",
            json!({ "fileName": "bench.pdf", "contentType": "application/pdf", "size": 1024 }),
            Staff,
            201,
        ),
        case("GET /documents/{documentId}/download", format!("/documents/{document}/download"), Staff, 200),
        case("GET /contacts/{contactId}/shares", format!("/contacts/{contact}/shares"), Staff, 200),
        case("GET /documents/{documentId}/shares", format!("/documents/{document}/shares"), Staff, 200),
        case("GET /folders/{folderId}/shares", format!("/folders/{folder}/shares"), Staff, 200),
        case("GET /settings", "/settings", Staff, 200),
        case("GET /staff", "/staff", Staff, 200),
        // (Sent again, it sends a new code: the same requests each time.)
        case("POST /staff/{staffId}/password-reset", format!("/staff/{}/password-reset", s.member_sub), Staff, 204),
        case("GET /portal/me", "/portal/me", Customer, 200),
        case("GET /portal/shares", "/portal/shares", Customer, 200),
        case(
            "GET /portal/companies/{tenantId}/documents/{documentId}/download",
            format!("/portal/companies/{tenant}/documents/{document}/download"),
            Customer,
            200,
        ),
        with_body(
            "POST /portal/companies/{tenantId}/uploads",
            format!("/portal/companies/{tenant}/uploads"),
            json!({ "fileName": "back.pdf", "contentType": "application/pdf", "size": 1024 }),
            Customer,
            201,
        ),
        case("GET /portal/submissions", "/portal/submissions", Customer, 200),
        case("GET /portal/preferences", "/portal/preferences", Customer, 200),
    ]
}

/// The function serving a route key (`GET /contacts` → `contacts`).
pub fn function_of(route: &str) -> Option<&'static str> {
    portal_shared::routes::ROUTES.iter().find(|r| r.key() == route).map(|r| r.function)
}

/// One invocation of a case, as API Gateway would make it.
pub fn prepare(api: &ApiGateway, s: &Scenario, case: &RouteCase) -> Result<Prepared> {
    let method = case.route.split(' ').next().unwrap_or("GET");
    let mut request = http::Request::builder().method(method).uri(&case.path);
    let token = match case.caller {
        Caller::Anonymous => None,
        Caller::Staff => s.staff.token(),
        Caller::Customer => s.customer.token(),
    };
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = case.body.as_ref().map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    if case.body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let (parts, ()) = request.body(())?.into_parts();
    let path = case.path.split('?').next().unwrap_or_default();
    api.prepare(&parts, path, &body).map_err(|err| anyhow::anyhow!("{}: {err}", case.route))
}

/// A measured invocation: the response and its AWS requests.
pub struct Invocation {
    pub response: Response<Body>,
    pub calls: AwsRequests,
}

pub async fn invoke(api: &ApiGateway, s: &Scenario, case: &RouteCase) -> Result<Invocation> {
    let prepared = prepare(api, s, case)?;
    let (response, cost) = measured(api.invoke(prepared)).await;
    let calls = cost.aws;
    let status = response.status().as_u16();
    if status != case.status {
        let body = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        return Err(anyhow::anyhow!("{} answered {status}, not {}: {body}", case.route, case.status))
            .context("the benchmark's request is no longer right");
    }
    Ok(Invocation { response, calls })
}

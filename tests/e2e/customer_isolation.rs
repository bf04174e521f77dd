//! The customer matrix: every customer route × {anonymous, staff, customer A, customer B,
//! A after access closed}. A never sees, downloads, uploads into or deletes anything of B
//! or of a company that has not given A access; staff tokens are not customer tokens.

use portal_shared::routes::{Authorizer, ROUTES};
use portal_tests::{anonymous, assert_problem, registered_customer, tenant_fixture, unique};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn every_customer_route_refuses_who_it_must_and_leaks_nothing() -> anyhow::Result<()> {
    let a_company = tenant_fixture().await?;
    let b_company = tenant_fixture().await?;
    let a_email = format!("{}@a.example", unique("a"));
    let b_email = format!("{}@b.example", unique("b"));
    let (a, a_contact) = registered_customer(&a_company.member, &a_email).await?;
    let (b, _) = registered_customer(&b_company.member, &b_email).await?;
    let a_tenant = a_company.tenant.id.to_string();

    // A's company shares a document with A; A submits one.
    let doc = a_company.member.upload("A secret.txt", "text/plain", b"secret").await?;
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    a_company.member.wait_settled(&doc_id, portal_tests::SETTLE).await?;
    a_company
        .member
        .post("/shares", json!({ "items": [{ "kind": "document", "id": doc_id }], "contactIds": [a_contact] }))
        .await?
        .expect(200)?;
    let submission = a.submit(&a_tenant, "A mine.txt", "text/plain", b"me").await?["id"].as_str().unwrap().to_owned();
    a_company.member.wait_settled(&submission, portal_tests::SETTLE).await?;
    let secrets = [doc_id.clone(), submission.clone(), a_email.clone(), "A secret".to_owned(), "A mine".to_owned()];

    let request = |key: &str| -> (Method, String, Option<Value>) {
        let upload = json!({ "fileName": "x.txt", "contentType": "text/plain", "size": 1 });
        match key {
            "GET /portal/me" => (Method::GET, "/portal/me".into(), None),
            "GET /portal/shares" => (Method::GET, "/portal/shares".into(), None),
            "GET /portal/companies/{tenantId}/documents/{documentId}/download" => {
                (Method::GET, format!("/portal/companies/{a_tenant}/documents/{doc_id}/download"), None)
            }
            "POST /portal/companies/{tenantId}/uploads" => {
                (Method::POST, format!("/portal/companies/{a_tenant}/uploads"), Some(upload))
            }
            "GET /portal/submissions" => (Method::GET, "/portal/submissions".into(), None),
            "DELETE /portal/companies/{tenantId}/submissions/{documentId}" => {
                (Method::DELETE, format!("/portal/companies/{a_tenant}/submissions/{submission}"), None)
            }
            "GET /portal/preferences" => (Method::GET, "/portal/preferences".into(), None),
            "PUT /portal/preferences" => {
                (Method::PUT, "/portal/preferences".into(), Some(json!({ "emailNotifications": false })))
            }
            "POST /auth/customer/logout" => (Method::POST, "/auth/customer/logout".into(), None),
            other => panic!("no customer-matrix case for {other}: add one"),
        }
    };
    // B's answer for each route: what is about A's company is refused, the rest is B's own.
    let as_b = |key: &str| match key {
        "GET /portal/companies/{tenantId}/documents/{documentId}/download"
        | "POST /portal/companies/{tenantId}/uploads"
        | "DELETE /portal/companies/{tenantId}/submissions/{documentId}" => 403,
        "POST /auth/customer/logout" => 204,
        _ => 200,
    };

    for route in ROUTES.iter().filter(|r| r.authorizer == Authorizer::Customer) {
        let key = route.key();
        let (method, path, body) = request(&key);
        for (who, client) in [("anonymous", anonymous()), ("staff", a_company.admin.clone())] {
            let response = client.send(method.clone(), &path, body.clone()).await?;
            assert_eq!(response.status, 401, "{key} as {who}: {}", response.json);
            assert_problem(&response, 401);
        }
        if key == "POST /auth/customer/logout" {
            continue; // signs B out: checked last
        }
        let response = b.send(method.clone(), &path, body.clone()).await?;
        assert_eq!(response.status, as_b(&key), "{key} as customer B: {}", response.json);
        let text = response.json.to_string();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{key} showed A's {secret} to B: {text}");
        }
    }
    // A sees their own; the submission is still there (B's delete was refused).
    portal_tests::shares_when(&a, "/portal/shares", |page| page.to_string().contains(&doc_id)).await?;
    assert!(a.get("/portal/submissions").await?.expect(200)?.to_string().contains(&submission));
    a.get(&format!("/portal/companies/{a_tenant}/documents/{doc_id}/download")).await?.expect(200)?;

    // A after access closed: every company-scoped route refuses, lists are empty.
    a_company.admin.send(Method::DELETE, &format!("/contacts/{a_contact}/access"), None).await?.expect(200)?;
    for route in ROUTES.iter().filter(|r| r.authorizer == Authorizer::Customer && r.path != "/auth/customer/logout") {
        let key = route.key();
        let (method, path, body) = request(&key);
        let response = a.send(method, &path, body).await?;
        let expected = if path.contains(&a_tenant) { 403 } else { 200 };
        assert_eq!(response.status, expected, "{key} as A after access closed: {}", response.json);
        if key == "GET /portal/shares" || key == "GET /portal/submissions" {
            assert!(!response.json.to_string().contains(&doc_id), "{key}: {}", response.json);
        }
    }
    let (method, path, _) = request("POST /auth/customer/logout");
    b.send(method, &path, None).await?.expect(204)?;
    Ok(())
}

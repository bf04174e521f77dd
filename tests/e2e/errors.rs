//! Bad input on every route gets a clear 4xx problem+json, never a 5xx, and writes nothing.

use portal_tests::{assert_problem, tenant_fixture};
use reqwest::Method;
use serde_json::json;

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn malformed_bodies_are_refused_and_nothing_is_written() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let cases: Vec<(&str, Option<&str>, Vec<u8>, u16)> = vec![
        ("/contacts", JSON, b"{not json".to_vec(), 400),
        ("/contacts", JSON, b"".to_vec(), 400),
        ("/contacts", JSON, b"[1,2,3]".to_vec(), 422),
        ("/contacts", JSON, br#"{"email":"a@b.co"}"#.to_vec(), 422),
        ("/contacts", JSON, br#"{"email":5,"name":"A"}"#.to_vec(), 422),
        ("/contacts", JSON, br#"{"email":"not-an-email","name":"A"}"#.to_vec(), 422),
        ("/contacts", JSON, br#"{"email":"a@b.co","name":""}"#.to_vec(), 422),
        ("/contacts", JSON, format!(r#"{{"email":"a@b.co","name":"{}"}}"#, "n".repeat(201)).into_bytes(), 422),
        ("/contacts", JSON, br#"{"email":"a@b.co","name":"A","tenantId":"x"}"#.to_vec(), 422),
        ("/contacts", Some("text/plain"), br#"{"email":"a@b.co","name":"A"}"#.to_vec(), 415),
        ("/contacts", JSON, format!(r#"{{"email":"a@b.co","name":"{}"}}"#, "n".repeat(70_000)).into_bytes(), 413),
        ("/uploads", JSON, br#"{"fileName":"../../etc/passwd","contentType":"text/plain","size":1}"#.to_vec(), 422),
        ("/uploads", JSON, br#"{"fileName":"a.txt","contentType":"text","size":1}"#.to_vec(), 422),
        ("/uploads", JSON, br#"{"fileName":"a.txt","contentType":"text/plain","size":-1}"#.to_vec(), 422),
        ("/uploads", JSON, br#"{"fileName":"a.txt","contentType":"text/plain","size":"1"}"#.to_vec(), 422),
        ("/uploads", JSON, br#"{"fileName":"a.txt","contentType":"text/plain","size":104857601}"#.to_vec(), 422),
        ("/uploads", JSON, br#"{"fileName":"a.txt","contentType":"text/plain"}"#.to_vec(), 422),
        ("/auth/staff/login", JSON, br#"{"email":"a@b.co"}"#.to_vec(), 422),
        ("/auth/staff/login", JSON, b"{".to_vec(), 400),
        ("/auth/staff/refresh", JSON, br#"{"refreshToken":""}"#.to_vec(), 422),
    ];
    for (path, content_type, body, status) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        let response = t.member.send_raw(Method::POST, path, content_type, body).await?;
        assert_eq!(response.status, status, "POST {path} {shown}: {}", response.json);
        assert_problem(&response, status);
    }
    let contacts = t.member.get("/contacts").await?.expect(200)?;
    assert_eq!(contacts["items"], json!([]), "a refused request wrote a contact");
    let documents = t.member.get("/documents").await?.expect(200)?;
    assert_eq!(documents["items"], json!([]), "a refused request wrote a document");
    Ok(())
}

#[tokio::test]
async fn oversized_requests_are_refused_at_the_gateway() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let body = vec![b' '; 10 * 1024 * 1024 + 1];
    let response = t.member.send_raw(Method::POST, "/contacts", JSON, body).await?;
    assert_problem(&response, 413);
    Ok(())
}

#[tokio::test]
async fn unknown_routes_ids_and_queries_get_4xx() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let missing = uuid::Uuid::now_v7();
    for (method, path, status) in [
        (Method::GET, "/nope".to_owned(), 404),
        (Method::DELETE, "/contacts".to_owned(), 404),
        // The API's root, also reached by a path whose `..` the client resolves.
        (Method::POST, "/".to_owned(), 404),
        (Method::GET, "/folders/%2e%2e".to_owned(), 404),
        (Method::GET, format!("/contacts/{missing}"), 404),
        (Method::GET, format!("/documents/{missing}"), 404),
        (Method::GET, format!("/documents/{missing}/download"), 404),
        (Method::GET, "/contacts/not-a-uuid".to_owned(), 400),
        (Method::GET, "/documents/..%2F..%2Fetc/download".to_owned(), 400),
        (Method::GET, "/contacts?limit=0".to_owned(), 422),
        (Method::GET, "/contacts?limit=abc".to_owned(), 422),
        (Method::GET, "/documents?limit=1000".to_owned(), 422),
        (Method::GET, "/contacts?cursor=%%%".to_owned(), 400),
        (Method::GET, "/documents?cursor=bm90LWpzb24".to_owned(), 400),
    ] {
        let response = t.member.send(method.clone(), &path, None).await?;
        assert_eq!(response.status, status, "{method} {path}: {}", response.json);
        assert_problem(&response, status);
    }
    Ok(())
}

#[tokio::test]
async fn a_duplicate_contact_email_is_a_conflict() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    t.member.post("/contacts", json!({ "email": "dup@client.example", "name": "First" })).await?.expect(201)?;
    let again = t.admin.post("/contacts", json!({ "email": "DUP@client.example", "name": "Second" })).await?;
    assert_problem(&again, 409);
    let contacts = t.member.get("/contacts").await?.expect(200)?;
    assert_eq!(contacts["items"].as_array().unwrap().len(), 1);
    Ok(())
}

#[tokio::test]
async fn pagination_walks_every_contact_once() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    for i in 0..5 {
        t.member
            .post("/contacts", json!({ "email": format!("c{i}@client.example"), "name": format!("C {i}") }))
            .await?
            .expect(201)?;
    }
    let mut seen = Vec::new();
    let mut path = "/contacts?limit=2".to_owned();
    for _ in 0..10 {
        let page = t.viewer.get(&path).await?.expect(200)?;
        seen.extend(page["items"].as_array().unwrap().iter().map(|c| c["email"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/contacts?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    // Newest first (ids are time-ordered).
    assert_eq!(seen, (0..5).rev().map(|i| format!("c{i}@client.example")).collect::<Vec<_>>());
    Ok(())
}

/// Every route with a path parameter refuses a malformed or traversing value with a 4xx
/// problem (never a 5xx, never a match of another route).
#[tokio::test]
async fn every_path_parameter_refuses_malformed_values() -> anyhow::Result<()> {
    use portal_shared::routes::{Authorizer, ROUTES};
    let t = portal_tests::tenant_fixture().await?;
    let email = format!("{}@customer.example", portal_tests::unique("pp"));
    let (customer, _) = portal_tests::registered_customer(&t.member, &email).await?;
    for route in ROUTES.iter().filter(|r| r.path.contains('{')) {
        let client = match route.authorizer {
            Authorizer::Staff => t.admin.clone(),
            Authorizer::Customer => customer.clone(),
            Authorizer::Public => portal_tests::anonymous(),
        };
        // "not-an-id" is a well-formed portal slug (a free one is a 200 on
        // `GET /signup/slugs/{slug}`): slugs get a malformed one instead.
        let first = if route.path.contains("{slug}") { "not_a_slug" } else { "not-an-id" };
        for bad in [first, "..%2F..%2Fetc", "01J0000000000000000000000Z", "%00"] {
            let path: String = route
                .path
                .split('/')
                .map(|segment| if segment.starts_with('{') { bad } else { segment })
                .collect::<Vec<_>>()
                .join("/");
            let body = matches!(route.method, "POST" | "PUT" | "PATCH").then(|| serde_json::json!({}));
            let response = client.send(route.method.parse()?, &path, body).await?;
            assert!(
                (400..500).contains(&response.status),
                "{} with {bad}: {} {}",
                route.key(),
                response.status,
                response.json
            );
            assert_eq!(response.content_type, "application/problem+json", "{} with {bad}", route.key());
        }
    }
    Ok(())
}

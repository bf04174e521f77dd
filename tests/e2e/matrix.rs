//! The authorization matrix: every staff route of the route table × {anonymous, customer,
//! staff of another tenant, viewer, member, admin} → the expected status. A route added to
//! the table without a case here fails this test. Nothing of tenant A ever appears in what
//! another tenant's staff get back, and the viewer's refused writes change nothing.

use std::time::Duration;

use portal_shared::routes::{Authorizer, ROUTES};
use portal_tests::{TenantFixture, anonymous, assert_problem, env, forge, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// Tenant A's things the requests point at.
struct Ids {
    contact: String,
    organization: String,
    document: String,
}

/// One request of a route, made against tenant A.
struct Case {
    path: String,
    body: Option<Value>,
    /// The status admins and members get (viewers get it too for reads, 403 for writes).
    ok: u16,
    write: bool,
    /// Whether the path names one of tenant A's things (another tenant gets 404).
    names_a_thing: bool,
}

async fn case(route_key: &str, t: &TenantFixture, ids: &Ids) -> anyhow::Result<Case> {
    let unique = portal_tests::unique("m");
    let read = |path: String, names_a_thing| Case { path, body: None, ok: 200, write: false, names_a_thing };
    let write =
        |path: String, body: Option<Value>, ok, names_a_thing| Case { path, body, ok, write: true, names_a_thing };
    Ok(match route_key {
        "GET /me" => read("/me".into(), false),
        "GET /contacts" => read("/contacts".into(), false),
        "GET /contacts/{contactId}" => read(format!("/contacts/{}", ids.contact), true),
        "POST /contacts" => {
            write("/contacts".into(), Some(json!({ "email": format!("{unique}@c.example"), "name": "N" })), 201, false)
        }
        "PATCH /contacts/{contactId}" => {
            write(format!("/contacts/{}", ids.contact), Some(json!({ "name": unique })), 200, true)
        }
        "DELETE /contacts/{contactId}" => {
            // A fresh contact per call: each allowed delete consumes one.
            let fresh = t
                .admin
                .post("/contacts", json!({ "email": format!("{unique}@d.example"), "name": "D" }))
                .await?
                .expect(201)?;
            write(format!("/contacts/{}", fresh["id"].as_str().unwrap()), None, 204, true)
        }
        "GET /organizations" => read("/organizations".into(), false),
        "GET /organizations/{organizationId}" => read(format!("/organizations/{}", ids.organization), true),
        "GET /organizations/{organizationId}/contacts" => {
            read(format!("/organizations/{}/contacts", ids.organization), true)
        }
        "POST /organizations" => write("/organizations".into(), Some(json!({ "name": unique })), 201, false),
        "PATCH /organizations/{organizationId}" => {
            write(format!("/organizations/{}", ids.organization), Some(json!({ "name": unique })), 200, true)
        }
        "DELETE /organizations/{organizationId}" => {
            let fresh = t.admin.post("/organizations", json!({ "name": unique })).await?.expect(201)?;
            write(format!("/organizations/{}", fresh["id"].as_str().unwrap()), None, 204, true)
        }
        "POST /contacts/{contactId}/access" => write(format!("/contacts/{}/access", ids.contact), None, 200, true),
        "DELETE /contacts/{contactId}/access" => {
            // A fresh contact with open access per call: each allowed close consumes one.
            let fresh = t
                .admin
                .post("/contacts", json!({ "email": format!("{unique}@a.example"), "name": "A" }))
                .await?
                .expect(201)?;
            let path = format!("/contacts/{}/access", fresh["id"].as_str().unwrap());
            t.admin.send(Method::POST, &path, None).await?.expect(200)?;
            write(path, None, 200, true)
        }
        "POST /organizations/{organizationId}/access" => {
            write(format!("/organizations/{}/access", ids.organization), None, 200, true)
        }
        "DELETE /organizations/{organizationId}/access" => {
            write(format!("/organizations/{}/access", ids.organization), None, 200, true)
        }
        "GET /documents" => read("/documents".into(), false),
        "GET /documents/{documentId}" => read(format!("/documents/{}", ids.document), true),
        "GET /documents/{documentId}/download" => read(format!("/documents/{}/download", ids.document), true),
        "POST /uploads" => write(
            "/uploads".into(),
            Some(json!({ "fileName": "m.txt", "contentType": "text/plain", "size": 1 })),
            201,
            false,
        ),
        other => anyhow::bail!("no authorization-matrix case for {other}: add one"),
    })
}

async fn call(client: &ApiClient, method: &Method, case: &Case) -> anyhow::Result<portal_tests::ApiResponse> {
    client.send(method.clone(), &case.path, case.body.clone()).await
}

#[tokio::test]
async fn every_staff_route_refuses_exactly_who_it_must() -> anyhow::Result<()> {
    let a = tenant_fixture().await?;
    let b = tenant_fixture().await?;
    let organization = a.member.post("/organizations", json!({ "name": "A org" })).await?.expect(201)?;
    let contact = a
        .member
        .post(
            "/contacts",
            json!({ "email": "secret@a.example", "name": "A client", "organizationId": organization["id"] }),
        )
        .await?
        .expect(201)?;
    let document = a.member.upload("a-secret.txt", "text/plain", b"secret").await?;
    let document_id = document["id"].as_str().unwrap().to_owned();
    a.member.wait_settled(&document_id, Duration::from_secs(30)).await?;
    let ids = Ids {
        contact: contact["id"].as_str().unwrap().to_owned(),
        organization: organization["id"].as_str().unwrap().to_owned(),
        document: document_id,
    };
    // What tenant A has that nobody else may see.
    let secrets = [
        a.tenant.id.to_string(),
        ids.contact.clone(),
        ids.organization.clone(),
        ids.document.clone(),
        "secret@a.example".into(),
    ];

    let customer_pool = &env().stack.customer_pool;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let customer = anonymous().with_token(&forge::sign(&json!({
        "iss": customer_pool.issuer, "sub": a.member_account.member.sub.to_string(), "client_id": customer_pool.client_id,
        "token_use": "access", "iat": now, "exp": now + 600,
    }))?);

    for route in ROUTES {
        let method: Method = route.method.parse()?;
        if route.authorizer == Authorizer::Public {
            assert!(route.path.starts_with("/auth/"), "{} is public", route.key());
            continue;
        }
        assert_eq!(route.authorizer, Authorizer::Staff, "{}: add the customer matrix", route.key());
        let key = route.key();

        for (who, client) in [("anonymous", anonymous()), ("a customer", customer.clone())] {
            let c = case(&key, &a, &ids).await?;
            let response = call(&client, &method, &c).await?;
            assert_eq!(response.status, 401, "{key} as {who}: {}", response.json);
            assert_problem(&response, 401);
        }

        let c = case(&key, &a, &ids).await?;
        let response = call(&b.admin, &method, &c).await?;
        let expected = if c.names_a_thing { 404 } else { c.ok };
        assert_eq!(response.status, expected, "{key} as another tenant's admin: {}", response.json);
        let text = response.json.to_string();
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{key} showed tenant A's {secret} to tenant B: {text}");
        }

        let c = case(&key, &a, &ids).await?;
        let response = call(&a.viewer, &method, &c).await?;
        if c.write {
            assert_problem(&response, 403);
        } else {
            assert_eq!(response.status, c.ok, "{key} as viewer: {}", response.json);
        }

        for (who, client) in [("member", &a.member), ("admin", &a.admin)] {
            let c = case(&key, &a, &ids).await?;
            let response = call(client, &method, &c).await?;
            assert_eq!(response.status, c.ok, "{key} as {who}: {}", response.json);
        }
    }

    // The viewer's refused writes changed nothing: A's contact keeps the last name an
    // allowed PATCH gave it, and B has only what B created itself.
    let now_contact = a.viewer.get(&format!("/contacts/{}", ids.contact)).await?.expect(200)?;
    assert_eq!(now_contact["email"], "secret@a.example");
    let b_contacts = b.admin.get("/contacts").await?.expect(200)?;
    assert!(!b_contacts.to_string().contains("secret@a.example"));
    Ok(())
}

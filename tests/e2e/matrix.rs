//! The authorization matrix: every staff route of the route table × {anonymous, customer,
//! staff of another tenant, viewer, member, admin} → the expected status. A route added to
//! the table without a case here fails this test. Nothing of tenant A ever appears in what
//! another tenant's staff get back, and the viewer's refused writes change nothing.

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
    folder: String,
    staff: String,
    /// A job of tenant A (a non-empty folder's delete).
    job: String,
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
    /// Staff accounts, settings and branding: members are refused too.
    admin_only: bool,
    /// What another tenant's admin gets when it is neither `ok` nor 404 (a body naming
    /// tenant A's things is a 422: no such contact/item in their tenant).
    other_tenant: Option<u16>,
}

impl Case {
    fn admin_only(self) -> Self {
        Self { admin_only: true, ..self }
    }

    fn other_tenant(self, status: u16) -> Self {
        Self { other_tenant: Some(status), ..self }
    }
}

async fn case(route_key: &str, t: &TenantFixture, ids: &Ids) -> anyhow::Result<Case> {
    let unique = portal_tests::unique("m");
    let read = |path: String, names_a_thing| Case {
        path,
        body: None,
        ok: 200,
        write: false,
        names_a_thing,
        admin_only: false,
        other_tenant: None,
    };
    let write = |path: String, body: Option<Value>, ok, names_a_thing| Case {
        path,
        body,
        ok,
        write: true,
        names_a_thing,
        admin_only: false,
        other_tenant: None,
    };
    Ok(match route_key {
        "GET /me" => read("/me".into(), false),
        // Every staff member sets their own email choice, viewers included.
        "PATCH /me" => {
            Case { write: false, ..write("/me".into(), Some(json!({ "notifySubmissions": true })), 200, false) }
        }
        // With a search: another tenant searching for A's words finds nothing of A's.
        "GET /contacts" => read("/contacts?q=secret+a".into(), false),
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
        "GET /documents" => read("/documents?q=a-secret".into(), false),
        "GET /documents/{documentId}" => read(format!("/documents/{}", ids.document), true),
        "GET /documents/{documentId}/download" => read(format!("/documents/{}/download", ids.document), true),
        "POST /uploads" => write(
            "/uploads".into(),
            Some(json!({ "fileName": "m.txt", "contentType": "text/plain", "size": 1 })),
            201,
            false,
        ),
        "PATCH /documents/{documentId}" => {
            write(format!("/documents/{}", ids.document), Some(json!({ "name": format!("{unique}.txt") })), 200, true)
        }
        "DELETE /documents/{documentId}" => {
            // A fresh (pending) document per call: each allowed delete consumes one.
            let fresh = t
                .admin
                .post("/uploads", json!({ "fileName": "d.txt", "contentType": "text/plain", "size": 1 }))
                .await?
                .expect(201)?;
            write(format!("/documents/{}", fresh["document"]["id"].as_str().unwrap()), None, 204, true)
        }
        "GET /documents/{documentId}/activity" => read(format!("/documents/{}/activity", ids.document), true),
        "GET /contacts/{contactId}/activity" => read(format!("/contacts/{}/activity", ids.contact), true),
        "GET /drive" => read("/drive".into(), false),
        "POST /folders" => write("/folders".into(), Some(json!({ "name": unique })), 201, false),
        "GET /folders/{folderId}" => read(format!("/folders/{}", ids.folder), true),
        "GET /folders/{folderId}/items" => read(format!("/folders/{}/items", ids.folder), true),
        "PATCH /folders/{folderId}" => {
            write(format!("/folders/{}", ids.folder), Some(json!({ "name": unique })), 200, true)
        }
        "DELETE /folders/{folderId}" => {
            let fresh = t.admin.post("/folders", json!({ "name": unique })).await?.expect(201)?;
            write(format!("/folders/{}", fresh["id"].as_str().unwrap()), None, 204, true)
        }
        "GET /submissions" => read("/submissions".into(), false),
        "GET /contacts/{contactId}/submissions" => read(format!("/contacts/{}/submissions", ids.contact), true),
        "POST /shares" => write(
            "/shares".into(),
            Some(json!({ "items": [{ "kind": "document", "id": ids.document }], "contactIds": [ids.contact] })),
            200,
            false,
        )
        .other_tenant(422),
        "GET /contacts/{contactId}/shares" => read(format!("/contacts/{}/shares", ids.contact), true),
        "PUT /contacts/{contactId}/shares" => write(
            format!("/contacts/{}/shares", ids.contact),
            Some(json!({ "items": [{ "kind": "document", "id": ids.document }] })),
            200,
            true,
        ),
        "DELETE /contacts/{contactId}/shares/{itemId}" => {
            // A fresh folder shared per call: each allowed unshare consumes one.
            let fresh = t.admin.post("/folders", json!({ "name": unique })).await?.expect(201)?;
            let folder = fresh["id"].as_str().unwrap().to_owned();
            t.admin
                .post("/shares", json!({ "items": [{ "kind": "folder", "id": folder }], "contactIds": [ids.contact] }))
                .await?
                .expect(200)?;
            write(format!("/contacts/{}/shares/{folder}", ids.contact), None, 204, true)
        }
        "GET /jobs/{jobId}" => read(format!("/jobs/{}", ids.job), true),
        "DELETE /organizations/{organizationId}/shares/{itemId}" => {
            // A fresh folder shared with the organization per call: each allowed unshare
            // consumes one (and starts the job that removes its members' shares).
            let fresh = t.admin.post("/folders", json!({ "name": unique })).await?.expect(201)?;
            let folder = fresh["id"].as_str().unwrap().to_owned();
            let body = json!({ "items": [{ "kind": "folder", "id": folder }], "organizationId": ids.organization });
            t.admin.post("/shares", body).await?.expect(200)?;
            write(format!("/organizations/{}/shares/{folder}", ids.organization), None, 202, true)
        }
        "GET /documents/{documentId}/shares" => read(format!("/documents/{}/shares", ids.document), true),
        "GET /folders/{folderId}/shares" => read(format!("/folders/{}/shares", ids.folder), true),
        "GET /settings" => read("/settings".into(), false),
        "PATCH /settings" => {
            write("/settings".into(), Some(json!({ "accentColor": "#123456" })), 200, false).admin_only()
        }
        "POST /settings/logo" => {
            write("/settings/logo".into(), Some(json!({ "contentType": "image/png", "size": 10 })), 201, false)
                .admin_only()
        }
        "DELETE /settings/logo" => {
            // A logo in place per call: each allowed removal consumes one.
            portal_tests::upload_logo(&t.admin, b"\x89PNG fake logo").await?;
            write("/settings/logo".into(), None, 204, false).admin_only().other_tenant(404)
        }
        "GET /staff" => read("/staff".into(), false),
        "POST /staff" => write(
            "/staff".into(),
            Some(json!({ "email": format!("{unique}@staff.example"), "role": "viewer" })),
            201,
            false,
        )
        .admin_only(),
        "PATCH /staff/{staffId}" => {
            write(format!("/staff/{}", ids.staff), Some(json!({ "role": "member" })), 200, true).admin_only()
        }
        "DELETE /staff/{staffId}" => {
            let fresh = t
                .admin
                .post("/staff", json!({ "email": format!("{unique}@gone.example"), "role": "viewer" }))
                .await?
                .expect(201)?;
            write(format!("/staff/{}", fresh["sub"].as_str().unwrap()), None, 204, true).admin_only()
        }
        "POST /staff/{staffId}/password-reset" => {
            // A fresh colleague who has signed in (a password of their own) per call.
            let email = format!("{unique}@reset.example");
            let account = xtask::seed::Seeder::new(&env().stack)
                .await
                .staff(t.tenant.id, &email, portal_shared::domain::Role::Viewer, portal_tests::PASSWORD)
                .await?;
            write(format!("/staff/{}/password-reset", account.member.sub), None, 204, true).admin_only()
        }
        // Every staff member signs themselves out (each role's token once: it is revoked).
        "POST /auth/staff/logout" => Case { write: false, ..write("/auth/staff/logout".into(), None, 204, false) },
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
    a.member.wait_settled(&document_id, portal_tests::SETTLE).await?;
    let folder = a.member.post("/folders", json!({ "name": "A folder" })).await?.expect(201)?;
    // A job: deleting a folder that holds a document.
    let full = a.member.post("/folders", json!({ "name": "A full folder" })).await?.expect(201)?;
    let full_id = full["id"].as_str().unwrap().to_owned();
    a.member
        .post("/uploads", json!({ "fileName": "in.txt", "contentType": "text/plain", "size": 2, "folderId": full_id }))
        .await?
        .expect(201)?;
    let job = a.member.send(Method::DELETE, &format!("/folders/{full_id}"), None).await?.expect(202)?;
    let ids = Ids {
        contact: contact["id"].as_str().unwrap().to_owned(),
        organization: organization["id"].as_str().unwrap().to_owned(),
        document: document_id,
        folder: folder["id"].as_str().unwrap().to_owned(),
        staff: a.member_account.member.sub.to_string(),
        job: job["jobId"].as_str().unwrap().to_owned(),
    };
    // What tenant A has that nobody else may see.
    let secrets = [
        a.tenant.id.to_string(),
        ids.contact.clone(),
        ids.organization.clone(),
        ids.document.clone(),
        ids.folder.clone(),
        ids.staff.clone(),
        ids.job.clone(),
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
            // Sign-in, registration, company sign-up (signup.rs, with its own matrix:
            // `every_sign_up_route_answers_alike_whoever_calls`, and every mode) and the
            // portal links' public branding; tested on their own.
            let public = ["/auth/", "/branding/", "/registration", "/signup"];
            assert!(public.iter().any(|p| route.path.starts_with(p)), "{} is public", route.key());
            continue;
        }
        if route.authorizer == Authorizer::Customer {
            // The customer routes have their own matrix (customer_isolation.rs).
            continue;
        }
        let key = route.key();

        for (who, client) in [("anonymous", anonymous()), ("a customer", customer.clone())] {
            let c = case(&key, &a, &ids).await?;
            let response = call(&client, &method, &c).await?;
            assert_eq!(response.status, 401, "{key} as {who}: {}", response.json);
            assert_problem(&response, 401);
        }

        let c = case(&key, &a, &ids).await?;
        let response = call(&b.admin, &method, &c).await?;
        let expected = c.other_tenant.unwrap_or(if c.names_a_thing { 404 } else { c.ok });
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

        let c = case(&key, &a, &ids).await?;
        let response = call(&a.member, &method, &c).await?;
        if c.admin_only {
            assert_problem(&response, 403);
        } else {
            assert_eq!(response.status, c.ok, "{key} as member: {}", response.json);
        }

        let c = case(&key, &a, &ids).await?;
        let response = call(&a.admin, &method, &c).await?;
        assert_eq!(response.status, c.ok, "{key} as admin: {}", response.json);
    }

    // The viewer's refused writes changed nothing: A's contact keeps the last name an
    // allowed PATCH gave it, and B has only what B created itself.
    let now_contact = a.viewer.get(&format!("/contacts/{}", ids.contact)).await?.expect(200)?;
    assert_eq!(now_contact["email"], "secret@a.example");
    let b_contacts = b.admin.get("/contacts").await?.expect(200)?;
    assert!(!b_contacts.to_string().contains("secret@a.example"));
    Ok(())
}

//! Contacts and organizations: create, read, update, delete; organization membership via
//! the index; bad input and other tenants' ids refused with nothing written.

use portal_tests::{assert_problem, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};

fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn contacts_and_organizations_journey() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let acme = t.member.post("/organizations", json!({ "name": "Acme Industries" })).await?.expect(201)?;
    let acme_id = acme["id"].as_str().unwrap();
    let globex = t.admin.post("/organizations", json!({ "name": "Globex" })).await?.expect(201)?;
    let globex_id = globex["id"].as_str().unwrap();
    assert_eq!(ids(&t.viewer.get("/organizations").await?.expect(200)?), vec![globex_id, acme_id]);

    // A contact created in an organization, one moved into it, one outside it.
    let ana = t
        .member
        .post("/contacts", json!({ "email": "ana@acme.example", "name": "Ana", "organizationId": acme_id }))
        .await?
        .expect(201)?;
    assert_eq!(ana["organizationId"], acme_id);
    let bob = t.member.post("/contacts", json!({ "email": "bob@acme.example", "name": "Bob" })).await?.expect(201)?;
    let bob_id = bob["id"].as_str().unwrap();
    assert!(bob.get("organizationId").is_none());
    let moved = t
        .member
        .send(Method::PATCH, &format!("/contacts/{bob_id}"), Some(json!({ "organizationId": acme_id })))
        .await?
        .expect(200)?;
    assert_eq!(moved["organizationId"], acme_id);
    t.member.post("/contacts", json!({ "email": "carol@else.example", "name": "Carol" })).await?.expect(201)?;

    let members = t.viewer.get(&format!("/organizations/{acme_id}/contacts")).await?.expect(200)?;
    let mut emails: Vec<&str> =
        members["items"].as_array().unwrap().iter().map(|c| c["email"].as_str().unwrap()).collect();
    emails.sort();
    assert_eq!(emails, vec!["ana@acme.example", "bob@acme.example"]);
    // Paging through the index walks each member once.
    let first = t.viewer.get(&format!("/organizations/{acme_id}/contacts?limit=1")).await?.expect(200)?;
    let cursor = first["nextCursor"].as_str().expect("a second page");
    let second =
        t.viewer.get(&format!("/organizations/{acme_id}/contacts?limit=1&cursor={cursor}")).await?.expect(200)?;
    assert_ne!(ids(&first), ids(&second));
    assert_eq!(ids(&second).len(), 1);

    // Edit: name and email (the old email becomes free again, the new one is taken).
    let renamed = t
        .admin
        .send(
            Method::PATCH,
            &format!("/contacts/{bob_id}"),
            Some(json!({ "name": "Robert", "email": "robert@acme.example" })),
        )
        .await?
        .expect(200)?;
    assert_eq!((renamed["name"].as_str(), renamed["email"].as_str()), (Some("Robert"), Some("robert@acme.example")));
    assert_eq!(renamed["organizationId"], acme_id, "absent fields stay as they were");
    t.member.post("/contacts", json!({ "email": "bob@acme.example", "name": "New Bob" })).await?.expect(201)?;
    let taken = t
        .member
        .send(Method::PATCH, &format!("/contacts/{bob_id}"), Some(json!({ "email": "ana@acme.example" })))
        .await?;
    assert_problem(&taken, 409);

    // Out of the organization with null; an organization with contacts cannot be deleted.
    let blocked = t.member.send(Method::DELETE, &format!("/organizations/{acme_id}"), None).await?;
    assert_problem(&blocked, 409);
    t.member
        .send(Method::PATCH, &format!("/contacts/{bob_id}"), Some(json!({ "organizationId": null })))
        .await?
        .expect(200)?;
    let ana_id = ana["id"].as_str().unwrap();
    assert_eq!(t.member.send(Method::DELETE, &format!("/contacts/{ana_id}"), None).await?.status, 204);
    assert_problem(&t.member.get(&format!("/contacts/{ana_id}")).await?, 404);
    assert_problem(&t.member.send(Method::DELETE, &format!("/contacts/{ana_id}"), None).await?, 404);
    assert_eq!(t.viewer.get(&format!("/organizations/{acme_id}/contacts")).await?.expect(200)?["items"], json!([]));
    // The deleted contact's email is free again.
    t.member.post("/contacts", json!({ "email": "ana@acme.example", "name": "Ana again" })).await?.expect(201)?;

    let renamed = t
        .member
        .send(Method::PATCH, &format!("/organizations/{globex_id}"), Some(json!({ "name": "Globex Corp" })))
        .await?
        .expect(200)?;
    assert_eq!(renamed["name"], "Globex Corp");
    assert_eq!(t.member.send(Method::DELETE, &format!("/organizations/{acme_id}"), None).await?.status, 204);
    assert_eq!(ids(&t.viewer.get("/organizations").await?.expect(200)?), vec![globex_id]);
    Ok(())
}

#[tokio::test]
async fn bad_input_and_foreign_ids_are_refused_and_write_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let foreign_org = other.member.post("/organizations", json!({ "name": "Theirs" })).await?.expect(201)?;
    let foreign_org_id = foreign_org["id"].as_str().unwrap();
    let contact = t.member.post("/contacts", json!({ "email": "x@client.example", "name": "X" })).await?.expect(201)?;
    let id = contact["id"].as_str().unwrap();
    let path = format!("/contacts/{id}");
    let missing = uuid::Uuid::now_v7();

    for (method, path, body, status) in [
        (Method::PATCH, path.clone(), json!({}), 422),
        (Method::PATCH, path.clone(), json!({ "name": "" }), 422),
        (Method::PATCH, path.clone(), json!({ "email": "nope" }), 422),
        (Method::PATCH, path.clone(), json!({ "organizationId": "not-an-id" }), 422),
        (Method::PATCH, path.clone(), json!({ "organizationId": missing.to_string() }), 422),
        (Method::PATCH, path.clone(), json!({ "organizationId": foreign_org_id }), 422),
        (Method::PATCH, path.clone(), json!({ "tenantId": missing.to_string() }), 422),
        (Method::PATCH, format!("/contacts/{missing}"), json!({ "name": "Y" }), 404),
        (Method::PATCH, "/contacts/..%2Fx".to_owned(), json!({ "name": "Y" }), 400),
        (
            Method::POST,
            "/contacts".to_owned(),
            json!({ "email": "y@client.example", "name": "Y", "organizationId": foreign_org_id }),
            422,
        ),
        (Method::POST, "/organizations".to_owned(), json!({ "name": "  " }), 422),
        (Method::POST, "/organizations".to_owned(), json!({ "name": "N", "id": missing.to_string() }), 422),
        (Method::PATCH, format!("/organizations/{foreign_org_id}"), json!({ "name": "Mine now" }), 404),
        (Method::DELETE, format!("/organizations/{foreign_org_id}"), json!(null), 404),
        (Method::GET, format!("/organizations/{foreign_org_id}"), json!(null), 404),
        (Method::GET, format!("/organizations/{foreign_org_id}/contacts"), json!(null), 404),
        (Method::GET, "/organizations/nope/contacts".to_owned(), json!(null), 400),
    ] {
        let body = if body.is_null() { None } else { Some(body) };
        let response = t.member.send(method.clone(), &path, body.clone()).await?;
        assert_eq!(response.status, status, "{method} {path} {body:?}: {}", response.json);
        assert_problem(&response, status);
    }
    // Nothing changed on either side.
    assert_eq!(t.member.get(&path).await?.expect(200)?, contact);
    assert_eq!(t.member.get("/contacts").await?.expect(200)?["items"].as_array().unwrap().len(), 1);
    assert_eq!(t.member.get("/organizations").await?.expect(200)?["items"], json!([]));
    assert_eq!(other.member.get(&format!("/organizations/{foreign_org_id}")).await?.expect(200)?["name"], "Theirs");
    // A contact id of another tenant is not found, for reads and writes alike.
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({ "name": "Stolen" }));
        assert_problem(&other.admin.send(method, &path, body).await?, 404);
    }
    assert_eq!(t.member.get(&path).await?.expect(200)?, contact);
    Ok(())
}

//! Roles and tenants: a viewer reads but never writes; nothing of another tenant is ever
//! visible or reachable, whatever id or cursor is sent.

use portal_tests::{assert_problem, tenant_fixture};
use serde_json::json;

#[tokio::test]
async fn a_viewer_reads_everything_and_writes_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    t.member.post("/contacts", json!({ "email": "seen@client.example", "name": "Seen" })).await?.expect(201)?;
    let listed = t.viewer.get("/contacts").await?.expect(200)?;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let contact = t.viewer.post("/contacts", json!({ "email": "new@client.example", "name": "New" })).await?;
    assert_problem(&contact, 403);
    let upload =
        t.viewer.post("/uploads", json!({ "fileName": "a.txt", "contentType": "text/plain", "size": 1 })).await?;
    assert_problem(&upload, 403);

    assert_eq!(t.admin.get("/contacts").await?.expect(200)?["items"].as_array().unwrap().len(), 1);
    assert_eq!(t.admin.get("/documents").await?.expect(200)?["items"], json!([]));
    Ok(())
}

#[tokio::test]
async fn admins_and_members_write() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    t.admin.post("/contacts", json!({ "email": "a@client.example", "name": "A" })).await?.expect(201)?;
    t.member.post("/contacts", json!({ "email": "m@client.example", "name": "M" })).await?.expect(201)?;
    t.admin
        .post("/uploads", json!({ "fileName": "a.txt", "contentType": "text/plain", "size": 1 }))
        .await?
        .expect(201)?;
    Ok(())
}

#[tokio::test]
async fn nothing_crosses_tenants() -> anyhow::Result<()> {
    let a = tenant_fixture().await?;
    let b = tenant_fixture().await?;
    let contact =
        b.member.post("/contacts", json!({ "email": "secret@b.example", "name": "B's client" })).await?.expect(201)?;
    for i in 0..3 {
        b.member
            .post("/contacts", json!({ "email": format!("more{i}@b.example"), "name": "More" }))
            .await?
            .expect(201)?;
    }
    let ticket = b
        .member
        .post("/uploads", json!({ "fileName": "b.txt", "contentType": "text/plain", "size": 1 }))
        .await?
        .expect(201)?;
    let document = ticket["document"]["id"].as_str().unwrap();
    let contact_id = contact["id"].as_str().unwrap();

    // Same email in another tenant is a different contact, not a conflict.
    a.member.post("/contacts", json!({ "email": "secret@b.example", "name": "A's client" })).await?.expect(201)?;

    for path in
        [format!("/contacts/{contact_id}"), format!("/documents/{document}"), format!("/documents/{document}/download")]
    {
        for client in [&a.admin, &a.member, &a.viewer] {
            assert_problem(&client.get(&path).await?, 404);
        }
    }
    let a_contacts = a.admin.get("/contacts").await?.expect(200)?;
    assert_eq!(a_contacts["items"].as_array().unwrap().len(), 1);
    assert_eq!(a_contacts["items"][0]["name"], "A's client");
    assert_eq!(a.admin.get("/documents").await?.expect(200)?["items"], json!([]));

    // A cursor minted in tenant B is refused in tenant A.
    let page = b.member.get("/contacts?limit=2").await?.expect(200)?;
    let cursor = page["nextCursor"].as_str().expect("B has more than one page");
    assert_problem(&a.member.get(&format!("/contacts?cursor={cursor}")).await?, 400);
    // … and a contacts cursor cannot be replayed against documents.
    assert_problem(&b.member.get(&format!("/documents?cursor={cursor}")).await?, 400);
    Ok(())
}

#[tokio::test]
async fn me_tells_each_staff_member_their_own_role_and_tenant() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    for (client, role) in [(&t.admin, "admin"), (&t.member, "member"), (&t.viewer, "viewer")] {
        let me = client.get("/me").await?.expect(200)?;
        assert_eq!(me["role"], role);
        assert_eq!(me["tenantId"], t.tenant.id.to_string());
        assert_eq!(me["tenant"]["slug"], t.tenant.slug.as_str());
    }
    assert_problem(&portal_tests::anonymous().get("/me").await?, 401);
    Ok(())
}

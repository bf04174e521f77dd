//! The drive: nested folders, uploads into a folder, rename, move and delete (deleting a
//! document removes its bytes from the versioned bucket), and bad input on every drive route.

use portal_shared::domain::DocumentId;
use portal_shared::object_key::ObjectKey;
use portal_tests::{assert_problem, env, ids, sdk, tenant_fixture};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn folders_nest_and_documents_are_filed_renamed_moved_and_deleted() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let clients = t.member.post("/folders", json!({ "name": "Clients" })).await?.expect(201)?;
    let clients_id = clients["id"].as_str().unwrap();
    let y2026 = t.member.post("/folders", json!({ "name": "2026", "parentId": clients_id })).await?.expect(201)?;
    let y2026_id = y2026["id"].as_str().unwrap();
    assert_eq!(y2026["parentId"], clients_id);

    // Breadcrumbs: the folder with the folders above it.
    let view = t.viewer.get(&format!("/folders/{y2026_id}")).await?.expect(200)?;
    assert_eq!(view["name"], "2026");
    assert_eq!(ids(&json!({ "items": view["path"] })), vec![clients_id.to_owned()]);

    // Upload straight into the nested folder.
    let ticket = t
        .member
        .post(
            "/uploads",
            json!({ "fileName": "Report.txt", "contentType": "text/plain", "size": 5, "folderId": y2026_id }),
        )
        .await?
        .expect(201)?;
    portal_tests::put_presigned(&ticket["upload"], b"hello".to_vec()).await?;
    let doc_id = ticket["document"]["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&doc_id, portal_tests::SETTLE).await?;

    let root = t.viewer.get("/drive").await?.expect(200)?;
    assert_eq!(ids(&root), vec![clients_id.to_owned()], "only the top folder is at the root: {root}");
    assert_eq!(root["items"][0]["kind"], "folder");
    let inside = t.viewer.get(&format!("/folders/{y2026_id}/items")).await?.expect(200)?;
    assert_eq!(ids(&inside), vec![doc_id.clone()]);
    assert_eq!(inside["items"][0]["kind"], "document");
    assert_eq!(inside["items"][0]["status"], "available");

    // Rename and move the document to the root.
    let moved = t
        .member
        .send(
            Method::PATCH,
            &format!("/documents/{doc_id}"),
            Some(json!({ "name": "Annual report.txt", "folderId": null })),
        )
        .await?
        .expect(200)?;
    assert_eq!(moved["name"], "Annual report.txt");
    assert!(moved.get("folderId").is_none());
    assert!(ids(&t.viewer.get(&format!("/folders/{y2026_id}/items")).await?.expect(200)?).is_empty());
    let root = t.viewer.get("/drive").await?.expect(200)?;
    assert_eq!(ids(&root), vec![clients_id.to_owned(), doc_id.clone()], "folders first, then documents");
    // The rename did not undo the upload's settling.
    assert_eq!(t.viewer.get(&format!("/documents/{doc_id}")).await?.expect(200)?["status"], "available");

    // A folder cannot move into itself or below itself.
    for parent in [clients_id, y2026_id] {
        let response = t
            .member
            .send(Method::PATCH, &format!("/folders/{clients_id}"), Some(json!({ "parentId": parent })))
            .await?;
        assert_problem(&response, 422);
    }
    // Move 2026 to the root and rename Clients.
    t.member
        .send(Method::PATCH, &format!("/folders/{y2026_id}"), Some(json!({ "parentId": null })))
        .await?
        .expect(200)?;
    let renamed = t
        .member
        .send(Method::PATCH, &format!("/folders/{clients_id}"), Some(json!({ "name": "Customers" })))
        .await?
        .expect(200)?;
    assert_eq!(renamed["name"], "Customers");
    let root = t.viewer.get("/drive").await?.expect(200)?;
    assert_eq!(ids(&root).len(), 3);

    // (Deleting a folder that holds something is a job: tests/e2e/jobs.rs.)
    t.member
        .send(Method::PATCH, &format!("/documents/{doc_id}"), Some(json!({ "folderId": clients_id })))
        .await?
        .expect(200)?;

    // Deleting the document removes every version of its bytes, then the empty folder goes at once.
    let key = ObjectKey::document(t.tenant.id, doc_id.parse::<DocumentId>()?).to_string();
    let s3 = portal_shared::aws::s3_client(&sdk().await);
    let versions = |s3: aws_sdk_s3::Client, key: String| async move {
        let listed = s3.list_object_versions().bucket(&env().stack.bucket).prefix(&key).send().await?;
        anyhow::Ok(listed.versions().len() + listed.delete_markers().len())
    };
    assert_eq!(versions(s3.clone(), key.clone()).await?, 1);
    t.member.send(Method::DELETE, &format!("/documents/{doc_id}"), None).await?.expect(204)?;
    assert_eq!(versions(s3.clone(), key.clone()).await?, 0, "the bytes are gone");
    assert_problem(&t.viewer.get(&format!("/documents/{doc_id}")).await?, 404);
    assert_problem(&t.member.send(Method::DELETE, &format!("/documents/{doc_id}"), None).await?, 404);
    t.member.send(Method::DELETE, &format!("/folders/{clients_id}"), None).await?.expect(204)?;
    assert_problem(&t.viewer.get(&format!("/folders/{clients_id}")).await?, 404);
    Ok(())
}

#[tokio::test]
async fn bad_drive_input_is_refused_and_writes_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let folder = t.member.post("/folders", json!({ "name": "Mine" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap();
    let foreign = other.member.post("/folders", json!({ "name": "Theirs" })).await?.expect(201)?;
    let foreign_id = foreign["id"].as_str().unwrap();
    let document = t
        .member
        .post("/uploads", json!({ "fileName": "a.txt", "contentType": "text/plain", "size": 1 }))
        .await?
        .expect(201)?;
    let doc_id = document["document"]["id"].as_str().unwrap();

    for (body, status) in [
        (json!({ "name": "../etc" }), 422),
        (json!({ "name": "a/b" }), 422),
        (json!({ "name": "a\\b" }), 422),
        (json!({ "name": ".." }), 422),
        (json!({ "name": "" }), 422),
        (json!({ "name": "x".repeat(256) }), 422),
        (json!({ "name": 7 }), 422),
        (json!({}), 422),
        (json!({ "name": "ok", "tenantId": other.tenant.id }), 422),
        (json!({ "name": "ok", "parentId": foreign_id }), 422),
        (json!({ "name": "ok", "parentId": "not-an-id" }), 422),
    ] {
        let response = t.member.post("/folders", body.clone()).await?;
        assert_problem(&response, status);
    }
    let root = t.viewer.get("/drive").await?.expect(200)?;
    assert_eq!(ids(&root), vec![folder_id.to_owned(), doc_id.to_owned()], "nothing else was created: {root}");

    // Moves into another tenant's folder, unknown folders, and malformed ids.
    for (path, body, status) in [
        (format!("/documents/{doc_id}"), json!({ "folderId": foreign_id }), 422),
        (format!("/documents/{doc_id}"), json!({ "name": "x/y" }), 422),
        (format!("/documents/{doc_id}"), json!({}), 422),
        (format!("/folders/{folder_id}"), json!({ "parentId": foreign_id }), 422),
        (format!("/folders/{folder_id}"), json!({}), 422),
        (format!("/folders/{foreign_id}"), json!({ "name": "stolen" }), 404),
        (format!("/documents/{}", DocumentId::new()), json!({ "name": "x" }), 404),
        ("/folders/not-an-id".to_owned(), json!({ "name": "x" }), 400),
    ] {
        assert_problem(&t.member.send(Method::PATCH, &path, Some(body)).await?, status);
    }
    assert_eq!(other.viewer.get(&format!("/folders/{foreign_id}")).await?.expect(200)?["name"], "Theirs");
    assert_eq!(t.viewer.get(&format!("/documents/{doc_id}")).await?.expect(200)?["name"], "a.txt");
    let upload = t
        .member
        .post(
            "/uploads",
            json!({ "fileName": "b.txt", "contentType": "text/plain", "size": 1, "folderId": foreign_id }),
        )
        .await?;
    assert_problem(&upload, 422);
    assert_problem(&t.viewer.get(&format!("/folders/{foreign_id}/items")).await?, 404);
    assert_problem(&t.member.send(Method::DELETE, &format!("/folders/{foreign_id}"), None).await?, 404);
    assert_eq!(ids(&t.viewer.get("/documents").await?.expect(200)?), vec![doc_id.to_owned()]);
    Ok(())
}

//! The activity trail: access changes, shares, unshares, uploads, downloads and deletes are
//! recorded (who, what, when) and listed per contact and per document, newest first.

use portal_tests::{assert_problem, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};

fn actions(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_share_access_change_upload_and_download_is_in_the_trail() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "trail@client.example", "name": "T" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let doc = t.member.upload("Trail.txt", "text/plain", b"trail").await?;
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&doc_id, portal_tests::SETTLE).await?;

    t.member.send(Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    t.member
        .post("/shares", json!({ "items": [{ "kind": "document", "id": doc_id }], "contactIds": [contact_id] }))
        .await?
        .expect(200)?;
    t.admin.get(&format!("/documents/{doc_id}/download")).await?.expect(200)?;
    t.member.send(Method::DELETE, &format!("/contacts/{contact_id}/shares/{doc_id}"), None).await?.expect(204)?;
    t.admin.send(Method::DELETE, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;

    let per_contact = t.viewer.get(&format!("/contacts/{contact_id}/activity")).await?.expect(200)?;
    assert_eq!(actions(&per_contact), ["access.closed", "share.removed", "share.created", "access.opened"]);
    let member_email = t.member_account.member.email.to_string();
    assert_eq!(per_contact["items"][3]["actor"]["email"], member_email.as_str());
    assert_eq!(per_contact["items"][3]["actor"]["kind"], "staff");
    assert_eq!(per_contact["items"][2]["item"]["id"], doc_id.as_str());
    assert_eq!(per_contact["items"][2]["itemName"], "Trail.txt");
    assert!(per_contact["items"][0]["at"].is_string());

    let per_document = t.viewer.get(&format!("/documents/{doc_id}/activity")).await?.expect(200)?;
    assert_eq!(actions(&per_document), ["share.removed", "document.downloaded", "share.created", "document.uploaded"]);
    let admin = t.admin.get("/me").await?.expect(200)?;
    assert_eq!(per_document["items"][1]["actor"]["sub"], admin["sub"]);

    // Paging through the trail gives the same entries.
    let first = t.viewer.get(&format!("/documents/{doc_id}/activity?limit=3")).await?.expect(200)?;
    let cursor = first["nextCursor"].as_str().unwrap();
    let rest = t.viewer.get(&format!("/documents/{doc_id}/activity?limit=3&cursor={cursor}")).await?.expect(200)?;
    assert_eq!(actions(&rest), ["document.uploaded"]);

    // The trail outlives the document; deleting it is in the trail too.
    t.member.send(Method::DELETE, &format!("/documents/{doc_id}"), None).await?.expect(204)?;
    let after = t.viewer.get(&format!("/documents/{doc_id}/activity")).await?.expect(200)?;
    assert_eq!(actions(&after)[0], "document.deleted");
    Ok(())
}

#[tokio::test]
async fn deleting_a_contact_closes_their_access_and_removes_their_shares() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "gone@client.example", "name": "G" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let folder = t.member.post("/folders", json!({ "name": "Theirs" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap().to_owned();
    let shared = t
        .member
        .post("/shares", json!({ "items": [{ "kind": "folder", "id": folder_id }], "contactIds": [contact_id] }))
        .await?
        .expect(200)?;
    assert_eq!(shared["contacts"][0]["accessStatus"], "pending");

    t.member.send(Method::DELETE, &format!("/contacts/{contact_id}"), None).await?.expect(204)?;
    assert_problem(&t.viewer.get(&format!("/contacts/{contact_id}")).await?, 404);
    let recipients = t.viewer.get(&format!("/folders/{folder_id}/shares")).await?.expect(200)?;
    assert!(recipients["items"].as_array().unwrap().is_empty(), "{recipients}");
    assert!(t.store.all_contact_shares(t.tenant.id, contact_id.parse()?).await?.is_empty(), "share records removed");
    let trail = t.viewer.get(&format!("/contacts/{contact_id}/activity")).await?.expect(200)?;
    assert_eq!(actions(&trail)[0], "contact.deleted");
    Ok(())
}

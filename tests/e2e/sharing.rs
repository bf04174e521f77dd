//! Sharing: folders and documents shared with contacts and organizations, the selection
//! edited and saved, unsharing, expiry, both listings (per contact, per item), and bad input.

use std::time::Duration;

use portal_shared::domain::{ContactId, DocumentId};
use portal_tests::{assert_problem, eventually, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};

fn item_ids(page: &Value) -> Vec<String> {
    let mut ids: Vec<String> =
        page["items"].as_array().into_iter().flatten().map(|s| s["item"]["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn staff_share_edit_and_unshare_and_both_sides_list_it() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "sam@client.example", "name": "Sam" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    assert_eq!(contact["accessStatus"], "none");
    let folder = t.member.post("/folders", json!({ "name": "Payroll" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap().to_owned();
    let doc = t.member.upload("Contract.txt", "text/plain", b"terms").await?;
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&doc_id, portal_tests::SETTLE).await?;

    // Share from the document and the folder in one go.
    let shared = t
        .member
        .post(
            "/shares",
            json!({
                "items": [{ "kind": "document", "id": doc_id }, { "kind": "folder", "id": folder_id }],
                "contactIds": [contact_id],
            }),
        )
        .await?
        .expect(200)?;
    assert_eq!(shared["shares"].as_array().unwrap().len(), 2);
    // Sharing with a contact who had no access opens it: the invitation is queued.
    assert_eq!(shared["contacts"][0]["accessStatus"], "pending");
    assert!(t.store.invitation_request(t.tenant.id, contact_id.parse::<ContactId>()?).await?.is_some());

    let listed = t.viewer.get(&format!("/contacts/{contact_id}/shares")).await?.expect(200)?;
    assert_eq!(item_ids(&listed), sorted(vec![doc_id.clone(), folder_id.clone()]));
    for share in listed["items"].as_array().unwrap() {
        assert_eq!(share["sharedBy"], t.member_account.member.sub.to_string());
        assert!(share["sharedAt"].is_string());
        assert_eq!(share["contactId"], contact_id.as_str());
        let expected_name = if share["item"]["kind"] == "folder" { "Payroll" } else { "Contract.txt" };
        assert_eq!(share["target"]["name"], expected_name, "{share}");
    }
    let recipients = t.viewer.get(&format!("/documents/{doc_id}/shares")).await?.expect(200)?;
    assert_eq!(recipients["items"][0]["contact"]["email"], "sam@client.example");
    let recipients = t.viewer.get(&format!("/folders/{folder_id}/shares")).await?.expect(200)?;
    assert_eq!(recipients["items"].as_array().unwrap().len(), 1);

    // Edit the selection: keep the folder (with an expiry), drop the document.
    let until = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .format(&time::format_description::well_known::Rfc3339)?;
    let saved = t
        .member
        .send(
            Method::PUT,
            &format!("/contacts/{contact_id}/shares"),
            Some(json!({ "items": [{ "kind": "folder", "id": folder_id, "availableUntil": until }] })),
        )
        .await?
        .expect(200)?;
    let saved = saved.as_array().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0]["item"]["id"], folder_id.as_str());
    assert!(saved[0]["availableUntil"].is_string());
    assert!(
        t.viewer.get(&format!("/documents/{doc_id}/shares")).await?.expect(200)?["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Unshare the folder; unsharing again is a 404.
    let unshare = format!("/contacts/{contact_id}/shares/{folder_id}");
    t.member.send(Method::DELETE, &unshare, None).await?.expect(204)?;
    assert_problem(&t.member.send(Method::DELETE, &unshare, None).await?, 404);
    assert!(item_ids(&t.viewer.get(&format!("/contacts/{contact_id}/shares")).await?.expect(200)?).is_empty());
    Ok(())
}

#[tokio::test]
async fn an_expired_share_disappears_at_once() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "exp@client.example", "name": "E" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let folder = t.member.post("/folders", json!({ "name": "Short-lived" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap().to_owned();
    // Long enough for the share to be accepted on a loaded machine (a date in the past is
    // refused); the listing must show it only if it was answered before then.
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::seconds(10);
    let until = expiry.format(&time::format_description::well_known::Rfc3339)?;
    t.member
        .post(
            "/shares",
            json!({ "items": [{ "kind": "folder", "id": folder_id }], "contactIds": [contact_id], "availableUntil": until }),
        )
        .await?
        .expect(200)?;
    let listing = format!("/contacts/{contact_id}/shares");
    let shown = item_ids(&t.viewer.get(&listing).await?.expect(200)?);
    if time::OffsetDateTime::now_utc() < expiry {
        assert_eq!(shown, vec![folder_id.clone()]);
    }
    eventually(Duration::from_secs(60), || async {
        Ok(item_ids(&t.viewer.get(&listing).await?.expect(200)?).is_empty())
    })
    .await?;
    let recipients = t.viewer.get(&format!("/folders/{folder_id}/shares")).await?.expect(200)?;
    assert!(recipients["items"].as_array().unwrap().is_empty(), "{recipients}");
    Ok(())
}

#[tokio::test]
async fn sharing_with_an_organization_shares_with_each_of_its_contacts() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let org = t.member.post("/organizations", json!({ "name": "Stone Ltd" })).await?.expect(201)?;
    let org_id = org["id"].as_str().unwrap();
    let mut members = Vec::new();
    for email in ["a@stone.example", "b@stone.example"] {
        let c = t
            .member
            .post("/contacts", json!({ "email": email, "name": email, "organizationId": org_id }))
            .await?
            .expect(201)?;
        members.push(c["id"].as_str().unwrap().to_owned());
    }
    let outsider = t.member.post("/contacts", json!({ "email": "x@else.example", "name": "X" })).await?.expect(201)?;
    let folder = t.member.post("/folders", json!({ "name": "Board" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap();

    let shared = t
        .member
        .post("/shares", json!({ "items": [{ "kind": "folder", "id": folder_id }], "organizationId": org_id }))
        .await?
        .expect(200)?;
    assert_eq!(shared["shares"].as_array().unwrap().len(), 2);
    let recipients = t.viewer.get(&format!("/folders/{folder_id}/shares")).await?.expect(200)?;
    let mut got: Vec<String> = recipients["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["contact"]["id"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    assert_eq!(got, sorted(members));
    let outsider_shares =
        t.viewer.get(&format!("/contacts/{}/shares", outsider["id"].as_str().unwrap())).await?.expect(200)?;
    assert!(item_ids(&outsider_shares).is_empty());
    Ok(())
}

#[tokio::test]
async fn bad_share_requests_are_refused_and_share_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "bad@client.example", "name": "B" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let folder = t.member.post("/folders", json!({ "name": "F" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap().to_owned();
    let foreign_folder = other.member.post("/folders", json!({ "name": "Theirs" })).await?.expect(201)?;
    let foreign_contact =
        other.member.post("/contacts", json!({ "email": "them@x.example", "name": "T" })).await?.expect(201)?;
    let past = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)?;
    let folder_item = json!({ "kind": "folder", "id": folder_id });

    for body in [
        json!({ "items": [folder_item], "contactIds": [contact_id], "availableUntil": past }),
        json!({ "items": [], "contactIds": [contact_id] }),
        json!({ "items": [folder_item] }),
        json!({ "items": [folder_item], "contactIds": [] }),
        json!({ "items": [{ "kind": "folder", "id": foreign_folder["id"] }], "contactIds": [contact_id] }),
        json!({ "items": [{ "kind": "document", "id": DocumentId::new() }], "contactIds": [contact_id] }),
        json!({ "items": [{ "kind": "file", "id": folder_id }], "contactIds": [contact_id] }),
        json!({ "items": [{ "kind": "folder", "id": "../../x" }], "contactIds": [contact_id] }),
        json!({ "items": [folder_item], "contactIds": [foreign_contact["id"]] }),
        json!({ "items": [folder_item], "organizationId": ContactId::new() }),
        json!({ "items": [folder_item], "contactIds": [contact_id], "tenantId": other.tenant.id }),
        json!({ "items": "all", "contactIds": [contact_id] }),
    ] {
        assert_problem(&t.member.post("/shares", body.clone()).await?, 422);
    }
    let selection = format!("/contacts/{contact_id}/shares");
    for body in [
        json!({ "items": [folder_item, folder_item] }),
        json!({ "items": [{ "kind": "folder", "id": folder_id, "availableUntil": past }] }),
        json!({ "items": [{ "kind": "folder", "id": folder_id, "extra": 1 }] }),
        json!({}),
    ] {
        assert_problem(&t.member.send(Method::PUT, &selection, Some(body)).await?, 422);
    }
    // Another tenant's contact, and malformed ids.
    let foreign = format!("/contacts/{}/shares", foreign_contact["id"].as_str().unwrap());
    assert_problem(&t.member.send(Method::PUT, &foreign, Some(json!({ "items": [folder_item] }))).await?, 404);
    assert_problem(&t.member.get(&foreign).await?, 404);
    assert_problem(&t.member.send(Method::DELETE, &format!("{selection}/not-an-id"), None).await?, 400);
    assert_problem(&t.member.send(Method::DELETE, &format!("{selection}/{folder_id}"), None).await?, 404);

    // Nothing was shared, and the contact's access was not opened.
    assert!(item_ids(&t.viewer.get(&selection).await?.expect(200)?).is_empty());
    assert_eq!(t.viewer.get(&format!("/contacts/{contact_id}")).await?.expect(200)?["accessStatus"], "none");
    assert!(other.viewer.get(&format!("/folders/{}/shares", foreign_folder["id"].as_str().unwrap())).await?.expect(200)?["items"]
        .as_array()
        .unwrap()
        .is_empty());
    Ok(())
}

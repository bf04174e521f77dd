//! The foundation's end-to-end slice: a staff user signs in, creates a contact, uploads a
//! file with a presigned URL straight to S3, object-events records it, and the user lists
//! it and downloads the same bytes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use portal_shared::domain::{DocumentStatus, TenantId};
use portal_tests::{env, sdk, tenant_fixture};
use serde_json::json;

/// The raw DynamoDB item of a document, read with the SDK.
async fn document_item(tenant: TenantId, id: &str) -> anyhow::Result<Option<HashMap<String, AttributeValue>>> {
    Ok(aws_sdk_dynamodb::Client::new(&sdk().await)
        .get_item()
        .table_name(&env().stack.table)
        .key("PK", AttributeValue::S(format!("TENANT#{tenant}")))
        .key("SK", AttributeValue::S(format!("DOC#{id}")))
        .send()
        .await?
        .item)
}

#[tokio::test]
async fn staff_upload_is_recorded_listed_and_downloaded_byte_for_byte() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;

    let contact = t
        .member
        .post("/contacts", json!({ "email": "Ana.Lima@Client.example", "name": "Ana Lima" }))
        .await?
        .expect(201)?;
    assert_eq!(contact["email"], "ana.lima@client.example");
    assert_eq!(contact["accessStatus"], "none");
    let listed = t.member.get("/contacts").await?.expect(200)?;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], contact["id"]);

    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let document = t.member.upload("Quarterly report Q3 é.pdf", "application/pdf", &bytes).await?;
    assert_eq!(document["status"], "pending");
    let id = document["id"].as_str().unwrap();

    let settled = t.member.wait_settled(id, portal_tests::SETTLE).await?;
    assert_eq!(settled["status"], "available", "{settled}");
    assert_eq!(settled["size"], bytes.len());

    // The record in DynamoDB, read with the SDK.
    let item = document_item(t.tenant.id, id).await?.expect("document item");
    assert_eq!(item["status"].as_s().unwrap(), "available");
    assert!(!item.contains_key("expiresAt"), "a settled document must not expire");
    let stored = t.store.document(t.tenant.id, id.parse()?).await?.unwrap();
    assert_eq!(stored.status, DocumentStatus::Available);
    assert_eq!(stored.object_key().tenant(), t.tenant.id);

    let listed = t.viewer.get("/documents").await?.expect(200)?;
    let ids: Vec<&str> = listed["items"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![id]);

    let ticket = t.viewer.get(&format!("/documents/{id}/download")).await?.expect(200)?;
    let url = ticket["download"]["url"].as_str().unwrap();
    assert!(url.contains(&format!("tenants/{}/documents/{id}", t.tenant.id)), "{url}");
    let response = reqwest::get(url).await?;
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"].to_str()?.to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''Quarterly%20report%20Q3%20%C3%A9%2Epdf"), "{disposition}");
    assert_eq!(response.bytes().await?.to_vec(), bytes);
    Ok(())
}

#[tokio::test]
async fn documents_are_only_downloadable_once_available() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let ticket = t
        .member
        .post("/uploads", json!({ "fileName": "later.txt", "contentType": "text/plain", "size": 3 }))
        .await?
        .expect(201)?;
    let id = ticket["document"]["id"].as_str().unwrap();
    let response = t.member.get(&format!("/documents/{id}/download")).await?;
    portal_tests::assert_problem(&response, 409);
    // An upload that never arrives is removed by the table's TTL a day later.
    let item = document_item(t.tenant.id, id).await?.expect("pending document item");
    let expires_at: i64 = item["expiresAt"].as_n().unwrap().parse()?;
    let in_a_day = time::OffsetDateTime::now_utc().unix_timestamp() + 86_400;
    assert!((in_a_day - 60..=in_a_day).contains(&expires_at), "{expires_at} vs {in_a_day}");
    Ok(())
}

#[tokio::test]
async fn tokens_can_be_refreshed() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = t.member_account.member.email.to_string();
    let tokens = portal_tests::anonymous()
        .post("/auth/staff/login", json!({ "email": email, "password": portal_tests::PASSWORD }))
        .await?
        .expect(200)?;
    let refresh = tokens["refreshToken"].as_str().unwrap();
    let refreshed =
        portal_tests::anonymous().post("/auth/staff/refresh", json!({ "refreshToken": refresh })).await?.expect(200)?;
    let access = refreshed["accessToken"].as_str().unwrap();
    portal_tests::anonymous().with_token(access).get("/contacts").await?.expect(200)?;
    let bad = portal_tests::anonymous().post("/auth/staff/refresh", json!({ "refreshToken": "not-a-token" })).await?;
    portal_tests::assert_problem(&bad, 401);
    Ok(())
}

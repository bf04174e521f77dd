//! The object-events function against the emulator: repeated deliveries change nothing,
//! objects that break their upload's rules are rejected and deleted, and keys that are not
//! ours are left alone.

use std::time::Duration;

use portal_object_events::notification::ObjectCreated;
use portal_object_events::{App, Outcome};
use portal_shared::domain::{DocumentId, DocumentStatus};
use portal_shared::object_key::ObjectKey;
use portal_tests::{env, put_presigned, sdk, tenant_fixture};
use serde_json::json;

async fn app() -> App {
    App::new(&sdk().await, &env().stack.table, &env().stack.bucket, &env().stack.sender, &env().api_url)
}

async fn s3() -> aws_sdk_s3::Client {
    portal_shared::aws::s3_client(&sdk().await)
}

fn created(key: &str) -> ObjectCreated {
    ObjectCreated { bucket: env().stack.bucket.clone(), encoded_key: key.replace('/', "%2F") }
}

#[tokio::test]
async fn replayed_events_settle_a_document_once() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let document = t.member.upload("twice.txt", "text/plain", b"hello").await?;
    let id = document["id"].as_str().unwrap();
    let settled = t.member.wait_settled(id, Duration::from_secs(30)).await?;
    assert_eq!(settled["status"], "available");

    // The same event again, ten times concurrently, as SQS may deliver it.
    let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
    let app = app().await;
    let object = created(&key);
    let outcomes = futures::future::join_all((0..10).map(|_| app.process(&object))).await;
    assert!(outcomes.iter().all(|o| o.as_ref().is_ok_and(|o| *o == Outcome::Duplicate)), "{outcomes:?}");

    let after = t.member.get(&format!("/documents/{id}")).await?.expect(200)?;
    assert_eq!(after["availableAt"], settled["availableAt"], "a replay rewrote the record");
    assert_eq!(t.member.get("/documents").await?.expect(200)?["items"].as_array().unwrap().len(), 1);
    Ok(())
}

#[tokio::test]
async fn objects_that_differ_from_what_was_presigned_are_rejected_and_deleted() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let s3 = s3().await;
    // Announce 5 bytes, then put 9 with the SDK directly (an emulator does not enforce the
    // signed content-length; real S3 would refuse the presigned PUT itself).
    let ticket = t
        .member
        .post("/uploads", json!({ "fileName": "short.txt", "contentType": "text/plain", "size": 5 }))
        .await?
        .expect(201)?;
    let id: DocumentId = ticket["document"]["id"].as_str().unwrap().parse()?;
    let key = ObjectKey::document(t.tenant.id, id).to_string();
    s3.put_object()
        .bucket(&env().stack.bucket)
        .key(&key)
        .content_type("text/plain")
        .body(b"too long!".to_vec().into())
        .send()
        .await?;
    let settled = t.member.wait_settled(&id.to_string(), Duration::from_secs(30)).await?;
    assert_eq!(settled["status"], "rejected");
    assert!(settled["rejectedReason"].as_str().unwrap().contains("9 bytes"), "{settled}");
    assert!(
        s3.head_object().bucket(&env().stack.bucket).key(&key).send().await.is_err(),
        "rejected object still stored"
    );
    assert_eq!(t.store.document(t.tenant.id, id).await?.unwrap().status, DocumentStatus::Rejected);

    // Another content type than announced.
    let ticket = t
        .member
        .post("/uploads", json!({ "fileName": "page.pdf", "contentType": "application/pdf", "size": 4 }))
        .await?
        .expect(201)?;
    let id = ticket["document"]["id"].as_str().unwrap();
    let mut upload = ticket["upload"].clone();
    upload["headers"]["content-type"] = json!("text/html");
    put_presigned(&upload, b"<b/>".to_vec()).await?;
    let settled = t.member.wait_settled(id, Duration::from_secs(30)).await?;
    assert_eq!(settled["status"], "rejected", "{settled}");
    assert!(settled["rejectedReason"].as_str().unwrap().contains("text/html"), "{settled}");
    Ok(())
}

#[tokio::test]
async fn orphans_are_deleted_and_foreign_keys_ignored() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let s3 = s3().await;
    let bucket = &env().stack.bucket;
    let orphan = ObjectKey::document(t.tenant.id, DocumentId::new()).to_string();
    s3.put_object().bucket(bucket).key(&orphan).body(b"x".to_vec().into()).send().await?;
    let foreign = format!("elsewhere/{}", uuid::Uuid::new_v4());
    s3.put_object().bucket(bucket).key(&foreign).body(b"x".to_vec().into()).send().await?;

    let app = app().await;
    assert_eq!(app.process(&created(&orphan)).await?, Outcome::Orphan);
    assert!(s3.head_object().bucket(bucket).key(&orphan).send().await.is_err(), "orphan still stored");
    assert_eq!(app.process(&created(&foreign)).await?, Outcome::Ignored);
    assert!(s3.head_object().bucket(bucket).key(&foreign).send().await.is_ok(), "a foreign object was touched");
    let other_bucket = ObjectCreated { bucket: "someone-elses".into(), encoded_key: orphan.clone() };
    assert_eq!(app.process(&other_bucket).await?, Outcome::Ignored);
    Ok(())
}

#[tokio::test]
async fn direct_s3_events_and_sqs_batches_are_both_accepted() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let ticket = t
        .member
        .post("/uploads", json!({ "fileName": "direct.txt", "contentType": "text/plain", "size": 2 }))
        .await?
        .expect(201)?;
    let id: DocumentId = ticket["document"]["id"].as_str().unwrap().parse()?;
    let key = ObjectKey::document(t.tenant.id, id).to_string();
    // Stored under the key, but settled by the event we hand to the function ourselves.
    let app = app().await;
    let notification = json!({ "Records": [{ "eventName": "ObjectCreated:Put", "s3": { "bucket": { "name": env().stack.bucket }, "object": { "key": key, "size": 2 } } }] });
    let sqs_event = json!({ "Records": [
        { "messageId": "good", "body": notification.to_string(), "eventSource": "aws:sqs" },
        { "messageId": "broken", "body": "{not json", "eventSource": "aws:sqs" },
    ] });
    let response = app.handle(sqs_event).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    // Only the broken record is reported for retry (then the DLQ).
    assert_eq!(response["batchItemFailures"], json!([{ "itemIdentifier": "broken" }]));
    let direct = app.handle(notification).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(direct, serde_json::Value::Null);
    Ok(())
}

//! The object-events function against the emulator: repeated deliveries change nothing,
//! objects that break their upload's rules are rejected and deleted, keys that are not ours
//! are left alone, and a settled document is pinned to the version that was checked (a
//! later object under its key is removed and never served).

use std::time::Duration;

use anyhow::Context;
use portal_object_events::notification::ObjectCreated;
use portal_object_events::{App, Outcome};
use portal_shared::domain::{DocumentId, DocumentStatus, ObjectVersion};
use portal_shared::object_key::ObjectKey;
use portal_tests::{TenantFixture, env, eventually, put_presigned, registered_customer, sdk, tenant_fixture, unique};
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// A pending staff upload of `name` announced as `content_type` and `size` bytes: its
/// ticket (the presigned PUT), its document id and its object key.
async fn pending_upload(
    t: &TenantFixture,
    name: &str,
    content_type: &str,
    size: usize,
) -> anyhow::Result<(Value, DocumentId, String)> {
    let body = json!({ "fileName": name, "contentType": content_type, "size": size });
    let ticket = t.member.post("/uploads", body).await?.expect(201)?;
    let id: DocumentId = ticket["document"]["id"].as_str().context("document id")?.parse()?;
    let key = ObjectKey::document(t.tenant.id, id).to_string();
    Ok((ticket, id, key))
}

async fn app() -> App {
    App::new(&sdk().await, &env().stack.table, &env().stack.bucket, &env().stack.sender, &env().api_url)
}

async fn s3() -> aws_sdk_s3::Client {
    portal_shared::aws::s3_client(&sdk().await)
}

fn created(key: &str) -> ObjectCreated {
    ObjectCreated::new(env().stack.bucket.clone(), key.replace('/', "%2F"))
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
    let (_, id, key) = pending_upload(&t, "short.txt", "text/plain", 5).await?;
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
    let (ticket, id, _) = pending_upload(&t, "page.pdf", "application/pdf", 4).await?;
    let id = id.to_string();
    let id = id.as_str();
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
    let other_bucket = ObjectCreated::new("someone-elses", orphan.clone());
    assert_eq!(app.process(&other_bucket).await?, Outcome::Ignored);
    Ok(())
}

#[tokio::test]
async fn direct_s3_events_and_sqs_batches_are_both_accepted() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let (_, _, key) = pending_upload(&t, "direct.txt", "text/plain", 2).await?;
    // Stored under the key, but settled by the event we hand to the function ourselves.
    let app = app().await;
    let notification = json!({ "Records": [{ "eventName": "ObjectCreated:Put", "s3": { "bucket": { "name": env().stack.bucket }, "object": { "key": key, "size": 2 } } }] });
    let sqs_event = json!({ "Records": [
        { "messageId": "good", "body": notification.to_string(), "eventSource": "aws:sqs" },
        { "messageId": "broken", "body": "{not json", "eventSource": "aws:sqs" },
    ] });
    let response = app.invoke(sqs_event).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    // Only the broken record is reported for retry (then the DLQ).
    assert_eq!(response["batchItemFailures"], json!([{ "itemIdentifier": "broken" }]));
    let direct = app.invoke(notification).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(direct, serde_json::Value::Null);
    Ok(())
}

/// The event S3 sends for one version of an object in a versioned bucket.
fn created_version(key: &str, version: &ObjectVersion) -> ObjectCreated {
    ObjectCreated { version: Some(version.clone()), ..created(key) }
}

/// The presigned upload without its signed `If-None-Match`: what replaced a settled
/// document's bytes before the URL signed it (moto checks no signature, so it stands for an
/// S3 that did not refuse the write).
fn without_condition(upload: &Value) -> Value {
    let mut upload = upload.clone();
    upload["headers"].as_object_mut().map(|headers| headers.remove("if-none-match"));
    upload
}

/// The bytes a download route's presigned URL serves.
async fn downloaded(client: &ApiClient, path: &str) -> anyhow::Result<Vec<u8>> {
    let ticket = client.get(path).await?.expect(200)?;
    let response = reqwest::get(ticket["download"]["url"].as_str().context("a download URL")?).await?;
    anyhow::ensure!(response.status().is_success(), "download: {}", response.status());
    Ok(response.bytes().await?.to_vec())
}

/// The version ids stored under `key` (delete markers aside).
async fn versions(key: &str) -> anyhow::Result<Vec<String>> {
    let listed = s3().await.list_object_versions().bucket(&env().stack.bucket).prefix(key).send().await?;
    Ok(listed
        .versions()
        .iter()
        .filter(|v| v.key() == Some(key))
        .filter_map(|v| v.version_id().map(str::to_owned))
        .collect())
}

/// How many `document.uploaded` entries a document's trail holds.
async fn uploaded_entries(staff: &ApiClient, id: &str) -> anyhow::Result<usize> {
    let trail = staff.get(&format!("/documents/{id}/activity")).await?.expect(200)?;
    Ok(trail["items"].as_array().into_iter().flatten().filter(|e| e["action"] == "document.uploaded").count())
}

/// Issue 21: a second PUT with a staff upload's URL replaced the bytes of an `available`
/// document, and staff and customers were then served the new bytes. Now the URL signs
/// `If-None-Match: *` (moto honours the condition: the page's second PUT is a 412), and
/// where a write gets through anyway, the document still serves the version object-events
/// checked, to staff and customer alike, and object-events removes the late version.
#[tokio::test]
async fn a_settled_document_serves_only_the_checked_version() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("pinned"));
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let checked = b"Signed: yes".to_vec();
    let (ticket, _, _) = pending_upload(&t, "contract.txt", "text/plain", checked.len()).await?;
    assert_eq!(ticket["upload"]["headers"]["if-none-match"], "*", "{ticket}");
    put_presigned(&ticket["upload"], checked.clone()).await?;
    let id = ticket["document"]["id"].as_str().context("document id")?.to_owned();
    let settled = t.member.wait_settled(&id, Duration::from_secs(30)).await?;
    assert_eq!(settled["status"], "available");
    let pinned: ObjectVersion = settled["versionId"].as_str().context("a pinned version")?.parse()?;
    let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
    assert_eq!(versions(&key).await?, vec![pinned.to_string()]);
    t.member
        .post("/shares", json!({ "items": [{ "kind": "document", "id": id }], "contactIds": [contact_id] }))
        .await?
        .expect(200)?;
    let staff_download = format!("/documents/{id}/download");
    let customer_download = format!("/portal/companies/{}/documents/{id}/download", t.tenant.id);

    // The page sends the ticket's headers: the second PUT is refused.
    let again = put_presigned(&ticket["upload"], b"Signed: no!".to_vec()).await;
    assert!(again.as_ref().is_err_and(|e| e.to_string().contains("412")), "{again:?}");
    // Where the write is not refused, the bytes under the key change, but not what is served.
    put_presigned(&without_condition(&ticket["upload"]), b"Signed: no!".to_vec()).await?;
    assert_eq!(downloaded(&t.member, &staff_download).await?, checked, "staff were served the replaced bytes");
    assert_eq!(downloaded(&customer, &customer_download).await?, checked, "the customer was served the replaced bytes");

    // object-events removes the late version (its event, relayed from the emulator's queue).
    eventually(Duration::from_secs(30), || async { Ok(versions(&key).await? == [pinned.to_string()]) }).await?;
    assert_eq!(downloaded(&t.member, &staff_download).await?, checked);

    // A late event as S3 sends it (naming its version) is removed the same way, and
    // replays of the event that settled the document still settle it once.
    let late = s3()
        .await
        .put_object()
        .bucket(&env().stack.bucket)
        .key(&key)
        .content_type("text/plain")
        .body(b"Signed: no!".to_vec().into())
        .send()
        .await?;
    let late: ObjectVersion = late.version_id().context("a versioned bucket")?.parse()?;
    let app = app().await;
    assert_eq!(app.process(&created_version(&key, &late)).await?, Outcome::LateObject);
    assert_eq!(versions(&key).await?, vec![pinned.to_string()]);
    for replay in [created_version(&key, &pinned), created(&key)] {
        assert_eq!(app.process(&replay).await?, Outcome::Duplicate);
    }
    assert_eq!(versions(&key).await?, vec![pinned.to_string()], "a replay removed the checked bytes");

    let after = t.member.get(&format!("/documents/{id}")).await?.expect(200)?;
    assert_eq!(after, settled, "the document changed");
    assert_eq!(uploaded_entries(&t.member, &id).await?, 1, "the trail changed");
    assert_eq!(downloaded(&customer, &customer_download).await?, checked);
    Ok(())
}

/// Issue 21: a customer replaced a submission (`Signed: yes` → `Signed: no!`, same length)
/// after staff had downloaded it. Staff keep being served what was checked, and the
/// replacement is removed.
#[tokio::test]
async fn a_submission_cannot_be_replaced_after_it_settled() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("resubmit"));
    let (customer, _) = registered_customer(&t.member, &email).await?;
    let checked = b"Signed: yes".to_vec();
    let ticket = customer
        .post(
            &format!("/portal/companies/{}/uploads", t.tenant.id),
            json!({ "fileName": "signed.txt", "contentType": "text/plain", "size": checked.len() }),
        )
        .await?
        .expect(201)?;
    assert_eq!(ticket["upload"]["headers"]["if-none-match"], "*", "{ticket}");
    put_presigned(&ticket["upload"], checked.clone()).await?;
    let id = ticket["document"]["id"].as_str().context("document id")?.to_owned();
    let settled = t.member.wait_settled(&id, Duration::from_secs(30)).await?;
    assert_eq!(settled["status"], "available");
    let pinned = settled["versionId"].as_str().context("a pinned version")?.to_owned();
    let staff_download = format!("/documents/{id}/download");
    assert_eq!(downloaded(&t.member, &staff_download).await?, checked);

    let again = put_presigned(&ticket["upload"], b"Signed: no!".to_vec()).await;
    assert!(again.as_ref().is_err_and(|e| e.to_string().contains("412")), "{again:?}");
    put_presigned(&without_condition(&ticket["upload"]), b"Signed: no!".to_vec()).await?;
    assert_eq!(downloaded(&t.member, &staff_download).await?, checked, "staff were served the replaced bytes");
    let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
    eventually(Duration::from_secs(30), || async { Ok(versions(&key).await? == [pinned.clone()]) }).await?;
    assert_eq!(downloaded(&t.member, &staff_download).await?, checked);
    assert_eq!(uploaded_entries(&t.member, &id).await?, 1, "the trail changed");
    let listed = customer.get("/portal/submissions").await?.expect(200)?;
    let mine = listed["items"].as_array().into_iter().flatten().find(|d| d["id"] == id.as_str()).cloned();
    assert_eq!(mine.map(|d| d["status"].clone()), Some(json!("available")), "{listed}");
    Ok(())
}

/// Two objects under one pending document's key whose events settle it at once: one
/// version is pinned, the other is the late one and removed (whichever order they race in).
#[tokio::test]
async fn of_two_objects_for_one_upload_exactly_one_is_kept() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let (_, id, key) = pending_upload(&t, "twice.txt", "text/plain", 5).await?;
    let put = |bytes: &'static [u8]| {
        let key = key.clone();
        async move {
            let out = s3()
                .await
                .put_object()
                .bucket(&env().stack.bucket)
                .key(&key)
                .content_type("text/plain")
                .body(bytes.to_vec().into())
                .send()
                .await?;
            anyhow::Ok(out.version_id().context("a versioned bucket")?.parse::<ObjectVersion>()?)
        }
    };
    let (first, second) = (put(b"first").await?, put(b"later").await?);
    let app = app().await;
    let (a, b) = futures::future::join(
        app.process(&created_version(&key, &first)),
        app.process(&created_version(&key, &second)),
    )
    .await;
    let outcomes = [a?, b?];
    let settled = t.store.document(t.tenant.id, id).await?.context("the document")?;
    assert_eq!(settled.status, DocumentStatus::Available);
    let pinned = settled.version_id.context("a pinned version")?;
    // The relay handles the emulator's own events too: each version is settled or removed.
    assert!(
        outcomes.iter().all(|o| matches!(o, Outcome::Available | Outcome::LateObject | Outcome::Duplicate)),
        "{outcomes:?}"
    );
    eventually(Duration::from_secs(30), || async { Ok(versions(&key).await? == [pinned.to_string()]) }).await?;
    let expected: &[u8] = if pinned == first { b"first" } else { b"later" };
    assert_eq!(downloaded(&t.member, &format!("/documents/{id}/download")).await?, expected);
    assert_eq!(uploaded_entries(&t.member, &id.to_string()).await?, 1);
    Ok(())
}

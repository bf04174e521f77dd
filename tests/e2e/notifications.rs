//! Notifications: every email read back from the emulator's SES (recipient, subject, both
//! MIME parts, the logo, the links); the staff email about a customer submission sent once
//! however often and however concurrently the S3 event arrives; failures retried and ending
//! in the dead-letter queue; shares batched into one email; preferences honoured.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use portal_object_events::notification::ObjectCreated;
use portal_shared::domain::{ContactId, DocumentId, DocumentStatus, ItemRef};
use portal_shared::keys;
use portal_shared::model::{Document, NotificationMessage, UploaderKind};
use portal_shared::notify::Sent;
use portal_shared::object_key::ObjectKey;
use portal_shared::store::{BatchClaim, BatchedShare};
use portal_tests::{
    SETTLE, TenantFixture, emails_to, env, eventually, registered_customer, sdk, tenant_fixture, unique, upload_logo,
};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::gateway::LOCAL_SHARE_EMAIL_WINDOW_SECONDS;

fn object_events(bucket: &str, sender: &str) -> impl std::future::Future<Output = portal_object_events::App> {
    let (bucket, sender) = (bucket.to_owned(), sender.to_owned());
    async move { portal_object_events::App::new(&sdk().await, &env().stack.table, bucket, sender, &env().api_url) }
}

/// How long a relay's delivery may take (see `portal_tests::SETTLE`).
const SIGNAL: Duration = SETTLE;

/// Whether `contact` has shares waiting for their email (a pending share item exists).
/// Once none is, every share added before was emailed or skipped and no later delivery can
/// send.
async fn shares_pending(t: &TenantFixture, contact: &str) -> anyhow::Result<bool> {
    Ok(t.store.shares_pending(t.tenant.id, contact.parse()?).await?)
}

/// The emails to `address` whose subject contains `marker`.
async fn emails(address: &str, marker: &str) -> anyhow::Result<Vec<Value>> {
    Ok(emails_to(address)
        .await?
        .into_iter()
        .filter(|e| e["subject"].as_str().is_some_and(|s| s.contains(marker)))
        .collect())
}

#[tokio::test]
async fn a_submission_emails_the_contacts_owner_once_however_often_the_event_comes() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    upload_logo(&t.admin, b"\x89PNG logo").await?;
    let email = format!("{}@customer.example", unique("sub"));
    let (customer, _) = registered_customer(&t.member, &email).await?;
    let tenant_id = t.tenant.id.to_string();
    let submission = customer.submit(&tenant_id, "Signed contract.pdf", "application/pdf", b"%PDF").await?;
    let id = submission["id"].as_str().unwrap().to_owned();
    // The same event ten more times, concurrently with the real delivery.
    let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
    let app = object_events(&env().stack.bucket, &env().stack.sender).await;
    let object = ObjectCreated::new(env().stack.bucket.clone(), key.replace('/', "%2F"));
    let outcomes = futures::future::join_all((0..10).map(|_| app.process(&object))).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    t.member.wait_settled(&id, SIGNAL).await?;

    // The contact's owner (the member who created it) gets exactly one email. The outbox
    // says when the one delivery that claimed it has sent it (the mailbox has it by then);
    // the ten above have returned, and the relay's, before or after, finds it claimed or
    // sent. So the count is final once the outbox says sent: no waiting for "no more".
    let owner = t.member_account.member.email.to_string();
    let outbox = keys::submitted_notification(id.parse()?);
    eventually(SIGNAL, || async { Ok(t.store.notification_sent(t.tenant.id, &outbox).await? == Some(true)) }).await?;
    let sent = emails(&owner, "Signed contract.pdf").await?;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let message = &sent[0];
    assert!(message["hasText"].as_bool().unwrap() && message["hasHtml"].as_bool().unwrap(), "{message}");
    assert!(
        message["source"].as_str().unwrap().starts_with(&format!("{} <no-reply@portal.example.com>", t.tenant.name))
    );
    let html = message["html"].as_str().unwrap();
    assert!(html.contains(&format!("/#/submissions/{id}")), "{html}");
    assert!(html.contains(&format!("/api/branding/{}/logo?v=", t.tenant.slug)), "the logo is in the email: {html}");
    assert!(message["text"].as_str().unwrap().contains(&email), "{message}");
    // Nobody else was told, and the trail has one upload.
    let admin = t.admin.get("/me").await?.expect(200)?["email"].as_str().unwrap().to_owned();
    assert!(emails(&admin, "Signed contract.pdf").await?.is_empty());
    let trail = t.viewer.get(&format!("/documents/{id}/activity")).await?.expect(200)?;
    let uploads = trail["items"].as_array().unwrap().iter().filter(|e| e["action"] == "document.uploaded").count();
    assert_eq!(uploads, 1);

    // Staff who opt in get them instead of the default.
    t.admin.send(Method::PATCH, "/me", Some(json!({ "notifySubmissions": true }))).await?.expect(200)?;
    let second = customer.submit(&tenant_id, "Second.txt", "text/plain", b"hi").await?;
    let outbox = keys::submitted_notification(second["id"].as_str().unwrap_or_default().parse()?);
    eventually(SIGNAL, || async { Ok(t.store.notification_sent(t.tenant.id, &outbox).await? == Some(true)) }).await?;
    assert_eq!(emails(&admin, "Second.txt").await?.len(), 1);
    assert!(emails(&owner, "Second.txt").await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_failed_email_is_retried_until_sent_and_a_message_that_keeps_failing_ends_in_the_dlq() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("fail"));
    let (_, contact_id) = registered_customer(&t.member, &email).await?;
    let sdk = sdk().await;
    // A bucket of our own (no notifications), so only this test delivers its events.
    let bucket = format!("fault-{}", unique("b"));
    let s3 = portal_shared::aws::s3_client(&sdk);
    s3.create_bucket().bucket(&bucket).send().await?;
    let document = Document {
        id: DocumentId::new(),
        tenant_id: t.tenant.id,
        name: "Payslip.txt".parse()?,
        content_type: "text/plain".parse()?,
        size: 3,
        status: DocumentStatus::Pending,
        uploaded_by: "customer-sub".parse()?,
        uploader_kind: UploaderKind::Customer,
        folder_id: None,
        contact_id: Some(contact_id.parse::<ContactId>()?),
        seen_at: None,
        created_at: time::OffsetDateTime::now_utc(),
        available_at: None,
        rejected_reason: None,
        version_id: None,
    };
    t.store.create_document(&document, document.created_at + time::Duration::days(1)).await?;
    let key = document.object_key().to_string();
    s3.put_object().bucket(&bucket).key(&key).content_type("text/plain").body(b"pay".to_vec().into()).send().await?;
    let object = ObjectCreated::new(bucket.clone(), key.clone());
    let outbox = keys::submitted_notification(document.id);

    // SES refuses (an unverified sender): the record is settled, the email waits.
    let failing = object_events(&bucket, "nobody@unverified.example").await;
    assert!(failing.process(&object).await.is_err());
    assert_eq!(t.store.document(t.tenant.id, document.id).await?.unwrap().status, DocumentStatus::Available);
    assert_eq!(t.store.notification_sent(t.tenant.id, &outbox).await?, Some(false));
    // The retry (a working sender) sends it once; more retries send nothing more.
    let working = object_events(&bucket, &env().stack.sender).await;
    for _ in 0..3 {
        working.process(&object).await?;
    }
    assert_eq!(t.store.notification_sent(t.tenant.id, &outbox).await?, Some(true));
    assert_eq!(emails(t.member_account.member.email.as_str(), "Payslip.txt").await?.len(), 1);

    // A message that keeps failing (a missing table) is reported as failed each time and,
    // after the queue's receive limit, is in the dead-letter queue: nothing is dropped.
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let dlq = sqs.create_queue().queue_name(unique("fault-dlq")).send().await?.queue_url.unwrap();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let queue = sqs
        .create_queue()
        .queue_name(unique("fault"))
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2 }).to_string(),
        )
        .send()
        .await?
        .queue_url
        .unwrap();
    let notification = json!({ "Records": [{
        "eventName": "ObjectCreated:Put",
        "s3": { "bucket": { "name": bucket }, "object": { "key": key } },
    }] });
    sqs.send_message().queue_url(&queue).message_body(notification.to_string()).send().await?;
    let broken = portal_object_events::App::new(&sdk, "no-such-table", &bucket, &env().stack.sender, &env().api_url);
    let mut failures = 0;
    for _ in 0..10 {
        let received = sqs.receive_message().queue_url(&queue).wait_time_seconds(1).send().await?;
        let Some(message) = received.messages.unwrap_or_default().into_iter().next() else { break };
        let event = json!({ "Records": [{
            "messageId": message.message_id, "receiptHandle": message.receipt_handle, "body": message.body,
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:fault", "awsRegion": "us-east-1",
            "attributes": {}, "messageAttributes": {},
        }] });
        let response = broken.invoke(event).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        assert_eq!(response["batchItemFailures"][0]["itemIdentifier"], json!(message.message_id), "{response}");
        failures += 1;
    }
    assert_eq!(failures, 2, "delivered exactly maxReceiveCount times");
    let dead = sqs.receive_message().queue_url(&dlq).wait_time_seconds(1).send().await?.messages.unwrap_or_default();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some(notification.to_string().as_str()));
    Ok(())
}

async fn uploaded(t: &TenantFixture, name: &str) -> anyhow::Result<String> {
    let doc = t.member.upload(name, "text/plain", b"x").await?;
    let id = doc["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&id, SIGNAL).await?;
    Ok(id)
}

async fn share_ids(t: &TenantFixture, contact: &str, id: &str) -> anyhow::Result<()> {
    t.member
        .post("/shares", json!({ "items": [{ "kind": "document", "id": id }], "contactIds": [contact] }))
        .await?
        .expect(200)?;
    Ok(())
}

async fn share(t: &TenantFixture, contact: &str, name: &str) -> anyhow::Result<()> {
    let id = uploaded(t, name).await?;
    share_ids(t, contact, &id).await
}

#[tokio::test]
async fn shares_within_the_window_make_one_email_in_the_customers_language_unless_they_opted_out() -> anyhow::Result<()>
{
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("batch"));
    let (customer, contact) = registered_customer(&t.member, &email).await?;
    let company = t.tenant.name.to_string();

    // Three separate shares in quick succession. The first share's message reaches the
    // relay the window after it was queued, i.e. after `started` + the window: if the third
    // share had returned by then, all three are in that first email. On a loaded machine
    // three shares can take longer than the local 2 s window; then the batching rule is
    // still that every share is in exactly one email (checked below), but not one email.
    let mut ids = Vec::new();
    for name in ["One.txt", "Two.txt", "Three.txt"] {
        ids.push(uploaded(&t, name).await?);
    }
    let started = std::time::Instant::now();
    for id in &ids {
        share_ids(&t, &contact, id).await?;
    }
    let within_window = started.elapsed() < Duration::from_secs(LOCAL_SHARE_EMAIL_WINDOW_SECONDS as u64);
    // Once the batch is gone every share in it was emailed: the count is final.
    eventually(SIGNAL, || async { Ok(!shares_pending(&t, &contact).await?) }).await?;
    let sent = emails(&email, "shared").await?;
    for name in ["One.txt", "Two.txt", "Three.txt"] {
        let with = sent.iter().filter(|m| m["text"].as_str().is_some_and(|text| text.contains(name))).count();
        assert_eq!(with, 1, "{name} is in exactly one email: {sent:?}");
    }
    if within_window {
        assert_eq!(sent.len(), 1, "one email for the batch: {sent:?}");
        assert_eq!(sent[0]["subject"], format!("{company} shared 3 items with you"));
    } else {
        println!(
            "the three shares took {:?}, more than the window: not checked that they made one email",
            started.elapsed()
        );
    }
    let message = &sent[0];
    for name in ["One.txt", "Two.txt", "Three.txt"] {
        assert!(sent.iter().any(|m| m["html"].as_str().unwrap().contains(name)), "{name} in the HTML: {sent:?}");
    }
    let portal = format!("/p/{}", t.tenant.slug);
    assert!(message["html"].as_str().unwrap().contains(&portal));
    assert!(message["listUnsubscribe"].as_str().unwrap().contains(&format!("{portal}#preferences")), "{message}");

    // In French once the customer chose French.
    let french = json!({ "emailNotifications": true, "mutedCompanies": [], "language": "fr" });
    customer.send(Method::PUT, "/portal/preferences", Some(french)).await?.expect(200)?;
    share(&t, &contact, "Quatre.txt").await?;
    eventually(SIGNAL, || async { Ok(!shares_pending(&t, &contact).await?) }).await?;
    assert_eq!(emails(&email, "a partagé").await?[0]["subject"], format!("{company} a partagé un document avec vous"));

    // Muted for this company, then all emails off: nothing more arrives.
    let before = emails_to(&email).await?.len();
    for preferences in [
        json!({ "emailNotifications": true, "mutedCompanies": [t.tenant.id], "language": "en" }),
        json!({ "emailNotifications": false, "mutedCompanies": [], "language": "en" }),
    ] {
        customer.send(Method::PUT, "/portal/preferences", Some(preferences)).await?.expect(200)?;
        share(&t, &contact, &format!("{}.txt", unique("quiet"))).await?;
        // The batch is gone once its delivery decided (here: to skip the email).
        eventually(SIGNAL, || async { Ok(!shares_pending(&t, &contact).await?) }).await?;
    }
    assert_eq!(emails_to(&email).await?.len(), before, "a customer who opted out got an email");
    Ok(())
}

#[tokio::test]
async fn the_access_closed_email_is_sent_only_when_the_company_turned_it_on() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("closed"));
    let (_, contact) = registered_customer(&t.member, &email).await?;
    let access = format!("/contacts/{contact}/access");
    t.member.send(Method::DELETE, &access, None).await?.expect(200)?;
    assert!(emails(&email, "closed").await?.is_empty());

    t.admin.send(Method::PATCH, "/settings", Some(json!({ "notifyAccessClosed": true }))).await?.expect(200)?;
    t.member.send(Method::POST, &access, None).await?.expect(200)?;
    t.member.send(Method::DELETE, &access, None).await?.expect(200)?;
    let sent = emails(&email, "closed").await?;
    assert_eq!(sent.len(), 1);
    assert!(sent[0]["hasText"].as_bool().unwrap() && sent[0]["hasHtml"].as_bool().unwrap());
    Ok(())
}

/// The notifications function as deployed but naming at most `per_email` shares per email,
/// and a window of `window_seconds` (tests page through a batch with a few shares).
async fn notifications(per_email: usize, window_seconds: i64) -> portal_notifications::App {
    let sdk = sdk().await;
    portal_notifications::App::new(&sdk, &env().stack.table, &env().stack.sender, &env().api_url, window_seconds)
        .with_shares_per_email(per_email)
}

/// Adds pending shares named `names` for `contact` straight to its batch, as if shared an
/// hour ago (due), without queueing a message: only the test's own deliveries send them.
async fn pending(t: &TenantFixture, contact: ContactId, names: &[String]) -> anyhow::Result<()> {
    let an_hour_ago = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    for name in names {
        let share = BatchedShare { item: ItemRef::Document(DocumentId::new()), name: name.clone() };
        t.store.add_to_share_batch(t.tenant.id, contact, &share, an_hour_ago).await?;
    }
    Ok(())
}

/// How many of the emails to `address` name `name`.
async fn emails_naming(address: &str, name: &str) -> anyhow::Result<usize> {
    Ok(emails_to(address).await?.iter().filter(|m| m["text"].as_str().is_some_and(|text| text.contains(name))).count())
}

#[tokio::test]
async fn a_batch_larger_than_one_email_goes_out_page_by_page_and_replays_send_nothing_more() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("pages"));
    let (_, contact) = registered_customer(&t.member, &email).await?;
    let contact: ContactId = contact.parse()?;
    let marker = unique("page");
    let names: Vec<String> = (1..=5).map(|i| format!("{marker}-{i}.txt")).collect();
    pending(&t, contact, &names).await?;
    let app = notifications(2, 0).await;
    let message = NotificationMessage::Shares { tenant_id: t.tenant.id, contact_id: contact };
    let before = emails_to(&email).await?.len();

    // Two shares per email, oldest first: a delivery that leaves more pending is reported
    // failed (SQS delivers it again for the next page); the last page's is not.
    for (page, expected) in [&names[0..2], &names[2..4], &names[4..5]].iter().enumerate() {
        let outcome = app.process(message.clone()).await;
        if page < 2 {
            assert_eq!(outcome, Err(portal_shared::ApiError::Unavailable), "page {page}: more follow");
        } else {
            assert_eq!(outcome, Ok(Sent::To(vec![email.clone()])), "the last page");
        }
        let sent = emails_to(&email).await?;
        assert_eq!(sent.len(), before + page + 1, "one email per page");
        let last = sent.last().unwrap();
        let subject = match expected.len() {
            1 => format!("{} shared a document with you", t.tenant.name),
            n => format!("{} shared {n} items with you", t.tenant.name),
        };
        assert_eq!(last["subject"], subject);
        for name in *expected {
            assert!(last["text"].as_str().unwrap().contains(name.as_str()), "{name} in page {page}: {last}");
        }
    }
    assert!(!t.store.shares_pending(t.tenant.id, contact).await?);
    // The same message again, any number of times: nothing more is sent.
    for _ in 0..3 {
        assert_eq!(app.process(message.clone()).await, Ok(Sent::Nothing));
    }
    for name in &names {
        assert_eq!(emails_naming(&email, name).await?, 1, "{name} in exactly one email");
    }
    assert_eq!(emails_to(&email).await?.len(), before + 3);
    Ok(())
}

#[tokio::test]
async fn a_share_added_while_its_batch_is_sent_is_not_lost_and_concurrent_deliveries_send_each_once()
-> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("during"));
    let (_, contact) = registered_customer(&t.member, &email).await?;
    let contact: ContactId = contact.parse()?;
    let marker = unique("during");
    let first: Vec<String> = (1..=2).map(|i| format!("{marker}-first-{i}.txt")).collect();
    pending(&t, contact, &first).await?;

    // A delivery claims the batch; a share arrives while its email is being sent; the
    // delivery closes what it sent. The late share is still pending, for the next email.
    let now = time::OffsetDateTime::now_utc();
    let BatchClaim::Claimed(batch) = t.store.claim_share_batch(t.tenant.id, contact, now, 60, 120, 25).await? else {
        anyhow::bail!("the due batch is claimed");
    };
    assert_eq!(batch.items.iter().map(|s| s.name.clone()).collect::<Vec<_>>(), first);
    // Another delivery meanwhile finds the lease held: it is to try again later.
    assert_eq!(t.store.claim_share_batch(t.tenant.id, contact, now, 60, 120, 25).await?, BatchClaim::Busy);
    let late = format!("{marker}-late.txt");
    pending(&t, contact, std::slice::from_ref(&late)).await?;
    t.store.finish_share_batch(t.tenant.id, contact, &batch).await?;
    assert!(t.store.shares_pending(t.tenant.id, contact).await?, "the late share waits for its email");
    let app = notifications(2, 0).await;
    let message = NotificationMessage::Shares { tenant_id: t.tenant.id, contact_id: contact };
    assert_eq!(app.process(message.clone()).await, Ok(Sent::To(vec![email.clone()])));
    assert_eq!(emails_naming(&email, &late).await?, 1);
    for name in &first {
        assert_eq!(emails_naming(&email, name).await?, 0, "{name} was claimed by the test, never emailed");
    }

    // Seven shares, four deliveries at once, then redeliveries until none is pending (as
    // SQS would): each share is in exactly one email.
    let many: Vec<String> = (1..=7).map(|i| format!("{marker}-many-{i}.txt")).collect();
    pending(&t, contact, &many).await?;
    let outcomes = futures::future::join_all((0..4).map(|_| app.process(message.clone()))).await;
    assert!(outcomes.iter().all(|o| matches!(o, Ok(_) | Err(portal_shared::ApiError::Unavailable))), "{outcomes:?}");
    for _ in 0..10 {
        if !t.store.shares_pending(t.tenant.id, contact).await? {
            break;
        }
        let _ = app.process(message.clone()).await;
    }
    assert!(!t.store.shares_pending(t.tenant.id, contact).await?);
    for name in &many {
        assert_eq!(emails_naming(&email, name).await?, 1, "{name} in exactly one email");
    }
    Ok(())
}

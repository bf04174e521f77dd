//! Concurrency races, each with a defined outcome (in each test's doc comment): access
//! closed while the customer downloads, unsharing while a download URL is requested, two
//! staff saving the same contact's selection at once, and S3 events delivered twice at
//! once, after the document was deleted, and out of order.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use portal_object_events::notification::ObjectCreated;
use portal_object_events::{App, Outcome};
use portal_shared::object_key::ObjectKey;
use portal_tests::{TenantFixture, customer_with_a_shared_document, env, sdk, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// One download request: when it was sent, when it was answered, and the answer.
struct Attempt {
    sent: Instant,
    status: u16,
    json: Value,
}

/// `count` download requests spread over `spread`, concurrently with `change` (started
/// after `change_after`). Returns the attempts and the instant `change` returned.
async fn downloads_around<F>(
    customer: &ApiClient,
    path: &str,
    count: u64,
    spread: Duration,
    change_after: Duration,
    change: F,
) -> anyhow::Result<(Vec<Attempt>, Instant)>
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let step = spread / count as u32;
    let attempts: Vec<_> = (0..count)
        .map(|i| {
            let customer = customer.clone();
            let path = path.to_owned();
            tokio::spawn(async move {
                tokio::time::sleep(step * i as u32).await;
                let sent = Instant::now();
                let response = customer.get(&path).await?;
                anyhow::Ok(Attempt { sent, status: response.status, json: response.json })
            })
        })
        .collect();
    let changed = tokio::spawn(async move {
        tokio::time::sleep(change_after).await;
        change.await?;
        anyhow::Ok(Instant::now())
    });
    let mut done = Vec::new();
    for attempt in attempts {
        done.push(attempt.await??);
    }
    Ok((done, changed.await??))
}

/// The outcome both download races share: every answer is a 200 or a 403 (never a 5xx);
/// a 200 was requested before the change returned and its URL gives the bytes (a URL
/// handed out before the change keeps working until its short expiry: presigned URLs
/// cannot be recalled); every request sent after the change returned is a 403, and so is
/// every later one.
async fn check_download_outcome(
    customer: &ApiClient,
    path: &str,
    attempts: &[Attempt],
    changed_at: Instant,
    bytes: &[u8],
) -> anyhow::Result<()> {
    let (mut ok, mut refused) = (0, 0);
    for attempt in attempts {
        match attempt.status {
            200 => {
                ok += 1;
                assert!(attempt.sent < changed_at, "a download sent after the change returned got a 200");
                let url = attempt.json["download"]["url"].as_str().unwrap();
                let response = reqwest::get(url).await?;
                assert_eq!(response.status(), 200);
                assert_eq!(response.bytes().await?.to_vec(), bytes);
            }
            403 => refused += 1,
            other => panic!("download answered {other}: {}", attempt.json),
        }
    }
    for _ in 0..5 {
        assert_eq!(customer.get(path).await?.status, 403, "a download after the change");
    }
    println!("downloads around the change: {ok} × 200 (before it), {refused} × 403");
    Ok(())
}

/// **Close access while the customer downloads.** Outcome: each download answer is a 200
/// with a working URL (requested before the close returned) or a 403; after the close
/// returned every download is a 403; no 5xx; the access ends `closed`.
#[tokio::test]
async fn closing_access_while_the_customer_downloads() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let bytes = b"closing race".to_vec();
    let (customer, contact_id, doc_id) = customer_with_a_shared_document(&t, "Race.txt", &bytes).await?;
    let path = format!("/portal/companies/{}/documents/{doc_id}/download", t.tenant.id);
    let admin = t.admin.clone();
    let access = format!("/contacts/{contact_id}/access");
    let close = async move {
        let closed = admin.send(Method::DELETE, &access, None).await?.expect(200)?;
        anyhow::ensure!(closed["accessStatus"] == "closed", "{closed}");
        Ok(())
    };
    let (attempts, closed_at) =
        downloads_around(&customer, &path, 24, Duration::from_millis(900), Duration::from_millis(300), close).await?;
    check_download_outcome(&customer, &path, &attempts, closed_at, &bytes).await?;
    assert_eq!(t.viewer.get(&format!("/contacts/{contact_id}")).await?.expect(200)?["accessStatus"], "closed");
    Ok(())
}

/// **Unshare while a download URL is requested.** Outcome: as for closing — each answer is
/// a 200 with a working URL (requested before the unshare returned) or a 403; after the
/// unshare returned every request is a 403; no 5xx; the share is gone from both listings.
#[tokio::test]
async fn unsharing_while_a_download_url_is_requested() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let bytes = b"unsharing race".to_vec();
    let (customer, contact_id, doc_id) = customer_with_a_shared_document(&t, "Race.txt", &bytes).await?;
    let path = format!("/portal/companies/{}/documents/{doc_id}/download", t.tenant.id);
    let member = t.member.clone();
    let unshare_path = format!("/contacts/{contact_id}/shares/{doc_id}");
    let unshare = async move {
        member.send(Method::DELETE, &unshare_path, None).await?.expect(204)?;
        Ok(())
    };
    let (attempts, unshared_at) =
        downloads_around(&customer, &path, 24, Duration::from_millis(900), Duration::from_millis(300), unshare).await?;
    check_download_outcome(&customer, &path, &attempts, unshared_at, &bytes).await?;
    let staff_side = t.viewer.get(&format!("/contacts/{contact_id}/shares")).await?.expect(200)?;
    assert!(staff_side["items"].as_array().unwrap().is_empty(), "{staff_side}");
    let customer_side = customer.get("/portal/shares").await?.expect(200)?;
    assert!(customer_side["items"].as_array().unwrap().is_empty(), "{customer_side}");
    Ok(())
}

fn shared_ids(shares: &Value) -> Vec<String> {
    let mut ids: Vec<String> = shares
        .as_array()
        .or_else(|| shares["items"].as_array())
        .into_iter()
        .flatten()
        .map(|s| s["item"]["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// **Two staff saving the same contact's selection at once** (`PUT /contacts/{id}/shares`
/// from the admin and a member, with different selections). Outcome: the saves are
/// serialized by a short lease on the contact's selection: each answer is a 200 or a 409
/// (`another save of this selection is in progress`), at least one is a 200, each 200
/// answers exactly its own selection, and the final state is exactly one of the two
/// selections — the one that got the 200, or the later one when both did — never a mix.
/// No lease is left behind.
#[tokio::test]
async fn two_staff_saving_the_same_selection_at_once_never_mix() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "both@client.example", "name": "Both" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let mut folders = Vec::new();
    for name in ["A1", "A2", "B1", "B2", "B3"] {
        folders.push(
            t.member.post("/folders", json!({ "name": name })).await?.expect(201)?["id"].as_str().unwrap().to_owned(),
        );
    }
    let selection = |ids: &[String]| json!({ "items": ids.iter().map(|id| json!({ "kind": "folder", "id": id })).collect::<Vec<_>>() });
    let mut a = folders[..2].to_vec();
    let mut b = folders[2..].to_vec();
    a.sort();
    b.sort();
    let path = format!("/contacts/{contact_id}/shares");
    let (mut conflicts, mut both) = (0, 0);
    for round in 0..8 {
        // Start each round from a different state: nothing, A, B, or a bit of each.
        let start: Vec<String> = match round % 4 {
            0 => Vec::new(),
            1 => a.clone(),
            2 => b.clone(),
            _ => vec![a[0].clone(), b[0].clone()],
        };
        t.member.send(Method::PUT, &path, Some(selection(&start))).await?.expect(200)?;
        let (from_admin, from_member) = tokio::join!(
            t.admin.send(Method::PUT, &path, Some(selection(&a))),
            t.member.send(Method::PUT, &path, Some(selection(&b))),
        );
        let (from_admin, from_member) = (from_admin?, from_member?);
        for (response, own) in [(&from_admin, &a), (&from_member, &b)] {
            match response.status {
                200 => assert_eq!(&shared_ids(&response.json), own, "a 200 answers its own selection"),
                409 => portal_tests::assert_problem(response, 409),
                other => panic!("round {round}: a save answered {other}: {}", response.json),
            }
        }
        let after = shared_ids(&t.viewer.get(&path).await?.expect(200)?);
        match (from_admin.status, from_member.status) {
            (200, 409) => assert_eq!(after, a, "round {round}"),
            (409, 200) => assert_eq!(after, b, "round {round}"),
            (200, 200) => {
                both += 1;
                assert!(after == a || after == b, "round {round}: a mixed selection {after:?}")
            }
            other => panic!("round {round}: neither save succeeded: {other:?}"),
        }
        if from_admin.status == 409 || from_member.status == 409 {
            conflicts += 1;
        }
    }
    println!("selection race: {conflicts} rounds with a 409, {both} rounds where both saved in turn");
    // No lease left behind.
    let lease = aws_sdk_dynamodb::Client::new(&sdk().await)
        .get_item()
        .table_name(&env().stack.table)
        .key("PK", AttributeValue::S(format!("TENANT#{}", t.tenant.id)))
        .key("SK", AttributeValue::S(format!("SELECTION#{contact_id}")))
        .consistent_read(true)
        .send()
        .await?;
    assert!(lease.item.is_none(), "a selection lease was left: {:?}", lease.item);
    Ok(())
}

async fn object_events() -> App {
    App::new(&sdk().await, &env().stack.table, &env().stack.bucket, &env().stack.sender, &env().api_url)
}

fn created(key: &str) -> ObjectCreated {
    ObjectCreated::new(env().stack.bucket.clone(), key.replace('/', "%2F"))
}

/// The `document.uploaded` entries of a document's trail.
async fn uploaded_entries(t: &TenantFixture, id: &str) -> anyhow::Result<usize> {
    let trail = t.viewer.get(&format!("/documents/{id}/activity")).await?.expect(200)?;
    Ok(trail["items"].as_array().unwrap().iter().filter(|e| e["action"] == "document.uploaded").count())
}

/// A pending document whose object is stored (the bucket's own event is relayed to
/// object-events too, so it races the deliveries the test makes).
async fn stored_upload(client: &ApiClient, name: &str, bytes: &[u8]) -> anyhow::Result<String> {
    let document = client.upload(name, "text/plain", bytes).await?;
    Ok(document["id"].as_str().unwrap().to_owned())
}

/// **An ObjectCreated delivered twice (here eight times) at once, on the first delivery.**
/// Outcome: at most one delivery settles the document (`Available`; the bucket's own
/// relayed event may be the one), every other is `Duplicate` (or a transient error SQS
/// delivers again, which then finds it settled); the document is available
/// once, with exactly one `document.uploaded` entry, and listed once. (Replays after it
/// settled are in `object_events::replayed_events_settle_a_document_once`.)
#[tokio::test]
async fn an_object_created_delivered_twice_at_once_settles_once() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let app = object_events().await;
    let id = stored_upload(&t.member, "twice-at-once.txt", b"at once").await?;
    let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
    let object = created(&key);
    let outcomes = futures::future::join_all((0..8).map(|_| app.process(&object))).await;
    let mut settled = 0;
    for outcome in &outcomes {
        match outcome {
            Ok(Outcome::Available) => settled += 1,
            Ok(Outcome::Duplicate) => {}
            // A transaction conflict with a concurrent delivery: the message is retried.
            Err(portal_shared::ApiError::Unavailable) => {}
            other => panic!("a delivery ended {other:?}"),
        }
    }
    assert!(settled <= 1, "{outcomes:?}");
    let document = t.member.wait_settled(&id, portal_tests::SETTLE).await?;
    assert_eq!(document["status"], "available");
    assert_eq!(uploaded_entries(&t, &id).await?, 1);
    assert_eq!(portal_tests::ids(&t.viewer.get("/documents").await?.expect(200)?), vec![id]);
    Ok(())
}

/// **A created event for a document already deleted.** Outcome: `Orphan` — no record is
/// made again, the document stays 404, and an object still (or again) under its key is
/// deleted. Both orders are covered: the event replayed after the delete, and a late PUT
/// with a presigned URL handed out before a pending document was deleted.
#[tokio::test]
async fn a_created_event_for_a_deleted_document_recreates_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let app = object_events().await;
    let s3 = portal_shared::aws::s3_client(&sdk().await);
    let bucket = &env().stack.bucket;

    // Settled, deleted, then the event again.
    let id = stored_upload(&t.member, "deleted.txt", b"gone").await?;
    t.member.wait_settled(&id, portal_tests::SETTLE).await?;
    t.member.send(Method::DELETE, &format!("/documents/{id}"), None).await?.expect(204)?;
    let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
    assert_eq!(app.process(&created(&key)).await?, Outcome::Orphan);
    portal_tests::assert_problem(&t.member.get(&format!("/documents/{id}")).await?, 404);
    assert_eq!(uploaded_entries(&t, &id).await?, 1, "no second upload entry");

    // A ticket, its pending document deleted, then the (still valid) presigned PUT.
    let ticket = t
        .member
        .post("/uploads", json!({ "fileName": "late.txt", "contentType": "text/plain", "size": 4 }))
        .await?
        .expect(201)?;
    let late = ticket["document"]["id"].as_str().unwrap().to_owned();
    t.member.send(Method::DELETE, &format!("/documents/{late}"), None).await?.expect(204)?;
    portal_tests::put_presigned(&ticket["upload"], b"late".to_vec()).await?;
    let late_key = ObjectKey::document(t.tenant.id, late.parse()?).to_string();
    assert_eq!(app.process(&created(&late_key)).await?, Outcome::Orphan);
    portal_tests::assert_problem(&t.member.get(&format!("/documents/{late}")).await?, 404);
    assert!(s3.head_object().bucket(bucket).key(&late_key).send().await.is_err(), "the late object was kept");
    assert!(portal_tests::ids(&t.viewer.get("/documents").await?.expect(200)?).is_empty());
    Ok(())
}

/// **Events of two uploads in reverse order** (the second upload's event first). Outcome:
/// each event settles its own document, whatever the order (documents are independent:
/// the key names the document); both are available with one `document.uploaded` entry
/// each, and the listing keeps creation order (newest first), not settling order.
#[tokio::test]
async fn events_of_two_uploads_in_reverse_order_settle_each() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let app = object_events().await;
    let first = stored_upload(&t.member, "first.txt", b"one").await?;
    let second = stored_upload(&t.member, "second.txt", b"two").await?;
    for id in [&second, &first] {
        let key = ObjectKey::document(t.tenant.id, id.parse()?).to_string();
        let outcome = app.process(&created(&key)).await?;
        assert!(matches!(outcome, Outcome::Available | Outcome::Duplicate), "{outcome:?}");
    }
    for id in [&first, &second] {
        assert_eq!(t.member.wait_settled(id, portal_tests::SETTLE).await?["status"], "available");
        assert_eq!(uploaded_entries(&t, id).await?, 1);
    }
    assert_eq!(portal_tests::ids(&t.viewer.get("/documents").await?.expect(200)?), vec![second, first]);
    Ok(())
}

/// Sign-ins while other accounts are created in the same pool all succeed, each on its
/// first attempt (the SDK's retries are off here, so a 500 would show). AWS applies each
/// Cognito request atomically; moto walked the pool's users while another request added
/// one (`OrderedDict mutated during iteration`, a 500), and a retried RespondToAuthChallenge
/// then found its session consumed: a valid new-password step answered 401 in CI. The race
/// needs a pool of a few thousand users, so the test makes its own and deletes it after.
#[tokio::test]
async fn sign_ins_while_accounts_are_created_in_the_same_pool_all_succeed() -> anyhow::Result<()> {
    use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType, UsernameAttributeType};
    let config = aws_sdk_cognitoidentityprovider::config::Builder::from(&sdk().await)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build();
    let cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(config);
    let pool = cognito
        .create_user_pool()
        .pool_name(portal_tests::unique("races"))
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await?;
    let pool_id = pool.user_pool().and_then(|p| p.id()).unwrap().to_owned();
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("races")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await?;
    let client_id = client.user_pool_client().and_then(|c| c.client_id()).unwrap().to_owned();
    let email = "signer@races.example";
    cognito.admin_create_user().user_pool_id(&pool_id).username(email).send().await?;
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool_id)
        .username(email)
        .password(portal_tests::PASSWORD)
        .permanent(true)
        .send()
        .await?;

    let mut work = tokio::task::JoinSet::new();
    for creator in 0..6 {
        let (cognito, pool_id) = (cognito.clone(), pool_id.clone());
        work.spawn(async move {
            for n in 0..400 {
                let username = format!("made-{creator}-{n}@races.example");
                cognito.admin_create_user().user_pool_id(&pool_id).username(username).send().await?;
            }
            anyhow::Ok(())
        });
    }
    for _ in 0..3 {
        let (cognito, client_id) = (cognito.clone(), client_id.clone());
        work.spawn(async move {
            for _ in 0..100 {
                let signed_in = cognito
                    .initiate_auth()
                    .client_id(&client_id)
                    .auth_flow(AuthFlowType::UserPasswordAuth)
                    .auth_parameters("USERNAME", email)
                    .auth_parameters("PASSWORD", portal_tests::PASSWORD)
                    .send()
                    .await?;
                anyhow::ensure!(signed_in.authentication_result().is_some(), "{signed_in:?}");
            }
            anyhow::Ok(())
        });
    }
    let mut outcome = Ok(());
    while let Some(done) = work.join_next().await {
        outcome = outcome.and(done?);
    }
    cognito.delete_user_pool().user_pool_id(&pool_id).send().await?;
    outcome
}

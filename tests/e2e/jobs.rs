//! Bulk changes as jobs (`portal_shared::jobs`, the `jobs` function): a change over the
//! local limit (`LOCAL_JOBS_SYNC_LIMIT` writes, `LOCAL_JOBS_CHUNK_SIZE` units per chunk,
//! small so that a few dozen writes make a job of several chunks) answers 202 with a job
//! id, runs through the jobs queue, and ends with exactly the right shares, events and
//! emails, however often its chunks are delivered.

use std::time::Duration;

use anyhow::{Context, Result};
use local_gateway::Functions;
use portal_shared::domain::{ContactId, FolderId, ItemRef, JobId};
use portal_shared::jobs::{Job, JobSpec};
use portal_tests::{TenantFixture, anonymous, assert_problem, emails_to, env, eventually, sdk, tenant_fixture, unique};

use reqwest::Method;
use serde_json::{Value, json};
use xtask::function_env::LOCAL_JOBS_SYNC_LIMIT;

// Generous: a job is a chain of queue round trips, and the suite loads one moto with every test.
const JOB_DONE: Duration = Duration::from_secs(240);

/// Waits for a job to end (polling, bounded by `JOB_DONE`); its final view.
async fn finished(t: &TenantFixture, job: &str) -> Result<Value> {
    let deadline = std::time::Instant::now() + JOB_DONE;
    loop {
        let view = t.viewer.get(&format!("/jobs/{job}")).await?.expect(200)?;
        if !matches!(view["status"].as_str(), Some("queued" | "running")) {
            return Ok(view);
        }
        anyhow::ensure!(std::time::Instant::now() < deadline, "job {job} still not finished: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn contacts(t: &TenantFixture, n: usize, organization: Option<&str>) -> Result<Vec<(String, String)>> {
    let mut made = Vec::new();
    for _ in 0..n {
        let email = format!("{}@jobs.example", unique("c"));
        let mut body = json!({ "email": email, "name": "Job Contact" });
        if let Some(organization) = organization {
            body["organizationId"] = json!(organization);
        }
        let contact = t.member.post("/contacts", body).await?.expect(201)?;
        made.push((contact["id"].as_str().unwrap().to_owned(), email));
    }
    Ok(made)
}

async fn folders(t: &TenantFixture, n: usize) -> Result<Vec<String>> {
    let mut made = Vec::new();
    for _ in 0..n {
        let folder = t.member.post("/folders", json!({ "name": unique("f") })).await?.expect(201)?;
        made.push(folder["id"].as_str().unwrap().to_owned());
    }
    Ok(made)
}

/// The item ids shared with a contact (current shares; one page is all of them here).
async fn shared_with(t: &TenantFixture, contact: &str) -> Result<Vec<String>> {
    let page = t.viewer.get(&format!("/contacts/{contact}/shares?limit=100")).await?.expect(200)?;
    let mut ids: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|s| s["item"]["id"].as_str().unwrap().to_owned()).collect();
    ids.sort();
    Ok(ids)
}

/// How many `share.created` events the contact's trail holds.
async fn shares_created(t: &TenantFixture, contact: &str) -> Result<usize> {
    let page = t.viewer.get(&format!("/contacts/{contact}/activity?limit=100")).await?.expect(200)?;
    Ok(page["items"].as_array().unwrap().iter().filter(|e| e["action"] == "share.created").count())
}

/// How many invitation emails (a registration link) went to `address`.
async fn invitations(address: &str) -> Result<usize> {
    Ok(emails_to(address).await?.iter().filter(|e| e["text"].as_str().unwrap_or_default().contains("token=")).count())
}

/// An SQS batch of the jobs queue holding `bodies`, as Lambda delivers one.
fn batch(bodies: &[Value]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("replayed-{i}"), "receiptHandle": "r", "body": body.to_string(),
                "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                "eventSourceARN": env().stack.jobs_queue_arn, "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({ "Records": records })
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn a_large_share_is_a_job_that_makes_each_share_event_and_invitation_once_however_often_replayed() -> Result<()> {
    let t = tenant_fixture().await?;
    let people = contacts(&t, 4, None).await?;
    let items = folders(&t, 4).await?;
    assert!(people.len() * items.len() > LOCAL_JOBS_SYNC_LIMIT, "over the limit");
    let body = json!({
        "items": items.iter().map(|id| json!({ "kind": "folder", "id": id })).collect::<Vec<_>>(),
        "contactIds": people.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
    });
    let accepted = t.member.post("/shares", body).await?.expect(202)?;
    let job = accepted["jobId"].as_str().context("a job id")?.to_owned();
    assert_eq!(accepted["status"], "queued");

    let done = finished(&t, &job).await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["kind"], "share");
    assert_eq!((done["total"].as_u64(), done["done"].as_u64(), done["failed"].as_u64()), (Some(16), Some(16), Some(0)));
    assert!(done["failures"].as_array().unwrap().is_empty());
    for (contact, email) in &people {
        assert_eq!(shared_with(&t, contact).await?, sorted(items.clone()));
        assert_eq!(shares_created(&t, contact).await?, items.len(), "one event per share");
        let state = t.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
        assert_eq!(state["accessStatus"], "pending", "sharing opened the access");
        eventually(Duration::from_secs(10), || async move { Ok(invitations(email).await? == 1) }).await?;
    }

    // Every chunk delivered again (as SQS may after a lost answer): nothing changes.
    let functions = Functions::new(&sdk().await, &env().stack, &env().api_url)?;
    let steps: Vec<Value> = (0..6).map(|step| json!({ "tenantId": t.tenant.id, "jobId": job, "step": step })).collect();
    let answer = functions.invoke_queue("jobs", batch(&steps)).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    let again = t.viewer.get(&format!("/jobs/{job}")).await?.expect(200)?;
    assert_eq!(again, done, "progress is counted once");
    for (contact, email) in &people {
        assert_eq!(shared_with(&t, contact).await?, sorted(items.clone()));
        assert_eq!(shares_created(&t, contact).await?, items.len(), "no second share.created");
        assert_eq!(invitations(email).await?, 1, "no second invitation");
    }
    Ok(())
}

#[tokio::test]
async fn a_chunk_delivered_twice_while_the_job_runs_changes_nothing_twice() -> Result<()> {
    let t = tenant_fixture().await?;
    let people = contacts(&t, 3, None).await?;
    let items = folders(&t, 3).await?;
    let staff = t.store.staff_member(&t.member_account.member.sub).await?.context("the member")?;
    let spec = JobSpec::Share {
        items: items.iter().map(|id| ItemRef::Folder(id.parse().unwrap())).collect(),
        contacts: people.iter().map(|(id, _)| id.parse::<ContactId>().unwrap()).collect(),
        organization_id: None,
        available_until: None,
    };
    // A job stored but not enqueued: this test delivers its first chunk itself, twice in
    // one batch and once more after, as SQS redelivery would.
    let job = Job::new(spec, &staff, 9, time::OffsetDateTime::now_utc());
    t.store.create_job(t.tenant.id, &job).await?;
    let functions = Functions::new(&sdk().await, &env().stack, &env().api_url)?;
    let first = json!({ "tenantId": t.tenant.id, "jobId": job.id, "step": 0 });
    let answer =
        functions.invoke_queue("jobs", batch(&[first.clone(), first.clone()])).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(answer, json!({ "batchItemFailures": [] }));
    functions.invoke_queue("jobs", batch(&[first])).await?.map_err(anyhow::Error::msg)?;

    let done = finished(&t, &job.id.to_string()).await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!((done["done"].as_u64(), done["failed"].as_u64()), (Some(9), Some(0)), "{done}");
    for (contact, email) in &people {
        assert_eq!(shared_with(&t, contact).await?, sorted(items.clone()));
        assert_eq!(shares_created(&t, contact).await?, items.len());
        eventually(Duration::from_secs(10), || async move { Ok(invitations(email).await? == 1) }).await?;
    }
    Ok(())
}

#[tokio::test]
async fn an_item_that_fails_is_reported_and_the_job_ends_partially_failed() -> Result<()> {
    let t = tenant_fixture().await?;
    let people = contacts(&t, 2, None).await?;
    let items = folders(&t, 2).await?;
    let gone = FolderId::new();
    let staff = t.store.staff_member(&t.member_account.member.sub).await?.context("the member")?;
    let mut shared: Vec<ItemRef> = items.iter().map(|id| ItemRef::Folder(id.parse().unwrap())).collect();
    shared.push(ItemRef::Folder(gone));
    let spec = JobSpec::Share {
        items: shared,
        contacts: people.iter().map(|(id, _)| id.parse::<ContactId>().unwrap()).collect(),
        organization_id: None,
        available_until: None,
    };
    let job = Job::new(spec, &staff, 6, time::OffsetDateTime::now_utc());
    let id = job.id;
    portal_shared::jobs::start(
        &t.store,
        &portal_shared::jobs::JobQueue::new(portal_shared::aws::sqs_client(&sdk().await), &env().stack.jobs_queue_url),
        t.tenant.id,
        job,
    )
    .await?;
    let done = finished(&t, &id.to_string()).await?;
    assert_eq!(done["status"], "partially-failed", "{done}");
    assert_eq!((done["done"].as_u64(), done["failed"].as_u64()), (Some(4), Some(2)), "{done}");
    let failures = done["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    for failure in failures {
        assert_eq!(failure["item"]["id"], gone.to_string());
        assert_eq!(failure["reason"], "no such folder");
    }
    for (contact, _) in &people {
        assert_eq!(shared_with(&t, contact).await?, sorted(items.clone()), "the others were shared");
    }
    Ok(())
}

#[tokio::test]
async fn an_organizations_share_reaches_later_members_and_leaves_with_those_who_leave() -> Result<()> {
    let t = tenant_fixture().await?;
    let org = t.member.post("/organizations", json!({ "name": unique("org") })).await?.expect(201)?;
    let org_id = org["id"].as_str().unwrap().to_owned();
    let first = contacts(&t, 1, Some(&org_id)).await?.remove(0).0;
    let folder = folders(&t, 1).await?.remove(0);
    let item = json!({ "kind": "folder", "id": folder });
    t.member.post("/shares", json!({ "items": [item], "organizationId": org_id })).await?.expect(200)?;
    assert_eq!(shared_with(&t, &first).await?, vec![folder.clone()]);

    // A later member gets it (a job), a contact with a direct share of it keeps that one.
    let later = contacts(&t, 1, Some(&org_id)).await?.remove(0).0;
    eventually(JOB_DONE, || async { Ok(shared_with(&t, &later).await? == vec![folder.clone()]) }).await?;
    let direct = contacts(&t, 1, None).await?.remove(0).0;
    t.member.post("/shares", json!({ "items": [item], "contactIds": [direct] })).await?.expect(200)?;
    t.member
        .send(Method::PATCH, &format!("/contacts/{direct}"), Some(json!({ "organizationId": org_id })))
        .await?
        .expect(200)?;

    // Leaving takes away only what came from the organization.
    for contact in [&later, &direct] {
        t.member
            .send(Method::PATCH, &format!("/contacts/{contact}"), Some(json!({ "organizationId": null })))
            .await?
            .expect(200)?;
    }
    eventually(JOB_DONE, || async { Ok(shared_with(&t, &later).await?.is_empty()) }).await?;
    assert_eq!(shared_with(&t, &first).await?, vec![folder.clone()], "a member who stays keeps it");
    // The direct share outlived joining and leaving (its jobs find it unmarked).
    eventually(JOB_DONE, || async { Ok(shared_with(&t, &direct).await? == vec![folder.clone()]) }).await?;

    // Unsharing from the organization removes its members' shares (a job); a new member gets nothing.
    t.member.send(Method::DELETE, &format!("/organizations/{org_id}/shares/{folder}"), None).await?.expect(202)?;
    eventually(JOB_DONE, || async { Ok(shared_with(&t, &first).await?.is_empty()) }).await?;
    assert_problem(
        &t.member.send(Method::DELETE, &format!("/organizations/{org_id}/shares/{folder}"), None).await?,
        404,
    );
    Ok(())
}

#[tokio::test]
async fn a_large_organizations_share_and_access_are_jobs() -> Result<()> {
    let t = tenant_fixture().await?;
    let org = t.member.post("/organizations", json!({ "name": unique("big") })).await?.expect(201)?;
    let org_id = org["id"].as_str().unwrap().to_owned();
    let members = contacts(&t, LOCAL_JOBS_SYNC_LIMIT + 1, Some(&org_id)).await?;

    let opened = t.member.post(&format!("/organizations/{org_id}/access"), json!({})).await?.expect(202)?;
    let done = finished(&t, opened["jobId"].as_str().unwrap()).await?;
    assert_eq!(done["kind"], "organization-access");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["done"].as_u64(), Some(members.len() as u64));
    for (contact, email) in &members {
        let state = t.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
        assert_eq!(state["accessStatus"], "pending");
        assert_eq!(invitations(email).await?, 1, "{email}: one invitation");
    }

    let folder = folders(&t, 1).await?.remove(0);
    let accepted = t
        .member
        .post("/shares", json!({ "items": [{ "kind": "folder", "id": folder }], "organizationId": org_id }))
        .await?
        .expect(202)?;
    let done = finished(&t, accepted["jobId"].as_str().unwrap()).await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["total"].as_u64(), Some(members.len() as u64));
    for (contact, email) in &members {
        assert_eq!(shared_with(&t, contact).await?, vec![folder.clone()]);
        assert_eq!(invitations(email).await?, 1, "{email}: pending already, no second invitation");
    }

    let closed = t.member.send(Method::DELETE, &format!("/organizations/{org_id}/access"), None).await?.expect(202)?;
    let done = finished(&t, closed["jobId"].as_str().unwrap()).await?;
    assert_eq!(done["status"], "succeeded", "{done}");
    for (contact, _) in &members {
        let state = t.viewer.get(&format!("/contacts/{contact}")).await?.expect(200)?;
        assert_eq!(state["accessStatus"], "closed");
    }
    Ok(())
}

#[tokio::test]
async fn deleting_a_large_folder_is_a_job_that_deletes_it_bottom_up() -> Result<()> {
    let t = tenant_fixture().await?;
    let top = folders(&t, 1).await?.remove(0);
    let sub = t.member.post("/folders", json!({ "name": "sub", "parentId": top })).await?.expect(201)?;
    let sub = sub["id"].as_str().unwrap().to_owned();
    let deep = t.member.post("/folders", json!({ "name": "deep", "parentId": sub })).await?.expect(201)?;
    let deep = deep["id"].as_str().unwrap().to_owned();
    let mut documents = Vec::new();
    for (folder, n) in [(&top, 3), (&sub, 3), (&deep, 2)] {
        for i in 0..n {
            let doc = t.member.upload_into(Some(folder), &format!("d{i}.txt"), "text/plain", b"bytes").await?;
            documents.push(doc["id"].as_str().unwrap().to_owned());
        }
    }
    let contact = contacts(&t, 1, None).await?.remove(0).0;
    t.member
        .post("/shares", json!({ "items": [{ "kind": "folder", "id": sub }], "contactIds": [contact] }))
        .await?
        .expect(200)?;

    let accepted = t.member.send(Method::DELETE, &format!("/folders/{top}"), None).await?.expect(202)?;
    let done = finished(&t, accepted["jobId"].as_str().unwrap()).await?;
    assert_eq!(done["kind"], "folder-delete");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["done"].as_u64(), Some(documents.len() as u64 + 3), "every document and folder, once");
    for folder in [&top, &sub, &deep] {
        assert_problem(&t.viewer.get(&format!("/folders/{folder}")).await?, 404);
    }
    for document in &documents {
        assert_problem(&t.viewer.get(&format!("/documents/{document}")).await?, 404);
        let trail = t.viewer.get(&format!("/documents/{document}/activity")).await?.expect(200)?;
        let deleted = trail["items"].as_array().unwrap().iter().filter(|e| e["action"] == "document.deleted").count();
        assert_eq!(deleted, 1, "{document}: one document.deleted");
    }
    assert!(shared_with(&t, &contact).await?.is_empty(), "the shares are tidied");
    assert!(t.store.all_contact_shares(t.tenant.id, contact.parse()?).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn deleting_what_was_shared_widely_removes_a_page_of_shares_then_a_job_tidies_the_rest() -> Result<()> {
    use portal_shared::jobs::TIDY_PAGE;
    use portal_shared::model::Share;
    use portal_shared::pagination::PageRequest;
    use portal_shared::store::Seed;

    let t = tenant_fixture().await?;
    let document = t.member.upload_into(None, "Shared widely.txt", "text/plain", b"bytes").await?;
    let document = document["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&document, portal_tests::SETTLE).await?;
    let folder = folders(&t, 1).await?.remove(0);
    let contact = contacts(&t, 1, None).await?.remove(0).0;
    let (document_id, folder_id, contact_id): (portal_shared::domain::DocumentId, FolderId, ContactId) =
        (document.parse()?, folder.parse()?, contact.parse()?);

    // More than a page each: a document and a folder shared with many contacts, a contact
    // with many shares, an organization with many things shared with it (written directly:
    // the point is their number, not how they came).
    let many = TIDY_PAGE + 6;
    let by = t.member_account.member.sub.clone();
    let share = |contact_id: ContactId, item: ItemRef| Share {
        contact_id,
        item,
        shared_by: by.clone(),
        shared_at: time::OffsetDateTime::now_utc(),
        available_until: None,
    };
    let mut seeds = Vec::new();
    for _ in 0..many {
        seeds.push(Seed::Share(t.tenant.id, share(ContactId::new(), ItemRef::Document(document_id))));
        seeds.push(Seed::Share(t.tenant.id, share(ContactId::new(), ItemRef::Folder(folder_id))));
        // Of documents that do not exist: each costs the view index one read (its stream
        // record is a pair to recompute), where a folder would be a fan-out to start.
        let gone = portal_shared::domain::DocumentId::new();
        seeds.push(Seed::Share(t.tenant.id, share(contact_id, ItemRef::Document(gone))));
    }
    t.store.seed(&seeds).await?;
    let org = t.member.post("/organizations", json!({ "name": unique("org") })).await?.expect(201)?;
    let organization_id: portal_shared::domain::OrganizationId = org["id"].as_str().unwrap().parse()?;
    for _ in 0..many {
        let shared = portal_shared::store::OrganizationShare {
            organization_id,
            item: ItemRef::Folder(FolderId::new()),
            shared_by: by.clone(),
            shared_at: time::OffsetDateTime::now_utc(),
            available_until: None,
        };
        t.store.put_organization_share(t.tenant.id, &shared).await?;
    }
    let all = PageRequest { limit: 100, cursor: None };
    assert_eq!(t.store.contact_shares(t.tenant.id, contact_id, &all).await?.items.len(), many);

    t.member.send(Method::DELETE, &format!("/documents/{document}"), None).await?.expect(204)?;
    t.member.send(Method::DELETE, &format!("/folders/{folder}"), None).await?.expect(204)?;
    t.member.send(Method::DELETE, &format!("/contacts/{contact}"), None).await?.expect(204)?;
    t.member.send(Method::DELETE, &format!("/organizations/{organization_id}"), None).await?.expect(204)?;
    // The delete removed a page itself (read consistently: at most what the job left).
    let left = t.store.contact_shares(t.tenant.id, contact_id, &all).await?.items.len();
    assert!(left <= many - TIDY_PAGE, "{left} of {many} left after the delete");
    eventually(JOB_DONE, || async {
        let store = &t.store;
        Ok(store.contact_shares(t.tenant.id, contact_id, &all).await?.items.is_empty()
            && store.item_shares(t.tenant.id, ItemRef::Document(document_id), &all).await?.items.is_empty()
            && store.item_shares(t.tenant.id, ItemRef::Folder(folder_id), &all).await?.items.is_empty()
            && store.organization_shares(t.tenant.id, organization_id, &all).await?.items.is_empty())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_job_is_seen_only_by_its_companys_staff_and_bad_ids_are_refused() -> Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let folder = folders(&t, 1).await?.remove(0);
    t.member
        .post("/uploads", json!({ "fileName": "a.txt", "contentType": "text/plain", "size": 1, "folderId": folder }))
        .await?
        .expect(201)?;
    let accepted = t.member.send(Method::DELETE, &format!("/folders/{folder}"), None).await?.expect(202)?;
    let job = accepted["jobId"].as_str().unwrap().to_owned();
    t.viewer.get(&format!("/jobs/{job}")).await?.expect(200)?;

    let refused = other.admin.get(&format!("/jobs/{job}")).await?;
    assert_problem(&refused, 404);
    assert!(!refused.json.to_string().contains(&folder));
    assert_problem(&anonymous().get(&format!("/jobs/{job}")).await?, 401);
    assert_problem(&t.viewer.get(&format!("/jobs/{}", JobId::new())).await?, 404);
    for bad in ["not-an-id", "%2e%2e", "01936B2B-1A2B-7C3D-8E4F-5A6B7C8D9E0F", "x'--"] {
        let response = t.viewer.get(&format!("/jobs/{bad}")).await?;
        assert!(matches!(response.status, 400 | 404), "{bad}: {}", response.status);
        assert_problem(&response, response.status);
    }
    // Writes of one kind are never reachable here: the route has only GET.
    assert_problem(&t.member.send(Method::DELETE, &format!("/jobs/{job}"), None).await?, 404);
    Ok(())
}

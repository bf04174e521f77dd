//! The customer's view index against the source of truth: after every kind of change the
//! listing converges to exactly what the visibility rule computes over the table (the walk
//! down, `visibility::visible_documents`, on the real store), within a bounded wait;
//! what is no longer shared disappears at once and is never downloadable; replayed and
//! reordered stream records converge; paging with a small limit returns every entry once,
//! in order, for every sort.
//!
//! `#[ignore]`d in the suite's first run: `cargo xtask test` runs the module in a second
//! run, after the rest (`-- --ignored growth:: view_index::`), on a stack of its own, where
//! the one local stream serves these tests alone and a wait measures the index, not the
//! queue of the suite's other changes.

use std::collections::BTreeSet;
use std::time::Duration;

use portal_shared::domain::{ContactId, DocumentId, DocumentStatus, ItemRef, TenantId, UserSub};
use portal_shared::model::{Action, ActivityEvent, Actor, Document, UploaderKind};
use portal_shared::store::Store;
use portal_shared::visibility;
use portal_tests::{SETTLE, TenantFixture, assert_problem, registered_customer, tenant_fixture, unique};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// Every document id of the customer's listing (all pages, `limit` at a time).
async fn listed(customer: &ApiClient, query: &str, limit: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut path = format!("/portal/shares?limit={limit}{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = customer.get(&path).await?.expect(200)?;
        let items = page["items"].as_array().unwrap();
        anyhow::ensure!(items.len() <= limit, "a page of {} > {limit}", items.len());
        ids.extend(items.iter().map(|i| i["document"]["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(ids),
        }
    }
    anyhow::bail!("the listing did not end")
}

/// What the visibility rule shows the contact now, walking the table itself.
async fn truth(store: &Store, tenant: TenantId, contact: ContactId) -> anyhow::Result<BTreeSet<String>> {
    let visible = visibility::visible_documents(store, tenant, contact, time::OffsetDateTime::now_utc())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(visible.document_ids().into_iter().map(|id| id.to_string()).collect())
}

struct World {
    t: TenantFixture,
    customer: ApiClient,
    contact: String,
    documents: Vec<String>,
}

impl World {
    async fn new() -> anyhow::Result<Self> {
        let t = tenant_fixture().await?;
        let email = format!("{}@customer.example", unique("view"));
        let (customer, contact) = registered_customer(&t.member, &email).await?;
        Ok(Self { t, customer, contact, documents: Vec::new() })
    }

    fn contact_id(&self) -> ContactId {
        self.contact.parse().unwrap()
    }

    async fn folder(&self, name: &str, parent: Option<&str>) -> anyhow::Result<String> {
        let body = json!({ "name": name, "parentId": parent });
        Ok(self.t.member.post("/folders", body).await?.expect(201)?["id"].as_str().unwrap().to_owned())
    }

    async fn upload(&mut self, name: &str, folder: Option<&str>) -> anyhow::Result<String> {
        let doc = self.t.member.upload_into(folder, name, "text/plain", name.as_bytes()).await?;
        let id = doc["id"].as_str().unwrap().to_owned();
        self.t.member.wait_settled(&id, SETTLE).await?;
        self.documents.push(id.clone());
        Ok(id)
    }

    async fn share(&self, kind: &str, id: &str) -> anyhow::Result<()> {
        let body = json!({ "items": [{ "kind": kind, "id": id }], "contactIds": [self.contact] });
        self.t.member.post("/shares", body).await?.expect(200)?;
        Ok(())
    }

    async fn unshare(&self, id: &str) -> anyhow::Result<()> {
        self.t
            .member
            .send(Method::DELETE, &format!("/contacts/{}/shares/{id}", self.contact), None)
            .await?
            .expect(204)?;
        Ok(())
    }

    async fn patch(&self, path: &str, body: Value) -> anyhow::Result<()> {
        self.t.member.send(Method::PATCH, path, Some(body)).await?.expect(200)?;
        Ok(())
    }

    /// The listing equals the truth: at once for what is no longer visible (nothing listed
    /// beyond it), and within the stream's delay for the rest; every document not in the
    /// truth is refused for download.
    async fn converged(&self, step: &str) -> anyhow::Result<BTreeSet<String>> {
        let deadline = std::time::Instant::now() + SETTLE;
        let truth_now = || truth(&self.t.store, self.t.tenant.id, self.contact_id());
        loop {
            // A job may still be changing the truth (an organization's shares): what is listed
            // must have been visible at some instant of the listing, before or after it.
            let before = truth_now().await?;
            let shown: Vec<String> = listed(&self.customer, "", 100).await?;
            let expected = truth_now().await?;
            let shown_set: BTreeSet<String> = shown.iter().cloned().collect();
            assert_eq!(shown.len(), shown_set.len(), "{step}: a document listed twice");
            // Never more than the truth, at any moment.
            let visible: BTreeSet<String> = before.union(&expected).cloned().collect();
            assert!(shown_set.is_subset(&visible), "{step}: listed {shown_set:?} beyond {visible:?}");
            if shown_set == expected && before == expected {
                for id in self.documents.iter().filter(|id| !expected.contains(*id)) {
                    let path = format!("/portal/companies/{}/documents/{id}/download", self.t.tenant.id);
                    let answer = self.customer.get(&path).await?;
                    // Refused, unless it became visible meanwhile.
                    if answer.status != 403 && !truth_now().await?.contains(id) {
                        assert_problem(&answer, 403);
                    }
                }
                return Ok(expected);
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "{step}: {shown_set:?} never became {expected:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
#[ignore = "waits on the one local stream for each change: `cargo xtask test` runs this module after the rest, with the growth test, so the backlog of others' changes never counts against its waits"]
async fn the_listing_converges_to_the_truth_after_every_kind_of_change() -> anyhow::Result<()> {
    let mut w = World::new().await?;
    let clients = w.folder("Clients", None).await?;
    let tax = w.folder("Tax", Some(&clients)).await?;
    let elsewhere = w.folder("Elsewhere", None).await?;
    let loose = w.upload("Loose note.txt", None).await?;
    let in_tax = w.upload("Return.txt", Some(&tax)).await?;
    let outside = w.upload("Outside.txt", Some(&elsewhere)).await?;
    assert!(w.converged("nothing shared").await?.is_empty());

    w.share("folder", &clients).await?;
    w.share("document", &loose).await?;
    assert_eq!(w.converged("a folder and a document shared").await?.len(), 2);

    let deep = w.folder("2026", Some(&tax)).await?;
    let added = w.upload("Added later.txt", Some(&deep)).await?;
    assert!(w.converged("a folder and a document added below a shared folder").await?.contains(&added));

    w.patch(&format!("/documents/{outside}"), json!({ "folderId": deep })).await?;
    assert!(w.converged("a document moved into a shared folder").await?.contains(&outside));
    w.patch(&format!("/documents/{in_tax}"), json!({ "folderId": elsewhere })).await?;
    assert!(!w.converged("a document moved out").await?.contains(&in_tax));
    w.patch(&format!("/folders/{deep}"), json!({ "parentId": elsewhere })).await?;
    let after = w.converged("a folder moved out").await?;
    assert!(!after.contains(&added) && !after.contains(&outside));
    w.patch(&format!("/folders/{elsewhere}"), json!({ "parentId": clients })).await?;
    assert_eq!(w.converged("a folder moved into a shared folder").await?.len(), 4);
    w.patch(&format!("/documents/{added}"), json!({ "name": "Renamed été.txt" })).await?;
    w.converged("a rename").await?;
    portal_tests::shares_when(&w.customer, "/portal/shares?q=ETE", |page| {
        page["items"].as_array().is_some_and(|items| items.len() == 1 && items[0]["document"]["id"] == added.as_str())
    })
    .await?;

    w.unshare(&clients).await?;
    assert_eq!(w.converged("a folder unshared").await?.len(), 1);
    w.share("folder", &clients).await?;
    w.converged("shared again").await?;
    w.t.member.send(Method::DELETE, &format!("/documents/{loose}"), None).await?.expect(204)?;
    assert!(!w.converged("a delete").await?.contains(&loose));

    // Access closed: nothing at once; reopened: everything again.
    let contact = w.contact.clone();
    w.t.admin.send(Method::DELETE, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
    let closed = w.customer.get("/portal/shares").await?.expect(200)?;
    assert!(closed["items"].as_array().unwrap().is_empty(), "{closed}");
    w.t.admin.send(Method::POST, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
    assert_eq!(w.converged("access reopened").await?.len(), 3);

    // An organization's share: the contact joins (a job gives it the organization's shares),
    // then leaves (a job takes them away); the index follows each.
    let org = w.t.member.post("/organizations", json!({ "name": unique("org") })).await?.expect(201)?;
    let org_id = org["id"].as_str().unwrap().to_owned();
    let for_org = w.upload("For the organization.txt", None).await?;
    let body = json!({ "items": [{ "kind": "document", "id": for_org }], "organizationId": org_id });
    w.t.member.post("/shares", body).await?.expect(200)?;
    assert!(!w.converged("shared with an organization the contact is not in").await?.contains(&for_org));
    w.patch(&format!("/contacts/{contact}"), json!({ "organizationId": org_id })).await?;
    portal_tests::eventually(JOB_DONE, || async {
        Ok(w.converged("joined the organization").await?.contains(&for_org))
    })
    .await?;
    w.patch(&format!("/contacts/{contact}"), json!({ "organizationId": null })).await?;
    portal_tests::eventually(JOB_DONE, || async {
        Ok(!w.converged("left the organization").await?.contains(&for_org))
    })
    .await?;

    // An expiring share: shown, then hidden at its instant, with no change to the table.
    let brief = w.upload("Brief.txt", None).await?;
    let until = time::OffsetDateTime::now_utc() + time::Duration::seconds(8);
    let until_text = until.format(&time::format_description::well_known::Rfc3339)?;
    let body = json!({ "items": [{ "kind": "document", "id": brief }], "contactIds": [contact], "availableUntil": until_text });
    w.t.member.post("/shares", body).await?.expect(200)?;
    portal_tests::eventually(SETTLE, || async {
        Ok(time::OffsetDateTime::now_utc() >= until || w.converged("an expiring share").await?.contains(&brief))
    })
    .await?;
    while time::OffsetDateTime::now_utc() < until + time::Duration::seconds(1) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!w.converged("an expired share").await?.contains(&brief));

    // The contact deleted: the customer sees nothing, and the index is emptied.
    w.t.admin.send(Method::DELETE, &format!("/contacts/{contact}"), None).await?.expect(204)?;
    let store = w.t.store.clone();
    let (tenant, contact_id) = (w.t.tenant.id, w.contact_id());
    portal_tests::eventually(SETTLE, || {
        let store = store.clone();
        async move { Ok(store.view_entries_of_contact(tenant, contact_id).await?.is_empty()) }
    })
    .await?;
    Ok(())
}

/// How long a membership change's job may take to reach the index (a job's chunks, then
/// the stream), on a loaded machine.
const JOB_DONE: Duration = Duration::from_secs(120);

/// A stream batch (as Lambda gives it) of the current item at `sk`, as `event_name` with
/// `image` as its image (`None`: a REMOVE with the item as its old image).
fn record(sequence: u64, pk: &str, sk: &str, item: &serde_json::Map<String, Value>, insert: bool) -> Value {
    let image = json!(item);
    let mut change = json!({
        "Keys": { "PK": { "S": pk }, "SK": { "S": sk } },
        "SequenceNumber": sequence.to_string(),
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": 1_796_594_400.0,
    });
    change[if insert { "NewImage" } else { "OldImage" }] = image;
    json!({
        "eventID": format!("e-{sequence}"),
        "eventName": if insert { "INSERT" } else { "REMOVE" },
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "awsRegion": "us-east-1",
        "dynamodb": change,
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x",
    })
}

/// The item at (`pk`, `sk`) in DynamoDB's JSON (as a stream image carries it).
async fn item_json(store_table: &str, pk: &str, sk: &str) -> anyhow::Result<serde_json::Map<String, Value>> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&portal_tests::sdk().await);
    let output = dynamodb
        .get_item()
        .table_name(store_table)
        .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()))
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(sk.to_owned()))
        .consistent_read(true)
        .send()
        .await?;
    let item: serde_dynamo::Item = output.item.context_missing()?.into();
    Ok(serde_json::to_value(item)?.as_object().cloned().unwrap_or_default())
}

trait ContextMissing<T> {
    fn context_missing(self) -> anyhow::Result<T>;
}

impl<T> ContextMissing<T> for Option<T> {
    fn context_missing(self) -> anyhow::Result<T> {
        self.ok_or_else(|| anyhow::anyhow!("no such item"))
    }
}

/// Two documents shared with the customer, then one unshared (converged each time), with
/// both shares' items as the stream carried them: what a replay test redelivers.
struct KeptAndUnshared {
    w: World,
    kept: String,
    gone: String,
    pk: String,
    kept_share: serde_json::Map<String, Value>,
    gone_share: serde_json::Map<String, Value>,
    /// The unshared document's index entry, as it was while shared.
    gone_entry: portal_shared::view::ViewEntry,
}

impl KeptAndUnshared {
    async fn new() -> anyhow::Result<Self> {
        let mut w = World::new().await?;
        let kept = w.upload("Kept.txt", None).await?;
        let gone = w.upload("Unshared.txt", None).await?;
        w.share("document", &kept).await?;
        w.share("document", &gone).await?;
        assert_eq!(w.converged("shared").await?.len(), 2);
        let pk = format!("TENANT#{}", w.t.tenant.id);
        let table = &portal_tests::env().stack.table;
        let gone_share = item_json(table, &pk, &Self::sk_of(&w, &gone)).await?;
        let kept_share = item_json(table, &pk, &Self::sk_of(&w, &kept)).await?;
        let entries = w.t.store.view_entries_of_contact(w.t.tenant.id, w.contact_id()).await?;
        let gone_entry = entries.into_iter().find(|e| e.document_id.to_string() == gone).context_missing()?;
        w.unshare(&gone).await?;
        assert_eq!(w.converged("unshared").await?.len(), 1);
        Ok(Self { w, kept, gone, pk, kept_share, gone_share, gone_entry })
    }

    fn sk_of(w: &World, document: &str) -> String {
        format!("SHARE#{}#{document}", w.contact)
    }

    fn share_sk(&self, document: &str) -> String {
        Self::sk_of(&self.w, document)
    }

    /// The document ids of the contact's index entries, read from the table.
    async fn indexed(&self) -> anyhow::Result<Vec<String>> {
        let entries = self.w.t.store.view_entries_of_contact(self.w.t.tenant.id, self.w.contact_id()).await?;
        Ok(entries.iter().map(|e| e.document_id.to_string()).collect())
    }
}

#[tokio::test]
#[ignore = "waits on the one local stream for each change: `cargo xtask test` runs this module after the rest, with the growth test, so the backlog of others' changes never counts against its waits"]
async fn replayed_and_reordered_stream_records_converge_to_the_truth() -> anyhow::Result<()> {
    let s = KeptAndUnshared::new().await?;
    let (w, kept, gone, pk) = (&s.w, &s.kept, &s.gone, &s.pk);
    let stack = &portal_tests::env().stack;

    // The function itself, as Lambda invokes it, with old records delivered again and out
    // of order: the share's INSERT after its REMOVE, the kept share's REMOVE after its
    // INSERT (it still exists). Each pair is recomputed from the truth, so nothing changes.
    let sdk = portal_tests::sdk().await;
    let functions = local_gateway::Functions::new(&sdk, stack, "http://127.0.0.1")?;
    let batch = json!({ "Records": [
        record(1, pk, &s.share_sk(gone), &s.gone_share, false),
        record(2, pk, &s.share_sk(gone), &s.gone_share, true),
        record(3, pk, &s.share_sk(kept), &s.kept_share, true),
        record(4, pk, &s.share_sk(kept), &s.kept_share, false),
    ]});
    for _ in 0..2 {
        let answer = functions.invoke_queue("view-index", batch.clone()).await?.map_err(anyhow::Error::msg)?;
        assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
        assert_eq!(s.indexed().await?, [kept.clone()], "the replay resurrected or lost an entry");
        assert_eq!(w.converged("replayed").await?.len(), 1);
    }
    // A record that is not an item of its kind fails alone, by its sequence number.
    let mut broken = s.gone_share.clone();
    broken.insert("item".into(), json!({ "S": "not an item" }));
    let batch = json!({ "Records": [record(7, pk, &s.share_sk(gone), &broken, true)] });
    let answer = functions.invoke_queue("view-index", batch).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(answer["batchItemFailures"], json!([{ "itemIdentifier": "7" }]), "{answer}");
    Ok(())
}

#[tokio::test]
#[ignore = "waits on the one local stream for each change: `cargo xtask test` runs this module after the rest, with the growth test, so the backlog of others' changes never counts against its waits"]
async fn a_failing_table_leaves_the_index_behind_never_ahead_and_the_redelivery_converges() -> anyhow::Result<()> {
    let s = KeptAndUnshared::new().await?;
    let (w, kept, gone, pk) = (&s.w, &s.kept, &s.gone, &s.pk);
    let stack = &portal_tests::env().stack;
    let (tenant, contact) = (w.t.tenant.id, w.contact_id());
    let (kept_id, gone_id): (DocumentId, DocumentId) = (kept.parse()?, gone.parse()?);
    let stale = &s.gone_entry;
    let batch = json!({ "Records": [
        record(1, pk, &s.share_sk(gone), &s.gone_share, false),
        record(2, pk, &s.share_sk(kept), &s.kept_share, true),
    ]});

    // The view-index function with its table behind the fault proxy, failing after `pass`
    // requests, for every `pass` until a batch goes through: each time from the state two
    // missed records leave (the unshared document's entry still there, the shared one's gone).
    let proxy = xtask::aws_proxy::AwsProxy::start(&stack.endpoint).await?;
    let faulty_sdk = crate::faults::quick_retries(xtask::provision::sdk_config(&proxy.url()).await);
    let faulty = local_gateway::Functions::new(&faulty_sdk, stack, "http://127.0.0.1")?;
    let healthy = local_gateway::Functions::new(&portal_tests::sdk().await, stack, "http://127.0.0.1")?;
    let mut failed_at_least_once = false;
    for pass in 0..40 {
        w.t.store.write_view(tenant, contact, gone_id, Some(stale)).await?;
        w.t.store.write_view(tenant, contact, kept_id, None).await?;
        proxy.fail(Some("dynamodb"), pass, xtask::aws_proxy::Fault::Throttle);
        let answer = faulty.invoke_queue("view-index", batch.clone()).await?.map_err(anyhow::Error::msg)?;
        proxy.heal();
        // Never ahead of the truth: the stale entry is never listed nor downloadable.
        let shown: BTreeSet<String> = listed(&w.customer, "", 100).await?.into_iter().collect();
        assert!(!shown.contains(gone), "pass {pass}: an unshared document listed");
        let path = format!("/portal/companies/{tenant}/documents/{gone}/download");
        assert_problem(&w.customer.get(&path).await?, 403);
        let failures = answer["batchItemFailures"].as_array().cloned().unwrap_or_default();
        if failures.is_empty() {
            anyhow::ensure!(failed_at_least_once, "the first pass went through: the proxy failed nothing");
            break;
        }
        failed_at_least_once = true;
        // The event source delivers the batch again from the first record that failed.
        let from: u64 = failures[0]["itemIdentifier"].as_str().unwrap_or_default().parse()?;
        let records: Vec<Value> = batch["Records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().parse::<u64>().unwrap() >= from)
            .cloned()
            .collect();
        let again =
            healthy.invoke_queue("view-index", json!({ "Records": records })).await?.map_err(anyhow::Error::msg)?;
        assert_eq!(again["batchItemFailures"], json!([]), "pass {pass}: {again}");
        assert_eq!(s.indexed().await?, [kept.clone()], "pass {pass}: the redelivery did not converge (from {from})");
    }
    assert_eq!(s.indexed().await?, [kept.clone()], "the batch went through without converging");
    assert_eq!(w.converged("after the faults").await?.len(), 1);
    Ok(())
}

/// A document written directly as settled (the paging test needs hundreds; uploading each
/// through S3 would make the suite slow, and is covered elsewhere).
async fn settled_document(
    store: &Store,
    tenant: TenantId,
    folder: portal_shared::domain::FolderId,
    staff: &UserSub,
    name: &str,
    size: u64,
) -> anyhow::Result<DocumentId> {
    let mut document = Document::pending(
        tenant,
        name.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?,
        "text/plain".parse().map_err(|e| anyhow::anyhow!("{e:?}"))?,
        size,
        staff.clone(),
        UploaderKind::Staff,
    );
    document.folder_id = Some(folder);
    let now = time::OffsetDateTime::now_utc();
    store.create_document(&document, now + time::Duration::days(1)).await?;
    let actor = Actor { kind: UploaderKind::Staff, sub: staff.clone(), email: None };
    let settled = store
        .settle_document(&document, Ok(()), None, now, |d| {
            ActivityEvent::new(Action::DocumentUploaded, actor.clone(), now)
                .item(ItemRef::Document(d.id), d.name.as_str())
        })
        .await?;
    anyhow::ensure!(
        matches!(settled, portal_shared::store::Transition::Applied(ref d) if d.status == DocumentStatus::Available)
    );
    Ok(document.id)
}

#[tokio::test]
#[ignore = "waits on the one local stream for each change: `cargo xtask test` runs this module after the rest, with the growth test, so the backlog of others' changes never counts against its waits"]
async fn paging_with_a_small_limit_returns_every_entry_once_in_order_for_every_sort() -> anyhow::Result<()> {
    let w = World::new().await?;
    let folder = w.folder("Many", None).await?;
    let folder_id = folder.parse()?;
    let staff: UserSub = w.t.member_account.member.sub.clone();
    let words = ["invoice", "Été", "report", "photo", "contract"];
    let count = 60;
    let mut expected = Vec::new();
    for i in 0..count {
        let name = format!("{} {:03}.txt", words[i % words.len()], (i * 37) % count);
        let size = ((i * 7919) % 1000) as u64;
        let id = settled_document(&w.t.store, w.t.tenant.id, folder_id, &staff, &name, size).await?;
        expected.push((id.to_string(), name, size));
    }
    w.share("folder", &folder).await?;
    let all: BTreeSet<String> = expected.iter().map(|(id, ..)| id.clone()).collect();
    portal_tests::eventually(SETTLE, || async { Ok(listed(&w.customer, "", 100).await?.len() == count) }).await?;
    let by_id = |id: &str| expected.iter().find(|(e, ..)| e == id).unwrap().clone();
    for (query, key) in [
        ("", "date desc"),
        ("&order=asc", "date asc"),
        ("&sort=name", "name asc"),
        ("&sort=name&order=desc", "name desc"),
        ("&sort=size", "size asc"),
        ("&sort=size&order=desc", "size desc"),
    ] {
        let ids = listed(&w.customer, query, 7).await?;
        assert_eq!(ids.len(), count, "{key}: {} listed", ids.len());
        assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), all, "{key}: not each once");
        let sort_keys: Vec<String> = ids
            .iter()
            .map(|id| {
                let (id, name, size) = by_id(id);
                match key.split(' ').next().unwrap() {
                    "name" => format!("{}#{id}", portal_shared::view::name_key(&name)),
                    "size" => format!("{size:020}#{id}"),
                    _ => String::new(),
                }
            })
            .collect();
        if !key.starts_with("date") {
            let mut sorted = sort_keys.clone();
            sorted.sort();
            if key.ends_with("desc") {
                sorted.reverse();
            }
            assert_eq!(sort_keys, sorted, "{key}: out of order");
        }
    }
    // A search pages too: every name with a word starting "inv" (accent- and case-blind
    // for "ETE"), each once.
    for (q, word) in [("inv", "invoice"), ("ETE", "Été")] {
        let ids = listed(&w.customer, &format!("&q={q}"), 7).await?;
        let wanted: BTreeSet<String> =
            expected.iter().filter(|(_, name, _)| name.starts_with(word)).map(|(id, ..)| id.clone()).collect();
        assert_eq!(ids.len(), wanted.len(), "{q}: each once");
        assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), wanted, "{q}");
    }
    Ok(())
}

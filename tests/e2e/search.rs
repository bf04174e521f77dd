//! Staff search on the server (`GET /contacts?q=`, `GET /documents?q=&folderId=`): word
//! prefixes of names, emails and organizations, case- and accent-insensitive, several
//! words; paging through the results with a small limit returns each once; renames, edits,
//! moves and deletes show at once; nothing of another tenant is ever found; bad queries,
//! folders and cursors are refused.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use portal_tests::{TenantFixture, assert_problem, base64url, ids, registered_customer, tenant_fixture, unique};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::client::ApiClient;

fn encode(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// The ids of every page of `path` (which has its `?`), following `nextCursor` with `limit`.
async fn all_pages(client: &ApiClient, path: &str, limit: usize) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let page = client.get(&format!("{path}&limit={limit}{cursor}")).await?.expect(200)?;
        let items = ids(&page);
        anyhow::ensure!(items.len() <= limit, "a page of {} items for limit {limit}: {page}", items.len());
        found.extend(items);
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return Ok(found),
        }
    }
    anyhow::bail!("{path}: more than 100 pages")
}

async fn contacts_found(client: &ApiClient, q: &str) -> Result<BTreeSet<String>> {
    Ok(all_pages(client, &format!("/contacts?q={}", encode(q)), 100).await?.into_iter().collect())
}

async fn documents_found(client: &ApiClient, q: &str, folder: Option<&str>) -> Result<BTreeSet<String>> {
    let folder = folder.map(|f| format!("&folderId={f}")).unwrap_or_default();
    Ok(all_pages(client, &format!("/documents?q={}{folder}", encode(q)), 100).await?.into_iter().collect())
}

async fn contact(t: &TenantFixture, name: &str, email: &str, organization: Option<&str>) -> Result<String> {
    let mut body = json!({ "name": name, "email": email });
    if let Some(organization) = organization {
        body["organizationId"] = json!(organization);
    }
    let contact = t.member.post("/contacts", body).await?.expect(201)?;
    Ok(contact["id"].as_str().context("contact id")?.to_owned())
}

/// A document record (its upload URL handed out: pending, and searchable from then on).
async fn document(t: &TenantFixture, name: &str, folder: Option<&str>) -> Result<String> {
    let mut body = json!({ "fileName": name, "contentType": "application/pdf", "size": 3 });
    if let Some(folder) = folder {
        body["folderId"] = json!(folder);
    }
    let ticket = t.member.post("/uploads", body).await?.expect(201)?;
    Ok(ticket["document"]["id"].as_str().context("document id")?.to_owned())
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

#[tokio::test]
async fn contacts_are_found_by_words_of_their_name_email_and_organization() -> Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let organization = t.member.post("/organizations", json!({ "name": "Société Générale Logistique" })).await?;
    let organization = organization.expect(201)?["id"].as_str().context("organization id")?.to_owned();
    let eleonore = contact(&t, "Éléonore Dupont", "eleonore.dupont@alpha-conseil.example", Some(&organization)).await?;
    let marc = contact(&t, "Marc Durand", "marc@beta.example", None).await?;
    let anna = contact(&t, "Anna Annabelle Anton", "anna@annex.example", None).await?;
    // Another tenant's look-alike is never found by this one, nor this one's by it.
    let stranger = contact(&other, "Éléonore Dupont", "eleonore@alpha-conseil.example", None).await?;

    let viewer = &t.viewer;
    assert_eq!(contacts_found(viewer, "ele").await?, set(&[&eleonore]));
    assert_eq!(contacts_found(viewer, "ÉLÉONORE").await?, set(&[&eleonore]), "case and accents");
    assert_eq!(contacts_found(viewer, "dup").await?, set(&[&eleonore]));
    assert_eq!(contacts_found(viewer, "alpha").await?, set(&[&eleonore]), "the email's domain");
    assert_eq!(contacts_found(viewer, "eleonore.dupont@alpha").await?, set(&[&eleonore]), "an email typed as is");
    assert_eq!(contacts_found(viewer, "societe").await?, set(&[&eleonore]), "the organization's name");
    assert_eq!(contacts_found(viewer, "gén   dup").await?, set(&[&eleonore]), "words of two fields");
    assert!(contacts_found(viewer, "gen durand").await?.is_empty(), "every word must match");
    assert!(contacts_found(viewer, "pont").await?.is_empty(), "the beginning of a word, not its middle");
    assert_eq!(contacts_found(viewer, "durand").await?, set(&[&marc]));
    // Anna matches "an" by four words (anna, annabelle, anton, annex): found once.
    let page = viewer.get("/contacts?q=an&limit=100").await?.expect(200)?;
    assert_eq!(ids(&page), vec![anna.clone()], "{page}");
    assert_eq!(page["items"][0]["name"], "Anna Annabelle Anton", "the contact itself: {page}");

    let found = contacts_found(&other.admin, "ele").await?;
    assert_eq!(found, set(&[&stranger]), "the other tenant finds only its own");
    assert!(contacts_found(&other.admin, "societe").await?.is_empty());

    // Edits: a new name and email, another organization; the organization renamed.
    t.member
        .send(
            Method::PATCH,
            &format!("/contacts/{marc}"),
            Some(json!({ "name": "Marcel Blanc", "email": "mb@gamma.example" })),
        )
        .await?
        .expect(200)?;
    assert!(contacts_found(viewer, "durand").await?.is_empty());
    assert!(contacts_found(viewer, "beta").await?.is_empty());
    assert_eq!(contacts_found(viewer, "blanc gamma").await?, set(&[&marc]));
    t.member
        .send(Method::PATCH, &format!("/contacts/{marc}"), Some(json!({ "organizationId": organization })))
        .await?
        .expect(200)?;
    assert_eq!(contacts_found(viewer, "logistique").await?, set(&[&eleonore, &marc]));
    t.member
        .send(Method::PATCH, &format!("/organizations/{organization}"), Some(json!({ "name": "Nouvelle Enseigne" })))
        .await?
        .expect(200)?;
    assert!(contacts_found(viewer, "logistique").await?.is_empty(), "the old name finds nobody");
    assert_eq!(contacts_found(viewer, "enseigne").await?, set(&[&eleonore, &marc]));
    t.member
        .send(Method::PATCH, &format!("/contacts/{marc}"), Some(json!({ "organizationId": null })))
        .await?
        .expect(200)?;
    assert_eq!(contacts_found(viewer, "nouvelle").await?, set(&[&eleonore]));

    t.member.send(Method::DELETE, &format!("/contacts/{eleonore}"), None).await?.expect(204)?;
    assert!(contacts_found(viewer, "ele").await?.is_empty(), "a deleted contact is not found");
    assert_eq!(contacts_found(&other.admin, "ele").await?, set(&[&stranger]));
    Ok(())
}

#[tokio::test]
async fn search_results_page_with_the_servers_cursor_each_once() -> Result<()> {
    let t = tenant_fixture().await?;
    let word = unique("pager").replace('-', "");
    let mut made = BTreeSet::new();
    for n in 0..7 {
        // Two matching words each ("{word}" and "{word}x"): still one result per contact.
        let id = contact(&t, &format!("{word} {word}x Number{n}"), &format!("p{n}@{word}.example"), None).await?;
        made.insert(id);
    }
    contact(&t, "Somebody Else", "else@elsewhere.example", None).await?;
    for limit in [1, 2, 3] {
        let found = all_pages(&t.viewer, &format!("/contacts?q={word}"), limit).await?;
        let distinct: BTreeSet<String> = found.iter().cloned().collect();
        assert_eq!(found.len(), distinct.len(), "limit {limit}: a contact twice: {found:?}");
        assert_eq!(distinct, made, "limit {limit}");
    }
    // A multi-word query pages the same way (the other word is checked on each entry).
    let found = all_pages(&t.viewer, &format!("/contacts?q=number {word}"), 2).await?;
    assert_eq!(found.iter().cloned().collect::<BTreeSet<_>>(), made);
    assert_eq!(found.len(), made.len());

    // Without q, the listing is the same as ever: every contact, newest first.
    let listed = all_pages(&t.viewer, "/contacts?", 3).await?;
    assert_eq!(listed.len(), 8);
    let mut newest_first = listed.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(listed, newest_first);
    Ok(())
}

#[tokio::test]
async fn documents_are_found_in_a_folder_or_the_whole_drive() -> Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let clients = t.member.post("/folders", json!({ "name": "Clients" })).await?.expect(201)?;
    let clients = clients["id"].as_str().context("folder id")?.to_owned();
    let archive = t.member.post("/folders", json!({ "name": "Archive" })).await?.expect(201)?;
    let archive = archive["id"].as_str().context("folder id")?.to_owned();
    let summer = document(&t, "Facture été 2024.pdf", Some(&clients)).await?;
    let winter = document(&t, "facture-HIVER.pdf", None).await?;
    let contract = document(&t, "Contrat cadre.pdf", Some(&clients)).await?;
    let stranger = document(&other, "Facture été 2024.pdf", None).await?;
    // A customer's submission is a document too: found anywhere, never in a drive folder.
    let (customer, _) = registered_customer(&t.member, &format!("{}@customer.example", unique("search"))).await?;
    let submitted = customer
        .post(
            &format!("/portal/companies/{}/uploads", t.tenant.id),
            json!({ "fileName": "Facture client.pdf", "contentType": "application/pdf", "size": 3 }),
        )
        .await?
        .expect(201)?;
    let submitted = submitted["document"]["id"].as_str().context("submission id")?.to_owned();

    let viewer = &t.viewer;
    assert_eq!(documents_found(viewer, "facture", None).await?, set(&[&summer, &winter, &submitted]));
    assert_eq!(documents_found(viewer, "FACT", Some(&clients)).await?, set(&[&summer]));
    assert_eq!(documents_found(viewer, "facture", Some("root")).await?, set(&[&winter]));
    assert!(documents_found(viewer, "facture", Some(&archive)).await?.is_empty());
    assert_eq!(documents_found(viewer, "ete", None).await?, set(&[&summer]), "accents");
    assert_eq!(documents_found(viewer, "2024 fac", None).await?, set(&[&summer]));
    assert_eq!(documents_found(viewer, "pdf", Some(&clients)).await?, set(&[&summer, &contract]));
    assert_eq!(documents_found(&other.admin, "facture", None).await?, set(&[&stranger]));
    let page = viewer.get("/documents?q=hiver").await?.expect(200)?;
    assert_eq!(page["items"][0]["name"], "facture-HIVER.pdf", "the document itself: {page}");

    // Paging with a small limit, in a folder: each once.
    for n in 0..4 {
        document(&t, &format!("Relevé {n}.pdf"), Some(&archive)).await?;
    }
    let found = all_pages(viewer, &format!("/documents?q=releve&folderId={archive}"), 1).await?;
    assert_eq!(found.iter().collect::<BTreeSet<_>>().len(), 4, "{found:?}");
    assert_eq!(found.len(), 4);

    // Rename, move, delete: reflected at once.
    t.member
        .send(Method::PATCH, &format!("/documents/{summer}"), Some(json!({ "name": "Devis printemps.pdf" })))
        .await?
        .expect(200)?;
    assert!(documents_found(viewer, "ete", None).await?.is_empty());
    assert_eq!(documents_found(viewer, "devis", Some(&clients)).await?, set(&[&summer]));
    t.member
        .send(Method::PATCH, &format!("/documents/{summer}"), Some(json!({ "folderId": archive })))
        .await?
        .expect(200)?;
    assert!(documents_found(viewer, "devis", Some(&clients)).await?.is_empty());
    assert_eq!(documents_found(viewer, "devis", Some(&archive)).await?, set(&[&summer]));
    t.member.send(Method::DELETE, &format!("/documents/{winter}"), None).await?.expect(204)?;
    assert_eq!(documents_found(viewer, "facture", None).await?, set(&[&submitted]));
    Ok(())
}

#[tokio::test]
async fn bad_queries_folders_and_cursors_are_refused() -> Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    for n in 0..3 {
        contact(&t, &format!("Refusal Person{n}"), &format!("r{n}@refusal.example"), None).await?;
        document(&t, &format!("Refusal {n}.pdf"), None).await?;
    }
    let long = "a".repeat(101);
    for path in [
        format!("/contacts?q={long}"),
        "/contacts?q=%40%40%20--".to_owned(),
        "/contacts?q=a+b+c+d+e+f".to_owned(),
        "/contacts?q=a%07b".to_owned(),
        "/contacts?q=refusal&limit=0".to_owned(),
        format!("/documents?q={long}"),
        "/documents?folderId=root".to_owned(),
        "/documents?q=refusal&folderId=nope".to_owned(),
        "/documents?q=refusal&folderId=ROOT".to_owned(),
    ] {
        let response = t.viewer.get(&path).await?;
        assert_problem(&response, 422);
        assert!(response.json["detail"].as_str().unwrap_or_default().contains(':'), "{path}: {}", response.json);
    }
    // Another tenant's folder, or none: 404.
    let folder = other.admin.post("/folders", json!({ "name": "Theirs" })).await?.expect(201)?;
    let path = format!("/documents?q=refusal&folderId={}", folder["id"].as_str().unwrap());
    assert_problem(&t.viewer.get(&path).await?, 404);

    // Cursors: a search's cursor works only for the same term's search of the same kind
    // in the caller's tenant.
    let first = t.viewer.get("/contacts?q=refusal&limit=1").await?.expect(200)?;
    let cursor = first["nextCursor"].as_str().context("a next page")?.to_owned();
    t.viewer.get(&format!("/contacts?q=refusal&limit=1&cursor={cursor}")).await?.expect(200)?;
    t.viewer.get(&format!("/contacts?q=refusal+person&limit=1&cursor={cursor}")).await?.expect(200)?;
    for path in [
        format!("/contacts?q=other&cursor={cursor}"),
        format!("/contacts?cursor={cursor}"),
        format!("/documents?q=refusal&cursor={cursor}"),
    ] {
        assert_problem(&t.viewer.get(&path).await?, 400);
    }
    assert_problem(&other.admin.get(&format!("/contacts?q=refusal&cursor={cursor}")).await?, 400);
    let listing = t.viewer.get("/contacts?limit=1").await?.expect(200)?;
    let listed = listing["nextCursor"].as_str().context("a next page")?;
    assert_problem(&t.viewer.get(&format!("/contacts?q=refusal&cursor={listed}")).await?, 400);
    // The cursor's keys moved to the other tenant: refused, nothing of theirs shown.
    let keys: Value = serde_json::from_slice(&base64_decode(&cursor)?)?;
    let moved = keys.to_string().replace(&t.tenant.id.to_string(), &other.tenant.id.to_string());
    let response = t.viewer.get(&format!("/contacts?q=refusal&cursor={}", base64url(moved.as_bytes()))).await?;
    assert_problem(&response, 400);
    Ok(())
}

fn base64_decode(text: &str) -> Result<Vec<u8>> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text)?)
}

/// Removes every search entry of `tenant` straight from the table: what the items of a
/// company made before search existed look like.
async fn forget_search_entries(tenant: &str) -> Result<usize> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = aws_sdk_dynamodb::Client::new(&portal_tests::sdk().await);
    let table = &portal_tests::env().stack.table;
    let found = client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk AND begins_with(SK, :find)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("TENANT#{tenant}")))
        .expression_attribute_values(":find", AttributeValue::S("FIND#".into()))
        .send()
        .await?;
    let items = found.items.unwrap_or_default();
    for item in &items {
        client
            .delete_item()
            .table_name(table)
            .key("PK", item["PK"].clone())
            .key("SK", item["SK"].clone())
            .send()
            .await?;
    }
    Ok(items.len())
}

#[tokio::test]
async fn the_backfill_writes_the_entries_of_items_made_before_search() -> Result<()> {
    let t = tenant_fixture().await?;
    let organization = t.member.post("/organizations", json!({ "name": "Backfill Partners" })).await?.expect(201)?;
    let organization = organization["id"].as_str().context("organization id")?.to_owned();
    let person = contact(&t, "Zoé Backfill", "zoe@old.example", Some(&organization)).await?;
    let paper = document(&t, "Ancien relevé.pdf", None).await?;
    assert!(forget_search_entries(&t.tenant.id.to_string()).await? > 0);
    assert!(contacts_found(&t.viewer, "zoe").await?.is_empty());
    assert!(documents_found(&t.viewer, "ancien", None).await?.is_empty());

    let line = format!("reindex {} --endpoint {}", t.tenant.slug, portal_tests::env().stack.endpoint);
    let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    for _ in 0..2 {
        // Twice: the same entries again (idempotent), each item found once.
        xtask::tenant::run(xtask::tenant::args::parse(&words)?).await?;
        assert_eq!(contacts_found(&t.viewer, "zoe partners").await?, set(&[&person]));
        assert_eq!(documents_found(&t.viewer, "releve ancien", None).await?, set(&[&paper]));
        let page = t.viewer.get("/contacts?q=backfill&limit=10").await?.expect(200)?;
        assert_eq!(ids(&page), vec![person.clone()], "{page}");
    }
    Ok(())
}

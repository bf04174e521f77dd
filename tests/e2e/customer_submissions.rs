//! The customer's own submissions as one paged list across companies (`GET
//! /portal/submissions`): paging through both companies returns every submission exactly
//! once, newest first; `company=` pages one company; bad limits and cursors are refused;
//! another customer's cursor shows nothing of theirs.

use std::collections::BTreeSet;

use anyhow::{Context, Result, ensure};
use portal_shared::domain::{ContactId, DocumentId};
use portal_shared::pagination::Cursor;
use portal_shared::pagination::merge::MergeCursor;
use portal_tests::{
    CUSTOMER_PASSWORD, TenantFixture, anonymous, assert_problem, base64url, ids, invitation_token, registered_customer,
    tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::json;
use xtask::client::ApiClient;

/// Links the account of `email` (registered elsewhere) to a new contact at `t`: the
/// invitation's token and the account's password, as a customer does it.
async fn link_company(t: &TenantFixture, email: &str) -> Result<String> {
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Same person" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().context("contact id")?.to_owned();
    t.member.send(Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    let token = invitation_token(email).await?;
    let linked = anonymous()
        .post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD }))
        .await?
        .expect(200)?;
    ensure!(linked["status"] == "active", "not linked: {linked}");
    Ok(contact_id)
}

/// A submission record (the upload URL handed out: listed from then on, as `pending`).
async fn submit(customer: &ApiClient, t: &TenantFixture, name: &str) -> Result<String> {
    let ticket = customer
        .post(
            &format!("/portal/companies/{}/uploads", t.tenant.id),
            json!({ "fileName": name, "contentType": "text/plain", "size": 3 }),
        )
        .await?
        .expect(201)?;
    Ok(ticket["document"]["id"].as_str().context("document id")?.to_owned())
}

/// Every page of `path` (which has its `?`), following `nextCursor`: the ids of each page.
async fn pages(customer: &ApiClient, path: &str, limit: usize) -> Result<Vec<Vec<String>>> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = customer.get(&format!("{path}&limit={limit}&cursor={cursor}")).await?.expect(200)?;
        let items = ids(&page);
        ensure!(items.len() <= limit, "a page of {} items with limit {limit}: {page}", items.len());
        pages.push(items);
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return Ok(pages),
        }
        ensure!(pages.len() <= 50, "paging does not end");
    }
}

#[tokio::test]
async fn paging_across_two_companies_returns_every_submission_once_newest_first() -> Result<()> {
    let first = tenant_fixture().await?;
    let second = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("paged"));
    let (customer, _) = registered_customer(&first.member, &email).await?;
    link_company(&second, &email).await?;

    // Interleaved, with runs at one company, so pages take from both and from one alone.
    let mut made = Vec::new();
    for (i, t) in [&first, &second, &first, &first, &second, &second, &second, &first, &second].into_iter().enumerate()
    {
        made.push((t.tenant.id, submit(&customer, t, &format!("Sent {i}.txt")).await?));
    }
    let newest_first: Vec<String> = made.iter().rev().map(|(_, id)| id.clone()).collect();
    let mut by_id = newest_first.clone();
    by_id.sort_by(|a, b| b.cmp(a));
    assert_eq!(by_id, newest_first, "document ids (UUIDv7) sort by creation");

    // One page by default (9 < 50), then every page size: each submission once, in order.
    let all = customer.get("/portal/submissions").await?.expect(200)?;
    assert_eq!(ids(&all), newest_first, "{all}");
    assert!(all.get("nextCursor").is_none(), "{all}");
    assert!(all["items"].as_array().unwrap().iter().all(|d| d["uploaderKind"] == "customer" && d["name"].is_string()));
    for limit in [1, 2, 4, 9] {
        let pages = pages(&customer, "/portal/submissions?", limit).await?;
        assert_eq!(pages.concat(), newest_first, "limit {limit}: {pages:?}");
        // Full pages until the end (the last may be short, or empty after an exact fit).
        let full = pages.len() - 1;
        assert!(pages[..full].iter().all(|p| p.len() == limit), "limit {limit}: {pages:?}");
        assert!(pages.len() <= newest_first.len().div_ceil(limit) + 1, "limit {limit}: {pages:?}");
    }

    // One company, paged: only its submissions, newest first.
    for t in [&first, &second] {
        let own: Vec<String> =
            made.iter().rev().filter(|(tenant, _)| *tenant == t.tenant.id).map(|(_, id)| id.clone()).collect();
        let pages = pages(&customer, &format!("/portal/submissions?company={}", t.tenant.id), 2).await?;
        assert_eq!(pages.concat(), own, "{pages:?}");
    }
    // A company the customer has no access to lists nothing.
    let stranger = tenant_fixture().await?;
    let none = customer.get(&format!("/portal/submissions?company={}", stranger.tenant.id)).await?.expect(200)?;
    assert!(ids(&none).is_empty() && none.get("nextCursor").is_none(), "{none}");

    // A withdrawn submission between pages: the rest still come once each.
    let page = customer.get("/portal/submissions?limit=4").await?.expect(200)?;
    let cursor = page["nextCursor"].as_str().context("a next page")?.to_owned();
    let (tenant, gone) = made[2].clone();
    customer
        .send(Method::DELETE, &format!("/portal/companies/{tenant}/submissions/{gone}"), None)
        .await?
        .expect(204)?;
    let rest = customer.get(&format!("/portal/submissions?limit=50&cursor={cursor}")).await?.expect(200)?;
    let expected: Vec<String> = newest_first[4..].iter().filter(|id| **id != gone).cloned().collect();
    assert_eq!(ids(&rest), expected);
    Ok(())
}

#[tokio::test]
async fn bad_submission_limits_and_cursors_are_refused() -> Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("badpage"));
    let (customer, contact) = registered_customer(&t.member, &email).await?;
    submit(&customer, &t, "One.txt").await?;

    for limit in ["0", "101", "-1", "ten", "1.5"] {
        assert_problem(&customer.get(&format!("/portal/submissions?limit={limit}")).await?, 422);
    }
    assert_problem(&customer.get("/portal/submissions?company=acme").await?, 422);
    // A staff listing's cursor (table keys, even of this customer's own partition), garbage,
    // a cursor without its position or with a field it does not have, too long, too many.
    let staff_cursor = Cursor(
        [
            ("GSI1PK".to_owned(), format!("TENANT#{}#SUBMITTED#{contact}", t.tenant.id)),
            ("GSI1SK".to_owned(), format!("DOC#{}", DocumentId::new())),
            ("PK".to_owned(), format!("TENANT#{}", t.tenant.id)),
            ("SK".to_owned(), format!("DOC#{}", DocumentId::new())),
        ]
        .into(),
    )
    .encode();
    let encode = |json: serde_json::Value| base64url(json.to_string().as_bytes());
    let after = DocumentId::new().to_string();
    let too_many: Vec<String> = (0..51).map(|_| ContactId::new().to_string()).collect();
    for cursor in [
        staff_cursor,
        "!!!!".to_owned(),
        "bm90IGpzb24".to_owned(),
        "e30".to_owned(),
        encode(json!({ "after": "not-an-id" })),
        encode(json!({ "after": after, "PK": format!("TENANT#{}", t.tenant.id) })),
        encode(json!({ "after": after, "done": [contact, "nope"] })),
        encode(json!({ "after": after, "done": too_many })),
        "A".repeat(5000),
    ] {
        let response = customer.get(&format!("/portal/submissions?cursor={cursor}")).await?;
        assert_problem(&response, 400);
    }
    // An empty cursor is the first page.
    assert_eq!(ids(&customer.get("/portal/submissions?cursor=").await?.expect(200)?).len(), 1);
    Ok(())
}

#[tokio::test]
async fn another_customers_submissions_cursor_reveals_nothing_of_theirs() -> Result<()> {
    // A at two companies; B at the first of them (another contact of the same tenant).
    let first = tenant_fixture().await?;
    let second = tenant_fixture().await?;
    let a_email = format!("{}@customer.example", unique("ca"));
    let (a, a_contact) = registered_customer(&first.member, &a_email).await?;
    let a_second_contact = link_company(&second, &a_email).await?;
    let (b, b_contact) = registered_customer(&first.member, &format!("{}@customer.example", unique("cb"))).await?;

    let b_old = submit(&b, &first, "B old.txt").await?;
    let mut a_ids = BTreeSet::new();
    for (t, name) in [(&first, "A 1.txt"), (&second, "A 2.txt"), (&first, "A 3.txt")] {
        a_ids.insert(submit(&a, t, name).await?);
    }
    let b_new = submit(&b, &first, "B new.txt").await?;
    let a_newest = submit(&a, &second, "A 4.txt").await?;
    a_ids.insert(a_newest.clone());

    // A's cursor after one page (A's newest), and one that says A's companies are done.
    let page = a.get("/portal/submissions?limit=1").await?.expect(200)?;
    assert_eq!(ids(&page), std::slice::from_ref(&a_newest));
    let a_cursor = page["nextCursor"].as_str().context("A has more")?.to_owned();
    let mut crafted: MergeCursor<ContactId, DocumentId> = MergeCursor::decode(&a_cursor)?;
    crafted.done = BTreeSet::from([a_contact.parse::<ContactId>()?, a_second_contact.parse()?]);
    let a_done = crafted.encode();
    // Positioned on A's oldest document.
    let oldest_of_a: DocumentId = a_ids.iter().next().context("A's ids")?.parse()?;
    let a_oldest = MergeCursor::<ContactId, DocumentId> { after: oldest_of_a, done: BTreeSet::new() }.encode();

    for cursor in [&a_cursor, &a_done, &a_oldest] {
        let response = b.get(&format!("/portal/submissions?limit=50&cursor={cursor}")).await?;
        assert!(matches!(response.status, 200 | 400), "{}", response.json);
        let shown: BTreeSet<String> = ids(&response.json).into_iter().collect();
        assert!(shown.is_disjoint(&a_ids), "B saw A's submissions: {}", response.json);
        assert!(shown.is_subset(&BTreeSet::from([b_old.clone(), b_new.clone()])), "{}", response.json);
        assert!(!response.json.to_string().contains("A "), "{}", response.json);
    }
    // The position applies inside B's own partition only: B's submissions older than it.
    let from_a = b.get(&format!("/portal/submissions?cursor={a_oldest}")).await?.expect(200)?;
    assert_eq!(ids(&from_a), std::slice::from_ref(&b_old));
    // B's own done set names B's contact: B's list is then empty, A's is untouched.
    let mut b_done: MergeCursor<ContactId, DocumentId> = MergeCursor::decode(&a_cursor)?;
    b_done.done = BTreeSet::from([b_contact.parse::<ContactId>()?]);
    assert!(ids(&b.get(&format!("/portal/submissions?cursor={}", b_done.encode())).await?.expect(200)?).is_empty());
    let rest = a.get(&format!("/portal/submissions?cursor={}", b_done.encode())).await?.expect(200)?;
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(3), "{rest}");
    Ok(())
}

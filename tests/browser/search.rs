//! The dashboard searches on the server: typing in the contacts' and the drive's search
//! boxes sends `GET /contacts?q=` and `GET /documents?q=` (after a pause in typing), and
//! lists what the server found; no page beyond the first is fetched.

use anyhow::{Context, Result, ensure};
use portal_tests::{PASSWORD, tenant_fixture};
use serde_json::{Value, json};

use crate::support::Browser;

async fn js(b: &Browser, script: &str) -> Result<Value> {
    Ok(b.client.execute(script, Vec::new()).await?)
}

/// Every URL the page asks the API for from now on (the dashboard's client uses `fetch`).
const RECORD_REQUESTS: &str = "window.__requests = []; const f = window.fetch.bind(window); \
    window.fetch = (input, init) => { window.__requests.push(String(input && input.url ? input.url : input)); return f(input, init); };";

async fn requests(b: &Browser) -> Result<Vec<String>> {
    let seen = js(b, "return window.__requests").await?;
    Ok(seen.as_array().context("requests")?.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
}

#[tokio::test]
async fn the_dashboard_searches_contacts_and_the_drive_on_the_server() -> Result<()> {
    let t = tenant_fixture().await?;
    let organization = t.admin.post("/organizations", json!({ "name": "Zéphyr Logistique" })).await?.expect(201)?;
    let person = json!({ "name": "Éléonore Searchable", "email": "eleonore@search.example", "organizationId": organization["id"] });
    t.admin.post("/contacts", person).await?.expect(201)?;
    for n in 0..3 {
        let other = json!({ "name": format!("Other Person{n}"), "email": format!("other{n}@search.example") });
        t.admin.post("/contacts", other).await?.expect(201)?;
    }
    let folder = t.admin.post("/folders", json!({ "name": "Clients" })).await?.expect(201)?;
    let upload = |name: &str, folder: Option<&Value>| {
        let mut body = json!({ "fileName": name, "contentType": "application/pdf", "size": 3 });
        if let Some(folder) = folder {
            body["folderId"] = folder["id"].clone();
        }
        body
    };
    t.admin.post("/uploads", upload("Facture été.pdf", Some(&folder))).await?.expect(201)?;
    t.admin.post("/uploads", upload("Root notes.pdf", None)).await?.expect(201)?;

    let b = Browser::open("staff-search").await?;
    b.goto("/").await?;
    b.fill("#login-email", &format!("admin@{}.example", t.tenant.slug)).await?;
    b.fill("#login-password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_text("#contacts-table tbody th", "Other Person0").await?;
    js(&b, RECORD_REQUESTS).await?;

    // Contacts: the organization's name (accents typed or not) finds its member.
    b.fill("#contact-search", "zephyr").await?;
    b.wait_text("#contact-search-note", "1 matching contact shown").await?;
    b.wait_text("#contacts-table tbody th", "Éléonore Searchable").await?;
    let rows = js(&b, "return document.querySelectorAll('#contacts-table tbody tr:not([hidden])').length").await?;
    ensure!(rows == 1, "only the match is listed: {rows}");
    b.screenshot("contacts").await?;
    let sent = requests(&b).await?;
    ensure!(sent.iter().any(|u| u.contains("/contacts?q=zephyr&limit=50")), "a server search: {sent:?}");
    ensure!(!sent.iter().any(|u| u.contains("cursor=")), "no page beyond the first: {sent:?}");
    // Typing waits for a pause: every request sent is a search, never the list's next page.
    ensure!(sent.iter().filter(|u| u.contains("/contacts?")).all(|u| u.contains("q=")), "{sent:?}");

    // The drive: nothing named "facture" at the root; in the whole drive, the folder's.
    b.click("a[data-nav=drive]").await?;
    b.wait_text("#drive-table tbody th", "Root notes.pdf").await?;
    js(&b, RECORD_REQUESTS).await?;
    b.fill("#drive-search", "FACTURE ete").await?;
    b.wait_text(".paged .empty", "No documents match").await?;
    b.client
        .execute(
            "const s = document.getElementById('drive-search-scope'); s.value = 'drive'; s.dispatchEvent(new Event('change'));",
            Vec::new(),
        )
        .await?;
    b.wait_text("#drive-table tbody th", "Facture été.pdf").await?;
    b.wait_text("#drive-search-note", "1 matching document in the whole drive").await?;
    b.screenshot("drive").await?;
    let sent = requests(&b).await?;
    ensure!(sent.iter().any(|u| u.contains("/documents?q=FACTURE+ete&folderId=root")), "{sent:?}");
    ensure!(sent.iter().any(|u| u.contains("/documents?q=FACTURE+ete&limit=")), "{sent:?}");

    // Clearing the search lists the folder again.
    b.fill("#drive-search", "").await?;
    b.client
        .execute("const i = document.getElementById('drive-search'); i.dispatchEvent(new Event('input'));", Vec::new())
        .await?;
    b.wait_text("#drive-table tbody th", "Clients").await?;
    b.assert_no_console_errors().await?;
    b.close().await
}

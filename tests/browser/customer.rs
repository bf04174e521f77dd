//! Browser journeys (customer): the invitation email's link → register → activate → sign in →
//! the shared file with the company's name and colours → download (same bytes) → send a file
//! back → own submissions → notification preferences → sign out; search, filters and sort
//! narrowing the list; the forgotten-password screens; phone width; own submissions to two
//! companies paged with "Show more". Staff act through the API.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use portal_tests::{
    CUSTOMER_PASSWORD, anonymous, customer_login, emails_to, eventually, put_presigned, registered_customer,
    tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::Browser;

/// A light accent (yellow): the pages must still draw readable text on and with it.
const LIGHT_ACCENT: &str = "#f5c518";
/// A second company's (dark) accent.
const SECOND_ACCENT: &str = "#0b6e4f";

/// Contrast (WCAG) between an element's text colour and the first opaque background behind it.
const CONTRAST: &str = r#"
const el = document.querySelector(arguments[0]);
const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
let node = el, bg = null;
while (node && node.nodeType === 1) {
  const c = rgb(getComputedStyle(node).backgroundColor);
  if (c.length >= 3 && (c.length < 4 || c[3] > 0.99)) { bg = c; break; }
  node = node.parentElement;
}
bg = bg || [255, 255, 255];
const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)].sort((x, y) => y - x);
return (a + 0.05) / (b + 0.05);
"#;

async fn contrast(b: &Browser, css: &str) -> Result<f64> {
    let value = b.client.execute(CONTRAST, vec![json!(css)]).await?;
    value.as_f64().with_context(|| format!("no contrast for `{css}`: {value}"))
}

async fn names(b: &Browser) -> Result<Vec<String>> {
    let value = b
        .client
        .execute(
            "return [...document.querySelectorAll('#shares-list .item__name')].map((e) => e.firstChild.textContent)",
            Vec::new(),
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// Waits until the shares list shows exactly `expected` (in order).
async fn wait_names(b: &Browser, expected: &[&str]) -> Result<()> {
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    loop {
        let busy =
            b.client.execute("return document.getElementById('shares-list').getAttribute('aria-busy')", vec![]).await?;
        let shown = names(b).await?;
        if busy == "false" && shown == expected {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            b.screenshot("names-timeout").await?;
            anyhow::bail!("the list shows {shown:?}, expected {expected:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until "Documents you sent" shows `count` rows (and is not loading); their names, in order.
async fn wait_sent(b: &Browser, count: usize) -> Result<Vec<String>> {
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    loop {
        let value = b
            .client
            .execute(
                "const list = document.getElementById('submissions-list'); \
                 return { busy: list.getAttribute('aria-busy'), \
                          names: [...list.querySelectorAll('.item__name')].map((e) => e.textContent) };",
                Vec::new(),
            )
            .await?;
        let names: Vec<String> = serde_json::from_value(value["names"].clone())?;
        if value["busy"] == "false" && names.len() == count {
            return Ok(names);
        }
        if tokio::time::Instant::now() >= deadline {
            b.screenshot("sent-timeout").await?;
            anyhow::bail!("the sent list shows {} rows, expected {count}", names.len());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sets a <select> (or date input) as a user would and lets the page react.
async fn choose(b: &Browser, css: &str, value: &str) -> Result<()> {
    b.find(css).await?;
    b.client
        .execute(
            "const el = document.querySelector(arguments[0]); el.value = arguments[1]; \
             el.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![json!(css), json!(value)],
        )
        .await?;
    Ok(())
}

/// Fails when the page is wider than the window (it would scroll sideways).
async fn no_sideways_scroll(b: &Browser) -> Result<()> {
    let overflow = b
        .client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
        .await?;
    ensure!(overflow.as_i64() == Some(0), "the page scrolls sideways by {overflow} px");
    Ok(())
}

/// Buttons or links in the shares list that would remove something staff shared.
async fn removal_controls(b: &Browser) -> Result<Value> {
    Ok(b.client
        .execute(
            "return [...document.querySelectorAll('#view-shared button, #view-shared a')] \
               .map((e) => (e.textContent + ' ' + (e.getAttribute('aria-label') || '')).trim()) \
               .filter((t) => /delete|remove|withdraw|unshare/i.test(t));",
            Vec::new(),
        )
        .await?)
}

/// The path (`/p/{slug}/register?token=…`) of the newest invitation from `slug` emailed to `email`.
async fn invitation_path(email: &str, slug: &str) -> Result<String> {
    let start = format!("/p/{slug}/register?token=");
    for message in emails_to(email).await?.iter().rev() {
        let body = message["body"].as_str().unwrap_or_default();
        if let Some(at) = body.find(&start) {
            let token: String = body[at + start.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                .collect();
            ensure!(token.len() == 43, "a malformed token in {body}");
            return Ok(format!("{start}{token}"));
        }
    }
    anyhow::bail!("no invitation from {slug} to {email}")
}

#[tokio::test]
async fn invited_customer_registers_downloads_and_sends_a_document_back() -> Result<()> {
    let t = tenant_fixture().await?;
    let company = t.tenant.name.to_string();
    t.admin.send(Method::PATCH, "/settings", Some(json!({ "accentColor": LIGHT_ACCENT }))).await?.expect(200)?;
    let bytes = b"%PDF-1.4 the annual statement".to_vec();
    let doc = t.member.upload("Annual statement.pdf", "application/pdf", &bytes).await?;
    let doc_id = doc["id"].as_str().context("document id")?.to_owned();
    t.member.wait_settled(&doc_id, Duration::from_secs(30)).await?;
    let email = format!("{}@customer.example", unique("browser"));
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Chloé Martin" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().context("contact id")?.to_owned();
    t.member.send(Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    t.member
        .post("/shares", json!({ "items": [{ "kind": "document", "id": doc_id }], "contactIds": [contact_id] }))
        .await?
        .expect(200)?;
    let link = invitation_path(&email, &t.tenant.slug.to_string()).await?;

    let b = Browser::open("customer").await?;

    // Register from the emailed link: the company's name is on the page.
    b.goto(&link).await?;
    b.wait_text("#register-intro", &company).await?;
    b.wait_text("#brand-name", &company).await?;
    // A password the policy refuses is explained next to the field, before any request.
    b.fill("#register-password", "short").await?;
    b.fill("#register-password-again", "short").await?;
    b.click("#register-form button[type=submit]").await?;
    b.wait_text("#register-form .field-error", "at least 10 characters").await?;
    b.fill("#register-password", CUSTOMER_PASSWORD).await?;
    ensure!(!b.is_shown("#register-form .field-error").await?, "the password error stays after retyping");
    b.fill("#register-password-again", CUSTOMER_PASSWORD).await?;
    b.screenshot("register").await?;
    b.click("#register-form button[type=submit]").await?;

    // Activate: the invitation's email is shown; the code is asked; a new code can be sent.
    b.wait_text("#activate-intro", &email).await?;
    let url = b.client.current_url().await?;
    ensure!(!url.as_str().contains("token="), "the used token stays in the address bar: {url}");
    b.click("#activate-resend").await?;
    b.wait_text("#activate-notice", "new code").await?;
    b.fill("#activate-code", "123456").await?;
    b.screenshot("activate").await?;
    b.click("#activate-form button[type=submit]").await?;

    // Sign in (the email is filled in already).
    b.wait_text("#sign-in-notice", "active").await?;
    let filled = b.find("#sign-in-email").await?.prop("value").await?.unwrap_or_default();
    ensure!(filled == email, "sign-in email prefilled with {filled:?}");
    b.fill("#sign-in-password", CUSTOMER_PASSWORD).await?;
    b.screenshot("login").await?;
    b.click("#sign-in-form button[type=submit]").await?;

    // The personal space: the shared file, with the company's name.
    let row = b.wait_text("#shares-list .item", "Annual statement.pdf").await?;
    let row_text = row.text().await?;
    ensure!(row_text.contains(&company), "the item does not name the company: {row_text}");
    b.wait_text("#signed-in-as", &email).await?;
    b.wait_text("#shares-count", "1 document").await?;
    ensure!(removal_controls(&b).await?.as_array().is_some_and(Vec::is_empty), "shared items offer removal");
    // Readable with the company's light accent: text on accent buttons, accent text on white.
    let on_button = contrast(&b, "#shares-list button[data-download]").await?;
    ensure!(on_button >= 4.5, "download button text contrast {on_button:.2}");
    let current_tab = contrast(&b, "#space-nav a[aria-current=page]").await?;
    ensure!(current_tab >= 4.5, "current tab contrast {current_tab:.2}");
    b.screenshot("shares").await?;

    // Download: the original bytes under the original name.
    b.click("#shares-list button[data-download]").await?;
    let downloaded = b.downloaded("Annual statement.pdf").await?;
    ensure!(downloaded == bytes, "downloaded {} bytes, not the shared file", downloaded.len());
    let files = std::fs::read_dir(b.download_dir())?.count();
    ensure!(files == 1, "{files} files in the download directory, expected the one document");
    let url = b.client.current_url().await?;
    ensure!(url.path().starts_with("/p/"), "the download navigated away to {url}");

    // Send a document back (one company: no choice to make), with progress, then in own submissions.
    b.click("#space-nav a[data-tab=send]").await?;
    b.wait_text("#upload-company-single", &company).await?;
    let dir = std::env::temp_dir().join(unique("customer-upload"));
    std::fs::create_dir_all(&dir)?;
    let sent_name = "Signed engagement letter.txt";
    let sent_path = dir.join(sent_name);
    std::fs::write(&sent_path, b"signed, with thanks")?;
    b.find("#file-input").await?.send_keys(&sent_path.to_string_lossy()).await?;
    b.wait_text("#uploads .upload", "Sent").await?;
    b.wait_text("#submissions-list .item", sent_name).await?;
    b.wait_text("#submissions-list .item", "Received").await?;
    b.find("#submissions-list button[data-withdraw]").await?;
    b.screenshot("upload").await?;
    // Staff see it under the contact's submissions.
    let submissions = t.member.get(&format!("/contacts/{contact_id}/submissions")).await?.expect(200)?;
    ensure!(submissions.to_string().contains(sent_name), "staff do not see the submission: {submissions}");

    // Notification preferences: switch the emails off; the API keeps it.
    b.click("#space-nav a[data-tab=notifications]").await?;
    b.wait_text("#notifications-title", "Notifications").await?;
    let checkbox = b.find("#prefs-email").await?;
    let shown = &checkbox;
    // Checked once the saved preferences (defaults: on) have loaded.
    eventually(Duration::from_secs(10), || async move { Ok(shown.is_selected().await?) }).await?;
    checkbox.click().await?;
    b.click("#prefs-form button[type=submit]").await?;
    b.wait_text("#prefs-notice", "saved").await?;
    b.screenshot("preferences").await?;
    let customer = customer_login(&email).await?;
    let prefs = customer.get("/portal/preferences").await?.expect(200)?;
    ensure!(prefs["emailNotifications"] == false, "preferences not saved: {prefs}");

    // Withdraw the submission (staff have not opened it): confirmed in a dialog, then gone.
    b.click("#space-nav a[data-tab=send]").await?;
    // Entering the tab reloads the list: act on the fresh one.
    let list = b.find("#submissions-list").await?;
    let list = &list;
    // The reload starts (aria-busy "true") in the same task that shows the tab: once the
    // tab is shown, "false" means the fresh list is there.
    let (page, view) = (&b, "return document.body.dataset.view");
    eventually(crate::support::WAIT, || async move { Ok(page.client.execute(view, vec![]).await? == "send") }).await?;
    eventually(crate::support::WAIT, || async move { Ok(list.attr("aria-busy").await?.as_deref() == Some("false")) })
        .await?;
    b.click("#submissions-list button[data-withdraw]").await?;
    b.click("dialog button.button--danger").await?;
    b.wait_text("#submissions-empty", "not sent any").await?;
    let left = t.member.get(&format!("/contacts/{contact_id}/submissions")).await?.expect(200)?;
    ensure!(!left.to_string().contains(sent_name), "the withdrawn submission is still there: {left}");

    b.assert_no_console_errors().await?;

    // Sign out: back to sign-in; the space is gone, also after a reload.
    b.click("#sign-out").await?;
    b.wait_text("#sign-in-notice", "signed out").await?;
    b.goto(&format!("/p/{}#shared", t.tenant.slug)).await?;
    b.wait_text("#sign-in-title", "Sign in").await?;
    ensure!(!b.is_shown("#view-shared").await?, "the space shows after sign-out");
    b.assert_no_console_errors().await?;
    let _ = std::fs::remove_dir_all(dir);
    b.close().await
}

#[tokio::test]
async fn search_filters_and_sort_narrow_the_list() -> Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("filters"));
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let folder = t.member.post("/folders", json!({ "name": "Tax 2025" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().context("folder id")?.to_owned();
    let mut items = Vec::new();
    for (name, content_type, size, in_folder) in [
        ("Payslip March.pdf", "application/pdf", 300, false),
        ("Receipt.png", "image/png", 1200, false),
        ("Tax return.pdf", "application/pdf", 50, true),
    ] {
        let mut body = json!({ "fileName": name, "contentType": content_type, "size": size });
        if in_folder {
            body["folderId"] = json!(folder_id);
        }
        let ticket = t.member.post("/uploads", body).await?.expect(201)?;
        put_presigned(&ticket["upload"], vec![b'x'; size]).await?;
        let id = ticket["document"]["id"].as_str().context("document id")?.to_owned();
        t.member.wait_settled(&id, Duration::from_secs(30)).await?;
        if !in_folder {
            items.push(json!({ "kind": "document", "id": id }));
        }
    }
    items.push(json!({ "kind": "folder", "id": folder_id }));
    t.member.post("/shares", json!({ "items": items, "contactIds": [contact_id] })).await?.expect(200)?;

    // A second company shares with the same person, who links the existing account.
    let t2 = tenant_fixture().await?;
    let second = t2.tenant.name.to_string();
    t2.admin.send(Method::PATCH, "/settings", Some(json!({ "accentColor": SECOND_ACCENT }))).await?.expect(200)?;
    let contract = t2.member.upload("Contract.pdf", "application/pdf", b"contract").await?;
    let contract_id = contract["id"].as_str().context("document id")?.to_owned();
    t2.member.wait_settled(&contract_id, Duration::from_secs(30)).await?;
    let contact2 = t2.member.post("/contacts", json!({ "email": email, "name": "Chloé" })).await?.expect(201)?;
    t2.member
        .post(
            "/shares",
            json!({ "items": [{ "kind": "document", "id": contract_id }], "contactIds": [contact2["id"]] }),
        )
        .await?
        .expect(200)?;
    let link = invitation_path(&email, &t2.tenant.slug.to_string()).await?;
    let token = link.rsplit('=').next().unwrap_or_default();
    let linked = anonymous().post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?;
    ensure!(linked.json["status"] == "active", "the second company was not linked: {}", linked.json);
    // More submissions than one page (50), to both companies, oldest first.
    let sent: Vec<String> = (0..53).map(|i| format!("Sent {i:02}.txt")).collect();
    for (i, name) in sent.iter().enumerate() {
        let to = if i % 3 == 0 { &t2 } else { &t };
        customer
            .post(
                &format!("/portal/companies/{}/uploads", to.tenant.id),
                json!({ "fileName": name, "contentType": "text/plain", "size": 4 }),
            )
            .await?
            .expect(201)?;
    }

    // The neutral address (no company): the forgotten-password screens, then sign-in.
    let b = Browser::open("customer-filters").await?;
    b.goto("/portal").await?;
    b.wait_text("#brand-name", "Customer Portal").await?;
    b.click("a[data-go=forgot-password]").await?;
    b.fill("#forgot-email", &email).await?;
    b.screenshot("forgot-password").await?;
    b.click("#forgot-form button[type=submit]").await?;
    b.wait_text("#reset-notice", &email).await?;
    let prefilled = b.find("#reset-email").await?.prop("value").await?.unwrap_or_default();
    ensure!(prefilled == email, "reset email prefilled with {prefilled:?}");
    b.screenshot("reset-password").await?;
    b.click("#view-reset-password a[data-go=sign-in]").await?;
    b.fill("#sign-in-email", &email).await?;
    b.fill("#sign-in-password", CUSTOMER_PASSWORD).await?;
    b.click("#sign-in-form button[type=submit]").await?;
    b.wait_text("#shares-count", "4 documents").await?;
    // Per-item company branding on the neutral page: each item names its company, with its colour.
    b.wait_text("#shares-list .company-label", &t.tenant.name.to_string()).await?;
    let label = b.wait_text("#shares-list .company-label", &second).await?;
    let accent = label.attr("style").await?.unwrap_or_default();
    ensure!(accent.contains(SECOND_ACCENT), "the second company's label has no accent: {accent:?}");
    b.screenshot("shares-two-companies").await?;

    // Search by name.
    b.fill("#filter-q", "tax").await?;
    wait_names(&b, &["Tax return.pdf"]).await?;
    b.wait_text("#shares-count", "1 document").await?;
    b.click("#filter-reset").await?;
    b.wait_text("#shares-count", "4 documents").await?;

    // Company, type, folder, sort.
    choose(&b, "#filter-company", &t2.tenant.id.to_string()).await?;
    wait_names(&b, &["Contract.pdf"]).await?;
    choose(&b, "#filter-company", "").await?;
    choose(&b, "#filter-type", "application/pdf").await?;
    choose(&b, "#filter-sort", "name:asc").await?;
    wait_names(&b, &["Contract.pdf", "Payslip March.pdf", "Tax return.pdf"]).await?;
    choose(&b, "#filter-type", "image").await?;
    wait_names(&b, &["Receipt.png"]).await?;
    choose(&b, "#filter-type", "").await?;
    choose(&b, "#filter-sort", "size:desc").await?;
    wait_names(&b, &["Receipt.png", "Payslip March.pdf", "Tax return.pdf", "Contract.pdf"]).await?;
    choose(&b, "#filter-folder", &folder_id).await?;
    wait_names(&b, &["Tax return.pdf"]).await?;
    b.wait_text("#shares-list .item", "Tax 2025").await?;
    b.screenshot("filtered").await?;
    choose(&b, "#filter-folder", "").await?;

    // Dates: everything was shared today; from tomorrow on there is nothing.
    let today = time::OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().context("tomorrow")?;
    choose(&b, "#filter-from", &today.to_string()).await?;
    wait_names(&b, &["Receipt.png", "Payslip March.pdf", "Tax return.pdf", "Contract.pdf"]).await?;
    choose(&b, "#filter-from", &tomorrow.to_string()).await?;
    wait_names(&b, &[]).await?;
    b.wait_text("#shares-empty", "No shared document matches").await?;
    b.click("#filter-reset").await?;
    b.wait_text("#shares-count", "4 documents").await?;

    // Phone width: nothing wider than the screen; the list and its actions are there.
    b.resize(390, 844).await?;
    b.wait_text("#shares-list .item", "Receipt.png").await?;
    no_sideways_scroll(&b).await?;
    b.screenshot("phone").await?;
    b.click("#space-nav a[data-tab=send]").await?;
    // Two companies: the customer chooses where documents go.
    b.wait_text("#upload-company", &second).await?;
    // What was sent to both, newest first, one page; "Show more" brings the rest, once each.
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    let shown = wait_sent(&b, 50).await?;
    ensure!(shown == newest_first[..50], "the first page shows {shown:?}");
    b.wait_text("#submissions-list .company-label", &second).await?;
    b.wait_text("#submissions-list .company-label", &t.tenant.name.to_string()).await?;
    ensure!(b.is_shown("#submissions-more").await?, "no Show more under a full page");
    no_sideways_scroll(&b).await?;
    b.screenshot("phone-send").await?;
    b.client.execute("document.getElementById('submissions-more').scrollIntoView({ block: 'center' })", vec![]).await?;
    b.screenshot("phone-send-more").await?;
    b.click("#submissions-more").await?;
    let shown = wait_sent(&b, sent.len()).await?;
    ensure!(shown == newest_first, "after Show more: {shown:?}");
    ensure!(!b.is_shown("#submissions-more").await?, "Show more stays after the last page");
    b.click("#space-nav a[data-tab=notifications]").await?;
    b.wait_text("#notifications-title", "Notifications").await?;
    no_sideways_scroll(&b).await?;

    b.assert_no_console_errors().await?;
    b.close().await
}

#[tokio::test]
async fn a_suspended_company_s_portal_link_says_it_is_paused() -> Result<()> {
    let t = tenant_fixture().await?;
    let operator = xtask::tenant::Operator::for_stack(&portal_tests::env().stack).await;
    let slug: portal_shared::domain::Slug = t.tenant.slug.clone();
    operator.set_status(&slug, portal_shared::domain::TenantStatus::Suspended).await?;
    let b = Browser::open("suspended").await?;
    b.goto(&format!("/p/{slug}")).await?;
    b.wait_text("#sign-in-notice", "paused").await?;
    ensure!(!b.find("#sign-in-notice").await?.text().await?.contains("not known"), "a paused company read as unknown");
    b.screenshot("customer-company-suspended").await?;

    // Resumed: the same link shows the company again.
    operator.set_status(&slug, portal_shared::domain::TenantStatus::Active).await?;
    b.goto(&format!("/p/{slug}")).await?;
    b.wait_text("#sign-in-intro", &t.tenant.name.to_string()).await?;
    ensure!(b.find("#sign-in-notice").await?.text().await?.is_empty(), "the paused notice outlived the resume");
    b.close().await
}

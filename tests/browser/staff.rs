//! Browser journeys (staff dashboard): sign in as a fresh company's admin → add a contact →
//! open their portal access → upload files with the progress bar → share one with the contact
//! → see it in the contact's access window → a customer's submission with its "new" badge →
//! settings; a viewer sees no write controls; the dashboard at phone width.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use portal_tests::{PASSWORD, eventually, put_presigned, registered_customer, tenant_fixture, unique};
use serde_json::{Value, json};

use crate::support::Browser;

async fn sign_in(b: &Browser, email: &str) -> Result<()> {
    b.goto("/").await?;
    b.fill("#login-email", email).await?;
    b.fill("#login-password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_text("#signed-in-as", email).await?;
    b.wait_text("#contacts-title", "Contacts").await?;
    Ok(())
}

async fn js(b: &Browser, script: &str) -> Result<Value> {
    Ok(b.client.execute(script, Vec::new()).await?)
}

/// Elements matching `css` that are displayed now.
async fn shown(b: &Browser, css: &str) -> Result<usize> {
    let mut count = 0;
    for element in b.client.find_all(Locator::Css(css)).await? {
        if element.is_displayed().await.unwrap_or(false) {
            count += 1;
        }
    }
    Ok(count)
}

#[tokio::test]
async fn an_admin_shares_an_uploaded_file_with_a_new_contact_and_sees_it_in_the_access_window() -> Result<()> {
    let t = tenant_fixture().await?;
    let admin_email = format!("admin@{}.example", t.tenant.slug);
    let b = Browser::open("staff").await?;

    b.goto("/").await?;
    b.find("#login-form").await?;
    b.screenshot("login").await?;
    sign_in(&b, &admin_email).await?;
    b.wait_text("#brand-name", t.tenant.name.as_str()).await?;

    // A new contact, then portal access opened with the switch (orange: pending).
    let name = format!("Jane {}", unique("c"));
    let email = format!("{}@client.example", unique("jane"));
    b.fill("#contact-name", &name).await?;
    b.fill("#contact-email", &email).await?;
    b.click("#contact-form button[type=submit]").await?;
    b.wait_text("#contacts-table tbody th", &name).await?;
    b.wait_text("#contacts-table tbody tr:first-child .badge", "No access").await?;
    b.click("#contacts-table tbody tr:first-child button.switch").await?;
    b.wait_text("#contacts-table tbody tr:first-child .badge--pending", "Pending").await?;
    let checked = js(&b, "return document.querySelector('#contacts-table tbody tr:first-child button.switch').getAttribute('aria-checked')").await?;
    ensure!(checked == "true", "the switch is on: {checked}");
    let contacts = t.admin.get("/contacts").await?.expect(200)?;
    let contact = contacts["items"]
        .as_array()
        .context("items")?
        .iter()
        .find(|c| c["email"] == email.as_str())
        .context("created")?;
    ensure!(contact["accessStatus"] == "pending", "{contact}");
    let contact_id = contact["id"].as_str().context("id")?.to_owned();
    b.screenshot("contacts").await?;

    // Drive: two files at once, each with its progress bar, until available.
    b.click("a[data-nav=drive]").await?;
    b.wait_text("#drive-title", "Drive").await?;
    let dir = std::env::temp_dir().join(unique("staff-upload"));
    std::fs::create_dir_all(&dir)?;
    let big = dir.join("Annual report.pdf");
    let small = dir.join("Notes.txt");
    std::fs::write(&big, vec![b'%'; 3 * 1024 * 1024])?;
    std::fs::write(&small, b"hello from the browser test")?;
    let files = format!("{}\n{}", big.display(), small.display());
    b.find("#file-input").await?.send_keys(&files).await?;
    b.find("#uploads progress").await?;
    b.wait_text("#uploads .upload[data-state=done]", "Annual report.pdf").await?;
    b.wait_text("#uploads .upload[data-state=done]", "Notes.txt").await?;
    let progress = js(&b, "return [...document.querySelectorAll('#uploads progress')].map((p) => p.value)").await?;
    ensure!(progress == json!([100, 100]), "both progress bars full: {progress}");
    b.wait_text("#drive-table tbody tr", "Available").await?;
    b.screenshot("drive").await?;

    // Share the report with the contact, from the document.
    b.click("#drive-table button[aria-label='Share Annual report.pdf']").await?;
    b.find("#share-form").await?;
    b.click(&format!("#share-contact-{contact_id}")).await?;
    b.click("#share-form button[type=submit]").await?;
    let shares_path = &format!("/contacts/{contact_id}/shares");
    let admin = &t.admin;
    let page = &b;
    eventually(Duration::from_secs(10), || async move {
        let shares = admin.get(shares_path).await?.expect(200)?;
        Ok(shares["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|s| s["target"]["name"] == "Annual report.pdf")))
    })
    .await?;

    // The access window shows the share, the portal link and the trail.
    b.click("a[data-nav=contacts]").await?;
    b.click(&format!("[data-manage='{contact_id}']")).await?;
    b.wait_text("dialog .shared-list li", "Annual report.pdf").await?;
    let link = js(&b, "return document.getElementById('access-portal-link').value").await?;
    ensure!(link.as_str().is_some_and(|l| l.ends_with(&format!("/p/{}", t.tenant.slug))), "portal link: {link}");
    b.wait_text("dialog .activity", "opened portal access").await?;
    let ticked = js(&b, "return [...document.querySelectorAll('dialog .tree input[type=checkbox]:checked')].map((c) => c.closest('.tree-row').textContent)").await?;
    ensure!(ticked.to_string().contains("Annual report.pdf"), "the shared file is ticked: {ticked}");
    b.screenshot("access-window").await?;
    b.click("dialog .dialog-close").await?;

    // A customer sends a document back: a "new" badge in the menu and on the row.
    let customer_email = format!("{}@client.example", unique("cust"));
    let (customer, _) = registered_customer(&t.member, &customer_email).await?;
    let ticket = customer
        .post(
            &format!("/portal/companies/{}/uploads", t.tenant.id),
            json!({ "fileName": "Signed.pdf", "contentType": "application/pdf", "size": 64 }),
        )
        .await?
        .expect(201)?;
    put_presigned(&ticket["upload"], vec![b'x'; 64]).await?;
    let submission = ticket["document"]["id"].as_str().context("submission id")?.to_owned();
    t.admin.wait_settled(&submission, Duration::from_secs(30)).await?;
    b.client.refresh().await?; // a reload (or any navigation) counts the new submissions
    b.wait_text("#submissions-count", "1").await?;
    b.click("a[data-nav=submissions]").await?;
    b.wait_text("#submissions-table tbody tr", "Signed.pdf").await?;
    b.wait_text("#submissions-table .badge--new", "New").await?;
    b.wait_text("#submissions-summary", "1 new").await?;
    b.screenshot("submissions").await?;
    eventually(Duration::from_secs(10), || async move {
        let me = admin.get("/me").await?.expect(200)?;
        Ok(me["submissionsSeenAt"].is_string())
    })
    .await?;
    eventually(Duration::from_secs(10), || async move { Ok(!page.is_shown("#submissions-count").await?) }).await?;

    // Settings: company, the website snippet, staff with roles.
    b.click("a[data-nav=settings]").await?;
    b.wait_text("#staff-table tbody", &admin_email).await?;
    let snippet = js(&b, "return document.getElementById('settings-snippet').value").await?;
    ensure!(
        snippet.as_str().is_some_and(|s| s.starts_with("<a href=") && s.contains(&format!("/p/{}\"", t.tenant.slug))),
        "{snippet}"
    );
    b.fill("#settings-accent", "#0b6e4f").await?;
    b.click("#settings-form button[type=submit]").await?;
    eventually(Duration::from_secs(10), || async move {
        let accent =
            js(page, "return getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()").await?;
        Ok(accent == "#0b6e4f")
    })
    .await?;
    b.screenshot("settings").await?;

    b.assert_no_console_errors().await?;
    b.click("#sign-out").await?;
    // (Sign-out first asks the API to revoke the tokens, then shows the sign-in form.)
    b.wait_text("#login-notice", "You have signed out").await?;
    ensure!(js(&b, "return sessionStorage.length").await? == 0, "tokens are gone after sign-out");
    b.close().await
}

#[tokio::test]
async fn a_viewer_sees_everything_read_only() -> Result<()> {
    let t = tenant_fixture().await?;
    t.admin
        .post("/contacts", json!({ "email": format!("{}@client.example", unique("v")), "name": "Read Only" }))
        .await?
        .expect(201)?;
    t.admin.post("/folders", json!({ "name": "Contracts" })).await?.expect(201)?;
    let b = Browser::open("staff-viewer").await?;
    sign_in(&b, &format!("viewer@{}.example", t.tenant.slug)).await?;

    b.wait_text("#contacts-table tbody th", "Read Only").await?;
    b.wait_text("#role-note", "Read-only").await?;
    b.wait_text("#contacts-table .badge", "No access").await?;
    for css in ["#contact-form", "#organization-form", "button.switch", "#nav-settings a"] {
        ensure!(shown(&b, css).await? == 0, "a viewer sees no `{css}`");
    }
    b.click("[data-manage]").await?;
    b.wait_text("dialog h2", "Access window").await?;
    b.wait_text("dialog .empty", "Nothing is shared").await?;
    for css in ["dialog [data-access]", "dialog #shares-save", "dialog .tree"] {
        ensure!(shown(&b, css).await? == 0, "a viewer sees no `{css}` in the access window");
    }
    b.click("dialog .dialog-close").await?;

    b.click("a[data-nav=drive]").await?;
    b.wait_text("#drive-table tbody", "Contracts").await?;
    for css in [
        "#file-input",
        "#folder-form",
        "[data-action=rename]",
        "[data-action=delete]",
        "[data-action=move]",
        "[data-action=share]",
    ] {
        ensure!(shown(&b, css).await? == 0, "a viewer sees no `{css}` in the drive");
    }
    ensure!(shown(&b, "[data-action=details]").await? == 1, "details stay readable");
    b.screenshot("drive").await?;

    // Settings are not even reachable by address.
    b.goto("/#/settings").await?;
    b.wait_text("#contacts-title", "Contacts").await?;
    b.assert_no_console_errors().await?;
    b.close().await
}

/// The outermost elements sticking out of the viewport on the right (to name the culprit).
const WIDE: &str = r#"
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > width + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > width + 1))
  .slice(0, 5).map((e) => e.tagName + '#' + e.id + '.' + e.className);
"#;

#[tokio::test]
async fn the_dashboard_fits_a_phone() -> Result<()> {
    let t = tenant_fixture().await?;
    t.admin
        .post("/contacts", json!({ "email": format!("{}@client.example", unique("m")), "name": "Mobile Person" }))
        .await?
        .expect(201)?;
    let b = Browser::open("staff-mobile").await?;
    b.resize(360, 800).await?;
    sign_in(&b, &format!("member@{}.example", t.tenant.slug)).await?;
    b.wait_text("#contacts-table tbody th", "Mobile Person").await?;
    b.screenshot("contacts").await?;
    let overflow = js(&b, "return document.documentElement.scrollWidth - document.documentElement.clientWidth").await?;
    let wide = js(&b, WIDE).await?;
    ensure!(overflow.as_i64() == Some(0), "no sideways scrolling of the page at 360 px: {overflow}, too wide: {wide}");
    b.click("a[data-nav=drive]").await?;
    b.find("#file-input").await?;
    let overflow = js(&b, "return document.documentElement.scrollWidth - document.documentElement.clientWidth").await?;
    ensure!(overflow.as_i64() == Some(0), "no sideways scrolling of the drive at 360 px: {overflow}");
    b.screenshot("drive").await?;
    b.assert_no_console_errors().await?;
    b.close().await
}

/// A staff account's status in the staff pool, asked of Cognito directly.
async fn staff_status(email: &str) -> Result<aws_sdk_cognitoidentityprovider::types::UserStatusType> {
    let user = aws_sdk_cognitoidentityprovider::Client::new(&portal_tests::sdk().await)
        .admin_get_user()
        .user_pool_id(&portal_tests::env().stack.staff_pool.id)
        .username(email)
        .send()
        .await?;
    user.user_status.context("no status")
}

#[tokio::test]
async fn staff_password_reset_from_forgot_password_sign_out_and_an_admin_sent_reset() -> Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@recovery.example", unique("staff"));
    xtask::seed::Seeder::new(&portal_tests::env().stack)
        .await
        .staff(t.tenant.id, &email, portal_shared::domain::Role::Member, PASSWORD)
        .await?;
    let b = Browser::open("staff-recovery").await?;

    // "Forgot password?" on the sign-in screen: the email is carried over, a code is asked for.
    b.goto("/").await?;
    b.fill("#login-email", &email).await?;
    b.click("#forgot-link").await?;
    b.wait_text("#forgot-title", "Reset your password").await?;
    let carried = b.find("#forgot-email").await?.prop("value").await?.unwrap_or_default();
    ensure!(carried == email, "the sign-in email is carried over: {carried:?}");
    ensure!(!b.is_shown("#login-form").await?, "one form at a time");
    b.screenshot("forgot-password").await?;
    b.click("#forgot-form button[type=submit]").await?;
    b.wait_text("#reset-notice", &email).await?;
    let prefilled = b.find("#reset-email").await?.prop("value").await?.unwrap_or_default();
    ensure!(prefilled == email, "reset email prefilled with {prefilled:?}");

    // A password the pool would refuse is caught on the page first.
    b.fill("#reset-code", "123456").await?;
    b.fill("#reset-password", "short").await?;
    b.fill("#reset-password-again", "short").await?;
    b.click("#reset-form button[type=submit]").await?;
    b.wait_text("#reset-error", "at least 12 characters").await?;
    b.fill("#reset-password", "x").await?;
    ensure!(b.find("#reset-error").await?.text().await?.is_empty(), "typing again clears the message");
    // The code (the local mailbox page says: any six digits, moto checks none) and a new password.
    let new_password = "Browser-Reset-Passw0rd!3";
    b.fill("#reset-password", new_password).await?;
    b.fill("#reset-password-again", new_password).await?;
    b.screenshot("reset-password").await?;
    b.click("#reset-form button[type=submit]").await?;
    b.wait_text("#login-notice", "Your password is changed").await?;
    let kept = b.find("#login-email").await?.prop("value").await?.unwrap_or_default();
    ensure!(kept == email, "the sign-in email is filled in: {kept:?}");
    b.screenshot("password-changed").await?;

    // The old password no longer signs in; the new one does.
    let old =
        portal_tests::anonymous().post("/auth/staff/login", json!({ "email": email, "password": PASSWORD })).await?;
    ensure!(old.status == 401, "the old password still works: {} {}", old.status, old.json);
    b.fill("#login-password", new_password).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_text("#signed-in-as", &email).await?;

    // Sign-out revokes the refresh token the page held, and forgets the tokens.
    let stored = js(&b, "return sessionStorage.getItem(sessionStorage.key(0))").await?;
    let stored: Value = serde_json::from_str(stored.as_str().context("stored tokens")?)?;
    let refresh = json!({ "refreshToken": stored["refreshToken"] });
    portal_tests::anonymous().post("/auth/staff/refresh", refresh.clone()).await?.expect(200)?;
    b.click("#sign-out").await?;
    b.wait_text("#login-notice", "You have signed out").await?;
    ensure!(js(&b, "return sessionStorage.length").await? == 0, "tokens are gone after sign-out");
    let refused = portal_tests::anonymous().post("/auth/staff/refresh", refresh).await?;
    ensure!(refused.status == 401, "the refresh token works after sign-out: {} {}", refused.status, refused.json);

    // An admin sends the member a password reset from the staff list.
    b.fill("#login-email", &format!("admin@{}.example", t.tenant.slug)).await?;
    b.fill("#login-password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_text("#contacts-title", "Contacts").await?;
    b.click("a[data-nav=settings]").await?;
    b.wait_text("#staff-table tbody", &email).await?;
    b.click(&format!("#staff-table button[aria-label=\"Send {email} a password reset\"]")).await?;
    b.wait_text("dialog h2", "Send a password reset?").await?;
    b.screenshot("send-password-reset").await?;
    b.wait_text("dialog button", "Send reset").await?.click().await?;
    b.wait_text(".notice", &format!("Password reset sent to {email}")).await?;
    b.screenshot("password-reset-sent").await?;
    ensure!(
        staff_status(&email).await? == aws_sdk_cognitoidentityprovider::types::UserStatusType::ResetRequired,
        "the member's password was not reset"
    );
    b.assert_no_console_errors().await?;
    b.close().await
}

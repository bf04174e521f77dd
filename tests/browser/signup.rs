//! Browser journey of company self-service sign-up: from the staff sign-in, "Create your
//! company's portal" → the form (the portal address suggested from the name and checked as
//! it is typed: a reserved word refused, a free address confirmed) → "Check your email" →
//! the emailed link, read from the local mailbox → "Your portal is open" → the staff
//! sign-in → the new company's empty dashboard.

use anyhow::{Context, Result, ensure};
use portal_tests::{PASSWORD, emails_to, unique};

use crate::support::Browser;

#[tokio::test]
async fn a_company_signs_up_verifies_its_email_and_its_admin_signs_in() -> Result<()> {
    let slug = unique("brw");
    let company = format!("Signup {slug}");
    let email = format!("founder@{slug}.example");
    let b = Browser::open("signup").await?;

    b.goto("/").await?;
    b.click("#signup-link").await?;
    b.wait_text("#signup-title", "Create your company's portal").await?;
    b.find("#signup-form:not([hidden])").await?;
    ensure!(!b.is_shown("#signup-code").await?, "open sign-up asks for no invite code");

    // The address follows the company's name until it is typed; a reserved word is refused.
    b.fill("#signup-company", "Acme & Sons").await?;
    let suggested = b.find("#signup-slug").await?.prop("value").await?.unwrap_or_default();
    ensure!(suggested == "acme-sons", "suggested address {suggested:?}");
    b.fill("#signup-slug", "admin").await?;
    b.wait_text("#signup-slug-status", "reserved").await?;
    // The one console error so far is that expected 400 (Chromium logs every failed load).
    let errors = b.console_errors().await?;
    ensure!(errors.iter().all(|e| e.contains("/api/signup/slugs/admin") && e.contains("400")), "{errors:#?}");
    b.fill("#signup-company", &company).await?;
    b.fill("#signup-slug", &slug).await?;
    b.wait_text("#signup-slug-status", "is available").await?;
    b.wait_text("#signup-slug-preview", &format!("/p/{slug}")).await?;
    b.fill("#signup-name", "Fay Founder").await?;
    b.fill("#signup-email", &email).await?;
    b.fill("#signup-password", PASSWORD).await?;
    b.screenshot("form").await?;
    b.click("#signup-form button[type=submit]").await?;
    b.wait_text("#signup-sent-title", "Check your email").await?;
    b.wait_text("#signup-sent-email", &email).await?;
    b.screenshot("sent").await?;

    // Not verified yet: the staff sign-in refuses the admin.
    let refused = portal_tests::anonymous()
        .post("/auth/staff/login", serde_json::json!({ "email": email, "password": PASSWORD }))
        .await?;
    ensure!(refused.status == 401, "an unverified admin signed in: {}", refused.json);

    let message = emails_to(&email).await?.pop().context("no verification email")?;
    let text = message["text"].as_str().unwrap_or_default();
    let link = text.split_whitespace().find(|w| w.contains("#verify=")).context("no link")?.to_owned();
    b.goto(&link).await?;
    b.wait_text("#verify-title", "Your portal is open").await?;
    b.wait_text("#verify-notice", &format!("/p/{slug}")).await?;
    let address = b.client.current_url().await?;
    ensure!(!address.as_str().contains("verify="), "the token stayed in the address bar: {address}");
    b.screenshot("verified").await?;

    b.click("#verify-next a").await?;
    b.fill("#login-email", &email).await?;
    b.fill("#login-password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_text("#signed-in-as", &email).await?;
    b.wait_text("#signed-in-as", "Admin").await?;
    b.wait_text("#brand-name", &company).await?;
    b.wait_text("#contacts-title", "Contacts").await?;
    b.screenshot("dashboard").await?;
    b.assert_no_console_errors().await?;
    b.close().await
}

//! The local mailbox (`/_mailbox`, local stack only): the invitation a staff member sends is
//! there as its recipient sees it, and its link opens the local registration page.

use anyhow::{Context, Result, ensure};
use fantoccini::Locator;
use portal_tests::{tenant_fixture, unique, upload_logo};
use reqwest::Method;
use serde_json::json;

use crate::support::Browser;

#[tokio::test]
async fn an_invitation_is_read_in_the_mailbox_and_its_link_opens_registration() -> Result<()> {
    let t = tenant_fixture().await?;
    upload_logo(&t.admin, include_bytes!("../../xtask/src/demo-logo.png")).await?;
    let email = format!("{}@customer.example", unique("mailbox"));
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Chloé Martin" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().context("contact id")?;
    t.member.send(Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;

    let b = Browser::open("mailbox").await?;
    b.goto(&format!("/_mailbox?to={email}")).await?;
    // Filtered to the one recipient: only their invitation is listed.
    let item = b.wait_text("#list button", "invites you").await?;
    let listed = b.client.find_all(Locator::Css("#list button")).await?;
    ensure!(listed.len() == 1, "{} emails listed for a recipient who got one", listed.len());
    item.click().await?;
    b.wait_text("#reader h2", &t.tenant.name.to_string()).await?;
    b.wait_text("#reader dl", &email).await?;
    b.find("#reader iframe").await?.enter_frame().await?;
    let button = b.wait_text("a", "Create my account").await?;
    let href = button.attr("href").await?.context("the invitation button has no link")?;
    // The company's logo, loaded from the local gateway as a mail client would.
    const LOGO: &str =
        "const img = document.querySelector('img'); return img && img.complete ? [img.src, img.naturalWidth] : null";
    let deadline = tokio::time::Instant::now() + crate::support::WAIT;
    let mut logo = b.client.execute(LOGO, Vec::new()).await?;
    while logo.is_null() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        logo = b.client.execute(LOGO, Vec::new()).await?;
    }
    b.client.enter_parent_frame().await?;
    let expected = b.url(&format!("/p/{}/register?token=", t.tenant.slug));
    ensure!(href.starts_with(&expected), "the invitation links to {href}, not {expected}…");
    ensure!(
        logo[0].as_str().is_some_and(|src| src.starts_with(&b.url("/api/"))) && logo[1].as_u64() > Some(0),
        "the logo is not shown: {logo}"
    );
    b.screenshot("invitation").await?;

    // The text part carries the same link, clickable.
    b.click("#reader .tabs button:nth-child(2)").await?;
    let text_link = b.wait_text("#reader pre a", "/register?token=").await?;
    ensure!(text_link.attr("href").await?.as_deref() == Some(href.as_str()), "the text part links elsewhere");

    // The link opens the local registration page for that invitation.
    b.goto(&href).await?;
    b.wait_text("#register-intro", &t.tenant.name.to_string()).await?;
    b.assert_no_console_errors().await?;
    b.close().await
}

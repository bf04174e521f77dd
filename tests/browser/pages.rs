//! Every page, as a first-time visitor sees it: it loads without console errors, and its
//! form controls are labelled (a control without a label is unusable with a screen reader).

use anyhow::{Result, ensure};
use portal_tests::{tenant_fixture, unique};

use crate::support::Browser;

/// The controls on the page that no label, `aria-label` or `aria-labelledby` names.
const UNLABELLED: &str = r#"
return Array.from(document.querySelectorAll('input, select, textarea'))
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map((el) => el.outerHTML.slice(0, 120));
"#;

async fn check_page(browser: &Browser, path: &str, label: &str) -> Result<()> {
    browser.goto(path).await?;
    browser.find("main").await?;
    // Let the page's scripts run their first requests.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let title = browser.client.title().await?;
    ensure!(!title.trim().is_empty(), "{path} has no title");
    let lang = browser.client.execute("return document.documentElement.lang", Vec::new()).await?;
    ensure!(lang.as_str().is_some_and(|l| !l.is_empty()), "{path} has no lang attribute");
    let unlabelled = browser.client.execute(UNLABELLED, Vec::new()).await?;
    ensure!(unlabelled.as_array().is_some_and(Vec::is_empty), "{path} has unlabelled controls: {unlabelled}");
    browser.screenshot(label).await?;
    browser.assert_no_console_errors().await
}

#[tokio::test]
async fn every_page_loads_cleanly_with_labelled_controls() -> Result<()> {
    let fixture = tenant_fixture().await?;
    let browser = Browser::open("pages").await?;
    check_page(&browser, "/", "staff-sign-in").await?;
    check_page(&browser, "/portal", "portal").await?;
    check_page(&browser, &format!("/p/{}", fixture.tenant.slug), "company-portal").await?;
    check_page(&browser, &format!("/p/{}/register?token={}", fixture.tenant.slug, unique("not-a-token")), "register")
        .await?;
    browser.close().await
}

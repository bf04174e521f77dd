//! A company's accent colour: one algorithm (`web/js/accent.js`) for the staff dashboard and
//! the customer portal. Whatever colour a company picks, every text drawn on or with it keeps
//! a WCAG contrast of at least 4.5:1 (checked here with an independent computation), and both
//! sides show the same colours for the same company.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use portal_tests::{PASSWORD, eventually, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::Browser;

/// Every custom property an accent colour sets.
const PROPERTIES: [&str; 7] = [
    "--accent",
    "--accent-contrast",
    "--accent-text",
    "--accent-strong",
    "--accent-hover",
    "--accent-hover-contrast",
    "--accent-soft",
];
/// styles.css: the page background and the body text (on --accent-soft).
const PAGE_BG: &str = "#f4f6f9";
const TEXT: &str = "#1b2330";
const MIN_CONTRAST: f64 = 4.5;

/// The page's own module, asked for the properties of every colour of a 16-level grid per
/// channel (4096 colours, mid-greys such as #777777 among them) and of `arguments[0]`.
const ALL_PROPERTIES: &str = r#"
return import('/js/accent.js').then((accent) => {
  const colours = [...arguments[0]];
  for (let r = 0; r < 256; r += 17) for (let g = 0; g < 256; g += 17) for (let b = 0; b < 256; b += 17) colours.push(accent.toHex([r, g, b]));
  return Object.fromEntries(colours.map((hex) => [hex, accent.accentProperties(hex)]));
});
"#;

/// The accent properties set on the page's root element.
const ROOT_PROPERTIES: &str = r#"
const style = document.documentElement.style;
return Object.fromEntries(arguments[0].map((name) => [name, style.getPropertyValue(name)]));
"#;

fn rgb(hex: &str) -> Result<[f64; 3]> {
    let digits = hex.strip_prefix('#').filter(|d| d.len() == 6).with_context(|| format!("not #rrggbb: {hex}"))?;
    let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).map(f64::from);
    Ok([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG 2 relative luminance.
fn luminance(hex: &str) -> Result<f64> {
    let linear = |c: f64| {
        let s = c / 255.0;
        if s <= 0.03928 { s / 12.92 } else { ((s + 0.055) / 1.055).powf(2.4) }
    };
    let [r, g, b] = rgb(hex)?;
    Ok(0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b))
}

fn contrast(a: &str, b: &str) -> Result<f64> {
    let (x, y) = (luminance(a)?, luminance(b)?);
    Ok((x.max(y) + 0.05) / (x.min(y) + 0.05))
}

#[tokio::test]
async fn any_accent_colour_keeps_its_texts_readable() -> Result<()> {
    let browser = Browser::open("accent").await?;
    browser.goto("/portal").await?;
    browser.find("main").await?;
    let extra = json!(["#777777", "#f5c518", "#0b6e4f", "#1d5bd6", "#ffffff", "#000000"]);
    let all = browser.client.execute(ALL_PROPERTIES, vec![extra]).await?;
    let all: BTreeMap<String, BTreeMap<String, String>> = serde_json::from_value(all)?;
    ensure!(all.len() >= 4096, "{} colours", all.len());
    for (colour, properties) in &all {
        let get = |name: &str| properties.get(name).map(String::as_str).with_context(|| format!("{colour}: no {name}"));
        ensure!(properties.len() == PROPERTIES.len(), "{colour}: {properties:?}");
        ensure!(get("--accent")? == colour, "{colour}: {properties:?}");
        let pairs = [
            ("text on the accent", get("--accent")?, get("--accent-contrast")?),
            ("text on the hovered accent", get("--accent-hover")?, get("--accent-hover-contrast")?),
            ("accent text on white", get("--accent-strong")?, "#ffffff"),
            ("accent text on the page", get("--accent-strong")?, PAGE_BG),
            ("text on the soft tint", get("--accent-soft")?, TEXT),
        ];
        for (what, a, b) in pairs {
            let ratio = contrast(a, b)?;
            ensure!(ratio >= MIN_CONTRAST, "{colour}: {what} {a} / {b} is {ratio:.2}:1");
        }
        ensure!(get("--accent-text")? == get("--accent-strong")?, "{colour}: one readable accent text {properties:?}");
    }
    ensure!(
        browser
            .client
            .execute("return import('/js/accent.js').then((a) => a.accentProperties('red'))", Vec::new())
            .await?
            == Value::Null,
        "a value that is not a colour has no properties"
    );
    browser.assert_no_console_errors().await?;
    browser.close().await
}

async fn root_properties(b: &Browser) -> Result<BTreeMap<String, String>> {
    let value = b.client.execute(ROOT_PROPERTIES, vec![json!(PROPERTIES)]).await?;
    Ok(serde_json::from_value(value)?)
}

#[tokio::test]
async fn the_dashboard_and_the_portal_show_a_company_in_the_same_colours() -> Result<()> {
    let t = tenant_fixture().await?;
    let colour = "#f5c518";
    t.admin.send(Method::PATCH, "/settings", Some(json!({ "accentColor": colour }))).await?.expect(200)?;
    let b = Browser::open("accent-both-sides").await?;

    b.goto("/").await?;
    b.fill("#login-email", &format!("admin@{}.example", t.tenant.slug)).await?;
    b.fill("#login-password", PASSWORD).await?;
    b.click("#login-form button[type=submit]").await?;
    b.wait_text("#contacts-title", "Contacts").await?;
    let page = &b;
    eventually(Duration::from_secs(10), || async move { Ok(root_properties(page).await?["--accent"] == colour) })
        .await?;
    let dashboard = root_properties(&b).await?;
    ensure!(dashboard.values().all(|v| !v.is_empty()), "the dashboard sets every property: {dashboard:?}");

    b.goto(&format!("/p/{}", t.tenant.slug)).await?;
    b.wait_text("#brand-name", t.tenant.name.as_str()).await?;
    eventually(Duration::from_secs(10), || async move { Ok(root_properties(page).await?["--accent"] == colour) })
        .await?;
    let portal = root_properties(&b).await?;
    ensure!(dashboard == portal, "dashboard {dashboard:?} and portal {portal:?} differ");

    // Sign-out takes the company's colours off the dashboard.
    b.goto("/").await?;
    b.wait_text("#contacts-title", "Contacts").await?;
    b.click("#sign-out").await?;
    b.wait_text("#login-notice", "You have signed out").await?;
    let cleared = root_properties(&b).await?;
    ensure!(cleared.values().all(String::is_empty), "the neutral palette is back: {cleared:?}");
    b.assert_no_console_errors().await?;
    b.close().await
}

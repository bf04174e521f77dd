//! Company settings and branding: name and accent colour, the logo uploaded to S3 through
//! a presigned URL and applied by object-events, and the public branding of a portal link.

use std::time::Duration;

use portal_tests::{SETTLE, anonymous, assert_problem, eventually, put_presigned, tenant_fixture, upload_logo};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_admin_brands_the_company_and_the_portal_link_shows_it() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let slug = t.tenant.slug.to_string();
    let before = anonymous().get(&format!("/branding/{slug}")).await?.expect(200)?;
    assert_eq!(before["name"], t.tenant.name.to_string());
    assert!(before.get("logoPath").is_none() && before.get("accentColor").is_none(), "{before}");

    let changed = t
        .admin
        .send(Method::PATCH, "/settings", Some(json!({ "name": "Acme Accounting", "accentColor": "#0A7F5A" })))
        .await?
        .expect(200)?;
    assert_eq!(changed["name"], "Acme Accounting");
    assert_eq!(changed["accentColor"], "#0a7f5a");
    assert_eq!(t.viewer.get("/settings").await?.expect(200)?["accentColor"], "#0a7f5a");

    let png = b"\x89PNG\r\n\x1a\n a tiny logo".to_vec();
    let logo_id = upload_logo(&t.admin, &png).await?;
    let branding = anonymous().get(&format!("/branding/{slug}")).await?.expect(200)?;
    assert_eq!(branding["name"], "Acme Accounting");
    assert_eq!(branding["accentColor"], "#0a7f5a");
    let logo_path = branding["logoPath"].as_str().unwrap().to_owned();
    assert_eq!(logo_path, format!("/branding/{slug}/logo?v={logo_id}"));

    // The logo path redirects to a short-lived URL that serves the same bytes inline.
    let api = portal_tests::env().api_url.clone();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let response = no_redirects.get(format!("{api}{logo_path}")).send().await?;
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str()?.to_owned();
    let image = reqwest::get(&location).await?;
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(image.bytes().await?.to_vec(), png);

    // A second logo replaces the first.
    let second = upload_logo(&t.admin, b"\x89PNG second").await?;
    assert_ne!(second, logo_id);

    // An upload that is not what was announced is refused, and the logo stays.
    let ticket = t.admin.post("/settings/logo", json!({ "contentType": "image/png", "size": 4 })).await?.expect(201)?;
    let mut upload = ticket["upload"].clone();
    upload["headers"]["content-type"] = json!("image/png");
    put_presigned(&upload, b"far more than four bytes".to_vec()).await?;
    // object-events deletes the pending record once it has decided (rejected or applied):
    // the logo can be checked then, not after a guessed delay.
    let refused: portal_shared::domain::LogoId = ticket["logo"]["id"].as_str().unwrap_or_default().parse()?;
    eventually(SETTLE, || async { Ok(t.store.pending_logo(t.tenant.id, refused).await?.is_none()) }).await?;
    assert_eq!(t.viewer.get("/settings").await?.expect(200)?["logo"]["id"], second.as_str());

    // Removing the logo: the branding has none, the logo path is a 404.
    t.admin.send(Method::DELETE, "/settings/logo", None).await?.expect(204)?;
    eventually(Duration::from_secs(30), || async {
        Ok(anonymous().get(&format!("/branding/{slug}")).await?.expect(200)?.get("logoPath").is_none())
    })
    .await?;
    assert_problem(&anonymous().get(&format!("/branding/{slug}/logo")).await?, 404);
    assert_problem(&t.admin.send(Method::DELETE, "/settings/logo", None).await?, 404);
    Ok(())
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    for body in [
        json!({ "accentColor": "red" }),
        json!({ "accentColor": "#12345" }),
        json!({ "name": "" }),
        json!({ "name": "x".repeat(201) }),
        json!({ "slug": "stolen" }),
        json!({}),
    ] {
        assert_problem(&t.admin.send(Method::PATCH, "/settings", Some(body)).await?, 422);
    }
    for body in [
        json!({ "contentType": "image/svg+xml", "size": 100 }),
        json!({ "contentType": "text/html", "size": 100 }),
        json!({ "contentType": "image/png", "size": 0 }),
        json!({ "contentType": "image/png", "size": 2 * 1024 * 1024 }),
        json!({ "contentType": "image/png" }),
    ] {
        assert_problem(&t.admin.post("/settings/logo", body).await?, 422);
    }
    let settings = t.viewer.get("/settings").await?.expect(200)?;
    assert_eq!(settings["name"], t.tenant.name.to_string());
    assert!(settings.get("accentColor").is_none() && settings.get("logo").is_none());
    for slug in ["no-such-portal", "Bad_Slug", "..%2Fx"] {
        let response = anonymous().get(&format!("/branding/{slug}")).await?;
        assert!(matches!(response.status, 400 | 404), "{slug}: {}", response.status);
        assert_eq!(response.content_type, "application/problem+json");
    }
    Ok(())
}

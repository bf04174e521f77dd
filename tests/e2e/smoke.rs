//! `cargo xtask smoke` (xtask/src/smoke.rs) against the local gateway, which serves the site
//! as CloudFront does (pages, config.js, /api, the response headers policy): every check
//! passes with a seeded admin and the round trip leaves nothing behind; and the checks fail
//! where they should: a site that answers everything with a page and no security headers, a
//! wrong password, a download that does not give back the uploaded bytes (with the cleanup
//! still done). The bucket's CORS preflight passes locally whatever the template says (moto
//! allows every origin: docs/local-stack.md); only a deployed stack tests it.

use anyhow::Result;
use portal_tests::{PASSWORD, SETTLE, env, ids, sdk, tenant_fixture};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use xtask::gateway::API_PREFIX;
use xtask::smoke::{Credentials, Options, Outcome, Report};

/// The site's origin: the gateway serves the API under /api.
fn public_url() -> String {
    env().api_url.strip_suffix(API_PREFIX).expect("the API is served under /api").to_owned()
}

fn options(admin: Option<Credentials>) -> Options {
    Options { admin, settle: SETTLE, ..Options::new(&public_url()) }
}

fn failed_names(report: &Report) -> Vec<&str> {
    report.failed().map(|c| c.name.as_str()).collect()
}

/// What is left of the tenant's documents and contacts, read through the API.
async fn leftovers(t: &portal_tests::TenantFixture) -> Result<(Vec<String>, Vec<String>)> {
    let documents = ids(&t.admin.get("/documents").await?.expect(200)?);
    let contacts = ids(&t.admin.get("/contacts").await?.expect(200)?);
    Ok((documents, contacts))
}

/// The object versions (and delete markers) under the tenant's prefix of the bucket.
async fn stored_versions(tenant: &str) -> Result<usize> {
    let s3 = portal_shared::aws::s3_client(&sdk().await);
    let listed =
        s3.list_object_versions().bucket(&env().stack.bucket).prefix(format!("tenants/{tenant}/")).send().await?;
    Ok(listed.versions().len() + listed.delete_markers().len())
}

#[tokio::test]
async fn every_smoke_check_passes_against_the_local_gateway_and_leaves_nothing() -> Result<()> {
    let t = tenant_fixture().await?;
    let admin = Credentials { email: format!("admin@{}.example", t.tenant.slug), password: PASSWORD.to_owned() };
    let report = xtask::smoke::run(&options(Some(admin))).await;
    println!("{report}");
    assert!(report.passed(), "failed: {:?}", failed_names(&report));
    // Every check ran: the anonymous ones, the round trip, the cleanup.
    for name in [
        "GET / sends the security headers",
        "GET /config.js",
        "GET /api/branding/",
        "GET /api/me without a token",
        "staff sign-in",
        "documents bucket CORS preflight",
        "upload settled",
        "shared with the test contact",
        "downloaded bytes are the uploaded ones",
        "document deleted",
        "test contact deleted",
    ] {
        let check = report.check(name).unwrap_or_else(|| panic!("no check {name}"));
        assert!(matches!(check.outcome, Outcome::Passed { .. }), "{check}");
    }
    assert_eq!(leftovers(&t).await?, (vec![], vec![]), "the smoke run's document and contact are gone");
    assert_eq!(stored_versions(&t.tenant.id.to_string()).await?, 0, "every version of the upload is deleted");
    Ok(())
}

/// A site that answers every path with the same page and no security headers (a
/// distribution without the response headers policy whose errors fall back to index.html):
/// the pages still look like pages, everything else must fail.
#[tokio::test]
async fn the_checks_fail_against_a_site_without_the_api_or_security_headers() -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move {
        // Bounded: the anonymous checks make six requests.
        for _ in 0..32 {
            let Ok((mut stream, _)) = listener.accept().await else { break };
            let mut request = Vec::new();
            let mut buffer = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let body = "<!doctype html><title>Portal</title>";
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    let report = xtask::smoke::run(&Options::new(&format!("http://{address}"))).await;
    server.abort();
    let _ = server.await; // the listener is closed once the task is gone
    println!("{report}");
    assert!(!report.passed());
    let outcome = |name: &str| report.check(name).unwrap_or_else(|| panic!("no check {name}")).outcome.clone();
    assert!(matches!(outcome("GET / is a page"), Outcome::Passed { .. }));
    let Outcome::Failed { seen, .. } = outcome("GET / sends the security headers") else { panic!("headers passed") };
    assert!(seen.contains("content-security-policy: `(none)`") && seen.contains("x-frame-options: `(none)`"), "{seen}");
    for name in ["GET /config.js", "GET /api/branding/", "GET /api/me without a token"] {
        assert!(matches!(outcome(name), Outcome::Failed { .. }), "{name} should fail: {:?}", outcome(name));
    }
    // Nothing listening: every check fails, none passes by default.
    let report = xtask::smoke::run(&Options::new(&format!("http://{address}"))).await;
    assert!(report.checks.iter().all(|c| matches!(c.outcome, Outcome::Failed { .. })), "{report}");
    Ok(())
}

#[tokio::test]
async fn a_wrong_password_fails_the_sign_in_and_makes_nothing() -> Result<()> {
    let t = tenant_fixture().await?;
    let admin =
        Credentials { email: format!("admin@{}.example", t.tenant.slug), password: "Wrong-Passw0rd!42".to_owned() };
    let report = xtask::smoke::run(&options(Some(admin))).await;
    println!("{report}");
    assert_eq!(failed_names(&report), vec!["staff sign-in"]);
    assert!(matches!(report.check("upload ticket").unwrap().outcome, Outcome::Skipped { .. }));
    assert_eq!(leftovers(&t).await?, (vec![], vec![]));
    Ok(())
}

/// The stored bytes disappear between the upload and the download (deleted behind the
/// API's back when the upload has settled): the download check fails, and the run still
/// deletes its document and contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_without_the_uploaded_bytes_fails_and_the_run_still_cleans_up() -> Result<()> {
    let t = tenant_fixture().await?;
    let admin = Credentials { email: format!("admin@{}.example", t.tenant.slug), password: PASSWORD.to_owned() };
    let tenant = t.tenant.id.to_string();
    let s3 = portal_shared::aws::s3_client(&sdk().await);
    let bucket = env().stack.bucket.clone();
    let runtime = tokio::runtime::Handle::current();
    let mut tampered = 0;
    let mut tamper = |check: &xtask::smoke::Check| {
        if check.name != "upload settled" || !check.passed() {
            return;
        }
        // Every version under the tenant's prefix: the settled upload is the only object.
        tampered = tokio::task::block_in_place(|| {
            runtime.block_on(async {
                let listed =
                    s3.list_object_versions().bucket(&bucket).prefix(format!("tenants/{tenant}/")).send().await?;
                let mut deleted = 0;
                for version in listed.versions() {
                    s3.delete_object()
                        .bucket(&bucket)
                        .key(version.key().unwrap_or_default())
                        .set_version_id(version.version_id().map(str::to_owned))
                        .send()
                        .await?;
                    deleted += 1;
                }
                anyhow::Ok(deleted)
            })
        })
        .expect("deleting the stored upload");
    };
    let report = xtask::smoke::run_with(&options(Some(admin)), &mut tamper).await;
    println!("{report}");
    assert_eq!(tampered, 1, "the upload's one version was deleted behind the API's back");
    assert_eq!(failed_names(&report), vec!["downloaded bytes are the uploaded ones"]);
    for name in ["document deleted", "test contact deleted"] {
        assert!(report.check(name).is_some_and(|c| matches!(c.outcome, Outcome::Passed { .. })), "{report}");
    }
    assert_eq!(leftovers(&t).await?, (vec![], vec![]));
    Ok(())
}

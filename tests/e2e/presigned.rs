//! Presigned URLs against LocalStack's S3, which checks signatures and expiry (moto does
//! not): the project's own presigning code (`portal_shared::storage`) signs, and S3 refuses
//! every request that differs from what was signed.

use std::time::Duration;

use portal_shared::domain::{ContentType, DocumentId, FileName, TenantId};
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::{PresignedRequest, Storage};
use reqwest::StatusCode;
use xtask::provision::LOCALSTACK_URL_ENV;

const TTL: u64 = 60;

async fn storage() -> anyhow::Result<Storage> {
    let endpoint = std::env::var(LOCALSTACK_URL_ENV).expect("PORTAL_LOCALSTACK_URL is set by `cargo xtask test`");
    let client = portal_shared::aws::s3_client(&xtask::provision::sdk_config(&endpoint).await);
    let bucket = portal_tests::unique("presigned");
    client.create_bucket().bucket(&bucket).send().await?;
    Ok(Storage::new(client, bucket))
}

/// Sends `body` as the browser would, with the signed headers except those in `skip`
/// (content-length always comes from the body itself) and with `replace` overriding some.
async fn send(
    request: &PresignedRequest,
    url: &str,
    body: Vec<u8>,
    replace: &[(&str, &str)],
) -> anyhow::Result<StatusCode> {
    let mut builder = reqwest::Client::new().request(request.method.parse()?, url);
    for (name, value) in &request.headers {
        if name == "content-length" {
            continue;
        }
        let value = replace.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or(value);
        builder = builder.header(name, value);
    }
    Ok(builder.body(body).send().await?.status())
}

fn ticket() -> (ObjectKey, ContentType, FileName) {
    (
        ObjectKey::document(TenantId::new(), DocumentId::new()),
        "application/pdf".parse().unwrap(),
        "Contract.pdf".parse().unwrap(),
    )
}

#[tokio::test]
async fn a_correct_upload_and_download_succeed_byte_for_byte() -> anyhow::Result<()> {
    let storage = storage().await?;
    let (key, content_type, name) = ticket();
    let bytes = b"%PDF-1.4 presigned".to_vec();
    let upload = storage.presign_upload(key, &content_type, bytes.len() as u64, TTL).await?;
    assert_eq!(send(&upload, &upload.url, bytes.clone(), &[]).await?, StatusCode::OK);
    let stored = storage.head(key).await?.expect("stored");
    assert_eq!((stored.size, stored.content_type.as_deref()), (bytes.len() as u64, Some("application/pdf")));

    let download = storage.presign_download(key, &name, &content_type, TTL).await?;
    let response = reqwest::get(&download.url).await?;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-disposition"].to_str()?.starts_with("attachment; filename=\"Contract.pdf\""));
    assert_eq!(response.bytes().await?.to_vec(), bytes);
    Ok(())
}

#[tokio::test]
async fn uploads_that_differ_from_what_was_signed_are_refused() -> anyhow::Result<()> {
    let storage = storage().await?;
    let (key, content_type, _) = ticket();
    let bytes = vec![7u8; 1000];
    let upload = storage.presign_upload(key, &content_type, bytes.len() as u64, TTL).await?;

    let signature_at = upload.url.find("X-Amz-Signature=").expect("a signed URL") + "X-Amz-Signature=".len();
    let mut tampered = upload.url.clone();
    let flipped = if &tampered[signature_at..signature_at + 1] == "0" { "1" } else { "0" };
    tampered.replace_range(signature_at..signature_at + 1, flipped);
    let ObjectKey::Document { document, .. } = key else { panic!("a document key") };
    let other_key = upload.url.replace(&document.to_string(), &DocumentId::new().to_string());

    for (what, url, body, replace) in [
        ("a tampered signature", tampered.as_str(), bytes.clone(), vec![]),
        ("another key", other_key.as_str(), bytes.clone(), vec![]),
        ("another content type", upload.url.as_str(), bytes.clone(), vec![("content-type", "text/html")]),
        ("a larger body", upload.url.as_str(), vec![7u8; 1001], vec![]),
        ("a smaller body", upload.url.as_str(), vec![7u8; 999], vec![]),
    ] {
        let status = send(&upload, url, body, &replace).await?;
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST, "{what}: {status}");
    }
    assert!(storage.head(key).await?.is_none(), "a refused upload stored an object");
    Ok(())
}

#[tokio::test]
async fn expired_urls_are_refused() -> anyhow::Result<()> {
    let storage = storage().await?;
    let (key, content_type, name) = ticket();
    let upload = storage.presign_upload(key, &content_type, 3, 1).await?;
    // A fresh upload URL works; the same kind of URL after its expiry does not.
    let live = storage.presign_upload(key, &content_type, 3, TTL).await?;
    assert_eq!(send(&live, &live.url, b"abc".to_vec(), &[]).await?, StatusCode::OK);
    let download = storage.presign_download(key, &name, &content_type, 1).await?;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(send(&upload, &upload.url, b"xyz".to_vec(), &[]).await?, StatusCode::FORBIDDEN);
    assert_eq!(reqwest::get(&download.url).await?.status(), StatusCode::FORBIDDEN);
    Ok(())
}

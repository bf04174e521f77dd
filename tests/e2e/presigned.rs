//! Presigned URLs against LocalStack's S3, which checks signatures and expiry (moto does
//! not): the project's own presigning code (`portal_shared::storage`) signs, and S3 refuses
//! every request that differs from what was signed. An upload URL works once (a signed
//! `If-None-Match: *`), and a download of a pinned version serves that version's bytes.

use std::time::Duration;

use portal_shared::domain::{ContentType, DocumentId, FileName, TenantId};
use portal_shared::object_key::ObjectKey;
use portal_shared::storage::{PresignedRequest, Storage};
use reqwest::StatusCode;
use xtask::provision::LOCALSTACK_URL_ENV;

const TTL: u64 = 60;

async fn storage() -> anyhow::Result<Storage> {
    Ok(Storage::new(localstack_s3().await, bucket(false).await?))
}

async fn localstack_s3() -> aws_sdk_s3::Client {
    let endpoint = std::env::var(LOCALSTACK_URL_ENV).expect("PORTAL_LOCALSTACK_URL is set by `cargo xtask test`");
    portal_shared::aws::s3_client(&xtask::provision::sdk_config(&endpoint).await)
}

/// A new bucket; `versioned` as the documents bucket is (deployed and on moto).
async fn bucket(versioned: bool) -> anyhow::Result<String> {
    let client = localstack_s3().await;
    let bucket = portal_tests::unique("presigned");
    client.create_bucket().bucket(&bucket).send().await?;
    if versioned {
        let enabled = aws_sdk_s3::types::VersioningConfiguration::builder()
            .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
            .build();
        client.put_bucket_versioning().bucket(&bucket).versioning_configuration(enabled).send().await?;
    }
    Ok(bucket)
}

/// Sends `body` as the browser would, with the signed headers except those in `skip`
/// (content-length always comes from the body itself) and with `replace` overriding some.
async fn send(
    request: &PresignedRequest,
    url: &str,
    body: Vec<u8>,
    replace: &[(&str, &str)],
) -> anyhow::Result<StatusCode> {
    send_without(request, url, body, replace, &[]).await
}

/// `send`, leaving out the headers named in `omit`.
async fn send_without(
    request: &PresignedRequest,
    url: &str,
    body: Vec<u8>,
    replace: &[(&str, &str)],
    omit: &[&str],
) -> anyhow::Result<StatusCode> {
    let mut builder = reqwest::Client::new().request(request.method.parse()?, url);
    for (name, value) in &request.headers {
        if name == "content-length" || omit.contains(&name.as_str()) {
            continue;
        }
        let value = replace.iter().find(|(n, _)| n == name).map(|(_, v)| *v).unwrap_or(value);
        builder = builder.header(name, value);
    }
    Ok(builder.body(body).send().await?.status())
}

async fn get(url: &str) -> anyhow::Result<(StatusCode, Vec<u8>)> {
    let response = reqwest::get(url).await?;
    Ok((response.status(), response.bytes().await?.to_vec()))
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
    let stored = storage.head(key, None).await?.expect("stored");
    assert_eq!((stored.size, stored.content_type.as_deref()), (bytes.len() as u64, Some("application/pdf")));

    let download = storage.presign_download(key, None, &name, &content_type, TTL).await?;
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
    assert!(storage.head(key, None).await?.is_none(), "a refused upload stored an object");
    Ok(())
}

#[tokio::test]
async fn expired_urls_are_refused() -> anyhow::Result<()> {
    let storage = storage().await?;
    let (key, content_type, name) = ticket();
    // Another key than the live one below: a refusal must be the expiry's, not the
    // conditional write's.
    let (unused, _, _) = ticket();
    let upload = storage.presign_upload(unused, &content_type, 3, 1).await?;
    // A fresh upload URL works; the same kind of URL after its expiry does not.
    let live = storage.presign_upload(key, &content_type, 3, TTL).await?;
    assert_eq!(send(&live, &live.url, b"abc".to_vec(), &[]).await?, StatusCode::OK);
    let download = storage.presign_download(key, None, &name, &content_type, 1).await?;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(send(&upload, &upload.url, b"xyz".to_vec(), &[]).await?, StatusCode::FORBIDDEN);
    assert_eq!(reqwest::get(&download.url).await?.status(), StatusCode::FORBIDDEN);
    assert!(storage.head(unused, None).await?.is_none(), "an expired URL stored an object");
    Ok(())
}

/// Issue 21: an upload URL stayed valid for its whole life, and a second PUT of the same
/// size and type replaced a settled document's bytes. The URL signs `If-None-Match: *`, so
/// S3 stores the object only while the key holds none: the second PUT is a 412, whatever
/// its bytes, and the first bytes stay.
#[tokio::test]
async fn an_upload_url_works_once() -> anyhow::Result<()> {
    let storage = Storage::new(localstack_s3().await, bucket(true).await?);
    let (key, content_type, name) = ticket();
    let first = b"Signed: yes".to_vec();
    let upload = storage.presign_upload(key, &content_type, first.len() as u64, TTL).await?;
    // The client is told to send it (the ticket's headers), and it is signed.
    assert_eq!(upload.headers.get("if-none-match").map(String::as_str), Some("*"), "{:?}", upload.headers);
    let url = url::Url::parse(&upload.url)?;
    let signed = url.query_pairs().find(|(name, _)| name == "X-Amz-SignedHeaders").map(|(_, v)| v.into_owned());
    let signed = signed.unwrap_or_default();
    assert!(signed.split(';').any(|h| h == "if-none-match"), "not signed: {signed}");

    assert_eq!(send(&upload, &upload.url, first.clone(), &[]).await?, StatusCode::OK);
    for (what, body) in [("other bytes of the same size", b"Signed: no!".to_vec()), ("the same bytes", first.clone())] {
        assert_eq!(send(&upload, &upload.url, body, &[]).await?, StatusCode::PRECONDITION_FAILED, "{what}");
    }
    let download = storage.presign_download(key, None, &name, &content_type, TTL).await?;
    assert_eq!(get(&download.url).await?, (StatusCode::OK, first));
    // Nothing but the first version was stored.
    let versions =
        localstack_s3().await.list_object_versions().bucket(storage.bucket()).prefix(key.to_string()).send().await?;
    assert_eq!(versions.versions().len(), 1, "{versions:?}");
    Ok(())
}

/// The conditional write is part of the signature: a client that leaves the header out
/// (to overwrite) is refused by the signature check, and so is one that changes it.
#[tokio::test]
async fn an_upload_without_the_signed_condition_is_refused() -> anyhow::Result<()> {
    let storage = storage().await?;
    let (key, content_type, _) = ticket();
    let bytes = b"abc".to_vec();
    let upload = storage.presign_upload(key, &content_type, bytes.len() as u64, TTL).await?;
    let without = send_without(&upload, &upload.url, bytes.clone(), &[], &["if-none-match"]).await?;
    assert_eq!(without, StatusCode::FORBIDDEN, "without If-None-Match");
    let changed = send(&upload, &upload.url, bytes.clone(), &[("if-none-match", "\"etag\"")]).await?;
    assert_eq!(changed, StatusCode::FORBIDDEN, "another If-None-Match");
    assert!(storage.head(key, None).await?.is_none(), "a refused upload stored an object");
    // The same URL with the header works.
    assert_eq!(send(&upload, &upload.url, bytes, &[]).await?, StatusCode::OK);
    Ok(())
}

/// A download names the document's pinned version: bytes put under the key afterwards
/// (where a write was not refused) are not what it serves, and the version is signed.
#[tokio::test]
async fn a_download_of_a_pinned_version_serves_its_bytes_only() -> anyhow::Result<()> {
    let s3 = localstack_s3().await;
    let storage = Storage::new(s3.clone(), bucket(true).await?);
    let (key, content_type, name) = ticket();
    let checked = b"Signed: yes".to_vec();
    let upload = storage.presign_upload(key, &content_type, checked.len() as u64, TTL).await?;
    assert_eq!(send(&upload, &upload.url, checked.clone(), &[]).await?, StatusCode::OK);
    let pinned = storage.head(key, None).await?.and_then(|s| s.version_id).expect("a versioned object");
    // Overwritten without the condition (with credentials, not the URL).
    let replaced = s3
        .put_object()
        .bucket(storage.bucket())
        .key(key.to_string())
        .content_type(content_type.as_str())
        .body(b"Signed: no!".to_vec().into())
        .send()
        .await?;
    let replaced: portal_shared::domain::ObjectVersion = replaced.version_id().expect("a new version").parse()?;
    assert_ne!(replaced, pinned);

    let download = storage.presign_download(key, Some(&pinned), &name, &content_type, TTL).await?;
    assert_eq!(get(&download.url).await?, (StatusCode::OK, checked));
    // Without a version, S3 serves the newest bytes: what the pin prevents.
    let unpinned = storage.presign_download(key, None, &name, &content_type, TTL).await?;
    assert_eq!(get(&unpinned.url).await?, (StatusCode::OK, b"Signed: no!".to_vec()));
    // The version is signed: another one in the same URL is refused.
    let swapped = download.url.replace(pinned.as_str(), replaced.as_str());
    assert_ne!(swapped, download.url, "the URL names its version");
    assert_eq!(get(&swapped).await?.0, StatusCode::FORBIDDEN);
    Ok(())
}

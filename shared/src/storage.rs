//! The documents bucket: presigned uploads and downloads (file bytes never pass through
//! Lambda), and the checks object-events makes on what arrived.
//!
//! Uploads are presigned PUTs that sign `content-type`, `content-length` and
//! `if-none-match: *`: S3 refuses a request whose headers differ from the signed ones, and
//! the conditional write makes the URL single-use (a second PUT to the key is a 412, so a
//! settled document's bytes cannot be replaced for the rest of the URL's life). The AWS SDK
//! for Rust has no presigned POST, and an emulator may not enforce signatures, so
//! object-events also checks every object against its pending record (HeadObject), deletes
//! what breaks the rules, and pins the version it checked: downloads name that version, so a
//! later object under the key is never served (see `docs/architecture.md`).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::{ContentType, FileName, ObjectVersion};
use crate::error::ApiError;
use crate::object_key::ObjectKey;

#[derive(Clone, Debug)]
pub struct Storage {
    client: Client,
    bucket: String,
}

/// A request the browser makes straight to S3.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PresignedRequest {
    pub method: String,
    pub url: String,
    /// Headers the request must carry exactly (they are part of the signature).
    pub headers: BTreeMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// What S3 holds under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    pub content_type: Option<String>,
    /// Set when the bucket is versioned (it is, deployed and locally).
    pub version_id: Option<ObjectVersion>,
}

/// The header a presigned upload signs so that S3 stores the object only if the key holds
/// none yet (a conditional write): the URL works once.
pub const IF_NONE_MATCH: (&str, &str) = ("if-none-match", "*");

fn presigning(ttl_seconds: u64) -> Result<PresigningConfig, ApiError> {
    PresigningConfig::expires_in(Duration::from_secs(ttl_seconds))
        .map_err(|e| ApiError::Internal(format!("presigning config: {e}")))
}

impl PresignedRequest {
    fn new(presigned: aws_sdk_s3::presigning::PresignedRequest, ttl_seconds: u64) -> Self {
        Self {
            method: presigned.method().to_owned(),
            url: presigned.uri().to_owned(),
            headers: presigned.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
            expires_at: OffsetDateTime::now_utc() + Duration::from_secs(ttl_seconds),
        }
    }
}

/// `attachment` with the original name: an ASCII fallback and the RFC 5987 UTF-8 form.
/// Served as an attachment, an uploaded HTML or SVG file never renders on any origin.
/// The name holds no bidi control or invisible character (`FileName` strips them), so
/// neither form can show a name other than the one listed. The fallback is a quoted string
/// of printable ASCII without `"`, `\`, `;` and `%` (some browsers percent-decode it); the
/// UTF-8 form percent-encodes every byte but letters and digits.
pub fn attachment_disposition(name: &FileName) -> String {
    let fallback: String = name
        .as_str()
        .chars()
        .map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' { c } else { '_' })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name.as_str(), percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

impl Storage {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub async fn presign_upload(
        &self,
        key: ObjectKey,
        content_type: &ContentType,
        size: u64,
        ttl_seconds: u64,
    ) -> Result<PresignedRequest, ApiError> {
        let size = i64::try_from(size).map_err(|_| ApiError::Invalid("size: too large".into()))?;
        let presigned = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .content_type(content_type.as_str())
            .content_length(size)
            .if_none_match(IF_NONE_MATCH.1)
            .presigned(presigning(ttl_seconds)?)
            .await
            .map_err(|e| ApiError::Internal(format!("presign PutObject: {e}")))?;
        Ok(PresignedRequest::new(presigned, ttl_seconds))
    }

    /// A GET of `version` (the one object-events checked) when given: bytes put under the
    /// key later are never what it serves. `None` only for documents settled before
    /// versions were pinned.
    pub async fn presign_download(
        &self,
        key: ObjectKey,
        version: Option<&ObjectVersion>,
        name: &FileName,
        content_type: &ContentType,
        ttl_seconds: u64,
    ) -> Result<PresignedRequest, ApiError> {
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .response_content_disposition(attachment_disposition(name))
            .response_content_type(content_type.as_str())
            .presigned(presigning(ttl_seconds)?)
            .await
            .map_err(|e| ApiError::Internal(format!("presign GetObject: {e}")))?;
        Ok(PresignedRequest::new(presigned, ttl_seconds))
    }

    /// A short-lived GET that shows an image inline with its type pinned (the tenant's logo,
    /// an image type we checked on upload).
    pub async fn presign_view(
        &self,
        key: ObjectKey,
        content_type: &ContentType,
        ttl_seconds: u64,
    ) -> Result<PresignedRequest, ApiError> {
        let presigned = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .response_content_disposition("inline")
            .response_content_type(content_type.as_str())
            .response_cache_control("private, max-age=300")
            .presigned(presigning(ttl_seconds)?)
            .await
            .map_err(|e| ApiError::Internal(format!("presign GetObject: {e}")))?;
        Ok(PresignedRequest::new(presigned, ttl_seconds))
    }

    /// Deletes every version (and delete marker) of an object, so its bytes are gone from
    /// the versioned bucket. Repeating it is harmless.
    pub async fn delete_all_versions(&self, key: ObjectKey) -> Result<(), ApiError> {
        let key = key.to_string();
        let listed = self
            .client
            .list_object_versions()
            .bucket(&self.bucket)
            .prefix(&key)
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("ListObjectVersions", e))?;
        let versions =
            listed.versions().iter().filter(|v| v.key() == Some(key.as_str())).filter_map(|v| v.version_id()).chain(
                listed.delete_markers().iter().filter(|m| m.key() == Some(key.as_str())).filter_map(|m| m.version_id()),
            );
        for version in versions {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(&key)
                .version_id(version)
                .send()
                .await
                .map_err(|e| ApiError::from_sdk("DeleteObject", e))?;
        }
        Ok(())
    }

    /// HeadObject of the current object, or of one `version`; `None` when it is gone
    /// (deleted before we looked).
    pub async fn head(
        &self,
        key: ObjectKey,
        version: Option<&ObjectVersion>,
    ) -> Result<Option<StoredObject>, ApiError> {
        let request = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .set_version_id(version.map(|v| v.as_str().to_owned()));
        match request.send().await {
            Ok(head) => Ok(Some(StoredObject {
                size: head.content_length.unwrap_or_default().max(0) as u64,
                content_type: head.content_type,
                version_id: head
                    .version_id
                    .map(|v| v.parse())
                    .transpose()
                    .map_err(|e| ApiError::Internal(format!("HeadObject: version id {e}")))?,
            })),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(err) => Err(ApiError::from_sdk("HeadObject", err)),
        }
    }

    /// Deletes an object; with its version id the bytes themselves are gone (in a versioned
    /// bucket a plain delete only adds a delete marker and keeps them).
    pub async fn delete(&self, key: ObjectKey, version_id: Option<&ObjectVersion>) -> Result<(), ApiError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.to_string())
            .set_version_id(version_id.map(|v| v.as_str().to_owned()))
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("DeleteObject", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_are_attachments_with_safe_fallbacks() {
        let name: FileName = "Résumé \"final\";.pdf".parse().unwrap();
        let header = attachment_disposition(&name);
        assert!(header.starts_with("attachment; filename=\"R_sum_ _final__.pdf\""), "{header}");
        assert!(header.ends_with("filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22%3B%2Epdf"), "{header}");
    }

    #[test]
    fn dispositions_carry_no_bidi_control_nor_invisible_character() {
        let name: FileName = "inv\u{200B}oice\u{202E}fdp.exe 100%.txt".parse().unwrap();
        let header = attachment_disposition(&name);
        assert_eq!(
            header,
            "attachment; filename=\"invoicefdp.exe 100_.txt\"; filename*=UTF-8''invoicefdp%2Eexe%20100%25%2Etxt"
        );
        // An emoji ZWJ sequence is the one joiner a name keeps, encoded byte by byte.
        let name: FileName = "👩\u{200D}💻.png".parse().unwrap();
        assert!(attachment_disposition(&name).ends_with("filename*=UTF-8''%F0%9F%91%A9%E2%80%8D%F0%9F%92%BB%2Epng"));
    }
}

//! The verdict on an uploaded object: exactly what was presigned, or why not.

use portal_shared::model::Document;
use portal_shared::storage::StoredObject;
use portal_shared::telemetry::clip;

/// The object must be exactly what was presigned: same size, same content type.
pub fn check(document: &Document, stored: &StoredObject) -> Result<(), String> {
    check_size_and_type(document.size, document.content_type.as_str(), stored)
}

pub(crate) fn check_size_and_type(size: u64, content_type: &str, stored: &StoredObject) -> Result<(), String> {
    if stored.size != size {
        return Err(format!("the file has {} bytes, {size} were announced", stored.size));
    }
    let stored_type =
        stored.content_type.as_deref().map(|t| t.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    if stored_type.as_deref() != Some(content_type) {
        // The stored type is whatever the PUT said: bounded, as it is logged and stored.
        return Err(format!(
            "the file is of type {}, {content_type} was announced",
            clip(stored_type.as_deref().unwrap_or("unknown")),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::domain::{DocumentId, DocumentStatus, TenantId};
    use portal_shared::model::UploaderKind;
    use time::OffsetDateTime;

    fn document(size: u64, content_type: &str) -> Document {
        Document {
            id: DocumentId::new(),
            tenant_id: TenantId::new(),
            name: "a.pdf".parse().unwrap(),
            content_type: content_type.parse().unwrap(),
            size,
            status: DocumentStatus::Pending,
            uploaded_by: "sub".parse().unwrap(),
            uploader_kind: UploaderKind::Staff,
            folder_id: None,
            contact_id: None,
            seen_at: None,
            created_at: OffsetDateTime::now_utc(),
            available_at: None,
            rejected_reason: None,
            version_id: None,
        }
    }

    #[test]
    fn objects_must_match_what_was_presigned() {
        let doc = document(5, "application/pdf");
        let stored =
            |size, ct: Option<&str>| StoredObject { size, content_type: ct.map(str::to_owned), version_id: None };
        assert_eq!(check(&doc, &stored(5, Some("application/pdf"))), Ok(()));
        assert_eq!(check(&doc, &stored(5, Some("Application/PDF; x=y"))), Ok(()));
        assert!(check(&doc, &stored(6, Some("application/pdf"))).unwrap_err().contains("6 bytes"));
        assert!(check(&doc, &stored(5, Some("text/html"))).unwrap_err().contains("text/html"));
        assert!(check(&doc, &stored(5, None)).is_err());
        // A hostile content type is quoted bounded (the reason is logged and stored).
        let hostile = format!("x/{}", "y".repeat(100_000));
        let reason = check(&doc, &stored(5, Some(&hostile))).unwrap_err();
        assert!(reason.len() < 1200 && reason.contains("more bytes]"), "{} bytes", reason.len());
    }
}

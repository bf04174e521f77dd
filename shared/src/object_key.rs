//! S3 object keys. The server builds every key (`tenants/{tenant}/documents/{document}`);
//! the file name a user gave lives in DynamoDB only, so no input can shape a key.

use std::fmt;
use std::str::FromStr;

use crate::domain::{DocumentId, LogoId, ParseError, TenantId};

/// Every object the bucket holds, under its tenant's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKey {
    /// `tenants/{tenant}/documents/{document}`: a document's bytes.
    Document { tenant: TenantId, document: DocumentId },
    /// `tenants/{tenant}/branding/{logo}`: one uploaded version of the tenant's logo.
    Logo { tenant: TenantId, logo: LogoId },
}

impl ObjectKey {
    pub fn document(tenant: TenantId, document: DocumentId) -> Self {
        Self::Document { tenant, document }
    }

    pub fn logo(tenant: TenantId, logo: LogoId) -> Self {
        Self::Logo { tenant, logo }
    }

    pub fn tenant(&self) -> TenantId {
        match *self {
            Self::Document { tenant, .. } | Self::Logo { tenant, .. } => tenant,
        }
    }

    /// Parses a key as it arrives in an S3 event notification: URL-encoded, with `+` for
    /// spaces. Anything that is not exactly a key we build is refused.
    pub fn from_event_key(encoded: &str) -> Result<Self, ParseError> {
        let plus_decoded = encoded.replace('+', " ");
        let decoded = percent_encoding::percent_decode_str(&plus_decoded)
            .decode_utf8()
            .map_err(|_| ParseError("object key is not UTF-8".into()))?;
        decoded.parse()
    }

    /// The tenant's prefix: every object of a tenant lives below it.
    pub fn tenant_prefix(tenant: TenantId) -> String {
        format!("tenants/{tenant}/")
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Document { tenant, document } => write!(f, "tenants/{tenant}/documents/{document}"),
            Self::Logo { tenant, logo } => write!(f, "tenants/{tenant}/branding/{logo}"),
        }
    }
}

impl FromStr for ObjectKey {
    type Err = ParseError;

    fn from_str(key: &str) -> Result<Self, ParseError> {
        let bad = || ParseError(format!("not an object key of ours: {key:?}"));
        let mut parts = key.split('/');
        let (Some("tenants"), Some(tenant), Some(kind), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let tenant = tenant.parse().map_err(|_| bad())?;
        match kind {
            "documents" => Ok(Self::Document { tenant, document: id.parse().map_err(|_| bad())? }),
            "branding" => Ok(Self::Logo { tenant, logo: id.parse().map_err(|_| bad())? }),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_stay_under_their_tenant_prefix() {
        let key = ObjectKey::document(TenantId::new(), DocumentId::new());
        let text = key.to_string();
        assert!(text.starts_with(&ObjectKey::tenant_prefix(key.tenant())));
        assert_eq!(text.parse::<ObjectKey>().unwrap(), key);
        let logo = ObjectKey::logo(TenantId::new(), LogoId::new());
        assert_eq!(logo.to_string().parse::<ObjectKey>().unwrap(), logo);
    }

    #[test]
    fn event_keys_are_url_decoded() {
        let key = ObjectKey::document(TenantId::new(), DocumentId::new());
        let encoded = key.to_string().replace('/', "%2F");
        assert_eq!(ObjectKey::from_event_key(&encoded).unwrap(), key);
    }

    #[test]
    fn foreign_or_crafted_keys_are_refused() {
        let tenant = TenantId::new();
        let document = DocumentId::new();
        for bad in [
            String::new(),
            format!("tenants/{tenant}/documents/{document}/extra"),
            format!("tenants/{tenant}/../other/documents/{document}"),
            format!("tenants/{tenant}/logos/{document}"),
            format!("/tenants/{tenant}/documents/{document}"),
            format!("tenants/{tenant}/documents/report.pdf"),
            format!("tenants/{tenant}/branding/logo.png"),
            "s3:TestEvent".to_owned(),
        ] {
            assert!(bad.parse::<ObjectKey>().is_err(), "{bad:?} was accepted");
        }
    }
}

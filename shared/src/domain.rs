//! Domain types that cannot hold a bad value: each is parsed once at the edge (JSON body,
//! path parameter, DynamoDB item) and trusted everywhere after.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a value was refused; becomes a 422 with the field name in front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn refuse<T>(reason: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(reason.into()))
}

/// Identifiers are UUIDs (v7 when we create them, so that ids sort by creation time).
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                // Only the canonical hyphenated lower-case form, so one id has one spelling
                // (it is part of keys and object keys).
                match Uuid::try_parse(s) {
                    Ok(id) if id.hyphenated().to_string() == s => Ok(Self(id)),
                    _ => refuse("not a valid id"),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A tenant: one company using the portal.
    TenantId
);
uuid_id!(
    /// A contact (a customer person) of one tenant.
    ContactId
);
uuid_id!(
    /// A document in a tenant's drive.
    DocumentId
);
uuid_id!(
    /// An organization (a customer company) grouping contacts of one tenant.
    OrganizationId
);
uuid_id!(
    /// A folder of a tenant's drive.
    FolderId
);
uuid_id!(
    /// The id of a folder or a document, where either may be meant (ids are unique
    /// across both).
    ItemId
);
uuid_id!(
    /// An entry of the activity trail (v7: entries sort by time).
    EventId
);
uuid_id!(
    /// One uploaded version of a tenant's logo.
    LogoId
);
uuid_id!(
    /// A bulk change run as a job (`jobs`).
    JobId
);

/// String newtypes: parsed by `parse`, serialized as the plain string.
macro_rules! string_type {
    ($(#[$doc:meta])* $name:ident, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                let parse: fn(&str) -> Result<String, ParseError> = $parse;
                parse(s).map(Self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(s: String) -> Result<Self, ParseError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_type!(
    /// An email address, trimmed and lower-cased (the identity of a contact or account).
    Email,
    parse_email
);
string_type!(
    /// A person's or company's display name.
    DisplayName,
    parse_display_name
);
string_type!(
    /// The original name of an uploaded file (kept in DynamoDB, never used in an S3 key).
    FileName,
    parse_file_name
);
string_type!(
    /// A MIME type `type/subtype`, lower-cased, without parameters.
    ContentType,
    parse_content_type
);
string_type!(
    /// The Cognito `sub` of an account.
    UserSub,
    parse_user_sub
);
string_type!(
    /// The URL-safe name of a tenant in its portal link `/p/{slug}`.
    Slug,
    parse_slug
);
string_type!(
    /// A tenant's brand colour, `#rrggbb` in lower case.
    AccentColor,
    parse_accent_color
);
string_type!(
    /// The id S3 gave one version of an object in the versioned documents bucket: a settled
    /// document is pinned to the version that was checked, and only that one is served.
    ObjectVersion,
    parse_object_version
);

/// Control characters and the Unicode line and paragraph separators (line breaks too).
fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

fn parse_email(raw: &str) -> Result<String, ParseError> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 {
        return refuse("is longer than 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return refuse("is not an email address");
    };
    let valid_local = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_domain = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid_local && valid_domain { Ok(email) } else { refuse("is not an email address") }
}

/// Names keep what people type, without bidi controls and invisible characters (see
/// `invisible`): they cannot show something other than what they are.
fn parse_display_name(raw: &str) -> Result<String, ParseError> {
    let visible = crate::invisible::strip(raw);
    let name = visible.trim();
    match name.chars().count() {
        0 => refuse("must not be empty"),
        n if n > 200 => refuse("is longer than 200 characters"),
        _ if has_control(name) => refuse("contains control characters"),
        _ => Ok(name.to_owned()),
    }
}

/// As a display name, and never a path: the name a download is saved under.
fn parse_file_name(raw: &str) -> Result<String, ParseError> {
    let visible = crate::invisible::strip(raw);
    let name = visible.trim();
    if name.is_empty() {
        return refuse("must not be empty");
    }
    if name.chars().count() > 255 {
        return refuse("is longer than 255 characters");
    }
    if has_control(name) || name.contains('/') || name.contains('\\') {
        return refuse("must not contain slashes or control characters");
    }
    if name == "." || name == ".." {
        return refuse("is not a file name");
    }
    Ok(name.to_owned())
}

fn parse_content_type(raw: &str) -> Result<String, ParseError> {
    let value = raw.trim().to_ascii_lowercase();
    let is_token = |part: &str| {
        !part.is_empty()
            && part.len() <= 64
            && part.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match value.split_once('/') {
        Some((kind, subtype)) if is_token(kind) && is_token(subtype) => Ok(value),
        _ => refuse("is not a media type like `application/pdf`"),
    }
}

fn parse_user_sub(raw: &str) -> Result<String, ParseError> {
    if !raw.is_empty() && raw.len() <= 128 && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(raw.to_owned())
    } else {
        refuse("is not a user id")
    }
}

/// Portal links that would shadow the site's own paths, or pass for the operator's, or
/// mislead a customer (`/p/admin`): never a company's.
pub const RESERVED_SLUGS: &[&str] = &[
    "api",
    "admin",
    "administrator",
    "www",
    "portal",
    "p",
    "app",
    "static",
    "assets",
    "signup",
    "sign-up",
    "login",
    "signin",
    "sign-in",
    "register",
    "mailbox",
    "support",
    "help",
    "security",
    "status",
    "root",
    "system",
    "staff",
    "operator",
    "billing",
    "mail",
    "email",
    "config",
    "settings",
    "dashboard",
];

fn parse_slug(raw: &str) -> Result<String, ParseError> {
    let valid = (3..=63).contains(&raw.len())
        && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
        && !raw.contains("--");
    if !valid {
        return refuse("must be 3 to 63 lower-case letters, digits and single hyphens");
    }
    if RESERVED_SLUGS.contains(&raw) {
        return refuse("is reserved; choose another portal address");
    }
    Ok(raw.to_owned())
}

fn parse_accent_color(raw: &str) -> Result<String, ParseError> {
    let value = raw.trim().to_ascii_lowercase();
    match value.strip_prefix('#') {
        Some(hex) if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) => Ok(value),
        _ => refuse("must be a colour like #1a73e8"),
    }
}

/// S3 version ids are opaque URL-safe strings (`null` for an object stored before
/// versioning); the bound keeps a hostile event's value out of keys, URLs and logs.
fn parse_object_version(raw: &str) -> Result<String, ParseError> {
    if !raw.is_empty() && raw.len() <= 1024 && raw.chars().all(|c| c.is_ascii_graphic()) {
        Ok(raw.to_owned())
    } else {
        refuse("is not an object version id")
    }
}

/// What a staff member may do in their tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including staff, settings and branding.
    Admin,
    /// Contacts, portal access, sharing and documents.
    Member,
    /// Read-only over the whole tenant drive and contacts.
    Viewer,
}

impl Role {
    pub fn can_write(self) -> bool {
        matches!(self, Self::Admin | Self::Member)
    }

    pub fn is_admin(self) -> bool {
        self == Self::Admin
    }
}

/// What can be shared: a folder (with whatever it holds, now and later) or one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "ItemRefFields", into = "ItemRefFields")]
pub enum ItemRef {
    Folder(FolderId),
    Document(DocumentId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    Folder,
    Document,
}

/// The JSON form of an [`ItemRef`]: `{"kind": "document", "id": "…"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemRefFields {
    kind: ItemKind,
    id: String,
}

impl TryFrom<ItemRefFields> for ItemRef {
    type Error = ParseError;
    fn try_from(fields: ItemRefFields) -> Result<Self, ParseError> {
        Self::parse(fields.kind, &fields.id)
    }
}

impl From<ItemRef> for ItemRefFields {
    fn from(item: ItemRef) -> Self {
        Self { kind: item.kind(), id: item.id() }
    }
}

impl ItemRef {
    pub fn parse(kind: ItemKind, id: &str) -> Result<Self, ParseError> {
        let parse_err = |e: ParseError| ParseError(format!("id: {e}"));
        Ok(match kind {
            ItemKind::Folder => Self::Folder(id.parse().map_err(parse_err)?),
            ItemKind::Document => Self::Document(id.parse().map_err(parse_err)?),
        })
    }

    pub fn kind(self) -> ItemKind {
        match self {
            Self::Folder(_) => ItemKind::Folder,
            Self::Document(_) => ItemKind::Document,
        }
    }

    /// The id as text (folder and document ids are both UUIDs, unique across kinds).
    pub fn id(self) -> String {
        match self {
            Self::Folder(id) => id.to_string(),
            Self::Document(id) => id.to_string(),
        }
    }
}

/// The portal-access status of a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccessStatus {
    #[default]
    None,
    Pending,
    Active,
    Closed,
}

/// Where a company is in its life. Only an `active` company's staff and customers are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    /// Signed up; the first admin has not verified their email yet.
    Unverified,
    /// In service (every company created before sign-up existed reads as active).
    #[default]
    Active,
    /// Stopped by the operator: every staff and customer request is refused until resumed.
    Suspended,
    /// Being erased by the operator (`cargo xtask tenant delete`): refused like `suspended`,
    /// and cannot be resumed; a delete that stopped midway is run again to finish.
    Deleting,
}

impl TenantStatus {
    /// Whether the operator stopped the company: its staff and customers are refused
    /// (`company-suspended`) and its public portal is not served.
    pub fn is_stopped(self) -> bool {
        matches!(self, Self::Suspended | Self::Deleting)
    }
}

/// Where a document is in its upload lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentStatus {
    /// An upload URL was handed out; the object has not arrived (or not been checked) yet.
    Pending,
    /// The object arrived and matched what was presigned.
    Available,
    /// The object broke the rules of its upload (size, type) and was deleted.
    Rejected,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::from_str("  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@exa_mple.com",
            "ana..b@example.com",
            "ana@-example.com",
        ] {
            assert!(Email::from_str(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::from_str(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn ids_accept_only_the_canonical_form() {
        let id = DocumentId::new();
        assert_eq!(DocumentId::from_str(&id.to_string()).unwrap(), id);
        assert!(DocumentId::from_str(&id.to_string().to_uppercase()).is_err());
        assert!(DocumentId::from_str("../../etc/passwd").is_err());
        assert!(DocumentId::from_str("").is_err());
    }

    #[test]
    fn file_names_cannot_traverse() {
        assert_eq!(FileName::from_str(" report.pdf ").unwrap().as_str(), "report.pdf");
        for bad in ["", "..", ".", "a/b", "..\\x", "a\u{0}b", "line\nbreak"] {
            assert!(FileName::from_str(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(FileName::from_str(&"x".repeat(256)).is_err());
        assert!(FileName::from_str("Café résumé.pdf").is_ok());
        assert!(FileName::from_str("line\u{2028}break").is_err());
    }

    #[test]
    fn names_lose_bidi_controls_and_invisible_characters_and_keep_the_rest() {
        let spoof = FileName::from_str("invoice\u{202E}fdp.exe").unwrap();
        assert_eq!(spoof.as_str(), "invoicefdp.exe");
        assert_eq!(FileName::from_str("\u{200B} report\u{FEFF}.pdf \u{2066}").unwrap().as_str(), "report.pdf");
        for kept in ["履歴書.pdf", "Résumé 👩\u{200D}💻.png", "گزارش می\u{200C}خواهم.pdf", "تقرير.pdf"]
        {
            assert_eq!(FileName::from_str(kept).unwrap().as_str(), kept);
            assert_eq!(DisplayName::from_str(kept).unwrap().as_str(), kept);
        }
        // Nothing left, or only a dot-name, once the invisible part is gone.
        for bad in ["\u{202E}", "\u{200B}\u{200D}", ".\u{200B}.", "\u{FEFF}."] {
            assert!(FileName::from_str(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(DisplayName::from_str("Ana\u{202E}\u{200B} Lopez").unwrap().as_str(), "Ana Lopez");
        assert!(DisplayName::from_str("\u{2067}\u{2069}").is_err());
    }

    #[test]
    fn content_types_are_type_slash_subtype() {
        assert_eq!(ContentType::from_str("Application/PDF").unwrap().as_str(), "application/pdf");
        for bad in ["pdf", "text/", "/plain", "text/plain; charset=utf-8", "text/pl ain"] {
            assert!(ContentType::from_str(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn slugs_are_url_safe() {
        assert!(Slug::from_str("acme-corp").is_ok());
        for bad in ["ac", "Acme", "acme_corp", "-acme", "acme-", "ac--me", "acmé"] {
            assert!(Slug::from_str(bad).is_err(), "{bad:?} was accepted");
        }
        // Reserved words are refused with their own reason ("p" is short anyway).
        for reserved in ["api", "admin", "www", "portal", "signup", "mailbox"] {
            let err = Slug::from_str(reserved).unwrap_err();
            assert!(err.0.contains("reserved"), "{reserved}: {err:?}");
        }
        assert!(RESERVED_SLUGS.contains(&"p"));
        assert!(Slug::from_str("api-partners").is_ok(), "only the whole word is reserved");
    }

    #[test]
    fn json_fields_are_parsed_into_domain_types() {
        #[derive(Deserialize)]
        struct Body {
            #[allow(dead_code)]
            email: Email,
        }
        let err = serde_json::from_str::<Body>(r#"{"email":"nope"}"#).err().unwrap();
        assert!(err.to_string().contains("is not an email address"), "{err}");
    }

    #[test]
    fn accent_colours_are_hex_rgb() {
        assert_eq!(AccentColor::from_str(" #1A73E8 ").unwrap().as_str(), "#1a73e8");
        for bad in ["1a73e8", "#1a73e", "#1a73e8ff", "#zzzzzz", "red", "#1a73e8;x"] {
            assert!(AccentColor::from_str(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn object_versions_are_bounded_printable_ascii() {
        for good in ["3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "null", "0b9a1c6e-7c1b-4d3e-9f00-2a1b3c4d5e6f"] {
            assert_eq!(ObjectVersion::from_str(good).unwrap().as_str(), good);
        }
        let long = "v".repeat(1025);
        for bad in ["", " ", "a b", "v\n", "é", long.as_str()] {
            assert!(ObjectVersion::from_str(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn item_refs_parse_by_kind() {
        let id = FolderId::new();
        let item: ItemRef = serde_json::from_str(&format!(r#"{{"kind":"folder","id":"{id}"}}"#)).unwrap();
        assert_eq!(item, ItemRef::Folder(id));
        assert_eq!(serde_json::to_value(item).unwrap(), serde_json::json!({"kind": "folder", "id": id.to_string()}));
        for bad in [r#"{"kind":"file","id":"x"}"#, r#"{"kind":"document","id":"../x"}"#, r#"{"kind":"folder"}"#] {
            assert!(serde_json::from_str::<ItemRef>(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn only_admins_and_members_write() {
        assert!(Role::Admin.can_write());
        assert!(Role::Member.can_write());
        assert!(!Role::Viewer.can_write());
    }
}

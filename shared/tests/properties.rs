//! Property tests of the shared crate's parsers: domain types, S3 object keys, pagination
//! cursors, route matching, JSON bodies, path parameters, caller claims and queue messages.
//! Arbitrary input (unicode, control characters, traversal, encodings, very long strings)
//! never panics; whatever parses round-trips and keeps its type's invariants; whatever is
//! refused is a 4xx; no object key ever names a tenant other than its literal prefix.

use portal_test_support as support;

use std::collections::BTreeMap;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use portal_shared::domain::{
    AccentColor, ContactId, ContentType, DisplayName, DocumentId, Email, EventId, FileName, FolderId, ItemId, ItemRef,
    LogoId, OrganizationId, ParseError, Role, Slug, TenantId, UserSub,
};
use portal_shared::http::{json_body, page_request, path_param};
use portal_shared::identity::Caller;
use portal_shared::model::{Document, Language, NotificationMessage, Preferences, UploaderKind};
use portal_shared::object_key::ObjectKey;
use portal_shared::pagination::{Cursor, Key, MAX_KEY_BYTES, MAX_LIMIT, PageRequest};
use portal_shared::routes::{ROUTES, match_route};
use portal_shared::secrets::{ConfirmationCode, Password};
use portal_shared::{ApiError, tokens};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support::{any_text, body_bytes, encode_all, hostile_string, json_value, key_text, special_email, uuid_text};

/// Parses `raw`; whatever parses comes back unchanged through Display and through serde,
/// and serde accepts exactly what `FromStr` accepts.
fn round_trip<T>(raw: &str) -> Result<Option<T>, TestCaseError>
where
    T: FromStr<Err = ParseError> + Display + Serialize + DeserializeOwned + PartialEq + Debug + Clone,
{
    let parsed = raw.parse::<T>().ok();
    prop_assert_eq!(serde_json::from_value::<T>(Value::String(raw.to_owned())).ok(), parsed.clone());
    if let Some(value) = &parsed {
        prop_assert_eq!(value.to_string().parse::<T>().ok(), Some(value.clone()), "Display does not parse back");
        let json = serde_json::to_string(value).unwrap();
        prop_assert_eq!(serde_json::from_str::<T>(&json).ok(), Some(value.clone()), "serde does not round-trip");
    }
    Ok(parsed)
}

fn is_canonical_uuid(raw: &str) -> bool {
    raw.len() == 36
        && raw.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('a'..='f').contains(&c),
        })
}

fn id_text() -> impl Strategy<Value = String> {
    prop_oneof![3 => uuid_text(), 1 => hostile_string()]
}

/// Email-like text: pieces around an `@`, often nearly valid.
fn email_text() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => "[a-zA-Z0-9._+-]{0,12}",
        2 => "[a-zA-Z0-9./!#$&'*=?^_`{|}~%+-]{0,12}",
        1 => hostile_string(),
        1 => "[a-z]{1,8}(\\.[a-z]{1,8}){0,3}",
    ];
    prop_oneof![
        4 => (part.clone(), part, "[ \t]{0,2}").prop_map(|(local, domain, pad)| format!("{pad}{local}@{domain}{pad}")),
        1 => hostile_string(),
        1 => ("[a-z]{1,70}", "[a-z]{1,70}").prop_map(|(l, d)| format!("{l}@{d}.example")),
    ]
}

/// Bidi controls and characters no reader sees: never in a parsed name.
const NEVER_SHOWN: &[char] = &[
    '\u{202A}',
    '\u{202B}',
    '\u{202C}',
    '\u{202D}',
    '\u{202E}',
    '\u{2066}',
    '\u{2067}',
    '\u{2068}',
    '\u{2069}',
    '\u{200E}',
    '\u{200F}',
    '\u{061C}',
    '\u{200B}',
    '\u{2060}',
    '\u{FEFF}',
    '\u{00AD}',
    '\u{3164}',
    '\u{2028}',
    '\u{2029}',
    '\u{E0001}',
];

/// Unicode's default-ignorable code points (DerivedCoreProperties.txt): all a name may lose
/// besides the spaces trimmed at its ends.
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
        // (Not default-ignorable, but they hide the text between them.)
        || ('\u{FFF9}'..='\u{FFFB}').contains(&c)
}

/// A parsed name shows what was typed: no bidi control or invisible character, a joiner
/// only between two non-ASCII characters that are not spaces, and nothing else taken out
/// but invisible characters and the spaces at its ends.
fn shows_what_was_typed(raw: &str, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(!text.chars().any(|c| NEVER_SHOWN.contains(&c)), "{:?} from {:?}", text, raw);
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if matches!(c, '\u{200C}' | '\u{200D}') {
            let joins = |o: Option<&char>| o.is_some_and(|o| !o.is_ascii() && !o.is_whitespace());
            prop_assert!(joins(i.checked_sub(1).and_then(|p| chars.get(p))) && joins(chars.get(i + 1)), "{:?}", text);
        }
    }
    // `text` is `raw` with some characters left out, each invisible or an end's space.
    let mut rest = raw.chars();
    for kept in text.chars() {
        loop {
            let next = rest.next();
            prop_assert!(next.is_some(), "{:?} is not what {:?} shows", text, raw);
            let next = next.unwrap();
            if next == kept {
                break;
            }
            prop_assert!(is_default_ignorable(next) || next.is_whitespace(), "{:?} lost {:?} of {:?}", text, next, raw);
        }
    }
    prop_assert!(rest.all(|c| is_default_ignorable(c) || c.is_whitespace()), "{:?} lost the end of {:?}", text, raw);
    Ok(())
}

/// What `from_event_key` must see through: `+` for space, then percent-decoding.
fn event_decoded(encoded: &str) -> Option<String> {
    let plus = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&plus).decode_utf8().ok().map(|s| s.into_owned())
}

/// An API Gateway (payload 2.0) request as the functions get it, built by `lambda_http`
/// from the event JSON.
fn event_request(
    claims: Option<&BTreeMap<String, String>>,
    path_parameters: &BTreeMap<String, String>,
    query: &BTreeMap<String, String>,
) -> lambda_http::Request {
    let event = json!({
        "version": "2.0",
        "routeKey": "GET /things/{id}",
        "rawPath": "/things/x",
        "rawQueryString": "",
        "headers": {},
        "queryStringParameters": if query.is_empty() { Value::Null } else { json!(query) },
        "pathParameters": if path_parameters.is_empty() { Value::Null } else { json!(path_parameters) },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": claims.map(|claims| json!({ "jwt": { "claims": claims, "scopes": null } })),
            "domainName": "127.0.0.1",
            "domainPrefix": "local",
            "http": { "method": "GET", "path": "/things/x", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t" },
            "requestId": "r",
            "routeKey": "GET /things/{id}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": false,
    });
    lambda_http::request::from_str(&event.to_string()).expect("a well-formed API Gateway event")
}

/// A request with a body and a content type, as `json_body` reads it.
fn body_request(content_type: Option<&str>, body: Vec<u8>) -> lambda_http::Request {
    let mut builder = http::Request::builder().method("POST").uri("/things");
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(lambda_http::Body::Binary(body)).unwrap()
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(Some("application/json".to_owned())),
        1 => Just(Some("application/json; charset=utf-8".to_owned())),
        1 => Just(Some("APPLICATION/JSON".to_owned())),
        1 => Just(Some("text/plain".to_owned())),
        1 => Just(Some("application/jsonx".to_owned())),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(Some),
    ]
}

/// Every domain type in one body, plus the enums and a queue message.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct EveryField {
    email: Option<Email>,
    name: Option<DisplayName>,
    file_name: Option<FileName>,
    content_type: Option<ContentType>,
    sub: Option<UserSub>,
    slug: Option<Slug>,
    accent_color: Option<AccentColor>,
    tenant_id: Option<TenantId>,
    contact_id: Option<ContactId>,
    item: Option<ItemRef>,
    items: Option<Vec<ItemRef>>,
    role: Option<Role>,
    language: Option<Language>,
    preferences: Option<Preferences>,
    message: Option<NotificationMessage>,
}

const EVERY_FIELD: &[&str] = &[
    "email",
    "name",
    "fileName",
    "contentType",
    "sub",
    "slug",
    "accentColor",
    "tenantId",
    "contactId",
    "item",
    "items",
    "role",
    "language",
    "preferences",
    "message",
    "kind",
    "id",
    "emailNotifications",
    "mutedCompanies",
];

proptest! {
    #[test]
    fn ids_accept_exactly_their_canonical_spelling(raw in id_text()) {
        let canonical = is_canonical_uuid(&raw);
        macro_rules! check { ($($id:ty),+) => { $(
            let parsed = round_trip::<$id>(&raw)?;
            prop_assert_eq!(parsed.is_some(), canonical, "{} {:?}", stringify!($id), raw);
            if let Some(id) = parsed {
                prop_assert_eq!(id.to_string(), raw.clone());
            }
        )+ } }
        check!(TenantId, ContactId, DocumentId, OrganizationId, FolderId, ItemId, EventId, LogoId);
    }

    #[test]
    fn emails_are_trimmed_lower_case_ascii_with_one_at(raw in email_text()) {
        if let Some(email) = round_trip::<Email>(&raw)? {
            let text = email.as_str();
            prop_assert_eq!(text, raw.trim().to_lowercase());
            prop_assert!(text.is_ascii() && text.len() <= 254, "{:?}", text);
            prop_assert_eq!(text.matches('@').count(), 1);
            prop_assert!(!text.chars().any(|c| c.is_whitespace() || c.is_control()), "{:?}", text);
            let (local, domain) = text.split_once('@').unwrap();
            prop_assert!(!local.is_empty() && local.len() <= 64 && domain.contains('.'), "{:?}", text);
            // The same address in capitals is the same identity.
            prop_assert_eq!(Email::from_str(&text.to_uppercase()).ok(), Some(email.clone()));
        }
    }

    #[test]
    fn addresses_with_any_rfc_5322_local_part_characters_are_emails(raw in special_email()) {
        let email = round_trip::<Email>(&raw)?;
        prop_assert_eq!(email.map(String::from), Some(raw.to_lowercase()), "{:?} was refused", raw);
    }

    #[test]
    fn display_names_are_trimmed_bounded_and_printable(raw in any_text()) {
        if let Some(name) = round_trip::<DisplayName>(&raw)? {
            let text = name.as_str();
            shows_what_was_typed(&raw, text)?;
            prop_assert!((1..=200).contains(&text.chars().count()));
            prop_assert!(!text.chars().any(char::is_control));
        }
    }

    #[test]
    fn file_names_never_hold_a_path(raw in any_text()) {
        if let Some(name) = round_trip::<FileName>(&raw)? {
            let text = name.as_str();
            shows_what_was_typed(&raw, text)?;
            prop_assert!(!text.contains('/') && !text.contains('\\'), "{:?}", text);
            prop_assert!(text != "." && text != "..");
            prop_assert!(!text.chars().any(char::is_control), "{:?}", text);
            prop_assert!((1..=255).contains(&text.chars().count()));
        }
    }

    #[test]
    fn content_types_are_one_lower_case_type_and_subtype(raw in any_text()) {
        if let Some(content_type) = round_trip::<ContentType>(&raw)? {
            let text = content_type.as_str();
            prop_assert_eq!(text, raw.trim().to_ascii_lowercase());
            prop_assert_eq!(text.matches('/').count(), 1);
            prop_assert!(text.bytes().all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase() && b != b';' && b != b','), "{:?}", text);
        }
    }

    #[test]
    fn slugs_subs_and_colours_keep_their_alphabet(raw in any_text()) {
        if let Some(slug) = round_trip::<Slug>(&raw)? {
            prop_assert_eq!(slug.as_str(), raw.as_str());
            prop_assert!(slug.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        }
        if let Some(sub) = round_trip::<UserSub>(&raw)? {
            prop_assert_eq!(sub.as_str(), raw.as_str());
            prop_assert!(sub.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
        if let Some(colour) = round_trip::<AccentColor>(&raw)? {
            let text = colour.as_str();
            prop_assert!(text.len() == 7 && text.starts_with('#'), "{:?}", text);
            prop_assert!(text[1..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{:?}", text);
        }
    }

    #[test]
    fn secrets_and_tokens_are_bounded(raw in any_text()) {
        if let Ok(password) = serde_json::from_value::<Password>(Value::String(raw.clone())) {
            prop_assert!((1..=256).contains(&password.as_str().chars().count()));
            prop_assert_eq!(format!("{password:?}"), "Password(***)");
        }
        if let Ok(code) = serde_json::from_value::<ConfirmationCode>(Value::String(raw.clone())) {
            prop_assert!((1..=16).contains(&code.as_str().len()) && code.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        }
        if tokens::is_well_formed(&raw) {
            prop_assert!(raw.len() == 43 && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
        prop_assert_eq!(tokens::hash(&raw).len(), 64);
    }

    #[test]
    fn item_refs_parse_by_kind_or_are_refused(value in json_value(&["kind", "id"])) {
        if let Ok(item) = serde_json::from_value::<ItemRef>(value.clone()) {
            let back = serde_json::to_value(item).unwrap();
            prop_assert_eq!(serde_json::from_value::<ItemRef>(back.clone()).unwrap(), item);
            prop_assert_eq!(&back["id"], &value["id"]);
            prop_assert_eq!(&back["kind"], &value["kind"]);
        }
    }

    #[test]
    fn built_object_keys_stay_under_their_tenant_prefix(
        tenant in any::<u128>(),
        document in any::<u128>(),
        logo in any::<u128>(),
        name in any_text(),
        upper in any::<bool>(),
    ) {
        let tenant: TenantId = uuid::Uuid::from_u128(tenant).to_string().parse().unwrap();
        let document: DocumentId = uuid::Uuid::from_u128(document).to_string().parse().unwrap();
        let logo: LogoId = uuid::Uuid::from_u128(logo).to_string().parse().unwrap();
        let mut keys = vec![ObjectKey::document(tenant, document), ObjectKey::logo(tenant, logo)];
        // A user's file name never shapes the key of its document.
        if let Ok(name) = name.parse::<FileName>() {
            let pending = Document::pending(tenant, name, "text/plain".parse().unwrap(), 1, "sub".parse().unwrap(), UploaderKind::Staff);
            prop_assert_eq!(pending.object_key(), ObjectKey::document(tenant, pending.id));
            keys.push(pending.object_key());
        }
        for key in keys {
            let text = key.to_string();
            prop_assert_eq!(key.tenant(), tenant);
            prop_assert!(text.starts_with(&ObjectKey::tenant_prefix(tenant)), "{}", text);
            prop_assert!(!text.contains("//") && !text.split('/').any(|s| s == ".." || s == "." || s.is_empty()), "{}", text);
            prop_assert!(text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/'), "{}", text);
            prop_assert_eq!(text.parse::<ObjectKey>(), Ok(key));
            for encoded in [text.clone(), text.replace('/', "%2F"), text.replace('/', "%2f"), encode_all(&text, upper)] {
                prop_assert_eq!(ObjectKey::from_event_key(&encoded), Ok(key), "{}", encoded);
            }
        }
    }

    #[test]
    fn parsed_object_keys_name_only_their_literal_tenant(raw in key_text(), upper in any::<bool>()) {
        if let Ok(key) = raw.parse::<ObjectKey>() {
            prop_assert_eq!(key.to_string(), raw.clone(), "a key parsed from another spelling");
            prop_assert!(raw.starts_with(&ObjectKey::tenant_prefix(key.tenant())));
        }
        for encoded in [raw.clone(), encode_all(&raw, upper)] {
            if let Ok(key) = ObjectKey::from_event_key(&encoded) {
                let decoded = event_decoded(&encoded);
                prop_assert_eq!(decoded, Some(key.to_string()), "{:?}", encoded);
            }
        }
    }

    #[test]
    fn page_requests_are_bounded_or_4xx(
        limit in prop::option::of(prop_oneof![(-5..120i64).prop_map(|n| n.to_string()), any_text()]),
        cursor in prop::option::of(any_text()),
    ) {
        match PageRequest::parse(limit.as_deref(), cursor.as_deref()) {
            Ok(page) => prop_assert!((1..=MAX_LIMIT).contains(&page.limit)),
            Err(err) => prop_assert!(err.status().is_client_error(), "{}", err),
        }
        let mut query = BTreeMap::new();
        query.extend(limit.map(|l| ("limit".to_owned(), l)));
        query.extend(cursor.map(|c| ("cursor".to_owned(), c)));
        if let Err(err) = page_request(&event_request(None, &BTreeMap::new(), &query)) {
            prop_assert!(err.status().is_client_error(), "{}", err);
        }
    }

    #[test]
    fn cursors_round_trip_and_never_leave_their_partition(
        entries in prop::collection::btree_map(
            prop_oneof![4 => prop::sample::select(vec!["PK", "SK", "GSI1PK", "GSI1SK"]).prop_map(str::to_owned), 1 => any_text()],
            prop_oneof![
                prop::sample::select(vec!["TENANT#a", "TENANT#b", "CONTACT#x", "DOC#y", "TENANT#a#"]).prop_map(str::to_owned),
                any_text().prop_map(|t| format!("CONTACT#{t}")),
                any_text(),
            ],
            0..5,
        ),
        garbage in any_text(),
    ) {
        let cursor = Cursor(entries);
        let decoded = Cursor::decode(&cursor.encode());
        if cursor.0.values().all(|value| value.len() <= MAX_KEY_BYTES) {
            prop_assert_eq!(decoded.as_ref(), Ok(&cursor));
        } else {
            prop_assert_eq!(decoded.map_err(|err| err.status().as_u16()), Err(400));
        }
        let rules = [("PK", Key::Equals("TENANT#a")), ("SK", Key::StartsWith("CONTACT#"))];
        if cursor.check(&rules).is_ok() {
            prop_assert_eq!(cursor.0.len(), 2);
            prop_assert_eq!(cursor.0.get("PK").map(String::as_str), Some("TENANT#a"));
            prop_assert!(cursor.0.get("SK").is_some_and(|sk| sk.starts_with("CONTACT#")));
        } else {
            prop_assert!(cursor.check(&rules).unwrap_err().status().is_client_error());
        }
        if let Err(err) = Cursor::decode(&garbage) {
            prop_assert_eq!(err.status().as_u16(), 400);
        }
    }

    #[test]
    fn route_matching_gives_back_the_path(
        method in prop_oneof![prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "get"]).prop_map(str::to_owned), any_text()],
        segments in prop::collection::vec(prop_oneof![
            3 => prop::sample::select(ROUTES.iter().flat_map(|r| r.path.split('/')).filter(|s| !s.starts_with('{')).collect::<Vec<_>>()).prop_map(str::to_owned),
            2 => uuid_text(),
            2 => hostile_string(),
        ], 0..6),
    ) {
        let path = format!("/{}", segments.join("/"));
        if let Some((route, params)) = match_route(&method, &path) {
            prop_assert_eq!(route.method, method.as_str());
            let mut values = params.iter();
            let rebuilt: Vec<&str> = route
                .path
                .split('/')
                .map(|segment| if segment.starts_with('{') { values.next().unwrap().1 } else { segment })
                .collect();
            prop_assert_eq!(rebuilt.join("/"), path.clone());
            for (_, value) in &params {
                prop_assert!(!value.is_empty() && !value.contains('/'), "{:?}", value);
            }
        }
    }

    #[test]
    fn every_route_template_matches_itself(
        index in 0..ROUTES.len(),
        values in prop::collection::vec(hostile_string().prop_map(|s| s.replace('/', "_")), 3),
    ) {
        let route = &ROUTES[index];
        let values: Vec<String> = values.into_iter().map(|v| if v.is_empty() { "x".to_owned() } else { v }).collect();
        let mut next = values.iter();
        let path = route
            .path
            .split('/')
            .map(|segment| if segment.starts_with('{') { next.next().unwrap().as_str() } else { segment })
            .collect::<Vec<_>>()
            .join("/");
        let matched = match_route(route.method, &path).map(|(r, _)| r);
        prop_assert!(matched.is_some(), "{} did not match {}", path, route.key());
        let matched = matched.unwrap();
        // Another route only wins when a value equals one of its literal segments.
        if matched.key() != route.key() {
            let clash = matched.path.split('/').any(|literal| values.iter().any(|v| v == literal));
            prop_assert!(clash, "{} matched {} instead of {}", path, matched.key(), route.key());
        }
    }

    #[test]
    fn json_bodies_parse_or_are_4xx(
        content_type in content_type(),
        bytes in body_bytes(EVERY_FIELD),
        value in json_value(EVERY_FIELD),
    ) {
        support::check_body::<EveryField>(&value, &bytes)?;
        support::check_body::<NotificationMessage>(&value, &bytes)?;
        support::check_body::<Preferences>(&value, &bytes)?;
        support::check_body::<Vec<ItemRef>>(&value, &bytes)?;
        let request = body_request(content_type.as_deref(), bytes.clone());
        match json_body::<EveryField>(&request) {
            Ok(_) => {}
            Err(err) => {
                prop_assert!(err.status().is_client_error(), "{}", err);
                let is_json = content_type.as_deref().is_some_and(|ct| {
                    ct.split(';').next().unwrap().trim().eq_ignore_ascii_case("application/json")
                });
                let blank = bytes.iter().all(u8::is_ascii_whitespace);
                if !is_json && !blank && bytes.len() <= portal_shared::http::MAX_JSON_BODY_BYTES {
                    prop_assert_eq!(err, ApiError::UnsupportedMediaType);
                }
            }
        }
    }

    #[test]
    fn queue_messages_parse_or_are_refused(value in json_value(&["kind", "tenantId", "contactId"])) {
        if let Ok(message) = serde_json::from_value::<NotificationMessage>(value.clone()) {
            let back = serde_json::to_value(&message).unwrap();
            prop_assert_eq!(serde_json::from_value::<NotificationMessage>(back).unwrap(), message);
        }
    }

    #[test]
    fn path_parameters_parse_or_are_400(raw in id_text(), slug in any_text()) {
        let params = BTreeMap::from([("documentId".to_owned(), raw.clone()), ("slug".to_owned(), slug)]);
        let request = event_request(None, &params, &BTreeMap::new());
        match path_param::<DocumentId>(&request, "documentId") {
            Ok(id) => prop_assert_eq!(id.to_string(), raw),
            Err(err) => prop_assert_eq!(err.status().as_u16(), 400, "{}", err),
        }
        if let Err(err) = path_param::<Slug>(&request, "slug") {
            prop_assert_eq!(err.status().as_u16(), 400, "{}", err);
        }
        let missing = path_param::<TenantId>(&request, "tenantId").unwrap_err();
        prop_assert_eq!(missing.status().as_u16(), 400);
    }

    #[test]
    fn callers_come_only_from_access_token_claims(
        claims in prop::collection::btree_map(
            prop_oneof![4 => prop::sample::select(vec!["sub", "token_use", "client_id", "username", "cognito:groups"]).prop_map(str::to_owned), 1 => any_text()],
            prop_oneof![2 => prop::sample::select(vec!["access", "id", "Access"]).prop_map(str::to_owned), 2 => uuid_text(), 2 => any_text()],
            0..5,
        ),
    ) {
        let request = event_request(Some(&claims), &BTreeMap::new(), &BTreeMap::new());
        match Caller::from_request(&request) {
            Ok(caller) => {
                prop_assert_eq!(claims.get("token_use").map(String::as_str), Some("access"));
                prop_assert_eq!(claims.get("sub").map(String::as_str), Some(caller.sub.as_str()));
            }
            Err(err) => prop_assert_eq!(err, ApiError::Unauthenticated),
        }
    }
}

#[test]
fn a_request_without_claims_is_unauthenticated() {
    let request = event_request(None, &BTreeMap::new(), &BTreeMap::new());
    assert_eq!(Caller::from_request(&request), Err(ApiError::Unauthenticated));
}

//! Strategies shared by the parser properties: hostile strings, plausible values, JSON
//! trees built from a vocabulary of field names, and the one check every request body
//! parser must pass.
//!
//! A dev-dependency of the crates whose tests use it: `shared/tests/properties.rs`, the
//! functions' `src/properties.rs` (unit tests, as their request body types are private to
//! them) and the end-to-end fuzzer (`tests/e2e/fuzz.rs`).

use portal_shared::ApiError;
use portal_shared::http::parse_body;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Pieces that break parsers: traversal, encodings, separators, control and odd unicode.
const NASTY: &[&str] = &[
    "../",
    "..",
    ".",
    "/",
    "//",
    "\\",
    "%2e",
    "%2E%2E%2F",
    "%2F",
    "%00",
    "\0",
    "\n",
    "\r\n",
    "\t",
    " ",
    "+",
    "%",
    "%%",
    "@",
    "#",
    "?",
    "&",
    "=",
    ";",
    ",",
    ":",
    "'",
    "\"",
    "<script>",
    "tenants/",
    "documents/",
    "branding/",
    "\u{202e}",
    "\u{feff}",
    "\u{200b}",
    // Bidi controls and marks, joiners, invisible and line-breaking characters.
    "\u{202a}",
    "\u{2066}",
    "\u{2069}",
    "\u{200e}",
    "\u{200f}",
    "\u{061c}",
    "\u{200c}",
    "\u{200d}",
    "\u{2060}",
    "\u{00ad}",
    "\u{3164}",
    "\u{fe0f}",
    "\u{e0067}",
    "\u{e007f}",
    "\u{2028}",
    "\u{1f3f4}",
    "👩\u{200d}💻",
    "ශ්\u{200d}රී",
    "é",
    "İ",
    "ß",
    "ﬁ",
    "😀",
    "\u{7f}",
    "\u{85}",
    "a",
    "Z",
    "0",
    "9",
    "-",
    "_",
    "~",
    "{",
    "}",
    "[",
    "]",
    "null",
    "true",
    "-1",
    "1e309",
    "NaN",
];

/// Values that are (nearly) valid somewhere: ids, emails, dates, media types, enum words.
pub const PLAUSIBLE: &[&str] = &[
    "a@b.co",
    "Ana.Lopez@Example.COM",
    "o'neil+tag@b.co",
    "a/b!c#d$e&f'g*h=i@b.co",
    "x=y@b.co",
    "x@localhost",
    "report.pdf",
    "application/pdf",
    "image/png",
    "text/plain",
    "Image/PNG; charset=x",
    "#1a73e8",
    "#ZZZZZZ",
    "folder",
    "document",
    "admin",
    "member",
    "viewer",
    "en",
    "fr",
    "shares",
    "123456",
    "Acme",
    "acme-corp",
    "2026-01-31",
    "2026-02-30",
    "2026-01-31T12:00:00Z",
    "2999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "1970-01-01T00:00:00Z",
    "access",
    "Test-Passw0rd!42",
    "YWJj",
    "bzEw",
    "bzk5OTk5OTk5OTk5OTk5OTk5OTk5",
    "eyJQSyI6IlRFTkFOVCN4In0",
    "",
];

/// The characters RFC 5322 allows in an address's local part besides letters, digits and
/// dots (its `atext` specials); `/ ! # $ & ' * =` were once a 500 at `POST /staff`.
pub const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

/// Valid addresses whose local part is made of `atext` (mostly its specials) in dot-separated
/// runs, in any case: every one must parse as an `Email` and pass every route.
pub fn special_email() -> impl Strategy<Value = String> {
    let atext = prop_oneof![
        3 => proptest::sample::select(ATEXT_SPECIALS.chars().collect::<Vec<_>>()),
        1 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('A', 'Z'),
        1 => proptest::char::range('0', '9'),
    ];
    let run = prop::collection::vec(atext, 1..8).prop_map(|chars| chars.into_iter().collect::<String>());
    let local = prop::collection::vec(run, 1..4).prop_map(|runs| runs.join("."));
    let label = "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?";
    (local, prop::collection::vec(label, 1..3), "[a-z]{2,6}")
        .prop_map(|(local, labels, top)| format!("{local}@{}.{top}", labels.join(".")))
}

/// The canonical (hyphenated, lower-case) spelling of a UUID.
pub fn hyphenated(bits: u128) -> String {
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// A UUID in its canonical form, or in one of the spellings that must be refused.
pub fn uuid_text() -> impl Strategy<Value = String> {
    (any::<u128>(), 0..6u8).prop_map(|(bits, form)| {
        let hyphenated = hyphenated(bits);
        match form {
            0 | 1 => hyphenated,
            2 => hyphenated.to_uppercase(),
            3 => format!("{bits:032x}"),
            4 => format!("{{{hyphenated}}}"),
            _ => format!("urn:uuid:{hyphenated}"),
        }
    })
}

/// Arbitrary strings, biased towards the pieces above; sometimes very long.
pub fn hostile_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(NASTY).prop_map(str::to_owned),
        1 => proptest::sample::select(PLAUSIBLE).prop_map(str::to_owned),
        1 => uuid_text(),
        2 => any::<char>().prop_map(String::from),
        1 => "[a-zA-Z0-9]{1,12}",
    ];
    prop_oneof![
        6 => prop::collection::vec(piece, 0..10).prop_map(|parts| parts.concat()),
        2 => any::<String>(),
        1 => (proptest::sample::select(NASTY), 100..5000usize).prop_map(|(p, n)| p.repeat(n)),
        1 => ("[a-z]{1,3}", 60..400usize).prop_map(|(p, n)| p.repeat(n)),
    ]
}

/// A string that is plausible, a UUID, or hostile.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => proptest::sample::select(PLAUSIBLE).prop_map(str::to_owned),
        2 => uuid_text(),
        3 => hostile_string(),
    ]
}

/// Text shaped like an object key: segments of ours and of an attacker's, with encoded or
/// doubled separators.
pub fn key_text() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        3 => Just("tenants".to_owned()),
        4 => uuid_text(),
        2 => Just("documents".to_owned()),
        2 => Just("branding".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just(String::new()),
        2 => hostile_string(),
    ];
    let separator = prop_oneof![6 => Just("/"), 1 => Just("%2F"), 1 => Just("%2f"), 1 => Just("//"), 1 => Just("+")];
    let composed = prop::collection::vec((segment, separator), 0..7).prop_map(|parts| {
        let mut key = String::new();
        for (i, (segment, separator)) in parts.into_iter().enumerate() {
            if i > 0 {
                key.push_str(separator);
            }
            key.push_str(&segment);
        }
        key
    });
    // One of our keys, bent a little: most of these must be refused.
    let bent = (any::<u128>(), any::<u128>(), any::<u128>(), any::<bool>(), 0..10u8).prop_map(
        |(tenant, other, id, logo, bend)| {
            let (tenant, other, id) = (hyphenated(tenant), hyphenated(other), hyphenated(id));
            let kind = if logo { "branding" } else { "documents" };
            let key = format!("tenants/{tenant}/{kind}/{id}");
            match bend {
                0 => key,
                1 => format!("tenants/{tenant}/../{other}/{kind}/{id}"),
                2 => format!("tenants/{other}/..%2F{tenant}/{kind}/{id}"),
                3 => format!("/{key}"),
                4 => format!("{key}/"),
                5 => key.replacen('/', "//", 2),
                6 => key.to_uppercase(),
                7 => format!("tenants/{tenant}/{kind}/{id}+"),
                8 => format!("tenants/{tenant}%2F{kind}%2F{id}"),
                _ => format!("tenants/{tenant}/{kind}/{id}/../../{other}/{kind}/{id}"),
            }
        },
    );
    prop_oneof![composed, bent]
}

/// Percent-encodes every byte (as a paranoid client or a proxy might), in either case.
pub fn encode_all(text: &str, upper: bool) -> String {
    text.bytes().map(|b| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }).collect()
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0..200_000_000u64).prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        Just(Value::from(-1)),
        Just(Value::from(0)),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
    ]
}

/// A JSON scalar: null, a boolean, a number (some out of every range) or a string.
pub fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => number(),
        5 => any_text().prop_map(Value::String),
    ]
}

/// JSON trees whose object keys mostly come from `fields` (the names the parser under test
/// knows), so that the generated values reach past "unknown field" into each field's parser.
pub fn json_value(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    json_value_with(fields, leaf().boxed())
}

/// [`json_value`] with the given scalars (e.g. ids of things that exist).
pub fn json_value_with(fields: &'static [&'static str], leaf: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        6 => proptest::sample::select(fields).prop_map(str::to_owned),
        1 => hostile_string(),
    ];
    let tree = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            1 => prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            3 => prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    });
    // Mostly objects at the top, as request bodies are.
    let object_key = prop_oneof![
        6 => proptest::sample::select(fields).prop_map(str::to_owned),
        1 => hostile_string(),
    ];
    prop_oneof![
        4 => prop::collection::btree_map(object_key, tree.clone(), 0..7)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        1 => tree,
    ]
}

/// Bytes that are JSON, nearly JSON or not JSON at all.
pub fn body_bytes(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_value(fields).prop_map(|v| serde_json::to_vec(&v).unwrap()),
        // Valid JSON cut short or with something after it.
        2 => (json_value(fields), any::<prop::sample::Index>(), hostile_string()).prop_map(|(v, cut, tail)| {
            let mut bytes = serde_json::to_vec(&v).unwrap();
            if tail.len() % 2 == 0 {
                bytes.truncate(cut.index(bytes.len() + 1));
            } else {
                bytes.extend_from_slice(tail.as_bytes());
            }
            bytes
        }),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => hostile_string().prop_map(String::into_bytes),
    ]
}

/// Whether an error is a client error (4xx): what every bad request must get.
pub fn is_client_error(err: &ApiError) -> bool {
    err.status().is_client_error()
}

/// The property of a request body parser: a JSON value either parses into `T` or is a 422
/// (it is well-formed JSON, so never a 400, and never a 5xx); any bytes either parse or get
/// a 4xx. Whatever parses is returned for type-specific checks.
pub fn check_body<T: DeserializeOwned>(value: &Value, bytes: &[u8]) -> Result<(Option<T>, Option<T>), TestCaseError> {
    let from_value = match parse_body::<T>(&serde_json::to_vec(value).unwrap()) {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            prop_assert_eq!(err.status().as_u16(), 422, "{} for {}: {}", std::any::type_name::<T>(), value, err);
            None
        }
    };
    let from_bytes = match parse_body::<T>(bytes) {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            prop_assert!(is_client_error(&err), "{} for {:?}: {}", std::any::type_name::<T>(), bytes, err);
            None
        }
    };
    Ok((from_value, from_bytes))
}

/// The `itemIdentifier`s of a queue consumer's partial-batch answer (`batchItemFailures`).
pub fn failed_items(response: &Value) -> Vec<&str> {
    response["batchItemFailures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["itemIdentifier"].as_str())
        .collect()
}

/// The `messageId`s of the records of an SQS event for which `keep` holds, in order.
pub fn message_ids(event: &Value, keep: impl Fn(&Value) -> bool) -> Vec<&str> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| keep(r))
        .map(|r| r["messageId"].as_str().unwrap_or_default())
        .collect()
}

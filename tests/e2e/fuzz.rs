//! The whole API fuzzed end to end: random requests built from the route table (path
//! templates filled with real, foreign, random and garbage ids; random query strings;
//! random JSON or garbage bodies under random content types) go through the local gateway
//! to the real functions, as a tenant's admin, as a registered customer and anonymously.
//!
//! Never a 5xx; every 4xx is `application/problem+json` carrying its own status; nothing
//! of a second tenant is ever answered with a 2xx, named in a response, or changed.
//!
//! The requests come from a fixed seed, so a failure reproduces: the report names the seed
//! and the request; `PORTAL_FUZZ_SEED=<n>` plays another sequence, `PORTAL_FUZZ_REQUESTS=<n>`
//! makes it longer.

use portal_test_support as support;

use std::collections::HashSet;
use std::time::Instant;

use portal_shared::routes::{Authorizer, ROUTES, Route};
use portal_tests::{TenantFixture, anonymous, base64url, registered_customer, tenant_fixture, unique};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// Requests per caller (admin, customer, anonymous); `PORTAL_FUZZ_REQUESTS` for a longer run.
const REQUESTS_PER_CALLER: usize = 200;
const DEFAULT_SEED: u64 = 0x00F0_2217_5EED;
/// Path and query, at most (generated text is ASCII by then: percent-encoded).
const MAX_URL_BYTES: usize = 8 * 1024;

/// Every field name a request body of the API has.
const FIELDS: &[&str] = &[
    "email",
    "password",
    "session",
    "newPassword",
    "code",
    "refreshToken",
    "token",
    "name",
    "organizationId",
    "language",
    "notifySubmissions",
    "submissionsSeenAt",
    "fileName",
    "contentType",
    "size",
    "folderId",
    "parentId",
    "items",
    "kind",
    "id",
    "availableUntil",
    "contactIds",
    "accentColor",
    "notifyAccessClosed",
    "role",
    "emailNotifications",
    "mutedCompanies",
    "companyName",
    "slug",
    "inviteCode",
];

/// Query parameters the API reads.
const PARAMS: &[&str] =
    &["limit", "cursor", "q", "folderId", "company", "folder", "type", "from", "to", "sort", "order", "v"];

/// The things of one tenant that requests point at.
#[derive(Clone)]
struct Things {
    tenant: String,
    slug: String,
    contact: String,
    organization: String,
    folder: String,
    document: String,
    staff: Vec<String>,
    /// A job (a non-empty folder's delete).
    job: String,
}

impl Things {
    async fn make(t: &TenantFixture) -> anyhow::Result<Self> {
        let admin = &t.admin;
        let contact = admin
            .post("/contacts", json!({ "email": format!("{}@fuzz.example", unique("c")), "name": "Fuzz Contact" }))
            .await?
            .expect(201)?;
        let organization = admin.post("/organizations", json!({ "name": unique("org") })).await?.expect(201)?;
        let folder = admin.post("/folders", json!({ "name": unique("folder") })).await?.expect(201)?;
        let upload = admin
            .post("/uploads", json!({ "fileName": "fuzz.txt", "contentType": "text/plain", "size": 4 }))
            .await?
            .expect(201)?;
        let me = admin.get("/me").await?.expect(200)?;
        let full = admin.post("/folders", json!({ "name": unique("full") })).await?.expect(201)?;
        admin
            .post(
                "/uploads",
                json!({ "fileName": "in.txt", "contentType": "text/plain", "size": 2, "folderId": full["id"] }),
            )
            .await?
            .expect(201)?;
        let job = admin
            .send(reqwest::Method::DELETE, &format!("/folders/{}", full["id"].as_str().unwrap_or_default()), None)
            .await?
            .expect(202)?;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        Ok(Self {
            tenant: t.tenant.id.to_string(),
            slug: t.tenant.slug.to_string(),
            contact: text(&contact["id"]),
            organization: text(&organization["id"]),
            folder: text(&folder["id"]),
            document: text(&upload["document"]["id"]),
            staff: vec![t.member_account.member.sub.to_string(), text(&me["sub"])],
            job: text(&job["jobId"]),
        })
    }

    /// Every id of this tenant (what must never come back to another tenant's callers).
    fn ids(&self) -> Vec<String> {
        let mut ids = vec![
            self.tenant.clone(),
            self.contact.clone(),
            self.organization.clone(),
            self.folder.clone(),
            self.document.clone(),
            self.job.clone(),
        ];
        ids.extend(self.staff.iter().cloned());
        ids
    }
}

/// One generated request.
#[derive(Debug, Clone)]
struct Fuzzed {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl std::fmt::Display for Fuzzed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let body = String::from_utf8_lossy(&self.body[..self.body.len().min(300)]).into_owned();
        write!(f, "{} {} [{:?}] {body:?}", self.method, self.path, self.content_type)
    }
}

/// Percent-encodes a path segment (anything but unreserved characters).
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What fills a path parameter: this tenant's own things, the other tenant's, random ids,
/// garbage (encoded) and raw traversal.
fn parameter(name: &str, own: &Things, foreign: &Things, customer_contact: &str) -> BoxedStrategy<String> {
    let pick = |own: Vec<String>, foreign: Vec<String>| {
        let own = proptest::sample::select(own);
        let foreign = proptest::sample::select(foreign);
        prop_oneof![
            4 => own,
            3 => foreign,
            1 => support::uuid_text(),
            1 => support::hostile_string().prop_map(|s| segment(&s)),
            1 => proptest::sample::select(vec!["..", "%2e%2e", "..%2F..%2Fetc", "%00", "%20", "x%2Fy", "*", "null"])
                .prop_map(str::to_owned),
        ]
        .boxed()
    };
    match name {
        "contactId" => pick(vec![own.contact.clone()], vec![foreign.contact.clone()]),
        "organizationId" => pick(vec![own.organization.clone()], vec![foreign.organization.clone()]),
        "documentId" => pick(vec![own.document.clone()], vec![foreign.document.clone()]),
        "folderId" => pick(vec![own.folder.clone()], vec![foreign.folder.clone()]),
        "itemId" => {
            pick(vec![own.folder.clone(), own.document.clone()], vec![foreign.folder.clone(), foreign.document.clone()])
        }
        // Not the admin's own account: removing it would end the run's staff requests.
        "staffId" => pick(vec![own.staff[0].clone()], foreign.staff.clone()),
        "tenantId" => pick(vec![own.tenant.clone()], vec![foreign.tenant.clone()]),
        "jobId" => pick(vec![own.job.clone()], vec![foreign.job.clone()]),
        "slug" => pick(vec![own.slug.clone()], vec![foreign.slug.clone()]),
        _ => pick(vec![customer_contact.to_owned()], vec![foreign.contact.clone()]),
    }
}

/// Page cursors as an attacker would craft them: the table's key attributes, with values
/// in either tenant's partitions, under every item prefix, some past DynamoDB's key sizes.
fn cursor(own: &Things, foreign: &Things) -> BoxedStrategy<String> {
    let tenants = vec![own.tenant.clone(), foreign.tenant.clone()];
    let ids: Vec<String> = own.ids().into_iter().chain(foreign.ids()).chain([String::new()]).collect();
    let partition = (
        proptest::sample::select(tenants),
        proptest::sample::select(vec![
            "",
            "#IN#ROOT",
            "#IN#",
            "#SUBMISSIONS",
            "#ORG#",
            "#SUBMITTED#",
            "#SHARED#",
            "#ACTIVITY#CONTACT#",
            "#FIND#CONTACT",
            "#FIND#DOC",
        ]),
        proptest::sample::select(ids.clone()),
    )
        .prop_map(|(tenant, middle, id)| format!("TENANT#{tenant}{middle}{id}"));
    let sort = (
        proptest::sample::select(vec![
            "CONTACT#",
            "DOC#",
            "ORG#",
            "STAFF#",
            "FOLDER#",
            "SHARE#",
            "EVENT#",
            "USER#",
            "STAFF",
            "PROFILE",
            "",
            "FIND#CONTACT#",
            "FIND#DOC#",
            "fuzz#",
        ]),
        proptest::sample::select(ids),
        proptest::sample::select(vec![0usize, 0, 0, 1, 1100, 2100]),
    )
        .prop_map(|(prefix, id, pad)| format!("{prefix}{id}{}", "z".repeat(pad)));
    let value =
        prop_oneof![3 => partition, 3 => sort, 1 => support::any_text().prop_map(|t| t.chars().take(200).collect())];
    let name = proptest::sample::select(vec!["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]);
    prop::collection::btree_map(name, value, 1..5)
        .prop_map(|keys| base64url(&serde_json::to_vec(&keys).unwrap()))
        .boxed()
}

fn query(cursor: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let pair = (
        prop_oneof![6 => proptest::sample::select(PARAMS).prop_map(str::to_owned), 1 => support::hostile_string()],
        prop_oneof![
            3 => support::any_text(),
            1 => proptest::sample::select(vec![
                "1", "0", "100", "101", "-1", "name", "size", "date", "asc", "desc", "image", "fuzz", "fuzz contact", "root",
            ])
            .prop_map(str::to_owned),
        ],
    );
    prop_oneof![
        3 => Just(String::new()),
        4 => prop::collection::vec(pair, 1..4).prop_map(|pairs| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
            format!("?{}", query.finish())
        }),
        1 => proptest::sample::select(vec!["?cursor=%%%", "?limit", "?=", "?&&", "?limit=1&limit=2", "?q=%FF%FE", "?cursor=e30"])
            .prop_map(str::to_owned),
        2 => (cursor, 1..=100u8).prop_map(|(cursor, limit)| format!("?cursor={cursor}&limit={limit}")),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => Just(Some("application/json".to_owned())),
        1 => Just(Some("application/json; charset=utf-8".to_owned())),
        1 => Just(Some("text/plain".to_owned())),
        1 => Just(Some("multipart/form-data; boundary=x".to_owned())),
        1 => Just(None),
        1 => "[a-z/;= -]{0,30}".prop_map(Some),
    ]
}

/// Values at the edges of what the API takes: extreme instants and offsets, long text.
const EDGES: &[&str] = &[
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00+23:59",
    "1970-01-01T00:00:00Z",
    "2999-01-01T00:00:00.999999999+14:00",
    "2026-02-29T00:00:00Z",
    "folder",
    "document",
    "admin",
    "viewer",
    "image/png",
    "application/octet-stream",
    "#ABCDEF",
    "a@b.co",
    // Every RFC 5322 local-part character (`/ ! # $ & ' * =` were once a 500 at POST /staff).
    "o'neil/x!#$&*=y@fuzz.example",
    "!#$%&'*+-/=?^_`{|}~@fuzz.example",
    "a.b/c=d@fuzz.example",
    // A valid address longer than a Cognito username (128): a 422 where Cognito is asked.
    "llllllllllllllllllllllllllllllllllllllllllllllllll@dddddddddddddddddddddddddddddddddddddddddddddddddddddddd.eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.example",
    // Names with bidi controls and invisible characters (stripped), and with nothing else.
    "invoice\u{202E}fdp.exe",
    "\u{200B}\u{2066}",
    "👩\u{200D}💻 report.pdf",
    "",
    " ",
];

/// A valid body for each route that takes one, naming the caller's own things.
struct Examples(Vec<(String, Value)>);

impl Examples {
    fn new(own: &Things) -> Self {
        // The local part holds RFC 5322's special characters, which every route must take.
        let email = format!("{}/!#$&'*={{}}@fuzz.example", unique("e"));
        let future = "2999-01-01T00:00:00Z";
        let item = json!({ "kind": "document", "id": own.document });
        Self(vec![
            ("POST /auth/staff/login".into(), json!({ "email": email, "password": "Wrong-Passw0rd!1" })),
            ("POST /auth/customer/login".into(), json!({ "email": email, "password": "Wrong-Passw0rd!1" })),
            ("POST /auth/staff/refresh".into(), json!({ "refreshToken": "x.y.z" })),
            ("POST /auth/customer/refresh".into(), json!({ "refreshToken": "x.y.z" })),
            (
                "POST /auth/staff/new-password".into(),
                json!({ "email": email, "session": "s", "newPassword": "New-Passw0rd!1" }),
            ),
            ("POST /auth/customer/forgot-password".into(), json!({ "email": email })),
            (
                "POST /auth/customer/reset-password".into(),
                json!({ "email": email, "code": "123456", "newPassword": "New-Passw0rd!1" }),
            ),
            ("POST /auth/staff/forgot-password".into(), json!({ "email": email })),
            (
                "POST /auth/staff/reset-password".into(),
                json!({ "email": email, "code": "123456", "newPassword": "New-Staff-Passw0rd!1" }),
            ),
            ("POST /registration".into(), json!({ "token": "a".repeat(43), "password": "New-Passw0rd!1" })),
            ("POST /registration/confirm".into(), json!({ "email": email, "code": "123456" })),
            ("POST /registration/resend".into(), json!({ "email": email })),
            (
                "POST /signup".into(),
                json!({
                    "companyName": "Fuzzed Co",
                    "slug": unique("fz"),
                    "name": "Fuzz Admin",
                    "email": email,
                    "password": "Fuzz-Passw0rd!42",
                    "inviteCode": "a".repeat(43),
                }),
            ),
            ("POST /signup/verify".into(), json!({ "token": "a".repeat(43) })),
            ("POST /signup/resend".into(), json!({ "email": email })),
            ("PATCH /me".into(), json!({ "notifySubmissions": true, "submissionsSeenAt": "2026-01-01T00:00:00Z" })),
            (
                "POST /contacts".into(),
                json!({ "email": email, "name": "Fuzzed", "organizationId": own.organization, "language": "fr" }),
            ),
            (
                "PATCH /contacts/{contactId}".into(),
                json!({ "name": "Renamed", "organizationId": own.organization, "language": "en" }),
            ),
            ("POST /organizations".into(), json!({ "name": "Fuzzed Org" })),
            ("PATCH /organizations/{organizationId}".into(), json!({ "name": "Renamed Org" })),
            (
                "POST /uploads".into(),
                json!({ "fileName": "f.pdf", "contentType": "application/pdf", "size": 10, "folderId": own.folder }),
            ),
            ("PATCH /documents/{documentId}".into(), json!({ "name": "g.pdf", "folderId": own.folder })),
            ("POST /folders".into(), json!({ "name": "Sub", "parentId": own.folder })),
            ("PATCH /folders/{folderId}".into(), json!({ "name": "Moved", "parentId": Value::Null })),
            ("POST /shares".into(), json!({ "items": [item], "contactIds": [own.contact], "availableUntil": future })),
            (
                "PUT /contacts/{contactId}/shares".into(),
                json!({ "items": [{ "kind": "folder", "id": own.folder, "availableUntil": future }] }),
            ),
            (
                "PATCH /settings".into(),
                json!({ "name": "Fuzzed Co", "accentColor": "#123456", "notifyAccessClosed": false }),
            ),
            ("POST /settings/logo".into(), json!({ "contentType": "image/png", "size": 10 })),
            ("POST /staff".into(), json!({ "email": email, "role": "viewer" })),
            ("PATCH /staff/{staffId}".into(), json!({ "role": "member" })),
            (
                "POST /portal/companies/{tenantId}/uploads".into(),
                json!({ "fileName": "back.pdf", "contentType": "application/pdf", "size": 3 }),
            ),
            (
                "PUT /portal/preferences".into(),
                json!({ "emailNotifications": false, "mutedCompanies": [own.tenant], "language": "fr" }),
            ),
        ])
    }

    fn of(&self, key: &str) -> Option<Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }
}

/// A valid body with up to two edits: a field dropped, renamed or given another value.
fn mutated(example: Value, leaf: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let fields: Vec<String> = example.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    prop::collection::vec((proptest::sample::select(fields), 0..5u8, leaf), 0..3)
        .prop_map(move |edits| {
            let mut body = example.clone();
            let object = body.as_object_mut().expect("examples are objects");
            for (field, edit, value) in edits {
                match edit {
                    0 => {
                        object.remove(&field);
                    }
                    1 => {
                        object.insert(format!("{field}X"), value);
                    }
                    _ => {
                        object.insert(field, value);
                    }
                }
            }
            body
        })
        .boxed()
}

/// Requests for one caller: mostly routes of the table with their own method, some with
/// another method or a path of no route.
fn requests(
    own: &Things,
    foreign: &Things,
    customer_contact: &str,
    authorizer: Authorizer,
    skip: &'static [&'static str],
) -> impl Strategy<Value = Fuzzed> {
    let ids: Vec<String> = own.ids().into_iter().chain(foreign.ids()).collect();
    let edge = prop_oneof![
        2 => proptest::sample::select(ids).prop_map(Value::String),
        2 => proptest::sample::select(EDGES).prop_map(|text| Value::String(text.to_owned())),
        1 => proptest::sample::select(vec![json!(u64::MAX), json!(-1), json!(0), json!(1e300), json!([]), json!({}), Value::Null]),
    ];
    let leaf = prop_oneof![3 => support::leaf(), 2 => edge].boxed();
    let random = prop_oneof![
        6 => support::json_value_with(FIELDS, leaf.clone()).prop_map(|v| serde_json::to_vec(&v).unwrap()),
        2 => support::body_bytes(FIELDS),
        1 => Just(Vec::new()),
    ]
    .boxed();
    let examples = Examples::new(own);
    let cursor = cursor(own, foreign);
    let random_stray = random.clone();
    let (own, foreign, customer_contact) = (own.clone(), foreign.clone(), customer_contact.to_owned());
    // Mostly the caller's own routes (to get past the authorizer), some public, a few others.
    let routes = |keep: &dyn Fn(&Route) -> bool| -> Vec<&'static Route> {
        ROUTES.iter().filter(|route| !skip.contains(&route.key().as_str()) && keep(route)).collect()
    };
    let route = prop_oneof![
        6 => proptest::sample::select(routes(&|route| route.authorizer == authorizer)),
        2 => proptest::sample::select(routes(&|route| route.authorizer == Authorizer::Public)),
        1 => proptest::sample::select(routes(&|route| route.authorizer != authorizer && route.authorizer != Authorizer::Public)),
    ];
    let path = route.prop_flat_map(move |route| {
        let params: Vec<BoxedStrategy<String>> = route
            .path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    parameter(&part[1..part.len() - 1], &own, &foreign, &customer_contact)
                } else {
                    Just(part.to_owned()).boxed()
                }
            })
            .collect();
        // A valid body of the route, bent a little, or anything at all.
        let body = match examples.of(&route.key()) {
            Some(example) => prop_oneof![
                4 => mutated(example, leaf.clone()).prop_map(|v| serde_json::to_vec(&v).unwrap()),
                1 => random.clone(),
            ]
            .boxed(),
            None => random.clone(),
        };
        (Just(route.method.to_owned()), params.prop_map(|parts| parts.join("/")), body)
    });
    let stray = (
        proptest::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).prop_map(str::to_owned),
        prop::collection::vec(
            prop_oneof![
                2 => proptest::sample::select(ROUTES.iter().flat_map(|r| r.path.split('/')).filter(|s| !s.is_empty() && !s.starts_with('{')).collect::<Vec<_>>()).prop_map(str::to_owned),
                1 => support::hostile_string().prop_map(|s| segment(&s)),
                1 => support::uuid_text(),
            ],
            0..5,
        )
        .prop_map(|parts| format!("/{}", parts.join("/"))),
        random_stray,
    );
    let target = prop_oneof![9 => path, 1 => stray];
    (target, query(cursor), content_type()).prop_map(|((method, path, body), query, content_type)| {
        let body =
            if matches!(method.as_str(), "POST" | "PUT" | "PATCH") || body.len() % 5 == 0 { body } else { Vec::new() };
        // (A URL is bounded: API Gateway refuses long ones, and so does the client.)
        let mut path = format!("{path}{query}");
        path.truncate(MAX_URL_BYTES);
        Fuzzed { method, path, content_type, body }
    })
}

fn requests_per_caller() -> usize {
    std::env::var("PORTAL_FUZZ_REQUESTS").ok().and_then(|n| n.parse().ok()).unwrap_or(REQUESTS_PER_CALLER)
}

fn seed() -> u64 {
    std::env::var("PORTAL_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED)
}

/// A deterministic runner: the same seed (and caller) makes the same choices.
fn runner(seed: u64, caller: u8) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8] = caller;
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// Another tenant's id in a 2xx body: as an id anywhere, or at all unless some request of
/// the run sent it (a name may echo what was typed, now or earlier).
fn leak(value: &Value, key: Option<&str>, foreign: &[String], sent: &HashSet<String>) -> Option<String> {
    match value {
        Value::String(text) => foreign.iter().find(|id| text.contains(id.as_str())).and_then(|id| {
            let id_field =
                key.is_some_and(|k| k == "id" || k == "sub" || k == "items" || k.ends_with("Id") || k.ends_with("Ids"));
            (id_field || !sent.contains(id.as_str())).then(|| format!("another tenant's {id} under {key:?}"))
        }),
        Value::Array(items) => items.iter().find_map(|item| leak(item, key, foreign, sent)),
        Value::Object(fields) => fields.iter().find_map(|(k, v)| leak(v, Some(k), foreign, sent)),
        _ => None,
    }
}

/// Why a response breaks the rules, if it does.
fn violation(
    request: &Fuzzed,
    response: &xtask::client::ApiResponse,
    foreign: &[String],
    sent: &HashSet<String>,
) -> Option<String> {
    let status = response.status;
    if status >= 500 {
        return Some(format!("a {status}"));
    }
    if (400..500).contains(&status) {
        if response.content_type != "application/problem+json" {
            return Some(format!("a {status} as {:?}", response.content_type));
        }
        if response.json["status"] != status {
            return Some(format!("a {status} whose problem says status {}", response.json["status"]));
        }
        return None;
    }
    if (200..300).contains(&status) {
        let path = request.path.split('?').next().unwrap_or_default();
        // (A DELETE of something that is not there may answer 204; that it changed nothing
        // of the other tenant is checked at the end.)
        if let Some(id) = foreign.iter().find(|id| path.contains(id.as_str()))
            && !(request.method == "DELETE" && status == 204)
        {
            return Some(format!("a {status} for another tenant's {id}"));
        }
        return leak(&response.json, None, foreign, sent);
    }
    None
}

/// What the other tenant's admin sees of their tenant.
async fn snapshot(admin: &ApiClient, t: &Things) -> anyhow::Result<Vec<(String, u16, Value)>> {
    let mut seen = Vec::new();
    let paths = [
        "/contacts".to_owned(),
        "/organizations".to_owned(),
        "/drive".to_owned(),
        "/documents".to_owned(),
        "/submissions".to_owned(),
        "/settings".to_owned(),
        "/staff".to_owned(),
        format!("/contacts/{}", t.contact),
        format!("/contacts/{}/shares", t.contact),
        format!("/contacts/{}/activity", t.contact),
        format!("/organizations/{}/contacts", t.organization),
        format!("/folders/{}/items", t.folder),
        format!("/documents/{}", t.document),
        format!("/documents/{}/activity", t.document),
    ];
    for path in paths {
        let response = admin.get(&path).await?;
        seen.push((path, response.status, response.json));
    }
    Ok(seen)
}

#[tokio::test]
async fn random_requests_never_get_a_5xx_nor_reach_another_tenant() -> anyhow::Result<()> {
    let seed = seed();
    let a = tenant_fixture().await?;
    let b = tenant_fixture().await?;
    let own = Things::make(&a).await?;
    let foreign = Things::make(&b).await?;
    let (customer, customer_contact) =
        registered_customer(&a.member, &format!("{}@customer.example", unique("fuzz"))).await?;
    let before = snapshot(&b.admin, &foreign).await?;
    let foreign_ids = foreign.ids();

    // Signing the customer out would end the customer's part of the run. (The admin's
    // sign-out is fuzzed: it revokes the refresh tokens in Cognito, and the authorizer
    // keeps taking the access token until it expires, so later requests still reach the
    // functions; a second sign-out is a 401.)
    let callers: [(&str, ApiClient, Authorizer, &'static [&'static str]); 3] = [
        ("admin", a.admin.clone(), Authorizer::Staff, &[]),
        ("customer", customer, Authorizer::Customer, &["POST /auth/customer/logout"]),
        ("anonymous", anonymous(), Authorizer::Public, &[]),
    ];
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut sent = HashSet::new();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for (caller, (who, client, authorizer, skip)) in callers.iter().enumerate() {
        let strategy = requests(&own, &foreign, &customer_contact, *authorizer, skip);
        let mut runner = runner(seed, caller as u8);
        for index in 0..requests_per_caller() {
            let request = strategy.new_tree(&mut runner).map_err(|e| anyhow::anyhow!("{e}"))?.current();
            let text = format!("{} {}", request.path, String::from_utf8_lossy(&request.body));
            sent.extend(foreign_ids.iter().filter(|id| text.contains(id.as_str())).cloned());
            let response = client
                .send_raw(request.method.parse()?, &request.path, request.content_type.as_deref(), request.body.clone())
                .await?;
            *statuses.entry(response.status).or_default() += 1;
            if let Some(why) = violation(&request, &response, &foreign_ids, &sent) {
                failures.push(format!("{who} #{index}: {request}\n    -> {why}: {}", response.json));
            }
        }
    }
    println!(
        "fuzz: seed {seed}, {} requests in {:.1?}, statuses {statuses:?}",
        callers.len() * requests_per_caller(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "PORTAL_FUZZ_SEED={seed}: {} requests broke the rules:\n{}",
        failures.len(),
        failures.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
    let after = snapshot(&b.admin, &foreign).await?;
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after, "PORTAL_FUZZ_SEED={seed}: the other tenant changed");
    }
    Ok(())
}

fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let digits: Vec<u32> =
        text.bytes().map(|b| ALPHABET.iter().position(|a| *a == b).map(|p| p as u32)).collect::<Option<_>>()?;
    let mut bytes = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, d)| n | (d << (18 - 6 * i)));
        bytes.extend((0..chunk.len().saturating_sub(1)).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Some(bytes)
}

/// Real page cursors of every listing, bent: moved into the other tenant's partition, given
/// an extra key, stripped of one, cut to their prefix, or grown past DynamoDB's key sizes.
/// Each is a 400 or a page of the caller's own things, never a 5xx nor the other tenant's.
#[tokio::test]
async fn crafted_page_cursors_stay_in_the_callers_partition() -> anyhow::Result<()> {
    let a = tenant_fixture().await?;
    let b = tenant_fixture().await?;
    let own = Things::make(&a).await?;
    Things::make(&a).await?; // a second of each, so that every listing has a next page
    let foreign = Things::make(&b).await?;
    let foreign_ids = foreign.ids();
    let listings = [
        "/contacts".to_owned(),
        "/organizations".to_owned(),
        "/documents".to_owned(),
        "/drive".to_owned(),
        "/staff".to_owned(),
        format!("/contacts/{}/activity", own.contact),
        format!("/documents/{}/activity", own.document),
        // Searches (the other tenant has the same words).
        "/contacts?q=fuzz".to_owned(),
        "/documents?q=fuzz".to_owned(),
        "/documents?q=fuzz&folderId=root".to_owned(),
    ];
    let mut checked = 0;
    for listing in &listings {
        let sep = if listing.contains('?') { '&' } else { '?' };
        let first = a.admin.get(&format!("{listing}{sep}limit=1")).await?.expect(200)?;
        let Some(cursor) = first["nextCursor"].as_str() else { continue };
        let keys: std::collections::BTreeMap<String, String> =
            serde_json::from_slice(&base64url_decode(cursor).expect("cursors are base64url"))?;
        let mut bent = Vec::new();
        let moved = keys.iter().map(|(k, v)| (k.clone(), v.replace(&own.tenant, &foreign.tenant))).collect();
        bent.push(("moved to the other tenant", moved));
        let mut extra = keys.clone();
        extra.insert("GSI9PK".into(), format!("TENANT#{}", foreign.tenant));
        bent.push(("an extra key", extra));
        for name in keys.keys() {
            let mut fewer = keys.clone();
            fewer.remove(name);
            bent.push(("a key fewer", fewer));
            for pad in [1100, 2100] {
                let mut long = keys.clone();
                long.get_mut(name).unwrap().push_str(&"z".repeat(pad));
                bent.push(("a key too long", long));
            }
            let mut cut = keys.clone();
            let value = cut.get_mut(name).unwrap();
            if let Some(at) = value.rfind('#') {
                value.truncate(at + 1);
                bent.push(("a key cut to its prefix", cut));
            }
        }
        for (how, keys) in bent {
            let cursor = base64url(&serde_json::to_vec(&keys)?);
            let response = a.admin.get(&format!("{listing}{sep}limit=5&cursor={cursor}")).await?;
            let request = Fuzzed {
                method: "GET".into(),
                path: format!("{listing}?cursor=…"),
                content_type: None,
                body: Vec::new(),
            };
            let why = violation(&request, &response, &foreign_ids, &HashSet::new());
            // A key longer than DynamoDB takes is refused before the query (DynamoDB would
            // answer a ValidationException: a 5xx).
            let expected_400 = how == "a key too long";
            assert!(
                why.is_none() && matches!(response.status, 200 | 400) && (!expected_400 || response.status == 400),
                "{listing} with a cursor {how} ({keys:?}): {} {:?} {}",
                response.status,
                why,
                response.json
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} cursors were checked");
    Ok(())
}

//! A bounded load run through the local gateway against the local stack: tenants with
//! staff and registered customers are set up, then `clients` concurrent sessions each make
//! up to `requests` operations drawn from a seeded, deterministic mix (staff: list contacts,
//! documents and the drive, upload, share, unshare, download, open and close access, add a
//! contact; customers: list their shares, download, upload back). Every answer is counted.
//!
//! A **model** records what each session did and got a 2xx for. Each staff session owns its
//! own documents and contacts (nobody else shares, unshares or changes their access), so the
//! model is exact whatever the interleaving. At the end it is checked against the API and
//! against the table itself: no 5xx, every upload is exactly one settled document, every
//! share the model holds is listed exactly once to staff and (while the access is active) to
//! the customer, nothing unshared is listed, and the tenants' `DOC#`, `SHARE#` and
//! `CONTACT#` items are exactly the model's. Timings are reported, never checked.
//!
//! Bounded: at most `clients × requests` operations and [`Options::max_http`] HTTP requests,
//! and no new operation starts after [`Options::seconds`]; every request has a timeout.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aws_sdk_dynamodb::types::AttributeValue;
use portal_shared::domain::Role;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::client::{ApiClient, put_presigned};
use crate::provision::Stack;
use crate::seed::{Seeder, registered_customer};

const STAFF_PASSWORD: &str = "Load-Passw0rd!42";
const CUSTOMER_PASSWORD: &str = "Load-Customer-Passw0rd!9";
/// Any one HTTP request (API or S3) longer than this counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a staff session waits for its upload to settle (object-events through the SQS
/// relay) before it moves on; a slower settle is counted, not failed (the final checks wait
/// for it).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the final checks wait, in all, for every stored upload to settle.
const FINAL_SETTLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The size and bounds of a run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Concurrent sessions (staff and customers, about half each).
    pub clients: usize,
    /// Operations per session (an operation is one API call plus its S3 transfer or
    /// settle polling, if any).
    pub requests: usize,
    /// No new operation starts after this many seconds (the checks run after).
    pub seconds: u64,
    /// Tenants the sessions are spread over (0: one per 10 sessions).
    pub tenants: usize,
    /// The seed of the operation mix.
    pub seed: u64,
    /// Print a progress line to stderr every this often (`None`: quiet).
    pub progress: Option<Duration>,
}

impl Options {
    /// The seed of `cargo xtask soak` unless `--seed` is given.
    pub const DEFAULT_SEED: u64 = 0x5eed_cafe;

    pub fn new(clients: usize, requests: usize, seconds: u64) -> Self {
        Self { clients, requests, seconds, tenants: 0, seed: Self::DEFAULT_SEED, progress: None }
    }

    /// The hard cap on HTTP requests of the run phase (API and S3, polls included).
    pub fn max_http(&self) -> usize {
        self.clients * self.requests * 20 + 1000
    }

    fn tenant_count(&self) -> usize {
        let tenants = if self.tenants == 0 { self.clients.div_ceil(10) } else { self.tenants };
        tenants.clamp(1, self.clients.max(1))
    }
}

/// What a run measured and what its checks found.
#[derive(Debug, Default)]
pub struct Report {
    pub clients: usize,
    pub tenants: usize,
    pub operations: usize,
    /// Operations by kind.
    pub operation_kinds: BTreeMap<&'static str, usize>,
    /// API answers by status during the run (0: no answer: a transport error or timeout).
    pub statuses: BTreeMap<u16, usize>,
    /// API answers by status during the final checks.
    pub check_statuses: BTreeMap<u16, usize>,
    /// Presigned S3 transfers by status (0: a transport error or timeout).
    pub s3_statuses: BTreeMap<u16, usize>,
    pub http_requests: usize,
    pub setup: Duration,
    pub run: Duration,
    pub verify: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// What the model expected at the end.
    pub uploads: usize,
    pub shares: usize,
    pub contacts: usize,
    pub stopped_by_time: bool,
    /// Staff uploads that had not settled after [`SETTLE_TIMEOUT`] (the final checks wait
    /// for them: a slow emulator is reported, not failed).
    pub slow_settles: usize,
    pub stopped_by_cap: bool,
    /// Every check that failed (empty: the run passed).
    pub failures: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    pub fn server_errors(&self) -> usize {
        self.statuses.iter().chain(&self.check_statuses).filter(|(s, _)| **s >= 500).map(|(_, n)| n).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.run.as_secs_f64().max(0.001);
        writeln!(f, "load: {} sessions over {} tenants", self.clients, self.tenants)?;
        writeln!(
            f,
            "  setup {:.1?}, run {:.1?}, checks {:.1?}{}{}",
            self.setup,
            self.run,
            self.verify,
            if self.stopped_by_time { " (stopped by the time limit)" } else { "" },
            if self.stopped_by_cap { " (stopped by the request cap)" } else { "" },
        )?;
        writeln!(
            f,
            "  {} operations ({:.1}/s), {} HTTP requests ({:.1}/s)",
            self.operations,
            self.operations as f64 / seconds,
            self.http_requests,
            self.http_requests as f64 / seconds
        )?;
        writeln!(f, "  operations: {:?}", self.operation_kinds)?;
        writeln!(f, "  API statuses (run): {:?}", self.statuses)?;
        writeln!(f, "  API statuses (checks): {:?}", self.check_statuses)?;
        writeln!(f, "  S3 statuses: {:?}", self.s3_statuses)?;
        writeln!(f, "  API latency: p50 {:.1?}, p99 {:.1?}, max {:.1?}", self.p50, self.p99, self.max)?;
        writeln!(
            f,
            "  model at the end: {} uploads, {} active shares, {} contacts; {} uploads took over {:?} to settle",
            self.uploads, self.shares, self.contacts, self.slow_settles, SETTLE_TIMEOUT
        )?;
        if self.failures.is_empty() {
            write!(f, "  checks: all passed")
        } else {
            writeln!(
                f,
                "  checks: {} FAILED, by kind (ids and numbers elided), with a first example:",
                self.failures.len()
            )?;
            let mut kinds: BTreeMap<String, (usize, &String)> = BTreeMap::new();
            for failure in &self.failures {
                kinds.entry(failure_kind(failure)).or_insert((0, failure)).0 += 1;
            }
            for (kind, (count, example)) in kinds.iter().take(40) {
                writeln!(f, "    - {count} × {kind}\n        e.g. {example}")?;
            }
            Ok(())
        }
    }
}

/// A failure with its ids and numbers elided, to group failures of one kind.
fn failure_kind(failure: &str) -> String {
    let mut kind = String::new();
    let mut token = String::new();
    let flush = |token: &mut String, kind: &mut String| {
        let id_like = token.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && (token.len() >= 8 || token.chars().all(|c| c.is_ascii_digit()));
        kind.push_str(if id_like && !token.is_empty() { "…" } else { token });
        token.clear();
    };
    for c in failure.chars().take(200) {
        if c.is_ascii_alphanumeric() || c == '-' {
            token.push(c);
        } else {
            flush(&mut token, &mut kind);
            kind.push(c);
        }
    }
    flush(&mut token, &mut kind);
    kind
}

/// Each session's generator: seeded, so a seed gives the same mix, and portable
/// (xoshiro256++ is specified, unlike `StdRng`, whose algorithm may change between releases).
type Rng = Xoshiro256PlusPlus;

#[derive(Default)]
struct Stats {
    statuses: BTreeMap<u16, usize>,
    check_statuses: BTreeMap<u16, usize>,
    s3_statuses: BTreeMap<u16, usize>,
    latencies: Vec<Duration>,
    kinds: BTreeMap<&'static str, usize>,
    operations: usize,
    slow_settles: usize,
    failures: Vec<String>,
}

/// An API answer: its status (0: none) and JSON body.
struct Answer {
    status: u16,
    json: Value,
}

/// Counts every request and enforces the caps.
struct Recorder {
    stats: std::sync::Mutex<Stats>,
    http: AtomicUsize,
    max_http: usize,
    deadline: Instant,
    checking: std::sync::atomic::AtomicBool,
}

impl Recorder {
    fn fail(&self, failure: String) {
        self.stats.lock().unwrap().failures.push(failure);
    }

    fn may_continue(&self) -> bool {
        Instant::now() < self.deadline && self.http.load(Ordering::Relaxed) < self.max_http
    }

    async fn call(&self, client: &ApiClient, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.http.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, client.send(method.clone(), path, body)).await;
        let elapsed = started.elapsed();
        let response = match answer {
            Ok(Ok(response)) => Answer { status: response.status, json: response.json },
            Ok(Err(err)) => {
                self.fail(format!("{method} {path}: no answer: {err:#}"));
                Answer { status: 0, json: Value::Null }
            }
            Err(_) => {
                self.fail(format!("{method} {path}: no answer within {REQUEST_TIMEOUT:?}"));
                Answer { status: 0, json: Value::Null }
            }
        };
        let mut stats = self.stats.lock().unwrap();
        if self.checking.load(Ordering::Relaxed) {
            *stats.check_statuses.entry(response.status).or_default() += 1;
        } else {
            *stats.statuses.entry(response.status).or_default() += 1;
            stats.latencies.push(elapsed);
        }
        if response.status >= 500 {
            stats.failures.push(format!("{method} {path}: {} {}", response.status, response.json));
        }
        response
    }

    async fn s3_put(&self, upload: &Value, bytes: Vec<u8>) -> bool {
        self.http.fetch_add(1, Ordering::Relaxed);
        let status = match tokio::time::timeout(REQUEST_TIMEOUT, put_presigned(upload, bytes)).await {
            Ok(Ok(response)) => response.status().as_u16(),
            Ok(Err(err)) => {
                self.fail(format!("presigned PUT: {err:#}"));
                0
            }
            Err(_) => {
                self.fail("presigned PUT: no answer in time".into());
                0
            }
        };
        *self.stats.lock().unwrap().s3_statuses.entry(status).or_default() += 1;
        (200..300).contains(&status)
    }

    /// GETs a presigned download URL; the bytes if it answered 200.
    async fn s3_get(&self, url: &str) -> Option<Vec<u8>> {
        self.http.fetch_add(1, Ordering::Relaxed);
        let fetched = tokio::time::timeout(REQUEST_TIMEOUT, async {
            let response = reqwest::get(url).await?;
            let status = response.status().as_u16();
            Ok::<_, reqwest::Error>((status, response.bytes().await?.to_vec()))
        })
        .await;
        let (status, bytes) = match fetched {
            Ok(Ok((status, bytes))) => (status, Some(bytes)),
            Ok(Err(err)) => {
                self.fail(format!("presigned GET: {err}"));
                (0, None)
            }
            Err(_) => {
                self.fail("presigned GET: no answer in time".into());
                (0, None)
            }
        };
        *self.stats.lock().unwrap().s3_statuses.entry(status).or_default() += 1;
        if status != 200 {
            self.fail(format!("presigned GET answered {status}"));
            return None;
        }
        bytes
    }

    fn count(&self, kind: &'static str) {
        let mut stats = self.stats.lock().unwrap();
        stats.operations += 1;
        *stats.kinds.entry(kind).or_default() += 1;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    None,
    Pending,
    Active,
    Closed,
}

#[derive(Debug)]
struct ContactModel {
    /// The staff session that owns it (the only one that shares with it or changes it).
    owner: usize,
    /// A registered customer session signs in as this contact.
    registered: bool,
    access: Access,
    /// The documents shared with it now.
    shares: BTreeSet<String>,
}

#[derive(Debug)]
struct DocumentModel {
    bytes: Vec<u8>,
    /// The staff session that uploaded it (`None`: a customer submission).
    owner: Option<usize>,
}

#[derive(Default)]
struct TenantModel {
    id: String,
    contacts: BTreeMap<String, ContactModel>,
    /// Every document whose object was stored (ticket given and PUT answered 2xx).
    documents: BTreeMap<String, DocumentModel>,
    /// Upload tickets whose PUT failed (pending records, not documents).
    abandoned: BTreeSet<String>,
}

struct Model {
    tenants: Vec<Mutex<TenantModel>>,
}

enum Session {
    Staff { tenant: usize, index: usize, client: ApiClient },
    Customer { tenant: usize, contact: String, email: String, client: ApiClient },
}

struct Run {
    api_url: String,
    recorder: Recorder,
    model: Model,
}

/// Sets up the tenants and sessions, runs the load, checks the model; never fails on a
/// check (they are in [`Report::failures`]), only when the setup itself fails.
pub async fn run(api_url: &str, stack: &Stack, options: &Options) -> Result<Report> {
    let setup_started = Instant::now();
    let tenant_count = options.tenant_count();
    let seeder = Seeder::new(stack).await;
    let run_id = &uuid::Uuid::new_v4().simple().to_string()[..10];
    // Sessions per tenant: about half staff (at least one), the rest customers.
    let mut per_tenant = vec![0usize; tenant_count];
    for client in 0..options.clients {
        per_tenant[client % tenant_count] += 1;
    }
    let setups = per_tenant.iter().enumerate().map(|(t, &sessions)| {
        let seeder = &seeder;
        async move {
            let staff_count = sessions.div_ceil(2).max(1);
            let customer_count = sessions.saturating_sub(staff_count);
            let slug = format!("load-{run_id}-{t}");
            let tenant = seeder.tenant(&format!("Load {slug}"), &slug).await?;
            let mut model = TenantModel { id: tenant.id.to_string(), ..TenantModel::default() };
            let mut staff = Vec::new();
            for s in 0..staff_count {
                let email = format!("staff{s}@{slug}.example");
                seeder.staff(tenant.id, &email, Role::Member, STAFF_PASSWORD).await?;
                staff.push(ApiClient::staff_login(api_url, &email, STAFF_PASSWORD).await?);
            }
            let mut sessions = Vec::new();
            for c in 0..customer_count {
                let email = format!("customer{c}@{slug}.example");
                let owner = c % staff_count;
                let (client, contact) =
                    registered_customer(api_url, &stack.endpoint, &staff[owner], &email, CUSTOMER_PASSWORD)
                        .await
                        .with_context(|| format!("registering {email}"))?;
                model.contacts.insert(
                    contact.clone(),
                    ContactModel { owner, registered: true, access: Access::Active, shares: BTreeSet::new() },
                );
                sessions.push(Session::Customer { tenant: t, contact, email, client });
            }
            for (index, client) in staff.into_iter().enumerate() {
                sessions.push(Session::Staff { tenant: t, index, client });
            }
            anyhow::Ok((model, sessions))
        }
    });
    let mut models = Vec::new();
    let mut sessions = Vec::new();
    for result in futures::future::join_all(setups).await {
        let (model, tenant_sessions) = result?;
        models.push(Mutex::new(model));
        sessions.extend(tenant_sessions);
    }
    let setup = setup_started.elapsed();

    let started = Instant::now();
    let run = Arc::new(Run {
        api_url: api_url.to_owned(),
        recorder: Recorder {
            stats: std::sync::Mutex::new(Stats::default()),
            http: AtomicUsize::new(0),
            max_http: options.max_http(),
            deadline: started + Duration::from_secs(options.seconds),
            checking: false.into(),
        },
        model: Model { tenants: models },
    });
    let mut tasks = Vec::new();
    let mut checkers: BTreeMap<usize, ApiClient> = BTreeMap::new();
    let mut customers: Vec<(usize, String, String, ApiClient)> = Vec::new();
    for (number, session) in sessions.into_iter().enumerate() {
        match &session {
            Session::Staff { tenant, client, .. } => {
                checkers.entry(*tenant).or_insert_with(|| client.clone());
            }
            Session::Customer { tenant, contact, email, client } => {
                customers.push((*tenant, contact.clone(), email.clone(), client.clone()))
            }
        }
        let run = Arc::clone(&run);
        let rng = Rng::seed_from_u64(options.seed ^ (number as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let requests = options.requests;
        tasks.push(tokio::spawn(async move { session_loop(&run, session, rng, requests).await }));
    }
    let progress = options.progress.map(|every| {
        let run = Arc::clone(&run);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let stats = run.recorder.stats.lock().unwrap();
                eprintln!(
                    "load: {:>5.0?}: {} operations, {} HTTP requests, statuses {:?}, {} failures{}",
                    started.elapsed(),
                    stats.operations,
                    run.recorder.http.load(Ordering::Relaxed),
                    stats.statuses,
                    stats.failures.len(),
                    stats.failures.last().map(|last| format!(" (last: {last})")).unwrap_or_default()
                );
            }
        })
    });
    for task in tasks {
        if let Err(err) = task.await {
            run.recorder.fail(format!("a session panicked: {err}"));
        }
    }
    if let Some(progress) = progress {
        progress.abort();
    }
    let run_time = started.elapsed();
    let http_requests = run.recorder.http.load(Ordering::Relaxed);
    let stopped_by_time = Instant::now() >= run.recorder.deadline;
    let stopped_by_cap = http_requests >= run.recorder.max_http;

    let verify_started = Instant::now();
    run.recorder.checking.store(true, Ordering::Relaxed);
    verify(&run, stack, &checkers, &customers).await?;
    let verify = verify_started.elapsed();

    let mut stats = std::mem::take(&mut *run.recorder.stats.lock().unwrap());
    stats.latencies.sort();
    let quantile = |q: f64| {
        if stats.latencies.is_empty() {
            Duration::ZERO
        } else {
            stats.latencies[((stats.latencies.len() - 1) as f64 * q).round() as usize]
        }
    };
    let (mut uploads, mut shares, mut contacts) = (0, 0, 0);
    for tenant in &run.model.tenants {
        let tenant = tenant.lock().await;
        uploads += tenant.documents.len();
        contacts += tenant.contacts.len();
        shares += tenant.contacts.values().map(|c| c.shares.len()).sum::<usize>();
    }
    Ok(Report {
        clients: options.clients,
        tenants: tenant_count,
        operations: stats.operations,
        operation_kinds: stats.kinds,
        statuses: stats.statuses,
        check_statuses: stats.check_statuses,
        s3_statuses: stats.s3_statuses,
        http_requests,
        setup,
        run: run_time,
        verify,
        p50: quantile(0.50),
        p99: quantile(0.99),
        max: stats.latencies.last().copied().unwrap_or_default(),
        uploads,
        shares,
        contacts,
        stopped_by_time,
        stopped_by_cap,
        slow_settles: stats.slow_settles,
        failures: stats.failures,
    })
}

const STAFF_OPERATIONS: [(&str, u32); 10] = [
    ("list contacts", 8),
    ("list documents", 8),
    ("list drive", 8),
    ("list a contact's shares", 8),
    ("upload", 12),
    ("share", 18),
    ("unshare", 10),
    ("staff download", 14),
    ("access change", 6),
    ("add contact", 4),
];

const CUSTOMER_OPERATIONS: [(&str, u32); 4] =
    [("list shares", 40), ("customer download", 30), ("upload back", 10), ("portal me", 20)];

async fn session_loop(run: &Run, mut session: Session, mut rng: Rng, requests: usize) {
    let staff_mix = WeightedIndex::new(STAFF_OPERATIONS.iter().map(|(_, weight)| *weight)).expect("weights");
    let customer_mix = WeightedIndex::new(CUSTOMER_OPERATIONS.iter().map(|(_, weight)| *weight)).expect("weights");
    for _ in 0..requests {
        if !run.recorder.may_continue() {
            break;
        }
        match &mut session {
            Session::Staff { tenant, index, client } => {
                let kind = STAFF_OPERATIONS[staff_mix.sample(&mut rng)].0;
                run.recorder.count(kind);
                staff_operation(run, *tenant, *index, client, kind, &mut rng).await;
            }
            Session::Customer { tenant, email, client, .. } => {
                let kind = CUSTOMER_OPERATIONS[customer_mix.sample(&mut rng)].0;
                run.recorder.count(kind);
                customer_operation(run, *tenant, email, client, kind, &mut rng).await;
            }
        }
    }
}

fn ids_of(items: &[Value], pointer: &str) -> Vec<String> {
    items.iter().filter_map(|item| item.pointer(pointer).and_then(Value::as_str).map(str::to_owned)).collect()
}

fn duplicates(ids: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    ids.iter().filter(|id| !seen.insert(id.as_str())).cloned().collect()
}

/// Every page of a listing (at most 200 pages).
async fn all_pages(recorder: &Recorder, client: &ApiClient, path: &str) -> Option<Vec<Value>> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let separator = if path.contains('?') { '&' } else { '?' };
    for _ in 0..200 {
        let url = match &cursor {
            Some(cursor) => format!("{path}{separator}limit=100&cursor={cursor}"),
            None => format!("{path}{separator}limit=100"),
        };
        let page = recorder.call(client, Method::GET, &url, None).await;
        if page.status != 200 {
            recorder.fail(format!("GET {url}: {} {}", page.status, page.json));
            return None;
        }
        items.extend(page.json["items"].as_array().cloned().unwrap_or_default());
        match page.json["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Some(items),
        }
    }
    recorder.fail(format!("GET {path}: more than 200 pages"));
    None
}

fn expect(recorder: &Recorder, response: &Answer, what: &str, allowed: &[u16]) -> bool {
    if allowed.contains(&response.status) {
        return true;
    }
    if response.status < 500 && response.status != 0 {
        // 5xx and transport errors are already counted as failures.
        recorder.fail(format!("{what}: {} {}", response.status, response.json));
    }
    false
}

async fn staff_operation(run: &Run, tenant: usize, me: usize, client: &ApiClient, kind: &str, rng: &mut Rng) {
    let recorder = &run.recorder;
    let model = &run.model.tenants[tenant];
    // What this session owns (only it changes these, so the model is exact).
    let (my_contacts, my_registered, my_documents, my_shares) = {
        let model = model.lock().await;
        let contacts: Vec<String> =
            model.contacts.iter().filter(|(_, c)| c.owner == me).map(|(id, _)| id.clone()).collect();
        let registered: Vec<(String, Access)> = model
            .contacts
            .iter()
            .filter(|(_, c)| c.owner == me && c.registered)
            .map(|(id, c)| (id.clone(), c.access))
            .collect();
        let documents: Vec<String> =
            model.documents.iter().filter(|(_, d)| d.owner == Some(me)).map(|(id, _)| id.clone()).collect();
        let shares: Vec<(String, String)> = model
            .contacts
            .iter()
            .filter(|(_, c)| c.owner == me)
            .flat_map(|(id, c)| c.shares.iter().map(move |doc| (id.clone(), doc.clone())))
            .collect();
        (contacts, registered, documents, shares)
    };
    match kind {
        "list contacts" | "list documents" | "list drive" => {
            let path = match kind {
                "list contacts" => "/contacts",
                "list documents" => "/documents",
                _ => "/drive",
            };
            let response = recorder.call(client, Method::GET, path, None).await;
            if expect(recorder, &response, kind, &[200]) {
                let ids = ids_of(response.json["items"].as_array().map(Vec::as_slice).unwrap_or_default(), "/id");
                let repeated = duplicates(&ids);
                if !repeated.is_empty() {
                    recorder.fail(format!("{kind}: listed twice: {repeated:?}"));
                }
            }
        }
        "list a contact's shares" => {
            let Some(contact) = my_contacts.choose(rng) else { return };
            let response = recorder.call(client, Method::GET, &format!("/contacts/{contact}/shares"), None).await;
            if expect(recorder, &response, kind, &[200]) {
                let ids = ids_of(response.json["items"].as_array().map(Vec::as_slice).unwrap_or_default(), "/item/id");
                // Only this session changes this contact's shares, so the listing is exact.
                let expected: Vec<String> =
                    model.lock().await.contacts[contact].shares.iter().cloned().collect::<Vec<_>>();
                let mut got = ids.clone();
                got.sort();
                if got != expected && response.json["nextCursor"].is_null() {
                    recorder.fail(format!("{kind} {contact}: listed {got:?}, the model has {expected:?}"));
                }
            }
        }
        "upload" => staff_upload(run, tenant, me, client, rng).await,
        "share" => {
            let (Some(document), Some(contact)) = (my_documents.choose(rng), my_contacts.choose(rng)) else {
                return staff_upload(run, tenant, me, client, rng).await;
            };
            let body = json!({ "items": [{ "kind": "document", "id": document }], "contactIds": [contact] });
            let response = recorder.call(client, Method::POST, "/shares", Some(body)).await;
            if expect(recorder, &response, kind, &[200]) {
                let mut model = model.lock().await;
                let contact = model.contacts.get_mut(contact).expect("an owned contact");
                contact.shares.insert(document.clone());
                if contact.access == Access::None {
                    contact.access = Access::Pending;
                }
            }
        }
        "unshare" => {
            let Some((contact, document)) = my_shares.choose(rng) else { return };
            let response =
                recorder.call(client, Method::DELETE, &format!("/contacts/{contact}/shares/{document}"), None).await;
            if expect(recorder, &response, kind, &[204]) {
                model.lock().await.contacts.get_mut(contact).expect("an owned contact").shares.remove(document);
            }
        }
        "staff download" => {
            let Some(document) = my_documents.choose(rng) else { return };
            let response = recorder.call(client, Method::GET, &format!("/documents/{document}/download"), None).await;
            if expect(recorder, &response, kind, &[200]) {
                let expected = model.lock().await.documents[document].bytes.clone();
                check_download(recorder, &response, &expected, document).await;
            }
        }
        "access change" => {
            let Some((contact, access)) = my_registered.choose(rng) else { return };
            let (method, next) = match access {
                Access::Active => (Method::DELETE, Access::Closed),
                _ => (Method::POST, Access::Active),
            };
            let response = recorder.call(client, method, &format!("/contacts/{contact}/access"), None).await;
            if expect(recorder, &response, kind, &[200]) {
                let status = response.json["accessStatus"].as_str().unwrap_or_default();
                let wanted = if next == Access::Closed { "closed" } else { "active" };
                if status != wanted {
                    recorder.fail(format!("{kind} {contact}: now {status}, expected {wanted}"));
                }
                model.lock().await.contacts.get_mut(contact).expect("an owned contact").access = next;
            }
        }
        "add contact" => {
            let email = format!("extra-{}@contacts.example", uuid::Uuid::new_v4().simple());
            let response = recorder
                .call(client, Method::POST, "/contacts", Some(json!({ "email": email, "name": "Extra" })))
                .await;
            if expect(recorder, &response, kind, &[201])
                && let Some(id) = response.json["id"].as_str()
            {
                model.lock().await.contacts.insert(
                    id.to_owned(),
                    ContactModel { owner: me, registered: false, access: Access::None, shares: BTreeSet::new() },
                );
            }
        }
        other => recorder.fail(format!("unknown staff operation {other}")),
    }
}

/// Presign, PUT the bytes to S3, then wait until object-events settled the document.
async fn staff_upload(run: &Run, tenant: usize, me: usize, client: &ApiClient, rng: &mut Rng) {
    let recorder = &run.recorder;
    let name = format!("load-{me}-{}.txt", rng.random_range(0..1_000_000u32));
    let bytes = format!("{name}: {}", rng.random::<u64>()).into_bytes();
    let body = json!({ "fileName": name, "contentType": "text/plain", "size": bytes.len() });
    let ticket = recorder.call(client, Method::POST, "/uploads", Some(body)).await;
    if !expect(recorder, &ticket, "upload ticket", &[201]) {
        return;
    }
    let id = ticket.json["document"]["id"].as_str().unwrap_or_default().to_owned();
    let stored = recorder.s3_put(&ticket.json["upload"], bytes.clone()).await;
    {
        let mut model = run.model.tenants[tenant].lock().await;
        if stored {
            model.documents.insert(id.clone(), DocumentModel { bytes, owner: None });
        } else {
            model.abandoned.insert(id.clone());
            return;
        }
    }
    // Settled before it is shared or downloaded (polls count as requests).
    let deadline = Instant::now() + SETTLE_TIMEOUT;
    loop {
        let document = recorder.call(client, Method::GET, &format!("/documents/{id}"), None).await;
        if !expect(recorder, &document, "settle poll", &[200]) {
            return;
        }
        match document.json["status"].as_str() {
            Some("available") => break,
            Some("pending") if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            Some("pending") => {
                // The emulator is behind (every DynamoDB request is serialized); the final
                // checks wait for it. Not shared or downloaded by this session meanwhile.
                recorder.stats.lock().unwrap().slow_settles += 1;
                return;
            }
            other => {
                recorder.fail(format!("upload {id}: {other:?}"));
                return;
            }
        }
    }
    // Only now is it this session's to share and download.
    if let Some(document) = run.model.tenants[tenant].lock().await.documents.get_mut(&id) {
        document.owner = Some(me);
    }
}

/// A 200 download ticket: the presigned URL gives exactly the uploaded bytes.
async fn check_download(recorder: &Recorder, response: &Answer, expected: &[u8], document: &str) {
    let Some(url) = response.json["download"]["url"].as_str() else {
        recorder.fail(format!("download {document}: no URL in {}", response.json));
        return;
    };
    if let Some(bytes) = recorder.s3_get(url).await
        && bytes != expected
    {
        recorder.fail(format!("download {document}: {} bytes, not the {} uploaded", bytes.len(), expected.len()));
    }
}

async fn customer_operation(run: &Run, tenant: usize, email: &str, client: &mut ApiClient, kind: &str, rng: &mut Rng) {
    let recorder = &run.recorder;
    let tenant_id = run.model.tenants[tenant].lock().await.id.clone();
    let mut response = customer_request(run, client, email, kind, (tenant, &tenant_id), rng).await;
    if response.as_ref().is_some_and(|r| r.status == 401) {
        // Closing access signs the customer out everywhere: sign in again, as the portal does.
        let login = recorder
            .call(
                &ApiClient::anonymous(&run.api_url),
                Method::POST,
                "/auth/customer/login",
                Some(json!({ "email": email, "password": CUSTOMER_PASSWORD })),
            )
            .await;
        if expect(recorder, &login, "customer login", &[200]) {
            *client =
                ApiClient::anonymous(&run.api_url).with_token(login.json["accessToken"].as_str().unwrap_or_default());
            response = customer_request(run, client, email, kind, (tenant, &tenant_id), rng).await;
        }
    }
    if let Some(response) = response
        && response.status == 401
    {
        recorder.fail(format!("{kind} as {email}: 401 after signing in again"));
    }
}

/// One customer operation; `None` when there was nothing to do, otherwise the main answer.
async fn customer_request(
    run: &Run,
    client: &ApiClient,
    email: &str,
    kind: &str,
    (tenant, tenant_id): (usize, &str),
    rng: &mut Rng,
) -> Option<Answer> {
    let recorder = &run.recorder;
    let model = &run.model.tenants[tenant];
    match kind {
        "list shares" | "customer download" => {
            let listing =
                recorder.call(client, Method::GET, &format!("/portal/shares?company={tenant_id}"), None).await;
            if listing.status == 401 {
                return Some(listing);
            }
            if !expect(recorder, &listing, "list shares", &[200]) {
                return Some(listing);
            }
            let items = listing.json["items"].as_array().cloned().unwrap_or_default();
            let ids = ids_of(&items, "/document/id");
            let repeated = duplicates(&ids);
            if !repeated.is_empty() {
                recorder.fail(format!("{email}'s shares: listed twice: {repeated:?}"));
            }
            if kind == "list shares" {
                return Some(listing);
            }
            let document = ids.choose(rng)?.clone();
            let path = format!("/portal/companies/{tenant_id}/documents/{document}/download");
            let response = recorder.call(client, Method::GET, &path, None).await;
            // 403: unshared or access closed since the listing (another session's doing).
            if response.status == 200 {
                let expected = model.lock().await.documents.get(&document).map(|d| d.bytes.clone());
                match expected {
                    Some(bytes) => check_download(recorder, &response, &bytes, &document).await,
                    None => recorder.fail(format!("{email} could download {document}, which no session uploaded")),
                }
            } else if response.status != 401 {
                expect(recorder, &response, "customer download", &[403]);
            }
            Some(response)
        }
        "upload back" => {
            let name = format!("back-{}.txt", rng.random_range(0..1_000_000u32));
            let bytes = format!("{name} from {email}").into_bytes();
            let path = format!("/portal/companies/{tenant_id}/uploads");
            let body = json!({ "fileName": name, "contentType": "text/plain", "size": bytes.len() });
            let ticket = recorder.call(client, Method::POST, &path, Some(body)).await;
            if ticket.status == 201 {
                let id = ticket.json["document"]["id"].as_str().unwrap_or_default().to_owned();
                let stored = recorder.s3_put(&ticket.json["upload"], bytes.clone()).await;
                let mut model = model.lock().await;
                if stored {
                    model.documents.insert(id, DocumentModel { bytes, owner: None });
                } else {
                    model.abandoned.insert(id);
                }
            } else if ticket.status != 401 {
                // 403: the access was closed by the owning staff session.
                expect(recorder, &ticket, "upload back", &[403]);
            }
            Some(ticket)
        }
        "portal me" => {
            let me = recorder.call(client, Method::GET, "/portal/me", None).await;
            if me.status != 401 {
                expect(recorder, &me, "portal me", &[200]);
            }
            Some(me)
        }
        other => {
            recorder.fail(format!("unknown customer operation {other}"));
            None
        }
    }
}

/// The final checks, against the API and then the table.
async fn verify(
    run: &Run,
    stack: &Stack,
    staff: &BTreeMap<usize, ApiClient>,
    customers: &[(usize, String, String, ApiClient)],
) -> Result<()> {
    let recorder = &run.recorder;
    let deadline = Instant::now() + FINAL_SETTLE_TIMEOUT;
    for (t, tenant) in run.model.tenants.iter().enumerate() {
        let tenant = tenant.lock().await;
        let Some(checker) = staff.get(&t) else { continue };
        // Every stored upload settles as one available document (customer uploads were not
        // waited for during the run, and slow staff ones not to the end).
        let listed = loop {
            let Some(listed) = all_pages(recorder, checker, "/documents").await else { break None };
            let pending = listed
                .iter()
                .filter(|d| {
                    d["status"] == "pending" && tenant.documents.contains_key(d["id"].as_str().unwrap_or_default())
                })
                .count();
            if pending == 0 || Instant::now() >= deadline {
                break Some(listed);
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        if let Some(listed) = listed {
            let ids = ids_of(&listed, "/id");
            let repeated = duplicates(&ids);
            if !repeated.is_empty() {
                recorder.fail(format!("tenant {}: documents listed twice: {repeated:?}", tenant.id));
            }
            let by_id: HashMap<String, &Value> =
                listed.iter().map(|d| (d["id"].as_str().unwrap_or_default().to_owned(), d)).collect();
            for id in tenant.documents.keys() {
                match by_id.get(id) {
                    None => recorder.fail(format!("tenant {}: upload {id} is lost", tenant.id)),
                    Some(document) if document["status"] != "available" => {
                        recorder.fail(format!("tenant {}: upload {id} is {}", tenant.id, document["status"]))
                    }
                    Some(_) => {}
                }
            }
            for id in by_id.keys() {
                if !tenant.documents.contains_key(id) && !tenant.abandoned.contains(id) {
                    recorder.fail(format!("tenant {}: document {id} that no upload made", tenant.id));
                }
            }
        }
        // Every share exactly once on the staff side; nothing unshared.
        for (contact_id, contact) in &tenant.contacts {
            if let Some(listed) = all_pages(recorder, checker, &format!("/contacts/{contact_id}/shares")).await {
                let mut ids = ids_of(&listed, "/item/id");
                ids.sort();
                let expected: Vec<String> = contact.shares.iter().cloned().collect();
                if ids != expected {
                    recorder
                        .fail(format!("contact {contact_id}: staff see shares {ids:?}, the model has {expected:?}"));
                }
            }
        }
    }
    // The customer side: exactly the model's shares while the access is active, nothing once
    // it is closed.
    for (t, contact_id, email, client) in customers {
        let tenant = run.model.tenants[*t].lock().await;
        let contact = &tenant.contacts[contact_id];
        let client = match signed_in(run, client, email).await {
            Some(client) => client,
            None => continue,
        };
        // The listing is the view index, maintained from the table's stream: it may lag behind
        // a share by the stream's delay (never show more), so it is read until it matches,
        // a bounded number of times.
        let expected: Vec<String> =
            if contact.access == Access::Active { contact.shares.iter().cloned().collect() } else { Vec::new() };
        for attempt in 0..120 {
            let Some(listed) = all_pages(recorder, &client, &format!("/portal/shares?company={}", tenant.id)).await
            else {
                break;
            };
            let mut ids = ids_of(&listed, "/document/id");
            ids.sort();
            let beyond = ids.iter().any(|id| !expected.contains(id));
            if ids == expected {
                break;
            }
            if beyond || attempt == 119 {
                recorder.fail(format!(
                    "customer of contact {contact_id} ({:?}): sees {ids:?}, the model has {expected:?}",
                    contact.access
                ));
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    }
    // The table itself: the tenants' items are exactly the model's.
    let dynamodb = aws_sdk_dynamodb::Client::new(&stack.sdk_config().await);
    let mut counts: HashMap<String, BTreeMap<&'static str, usize>> = HashMap::new();
    let partitions: HashMap<String, usize> = {
        let mut partitions = HashMap::new();
        for (t, tenant) in run.model.tenants.iter().enumerate() {
            partitions.insert(format!("TENANT#{}", tenant.lock().await.id), t);
        }
        partitions
    };
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    for _ in 0..10_000 {
        let page = dynamodb
            .scan()
            .table_name(&stack.table)
            .projection_expression("PK, SK")
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .context("scanning the table")?;
        for item in page.items() {
            let (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) = (item.get("PK"), item.get("SK")) else {
                continue;
            };
            if !partitions.contains_key(pk) {
                continue;
            }
            let kind = ["DOC#", "SHARE#", "CONTACT#", "SELECTION#"].into_iter().find(|p| sk.starts_with(p));
            if let Some(kind) = kind {
                *counts.entry(pk.clone()).or_default().entry(kind).or_default() += 1;
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    for (pk, t) in &partitions {
        let tenant = run.model.tenants[*t].lock().await;
        let found = counts.remove(pk).unwrap_or_default();
        let expected = BTreeMap::from([
            ("CONTACT#", tenant.contacts.len()),
            ("DOC#", tenant.documents.len() + tenant.abandoned.len()),
            ("SHARE#", tenant.contacts.values().map(|c| c.shares.len()).sum()),
            ("SELECTION#", 0),
        ]);
        for (kind, expected) in expected {
            let found = found.get(kind).copied().unwrap_or_default();
            if found != expected {
                recorder.fail(format!("table, {pk}: {found} {kind} items, the model has {expected}"));
            }
        }
    }
    Ok(())
}

/// The customer's client, signed in again if closing the access signed them out.
async fn signed_in(run: &Run, client: &ApiClient, email: &str) -> Option<ApiClient> {
    let probe = run.recorder.call(client, Method::GET, "/portal/me", None).await;
    if probe.status == 200 {
        return Some(client.clone());
    }
    let anonymous = ApiClient::anonymous(&run.api_url);
    let body = json!({ "email": email, "password": CUSTOMER_PASSWORD });
    let login = run.recorder.call(&anonymous, Method::POST, "/auth/customer/login", Some(body)).await;
    if !expect(&run.recorder, &login, "customer login", &[200]) {
        return None;
    }
    Some(anonymous.with_token(login.json["accessToken"].as_str().unwrap_or_default()))
}

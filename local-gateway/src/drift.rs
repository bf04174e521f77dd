//! The drift tests that need the functions linked: every function's role allows exactly
//! the calls its code declares, and its configuration reads exactly the names the template's
//! `Environment` sets for it. (The other template checks are `xtask/src/drift.rs`.)

use std::collections::{BTreeMap, BTreeSet};

use portal_shared::config::{self, Recording};
use serde_norway::Value;
use xtask::function_env;

fn strings(value: &Value) -> BTreeSet<String> {
    match value {
        Value::Sequence(items) => items.iter().map(|v| v.as_str().expect("a string").to_owned()).collect(),
        Value::String(one) => BTreeSet::from([one.clone()]),
        _ => BTreeSet::new(),
    }
}

/// What each function's code declares it calls, by template function name.
const DECLARED_ACTIONS: &[(&str, &[&str])] = &[
    ("auth", portal_auth::IAM_ACTIONS),
    ("contacts", portal_contacts::IAM_ACTIONS),
    ("documents", portal_documents::IAM_ACTIONS),
    ("transfers", portal_transfers::IAM_ACTIONS),
    ("object-events", portal_object_events::IAM_ACTIONS),
    ("portal-access", portal_portal_access::IAM_ACTIONS),
    ("sharing", portal_sharing::IAM_ACTIONS),
    ("settings", portal_settings::IAM_ACTIONS),
    ("registration", portal_registration::IAM_ACTIONS),
    ("customer", portal_customer::IAM_ACTIONS),
    ("notifications", portal_notifications::IAM_ACTIONS),
    ("view-index", portal_view_index::IAM_ACTIONS),
    ("jobs", portal_jobs::IAM_ACTIONS),
];

#[test]
fn each_function_role_allows_exactly_the_calls_the_function_makes() {
    let template = function_env::template().unwrap();
    let functions = function_env::functions(&template).unwrap();
    assert_eq!(functions.len(), DECLARED_ACTIONS.len(), "a function without declared actions, or the reverse");
    for (name, function) in functions {
        let logical_id = &name;
        let declared: BTreeSet<String> = DECLARED_ACTIONS
            .iter()
            .find(|(function, _)| *function == name.as_str())
            .unwrap_or_else(|| panic!("{name} declares no IAM actions"))
            .1
            .iter()
            .map(|a| (*a).to_owned())
            .collect();
        let mut granted = BTreeSet::new();
        for policy in function["Properties"]["Policies"].as_sequence().expect("explicit policies") {
            for statement in policy["Statement"].as_sequence().expect("policy statements") {
                assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{logical_id}");
                let resources = match &statement["Resource"] {
                    Value::Sequence(items) => items.clone(),
                    single => vec![single.clone()],
                };
                for resource in &resources {
                    assert!(resource.as_str() != Some("*"), "{logical_id} grants on every resource");
                }
                for action in strings(&statement["Action"]) {
                    assert!(!action.contains('*'), "{logical_id} grants a wildcard action {action}");
                    granted.insert(action);
                }
            }
        }
        assert_eq!(granted, declared, "{logical_id}: template grants vs. calls the code makes");
    }
}

/// One configuration path: each function's `configure` reads exactly the names the
/// template sets for it (its own `Environment`; the `Globals` are read by the process, for
/// logs and metrics), but for the few the template leaves to their default on purpose
/// (`config::NOT_IN_TEMPLATE`). Checked by running each `configure` on a recording source
/// holding the template's variables, as the gateway runs it.
#[test]
fn each_function_reads_exactly_the_configuration_the_template_sets_for_it() {
    let template = function_env::template().unwrap();
    let sdk = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
    // Plausible values, so that every `configure` runs to its end.
    let value = |name: &str| match name {
        config::UPLOAD_URL_TTL_SECONDS | config::DOWNLOAD_URL_TTL_SECONDS | config::MAX_UPLOAD_BYTES => "300",
        config::SHARE_EMAIL_WINDOW_SECONDS => "120",
        config::JOBS_SYNC_LIMIT | config::JOBS_CHUNK_SIZE => "100",
        portal_shared::signup::COMPANY_SIGNUP => "closed",
        config::PUBLIC_URL => "https://portal.example.com",
        _ => "x",
    };
    let mut checked = 0;
    for name in function_env::functions(&template).unwrap().keys() {
        let declared = function_env::declared(&template, name).unwrap();
        let set: BTreeSet<String> =
            declared.keys().filter(|n| !config::PROCESS_WIDE.contains(&n.as_str())).cloned().collect();
        let source: BTreeMap<String, String> = set.iter().map(|n| (n.clone(), value(n).to_owned())).collect();
        let recording = Recording::new(&source);
        let configured = match name.as_str() {
            "auth" => configure::<portal_auth::App>(&sdk, &recording),
            "contacts" => configure::<portal_contacts::App>(&sdk, &recording),
            "customer" => configure::<portal_customer::App>(&sdk, &recording),
            "documents" => configure::<portal_documents::App>(&sdk, &recording),
            "portal-access" => configure::<portal_portal_access::App>(&sdk, &recording),
            "registration" => configure::<portal_registration::App>(&sdk, &recording),
            "settings" => configure::<portal_settings::App>(&sdk, &recording),
            "sharing" => configure::<portal_sharing::App>(&sdk, &recording),
            "transfers" => configure::<portal_transfers::App>(&sdk, &recording),
            "object-events" => portal_object_events::App::configure(&sdk, &recording).map(drop),
            "notifications" => portal_notifications::App::configure(&sdk, &recording).map(drop),
            "view-index" => portal_view_index::App::configure(&sdk, &recording).map(drop),
            "jobs" => portal_jobs::App::configure(&sdk, &recording).map(drop),
            other => panic!("the template has a function {other} this test does not know"),
        };
        configured.unwrap_or_else(|e| panic!("{name}: the template's environment does not configure it: {e}"));
        let read: BTreeSet<String> =
            recording.names().into_iter().filter(|n| !config::NOT_IN_TEMPLATE.contains(&n.as_str())).collect();
        assert_eq!(read, set, "{name}: names its configure reads vs. names the template sets for it");
        for global in config::PROCESS_WIDE {
            assert!(declared.contains_key(*global), "{name}: the template does not set {global}");
        }
        checked += 1;
    }
    assert_eq!(checked, xtask::deploy::FUNCTION_PACKAGES.len());
}

fn configure<F: portal_shared::function::HttpFunction>(
    sdk: &aws_config::SdkConfig,
    source: &dyn config::Source,
) -> Result<(), config::ConfigError> {
    F::configure(sdk, source).map(drop)
}

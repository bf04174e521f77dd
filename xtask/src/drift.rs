//! Keeps the documents that describe the system true to the code: `infra/template.yaml`
//! declares exactly the resources the local stack is provisioned from
//! (`portal_shared::resources`) and exactly the route table, and `docs/openapi.yaml`
//! documents exactly the routes the gateway serves; `web_modules`: the pages' ES modules
//! import each other without a cycle.

use std::collections::BTreeSet;

mod web_modules;

use portal_shared::resources::{self, UserPoolSpec};
use portal_shared::routes::{Authorizer, ROUTES};
use serde_norway::Value;

fn load(path: std::path::PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn template() -> Value {
    load(crate::paths::template_path())
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(name, r)| (name.as_str().unwrap(), r))
        .collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_else(|| panic!("expected a string, got {value:?}"))
}

/// `!Ref Name` or `!GetAtt Name.Arn` → `Name`.
fn referenced(value: &Value) -> String {
    match value {
        Value::Tagged(tagged) => text(&tagged.value).split('.').next().unwrap().to_owned(),
        other => panic!("expected !Ref or !GetAtt, got {other:?}"),
    }
}

fn strings(value: &Value) -> BTreeSet<String> {
    value.as_sequence().map(|items| items.iter().map(|v| text(v).to_owned()).collect()).unwrap_or_default()
}

#[test]
fn the_template_declares_the_table_the_local_stack_provisions() {
    let template = template();
    let table = &template["Resources"]["Table"]["Properties"];
    let spec = &resources::TABLE;
    let mut expected_attributes = BTreeSet::from([spec.partition_key.to_owned(), spec.sort_key.to_owned()]);
    for index in spec.indexes {
        expected_attributes.extend([index.partition_key.to_owned(), index.sort_key.to_owned()]);
    }
    let attributes: BTreeSet<String> = table["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .inspect(|a| assert_eq!(a["AttributeType"].as_str(), Some("S")))
        .map(|a| text(&a["AttributeName"]).to_owned())
        .collect();
    assert_eq!(attributes, expected_attributes);
    let keys = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| (text(&k["AttributeName"]).to_owned(), text(&k["KeyType"]).to_owned()))
            .collect()
    };
    assert_eq!(
        keys(&table["KeySchema"]),
        vec![(spec.partition_key.into(), "HASH".into()), (spec.sort_key.into(), "RANGE".into())]
    );
    let indexes = table["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), spec.indexes.len());
    for index in spec.indexes {
        let declared = indexes.iter().find(|i| i["IndexName"].as_str() == Some(index.name)).expect(index.name);
        assert_eq!(
            keys(&declared["KeySchema"]),
            vec![(index.partition_key.into(), "HASH".into()), (index.sort_key.into(), "RANGE".into())]
        );
        assert_eq!(declared["Projection"]["ProjectionType"].as_str(), Some("ALL"));
    }
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"].as_str(), Some(spec.ttl_attribute));
    assert_eq!(table["StreamSpecification"]["StreamViewType"].as_str(), Some(spec.stream_view_type));
    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
}

#[test]
fn the_template_routes_document_events_through_the_queue_and_its_dead_letter_queue() {
    let template = template();
    let resources = &template["Resources"];
    let queue = &resources["ObjectEventsQueue"]["Properties"];
    let spec = &resources::OBJECT_EVENTS_QUEUE;
    assert_eq!(queue["VisibilityTimeout"].as_u64(), Some(u64::from(spec.visibility_timeout_seconds)));
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(u64::from(spec.max_receive_count)));
    assert_eq!(referenced(&queue["RedrivePolicy"]["deadLetterTargetArn"]), "ObjectEventsDeadLetterQueue");

    let notifications = resources["DocumentsBucket"]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
        .as_sequence()
        .unwrap();
    let events: BTreeSet<String> = notifications.iter().map(|n| text(&n["Event"]).to_owned()).collect();
    assert_eq!(events, resources::DOCUMENT_EVENTS.iter().map(|e| (*e).to_owned()).collect());
    assert!(notifications.iter().all(|n| referenced(&n["Queue"]) == "ObjectEventsQueue"));

    let consumer = &resources["ObjectEventsFunction"]["Properties"]["Events"]["ObjectCreated"];
    assert_eq!(consumer["Type"].as_str(), Some("SQS"));
    assert_eq!(referenced(&consumer["Properties"]["Queue"]), "ObjectEventsQueue");
    assert_eq!(
        strings(&consumer["Properties"]["FunctionResponseTypes"]),
        BTreeSet::from(["ReportBatchItemFailures".to_owned()])
    );
}

#[test]
fn the_template_feeds_the_notifications_function_from_its_queue_with_a_dead_letter_queue() {
    let template = template();
    let resources = &template["Resources"];
    let queue = &resources["NotificationsQueue"]["Properties"];
    let spec = &resources::NOTIFICATIONS_QUEUE;
    assert_eq!(queue["VisibilityTimeout"].as_u64(), Some(u64::from(spec.visibility_timeout_seconds)));
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(u64::from(spec.max_receive_count)));
    assert_eq!(referenced(&queue["RedrivePolicy"]["deadLetterTargetArn"]), "NotificationsDeadLetterQueue");
    let events = resources["NotificationsFunction"]["Properties"]["Events"].as_mapping().expect("events");
    let consumer = events.values().find(|e| e["Type"].as_str() == Some("SQS")).expect("an SQS event");
    assert_eq!(referenced(&consumer["Properties"]["Queue"]), "NotificationsQueue");
    assert_eq!(
        strings(&consumer["Properties"]["FunctionResponseTypes"]),
        BTreeSet::from(["ReportBatchItemFailures".to_owned()])
    );
}

#[test]
fn the_template_feeds_the_jobs_function_from_its_queue_with_a_dead_letter_queue() {
    let template = template();
    let resources = &template["Resources"];
    let queue = &resources["JobsQueue"]["Properties"];
    let spec = &resources::JOBS_QUEUE;
    assert_eq!(queue["VisibilityTimeout"].as_u64(), Some(u64::from(spec.visibility_timeout_seconds)));
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(u64::from(spec.max_receive_count)));
    assert_eq!(referenced(&queue["RedrivePolicy"]["deadLetterTargetArn"]), "JobsDeadLetterQueue");
    let events = resources["JobsFunction"]["Properties"]["Events"].as_mapping().expect("events");
    let consumer = events.values().find(|e| e["Type"].as_str() == Some("SQS")).expect("an SQS event");
    assert_eq!(referenced(&consumer["Properties"]["Queue"]), "JobsQueue");
    assert_eq!(
        strings(&consumer["Properties"]["FunctionResponseTypes"]),
        BTreeSet::from(["ReportBatchItemFailures".to_owned()])
    );
}

fn check_pool(template: &Value, spec: &UserPoolSpec) {
    let resources = &template["Resources"];
    let pool = &resources[spec.logical_name]["Properties"];
    assert_eq!(strings(&pool["UsernameAttributes"]), BTreeSet::from(["email".to_owned()]), "{}", spec.logical_name);
    assert_eq!(pool["Policies"]["PasswordPolicy"]["MinimumLength"].as_u64(), Some(u64::from(spec.password_min_length)));
    // The forgotten password (and the staff reset an admin sends) email their code to the
    // verified address, which the pool verifies itself; sign-out revokes refresh tokens.
    assert_eq!(strings(&pool["AutoVerifiedAttributes"]), BTreeSet::from(["email".to_owned()]), "{}", spec.logical_name);
    let recovery = &pool["AccountRecoverySetting"]["RecoveryMechanisms"];
    assert_eq!(recovery[0]["Name"].as_str(), Some("verified_email"), "{}", spec.logical_name);
    assert_eq!(recovery.as_sequence().map(Vec::len), Some(1), "{}", spec.logical_name);
    let clients: Vec<&Value> = resources_of_type(template, "AWS::Cognito::UserPoolClient")
        .into_iter()
        .filter(|(_, c)| referenced(&c["Properties"]["UserPoolId"]) == spec.logical_name)
        .map(|(_, c)| &c["Properties"])
        .collect();
    assert_eq!(clients.len(), 1, "one app client for {}", spec.logical_name);
    assert_eq!(strings(&clients[0]["ExplicitAuthFlows"]), spec.auth_flows.iter().map(|f| (*f).to_owned()).collect());
    assert_eq!(clients[0]["PreventUserExistenceErrors"].as_str(), Some(spec.prevent_user_existence_errors));
    assert_eq!(clients[0]["EnableTokenRevocation"].as_bool(), Some(true), "{}", spec.logical_name);
    let groups: BTreeSet<String> = resources_of_type(template, "AWS::Cognito::UserPoolGroup")
        .into_iter()
        .filter(|(_, g)| referenced(&g["Properties"]["UserPoolId"]) == spec.logical_name)
        .map(|(_, g)| text(&g["Properties"]["GroupName"]).to_owned())
        .collect();
    assert_eq!(groups, spec.groups.iter().map(|g| (*g).to_owned()).collect());
}

/// The token lifetimes `docs/security.md` states are the ones the template sets, for both
/// pools' app clients.
#[test]
fn the_security_review_states_the_token_lifetimes_the_template_sets() {
    let template = template();
    let review = std::fs::read_to_string(crate::paths::repo_root().join("docs/security.md")).unwrap();
    let clients = resources_of_type(&template, "AWS::Cognito::UserPoolClient");
    assert_eq!(clients.len(), 2);
    for (name, client) in clients {
        let client = &client["Properties"];
        for (token, stated) in [("Access", "Access tokens"), ("Id", "ID tokens"), ("Refresh", "refresh tokens")] {
            let value = client[format!("{token}TokenValidity")].as_u64().unwrap_or_else(|| panic!("{name}: {token}"));
            let unit = text(&client["TokenValidityUnits"][format!("{token}Token")]);
            let claim = format!("{stated} live {value} {unit}");
            assert!(review.contains(&claim), "docs/security.md does not say \"{claim}\" ({name})");
        }
    }
}

/// The local mailbox (`xtask::mailbox`) is a tool of the local stack: no route of the API,
/// nothing in the template.
#[test]
fn the_local_mailbox_is_never_deployed() {
    let template = std::fs::read_to_string(crate::paths::template_path()).unwrap();
    assert!(!template.contains(crate::mailbox::PAGE_PATH) && !template.contains("mailbox"));
    assert!(portal_shared::routes::ROUTES.iter().all(|r| !r.path.contains("mailbox")));
}

#[test]
fn the_template_declares_the_user_pools_the_local_stack_provisions() {
    let template = template();
    check_pool(&template, &resources::STAFF_POOL);
    check_pool(&template, &resources::CUSTOMER_POOL);
}

#[test]
fn the_template_serves_exactly_the_route_table_with_the_same_authorizers() {
    let template = template();
    let mut declared = BTreeSet::new();
    for (_, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        let binary = text(&function["Metadata"]["BuildProperties"]["Binary"]);
        let name = binary.strip_prefix("portal-").expect("binaries are named portal-<function>");
        assert_eq!(function["Metadata"]["BuildMethod"].as_str(), Some("makefile"));
        for (_, event) in function["Properties"]["Events"].as_mapping().into_iter().flatten() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let properties = &event["Properties"];
            assert_eq!(referenced(&properties["ApiId"]), "HttpApi");
            let authorizer = match text(&properties["Auth"]["Authorizer"]) {
                "NONE" => None,
                other => Some(other.to_owned()),
            };
            declared.insert((
                text(&properties["Method"]).to_owned(),
                text(&properties["Path"]).to_owned(),
                name.to_owned(),
                authorizer,
            ));
        }
    }
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.to_owned(),
                r.authorizer.template_name().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(declared, expected);

    let authorizers = &template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"];
    for (authorizer, pool) in
        [(Authorizer::Staff, &resources::STAFF_POOL), (Authorizer::Customer, &resources::CUSTOMER_POOL)]
    {
        let declared = &authorizers[authorizer.template_name().unwrap()];
        let issuer = match &declared["JwtConfiguration"]["issuer"] {
            Value::Tagged(tagged) => text(&tagged.value).to_owned(),
            other => text(other).to_owned(),
        };
        assert!(issuer.ends_with(&format!("/${{{}}}", pool.logical_name)), "{issuer}");
    }
}

#[test]
fn the_openapi_document_describes_exactly_the_served_routes() {
    let openapi = load(crate::paths::openapi_path());
    let mut documented = BTreeSet::new();
    for (path, item) in openapi["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().unwrap() {
            let method = text(method).to_uppercase();
            let public = operation["security"].as_sequence().is_some_and(|s| s.is_empty());
            documented.insert((method, text(path).to_owned(), public));
        }
    }
    let expected: BTreeSet<_> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.authorizer == Authorizer::Public)).collect();
    assert_eq!(documented, expected);
}

#[test]
fn the_rate_limited_routes_are_throttled_harder_than_the_rest() {
    use portal_shared::rate_limit::Purpose;
    let template = template();
    let api = &template["Resources"]["HttpApi"]["Properties"];
    let limits = |settings: &Value, what: &str| {
        let limit = |name: &str| {
            settings[name].as_f64().filter(|v| *v > 0.0).unwrap_or_else(|| panic!("{what}: no positive {name}"))
        };
        (limit("ThrottlingBurstLimit"), limit("ThrottlingRateLimit"))
    };
    let (default_burst, default_rate) = limits(&api["DefaultRouteSettings"], "DefaultRouteSettings");
    for purpose in Purpose::ALL {
        let route = purpose.route();
        let (burst, rate) = limits(&api["RouteSettings"][route], route);
        assert!(burst < default_burst && rate < default_rate, "{route} is not throttled harder than the default");
    }
    for (key, _) in api["RouteSettings"].as_mapping().expect("RouteSettings") {
        assert!(ROUTES.iter().any(|r| r.key() == text(key)), "RouteSettings for {key:?}, not a route");
    }
}

#[test]
fn the_openapi_document_gives_the_rate_limited_routes_their_429() {
    use portal_shared::rate_limit::Purpose;
    let openapi = load(crate::paths::openapi_path());
    for purpose in Purpose::ALL {
        let (method, path) = purpose.route().split_once(' ').unwrap();
        let responses = &openapi["paths"][path][method.to_lowercase().as_str()]["responses"];
        assert_eq!(
            responses["429"]["$ref"].as_str(),
            Some("#/components/responses/TooManyRequests"),
            "{}",
            purpose.route()
        );
    }
    let response = &openapi["components"]["responses"]["TooManyRequests"];
    assert!(response["headers"]["Retry-After"].is_mapping(), "{response:?}");
    let types = strings(&openapi["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]);
    assert!(types.contains("/problems/too-many-requests"), "{types:?}");
}

/// Managed CloudFront policies (their ids are the same in every account).
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

#[test]
fn the_distribution_serves_the_api_like_the_local_gateway_under_its_prefix_uncached() {
    use crate::gateway::API_PREFIX;
    let template = template();
    let resources = &template["Resources"];
    let config = &resources["WebDistribution"]["Properties"]["DistributionConfig"];
    let api = config["CacheBehaviors"]
        .as_sequence()
        .expect("cache behaviours")
        .iter()
        .find(|b| b["PathPattern"].as_str() == Some(format!("{API_PREFIX}/*").as_str()))
        .expect("a behaviour for the API prefix");
    let origin = config["Origins"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|o| o["Id"] == api["TargetOriginId"])
        .expect("the API behaviour's origin");
    let Value::Tagged(domain) = &origin["DomainName"] else { panic!("the API origin is computed from HttpApi") };
    assert!(text(&domain.value).starts_with("${HttpApi}.execute-api."), "{domain:?}");
    assert_eq!(api["CachePolicyId"].as_str(), Some(CACHING_DISABLED));
    assert_eq!(api["OriginRequestPolicyId"].as_str(), Some(ALL_VIEWER_EXCEPT_HOST_HEADER));
    assert_eq!(
        strings(&api["AllowedMethods"]),
        ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"].map(str::to_owned).into()
    );
    let associations = api["FunctionAssociations"].as_sequence().expect("a function strips the prefix");
    assert_eq!(associations.len(), 1);
    assert_eq!(associations[0]["EventType"].as_str(), Some("viewer-request"));
    let function = referenced(&associations[0]["FunctionARN"]);
    let code = text(&resources[function.as_str()]["Properties"]["FunctionCode"]);
    assert!(code.contains(&format!("'{API_PREFIX}'")), "{function} strips {API_PREFIX}: {code}");
}

/// The pages' meta CSP, plus what only a header can say, on every web behaviour.
#[test]
fn the_distribution_sends_the_pages_content_security_policy_and_security_headers() {
    let template = template();
    let resources = &template["Resources"];
    let config = &resources["WebDistribution"]["Properties"]["DistributionConfig"];
    let mut behaviours = vec![&config["DefaultCacheBehavior"]];
    behaviours.extend(config["CacheBehaviors"].as_sequence().unwrap());
    let mut policies = BTreeSet::new();
    for behaviour in behaviours {
        policies.insert(referenced(&behaviour["ResponseHeadersPolicyId"]));
    }
    assert_eq!(policies.len(), 1, "one response headers policy: {policies:?}");
    let policy = &resources[policies.first().unwrap().as_str()]["Properties"]["ResponseHeadersPolicyConfig"];
    let security = &policy["SecurityHeadersConfig"];
    let csp = text(&security["ContentSecurityPolicy"]["ContentSecurityPolicy"]);
    for page in ["index.html", "portal.html"] {
        let html = std::fs::read_to_string(crate::paths::web_dir().join(page)).unwrap();
        let meta = html
            .split_once(r#"http-equiv="Content-Security-Policy" content=""#)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(content, _)| content)
            .unwrap_or_else(|| panic!("{page} declares its CSP in a meta tag"));
        assert_eq!(csp, format!("{meta}; frame-ancestors 'none'"), "{page}");
    }
    assert!(security["StrictTransportSecurity"]["AccessControlMaxAgeSec"].as_u64().unwrap() >= 31_536_000);
    assert_eq!(security["ContentTypeOptions"]["Override"].as_bool(), Some(true));
    assert_eq!(security["ReferrerPolicy"]["ReferrerPolicy"].as_str(), Some("strict-origin-when-cross-origin"));
}

/// The distribution routes /api/* to the HTTP API, whose routes need every HTTP function:
/// anything those functions need may not refer to the distribution (CloudFormation would
/// refuse the cycle; cfn-lint does not see it through the SAM transform).
#[test]
fn nothing_the_api_needs_refers_to_the_distribution() {
    let template = template();
    let mut needed = vec![("Globals", &template["Globals"])];
    for name in ["HttpApi", "DocumentsBucket", "Table"] {
        needed.push((name, &template["Resources"][name]));
    }
    for (name, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        needed.push((name, function));
    }
    for (name, value) in needed {
        let text = serde_norway::to_string(value).unwrap();
        assert!(!text.contains("WebDistribution"), "{name} refers to WebDistribution");
    }
}

/// Every function is built by `sam build` through `infra/Makefile` (`BuildMethod: makefile`):
/// its `Metadata.BuildProperties.Binary` names its binary, its `CodeUri` is the directory of
/// the package of that name (which has that one binary), the Makefile's `build-<LogicalId>`
/// copies that binary and builds exactly the template's functions, and the functions are
/// exactly the crates `cargo xtask package` checks.
#[test]
fn each_function_is_built_from_its_own_crate() {
    let template = template();
    let makefile = std::fs::read_to_string(crate::paths::repo_root().join("infra/Makefile")).expect("infra/Makefile");
    let mut binaries = BTreeSet::new();
    for (logical_id, function) in resources_of_type(&template, "AWS::Serverless::Function") {
        assert_eq!(function["Metadata"]["BuildMethod"].as_str(), Some("makefile"), "{logical_id}");
        assert_eq!(
            function["Metadata"]["ContextPath"].as_str(),
            Some("."),
            "{logical_id}: the Makefile is infra/Makefile"
        );
        let binary = text(&function["Metadata"]["BuildProperties"]["Binary"]);
        let code_uri = text(&function["Properties"]["CodeUri"]);
        let dir = crate::paths::template_path().parent().unwrap().join(code_uri);
        let manifest = manifest::read(&dir.join("Cargo.toml"));
        assert_eq!(manifest.package, binary, "{logical_id}: CodeUri {code_uri} is not the crate {binary}");
        assert_eq!(manifest.bins, vec![binary.to_owned()], "{logical_id}: {code_uri} has one binary, {binary}");
        let rule = format!("build-{logical_id}: ; $(call copy,{binary})");
        assert!(makefile.lines().any(|line| line == rule), "infra/Makefile lacks `{rule}`");
        binaries.insert(binary.to_owned());
    }
    let packages: BTreeSet<String> = crate::deploy::FUNCTION_PACKAGES.iter().map(|p| (*p).to_owned()).collect();
    assert_eq!(binaries, packages);
    let built: BTreeSet<String> = makefile
        .lines()
        .find_map(|line| line.strip_prefix("PACKAGES := "))
        .expect("PACKAGES in infra/Makefile")
        .split_whitespace()
        .filter(|word| *word != "-p")
        .map(str::to_owned)
        .collect();
    assert_eq!(built, packages, "the Makefile's one build is exactly the functions");
}

/// What the test above reads of a crate's Cargo.toml: its package name and bin targets.
mod manifest {
    pub struct Manifest {
        pub package: String,
        pub bins: Vec<String>,
    }

    pub fn read(path: &std::path::Path) -> Manifest {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let manifest: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = |table: &toml::Value| table["name"].as_str().expect("a name").to_owned();
        Manifest {
            package: name(&manifest["package"]),
            bins: manifest
                .get("bin")
                .and_then(|b| b.as_array())
                .map(|bins| bins.iter().map(name).collect())
                .unwrap_or_default(),
        }
    }
}

/// The headers the local gateway sends and `cargo xtask smoke` expects are the response
/// headers policy's.
#[test]
fn the_security_headers_are_the_response_headers_policy() {
    let template = template();
    let security = &template["Resources"]["WebSecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    for setting in
        ["ContentSecurityPolicy", "StrictTransportSecurity", "ContentTypeOptions", "FrameOptions", "ReferrerPolicy"]
    {
        assert_eq!(security[setting]["Override"].as_bool(), Some(true), "{setting} overrides the origin's");
    }
    let hsts = &security["StrictTransportSecurity"];
    let mut hsts_value = format!("max-age={}", hsts["AccessControlMaxAgeSec"].as_u64().unwrap());
    if hsts["IncludeSubdomains"].as_bool() == Some(true) {
        hsts_value.push_str("; includeSubDomains");
    }
    if hsts["Preload"].as_bool() == Some(true) {
        hsts_value.push_str("; preload");
    }
    let expected = [
        ("content-security-policy", text(&security["ContentSecurityPolicy"]["ContentSecurityPolicy"]).to_owned()),
        ("strict-transport-security", hsts_value),
        ("x-content-type-options", "nosniff".to_owned()),
        ("x-frame-options", text(&security["FrameOptions"]["FrameOption"]).to_owned()),
        ("referrer-policy", text(&security["ReferrerPolicy"]["ReferrerPolicy"]).to_owned()),
    ];
    let actual: Vec<(&str, String)> =
        crate::deploy::SECURITY_HEADERS.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
    assert_eq!(actual, expected);
}

/// mimalloc is the allocator of the function binaries only: each `main.rs` opts in, and no
/// library (shared, xtask, the tests) declares a `#[global_allocator]` of its own, so xtask,
/// the tests and the benches run on the system allocator.
#[test]
fn only_the_function_binaries_choose_the_allocator() {
    let root = crate::paths::repo_root();
    let mut functions = 0;
    for entry in std::fs::read_dir(root.join("functions")).unwrap() {
        let main = entry.unwrap().path().join("src/main.rs");
        let text = std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{}: {e}", main.display()));
        assert!(
            text.contains("\nportal_shared::global_allocator!();\n"),
            "{} does not opt into mimalloc",
            main.display()
        );
        functions += 1;
    }
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml")).unwrap().parse().unwrap();
    let members = manifest["workspace"]["members"].as_array().unwrap();
    let function_crates = members.iter().filter(|m| m.as_str().unwrap().starts_with("functions/")).count();
    assert_eq!(functions, function_crates, "one main.rs per function crate");
    let mut declared = Vec::new();
    let mut dirs: Vec<_> =
        ["shared", "functions", "xtask", "tests", "test-support", "bench"].map(|d| root.join(d)).into();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && std::fs::read_to_string(&path).unwrap().contains("#[global_allocator]\n")
            {
                declared.push(path.strip_prefix(&root).unwrap().display().to_string());
            }
        }
    }
    assert_eq!(declared, ["shared/src/allocator.rs"], "only the macro the function binaries invoke");
}

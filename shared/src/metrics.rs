//! Business metrics as CloudWatch embedded metric format (EMF) log lines: one JSON object on
//! stdout per event, which CloudWatch Logs turns into a metric as it ingests the function's
//! log. No request to CloudWatch in the request path, and nothing buffered that a failed or
//! timed-out invocation could lose.
//!
//! Each metric is a count in the namespace [`NAMESPACE`], with two dimension sets: `Stack`
//! (the whole deployment: what the dashboard and the alarms read) and `FunctionName` (the
//! Lambda function that emitted it). Both have one value per function, never per tenant or
//! user: a dimension value makes a new metric, and metrics are billed each. The tenant id,
//! when known, is a plain property of the line (searchable in Logs Insights, not a metric).
//!
//! On Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) the line goes to stdout. Elsewhere (the local
//! gateway, tests) the same line is a `debug` event of the target `portal_shared::metrics`
//! with the line in its `emf` field, so it can be seen (`RUST_LOG=portal_shared::metrics=debug`)
//! and tested without mixing JSON into a human-readable log.
//!
//! Specification: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use std::io::Write;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::domain::TenantId;

/// The CloudWatch namespace of every business metric (the dashboard and the alarms in
/// `infra/template.yaml` read it; a test keeps them in step).
pub const NAMESPACE: &str = "CustomerPortal";

/// The log target of the lines when not on Lambda.
pub const TARGET: &str = "portal_shared::metrics";

/// Every business metric. A typed name cannot be mistyped, and [`Metric::ALL`] lets a test
/// check that the dashboard shows each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// An email accepted by SES (`mail::Mailer::send`).
    EmailsSent,
    /// An email SES refused or that could not be sent (throttling, an unverified sender, …).
    EmailsFailed,
    /// An upload (document or logo) whose object matched what was presigned: now available.
    UploadsSettled,
    /// An upload whose object did not match (size or type): rejected and deleted.
    UploadsRejected,
    /// A company created by self-service sign-up.
    CompanySignUps,
    /// An invocation (a route's, or one queue record's) that reached its cap of AWS
    /// requests: the next request was refused (`metering::capped`, 503
    /// `request-budget-exceeded`).
    RequestBudgetExceeded,
}

impl Metric {
    pub const ALL: &'static [Metric] = &[
        Self::EmailsSent,
        Self::EmailsFailed,
        Self::UploadsSettled,
        Self::UploadsRejected,
        Self::CompanySignUps,
        Self::RequestBudgetExceeded,
    ];

    /// The metric's name in CloudWatch.
    pub const fn name(self) -> &'static str {
        match self {
            Self::EmailsSent => "EmailsSent",
            Self::EmailsFailed => "EmailsFailed",
            Self::UploadsSettled => "UploadsSettled",
            Self::UploadsRejected => "UploadsRejected",
            Self::CompanySignUps => "CompanySignUps",
            Self::RequestBudgetExceeded => "RequestBudgetExceeded",
        }
    }
}

/// Where a line is published from: the dimension values (from the environment Lambda and
/// the template set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `STACK_NAME` (the template sets it for every function).
    pub stack: Option<String>,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda); `None` off Lambda.
    pub function_name: Option<String>,
}

impl Origin {
    fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self { stack: var(crate::config::STACK_NAME), function_name: var("AWS_LAMBDA_FUNCTION_NAME") }
    }

    fn current() -> &'static Self {
        static ORIGIN: OnceLock<Origin> = OnceLock::new();
        ORIGIN.get_or_init(Self::from_env)
    }
}

/// Counts `count` of `metric` (for `tenant`, when known): one EMF line.
pub fn count(metric: Metric, count: u64, tenant: Option<TenantId>) {
    let origin = Origin::current();
    let line = emf_line(origin, metric, count, tenant, unix_millis());
    if origin.function_name.is_some() {
        // One write of the whole line: CloudWatch reads one log event per line.
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(format!("{line}\n").as_bytes());
        let _ = out.flush();
    } else {
        tracing::debug!(target: TARGET, metric = metric.name(), count, emf = %line, "metric");
    }
}

/// One EMF document: `{"_aws":{"Timestamp":…,"CloudWatchMetrics":[{"Namespace":…,
/// "Dimensions":[["Stack"],["FunctionName"]],"Metrics":[{"Name":…,"Unit":"Count"}]}]},
/// "Stack":…,"FunctionName":…,"<metric>":count,"tenantId":…}`. A dimension whose value is
/// unknown (off Lambda) is left out of both the sets and the line: the specification
/// requires every dimension named to be a string member of the document.
pub fn emf_line(origin: &Origin, metric: Metric, count: u64, tenant: Option<TenantId>, timestamp_ms: i64) -> String {
    let mut dimensions = Vec::new();
    let mut line = Map::new();
    for (name, value) in [("Stack", &origin.stack), ("FunctionName", &origin.function_name)] {
        if let Some(value) = value {
            dimensions.push(json!([name]));
            line.insert(name.to_owned(), Value::String(value.clone()));
        }
    }
    line.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{ "Name": metric.name(), "Unit": "Count" }],
            }],
        }),
    );
    line.insert(metric.name().to_owned(), json!(count));
    if let Some(tenant) = tenant {
        line.insert("tenantId".to_owned(), Value::String(tenant.to_string()));
    }
    Value::Object(line).to_string()
}

fn unix_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployed() -> Origin {
        Origin {
            stack: Some("portal-prod".into()),
            function_name: Some("portal-prod-ObjectEventsFunction-AbC123".into()),
        }
    }

    /// The checks of the specification that apply to a line we write.
    fn assert_valid_emf(line: &str) -> Value {
        assert!(!line.contains('\n'), "one line: {line}");
        let document: Value = serde_json::from_str(line).expect("a JSON object");
        let aws = &document["_aws"];
        assert!(aws["Timestamp"].as_i64().is_some_and(|t| t > 1_600_000_000_000), "{line}");
        let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics");
        assert_eq!(directives.len(), 1);
        for directive in directives {
            assert!(directive["Namespace"].as_str().is_some_and(|n| !n.is_empty() && n.len() <= 1024));
            for set in directive["Dimensions"].as_array().expect("Dimensions") {
                let keys = set.as_array().expect("a dimension set is an array");
                assert!(keys.len() <= 30);
                for key in keys {
                    let key = key.as_str().expect("dimension keys are strings");
                    assert!(document[key].is_string(), "dimension {key} is a string member: {line}");
                }
            }
            let metrics = directive["Metrics"].as_array().expect("Metrics");
            assert!(!metrics.is_empty() && metrics.len() <= 100);
            for metric in metrics {
                let name = metric["Name"].as_str().expect("Name");
                assert!(document[name].is_number(), "metric {name} has a numeric value: {line}");
                assert_eq!(metric["Unit"], "Count");
            }
        }
        document
    }

    #[test]
    fn a_line_is_an_emf_document_with_low_cardinality_dimensions() {
        let tenant = TenantId::new();
        let line = emf_line(&deployed(), Metric::UploadsRejected, 1, Some(tenant), 1_765_000_000_123);
        let document = assert_valid_emf(&line);
        assert_eq!(document["_aws"]["Timestamp"], 1_765_000_000_123_i64);
        let directive = &document["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Stack"], ["FunctionName"]]));
        assert_eq!(directive["Metrics"], json!([{ "Name": "UploadsRejected", "Unit": "Count" }]));
        assert_eq!(document["UploadsRejected"], 1);
        assert_eq!(document["Stack"], "portal-prod");
        assert_eq!(document["FunctionName"], "portal-prod-ObjectEventsFunction-AbC123");
        // The tenant is a property, never a dimension.
        assert_eq!(document["tenantId"], tenant.to_string());
        assert!(!directive["Dimensions"].to_string().contains("tenant"));
    }

    #[test]
    fn every_metric_has_its_own_name_and_a_valid_line() {
        let names: std::collections::BTreeSet<_> = Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        for metric in Metric::ALL {
            let document = assert_valid_emf(&emf_line(&deployed(), *metric, 3, None, unix_millis()));
            assert_eq!(document[metric.name()], 3);
            assert!(document.get("tenantId").is_none());
        }
    }

    #[test]
    fn unknown_dimensions_are_left_out_of_the_sets_and_the_line() {
        let local = Origin { stack: None, function_name: None };
        let document = assert_valid_emf(&emf_line(&local, Metric::EmailsSent, 1, None, unix_millis()));
        assert_eq!(document["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([]));
        assert!(document.get("Stack").is_none() && document.get("FunctionName").is_none());
        let partial = Origin { stack: None, function_name: Some("f".into()) };
        let document = assert_valid_emf(&emf_line(&partial, Metric::EmailsSent, 1, None, unix_millis()));
        assert_eq!(document["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([["FunctionName"]]));
    }

    #[test]
    fn off_lambda_the_line_is_a_debug_event() {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        let writer = {
            let buffer = buffer.clone();
            move || crate::telemetry::tests::Writer(buffer.clone())
        };
        let filter = tracing_subscriber::filter::Targets::new().with_target(TARGET, tracing::Level::DEBUG);
        tracing::subscriber::with_default(crate::telemetry::subscriber(filter, writer), || {
            count(Metric::EmailsFailed, 1, None);
        });
        let written = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        let event: Value = serde_json::from_str(written.trim()).unwrap();
        assert_eq!(event["fields"]["metric"], "EmailsFailed");
        let document = assert_valid_emf(event["fields"]["emf"].as_str().unwrap());
        assert_eq!(document["EmailsFailed"], 1);
    }
}

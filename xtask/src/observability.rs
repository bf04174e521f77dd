//! Keeps the CloudWatch dashboard of `infra/template.yaml` true to the template and the
//! code: every function, dead-letter queue and alarm the template declares, and every
//! business metric the code can emit (`portal_shared::metrics::Metric`), is on it; the
//! business metrics are read as the functions write them (namespace, `Stack` dimension);
//! and the functions are told the stack's name that dimension carries.

use std::collections::BTreeSet;

use portal_shared::metrics::{Metric, NAMESPACE};
use serde_json::Value as Json;
use serde_norway::Value;

fn template() -> Value {
    let path = crate::paths::template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn logical_ids(template: &Value, kind: &str) -> BTreeSet<String> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(name, _)| name.as_str().unwrap().to_owned())
        .collect()
}

/// `!Ref X` / `!GetAtt X.Arn` → `X`.
fn referenced(value: &Value) -> String {
    match value {
        Value::Tagged(tagged) => tagged.value.as_str().expect("a name").split('.').next().unwrap().to_owned(),
        other => panic!("expected !Ref or !GetAtt, got {other:?}"),
    }
}

/// The dashboard body: the `!Sub` string with each `${X}` replaced by `X` (so it parses as
/// JSON and says what it refers to).
fn dashboard(template: &Value) -> Json {
    let body = match &template["Resources"]["Dashboard"]["Properties"]["DashboardBody"] {
        Value::Tagged(tagged) if tagged.tag == "Sub" => tagged.value.as_str().expect("a !Sub string").to_owned(),
        other => panic!("DashboardBody is a !Sub string, got {other:?}"),
    };
    let mut resolved = String::new();
    let mut rest = body.as_str();
    while let Some(start) = rest.find("${") {
        resolved.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed ${…}") + start;
        resolved.push_str(&rest[start + 2..end]);
        rest = &rest[end + 1..];
    }
    resolved.push_str(rest);
    serde_json::from_str(&resolved).unwrap_or_else(|e| panic!("the dashboard body is not JSON: {e}\n{resolved}"))
}

/// One metric line of a widget: namespace, name, and its dimensions.
#[derive(Debug)]
struct MetricLine {
    namespace: String,
    name: String,
    dimensions: Vec<(String, String)>,
}

fn widgets(dashboard: &Json) -> &Vec<Json> {
    dashboard["widgets"].as_array().expect("widgets")
}

/// The metric lines of the widget titled `title`.
fn metric_lines(dashboard: &Json, title: &str) -> Vec<MetricLine> {
    let widget = widgets(dashboard)
        .iter()
        .find(|w| w["properties"]["title"] == title)
        .unwrap_or_else(|| panic!("no widget titled {title:?}"));
    lines(widget)
}

fn lines(widget: &Json) -> Vec<MetricLine> {
    widget["properties"]["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|line| {
            let parts: Vec<&str> = line.as_array().unwrap().iter().filter_map(Json::as_str).collect();
            assert!(parts.len() >= 2 && parts.len().is_multiple_of(2), "namespace, name, then dimension pairs: {line}");
            MetricLine {
                namespace: parts[0].to_owned(),
                name: parts[1].to_owned(),
                dimensions: parts[2..].chunks(2).map(|pair| (pair[0].to_owned(), pair[1].to_owned())).collect(),
            }
        })
        .collect()
}

#[test]
fn the_dashboard_shows_every_function_s_requests_errors_and_p99_duration_and_logs() {
    let template = template();
    let functions = logical_ids(&template, "AWS::Serverless::Function");
    assert!(functions.len() >= 11, "the template's functions were not found: {functions:?}");
    let dashboard = dashboard(&template);
    for (title, metric) in [
        ("Requests (invocations) per function", "Invocations"),
        ("Errors per function", "Errors"),
        ("Duration p99 per function (ms)", "Duration"),
    ] {
        let lines = metric_lines(&dashboard, title);
        let shown: BTreeSet<String> = lines
            .iter()
            .inspect(|line| {
                assert_eq!((line.namespace.as_str(), line.name.as_str()), ("AWS/Lambda", metric), "{title}: {line:?}");
                assert_eq!(line.dimensions.len(), 1, "{line:?}");
                assert_eq!(line.dimensions[0].0, "FunctionName");
            })
            .map(|line| line.dimensions[0].1.clone())
            .collect();
        assert_eq!(shown, functions, "{title}");
    }
    let duration = widgets(&dashboard).iter().find(|w| w["properties"]["title"] == "Duration p99 per function (ms)");
    assert_eq!(duration.unwrap()["properties"]["stat"], "p99");

    // The log widget reads every function's log group.
    let logs = widgets(&dashboard).iter().find(|w| w["type"] == "log").expect("a log widget");
    let query = logs["properties"]["query"].as_str().unwrap();
    for function in &functions {
        assert!(query.contains(&format!("SOURCE '/aws/lambda/{function}'")), "{function} missing from {query}");
        let log_group = &template["Resources"][format!("{function}LogGroup").as_str()]["Properties"]["LogGroupName"];
        let Value::Tagged(name) = log_group else { panic!("{function}'s log group is a !Sub") };
        assert_eq!(name.value.as_str(), Some(format!("/aws/lambda/${{{function}}}").as_str()));
    }
}

#[test]
fn the_dashboard_shows_every_dead_letter_queue_and_the_api() {
    let template = template();
    let resources = &template["Resources"];
    let dead_letter_queues: BTreeSet<String> = logical_ids(&template, "AWS::SQS::Queue")
        .iter()
        .filter_map(|queue| {
            let redrive = &resources[queue.as_str()]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"];
            (!redrive.is_null()).then(|| referenced(redrive))
        })
        .collect();
    assert!(dead_letter_queues.len() >= 2, "the template's dead-letter queues were not found: {dead_letter_queues:?}");
    let dashboard = dashboard(&template);
    let shown: BTreeSet<String> = metric_lines(&dashboard, "Dead-letter queue depths")
        .iter()
        .inspect(|line| {
            assert_eq!(
                (line.namespace.as_str(), line.name.as_str()),
                ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
            );
        })
        .map(|line| {
            assert_eq!(line.dimensions[0].0, "QueueName");
            line.dimensions[0].1.strip_suffix(".QueueName").expect("QueueName of the queue").to_owned()
        })
        .collect();
    assert_eq!(shown, dead_letter_queues);

    let api = [("ApiId".to_owned(), "HttpApi".to_owned()), ("Stage".to_owned(), "$default".to_owned())];
    let requests: BTreeSet<String> = metric_lines(&dashboard, "API: requests, 4xx and 5xx")
        .into_iter()
        .inspect(|line| assert_eq!((line.namespace.as_str(), line.dimensions.as_slice()), ("AWS/ApiGateway", &api[..])))
        .map(|line| line.name)
        .collect();
    assert_eq!(requests, BTreeSet::from(["Count".into(), "4xx".into(), "5xx".into()]));
    let latency: BTreeSet<String> =
        metric_lines(&dashboard, "API: latency (ms)").into_iter().map(|line| line.name).collect();
    assert!(latency.contains("Latency"), "{latency:?}");
}

#[test]
fn the_dashboard_shows_every_alarm() {
    let template = template();
    let alarms = logical_ids(&template, "AWS::CloudWatch::Alarm");
    assert!(alarms.contains("EmailsFailedAlarm") && alarms.contains("HttpApiServerErrorsAlarm"), "{alarms:?}");
    let dashboard = dashboard(&template);
    let widget = widgets(&dashboard).iter().find(|w| w["type"] == "alarm").expect("an alarm widget");
    let shown: BTreeSet<String> = widget["properties"]["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|arn| arn.as_str().unwrap().strip_suffix(".Arn").expect("an alarm's Arn").to_owned())
        .collect();
    assert_eq!(shown, alarms);
}

#[test]
fn every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_recovers() {
    let template = template();
    let resources = &template["Resources"];
    assert_eq!(resources["AlarmTopic"]["Type"].as_str(), Some("AWS::SNS::Topic"));
    for alarm in logical_ids(&template, "AWS::CloudWatch::Alarm") {
        for actions in ["AlarmActions", "OKActions"] {
            let targets = resources[alarm.as_str()]["Properties"][actions].as_sequence();
            let targets: Vec<String> = targets.into_iter().flatten().map(referenced).collect();
            assert_eq!(targets, ["AlarmTopic"], "{alarm} {actions}");
        }
    }
}

#[test]
fn the_dashboard_and_the_alarms_read_every_business_metric_as_the_functions_write_it() {
    let template = template();
    let dashboard = dashboard(&template);
    let stack = [("Stack".to_owned(), "AWS::StackName".to_owned())];
    let shown: BTreeSet<String> = widgets(&dashboard)
        .iter()
        .flat_map(lines)
        .filter(|line| !line.namespace.starts_with("AWS/"))
        .inspect(|line| {
            assert_eq!(line.namespace, NAMESPACE, "{line:?}");
            assert_eq!(line.dimensions, stack, "{line:?}");
        })
        .map(|line| line.name)
        .collect();
    let emitted: BTreeSet<String> = Metric::ALL.iter().map(|m| m.name().to_owned()).collect();
    assert_eq!(shown, emitted, "the dashboard shows exactly the metrics the code emits");

    // Alarms on business metrics name one the code emits, per stack.
    let resources = &template["Resources"];
    for alarm in logical_ids(&template, "AWS::CloudWatch::Alarm") {
        let properties = &resources[alarm.as_str()]["Properties"];
        if properties["Namespace"].as_str() != Some(NAMESPACE) {
            continue;
        }
        let name = properties["MetricName"].as_str().unwrap();
        assert!(emitted.contains(name), "{alarm} reads {name}, which nothing emits");
        let dimensions = properties["Dimensions"].as_sequence().unwrap();
        assert_eq!(dimensions.len(), 1, "{alarm}");
        assert_eq!(dimensions[0]["Name"].as_str(), Some("Stack"));
        assert_eq!(referenced(&dimensions[0]["Value"]), "AWS::StackName");
    }

    // The functions know the stack's name (the Stack dimension's value).
    let variables = &template["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(referenced(&variables[portal_shared::config::STACK_NAME]), "AWS::StackName");
}

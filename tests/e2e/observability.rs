//! What an operator reads, produced by the real handlers against the emulator: every log
//! line of a request names its API Gateway request id and, once the caller is resolved, the
//! tenant; every line of a queue message names the message and its tenant; and the business
//! metrics (embedded metric format) come out where emails are sent and uploads settle.
//! The lines are captured with the functions' own log format (`telemetry::subscriber`).

use std::future::Future;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use local_gateway::ApiGateway;
use portal_object_events::App;
use portal_shared::domain::DocumentId;
use portal_shared::metrics::{self, Metric};
use portal_shared::object_key::ObjectKey;
use portal_tests::{call_in_process, env, sdk, tenant_fixture, unique};
use serde_json::{Value, json};
use tracing_subscriber::filter::{LevelFilter, Targets};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `work` with the functions' log format (at `info`, and the metrics' lines, which are
/// `debug` events off Lambda) on this thread, and returns its lines, parsed.
async fn captured<T>(work: impl Future<Output = T>) -> (T, Vec<Value>) {
    let buffer = Buffer::default();
    let writer = {
        let buffer = buffer.clone();
        move || buffer.clone()
    };
    let filter = Targets::new().with_default(LevelFilter::INFO).with_target(metrics::TARGET, LevelFilter::DEBUG);
    let output = {
        // The test runs on a current-thread runtime: the handlers and their SDK clients'
        // tasks all run on this thread, under this subscriber.
        let _guard = tracing::subscriber::set_default(portal_shared::telemetry::subscriber(filter, writer));
        work.await
    };
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines = text.lines().map(|line| serde_json::from_str(line).expect("one JSON object per line")).collect();
    (output, lines)
}

/// `field` of the line's spans (whichever span has it).
fn span_field<'a>(line: &'a Value, field: &str) -> Option<&'a str> {
    line["spans"].as_array()?.iter().find_map(|span| span.get(field)?.as_str())
}

/// The metric lines (off Lambda: `debug` events carrying the EMF document) of `metric`.
fn metric_lines(lines: &[Value], metric: Metric) -> Vec<&Value> {
    lines.iter().filter(|line| line["fields"]["metric"] == metric.name()).collect()
}

fn emf(line: &Value) -> Value {
    serde_json::from_str(line["fields"]["emf"].as_str().expect("the EMF line")).expect("EMF is JSON")
}

#[tokio::test]
async fn every_line_of_a_request_names_the_request_and_its_tenant_and_emails_are_counted() -> Result<()> {
    let t = tenant_fixture().await?;
    let api = ApiGateway::new(&sdk().await, &env().stack, &env().api_url).await?;
    let token = t.admin.token().context("the admin is signed in")?.to_owned();
    let email = format!("{}@client.example", unique("observed"));
    let (results, lines) = captured(async {
        let created = call_in_process(
            &api,
            &reqwest::Method::POST,
            "/contacts",
            Some(&token),
            Some(&json!({ "email": email, "name": "Olga" })),
        )
        .await?;
        let id = created.1["id"].as_str().context("a contact id")?.to_owned();
        // Opening the access sends the invitation email.
        let opened =
            call_in_process(&api, &reqwest::Method::POST, &format!("/contacts/{id}/access"), Some(&token), None)
                .await?;
        anyhow::Ok((created.0, opened.0))
    })
    .await;
    assert_eq!(results?, (201, 200));
    let tenant = t.tenant.id.to_string();

    // Every line was logged inside a request, and the two requests have their own ids.
    assert!(!lines.is_empty());
    let mut request_ids: Vec<&str> = lines
        .iter()
        .map(|line| span_field(line, "api_request_id").unwrap_or_else(|| panic!("no request id: {line}")))
        .collect();
    request_ids.dedup();
    assert_eq!(request_ids.len(), 2, "{lines:#?}");

    // Deep inside the contacts handler, after the caller was resolved: the tenant.
    let created = lines.iter().find(|line| line["fields"]["message"] == "contact created").expect("the contact line");
    assert_eq!(span_field(created, "tenant_id"), Some(tenant.as_str()), "{created}");
    assert_eq!(span_field(created, "api_request_id"), Some(request_ids[0]));

    // The invitation: one email sent, counted in its request, with its tenant.
    let sent = metric_lines(&lines, Metric::EmailsSent);
    assert_eq!(sent.len(), 1, "{lines:#?}");
    assert_eq!(span_field(sent[0], "api_request_id"), Some(request_ids[1]));
    assert_eq!(span_field(sent[0], "tenant_id"), Some(tenant.as_str()), "{}", sent[0]);
    let document = emf(sent[0]);
    assert_eq!(document["_aws"]["CloudWatchMetrics"][0]["Namespace"], metrics::NAMESPACE);
    assert_eq!(document["EmailsSent"], 1);
    assert!(metric_lines(&lines, Metric::EmailsFailed).is_empty());
    Ok(())
}

#[tokio::test]
async fn every_line_of_a_queue_message_names_it_and_uploads_are_counted_once() -> Result<()> {
    let t = tenant_fixture().await?;
    // A bucket of this test's own, with no notifications: the gateway's relay never sees
    // these objects, so the events handed to the function below are the only ones.
    let sdk = sdk().await;
    let s3 = portal_shared::aws::s3_client(&sdk);
    let bucket = unique("observed").to_lowercase();
    s3.create_bucket().bucket(&bucket).send().await?;
    let app = App::new(&sdk, &env().stack.table, &bucket, &env().stack.sender, &env().api_url);

    let mut keys = Vec::new();
    for (name, announced, put) in [("good.txt", 4, &b"good"[..]), ("bad.txt", 5, &b"too long!"[..])] {
        let ticket = t
            .member
            .post("/uploads", json!({ "fileName": name, "contentType": "text/plain", "size": announced }))
            .await?
            .expect(201)?;
        let id: DocumentId = ticket["document"]["id"].as_str().context("a document id")?.parse()?;
        let key = ObjectKey::document(t.tenant.id, id).to_string();
        s3.put_object().bucket(&bucket).key(&key).content_type("text/plain").body(put.to_vec().into()).send().await?;
        keys.push(key);
    }
    let record = |id: &str, key: &str| {
        let notification = json!({ "Records": [{ "eventName": "ObjectCreated:Put", "s3": { "bucket": { "name": bucket }, "object": { "key": key } } }] });
        json!({ "messageId": id, "body": notification.to_string(), "eventSource": "aws:sqs" })
    };
    let event = json!({ "Records": [record("m-good", &keys[0]), record("m-bad", &keys[1])] });
    let (response, lines) = captured(app.invoke(event.clone())).await;
    assert_eq!(response.map_err(|e| anyhow::anyhow!("{e}"))?["batchItemFailures"], json!([]));
    let tenant = t.tenant.id.to_string();

    let settled: Vec<&Value> = lines.iter().filter(|line| line["fields"]["message"] == "object settled").collect();
    assert_eq!(settled.len(), 2, "{lines:#?}");
    for (line, message) in settled.iter().zip(["m-good", "m-bad"]) {
        assert_eq!(span_field(line, "message_id"), Some(message), "{line}");
        assert_eq!(span_field(line, "tenant_id"), Some(tenant.as_str()), "{line}");
    }
    for (metric, message) in [(Metric::UploadsSettled, "m-good"), (Metric::UploadsRejected, "m-bad")] {
        let counted = metric_lines(&lines, metric);
        assert_eq!(counted.len(), 1, "{metric:?}: {lines:#?}");
        assert_eq!(span_field(counted[0], "message_id"), Some(message));
        let document = emf(counted[0]);
        assert_eq!(document[metric.name()], 1);
        assert_eq!(document["tenantId"], tenant.as_str(), "the tenant is a property of the line");
    }

    // The same batch again (SQS delivers at least once): nothing settles, nothing is counted.
    let (response, lines) = captured(app.invoke(event)).await;
    assert_eq!(response.map_err(|e| anyhow::anyhow!("{e}"))?["batchItemFailures"], json!([]));
    assert!(metric_lines(&lines, Metric::UploadsSettled).is_empty(), "{lines:#?}");
    assert!(metric_lines(&lines, Metric::UploadsRejected).is_empty(), "{lines:#?}");
    Ok(())
}

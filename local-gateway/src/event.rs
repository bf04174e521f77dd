//! The events the gateway hands to the functions, typed as the Lambda runtime gives them:
//! the HTTP API payload 2.0 of a request, and the SQS batch of received messages.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequest,
    ApiGatewayV2httpRequestContext, ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use axum::body::Bytes;
use base64::Engine;
use serde_json::Value;

/// The token's claims, as the JWT authorizer verified them.
pub type Claims = serde_json::Map<String, Value>;

/// Values of a repeated name joined with commas, as API Gateway does (payload 2.0).
fn joined(pairs: impl IntoIterator<Item = (String, String)>) -> BTreeMap<String, String> {
    let mut joined: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in pairs {
        joined
            .entry(name)
            .and_modify(|v| {
                v.push(',');
                v.push_str(&value);
            })
            .or_insert(value);
    }
    joined
}

/// The authorizer context of the HTTP API's JWT authorizer: every claim as a string (an
/// array becomes "[a b]"), and the `scope` claim's scopes.
fn authorizer(claims: &Claims) -> ApiGatewayRequestAuthorizer {
    let flat: HashMap<String, String> = claims
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Array(items) => format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => other.to_string(),
            };
            (name.clone(), text)
        })
        .collect();
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = flat;
    jwt.scopes = claims.get("scope").and_then(Value::as_str).map(|s| s.split(' ').map(str::to_owned).collect());
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    authorizer
}

/// The API Gateway HTTP API payload (format 2.0) of one request.
pub fn api_gateway_event(
    route_key: &str,
    path: &str,
    parts: &http::request::Parts,
    params: &[(&str, &str)],
    claims: Option<&Claims>,
    body: &Bytes,
) -> ApiGatewayV2httpRequest {
    let mut cookies = Vec::new();
    let mut pairs = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(value.split(';').map(|c| c.trim().to_owned()));
        } else {
            pairs.push((name.as_str().to_owned(), value));
        }
    }
    let headers_text = joined(pairs);
    let mut headers = http::HeaderMap::new();
    for (name, value) in &headers_text {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(name.as_bytes()), http::HeaderValue::from_str(value))
        {
            headers.insert(name, value);
        }
    }
    let raw_query = parts.uri.query().unwrap_or_default();
    let query = joined(form_urlencoded::parse(raw_query.as_bytes()).map(|(n, v)| (n.into_owned(), v.into_owned())));
    // As the runtime reads payload 2.0: a joined value is its comma-separated parts.
    let query: HashMap<String, Vec<String>> =
        query.into_iter().map(|(name, value)| (name, value.split(',').map(str::to_owned).collect())).collect();
    let (body, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (None, false),
        Ok(text) => (Some(text.to_owned()), false),
        Err(_) => (Some(base64::engine::general_purpose::STANDARD.encode(body)), true),
    };
    let now = time::OffsetDateTime::now_utc();
    let user_agent = headers_text.get("user-agent").cloned().unwrap_or_default();
    // As API Gateway: the address of the TCP peer, never a header the client could set.
    // A request built in-process (benchmarks, the budget test) has no peer: 127.0.0.1.
    let source_ip = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map_or_else(|| "127.0.0.1".to_owned(), |peer| peer.0.ip().to_string());

    let mut http_context = ApiGatewayV2httpRequestContextHttpDescription::default();
    http_context.method = parts.method.clone();
    http_context.path = Some(path.to_owned());
    http_context.protocol = Some("HTTP/1.1".to_owned());
    http_context.source_ip = Some(source_ip);
    http_context.user_agent = Some(user_agent);

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.to_owned());
    context.account_id = Some("000000000000".to_owned());
    context.stage = Some("$default".to_owned());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.authorizer = claims.map(authorizer);
    context.apiid = Some("local".to_owned());
    context.domain_name = Some(headers_text.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into()));
    context.domain_prefix = Some("local".to_owned());
    context.time = Some(now.format(&time::format_description::well_known::Rfc2822).unwrap_or_default());
    context.time_epoch = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    context.http = http_context;

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".to_owned());
    event.route_key = Some(route_key.to_owned());
    event.raw_path = Some(path.to_owned());
    event.raw_query_string = Some(raw_query.to_owned());
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.headers = headers;
    event.query_string_parameters = QueryMap::from(query);
    event.path_parameters = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    event.request_context = context;
    event.body = body;
    event.is_base64_encoded = is_base64;
    event
}

/// The SQS event of received messages, as Lambda's event source mapping builds it.
pub fn sqs_event(messages: &[aws_sdk_sqs::types::Message], queue_arn: &str, region: &str) -> SqsEvent {
    let records = messages
        .iter()
        .map(|m| {
            let mut record = SqsMessage::default();
            record.message_id = m.message_id.clone();
            record.receipt_handle = m.receipt_handle.clone();
            record.body = m.body.clone();
            record.md5_of_body = m.md5_of_body.clone();
            record.attributes =
                m.attributes.iter().flatten().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(queue_arn.to_owned());
            record.aws_region = Some(region.to_owned());
            record
        })
        .collect();
    let mut event = SqsEvent::default();
    event.records = records;
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut builder = http::Request::builder().method("POST").uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    /// The typed event is the payload 2.0 the runtime deserializes: through JSON and back,
    /// the same request, and `lambda_http` makes of it what the function reads.
    #[test]
    fn the_event_is_the_payload_the_runtime_reads() {
        use lambda_http::RequestExt;
        let parts = parts(
            "/contacts/c-1?q=a&q=b&x=1",
            &[("cookie", "a=1; b=2"), ("x-many", "one"), ("x-many", "two"), ("host", "127.0.0.1:3000")],
        );
        let claims: Claims =
            serde_json::from_str(r#"{"sub":"s","cognito:groups":["admin","x"],"scope":"a b"}"#).unwrap();
        let event = api_gateway_event(
            "POST /contacts/{contactId}",
            "/contacts/c-1",
            &parts,
            &[("contactId", "c-1")],
            Some(&claims),
            &Bytes::from_static(b"{}"),
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["headers"]["x-many"], "one,two");
        assert_eq!(json["cookies"], serde_json::json!(["a=1", "b=2"]));
        assert_eq!(json["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"], "[admin x]");
        assert_eq!(json["requestContext"]["authorizer"]["jwt"]["scopes"], serde_json::json!(["a", "b"]));
        let request: lambda_http::request::LambdaRequest = serde_json::from_value(json).unwrap();
        let request = lambda_http::Request::from(request);
        assert_eq!(request.method(), http::Method::POST);
        assert_eq!(request.uri().path(), "/contacts/c-1");
        assert_eq!(request.query_string_parameters().all("q"), Some(vec!["a", "b"]));
        assert_eq!(request.path_parameters().first("contactId"), Some("c-1"));
        assert_eq!(request.headers()["cookie"], "a=1; b=2");
        let direct = lambda_http::Request::from(lambda_http::request::LambdaRequest::ApiGatewayV2(event));
        assert_eq!(direct.uri(), request.uri());
        assert_eq!(direct.headers(), request.headers());
    }
}

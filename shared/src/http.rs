//! Reading requests and writing responses: JSON bodies parsed straight into domain types
//! (with the field path in the error), path and query parameters, JSON responses.

use std::str::FromStr;

use http::{HeaderValue, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::ParseError;
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::source::SourceAddress;

/// JSON request bodies are small (metadata only; file bytes go to S3 directly).
pub const MAX_JSON_BODY_BYTES: usize = 64 * 1024;

/// API Gateway's `routeKey` (`"POST /contacts"`), which every function dispatches on.
pub fn route_key(req: &Request) -> Option<&str> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.as_deref(),
        _ => None,
    }
}

/// Where the request comes from (`requestContext.http.sourceIp`); `Unknown` when the
/// event has none or an unreadable one (see `source`).
pub fn source_address(req: &Request) -> SourceAddress {
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref(),
        _ => None,
    };
    let source = SourceAddress::from_source_ip(source_ip);
    if !source.is_known() {
        // Never from API Gateway: worth seeing, since such requests share one counter.
        tracing::warn!("request without a usable sourceIp; counted as the unknown source");
    }
    source
}

/// The answer for a route key a function does not serve (a wiring mistake, or a direct
/// invoke with a hand-made event).
pub fn unknown_route(req: &Request) -> ApiError {
    ApiError::RouteNotFound { method: req.method().to_string(), path: req.uri().path().to_owned() }
}

pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_JSON_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge { limit: MAX_JSON_BODY_BYTES });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Malformed("a JSON request body is required".into()));
    }
    let is_json = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_body(bytes)
}

/// Parses a request body, which is always a JSON object: serde would otherwise also read a
/// struct from an array of its fields in order (`["Invoices", null]`).
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(ApiError::Invalid("the body must be a JSON object".into()));
    }
    parse_json(bytes)
}

/// Parses JSON: syntax errors are 400, a missing/unknown field or a wrong type or value
/// is 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = strip_position(&inner.to_string());
        let at = |detail: String| if path == "." { detail } else { format!("{path}: {detail}") };
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::Invalid(at(message)),
            // serde_json reports an enum given a number, `null` or an array (`{"role": 5}`)
            // as a syntax error; the body is well-formed JSON, so it is a wrong type (422).
            _ if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
                ApiError::Invalid(at("has the wrong type".into()))
            }
            _ => ApiError::Malformed(format!("the body is not valid JSON: {message}")),
        }
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::Malformed("the body has trailing characters after the JSON value".into()))?;
    Ok(value)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// A path parameter parsed into its domain type; a bad value is a 400 naming it.
pub fn path_param<T: FromStr<Err = ParseError>>(req: &Request, name: &str) -> Result<T, ApiError> {
    let params = req.path_parameters();
    let raw = params.first(name).ok_or_else(|| ApiError::Malformed(format!("path parameter {name} is missing")))?;
    raw.parse().map_err(|err: ParseError| ApiError::Malformed(format!("{name}: {err}")))
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_owned)
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).expect("response types always serialize");
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Renders a use case's outcome: the value as JSON, or the error as problem+json.
pub fn respond<T: Serialize>(status: StatusCode, outcome: Result<T, ApiError>) -> Response<Body> {
    match outcome {
        Ok(value) => json(status, &value),
        Err(err) => err.into_response(),
    }
}

/// 204 for a successful delete; the error as problem+json otherwise.
pub fn no_content(outcome: Result<(), ApiError>) -> Response<Body> {
    match outcome {
        Ok(()) => {
            let mut response = Response::new(Body::Empty);
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(err) => err.into_response(),
    }
}

/// `?limit=&cursor=` of a listing.
pub fn page_request(req: &Request) -> Result<PageRequest, ApiError> {
    PageRequest::parse(query_param(req, "limit").as_deref(), query_param(req, "cursor").as_deref())
}

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>` field of
/// a partial update: tells a field sent as `null` (`Some(None)`) from an absent one (`None`).
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct NewThing {
        email: Email,
        count: u32,
    }

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/things");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(Body::Text(body.to_owned())).unwrap()
    }

    fn parse(content_type: Option<&str>, body: &str) -> Result<NewThing, ApiError> {
        json_body(&request(content_type, body))
    }

    #[test]
    fn bodies_parse_into_domain_types() {
        let thing = parse(Some("application/json; charset=utf-8"), r#"{"email":"A@b.co","count":2}"#).unwrap();
        assert_eq!(thing.email.as_str(), "a@b.co");
    }

    #[test]
    fn an_enum_of_the_wrong_type_is_a_422_not_a_400() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct WithRole {
            role: crate::domain::Role,
        }
        for body in [r#"{"role":5}"#, r#"{"role":null}"#, r#"{"role":[]}"#, r#"{"role":true}"#] {
            let Err(ApiError::Invalid(message)) = parse_json::<WithRole>(body.as_bytes()) else {
                panic!("{body} was not a 422")
            };
            assert_eq!(message, "role: has the wrong type", "{body}");
        }
        assert!(matches!(parse_json::<Vec<crate::domain::ItemRef>>(b"[[null]]"), Err(ApiError::Invalid(_))));
        assert!(matches!(parse_json::<WithRole>(br#"{"role":5"#), Err(ApiError::Malformed(_))));
    }

    #[test]
    fn a_body_that_is_not_an_object_is_a_422() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Folder {
            name: String,
            parent_id: Option<String>,
        }
        // serde alone reads a struct from an array of its fields.
        assert!(parse_json::<Folder>(br#"["Invoices", null]"#).is_ok());
        for body in [&br#"["Invoices", null]"#[..], b"\"Invoices\"", b"5", b"null"] {
            assert!(matches!(parse_body::<Folder>(body), Err(ApiError::Invalid(_))), "{body:?}");
        }
        assert!(matches!(parse_body::<Folder>(br#" ["Invoices""#), Err(ApiError::Malformed(_))));
        assert!(parse_body::<Folder>(br#" {"name":"Invoices","parent_id":null}"#).is_ok());
    }

    #[test]
    fn each_kind_of_bad_body_gets_its_own_4xx() {
        let json = Some("application/json");
        assert!(matches!(parse(json, "{not json"), Err(ApiError::Malformed(_))));
        assert!(matches!(parse(json, ""), Err(ApiError::Malformed(_))));
        assert!(matches!(parse(json, r#"{"email":"a@b.co","count":1} x"#), Err(ApiError::Malformed(_))));
        assert!(matches!(
            parse(Some("text/plain"), r#"{"email":"a@b.co","count":1}"#),
            Err(ApiError::UnsupportedMediaType)
        ));
        assert!(matches!(parse(None, r#"{"email":"a@b.co","count":1}"#), Err(ApiError::UnsupportedMediaType)));
        let big = format!(r#"{{"email":"{}"}}"#, "a".repeat(MAX_JSON_BODY_BYTES));
        assert!(matches!(parse(json, &big), Err(ApiError::PayloadTooLarge { .. })));

        let Err(ApiError::Invalid(missing)) = parse(json, r#"{"email":"a@b.co"}"#) else { panic!() };
        assert!(missing.contains("count"), "{missing}");
        let Err(ApiError::Invalid(wrong_type)) = parse(json, r#"{"email":"a@b.co","count":"two"}"#) else { panic!() };
        assert!(wrong_type.starts_with("count: invalid type"), "{wrong_type}");
        let Err(ApiError::Invalid(bad_value)) = parse(json, r#"{"email":"nope","count":1}"#) else { panic!() };
        assert_eq!(bad_value, "email: is not an email address");
        let Err(ApiError::Invalid(unknown)) = parse(json, r#"{"email":"a@b.co","count":1,"tenantId":"x"}"#) else {
            panic!()
        };
        assert!(unknown.contains("tenantId"), "{unknown}");
    }
}

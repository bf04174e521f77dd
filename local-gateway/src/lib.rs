//! The local API gateway: what API Gateway's HTTP API does on AWS, on 127.0.0.1.
//!
//! - matches the request against the route table (`portal_shared::routes`), the same one
//!   the SAM template declares;
//! - verifies the bearer token like the HTTP API JWT authorizer (signature against the
//!   pool's JWKS, issuer, audience or `client_id`, expiry), 401 otherwise ([`authorizer`]);
//! - builds the payload-2.0 event the function gets on AWS (`aws_lambda_events`'
//!   `ApiGatewayV2httpRequest`: request context with the authorizer claims, path
//!   parameters, query string, body; [`event`]) and calls the function's handler in-process;
//! - configures every function from the template's `Environment` for it, resolved for the
//!   local stack, through the function's own `configure` ([`functions`]);
//! - relays S3 notifications and share batches from their SQS queues to the queue
//!   consumers as `SqsEvent`s, deleting only the messages they did not report failed (like
//!   Lambda's SQS event source with partial batch responses);
//! - delivers the table's stream to the view-index function as Lambda's DynamoDB event
//!   source mapping does ([`stream`]);
//! - serves `web/` and a `/config.js` telling the pages where the API is, every response
//!   with the security headers of the distribution's response headers policy;
//! - serves the local mailbox at `/_mailbox` (every email sent; `xtask::mailbox`), which
//!   exists only here, never in the template.
//!
//! The crate links every function; `cargo xtask dev|test|soak` build its binary and run it
//! as a process (`xtask::gateway`), so that xtask itself never compiles them. The tests and
//! the benchmarks ([`bench`], the `portal-bench` binary) use it in-process.

mod api;
mod authorizer;
pub mod bench;
#[cfg(test)]
mod drift;
pub mod event;
pub mod functions;
mod server;
pub mod stream;

pub use api::{ApiGateway, Prepared};
pub use authorizer::JwtAuthorizer;
pub use functions::{Configuration, Functions, InvokeError};
pub use server::{Relay, RunningGateway, start, start_with, start_with_overrides, start_with_signup};
pub use xtask::function_env::{LOCAL_COMPANY_SIGNUP, LOCAL_SHARE_EMAIL_WINDOW_SECONDS, LocalOverrides};
pub use xtask::gateway::API_PREFIX;

/// API Gateway's payload limit.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use lambda_http::RequestExt;
    use lambda_http::request::{LambdaRequest, RequestContext};

    /// Every HTTP sample in `events/` is what the Lambda runtime accepts (the payload 2.0,
    /// the only shape this build of lambda_http deserializes) and names a route of the
    /// table served by the function whose directory holds it, with matching path parameters.
    /// (Running them through the handlers needs the local stack; see `events/README.md`.)
    #[test]
    fn http_samples_deserialize_and_name_their_functions_routes() {
        let root = xtask::paths::repo_root().join("events");
        let mut checked = 0;
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            let function = dir.file_name().unwrap().to_str().unwrap().to_owned();
            for file in std::fs::read_dir(&dir).unwrap() {
                let path = file.unwrap().path();
                let text = std::fs::read_to_string(&path).unwrap();
                let json: serde_json::Value = serde_json::from_str(&text).unwrap();
                let Some(key) = json["routeKey"].as_str() else { continue };
                let request: LambdaRequest =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(matches!(request, LambdaRequest::ApiGatewayV2(_)), "{}", path.display());
                let request = lambda_http::Request::from(request);
                let Some(RequestContext::ApiGatewayV2(context)) = request.request_context_ref() else {
                    panic!("{}: no payload 2.0 context", path.display())
                };
                assert_eq!(context.route_key.as_deref(), Some(key), "{}", path.display());
                let (method, raw_path) = key.split_once(' ').unwrap();
                let actual_path = json["rawPath"].as_str().unwrap();
                let (route, params) = portal_shared::routes::match_route(method, actual_path)
                    .unwrap_or_else(|| panic!("{}: no route for {method} {actual_path}", path.display()));
                assert_eq!(route.key(), key, "{}: rawPath {actual_path} is not {raw_path}", path.display());
                assert_eq!(route.function, function, "{}", path.display());
                for (name, value) in params {
                    assert_eq!(json["pathParameters"][name], value, "{}: path parameter {name}", path.display());
                }
                let has_authorizer = context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).is_some();
                assert_eq!(
                    has_authorizer,
                    route.authorizer != portal_shared::routes::Authorizer::Public,
                    "{}",
                    path.display()
                );
                if let Some(body) = json["body"].as_str()
                    && let Some(length) = json["headers"]["content-length"].as_str()
                {
                    assert_eq!(length, body.len().to_string(), "{}: content-length", path.display());
                }
                checked += 1;
            }
        }
        assert!(checked >= 22, "only {checked} HTTP samples");
    }
}

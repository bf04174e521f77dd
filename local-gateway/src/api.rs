//! What API Gateway does with one API request, without the HTTP server around it.

use std::collections::HashMap;

use anyhow::Result;
use aws_config::SdkConfig;
use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use axum::body::Bytes;
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Response};
use portal_shared::ApiError;
use portal_shared::routes::{self, Authorizer};
use xtask::function_env::LocalOverrides;
use xtask::provision::Stack;

use crate::authorizer::JwtAuthorizer;
use crate::event::api_gateway_event;
use crate::functions::{Functions, InvokeError};

/// What API Gateway does with one API request, without the HTTP server around it: route,
/// authorize, build the event, call the function. The benchmarks and the AWS-calls budget
/// test use it in-process.
pub struct ApiGateway {
    functions: Functions,
    authorizers: HashMap<Authorizer, JwtAuthorizer>,
}

/// A request routed and authorized: the function it goes to and the event it gets.
pub struct Prepared {
    pub function: &'static str,
    pub event: ApiGatewayV2httpRequest,
}

impl ApiGateway {
    /// The functions configured from `sdk` (see [`Functions::new`]) behind both authorizers.
    pub async fn new(sdk: &SdkConfig, stack: &Stack, public_url: &str) -> Result<Self> {
        Self::with_overrides(sdk, stack, public_url, LocalOverrides::default()).await
    }

    /// [`ApiGateway::new`] with other local overrides.
    pub async fn with_overrides(
        sdk: &SdkConfig,
        stack: &Stack,
        public_url: &str,
        overrides: LocalOverrides,
    ) -> Result<Self> {
        let authorizers = HashMap::from([
            (Authorizer::Staff, JwtAuthorizer::fetch(&stack.staff_pool).await?),
            (Authorizer::Customer, JwtAuthorizer::fetch(&stack.customer_pool).await?),
        ]);
        Ok(Self { functions: Functions::with_overrides(sdk, stack, public_url, overrides)?, authorizers })
    }

    /// Routes and authorizes a request for `path` (without the `/api` prefix).
    pub fn prepare(&self, parts: &http::request::Parts, path: &str, body: &Bytes) -> Result<Prepared, ApiError> {
        let method = parts.method.as_str();
        let Some((route, params)) = routes::match_route(method, path) else {
            return Err(ApiError::RouteNotFound { method: method.to_owned(), path: path.to_owned() });
        };
        let claims = match route.authorizer {
            Authorizer::Public => None,
            authorizer => {
                let token = parts
                    .headers
                    .get(http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")));
                match token.and_then(|t| self.authorizers[&authorizer].verify(t.trim())) {
                    Some(claims) => Some(claims),
                    None => return Err(ApiError::Unauthenticated),
                }
            }
        };
        let event = api_gateway_event(&route.key(), path, parts, &params, claims.as_ref(), body);
        Ok(Prepared { function: route.function, event })
    }

    /// Calls the function's handler in-process with the event (as the Lambda runtime
    /// would, after deserializing it).
    pub async fn invoke(&self, prepared: Prepared) -> Response<Body> {
        let event = LambdaRequest::ApiGatewayV2(prepared.event);
        match self.functions.call_http(prepared.function, event).await {
            Ok(response) => response,
            Err(err @ InvokeError::Malformed(_)) => ApiError::Malformed(err.to_string()).into_response(),
            // The route table names every function this gateway builds (a test checks the
            // samples of each); a missing one is a defect of the gateway, not of the request.
            Err(err) => ApiError::Internal(err.to_string()).into_response(),
        }
    }
}

impl ApiGateway {
    /// The functions behind the gateway.
    pub fn functions(&self) -> &Functions {
        &self.functions
    }
}

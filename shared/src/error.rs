//! The one error type of the API and its mapping to `application/problem+json` (RFC 9457).
//!
//! Every handler returns `Result<_, ApiError>`; `ApiError::into_response` is the only place
//! where an error becomes an HTTP status. A 5xx is either a dependency that is unavailable
//! (503 with `Retry-After`) or a bug (500, details only in the logs).

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ApiError {
    /// The request is not well-formed (bad JSON syntax, bad query string).
    #[error("{0}")]
    Malformed(String),
    /// Well-formed, but a field is missing, has the wrong type or an invalid value.
    #[error("{0}")]
    Invalid(String),
    #[error("a valid bearer token is required")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("the refresh token is not valid; sign in again")]
    InvalidRefreshToken,
    #[error("{0}")]
    Forbidden(String),
    /// The company was suspended by the operator (`cargo xtask tenant suspend`): every staff
    /// and customer request of it is refused until it is resumed. Nothing is deleted.
    #[error("this company's portal is suspended; contact the portal's operator")]
    CompanySuspended,
    /// The named resource does not exist for this caller (also used for other tenants' ids,
    /// so that existence never leaks across tenants).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("no route for {method} {path}")]
    RouteNotFound { method: String, path: String },
    #[error("{0}")]
    Conflict(String),
    /// A customer account already includes the most companies one account may
    /// (`store::MAX_LINKED_COMPANIES`): one more invitation cannot be linked to it.
    #[error(
        "your portal account already includes {0} companies, the most one account may; ask one of them to remove you, or ask this company to invite another email address"
    )]
    AccountCompanyLimit(usize),
    /// Something that was valid once and no longer is (an expired invitation link).
    #[error("{0}")]
    Gone(String),
    #[error("the request body exceeds {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("a dependency is temporarily unavailable, retry later")]
    Unavailable,
    /// The invocation reached its cap of AWS requests (`metering::capped`): the work it
    /// asked for grows beyond what one request may do. Retrying the same request does not
    /// help; the work that was committed before stays (each step is its own write).
    #[error("this request needs more work than one request may do (its cap of AWS requests); ask for less at once")]
    BudgetExceeded,
    /// Too many attempts of one kind for one email in the current window (see
    /// `rate_limit`). The detail is the same for every email, so that it never tells whether
    /// an account exists; the wait is only in the `Retry-After` header.
    #[error("too many attempts; wait before trying again (see Retry-After)")]
    TooManyRequests { retry_after_seconds: u64 },
    /// A bug or an unexpected dependency failure. The message is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Debug, Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated | Self::InvalidCredentials | Self::InvalidRefreshToken => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::CompanySuspended => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::AccountCompanyLimit(_) => StatusCode::CONFLICT,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable | Self::BudgetExceeded => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable problem type (a relative URI reference, documented in
    /// `docs/openapi.yaml`).
    pub fn slug(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed-request",
            Self::Invalid(_) => "validation-error",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials | Self::InvalidRefreshToken => "invalid-credentials",
            Self::Forbidden(_) => "forbidden",
            Self::CompanySuspended => "company-suspended",
            Self::NotFound(_) => "not-found",
            Self::RouteNotFound { .. } => "route-not-found",
            Self::Conflict(_) => "conflict",
            Self::AccountCompanyLimit(_) => "account-company-limit",
            Self::Gone(_) => "gone",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Unavailable => "service-unavailable",
            Self::BudgetExceeded => "request-budget-exceeded",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Internal(_) => "internal-error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "Malformed request",
            Self::Invalid(_) => "Invalid request",
            Self::Unauthenticated => "Authentication required",
            Self::InvalidCredentials | Self::InvalidRefreshToken => "Invalid credentials",
            Self::Forbidden(_) => "Forbidden",
            Self::CompanySuspended => "Company suspended",
            Self::NotFound(_) | Self::RouteNotFound { .. } => "Not found",
            Self::Conflict(_) => "Conflict",
            Self::AccountCompanyLimit(_) => "Account company limit",
            Self::Gone(_) => "Gone",
            Self::PayloadTooLarge { .. } => "Payload too large",
            Self::UnsupportedMediaType => "Unsupported media type",
            Self::Unavailable => "Service unavailable",
            Self::BudgetExceeded => "Request budget exceeded",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Internal(_) => "Internal error",
        }
    }

    fn public_detail(&self) -> String {
        match self {
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        }
    }

    pub fn into_response(self) -> Response<Body> {
        if let Self::Internal(message) = &self {
            tracing::error!(error = %crate::telemetry::clip(message), "internal error");
        }
        let status = self.status();
        let problem = Problem {
            kind: format!("/problems/{}", self.slug()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.public_detail(),
        };
        let body = serde_json::to_string(&problem).expect("a problem always serializes");
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        // A used-up budget is no passing failure: no hint to retry.
        if status == StatusCode::SERVICE_UNAVAILABLE && self != Self::BudgetExceeded {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Self::TooManyRequests { retry_after_seconds } = self {
            headers.insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after_seconds.max(1)));
        }
        response
    }

    /// Maps a failed AWS SDK call: throttling, timeouts and unreachable endpoints are
    /// transient (503, retry); anything else is a bug or a misconfiguration (500).
    pub fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if crate::metering::RequestBudgetExceeded::find(&err).is_some() {
            return Self::BudgetExceeded;
        }
        if is_transient(&err) {
            let error = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
            tracing::warn!(operation, error = %crate::telemetry::clip(&error), "transient AWS error");
            Self::Unavailable
        } else {
            Self::Internal(format!("{operation}: {}", aws_smithy_types::error::display::DisplayErrorContext(&err)))
        }
    }
}

/// What the API says when Cognito will not take an email address as a username (AWS's
/// Username constraint: at most 128 characters of `[\p{L}\p{M}\p{S}\p{N}\p{P}]`). Our own
/// words: Cognito's message is logged, never sent.
pub const EMAIL_REFUSED_BY_SIGN_IN: &str = "email: this address cannot be used for a portal account";

impl ApiError {
    /// Like [`ApiError::from_sdk`], but the service refusing a value the request gave it
    /// (`InvalidParameterException`: Cognito's answer to a username it will not take) is
    /// `refused`, a 422 naming the field, instead of a 500. The route's input is the only
    /// value of the call a client controls, so the refusal is about it; the service's own
    /// message goes to the log (a misconfiguration shows there).
    pub fn from_sdk_refusing<E>(operation: &str, err: SdkError<E, HttpResponse>, refused: &str) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        if refuses_a_value(&err) {
            let message = err.as_service_error().and_then(|e| e.message()).unwrap_or_default();
            tracing::warn!(operation, error = message, "a value of the request was refused");
            return Self::Invalid(refused.to_owned());
        }
        Self::from_sdk(operation, err)
    }
}

/// Whether an AWS error is the service refusing a parameter's value (not a failure).
pub fn refuses_a_value<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(err, SdkError::ServiceError(service) if service.err().code() == Some("InvalidParameterException"))
}

/// Whether a failed AWS call is transient (throttling, a timeout, an unreachable endpoint,
/// the service failing): the same call can be made again.
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
        // A 5xx is the service failing, whatever its code says.
        SdkError::ServiceError(service) => {
            is_transient_code(service.err().code()) || service.raw().status().is_server_error()
        }
        _ => false,
    }
}

/// The generic meaning of a storage outcome. A clash a handler expects is mapped by the
/// handler first, in its own words (a 409 or 422 naming its request's field); what
/// reaches this is a clash in the store's plain words, a 503 or a 500.
#[cfg(feature = "dynamodb")]
impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::{Clash, StoreError};
        match err {
            StoreError::Clash(Clash::Missing(entity) | Clash::Unknown(entity)) => Self::NotFound(entity.name()),
            StoreError::Clash(Clash::CompanyStopped) => Self::CompanySuspended,
            StoreError::Clash(clash) => Self::Conflict(clash.to_string()),
            StoreError::ForeignCursor => Self::Malformed("cursor is not valid".into()),
            StoreError::Unavailable => Self::Unavailable,
            StoreError::BudgetExceeded => Self::BudgetExceeded,
            StoreError::Internal(message) => Self::Internal(message),
        }
    }
}

fn is_transient_code(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ThrottlingException"
                | "Throttling"
                | "ProvisionedThroughputExceededException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "RequestThrottled"
                | "ServiceUnavailable"
                | "InternalServerError"
                | "InternalErrorException"
                | "InternalError"
                | "InternalFailure"
                | "SlowDown"
                | "TransactionConflictException"
        )
    )
}

impl From<ApiError> for Response<Body> {
    fn from(err: ApiError) -> Self {
        err.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn problems_carry_status_type_and_content_type() {
        let response = ApiError::Invalid("email: not an email address".into()).into_response();
        assert_eq!(response.status(), 422);
        assert_eq!(response.headers()["content-type"], PROBLEM_JSON);
        let json = body_json(&response);
        assert_eq!(json["status"], 422);
        assert_eq!(json["type"], "/problems/validation-error");
        assert_eq!(json["detail"], "email: not an email address");
    }

    #[test]
    fn internal_errors_never_leak_their_message() {
        let response = ApiError::Internal("table arn:aws:dynamodb:secret".into()).into_response();
        assert_eq!(response.status(), 500);
        let text = body_json(&response).to_string();
        assert!(!text.contains("arn:aws"), "{text}");
    }

    #[test]
    fn unavailable_carries_a_retry_hint() {
        let response = ApiError::Unavailable.into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
    }

    #[test]
    fn a_used_up_request_budget_is_a_503_of_its_own_type_without_a_retry_hint() {
        let response = ApiError::BudgetExceeded.into_response();
        assert_eq!(response.status(), 503);
        assert!(response.headers().get("retry-after").is_none());
        assert_eq!(body_json(&response)["type"], "/problems/request-budget-exceeded");
    }

    #[test]
    fn a_suspended_company_is_a_403_of_its_own_type() {
        let response = ApiError::CompanySuspended.into_response();
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["content-type"], PROBLEM_JSON);
        let json = body_json(&response);
        assert_eq!(json["type"], "/problems/company-suspended");
        assert_eq!(json["title"], "Company suspended");
    }

    #[cfg(feature = "dynamodb")]
    #[test]
    fn storage_outcomes_keep_their_statuses() {
        use crate::store::{Clash, Entity, StoreError};
        let status = |err: StoreError| ApiError::from(err).into_response().status();
        assert_eq!(status(StoreError::Unavailable), 503);
        assert_eq!(status(StoreError::Internal("boom".into())), 500);
        assert_eq!(status(StoreError::ForeignCursor), 400);
        assert_eq!(ApiError::from(StoreError::Clash(Clash::Missing(Entity::Contact))), ApiError::NotFound("contact"));
        assert_eq!(ApiError::from(StoreError::Clash(Clash::CompanyStopped)), ApiError::CompanySuspended);
        assert_eq!(
            ApiError::from(StoreError::Clash(Clash::ContactEmailTaken)),
            ApiError::Conflict("a contact with this email already exists".into())
        );
    }

    #[test]
    fn too_many_requests_says_when_to_retry_and_nothing_else() {
        let response = ApiError::TooManyRequests { retry_after_seconds: 421 }.into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "421");
        assert_eq!(response.headers()["content-type"], PROBLEM_JSON);
        let json = body_json(&response);
        assert_eq!(json["type"], "/problems/too-many-requests");
        // The body is the same whatever the wait, so two answers compare equal byte for byte.
        let other = ApiError::TooManyRequests { retry_after_seconds: 3 }.into_response();
        assert_eq!(json, body_json(&other));
        // Never "retry now".
        let zero = ApiError::TooManyRequests { retry_after_seconds: 0 }.into_response();
        assert_eq!(zero.headers()["retry-after"], "1");
    }
}

//! The `settings` function: the company's settings and branding (name, accent colour,
//! logo) and its staff accounts (invite, change role, remove, send a password reset), for
//! admins; the public branding of a portal link, for the portal pages and emails.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use portal_shared::aws;
use portal_shared::config::{self, ConfigError, TransferLimits};
use portal_shared::function::HttpFunction;
use portal_shared::http::{no_content, respond, route_key, unknown_route};
use portal_shared::storage::Storage;
use portal_shared::store::Store;

// One module per concern: the routes parse requests into typed inputs (`inputs`) and
// render answers; the use cases (`company`: settings and logo, `staff`, `branding`) take
// only typed values.
mod branding;
mod company;
mod inputs;
mod routes;
mod staff;

pub use branding::Branding;
pub use company::{LogoTicket, Settings};
#[cfg(test)]
use inputs::{Invitation, LogoUpload, RoleChange, SettingsChanges};

/// The IAM actions of the AWS calls this function makes (the SAM template grants exactly
/// these; a test compares).
pub const IAM_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    // An invited member's membership is written with a check that the company is not suspended.
    "dynamodb:ConditionCheckItem",
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminDeleteUser",
    "cognito-idp:AdminResetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
    "s3:PutObject",
    "s3:GetObject",
    "s3:ListBucketVersions",
    "s3:DeleteObjectVersion",
];

/// Logos are raster images a mail client shows (no SVG: it can carry script), up to 1 MiB.
pub const LOGO_CONTENT_TYPES: &[&str] = &["image/png", "image/jpeg", "image/webp"];
pub const MAX_LOGO_BYTES: u64 = 1024 * 1024;

pub struct App {
    store: Store,
    storage: Storage,
    cognito: aws::OnFirstUse<Cognito>,
    staff_pool_id: String,
    limits: TransferLimits,
}

impl HttpFunction for App {
    fn configure(sdk: &SdkConfig, env: &dyn config::Source) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(env, config::TABLE_NAME)?,
            config::required(env, config::DOCUMENTS_BUCKET)?,
            config::required(env, config::STAFF_USER_POOL_ID)?,
            TransferLimits::read(env)?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /settings") => respond(StatusCode::OK, self.get_settings(&req).await),
            Some("PATCH /settings") => respond(StatusCode::OK, self.patch_settings(&req).await),
            Some("POST /settings/logo") => respond(StatusCode::CREATED, self.post_logo(&req).await),
            Some("DELETE /settings/logo") => no_content(self.delete_logo(&req).await),
            Some("GET /staff") => respond(StatusCode::OK, self.list_staff(&req).await),
            Some("POST /staff") => respond(StatusCode::CREATED, self.post_staff(&req).await),
            Some("PATCH /staff/{staffId}") => respond(StatusCode::OK, self.patch_staff(&req).await),
            Some("DELETE /staff/{staffId}") => no_content(self.delete_staff(&req).await),
            Some("POST /staff/{staffId}/password-reset") => no_content(self.post_password_reset(&req).await),
            Some("GET /branding/{slug}") => respond(StatusCode::OK, self.get_branding(&req).await),
            Some("GET /branding/{slug}/logo") => match self.get_logo(&req).await {
                Ok(url) => redirect(&url),
                Err(err) => err.into_response(),
            },
            _ => unknown_route(&req).into_response(),
        }
    }
}

/// A temporary redirect to a presigned URL (not cached: the URL expires).
fn redirect(url: &str) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(location) = HeaderValue::from_str(url) {
        response.headers_mut().insert(http::header::LOCATION, location);
    }
    response.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl App {
    pub fn new(
        sdk: &SdkConfig,
        table: impl Into<String>,
        bucket: impl Into<String>,
        staff_pool_id: impl Into<String>,
        limits: TransferLimits,
    ) -> Self {
        Self {
            store: Store::new(aws::dynamodb_client(sdk), table),
            storage: Storage::new(aws::s3_client(sdk), bucket),
            cognito: aws::OnFirstUse::new(sdk, aws::cognito_client),
            staff_pool_id: staff_pool_id.into(),
            limits,
        }
    }
}

#[cfg(test)]
mod properties;

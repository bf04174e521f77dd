//! The `settings` function: the company's settings and branding (name, accent colour,
//! logo) and its staff accounts (invite, change role, remove, send a password reset), for
//! admins; the public branding of a portal link, for the portal pages and emails.

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client as Cognito;
use aws_sdk_cognitoidentityprovider::operation::admin_create_user::AdminCreateUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_delete_user::AdminDeleteUserError;
use aws_sdk_cognitoidentityprovider::operation::admin_reset_user_password::AdminResetUserPasswordError;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};
use portal_shared::config::{self, ConfigError, TransferLimits};
use portal_shared::domain::{AccentColor, ContentType, DisplayName, Email, LogoId, Role, Slug, TenantId, UserSub};
use portal_shared::error::EMAIL_REFUSED_BY_SIGN_IN;
use portal_shared::function::HttpFunction;
use portal_shared::http::{
    json_body, no_content, page_request, path_param, present, respond, route_key, unknown_route,
};
use portal_shared::identity::StaffMember;
use portal_shared::model::{PendingLogo, Tenant};
use portal_shared::object_key::ObjectKey;
use portal_shared::pagination::Page;
use portal_shared::storage::{PresignedRequest, Storage};
use portal_shared::store::{Store, TenantChanges};
use portal_shared::{ApiError, aws};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SettingsChanges {
    name: Option<DisplayName>,
    #[serde(default, deserialize_with = "present")]
    accent_color: Option<Option<AccentColor>>,
    /// Whether customers are emailed when their access is closed.
    notify_access_closed: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LogoUpload {
    content_type: ContentType,
    size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Invitation {
    email: Email,
    role: Role,
    /// How customers will see the member (`sharedBy`); the member may set it later.
    #[serde(default)]
    name: Option<DisplayName>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleChange {
    role: Role,
}

/// The company as the dashboard shows it, with where its logo is served.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    #[serde(flatten)]
    tenant: Tenant,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_path: Option<String>,
}

/// What anyone may know about a portal link: the company's name, colour and logo.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Branding {
    name: DisplayName,
    slug: Slug,
    #[serde(skip_serializing_if = "Option::is_none")]
    accent_color: Option<AccentColor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_path: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoTicket {
    logo: PendingLogo,
    upload: PresignedRequest,
}

impl HttpFunction for App {
    fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            sdk,
            config::required(config::TABLE_NAME)?,
            config::required(config::DOCUMENTS_BUCKET)?,
            config::required(config::STAFF_USER_POOL_ID)?,
            TransferLimits::from_env()?,
        ))
    }

    async fn handle(&self, req: Request) -> Response<Body> {
        match route_key(&req) {
            Some("GET /settings") => respond(StatusCode::OK, self.settings(&req).await),
            Some("PATCH /settings") => respond(StatusCode::OK, self.update_settings(&req).await),
            Some("POST /settings/logo") => respond(StatusCode::CREATED, self.upload_logo(&req).await),
            Some("DELETE /settings/logo") => no_content(self.remove_logo(&req).await),
            Some("GET /staff") => respond(StatusCode::OK, self.staff(&req).await),
            Some("POST /staff") => respond(StatusCode::CREATED, self.invite(&req).await),
            Some("PATCH /staff/{staffId}") => respond(StatusCode::OK, self.change_role(&req).await),
            Some("DELETE /staff/{staffId}") => no_content(self.remove(&req).await),
            Some("POST /staff/{staffId}/password-reset") => no_content(self.send_password_reset(&req).await),
            Some("GET /branding/{slug}") => respond(StatusCode::OK, self.branding(&req).await),
            Some("GET /branding/{slug}/logo") => match self.logo(&req).await {
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

    async fn tenant(&self, staff: &StaffMember) -> Result<Tenant, ApiError> {
        self.store
            .tenant(staff.tenant_id)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("tenant {} of a staff member is missing", staff.tenant_id)))
    }

    async fn settings(&self, req: &Request) -> Result<Settings, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        let tenant = self.tenant(&staff).await?;
        Ok(Settings { logo_path: tenant.logo_path(), tenant })
    }

    async fn update_settings(&self, req: &Request) -> Result<Settings, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let input: SettingsChanges = json_body(req)?;
        if input.name.is_none() && input.accent_color.is_none() && input.notify_access_closed.is_none() {
            return Err(ApiError::Invalid("nothing to change: send name, accentColor or notifyAccessClosed".into()));
        }
        let changes = TenantChanges {
            name: input.name,
            accent_color: input.accent_color,
            notify_access_closed: input.notify_access_closed,
        };
        let tenant = self.store.update_tenant(staff.tenant_id, &changes).await?;
        tracing::info!(tenant = %staff.tenant_id, "settings updated");
        Ok(Settings { logo_path: tenant.logo_path(), tenant })
    }

    /// Hands out a presigned PUT for a new logo; object-events makes it the logo once the
    /// image has arrived and matches what was announced.
    async fn upload_logo(&self, req: &Request) -> Result<LogoTicket, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let input: LogoUpload = json_body(req)?;
        if !LOGO_CONTENT_TYPES.contains(&input.content_type.as_str()) {
            return Err(ApiError::Invalid(format!("contentType: must be one of {}", LOGO_CONTENT_TYPES.join(", "))));
        }
        if input.size == 0 || input.size > MAX_LOGO_BYTES {
            return Err(ApiError::Invalid(format!("size: must be 1 to {MAX_LOGO_BYTES} bytes")));
        }
        let logo = PendingLogo {
            id: LogoId::new(),
            tenant_id: staff.tenant_id,
            content_type: input.content_type,
            size: input.size,
            uploaded_by: staff.sub.clone(),
        };
        self.store.create_pending_logo(&logo, OffsetDateTime::now_utc() + time::Duration::days(1)).await?;
        let key = ObjectKey::logo(staff.tenant_id, logo.id);
        let upload =
            self.storage.presign_upload(key, &logo.content_type, logo.size, self.limits.upload_url_ttl_seconds).await?;
        tracing::info!(tenant = %staff.tenant_id, logo = %logo.id, "logo upload presigned");
        Ok(LogoTicket { logo, upload })
    }

    async fn remove_logo(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let removed = self.store.remove_logo(staff.tenant_id).await?.ok_or(ApiError::NotFound("logo"))?;
        self.storage.delete_all_versions(ObjectKey::logo(staff.tenant_id, removed.id)).await?;
        tracing::info!(tenant = %staff.tenant_id, logo = %removed.id, "logo removed");
        Ok(())
    }

    async fn staff(&self, req: &Request) -> Result<Page<StaffMember>, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        Ok(self.store.list_staff(staff.tenant_id, &page_request(req)?).await?)
    }

    /// Creates the account in the staff pool (Cognito emails a temporary password; the
    /// first sign-in asks for a new one) and binds it to the tenant with its role. If the
    /// binding fails, the account is deleted again so the invitation can be retried.
    async fn invite(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let input: Invitation = json_body(req)?;
        let member = self.invite_staff(staff.tenant_id, input.email, input.role, input.name).await?;
        tracing::info!(tenant = %staff.tenant_id, staff = %member.sub, role = ?member.role, "staff invited");
        Ok(member)
    }

    /// The staff invitation itself, for `tenant`: also how the operator's
    /// `cargo xtask tenant create` invites a new company's first admin.
    pub async fn invite_staff(
        &self,
        tenant: TenantId,
        email: Email,
        role: Role,
        name: Option<DisplayName>,
    ) -> Result<StaffMember, ApiError> {
        let input = Invitation { email, role, name };
        let created = match self
            .cognito
            .get()
            .admin_create_user()
            .user_pool_id(&self.staff_pool_id)
            .username(input.email.as_str())
            .user_attributes(attribute("email", input.email.as_str())?)
            .user_attributes(attribute("email_verified", "true")?)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await
        {
            Ok(created) => created,
            Err(err) if matches!(err.as_service_error(), Some(AdminCreateUserError::UsernameExistsException(_))) => {
                return Err(ApiError::Conflict("a staff account with this email exists already".into()));
            }
            // Cognito will not take the address as a username (AWS: more than 128
            // characters): a 422 naming the field, not a 500.
            Err(err) => return Err(ApiError::from_sdk_refusing("AdminCreateUser", err, EMAIL_REFUSED_BY_SIGN_IN)),
        };
        let sub: UserSub = created
            .user
            .and_then(|user| user.attributes)
            .unwrap_or_default()
            .into_iter()
            .find(|attribute| attribute.name == "sub")
            .and_then(|attribute| attribute.value)
            .ok_or_else(|| ApiError::Internal("AdminCreateUser returned no sub".into()))?
            .parse()
            .map_err(|e| ApiError::Internal(format!("AdminCreateUser returned a bad sub: {e}")))?;
        let member = StaffMember {
            sub,
            tenant_id: tenant,
            email: input.email,
            name: input.name,
            role: input.role,
            notify_submissions: None,
            submissions_seen_at: None,
            company_status: portal_shared::domain::TenantStatus::Active,
        };
        if let Err(err) = self.store.create_staff_member(&member).await {
            self.delete_account(&member.email).await?;
            return Err(err.into());
        }
        Ok(member)
    }

    async fn change_role(&self, req: &Request) -> Result<StaffMember, ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let id: UserSub = path_param(req, "staffId")?;
        let input: RoleChange = json_body(req)?;
        let target = self.colleague(&staff, &id).await?;
        if target.role.is_admin() && !input.role.is_admin() {
            self.keep_an_admin(&staff).await?;
        }
        let member = self.store.set_staff_role(staff.tenant_id, &id, input.role).await?;
        tracing::info!(tenant = %staff.tenant_id, staff = %id, role = ?input.role, "staff role changed");
        Ok(member)
    }

    /// Removes the membership first (their next request is refused), then the account.
    async fn remove(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let id: UserSub = path_param(req, "staffId")?;
        if id == staff.sub {
            return Err(ApiError::Conflict("you cannot remove your own account; ask another admin".into()));
        }
        let target = self.colleague(&staff, &id).await?;
        if target.role.is_admin() {
            self.keep_an_admin(&staff).await?;
        }
        self.store.delete_staff_member(staff.tenant_id, &id).await?;
        self.delete_account(&target.email).await?;
        tracing::info!(tenant = %staff.tenant_id, staff = %id, "staff removed");
        Ok(())
    }

    /// Sends a colleague a password reset: Cognito deactivates their password and emails
    /// them a code, which they enter with `POST /auth/staff/reset-password`. Their sessions
    /// end too (their refresh tokens are revoked): a reset an admin sends is often because
    /// the account may be in someone else's hands. Sending it again sends a new code.
    async fn send_password_reset(&self, req: &Request) -> Result<(), ApiError> {
        let staff = StaffMember::resolve(&self.store, req).await?;
        staff.require_admin()?;
        let id: UserSub = path_param(req, "staffId")?;
        if id == staff.sub {
            return Err(ApiError::Conflict(
                "to change your own password, sign out and use \"Forgot password?\"".into(),
            ));
        }
        let target = self.colleague(&staff, &id).await?;
        let cognito = self.cognito.get();
        let reset = cognito
            .admin_reset_user_password()
            .user_pool_id(&self.staff_pool_id)
            .username(target.email.as_str())
            .send()
            .await;
        if let Err(err) = reset {
            use AdminResetUserPasswordError as E;
            return Err(match err.as_service_error() {
                // The membership outlived its account (a removal half done): no one to reset.
                Some(E::UserNotFoundException(_)) => ApiError::NotFound("staff member"),
                // An invited account that never signed in has no password of its own yet (its
                // emailed temporary one still works), or the account is disabled.
                Some(E::NotAuthorizedException(_)) => ApiError::Conflict(
                    "this member has not chosen a password yet: their invitation's temporary password still works"
                        .into(),
                ),
                _ => ApiError::from_sdk_refusing("AdminResetUserPassword", err, EMAIL_REFUSED_BY_SIGN_IN),
            });
        }
        match cognito
            .admin_user_global_sign_out()
            .user_pool_id(&self.staff_pool_id)
            .username(target.email.as_str())
            .send()
            .await
        {
            Ok(_) => {}
            // Removed in between: nothing left to sign out.
            Err(err) if err.as_service_error().is_some_and(|e| e.is_user_not_found_exception()) => {}
            // (A retry resets again, which sends a new code, and signs out.)
            Err(err) => return Err(ApiError::from_sdk("AdminUserGlobalSignOut", err)),
        }
        tracing::info!(tenant = %staff.tenant_id, staff = %id, "password reset sent");
        Ok(())
    }

    /// A staff member of the caller's tenant (anyone else's is a 404).
    async fn colleague(&self, staff: &StaffMember, id: &UserSub) -> Result<StaffMember, ApiError> {
        self.store
            .staff_member(id)
            .await?
            .filter(|member| member.tenant_id == staff.tenant_id)
            .ok_or(ApiError::NotFound("staff member"))
    }

    /// A tenant keeps at least one admin: demoting or removing the last one is refused.
    async fn keep_an_admin(&self, staff: &StaffMember) -> Result<(), ApiError> {
        let admins = self.store.all_staff(staff.tenant_id).await?.iter().filter(|m| m.role.is_admin()).count();
        if admins < 2 {
            return Err(ApiError::Conflict("the company must keep at least one admin".into()));
        }
        Ok(())
    }

    async fn delete_account(&self, email: &Email) -> Result<(), ApiError> {
        match self
            .cognito
            .get()
            .admin_delete_user()
            .user_pool_id(&self.staff_pool_id)
            .username(email.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) if matches!(err.as_service_error(), Some(AdminDeleteUserError::UserNotFoundException(_))) => {
                Ok(())
            }
            // A name Cognito will not take is no account of its.
            Err(err) if portal_shared::error::refuses_a_value(&err) => Ok(()),
            Err(err) => Err(ApiError::from_sdk("AdminDeleteUser", err)),
        }
    }

    /// The company of a public portal link. One the operator stopped is not served as if
    /// active: its portal page shows why (403 `company-suspended`), and its logo is not served.
    async fn branded_tenant(&self, req: &Request) -> Result<Tenant, ApiError> {
        let slug: Slug = path_param(req, "slug")?;
        // A company signed up and not verified yet has no portal: its name and slug are
        // whatever its sign-up typed, and nobody answers for them until the email is verified.
        let tenant = self.store.tenant_by_slug(&slug).await?;
        let tenant = tenant
            .filter(|t| t.status != portal_shared::domain::TenantStatus::Unverified)
            .ok_or(ApiError::NotFound("portal"))?;
        if tenant.status.is_stopped() {
            return Err(ApiError::CompanySuspended);
        }
        Ok(tenant)
    }

    async fn branding(&self, req: &Request) -> Result<Branding, ApiError> {
        let tenant = self.branded_tenant(req).await?;
        Ok(Branding {
            logo_path: tenant.logo_path(),
            name: tenant.name,
            slug: tenant.slug,
            accent_color: tenant.accent_color,
        })
    }

    /// Where the logo can be fetched right now: a short-lived presigned GET.
    async fn logo(&self, req: &Request) -> Result<String, ApiError> {
        let tenant = self.branded_tenant(req).await?;
        let logo = tenant.logo.ok_or(ApiError::NotFound("logo"))?;
        let view = self
            .storage
            .presign_view(ObjectKey::logo(tenant.id, logo.id), &logo.content_type, self.limits.download_url_ttl_seconds)
            .await?;
        Ok(view.url)
    }
}

fn attribute(name: &str, value: &str) -> Result<AttributeType, ApiError> {
    AttributeType::builder().name(name).value(value).build().map_err(|e| ApiError::Internal(e.to_string()))
}

#[cfg(test)]
mod properties;

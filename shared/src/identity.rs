//! Who is calling. API Gateway's JWT authorizer has verified the token (signature, issuer,
//! audience, expiry) and passes its claims in the request context; the function reads the
//! `sub` from there and everything else (tenant, role, access) from DynamoDB, never from
//! anything the client sends.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::domain::{DisplayName, Email, Role, TenantId, UserSub};
use crate::error::ApiError;
use crate::model::{Actor, UploaderKind};

/// The claims of a verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub sub: UserSub,
}

impl Caller {
    pub fn from_request(req: &Request) -> Result<Self, ApiError> {
        let Some(RequestContext::ApiGatewayV2(context)) = req.request_context_ref() else {
            return Err(ApiError::Unauthenticated);
        };
        let claims = context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .map(|jwt| &jwt.claims)
            .ok_or(ApiError::Unauthenticated)?;
        // The API is called with access tokens; an ID token (same issuer, also signed)
        // is not accepted in its place.
        if claims.get("token_use").map(String::as_str) != Some("access") {
            return Err(ApiError::Unauthenticated);
        }
        let sub = claims.get("sub").and_then(|sub| sub.parse().ok()).ok_or(ApiError::Unauthenticated)?;
        Ok(Self { sub })
    }
}

/// The `sub` of a token Cognito has just issued to the caller of `InitiateAuth` (read from
/// its payload without checking the signature: it came over TLS in the answer to our own
/// call). Tokens that come from clients are verified by the authorizer; never use this on one.
pub fn issued_token_sub(token: &str) -> Option<UserSub> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("sub")?.as_str()?.parse().ok()
}

/// A staff account's membership of its tenant: the record bound to its Cognito `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffMember {
    pub sub: UserSub,
    pub tenant_id: TenantId,
    pub email: Email,
    /// How customers see this member (`sharedBy`): the email is a sign-in name and stays
    /// inside the company. `None` until given at the invitation or by the member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DisplayName>,
    pub role: Role,
    /// Emails about customer submissions: `Some(true)` opted in, `Some(false)` opted out,
    /// `None` the default (the contact's owner, else the admins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_submissions: Option<bool>,
    /// Up to when this member has looked at customer submissions (the dashboard's "new"
    /// badge counts the submissions created after it). `None`: never.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub submissions_seen_at: Option<OffsetDateTime>,
    /// A copy of the company's status on the membership item, written only by the operator
    /// (`cargo xtask tenant suspend | resume | delete`, which page through the staff), so that
    /// the one GetItem of every staff request also says whether the company is stopped. Never
    /// serialized: not part of the API, and a membership written by the API is written for
    /// an active company (`Store::create_staff_member` checks the profile in its transaction).
    #[serde(default, skip_serializing)]
    pub company_status: crate::domain::TenantStatus,
}

/// A staff member's own choices (`PATCH /me`): `None` leaves a field as it is.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StaffChoices {
    pub name: Option<DisplayName>,
    pub notify_submissions: Option<bool>,
    pub submissions_seen_at: Option<OffsetDateTime>,
}

impl StaffChoices {
    /// How far ahead of the server's clock a client's "seen up to" may be (clock skew).
    pub const CLOCK_SKEW: Duration = Duration::minutes(5);

    /// The changes to write for `member`: at least one field must be sent (422); a seen
    /// marker in the future is refused (422), and one older than the member's current marker
    /// is dropped, so the marker never moves back (two tabs, a stale page).
    pub fn for_member(self, member: &StaffMember, now: OffsetDateTime) -> Result<Self, ApiError> {
        if self.is_empty() {
            return Err(ApiError::Invalid(
                "nothing to change: send name, notifySubmissions or submissionsSeenAt".into(),
            ));
        }
        if self.submissions_seen_at.is_some_and(|seen| seen > now + Self::CLOCK_SKEW) {
            return Err(ApiError::Invalid("submissionsSeenAt: must not be in the future".into()));
        }
        let submissions_seen_at =
            self.submissions_seen_at.filter(|seen| member.submissions_seen_at.is_none_or(|current| *seen > current));
        Ok(Self { name: self.name, notify_submissions: self.notify_submissions, submissions_seen_at })
    }

    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.notify_submissions.is_none() && self.submissions_seen_at.is_none()
    }
}

impl StaffMember {
    /// Refuses a member of a company the operator stopped (suspended, or being deleted).
    pub fn require_serving(&self) -> Result<(), ApiError> {
        if self.company_status.is_stopped() { Err(ApiError::CompanySuspended) } else { Ok(()) }
    }

    /// Writes (contacts, uploads, sharing …) are for admins and members.
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.role.can_write() { Ok(()) } else { Err(ApiError::Forbidden("your role is read-only".into())) }
    }

    /// Staff accounts, settings and branding are for admins.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role.is_admin() { Ok(()) } else { Err(ApiError::Forbidden("only an admin can do this".into())) }
    }

    /// Who customers are told shared something: this member's name, else the company's
    /// (`company`). Never the email, which is how staff sign in.
    pub fn shown_to_customers(&self, company: &DisplayName) -> DisplayName {
        self.name.clone().unwrap_or_else(|| company.clone())
    }

    /// This staff member as the actor of an activity-trail entry.
    pub fn actor(&self) -> Actor {
        Actor { kind: UploaderKind::Staff, sub: self.sub.clone(), email: Some(self.email.clone()) }
    }
}

#[cfg(feature = "dynamodb")]
impl StaffMember {
    /// Resolves the caller's membership: one GetItem by `sub`. No membership (a customer
    /// token, a removed staff member) is 403; so is a member of a suspended company
    /// (`company-suspended`, read from the same item).
    pub async fn resolve(store: &crate::store::Store, req: &Request) -> Result<Self, ApiError> {
        let caller = Caller::from_request(req)?;
        let member = store
            .staff_member(&caller.sub)
            .await?
            .ok_or_else(|| ApiError::Forbidden("this account is not a staff member of any company".into()))?;
        crate::telemetry::record_tenant(member.tenant_id);
        member.require_serving()?;
        Ok(member)
    }
}

/// A signed-in customer and the companies whose portal they may use right now: the
/// contacts their account is linked to whose access is `active`. Read on every request,
/// so closing an access takes effect on the very next one.
#[cfg(feature = "dynamodb")]
#[derive(Debug, Clone)]
pub struct Customer {
    pub sub: UserSub,
    pub companies: Vec<Company>,
    /// Companies the customer has active access to that the operator suspended: left out of
    /// `companies` (and so of every cross-company list), and refused by name
    /// (`company-suspended`) on the routes of that company.
    pub suspended: Vec<TenantId>,
}

/// One company a customer has active access to, as the contact they are there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub tenant: crate::model::Tenant,
    pub contact: crate::model::Contact,
}

#[cfg(feature = "dynamodb")]
impl Customer {
    /// Resolves the caller from a customer-pool token: their links (one Query), then the
    /// linked companies and contacts (one BatchGetItem). Only active access counts.
    pub async fn resolve(store: &crate::store::Store, req: &Request) -> Result<Self, ApiError> {
        let caller = Caller::from_request(req)?;
        let links = store.customer_links(&caller.sub).await?;
        let (mut companies, mut suspended) = (Vec::new(), Vec::new());
        if !links.is_empty() {
            for (tenant, contact) in store.linked(&links).await? {
                let active = contact.access_status == crate::domain::AccessStatus::Active
                    && contact.customer_sub.as_ref() == Some(&caller.sub);
                if active && tenant.status.is_stopped() {
                    suspended.push(tenant.id);
                } else if active {
                    companies.push(Company { tenant, contact });
                }
            }
        }
        companies.sort_by(|a, b| a.tenant.name.cmp(&b.tenant.name));
        Ok(Self { sub: caller.sub, companies, suspended })
    }

    /// The company `tenant`, if this customer has active access to it (403 otherwise: a
    /// closed access refuses at once, and a stranger's company looks the same). A company
    /// the operator suspended is a 403 `company-suspended`, told only to its own customers.
    pub fn company(&self, tenant: TenantId) -> Result<&Company, ApiError> {
        if self.suspended.contains(&tenant) {
            return Err(ApiError::CompanySuspended);
        }
        self.companies
            .iter()
            .find(|company| company.tenant.id == tenant)
            .inspect(|company| crate::telemetry::record_tenant(company.tenant.id))
            .ok_or_else(|| ApiError::Forbidden("you have no access to this company's portal".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(seen: Option<OffsetDateTime>) -> StaffMember {
        StaffMember {
            sub: "staff-1".parse().unwrap(),
            tenant_id: TenantId::new(),
            email: "a@staff.example".parse().unwrap(),
            name: None,
            role: Role::Viewer,
            notify_submissions: None,
            submissions_seen_at: seen,
            company_status: crate::domain::TenantStatus::Active,
        }
    }

    #[test]
    fn the_seen_marker_moves_forward_only_and_never_into_the_future() {
        let now = OffsetDateTime::from_unix_timestamp(1_750_000_000).unwrap();
        let seen = |at| StaffChoices { submissions_seen_at: Some(at), ..StaffChoices::default() };
        let earlier = now - Duration::hours(1);
        assert_eq!(seen(earlier).for_member(&member(None), now).unwrap().submissions_seen_at, Some(earlier));
        let kept = seen(earlier).for_member(&member(Some(now)), now).unwrap();
        assert!(kept.is_empty(), "{kept:?}");
        assert!(seen(now + Duration::minutes(4)).for_member(&member(Some(earlier)), now).is_ok());
        assert!(matches!(seen(now + Duration::hours(1)).for_member(&member(None), now), Err(ApiError::Invalid(_))));
        assert!(matches!(StaffChoices::default().for_member(&member(None), now), Err(ApiError::Invalid(_))));
        let named = StaffChoices { name: Some("Ana Lopez".parse().unwrap()), ..StaffChoices::default() };
        assert!(!named.for_member(&member(None), now).unwrap().is_empty());
    }

    #[test]
    fn the_sub_of_an_issued_token_is_read_from_its_payload() {
        use base64::Engine;
        let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let token = format!("{}.{}.sig", encode(r#"{"alg":"RS256"}"#), encode(r#"{"sub":"abc-123","x":1}"#));
        assert_eq!(issued_token_sub(&token).map(|s| s.to_string()), Some("abc-123".into()));
        for bad in ["", "no-dots", "a.!!!.c", &format!("a.{}.c", encode(r#"{"nosub":1}"#))] {
            assert_eq!(issued_token_sub(bad), None, "{bad}");
        }
    }

    #[test]
    fn customers_see_a_name_never_the_email() {
        let company: DisplayName = "Acme Accounting".parse().unwrap();
        let mut staff = member(None);
        assert_eq!(staff.shown_to_customers(&company), company);
        staff.name = Some("Ana Lopez".parse().unwrap());
        assert_eq!(staff.shown_to_customers(&company).as_str(), "Ana Lopez");
    }
}

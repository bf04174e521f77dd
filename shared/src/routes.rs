//! The API's route table: one source of truth for the local gateway, the functions'
//! dispatch, `infra/template.yaml` and `docs/openapi.yaml` (tests keep the last two true).

/// Which JWT authorizer guards a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authorizer {
    /// No token (login, registration).
    Public,
    /// A token of the staff user pool.
    Staff,
    /// A token of the customer user pool.
    Customer,
}

impl Authorizer {
    /// The authorizer's name in the SAM template (`None` = no authorizer).
    pub fn template_name(self) -> Option<&'static str> {
        match self {
            Self::Public => None,
            Self::Staff => Some("StaffAuthorizer"),
            Self::Customer => Some("CustomerAuthorizer"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway path template, e.g. `/contacts/{contactId}`.
    pub path: &'static str,
    /// The function crate (`functions/<name>`) that serves it.
    pub function: &'static str,
    pub authorizer: Authorizer,
}

impl Route {
    /// API Gateway's `routeKey`, e.g. `GET /contacts/{contactId}`; functions dispatch on it.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

const fn route(method: &'static str, path: &'static str, function: &'static str, authorizer: Authorizer) -> Route {
    Route { method, path, function, authorizer }
}

use Authorizer::{Customer, Public, Staff};

pub const ROUTES: &[Route] = &[
    route("POST", "/auth/staff/login", "auth", Public),
    route("POST", "/auth/staff/refresh", "auth", Public),
    route("POST", "/auth/staff/new-password", "auth", Public),
    route("POST", "/auth/staff/logout", "auth", Staff),
    route("POST", "/auth/staff/forgot-password", "auth", Public),
    route("POST", "/auth/staff/reset-password", "auth", Public),
    route("POST", "/auth/customer/login", "auth", Public),
    route("POST", "/auth/customer/refresh", "auth", Public),
    route("POST", "/auth/customer/logout", "auth", Customer),
    route("POST", "/auth/customer/forgot-password", "auth", Public),
    route("POST", "/auth/customer/reset-password", "auth", Public),
    route("POST", "/registration", "registration", Public),
    route("POST", "/registration/confirm", "registration", Public),
    route("POST", "/registration/resend", "registration", Public),
    route("GET", "/signup", "registration", Public),
    route("GET", "/signup/slugs/{slug}", "registration", Public),
    route("POST", "/signup", "registration", Public),
    route("POST", "/signup/verify", "registration", Public),
    route("POST", "/signup/resend", "registration", Public),
    route("GET", "/portal/me", "customer", Customer),
    route("GET", "/portal/shares", "customer", Customer),
    route("GET", "/portal/companies/{tenantId}/documents/{documentId}/download", "customer", Customer),
    route("POST", "/portal/companies/{tenantId}/uploads", "customer", Customer),
    route("GET", "/portal/submissions", "customer", Customer),
    route("DELETE", "/portal/companies/{tenantId}/submissions/{documentId}", "customer", Customer),
    route("GET", "/portal/preferences", "customer", Customer),
    route("PUT", "/portal/preferences", "customer", Customer),
    route("GET", "/me", "contacts", Staff),
    route("PATCH", "/me", "contacts", Staff),
    route("POST", "/contacts", "contacts", Staff),
    route("GET", "/contacts", "contacts", Staff),
    route("GET", "/contacts/{contactId}", "contacts", Staff),
    route("PATCH", "/contacts/{contactId}", "contacts", Staff),
    route("DELETE", "/contacts/{contactId}", "contacts", Staff),
    route("GET", "/contacts/{contactId}/activity", "contacts", Staff),
    route("POST", "/organizations", "contacts", Staff),
    route("GET", "/organizations", "contacts", Staff),
    route("GET", "/organizations/{organizationId}", "contacts", Staff),
    route("PATCH", "/organizations/{organizationId}", "contacts", Staff),
    route("DELETE", "/organizations/{organizationId}", "contacts", Staff),
    route("GET", "/organizations/{organizationId}/contacts", "contacts", Staff),
    route("POST", "/contacts/{contactId}/access", "portal-access", Staff),
    route("DELETE", "/contacts/{contactId}/access", "portal-access", Staff),
    route("POST", "/organizations/{organizationId}/access", "portal-access", Staff),
    route("DELETE", "/organizations/{organizationId}/access", "portal-access", Staff),
    route("GET", "/documents", "documents", Staff),
    route("GET", "/documents/{documentId}", "documents", Staff),
    route("PATCH", "/documents/{documentId}", "documents", Staff),
    route("DELETE", "/documents/{documentId}", "documents", Staff),
    route("GET", "/documents/{documentId}/activity", "documents", Staff),
    route("GET", "/drive", "documents", Staff),
    route("POST", "/folders", "documents", Staff),
    route("GET", "/folders/{folderId}", "documents", Staff),
    route("PATCH", "/folders/{folderId}", "documents", Staff),
    route("DELETE", "/folders/{folderId}", "documents", Staff),
    route("GET", "/folders/{folderId}/items", "documents", Staff),
    route("GET", "/submissions", "documents", Staff),
    route("GET", "/contacts/{contactId}/submissions", "documents", Staff),
    route("POST", "/uploads", "transfers", Staff),
    route("GET", "/documents/{documentId}/download", "transfers", Staff),
    route("POST", "/shares", "sharing", Staff),
    route("GET", "/contacts/{contactId}/shares", "sharing", Staff),
    route("PUT", "/contacts/{contactId}/shares", "sharing", Staff),
    route("DELETE", "/contacts/{contactId}/shares/{itemId}", "sharing", Staff),
    route("GET", "/documents/{documentId}/shares", "sharing", Staff),
    route("GET", "/folders/{folderId}/shares", "sharing", Staff),
    route("DELETE", "/organizations/{organizationId}/shares/{itemId}", "sharing", Staff),
    route("GET", "/jobs/{jobId}", "sharing", Staff),
    route("GET", "/settings", "settings", Staff),
    route("PATCH", "/settings", "settings", Staff),
    route("POST", "/settings/logo", "settings", Staff),
    route("DELETE", "/settings/logo", "settings", Staff),
    route("GET", "/staff", "settings", Staff),
    route("POST", "/staff", "settings", Staff),
    route("PATCH", "/staff/{staffId}", "settings", Staff),
    route("DELETE", "/staff/{staffId}", "settings", Staff),
    route("POST", "/staff/{staffId}/password-reset", "settings", Staff),
    route("GET", "/branding/{slug}", "settings", Public),
    route("GET", "/branding/{slug}/logo", "settings", Public),
];

/// The route a request matches, with its path parameters.
pub fn match_route<'a>(method: &str, path: &'a str) -> Option<(&'static Route, Vec<(&'static str, &'a str)>)> {
    ROUTES
        .iter()
        .filter(|route| route.method == method)
        .find_map(|route| match_template(route.path, path).map(|params| (route, params)))
}

fn match_template<'a>(template: &'static str, path: &'a str) -> Option<Vec<(&'static str, &'a str)>> {
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return None;
                }
                params.push((&w[1..w.len() - 1], g));
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_with_parameters() {
        let (route, params) = match_route("GET", "/documents/abc/download").unwrap();
        assert_eq!(route.function, "transfers");
        assert_eq!(params, vec![("documentId", "abc")]);
        assert!(match_route("GET", "/documents//download").is_none());
        assert!(match_route("PUT", "/documents/abc").is_none());
        assert!(match_route("GET", "/nope").is_none());
    }

    #[test]
    fn route_keys_are_unique() {
        let mut keys: Vec<String> = ROUTES.iter().map(Route::key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), ROUTES.len());
    }
}

//! The HTTP API's JWT authorizer: a Cognito token verified against the pool's keys.

use std::collections::HashMap;

use anyhow::{Context, Result};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use xtask::provision::Pool;

/// Verifies Cognito tokens the way the HTTP API JWT authorizer does.
pub struct JwtAuthorizer {
    issuer: String,
    audience: String,
    keys: HashMap<String, DecodingKey>,
}

impl JwtAuthorizer {
    pub async fn fetch(pool: &Pool) -> Result<Self> {
        let jwks: JwkSet = reqwest::get(&pool.jwks_url).await?.error_for_status()?.json().await.context("JWKS")?;
        let mut keys = HashMap::new();
        for jwk in &jwks.keys {
            if let Some(kid) = &jwk.common.key_id {
                keys.insert(kid.clone(), DecodingKey::from_jwk(jwk)?);
            }
        }
        Ok(Self { issuer: pool.issuer.clone(), audience: pool.client_id.clone(), keys })
    }

    /// The token's claims if it is valid for this pool and app client.
    pub fn verify(&self, token: &str) -> Option<serde_json::Map<String, Value>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let key = self.keys.get(header.kid.as_deref()?)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_aud = false; // checked below: `aud` (ID token) or `client_id` (access token)
        validation.leeway = 0;
        let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, key, &validation).ok()?.claims;
        let audience_matches = match claims.get("aud") {
            Some(Value::String(aud)) => aud == &self.audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a == &Value::String(self.audience.clone())),
            _ => claims.get("client_id") == Some(&Value::String(self.audience.clone())),
        };
        audience_matches.then_some(claims)
    }
}

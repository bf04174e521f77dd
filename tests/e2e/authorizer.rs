//! The gateway's JWT authorizer and the functions' own checks: every kind of bad token is
//! a 401 problem, and sign-in failures never tell whether an email exists.

use portal_tests::{anonymous, assert_problem, env, forge, tenant_fixture};
use serde_json::{Value, json};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Claims shaped like a Cognito access token of the staff pool for `sub`.
fn access_claims(sub: &str) -> Value {
    let pool = &env().stack.staff_pool;
    json!({
        "iss": pool.issuer, "sub": sub, "client_id": pool.client_id, "token_use": "access",
        "iat": now(), "exp": now() + 600, "scope": "aws.cognito.signin.user.admin", "username": sub,
    })
}

#[tokio::test]
async fn requests_without_a_valid_token_are_401() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let sub = t.member_account.member.sub.to_string();

    // Control: a token forged with the emulator's key and the right claims is accepted,
    // so each refusal below is down to the one claim that differs.
    let good = forge::sign(&access_claims(&sub))?;
    anonymous().with_token(&good).get("/contacts").await?.expect(200)?;

    let mut bad_tokens = vec![("none".to_owned(), None), ("garbage".to_owned(), Some("not.a.jwt".to_owned()))];
    for (what, patch) in [
        ("expired", json!({ "exp": now() - 5, "iat": now() - 700 })),
        (
            "other issuer",
            json!({ "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{}", env().stack.customer_pool.id) }),
        ),
        ("other client", json!({ "client_id": env().stack.customer_pool.client_id })),
        ("id token", json!({ "token_use": "id", "aud": env().stack.staff_pool.client_id })),
        ("no sub", json!({ "sub": null })),
    ] {
        let mut claims = access_claims(&sub);
        for (name, value) in patch.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        bad_tokens.push((what.to_owned(), Some(forge::sign(&claims)?)));
    }
    // Tampered: the payload of another user with the good token's signature.
    let parts: Vec<&str> = good.split('.').collect();
    let other_payload = forge::sign(&access_claims("someone-else"))?.split('.').nth(1).unwrap().to_owned();
    bad_tokens.push(("tampered".into(), Some(format!("{}.{}.{}", parts[0], other_payload, parts[2]))));
    // Unsigned (`alg: none`).
    bad_tokens.push(("alg none".into(), Some(format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]))));
    // HS256 keyed with the pool's public JWKS document (algorithm confusion).
    let jwks = reqwest::get(&env().stack.staff_pool.jwks_url).await?.bytes().await?;
    bad_tokens.push(("alg HS256".into(), Some(forge::sign_hs256(&access_claims(&sub), &jwks)?)));

    for (what, token) in bad_tokens {
        let client = match &token {
            Some(token) => anonymous().with_token(token),
            None => anonymous(),
        };
        for path in ["/contacts", "/documents"] {
            let response = client.get(path).await?;
            assert_eq!(response.status, 401, "{what} on {path}: {}", response.json);
            assert_problem(&response, 401);
        }
        let write = client.post("/contacts", json!({ "email": "x@y.example", "name": "X" })).await?;
        assert_problem(&write, 401);
    }
    assert_eq!(t.member.get("/contacts").await?.expect(200)?["items"], json!([]), "a refused request wrote");
    Ok(())
}

#[tokio::test]
async fn a_valid_token_without_staff_membership_is_403() -> anyhow::Result<()> {
    let token = forge::sign(&access_claims("00000000-0000-4000-8000-000000000000"))?;
    let response = anonymous().with_token(&token).get("/contacts").await?;
    assert_problem(&response, 403);
    Ok(())
}

#[tokio::test]
async fn sign_in_failures_look_the_same_whether_or_not_the_email_exists() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let known = t.member_account.member.email.to_string();
    let wrong_password =
        anonymous().post("/auth/staff/login", json!({ "email": known, "password": "Wrong-Passw0rd!" })).await?;
    let unknown_email = anonymous()
        .post("/auth/staff/login", json!({ "email": "nobody-here@nowhere.example", "password": "Wrong-Passw0rd!" }))
        .await?;
    assert_problem(&wrong_password, 401);
    assert_eq!(wrong_password.status, unknown_email.status);
    assert_eq!(wrong_password.json, unknown_email.json);
    Ok(())
}

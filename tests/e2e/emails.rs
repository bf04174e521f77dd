//! Email addresses with the characters RFC 5322 allows in a local part (`/ ! # $ & ' * =`
//! and the rest of `atext`) through every route whose input reaches Cognito or SES: staff
//! invitations and their first sign-in, contacts, portal invitations, registration,
//! confirmation, resending, sign-in, forgotten and reset passwords. Each is accepted (AWS
//! takes them; the local emulator is patched to, see `docs/local-stack.md`), and an address
//! Cognito truly refuses (longer than its 128-character username) is a 422 naming `email`:
//! never a 5xx.

use portal_tests::{
    CUSTOMER_PASSWORD, PASSWORD, anonymous, assert_problem, emails_to, invitation_token, registered_customer,
    tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::json;

/// The local-part characters the issue found refused, each alone in an address, then every
/// `atext` special at once.
fn special_addresses(domain: &str) -> Vec<String> {
    let mut addresses: Vec<String> =
        "/!#$&'*=".chars().map(|c| format!("{}{c}x@{domain}", unique("s").replace('-', "."))).collect();
    addresses.push(format!("{}.!#$%&'*+-/=?^_`{{|}}~@{domain}", unique("all")));
    addresses
}

/// A valid address (`Email` takes 254 characters) that Cognito will not take as a username
/// (at most 128): 60 + 1 + 60 + 1 + 60 + 8 characters.
fn too_long_for_cognito() -> String {
    let local = format!("{}{}", unique("l").replace('-', "."), "l".repeat(46));
    format!("{local}@{}.{}.example", "d".repeat(60), "e".repeat(60))
}

#[tokio::test]
async fn staff_with_special_character_addresses_are_invited_and_sign_in() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let addresses = special_addresses("staff.example");
    for email in &addresses {
        let invited = t.admin.post("/staff", json!({ "email": email, "role": "viewer" })).await?.expect(201)?;
        assert_eq!(invited["email"], email.as_str());
        assert!(invited.get("name").is_none(), "{invited}");
    }
    // A name given at the invitation (how customers will see the member), cleaned like any.
    let named = format!("{}&o'neil@staff.example", unique("n"));
    let body = json!({ "email": named, "role": "member", "name": "Zoé\u{200B} O'Neil" });
    assert_eq!(t.admin.post("/staff", body).await?.expect(201)?["name"], "Zoé O'Neil");
    let body = json!({ "email": format!("{}@staff.example", unique("n")), "role": "member", "name": "\u{202E}" });
    assert_problem(&t.admin.post("/staff", body).await?, 422);
    let listed = t.admin.get("/staff?limit=100").await?.expect(200)?;
    for email in &addresses {
        assert!(listed["items"].as_array().unwrap().iter().any(|m| m["email"] == email.as_str()), "{email}: {listed}");
    }

    // The first sign-in's new-password step, then a normal sign-in, with every special at once.
    let email = addresses.last().unwrap();
    let challenge = portal_tests::staff_new_password_challenge(email).await?;
    let body = json!({ "email": email, "session": challenge["session"], "newPassword": PASSWORD });
    let tokens = anonymous().post("/auth/staff/new-password", body).await?.expect(200)?;
    let me = anonymous().with_token(tokens["accessToken"].as_str().unwrap()).get("/me").await?.expect(200)?;
    assert_eq!(me["email"], email.as_str());
    anonymous().post("/auth/staff/login", json!({ "email": email, "password": PASSWORD })).await?.expect(200)?;
    Ok(())
}

#[tokio::test]
async fn a_customer_with_special_characters_in_their_address_is_invited_registers_and_signs_in() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    // Contacts take every such address, at creation and as a change.
    for email in special_addresses("contact.example") {
        let contact = t.member.post("/contacts", json!({ "email": email, "name": "Special" })).await?.expect(201)?;
        assert_eq!(contact["email"], email.as_str());
        let id = contact["id"].as_str().unwrap();
        let changed = format!("{}'=/x@contact.example", unique("c").replace('-', "."));
        let patched =
            t.member.send(Method::PATCH, &format!("/contacts/{id}"), Some(json!({ "email": changed }))).await?;
        assert_eq!(patched.expect(200)?["email"], changed.as_str());
    }

    // The whole road: contact, open access (the invitation email), registration from the
    // emailed link, confirmation, sign-in.
    let email = special_addresses("customer.example").pop().unwrap();
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let me = customer.get("/portal/me").await?.expect(200)?;
    assert_eq!(me["companies"][0]["tenantId"], t.tenant.id.to_string(), "{me}");
    let contact = t.member.get(&format!("/contacts/{contact_id}")).await?.expect(200)?;
    assert_eq!(contact["accessStatus"], "active", "{contact}");
    assert_eq!(emails_to(&email).await?.len(), 1, "one invitation email");

    // Resend, forgot and reset, and a sign-in with the new password.
    anonymous().post("/registration/resend", json!({ "email": email })).await?.expect(202)?;
    anonymous().post("/auth/customer/forgot-password", json!({ "email": email })).await?.expect(202)?;
    let new_password = "Another-Passw0rd!1";
    let reset = json!({ "email": email, "code": "123456", "newPassword": new_password });
    anonymous().send(Method::POST, "/auth/customer/reset-password", Some(reset)).await?.expect(204)?;
    anonymous().post("/auth/customer/login", json!({ "email": email, "password": new_password })).await?.expect(200)?;
    let old = json!({ "email": email, "password": CUSTOMER_PASSWORD });
    assert_problem(&anonymous().post("/auth/customer/login", old).await?, 401);

    // Closing the access signs the account out (Cognito named by this address); reopening
    // activates it again at once.
    let access = format!("/contacts/{contact_id}/access");
    t.member.send(Method::DELETE, &access, None).await?.expect(200)?;
    t.member.send(Method::POST, &access, None).await?.expect(200)?;
    assert_eq!(t.member.get(&format!("/contacts/{contact_id}")).await?.expect(200)?["accessStatus"], "active");
    Ok(())
}

#[tokio::test]
async fn an_address_cognito_will_not_take_is_a_422_naming_the_field_never_a_5xx() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = too_long_for_cognito();
    assert!(email.len() > 128 && email.len() <= 254, "{}", email.len());
    let refused_email = |response: &portal_tests::ApiResponse| {
        assert_problem(response, 422);
        let detail = response.json["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with("email: "), "{detail}");
        assert!(!detail.contains("validation error") && !detail.contains("constraint"), "Cognito's words: {detail}");
    };

    // A staff invitation: refused, and no membership written.
    refused_email(&t.admin.post("/staff", json!({ "email": email, "role": "viewer" })).await?);
    assert_eq!(t.admin.get("/staff").await?.expect(200)?["items"].as_array().unwrap().len(), 3);

    // A contact takes it (it is an address) and gets the invitation email; registering with
    // the link is refused for the address, and the link stays unused.
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Long" })).await?.expect(201)?;
    let id = contact["id"].as_str().unwrap();
    t.member.send(Method::POST, &format!("/contacts/{id}/access"), None).await?.expect(200)?;
    let token = invitation_token(&email).await?;
    let register = json!({ "token": token, "password": CUSTOMER_PASSWORD });
    refused_email(&anonymous().post("/registration", register.clone()).await?);
    refused_email(&anonymous().post("/registration", register).await?);
    assert_eq!(t.member.get(&format!("/contacts/{id}")).await?.expect(200)?["accessStatus"], "pending");

    // The public routes: the form is refused or no account is found; never a 5xx.
    refused_email(&anonymous().post("/registration/confirm", json!({ "email": email, "code": "123456" })).await?);
    anonymous().post("/registration/resend", json!({ "email": email })).await?.expect(202)?;
    anonymous().post("/auth/customer/forgot-password", json!({ "email": email })).await?.expect(202)?;
    let reset = json!({ "email": email, "code": "123456", "newPassword": "Another-Passw0rd!1" });
    refused_email(&anonymous().send(Method::POST, "/auth/customer/reset-password", Some(reset)).await?);
    // (InitiateAuth takes the name inside AuthParameters, outside the Username constraint:
    // moto finds no account, 401; AWS may refuse the form, 422.)
    for path in ["/auth/customer/login", "/auth/staff/login"] {
        let response = anonymous().post(path, json!({ "email": email, "password": CUSTOMER_PASSWORD })).await?;
        assert!(matches!(response.status, 401 | 422), "{path}: {} {}", response.status, response.json);
        assert_problem(&response, response.status);
    }
    let new_password = json!({ "email": email, "session": "s".repeat(20), "newPassword": PASSWORD });
    let response = anonymous().post("/auth/staff/new-password", new_password).await?;
    assert!(matches!(response.status, 401 | 422), "{} {}", response.status, response.json);

    // Closing the access and deleting the contact sign out an account that cannot exist.
    t.member.send(Method::DELETE, &format!("/contacts/{id}/access"), None).await?.expect(200)?;
    t.member.send(Method::DELETE, &format!("/contacts/{id}"), None).await?.expect(204)?;
    Ok(())
}

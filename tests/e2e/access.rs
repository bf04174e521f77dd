//! The portal-access lifecycle: open → pending with an invitation queued, close → closed
//! (and the customer signed out everywhere), reopen; per contact and per organization.

use aws_sdk_dynamodb::types::AttributeValue;
use portal_shared::domain::{AccessStatus, ContactId};
use portal_tests::{assert_problem, env, sdk, tenant_fixture};
use reqwest::Method;
use serde_json::{Value, json};

fn status(contact: &Value) -> &str {
    contact["accessStatus"].as_str().unwrap()
}

#[tokio::test]
async fn a_contacts_access_opens_closes_and_reopens() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let contact =
        t.member.post("/contacts", json!({ "email": "ana@client.example", "name": "Ana" })).await?.expect(201)?;
    let id = contact["id"].as_str().unwrap();
    let access = format!("/contacts/{id}/access");
    let contact_id: ContactId = id.parse()?;

    assert_problem(&t.member.send(Method::DELETE, &access, None).await?, 409);
    assert!(t.store.invitation_request(t.tenant.id, contact_id).await?.is_none());

    let opened = t.member.send(Method::POST, &access, None).await?.expect(200)?;
    assert_eq!(status(&opened), "pending");
    assert!(opened["accessChangedAt"].is_string());
    let invitation = t.store.invitation_request(t.tenant.id, contact_id).await?.expect("an invitation is queued");
    assert_eq!(invitation.email.as_str(), "ana@client.example");
    assert_eq!(invitation.requested_by, t.member_account.member.sub);
    // The contact list shows the status.
    let listed = t.viewer.get("/contacts").await?.expect(200)?;
    assert_eq!(status(&listed["items"][0]), "pending");

    let closed = t.admin.send(Method::DELETE, &access, None).await?.expect(200)?;
    assert_eq!(status(&closed), "closed");
    let again = t.admin.send(Method::DELETE, &access, None).await?.expect(200)?;
    assert_eq!(status(&again), "closed", "closing twice is harmless");

    let reopened = t.member.send(Method::POST, &access, None).await?.expect(200)?;
    assert_eq!(status(&reopened), "pending");
    let second = t.store.invitation_request(t.tenant.id, contact_id).await?.unwrap();
    assert!(second.requested_at > invitation.requested_at, "reopening queues a new invitation");

    // A viewer can do neither, and nothing changes.
    assert_problem(&t.viewer.send(Method::DELETE, &access, None).await?, 403);
    assert_problem(&t.viewer.send(Method::POST, &access, None).await?, 403);
    assert_eq!(status(&t.viewer.get(&format!("/contacts/{id}")).await?.expect(200)?), "pending");
    Ok(())
}

#[tokio::test]
async fn an_organizations_access_opens_and_closes_for_every_member() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let org = t.member.post("/organizations", json!({ "name": "Acme" })).await?.expect(201)?;
    let org_id = org["id"].as_str().unwrap();
    for (email, in_org) in [("a@acme.example", true), ("b@acme.example", true), ("c@else.example", false)] {
        let mut body = json!({ "email": email, "name": email });
        if in_org {
            body["organizationId"] = json!(org_id);
        }
        t.member.post("/contacts", body).await?.expect(201)?;
    }
    let opened = t.member.send(Method::POST, &format!("/organizations/{org_id}/access"), None).await?.expect(200)?;
    let statuses: Vec<&str> = opened["contacts"].as_array().unwrap().iter().map(status).collect();
    assert_eq!(statuses, vec!["pending", "pending"]);
    let all = t.viewer.get("/contacts").await?.expect(200)?;
    for contact in all["items"].as_array().unwrap() {
        let expected = if contact["organizationId"] == org_id { "pending" } else { "none" };
        assert_eq!(status(contact), expected, "{contact}");
    }
    let closed = t.admin.send(Method::DELETE, &format!("/organizations/{org_id}/access"), None).await?.expect(200)?;
    let statuses: Vec<&str> = closed["contacts"].as_array().unwrap().iter().map(status).collect();
    assert_eq!(statuses, vec!["closed", "closed"]);
    // Another tenant's organization is not found.
    let other = tenant_fixture().await?;
    assert_problem(&other.member.send(Method::POST, &format!("/organizations/{org_id}/access"), None).await?, 404);
    Ok(())
}

#[tokio::test]
async fn closing_signs_a_registered_customer_out_and_reopening_restores_access_at_once() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", portal_tests::unique("c"));
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Reg" })).await?.expect(201)?;
    let id = contact["id"].as_str().unwrap();

    // A customer account, registered and linked as registration will do it (issue 4).
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await);
    let pool = &env().stack.customer_pool;
    let created = cognito
        .admin_create_user()
        .user_pool_id(&pool.id)
        .username(&email)
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await?;
    let sub = created.user.unwrap().attributes.unwrap().into_iter().find(|a| a.name == "sub").unwrap().value.unwrap();
    let password = "Customer-Passw0rd!";
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool.id)
        .username(&email)
        .password(password)
        .permanent(true)
        .send()
        .await?;
    aws_sdk_dynamodb::Client::new(&sdk().await)
        .update_item()
        .table_name(&env().stack.table)
        .key("PK", AttributeValue::S(format!("TENANT#{}", t.tenant.id)))
        .key("SK", AttributeValue::S(format!("CONTACT#{id}")))
        .update_expression("SET customerSub = :sub, accessStatus = :active")
        .expression_attribute_values(":sub", AttributeValue::S(sub.clone()))
        .expression_attribute_values(":active", AttributeValue::S("active".into()))
        .send()
        .await?;
    let tokens = cognito
        .initiate_auth()
        .client_id(&pool.client_id)
        .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await?;
    let refresh = tokens.authentication_result.unwrap().refresh_token.unwrap();
    let refresh_works = || async {
        cognito
            .initiate_auth()
            .client_id(&pool.client_id)
            .auth_flow(aws_sdk_cognitoidentityprovider::types::AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", &refresh)
            .send()
            .await
            .is_ok()
    };
    assert!(refresh_works().await, "control: the refresh token works before access closes");

    // The account's email is the customer's to keep.
    let moved = t
        .member
        .send(Method::PATCH, &format!("/contacts/{id}"), Some(json!({ "email": "other@customer.example" })))
        .await?;
    assert_problem(&moved, 409);

    let closed = t.member.send(Method::DELETE, &format!("/contacts/{id}/access"), None).await?.expect(200)?;
    assert_eq!(status(&closed), "closed");
    assert!(!refresh_works().await, "closing access signs the customer out everywhere");

    let reopened = t.member.send(Method::POST, &format!("/contacts/{id}/access"), None).await?.expect(200)?;
    assert_eq!(status(&reopened), "active", "a registered customer needs no new invitation");
    assert_eq!(t.store.contact(t.tenant.id, id.parse()?).await?.unwrap().access_status, AccessStatus::Active);
    assert!(t.store.invitation_request(t.tenant.id, id.parse()?).await?.is_none());
    Ok(())
}

//! Staff management by admins: invite (Cognito account + membership), the first sign-in's
//! new-password step, role changes effective on the next request, removal, and the rules
//! that keep a company manageable (an admin always remains, nobody removes themselves).

use portal_tests::{PASSWORD, anonymous, assert_problem, tenant_fixture};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_admin_invites_a_colleague_who_sets_a_password_and_gets_their_role() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@staff.example", portal_tests::unique("new"));
    let invited = t.admin.post("/staff", json!({ "email": email, "role": "viewer" })).await?.expect(201)?;
    assert_eq!(invited["role"], "viewer");
    assert_eq!(invited["email"], email.as_str());
    let sub = invited["sub"].as_str().unwrap().to_owned();
    let listed = t.viewer.get("/staff").await?.expect(200)?;
    assert!(listed["items"].as_array().unwrap().iter().any(|m| m["sub"] == sub.as_str()), "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);

    // Inviting the same email again is a conflict.
    assert_problem(&t.admin.post("/staff", json!({ "email": email, "role": "member" })).await?, 409);

    // Cognito emailed a temporary password; the test sets a known one the same way.
    let challenge = portal_tests::staff_new_password_challenge(&email).await?;
    assert!(challenge.get("accessToken").is_none());
    let session = challenge["session"].as_str().unwrap();

    for (body, status) in [
        (json!({ "email": email, "session": session, "newPassword": "short" }), 422),
        (json!({ "email": email, "session": "forged-session", "newPassword": PASSWORD }), 401),
        (json!({ "email": email, "session": session }), 422),
        (json!({ "email": "nope", "session": session, "newPassword": PASSWORD }), 422),
    ] {
        assert_problem(&anonymous().post("/auth/staff/new-password", body).await?, status);
    }
    let tokens = anonymous()
        .post("/auth/staff/new-password", json!({ "email": email, "session": session, "newPassword": PASSWORD }))
        .await?
        .expect(200)?;
    let colleague = anonymous().with_token(tokens["accessToken"].as_str().unwrap());
    let me = colleague.get("/me").await?.expect(200)?;
    assert_eq!(me["role"], "viewer");
    assert_eq!(me["tenant"]["id"], t.tenant.id.to_string());

    // A viewer cannot write; promoted to member, the very next request can.
    let contact = json!({ "email": "c@client.example", "name": "C" });
    assert_problem(&colleague.post("/contacts", contact.clone()).await?, 403);
    let promoted =
        t.admin.send(Method::PATCH, &format!("/staff/{sub}"), Some(json!({ "role": "member" }))).await?.expect(200)?;
    assert_eq!(promoted["role"], "member");
    colleague.post("/contacts", contact).await?.expect(201)?;
    // Members do not manage staff.
    let invite = json!({ "email": "y@staff.example", "role": "admin" });
    assert_problem(&colleague.post("/staff", invite).await?, 403);

    // Removed, the same token is refused at once, and the account is gone.
    t.admin.send(Method::DELETE, &format!("/staff/{sub}"), None).await?.expect(204)?;
    assert_problem(&colleague.get("/me").await?, 403);
    assert_problem(&anonymous().post("/auth/staff/login", json!({ "email": email, "password": PASSWORD })).await?, 401);
    assert_problem(&t.admin.send(Method::DELETE, &format!("/staff/{sub}"), None).await?, 404);
    Ok(())
}

#[tokio::test]
async fn a_company_keeps_an_admin_and_staff_of_others_are_out_of_reach() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let me = t.admin.get("/me").await?.expect(200)?;
    let admin_sub = me["sub"].as_str().unwrap().to_owned();

    // The only admin cannot be demoted or remove themselves.
    let demote = t.admin.send(Method::PATCH, &format!("/staff/{admin_sub}"), Some(json!({ "role": "member" }))).await?;
    assert_problem(&demote, 409);
    assert_problem(&t.admin.send(Method::DELETE, &format!("/staff/{admin_sub}"), None).await?, 409);
    // With a second admin, the first can be demoted.
    let member_sub = t.member_account.member.sub.to_string();
    t.admin
        .send(Method::PATCH, &format!("/staff/{member_sub}"), Some(json!({ "role": "admin" })))
        .await?
        .expect(200)?;
    t.member
        .send(Method::PATCH, &format!("/staff/{admin_sub}"), Some(json!({ "role": "viewer" })))
        .await?
        .expect(200)?;
    // Demoted, the former admin's next request is a viewer's.
    let invite = json!({ "email": "z@staff.example", "role": "viewer" });
    assert_problem(&t.admin.post("/staff", invite).await?, 403);

    // Another tenant's staff member: 404 for every staff route, nothing changed.
    let foreign = other.member_account.member.sub.to_string();
    for (method, body) in [(Method::PATCH, Some(json!({ "role": "admin" }))), (Method::DELETE, None)] {
        assert_problem(&t.member.send(method, &format!("/staff/{foreign}"), body).await?, 404);
    }
    assert_eq!(other.member.get("/me").await?.expect(200)?["role"], "member");

    // Bad input.
    for (body, status) in [
        (json!({ "email": "x@staff.example", "role": "owner" }), 422),
        (json!({ "email": "not-an-email", "role": "viewer" }), 422),
        (json!({ "email": "x@staff.example" }), 422),
        (json!({ "email": "x@staff.example", "role": "viewer", "tenantId": other.tenant.id }), 422),
    ] {
        assert_problem(&t.member.post("/staff", body).await?, status);
    }
    assert_problem(&t.member.send(Method::PATCH, "/staff/..%2F..%2Fx", Some(json!({ "role": "admin" }))).await?, 400);
    assert_eq!(t.admin.get("/staff").await?.expect(200)?["items"].as_array().unwrap().len(), 3);
    Ok(())
}

#[tokio::test]
async fn each_staff_member_keeps_their_own_submissions_seen_marker_which_only_moves_forward() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let other = tenant_fixture().await?;
    let me = t.viewer.get("/me").await?.expect(200)?;
    assert!(me.get("submissionsSeenAt").is_none(), "never seen: {me}");

    // Any role may set its own marker (a viewer too); the answer is `GET /me`'s.
    let seen = "2025-03-01T10:00:00Z";
    let me = t.viewer.send(Method::PATCH, "/me", Some(json!({ "submissionsSeenAt": seen }))).await?.expect(200)?;
    assert_eq!(me["submissionsSeenAt"], seen, "{me}");
    assert_eq!(me["tenant"]["id"], t.tenant.id.to_string());
    assert_eq!(t.viewer.get("/me").await?.expect(200)?["submissionsSeenAt"], seen);

    // It never moves back, and the other choice is left as it is.
    let me = t
        .viewer
        .send(
            Method::PATCH,
            "/me",
            Some(json!({ "submissionsSeenAt": "2025-02-01T00:00:00Z", "notifySubmissions": false })),
        )
        .await?
        .expect(200)?;
    assert_eq!(me["submissionsSeenAt"], seen, "{me}");
    assert_eq!(me["notifySubmissions"], false);
    let later = "2025-03-02T08:30:00Z";
    let me = t.viewer.send(Method::PATCH, "/me", Some(json!({ "submissionsSeenAt": later }))).await?.expect(200)?;
    assert_eq!(me["submissionsSeenAt"], later);
    assert_eq!(me["notifySubmissions"], false, "untouched: {me}");

    // The marker is the caller's own: colleagues and other companies are unaffected.
    assert!(t.admin.get("/me").await?.expect(200)?.get("submissionsSeenAt").is_none());
    assert!(other.viewer.get("/me").await?.expect(200)?.get("submissionsSeenAt").is_none());

    // Bad input: nothing to change, the future, not a timestamp, an unknown field.
    for body in [
        json!({}),
        json!({ "submissionsSeenAt": "2999-01-01T00:00:00Z" }),
        json!({ "submissionsSeenAt": "yesterday" }),
        json!({ "submissionsSeenAt": seen, "role": "admin" }),
    ] {
        assert_problem(&t.viewer.send(Method::PATCH, "/me", Some(body)).await?, 422);
    }
    assert_problem(&anonymous().send(Method::PATCH, "/me", Some(json!({ "submissionsSeenAt": seen }))).await?, 401);
    assert_eq!(t.viewer.get("/me").await?.expect(200)?["submissionsSeenAt"], later);
    Ok(())
}

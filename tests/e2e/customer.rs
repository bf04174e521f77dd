//! The customer side, end to end: share → invitation email with its link → register →
//! confirm → sign in → the shared file is in the personal space → download gives the same
//! bytes; folders shared with what is added later; upload back; preferences; a second
//! company linking the same account; closing access and expiry taking effect at once.

use std::time::Duration;

use portal_tests::{
    CUSTOMER_PASSWORD, anonymous, assert_problem, customer_login, customer_with_a_shared_document, emails_to,
    eventually, invitation_token, put_presigned, registered_customer, shares_when, tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::{Value, json};

fn names(page: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|i| i["document"]["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn share_invite_register_confirm_login_see_and_download() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("c"));
    let bytes = b"%PDF-1.4 the payslip".to_vec();
    let doc = t.member.upload("Payslip.pdf", "application/pdf", &bytes).await?;
    let doc_id = doc["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&doc_id, Duration::from_secs(30)).await?;
    let folder = t.member.post("/folders", json!({ "name": "Tax" })).await?.expect(201)?;
    let folder_id = folder["id"].as_str().unwrap().to_owned();
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "Chloé" })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap().to_owned();

    // Sharing opens the access and emails the invitation with its link.
    let shared = t
        .member
        .post(
            "/shares",
            json!({
                "items": [{ "kind": "document", "id": doc_id }, { "kind": "folder", "id": folder_id }],
                "contactIds": [contact_id],
            }),
        )
        .await?
        .expect(200)?;
    assert_eq!(shared["contacts"][0]["accessStatus"], "pending");
    let emails = emails_to(&email).await?;
    assert_eq!(emails.len(), 1);
    let invitation = &emails[0];
    assert!(invitation["subject"].as_str().unwrap().contains(&t.tenant.name.to_string()), "{invitation}");
    assert!(invitation["source"].as_str().unwrap().contains("no-reply@portal.example.com"));
    let body = invitation["body"].as_str().unwrap();
    assert!(body.contains(&format!("/p/{}/register?token=", t.tenant.slug)), "{body}");
    assert!(body.contains("Chloé"));
    let token = invitation_token(&email).await?;

    // Register: Cognito's password policy is enforced and reported.
    let weak = anonymous().post("/registration", json!({ "token": token, "password": "short" })).await?;
    assert_problem(&weak, 422);
    assert!(weak.json["detail"].as_str().unwrap().starts_with("password:"), "{}", weak.json);
    let registered = anonymous()
        .post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD }))
        .await?
        .expect(202)?;
    assert_eq!(registered["status"], "confirmationRequired");
    assert_eq!(registered["email"], email.as_str());
    // The link works once.
    assert_problem(
        &anonymous().post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?,
        409,
    );
    // Not confirmed yet: still pending, and signing in is refused.
    assert_eq!(t.viewer.get(&format!("/contacts/{contact_id}")).await?.expect(200)?["accessStatus"], "pending");
    assert_problem(
        &anonymous().post("/auth/customer/login", json!({ "email": email, "password": CUSTOMER_PASSWORD })).await?,
        401,
    );
    anonymous().post("/registration/resend", json!({ "email": email })).await?.expect(202)?;
    let confirmed =
        anonymous().post("/registration/confirm", json!({ "email": email, "code": "123456" })).await?.expect(200)?;
    assert_eq!(confirmed["status"], "active");
    let contact = t.viewer.get(&format!("/contacts/{contact_id}")).await?.expect(200)?;
    assert_eq!(contact["accessStatus"], "active");
    assert!(contact["customerSub"].is_string());

    let customer = customer_login(&email).await?;
    let me = customer.get("/portal/me").await?.expect(200)?;
    assert_eq!(me["companies"][0]["tenantId"], t.tenant.id.to_string());
    assert_eq!(me["companies"][0]["name"], t.tenant.name.to_string());

    // The shared document is there; the shared folder shows what is added to it later.
    // (The listing is the view index, maintained from the table's stream: a new share
    // shows within the stream's delay.)
    let space = shares_when(&customer, "/portal/shares", |page| names(page) == ["Payslip.pdf"]).await?;
    let item = &space["items"][0];
    assert_eq!(item["company"]["name"], t.tenant.name.to_string());
    // The member has no name: the company's shows, never the member's email.
    assert_eq!(item["sharedBy"], t.tenant.name.to_string());
    assert!(item["sharedAt"].is_string());
    let ticket = t
        .member
        .post(
            "/uploads",
            json!({ "fileName": "Return 2026.txt", "contentType": "text/plain", "size": 3, "folderId": folder_id }),
        )
        .await?
        .expect(201)?;
    put_presigned(&ticket["upload"], b"tax".to_vec()).await?;
    t.member.wait_settled(ticket["document"]["id"].as_str().unwrap(), Duration::from_secs(30)).await?;
    shares_when(&customer, "/portal/shares", |page| names(page) == ["Payslip.pdf", "Return 2026.txt"]).await?;
    let in_folder = customer.get(&format!("/portal/shares?folder={folder_id}")).await?.expect(200)?;
    assert_eq!(names(&in_folder), ["Return 2026.txt"]);
    assert_eq!(in_folder["items"][0]["folder"]["name"], "Tax");
    let pdfs = customer.get("/portal/shares?type=application/pdf&sort=name&q=pay").await?.expect(200)?;
    assert_eq!(names(&pdfs), ["Payslip.pdf"]);

    // Download the original: same bytes, original name, as an attachment; in the trail.
    let tenant_id = t.tenant.id.to_string();
    let download =
        customer.get(&format!("/portal/companies/{tenant_id}/documents/{doc_id}/download")).await?.expect(200)?;
    let response = reqwest::get(download["download"]["url"].as_str().unwrap()).await?;
    assert!(response.headers()["content-disposition"].to_str()?.starts_with("attachment; filename=\"Payslip.pdf\""));
    assert_eq!(response.bytes().await?.to_vec(), bytes);
    let trail = t.viewer.get(&format!("/documents/{doc_id}/activity")).await?.expect(200)?;
    assert_eq!(trail["items"][0]["action"], "document.downloaded");
    assert_eq!(trail["items"][0]["actor"]["kind"], "customer");
    Ok(())
}

#[tokio::test]
async fn customers_upload_back_and_staff_see_the_submissions() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("u"));
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let tenant_id = t.tenant.id.to_string();
    let uploads = format!("/portal/companies/{tenant_id}/uploads");

    let mut ids = Vec::new();
    for name in ["ID card.txt", "Bank details.txt"] {
        let ticket = customer
            .post(&uploads, json!({ "fileName": name, "contentType": "text/plain", "size": 4 }))
            .await?
            .expect(201)?;
        assert_eq!(ticket["document"]["uploaderKind"], "customer");
        put_presigned(&ticket["upload"], b"mine".to_vec()).await?;
        ids.push(ticket["document"]["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        t.member.wait_settled(id, Duration::from_secs(30)).await?;
    }
    // Staff: tenant-wide and per contact, newest first; the upload is in the contact's trail.
    let all = t.viewer.get("/submissions").await?.expect(200)?;
    assert_eq!(portal_tests::ids(&all), vec![ids[1].clone(), ids[0].clone()]);
    let per_contact = t.viewer.get(&format!("/contacts/{contact_id}/submissions")).await?.expect(200)?;
    assert_eq!(portal_tests::ids(&per_contact), vec![ids[1].clone(), ids[0].clone()]);
    let trail = t.viewer.get(&format!("/contacts/{contact_id}/activity")).await?.expect(200)?;
    assert!(trail["items"].as_array().unwrap().iter().any(|e| e["action"] == "document.uploaded"), "{trail}");
    // Submissions are not part of the drive, and not shown to the customer as shared.
    assert!(portal_tests::ids(&t.viewer.get("/drive").await?.expect(200)?).is_empty());
    assert!(customer.get("/portal/shares").await?.expect(200)?["items"].as_array().unwrap().is_empty());

    let own = customer.get("/portal/submissions").await?.expect(200)?;
    assert_eq!(portal_tests::ids(&own), vec![ids[1].clone(), ids[0].clone()]);
    assert!(own.get("nextCursor").is_none(), "{own}");
    // Deletable while unseen; once staff downloaded it, not any more.
    customer
        .send(Method::DELETE, &format!("/portal/companies/{tenant_id}/submissions/{}", ids[1]), None)
        .await?
        .expect(204)?;
    t.member.get(&format!("/documents/{}/download", ids[0])).await?.expect(200)?;
    let seen =
        customer.send(Method::DELETE, &format!("/portal/companies/{tenant_id}/submissions/{}", ids[0]), None).await?;
    assert_problem(&seen, 409);
    assert_eq!(portal_tests::ids(&t.viewer.get("/submissions").await?.expect(200)?), vec![ids[0].clone()]);
    assert!(t.viewer.get(&format!("/documents/{}", ids[0])).await?.expect(200)?["seenAt"].is_string());

    // Uploads have the staff limits.
    for body in [
        json!({ "fileName": "huge.bin", "contentType": "application/octet-stream", "size": 200 * 1024 * 1024 }),
        json!({ "fileName": "../x", "contentType": "text/plain", "size": 1 }),
        json!({ "fileName": "x", "contentType": "nope", "size": 1 }),
        json!({ "fileName": "x", "contentType": "text/plain", "size": -1 }),
        json!({ "fileName": "x", "contentType": "text/plain", "size": 1, "contactId": contact_id }),
    ] {
        assert_problem(&customer.post(&uploads, body).await?, 422);
    }
    Ok(())
}

#[tokio::test]
async fn preferences_and_account_recovery() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("p"));
    let (customer, _) = registered_customer(&t.member, &email).await?;
    let defaults = customer.get("/portal/preferences").await?.expect(200)?;
    assert_eq!(defaults, json!({ "emailNotifications": true, "mutedCompanies": [], "language": "en" }));
    let set = json!({ "emailNotifications": true, "mutedCompanies": [t.tenant.id], "language": "fr" });
    customer.send(Method::PUT, "/portal/preferences", Some(set.clone())).await?.expect(200)?;
    assert_eq!(customer.get("/portal/preferences").await?.expect(200)?, set);
    for body in [
        json!({ "emailNotifications": "no" }),
        json!({ "language": "de", "emailNotifications": true }),
        json!({ "emailNotifications": true, "extra": 1 }),
    ] {
        assert_problem(&customer.send(Method::PUT, "/portal/preferences", Some(body)).await?, 422);
    }

    // Forgot password: the same answer for an account and for no account.
    let known = anonymous().post("/auth/customer/forgot-password", json!({ "email": email })).await?.expect(202)?;
    let unknown = anonymous()
        .post("/auth/customer/forgot-password", json!({ "email": "nobody@nowhere.example" }))
        .await?
        .expect(202)?;
    assert_eq!(known, unknown);
    // (moto neither checks reset codes nor the password policy on reset; AWS does both.)
    let malformed = anonymous()
        .post("/auth/customer/reset-password", json!({ "email": email, "code": "12 34", "newPassword": "x" }))
        .await?;
    assert_problem(&malformed, 422);
    let new_password = "Another-Passw0rd!1";
    anonymous()
        .send(
            Method::POST,
            "/auth/customer/reset-password",
            Some(json!({ "email": email, "code": "123456", "newPassword": new_password })),
        )
        .await?
        .expect(204)?;
    let tokens = anonymous()
        .post("/auth/customer/login", json!({ "email": email, "password": new_password }))
        .await?
        .expect(200)?;
    // Login failures look the same whether or not the account exists.
    let wrong =
        anonymous().post("/auth/customer/login", json!({ "email": email, "password": "Wrong-Passw0rd!1" })).await?;
    let none = anonymous()
        .post("/auth/customer/login", json!({ "email": "nobody@nowhere.example", "password": "Wrong-Passw0rd!1" }))
        .await?;
    assert_problem(&wrong, 401);
    assert_eq!(wrong.json, none.json);

    // Logout signs out everywhere: the refresh token stops working.
    let signed_in = anonymous().with_token(tokens["accessToken"].as_str().unwrap());
    signed_in.send(Method::POST, "/auth/customer/logout", None).await?.expect(204)?;
    let refresh = anonymous().post("/auth/customer/refresh", json!({ "refreshToken": tokens["refreshToken"] })).await?;
    assert_problem(&refresh, 401);
    Ok(())
}

#[tokio::test]
async fn a_second_company_links_the_same_account_and_both_shares_show() -> anyhow::Result<()> {
    let first = tenant_fixture().await?;
    let second = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("two"));
    let (customer, _) = registered_customer(&first.member, &email).await?;
    for (t, name) in [(&first, "From first.txt"), (&second, "From second.txt")] {
        let doc = t.member.upload(name, "text/plain", b"hi").await?;
        t.member.wait_settled(doc["id"].as_str().unwrap(), Duration::from_secs(30)).await?;
        let contact = match t.viewer.get("/contacts").await?.expect(200)?["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["email"] == email.as_str())
        {
            Some(contact) => contact["id"].as_str().unwrap().to_owned(),
            None => t.member.post("/contacts", json!({ "email": email, "name": "Same" })).await?.expect(201)?["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        };
        t.member
            .post("/shares", json!({ "items": [{ "kind": "document", "id": doc["id"] }], "contactIds": [contact] }))
            .await?
            .expect(200)?;
    }
    // The second invitation: the existing account's password links it, no second sign-up.
    let token = invitation_token(&email).await?;
    let wrong = anonymous().post("/registration", json!({ "token": token, "password": "Not-The-Passw0rd!" })).await?;
    assert_problem(&wrong, 422);
    let linked = anonymous()
        .post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD }))
        .await?
        .expect(200)?;
    assert_eq!(linked["status"], "active");
    shares_when(&customer, "/portal/shares", |page| names(page) == ["From first.txt", "From second.txt"]).await?;
    let only_second = customer.get(&format!("/portal/shares?company={}", second.tenant.id)).await?.expect(200)?;
    assert_eq!(names(&only_second), ["From second.txt"]);
    assert_eq!(customer.get("/portal/me").await?.expect(200)?["companies"].as_array().unwrap().len(), 2);
    Ok(())
}

#[tokio::test]
async fn closing_access_or_an_expired_share_hides_items_and_refuses_downloads_at_once() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("x"));
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let tenant_id = t.tenant.id.to_string();
    let keep = t.member.upload("Keep.txt", "text/plain", b"keep").await?;
    let brief = t.member.upload("Brief.txt", "text/plain", b"brief").await?;
    let (keep_id, brief_id) = (keep["id"].as_str().unwrap().to_owned(), brief["id"].as_str().unwrap().to_owned());
    for id in [&keep_id, &brief_id] {
        t.member.wait_settled(id, Duration::from_secs(30)).await?;
    }
    // Long enough to be accepted on a loaded machine; the checks before it are made only
    // if answered before it.
    let expiry = time::OffsetDateTime::now_utc() + time::Duration::seconds(10);
    let soon = expiry.format(&time::format_description::well_known::Rfc3339)?;
    t.member
        .send(
            Method::PUT,
            &format!("/contacts/{contact_id}/shares"),
            Some(json!({ "items": [{ "kind": "document", "id": keep_id }, { "kind": "document", "id": brief_id, "availableUntil": soon }] })),
        )
        .await?
        .expect(200)?;
    // Shown within the stream's delay, while it is before the expiry.
    let shown = shares_when(&customer, "/portal/shares", |page| {
        names(page).len() == 2 || time::OffsetDateTime::now_utc() >= expiry
    })
    .await?;
    let shown = names(&shown);
    let brief_download = format!("/portal/companies/{tenant_id}/documents/{brief_id}/download");
    let before = customer.get(&brief_download).await?;
    if time::OffsetDateTime::now_utc() < expiry {
        assert_eq!(shown, ["Brief.txt", "Keep.txt"]);
        before.expect(200)?;
    }
    eventually(Duration::from_secs(60), || async {
        Ok(names(&customer.get("/portal/shares").await?.expect(200)?) == ["Keep.txt"])
    })
    .await?;
    assert_problem(&customer.get(&brief_download).await?, 403);

    let keep_download = format!("/portal/companies/{tenant_id}/documents/{keep_id}/download");
    customer.get(&keep_download).await?.expect(200)?;
    t.admin.send(Method::DELETE, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    // The very next request: nothing visible, download refused, no upload.
    assert!(customer.get("/portal/shares").await?.expect(200)?["items"].as_array().unwrap().is_empty());
    assert_problem(&customer.get(&keep_download).await?, 403);
    let upload = customer
        .post(
            &format!("/portal/companies/{tenant_id}/uploads"),
            json!({ "fileName": "a.txt", "contentType": "text/plain", "size": 1 }),
        )
        .await?;
    assert_problem(&upload, 403);
    assert!(customer.get("/portal/me").await?.expect(200)?["companies"].as_array().unwrap().is_empty());
    // Reopened, the registered customer is active again at once.
    let reopened = t.admin.send(Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    assert_eq!(reopened["accessStatus"], "active");
    customer_login(&email).await?.get(&keep_download).await?.expect(200)?;
    Ok(())
}

#[tokio::test]
async fn bad_registrations_are_refused_and_create_nothing() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let email = format!("{}@customer.example", unique("bad"));
    let contact = t.member.post("/contacts", json!({ "email": email, "name": "B" })).await?.expect(201)?;
    let contact_id: portal_shared::domain::ContactId = contact["id"].as_str().unwrap().parse()?;
    t.member.send(Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    let token = invitation_token(&email).await?;

    // An expired token (stored as the invitation sender stores them).
    let expired = portal_shared::tokens::new_token();
    let record = portal_shared::model::InvitationToken {
        tenant_id: t.tenant.id,
        contact_id,
        email: email.parse()?,
        valid_until: time::OffsetDateTime::now_utc() - time::Duration::minutes(1),
        used_at: None,
    };
    t.store.put_invitation_token(&portal_shared::tokens::hash(&expired), &record).await?;

    for (body, status) in [
        (json!({ "token": "not-a-token", "password": CUSTOMER_PASSWORD }), 422),
        (json!({ "token": portal_shared::tokens::new_token(), "password": CUSTOMER_PASSWORD }), 422),
        (json!({ "token": expired, "password": CUSTOMER_PASSWORD }), 410),
        (json!({ "token": token, "password": "" }), 422),
        (json!({ "token": token }), 422),
        (json!({ "token": token, "password": CUSTOMER_PASSWORD, "email": "other@x.example" }), 422),
        (json!({ "token": 42, "password": CUSTOMER_PASSWORD }), 422),
    ] {
        assert_problem(&anonymous().post("/registration", body).await?, status);
    }
    let raw = anonymous().send_raw(Method::POST, "/registration", Some("application/json"), b"{".to_vec()).await?;
    assert_problem(&raw, 400);
    for body in [
        json!({ "email": email, "code": "" }),
        json!({ "email": email, "code": "12 34" }),
        json!({ "email": "nope", "code": "1" }),
    ] {
        assert_problem(&anonymous().post("/registration/confirm", body).await?, 422);
    }
    // Nothing was created: the contact still waits, the (unused) token still works.
    assert_eq!(t.viewer.get(&format!("/contacts/{contact_id}")).await?.expect(200)?["accessStatus"], "pending");
    assert_problem(
        &anonymous().post("/auth/customer/login", json!({ "email": email, "password": CUSTOMER_PASSWORD })).await?,
        401,
    );
    // Closing the access withdraws the invitation.
    t.member.send(Method::DELETE, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    assert_problem(
        &anonymous().post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?,
        410,
    );
    // The resend answer never tells whether an account exists.
    let a = anonymous().post("/registration/resend", json!({ "email": email })).await?.expect(202)?;
    let b =
        anonymous().post("/registration/resend", json!({ "email": "nobody@nowhere.example" })).await?.expect(202)?;
    assert_eq!(a, b);
    Ok(())
}

#[tokio::test]
async fn a_customer_cannot_delete_rename_or_overwrite_what_staff_shared() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let (customer, contact_id, doc_id) = customer_with_a_shared_document(&t, "Shared.txt", b"shared").await?;
    let tenant_id = t.tenant.id.to_string();

    // The staff routes that change documents refuse a customer's token outright.
    for (method, path, body) in [
        (Method::DELETE, format!("/documents/{doc_id}"), None),
        (Method::PATCH, format!("/documents/{doc_id}"), Some(json!({ "name": "mine.txt" }))),
        (Method::DELETE, format!("/contacts/{contact_id}/shares/{doc_id}"), None),
        (
            Method::POST,
            "/uploads".to_owned(),
            Some(json!({ "fileName": "Shared.txt", "contentType": "text/plain", "size": 1 })),
        ),
    ] {
        assert_problem(&customer.send(method, &path, body).await?, 401);
    }
    // The customer's own delete route only reaches their own submissions.
    let delete =
        customer.send(Method::DELETE, &format!("/portal/companies/{tenant_id}/submissions/{doc_id}"), None).await?;
    assert_problem(&delete, 404);
    // An upload back never reuses a key: it gets a new document of its own.
    let ticket = customer
        .post(
            &format!("/portal/companies/{tenant_id}/uploads"),
            json!({ "fileName": "Shared.txt", "contentType": "text/plain", "size": 1 }),
        )
        .await?
        .expect(201)?;
    assert_ne!(ticket["document"]["id"], doc_id.as_str());
    assert!(!ticket["upload"]["url"].as_str().unwrap().contains(&doc_id));
    // Everything is as staff left it.
    let still = t.viewer.get(&format!("/documents/{doc_id}")).await?.expect(200)?;
    assert_eq!(still["name"], "Shared.txt");
    assert_eq!(still["status"], "available");
    shares_when(&customer, "/portal/shares", |page| names(page) == ["Shared.txt"]).await?;
    Ok(())
}

/// A download is allowed for exactly what the customer's list shows: a document shared
/// itself or through a folder above it (at any level), available, not a submission; and
/// not any more once the folder is unshared.
#[tokio::test]
async fn customer_downloads_follow_folder_shares_down_the_tree() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let (customer, contact_id) = registered_customer(&t.member, &format!("{}@customer.example", unique("f"))).await?;
    let tenant_id = t.tenant.id.to_string();
    let folder = |name: &str, parent: Option<&str>| {
        let body = match parent {
            Some(parent) => json!({ "name": name, "parentId": parent }),
            None => json!({ "name": name }),
        };
        let member = &t.member;
        async move { anyhow::Ok(member.post("/folders", body).await?.expect(201)?["id"].as_str().unwrap().to_owned()) }
    };
    let upload = |name: &'static str, folder: Option<String>| {
        let member = &t.member;
        async move {
            let id = member.upload_into(folder.as_deref(), name, "text/plain", b"ok").await?["id"]
                .as_str()
                .unwrap()
                .to_owned();
            member.wait_settled(&id, Duration::from_secs(30)).await?;
            anyhow::Ok(id)
        }
    };
    let shared_root = folder("Clients", None).await?;
    let below = folder("2026", Some(&shared_root)).await?;
    let deeper = folder("Q1", Some(&below)).await?;
    let elsewhere = folder("Internal", None).await?;
    let deep_doc = upload("deep.txt", Some(deeper)).await?;
    let direct_doc = upload("direct.txt", Some(shared_root.clone())).await?;
    let other_doc = upload("other.txt", Some(elsewhere)).await?;
    let root_doc = upload("root.txt", None).await?;
    t.member
        .post("/shares", json!({ "items": [{ "kind": "folder", "id": shared_root }], "contactIds": [contact_id] }))
        .await?
        .expect(200)?;
    let submission = customer.submit(&tenant_id, "mine.txt", "text/plain", b"me").await?;
    let submission_id = submission["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&submission_id, Duration::from_secs(30)).await?;

    let download = |id: &str| {
        let path = format!("/portal/companies/{tenant_id}/documents/{id}/download");
        let customer = &customer;
        async move { customer.get(&path).await }
    };
    let shares = shares_when(&customer, "/portal/shares", |page| names(page).len() == 2).await?;
    let listed: Vec<String> =
        shares["items"].as_array().unwrap().iter().map(|i| i["document"]["id"].as_str().unwrap().to_owned()).collect();
    for id in [&deep_doc, &direct_doc] {
        assert!(listed.contains(id), "{id} not listed: {listed:?}");
        let ticket = download(id).await?.expect(200)?;
        assert_eq!(ticket["documentId"], id.as_str());
    }
    let unknown = uuid::Uuid::new_v4().to_string();
    for id in [&other_doc, &root_doc, &submission_id, &unknown, &shared_root] {
        assert!(!listed.contains(id), "{id} listed: {listed:?}");
        assert_problem(&download(id).await?, 403);
    }

    // Unsharing the folder takes everything below it away at once.
    t.member.send(Method::DELETE, &format!("/contacts/{contact_id}/shares/{shared_root}"), None).await?.expect(204)?;
    assert_problem(&download(&deep_doc).await?, 403);
    assert!(customer.get("/portal/shares").await?.expect(200)?["items"].as_array().unwrap().is_empty());
    Ok(())
}

/// Customers see who shared by name: the staff member's own (`PATCH /me`), else the
/// company's; no staff email appears anywhere in what the customer's routes answer (a staff
/// email is a sign-in name, which a customer could otherwise try, or lock out).
#[tokio::test]
async fn customers_see_staff_names_and_never_a_staff_email() -> anyhow::Result<()> {
    let t = tenant_fixture().await?;
    let named = t.member.send(Method::PATCH, "/me", Some(json!({ "name": " Ana\u{202E} Lopez " }))).await?;
    assert_eq!(named.expect(200)?["name"], "Ana Lopez");
    let (customer, contact_id, by_member) = customer_with_a_shared_document(&t, "From Ana.txt", b"ana").await?;
    // The admin has no name: the company's shows.
    let doc = t.admin.upload("From admin.txt", "text/plain", b"adm").await?;
    let by_admin = doc["id"].as_str().unwrap().to_owned();
    t.admin.wait_settled(&by_admin, Duration::from_secs(30)).await?;
    let share = json!({ "items": [{ "kind": "document", "id": by_admin }], "contactIds": [contact_id] });
    t.admin.post("/shares", share).await?.expect(200)?;

    let space = shares_when(&customer, "/portal/shares", |page| names(page).len() == 2).await?;
    let shared_by = |id: &str| {
        space["items"].as_array().unwrap().iter().find(|i| i["document"]["id"] == id).map(|i| i["sharedBy"].clone())
    };
    assert_eq!(shared_by(&by_member), Some(json!("Ana Lopez")), "{space}");
    assert_eq!(shared_by(&by_admin), Some(json!(t.tenant.name.to_string())), "{space}");

    // Nothing the customer can read names a staff member's email.
    let staff = t.admin.get("/staff").await?.expect(200)?;
    let emails: Vec<String> =
        staff["items"].as_array().unwrap().iter().map(|m| m["email"].as_str().unwrap().to_owned()).collect();
    assert_eq!(emails.len(), 3);
    let tenant = t.tenant.id;
    let mut answers = Vec::new();
    for path in [
        "/portal/me".to_owned(),
        "/portal/shares".to_owned(),
        format!("/portal/shares?company={tenant}&sort=name"),
        "/portal/submissions".to_owned(),
        "/portal/preferences".to_owned(),
        format!("/portal/companies/{tenant}/documents/{by_member}/download"),
        format!("/portal/companies/{tenant}/documents/{by_admin}/download"),
    ] {
        answers.push((path.clone(), customer.get(&path).await?.expect(200)?.to_string()));
    }
    for (path, answer) in &answers {
        for email in &emails {
            assert!(!answer.contains(email.as_str()), "{path} names {email}: {answer}");
        }
    }
    Ok(())
}

/// Bidi controls and invisible characters typed into a document or folder name are gone
/// from the name (so from listings) and from both forms of the download's file name.
#[tokio::test]
async fn download_names_carry_no_bidi_control_nor_invisible_character() -> anyhow::Result<()> {
    const NEVER: &[char] = &[
        '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        '\u{200E}', '\u{200F}', '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}',
    ];
    let t = tenant_fixture().await?;
    let folder = t.member.post("/folders", json!({ "name": "Tax\u{2067}\u{200B} 2026" })).await?.expect(201)?;
    assert_eq!(folder["name"], "Tax 2026");
    let folder_id = folder["id"].as_str().unwrap();
    // Shows as "invoiceexe.txt" with the override kept: the name would lie about its type.
    let typed = "inv\u{200D}oice\u{202E}txt.exe\u{FEFF}.txt";
    let ticket = t
        .member
        .post("/uploads", json!({ "fileName": typed, "contentType": "text/plain", "size": 3, "folderId": folder_id }))
        .await?
        .expect(201)?;
    assert_eq!(ticket["document"]["name"], "invoicetxt.exe.txt");
    put_presigned(&ticket["upload"], b"abc".to_vec()).await?;
    let doc_id = ticket["document"]["id"].as_str().unwrap().to_owned();
    t.member.wait_settled(&doc_id, Duration::from_secs(30)).await?;
    let email = format!("{}@customer.example", unique("bidi"));
    let (customer, contact_id) = registered_customer(&t.member, &email).await?;
    let share = json!({ "items": [{ "kind": "folder", "id": folder_id }], "contactIds": [contact_id] });
    t.member.post("/shares", share).await?.expect(200)?;
    let space = shares_when(&customer, "/portal/shares", |page| !names(page).is_empty()).await?;
    assert_eq!(space["items"][0]["document"]["name"], "invoicetxt.exe.txt", "{space}");
    assert_eq!(space["items"][0]["folder"]["name"], "Tax 2026", "{space}");

    let expected = "attachment; filename=\"invoicetxt.exe.txt\"; filename*=UTF-8''invoicetxt%2Eexe%2Etxt";
    let tenant = t.tenant.id;
    for download in [
        customer.get(&format!("/portal/companies/{tenant}/documents/{doc_id}/download")).await?.expect(200)?,
        t.member.get(&format!("/documents/{doc_id}/download")).await?.expect(200)?,
    ] {
        let url = url::Url::parse(download["download"]["url"].as_str().unwrap())?;
        let signed = url.query_pairs().find(|(k, _)| k == "response-content-disposition").map(|(_, v)| v.into_owned());
        assert_eq!(signed.as_deref(), Some(expected));
        let response = reqwest::get(url).await?;
        let header = response.headers()["content-disposition"].to_str()?.to_owned();
        assert_eq!(header, expected);
        let decoded = percent_encoding::percent_decode_str(&header).decode_utf8()?.into_owned();
        assert!(!decoded.chars().any(|c| NEVER.contains(&c)), "{decoded:?}");
        assert_eq!(response.bytes().await?.as_ref(), b"abc");
    }
    Ok(())
}

/// One account includes at most `MAX_LINKED_COMPANIES` companies (what keeps each customer
/// request bounded): the invitation past it is refused, nothing written and the link still
/// usable; once a company deletes the contact, its link goes with it and the same
/// invitation links.
#[tokio::test]
async fn an_account_at_its_limit_of_companies_is_refused_one_more_until_a_company_removes_it() -> anyhow::Result<()> {
    use anyhow::Context;
    use portal_shared::domain::{ContactId, TenantId};
    use portal_shared::model::CustomerLink;
    use portal_shared::store::{MAX_LINKED_COMPANIES, Seed};

    let (first, second) = (tenant_fixture().await?, tenant_fixture().await?);
    let email = format!("{}@customer.example", unique("many"));
    let (customer, contact) = registered_customer(&first.member, &email).await?;
    let store = &first.store;
    let linked = store.contact(first.tenant.id, contact.parse()?).await?.context("the contact")?;
    let sub = linked.customer_sub.context("the contact's account")?;
    // The account's other companies, up to the limit, as registering links them.
    let now = time::OffsetDateTime::now_utc();
    let others: Vec<Seed> = (1..MAX_LINKED_COMPANIES)
        .map(|_| {
            let link = CustomerLink { tenant_id: TenantId::new(), contact_id: ContactId::new(), linked_at: now };
            Seed::CustomerLink(sub.clone(), link)
        })
        .collect();
    store.seed(&others).await?;
    assert_eq!(store.customer_links(&sub).await?.len(), MAX_LINKED_COMPANIES);

    // A further company invites the same address: the right password, refused.
    let invited = second.member.post("/contacts", json!({ "email": email, "name": "Many" })).await?.expect(201)?;
    let invited = invited["id"].as_str().context("no id")?.to_owned();
    second.member.send(Method::POST, &format!("/contacts/{invited}/access"), None).await?.expect(200)?;
    let token = invitation_token(&email).await?;
    let registration = json!({ "token": token, "password": CUSTOMER_PASSWORD });
    let refused = anonymous().post("/registration", registration.clone()).await?;
    assert_problem(&refused, 409);
    assert_eq!(refused.json["type"], "/problems/account-company-limit");
    let detail = refused.json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&format!("{MAX_LINKED_COMPANIES} companies")), "{detail}");
    // Nothing written: the contact still waits, its link is unused, no new link.
    let waiting = second.viewer.get(&format!("/contacts/{invited}")).await?.expect(200)?;
    assert_eq!(waiting["accessStatus"], "pending");
    let stored = second.store.invitation_token(&portal_shared::tokens::hash(&token)).await?.context("no token")?;
    assert!(stored.used_at.is_none());
    assert_eq!(store.customer_links(&sub).await?.len(), MAX_LINKED_COMPANIES);
    assert_eq!(customer.get("/portal/me").await?.expect(200)?["companies"].as_array().map(Vec::len), Some(1));

    // The first company deletes its contact: the account's link to it goes too…
    first.member.send(Method::DELETE, &format!("/contacts/{contact}"), None).await?.expect(204)?;
    assert_eq!(store.customer_links(&sub).await?.len(), MAX_LINKED_COMPANIES - 1);
    // …and the same invitation now links the account.
    let accepted = anonymous().post("/registration", registration).await?;
    assert_eq!(accepted.status, 200, "{}", accepted.json);
    assert_eq!(accepted.json["status"], "active");
    let companies = customer.get("/portal/me").await?.expect(200)?;
    let companies = companies["companies"].as_array().context("companies")?.clone();
    assert_eq!(companies.len(), 1, "the seeded links lead nowhere; the second company is the one: {companies:?}");
    assert_eq!(companies[0]["tenantId"], second.tenant.id.to_string());
    Ok(())
}

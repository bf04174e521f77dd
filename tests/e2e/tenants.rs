//! The operator's `cargo xtask tenant` commands against the local stack, through the same
//! code and real SDK clients a deployed stack gets: a created company's admin signs in; the
//! figures of `list` and `show` are what was made; a suspended company's staff and
//! customers are refused from their next request until it is resumed, while another company
//! is served; a delete leaves nothing of the company in the table, the bucket or Cognito,
//! touches no other company, and finishes after a delete that stopped midway.

use std::collections::BTreeSet;

use anyhow::Result;
use aws_sdk_s3::primitives::ByteStream;
use portal_shared::domain::{Role, TenantStatus};
use portal_shared::object_key::ObjectKey;
use portal_tests::{
    ApiResponse, CUSTOMER_PASSWORD, PASSWORD, SETTLE, anonymous, assert_problem, customer_login, env, items_mentioning,
    registered_customer, sdk, tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::json;
use xtask::client::ApiClient;
use xtask::tenant::args::{self, CompanyRef};
use xtask::tenant::erase::{self, Entry};
use xtask::tenant::{Operator, census};

async fn operator() -> Operator {
    Operator::for_stack(&env().stack).await
}

/// The command line as an operator types it, against the local stack's emulator.
async fn command(line: &str) -> Result<()> {
    let mut words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    words.extend(["--endpoint".to_owned(), env().stack.endpoint.clone()]);
    xtask::tenant::run(args::parse(&words)?).await
}

fn assert_suspended(response: &ApiResponse) {
    assert_problem(response, 403);
    assert_eq!(response.json["type"], "/problems/company-suspended", "{}", response.json);
}

async fn account_exists(pool: &str, email: &str) -> Result<bool> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&sdk().await);
    match cognito.admin_get_user().user_pool_id(pool).username(email).send().await {
        Ok(_) => Ok(true),
        Err(err) if err.as_service_error().is_some_and(|e| e.is_user_not_found_exception()) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// The keys of the items mentioning one of `needles`, but for the share-email batches,
/// which the notifications function deletes once it has sent them (at any moment).
async fn keys_mentioning(needles: &[String]) -> Result<BTreeSet<(String, String)>> {
    Ok(items_mentioning(needles)
        .await?
        .into_iter()
        .map(|item| {
            (item["PK"].as_str().unwrap_or_default().to_owned(), item["SK"].as_str().unwrap_or_default().to_owned())
        })
        .filter(|(_, sk)| !sk.starts_with("NOTIFY#SHARES#"))
        .collect())
}

/// Every object version and delete marker under a company's prefix.
async fn stored_keys(tenant: portal_shared::domain::TenantId) -> Result<Vec<String>> {
    let s3 = portal_shared::aws::s3_client(&sdk().await);
    let page =
        s3.list_object_versions().bucket(&env().stack.bucket).prefix(ObjectKey::tenant_prefix(tenant)).send().await?;
    let mut keys: Vec<String> = page.versions().iter().filter_map(|v| v.key().map(str::to_owned)).collect();
    keys.extend(page.delete_markers().iter().filter_map(|m| m.key().map(|k| format!("marker {k}"))));
    Ok(keys)
}

#[tokio::test]
async fn a_created_company_s_admin_sets_a_password_and_signs_in() -> Result<()> {
    let op = operator().await;
    let slug = unique("created");
    let email = format!("{}@operator.example", unique("admin"));
    command(&format!("create --name Created-Co --slug {slug} --admin-email {email} --admin-name Ana")).await?;
    let tenant = op.company(&CompanyRef::Slug(slug.parse()?)).await?;
    assert_eq!((tenant.name.as_str(), tenant.status), ("Created-Co", TenantStatus::Active));

    // Cognito emailed a temporary password (the staff invitation); the test sets a known one
    // the same way, then the first sign-in asks for a new one.
    let challenge = portal_tests::staff_new_password_challenge(&email).await?;
    let tokens = anonymous()
        .post(
            "/auth/staff/new-password",
            json!({ "email": email, "session": challenge["session"], "newPassword": PASSWORD }),
        )
        .await?
        .expect(200)?;
    let admin = anonymous().with_token(tokens["accessToken"].as_str().unwrap());
    let me = admin.get("/me").await?.expect(200)?;
    assert_eq!((me["role"].as_str(), me["name"].as_str()), (Some("admin"), Some("Ana")), "{me}");
    assert_eq!(me["tenant"]["slug"], slug.as_str());
    // The admin runs the company: invites a colleague.
    let colleague = format!("{}@operator.example", unique("colleague"));
    admin.post("/staff", json!({ "email": colleague, "role": "member" })).await?.expect(201)?;

    // The slug is taken now; an admin email that has an account already leaves no company.
    assert!(command(&format!("create --name Again --slug {slug} --admin-email x@operator.example")).await.is_err());
    let other_slug = unique("dup");
    let failed = command(&format!("create --name Dup --slug {other_slug} --admin-email {email}")).await;
    assert!(failed.is_err(), "an existing staff account cannot be a second company's admin");
    assert!(op.company(&CompanyRef::Slug(other_slug.parse()?)).await.is_err(), "the company was removed again");
    assert!(items_mentioning(&[format!("SLUG#{other_slug}")]).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn list_and_show_count_what_the_company_holds() -> Result<()> {
    let op = operator().await;
    let t = tenant_fixture().await?;
    for i in 0..3 {
        t.member
            .post("/contacts", json!({ "email": format!("c{i}@count.example"), "name": "C" }))
            .await?
            .expect(201)?;
    }
    let mut bytes = 0;
    for (name, body) in [("a.txt", &b"twelve bytes"[..]), ("b.txt", &b"and twenty-one bytes."[..])] {
        let doc = t.member.upload(name, "text/plain", body).await?;
        t.member.wait_settled(doc["id"].as_str().unwrap(), SETTLE).await?;
        bytes += body.len() as u64;
    }
    let figures = census::census(&op, t.tenant.clone()).await?;
    assert_eq!(
        (figures.staff, figures.contacts, figures.documents, figures.bytes, figures.pending),
        (3, 3, 2, bytes, 0),
        "{figures:?}"
    );
    let listed = census::tenants(&op).await?;
    assert!(listed.iter().any(|tenant| tenant.id == t.tenant.id && tenant.status == TenantStatus::Active));
    let line = census::table(std::slice::from_ref(&figures));
    assert!(line.contains(t.tenant.slug.as_str()) && line.contains(&bytes.to_string()), "{line}");

    let detail = census::detail(&op, t.tenant.clone()).await?;
    assert_eq!(detail.census, figures);
    let staff: BTreeSet<(String, String)> =
        detail.staff.iter().map(|m| (m.email.as_str().to_owned(), format!("{:?}", m.role))).collect();
    let slug = t.tenant.slug.as_str();
    let expected: BTreeSet<(String, String)> = [
        (format!("admin@{slug}.example"), format!("{:?}", Role::Admin)),
        (format!("member@{slug}.example"), format!("{:?}", Role::Member)),
        (format!("viewer@{slug}.example"), format!("{:?}", Role::Viewer)),
    ]
    .into();
    assert_eq!(staff, expected);
    assert_eq!((detail.stored.versions, detail.stored.bytes, detail.stored.delete_markers), (2, bytes, 0));
    // The commands themselves print the same (and fail on a company that does not exist).
    command("list").await?;
    command(&format!("show {}", t.tenant.slug)).await?;
    command(&format!("show {}", t.tenant.id)).await?;
    assert!(command(&format!("show {}", unique("nobody"))).await.is_err());
    let shown = detail.to_string();
    assert!(shown.contains(&format!("member@{slug}.example")) && shown.contains("status:     active"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn a_suspended_company_is_refused_from_the_next_request_until_resumed() -> Result<()> {
    let op = operator().await;
    let a = tenant_fixture().await?;
    let b = tenant_fixture().await?;
    let (a_customer, a_contact, doc) =
        portal_tests::customer_with_a_shared_document(&a, "Suspended.txt", b"still here").await?;
    let b_email = format!("{}@customer.example", unique("b"));
    let (b_customer, _) = registered_customer(&b.member, &b_email).await?;
    let a_tenant = a.tenant.id.to_string();
    let download = format!("/portal/companies/{a_tenant}/documents/{doc}/download");
    a_customer.get(&download).await?.expect(200)?;

    // An invitation of A waiting to be answered.
    let invited = format!("{}@customer.example", unique("invited"));
    let contact = a.member.post("/contacts", json!({ "email": invited, "name": "I" })).await?.expect(201)?;
    let contact = contact["id"].as_str().unwrap().to_owned();
    a.member.send(Method::POST, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
    let registration =
        json!({ "token": portal_tests::invitation_token(&invited).await?, "password": CUSTOMER_PASSWORD });

    command(&format!("suspend {}", a.tenant.slug)).await?;
    assert_eq!(op.company(&CompanyRef::Id(a.tenant.id)).await?.status, TenantStatus::Suspended);
    // Staff of every role, on every kind of route, from the very next request.
    assert_suspended(&a.member.get("/contacts").await?);
    assert_suspended(&a.viewer.get("/me").await?);
    assert_suspended(&a.admin.get("/settings").await?);
    assert_suspended(&a.admin.post("/staff", json!({ "email": "late@staff.example", "role": "member" })).await?);
    assert_suspended(&a.member.post("/contacts", json!({ "email": "n@new.example", "name": "N" })).await?);
    // Its customer: the company's routes say so; the cross-company lists leave it out.
    assert_suspended(&a_customer.get(&download).await?);
    let upload = json!({ "fileName": "x.txt", "contentType": "text/plain", "size": 1 });
    assert_suspended(&a_customer.post(&format!("/portal/companies/{a_tenant}/uploads"), upload.clone()).await?);
    let space = a_customer.get("/portal/shares").await?.expect(200)?;
    assert_eq!(space["items"].as_array().map(Vec::len), Some(0), "{space}");
    // Signing in says so too, and hands out no tokens.
    let a_login = json!({ "email": format!("member@{}.example", a.tenant.slug), "password": PASSWORD });
    let refused = anonymous().post("/auth/staff/login", a_login.clone()).await?;
    assert_suspended(&refused);
    assert!(refused.json.get("accessToken").is_none(), "{}", refused.json);
    let b_login = json!({ "email": format!("member@{}.example", b.tenant.slug), "password": PASSWORD });
    anonymous().post("/auth/staff/login", b_login).await?.expect(200)?;
    // Its public portal is not served as active, nor does it take new customers.
    assert_suspended(&anonymous().get(&format!("/branding/{}", a.tenant.slug)).await?);
    assert_suspended(&anonymous().post("/registration", registration.clone()).await?);
    // Another company is served as before.
    b.member.get("/contacts").await?.expect(200)?;
    b_customer.get("/portal/shares").await?.expect(200)?;
    anonymous().get(&format!("/branding/{}", b.tenant.slug)).await?.expect(200)?;
    // Nothing was written meanwhile, and nothing is gone.
    assert!(
        items_mentioning(&["n@new.example".to_owned()]).await?.iter().all(|i| i["PK"] != format!("TENANT#{a_tenant}"))
    );
    assert!(op.store.contact(a.tenant.id, a_contact.parse()?).await?.is_some());

    // A membership written while suspended (an invitation racing the suspension) is refused.
    let racing = portal_shared::identity::StaffMember {
        sub: uuid::Uuid::new_v4().to_string().parse()?,
        tenant_id: a.tenant.id,
        email: "racing@staff.example".parse()?,
        name: None,
        role: Role::Member,
        notify_submissions: None,
        submissions_seen_at: None,
        company_status: TenantStatus::Active,
    };
    assert_eq!(
        op.store.create_staff_member(&racing).await.map_err(portal_shared::ApiError::from),
        Err(portal_shared::ApiError::CompanySuspended)
    );

    command(&format!("resume {}", a.tenant.slug)).await?;
    a.member.get("/contacts").await?.expect(200)?;
    anonymous().post("/auth/staff/login", a_login).await?.expect(200)?;
    a.viewer.get("/me").await?.expect(200)?;
    let url = a_customer.get(&download).await?.expect(200)?;
    assert!(url["download"]["url"].is_string(), "{url}");
    portal_tests::shares_when(&a_customer, "/portal/shares", |page| page["items"].as_array().map(Vec::len) == Some(1))
        .await?;
    anonymous().get(&format!("/branding/{}", a.tenant.slug)).await?.expect(200)?;
    anonymous().post("/registration", registration).await?.expect(202)?;
    assert_eq!(op.company(&CompanyRef::Id(a.tenant.id)).await?.status, TenantStatus::Active);
    Ok(())
}

#[tokio::test]
async fn delete_erases_the_company_everywhere_and_nothing_else() -> Result<()> {
    let op = operator().await;
    let a = tenant_fixture().await?;
    let b = tenant_fixture().await?;
    let (a_id, b_id) = (a.tenant.id, b.tenant.id);
    let slug = a.tenant.slug.to_string();

    // A customer of both companies (who muted A), and one of A only who sent A a document.
    let both = format!("{}@customer.example", unique("both"));
    let only = format!("{}@customer.example", unique("only"));
    let (both_customer, _) = registered_customer(&a.member, &both).await?;
    let (only_customer, _) = registered_customer(&a.member, &only).await?;
    registered_customer(&b.member, &both).await?;
    // One who signed up from A's invitation and never confirmed the email: an unconfirmed
    // account, and a sign-up waiting outside A's partition.
    let unconfirmed = format!("{}@customer.example", unique("unconfirmed"));
    let waiting = a.member.post("/contacts", json!({ "email": unconfirmed, "name": "U" })).await?.expect(201)?;
    let waiting = waiting["id"].as_str().unwrap().to_owned();
    a.member.send(Method::POST, &format!("/contacts/{waiting}/access"), None).await?.expect(200)?;
    let token = portal_tests::invitation_token(&unconfirmed).await?;
    anonymous().post("/registration", json!({ "token": token, "password": CUSTOMER_PASSWORD })).await?.expect(202)?;
    for (t, name) in [(&a, "A doc.txt"), (&b, "B doc.txt")] {
        let doc = t.member.upload(name, "text/plain", b"bytes").await?;
        let id = doc["id"].as_str().unwrap().to_owned();
        t.member.wait_settled(&id, SETTLE).await?;
        let contacts = t.viewer.get("/contacts").await?.expect(200)?;
        let ids: Vec<&str> = contacts["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
        t.member
            .post("/shares", json!({ "items": [{ "kind": "document", "id": id }], "contactIds": ids }))
            .await?
            .expect(200)?;
    }
    // The customers' view index has caught up with the shares (it is part of what is compared).
    let count = |n: usize| move |page: &serde_json::Value| page["items"].as_array().map(Vec::len) == Some(n);
    portal_tests::shares_when(&only_customer, "/portal/shares", count(1)).await?;
    portal_tests::shares_when(&both_customer, "/portal/shares", count(2)).await?;
    both_customer
        .send(
            Method::PUT,
            "/portal/preferences",
            Some(json!({ "emailNotifications": true, "mutedCompanies": [a_id.to_string()] })),
        )
        .await?
        .expect(200)?;
    let submission = only_customer.submit(&a_id.to_string(), "Back.txt", "text/plain", b"back").await?;
    a.member.wait_settled(submission["id"].as_str().unwrap(), SETTLE).await?;
    // An invitation not answered yet (its token is outside the partition).
    let pending =
        a.member.post("/contacts", json!({ "email": format!("{}@x.example", unique("p")), "name": "P" })).await?;
    let pending = pending.expect(201)?["id"].as_str().unwrap().to_owned();
    a.member.send(Method::POST, &format!("/contacts/{pending}/access"), None).await?.expect(200)?;
    portal_tests::upload_logo(&a.admin, &[0x89, b'P', b'N', b'G']).await?;
    // A noncurrent version and a delete marker under the prefix.
    let s3 = portal_shared::aws::s3_client(&sdk().await);
    let stray = format!("{}stray", ObjectKey::tenant_prefix(a_id));
    for body in ["one", "two"] {
        s3.put_object()
            .bucket(&env().stack.bucket)
            .key(&stray)
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await?;
    }
    s3.delete_object().bucket(&env().stack.bucket).key(&stray).send().await?;

    let a_needles = vec![a_id.to_string(), slug.clone()];
    let b_items_before = keys_mentioning(&[b_id.to_string()]).await?;
    let b_objects_before = stored_keys(b_id).await?;
    let a_items_before = keys_mentioning(&a_needles).await?;
    assert!(a_items_before.len() > 20, "{a_items_before:?}");

    // Dry run: it counts and deletes nothing.
    let found = erase::find(&op, &CompanyRef::Slug(slug.parse()?)).await?;
    let count = |wanted: fn(&Entry) -> bool| found.items.values().filter(|e| wanted(e)).count();
    assert_eq!(count(|e| matches!(e, Entry::Staff { .. })), 3);
    assert_eq!(count(|e| matches!(e, Entry::CustomerLink { .. })), 2);
    assert_eq!(count(|e| matches!(e, Entry::Preferences { .. })), 1);
    assert_eq!(count(|e| matches!(e, Entry::Anchor)), 2);
    assert!(count(|e| matches!(e, Entry::Other)) >= 1, "the pending invitation's token");
    assert!(count(|e| matches!(e, Entry::Partition { pending_email: true })) >= 1, "the submission's email");
    assert_eq!(count(|e| matches!(e, Entry::Signup { .. })), 1);
    assert_eq!(found.customers.values().filter(|keeps| **keeps).count(), 1, "{:?}", found.customers);
    assert_eq!(found.customers.len(), 3);
    assert!(found.stored.versions >= 5 && found.stored.delete_markers == 1, "{:?}", found.stored);
    command(&format!("delete {slug} --dry-run")).await?;
    assert_eq!(keys_mentioning(&a_needles).await?, a_items_before);
    assert!(account_exists(&env().stack.customer_pool.id, &only).await?);
    a.member.get("/contacts").await?.expect(200)?;

    // A wrong confirmation deletes nothing.
    assert!(command(&format!("delete {slug} --yes-i-typed-the-slug {}", b.tenant.slug)).await.is_err());
    assert_eq!(keys_mentioning(&a_needles).await?, a_items_before);

    // A delete that stops midway (here: after the staff and part of the partition) leaves the
    // company refused and findable; running the command again finishes it.
    let mut partial = found.clone();
    let mut kept_partition = 0;
    partial.items.retain(|_, entry| match entry {
        Entry::Staff { .. } => true,
        Entry::Partition { .. } => {
            kept_partition += 1;
            kept_partition % 2 == 0
        }
        _ => false,
    });
    partial.customers.clear();
    erase::erase(&op, partial).await?;
    assert_eq!(op.company(&CompanyRef::Slug(slug.parse()?)).await?.status, TenantStatus::Deleting);
    assert!(command(&format!("resume {slug}")).await.is_err(), "a company being deleted is not resumed");
    assert_suspended(&anonymous().get(&format!("/branding/{slug}")).await?);
    command(&format!("delete {slug} --yes-i-typed-the-slug {slug}")).await?;

    // Nothing of A anywhere: table (every item, every index entry is an item), bucket, Cognito.
    let left = items_mentioning(&a_needles).await?;
    assert!(left.is_empty(), "left behind: {left:#?}");
    assert_eq!(stored_keys(a_id).await?, Vec::<String>::new());
    for email in ["admin", "member", "viewer"].map(|role| format!("{role}@{slug}.example")) {
        assert!(!account_exists(&env().stack.staff_pool.id, &email).await?, "{email}");
    }
    assert!(!account_exists(&env().stack.customer_pool.id, &only).await?, "a customer of A only loses the account");
    assert!(!account_exists(&env().stack.customer_pool.id, &unconfirmed).await?, "so does an unconfirmed one");
    assert_problem(
        &anonymous().post("/auth/customer/login", json!({ "email": only, "password": CUSTOMER_PASSWORD })).await?,
        401,
    );
    assert_problem(&anonymous().get(&format!("/branding/{slug}")).await?, 404);

    // B and the customer of both are untouched (but for A leaving the muted list).
    assert_eq!(keys_mentioning(&[b_id.to_string()]).await?, b_items_before);
    assert_eq!(stored_keys(b_id).await?, b_objects_before);
    b.member.get("/contacts").await?.expect(200)?;
    let both_again: ApiClient = customer_login(&both).await?;
    let me = both_again.get("/portal/me").await?.expect(200)?;
    let companies: Vec<&str> =
        me["companies"].as_array().unwrap().iter().filter_map(|c| c["tenantId"].as_str()).collect();
    assert_eq!(companies, [b_id.to_string().as_str()], "{me}");
    portal_tests::shares_when(&both_again, "/portal/shares", |page| page["items"].as_array().map(Vec::len) == Some(1))
        .await?;
    let preferences = both_again.get("/portal/preferences").await?.expect(200)?;
    assert_eq!(preferences["mutedCompanies"], json!([]), "{preferences}");

    // Running it again finds no such company.
    assert!(command(&format!("delete {slug} --yes-i-typed-the-slug {slug}")).await.is_err());
    Ok(())
}

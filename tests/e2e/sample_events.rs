//! Every sample event in `events/` runs through its function's handler, as `sam local
//! invoke` would run it, against the local stack seeded with the data the samples name
//! (the fixed ids of `events/README.md`): each must get the answer the README promises,
//! so a sample that drifts from its route, its body or its function fails here.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use local_gateway::Functions;
use portal_shared::domain::{
    AccessStatus, ContactId, DocumentId, DocumentStatus, ItemRef, Role, TenantId, TenantStatus, UserSub,
};
use portal_shared::identity::StaffMember;
use portal_shared::model::UploaderKind;
use portal_shared::model::{Action, ActivityEvent, Actor, Contact, Document, InvitationToken, Language, Share, Tenant};
use portal_shared::store::Store;
use portal_shared::tokens;
use portal_tests::{env, sdk};
use serde_json::Value;
use time::OffsetDateTime;

const TENANT: &str = "01936b2a-7c4e-7d1f-9a2b-3c4d5e6f7a8b";
const STAFF_SUB: &str = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const CONTACT: &str = "01936b2a-9d8e-7f6a-b5c4-d3e2f1a0b9c8";
const DOCUMENT: &str = "01936b2b-1e2f-7a3b-8c4d-5e6f7a8b9c0d";
const CUSTOMER_SUB: &str = "3d6f0a8e-5b2c-4e7d-9f1a-2b3c4d5e6f70";
/// The staff account `auth/staff-login.json` signs in with.
const STAFF_EMAIL: &str = "ana.admin@example.com";
const STAFF_PASSWORD: &str = "Correct-Horse-42!";
/// The invitation `registration/register.json` answers, and whom it invites.
const INVITATION_TOKEN: &str = "c2FtcGxlLWludml0YXRpb24tdG9rZW4tLWV2ZW50cyE";
const INVITEE: &str = "noah.invitee@example.org";
/// The stored document: small, so that its object is put for real.
const DOCUMENT_BYTES: &[u8] = b"Tax return 2024: the sample document of events/README.md\n";

/// What each HTTP sample must answer on the seeded data, in the order they run (the
/// customer's reads before the access is closed, the registration before its confirmation).
const HTTP_SAMPLES: &[(&str, u16)] = &[
    // The staff account exists with the sample's password.
    ("auth/staff-login.json", 200),
    // A refresh token the pool never issued.
    ("auth/staff-refresh.json", 401),
    // The same answer with or without an account (this one has one).
    ("auth/staff-forgot-password.json", 202),
    ("contacts/get-me.json", 200),
    ("contacts/list-contacts.json", 200),
    ("contacts/get-contact.json", 200),
    ("contacts/create-contact.json", 201),
    ("documents/list-documents.json", 200),
    ("documents/get-document.json", 200),
    ("transfers/presign-download.json", 200),
    ("transfers/presign-upload.json", 201),
    ("settings/get-settings.json", 200),
    ("settings/update-settings.json", 200),
    ("sharing/list-contact-shares.json", 200),
    ("sharing/share-document.json", 200),
    ("customer/get-portal-me.json", 200),
    ("customer/list-shares.json", 200),
    ("customer/presign-download.json", 200),
    ("customer/presign-upload.json", 201),
    // Already active: opening it again changes nothing.
    ("portal-access/open-contact-access.json", 200),
    ("portal-access/close-contact-access.json", 200),
    // A new account: it waits for the code Cognito emails.
    ("registration/register.json", 202),
    ("registration/confirm.json", 200),
    // The company sign-up mode (the local stack's: open).
    ("registration/get-signup.json", 200),
];

#[tokio::test]
async fn every_sample_event_runs_through_its_handler() -> Result<()> {
    let root = xtask::paths::repo_root().join("events");
    let sdk = sdk().await;
    let functions = Functions::new(&sdk, &env().stack, &env().api_url)?;
    let seeded = seed().await?;
    let version = seeded.version.clone();

    // Every sample is run below: a new one must be given its expected answer here.
    let listed: BTreeSet<String> = HTTP_SAMPLES.iter().map(|(path, _)| (*path).to_owned()).collect();
    let on_disk = samples(&root)?;
    let queue: BTreeSet<String> = on_disk.iter().filter(|p| !listed.contains(*p)).cloned().collect();
    let expected_queue: BTreeSet<String> = [
        "jobs/sqs-chunk.json",
        "notifications/sqs-shares.json",
        "object-events/s3-object-created.json",
        "object-events/sqs-object-created.json",
    ]
    .map(str::to_owned)
    .into();
    ensure!(queue == expected_queue, "samples without an expected answer: {queue:?}");

    // The S3 notification, as this stack's bucket would send it for the document's object:
    // it settles the pending document, pinned to the version put. Then the same object's
    // direct notification is a replay, handled without a change; and the share-batch
    // message finds no batch (nothing shared through the API yet), so there is nothing to send.
    let tenant: TenantId = TENANT.parse()?;
    let document: DocumentId = DOCUMENT.parse()?;
    let event = for_this_stack(read(&root, "object-events/sqs-object-created.json")?, version.as_deref())?;
    let response = functions.invoke_queue("object-events", event).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(response, serde_json::json!({ "batchItemFailures": [] }));
    let settled = store().await.document(tenant, document).await?.context("the sample document")?;
    assert_eq!(settled.status, DocumentStatus::Available, "{settled:?}");
    assert_eq!(settled.version_id.as_ref().map(ToString::to_string), version, "the version put is pinned");

    let event = for_this_stack(read(&root, "object-events/s3-object-created.json")?, version.as_deref())?;
    let response = functions.invoke_queue("object-events", event).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(response, Value::Null, "a direct notification answers null when handled");
    assert_eq!(store().await.document(tenant, document).await?.as_ref(), Some(&settled), "the replay changed nothing");

    // The job chunk names no job of this stack: nothing to run, nothing reported failed.
    let event = read(&root, "jobs/sqs-chunk.json")?;
    let response = functions.invoke_queue("jobs", event).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(response, serde_json::json!({ "batchItemFailures": [] }));

    let event = read(&root, "notifications/sqs-shares.json")?;
    let response = functions.invoke_queue("notifications", event).await?.map_err(anyhow::Error::msg)?;
    assert_eq!(response, serde_json::json!({ "batchItemFailures": [] }));

    // The customer's listing is the view index, kept from the table's stream after the
    // seeded share and the settle above: it may lag them (behind the suite's other changes),
    // so the listing sample waits for it, a bounded time, before the samples run in turn.
    portal_tests::eventually(portal_tests::SETTLE, || async {
        let listed = functions.invoke_http("customer", read(&root, "customer/list-shares.json")?).await?;
        Ok(String::from_utf8_lossy(listed.body()).contains(DOCUMENT))
    })
    .await
    .context("the view index lists the shared document")?;

    for (path, status) in HTTP_SAMPLES {
        let function = path.split('/').next().expect("a directory");
        let response = functions.invoke_http(function, read(&root, path)?).await?;
        let (parts, body) = response.into_parts();
        let body = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(parts.status.as_u16(), *status, "{path}: {body}");
        let content_type = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if *status >= 400 {
            assert_eq!(content_type, "application/problem+json", "{path}");
        } else if !body.is_empty() {
            assert_eq!(content_type, "application/json", "{path}: {body}");
            let _: Value = serde_json::from_str(&body).with_context(|| format!("{path}: {body}"))?;
        }
        check(path, &body)?;
    }

    // What the samples wrote is there: the access closed, the invitee's account confirmed.
    let contact = store().await.contact(tenant, CONTACT.parse()?).await?.context("the sample contact")?;
    assert_eq!(contact.access_status, AccessStatus::Closed);
    let invitee = store().await.contact(tenant, seeded.invitee).await?.context("the invitee")?;
    assert_eq!(invitee.access_status, AccessStatus::Active, "confirming activated the invitation's contact");
    Ok(())
}

/// What a sample's answer must hold beyond its status.
fn check(path: &str, body: &str) -> Result<()> {
    let json: Value = if body.is_empty() { Value::Null } else { serde_json::from_str(body)? };
    match path {
        "auth/staff-login.json" => ensure!(json["accessToken"].is_string(), "{body}"),
        "contacts/get-me.json" => ensure!(json["email"] == STAFF_EMAIL && json["role"] == "admin", "{body}"),
        "contacts/get-contact.json" => ensure!(json["id"] == CONTACT && json["accessStatus"] == "active", "{body}"),
        "documents/get-document.json" => ensure!(json["id"] == DOCUMENT && json["status"] == "available", "{body}"),
        "transfers/presign-download.json" | "customer/presign-download.json" => {
            ensure!(json["download"]["url"].as_str().is_some_and(|url| url.contains(DOCUMENT)), "{body}")
        }
        "customer/list-shares.json" => ensure!(body.contains(DOCUMENT), "the shared document is listed: {body}"),
        "customer/get-portal-me.json" => ensure!(body.contains(TENANT), "the company is listed: {body}"),
        "auth/staff-forgot-password.json" => ensure!(json["status"].is_string(), "{body}"),
        "settings/update-settings.json" => ensure!(json["name"] == "Example Accounting LLP", "{body}"),
        _ => {}
    }
    Ok(())
}

/// The sample files, as paths relative to `events/`.
fn samples(root: &Path) -> Result<BTreeSet<String>> {
    let mut found = BTreeSet::new();
    for directory in std::fs::read_dir(root)? {
        let directory = directory?.path();
        if !directory.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&directory)? {
            let file = file?.path();
            if file.extension().is_some_and(|e| e == "json") {
                found.insert(file.strip_prefix(root)?.to_string_lossy().into_owned());
            }
        }
    }
    Ok(found)
}

fn read(root: &Path, path: &str) -> Result<Value> {
    let text = std::fs::read_to_string(root.join(path)).with_context(|| path.to_owned())?;
    serde_json::from_str(&text).with_context(|| path.to_owned())
}

/// An S3 notification sample (direct, or in an SQS record's body) naming this stack's
/// bucket and the object version that was put, as S3 would send it here: the sample's are
/// made up (the function ignores another bucket's objects).
fn for_this_stack(mut event: Value, version: Option<&str>) -> Result<Value> {
    let bucket = &env().stack.bucket;
    let rewrite = |notification: &mut Value| {
        for record in notification["Records"].as_array_mut().into_iter().flatten() {
            record["s3"]["bucket"]["name"] = bucket.as_str().into();
            record["s3"]["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
            let object = record["s3"]["object"].as_object_mut().expect("an object");
            object.insert("size".into(), DOCUMENT_BYTES.len().into());
            match version {
                Some(version) => object.insert("versionId".into(), version.into()),
                None => object.remove("versionId"),
            };
        }
    };
    for record in event["Records"].as_array_mut().into_iter().flatten() {
        if record["eventSource"] == "aws:sqs" {
            let mut notification: Value = serde_json::from_str(record["body"].as_str().context("an SQS body")?)?;
            rewrite(&mut notification);
            record["body"] = notification.to_string().into();
        }
    }
    if event["Records"][0]["eventSource"] == "aws:s3" {
        rewrite(&mut event);
    }
    Ok(event)
}

async fn store() -> Store {
    Store::new(aws_sdk_dynamodb::Client::new(&sdk().await), &env().stack.table)
}

/// What [`seed`] made that the checks need.
struct Seeded {
    /// The version id S3 gave the document's object (none from an unversioned bucket).
    version: Option<String>,
    /// The contact the registration sample's invitation is for.
    invitee: ContactId,
}

/// The data the samples name, written directly (the ids are fixed, so not through the
/// API): the company, its admin (the sample's `sub`, and a staff-pool account with the
/// sample's login), the contact with active access linked to the customer `sub`, the
/// document pending with its object put (the object-events sample settles it) and shared
/// with the contact, and the invitation `registration/register.json` answers.
async fn seed() -> Result<Seeded> {
    let sdk = sdk().await;
    let store = store().await;
    let now = OffsetDateTime::now_utc();
    let tenant_id: TenantId = TENANT.parse()?;
    let staff: UserSub = STAFF_SUB.parse()?;
    let tenant = Tenant {
        id: tenant_id,
        name: "Example Accounting".parse()?,
        slug: "sample-events".parse()?,
        accent_color: None,
        logo: None,
        notify_access_closed: false,
        status: TenantStatus::Active,
        created_at: now,
    };
    store.create_tenant(&tenant).await?;
    store
        .put_staff_member(&StaffMember {
            sub: staff.clone(),
            tenant_id,
            email: STAFF_EMAIL.parse()?,
            name: Some("Ana Admin".parse()?),
            role: Role::Admin,
            notify_submissions: None,
            submissions_seen_at: None,
            company_status: portal_shared::domain::TenantStatus::Active,
        })
        .await?;
    staff_pool_account(&sdk).await?;

    // The contact, then its activation by the customer account (what registering writes).
    let contact_id: ContactId = CONTACT.parse()?;
    let contact = |id, email: &str, name: &str| -> Result<Contact> {
        Ok(Contact {
            id,
            email: email.parse()?,
            name: name.parse()?,
            access_status: AccessStatus::Pending,
            organization_id: None,
            access_changed_at: Some(now),
            customer_sub: None,
            language: Language::default(),
            created_at: now,
            created_by: staff.clone(),
        })
    };
    store
        .create_contact(tenant_id, &contact(contact_id, "riley.customer@example.org", "Riley Customer")?, None)
        .await?;
    let customer: UserSub = CUSTOMER_SUB.parse()?;
    let token = tokens::new_token();
    let invitation = |contact_id, email: &str| -> Result<InvitationToken> {
        Ok(InvitationToken {
            tenant_id,
            contact_id,
            email: email.parse()?,
            valid_until: now + time::Duration::days(7),
            used_at: None,
        })
    };
    let riley = invitation(contact_id, "riley.customer@example.org")?;
    store.put_invitation_token(&tokens::hash(&token), &riley).await?;
    let activated = ActivityEvent::new(
        Action::AccessActivated,
        Actor { kind: UploaderKind::Customer, sub: customer.clone(), email: None },
        now,
    )
    .contact(contact_id);
    store.link_account(&tokens::hash(&token), &riley, &customer, now, &activated).await?;

    // The invitee of the registration sample: a pending contact and its invitation.
    let invitee = ContactId::new();
    store.create_contact(tenant_id, &contact(invitee, INVITEE, "Noah Invitee")?, None).await?;
    store.put_invitation_token(&tokens::hash(INVITATION_TOKEN), &invitation(invitee, INVITEE)?).await?;

    // The document: pending, its object put, shared with the contact.
    let document_id: DocumentId = DOCUMENT.parse()?;
    let mut document = Document::pending(
        tenant_id,
        "Tax return 2024.txt".parse()?,
        "text/plain".parse()?,
        DOCUMENT_BYTES.len() as u64,
        staff.clone(),
        UploaderKind::Staff,
    );
    document.id = document_id;
    store.create_document(&document, now + time::Duration::days(1)).await?;
    let put = aws_sdk_s3::Client::new(&sdk)
        .put_object()
        .bucket(&env().stack.bucket)
        .key(document.object_key().to_string())
        .content_type("text/plain")
        .body(DOCUMENT_BYTES.to_vec().into())
        .send()
        .await?;
    let share = Share {
        contact_id,
        item: ItemRef::Document(document_id),
        shared_by: staff,
        shared_at: now,
        available_until: None,
    };
    store.put_share(tenant_id, &share, None).await?;
    Ok(Seeded { version: put.version_id, invitee })
}

/// The staff-pool account of the login sample (its `sub` is Cognito's, not the sample's:
/// signing in needs no membership).
async fn staff_pool_account(sdk: &aws_config::SdkConfig) -> Result<()> {
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(sdk);
    let pool = &env().stack.staff_pool.id;
    cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(STAFF_EMAIL)
        .user_attributes(AttributeType::builder().name("email").value(STAFF_EMAIL).build()?)
        .user_attributes(AttributeType::builder().name("email_verified").value("true").build()?)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .context("AdminCreateUser")?;
    cognito
        .admin_set_user_password()
        .user_pool_id(pool)
        .username(STAFF_EMAIL)
        .password(STAFF_PASSWORD)
        .permanent(true)
        .send()
        .await
        .context("AdminSetUserPassword")?;
    Ok(())
}

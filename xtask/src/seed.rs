//! Creating tenants and staff accounts directly (there is no self-service sign-up for
//! companies): used by `cargo xtask dev` for the demo tenant and by the tests, which make a
//! fresh tenant each so they never see each other's data.

use anyhow::{Context, Result};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use portal_shared::domain::{Email, Role, TenantId, UserSub};
use portal_shared::identity::StaffMember;
use portal_shared::model::Tenant;
use portal_shared::store::Store;
use time::OffsetDateTime;

use crate::client::ApiClient;
use crate::provision::Stack;

pub struct Seeder {
    stack: Stack,
    store: Store,
    cognito: aws_sdk_cognitoidentityprovider::Client,
}

/// A staff account that can sign in.
#[derive(Debug, Clone)]
pub struct StaffAccount {
    pub member: StaffMember,
    pub password: String,
}

impl Seeder {
    pub async fn new(stack: &Stack) -> Self {
        let sdk = stack.sdk_config().await;
        Self {
            stack: stack.clone(),
            store: Store::new(aws_sdk_dynamodb::Client::new(&sdk), &stack.table),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&sdk),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn tenant(&self, name: &str, slug: &str) -> Result<Tenant> {
        let tenant = Tenant {
            id: TenantId::new(),
            name: name.parse()?,
            slug: slug.parse()?,
            accent_color: None,
            logo: None,
            notify_access_closed: false,
            created_at: OffsetDateTime::now_utc(),
        };
        self.store.create_tenant(&tenant).await?;
        Ok(tenant)
    }

    /// A staff user in the staff pool (password set, no invitation email) bound to the
    /// tenant with `role`.
    pub async fn staff(&self, tenant: TenantId, email: &str, role: Role, password: &str) -> Result<StaffAccount> {
        let email: Email = email.parse()?;
        let pool = &self.stack.staff_pool.id;
        let created = self
            .cognito
            .admin_create_user()
            .user_pool_id(pool)
            .username(email.as_str())
            .user_attributes(AttributeType::builder().name("email").value(email.as_str()).build()?)
            .user_attributes(AttributeType::builder().name("email_verified").value("true").build()?)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .context("AdminCreateUser")?;
        let sub = created
            .user
            .and_then(|u| u.attributes)
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.name == "sub")
            .and_then(|a| a.value)
            .context("the new user has no sub")?;
        self.cognito
            .admin_set_user_password()
            .user_pool_id(pool)
            .username(email.as_str())
            .password(password)
            .permanent(true)
            .send()
            .await
            .context("AdminSetUserPassword")?;
        let group = match role {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        };
        self.cognito
            .admin_add_user_to_group()
            .user_pool_id(pool)
            .username(email.as_str())
            .group_name(group)
            .send()
            .await
            .context("AdminAddUserToGroup")?;
        let member = StaffMember {
            sub: sub.parse::<UserSub>()?,
            tenant_id: tenant,
            email,
            name: None,
            role,
            notify_submissions: None,
            submissions_seen_at: None,
        };
        self.store.put_staff_member(&member).await?;
        Ok(StaffAccount { member, password: password.to_owned() })
    }
}

/// Fills the demo tenant through the real API (as the member): contacts and a few
/// documents uploaded with presigned URLs. Returns a one-line summary.
pub async fn demo_content(api_url: &str, email: &str, password: &str) -> Result<String> {
    let api = ApiClient::staff_login(api_url, email, password).await?;
    let contacts = [("Chloé Martin", "chloe.martin@client.example"), ("Bob Stone", "bob@stone-industries.example")];
    let mut first = None;
    for (name, email) in contacts {
        let contact = api.post("/contacts", serde_json::json!({ "name": name, "email": email })).await?.expect(201)?;
        first.get_or_insert(contact["id"].as_str().context("contact without id")?.to_owned());
    }
    // The first contact is invited to the portal (its access is pending until they register).
    let invited = first.context("no contact")?;
    api.send(reqwest::Method::POST, &format!("/contacts/{invited}/access"), None).await?.expect(200)?;
    let documents: [(&str, &str, &[u8]); 3] = [
        ("Welcome.txt", "text/plain", b"Welcome to the Acme customer portal.\n"),
        ("Invoice 2026-041.csv", "text/csv", b"item,amount\nBookkeeping,1200\nPayroll,300\n"),
        ("Engagement letter.pdf", "application/pdf", b"%PDF-1.4\n% demo document\n%%EOF\n"),
    ];
    for (name, content_type, bytes) in documents {
        let document = api.upload(name, content_type, bytes).await?;
        let id = document["id"].as_str().context("document without id")?;
        api.wait_settled(id, std::time::Duration::from_secs(30)).await?;
    }
    Ok(format!("{} contacts, one invited to the portal, {} documents", contacts.len(), documents.len()))
}

/// The registration token in the last invitation the emulator's SES sent to `email`
/// (moto keeps sent messages at `/moto-api/data.json`).
pub async fn invitation_token(endpoint: &str, email: &str) -> Result<String> {
    const MARK: &str = "register?token=";
    let data: serde_json::Value = reqwest::get(format!("{endpoint}/moto-api/data.json")).await?.json().await?;
    let messages = data["ses"]["RawMessage"].as_array().cloned().unwrap_or_default();
    let last = messages
        .iter()
        .rev()
        .find(|m| m["destinations"].as_array().is_some_and(|to| to.iter().any(|a| a == email)))
        .with_context(|| format!("no email to {email}"))?;
    let raw = last["raw_data"].as_str().unwrap_or_default();
    let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).context("an email that does not parse")?;
    let text = parsed.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let at = text.find(MARK).with_context(|| format!("no registration link in {text}"))?;
    Ok(text[at + MARK.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
}

/// A contact of `staff`'s company who registered from the emailed invitation and signed
/// in: the whole flow through the API. Returns the customer's client and the contact id.
pub async fn registered_customer(
    api_url: &str,
    endpoint: &str,
    staff: &ApiClient,
    email: &str,
    password: &str,
) -> Result<(ApiClient, String)> {
    let contact = staff.post("/contacts", serde_json::json!({ "email": email, "name": email })).await?.expect(201)?;
    let contact_id = contact["id"].as_str().unwrap_or_default().to_owned();
    staff.send(reqwest::Method::POST, &format!("/contacts/{contact_id}/access"), None).await?.expect(200)?;
    let token = invitation_token(endpoint, email).await?;
    let anonymous = ApiClient::anonymous(api_url);
    anonymous.post("/registration", serde_json::json!({ "token": token, "password": password })).await?.expect(202)?;
    // moto accepts any confirmation code.
    anonymous
        .post("/registration/confirm", serde_json::json!({ "email": email, "code": "123456" }))
        .await?
        .expect(200)?;
    let tokens = anonymous
        .post("/auth/customer/login", serde_json::json!({ "email": email, "password": password }))
        .await?
        .expect(200)?;
    Ok((anonymous.with_token(tokens["accessToken"].as_str().unwrap_or_default()), contact_id))
}

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
        let member =
            StaffMember { sub: sub.parse::<UserSub>()?, tenant_id: tenant, email, role, notify_submissions: None };
        self.store.put_staff_member(&member).await?;
        Ok(StaffAccount { member, password: password.to_owned() })
    }
}

/// Fills the demo tenant through the real API (as the member): contacts and a few
/// documents uploaded with presigned URLs. Returns a one-line summary.
pub async fn demo_content(api_url: &str, email: &str, password: &str) -> Result<String> {
    let api = crate::client::ApiClient::staff_login(api_url, email, password).await?;
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

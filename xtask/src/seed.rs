//! Creating tenants and staff accounts directly (there is no self-service sign-up for
//! companies): used by `cargo xtask dev` for the demo tenant and by the tests, which make a
//! fresh tenant each so they never see each other's data.

use anyhow::{Context, Result};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use portal_shared::domain::{Email, Role, TenantId, TenantStatus, UserSub};
use portal_shared::identity::StaffMember;
use portal_shared::model::Tenant;
use portal_shared::store::Store;
use time::OffsetDateTime;

use crate::client::ApiClient;
use crate::mailbox::Mailbox;
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
            status: TenantStatus::Active,
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
            company_status: TenantStatus::Active,
        };
        self.store.put_staff_member(&member).await?;
        Ok(StaffAccount { member, password: password.to_owned() })
    }
}

/// A company of the demo and who can sign in to its dashboard.
#[derive(Debug, Clone)]
pub struct DemoCompany {
    pub tenant: Tenant,
    pub staff: Vec<(Role, String)>,
}

/// What `cargo xtask dev` starts with: two companies sharing with one registered customer.
#[derive(Debug, Clone)]
pub struct Demo {
    pub companies: Vec<DemoCompany>,
    /// The registered customer both companies share with.
    pub customer: String,
    /// One line per company on what it holds.
    pub contents: Vec<String>,
}

/// The demo, seeded the way a company would fill it: the tenants and staff accounts
/// directly (there is no sign-up route yet), everything else through the API of the running
/// gateway at `api_url` — contacts, a logo and colour, documents uploaded with presigned
/// URLs (a folder among them), portal invitations answered from the emailed links (read
/// from the mailbox of the emulator at `endpoint`), shares, and a submission back. Every
/// account's password is `password`.
pub async fn demo(seeder: &Seeder, api_url: &str, endpoint: &str, password: &str) -> Result<Demo> {
    const CUSTOMER: &str = "chloe.martin@client.example";
    let settle = std::time::Duration::from_secs(30);
    let mut companies = Vec::new();
    let mut contents = Vec::new();

    // Acme Accounting: three staff roles, its own colour and logo.
    let acme = seeder.tenant("Acme Accounting", "acme").await?;
    let mut staff = Vec::new();
    for (role, email) in [
        (Role::Admin, "admin@acme.example"),
        (Role::Member, "member@acme.example"),
        (Role::Viewer, "viewer@acme.example"),
    ] {
        seeder.staff(acme.id, email, role, password).await?;
        staff.push((role, email.to_owned()));
    }
    companies.push(DemoCompany { tenant: acme.clone(), staff });
    let admin = ApiClient::staff_login(api_url, "admin@acme.example", password).await?;
    admin
        .send(reqwest::Method::PATCH, "/settings", Some(serde_json::json!({ "accentColor": "#0f766e" })))
        .await?
        .expect(200)?;
    set_logo(&admin, include_bytes!("demo-logo.png"), settle).await?;

    let member = ApiClient::staff_login(api_url, "member@acme.example", password).await?;
    let mut uploaded = 0;
    let mut root = Vec::new();
    for (name, content_type, bytes) in [
        ("Welcome.txt", "text/plain", &b"Welcome to the Acme customer portal.\n"[..]),
        ("Invoice 2026-041.csv", "text/csv", b"item,amount\nBookkeeping,1200\nPayroll,300\n"),
        ("Engagement letter.pdf", "application/pdf", b"%PDF-1.4\n% demo document\n%%EOF\n"),
    ] {
        root.push(settled(&member, None, name, content_type, bytes, settle).await?);
        uploaded += 1;
    }
    let folder = member.post("/folders", serde_json::json!({ "name": "Year-end 2026" })).await?.expect(201)?;
    let folder = id_of(&folder)?;
    for (name, content_type, bytes) in [
        ("Balance sheet 2026.csv", "text/csv", &b"account,debit,credit\nCash,15200,\nRevenue,,48100\n"[..]),
        ("Payroll summary.txt", "text/plain", b"Payroll 2026: 12 payslips, 3 employees.\n"),
    ] {
        settled(&member, Some(&folder), name, content_type, bytes, settle).await?;
        uploaded += 1;
    }
    let chloe = contact(&member, "Chloé Martin", CUSTOMER).await?;
    let customer = register_invited(api_url, endpoint, &member, &chloe, CUSTOMER, password).await?;
    share(&member, &[("folder", &folder), ("document", &root[2])], &chloe).await?;
    // Bob is invited and has not registered yet: his invitation waits in the mailbox.
    let bob = contact(&member, "Bob Stone", "bob@stone-industries.example").await?;
    member.send(reqwest::Method::POST, &format!("/contacts/{bob}/access"), None).await?.expect(200)?;
    let submission = customer
        .submit(&acme.id.to_string(), "Bank statement 2026-03.csv", "text/csv", b"date,amount\n03-31,-120\n")
        .await?;
    member.wait_settled(&id_of(&submission)?, settle).await?;
    contents.push(format!(
        "{}: {uploaded} documents (2 in the folder \"Year-end 2026\"); contacts Chloé Martin (registered; the folder \
         and the engagement letter shared with her; she sent one document back) and Bob Stone (invited, not registered)",
        acme.name
    ));

    // Northwind Logistics shares with the same customer: one account, two companies.
    let northwind = seeder.tenant("Northwind Logistics", "northwind").await?;
    seeder.staff(northwind.id, "admin@northwind.example", Role::Admin, password).await?;
    companies
        .push(DemoCompany { tenant: northwind.clone(), staff: vec![(Role::Admin, "admin@northwind.example".into())] });
    let northwind_admin = ApiClient::staff_login(api_url, "admin@northwind.example", password).await?;
    let report = settled(
        &northwind_admin,
        None,
        "Delivery report 2026-11.pdf",
        "application/pdf",
        b"%PDF-1.4\n% delivery report\n%%EOF\n",
        settle,
    )
    .await?;
    let chloe_at_northwind = contact(&northwind_admin, "Chloé Martin", CUSTOMER).await?;
    register_invited(api_url, endpoint, &northwind_admin, &chloe_at_northwind, CUSTOMER, password).await?;
    share(&northwind_admin, &[("document", &report)], &chloe_at_northwind).await?;
    contents.push(format!("{}: 1 document, shared with Chloé Martin", northwind.name));

    Ok(Demo { companies, customer: CUSTOMER.to_owned(), contents })
}

fn id_of(item: &serde_json::Value) -> Result<String> {
    item["id"].as_str().map(str::to_owned).with_context(|| format!("no id in {item}"))
}

async fn contact(staff: &ApiClient, name: &str, email: &str) -> Result<String> {
    id_of(&staff.post("/contacts", serde_json::json!({ "name": name, "email": email })).await?.expect(201)?)
}

async fn settled(
    staff: &ApiClient,
    folder: Option<&str>,
    name: &str,
    content_type: &str,
    bytes: &[u8],
    timeout: std::time::Duration,
) -> Result<String> {
    let id = id_of(&staff.upload_into(folder, name, content_type, bytes).await?)?;
    staff.wait_settled(&id, timeout).await?;
    Ok(id)
}

async fn share(staff: &ApiClient, items: &[(&str, &str)], contact: &str) -> Result<()> {
    let items: Vec<_> = items.iter().map(|(kind, id)| serde_json::json!({ "kind": kind, "id": id })).collect();
    staff.post("/shares", serde_json::json!({ "items": items, "contactIds": [contact] })).await?.expect(200)?;
    Ok(())
}

/// The company's logo (`POST /settings/logo`, the PUT), once object-events has applied it.
async fn set_logo(admin: &ApiClient, png: &[u8], timeout: std::time::Duration) -> Result<()> {
    let ticket = admin
        .post("/settings/logo", serde_json::json!({ "contentType": "image/png", "size": png.len() }))
        .await?
        .expect(201)?;
    crate::client::put_presigned(&ticket["upload"], png.to_vec()).await?;
    let deadline = std::time::Instant::now() + timeout;
    while admin.get("/settings").await?.expect(200)?["logo"]["id"] != ticket["logo"]["id"] {
        anyhow::ensure!(std::time::Instant::now() < deadline, "the demo logo was not applied in {timeout:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(())
}

/// Opens `contact`'s portal access and answers the emailed invitation as the customer
/// would: a new account signs up and confirms (moto accepts any code); an existing one
/// proves its password and is linked at once. Returns the signed-in customer.
pub async fn register_invited(
    api_url: &str,
    endpoint: &str,
    staff: &ApiClient,
    contact: &str,
    email: &str,
    password: &str,
) -> Result<ApiClient> {
    staff.send(reqwest::Method::POST, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
    let token = Mailbox::new(endpoint).invitation_token(email).await?;
    let anonymous = ApiClient::anonymous(api_url);
    let registered =
        anonymous.post("/registration", serde_json::json!({ "token": token, "password": password })).await?;
    if registered.status == 202 {
        anonymous
            .post("/registration/confirm", serde_json::json!({ "email": email, "code": "123456" }))
            .await?
            .expect(200)?;
    } else {
        registered.expect(200)?;
    }
    let tokens = anonymous
        .post("/auth/customer/login", serde_json::json!({ "email": email, "password": password }))
        .await?
        .expect(200)?;
    Ok(anonymous.with_token(tokens["accessToken"].as_str().unwrap_or_default()))
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
    let contact_id = contact(staff, email, email).await?;
    let customer = register_invited(api_url, endpoint, staff, &contact_id, email, password).await?;
    Ok((customer, contact_id))
}

//! The data the benchmarks run against: a company with an admin, a registered customer
//! with an active access, a folder, a document (uploaded and settled) shared with the
//! customer, and an account that signed up but has not confirmed its email yet (who
//! asks for the code again). Seeded through the real API, like a user would.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use portal_shared::domain::Role;
use serde_json::{Value, json};

use xtask::client::ApiClient;
use xtask::provision::Stack;
use xtask::seed::{Seeder, registered_customer};

pub const STAFF_PASSWORD: &str = "Bench-Passw0rd!1";
pub const CUSTOMER_PASSWORD: &str = "Bench-Customer-Passw0rd!2";

/// More items than one page of a listing holds (`pagination`'s default of 50).
const FULL_PAGE: usize = portal_shared::pagination::DEFAULT_LIMIT as usize + 10;

pub struct Scenario {
    pub tenant_id: String,
    pub staff_email: String,
    pub staff: ApiClient,
    /// A member of the company (signed in once, so with a password of their own): whom the
    /// admin sends a password reset.
    pub member_sub: String,
    pub customer_email: String,
    pub customer: ApiClient,
    /// Signed up, not confirmed: `POST /registration/resend` is for them.
    pub unconfirmed_email: String,
    pub contact_id: String,
    pub folder_id: String,
    pub document_id: String,
}

impl Scenario {
    pub async fn seed(stack: &Stack, api_url: &str) -> Result<Self> {
        let seeder = Seeder::new(stack).await;
        let slug = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let tenant = seeder.tenant("Bench Company", &slug).await?;
        let staff_email = format!("admin@{slug}.example");
        seeder.staff(tenant.id, &staff_email, Role::Admin, STAFF_PASSWORD).await?;
        let staff = ApiClient::staff_login(api_url, &staff_email, STAFF_PASSWORD).await?;
        let member = seeder.staff(tenant.id, &format!("member@{slug}.example"), Role::Member, STAFF_PASSWORD).await?;
        let member_sub = member.member.sub.to_string();
        let customer_email = format!("customer@{slug}.example");
        let (customer, contact_id) =
            registered_customer(api_url, &stack.endpoint, &staff, &customer_email, CUSTOMER_PASSWORD).await?;
        let folder = staff.post("/folders", json!({ "name": "Statements" })).await?.expect(201)?;
        let folder_id = id(&folder)?;
        let document = staff.upload("statement.pdf", "application/pdf", &[b'%'; 48 * 1024]).await?;
        let document_id = id(&document)?;
        staff.wait_settled(&document_id, Duration::from_secs(30)).await?;
        let shared = staff
            .post(
                "/shares",
                json!({ "items": [{ "kind": "document", "id": document_id }], "contactIds": [contact_id] }),
            )
            .await?;
        ensure!(shared.status < 300, "sharing failed: {} {}", shared.status, shared.json);
        // More than a page (50) of what the listing routes list, so that each is measured
        // on a full page: documents, the customer's submissions, a document's and a
        // contact's activity (downloads by staff and by the customer).
        let tenant_id = tenant.id.to_string();
        for n in 0..FULL_PAGE {
            let upload = json!({ "fileName": format!("seed-{n}.pdf"), "contentType": "application/pdf", "size": 1024 });
            staff.post("/uploads", upload.clone()).await?.expect(201)?;
            customer.post(&format!("/portal/companies/{tenant_id}/uploads"), upload).await?.expect(201)?;
            staff.get(&format!("/documents/{document_id}/download")).await?.expect(200)?;
            customer
                .get(&format!("/portal/companies/{tenant_id}/documents/{document_id}/download"))
                .await?
                .expect(200)?;
        }
        let unconfirmed_email = format!("unconfirmed@{slug}.example");
        aws_sdk_cognitoidentityprovider::Client::new(&stack.sdk_config().await)
            .sign_up()
            .client_id(&stack.customer_pool.client_id)
            .username(&unconfirmed_email)
            .password(CUSTOMER_PASSWORD)
            .send()
            .await
            .context("signing the unconfirmed account up")?;
        Ok(Self {
            tenant_id,
            staff_email,
            staff,
            member_sub,
            customer_email,
            customer,
            unconfirmed_email,
            contact_id,
            folder_id,
            document_id,
        })
    }
}

pub fn id(item: &Value) -> Result<String> {
    item["id"].as_str().map(str::to_owned).with_context(|| format!("no id in {item}"))
}

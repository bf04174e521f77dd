//! Write requests prepared on fresh data, one kind per write route that changes several
//! items or calls several services: what the fault tests fail step by step and the
//! AWS-calls budget test counts.

use anyhow::{Context, Result};
use portal_tests::{
    CUSTOMER_PASSWORD, TenantFixture, customer_with_a_shared_document, env, invitation_token, tenant_fixture, unique,
};
use reqwest::Method;
use serde_json::{Value, json};
use xtask::client::ApiClient;

/// One write request, prepared on fresh data, with the markers of what it touches.
pub struct Attempt {
    pub caller: ApiClient,
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    pub markers: Vec<String>,
}

/// What the write cases have to work with: a company, a settled document, and a customer
/// who registered and can see that document.
pub struct World {
    pub t: TenantFixture,
    pub document: String,
    pub customer: ApiClient,
}

pub async fn world() -> Result<World> {
    let t = tenant_fixture().await?;
    let (customer, _, document) = customer_with_a_shared_document(&t, "Faults.txt", b"fault tolerant").await?;
    Ok(World { t, document, customer })
}

/// The write routes whose failure could leave something half-written: the ones that
/// change several items, or items and another service (Cognito, S3, SES, SQS).
#[derive(Debug, Clone, Copy)]
pub enum Write {
    CreateContact,
    OpenAccess,
    CloseAccess,
    Share,
    Unshare,
    StaffUpload,
    RenameDocument,
    InviteStaff,
    Register,
    CustomerDownload,
    CustomerUpload,
    ConfirmRegistration,
    DeleteDocument,
    DeleteContact,
}

pub const WRITES: &[Write] = &[
    Write::CreateContact,
    Write::OpenAccess,
    Write::CloseAccess,
    Write::Share,
    Write::Unshare,
    Write::StaffUpload,
    Write::RenameDocument,
    Write::InviteStaff,
    Write::Register,
    Write::CustomerDownload,
    Write::CustomerUpload,
    Write::ConfirmRegistration,
    Write::DeleteDocument,
    Write::DeleteContact,
];

pub async fn new_contact(w: &World) -> Result<(String, String)> {
    let email = format!("{}@faults.example", unique("contact"));
    let contact = w.t.member.post("/contacts", json!({ "email": email, "name": "Fault Tester" })).await?.expect(201)?;
    Ok((contact["id"].as_str().context("contact id")?.to_owned(), email))
}

impl Write {
    pub async fn prepare(self, w: &World) -> Result<Attempt> {
        let member = w.t.member.clone();
        let tenant = w.t.tenant.id.to_string();
        let attempt = |caller: &ApiClient, method: Method, path: String, body: Option<Value>, markers: Vec<String>| {
            Attempt { caller: caller.clone(), method, path, body, markers }
        };
        Ok(match self {
            Self::CreateContact => {
                let email = format!("{}@faults.example", unique("new"));
                let body = json!({ "email": email, "name": "New Contact" });
                attempt(&member, Method::POST, "/contacts".into(), Some(body), vec![email])
            }
            Self::OpenAccess => {
                let (contact, email) = new_contact(w).await?;
                attempt(&member, Method::POST, format!("/contacts/{contact}/access"), None, vec![contact, email])
            }
            Self::CloseAccess => {
                let (contact, email) = new_contact(w).await?;
                member.send(Method::POST, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
                attempt(&member, Method::DELETE, format!("/contacts/{contact}/access"), None, vec![contact, email])
            }
            Self::Share => {
                let (contact, email) = new_contact(w).await?;
                let body = json!({ "items": [{ "kind": "document", "id": w.document }], "contactIds": [contact] });
                attempt(&member, Method::POST, "/shares".into(), Some(body), vec![contact, email])
            }
            Self::Unshare => {
                let (contact, email) = new_contact(w).await?;
                let body = json!({ "items": [{ "kind": "document", "id": w.document }], "contactIds": [contact] });
                member.post("/shares", body).await?.expect(200)?;
                let path = format!("/contacts/{contact}/shares/{}", w.document);
                attempt(&member, Method::DELETE, path, None, vec![contact, email])
            }
            Self::StaffUpload => {
                let name = format!("{}.txt", unique("upload"));
                let body = json!({ "fileName": name, "contentType": "text/plain", "size": 5 });
                attempt(&member, Method::POST, "/uploads".into(), Some(body), vec![name])
            }
            Self::RenameDocument => {
                let name = format!("{}.txt", unique("renamed"));
                let path = format!("/documents/{}", w.document);
                attempt(&member, Method::PATCH, path, Some(json!({ "name": name })), vec![name])
            }
            Self::InviteStaff => {
                let email = format!("{}@faults.example", unique("staff"));
                let body = json!({ "email": email, "role": "viewer" });
                attempt(&w.t.admin, Method::POST, "/staff".into(), Some(body), vec![email])
            }
            Self::Register => {
                let (contact, email) = new_contact(w).await?;
                member.send(Method::POST, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
                let token = invitation_token(&email).await?;
                let body = json!({ "token": token, "password": CUSTOMER_PASSWORD });
                let anonymous = ApiClient::anonymous(&env().api_url);
                attempt(&anonymous, Method::POST, "/registration".into(), Some(body), vec![contact, email])
            }
            Self::CustomerDownload => {
                let path = format!("/portal/companies/{tenant}/documents/{}/download", w.document);
                // The download's trail event names the document; count them.
                attempt(&w.customer, Method::GET, path, None, vec![format!("\"documentId\":\"{}\"", w.document)])
            }
            Self::CustomerUpload => {
                let name = format!("{}.txt", unique("back"));
                let body = json!({ "fileName": name, "contentType": "text/plain", "size": 5 });
                let path = format!("/portal/companies/{tenant}/uploads");
                attempt(&w.customer, Method::POST, path, Some(body), vec![name])
            }
            Self::ConfirmRegistration => {
                let (contact, email) = new_contact(w).await?;
                member.send(Method::POST, &format!("/contacts/{contact}/access"), None).await?.expect(200)?;
                let token = invitation_token(&email).await?;
                let anonymous = ApiClient::anonymous(&env().api_url);
                let registration = json!({ "token": token, "password": CUSTOMER_PASSWORD });
                anonymous.post("/registration", registration).await?.expect(202)?;
                // moto accepts any confirmation code.
                let body = json!({ "email": email, "code": "123456" });
                attempt(&anonymous, Method::POST, "/registration/confirm".into(), Some(body), vec![contact, email])
            }
            Self::DeleteDocument => {
                let name = format!("{}.txt", unique("doomed"));
                let document = member.upload(&name, "text/plain", b"short-lived").await?;
                let id = document["id"].as_str().context("document id")?.to_owned();
                member.wait_settled(&id, portal_tests::SETTLE).await?;
                attempt(&member, Method::DELETE, format!("/documents/{id}"), None, vec![id])
            }
            Self::DeleteContact => {
                let (contact, email) = new_contact(w).await?;
                attempt(&member, Method::DELETE, format!("/contacts/{contact}"), None, vec![contact, email])
            }
        })
    }
}

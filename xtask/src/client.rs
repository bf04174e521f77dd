//! A small client of the portal's HTTP API, as a browser would use it: sign in, call
//! routes with the bearer token, upload straight to S3 with the presigned request.
//! Used to seed the demo tenant through the real API and by the end-to-end tests.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// A response with its body parsed as JSON (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub content_type: String,
    /// The `Retry-After` header, when there is one (503, 429).
    pub retry_after: Option<String>,
    pub json: Value,
}

impl ApiResponse {
    /// The JSON body if the status is `expected`, otherwise an error showing the body.
    pub fn expect(self, expected: u16) -> Result<Value> {
        ensure!(self.status == expected, "expected {expected}, got {}: {}", self.status, self.json);
        Ok(self.json)
    }
}

impl ApiClient {
    pub fn anonymous(base: &str) -> Self {
        Self::anonymous_with(reqwest::Client::new(), base)
    }

    /// [`anonymous`](Self::anonymous) over a given client (e.g. one with a timeout).
    pub fn anonymous_with(http: reqwest::Client, base: &str) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned(), token: None }
    }

    /// The bearer token this client sends, if signed in.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn with_token(&self, token: &str) -> Self {
        Self { token: Some(token.to_owned()), ..self.clone() }
    }

    /// Signs a staff user in and returns a client carrying the access token.
    pub async fn staff_login(base: &str, email: &str, password: &str) -> Result<Self> {
        let anonymous = Self::anonymous(base);
        let tokens = anonymous
            .send(Method::POST, "/auth/staff/login", Some(json!({ "email": email, "password": password })))
            .await?
            .expect(200)?;
        let token = tokens["accessToken"].as_str().context("no accessToken")?;
        Ok(anonymous.with_token(token))
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<ApiResponse> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::read(request.send().await?).await
    }

    /// Sends a raw body (for malformed-input tests).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<ApiResponse> {
        let mut request = self.http.request(method, format!("{}{path}", self.base)).body(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        Self::read(request.send().await?).await
    }

    async fn read(response: reqwest::Response) -> Result<ApiResponse> {
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = response.bytes().await?;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(ApiResponse { status, content_type, retry_after, json })
    }

    pub async fn get(&self, path: &str) -> Result<ApiResponse> {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<ApiResponse> {
        self.send(Method::POST, path, Some(body)).await
    }

    /// Asks for a presigned upload, then PUTs the bytes straight to S3 with exactly the
    /// signed headers. Returns the (pending) document.
    pub async fn upload(&self, file_name: &str, content_type: &str, bytes: &[u8]) -> Result<Value> {
        self.upload_into(None, file_name, content_type, bytes).await
    }

    /// `upload`, into a drive folder (`None`: the root).
    pub async fn upload_into(
        &self,
        folder: Option<&str>,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<Value> {
        let mut body = json!({ "fileName": file_name, "contentType": content_type, "size": bytes.len() });
        if let Some(folder) = folder {
            body["folderId"] = json!(folder);
        }
        self.put_ticket(self.post("/uploads", body).await?.expect(201)?, bytes).await
    }

    /// A customer's upload back to a company (`POST /portal/companies/{tenantId}/uploads`,
    /// then the PUT). Returns the (pending) submission.
    pub async fn submit(&self, tenant: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Result<Value> {
        let body = json!({ "fileName": file_name, "contentType": content_type, "size": bytes.len() });
        self.put_ticket(self.post(&format!("/portal/companies/{tenant}/uploads"), body).await?.expect(201)?, bytes)
            .await
    }

    async fn put_ticket(&self, ticket: Value, bytes: &[u8]) -> Result<Value> {
        put_presigned(&ticket["upload"], bytes.to_vec()).await?;
        Ok(ticket["document"].clone())
    }

    /// Polls a document until object-events has settled it (or `timeout` passes).
    pub async fn wait_settled(&self, document_id: &str, timeout: Duration) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let document = self.get(&format!("/documents/{document_id}")).await?.expect(200)?;
            if document["status"] != "pending" {
                return Ok(document);
            }
            if Instant::now() > deadline {
                bail!("document {document_id} still pending after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Sends bytes with a presigned request (`{method, url, headers}`) as a browser would.
pub async fn put_presigned(upload: &Value, bytes: Vec<u8>) -> Result<reqwest::Response> {
    put_presigned_with(&reqwest::Client::new(), upload, bytes).await
}

/// [`put_presigned`] over a given client.
pub async fn put_presigned_with(http: &reqwest::Client, upload: &Value, bytes: Vec<u8>) -> Result<reqwest::Response> {
    let method: Method = upload["method"].as_str().context("no method")?.parse()?;
    let mut request = http.request(method, upload["url"].as_str().context("no url")?);
    for (name, value) in upload["headers"].as_object().into_iter().flatten() {
        // The client computes content-length from the body itself.
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name, value.as_str().unwrap_or_default());
        }
    }
    let response = request.body(bytes).send().await?;
    ensure!(response.status().is_success(), "presigned upload failed: {}", response.status());
    Ok(response)
}

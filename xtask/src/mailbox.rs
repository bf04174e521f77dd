//! The local mailbox: every email the portal sent through the emulator's SES, read from the
//! capture `moto_server.py` keeps on purpose (`GET /moto-api/portal/mailbox`, one list under
//! its own lock), parsed as a mail client would.
//!
//! The tests, the seeding (`seed::registered_customer`) and people (the mailbox page the
//! local gateway serves at `/_mailbox`, in the spirit of Mailpit) all read mail this way.
//! It exists only in the local stack: the SAM template has no such route or bucket.

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

/// Where `moto_server.py` serves the captured messages (`?to=` narrows to one recipient).
pub const MOTO_MAILBOX_PATH: &str = "/moto-api/portal/mailbox";
/// Where the local gateway serves the mailbox page.
pub const PAGE_PATH: &str = "/_mailbox";

/// One captured message as moto's SES accepted it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Captured {
    id: String,
    sent_at: f64,
    to: Vec<String>,
    raw: String,
}

/// A sent email, parsed from its raw MIME: both alternatives, the headers a reader sees.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentEmail {
    pub id: String,
    /// RFC 3339, when SES accepted it.
    pub sent_at: String,
    /// The recipients' addresses, lower-cased.
    pub to: Vec<String>,
    /// The `From` header: `Name <address>`.
    pub source: Option<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub list_unsubscribe: Option<String>,
    /// Whether each alternative is really in the message (not derived by the parser).
    pub has_text: bool,
    pub has_html: bool,
}

impl SentEmail {
    fn parse(captured: Captured) -> Result<Self> {
        let parsed = mail_parser::MessageParser::default()
            .parse(captured.raw.as_bytes())
            .with_context(|| format!("email {} does not parse", captured.id))?;
        let source = parsed
            .from()
            .and_then(|from| from.first())
            .map(|a| format!("{} <{}>", a.name().unwrap_or_default(), a.address().unwrap_or_default()));
        let lower = captured.raw.to_ascii_lowercase();
        let millis = (captured.sent_at * 1000.0).round() as i64;
        let sent_at = time::OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
            .map(|at| at + time::Duration::milliseconds(millis.rem_euclid(1000)))
            .ok()
            .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        Ok(Self {
            subject: parsed.subject().map(str::to_owned),
            text: parsed.body_text(0).map(|b| b.into_owned()),
            html: parsed.body_html(0).map(|b| b.into_owned()),
            list_unsubscribe: parsed.header_raw("List-Unsubscribe").map(|v| v.trim().to_owned()),
            has_text: lower.contains("content-type: text/plain"),
            has_html: lower.contains("content-type: text/html"),
            source,
            sent_at,
            to: captured.to,
            id: captured.id,
        })
    }

    /// The first link in the text part that contains `marker`.
    pub fn link_containing(&self, marker: &str) -> Option<&str> {
        let text = self.text.as_deref()?;
        text.split_whitespace()
            .map(|w| w.trim_matches(|c| matches!(c, '<' | '>' | '(' | ')')))
            .find(|w| (w.starts_with("http://") || w.starts_with("https://")) && w.contains(marker))
    }
}

/// Reads the emulator's captured mail.
#[derive(Debug, Clone)]
pub struct Mailbox {
    url: String,
    http: reqwest::Client,
}

impl Mailbox {
    /// The mailbox of the emulator at `endpoint`.
    pub fn new(endpoint: &str) -> Self {
        Self { url: format!("{endpoint}{MOTO_MAILBOX_PATH}"), http: reqwest::Client::new() }
    }

    /// Every email sent (to `to` only, when given), oldest first.
    pub async fn sent(&self, to: Option<&str>) -> Result<Vec<SentEmail>> {
        let url = match to {
            Some(to) => format!(
                "{}?{}",
                self.url,
                form_urlencoded::Serializer::new(String::new()).append_pair("to", to).finish()
            ),
            None => self.url.clone(),
        };
        let captured: Vec<Captured> =
            self.http.get(url).send().await?.error_for_status()?.json().await.context("the emulator's mailbox")?;
        captured.into_iter().map(SentEmail::parse).collect()
    }

    /// The registration token in the last invitation sent to `to`.
    pub async fn invitation_token(&self, to: &str) -> Result<String> {
        const MARK: &str = "register?token=";
        let sent = self.sent(Some(to)).await?;
        let link = sent
            .iter()
            .rev()
            .find_map(|email| email.link_containing(MARK))
            .with_context(|| format!("no invitation to {to} among {} emails", sent.len()))?;
        let at = link.find(MARK).map(|at| at + MARK.len()).unwrap_or_default();
        Ok(link[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect())
    }
}

/// The mailbox page and its two reads, for the local gateway's router.
pub fn routes<S: Clone + Send + Sync + 'static>(endpoint: &str) -> Router<S> {
    Router::new()
        .route(PAGE_PATH, get(page))
        .route(&format!("{PAGE_PATH}/messages"), get(messages))
        .route(&format!("{PAGE_PATH}/messages/{{id}}/html"), get(message_html))
        .with_state(Mailbox::new(endpoint))
}

async fn page() -> Html<&'static str> {
    Html(include_str!("mailbox.html"))
}

#[derive(Debug, Deserialize)]
struct Recipient {
    to: Option<String>,
}

/// Newest first, as a mail client lists them.
async fn messages(State(mailbox): State<Mailbox>, Query(recipient): Query<Recipient>) -> Response {
    let to = recipient.to.as_deref().map(str::trim).filter(|to| !to.is_empty());
    match mailbox.sent(to).await {
        Ok(mut sent) => {
            sent.reverse();
            let json = serde_json::to_string(&sent).unwrap_or_else(|_| "[]".into());
            ([(http::header::CONTENT_TYPE, "application/json")], json).into_response()
        }
        Err(err) => unavailable(err),
    }
}

/// One message's HTML part, as the recipient's mail client would show it: links open in a
/// new tab (out of the page's frame); no script runs (the page frames it sandboxed, and the
/// policy here forbids scripts anyway).
async fn message_html(State(mailbox): State<Mailbox>, Path(id): Path<String>) -> Response {
    let sent = match mailbox.sent(None).await {
        Ok(sent) => sent,
        Err(err) => return unavailable(err),
    };
    let Some(html) = sent.into_iter().find(|email| email.id == id).and_then(|email| email.html) else {
        return (http::StatusCode::NOT_FOUND, "no such email, or it has no HTML part").into_response();
    };
    let html = format!("<base target=\"_blank\">{html}");
    (
        [(
            http::header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src * data:; style-src 'unsafe-inline'; base-uri 'self'",
        )],
        Html(html),
    )
        .into_response()
}

fn unavailable(err: anyhow::Error) -> Response {
    (http::StatusCode::BAD_GATEWAY, format!("the emulator's mailbox cannot be read: {err:#}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(raw: &str) -> Captured {
        Captured { id: "m1".into(), sent_at: 1_795_462_800.25, to: vec!["ana@example.com".into()], raw: raw.into() }
    }

    #[test]
    fn a_raw_message_is_read_as_a_mail_client_reads_it() {
        let raw = "From: Acme <no-reply@portal.example.com>\r\nTo: ana@example.com\r\nSubject: Welcome\r\n\
                   List-Unsubscribe: <http://127.0.0.1:3000/portal#preferences>\r\nMIME-Version: 1.0\r\n\
                   Content-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; \
                   charset=utf-8\r\n\r\nOpen http://127.0.0.1:3000/p/acme/register?token=abc-DEF_1 to register.\r\n\
                   --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Open</p>\r\n--b--\r\n";
        let email = SentEmail::parse(captured(raw)).unwrap();
        assert_eq!(email.subject.as_deref(), Some("Welcome"));
        assert_eq!(email.source.as_deref(), Some("Acme <no-reply@portal.example.com>"));
        assert_eq!(email.list_unsubscribe.as_deref(), Some("<http://127.0.0.1:3000/portal#preferences>"));
        assert!(email.has_text && email.has_html);
        assert_eq!(email.html.as_deref().map(str::trim), Some("<p>Open</p>"));
        assert_eq!(email.sent_at, "2026-11-23T19:40:00.25Z");
        assert_eq!(
            email.link_containing("register?token="),
            Some("http://127.0.0.1:3000/p/acme/register?token=abc-DEF_1")
        );
        assert_eq!(email.link_containing("nothing-like-this"), None);
    }

    #[test]
    fn a_message_that_does_not_parse_is_an_error_not_an_empty_email() {
        assert!(SentEmail::parse(captured("")).is_err());
    }
}

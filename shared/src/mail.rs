//! Email: messages rendered from templates (minijinja; HTML autoescaped) in the
//! recipient's language, built as one MIME message with the HTML and plain-text parts
//! (mail-builder) and sent raw with SES v2.

use aws_config::SdkConfig;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{EmailContent, RawMessage};
use mail_builder::MessageBuilder;
use minijinja::Environment;
use serde::Serialize;

use crate::aws::OnFirstUse;
use crate::domain::Email;
use crate::error::ApiError;
use crate::metrics::{self, Metric};
use crate::model::Language;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The templates, embedded in the binary: `{name}.{language}.{subject,html,txt}`.
macro_rules! message_templates {
    ($($name:literal),*) => {
        &[
            $(
                (concat!($name, ".en.subject"), include_str!(concat!("../templates/", $name, ".en.subject"))),
                (concat!($name, ".en.html"), include_str!(concat!("../templates/", $name, ".en.html"))),
                (concat!($name, ".en.txt"), include_str!(concat!("../templates/", $name, ".en.txt"))),
                (concat!($name, ".fr.subject"), include_str!(concat!("../templates/", $name, ".fr.subject"))),
                (concat!($name, ".fr.html"), include_str!(concat!("../templates/", $name, ".fr.html"))),
                (concat!($name, ".fr.txt"), include_str!(concat!("../templates/", $name, ".fr.txt"))),
            )*
            ("layout.html", include_str!("../templates/layout.html")),
        ]
    };
}

/// Every message: the invitation, new shares (batched), a new submission (to staff), the
/// access closed notice, and a company sign-up's email verification.
pub const MESSAGES: &[&str] = &["invitation", "shares", "submitted", "access_closed", "company_verification"];

const TEMPLATES: &[(&str, &str)] =
    message_templates!("invitation", "shares", "submitted", "access_closed", "company_verification");

fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Only `.html` templates escape HTML; subjects and plain text stay as written.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("the embedded templates parse");
        }
        env
    })
}

/// Renders the three parts of message `name` in `language` with `context`.
pub fn render<C: Serialize>(name: &str, language: Language, context: &C) -> Result<Rendered, ApiError> {
    let language = match language {
        Language::En => "en",
        Language::Fr => "fr",
    };
    let part = |kind: &str| -> Result<String, ApiError> {
        environment()
            .get_template(&format!("{name}.{language}.{kind}"))
            .and_then(|template| template.render(context))
            .map_err(|e| ApiError::Internal(format!("rendering {name}.{language}.{kind}: {e}")))
    };
    Ok(Rendered { subject: part("subject")?.trim().to_owned(), html: part("html")?, text: part("txt")? })
}

#[derive(Clone, Debug)]
pub struct Mailer {
    client: OnFirstUse<Client>,
    sender: String,
}

impl Mailer {
    /// The SES client is built when the first email goes out.
    pub fn new(sdk: &SdkConfig, sender: impl Into<String>) -> Self {
        Self { client: OnFirstUse::new(sdk, crate::aws::ses_client), sender: sender.into() }
    }

    /// Sends one message to one recipient, from the company's name at the portal's address.
    /// `preferences_url` becomes the `List-Unsubscribe` link (where emails are turned off).
    pub async fn send(
        &self,
        to: &Email,
        sender_name: &str,
        message: &Rendered,
        preferences_url: Option<&str>,
    ) -> Result<(), ApiError> {
        let raw = build(&self.sender, to, sender_name, message, preferences_url)?;
        let content =
            EmailContent::builder().raw(RawMessage::builder().data(Blob::new(raw)).build().map_err(internal)?).build();
        // Every email of the portal goes through here: one metric each way (the dashboard's
        // emails widget, and the alarm on failures).
        match self.client.get().send_email().content(content).send().await {
            Ok(_) => {
                metrics::count(Metric::EmailsSent, 1, None);
                Ok(())
            }
            Err(e) => {
                metrics::count(Metric::EmailsFailed, 1, None);
                Err(ApiError::from_sdk("SendEmail", e))
            }
        }
    }
}

/// The MIME message: multipart/alternative with the text and HTML parts.
pub fn build(
    sender: &str,
    to: &Email,
    sender_name: &str,
    message: &Rendered,
    preferences_url: Option<&str>,
) -> Result<Vec<u8>, ApiError> {
    // The display name is the company's; line breaks are dropped so it cannot add headers.
    let name: String = sender_name.chars().filter(|c| !c.is_control()).collect();
    let mut builder = MessageBuilder::new()
        .from((name, sender.to_owned()))
        .to(to.as_str().to_owned())
        .subject(message.subject.clone())
        .text_body(message.text.clone())
        .html_body(message.html.clone());
    if let Some(url) = preferences_url {
        builder = builder.header("List-Unsubscribe", mail_builder::headers::raw::Raw::new(format!("<{url}>")));
    }
    builder.write_to_vec().map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_render_in_both_languages_and_escape_html() {
        let context = serde_json::json!({
            "company": "Acme <b>& Co</b>",
            "contactName": "Chloé",
            "link": "https://portal.example.com/p/acme/register?token=abc",
            "logoUrl": null,
            "accentColor": "#0a7f5a",
            "preferencesUrl": "https://portal.example.com/portal#preferences",
        });
        let en = render("invitation", Language::En, &context).unwrap();
        assert!(en.subject.contains("Acme <b>& Co</b>"), "{}", en.subject);
        // minijinja escapes `/` too (`&#x2f;`); browsers read entities in attributes back.
        assert!(en.html.contains("Acme &lt;b&gt;&amp; Co&lt;&#x2f;b&gt;"), "{}", en.html);
        assert!(!en.html.contains("<b>"));
        assert!(en.html.contains("https:&#x2f;&#x2f;portal.example.com&#x2f;p&#x2f;acme&#x2f;register?token=abc"));
        assert!(en.text.contains("https://portal.example.com/p/acme/register?token=abc"));
        let fr = render("invitation", Language::Fr, &context).unwrap();
        assert!(fr.subject.contains("vous invite"), "{}", fr.subject);
        assert_ne!(fr.html, en.html);
    }

    #[test]
    fn the_company_verification_renders_in_both_languages_with_its_link() {
        let context = serde_json::json!({
            "company": "Acme <Co>",
            "adminName": "Ada",
            "link": "https://portal.example.com/signup.html#verify=abc",
            "portalUrl": "https://portal.example.com/p/acme",
            "validHours": 48,
            "logoUrl": null,
            "accentColor": null,
        });
        for language in [Language::En, Language::Fr] {
            let message = render("company_verification", language, &context).unwrap();
            assert!(message.subject.contains("Acme <Co>"), "{}", message.subject);
            assert!(message.text.contains("https://portal.example.com/signup.html#verify=abc"), "{}", message.text);
            assert!(message.text.contains("48"), "{}", message.text);
            assert!(message.html.contains("Acme &lt;Co&gt;") && !message.html.contains("<Co>"), "{}", message.html);
        }
    }
}

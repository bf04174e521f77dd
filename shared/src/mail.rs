//! Email: messages rendered from templates (minijinja; HTML autoescaped) in the
//! recipient's language, and sent with SES v2, HTML and plain text together.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use minijinja::Environment;
use serde::Serialize;

use crate::domain::Email;
use crate::error::ApiError;
use crate::model::Language;

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// The templates, embedded in the binary: `{name}.{language}.{subject,html,txt}`.
const TEMPLATES: &[(&str, &str)] = &[
    ("invitation.en.subject", include_str!("../templates/invitation.en.subject")),
    ("invitation.en.html", include_str!("../templates/invitation.en.html")),
    ("invitation.en.txt", include_str!("../templates/invitation.en.txt")),
    ("invitation.fr.subject", include_str!("../templates/invitation.fr.subject")),
    ("invitation.fr.html", include_str!("../templates/invitation.fr.html")),
    ("invitation.fr.txt", include_str!("../templates/invitation.fr.txt")),
    ("layout.html", include_str!("../templates/layout.html")),
];

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
    client: Client,
    sender: String,
}

impl Mailer {
    pub fn new(client: Client, sender: impl Into<String>) -> Self {
        Self { client, sender: sender.into() }
    }

    pub async fn send(&self, to: &Email, sender_name: &str, message: &Rendered) -> Result<(), ApiError> {
        let content = |text: &str| Content::builder().data(text).charset("UTF-8").build();
        let body = Body::builder()
            .html(content(&message.html).map_err(internal)?)
            .text(content(&message.text).map_err(internal)?)
            .build();
        let email = Message::builder().subject(content(&message.subject).map_err(internal)?).body(body).build();
        // The display name is the company's; quotes are dropped so it cannot break the header.
        let from = format!("\"{}\" <{}>", sender_name.replace(['"', '\\', '\r', '\n'], ""), self.sender);
        self.client
            .send_email()
            .from_email_address(from)
            .destination(Destination::builder().to_addresses(to.as_str()).build())
            .content(EmailContent::builder().simple(email).build())
            .send()
            .await
            .map_err(|e| ApiError::from_sdk("SendEmail", e))?;
        Ok(())
    }
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
}

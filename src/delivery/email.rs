//! Email: a rendered message (`EmailMessage`) and the transport that sends it, over SMTP with
//! lettre or into a file outbox (one `.eml` file per message).

use super::SendError;
use crate::config::{MailSettings, MailTransport, Settings, SmtpTls};
use crate::domain::mask;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// An email ready to send, as it waits in the outbound queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmailMessage {
    pub to_name: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// Absent for residents who chose plain emails.
    pub html: Option<String>,
    /// The one-click unsubscribe URL (RFC 8058).
    pub unsubscribe_url: Option<String>,
    /// A stable id, so a message retried after a crash is recognisably the same message.
    pub message_id: String,
    /// The `List-Id` of alert emails (RFC 2919), so that mail clients can filter them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_id: Option<String>,
}

/// A message's header fields besides From and Date, borrowed from wherever they are kept.
pub struct Heading<'a> {
    pub to_name: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub unsubscribe_url: Option<&'a str>,
    pub message_id: &'a str,
    pub list_id: Option<&'a str>,
}

impl EmailMessage {
    pub fn heading(&self) -> Heading<'_> {
        Heading {
            to_name: &self.to_name,
            to: &self.to,
            subject: &self.subject,
            unsubscribe_url: self.unsubscribe_url.as_deref(),
            message_id: &self.message_id,
            list_id: self.list_id.as_deref(),
        }
    }

    /// The bodies, to be encoded for the wire (line ends made CRLF, the encoding chosen).
    fn bodies(&self) -> (Body, Option<Body>) {
        (
            Body::new(self.text.clone()),
            self.html.clone().map(Body::new),
        )
    }
}

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        let mail = &settings.mail;
        Ok(match mail.transport {
            MailTransport::File => {
                let dir = settings.email_outbox_dir();
                std::fs::create_dir_all(&dir)?;
                Mailer::File(AsyncFileTransport::new(dir))
            }
            MailTransport::Smtp => Mailer::Smtp(smtp_transport(mail)?),
        })
    }

    pub async fn send(&self, from: &str, email: &EmailMessage) -> Result<(), SendError> {
        let (text, html) = email.bodies();
        let message = build(from, &email.heading(), text, html)
            .map_err(|e| SendError::permanent(e.to_string()))?;
        let result = match self {
            Mailer::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                // 4xx replies and connection trouble pass; 5xx replies will not change.
                if e.is_permanent() {
                    SendError::permanent(e.to_string())
                } else {
                    SendError::transient(e.to_string())
                }
            }),
            Mailer::File(file) => file
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError::transient(e.to_string())),
        };
        match &result {
            Ok(()) => {
                tracing::info!(to = %mask::email(&email.to), message_id = %email.message_id, "email sent")
            }
            Err(e) => {
                tracing::warn!(to = %mask::email(&email.to), transient = e.transient, error = %e.message, "email not sent")
            }
        }
        result
    }
}

fn smtp_transport(mail: &MailSettings) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match mail.smtp_tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&mail.smtp_host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&mail.smtp_host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&mail.smtp_host)?,
    };
    let mut builder = builder
        .port(mail.smtp_port)
        .timeout(Some(Duration::from_secs(mail.smtp_timeout_secs)));
    if !mail.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            mail.smtp_username.clone(),
            mail.smtp_password.clone(),
        ));
    }
    Ok(builder.build())
}

/// The DKIM signing configuration the settings name, if any.
pub fn dkim_config(mail: &MailSettings) -> anyhow::Result<Option<DkimConfig>> {
    use anyhow::Context;
    let parts = [
        &mail.dkim_domain,
        &mail.dkim_selector,
        &mail.dkim_private_key_file,
    ];
    if parts.iter().all(|p| p.is_empty()) {
        return Ok(None);
    }
    anyhow::ensure!(
        parts.iter().all(|p| !p.is_empty()),
        "DKIM signing needs mail.dkim_domain, mail.dkim_selector and mail.dkim_private_key_file together"
    );
    let pem = std::fs::read_to_string(&mail.dkim_private_key_file).with_context(|| {
        format!(
            "reading the DKIM private key {}",
            mail.dkim_private_key_file
        )
    })?;
    let key = DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa).map_err(|e| {
        anyhow::anyhow!(
            "the DKIM private key {} is not a PKCS#1 RSA key in PEM: {e}",
            mail.dkim_private_key_file
        )
    })?;
    // Relaxed header canonicalisation: lettre folds the long DKIM-Signature header after
    // signing it, which "simple" would count as a change (a verifier then fails it).
    Ok(Some(DkimConfig::new(
        mail.dkim_selector.clone(),
        mail.dkim_domain.clone(),
        key,
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "List-Id",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
        ]
        .into_iter()
        .map(HeaderName::new_from_ascii_str)
        .collect(),
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    )))
}

/// The message as it goes over the wire (headers and MIME body, CRLF line ends), signed with
/// DKIM when configured.
pub fn formatted(
    from: &str,
    email: &EmailMessage,
    dkim: Option<&DkimConfig>,
) -> anyhow::Result<Vec<u8>> {
    let (text, html) = email.bodies();
    assembled(from, &email.heading(), text, html, dkim)
}

/// As [`formatted`], for bodies already encoded as quoted-printable with CRLF line ends (no
/// line over 76 characters), as an alert's email template fills them in.
pub fn formatted_quoted_printable(
    from: &str,
    heading: &Heading<'_>,
    text: Vec<u8>,
    html: Option<Vec<u8>>,
    dkim: Option<&DkimConfig>,
) -> anyhow::Result<Vec<u8>> {
    let encoded =
        |bytes| Body::dangerous_pre_encoded(bytes, ContentTransferEncoding::QuotedPrintable);
    assembled(from, heading, encoded(text), html.map(encoded), dkim)
}

fn assembled(
    from: &str,
    heading: &Heading<'_>,
    text: Body,
    html: Option<Body>,
    dkim: Option<&DkimConfig>,
) -> anyhow::Result<Vec<u8>> {
    let mut message = build(from, heading, text, html)?;
    if let Some(config) = dkim {
        message.sign(config);
    }
    Ok(message.formatted())
}

fn build(
    from: &str,
    heading: &Heading<'_>,
    text: Body,
    html: Option<Body>,
) -> anyhow::Result<Message> {
    let from: Mailbox = from.parse()?;
    let to = Mailbox::new(Some(heading.to_name.to_owned()), heading.to.parse()?);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(heading.subject)
        .message_id(Some(heading.message_id.to_owned()));
    if let Some(list_id) = heading.list_id {
        builder = builder.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Id"),
            list_id.to_owned(),
        ));
    }
    if let Some(url) = heading.unsubscribe_url {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(text);
    Ok(match html {
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html),
            ),
        )?,
        None => builder.singlepart(text)?,
    })
}

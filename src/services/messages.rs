//! The messages Beacon sends residents about their subscription, rendered from the templates in
//! `templates/email/` and `templates/sms/`. Every email greets the resident by first name and
//! carries a link to manage their alerts and a one-click unsubscribe.

use super::alert_email::{EmailTemplate, Personal};
use super::tokens::random_id;
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::delivery::sms::SmsMessage;
use crate::domain::catalogue::{CatalogueSeed, MESSAGE_TYPES, PROVIDERS};
use crate::domain::subscriber::{first_name, EmailFormat, Preferences};
use crate::store::{NewOutbound, OutboundChannel};
use askama::Template;

/// What every email to a resident needs besides its own content.
pub struct Letter {
    pub first_name: String,
    pub manage_url: String,
    pub unsubscribe_url: String,
    /// The main link of the message (the confirmation link, say), if it has one.
    pub action_url: Option<String>,
    pub summary: Vec<(String, String)>,
    pub link_hours: i64,
    /// Reporting a crime or incident online (`/report`), in every email's footer.
    pub report_url: String,
}

#[derive(Template)]
#[template(path = "email/confirm.txt")]
struct ConfirmText<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "email/confirm.html")]
struct ConfirmHtml<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "email/already_registered.txt")]
struct AlreadyRegisteredText<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "email/already_registered.html")]
struct AlreadyRegisteredHtml<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "email/manage_link.txt")]
struct ManageLinkText<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "email/manage_link.html")]
struct ManageLinkHtml<'a> {
    letter: &'a Letter,
}

#[derive(Template)]
#[template(path = "sms/mobile_code.txt")]
struct MobileCodeText<'a> {
    code: &'a str,
    minutes: i64,
}

pub enum EmailKind {
    ConfirmSignUp,
    AlreadyRegistered,
    /// A resident who lost their manage link asked for it again.
    ManageLink,
}

impl EmailKind {
    fn purpose(&self) -> &'static str {
        match self {
            EmailKind::ConfirmSignUp => "confirm-sign-up",
            EmailKind::AlreadyRegistered => "already-registered",
            EmailKind::ManageLink => "manage-link",
        }
    }

    fn subject(&self) -> &'static str {
        match self {
            EmailKind::ConfirmSignUp => "Confirm your Beacon alerts",
            EmailKind::AlreadyRegistered => "You already have Beacon alerts",
            EmailKind::ManageLink => "Your link to manage your Beacon alerts",
        }
    }
}

/// Renders an email and wraps it for the outbound queue.
pub fn email(
    ctx: &AppContext,
    kind: EmailKind,
    to: &str,
    preferences: &Preferences,
    letter: &Letter,
) -> anyhow::Result<NewOutbound> {
    let (text, html) = match kind {
        EmailKind::ConfirmSignUp => (
            ConfirmText { letter }.render()?,
            ConfirmHtml { letter }.render()?,
        ),
        EmailKind::AlreadyRegistered => (
            AlreadyRegisteredText { letter }.render()?,
            AlreadyRegisteredHtml { letter }.render()?,
        ),
        EmailKind::ManageLink => (
            ManageLinkText { letter }.render()?,
            ManageLinkHtml { letter }.render()?,
        ),
    };
    let domain = sender_domain(ctx);
    let message = EmailMessage {
        to_name: preferences.name.clone(),
        to: to.to_owned(),
        subject: kind.subject().to_owned(),
        text,
        html: (preferences.email_format == EmailFormat::Full).then_some(html),
        unsubscribe_url: Some(letter.unsubscribe_url.clone()),
        message_id: format!("<{}.{}@{}>", kind.purpose(), random_id(), domain),
        list_id: None,
    };
    Ok(NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: kind.purpose().to_owned(),
        payload: serde_json::to_string(&message)?,
    })
}

/// The text carrying a mobile confirmation code.
pub fn mobile_code(
    subscriber_id: i64,
    phone_number: &str,
    code: &str,
    minutes: i64,
) -> anyhow::Result<NewOutbound> {
    let sms = SmsMessage {
        phone_number: phone_number.to_owned(),
        content: MobileCodeText { code, minutes }.render()?.trim().to_owned(),
        reference: format!("mobile-code-{}", random_id()),
    };
    Ok(NewOutbound {
        subscriber_id: Some(subscriber_id),
        channel: OutboundChannel::Sms,
        purpose: "mobile-code".into(),
        payload: serde_json::to_string(&sms)?,
    })
}

/// The resident's choices in words, for the confirmation email.
pub fn summary(preferences: &Preferences) -> Vec<(String, String)> {
    // Names come from the seed catalogue; a provider added later shows by its slug.
    let name_of = |seeds: &[CatalogueSeed], slug: &str| {
        seeds
            .iter()
            .find(|s| s.slug == slug)
            .map_or_else(|| slug.to_owned(), |s| s.name.to_owned())
    };
    let places = preferences
        .places
        .iter()
        .map(|p| match &p.label {
            Some(label) => format!("{} ({label})", p.postcode),
            None => p.postcode.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut channels = Vec::new();
    if preferences.email {
        channels.push("email".to_owned());
    }
    if preferences.sms {
        channels.push(format!(
            "text message (priority {} and above)",
            preferences.sms_min_priority
        ));
    }
    vec![
        ("Name".into(), preferences.name.clone()),
        ("Places".into(), places),
        (
            "From".into(),
            preferences
                .providers
                .iter()
                .map(|s| name_of(PROVIDERS, s))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Messages".into(),
            preferences
                .message_types
                .iter()
                .map(|s| name_of(MESSAGE_TYPES, s))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("By".into(), channels.join(" and ")),
    ]
}

pub fn greeting_name(preferences: &Preferences) -> String {
    first_name(&preferences.name).to_owned()
}

/// An alert as a resident receives it (or, marked as a test, as its sender previews it).
pub struct AlertLetter {
    pub first_name: String,
    pub provider: String,
    pub message_type: String,
    pub title: String,
    pub text_body: String,
    pub html_body: String,
    pub signoff: [String; 3],
    pub reference: String,
    pub test: bool,
    /// The footer's links; a test send has none.
    pub links: Option<AlertLinks>,
}

pub struct AlertLinks {
    /// The alert's public page; `None` for an alert kept to subscribers.
    pub web_url: Option<String>,
    pub useful_url: String,
    pub not_useful_url: String,
    pub reply_url: String,
    pub manage_url: String,
    pub unsubscribe_url: String,
    /// The scam checker, for a scam warning: "Got a message like this? Check it".
    pub scam_checker_url: Option<String>,
    /// Reporting a crime or incident online (`/report`).
    pub report_url: String,
    /// The resident's own link to answer the survey the alert carries.
    pub survey_url: Option<String>,
}

#[derive(Template)]
#[template(path = "email/alert.txt")]
struct AlertText<'a> {
    alert: &'a AlertLetter,
}

#[derive(Template)]
#[template(path = "email/alert.html")]
struct AlertHtml<'a> {
    alert: &'a AlertLetter,
}

#[derive(Template)]
#[template(path = "sms/alert.txt")]
struct AlertSmsText<'a> {
    text: &'a str,
    link: &'a str,
}

/// What every copy of one alert shares: its body rendered once, however many residents get it,
/// and its email template, made when the first resident's email is.
pub struct SharedAlert {
    pub alert: crate::store::Alert,
    pub rendered: crate::domain::alert::RenderedBody,
    template: std::sync::OnceLock<Option<EmailTemplate>>,
}

impl SharedAlert {
    pub fn new(alert: crate::store::Alert) -> SharedAlert {
        let rendered = crate::domain::alert::render_markdown(&alert.content.body_markdown);
        SharedAlert {
            alert,
            rendered,
            template: std::sync::OnceLock::new(),
        }
    }

    /// Whether residents' copies are filled in from the alert's email template (false: each is
    /// rendered whole, as when the alert's own words hold the template's marker).
    pub fn templated(&self, ctx: &AppContext) -> bool {
        self.email_template(ctx).is_some()
    }

    /// The alert's email template; `None` when it cannot be made (the alert's own text holds
    /// the template's marker), and every copy is then rendered whole.
    fn email_template(&self, ctx: &AppContext) -> Option<&EmailTemplate> {
        self.template
            .get_or_init(|| {
                match EmailTemplate::make(|personal| {
                    alert_bodies(ctx, self, personal, EmailFormat::Full)
                }) {
                Ok(template) => template,
                Err(error) => {
                    tracing::warn!(alert = self.alert.id, error = %error, "could not make the alert's email template; rendering each copy whole");
                    None
                }
                }
            })
            .as_ref()
    }

    fn letter(&self, name: &str, test: bool, links: Option<AlertLinks>) -> AlertLetter {
        let alert = &self.alert;
        AlertLetter {
            first_name: first_name(name).to_owned(),
            provider: alert.provider_name.clone(),
            message_type: alert.message_type_name.clone(),
            title: alert.content.title.clone(),
            text_body: self.rendered.text.clone(),
            html_body: self.rendered.html.clone(),
            signoff: alert.signoff.lines(),
            reference: alert_reference(alert.id),
            test,
            links,
        }
    }

    fn subject(&self) -> String {
        format!(
            "{} | {} | {}",
            self.alert.content.title,
            self.alert.provider_name,
            alert_reference(self.alert.id)
        )
    }
}

/// Whether an alert is a scam warning (its kind as the catalogue names it), whose emails point
/// to the scam checker.
fn is_scam_warning(alert: &crate::store::Alert) -> bool {
    crate::domain::catalogue::MESSAGE_TYPES
        .iter()
        .any(|m| m.slug == "scam-warning" && m.name == alert.message_type_name)
}

/// "Alert 12345", as subjects and footers name an alert.
pub fn alert_reference(id: i64) -> String {
    format!("Alert {id}")
}

/// The token in a resident's rating and reply links for one alert.
pub fn alert_link_token(
    ctx: &AppContext,
    alert_id: i64,
    public_id: &str,
    token_version: i64,
) -> String {
    ctx.signer.sign(
        "alert-link",
        &[&alert_id.to_string(), public_id, &token_version.to_string()],
    )
}

/// The public page of a sent alert, the short link in texts.
pub fn alert_web_url(ctx: &AppContext, alert_id: i64) -> String {
    ctx.link(&format!("/a/{alert_id}"))
}

/// The widest alert number a text's link is counted with, before the alert has its number.
const COUNTED_ALERT_ID: i64 = 9_999_999;

/// What sending adds to a sender's own text message (`resident_alert_sms`): a space and the link
/// to the alert at the configured public address, in GSM-7 places, or nothing for an alert kept
/// to subscribers (it has no public page). Counted with a seven-digit alert number, so a text
/// that fits when it is written fits when it is sent.
pub fn sms_link_room(ctx: &AppContext, private: bool) -> usize {
    if private {
        return 0;
    }
    let link = alert_web_url(ctx, COUNTED_ALERT_ID);
    1 + crate::domain::alert::gsm7_length(&link).unwrap_or_else(|_| link.chars().count())
}

/// One resident's copy of an alert, rendered whole. Its Message-ID is the same on every
/// attempt, so a copy retried after a failure is recognisably the same message. Workers send
/// [`resident_alert_email_bytes`], which comes to the same email from the alert's template.
pub fn resident_alert_email(
    ctx: &AppContext,
    shared: &SharedAlert,
    target: &crate::store::DeliveryTarget,
) -> anyhow::Result<EmailMessage> {
    let personal = personal(ctx, shared.alert.id, target);
    let (text, html) = alert_bodies(ctx, shared, &personal, target.email_format)?;
    let heading = AlertHeading::of(ctx, shared, &personal);
    Ok(EmailMessage {
        to_name: target.name.clone(),
        to: target.email.clone(),
        subject: heading.subject,
        text,
        html,
        unsubscribe_url: Some(heading.unsubscribe_url),
        message_id: alert_message_id(ctx, shared.alert.id, target),
        list_id: Some(heading.list_id),
    })
}

/// One resident's copy of an alert as it goes over the wire, from `from`, DKIM-signed when
/// `dkim` is given: the alert's template filled in with the resident's name and links (or,
/// when the alert has no template, rendered whole). Returns the bytes and the Message-ID.
pub fn resident_alert_email_bytes(
    ctx: &AppContext,
    shared: &SharedAlert,
    target: &crate::store::DeliveryTarget,
    from: &str,
    dkim: Option<&lettre::message::dkim::DkimConfig>,
) -> anyhow::Result<(Vec<u8>, String)> {
    let Some(template) = shared.email_template(ctx) else {
        let message = resident_alert_email(ctx, shared, target)?;
        let bytes = crate::delivery::email::formatted(from, &message, dkim)?;
        return Ok((bytes, message.message_id));
    };
    let personal = personal(ctx, shared.alert.id, target);
    let heading = AlertHeading::of(ctx, shared, &personal);
    let message_id = alert_message_id(ctx, shared.alert.id, target);
    let html = match target.email_format {
        EmailFormat::Full => Some(template.html(&personal)),
        EmailFormat::Plain => None,
    };
    let bytes = crate::delivery::email::formatted_quoted_printable(
        from,
        &crate::delivery::email::Heading {
            to_name: &target.name,
            to: &target.email,
            subject: &heading.subject,
            unsubscribe_url: Some(&heading.unsubscribe_url),
            message_id: &message_id,
            list_id: Some(&heading.list_id),
        },
        template.text(&personal),
        html,
        dkim,
    )?;
    Ok((bytes, message_id))
}

/// One resident's values in their copy of an alert.
fn personal(ctx: &AppContext, alert_id: i64, target: &crate::store::DeliveryTarget) -> Personal {
    let version = target.token_version.to_string();
    let subscriber = [target.public_id.as_str(), &version];
    Personal {
        first_name: first_name(&target.name).to_owned(),
        link_token: alert_link_token(ctx, alert_id, &target.public_id, target.token_version),
        manage_token: ctx.signer.sign("manage", &subscriber),
        unsubscribe_token: ctx.signer.sign("unsubscribe", &subscriber),
    }
}

/// The header fields every copy of an alert shares, but for the unsubscribe link.
struct AlertHeading {
    subject: String,
    unsubscribe_url: String,
    list_id: String,
}

impl AlertHeading {
    fn of(ctx: &AppContext, shared: &SharedAlert, personal: &Personal) -> AlertHeading {
        AlertHeading {
            subject: shared.subject(),
            unsubscribe_url: unsubscribe_url(ctx, personal),
            list_id: format!("Beacon alerts <alerts.{}>", sender_domain(ctx)),
        }
    }
}

fn unsubscribe_url(ctx: &AppContext, personal: &Personal) -> String {
    ctx.link(&format!("/unsubscribe/{}", personal.unsubscribe_token))
}

fn alert_message_id(
    ctx: &AppContext,
    alert_id: i64,
    target: &crate::store::DeliveryTarget,
) -> String {
    format!(
        "<alert-{alert_id}.{}@{}>",
        target.public_id,
        sender_domain(ctx)
    )
}

/// An alert email's plain text, and its HTML unless the resident chose plain emails.
fn alert_bodies(
    ctx: &AppContext,
    shared: &SharedAlert,
    personal: &Personal,
    format: EmailFormat,
) -> anyhow::Result<(String, Option<String>)> {
    let links = AlertLinks {
        web_url: (!shared.alert.content.private).then(|| alert_web_url(ctx, shared.alert.id)),
        useful_url: ctx.link(&format!("/rate/{}/useful", personal.link_token)),
        not_useful_url: ctx.link(&format!("/rate/{}/not-useful", personal.link_token)),
        reply_url: ctx.link(&format!("/reply/{}", personal.link_token)),
        manage_url: ctx.link(&format!("/manage/{}", personal.manage_token)),
        unsubscribe_url: unsubscribe_url(ctx, personal),
        scam_checker_url: is_scam_warning(&shared.alert).then(|| ctx.link("/scam-checker")),
        report_url: ctx.link("/report"),
        survey_url: shared
            .alert
            .survey_id
            .map(|_| ctx.link(&format!("/survey/{}", personal.link_token))),
    };
    let letter = shared.letter(&personal.first_name, false, Some(links));
    let text = AlertText { alert: &letter }.render()?;
    let html = match format {
        EmailFormat::Full => Some(AlertHtml { alert: &letter }.render()?),
        EmailFormat::Plain => None,
    };
    Ok((text, html))
}

/// One resident's text of an alert: the SMS text and a short link to the alert, or without one,
/// the title, shortened if need be so that it and the link fit one text message.
pub fn resident_alert_sms(
    ctx: &AppContext,
    shared: &SharedAlert,
    target: &crate::store::DeliveryTarget,
) -> anyhow::Result<Option<SmsMessage>> {
    let Some(mobile) = &target.mobile else {
        return Ok(None);
    };
    let alert = &shared.alert;
    // An alert kept to subscribers has no public page to link to.
    let link = if alert.content.private {
        String::new()
    } else {
        alert_web_url(ctx, alert.id)
    };
    let content = match &alert.content.sms_text {
        Some(text) => AlertSmsText { text, link: &link }
            .render()?
            .trim()
            .to_owned(),
        None => crate::domain::alert::short_sms("", &alert.content.title, &link),
    };
    Ok(Some(SmsMessage {
        phone_number: mobile.clone(),
        content,
        reference: format!("alert-{}-delivery-{}", alert.id, target.id),
    }))
}

/// The test send of an alert to the member of staff who asked for it.
pub fn alert_test_email(
    ctx: &AppContext,
    alert: &crate::store::Alert,
    staff: &crate::store::StaffMember,
) -> anyhow::Result<NewOutbound> {
    let shared = SharedAlert::new(alert.clone());
    let letter = shared.letter(&staff.name, true, None);
    let message = EmailMessage {
        to_name: staff.name.clone(),
        to: staff.email.to_string(),
        subject: format!("[TEST] {}", shared.subject()),
        text: AlertText { alert: &letter }.render()?,
        html: Some(AlertHtml { alert: &letter }.render()?),
        unsubscribe_url: None,
        message_id: format!(
            "<alert-{}-test.{}@{}>",
            alert.id,
            random_id(),
            sender_domain(ctx)
        ),
        list_id: None,
    };
    Ok(NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: "alert-test-send".into(),
        payload: serde_json::to_string(&message)?,
    })
}

/// The domain of the From address, for Message-IDs.
pub fn sender_domain(ctx: &AppContext) -> String {
    ctx.settings
        .mail
        .from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').to_owned())
        .unwrap_or_else(|| "beacon.invalid".into())
}

//! The pages' templates and the view models they render: what a resident sees, escaped by
//! askama everywhere.

use crate::domain::subscriber::{FieldErrors, PlaceInput, Preferences, SignUpInput, MAX_PLACES};
use crate::domain::{MessageType, Priority, Provider};
use crate::store::AlertStatus;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};

/// An alert's status as staff pages name it.
pub fn alert_status_label(status: AlertStatus) -> &'static str {
    crate::services::alerts::status_in_words(status)
}

pub use crate::domain::thousands;

/// A checkbox in a list of choices.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub hint: String,
    pub checked: bool,
}

/// One of the place rows of the form, with the ids its fields and errors use.
pub struct PlaceView {
    pub index: usize,
    pub postcode: String,
    pub label: String,
    pub postcode_id: String,
    pub label_id: String,
}

/// The preferences form, as the sign-up and manage pages share it.
pub struct FormView {
    pub csrf: String,
    pub email: String,
    pub name: String,
    pub mobile: String,
    pub places: Vec<PlaceView>,
    pub providers: Vec<Choice>,
    pub message_types: Vec<Choice>,
    pub email_channel: bool,
    pub sms_channel: bool,
    pub priorities: Vec<(u8, &'static str, bool)>,
    pub quiet_start: String,
    pub quiet_end: String,
    pub plain_email: bool,
    pub errors: FieldErrors,
}

/// The fields of the sign-up and manage forms in the order the page shows them, so the error
/// summary lists problems in the order a resident meets the fields.
const FIELD_ORDER: [&str; 16] = [
    "email",
    "name",
    "place-0-postcode",
    "place-0-label",
    "place-1-postcode",
    "place-1-label",
    "place-2-postcode",
    "place-2-label",
    "providers",
    "message_types",
    "channels",
    "mobile",
    "sms_min_priority",
    "quiet_start",
    "quiet_end",
    "email_format",
];

/// Problems in the form's order (a field not in it goes last), each field's in the order found.
fn in_form_order(mut errors: FieldErrors) -> FieldErrors {
    errors.0.sort_by_key(|error| {
        FIELD_ORDER
            .iter()
            .position(|field| *field == error.field)
            .unwrap_or(FIELD_ORDER.len())
    });
    errors
}

impl FormView {
    /// The form filled with what a resident typed (or the defaults for a blank sign-up).
    pub fn from_input(
        input: &SignUpInput,
        providers: &[Provider],
        message_types: &[MessageType],
        csrf: String,
        errors: FieldErrors,
    ) -> FormView {
        let errors = in_form_order(errors);
        let mut places = input.places.clone();
        places.resize_with(MAX_PLACES, PlaceInput::default);
        let choices = |items: Vec<(&str, &str, &str)>, chosen: &[String]| {
            items
                .into_iter()
                .map(|(slug, name, hint)| Choice {
                    value: slug.to_owned(),
                    label: name.to_owned(),
                    hint: hint.to_owned(),
                    checked: chosen.iter().any(|c| c == slug),
                })
                .collect()
        };
        let level = input
            .sms_min_priority
            .and_then(|p| Priority::new(p).ok())
            .unwrap_or(Priority::new(2).expect("2 is a valid priority"))
            .level();
        FormView {
            csrf,
            email: input.email.clone(),
            name: input.name.clone(),
            mobile: input.mobile.clone(),
            places: places
                .into_iter()
                .enumerate()
                .map(|(index, place)| PlaceView {
                    index,
                    postcode: place.postcode,
                    label: place.label,
                    postcode_id: format!("place-{index}-postcode"),
                    label_id: format!("place-{index}-label"),
                })
                .collect(),
            providers: choices(
                providers
                    .iter()
                    .map(|p| (p.slug.as_str(), p.name.as_str(), p.description.as_str()))
                    .collect(),
                &input.providers,
            ),
            message_types: choices(
                message_types
                    .iter()
                    .map(|m| (m.slug.as_str(), m.name.as_str(), m.description.as_str()))
                    .collect(),
                &input.message_types,
            ),
            email_channel: input.channels.iter().any(|c| c == "email"),
            sms_channel: input.channels.iter().any(|c| c == "sms"),
            priorities: Priority::all()
                .map(|p| (p.level(), p.label(), p.level() == level))
                .collect(),
            quiet_start: input.quiet_start.clone(),
            quiet_end: input.quiet_end.clone(),
            plain_email: input.email_format == "plain",
            errors,
        }
    }

    pub fn error(&self, field: &str) -> &str {
        self.errors.for_field(field).unwrap_or("")
    }
}

/// What a blank sign-up form starts with: everything chosen, email only.
pub fn default_input(providers: &[Provider], message_types: &[MessageType]) -> SignUpInput {
    SignUpInput {
        providers: providers.iter().map(|p| p.slug.clone()).collect(),
        message_types: message_types.iter().map(|m| m.slug.clone()).collect(),
        channels: vec!["email".into()],
        places: vec![PlaceInput::default()],
        ..SignUpInput::default()
    }
}

/// A stored resident's preferences as form input, for the manage page.
pub fn input_from(preferences: &Preferences) -> SignUpInput {
    let mut channels = Vec::new();
    if preferences.email {
        channels.push("email".into());
    }
    if preferences.sms {
        channels.push("sms".into());
    }
    SignUpInput {
        name: preferences.name.clone(),
        email: String::new(),
        mobile: preferences
            .mobile
            .as_ref()
            .map(|m| m.national())
            .unwrap_or_default(),
        places: preferences
            .places
            .iter()
            .map(|p| PlaceInput {
                postcode: p.postcode.to_string(),
                label: p.label.clone().unwrap_or_default(),
            })
            .collect(),
        providers: preferences.providers.clone(),
        message_types: preferences.message_types.clone(),
        channels,
        sms_min_priority: Some(i64::from(preferences.sms_min_priority.level())),
        quiet_start: preferences
            .quiet_hours
            .map(|q| q.start.format("%H:%M").to_string())
            .unwrap_or_default(),
        quiet_end: preferences
            .quiet_hours
            .map(|q| q.end.format("%H:%M").to_string())
            .unwrap_or_default(),
        email_format: preferences.email_format.as_str().into(),
    }
}

#[derive(Template)]
#[template(path = "pages/signup.html")]
pub struct SignUpPage {
    pub form: FormView,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/manage.html")]
pub struct ManagePage {
    pub form: FormView,
    pub token: String,
    pub email: String,
    pub status: &'static str,
    pub mobile: Option<String>,
    pub mobile_confirmed: bool,
    pub mobile_code_waiting: bool,
    pub code_error: String,
    pub notice: Option<String>,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/confirm_action.html")]
pub struct ConfirmActionPage {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub action: String,
    pub button: String,
    pub warning: bool,
    pub csrf: Option<String>,
    pub hidden: Vec<(String, String)>,
    pub back: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub paragraphs: &'a [&'a str],
    pub link: Option<(&'a str, &'a str)>,
}

pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "template failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
            )
                .into_response()
        }
    }
}

/// The answer to a form sent without its CSRF token (or after it expired): nothing was changed,
/// with a link back to `back`.
pub fn form_expired(back: &str) -> Response {
    (
        axum::http::StatusCode::FORBIDDEN,
        message_page(
            "Your form had expired",
            &["Nothing was changed. Go back, and try again."],
            Some((back, "Go back")),
        ),
    )
        .into_response()
}

/// A page that only tells the resident something, with an optional link onwards.
pub fn message_page(title: &str, paragraphs: &[&str], link: Option<(&str, &str)>) -> Response {
    render(&MessagePage {
        title,
        paragraphs,
        link,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_in_thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(8_412), "8,412");
        assert_eq!(super::thousands(1_203_456), "1,203,456");
    }
}

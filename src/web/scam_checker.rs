//! The scam checker's public page: paste a message, say how it came, and read what it is, what
//! gave it away, what to do and where to report, with the force's own alerts about it; then,
//! if they choose, share it with the police. Works without JavaScript: the answer is a POST
//! that renders the same page. What is pasted is neither stored nor logged unless shared.

use super::csrf;
use super::error::WebResult;
use super::home::short_uk_time;
use super::views;
use super::{AppState, ClientIp};
use crate::domain::subscriber::FieldErrors;
use crate::services::scam_check::{
    self, Channel, ScamAnswer, ScamCheckError, ScamKind, ShareError, ShareInput, Verdict, MAX_CHARS,
};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

/// The largest form body the checker's two forms take: the text at its longest, every
/// character percent-encoded as four bytes of UTF-8 (12 bytes), and room for the other fields.
pub const FORM_BODY_LIMIT: usize = MAX_CHARS * 12 + 16 * 1024;

/// The answer's headline: "This is the “Hi Mum” scam", "This looks suspicious", …
pub fn headline(verdict: Verdict, kind: Option<ScamKind>) -> &'static str {
    match (verdict, kind) {
        (Verdict::Scam, Some(ScamKind::FamilyFriend)) => "This is the “Hi Mum” scam",
        (Verdict::Scam, _) => "This looks like a scam",
        (Verdict::Suspicious, _) => "This looks suspicious",
        (Verdict::NoScamSigns, _) => "We found no signs of a scam",
    }
}

/// What the form holds, as typed, and its problems.
pub struct CheckForm {
    pub csrf: String,
    pub text: String,
    pub channel: String,
    /// (slug, label, chosen) for "How did it reach you?".
    pub channels: Vec<(&'static str, &'static str, bool)>,
    pub errors: FieldErrors,
}

impl CheckForm {
    pub fn error(&self, field: &str) -> &str {
        self.errors.for_field(field).unwrap_or("")
    }
}

/// A report route as the page shows it.
pub struct RouteView {
    pub who: &'static str,
    pub how: &'static str,
    pub link: Option<&'static str>,
}

/// A related alert as the page lists it.
pub struct RelatedView {
    pub path: String,
    pub title: String,
    pub sent: String,
}

/// The answer as the page shows it.
pub struct AnswerView {
    pub headline: &'static str,
    pub verdict: &'static str,
    pub kind_name: Option<&'static str>,
    pub signs: Vec<String>,
    /// The checked text in stretches, marked where a sign points.
    pub segments: Vec<(String, bool)>,
    pub advice: &'static [&'static str],
    pub report_to: Vec<RouteView>,
    pub related: Vec<RelatedView>,
    pub notes: Vec<String>,
    /// The share form's one-time value.
    pub nonce: String,
    /// What the resident typed into the share form, when it is shown again.
    pub postcode: String,
    pub name: String,
}

impl AnswerView {
    fn of(answer: &ScamAnswer) -> AnswerView {
        let check = &answer.check;
        AnswerView {
            headline: headline(check.verdict, check.kind),
            verdict: check.verdict.slug(),
            kind_name: check.kind.map(ScamKind::name),
            signs: check.signs.iter().map(|s| s.says.clone()).collect(),
            segments: check
                .segments()
                .into_iter()
                .map(|s| (s.text.to_owned(), s.marked))
                .collect(),
            advice: answer.advice(),
            report_to: answer
                .report_to()
                .into_iter()
                .map(|r| RouteView {
                    who: r.who,
                    how: r.how,
                    link: r.link,
                })
                .collect(),
            related: answer
                .related_alerts
                .iter()
                .map(|a| RelatedView {
                    path: a.path.clone(),
                    title: a.title.clone(),
                    sent: short_uk_time(a.sent_at),
                })
                .collect(),
            notes: check.notes.clone(),
            nonce: scam_check::new_share_nonce(),
            postcode: String::new(),
            name: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/scam_checker.html")]
struct CheckerPage {
    form: CheckForm,
    problem: Option<String>,
    answer: Option<AnswerView>,
    max_chars: String,
}

/// The checker's form fields, and the share form's (which carries the text and channel again).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CheckerForm {
    csrf: String,
    text: String,
    channel: String,
    /// The share form's: its tick box, postcode, name and one-time value.
    share: String,
    postcode: String,
    name: String,
    nonce: String,
}

fn page(
    ctx: &AppState,
    jar: CookieJar,
    form: &CheckerForm,
    errors: FieldErrors,
    problem: Option<String>,
    answer: Option<AnswerView>,
    status: StatusCode,
) -> Response {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let chosen = Channel::parse(&form.channel);
    let form = CheckForm {
        csrf,
        text: form.text.clone(),
        channel: chosen.map(|c| c.slug().to_owned()).unwrap_or_default(),
        channels: Channel::ALL
            .iter()
            .map(|c| (c.slug(), c.label(), Some(*c) == chosen))
            .collect(),
        errors,
    };
    let page = CheckerPage {
        form,
        problem,
        answer,
        max_chars: views::thousands(MAX_CHARS as u64),
    };
    (status, jar, views::render(&page)).into_response()
}

/// `GET /scam-checker`.
pub async fn form(State(ctx): State<AppState>, jar: CookieJar) -> Response {
    let blank = CheckerForm::default();
    page(
        &ctx,
        jar,
        &blank,
        FieldErrors::default(),
        None,
        None,
        StatusCode::OK,
    )
}

/// A form posted without its CSRF token (or with an old one): the page again, with the text kept
/// and nothing checked or stored.
fn form_expired(ctx: &AppState, jar: CookieJar, form: &CheckerForm) -> Response {
    let problem = Some(csrf::FORM_EXPIRED.to_owned());
    page(
        ctx,
        jar,
        form,
        FieldErrors::default(),
        problem,
        None,
        StatusCode::FORBIDDEN,
    )
}

/// A check's refusal as the page shows it: the field's error, or the problem above the form.
fn refused(
    ctx: &AppState,
    jar: CookieJar,
    form: &CheckerForm,
    error: ScamCheckError,
) -> WebResult<Response> {
    let mut errors = FieldErrors::default();
    let (problem, status) = match error {
        ScamCheckError::Invalid(invalid) => {
            errors.add("text", invalid);
            (None, StatusCode::UNPROCESSABLE_ENTITY)
        }
        ScamCheckError::RateLimited => (
            Some(ScamCheckError::RateLimited.to_string()),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        ScamCheckError::Unexpected(error) => return Err(error.into()),
    };
    Ok(page(ctx, jar, form, errors, problem, None, status))
}

/// `POST /scam-checker`: the answer, on the same page, with the form to check another.
pub async fn check(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<CheckerForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(form_expired(&ctx, jar, &form));
    }
    let channel = Channel::parse(&form.channel);
    match scam_check::check(&ctx, &form.text, channel, &ip).await {
        Ok(answer) => {
            let view = AnswerView::of(&answer);
            let errors = FieldErrors::default();
            Ok(page(
                &ctx,
                jar,
                &form,
                errors,
                None,
                Some(view),
                StatusCode::OK,
            ))
        }
        Err(error) => refused(&ctx, jar, &form, error),
    }
}

/// `POST /scam-checker/share`: stores the message for the police, then says thank you. A
/// problem (no tick, a postcode that cannot be found) shows the answer again with it.
pub async fn share(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<CheckerForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(form_expired(&ctx, jar, &form));
    }
    let problem = if form.share != "yes" {
        Some((
            "share",
            "Tick the box to share this message with the police".to_owned(),
        ))
    } else {
        let input = ShareInput {
            text: form.text.clone(),
            channel: form.channel.clone(),
            postcode: form.postcode.clone(),
            name: form.name.clone(),
            nonce: form.nonce.clone(),
        };
        match scam_check::share(&ctx, &input, &ip).await {
            Ok(()) => return Ok(Redirect::to("/scam-checker/shared").into_response()),
            Err(ShareError::Invalid(field, message)) => Some((field, message)),
            Err(ShareError::Check(error)) => return refused(&ctx, jar, &form, error),
            Err(ShareError::Unexpected(error)) => return Err(error.into()),
        }
    };
    // Show the answer again, with the share form's problem beside its field.
    let channel = Channel::parse(&form.channel);
    let answer = match scam_check::check(&ctx, &form.text, channel, &ip).await {
        Ok(answer) => answer,
        Err(error) => return refused(&ctx, jar, &form, error),
    };
    let mut view = AnswerView::of(&answer);
    view.postcode = form.postcode.clone();
    view.name = form.name.clone();
    let mut errors = FieldErrors::default();
    if let Some((field, message)) = problem {
        errors.add(field, message);
    }
    Ok(page(
        &ctx,
        jar,
        &form,
        errors,
        None,
        Some(view),
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// `GET /scam-checker/shared`: the thank-you after sharing.
pub async fn shared() -> Response {
    views::message_page(
        "Thank you for sharing this with the police",
        &[
            "We have kept the message you shared, and what the scam checker made of it, so that the police can see which scams are going round and warn others.",
            "We do not reply to shared messages. If you have lost money or given your bank details, call your bank on 159 and report it to Report Fraud on 0300 123 2040. If you are in danger now, call 999.",
        ],
        Some(("/scam-checker", "Check another message")),
    )
}

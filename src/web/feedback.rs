//! Pages that alerts link to: rating the alert (a button, with a reason for "not useful") and
//! the reply form; and the SMS gateway's delivery-status callback.

use super::csrf;
use super::error::WebResult;
use super::views;
use super::AppState;
use crate::services::feedback::{
    self, CallbackResult, RatingOutcome, ReplyOutcome, StatusCallback,
};
use crate::services::messages::alert_reference;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::CookieJar;

fn link_gone() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "This link cannot be used",
            &["The link is not complete, or it belongs to alerts you no longer receive."],
            None,
        ),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "pages/rate.html")]
struct RatePage {
    title: String,
    reference: String,
    useful: bool,
    action: String,
    /// The question the other way round, in case of a slip.
    other: String,
    reason: String,
    problem: String,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RateForm {
    reason: String,
}

/// "useful" or "not-useful" from the link, as the rating it asks for.
fn verdict_of(verdict: &str) -> Option<bool> {
    match verdict {
        "useful" => Some(true),
        "not-useful" => Some(false),
        _ => None,
    }
}

fn rate_page(
    alert: &crate::store::Alert,
    token: &str,
    useful: bool,
    reason: &str,
    problem: &str,
) -> RatePage {
    let (this, other) = if useful {
        ("useful", "not-useful")
    } else {
        ("not-useful", "useful")
    };
    RatePage {
        title: alert.content.title.clone(),
        reference: alert_reference(alert.id),
        useful,
        action: format!("/rate/{token}/{this}"),
        other: format!("/rate/{token}/{other}"),
        reason: reason.to_owned(),
        problem: problem.to_owned(),
    }
}

/// `GET /rate/{token}/{verdict}`: the question with a button, recording nothing, because mail
/// scanners open the links in emails (as the confirmation link does).
pub async fn rate_form(
    State(ctx): State<AppState>,
    Path((token, verdict)): Path<(String, String)>,
) -> WebResult<Response> {
    let Some(useful) = verdict_of(&verdict) else {
        return Ok(link_gone());
    };
    let Some((alert, _)) = feedback::alert_link(&ctx, &token).await? else {
        return Ok(link_gone());
    };
    Ok(views::render(&rate_page(&alert, &token, useful, "", "")))
}

/// `POST /rate/{token}/{verdict}`: the button pressed. No CSRF token: the signed link is the
/// authority, and another site cannot know it.
pub async fn rate(
    State(ctx): State<AppState>,
    Path((token, verdict)): Path<(String, String)>,
    Form(form): Form<RateForm>,
) -> WebResult<Response> {
    let Some(useful) = verdict_of(&verdict) else {
        return Ok(link_gone());
    };
    let Some((alert, subscriber)) = feedback::alert_link(&ctx, &token).await? else {
        return Ok(link_gone());
    };
    match feedback::rate(&ctx, &alert, &subscriber, useful, &form.reason).await? {
        RatingOutcome::Recorded => {}
        RatingOutcome::NotSent => return Ok(link_gone()),
        RatingOutcome::Invalid(problem) => {
            let page = rate_page(&alert, &token, useful, &form.reason, &problem.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, views::render(&page)).into_response());
        }
    }
    let (thanks, other, other_text) = if useful {
        (
            "Thank you: you said this alert was useful.",
            "not-useful",
            "Change my answer to not useful",
        )
    } else {
        (
            "Thank you: you said this alert was not useful. Senders read these answers to make alerts better.",
            "useful",
            "Change my answer to useful",
        )
    };
    let other_link = format!("/rate/{token}/{other}");
    Ok(views::message_page(
        "Thank you for your answer",
        &[thanks, &format!("About: {}", alert.content.title)],
        Some((&other_link, other_text)),
    ))
}

#[derive(Template)]
#[template(path = "pages/reply.html")]
struct ReplyPage {
    title: String,
    reference: String,
    action: String,
    csrf: String,
    body: String,
    problem: String,
    /// A Neighbourhood Watch coordinator's message: the reply goes to the scheme's
    /// coordinators by email.
    to_coordinators: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReplyForm {
    csrf: String,
    body: String,
}

async fn reply_page(
    ctx: &AppState,
    alert: &crate::store::Alert,
    token: &str,
    csrf: String,
    body: &str,
    problem: &str,
) -> anyhow::Result<ReplyPage> {
    let to_coordinators = crate::services::schemes::coordinators_message(ctx, alert)
        .await?
        .is_some();
    Ok(ReplyPage {
        title: alert.content.title.clone(),
        reference: alert_reference(alert.id),
        action: format!("/reply/{token}"),
        csrf,
        body: body.to_owned(),
        problem: problem.to_owned(),
        to_coordinators,
    })
}

/// `GET /reply/{token}`.
pub async fn reply_form(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> WebResult<Response> {
    let Some((alert, _)) = feedback::alert_link(&ctx, &token).await? else {
        return Ok(link_gone());
    };
    let (jar, csrf) = csrf::issue(&ctx, jar);
    Ok((
        jar,
        views::render(&reply_page(&ctx, &alert, &token, csrf, "", "").await?),
    )
        .into_response())
}

/// `POST /reply/{token}`.
pub async fn reply(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
    Form(form): Form<ReplyForm>,
) -> WebResult<Response> {
    let Some((alert, subscriber)) = feedback::alert_link(&ctx, &token).await? else {
        return Ok(link_gone());
    };
    let problem = if !csrf::verify(&ctx, &jar, &form.csrf) {
        "This form had expired. Your message is below: send it again.".to_owned()
    } else {
        match feedback::reply(&ctx, &alert, &subscriber, &form.body).await? {
            ReplyOutcome::Sent { thread_token } => {
                let thread = format!("/chat/{thread_token}");
                return Ok(views::message_page(
                    "Your reply has been sent",
                    &[
                        "The people who sent the alert will read it, and our contact centre will answer you by email.",
                        "You can read your conversation and add to it at any time: keep this link to yourself.",
                    ],
                    Some((&thread, "See your conversation")),
                ));
            }
            ReplyOutcome::NotSent => {
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    views::message_page(
                        "Your reply was not sent",
                        &["You have already sent the most replies this alert takes. Thank you: the senders will read them."],
                        None,
                    ),
                )
                    .into_response())
            }
            ReplyOutcome::ToCoordinators => {
                return Ok(views::message_page(
                    "Your reply has been sent",
                    &["We emailed it to the scheme's coordinators, with your name and email address, so that they can answer you."],
                    None,
                ));
            }
            ReplyOutcome::NoCoordinator => {
                "The scheme has no coordinator to read replies at the moment, so your reply was not sent. Call 101 to reach your neighbourhood policing team.".to_owned()
            }
            ReplyOutcome::Invalid(problem) => problem.to_string(),
        }
    };
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = reply_page(&ctx, &alert, &token, csrf, &form.body, &problem).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, views::render(&page)).into_response())
}

/// `POST /notify/callback`: the SMS gateway's delivery receipts, authenticated by the bearer
/// token configured on both sides.
pub async fn notify_callback(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    let expected = &ctx.settings.sms.notify_callback_token;
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if expected.is_empty() || !crate::services::tokens::same(presented, expected) {
        return Ok((StatusCode::UNAUTHORIZED, "a valid bearer token is needed").into_response());
    }
    let Ok(callback) = serde_json::from_slice::<StatusCallback>(&body) else {
        return Ok((
            StatusCode::BAD_REQUEST,
            "the body is not a delivery-status callback",
        )
            .into_response());
    };
    Ok(match feedback::status_callback(&ctx, &callback).await? {
        CallbackResult::Recorded | CallbackResult::InProgress => {
            StatusCode::NO_CONTENT.into_response()
        }
        CallbackResult::Unknown => (StatusCode::NOT_FOUND, "no text has that id").into_response(),
    })
}

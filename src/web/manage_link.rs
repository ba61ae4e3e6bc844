//! Asking again for the link to manage one's alerts: an email address in, the same answer out
//! whether or not it is signed up (`subscriptions::send_manage_link`).

use super::csrf;
use super::error::{UseCaseError, WebResult};
use super::views;
use super::{AppState, ClientIp};
use crate::domain::subscriber::FieldErrors;
use crate::services::subscriptions::{self as subs, SubscriptionError};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

/// The one-field form as the page shows it.
pub struct EmailForm {
    pub csrf: String,
    pub email: String,
    pub errors: FieldErrors,
}

impl EmailForm {
    pub fn error(&self, field: &str) -> &str {
        self.errors.for_field(field).unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "pages/manage_link.html")]
struct ManageLinkPage {
    form: EmailForm,
    problem: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ManageLinkForm {
    csrf: String,
    email: String,
}

fn page(
    ctx: &AppState,
    jar: CookieJar,
    email: &str,
    errors: FieldErrors,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let form = EmailForm {
        csrf,
        email: email.to_owned(),
        errors,
    };
    (
        status,
        jar,
        views::render(&ManageLinkPage { form, problem }),
    )
        .into_response()
}

/// `GET /manage-link`.
pub async fn form(State(ctx): State<AppState>, jar: CookieJar) -> Response {
    page(&ctx, jar, "", FieldErrors::default(), None, StatusCode::OK)
}

/// `POST /manage-link`.
pub async fn request(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<ManageLinkForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let problem = Some(csrf::FORM_EXPIRED.to_owned());
        return Ok(page(
            &ctx,
            jar,
            &form.email,
            FieldErrors::default(),
            problem,
            StatusCode::FORBIDDEN,
        ));
    }
    match subs::send_manage_link(&ctx, &form.email, &ip).await {
        Ok(()) => Ok(Redirect::to("/manage-link/sent").into_response()),
        Err(error) => {
            let status = error.status_code();
            match error {
                SubscriptionError::Invalid(errors) => {
                    Ok(page(&ctx, jar, &form.email, errors, None, status))
                }
                SubscriptionError::RateLimited => {
                    let problem = Some(
                        "Links have been asked for too often from here or for this address. Please try again in an hour."
                            .to_owned(),
                    );
                    Ok(page(
                        &ctx,
                        jar,
                        &form.email,
                        FieldErrors::default(),
                        problem,
                        status,
                    ))
                }
                error => Err(error.into()),
            }
        }
    }
}

/// `GET /manage-link/sent`: the same words whoever asked.
pub async fn sent() -> Response {
    views::message_page(
        "Check your email",
        &[
            "If that address is signed up for alerts, we have sent it an email with the link to manage them. It should arrive in a few minutes: if it does not, check your spam or junk folder.",
            "If no email comes, the address may not be signed up, or may be a different one from the one you get alerts at.",
        ],
        Some(("/signup", "Sign up for alerts")),
    )
}

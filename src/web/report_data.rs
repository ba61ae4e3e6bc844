//! A reporter's own report, from its link: downloaded as JSON, or erased at their request (for
//! reporters with no alerts subscription, whose manage link would otherwise do both).

use super::csrf;
use super::error::WebResult;
use super::pages::CsrfOnly;
use super::permission::ReportLink;
use super::views::{self, ConfirmActionPage};
use super::AppState;
use crate::services::reporter_data::{self, Erased};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::cookie::CookieJar;

/// `GET /reports/{token}/data.json`: everything the report holds, as its reporter may read it.
pub async fn download(State(ctx): State<AppState>, link: ReportLink) -> WebResult<Response> {
    let filename = format!(
        "attachment; filename=\"report-{}.json\"",
        link.report.reference
    );
    let data = reporter_data::report_data(&ctx, link.report).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        serde_json::to_string_pretty(&data)?,
    )
        .into_response())
}

/// `GET /reports/{token}/erase`: what erasing does, and the button.
pub async fn erase_form(
    State(ctx): State<AppState>,
    link: ReportLink,
    jar: CookieJar,
) -> WebResult<Response> {
    let token = &link.token;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = ConfirmActionPage {
        title: format!("Erase your report {}", link.report.reference),
        paragraphs: vec![
            "If no crime has been recorded, this deletes your report, its photos and files and \
             every update straight away, and this link stops working."
                .into(),
            "If a crime has been recorded, the police must keep the report: we remove your \
             name, email address and phone number from it instead, and can no longer contact \
             you about it."
                .into(),
            "It cannot be undone.".into(),
        ],
        action: format!("/reports/{token}/erase"),
        button: "Erase my report".into(),
        warning: true,
        csrf: Some(csrf),
        hidden: Vec::new(),
        back: Some((format!("/reports/{token}"), "Keep my report".into())),
    };
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /reports/{token}/erase`.
pub async fn erase(
    State(ctx): State<AppState>,
    link: ReportLink,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok((
            StatusCode::FORBIDDEN,
            views::message_page(
                "Your report has not been erased",
                &[csrf::FORM_EXPIRED],
                Some((&format!("/reports/{}/erase", link.token), "Try again")),
            ),
        )
            .into_response());
    }
    Ok(
        match reporter_data::erase_report(&ctx, &link.report).await? {
            Erased::Deleted => views::message_page(
                "Your report has been erased",
                &["We have deleted your report, its photos and files and every update."],
                Some(("/report", "Report something else")),
            ),
            Erased::DetailsRemoved => views::message_page(
                "Your details have been removed",
                &[
                    "A crime was recorded, so the police keep the report, but your name, email \
               address and phone number are no longer on it. We cannot contact you about it.",
                ],
                None,
            ),
        },
    )
}

//! Residents' pages: sign up, confirm, manage preferences, confirm a mobile, download or erase
//! their data, unsubscribe. Every form is CSRF-protected and works without JavaScript; after a
//! successful POST the browser is redirected, so a refresh or a double click repeats nothing.

use super::csrf;
use super::error::{link_problem, UseCaseError, WebResult};
use super::permission::{ManageLink, UnsubscribeLink};
use super::views::{self, ConfirmActionPage, FormView, ManagePage, SignUpPage};
use super::{AppState, ClientIp};
use crate::domain::subscriber::{FieldErrors, PlaceInput, SignUpInput};
use crate::services::catalogue::{self, Catalogue};
use crate::services::subscriptions::{
    self as subs, ConfirmationLink, MobileCodeError, PreferencesSaved, SubscriptionError,
};
use crate::store::{ConfirmOutcome, SubscriberStatus};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

/// The sign-up and manage forms as they arrive (repeated keys for the checkbox lists).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PreferencesForm {
    csrf: String,
    name: String,
    email: String,
    mobile: String,
    place0_postcode: String,
    place0_label: String,
    place1_postcode: String,
    place1_label: String,
    place2_postcode: String,
    place2_label: String,
    providers: Vec<String>,
    message_types: Vec<String>,
    channels: Vec<String>,
    sms_min_priority: String,
    quiet_start: String,
    quiet_end: String,
    email_format: String,
}

impl PreferencesForm {
    fn input(&self) -> SignUpInput {
        let place = |postcode: &str, label: &str| PlaceInput {
            postcode: postcode.to_owned(),
            label: label.to_owned(),
        };
        SignUpInput {
            name: self.name.clone(),
            email: self.email.clone(),
            mobile: self.mobile.clone(),
            places: vec![
                place(&self.place0_postcode, &self.place0_label),
                place(&self.place1_postcode, &self.place1_label),
                place(&self.place2_postcode, &self.place2_label),
            ],
            providers: self.providers.clone(),
            message_types: self.message_types.clone(),
            channels: self.channels.clone(),
            // Anything that is not a number is reported as an out-of-range priority.
            sms_min_priority: match self.sms_min_priority.trim() {
                "" => None,
                level => Some(level.parse().unwrap_or(0)),
            },
            quiet_start: self.quiet_start.clone(),
            quiet_end: self.quiet_end.clone(),
            email_format: self.email_format.clone(),
        }
    }
}

async fn sign_up_page(
    ctx: &AppState,
    jar: CookieJar,
    input: &SignUpInput,
    errors: FieldErrors,
    problem: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let catalogue = catalogue::catalogue(ctx).await?;
    Ok(sign_up_with(
        ctx, jar, &catalogue, input, errors, problem, status,
    ))
}

fn sign_up_with(
    ctx: &AppState,
    jar: CookieJar,
    catalogue: &Catalogue,
    input: &SignUpInput,
    errors: FieldErrors,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (jar, token) = csrf::issue(ctx, jar);
    let form = FormView::from_input(
        input,
        &catalogue.providers,
        &catalogue.message_types,
        token,
        errors,
    );
    (status, jar, views::render(&SignUpPage { form, problem })).into_response()
}

pub async fn sign_up_form(State(ctx): State<AppState>, jar: CookieJar) -> WebResult<Response> {
    let catalogue = catalogue::catalogue(&ctx).await?;
    let input = views::default_input(&catalogue.providers, &catalogue.message_types);
    Ok(sign_up_with(
        &ctx,
        jar,
        &catalogue,
        &input,
        FieldErrors::default(),
        None,
        StatusCode::OK,
    ))
}

pub async fn sign_up(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<PreferencesForm>,
) -> WebResult<Response> {
    let input = form.input();
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let problem = Some(csrf::FORM_EXPIRED.to_owned());
        return sign_up_page(
            &ctx,
            jar,
            &input,
            FieldErrors::default(),
            problem,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    match subs::sign_up(&ctx, &input, &ip).await {
        Ok(()) => Ok(Redirect::to("/signup/check-your-email").into_response()),
        Err(error) => {
            let status = error.status_code();
            match error {
                SubscriptionError::Invalid(errors) => {
                    sign_up_page(&ctx, jar, &input, errors, None, status).await
                }
                SubscriptionError::RateLimited => {
                    let problem = Some(error.to_string());
                    sign_up_page(&ctx, jar, &input, FieldErrors::default(), problem, status).await
                }
                error => Err(error.into()),
            }
        }
    }
}

pub async fn check_your_email(State(ctx): State<AppState>) -> Response {
    let hours = format!(
        "The link works for {} hours. If the email has not arrived in a few minutes, check your spam or junk folder.",
        ctx.settings.limits.confirmation_link_hours
    );
    views::message_page(
        "Check your email",
        &[
            "We have sent you an email with a link to confirm your subscription. Open it to start receiving alerts.",
            &hours,
            "If you already receive alerts at this address, the email tells you how to change them instead.",
        ],
        None,
    )
}

/// `GET /confirm/{token}`: a button, not the confirmation itself, because mail scanners open
/// links in emails and must not confirm a sign-up nobody asked for.
pub async fn confirm_form(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let subscriber = match subs::read_confirmation(&ctx, &token).await {
        Ok(ConfirmationLink::Waiting(subscriber)) => subscriber,
        Ok(ConfirmationLink::Used) => return Ok(already_confirmed()),
        Err(SubscriptionError::Link(problem)) => return Ok(link_problem(problem)),
        Err(error) => return Err(error.into()),
    };
    let page = ConfirmActionPage {
        title: "Confirm your subscription".into(),
        paragraphs: vec![format!(
            "Press the button to start receiving alerts at {}.",
            subscriber.email
        )],
        action: format!("/confirm/{token}"),
        button: "Confirm my subscription".into(),
        warning: false,
        csrf: None,
        hidden: Vec::new(),
        back: None,
    };
    Ok(views::render(&page))
}

/// Used links do not lead on to the resident's settings: a link that keeps working forever
/// would be a password-free key to them. Every alert email carries a manage link instead.
fn already_confirmed() -> Response {
    views::message_page(
        "Your subscription is already confirmed",
        &["This link has been used already: your subscription was confirmed then, and nothing has changed. To change your alerts, use the “Manage your alerts” link in any email we send you."],
        None,
    )
}

pub async fn confirm(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let confirmation = match subs::confirm_email(&ctx, &token).await {
        Ok(confirmation) if confirmation.outcome == ConfirmOutcome::AlreadyConfirmed => {
            return Ok(already_confirmed())
        }
        Ok(confirmation) => confirmation,
        Err(SubscriptionError::Link(problem)) => return Ok(link_problem(problem)),
        Err(error) => return Err(error.into()),
    };
    let manage = format!(
        "/manage/{}",
        subs::manage_token(&ctx, &confirmation.subscriber)
    );
    let mut paragraphs = vec!["Thank you. You will now receive the alerts you chose."];
    if confirmation.mobile_code_sent {
        paragraphs.push("We have sent a 6-digit code to your mobile. Enter it on the next page to start receiving text messages.");
    }
    Ok(views::message_page(
        "Your subscription is confirmed",
        &paragraphs,
        Some((&manage, "Manage your alerts")),
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ManageQuery {
    saved: Option<String>,
}

/// The manage page as one resident's link shows it: their choices (or what they just typed),
/// with any problems, and the status to answer with.
struct ManageView<'a> {
    link: &'a ManageLink,
    input: SignUpInput,
    errors: FieldErrors,
    /// What is wrong with the mobile code they entered or asked for.
    code_error: String,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
}

impl<'a> ManageView<'a> {
    /// The page with the resident's saved choices and nothing to report.
    fn of(link: &'a ManageLink) -> ManageView<'a> {
        ManageView {
            link,
            input: views::input_from(&link.subscriber.preferences),
            errors: FieldErrors::default(),
            code_error: String::new(),
            notice: None,
            problem: None,
            status: StatusCode::OK,
        }
    }

    /// The form came from an expired page or another site.
    fn expired(self) -> ManageView<'a> {
        ManageView {
            problem: Some(csrf::FORM_EXPIRED.to_owned()),
            status: StatusCode::FORBIDDEN,
            ..self
        }
    }
}

async fn manage_page(ctx: &AppState, jar: CookieJar, view: ManageView<'_>) -> WebResult<Response> {
    let catalogue = catalogue::catalogue(ctx).await?;
    let (jar, csrf) = csrf::issue(ctx, jar);
    let subscriber = &view.link.subscriber;
    let form = FormView::from_input(
        &view.input,
        &catalogue.providers,
        &catalogue.message_types,
        csrf,
        view.errors,
    );
    let page = ManagePage {
        form,
        token: view.link.token.clone(),
        email: subscriber.email.to_string(),
        status: subscriber.status.as_str(),
        mobile: subscriber.preferences.mobile.as_ref().map(|m| m.national()),
        mobile_confirmed: subscriber.mobile_confirmed_at.is_some(),
        mobile_code_waiting: subscriber.mobile_code_hash.is_some(),
        code_error: view.code_error,
        notice: view.notice,
        problem: view.problem,
    };
    Ok((view.status, jar, views::render(&page)).into_response())
}

pub async fn manage_form(
    State(ctx): State<AppState>,
    link: ManageLink,
    Query(query): Query<ManageQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let notice = match query.saved.as_deref() {
        Some("preferences") => Some("Your changes have been saved.".to_owned()),
        Some("code-sent") => Some("Your changes have been saved. We have texted a 6-digit code to your mobile: enter it below to receive text messages.".to_owned()),
        Some("mobile") => Some("Your mobile number is confirmed. Text messages will reach you.".to_owned()),
        Some("code-resent") => Some("We have sent you a new code.".to_owned()),
        _ => None,
    };
    let view = ManageView {
        notice,
        ..ManageView::of(&link)
    };
    manage_page(&ctx, jar, view).await
}

pub async fn manage_save(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
    Form(form): Form<PreferencesForm>,
) -> WebResult<Response> {
    let input = form.input();
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let view = ManageView {
            input,
            ..ManageView::of(&link)
        };
        return manage_page(&ctx, jar, view.expired()).await;
    }
    let token = &link.token;
    match subs::update_preferences(&ctx, &link.subscriber, &input).await {
        Ok(PreferencesSaved::Saved) => {
            Ok(Redirect::to(&format!("/manage/{token}?saved=preferences")).into_response())
        }
        Ok(PreferencesSaved::SavedMobileCodeSent) => {
            Ok(Redirect::to(&format!("/manage/{token}?saved=code-sent")).into_response())
        }
        Err(error) => {
            let status = error.status_code();
            let SubscriptionError::Invalid(errors) = error else {
                return Err(error.into());
            };
            let view = ManageView {
                input,
                errors,
                status,
                ..ManageView::of(&link)
            };
            manage_page(&ctx, jar, view).await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

pub async fn mobile_code(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return manage_page(&ctx, jar, ManageView::of(&link).expired()).await;
    }
    match subs::confirm_mobile(&ctx, &link.subscriber, &form.code).await {
        Ok(()) => Ok(Redirect::to(&format!("/manage/{}?saved=mobile", link.token)).into_response()),
        Err(MobileCodeError::Unexpected(error)) => Err(error.into()),
        Err(error) => {
            let view = ManageView {
                code_error: error.to_string(),
                status: error.status_code(),
                ..ManageView::of(&link)
            };
            manage_page(&ctx, jar, view).await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn mobile_code_resend(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return manage_page(&ctx, jar, ManageView::of(&link).expired()).await;
    }
    match subs::resend_mobile_code(&ctx, &link.subscriber).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/manage/{}?saved=code-resent", link.token)).into_response())
        }
        Err(error @ SubscriptionError::RateLimited) => {
            let view = ManageView {
                code_error: "You have asked for several codes in the last hour. Wait a while, then ask again.".to_owned(),
                status: error.status_code(),
                ..ManageView::of(&link)
            };
            manage_page(&ctx, jar, view).await
        }
        Err(error) => Err(error.into()),
    }
}

pub async fn download_data(State(ctx): State<AppState>, link: ManageLink) -> WebResult<Response> {
    let data = subs::export(&ctx, &link.subscriber).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"my-beacon-data.json\"",
            ),
        ],
        serde_json::to_string_pretty(&data)?,
    )
        .into_response())
}

pub async fn erase_form(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
) -> WebResult<Response> {
    let token = &link.token;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = ConfirmActionPage {
        title: "Delete your account".into(),
        paragraphs: vec![
            "This deletes your name, email address, mobile number, places and choices straight away. You will receive no more alerts.".into(),
            "Reports you made online with this email address are deleted too; where a report led to a crime being recorded, the police keep the report but remove your name, email address and phone number from it.".into(),
            "It cannot be undone: to receive alerts again you would sign up afresh.".into(),
        ],
        action: format!("/manage/{token}/erase"),
        button: "Delete my account".into(),
        warning: true,
        csrf: Some(csrf),
        hidden: Vec::new(),
        back: Some((format!("/manage/{token}"), "Keep my account".into())),
    };
    Ok((jar, views::render(&page)).into_response())
}

pub async fn erase(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok((
            StatusCode::FORBIDDEN,
            views::message_page(
                "Your account has not been deleted",
                &[csrf::FORM_EXPIRED],
                Some((&format!("/manage/{}/erase", link.token), "Try again")),
            ),
        )
            .into_response());
    }
    subs::erase(&ctx, &link.subscriber).await?;
    Ok(views::message_page(
        "Your account has been deleted",
        &["We have deleted everything we held about you. You will receive no more alerts."],
        Some(("/", "Sign up again")),
    ))
}

pub async fn unsubscribe_form(
    State(ctx): State<AppState>,
    UnsubscribeLink { subscriber, token }: UnsubscribeLink,
) -> WebResult<Response> {
    if subscriber.status == SubscriberStatus::Unsubscribed {
        return Ok(unsubscribed_page());
    }
    // No CSRF token here: the signed link is the authority, and mail providers' one-click
    // unsubscribe (RFC 8058) posts to the same address without any cookie.
    let page = ConfirmActionPage {
        title: "Unsubscribe from all alerts".into(),
        paragraphs: vec![format!(
            "You will stop receiving all alerts at {}, by email and by text message.",
            subscriber.email
        )],
        action: format!("/unsubscribe/{token}"),
        button: "Unsubscribe".into(),
        warning: false,
        csrf: None,
        hidden: vec![("List-Unsubscribe".into(), "One-Click".into())],
        back: Some((
            format!("/manage/{}", subs::manage_token(&ctx, &subscriber)),
            "Change which alerts I get instead".into(),
        )),
    };
    Ok(views::render(&page))
}

pub async fn unsubscribe(
    State(ctx): State<AppState>,
    UnsubscribeLink { subscriber, .. }: UnsubscribeLink,
) -> WebResult<Response> {
    subs::unsubscribe(&ctx, &subscriber).await?;
    Ok(unsubscribed_page())
}

fn unsubscribed_page() -> Response {
    views::message_page(
        "You have unsubscribed",
        &["You will receive no more alerts from Beacon. Changed your mind? You can sign up again at any time."],
        Some(("/", "Sign up again")),
    )
}

/// The stylesheet, ending with the configured header colour.
pub async fn stylesheet() -> Response {
    let css = [
        include_str!("../../static/beacon.css"),
        &super::branding::current().stylesheet_rule(),
    ]
    .concat();
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        css,
    )
        .into_response()
}

pub(super) fn script(source: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        source,
    )
        .into_response()
}

/// The compose page's scripts: the text-message counter and drawing a shape on the map. The
/// page works without them.
pub async fn compose_script() -> Response {
    script(include_str!("../../static/compose.js"))
}

pub async fn draw_script() -> Response {
    script(include_str!("../../static/draw.js"))
}

pub async fn map_tiles_script() -> Response {
    script(include_str!("../../static/map-tiles.js"))
}

pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "Page not found",
            &["If you typed the web address, check it is correct."],
            Some(("/", "Sign up for alerts")),
        ),
    )
        .into_response()
}

//! Staff pages: sign-in, enrolment, sign-out and the staff home, with the `SignedInStaff`
//! extractor every staff page uses (no session: to the sign-in page).

use super::csrf;
use super::error::{UseCaseError, WebResult};
use super::{views, AppState, ClientIp};
use crate::domain::subscriber::FieldErrors;
use crate::services::staff::{
    self as staff_service, Actor, EnrolInput, EnrolmentError, SignInError, SignInInput,
};
use crate::store::StaffMember;
use askama::Template;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use axum_extra::extract::Form;

fn session_cookie_name(ctx: &AppState) -> &'static str {
    if ctx.settings.server.secure_cookies {
        "__Host-beacon_staff"
    } else {
        "beacon_staff"
    }
}

/// The staff session token the request's cookie carries, if any.
pub fn session_token(ctx: &AppState, jar: &CookieJar) -> Option<String> {
    jar.get(session_cookie_name(ctx))
        .map(|c| c.value().to_owned())
}

/// A signed-in member of staff and their session token.
pub struct SignedInStaff {
    pub staff: StaffMember,
    pub token: String,
}

impl FromRequestParts<AppState> for SignedInStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar
            .get(session_cookie_name(ctx))
            .map(|c| c.value().to_owned())
        else {
            return Err(Redirect::to("/staff/sign-in").into_response());
        };
        match staff_service::session(ctx, &token).await {
            Ok(Some(staff)) if staff.permissions.only_coordinates() => {
                coordinator_only(parts, ctx, staff, token).await
            }
            Ok(Some(staff)) => Ok(SignedInStaff { staff, token }),
            Ok(None) => Err(Redirect::to("/staff/sign-in").into_response()),
            Err(error) => Err(super::error::WebError(error).into_response()),
        }
    }
}

/// Routes a coordinator who is nothing else may use: their schemes' pages, the staff home
/// (which sends them on to their schemes) and signing out. Every other staff page is the
/// force's, and refuses them, audited.
const COORDINATOR_ROUTES: [&str; 2] = ["/staff", "/staff/sign-out"];

async fn coordinator_only(
    parts: &mut Parts,
    ctx: &AppState,
    staff: StaffMember,
    token: String,
) -> Result<SignedInStaff, Response> {
    let route = parts
        .extensions
        .get::<axum::extract::MatchedPath>()
        .map_or("", |m| m.as_str())
        .to_owned();
    if COORDINATOR_ROUTES.contains(&route.as_str()) || route.starts_with("/staff/coordinate") {
        return Ok(SignedInStaff { staff, token });
    }
    let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, ctx).await;
    let refused = staff_service::audit(
        ctx,
        &actor(&staff, &ip),
        "view-staff-page",
        &route,
        "a coordinator uses only their schemes' pages",
        true,
    )
    .await;
    Err(match refused {
        Ok(()) => forbidden(),
        Err(error) => super::error::WebError(error).into_response(),
    })
}

/// What the staff header shows.
pub struct Nav {
    pub name: String,
    pub admin: bool,
    /// May keep templates: a sender or an admin.
    pub sender: bool,
    /// May read online reports: an operator, a reviewer or an admin.
    pub reports: bool,
    /// May use the operators' inbox: an operator or an admin.
    pub inbox: bool,
    /// Coordinates Neighbourhood Watch schemes.
    pub coordinator: bool,
    /// May use the force's staff pages: anyone but a coordinator who is nothing else.
    pub force: bool,
    pub csrf: String,
}

pub fn nav(staff: &StaffMember, csrf: &str) -> Option<Nav> {
    Some(Nav {
        name: staff.name.clone(),
        admin: staff.permissions.admin,
        sender: staff.permissions.send || staff.permissions.admin,
        reports: staff.permissions.sees_reports(),
        inbox: staff.permissions.may_operate(),
        coordinator: staff.permissions.coordinate,
        force: !staff.permissions.only_coordinates(),
        csrf: csrf.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "staff/sign_in.html")]
struct SignInPage {
    nav: Option<Nav>,
    csrf: String,
    email: String,
    problem: Option<String>,
}

pub async fn sign_in_form(State(ctx): State<AppState>, jar: CookieJar) -> Response {
    let (jar, csrf) = csrf::issue(&ctx, jar);
    (
        jar,
        views::render(&SignInPage {
            nav: None,
            csrf,
            email: String::new(),
            problem: None,
        }),
    )
        .into_response()
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SignInForm {
    csrf: String,
    email: String,
    password: String,
    code: String,
}

pub async fn sign_in(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let refuse = |jar: CookieJar, problem: &str, status: StatusCode| {
        let (jar, csrf) = csrf::issue(&ctx, jar);
        let page = SignInPage {
            nav: None,
            csrf,
            email: form.email.chars().take(320).collect(),
            problem: Some(problem.to_owned()),
        };
        (status, jar, views::render(&page)).into_response()
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(refuse(
            jar,
            super::csrf::FORM_EXPIRED,
            StatusCode::FORBIDDEN,
        ));
    }
    let input = SignInInput {
        email: &form.email,
        password: &form.password,
        code: &form.code,
    };
    match staff_service::sign_in(&ctx, &input, &ip).await {
        Ok(signed_in) => {
            let cookie = Cookie::build((session_cookie_name(&ctx), signed_in.session_token))
                .path("/")
                .http_only(true)
                .secure(ctx.settings.server.secure_cookies)
                .same_site(SameSite::Strict)
                .build();
            Ok((jar.add(cookie), Redirect::to("/staff")).into_response())
        }
        Err(SignInError::Unexpected(error)) => Err(error.into()),
        Err(refusal) => Ok(refuse(jar, &refusal.to_string(), refusal.status_code())),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn sign_out(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    staff_service::sign_out(&ctx, &signed_in.staff, &signed_in.token, &ip).await?;
    let jar = jar.remove(Cookie::build(session_cookie_name(&ctx)).path("/").build());
    Ok((
        jar,
        views::message_page(
            "You have signed out",
            &["Close this window if you are on a shared computer."],
            Some(("/staff/sign-in", "Sign in again")),
        ),
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "staff/enrol.html")]
struct EnrolPage {
    nav: Option<Nav>,
    csrf: String,
    action: String,
    name: String,
    role: String,
    organisation: String,
    secret: String,
    secret_seal: String,
    qr_svg: String,
    errors: FieldErrors,
}

fn enrol_page(
    ctx: &AppState,
    jar: CookieJar,
    token: &str,
    enrolment: &staff_service::Enrolment,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let (jar, csrf) = csrf::issue(ctx, jar);
    // The XML prologue has no place inside an HTML page.
    let qr_svg = enrolment
        .qr_svg
        .find("<svg")
        .map_or_else(String::new, |at| enrolment.qr_svg[at..].to_owned());
    let page = EnrolPage {
        nav: None,
        csrf,
        action: format!("/staff/enrol/{token}"),
        name: enrolment.staff.name.clone(),
        role: enrolment.staff.role_title.clone(),
        organisation: enrolment.staff.provider_name.clone(),
        secret: enrolment.secret.clone(),
        secret_seal: enrolment.secret_seal.clone(),
        qr_svg,
        errors,
    };
    (status, jar, views::render(&page)).into_response()
}

fn enrolment_link_problem() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "This enrolment link cannot be used",
            &["It has been used already, has expired (links last 72 hours) or was replaced by a newer one. Ask an admin for a new link."],
            None,
        ),
    )
        .into_response()
}

pub async fn enrol_form(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> WebResult<Response> {
    match staff_service::enrolment(&ctx, &token, None).await? {
        Some(enrolment) => Ok(enrol_page(
            &ctx,
            jar,
            &token,
            &enrolment,
            FieldErrors::default(),
            StatusCode::OK,
        )),
        None => Ok(enrolment_link_problem()),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EnrolForm {
    csrf: String,
    secret: String,
    secret_seal: String,
    password: String,
    password_again: String,
    code: String,
}

#[derive(Template)]
#[template(path = "staff/recovery_codes.html")]
struct RecoveryCodesPage {
    nav: Option<Nav>,
    codes: Vec<String>,
}

pub async fn enrol(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    jar: CookieJar,
    Form(form): Form<EnrolForm>,
) -> WebResult<Response> {
    let Some(enrolment) =
        staff_service::enrolment(&ctx, &token, Some((&form.secret, &form.secret_seal))).await?
    else {
        return Ok(enrolment_link_problem());
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("password", super::csrf::FORM_EXPIRED);
        return Ok(enrol_page(
            &ctx,
            jar,
            &token,
            &enrolment,
            errors,
            StatusCode::FORBIDDEN,
        ));
    }
    let input = EnrolInput {
        password: &form.password,
        password_again: &form.password_again,
        code: &form.code,
    };
    match staff_service::complete_enrolment(&ctx, &enrolment, &input, &ip).await {
        Ok(codes) => Ok(views::render(&RecoveryCodesPage { nav: None, codes })),
        Err(EnrolmentError::Invalid(errors)) => Ok(enrol_page(
            &ctx,
            jar,
            &token,
            &enrolment,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(EnrolmentError::LinkUsed) => Ok(enrolment_link_problem()),
        Err(error) => Err(error.into()),
    }
}

/// An action refused for want of a permission: a clear page, and the refusal is in the audit
/// log already.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        views::message_page(
            "You may not do that",
            &["Your account does not have the permission this needs. Ask an admin if you think it should."],
            Some(("/staff", "Back to alerts")),
        ),
    )
        .into_response()
}

pub fn actor<'a>(staff: &'a StaffMember, ip: &'a str) -> Actor<'a> {
    Actor {
        staff: Some(staff),
        ip,
    }
}

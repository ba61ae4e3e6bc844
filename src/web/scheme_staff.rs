//! Neighbourhood Watch pages for the force's staff (`/staff/schemes`: verify proposals, set a
//! scheme's standing, appoint and remove coordinators, close and reopen, write to the
//! coordinators of a district) and for coordinators (`/staff/coordinate`: their schemes, the
//! requests to join, the members they may see, and writing to their members).

use super::error::WebResult;
use super::flash::{self, Flash};
use super::permission::{CoordinatorStaff, SenderStaff};
use super::schemes::scheme_not_found;
use super::staff::{actor, forbidden, nav, Nav};
use super::{csrf, views, AppState, ClientIp};
use crate::domain::scheme::{SchemeStatus, Standing};
use crate::domain::subscriber::FieldErrors;
use crate::geo::districts::District;
use crate::services::scheme_coordinators::{self as coordinators, CoordinatorView, MessageInput};
use crate::services::schemes::{
    self as service, AppointInput, CoordinatorsMessage, SchemeError, StaffScheme,
};
use crate::store::Scheme;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

/// Answers a refusal or a problem from the schemes' services: the form's problems go back to
/// the page they came from as a notice (these forms are short), a refusal is the "You may not
/// do that" page.
fn answered(
    ctx: &AppState,
    jar: CookieJar,
    back: &str,
    result: Result<String, SchemeError>,
) -> WebResult<Response> {
    match result {
        Ok(notice) => Ok(flash::redirect(ctx, jar, back, Flash::notice(notice))),
        Err(SchemeError::Invalid(errors)) => {
            let problems: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            Ok(flash::redirect(
                ctx,
                jar,
                back,
                Flash::notice(format!("Nothing was changed: {}.", problems.join("; "))),
            ))
        }
        Err(SchemeError::Changed(why)) => Ok(flash::redirect(ctx, jar, back, Flash::notice(why))),
        Err(SchemeError::NotPermitted(_)) => Ok(forbidden()),
        Err(SchemeError::NotFound) => Ok(scheme_not_found()),
        Err(error) => Err(anyhow::Error::from(error).into()),
    }
}

#[derive(Template)]
#[template(path = "staff/schemes.html")]
struct ListPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    schemes: Vec<Scheme>,
    districts: Vec<District>,
    message: CoordinatorsMessage,
    errors: FieldErrors,
}

async fn list_page(
    ctx: &AppState,
    staff: &crate::store::StaffMember,
    ip: &str,
    jar: CookieJar,
    message: CoordinatorsMessage,
    errors: FieldErrors,
) -> WebResult<Response> {
    let schemes = match service::for_staff(ctx, &actor(staff, ip)).await {
        Ok(schemes) => schemes,
        Err(SchemeError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let districts = service::districts(ctx).await?;
    let (jar, flash) = flash::take(ctx, jar);
    let (jar, csrf) = csrf::issue(ctx, jar);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = ListPage {
        nav: nav(staff, &csrf),
        csrf,
        notice: flash.notice,
        schemes,
        districts,
        message,
        errors,
    };
    Ok((jar, (status, views::render(&page))).into_response())
}

/// `GET /staff/schemes`: every scheme, proposals first, and the form to write to coordinators.
pub async fn list(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    list_page(
        &ctx,
        &staff,
        &ip,
        jar,
        CoordinatorsMessage::default(),
        FieldErrors::default(),
    )
    .await
}

/// The form to write to coordinators, with its CSRF token.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CoordinatorsForm {
    csrf: String,
    #[serde(flatten)]
    message: CoordinatorsMessage,
}

/// `POST /staff/schemes/coordinators`: emails the coordinators of a district's schemes.
pub async fn write_to_coordinators(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
    Form(form): Form<CoordinatorsForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired("/staff/schemes"));
    }
    match service::write_to_coordinators(&ctx, &actor(&staff, &ip), &form.message).await {
        Ok(sent) => Ok(flash::redirect(
            &ctx,
            jar,
            "/staff/schemes",
            Flash::notice(match sent {
                0 => "No coordinator of an open scheme there can sign in yet: nothing was sent."
                    .to_owned(),
                1 => "Your message was emailed to 1 coordinator.".to_owned(),
                n => format!("Your message was emailed to {n} coordinators."),
            }),
        )),
        Err(SchemeError::Invalid(errors)) => {
            list_page(&ctx, &staff, &ip, jar, form.message, errors).await
        }
        Err(SchemeError::Changed(why)) => Ok(flash::redirect(
            &ctx,
            jar,
            "/staff/schemes",
            Flash::notice(why),
        )),
        Err(SchemeError::NotPermitted(_)) => Ok(forbidden()),
        Err(error) => Err(anyhow::Error::from(error).into()),
    }
}

#[derive(Template)]
#[template(path = "staff/scheme.html")]
struct SchemePage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    shown: StaffScheme,
    standings: Vec<(&'static str, &'static str)>,
    map_svg: String,
}

/// `GET /staff/schemes/{id}`: a scheme for staff: its standing, coordinators and counts (never
/// its members: those are for its coordinators).
pub async fn show(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let shown = match service::staff_scheme(&ctx, &actor(&staff, &ip), id).await {
        Ok(shown) => shown,
        Err(SchemeError::NotFound) => return Ok(scheme_not_found()),
        Err(SchemeError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = SchemePage {
        nav: nav(&staff, &csrf),
        csrf,
        notice: flash.notice,
        map_svg: service::scheme_map(&shown.scheme),
        shown,
        standings: Standing::ALL
            .iter()
            .map(|s| (s.code(), s.words()))
            .collect(),
    };
    Ok((jar, views::render(&page)).into_response())
}

/// A short staff form: its CSRF token and the field it changes.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StaffForm {
    csrf: String,
    standing: String,
    /// "close" or "reopen".
    action: String,
    #[serde(flatten)]
    appoint: AppointInput,
}

/// `POST /staff/schemes/{id}/standing`: sets the standing; verifying a proposal opens it.
pub async fn standing(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> WebResult<Response> {
    let back = format!("/staff/schemes/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    let result = service::verify(&ctx, &actor(&staff, &ip), id, &form.standing)
        .await
        .map(|()| "The scheme's standing is saved.".to_owned());
    answered(&ctx, jar, &back, result)
}

/// `POST /staff/schemes/{id}/coordinators`: appoints a coordinator.
pub async fn appoint(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> WebResult<Response> {
    let back = format!("/staff/schemes/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    let result = service::appoint(&ctx, &actor(&staff, &ip), id, &form.appoint)
        .await
        .map(|()| {
            format!(
                "{} is a coordinator of the scheme. We emailed them how to sign in.",
                form.appoint.name.trim()
            )
        });
    answered(&ctx, jar, &back, result)
}

/// `POST /staff/schemes/{id}/coordinators/{public_id}/remove`: takes a coordinator off.
pub async fn remove_coordinator(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path((id, public_id)): Path<(i64, String)>,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> WebResult<Response> {
    let back = format!("/staff/schemes/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    let result = service::remove_coordinator(&ctx, &actor(&staff, &ip), id, &public_id)
        .await
        .map(|()| "The coordinator is taken off the scheme. Its members are kept.".to_owned());
    answered(&ctx, jar, &back, result)
}

/// `POST /staff/schemes/{id}/status`: closes or reopens the scheme.
pub async fn status(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> WebResult<Response> {
    let back = format!("/staff/schemes/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    let open = form.action == "reopen";
    let result = service::set_open(&ctx, &actor(&staff, &ip), id, open)
        .await
        .map(|()| {
            if open {
                "The scheme is open again, with its members.".to_owned()
            } else {
                "The scheme is closed. Its members are kept: reopen it to bring it back.".to_owned()
            }
        });
    answered(&ctx, jar, &back, result)
}

#[derive(Template)]
#[template(path = "staff/coordinate.html")]
struct MySchemesPage {
    nav: Option<Nav>,
    schemes: Vec<Scheme>,
}

/// `GET /staff/coordinate`: a coordinator's schemes.
pub async fn my_schemes(
    State(ctx): State<AppState>,
    CoordinatorStaff(staff): CoordinatorStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let schemes = coordinators::my_schemes(&ctx, &staff).await?;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = MySchemesPage {
        nav: nav(&staff, &csrf),
        schemes,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/coordinate_scheme.html")]
struct CoordinatorPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    view: CoordinatorView,
    /// The coordinator's name, as their messages are signed.
    signer: String,
    message: MessageInput,
    errors: FieldErrors,
}

impl CoordinatorPage {
    fn open(&self) -> bool {
        self.view.scheme.status == SchemeStatus::Open
    }
}

async fn coordinator_page(
    ctx: &AppState,
    staff: &crate::store::StaffMember,
    ip: &str,
    id: i64,
    jar: CookieJar,
    message: MessageInput,
    errors: FieldErrors,
) -> WebResult<Response> {
    let view = match coordinators::view(ctx, &actor(staff, ip), id).await {
        Ok(view) => view,
        Err(SchemeError::NotPermitted(_)) => return Ok(forbidden()),
        Err(SchemeError::NotFound) => return Ok(scheme_not_found()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let (jar, flash) = flash::take(ctx, jar);
    let (jar, csrf) = csrf::issue(ctx, jar);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let page = CoordinatorPage {
        nav: nav(staff, &csrf),
        csrf,
        notice: flash.notice,
        view,
        signer: staff.name.clone(),
        message,
        errors,
    };
    Ok((jar, (status, views::render(&page))).into_response())
}

/// `GET /staff/coordinate/{id}`: a coordinator's scheme: requests, members, messages.
pub async fn coordinate(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    CoordinatorStaff(staff): CoordinatorStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    coordinator_page(
        &ctx,
        &staff,
        &ip,
        id,
        jar,
        MessageInput::default(),
        FieldErrors::default(),
    )
    .await
}

/// A coordinator's answer to a request to join.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    csrf: String,
    membership: i64,
    /// "accept" or "refuse".
    decision: String,
}

/// `POST /staff/coordinate/{id}/requests`: accepts or refuses a request to join.
pub async fn decide(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    CoordinatorStaff(staff): CoordinatorStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<DecisionForm>,
) -> WebResult<Response> {
    let back = format!("/staff/coordinate/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    let accept = match form.decision.as_str() {
        "accept" => true,
        "refuse" => false,
        _ => return answered(&ctx, jar, &back, Ok("Choose accept or refuse.".into())),
    };
    let result = coordinators::decide(&ctx, &actor(&staff, &ip), id, form.membership, accept)
        .await
        .map(|()| {
            if accept {
                "Accepted: they are a member now, and will get the scheme's messages.".to_owned()
            } else {
                "Refused: they are not a member.".to_owned()
            }
        });
    answered(&ctx, jar, &back, result)
}

/// A coordinator's message, with its CSRF token.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MessageForm {
    csrf: String,
    #[serde(flatten)]
    message: MessageInput,
}

/// `POST /staff/coordinate/{id}/message`: writes to the scheme's members.
pub async fn write(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    CoordinatorStaff(staff): CoordinatorStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<MessageForm>,
) -> WebResult<Response> {
    let back = format!("/staff/coordinate/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    match coordinators::write(&ctx, &actor(&staff, &ip), id, &form.message).await {
        Ok((_, reached)) => Ok(flash::redirect(
            &ctx,
            jar,
            &back,
            Flash::notice(match reached {
                1 => "Your message is on its way to the scheme's 1 member.".to_owned(),
                n => format!("Your message is on its way to the scheme's {n} members."),
            }),
        )),
        Err(SchemeError::Invalid(errors)) => {
            coordinator_page(&ctx, &staff, &ip, id, jar, form.message, errors).await
        }
        Err(SchemeError::Changed(why)) => Ok(flash::redirect(&ctx, jar, &back, Flash::notice(why))),
        Err(SchemeError::NotPermitted(_)) => Ok(forbidden()),
        Err(SchemeError::NotFound) => Ok(scheme_not_found()),
        Err(error) => Err(anyhow::Error::from(error).into()),
    }
}

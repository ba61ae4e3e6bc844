//! Neighbourhood Watch pages for the public and for residents: the directory of schemes
//! (`/schemes`, a list and a map by district), a scheme's page with its contact form, proposing a
//! new scheme, and a resident's own schemes on their manage link (find those covering their
//! places, ask to join, leave). Staff and coordinators' pages are in `web::scheme_staff`.

use super::error::WebResult;
use super::flash::{self, Flash};
use super::permission::ManageLink;
use super::{csrf, views, AppState, ClientIp};
use crate::domain::subscriber::FieldErrors;
use crate::services::schemes::{
    self as service, JoinInput, NearScheme, ProposalInput, SchemeError,
};
use crate::services::staff::Actor;
use crate::store::{Joined, Scheme};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

pub(crate) fn scheme_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "Scheme not found",
            &["There is no such Neighbourhood Watch scheme, or it is closed."],
            Some(("/schemes", "See the schemes near you")),
        ),
    )
        .into_response()
}

/// Schemes of one district, for the directory.
struct District {
    code: String,
    name: String,
    schemes: Vec<Scheme>,
}

#[derive(Template)]
#[template(path = "pages/schemes.html")]
struct DirectoryPage {
    districts: Vec<District>,
    map_svg: String,
    count: usize,
}

/// `GET /schemes`: every open scheme, by district, on a map and in a list.
pub async fn directory(State(ctx): State<AppState>) -> WebResult<Response> {
    let schemes = service::directory(&ctx).await?;
    let map_svg = service::directory_map(&schemes);
    let count = schemes.len();
    let mut districts: Vec<District> = Vec::new();
    for scheme in schemes {
        match districts.last_mut() {
            Some(d) if d.name == scheme.district() => d.schemes.push(scheme),
            _ => districts.push(District {
                code: scheme.district_code.clone(),
                name: scheme.district().to_owned(),
                schemes: vec![scheme],
            }),
        }
    }
    Ok(views::render(&DirectoryPage {
        districts,
        map_svg,
        count,
    }))
}

#[derive(Template)]
#[template(path = "pages/scheme.html")]
struct SchemePage {
    scheme: Scheme,
    description: Vec<String>,
    map_svg: String,
    csrf: String,
    form: ContactInput,
    errors: FieldErrors,
    notice: Option<String>,
}

/// A message to a scheme's coordinators from its public page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactInput {
    csrf: String,
    pub name: String,
    pub email: String,
    pub message: String,
}

fn scheme_page(
    scheme: Scheme,
    csrf: String,
    form: ContactInput,
    errors: FieldErrors,
    notice: Option<String>,
) -> SchemePage {
    SchemePage {
        description: scheme
            .description
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        map_svg: service::scheme_map(&scheme),
        scheme,
        csrf,
        form,
        errors,
        notice,
    }
}

/// `GET /schemes/{id}`: an open scheme's public page.
pub async fn show(
    State(ctx): State<AppState>,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let scheme = match service::public_scheme(&ctx, id).await {
        Ok(scheme) => scheme,
        Err(SchemeError::NotFound) => return Ok(scheme_not_found()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let (jar, flash) = flash::take_at(&ctx, jar, "/schemes");
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = scheme_page(
        scheme,
        csrf,
        ContactInput::default(),
        FieldErrors::default(),
        flash.notice,
    );
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /schemes/{id}/contact`: a message to the scheme's coordinators, emailed by Beacon;
/// neither side sees the other's address until the coordinator answers.
pub async fn contact(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<ContactInput>,
) -> WebResult<Response> {
    let back = format!("/schemes/{id}");
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    let scheme = match service::public_scheme(&ctx, id).await {
        Ok(scheme) => scheme,
        Err(SchemeError::NotFound) => return Ok(scheme_not_found()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let input = service::ContactMessage {
        name: form.name.clone(),
        email: form.email.clone(),
        message: form.message.clone(),
    };
    // Only a message that would be sent counts towards the limit.
    let allow = || {
        ctx.limiter
            .allow(&format!("scheme-contact:{ip}"), CONTACTS_PER_HOUR)
    };
    match service::contact(&ctx, &scheme, &input, allow).await {
        Ok(()) => Ok(flash::redirect(
            &ctx,
            jar,
            &back,
            Flash::notice(
                "Your message was sent to the scheme's coordinators. They will answer by email.",
            ),
        )),
        Err(SchemeError::TooMany) => Ok((
            StatusCode::TOO_MANY_REQUESTS,
            views::message_page(
                "Too many messages",
                &[
                    "You have sent several messages to schemes in the last hour: this one was not \
                   sent. Try again later.",
                ],
                Some((&back, "Back to the scheme")),
            ),
        )
            .into_response()),
        Err(SchemeError::Invalid(errors)) => {
            let (jar, csrf) = csrf::issue(&ctx, jar);
            let page = scheme_page(scheme, csrf, form, errors, None);
            Ok((jar, (StatusCode::BAD_REQUEST, views::render(&page))).into_response())
        }
        Err(error) => Err(anyhow::Error::from(error).into()),
    }
}

/// How many messages one address may send to schemes' coordinators in an hour.
const CONTACTS_PER_HOUR: u32 = 5;

#[derive(Template)]
#[template(path = "pages/scheme_propose.html")]
struct ProposePage {
    csrf: String,
    form: ProposalInput,
    errors: FieldErrors,
    map_svg: String,
}

/// `GET /schemes/propose`: the form to propose a new scheme.
pub async fn propose_form(State(ctx): State<AppState>, jar: CookieJar) -> Response {
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = ProposePage {
        csrf,
        form: ProposalInput::default(),
        errors: FieldErrors::default(),
        map_svg: service::proposal_map(),
    };
    (jar, views::render(&page)).into_response()
}

/// The proposal form as sent, with its CSRF token.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProposalForm {
    csrf: String,
    #[serde(flatten)]
    input: ProposalInput,
}

/// `POST /schemes/propose`: stores the proposal for staff to verify.
pub async fn propose(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<ProposalForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired("/schemes/propose"));
    }
    // Only a proposal that would be stored counts towards the limit.
    let scheme = match service::check(&ctx, &form.input).await {
        Ok(scheme) => scheme,
        Err(SchemeError::Invalid(errors)) => {
            let (jar, csrf) = csrf::issue(&ctx, jar);
            let page = ProposePage {
                csrf,
                form: form.input,
                errors,
                map_svg: service::proposal_map(),
            };
            return Ok((jar, (StatusCode::BAD_REQUEST, views::render(&page))).into_response());
        }
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    if !ctx
        .limiter
        .allow(&format!("scheme-propose:{ip}"), CONTACTS_PER_HOUR)
    {
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            views::message_page(
                "Too many proposals",
                &[
                    "Several schemes have been proposed from here in the last hour: nothing was \
                   stored. Try again later.",
                ],
                Some(("/schemes", "Back to the schemes")),
            ),
        )
            .into_response());
    }
    let actor = Actor {
        staff: None,
        ip: &ip,
    };
    service::propose(&ctx, &actor, &scheme)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(views::message_page(
        "Thank you for proposing a scheme",
        &[
            "We have your proposal. Our neighbourhood team will check it and write to you at \
             the address you gave.",
            "Once it is verified, the scheme is listed here, residents can ask to join, and you \
             can sign in as its coordinator.",
        ],
        Some(("/schemes", "Back to the schemes")),
    ))
}

#[derive(Template)]
#[template(path = "pages/manage_schemes.html")]
struct ResidentPage {
    token: String,
    csrf: String,
    near: Vec<NearScheme>,
    /// The scheme whose join form has problems, with them.
    problem_scheme: Option<i64>,
    errors: FieldErrors,
    form: JoinInput,
    notice: Option<String>,
    name: String,
}

impl ResidentPage {
    /// Whether the share box is ticked: as sent with a form that had problems, or as the
    /// resident shares now.
    fn shares(&self, item: &NearScheme) -> bool {
        if self.problem_scheme == Some(item.scheme.id) {
            return self.form.share;
        }
        item.membership.as_ref().is_some_and(|m| m.share)
    }

    /// A field of a scheme's form: as sent with a form that had problems, as the resident
    /// shares it now, or (their name) from their alerts' settings.
    fn value(&self, item: &NearScheme, field: &str) -> String {
        if self.problem_scheme == Some(item.scheme.id) {
            return match field {
                "name" => self.form.name.clone(),
                _ => self.form.street.clone(),
            };
        }
        match (&item.membership, field) {
            (Some(m), "name") if m.share => m.name.clone(),
            (Some(m), "street") if m.share => m.street.clone(),
            (_, "name") => self.name.clone(),
            _ => String::new(),
        }
    }

    /// The problem with a field of scheme `scheme`'s join form, if that form was sent.
    fn problem(&self, scheme: i64, field: &str) -> &str {
        if self.problem_scheme == Some(scheme) {
            self.errors.for_field(field).unwrap_or("")
        } else {
            ""
        }
    }
}

async fn resident_page(
    ctx: &AppState,
    link: &ManageLink,
    jar: CookieJar,
    problem: Option<(i64, FieldErrors, JoinInput)>,
) -> WebResult<Response> {
    let near = service::near(ctx, &link.subscriber).await?;
    let (jar, flash) = flash::take_at(ctx, jar, "/manage");
    let (jar, csrf) = csrf::issue(ctx, jar);
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let (problem_scheme, errors, form) = match problem {
        Some((id, errors, form)) => (Some(id), errors, form),
        None => (None, FieldErrors::default(), JoinInput::default()),
    };
    let page = ResidentPage {
        token: link.token.clone(),
        csrf,
        near,
        problem_scheme,
        errors,
        form,
        notice: flash.notice,
        name: link.subscriber.preferences.name.clone(),
    };
    Ok((jar, (status, views::render(&page))).into_response())
}

/// `GET /manage/{token}/schemes`: the schemes covering the resident's places, and theirs.
pub async fn resident_schemes(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
) -> WebResult<Response> {
    resident_page(&ctx, &link, jar, None).await
}

/// A resident's join or leave form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MembershipForm {
    csrf: String,
    scheme: i64,
    /// "join" or "leave".
    action: String,
    #[serde(flatten)]
    join: JoinInput,
}

/// `POST /manage/{token}/schemes`: asks to join a scheme, or leaves one.
pub async fn resident_membership(
    State(ctx): State<AppState>,
    link: ManageLink,
    jar: CookieJar,
    Form(form): Form<MembershipForm>,
) -> WebResult<Response> {
    let back = format!("/manage/{}/schemes", link.token);
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(views::form_expired(&back));
    }
    if form.action == "leave" {
        let left = service::leave(&ctx, &link.subscriber, form.scheme).await?;
        let notice = if left {
            "You have left the scheme. Its coordinators no longer see you, and you will get no \
             more of its messages."
        } else {
            "You were not a member of that scheme."
        };
        return Ok(flash::redirect(&ctx, jar, &back, Flash::notice(notice)));
    }
    match service::join(&ctx, &link.subscriber, form.scheme, &form.join).await {
        Ok(Joined::Requested) => Ok(flash::redirect(
            &ctx,
            jar,
            &back,
            Flash::notice(
                "You asked to join. A coordinator will accept you, and we will send you the \
                 scheme's messages from then on.",
            ),
        )),
        Ok(Joined::Already(status)) => Ok(flash::redirect(
            &ctx,
            jar,
            &back,
            Flash::notice(format!(
                "Your details for the scheme are updated. {}.",
                status.words()
            )),
        )),
        Err(SchemeError::Invalid(errors)) => {
            resident_page(&ctx, &link, jar, Some((form.scheme, errors, form.join))).await
        }
        Err(SchemeError::NotFound) => Ok((
            StatusCode::NOT_FOUND,
            views::message_page(
                "That scheme does not cover your places",
                &[
                    "You can join a scheme that covers one of the places you get alerts for. \
                   Nothing was changed.",
                ],
                Some((&back, "Back to your schemes")),
            ),
        )
            .into_response()),
        Err(SchemeError::Changed(why)) => Ok(flash::redirect(&ctx, jar, &back, Flash::notice(why))),
        Err(error) => Err(anyhow::Error::from(error).into()),
    }
}

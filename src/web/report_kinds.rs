//! The admins' pages for the kinds of report residents can make: the list, and a form to add or
//! change one (its questions as JSON, checked before saving).

use super::csrf;
use super::error::WebResult;
use super::flash::{self, Flash};
use super::permission::AdminStaff;
use super::staff::{actor, forbidden, nav, Nav, SignedInStaff};
use super::{views, AppState, ClientIp};
use crate::domain::subscriber::FieldErrors;
use crate::services::report_kinds::{self, KindInput};
use crate::services::staff::StaffAdminError;
use crate::store::StaffMember;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use axum_extra::extract::CookieJar;

const KINDS: &str = "/staff/admin/report-kinds";

#[derive(Template)]
#[template(path = "staff/report_kinds.html")]
struct KindsPage {
    nav: Option<Nav>,
    /// (code, name, number of questions, offered, sensitive)
    kinds: Vec<(String, String, usize, bool, bool)>,
    notice: Option<String>,
}

/// `GET /staff/admin/report-kinds`.
pub async fn list(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let kinds = report_kinds::all_kinds(&ctx)
        .await?
        .into_iter()
        .map(|k| {
            let d = k.definition;
            (d.code, d.name, d.questions.len(), k.active, d.sensitive)
        })
        .collect();
    let page = KindsPage {
        nav: nav(&me, &csrf),
        kinds,
        notice: said.notice,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/report_kind.html")]
struct KindPage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    form_action: String,
    /// (id, label, hint, value, read only)
    text_fields: Vec<(&'static str, &'static str, &'static str, String, bool)>,
    /// (id, label, hint, value, rows)
    long_fields: Vec<(&'static str, &'static str, &'static str, String, u8)>,
    /// (id, label, hint, checked)
    switches: Vec<(&'static str, &'static str, &'static str, bool)>,
    errors: FieldErrors,
}

fn kind_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    editing: Option<&str>,
    input: KindInput,
    errors: FieldErrors,
    status: StatusCode,
) -> Response {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let (heading, form_action) = match editing {
        Some(code) => (format!("Change {}", input.name), format!("{KINDS}/{code}")),
        None => ("Add a kind of report".to_owned(), format!("{KINDS}/new")),
    };
    let page = KindPage {
        nav: nav(me, &csrf),
        csrf,
        heading,
        form_action,
        text_fields: vec![
            ("code", "Code", "Lower-case letters, digits and hyphens, such as criminal-damage. Open311 clients use it, so it cannot change.", input.code, editing.is_some()),
            ("name", "Name", "As residents see it in the list of kinds.", input.name, false),
            ("group", "Group", "Open311's group, such as Crime or Information.", input.group, false),
            ("keywords", "Keywords (optional)", "Separated by commas.", input.keywords, false),
            ("position", "Position", "Kinds are listed in this order, lowest first.", input.position, false),
        ],
        long_fields: vec![
            ("description", "Description", "One or two sentences: what this kind covers.", input.description, 3),
            ("notice", "Notice (optional)", "Shown before the questions: where else to go, in plain words.", input.notice, 4),
            ("questions", "Its own questions", "A JSON list; each has code, prompt, datatype (string, number, datetime, text, singlevaluelist, multivaluelist), required, an optional hint, and values (key and name) for a list.", input.questions, 16),
        ],
        switches: vec![
            ("active", "Offered to residents", "Switched off, residents and Open311 clients no longer see it; its reports are kept.", input.active),
            ("anonymous_allowed", "May be reported anonymously", "Residents may leave out their name and contact details.", input.anonymous_allowed),
            ("sensitive", "Sensitive", "Never listed through Open311 or shown on maps (domestic abuse, hate incidents).", input.sensitive),
            ("safety_page", "Starts with a safety page", "Advice, help lines and a \"Leave this site\" button before the form.", input.safety_page),
        ],
        errors,
    };
    (status, jar, views::render(&page)).into_response()
}

/// `GET /staff/admin/report-kinds/new`.
pub async fn new_form(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let input = KindInput {
        active: true,
        position: "1000".into(),
        questions: "[]".into(),
        ..KindInput::default()
    };
    Ok(kind_page(
        &ctx,
        jar,
        &me,
        None,
        input,
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

/// `GET /staff/admin/report-kinds/{code}`.
pub async fn edit_form(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    Path(code): Path<String>,
    jar: CookieJar,
) -> WebResult<Response> {
    let kinds = report_kinds::all_kinds(&ctx).await?;
    let Some(entry) = kinds.iter().find(|k| k.definition.code == code) else {
        return Ok(super::pages::not_found().await);
    };
    let input = KindInput::from_entry(entry);
    Ok(kind_page(
        &ctx,
        jar,
        &me,
        Some(&code),
        input,
        FieldErrors::default(),
        StatusCode::OK,
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct KindForm {
    csrf: String,
    #[serde(flatten)]
    input: KindInput,
}

async fn save(
    ctx: &AppState,
    ip: &str,
    me: &StaffMember,
    code: Option<String>,
    jar: CookieJar,
    form: KindForm,
) -> WebResult<Response> {
    if !csrf::verify(ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    match report_kinds::save_kind(ctx, &actor(me, ip), code.as_deref(), &form.input).await {
        Ok(name) => Ok(flash::redirect(
            ctx,
            jar,
            KINDS,
            Flash::notice(format!("{name} is saved.")),
        )),
        Err(StaffAdminError::Invalid(errors)) => Ok(kind_page(
            ctx,
            jar,
            me,
            code.as_deref(),
            form.input,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

/// `POST /staff/admin/report-kinds/new`: the service checks the admin permission and audits a
/// refusal with the kind's code.
pub async fn create(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    jar: CookieJar,
    Form(form): Form<KindForm>,
) -> WebResult<Response> {
    save(&ctx, &ip, &signed_in.staff, None, jar, form).await
}

/// `POST /staff/admin/report-kinds/{code}`.
pub async fn update(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(code): Path<String>,
    jar: CookieJar,
    Form(form): Form<KindForm>,
) -> WebResult<Response> {
    save(&ctx, &ip, &signed_in.staff, Some(code), jar, form).await
}

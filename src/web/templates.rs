//! Senders' alert templates: the list (to write an alert from one, change or delete it) and a
//! template's own form. Saving the alert being written as a template is the compose form's
//! button (`alerts.rs`); starting an alert from one is the compose form filled in.

use super::csrf;
use super::error::WebResult;
use super::flash::{self, Flash};
use super::permission::SenderStaff;
use super::staff::{actor, forbidden, nav, Nav};
use super::{views, AppState, ClientIp};
use crate::domain::subscriber::FieldErrors;
use crate::domain::Priority;
use crate::services::compose;
use crate::services::templates::{self, TemplateError, TemplateInput};
use crate::store::StaffMember;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

const LIST: &str = "/staff/templates";

/// One template as the list shows it.
pub struct TemplateRow {
    pub id: i64,
    pub name: String,
    pub organisation: String,
    pub message_type: String,
    pub priority: &'static str,
    pub title: String,
}

#[derive(Template)]
#[template(path = "staff/templates.html")]
struct TemplatesPage {
    nav: Option<Nav>,
    csrf: String,
    /// An admin sees every organisation's, so the list names each one's.
    admin: bool,
    templates: Vec<TemplateRow>,
    notice: Option<String>,
}

pub async fn list(
    State(ctx): State<AppState>,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let rows = templates::list(&ctx, &staff)
        .await?
        .into_iter()
        .map(|t| TemplateRow {
            id: t.id,
            name: t.content.name,
            organisation: t.provider_name,
            message_type: t.message_type_name,
            priority: t.content.priority.label(),
            title: t.content.title,
        })
        .collect();
    let page = TemplatesPage {
        nav: nav(&staff, &csrf),
        csrf,
        admin: staff.permissions.admin,
        templates: rows,
        notice: said.notice,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/template.html")]
struct TemplateFormPage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    form_action: String,
    form: TemplateInput,
    providers: Vec<(String, String)>,
    message_types: Vec<(String, String)>,
    priorities: Vec<(u8, &'static str)>,
    max_name: usize,
    errors: FieldErrors,
}

/// A template's form: a new one (`id` none) or template `id`'s.
async fn form_page(
    ctx: &AppState,
    jar: CookieJar,
    staff: &StaffMember,
    id: Option<i64>,
    form: TemplateInput,
    errors: FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let choices = compose::choices(ctx, staff).await?;
    let (heading, form_action) = match id {
        Some(id) => (
            format!("Change the template “{}”", form.template_name.trim()),
            format!("{LIST}/{id}"),
        ),
        None => ("New template".to_owned(), format!("{LIST}/new")),
    };
    let page = TemplateFormPage {
        nav: nav(staff, &csrf),
        csrf,
        heading,
        form_action,
        form,
        providers: choices.providers,
        message_types: choices.message_types,
        priorities: Priority::all().map(|p| (p.level(), p.label())).collect(),
        max_name: templates::MAX_NAME_CHARS,
        errors,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

pub async fn new_form(
    State(ctx): State<AppState>,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let form = templates::new_form(&ctx, &staff).await?;
    let ok = StatusCode::OK;
    form_page(&ctx, jar, &staff, None, form, FieldErrors::default(), ok).await
}

pub async fn edit_form(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let form = match templates::edit_form(&ctx, &actor(&staff, &ip), id).await {
        Ok(Some(form)) => form,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(error) => return refused(error),
    };
    let ok = StatusCode::OK;
    form_page(
        &ctx,
        jar,
        &staff,
        Some(id),
        form,
        FieldErrors::default(),
        ok,
    )
    .await
}

/// The template form's own field, besides the template.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// What cannot be shown on the form: a refusal, or a failure.
fn refused(error: TemplateError) -> WebResult<Response> {
    match error {
        TemplateError::NotPermitted(_) => Ok(forbidden()),
        other => Err(other.into()),
    }
}

/// Saves the form: a new template (`id` none) or template `id`.
async fn save(
    ctx: &AppState,
    ip: &str,
    staff: &StaffMember,
    id: Option<i64>,
    jar: CookieJar,
    body: &[u8],
) -> WebResult<Response> {
    let (Ok(form), Ok(input)) = (
        serde_html_form::from_bytes::<CsrfForm>(body),
        serde_html_form::from_bytes::<TemplateInput>(body),
    ) else {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be read").into_response());
    };
    if !csrf::verify(ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("template_name", csrf::FORM_EXPIRED);
        let status = StatusCode::FORBIDDEN;
        return form_page(ctx, jar, staff, id, input, errors, status).await;
    }
    let who = actor(staff, ip);
    let saved = match id {
        None => templates::create(ctx, &who, &input).await.map(Some),
        Some(id) => templates::update(ctx, &who, id, &input)
            .await
            .map(|done| done.map(|()| id)),
    };
    match saved {
        Ok(Some(_)) => {
            let notice = format!("The template “{}” is saved.", input.template_name.trim());
            Ok(flash::redirect(ctx, jar, LIST, Flash::notice(notice)))
        }
        Ok(None) => Ok(super::pages::not_found().await),
        Err(TemplateError::Invalid(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form_page(ctx, jar, staff, id, input, errors, status).await
        }
        Err(error) => refused(error),
    }
}

pub async fn create(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    save(&ctx, &ip, &staff, None, jar, &body).await
}

pub async fn update(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    save(&ctx, &ip, &staff, Some(id), jar, &body).await
}

pub async fn delete(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok((
            StatusCode::FORBIDDEN,
            views::message_page(
                "The form has expired",
                &[csrf::FORM_EXPIRED],
                Some((LIST, "Back to the templates")),
            ),
        )
            .into_response());
    }
    match templates::delete(&ctx, &actor(&staff, &ip), id).await {
        Ok(Some(name)) => {
            let notice = format!("The template “{name}” is deleted.");
            Ok(flash::redirect(&ctx, jar, LIST, Flash::notice(notice)))
        }
        Ok(None) => Ok(super::pages::not_found().await),
        Err(error) => refused(error),
    }
}

//! Admin pages: staff accounts (add, change, new enrolment link, unlock) and the audit log with
//! its filters.
//! Pages take `AdminStaff` (a refusal is audited); writes whose service checks the admin
//! permission itself take `SignedInStaff`.

use super::alerts::uk_time;
use super::csrf;
use super::error::WebResult;
use super::flash::{self, Flash};
use super::permission::AdminStaff;
use super::staff::{actor, forbidden, nav, Nav, SignedInStaff};
use super::{views, AppState, ClientIp};
use crate::domain::staff::StaffInput;
use crate::domain::subscriber::FieldErrors;
use crate::services::staff::{self as staff_service, StaffAdminError};
use crate::services::{api_tokens, catalogue, suspensions};
use crate::store::{AuditFilter, OutboundChannel, StaffMember, TokenScope};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

const AUDIT_PAGE: i64 = 100;
const STAFF_LIST: &str = "/staff/admin/staff";
const TOKENS: &str = "/staff/admin/tokens";
const ORGANISATIONS: &str = "/staff/admin/organisations";

pub struct StaffRow {
    pub public_id: String,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub role: String,
    pub area: String,
    pub permissions: String,
    pub state: String,
    /// Locked out after failed sign-ins: the row offers to unlock.
    pub locked: bool,
}

#[derive(Template)]
#[template(path = "staff/staff_list.html")]
struct StaffListPage {
    nav: Option<Nav>,
    csrf: String,
    staff: Vec<StaffRow>,
    notice: Option<String>,
    link: Option<String>,
}

async fn staff_list_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    notice: Option<String>,
    link: Option<String>,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let staff = staff_service::list_staff(ctx)
        .await?
        .into_iter()
        .map(|s| StaffRow {
            locked: staff_service::is_locked(&s),
            state: match (s.active, s.is_enrolled(), s.locked_until) {
                (false, _, _) => "switched off".to_owned(),
                (true, false, _) => "waiting to enrol".to_owned(),
                (true, true, Some(until)) if staff_service::is_locked(&s) => {
                    format!("locked until {}", uk_time(until))
                }
                (true, true, _) => "active".to_owned(),
            },
            permissions: s.permissions.describe(),
            public_id: s.public_id,
            name: s.name,
            email: s.email.to_string(),
            organisation: s.provider_name,
            role: s.role_title,
            area: s.area_label,
        })
        .collect();
    let page = StaffListPage {
        nav: nav(me, &csrf),
        csrf,
        staff,
        notice,
        link,
    };
    Ok((jar, views::render(&page)).into_response())
}

pub async fn staff_list(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    staff_list_page(&ctx, jar, &me, said.notice, said.secret).await
}

#[derive(Template)]
#[template(path = "staff/staff_new.html")]
struct StaffNewPage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    form_action: String,
    button: &'static str,
    editing: bool,
    active: bool,
    text_fields: Vec<(
        &'static str,
        &'static str,
        &'static str,
        String,
        &'static str,
    )>,
    providers: Vec<(String, String, bool)>,
    permissions: Vec<(&'static str, &'static str, &'static str, bool)>,
    /// For a member locked out after failed sign-ins: what to say, and the unlock form's action.
    lock: Option<(String, String)>,
    errors: FieldErrors,
}

/// Whom the staff form is for: someone new, or an existing member (and whether they are on).
enum StaffFormFor<'a> {
    New,
    Existing(&'a StaffMember, bool),
}

async fn staff_new_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    input: &StaffInput,
    errors: FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    staff_form_page(ctx, jar, me, StaffFormFor::New, input, errors, status).await
}

#[allow(clippy::too_many_arguments)]
async fn staff_form_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    which: StaffFormFor<'_>,
    input: &StaffInput,
    errors: FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let providers = catalogue::providers(ctx)
        .await?
        .into_iter()
        .map(|p| {
            let selected = p.slug == input.provider;
            (p.slug, p.name, selected)
        })
        .collect();
    let lock = match which {
        StaffFormFor::Existing(staff, _) if staff_service::is_locked(staff) => Some((
            format!(
                "{} is locked out until {} after {} failed sign-ins in a row. A recovery code lets them in at once; or unlock the account here.",
                staff.name,
                uk_time(staff.locked_until.unwrap_or_default()),
                staff.failed_sign_ins
            ),
            format!("/staff/admin/staff/{}/unlock", staff.public_id),
        )),
        _ => None,
    };
    let (heading, form_action, button, editing, active) = match which {
        StaffFormFor::New => (
            "Add a member of staff".to_owned(),
            "/staff/admin/staff/new".to_owned(),
            "Add and make an enrolment link",
            false,
            true,
        ),
        StaffFormFor::Existing(staff, active) => (
            format!("Change {}", staff.name),
            format!("/staff/admin/staff/{}/edit", staff.public_id),
            "Save changes",
            true,
            active,
        ),
    };
    let page = StaffNewPage {
        nav: nav(me, &csrf),
        csrf,
        heading,
        form_action,
        button,
        editing,
        active,
        text_fields: vec![
            (
                "name",
                "Full name",
                "As it will sign off their alerts.",
                input.name.clone(),
                "off",
            ),
            (
                "email",
                "Work email address",
                "",
                input.email.clone(),
                "off",
            ),
            (
                "role_title",
                "Role",
                "For example Communications Assistant.",
                input.role_title.clone(),
                "off",
            ),
            (
                "area_label",
                "Area (optional)",
                "For example Peterborough and Fenland.",
                input.area_label.clone(),
                "off",
            ),
        ],
        providers,
        permissions: vec![
            (
                "send",
                "Sender",
                "Writes and sends alerts for their organisation.",
                input.send,
            ),
            (
                "needs_approval",
                "Their alerts need approval",
                "Someone else with approval rights checks each alert before it goes out.",
                input.needs_approval,
            ),
            (
                "approve",
                "Approver",
                "Approves other people's alerts for their organisation.",
                input.approve,
            ),
            (
                "admin",
                "Admin",
                "Manages staff and settings, reads the audit log, writes for any organisation.",
                input.admin,
            ),
            (
                "operate",
                "Contact operator",
                "Assesses online reports (THRIVE) and links duplicates.",
                input.operate,
            ),
            (
                "review",
                "Reviewer",
                "Reviews assessed reports: records crimes, allocates them or closes them.",
                input.review,
            ),
            (
                "coordinate",
                "Neighbourhood Watch coordinator",
                "Accepts members and writes to them, for the schemes they coordinate (set on a \
                 scheme's page); sees no staff page of the force unless given another permission.",
                input.coordinate,
            ),
        ],
        lock,
        errors,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

pub async fn staff_new_form(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let input = StaffInput {
        send: true,
        ..StaffInput::default()
    };
    staff_new_page(
        &ctx,
        jar,
        &me,
        &input,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The add-staff form as it arrives: unticked boxes are simply absent.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StaffForm {
    csrf: String,
    email: String,
    name: String,
    role_title: String,
    area_label: String,
    provider: String,
    send: Option<String>,
    approve: Option<String>,
    admin: Option<String>,
    needs_approval: Option<String>,
    operate: Option<String>,
    review: Option<String>,
    coordinate: Option<String>,
    active: Option<String>,
}

impl StaffForm {
    fn input(&self) -> StaffInput {
        StaffInput {
            email: self.email.clone(),
            name: self.name.clone(),
            role_title: self.role_title.clone(),
            area_label: self.area_label.clone(),
            provider: self.provider.clone(),
            send: self.send.is_some(),
            approve: self.approve.is_some(),
            admin: self.admin.is_some(),
            needs_approval: self.needs_approval.is_some(),
            operate: self.operate.is_some(),
            review: self.review.is_some(),
            coordinate: self.coordinate.is_some(),
        }
    }
}

pub async fn staff_new(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> WebResult<Response> {
    let me = &signed_in.staff;
    let input = form.input();
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("name", super::csrf::FORM_EXPIRED);
        return staff_new_page(&ctx, jar, me, &input, errors, StatusCode::FORBIDDEN).await;
    }
    match staff_service::create_staff(&ctx, &actor(me, &ip), &input).await {
        Ok((staff, link)) => {
            let said = Flash::notice(format!("{} has been added.", staff.name)).with_secret(link);
            Ok(flash::redirect(&ctx, jar, STAFF_LIST, said))
        }
        Err(StaffAdminError::Invalid(errors)) => {
            staff_new_page(
                &ctx,
                jar,
                me,
                &input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn staff_reset(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(public_id): Path<String>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    let me = &signed_in.staff;
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let Some(staff) = staff_service::staff_member(&ctx, &public_id).await? else {
        return Ok(super::pages::not_found().await);
    };
    match staff_service::reset_credentials(&ctx, &actor(me, &ip), &staff).await {
        Ok(link) => {
            let notice = format!(
                "{} must set up their account again: their password, authenticator and sessions have been cleared.",
                staff.name
            );
            let said = Flash::notice(notice).with_secret(link);
            Ok(flash::redirect(&ctx, jar, STAFF_LIST, said))
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

/// `POST /staff/admin/staff/{public_id}/unlock`: an admin lifts a lock after failed sign-ins
/// (perhaps someone else's tries). Audited.
pub async fn staff_unlock(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(public_id): Path<String>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    let me = &signed_in.staff;
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let Some(staff) = staff_service::staff_member(&ctx, &public_id).await? else {
        return Ok(super::pages::not_found().await);
    };
    let notice = match staff_service::unlock_staff(&ctx, &actor(me, &ip), &staff).await {
        Ok(true) => format!(
            "{} may sign in again: their failed sign-ins are cleared.",
            staff.name
        ),
        Ok(false) => format!("{} was not locked out.", staff.name),
        Err(StaffAdminError::NotAdmin) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    Ok(flash::redirect(
        &ctx,
        jar,
        STAFF_LIST,
        Flash::notice(notice),
    ))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    staff: String,
    action: String,
    since: String,
    until: String,
    refused: bool,
    page: i64,
}

type AuditRow = (String, String, String, String, String, String, String);

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    nav: Option<Nav>,
    staff_options: Vec<(i64, String, bool)>,
    /// (action, selected): the log's actions, for the filter.
    action_options: Vec<(String, bool)>,
    since: String,
    until: String,
    refused: bool,
    entries: Vec<AuditRow>,
    next: Option<String>,
}

/// A date typed into the audit filter ("2026-12-06").
fn filter_date(date: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()
}

/// The start of a day in the UK (the audit filter's dates are UK dates, as its times are).
fn day_start(day: chrono::NaiveDate) -> Option<i64> {
    use chrono::TimeZone;
    // A UK midnight is never skipped or repeated by the clock changes (they happen at 01:00).
    chrono_tz::Europe::London
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.timestamp())
}

pub async fn audit_log(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    Query(query): Query<AuditQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let me = &me;
    let staff_id = query.staff.parse::<i64>().ok();
    let page = query.page.clamp(0, 10_000);
    let filter = AuditFilter {
        staff_id,
        action: Some(query.action.trim().to_owned()).filter(|a| !a.is_empty()),
        refused_only: query.refused,
        since: filter_date(&query.since).and_then(day_start),
        until: filter_date(&query.until)
            .and_then(|d| d.succ_opt())
            .and_then(day_start),
        limit: AUDIT_PAGE,
        offset: page * AUDIT_PAGE,
    };
    let staff_service::AuditLog {
        entries,
        more,
        staff,
        actions,
    } = staff_service::audit_log(&ctx, &filter).await?;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let rows = entries
        .into_iter()
        .map(|e| {
            let when = chrono::DateTime::from_timestamp(e.at, 0)
                .map(|t| {
                    t.with_timezone(&chrono_tz::Europe::London)
                        .format("%-d %b %Y %H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default();
            (
                when, e.actor, e.action, e.outcome, e.subject, e.detail, e.ip,
            )
        })
        .collect();
    let next = more.then(|| {
        let encode = |v: &str| {
            v.replace('%', "%25")
                .replace('&', "%26")
                .replace('#', "%23")
                .replace(' ', "+")
        };
        format!(
            "/staff/admin/audit?staff={}&action={}&since={}&until={}&refused={}&page={}",
            encode(&query.staff),
            encode(&query.action),
            encode(&query.since),
            encode(&query.until),
            query.refused,
            page + 1
        )
    });
    let staff_options = staff
        .into_iter()
        .map(|s| (s.id, s.name, Some(s.id) == staff_id))
        .collect();
    let chosen = query.action.trim();
    let action_options = actions
        .into_iter()
        .map(|a| {
            let selected = a == chosen;
            (a, selected)
        })
        .collect();
    let page = AuditPage {
        nav: nav(me, &csrf),
        staff_options,
        action_options,
        since: query.since,
        until: query.until,
        refused: query.refused,
        entries: rows,
        next,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/tokens.html")]
struct TokensPage {
    nav: Option<Nav>,
    csrf: String,
    /// Id, name, organisation, what it is for, made, last used, live.
    tokens: Vec<(i64, String, String, &'static str, String, String, bool)>,
    providers: Vec<(String, String)>,
    new_token: Option<String>,
    notice: Option<String>,
    errors: FieldErrors,
}

async fn tokens_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    said: Flash,
    errors: FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let day = |t: Option<i64>| {
        t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or_else(
                || "never".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M").to_string(),
            )
    };
    let tokens = api_tokens::list(ctx)
        .await?
        .into_iter()
        .map(|t| {
            (
                t.id,
                t.name,
                t.provider_name,
                match t.scope {
                    TokenScope::Alerts => "Alerts",
                    TokenScope::Open311 => "Open311 reports",
                },
                day(Some(t.created_at)),
                day(t.last_used_at),
                t.revoked_at.is_none(),
            )
        })
        .collect();
    let providers = catalogue::providers(ctx)
        .await?
        .into_iter()
        .map(|p| (p.slug, p.name))
        .collect();
    let page = TokensPage {
        nav: nav(me, &csrf),
        csrf,
        tokens,
        providers,
        new_token: said.secret,
        notice: said.notice,
        errors,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

pub async fn tokens(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    tokens_page(&ctx, jar, &me, said, FieldErrors::default(), StatusCode::OK).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenForm {
    csrf: String,
    name: String,
    provider: String,
    /// `TokenScope`'s slug: "alerts" (the default) or "open311".
    scope: String,
}

pub async fn token_create(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    jar: CookieJar,
    Form(form): Form<TokenForm>,
) -> WebResult<Response> {
    let me = &signed_in.staff;
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("name", super::csrf::FORM_EXPIRED);
        let said = Flash::default();
        return tokens_page(&ctx, jar, me, said, errors, StatusCode::FORBIDDEN).await;
    }
    let scope = TokenScope::from_slug(&form.scope).unwrap_or_default();
    let by = actor(me, &ip);
    match api_tokens::create_for(&ctx, &by, &form.provider, &form.name, scope).await {
        Ok(token) => {
            let said = Flash::default().with_secret(token);
            Ok(flash::redirect(&ctx, jar, TOKENS, said))
        }
        Err(StaffAdminError::Invalid(errors)) => {
            tokens_page(
                &ctx,
                jar,
                me,
                Flash::default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

pub async fn token_revoke(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    let me = &signed_in.staff;
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    match api_tokens::revoke(&ctx, &actor(me, &ip), id).await {
        Ok(()) => {
            let said = Flash::notice("The token is revoked: requests bringing it are refused.");
            Ok(flash::redirect(&ctx, jar, TOKENS, said))
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

fn input_of(staff: &StaffMember, provider_slug: String) -> StaffInput {
    StaffInput {
        email: staff.email.to_string(),
        name: staff.name.clone(),
        role_title: staff.role_title.clone(),
        area_label: staff.area_label.clone(),
        provider: provider_slug,
        send: staff.permissions.send,
        approve: staff.permissions.approve,
        admin: staff.permissions.admin,
        needs_approval: staff.permissions.needs_approval,
        operate: staff.permissions.operate,
        review: staff.permissions.review,
        coordinate: staff.permissions.coordinate,
    }
}

pub async fn staff_edit_form(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    Path(public_id): Path<String>,
    jar: CookieJar,
) -> WebResult<Response> {
    let me = &me;
    let Some(staff) = staff_service::staff_member(&ctx, &public_id).await? else {
        return Ok(super::pages::not_found().await);
    };
    let slug = catalogue::provider_slug(&ctx, staff.provider_id).await?;
    let input = input_of(&staff, slug);
    let which = StaffFormFor::Existing(&staff, staff.active);
    staff_form_page(
        &ctx,
        jar,
        me,
        which,
        &input,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn staff_edit(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(public_id): Path<String>,
    jar: CookieJar,
    Form(form): Form<StaffForm>,
) -> WebResult<Response> {
    let me = &signed_in.staff;
    let Some(staff) = staff_service::staff_member(&ctx, &public_id).await? else {
        return Ok(super::pages::not_found().await);
    };
    let input = form.input();
    let active = form.active.is_some();
    let which = StaffFormFor::Existing(&staff, active);
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("name", super::csrf::FORM_EXPIRED);
        return staff_form_page(&ctx, jar, me, which, &input, errors, StatusCode::FORBIDDEN).await;
    }
    match staff_service::update_staff(&ctx, &actor(me, &ip), &staff, &input, active).await {
        Ok(()) => {
            let notice = format!("{} has been changed.", input.name.trim());
            Ok(flash::redirect(
                &ctx,
                jar,
                STAFF_LIST,
                Flash::notice(notice),
            ))
        }
        Err(StaffAdminError::Invalid(errors)) => {
            staff_form_page(
                &ctx,
                jar,
                me,
                which,
                &input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "staff/organisations.html")]
struct OrganisationsPage {
    nav: Option<Nav>,
    csrf: String,
    /// (id, name, description, phone, archived)
    organisations: Vec<(i64, String, String, String, bool)>,
    notice: Option<String>,
    errors: FieldErrors,
}

async fn organisations_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    notice: Option<String>,
    errors: FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let organisations = catalogue::all_providers(ctx)
        .await?
        .into_iter()
        .map(|p| {
            (
                p.id,
                p.name,
                p.description,
                p.contact_phone.unwrap_or_default(),
                p.archived,
            )
        })
        .collect();
    let page = OrganisationsPage {
        nav: nav(me, &csrf),
        csrf,
        organisations,
        notice,
        errors,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

pub async fn organisations(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    let ok = StatusCode::OK;
    organisations_page(&ctx, jar, &me, said.notice, FieldErrors::default(), ok).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrganisationForm {
    csrf: String,
    name: String,
    description: String,
    contact_phone: String,
}

async fn save_organisation(
    ctx: &AppState,
    ip: &str,
    me: &StaffMember,
    id: Option<i64>,
    jar: CookieJar,
    form: OrganisationForm,
) -> WebResult<Response> {
    if !csrf::verify(ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let input = staff_service::OrganisationInput {
        name: form.name,
        description: form.description,
        contact_phone: form.contact_phone,
    };
    match staff_service::save_organisation(ctx, &actor(me, ip), id, &input).await {
        Ok(()) => {
            let notice = format!("{} is saved.", input.name.trim());
            Ok(flash::redirect(
                ctx,
                jar,
                ORGANISATIONS,
                Flash::notice(notice),
            ))
        }
        Err(StaffAdminError::Invalid(errors)) => {
            organisations_page(ctx, jar, me, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

pub async fn organisation_add(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    jar: CookieJar,
    Form(form): Form<OrganisationForm>,
) -> WebResult<Response> {
    save_organisation(&ctx, &ip, &signed_in.staff, None, jar, form).await
}

pub async fn organisation_save(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<OrganisationForm>,
) -> WebResult<Response> {
    if catalogue::provider(&ctx, id).await?.is_none() {
        return Ok(super::pages::not_found().await);
    }
    save_organisation(&ctx, &ip, &signed_in.staff, Some(id), jar, form).await
}

/// `POST /staff/admin/organisations/{id}/archive` and `…/restore`: retires an organisation
/// (or brings it back); refused, with what to do first, while it can still send.
async fn archive_organisation(
    ctx: &AppState,
    ip: &str,
    me: &StaffMember,
    id: i64,
    archive: bool,
    jar: CookieJar,
    form: CsrfForm,
) -> WebResult<Response> {
    if !csrf::verify(ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    match staff_service::archive_organisation(ctx, &actor(me, ip), id, archive).await {
        Ok(name) => {
            let notice = if archive {
                format!("{name} is archived: residents, staff and API tokens can no longer choose it. Its alerts stay in the archive.")
            } else {
                format!("{name} is restored: residents can choose it again.")
            };
            Ok(flash::redirect(
                ctx,
                jar,
                ORGANISATIONS,
                Flash::notice(notice),
            ))
        }
        Err(StaffAdminError::Invalid(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            organisations_page(ctx, jar, me, None, errors, status).await
        }
        Err(StaffAdminError::NotAdmin) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

pub async fn organisation_archive(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    archive_organisation(&ctx, &ip, &signed_in.staff, id, true, jar, form).await
}

pub async fn organisation_restore(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    archive_organisation(&ctx, &ip, &signed_in.staff, id, false, jar, form).await
}

#[derive(Template)]
#[template(path = "staff/contact_problems.html")]
struct ContactProblemsPage {
    nav: Option<Nav>,
    csrf: String,
    problems: Vec<ContactProblemRow>,
    notice: Option<String>,
}

struct ContactProblemRow {
    subscriber_id: i64,
    name: String,
    /// `email` or `sms`, as in the lift form's address.
    channel: &'static str,
    channel_name: &'static str,
    contact: String,
    failures: i64,
    /// When it was suspended (UTC).
    when: String,
}

/// `GET /staff/admin/contact-problems`: addresses and numbers suspended after repeated
/// permanent failures. They stay suspended until the resident changes them or an admin lifts
/// the suspension.
pub async fn contact_problems(
    State(ctx): State<AppState>,
    AdminStaff(me): AdminStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    contact_problems_page(&ctx, jar, &me, said.notice).await
}

async fn contact_problems_page(
    ctx: &AppState,
    jar: CookieJar,
    me: &StaffMember,
    notice: Option<String>,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let problems = suspensions::list(ctx)
        .await?
        .into_iter()
        .map(|p| {
            let (channel, channel_name) = match p.channel {
                OutboundChannel::Email => ("email", "Email"),
                OutboundChannel::Sms => ("sms", "Text message"),
            };
            ContactProblemRow {
                subscriber_id: p.subscriber_id,
                name: p.name,
                channel,
                channel_name,
                contact: p.contact,
                failures: p.failures,
                when: chrono::DateTime::from_timestamp(p.suspended_at, 0)
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let page = ContactProblemsPage {
        nav: nav(me, &csrf),
        csrf,
        problems,
        notice,
    };
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /staff/admin/contact-problems/{subscriber}/{channel}/lift`: an admin lifts a
/// suspension, for instance when the resident says their mailbox works again. Audited, with
/// the resident's public id rather than the address.
pub async fn contact_problem_lift(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    AdminStaff(me): AdminStaff,
    Path((subscriber_id, channel)): Path<(i64, String)>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> WebResult<Response> {
    let me = &me;
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let (channel, channel_name) = match channel.as_str() {
        "email" => (OutboundChannel::Email, "email address"),
        "sms" => (OutboundChannel::Sms, "mobile number"),
        _ => return Ok(super::pages::not_found().await),
    };
    let lifted =
        suspensions::lift(&ctx, &actor(me, &ip), subscriber_id, channel, channel_name).await?;
    let notice = match lifted {
        Some(resident) => format!(
            "{}'s {channel_name} is no longer suspended: Beacon sends to it again.",
            resident.preferences.name
        ),
        // Not suspended, or no longer (changed by the resident, or by another admin meanwhile).
        None => "That address or number is not suspended (any more).".to_owned(),
    };
    let to = "/staff/admin/contact-problems";
    Ok(flash::redirect(&ctx, jar, to, Flash::notice(notice)))
}

//! Senders' pages: the alert list, composing with an audience preview and place suggestions,
//! and an alert's page with the workflow actions its viewer may take.

use super::csrf;
use super::error::{UseCaseError, WebResult};
use super::permission::SenderStaff;
use super::staff::{actor, forbidden, nav, Nav, SignedInStaff};
use super::{views, AppState, ClientIp};
use crate::domain::alert::{gsm7_length, render_markdown, SignOff, SMS_MAX};
use crate::domain::subscriber::FieldErrors;
use crate::domain::Priority;
use crate::services::alerts::{
    self, AlertAction, AlertActionError, AlertInput, ComposeError, Suggestion,
};
use crate::services::approvals::{self, SendBackError};
use crate::services::scam_check::{self, ScamKind};
use crate::services::surveys;
use crate::services::templates::{self, TemplateError, TemplateInput};
use crate::services::{compose, messages};
use crate::store::{Alert, AlertStatus, StaffMember};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;
use chrono::TimeZone;

/// Counts and the map, as the pages show them.
pub struct AudienceView {
    pub residents: u64,
    pub emails: u64,
    pub texts: u64,
    pub description: String,
    pub by_district: Vec<(String, u64)>,
    pub map_svg: String,
}

#[derive(Template)]
#[template(path = "staff/compose.html")]
struct ComposePage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    /// Where the form posts: a new alert's, or the draft's own edit address.
    form_action: String,
    editing: bool,
    form: AlertInput,
    providers: Vec<(String, String)>,
    message_types: Vec<(String, String)>,
    /// Open Neighbourhood Watch schemes, to limit the alert to one's members.
    schemes: Vec<(String, String)>,
    priorities: Vec<(u8, &'static str)>,
    districts: Vec<(String, String, bool)>,
    exclude_districts: Vec<(String, String, bool)>,
    sms_count: String,
    /// The space and the link sending adds to a text, in characters.
    sms_link_room: usize,
    suggestion: Option<Suggestion>,
    audience: Option<AudienceView>,
    notice: Option<String>,
    signoff: [String; 3],
    /// The name typed for "Save as a template".
    template_name: String,
    /// (id, name) of the templates a new alert may start from.
    templates: Vec<(i64, String)>,
    errors: FieldErrors,
}

/// The text message's count as the page shows it (and `static/compose.js` writes it as the
/// sender types): the link sending adds is counted in.
fn sms_count(text: &str, link_room: usize) -> String {
    match gsm7_length(text) {
        Ok(0) => format!("0 of {SMS_MAX} characters"),
        Ok(n) => {
            let total = n + link_room;
            let with_link = if link_room > 0 { " with the link" } else { "" };
            let too_long = if total > SMS_MAX { ": too long" } else { "" };
            format!("{total} of {SMS_MAX} characters{with_link}{too_long}")
        }
        Err(c) => format!("“{c}” cannot go in a text message"),
    }
}

/// What a compose page shows besides the form: the audience counted, the problems found, and
/// what the last button changed.
#[derive(Default)]
struct ComposeView {
    audience: Option<AudienceView>,
    errors: FieldErrors,
    notice: Option<String>,
    template_name: String,
}

impl ComposeView {
    fn errors(errors: FieldErrors) -> ComposeView {
        ComposeView {
            errors,
            ..ComposeView::default()
        }
    }
}

/// Which alert a compose form writes: a new one, or a draft being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writing {
    New,
    Edit(i64),
}

async fn compose_page(
    ctx: &AppState,
    jar: CookieJar,
    staff: &StaffMember,
    writing: Writing,
    form: AlertInput,
    view: ComposeView,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let compose::ComposeChoices {
        providers,
        message_types,
        force_districts: force,
        schemes,
    } = compose::choices(ctx, staff).await?;
    // A draft kept to a scheme that is no longer open still shows it, so that saving says so
    // rather than the alert silently going to everyone.
    let mut schemes = schemes;
    if form.members.starts_with("scheme:") && !schemes.iter().any(|(code, _)| *code == form.members)
    {
        schemes.push((
            form.members.clone(),
            "a scheme that is no longer open".into(),
        ));
    }
    let ticked = |chosen: &[String]| {
        force
            .iter()
            .map(|(code, name)| (code.clone(), name.clone(), chosen.contains(code)))
            .collect::<Vec<_>>()
    };
    // What sending adds to the text; the page's script counts it too, and drops it when the
    // alert is kept to subscribers (no link is added then).
    let sms_link_room = messages::sms_link_room(ctx, false);
    let sms_count = sms_count(
        form.sms_text.trim(),
        if form.private { 0 } else { sms_link_room },
    );
    let (heading, form_action) = match writing {
        Writing::Edit(id) => (
            format!("Edit alert {id}"),
            format!("/staff/alerts/{id}/edit"),
        ),
        Writing::New => (
            match form.follow_up.as_str() {
                "update" => "Write an update to an alert".into(),
                "cancel" => "Withdraw an alert".into(),
                _ => "Write an alert".into(),
            },
            "/staff/alerts/new".to_owned(),
        ),
    };
    // A new alert (not a follow-up) may start from a template instead.
    let templates = match writing {
        Writing::New if form.follows.is_none() => templates::list(ctx, staff)
            .await?
            .into_iter()
            .map(|t| match staff.permissions.admin {
                true => (t.id, format!("{} ({})", t.content.name, t.provider_name)),
                false => (t.id, t.content.name),
            })
            .collect(),
        _ => Vec::new(),
    };
    let page = ComposePage {
        nav: nav(staff, &csrf),
        csrf,
        heading,
        form_action,
        editing: matches!(writing, Writing::Edit(_)),
        districts: ticked(&form.districts),
        exclude_districts: ticked(&form.exclude_districts),
        suggestion: alerts::suggest_target(&form.body),
        form,
        providers,
        message_types,
        schemes,
        priorities: Priority::all().map(|p| (p.level(), p.label())).collect(),
        sms_count,
        sms_link_room,
        audience: view.audience,
        notice: view.notice,
        signoff: SignOff {
            name: staff.name.clone(),
            organisation: staff.provider_name.clone(),
            role: staff.role_title.clone(),
            area: staff.area_label.clone(),
        }
        .lines(),
        template_name: view.template_name,
        templates,
        errors: view.errors,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ComposeQuery {
    follows: Option<i64>,
    follow_up: String,
    /// Start from this template.
    template: Option<i64>,
    /// Start a scam warning about this kind of scam (its slug), from the Reported scams page.
    scam: String,
    /// Send this survey (its id), from the survey's page.
    survey: Option<i64>,
}

pub async fn compose_form(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Query(query): Query<ComposeQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    if let Some(id) = query.template {
        return from_template(&ctx, &ip, &staff, id, jar).await;
    }
    let cancel = query.follow_up == "cancel";
    let scam = match query.scam.trim() {
        "" => None,
        slug => match ScamKind::parse(slug) {
            Some(kind) => Some(kind),
            None => return Ok(super::pages::not_found().await),
        },
    };
    let mut form =
        match compose::new_alert_form(&ctx, &actor(&staff, &ip), query.follows, cancel).await {
            Ok(Some(form)) => form,
            Ok(None) => return Ok(super::pages::not_found().await),
            Err(ComposeError::NotPermitted(_)) => return Ok(forbidden()),
            Err(error) => return Err(error.into()),
        };
    let mut view = ComposeView::default();
    if let Some(kind) = scam {
        let (title, body) = scam_check::warning_for(kind);
        form.message_type = "scam-warning".into();
        form.title = title;
        form.body = body;
        view.notice = Some(format!(
            "A scam warning about “{}”, written from the scam checker's advice: change what you need and choose where it is for.",
            kind.name()
        ));
    }
    if let Some(id) = query.survey {
        let Some((survey, title, body)) = surveys::alert_for(&ctx, &staff, id).await? else {
            return Ok(super::pages::not_found().await);
        };
        form.provider = crate::services::catalogue::provider_slug(&ctx, survey.provider_id).await?;
        form.title = title;
        form.body = body;
        form.survey = Some(id);
        view.notice = Some(format!(
            "An alert carrying the survey \u{201c}{}\u{201d}: each resident it reaches gets their own link to answer. Choose whom it is for.",
            survey.title
        ));
    }
    compose_page(&ctx, jar, &staff, Writing::New, form, view, StatusCode::OK).await
}

/// A new alert's form filled in from template `id`.
async fn from_template(
    ctx: &AppState,
    ip: &str,
    staff: &StaffMember,
    id: i64,
    jar: CookieJar,
) -> WebResult<Response> {
    let (form, name) = match templates::alert_form(ctx, &actor(staff, ip), id).await {
        Ok(Some(filled)) => filled,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(TemplateError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    let view = ComposeView {
        notice: Some(format!(
            "Written from the template “{name}”: change what you need and choose where it is for."
        )),
        ..ComposeView::default()
    };
    compose_page(ctx, jar, staff, Writing::New, form, view, StatusCode::OK).await
}

/// A draft (or an alert waiting for approval) in the compose form, to change.
pub async fn edit_form(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let who = actor(&staff, &ip);
    let form = match compose::edit_form(&ctx, &who, id).await {
        Ok(Some(form)) => form,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(AlertActionError::NotPermitted(_)) => return Ok(forbidden()),
        Err(AlertActionError::Unexpected(error)) => return Err(error.into()),
        Err(refusal) => {
            let Ok(Some(alert)) = alerts::visible_alert(&ctx, &who, id).await else {
                return Ok(super::pages::not_found().await);
            };
            let (status, problem) = (refusal.status_code(), Some(refusal.to_string()));
            return alert_page(&ctx, jar, &staff, &alert, None, problem, status).await;
        }
    };
    let view = ComposeView::default();
    compose_page(
        &ctx,
        jar,
        &staff,
        Writing::Edit(id),
        form,
        view,
        StatusCode::OK,
    )
    .await
}

pub async fn edit(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    submit(&ctx, &ip, &staff, Writing::Edit(id), jar, &body).await
}

/// The compose form's own fields, besides the alert itself.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ComposeForm {
    csrf: String,
    action: String,
    /// The name for "Save as a template".
    template_name: String,
}

pub async fn compose(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    submit(&ctx, &ip, &staff, Writing::New, jar, &body).await
}

/// A compose form's buttons, for a new alert or a draft being edited. The body is read twice,
/// once for the form's own fields and once for the alert (serde's `flatten` cannot carry
/// repeated keys and numbers through a form).
async fn submit(
    ctx: &AppState,
    ip: &str,
    staff: &StaffMember,
    writing: Writing,
    jar: CookieJar,
    body: &[u8],
) -> WebResult<Response> {
    let who = actor(staff, ip);
    let (Ok(form), Ok(mut input)) = (
        serde_html_form::from_bytes::<ComposeForm>(body),
        serde_html_form::from_bytes::<AlertInput>(body),
    ) else {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be read").into_response());
    };
    if !csrf::verify(ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("title", super::csrf::FORM_EXPIRED);
        let view = ComposeView::errors(errors);
        return compose_page(ctx, jar, staff, writing, input, view, StatusCode::FORBIDDEN).await;
    }
    let page = |input, view, status| compose_page(ctx, jar, staff, writing, input, view, status);
    if form.action == "template" {
        // The alert being written is kept as a template; the sender goes on writing it.
        let template = TemplateInput::from_alert(&form.template_name, &input);
        let (view, status) = match templates::create(ctx, &who, &template).await {
            Ok(_) => {
                let name = form.template_name.trim();
                let notice = format!(
                    "Saved as the template “{name}”, under Templates. The alert itself is saved \
                     when you save it."
                );
                (
                    ComposeView {
                        notice: Some(notice),
                        ..ComposeView::default()
                    },
                    StatusCode::OK,
                )
            }
            Err(TemplateError::Invalid(errors)) => (
                ComposeView {
                    template_name: form.template_name,
                    ..ComposeView::errors(errors)
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            Err(TemplateError::NotPermitted(_)) => return Ok(forbidden()),
            Err(error) => return Err(error.into()),
        };
        return page(input, view, status).await;
    }
    // Accepting the suggestion adds its circle to what was chosen, and says so.
    let notice = match form.action.as_str() {
        "suggest" => alerts::suggest_target(&input.body).map(|s| s.add_to(&mut input)),
        _ => None,
    };
    if form.action == "save" {
        let saved = match writing {
            Writing::New => alerts::save_draft(ctx, &who, &input)
                .await
                .map(|id| format!("/staff/alerts/{id}?done=saved")),
            Writing::Edit(id) => alerts::save_edit(ctx, &who, id, &input)
                .await
                .map(|_| format!("/staff/alerts/{id}?done=edited")),
        };
        return match saved {
            Ok(to) => Ok(Redirect::to(&to).into_response()),
            Err(ComposeError::Invalid(errors)) => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                page(input, ComposeView::errors(errors), status).await
            }
            Err(ComposeError::NotPermitted(_)) => Ok(forbidden()),
            Err(error) => Err(error.into()),
        };
    }
    // Preview (also after accepting a suggestion): check everything, count the audience.
    match alerts::preview(ctx, &who, &input).await {
        Ok((checked, audience)) => {
            let audience = AudienceView {
                residents: audience.preview.residents,
                emails: audience.preview.emails,
                texts: audience.preview.texts,
                description: checked.content.target_description.clone(),
                by_district: audience.by_district,
                map_svg: audience.map_svg,
            };
            let view = ComposeView {
                audience: Some(audience),
                notice,
                ..ComposeView::default()
            };
            page(input, view, StatusCode::OK).await
        }
        Err(ComposeError::Invalid(errors)) => {
            let view = ComposeView {
                notice,
                ..ComposeView::errors(errors)
            };
            page(input, view, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ComposeError::NotPermitted(_)) => Ok(forbidden()),
        Err(error) => Err(error.into()),
    }
}

#[derive(Template)]
#[template(path = "staff/alert.html")]
struct AlertPage {
    nav: Option<Nav>,
    csrf: String,
    id: i64,
    title: String,
    status: &'static str,
    follow: Option<String>,
    provider: String,
    message_type: String,
    priority: String,
    target: String,
    scheduled: Option<String>,
    sms_text: Option<String>,
    body_html: String,
    signoff: [String; 3],
    audience: Option<AudienceView>,
    /// A sent alert's area, drawn from its stored target.
    area_map: Option<String>,
    report: Option<ReportView>,
    private: bool,
    actions: Vec<(&'static str, &'static str, bool)>,
    can_follow_up: bool,
    /// (who, when, what to change) if an approver sent it back to its author.
    sent_back: Option<(String, String, String)>,
    /// Whether it is still the draft that was sent back (not since asked for approval again).
    sent_back_now: bool,
    /// The form that sends it back to its author with a comment, for whoever may approve it.
    can_send_back: bool,
    /// The comment as typed, given back with a problem.
    comment: String,
    max_comment: usize,
    notice: Option<String>,
    problem: Option<String>,
    /// The survey it carries: its id and title.
    survey: Option<(i64, String)>,
}

pub(super) fn uk_time(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::London)
                .format("%A %-d %B %Y at %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// How a sent alert's delivery stands, for its senders.
struct ReportView {
    /// (channel, counts) for email and text.
    channels: Vec<(&'static str, crate::store::ChannelCounts)>,
    fanout: String,
    /// (minute in UK time, emails, texts).
    timeline: Vec<(String, i64, i64)>,
    failures: Vec<(String, i64)>,
    useful: i64,
    not_useful: i64,
    /// (when, reason): why residents found it not useful, when they said.
    not_useful_reasons: Vec<(String, String)>,
    /// (first name, when, message, the resident's thread in the inbox).
    replies: Vec<(String, String, String, Option<i64>)>,
}

impl ReportView {
    fn from(report: crate::store::DeliveryReport) -> ReportView {
        ReportView {
            channels: vec![("Email", report.email), ("Text message", report.sms)],
            fanout: match report.fanout_done_at {
                Some(at) => format!("Every matching resident was queued by {}.", uk_time(at)),
                None => "Still finding the residents it reaches…".to_owned(),
            },
            timeline: report
                .timeline
                .iter()
                .map(|(minute, emails, texts)| {
                    let when = chrono::DateTime::from_timestamp(*minute, 0)
                        .map(|t| {
                            t.with_timezone(&chrono_tz::Europe::London)
                                .format("%H:%M")
                                .to_string()
                        })
                        .unwrap_or_default();
                    (when, *emails, *texts)
                })
                .collect(),
            failures: report.failures,
            useful: report.useful,
            not_useful: report.not_useful,
            not_useful_reasons: report
                .not_useful_reasons
                .into_iter()
                .map(|(at, reason)| (uk_time(at), reason))
                .collect(),
            replies: report
                .replies
                .into_iter()
                .map(|r| {
                    (
                        r.first_name,
                        uk_time(r.created_at),
                        r.body,
                        r.conversation_id,
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AlertQuery {
    done: String,
}

async fn alert_page(
    ctx: &AppState,
    jar: CookieJar,
    staff: &StaffMember,
    alert: &Alert,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let comment = String::new();
    alert_page_with(ctx, jar, staff, alert, (notice, problem), comment, status).await
}

/// `alert_page`, with the sending-back comment as typed.
async fn alert_page_with(
    ctx: &AppState,
    jar: CookieJar,
    staff: &StaffMember,
    alert: &Alert,
    (notice, problem): (Option<String>, Option<String>),
    comment: String,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let allowed = |action: AlertAction| alerts::permission(staff, alert, action).is_ok();
    let mut actions = Vec::new();
    match alert.status {
        AlertStatus::Draft if allowed(AlertAction::Submit) => {
            let label = if alert.needs_approval {
                "Ask for approval"
            } else {
                "Mark ready to send"
            };
            actions.push(("submit", label, false));
        }
        AlertStatus::AwaitingApproval if allowed(AlertAction::Approve) => {
            actions.push(("approve", "Approve", false))
        }
        AlertStatus::Ready if allowed(AlertAction::SendNow) => {
            actions.push(("send", "Send now", false));
            actions.push(("schedule", "Schedule", false));
        }
        AlertStatus::Scheduled if allowed(AlertAction::SendNow) => {
            actions.push(("send", "Send now instead", false))
        }
        _ => {}
    }
    let may_edit = alerts::may_edit(staff, alert).is_ok();
    if may_edit && alerts::EDITABLE.contains(&alert.status) {
        actions.push(("edit", "Edit", false));
    }
    if !matches!(alert.status, AlertStatus::Queued | AlertStatus::Cancelled) {
        if allowed(AlertAction::TestSend) {
            actions.push(("test", "Send a test to myself", false));
        }
        if allowed(AlertAction::Cancel) {
            actions.push(("cancel", "Cancel this alert", true));
        }
    }
    if may_edit {
        actions.push(("duplicate", "Duplicate as a new draft", false));
    }
    let report = if alert.status == AlertStatus::Queued {
        Some(ReportView::from(
            compose::delivery_report(ctx, alert.id).await?,
        ))
    } else {
        None
    };
    let audience = match report {
        Some(_) => None,
        None => {
            let checked = alerts::CheckedAlert {
                content: alert.content.clone(),
            };
            let audience = alerts::audience(ctx, &checked).await?;
            Some(AudienceView {
                residents: audience.preview.residents,
                emails: audience.preview.emails,
                texts: audience.preview.texts,
                description: alert.content.target_description.clone(),
                by_district: audience.by_district,
                map_svg: audience.map_svg,
            })
        }
    };
    let survey = surveys::carried(ctx, alert).await?;
    let page = AlertPage {
        survey,
        nav: nav(staff, &csrf),
        csrf,
        id: alert.id,
        title: alert.content.title.clone(),
        status: views::alert_status_label(alert.status),
        follow: alert
            .follows_alert_id
            .map(|original| match alert.follow_up.as_deref() {
                Some("cancel") => format!("withdraws alert {original}"),
                _ => format!("updates alert {original}"),
            }),
        provider: alert.provider_name.clone(),
        message_type: alert.message_type_name.clone(),
        priority: alert.content.priority.label().to_owned(),
        target: alert.content.target_description.clone(),
        scheduled: alert
            .scheduled_for
            .filter(|_| alert.status == AlertStatus::Scheduled)
            .map(uk_time),
        sms_text: alert.content.sms_text.clone(),
        body_html: render_markdown(&alert.content.body_markdown).html,
        signoff: alert.signoff.lines(),
        audience,
        area_map: report
            .as_ref()
            .map(|_| alerts::area_map(&alert.content.target)),
        report,
        private: alert.content.private,
        actions,
        can_follow_up: alert.status == AlertStatus::Queued && allowed(AlertAction::Submit),
        sent_back: alert.returned_comment.clone().map(|comment| {
            let who = alert.returned_by_name.clone().unwrap_or_default();
            (
                who,
                alert.returned_at.map(uk_time).unwrap_or_default(),
                comment,
            )
        }),
        sent_back_now: alert.status == AlertStatus::Draft,
        can_send_back: alert.status == AlertStatus::AwaitingApproval
            && allowed(AlertAction::Approve),
        comment,
        max_comment: approvals::MAX_COMMENT_CHARS,
        notice,
        problem,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

pub async fn show(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    Query(query): Query<AlertQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let staff = &signed_in.staff;
    let alert = match alerts::visible_alert(&ctx, &actor(staff, &ip), id).await {
        Ok(Some(alert)) => alert,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(AlertActionError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    let notice = match query.done.as_str() {
        "saved" => Some("The draft is saved.".to_owned()),
        "edited" if alert.needs_approval => Some(
            "Your changes are saved. It is a draft: ask for approval when it is ready.".to_owned(),
        ),
        "edited" => Some("Your changes are saved.".to_owned()),
        "duplicated" => {
            Some("This is a copy, saved as a new draft: edit it before you send it.".to_owned())
        }
        "submit" => Some(format!(
            "Done: the alert is now “{}”.",
            views::alert_status_label(alert.status)
        )),
        "approve" => Some("Approved: the alert may now be sent.".to_owned()),
        "sent-back" => Some(
            "Sent back: it is a draft again, and its author has been emailed your comment."
                .to_owned(),
        ),
        "send" => Some("Sent: the alert is on its way to residents.".to_owned()),
        "schedule" => Some("Scheduled.".to_owned()),
        "cancel" => Some("The alert is cancelled: nothing will be sent.".to_owned()),
        "test" => Some(format!("A test has been sent to {}.", staff.email)),
        _ => None,
    };
    alert_page(&ctx, jar, staff, &alert, notice, None, StatusCode::OK).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ActionForm {
    csrf: String,
    at: String,
}

pub async fn action(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path((id, action)): Path<(i64, String)>,
    jar: CookieJar,
    Form(form): Form<ActionForm>,
) -> WebResult<Response> {
    take_action(&ctx, &ip, &signed_in.staff, id, &action, jar, form).await
}

#[derive(Template)]
#[template(path = "staff/send.html")]
struct SendPage {
    nav: Option<Nav>,
    csrf: String,
    id: i64,
    title: String,
    /// "Send to 8,412 residents: 8,412 emails, 1,203 texts".
    summary: String,
    area: String,
    by_district: Vec<(String, String)>,
    map_svg: String,
    scheduled: Option<String>,
}

/// "1 resident", "8,412 residents".
fn counted(n: u64, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        views::thousands(n),
        if n == 1 { one } else { many }
    )
}

/// Asks before sending (GOV.UK Notify's pattern): how many residents, emails and texts, and
/// where, then the button that sends.
pub async fn confirm_send(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let staff = &signed_in.staff;
    let who = actor(staff, &ip);
    let alert = match alerts::visible_alert(&ctx, &who, id).await {
        Ok(Some(alert)) => alert,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(AlertActionError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    let audience = match compose::before_sending(&ctx, &who, &alert).await {
        Ok(audience) => audience,
        Err(AlertActionError::NotPermitted(_)) => return Ok(forbidden()),
        Err(AlertActionError::Unexpected(error)) => return Err(error.into()),
        Err(refusal) => {
            let status = refusal.status_code();
            let problem = Some(refusal.to_string());
            return alert_page(&ctx, jar, staff, &alert, None, problem, status).await;
        }
    };
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let preview = &audience.preview;
    let page = SendPage {
        nav: nav(staff, &csrf),
        csrf,
        id,
        title: alert.content.title.clone(),
        summary: format!(
            "Send to {}: {}, {}",
            counted(preview.residents, "resident", "residents"),
            counted(preview.emails, "email", "emails"),
            counted(preview.texts, "text", "texts"),
        ),
        area: alert.content.target_description.clone(),
        by_district: audience
            .by_district
            .into_iter()
            .map(|(name, n)| (name, views::thousands(n)))
            .collect(),
        map_svg: audience.map_svg,
        scheduled: alert
            .scheduled_for
            .filter(|_| alert.status == AlertStatus::Scheduled)
            .map(uk_time),
    };
    Ok((jar, views::render(&page)).into_response())
}

/// The confirmation page's button.
pub async fn send(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<ActionForm>,
) -> WebResult<Response> {
    take_action(&ctx, &ip, &signed_in.staff, id, "send", jar, form).await
}

async fn take_action(
    ctx: &AppState,
    ip: &str,
    staff: &StaffMember,
    id: i64,
    action: &str,
    jar: CookieJar,
    form: ActionForm,
) -> WebResult<Response> {
    let ctx = ctx.clone();
    let who = actor(staff, ip);
    let alert = match alerts::visible_alert(&ctx, &who, id).await {
        Ok(Some(alert)) => alert,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(AlertActionError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let problem = Some(super::csrf::FORM_EXPIRED.to_owned());
        return alert_page(
            &ctx,
            jar,
            staff,
            &alert,
            None,
            problem,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let outcome = match action {
        "duplicate" => match alerts::duplicate(&ctx, &who, id).await {
            Ok(Some(copy)) => {
                let to = format!("/staff/alerts/{copy}?done=duplicated");
                return Ok(Redirect::to(&to).into_response());
            }
            Ok(None) => return Ok(super::pages::not_found().await),
            Err(error) => Err(error),
        },
        "test" => alerts::act(&ctx, &who, &alert, AlertAction::TestSend)
            .await
            .map(|_| ()),
        "submit" => alerts::act(&ctx, &who, &alert, AlertAction::Submit)
            .await
            .map(|_| ()),
        "approve" => alerts::act(&ctx, &who, &alert, AlertAction::Approve)
            .await
            .map(|_| ()),
        "send" => alerts::act(&ctx, &who, &alert, AlertAction::SendNow)
            .await
            .map(|_| ()),
        "cancel" => alerts::act(&ctx, &who, &alert, AlertAction::Cancel)
            .await
            .map(|_| ()),
        "schedule" => match parse_uk_time(&form.at) {
            Some(at) => alerts::act(&ctx, &who, &alert, AlertAction::Schedule(at))
                .await
                .map(|_| ()),
            None => Err(AlertActionError::UnreadableTime),
        },
        _ => return Ok(super::pages::not_found().await),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/staff/alerts/{id}?done={action}")).into_response()),
        // The send button pressed twice (or by two people at once): the alert went once, and
        // the second press is told so rather than refused.
        Err(AlertActionError::StatusChanged)
            if action == "send" && sent_meanwhile(&ctx, &who, id).await =>
        {
            Ok(Redirect::to(&format!("/staff/alerts/{id}?done=send")).into_response())
        }
        Err(AlertActionError::NotPermitted(_)) => Ok(forbidden()),
        Err(AlertActionError::Unexpected(error)) => Err(error.into()),
        Err(refusal) => {
            let status = refusal.status_code();
            alert_page(
                &ctx,
                jar,
                staff,
                &alert,
                None,
                Some(refusal.to_string()),
                status,
            )
            .await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SendBackForm {
    csrf: String,
    comment: String,
}

/// An approver sends an alert waiting for approval back to its author, with what to change.
pub async fn send_back(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    signed_in: SignedInStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    Form(form): Form<SendBackForm>,
) -> WebResult<Response> {
    let staff = &signed_in.staff;
    let who = actor(staff, &ip);
    let alert = match alerts::visible_alert(&ctx, &who, id).await {
        Ok(Some(alert)) => alert,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(AlertActionError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    let refusal = if !csrf::verify(&ctx, &jar, &form.csrf) {
        (StatusCode::FORBIDDEN, super::csrf::FORM_EXPIRED.to_owned())
    } else {
        match approvals::send_back(&ctx, &who, id, &form.comment).await {
            Ok(Some(())) => {
                let to = format!("/staff/alerts/{id}?done=sent-back");
                return Ok(Redirect::to(&to).into_response());
            }
            Ok(None) => return Ok(super::pages::not_found().await),
            Err(SendBackError::NotPermitted(_)) => return Ok(forbidden()),
            Err(SendBackError::Unexpected(error)) => return Err(error.into()),
            Err(refusal) => (refusal.status_code(), refusal.to_string()),
        }
    };
    let (status, problem) = refusal;
    let messages = (None, Some(problem));
    alert_page_with(&ctx, jar, staff, &alert, messages, form.comment, status).await
}

/// Whether alert `id` has been sent by now.
async fn sent_meanwhile(ctx: &AppState, who: &crate::services::staff::Actor<'_>, id: i64) -> bool {
    matches!(
        alerts::visible_alert(ctx, who, id).await,
        Ok(Some(alert)) if alert.status == AlertStatus::Queued
    )
}

/// A `datetime-local` value read as UK time (GMT or BST, whichever is in force then).
fn parse_uk_time(value: &str) -> Option<i64> {
    let naive = chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M").ok()?;
    chrono_tz::Europe::London
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    #[test]
    fn schedule_times_are_uk_local() {
        // 1 July is in British Summer Time (UTC+1); 1 December in GMT.
        assert_eq!(
            super::parse_uk_time("2026-07-01T09:30"),
            Some(1_782_894_600)
        );
        assert_eq!(
            super::parse_uk_time("2026-12-01T09:30"),
            Some(1_796_117_400)
        );
        assert_eq!(super::parse_uk_time("tomorrow"), None);
    }
}

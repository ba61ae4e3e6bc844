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
use crate::services::compose;
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
#[template(path = "staff/home.html")]
struct HomePage {
    nav: Option<Nav>,
    name: String,
    role: String,
    organisation: String,
    area: String,
    permissions: String,
    can_compose: bool,
    alerts: Vec<(i64, String, String, &'static str, String)>,
}

pub async fn home(
    State(ctx): State<AppState>,
    signed_in: SignedInStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let staff = &signed_in.staff;
    let alerts = compose::staff_alerts(&ctx, staff)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.id,
                a.content.title,
                a.provider_name,
                views::alert_status_label(a.status),
                a.signoff.name,
            )
        })
        .collect();
    let page = HomePage {
        nav: nav(staff, &csrf),
        name: staff.name.clone(),
        role: staff.role_title.clone(),
        organisation: staff.provider_name.clone(),
        area: staff.area_label.clone(),
        permissions: staff.permissions.describe(),
        can_compose: staff.permissions.send || staff.permissions.admin,
        alerts,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Template)]
#[template(path = "staff/compose.html")]
struct ComposePage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    form: AlertInput,
    providers: Vec<(String, String)>,
    message_types: Vec<(String, String)>,
    priorities: Vec<(u8, &'static str)>,
    districts: Vec<(String, String, bool)>,
    exclude_districts: Vec<(String, String, bool)>,
    sms_count: String,
    suggestion: Option<Suggestion>,
    audience: Option<AudienceView>,
    signoff: [String; 3],
    errors: FieldErrors,
}

#[allow(clippy::too_many_arguments)]
async fn compose_page(
    ctx: &AppState,
    jar: CookieJar,
    staff: &StaffMember,
    form: AlertInput,
    audience: Option<AudienceView>,
    errors: FieldErrors,
    status: StatusCode,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(ctx, jar);
    let compose::ComposeChoices {
        providers,
        message_types,
        force_districts: force,
    } = compose::choices(ctx, staff).await?;
    let ticked = |chosen: &[String]| {
        force
            .iter()
            .map(|(code, name)| (code.clone(), name.clone(), chosen.contains(code)))
            .collect::<Vec<_>>()
    };
    let sms_count = match gsm7_length(form.sms_text.trim()) {
        Ok(n) => format!("{n} of {SMS_MAX} characters"),
        Err(c) => format!("“{c}” cannot go in a text message"),
    };
    let page = ComposePage {
        nav: nav(staff, &csrf),
        csrf,
        heading: match form.follow_up.as_str() {
            "update" => "Write an update to an alert".into(),
            "cancel" => "Withdraw an alert".into(),
            _ => "Write an alert".into(),
        },
        districts: ticked(&form.districts),
        exclude_districts: ticked(&form.exclude_districts),
        suggestion: alerts::suggest_target(&form.body),
        form,
        providers,
        message_types,
        priorities: Priority::all().map(|p| (p.level(), p.label())).collect(),
        sms_count,
        audience,
        signoff: SignOff {
            name: staff.name.clone(),
            organisation: staff.provider_name.clone(),
            role: staff.role_title.clone(),
            area: staff.area_label.clone(),
        }
        .lines(),
        errors,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ComposeQuery {
    follows: Option<i64>,
    follow_up: String,
}

pub async fn compose_form(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Query(query): Query<ComposeQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let cancel = query.follow_up == "cancel";
    let form = match compose::new_alert_form(&ctx, &actor(&staff, &ip), query.follows, cancel).await
    {
        Ok(Some(form)) => form,
        Ok(None) => return Ok(super::pages::not_found().await),
        Err(ComposeError::NotPermitted(_)) => return Ok(forbidden()),
        Err(error) => return Err(error.into()),
    };
    compose_page(
        &ctx,
        jar,
        &staff,
        form,
        None,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

/// The compose form's own fields, besides the alert itself.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ComposeForm {
    csrf: String,
    action: String,
}

/// The body is read twice, once for the form's own fields and once for the alert (serde's
/// `flatten` cannot carry repeated keys and numbers through a form).
pub async fn compose(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    let staff = &staff;
    let (Ok(form), Ok(mut input)) = (
        serde_html_form::from_bytes::<ComposeForm>(&body),
        serde_html_form::from_bytes::<AlertInput>(&body),
    ) else {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be read").into_response());
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let mut errors = FieldErrors::default();
        errors.add("title", super::csrf::FORM_EXPIRED);
        return compose_page(&ctx, jar, staff, input, None, errors, StatusCode::FORBIDDEN).await;
    }
    if form.action == "suggest" {
        if let Some(s) = alerts::suggest_target(&input.body) {
            input.force_area = None;
            input.districts.clear();
            input.circle_centre = s.centre_name();
            input.circle_grid = format!("{},{}", s.easting, s.northing);
            input.circle_radius = format!("{}", s.radius_km);
            input.circle_unit = "km".into();
        }
    }
    if form.action == "save" {
        return match alerts::save_draft(&ctx, &actor(staff, &ip), &input).await {
            Ok(id) => Ok(Redirect::to(&format!("/staff/alerts/{id}?done=saved")).into_response()),
            Err(ComposeError::Invalid(errors)) => {
                compose_page(
                    &ctx,
                    jar,
                    staff,
                    input,
                    None,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(ComposeError::NotPermitted(_)) => Ok(forbidden()),
            Err(error) => Err(error.into()),
        };
    }
    // Preview (also after accepting a suggestion): check everything, count the audience.
    match alerts::preview(&ctx, &actor(staff, &ip), &input).await {
        Ok((checked, audience)) => {
            let view = AudienceView {
                residents: audience.preview.residents,
                emails: audience.preview.emails,
                texts: audience.preview.texts,
                description: checked.content.target_description.clone(),
                by_district: audience.by_district,
                map_svg: audience.map_svg,
            };
            compose_page(
                &ctx,
                jar,
                staff,
                input,
                Some(view),
                FieldErrors::default(),
                StatusCode::OK,
            )
            .await
        }
        Err(ComposeError::Invalid(errors)) => {
            compose_page(
                &ctx,
                jar,
                staff,
                input,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
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
    report: Option<ReportView>,
    private: bool,
    actions: Vec<(&'static str, &'static str, bool)>,
    can_follow_up: bool,
    notice: Option<String>,
    problem: Option<String>,
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
    /// (first name, when, message).
    replies: Vec<(String, String, String)>,
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
                .map(|r| (r.first_name, uk_time(r.created_at), r.body))
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
    if !matches!(alert.status, AlertStatus::Queued | AlertStatus::Cancelled) {
        if allowed(AlertAction::TestSend) {
            actions.push(("test", "Send a test to myself", false));
        }
        if allowed(AlertAction::Cancel) {
            actions.push(("cancel", "Cancel this alert", true));
        }
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
    let page = AlertPage {
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
        report,
        private: alert.content.private,
        actions,
        can_follow_up: alert.status == AlertStatus::Queued && allowed(AlertAction::Submit),
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
        "submit" => Some(format!(
            "Done: the alert is now “{}”.",
            views::alert_status_label(alert.status)
        )),
        "approve" => Some("Approved: the alert may now be sent.".to_owned()),
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
    let staff = &signed_in.staff;
    let who = actor(staff, &ip);
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
    let outcome = match action.as_str() {
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

//! The staff home: what waits for the member of staff (alerts to approve, residents' replies),
//! what they may do in words, and the alerts they may see, filtered, a page at a time.

use super::error::WebResult;
use super::staff::{nav, Nav, SignedInStaff};
use super::{views, AppState};
use crate::services::staff_home::{self, HomeQuery, StaffHome, STATUSES};
use crate::store::AlertSummary;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

/// A time as the lists show it, in UK time: "6 Dec 2026 14:05".
pub(super) fn short_uk_time(timestamp: i64) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::London)
                .format("%-d %b %Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// One alert as a row of the list (or a line of the approvals section).
struct AlertRow {
    id: i64,
    title: String,
    provider: String,
    kind: String,
    status: &'static str,
    imported: bool,
    author: String,
    /// "Sent 6 Dec 2026 14:05", "Due …", "Written …".
    when: String,
    /// Residents reached, for a sent alert written here.
    reached: Option<String>,
    useful: i64,
    not_useful: i64,
    replies: i64,
}

impl AlertRow {
    fn from(a: AlertSummary) -> AlertRow {
        use crate::store::AlertStatus::{Queued, Scheduled};
        let when = match (a.status, a.queued_at, a.scheduled_for) {
            (Queued, Some(at), _) => format!("Sent {}", short_uk_time(at)),
            (Scheduled, _, Some(at)) => format!("Due {}", short_uk_time(at)),
            _ => format!("Written {}", short_uk_time(a.created_at)),
        };
        let reached = (a.status == Queued && !a.imported).then(|| {
            let n = u64::try_from(a.reached).unwrap_or(0);
            format!(
                "{} {}",
                views::thousands(n),
                if n == 1 { "resident" } else { "residents" }
            )
        });
        AlertRow {
            id: a.id,
            title: a.title,
            provider: a.provider_name,
            kind: a.message_type_name,
            status: views::alert_status_label(a.status),
            imported: a.imported,
            author: a.signoff_name,
            when,
            reached,
            useful: a.useful,
            not_useful: a.not_useful,
            replies: a.replies,
        }
    }
}

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    nav: Option<Nav>,
    name: String,
    role: String,
    organisation: String,
    area: String,
    abilities: Vec<&'static str>,
    can_compose: bool,
    /// Approvers and admins see what waits for their approval.
    approves: bool,
    /// May read online reports: linked to their queue (a reviewer's, those waiting for review)
    /// and the dashboard.
    sees_reports: bool,
    reports_queue: &'static str,
    waiting_approval: Vec<AlertRow>,
    /// (alert id, title, "3 replies", latest reply's time).
    replies_waiting: Vec<(i64, String, String, String)>,
    replies_days: i64,
    alerts: Vec<AlertRow>,
    query: HomeQuery,
    /// (value, label, selected) for each filter's choices.
    statuses: Vec<(&'static str, &'static str, bool)>,
    organisations: Vec<(String, String, bool)>,
    kinds: Vec<(String, String, bool)>,
    sources: Vec<(&'static str, &'static str, bool)>,
    /// The first page again, with the same filters, when this is a later one.
    newest: Option<String>,
    older: Option<String>,
}

/// The list's address with the same filters, from alert `before` on (or its first page).
fn page_link(query: &HomeQuery, before: Option<i64>) -> String {
    let pairs = [
        ("status", query.status.as_str()),
        ("organisation", query.organisation.as_str()),
        ("kind", query.kind.as_str()),
        ("source", query.source.as_str()),
        ("words", query.words.trim()),
    ];
    let before = before.map(|b| b.to_string()).unwrap_or_default();
    let pairs: Vec<(&str, &str)> = pairs
        .into_iter()
        .chain([("before", before.as_str())])
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let link = serde_html_form::to_string(&pairs).unwrap_or_default();
    format!("/staff?{link}#alerts-title")
}

pub async fn home(
    State(ctx): State<AppState>,
    signed_in: SignedInStaff,
    Query(query): Query<HomeQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    if signed_in.staff.permissions.only_coordinates() {
        return Ok(axum::response::Redirect::to("/staff/coordinate").into_response());
    }
    let (jar, csrf) = super::csrf::issue(&ctx, jar);
    let staff = &signed_in.staff;
    let StaffHome {
        waiting_approval,
        replies_waiting,
        alerts,
        next_before,
        organisations,
        kinds,
    } = staff_home::staff_home(&ctx, staff, &query).await?;
    let source = match query.source.as_str() {
        "imported" | "all" => query.source.as_str(),
        _ => "written",
    };
    let page = HomePage {
        nav: nav(staff, &csrf),
        name: staff.name.clone(),
        role: staff.role_title.clone(),
        organisation: staff.provider_name.clone(),
        area: staff.area_label.clone(),
        abilities: staff.permissions.in_words(),
        can_compose: staff.permissions.send || staff.permissions.admin,
        approves: staff.permissions.approve || staff.permissions.admin,
        sees_reports: staff.permissions.sees_reports(),
        reports_queue: if staff.permissions.may_operate() {
            "/staff/reports"
        } else {
            "/staff/reports?tab=review"
        },
        waiting_approval: waiting_approval.into_iter().map(AlertRow::from).collect(),
        replies_waiting: replies_waiting
            .into_iter()
            .map(|r| {
                let count = if r.replies == 1 {
                    "1 reply".to_owned()
                } else {
                    format!("{} replies", r.replies)
                };
                (r.id, r.title, count, short_uk_time(r.latest))
            })
            .collect(),
        replies_days: staff_home::REPLIES_WAITING_DAYS,
        alerts: alerts.into_iter().map(AlertRow::from).collect(),
        statuses: STATUSES
            .into_iter()
            .map(|s| {
                let label = views::alert_status_label(s);
                (s.as_str(), label, s.as_str() == query.status)
            })
            .collect(),
        organisations: organisations
            .into_iter()
            .map(|(slug, name)| {
                let selected = slug == query.organisation;
                (slug, name, selected)
            })
            .collect(),
        kinds: kinds
            .into_iter()
            .map(|(slug, name)| {
                let selected = slug == query.kind;
                (slug, name, selected)
            })
            .collect(),
        sources: [
            ("written", "Written here"),
            ("imported", "Imported"),
            ("all", "Both"),
        ]
        .into_iter()
        .map(|(value, label)| (value, label, value == source))
        .collect(),
        newest: query.before.map(|_| page_link(&query, None)),
        older: next_before.map(|before| page_link(&query, Some(before))),
        query,
    };
    Ok((jar, views::render(&page)).into_response())
}

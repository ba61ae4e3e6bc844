//! What the staff home shows a member of staff: the alerts waiting for their approval, the
//! alerts residents have lately replied to, and the alerts they may see, filtered and a page
//! at a time, with how each one's sending went.

use super::AppContext;
use crate::store::{AlertListFilter, AlertStatus, AlertSummary, RepliedAlert, StaffMember};
use anyhow::Context;

/// Alerts on one page of the list.
pub const PAGE_SIZE: i64 = 25;
/// How far back a reply counts as waiting to be read.
pub const REPLIES_WAITING_DAYS: i64 = 14;
/// The most alerts the "waiting for approval" and "replies waiting" sections list.
const SECTION_LIMIT: i64 = 20;

/// The list's filters as the page's form sends them; anything not understood means "any".
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct HomeQuery {
    /// A status's name (`draft`, `awaiting_approval`, … `queued`), or empty for any.
    pub status: String,
    /// An organisation's slug (admins only: others see their own organisation's).
    pub organisation: String,
    /// A kind of message's slug.
    pub kind: String,
    /// `written` (the default: alerts written or sent in here), `imported`, or `all`.
    pub source: String,
    /// Words in the title.
    pub words: String,
    /// The next page's key: alerts older than this one.
    pub before: Option<i64>,
}

/// The statuses the list filters by, in the workflow's order.
pub const STATUSES: [AlertStatus; 6] = [
    AlertStatus::Draft,
    AlertStatus::AwaitingApproval,
    AlertStatus::Ready,
    AlertStatus::Scheduled,
    AlertStatus::Queued,
    AlertStatus::Cancelled,
];

pub struct StaffHome {
    /// Alerts `staff` may approve that wait for it (empty for those who may not approve).
    pub waiting_approval: Vec<AlertSummary>,
    /// Alerts with replies in the last `REPLIES_WAITING_DAYS` days.
    pub replies_waiting: Vec<RepliedAlert>,
    /// One page of the list.
    pub alerts: Vec<AlertSummary>,
    /// The key of the next (older) page, if there is one.
    pub next_before: Option<i64>,
    /// (slug, name) of the organisations an admin may filter by; empty for others.
    pub organisations: Vec<(String, String)>,
    /// (slug, name) of the kinds of message.
    pub kinds: Vec<(String, String)>,
}

/// The staff home for `staff`, its list filtered by `query`.
pub async fn staff_home(
    ctx: &AppContext,
    staff: &StaffMember,
    query: &HomeQuery,
) -> anyhow::Result<StaffHome> {
    let admin = staff.permissions.admin;
    let providers = ctx
        .store
        .providers()
        .await
        .context("reading organisations")?;
    let kinds = ctx
        .store
        .message_types()
        .await
        .context("reading the kinds of message")?;
    let scope = if admin {
        providers
            .iter()
            .find(|p| p.slug == query.organisation)
            .map(|p| p.id)
    } else {
        Some(staff.provider_id)
    };
    let words = query.words.trim();
    let filter = AlertListFilter {
        provider_id: scope,
        status: STATUSES.into_iter().find(|s| s.as_str() == query.status),
        message_type_id: kinds.iter().find(|k| k.slug == query.kind).map(|k| k.id),
        imported: match query.source.as_str() {
            "imported" => Some(true),
            "all" => None,
            _ => Some(false),
        },
        title_contains: (!words.is_empty()).then(|| words.chars().take(100).collect()),
        before_id: query.before,
        limit: PAGE_SIZE + 1,
    };
    let mut alerts = ctx
        .store
        .alert_summaries(&filter)
        .await
        .context("listing alerts")?;
    let next_before = if alerts.len() as i64 > PAGE_SIZE {
        alerts.truncate(PAGE_SIZE as usize);
        alerts.last().map(|a| a.id)
    } else {
        None
    };
    let own_scope = (!admin).then_some(staff.provider_id);
    let waiting_approval = if admin || staff.permissions.approve {
        let waiting = AlertListFilter {
            provider_id: own_scope,
            status: Some(AlertStatus::AwaitingApproval),
            limit: SECTION_LIMIT,
            ..AlertListFilter::default()
        };
        let mut waiting = ctx
            .store
            .alert_summaries(&waiting)
            .await
            .context("listing alerts waiting for approval")?;
        // Nobody approves their own alert (`alerts::permission`).
        waiting.retain(|a| a.author_staff_id != Some(staff.id));
        waiting
    } else {
        Vec::new()
    };
    let since = chrono::Utc::now().timestamp() - REPLIES_WAITING_DAYS * 86_400;
    let replies_waiting = ctx
        .store
        .replied_alerts(own_scope, since, SECTION_LIMIT)
        .await
        .context("listing alerts with replies")?;
    Ok(StaffHome {
        waiting_approval,
        replies_waiting,
        alerts,
        next_before,
        organisations: if admin {
            providers.into_iter().map(|p| (p.slug, p.name)).collect()
        } else {
            Vec::new()
        },
        kinds: kinds.into_iter().map(|k| (k.slug, k.name)).collect(),
    })
}

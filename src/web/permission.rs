//! Who may open a page, as extractors whose rejection is the response: a member of staff with
//! the admin or the sender permission, or who may read, triage or review online reports (a
//! refusal is audited and answered with the "You may not do that" page), and a resident's
//! manage or unsubscribe link (a link that cannot be used is answered with the page that says
//! why). A handler that takes one of these runs only for someone allowed in.
//!
//! Writes whose service checks the permission itself (it audits the refusal with what was being
//! changed) take `SignedInStaff` and let the service refuse.

use super::error::WebError;
use super::staff::{actor, forbidden, SignedInStaff};
use super::{AppState, ClientIp};
use crate::services::staff as staff_service;
use crate::services::subscriptions::{self as subs, SubscriptionError};
use crate::store::{StaffMember, Subscriber};
use axum::extract::{FromRequestParts, MatchedPath, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

/// A signed-in member of staff with the admin permission.
pub struct AdminStaff(pub StaffMember);

/// What a refused visit to an admin route is audited as.
fn admin_action(route: &str) -> &'static str {
    match route {
        "/staff/admin/staff" => "view-staff",
        "/staff/admin/staff/new" => "create-staff",
        "/staff/admin/staff/{public_id}/edit" => "change-staff",
        "/staff/admin/audit" => "view-audit-log",
        "/staff/admin/tokens" => "view-api-tokens",
        "/staff/admin/organisations" => "view-organisations",
        "/staff/admin/contact-problems" => "view-contact-problems",
        "/staff/admin/report-kinds" | "/staff/admin/report-kinds/{code}" => "view-report-kinds",
        "/staff/admin/report-kinds/new" => "add-report-kind",
        "/staff/admin/contact-problems/{subscriber}/{channel}/lift" => "lift-contact-suspension",
        "/staff/admin/escalation" => "view-escalation-phrases",
        "/staff/admin/escalation/remove" => "remove-escalation-phrase",
        _ => "view-admin-page",
    }
}

impl FromRequestParts<AppState> for AdminStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedInStaff { staff, .. } = SignedInStaff::from_request_parts(parts, ctx).await?;
        if staff.permissions.admin {
            return Ok(AdminStaff(staff));
        }
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or("", MatchedPath::as_str);
        let action = admin_action(route);
        Err(refused(parts, ctx, &staff, action, "admin pages", "not an admin").await)
    }
}

/// A signed-in member of staff who may write alerts: a sender, or an admin.
pub struct SenderStaff(pub StaffMember);

impl FromRequestParts<AppState> for SenderStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedInStaff { staff, .. } = SignedInStaff::from_request_parts(parts, ctx).await?;
        if staff.permissions.send || staff.permissions.admin {
            return Ok(SenderStaff(staff));
        }
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or("", MatchedPath::as_str);
        let (action, subject) = match route {
            "/staff/scams" => ("view-reported-scams", "reported scams"),
            r if r.starts_with("/staff/surveys") => ("view-surveys", "surveys"),
            _ => ("compose", "new alert"),
        };
        Err(refused(parts, ctx, &staff, action, subject, "not a sender").await)
    }
}

/// A signed-in Neighbourhood Watch coordinator (the coordinate permission). Which schemes they
/// may act on the service checks, auditing a refusal.
pub struct CoordinatorStaff(pub StaffMember);

impl FromRequestParts<AppState> for CoordinatorStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let SignedInStaff { staff, .. } = SignedInStaff::from_request_parts(parts, ctx).await?;
        if staff.permissions.coordinate {
            return Ok(CoordinatorStaff(staff));
        }
        let route = matched(parts).to_owned();
        Err(refused(
            parts,
            ctx,
            &staff,
            "coordinate",
            &route,
            "not a coordinator",
        )
        .await)
    }
}

/// What a refused visit to a report route is audited as, and what it was about.
fn report_action(route: &str) -> (&'static str, &'static str) {
    match route {
        "/staff/reports" => ("view-report-queue", "online reports"),
        "/staff/reports/dashboard" => ("view-report-dashboard", "online reports"),
        "/staff/inbox/figures" => ("view-chat-figures", "contact centre"),
        "/staff/reports/{reference}/assess" => ("assess-report", "online report"),
        "/staff/reports/{reference}/link" => ("link-reports", "online report"),
        "/staff/reports/{reference}/review" => ("review-report", "online report"),
        "/staff/reports/{reference}/files/{file}" => ("view-report-file", "online report"),
        route if route.starts_with("/staff/inbox") => ("use-inbox", "operators' inbox"),
        _ => ("view-report", "online report"),
    }
}

/// The signed-in member of staff, if `may` says their permissions let them use a report
/// route; otherwise the refusal, audited with what the route is for and `detail`.
async fn report_staff(
    parts: &mut Parts,
    ctx: &AppState,
    may: fn(&crate::domain::staff::Permissions) -> bool,
    detail: &str,
) -> Result<StaffMember, Response> {
    let SignedInStaff { staff, .. } = SignedInStaff::from_request_parts(parts, ctx).await?;
    if may(&staff.permissions) {
        return Ok(staff);
    }
    let (action, subject) = report_action(matched(parts));
    Err(refused(parts, ctx, &staff, action, subject, detail).await)
}

/// A signed-in member of staff who may read online reports (the queue, a report, the
/// managers' figures): an operator, a reviewer or an admin.
pub struct ReportStaff(pub StaffMember);

impl FromRequestParts<AppState> for ReportStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let may = |p: &crate::domain::staff::Permissions| p.sees_reports();
        report_staff(parts, ctx, may, "not an operator or reviewer")
            .await
            .map(ReportStaff)
    }
}

/// A signed-in contact operator (or admin): may assess reports and link duplicates, and use
/// the inbox.
pub struct OperatorStaff(pub StaffMember);

impl FromRequestParts<AppState> for OperatorStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let may = |p: &crate::domain::staff::Permissions| p.may_operate();
        report_staff(parts, ctx, may, "not an operator")
            .await
            .map(OperatorStaff)
    }
}

/// A signed-in reviewer (or admin) of the investigation management unit: may record a crime,
/// allocate or close an assessed report.
pub struct ReviewerStaff(pub StaffMember);

impl FromRequestParts<AppState> for ReviewerStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let may = |p: &crate::domain::staff::Permissions| p.may_review();
        report_staff(parts, ctx, may, "not a reviewer")
            .await
            .map(ReviewerStaff)
    }
}

/// The route the request matched, as the table declares it.
fn matched(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str)
}

/// Audits a refusal, then answers with the "You may not do that" page. Failing to audit fails
/// the request: an unrecorded refusal must not happen.
async fn refused(
    parts: &mut Parts,
    ctx: &AppState,
    staff: &StaffMember,
    action: &str,
    subject: &str,
    detail: &str,
) -> Response {
    let Ok(ClientIp(ip)) = ClientIp::from_request_parts(parts, ctx).await;
    match staff_service::audit(ctx, &actor(staff, &ip), action, subject, detail, true).await {
        Ok(()) => forbidden(),
        Err(error) => WebError::from(error).into_response(),
    }
}

/// The resident a manage link (`/manage/{token}…`) belongs to, and the link's token.
pub struct ManageLink {
    pub subscriber: Subscriber,
    pub token: String,
}

impl FromRequestParts<AppState> for ManageLink {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (subscriber, token) = resident_link(parts, ctx, "manage").await?;
        Ok(ManageLink { subscriber, token })
    }
}

/// The resident an unsubscribe link (`/unsubscribe/{token}`) belongs to.
pub struct UnsubscribeLink {
    pub subscriber: Subscriber,
    pub token: String,
}

impl FromRequestParts<AppState> for UnsubscribeLink {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (subscriber, token) = resident_link(parts, ctx, "unsubscribe").await?;
        Ok(UnsubscribeLink { subscriber, token })
    }
}

async fn resident_link(
    parts: &mut Parts,
    ctx: &AppState,
    purpose: &str,
) -> Result<(Subscriber, String), Response> {
    let Path(params) =
        Path::<std::collections::BTreeMap<String, String>>::from_request_parts(parts, ctx)
            .await
            .map_err(IntoResponse::into_response)?;
    let token = params.get("token").cloned().unwrap_or_default();
    match subs::subscriber_for_link(ctx, purpose, &token).await {
        Ok(subscriber) => Ok((subscriber, token)),
        Err(SubscriptionError::Link(problem)) => Err(super::error::link_problem(problem)),
        Err(error) => Err(WebError::from(error).into_response()),
    }
}

/// The report a reporter's link (`/reports/{token}…`) opens, and the link's token. A link that
/// is tampered with, or whose report is gone, gets the page saying it cannot be used.
pub struct ReportLink {
    pub report: crate::store::Report,
    pub token: String,
}

impl FromRequestParts<AppState> for ReportLink {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use crate::services::reports::{self as report_service, ReportError};
        let Path(params) =
            Path::<std::collections::BTreeMap<String, String>>::from_request_parts(parts, ctx)
                .await
                .map_err(IntoResponse::into_response)?;
        let token = params.get("token").cloned().unwrap_or_default();
        match report_service::report_for_token(ctx, &token).await {
            Ok(report) => Ok(ReportLink { report, token }),
            Err(ReportError::Link(problem)) => Err(super::error::report_link_problem(problem)),
            Err(error) => Err(WebError::from(error).into_response()),
        }
    }
}

/// Who may use a route, as its entry in the route table (`super::routes`) declares it. The
/// handler enforces it (by its extractors, or by the service it calls, which audits refusals);
/// `tests/api/routes.rs` walks the table and checks each declaration against the running app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials: the sign-up pages, the archive, feeds, the public API,
    /// static files, health checks and the staff sign-in page.
    Public,
    /// Whoever holds a resident's signed link of this kind (its token is in the path); a link
    /// that is tampered with, expired or replaced gets the page saying it cannot be used.
    Resident(Link),
    /// Whoever holds a new member of staff's enrolment link, which works once.
    Enrolment,
    /// A partner system with an API token (`Authorization: Bearer bcn_…`).
    ApiToken,
    /// An Open311 client with an Open311 key (`api_key` in the form or the query string; an
    /// alerts token is refused), answered 403 with the spec's error list without one.
    Open311Key,
    /// The SMS gateway, with the callback bearer token configured on both sides.
    Gateway,
    /// Any signed-in member of staff (no session: to the sign-in page). What they may do there
    /// beyond that (their organisation's alerts, each workflow action's permission) the
    /// service checks and audits.
    SignedInStaff,
    /// A signed-in member of staff with the send permission, or an admin (`SenderStaff`).
    Sender,
    /// A signed-in admin: `AdminStaff`, or for a form the service's own check, audited with
    /// what was being changed.
    Admin,
    /// A signed-in member of staff who may read online reports: an operator, a reviewer or an
    /// admin (`ReportStaff`).
    ReportStaff,
    /// A signed-in contact operator, or an admin (`OperatorStaff`).
    Operator,
    /// A signed-in reviewer, or an admin (`ReviewerStaff`).
    Reviewer,
    /// A signed-in Neighbourhood Watch coordinator (`CoordinatorStaff`); the service checks
    /// that the scheme is theirs.
    Coordinator,
}

/// The kinds of signed link residents are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// `/confirm/{token}` in the confirmation email.
    Confirm,
    /// `/manage/{token}…` in every email (`ManageLink`).
    Manage,
    /// `/unsubscribe/{token}` in every email (`UnsubscribeLink`).
    Unsubscribe,
    /// The rating and reply links of one alert to one resident (`/rate/…`, `/reply/…`).
    Alert,
    /// `/reports/{token}…` in a report's receipt (`ReportLink`).
    Report,
    /// `/chat/{token}…`: a resident's own conversation (a live chat, or the thread of their
    /// reply to an alert, from the email answering it). The token is unguessable; a wrong or
    /// expired one gets the page saying the conversation cannot be opened.
    Chat,
    /// `/surveys/{id}/answer/{token}`: the link emailed to someone who gave their address on a
    /// survey's public page (the survey, their address's keyed hash, their district, when it
    /// expires, signed). A wrong or expired one gets "This link cannot be used".
    Survey,
}

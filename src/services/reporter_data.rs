//! A reporter's own data: their reports in their data download and their erasure (through an
//! alerts subscription's manage link), and one report downloaded or erased from its own link,
//! for reporters who have no subscription.

use super::reports::{follow_url, followed, FollowedReport, ReportError};
use super::AppContext;
use crate::domain::mask;
use crate::domain::EmailAddress;
use crate::store::{Report, AUTHOR_REPORTER};

/// One report as its reporter downloads it: everything they told us and what we told them.
fn report_json(ctx: &AppContext, followed: &FollowedReport) -> serde_json::Value {
    let iso = |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|t| t.to_rfc3339());
    let report = &followed.report;
    serde_json::json!({
        "reference": report.reference,
        "kind": followed.kind_name,
        "status": report.status.for_reporter(),
        "crime_reference": report.crime_reference,
        "made_at": iso(report.created_at),
        "where": report.location_text,
        "postcode": report.postcode,
        "when": report.happened_text,
        "what_happened": report.description,
        "people": report.people,
        "vehicles": report.vehicles,
        "answers": serde_json::from_str::<serde_json::Value>(&report.answers).unwrap_or_default(),
        "name": report.reporter_name,
        "email": report.reporter_email,
        "phone": report.reporter_phone,
        "files": followed.files.iter().map(|f| serde_json::json!({
            "name": f.name, "type": f.content_type, "bytes": f.size,
        })).collect::<Vec<_>>(),
        "updates": followed.updates.iter().map(|u| serde_json::json!({
            "at": iso(u.at),
            "from": if u.author == AUTHOR_REPORTER { "you" } else { "the police" },
            "text": u.body,
        })).collect::<Vec<_>>(),
        "link": follow_url(ctx, &report.reference),
    })
}

/// A reporter's reports, for their data download.
pub async fn reporter_data(
    ctx: &AppContext,
    email: &EmailAddress,
) -> Result<Vec<serde_json::Value>, ReportError> {
    let mut out = Vec::new();
    for report in ctx.store.reports_by_email(&email.key()).await? {
        out.push(report_json(ctx, &followed(ctx, report).await?));
    }
    Ok(out)
}

/// One report, as its reporter downloads it from its link.
pub async fn report_data(
    ctx: &AppContext,
    report: Report,
) -> Result<serde_json::Value, ReportError> {
    Ok(report_json(ctx, &followed(ctx, report).await?))
}

/// Erases a reporter's reports with the rest of their data: those that recorded no crime are
/// deleted; from the rest their name, email and phone are removed. How many reports.
pub async fn erase_reporter(ctx: &AppContext, email: &EmailAddress) -> Result<u64, ReportError> {
    let erased = ctx
        .store
        .erase_reporter(&email.key(), chrono::Utc::now().timestamp())
        .await?;
    if erased > 0 {
        tracing::info!(reports = erased, email = %mask::email(email.as_str()), "reporter erased");
    }
    Ok(erased)
}

/// What erasing one report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erased {
    /// The report, its files and updates are gone.
    Deleted,
    /// A crime was recorded: the report is kept, without the reporter's name, email and phone.
    DetailsRemoved,
}

/// Erases one report at its reporter's request, from its own link.
pub async fn erase_report(ctx: &AppContext, report: &Report) -> Result<Erased, ReportError> {
    let deleted = ctx
        .store
        .erase_report(report.id, chrono::Utc::now().timestamp())
        .await?;
    tracing::info!(deleted, "a reporter erased their report");
    Ok(if deleted {
        Erased::Deleted
    } else {
        Erased::DetailsRemoved
    })
}

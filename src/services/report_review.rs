//! The investigation management unit's review of assessed reports: record a crime with its
//! crime reference (in the force's format), allocate to a team or officer, or close with a
//! reason and an explanation to the reporter. A decision stands only if the report is still as
//! the reviewer saw it, so of two reviewers deciding at once one wins. The reporter is told in
//! plain words, as a public update and by email in the decision's transaction; each decision is
//! audited.

use super::report_triage::{staff_text, update_email, TriageError, MAX_NOTE_CHARS};
use super::staff::{audit, Actor};
use super::AppContext;
use crate::domain::report::{ReportStatus, CLOSE_REASONS};
use crate::domain::subscriber::FieldErrors;
use crate::store::ReviewDecision;
use anyhow::Context;

/// The longest "allocated to" (a team or officer).
const MAX_ALLOCATION_CHARS: usize = 100;

/// The review form as it arrives.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReviewInput {
    /// "crime", "allocate" or "close".
    pub outcome: String,
    pub crime_reference: String,
    pub allocated_to: String,
    /// A key of `CLOSE_REASONS`.
    pub close_reason: String,
    /// What the reporter is told (required to close).
    pub explanation: String,
    /// The status the reviewer saw (its slug): the decision stands only if the report is still
    /// in it, so that of two reviewers deciding at once, one wins.
    pub seen: String,
}

/// A checked review decision: the new status, its fields and the update for the reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReview {
    pub status: ReportStatus,
    pub crime_reference: Option<String>,
    pub allocated_to: Option<String>,
    pub close_reason: Option<String>,
    /// The public update, in plain words.
    pub update: String,
}

/// The statuses a review outcome may be taken from.
pub fn review_from(status: ReportStatus) -> &'static [ReportStatus] {
    use ReportStatus::{Allocated, Assessed, Closed, CrimeRecorded};
    match status {
        CrimeRecorded => &[Assessed],
        Allocated => &[Assessed, CrimeRecorded],
        Closed => &[Assessed, CrimeRecorded, Allocated],
        _ => &[],
    }
}

/// The review outcomes (form value, words) a report in `status` may be given.
pub fn review_outcomes(status: ReportStatus) -> Vec<(&'static str, &'static str)> {
    [
        ("crime", "Record a crime", ReportStatus::CrimeRecorded),
        (
            "allocate",
            "Allocate to a team or officer",
            ReportStatus::Allocated,
        ),
        ("close", "Close the report", ReportStatus::Closed),
    ]
    .into_iter()
    .filter(|(_, _, to)| review_from(*to).contains(&status))
    .map(|(value, words, _)| (value, words))
    .collect()
}

/// Checks a review decision against the force's crime reference pattern and the list of
/// reasons to close; every problem at once, by field.
pub fn check_review(ctx: &AppContext, input: &ReviewInput) -> Result<CheckedReview, FieldErrors> {
    let settings = &ctx.settings.reports;
    let mut errors = FieldErrors::default();
    let explanation = input.explanation.trim().to_owned();
    staff_text(
        &mut errors,
        "explanation",
        "explanation",
        &explanation,
        MAX_NOTE_CHARS,
    );
    let checked = match input.outcome.trim() {
        "crime" => {
            let reference = input.crime_reference.trim().to_uppercase();
            if reference.is_empty() {
                errors.add("crime_reference", "Enter the crime reference");
            } else if !settings.crime_reference().is_match(&reference) {
                errors.add(
                    "crime_reference",
                    format!(
                        "Enter the crime reference as the force writes them, for example {}",
                        settings.crime_reference_example
                    ),
                );
            }
            let mut update = format!(
                "A crime has been recorded. Your crime reference is {reference}. Quote it if you \
                 contact us about this report, or if your insurer asks for it."
            );
            if !explanation.is_empty() {
                update = format!("{update}\n\n{explanation}");
            }
            Some(CheckedReview {
                status: ReportStatus::CrimeRecorded,
                crime_reference: Some(reference),
                allocated_to: None,
                close_reason: None,
                update,
            })
        }
        "allocate" => {
            let to = input.allocated_to.split_whitespace().collect::<Vec<_>>();
            let to = to.join(" ");
            if to.is_empty() {
                errors.add("allocated_to", "Enter the team or officer it goes to");
            } else if to.chars().count() > MAX_ALLOCATION_CHARS {
                errors.add(
                    "allocated_to",
                    format!(
                        "The team or officer must be {MAX_ALLOCATION_CHARS} characters or fewer"
                    ),
                );
            }
            let mut update = ReportStatus::Allocated.for_reporter().to_owned();
            if !explanation.is_empty() {
                update = format!("{update}\n\n{explanation}");
            }
            Some(CheckedReview {
                status: ReportStatus::Allocated,
                crime_reference: None,
                allocated_to: Some(to),
                close_reason: None,
                update,
            })
        }
        "close" => {
            let reason = CLOSE_REASONS
                .iter()
                .find(|(key, _)| *key == input.close_reason.trim());
            if reason.is_none() {
                errors.add("close_reason", "Choose why the report is closed");
            }
            if explanation.is_empty() {
                errors.add(
                    "explanation",
                    "Explain to the reporter why their report is closed",
                );
            }
            let words = reason.map_or("", |(_, words)| words);
            Some(CheckedReview {
                status: ReportStatus::Closed,
                crime_reference: None,
                allocated_to: None,
                close_reason: reason.map(|(key, _)| (*key).to_owned()),
                update: format!("Your report is closed: {words}.\n\n{explanation}"),
            })
        }
        _ => {
            errors.add("outcome", "Choose the decision");
            None
        }
    };
    match checked {
        Some(checked) if errors.is_empty() => Ok(checked),
        _ => Err(errors),
    }
}

/// Records a reviewer's decision on a report, if the report is still as the reviewer saw it
/// (else `Changed`: another reviewer decided first). The reporter is told in plain words, as a
/// public update and by email, in the same transaction. Audited.
pub async fn review(
    ctx: &AppContext,
    actor: &Actor<'_>,
    reference: &str,
    input: &ReviewInput,
) -> Result<ReportStatus, TriageError> {
    let staff = actor
        .staff
        .ok_or_else(|| anyhow::anyhow!("a review needs a member of staff"))?;
    let report = ctx
        .store
        .report_by_reference(reference)
        .await?
        .ok_or(TriageError::NotFound)?;
    let checked = check_review(ctx, input).map_err(TriageError::Invalid)?;
    // Only from the status the reviewer saw, and only if this outcome may follow it.
    let seen = ReportStatus::from_slug(input.seen.trim()).unwrap_or(report.status);
    if !review_from(checked.status).contains(&seen) {
        if seen != report.status {
            return Err(TriageError::Changed);
        }
        let mut errors = FieldErrors::default();
        errors.add(
            "outcome",
            format!(
                "A report that is “{}” cannot be given this decision",
                report.status.name()
            ),
        );
        return Err(TriageError::Invalid(errors));
    }
    let from = vec![seen];
    let email = update_email(ctx, &report, &checked.update)?;
    let decision = ReviewDecision {
        report_id: report.id,
        staff_id: staff.id,
        at: chrono::Utc::now().timestamp(),
        from,
        status: checked.status,
        crime_reference: checked.crime_reference.clone(),
        allocated_to: checked.allocated_to.clone(),
        close_reason: checked.close_reason.clone(),
        explanation: checked.update.clone(),
    };
    let recorded = ctx
        .store
        .record_review(&decision, email.as_ref())
        .await
        .context("recording a review decision")?;
    if !recorded {
        return Err(TriageError::Changed);
    }
    let detail = [
        Some(checked.status.name().to_owned()),
        checked.crime_reference,
        checked.allocated_to,
        checked.close_reason,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ");
    audit(
        ctx,
        actor,
        "review-report",
        &report.reference,
        &detail,
        false,
    )
    .await?;
    Ok(checked.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_outcomes_follow_only_from_where_they_may() {
        assert_eq!(
            review_from(ReportStatus::CrimeRecorded),
            [ReportStatus::Assessed]
        );
        assert!(review_from(ReportStatus::Closed).contains(&ReportStatus::Allocated));
        assert!(review_from(ReportStatus::Referred).is_empty());
        let values = |status| -> Vec<&str> {
            review_outcomes(status)
                .into_iter()
                .map(|(v, _)| v)
                .collect()
        };
        assert_eq!(
            values(ReportStatus::Assessed),
            ["crime", "allocate", "close"]
        );
        assert_eq!(values(ReportStatus::CrimeRecorded), ["allocate", "close"]);
        assert!(values(ReportStatus::Closed).is_empty());
    }
}

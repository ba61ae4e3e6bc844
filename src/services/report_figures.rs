//! The managers' figures on online reports: reports made each week by kind, district and
//! status, how long triage (made → assessed) and review (assessed → decided) took, median and
//! 90th percentile against the force's targets, and the reports that missed a target or are
//! waiting past one.

use super::report_triage::{district_names, kinds, name_of};
use super::AppContext;
use crate::domain::report::ReportStatus;
use crate::store::{ReportTiming, Timestamp};
use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};

/// How many weeks the dashboard covers, this one included.
pub const DASHBOARD_WEEKS: i64 = 12;

/// A count under a name (a kind, a district, a status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub name: String,
    pub reports: i64,
}

/// One week's reports, by their status now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// The Monday it starts on, "1 Dec".
    pub starts: String,
    pub reports: i64,
    /// Counts in the order of `ReportStatus::ALL`.
    pub by_status: Vec<i64>,
}

/// How long one step took, over the reports that took it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTimes {
    /// Reports that have taken the step.
    pub count: usize,
    /// Seconds; None if no report has taken it.
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub target_hours: i64,
    /// Reports that took it within the target.
    pub within_target: usize,
}

/// A report that missed a target, or waits past one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub reference: String,
    pub kind_name: String,
    pub district_name: String,
    /// "Assessment" or "Review".
    pub step: &'static str,
    /// Seconds taken, or waited so far.
    pub seconds: i64,
    pub target_hours: i64,
    /// Still waiting (not yet assessed or reviewed).
    pub waiting: bool,
    pub urgent: bool,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Made since this day (a Monday).
    pub since: String,
    pub total: i64,
    pub weeks: Vec<Week>,
    pub by_kind: Vec<Tally>,
    pub by_district: Vec<Tally>,
    pub by_status: Vec<Tally>,
    pub triage: StepTimes,
    pub review: StepTimes,
    /// Worst first.
    pub breaches: Vec<Breach>,
}

pub use crate::domain::conversation::figures::percentile;

fn step_times(mut seconds: Vec<i64>, target_hours: i64) -> StepTimes {
    seconds.sort_unstable();
    StepTimes {
        count: seconds.len(),
        median: percentile(&seconds, 0.5),
        p90: percentile(&seconds, 0.9),
        target_hours,
        within_target: seconds
            .iter()
            .filter(|s| **s <= target_hours * 3600)
            .count(),
    }
}

fn tally(tallies: &mut Vec<Tally>, name: String) {
    match tallies.iter_mut().find(|t| t.name == name) {
        Some(t) => t.reports += 1,
        None => tallies.push(Tally { name, reports: 1 }),
    }
}

/// The first Monday the dashboard covers, `DASHBOARD_WEEKS` weeks back from `today`.
pub fn first_monday(today: NaiveDate) -> NaiveDate {
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    this_monday - Duration::weeks(DASHBOARD_WEEKS - 1)
}

/// The day (in the UK) a time falls on.
fn uk_day(at: Timestamp) -> NaiveDate {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

/// The figures for `timings` (reports made since `first`, a Monday) at `now`; `kinds` and
/// `districts` are (code, name).
#[allow(clippy::too_many_arguments)]
pub fn figures(
    timings: &[ReportTiming],
    first: NaiveDate,
    now: Timestamp,
    triage_target_hours: i64,
    review_target_hours: i64,
    kinds: &[(String, String)],
    districts: &[(String, String)],
) -> Figures {
    let mut weeks: Vec<Week> = (0..DASHBOARD_WEEKS)
        .map(|i| Week {
            starts: (first + Duration::weeks(i)).format("%-d %b").to_string(),
            reports: 0,
            by_status: vec![0; ReportStatus::ALL.len()],
        })
        .collect();
    let mut by_kind = Vec::new();
    let mut by_district = Vec::new();
    let mut by_status = Vec::new();
    let (mut triage, mut review, mut breaches) = (Vec::new(), Vec::new(), Vec::new());
    for t in timings {
        let week = (uk_day(t.created_at) - first).num_days().div_euclid(7);
        let status_index = ReportStatus::ALL
            .iter()
            .position(|s| *s == t.status)
            .unwrap_or(0);
        if let Some(w) = usize::try_from(week).ok().and_then(|w| weeks.get_mut(w)) {
            w.reports += 1;
            w.by_status[status_index] += 1;
        }
        let kind_name = name_of(kinds, Some(&t.service_code), "Unknown kind");
        let district_name = name_of(districts, t.district_code.as_deref(), "Not known");
        tally(&mut by_kind, kind_name.clone());
        tally(&mut by_district, district_name.clone());
        tally(&mut by_status, t.status.name().to_owned());
        let mut breach = |step, seconds: i64, target_hours: i64, waiting| {
            if seconds > target_hours * 3600 {
                breaches.push(Breach {
                    reference: t.reference.clone(),
                    kind_name: kind_name.clone(),
                    district_name: district_name.clone(),
                    step,
                    seconds,
                    target_hours,
                    waiting,
                    urgent: t.urgent,
                });
            }
        };
        match t.assessed_at {
            Some(assessed) => {
                let took = (assessed - t.created_at).max(0);
                triage.push(took);
                breach("Assessment", took, triage_target_hours, false);
            }
            None if t.status == ReportStatus::Received => {
                breach("Assessment", now - t.created_at, triage_target_hours, true);
            }
            None => {}
        }
        match (t.assessed_at, t.reviewed_at) {
            (Some(assessed), Some(reviewed)) => {
                let took = (reviewed - assessed).max(0);
                review.push(took);
                breach("Review", took, review_target_hours, false);
            }
            (Some(assessed), None) if t.status == ReportStatus::Assessed => {
                breach("Review", now - assessed, review_target_hours, true);
            }
            _ => {}
        }
    }
    for tallies in [&mut by_kind, &mut by_district] {
        tallies.sort_by(|a, b| b.reports.cmp(&a.reports).then(a.name.cmp(&b.name)));
    }
    by_status.sort_by_key(|t| {
        ReportStatus::ALL
            .iter()
            .position(|s| s.name() == t.name)
            .unwrap_or(usize::MAX)
    });
    // Waiting ones first (they can still be helped), then the longest over.
    breaches.sort_by(|a, b| {
        b.waiting
            .cmp(&a.waiting)
            .then((b.seconds - b.target_hours * 3600).cmp(&(a.seconds - a.target_hours * 3600)))
    });
    Figures {
        since: first.format("%-d %B %Y").to_string(),
        total: timings.len() as i64,
        weeks,
        by_kind,
        by_district,
        by_status,
        triage: step_times(triage, triage_target_hours),
        review: step_times(review, review_target_hours),
        breaches,
    }
}

/// The dashboard's figures, now.
pub async fn dashboard(ctx: &AppContext) -> anyhow::Result<Figures> {
    let now = chrono::Utc::now();
    let first = first_monday(now.with_timezone(&chrono_tz::Europe::London).date_naive());
    let since = chrono_tz::Europe::London
        .from_local_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(0, |t| t.timestamp());
    let timings = ctx
        .store
        .report_timings(since)
        .await
        .context("reading report timings")?;
    let kinds: Vec<(String, String)> = kinds(ctx)
        .await?
        .into_iter()
        .map(|k| (k.code, k.name))
        .collect();
    let districts = district_names(ctx).await?;
    let settings = &ctx.settings.reports;
    Ok(figures(
        &timings,
        first,
        now.timestamp(),
        settings.triage_target_hours,
        settings.review_target_hours,
        &kinds,
        &districts,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(
        id: i64,
        created: Timestamp,
        assessed: Option<Timestamp>,
        reviewed: Option<Timestamp>,
        status: ReportStatus,
    ) -> ReportTiming {
        ReportTiming {
            id,
            reference: format!("RPT-{id}"),
            service_code: "theft".into(),
            district_code: Some("E07000011".into()),
            status,
            urgent: false,
            created_at: created,
            assessed_at: assessed,
            reviewed_at: reviewed,
        }
    }

    #[test]
    fn figures_count_weeks_times_and_breaches() {
        let first = NaiveDate::from_ymd_opt(2026, 9, 21).unwrap();
        let monday = chrono::Utc
            .from_utc_datetime(&first.and_hms_opt(12, 0, 0).unwrap())
            .timestamp();
        let hour = 3600;
        let now = monday + 12 * 7 * 24 * hour - hour;
        let timings = [
            // Assessed in 10 hours, reviewed 20 hours later.
            timing(
                1,
                monday,
                Some(monday + 10 * hour),
                Some(monday + 30 * hour),
                ReportStatus::CrimeRecorded,
            ),
            // Assessed in 50 hours: late; waiting for review far past its target.
            timing(
                2,
                monday + 7 * 24 * hour,
                Some(monday + 7 * 24 * hour + 50 * hour),
                None,
                ReportStatus::Assessed,
            ),
            // Still waiting for assessment, well past 48 hours.
            timing(
                3,
                monday + 8 * 24 * hour,
                None,
                None,
                ReportStatus::Received,
            ),
        ];
        let kinds = [("theft".to_owned(), "Theft".to_owned())];
        let districts = [("E07000011".to_owned(), "Huntingdonshire".to_owned())];
        let f = figures(&timings, first, now, 48, 120, &kinds, &districts);
        assert_eq!(f.total, 3);
        assert_eq!(f.weeks[0].reports, 1);
        assert_eq!(f.weeks[1].reports, 2);
        assert_eq!(f.weeks[0].starts, "21 Sep");
        assert_eq!(
            f.by_kind,
            [Tally {
                name: "Theft".into(),
                reports: 3
            }]
        );
        assert_eq!(f.by_district[0].name, "Huntingdonshire");
        assert_eq!(f.by_status[0].name, "Waiting for assessment");
        assert_eq!(f.triage.count, 2);
        assert_eq!(f.triage.median, Some(10 * hour));
        assert_eq!(f.triage.p90, Some(50 * hour));
        assert_eq!(f.triage.within_target, 1);
        assert_eq!(f.review.median, Some(20 * hour));
        let breaches: Vec<_> = f
            .breaches
            .iter()
            .map(|b| (b.reference.as_str(), b.step, b.waiting))
            .collect();
        assert_eq!(
            breaches,
            [
                ("RPT-3", "Assessment", true),
                ("RPT-2", "Review", true),
                ("RPT-2", "Assessment", false),
            ]
        );
    }
}

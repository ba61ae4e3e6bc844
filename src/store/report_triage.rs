//! Triage and review of online reports: contact operators' THRIVE assessments, duplicates they
//! link, reviewers' decisions (a crime and its reference, an allocation, a closure), and the
//! times each step took, for managers.

use super::{NewOutbound, Report, StoreResult, Timestamp};
use crate::domain::report::ReportStatus;
use async_trait::async_trait;

/// An operator's assessment to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAssessment {
    pub report_id: i64,
    pub staff_id: i64,
    pub at: Timestamp,
    /// Each THRIVE dimension's level and note, as JSON.
    pub thrive: String,
    /// `domain::report::Decision`, as JSON.
    pub decision: String,
    /// Whether the report is urgent, as the operator judged.
    pub urgent: bool,
    pub note: String,
    /// The status the report moves to.
    pub status: ReportStatus,
    /// What the reporter is told, if anything (stored as a public update).
    pub reporter_update: Option<String>,
    pub form_nonce: String,
}

/// A stored assessment, with its operator's name.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Assessment {
    pub id: i64,
    pub report_id: i64,
    pub staff_id: i64,
    pub staff_name: String,
    pub at: Timestamp,
    pub thrive: String,
    pub decision: String,
    pub urgent: bool,
    pub note: String,
}

/// A reviewer's decision to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecision {
    pub report_id: i64,
    pub staff_id: i64,
    pub at: Timestamp,
    /// Only if the report is in one of these statuses (two reviewers deciding at once: one wins).
    pub from: Vec<ReportStatus>,
    pub status: ReportStatus,
    pub crime_reference: Option<String>,
    pub allocated_to: Option<String>,
    pub close_reason: Option<String>,
    /// What the reporter is told (a public update).
    pub explanation: String,
}

/// When a report was made, assessed and reviewed, for managers' figures.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportTiming {
    pub id: i64,
    pub reference: String,
    pub service_code: String,
    pub district_code: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: ReportStatus,
    pub urgent: bool,
    pub created_at: Timestamp,
    pub assessed_at: Option<Timestamp>,
    pub reviewed_at: Option<Timestamp>,
}

#[async_trait]
pub trait ReportTriage: Send + Sync {
    /// Stores an assessment, moves the report to its status (recording when it was first
    /// assessed) and stores the reporter's update and its email, in one transaction. None if the
    /// form was sent before.
    async fn record_assessment(
        &self,
        assessment: &NewAssessment,
        message: Option<&NewOutbound>,
    ) -> StoreResult<Option<i64>>;
    /// A report's assessments, oldest first.
    async fn assessments(&self, report_id: i64) -> StoreResult<Vec<Assessment>>;
    /// Reports of the same kind within `radius_m` metres of a point made between `since` and
    /// `until`, other than `except`, nearest first.
    #[allow(clippy::too_many_arguments)]
    async fn nearby_reports(
        &self,
        service_code: &str,
        easting: i64,
        northing: i64,
        radius_m: i64,
        since: Timestamp,
        until: Timestamp,
        except: i64,
    ) -> StoreResult<Vec<Report>>;
    /// Links two reports as possible duplicates; false if they already were.
    async fn link_reports(&self, a: i64, b: i64, staff_id: i64, at: Timestamp)
        -> StoreResult<bool>;
    /// The reports linked to one.
    async fn linked_reports(&self, report_id: i64) -> StoreResult<Vec<Report>>;
    /// Records a review decision and its update and email in one transaction; false (nothing
    /// stored) if the report was no longer in one of `decision.from`.
    async fn record_review(
        &self,
        decision: &ReviewDecision,
        message: Option<&NewOutbound>,
    ) -> StoreResult<bool>;
    /// Timings of reports made at or after `since`, oldest first.
    async fn report_timings(&self, since: Timestamp) -> StoreResult<Vec<ReportTiming>>;
}

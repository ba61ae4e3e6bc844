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
    /// assessed) and stores the reporter's update and its email, in one transaction; a report a
    /// reviewer has decided on (crime recorded, allocated, closed) keeps its status, and its
    /// reporter is sent nothing. None if the form was sent before.
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

/// Implements `ReportTriage` for a backend's store with the SQL both backends share.
macro_rules! impl_report_triage {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ReportTriage for $store {
            async fn record_assessment(
                &self,
                assessment: &$crate::store::NewAssessment,
                message: Option<&$crate::store::NewOutbound>,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let mut tx = self.pool.begin().await?;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO report_assessments (report_id, staff_id, at, thrive, decision, \
                     urgent, note, form_nonce) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (form_nonce) DO NOTHING RETURNING id",
                )
                .bind(assessment.report_id)
                .bind(assessment.staff_id)
                .bind(assessment.at)
                .bind(&assessment.thrive)
                .bind(&assessment.decision)
                .bind(assessment.urgent)
                .bind(&assessment.note)
                .bind(&assessment.form_nonce)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    return Ok(None);
                };
                // A reviewer's decision stands: an assessment made after it (or at the same
                // moment) is kept, but does not move the report back.
                let status: String = sqlx::query_scalar(
                    "UPDATE reports SET status = CASE WHEN status IN \
                     ('crime-recorded', 'allocated', 'closed') THEN status ELSE $2 END, \
                     urgent = $3, updated_at = $4, assessed_at = COALESCE(assessed_at, $4) \
                     WHERE id = $1 RETURNING status",
                )
                .bind(assessment.report_id)
                .bind(assessment.status.slug())
                .bind(assessment.urgent)
                .bind(assessment.at)
                .fetch_one(&mut *tx)
                .await?;
                let moved = status == assessment.status.slug();
                let update = $crate::store::NewReportUpdate {
                    report_id: assessment.report_id,
                    at: assessment.at,
                    author: $crate::store::AUTHOR_STAFF.into(),
                    staff_id: Some(assessment.staff_id),
                    status: moved.then_some(assessment.status),
                    body: assessment.reporter_update.clone().unwrap_or_default(),
                    public: assessment.reporter_update.is_some(),
                    form_nonce: None,
                    urgent_words: None,
                };
                Self::insert_report_update(&mut tx, &update).await?;
                if let Some(message) = message.filter(|_| moved) {
                    Self::enqueue_in(&mut tx, message, assessment.at).await?;
                }
                tx.commit().await?;
                Ok(Some(id))
            }

            async fn assessments(
                &self,
                report_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Assessment>> {
                Ok(sqlx::query_as(
                    "SELECT a.id, a.report_id, a.staff_id, s.name AS staff_name, a.at, a.thrive, \
                     a.decision, a.urgent, a.note FROM report_assessments a \
                     JOIN staff s ON s.id = a.staff_id WHERE a.report_id = $1 \
                     ORDER BY a.at, a.id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn nearby_reports(
                &self,
                service_code: &str,
                easting: i64,
                northing: i64,
                radius_m: i64,
                since: $crate::store::Timestamp,
                until: $crate::store::Timestamp,
                except: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Report>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} FROM reports r WHERE r.service_code = $1 \
                     AND r.easting BETWEEN $2 - $4 AND $2 + $4 \
                     AND r.northing BETWEEN $3 - $4 AND $3 + $4 \
                     AND (r.easting - $2) * (r.easting - $2) + (r.northing - $3) * (r.northing - $3) \
                         <= $4 * $4 \
                     AND r.created_at >= $5 AND r.created_at <= $6 AND r.id <> $7 \
                     ORDER BY (r.easting - $2) * (r.easting - $2) \
                         + (r.northing - $3) * (r.northing - $3), r.id LIMIT 50",
                    $crate::store::reports::REPORT_COLUMNS
                ))
                .bind(service_code)
                .bind(easting)
                .bind(northing)
                .bind(radius_m)
                .bind(since)
                .bind(until)
                .bind(except)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn link_reports(
                &self,
                a: i64,
                b: i64,
                staff_id: i64,
                at: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                if a == b {
                    return Ok(false);
                }
                let (low, high) = (a.min(b), a.max(b));
                Ok(sqlx::query(
                    "INSERT INTO report_links (report_id, other_id, staff_id, at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (report_id, other_id) DO NOTHING",
                )
                .bind(low)
                .bind(high)
                .bind(staff_id)
                .bind(at)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1)
            }

            async fn linked_reports(
                &self,
                report_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Report>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} FROM reports r WHERE r.id IN ( \
                     SELECT other_id FROM report_links WHERE report_id = $1 \
                     UNION SELECT report_id FROM report_links WHERE other_id = $1) \
                     ORDER BY r.created_at, r.id",
                    $crate::store::reports::REPORT_COLUMNS
                ))
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_review(
                &self,
                decision: &$crate::store::ReviewDecision,
                message: Option<&$crate::store::NewOutbound>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let from: Vec<String> = decision.from.iter().map(|s| s.slug().to_owned()).collect();
                let marks: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 7)).collect();
                let sql = format!(
                    "UPDATE reports SET status = $2, crime_reference = COALESCE($3, crime_reference), \
                     allocated_to = COALESCE($4, allocated_to), close_reason = $5, updated_at = $6, \
                     reviewed_at = COALESCE(reviewed_at, $6) WHERE id = $1 \
                     AND status IN ({})",
                    if marks.is_empty() { "NULL".to_owned() } else { marks.join(", ") }
                );
                let mut query = sqlx::query(&sql)
                    .bind(decision.report_id)
                    .bind(decision.status.slug())
                    .bind(&decision.crime_reference)
                    .bind(&decision.allocated_to)
                    .bind(&decision.close_reason)
                    .bind(decision.at);
                for status in &from {
                    query = query.bind(status);
                }
                if query.execute(&mut *tx).await?.rows_affected() != 1 {
                    return Ok(false);
                }
                let update = $crate::store::NewReportUpdate {
                    report_id: decision.report_id,
                    at: decision.at,
                    author: $crate::store::AUTHOR_STAFF.into(),
                    staff_id: Some(decision.staff_id),
                    status: Some(decision.status),
                    body: decision.explanation.clone(),
                    public: true,
                    form_nonce: None,
                    urgent_words: None,
                };
                Self::insert_report_update(&mut tx, &update).await?;
                if let Some(message) = message {
                    Self::enqueue_in(&mut tx, message, decision.at).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn report_timings(
                &self,
                since: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ReportTiming>> {
                Ok(sqlx::query_as(
                    "SELECT id, reference, service_code, district_code, status, urgent, \
                     created_at, assessed_at, reviewed_at FROM reports WHERE created_at >= $1 \
                     ORDER BY created_at, id",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

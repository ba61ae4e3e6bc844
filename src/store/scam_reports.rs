//! Scam reports: messages residents chose to share with the police from the scam checker, with
//! what the checker made of them, counted by kind, district and day for the staff's Reported
//! scams page.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

/// A shared message to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScamReport {
    pub text: String,
    /// `scams::Channel` slug, if the resident said how it reached them.
    pub channel: Option<String>,
    /// `scams::Verdict` slug.
    pub verdict: String,
    /// `scams::ScamKind` slug, if one was named.
    pub kind: Option<String>,
    pub confidence: f64,
    /// The ONS district of the postcode they gave.
    pub district_code: Option<String>,
    pub name: Option<String>,
    pub reported_at: Timestamp,
    /// The UK date of `reported_at`, YYYY-MM-DD.
    pub reported_on: String,
    /// The share form's one-time value: a second report with it stores nothing.
    pub form_nonce: String,
}

/// A stored report, as staff read it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ScamReport {
    pub id: i64,
    pub text: String,
    pub channel: Option<String>,
    pub verdict: String,
    pub kind: Option<String>,
    pub confidence: f64,
    pub district_code: Option<String>,
    pub name: Option<String>,
    pub reported_at: Timestamp,
}

/// How many reports of one kind (or none) from one district (or none) were shared on one day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScamReportCount {
    /// YYYY-MM-DD, a UK date.
    pub reported_on: String,
    pub kind: Option<String>,
    pub district_code: Option<String>,
    pub reports: i64,
}

#[async_trait]
pub trait ScamReports: Send + Sync {
    /// Stores a shared message; false (and nothing stored) if its form was sent before.
    async fn record_scam_report(&self, report: &NewScamReport) -> StoreResult<bool>;
    /// Reports per UK day, kind and district, from the day `since` (YYYY-MM-DD) on, oldest day
    /// first.
    async fn scam_report_counts(&self, since: &str) -> StoreResult<Vec<ScamReportCount>>;
    /// The newest `limit` reports, newest first.
    async fn newest_scam_reports(&self, limit: i64) -> StoreResult<Vec<ScamReport>>;
    /// Deletes reports shared before `before`; how many.
    async fn purge_scam_reports(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Implements `ScamReports` for a backend's store with the SQL both backends share.
macro_rules! impl_scam_reports {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ScamReports for $store {
            async fn record_scam_report(
                &self,
                report: &$crate::store::NewScamReport,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO scam_reports (text, channel, verdict, kind, confidence, \
                     district_code, name, reported_at, reported_on, form_nonce) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (form_nonce) DO NOTHING",
                )
                .bind(&report.text)
                .bind(&report.channel)
                .bind(&report.verdict)
                .bind(&report.kind)
                .bind(report.confidence)
                .bind(&report.district_code)
                .bind(&report.name)
                .bind(report.reported_at)
                .bind(&report.reported_on)
                .bind(&report.form_nonce)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn scam_report_counts(
                &self,
                since: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ScamReportCount>> {
                Ok(sqlx::query_as(
                    "SELECT reported_on, kind, district_code, COUNT(*) AS reports \
                     FROM scam_reports WHERE reported_on >= $1 \
                     GROUP BY reported_on, kind, district_code \
                     ORDER BY reported_on, kind, district_code",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn newest_scam_reports(
                &self,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ScamReport>> {
                Ok(sqlx::query_as(
                    "SELECT id, text, channel, verdict, kind, confidence, district_code, name, \
                     reported_at FROM scam_reports ORDER BY reported_at DESC, id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn purge_scam_reports(
                &self,
                before: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM scam_reports WHERE reported_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}

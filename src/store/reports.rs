//! Online reports: the kinds of report (service definitions), reports with their files and
//! updates, as residents make and follow them and as Open311 clients read them. Triage and review
//! are `ReportTriage` (`report_triage.rs`).

use super::{NewOutbound, StoreResult, Timestamp};
use crate::domain::report::ReportStatus;
use async_trait::async_trait;

/// A kind of report as stored: its definition (`domain::report::ServiceDefinition` as JSON).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredService {
    pub code: String,
    pub definition: String,
    pub position: i64,
    pub active: bool,
}

/// A report to store, as the resident (or an Open311 client) sent it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewReport {
    /// The receipt code ("RPT-7KQ4-M2XP").
    pub reference: String,
    pub service_code: String,
    pub urgent: bool,
    /// The urgent phrases found, comma separated.
    pub urgent_words: String,
    pub description: String,
    pub happened_text: String,
    pub happened_at: Option<Timestamp>,
    pub location_text: String,
    pub postcode: Option<String>,
    pub easting: Option<i64>,
    pub northing: Option<i64>,
    pub district_code: Option<String>,
    pub people: String,
    pub vehicles: String,
    /// The kind's own questions: code → answer, as JSON.
    pub answers: String,
    pub anonymous: bool,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    /// "web" or "open311".
    pub source: String,
    pub api_token_id: Option<i64>,
    pub form_nonce: String,
    pub created_at: Timestamp,
}

/// A file to store with a report or an update: already checked, metadata removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReportFile {
    pub name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Report {
    pub id: i64,
    pub reference: String,
    pub service_code: String,
    #[sqlx(try_from = "String")]
    pub status: ReportStatus,
    pub urgent: bool,
    pub urgent_words: String,
    pub description: String,
    pub happened_text: String,
    pub happened_at: Option<Timestamp>,
    pub location_text: String,
    pub postcode: Option<String>,
    pub easting: Option<i64>,
    pub northing: Option<i64>,
    pub district_code: Option<String>,
    pub people: String,
    pub vehicles: String,
    pub answers: String,
    pub anonymous: bool,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub source: String,
    pub api_token_id: Option<i64>,
    pub crime_reference: Option<String>,
    pub allocated_to: Option<String>,
    pub close_reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub assessed_at: Option<Timestamp>,
    pub reviewed_at: Option<Timestamp>,
}

/// A stored file, without its content.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportFileMeta {
    pub id: i64,
    pub report_id: i64,
    pub update_id: Option<i64>,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: Timestamp,
}

/// A stored file with its content.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportFile {
    pub id: i64,
    pub report_id: i64,
    pub name: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Who wrote an update.
pub const AUTHOR_REPORTER: &str = "reporter";
pub const AUTHOR_STAFF: &str = "staff";
pub const AUTHOR_SYSTEM: &str = "system";

/// Something added to a report: information from the reporter, a message or internal note from
/// staff, or a change of status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewReportUpdate {
    pub report_id: i64,
    pub at: Timestamp,
    /// `AUTHOR_REPORTER`, `AUTHOR_STAFF` or `AUTHOR_SYSTEM`.
    pub author: String,
    pub staff_id: Option<i64>,
    /// The status the report moves to, if it moves.
    pub status: Option<ReportStatus>,
    pub body: String,
    /// Shown to the reporter.
    pub public: bool,
    /// For what the reporter adds: the same form sent twice is stored once.
    pub form_nonce: Option<String>,
}

/// A stored update, with the name of the member of staff who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportUpdate {
    pub id: i64,
    pub report_id: i64,
    pub at: Timestamp,
    pub author: String,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub status: Option<String>,
    pub body: String,
    pub public: bool,
}

/// In what order a list of reports comes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReportOrder {
    /// Urgent first, then oldest first: the operator's queue.
    #[default]
    Queue,
    /// Newest first.
    Newest,
}

/// Which reports to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportFilter {
    /// Any of these statuses; all if empty.
    pub statuses: Vec<ReportStatus>,
    /// Any of these kinds; all if empty.
    pub service_codes: Vec<String>,
    /// None of these kinds (the sensitive ones, for Open311).
    pub excluded_service_codes: Vec<String>,
    pub district_code: Option<String>,
    /// Made at or after, and before.
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// Leave out anonymous reports.
    pub named_only: bool,
    /// These references only, if any (Open311's `service_request_id=a,b`).
    pub references: Vec<String>,
    pub order: ReportOrder,
    pub limit: i64,
}

#[async_trait]
pub trait Reports: Send + Sync {
    /// Every kind of report, active or not, in order.
    async fn report_services(&self) -> StoreResult<Vec<StoredService>>;
    /// Stores the kinds that are not stored yet (by code); how many.
    async fn seed_report_services(
        &self,
        services: &[StoredService],
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Adds or replaces a kind of report.
    async fn save_report_service(&self, service: &StoredService, now: Timestamp)
        -> StoreResult<()>;
    /// Stores a report, its files and the receipt to send in one transaction. The id, and true
    /// if it is new; false (and nothing stored) if its form was sent before, with the id of the
    /// report that form made.
    async fn create_report(
        &self,
        report: &NewReport,
        files: &[NewReportFile],
        receipt: Option<&NewOutbound>,
    ) -> StoreResult<(i64, bool)>;
    async fn report(&self, id: i64) -> StoreResult<Option<Report>>;
    async fn report_by_reference(&self, reference: &str) -> StoreResult<Option<Report>>;
    /// Reports matching a filter.
    async fn find_reports(&self, filter: &ReportFilter) -> StoreResult<Vec<Report>>;
    async fn report_files(&self, report_id: i64) -> StoreResult<Vec<ReportFileMeta>>;
    async fn report_file(&self, report_id: i64, file_id: i64) -> StoreResult<Option<ReportFile>>;
    /// Adds an update (moving the report to its status, if it has one), its files and the email
    /// that tells the reporter, in one transaction. None (nothing stored) if its form was sent
    /// before.
    async fn add_report_update(
        &self,
        update: &NewReportUpdate,
        files: &[NewReportFile],
        message: Option<&NewOutbound>,
    ) -> StoreResult<Option<i64>>;
    /// A report's updates, oldest first.
    async fn report_updates(&self, report_id: i64) -> StoreResult<Vec<ReportUpdate>>;
    /// The reports made with this email address (`EmailAddress::key()`, lower case), newest
    /// first.
    async fn reports_by_email(&self, email_key: &str) -> StoreResult<Vec<Report>>;
    /// Erases a reporter: deletes their reports that recorded no crime, and removes their name,
    /// email and phone from the rest (kept for the force's retention period). How many reports.
    async fn erase_reporter(&self, email_key: &str, now: Timestamp) -> StoreResult<u64>;
    /// Deletes reports last changed before `before` that are finished (referred, information,
    /// closed); how many.
    async fn purge_reports(&self, before: Timestamp) -> StoreResult<u64>;
}

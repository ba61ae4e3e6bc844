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
    /// Urgent words found in what the reporter added: the report is marked urgent, with them.
    pub urgent_words: Option<String>,
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
    /// Erases one report at its reporter's request: deleted if it recorded no crime (true),
    /// otherwise kept without the reporter's name, email and phone (false).
    async fn erase_report(&self, id: i64, now: Timestamp) -> StoreResult<bool>;
    /// Deletes reports last changed before `before` that are finished (referred, information,
    /// closed); how many.
    async fn purge_reports(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The columns of `Report`, in its order, from `reports r`.
pub(crate) const REPORT_COLUMNS: &str =
    "r.id, r.reference, r.service_code, r.status, r.urgent, r.urgent_words, r.description, \
     r.happened_text, r.happened_at, r.location_text, r.postcode, r.easting, r.northing, \
     r.district_code, r.people, r.vehicles, r.answers, r.anonymous, r.reporter_name, \
     r.reporter_email, r.reporter_phone, r.source, r.api_token_id, r.crime_reference, \
     r.allocated_to, r.close_reason, r.created_at, r.updated_at, r.assessed_at, r.reviewed_at";

/// Implements `Reports` for a backend's store with the SQL both backends share.
macro_rules! impl_reports {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Stores files of a report (and of one of its updates) in a transaction.
            async fn insert_report_files(
                tx: &mut sqlx::Transaction<'static, $db>,
                report_id: i64,
                update_id: Option<i64>,
                files: &[$crate::store::NewReportFile],
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                for file in files {
                    sqlx::query(
                        "INSERT INTO report_files (report_id, update_id, name, content_type, \
                         size, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(report_id)
                    .bind(update_id)
                    .bind(&file.name)
                    .bind(&file.content_type)
                    .bind(i64::try_from(file.content.len()).unwrap_or(i64::MAX))
                    .bind(&file.content)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }

            /// Records an update in a transaction, moving the report to its status; None if its
            /// form was sent before.
            async fn insert_report_update(
                tx: &mut sqlx::Transaction<'static, $db>,
                update: &$crate::store::NewReportUpdate,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO report_updates (report_id, at, author, staff_id, status, body, \
                     public, form_nonce) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (form_nonce) DO NOTHING RETURNING id",
                )
                .bind(update.report_id)
                .bind(update.at)
                .bind(&update.author)
                .bind(update.staff_id)
                .bind(update.status.map(|s| s.slug()))
                .bind(&update.body)
                .bind(update.public)
                .bind(&update.form_nonce)
                .fetch_optional(&mut **tx)
                .await?;
                if id.is_some() {
                    sqlx::query(
                        "UPDATE reports SET status = COALESCE($2, status), updated_at = $3 \
                         WHERE id = $1",
                    )
                    .bind(update.report_id)
                    .bind(update.status.map(|s| s.slug()))
                    .bind(update.at)
                    .execute(&mut **tx)
                    .await?;
                    if let Some(words) = &update.urgent_words {
                        sqlx::query(
                            "UPDATE reports SET urgent = $2, urgent_words = CASE \
                             WHEN urgent_words = '' THEN $3 ELSE urgent_words || ', ' || $3 END \
                             WHERE id = $1",
                        )
                        .bind(update.report_id)
                        .bind(true)
                        .bind(words)
                        .execute(&mut **tx)
                        .await?;
                    }
                }
                Ok(id)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Reports for $store {
            async fn report_services(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StoredService>> {
                Ok(sqlx::query_as(
                    "SELECT code, definition, position, active FROM report_services \
                     ORDER BY position, code",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn seed_report_services(
                &self,
                services: &[$crate::store::StoredService],
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
                let mut added = 0;
                for service in services {
                    added += sqlx::query(
                        "INSERT INTO report_services (code, definition, position, active, \
                         updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING",
                    )
                    .bind(&service.code)
                    .bind(&service.definition)
                    .bind(service.position)
                    .bind(service.active)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn save_report_service(
                &self,
                service: &$crate::store::StoredService,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO report_services (code, definition, position, active, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO UPDATE SET \
                     definition = excluded.definition, position = excluded.position, \
                     active = excluded.active, updated_at = excluded.updated_at",
                )
                .bind(&service.code)
                .bind(&service.definition)
                .bind(service.position)
                .bind(service.active)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_report(
                &self,
                report: &$crate::store::NewReport,
                files: &[$crate::store::NewReportFile],
                receipt: Option<&$crate::store::NewOutbound>,
            ) -> $crate::store::StoreResult<(i64, bool)> {
                let mut tx = self.pool.begin().await?;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO reports (reference, service_code, status, urgent, urgent_words, \
                     description, happened_text, happened_at, location_text, postcode, easting, \
                     northing, district_code, people, vehicles, answers, anonymous, \
                     reporter_name, reporter_email, reporter_phone, source, api_token_id, \
                     form_nonce, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                     $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
                     $24, $24) ON CONFLICT (form_nonce) DO NOTHING RETURNING id",
                )
                .bind(&report.reference)
                .bind(&report.service_code)
                .bind($crate::domain::report::ReportStatus::Received.slug())
                .bind(report.urgent)
                .bind(&report.urgent_words)
                .bind(&report.description)
                .bind(&report.happened_text)
                .bind(report.happened_at)
                .bind(&report.location_text)
                .bind(&report.postcode)
                .bind(report.easting)
                .bind(report.northing)
                .bind(&report.district_code)
                .bind(&report.people)
                .bind(&report.vehicles)
                .bind(&report.answers)
                .bind(report.anonymous)
                .bind(&report.reporter_name)
                .bind(&report.reporter_email)
                .bind(&report.reporter_phone)
                .bind(&report.source)
                .bind(report.api_token_id)
                .bind(&report.form_nonce)
                .bind(report.created_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = id else {
                    drop(tx);
                    let id: i64 = sqlx::query_scalar("SELECT id FROM reports WHERE form_nonce = $1")
                        .bind(&report.form_nonce)
                        .fetch_one(&self.pool)
                        .await?;
                    return Ok((id, false));
                };
                Self::insert_report_files(&mut tx, id, None, files, report.created_at).await?;
                if let Some(receipt) = receipt {
                    Self::enqueue_in(&mut tx, receipt, report.created_at).await?;
                }
                tx.commit().await?;
                Ok((id, true))
            }

            async fn report(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Report>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} FROM reports r WHERE r.id = $1",
                    $crate::store::reports::REPORT_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn report_by_reference(
                &self,
                reference: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Report>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} FROM reports r WHERE r.reference = $1",
                    $crate::store::reports::REPORT_COLUMNS
                ))
                .bind(reference)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn find_reports(
                &self,
                filter: &$crate::store::ReportFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Report>> {
                let mut sql = format!(
                    "SELECT {} FROM reports r WHERE 1 = 1",
                    $crate::store::reports::REPORT_COLUMNS
                );
                let mut binds: Vec<String> = Vec::new();
                let mut list = |sql: &mut String, column: &str, values: Vec<String>, not: bool| {
                    if values.is_empty() {
                        return;
                    }
                    let start = binds.len();
                    let marks: Vec<String> =
                        (0..values.len()).map(|i| format!("${}", start + i + 1)).collect();
                    binds.extend(values);
                    sql.push_str(&format!(
                        " AND {column} {}IN ({})",
                        if not { "NOT " } else { "" },
                        marks.join(", ")
                    ));
                };
                list(
                    &mut sql,
                    "r.status",
                    filter.statuses.iter().map(|s| s.slug().to_owned()).collect(),
                    false,
                );
                list(&mut sql, "r.service_code", filter.service_codes.clone(), false);
                list(
                    &mut sql,
                    "r.service_code",
                    filter.excluded_service_codes.clone(),
                    true,
                );
                list(&mut sql, "r.reference", filter.references.clone(), false);
                if let Some(district) = &filter.district_code {
                    binds.push(district.clone());
                    sql.push_str(&format!(" AND r.district_code = ${}", binds.len()));
                }
                if let Some(since) = filter.since {
                    sql.push_str(&format!(" AND r.created_at >= {since}"));
                }
                if let Some(until) = filter.until {
                    sql.push_str(&format!(" AND r.created_at < {until}"));
                }
                if filter.named_only {
                    sql.push_str(" AND NOT r.anonymous");
                }
                sql.push_str(match filter.order {
                    $crate::store::ReportOrder::Queue => {
                        " ORDER BY r.urgent DESC, r.created_at, r.id"
                    }
                    $crate::store::ReportOrder::Newest => " ORDER BY r.created_at DESC, r.id DESC",
                });
                sql.push_str(&format!(" LIMIT {}", filter.limit.max(0)));
                let mut query = sqlx::query_as(&sql);
                for value in &binds {
                    query = query.bind(value);
                }
                Ok(query.fetch_all(&self.pool).await?)
            }

            async fn report_files(
                &self,
                report_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ReportFileMeta>> {
                Ok(sqlx::query_as(
                    "SELECT id, report_id, update_id, name, content_type, size, created_at \
                     FROM report_files WHERE report_id = $1 ORDER BY id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn report_file(
                &self,
                report_id: i64,
                file_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::ReportFile>> {
                Ok(sqlx::query_as(
                    "SELECT id, report_id, name, content_type, content FROM report_files \
                     WHERE report_id = $1 AND id = $2",
                )
                .bind(report_id)
                .bind(file_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn add_report_update(
                &self,
                update: &$crate::store::NewReportUpdate,
                files: &[$crate::store::NewReportFile],
                message: Option<&$crate::store::NewOutbound>,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let mut tx = self.pool.begin().await?;
                let Some(id) = Self::insert_report_update(&mut tx, update).await? else {
                    return Ok(None);
                };
                Self::insert_report_files(&mut tx, update.report_id, Some(id), files, update.at)
                    .await?;
                if let Some(message) = message {
                    Self::enqueue_in(&mut tx, message, update.at).await?;
                }
                tx.commit().await?;
                Ok(Some(id))
            }

            async fn report_updates(
                &self,
                report_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ReportUpdate>> {
                Ok(sqlx::query_as(
                    "SELECT u.id, u.report_id, u.at, u.author, u.staff_id, s.name AS staff_name, \
                     u.status, u.body, u.public FROM report_updates u \
                     LEFT JOIN staff s ON s.id = u.staff_id \
                     WHERE u.report_id = $1 ORDER BY u.at, u.id",
                )
                .bind(report_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn reports_by_email(
                &self,
                email_key: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Report>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} FROM reports r WHERE lower(r.reporter_email) = $1 \
                     ORDER BY r.created_at DESC, r.id DESC",
                    $crate::store::reports::REPORT_COLUMNS
                ))
                .bind(email_key.to_lowercase())
                .fetch_all(&self.pool)
                .await?)
            }

            async fn erase_reporter(
                &self,
                email_key: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
                let deleted = sqlx::query(
                    "DELETE FROM reports WHERE lower(reporter_email) = $1 \
                     AND crime_reference IS NULL",
                )
                .bind(email_key.to_lowercase())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let kept = sqlx::query(
                    "UPDATE reports SET reporter_name = NULL, reporter_email = NULL, \
                     reporter_phone = NULL, updated_at = $2 WHERE lower(reporter_email) = $1",
                )
                .bind(email_key.to_lowercase())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(deleted + kept)
            }

            async fn erase_report(
                &self,
                id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                let deleted = sqlx::query(
                    "DELETE FROM reports WHERE id = $1 AND crime_reference IS NULL",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if !deleted {
                    sqlx::query(
                        "UPDATE reports SET reporter_name = NULL, reporter_email = NULL, \
                         reporter_phone = NULL, updated_at = $2 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(deleted)
            }

            async fn purge_reports(
                &self,
                before: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query(
                    "DELETE FROM reports WHERE updated_at < $1 \
                     AND status IN ('referred', 'information', 'closed')",
                )
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected())
            }
        }
    };
}

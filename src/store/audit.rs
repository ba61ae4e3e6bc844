//! The audit log: appended to and read, never changed.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

/// A line to add to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    /// Who acted, in words ("Lucy Ward", or a masked email for a failed sign-in).
    pub actor: String,
    pub action: String,
    pub refused: bool,
    /// What the action was about ("alert 12345", "staff Tom Okafor").
    pub subject: String,
    pub detail: String,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub subject: String,
    pub detail: String,
    pub ip: String,
}

/// Which audit entries to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub staff_id: Option<i64>,
    pub action: Option<String>,
    pub refused_only: bool,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

#[async_trait]
pub trait Audit: Send + Sync {
    async fn append_audit(&self, entry: &NewAuditEntry) -> StoreResult<()>;
    async fn audit_entries(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>>;
    /// Every distinct action in the log, in alphabetical order.
    async fn audit_actions(&self) -> StoreResult<Vec<String>>;
}

/// Implements `Audit` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_audit {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Audit for $store {
            async fn append_audit(&self, entry: &$crate::store::NewAuditEntry) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (at, staff_id, actor, action, outcome, subject, detail, ip) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(entry.at)
                .bind(entry.staff_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(if entry.refused { "refused" } else { "ok" })
                .bind(&entry.subject)
                .bind(&entry.detail)
                .bind(&entry.ip)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_entries(
                &self,
                filter: &$crate::store::AuditFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditEntry>> {
                // Every filter is a bound parameter; a NULL parameter switches its condition off.
                let rows = sqlx::query_as::<_, $crate::store::AuditEntry>(
                    "SELECT id, at, staff_id, actor, action, outcome, subject, detail, ip FROM audit_log \
                     WHERE ($1 IS NULL OR staff_id = $1) AND ($2 IS NULL OR action = $2) \
                     AND ($3 = FALSE OR outcome = 'refused') AND ($4 IS NULL OR at >= $4) \
                     AND ($5 IS NULL OR at < $5) ORDER BY id DESC LIMIT $6 OFFSET $7",
                )
                .bind(filter.staff_id)
                .bind(filter.action.as_deref())
                .bind(filter.refused_only)
                .bind(filter.since)
                .bind(filter.until)
                .bind(filter.limit.clamp(1, 1_000))
                .bind(filter.offset.max(0))
                .fetch_all(&self.pool)
                .await?;
                Ok(rows)
            }

            async fn audit_actions(&self) -> $crate::store::StoreResult<Vec<String>> {
                Ok(sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

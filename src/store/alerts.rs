//! Alerts in the senders' workflow: composed, approved, scheduled, queued or cancelled.

use super::{StoreError, StoreResult, Timestamp};
use crate::domain::alert::SignOff;
use crate::domain::Priority;
use crate::geo::target::AreaTarget;
use async_trait::async_trait;

/// Where an alert is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    Draft,
    AwaitingApproval,
    /// Approved (or needing no approval): may be sent or scheduled.
    Ready,
    Scheduled,
    /// Handed to delivery.
    Queued,
    Cancelled,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Draft => "draft",
            AlertStatus::AwaitingApproval => "awaiting_approval",
            AlertStatus::Ready => "ready",
            AlertStatus::Scheduled => "scheduled",
            AlertStatus::Queued => "queued",
            AlertStatus::Cancelled => "cancelled",
        }
    }

    fn parse(value: &str) -> StoreResult<Self> {
        Ok(match value {
            "draft" => AlertStatus::Draft,
            "awaiting_approval" => AlertStatus::AwaitingApproval,
            "ready" => AlertStatus::Ready,
            "scheduled" => AlertStatus::Scheduled,
            "queued" => AlertStatus::Queued,
            "cancelled" => AlertStatus::Cancelled,
            other => return Err(StoreError::Corrupt(format!("alert status {other:?}"))),
        })
    }
}

impl TryFrom<String> for AlertStatus {
    type Error = StoreError;

    fn try_from(value: String) -> StoreResult<Self> {
        AlertStatus::parse(&value)
    }
}

/// An alert's content, as composed.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertContent {
    pub provider_id: i64,
    pub message_type_id: i64,
    #[sqlx(try_from = "i64")]
    pub priority: Priority,
    pub title: String,
    pub body_markdown: String,
    pub sms_text: Option<String>,
    /// Whom the alert is for; stored as JSON in `target_json`.
    #[sqlx(rename = "target_json", try_from = "String")]
    pub target: AreaTarget,
    pub target_description: String,
    /// Kept to its subscribers: never on the public archive, in feeds or the public API.
    pub private: bool,
    /// Whom it is limited to beyond its area: Neighbourhood Watch schemes' members.
    #[sqlx(try_from = "String")]
    pub members: crate::domain::scheme::Members,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub content: AlertContent,
    /// The member of staff who wrote it, or `None` for an alert sent in through an API token.
    pub author_staff_id: Option<i64>,
    pub api_token_id: Option<i64>,
    pub signoff: SignOff,
    pub needs_approval: bool,
    pub follows_alert_id: Option<i64>,
    pub follow_up: Option<String>,
    pub now: Timestamp,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Alert {
    pub id: i64,
    #[sqlx(flatten)]
    pub content: AlertContent,
    pub provider_name: String,
    pub message_type_name: String,
    #[sqlx(try_from = "String")]
    pub status: AlertStatus,
    pub author_staff_id: Option<i64>,
    pub api_token_id: Option<i64>,
    #[sqlx(flatten, try_from = "SignOffColumns")]
    pub signoff: SignOff,
    pub needs_approval: bool,
    pub approver_staff_id: Option<i64>,
    pub approved_at: Option<Timestamp>,
    pub scheduled_for: Option<Timestamp>,
    pub queued_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub follows_alert_id: Option<i64>,
    pub follow_up: Option<String>,
    pub created_at: Timestamp,
    /// What the approver who sent it back to its author as a draft asked to change, who they
    /// were and when (`send_back_alert`); `None` if it was never sent back.
    pub returned_comment: Option<String>,
    pub returned_by_name: Option<String>,
    pub returned_at: Option<Timestamp>,
    /// The survey it carries: its email links to the survey's answer page.
    pub survey_id: Option<i64>,
}

/// Which alerts one page of the staff home lists, newest first.
#[derive(Debug, Clone, Default)]
pub struct AlertListFilter {
    /// One organisation's, or everyone's.
    pub provider_id: Option<i64>,
    pub status: Option<AlertStatus>,
    pub message_type_id: Option<i64>,
    /// `Some(true)`: only alerts imported from other services; `Some(false)`: only those
    /// written here; `None`: both.
    pub imported: Option<bool>,
    /// Words the title contains, in any case.
    pub title_contains: Option<String>,
    /// Only alerts older than this one (the next page's key).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// One alert as the staff home lists it, with how its sending went.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlertSummary {
    pub id: i64,
    pub provider_id: i64,
    pub title: String,
    pub provider_name: String,
    pub message_type_name: String,
    #[sqlx(try_from = "String")]
    pub status: AlertStatus,
    pub signoff_name: String,
    pub author_staff_id: Option<i64>,
    pub imported: bool,
    pub created_at: Timestamp,
    pub queued_at: Option<Timestamp>,
    pub scheduled_for: Option<Timestamp>,
    /// Residents at least one of its messages was sent to.
    pub reached: i64,
    pub useful: i64,
    pub not_useful: i64,
    pub replies: i64,
}

/// An alert residents have replied to lately: how many replies since, and the latest's time.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RepliedAlert {
    pub id: i64,
    pub title: String,
    pub replies: i64,
    pub latest: Timestamp,
}

/// The area an alert was stored with, read back; JSON that does not describe one is an error
/// that names it.
impl TryFrom<String> for AreaTarget {
    type Error = serde_json::Error;

    fn try_from(json: String) -> Result<AreaTarget, serde_json::Error> {
        serde_json::from_str(&json)
    }
}

impl AreaTarget {
    /// The target as the `alerts` table keeps it.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an area target is plain data that always serialises")
    }
}

/// A sign-off as the `alerts` table keeps it, one column a line.
#[derive(sqlx::FromRow)]
pub(crate) struct SignOffColumns {
    signoff_name: String,
    signoff_organisation: String,
    signoff_role: String,
    signoff_area: String,
}

impl From<SignOffColumns> for SignOff {
    fn from(columns: SignOffColumns) -> SignOff {
        SignOff {
            name: columns.signoff_name,
            organisation: columns.signoff_organisation,
            role: columns.signoff_role,
            area: columns.signoff_area,
        }
    }
}

/// A change of an alert's status, made only if it is in one of the `from` states.
#[derive(Debug, Clone, Default)]
pub struct AlertTransition {
    pub approver_staff_id: Option<i64>,
    pub scheduled_for: Option<Timestamp>,
}

#[async_trait]
pub trait Alerts: Send + Sync {
    async fn insert_alert(&self, alert: &NewAlert) -> StoreResult<i64>;
    async fn alert(&self, id: i64) -> StoreResult<Option<Alert>>;
    /// Newest first; one organisation's, or everyone's.
    async fn list_alerts(&self, provider_id: Option<i64>, limit: i64) -> StoreResult<Vec<Alert>>;
    /// Moves an alert from one of `from` to `to`, recording who approved it or when it is due;
    /// false (and no change) if it was in none of `from`.
    async fn transition_alert(
        &self,
        id: i64,
        from: &[AlertStatus],
        to: AlertStatus,
        change: &AlertTransition,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Queues the scheduled alerts that are due; returns their ids.
    async fn release_due_alerts(&self, now: Timestamp) -> StoreResult<Vec<i64>>;
    /// Replaces an alert's content and makes it a draft again (any approval is dropped), if it
    /// is in one of `from`; false (and no change) if not.
    async fn edit_alert(
        &self,
        id: i64,
        from: &[AlertStatus],
        edit: &AlertEdit,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// One page of alerts with their sent, rating and reply counts, in one query.
    async fn alert_summaries(&self, filter: &AlertListFilter) -> StoreResult<Vec<AlertSummary>>;
    /// Alerts with replies since `since`, the most lately replied to first; one organisation's,
    /// or everyone's.
    async fn replied_alerts(
        &self,
        provider_id: Option<i64>,
        since: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<RepliedAlert>>;
    /// Returns an alert waiting for approval to its author as a draft, with the approver's
    /// comment; false (and no change) if it was no longer waiting.
    async fn send_back_alert(
        &self,
        id: i64,
        approver_staff_id: i64,
        comment: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
}

/// New content for an alert being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEdit {
    pub content: AlertContent,
    pub needs_approval: bool,
}

/// A `LIKE` pattern finding `words` anywhere in a lower-cased column, its wildcards escaped.
pub(crate) fn like_pattern(words: &str) -> String {
    let mut pattern = String::from("%");
    for c in words.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Implements `Alerts` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_alerts {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Alerts matching `clause` (`$1` is `key`, `$2` the limit), newest first. Shared with
            /// `impl_delivery_queue!`, whose fan-out claim hands back the alert it claimed.
            async fn load_alerts(
                &self,
                clause: &str,
                key: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Alert>> {
                let sql = format!(
                    "SELECT a.*, p.name AS provider_name, m.name AS message_type_name, \
                     (SELECT s.name FROM staff s WHERE s.id = a.returned_by_staff_id) AS returned_by_name \
                     FROM alerts a JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
                     WHERE {clause} ORDER BY a.id DESC LIMIT $2"
                );
                let rows = sqlx::query_as(&sql).bind(key).bind(limit).fetch_all(&self.pool).await?;
                Ok(rows)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Alerts for $store {
            async fn insert_alert(&self, alert: &$crate::store::NewAlert) -> $crate::store::StoreResult<i64> {
                let c = &alert.content;
                Ok(sqlx::query_scalar(
                    "INSERT INTO alerts (provider_id, message_type_id, priority, title, body_markdown, sms_text, \
                     target_json, target_description, status, author_staff_id, signoff_name, signoff_organisation, \
                     signoff_role, signoff_area, needs_approval, follows_alert_id, follow_up, created_at, updated_at, \
                     api_token_id, body_text, private, members) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $19, $20, $21) \
                     RETURNING id",
                )
                .bind(c.provider_id)
                .bind(c.message_type_id)
                .bind(i64::from(c.priority.level()))
                .bind(&c.title)
                .bind(&c.body_markdown)
                .bind(&c.sms_text)
                .bind(c.target.to_json())
                .bind(&c.target_description)
                .bind(alert.author_staff_id)
                .bind(&alert.signoff.name)
                .bind(&alert.signoff.organisation)
                .bind(&alert.signoff.role)
                .bind(&alert.signoff.area)
                .bind(alert.needs_approval)
                .bind(alert.follows_alert_id)
                .bind(&alert.follow_up)
                .bind(alert.now)
                .bind(alert.api_token_id)
                // What the archive searches: the body as residents read it in plain text.
                .bind($crate::domain::alert::render_markdown(&c.body_markdown).text)
                .bind(c.private)
                .bind(c.members.code())
                .fetch_one(&self.pool)
                .await?)
            }

            async fn alert(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::Alert>> {
                Ok(self.load_alerts("a.id = $1", id, 1).await?.pop())
            }

            async fn list_alerts(
                &self,
                provider_id: Option<i64>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Alert>> {
                match provider_id {
                    Some(provider) => self.load_alerts("a.provider_id = $1", provider, limit).await,
                    None => self.load_alerts("a.id > $1", 0, limit).await,
                }
            }

            async fn transition_alert(
                &self,
                id: i64,
                from: &[$crate::store::AlertStatus],
                to: $crate::store::AlertStatus,
                change: &$crate::store::AlertTransition,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                // The allowed starting states travel as one parameter: ",draft,ready,".
                let allowed = format!(",{},", from.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
                let done = sqlx::query(
                    "UPDATE alerts SET status = $3, updated_at = $4, \
                     approver_staff_id = COALESCE($5, approver_staff_id), \
                     approved_at = CASE WHEN $5 IS NULL THEN approved_at ELSE $4 END, \
                     scheduled_for = CASE WHEN $3 = 'scheduled' THEN $6 ELSE scheduled_for END, \
                     queued_at = CASE WHEN $3 = 'queued' THEN $4 ELSE queued_at END, \
                     listed_at = CASE WHEN $3 = 'queued' THEN $4 ELSE listed_at END, \
                     fanout_next = CASE WHEN $3 = 'queued' THEN 0 ELSE fanout_next END, \
                     cancelled_at = CASE WHEN $3 = 'cancelled' THEN $4 ELSE cancelled_at END \
                     WHERE id = $1 AND $2 LIKE '%,' || status || ',%'",
                )
                .bind(id)
                .bind(allowed)
                .bind(to.as_str())
                .bind(now)
                .bind(change.approver_staff_id)
                .bind(change.scheduled_for)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn edit_alert(
                &self,
                id: i64,
                from: &[$crate::store::AlertStatus],
                edit: &$crate::store::AlertEdit,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let c = &edit.content;
                // The allowed starting states travel as one parameter, as in `transition_alert`.
                let allowed = format!(",{},", from.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(","));
                let done = sqlx::query(
                    "UPDATE alerts SET provider_id = $3, message_type_id = $4, priority = $5, title = $6, \
                     body_markdown = $7, sms_text = $8, target_json = $9, target_description = $10, \
                     private = $11, body_text = $12, needs_approval = $13, status = 'draft', \
                     approver_staff_id = NULL, approved_at = NULL, updated_at = $14, members = $15 \
                     WHERE id = $1 AND $2 LIKE '%,' || status || ',%'",
                )
                .bind(id)
                .bind(allowed)
                .bind(c.provider_id)
                .bind(c.message_type_id)
                .bind(i64::from(c.priority.level()))
                .bind(&c.title)
                .bind(&c.body_markdown)
                .bind(&c.sms_text)
                .bind(c.target.to_json())
                .bind(&c.target_description)
                .bind(c.private)
                .bind($crate::domain::alert::render_markdown(&c.body_markdown).text)
                .bind(edit.needs_approval)
                .bind(now)
                .bind(c.members.code())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn alert_summaries(
                &self,
                filter: &$crate::store::AlertListFilter,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AlertSummary>> {
                // The page is chosen first (by the primary key, newest first), then counted: the
                // counts are read for its rows only.
                Ok(sqlx::query_as(
                    "SELECT a.id, a.provider_id, a.title, p.name AS provider_name, m.name AS message_type_name, \
                     a.status, a.signoff_name, a.author_staff_id, a.imported_from IS NOT NULL AS imported, \
                     a.created_at, a.queued_at, a.scheduled_for, \
                     (SELECT COUNT(DISTINCT d.subscriber_id) FROM deliveries d WHERE d.alert_id = a.id \
                      AND d.state IN ('sent', 'delivered')) AS reached, \
                     (SELECT COUNT(*) FROM alert_ratings r WHERE r.alert_id = a.id AND r.useful) AS useful, \
                     (SELECT COUNT(*) FROM alert_ratings r WHERE r.alert_id = a.id AND NOT r.useful) AS not_useful, \
                     (SELECT COUNT(*) FROM alert_replies y WHERE y.alert_id = a.id) AS replies \
                     FROM (SELECT * FROM alerts WHERE ($1 IS NULL OR provider_id = $1) \
                      AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR message_type_id = $3) \
                      AND ($4 IS NULL OR (imported_from IS NOT NULL) = $4) \
                      AND ($5 IS NULL OR LOWER(title) LIKE $5 ESCAPE '\\') AND id < $6 \
                      ORDER BY id DESC LIMIT $7) a \
                     JOIN providers p ON p.id = a.provider_id JOIN message_types m ON m.id = a.message_type_id \
                     ORDER BY a.id DESC",
                )
                .bind(filter.provider_id)
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.message_type_id)
                .bind(filter.imported)
                .bind(filter.title_contains.as_deref().map($crate::store::alerts::like_pattern))
                .bind(filter.before_id.unwrap_or(i64::MAX))
                .bind(filter.limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn replied_alerts(
                &self,
                provider_id: Option<i64>,
                since: $crate::store::Timestamp,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::RepliedAlert>> {
                Ok(sqlx::query_as(
                    "SELECT a.id, a.title, COUNT(r.id) AS replies, MAX(r.created_at) AS latest \
                     FROM alert_replies r JOIN alerts a ON a.id = r.alert_id \
                     WHERE r.created_at >= $2 AND ($1 IS NULL OR a.provider_id = $1) \
                     GROUP BY a.id, a.title ORDER BY latest DESC, a.id DESC LIMIT $3",
                )
                .bind(provider_id)
                .bind(since)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn send_back_alert(
                &self,
                id: i64,
                approver_staff_id: i64,
                comment: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE alerts SET status = 'draft', returned_comment = $3, returned_by_staff_id = $2, \
                     returned_at = $4, updated_at = $4, approver_staff_id = NULL, approved_at = NULL \
                     WHERE id = $1 AND status = 'awaiting_approval'",
                )
                .bind(id)
                .bind(approver_staff_id)
                .bind(comment)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_due_alerts(
                &self,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "UPDATE alerts SET status = 'queued', queued_at = $1, listed_at = $1, updated_at = $1, fanout_next = 0 \
                     WHERE status = 'scheduled' AND scheduled_for <= $1 RETURNING id",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

//! Residents' feedback on alerts: ratings and replies.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

/// Replies one resident may send about one alert.
pub const MAX_REPLIES_PER_ALERT: i64 = 5;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AlertReply {
    pub id: i64,
    pub first_name: String,
    pub body: String,
    pub created_at: Timestamp,
    /// The resident's thread for the alert in the contact centre's inbox.
    pub conversation_id: Option<i64>,
}

#[async_trait]
pub trait Feedback: Send + Sync {
    /// A resident's rating of an alert they were sent, with why it was not useful if they said;
    /// false if it was not sent to them. A new rating replaces the last, reason and all.
    async fn rate_alert(
        &self,
        alert_id: i64,
        subscriber_id: i64,
        useful: bool,
        reason: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Stores a reply; false if the alert never reached the resident or they have sent
    /// `MAX_REPLIES_PER_ALERT` already.
    async fn add_alert_reply(
        &self,
        alert_id: i64,
        subscriber_id: i64,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// A resident's ratings and replies, oldest first: (alert id, what, when), for their data
    /// download.
    async fn subscriber_feedback(
        &self,
        subscriber_id: i64,
    ) -> StoreResult<Vec<(i64, String, Timestamp)>>;
}

/// Implements `Feedback` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_feedback {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Feedback for $store {
            async fn rate_alert(
                &self,
                alert_id: i64,
                subscriber_id: i64,
                useful: bool,
                reason: Option<&str>,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO alert_ratings (alert_id, subscriber_id, useful, rated_at, reason) \
                     SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM deliveries WHERE alert_id = $1 \
                     AND subscriber_id = $2 AND state IN ('sent', 'delivered')) \
                     ON CONFLICT (alert_id, subscriber_id) DO UPDATE SET useful = excluded.useful, \
                     rated_at = excluded.rated_at, reason = excluded.reason",
                )
                .bind(alert_id)
                .bind(subscriber_id)
                .bind(useful)
                .bind(now)
                .bind(reason)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn add_alert_reply(
                &self,
                alert_id: i64,
                subscriber_id: i64,
                body: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO alert_replies (alert_id, subscriber_id, body, created_at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM deliveries WHERE alert_id = $1 \
                     AND subscriber_id = $2 AND state IN ('sent', 'delivered')) \
                     AND (SELECT COUNT(*) FROM alert_replies WHERE alert_id = $1 AND subscriber_id = $2) < $5",
                )
                .bind(alert_id)
                .bind(subscriber_id)
                .bind(body)
                .bind(now)
                .bind($crate::store::MAX_REPLIES_PER_ALERT)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn subscriber_feedback(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Vec<(i64, String, $crate::store::Timestamp)>> {
                Ok(sqlx::query_as(
                    "SELECT alert_id, CASE WHEN useful THEN 'rated useful' \
                     ELSE 'rated not useful' || COALESCE(': ' || reason, '') END AS what, \
                     rated_at AS at FROM alert_ratings WHERE subscriber_id = $1 \
                     UNION ALL SELECT alert_id, 'replied: ' || body AS what, created_at AS at \
                     FROM alert_replies WHERE subscriber_id = $1 ORDER BY at",
                )
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}

//! The outbox: messages about a subscription (confirmations, codes, manage links) queued, claimed, sent once.

use super::{StoreError, StoreResult, Timestamp};
use async_trait::async_trait;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboundChannel {
    Email,
    Sms,
}

impl TryFrom<String> for OutboundChannel {
    type Error = StoreError;

    fn try_from(value: String) -> StoreResult<Self> {
        match value.as_str() {
            "email" => Ok(OutboundChannel::Email),
            "sms" => Ok(OutboundChannel::Sms),
            other => Err(StoreError::Corrupt(format!("outbound channel {other:?}"))),
        }
    }
}

impl OutboundChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboundChannel::Email => "email",
            OutboundChannel::Sms => "sms",
        }
    }
}

/// A rendered message waiting to be sent. The payload is the channel's own serialised form.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbound {
    pub subscriber_id: Option<i64>,
    pub channel: OutboundChannel,
    pub purpose: String,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutboundMessage {
    pub id: i64,
    pub subscriber_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub channel: OutboundChannel,
    pub purpose: String,
    pub payload: String,
    pub attempts: i64,
}

/// A message sent (or being sent) to a resident, without its content.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct OutboundRecord {
    pub channel: String,
    pub purpose: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub failed_at: Option<Timestamp>,
}

/// Counts of what the outbound queue holds, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, sqlx::FromRow)]
pub struct OutboundCounts {
    pub waiting: i64,
    pub sent: i64,
    pub failed: i64,
}

#[async_trait]
pub trait Outbox: Send + Sync {
    async fn enqueue_outbound(&self, message: &NewOutbound, now: Timestamp) -> StoreResult<i64>;
    /// Claims up to `limit` due messages until `lease_until`; a message whose worker died is
    /// claimed again once its lease has run out.
    async fn claim_outbound(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<OutboundMessage>>;
    /// Records a message as sent. Its payload (personal data, codes) is blanked: only the
    /// record that it was sent remains.
    async fn mark_outbound_sent(&self, id: i64, now: Timestamp) -> StoreResult<()>;
    async fn mark_outbound_retry(
        &self,
        id: i64,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> StoreResult<()>;
    /// Records a message as given up, blanking its payload as `mark_outbound_sent` does.
    async fn mark_outbound_failed(&self, id: i64, now: Timestamp, error: &str) -> StoreResult<()>;
    /// What was sent to a resident (not the content): messages about their subscription and
    /// the alerts delivered to them, oldest first, for their data download.
    async fn outbound_history(&self, subscriber_id: i64) -> StoreResult<Vec<OutboundRecord>>;
    async fn outbound_counts(&self) -> StoreResult<OutboundCounts>;
}

/// Implements `Outbox` for a backend's store with the SQL both backends share; what
/// differs between them comes from the backend's `Dialect`.
macro_rules! impl_outbox {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Queues a message inside the caller's transaction. Shared with `impl_residents!`,
            /// whose sign-ups and mobile codes queue their message with the change that causes it.
            async fn enqueue_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                message: &$crate::store::NewOutbound,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO outbound_messages \
                     (subscriber_id, channel, purpose, payload, created_at, next_attempt_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(message.subscriber_id)
                .bind(message.channel.as_str())
                .bind(&message.purpose)
                .bind(&message.payload)
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
                Ok(id)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Outbox for $store {
            async fn enqueue_outbound(
                &self,
                message: &$crate::store::NewOutbound,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                let mut tx = self.pool.begin().await?;
                let id = Self::enqueue_in(&mut tx, message, now).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn claim_outbound(
                &self,
                now: $crate::store::Timestamp,
                lease_until: $crate::store::Timestamp,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::OutboundMessage>> {
                let sql = format!(
                    "UPDATE outbound_messages SET locked_until = $2, attempts = attempts + 1 WHERE id IN (\
                     SELECT id FROM outbound_messages WHERE sent_at IS NULL AND failed_at IS NULL \
                     AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1) \
                     ORDER BY next_attempt_at, id LIMIT $3 {}) \
                     RETURNING id, subscriber_id, channel, purpose, payload, attempts",
                    <Self as $crate::store::dialect::Dialect>::CLAIM_LOCK,
                );
                let mut claimed: Vec<$crate::store::OutboundMessage> = sqlx::query_as(&sql)
                    .bind(now)
                    .bind(lease_until)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                claimed.sort_by_key(|m| m.id);
                Ok(claimed)
            }

            async fn mark_outbound_sent(&self, id: i64, now: $crate::store::Timestamp) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE outbound_messages SET sent_at = $2, locked_until = NULL, last_error = NULL, payload = '' WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_outbound_retry(
                &self,
                id: i64,
                next_attempt_at: $crate::store::Timestamp,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE outbound_messages SET next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1",
                )
                .bind(id)
                .bind(next_attempt_at)
                .bind(error)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn mark_outbound_failed(
                &self,
                id: i64,
                now: $crate::store::Timestamp,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE outbound_messages SET failed_at = $2, locked_until = NULL, last_error = $3, payload = '' \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .bind(error)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn outbound_history(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::OutboundRecord>> {
                // Messages about their subscription, then the alerts delivered (or not) to them.
                let rows = sqlx::query_as::<_, $crate::store::OutboundRecord>(
                    "SELECT channel, purpose, created_at, sent_at, failed_at FROM ( \
                     SELECT 0 AS kind, id, channel, purpose, created_at, sent_at, failed_at FROM outbound_messages \
                     WHERE subscriber_id = $1 \
                     UNION ALL \
                     SELECT 1 AS kind, d.id, d.channel, 'Alert ' || CAST(d.alert_id AS TEXT) || ': ' || a.title AS purpose, \
                     d.created_at, d.sent_at, CASE WHEN d.state = 'failed' THEN d.finished_at END AS failed_at \
                     FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.subscriber_id = $1 \
                     ) history ORDER BY created_at, kind, id",
                )
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows)
            }

            async fn outbound_counts(&self) -> $crate::store::StoreResult<$crate::store::OutboundCounts> {
                Ok(sqlx::query_as(
                    "SELECT \
                     COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS waiting, \
                     COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, \
                     COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed \
                     FROM outbound_messages",
                )
                .fetch_one(&self.pool)
                .await?)
            }
        }
    };
}

//! Keeping the chat queue honest: when a resident last had their chat open, and closing the
//! chats they left (waiting with nobody watching) or stopped answering (open and idle), each
//! with a line saying why. Their text then follows the normal keeping time of closed chats.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

/// A chat closed because it was left: its organisation and the line stored in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftChat {
    pub conversation_id: i64,
    pub provider_id: i64,
    /// The system message that says why it ended.
    pub message_id: i64,
    /// Nobody had taken it (the resident left the queue).
    pub abandoned: bool,
}

#[async_trait]
pub trait ChatUpkeep: Send + Sync {
    /// Records that the resident has their chat open now (not once it is closed).
    async fn resident_seen(&self, conversation_id: i64, now: Timestamp) -> StoreResult<()>;
    /// Live chats (of one organisation, or all) that look left: waiting with no message and no
    /// sign of the resident since `waiting_before`, or open with no message since
    /// `open_before`.
    async fn left_chats(
        &self,
        provider_id: Option<i64>,
        waiting_before: Timestamp,
        open_before: Timestamp,
    ) -> StoreResult<Vec<i64>>;
    /// Closes one such chat if it is still left, as one transaction, with `waiting_line` (it
    /// was waiting: abandoned) or `open_line` (it was open: outcome `no-reply`) stored as a
    /// system message; None if it was not left after all.
    async fn close_left_chat(
        &self,
        conversation_id: i64,
        waiting_before: Timestamp,
        open_before: Timestamp,
        lines: (&str, &str),
        now: Timestamp,
    ) -> StoreResult<Option<LeftChat>>;
}

/// The condition a left chat `c` meets: `$w` and `$o` are the waiting and open cut-offs.
macro_rules! left_chat_sql {
    ($w:literal, $o:literal) => {
        concat!(
            "kind = 'chat' AND ((state = 'waiting' AND last_message_at < ",
            $w,
            " AND COALESCE(resident_seen_at, 0) < ",
            $w,
            ") OR (state = 'open' AND last_message_at < ",
            $o,
            "))"
        )
    };
}
pub(crate) use left_chat_sql;

/// Implements `ChatUpkeep` for a backend's store with the SQL both backends share.
macro_rules! impl_chat_upkeep {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ChatUpkeep for $store {
            async fn resident_seen(
                &self,
                conversation_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE conversations SET resident_seen_at = $2 \
                     WHERE id = $1 AND state <> 'closed'",
                )
                .bind(conversation_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn left_chats(
                &self,
                provider_id: Option<i64>,
                waiting_before: $crate::store::Timestamp,
                open_before: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(concat!(
                    "SELECT id FROM conversations WHERE ($1 IS NULL OR provider_id = $1) AND ",
                    $crate::store::chat_upkeep::left_chat_sql!("$2", "$3"),
                    " ORDER BY id LIMIT 500"
                ))
                .bind(provider_id)
                .bind(waiting_before)
                .bind(open_before)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn close_left_chat(
                &self,
                conversation_id: i64,
                waiting_before: $crate::store::Timestamp,
                open_before: $crate::store::Timestamp,
                lines: (&str, &str),
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<$crate::store::LeftChat>> {
                let mut tx = self.pool.begin().await?;
                let closed: Option<(i64, bool)> = sqlx::query_as(concat!(
                    "UPDATE conversations SET state = 'closed', closed_at = $4, \
                     abandoned = (state = 'waiting'), \
                     outcome = CASE WHEN state = 'open' THEN 'no-reply' ELSE outcome END \
                     WHERE id = $1 AND ",
                    $crate::store::chat_upkeep::left_chat_sql!("$2", "$3"),
                    " RETURNING provider_id, abandoned"
                ))
                .bind(conversation_id)
                .bind(waiting_before)
                .bind(open_before)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((provider_id, abandoned)) = closed else {
                    return Ok(None);
                };
                let line = if abandoned { lines.0 } else { lines.1 };
                let message_id: i64 = sqlx::query_scalar(
                    "INSERT INTO conversation_messages (conversation_id, author, body, \
                     created_at) VALUES ($1, 'system', $2, $3) RETURNING id",
                )
                .bind(conversation_id)
                .bind(line)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some($crate::store::LeftChat {
                    conversation_id,
                    provider_id,
                    message_id,
                    abandoned,
                }))
            }
        }
    };
}

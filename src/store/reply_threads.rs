//! Residents' replies to alerts as threads in the contact centre's inbox (a reply is kept for
//! the alert's delivery report and, in the same transaction, starts or continues the resident's
//! thread for that alert), a resident's threads for their data download and erasure, residents'
//! ratings of their chats, and the times of live chats the figures are made from.

use super::{Conversation, Message, StoreResult, Timestamp};
use crate::domain::conversation::figures::ChatTiming;
use async_trait::async_trait;

/// A resident's reply to an alert, about to be stored.
#[derive(Debug, Clone)]
pub struct NewAlertReply {
    pub alert_id: i64,
    pub subscriber_id: i64,
    /// The alert's organisation, whose inbox the thread is in.
    pub provider_id: i64,
    /// The token a new thread gets (an existing thread keeps its own).
    pub token: String,
    pub first_name: String,
    pub email: String,
    /// The alert's title.
    pub topic: String,
    pub body: String,
    /// Escalation phrases found in the reply: the thread becomes urgent, with these added.
    pub urgent_words: Vec<String>,
}

/// A reply stored, and the thread it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyStored {
    pub thread: Conversation,
    pub message: Message,
    /// The reply started the thread.
    pub started: bool,
    /// The thread was closed and is back in the queue.
    pub reopened: bool,
}

#[async_trait]
pub trait ReplyThreads: Send + Sync {
    /// Stores a resident's reply for the alert's delivery report and as a message of their
    /// thread for the alert (started if need be, reopened if closed), in one transaction. None
    /// (and nothing stored) if the alert never reached them or they have sent
    /// `MAX_REPLIES_PER_ALERT` replies already.
    async fn reply_to_alert(
        &self,
        reply: &NewAlertReply,
        now: Timestamp,
    ) -> StoreResult<Option<ReplyStored>>;
    /// A resident's reply threads, oldest first.
    async fn reply_threads_of(&self, subscriber_id: i64) -> StoreResult<Vec<Conversation>>;
    /// Deletes a resident's reply threads and their messages; how many threads.
    async fn erase_reply_threads(&self, subscriber_id: i64) -> StoreResult<u64>;
    /// The times of an organisation's live chats started in `[since, until)`.
    async fn chat_timings(
        &self,
        provider_id: i64,
        since: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<ChatTiming>>;
}

/// Implements `ReplyThreads` for a backend's store with the SQL both backends share.
macro_rules! impl_reply_threads {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ReplyThreads for $store {
            async fn reply_to_alert(
                &self,
                reply: &$crate::store::NewAlertReply,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Option<$crate::store::ReplyStored>> {
                use $crate::store::conversations::{
                    merged_words, CONVERSATION_COLUMNS, MESSAGE_COLUMNS,
                };
                let mut tx = self.pool.begin().await?;
                let kept = sqlx::query(
                    "INSERT INTO alert_replies (alert_id, subscriber_id, body, created_at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM deliveries WHERE \
                     alert_id = $1 AND subscriber_id = $2 AND state IN ('sent', 'delivered')) \
                     AND (SELECT COUNT(*) FROM alert_replies WHERE alert_id = $1 AND \
                     subscriber_id = $2) < $5",
                )
                .bind(reply.alert_id)
                .bind(reply.subscriber_id)
                .bind(&reply.body)
                .bind(now)
                .bind($crate::store::MAX_REPLIES_PER_ALERT)
                .execute(&mut *tx)
                .await?;
                if kept.rows_affected() != 1 {
                    return Ok(None);
                }
                // Taking the thread's row first serialises the resident's replies (PostgreSQL);
                // SQLite has one writer.
                let existing = "UPDATE conversations SET last_message_at = $3 WHERE kind = 'reply' \
                     AND alert_id = $1 AND subscriber_id = $2 RETURNING id, state, urgent_words";
                let mut found: Option<(i64, String, String)> = sqlx::query_as(existing)
                    .bind(reply.alert_id)
                    .bind(reply.subscriber_id)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                let mut started = false;
                if found.is_none() {
                    let urgent_words = merged_words("", &reply.urgent_words);
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO conversations (token, kind, provider_id, alert_id, \
                         subscriber_id, first_name, topic, email, state, urgent, urgent_words, \
                         created_at, queued_at, last_message_at) VALUES ($1, 'reply', $2, $3, \
                         $4, $5, $6, $7, 'waiting', $8, $9, $10, $10, $10) \
                         ON CONFLICT (alert_id, subscriber_id) WHERE kind = 'reply' DO NOTHING \
                         RETURNING id",
                    )
                    .bind(&reply.token)
                    .bind(reply.provider_id)
                    .bind(reply.alert_id)
                    .bind(reply.subscriber_id)
                    .bind(&reply.first_name)
                    .bind(&reply.topic)
                    .bind(&reply.email)
                    .bind(!urgent_words.is_empty())
                    .bind(&urgent_words)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match id {
                        Some(id) => {
                            started = true;
                            found = Some((id, "waiting".to_owned(), urgent_words));
                        }
                        // Another reply of theirs started it a moment ago.
                        None => {
                            found = sqlx::query_as(existing)
                                .bind(reply.alert_id)
                                .bind(reply.subscriber_id)
                                .bind(now)
                                .fetch_optional(&mut *tx)
                                .await?;
                        }
                    }
                }
                let Some((id, state, urgent_words)) = found else {
                    return Err($crate::store::StoreError::Database(sqlx::Error::RowNotFound));
                };
                let reopened = state == "closed";
                if reopened {
                    sqlx::query(
                        "UPDATE conversations SET state = 'waiting', queued_at = $2, \
                         closed_at = NULL, outcome = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                if !started && !reply.urgent_words.is_empty() {
                    sqlx::query(
                        "UPDATE conversations SET urgent = $2, urgent_words = $3 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(true)
                    .bind(merged_words(&urgent_words, &reply.urgent_words))
                    .execute(&mut *tx)
                    .await?;
                }
                let message_id: i64 = sqlx::query_scalar(
                    "INSERT INTO conversation_messages (conversation_id, author, body, \
                     created_at) VALUES ($1, 'resident', $2, $3) RETURNING id",
                )
                .bind(id)
                .bind(&reply.body)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let message: $crate::store::Message =
                    sqlx::query_as(&format!("SELECT {MESSAGE_COLUMNS} WHERE m.id = $1"))
                        .bind(message_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let thread: $crate::store::Conversation =
                    sqlx::query_as(&format!("SELECT {CONVERSATION_COLUMNS} WHERE c.id = $1"))
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(Some($crate::store::ReplyStored {
                    thread,
                    message,
                    started,
                    reopened,
                }))
            }

            async fn reply_threads_of(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Conversation>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} WHERE c.subscriber_id = $1 AND c.kind = 'reply' ORDER BY c.id",
                    $crate::store::conversations::CONVERSATION_COLUMNS
                ))
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn erase_reply_threads(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query(
                    "DELETE FROM conversations WHERE subscriber_id = $1 AND kind = 'reply'",
                )
                .bind(subscriber_id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn chat_timings(
                &self,
                provider_id: i64,
                since: $crate::store::Timestamp,
                until: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::conversation::figures::ChatTiming>>
            {
                type Row = (
                    $crate::store::Timestamp,
                    Option<$crate::store::Timestamp>,
                    Option<$crate::store::Timestamp>,
                    bool,
                    Option<i64>,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT created_at, taken_at, first_response_at, abandoned, rating \
                     FROM conversations WHERE kind = 'chat' AND created_at >= $1 \
                     AND created_at < $2 AND provider_id = $3 ORDER BY created_at",
                )
                .bind(since)
                .bind(until)
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(created_at, taken_at, first_response_at, abandoned, rating)| {
                        $crate::domain::conversation::figures::ChatTiming {
                            created_at,
                            taken_at,
                            first_response_at,
                            abandoned,
                            rating,
                        }
                    })
                    .collect())
            }
        }
    };
}

//! What a resident's live chat needs beyond the shared conversations store (and the inbox's,
//! which says whether a session is blocked and whether any operator is on): how many chats
//! their address started lately, their rating, their transcript request, and deleting closed
//! chats past their keeping time.

use super::{StoreResult, Timestamp};
use async_trait::async_trait;

#[async_trait]
pub trait ResidentChats: Send + Sync {
    /// How many chats were started from this address (`client_key`) since `since`.
    async fn chats_started_since(&self, client_key: &str, since: Timestamp) -> StoreResult<i64>;
    /// Keeps the resident's rating of an ended chat; false if it is not ended or was rated.
    async fn rate_conversation(
        &self,
        conversation_id: i64,
        rating: i64,
        comment: Option<&str>,
    ) -> StoreResult<bool>;
    /// Records that the resident wants the transcript of a chat at `email`, once: false if the
    /// conversation is not a chat or an address was given before (never overwritten, since a
    /// reply thread's answers go to its address).
    async fn request_transcript(&self, conversation_id: i64, email: &str) -> StoreResult<bool>;
    /// Takes a transcript request of an ended chat, once: the address to send it to.
    async fn take_transcript_request(&self, conversation_id: i64) -> StoreResult<Option<String>>;
    /// Ended conversations whose transcript was asked for and has not gone yet.
    async fn transcripts_due(&self) -> StoreResult<Vec<i64>>;
    /// Deletes conversations closed before `before`, with their messages; how many.
    async fn purge_closed_conversations(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Implements `ResidentChats` for a backend's store with the SQL both backends share.
macro_rules! impl_resident_chats {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ResidentChats for $store {
            async fn chats_started_since(
                &self,
                client_key: &str,
                since: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM conversations WHERE kind = 'chat' \
                     AND client_key = $1 AND created_at >= $2",
                )
                .bind(client_key)
                .bind(since)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn rate_conversation(
                &self,
                conversation_id: i64,
                rating: i64,
                comment: Option<&str>,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE conversations SET rating = $2, rating_comment = $3 \
                     WHERE id = $1 AND state = 'closed' AND rating IS NULL",
                )
                .bind(conversation_id)
                .bind(rating)
                .bind(comment)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn request_transcript(
                &self,
                conversation_id: i64,
                email: &str,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE conversations SET email = $2, transcript_requested = $3 \
                     WHERE id = $1 AND kind = 'chat' AND email IS NULL",
                )
                .bind(conversation_id)
                .bind(email)
                .bind(true)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn take_transcript_request(
                &self,
                conversation_id: i64,
            ) -> $crate::store::StoreResult<Option<String>> {
                Ok(sqlx::query_scalar(
                    "UPDATE conversations SET transcript_requested = $2 WHERE id = $1 \
                     AND transcript_requested = $3 AND state = 'closed' AND email IS NOT NULL \
                     RETURNING email",
                )
                .bind(conversation_id)
                .bind(false)
                .bind(true)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn transcripts_due(&self) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM conversations WHERE transcript_requested = $1 \
                     AND state = 'closed' AND email IS NOT NULL ORDER BY id",
                )
                .bind(true)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn purge_closed_conversations(
                &self,
                before: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "DELETE FROM conversation_messages WHERE conversation_id IN \
                     (SELECT id FROM conversations WHERE state = 'closed' AND closed_at < $1)",
                )
                .bind(before)
                .execute(&mut *tx)
                .await?;
                let done = sqlx::query(
                    "DELETE FROM conversations WHERE state = 'closed' AND closed_at < $1",
                )
                .bind(before)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }
        }
    };
}

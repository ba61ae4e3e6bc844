//! The operators' inbox in the store: the conversations of an organisation's inbox as rows to
//! list, operators' availability and capacity, how many chats each has open, taking a chat
//! within capacity, transfers, canned answers and blocked chat sessions.

use super::{Conversation, StoreResult, Timestamp};
use async_trait::async_trait;

/// A conversation as the inbox lists it: the conversation and how many of the resident's
/// messages its operator has not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxRow {
    pub conversation: Conversation,
    pub unread: i64,
}

/// An operator's availability and capacity.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Presence {
    pub staff_id: i64,
    pub available: bool,
    pub capacity: i64,
    pub seen_at: Timestamp,
    pub changed_at: Timestamp,
}

/// An available operator of an organisation and the chats they have.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OperatorLoad {
    pub staff_id: i64,
    pub name: String,
    pub capacity: i64,
    /// Live chats they have open now.
    pub open_chats: i64,
    /// When they last took a chat (0 if never).
    pub last_taken_at: Timestamp,
}

/// A canned answer of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CannedAnswer {
    pub id: i64,
    pub provider_id: i64,
    pub title: String,
    pub body: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A member of staff to email: name and address.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OperatorContact {
    pub name: String,
    pub email: String,
}

#[async_trait]
pub trait Inbox: Send + Sync {
    /// The conversations of one organisation's inbox (every organisation's with `None`) that
    /// are waiting or open, and those closed since `closed_since`: urgent first, then waiting,
    /// then open, then closed; oldest in the queue first.
    async fn inbox_rows(
        &self,
        provider_id: Option<i64>,
        closed_since: Timestamp,
    ) -> StoreResult<Vec<InboxRow>>;
    /// How many operators of the organisation are available and were seen since `since`
    /// (a page of the inbox, or its live connection). The resident's chat reads "is anyone
    /// on" from this, with `since` two minutes ago.
    async fn operators_available(&self, provider_id: i64, since: Timestamp) -> StoreResult<i64>;
    async fn presence(&self, staff_id: i64) -> StoreResult<Option<Presence>>;
    /// Sets an operator available or away, with their capacity; they are seen now.
    async fn set_presence(
        &self,
        staff_id: i64,
        available: bool,
        capacity: i64,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Records that an operator is still in the inbox (away, with `capacity`, if they had no
    /// row yet).
    async fn touch_presence(&self, staff_id: i64, capacity: i64, now: Timestamp)
        -> StoreResult<()>;
    /// The organisation's available operators seen since `since`, with their open chats.
    async fn operator_loads(
        &self,
        provider_id: i64,
        since: Timestamp,
    ) -> StoreResult<Vec<OperatorLoad>>;
    /// How many live chats an operator has open.
    async fn open_chats(&self, staff_id: i64) -> StoreResult<i64>;
    /// The organisation's waiting live chats in the order they are offered: urgent first, then
    /// the longest waiting.
    async fn waiting_chats(&self, provider_id: i64) -> StoreResult<Vec<i64>>;
    /// Gives a waiting conversation to an operator if they have fewer than `capacity` live
    /// chats open (a reply thread does not count, and is not limited); false otherwise (taken
    /// by someone else first, ended, or no room). One statement: two operators taking the same
    /// conversation at once, one wins.
    async fn take_within(
        &self,
        conversation_id: i64,
        staff_id: i64,
        capacity: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Moves an open conversation to another operator, if they have room; false otherwise.
    async fn transfer_to(
        &self,
        conversation_id: i64,
        staff_id: i64,
        capacity: i64,
    ) -> StoreResult<bool>;
    /// Puts an open conversation back in the queue, in its old place (urgent first, then by
    /// when it first joined); false if it was not open.
    async fn requeue(&self, conversation_id: i64, now: Timestamp) -> StoreResult<bool>;
    /// The active operators (and admins) of an organisation, to email.
    async fn operator_contacts(&self, provider_id: i64) -> StoreResult<Vec<OperatorContact>>;
    async fn canned_answers(&self, provider_id: i64) -> StoreResult<Vec<CannedAnswer>>;
    async fn canned_answer(&self, id: i64) -> StoreResult<Option<CannedAnswer>>;
    async fn add_canned_answer(
        &self,
        provider_id: i64,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<i64>;
    async fn update_canned_answer(
        &self,
        id: i64,
        title: &str,
        body: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn delete_canned_answer(&self, id: i64) -> StoreResult<bool>;
    /// Blocks a chat session; false if it was already blocked.
    async fn block_session(
        &self,
        session_key: &str,
        reason: &str,
        staff_id: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn session_blocked(&self, session_key: &str) -> StoreResult<bool>;
    /// Records the online report a conversation became.
    async fn set_conversation_report(
        &self,
        conversation_id: i64,
        report_id: i64,
    ) -> StoreResult<()>;
}

/// The live chats an operator has open, as an SQL expression on the operator's id `$n`.
macro_rules! open_chats_sql {
    ($param:literal) => {
        concat!(
            "(SELECT COUNT(*) FROM conversations WHERE operator_id = ",
            $param,
            " AND state = 'open' AND kind = 'chat')"
        )
    };
}
pub(crate) use open_chats_sql;

/// An inbox row as read: the conversation and its unread count.
#[derive(sqlx::FromRow)]
pub(crate) struct UnreadRow {
    #[sqlx(flatten)]
    pub conversation: Conversation,
    pub unread: i64,
}

/// Takes a lock on an operator's presence row in the transaction `$tx` before their open chats
/// are counted, so two takes (or a take and a transfer) for one operator at once are counted
/// one after the other: under PostgreSQL's READ COMMITTED the second waits, then its count
/// sees the first. A write, so SQLite takes its one writer's lock here too. The inbox makes an
/// operator's row before they take anything, and transfers go only to available operators.
macro_rules! lock_operator {
    ($tx:ident, $staff_id:expr) => {
        sqlx::query("UPDATE operator_presence SET changed_at = changed_at WHERE staff_id = $1")
            .bind($staff_id)
            .execute(&mut *$tx)
            .await?;
    };
}
pub(crate) use lock_operator;

/// Implements `Inbox` for a backend's store with the SQL both backends share.
macro_rules! impl_inbox {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Inbox for $store {
            async fn inbox_rows(
                &self,
                provider_id: Option<i64>,
                closed_since: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<$crate::store::InboxRow>> {
                // The unread count is a column of the one query, not a query per row: the
                // list is reread on every change while operators work.
                let columns = $crate::store::conversations::CONVERSATION_COLUMNS.replacen(
                    " FROM conversations c ",
                    ", (SELECT COUNT(*) FROM conversation_messages u WHERE \
                     u.conversation_id = c.id AND u.author = 'resident' AND u.id > c.operator_read) \
                     AS unread FROM conversations c ",
                    1,
                );
                let rows: Vec<$crate::store::inbox::UnreadRow> = sqlx::query_as(&format!(
                    "SELECT {columns} WHERE ($1 IS NULL OR c.provider_id = $1) \
                     AND (c.state <> 'closed' OR c.closed_at >= $2) \
                     ORDER BY CASE WHEN c.state = 'closed' THEN 1 ELSE 0 END, \
                     c.urgent DESC, \
                     CASE c.state WHEN 'waiting' THEN 0 WHEN 'open' THEN 1 ELSE 2 END, \
                     c.queued_at, c.id LIMIT 500"
                ))
                .bind(provider_id)
                .bind(closed_since)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| $crate::store::InboxRow {
                        conversation: r.conversation,
                        unread: r.unread,
                    })
                    .collect())
            }

            async fn operators_available(
                &self,
                provider_id: i64,
                since: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM operator_presence p JOIN staff s ON s.id = p.staff_id \
                     WHERE s.provider_id = $1 AND s.active AND p.available AND p.seen_at >= $2",
                )
                .bind(provider_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn presence(
                &self,
                staff_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Presence>> {
                Ok(sqlx::query_as(
                    "SELECT staff_id, available, capacity, seen_at, changed_at \
                     FROM operator_presence WHERE staff_id = $1",
                )
                .bind(staff_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn set_presence(
                &self,
                staff_id: i64,
                available: bool,
                capacity: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO operator_presence (staff_id, available, capacity, seen_at, \
                     changed_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (staff_id) DO UPDATE \
                     SET available = $2, capacity = $3, seen_at = $4, changed_at = $4",
                )
                .bind(staff_id)
                .bind(available)
                .bind(capacity)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn touch_presence(
                &self,
                staff_id: i64,
                capacity: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO operator_presence (staff_id, available, capacity, seen_at, \
                     changed_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT (staff_id) DO UPDATE \
                     SET seen_at = $4",
                )
                .bind(staff_id)
                .bind(false)
                .bind(capacity)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn operator_loads(
                &self,
                provider_id: i64,
                since: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<$crate::store::OperatorLoad>> {
                Ok(sqlx::query_as(concat!(
                    "SELECT p.staff_id, s.name, p.capacity, ",
                    $crate::store::inbox::open_chats_sql!("p.staff_id"),
                    " AS open_chats, COALESCE((SELECT MAX(taken_at) FROM conversations \
                     WHERE operator_id = p.staff_id), 0) AS last_taken_at \
                     FROM operator_presence p JOIN staff s ON s.id = p.staff_id \
                     WHERE s.provider_id = $1 AND s.active AND p.available AND p.seen_at >= $2 \
                     ORDER BY s.name, p.staff_id"
                ))
                .bind(provider_id)
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn open_chats(&self, staff_id: i64) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(concat!(
                    "SELECT ",
                    $crate::store::inbox::open_chats_sql!("$1")
                ))
                .bind(staff_id)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn waiting_chats(
                &self,
                provider_id: i64,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM conversations WHERE provider_id = $1 AND kind = 'chat' \
                     AND state = 'waiting' ORDER BY urgent DESC, queued_at, id",
                )
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn take_within(
                &self,
                conversation_id: i64,
                staff_id: i64,
                capacity: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                $crate::store::inbox::lock_operator!(tx, staff_id);
                let done = sqlx::query(concat!(
                    "UPDATE conversations SET state = 'open', operator_id = $2, \
                     taken_at = COALESCE(taken_at, $3) WHERE id = $1 AND state = 'waiting' \
                     AND (kind = 'reply' OR ",
                    $crate::store::inbox::open_chats_sql!("$2"),
                    " < $4)"
                ))
                .bind(conversation_id)
                .bind(staff_id)
                .bind(now)
                .bind(capacity)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn transfer_to(
                &self,
                conversation_id: i64,
                staff_id: i64,
                capacity: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.pool.begin().await?;
                $crate::store::inbox::lock_operator!(tx, staff_id);
                let done = sqlx::query(concat!(
                    "UPDATE conversations SET operator_id = $2 WHERE id = $1 AND state = 'open' \
                     AND (kind = 'reply' OR ",
                    $crate::store::inbox::open_chats_sql!("$2"),
                    " < $3)"
                ))
                .bind(conversation_id)
                .bind(staff_id)
                .bind(capacity)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn requeue(
                &self,
                conversation_id: i64,
                _now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                // It keeps its `queued_at`: back in the queue, it is not put behind those who
                // came after it.
                let done = sqlx::query(
                    "UPDATE conversations SET state = 'waiting', operator_id = NULL \
                     WHERE id = $1 AND state = 'open'",
                )
                .bind(conversation_id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn operator_contacts(
                &self,
                provider_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::OperatorContact>> {
                Ok(sqlx::query_as(
                    "SELECT name, email FROM staff WHERE provider_id = $1 AND active \
                     AND can_operate ORDER BY name, id",
                )
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn canned_answers(
                &self,
                provider_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::CannedAnswer>> {
                Ok(sqlx::query_as(
                    "SELECT id, provider_id, title, body, created_at, updated_at \
                     FROM canned_answers WHERE provider_id = $1 ORDER BY title, id",
                )
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn canned_answer(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::CannedAnswer>> {
                Ok(sqlx::query_as(
                    "SELECT id, provider_id, title, body, created_at, updated_at \
                     FROM canned_answers WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn add_canned_answer(
                &self,
                provider_id: i64,
                title: &str,
                body: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO canned_answers (provider_id, title, body, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(provider_id)
                .bind(title)
                .bind(body)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn update_canned_answer(
                &self,
                id: i64,
                title: &str,
                body: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE canned_answers SET title = $2, body = $3, updated_at = $4 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(title)
                .bind(body)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_canned_answer(&self, id: i64) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM canned_answers WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn block_session(
                &self,
                session_key: &str,
                reason: &str,
                staff_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO chat_blocks (session_key, reason, staff_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (session_key) DO NOTHING",
                )
                .bind(session_key)
                .bind(reason)
                .bind(staff_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn session_blocked(&self, session_key: &str) -> $crate::store::StoreResult<bool> {
                let found: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM chat_blocks WHERE session_key = $1")
                        .bind(session_key)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(found > 0)
            }

            async fn set_conversation_report(
                &self,
                conversation_id: i64,
                report_id: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE conversations SET report_id = $2 WHERE id = $1")
                    .bind(conversation_id)
                    .bind(report_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}

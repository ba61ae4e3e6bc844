//! Conversations between residents and the contact centre: live web chats and residents'
//! replies to alerts, their messages, the queue and who has each conversation. Every message is
//! stored before anyone is shown it.

use super::{StoreResult, Timestamp};
use crate::domain::conversation::{Author, ConversationKind, ConversationState};
use async_trait::async_trait;

/// A conversation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Conversation {
    pub id: i64,
    /// The resident's unguessable token: never shown to anyone else, never logged.
    #[serde(skip)]
    pub token: String,
    pub kind: String,
    pub provider_id: i64,
    pub provider_name: String,
    pub alert_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub first_name: String,
    pub topic: String,
    pub email: Option<String>,
    pub state: String,
    pub operator_id: Option<i64>,
    pub operator_name: Option<String>,
    pub urgent: bool,
    pub urgent_words: String,
    pub outcome: Option<String>,
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    pub report_id: Option<i64>,
    #[serde(skip)]
    pub session_key: String,
    #[serde(skip)]
    pub client_key: String,
    pub resident_read: i64,
    pub operator_read: i64,
    pub transcript_requested: bool,
    pub created_at: Timestamp,
    pub queued_at: Timestamp,
    pub taken_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub abandoned: bool,
    pub last_message_at: Timestamp,
}

impl Conversation {
    pub fn kind(&self) -> ConversationKind {
        ConversationKind::parse(&self.kind).unwrap_or(ConversationKind::Chat)
    }

    pub fn state(&self) -> ConversationState {
        ConversationState::parse(&self.state).unwrap_or(ConversationState::Closed)
    }
}

/// A conversation about to be started.
#[derive(Debug, Clone, Default)]
pub struct NewConversation {
    pub token: String,
    pub kind: Option<ConversationKind>,
    pub provider_id: i64,
    pub alert_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub first_name: String,
    pub topic: String,
    pub email: Option<String>,
    pub session_key: String,
    pub client_key: String,
}

/// A message as stored, with the name of the member of staff who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub author: String,
    #[serde(skip)]
    pub staff_id: Option<i64>,
    /// The first name of the member of staff who wrote it (operators are known by it).
    pub staff_name: Option<String>,
    pub body: String,
    pub client_id: Option<String>,
    pub created_at: Timestamp,
}

impl Message {
    pub fn author(&self) -> Author {
        Author::parse(&self.author).unwrap_or(Author::System)
    }
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub author: Author,
    pub staff_id: Option<i64>,
    pub body: String,
    /// The sender's own id for it: the same id twice stores one message.
    pub client_id: Option<String>,
    /// Escalation phrases found in it: the conversation becomes urgent, with these added.
    pub urgent_words: Vec<String>,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    Stored(Message),
    /// Sent before with the same client id: the message stored then.
    Repeat(Message),
    /// The conversation is closed (a chat), or gone.
    Closed,
}

#[async_trait]
pub trait Conversations: Send + Sync {
    /// Starts a conversation, waiting for an operator, with its first message if any, in one
    /// transaction.
    async fn start_conversation(
        &self,
        conversation: &NewConversation,
        first: Option<&NewMessage>,
        now: Timestamp,
    ) -> StoreResult<Conversation>;
    async fn conversation(&self, id: i64) -> StoreResult<Option<Conversation>>;
    async fn conversation_by_token(&self, token: &str) -> StoreResult<Option<Conversation>>;
    /// Stores a message. A resident's message on a closed reply thread puts it back in the
    /// queue; on a closed chat it is refused. An operator's first message is the first
    /// response. Escalation phrases mark the conversation urgent, in the same transaction.
    async fn add_message(
        &self,
        conversation_id: i64,
        message: &NewMessage,
        now: Timestamp,
    ) -> StoreResult<Added>;
    /// Messages after `after_id`, oldest first; notes only when `with_notes`.
    async fn messages_after(
        &self,
        conversation_id: i64,
        after_id: i64,
        with_notes: bool,
    ) -> StoreResult<Vec<Message>>;
    /// Where a waiting chat is in its organisation's queue (1 is next: urgent first, then the
    /// longest waiting); None if it is not waiting.
    async fn queue_position(&self, conversation_id: i64) -> StoreResult<Option<i64>>;
    /// How long each chat of the organisation taken since `since` waited, in seconds.
    async fn recent_waits(&self, provider_id: i64, since: Timestamp) -> StoreResult<Vec<i64>>;
    /// Gives a waiting conversation to an operator; false if it was not waiting (someone else
    /// took it first, or it ended).
    async fn take_conversation(
        &self,
        conversation_id: i64,
        staff_id: i64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Ends a conversation with an outcome. `by_resident` when the resident ended it (or left
    /// it): it is abandoned if nobody had taken it, as the same statement sees it. False if it
    /// was already closed.
    async fn close_conversation(
        &self,
        conversation_id: i64,
        outcome: Option<&str>,
        by_resident: bool,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Records that one side has read up to a message (never moves back).
    async fn mark_read(
        &self,
        conversation_id: i64,
        by_resident: bool,
        message_id: i64,
    ) -> StoreResult<()>;
    /// The phrases that escalate a conversation, as admins keep them, alphabetically.
    async fn escalation_phrases(&self) -> StoreResult<Vec<String>>;
    /// Adds a phrase (already folded to lower case by the caller); false if it was there.
    async fn add_escalation_phrase(&self, phrase: &str, now: Timestamp) -> StoreResult<bool>;
    /// Removes a phrase; false if it was not there.
    async fn remove_escalation_phrase(&self, phrase: &str) -> StoreResult<bool>;
}

/// The columns of `Conversation`, from `conversations c` joined to providers and staff.
pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.token, c.kind, c.provider_id, \
    p.name AS provider_name, c.alert_id, c.subscriber_id, c.first_name, c.topic, c.email, \
    c.state, c.operator_id, o.name AS operator_name, c.urgent, c.urgent_words, c.outcome, \
    c.rating, c.rating_comment, c.report_id, c.session_key, c.client_key, c.resident_read, \
    c.operator_read, c.transcript_requested, c.created_at, c.queued_at, c.taken_at, \
    c.first_response_at, c.closed_at, c.abandoned, c.last_message_at \
    FROM conversations c JOIN providers p ON p.id = c.provider_id \
    LEFT JOIN staff o ON o.id = c.operator_id";

/// The columns of `Message`, from `conversation_messages m` joined to staff.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.conversation_id, m.author, m.staff_id, \
    s.name AS staff_name, m.body, m.client_id, m.created_at \
    FROM conversation_messages m LEFT JOIN staff s ON s.id = m.staff_id";

/// Adds escalation phrases to those already found, each once.
pub(crate) fn merged_words(existing: &str, found: &[String]) -> String {
    let mut words: Vec<String> = existing
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    for word in found {
        if !words.iter().any(|w| w == word) {
            words.push(word.clone());
        }
    }
    words.join(", ")
}

/// Implements `Conversations` for a backend's store with the SQL both backends share.
macro_rules! impl_conversations {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Conversations for $store {
            async fn start_conversation(
                &self,
                conversation: &$crate::store::NewConversation,
                first: Option<&$crate::store::NewMessage>,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<$crate::store::Conversation> {
                let mut tx = self.pool.begin().await?;
                let urgent_words = first
                    .map(|m| $crate::store::conversations::merged_words("", &m.urgent_words))
                    .unwrap_or_default();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO conversations (token, kind, provider_id, alert_id, \
                     subscriber_id, first_name, topic, email, state, urgent, urgent_words, \
                     session_key, client_key, created_at, queued_at, last_message_at) VALUES \
                     ($1, $2, $3, $4, $5, $6, $7, $8, 'waiting', $9, $10, $11, $12, $13, $13, \
                     $13) RETURNING id",
                )
                .bind(&conversation.token)
                .bind(
                    conversation
                        .kind
                        .unwrap_or($crate::domain::conversation::ConversationKind::Chat)
                        .as_str(),
                )
                .bind(conversation.provider_id)
                .bind(conversation.alert_id)
                .bind(conversation.subscriber_id)
                .bind(&conversation.first_name)
                .bind(&conversation.topic)
                .bind(&conversation.email)
                .bind(!urgent_words.is_empty())
                .bind(&urgent_words)
                .bind(&conversation.session_key)
                .bind(&conversation.client_key)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                if let Some(first) = first {
                    sqlx::query(
                        "INSERT INTO conversation_messages (conversation_id, author, staff_id, \
                         body, client_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(first.author.as_str())
                    .bind(first.staff_id)
                    .bind(&first.body)
                    .bind(&first.client_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let started: $crate::store::Conversation = sqlx::query_as(&format!(
                    "SELECT {} WHERE c.id = $1",
                    $crate::store::conversations::CONVERSATION_COLUMNS
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(started)
            }

            async fn conversation(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Conversation>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} WHERE c.id = $1",
                    $crate::store::conversations::CONVERSATION_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn conversation_by_token(
                &self,
                token: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::Conversation>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} WHERE c.token = $1",
                    $crate::store::conversations::CONVERSATION_COLUMNS
                ))
                .bind(token)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn add_message(
                &self,
                conversation_id: i64,
                message: &$crate::store::NewMessage,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<$crate::store::Added> {
                use $crate::domain::conversation::Author;
                let mut tx = self.pool.begin().await?;
                // Taking the conversation's row first serialises its writers (PostgreSQL);
                // SQLite has one writer.
                let row: Option<(String, String, String)> = sqlx::query_as(
                    "UPDATE conversations SET last_message_at = $2 WHERE id = $1 \
                     RETURNING kind, state, urgent_words",
                )
                .bind(conversation_id)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((kind, state, urgent_words)) = row else {
                    return Ok($crate::store::Added::Closed);
                };
                let mut client_id = message.client_id.clone();
                if let Some(given) = &message.client_id {
                    let earlier: Option<$crate::store::Message> = sqlx::query_as(&format!(
                        "SELECT {} WHERE m.conversation_id = $1 AND m.client_id = $2",
                        $crate::store::conversations::MESSAGE_COLUMNS
                    ))
                    .bind(conversation_id)
                    .bind(given)
                    .fetch_optional(&mut *tx)
                    .await?;
                    match earlier {
                        // Only the same author's message is a repeat: the other side's client
                        // ids are in the frames they receive, and must not fetch it.
                        Some(earlier) if earlier.author == message.author.as_str() => {
                            return Ok($crate::store::Added::Repeat(earlier));
                        }
                        // Someone else's id (each conversation's client ids are unique): this
                        // message is stored without one.
                        Some(_) => client_id = None,
                        None => {}
                    }
                }
                let closed = state == "closed";
                let reopen = closed && kind == "reply" && message.author == Author::Resident;
                if closed && !reopen && message.author != Author::Note {
                    return Ok($crate::store::Added::Closed);
                }
                if reopen {
                    sqlx::query(
                        "UPDATE conversations SET state = 'waiting', queued_at = $2, \
                         closed_at = NULL, outcome = NULL WHERE id = $1",
                    )
                    .bind(conversation_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                if !message.urgent_words.is_empty() {
                    sqlx::query(
                        "UPDATE conversations SET urgent = $2, urgent_words = $3 WHERE id = $1",
                    )
                    .bind(conversation_id)
                    .bind(true)
                    .bind($crate::store::conversations::merged_words(
                        &urgent_words,
                        &message.urgent_words,
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
                if message.author == Author::Operator {
                    sqlx::query(
                        "UPDATE conversations SET first_response_at = $2 \
                         WHERE id = $1 AND first_response_at IS NULL",
                    )
                    .bind(conversation_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO conversation_messages (conversation_id, author, staff_id, body, \
                     client_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(conversation_id)
                .bind(message.author.as_str())
                .bind(message.staff_id)
                .bind(&message.body)
                .bind(&client_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let stored: $crate::store::Message = sqlx::query_as(&format!(
                    "SELECT {} WHERE m.id = $1",
                    $crate::store::conversations::MESSAGE_COLUMNS
                ))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok($crate::store::Added::Stored(stored))
            }

            async fn messages_after(
                &self,
                conversation_id: i64,
                after_id: i64,
                with_notes: bool,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Message>> {
                Ok(sqlx::query_as(&format!(
                    "SELECT {} WHERE m.conversation_id = $1 AND m.id > $2 \
                     AND ($3 OR m.author <> 'note') ORDER BY m.id",
                    $crate::store::conversations::MESSAGE_COLUMNS
                ))
                .bind(conversation_id)
                .bind(after_id)
                .bind(with_notes)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn queue_position(
                &self,
                conversation_id: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM conversations o WHERE o.provider_id = \
                     c.provider_id AND o.kind = 'chat' AND o.state = 'waiting' AND (o.urgent > \
                     c.urgent OR (o.urgent = c.urgent AND (o.queued_at < c.queued_at OR \
                     (o.queued_at = c.queued_at AND o.id <= c.id))))) FROM conversations c \
                     WHERE c.id = $1 AND c.state = 'waiting'",
                )
                .bind(conversation_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn recent_waits(
                &self,
                provider_id: i64,
                since: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar(
                    // From the chat's start, as the figures count it: a chat put back in the
                    // queue keeps its first `taken_at`, so a wait never comes out negative.
                    "SELECT CASE WHEN taken_at > created_at THEN taken_at - created_at ELSE 0 END \
                     FROM conversations WHERE provider_id = $1 \
                     AND kind = 'chat' AND taken_at IS NOT NULL AND taken_at >= $2 \
                     ORDER BY taken_at",
                )
                .bind(provider_id)
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn take_conversation(
                &self,
                conversation_id: i64,
                staff_id: i64,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE conversations SET state = 'open', operator_id = $2, \
                     taken_at = COALESCE(taken_at, $3) WHERE id = $1 AND state = 'waiting'",
                )
                .bind(conversation_id)
                .bind(staff_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn close_conversation(
                &self,
                conversation_id: i64,
                outcome: Option<&str>,
                by_resident: bool,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE conversations SET state = 'closed', outcome = $2, \
                     abandoned = ($3 AND state = 'waiting'), closed_at = $4 \
                     WHERE id = $1 AND state <> 'closed'",
                )
                .bind(conversation_id)
                .bind(outcome)
                .bind(by_resident)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn mark_read(
                &self,
                conversation_id: i64,
                by_resident: bool,
                message_id: i64,
            ) -> $crate::store::StoreResult<()> {
                let sql = if by_resident {
                    "UPDATE conversations SET resident_read = $2 WHERE id = $1 AND resident_read < $2"
                } else {
                    "UPDATE conversations SET operator_read = $2 WHERE id = $1 AND operator_read < $2"
                };
                sqlx::query(sql)
                    .bind(conversation_id)
                    .bind(message_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn escalation_phrases(&self) -> $crate::store::StoreResult<Vec<String>> {
                Ok(
                    sqlx::query_scalar("SELECT phrase FROM escalation_phrases ORDER BY phrase")
                        .fetch_all(&self.pool)
                        .await?,
                )
            }

            async fn add_escalation_phrase(
                &self,
                phrase: &str,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "INSERT INTO escalation_phrases (phrase, added_at) VALUES ($1, $2) \
                     ON CONFLICT (phrase) DO NOTHING",
                )
                .bind(phrase)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn remove_escalation_phrase(
                &self,
                phrase: &str,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM escalation_phrases WHERE phrase = $1")
                    .bind(phrase)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

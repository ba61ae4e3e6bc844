//! A resident's live web chat, without an account: starting one (into the chat organisation's
//! queue, when someone is there to answer), its place in the queue and expected wait, sending
//! as the resident, typing and read state, ending it, rating it, and its transcript by email.
//! Every message is stored before anyone is told of it (`ctx.live`).

pub use super::chat_transcript::{
    author_name, clock, first_word, send_due_transcripts, send_transcript_if_requested,
    TranscriptLine,
};
use super::AppContext;
use crate::domain::conversation::hours::OpeningHours;
use crate::domain::conversation::{
    escalation_words, message_text, wait, Author, ConversationKind, ConversationState,
    MessageProblem,
};
use crate::domain::subscriber::FieldErrors;
use crate::domain::{mask, EmailAddress, Provider};
use crate::services::live::LiveEvent;
use crate::services::tokens::{random_id, sha256_hex};
use crate::store::{Added, Conversation, Message, NewConversation, NewMessage, StoreError};

/// Longest first name a resident may give, in characters.
pub const MAX_NAME_CHARS: usize = 60;
/// Longest "what it is about", in characters.
pub const MAX_TOPIC_CHARS: usize = 200;
/// Longest comment with a rating, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;
/// An operator counts as there if their inbox was seen this recently.
pub const PRESENCE_SECONDS: i64 = 120;
/// Recent waits, for the expected wait: this far back.
const RECENT_WAITS_SECONDS: i64 = 7 * 86_400;
/// Longest client id a sender may give a message.
const MAX_CLIENT_ID_CHARS: usize = 100;

/// The form fields problems are reported against.
pub mod field {
    pub const NAME: &str = "first_name";
    pub const TOPIC: &str = "topic";
    pub const BODY: &str = "body";
    pub const RATING: &str = "rating";
    pub const COMMENT: &str = "comment";
    pub const EMAIL: &str = "email";
}

/// Why chat cannot take a new conversation now, in words for the resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Outside the opening hours: when it next opens, in words ("tomorrow at 08:00").
    Closed { reopens: Option<String> },
    /// Within the hours, but no operator is there.
    NobodyOn { reopens: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Message(MessageProblem),
    #[error("chat is not open now")]
    Unavailable(Unavailable),
    #[error("{0}")]
    RateLimited(&'static str),
    #[error("You cannot start a chat from this browser. If someone is in danger now, call 999. Otherwise call 101, or report online.")]
    Blocked,
    #[error("This chat has ended: messages can no longer be sent in it.")]
    Ended,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ChatError {
    fn from(error: StoreError) -> Self {
        ChatError::Unexpected(error.into())
    }
}

const TOO_MANY_CHATS: &str = "A lot of chats have been started from your connection in the last \
    hour. Wait a while and try again. If someone is in danger now, call 999; otherwise call 101.";
const TOO_MANY_MESSAGES: &str =
    "You are sending messages very quickly. Wait a minute, then send your message again.";

/// A keyed hash of something about a resident (their browser session, their address), so the
/// database holds no raw address and a session can be recognised without being stored.
pub fn keyed_hash(ctx: &AppContext, purpose: &str, value: &str) -> String {
    sha256_hex(&ctx.signer.sign(purpose, &[&value.replace(':', "_")]))
}

/// The organisation that answers live chats: `chat.provider`, or the first by position.
pub async fn chat_provider(ctx: &AppContext) -> Result<Provider, ChatError> {
    let providers = ctx.store.providers().await?;
    let slug = ctx.settings.chat.provider.trim();
    providers
        .iter()
        .find(|p| !slug.is_empty() && p.slug == slug)
        .or_else(|| providers.iter().find(|p| !p.archived))
        .or_else(|| providers.first())
        .cloned()
        .ok_or_else(|| ChatError::Unexpected(anyhow::anyhow!("no organisation answers chats")))
}

fn opening_hours(ctx: &AppContext) -> OpeningHours {
    // Checked when the settings were loaded.
    OpeningHours::parse(&ctx.settings.chat.opening_hours).unwrap_or_default()
}

/// Whether a new chat would be answered now: within the opening hours, with an operator there.
pub async fn availability(ctx: &AppContext, provider_id: i64) -> Result<(), ChatError> {
    let now = chrono::Utc::now();
    let hours = opening_hours(ctx);
    let reopens = hours.next_opening_in_words(&now);
    if !hours.is_open(&now) {
        return Err(ChatError::Unavailable(Unavailable::Closed { reopens }));
    }
    let there = ctx
        .store
        .operators_available(provider_id, now.timestamp() - PRESENCE_SECONDS)
        .await?;
    if there == 0 {
        return Err(ChatError::Unavailable(Unavailable::NobodyOn { reopens }));
    }
    Ok(())
}

/// The opening hours as written in the settings, for the page ("" when always open).
pub fn hours_text(ctx: &AppContext) -> String {
    ctx.settings.chat.opening_hours.trim().to_owned()
}

/// A chat about to be started, as the resident filled in the form.
#[derive(Debug, Clone, Default)]
pub struct StartInput {
    pub first_name: String,
    pub topic: String,
}

fn plain_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fn checked(input: &StartInput) -> Result<(String, String), ChatError> {
    let mut errors = FieldErrors::default();
    let name = input.first_name.trim();
    if name.chars().count() > MAX_NAME_CHARS {
        errors.add(
            field::NAME,
            "Your first name must be 60 characters or fewer",
        );
    } else if !plain_line(name) {
        errors.add(
            field::NAME,
            "Your first name has characters we cannot store: type it again",
        );
    }
    let topic = input.topic.trim();
    if topic.is_empty() {
        errors.add(field::TOPIC, "Say what your chat is about");
    } else if topic.chars().count() > MAX_TOPIC_CHARS {
        errors.add(
            field::TOPIC,
            "What it is about must be 200 characters or fewer",
        );
    } else if !plain_line(topic) {
        errors.add(
            field::TOPIC,
            "What it is about has characters we cannot store: write it again as plain text",
        );
    }
    if errors.is_empty() {
        Ok((name.to_owned(), topic.to_owned()))
    } else {
        Err(ChatError::Invalid(errors))
    }
}

/// Starts a chat in the chat organisation's queue, with what it is about as its first message;
/// `session` is the resident's browser session (its cookie), `client_ip` their address. Refused
/// with a reason when the session is blocked, nobody would answer, or the address has started
/// too many chats lately.
pub async fn start_chat(
    ctx: &AppContext,
    input: &StartInput,
    session: &str,
    client_ip: &str,
) -> Result<Conversation, ChatError> {
    let (first_name, topic) = checked(input)?;
    let session_key = keyed_hash(ctx, "chat-session", session);
    if ctx.store.session_blocked(&session_key).await? {
        return Err(ChatError::Blocked);
    }
    let provider = chat_provider(ctx).await?;
    availability(ctx, provider.id).await?;
    let now = chrono::Utc::now().timestamp();
    let client_key = keyed_hash(ctx, "chat-client", client_ip);
    let started = ctx
        .store
        .chats_started_since(&client_key, now - 3_600)
        .await?;
    if started >= i64::from(ctx.settings.chat.chats_per_hour) {
        return Err(ChatError::RateLimited(TOO_MANY_CHATS));
    }
    let phrases = ctx.store.escalation_phrases().await?;
    let urgent_words: Vec<String> = escalation_words(&topic, &phrases)
        .into_iter()
        .map(String::from)
        .collect();
    let escalation = urgent_words.clone();
    let conversation = NewConversation {
        token: random_id(),
        kind: Some(ConversationKind::Chat),
        provider_id: provider.id,
        first_name,
        topic: topic.clone(),
        session_key,
        client_key,
        ..NewConversation::default()
    };
    let first = NewMessage {
        author: Author::Resident,
        staff_id: None,
        body: topic,
        client_id: None,
        urgent_words,
    };
    let started = ctx
        .store
        .start_conversation(&conversation, Some(&first), now)
        .await?;
    tracing::info!(
        conversation = started.id,
        provider = provider.id,
        urgent = started.urgent,
        "chat started"
    );
    if escalation.is_empty() {
        ctx.live
            .publish(LiveEvent::Changed {
                conversation: started.id,
                provider: started.provider_id,
            })
            .await;
    } else {
        escalate(ctx, &started, &escalation).await;
    }
    Ok(started)
}

/// A client id as the sender gave it, if it is a sensible one.
fn client_id(given: Option<&str>) -> Option<String> {
    given
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.chars().count() <= MAX_CLIENT_ID_CHARS
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_owned)
}

/// Live connections one chat may have open in one web process (tabs, and a connection that
/// dropped without the server knowing yet): one link cannot take every connection there is.
pub const LIVE_PER_CHAT: usize = 8;

/// Sends a message as the resident: checked, escalation phrases found (the chat becomes
/// urgent), stored once per client id, then announced.
pub async fn send_as_resident(
    ctx: &AppContext,
    conversation: &Conversation,
    body: &str,
    client_id_given: Option<&str>,
) -> Result<Message, ChatError> {
    let body = message_text(body).map_err(ChatError::Message)?;
    if conversation.kind() == ConversationKind::Chat
        && conversation.state() == ConversationState::Closed
    {
        return Err(ChatError::Ended);
    }
    let limit_key = format!("chat:{}", conversation.id);
    if !ctx
        .chat_messages
        .allow(&limit_key, ctx.settings.chat.messages_per_minute)
    {
        return Err(ChatError::RateLimited(TOO_MANY_MESSAGES));
    }
    let phrases = ctx.store.escalation_phrases().await?;
    let urgent_words: Vec<String> = escalation_words(&body, &phrases)
        .into_iter()
        .map(String::from)
        .collect();
    let becomes_urgent = !urgent_words.is_empty() && !conversation.urgent;
    let message = NewMessage {
        author: Author::Resident,
        staff_id: None,
        body,
        client_id: client_id(client_id_given),
        urgent_words: urgent_words.clone(),
    };
    let now = chrono::Utc::now().timestamp();
    match ctx
        .store
        .add_message(conversation.id, &message, now)
        .await?
    {
        Added::Stored(stored) => {
            ctx.live
                .publish(LiveEvent::Message {
                    conversation: conversation.id,
                    provider: conversation.provider_id,
                    message: stored.id,
                })
                .await;
            let reopened = conversation.state() == ConversationState::Closed;
            if becomes_urgent {
                escalate(ctx, conversation, &urgent_words).await;
            } else if reopened {
                ctx.live
                    .publish(LiveEvent::Changed {
                        conversation: conversation.id,
                        provider: conversation.provider_id,
                    })
                    .await;
            }
            Ok(stored)
        }
        Added::Repeat(earlier) => {
            ctx.chat_messages.release(&limit_key);
            Ok(earlier)
        }
        Added::Closed => Err(ChatError::Ended),
    }
}

/// Tells on-duty operators (or, with nobody on, emails them) that a conversation has become
/// urgent. The resident's message is stored already: a failure here is logged, not theirs.
pub(crate) async fn escalate(ctx: &AppContext, conversation: &Conversation, words: &[String]) {
    if let Err(error) = super::inbox::escalated(ctx, conversation, words).await {
        tracing::warn!(
            conversation = conversation.id,
            error = %error,
            "could not tell the operators about an urgent conversation"
        );
    }
}

/// The resident is typing.
pub async fn typing(ctx: &AppContext, conversation: &Conversation) {
    ctx.live
        .publish(LiveEvent::Typing {
            conversation: conversation.id,
            resident: true,
        })
        .await;
}

/// The resident has read up to `message_id`.
pub async fn read(
    ctx: &AppContext,
    conversation: &Conversation,
    message_id: i64,
) -> Result<(), ChatError> {
    ctx.store
        .mark_read(conversation.id, true, message_id)
        .await?;
    ctx.live
        .publish(LiveEvent::Read {
            conversation: conversation.id,
            resident: true,
            message: message_id,
        })
        .await;
    Ok(())
}

/// Where a conversation is, for the resident's state line and frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatState {
    pub state: ConversationState,
    pub position: Option<i64>,
    pub wait_seconds: Option<i64>,
    pub operator: Option<String>,
    /// Waiting, and no operator of the organisation is available any more.
    pub nobody_available: bool,
}

/// The state line of a waiting chat when every operator has gone.
pub const NOBODY_AVAILABLE: &str = "Nobody is available to answer now. You can keep waiting, \
    call 101, or report it online at /report. If someone is in danger now, call 999.";

impl ChatState {
    /// The state in words: the queue line, who is chatting, or that it has ended.
    pub fn line(&self, kind: ConversationKind) -> String {
        match (self.state, kind) {
            (ConversationState::Closed, _) => "This chat has ended.".to_owned(),
            (ConversationState::Open, _) => match &self.operator {
                Some(name) => format!("You are chatting with {name}."),
                None => "You are chatting with an operator.".to_owned(),
            },
            (ConversationState::Waiting, ConversationKind::Reply) => {
                "Your message has been sent. Someone will answer by email.".to_owned()
            }
            (ConversationState::Waiting, ConversationKind::Chat) if self.nobody_available => {
                NOBODY_AVAILABLE.to_owned()
            }
            (ConversationState::Waiting, ConversationKind::Chat) => match self.position {
                Some(position) => format!(
                    "{}. Please stay on this page.",
                    wait::queue_line(position, self.wait_seconds)
                ),
                None => "Waiting for an operator.".to_owned(),
            },
        }
    }

    /// The state frame of the live protocol.
    pub fn frame(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "state",
            "state": self.state.as_str(),
            "position": self.position,
            "wait_seconds": self.wait_seconds,
            "operator": self.operator,
            "nobody_available": self.nobody_available,
            // The words for it, so that the page says exactly what the server would.
            "notice": (self.state == ConversationState::Waiting && self.nobody_available)
                .then_some(NOBODY_AVAILABLE),
        })
    }
}

/// Where the conversation is now: its place in the queue and expected wait while waiting, its
/// operator once taken.
pub async fn chat_state(
    ctx: &AppContext,
    conversation: &Conversation,
) -> Result<ChatState, ChatError> {
    let state = conversation.state();
    let mut position = None;
    let mut wait_seconds = None;
    let mut nobody_available = false;
    if state == ConversationState::Waiting && conversation.kind() == ConversationKind::Chat {
        // Those ahead who left the queue are no longer counted (a cheap query: few wait).
        close_left_chats(
            ctx,
            Some(conversation.provider_id),
            chrono::Utc::now().timestamp(),
        )
        .await?;
        position = ctx.store.queue_position(conversation.id).await?;
        if let Some(position) = position {
            let now = chrono::Utc::now().timestamp();
            let waits = ctx
                .store
                .recent_waits(conversation.provider_id, now - RECENT_WAITS_SECONDS)
                .await?;
            let operators = ctx
                .store
                .operators_available(conversation.provider_id, now - PRESENCE_SECONDS)
                .await?;
            wait_seconds = wait::expected_wait(&waits, position, operators);
            nobody_available = operators == 0;
        }
    }
    let operator = match state {
        ConversationState::Open => conversation.operator_name.as_deref().map(first_word),
        _ => None,
    };
    Ok(ChatState {
        state,
        position,
        wait_seconds,
        operator,
        nobody_available,
    })
}

/// A waiting chat with no message and no sign of the resident (their page, their live
/// connection) for this long is closed as abandoned: they have left the queue.
pub const LEFT_WAITING_SECONDS: i64 = 15 * 60;
/// An open chat with no message for this long is closed: the resident stopped replying.
pub const LEFT_OPEN_SECONDS: i64 = 24 * 3_600;
const LEFT_QUEUE_LINE: &str = "This chat has ended: nobody had it open for 15 minutes.";
const STOPPED_LINE: &str = "This chat has ended: there has been no message for 24 hours.";

/// Records that the resident has their chat open (its page, or its live connection).
pub async fn resident_seen(ctx: &AppContext, conversation: &Conversation) {
    let now = chrono::Utc::now().timestamp();
    if let Err(error) = ctx.store.resident_seen(conversation.id, now).await {
        tracing::warn!(error = %error, "could not record that a chat is open");
    }
}

/// Closes the live chats (of one organisation, or all) their residents left: waiting ones
/// nobody has open as abandoned, open ones idle for a day as `no-reply`, each with a line
/// saying why; a transcript asked for goes. How many.
pub async fn close_left_chats(
    ctx: &AppContext,
    provider: Option<i64>,
    now: i64,
) -> Result<usize, StoreError> {
    let waiting_before = now - LEFT_WAITING_SECONDS;
    let open_before = now - LEFT_OPEN_SECONDS;
    let mut closed = 0;
    for id in ctx
        .store
        .left_chats(provider, waiting_before, open_before)
        .await?
    {
        let Some(left) = ctx
            .store
            .close_left_chat(
                id,
                waiting_before,
                open_before,
                (LEFT_QUEUE_LINE, STOPPED_LINE),
                now,
            )
            .await?
        else {
            continue;
        };
        closed += 1;
        tracing::info!(
            conversation = id,
            abandoned = left.abandoned,
            "left chat closed"
        );
        ctx.live
            .publish(LiveEvent::Message {
                conversation: id,
                provider: left.provider_id,
                message: left.message_id,
            })
            .await;
        ctx.live
            .publish(LiveEvent::Changed {
                conversation: id,
                provider: left.provider_id,
            })
            .await;
        if let Err(error) = send_transcript_if_requested(ctx, id).await {
            tracing::warn!(error = %error, "could not send a chat's transcript");
        }
    }
    Ok(closed)
}

/// Ends the chat for the resident (abandoned if nobody took it); the transcript goes if asked
/// for. False if it had already ended.
pub async fn end_chat(ctx: &AppContext, conversation: &Conversation) -> Result<bool, ChatError> {
    if conversation.state() == ConversationState::Closed {
        return Ok(false);
    }
    let now = chrono::Utc::now().timestamp();
    let who = if conversation.first_name.is_empty() {
        "The resident".to_owned()
    } else {
        conversation.first_name.clone()
    };
    let left = NewMessage {
        author: Author::System,
        staff_id: None,
        body: format!("{who} ended the chat."),
        client_id: None,
        urgent_words: Vec::new(),
    };
    if let Added::Stored(message) = ctx.store.add_message(conversation.id, &left, now).await? {
        ctx.live
            .publish(LiveEvent::Message {
                conversation: conversation.id,
                provider: conversation.provider_id,
                message: message.id,
            })
            .await;
    }
    // Whether nobody had taken it is decided by the closing statement itself: an operator
    // may have taken it since this page was read.
    let ended = ctx
        .store
        .close_conversation(conversation.id, None, true, now)
        .await?;
    if ended {
        tracing::info!(conversation = conversation.id, "chat ended by the resident");
        ctx.live
            .publish(LiveEvent::Changed {
                conversation: conversation.id,
                provider: conversation.provider_id,
            })
            .await;
        send_transcript_if_requested(ctx, conversation.id).await?;
    }
    Ok(ended)
}

/// Keeps the resident's rating (1 to 5) of an ended chat, with an optional comment.
pub async fn rate(
    ctx: &AppContext,
    conversation: &Conversation,
    rating: &str,
    comment: &str,
) -> Result<bool, ChatError> {
    let mut errors = FieldErrors::default();
    let rating = match rating.trim().parse::<i64>() {
        Ok(r) if (1..=5).contains(&r) => r,
        _ => {
            errors.add(field::RATING, "Choose a rating from 1 to 5");
            0
        }
    };
    let comment = comment.trim().replace("\r\n", "\n");
    if comment.chars().count() > MAX_COMMENT_CHARS {
        errors.add(
            field::COMMENT,
            "Your comment must be 1,000 characters or fewer",
        );
    } else if comment
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        errors.add(
            field::COMMENT,
            "Your comment has characters we cannot store: write it again as plain text",
        );
    }
    if !errors.is_empty() {
        return Err(ChatError::Invalid(errors));
    }
    let comment = (!comment.is_empty()).then_some(comment);
    Ok(ctx
        .store
        .rate_conversation(conversation.id, rating, comment.as_deref())
        .await?)
}

/// Asks for the transcript at `email`: sent when the chat ends, or now if it has. True if it
/// was sent now.
pub async fn request_transcript(
    ctx: &AppContext,
    conversation: &Conversation,
    email: &str,
) -> Result<bool, ChatError> {
    let Ok(address) = EmailAddress::parse(email.trim()) else {
        let mut errors = FieldErrors::default();
        errors.add(
            field::EMAIL,
            "Enter an email address in the correct format, like name@example.com",
        );
        return Err(ChatError::Invalid(errors));
    };
    if conversation.kind() != ConversationKind::Chat {
        let mut errors = FieldErrors::default();
        errors.add(
            field::EMAIL,
            "Answers to this conversation already come by email: there is no transcript to ask for",
        );
        return Err(ChatError::Invalid(errors));
    }
    let asked = ctx
        .store
        .request_transcript(conversation.id, address.as_str())
        .await?;
    if !asked {
        // Asked before: the address is never changed, so a chat's link cannot be used to
        // send its text to one address after another.
        let before = ctx
            .store
            .conversation(conversation.id)
            .await?
            .and_then(|c| c.email)
            .map(|email| mask::email(&email))
            .unwrap_or_default();
        let mut errors = FieldErrors::default();
        errors.add(
            field::EMAIL,
            format!("A transcript is already on its way to {before}"),
        );
        return Err(ChatError::Invalid(errors));
    }
    Ok(send_transcript_if_requested(ctx, conversation.id).await?)
}

/// Deletes closed conversations past their keeping time (`chat.retention_days` after they
/// ended); how many.
pub async fn purge_closed(ctx: &AppContext, now: i64) -> anyhow::Result<u64> {
    let before = now - ctx.settings.chat.retention_days * 86_400;
    Ok(ctx.store.purge_closed_conversations(before).await?)
}

/// Checks the chat settings the domain's rules read (the opening hours), when Beacon starts:
/// a mistake stops it with the setting named, rather than a chat page that cannot say when
/// chat is open.
pub fn check_settings(settings: &crate::config::ChatSettings) -> anyhow::Result<()> {
    if let Err(problem) = OpeningHours::parse(&settings.opening_hours) {
        anyhow::bail!("chat.opening_hours: {problem}");
    }
    Ok(())
}

/// A resident's conversation, by the token in their link.
pub async fn by_token(ctx: &AppContext, token: &str) -> Result<Option<Conversation>, StoreError> {
    ctx.store.conversation_by_token(token).await
}

/// A conversation as it is now.
pub async fn current(ctx: &AppContext, id: i64) -> Result<Option<Conversation>, StoreError> {
    ctx.store.conversation(id).await
}

/// The messages of a conversation the resident is shown (never an operator's notes), after
/// the message `after`, oldest first.
pub async fn shown_messages(
    ctx: &AppContext,
    id: i64,
    after: i64,
) -> Result<Vec<Message>, StoreError> {
    ctx.store.messages_after(id, after, false).await
}

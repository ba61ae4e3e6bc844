//! The operators' inbox: one list of an organisation's conversations (live chats, and
//! residents' replies threaded under the alert they answer), operators' availability and
//! capacity, offering waiting chats fairly, taking, transferring, closing and blocking,
//! messages and internal notes, canned answers, making an online report from a chat, and
//! keyword escalation (`escalated`). Every action is audited and announced on the live hub.

use super::live::LiveEvent;
use super::messages::sender_domain;
use super::staff::{audit, Actor};
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::domain::conversation::{self, Author, ConversationKind, ConversationState};
use crate::domain::mask;
use crate::store::{
    Added, CannedAnswer, Conversation, InboxRow, Message, NewMessage, NewOutbound, OperatorLoad,
    OutboundChannel, Presence, StaffMember, StoreResult,
};
use anyhow::Context;

/// An operator counts as on duty if seen in the inbox this recently (seconds): a page view or
/// their live connection's keepalive (every 20 seconds).
pub const PRESENCE_WINDOW_SECS: i64 = 120;
/// Closed conversations stay in the list this long (seconds).
pub const RECENTLY_CLOSED_SECS: i64 = 24 * 3600;
/// The most chats at once an operator may set.
pub const MAX_CAPACITY: i64 = 20;
/// Longest canned answer title and body, in characters.
pub const MAX_CANNED_TITLE: usize = 100;
pub const MAX_CANNED_BODY: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// No such conversation, or one of another organisation (refused and audited).
    #[error("not found")]
    NotFound,
    /// The action cannot be done now; the words say why, for the operator.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for InboxError {
    fn from(error: crate::store::StoreError) -> Self {
        InboxError::Unexpected(error.into())
    }
}

type InboxResult<T> = Result<T, InboxError>;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The first name an operator is known by to residents.
pub fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_owned()
}

fn subject(conversation: &Conversation) -> String {
    format!("conversation {}", conversation.id)
}

/// Whether `staff` may see conversations of `provider_id`: their own organisation's, or any
/// for an admin.
pub fn may_see(staff: &StaffMember, provider_id: i64) -> bool {
    staff.permissions.admin || staff.provider_id == provider_id
}

/// A conversation `staff` may work on; another organisation's is refused (audited) as not
/// found.
pub async fn conversation_for(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
) -> InboxResult<Conversation> {
    let conversation = ctx
        .store
        .conversation(id)
        .await?
        .ok_or(InboxError::NotFound)?;
    if !may_see(staff, conversation.provider_id) {
        audit(
            ctx,
            actor,
            "open-conversation",
            &subject(&conversation),
            "another organisation's conversation",
            true,
        )
        .await?;
        return Err(InboxError::NotFound);
    }
    Ok(conversation)
}

/// An operator's presence, as stored or the defaults (away).
pub async fn presence(ctx: &AppContext, staff: &StaffMember) -> InboxResult<Presence> {
    Ok(ctx
        .store
        .presence(staff.id)
        .await?
        .unwrap_or_else(|| Presence {
            staff_id: staff.id,
            available: false,
            capacity: default_capacity(ctx),
            seen_at: 0,
            changed_at: 0,
        }))
}

fn default_capacity(ctx: &AppContext) -> i64 {
    ctx.settings.chat.default_capacity.clamp(1, MAX_CAPACITY)
}

/// Records that an operator is in the inbox now (a page view, their live connection).
pub async fn seen(ctx: &AppContext, staff: &StaffMember) -> InboxResult<()> {
    ctx.store
        .touch_presence(staff.id, default_capacity(ctx), now())
        .await?;
    Ok(())
}

/// Sets an operator available or away with their capacity (1 to 20 chats at once).
pub async fn set_presence(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    available: bool,
    capacity: &str,
) -> InboxResult<()> {
    let capacity: i64 = match capacity.trim().parse() {
        Ok(c) if (1..=MAX_CAPACITY).contains(&c) => c,
        _ => {
            return Err(InboxError::Refused(format!(
                "Enter how many chats you can take at once, from 1 to {MAX_CAPACITY}"
            )))
        }
    };
    ctx.store
        .set_presence(staff.id, available, capacity, now())
        .await?;
    let words = if available { "available" } else { "away" };
    audit(
        ctx,
        actor,
        "set-presence",
        "inbox",
        &format!("{words}, {capacity} chats at once"),
        false,
    )
    .await?;
    ctx.live
        .publish(LiveEvent::Presence {
            provider: staff.provider_id,
        })
        .await;
    Ok(())
}

/// The inbox as an operator sees it.
pub struct InboxView {
    pub rows: Vec<InboxRow>,
    /// Titles of the alerts replies answer, by alert id.
    pub alert_titles: std::collections::BTreeMap<i64, String>,
    pub presence: Presence,
    pub open_chats: i64,
    /// The waiting chat offered to this operator first, if any.
    pub offer: Option<i64>,
}

/// An operator's inbox: their organisation's conversations (every organisation's for an
/// admin), and the chat offered to them. Viewing it counts as being seen.
pub async fn inbox(ctx: &AppContext, staff: &StaffMember) -> InboxResult<InboxView> {
    seen(ctx, staff).await?;
    let now = now();
    let scope = (!staff.permissions.admin).then_some(staff.provider_id);
    let rows = ctx
        .store
        .inbox_rows(scope, now - RECENTLY_CLOSED_SECS)
        .await?;
    let mut alert_titles = std::collections::BTreeMap::new();
    for row in &rows {
        if let Some(alert_id) = row.conversation.alert_id {
            if let std::collections::btree_map::Entry::Vacant(entry) = alert_titles.entry(alert_id)
            {
                if let Some(alert) = ctx.store.alert(alert_id).await? {
                    entry.insert(alert.content.title);
                }
            }
        }
    }
    Ok(InboxView {
        rows,
        alert_titles,
        presence: presence(ctx, staff).await?,
        open_chats: ctx.store.open_chats(staff.id).await?,
        offer: offer_for(ctx, staff).await?,
    })
}

/// The waiting chat this operator is offered first, if any. Computed afresh from the store on
/// every inbox view and live event, without timers: the organisation's waiting chats, in queue
/// order (urgent first, then the longest waiting), are dealt one at a time to the available
/// operator with room who has the fewest chats open (ties: who took a chat least recently,
/// then the lower id); this operator is offered the first chat dealt to them.
pub async fn offer_for(ctx: &AppContext, staff: &StaffMember) -> InboxResult<Option<i64>> {
    let provider = staff.provider_id;
    let waiting = ctx.store.waiting_chats(provider).await?;
    if waiting.is_empty() {
        return Ok(None);
    }
    let mut loads = ctx
        .store
        .operator_loads(provider, now() - PRESENCE_WINDOW_SECS)
        .await?;
    for chat in waiting {
        let Some(next) = loads
            .iter_mut()
            .filter(|l| l.open_chats < l.capacity)
            .min_by_key(|l| (l.open_chats, l.last_taken_at, l.staff_id))
        else {
            return Ok(None);
        };
        if next.staff_id == staff.id {
            return Ok(Some(chat));
        }
        next.open_chats += 1;
    }
    Ok(None)
}

/// Stores a message and tells the hub: the message, and whether it is new (not a repeat of
/// one sent with the same client id); `None` if the conversation is closed.
async fn post(
    ctx: &AppContext,
    conversation: &Conversation,
    message: NewMessage,
) -> InboxResult<Option<(Message, bool)>> {
    let stored = match ctx
        .store
        .add_message(conversation.id, &message, now())
        .await?
    {
        Added::Stored(m) => m,
        Added::Repeat(m) => return Ok(Some((m, false))),
        Added::Closed => return Ok(None),
    };
    ctx.live
        .publish(LiveEvent::Message {
            conversation: conversation.id,
            provider: conversation.provider_id,
            message: stored.id,
        })
        .await;
    Ok(Some((stored, true)))
}

async fn system(ctx: &AppContext, conversation: &Conversation, text: &str) -> InboxResult<()> {
    post(
        ctx,
        conversation,
        NewMessage {
            author: Author::System,
            staff_id: None,
            body: text.to_owned(),
            client_id: None,
            urgent_words: Vec::new(),
        },
    )
    .await?;
    Ok(())
}

async fn changed(ctx: &AppContext, conversation: &Conversation) {
    ctx.live
        .publish(LiveEvent::Changed {
            conversation: conversation.id,
            provider: conversation.provider_id,
        })
        .await;
}

/// The operator's capacity, if they may take another chat now.
async fn room(ctx: &AppContext, staff: &StaffMember, need_available: bool) -> InboxResult<i64> {
    let presence = presence(ctx, staff).await?;
    if need_available && !presence.available {
        return Err(InboxError::Refused(
            "Set yourself available before taking the next chat".into(),
        ));
    }
    let open = ctx.store.open_chats(staff.id).await?;
    if open >= presence.capacity {
        return Err(InboxError::Refused(format!(
            "You already have {open} chats open, your capacity. Close one, or raise your \
             capacity, before taking another"
        )));
    }
    Ok(presence.capacity)
}

/// Takes a waiting conversation: one operator wins if two take it at once. A chat needs room
/// within the operator's capacity. The resident is told who has joined.
pub async fn take(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
) -> InboxResult<Conversation> {
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    if conversation.state() != ConversationState::Waiting {
        return Err(InboxError::Refused(
            "This conversation is not waiting: someone has taken it, or it has ended".into(),
        ));
    }
    let capacity = if conversation.kind() == ConversationKind::Chat {
        room(ctx, staff, false).await?
    } else {
        MAX_CAPACITY
    };
    if !ctx.store.take_within(id, staff.id, capacity, now()).await? {
        return Err(InboxError::Refused(
            "Someone else took this conversation first (or you have no room for another chat)"
                .into(),
        ));
    }
    audit(
        ctx,
        actor,
        "take-conversation",
        &subject(&conversation),
        "",
        false,
    )
    .await?;
    if conversation.kind() == ConversationKind::Chat {
        system(
            ctx,
            &conversation,
            &format!("{} has joined the chat", first_name(&staff.name)),
        )
        .await?;
    }
    changed(ctx, &conversation).await;
    Ok(ctx
        .store
        .conversation(id)
        .await?
        .context("a conversation just taken has gone")?)
}

/// Takes the first waiting chat of the operator's organisation (urgent first, then the longest
/// waiting), if they are available and have room.
pub async fn take_next(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
) -> InboxResult<Conversation> {
    room(ctx, staff, true).await?;
    for id in ctx.store.waiting_chats(staff.provider_id).await? {
        match take(ctx, actor, staff, id).await {
            Ok(conversation) => return Ok(conversation),
            // Someone took it meanwhile: the next one.
            Err(InboxError::Refused(_)) => {
                room(ctx, staff, true).await?;
            }
            Err(error) => return Err(error),
        }
    }
    Err(InboxError::Refused("No chats are waiting".into()))
}

/// Transfers an open conversation to another available operator of its organisation (with
/// room), or back to the queue (`to` = "queue").
pub async fn transfer(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    to: &str,
) -> InboxResult<String> {
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    if conversation.state() != ConversationState::Open {
        return Err(InboxError::Refused(
            "Only an open conversation can be transferred".into(),
        ));
    }
    let done = if to == "queue" {
        if !ctx.store.requeue(id, now()).await? {
            return Err(InboxError::Refused(
                "This conversation is no longer open".into(),
            ));
        }
        if conversation.kind() == ConversationKind::Chat {
            system(
                ctx,
                &conversation,
                "You are being passed to another operator: please wait",
            )
            .await?;
        }
        "Put back in the queue".to_owned()
    } else {
        let target: i64 = to
            .parse()
            .map_err(|_| InboxError::Refused("Choose who to transfer it to".into()))?;
        let loads = ctx
            .store
            .operator_loads(conversation.provider_id, now() - PRESENCE_WINDOW_SECS)
            .await?;
        let Some(load) = loads.iter().find(|l| l.staff_id == target) else {
            return Err(InboxError::Refused(
                "That operator is not available: choose another, or put it back in the queue"
                    .into(),
            ));
        };
        if !ctx.store.transfer_to(id, target, load.capacity).await? {
            return Err(InboxError::Refused(format!(
                "{} has no room for another chat",
                load.name
            )));
        }
        if conversation.kind() == ConversationKind::Chat {
            system(
                ctx,
                &conversation,
                &format!("{} has joined the chat", first_name(&load.name)),
            )
            .await?;
        }
        format!("Transferred to {}", load.name)
    };
    audit(
        ctx,
        actor,
        "transfer-conversation",
        &subject(&conversation),
        &done,
        false,
    )
    .await?;
    changed(ctx, &conversation).await;
    Ok(done)
}

/// Closes a conversation with an outcome (`domain::conversation::OUTCOMES`).
pub async fn close(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    outcome: &str,
) -> InboxResult<()> {
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    let Some(words) = conversation::outcome_words(outcome) else {
        return Err(InboxError::Refused(
            "Choose how the conversation ended".into(),
        ));
    };
    if conversation.kind() == ConversationKind::Chat {
        // Said before it closes: a closed chat takes no more messages.
        system(ctx, &conversation, "This chat has ended").await?;
    }
    if !ctx
        .store
        .close_conversation(id, Some(outcome), false, now())
        .await?
    {
        return Err(InboxError::Refused(
            "This conversation has already ended".into(),
        ));
    }
    audit(
        ctx,
        actor,
        "close-conversation",
        &subject(&conversation),
        words,
        false,
    )
    .await?;
    changed(ctx, &conversation).await;
    // A transcript the resident asked for goes now, not at the next housekeeping.
    if let Err(error) = super::chat_transcript::send_transcript_if_requested(ctx, id).await {
        tracing::warn!(conversation = id, error = %error, "could not queue a chat's transcript");
    }
    Ok(())
}

/// Sends an operator's message (or, with `note`, an internal note the resident never sees).
/// A message on a reply to an alert is also emailed to the resident, with a link to answer.
/// The same `client_id` twice stores one message.
pub async fn send(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    body: &str,
    client_id: Option<&str>,
    note: bool,
) -> InboxResult<Message> {
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    let body = conversation::message_text(body).map_err(|p| InboxError::Refused(p.to_string()))?;
    if !note {
        match conversation.state() {
            ConversationState::Waiting => {
                return Err(InboxError::Refused(
                    "Take this conversation before answering".into(),
                ))
            }
            ConversationState::Closed => {
                return Err(InboxError::Refused("This conversation has ended".into()))
            }
            ConversationState::Open => {}
        }
    }
    let client_id = client_id
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.chars().take(100).collect::<String>());
    let message = NewMessage {
        author: if note { Author::Note } else { Author::Operator },
        staff_id: Some(staff.id),
        body,
        client_id,
        urgent_words: Vec::new(),
    };
    let (stored, new) = post(ctx, &conversation, message)
        .await?
        .ok_or_else(|| InboxError::Refused("This conversation has ended".into()))?;
    if !new {
        return Ok(stored);
    }
    let action = if note { "add-note" } else { "send-message" };
    audit(ctx, actor, action, &subject(&conversation), "", false).await?;
    if !note && conversation.kind() == ConversationKind::Reply {
        // Queued right after the message is stored (the message's own transaction belongs to
        // the conversations store); a failure here is reported, the message kept.
        email_answer(ctx, &conversation, staff, &stored).await?;
    }
    Ok(stored)
}

/// Emails an operator's answer to a resident's reply to an alert, with a link to answer.
async fn email_answer(
    ctx: &AppContext,
    conversation: &Conversation,
    staff: &StaffMember,
    message: &Message,
) -> InboxResult<()> {
    let Some(to) = conversation.email.as_deref().filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    let alert_title = match conversation.alert_id {
        Some(id) => ctx.store.alert(id).await?.map(|a| a.content.title),
        None => None,
    };
    let about = alert_title.as_deref().map_or_else(
        || "your reply".to_owned(),
        |t| format!("your reply to \"{t}\""),
    );
    let link = ctx.link(&format!("/chat/{}", conversation.token));
    let greeting = if conversation.first_name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {},", conversation.first_name)
    };
    let text = format!(
        "{greeting}\n\n{} of {} has answered {about}:\n\n{}\n\nTo answer, open this link \
         (it is yours alone: do not pass it on):\n{link}\n\nIf someone is in danger now, call \
         999.\n",
        first_name(&staff.name),
        conversation.provider_name,
        message.body,
    );
    let email = EmailMessage {
        to_name: conversation.first_name.clone(),
        to: to.to_owned(),
        subject: match &alert_title {
            Some(t) => format!("Re: {t}"),
            None => "An answer to your reply".to_owned(),
        },
        text,
        html: None,
        unsubscribe_url: None,
        message_id: format!(
            "<conversation-answer.{}@{}>",
            crate::random::random_id(),
            sender_domain(ctx)
        ),
        list_id: None,
    };
    ctx.store
        .enqueue_outbound(
            &NewOutbound {
                subscriber_id: conversation.subscriber_id,
                channel: OutboundChannel::Email,
                purpose: "conversation-answer".to_owned(),
                payload: serde_json::to_string(&email).context("writing an answer's email")?,
            },
            now(),
        )
        .await?;
    ctx.outbound_wakeup.notify_one();
    tracing::info!(
        conversation = conversation.id,
        email = %mask::email(to),
        "answer to a reply emailed"
    );
    Ok(())
}

/// Sends a canned answer of the organisation as the operator's message.
pub async fn send_canned(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    canned_id: i64,
) -> InboxResult<Message> {
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    let answer = ctx
        .store
        .canned_answer(canned_id)
        .await?
        .filter(|a| a.provider_id == conversation.provider_id)
        .ok_or_else(|| InboxError::Refused("Choose a canned answer".into()))?;
    send(ctx, actor, staff, id, &answer.body, None, false).await
}

/// Blocks the resident's chat session for abuse, with a reason, and ends the chat.
pub async fn block(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    reason: &str,
) -> InboxResult<()> {
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(InboxError::Refused(
            "Say why you are blocking this person".into(),
        ));
    }
    if reason.chars().count() > 500 {
        return Err(InboxError::Refused(
            "The reason must be 500 characters or fewer".into(),
        ));
    }
    if !conversation.session_key.is_empty() {
        ctx.store
            .block_session(&conversation.session_key, reason, staff.id, now())
            .await?;
    }
    if conversation.state() != ConversationState::Closed {
        if conversation.kind() == ConversationKind::Chat {
            system(ctx, &conversation, "This chat has ended").await?;
        }
        ctx.store
            .close_conversation(id, Some("abusive"), false, now())
            .await?;
    }
    audit(
        ctx,
        actor,
        "block-chat-session",
        &subject(&conversation),
        reason,
        false,
    )
    .await?;
    changed(ctx, &conversation).await;
    Ok(())
}

/// What the operator gives to make an online report from a chat.
#[derive(Debug, Clone, Default)]
pub struct ReportFromChat {
    pub kind: String,
    pub location: String,
    pub happened: String,
    pub description: String,
}

/// The resident's messages of a conversation, as a report's description starts.
pub fn resident_text(messages: &[Message]) -> String {
    messages
        .iter()
        .filter(|m| m.author() == Author::Resident)
        .map(|m| m.body.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Makes an online report from a chat through the reports use case (source "chat"; the
/// resident's first name and email, if they gave one, as the contact), links it to the
/// conversation, and posts its follow link to the resident as the operator's message. Problems
/// with what the operator entered come back as words.
pub async fn make_report(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    input: &ReportFromChat,
) -> InboxResult<String> {
    use super::reports::{self, Contact, LocationInput, ReportError, Submission};
    let conversation = conversation_for(ctx, actor, staff, id).await?;
    if let Some(existing) = conversation.report_id {
        if let Some(report) = ctx.store.report(existing).await? {
            return Err(InboxError::Refused(format!(
                "This chat already became report {}",
                report.reference
            )));
        }
    }
    let email = conversation.email.clone().unwrap_or_default();
    let submission = Submission {
        service_code: input.kind.trim().to_owned(),
        description: input.description.clone(),
        location: LocationInput {
            text: input.location.clone(),
            ..LocationInput::default()
        },
        happened: input.happened.clone(),
        contact: Contact {
            anonymous: email.is_empty(),
            name: conversation.first_name.clone(),
            email,
            phone: String::new(),
        },
        form_nonce: format!("chat-{}", conversation.id),
        source: "chat".to_owned(),
        ..Submission::default()
    };
    let receipt = match reports::submit(ctx, submission).await {
        Ok(receipt) => receipt,
        Err(ReportError::Invalid(errors)) => {
            let words: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
            return Err(InboxError::Refused(words.join(". ")));
        }
        Err(ReportError::UnknownKind) => {
            return Err(InboxError::Refused("Choose the kind of report".into()))
        }
        Err(error) => return Err(InboxError::Unexpected(anyhow::anyhow!(error.to_string()))),
    };
    ctx.store
        .set_conversation_report(conversation.id, receipt.id)
        .await?;
    if conversation.state() != ConversationState::Closed {
        post(
            ctx,
            &conversation,
            NewMessage {
                author: Author::Operator,
                staff_id: Some(staff.id),
                body: format!(
                    "We have made an online report of what you told us: {}. You can follow it \
                     here: {}",
                    receipt.reference, receipt.follow_url
                ),
                client_id: Some(format!("report-{}", receipt.reference)),
                urgent_words: Vec::new(),
            },
        )
        .await?;
    }
    audit(
        ctx,
        actor,
        "report-from-conversation",
        &subject(&conversation),
        &receipt.reference,
        false,
    )
    .await?;
    changed(ctx, &conversation).await;
    Ok(receipt.reference)
}

/// Checks a canned answer's title and body.
fn canned_text(title: &str, body: &str) -> InboxResult<(String, String)> {
    let title = title.trim();
    let body = body.trim().replace("\r\n", "\n");
    if title.is_empty() {
        return Err(InboxError::Refused("Enter a title".into()));
    }
    if title.chars().count() > MAX_CANNED_TITLE {
        return Err(InboxError::Refused(
            "The title must be 100 characters or fewer".into(),
        ));
    }
    if body.is_empty() {
        return Err(InboxError::Refused("Enter the answer".into()));
    }
    if body.chars().count() > MAX_CANNED_BODY {
        return Err(InboxError::Refused(
            "The answer must be 2,000 characters or fewer".into(),
        ));
    }
    if title
        .chars()
        .chain(body.chars())
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(InboxError::Refused(
            "Write it again as plain text: it has characters we cannot store".into(),
        ));
    }
    Ok((title.to_owned(), body))
}

pub async fn canned_answers(
    ctx: &AppContext,
    staff: &StaffMember,
) -> InboxResult<Vec<CannedAnswer>> {
    Ok(ctx.store.canned_answers(staff.provider_id).await?)
}

pub async fn add_canned(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    title: &str,
    body: &str,
) -> InboxResult<()> {
    let (title, body) = canned_text(title, body)?;
    let id = ctx
        .store
        .add_canned_answer(staff.provider_id, &title, &body, now())
        .await?;
    audit(
        ctx,
        actor,
        "add-canned-answer",
        &format!("canned answer {id}"),
        &title,
        false,
    )
    .await?;
    Ok(())
}

async fn own_canned(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
) -> InboxResult<CannedAnswer> {
    let answer = ctx
        .store
        .canned_answer(id)
        .await?
        .ok_or(InboxError::NotFound)?;
    if answer.provider_id != staff.provider_id {
        audit(
            ctx,
            actor,
            "change-canned-answer",
            &format!("canned answer {id}"),
            "another organisation's canned answer",
            true,
        )
        .await?;
        return Err(InboxError::NotFound);
    }
    Ok(answer)
}

pub async fn edit_canned(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    title: &str,
    body: &str,
) -> InboxResult<()> {
    own_canned(ctx, actor, staff, id).await?;
    let (title, body) = canned_text(title, body)?;
    ctx.store
        .update_canned_answer(id, &title, &body, now())
        .await?;
    audit(
        ctx,
        actor,
        "change-canned-answer",
        &format!("canned answer {id}"),
        &title,
        false,
    )
    .await?;
    Ok(())
}

pub async fn delete_canned(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
) -> InboxResult<()> {
    let answer = own_canned(ctx, actor, staff, id).await?;
    ctx.store.delete_canned_answer(id).await?;
    audit(
        ctx,
        actor,
        "delete-canned-answer",
        &format!("canned answer {id}"),
        &answer.title,
        false,
    )
    .await?;
    Ok(())
}

/// Adds an escalation phrase (admins), folded to lower case.
/// The phrase as stored, and whether it was new.
pub async fn add_phrase(
    ctx: &AppContext,
    actor: &Actor<'_>,
    phrase: &str,
) -> InboxResult<(String, bool)> {
    let phrase = phrase
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if phrase.is_empty() {
        return Err(InboxError::Refused("Enter a word or phrase".into()));
    }
    if phrase.chars().count() > 100 {
        return Err(InboxError::Refused(
            "A phrase must be 100 characters or fewer".into(),
        ));
    }
    if phrase.chars().any(char::is_control) {
        return Err(InboxError::Refused("Enter the phrase as plain text".into()));
    }
    let added = ctx.store.add_escalation_phrase(&phrase, now()).await?;
    audit(
        ctx,
        actor,
        "add-escalation-phrase",
        "escalation phrases",
        &phrase,
        false,
    )
    .await?;
    Ok((phrase, added))
}

/// Removes an escalation phrase (admins).
pub async fn remove_phrase(ctx: &AppContext, actor: &Actor<'_>, phrase: &str) -> InboxResult<bool> {
    let removed = ctx.store.remove_escalation_phrase(phrase).await?;
    audit(
        ctx,
        actor,
        "remove-escalation-phrase",
        "escalation phrases",
        phrase,
        false,
    )
    .await?;
    Ok(removed)
}

/// Call when a resident's message (a chat message, or a reply to an alert) has just made a
/// conversation urgent, with the escalation phrases it held (after the message is stored).
/// On-duty operators are told at once: their live inboxes show a `{"type":"urgent",…}` frame
/// (each inbox's watcher sends it for a `Changed` event on an urgent conversation). When
/// nobody of the organisation is available in the inbox (none seen within two minutes), the
/// organisation's operators are emailed "An urgent chat is waiting" with a link to the inbox:
/// never the message. Nothing is ever answered automatically.
pub async fn escalated(
    ctx: &AppContext,
    conversation: &Conversation,
    words: &[String],
) -> anyhow::Result<()> {
    changed(ctx, conversation).await;
    let on_duty = ctx
        .store
        .operators_available(conversation.provider_id, now() - PRESENCE_WINDOW_SECS)
        .await?;
    tracing::info!(
        conversation = conversation.id,
        phrases = words.len(),
        on_duty,
        "conversation escalated"
    );
    if on_duty > 0 {
        return Ok(());
    }
    let link = ctx.link("/staff/inbox");
    let what = match conversation.kind() {
        ConversationKind::Chat => "chat",
        ConversationKind::Reply => "reply to an alert",
    };
    for operator in ctx
        .store
        .operator_contacts(conversation.provider_id)
        .await?
    {
        let email = EmailMessage {
            to_name: operator.name.clone(),
            to: operator.email.clone(),
            subject: format!("An urgent {what} is waiting"),
            text: format!(
                "Hello {},\n\nAn urgent {what} is waiting in {}'s inbox and nobody is signed \
                 in and available to answer it.\n\nOpen the inbox:\n{link}\n",
                first_name(&operator.name),
                conversation.provider_name
            ),
            html: None,
            unsubscribe_url: None,
            message_id: format!(
                "<urgent-conversation.{}@{}>",
                crate::random::random_id(),
                sender_domain(ctx)
            ),
            list_id: None,
        };
        ctx.store
            .enqueue_outbound(
                &NewOutbound {
                    subscriber_id: None,
                    channel: OutboundChannel::Email,
                    purpose: "urgent-conversation".to_owned(),
                    payload: serde_json::to_string(&email)?,
                },
                now(),
            )
            .await?;
    }
    ctx.outbound_wakeup.notify_one();
    Ok(())
}

/// A conversation as it is now (for an operator already allowed to see it).
pub async fn current(ctx: &AppContext, id: i64) -> StoreResult<Option<Conversation>> {
    ctx.store.conversation(id).await
}

/// Every message of a conversation after the message `after`, notes included, oldest first.
pub async fn messages(ctx: &AppContext, id: i64, after: i64) -> StoreResult<Vec<Message>> {
    ctx.store.messages_after(id, after, true).await
}

/// Records that the operators have read a conversation up to a message.
pub async fn mark_read(ctx: &AppContext, id: i64, up_to: i64) -> StoreResult<()> {
    ctx.store.mark_read(id, false, up_to).await
}

/// The title of the alert a reply thread answers.
pub async fn alert_title(ctx: &AppContext, alert_id: i64) -> StoreResult<String> {
    Ok(ctx
        .store
        .alert(alert_id)
        .await?
        .map_or_else(|| format!("Alert {alert_id}"), |a| a.content.title))
}

/// The receipt code of the online report a chat became.
pub async fn report_reference(ctx: &AppContext, report_id: i64) -> StoreResult<Option<String>> {
    Ok(ctx.store.report(report_id).await?.map(|r| r.reference))
}

/// How many chats each operator of the organisation seen lately has open, for transfers.
pub async fn operator_loads(ctx: &AppContext, provider_id: i64) -> StoreResult<Vec<OperatorLoad>> {
    ctx.store
        .operator_loads(
            provider_id,
            chrono::Utc::now().timestamp() - PRESENCE_WINDOW_SECS,
        )
        .await
}

/// The escalation phrases, as admins keep them.
pub async fn escalation_phrases(ctx: &AppContext) -> StoreResult<Vec<String>> {
    ctx.store.escalation_phrases().await
}

/// The inbox's rows of an organisation (every organisation's for `None`), closed ones since
/// `closed_since`.
pub async fn rows(
    ctx: &AppContext,
    provider_id: Option<i64>,
    closed_since: i64,
) -> StoreResult<Vec<InboxRow>> {
    ctx.store.inbox_rows(provider_id, closed_since).await
}

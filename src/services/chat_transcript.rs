//! The transcript of a resident's chat: each message the resident was shown (never an
//! operator's notes) as a line with its author and UK time, emailed once to the address the
//! resident gave, when the chat has ended.

use super::messages::sender_domain;
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::domain::conversation::Author;
use crate::domain::mask;
use crate::services::tokens::random_id;
use crate::store::{Conversation, Message, NewOutbound, OutboundChannel};
use askama::Template;

/// The operator's first name, as residents know them.
pub fn first_word(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// One line of a transcript.
pub struct TranscriptLine {
    pub who: String,
    pub at: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "email/chat_transcript.txt")]
struct TranscriptText<'a> {
    force: &'a str,
    topic: &'a str,
    lines: &'a [TranscriptLine],
}

#[derive(Template)]
#[template(path = "email/chat_transcript.html")]
struct TranscriptHtml<'a> {
    force: &'a str,
    topic: &'a str,
    lines: &'a [TranscriptLine],
}

/// A message's author as the resident sees it.
pub fn author_name(message: &Message, conversation: &Conversation) -> String {
    match message.author() {
        Author::Resident => {
            if conversation.first_name.is_empty() {
                "You".to_owned()
            } else {
                conversation.first_name.clone()
            }
        }
        Author::Operator => message
            .staff_name
            .as_deref()
            .map(first_word)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "Operator".to_owned()),
        Author::System | Author::Note => conversation.provider_name.clone(),
    }
}

/// A time as UK clock time ("14:05").
pub fn clock(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&crate::domain::conversation::hours::ZONE)
                .format("%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Sends the transcript of an ended conversation if the resident asked for it and it has not
/// gone yet (every message the resident was shown; never an operator's notes). True if sent.
pub async fn send_transcript_if_requested(
    ctx: &AppContext,
    conversation_id: i64,
) -> anyhow::Result<bool> {
    let Some(email) = ctx.store.take_transcript_request(conversation_id).await? else {
        return Ok(false);
    };
    let Some(conversation) = ctx.store.conversation(conversation_id).await? else {
        return Ok(false);
    };
    let messages = ctx.store.messages_after(conversation_id, 0, false).await?;
    let lines: Vec<TranscriptLine> = messages
        .iter()
        .filter(|m| m.author().shown_to_resident())
        .map(|m| TranscriptLine {
            who: author_name(m, &conversation),
            at: clock(m.created_at),
            body: m.body.clone(),
        })
        .collect();
    let force = {
        let name = ctx.settings.branding.force_name.trim();
        if name.is_empty() {
            conversation.provider_name.clone()
        } else {
            name.to_owned()
        }
    };
    let message = EmailMessage {
        to_name: conversation.first_name.clone(),
        to: email.clone(),
        subject: "Your web chat with us: the transcript".to_owned(),
        text: TranscriptText {
            force: &force,
            topic: &conversation.topic,
            lines: &lines,
        }
        .render()?,
        html: Some(
            TranscriptHtml {
                force: &force,
                topic: &conversation.topic,
                lines: &lines,
            }
            .render()?,
        ),
        unsubscribe_url: None,
        message_id: format!("<chat-transcript.{}@{}>", random_id(), sender_domain(ctx)),
        list_id: None,
    };
    let outbound = NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: "chat-transcript".to_owned(),
        payload: serde_json::to_string(&message)?,
    };
    ctx.store
        .enqueue_outbound(&outbound, chrono::Utc::now().timestamp())
        .await?;
    ctx.outbound_wakeup.notify_one();
    tracing::info!(
        conversation = conversation_id,
        email = %mask::email(&email),
        "chat transcript queued"
    );
    Ok(true)
}

/// Sends the transcripts asked for of chats that ended without the resident's page seeing it
/// (an operator closed the chat after the resident left); how many.
pub async fn send_due_transcripts(ctx: &AppContext) -> anyhow::Result<usize> {
    let mut sent = 0;
    for id in ctx.store.transcripts_due().await? {
        if send_transcript_if_requested(ctx, id).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

//! What residents send back about an alert they received (a one-click rating, a reply that
//! reaches its senders and the contact centre's inbox) and what the SMS gateway reports about
//! texts (delivery-status callbacks).

use super::live::LiveEvent;
use super::AppContext;
use crate::delivery::notify::CallbackOutcome;
/// The gateway's delivery-status callback, as the web layer reads it.
pub use crate::delivery::notify::StatusCallback;
use crate::domain::conversation::escalation_words;
use crate::domain::subscriber::first_name;
use crate::random::random_id;
use crate::store::{AlertStatus, NewAlertReply, Subscriber};
use anyhow::Context;

/// Longest reply a resident may send, in characters.
pub const MAX_REPLY_CHARS: usize = 2_000;

/// The alert and resident a rating or reply link was made for, if it is still good.
pub async fn alert_link(
    ctx: &AppContext,
    token: &str,
) -> anyhow::Result<Option<(crate::store::Alert, Subscriber)>> {
    let Some(fields) = ctx.signer.verify("alert-link", token) else {
        return Ok(None);
    };
    let [alert_id, public_id, version] = fields.as_slice() else {
        return Ok(None);
    };
    let Ok(alert_id) = alert_id.parse::<i64>() else {
        return Ok(None);
    };
    let Some(subscriber) = ctx.store.subscriber_by_public_id(public_id).await? else {
        return Ok(None);
    };
    if subscriber.token_version.to_string() != *version {
        return Ok(None);
    }
    let alert = ctx.store.alert(alert_id).await?;
    Ok(alert
        .filter(|a| a.status == AlertStatus::Queued)
        .map(|a| (a, subscriber)))
}

/// Longest reason a resident may give for an alert not being useful, in characters.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, PartialEq, Eq)]
pub enum RatingOutcome {
    Recorded,
    /// The reason given cannot be stored: the resident is told why, and nothing is recorded.
    Invalid(ReasonProblem),
    /// The alert never reached this resident.
    NotSent,
}

/// What is wrong with a reason, in words for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonProblem {
    #[error("Your reason has characters we cannot store: write it again as plain text")]
    ControlCharacters,
    #[error("Your reason must be 500 characters or fewer")]
    TooLong,
}

/// Records (or changes) a resident's rating, when they press the button (never on opening the
/// link: mail scanners open links). A reason is kept only for "not useful", and is optional.
pub async fn rate(
    ctx: &AppContext,
    alert: &crate::store::Alert,
    subscriber: &Subscriber,
    useful: bool,
    reason: &str,
) -> anyhow::Result<RatingOutcome> {
    let reason = reason.trim();
    let reason = if useful || reason.is_empty() {
        None
    } else if reason
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Ok(RatingOutcome::Invalid(ReasonProblem::ControlCharacters));
    } else if reason.chars().count() > MAX_REASON_CHARS {
        return Ok(RatingOutcome::Invalid(ReasonProblem::TooLong));
    } else {
        Some(reason)
    };
    let recorded = ctx
        .store
        .rate_alert(
            alert.id,
            subscriber.id,
            useful,
            reason,
            chrono::Utc::now().timestamp(),
        )
        .await?;
    Ok(if recorded {
        RatingOutcome::Recorded
    } else {
        RatingOutcome::NotSent
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// Kept for the alert's senders and in the resident's thread in the contact centre's inbox;
    /// `thread_token` opens the thread for the resident (`/chat/{token}`).
    Sent { thread_token: String },
    /// The message was empty or too long: the resident is told which.
    Invalid(ReplyProblem),
    /// The alert never reached this resident, or they have replied as often as they may.
    NotSent,
    /// A reply to a Neighbourhood Watch coordinator's message: emailed to the scheme's
    /// coordinators (who read no inbox), with the resident's name and address.
    ToCoordinators,
    /// A reply to a scheme's message when the scheme has no coordinator who can read it:
    /// nothing was sent, and the resident is told so.
    NoCoordinator,
}

/// What is wrong with a reply, in words for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyProblem {
    #[error("Your message has characters we cannot store: write it again as plain text")]
    ControlCharacters,
    #[error("Write your message to the sender")]
    Empty,
    #[error("Your message must be 2,000 characters or fewer")]
    TooLong,
}

/// Stores a resident's reply for the alert's senders, who read it on the delivery report, and
/// as a message of the resident's thread for the alert in the inbox of the alert's organisation
/// (started the first time, put back in the queue if it was closed), in one transaction.
/// Escalation phrases in it mark the thread urgent; operators watching the inbox are told. A
/// reply to a Neighbourhood Watch coordinator's message goes to the scheme's coordinators by
/// email instead (`schemes::reply_from_member`).
pub async fn reply(
    ctx: &AppContext,
    alert: &crate::store::Alert,
    subscriber: &Subscriber,
    body: &str,
) -> anyhow::Result<ReplyOutcome> {
    let body = body.trim();
    if body
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Ok(ReplyOutcome::Invalid(ReplyProblem::ControlCharacters));
    }
    if body.is_empty() {
        return Ok(ReplyOutcome::Invalid(ReplyProblem::Empty));
    }
    if body.chars().count() > MAX_REPLY_CHARS {
        return Ok(ReplyOutcome::Invalid(ReplyProblem::TooLong));
    }
    if let Some(scheme) = super::schemes::coordinators_message(ctx, alert).await? {
        use super::schemes::MemberReply;
        let sent = super::schemes::reply_from_member(ctx, scheme, alert.id, subscriber, body);
        return Ok(match sent.await? {
            MemberReply::Sent => ReplyOutcome::ToCoordinators,
            MemberReply::NoCoordinator => ReplyOutcome::NoCoordinator,
            MemberReply::TooMany => ReplyOutcome::NotSent,
        });
    }
    let phrases = ctx
        .store
        .escalation_phrases()
        .await
        .context("reading the escalation phrases")?;
    let urgent_words: Vec<String> = escalation_words(body, &phrases)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let escalation = urgent_words.clone();
    let reply = NewAlertReply {
        alert_id: alert.id,
        subscriber_id: subscriber.id,
        provider_id: alert.content.provider_id,
        token: random_id(),
        first_name: first_name(&subscriber.preferences.name).to_owned(),
        email: subscriber.email.to_string(),
        topic: alert.content.title.clone(),
        body: body.to_owned(),
        urgent_words,
    };
    let Some(stored) = ctx
        .store
        .reply_to_alert(&reply, chrono::Utc::now().timestamp())
        .await
        .context("storing a reply to an alert")?
    else {
        return Ok(ReplyOutcome::NotSent);
    };
    let (conversation, provider) = (stored.thread.id, stored.thread.provider_id);
    ctx.live
        .publish(LiveEvent::Message {
            conversation,
            provider,
            message: stored.message.id,
        })
        .await;
    if escalation.is_empty() {
        ctx.live
            .publish(LiveEvent::Changed {
                conversation,
                provider,
            })
            .await;
    } else {
        // Every urgent reply is told: each may be days after the last.
        super::chat::escalate(ctx, &stored.thread, &escalation).await;
    }
    tracing::info!(
        alert = alert.id,
        conversation,
        started = stored.started,
        reopened = stored.reopened,
        urgent = stored.thread.urgent,
        "a resident replied to an alert"
    );
    Ok(ReplyOutcome::Sent {
        thread_token: stored.thread.token,
    })
}

#[derive(Debug, PartialEq, Eq)]
pub enum CallbackResult {
    Recorded,
    /// Not a text we sent (or not yet recorded as sent).
    Unknown,
    /// A status on the way (sending, pending): nothing to record.
    InProgress,
}

/// (alert id, delivery id) in a text's reference, `alert-12-delivery-345`.
fn delivery_of_reference(reference: &str) -> Option<(i64, i64)> {
    let (alert, delivery) = reference.strip_prefix("alert-")?.split_once("-delivery-")?;
    Some((alert.parse().ok()?, delivery.parse().ok()?))
}

/// Applies a delivery-status callback from the SMS gateway.
pub async fn status_callback(
    ctx: &AppContext,
    callback: &StatusCallback,
) -> anyhow::Result<CallbackResult> {
    let (error, contact_failed) = match callback.outcome() {
        CallbackOutcome::InProgress => return Ok(CallbackResult::InProgress),
        CallbackOutcome::Delivered => (None, false),
        CallbackOutcome::Permanent => (Some(format!("gateway: {}", callback.status)), true),
        CallbackOutcome::Temporary => (Some(format!("gateway: {}", callback.status)), false),
    };
    let found = ctx
        .store
        .delivery_status(
            &callback.id,
            callback
                .reference
                .as_deref()
                .and_then(delivery_of_reference),
            error.as_deref(),
            contact_failed,
            chrono::Utc::now().timestamp(),
            ctx.settings.delivery.suspend_after_failures,
        )
        .await?;
    Ok(if found {
        CallbackResult::Recorded
    } else {
        CallbackResult::Unknown
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_delivery_is_read_from_the_reference_of_an_alert_text() {
        assert_eq!(
            super::delivery_of_reference("alert-12-delivery-345"),
            Some((12, 345))
        );
        assert_eq!(super::delivery_of_reference("mobile-code-abc"), None);
        assert_eq!(super::delivery_of_reference("alert-x-delivery-3"), None);
    }
}

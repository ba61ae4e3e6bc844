//! The emails of the approval workflow, to staff only: approvers told that an alert waits for
//! them, and an author told that their alert was sent back with a comment. They carry the
//! alert's title and a link to it, and nothing about any resident.

use super::tokens::random_id;
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::store::{Alert, NewOutbound, OutboundChannel, StaffMember};
use anyhow::Context;
use askama::Template;

#[derive(Template)]
#[template(path = "email/staff_approval_waiting.txt", escape = "none")]
struct ApprovalWaiting<'a> {
    name: &'a str,
    author: &'a str,
    organisation: &'a str,
    title: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/staff_sent_back.txt", escape = "none")]
struct SentBack<'a> {
    name: &'a str,
    approver: &'a str,
    title: &'a str,
    comment: &'a str,
    link: &'a str,
}

/// Who is told that `alert` waits for approval: the active approvers of its organisation other
/// than its author; the admins only if it has none.
pub fn approvers_to_tell<'a>(staff: &'a [StaffMember], alert: &Alert) -> Vec<&'a StaffMember> {
    let may_sign_in = |s: &&StaffMember| s.active && s.is_enrolled();
    let not_author = |s: &&StaffMember| alert.author_staff_id != Some(s.id);
    let approvers: Vec<&StaffMember> = staff
        .iter()
        .filter(may_sign_in)
        .filter(not_author)
        .filter(|s| s.permissions.approve && s.provider_id == alert.content.provider_id)
        .collect();
    if !approvers.is_empty() {
        return approvers;
    }
    staff
        .iter()
        .filter(may_sign_in)
        .filter(not_author)
        .filter(|s| s.permissions.admin)
        .collect()
}

pub(crate) fn staff_email(
    ctx: &AppContext,
    to: &StaffMember,
    subject: String,
    text: String,
    purpose: &str,
) -> anyhow::Result<NewOutbound> {
    let message = EmailMessage {
        to_name: to.name.clone(),
        to: to.email.to_string(),
        subject,
        text,
        html: None,
        unsubscribe_url: None,
        message_id: format!(
            "<{purpose}.{}@{}>",
            random_id(),
            super::messages::sender_domain(ctx)
        ),
        list_id: None,
    };
    Ok(NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: purpose.to_owned(),
        payload: serde_json::to_string(&message)?,
    })
}

pub(crate) async fn queue(ctx: &AppContext, messages: Vec<NewOutbound>) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp();
    for message in &messages {
        ctx.store
            .enqueue_outbound(message, now)
            .await
            .context("queueing an email to staff")?;
    }
    if !messages.is_empty() {
        ctx.outbound_wakeup.notify_one();
    }
    Ok(())
}

/// Emails those who may approve `alert` (`approvers_to_tell`) that it waits for them;
/// `author` is whoever asked for approval.
pub async fn tell_approvers(
    ctx: &AppContext,
    alert: &Alert,
    author: &StaffMember,
) -> anyhow::Result<()> {
    let staff = ctx.store.list_staff().await.context("listing staff")?;
    let link = ctx.link(&format!("/staff/alerts/{}", alert.id));
    let messages = approvers_to_tell(&staff, alert)
        .into_iter()
        .map(|approver| {
            let text = ApprovalWaiting {
                name: &approver.name,
                author: &author.name,
                organisation: &alert.provider_name,
                title: &alert.content.title,
                link: &link,
            }
            .render()?;
            let subject = format!("Waiting for your approval: {}", alert.content.title);
            staff_email(ctx, approver, subject, text, "approval-waiting")
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    queue(ctx, messages).await
}

/// Emails the author of `alert` (if a member of staff wrote it) that `approver` sent it back
/// with `comment`.
pub async fn tell_author(
    ctx: &AppContext,
    alert: &Alert,
    approver: &StaffMember,
    comment: &str,
) -> anyhow::Result<()> {
    let Some(author_id) = alert.author_staff_id else {
        return Ok(());
    };
    let Some(author) = ctx
        .store
        .staff(author_id)
        .await
        .context("reading the author")?
    else {
        return Ok(());
    };
    if !author.active {
        return Ok(());
    }
    let link = ctx.link(&format!("/staff/alerts/{}", alert.id));
    let text = SentBack {
        name: &author.name,
        approver: &approver.name,
        title: &alert.content.title,
        comment,
        link: &link,
    }
    .render()?;
    let subject = format!("Sent back for changes: {}", alert.content.title);
    let message = staff_email(ctx, &author, subject, text, "alert-sent-back")?;
    queue(ctx, vec![message]).await
}

//! Approvers' side of the workflow beyond approving: sending an alert that waits for approval
//! back to its author as a draft, with a comment saying what to change (shown on the alert's
//! page, emailed to the author, audited).

use super::alerts::{permission, visible_alert, AlertAction, AlertActionError, NotPermitted};
use super::staff::{audit, Actor};
use super::AppContext;
use crate::store::{AlertStatus, StoreError};
use anyhow::Context;

/// The longest comment an approver may send back with, in characters.
pub const MAX_COMMENT_CHARS: usize = 1_000;

/// Why an alert could not be sent back; the messages are what the approver reads.
#[derive(Debug, thiserror::Error)]
pub enum SendBackError {
    #[error("Say what the author should change before you send it back")]
    NoComment,
    #[error("Keep the comment to 1,000 characters or fewer: it has {0}")]
    TooLong(usize),
    #[error("You may not do that: {0}")]
    NotPermitted(NotPermitted),
    #[error(
        "Only an alert waiting for approval can be sent back: it may have changed meanwhile. \
         Reload the page."
    )]
    NotWaiting,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for SendBackError {
    fn from(error: StoreError) -> Self {
        SendBackError::Unexpected(error.into())
    }
}

/// The comment as typed, checked: not blank, and not longer than `MAX_COMMENT_CHARS`.
pub fn check_comment(comment: &str) -> Result<String, SendBackError> {
    let comment = comment.trim().replace("\r\n", "\n");
    let chars = comment.chars().count();
    if chars == 0 {
        return Err(SendBackError::NoComment);
    }
    if chars > MAX_COMMENT_CHARS {
        return Err(SendBackError::TooLong(chars));
    }
    Ok(comment)
}

/// Sends alert `id`, waiting for approval, back to its author as a draft with `comment`: for
/// whoever may approve it (an approver of its organisation or an admin, not its author).
/// `None` when there is no such alert to see. Refusals are audited; nothing changes on one.
pub async fn send_back(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    comment: &str,
) -> Result<Option<()>, SendBackError> {
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    let alert = match visible_alert(ctx, actor, id).await {
        Ok(Some(alert)) => alert,
        Ok(None) => return Ok(None),
        Err(AlertActionError::NotPermitted(reason)) => {
            return Err(SendBackError::NotPermitted(reason))
        }
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let subject = format!("alert {id}");
    if let Err(reason) = permission(staff, &alert, AlertAction::Approve) {
        audit(ctx, actor, "send-back", &subject, &reason.to_string(), true).await?;
        return Err(SendBackError::NotPermitted(reason));
    }
    if alert.status != AlertStatus::AwaitingApproval {
        return Err(SendBackError::NotWaiting);
    }
    let comment = check_comment(comment)?;
    let now = chrono::Utc::now().timestamp();
    if !ctx
        .store
        .send_back_alert(id, staff.id, &comment, now)
        .await
        .with_context(|| format!("sending alert {id} back"))?
    {
        return Err(SendBackError::NotWaiting);
    }
    audit(
        ctx,
        actor,
        "send-back",
        &subject,
        &format!("a draft again: {comment}"),
        false,
    )
    .await?;
    super::approval_mail::tell_author(ctx, &alert, staff, &comment).await?;
    Ok(Some(()))
}

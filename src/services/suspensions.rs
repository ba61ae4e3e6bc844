//! Addresses and numbers suspended after repeated permanent failures: listing them for admins,
//! and lifting one (audited, naming the resident by public id rather than the address). A
//! suspension also ends when the resident changes the address or number.

use super::staff::{audit, Actor};
use super::AppContext;
use crate::store::{ContactProblem, OutboundChannel, Subscriber};
use anyhow::Context;

/// The newest suspensions.
pub async fn list(ctx: &AppContext) -> anyhow::Result<Vec<ContactProblem>> {
    ctx.store
        .contact_problems()
        .await
        .context("listing suspended addresses and numbers")
}

/// Lifts a resident's suspension on `channel`; `None` when it is not suspended (any more).
/// The resident is looked up directly: the list shows the newest suspensions only.
pub async fn lift(
    ctx: &AppContext,
    actor: &Actor<'_>,
    subscriber_id: i64,
    channel: OutboundChannel,
    channel_name: &str,
) -> anyhow::Result<Option<Subscriber>> {
    let Some(resident) = ctx
        .store
        .subscriber(subscriber_id)
        .await
        .context("finding a suspended resident")?
    else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp();
    if !ctx
        .store
        .lift_contact_suspension(subscriber_id, channel, now)
        .await
        .context("lifting a suspension")?
    {
        return Ok(None);
    }
    audit(
        ctx,
        actor,
        "lift-contact-suspension",
        &format!("resident {}, {channel_name}", resident.public_id),
        "",
        false,
    )
    .await?;
    Ok(Some(resident))
}

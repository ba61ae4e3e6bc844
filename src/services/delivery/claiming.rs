//! Claiming deliveries off the queue under a lease, sizing a claim to what can leave before it
//! lapses, renewing claims, and telling when a claim is too close to lapsing to send under.

use super::{AppContext, IDLE_POLL};
use crate::store::{DeliveryTarget, OutboundChannel, SenderScope};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A claim this close to lapsing is not used to send: another worker may take it over.
const LEASE_MARGIN_SECS: i64 = crate::config::SEND_LEASE_MARGIN_SECS;

/// Renews the claims of `items` (their targets found by `target`) that end before `until` to
/// end then; leaves out those whose claim is no longer this worker's. If the database cannot
/// be reached the claims stay as they are (a send checks its claim before it starts).
pub(super) async fn renew_claims<T>(
    ctx: &AppContext,
    mut items: Vec<T>,
    target: impl Fn(&mut T) -> &mut DeliveryTarget,
    until: i64,
) -> Vec<T> {
    let short: Vec<(i64, i64)> = items
        .iter_mut()
        .map(&target)
        .filter(|t| t.lease_until < until)
        .map(|t| (t.id, t.attempts))
        .collect();
    if short.is_empty() {
        return items;
    }
    let renewed: std::collections::HashSet<i64> = match ctx.store.renew_claims(&short, until).await
    {
        Ok(ids) => ids.into_iter().collect(),
        Err(error) => {
            tracing::error!(error = %error, "could not renew claims; they may lapse before their slots");
            return items;
        }
    };
    items.retain_mut(|item| {
        let t = target(item);
        if t.lease_until >= until {
            return true;
        }
        if renewed.contains(&t.id) {
            t.lease_until = until;
            return true;
        }
        tracing::warn!(
            delivery = t.id,
            "claim lost while waiting for the rate limit; left to whoever holds it"
        );
        false
    });
    items
}

/// Claims the next deliveries of `channel` from alerts of `senders`, at most `limit`, or waits
/// for some to be due; `before` runs before every attempt, and a false from it puts the claim
/// off. `None` once shutting down.
pub(super) async fn claim<F, Fut>(
    ctx: &AppContext,
    channel: OutboundChannel,
    senders: &SenderScope,
    limit: i64,
    shutdown: &CancellationToken,
    before: F,
) -> Option<Vec<DeliveryTarget>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        if shutdown.is_cancelled() {
            return None;
        }
        if !before().await {
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        let settings = &ctx.settings.delivery;
        let now = chrono::Utc::now().timestamp();
        match ctx
            .store
            .claim_deliveries(channel, senders, now, now + settings.lease_secs, limit)
            .await
        {
            Ok(targets) if !targets.is_empty() => return Some(targets),
            Ok(_) => {}
            Err(error) => {
                tracing::error!(error = %error, channel = channel.as_str(), "claiming deliveries failed")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = ctx.delivery_wakeup.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

/// Whether a claim lasting until `lease_until` is too close to lapsing to start a send that may
/// take `timeout`, and be recorded after it.
pub(super) fn lapsing(lease_until: i64, timeout: Duration) -> bool {
    chrono::Utc::now()
        .timestamp()
        .saturating_add(send_needs_secs(timeout))
        >= lease_until
}

/// How long a claim must still last to start a send that may take `timeout`: the send, then
/// the margin for recording it.
pub(super) fn send_needs_secs(timeout: Duration) -> i64 {
    i64::try_from(timeout.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_add(LEASE_MARGIN_SECS)
}

//! Pacing under a rate limit (a channel's, or a gateway account's): sending slots reserved in
//! the store's pacing cells, one interval apart, with the claims kept alive while they wait.

use super::claiming::{renew_claims, send_needs_secs};
use super::AppContext;
use crate::store::DeliveryTarget;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How far ahead a worker may reserve sending slots under a rate limit.
pub(super) const PACING_HORIZON_MS: i64 = 2_000;

/// The time between two sends at `per_minute` (above 0), in milliseconds.
pub(super) fn pacing_interval_ms(per_minute: u32) -> i64 {
    (60_000 / i64::from(per_minute)).max(1)
}

/// How many deliveries to claim at once under a rate of `per_minute`: no more than can be sent
/// one interval apart, after waiting out the pacing horizon, while the claim leaves time for the
/// last of them to be sent and recorded. No limit: `delivery.claim_batch`.
pub(super) fn claim_limit(settings: &crate::config::Settings, per_minute: u32) -> i64 {
    let batch = settings.delivery.claim_batch.max(1);
    if per_minute == 0 {
        return batch;
    }
    let timeout = Duration::from_secs(settings.mail.smtp_timeout_secs);
    let usable_ms = settings
        .delivery
        .lease_secs
        .saturating_sub(send_needs_secs(timeout))
        .saturating_mul(1_000)
        .saturating_sub(PACING_HORIZON_MS);
    let interval_ms = pacing_interval_ms(per_minute);
    batch.min(usable_ms / interval_ms).max(1)
}

/// Whether a pacing cell has a slot free within the horizon, so that a claim made now can be
/// paced at once (a lane under a rate limit claims only then: claimed rows waiting for slots
/// could not be overtaken by urgent ones). No limit, or no answer from the database: yes.
pub(super) async fn pacing_room(ctx: &AppContext, cell: &str, per_minute: u32) -> bool {
    if per_minute == 0 {
        return true;
    }
    let interval_ms = pacing_interval_ms(per_minute);
    let now_ms = chrono::Utc::now().timestamp_millis();
    !matches!(
        ctx.store
            .reserve_sends(cell, now_ms, interval_ms, 0, PACING_HORIZON_MS)
            .await,
        Ok(None)
    )
}

/// Waits for a pacing cell's rate limit (a channel's, or a gateway account's) to allow the
/// claimed `targets`; returns each with when it may go, one interval apart. No limit: all now.
///
/// The claim is kept while it waits: other workers' reservations in the same cell can put its
/// slots further off than the claim was sized for, so while the cell is busy the claim is
/// renewed a lease at a time, and once the slots are reserved, to outlast the last of them.
/// A target whose claim was lost meanwhile (taken over, or settled) is left out. While the
/// cell cannot be reached the claim is not renewed: it is tried again until the claim lapses,
/// and then given up. When stopping, the claim is given up at once.
pub(super) async fn pace(
    ctx: &AppContext,
    cell: &str,
    per_minute: u32,
    mut targets: Vec<DeliveryTarget>,
    shutdown: &CancellationToken,
) -> anyhow::Result<Vec<(DeliveryTarget, tokio::time::Instant)>> {
    if per_minute == 0 || targets.is_empty() {
        let now = tokio::time::Instant::now();
        return Ok(targets.into_iter().map(|t| (t, now)).collect());
    }
    let interval_ms = pacing_interval_ms(per_minute);
    let lease_secs = ctx.settings.delivery.lease_secs;
    let needs = send_needs_secs(Duration::from_secs(ctx.settings.mail.smtp_timeout_secs));
    let mut unreachable = false;
    loop {
        let (now_ms, clock) = (
            chrono::Utc::now().timestamp_millis(),
            tokio::time::Instant::now(),
        );
        let now_secs = now_ms.div_euclid(1_000);
        if unreachable && targets.iter().all(|t| t.lease_until <= now_secs) {
            return Ok(Vec::new());
        }
        // Renewed before reserving, so that no slot goes to a claim that turns out lost.
        if !unreachable
            && targets
                .iter()
                .any(|t| t.lease_until - now_secs <= lease_secs / 2)
        {
            targets = renew_claims(ctx, targets, |t| t, now_secs + lease_secs).await;
            if targets.is_empty() {
                return Ok(Vec::new());
            }
        }
        let n = targets.len() as i64;
        match ctx
            .store
            .reserve_sends(cell, now_ms, interval_ms, n, PACING_HORIZON_MS)
            .await
        {
            Ok(Some(first_ms)) => {
                let start =
                    clock + Duration::from_millis(u64::try_from(first_ms - now_ms).unwrap_or(0));
                let paced: Vec<_> = targets
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| {
                        (
                            t,
                            start + Duration::from_millis((interval_ms * i as i64) as u64),
                        )
                    })
                    .collect();
                // The last may leave a little late, and its send may take the whole timeout.
                let last_ms = first_ms + interval_ms * (n - 1);
                let until = (last_ms + 1_000).div_euclid(1_000) + 1 + needs;
                return Ok(renew_claims(ctx, paced, |(t, _)| t, until).await);
            }
            Ok(None) => unreachable = false,
            Err(error) => {
                if !unreachable {
                    tracing::error!(cell, error = %error, "could not reserve sends; trying again while the claim lasts");
                }
                unreachable = true;
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => {
                let claims: Vec<(i64, i64)> = targets.iter().map(|t| (t.id, t.attempts)).collect();
                let _ = ctx.store.renew_claims(&claims, now_secs).await;
                anyhow::bail!("stopping")
            }
            _ = tokio::time::sleep(Duration::from_millis(PACING_HORIZON_MS as u64 / 4)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_under_a_rate_limit_holds_no_more_than_can_leave_before_it_lapses() {
        let mut settings = crate::config::Settings::default();
        settings.delivery.claim_batch = 200;
        settings.delivery.lease_secs = 120;
        settings.mail.smtp_timeout_secs = 30;
        // No limit, or a fast one: the configured batch.
        assert_eq!(claim_limit(&settings, 0), 200);
        assert_eq!(claim_limit(&settings, 3_000), 200);
        // 60 a minute: 120 s less 2 s margin, 30 s for the last send and 2 s of pacing horizon
        // leave 86 s, so 86 texts.
        assert_eq!(claim_limit(&settings, 60), 86);
        // However slow, at least one.
        assert_eq!(claim_limit(&settings, 1), 1);
    }
}

//! Fan-out: turns a sent alert into one delivery row per matching resident and channel, chunk by
//! chunk under the alert's fan-out cursor, and records the districts the alert concerns. Reads
//! the audience index and writes deliveries through the store; sends nothing.

use super::{AppContext, IDLE_POLL};
use crate::geo::audience::AudienceQuery;
use crate::geo::target::AreaTarget;
use crate::services::alerts::audience_index;
use crate::store::{FanoutChunk, OutboundChannel};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub async fn run_fanout(ctx: Arc<AppContext>, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        match fanout_once(&ctx).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(error) => tracing::error!(error = %format!("{error:#}"), "fan-out pass failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = ctx.fanout_wakeup.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
}

/// The smallest fan-out after which the delivery queue's statistics are refreshed.
const STATISTICS_STEP: u64 = 10_000;

/// Expands one sent alert into deliveries, chunk by chunk; false when none was waiting.
pub async fn fanout_once(ctx: &AppContext) -> anyhow::Result<bool> {
    let settings = &ctx.settings.delivery;
    let now = chrono::Utc::now().timestamp();
    let Some((alert, cursor)) = ctx
        .store
        .claim_fanout(now, now + settings.lease_secs)
        .await?
    else {
        return Ok(false);
    };
    let alert_id = alert.id;
    let expanded = expand(ctx, alert, cursor).await;
    if expanded.is_err() {
        // A passing failure (a busy database): the next pass, a moment later, tries again.
        if let Err(error) = ctx.store.release_fanout(alert_id).await {
            tracing::warn!(alert = alert_id, error = %error, "could not give up the fan-out claim");
        }
    }
    expanded?;
    Ok(true)
}

/// Expands a claimed alert from `cursor` to its last matching resident.
async fn expand(
    ctx: &AppContext,
    alert: crate::store::Alert,
    mut cursor: i64,
) -> anyhow::Result<()> {
    let settings = &ctx.settings.delivery;
    let target = &alert.content.target;
    let prepared = target.prepare();
    let index = audience_index(ctx)
        .await
        .map_err(|e| anyhow::anyhow!("loading the audience: {e:?}"))?;
    // Read once per claim: a member who joins while a message fans out may or may not get it.
    let members = crate::services::schemes::member_filter(ctx, alert.content.members).await?;
    let query = AudienceQuery {
        target: &prepared,
        provider_id: alert.content.provider_id,
        message_type_id: alert.content.message_type_id,
        priority: alert.content.priority.level(),
        map_squares: false,
        members: members.as_ref(),
    };
    if cursor == 0 {
        record_districts(ctx, alert.id, target, &index, &prepared).await?;
    }
    let chunk_size = settings.fanout_chunk.max(1);
    let mut recorded = 0u64;
    loop {
        let matches = index.matches_from(&query, cursor, chunk_size);
        let next = match matches.last() {
            Some(last) if matches.len() == chunk_size => Some(last.subscriber_id + 1),
            _ => None,
        };
        let deliveries = matches
            .iter()
            .flat_map(|m| {
                [
                    m.email.then_some((m.subscriber_id, OutboundChannel::Email)),
                    m.sms.then_some((m.subscriber_id, OutboundChannel::Sms)),
                ]
            })
            .flatten()
            .collect();
        let now = chrono::Utc::now().timestamp();
        let chunk = FanoutChunk {
            alert_id: alert.id,
            priority: alert.content.priority,
            from: cursor,
            next,
            deliveries,
            now,
            lease_until: now + settings.lease_secs,
        };
        let Some(inserted) = ctx.store.record_fanout_chunk(&chunk).await? else {
            tracing::warn!(
                alert = alert.id,
                "another worker moved this alert's fan-out on; leaving it to them"
            );
            return Ok(());
        };
        // The claim query's plan depends on how big the queue is: each time this fan-out
        // has grown it tenfold (10,000 deliveries, 100,000...), the statistics are refreshed,
        // beside the fan-out rather than in its way (on PostgreSQL it reads a sample of the
        // table, a fifth of a second).
        if (recorded + inserted) / STATISTICS_STEP > 0
            && (recorded + inserted).ilog10() > recorded.max(1).ilog10()
        {
            refresh_statistics_aside(ctx);
        }
        recorded += inserted;
        ctx.delivery_wakeup.notify_waiters();
        match next {
            Some(next) => cursor = next,
            None => {
                tracing::info!(
                    alert = alert.id,
                    deliveries = recorded,
                    "alert fanned out to every matching resident"
                );
                return Ok(());
            }
        }
    }
}

/// Refreshes the delivery queue's statistics in a task of its own, one refresh at a time (one
/// still running, for another fan-out, will do).
fn refresh_statistics_aside(ctx: &AppContext) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static REFRESHING: AtomicBool = AtomicBool::new(false);
    if REFRESHING.swap(true, Ordering::SeqCst) {
        return;
    }
    let store = ctx.store.clone();
    tokio::spawn(async move {
        if let Err(error) = store.refresh_delivery_statistics().await {
            tracing::warn!(error = %error, "could not refresh the delivery queue's statistics");
        }
        REFRESHING.store(false, Ordering::SeqCst);
    });
}

/// Records the districts an alert concerns, from its stored target.
pub async fn record_alert_districts(
    ctx: &AppContext,
    alert: &crate::store::Alert,
) -> anyhow::Result<()> {
    let target = &alert.content.target;
    let prepared = target.prepare();
    let index = audience_index(ctx)
        .await
        .map_err(|e| anyhow::anyhow!("loading the audience: {e:?}"))?;
    record_districts(ctx, alert.id, target, &index, &prepared).await
}

/// Records the districts a sent alert concerns: those it names, and those where any resident
/// or postcode inside its target is.
async fn record_districts(
    ctx: &AppContext,
    alert_id: i64,
    target: &AreaTarget,
    index: &crate::geo::audience::AudienceIndex,
    prepared: &crate::geo::target::PreparedTarget,
) -> anyhow::Result<()> {
    let mut codes = target_districts(ctx, target, prepared).await?;
    codes.extend(index.districts_touched(prepared));
    let codes: Vec<String> = codes.into_iter().collect();
    ctx.store.set_alert_districts(alert_id, &codes).await?;
    // Which district pages and feeds list the alert may have changed.
    ctx.archive_edits.record();
    Ok(())
}

/// The districts a target concerns whoever lives there: those it names, and those of the
/// postcodes inside the shapes it draws.
pub async fn target_districts(
    ctx: &AppContext,
    target: &AreaTarget,
    prepared: &crate::geo::target::PreparedTarget,
) -> anyhow::Result<std::collections::BTreeSet<String>> {
    use crate::geo::target::Shape;
    let mut codes = std::collections::BTreeSet::new();
    for shape in &target.include {
        // Where residents are few, the postcodes inside a drawn shape tell its districts.
        let bounds = match shape {
            Shape::Circle {
                easting,
                northing,
                radius_m,
                ..
            } => Some((
                (easting - radius_m, easting + radius_m),
                (northing - radius_m, northing + radius_m),
            )),
            Shape::Polygon { rings } => rings.first().map(|ring| {
                let (mut e, mut n) = ((f64::MAX, f64::MIN), (f64::MAX, f64::MIN));
                for [x, y] in ring {
                    e = (e.0.min(*x), e.1.max(*x));
                    n = (n.0.min(*y), n.1.max(*y));
                }
                (e, n)
            }),
            _ => None,
        };
        if let Some((e, n)) = bounds {
            let clamp = |v: f64| v.clamp(-1.0e7, 1.0e7) as i32;
            for (district, easting, northing) in ctx
                .store
                .postcodes_in_box((clamp(e.0), clamp(e.1)), (clamp(n.0), clamp(n.1)))
                .await?
            {
                if !codes.contains(&district)
                    && prepared.contains(&district, f64::from(easting), f64::from(northing))
                {
                    codes.insert(district);
                }
            }
        }
        match shape {
            Shape::ForceArea => codes.extend(
                crate::geo::districts::FORCE_DISTRICTS
                    .iter()
                    .map(|c| c.to_string()),
            ),
            Shape::Districts { codes: named } => codes.extend(named.iter().cloned()),
            _ => {}
        }
    }
    Ok(codes)
}

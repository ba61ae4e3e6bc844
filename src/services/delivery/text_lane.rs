//! The text workers: one lane per gateway account (the main one, and each organisation's own),
//! each claiming its texts, holding those in a resident's quiet hours, pacing the rest under
//! the account's rate, and sending them, after asking the gateway about any earlier claim.

use super::alert_cache::AlertCache;
use super::claiming::{claim, lapsing};
use super::pacing::claim_limit;
use super::pacing::{pace, pacing_room};
use super::recording::{drop_unwanted, settle, Committer, Failure};
use super::AppContext;
use crate::delivery::sms::SmsSender;
use crate::domain::subscriber::QuietHours;
use crate::services::messages::{self, SharedAlert};
use crate::store::{DeliveryTarget, OutboundChannel, SenderScope};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Texts sent at once.
const SMS_CONCURRENCY: usize = 8;

/// One gateway account's texts: the organisations whose alerts they are, the account's
/// sender, and its rate, kept in a pacing cell of its own.
pub(super) struct TextLane {
    /// The pacing cell: `sms` for the main account, `sms:<provider slug>` for an organisation's.
    cell: String,
    /// Whose texts it takes: an organisation's own account that organisation's, the main
    /// account everyone else's.
    senders: SenderScope,
    sender: SmsSender,
    per_minute: u32,
}

/// The text lanes: the main account's, then each organisation's own (`sms.accounts`). An
/// account naming an organisation that does not exist is an error, listing those that do.
pub(super) async fn text_lanes(ctx: &AppContext) -> anyhow::Result<Vec<TextLane>> {
    let settings = &ctx.settings;
    let providers = ctx.store.providers().await?;
    let mut own = Vec::new();
    let mut lanes = Vec::new();
    for account in &settings.sms.accounts {
        let slug = account.provider.trim();
        let Some(provider) = providers.iter().find(|p| p.slug == slug) else {
            let known: Vec<&str> = providers.iter().map(|p| p.slug.as_str()).collect();
            anyhow::bail!(
                "sms.accounts names the provider {slug:?}, which does not exist (providers: {})",
                known.join(", ")
            );
        };
        own.push(provider.id);
        lanes.push(TextLane {
            cell: format!("{}:{slug}", OutboundChannel::Sms.as_str()),
            senders: SenderScope::Only(vec![provider.id]),
            sender: SmsSender::for_account(settings, account)?,
            per_minute: account.rate_per_minute,
        });
    }
    lanes.insert(
        0,
        TextLane {
            cell: OutboundChannel::Sms.as_str().to_owned(),
            senders: SenderScope::Except(own),
            sender: SmsSender::from_settings(settings)?,
            per_minute: settings.sms.rate_per_minute,
        },
    );
    Ok(lanes)
}

/// Sends texts, one lane per gateway account: an organisation with its own account has its
/// texts claimed, paced and sent apart from everyone else's, so a long queue for one account
/// never holds up another's.
pub(super) async fn run_sms(
    ctx: Arc<AppContext>,
    lanes: Vec<TextLane>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (committer, _) = Committer::spawn(ctx.clone());
    let mut running = tokio::task::JoinSet::new();
    for lane in lanes {
        let (ctx, committer, shutdown) = (ctx.clone(), committer.clone(), shutdown.clone());
        running.spawn(async move { run_text_lane(ctx, lane, committer, shutdown).await });
    }
    while let Some(result) = running.join_next().await {
        result.context("a text worker panicked")?;
    }
    Ok(())
}

async fn run_text_lane(
    ctx: Arc<AppContext>,
    lane: TextLane,
    committer: Committer,
    shutdown: CancellationToken,
) {
    tracing::info!(account = %lane.cell, per_minute = lane.per_minute, "alert text worker started");
    let sender = Arc::new(lane.sender);
    let mut cache = AlertCache::default();
    let limit = claim_limit(&ctx.settings, lane.per_minute);
    while let Some(targets) = claim(
        &ctx,
        OutboundChannel::Sms,
        &lane.senders,
        limit,
        &shutdown,
        || pacing_room(&ctx, &lane.cell, lane.per_minute),
    )
    .await
    {
        let now = chrono::Utc::now();
        let mut due = Vec::new();
        for target in targets {
            if !target.wants_channel {
                drop_unwanted(&ctx, &target).await;
                continue;
            }
            if let Some(until) = quiet_until(&target, now) {
                let result = ctx
                    .store
                    .retry_delivery(
                        target.id,
                        target.attempts,
                        until,
                        "held for the resident's quiet hours",
                        true,
                    )
                    .await;
                if let Err(error) = result {
                    tracing::error!(delivery = target.id, error = %error, "could not hold a text");
                }
                continue;
            }
            due.push(target);
        }
        let Ok(paced) = pace(&ctx, &lane.cell, lane.per_minute, due, &shutdown).await else {
            break;
        };
        let mut sending = tokio::task::JoinSet::new();
        for (target, slot) in paced {
            let shared = match cache.get(&ctx, target.alert_id).await {
                Ok(shared) => shared,
                Err(error) => {
                    tracing::error!(delivery = target.id, error = %error, "could not load an alert");
                    continue;
                }
            };
            while sending.len() >= SMS_CONCURRENCY {
                sending.join_next().await;
            }
            let (ctx, sender, committer) = (ctx.clone(), sender.clone(), committer.clone());
            sending.spawn(async move {
                tokio::time::sleep_until(slot).await;
                send_text(&ctx, &sender, &committer, &shared, &target).await;
            });
        }
        while sending.join_next().await.is_some() {}
    }
    tracing::info!(account = %lane.cell, "alert text worker stopped");
}

async fn send_text(
    ctx: &AppContext,
    sender: &SmsSender,
    committer: &Committer,
    shared: &SharedAlert,
    target: &DeliveryTarget,
) {
    let sms = match messages::resident_alert_sms(ctx, shared, target) {
        Ok(Some(sms)) => sms,
        Ok(None) => return drop_unwanted(ctx, target).await,
        Err(error) => {
            let reason = format!("could not render the text: {error:#}");
            return settle(
                ctx,
                target,
                Failure::Permanent {
                    reason,
                    contact: false,
                },
            )
            .await;
        }
    };
    // A request may take the whole timeout: do not start one on a claim about to lapse.
    let timeout = Duration::from_secs(ctx.settings.mail.smtp_timeout_secs);
    if lapsing(target.lease_until, timeout) {
        tracing::warn!(
            delivery = target.id,
            "claim about to lapse before sending a text; left for the next claim"
        );
        return;
    }
    // An earlier claim may have reached the gateway before its worker died: ask first.
    let earlier = if target.attempts > 1 {
        match sender.find_sent(&sms.reference).await {
            Ok(found) => found,
            Err(error) => return settle(ctx, target, error.into()).await,
        }
    } else {
        None
    };
    let gateway_id = match earlier {
        Some(id) => Some(id),
        None => match sender.send_returning_id(&sms).await {
            Ok(id) => id,
            Err(error) => return settle(ctx, target, error.into()).await,
        },
    };
    match committer.commit(target, gateway_id).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(
                delivery = target.id,
                "text already recorded (a receipt arrived first, or another claim)"
            )
        }
        Err(error) => {
            tracing::error!(delivery = target.id, error = %error, "could not mark a text sent")
        }
    }
}

/// When the resident's quiet hours end, if they are in them now (UK time).
fn quiet_until(target: &DeliveryTarget, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
    let (start, end) = target.quiet_hours.as_ref()?;
    let quiet = QuietHours {
        start: QuietHours::parse_time(start)?,
        end: QuietHours::parse_time(end)?,
    };
    quiet.ends_after(now).map(|t| t.timestamp())
}

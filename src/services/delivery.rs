//! Delivering sent alerts: the fan-out that turns a sent alert into one delivery row per
//! resident and channel, and the email and text workers that claim those rows and send them,
//! exactly once per alert, resident and channel, whatever crashes on the way.
//!
//! How "exactly once" holds:
//! - Sending an alert only sets its fan-out cursor, in the same transaction as its status.
//!   Fan-out workers walk the residents in id order, moving the cursor and inserting a chunk
//!   of deliveries in one transaction, so a chunk's rows exist exactly when the cursor has
//!   passed it: a crash loses the whole chunk, which the next worker records again, and a
//!   worker that finds the cursor moved writes nothing. `UNIQUE (alert_id, subscriber_id,
//!   channel)` refuses a second row all the same: a chunk that meets one (a cursor set back) is
//!   written again skipping the rows already there.
//! - A worker claims deliveries with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and each
//!   claim bumps the row's attempt number. Only the holder of the latest claim can mark it sent.
//! - An email is handed to the SMTP server whole except for the final `.`. Then one line goes
//!   into the worker's send journal (`delivery/journal.rs`), then the `.`; the database is told
//!   afterwards, in groups. A worker killed before the journal line leaves an unfinished SMTP
//!   transaction, which the server throws away when the connection drops, and the delivery is
//!   claimed again once its lease lapses; killed after it, the next worker to find the dead
//!   worker's journal marks the delivery sent before claiming anything. Only the stretch
//!   between those two adjacent system calls is uncovered.
//! - A worker never writes the final `.` under a claim that is about to lapse, so two workers
//!   never both send one delivery.
//! - A text whose earlier claim may have reached the gateway is first looked up there by its
//!   reference, and sent only if the gateway has never seen it.

use super::alerts::audience_index;
use super::messages::{self, SharedAlert};
use super::AppContext;
use crate::config::MailTransport;
use crate::delivery::email;
use crate::delivery::journal::{self, Journal};
use crate::delivery::outbound::backoff_secs;
use crate::delivery::sms::SmsSender;
use crate::delivery::smtp::{SmtpConfig, SmtpConnection, SmtpError};
use crate::delivery::SendError;
use crate::domain::mask;
use crate::domain::subscriber::QuietHours;
use crate::geo::audience::AudienceQuery;
use crate::geo::target::AreaTarget;
use crate::store::{DeliveryTarget, FanoutChunk, OutboundChannel, SenderScope};
use anyhow::Context;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio_util::sync::CancellationToken;

/// How often idle workers look for work nobody woke them for (another process's, or retries).
const IDLE_POLL: Duration = Duration::from_millis(250);
/// Sent ids a commit may gather from concurrent connections before it writes.
const COMMIT_GROUP: usize = 256;
/// How far ahead a worker may reserve sending slots under a rate limit.
const PACING_HORIZON_MS: i64 = 2_000;
/// Texts sent at once.
const SMS_CONCURRENCY: usize = 8;
/// Attempts (a second apart) at recording a group of sent deliveries before giving up on it.
const COMMIT_TRIES: u32 = 120;
/// A claim this close to lapsing is not used to send: another worker may take it over.
const LEASE_MARGIN_SECS: i64 = crate::config::SEND_LEASE_MARGIN_SECS;

/// Starts the fan-out and the email and text workers; fails, starting nothing, on settings
/// they cannot work with (an SMS account for an organisation that does not exist, say).
pub async fn spawn(
    ctx: Arc<AppContext>,
    tasks: &mut tokio::task::JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mail = AlertMail::from_context(&ctx)?;
    let sms = text_lanes(&ctx).await?;
    let (fanout, stop) = (ctx.clone(), shutdown.clone());
    tasks.spawn(async move {
        run_fanout(fanout, stop).await;
        Ok(())
    });
    let (email_ctx, stop) = (ctx.clone(), shutdown.clone());
    tasks.spawn(async move { run_email(email_ctx, mail, stop).await });
    let stop = shutdown.clone();
    tasks.spawn(async move { run_sms(ctx, sms, stop).await });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Fan-out
// ---------------------------------------------------------------------------------------------

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
    let target: AreaTarget =
        serde_json::from_str(&alert.content.target_json).context("reading the alert's target")?;
    let prepared = target.prepare();
    let index = audience_index(ctx)
        .await
        .map_err(|e| anyhow::anyhow!("loading the audience: {e:?}"))?;
    let query = AudienceQuery {
        target: &prepared,
        provider_id: alert.content.provider_id,
        message_type_id: alert.content.message_type_id,
        priority: alert.content.priority.level(),
        map_points: 0,
    };
    if cursor == 0 {
        record_districts(ctx, alert.id, &target, &index, &prepared).await?;
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
    let target: AreaTarget =
        serde_json::from_str(&alert.content.target_json).context("reading the alert's target")?;
    let prepared = target.prepare();
    let index = audience_index(ctx)
        .await
        .map_err(|e| anyhow::anyhow!("loading the audience: {e:?}"))?;
    record_districts(ctx, alert.id, &target, &index, &prepared).await
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

// ---------------------------------------------------------------------------------------------
// Shared by both channels
// ---------------------------------------------------------------------------------------------

/// Why a delivery did not go, and what to do about it.
enum Failure {
    /// Worth trying again later (a server or gateway in trouble, a 4xx reply).
    Transient(String),
    /// Will not change: recorded and left. `contact` blames the address or number itself.
    Permanent { reason: String, contact: bool },
}

impl From<SendError> for Failure {
    /// A gateway's permanent refusal blames the number only when it says the number is wrong
    /// (a bad template or key would otherwise suspend everyone's number).
    fn from(error: SendError) -> Failure {
        if error.transient {
            Failure::Transient(error.message)
        } else {
            let contact = error.message.to_lowercase().contains("phone_number")
                || error.message.contains("Not a UK mobile");
            Failure::Permanent {
                reason: error.message,
                contact,
            }
        }
    }
}

/// Records a failed attempt: retried with backoff while attempts remain, else given up.
async fn settle(ctx: &AppContext, target: &DeliveryTarget, failure: Failure) {
    let limits = &ctx.settings.limits;
    let suspend_after = ctx.settings.delivery.suspend_after_failures;
    let now = chrono::Utc::now().timestamp();
    let result = match failure {
        Failure::Transient(reason) if target.attempts < limits.max_send_attempts => {
            let at = now + backoff_secs(limits.retry_base_secs, target.attempts);
            tracing::info!(delivery = target.id, attempt = target.attempts, retry_at = at, reason = %reason, "delivery will be retried");
            ctx.store
                .retry_delivery(target.id, target.attempts, at, &reason, false)
                .await
        }
        Failure::Transient(reason) => {
            let reason = format!("gave up after {} attempts: {reason}", target.attempts);
            tracing::warn!(delivery = target.id, reason = %reason, "delivery failed");
            ctx.store
                .fail_delivery(
                    target.id,
                    target.attempts,
                    now,
                    &reason,
                    false,
                    suspend_after,
                )
                .await
        }
        Failure::Permanent { reason, contact } => {
            tracing::warn!(delivery = target.id, reason = %reason, "delivery failed for good");
            ctx.store
                .fail_delivery(
                    target.id,
                    target.attempts,
                    now,
                    &reason,
                    contact,
                    suspend_after,
                )
                .await
        }
    };
    if let Err(error) = result {
        // The claim lapses and the delivery is tried again: nothing is lost.
        tracing::error!(delivery = target.id, error = %error, "could not record a delivery's outcome");
    }
}

/// The alerts being delivered, each rendered once however many residents get it.
#[derive(Default)]
struct AlertCache {
    alerts: HashMap<i64, Arc<SharedAlert>>,
}

impl AlertCache {
    async fn get(&mut self, ctx: &AppContext, id: i64) -> anyhow::Result<Arc<SharedAlert>> {
        if let Some(shared) = self.alerts.get(&id) {
            return Ok(shared.clone());
        }
        let alert = ctx
            .store
            .alert(id)
            .await?
            .with_context(|| format!("alert {id} has deliveries but does not exist"))?;
        if self.alerts.len() > 64 {
            self.alerts.clear();
        }
        let shared = Arc::new(SharedAlert::new(alert));
        self.alerts.insert(id, shared.clone());
        Ok(shared)
    }
}

/// The time between two sends at `per_minute` (above 0), in milliseconds.
fn pacing_interval_ms(per_minute: u32) -> i64 {
    (60_000 / i64::from(per_minute)).max(1)
}

/// Whether a pacing cell has a slot free within the horizon, so that a claim made now can be
/// paced at once (a lane under a rate limit claims only then: claimed rows waiting for slots
/// could not be overtaken by urgent ones). No limit, or no answer from the database: yes.
async fn pacing_room(ctx: &AppContext, cell: &str, per_minute: u32) -> bool {
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
async fn pace(
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

/// Renews the claims of `items` (their targets found by `target`) that end before `until` to
/// end then; leaves out those whose claim is no longer this worker's. If the database cannot
/// be reached the claims stay as they are (a send checks its claim before it starts).
async fn renew_claims<T>(
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

/// Marks sent deliveries in groups: every connection waiting to finish a message joins the
/// next transaction, so the database sees one commit for many messages.
#[derive(Clone)]
struct Committer {
    requests: mpsc::Sender<CommitRequest>,
    /// Set when a group could not be recorded at all: the journal must then be kept.
    failed: Arc<std::sync::atomic::AtomicBool>,
}

struct CommitRequest {
    id: i64,
    attempts: i64,
    gateway_id: Option<String>,
    reply: oneshot::Sender<Result<bool, String>>,
}

impl Committer {
    /// The committer and its task, which ends once every `Committer` is dropped and the last
    /// group is written.
    fn spawn(ctx: Arc<AppContext>) -> (Committer, tokio::task::JoinHandle<()>) {
        let (requests, mut incoming) = mpsc::channel::<CommitRequest>(COMMIT_GROUP * 4);
        let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let failures = failed.clone();
        let task = tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                let mut group = vec![first];
                while group.len() < COMMIT_GROUP {
                    match incoming.try_recv() {
                        Ok(request) => group.push(request),
                        Err(_) => break,
                    }
                }
                let claims: Vec<(i64, i64)> = group.iter().map(|r| (r.id, r.attempts)).collect();
                let gateway_ids: Vec<Option<String>> =
                    group.iter().map(|r| r.gateway_id.clone()).collect();
                // The messages have gone: keep trying until the database has them, or another
                // worker would send them again once their claims lapse.
                let mut tries = 0;
                let result = loop {
                    let now = chrono::Utc::now().timestamp();
                    let result = ctx
                        .store
                        .mark_deliveries_sent(&claims, &gateway_ids, now)
                        .await;
                    tries += 1;
                    match result {
                        Err(error) if tries < COMMIT_TRIES => {
                            tracing::error!(error = %error, "could not record sent deliveries; trying again");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        other => break other,
                    }
                };
                if result.is_err() {
                    failures.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                for request in group {
                    let answer = match &result {
                        Ok(marked) => Ok(marked.contains(&request.id)),
                        Err(error) => Err(error.to_string()),
                    };
                    let _ = request.reply.send(answer);
                }
            }
        });
        (Committer { requests, failed }, task)
    }

    /// Hands one sent delivery to the next group commit without waiting for it.
    async fn commit_later(&self, target: &DeliveryTarget) {
        let (reply, _) = oneshot::channel();
        let request = CommitRequest {
            id: target.id,
            attempts: target.attempts,
            gateway_id: None,
            reply,
        };
        if self.requests.send(request).await.is_err() {
            tracing::error!(
                delivery = target.id,
                "the committer has stopped; the journal still records the send"
            );
        }
    }

    /// Marks one delivery sent under its claim: true if marked, false if the claim was lost.
    async fn commit(
        &self,
        target: &DeliveryTarget,
        gateway_id: Option<String>,
    ) -> Result<bool, String> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(CommitRequest {
                id: target.id,
                attempts: target.attempts,
                gateway_id,
                reply,
            })
            .await
            .map_err(|_| "the committer has stopped".to_owned())?;
        answer
            .await
            .map_err(|_| "the committer has stopped".to_owned())?
    }
}

/// How many deliveries to claim at once under a rate of `per_minute`: no more than can be sent
/// one interval apart, after waiting out the pacing horizon, while the claim leaves time for the
/// last of them to be sent and recorded. No limit: `delivery.claim_batch`.
fn claim_limit(settings: &crate::config::Settings, per_minute: u32) -> i64 {
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

/// Claims the next deliveries of `channel` from alerts of `senders`, at most `limit`, or waits
/// for some to be due; `before` runs before every attempt, and a false from it puts the claim
/// off. `None` once shutting down.
async fn claim<F, Fut>(
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

/// A delivery the resident no longer wants (unsubscribed, changed channels, address suspended):
/// recorded as not sent, and why.
async fn drop_unwanted(ctx: &AppContext, target: &DeliveryTarget) {
    settle(
        ctx,
        target,
        Failure::Permanent {
            reason: format!(
                "not sent: the resident no longer takes alerts by {}",
                match target.channel {
                    OutboundChannel::Email => "email",
                    OutboundChannel::Sms => "text",
                }
            ),
            contact: false,
        },
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

/// Where alert emails go: an SMTP server over several connections, or the file outbox.
pub enum AlertMail {
    Smtp {
        config: SmtpConfig,
        connections: usize,
    },
    File(PathBuf),
}

impl AlertMail {
    pub fn from_context(ctx: &AppContext) -> anyhow::Result<AlertMail> {
        let settings = &ctx.settings;
        let mail = &settings.mail;
        Ok(match mail.transport {
            MailTransport::File => {
                let dir = settings.email_outbox_dir();
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating the outbox {}", dir.display()))?;
                AlertMail::File(dir)
            }
            MailTransport::Smtp => AlertMail::Smtp {
                config: SmtpConfig {
                    host: mail.smtp_host.clone(),
                    port: mail.smtp_port,
                    tls: mail.smtp_tls,
                    username: mail.smtp_username.clone(),
                    password: mail.smtp_password.clone(),
                    timeout: Duration::from_secs(mail.smtp_timeout_secs),
                    helo_name: messages::sender_domain(ctx),
                    ca_file: Some(&mail.smtp_ca_file)
                        .filter(|f| !f.is_empty())
                        .map(std::path::PathBuf::from),
                },
                connections: mail.smtp_connections.max(1),
            },
        })
    }

    fn connections(&self) -> usize {
        match self {
            AlertMail::Smtp { connections, .. } => *connections,
            AlertMail::File(_) => 2,
        }
    }
}

/// One email handed to the connections: the claim it goes under and its alert, whose shared
/// parts are rendered once. Each connection renders its own residents' emails, so rendering
/// runs on every core rather than in the claiming task alone.
struct QueuedEmail {
    target: DeliveryTarget,
    alert: Arc<SharedAlert>,
}

/// One email ready to go: the rendered bytes and the claim it goes under.
struct EmailJob {
    target: DeliveryTarget,
    envelope_to: String,
    message_id: String,
    bytes: Vec<u8>,
}

pub async fn run_email(
    ctx: Arc<AppContext>,
    mail: AlertMail,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let dkim = email::dkim_config(&ctx.settings.mail)?.map(Arc::new);
    let from = ctx.settings.mail.from.clone();
    let envelope_from = envelope_address(&from);
    let journal_dir = ctx.settings.data_dir.join("delivery-journal");
    let journal = match &mail {
        AlertMail::Smtp { .. } => Some(Arc::new(
            Journal::create(&journal_dir)
                .with_context(|| format!("creating a send journal in {}", journal_dir.display()))?,
        )),
        AlertMail::File(_) => None,
    };
    let mail = Arc::new(mail);
    let (committer, committing) = Committer::spawn(ctx.clone());
    let per_minute = ctx.settings.mail.rate_per_minute;
    let limit = claim_limit(&ctx.settings, per_minute);
    // Room for two whole claims: the next is claimed, and the one after it, while the
    // connections send this one, so that a claim's round trip to the database (its commit
    // waits for the disk) never leaves them idle. Not under a rate limit: each email joins the
    // queue at its slot, and a queue that had backed up would then let a claim's worth go at
    // once.
    let room = match per_minute {
        0 => (mail.connections() * 4).max(2 * usize::try_from(limit).unwrap_or(1)),
        _ => mail.connections() * 4,
    };
    let (jobs, queue) = mpsc::channel::<QueuedEmail>(room);
    let queue = Arc::new(Mutex::new(queue));
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..mail.connections() {
        let lane = Lane {
            ctx: ctx.clone(),
            mail: mail.clone(),
            committer: committer.clone(),
            from: from.clone(),
            dkim: dkim.clone(),
            envelope_from: envelope_from.clone(),
            journal: journal.clone(),
        };
        let queue = queue.clone();
        lanes.spawn(async move { lane.run(queue).await });
    }
    tracing::info!(
        connections = mail.connections(),
        "alert email worker started"
    );
    let mut cache = AlertCache::default();
    let own_journal = journal.as_ref().map(|j| j.path().to_owned());
    // Before every claim: deliveries a dead worker handed over are recorded, so that claiming
    // them again (their leases lapse) cannot send them twice.
    // Under a rate limit, claims wait until the pacing cell has room.
    let ready = || async {
        recover_journals(&ctx, &journal_dir, own_journal.as_deref()).await
            && pacing_room(&ctx, OutboundChannel::Email.as_str(), per_minute).await
    };
    'claiming: while let Some(targets) = claim(
        &ctx,
        OutboundChannel::Email,
        &SenderScope::All,
        limit,
        &shutdown,
        ready,
    )
    .await
    {
        let paced = match pace(
            &ctx,
            OutboundChannel::Email.as_str(),
            per_minute,
            targets,
            &shutdown,
        )
        .await
        {
            Ok(paced) => paced,
            // Stopping: the claims are given up for another worker to take.
            Err(_) => break,
        };
        for (target, slot) in paced {
            if !target.wants_channel {
                drop_unwanted(&ctx, &target).await;
                continue;
            }
            let alert = match cache.get(&ctx, target.alert_id).await {
                Ok(alert) => alert,
                Err(error) => {
                    settle(&ctx, &target, unrenderable(&error)).await;
                    continue;
                }
            };
            tokio::time::sleep_until(slot).await;
            if jobs.send(QueuedEmail { target, alert }).await.is_err() {
                break 'claiming;
            }
        }
    }
    // The lanes finish what was handed to them, then the last marks are written.
    drop(jobs);
    while let Some(result) = lanes.join_next().await {
        result.context("an email connection panicked")?;
    }
    let commits_failed = committer.failed.clone();
    drop(committer);
    let _ = committing.await;
    // A journal whose sends are all recorded is no longer needed; otherwise it stays, and the
    // next worker to start records them.
    if !commits_failed.load(std::sync::atomic::Ordering::SeqCst) {
        if let Some(journal) = journal.and_then(Arc::into_inner) {
            journal.remove();
        }
    }
    tracing::info!("alert email worker stopped");
    Ok(())
}

/// Records as sent what dead workers' journals show they handed over; false if a journal
/// could not be read or recorded (then nothing may be claimed: it might be sent twice).
async fn recover_journals(
    ctx: &AppContext,
    dir: &std::path::Path,
    own: Option<&std::path::Path>,
) -> bool {
    let orphans = match journal::orphans(dir, own) {
        Ok(orphans) => orphans,
        Err(error) => {
            tracing::error!(error = %error, dir = %dir.display(), "could not read send journals");
            return false;
        }
    };
    let mut all = true;
    for orphan in orphans {
        let now = chrono::Utc::now().timestamp();
        match ctx.store.recover_sent(&orphan.handed_over, now).await {
            Ok(recovered) => {
                tracing::info!(
                    listed = orphan.handed_over.len(),
                    recovered,
                    "recorded the sends of a worker that stopped without recording them"
                );
                orphan.remove();
            }
            Err(error) => {
                tracing::error!(error = %error, "could not recover a dead worker's journal; will try again");
                all = false;
            }
        }
    }
    all
}

fn render_email(
    ctx: &AppContext,
    alert: &SharedAlert,
    from: &str,
    dkim: Option<&lettre::message::dkim::DkimConfig>,
    target: &DeliveryTarget,
) -> anyhow::Result<EmailJob> {
    let (bytes, message_id) = messages::resident_alert_email_bytes(ctx, alert, target, from, dkim)?;
    Ok(EmailJob {
        target: target.clone(),
        envelope_to: target.email.clone(),
        message_id,
        bytes,
    })
}

/// Whether a claim lasting until `lease_until` is too close to lapsing to start a send that may
/// take `timeout`, and be recorded after it.
fn lapsing(lease_until: i64, timeout: Duration) -> bool {
    chrono::Utc::now()
        .timestamp()
        .saturating_add(send_needs_secs(timeout))
        >= lease_until
}

/// How long a claim must still last to start a send that may take `timeout`: the send, then
/// the margin for recording it.
fn send_needs_secs(timeout: Duration) -> i64 {
    i64::try_from(timeout.as_secs())
        .unwrap_or(i64::MAX)
        .saturating_add(LEASE_MARGIN_SECS)
}

/// An email that could not be rendered: recorded as failed, not retried (it would fail again).
fn unrenderable(error: &anyhow::Error) -> Failure {
    Failure::Permanent {
        reason: format!("could not render the email: {error:#}"),
        contact: false,
    }
}

/// `Beacon Alerts <alerts@example.org>` → `alerts@example.org`.
fn envelope_address(from: &str) -> String {
    match (from.rfind('<'), from.rfind('>')) {
        (Some(open), Some(close)) if open < close => from[open + 1..close].to_owned(),
        _ => from.trim().to_owned(),
    }
}

/// One SMTP connection (or one writer into the file outbox) taking jobs off the shared queue.
struct Lane {
    ctx: Arc<AppContext>,
    mail: Arc<AlertMail>,
    committer: Committer,
    from: String,
    dkim: Option<Arc<lettre::message::dkim::DkimConfig>>,
    envelope_from: String,
    journal: Option<Arc<Journal>>,
}

impl Lane {
    async fn run(self, queue: Arc<Mutex<mpsc::Receiver<QueuedEmail>>>) {
        let mut connection: Option<SmtpConnection> = None;
        loop {
            let queued = queue.lock().await.recv().await;
            let Some(QueuedEmail { target, alert }) = queued else {
                break;
            };
            if let AlertMail::Smtp { config, .. } = &*self.mail {
                // Waited in the queue too long to be sent under its claim: left for the next.
                if lapsing(target.lease_until, config.timeout) {
                    tracing::warn!(
                        delivery = target.id,
                        "claim about to lapse before sending; left for the next claim"
                    );
                    continue;
                }
            }
            let dkim = self.dkim.as_deref();
            let job = match render_email(&self.ctx, &alert, &self.from, dkim, &target) {
                Ok(job) => job,
                Err(error) => {
                    settle(&self.ctx, &target, unrenderable(&error)).await;
                    continue;
                }
            };
            match &*self.mail {
                AlertMail::File(dir) => self.to_file(dir, job).await,
                AlertMail::Smtp { config, .. } => {
                    self.over_smtp(config, &mut connection, job).await;
                    if connection.as_ref().is_some_and(|c| c.is_broken()) {
                        connection = None;
                    }
                }
            }
        }
        if let Some(connection) = connection {
            connection.quit().await;
        }
    }

    /// The outbox file is named after the delivery, so writing it again replaces it: a worker
    /// killed between writing and marking leaves one file, not two.
    async fn to_file(&self, dir: &std::path::Path, job: EmailJob) {
        let name = format!("alert-{}-{}.eml", job.target.alert_id, job.target.id);
        let partial = dir.join(format!(".{name}.partial"));
        let written = async {
            tokio::fs::write(&partial, &job.bytes).await?;
            tokio::fs::rename(&partial, dir.join(&name)).await
        }
        .await;
        match written {
            Ok(()) => self.committer.commit_later(&job.target).await,
            Err(error) => {
                settle(
                    &self.ctx,
                    &job.target,
                    Failure::Transient(format!("writing the outbox: {error}")),
                )
                .await
            }
        }
    }

    async fn over_smtp(
        &self,
        config: &SmtpConfig,
        connection: &mut Option<SmtpConnection>,
        job: EmailJob,
    ) {
        let target = &job.target;
        if connection.is_none() {
            match SmtpConnection::connect(config).await {
                Ok(connected) => *connection = Some(connected),
                Err(error) => {
                    settle(&self.ctx, target, smtp_failure(&error, false)).await;
                    return;
                }
            }
        }
        let Some(smtp) = connection.as_mut() else {
            return;
        };
        if let Err(error) = smtp
            .stage(&self.envelope_from, &job.envelope_to, &job.bytes)
            .await
        {
            let at_recipient = matches!(&error, SmtpError::Rejected { stage: "rcpt", .. });
            settle(&self.ctx, target, smtp_failure(&error, at_recipient)).await;
            return;
        }
        // The server holds the whole message but has not taken it. Past this point another
        // worker must not take the delivery over: give up on a claim about to lapse (dropping
        // the connection makes the server discard the message), journal the hand-over, and
        // only then write the final dot.
        // The socket must have room first: between the journal line and the dot there must
        // be no wait, since a worker killed there loses the message (docs/delivery.md).
        if let Err(error) = smtp.ready_to_finish().await {
            settle(&self.ctx, target, smtp_failure(&error, false)).await;
            *connection = None;
            return;
        }
        // The reply to the dot may take the whole SMTP timeout, and the mark comes after it.
        let journalled = match &self.journal {
            _ if lapsing(job.target.lease_until, config.timeout) => {
                tracing::warn!(
                    delivery = target.id,
                    "claim about to lapse before sending; message abandoned"
                );
                false
            }
            Some(journal) => match journal.handing_over(target.id) {
                Ok(()) => true,
                Err(error) => {
                    tracing::error!(delivery = target.id, error = %error, "could not write the send journal; message abandoned");
                    false
                }
            },
            None => true,
        };
        if !journalled {
            *connection = None;
            return;
        }
        // Unconstrained: the dot's write must not be put off to let other tasks run.
        match tokio::task::unconstrained(smtp.finish()).await {
            Ok(_) => {
                tracing::debug!(delivery = target.id, to = %mask::email(&job.envelope_to), message_id = %job.message_id, "alert email sent");
                self.committer.commit_later(target).await;
            }
            Err(error @ SmtpError::Rejected { .. }) => {
                if let Some(journal) = &self.journal {
                    if let Err(e) = journal.refused(target.id) {
                        tracing::error!(delivery = target.id, error = %e, "could not write the send journal");
                    }
                }
                settle(&self.ctx, target, smtp_failure(&error, false)).await;
            }
            Err(error) => {
                // The final dot was written or not: the server may have the message. Counting
                // it as sent risks one lost email; sending again risks a duplicate at every
                // resident whose connection broke here. Keep it sent, and say so.
                tracing::warn!(delivery = target.id, message_id = %job.message_id, error = %error, "connection lost after the end of a message; counted as sent");
                self.committer.commit_later(target).await;
            }
        }
    }
}

/// An SMTP error as a delivery failure. Only a refusal of the recipient that says the address
/// is bad (550, 551 or 553, not a 5.7.x policy refusal such as "relaying denied") blames the
/// address: a misconfigured relay must not suspend every resident.
fn smtp_failure(error: &SmtpError, at_recipient: bool) -> Failure {
    let reason = SendError::permanent(error.to_string()).message;
    if error.is_permanent() {
        let bad_address = match error {
            SmtpError::Rejected { reply, .. } => {
                matches!(reply.code, 550 | 551 | 553) && !reply.text.contains("5.7.")
            }
            _ => false,
        };
        Failure::Permanent {
            reason,
            contact: at_recipient && bad_address,
        }
    } else {
        Failure::Transient(reason)
    }
}

// ---------------------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------------------

/// One gateway account's texts: the organisations whose alerts they are, the account's
/// sender, and its rate, kept in a pacing cell of its own.
struct TextLane {
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
async fn text_lanes(ctx: &AppContext) -> anyhow::Result<Vec<TextLane>> {
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
async fn run_sms(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_address_is_taken_from_the_from_header() {
        assert_eq!(
            envelope_address("Beacon Alerts <alerts@beacon.example>"),
            "alerts@beacon.example"
        );
        assert_eq!(
            envelope_address("alerts@beacon.example"),
            "alerts@beacon.example"
        );
    }

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

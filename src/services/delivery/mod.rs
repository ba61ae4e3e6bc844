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
//!
//! The rooms: `fanout` (alerts into delivery rows), `claiming` and `pacing` (taking rows off the
//! queue under a lease and a rate limit), `recording` (what became of each), `alert_cache`, and
//! one worker per channel, `email_lane` and `text_lane`. This file starts them.

mod alert_cache;
mod claiming;
mod email_lane;
mod fanout;
mod pacing;
mod recording;
mod text_lane;

pub use email_lane::{run_email, AlertMail};
pub use fanout::{fanout_once, record_alert_districts, run_fanout, target_districts};

use super::AppContext;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often idle workers look for work nobody woke them for (another process's, or retries).
const IDLE_POLL: Duration = Duration::from_millis(250);

/// Starts the fan-out and the email and text workers; fails, starting nothing, on settings
/// they cannot work with (an SMS account for an organisation that does not exist, say).
pub async fn spawn(
    ctx: Arc<AppContext>,
    tasks: &mut tokio::task::JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mail = AlertMail::from_context(&ctx)?;
    let sms = text_lane::text_lanes(&ctx).await?;
    let (fanout, stop) = (ctx.clone(), shutdown.clone());
    tasks.spawn(async move {
        run_fanout(fanout, stop).await;
        Ok(())
    });
    let (email_ctx, stop) = (ctx.clone(), shutdown.clone());
    tasks.spawn(async move { run_email(email_ctx, mail, stop).await });
    let stop = shutdown.clone();
    tasks.spawn(async move { text_lane::run_sms(ctx, sms, stop).await });
    Ok(())
}

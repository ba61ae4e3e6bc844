//! The email worker: claims email deliveries, paces them under the mail rate limit, and hands
//! them to several SMTP connections (or the file outbox), journalling each hand-over before the
//! final `.` so that a killed worker's sends are recorded by the next (`recover_journals`).

use super::alert_cache::AlertCache;
use super::claiming::{claim, lapsing};
use super::pacing::claim_limit;
use super::pacing::{pace, pacing_room};
use super::recording::{drop_unwanted, settle, Committer, Failure};
use super::AppContext;
use crate::config::MailTransport;
use crate::delivery::email;
use crate::delivery::journal::{self, Journal};
use crate::delivery::smtp::{SmtpConfig, SmtpConnection, SmtpError};
use crate::delivery::SendError;
use crate::domain::mask;
use crate::services::messages::{self, SharedAlert};
use crate::store::{DeliveryTarget, OutboundChannel, SenderScope};
use anyhow::Context;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex};
use tokio_util::sync::CancellationToken;

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
}

//! The outbound worker: claims queued messages in batches, sends each by its channel, and records
//! the outcome. Passing failures are retried with exponential backoff and jitter; permanent ones
//! are recorded and left. A worker killed mid-batch loses nothing: its claims lapse and another
//! pass picks the messages up.

use super::email::{EmailMessage, Mailer};
use super::sms::{SmsMessage, SmsSender};
use super::SendError;
use crate::store::{OutboundChannel, OutboundMessage, Outbox};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long a claim lasts before another worker may take the message over. It must outlast a
/// whole batch of slow sends (each SMTP attempt may take `smtp_timeout_secs`), or a second
/// worker would send a message the first is still holding.
const LEASE_SECS: i64 = 600;
const BATCH: i64 = 10;
/// How often the worker looks for due retries when nobody wakes it.
const POLL: Duration = Duration::from_secs(2);

pub struct OutboundWorker {
    pub store: std::sync::Arc<dyn Outbox>,
    pub mailer: Mailer,
    pub sms: SmsSender,
    pub from: String,
    pub max_attempts: i64,
    pub retry_base_secs: i64,
    pub wakeup: Arc<Notify>,
}

impl OutboundWorker {
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!("outbound worker started");
        while !shutdown.is_cancelled() {
            match self.drain_once().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => tracing::error!(error = %error, "outbound worker pass failed"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wakeup.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        tracing::info!("outbound worker stopped");
    }

    /// Sends one batch of due messages; returns how many were claimed.
    pub async fn drain_once(&self) -> anyhow::Result<usize> {
        let now = chrono::Utc::now().timestamp();
        let claimed = self
            .store
            .claim_outbound(now, now + LEASE_SECS, BATCH)
            .await?;
        let count = claimed.len();
        for message in claimed {
            let outcome = self.send(&message).await;
            let now = chrono::Utc::now().timestamp();
            let recorded = match outcome {
                Ok(()) => self.store.mark_outbound_sent(message.id, now).await,
                Err(error) if error.transient && message.attempts < self.max_attempts => {
                    let retry_at = now + backoff_secs(self.retry_base_secs, message.attempts);
                    self.store
                        .mark_outbound_retry(message.id, retry_at, &error.message)
                        .await
                }
                Err(error) => {
                    tracing::warn!(id = message.id, purpose = %message.purpose, error = %error.message, "message given up");
                    self.store
                        .mark_outbound_failed(message.id, now, &error.message)
                        .await
                }
            };
            // Carry on with the batch: the others were claimed too, and stopping here would
            // leave them to wait out their lease.
            if let Err(error) = recorded {
                tracing::error!(id = message.id, error = %error, "could not record a send's outcome");
            }
        }
        Ok(count)
    }

    async fn send(&self, message: &OutboundMessage) -> Result<(), SendError> {
        match message.channel {
            OutboundChannel::Email => {
                let email: EmailMessage = serde_json::from_str(&message.payload)
                    .map_err(|e| SendError::permanent(format!("unreadable payload: {e}")))?;
                self.mailer.send(&self.from, &email).await
            }
            OutboundChannel::Sms => {
                let sms: SmsMessage = serde_json::from_str(&message.payload)
                    .map_err(|e| SendError::permanent(format!("unreadable payload: {e}")))?;
                self.sms.send(&sms).await
            }
        }
    }
}

/// `base`, twice that, four times … capped at an hour, with up to a fifth added at random so that
/// many messages failing together do not retry together.
pub fn backoff_secs(base: i64, attempts: i64) -> i64 {
    let delay = base
        .max(1)
        .saturating_mul(1 << (attempts - 1).clamp(0, 20))
        .min(3_600);
    delay + rand::thread_rng().gen_range(0..=delay / 5)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        assert!((10..=12).contains(&super::backoff_secs(10, 1)));
        assert!((40..=48).contains(&super::backoff_secs(10, 3)));
        assert!(super::backoff_secs(10, 60) <= 3_600 + 720);
    }
}

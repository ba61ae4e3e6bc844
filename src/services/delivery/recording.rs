//! Recording what became of deliveries, for both channels: a failure retried with backoff or
//! given up (`settle`), a delivery the resident no longer wants, and sent deliveries marked in
//! group commits (`Committer`). Touches only the store.

use super::AppContext;
use crate::delivery::outbound::backoff_secs;
use crate::delivery::SendError;
use crate::store::{DeliveryTarget, OutboundChannel};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Sent ids a commit may gather from concurrent connections before it writes.
const COMMIT_GROUP: usize = 256;
/// Attempts (a second apart) at recording a group of sent deliveries before giving up on it.
const COMMIT_TRIES: u32 = 120;

/// Why a delivery did not go, and what to do about it.
pub(super) enum Failure {
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
pub(super) async fn settle(ctx: &AppContext, target: &DeliveryTarget, failure: Failure) {
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

/// Marks sent deliveries in groups: every connection waiting to finish a message joins the
/// next transaction, so the database sees one commit for many messages.
#[derive(Clone)]
pub(super) struct Committer {
    requests: mpsc::Sender<CommitRequest>,
    /// Set when a group could not be recorded at all: the journal must then be kept.
    pub(super) failed: Arc<std::sync::atomic::AtomicBool>,
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
    pub(super) fn spawn(ctx: Arc<AppContext>) -> (Committer, tokio::task::JoinHandle<()>) {
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
    pub(super) async fn commit_later(&self, target: &DeliveryTarget) {
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
    pub(super) async fn commit(
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

/// A delivery the resident no longer wants (unsubscribed, changed channels, address suspended):
/// recorded as not sent, and why.
pub(super) async fn drop_unwanted(ctx: &AppContext, target: &DeliveryTarget) {
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

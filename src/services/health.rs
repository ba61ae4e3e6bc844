//! Whether this process can serve: its database takes a write. A database that answers reads
//! but refuses writes (read-only, a standby after a failover, held by another writer) cannot
//! take a sign-up or send an alert, so the process is not ready.

use super::AppContext;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// How long a check waits for the database to take its write: longer, and the process is not
/// ready (a load balancer's check would have given up by then).
const WRITE_WITHIN: Duration = Duration::from_secs(3);

/// How long one check's answer stands: however often `/readyz` is asked, the database takes at
/// most one readiness write a second from this process.
const ANSWER_STANDS: Duration = Duration::from_secs(1);

/// Readiness, and which database backend was asked.
pub struct Readiness {
    pub backend: &'static str,
    /// Why not, for the log.
    pub writable: Result<(), String>,
}

/// The last check's answer and when it was made.
#[derive(Default)]
pub struct ReadinessChecks {
    last: Mutex<Option<(Instant, Result<(), String>)>>,
}

pub async fn ready(ctx: &AppContext) -> Readiness {
    let backend = ctx.store.backend();
    // Held while checking, so that requests arriving meanwhile take this check's answer.
    let mut last = ctx.readiness.last.lock().await;
    if let Some((at, answer)) = last.as_ref() {
        if at.elapsed() < ANSWER_STANDS {
            return Readiness {
                backend,
                writable: answer.clone(),
            };
        }
    }
    let answer = match tokio::time::timeout(WRITE_WITHIN, ctx.store.check_writable()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!(
            "the database did not take a write within {} s",
            WRITE_WITHIN.as_secs()
        )),
    };
    *last = Some((Instant::now(), answer.clone()));
    Readiness {
        backend,
        writable: answer,
    }
}

//! Live events of the contact centre (a message stored, someone typing, a message read, a
//! conversation taken, moved, urgent or ended, the queue moving), passed to every web process's
//! open connections: within the one process on SQLite, and between processes through the
//! database the deployment already runs (PostgreSQL's LISTEN/NOTIFY). An event only says what
//! changed: what it concerns is read from the store, where it was written first.

use crate::store::{LiveChannel, LiveFeed, StoreResult};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// What happened, for whoever is watching a conversation or an organisation's inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum LiveEvent {
    /// A message was stored in a conversation of an organisation's inbox.
    Message {
        conversation: i64,
        provider: i64,
        message: i64,
    },
    /// One side is typing.
    Typing { conversation: i64, resident: bool },
    /// One side has read up to a message.
    Read {
        conversation: i64,
        resident: bool,
        message: i64,
    },
    /// A conversation started, was taken, transferred, closed or marked urgent; the
    /// organisation's queue may have moved with it.
    Changed { conversation: i64, provider: i64 },
    /// An operator became available or away (the organisation's queue may move).
    Presence { provider: i64 },
}

impl LiveEvent {
    /// The conversation the event is about, if it is about one.
    pub fn conversation(&self) -> Option<i64> {
        match self {
            LiveEvent::Message { conversation, .. }
            | LiveEvent::Typing { conversation, .. }
            | LiveEvent::Read { conversation, .. }
            | LiveEvent::Changed { conversation, .. } => Some(*conversation),
            LiveEvent::Presence { .. } => None,
        }
    }
}

/// Events waiting for a slow listener before it misses some (and rereads the store).
const BACKLOG: usize = 4_096;

/// The longest wait between two attempts to listen again after the database went away.
const MOST_BETWEEN_ATTEMPTS: Duration = Duration::from_secs(5);

/// What this process's listeners are passed: an event, or word that some were missed.
#[derive(Debug, Clone)]
enum Heard {
    Event(LiveEvent),
    /// The connection that hears the other processes was lost (and is back): events may have
    /// been missed, so every listener rereads what it shows.
    Missed,
}

/// This process's hub of live events.
pub struct Live {
    local: broadcast::Sender<Heard>,
    /// Cancelled when the web server stops, so that open live connections end.
    closing: CancellationToken,
    /// The database that carries events to the other processes, when it can (`Live::over`).
    channel: Option<Arc<dyn LiveChannel>>,
    /// Whether this process hears every event through the database (`listen`), its own
    /// included, so that `publish` must not also pass them on itself.
    listening: Arc<AtomicBool>,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    /// A hub for this process alone.
    pub fn new() -> Live {
        let (local, _) = broadcast::channel(BACKLOG);
        Live {
            local,
            closing: CancellationToken::new(),
            channel: None,
            listening: Arc::new(AtomicBool::new(false)),
        }
    }

    /// A hub whose events also reach the other processes on the same database, when it carries
    /// them (PostgreSQL; on SQLite there is one process, and this is `new`).
    pub fn over(channel: Arc<dyn LiveChannel>) -> Live {
        Live {
            channel: Some(channel),
            ..Live::new()
        }
    }

    /// Ends every open live connection (the web server is stopping).
    pub fn close(&self) {
        self.closing.cancel();
    }

    /// Cancelled once `close` is called.
    pub fn closing(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// Every event from now on, from this process and (on PostgreSQL) the others, each once.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            heard: self.local.subscribe(),
        }
    }

    /// Tells every web process's listeners. Call it after what the event says is stored.
    pub async fn publish(&self, event: LiveEvent) {
        if let Some(channel) = &self.channel {
            // Serialising an enum of ids cannot fail.
            let payload = serde_json::to_string(&event).unwrap_or_default();
            match channel.notify_live(&payload).await {
                // It comes back through this process's listening connection, as to the others.
                Ok(true) if self.listening.load(Ordering::Acquire) => return,
                Ok(_) => {}
                Err(error) => tracing::warn!(
                    error = %error,
                    "could not pass a live event to the other web processes"
                ),
            }
        }
        // Nobody listening is not an error.
        let _ = self.local.send(Heard::Event(event));
    }

    /// Starts hearing every process's events through the database, for a web process on
    /// PostgreSQL: returns what passes them on to this process's listeners (run it until the
    /// process stops), or `None` when the database carries no events (SQLite: one process) or
    /// this hub already hears them.
    pub async fn listen(&self) -> StoreResult<Option<Forwarder>> {
        let Some(channel) = &self.channel else {
            return Ok(None);
        };
        let Some(feed) = channel.listen_live().await? else {
            return Ok(None);
        };
        if self.listening.swap(true, Ordering::AcqRel) {
            return Ok(None);
        }
        Ok(Some(Forwarder {
            feed,
            channel: channel.clone(),
            local: self.local.clone(),
            listening: self.listening.clone(),
        }))
    }
}

/// One listener's events (`Live::subscribe`).
pub struct Subscription {
    heard: broadcast::Receiver<Heard>,
}

impl Subscription {
    /// The next event. `RecvError::Lagged`: events were missed (this listener fell behind, or
    /// the connection to the other processes was lost for a while): reread what is shown.
    /// `RecvError::Closed`: the hub is gone.
    pub async fn recv(&mut self) -> Result<LiveEvent, RecvError> {
        match self.heard.recv().await? {
            Heard::Event(event) => Ok(event),
            Heard::Missed => Err(RecvError::Lagged(0)),
        }
    }

    /// The next event if one is already here, without waiting (`TryRecvError::Empty` if not);
    /// missed events as in `recv`.
    pub fn try_recv(&mut self) -> Result<LiveEvent, broadcast::error::TryRecvError> {
        match self.heard.try_recv()? {
            Heard::Event(event) => Ok(event),
            Heard::Missed => Err(broadcast::error::TryRecvError::Lagged(0)),
        }
    }
}

/// Passes the events heard through the database to this process's listeners.
pub struct Forwarder {
    feed: LiveFeed,
    channel: Arc<dyn LiveChannel>,
    local: broadcast::Sender<Heard>,
    listening: Arc<AtomicBool>,
}

impl Forwarder {
    /// Runs until `shutdown`. When the connection is lost it listens again (waiting longer
    /// between attempts while the database is away), then tells every listener to reread.
    pub async fn run(mut self, shutdown: CancellationToken) {
        loop {
            let heard = tokio::select! {
                () = shutdown.cancelled() => break,
                heard = self.feed.next() => heard,
            };
            let heard = match heard {
                Ok(Some(payload)) => match serde_json::from_str(&payload) {
                    Ok(event) => Heard::Event(event),
                    // From a newer version, during an upgrade: what it changed is in the store.
                    Err(_) => Heard::Missed,
                },
                Ok(None) => {
                    tracing::warn!("the connection hearing live events was lost and is back");
                    Heard::Missed
                }
                Err(error) => {
                    tracing::warn!(
                        error = %error,
                        "lost the connection hearing live events; listening again"
                    );
                    match self.listen_again(&shutdown).await {
                        Some(feed) => self.feed = feed,
                        None => break,
                    }
                    tracing::info!("hearing live events again");
                    Heard::Missed
                }
            };
            let _ = self.local.send(heard);
        }
        self.listening.store(false, Ordering::Release);
    }

    /// A new listening connection, or `None` if the process stops first.
    async fn listen_again(&self, shutdown: &CancellationToken) -> Option<LiveFeed> {
        let mut wait = Duration::from_millis(100);
        loop {
            match self.channel.listen_live().await {
                Ok(feed) => return feed,
                Err(error) => tracing::warn!(error = %error, "could not listen for live events"),
            }
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(MOST_BETWEEN_ATTEMPTS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listeners_hear_what_is_published_after_they_subscribe() {
        let live = Live::new();
        live.publish(LiveEvent::Presence { provider: 1 }).await;
        let mut listener = live.subscribe();
        let event = LiveEvent::Message {
            conversation: 7,
            provider: 1,
            message: 42,
        };
        live.publish(event.clone()).await;
        assert_eq!(listener.recv().await.ok(), Some(event));
        assert_eq!(
            serde_json::to_string(&LiveEvent::Typing {
                conversation: 7,
                resident: true
            })
            .ok()
            .as_deref(),
            Some(r#"{"type":"typing","conversation":7,"resident":true}"#)
        );
    }
}

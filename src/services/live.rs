//! Live events of the contact centre (a message stored, someone typing, a message read, a
//! conversation taken, moved, urgent or ended, the queue moving), passed to every web process's
//! open connections: within the one process on SQLite, and between processes through the
//! database the deployment already runs (PostgreSQL's LISTEN/NOTIFY). An event only says what
//! changed: what it concerns is read from the store, where it was written first.

use tokio::sync::broadcast;
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

/// This process's hub of live events.
pub struct Live {
    local: broadcast::Sender<LiveEvent>,
    /// Cancelled when the web server stops, so that open live connections end.
    closing: CancellationToken,
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    pub fn new() -> Live {
        let (local, _) = broadcast::channel(BACKLOG);
        Live {
            local,
            closing: CancellationToken::new(),
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

    /// Every event from now on, from this process and (on PostgreSQL) the others. A receiver
    /// that falls behind gets `RecvError::Lagged` and should reread what it shows.
    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.local.subscribe()
    }

    /// Tells every web process's listeners. Call it after what the event says is stored.
    pub async fn publish(&self, event: LiveEvent) {
        // Nobody listening is not an error.
        let _ = self.local.send(event);
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

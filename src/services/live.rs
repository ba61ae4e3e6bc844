//! Live events of the contact centre (a message stored, someone typing, a message read, a
//! conversation taken, moved, urgent or ended, the queue moving), passed to every web process's
//! open connections: within the one process on SQLite, and between processes through the
//! database the deployment already runs (PostgreSQL's LISTEN/NOTIFY). An event only says what
//! changed: what it concerns is read from the store, where it was written first.

use crate::store::{
    Conversation, Conversations, DynStore, LiveChannel, LiveFeed, Message, StoreResult,
};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
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

/// Announced messages, and changed conversations, kept read for the connections still catching up
/// with them (`announced`, `changed`).
const ANNOUNCED_KEPT: usize = 1_024;

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

/// Events waiting for a slow listener of one conversation (a resident's chat).
const CONVERSATION_BACKLOG: usize = 256;

/// Where this process's events go: every event to the listeners of everything (operators'
/// inboxes); a conversation's events only to the listeners of that conversation (a resident's
/// chat), with the queue's (`Changed`, `Presence`: rare). A thousand open chats each woken by
/// every message of every other chat would spend most of a core doing nothing.
struct Routes {
    everything: broadcast::Sender<Heard>,
    queue: broadcast::Sender<Heard>,
    conversations: Mutex<HashMap<i64, broadcast::Sender<Heard>>>,
    /// Where announced messages are read from (`Live::over`), and the latest read.
    reads: Option<Arc<dyn Conversations>>,
    announced: Mutex<KeptReads<Announced>>,
    /// The latest read of each conversation a `Changed` event announced (`Live::changed`).
    changed: Mutex<KeptReads<Conversation>>,
}

impl Routes {
    fn new(reads: Option<Arc<dyn Conversations>>) -> Routes {
        Routes {
            everything: broadcast::channel(BACKLOG).0,
            queue: broadcast::channel(BACKLOG).0,
            conversations: Mutex::default(),
            reads,
            announced: Mutex::default(),
            changed: Mutex::default(),
        }
    }

    fn pass(self: &Arc<Self>, heard: Heard) {
        // Nobody listening is not an error.
        match &heard {
            Heard::Event(event) => {
                // Inboxes show every message: read it now, beside the others', rather than
                // when the first inbox comes to it (they would then wait for each read in turn).
                if let (
                    LiveEvent::Message {
                        conversation,
                        message,
                        ..
                    },
                    Some(reads),
                ) = (event, &self.reads)
                {
                    if self.everything.receiver_count() > 0 {
                        let (routes, reads) = (self.clone(), reads.clone());
                        let (conversation, message) = (*conversation, *message);
                        tokio::spawn(async move {
                            routes.announced(&*reads, conversation, message).await;
                        });
                    }
                }
                // And a changed conversation once, for every inbox rather than by each.
                if let (LiveEvent::Changed { conversation, .. }, Some(reads)) = (event, &self.reads)
                {
                    if self.everything.receiver_count() > 0 {
                        let read = self.changed_read(*conversation, true);
                        let (reads, conversation) = (reads.clone(), *conversation);
                        tokio::spawn(async move {
                            read.get_or_init(|| read_changed(&*reads, conversation))
                                .await;
                        });
                    }
                }
                if matches!(
                    event,
                    LiveEvent::Changed { .. } | LiveEvent::Presence { .. }
                ) {
                    let _ = self.queue.send(heard.clone());
                }
                if let Some(id) = event.conversation() {
                    let mut conversations =
                        self.conversations.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(listeners) = conversations.get(&id) {
                        if listeners.send(heard.clone()).is_err() {
                            conversations.remove(&id);
                        }
                    }
                }
            }
            // Every conversation's listeners hear the queue's too.
            Heard::Missed => {
                let _ = self.queue.send(Heard::Missed);
            }
        }
        let _ = self.everything.send(heard);
    }

    /// `Live::announced`.
    async fn announced(
        &self,
        store: &dyn Conversations,
        conversation: i64,
        message: i64,
    ) -> Option<Arc<Announced>> {
        let read = self
            .announced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read(message, false);
        read.get_or_init(|| async {
            let found = read_announced(store, conversation, message).await;
            if let Err(error) = &found {
                tracing::warn!(error = %error, "could not read an announced message");
            }
            found.ok().flatten().map(Arc::new)
        })
        .await
        .clone()
    }

    /// The read kept for a changed conversation; a new one (to be read afresh) when `fresh`,
    /// or when none is kept.
    fn changed_read(&self, conversation: i64, fresh: bool) -> KeptRead<Conversation> {
        self.changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .read(conversation, fresh)
    }

    fn conversation(&self, id: i64) -> broadcast::Receiver<Heard> {
        let mut conversations = self.conversations.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the conversations nobody listens to any more.
        conversations.retain(|_, listeners| listeners.receiver_count() > 0);
        conversations
            .entry(id)
            .or_insert_with(|| broadcast::channel(CONVERSATION_BACKLOG).0)
            .subscribe()
    }
}

/// This process's hub of live events.
pub struct Live {
    routes: Arc<Routes>,
    /// Cancelled when the web server stops, so that open live connections end.
    closing: CancellationToken,
    /// The database that carries events to the other processes, when it can (`Live::over`).
    channel: Option<Arc<dyn LiveChannel>>,
    /// Whether this process hears every event through the database (`listen`), its own
    /// included, so that `publish` must not also pass them on itself.
    listening: Arc<AtomicBool>,
    /// Live connections open in this process, by conversation (`Live::hold`).
    open: Arc<Mutex<HashMap<i64, usize>>>,
}

/// One live connection to a conversation, counted while it is held (`Live::hold`).
#[derive(Debug)]
pub struct LiveSlot {
    open: Arc<Mutex<HashMap<i64, usize>>>,
    conversation: i64,
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.conversation) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.conversation);
            }
        }
    }
}

/// A message an event announced, and its conversation as it was once the message was stored.
#[derive(Debug)]
pub struct Announced {
    pub message: Message,
    pub conversation: Conversation,
}

/// One read from the store, made once however many connections wait for it.
type KeptRead<T> = Arc<tokio::sync::OnceCell<Option<Arc<T>>>>;

/// The latest reads, by id (a message's, a conversation's); once `ANNOUNCED_KEPT` are kept, the
/// oldest is the first forgotten.
struct KeptReads<T> {
    reads: HashMap<i64, KeptRead<T>>,
    /// Ids, oldest first.
    order: VecDeque<i64>,
}

impl<T> Default for KeptReads<T> {
    fn default() -> Self {
        KeptReads {
            reads: HashMap::new(),
            order: VecDeque::new(),
        }
    }
}

impl<T> KeptReads<T> {
    /// The read kept for `id`; a new one (to be read afresh) when `fresh`, or when none is kept.
    fn read(&mut self, id: i64, fresh: bool) -> KeptRead<T> {
        match self.reads.get(&id) {
            Some(read) if !fresh => return read.clone(),
            Some(_) => {}
            None => {
                if self.order.len() >= ANNOUNCED_KEPT {
                    if let Some(oldest) = self.order.pop_front() {
                        self.reads.remove(&oldest);
                    }
                }
                self.order.push_back(id);
            }
        }
        let read = KeptRead::default();
        self.reads.insert(id, read.clone());
        read
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::new()
    }
}

impl Live {
    /// A hub for this process alone.
    pub fn new() -> Live {
        Live {
            routes: Arc::new(Routes::new(None)),
            closing: CancellationToken::new(),
            channel: None,
            listening: Arc::new(AtomicBool::new(false)),
            open: Arc::default(),
        }
    }

    /// A place for one more live connection to a conversation in this process (a WebSocket,
    /// an event stream, a long poll), held until the slot is dropped; `None` when `most` are
    /// open already. One chat's link cannot then take every connection the server has.
    pub fn hold(&self, conversation: i64, most: usize) -> Option<LiveSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(conversation).or_default();
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(LiveSlot {
            open: self.open.clone(),
            conversation,
        })
    }

    /// A hub whose events also reach the other processes on the same database, when it carries
    /// them (PostgreSQL; on SQLite there is one process, and this is `new`).
    pub fn over(store: DynStore) -> Live {
        let reads: Arc<dyn Conversations> = store.clone();
        Live {
            routes: Arc::new(Routes::new(Some(reads))),
            channel: Some(store),
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
            heard: self.routes.everything.subscribe(),
            queue: None,
        }
    }

    /// One conversation's events from now on, and the queue's (any conversation started, taken
    /// or ended, any operator available or away): what a resident's chat shows.
    pub fn subscribe_to(&self, conversation: i64) -> Subscription {
        Subscription {
            heard: self.routes.conversation(conversation),
            queue: Some((self.routes.queue.subscribe(), conversation)),
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
        self.routes.pass(Heard::Event(event));
    }

    /// The message a `LiveEvent::Message` announced and its conversation, read from the store
    /// once in this process however many of its connections show it (every operator's inbox
    /// shows every message of the organisation), and kept for the ones still catching up. `None`
    /// if it is not there (deleted since), could not be read, or this hub has no store (`new`).
    pub async fn announced(&self, conversation: i64, message: i64) -> Option<Arc<Announced>> {
        let reads = self.routes.reads.as_ref()?;
        self.routes.announced(&**reads, conversation, message).await
    }

    /// A conversation as read after the latest `Changed` event about it this process heard:
    /// read once in this process however many inboxes handle the event (a thousand chats taken
    /// is otherwise a thousand reads by each inbox), started as the event arrives. `None` if it
    /// is not there, could not be read, or this hub has no store (`new`).
    pub async fn changed(&self, conversation: i64) -> Option<Arc<Conversation>> {
        let reads = self.routes.reads.as_ref()?;
        self.routes
            .changed_read(conversation, false)
            .get_or_init(|| read_changed(&**reads, conversation))
            .await
            .clone()
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
            routes: self.routes.clone(),
            listening: self.listening.clone(),
        }))
    }
}

async fn read_changed(store: &dyn Conversations, conversation: i64) -> Option<Arc<Conversation>> {
    match store.conversation(conversation).await {
        Ok(found) => found.map(Arc::new),
        Err(error) => {
            tracing::warn!(error = %error, "could not read a changed conversation");
            None
        }
    }
}

async fn read_announced(
    store: &dyn Conversations,
    conversation: i64,
    message: i64,
) -> StoreResult<Option<Announced>> {
    let found = store
        .messages_after(conversation, message - 1, true)
        .await?;
    let Some(message) = found.into_iter().find(|m| m.id == message) else {
        return Ok(None);
    };
    Ok(store
        .conversation(conversation)
        .await?
        .map(|conversation| Announced {
            message,
            conversation,
        }))
}

/// One listener's events (`Live::subscribe`, `Live::subscribe_to`).
pub struct Subscription {
    heard: broadcast::Receiver<Heard>,
    /// The queue's events, beside one conversation's (whose own come the other way).
    queue: Option<(broadcast::Receiver<Heard>, i64)>,
}

impl Subscription {
    /// The next event. `RecvError::Lagged`: events were missed (this listener fell behind, or
    /// the connection to the other processes was lost for a while): reread what is shown.
    /// `RecvError::Closed`: the hub is gone.
    pub async fn recv(&mut self) -> Result<LiveEvent, RecvError> {
        loop {
            let heard = match &mut self.queue {
                None => self.heard.recv().await?,
                Some((queue, own)) => tokio::select! {
                    heard = self.heard.recv() => heard?,
                    heard = queue.recv() => match heard? {
                        Heard::Event(event) if event.conversation() == Some(*own) => continue,
                        heard => heard,
                    },
                },
            };
            return match heard {
                Heard::Event(event) => Ok(event),
                Heard::Missed => Err(RecvError::Lagged(0)),
            };
        }
    }

    /// The next event if one is waiting (`recv`, without waiting): `TryRecvError::Empty` if
    /// none is.
    pub fn try_recv(&mut self) -> Result<LiveEvent, TryRecvError> {
        loop {
            let heard = match self.heard.try_recv() {
                Err(TryRecvError::Empty) => match &mut self.queue {
                    None => return Err(TryRecvError::Empty),
                    Some((queue, own)) => match queue.try_recv()? {
                        Heard::Event(event) if event.conversation() == Some(*own) => continue,
                        heard => heard,
                    },
                },
                heard => heard?,
            };
            return match heard {
                Heard::Event(event) => Ok(event),
                Heard::Missed => Err(TryRecvError::Lagged(0)),
            };
        }
    }
}

/// Passes the events heard through the database to this process's listeners.
pub struct Forwarder {
    feed: LiveFeed,
    channel: Arc<dyn LiveChannel>,
    routes: Arc<Routes>,
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
            self.routes.pass(heard);
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
    async fn a_conversation_holds_at_most_so_many_live_connections() {
        let live = Live::new();
        let first = live.hold(7, 2).expect("a first connection");
        let second = live.hold(7, 2).expect("a second connection");
        assert!(live.hold(7, 2).is_none(), "a third is refused");
        assert!(
            live.hold(8, 2).is_some(),
            "another conversation has its own"
        );
        drop(first);
        let third = live.hold(7, 2).expect("one closed makes room");
        drop((second, third));
        assert!(
            live.open.lock().unwrap().is_empty(),
            "nothing is kept for closed ones"
        );
    }

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

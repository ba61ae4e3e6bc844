//! Live connections to the contact centre: what a resident's chat or an operator's inbox
//! watches, sent as JSON text frames over a WebSocket, or as Server-Sent Events where a
//! WebSocket cannot get through (a proxy that drops `Upgrade`). The page works without either:
//! it sends with forms and refreshes.
//!
//! A `Watcher` decides what its viewer is sent: what they have not seen when the connection
//! opens, and what each live event means for them (read from the store, where everything is
//! written before it is announced). A connection that drops rejoins with the last message id it
//! showed, so nothing is lost in between.

use super::AppState;
use crate::services::live::{LiveEvent, Subscription};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// How often an idle connection is shown to be alive (a WebSocket ping, an SSE comment): well
/// inside `server.idle_timeout_secs` and the proxies' usual 60 seconds.
pub const KEEPALIVE: Duration = Duration::from_secs(20);

/// Largest frame a client may send over a WebSocket (a 2,000-character message is at most
/// 8,000 bytes, with room for its JSON).
const MAX_FRAME_BYTES: usize = 16 * 1024;

/// What a WebSocket reads at once.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// A typing frame is passed on at most this often (per conversation): each reaches every
/// watcher in every process.
pub const TYPING_EVERY: Duration = Duration::from_secs(2);

/// A client sending more frames than this in `FLOOD_WINDOW` (20 a second) is cut off: each
/// frame can mean a write and a notification to every watcher.
const FLOOD_FRAMES: u32 = 40;
const FLOOD_WINDOW: Duration = Duration::from_secs(2);

/// Counts a client's frames: false once it sends too many too fast.
struct FloodGuard {
    since: tokio::time::Instant,
    frames: u32,
}

impl FloodGuard {
    fn new() -> FloodGuard {
        FloodGuard {
            since: tokio::time::Instant::now(),
            frames: 0,
        }
    }

    fn allow(&mut self) -> bool {
        if self.since.elapsed() >= FLOOD_WINDOW {
            self.since = tokio::time::Instant::now();
            self.frames = 0;
        }
        self.frames += 1;
        self.frames <= FLOOD_FRAMES
    }
}

/// What one viewer of a live connection is sent.
#[async_trait::async_trait]
pub trait Watcher: Send + 'static {
    /// Frames to send when the connection opens: what the viewer has not seen yet.
    async fn opening(&mut self) -> Vec<String>;
    /// Frames for an event from the hub; `None` when events were missed (the viewer fell
    /// behind): reread what the viewer is shown. Empty when it is not for this viewer.
    async fn event(&mut self, event: Option<&LiveEvent>) -> Vec<String>;
    /// A frame the viewer sent over the WebSocket (typing, read, a message): frames to answer
    /// with. Frames are JSON; anything else is answered with an error frame or ignored.
    async fn received(&mut self, text: &str) -> Vec<String>;
    /// Called every `KEEPALIVE` while the connection is open (an operator is still there).
    async fn still_here(&mut self) {}
    /// Whether the connection should end now (the chat was closed, the session signed out).
    fn finished(&self) -> bool {
        false
    }
    /// The one conversation the viewer watches, if it is one (a resident's chat): they are
    /// then passed only its events and the queue's, not every conversation's.
    fn only_conversation(&self) -> Option<i64> {
        None
    }
    /// When frames the watcher held back are due (changes gathered so that a list is told to
    /// reread at most once a second): `flush` is called then.
    fn due(&self) -> Option<tokio::time::Instant> {
        None
    }
    /// The frames held back, once `due` has come.
    async fn flush(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// Waits until `due`, or forever when nothing is due.
async fn until(due: Option<tokio::time::Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The events a watcher is passed.
fn subscription<W: Watcher>(ctx: &AppState, watcher: &W) -> Subscription {
    match watcher.only_conversation() {
        Some(conversation) => ctx.live.subscribe_to(conversation),
        None => ctx.live.subscribe(),
    }
}

/// Upgrades to a WebSocket that carries `watcher`'s frames both ways until either side closes
/// or the server stops.
pub fn websocket<W: Watcher>(ctx: &AppState, upgrade: WebSocketUpgrade, watcher: W) -> Response {
    let events = subscription(ctx, &watcher);
    let closing = ctx.live.closing();
    upgrade
        // tungstenite reads in chunks of 128 KiB by default: a chunk held by every open chat.
        // Frames here are small (`MAX_FRAME_BYTES`); a larger one is still read, in steps.
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run_socket(socket, events, closing, watcher))
}

async fn run_socket<W: Watcher>(
    mut socket: WebSocket,
    mut events: Subscription,
    closing: CancellationToken,
    mut watcher: W,
) {
    for frame in watcher.opening().await {
        if socket.send(Message::Text(frame.into())).await.is_err() {
            return;
        }
    }
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    let mut flood = FloodGuard::new();
    while !watcher.finished() {
        let due = watcher.due();
        let frames = tokio::select! {
            () = closing.cancelled() => break,
            () = until(due) => watcher.flush().await,
            _ = keepalive.tick() => {
                watcher.still_here().await;
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
                continue;
            }
            event = events.recv() => match event {
                Ok(event) => watcher.event(Some(&event)).await,
                Err(RecvError::Lagged(_)) => watcher.event(None).await,
                Err(RecvError::Closed) => break,
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => {
                    if !flood.allow() {
                        let frame = serde_json::json!({
                            "type": "error",
                            "message": "Too many frames too quickly: this connection is closed. \
                                Reload the page to carry on.",
                        });
                        let _ = socket.send(Message::Text(frame.to_string().into())).await;
                        break;
                    }
                    watcher.received(text.as_str()).await
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
        };
        for frame in frames {
            if socket.send(Message::Text(frame.into())).await.is_err() {
                return;
            }
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// The same frames as Server-Sent Events (`text/event-stream`), one `data:` line each, for
/// clients a WebSocket cannot reach. They send with ordinary requests.
pub fn server_sent_events<W: Watcher>(ctx: &AppState, watcher: W) -> Response {
    struct Feed<W> {
        watcher: W,
        events: Subscription,
        closing: CancellationToken,
        pending: VecDeque<String>,
        opened: bool,
        /// Ticks every `KEEPALIVE`: the viewer is still there (`Watcher::still_here`).
        alive: tokio::time::Interval,
    }
    let feed = Feed {
        events: subscription(ctx, &watcher),
        watcher,
        closing: ctx.live.closing(),
        pending: VecDeque::new(),
        opened: false,
        alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE),
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        loop {
            if let Some(frame) = feed.pending.pop_front() {
                let event = Event::default().data(frame);
                return Some((Ok::<Event, Infallible>(event), feed));
            }
            if !feed.opened {
                feed.opened = true;
                feed.pending.extend(feed.watcher.opening().await);
                continue;
            }
            if feed.watcher.finished() {
                return None;
            }
            let due = feed.watcher.due();
            let frames = tokio::select! {
                () = feed.closing.cancelled() => return None,
                () = until(due) => feed.watcher.flush().await,
                _ = feed.alive.tick() => {
                    feed.watcher.still_here().await;
                    continue;
                }
                event = feed.events.recv() => match event {
                    Ok(event) => feed.watcher.event(Some(&event)).await,
                    Err(RecvError::Lagged(_)) => feed.watcher.event(None).await,
                    Err(RecvError::Closed) => return None,
                },
            };
            feed.pending.extend(frames);
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEPALIVE))
        .into_response()
}

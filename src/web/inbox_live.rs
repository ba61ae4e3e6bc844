//! The inbox's live connection: what an operator's WebSocket (`/staff/inbox/live`) or
//! Server-Sent Events (`/staff/inbox/events`) carry — the messages of the conversation open on
//! the page and of those the operator holds, typing and read state, "changed" when the list should
//! be reread (at most once a second), "urgent" once per urgent conversation —
//! and the frames the operator sends (a message, typing, read), with the script that speaks it
//! (`/static/inbox.js`). Only from Beacon's own pages, and only while the operator may operate.

use super::inbox::who;
use super::live::{self, Watcher};
use super::permission::OperatorStaff;
use super::staff::{actor, session_token};
use super::{AppState, ClientIp};
use crate::domain::conversation::{Author, ConversationState};
use crate::services::inbox::{self as service, first_name, InboxError};
use crate::services::live::LiveEvent;
use crate::services::staff as staff_service;
use crate::store::{Conversation, Message, StaffMember};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use std::collections::{HashMap, HashSet};

/// `GET /static/inbox.js`: the inbox's live updates. The pages work without it.
pub async fn script() -> Response {
    super::pages::script(include_str!("../../static/inbox.js"))
}

/// The live connection's address query: the conversation open on the page, if any, and the
/// last message of it the page shows.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LiveParams {
    conversation: Option<i64>,
    after: i64,
}

/// `GET /staff/inbox/live`: the inbox's WebSocket.
pub async fn live(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Query(params): Query<LiveParams>,
    jar: CookieJar,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&ctx, &headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let watcher = OperatorWatcher::new(&ctx, staff, ip, &params, &jar);
    live::websocket(&ctx, upgrade, watcher)
}

/// `GET /staff/inbox/events`: the same frames as Server-Sent Events.
pub async fn events(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Query(params): Query<LiveParams>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Response {
    if !same_origin(&ctx, &headers) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let watcher = OperatorWatcher::new(&ctx, staff, ip, &params, &jar);
    live::server_sent_events(&ctx, watcher)
}

/// Whether a request from a browser comes from Beacon's own pages: no `Origin` (not a
/// browser's cross-origin request), or the origin of `server.public_url`, or of the host it
/// was sent to. The staff cookie is SameSite, but every host under a public suffix such as
/// police.uk counts as the same site: a page on a sibling host must not drive an operator's
/// live connection.
fn same_origin(ctx: &AppState, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let public = ctx.settings.server.public_url.trim();
    if !public.is_empty() {
        // scheme://host[:port], without the path.
        let start = public.find("://").map_or(0, |i| i + 3);
        let end = public[start..]
            .find('/')
            .map_or(public.len(), |i| start + i);
        if public[..end].eq_ignore_ascii_case(origin) {
            return true;
        }
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((host, authority), (Some(host), Some(authority)) if host.eq_ignore_ascii_case(authority))
}

/// What an operator's live connection sends them, of their organisation's conversations (every
/// organisation's for an admin): the messages of the open conversation and of those they hold,
/// typing and read state, "changed" when the list should be reread, and "urgent" once for each
/// conversation that is urgent.
struct OperatorWatcher {
    ctx: AppState,
    staff: StaffMember,
    ip: String,
    conversation: Option<i64>,
    after: i64,
    /// Conversation id → (organisation, resident's name), as read from the store.
    known: HashMap<i64, (i64, String)>,
    /// Urgent conversations already announced on this connection.
    announced: HashSet<i64>,
    /// The conversations this operator holds (open and theirs), as last read.
    held: HashSet<i64>,
    /// The session this connection was opened with: rechecked while it lasts.
    session: String,
    /// Signed out, deactivated, or no longer an operator: the connection ends.
    done: bool,
    /// Conversation id → when this operator's typing frame was last passed on.
    typing_at: HashMap<i64, std::time::Instant>,
    /// Conversation id → the furthest read passed on.
    read_up_to: HashMap<i64, i64>,
    /// When the list was last told to reread (a "changed" frame for its messages).
    list_told: Option<tokio::time::Instant>,
    /// A "changed" frame held back until then, so the list rereads at most once a second.
    list_due: Option<tokio::time::Instant>,
}

/// A frame from an operator's browser.
#[derive(Debug, serde::Deserialize)]
struct Received {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    conversation: i64,
    #[serde(default)]
    body: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    up_to: i64,
}

fn error_frame(message: &str) -> String {
    serde_json::json!({"type": "error", "message": message}).to_string()
}

impl OperatorWatcher {
    fn new(
        ctx: &AppState,
        staff: StaffMember,
        ip: String,
        params: &LiveParams,
        jar: &CookieJar,
    ) -> Self {
        OperatorWatcher {
            ctx: ctx.clone(),
            staff,
            ip,
            conversation: params.conversation,
            after: params.after,
            known: HashMap::new(),
            announced: HashSet::new(),
            held: HashSet::new(),
            session: session_token(ctx, jar).unwrap_or_default(),
            done: false,
            typing_at: HashMap::new(),
            read_up_to: HashMap::new(),
            list_told: None,
            list_due: None,
        }
    }

    /// A "changed" frame for the list's sake (a message in a conversation this operator neither
    /// holds nor has open): sent at once, or held back until a second after the last one. The
    /// page rereads the list at most once a second however many arrive, and 50 inboxes each
    /// sent every message of a busy organisation are most of a web process's work.
    fn list_changed(&mut self) -> Vec<String> {
        let now = tokio::time::Instant::now();
        match self.list_told {
            Some(told) if now < told + LIST_EVERY => {
                self.list_due = Some(told + LIST_EVERY);
                Vec::new()
            }
            _ => {
                self.list_told = Some(now);
                self.list_due = None;
                vec![serde_json::json!({"type": "changed", "conversation": null}).to_string()]
            }
        }
    }

    /// Whether the session is still signed in, by the same member of staff, still active and
    /// still an operator (their permissions as they are now); the connection ends otherwise.
    async fn recheck(&mut self) -> bool {
        match staff_service::session(&self.ctx, &self.session).await {
            Ok(Some(staff)) if staff.id == self.staff.id && staff.permissions.may_operate() => {
                self.staff = staff;
            }
            Ok(_) => self.done = true,
            // The database is unreachable for a moment: keep the connection, check again.
            Err(error) => tracing::warn!(error = %error, "could not recheck an operator"),
        }
        !self.done
    }

    fn sees(&self, provider: i64) -> bool {
        service::may_see(&self.staff, provider)
    }

    /// The conversation's organisation and resident's name, if this operator may see it.
    async fn visible(&mut self, id: i64) -> Option<String> {
        if !self.known.contains_key(&id) {
            let c = service::current(&self.ctx, id).await.ok().flatten()?;
            self.known.insert(id, (c.provider_id, who(&c)));
        }
        let (provider, name) = self.known.get(&id)?;
        self.sees(*provider).then(|| name.clone())
    }

    fn message_frame(&self, m: &Message, resident: &str) -> String {
        let name = match m.author() {
            Author::Resident => resident.to_owned(),
            Author::Operator | Author::Note => m
                .staff_name
                .as_deref()
                .map(first_name)
                .unwrap_or_else(|| "Operator".to_owned()),
            Author::System => "Beacon".to_owned(),
        };
        serde_json::json!({
            "type": "message",
            "conversation": m.conversation_id,
            "id": m.id,
            "author": m.author,
            "name": name,
            "body": m.body,
            "at": m.created_at,
            "client_id": m.client_id,
        })
        .to_string()
    }

    /// What the page has not been sent: the open conversation's messages after the last one
    /// sent, and the urgent conversations not announced yet; and which conversations this
    /// operator holds, read afresh.
    async fn catch_up(&mut self) -> Vec<String> {
        let mut frames = Vec::new();
        if let Some(id) = self.conversation {
            if let Some(name) = self.visible(id).await {
                if let Ok(messages) = service::messages(&self.ctx, id, self.after).await {
                    frames.extend(messages.iter().map(|m| self.message_frame(m, &name)));
                    if let Some(last) = messages.last() {
                        self.after = self.after.max(last.id);
                    }
                }
            }
        }
        let scope = (!self.staff.permissions.admin).then_some(self.staff.provider_id);
        if let Ok(rows) = service::rows(&self.ctx, scope, i64::MAX).await {
            for r in &rows {
                self.note(&r.conversation);
                frames.extend(self.urgent_frame(&r.conversation));
            }
        }
        frames
    }

    /// Notes what a conversation as read says: whose it is, and whether this operator holds it.
    fn note(&mut self, c: &Conversation) {
        self.known.insert(c.id, (c.provider_id, who(c)));
        if c.operator_id == Some(self.staff.id) && c.state() == ConversationState::Open {
            self.held.insert(c.id);
        } else {
            self.held.remove(&c.id);
        }
    }

    /// A conversation as read after a change: once for every inbox of this process.
    async fn changed(&mut self, id: i64) -> Option<std::sync::Arc<Conversation>> {
        match self.ctx.live.changed(id).await {
            Some(c) => Some(c),
            // A hub without a store of its own reads through the service.
            None => service::current(&self.ctx, id)
                .await
                .ok()
                .flatten()
                .map(std::sync::Arc::new),
        }
    }

    /// The "urgent" frame for a conversation as read, if it is urgent, not closed, and not
    /// announced yet.
    fn urgent_frame(&mut self, c: &Conversation) -> Option<String> {
        if self.announced.contains(&c.id)
            || !c.urgent
            || c.state() == ConversationState::Closed
            || !self.sees(c.provider_id)
        {
            return None;
        }
        self.announced.insert(c.id);
        let words: Vec<&str> = c
            .urgent_words
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .collect();
        Some(
            serde_json::json!({"type": "urgent", "conversation": c.id, "words": words}).to_string(),
        )
    }
}

#[async_trait::async_trait]
impl Watcher for OperatorWatcher {
    async fn opening(&mut self) -> Vec<String> {
        let _ = service::seen(&self.ctx, &self.staff).await;
        self.catch_up().await
    }

    async fn event(&mut self, event: Option<&LiveEvent>) -> Vec<String> {
        let Some(event) = event else {
            // Events were missed: what the page shows is read again.
            let mut frames = self.catch_up().await;
            frames.push(serde_json::json!({"type": "changed", "conversation": null}).to_string());
            return frames;
        };
        match *event {
            LiveEvent::Message {
                conversation,
                provider,
                message,
            } => {
                if !self.sees(provider) {
                    return Vec::new();
                }
                // The message itself goes to the page showing its conversation and to the
                // operator holding it; a list only needs to know it should reread, and any
                // other conversation's page nothing at all (a message that makes a
                // conversation urgent is announced by the change that follows it).
                let open = self.conversation == Some(conversation);
                if !open && !self.held.contains(&conversation) {
                    return if self.conversation.is_none() {
                        self.list_changed()
                    } else {
                        Vec::new()
                    };
                }
                // Read once for every inbox open on this process, not once each.
                let Some(announced) = self.ctx.live.announced(conversation, message).await else {
                    return Vec::new();
                };
                self.note(&announced.conversation);
                let Some(name) = self.visible(conversation).await else {
                    return Vec::new();
                };
                if open {
                    self.after = self.after.max(message);
                }
                let mut frames = vec![self.message_frame(&announced.message, &name)];
                // A resident's message that made it urgent is announced even before
                // `escalated` is called.
                frames.extend(self.urgent_frame(&announced.conversation));
                frames
            }
            // Typing and read state are shown only on the conversation's own page.
            LiveEvent::Typing {
                conversation,
                resident: true,
            } if self.conversation == Some(conversation) => {
                match self.visible(conversation).await {
                    Some(_) => {
                        vec![
                            serde_json::json!({"type": "typing", "conversation": conversation})
                                .to_string(),
                        ]
                    }
                    None => Vec::new(),
                }
            }
            LiveEvent::Read {
                conversation,
                resident: true,
                message,
            } if self.conversation == Some(conversation) => {
                match self.visible(conversation).await {
                    Some(_) => vec![serde_json::json!({
                        "type": "read", "conversation": conversation, "up_to": message
                    })
                    .to_string()],
                    None => Vec::new(),
                }
            }
            LiveEvent::Typing { .. } | LiveEvent::Read { .. } => Vec::new(),
            LiveEvent::Changed {
                conversation,
                provider,
            } => {
                if !self.sees(provider) {
                    return Vec::new();
                }
                let mut frames = vec![serde_json::json!({
                    "type": "changed", "conversation": conversation
                })
                .to_string()];
                if let Some(c) = self.changed(conversation).await {
                    self.note(&c);
                    frames.extend(self.urgent_frame(&c));
                }
                frames
            }
            LiveEvent::Presence { provider } => {
                if self.sees(provider) {
                    vec![serde_json::json!({"type": "changed", "conversation": null}).to_string()]
                } else {
                    Vec::new()
                }
            }
        }
    }

    async fn received(&mut self, text: &str) -> Vec<String> {
        let Ok(frame) = serde_json::from_str::<Received>(text) else {
            return vec![error_frame("That could not be read")];
        };
        if !self.recheck().await {
            return vec![error_frame(SIGNED_OUT)];
        }
        if self.visible(frame.conversation).await.is_none() {
            return vec![error_frame("There is no such conversation in your inbox")];
        }
        match frame.kind.as_str() {
            "send" => {
                let actor = actor(&self.staff, &self.ip);
                match service::send(
                    &self.ctx,
                    &actor,
                    &self.staff,
                    frame.conversation,
                    &frame.body,
                    frame.client_id.as_deref(),
                    false,
                )
                .await
                {
                    // The message reaches every inbox, this one too, from the hub.
                    Ok(_) => Vec::new(),
                    Err(error) => {
                        let problem = match error {
                            InboxError::Refused(problem) => problem,
                            _ => "Your message could not be sent: try again".to_owned(),
                        };
                        // Naming the message, so the page can put it back in the box.
                        vec![serde_json::json!({
                            "type": "error", "message": problem, "client_id": frame.client_id
                        })
                        .to_string()]
                    }
                }
            }
            "typing" => {
                // Each typing frame reaches every watcher: one every two seconds is plenty.
                let now = std::time::Instant::now();
                let last = self.typing_at.insert(frame.conversation, now);
                if last.is_none_or(|at| now.duration_since(at) >= live::TYPING_EVERY) {
                    self.ctx
                        .live
                        .publish(LiveEvent::Typing {
                            conversation: frame.conversation,
                            resident: false,
                        })
                        .await;
                } else if let Some(at) = last {
                    self.typing_at.insert(frame.conversation, at);
                }
                Vec::new()
            }
            "read" => {
                let furthest = self.read_up_to.entry(frame.conversation).or_default();
                if frame.up_to <= *furthest {
                    return Vec::new();
                }
                *furthest = frame.up_to;
                if service::mark_read(&self.ctx, frame.conversation, frame.up_to)
                    .await
                    .is_ok()
                {
                    self.ctx
                        .live
                        .publish(LiveEvent::Read {
                            conversation: frame.conversation,
                            resident: false,
                            message: frame.up_to,
                        })
                        .await;
                }
                Vec::new()
            }
            _ => vec![error_frame("That could not be read")],
        }
    }

    async fn still_here(&mut self) {
        if self.recheck().await {
            let _ = service::seen(&self.ctx, &self.staff).await;
        }
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn due(&self) -> Option<tokio::time::Instant> {
        self.list_due
    }

    async fn flush(&mut self) -> Vec<String> {
        self.list_due = None;
        self.list_told = Some(tokio::time::Instant::now());
        vec![serde_json::json!({"type": "changed", "conversation": null}).to_string()]
    }
}

/// The list is told to reread at most this often.
const LIST_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

const SIGNED_OUT: &str =
    "You are no longer signed in as an operator: sign in again to use the inbox";

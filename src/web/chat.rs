//! A resident's live web chat: `/chat` (start one, or be told honestly why not now), the
//! conversation at `/chat/{token}` (which also shows the thread of a reply to an alert), its
//! live connection (WebSocket, Server-Sent Events, or long polling), and the forms to send, end,
//! rate and ask for the transcript. Everything works without JavaScript: forms that redirect
//! back, and a page that refreshes while the chat is on.

use super::csrf;
use super::error::WebResult;
use super::live::{self as live_web, Watcher};
use super::views;
use super::{AppState, ClientIp};
use crate::domain::conversation::{Author, ConversationKind, ConversationState};
use crate::domain::mask;
use crate::domain::subscriber::FieldErrors;
use crate::services::chat::{self as chat_service, field, ChatError, ChatState, Unavailable};
use crate::services::live::{LiveEvent, LiveSlot};
use crate::store::{Conversation, Message};
use askama::Template;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use std::time::Duration;

/// Where the "Leave this site" button goes.
const LEAVE_TO: &str = "https://www.bbc.co.uk/weather";
/// The cookie holding the resident's open chat (also in its address).
const CHAT_COOKIE: &str = "beacon_chat";
/// The cookie holding the resident's chat session (its keyed hash is what operators block).
const SESSION_COOKIE: &str = "beacon_chat_session";
/// The longest a long poll waits for a new message, in seconds.
const MAX_WAIT_SECONDS: u64 = 30;

const CHAT_JS: &str = include_str!("../../static/chat.js");

/// `GET /static/chat.js`: the conversation page's live updates. The page works without it.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CHAT_JS,
    )
        .into_response()
}

/// The conversation a chat link (`/chat/{token}…`) opens; a wrong token gets the page saying it
/// cannot be opened.
pub struct ChatLink {
    pub conversation: Conversation,
    pub token: String,
}

fn cannot_open() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "This chat cannot be opened",
            &[
                "The link is not complete, or the chat has been deleted. Chats are deleted some \
                 time after they end.",
                "If someone is in danger now, call 999. Otherwise call 101.",
            ],
            Some(("/chat", "Start a new chat")),
        ),
    )
        .into_response()
}

impl FromRequestParts<AppState> for ChatLink {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Path(params) =
            Path::<std::collections::BTreeMap<String, String>>::from_request_parts(parts, ctx)
                .await
                .map_err(IntoResponse::into_response)?;
        let token = params.get("token").cloned().unwrap_or_default();
        if token.is_empty() || token.len() > 64 || !token.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(cannot_open());
        }
        match chat_service::by_token(ctx, &token).await {
            Ok(Some(conversation)) => Ok(ChatLink {
                conversation,
                token,
            }),
            Ok(None) => Err(cannot_open()),
            Err(error) => Err(super::error::WebError::from(error).into_response()),
        }
    }
}

fn cookie(ctx: &AppState, name: &'static str, value: String, days: i64) -> Cookie<'static> {
    // Built from its header form: the cookie crate's own durations come from a crate Beacon
    // does not depend on.
    let mut cookie = Cookie::parse(format!("{name}={value}; Max-Age={}", days * 86_400))
        .map(Cookie::into_owned)
        .unwrap_or_else(|_| Cookie::new(name, value));
    cookie.set_path("/chat");
    cookie.set_http_only(true);
    cookie.set_secure(ctx.settings.server.secure_cookies);
    cookie.set_same_site(SameSite::Lax);
    cookie
}

/// The resident's chat session, made (and its cookie set) if they have none.
fn session(ctx: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let value = match jar.get(SESSION_COOKIE) {
        Some(c)
            if c.value().len() == 32 && c.value().chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            c.value().to_owned()
        }
        _ => crate::services::tokens::random_id(),
    };
    let jar = jar.add(cookie(ctx, SESSION_COOKIE, value.clone(), 365));
    (jar, value)
}

#[derive(Template)]
#[template(path = "pages/chat_start.html")]
struct StartPage {
    csrf: String,
    leave_to: &'static str,
    /// The resident's chat still going, to go back to.
    open_chat: Option<String>,
    /// Why no chat can start now: a heading and what to say.
    unavailable: Option<(String, Vec<String>)>,
    first_name: String,
    topic: String,
    errors: FieldErrors,
    /// A refusal that is not about a field (blocked, too many chats).
    refusal: String,
}

impl StartPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.for_field(field)
    }
}

fn unavailable_words(ctx: &AppState, why: &Unavailable) -> (String, Vec<String>) {
    let hours = chat_service::hours_text(ctx);
    let hours_line =
        (!hours.is_empty()).then(|| format!("Our web chat is open {hours} (UK time)."));
    let (title, mut lines) = match why {
        Unavailable::Closed { reopens } => (
            "Web chat is closed now".to_owned(),
            vec![match reopens {
                Some(when) => format!("Web chat opens again {when}."),
                None => "Web chat is not open at the moment.".to_owned(),
            }],
        ),
        Unavailable::NobodyOn { reopens } => (
            "No one is available to chat right now".to_owned(),
            vec![{
                let mut line = "All our operators are busy or away, so we will not start a chat \
                                that nobody can answer."
                    .to_owned();
                if let (Some(when), false) = (reopens, hours.is_empty()) {
                    line.push_str(&format!(" Web chat next opens {when}."));
                } else {
                    line.push_str(" Try again later.");
                }
                line
            }],
        ),
    };
    lines.extend(hours_line);
    (title, lines)
}

async fn open_chat(ctx: &AppState, jar: &CookieJar) -> Option<String> {
    let token = jar.get(CHAT_COOKIE)?.value().to_owned();
    match chat_service::by_token(ctx, &token).await {
        Ok(Some(c)) if c.state() != ConversationState::Closed => Some(format!("/chat/{token}")),
        _ => None,
    }
}

/// `GET /chat`: start a chat, or be told when chat is open and what else to do.
pub async fn start_form(State(ctx): State<AppState>, jar: CookieJar) -> WebResult<Response> {
    let provider = chat_service::chat_provider(&ctx).await?;
    let unavailable = match chat_service::availability(&ctx, provider.id).await {
        Ok(()) => None,
        Err(ChatError::Unavailable(why)) => Some(unavailable_words(&ctx, &why)),
        Err(error) => return Err(anyhow::anyhow!(error.to_string()).into()),
    };
    let open_chat = open_chat(&ctx, &jar).await;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = StartPage {
        csrf,
        leave_to: LEAVE_TO,
        open_chat,
        unavailable,
        first_name: String::new(),
        topic: String::new(),
        errors: FieldErrors::default(),
        refusal: String::new(),
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StartForm {
    csrf: String,
    first_name: String,
    topic: String,
}

/// `POST /chat`: starts the chat and opens it.
pub async fn start(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<StartForm>,
) -> WebResult<Response> {
    let mut page = StartPage {
        csrf: String::new(),
        leave_to: LEAVE_TO,
        open_chat: None,
        unavailable: None,
        first_name: form.first_name.clone(),
        topic: form.topic.clone(),
        errors: FieldErrors::default(),
        refusal: String::new(),
    };
    let status = if !csrf::verify(&ctx, &jar, &form.csrf) {
        page.refusal = csrf::FORM_EXPIRED.to_owned();
        StatusCode::FORBIDDEN
    } else {
        let (jar, session) = session(&ctx, jar.clone());
        let input = chat_service::StartInput {
            first_name: form.first_name.clone(),
            topic: form.topic.clone(),
        };
        match chat_service::start_chat(&ctx, &input, &session, &ip).await {
            Ok(conversation) => {
                let token = conversation.token.clone();
                let jar = jar.add(cookie(&ctx, CHAT_COOKIE, token.clone(), 1));
                return Ok((jar, Redirect::to(&format!("/chat/{token}"))).into_response());
            }
            Err(ChatError::Invalid(errors)) => {
                page.errors = errors;
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Err(ChatError::Unavailable(why)) => {
                page.unavailable = Some(unavailable_words(&ctx, &why));
                StatusCode::SERVICE_UNAVAILABLE
            }
            Err(error @ (ChatError::RateLimited(_) | ChatError::Blocked)) => {
                page.refusal = error.to_string();
                if matches!(error, ChatError::Blocked) {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::TOO_MANY_REQUESTS
                }
            }
            Err(ChatError::Unexpected(error)) => return Err(error.into()),
            Err(error) => return Err(anyhow::anyhow!(error.to_string()).into()),
        }
    };
    let (jar, csrf) = csrf::issue(&ctx, jar);
    page.csrf = csrf;
    Ok((status, jar, views::render(&page)).into_response())
}

/// A message as the resident's page shows it.
pub struct MessageView {
    pub id: i64,
    pub author: &'static str,
    pub name: String,
    pub at: String,
    pub body: String,
    pub client_id: String,
}

#[derive(Template)]
#[template(path = "pages/chat.html")]
struct ChatPage {
    csrf: String,
    token: String,
    leave_to: &'static str,
    reply: bool,
    topic: String,
    provider: String,
    state: &'static str,
    state_line: String,
    closed: bool,
    /// Refresh the page every so often (waiting or open: new messages may come).
    refresh: bool,
    messages: Vec<MessageView>,
    last_id: i64,
    /// The operator has read the resident's latest message.
    read: bool,
    /// A new client id for the send form, so a form sent twice is stored once.
    client_id: String,
    body: String,
    body_error: String,
    rated: Option<i64>,
    rating_error: String,
    comment: String,
    /// Where the transcript went or will go (masked), and whether it has gone.
    transcript_to: Option<String>,
    transcript_sent: bool,
    email: String,
    email_error: String,
    notice: String,
}

/// What the conversation page shows, besides the stored conversation: what the resident typed
/// back to them and the problem with it.
#[derive(Default)]
struct Kept {
    body: String,
    body_error: String,
    rating_error: String,
    comment: String,
    email: String,
    email_error: String,
    notice: String,
}

fn message_view(message: &Message, conversation: &Conversation) -> MessageView {
    MessageView {
        id: message.id,
        author: match message.author() {
            Author::Resident => "resident",
            Author::Operator => "operator",
            _ => "system",
        },
        name: chat_service::author_name(message, conversation),
        at: chat_service::clock(message.created_at),
        body: message.body.clone(),
        client_id: message.client_id.clone().unwrap_or_default(),
    }
}

async fn chat_page(
    ctx: &AppState,
    jar: CookieJar,
    link: &ChatLink,
    kept: Kept,
    status: StatusCode,
) -> WebResult<Response> {
    chat_service::resident_seen(ctx, &link.conversation).await;
    let conversation = chat_service::current(ctx, link.conversation.id)
        .await?
        .unwrap_or_else(|| link.conversation.clone());
    if conversation.state() == ConversationState::Closed {
        chat_service::send_transcript_if_requested(ctx, conversation.id).await?;
    }
    let conversation = chat_service::current(ctx, conversation.id)
        .await?
        .unwrap_or(conversation);
    let state = chat_service::chat_state(ctx, &conversation)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let messages = chat_service::shown_messages(ctx, conversation.id, 0).await?;
    let last_id = messages.last().map_or(0, |m| m.id);
    let last_resident = messages
        .iter()
        .rev()
        .find(|m| m.author() == Author::Resident)
        .map(|m| m.id);
    let reply = conversation.kind() == ConversationKind::Reply;
    let closed = conversation.state() == ConversationState::Closed;
    let (jar, csrf) = csrf::issue(ctx, jar);
    let jar = if reply {
        jar
    } else {
        jar.add(cookie(ctx, CHAT_COOKIE, link.token.clone(), 1))
    };
    let page = ChatPage {
        csrf,
        token: link.token.clone(),
        leave_to: LEAVE_TO,
        reply,
        topic: conversation.topic.clone(),
        provider: conversation.provider_name.clone(),
        state: conversation.state().as_str(),
        state_line: state.line(conversation.kind()),
        closed: closed && !reply,
        // Without JavaScript, only a chat still waiting for an operator refreshes itself (every
        // 30 seconds, said on the page): a refresh would wipe a message being typed.
        refresh: conversation.state() == ConversationState::Waiting && !reply,
        messages: messages
            .iter()
            .filter(|m| m.author().shown_to_resident())
            .map(|m| message_view(m, &conversation))
            .collect(),
        last_id,
        read: last_resident.is_some_and(|id| conversation.operator_read >= id),
        client_id: crate::services::tokens::random_id(),
        body: kept.body,
        body_error: kept.body_error,
        rated: conversation.rating,
        rating_error: kept.rating_error,
        comment: kept.comment,
        transcript_to: conversation.email.as_deref().map(mask::email),
        transcript_sent: conversation.email.is_some() && !conversation.transcript_requested,
        email: kept.email,
        email_error: kept.email_error,
        notice: kept.notice,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Shown {
    /// What the last form did, to say so.
    done: String,
}

/// `GET /chat/{token}`: the conversation.
pub async fn conversation(
    State(ctx): State<AppState>,
    jar: CookieJar,
    link: ChatLink,
    Query(shown): Query<Shown>,
) -> WebResult<Response> {
    let notice = match shown.done.as_str() {
        "rated" => "Thank you for rating the chat.",
        "transcript" => "We will email you the transcript.",
        "ended" => "You ended the chat.",
        _ => "",
    };
    let kept = Kept {
        notice: notice.to_owned(),
        ..Kept::default()
    };
    chat_page(&ctx, jar, &link, kept, StatusCode::OK).await
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SendForm {
    csrf: String,
    body: String,
    client_id: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(serde_json::json!({ "type": "error", "message": message })),
    )
        .into_response()
}

/// `POST /chat/{token}`: sends a message as the resident, then back to the conversation (or,
/// from the page's script, the stored message as JSON).
pub async fn send(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    link: ChatLink,
    Form(form): Form<SendForm>,
) -> WebResult<Response> {
    let json = wants_json(&headers);
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        if json {
            return Ok(json_error(StatusCode::FORBIDDEN, csrf::FORM_EXPIRED));
        }
        let kept = Kept {
            body: form.body,
            body_error: "This form had expired. Your message is below: send it again.".into(),
            ..Kept::default()
        };
        return chat_page(&ctx, jar, &link, kept, StatusCode::FORBIDDEN).await;
    }
    let client_id = (!form.client_id.is_empty()).then_some(form.client_id.as_str());
    match chat_service::send_as_resident(&ctx, &link.conversation, &form.body, client_id).await {
        Ok(message) => {
            if json {
                return Ok(Json(message_frame(&message, &link.conversation)).into_response());
            }
            Ok(Redirect::to(&format!("/chat/{}#latest", link.token)).into_response())
        }
        Err(ChatError::Unexpected(error)) => Err(error.into()),
        Err(error) => {
            let status = match error {
                ChatError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
                ChatError::Ended => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            if json {
                return Ok(json_error(status, &error.to_string()));
            }
            let kept = Kept {
                body: form.body,
                body_error: error.to_string(),
                ..Kept::default()
            };
            chat_page(&ctx, jar, &link, kept, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "pages/chat_end.html")]
struct EndPage {
    csrf: String,
    token: String,
    leave_to: &'static str,
}

/// `GET /chat/{token}/end`: are you sure?
pub async fn end_form(
    State(ctx): State<AppState>,
    jar: CookieJar,
    link: ChatLink,
) -> WebResult<Response> {
    if link.conversation.state() == ConversationState::Closed {
        return Ok(Redirect::to(&format!("/chat/{}", link.token)).into_response());
    }
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = EndPage {
        csrf,
        token: link.token.clone(),
        leave_to: LEAVE_TO,
    };
    Ok((jar, views::render(&page)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    csrf: String,
}

fn expired() -> Response {
    (
        StatusCode::FORBIDDEN,
        views::message_page("This form has expired", &[csrf::FORM_EXPIRED], None),
    )
        .into_response()
}

/// `POST /chat/{token}/end`: the resident ends the chat.
pub async fn end(
    State(ctx): State<AppState>,
    jar: CookieJar,
    link: ChatLink,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(expired());
    }
    if link.conversation.kind() == ConversationKind::Chat {
        chat_service::end_chat(&ctx, &link.conversation)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    }
    Ok(Redirect::to(&format!("/chat/{}?done=ended", link.token)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct RatingForm {
    csrf: String,
    rating: String,
    comment: String,
}

/// `POST /chat/{token}/rating`: the resident rates the ended chat.
pub async fn rating(
    State(ctx): State<AppState>,
    jar: CookieJar,
    link: ChatLink,
    Form(form): Form<RatingForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(expired());
    }
    match chat_service::rate(&ctx, &link.conversation, &form.rating, &form.comment).await {
        Ok(_) => Ok(Redirect::to(&format!("/chat/{}?done=rated", link.token)).into_response()),
        Err(ChatError::Invalid(errors)) => {
            let kept = Kept {
                rating_error: errors
                    .for_field(field::RATING)
                    .or_else(|| errors.for_field(field::COMMENT))
                    .unwrap_or_default()
                    .to_owned(),
                comment: form.comment,
                ..Kept::default()
            };
            chat_page(&ctx, jar, &link, kept, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => Err(anyhow::anyhow!(error.to_string()).into()),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TranscriptForm {
    csrf: String,
    email: String,
}

/// `POST /chat/{token}/transcript`: the resident asks for the transcript by email.
pub async fn transcript(
    State(ctx): State<AppState>,
    jar: CookieJar,
    link: ChatLink,
    Form(form): Form<TranscriptForm>,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        return Ok(expired());
    }
    match chat_service::request_transcript(&ctx, &link.conversation, &form.email).await {
        Ok(_) => Ok(Redirect::to(&format!("/chat/{}?done=transcript", link.token)).into_response()),
        Err(ChatError::Invalid(errors)) => {
            let kept = Kept {
                email: form.email,
                email_error: errors
                    .for_field(field::EMAIL)
                    .unwrap_or_default()
                    .to_owned(),
                ..Kept::default()
            };
            chat_page(&ctx, jar, &link, kept, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(error) => Err(anyhow::anyhow!(error.to_string()).into()),
    }
}

/// A message frame of the live protocol.
pub fn message_frame(message: &Message, conversation: &Conversation) -> serde_json::Value {
    let view = message_view(message, conversation);
    serde_json::json!({
        "type": "message",
        "id": message.id,
        "author": view.author,
        "name": view.name,
        "body": message.body,
        "at": message.created_at,
        "client_id": message.client_id,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct After {
    after: i64,
    wait: u64,
    /// The state the page shows (long polling): a different one is answered at once.
    state: String,
}

/// What a resident's live connection shows them: the messages they have not seen (never
/// notes), where the chat is, the operator typing and reading; and what they send over it.
pub struct ResidentWatcher {
    ctx: AppState,
    conversation: Conversation,
    last_id: i64,
    last_state: Option<ChatState>,
    done: bool,
    /// When the resident's last typing frame was passed on (more often is dropped).
    typing_at: Option<std::time::Instant>,
    /// The furthest read passed on (a read that does not move it is dropped).
    read_up_to: i64,
    /// When the state was last reread because the queue moved, and when the next such reread
    /// is due (the queue's moves within a second are one reread).
    queue_read: Option<tokio::time::Instant>,
    queue_due: Option<tokio::time::Instant>,
    /// This connection's place among the chat's live connections, given back when it ends.
    slot: Option<LiveSlot>,
}

/// A place for one more live connection to the chat, if it has room for one.
fn live_slot(ctx: &AppState, conversation: i64) -> Option<LiveSlot> {
    ctx.live.hold(conversation, chat_service::LIVE_PER_CHAT)
}

/// The answer when a chat has no room for one more live connection.
fn too_many_live() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        "This chat is open in too many places: close it in another tab or window.",
    )
        .into_response()
}

/// A waiting chat rereads its place at most this often, however fast the queue moves.
const QUEUE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl ResidentWatcher {
    pub fn new(ctx: AppState, conversation: Conversation, after: i64) -> ResidentWatcher {
        ResidentWatcher {
            ctx,
            read_up_to: conversation.resident_read,
            conversation,
            last_id: after.max(0),
            last_state: None,
            done: false,
            typing_at: None,
            queue_read: None,
            queue_due: None,
            slot: None,
        }
    }

    /// The queue moved (a chat taken or started, an operator came or went): the state is
    /// reread now, or a second after the last such reread. A hundred chats taken in a second
    /// are one reread of the place of each chat waiting, not a hundred.
    async fn queue_moved(&mut self) -> Vec<String> {
        let now = tokio::time::Instant::now();
        if let Some(read) = self.queue_read.filter(|read| now < *read + QUEUE_EVERY) {
            self.queue_due = Some(read + QUEUE_EVERY);
            return Vec::new();
        }
        self.queue_read = Some(now);
        self.queue_due = None;
        self.state(false).await
    }

    async fn new_messages(&mut self) -> Vec<String> {
        match chat_service::shown_messages(&self.ctx, self.conversation.id, self.last_id).await {
            Ok(messages) => {
                if let Some(last) = messages.last() {
                    self.last_id = last.id;
                }
                messages
                    .iter()
                    .filter(|m| m.author().shown_to_resident())
                    .map(|m| message_frame(m, &self.conversation).to_string())
                    .collect()
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not read a chat's messages");
                Vec::new()
            }
        }
    }

    /// The state frame, if it changed since the last one sent (or `always`).
    async fn state(&mut self, always: bool) -> Vec<String> {
        match chat_service::current(&self.ctx, self.conversation.id).await {
            Ok(Some(conversation)) => self.conversation = conversation,
            Ok(None) => {
                self.done = true;
                return vec![error_frame("This chat has been deleted.")];
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not read a chat");
                return Vec::new();
            }
        }
        let closed = self.conversation.state() == ConversationState::Closed;
        if closed {
            if let Err(error) =
                chat_service::send_transcript_if_requested(&self.ctx, self.conversation.id).await
            {
                tracing::warn!(error = %error, "could not send a chat's transcript");
            }
        }
        let Ok(state) = chat_service::chat_state(&self.ctx, &self.conversation).await else {
            return Vec::new();
        };
        if !always && self.last_state.as_ref() == Some(&state) {
            return Vec::new();
        }
        let frame = state.frame().to_string();
        self.last_state = Some(state);
        if closed && self.conversation.kind() == ConversationKind::Chat {
            self.done = true;
        }
        vec![frame]
    }
}

fn error_frame(message: &str) -> String {
    serde_json::json!({ "type": "error", "message": message }).to_string()
}

#[derive(serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Received {
    Send {
        body: String,
        #[serde(default)]
        client_id: Option<String>,
    },
    Typing,
    Read {
        up_to: i64,
    },
}

#[async_trait::async_trait]
impl Watcher for ResidentWatcher {
    async fn opening(&mut self) -> Vec<String> {
        chat_service::resident_seen(&self.ctx, &self.conversation).await;
        let mut frames = self.new_messages().await;
        frames.extend(self.state(true).await);
        frames
    }

    async fn still_here(&mut self) {
        chat_service::resident_seen(&self.ctx, &self.conversation).await;
    }

    async fn event(&mut self, event: Option<&LiveEvent>) -> Vec<String> {
        let id = self.conversation.id;
        let provider = self.conversation.provider_id;
        match event {
            None => {
                let mut frames = self.new_messages().await;
                frames.extend(self.state(false).await);
                frames
            }
            Some(LiveEvent::Message { conversation, .. }) if *conversation == id => {
                self.new_messages().await
            }
            Some(LiveEvent::Typing {
                conversation,
                resident: false,
            }) if *conversation == id => {
                vec![serde_json::json!({"type": "typing", "who": "operator"}).to_string()]
            }
            Some(LiveEvent::Read {
                conversation,
                resident: false,
                message,
            }) if *conversation == id => {
                vec![serde_json::json!({"type": "read", "up_to": message}).to_string()]
            }
            Some(LiveEvent::Changed { conversation, .. }) if *conversation == id => {
                // Taken or ended: a system line may have come with it.
                let mut frames = self.new_messages().await;
                frames.extend(self.state(false).await);
                frames
            }
            // The queue moved, or an operator came or went: only a chat still waiting shows
            // what that changes (its place and expected wait). A thousand open chats rereading
            // their state at every chat taken elsewhere would be a million reads.
            Some(
                LiveEvent::Changed {
                    provider: their, ..
                }
                | LiveEvent::Presence { provider: their },
            ) if *their == provider && self.conversation.state() == ConversationState::Waiting => {
                self.queue_moved().await
            }
            _ => Vec::new(),
        }
    }

    async fn received(&mut self, text: &str) -> Vec<String> {
        let Ok(received) = serde_json::from_str::<Received>(text) else {
            return vec![error_frame("That frame could not be read.")];
        };
        match received {
            Received::Send { body, client_id } => {
                match chat_service::send_as_resident(
                    &self.ctx,
                    &self.conversation,
                    &body,
                    client_id.as_deref(),
                )
                .await
                {
                    Ok(_) => self.new_messages().await,
                    Err(ChatError::Unexpected(error)) => {
                        tracing::error!(error = ?error, "a chat message could not be stored");
                        vec![error_frame(
                            "Sorry, your message could not be sent. Try again.",
                        )]
                    }
                    Err(error) => vec![error_frame(&error.to_string())],
                }
            }
            Received::Typing => {
                // Each typing frame reaches every operator: one every two seconds is plenty.
                if self
                    .typing_at
                    .is_none_or(|at| at.elapsed() >= live_web::TYPING_EVERY)
                {
                    self.typing_at = Some(std::time::Instant::now());
                    chat_service::typing(&self.ctx, &self.conversation).await;
                }
                Vec::new()
            }
            Received::Read { up_to } => {
                if up_to > self.read_up_to {
                    self.read_up_to = up_to;
                    if let Err(error) =
                        chat_service::read(&self.ctx, &self.conversation, up_to).await
                    {
                        tracing::warn!(error = %error, "could not mark a chat read");
                    }
                }
                Vec::new()
            }
        }
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn only_conversation(&self) -> Option<i64> {
        Some(self.conversation.id)
    }

    fn due(&self) -> Option<tokio::time::Instant> {
        self.queue_due
    }

    async fn flush(&mut self) -> Vec<String> {
        self.queue_due = None;
        if self.conversation.state() != ConversationState::Waiting {
            return Vec::new();
        }
        self.queue_read = Some(tokio::time::Instant::now());
        self.state(false).await
    }
}

/// `GET /chat/{token}/live?after=`: the WebSocket (or, without an upgrade, the same frames as
/// Server-Sent Events).
pub async fn live(
    State(ctx): State<AppState>,
    link: ChatLink,
    Query(after): Query<After>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(slot) = live_slot(&ctx, link.conversation.id) else {
        return too_many_live();
    };
    let mut watcher = ResidentWatcher::new(ctx.clone(), link.conversation, after.after);
    watcher.slot = Some(slot);
    match upgrade {
        Ok(upgrade) => live_web::websocket(&ctx, upgrade, watcher),
        Err(_) => live_web::server_sent_events(&ctx, watcher),
    }
}

/// `GET /chat/{token}/events?after=`: Server-Sent Events.
pub async fn events(
    State(ctx): State<AppState>,
    link: ChatLink,
    Query(after): Query<After>,
) -> Response {
    let Some(slot) = live_slot(&ctx, link.conversation.id) else {
        return too_many_live();
    };
    let mut watcher = ResidentWatcher::new(ctx.clone(), link.conversation, after.after);
    watcher.slot = Some(slot);
    live_web::server_sent_events(&ctx, watcher)
}

/// `GET /chat/{token}/messages?after=&wait=&state=`: the messages after one (JSON), waiting up
/// to `wait` seconds for one when there is none yet (long polling), and the state. A poll that
/// says the state its page shows does not wait when that has changed in between (taken or
/// ended between two polls).
pub async fn messages(
    State(ctx): State<AppState>,
    link: ChatLink,
    Query(after): Query<After>,
) -> WebResult<Response> {
    let id = link.conversation.id;
    let Some(_slot) = live_slot(&ctx, id) else {
        return Ok(too_many_live());
    };
    let mut events = ctx.live.subscribe_to(id);
    let mut found = chat_service::shown_messages(&ctx, id, after.after).await?;
    let wait = Duration::from_secs(after.wait.min(MAX_WAIT_SECONDS));
    let moved = !after.state.is_empty()
        && chat_service::current(&ctx, id)
            .await?
            .is_some_and(|c| c.state().as_str() != after.state);
    if found.is_empty() && !wait.is_zero() && !moved {
        let closing = ctx.live.closing();
        let until = tokio::time::sleep(wait);
        tokio::pin!(until);
        loop {
            tokio::select! {
                () = &mut until => break,
                () = closing.cancelled() => break,
                event = events.recv() => match event {
                    Ok(LiveEvent::Message { conversation, .. })
                    | Ok(LiveEvent::Changed { conversation, .. }) if conversation == id => {
                        break;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    _ => continue,
                },
            }
        }
        found = chat_service::shown_messages(&ctx, id, after.after).await?;
    }
    let conversation = chat_service::current(&ctx, id)
        .await?
        .unwrap_or(link.conversation);
    let state = chat_service::chat_state(&ctx, &conversation)
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let frames: Vec<serde_json::Value> = found
        .iter()
        .filter(|m| m.author().shown_to_resident())
        .map(|m| message_frame(m, &conversation))
        .collect();
    Ok(Json(serde_json::json!({
        "messages": frames,
        "state": state.frame(),
        "read": conversation.operator_read,
    }))
    .into_response())
}

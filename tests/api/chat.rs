//! A resident's live web chat, as they see it, on SQLite and PostgreSQL alike: starting one (and
//! what is wrong with bad input), the queue line, sending without JavaScript, the live
//! connection by WebSocket, Server-Sent Events and long polling (with nothing lost or doubled
//! when it reconnects), another token opening nothing, honest pages when chat is closed or
//! nobody is there, the transcript by email without notes, the rating, the rate limits, a
//! blocked session, and closed chats deleted after their keeping time.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::report_triage::staff_with;
use beacon::app::Role;
use beacon::domain::conversation::{Author, ConversationKind};
use beacon::services::live::LiveEvent;
use beacon::store::{Added, NewConversation, NewMessage, StaffMember};
use futures_util::{SinkExt, StreamExt};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// A browser that keeps cookies and does not follow redirects.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs SQL on the app's database (for what other parts of the contact centre write: an
/// operator's presence, a block).
pub(crate) async fn sql(app: &TestApp, statement: &str) {
    use sqlx::Connection;
    if app.database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(statement).execute(&mut db).await.unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query(statement).execute(&mut db).await.unwrap();
    }
}

/// An operator, Priya Shah, available in the inbox now.
pub(crate) async fn operator_on(app: &TestApp) -> StaffMember {
    let (priya, _) = staff_with(app, "Priya Shah", |p| p.operate = true).await;
    let now = chrono::Utc::now().timestamp();
    sql(
        app,
        &format!(
            "INSERT INTO operator_presence (staff_id, available, capacity, seen_at, changed_at) \
             VALUES ({}, TRUE, 3, {now}, {now})",
            priya.id
        ),
    )
    .await;
    priya
}

/// The CSRF token `browser` holds, from the page at `path`.
pub(crate) async fn csrf_from(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let html = browser
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden_value(&html, "csrf").unwrap_or_else(|| panic!("{path} has no form: {html}"))
}

/// Starts a chat as `browser`; the answer.
pub(crate) async fn start(
    app: &TestApp,
    browser: &reqwest::Client,
    name: &str,
    topic: &str,
) -> reqwest::Response {
    let csrf = csrf_from(app, browser, "/chat").await;
    browser
        .post(app.url("/chat"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("first_name", name),
            ("topic", topic),
        ])
        .send()
        .await
        .unwrap()
}

/// Starts a chat as `browser`; its token.
pub(crate) async fn started(
    app: &TestApp,
    browser: &reqwest::Client,
    name: &str,
    topic: &str,
) -> String {
    let answer = start(app, browser, name, topic).await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()[LOCATION].to_str().unwrap().to_owned();
    location.strip_prefix("/chat/").unwrap().to_owned()
}

pub(crate) async fn page(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
) -> (StatusCode, String) {
    let answer = browser.get(app.url(path)).send().await.unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// Sends a message from the chat page's form, as without JavaScript.
pub(crate) async fn send(
    app: &TestApp,
    browser: &reqwest::Client,
    token: &str,
    body: &str,
) -> reqwest::Response {
    let path = format!("/chat/{token}");
    let html = page(app, browser, &path).await.1;
    let csrf = hidden_value(&html, "csrf").unwrap();
    let client_id = hidden_value(&html, "client_id").unwrap();
    browser
        .post(app.url(&path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("body", body),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap()
}

/// An operator's message, stored and announced as the inbox does.
pub(crate) async fn operator_says(
    app: &TestApp,
    token: &str,
    staff: &StaffMember,
    body: &str,
) -> i64 {
    let ctx = &app.ctx;
    let conversation = ctx
        .store
        .conversation_by_token(token)
        .await
        .unwrap()
        .unwrap();
    let message = NewMessage {
        author: Author::Operator,
        staff_id: Some(staff.id),
        body: body.into(),
        client_id: None,
        urgent_words: Vec::new(),
    };
    let now = chrono::Utc::now().timestamp();
    let Added::Stored(stored) = ctx
        .store
        .add_message(conversation.id, &message, now)
        .await
        .unwrap()
    else {
        panic!("the operator's message was not stored");
    };
    ctx.live
        .publish(LiveEvent::Message {
            conversation: conversation.id,
            provider: conversation.provider_id,
            message: stored.id,
        })
        .await;
    stored.id
}

on_both_backends!(
    a_resident_starts_a_chat_and_sends_without_javascript,
    starting
);
async fn starting(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    operator_on(&app).await;
    let sam = browser();

    // The start page: the emergency line, leaving quickly, the form.
    let (status, html) = page(&app, &sam, "/chat").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("If someone is in danger now, call"), "{html}");
    assert!(html.contains("Leave this site"));
    assert!(html.contains("/static/leave-site.js"));
    assert!(html.contains("What is it about?"));
    // The launcher is on other public pages, and not repeated on the chat's own.
    assert!(page(&app, &sam, "/report")
        .await
        .1
        .contains("href=\"/chat\""));
    assert!(!html.contains("chat-launcher-link"));

    // Bad input: said clearly, nothing started.
    let answer = start(&app, &sam, "Sam", "   ").await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("Say what your chat is about"));
    let answer = start(&app, &sam, "Sam", &"a".repeat(201)).await;
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("200 characters or fewer"));
    let answer = start(&app, &sam, "Sam", "bell\u{7} ringing").await;
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("characters we cannot store"));
    let answer = start(&app, &sam, &"x".repeat(61), "ok").await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Started: the token is in the address and in a cookie for /chat only.
    let answer = start(&app, &sam, "<b>Sam</b>", "Calls <script>alert(1)</script>").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<String> = answer
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    let location = answer.headers()[LOCATION].to_str().unwrap().to_owned();
    let token = location.strip_prefix("/chat/").unwrap().to_owned();
    assert!(token.len() >= 32, "{token}");
    let chat_cookie = cookies
        .iter()
        .find(|c| c.starts_with(&format!("beacon_chat={token}")))
        .expect("the chat's cookie");
    for part in ["HttpOnly", "SameSite=Lax", "Path=/chat"] {
        assert!(chat_cookie.contains(part), "{chat_cookie}");
    }
    assert!(cookies
        .iter()
        .any(|c| c.starts_with("beacon_chat_session=")));

    // The page's policy lets its script reach Beacon's live connection (WebSocket, Server-Sent
    // Events, long polling); `default-src 'none'` alone would block them.
    let answer = sam.get(app.url(&location)).send().await.unwrap();
    let policy = answer.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    let (status, html) = (answer.status(), answer.text().await.unwrap());
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("You are 1st in the queue"), "{html}");
    assert!(
        html.contains("Calls &#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&#60;b&#62;Sam&#60;/b&#62;"));
    assert!(html.contains(r#"<meta http-equiv="refresh" content="30">"#));
    assert!(html.contains("checks for an operator every 30 seconds"));
    assert!(html.contains("Check for new messages"));
    assert!(html.contains("aria-live=\"polite\""));

    // A second resident is second in the queue; the first is still first.
    let jo = browser();
    let second = started(&app, &jo, "", "A scam call").await;
    let html = page(&app, &jo, &format!("/chat/{second}")).await.1;
    assert!(html.contains("You are 2nd in the queue"), "{html}");

    // Sending without JavaScript: the form posts and comes back to the chat.
    let answer = send(&app, &sam, &token, "Someone keeps <i>ringing</i> me").await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        answer.headers()[LOCATION].to_str().unwrap(),
        format!("/chat/{token}#latest")
    );
    let html = page(&app, &sam, &location).await.1;
    assert!(html.contains("Someone keeps &#60;i&#62;ringing&#60;/i&#62; me"));

    // Bad messages: too long, control characters; nothing stored.
    let answer = send(&app, &sam, &token, &"a".repeat(2_001)).await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("2,000 characters or fewer"));
    let answer = send(&app, &sam, &token, "nul\u{0}here").await;
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("characters we cannot store"));
    let conversation = app
        .ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    let stored = app
        .ctx
        .store
        .messages_after(conversation.id, 0, true)
        .await
        .unwrap();
    assert_eq!(stored.len(), 2, "the topic and one message");

    // Another token opens its own chat only; a made-up one opens nothing.
    let html = page(&app, &jo, &format!("/chat/{second}")).await.1;
    assert!(!html.contains("ringing"));
    let (status, html) = page(&app, &jo, "/chat/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This chat cannot be opened"));

    // Words of danger make a chat urgent at once, and the inbox is told.
    let mut events = app.ctx.live.subscribe();
    let urgent = started(&app, &browser(), "", "He has a knife").await;
    let conversation = app
        .ctx
        .store
        .conversation_by_token(&urgent)
        .await
        .unwrap()
        .unwrap();
    assert!(conversation.urgent);
    assert_eq!(conversation.urgent_words, "knife");
    loop {
        if let LiveEvent::Changed {
            conversation: id, ..
        } = events.recv().await.unwrap()
        {
            if id == conversation.id {
                break;
            }
        }
    }
    app.stop().await;
}

/// The next text frame from a WebSocket, as JSON.
pub(crate) async fn next_frame<S>(ws: &mut S) -> serde_json::Value
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
{
    loop {
        match ws.next().await.expect("the socket is open").unwrap() {
            WsMessage::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            _ => continue,
        }
    }
}

/// Frames until one of `kind` (returned with those before it).
pub(crate) async fn frames_until<S>(ws: &mut S, kind: &str) -> Vec<serde_json::Value>
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
{
    let mut frames = Vec::new();
    loop {
        let frame = next_frame(ws).await;
        let done = frame["type"] == kind;
        frames.push(frame);
        if done {
            return frames;
        }
    }
}

on_both_backends!(
    the_chat_is_live_by_websocket_events_and_polling,
    live,
    multi_thread
);
async fn live(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "Someone is following me").await;
    let conversation = app
        .ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    let ws_url = app
        .url(&format!("/chat/{token}/live?after=0"))
        .replacen("http", "ws", 1);

    // Opening: what was said so far, then where the chat is.
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    let opening = frames_until(&mut ws, "state").await;
    assert_eq!(opening[0]["type"], "message");
    assert_eq!(opening[0]["body"], "Someone is following me");
    assert_eq!(opening[0]["author"], "resident");
    let state = opening.last().unwrap();
    assert_eq!(state["state"], "waiting");
    assert_eq!(state["position"], 1);

    // Priya takes it and answers: the resident sees both.
    let now = chrono::Utc::now().timestamp();
    assert!(app
        .ctx
        .store
        .take_conversation(conversation.id, priya.id, now)
        .await
        .unwrap());
    app.ctx
        .live
        .publish(LiveEvent::Changed {
            conversation: conversation.id,
            provider: conversation.provider_id,
        })
        .await;
    let state = frames_until(&mut ws, "state").await.pop().unwrap();
    assert_eq!(state["state"], "open");
    assert_eq!(state["operator"], "Priya");
    // Taken, the page no longer refreshes itself without JavaScript: it would wipe a message
    // being typed.
    let page = app
        .get(&format!("/chat/{token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Check for new messages"), "{page}");
    assert!(!page.contains(r#"http-equiv="refresh""#), "{page}");
    let answered = operator_says(&app, &token, &priya, "Hello Sam, I am here <b>now</b>").await;
    let frame = frames_until(&mut ws, "message").await.pop().unwrap();
    assert_eq!(frame["id"], answered);
    assert_eq!(frame["author"], "operator");
    assert_eq!(frame["name"], "Priya");
    assert_eq!(frame["body"], "Hello Sam, I am here <b>now</b>");

    // The operator typing, and reading.
    app.ctx
        .live
        .publish(LiveEvent::Typing {
            conversation: conversation.id,
            resident: false,
        })
        .await;
    assert_eq!(next_frame(&mut ws).await["who"], "operator");

    // A message sent twice with one client id (a retry) is stored once.
    let send = serde_json::json!({"type": "send", "body": "Thank you", "client_id": "c-123"});
    for _ in 0..2 {
        ws.send(WsMessage::Text(send.to_string().into()))
            .await
            .unwrap();
    }
    let frame = frames_until(&mut ws, "message").await.pop().unwrap();
    assert_eq!(frame["client_id"], "c-123");
    assert_eq!(frame["author"], "resident");
    let sent_id = frame["id"].as_i64().unwrap();
    ws.send(WsMessage::Text(r#"{"type":"typing"}"#.into()))
        .await
        .unwrap();
    ws.send(WsMessage::Text(
        serde_json::json!({"type": "read", "up_to": answered})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    // Everything sent before this arrives in order: wait for the read to be recorded.
    for _ in 0..200 {
        let now = app
            .ctx
            .store
            .conversation(conversation.id)
            .await
            .unwrap()
            .unwrap();
        if now.resident_read == answered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let stored = app
        .ctx
        .store
        .messages_after(conversation.id, 0, true)
        .await
        .unwrap();
    assert_eq!(
        stored
            .iter()
            .filter(|m| m.client_id.as_deref() == Some("c-123"))
            .count(),
        1
    );
    assert_eq!(
        app.ctx
            .store
            .conversation(conversation.id)
            .await
            .unwrap()
            .unwrap()
            .resident_read,
        answered
    );
    ws.close(None).await.unwrap();

    // Missed while away: a reconnect with after= gets it, and nothing before it again.
    let missed = operator_says(&app, &token, &priya, "Are you still there?").await;
    let note = NewMessage {
        author: Author::Note,
        staff_id: Some(priya.id),
        body: "internal: check the PNC".into(),
        client_id: None,
        urgent_words: Vec::new(),
    };
    app.ctx
        .store
        .add_message(conversation.id, &note, now)
        .await
        .unwrap();
    let again = app
        .url(&format!("/chat/{token}/live?after={sent_id}"))
        .replacen("http", "ws", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(&again).await.unwrap();
    let opening = frames_until(&mut ws, "state").await;
    let messages: Vec<i64> = opening
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(messages, vec![missed], "{opening:?}");
    ws.close(None).await.unwrap();

    // Server-Sent Events carry the same frames.
    let mut events = sam
        .get(app.url(&format!("/chat/{token}/events?after={sent_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut text = String::new();
    while !text.contains("Are you still there?") {
        let chunk = events.chunk().await.unwrap().expect("more events");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("data: {"), "{text}");
    assert!(!text.contains("PNC"));
    drop(events);

    // Long polling waits for the next message.
    let poll = {
        let sam = sam.clone();
        let url = app.url(&format!("/chat/{token}/messages?after={missed}&wait=25"));
        tokio::spawn(async move {
            sam.get(url)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    };
    let later = operator_says(&app, &token, &priya, "I will stay with you").await;
    let answer = poll.await.unwrap();
    let ids: Vec<i64> = answer["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![later], "{answer}");
    assert_eq!(answer["state"]["state"], "open");

    // A poll from a page that still shows the chat waiting (it was taken between two polls)
    // is answered at once with the new state, not after the 25 seconds' wait.
    let answer: serde_json::Value = sam
        .get(app.url(&format!(
            "/chat/{token}/messages?after={later}&wait=25&state=waiting"
        )))
        .timeout(std::time::Duration::from_secs(20))
        .send()
        .await
        .expect("answered before the wait is over")
        .json()
        .await
        .unwrap();
    assert_eq!(answer["messages"], serde_json::json!([]), "{answer}");
    assert_eq!(answer["state"]["state"], "open", "{answer}");

    // Another chat's token does not see this one.
    let other = started(&app, &browser(), "", "Lost bike").await;
    let answer: serde_json::Value = sam
        .get(app.url(&format!("/chat/{other}/messages?after=0")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bodies = answer["messages"].to_string();
    assert!(
        bodies.contains("Lost bike") && !bodies.contains("Priya"),
        "{bodies}"
    );
    app.stop().await;
}

on_both_backends!(chat_says_honestly_when_nobody_will_answer, unavailable);
async fn unavailable(backend: Backend) {
    // Nobody available.
    let app = TestApp::spawn(backend).await;
    let sam = browser();
    let (status, html) = page(&app, &sam, "/chat").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("No one is available to chat right now"),
        "{html}"
    );
    for offer in ["href=\"/report\"", "tel:101", "tel:999"] {
        assert!(html.contains(offer), "{offer}");
    }
    assert!(!html.contains("Start chat"));
    // An operator away, or not seen lately, does not count.
    let (priya, _) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let long_ago = chrono::Utc::now().timestamp() - 600;
    sql(
        &app,
        &format!(
            "INSERT INTO operator_presence (staff_id, available, capacity, seen_at, changed_at) \
             VALUES ({}, TRUE, 3, {long_ago}, {long_ago})",
            priya.id
        ),
    )
    .await;
    let csrf = hidden_value(&page(&app, &sam, "/signup").await.1, "csrf").unwrap();
    let answer = sam
        .post(app.url("/chat"))
        .form(&[("csrf", csrf.as_str()), ("topic", "Help")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.text().await.unwrap().contains("No one is available"));
    app.stop().await;

    // Closed: open only on a day two days from now.
    let london = chrono::Utc::now().with_timezone(&chrono_tz::Europe::London);
    let day = (london + chrono::Duration::days(2))
        .format("%a")
        .to_string();
    let app = TestApp::spawn_with(backend, |settings| {
        settings.chat.opening_hours = format!("{day} 10:00-11:00");
    })
    .await;
    operator_on(&app).await;
    let full_day = (london + chrono::Duration::days(2))
        .format("%A")
        .to_string();
    let html = page(&app, &sam, "/chat").await.1;
    assert!(html.contains("Web chat is closed now"), "{html}");
    assert!(
        html.contains(&format!("Web chat opens again on {full_day} at 10:00")),
        "{html}"
    );
    assert!(html.contains(&format!("open {day} 10:00-11:00")));
    app.stop().await;
}

on_both_backends!(the_transcript_and_rating_after_the_chat, ending);
async fn ending(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "A parcel scam").await;
    let path = format!("/chat/{token}");
    let conversation = app
        .ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    app.ctx
        .store
        .take_conversation(conversation.id, priya.id, now)
        .await
        .unwrap();
    operator_says(&app, &token, &priya, "Did you click the link?").await;
    let note = NewMessage {
        author: Author::Note,
        staff_id: Some(priya.id),
        body: "SECRET NOTE: known scam".into(),
        client_id: None,
        urgent_words: Vec::new(),
    };
    app.ctx
        .store
        .add_message(conversation.id, &note, now)
        .await
        .unwrap();
    assert_eq!(
        send(&app, &sam, &token, "No, I did not").await.status(),
        StatusCode::SEE_OTHER
    );
    let html = page(&app, &sam, &path).await.1;
    assert!(html.contains("You are chatting with Priya"), "{html}");
    assert!(!html.contains("SECRET NOTE"));

    // The transcript: a bad address is refused, a good one kept for the end.
    let csrf = hidden_value(&html, "csrf").unwrap();
    let answer = sam
        .post(app.url(&format!("{path}/transcript")))
        .form(&[("csrf", csrf.as_str()), ("email", "not an address")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("Enter an email address"));
    let answer = sam
        .post(app.url(&format!("{path}/transcript")))
        .form(&[("csrf", csrf.as_str()), ("email", "sam@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let html = page(&app, &sam, &path).await.1;
    assert!(html.contains("We will email the transcript to"), "{html}");
    assert!(!html.contains("sam@example.com"), "the address is masked");
    assert_eq!(app.outbox_count(), 0);

    // Ending it (the page asks first) sends the transcript: no notes in it.
    let html = page(&app, &sam, &format!("{path}/end")).await.1;
    assert!(html.contains("End the chat?"));
    let csrf = hidden_value(&html, "csrf").unwrap();
    let answer = sam
        .post(app.url(&format!("{path}/end")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let email = app.emails(1).await.remove(0);
    assert_eq!(email.to, "sam@example.com");
    for said in [
        "A parcel scam",
        "Did you click the link?",
        "No, I did not",
        "Priya",
    ] {
        assert!(email.text.contains(said), "{said}: {}", email.text);
    }
    assert!(!email.text.contains("SECRET NOTE"));
    assert!(!email
        .html
        .as_deref()
        .unwrap_or_default()
        .contains("SECRET NOTE"));
    let ended = app
        .ctx
        .store
        .conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.state, "closed");
    assert!(!ended.abandoned);

    // Closed: no more messages; a rating instead.
    let html = page(&app, &sam, &path).await.1;
    assert!(html.contains("This chat has ended"));
    assert!(html.contains("We have sent the transcript to"));
    assert!(!html.contains(r#"http-equiv="refresh""#));
    let csrf = hidden_value(&html, "csrf").unwrap();
    let answer = sam
        .post(app.url(&path))
        .form(&[("csrf", csrf.as_str()), ("body", "one more thing")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::CONFLICT);
    assert!(answer.text().await.unwrap().contains("This chat has ended"));
    let answer = sam
        .post(app.url(&format!("{path}/rating")))
        .form(&[("csrf", csrf.as_str()), ("rating", "7")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("Choose a rating from 1 to 5"));
    let answer = sam
        .post(app.url(&format!("{path}/rating")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("rating", "4"),
            ("comment", "Quick <b>help</b>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let rated = app
        .ctx
        .store
        .conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rated.rating, Some(4));
    assert_eq!(rated.rating_comment.as_deref(), Some("Quick <b>help</b>"));
    let html = page(&app, &sam, &format!("{path}?done=rated")).await.1;
    assert!(html.contains("you rated the chat 4 out of 5"), "{html}");

    // Ended while waiting: abandoned.
    let jo = browser();
    let waiting = started(&app, &jo, "", "Never mind").await;
    let token = csrf_from(&app, &jo, &format!("/chat/{waiting}/end")).await;
    jo.post(app.url(&format!("/chat/{waiting}/end")))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let left = app
        .ctx
        .store
        .conversation_by_token(&waiting)
        .await
        .unwrap()
        .unwrap();
    assert!(left.abandoned);
    // Closed by the operator after the resident left: the transcript still goes.
    let kim = browser();
    let closed_later = started(&app, &kim, "Kim", "Lost wallet").await;
    let path = format!("/chat/{closed_later}");
    let token = csrf_from(&app, &kim, &path).await;
    kim.post(app.url(&format!("{path}/transcript")))
        .form(&[("csrf", token.as_str()), ("email", "kim@example.com")])
        .send()
        .await
        .unwrap();
    let conversation = app
        .ctx
        .store
        .conversation_by_token(&closed_later)
        .await
        .unwrap()
        .unwrap();
    app.ctx
        .store
        .close_conversation(conversation.id, Some("advice-given"), false, now)
        .await
        .unwrap();
    beacon::services::chat::send_due_transcripts(&app.ctx)
        .await
        .unwrap();
    let emails = app.emails(2).await;
    assert_eq!(emails[1].to, "kim@example.com");
    assert!(emails[1].text.contains("Lost wallet"));
    app.stop().await;
}

on_both_backends!(rate_limits_and_blocked_sessions, limits);
async fn limits(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.chat.chats_per_hour = 2;
        settings.chat.messages_per_minute = 2;
    })
    .await;
    operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "Noise at night").await;
    for body in ["one", "two"] {
        assert_eq!(
            send(&app, &sam, &token, body).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let answer = send(&app, &sam, &token, "three").await;
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("sending messages very quickly"));

    // Operators block Sam's session: Sam cannot start another chat, calmly told why.
    let conversation = app
        .ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert!(!conversation.session_key.is_empty());
    assert!(!conversation.client_key.contains("127.0.0.1"));
    sql(
        &app,
        &format!(
            "INSERT INTO chat_blocks (session_key, reason, created_at) VALUES ('{}', 'abuse', 0)",
            conversation.session_key
        ),
    )
    .await;
    let answer = start(&app, &sam, "Sam", "Again").await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("You cannot start a chat from this browser"));

    // Per address: the second chat from it is let in, the third is not.
    started(&app, &browser(), "", "Second").await;
    let answer = start(&app, &browser(), "", "Third").await;
    assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(answer
        .text()
        .await
        .unwrap()
        .contains("A lot of chats have been started"));
    app.stop().await;
}

on_both_backends!(closed_chats_are_deleted_after_their_keeping_time, retention);
async fn retention(backend: Backend) {
    // The web role alone: the hourly housekeeping would otherwise race the test, closing its
    // chats started 40 days ago as left (at today's time, adding a line) before it closes them.
    let app = TestApp::spawn_as(backend, Role::Web, |settings| {
        settings.chat.retention_days = 30
    })
    .await;
    let store = &app.ctx.store;
    let provider = store.providers().await.unwrap()[0].id;
    let now = chrono::Utc::now().timestamp();
    let day = 86_400;
    let chat = |token: &str| NewConversation {
        token: token.into(),
        kind: Some(ConversationKind::Chat),
        provider_id: provider,
        topic: "Old".into(),
        ..NewConversation::default()
    };
    let first = NewMessage {
        author: Author::Resident,
        staff_id: None,
        body: "hello".into(),
        client_id: None,
        urgent_words: Vec::new(),
    };
    let old_closed = store
        .start_conversation(&chat("old-closed"), Some(&first), now - 40 * day)
        .await
        .unwrap();
    store
        .close_conversation(old_closed.id, None, true, now - 31 * day)
        .await
        .unwrap();
    let recent_closed = store
        .start_conversation(&chat("recent-closed"), Some(&first), now - 40 * day)
        .await
        .unwrap();
    store
        .close_conversation(recent_closed.id, None, true, now - 29 * day)
        .await
        .unwrap();
    let old_waiting = store
        .start_conversation(&chat("old-waiting"), None, now - 40 * day)
        .await
        .unwrap();

    // Only the old closed chat goes.
    beacon::services::chat::purge_closed(&app.ctx, now)
        .await
        .unwrap();
    assert!(store.conversation(old_closed.id).await.unwrap().is_none());
    assert!(store
        .messages_after(old_closed.id, 0, true)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .conversation(recent_closed.id)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .messages_after(recent_closed.id, 0, true)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store.conversation(old_waiting.id).await.unwrap().is_some());
    // Its link now says it cannot be opened.
    let (status, html) = page(&app, &browser(), "/chat/old-closed").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This chat cannot be opened"));
    app.stop().await;
}

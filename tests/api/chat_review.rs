//! What the review of the contact centre found, each as a resident or an operator meets it, on
//! SQLite and PostgreSQL alike: a transcript asked for once and only of a chat, floods of
//! typing and read frames, the operator's socket from another site or after sign-out, capacity
//! held under parallel takes, the queue's order and waits after a requeue, chats left in the
//! queue, and the state line when nobody is left to answer.

use crate::chat::{browser, frames_until, operator_on, page, sql, started};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::inbox::{chat, now, resident_says};
use crate::on_both_backends;
use beacon::app::Role;
use beacon::domain::conversation::{Author, ConversationKind};
use beacon::services::live::LiveEvent;
use beacon::services::staff::Actor;
use beacon::store::{Added, NewConversation, NewMessage, StaffMember};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use std::sync::Arc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Posts the transcript form of the chat at `path` with `email`.
async fn ask_transcript(
    app: &TestApp,
    resident: &reqwest::Client,
    path: &str,
    email: &str,
) -> (StatusCode, String) {
    let html = page(app, resident, path).await.1;
    let csrf = hidden_value(&html, "csrf").unwrap();
    let answer = resident
        .post(app.url(&format!("{path}/transcript")))
        .form(&[("csrf", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

on_both_backends!(
    a_transcript_is_asked_for_once_and_only_of_a_chat,
    transcript_once
);
async fn transcript_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    operator_on(&app).await;
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

    assert_eq!(
        ask_transcript(&app, &sam, &path, "sam@example.com").await.0,
        StatusCode::SEE_OTHER
    );
    // A second address (a script posting the form again) is refused, the first kept.
    let (status, html) = ask_transcript(&app, &sam, &path, "victim@example.net").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("A transcript is already on its way to"),
        "{html}"
    );
    assert!(!html.contains("sam@example.com"), "the address is masked");
    let kept = app
        .ctx
        .store
        .conversation(conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.email.as_deref(), Some("sam@example.com"));
    assert_eq!(app.outbox_count(), 0);

    // A reply thread's address (where its answers go) is never changed by the form.
    let thread = app
        .ctx
        .store
        .start_conversation(
            &NewConversation {
                token: beacon::services::tokens::random_id(),
                kind: Some(ConversationKind::Reply),
                provider_id: conversation.provider_id,
                first_name: "Ann".into(),
                topic: "A reply".into(),
                email: Some("ann@example.org".into()),
                ..NewConversation::default()
            },
            None,
            chrono::Utc::now().timestamp(),
        )
        .await
        .unwrap();
    let answer = sam
        .post(app.url(&format!("/chat/{}/transcript", thread.token)))
        .form(&[
            (
                "csrf",
                hidden_value(&page(&app, &sam, &path).await.1, "csrf")
                    .unwrap()
                    .as_str(),
            ),
            ("email", "victim@example.net"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(answer.status(), StatusCode::SEE_OTHER);
    let kept = app
        .ctx
        .store
        .conversation(thread.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.email.as_deref(), Some("ann@example.org"));
    assert!(!kept.transcript_requested);
    assert_eq!(app.outbox_count(), 0);
    app.stop().await;
}

on_both_backends!(
    typing_and_read_floods_are_dropped_and_a_flooding_socket_closed,
    floods,
    multi_thread
);
async fn floods(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "A parcel scam").await;
    let ws_url = app
        .url(&format!("/chat/{token}/live?after=0"))
        .replacen("http", "ws", 1);
    let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    frames_until(&mut ws, "state").await;
    let mut events = app.ctx.live.subscribe();

    // Five typing frames and the same read twice, then a message: the operators are told of
    // the typing once and the read once.
    for frame in [
        r#"{"type":"typing"}"#,
        r#"{"type":"typing"}"#,
        r#"{"type":"typing"}"#,
        r#"{"type":"read","up_to":5}"#,
        r#"{"type":"read","up_to":5}"#,
        r#"{"type":"read","up_to":4}"#,
        r#"{"type":"typing"}"#,
        r#"{"type":"typing"}"#,
        r#"{"type":"send","body":"Are you there?","client_id":"m-1"}"#,
    ] {
        ws.send(WsMessage::Text(frame.into())).await.unwrap();
    }
    let (mut typing, mut read) = (0, 0);
    loop {
        match events.recv().await.unwrap() {
            LiveEvent::Typing { .. } => typing += 1,
            LiveEvent::Read { .. } => read += 1,
            LiveEvent::Message { .. } => break,
            _ => {}
        }
    }
    assert_eq!((typing, read), (1, 1));

    // A client sending hundreds of frames at once is told, then cut off.
    for _ in 0..200 {
        if ws
            .send(WsMessage::Text(r#"{"type":"typing"}"#.into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let said = frames_until(&mut ws, "error").await;
    assert!(
        said.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("Too many frames"),
        "{said:?}"
    );
    loop {
        match ws.next().await {
            None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => break,
            Some(Ok(_)) => {}
        }
    }
    app.stop().await;
}

/// Priya Shah, an operator, signed in: the cookie header of her browser.
async fn signed_in_operator(app: &TestApp) -> (StaffMember, reqwest::header::HeaderValue) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    let input = beacon::domain::staff::StaffInput {
        email: "priya.shah@staff.example".into(),
        name: "Priya Shah".into(),
        role_title: "Contact Operator".into(),
        area_label: "Force control room".into(),
        provider: "cambridgeshire-constabulary".into(),
        operate: true,
        ..beacon::domain::staff::StaffInput::default()
    };
    let nobody = Actor {
        staff: None,
        ip: "test",
    };
    let password = "a long and memorable password";
    let (priya, _) = beacon::services::staff::create_staff(&app.ctx, &nobody, &input)
        .await
        .unwrap();
    let secret = beacon::services::staff::new_totp_secret();
    beacon::services::staff::enrol_for_demo(&app.ctx, &priya, password, &secret)
        .await
        .unwrap();
    let code = beacon::services::staff::current_code(&secret).unwrap();
    app.sign_in_with(&browser, "priya.shah@staff.example", password, &code)
        .await;
    let url = reqwest::Url::parse(&app.url("/")).unwrap();
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &url).unwrap();
    (priya, cookies)
}

on_both_backends!(
    the_operator_socket_refuses_other_sites_and_ends_when_signed_out,
    operator_socket,
    multi_thread
);
async fn operator_socket(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (priya, cookies) = signed_in_operator(&app).await;
    let c = chat(&app, priya.provider_id, "Sam", 30, "Hello?", &[]).await;
    let ws_url = app
        .url(&format!("/staff/inbox/live?conversation={}&after=0", c.id))
        .replacen("http", "ws", 1);
    let own_origin = app.url("/").trim_end_matches('/').to_owned();

    // A page on another host (a sibling under police.uk) cannot open it, nor the events.
    let mut request = ws_url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookies.clone());
    request
        .headers_mut()
        .insert("origin", "https://evil.cambs.police.uk".parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(answer)) => {
            assert_eq!(answer.status(), 403)
        }
        other => panic!("the socket opened from another site: {:?}", other.is_ok()),
    }
    let answer = reqwest::Client::new()
        .get(app.url("/staff/inbox/events"))
        .header("cookie", cookies.clone())
        .header("origin", "https://evil.cambs.police.uk")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);

    // From Beacon's own pages it opens; once Priya is deactivated, her next frame is refused
    // and the connection ends.
    let mut request = ws_url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookies);
    request
        .headers_mut()
        .insert("origin", own_origin.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    sql(
        &app,
        &format!("UPDATE staff SET active = FALSE WHERE id = {}", priya.id),
    )
    .await;
    let frame = format!(
        r#"{{"type":"send","conversation":{},"body":"hi","client_id":"x"}}"#,
        c.id
    );
    socket.send(WsMessage::Text(frame.into())).await.unwrap();
    let said = frames_until(&mut socket, "error").await;
    assert!(
        said.last().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("no longer signed in"),
        "{said:?}"
    );
    loop {
        match socket.next().await {
            None | Some(Err(_)) | Some(Ok(WsMessage::Close(_))) => break,
            Some(Ok(_)) => {}
        }
    }
    let said = app.ctx.store.messages_after(c.id, 0, true).await.unwrap();
    assert!(said.iter().all(|m| m.body != "hi"));
    app.stop().await;
}

on_both_backends!(
    two_takes_at_once_by_one_operator_stay_within_capacity,
    capacity_race,
    multi_thread
);
async fn capacity_race(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let store = &app.ctx.store;
    for round in 0..10 {
        let a = chat(
            &app,
            priya.provider_id,
            &format!("A{round}"),
            30,
            "Hello",
            &[],
        )
        .await;
        let b = chat(
            &app,
            priya.provider_id,
            &format!("B{round}"),
            30,
            "Hello",
            &[],
        )
        .await;
        let (took_a, took_b) = tokio::join!(
            store.take_within(a.id, priya.id, 1, now()),
            store.take_within(b.id, priya.id, 1, now())
        );
        let took = [took_a.unwrap(), took_b.unwrap()];
        assert_eq!(
            took.iter().filter(|t| **t).count(),
            1,
            "round {round}: {took:?}"
        );
        assert_eq!(store.open_chats(priya.id).await.unwrap(), 1);
        for c in [a.id, b.id] {
            store
                .close_conversation(c, Some("other"), false, now())
                .await
                .unwrap();
        }
    }
    app.stop().await;
}

on_both_backends!(
    a_chat_put_back_keeps_its_place_and_waits_are_never_negative,
    requeue
);
async fn requeue(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let store = &app.ctx.store;
    let first = chat(&app, priya.provider_id, "Sam", 300, "First", &[]).await;
    let second = chat(&app, priya.provider_id, "Lee", 200, "Second", &[]).await;
    assert!(store
        .take_within(first.id, priya.id, 3, now() - 100)
        .await
        .unwrap());
    assert!(store.requeue(first.id, now()).await.unwrap());
    assert_eq!(store.queue_position(first.id).await.unwrap(), Some(1));
    assert_eq!(store.queue_position(second.id).await.unwrap(), Some(2));
    let waits = store.recent_waits(priya.provider_id, 0).await.unwrap();
    assert_eq!(waits.len(), 1);
    assert!((195..=205).contains(&waits[0]), "{waits:?}");
    app.stop().await;
}

on_both_backends!(
    chats_left_in_the_queue_or_idle_for_a_day_are_closed,
    left_chats
);
async fn left_chats(backend: Backend) {
    // The web role alone, so the hourly housekeeping cannot close the chats first.
    let app = TestApp::spawn_as(backend, Role::Web, |_| {}).await;
    let priya = operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "A parcel scam").await;
    let left = app
        .ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    let long_ago = now() - 16 * 60;
    sql(
        &app,
        &format!(
            "UPDATE conversations SET last_message_at = {long_ago}, resident_seen_at = {long_ago}, \
             created_at = {long_ago}, queued_at = {long_ago} WHERE id = {}",
            left.id
        ),
    )
    .await;

    // The next resident is first in the queue, not second behind a chat nobody has open.
    let lee = browser();
    let lee_token = started(&app, &lee, "Lee", "A lost bike").await;
    let html = page(&app, &lee, &format!("/chat/{lee_token}")).await.1;
    assert!(html.contains("1st in the queue"), "{html}");
    let closed = app.ctx.store.conversation(left.id).await.unwrap().unwrap();
    assert_eq!(closed.state, "closed");
    assert!(closed.abandoned);
    let html = page(&app, &sam, &format!("/chat/{token}")).await.1;
    assert!(html.contains("nobody had it open for 15 minutes"), "{html}");

    // An open chat with no message for a day is closed in the hourly housekeeping.
    let lee_chat = app
        .ctx
        .store
        .conversation_by_token(&lee_token)
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .ctx
        .store
        .take_conversation(lee_chat.id, priya.id, now())
        .await
        .unwrap());
    sql(
        &app,
        &format!(
            "UPDATE conversations SET last_message_at = {} WHERE id = {}",
            now() - 25 * 3_600,
            lee_chat.id
        ),
    )
    .await;
    let closed_now = beacon::services::chat::close_left_chats(&app.ctx, None, now())
        .await
        .unwrap();
    assert_eq!(closed_now, 1);
    let idle = app
        .ctx
        .store
        .conversation(lee_chat.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (idle.state.as_str(), idle.outcome.as_deref()),
        ("closed", Some("no-reply"))
    );
    assert!(!idle.abandoned);
    app.stop().await;
}

on_both_backends!(
    a_chat_ended_after_it_was_taken_is_not_abandoned,
    end_after_take
);
async fn end_after_take(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "A parcel scam").await;
    // The resident's page was read while waiting; Priya takes it before they end it.
    let as_read = app
        .ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .ctx
        .store
        .take_conversation(as_read.id, priya.id, now())
        .await
        .unwrap());
    assert!(beacon::services::chat::end_chat(&app.ctx, &as_read)
        .await
        .unwrap());
    let ended = app
        .ctx
        .store
        .conversation(as_read.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ended.state, "closed");
    assert!(!ended.abandoned);
    app.stop().await;
}

on_both_backends!(the_inbox_counts_unread_messages_of_each_row, unread_rows);
async fn unread_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let store = &app.ctx.store;
    let a = chat(&app, priya.provider_id, "Sam", 60, "One", &[]).await;
    let b = chat(&app, priya.provider_id, "Lee", 50, "One", &[]).await;
    store
        .add_message(a.id, &resident_says("Two", &[]), now())
        .await
        .unwrap();
    let Added::Stored(third) = store
        .add_message(b.id, &resident_says("Two", &[]), now())
        .await
        .unwrap()
    else {
        panic!("not stored");
    };
    store.mark_read(b.id, false, third.id).await.unwrap();
    let rows = store.inbox_rows(Some(priya.provider_id), 0).await.unwrap();
    let unread = |id: i64| {
        rows.iter()
            .find(|r| r.conversation.id == id)
            .unwrap()
            .unread
    };
    assert_eq!((unread(a.id), unread(b.id)), (2, 0));
    app.stop().await;
}

on_both_backends!(
    a_waiting_resident_is_told_when_nobody_is_left_to_answer,
    nobody_left
);
async fn nobody_left(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "A parcel scam").await;
    let html = page(&app, &sam, &format!("/chat/{token}")).await.1;
    assert!(html.contains("1st in the queue"), "{html}");
    sql(&app, "UPDATE operator_presence SET available = FALSE").await;
    let html = page(&app, &sam, &format!("/chat/{token}")).await.1;
    assert!(html.contains("Nobody is available to answer now"), "{html}");
    assert!(html.contains("call 101"));
    assert!(html.contains("/report"));
    // The live pages are told the same words.
    let polled: serde_json::Value = sam
        .get(app.url(&format!("/chat/{token}/messages?after=0&wait=0")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(polled["state"]["nobody_available"], true, "{polled}");
    assert!(polled["state"]["notice"]
        .as_str()
        .is_some_and(|n| n.starts_with("Nobody is available to answer now")));
    app.stop().await;
}

on_both_backends!(
    a_client_id_repeats_only_its_own_authors_message,
    client_id_author
);
async fn client_id_author(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let priya = operator_on(&app).await;
    let store = &app.ctx.store;
    let c = chat(&app, priya.provider_id, "Sam", 60, "Hello", &[]).await;
    store
        .take_conversation(c.id, priya.id, now())
        .await
        .unwrap();
    let answer = NewMessage {
        author: Author::Operator,
        staff_id: Some(priya.id),
        body: "How can I help?".into(),
        client_id: Some("op-1".into()),
        urgent_words: Vec::new(),
    };
    assert!(matches!(
        store.add_message(c.id, &answer, now()).await.unwrap(),
        Added::Stored(_)
    ));
    // The resident sends with the operator's client id (it is in the frames they get).
    let mut reused = resident_says("My own words", &[]);
    reused.client_id = Some("op-1".into());
    match store.add_message(c.id, &reused, now()).await.unwrap() {
        Added::Stored(m) => assert_eq!(
            (m.author.as_str(), m.body.as_str()),
            ("resident", "My own words")
        ),
        other => panic!("the operator's message came back: {other:?}"),
    }
    // The same author's repeat is still one message.
    assert!(matches!(
        store.add_message(c.id, &answer, now()).await.unwrap(),
        Added::Repeat(m) if m.body == "How can I help?"
    ));
    app.stop().await;
}

on_both_backends!(
    one_chat_holds_at_most_so_many_live_connections,
    live_connections_capped
);
async fn live_connections_capped(backend: Backend) {
    use beacon::services::chat::LIVE_PER_CHAT;
    let app = TestApp::spawn(backend).await;
    operator_on(&app).await;
    let sam = browser();
    let token = started(&app, &sam, "Sam", "A parcel scam").await;
    let ws_url = app
        .url(&format!("/chat/{token}/live?after=0"))
        .replacen("http", "ws", 1);
    let mut open = Vec::new();
    for _ in 0..LIVE_PER_CHAT {
        let (mut ws, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
        frames_until(&mut ws, "state").await;
        open.push(ws);
    }
    // One more, by any of the three ways, is refused, saying why.
    match tokio_tungstenite::connect_async(&ws_url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(answer)) => {
            assert_eq!(answer.status(), 429)
        }
        other => panic!("a connection beyond the cap opened: {:?}", other.is_ok()),
    }
    for path in ["events?after=0", "messages?after=0&wait=0"] {
        let answer = reqwest::get(app.url(&format!("/chat/{token}/{path}")))
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(answer.text().await.unwrap().contains("too many places"));
    }
    // Another chat is not held back by this one.
    let alex = browser();
    let other = started(&app, &alex, "Alex", "Noise at night").await;
    let other_url = app
        .url(&format!("/chat/{other}/live?after=0"))
        .replacen("http", "ws", 1);
    assert!(tokio_tungstenite::connect_async(&other_url).await.is_ok());

    // One closed, there is room again (once the server has seen it close).
    let mut closed = open.pop().unwrap();
    closed.close(None).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio_tungstenite::connect_async(&ws_url).await {
            Ok(_) => break,
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await
            }
            Err(error) => panic!("no room after one closed: {error}"),
        }
    }
    app.stop().await;
}

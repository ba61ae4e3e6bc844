//! The operators' inbox, as operators use it: one list with urgent conversations first (words
//! highlighted) and replies threaded under their alert; availability and capacity refusals;
//! "Take next chat" in queue order and the fair offer between two operators; two operators
//! taking one chat at once (one wins); transfer, close with an outcome; notes never reach the
//! resident; canned answers; blocking a session; the live WebSocket; the escalation admin page
//! and the urgent email when nobody is on; answers to replies emailed; permissions.

use crate::alerts::audited;
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::report_triage::staff_with;
use beacon::domain::conversation::{Author, ConversationKind};
use beacon::services::alerts::{self, AlertInput};
use beacon::services::inbox;
use beacon::services::staff::Actor;
use beacon::store::{Conversation, NewConversation, NewMessage, StaffMember};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use std::sync::Arc;

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn resident_says(body: &str, words: &[&str]) -> NewMessage {
    NewMessage {
        author: Author::Resident,
        staff_id: None,
        body: body.to_owned(),
        client_id: None,
        urgent_words: words.iter().map(|w| (*w).to_owned()).collect(),
    }
}

/// A resident's message stored in a conversation as the chat stores it, announced to nobody
/// (as if its event were lost): its id.
pub(crate) async fn stored_unannounced(app: &TestApp, c: &Conversation, body: &str) -> i64 {
    match app
        .ctx
        .store
        .add_message(c.id, &resident_says(body, &[]), now())
        .await
        .unwrap()
    {
        beacon::store::Added::Stored(m) => m.id,
        unexpected => panic!("{unexpected:?}"),
    }
}

/// Tells every live connection a message was stored, as the chat does once it is.
pub(crate) async fn announce(app: &TestApp, c: &Conversation, message: i64) {
    app.ctx
        .live
        .publish(beacon::services::live::LiveEvent::Message {
            conversation: c.id,
            provider: c.provider_id,
            message,
        })
        .await;
}

/// A chat waiting since `ago` seconds, with its first message.
pub(crate) async fn chat(
    app: &TestApp,
    provider: i64,
    name: &str,
    ago: i64,
    body: &str,
    words: &[&str],
) -> Conversation {
    app.ctx
        .store
        .start_conversation(
            &NewConversation {
                token: beacon::services::tokens::random_id(),
                kind: Some(ConversationKind::Chat),
                provider_id: provider,
                first_name: name.into(),
                topic: format!("{name}'s question"),
                session_key: format!("session-{name}"),
                ..NewConversation::default()
            },
            Some(&resident_says(body, words)),
            now() - ago,
        )
        .await
        .unwrap()
}

/// A draft alert of the constabulary; its id.
async fn an_alert(app: &TestApp, admin: &StaffMember, title: &str) -> i64 {
    let actor = Actor {
        staff: Some(admin),
        ip: "test",
    };
    let input = AlertInput {
        provider: "cambridgeshire-constabulary".into(),
        message_type: "crime-update".into(),
        priority: "3".into(),
        title: title.into(),
        body: "Thefts in Meldreth and Melbourn this week.".into(),
        force_area: Some("on".into()),
        ..AlertInput::default()
    };
    alerts::save_draft(&app.ctx, &actor, &input).await.unwrap()
}

pub(crate) async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    browser
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Posts a form of `path`'s page (its CSRF token) to `action`; the page it lands on.
pub(crate) async fn post(
    browser: &reqwest::Client,
    app: &TestApp,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let csrf = hidden_value(&page(browser, app, "/staff/inbox").await, "csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let answer = browser
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

pub(crate) async fn available(browser: &reqwest::Client, app: &TestApp, capacity: &str) -> String {
    post(
        browser,
        app,
        "/staff/inbox/presence",
        &[("available", "yes"), ("capacity", capacity)],
    )
    .await
    .1
}

on_both_backends!(
    inbox_lists_urgent_first_and_replies_under_their_alert,
    list_test
);
async fn list_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, admin_browser) = staff_with(&app, "Ada Admin", |p| p.admin = true).await;
    let (priya, browser) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let provider = priya.provider_id;
    // Nothing yet; then an admin sees every organisation's conversations, with the
    // organisation, and an operator only their own organisation's.
    assert!(page(&browser, &app, "/staff/inbox")
        .await
        .contains("No chats are waiting"));
    chat(&app, provider, "Lou", 400, "Hello", &[]).await;
    let everyone = page(&admin_browser, &app, "/staff/inbox").await;
    assert!(everyone.contains("Organisation</th>") && everyone.contains("Lou</a>"));
    assert!(!page(&browser, &app, "/staff/inbox")
        .await
        .contains("Organisation</th>"));
    chat(
        &app,
        provider,
        "Sam",
        300,
        "Someone called about my bank",
        &[],
    )
    .await;
    chat(
        &app,
        provider,
        "Jo",
        10,
        "Help, he's outside with a knife <b>now</b>",
        &["knife", "he's outside"],
    )
    .await;
    let alert = an_alert(&app, &admin, "Catalytic converter thefts").await;
    app.ctx
        .store
        .start_conversation(
            &NewConversation {
                token: beacon::services::tokens::random_id(),
                kind: Some(ConversationKind::Reply),
                provider_id: provider,
                alert_id: Some(alert),
                first_name: String::new(),
                email: Some("reply@resident.example".into()),
                ..NewConversation::default()
            },
            Some(&resident_says("I saw a van in Meldreth", &[])),
            now() - 100,
        )
        .await
        .unwrap();

    let list = page(&browser, &app, "/staff/inbox").await;
    let urgent = list.find("Jo</a>").expect("the urgent chat is listed");
    let sam = list.find("Sam</a>").expect("the waiting chat is listed");
    assert!(urgent < sam, "urgent first");
    assert!(list.contains("<mark>knife</mark>"));
    assert!(list.contains("Urgent</strong>"));
    // The reply, by a resident who gave no name, under its alert with a link to it.
    let thread = list.find("Replies to alerts").unwrap();
    let rest = &list[thread..];
    assert!(rest.contains(&format!(
        "<a href=\"/staff/alerts/{alert}\">Catalytic converter thefts</a>"
    )));
    assert!(rest.contains("Resident</a>"));
    // HTML in a message is shown as text on the conversation page.
    let jo = app.ctx.store.waiting_chats(provider).await.unwrap()[0];
    let shown = page(&browser, &app, &format!("/staff/inbox/{jo}")).await;
    assert!(!shown.contains("<b>now</b>"));
    assert!(
        shown.contains("&#60;b&#62;now&#60;/b&#62;") || shown.contains("&lt;b&gt;now&lt;/b&gt;")
    );
    assert!(shown.contains("<mark>knife</mark>"));
    assert!(
        shown.contains("<mark>he&#39;s outside</mark>")
            || shown.contains("<mark>he's outside</mark>")
    );
    app.stop().await;
}

on_both_backends!(inbox_presence_capacity_take_next_and_offers, offers_test);
async fn offers_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (priya, a) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let (omar, b) = staff_with(&app, "Omar Khan", |p| p.operate = true).await;
    let provider = priya.provider_id;
    let older = chat(&app, provider, "Sam", 300, "A scam call", &[]).await;
    let newer = chat(&app, provider, "Lee", 200, "A lost bike", &[]).await;
    let urgent = chat(&app, provider, "Jo", 10, "he's outside", &["he's outside"]).await;

    // Away: nothing is taken.
    let (_, refused) = post(&a, &app, "/staff/inbox/take-next", &[]).await;
    assert!(refused.contains("Set yourself available"));
    // A capacity out of range is refused.
    assert!(available(&a, &app, "21").await.contains("from 1 to 20"));
    assert!(!inbox::presence(&app.ctx, &priya).await.unwrap().available);

    // Available for one chat: takes the urgent one first, then has no room.
    assert!(available(&a, &app, "1").await.contains("You are available"));
    let (_, taken) = post(&a, &app, "/staff/inbox/take-next", &[]).await;
    assert!(taken.contains("You have taken the chat with Jo"));
    let jo = app
        .ctx
        .store
        .conversation(urgent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jo.operator_id, Some(priya.id));
    let (_, full) = post(&a, &app, &format!("/staff/inbox/{}/take", older.id), &[]).await;
    assert!(full.contains("capacity"), "{full}");
    assert_eq!(
        app.ctx
            .store
            .conversation(older.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "waiting"
    );
    // The resident sees who joined.
    let seen = app
        .ctx
        .store
        .messages_after(urgent.id, 0, false)
        .await
        .unwrap();
    assert!(seen.iter().any(|m| m.body == "Priya has joined the chat"));

    // The other operator, available with room, is offered the longest-waiting chat; the
    // full one is offered nothing.
    available(&b, &app, "1").await;
    assert_eq!(
        inbox::offer_for(&app.ctx, &omar).await.unwrap(),
        Some(older.id)
    );
    assert_eq!(inbox::offer_for(&app.ctx, &priya).await.unwrap(), None);
    assert!(page(&b, &app, "/staff/inbox")
        .await
        .contains("A chat is waiting for you:"));
    // With room for both, the one with fewer chats open (Omar, none) is dealt the first, which
    // fills him; Priya (one open, room for two more) is offered the second.
    available(&a, &app, "3").await;
    assert_eq!(
        inbox::offer_for(&app.ctx, &omar).await.unwrap(),
        Some(older.id)
    );
    assert_eq!(
        inbox::offer_for(&app.ctx, &priya).await.unwrap(),
        Some(newer.id)
    );

    // Transfer to Omar, then back to the queue; then close with an outcome.
    let (_, moved) = post(
        &a,
        &app,
        &format!("/staff/inbox/{}/transfer", urgent.id),
        &[("to", &omar.id.to_string())],
    )
    .await;
    assert!(moved.contains("Transferred to Omar Khan"), "{moved}");
    let (_, queued) = post(
        &b,
        &app,
        &format!("/staff/inbox/{}/transfer", urgent.id),
        &[("to", "queue")],
    )
    .await;
    assert!(queued.contains("Put back in the queue"));
    post(&b, &app, &format!("/staff/inbox/{}/take", urgent.id), &[]).await;
    let (_, no_outcome) = post(
        &b,
        &app,
        &format!("/staff/inbox/{}/close", urgent.id),
        &[("outcome", "")],
    )
    .await;
    assert!(no_outcome.contains("Choose how the conversation ended"));
    let (_, closed) = post(
        &b,
        &app,
        &format!("/staff/inbox/{}/close", urgent.id),
        &[("outcome", "emergency")],
    )
    .await;
    assert!(closed.contains("The conversation has ended"));
    let jo = app
        .ctx
        .store
        .conversation(urgent.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (jo.state.as_str(), jo.outcome.as_deref()),
        ("closed", Some("emergency"))
    );
    let said = app
        .ctx
        .store
        .messages_after(urgent.id, 0, false)
        .await
        .unwrap();
    assert_eq!(said.last().unwrap().body, "This chat has ended");
    assert_eq!(audited(&app, "close-conversation", false).await.len(), 1);
    assert_eq!(audited(&app, "transfer-conversation", false).await.len(), 2);
    app.stop().await;
}

on_both_backends!(inbox_two_operators_take_one_chat_at_once, race_test);
async fn race_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (priya, a) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let (_, b) = staff_with(&app, "Omar Khan", |p| p.operate = true).await;
    let waiting = chat(&app, priya.provider_id, "Sam", 60, "Hello", &[]).await;
    let path = format!("/staff/inbox/{}/take", waiting.id);
    let (first, second) = tokio::join!(post(&a, &app, &path, &[]), post(&b, &app, &path, &[]));
    let wins = [&first.1, &second.1]
        .iter()
        .filter(|p| p.contains("You have taken the conversation"))
        .count();
    assert_eq!(wins, 1);
    let joined = app
        .ctx
        .store
        .messages_after(waiting.id, 0, false)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.body.ends_with("has joined the chat"))
        .count();
    assert_eq!(joined, 1);
    assert_eq!(audited(&app, "take-conversation", false).await.len(), 1);

    // The same frames as Server-Sent Events: what the page missed, from `after`.
    let events = a
        .get(app.url(&format!(
            "/staff/inbox/events?conversation={}&after=0",
            waiting.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut events = events;
    let mut seen = String::new();
    while !seen.contains("has joined the chat") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), events.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("data: {") && seen.contains("\"author\":\"system\""));
    drop(events);
    app.stop().await;
}

on_both_backends!(
    inbox_notes_canned_answers_blocks_and_permissions,
    canned_test
);
async fn canned_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (priya, a) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let (_, sender) = staff_with(&app, "Sid Sender", |p| p.send = true).await;
    let (_, elsewhere) = staff_with(&app, "Fay Fire", |p| {
        p.operate = true;
        p.provider = "cambridgeshire-fire-and-rescue".into();
    })
    .await;
    let c = chat(
        &app,
        priya.provider_id,
        "Sam",
        60,
        "My bike was stolen",
        &[],
    )
    .await;
    let path = format!("/staff/inbox/{}", c.id);

    // Answering before taking is refused; notes are kept from the resident.
    let (_, early) = post(&a, &app, &format!("{path}/send"), &[("body", "Hello")]).await;
    assert!(early.contains("Take this conversation before answering"));
    post(&a, &app, &format!("{path}/take"), &[]).await;
    post(
        &a,
        &app,
        &format!("{path}/note"),
        &[("body", "Sounds like the Royston thefts")],
    )
    .await;
    post(
        &a,
        &app,
        &format!("{path}/send"),
        &[("body", "Sorry to hear that")],
    )
    .await;
    let staff_view = page(&a, &app, &path).await;
    assert!(staff_view.contains("Internal note — not shown to the resident"));
    let resident = app.ctx.store.messages_after(c.id, 0, false).await.unwrap();
    assert!(resident.iter().all(|m| !m.body.contains("Royston")));
    assert!(resident.iter().any(|m| m.body == "Sorry to hear that"));
    let (_, empty) = post(&a, &app, &format!("{path}/send"), &[("body", "   ")]).await;
    assert!(empty.contains("Write a message first"));

    // Canned answers: added (too long refused), edited, used, deleted.
    let long = "x".repeat(101);
    let (_, refused) = post(
        &a,
        &app,
        "/staff/inbox/canned",
        &[("title", &long), ("body", "b")],
    )
    .await;
    assert!(refused.contains("100 characters or fewer"));
    let (_, added) = post(
        &a,
        &app,
        "/staff/inbox/canned",
        &[
            ("title", "Bike theft"),
            ("body", "Register your bike on <BikeRegister>"),
        ],
    )
    .await;
    assert!(added.contains("Added"));
    let answer = app
        .ctx
        .store
        .canned_answers(priya.provider_id)
        .await
        .unwrap()[0]
        .clone();
    post(
        &a,
        &app,
        &format!("/staff/inbox/canned/{}", answer.id),
        &[("title", "Bikes"), ("body", "Register your bike")],
    )
    .await;
    let listed = page(&a, &app, "/staff/inbox/canned").await;
    assert!(listed.contains("Bikes"));
    post(
        &a,
        &app,
        &format!("{path}/canned"),
        &[("canned", &answer.id.to_string())],
    )
    .await;
    let resident = app.ctx.store.messages_after(c.id, 0, false).await.unwrap();
    assert_eq!(resident.last().unwrap().body, "Register your bike");
    post(
        &a,
        &app,
        &format!("/staff/inbox/canned/{}/delete", answer.id),
        &[],
    )
    .await;
    assert!(app
        .ctx
        .store
        .canned_answers(priya.provider_id)
        .await
        .unwrap()
        .is_empty());

    // Another organisation's operator cannot open it; a sender may not use the inbox.
    let other = elsewhere.get(app.url(&path)).send().await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(audited(&app, "open-conversation", true).await.len(), 1);
    let refused = sender.get(app.url("/staff/inbox")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(audited(&app, "use-inbox", true).await.len(), 1);

    // Blocking needs a reason, then blocks the session and ends the chat as abusive.
    let (_, no_reason) = post(&a, &app, &format!("{path}/block"), &[("reason", " ")]).await;
    assert!(no_reason.contains("Say why"));
    assert!(!app.ctx.store.session_blocked("session-Sam").await.unwrap());
    post(
        &a,
        &app,
        &format!("{path}/block"),
        &[("reason", "Threats to the operator")],
    )
    .await;
    assert!(app.ctx.store.session_blocked("session-Sam").await.unwrap());
    let ended = app.ctx.store.conversation(c.id).await.unwrap().unwrap();
    assert_eq!(ended.outcome.as_deref(), Some("abusive"));
    assert_eq!(
        audited(&app, "block-chat-session", false).await,
        vec!["Threats to the operator".to_owned()]
    );
    app.stop().await;
}

on_both_backends!(
    inbox_answers_to_replies_are_emailed_without_notes,
    reply_email_test
);
async fn reply_email_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = staff_with(&app, "Ada Admin", |p| p.admin = true).await;
    let (priya, a) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let alert = an_alert(&app, &admin, "Catalytic converter thefts").await;
    let reply = app
        .ctx
        .store
        .start_conversation(
            &NewConversation {
                token: "the-residents-own-token".into(),
                kind: Some(ConversationKind::Reply),
                provider_id: priya.provider_id,
                alert_id: Some(alert),
                first_name: "Rita".into(),
                email: Some("rita@resident.example".into()),
                ..NewConversation::default()
            },
            Some(&resident_says("I saw a white van", &[])),
            now() - 60,
        )
        .await
        .unwrap();
    let path = format!("/staff/inbox/{}", reply.id);
    post(&a, &app, &format!("{path}/take"), &[]).await;
    post(
        &a,
        &app,
        &format!("{path}/note"),
        &[("body", "Check the ANPR")],
    )
    .await;
    post(
        &a,
        &app,
        &format!("{path}/send"),
        &[("body", "Thank you: which road?")],
    )
    .await;
    let email = app.emails(1).await.remove(0);
    assert_eq!(email.to, "rita@resident.example");
    assert!(email.subject.contains("Catalytic converter thefts"));
    assert!(email.text.contains("Thank you: which road?"));
    assert!(email.text.contains("/chat/the-residents-own-token"));
    assert!(!email.text.contains("ANPR"));
    app.stop().await;
}

on_both_backends!(inbox_escalation_admin_and_urgent_email, escalation_test);
async fn escalation_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, admin) = staff_with(&app, "Ada Admin", |p| p.admin = true).await;
    let (priya, _) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let (_, operator) = staff_with(&app, "Omar Khan", |p| p.operate = true).await;

    let list = page(&admin, &app, "/staff/admin/escalation").await;
    assert!(list.contains("he&#39;s outside") || list.contains("he's outside"));
    let csrf = hidden_value(&list, "csrf").unwrap();
    let added = admin
        .post(app.url("/staff/admin/escalation"))
        .form(&[("csrf", csrf.as_str()), ("phrase", "  Acid  ATTACK ")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(added.contains("Added \u{201c}acid attack\u{201d}"));
    assert!(app
        .ctx
        .store
        .escalation_phrases()
        .await
        .unwrap()
        .contains(&"acid attack".to_owned()));
    admin
        .post(app.url("/staff/admin/escalation/remove"))
        .form(&[("csrf", csrf.as_str()), ("phrase", "acid attack")])
        .send()
        .await
        .unwrap();
    assert!(!app
        .ctx
        .store
        .escalation_phrases()
        .await
        .unwrap()
        .contains(&"acid attack".to_owned()));
    assert_eq!(audited(&app, "add-escalation-phrase", false).await.len(), 1);
    assert_eq!(
        audited(&app, "remove-escalation-phrase", false).await.len(),
        1
    );
    let refused = operator
        .get(app.url("/staff/admin/escalation"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // Nobody available: the organisation's operators are emailed, without the message.
    let urgent = chat(
        &app,
        priya.provider_id,
        "Jo",
        5,
        "I have a knife",
        &["knife"],
    )
    .await;
    inbox::escalated(&app.ctx, &urgent, &["knife".to_owned()])
        .await
        .unwrap();
    let emails = app.emails(2).await;
    assert!(emails
        .iter()
        .all(|e| e.subject == "An urgent chat is waiting"));
    assert!(emails
        .iter()
        .all(|e| e.text.contains("/staff/inbox") && !e.text.contains("I have a knife")));
    let mut to: Vec<&str> = emails.iter().map(|e| e.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["omar.khan@staff.example", "priya.shah@staff.example"]);
    // Someone available: no more email.
    inbox::set_presence(
        &app.ctx,
        &Actor {
            staff: Some(&priya),
            ip: "test",
        },
        &priya,
        true,
        "3",
    )
    .await
    .unwrap();
    inbox::escalated(&app.ctx, &urgent, &["knife".to_owned()])
        .await
        .unwrap();
    assert_eq!(app.ctx.store.outbound_counts().await.unwrap().waiting, 0);
    assert_eq!(app.outbox_count(), 2);
    app.stop().await;
}

on_both_backends!(inbox_websocket_operator_receives_and_sends, websocket_test);
async fn websocket_test(backend: Backend) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message as Frame;
    let app = TestApp::spawn(backend).await;
    // A browser whose cookies the test can read, to open the WebSocket with them.
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
    let signed_in = app
        .sign_in_with(&browser, "priya.shah@staff.example", password, &code)
        .await;
    assert_eq!(signed_in.url().path(), "/staff");
    let c = chat(&app, priya.provider_id, "Sam", 30, "Hello?", &[]).await;
    post(&browser, &app, &format!("/staff/inbox/{}/take", c.id), &[]).await;

    let url = reqwest::Url::parse(&app.url("/")).unwrap();
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &url).unwrap();
    let ws_url = app
        .url(&format!("/staff/inbox/live?conversation={}&after=0", c.id))
        .replacen("http", "ws", 1);
    let mut request = ws_url.into_client_request().unwrap();
    request.headers_mut().insert("cookie", cookies);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

    async fn next(
        socket: &mut (impl StreamExt<Item = Result<Frame, tokio_tungstenite::tungstenite::Error>>
                  + Unpin),
        kind: &str,
        body: &str,
    ) -> serde_json::Value {
        loop {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
                .await
                .expect("a frame in time")
                .unwrap()
                .unwrap();
            if let Frame::Text(text) = frame {
                let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                if value["type"] == kind && (body.is_empty() || value["body"] == body) {
                    return value;
                }
            }
        }
    }
    // What was there when it opened, then a resident's new message as it is stored.
    next(&mut socket, "message", "Hello?").await;
    let stored = stored_unannounced(&app, &c, "Are you there?").await;
    announce(&app, &c, stored).await;
    let frame = next(&mut socket, "message", "Are you there?").await;
    assert_eq!(frame["conversation"], c.id);
    assert_eq!(frame["author"], "resident");

    // Sent twice with one client id (a retry): stored once.
    let send = serde_json::json!({
        "type": "send", "conversation": c.id, "body": "Yes, I am here", "client_id": "op-1"
    })
    .to_string();
    socket.send(Frame::Text(send.clone().into())).await.unwrap();
    let echoed = next(&mut socket, "message", "Yes, I am here").await;
    assert_eq!(echoed["author"], "operator");
    assert_eq!(echoed["name"], "Priya");
    socket.send(Frame::Text(send.into())).await.unwrap();
    // A frame after the retry proves the retry was handled.
    socket
        .send(Frame::Text(
            serde_json::json!({"type": "send", "conversation": c.id, "body": "Done", "client_id": "op-2"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    next(&mut socket, "message", "Done").await;
    let all = app.ctx.store.messages_after(c.id, 0, false).await.unwrap();
    assert_eq!(all.iter().filter(|m| m.body == "Yes, I am here").count(), 1);

    // A message refused is named in the error, so the page can put it back in the box.
    socket
        .send(Frame::Text(
            serde_json::json!({"type": "send", "conversation": c.id, "body": "x".repeat(2001), "client_id": "op-long"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let refused = next(&mut socket, "error", "").await;
    assert_eq!(refused["client_id"], "op-long");
    assert!(
        refused["message"].as_str().unwrap().contains("2,000"),
        "{refused}"
    );

    // A chat turned urgent is announced at once.
    let urgent = chat(&app, c.provider_id, "Jo", 5, "he has a knife", &["knife"]).await;
    inbox::escalated(&app.ctx, &urgent, &["knife".to_owned()])
        .await
        .unwrap();
    let frame = next(&mut socket, "urgent", "").await;
    assert_eq!(frame["conversation"], urgent.id);
    assert_eq!(frame["words"], serde_json::json!(["knife"]));

    // On PostgreSQL, what was missed while the process could not hear the others (its listening
    // connection ended) is made good: the open conversation's messages since the last one sent
    // arrive once it listens again.
    if backend == Backend::Postgres {
        let missed = stored_unannounced(&app, &c, "Did you see my last message?").await;
        assert_eq!(
            crate::live_events::end_listening_connections(&app.database_url).await,
            [true],
            "the process's listening connection ended"
        );
        let frame = next(&mut socket, "message", "Did you see my last message?").await;
        assert_eq!(frame["id"], missed);
    }
    socket.close(None).await.unwrap();

    // On the list page, a message in a conversation Priya does not hold is only a "changed"
    // (three at once make two: one at once, one when the second is up; the list rereads at most
    // once a second); one in the chat she holds comes whole.
    let other = chat(&app, c.provider_id, "Alex", 10, "Anyone?", &[]).await;
    let mut stored = Vec::new();
    for body in ["one", "two", "three"] {
        stored.push(stored_unannounced(&app, &other, body).await);
    }
    let list_url = app.url("/staff/inbox/live").replacen("http", "ws", 1);
    let mut request = list_url.into_client_request().unwrap();
    request.headers_mut().insert(
        "cookie",
        reqwest::cookie::CookieStore::cookies(&*jar, &url).unwrap(),
    );
    let (mut list, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    // The urgent chat is announced as the list opens: the connection is listening after it.
    next(&mut list, "urgent", "").await;
    for id in stored {
        announce(&app, &other, id).await;
    }
    let mut frames = Vec::new();
    let until = tokio::time::Instant::now() + std::time::Duration::from_millis(2500);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(until, list.next()).await {
        if let Frame::Text(text) = frame {
            frames.push(serde_json::from_str::<serde_json::Value>(text.as_str()).unwrap());
        }
    }
    assert!(
        frames.iter().all(|f| f["type"] != "message"),
        "another's messages reached the list whole: {frames:?}"
    );
    // One at once, and the one held back when the second was up.
    let changed = frames.iter().filter(|f| f["type"] == "changed").count();
    assert_eq!(
        changed, 2,
        "three messages at once made {changed} changed frames: {frames:?}"
    );
    let held = stored_unannounced(&app, &c, "Still there?").await;
    announce(&app, &c, held).await;
    let frame = next(&mut list, "message", "Still there?").await;
    assert_eq!(frame["conversation"], c.id);
    list.close(None).await.unwrap();
    app.stop().await;
}

on_both_backends!(inbox_chat_becomes_an_online_report, report_test);
async fn report_test(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (priya, a) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let c = chat(
        &app,
        priya.provider_id,
        "Sam",
        60,
        "Someone is trying car doors on Mill Road",
        &[],
    )
    .await;
    let path = format!("/staff/inbox/{}", c.id);
    post(&a, &app, &format!("{path}/take"), &[]).await;
    // The form starts from what the resident wrote.
    assert!(page(&a, &app, &path)
        .await
        .contains("Someone is trying car doors on Mill Road</textarea>"));
    let (_, missing) = post(
        &a,
        &app,
        &format!("{path}/report"),
        &[
            ("kind", "suspicious-activity"),
            ("location", ""),
            ("happened", "Now"),
            ("description", "Car doors"),
        ],
    )
    .await;
    assert!(
        app.ctx
            .store
            .conversation(c.id)
            .await
            .unwrap()
            .unwrap()
            .report_id
            .is_none(),
        "{missing}"
    );
    let (_, made) = post(
        &a,
        &app,
        &format!("{path}/report"),
        &[
            ("kind", "suspicious-activity"),
            ("location", "CB1 1PT"),
            ("happened", "Just now"),
            ("description", "Someone is trying car doors on Mill Road"),
        ],
    )
    .await;
    assert!(
        made.contains("made; its link has been sent to the resident"),
        "{made}"
    );
    let linked = app.ctx.store.conversation(c.id).await.unwrap().unwrap();
    let report = app
        .ctx
        .store
        .report(linked.report_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.source, "chat");
    let told = app.ctx.store.messages_after(c.id, 0, false).await.unwrap();
    let last = &told.last().unwrap().body;
    assert!(
        last.contains(&report.reference) && last.contains("/reports/"),
        "{last}"
    );
    assert_eq!(
        audited(&app, "report-from-conversation", false).await,
        vec![report.reference.clone()]
    );
    app.stop().await;
}

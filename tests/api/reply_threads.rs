//! A resident's replies to an alert become one thread in the contact centre's inbox: the first
//! reply (through the real `/reply/{token}` page) starts it, later ones continue it, urgent
//! words mark it urgent, a closed thread goes back to the queue, the delivery report links to
//! it, and the resident's data download and erasure include it.

use crate::delivery::{seed_resident, send_alert, wait_for_report, ResidentSpec, FORCE_AREA};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::services::live::LiveEvent;
use beacon::store::{Conversation, Message};
use reqwest::StatusCode;
use std::time::Duration;

/// The resident's reply threads, with their messages (notes included).
async fn threads(app: &TestApp, subscriber: i64) -> Vec<(Conversation, Vec<Message>)> {
    let store = &app.ctx.store;
    let mut found = Vec::new();
    for thread in store.reply_threads_of(subscriber).await.unwrap() {
        let messages = store.messages_after(thread.id, 0, true).await.unwrap();
        found.push((thread, messages));
    }
    found
}

/// A resident who received an alert: (their id, the alert's id, the reply link, the manage
/// link), from the alert email in their mailbox.
async fn resident_with_an_alert(app: &TestApp) -> (i64, i64, String, String) {
    let store = &app.ctx.store;
    let ann = seed_resident(
        store,
        &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
    )
    .await;
    let alert = send_alert(store, "Shed burglaries in Cambridge", 2, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    wait_for_report(store, alert, 1, 0, Duration::from_secs(20)).await;
    let email = app.emails(1).await.remove(0);
    (ann, alert, email.link("/reply/"), email.link("/manage/"))
}

async fn replies_start_and_continue_the_residents_thread(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, alert, reply, manage) = resident_with_an_alert(&app).await;
    let mut events = app.ctx.live.subscribe();

    let sent = app
        .submit(
            &reply,
            &reply,
            &[("body", "Thanks <b>officer</b>, my shed was tried too")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let page = sent.text().await.unwrap();
    assert!(page.contains("answer you by email"), "{page}");
    let found = threads(&app, ann).await;
    assert_eq!(found.len(), 1);
    let (thread, messages) = &found[0];
    assert!(
        page.contains(&format!("href=\"/chat/{}\"", thread.token)),
        "the confirmation links to the resident's thread: {page}"
    );
    assert_eq!(thread.kind, "reply");
    assert_eq!(thread.state, "waiting");
    assert_eq!(thread.alert_id, Some(alert));
    assert_eq!(thread.first_name, "Ann");
    assert_eq!(thread.email.as_deref(), Some("ann@example.org"));
    assert_eq!(thread.topic, "Shed burglaries in Cambridge");
    assert_eq!(thread.provider_name, "Cambridgeshire Constabulary");
    assert!(!thread.urgent);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].author, "resident");
    assert_eq!(
        messages[0].body,
        "Thanks <b>officer</b>, my shed was tried too"
    );
    // Operators watching the inbox are told: the message, and the list changed.
    let mut told = Vec::new();
    while let Ok(event) = events.try_recv() {
        told.push(event);
    }
    assert!(told.contains(&LiveEvent::Message {
        conversation: thread.id,
        provider: thread.provider_id,
        message: messages[0].id,
    }));
    assert!(told.contains(&LiveEvent::Changed {
        conversation: thread.id,
        provider: thread.provider_id,
    }));
    // The reply is still on the delivery report, which links to the thread.
    let report = app.ctx.store.delivery_report(alert).await.unwrap();
    assert_eq!(report.replies.len(), 1);
    assert_eq!(report.replies[0].conversation_id, Some(thread.id));
    let (_, sender) = crate::alerts::staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let staff_page = sender
        .get(app.url(&format!("/staff/alerts/{alert}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        staff_page.contains(&format!("href=\"/staff/inbox/{}\"", thread.id)),
        "{staff_page}"
    );

    // Two more replies at once (a double click, two tabs) continue the same thread.
    let (first, second) = tokio::join!(
        app.submit(&reply, &reply, &[("body", "And the garage next door")]),
        app.submit(&reply, &reply, &[("body", "Sorry, I meant the garage")]),
    );
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let found = threads(&app, ann).await;
    assert_eq!(found.len(), 1, "one thread per resident and alert");
    assert_eq!(found[0].0.id, thread.id);
    assert_eq!(found[0].0.token, thread.token);
    assert_eq!(found[0].1.len(), 3);

    // Their data download has the thread's messages, never the operators' notes.
    let store = &app.ctx.store;
    store
        .add_message(
            thread.id,
            &beacon::store::NewMessage {
                author: beacon::domain::conversation::Author::Note,
                staff_id: None,
                body: "Internal: check the CCTV on Mill Road".into(),
                client_id: None,
                urgent_words: vec![],
            },
            chrono::Utc::now().timestamp(),
        )
        .await
        .unwrap();
    let data = app.get(&format!("{manage}/data.json")).await;
    assert_eq!(data.status(), StatusCode::OK);
    let data = data.text().await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&data).unwrap();
    let conversations = json["your_conversations_about_alerts"]
        .as_array()
        .expect("the resident's conversations");
    assert_eq!(conversations.len(), 1, "{json}");
    assert_eq!(conversations[0]["about"], "Shed burglaries in Cambridge");
    let messages = conversations[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["from"], "you");
    assert!(!data.contains("CCTV on Mill Road"), "{data}");

    // Erasing the account erases the thread and its messages, not just the link to them.
    let erase_page = app
        .get(&format!("{manage}/erase"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&erase_page, "csrf").unwrap();
    let erased = app
        .client
        .post(format!("{manage}/erase"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::OK);
    assert!(store.conversation(thread.id).await.unwrap().is_none());
    assert!(store
        .messages_after(thread.id, 0, true)
        .await
        .unwrap()
        .is_empty());
    app.stop().await;
}

on_both_backends!(
    replies_become_one_thread,
    replies_start_and_continue_the_residents_thread
);

async fn urgent_words_mark_the_thread_and_a_closed_thread_reopens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (ann, _, reply, _) = resident_with_an_alert(&app).await;
    let store = &app.ctx.store;

    let sent = app
        .submit(&reply, &reply, &[("body", "Did they catch anyone?")])
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let thread = threads(&app, ann).await.remove(0).0;
    assert!(!thread.urgent);

    // An operator answers and closes it.
    let now = chrono::Utc::now().timestamp();
    assert!(store
        .close_conversation(thread.id, Some("advice-given"), false, now)
        .await
        .unwrap());
    assert_eq!(
        store.conversation(thread.id).await.unwrap().unwrap().state,
        "closed"
    );

    // The resident writes again, frightened: the thread is back in the queue, urgent.
    let sent = app
        .submit(
            &reply,
            &reply,
            &[("body", "They're back. He's outside with a KNIFE")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    let (reopened, messages) = threads(&app, ann).await.remove(0);
    assert_eq!(reopened.id, thread.id);
    assert_eq!(reopened.state, "waiting");
    assert_eq!(reopened.outcome, None);
    assert!(reopened.urgent);
    assert!(reopened.urgent_words.contains("knife"), "{reopened:?}");
    assert!(
        reopened.urgent_words.contains("he's outside"),
        "{reopened:?}"
    );
    assert_eq!(messages.len(), 2);

    // Bad input changes nothing.
    let refused = app.submit(&reply, &reply, &[("body", "   ")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(threads(&app, ann).await[0].1.len(), 2);
    app.stop().await;
}

on_both_backends!(
    urgent_and_reopened_threads,
    urgent_words_mark_the_thread_and_a_closed_thread_reopens
);

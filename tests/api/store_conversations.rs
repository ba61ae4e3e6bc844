//! The store's behaviour with conversations, on SQLite and PostgreSQL alike: a chat starts
//! waiting with its first message, takes its place in the queue (urgent first, then the longest
//! waiting), is taken by one operator only, keeps each message once however often it is sent,
//! hides internal notes from the resident, and refuses messages once closed, except that a
//! resident's answer on a closed reply thread puts it back in the queue.

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;
use beacon::domain::conversation::{Author, ConversationKind};
use beacon::domain::staff::Permissions;
use beacon::store::{self, Added, NewConversation, NewMessage, NewStaff};

fn message(author: Author, body: &str, client_id: Option<&str>) -> NewMessage {
    NewMessage {
        author,
        staff_id: None,
        body: body.to_owned(),
        client_id: client_id.map(str::to_owned),
        urgent_words: Vec::new(),
    }
}

on_both_backends!(
    conversations_queue_take_and_keep_messages_once,
    conversations_queue
);
async fn conversations_queue(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    let store = store::connect(&url).await.unwrap();
    store.seed_catalogue().await.unwrap();
    let provider = store.providers().await.unwrap()[0].id;
    let staff = |n: i64| NewStaff {
        public_id: format!("op{n}"),
        email: format!("op{n}@police.example"),
        email_key: format!("op{n}@police.example"),
        name: format!("Operator {n}"),
        role_title: "Contact operator".into(),
        area_label: "Force".into(),
        provider_id: provider,
        permissions: Permissions {
            operate: true,
            ..Permissions::default()
        },
        enrolment_nonce: format!("nonce{n}"),
        now: 1,
    };
    let (first_op, second_op) = (
        store.insert_staff(&staff(1)).await.unwrap(),
        store.insert_staff(&staff(2)).await.unwrap(),
    );
    let chat = |token: &str| NewConversation {
        token: token.into(),
        kind: Some(ConversationKind::Chat),
        provider_id: provider,
        first_name: "Sam".into(),
        topic: "A scam call".into(),
        ..NewConversation::default()
    };
    let older = store
        .start_conversation(&chat("tok-older"), None, 100)
        .await
        .unwrap();
    let newer = store
        .start_conversation(
            &chat("tok-newer"),
            Some(&message(Author::Resident, "hello <b>there</b>", Some("c1"))),
            200,
        )
        .await
        .unwrap();
    assert_eq!(newer.state, "waiting");
    assert_eq!(store.queue_position(older.id).await.unwrap(), Some(1));
    assert_eq!(store.queue_position(newer.id).await.unwrap(), Some(2));

    // An urgent message moves its chat to the front.
    let mut urgent = message(Author::Resident, "he's outside", Some("c2"));
    urgent.urgent_words = vec!["he's outside".into()];
    assert!(matches!(
        store.add_message(newer.id, &urgent, 210).await.unwrap(),
        Added::Stored(_)
    ));
    assert_eq!(store.queue_position(newer.id).await.unwrap(), Some(1));
    let newer = store
        .conversation_by_token("tok-newer")
        .await
        .unwrap()
        .unwrap();
    assert!(newer.urgent);
    assert_eq!(newer.urgent_words, "he's outside");

    // Sent twice with the same client id: one message.
    let again = store.add_message(newer.id, &urgent, 211).await.unwrap();
    assert!(matches!(again, Added::Repeat(ref m) if m.body == "he's outside"));

    // One operator takes it; the second is refused.
    assert!(store
        .take_conversation(newer.id, first_op, 230)
        .await
        .unwrap());
    assert!(!store
        .take_conversation(newer.id, second_op, 231)
        .await
        .unwrap());
    assert_eq!(store.queue_position(newer.id).await.unwrap(), None);
    assert_eq!(store.recent_waits(provider, 0).await.unwrap(), vec![30]);

    let mut answer = message(Author::Operator, "I can help", None);
    answer.staff_id = Some(first_op);
    store.add_message(newer.id, &answer, 240).await.unwrap();
    let mut note = message(Author::Note, "caller sounds scared", None);
    note.staff_id = Some(first_op);
    store.add_message(newer.id, &note, 241).await.unwrap();
    let shown = store.messages_after(newer.id, 0, false).await.unwrap();
    assert_eq!(
        shown.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(),
        vec!["hello <b>there</b>", "he's outside", "I can help"]
    );
    assert_eq!(shown[2].staff_name.as_deref(), Some("Operator 1"));
    let all = store
        .messages_after(newer.id, shown[0].id, true)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let newer = store.conversation(newer.id).await.unwrap().unwrap();
    assert_eq!(newer.first_response_at, Some(240));
    assert_eq!(newer.operator_name.as_deref(), Some("Operator 1"));

    store.mark_read(newer.id, true, shown[2].id).await.unwrap();
    store.mark_read(newer.id, true, shown[0].id).await.unwrap();
    let read = store.conversation(newer.id).await.unwrap().unwrap();
    assert_eq!(read.resident_read, shown[2].id);

    // Closed: a chat takes no more messages.
    assert!(store
        .close_conversation(newer.id, Some("advice-given"), false, 300)
        .await
        .unwrap());
    assert!(!store
        .close_conversation(newer.id, None, false, 301)
        .await
        .unwrap());
    assert_eq!(
        store
            .add_message(newer.id, &message(Author::Resident, "one more", None), 302)
            .await
            .unwrap(),
        Added::Closed
    );

    // A closed reply thread goes back to the queue when the resident answers.
    let reply = store
        .start_conversation(
            &NewConversation {
                kind: Some(ConversationKind::Reply),
                ..chat("tok-reply")
            },
            Some(&message(Author::Resident, "Thanks for the alert", None)),
            400,
        )
        .await
        .unwrap();
    store
        .close_conversation(reply.id, Some("advice-given"), false, 410)
        .await
        .unwrap();
    assert!(matches!(
        store
            .add_message(
                reply.id,
                &message(Author::Resident, "One more thing", None),
                500
            )
            .await
            .unwrap(),
        Added::Stored(_)
    ));
    let reopened = store.conversation(reply.id).await.unwrap().unwrap();
    assert_eq!(
        (reopened.state.as_str(), reopened.queued_at),
        ("waiting", 500)
    );
    assert_eq!(store.conversation_by_token("nope").await.unwrap(), None);

    // The escalation phrases a force starts with, kept by admins.
    let phrases = store.escalation_phrases().await.unwrap();
    assert!(phrases.iter().any(|p| p == "he's outside"), "{phrases:?}");
    assert!(store.add_escalation_phrase("acid", 600).await.unwrap());
    assert!(!store.add_escalation_phrase("acid", 601).await.unwrap());
    assert!(store.remove_escalation_phrase("knife").await.unwrap());
    assert!(!store.remove_escalation_phrase("knife").await.unwrap());
    let phrases = store.escalation_phrases().await.unwrap();
    assert!(phrases.contains(&"acid".to_string()) && !phrases.contains(&"knife".to_string()));
}

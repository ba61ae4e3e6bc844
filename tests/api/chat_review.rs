//! What the review of the contact centre found, each as a resident or an operator meets it, on
//! SQLite and PostgreSQL alike: a transcript asked for once and only of a chat, floods of
//! typing and read frames, the operator's socket from another site or after sign-out, capacity
//! held under parallel takes, the queue's order and waits after a requeue, chats left in the
//! queue, and the state line when nobody is left to answer.

use crate::chat::{browser, operator_on, page, started};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::conversation::ConversationKind;
use beacon::store::NewConversation;
use reqwest::StatusCode;

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

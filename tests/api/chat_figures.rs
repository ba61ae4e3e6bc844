//! The contact centre's figures from chats with known times: the operators' dashboard
//! (`/staff/inbox/figures`: median and 90th percentile of first response and waiting, chats
//! left while waiting, ratings; only their organisation's chats; operators only) and the public
//! contact page's sentence on last month's response time (none without chats).

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::report_triage::staff_with;
use beacon::app::Role;
use beacon::domain::conversation::figures::{previous_month, uk_midnight};
use beacon::domain::conversation::{Author, ConversationKind};
use beacon::services::tokens::random_id;
use beacon::store::{NewConversation, NewMessage};
use reqwest::StatusCode;

/// How one hand-made chat went, in seconds from its start.
#[derive(Default)]
struct Went {
    taken: Option<i64>,
    answered: Option<i64>,
    abandoned: bool,
    rating: Option<i64>,
}

fn message(author: Author, staff_id: Option<i64>, body: &str) -> NewMessage {
    NewMessage {
        author,
        staff_id,
        body: body.into(),
        client_id: None,
        urgent_words: vec![],
    }
}

/// A live chat of `provider` started at `started` that went as `went` says, through the store's
/// own steps (taken, answered, closed) at those times; `operator` takes and answers it.
async fn chat(app: &TestApp, provider: i64, operator: i64, started: i64, went: Went) -> i64 {
    chat_of(
        app,
        ConversationKind::Chat,
        provider,
        operator,
        started,
        went,
    )
    .await
}

async fn chat_of(
    app: &TestApp,
    kind: ConversationKind,
    provider: i64,
    operator: i64,
    started: i64,
    went: Went,
) -> i64 {
    let store = &app.ctx.store;
    let first = message(Author::Resident, None, "Hello, is anyone there?");
    let id = store
        .start_conversation(
            &NewConversation {
                token: random_id(),
                kind: Some(kind),
                provider_id: provider,
                first_name: "Sam".into(),
                topic: "Noise at night".into(),
                ..NewConversation::default()
            },
            Some(&first),
            started,
        )
        .await
        .unwrap()
        .id;
    if let Some(taken) = went.taken {
        assert!(store
            .take_conversation(id, operator, started + taken)
            .await
            .unwrap());
    }
    if let Some(answered) = went.answered {
        let answer = message(Author::Operator, Some(operator), "Hello Sam, I'm here");
        store
            .add_message(id, &answer, started + answered)
            .await
            .unwrap();
    }
    let ended = if went.abandoned {
        store.close_conversation(id, None, true, started + 120)
    } else {
        store.close_conversation(id, Some("advice-given"), false, started + 900)
    };
    assert!(ended.await.unwrap());
    if let Some(stars) = went.rating {
        assert!(store.rate_conversation(id, stars, None).await.unwrap());
    }
    id
}

async fn provider(app: &TestApp, slug: &str) -> i64 {
    let providers = app.ctx.store.providers().await.unwrap();
    providers.iter().find(|p| p.slug == slug).unwrap().id
}

/// Beacon's web role alone: the hourly housekeeping would otherwise race the tests, closing
/// the chats they write into the past as left before the tests close them as they went.
async fn web_only(backend: Backend) -> TestApp {
    TestApp::spawn_as(backend, Role::Web, |_| {}).await
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = browser.get(app.url(path)).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn operators_see_their_organisations_chat_figures(backend: Backend) {
    let app = web_only(backend).await;
    let (priya, operator) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let force = provider(&app, "cambridgeshire-constabulary").await;
    let fraud = provider(&app, "report-fraud").await;
    let start = chrono::Utc::now().timestamp() - 2 * 86_400;

    // Five answered chats: waited 10 to 50 seconds; first answered after 20, 40, 60, 80 and
    // 600 seconds; three rated.
    let answered = [(10, 20, Some(5)), (20, 40, Some(4)), (30, 60, Some(4))];
    for (i, (taken, answered, rating)) in answered.into_iter().enumerate() {
        let went = Went {
            taken: Some(taken),
            answered: Some(answered),
            rating,
            ..Went::default()
        };
        chat(&app, force, priya.id, start + i as i64 * 3600, went).await;
    }
    for (taken, answered) in [(40, 80), (50, 600)] {
        let went = Went {
            taken: Some(taken),
            answered: Some(answered),
            ..Went::default()
        };
        chat(&app, force, priya.id, start + 600, went).await;
    }
    // One left before anyone took it.
    let left = Went {
        abandoned: true,
        ..Went::default()
    };
    chat(&app, force, priya.id, start + 7200, left).await;
    // Another organisation's chat, and a reply to an alert, are not the force's live chats.
    let slow = Went {
        taken: Some(5_000),
        answered: Some(9_000),
        rating: Some(1),
        ..Went::default()
    };
    chat(&app, fraud, priya.id, start, slow).await;
    let reply = Went {
        taken: Some(5_000),
        answered: Some(9_000),
        ..Went::default()
    };
    chat_of(&app, ConversationKind::Reply, force, priya.id, start, reply).await;

    let (status, figures) = page(&operator, &app, "/staff/inbox/figures").await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    assert!(figures.contains("id=\"total-chats\">6<"), "{figures}");
    assert!(figures.contains("id=\"abandoned-chats\">1<"), "{figures}");
    let times = figures
        .split("id=\"chat-times\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    let rows: Vec<&str> = times.split("<tr>").skip(2).collect();
    // First response: median 60 s, 90th percentile 600 s, average 160 s.
    assert!(rows[0].contains("First response"), "{times}");
    assert!(
        rows[0].contains(
            "<td>5</td><td>1 minute</td><td>10 minutes</td><td>2 minutes 40 seconds</td>"
        ),
        "{times}"
    );
    // Waiting: median 30 s, 90th percentile 50 s, average 30 s.
    assert!(rows[1].contains("Waiting"), "{times}");
    assert!(
        rows[1].contains("<td>5</td><td>30 seconds</td><td>50 seconds</td><td>30 seconds</td>"),
        "{times}"
    );
    assert!(
        figures.contains("3 chats were rated, on average 4.3 out of 5."),
        "{figures}"
    );
    assert!(figures.contains("<th scope=\"row\">4 stars</th><td>2</td>"));
    assert!(figures.contains("<th scope=\"row\">1 star</th><td>0</td>"));
    assert!(figures.contains("<svg"), "the figures have charts");

    // Only operators (and admins) see them; a refusal is audited.
    let (_, sender) = staff_with(&app, "Lucy Ward", |p| p.send = true).await;
    let (status, _) = page(&sender, &app, "/staff/inbox/figures").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let audit = app
        .ctx
        .store
        .audit_entries(&Default::default())
        .await
        .unwrap();
    assert!(
        audit.iter().any(|e| e.action == "view-chat-figures"),
        "{audit:?}"
    );
    let (_, admin) = staff_with(&app, "Alex Morgan", |p| p.admin = true).await;
    let (status, _) = page(&admin, &app, "/staff/inbox/figures").await;
    assert_eq!(status, StatusCode::OK);
    let signed_out = TestApp::client();
    let response = signed_out
        .get(app.url("/staff/inbox/figures"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().path(), "/staff/sign-in");
    app.stop().await;
}

on_both_backends!(
    dashboard_figures,
    operators_see_their_organisations_chat_figures
);

async fn the_contact_page_gives_last_months_response_time(backend: Backend) {
    let app = web_only(backend).await;
    // No chats: no number, but every way to reach the force.
    let (status, contact) = page(&app.client, &app, "/contact").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!contact.contains("average response time"), "{contact}");
    for way in ["href=\"/chat\"", "href=\"/report\"", "101", "999"] {
        assert!(contact.contains(way), "{way}: {contact}");
    }
    let (_, home) = page(&app.client, &app, "/alerts").await;
    assert!(home.contains("href=\"/contact\""), "the footer links to it");

    // Last calendar month (UK): answered after 20, 30 and 31 seconds, averaging 27; one left
    // unanswered. This month's slow chat is not last month's.
    let (priya, _) = staff_with(&app, "Priya Shah", |p| p.operate = true).await;
    let force = provider(&app, "cambridgeshire-constabulary").await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let (first, next) = previous_month(today);
    let last_month = uk_midnight(first) + 12 * 3600;
    for answered in [20, 30, 31] {
        let went = Went {
            taken: Some(5),
            answered: Some(answered),
            ..Went::default()
        };
        chat(&app, force, priya.id, last_month, went).await;
    }
    let left = Went {
        abandoned: true,
        ..Went::default()
    };
    chat(&app, force, priya.id, last_month, left).await;
    let this_month = Went {
        taken: Some(5),
        answered: Some(3_000),
        ..Went::default()
    };
    chat(&app, force, priya.id, uk_midnight(next) + 60, this_month).await;

    let (_, contact) = page(&app.client, &app, "/contact").await;
    assert!(
        contact.contains("Last month our average response time on web chat was 27 seconds."),
        "{contact}"
    );
    app.stop().await;
}

on_both_backends!(
    contact_page_figure,
    the_contact_page_gives_last_months_response_time
);

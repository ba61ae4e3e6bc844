//! The public archive is kept in memory once made, and stays true to the store: a sent alert
//! reaches the list and the feeds of every web process within seconds, and at once on the process
//! that sent it; conditional requests, HEAD and compressed answers behave as before; members of
//! staff and the public see the same pages.

use crate::alerts::staff_member;
use crate::archive::archive_app;
use crate::delivery::{send_alert, FORCE_AREA};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use beacon::app::Role;
use beacon::domain::alert::SignOff;
use beacon::services::alerts::{self, AlertAction};
use beacon::services::staff::Actor;
use beacon::store::{AlertContent, AlertStatus, AlertTransition, NewAlert};
use std::io::Read;
use std::time::{Duration, Instant};

/// The pages a resident or a feed reader keeps coming back to.
const LISTS: [&str; 5] = [
    "/alerts",
    "/feeds/all.atom",
    "/feeds/all.json",
    "/feeds/district/E07000012.atom",
    "/api/v1/public/alerts",
];

async fn text(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.unwrap()
}

/// Another `beacon serve --role web` on the same database, as behind a load balancer.
async fn second_web_process(app: &TestApp) -> (String, beacon::app::Running) {
    let mut settings = (*app.ctx.settings).clone();
    settings.database_url = app.database_url.clone();
    settings.server.bind = "127.0.0.1:0".into();
    let ctx = beacon::app::context(settings).await.unwrap();
    let running = beacon::app::start(ctx, Role::Web).await.unwrap();
    let address = format!("http://{}", running.address.unwrap());
    (address, running)
}

async fn an_alert_sent_elsewhere_is_listed_within_seconds(backend: Backend) {
    let (app, _) = archive_app(backend).await;
    let (other, running) = second_web_process(&app).await;
    let client = TestApp::client();
    // Each page seen twice on the other process: made, kept, and served from memory.
    for path in LISTS {
        for _ in 0..2 {
            let page = text(&client, &format!("{other}{path}")).await;
            assert!(page.contains("Courier fraud warning"), "{path}");
            assert!(!page.contains("Flooding on the A14"), "{path}");
        }
    }

    // This process sends it; the other learns of it only through the database.
    let sent = Instant::now();
    let id = send_alert(&app.ctx.store, "Flooding on the A14", 2, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    let mut waiting: Vec<&str> = LISTS.to_vec();
    while !waiting.is_empty() {
        let mut still = Vec::new();
        for path in waiting {
            if !text(&client, &format!("{other}{path}"))
                .await
                .contains("Flooding on the A14")
            {
                still.push(path);
            }
        }
        waiting = still;
        assert!(
            sent.elapsed() < Duration::from_secs(8),
            "still not listed after {:?} on the other web process: {waiting:?}",
            sent.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("listed everywhere {:?} after sending", sent.elapsed());
    let page = client
        .get(format!("{other}/alerts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    running.stop().await.unwrap();
    app.stop().await;
}
on_both_backends!(
    a_sent_alert_reaches_every_web_process,
    an_alert_sent_elsewhere_is_listed_within_seconds
);

async fn an_alert_sent_here_is_listed_at_once(backend: Backend) {
    let (app, _) = archive_app(backend).await;
    let (lucy, _) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let store = &app.ctx.store;
    let now = chrono::Utc::now().timestamp();
    let police = store.providers().await.unwrap()[0].id;
    let kind = store.message_types().await.unwrap()[0].id;
    let id = store
        .insert_alert(&NewAlert {
            content: AlertContent {
                provider_id: lucy.provider_id,
                message_type_id: kind,
                priority: beacon::domain::Priority::new(2).unwrap(),
                title: "Road closed at Girton".into(),
                body_markdown: "The A14 slip road is closed until the morning.".into(),
                sms_text: None,
                target: serde_json::from_str(FORCE_AREA).unwrap(),
                target_description: "Cambridgeshire".into(),
                private: false,
                members: Default::default(),
            },
            author_staff_id: Some(lucy.id),
            api_token_id: None,
            signoff: SignOff {
                name: "Lucy Ward".into(),
                organisation: "Cambridgeshire Constabulary".into(),
                role: "Communications Assistant".into(),
                area: "Peterborough and Fenland".into(),
            },
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now,
        })
        .await
        .unwrap();
    assert_eq!(lucy.provider_id, police);
    assert!(store
        .transition_alert(
            id,
            &[AlertStatus::Draft],
            AlertStatus::Ready,
            &AlertTransition::default(),
            now,
        )
        .await
        .unwrap());
    // Past the seconds in which every look at the store drops the kept pages anyway, so that
    // the list below is served from memory until something says the archive changed.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for _ in 0..2 {
        assert!(!app
            .get("/alerts")
            .await
            .text()
            .await
            .unwrap()
            .contains("Road closed at Girton"));
    }

    let alert = store.alert(id).await.unwrap().unwrap();
    let actor = Actor {
        staff: Some(&lucy),
        ip: "test",
    };
    alerts::act(&app.ctx, &actor, &alert, AlertAction::SendNow)
        .await
        .unwrap();
    assert!(
        app.get("/alerts")
            .await
            .text()
            .await
            .unwrap()
            .contains("Road closed at Girton"),
        "listed on the very next request"
    );
    app.stop().await;
}
on_both_backends!(
    an_alert_sent_on_this_process_is_listed_at_once,
    an_alert_sent_here_is_listed_at_once
);

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

async fn kept_pages_answer_like_fresh_ones(backend: Backend) {
    let (app, ids) = archive_app(backend).await;
    let client = &app.client;
    let paths = [
        "/alerts".to_owned(),
        "/alerts?q=burglaries".to_owned(),
        "/feeds/all.atom".to_owned(),
        "/feeds/cap.atom".to_owned(),
        "/api/v1/public/alerts?limit=2".to_owned(),
        format!("/alerts/{}", ids[0]),
        format!("/alerts/{}.cap.xml", ids[0]),
        format!("/api/v1/public/alerts/{}", ids[0]),
    ];
    for path in &paths {
        let url = app.url(path);
        // A conditional request before anything is kept: answered from the page just made.
        let first = client
            .get(&url)
            .header("If-None-Match", "*")
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 304, "{path}");

        let plain = client.get(&url).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        assert!(plain.headers().get("content-encoding").is_none(), "{path}");
        assert!(plain.headers().get("set-cookie").is_none(), "{path}");
        assert_eq!(plain.headers()["vary"], "Accept-Encoding", "{path}");
        let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
        let modified = plain.headers()["last-modified"]
            .to_str()
            .unwrap()
            .to_owned();
        let cache_control = plain.headers()["cache-control"].clone();
        let content_type = plain.headers()["content-type"].clone();
        let body = plain.bytes().await.unwrap();
        assert!(!body.is_empty());

        for _ in 0..2 {
            let again = client.get(&url).send().await.unwrap();
            assert_eq!(again.headers()["etag"].to_str().unwrap(), etag, "{path}");
            assert_eq!(again.bytes().await.unwrap(), body, "{path}");
        }
        let by_tag = client
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(by_tag.status(), 304, "{path}");
        assert_eq!(by_tag.headers()["etag"].to_str().unwrap(), etag);
        assert_eq!(by_tag.headers()["cache-control"], cache_control);
        assert_eq!(by_tag.headers()["vary"], "Accept-Encoding");
        assert!(by_tag.bytes().await.unwrap().is_empty());
        let by_date = client
            .get(&url)
            .header("If-Modified-Since", &modified)
            .send()
            .await
            .unwrap();
        assert_eq!(by_date.status(), 304, "{path}");
        let other_tag = client
            .get(&url)
            .header("If-None-Match", "\"something-else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other_tag.status(), 200, "{path}");
        assert_eq!(other_tag.bytes().await.unwrap(), body);

        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(head.headers()["content-type"], content_type);
        assert_eq!(
            head.headers()["content-length"].to_str().unwrap(),
            body.len().to_string(),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty());

        // Compressed for those who ask, each time decoding to the same page.
        for (coding, accept) in [
            ("gzip", "gzip"),
            ("br", "br"),
            ("br", "gzip, deflate, br"),
            ("gzip", "br;q=0.1, gzip"),
        ] {
            for _ in 0..2 {
                let compressed = client
                    .get(&url)
                    .header("Accept-Encoding", accept)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(compressed.status(), 200);
                assert_eq!(
                    compressed.headers()["content-encoding"],
                    coding,
                    "{path} {accept}"
                );
                assert_eq!(compressed.headers()["vary"], "Accept-Encoding");
                let bytes = compressed.bytes().await.unwrap();
                let decoded = if coding == "gzip" {
                    gunzip(&bytes)
                } else {
                    unbrotli(&bytes)
                };
                assert_eq!(decoded, body.as_ref(), "{path} {accept}");
            }
        }
    }
    // What is not found is never kept as found, nor the other way round.
    for _ in 0..2 {
        assert_eq!(app.get("/alerts/99999999").await.status(), 404);
        assert_eq!(app.get("/feeds/all.rss").await.status(), 404);
        assert_eq!(app.get("/alerts?from=2026-02-30").await.status(), 400);
    }
    app.stop().await;
}
on_both_backends!(
    kept_pages_answer_conditional_head_and_compressed_requests,
    kept_pages_answer_like_fresh_ones
);

async fn staff_and_public_see_the_same_pages(backend: Backend) {
    let (app, ids) = archive_app(backend).await;
    let (_, staff) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let public = TestApp::client();
    let alert = format!("/alerts/{}", ids[1]);
    // Who asks first does not matter: the page is kept either way, and is everyone's.
    for (path, first, second) in [
        ("/alerts", &staff, &public),
        (alert.as_str(), &public, &staff),
        ("/feeds/all.atom", &staff, &public),
    ] {
        let url = app.url(path);
        for _ in 0..2 {
            let a = first.get(&url).send().await.unwrap();
            let b = second.get(&url).send().await.unwrap();
            assert!(a.headers().get("set-cookie").is_none(), "{path}");
            assert!(b.headers().get("set-cookie").is_none(), "{path}");
            let (a, b) = (a.text().await.unwrap(), b.text().await.unwrap());
            assert_eq!(a, b, "{path}");
            assert!(!a.contains("Sign out"), "{path}: no staff navigation");
            assert!(!a.contains("name=\"csrf\""), "{path}: no form token");
        }
    }
    // The member of staff is still signed in where it matters.
    let home = staff.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(home.url().path(), "/staff");
    app.stop().await;
}
on_both_backends!(
    staff_and_public_see_the_same_archive,
    staff_and_public_see_the_same_pages
);

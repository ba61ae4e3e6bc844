//! Alerts by text: through a GOV.UK Notify gateway (the stand-in, `tests/support/fake_notify.rs`)
//! once per resident with receipts, each organisation's own account paced apart, and workers
//! sharing a slow account or losing their pacing cell keeping their claims.

use crate::delivery::{
    seed_resident, send_alert, send_alert_from, wait_for_report, worker_context,
    worker_context_with, ResidentSpec, FORCE_AREA,
};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use beacon::store::{DynStore, OutboundChannel};
use std::time::{Duration, Instant};

async fn texts_go_through_a_notify_gateway_once_with_receipts(backend: Backend) {
    use crate::fake_notify::{FakeNotify, FakeNotifyConfig};
    use beacon::config::SmsTransport;
    const KEY: &str =
        "beacon_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
    const TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
    let port = crate::helpers::free_port();
    let gateway = FakeNotify::new(FakeNotifyConfig {
        api_key: KEY.into(),
        template_id: TEMPLATE.into(),
        rate_limit_per_minute: 0,
        callback_url: Some(format!("http://127.0.0.1:{port}/notify/callback")),
        callback_token: "callback-secret-callback-secret".into(),
    });
    let base_url = gateway.spawn().await.unwrap();
    // The gateway is busy at first: one 429, one 500. Both are retried.
    gateway.throttle_next(1);
    gateway.fail_next(1);
    let app = TestApp::spawn_with(backend, |settings| {
        settings.server.bind = format!("127.0.0.1:{port}");
        settings.server.public_url = format!("http://127.0.0.1:{port}");
        settings.sms.transport = SmsTransport::Notify;
        settings.sms.notify_base_url = base_url.clone();
        settings.sms.notify_api_key = KEY.into();
        settings.sms.notify_template_id = TEMPLATE.into();
        settings.sms.notify_callback_token = "callback-secret-callback-secret".into();
        settings.limits.retry_base_secs = 1;
        settings.delivery.suspend_after_failures = 1;
    })
    .await;
    let store = &app.ctx.store;
    seed_resident(
        store,
        &ResidentSpec {
            mobile: Some("07700 900123"),
            ..ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT")
        },
    )
    .await;
    // The fake gateway reports texts to numbers ending 999 as permanently failed.
    seed_resident(
        store,
        &ResidentSpec {
            mobile: Some("07700 900999"),
            ..ResidentSpec::new("eve@example.org", "Eve Jones", "CB1 1PT")
        },
    )
    .await;
    let alert = send_alert(store, "Flooding on the A10", 1, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    wait_for_report(store, alert, 2, 2, Duration::from_secs(30)).await;

    // Each text reached the gateway once, whatever the retries.
    let sent = gateway.sent();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_ne!(sent[0].reference, sent[1].reference);
    assert!(sent.iter().all(|t| t
        .body
        .starts_with("Sheds broken into nearby: lock up tonight. http")));

    // The receipts come back: one delivered, one failed for good, and that number suspended.
    let deadline = Instant::now() + Duration::from_secs(10);
    let report = loop {
        let report = store.delivery_report(alert).await.unwrap();
        if report.sms.delivered == 1 && report.sms.failed == 1 {
            break report;
        }
        assert!(Instant::now() < deadline, "{report:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(report.sms.sent, 1, "{report:?}");
    let problems = store.contact_problems().await.unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].channel, OutboundChannel::Sms);
    assert_eq!(problems[0].contact, "+447700900999");

    // A callback without the token changes nothing.
    let forged = app
        .client
        .post(app.url("/notify/callback"))
        .header("Authorization", "Bearer wrong")
        .json(
            &serde_json::json!({"id": sent[0].id, "to": "x", "status": "permanent-failure",
            "created_at": "2026-11-22T00:00:00Z", "notification_type": "sms"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    app.stop().await;
}
on_both_backends!(
    texts_go_through_a_notify_gateway_once,
    texts_go_through_a_notify_gateway_once_with_receipts
);

async fn an_organisations_own_gateway_account_paces_its_texts_apart(backend: Backend) {
    use crate::fake_notify::{FakeNotify, FakeNotifyConfig};
    use beacon::config::{SmsAccount, SmsTransport};
    const MAIN_KEY: &str =
        "beacon_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
    const FIRE_KEY: &str =
        "fire_test-5b1e7c4e-0a55-4d2c-9a43-1f1c6f0e9d21-8f0d1c3a-7e6b-4b8e-a2d4-5c9e7f1a3b60";
    const TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
    let gateway = |api_key: &str| {
        FakeNotify::new(FakeNotifyConfig {
            api_key: api_key.into(),
            template_id: TEMPLATE.into(),
            rate_limit_per_minute: 0,
            callback_url: None,
            callback_token: String::new(),
        })
    };
    // Two accounts, each answering only to its own key: the main one, and the fire service's
    // own, at 120 texts a minute (one every 500 ms).
    let (main, fire) = (gateway(MAIN_KEY), gateway(FIRE_KEY));
    let (main_url, fire_url) = (main.spawn().await.unwrap(), fire.spawn().await.unwrap());
    let app = TestApp::spawn_with(backend, |settings| {
        settings.sms.transport = SmsTransport::Notify;
        settings.sms.notify_base_url = main_url.clone();
        settings.sms.notify_api_key = MAIN_KEY.into();
        settings.sms.notify_template_id = TEMPLATE.into();
        // Paced too (one text every 10 ms), so that were the two accounts one pacing cell,
        // the police's texts would wait for the fire service's slots.
        settings.sms.rate_per_minute = 6_000;
        settings.sms.accounts = vec![SmsAccount {
            provider: "cambridgeshire-fire-and-rescue".into(),
            notify_base_url: fire_url.clone(),
            notify_api_key: FIRE_KEY.into(),
            rate_per_minute: 120,
            ..SmsAccount::default()
        }];
    })
    .await;
    let store = &app.ctx.store;
    for (n, email) in [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    ]
    .into_iter()
    .enumerate()
    {
        let mobile = format!("07700 90012{n}");
        seed_resident(
            store,
            &ResidentSpec {
                mobile: Some(&mobile),
                ..ResidentSpec::new(email, "Ann Smith", "CB1 1PT")
            },
        )
        .await;
    }
    // The fire service's alert first: in one queue, the police's texts would wait behind it.
    let fire_alert = send_alert_from(
        store,
        "cambridgeshire-fire-and-rescue",
        "Grass fire near Trumpington",
        3,
        FORCE_AREA,
        false,
    )
    .await;
    let police_alert = send_alert(store, "Sheds broken into", 3, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    for alert in [fire_alert, police_alert] {
        let report = wait_for_report(store, alert, 4, 4, Duration::from_secs(30)).await;
        assert_eq!((report.sms.sent, report.sms.failed), (4, 0), "{report:?}");
    }

    // Each account carried its own organisation's texts, once each.
    let (main_texts, fire_texts) = (main.sent(), fire.sent());
    assert_eq!(main_texts.len(), 4, "{main_texts:?}");
    assert_eq!(fire_texts.len(), 4, "{fire_texts:?}");
    let numbers = |texts: &[crate::fake_notify::FakeText]| {
        let mut numbers: Vec<String> = texts.iter().map(|t| t.phone_number.clone()).collect();
        numbers.sort();
        numbers
    };
    assert_eq!(numbers(&main_texts), numbers(&fire_texts));
    // The fire service's left at its rate: four texts span at least three intervals.
    let span = arrival_span(&fire_texts);
    assert!(
        span >= Duration::from_millis(1_400),
        "four texts at 120 a minute arrived within {span:?}"
    );
    let last = fire_texts.iter().map(|t| t.received_at).max().unwrap();
    // The police's, on the main account, did not wait for them.
    let police_last = main_texts.iter().map(|t| t.received_at).max().unwrap();
    assert!(
        police_last < last,
        "the police's texts waited for the fire service's"
    );
    app.stop().await;
}
on_both_backends!(
    an_organisations_own_account_paces_apart,
    an_organisations_own_gateway_account_paces_its_texts_apart
);

#[tokio::test]
async fn a_gateway_account_for_an_unknown_organisation_stops_the_worker_starting_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = crate::helpers::fresh_store(Backend::Sqlite, dir.path()).await;
    let mut settings = beacon::config::Settings {
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    settings.sms.accounts = vec![beacon::config::SmsAccount {
        provider: "cambs-fire".into(),
        ..Default::default()
    }];
    let ctx = std::sync::Arc::new(worker_context_with(&store, settings));
    // Starting a worker fails, with the reason, rather than running without its texts.
    let error = match beacon::app::start(ctx, beacon::app::Role::Worker).await {
        Ok(_) => panic!("a worker started with an account for an unknown organisation"),
        Err(error) => format!("{error:#}"),
    };
    assert!(
        error.contains("names the provider \"cambs-fire\", which does not exist")
            && error.contains("cambridgeshire-fire-and-rescue"),
        "{error}"
    );
}

/// An alert fanned out to residents with mobiles on a fresh store, and a fake Notify gateway
/// with the settings for text workers that send through it at 600 texts a minute.
struct PacedTexts {
    gateway: crate::fake_notify::FakeNotify,
    store: DynStore,
    database_url: String,
    alert: i64,
    settings: beacon::config::Settings,
    _dir: tempfile::TempDir,
}

async fn paced_texts(backend: Backend, residents: usize, lease_secs: i64) -> PacedTexts {
    use crate::fake_notify::{FakeNotify, FakeNotifyConfig};
    use beacon::config::SmsTransport;
    const KEY: &str =
        "beacon_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0";
    const TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
    let gateway = FakeNotify::new(FakeNotifyConfig {
        api_key: KEY.into(),
        template_id: TEMPLATE.into(),
        rate_limit_per_minute: 0,
        callback_url: None,
        callback_token: String::new(),
    });
    let base_url = gateway.spawn().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (store, database_url) = crate::helpers::fresh_store(backend, dir.path()).await;
    for n in 0..residents {
        let (email, mobile) = (format!("r{n}@example.org"), format!("07700 9{n:05}"));
        seed_resident(
            &store,
            &ResidentSpec {
                mobile: Some(&mobile),
                ..ResidentSpec::new(&email, "Res Ident", "CB1 1PT")
            },
        )
        .await;
    }
    let alert = send_alert(&store, "Sheds broken into", 3, FORCE_AREA).await;
    let fanning = worker_context(&store);
    while beacon::services::delivery::fanout_once(&fanning)
        .await
        .unwrap()
    {}
    let mut settings = beacon::config::Settings {
        data_dir: dir.path().to_path_buf(),
        ..beacon::config::Settings::default()
    };
    settings.sms.transport = SmsTransport::Notify;
    settings.sms.notify_base_url = base_url;
    settings.sms.notify_api_key = KEY.into();
    settings.sms.notify_template_id = TEMPLATE.into();
    settings.sms.rate_per_minute = 600;
    settings.delivery.lease_secs = lease_secs;
    settings.mail.smtp_timeout_secs = 1;
    PacedTexts {
        gateway,
        store,
        database_url,
        alert,
        settings,
        _dir: dir,
    }
}

/// Every one of `texts` went to a different number.
fn one_each(texts: &[crate::fake_notify::FakeText]) -> bool {
    let mut numbers: Vec<&str> = texts.iter().map(|t| t.phone_number.as_str()).collect();
    numbers.sort();
    numbers.dedup();
    numbers.len() == texts.len()
}

async fn workers_sharing_a_slow_account_keep_their_claims(backend: Backend) {
    const TEXTS: usize = 100;
    // Two workers on one account at 600 texts a minute, with 10 s claims: each claims the 50
    // texts it could send alone in a claim's time, and the second's slots in the shared cell
    // come after the first's, ending well past its claim.
    let paced = paced_texts(backend, TEXTS, 10).await;
    let (store, alert) = (&paced.store, paced.alert);
    let mut workers = Vec::new();
    for _ in 0..2 {
        let ctx = std::sync::Arc::new(worker_context_with(store, paced.settings.clone()));
        workers.push(
            beacon::app::start(ctx, beacon::app::Role::Worker)
                .await
                .unwrap(),
        );
    }
    let report = wait_for_report(
        store,
        alert,
        TEXTS as i64,
        TEXTS as i64,
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(
        (report.sms.sent, report.sms.failed),
        (TEXTS as i64, 0),
        "{report:?}"
    );
    for worker in workers {
        worker.stop().await.unwrap();
    }

    // Each resident got one text, at the account's rate.
    let texts = paced.gateway.sent();
    assert_eq!(texts.len(), TEXTS);
    assert!(one_each(&texts), "{texts:?}");
    let span = arrival_span(&texts);
    assert!(
        span >= Duration::from_millis(9_500),
        "{TEXTS} texts at 600 a minute arrived within {span:?}"
    );
    // No claim lapsed while its texts waited for their slots: each went on its first claim.
    let most = max_sms_attempts(backend, &paced.database_url).await;
    assert_eq!(most, 1, "a text's claim lapsed and it was claimed again");
}
on_both_backends!(
    workers_sharing_a_slow_gateway_account_send_every_text_on_its_first_claim,
    workers_sharing_a_slow_account_keep_their_claims
);

async fn a_pacing_cell_out_of_reach_holds_texts_until_it_is_back(backend: Backend) {
    let paced = paced_texts(backend, 3, 6).await;
    let (store, alert) = (&paced.store, paced.alert);
    // The pacing cells' table is out of reach (renamed away): reserving a slot fails.
    run_sql(
        backend,
        &paced.database_url,
        "ALTER TABLE send_pacing RENAME TO send_pacing_away",
    )
    .await;
    let ctx = std::sync::Arc::new(worker_context_with(store, paced.settings.clone()));
    let worker = beacon::app::start(ctx, beacon::app::Role::Worker)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        paced.gateway.sent().is_empty(),
        "a text went without a slot"
    );
    let report = store.delivery_report(alert).await.unwrap();
    assert_eq!(report.sms.pending, 3, "{report:?}");
    // Back: the worker, still running, sends every text once.
    run_sql(
        backend,
        &paced.database_url,
        "ALTER TABLE send_pacing_away RENAME TO send_pacing",
    )
    .await;
    let report = wait_for_report(store, alert, 3, 3, Duration::from_secs(30)).await;
    assert_eq!((report.sms.sent, report.sms.failed), (3, 0), "{report:?}");
    worker.stop().await.unwrap();
    let texts = paced.gateway.sent();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(one_each(&texts), "{texts:?}");
}
on_both_backends!(
    a_pacing_cell_out_of_reach_holds_texts_until_it_is_back_then_sends_each_once,
    a_pacing_cell_out_of_reach_holds_texts_until_it_is_back
);

/// The time from the first of `texts` to reach the gateway to the last.
fn arrival_span(texts: &[crate::fake_notify::FakeText]) -> Duration {
    let first = texts.iter().map(|t| t.received_at).min().unwrap();
    let last = texts.iter().map(|t| t.received_at).max().unwrap();
    last - first
}

/// The most claims any text delivery took, read from the database itself.
async fn max_sms_attempts(backend: Backend, database_url: &str) -> i64 {
    use sqlx::Connection;
    const SQL: &str = "SELECT MAX(attempts) FROM deliveries WHERE channel = 'sms'";
    match backend {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
            sqlx::query_scalar(SQL).fetch_one(&mut conn).await.unwrap()
        }
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
            sqlx::query_scalar(SQL).fetch_one(&mut conn).await.unwrap()
        }
    }
}

/// Runs one statement on the database directly, beside the store.
async fn run_sql(backend: Backend, database_url: &str, sql: &str) {
    use sqlx::Connection;
    match backend {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
            sqlx::query(sql).execute(&mut conn).await.unwrap();
        }
    }
}

//! Delivering sent alerts: one personalised message per matching resident and channel, with
//! the footer links working, quiet hours holding texts, urgent alerts overtaking, and the
//! delivery report counting it all. Texts through a Notify gateway are in `delivery_texts`.

use crate::helpers::{wait_for_files, Backend, Email, TestApp};
use crate::on_both_backends;
use beacon::domain::alert::SignOff;
use beacon::domain::subscriber::{EmailFormat, Place, Preferences, QuietHours};
use beacon::domain::{catalogue, MobileNumber, Postcode, Priority};
use beacon::store::{
    AlertContent, AlertStatus, AlertTransition, DynStore, NewAlert, NewSubscriber, OutboundChannel,
    SenderScope,
};
use std::time::{Duration, Instant};

/// How a seeded resident takes alerts.
#[derive(Clone)]
pub struct ResidentSpec<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub postcode: &'a str,
    pub mobile: Option<&'a str>,
    pub providers: &'a [&'a str],
    pub format: EmailFormat,
    pub quiet_hours: Option<QuietHours>,
}

impl<'a> ResidentSpec<'a> {
    pub fn new(email: &'a str, name: &'a str, postcode: &'a str) -> ResidentSpec<'a> {
        ResidentSpec {
            email,
            name,
            postcode,
            mobile: None,
            providers: &[],
            format: EmailFormat::Full,
            quiet_hours: None,
        }
    }
}

/// A confirmed resident (and confirmed mobile, if any), choosing every message type.
pub async fn seed_resident(store: &DynStore, spec: &ResidentSpec<'_>) -> i64 {
    let providers = if spec.providers.is_empty() {
        catalogue::PROVIDERS
            .iter()
            .map(|p| p.slug.to_owned())
            .collect()
    } else {
        spec.providers.iter().map(|p| p.to_string()).collect()
    };
    let preferences = Preferences {
        name: spec.name.into(),
        mobile: spec.mobile.map(|m| MobileNumber::parse(m).unwrap()),
        places: vec![Place {
            postcode: Postcode::parse(spec.postcode).unwrap(),
            label: None,
        }],
        providers,
        message_types: catalogue::MESSAGE_TYPES
            .iter()
            .map(|m| m.slug.to_owned())
            .collect(),
        email: true,
        sms: spec.mobile.is_some(),
        sms_min_priority: Priority::new(3).unwrap(),
        quiet_hours: spec.quiet_hours,
        email_format: spec.format,
    };
    let now = chrono::Utc::now().timestamp();
    let new = NewSubscriber {
        public_id: beacon::services::tokens::random_id(),
        email: beacon::domain::EmailAddress::parse(spec.email).unwrap(),
        email_key: spec.email.to_lowercase(),
        preferences,
        confirm_nonce: "n".into(),
        now,
    };
    let id = store.insert_pending_subscriber(&new, None).await.unwrap();
    store.confirm_subscriber(id, "n", now).await.unwrap();
    if spec.mobile.is_some() {
        store.confirm_mobile(id, now).await.unwrap();
    }
    id
}

/// Stores an alert from Cambridgeshire Constabulary aimed at `target_json` and sends it, as the
/// senders' workflow does; returns its id.
pub async fn send_alert(store: &DynStore, title: &str, priority: i64, target_json: &str) -> i64 {
    send_alert_with(store, title, priority, target_json, false).await
}

/// `send_alert`, kept to subscribers if `private`.
pub async fn send_alert_with(
    store: &DynStore,
    title: &str,
    priority: i64,
    target_json: &str,
    private: bool,
) -> i64 {
    send_alert_from(
        store,
        "cambridgeshire-constabulary",
        title,
        priority,
        target_json,
        private,
    )
    .await
}

/// `send_alert_with`, from the provider `slug`.
pub async fn send_alert_from(
    store: &DynStore,
    slug: &str,
    title: &str,
    priority: i64,
    target_json: &str,
    private: bool,
) -> i64 {
    let providers = store.providers().await.unwrap();
    let provider = providers.iter().find(|p| p.slug == slug).unwrap();
    let types = store.message_types().await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let id = store
        .insert_alert(&NewAlert {
            content: AlertContent {
                provider_id: provider.id,
                message_type_id: types[0].id,
                priority: beacon::domain::Priority::new(priority).unwrap(),
                title: title.into(),
                body_markdown: "Lock **sheds** and garages.\n\n- Mark tools\n- Call 101".into(),
                sms_text: Some("Sheds broken into nearby: lock up tonight.".into()),
                target: serde_json::from_str(target_json).unwrap(),
                target_description: "Cambridgeshire".into(),
                private,
                members: Default::default(),
            },
            author_staff_id: None,
            api_token_id: None,
            signoff: SignOff {
                name: "Sarah Jones".into(),
                organisation: "Cambridgeshire Constabulary".into(),
                role: "PCSO".into(),
                area: "South Cambridgeshire".into(),
            },
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now,
        })
        .await
        .unwrap();
    assert!(store
        .transition_alert(
            id,
            &[AlertStatus::Draft],
            AlertStatus::Queued,
            &AlertTransition::default(),
            now,
        )
        .await
        .unwrap());
    id
}

pub const FORCE_AREA: &str = r#"{"include":[{"kind":"force_area"}]}"#;

/// Waits until the alert's report has `sent` emails, `texts` texts and nothing pending.
pub async fn wait_for_report(
    store: &DynStore,
    alert: i64,
    emails: i64,
    texts: i64,
    within: Duration,
) -> beacon::store::DeliveryReport {
    let deadline = Instant::now() + within;
    loop {
        let report = store.delivery_report(alert).await.unwrap();
        if report.fanout_done_at.is_some()
            && report.email.sent + report.email.failed == emails
            && report.sms.sent + report.sms.failed + report.sms.held == texts
            && report.email.pending == 0
            && report.sms.pending == 0
        {
            return report;
        }
        assert!(
            Instant::now() < deadline,
            "delivery of alert {alert} did not finish in {within:?}: {report:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_sent_alert_reaches_each_matching_resident_once_per_channel(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.ctx.store;
    seed_resident(
        store,
        &ResidentSpec {
            mobile: Some("07700 900123"),
            ..ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT")
        },
    )
    .await;
    seed_resident(
        store,
        &ResidentSpec {
            format: EmailFormat::Plain,
            ..ResidentSpec::new("bob@example.org", "Bob Patel", "PE1 1HF")
        },
    )
    .await;
    // Chose only Report Fraud: a police alert is not for him.
    seed_resident(
        store,
        &ResidentSpec {
            providers: &["report-fraud"],
            ..ResidentSpec::new("carl@example.org", "Carl Reed", "CB1 1PT")
        },
    )
    .await;
    let alert = send_alert(store, "Shed burglaries in Cambridge", 2, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();

    let report = wait_for_report(store, alert, 2, 1, Duration::from_secs(20)).await;
    assert_eq!(report.email.targeted, 2);
    assert_eq!(report.email.sent, 2);
    assert_eq!(report.sms.sent, 1);
    assert!(!report.timeline.is_empty());

    let emails = app.emails(2).await;
    let ann = emails.iter().find(|e| e.to == "ann@example.org").unwrap();
    let bob = emails.iter().find(|e| e.to == "bob@example.org").unwrap();
    assert_eq!(
        ann.subject,
        format!("Shed burglaries in Cambridge | Cambridgeshire Constabulary | Alert {alert}")
    );
    assert!(ann.text.contains("Dear Ann,"), "{}", ann.text);
    assert_eq!(
        ann.text.trim_start().lines().next(),
        Some("Cambridgeshire Constabulary · Crime update"),
        "{:?}",
        ann.text
    );
    assert!(ann.text.replace("\r\n", "\n").contains("Message Sent By\nSarah Jones\n(Cambridgeshire Constabulary, PCSO, South Cambridgeshire)"), "{}", ann.text);
    assert!(ann
        .html
        .as_deref()
        .unwrap()
        .contains("<strong>sheds</strong>"));
    assert!(bob.text.contains("Dear Bob,"));
    assert!(
        bob.header("Content-Type")
            .unwrap()
            .starts_with("text/plain"),
        "Bob chose plain emails: {:?}",
        bob.header("Content-Type")
    );
    assert!(ann
        .header("Content-Type")
        .unwrap()
        .starts_with("multipart/alternative"));
    let message_id = ann.header("Message-ID").unwrap();
    assert!(
        message_id.starts_with(&format!("<alert-{alert}.")),
        "{message_id}"
    );
    assert!(ann.header("List-Id").unwrap().contains("Beacon alerts"));
    assert_eq!(
        ann.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(ann
        .header("List-Unsubscribe")
        .unwrap()
        .contains("/unsubscribe/"));

    let texts = app.texts(1).await;
    let content = texts[0]["content"].as_str().unwrap();
    assert!(
        content.starts_with("Sheds broken into nearby: lock up tonight. http"),
        "{content}"
    );
    assert!(content.ends_with(&format!("/a/{alert}")), "{content}");
    // The short link opens the alert as residents received it.
    let page = app.get(&format!("/a/{alert}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Shed burglaries in Cambridge"));
    assert!(page.contains("Sarah Jones"));

    // Opening a rating link (as a mail scanner does) records nothing: it asks, with a button
    // (issue 19, item 11).
    let useful = ann.link("/rate/");
    assert!(useful.ends_with("/useful"));
    let asked = app.get(&useful).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("Yes, it was useful"));
    let not_useful = useful.replace("/useful", "/not-useful");
    let asked = app.get(&not_useful).await;
    assert_eq!(asked.status(), 200);
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("What would have made it more useful? (optional)"));
    let report = store.delivery_report(alert).await.unwrap();
    assert_eq!((report.useful, report.not_useful), (0, 0));
    // The button records it; the report counts it.
    let rate = |link: &str, reason: &str| {
        app.client
            .post(link)
            .form(&[("reason", reason.to_owned())])
            .send()
    };
    assert_eq!(rate(&useful, "").await.unwrap().status(), 200);
    let report = store.delivery_report(alert).await.unwrap();
    assert_eq!((report.useful, report.not_useful), (1, 0));
    // An over-long reason is refused, saying why, and changes nothing.
    let refused = rate(&not_useful, &"x".repeat(501)).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Your reason must be 500 characters or fewer"));
    let report = store.delivery_report(alert).await.unwrap();
    assert_eq!((report.useful, report.not_useful), (1, 0));
    // "Not useful" with a reason changes the answer; the senders read the reason.
    let reason = "It was <b>not</b> near me";
    assert_eq!(rate(&not_useful, reason).await.unwrap().status(), 200);
    let report = store.delivery_report(alert).await.unwrap();
    assert_eq!((report.useful, report.not_useful), (0, 1));
    assert_eq!(report.not_useful_reasons.len(), 1);
    assert_eq!(report.not_useful_reasons[0].1, reason);
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
        staff_page.contains("Why it was not useful")
            && staff_page.contains("It was &#60;b&#62;not&#60;/b&#62; near me"),
        "{staff_page}"
    );
    // A forged link records nothing.
    let forged = app.get("/rate/not-a-token/useful").await;
    assert_eq!(forged.status(), 404);
    let forged = rate(&format!("{}/rate/not-a-token/useful", app.address), "")
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);

    // A reply reaches the report, escaped, with the resident's first name only.
    let reply = ann.link("/reply/");
    let empty = app.submit(&reply, &reply, &[("body", "   ")]).await;
    assert_eq!(empty.status(), 422);
    assert!(empty.text().await.unwrap().contains("Write your message"));
    let sent = app
        .submit(
            &reply,
            &reply,
            &[("body", "Thanks <b>officer</b>, my shed was tried too")],
        )
        .await;
    assert_eq!(sent.status(), 200);
    let report = store.delivery_report(alert).await.unwrap();
    assert_eq!(report.replies.len(), 1);
    assert_eq!(report.replies[0].first_name, "Ann");
    assert!(report.replies[0].body.contains("<b>officer</b>"));
    // A few replies each, not a flood.
    for n in 2..=5 {
        let more = app
            .submit(&reply, &reply, &[("body", &format!("Reply number {n}"))])
            .await;
        assert_eq!(more.status(), 200);
    }
    let refused = app
        .submit(&reply, &reply, &[("body", "One too many")])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Your reply was not sent"));
    assert_eq!(store.delivery_report(alert).await.unwrap().replies.len(), 5);

    // The resident's data download lists the alert they received and what they said about it.
    let data: serde_json::Value = app
        .get(&format!("{}/data.json", ann.link("/manage/")))
        .await
        .json()
        .await
        .unwrap();
    let received = data["messages_sent_to_you"].to_string();
    assert!(
        received.contains(&format!("Alert {alert}: Shed burglaries in Cambridge")),
        "{received}"
    );
    let said = data["your_ratings_and_replies"].to_string();
    assert!(
        said.contains("rated not useful: It was <b>not</b> near me"),
        "{said}"
    );
    assert!(said.contains("replied: Thanks"), "{said}");

    // Nothing more goes out, however long the workers keep looking.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(wait_for_files(&app.outbox, "eml", 2).await.len(), 2);
    app.stop().await;
}
on_both_backends!(
    sent_alert_reaches_each_matching_resident_once,
    a_sent_alert_reaches_each_matching_resident_once_per_channel
);

async fn texts_wait_for_quiet_hours_and_urgent_alerts_go_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = &app.ctx.store;
    // Quiet hours around now, in UK time.
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::London);
    let quiet = QuietHours {
        start: (now - chrono::Duration::hours(1)).time(),
        end: (now + chrono::Duration::hours(1)).time(),
    };
    seed_resident(
        store,
        &ResidentSpec {
            mobile: Some("07700 900124"),
            quiet_hours: Some(quiet),
            ..ResidentSpec::new("dee@example.org", "Dee Quiet", "CB1 1PT")
        },
    )
    .await;
    let alert = send_alert(store, "Overnight thefts", 3, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    let report = wait_for_report(store, alert, 1, 1, Duration::from_secs(20)).await;
    assert_eq!(report.sms.held, 1, "{report:?}");
    assert_eq!(report.sms.sent, 0);
    // Held, not dropped: the text waits until the quiet hours end.
    assert_eq!(
        std::fs::read_dir(&app.sms_outbox).map_or(0, |d| d.count()),
        0
    );
    app.stop().await;
}
on_both_backends!(
    texts_wait_for_quiet_hours,
    texts_wait_for_quiet_hours_and_urgent_alerts_go_first
);

/// What a worker runs with, on `store` and the default settings, for calling its steps directly.
pub fn worker_context(store: &DynStore) -> beacon::services::AppContext {
    worker_context_with(store, beacon::config::Settings::default())
}

pub fn worker_context_with(
    store: &DynStore,
    settings: beacon::config::Settings,
) -> beacon::services::AppContext {
    beacon::services::AppContext::new(
        store.clone(),
        settings,
        beacon::services::tokens::Signer::new(b"test-key-test-key-test-key-test-key"),
    )
}

async fn urgent_deliveries_are_claimed_before_routine_ones(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = crate::helpers::fresh_store(backend, dir.path()).await;
    let ctx = worker_context(&store);
    for n in 0..5 {
        let email = format!("r{n}@example.org");
        seed_resident(&store, &ResidentSpec::new(&email, "Res Ident", "CB1 1PT")).await;
    }
    let routine = send_alert(&store, "Routine newsletter", 5, FORCE_AREA).await;
    while beacon::services::delivery::fanout_once(&ctx).await.unwrap() {}
    let urgent = send_alert(&store, "Missing child", 1, FORCE_AREA).await;
    while beacon::services::delivery::fanout_once(&ctx).await.unwrap() {}
    let now = chrono::Utc::now().timestamp();
    let claimed = store
        .claim_deliveries(OutboundChannel::Email, &SenderScope::All, now, now + 60, 5)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 5);
    assert!(
        claimed.iter().all(|d| d.alert_id == urgent),
        "the urgent alert's deliveries overtake the routine ones: {claimed:?}"
    );
    // A second claim takes the routine ones; the urgent ones are leased.
    let rest = store
        .claim_deliveries(OutboundChannel::Email, &SenderScope::All, now, now + 60, 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 5);
    assert!(rest.iter().all(|d| d.alert_id == routine));
    // Only the latest claim may mark a delivery sent: a stale one is refused.
    let first = &claimed[0];
    let stale = store
        .mark_deliveries_sent(&[(first.id, first.attempts - 1)], &[None], now)
        .await
        .unwrap();
    assert!(stale.is_empty());
    let marked = store
        .mark_deliveries_sent(&[(first.id, first.attempts)], &[None], now)
        .await
        .unwrap();
    assert_eq!(marked, vec![first.id]);
    // Fanning out again records nothing twice.
    assert!(store
        .transition_alert(
            urgent,
            &[AlertStatus::Queued],
            AlertStatus::Queued,
            &AlertTransition::default(),
            now
        )
        .await
        .unwrap());
    while beacon::services::delivery::fanout_once(&ctx).await.unwrap() {}
    let report = store.delivery_report(urgent).await.unwrap();
    assert_eq!(report.email.targeted, 5);
}
on_both_backends!(
    urgent_deliveries_overtake_and_claims_are_exclusive,
    urgent_deliveries_are_claimed_before_routine_ones
);

async fn deliveries_of_a_resident_who_left_are_removed_or_settled(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = crate::helpers::fresh_store(backend, dir.path()).await;
    let ctx = worker_context(&store);
    let stays = seed_resident(
        &store,
        &ResidentSpec::new("a@example.org", "Ann", "CB1 1PT"),
    )
    .await;
    let leaves = seed_resident(
        &store,
        &ResidentSpec::new("b@example.org", "Bob", "CB1 1PT"),
    )
    .await;
    let alert = send_alert(&store, "Sheds broken into", 3, FORCE_AREA).await;
    while beacon::services::delivery::fanout_once(&ctx).await.unwrap() {}
    assert_eq!(
        store.delivery_report(alert).await.unwrap().email.targeted,
        2
    );
    // Erasing a resident takes their deliveries with them.
    assert!(store.erase_subscriber(leaves).await.unwrap());
    assert_eq!(
        store.delivery_report(alert).await.unwrap().email.targeted,
        1
    );

    // A fan-out that read the audience before someone left records a row for them (deliveries
    // carry no foreign key): its claim finds no resident and says the delivery is unwanted.
    let later = send_alert(&store, "Van stolen", 3, FORCE_AREA).await;
    let now = chrono::Utc::now().timestamp();
    let chunk = beacon::store::FanoutChunk {
        alert_id: later,
        priority: beacon::domain::Priority::new(3).unwrap(),
        from: 0,
        next: None,
        deliveries: vec![
            (stays, OutboundChannel::Email),
            (leaves, OutboundChannel::Email),
        ],
        now,
        lease_until: now + 60,
    };
    assert_eq!(store.record_fanout_chunk(&chunk).await.unwrap(), Some(2));
    let mut claimed = store
        .claim_deliveries(OutboundChannel::Email, &SenderScope::All, now, now + 60, 10)
        .await
        .unwrap();
    claimed.retain(|d| d.alert_id == later);
    claimed.sort_by_key(|d| d.subscriber_id);
    let wanted: Vec<(i64, bool)> = claimed
        .iter()
        .map(|d| (d.subscriber_id, d.wants_channel))
        .collect();
    assert_eq!(wanted, vec![(stays, true), (leaves, false)]);
    assert_eq!(
        claimed[1].email, "",
        "nothing is known of a resident who left"
    );

    // A row recorded before its resident existed (their id reused, as SQLite reuses the
    // highest) is not for them either.
    let earlier = send_alert(&store, "Bike stolen", 3, FORCE_AREA).await;
    let before = now - 3_600;
    let chunk = beacon::store::FanoutChunk {
        alert_id: earlier,
        from: 0,
        deliveries: vec![(stays, OutboundChannel::Email)],
        now: before,
        ..chunk
    };
    assert_eq!(store.record_fanout_chunk(&chunk).await.unwrap(), Some(1));
    let claimed = store
        .claim_deliveries(OutboundChannel::Email, &SenderScope::All, now, now + 60, 10)
        .await
        .unwrap();
    let reused: Vec<(i64, bool)> = claimed
        .iter()
        .filter(|d| d.alert_id == earlier)
        .map(|d| (d.subscriber_id, d.wants_channel))
        .collect();
    assert_eq!(reused, vec![(stays, false)]);
}
on_both_backends!(
    deliveries_of_residents_who_left,
    deliveries_of_a_resident_who_left_are_removed_or_settled
);

async fn send_pacing_holds_across_workers(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = crate::helpers::fresh_store(backend, dir.path()).await;
    // 3,000 a minute: one every 20 ms. Reservations from "several workers" never overlap.
    let now = 1_000_000;
    let a = store
        .reserve_sends("sms", now, 20, 50, 2_000)
        .await
        .unwrap()
        .unwrap();
    let b = store
        .reserve_sends("sms", now, 20, 50, 2_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a, now);
    assert_eq!(b, now + 50 * 20);
    // Up to the horizon, then refused until time moves on.
    assert_eq!(
        store.reserve_sends("sms", now, 20, 1, 2_000).await.unwrap(),
        Some(now + 2_000)
    );
    assert!(store
        .reserve_sends("sms", now, 20, 1, 2_000)
        .await
        .unwrap()
        .is_none());
    // 3,000 slots reserved from one moment end a minute later, exactly.
    let mut t = now + 10_000;
    let mut reserved = 0;
    let mut last = 0;
    while reserved < 3_000 {
        if let Some(first) = store
            .reserve_sends("email", t, 20, 100, 2_000)
            .await
            .unwrap()
        {
            reserved += 100;
            last = first + 99 * 20;
        } else {
            t += 500;
        }
    }
    assert_eq!(last - (now + 10_000), 2_999 * 20);
}
on_both_backends!(send_pacing_is_shared, send_pacing_holds_across_workers);

/// Reads every email `smtp-sink` (or another server) left in `dir` and counts them by Message-ID.
pub fn message_ids(dir: &std::path::Path) -> std::collections::HashMap<String, usize> {
    let mut counts = std::collections::HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        if entry.path().extension().is_some_and(|e| e == "tmp") {
            continue;
        }
        let raw = std::fs::read(entry.path()).unwrap();
        if raw.is_empty() {
            continue;
        }
        let email = Email::parse(&raw);
        if let Some(id) = email.header("Message-ID") {
            *counts.entry(id.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

/// Runs a command and returns its standard output; panics with its output if it fails.
fn run(command: &mut std::process::Command) -> String {
    let output = command.output().expect("running a helper command");
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn alert_emails_carry_a_dkim_signature_that_verifies() {
    use std::process::Command;
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("dkim.pem");
    run(Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048"));
    let public = run(Command::new("sh").arg("-c").arg(format!(
        "openssl rsa -in {} -pubout -outform DER 2>/dev/null | base64 -w0",
        key.display()
    )));
    let key_file = key.display().to_string();
    let app = TestApp::spawn_with(Backend::Sqlite, move |settings| {
        settings.mail.from = "Beacon Alerts <alerts@beacon.example>".into();
        settings.mail.dkim_domain = "beacon.example".into();
        settings.mail.dkim_selector = "alerts2026".into();
        settings.mail.dkim_private_key_file = key_file;
    })
    .await;
    seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
    )
    .await;
    send_alert(&app.ctx.store, "Courier fraud", 2, FORCE_AREA).await;
    app.ctx.fanout_wakeup.notify_one();
    let emails = wait_for_files(&app.outbox, "eml", 1).await;
    let email = Email::parse(&emails[0]);
    let signature = email
        .header("DKIM-Signature")
        .expect("a DKIM-Signature header");
    assert!(signature.contains("d=beacon.example"), "{signature}");
    assert!(signature.contains("s=alerts2026"), "{signature}");
    let file = app.outbox.join("signed.eml.check");
    std::fs::write(&file, &emails[0]).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/dkim_verify.py");
    let verdict = run(Command::new("python3")
        .arg(script)
        .arg(&file)
        .arg(public.trim()));
    assert_eq!(verdict.trim(), "pass");
    app.stop().await;
}

/// A resident's copy filled in from the alert's email template is the email rendered whole for
/// them: same headers, same text and HTML once decoded. Names with HTML's special characters,
/// accents, several words or none; an alert with long lines and characters quoted-printable
/// must encode; one whose text holds the template's marker, and one mostly in Cyrillic, which
/// are rendered whole.
#[tokio::test]
async fn copies_from_the_template_match_emails_rendered_whole() {
    use beacon::services::messages::{self, SharedAlert};
    use beacon::store::DeliveryTarget;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let ctx = &app.ctx;
    let id = send_alert(&ctx.store, "Doorstep “roofers” = £500 scam", 2, FORCE_AREA).await;
    let stored = ctx.store.alert(id).await.unwrap().unwrap();
    let long_line = "Ein Betrüger sagt: 50% = „sofort“ & <bar> ".repeat(12);
    let bodies = [
        (stored.content.body_markdown.clone(), true),
        (
            format!("{long_line}\n\nTrailing spaces   \n\n- tab\there\n- `=3D`  "),
            true,
        ),
        (
            "Do not type BeaconSlot7qName into anything.".to_owned(),
            false,
        ),
        // Mostly Cyrillic: quoted-printable would triple it, so it is rendered whole (base64).
        (
            "Шахраї телефонують від імені поліції й просять гроші. ".repeat(40),
            false,
        ),
    ];
    let names = [
        "Ann Smith",
        "Zoë O'Brien-Ñúñez",
        "<b>Bob</b> & \"Co\"",
        "",
        "Averyveryveryveryveryveryveryveryveryveryveryveryveryverylongfirstnamethatmustwrap Smith",
    ];
    let from = &ctx.settings.mail.from;
    for (body, templated) in bodies {
        let mut alert = stored.clone();
        alert.content.body_markdown = body;
        let shared = SharedAlert::new(alert);
        assert_eq!(shared.templated(ctx), templated);
        for (n, name) in names.iter().enumerate() {
            for format in [EmailFormat::Full, EmailFormat::Plain] {
                let target = DeliveryTarget {
                    id: n as i64 + 1,
                    alert_id: id,
                    subscriber_id: n as i64 + 1,
                    channel: OutboundChannel::Email,
                    attempts: 1,
                    gateway_id: None,
                    lease_until: 0,
                    name: (*name).into(),
                    email: format!("resident{n}@example.org"),
                    mobile: None,
                    public_id: format!("res{n:09}"),
                    token_version: 3,
                    email_format: format,
                    wants_channel: true,
                    quiet_hours: None,
                };
                let whole = messages::resident_alert_email(ctx, &shared, &target).unwrap();
                let expected =
                    Email::parse(&beacon::delivery::email::formatted(from, &whole, None).unwrap());
                let (bytes, message_id) =
                    messages::resident_alert_email_bytes(ctx, &shared, &target, from, None)
                        .unwrap();
                assert_eq!(message_id, whole.message_id);
                let got = Email::parse(&bytes);
                let case = format!("{name:?}, {format:?}, templated {templated}");
                assert_eq!(got.to, expected.to, "{case}");
                assert_eq!(got.subject, expected.subject, "{case}");
                assert_eq!(got.text, expected.text, "{case}");
                assert_eq!(got.html, expected.html, "{case}");
                let multipart = got
                    .header("Content-Type")
                    .is_some_and(|t| t.starts_with("multipart/alternative"));
                assert_eq!(multipart, format == EmailFormat::Full, "{case}");
                assert!(
                    got.text.contains(&format!(
                        "Dear {},",
                        name.split_whitespace().next().unwrap_or("")
                    )),
                    "{case}"
                );
                for header in [
                    "From",
                    "To",
                    "Subject",
                    "Message-ID",
                    "List-Id",
                    "List-Unsubscribe",
                    "List-Unsubscribe-Post",
                ] {
                    let value = |email: &Email| {
                        email
                            .headers
                            .iter()
                            .find(|(h, _)| h.eq_ignore_ascii_case(header))
                            .map(|(_, v)| v.clone())
                    };
                    assert!(value(&got).is_some(), "{case}: {header}");
                    assert_eq!(value(&got), value(&expected), "{case}: {header}");
                }
                // Quoted-printable keeps every body line to 76 characters.
                let text = String::from_utf8(bytes).unwrap();
                let (_, body) = text.split_once("\r\n\r\n").unwrap();
                assert!(
                    body.split("\r\n").all(|line| line.len() <= 76),
                    "{case}: {text}"
                );
            }
        }
    }
    app.stop().await;
}

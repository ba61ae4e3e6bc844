//! The scam checker as a resident, an app and a sender meet it: the API's answer and the page's,
//! with the force's own alert about the scam; sharing a message with the police, once however
//! often the form is sent, into the staff's Reported scams page; bad input, each with its
//! message and nothing stored; the rate limit; and who may read what was shared.
//!
//! The assertions hold for any engine that reads the "Hi Mum" text as the family-friend scam
//! with a sign on "new number", and an order confirmation as showing no signs: what the answer
//! says beyond that (its advice, its report routes) is read from the engine, not written here.

use crate::alerts::{audited, staff_member};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::alert::SignOff;
use beacon::services::scam_check::{self, CheckError, ScamKind, MAX_CHARS};
use beacon::store::{AlertContent, NewAlert};
use reqwest::StatusCode;

pub const HI_MUM: &str =
    "Hi Mum, this is my new number, my phone broke, can you text me on WhatsApp";
const ORDER: &str = "Thanks for your order, it will arrive tomorrow";

/// Publishes an alert as the demo's history is (sent to nobody, on the archive); its id.
pub async fn publish(app: &TestApp, message_type: &str, title: &str, body: &str) -> i64 {
    let id = draft(app, message_type, title, body).await;
    let now = chrono::Utc::now().timestamp();
    assert!(app.ctx.store.archive_alert(id, now, None).await.unwrap());
    id
}

/// An alert of the constabulary to the whole force area, as a draft; its id.
async fn draft(app: &TestApp, message_type: &str, title: &str, body: &str) -> i64 {
    let store = &app.ctx.store;
    let providers = store.providers().await.unwrap();
    let provider = providers
        .iter()
        .find(|p| p.slug == "cambridgeshire-constabulary")
        .unwrap();
    let types = store.message_types().await.unwrap();
    let kind = types.iter().find(|t| t.slug == message_type).unwrap();
    let now = chrono::Utc::now().timestamp();
    store
        .insert_alert(&NewAlert {
            content: AlertContent {
                provider_id: provider.id,
                message_type_id: kind.id,
                priority: beacon::domain::Priority::new(3).unwrap(),
                title: title.into(),
                body_markdown: body.into(),
                sms_text: None,
                target: serde_json::from_str(r#"{"include":[{"kind":"force_area"}]}"#).unwrap(),
                target_description: "Cambridgeshire".into(),
                private: false,
                members: Default::default(),
            },
            author_staff_id: None,
            api_token_id: None,
            signoff: SignOff {
                name: "Lucy Ward".into(),
                organisation: provider.name.clone(),
                role: "Communications Assistant".into(),
                area: "Cambridgeshire".into(),
            },
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now,
        })
        .await
        .unwrap()
}

/// Text as askama writes it into a page.
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn api_check(app: &TestApp, body: serde_json::Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/scam-check"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Opens the checker, pastes `text`, chooses `channel` and presses Check.
async fn check_on_page(app: &TestApp, text: &str, channel: &str) -> reqwest::Response {
    app.submit(
        "/scam-checker",
        "/scam-checker",
        &[("text", text), ("channel", channel)],
    )
    .await
}

/// Reports stored, as the store holds them.
async fn stored_reports(app: &TestApp) -> Vec<beacon::store::ScamReport> {
    app.ctx.store.newest_scam_reports(1_000).await.unwrap()
}

on_both_backends!(the_api_names_the_hi_mum_scam, api_body);
async fn api_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let older = publish(
        &app,
        "scam-warning",
        "“Hi Mum” texts: a reminder",
        "Criminals send **Hi Mum** messages from a new number asking for money.",
    )
    .await;
    let warning = publish(
        &app,
        "scam-warning",
        "Beware “Hi Mum” texts from a new number",
        "Residents have received Hi Mum messages from a new number. Call your child on the number you know.",
    )
    .await;
    publish(
        &app,
        "crime-update",
        "Burglaries in Ely",
        "Sheds broken into.",
    )
    .await;

    let answer = api_check(
        &app,
        serde_json::json!({ "text": HI_MUM, "channel": "sms" }),
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer["verdict"], "scam");
    assert_eq!(answer["type"], "family-friend");
    assert_eq!(answer["type_name"], ScamKind::FamilyFriend.name());
    let confidence = answer["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&confidence), "{confidence}");
    let spans: Vec<&serde_json::Value> = answer["signs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["spans"].as_array().unwrap())
        .collect();
    let span = spans
        .iter()
        .find(|s| {
            s["text"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case("new number")
        })
        .unwrap_or_else(|| panic!("no sign points at “new number”: {answer}"));
    let (start, end) = (
        span["start"].as_u64().unwrap() as usize,
        span["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(answer["text"], HI_MUM, "the text the spans point into");
    let pointed: String = HI_MUM.chars().skip(start).take(end - start).collect();
    assert_eq!(pointed, span["text"].as_str().unwrap());
    assert!(answer["signs"][0]["says"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(
        answer["advice"],
        serde_json::json!(ScamKind::FamilyFriend.advice())
    );
    assert!(!answer["advice"].as_array().unwrap().is_empty());
    let routes = answer["report_to"].as_array().unwrap();
    assert!(
        routes
            .iter()
            .any(|r| r["who"].as_str().unwrap().contains("7726")),
        "a text is forwarded to 7726: {answer}"
    );
    // The force's own warnings, newest first; the burglary is not among them.
    let related = answer["related_alerts"].as_array().unwrap();
    let ids: Vec<i64> = related.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![warning, older], "{answer}");
    assert_eq!(
        related[0]["title"],
        "Beware “Hi Mum” texts from a new number"
    );
    assert_eq!(
        related[0]["url"].as_str().unwrap(),
        app.url(&format!("/alerts/{warning}"))
    );
    assert!(related[0]["sent_at"].as_str().unwrap().ends_with('Z'));
    assert!(answer["notes"].is_array());

    // An ordinary message: no kind, no advice, no alerts.
    let order: serde_json::Value = api_check(&app, serde_json::json!({ "text": ORDER }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["verdict"], "no-scam-signs");
    assert_eq!(order["type"], serde_json::Value::Null);
    assert_eq!(order["related_alerts"], serde_json::json!([]));

    // The forgiving channel names are understood; an unknown one is refused by name.
    let text = api_check(
        &app,
        serde_json::json!({ "text": HI_MUM, "channel": "Text" }),
    )
    .await;
    assert_eq!(text.status(), StatusCode::OK);
    let pigeon = api_check(
        &app,
        serde_json::json!({ "text": HI_MUM, "channel": "pigeon" }),
    )
    .await;
    assert_eq!(pigeon.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let pigeon: serde_json::Value = pigeon.json().await.unwrap();
    assert_eq!(pigeon["errors"][0]["field"], "channel");

    // Bad input, each with its status and message in the API's error shape; nothing stored.
    let empty = api_check(&app, serde_json::json!({ "text": "  \n " })).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty: serde_json::Value = empty.json().await.unwrap();
    assert_eq!(empty["error"], CheckError::Empty.to_string());
    let long = "a".repeat(MAX_CHARS + 1);
    let too_long = api_check(&app, serde_json::json!({ "text": long })).await;
    assert_eq!(too_long.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let too_long: serde_json::Value = too_long.json().await.unwrap();
    assert_eq!(
        too_long["error"],
        CheckError::TooLong {
            chars: MAX_CHARS + 1
        }
        .to_string()
    );
    let not_json = app
        .client
        .post(app.url("/api/v1/scam-check"))
        .header("content-type", "application/json")
        .body("{\"text\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(not_json.json::<serde_json::Value>().await.unwrap()["error"].is_string());
    assert!(stored_reports(&app).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn the_page_shows_the_scam_marked_with_what_to_do() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let form = app.get("/scam-checker").await.text().await.unwrap();
    assert!(form.contains("How did it reach you?"), "{form}");
    assert!(form.contains("Text message"), "{form}");
    assert!(form.contains("not stored or logged"), "{form}");

    let page = check_on_page(&app, HI_MUM, "sms").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("This is the “Hi Mum” scam"), "{page}");
    assert!(
        page.contains(&escaped(ScamKind::FamilyFriend.name())),
        "{page}"
    );
    assert!(page.contains("<mark>new number</mark>"), "{page}");
    for line in ScamKind::FamilyFriend.advice() {
        assert!(
            page.contains(&escaped(line)),
            "advice “{line}” missing:\n{page}"
        );
    }
    assert!(page.contains("7726"), "{page}");
    assert!(page.contains(r#"href="tel:159""#), "{page}");
    assert!(
        page.contains("Share this with the police so they can warn others"),
        "{page}"
    );

    let order = check_on_page(&app, ORDER, "").await.text().await.unwrap();
    assert!(order.contains("We found no signs of a scam"), "{order}");
    assert!(order.contains("trust your instinct"), "{order}");
    assert!(!order.contains("<mark>"), "{order}");

    // The page links from the home page, the archive and a scam warning, and not from others.
    for path in ["/", "/alerts"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains(r#"href="/scam-checker""#), "{path}");
    }
    let warning = publish(&app, "scam-warning", "Courier fraud", "Hang up.").await;
    let other = publish(&app, "crime-update", "Burglaries", "Lock up.").await;
    let notice = "Check it with our scam checker";
    let warning_page = app
        .get(&format!("/alerts/{warning}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(warning_page.contains(notice), "{warning_page}");
    let other_page = app
        .get(&format!("/alerts/{other}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!other_page.contains(notice), "{other_page}");
    assert!(
        stored_reports(&app).await.is_empty(),
        "a check stores nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_input_gets_its_message_and_nothing_is_stored() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    let empty = check_on_page(&app, "   ", "sms").await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty = empty.text().await.unwrap();
    assert!(empty.contains("There is a problem"), "{empty}");
    assert!(empty.contains(r##"href="#text""##), "{empty}");
    assert!(
        empty.contains(&escaped(&CheckError::Empty.to_string())),
        "{empty}"
    );

    let long = format!("Hi Mum {}", "x".repeat(MAX_CHARS - 6));
    assert_eq!(long.chars().count(), MAX_CHARS + 1);
    let too_long = check_on_page(&app, &long, "sms").await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let too_long = too_long.text().await.unwrap();
    let message = CheckError::TooLong {
        chars: MAX_CHARS + 1,
    };
    assert!(
        too_long.contains(&escaped(&message.to_string())),
        "the message"
    );
    assert!(too_long.contains(&long), "the text is kept in the box");
    assert!(
        too_long.contains(r#"value="sms" checked"#),
        "the channel is kept"
    );

    // Markup is shown as text, never run.
    let markup =
        r#"<script>alert("boo")</script><img src=x onerror=alert(1)> Hi Mum, my new number"#;
    let page = check_on_page(&app, markup, "").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.contains(&escaped(r#"<script>alert("boo")</script>"#)),
        "{page}"
    );

    // A whole email, headers and all, and emoji: read, not a crash.
    let email = "From: \"Royal Mail\" <noreply@rm-redelivery.example>\r\nTo: you@example.org\r\nSubject: Your parcel\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nWe could not deliver your parcel. Pay =C2=A31.45 at the link.\r\n";
    let page = check_on_page(&app, email, "email").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("Scam checker: the answer"), "{page}");
    let emoji = "👋🏽 Hi Mum 😀 this is my new number 🙏 can you text me";
    let page = check_on_page(&app, emoji, "sms").await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("<mark>new number</mark>"), "{page}");
    assert!(page.contains("👋🏽 Hi Mum 😀"), "{page}");

    // The same in the API: emoji spans are counted in characters.
    let answer: serde_json::Value = api_check(&app, serde_json::json!({ "text": emoji }))
        .await
        .json()
        .await
        .unwrap();
    let span = &answer["signs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["spans"].as_array().unwrap().clone())
        .find(|s| s["text"] == "new number")
        .unwrap();
    let start = span["start"].as_u64().unwrap() as usize;
    let pointed: String = emoji.chars().skip(start).take(10).collect();
    assert_eq!(pointed, "new number");

    assert!(stored_reports(&app).await.is_empty());
    app.stop().await;
}

/// The share form on an answer page, as the browser would send it (all but the tick box).
fn share_fields(page: &str) -> Vec<(String, String)> {
    ["csrf", "nonce", "text", "channel"]
        .into_iter()
        .map(|name| {
            let value = hidden_value(page, name).unwrap_or_else(|| panic!("no {name} field"));
            (name.to_owned(), value)
        })
        .collect()
}

/// An attribute value as the page holds it, read back.
fn unescape(value: &str) -> String {
    value
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}

on_both_backends!(
    a_shared_message_reaches_the_reported_scams_page_once,
    share_body,
    multi_thread
);
async fn share_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, sender) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let text = format!("{HI_MUM}. <b>Send £200 today</b>");
    let page = check_on_page(&app, &text, "sms")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        stored_reports(&app).await.is_empty(),
        "an unshared check stores nothing"
    );
    let mut fields = share_fields(&page);
    for (_, value) in fields.iter_mut() {
        *value = unescape(value);
    }
    assert_eq!(
        fields[2].1, text,
        "the share form carries the text as pasted"
    );

    // A postcode that cannot be found: the answer again, the postcode kept, nothing stored.
    let mut bad = fields.clone();
    bad.extend([
        ("share".to_owned(), "yes".to_owned()),
        ("postcode".to_owned(), "not a postcode".to_owned()),
    ]);
    let refused = app
        .client
        .post(app.url("/scam-checker/share"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("There is a problem"), "{refused}");
    assert!(refused.contains(r##"href="#postcode""##), "{refused}");
    assert!(refused.contains(r#"value="not a postcode""#), "{refused}");
    assert!(refused.contains("<mark>new number</mark>"), "{refused}");
    // Not ticked: asked to tick.
    let unticked = app
        .client
        .post(app.url("/scam-checker/share"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(unticked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.text().await.unwrap().contains("Tick the box"));
    assert!(stored_reports(&app).await.is_empty());

    // Shared with a postcode and a name, by a double click: two posts of one form at once.
    let mut good = fields.clone();
    good.extend([
        ("share".to_owned(), "yes".to_owned()),
        ("postcode".to_owned(), "cb1 1pt".to_owned()),
        ("name".to_owned(), "Mandy Clarke".to_owned()),
    ]);
    let post = || {
        app.client
            .post(app.url("/scam-checker/share"))
            .form(&good)
            .send()
    };
    let (first, second) = tokio::join!(post(), post());
    for answer in [first.unwrap(), second.unwrap()] {
        assert_eq!(answer.url().path(), "/scam-checker/shared");
        let thanks = answer.text().await.unwrap();
        assert!(thanks.contains("Thank you for sharing this"), "{thanks}");
    }
    let stored = stored_reports(&app).await;
    assert_eq!(stored.len(), 1, "one form, one report");
    let report = &stored[0];
    assert_eq!(report.text, text);
    assert_eq!(report.channel.as_deref(), Some("sms"));
    assert_eq!(report.verdict, "scam");
    assert_eq!(report.kind.as_deref(), Some("family-friend"));
    assert_eq!(report.name.as_deref(), Some("Mandy Clarke"));
    let district = app
        .ctx
        .store
        .find_postcode("CB1 1PT")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.district_code, district.district_code);

    // A sender sees it, escaped, with its kind, district and a button to warn about it.
    let staff_page = sender
        .get(app.url("/staff/scams"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff_page.contains("Reported scams"), "{staff_page}");
    assert!(
        staff_page.contains(&escaped(&text)),
        "the message, escaped: {staff_page}"
    );
    assert!(!staff_page.contains("<b>Send"), "{staff_page}");
    assert!(staff_page.contains(&escaped(ScamKind::FamilyFriend.name())));
    assert!(staff_page.contains(district.district_name.as_deref().unwrap()));
    assert!(staff_page.contains("Mandy Clarke"));
    assert!(staff_page.contains("<svg"), "the chart");
    assert!(staff_page.contains(r#"href="/staff/alerts/new?scam=family-friend""#));
    assert_eq!(audited(&app, "view-reported-scams", false).await.len(), 1);

    // The button starts a scam warning written from the kind's advice.
    let compose = sender
        .get(app.url("/staff/alerts/new?scam=family-friend"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        compose.contains(r#"<option value="scam-warning" selected"#),
        "{compose}"
    );
    let (title, _) = scam_check::warning_for(ScamKind::FamilyFriend);
    assert!(compose.contains(&escaped(&title)), "{compose}");
    let first_advice = ScamKind::FamilyFriend.advice()[0];
    assert!(compose.contains(&escaped(first_advice)), "{compose}");
    app.stop().await;
}

#[tokio::test]
async fn a_scam_warning_email_points_to_the_checker() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    crate::alerts::resident(&app, "mandy@example.org", "CB1 1PT", false).await;
    for (kind, title) in [
        ("crime-update", "Burglaries in Cambridge"),
        ("scam-warning", "Beware “Hi Mum” texts"),
    ] {
        let id = draft(&app, kind, title, "Read this.").await;
        let now = chrono::Utc::now().timestamp();
        assert!(app
            .ctx
            .store
            .transition_alert(
                id,
                &[beacon::store::AlertStatus::Draft],
                beacon::store::AlertStatus::Queued,
                &beacon::store::AlertTransition::default(),
                now,
            )
            .await
            .unwrap());
        app.ctx.fanout_wakeup.notify_one();
    }
    let emails = app.emails(2).await;
    let checker = app.url("/scam-checker");
    for email in emails {
        let html = email.html.clone().unwrap_or_default();
        if email.subject.starts_with("Beware") {
            assert!(email.text.contains(&checker), "{}", email.text);
            assert!(html.contains(&format!(r#"href="{checker}""#)), "{html}");
        } else {
            assert!(!email.text.contains(&checker), "{}", email.text);
            assert!(!html.contains(&checker), "{html}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn only_senders_read_reported_scams_and_each_view_is_audited() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let org = "cambridgeshire-constabulary";
    let (_, approver) = staff_member(&app, "Sam Patel", org, (false, true, false, false)).await;
    let (_, admin) = staff_member(&app, "Alex Morgan", org, (false, false, true, false)).await;
    let refused = approver.get(app.url("/staff/scams")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(audited(&app, "view-reported-scams", true).await.len(), 1);
    let home = approver.get(app.url("/staff")).send().await.unwrap();
    let home = home.text().await.unwrap();
    assert!(
        !home.contains(r#"href="/staff/scams""#),
        "no link for who may not"
    );

    for _ in 0..2 {
        let page = admin.get(app.url("/staff/scams")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        assert!(page.contains("None yet"), "{page}");
    }
    assert_eq!(audited(&app, "view-reported-scams", false).await.len(), 2);
    let home = admin.get(app.url("/staff")).send().await.unwrap();
    assert!(home
        .text()
        .await
        .unwrap()
        .contains(r#"href="/staff/scams""#));
    // An unknown kind is not a warning to write.
    let unknown = admin
        .get(app.url("/staff/alerts/new?scam=not-a-kind"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn checks_are_rate_limited_per_address() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // More different messages at once than a minute allows.
    let attempts = scam_check::CHECKS_PER_MINUTE as usize + 10;
    let bodies = (0..attempts)
        .map(|i| serde_json::json!({ "text": format!("{HI_MUM} ({i})") }))
        .collect();
    let answers = at_once(&app, bodies).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status()).collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (ok, limited),
        (scam_check::CHECKS_PER_MINUTE as usize, 10),
        "{statuses:?}"
    );
    for answer in answers {
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            let body: serde_json::Value = answer.json().await.unwrap();
            assert!(body["error"].as_str().unwrap().contains("wait"), "{body}");
        }
    }
    // The page says so too.
    let page = check_on_page(&app, ORDER, "").await;
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().await.unwrap().contains("Please wait"));
    app.stop().await;

    // The same text again and again is limited sooner.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let repeats = scam_check::SAME_TEXT_PER_TEN_MINUTES as usize + 1;
    let answers = at_once(&app, vec![serde_json::json!({ "text": HI_MUM }); repeats]).await;
    let limited = answers
        .iter()
        .filter(|a| a.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(limited, 1);
    // Another text still goes through.
    let other = api_check(&app, serde_json::json!({ "text": ORDER })).await;
    assert_eq!(other.status(), StatusCode::OK);
    app.stop().await;
}

/// Sends the API these bodies all at once, each on a task of its own; the answers.
async fn at_once(app: &TestApp, bodies: Vec<serde_json::Value>) -> Vec<reqwest::Response> {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let (client, url) = (app.client.clone(), app.url("/api/v1/scam-check"));
        tasks.spawn(async move { client.post(url).json(&body).send().await.unwrap() });
    }
    tasks.join_all().await
}

/// Runs `beacon scam-check <args>` with `text` on standard input: exit status, stdout, stderr.
fn cli(args: &[&str], env: &[(&str, &std::ffi::OsStr)], text: &str) -> (bool, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_beacon"))
        .arg("scam-check")
        .args(args)
        .env_remove("BEACON_DATABASE_URL")
        .envs(env.iter().copied())
        .env("BEACON_LOG__FILTER", "warn")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running beacon scam-check");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// The command line gives the API's answer with no database at all, and with the app's
// database it adds the force's own alert about the scam.
on_both_backends!(the_command_line_answers_as_the_api_does, cli_body);
async fn cli_body(backend: Backend) {
    // With nothing configured: what the binary knows alone.
    let (ok, stdout, stderr) = cli(&["--channel", "sms"], &[], HI_MUM);
    assert!(ok, "{stderr}");
    assert!(
        stdout.starts_with(&format!("Scam: {}", ScamKind::FamilyFriend.name())),
        "{stdout}"
    );
    assert!(stdout.contains("“new number”"), "{stdout}");
    assert!(stdout.contains("Forward the text to 7726"), "{stdout}");
    assert!(!stdout.contains("alerts about it"), "{stdout}");

    // The same answer as JSON, and the same as the API's, once the alert exists.
    let app = TestApp::spawn(backend).await;
    let warning = publish(
        &app,
        "scam-warning",
        "Beware “Hi Mum” texts from a new number",
        "Residents have received Hi Mum messages from a new number.",
    )
    .await;
    let env = [
        (
            "BEACON_DATABASE_URL",
            std::ffi::OsStr::new(&app.database_url),
        ),
        ("BEACON_DATA_DIR", app.ctx.settings.data_dir.as_os_str()),
        (
            "BEACON_SERVER__PUBLIC_URL",
            std::ffi::OsStr::new(&app.ctx.settings.server.public_url),
        ),
    ];
    let (ok, stdout, stderr) = cli(&["--json", "--channel", "text"], &env, HI_MUM);
    assert!(ok, "{stderr}");
    let from_cli: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let from_api: serde_json::Value = api_check(
        &app,
        serde_json::json!({ "text": HI_MUM, "channel": "sms" }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(from_cli, from_api);
    assert_eq!(from_cli["related_alerts"][0]["id"], warning);

    // Bad input: the checker's own words, a failure status, nothing on stdout.
    let (ok, stdout, stderr) = cli(&[], &[], "   \n");
    assert!(!ok);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("Paste the message you want checked."),
        "{stderr}"
    );
    let (ok, _, stderr) = cli(&["--channel", "pigeon"], &[], HI_MUM);
    assert!(!ok);
    assert!(stderr.contains("not one of sms, email"), "{stderr}");
    app.stop().await;
}

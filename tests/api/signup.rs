//! A resident signs up, confirms, manages their alerts, unsubscribes and erases their account;
//! bad input gets a clear message and stores nothing.

use crate::helpers::{standard_sign_up, Backend, TestApp};
use crate::on_both_backends;
use beacon::store::SubscriberStatus;

async fn count(app: &TestApp, status: SubscriberStatus) -> i64 {
    app.ctx.store.count_subscribers(status).await.unwrap()
}

on_both_backends!(
    sign_up_confirm_manage_unsubscribe,
    sign_up_confirm_manage_unsubscribe_body
);
async fn sign_up_confirm_manage_unsubscribe_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let page = app.sign_up(&standard_sign_up("Mandy@Example.org")).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Check your email"));
    assert_eq!(count(&app, SubscriberStatus::Pending).await, 1);

    let email = app.emails(1).await.remove(0);
    assert_eq!(email.to, "Mandy@example.org");
    assert_eq!(email.subject, "Confirm your Beacon alerts");
    assert!(email.text.starts_with("Dear Mandy,"), "{}", email.text);
    assert!(email.text.contains("CB1 1PT (Home)"));
    assert!(email.html.as_deref().unwrap().contains("Dear Mandy,"));
    let unsubscribe = email.link("/unsubscribe/");
    assert_eq!(
        email.header("List-Unsubscribe").unwrap(),
        format!("<{unsubscribe}>")
    );
    assert_eq!(
        email.header("List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    assert!(email.link("/manage/").starts_with(&app.address));

    // Opening the link (as a mail scanner would) changes nothing; pressing the button confirms.
    let asked = app
        .get(&email.link("/confirm/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(asked.contains("Confirm my subscription"), "{asked}");
    assert_eq!(count(&app, SubscriberStatus::Active).await, 0);
    let confirmed = app.confirm(&email.link("/confirm/")).await;
    assert!(
        confirmed.contains("Your subscription is confirmed"),
        "{confirmed}"
    );
    assert_eq!(count(&app, SubscriberStatus::Active).await, 1);
    let again = app.confirm(&email.link("/confirm/")).await;
    assert!(
        !again.contains("/manage/"),
        "a used link does not open the settings"
    );
    assert!(
        again.contains("already confirmed"),
        "a reused link says so: {again}"
    );

    // Manage without a password: add a second place and a mobile for texts.
    let manage = email.link("/manage/");
    let path = manage.trim_start_matches(&app.address).to_owned();
    let mut fields = standard_sign_up("");
    fields.retain(|(k, _)| *k != "email");
    fields.extend([
        ("place1_postcode", "PE1 1HQ"),
        ("place1_label", "Mum's house"),
        ("mobile", "07700 900123"),
        ("channels", "sms"),
        ("sms_min_priority", "1"),
        ("quiet_start", "22:00"),
        ("quiet_end", "07:00"),
    ]);
    let saved = app.submit(&path, &path, &fields).await;
    assert_eq!(saved.status(), 200);
    let saved = saved.text().await.unwrap();
    assert!(saved.contains("texted a 6-digit code"), "{saved}");
    let subscriber = app
        .ctx
        .store
        .subscriber_by_email_key("mandy@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscriber.preferences.places.len(), 2);
    assert_eq!(
        subscriber.preferences.places[1].label.as_deref(),
        Some("Mum's house")
    );
    assert!(subscriber.preferences.sms);
    assert!(
        subscriber.mobile_confirmed_at.is_none(),
        "no texts before the number is confirmed"
    );

    // The code arrives by text; a wrong code is refused, the right one confirms.
    let text = app.texts(1).await.remove(0);
    assert_eq!(text["phone_number"], "+447700900123");
    let content = text["content"].as_str().unwrap();
    let code: String = content
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = app
        .submit(&path, &format!("{path}/mobile"), &[("code", wrong)])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("That code is not right"));
    let accepted = app
        .submit(&path, &format!("{path}/mobile"), &[("code", &code)])
        .await;
    assert!(accepted
        .text()
        .await
        .unwrap()
        .contains("Your mobile number is confirmed"));

    // Download my data.
    let data: serde_json::Value = app
        .get(&format!("{path}/data.json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(data["email"], "Mandy@example.org");
    assert_eq!(data["places"][1]["postcode"], "PE1 1HQ");
    assert_eq!(data["places"][0]["district"], "Cambridge");
    assert!(data["mobile_confirmed_at"].is_string());

    // One-click unsubscribe as a mail provider does it (RFC 8058): a POST with no cookie.
    let one_click = reqwest::Client::new()
        .post(&unsubscribe)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), 200);
    assert!(one_click
        .text()
        .await
        .unwrap()
        .contains("You have unsubscribed"));
    assert_eq!(count(&app, SubscriberStatus::Unsubscribed).await, 1);

    // Erase: everything goes.
    let erased = app
        .submit(&format!("{path}/erase"), &format!("{path}/erase"), &[])
        .await;
    assert!(erased
        .text()
        .await
        .unwrap()
        .contains("Your account has been deleted"));
    assert!(app
        .ctx
        .store
        .subscriber_by_email_key("mandy@example.org")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        app.get(&manage).await.status(),
        404,
        "the old link no longer opens anything"
    );
    app.stop().await;
}

on_both_backends!(signing_up_again_reveals_nothing, signing_up_again_body);
async fn signing_up_again_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.signed_up("tom@example.org").await;
    app.confirm(&first.link("/confirm/")).await;

    // The same address again, differently cased: the same page, no duplicate, and the resident
    // gets an email telling them they already have alerts (their choices are not changed).
    let mut fields = standard_sign_up("TOM@example.org");
    fields.retain(|(k, _)| *k != "place0_postcode");
    fields.push(("place0_postcode", "PE1 1HQ"));
    let again = app.sign_up(&fields).await;
    assert!(again.text().await.unwrap().contains("Check your email"));
    let emails = app.emails(2).await;
    assert_eq!(emails[1].subject, "You already have Beacon alerts");
    assert!(emails[1].text.contains("/manage/"));
    assert_eq!(count(&app, SubscriberStatus::Active).await, 1);
    let stored = app
        .ctx
        .store
        .subscriber_by_email_key("tom@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.preferences.places[0].postcode.as_str(), "CB1 1PT");

    // Unsubscribed, then back: a fresh confirmation, and the new choices once confirmed.
    let unsubscribe_page = app
        .get(&first.link("/unsubscribe/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(unsubscribe_page.contains("Unsubscribe from all alerts"));
    reqwest::Client::new()
        .post(first.link("/unsubscribe/"))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(count(&app, SubscriberStatus::Unsubscribed).await, 1);
    let back = app.sign_up(&fields).await;
    assert!(back.text().await.unwrap().contains("Check your email"));
    let emails = app.emails(3).await;
    assert_eq!(emails[2].subject, "Confirm your Beacon alerts");
    let confirmed = app.confirm(&emails[2].link("/confirm/")).await;
    assert!(
        confirmed.contains("Your subscription is confirmed"),
        "{confirmed}"
    );
    let stored = app
        .ctx
        .store
        .subscriber_by_email_key("tom@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, SubscriberStatus::Active);
    assert_eq!(stored.preferences.places[0].postcode.as_str(), "PE1 1HQ");
    // The first confirmation link was for the first sign-up and is spent.
    let stale = app
        .get(&first.link("/confirm/"))
        .await
        .text()
        .await
        .unwrap();
    assert!(stale.contains("already confirmed"), "{stale}");
    // Coming back revoked the links of the emails sent before.
    assert_eq!(app.get(&first.link("/manage/")).await.status(), 404);
    assert!(app
        .get(&emails[2].link("/manage/"))
        .await
        .status()
        .is_success());
    app.stop().await;
}

on_both_backends!(double_submit_stores_one, double_submit_body);
async fn double_submit_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.form_token("/").await;
    let mut form: Vec<(String, String)> = vec![("csrf".into(), token)];
    form.extend(
        standard_sign_up("twice@example.org")
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let post = || {
        app.client
            .post(format!("{}/signup", app.address))
            .form(&form)
            .send()
    };
    let (a, b) = tokio::join!(post(), post());
    assert_eq!(a.unwrap().status(), 200);
    assert_eq!(b.unwrap().status(), 200);
    assert_eq!(count(&app, SubscriberStatus::Pending).await, 1);
    app.wait_until_sent().await;
    assert_eq!(
        app.outbox_count(),
        1,
        "one confirmation email for a double click"
    );
    app.stop().await;
}

on_both_backends!(bad_input_is_refused_and_nothing_stored, bad_input_body);
async fn bad_input_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases: Vec<(&str, &str, &str)> = vec![
        (
            "email",
            "not-an-email",
            "Enter an email address in the correct format",
        ),
        (
            "email",
            "a@b.com\r\nBcc: x@y.com",
            "Enter an email address in the correct format",
        ),
        ("mobile", "01223 123456", "Enter a UK mobile number"),
        (
            "place0_postcode",
            "ZZ99 9ZZ",
            "We cannot find the postcode ZZ99 9ZZ",
        ),
        ("place0_postcode", "<b>CB1</b>", "is not a UK postcode"),
        (
            "place0_postcode",
            "<script>alert(1)</script>",
            "too long to be a postcode",
        ),
        (
            "name",
            "<script>alert(1)</script>",
            "Your name must not contain the characters",
        ),
    ];
    for (field, value, message) in cases {
        let mut fields = standard_sign_up("bad@example.org");
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let response = app.sign_up(&fields).await;
        assert_eq!(response.status(), 422, "{field}={value}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(message),
            "{field}={value}: no {message:?} in the page"
        );
        assert!(page.contains("There is a problem"));
        assert!(!page.contains("<script>alert"), "input is escaped");
    }
    let long_name = "x".repeat(10_000);
    let mut fields = standard_sign_up("bad@example.org");
    fields.retain(|(k, _)| *k != "name");
    fields.push(("name", &long_name));
    let response = app.sign_up(&fields).await;
    assert_eq!(response.status(), 422);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("100 characters or fewer"));

    // A body far over the limit is refused before it is read.
    let huge = "x".repeat(200_000);
    let mut fields = standard_sign_up("bad@example.org");
    fields.push(("place0_label", &huge));
    assert_eq!(app.sign_up(&fields).await.status(), 413);

    // No CSRF token: refused.
    let forged = app
        .client
        .post(format!("{}/signup", app.address))
        .form(&standard_sign_up("bad@example.org"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    assert_eq!(count(&app, SubscriberStatus::Pending).await, 0);
    assert_eq!(app.ctx.store.outbound_counts().await.unwrap().waiting, 0);
    app.stop().await;
}

on_both_backends!(confirmation_links_expire_and_are_single_use, links_body);
async fn links_body(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.limits.confirmation_link_hours = 0).await;
    let email = app.signed_up("late@example.org").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let expired = app
        .client
        .post(email.link("/confirm/"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 404);
    assert!(expired
        .text()
        .await
        .unwrap()
        .contains("This confirmation link has expired"));
    let tampered = app.get(&format!("{}x", email.link("/confirm/"))).await;
    assert!(tampered
        .text()
        .await
        .unwrap()
        .contains("This link is not valid"));
    assert_eq!(count(&app, SubscriberStatus::Active).await, 0);
    app.stop().await;
}

on_both_backends!(sign_ups_are_rate_limited, rate_limit_body);
async fn rate_limit_body(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.limits.signups_per_ip_per_hour = 2;
    })
    .await;
    for n in 0..2 {
        let response = app
            .sign_up(&standard_sign_up(&format!("r{n}@example.org")))
            .await;
        assert_eq!(response.status(), 200);
    }
    let limited = app.sign_up(&standard_sign_up("r3@example.org")).await;
    assert_eq!(limited.status(), 429);
    assert!(limited
        .text()
        .await
        .unwrap()
        .contains("Please try again in an hour"));
    assert_eq!(count(&app, SubscriberStatus::Pending).await, 2);
    app.stop().await;
}

on_both_backends!(json_api_sign_up, json_api_body);
async fn json_api_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    let body = serde_json::json!({
        "name": "Priya Shah",
        "email": "priya@example.org",
        "places": [{ "postcode": "pe11hq" }],
        "providers": ["report-fraud"],
        "message_types": ["scam-warning"],
        "channels": ["email"],
    });
    let created = client
        .post(app.url("/api/v1/subscriptions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202);
    let email = app.emails(1).await.remove(0);
    assert!(email.text.starts_with("Dear Priya,"));

    let invalid = client
        .post(app.url("/api/v1/subscriptions"))
        .json(&serde_json::json!({ "email": "nope", "places": [{ "postcode": "SW1A 1AA" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let problems: serde_json::Value = invalid.json().await.unwrap();
    let fields: Vec<&str> = problems["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in ["email", "name", "providers", "message_types", "channels"] {
        assert!(fields.contains(&field), "{field} missing from {problems}");
    }
    let malformed = client
        .post(app.url("/api/v1/subscriptions"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);

    let postcode: serde_json::Value = app
        .get("/api/v1/postcodes/cb11pt")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(postcode["postcode"], "CB1 1PT");
    assert_eq!(postcode["district_name"], "Cambridge");
    assert!((postcode["latitude"].as_f64().unwrap() - 52.2).abs() < 0.1);
    assert_eq!(app.get("/api/v1/postcodes/nonsense").await.status(), 400);
    let providers: serde_json::Value = app.get("/api/v1/providers").await.json().await.unwrap();
    assert_eq!(providers["providers"].as_array().unwrap().len(), 5);
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.stop().await;
}

on_both_backends!(
    no_text_before_confirmation_and_codes_are_limited,
    texts_body
);
async fn texts_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut fields = standard_sign_up("sms@example.org");
    fields.extend([("channels", "sms"), ("mobile", "07700 900321")]);
    assert_eq!(app.sign_up(&fields).await.status(), 200);
    app.wait_until_sent().await;
    assert_eq!(
        std::fs::read_dir(&app.sms_outbox).map_or(0, |e| e.count()),
        0,
        "nothing is texted before the email address is confirmed"
    );
    let email = app.emails(1).await.remove(0);
    let confirmed = app.confirm(&email.link("/confirm/")).await;
    assert!(confirmed.contains("6-digit code"), "{confirmed}");
    let text = app.texts(1).await.remove(0);
    let code: String = text["content"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();

    // Five wrong tries use the code up: even the right one is refused after that.
    let manage = email.link("/manage/");
    let path = manage.trim_start_matches(&app.address).to_owned();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let refused = app
            .submit(&path, &format!("{path}/mobile"), &[("code", wrong)])
            .await;
        assert!(refused
            .text()
            .await
            .unwrap()
            .contains("That code is not right"));
    }
    let locked = app
        .submit(&path, &format!("{path}/mobile"), &[("code", &code)])
        .await;
    assert!(locked
        .text()
        .await
        .unwrap()
        .contains("wrong code too many times"));
    let stored = app
        .ctx
        .store
        .subscriber_by_email_key("sms@example.org")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.mobile_confirmed_at.is_none());

    // New codes: a few an hour, then no more texts to that number.
    for _ in 0..2 {
        let resent = app
            .submit(&path, &format!("{path}/mobile/resend"), &[])
            .await;
        assert!(resent
            .text()
            .await
            .unwrap()
            .contains("We have sent you a new code"));
    }
    let limited = app
        .submit(&path, &format!("{path}/mobile/resend"), &[])
        .await;
    assert_eq!(limited.status(), 429);
    app.wait_until_sent().await;
    assert_eq!(std::fs::read_dir(&app.sms_outbox).unwrap().count(), 3);
    app.stop().await;
}

on_both_backends!(manage_forms_need_their_csrf_token, manage_csrf_body);
async fn manage_csrf_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = app.signed_up("csrf@example.org").await;
    app.confirm(&email.link("/confirm/")).await;
    let manage = email.link("/manage/");
    let mut fields = standard_sign_up("");
    fields.retain(|(k, _)| *k != "name" && *k != "email");
    fields.push(("name", "Someone Else"));
    // A forged form from another site: no token, no cookie.
    let forged = reqwest::Client::new()
        .post(&manage)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let erase = reqwest::Client::new()
        .post(format!("{manage}/erase"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(erase.status(), 403);
    let stored = app
        .ctx
        .store
        .subscriber_by_email_key("csrf@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.preferences.name, "Mandy Clarke");

    // HTML in a place name is refused with a message, and not stored.
    let path = manage.trim_start_matches(&app.address).to_owned();
    let mut fields = standard_sign_up("");
    fields.retain(|(k, _)| *k != "email" && *k != "place0_label");
    fields.push(("place0_label", "<img src=x onerror=alert(1)>"));
    let refused = app.submit(&path, &path, &fields).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("A place name must not contain the characters"));
    assert!(!page.contains("<img src=x"), "escaped on the page");
    app.stop().await;
}

on_both_backends!(sign_ups_per_address_are_rate_limited, email_rate_limit_body);
async fn email_rate_limit_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Each attempt changes the answers, so none is taken for a double click.
    for postcode in ["CB1 1PT", "CB2 1TN", "PE1 1HQ"] {
        let mut fields = standard_sign_up("busy@example.org");
        fields.retain(|(k, _)| *k != "place0_postcode");
        fields.push(("place0_postcode", postcode));
        assert_eq!(app.sign_up(&fields).await.status(), 200);
    }
    let limited = app.sign_up(&standard_sign_up("BUSY@example.org")).await;
    assert_eq!(limited.status(), 429);
    app.wait_until_sent().await;
    // The second and third sign-ups replaced the first link: only the latest one works. Each email
    // is told by the place it lists: emails written within one tick of the file system's clock
    // share a modification time, so their files' order says nothing.
    let emails = app.emails(3).await;
    let listing = |postcode: &str| {
        emails
            .iter()
            .find(|email| email.text.contains(postcode))
            .unwrap_or_else(|| panic!("no confirmation email lists {postcode}"))
    };
    let superseded = app
        .client
        .post(listing("CB1 1PT").link("/confirm/"))
        .send()
        .await
        .unwrap();
    assert!(superseded
        .text()
        .await
        .unwrap()
        .contains("replaced by a newer one"));
    assert!(app
        .confirm(&listing("PE1 1HQ").link("/confirm/"))
        .await
        .contains("Your subscription is confirmed"));
    app.stop().await;
}

//! A sender's compose and send flow as first-time users met it (issue 19, items 1–4): texts
//! counted with the link sending adds, a confirmation before sending, the suggested area added
//! to what was chosen, and drafts edited, duplicated and started from templates.

use crate::alerts::{alert_fields, audited, compose, resident, staff_member, THEFTS};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::store::AlertStatus;

/// The alert a response was redirected to after saving.
fn saved_id(response: &reqwest::Response) -> i64 {
    let path = response.url().path();
    path.strip_prefix("/staff/alerts/")
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not an alert's page: {}", response.url()))
}

/// Presses a workflow button on an alert's page (`/staff/alerts/{id}/{action}`).
async fn act(app: &TestApp, browser: &reqwest::Client, id: i64, action: &str) -> reqwest::Response {
    let page = browser
        .get(app.url(&format!("/staff/alerts/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Someone who may not see the alert gets no form: they post without a token.
    let csrf = hidden_value(&page, "csrf").unwrap_or_default();
    browser
        .post(app.url(&format!("/staff/alerts/{id}/{action}")))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

on_both_backends!(
    a_text_is_counted_with_the_link_sending_adds,
    text_with_link_body
);
async fn text_with_link_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    resident(&app, "a@example.org", "SG8 6DP", true).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    // The link is the public address, "/a/" and the alert's number, counted as seven digits.
    let room = 1 + format!("{}/a/1234567", app.ctx.settings.server.public_url).len();
    let own = 160 - room;

    // The compose page says how much the link takes.
    let page = browser
        .get(app.url("/staff/alerts/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "counting the link to the alert that is added at the end ({room} characters"
        )),
        "{page}"
    );

    // A text of 160 characters of its own would go out as two: refused, nothing stored.
    let full = "a".repeat(160);
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.extend([("force_area", "on"), ("sms_text", full.as_str())]);
    let refused = compose(&app, &browser, "save", &fields).await;
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains(&format!(
            "The text message is 160 characters long and the link to the alert adds {room}: \
             the limit is 160 in all, so {own} for your text"
        )),
        "{refused}"
    );
    assert!(
        refused.contains(&format!(
            "{} of 160 characters with the link: too long",
            160 + room
        )),
        "the counter counts the link: {refused}"
    );
    assert!(app
        .ctx
        .store
        .list_alerts(None, 10)
        .await
        .unwrap()
        .is_empty());

    // Kept to subscribers, an alert has no link: the whole 160 is the sender's.
    fields.push(("private", "on"));
    let private = compose(&app, &browser, "preview", &fields).await;
    assert_eq!(private.status(), 200);

    // One character fewer than the room left fits, and goes out as one text of 160 or fewer.
    let fits = "b".repeat(own);
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.extend([("force_area", "on"), ("sms_text", fits.as_str())]);
    let saved = compose(&app, &browser, "save", &fields).await;
    assert_eq!(saved.status(), 200);
    let id = saved_id(&saved);
    act(&app, &browser, id, "submit").await;
    let sent = act(&app, &browser, id, "send").await;
    assert!(
        sent.url().as_str().ends_with("?done=send"),
        "{}",
        sent.url()
    );
    let texts = app.texts(1).await;
    let content = texts[0]["content"].as_str().unwrap();
    assert_eq!(
        content,
        format!("{fits} {}/a/{id}", app.ctx.settings.server.public_url)
    );
    assert!(content.len() <= 160, "{} characters", content.len());

    // Without a text of its own, the title and the link go, the title shortened to fit.
    let title = format!(
        "Catalytic converter thefts {}",
        "in the villages ".repeat(7)
    );
    let mut fields = alert_fields(title.trim(), THEFTS);
    fields.push(("force_area", "on"));
    let saved = compose(&app, &browser, "save", &fields).await;
    let id = saved_id(&saved);
    act(&app, &browser, id, "submit").await;
    act(&app, &browser, id, "send").await;
    let texts = app.texts(2).await;
    let titled = texts
        .iter()
        .filter_map(|t| t["content"].as_str())
        .find(|c| c.ends_with(&format!("/a/{id}")))
        .unwrap();
    assert!(
        titled.starts_with("Catalytic converter thefts in the villages"),
        "{titled}"
    );
    assert!(titled.len() <= 160, "{} characters: {titled}", titled.len());
    let _ = audited;
    app.stop().await;
}

on_both_backends!(
    sending_asks_first_and_a_double_press_sends_once,
    confirm_send_body
);
async fn confirm_send_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    resident(&app, "a@example.org", "SG8 6DP", true).await;
    resident(&app, "b@example.org", "SG8 6DP", false).await;
    resident(&app, "c@example.org", "CB1 1PT", false).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.push(("force_area", "on"));
    let id = saved_id(&compose(&app, &browser, "save", &fields).await);

    // A draft cannot be sent: the page says why.
    let early = browser
        .get(app.url(&format!("/staff/alerts/{id}/send")))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 409);
    assert!(early
        .text()
        .await
        .unwrap()
        .contains("Only an alert that is ready (or scheduled) can be sent"));

    act(&app, &browser, id, "submit").await;
    // "Send now" on the alert's page leads to the question, not to sending.
    let page = browser
        .get(app.url(&format!("/staff/alerts/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "<a class=\"button\" href=\"/staff/alerts/{id}/send\">Send now</a>"
        )),
        "{page}"
    );
    let asked = browser
        .get(app.url(&format!("/staff/alerts/{id}/send")))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    let asked = asked.text().await.unwrap();
    assert!(
        asked.contains("Send to 3 residents: 3 emails, 1 text"),
        "{asked}"
    );
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert!(asked.contains(&format!(
        "<dd id=\"send-area\">{}</dd>",
        alert.content.target_description
    )));
    assert_eq!(alert.status, AlertStatus::Ready, "asking sends nothing");

    // The button pressed twice at once: one send, one copy each.
    let csrf = hidden_value(&asked, "csrf").unwrap();
    let press = || {
        browser
            .post(app.url(&format!("/staff/alerts/{id}/send")))
            .form(&[("csrf", csrf.as_str())])
            .send()
    };
    let (first, second) = tokio::join!(press(), press());
    for response in [first.unwrap(), second.unwrap()] {
        assert_eq!(response.status(), 200);
        assert!(response.url().as_str().ends_with("?done=send"));
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("Sent: the alert is on its way to residents."));
    }
    assert_eq!(audited(&app, "send", false).await.len(), 1);
    app.emails(3).await;
    app.texts(1).await;
    app.wait_until_sent().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.outbox_count(), 3, "one email per resident");
    let report = app.ctx.store.delivery_report(id).await.unwrap();
    assert_eq!((report.email.targeted, report.sms.targeted), (3, 1));
    app.stop().await;
}

on_both_backends!(
    the_suggested_area_is_added_to_the_districts_ticked,
    suggestion_keeps_choices_body
);
async fn suggestion_keeps_choices_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    resident(&app, "a@example.org", "SG8 6DP", true).await;
    resident(&app, "c@example.org", "CB1 1PT", false).await;
    resident(&app, "d@example.org", "PE1 1HQ", false).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    // Cambridge ticked, then the circle around Meldreth and Melbourn accepted: both count.
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.push(("districts", "E07000008"));
    let accepted = compose(&app, &browser, "suggest", &fields).await;
    assert_eq!(accepted.status(), 200);
    let accepted = accepted.text().await.unwrap();
    assert!(
        accepted.contains("2 residents: 2 by email and 1 by text"),
        "{accepted}"
    );
    assert!(
        accepted.contains("name=\"districts\" type=\"checkbox\" value=\"E07000008\" checked"),
        "Cambridge stays ticked: {accepted}"
    );
    assert!(
        accepted.contains("is added to the area you chose: nothing you chose is removed"),
        "{accepted}"
    );

    // A circle already chosen is the one thing replaced, and the page says so.
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.extend([
        ("districts", "E07000008"),
        ("circle_centre", "PE1 1HQ"),
        ("circle_radius", "2"),
        ("circle_unit", "km"),
    ]);
    let replaced = compose(&app, &browser, "suggest", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        replaced.contains("replaces your circle (2 km around PE1 1HQ)"),
        "{replaced}"
    );
    assert!(replaced.contains("2 residents: 2 by email and 1 by text"));
    app.stop().await;
}

on_both_backends!(
    a_draft_is_edited_and_any_alert_duplicated,
    edit_and_duplicate_body
);
async fn edit_and_duplicate_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    resident(&app, "a@example.org", "SG8 6DP", true).await;
    resident(&app, "c@example.org", "CB1 1PT", false).await;
    // Lucy's alerts need approval; Sam approves; Olly writes for another organisation.
    let (_, lucy) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, true),
    )
    .await;
    let (_, sam) = staff_member(
        &app,
        "Sam Approver",
        "cambridgeshire-constabulary",
        (false, true, false, false),
    )
    .await;
    let (_, olly) = staff_member(
        &app,
        "Olly Other",
        "cambridgeshire-fire-and-rescue",
        (true, false, false, false),
    )
    .await;
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.extend([
        ("districts", "E07000008"),
        ("exclude_centre", "CB1 1PT"),
        ("exclude_radius", "1"),
    ]);
    let id = saved_id(&compose(&app, &browser_of(&lucy), "save", &fields).await);
    act(&app, &lucy, id, "submit").await;
    assert_eq!(
        app.ctx.store.alert(id).await.unwrap().unwrap().status,
        AlertStatus::AwaitingApproval
    );

    // The alert's page offers "Edit"; the form comes filled in, the area too.
    let page = get(&app, &lucy, &format!("/staff/alerts/{id}")).await;
    assert!(
        page.contains(&format!("href=\"/staff/alerts/{id}/edit\">Edit</a>")),
        "{page}"
    );
    let form = get(&app, &lucy, &format!("/staff/alerts/{id}/edit")).await;
    assert!(
        form.contains(&format!("<h1>Edit alert {id}</h1>")),
        "{form}"
    );
    assert!(form.contains("value=\"Catalytic converter thefts\""));
    assert!(form.contains("value=\"E07000008\" checked"));
    assert!(form.contains("id=\"exclude_centre\" name=\"exclude_centre\" type=\"text\" maxlength=\"100\" value=\"CB1 1PT\""), "{form}");

    // Bad input is refused and changes nothing.
    let post = |browser: &reqwest::Client, fields: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = app.url(&format!("/staff/alerts/{id}/edit"));
        async move {
            let page = browser
                .get(&url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let mut form = vec![("csrf", hidden_value(&page, "csrf").unwrap_or_default())];
            form.extend(fields);
            browser.post(&url).form(&form).send().await.unwrap()
        }
    };
    let edited = |title: &str| {
        let mut fields: Vec<(&'static str, String)> = vec![
            ("action", "save".into()),
            ("provider", "cambridgeshire-constabulary".into()),
            ("message_type", "crime-update".into()),
            ("priority", "2".into()),
            ("title", title.to_owned()),
            ("body", THEFTS.into()),
            ("districts", "E07000008".into()),
        ];
        fields.push(("sms_text", String::new()));
        fields
    };
    let bad = post(&lucy, edited("")).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("Enter a title"));
    let unchanged = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(unchanged.content.title, "Catalytic converter thefts");
    assert_eq!(unchanged.status, AlertStatus::AwaitingApproval);

    // Another organisation's sender and an approver may not edit it; both refusals audited.
    assert_eq!(post(&olly, edited("Hijacked")).await.status(), 403);
    assert_eq!(post(&sam, edited("Approver's words")).await.status(), 403);
    assert_eq!(
        app.ctx
            .store
            .alert(id)
            .await
            .unwrap()
            .unwrap()
            .content
            .title,
        "Catalytic converter thefts"
    );

    // Lucy's change is saved, and the alert is a draft again, to be asked for approval again.
    let saved = post(&lucy, edited("Catalytic converter thefts in Cambridge")).await;
    assert_eq!(saved.status(), 200);
    assert!(
        saved.url().as_str().ends_with("?done=edited"),
        "{}",
        saved.url()
    );
    let page = saved.text().await.unwrap();
    assert!(
        page.contains("Your changes are saved. It is a draft: ask for approval when it is ready."),
        "{page}"
    );
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(
        alert.content.title,
        "Catalytic converter thefts in Cambridge"
    );
    assert_eq!(alert.status, AlertStatus::Draft);
    assert_eq!(audited(&app, "edit", false).await.len(), 1);

    // Once sent, it cannot be edited, but it can be duplicated as a new draft.
    act(&app, &lucy, id, "submit").await;
    act(&app, &sam, id, "approve").await;
    act(&app, &lucy, id, "send").await;
    let too_late = lucy
        .get(app.url(&format!("/staff/alerts/{id}/edit")))
        .send()
        .await
        .unwrap();
    assert_eq!(too_late.status(), 409);
    assert!(too_late
        .text()
        .await
        .unwrap()
        .contains("Only a draft or an alert waiting for approval can be edited"));
    assert_eq!(act(&app, &olly, id, "duplicate").await.status(), 403);
    let copied = act(&app, &lucy, id, "duplicate").await;
    assert!(
        copied.url().as_str().ends_with("?done=duplicated"),
        "{}",
        copied.url()
    );
    let copy = saved_id(&copied);
    assert_ne!(copy, id);
    assert!(copied
        .text()
        .await
        .unwrap()
        .contains("This is a copy, saved as a new draft"));
    let copy = app.ctx.store.alert(copy).await.unwrap().unwrap();
    assert_eq!(copy.status, AlertStatus::Draft);
    assert_eq!(copy.content, alert.content);
    assert_eq!(copy.signoff.name, "Lucy Ward");
    assert_eq!(audited(&app, "duplicate", false).await.len(), 1);
    app.stop().await;
}

/// A signed-in browser, as is.
fn browser_of(browser: &reqwest::Client) -> reqwest::Client {
    browser.clone()
}

async fn get(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    browser
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

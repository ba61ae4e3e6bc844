//! Senders compose, preview, target and move alerts through their workflow; bad input and
//! permission breaches are refused, with the breaches audited.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::staff::StaffInput;
use beacon::domain::subscriber::{EmailFormat, Place, Preferences};
use beacon::domain::{catalogue, Postcode, Priority};
use beacon::services::alerts::{self, AlertAction};
use beacon::services::staff::{self as staff_service, Actor};
use beacon::store::{AlertStatus, AuditFilter, NewSubscriber, StaffMember};

const PASSWORD: &str = "a long and memorable password";

/// A member of staff, enrolled, and a browser signed in as them.
pub(crate) async fn staff_member(
    app: &TestApp,
    name: &str,
    provider: &str,
    permissions: (bool, bool, bool, bool),
) -> (StaffMember, reqwest::Client) {
    let (send, approve, admin, needs_approval) = permissions;
    let email = format!("{}@staff.example", name.to_lowercase().replace(' ', "."));
    let input = StaffInput {
        email: email.clone(),
        name: name.into(),
        role_title: "Communications Assistant".into(),
        area_label: "Peterborough and Fenland".into(),
        provider: provider.into(),
        send,
        approve,
        admin,
        needs_approval,
        ..StaffInput::default()
    };
    let actor = Actor {
        staff: None,
        ip: "test",
    };
    let (staff, _) = staff_service::create_staff(&app.ctx, &actor, &input)
        .await
        .unwrap();
    let secret = staff_service::new_totp_secret();
    staff_service::enrol_for_demo(&app.ctx, &staff, PASSWORD, &secret)
        .await
        .unwrap();
    let browser = TestApp::client();
    let code = staff_service::current_code(&secret).unwrap();
    let signed_in = app.sign_in_with(&browser, &email, PASSWORD, &code).await;
    assert_eq!(signed_in.url().path(), "/staff");
    (
        app.ctx.store.staff(staff.id).await.unwrap().unwrap(),
        browser,
    )
}

/// A confirmed resident at a postcode, choosing everything; texts if `sms`.
pub(crate) async fn resident(app: &TestApp, email: &str, postcode: &str, sms: bool) {
    let preferences = Preferences {
        name: "Resident".into(),
        mobile: sms.then(|| beacon::domain::MobileNumber::parse("07700 900123").unwrap()),
        places: vec![Place {
            postcode: Postcode::parse(postcode).unwrap(),
            label: None,
        }],
        providers: catalogue::PROVIDERS
            .iter()
            .map(|p| p.slug.to_owned())
            .collect(),
        message_types: catalogue::MESSAGE_TYPES
            .iter()
            .map(|m| m.slug.to_owned())
            .collect(),
        email: true,
        sms,
        sms_min_priority: Priority::new(2).unwrap(),
        quiet_hours: None,
        email_format: EmailFormat::Full,
    };
    let new = NewSubscriber {
        public_id: email.into(),
        email: beacon::domain::EmailAddress::parse(email).unwrap(),
        email_key: email.into(),
        preferences,
        confirm_nonce: "n".into(),
        // Now, not long ago: the hourly purge deletes sign-ups left unconfirmed for a week.
        now: chrono::Utc::now().timestamp(),
    };
    let store = &app.ctx.store;
    let id = store.insert_pending_subscriber(&new, None).await.unwrap();
    store.confirm_subscriber(id, "n", new.now).await.unwrap();
    if sms {
        store.confirm_mobile(id, new.now).await.unwrap();
    }
}

/// Posts the compose form with `fields` and the button `action`.
pub(crate) async fn compose(
    app: &TestApp,
    browser: &reqwest::Client,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = browser
        .get(app.url("/staff/alerts/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&page, "csrf").expect("the compose form has a CSRF field");
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("action", action)];
    form.extend_from_slice(fields);
    browser
        .post(app.url("/staff/alerts/new"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

pub(crate) const THEFTS: &str = "There have been a number of catalytic converter thefts in the villages of Meldreth and Melbourn over the past week.\n\n- Park in a garage if you can\n- Report anything suspicious on 101";

pub(crate) fn alert_fields<'a>(title: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("provider", "cambridgeshire-constabulary"),
        ("message_type", "crime-update"),
        ("priority", "2"),
        ("title", title),
        ("body", body),
    ]
}

pub(crate) async fn audited(app: &TestApp, action: &str, refused: bool) -> Vec<String> {
    let filter = AuditFilter {
        limit: 1_000,
        ..AuditFilter::default()
    };
    app.ctx
        .store
        .audit_entries(&filter)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action && (e.outcome == "refused") == refused)
        .map(|e| e.detail)
        .collect()
}

on_both_backends!(compose_preview_and_schedule, compose_body);
async fn compose_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Residents in Melbourn and Meldreth (SG8 6), one in Cambridge (CB1), one in Peterborough.
    resident(&app, "a@example.org", "SG8 6DP", true).await;
    resident(&app, "b@example.org", "SG8 6DP", false).await;
    resident(&app, "c@example.org", "CB1 1PT", false).await;
    resident(&app, "d@example.org", "PE1 1HQ", true).await;
    let (lucy, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;

    // The composer names the villages; the preview suggests an area covering them.
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.push(("force_area", "on"));
    let preview = compose(&app, &browser, "preview", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        preview.contains("4 residents: 4 by email and 2 by text"),
        "force-wide: {preview}"
    );
    assert!(preview.contains("Suggested area"), "{preview}");
    assert!(preview.contains("Meldreth") && preview.contains("Melbourn"));
    assert!(preview.contains("<svg"), "a map of the audience");

    // Accepted with nothing else chosen, the suggested circle is the area.
    let fields = alert_fields("Catalytic converter thefts", THEFTS);
    let accepted = compose(&app, &browser, "suggest", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        accepted.contains("2 residents: 2 by email and 1 by text"),
        "{accepted}"
    );
    assert!(
        accepted.contains("South Cambridgeshire"),
        "counted by district: {accepted}"
    );
    let grid = hidden_value(&accepted, "circle_grid").unwrap();
    assert!(!grid.is_empty());

    // A shape drawn on the map (grid corners, as the page's script sends them) around Melbourn.
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.push((
        "polygon_grid",
        "535000,241000;541000,241000;541000,247000;535000,247000",
    ));
    let drawn = compose(&app, &browser, "preview", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        drawn.contains("2 residents: 2 by email and 1 by text"),
        "{drawn}"
    );
    assert!(
        drawn.contains("data-scale="),
        "the map carries its grid mapping for drawing"
    );

    // Save the suggested target as a draft, then take it through the workflow.
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    let radius = accepted
        .split("name=\"circle_radius\"")
        .nth(1)
        .and_then(|s| s.split("value=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    fields.extend([
        ("circle_centre", "Meldreth, Melbourn"),
        ("circle_grid", grid.as_str()),
        ("circle_radius", radius.as_str()),
        ("circle_unit", "km"),
    ]);
    let saved = compose(&app, &browser, "save", &fields).await;
    assert!(
        saved.url().path().starts_with("/staff/alerts/"),
        "{}",
        saved.url()
    );
    let id: i64 = saved
        .url()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = saved.text().await.unwrap();
    assert!(page.contains("The draft is saved"));
    assert!(page.contains("Message Sent By"));
    assert!(page.contains(
        "(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)"
    ));
    assert!(
        page.contains("<li>Park in a garage if you can</li>"),
        "the body is rendered: {page}"
    );

    let act = |action: &'static str, extra: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let app_url = app.url(&format!("/staff/alerts/{id}"));
        async move {
            let page = browser
                .get(&app_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let csrf = hidden_value(&page, "csrf").unwrap();
            let mut form = vec![("csrf", csrf)];
            form.extend(extra);
            browser
                .post(format!("{app_url}/{action}"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    assert!(act("submit", vec![])
        .await
        .text()
        .await
        .unwrap()
        .contains("Ready to send"));
    let test = act("test", vec![]).await.text().await.unwrap();
    assert!(test.contains("A test has been sent to lucy.ward@staff.example"));
    let emails = app.emails(1).await;
    assert!(emails[0].subject.starts_with(&format!(
        "[TEST] Catalytic converter thefts | Cambridgeshire Constabulary | Alert {id}"
    )));
    let lines: Vec<&str> = emails[0].text.lines().map(str::trim_end).collect();
    let signed = lines.windows(3).any(|w| {
        w == [
            "Message Sent By",
            "Lucy Ward",
            "(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)",
        ]
    });
    assert!(signed, "{}", emails[0].text);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let scheduled = act("schedule", vec![("at", tomorrow)])
        .await
        .text()
        .await
        .unwrap();
    assert!(scheduled.contains("Scheduled"), "{scheduled}");
    assert_eq!(
        app.ctx.store.alert(id).await.unwrap().unwrap().status,
        AlertStatus::Scheduled
    );
    let past = act("schedule", vec![("at", "2020-01-01T09:00".into())]).await;
    assert_eq!(
        past.status(),
        409,
        "only a ready alert can be scheduled, and never in the past"
    );
    assert!(act("cancel", vec![])
        .await
        .text()
        .await
        .unwrap()
        .contains("nothing will be sent"));
    assert_eq!(
        app.ctx.store.alert(id).await.unwrap().unwrap().status,
        AlertStatus::Cancelled
    );
    assert_eq!(audited(&app, "schedule", false).await.len(), 1);
    assert_eq!(audited(&app, "cancel", false).await.len(), 1);
    let _ = lucy;
    app.stop().await;
}

on_both_backends!(bad_alerts_are_refused_and_nothing_stored, bad_alert_body);
async fn bad_alert_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let long_body = "x".repeat(20_001);
    let crossing = r#"{"type":"Polygon","coordinates":[[[0.0,52.0],[0.1,52.1],[0.1,52.0],[0.0,52.1],[0.0,52.0]]]}"#;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("title", ""), ("force_area", "on")], "Enter a title"),
        (
            vec![
                ("title", "Thefts\r\nBcc: everyone@example.org"),
                ("force_area", "on"),
            ],
            "Line breaks are not allowed",
        ),
        (
            vec![("body", long_body.as_str()), ("force_area", "on")],
            "20,000",
        ),
        (
            vec![("circle_centre", "SG8 6DP"), ("circle_radius", "0")],
            "Enter a radius greater than 0",
        ),
        (
            vec![("circle_centre", "SG8 6DP"), ("circle_radius", "300")],
            "200 km",
        ),
        (
            vec![("circle_centre", "Nowhereville"), ("circle_radius", "5")],
            "We cannot find a place called",
        ),
        (vec![("polygon", crossing)], "crosses itself"),
        (vec![("polygon", "{not json")], "could not be read"),
        (
            vec![("title", "<script>alert(1)</script>"), ("force_area", "on")],
            "A title cannot contain",
        ),
        (vec![], "Choose where the alert is for"),
    ];
    for (overrides, expected) in cases {
        let mut fields = alert_fields("Thefts", "Some thefts.");
        for (key, value) in &overrides {
            fields.retain(|(k, _)| k != key);
            fields.push((key, value));
        }
        let refused = compose(&app, &browser, "save", &fields).await;
        assert_eq!(refused.status(), 422, "{overrides:?}");
        let page = refused.text().await.unwrap();
        assert!(page.contains("There is a problem"), "{overrides:?}");
        assert!(
            page.contains(expected),
            "{overrides:?}: no {expected:?} in the page"
        );
        assert!(!page.contains("<script>alert(1)"), "escaped");
    }
    // Writing as another organisation: refused, audited, nothing stored.
    let mut fields = alert_fields("Thefts", "Some thefts.");
    fields.retain(|(k, _)| *k != "provider");
    fields.extend([("provider", "report-fraud"), ("force_area", "on")]);
    assert_eq!(compose(&app, &browser, "save", &fields).await.status(), 403);
    assert_eq!(
        audited(&app, "compose", true).await,
        vec!["writing as another organisation"]
    );
    assert!(app
        .ctx
        .store
        .list_alerts(None, 10)
        .await
        .unwrap()
        .is_empty());
    app.stop().await;
}

/// Every role against every action, on its own organisation's alert and another's.
#[tokio::test]
async fn permission_matrix() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let constabulary = |p| (p, "cambridgeshire-constabulary");
    let roles = [
        ("sender", constabulary((true, false, false, false))),
        (
            "sender needing approval",
            constabulary((true, false, false, true)),
        ),
        ("approver", constabulary((false, true, false, false))),
        ("admin", ((false, false, true, false), "report-fraud")),
        ("no permissions", constabulary((false, false, false, false))),
    ];
    let mut members = Vec::new();
    for (role, (permissions, provider)) in roles {
        let (staff, _) = staff_member(
            &app,
            &format!("Staff {}", members.len()),
            provider,
            permissions,
        )
        .await;
        members.push((role, staff));
    }
    let author = &members[0].1;
    let (fraud_author, _) = staff_member(
        &app,
        "Fraud Sender",
        "report-fraud",
        (true, false, false, false),
    )
    .await;

    // A draft of the constabulary (by `author`) and one of Report Fraud.
    let input = |provider: &str| alerts::AlertInput {
        provider: provider.into(),
        message_type: "scam-warning".into(),
        priority: "3".into(),
        title: "Courier fraud".into(),
        body: "Callers claiming to be police officers.".into(),
        force_area: Some("on".into()),
        ..alerts::AlertInput::default()
    };
    let own = alerts::save_draft(
        &app.ctx,
        &Actor {
            staff: Some(author),
            ip: "t",
        },
        &input("cambridgeshire-constabulary"),
    )
    .await
    .unwrap();
    let other = alerts::save_draft(
        &app.ctx,
        &Actor {
            staff: Some(&fraud_author),
            ip: "t",
        },
        &input("report-fraud"),
    )
    .await
    .unwrap();
    let own = app.ctx.store.alert(own).await.unwrap().unwrap();
    let other = app.ctx.store.alert(other).await.unwrap().unwrap();

    let actions = [
        ("submit", AlertAction::Submit),
        ("approve", AlertAction::Approve),
        ("send", AlertAction::SendNow),
        ("cancel", AlertAction::Cancel),
        ("test-send", AlertAction::TestSend),
    ];
    // (role, action, own organisation?) → allowed?
    let expected = |role: &str, action: &str, own_org: bool, is_author: bool| -> bool {
        match (role, action) {
            ("admin", "approve") => true,
            ("admin", _) => true,
            ("no permissions", _) => false,
            (_, "approve") => role == "approver" && own_org && !is_author,
            // A test send is sending: approving is not enough.
            ("approver", "test-send") => false,
            ("approver", _) => own_org,
            (_, _) => own_org,
        }
    };
    let mut table = Vec::new();
    for (role, staff) in &members {
        for (name, action) in actions {
            for (alert, own_org) in [(&own, true), (&other, false)] {
                let is_author = alert.author_staff_id == Some(staff.id);
                let allowed = alerts::permission(staff, alert, action).is_ok();
                table.push(format!(
                    "{role:<24} {name:<8} {} {}",
                    if own_org { "own  " } else { "other" },
                    if allowed { "yes" } else { "no" }
                ));
                assert_eq!(
                    allowed,
                    expected(role, name, own_org, is_author),
                    "{role} {name} own={own_org}\n{}",
                    table.join("\n")
                );
            }
        }
    }
    // The author may not approve their own alert, even as an approver would; it is audited.
    let submitted = alerts::act(
        &app.ctx,
        &Actor {
            staff: Some(author),
            ip: "t",
        },
        &own,
        AlertAction::Submit,
    )
    .await
    .unwrap();
    assert_eq!(
        submitted,
        AlertStatus::Ready,
        "a sender without the approval rule makes it ready"
    );
    let refused = alerts::act(
        &app.ctx,
        &Actor {
            staff: Some(&members[4].1),
            ip: "t",
        },
        &own,
        AlertAction::SendNow,
    )
    .await;
    assert!(refused.is_err());
    assert!(audited(&app, "send", true)
        .await
        .iter()
        .any(|d| d.contains("sender permission")));
    app.stop().await;
}

on_both_backends!(approval_is_by_someone_else, approval_body);
async fn approval_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (junior, _) = staff_member(
        &app,
        "Junior Sender",
        "cambridgeshire-constabulary",
        (true, true, false, true),
    )
    .await;
    let (approver, _) = staff_member(
        &app,
        "Sam Patel",
        "cambridgeshire-constabulary",
        (false, true, false, false),
    )
    .await;
    let input = alerts::AlertInput {
        provider: "cambridgeshire-constabulary".into(),
        message_type: "appeal".into(),
        priority: "3".into(),
        title: "Appeal for witnesses".into(),
        body: "Did you see anything?".into(),
        districts: vec!["E07000008".into()],
        ..alerts::AlertInput::default()
    };
    let by_junior = Actor {
        staff: Some(&junior),
        ip: "t",
    };
    let id = alerts::save_draft(&app.ctx, &by_junior, &input)
        .await
        .unwrap();
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(alert.content.target_description, "Cambridge");
    assert_eq!(
        alerts::act(&app.ctx, &by_junior, &alert, AlertAction::Submit)
            .await
            .unwrap(),
        AlertStatus::AwaitingApproval
    );
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    // Not sendable before approval, and not approvable by its own author (who is an approver).
    assert!(
        alerts::act(&app.ctx, &by_junior, &alert, AlertAction::SendNow)
            .await
            .is_err()
    );
    assert!(
        alerts::act(&app.ctx, &by_junior, &alert, AlertAction::Approve)
            .await
            .is_err()
    );
    assert!(audited(&app, "approve", true)
        .await
        .iter()
        .any(|d| d.contains("own alerts")));
    let by_approver = Actor {
        staff: Some(&approver),
        ip: "t",
    };
    assert_eq!(
        alerts::act(&app.ctx, &by_approver, &alert, AlertAction::Approve)
            .await
            .unwrap(),
        AlertStatus::Ready
    );
    let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(alert.approver_staff_id, Some(approver.id));
    assert_eq!(
        alerts::act(&app.ctx, &by_junior, &alert, AlertAction::SendNow)
            .await
            .unwrap(),
        AlertStatus::Queued
    );

    // A sent alert can be updated or withdrawn by a follow-up that refers to it.
    let follow_up = alerts::AlertInput {
        title: "Withdrawn: Appeal for witnesses".into(),
        follows: Some(id),
        follow_up: "cancel".into(),
        ..input.clone()
    };
    let follow_id = alerts::save_draft(&app.ctx, &by_junior, &follow_up)
        .await
        .unwrap();
    let follow = app.ctx.store.alert(follow_id).await.unwrap().unwrap();
    assert_eq!(
        (follow.follows_alert_id, follow.follow_up.as_deref()),
        (Some(id), Some("cancel"))
    );
    // Only a sent alert can be followed up.
    let bad = alerts::AlertInput {
        follows: Some(follow_id),
        follow_up: "update".into(),
        ..input
    };
    assert!(alerts::save_draft(&app.ctx, &by_junior, &bad)
        .await
        .is_err());
    app.stop().await;
}

on_both_backends!(
    api_tokens_compose_and_send_for_one_organisation,
    api_token_body
);
async fn api_token_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = staff_member(
        &app,
        "Alex Morgan",
        "cambridgeshire-constabulary",
        (false, false, true, false),
    )
    .await;
    let (sender, _) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let by_admin = Actor {
        staff: Some(&admin),
        ip: "t",
    };
    // Only admins make tokens.
    assert!(beacon::services::api_tokens::create(
        &app.ctx,
        &Actor {
            staff: Some(&sender),
            ip: "t"
        },
        "report-fraud",
        "Website"
    )
    .await
    .is_err());
    let token = beacon::services::api_tokens::create(
        &app.ctx,
        &by_admin,
        "report-fraud",
        "Report Fraud case system",
    )
    .await
    .unwrap();
    let tokens = app.ctx.store.list_api_tokens().await.unwrap();
    assert_eq!(tokens.len(), 1);

    let client = reqwest::Client::new();
    let alert = serde_json::json!({
        "message_type": "scam-warning",
        "priority": "2",
        "title": "Courier fraud calls",
        "body": "Callers are pretending to be police officers and asking for bank cards.",
        "force_area": "on"
    });
    let post = |bearer: String, body: serde_json::Value| {
        client
            .post(app.url("/api/v1/alerts"))
            .bearer_auth(bearer)
            .json(&body)
            .send()
    };
    assert_eq!(
        post("bcn_nonsense".into(), alert.clone())
            .await
            .unwrap()
            .status(),
        401
    );
    let created = post(token.clone(), alert.clone()).await.unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["status"], "ready");
    assert_eq!(created["provider"], "Report Fraud");
    // Signed off by the organisation, not by the token's name (issue 19, item 8)...
    assert_eq!(created["signoff"][1], "Report Fraud");
    assert_eq!(created["signoff"][2], "");
    let id = created["id"].as_i64().unwrap();

    // ...or by the sender the client names; the token's name stays in the audit log.
    let mut named = alert.clone();
    named["sender"] = serde_json::json!({
        "name": "Sarah Jones",
        "role": "Fraud Protect Officer",
        "area": "Eastern Region"
    });
    let signed: serde_json::Value = post(token.clone(), named)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        signed["signoff"],
        serde_json::json!([
            "Message Sent By",
            "Sarah Jones",
            "(Report Fraud, Fraud Protect Officer, Eastern Region)"
        ])
    );
    let log = app
        .ctx
        .store
        .audit_entries(&beacon::store::AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        log[0].actor,
        "API token “Report Fraud case system” (Report Fraud)"
    );
    // A sender is checked as staff names are: every problem at once, nothing stored.
    let before = app.ctx.store.list_alerts(None, 1_000).await.unwrap().len();
    let mut bad_sender = alert.clone();
    bad_sender["title"] = "".into();
    bad_sender["sender"] = serde_json::json!({ "name": "<script>", "role": "x".repeat(101) });
    let refused = post(token.clone(), bad_sender).await.unwrap();
    assert_eq!(refused.status(), 422);
    let problems: serde_json::Value = refused.json().await.unwrap();
    let fields: Vec<&str> = problems["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "sender.name", "sender.role"]);
    assert_eq!(
        app.ctx.store.list_alerts(None, 1_000).await.unwrap().len(),
        before
    );

    // Not for another organisation; problems come back field by field.
    let mut other = alert.clone();
    other["provider"] = "cambridgeshire-constabulary".into();
    assert_eq!(post(token.clone(), other).await.unwrap().status(), 403);
    let mut bad = alert.clone();
    bad["title"] = "".into();
    let bad = post(token.clone(), bad).await.unwrap();
    assert_eq!(bad.status(), 422);
    let problems: serde_json::Value = bad.json().await.unwrap();
    assert_eq!(problems["errors"][0]["field"], "title");

    let sent: serde_json::Value = client
        .post(app.url(&format!("/api/v1/alerts/{id}/send")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["status"], "queued");
    // A sent alert's delivery is counted, channel by channel, for the system that sent it.
    assert!(sent["delivery"]["email"]["targeted"].is_i64(), "{sent}");
    assert!(sent["delivery"]["sms"]["sent"].is_i64(), "{sent}");
    let log = app
        .ctx
        .store
        .audit_entries(&AuditFilter {
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.actor.contains("Report Fraud case system")
            && e.action == "send"
            && e.outcome == "ok"));
    assert!(log.iter().any(|e| e.action == "compose"
        && e.outcome == "refused"
        && e.detail == "writing as another organisation"));

    // Revoked: refused from then on.
    beacon::services::api_tokens::revoke(&app.ctx, &by_admin, tokens[0].id)
        .await
        .unwrap();
    assert_eq!(post(token, alert).await.unwrap().status(), 401);
    app.stop().await;
}

on_both_backends!(
    a_circle_centre_named_beside_its_grid_position_is_checked,
    circle_centre_name_body
);
async fn circle_centre_name_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, browser) = staff_member(
        &app,
        "Alex Morgan",
        "cambridgeshire-constabulary",
        (true, false, true, false),
    )
    .await;
    let long = "x".repeat(30_000);
    let cases = [
        (long.as_str(), "30000 characters long: the limit is 100"),
        ("Melbourn\u{7}\u{1b}[2J", "cannot contain line breaks"),
        ("Melbourn\r\nRoyston", "cannot contain line breaks"),
    ];
    // Through the compose form, as a page sends an accepted suggestion: a grid position and
    // the name of its centre.
    for (name, expected) in cases {
        let mut fields = alert_fields("Thefts", "Some thefts.");
        fields.extend([
            ("circle_centre", name),
            ("circle_grid", "538184,244462"),
            ("circle_radius", "2"),
            ("circle_unit", "km"),
        ]);
        let refused = compose(&app, &browser, "save", &fields).await;
        assert_eq!(refused.status(), 422, "{:?}", &name[..name.len().min(20)]);
        let page = refused.text().await.unwrap();
        assert!(page.contains("There is a problem"));
        assert!(page.contains(expected), "no {expected:?} in the page");
    }
    // Through the JSON API.
    let token = beacon::services::api_tokens::create(
        &app.ctx,
        &Actor {
            staff: Some(&admin),
            ip: "t",
        },
        "cambridgeshire-constabulary",
        "Force website",
    )
    .await
    .unwrap();
    for (name, expected) in cases {
        let refused = reqwest::Client::new()
            .post(app.url("/api/v1/alerts"))
            .bearer_auth(&token)
            .json(&serde_json::json!({
                "message_type": "crime-update",
                "priority": "2",
                "title": "Thefts",
                "body": "Some thefts.",
                "circle_centre": name,
                "circle_grid": "538184,244462",
                "circle_radius": "2",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
        let problems: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(
            problems["errors"][0]["field"], "circle_centre",
            "{problems}"
        );
        let message = problems["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(expected), "{problems}");
    }
    assert!(
        app.ctx
            .store
            .list_alerts(None, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );

    // A centre named as a place is named so.
    let mut fields = alert_fields("Thefts", "Some thefts.");
    fields.extend([
        ("circle_centre", "  Melbourn "),
        ("circle_grid", "538184,244462"),
        ("circle_radius", "2"),
        ("circle_unit", "km"),
    ]);
    let saved = compose(&app, &browser, "save", &fields).await;
    let page = saved.text().await.unwrap();
    assert!(page.contains("The draft is saved"), "{page}");
    assert!(page.contains("Within 2 km of Melbourn"), "{page}");
    app.stop().await;
}

on_both_backends!(
    a_test_send_needs_the_sender_permission,
    test_send_permission_body
);
async fn test_send_permission_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (lucy, lucy_browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let (_, approver_browser) = staff_member(
        &app,
        "Sam Patel",
        "cambridgeshire-constabulary",
        (false, true, false, false),
    )
    .await;
    let draft = alerts::AlertInput {
        provider: "cambridgeshire-constabulary".into(),
        message_type: "crime-update".into(),
        priority: "3".into(),
        title: "Catalytic converter thefts".into(),
        body: "Park in a garage if you can.".into(),
        force_area: Some("on".into()),
        ..alerts::AlertInput::default()
    };
    let id = alerts::save_draft(
        &app.ctx,
        &Actor {
            staff: Some(&lucy),
            ip: "t",
        },
        &draft,
    )
    .await
    .unwrap();
    let page_url = app.url(&format!("/staff/alerts/{id}"));

    // An approver of the same organisation sees the draft but is offered no test send, and one
    // posted anyway is refused, audited, and sends nothing.
    let page = approver_browser
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Catalytic converter thefts"), "{page}");
    assert!(!page.contains("Send a test to myself"), "{page}");
    let csrf = hidden_value(&page, "csrf").unwrap();
    let refused = approver_browser
        .post(format!("{page_url}/test"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(audited(&app, "test-send", true)
        .await
        .iter()
        .any(|d| d.contains("sender permission")));
    app.wait_until_sent().await;
    assert_eq!(app.outbox_count(), 0, "no test email for the approver");

    // The sender who wrote it may.
    let page = lucy_browser
        .get(&page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Send a test to myself"), "{page}");
    let csrf = hidden_value(&page, "csrf").unwrap();
    let sent = lucy_browser
        .post(format!("{page_url}/test"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert!(sent
        .text()
        .await
        .unwrap()
        .contains("A test has been sent to lucy.ward@staff.example"));
    let emails = app.emails(1).await;
    assert_eq!(emails[0].to, "lucy.ward@staff.example");
    assert!(
        emails[0].subject.starts_with("[TEST] "),
        "{}",
        emails[0].subject
    );
    app.stop().await;
}

on_both_backends!(
    a_sender_previews_only_their_own_organisations_audience,
    preview_another_organisation_body
);
async fn preview_another_organisation_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    // Her own organisation's alert: the audience is counted.
    let mut own = alert_fields("Thefts", "Some thefts.");
    own.push(("force_area", "on"));
    let page = compose(&app, &browser, "preview", &own).await;
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("id=\"audience-summary\""));
    // Another organisation's: refused and audited, its audience not shown.
    let mut other = alert_fields("Thefts", "Some thefts.");
    other.retain(|(k, _)| *k != "provider");
    other.extend([("provider", "report-fraud"), ("force_area", "on")]);
    let refused = compose(&app, &browser, "preview", &other).await;
    assert_eq!(refused.status(), 403);
    assert!(!refused
        .text()
        .await
        .unwrap()
        .contains("id=\"audience-summary\""));
    assert_eq!(
        audited(&app, "compose", true).await,
        vec!["writing as another organisation"]
    );
    app.stop().await;
}

on_both_backends!(
    the_audience_map_shows_only_whole_busy_squares,
    audience_squares_body
);
/// The preview's map cannot locate a household: it shows residents per 1 km grid square, only
/// squares with at least five, at the square's corners and no finer; the counts the sender
/// reads are every resident's.
async fn audience_squares_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Six residents on one Melbourn postcode, two in Cambridge, one in Peterborough.
    for n in 0..6 {
        resident(&app, &format!("melbourn{n}@example.org"), "SG8 6DP", false).await;
    }
    resident(&app, "c1@example.org", "CB1 1PT", false).await;
    resident(&app, "c2@example.org", "CB1 1PT", false).await;
    resident(&app, "p@example.org", "PE1 1HQ", true).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let mut fields = alert_fields("Road closed", "The A10 is closed for resurfacing.");
    fields.push(("force_area", "on"));
    let page = compose(&app, &browser, "preview", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("9 residents: 9 by email and 1 by text"),
        "every resident counted: {page}"
    );

    let svg = page
        .split("<div class=\"map\">")
        .nth(1)
        .and_then(|s| s.split("</svg>").next())
        .expect("a map");
    assert!(
        !svg.contains("stroke-linecap=\"round\""),
        "no dot per postcode: {svg}"
    );
    let attribute = |name: &str| -> f64 {
        svg.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {svg}"))
    };
    let (min_e, max_n, scale) = (
        attribute("data-min-e"),
        attribute("data-max-n"),
        attribute("data-scale"),
    );
    // One square drawn: Melbourn's six. Cambridge's two and Peterborough's one are too few.
    let squares: Vec<&str> = svg.split("<path data-residents=\"").skip(1).collect();
    assert_eq!(squares.len(), 1, "{svg}");
    assert!(squares[0].starts_with("5-9\""), "{svg}");
    let d = squares[0]
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(d.matches('M').count(), 1, "{d}");
    // Its corner, in grid metres, is a whole kilometre; so is its side.
    let numbers: Vec<f64> = d
        .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let (easting, northing) = (min_e + numbers[0] / scale, max_n - numbers[1] / scale);
    // The SVG prints a tenth of a pixel: a whole kilometre, give or take that much of the map.
    let precision = (0.051 / scale).max(1.0);
    let whole_km = |metres: f64| (metres - (metres / 1000.0).round() * 1000.0).abs() < precision;
    assert!(
        whole_km(easting) && whole_km(northing),
        "({easting}, {northing})"
    );
    assert!(whole_km(numbers[2] / scale), "side {}", numbers[2] / scale);
    assert!(svg.contains("(1 shown)"), "{svg}");
    app.stop().await;
}

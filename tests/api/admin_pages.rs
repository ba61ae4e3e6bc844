//! The admin pages as an admin uses them: a saved form sends the browser on (so a refresh posts
//! nothing and brings no banner back), and the audit log reads in UK time with a list of actions
//! to filter by.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{add_staff, enrol, sign_in, PASSWORD};
use beacon::services::staff as staff_service;

/// A running Beacon with an enrolled admin, and the admin's authenticator key.
async fn admin(backend: Backend) -> (TestApp, String) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let (secret, _) = enrol(&app, &link).await;
    (app, secret)
}

/// The admin's browser, signed in, that shows each redirect rather than following it.
async fn step_by_step(app: &TestApp, secret: &str) -> reqwest::Client {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let code = staff_service::current_code(secret).unwrap();
    let signed_in = app
        .sign_in_with(&browser, "alex@cambs.police.example", PASSWORD, &code)
        .await;
    assert_eq!(signed_in.status(), 303, "signed in and sent to /staff");
    browser
}

/// Posts `fields` (with the page's CSRF token) to `path`; expects to be sent on by a `303`, and
/// returns where to.
async fn post_expecting_redirect(
    browser: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let page = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = hidden_value(&page.text().await.unwrap(), "csrf").unwrap();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let saved = browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303, "a saved form sends the browser on");
    saved.headers()["location"].to_str().unwrap().to_owned()
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

on_both_backends!(saved_admin_forms_redirect_and_say_so_once, redirect_body);
async fn redirect_body(backend: Backend) {
    let (app, secret) = admin(backend).await;
    let browser = step_by_step(&app, &secret).await;

    // An organisation: the browser is sent to the list, which says it is saved, once.
    let list = "/staff/admin/organisations";
    let fields = [
        ("name", "Huntingdon Town Council"),
        ("description", "Your town council."),
    ];
    let to = post_expecting_redirect(&browser, &app, list, &fields).await;
    assert_eq!(to, list);
    let count = app.ctx.store.providers().await.unwrap().len();
    let html = page(&browser, &app, &to).await;
    assert!(html.contains("Huntingdon Town Council is saved."), "{html}");
    // A refresh is a GET of the list: no banner, nothing saved twice.
    let again = page(&browser, &app, &to).await;
    assert!(!again.contains("is saved"), "the banner came back: {again}");
    assert_eq!(app.ctx.store.providers().await.unwrap().len(), count);

    // A member of staff changed: the same.
    let before = app.ctx.store.list_staff().await.unwrap();
    add_staff(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let lucy = app
        .ctx
        .store
        .list_staff()
        .await
        .unwrap()
        .into_iter()
        .find(|s| !before.iter().any(|t| t.id == s.id))
        .unwrap();
    let edit = format!("/staff/admin/staff/{}/edit", lucy.public_id);
    let fields = [
        ("email", "lucy@cambs.police.example"),
        ("name", "Lucy Ward-Hall"),
        ("role_title", "Communications Officer"),
        ("area_label", "Fenland"),
        ("provider", "cambridgeshire-constabulary"),
        ("send", "on"),
        ("active", "on"),
    ];
    let to = post_expecting_redirect(&browser, &app, &edit, &fields).await;
    assert_eq!(to, "/staff/admin/staff");
    let html = page(&browser, &app, &to).await;
    assert!(html.contains("Lucy Ward-Hall has been changed."), "{html}");
    let again = page(&browser, &app, &to).await;
    assert!(!again.contains("has been changed"), "{again}");

    // A new API token is shown once, on the page the browser is sent to, and never again.
    let tokens = "/staff/admin/tokens";
    let fields = [
        ("name", "Force website CMS"),
        ("provider", "cambridgeshire-constabulary"),
    ];
    let to = post_expecting_redirect(&browser, &app, tokens, &fields).await;
    assert_eq!(to, tokens);
    let html = page(&browser, &app, &to).await;
    assert!(html.contains("id=\"new-token\""), "{html}");
    let again = page(&browser, &app, &to).await;
    assert!(!again.contains("id=\"new-token\""), "{again}");
    assert!(again.contains("Force website CMS"));
    app.stop().await;
}

on_both_backends!(
    the_audit_log_reads_in_uk_time_and_lists_its_actions,
    audit_body
);
async fn audit_body(backend: Backend) {
    let (app, secret) = admin(backend).await;
    let code = staff_service::current_code(&secret).unwrap();
    sign_in(&app, "alex@cambs.police.example", PASSWORD, &code).await;
    // An entry from the summer, when the UK is an hour ahead of UTC.
    let summer = chrono::DateTime::parse_from_rfc3339("2026-07-01T12:00:00Z").unwrap();
    let entry = beacon::store::NewAuditEntry {
        at: summer.timestamp(),
        staff_id: None,
        actor: "Alex Morgan".into(),
        action: "summer-check".into(),
        refused: false,
        subject: "a test".into(),
        detail: String::new(),
        ip: "test".into(),
    };
    app.ctx.store.append_audit(&entry).await.unwrap();
    let page = "/staff/admin/organisations";
    app.submit(page, page, &[("name", "Ely Parish Council")])
        .await;

    let html = app.get("/staff/admin/audit").await.text().await.unwrap();
    assert!(html.contains("When (UK time)"), "{html}");
    assert!(html.contains("<td>1 Jul 2026 13:00:00</td>"), "{html}");
    // The action filter offers the actions the log holds, rather than a box to guess them in.
    assert!(
        html.contains("<select id=\"action\" name=\"action\">"),
        "{html}"
    );
    let entries = crate::staff::audit_actions(&app).await;
    for (action, _, _) in &entries {
        assert!(
            html.contains(&format!("<option value=\"{action}\">{action}</option>")),
            "{action} is not offered: {html}"
        );
    }
    // Each entry's time is the UK's: in December, GMT; the log holds the entry's second.
    let filter = beacon::store::AuditFilter {
        limit: 1,
        ..Default::default()
    };
    let newest = app
        .ctx
        .store
        .audit_entries(&filter)
        .await
        .unwrap()
        .remove(0);
    let uk = chrono::DateTime::from_timestamp(newest.at, 0)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::London)
        .format("%-d %b %Y %H:%M:%S")
        .to_string();
    assert!(html.contains(&uk), "{uk} not in {html}");

    // Choosing one narrows the list to it, and the choice stays selected.
    let action = &newest.action;
    let narrowed = app
        .get(&format!("/staff/admin/audit?action={action}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        narrowed.contains(&format!("<option value=\"{action}\" selected>")),
        "{narrowed}"
    );
    let other = entries.iter().find(|(a, _, _)| a != action).unwrap();
    assert!(
        !narrowed.contains(&format!("<td>{}</td>", other.0)),
        "{} is listed under {action}: {narrowed}",
        other.0
    );
    app.stop().await;
}

on_both_backends!(
    an_archived_organisation_is_offered_to_no_one_until_restored,
    archive_body
);
async fn archive_body(backend: Backend) {
    let (app, secret) = admin(backend).await;
    let browser = step_by_step(&app, &secret).await;
    let list = "/staff/admin/organisations";
    post_expecting_redirect(&browser, &app, list, &[("name", "Ely Parish Council")]).await;
    let ely = app
        .ctx
        .store
        .providers()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.slug == "ely-parish-council")
        .unwrap();
    assert!(page(&browser, &app, "/")
        .await
        .contains("Ely Parish Council"));

    let archive = format!("/staff/admin/organisations/{}/archive", ely.id);
    let csrf = hidden_value(&page(&browser, &app, list).await, "csrf").unwrap();
    let archived = browser
        .post(app.url(&archive))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status(), 303);
    let html = page(&browser, &app, list).await;
    assert!(
        html.contains("Ely Parish Council is archived: residents, staff and API tokens can no longer choose it."),
        "{html}"
    );
    assert!(html.contains("Restore Ely Parish Council"), "{html}");

    // Residents no longer see it or may choose it; the API does not list it.
    assert!(!page(&browser, &app, "/")
        .await
        .contains("Ely Parish Council"));
    let listed = page(&browser, &app, "/api/v1/providers").await;
    assert!(!listed.contains("ely-parish-council"), "{listed}");
    let sign_up = reqwest::Client::new()
        .post(app.url("/api/v1/subscriptions"))
        .json(&serde_json::json!({
            "name": "Priya Shah",
            "email": "priya@example.org",
            "places": [{ "postcode": "pe11hq" }],
            "providers": ["ely-parish-council"],
            "message_types": ["scam-warning"],
            "channels": ["email"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_up.status(), 422);
    assert!(sign_up
        .text()
        .await
        .unwrap()
        .contains("Choose from the organisations listed"));
    // Nor can an API token be made for it.
    let token = browser
        .post(app.url("/staff/admin/tokens"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "Ely website"),
            ("provider", "ely-parish-council"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 422);

    // Restored, it is offered again.
    let restore = format!("/staff/admin/organisations/{}/restore", ely.id);
    let restored = browser
        .post(app.url(&restore))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 303);
    assert!(page(&browser, &app, "/")
        .await
        .contains("Ely Parish Council"));

    // An organisation whose staff may still sign in is not archived: the admin is told why.
    let police = app
        .ctx
        .store
        .providers()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.slug == "cambridgeshire-constabulary")
        .unwrap();
    let refused = browser
        .post(app.url(&format!("/staff/admin/organisations/{}/archive", police.id)))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Cambridgeshire Constabulary can still send alerts: switch off its 1 staff account first"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"#archive-{}\"", police.id)));
    assert!(!app
        .ctx
        .store
        .providers()
        .await
        .unwrap()
        .iter()
        .any(|p| p.archived));
    let log = crate::staff::audit_actions(&app).await;
    assert_eq!(
        log.iter()
            .filter(|(a, _, _)| a == "archive-organisation" || a == "restore-organisation")
            .count(),
        2,
        "{log:?}"
    );
    app.stop().await;
}

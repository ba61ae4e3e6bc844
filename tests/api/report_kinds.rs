//! The kinds of report as an admin keeps them: the list, changing a kind's questions, adding a
//! kind, and the refusals (questions that are not valid, a code that clashes or changes, someone
//! who is not an admin), each audited.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{add_staff, enrol, PASSWORD};
use beacon::domain::report::kinds::default_services;
use beacon::services::staff as staff_service;
use beacon::store::{AuditFilter, StoredService};

async fn signed_in(app: &TestApp, name: &str, email: &str, admin: bool) -> reqwest::Client {
    let link = add_staff(app, name, email, admin).await;
    let (secret, _) = enrol(app, &link).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let code = staff_service::current_code(&secret).unwrap();
    let response = app.sign_in_with(&browser, email, PASSWORD, &code).await;
    assert_eq!(response.status(), 303);
    browser
}

/// The bundled kinds, stored as the app stores them at start (again: seeding is idempotent).
async fn seeded(app: &TestApp) {
    let services: Vec<StoredService> = default_services()
        .iter()
        .enumerate()
        .map(|(i, d)| StoredService {
            code: d.code.clone(),
            definition: serde_json::to_string(d).unwrap(),
            position: i as i64 * 10,
            active: true,
        })
        .collect();
    app.ctx
        .store
        .seed_report_services(&services, 0)
        .await
        .unwrap();
}

async fn post_form(
    browser: &reqwest::Client,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = browser.get(app.url(path)).send().await.unwrap();
    let csrf = hidden_value(&page.text().await.unwrap(), "csrf").unwrap_or_default();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

on_both_backends!(an_admin_changes_and_adds_kinds_of_report, admin_body);
async fn admin_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seeded(&app).await;
    let admin = signed_in(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let list = admin
        .get(app.url("/staff/admin/report-kinds"))
        .send()
        .await
        .unwrap();
    let html = list.text().await.unwrap();
    assert!(
        html.contains("Criminal damage") && html.contains("Domestic abuse"),
        "{html}"
    );

    // Theft gets a new question, and a name with HTML in it, shown as text.
    let questions = r#"[{"code":"stolen_items","prompt":"What was stolen?","datatype":"text","required":true},
        {"code":"bike_frame","prompt":"The bike's frame number","datatype":"string"}]"#;
    let fields = [
        ("code", "theft"),
        ("name", "Theft <b>incl.</b> bikes"),
        ("description", "Something was stolen."),
        ("group", "Crime"),
        ("keywords", "stolen, bike"),
        ("position", "15"),
        ("questions", questions),
        ("active", "true"),
    ];
    let saved = post_form(&admin, &app, "/staff/admin/report-kinds/theft", &fields).await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let page = admin
        .get(app.url("/staff/admin/report-kinds"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Theft &#60;b&#62;incl.&#60;/b&#62; bikes is saved."),
        "{page}"
    );
    let stored = app.ctx.store.report_services().await.unwrap();
    let theft = stored.iter().find(|s| s.code == "theft").unwrap();
    assert!(theft.definition.contains("bike_frame") && theft.position == 15);

    // Questions that are not valid: a list without choices, and JSON that does not read.
    let bad = [
        ("code", "theft"),
        ("name", "Theft"),
        ("description", "Something was stolen."),
        ("group", "Crime"),
        (
            "questions",
            r#"[{"code":"colour","prompt":"Colour?","datatype":"singlevaluelist"}]"#,
        ),
    ];
    let refused = post_form(&admin, &app, "/staff/admin/report-kinds/theft", &bad).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("needs its choices"));
    let mut broken = bad;
    broken[4] = ("questions", "[{not json");
    let refused = post_form(&admin, &app, "/staff/admin/report-kinds/theft", &broken).await;
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("not a JSON list of questions"));
    let after = app.ctx.store.report_services().await.unwrap();
    assert_eq!(
        after.iter().find(|s| s.code == "theft").unwrap(),
        theft,
        "nothing changed"
    );

    // A sensitive kind cannot be made public: its reports were made on that promise.
    let hate = [
        ("code", "hate-incident"),
        ("name", "Hate incident or crime"),
        (
            "description",
            "Something done or said because of who someone is.",
        ),
        ("group", "Crime"),
        ("questions", "[]"),
        ("active", "true"),
    ];
    let refused = post_form(
        &admin,
        &app,
        "/staff/admin/report-kinds/hate-incident",
        &hate,
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("A sensitive kind stays sensitive"));

    // A new kind; its code cannot clash with another's.
    let new = [
        ("code", "fly-tipping"),
        ("name", "Fly-tipping"),
        ("description", "Rubbish dumped on land or a road."),
        ("group", "Environment"),
        ("questions", "[]"),
    ];
    let added = post_form(&admin, &app, "/staff/admin/report-kinds/new", &new).await;
    assert_eq!(added.status(), 303);
    let again = post_form(&admin, &app, "/staff/admin/report-kinds/new", &new).await;
    assert_eq!(again.status(), 422);
    let fly = app.ctx.store.report_services().await.unwrap();
    let fly = fly.iter().find(|s| s.code == "fly-tipping").unwrap();
    assert!(!fly.active, "a kind is offered only when the admin says so");

    // Someone who is not an admin is refused, and the refusal is audited.
    let sender = signed_in(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let refused = post_form(&sender, &app, "/staff/admin/report-kinds/theft", &fields).await;
    assert_eq!(refused.status(), 403);
    let log = app
        .ctx
        .store
        .audit_entries(&AuditFilter {
            limit: 50,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let actions: Vec<_> = log
        .iter()
        .map(|e| (e.action.as_str(), e.outcome == "refused"))
        .collect();
    assert!(
        actions.contains(&("change-report-kind", false)),
        "{actions:?}"
    );
    assert!(actions.contains(&("add-report-kind", false)), "{actions:?}");
    assert!(
        actions.contains(&("view-report-kinds", true)),
        "{actions:?}"
    );
    app.stop().await;
}

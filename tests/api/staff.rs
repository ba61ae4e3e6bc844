//! Staff sign-in with a second factor, enrolment, lock-out, permissions and the audit log, as a
//! member of staff and an admin would meet them.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::staff::StaffInput;
use beacon::services::staff::{self as staff_service, Actor, SIGN_IN_REFUSED};
use beacon::store::AuditFilter;

pub(crate) const PASSWORD: &str = "a long and memorable password";

/// Adds a member of staff as the command line does, and returns their enrolment link.
pub(crate) async fn add_staff(app: &TestApp, name: &str, email: &str, admin: bool) -> String {
    let input = StaffInput {
        email: email.into(),
        name: name.into(),
        role_title: "Communications Assistant".into(),
        area_label: "Peterborough and Fenland".into(),
        provider: "cambridgeshire-constabulary".into(),
        send: true,
        admin,
        ..StaffInput::default()
    };
    let actor = Actor {
        staff: None,
        ip: "test",
    };
    staff_service::create_staff(&app.ctx, &actor, &input)
        .await
        .unwrap()
        .1
}

/// Opens the enrolment link, sets the password and confirms a code; returns the authenticator
/// key and the recovery codes shown.
pub(crate) async fn enrol(app: &TestApp, link: &str) -> (String, Vec<String>) {
    let page = app.get(link).await.text().await.unwrap();
    assert!(page.contains("Set up your account"), "{page}");
    assert!(page.contains("<svg"), "the QR code is drawn");
    let secret = hidden_value(&page, "secret").unwrap();
    let seal = hidden_value(&page, "secret_seal").unwrap();
    let csrf = hidden_value(&page, "csrf").unwrap();
    let code = staff_service::current_code(&secret).unwrap();
    let done = app
        .client
        .post(link)
        .form(&[
            ("csrf", csrf.as_str()),
            ("secret", &secret),
            ("secret_seal", &seal),
            ("password", PASSWORD),
            ("password_again", PASSWORD),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(done.contains("Your account is ready"), "{done}");
    let codes = done
        .split("<code>")
        .skip(1)
        .filter_map(|part| part.split("</code>").next())
        .map(str::to_owned)
        .collect::<Vec<_>>();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

pub(crate) async fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    code: &str,
) -> reqwest::Response {
    app.submit(
        "/staff/sign-in",
        "/staff/sign-in",
        &[("email", email), ("password", password), ("code", code)],
    )
    .await
}

/// A second browser, signed in with the member of staff's authenticator key.
pub(crate) async fn signed_in_browser(app: &TestApp, email: &str, secret: &str) -> reqwest::Client {
    let browser = TestApp::client();
    let code = staff_service::current_code(secret).unwrap();
    TestApp::sign_in_with(app, &browser, email, PASSWORD, &code).await;
    browser
}

/// The text of a page as `browser` sees it.
pub(crate) async fn page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    browser
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

pub(crate) async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
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
        .map(|e| (e.action, e.outcome, e.detail))
        .collect()
}

on_both_backends!(enrol_then_sign_in_with_a_code, enrol_body);
async fn enrol_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let (secret, recovery) = enrol(&app, &link).await;
    // The link works once.
    assert_eq!(app.get(&link).await.status(), 404);

    // Every kind of wrong answer gets the same message.
    let code = staff_service::current_code(&secret).unwrap();
    for (email, password, code) in [
        ("nobody@cambs.police.example", PASSWORD, code.as_str()),
        (
            "lucy@cambs.police.example",
            "wrong password here",
            code.as_str(),
        ),
        ("lucy@cambs.police.example", PASSWORD, "000000"),
        ("lucy@cambs.police.example", PASSWORD, ""),
    ] {
        let refused = sign_in(&app, email, password, code).await;
        assert_eq!(refused.status(), 401);
        let page = refused.text().await.unwrap();
        assert!(
            page.contains(&SIGN_IN_REFUSED.replace('\'', "&#x27;"))
                || page.contains(SIGN_IN_REFUSED),
            "{page}"
        );
    }
    assert_eq!(
        app.get("/staff").await.url().path(),
        "/staff/sign-in",
        "not signed in yet"
    );

    let signed_in = sign_in(&app, "Lucy@cambs.police.example", PASSWORD, &code).await;
    assert_eq!(signed_in.url().path(), "/staff");
    let home = signed_in.text().await.unwrap();
    assert!(home.contains("Signed in as Lucy Ward, Communications Assistant (Cambridgeshire Constabulary, Peterborough and Fenland)"), "{home}");

    // The same code cannot be used twice (replay), but a recovery code works, once.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let replay =
        TestApp::sign_in_with(&app, &other, "lucy@cambs.police.example", PASSWORD, &code).await;
    assert_eq!(replay.status(), 401);
    let by_recovery = TestApp::sign_in_with(
        &app,
        &other,
        "lucy@cambs.police.example",
        PASSWORD,
        &recovery[0],
    )
    .await;
    assert_eq!(by_recovery.url().path(), "/staff");
    let third = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let reused = TestApp::sign_in_with(
        &app,
        &third,
        "lucy@cambs.police.example",
        PASSWORD,
        &recovery[0],
    )
    .await;
    assert_eq!(reused.status(), 401);

    // Sign out ends the session.
    let token = app.form_token("/staff").await;
    app.client
        .post(app.url("/staff/sign-out"))
        .form(&[("csrf", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(app.get("/staff").await.url().path(), "/staff/sign-in");

    let actions = audit_actions(&app).await;
    let count = |action: &str, outcome: &str| {
        actions
            .iter()
            .filter(|(a, o, _)| a == action && o == outcome)
            .count()
    };
    assert_eq!(count("create-staff", "ok"), 1);
    assert_eq!(count("enrol", "ok"), 1);
    assert_eq!(count("sign-in", "ok"), 2);
    assert_eq!(count("sign-in", "refused"), 6);
    assert_eq!(count("sign-out", "ok"), 1);
    app.stop().await;
}

on_both_backends!(repeated_failures_lock_the_account, lock_body);
async fn lock_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Tom Okafor", "tom@cambs.police.example", false).await;
    let (secret, _) = enrol(&app, &link).await;
    for _ in 0..5 {
        assert_eq!(
            sign_in(
                &app,
                "tom@cambs.police.example",
                "not the password",
                "123456"
            )
            .await
            .status(),
            401
        );
    }
    // Locked: even the right password and code are refused now, with the same message.
    let code = staff_service::current_code(&secret).unwrap();
    let locked = sign_in(&app, "tom@cambs.police.example", PASSWORD, &code).await;
    assert_eq!(locked.status(), 401);
    let actions = audit_actions(&app).await;
    assert!(
        actions
            .iter()
            .any(|(a, o, d)| a == "sign-in" && o == "refused" && d == "account locked"),
        "{actions:?}"
    );
    app.stop().await;
}

on_both_backends!(only_admins_manage_staff_and_read_the_audit_log, admin_body);
async fn admin_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_link = add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let sender_link = add_staff(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let (sender_secret, _) = enrol(&app, &sender_link).await;
    let (admin_secret, _) = enrol(&app, &admin_link).await;

    // A sender is refused the admin pages, and the refusal is audited.
    let code = staff_service::current_code(&sender_secret).unwrap();
    sign_in(&app, "lucy@cambs.police.example", PASSWORD, &code).await;
    for path in [
        "/staff/admin/staff",
        "/staff/admin/audit",
        "/staff/admin/staff/new",
    ] {
        assert_eq!(app.get(path).await.status(), 403, "{path}");
    }
    let posted = app
        .submit(
            "/staff",
            "/staff/admin/staff/new",
            &[
                ("email", "x@cambs.police.example"),
                ("name", "X"),
                ("role_title", "Y"),
                ("provider", "report-fraud"),
                ("admin", "true"),
            ],
        )
        .await;
    assert_eq!(posted.status(), 403);
    assert!(app
        .ctx
        .store
        .staff_by_email_key("x@cambs.police.example")
        .await
        .unwrap()
        .is_none());
    let refusals: Vec<_> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|(_, o, d)| o == "refused" && d == "not an admin")
        .collect();
    assert_eq!(refusals.len(), 4, "{refusals:?}");

    // An admin adds a member of staff through the page and reads the log, filtered.
    let admin = signed_in_browser(&app, "alex@cambs.police.example", &admin_secret).await;
    let form = page(&app, &admin, "/staff/admin/staff/new").await;
    let csrf = hidden_value(&form, "csrf").unwrap();
    let added = admin
        .post(app.url("/staff/admin/staff/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "sam@cambs.police.example"),
            ("name", "Sam Patel"),
            ("role_title", "Neighbourhood Sergeant"),
            ("provider", "cambridgeshire-constabulary"),
            ("send", "true"),
            ("approve", "true"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(added.contains("Sam Patel has been added"), "{added}");
    assert!(
        added.contains("/staff/enrol/"),
        "the enrolment link is shown once"
    );
    let sam = app
        .ctx
        .store
        .staff_by_email_key("sam@cambs.police.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sam.permissions.describe(), "approver, sender");

    let log = page(&app, &admin, "/staff/admin/audit?refused=true").await;
    assert!(log.contains("not an admin"), "{log}");
    assert!(
        !log.contains("password and authenticator set"),
        "the filter shows refusals only"
    );
    app.stop().await;
}

on_both_backends!(an_admin_lifts_a_suspended_address, lift_body);
async fn lift_body(backend: Backend) {
    use crate::delivery::{seed_resident, ResidentSpec};
    let app = TestApp::spawn(backend).await;
    let admin_link = add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let sender_link = add_staff(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let (sender_secret, _) = enrol(&app, &sender_link).await;
    let (admin_secret, _) = enrol(&app, &admin_link).await;
    let resident = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
    )
    .await;
    // Three hard bounces suspended her address.
    let url = if backend == Backend::Postgres {
        app.database_url.clone()
    } else {
        app.ctx.settings.database_url()
    };
    run_sql(
        backend,
        &url,
        &format!(
            "UPDATE subscribers SET email_failures = 3, email_suspended_at = 1793610000 \
             WHERE id = {resident}"
        ),
    )
    .await
    .unwrap();
    let lift = format!("/staff/admin/contact-problems/{resident}/email/lift");

    // A sender may neither see the list nor lift anything.
    let code = staff_service::current_code(&sender_secret).unwrap();
    sign_in(&app, "lucy@cambs.police.example", PASSWORD, &code).await;
    assert_eq!(app.get("/staff/admin/contact-problems").await.status(), 403);
    assert_eq!(app.submit("/staff", &lift, &[]).await.status(), 403);
    assert_eq!(app.ctx.store.contact_problems().await.unwrap().len(), 1);

    // An admin sees the address and lifts the suspension from the list.
    let admin = signed_in_browser(&app, "alex@cambs.police.example", &admin_secret).await;
    let list = page(&app, &admin, "/staff/admin/contact-problems").await;
    assert!(list.contains("ann@example.org"), "{list}");
    assert!(list.contains(&format!("action=\"{lift}\"")), "{list}");
    let csrf = hidden_value(&list, "csrf").unwrap();
    // Not without the form's token.
    let forged = admin
        .post(app.url(&lift))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let done = admin
        .post(app.url(&lift))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let done = done.text().await.unwrap();
    assert!(
        done.contains("Ann Smith&#x27;s email address is no longer suspended")
            || done.contains("Ann Smith&#39;s email address is no longer suspended"),
        "{done}"
    );
    assert!(done.contains("id=\"no-problems\""), "{done}");
    assert!(app.ctx.store.contact_problems().await.unwrap().is_empty());
    // Both attempts are on record, the resident named by public id, never by address.
    let public_id = app
        .ctx
        .store
        .subscriber(resident)
        .await
        .unwrap()
        .unwrap()
        .public_id;
    let lifts: Vec<_> = app
        .ctx
        .store
        .audit_entries(&AuditFilter {
            limit: 1_000,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "lift-contact-suspension")
        .map(|e| (e.outcome, e.subject, e.detail))
        .collect();
    assert_eq!(
        lifts,
        [
            (
                "ok".to_owned(),
                format!("resident {public_id}, email address"),
                String::new()
            ),
            (
                "refused".to_owned(),
                "admin pages".to_owned(),
                "not an admin".to_owned()
            ),
        ]
    );

    // Lifting it again changes nothing and says so.
    let csrf = hidden_value(&done, "csrf").unwrap_or(csrf);
    let again = admin
        .post(app.url(&lift))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(again.contains("not suspended (any more)"), "{again}");
    app.stop().await;
}

on_both_backends!(the_audit_log_cannot_be_changed, append_only_body);
async fn append_only_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_staff(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let url = app.ctx.settings.database_url();
    let url = if backend == Backend::Postgres {
        app.database_url.clone()
    } else {
        url
    };
    let refused_update = run_sql(backend, &url, "UPDATE audit_log SET detail = 'edited'").await;
    let refused_delete = run_sql(backend, &url, "DELETE FROM audit_log").await;
    assert!(refused_update.unwrap_err().contains("append-only"));
    assert!(refused_delete.unwrap_err().contains("append-only"));
    assert_eq!(audit_actions(&app).await.len(), 1);
    app.stop().await;
}

pub(crate) async fn run_sql(backend: Backend, url: &str, sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query(sql)
                .execute(&mut conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query(sql)
                .execute(&mut conn)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    }
}

on_both_backends!(admins_change_and_switch_off_staff, change_body);
async fn change_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_link = add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let sender_link = add_staff(&app, "Lucy Ward", "lucy@cambs.police.example", false).await;
    let (admin_secret, _) = enrol(&app, &admin_link).await;
    let (sender_secret, _) = enrol(&app, &sender_link).await;
    let lucy_browser = signed_in_browser(&app, "lucy@cambs.police.example", &sender_secret).await;
    assert_eq!(
        lucy_browser
            .get(app.url("/staff"))
            .send()
            .await
            .unwrap()
            .url()
            .path(),
        "/staff"
    );

    let code = staff_service::current_code(&admin_secret).unwrap();
    sign_in(&app, "alex@cambs.police.example", PASSWORD, &code).await;
    let lucy = app
        .ctx
        .store
        .staff_by_email_key("lucy@cambs.police.example")
        .await
        .unwrap()
        .unwrap();
    let edit = format!("/staff/admin/staff/{}/edit", lucy.public_id);
    let fields = [
        ("email", "lucy@cambs.police.example"),
        ("name", "Lucy Ward"),
        ("role_title", "Senior Communications Officer"),
        ("area_label", "Force-wide"),
        ("provider", "cambridgeshire-constabulary"),
        ("send", "true"),
        ("approve", "true"),
    ];
    // Saved without "active": the account is switched off and her session ends.
    let changed = app
        .submit(&edit, &edit, &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(changed.contains("Lucy Ward has been changed"), "{changed}");
    let lucy = app.ctx.store.staff(lucy.id).await.unwrap().unwrap();
    assert_eq!(lucy.role_title, "Senior Communications Officer");
    assert_eq!(lucy.permissions.describe(), "approver, sender");
    assert!(!lucy.active);
    assert_eq!(
        lucy_browser
            .get(app.url("/staff"))
            .send()
            .await
            .unwrap()
            .url()
            .path(),
        "/staff/sign-in"
    );

    // An admin cannot switch off their own admin permission.
    let alex = app
        .ctx
        .store
        .staff_by_email_key("alex@cambs.police.example")
        .await
        .unwrap()
        .unwrap();
    let own = format!("/staff/admin/staff/{}/edit", alex.public_id);
    let refused = app
        .submit(
            &own,
            &own,
            &[
                ("email", "alex@cambs.police.example"),
                ("name", "Alex Morgan"),
                ("role_title", "Manager"),
                ("provider", "cambridgeshire-constabulary"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        app.ctx
            .store
            .staff(alex.id)
            .await
            .unwrap()
            .unwrap()
            .permissions
            .admin
    );
    let log = audit_actions(&app).await;
    assert!(
        log.iter()
            .any(|(a, o, d)| a == "change-staff" && o == "ok" && d.contains("switched off")),
        "{log:?}"
    );
    app.stop().await;
}

on_both_backends!(admins_add_and_change_organisations, organisations_body);
async fn organisations_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_link = add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let (secret, _) = enrol(&app, &admin_link).await;
    let code = staff_service::current_code(&secret).unwrap();
    sign_in(&app, "alex@cambs.police.example", PASSWORD, &code).await;
    let added = app
        .submit(
            "/staff/admin/organisations",
            "/staff/admin/organisations",
            &[
                ("name", "Huntingdon Town Council"),
                ("description", "Your town council."),
                ("contact_phone", "01480 388388"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        added.contains("Huntingdon Town Council is saved"),
        "{added}"
    );
    let providers = app.ctx.store.providers().await.unwrap();
    let council = providers
        .iter()
        .find(|p| p.slug == "huntingdon-town-council")
        .unwrap();
    assert_eq!(council.contact_phone.as_deref(), Some("01480 388388"));
    // Residents can now choose it on the sign-up page.
    assert!(app
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("Huntingdon Town Council"));
    let bad = app
        .submit(
            "/staff/admin/organisations",
            "/staff/admin/organisations",
            &[("name", "<b>x</b>")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(app.ctx.store.providers().await.unwrap().len(), 6);
    app.stop().await;
}

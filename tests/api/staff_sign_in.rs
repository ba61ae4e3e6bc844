//! Sign-in under pressure: the same code or the same wrong password sent many times at once, and
//! a lock that lapses, as a member of staff and an intruder would meet them.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{add_staff, audit_actions, enrol, page, run_sql, sign_in, PASSWORD};
use beacon::services::staff as staff_service;
use beacon::store::StaffMember;

const TOM: &str = "tom@cambs.police.example";
const LUCY: &str = "lucy@cambs.police.example";

/// Posts the sign-in form from `browsers` browsers at the same moment, each with its own CSRF
/// token; each answer's status and the path it ended on.
async fn sign_in_at_once(
    app: &TestApp,
    browsers: usize,
    email: &str,
    password: &str,
    code: &str,
) -> Vec<(u16, String)> {
    let url = app.url("/staff/sign-in");
    let mut requests = Vec::new();
    for _ in 0..browsers {
        let browser = TestApp::client();
        let form = page(app, &browser, "/staff/sign-in").await;
        let csrf = hidden_value(&form, "csrf").unwrap();
        let fields = [
            ("csrf", csrf),
            ("email", email.to_owned()),
            ("password", password.to_owned()),
            ("code", code.to_owned()),
        ];
        requests.push(browser.post(&url).form(&fields));
    }
    let mut posts = tokio::task::JoinSet::new();
    for request in requests {
        posts.spawn(async move {
            let answer = request.send().await.unwrap();
            (answer.status().as_u16(), answer.url().path().to_owned())
        });
    }
    posts.join_all().await
}

async fn account(app: &TestApp, email: &str) -> StaffMember {
    app.ctx
        .store
        .staff_by_email_key(email)
        .await
        .unwrap()
        .unwrap()
}

/// Whether the member is locked out now.
fn locked(staff: &StaffMember) -> bool {
    staff
        .locked_until
        .is_some_and(|until| until > chrono::Utc::now().timestamp())
}

/// How many audited sign-in refusals have a detail starting with `detail`.
async fn refusals(app: &TestApp, detail: &str) -> usize {
    audit_actions(app)
        .await
        .iter()
        .filter(|(a, o, d)| a == "sign-in" && o == "refused" && d.starts_with(detail))
        .count()
}

/// Five wrong passwords in a row: the account is locked.
async fn lock_out(app: &TestApp, email: &str) {
    for _ in 0..5 {
        let refused = sign_in(app, email, "not the password", "123456").await;
        assert_eq!(refused.status(), 401);
    }
    assert!(locked(&account(app, email).await));
}

/// Moves the member's lock into the past, as if its 15 minutes had gone by.
async fn let_the_lock_lapse(app: &TestApp, backend: Backend, email: &str) {
    let url = match backend {
        Backend::Postgres => app.database_url.clone(),
        Backend::Sqlite => app.ctx.settings.database_url(),
    };
    let past = chrono::Utc::now().timestamp() - 1;
    let id = account(app, email).await.id;
    run_sql(
        backend,
        &url,
        &format!("UPDATE staff SET locked_until = {past} WHERE id = {id}"),
    )
    .await
    .unwrap();
}

on_both_backends!(
    one_code_sent_at_once_signs_in_once,
    one_code_body,
    multi_thread
);
async fn one_code_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Lucy Ward", LUCY, false).await;
    let (secret, _) = enrol(&app, &link).await;
    let code = staff_service::current_code(&secret).unwrap();

    // Someone who has seen the code races Lucy with it: six sign-ins with it at once.
    let answers = sign_in_at_once(&app, 6, LUCY, PASSWORD, &code).await;
    let signed_in = answers
        .iter()
        .filter(|(status, path)| *status == 200 && path == "/staff")
        .count();
    assert_eq!(signed_in, 1, "one code, one sign-in: {answers:?}");
    assert_eq!(
        answers.iter().filter(|(status, _)| *status == 401).count(),
        5,
        "{answers:?}"
    );
    let log = audit_actions(&app).await;
    assert_eq!(
        log.iter()
            .filter(|(a, o, _)| a == "sign-in" && o == "ok")
            .count(),
        1,
        "{log:?}"
    );
    app.stop().await;
}

on_both_backends!(
    ten_wrong_passwords_at_once_lock_at_the_fifth,
    ten_wrong_body,
    multi_thread
);
async fn ten_wrong_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Tom Okafor", TOM, false).await;
    let (secret, _) = enrol(&app, &link).await;

    let answers = sign_in_at_once(&app, 10, TOM, "not the password", "123456").await;
    assert!(
        answers.iter().all(|(status, _)| *status == 401),
        "{answers:?}"
    );
    // Five were counted, the fifth locked the account, and the other five met the lock.
    let tom = account(&app, TOM).await;
    assert_eq!(tom.failed_sign_ins, 5);
    assert!(locked(&tom));
    assert_eq!(refusals(&app, "wrong credentials").await, 5);
    assert_eq!(
        refusals(&app, "wrong credentials (5 in a row): account locked").await,
        1
    );
    assert_eq!(refusals(&app, "account locked").await, 5);

    // The right password and code are refused now too.
    let code = staff_service::current_code(&secret).unwrap();
    assert_eq!(sign_in(&app, TOM, PASSWORD, &code).await.status(), 401);
    assert_eq!(refusals(&app, "account locked").await, 6);
    app.stop().await;
}

on_both_backends!(a_lapsed_lock_starts_the_count_afresh, lapsed_body);
async fn lapsed_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Tom Okafor", TOM, false).await;
    let (secret, _) = enrol(&app, &link).await;
    lock_out(&app, TOM).await;
    let_the_lock_lapse(&app, backend, TOM).await;

    // One wrong try after the lock has lapsed is the first of a new count: no new lock.
    assert_eq!(
        sign_in(&app, TOM, "not the password", "123456")
            .await
            .status(),
        401
    );
    let tom = account(&app, TOM).await;
    assert_eq!(tom.failed_sign_ins, 1);
    assert!(!locked(&tom), "{tom:?}");
    let latest = audit_actions(&app).await.remove(0);
    assert_eq!(latest.2, "wrong credentials (1 in a row)", "{latest:?}");

    // Four more make five: locked again for 15 minutes, not longer.
    for _ in 0..4 {
        sign_in(&app, TOM, "not the password", "123456").await;
    }
    let tom = account(&app, TOM).await;
    let lock = tom.locked_until.unwrap() - chrono::Utc::now().timestamp();
    assert!((890..=900).contains(&lock), "locked for {lock} s");

    // Once that lapses too, Tom signs in.
    let_the_lock_lapse(&app, backend, TOM).await;
    let code = staff_service::current_code(&secret).unwrap();
    let signed_in = sign_in(&app, TOM, PASSWORD, &code).await;
    assert_eq!(signed_in.url().path(), "/staff");
    let tom = account(&app, TOM).await;
    assert_eq!((tom.failed_sign_ins, tom.locked_until), (0, None));
    app.stop().await;
}

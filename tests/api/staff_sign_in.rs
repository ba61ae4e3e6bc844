//! Sign-in under pressure: the same code or the same wrong password sent many times at once, a
//! lock that lapses, a lock lifted by a recovery code or by an admin, and colleagues behind one
//! shared office address, as a member of staff, an admin and an intruder would meet them.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::staff::{
    add_staff, audit_actions, enrol, page, run_sql, sign_in, signed_in_browser, PASSWORD,
};
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

on_both_backends!(a_recovery_code_lifts_a_lock, recovery_body);
async fn recovery_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = add_staff(&app, "Tom Okafor", TOM, false).await;
    let (secret, recovery) = enrol(&app, &link).await;
    lock_out(&app, TOM).await;

    // Locked: the authenticator code is refused, and so is a recovery code with a wrong
    // password, which stays unused.
    let code = staff_service::current_code(&secret).unwrap();
    assert_eq!(sign_in(&app, TOM, PASSWORD, &code).await.status(), 401);
    assert_eq!(
        sign_in(&app, TOM, "not the password", &recovery[0])
            .await
            .status(),
        401
    );
    assert_eq!(
        sign_in(&app, TOM, PASSWORD, "aaaaa-bbbbb").await.status(),
        401
    );
    assert!(locked(&account(&app, TOM).await));

    // The password and a recovery code get Tom in, and lift the lock.
    let signed_in = sign_in(&app, TOM, PASSWORD, &recovery[0]).await;
    assert_eq!(signed_in.url().path(), "/staff");
    let tom = account(&app, TOM).await;
    assert_eq!((tom.failed_sign_ins, tom.locked_until), (0, None));
    let log = audit_actions(&app).await;
    assert!(
        log.iter().any(|(a, o, d)| a == "sign-in"
            && o == "ok"
            && d == "with a recovery code, which lifted the lock"),
        "{log:?}"
    );
    // His authenticator works again in another browser.
    let browser = signed_in_browser(&app, TOM, &secret).await;
    let home = browser.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(home.url().path(), "/staff");
    app.stop().await;
}

on_both_backends!(an_admin_unlocks_a_locked_account, unlock_body);
async fn unlock_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_link = add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let sender_link = add_staff(&app, "Lucy Ward", LUCY, false).await;
    let tom_link = add_staff(&app, "Tom Okafor", TOM, false).await;
    let (admin_secret, _) = enrol(&app, &admin_link).await;
    let (sender_secret, _) = enrol(&app, &sender_link).await;
    let (tom_secret, _) = enrol(&app, &tom_link).await;
    lock_out(&app, TOM).await;
    let tom = account(&app, TOM).await;
    let unlock = format!("/staff/admin/staff/{}/unlock", tom.public_id);

    // A sender may not unlock anyone; the refusal is audited.
    let lucy = signed_in_browser(&app, LUCY, &sender_secret).await;
    let csrf = hidden_value(&page(&app, &lucy, "/staff").await, "csrf").unwrap();
    let refused = lucy
        .post(app.url(&unlock))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(locked(&account(&app, TOM).await));

    // The admin sees the lock on the staff list and on Tom's page, with a way to lift it.
    let admin = signed_in_browser(&app, "alex@cambs.police.example", &admin_secret).await;
    let list = page(&app, &admin, "/staff/admin/staff").await;
    assert!(list.contains("locked until"), "{list}");
    assert!(list.contains(&format!("action=\"{unlock}\"")), "{list}");
    let edit = format!("/staff/admin/staff/{}/edit", tom.public_id);
    let tom_page = page(&app, &admin, &edit).await;
    assert!(
        tom_page.contains("Tom Okafor is locked out until"),
        "{tom_page}"
    );
    assert!(
        tom_page.contains(&format!("action=\"{unlock}\"")),
        "{tom_page}"
    );
    // Not without the form's token.
    let forged = admin
        .post(app.url(&unlock))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(locked(&account(&app, TOM).await));

    let csrf = hidden_value(&tom_page, "csrf").unwrap();
    let done = admin
        .post(app.url(&unlock))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let done = done.text().await.unwrap();
    assert!(done.contains("Tom Okafor may sign in again"), "{done}");
    assert!(!done.contains("locked until"), "{done}");
    let unlocked = account(&app, TOM).await;
    assert_eq!((unlocked.failed_sign_ins, unlocked.locked_until), (0, None));

    let unlocks: Vec<_> = audit_actions(&app)
        .await
        .into_iter()
        .filter(|(a, _, _)| a == "unlock-staff")
        .map(|(_, o, d)| (o, d))
        .collect();
    assert_eq!(
        unlocks,
        [
            (
                "ok".to_owned(),
                "lock lifted after 5 failed sign-ins".to_owned()
            ),
            ("refused".to_owned(), "not an admin".to_owned()),
        ]
    );

    // Tom signs in with his authenticator.
    let code = staff_service::current_code(&tom_secret).unwrap();
    assert_eq!(
        sign_in(&app, TOM, PASSWORD, &code).await.url().path(),
        "/staff"
    );
    app.stop().await;
}

on_both_backends!(
    one_account_tried_often_does_not_shut_out_the_office,
    office_body,
    multi_thread
);
async fn office_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let tom_link = add_staff(&app, "Tom Okafor", TOM, false).await;
    let lucy_link = add_staff(&app, "Lucy Ward", LUCY, false).await;
    enrol(&app, &tom_link).await;
    let (lucy_secret, _) = enrol(&app, &lucy_link).await;

    // Someone in the office (every test browser comes from 127.0.0.1) tries Tom's account 35
    // times, at once: five failures lock it, and tries past 20 are turned away at the door.
    let answers = sign_in_at_once(&app, 35, TOM, "not the password", "123456").await;
    assert!(
        answers.iter().all(|(status, _)| *status == 401),
        "{answers:?}"
    );
    assert_eq!(refusals(&app, "wrong credentials").await, 5);
    assert_eq!(refusals(&app, "account locked").await, 15);
    assert_eq!(
        refusals(&app, "too many attempts from this address").await,
        15
    );

    // Lucy, at the next desk, signs in as usual.
    let code = staff_service::current_code(&lucy_secret).unwrap();
    assert_eq!(
        sign_in(&app, LUCY, PASSWORD, &code).await.url().path(),
        "/staff"
    );
    app.stop().await;
}

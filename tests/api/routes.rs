//! Every route declares who may use it (`beacon::web::routes()`), and this test walks the whole
//! table against the running app: staff routes send a visitor without a session to the sign-in
//! page, admin routes refuse a sender, sender routes refuse a member who may not send, report
//! routes refuse a sender (triage routes a reviewer, review routes an operator), API routes
//! want a token, the gateway's callback its own, a tampered resident's or enrolment link gets
//! the "cannot be used" page, public routes answer anyone, and a form posted without its CSRF
//! token is refused and changes nothing. A route declared with the wrong access fails here.

use crate::alerts::staff_member;
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use crate::report_triage;
use beacon::domain::staff::StaffInput;
use beacon::domain::subscriber::{EmailFormat, Place, Preferences};
use beacon::domain::{catalogue, Postcode, Priority};
use beacon::services::alerts::{self, AlertAction, AlertInput};
use beacon::services::api_tokens;
use beacon::services::messages::alert_link_token;
use beacon::services::staff::{self as staff_service, Actor};
use beacon::services::subscriptions as subs;
use beacon::store::{AuditFilter, NewSubscriber, SubscriberStatus, TokenScope};
use beacon::web::{routes, Access, Link, Route};
use reqwest::header::{AUTHORIZATION, LOCATION};
use reqwest::{Method, StatusCode};

const GATEWAY_TOKEN: &str = "the gateway's callback token";
const PASSWORD: &str = "a long and memorable password";

/// What the walk needs: people with each level of access, and real things for the paths.
struct Fixture {
    app: TestApp,
    /// A browser with no session (it keeps cookies, so it can hold a CSRF token), which does
    /// not follow redirects.
    visitor: reqwest::Client,
    admin: reqwest::Client,
    /// May send, not an admin.
    sender: reqwest::Client,
    sender_public_id: String,
    /// An approver of the same organisation: signed in, but may not send.
    member: reqwest::Client,
    /// A contact operator who may not review, and a reviewer who may not triage.
    operator: reqwest::Client,
    reviewer: reqwest::Client,
    /// An online report's reference.
    report: String,
    /// Enrolled but not signed in anywhere, for the public sign-in form.
    signer_email: String,
    signer_secret: String,
    provider_id: i64,
    /// A sent alert of the constabulary.
    alert_id: i64,
    resident_id: i64,
    manage: String,
    unsubscribe: String,
    confirm: String,
    alert_link: String,
    /// The token of an unused enrolment link.
    enrolment: String,
    api_token: String,
    /// A report's follow link, and the id of the file sent with it.
    follow_report: String,
    report_file: i64,
    /// A live chat waiting in the constabulary's inbox.
    conversation: i64,
    /// An Open311 key of the constabulary.
    open311_key: String,
    /// A started chat's token.
    chat: String,
    /// The survey the sent alert carries (it has a public page), and a link emailed from
    /// that page.
    survey_id: i64,
    survey_link: String,
    /// An open Neighbourhood Watch scheme, and a browser signed in as its coordinator.
    scheme_id: i64,
    coordinator: reqwest::Client,
}

impl Fixture {
    async fn new(backend: Backend) -> Fixture {
        let app = TestApp::spawn_with(backend, |settings| {
            settings.sms.notify_callback_token = GATEWAY_TOKEN.into();
        })
        .await;
        let org = "cambridgeshire-constabulary";
        let (admin_staff, admin) =
            staff_member(&app, "Alex Morgan", org, (false, false, true, false)).await;
        let (sender_staff, sender) =
            staff_member(&app, "Lucy Ward", org, (true, false, false, false)).await;
        let (_, member) = staff_member(&app, "Sam Patel", org, (false, true, false, false)).await;
        let (operator_staff, operator) = report_triage::operator(&app, "Olivia Reed").await;
        let (_, reviewer) = report_triage::reviewer(&app, "Ravi Kumar").await;
        let report = report_triage::made(&app, report_triage::Made::default())
            .await
            .reference;
        let by_admin = Actor {
            staff: Some(&admin_staff),
            ip: "test",
        };

        // Someone enrolled who has not signed in yet, and an enrolment link nobody has used.
        let nobody = Actor {
            staff: None,
            ip: "test",
        };
        let signer_email = "jo.king@staff.example".to_owned();
        let (signer, _) =
            staff_service::create_staff(&app.ctx, &nobody, &staff_input(&signer_email))
                .await
                .unwrap();
        let signer_secret = staff_service::new_totp_secret();
        staff_service::enrol_for_demo(&app.ctx, &signer, PASSWORD, &signer_secret)
            .await
            .unwrap();
        let (_, link) =
            staff_service::create_staff(&app.ctx, &nobody, &staff_input("new@staff.example"))
                .await
                .unwrap();
        let enrolment = after(&link, "/staff/enrol/");

        // A resident, and an alert sent to them.
        let resident_id = resident(&app).await;
        let resident = app
            .ctx
            .store
            .subscriber(resident_id)
            .await
            .unwrap()
            .unwrap();
        let (alert_id, survey_id) = sent_alert(&app, &by_admin).await;
        let survey_link = beacon::services::survey_links::public_link_token(
            &app.ctx,
            survey_id,
            "ea-keyed-hash",
            "E07000008",
            chrono::Utc::now().timestamp() + 3_600,
        );
        let alert_link = alert_link_token(
            &app.ctx,
            alert_id,
            &resident.public_id,
            resident.token_version,
        );
        let tomorrow = (chrono::Utc::now().timestamp() + 86_400).to_string();
        let confirm = app
            .ctx
            .signer
            .sign("confirm", &[&resident.public_id, "n", &tomorrow]);
        let api_token = api_tokens::create(&app.ctx, &by_admin, org, "Case system")
            .await
            .unwrap();
        let open311_key = api_tokens::create_for(
            &app.ctx,
            &by_admin,
            org,
            "Open311 client",
            TokenScope::Open311,
        )
        .await
        .unwrap();
        let provider_id = app.ctx.store.providers().await.unwrap()[0].id;
        let (follow_report, report_file) = followed_report(&app).await;
        let chat = started_chat(&app, provider_id).await;
        let conversation = app
            .ctx
            .store
            .start_conversation(
                &beacon::store::NewConversation {
                    token: beacon::services::tokens::random_id(),
                    provider_id: operator_staff.provider_id,
                    first_name: "Sam".into(),
                    topic: "A scam call".into(),
                    ..beacon::store::NewConversation::default()
                },
                None,
                chrono::Utc::now().timestamp(),
            )
            .await
            .unwrap()
            .id;
        let scheme_id =
            crate::schemes::open_scheme(&app, "Mill Road Watch", "E07000008", &["CB1 1PT"]).await;
        let (_, coordinator) = crate::schemes::coordinator(&app, "Grace Adeyemi", scheme_id).await;
        Fixture {
            visitor: visitor(),
            admin,
            sender,
            sender_public_id: sender_staff.public_id.clone(),
            member,
            operator,
            reviewer,
            report,
            signer_email,
            signer_secret,
            provider_id,
            alert_id,
            resident_id,
            manage: subs::manage_token(&app.ctx, &resident),
            unsubscribe: subs::unsubscribe_token(&app.ctx, &resident),
            confirm,
            alert_link,
            enrolment,
            api_token,
            follow_report,
            report_file,
            conversation,
            open311_key,
            chat,
            survey_id,
            survey_link,
            scheme_id,
            coordinator,
            app,
        }
    }

    /// The route's path with plausible values: real ones, or for a link's token, the token of
    /// the link the route declares (`tampered`: with one character changed).
    fn path(&self, route: &Route, tampered: bool) -> String {
        let token = match route.access {
            Access::Resident(Link::Confirm) => &self.confirm,
            Access::Resident(Link::Manage) => &self.manage,
            Access::Resident(Link::Unsubscribe) => &self.unsubscribe,
            Access::Resident(Link::Alert) => &self.alert_link,
            Access::Resident(Link::Report) => &self.follow_report,
            Access::Resident(Link::Chat) => &self.chat,
            Access::Resident(Link::Survey) => &self.survey_link,
            Access::Enrolment => &self.enrolment,
            _ => "a-made-up-token",
        };
        let token = if tampered {
            tamper(token)
        } else {
            token.to_owned()
        };
        let id = if route.path.starts_with("/staff/admin/organisations/") {
            self.provider_id.to_string()
        } else if route.path.starts_with("/staff/admin/tokens/") {
            "999999".to_owned()
        } else if route.path.starts_with("/reports/") {
            self.report_file.to_string()
        } else if route.path.starts_with("/staff/inbox/") {
            self.conversation.to_string()
        } else if route.path.starts_with("/surveys/") || route.path.starts_with("/staff/surveys/") {
            self.survey_id.to_string()
        } else if route.path.starts_with("/schemes/")
            || route.path.starts_with("/staff/schemes/")
            || route.path.starts_with("/staff/coordinate/")
        {
            self.scheme_id.to_string()
        } else {
            self.alert_id.to_string()
        };
        route
            .path
            .replace("{token}", &token)
            .replace("{id}", &id)
            .replace("{verdict}", "useful")
            .replace("{action}", "submit")
            .replace("{public_id}", &self.sender_public_id)
            .replace("{subscriber}", &self.resident_id.to_string())
            .replace("{channel}", "email")
            .replace("{reference}", &self.report)
            .replace("{postcode}", "CB11PT")
            .replace("{kind}", "providers")
            .replace("{file}", "atom.xml")
            .replace("{code}", "theft")
    }

    /// A request on the route as `browser`, with `fields` as a form for a POST.
    async fn send(
        &self,
        browser: &reqwest::Client,
        route: &Route,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let request = browser.request(route.method.clone(), self.app.url(path));
        let request = if route.method == Method::POST {
            request.form(fields)
        } else {
            request
        };
        request.send().await.unwrap()
    }

    /// The CSRF token `browser` holds, from a page with a form on it.
    async fn csrf(&self, browser: &reqwest::Client, page: &str) -> String {
        let html = browser
            .get(self.app.url(page))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        hidden_value(&html, "csrf").unwrap_or_else(|| panic!("{page} has no CSRF field"))
    }

    async fn audit_entries(&self) -> usize {
        let filter = AuditFilter {
            limit: 10_000,
            ..AuditFilter::default()
        };
        self.app
            .ctx
            .store
            .audit_entries(&filter)
            .await
            .unwrap()
            .len()
    }
}

/// A browser with no session that keeps cookies and does not follow redirects.
fn visitor() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn staff_input(email: &str) -> StaffInput {
    StaffInput {
        email: email.into(),
        name: "Jo King".into(),
        role_title: "Communications Assistant".into(),
        area_label: "Cambridge".into(),
        provider: "cambridgeshire-constabulary".into(),
        send: true,
        ..StaffInput::default()
    }
}

/// The part of a link after `marker`.
fn after(link: &str, marker: &str) -> String {
    link.split_once(marker)
        .expect("the link's path")
        .1
        .to_owned()
}

/// The token with its first character changed: still well formed, no longer signed.
fn tamper(token: &str) -> String {
    let first = if token.starts_with('A') { 'B' } else { 'A' };
    format!("{first}{}", &token[1..])
}

/// A confirmed resident in Cambridge who wants every alert by email; their id.
async fn resident(app: &TestApp) -> i64 {
    let preferences = Preferences {
        name: "Mandy Clarke".into(),
        mobile: None,
        places: vec![Place {
            postcode: Postcode::parse("CB1 1PT").unwrap(),
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
        sms: false,
        sms_min_priority: Priority::new(2).unwrap(),
        quiet_hours: None,
        email_format: EmailFormat::Full,
    };
    let email = "mandy@example.com";
    let new = NewSubscriber {
        public_id: "mandy".into(),
        email: beacon::domain::EmailAddress::parse(email).unwrap(),
        email_key: email.into(),
        preferences,
        confirm_nonce: "n".into(),
        now: chrono::Utc::now().timestamp(),
    };
    let store = &app.ctx.store;
    let id = store.insert_pending_subscriber(&new, None).await.unwrap();
    store.confirm_subscriber(id, "n", new.now).await.unwrap();
    id
}

/// A report with a file, stored as the resident's pages store one; its follow link's token and
/// the file's id.
async fn followed_report(app: &TestApp) -> (String, i64) {
    use beacon::store::{NewReport, NewReportFile};
    let reference = "RPT-TEST-2345";
    let new = NewReport {
        reference: reference.into(),
        service_code: "criminal-damage".into(),
        description: "My car was scratched.".into(),
        location_text: "CB1 1PT".into(),
        answers: "{}".into(),
        reporter_name: Some("Mandy Clarke".into()),
        reporter_email: Some("mandy@example.com".into()),
        source: "web".into(),
        form_nonce: "routes".into(),
        created_at: chrono::Utc::now().timestamp(),
        ..NewReport::default()
    };
    let file = NewReportFile {
        name: "car.png".into(),
        content_type: "image/png".into(),
        content: b"a picture".to_vec(),
    };
    let (id, _) = app
        .ctx
        .store
        .create_report(&new, &[file], None)
        .await
        .unwrap();
    let file_id = app.ctx.store.report_files(id).await.unwrap()[0].id;
    (
        beacon::services::reports::follow_token(&app.ctx, reference),
        file_id,
    )
}

/// A live chat a resident started, waiting for an operator; its token.
async fn started_chat(app: &TestApp, provider_id: i64) -> String {
    use beacon::domain::conversation::ConversationKind;
    use beacon::store::NewConversation;
    let token = beacon::services::tokens::random_id();
    let chat = NewConversation {
        token: token.clone(),
        kind: Some(ConversationKind::Chat),
        provider_id,
        topic: "A scam call".into(),
        ..NewConversation::default()
    };
    app.ctx
        .store
        .start_conversation(&chat, None, chrono::Utc::now().timestamp())
        .await
        .unwrap();
    token
}

/// An alert of the constabulary carrying a survey with a public page (so the survey's links
/// open), written and sent by the admin; its id and the survey's.
async fn sent_alert(app: &TestApp, by_admin: &Actor<'_>) -> (i64, i64) {
    let survey = crate::survey_public::public_survey(app, false, true).await;
    let input = AlertInput {
        provider: "cambridgeshire-constabulary".into(),
        message_type: "crime-update".into(),
        priority: "3".into(),
        title: "Catalytic converter thefts".into(),
        body: "Thefts in Meldreth and Melbourn this week.".into(),
        force_area: Some("on".into()),
        survey: Some(survey),
        ..AlertInput::default()
    };
    let id = alerts::save_draft(&app.ctx, by_admin, &input)
        .await
        .unwrap();
    for action in [AlertAction::Submit, AlertAction::SendNow] {
        let alert = app.ctx.store.alert(id).await.unwrap().unwrap();
        alerts::act(&app.ctx, by_admin, &alert, action)
            .await
            .unwrap();
    }
    (id, survey)
}

fn is_staff(access: Access) -> bool {
    matches!(
        access,
        Access::SignedInStaff
            | Access::Sender
            | Access::Admin
            | Access::ReportStaff
            | Access::Operator
            | Access::Reviewer
            | Access::Coordinator
    )
}

/// Checks that the route refuses whoever its declaration shuts out, and lets in the least
/// of those it admits; a list of what is wrong.
async fn check_access(f: &Fixture, route: &Route) -> Vec<String> {
    let mut wrong = Vec::new();
    let name = format!("{} {} ({:?})", route.method, route.path, route.access);
    let path = f.path(route, false);
    if is_staff(route.access) {
        let answer = f.send(&f.visitor, route, &path, &[]).await;
        let location = answer
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        if answer.status() != StatusCode::SEE_OTHER || location.as_deref() != Some("/staff/sign-in")
        {
            wrong.push(format!(
                "{name}: without a session answered {} (to {location:?}), not the sign-in page",
                answer.status()
            ));
        }
        // Who is one step short of the declared access, and who just has it.
        let (short, enough) = match route.access {
            Access::Admin => (Some((&f.sender, "a sender")), &f.admin),
            Access::Sender => (Some((&f.member, "an approver who may not send")), &f.sender),
            Access::ReportStaff => (Some((&f.sender, "a sender")), &f.reviewer),
            Access::Operator => (Some((&f.reviewer, "a reviewer")), &f.operator),
            Access::Reviewer => (Some((&f.operator, "an operator")), &f.reviewer),
            Access::Coordinator => (Some((&f.sender, "a sender")), &f.coordinator),
            _ => (None, &f.member),
        };
        if let Some((browser, who)) = short {
            let csrf = f.csrf(browser, "/staff").await;
            let answer = f.send(browser, route, &path, &[("csrf", &csrf)]).await;
            if answer.status() != StatusCode::FORBIDDEN {
                wrong.push(format!("{name}: {who} got {}, not 403", answer.status()));
            }
        }
        if route.method == Method::GET {
            let answer = f.send(enough, route, &path, &[]).await;
            if answer.status() == StatusCode::FORBIDDEN || answer.url().path() == "/staff/sign-in" {
                wrong.push(format!(
                    "{name}: refused someone it declares it admits ({})",
                    answer.status()
                ));
            }
        }
        return wrong;
    }
    match route.access {
        Access::Public => {
            let answer = match (route.path, route.form) {
                ("/staff/sign-in", true) => {
                    // Signing in for real, in a browser of its own: the visitor stays without
                    // a session.
                    let browser = visitor();
                    let csrf = f.csrf(&browser, "/staff/sign-in").await;
                    let code = staff_service::current_code(&f.signer_secret).unwrap();
                    let fields = [
                        ("csrf", csrf.as_str()),
                        ("email", f.signer_email.as_str()),
                        ("password", PASSWORD),
                        ("code", code.as_str()),
                    ];
                    f.send(&browser, route, &path, &fields).await
                }
                (_, true) => {
                    let csrf = f.csrf(&f.visitor, "/").await;
                    f.send(&f.visitor, route, &path, &[("csrf", &csrf)]).await
                }
                (_, false) if route.method == Method::POST => f
                    .visitor
                    .post(f.app.url(&path))
                    .json(&serde_json::json!({}))
                    .send()
                    .await
                    .unwrap(),
                _ => f.send(&f.visitor, route, &path, &[]).await,
            };
            let status = answer.status();
            let location = answer
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap().to_owned());
            // A made-up id may be not found, but a link refused means the route wants one.
            let body = answer.text().await.unwrap();
            if status == StatusCode::UNAUTHORIZED
                || status == StatusCode::FORBIDDEN
                || location.as_deref() == Some("/staff/sign-in")
                || body.contains("link cannot be used")
            {
                wrong.push(format!(
                    "{name}: refused a visitor ({status}, to {location:?})"
                ));
            }
        }
        Access::Resident(_) | Access::Enrolment => {
            let answer = f.send(&f.visitor, route, &f.path(route, true), &[]).await;
            if answer.status() != StatusCode::NOT_FOUND {
                wrong.push(format!(
                    "{name}: a tampered link got {}, not 404",
                    answer.status()
                ));
            }
            // The untampered link opens the page (a rating link only asks: it records nothing
            // until its button is pressed).
            if route.method == Method::GET {
                let answer = f.send(&f.visitor, route, &path, &[]).await;
                if answer.status() != StatusCode::OK {
                    wrong.push(format!("{name}: the real link got {}", answer.status()));
                }
            }
        }
        Access::ApiToken | Access::Gateway => {
            for bearer in [None, Some("Bearer bcn_not-a-real-token")] {
                let mut request = f.visitor.request(route.method.clone(), f.app.url(&path));
                if let Some(bearer) = bearer {
                    request = request.header(AUTHORIZATION, bearer);
                }
                let answer = request.json(&serde_json::json!({})).send().await.unwrap();
                if answer.status() != StatusCode::UNAUTHORIZED {
                    wrong.push(format!(
                        "{name}: with {bearer:?} got {}, not 401",
                        answer.status()
                    ));
                }
            }
            let good = match route.access {
                Access::ApiToken => format!("Bearer {}", f.api_token),
                _ => format!("Bearer {GATEWAY_TOKEN}"),
            };
            let answer = f
                .visitor
                .request(route.method.clone(), f.app.url(&path))
                .header(AUTHORIZATION, good)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            if answer.status() == StatusCode::UNAUTHORIZED {
                wrong.push(format!("{name}: refused the right token"));
            }
        }
        Access::Open311Key => {
            // No key, a made-up one and an alerts token are refused with 403; the Open311 key
            // is let in (the empty request it carries is then refused for what it lacks).
            for key in [
                None,
                Some("bcn_not-a-real-token"),
                Some(f.api_token.as_str()),
            ] {
                let fields: Vec<(&str, &str)> = key.map(|k| ("api_key", k)).into_iter().collect();
                let answer = f.send(&f.visitor, route, &path, &fields).await;
                if answer.status() != StatusCode::FORBIDDEN {
                    wrong.push(format!(
                        "{name}: with the key {key:?} got {}, not 403",
                        answer.status()
                    ));
                }
            }
            let fields = [("api_key", f.open311_key.as_str())];
            let answer = f.send(&f.visitor, route, &path, &fields).await;
            if answer.status() == StatusCode::FORBIDDEN {
                wrong.push(format!("{name}: refused the Open311 key"));
            }
        }
        _ => wrong.push(format!("{name}: no check for this access")),
    }
    wrong
}

/// Posts the form without its CSRF token, as someone it admits (so only the token is
/// missing); refused unless it says otherwise.
async fn check_form(f: &Fixture, route: &Route) -> Vec<String> {
    let name = format!("{} {} ({:?})", route.method, route.path, route.access);
    let path = f.path(route, false);
    let mut fields: Vec<(&str, String)> = Vec::new();
    let browser = match route.access {
        Access::Public | Access::Resident(_) => &f.visitor,
        Access::Enrolment => {
            // The link is checked with the key the page showed, then the token.
            let page = f.app.get(&path).await.text().await.unwrap();
            for field in ["secret", "secret_seal"] {
                fields.push((
                    field,
                    hidden_value(&page, field).expect("the enrolment form"),
                ));
            }
            &f.visitor
        }
        Access::Coordinator => &f.coordinator,
        access if is_staff(access) => &f.admin,
        _ => return vec![format!("{name}: a form, but no way to check it")],
    };
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = f.send(browser, route, &path, &fields).await;
    let status = answer.status();
    // 403 (the form has expired or came from another site); the reply form says so with 422
    // and keeps the resident's words.
    if status != StatusCode::FORBIDDEN && status != StatusCode::UNPROCESSABLE_ENTITY {
        return vec![format!("{name}: without its CSRF token got {status}")];
    }
    Vec::new()
}

on_both_backends!(every_route_enforces_the_access_it_declares, routes_body);
async fn routes_body(backend: Backend) {
    let f = Fixture::new(backend).await;
    let table = routes();
    let mut wrong = Vec::new();

    // Forms first, so nothing else has changed what they would change.
    let audited = f.audit_entries().await;
    for route in table.iter().filter(|r| r.form) {
        wrong.extend(check_form(&f, route).await);
    }
    if f.audit_entries().await != audited {
        wrong.push("a form posted without its CSRF token did something audited".into());
    }
    let resident = f.app.ctx.store.subscriber(f.resident_id).await.unwrap();
    if resident.map(|r| r.status) != Some(SubscriberStatus::Active) {
        wrong.push("a form posted without its CSRF token changed the resident".into());
    }

    for route in &table {
        wrong.extend(check_access(&f, route).await);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    f.app.stop().await;
}

/// The POSTs that take no CSRF token need none: the API's and the gateway's credentials are
/// not sent by a browser by itself, and a resident's link button (confirm, unsubscribe, rate)
/// carries its token in the path, which another site cannot know.
#[test]
fn posts_without_a_csrf_token_need_none() {
    for route in routes() {
        if route.method != Method::POST || route.form {
            continue;
        }
        let fine = match route.access {
            Access::ApiToken | Access::Gateway | Access::Open311Key => true,
            Access::Resident(Link::Confirm | Link::Unsubscribe) => true,
            Access::Resident(Link::Alert) => route.path.starts_with("/rate/"),
            Access::Public => route.path.starts_with("/api/"),
            _ => false,
        };
        assert!(
            fine,
            "POST {} ({:?}) is not a form: should it be?",
            route.path, route.access
        );
    }
}

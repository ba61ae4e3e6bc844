//! Triage and review of online reports, as contact operators, reviewers and managers meet
//! them: the queue (urgent first, then oldest, filtered, waits against the target), THRIVE
//! assessments and re-assessments, duplicates shown and linked, review decisions (the crime
//! reference checked against the force's pattern; two reviewers at once, one wins), the
//! reporter's email, the dashboard's figures, and who may do what (refusals audited).

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::report::ReportStatus;
use beacon::domain::staff::StaffInput;
use beacon::services::staff::{self as staff_service, Actor};
use beacon::store::{
    AuditFilter, NewAssessment, NewReport, NewReportFile, Report, ReviewDecision, StaffMember,
};
use reqwest::StatusCode;

const PASSWORD: &str = "a long and memorable password";
const HOUR: i64 = 3600;
/// Huntingdonshire and Cambridge.
const HUNTINGDONSHIRE: &str = "E07000011";
const CAMBRIDGE: &str = "E07000008";

/// A member of staff with the permissions `permit` gives, enrolled, and a browser signed in as
/// them.
pub(crate) async fn staff_with(
    app: &TestApp,
    name: &str,
    permit: impl FnOnce(&mut StaffInput),
) -> (StaffMember, reqwest::Client) {
    let email = format!("{}@staff.example", name.to_lowercase().replace(' ', "."));
    let mut input = StaffInput {
        email: email.clone(),
        name: name.into(),
        role_title: "Contact Operator".into(),
        area_label: "Force control room".into(),
        provider: "cambridgeshire-constabulary".into(),
        ..StaffInput::default()
    };
    permit(&mut input);
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

pub(crate) async fn operator(app: &TestApp, name: &str) -> (StaffMember, reqwest::Client) {
    staff_with(app, name, |i| i.operate = true).await
}

pub(crate) async fn reviewer(app: &TestApp, name: &str) -> (StaffMember, reqwest::Client) {
    staff_with(app, name, |i| i.review = true).await
}

/// A report as a resident would have sent it: of `kind`, made `hours_ago`, at a point in a
/// district, by a named reporter with an email address.
pub(crate) struct Made<'a> {
    pub reference: &'a str,
    pub kind: &'a str,
    pub hours_ago: i64,
    pub urgent: bool,
    pub district: &'a str,
    pub at: (i64, i64),
    pub files: &'a [NewReportFile],
}

impl Default for Made<'_> {
    fn default() -> Self {
        Made {
            reference: "RPT-AAAA-AAAA",
            kind: "criminal-damage",
            hours_ago: 1,
            urgent: false,
            district: HUNTINGDONSHIRE,
            at: (524_000, 271_000),
            files: &[],
        }
    }
}

pub(crate) async fn made(app: &TestApp, made: Made<'_>) -> Report {
    beacon::services::reports::seed_kinds(&*app.ctx.store)
        .await
        .unwrap();
    let created_at = chrono::Utc::now().timestamp() - made.hours_ago * HOUR;
    let new = NewReport {
        reference: made.reference.into(),
        service_code: made.kind.into(),
        urgent: made.urgent,
        description: "Someone scratched my car and smashed the wing mirror <script>x</script>"
            .into(),
        happened_text: "Last night".into(),
        happened_at: Some(created_at - 6 * HOUR),
        location_text: "High Street, Huntingdon".into(),
        postcode: Some("PE29 3TF".into()),
        easting: Some(made.at.0),
        northing: Some(made.at.1),
        district_code: Some(made.district.into()),
        answers: "{}".into(),
        anonymous: false,
        reporter_name: Some("Priya Shah".into()),
        reporter_email: Some("priya@example.com".into()),
        source: "web".into(),
        form_nonce: format!("nonce-{}", made.reference),
        created_at,
        ..NewReport::default()
    };
    let (id, fresh) = app
        .ctx
        .store
        .create_report(&new, made.files, None)
        .await
        .unwrap();
    assert!(fresh);
    app.ctx.store.report(id).await.unwrap().unwrap()
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let answer = browser.get(app.url(path)).send().await.unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// A THRIVE form filled in: every level low except harm, and the decision's fields.
fn thrive(decision: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = vec![
        ("threat_level", "low".into()),
        ("harm_level", "medium".into()),
        ("harm_note", "Damage to the car, about £400".into()),
        ("risk_level", "low".into()),
        ("investigation_level", "medium".into()),
        ("investigation_note", "A neighbour's doorbell camera".into()),
        ("vulnerability_level", "low".into()),
        ("engagement_level", "low".into()),
    ];
    fields.extend(decision.iter().map(|(k, v)| (*k, (*v).to_owned())));
    fields
}

/// Opens the report's page and fills in one of its forms: its CSRF token (and the THRIVE
/// form's one-time value and the status the page showed, unless `fields` has them), then
/// `fields`.
async fn filled_in(
    browser: &reqwest::Client,
    app: &TestApp,
    reference: &str,
    fields: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let (_, html) = page(browser, app, &format!("/staff/reports/{reference}")).await;
    let mut form = vec![("csrf", hidden_value(&html, "csrf").unwrap())];
    for own in ["nonce", "seen"] {
        if let Some(value) =
            hidden_value(&html, own).filter(|_| !fields.iter().any(|(k, _)| *k == own))
        {
            form.push((own, value));
        }
    }
    form.extend(fields.iter().cloned());
    form
}

/// Posts a filled-in form of a report's page (`action`: assess, link or review).
async fn post_form(
    browser: &reqwest::Client,
    app: &TestApp,
    reference: &str,
    action: &str,
    form: &[(&'static str, String)],
) -> (StatusCode, String) {
    let answer = browser
        .post(app.url(&format!("/staff/reports/{reference}/{action}")))
        .form(form)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.text().await.unwrap())
}

/// Opens the report's page and posts one of its forms, filled in with `fields`.
async fn post_on_report(
    browser: &reqwest::Client,
    app: &TestApp,
    reference: &str,
    action: &str,
    fields: &[(&'static str, String)],
) -> (StatusCode, String) {
    let form = filled_in(browser, app, reference, fields).await;
    post_form(browser, app, reference, action, &form).await
}

async fn status_of(app: &TestApp, reference: &str) -> ReportStatus {
    let report = app.ctx.store.report_by_reference(reference).await.unwrap();
    report.unwrap().status
}

async fn audited(app: &TestApp, action: &str, refused: bool) -> usize {
    let filter = AuditFilter {
        limit: 1_000,
        ..AuditFilter::default()
    };
    let entries = app.ctx.store.audit_entries(&filter).await.unwrap();
    entries
        .iter()
        .filter(|e| e.action == action && (e.outcome == "refused") == refused)
        .count()
}

on_both_backends!(
    the_queue_puts_urgent_reports_first_then_the_oldest,
    queue_body
);
async fn queue_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, browser) = operator(&app, "Olivia Reed").await;
    made(
        &app,
        Made {
            reference: "RPT-OLD1-AAAA",
            kind: "theft",
            hours_ago: 60,
            ..Made::default()
        },
    )
    .await;
    made(
        &app,
        Made {
            reference: "RPT-NEW2-BBBB",
            hours_ago: 2,
            ..Made::default()
        },
    )
    .await;
    made(
        &app,
        Made {
            reference: "RPT-URG3-CCCC",
            hours_ago: 1,
            urgent: true,
            district: CAMBRIDGE,
            ..Made::default()
        },
    )
    .await;

    let (status, html) = page(&browser, &app, "/staff/reports").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let at = |r: &str| html.find(r).unwrap_or_else(|| panic!("{r} in the queue"));
    assert!(at("RPT-URG3-CCCC") < at("RPT-OLD1-AAAA"), "urgent first");
    assert!(at("RPT-OLD1-AAAA") < at("RPT-NEW2-BBBB"), "then the oldest");
    // The oldest has waited past the 48 hours' target, and says so.
    let old_row = &html[at("RPT-OLD1-AAAA")..at("RPT-NEW2-BBBB")];
    assert!(
        old_row.contains("2 days 12 hours (target 48 hours)"),
        "{old_row}"
    );
    assert!(old_row.contains("Past target"), "{old_row}");
    assert!(!html[at("RPT-NEW2-BBBB")..].contains("Past target"));
    assert!(html.contains("1 past the target"), "{html}");

    let (_, theft) = page(&browser, &app, "/staff/reports?kind=theft").await;
    assert!(theft.contains("RPT-OLD1-AAAA") && !theft.contains("RPT-NEW2-BBBB"));
    let cambridge = format!("/staff/reports?district={CAMBRIDGE}");
    let (_, cambridge) = page(&browser, &app, &cambridge).await;
    assert!(cambridge.contains("RPT-URG3-CCCC") && !cambridge.contains("RPT-OLD1-AAAA"));
    let (_, review) = page(&browser, &app, "/staff/reports?tab=review").await;
    assert!(review.contains("No reports here"), "{review}");
    let (_, all) = page(&browser, &app, "/staff/reports?tab=all").await;
    assert_eq!(all.matches("class=\"report-row\"").count(), 3);
    app.stop().await;
}

on_both_backends!(
    an_operator_assesses_and_reassesses_and_every_assessment_is_kept,
    thrive_body
);
async fn thrive_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, browser) = operator(&app, "Olivia Reed").await;
    let report = made(&app, Made::default()).await;
    let reference = report.reference.as_str();

    // The resident's words are shown as text, never as markup.
    let (_, html) = page(&browser, &app, &format!("/staff/reports/{reference}")).await;
    assert!(
        html.contains("&#60;script&#62;x&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>x"));

    // A form with problems: said by field, nothing stored.
    let fields = vec![("decision", "respond".to_owned())];
    let (status, html) = post_on_report(&browser, &app, reference, "assess", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("There is a problem"), "{html}");
    assert!(html.contains("Choose a level for threat"));
    assert!(html.contains("Choose the response grade"));
    assert!(app
        .ctx
        .store
        .assessments(report.id)
        .await
        .unwrap()
        .is_empty());

    let first = thrive(&[("decision", "respond"), ("grade", "scheduled-appointment")]);
    let (status, html) = post_on_report(&browser, &app, reference, "assess", &first).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("The assessment is recorded: Waiting for review."),
        "{html}"
    );
    assert!(html.contains("Scheduled appointment"));
    assert!(html.contains("doorbell camera"));
    assert_eq!(status_of(&app, reference).await, ReportStatus::Assessed);

    // The same form sent twice is stored once.
    let nonce = ("nonce", "the-same-form".to_owned());
    let mut again = thrive(&[("decision", "refer"), ("referral", "council")]);
    again.push(nonce);
    post_on_report(&browser, &app, reference, "assess", &again).await;
    let (_, html) = post_on_report(&browser, &app, reference, "assess", &again).await;
    assert!(html.contains("already recorded"), "{html}");

    // Re-THRIVE: the new decision moves the report on, and both assessments are kept.
    let assessments = app.ctx.store.assessments(report.id).await.unwrap();
    assert_eq!(assessments.len(), 2);
    assert_eq!(status_of(&app, reference).await, ReportStatus::Referred);
    let (_, html) = page(&browser, &app, &format!("/staff/reports/{reference}")).await;
    assert_eq!(html.matches("class=\"panel assessment\"").count(), 2);
    assert!(html.contains("Refer to the local council"));
    assert!(html.contains("Assess it again (re-THRIVE)"));
    // The reporter is told, in a public update.
    let updates = app.ctx.store.report_updates(report.id).await.unwrap();
    assert!(
        updates
            .iter()
            .any(|u| u.public && u.body.contains("the local council")),
        "{updates:?}"
    );
    assert_eq!(audited(&app, "assess-report", false).await, 2);
    app.stop().await;
}

on_both_backends!(
    possible_duplicates_are_shown_and_can_be_linked,
    duplicates_body
);
async fn duplicates_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, browser) = operator(&app, "Olivia Reed").await;
    let report = made(&app, Made::default()).await;
    // The same kind 100 m away two days before; the same place but another kind; far away.
    let near = Made {
        reference: "RPT-NEAR-0001",
        hours_ago: 49,
        at: (524_060, 271_080),
        ..Made::default()
    };
    made(&app, near).await;
    let other_kind = Made {
        reference: "RPT-KIND-0002",
        kind: "theft",
        ..Made::default()
    };
    made(&app, other_kind).await;
    let far = Made {
        reference: "RPT-FAR0-0003",
        at: (530_000, 271_000),
        ..Made::default()
    };
    made(&app, far).await;

    let path = format!("/staff/reports/{}", report.reference);
    let (_, html) = page(&browser, &app, &path).await;
    let duplicates = &html[html.find("id=\"duplicates\"").expect("duplicates listed")..];
    let duplicates = &duplicates[..duplicates.find("</ul>").unwrap()];
    assert!(duplicates.contains("RPT-NEAR-0001"), "{duplicates}");
    assert!(!duplicates.contains("RPT-KIND-0002") && !duplicates.contains("RPT-FAR0-0003"));

    let link = [("other", "RPT-NEAR-0001".to_owned())];
    let (status, html) = post_on_report(&browser, &app, &report.reference, "link", &link).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Linked with RPT-NEAR-0001"), "{html}");
    let linked = &html[html.find("id=\"linked\"").expect("linked listed")..];
    assert!(linked.contains("RPT-NEAR-0001"));
    assert!(
        html.contains("id=\"no-duplicates\""),
        "a linked report is no longer offered"
    );
    let linked = app.ctx.store.linked_reports(report.id).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(audited(&app, "link-reports", false).await, 1);

    // A reference that is not another report: said, nothing linked.
    let bad = [("other", report.reference.clone())];
    let (status, _) = post_on_report(&browser, &app, &report.reference, "link", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

/// A report assessed by an operator (through the page), waiting for review.
async fn assessed(app: &TestApp, made_as: Made<'_>) -> Report {
    let (_, browser) = staff_with(app, &format!("Operator {}", made_as.reference), |i| {
        i.operate = true
    })
    .await;
    let report = made(app, made_as).await;
    let fields = thrive(&[("decision", "respond"), ("grade", "priority")]);
    let (status, _) = post_on_report(&browser, app, &report.reference, "assess", &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        status_of(app, &report.reference).await,
        ReportStatus::Assessed
    );
    report
}

fn crime(reference: &str) -> Vec<(&'static str, String)> {
    vec![
        ("outcome", "crime".to_owned()),
        ("crime_reference", reference.to_owned()),
    ]
}

on_both_backends!(
    a_crime_reference_must_be_in_the_forces_format,
    crime_reference_body
);
async fn crime_reference_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = assessed(&app, Made::default()).await;
    let (_, browser) = reviewer(&app, "Ravi Kumar").await;
    let reference = report.reference.as_str();

    for wrong in ["35/1234/2026", "ABC", "36/1234/26", ""] {
        let (status, html) =
            post_on_report(&browser, &app, reference, "review", &crime(wrong)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
        assert!(
            html.contains("for example 35/5475/21") || html.contains("Enter the crime reference"),
            "{html}"
        );
        assert_eq!(status_of(&app, reference).await, ReportStatus::Assessed);
    }
    let (status, html) =
        post_on_report(&browser, &app, reference, "review", &crime(" 35/1234/26 ")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Decided: Crime recorded"), "{html}");
    let report = app.ctx.store.report(report.id).await.unwrap().unwrap();
    assert_eq!(report.status, ReportStatus::CrimeRecorded);
    assert_eq!(report.crime_reference.as_deref(), Some("35/1234/26"));
    let updates = app.ctx.store.report_updates(report.id).await.unwrap();
    assert!(updates.iter().any(|u| u.public
        && u.body
            .contains("A crime has been recorded. Your crime reference is 35/1234/26.")));
    assert_eq!(audited(&app, "review-report", false).await, 1);

    // Closing needs a reason and an explanation.
    let close = vec![("outcome", "close".to_owned())];
    let (status, html) = post_on_report(&browser, &app, reference, "review", &close).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose why the report is closed"));
    assert!(html.contains("Explain to the reporter why their report is closed"));
    app.stop().await;
}

on_both_backends!(
    two_reviewers_deciding_at_once_one_wins,
    concurrent_review_body,
    multi_thread
);
async fn concurrent_review_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = assessed(&app, Made::default()).await;
    let (_, first) = reviewer(&app, "Ravi Kumar").await;
    let (_, second) = reviewer(&app, "Rosa Diaz").await;
    let reference = report.reference.as_str();
    let close = vec![
        ("outcome", "close".to_owned()),
        ("close_reason", "no-lines-of-enquiry".to_owned()),
        ("explanation", "There is no CCTV and no witness.".to_owned()),
    ];
    // Both open the report while it waits for review, then decide at the same moment.
    let record = filled_in(&first, &app, reference, &crime("35/1234/26")).await;
    let close = filled_in(&second, &app, reference, &close).await;
    let (a, b) = tokio::join!(
        post_form(&first, &app, reference, "review", &record),
        post_form(&second, &app, reference, "review", &close),
    );
    let statuses = [a.0, b.0];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let loser = if a.0 == StatusCode::CONFLICT {
        &a.1
    } else {
        &b.1
    };
    assert!(
        loser.contains("Someone else has decided on this report"),
        "{loser}"
    );
    let decided = app
        .ctx
        .store
        .report_updates(report.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| matches!(u.status.as_deref(), Some("crime-recorded") | Some("closed")))
        .count();
    assert_eq!(decided, 1);
    assert_eq!(audited(&app, "review-report", false).await, 1);
    app.stop().await;
}

on_both_backends!(
    the_reporter_is_emailed_the_review_decision,
    reporter_email_body
);
async fn reporter_email_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = assessed(&app, Made::default()).await;
    let (_, browser) = reviewer(&app, "Ravi Kumar").await;
    let fields = crime("35/1234/26");
    post_on_report(&browser, &app, &report.reference, "review", &fields).await;
    app.wait_until_sent().await;
    // One for the assessment, one for the crime.
    let emails = app.emails(2).await;
    assert!(emails.iter().all(|e| e.to == "priya@example.com"));
    let email = emails
        .iter()
        .find(|e| e.text.contains("35/1234/26"))
        .expect("the decision's email");
    assert_eq!(
        email.subject,
        format!("Update on your report {}", report.reference)
    );
    assert!(email.text.contains("Your crime reference is 35/1234/26."));
    let link = email.link("/reports/");
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(
        beacon::services::reports::reference_from_token(&app.ctx, token).as_deref(),
        Some(report.reference.as_str())
    );
    app.stop().await;
}

on_both_backends!(
    only_report_staff_see_reports_and_refusals_are_audited,
    permissions_body
);
async fn permissions_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = made(&app, Made::default()).await;
    let path = format!("/staff/reports/{}", report.reference);
    let (_, sender) = staff_with(&app, "Lucy Ward", |i| {
        i.send = true;
        i.approve = true;
    })
    .await;
    for page_path in ["/staff/reports", path.as_str(), "/staff/reports/dashboard"] {
        let (status, _) = page(&sender, &app, page_path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page_path}");
    }
    let (_, home) = page(&sender, &app, "/staff").await;
    assert!(!home.contains("/staff/reports"), "no link for a sender");
    assert_eq!(audited(&app, "view-report-queue", true).await, 1);
    assert_eq!(audited(&app, "view-report", true).await, 1);

    // An operator may assess, not review; a reviewer may review, not assess.
    let (_, operator_browser) = operator(&app, "Olivia Reed").await;
    let (_, home) = page(&operator_browser, &app, "/staff").await;
    assert!(home.contains("href=\"/staff/reports\""));
    let (status, html) = page(&operator_browser, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Record the assessment") && !html.contains("Record the decision"));
    let (status, _) = post_on_report(
        &operator_browser,
        &app,
        &report.reference,
        "review",
        &crime("35/1/26"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(audited(&app, "review-report", true).await, 1);

    let (_, reviewer_browser) = reviewer(&app, "Ravi Kumar").await;
    let (_, home) = page(&reviewer_browser, &app, "/staff").await;
    assert!(
        home.contains("href=\"/staff/reports?tab=review\""),
        "{home}"
    );
    let fields = thrive(&[("decision", "information")]);
    let (_, html) = page(&reviewer_browser, &app, &path).await;
    assert!(!html.contains("Record the assessment"));
    let form = vec![
        ("csrf", hidden_value(&html, "csrf").unwrap()),
        ("nonce", "n".to_owned()),
    ];
    let form: Vec<(&str, String)> = form.into_iter().chain(fields).collect();
    let answer = reviewer_browser
        .post(app.url(&format!("{path}/assess")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(audited(&app, "assess-report", true).await, 1);
    assert_eq!(
        status_of(&app, &report.reference).await,
        ReportStatus::Received
    );
    app.stop().await;
}

on_both_backends!(
    the_dashboard_shows_times_against_targets_and_breaches,
    dashboard_body
);
async fn dashboard_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (olivia, browser) = operator(&app, "Olivia Reed").await;
    let now = chrono::Utc::now().timestamp();
    // Assessed in 10 hours and reviewed 10 hours later; assessed in 60 hours (late), waiting
    // for review; and waiting for assessment for 50 hours (late).
    let quick = made(
        &app,
        Made {
            reference: "RPT-QUIK-0001",
            hours_ago: 30,
            ..Made::default()
        },
    )
    .await;
    let slow = made(
        &app,
        Made {
            reference: "RPT-SLOW-0002",
            hours_ago: 100,
            kind: "theft",
            ..Made::default()
        },
    )
    .await;
    made(
        &app,
        Made {
            reference: "RPT-WAIT-0003",
            hours_ago: 50,
            district: CAMBRIDGE,
            ..Made::default()
        },
    )
    .await;
    for (report, at) in [(&quick, now - 20 * HOUR), (&slow, now - 40 * HOUR)] {
        let assessment = NewAssessment {
            report_id: report.id,
            staff_id: olivia.id,
            at,
            thrive: "[]".into(),
            decision: r#"{"decision":"respond","to":"priority"}"#.into(),
            urgent: false,
            note: String::new(),
            status: ReportStatus::Assessed,
            reporter_update: None,
            form_nonce: format!("assess-{}", report.id),
        };
        app.ctx
            .store
            .record_assessment(&assessment, None)
            .await
            .unwrap();
    }
    let review = ReviewDecision {
        report_id: quick.id,
        staff_id: olivia.id,
        at: now - 10 * HOUR,
        from: vec![ReportStatus::Assessed],
        status: ReportStatus::Allocated,
        crime_reference: None,
        allocated_to: Some("Huntingdon neighbourhood team".into()),
        close_reason: None,
        explanation: "Given to the neighbourhood team.".into(),
    };
    assert!(app.ctx.store.record_review(&review, None).await.unwrap());

    let (status, html) = page(&browser, &app, "/staff/reports/dashboard").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<strong id=\"total-reports\">3</strong>"),
        "{html}"
    );
    let times = &html[html.find("id=\"step-times\"").unwrap()..];
    let times = &times[..times.find("</table>").unwrap()];
    let triage = &times[times.find("Triage").unwrap()..times.find("Review (").unwrap()];
    // Median 10 hours, 90th percentile 60 hours: over the 48 hours' target; 1 of 2 within.
    assert!(
        triage.contains("<td>2</td><td>10 hours</td><td>2 days 12 hours"),
        "{triage}"
    );
    assert!(
        triage.contains("Over target") && triage.contains("1 of 2"),
        "{triage}"
    );
    let review = &times[times.find("Review (").unwrap()..];
    assert!(
        review.contains("<td>1</td><td>10 hours</td><td>10 hours</td>"),
        "{review}"
    );
    let breaches = &html[html.find("id=\"breaches\"").unwrap()..];
    let breaches = &breaches[..breaches.find("</table>").unwrap()];
    assert!(breaches.find("RPT-WAIT-0003").unwrap() < breaches.find("RPT-SLOW-0002").unwrap());
    assert!(!breaches.contains("RPT-QUIK-0001"), "{breaches}");
    assert!(breaches.contains("and still waiting"));
    let kinds = &html[html.find("id=\"by-kind\"").unwrap()..];
    assert!(
        kinds.contains("<td>Criminal damage</td><td>2</td>"),
        "{kinds}"
    );
    app.stop().await;
}

on_both_backends!(
    the_reporters_files_are_served_to_report_staff_only,
    files_body
);
async fn files_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let photo = NewReportFile {
        name: "car <door>.png".into(),
        content_type: "image/png".into(),
        content: b"\x89PNG\r\n\x1a\n not really".to_vec(),
    };
    let report = made(
        &app,
        Made {
            urgent: true,
            files: std::slice::from_ref(&photo),
            ..Made::default()
        },
    )
    .await;
    let file = &app.ctx.store.report_files(report.id).await.unwrap()[0];
    let url = format!("/staff/reports/{}/files/{}", report.reference, file.id);

    let (_, browser) = operator(&app, "Olivia Reed").await;
    let (_, html) = page(
        &browser,
        &app,
        &format!("/staff/reports/{}", report.reference),
    )
    .await;
    assert!(html.contains(&format!("<img src=\"{url}\"")), "{html}");
    assert!(html.contains("car &#60;door&#62;.png"));
    // An urgent report's THRIVE form starts urgent.
    assert!(html.contains(r#"id="urgent" name="urgent" type="checkbox" value="true" checked"#));
    let answer = browser.get(app.url(&url)).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let header = |name: &str| answer.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/png");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-disposition").starts_with("inline; filename=\"car door.png\""));
    assert_eq!(answer.bytes().await.unwrap(), photo.content);
    let (status, _) = page(&browser, &app, &format!("{url}9")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, sender) = staff_with(&app, "Lucy Ward", |i| i.send = true).await;
    let (status, _) = page(&sender, &app, &url).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(audited(&app, "view-report-file", true).await, 1);
    let visitor = TestApp::client().get(app.url(&url)).send().await.unwrap();
    assert_eq!(
        visitor.url().path(),
        "/staff/sign-in",
        "a visitor is sent to sign in"
    );
    app.stop().await;
}

on_both_backends!(
    a_reported_crime_reaches_the_resident_with_its_reference,
    whole_path_body
);
async fn whole_path_body(backend: Backend) {
    use beacon::services::reports::{self, Contact, LocationInput, Submission};
    let app = TestApp::spawn(backend).await;
    // A resident reports damage to their car, as the resident's pages send it.
    let submission = Submission {
        service_code: "criminal-damage".into(),
        answers: [("damaged".to_owned(), vec!["vehicle".to_owned()])].into(),
        description: "My car's wing mirror was kicked off overnight.".into(),
        location: LocationInput {
            text: "CB1 1PT".into(),
            ..LocationInput::default()
        },
        happened: "Last night, about 11pm".into(),
        contact: Contact {
            name: "Priya Shah".into(),
            email: "priya@example.com".into(),
            ..Contact::default()
        },
        form_nonce: "the-report-form".into(),
        source: "web".into(),
        ..Submission::default()
    };
    let receipt = reports::submit(&app.ctx, submission).await.unwrap();
    let reference = receipt.reference.as_str();

    // An operator finds it in the queue and assesses it; a reviewer records a crime.
    let (_, olivia) = operator(&app, "Olivia Reed").await;
    let (_, queue) = page(&olivia, &app, "/staff/reports").await;
    assert!(queue.contains(reference), "{queue}");
    let (_, html) = page(&olivia, &app, &format!("/staff/reports/{reference}")).await;
    assert!(
        html.contains("What was damaged?") && html.contains("A vehicle"),
        "{html}"
    );
    let fields = thrive(&[("decision", "respond"), ("grade", "scheduled-appointment")]);
    let (status, _) = post_on_report(&olivia, &app, reference, "assess", &fields).await;
    assert_eq!(status, StatusCode::OK);
    let (_, ravi) = reviewer(&app, "Ravi Kumar").await;
    let (_, review) = page(&ravi, &app, "/staff/reports?tab=review").await;
    assert!(review.contains(reference), "{review}");
    let (status, _) = post_on_report(&ravi, &app, reference, "review", &crime("35/1234/26")).await;
    assert_eq!(status, StatusCode::OK);

    // The resident has the receipt and two updates; the last link opens their report, which
    // reads the crime reference in plain words.
    app.wait_until_sent().await;
    let emails = app.emails(3).await;
    let update = emails
        .iter()
        .find(|e| e.text.contains("Your crime reference is 35/1234/26."))
        .expect("the crime's email");
    let link = update.link("/reports/");
    let token = link.rsplit('/').next().unwrap();
    let report = reports::report_for_token(&app.ctx, token).await.unwrap();
    let followed = reports::followed(&app.ctx, report).await.unwrap();
    assert_eq!(followed.report.status, ReportStatus::CrimeRecorded);
    assert!(followed.updates.iter().any(|u| u
        .body
        .starts_with("A crime has been recorded. Your crime reference is 35/1234/26.")));
    app.stop().await;
}

/// What is wrong with a page's ids and labels: an id used twice, or a field without a label.
fn id_and_label_problems(html: &str) -> Vec<String> {
    let ids = regex::Regex::new(r#"\sid="([^"]+)""#).unwrap();
    let fields = regex::Regex::new(r#"<(input|select|textarea)\b[^>]*\bid="([^"]+)""#).unwrap();
    let mut seen = std::collections::HashSet::new();
    let mut problems: Vec<String> = ids
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .filter(|id| !seen.insert(id.clone()))
        .map(|id| format!("id {id} used twice"))
        .collect();
    for field in fields.captures_iter(html) {
        if !html.contains(&format!("<label for=\"{}\"", &field[2])) {
            problems.push(format!("{} has no label", &field[2]));
        }
    }
    problems
}

on_both_backends!(
    the_report_pages_have_unique_ids_and_labelled_fields,
    markup_body
);
async fn markup_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = assessed(&app, Made::default()).await;
    let near = Made {
        reference: "RPT-NEAR-0001",
        at: (524_050, 271_000),
        ..Made::default()
    };
    made(&app, near).await;
    // An admin sees every form: THRIVE, linking and review.
    let (_, admin) = staff_with(&app, "Alex Morgan", |i| i.admin = true).await;
    let fields = vec![("outcome", "crime".to_owned())];
    let (status, with_errors) =
        post_on_report(&admin, &app, &report.reference, "review", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let report_page = format!("/staff/reports/{}", report.reference);
    for path in [
        "/staff/reports",
        "/staff/reports?tab=all",
        report_page.as_str(),
        "/staff/reports/dashboard",
    ] {
        let (status, html) = page(&admin, &app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            id_and_label_problems(&html).is_empty(),
            "{path}: {:?}",
            id_and_label_problems(&html)
        );
    }
    let (_, html) = page(&admin, &app, &report_page).await;
    assert!(html.contains("Record the assessment") && html.contains("Record the decision"));
    assert!(html.contains("Link<span class=\"visually-hidden\"> RPT-NEAR-0001"));
    assert!(id_and_label_problems(&with_errors).is_empty());
    assert!(
        with_errors.contains("href=\"#crime_reference\""),
        "{with_errors}"
    );
    app.stop().await;
}

//! A reporter with no alerts subscription downloads their report and erases it from its own
//! link: deleted when no crime was recorded, kept without their details when one was.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::report::ReportStatus;
use beacon::services::reports::{self, Contact, LocationInput, Submission};
use beacon::services::tokens::random_id;
use beacon::store::ReviewDecision;

async fn report(app: &TestApp, what: &str) -> reports::Receipt {
    let submission = Submission {
        service_code: "theft".into(),
        answers: [
            ("stolen_items".to_owned(), vec!["A red bike".to_owned()]),
            ("from_vehicle".to_owned(), vec!["no".to_owned()]),
        ]
        .into(),
        description: what.into(),
        location: LocationInput {
            text: "CB1 1PT".into(),
            ..LocationInput::default()
        },
        happened: "Yesterday".into(),
        contact: Contact {
            anonymous: false,
            name: "Ali Khan".into(),
            email: "ali.khan@example.com".into(),
            phone: String::new(),
        },
        form_nonce: random_id(),
        source: "web".into(),
        ..Submission::default()
    };
    reports::submit(&app.ctx, submission).await.unwrap()
}

async fn erase(app: &TestApp, browser: &reqwest::Client, follow: &str) -> String {
    let form = browser
        .get(app.url(&format!("{follow}/erase")))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let csrf = hidden_value(&form.text().await.unwrap(), "csrf").unwrap();
    // Without its token the form changes nothing.
    let refused = browser
        .post(app.url(&format!("{follow}/erase")))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let done = browser
        .post(app.url(&format!("{follow}/erase")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    done.text().await.unwrap()
}

on_both_backends!(
    a_reporter_downloads_and_erases_their_report_from_its_link,
    body
);
async fn body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();

    // A report with no crime recorded: downloaded, then erased altogether.
    let receipt = report(&app, "My bike was taken from the station <b>rack</b>").await;
    let follow = receipt.follow_url.clone();
    let page = browser
        .get(app.url(&follow))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Download everything this report holds"),
        "{page}"
    );
    let data = browser
        .get(app.url(&format!("{follow}/data.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(data.status(), 200);
    assert!(data.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let data: serde_json::Value = data.json().await.unwrap();
    assert_eq!(data["reference"], receipt.reference.as_str());
    assert_eq!(
        data["what_happened"],
        "My bike was taken from the station <b>rack</b>"
    );
    assert_eq!(data["email"], "ali.khan@example.com");
    // Danger told later marks the report urgent for the operators' queue.
    let stored = app.ctx.store.report(receipt.id).await.unwrap().unwrap();
    assert!(!stored.urgent);
    assert!(reports::add_information(
        &app.ctx,
        &stored,
        "He's outside now, shouting",
        Vec::new(),
        &random_id()
    )
    .await
    .unwrap());
    let stored = app.ctx.store.report(receipt.id).await.unwrap().unwrap();
    assert!(
        stored.urgent && stored.urgent_words.contains("outside now"),
        "{}",
        stored.urgent_words
    );
    let said = erase(&app, &browser, &follow).await;
    assert!(said.contains("Your report has been erased"), "{said}");
    assert_eq!(app.ctx.store.report(receipt.id).await.unwrap(), None);
    let gone = browser.get(app.url(&follow)).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    assert!(gone
        .text()
        .await
        .unwrap()
        .contains("We no longer hold this report"));

    // A report that recorded a crime: kept, without the reporter.
    let receipt = report(&app, "My other bike was taken too").await;
    let reviewer = app.ctx.store.list_staff().await.unwrap();
    let staff_id = match reviewer.first() {
        Some(staff) => staff.id,
        None => {
            crate::staff::add_staff(&app, "Tom Reed", "tom@cambs.police.example", false).await;
            app.ctx.store.list_staff().await.unwrap()[0].id
        }
    };
    assert!(app
        .ctx
        .store
        .record_review(
            &ReviewDecision {
                report_id: receipt.id,
                staff_id,
                at: chrono::Utc::now().timestamp(),
                from: vec![ReportStatus::Received],
                status: ReportStatus::CrimeRecorded,
                crime_reference: Some("35/77/26".into()),
                allocated_to: None,
                close_reason: None,
                explanation: "Recorded".into(),
            },
            None,
        )
        .await
        .unwrap());
    let said = erase(&app, &browser, &receipt.follow_url).await;
    assert!(said.contains("Your details have been removed"), "{said}");
    let kept = app.ctx.store.report(receipt.id).await.unwrap().unwrap();
    assert_eq!((kept.reporter_name, kept.reporter_email), (None, None));
    assert_eq!(kept.crime_reference.as_deref(), Some("35/77/26"));
    app.stop().await;
}

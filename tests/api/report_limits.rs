//! What one person can make a report cost: a place typed as a million names, numbers and
//! choices inflated to megabytes, a flood of reports from one address or to one receipt
//! address, and a flood of additions to one report. Each is refused with a message, and nothing
//! more is stored.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use beacon::services::reports::{self, Contact, LocationInput, ReportError, Submission};
use beacon::services::tokens::random_id;
use std::collections::BTreeMap;

fn submission(kind: &str, answers: &[(&str, &[&str])], email: &str) -> Submission {
    let answers: BTreeMap<String, Vec<String>> = answers
        .iter()
        .map(|(code, given)| {
            (
                (*code).to_owned(),
                given.iter().map(|g| (*g).to_owned()).collect(),
            )
        })
        .collect();
    Submission {
        service_code: kind.into(),
        answers,
        description: "Someone kicked the wing mirror off my car".into(),
        location: LocationInput {
            text: "CB1 1PT".into(),
            ..LocationInput::default()
        },
        happened: "Last night".into(),
        contact: Contact {
            anonymous: false,
            name: "Sam Green".into(),
            email: email.into(),
            phone: String::new(),
        },
        form_nonce: random_id(),
        source: "web".into(),
        ..Submission::default()
    }
}

fn problems(result: Result<reports::Receipt, ReportError>) -> Vec<String> {
    match result {
        Err(ReportError::Invalid(errors)) => errors.iter().map(|e| e.message.clone()).collect(),
        other => panic!("expected problems with the form, got {other:?}"),
    }
}

on_both_backends!(
    inflated_answers_are_refused_before_they_cost_anything,
    inflated
);
async fn inflated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let damage: &[(&str, &[&str])] = &[("damaged", &["vehicle"])];

    // A place typed as a million names: refused at once, no postcode looked up a million times.
    let mut many_places = submission("criminal-damage", damage, "sam@example.com");
    many_places.location.text = "Newport,".repeat(1_000_000);
    let said = problems(reports::submit(&app.ctx, many_places).await);
    assert!(
        said.iter().any(|p| p.contains("200 characters or fewer")),
        "{said:?}"
    );

    // A "number" a megabyte long.
    let huge = format!("0.{}", "0".repeat(1_000_000));
    let answers: &[(&str, &[&str])] =
        &[("damaged", &["vehicle"]), ("damage_cost", &[huge.as_str()])];
    let said = problems(
        reports::submit(
            &app.ctx,
            submission("criminal-damage", answers, "sam@example.com"),
        )
        .await,
    );
    assert!(
        said.iter().any(|p| p.contains("Enter a number")),
        "{said:?}"
    );

    // The same choice many times over is one choice.
    let race = vec!["race"; 10_000];
    let answers: &[(&str, &[&str])] = &[("motivation", &race)];
    let receipt = reports::submit(
        &app.ctx,
        submission("hate-incident", answers, "sam@example.com"),
    )
    .await
    .unwrap();
    let stored = app.ctx.store.report(receipt.id).await.unwrap().unwrap();
    let answers: serde_json::Value = serde_json::from_str(&stored.answers).unwrap();
    assert_eq!(
        answers["motivation"],
        serde_json::json!(["race"]),
        "{answers}"
    );
    app.stop().await;
}

on_both_backends!(one_address_cannot_flood_the_force_with_reports, flood);
async fn flood(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let damage: &[(&str, &[&str])] = &[("damaged", &["vehicle"])];
    // Ten reports an hour from one email address are taken; the eleventh is refused.
    for _ in 0..10 {
        reports::submit(
            &app.ctx,
            submission("criminal-damage", damage, "busy@example.com"),
        )
        .await
        .unwrap();
    }
    let said = problems(
        reports::submit(
            &app.ctx,
            submission("criminal-damage", damage, "BUSY@example.com"),
        )
        .await,
    );
    assert!(
        said.iter()
            .any(|p| p.contains("a lot of reports from this email address")),
        "{said:?}"
    );
    // From one connection, thirty an hour, whatever the addresses.
    for i in 0..20 {
        let mut from_one_place =
            submission("criminal-damage", damage, &format!("n{i}@example.com"));
        from_one_place.client_ip = Some("192.0.2.7".into());
        reports::submit(&app.ctx, from_one_place).await.unwrap();
    }
    let mut over = Vec::new();
    for i in 20..32 {
        let mut from_one_place =
            submission("criminal-damage", damage, &format!("n{i}@example.com"));
        from_one_place.client_ip = Some("192.0.2.7".into());
        if reports::submit(&app.ctx, from_one_place).await.is_err() {
            over.push(i);
        }
    }
    assert_eq!(
        over,
        [30, 31],
        "the 31st and 32nd from one address are refused"
    );
    let stored = app
        .ctx
        .store
        .find_reports(&beacon::store::ReportFilter {
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 40);

    // Additions to one report: twenty an hour.
    let report = &stored[0];
    for i in 0..20 {
        assert!(reports::add_information(
            &app.ctx,
            report,
            &format!("More ({i})"),
            Vec::new(),
            &random_id()
        )
        .await
        .unwrap());
    }
    let said = problems_of_addition(
        reports::add_information(&app.ctx, report, "And more", Vec::new(), &random_id()).await,
    );
    assert!(
        said.iter().any(|p| p.contains("A lot has been added")),
        "{said:?}"
    );
    assert_eq!(
        app.ctx.store.report_updates(report.id).await.unwrap().len(),
        20
    );
    app.stop().await;
}

fn problems_of_addition(result: Result<bool, ReportError>) -> Vec<String> {
    match result {
        Err(ReportError::Invalid(errors)) => errors.iter().map(|e| e.message.clone()).collect(),
        other => panic!("expected problems with the form, got {other:?}"),
    }
}

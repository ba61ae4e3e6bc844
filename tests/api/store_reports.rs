//! The store's behaviour with online reports, on SQLite and PostgreSQL alike: a report stored
//! once however often its form is sent, with its files and receipt; updates; lists; nearby
//! duplicates; assessments; review decisions that only one reviewer can win; erasure and purging.

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;
use beacon::domain::report::ReportStatus;
use beacon::store::{
    self, DynStore, NewAssessment, NewOutbound, NewReport, NewReportFile, NewReportUpdate,
    OutboundChannel, ReportFilter, ReportOrder, ReviewDecision,
};

async fn empty_store(backend: Backend) -> (DynStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    (store::connect(&url).await.unwrap(), dir)
}

fn report(reference: &str, kind: &str, at: i64, place: (i64, i64)) -> NewReport {
    NewReport {
        reference: reference.into(),
        service_code: kind.into(),
        description: format!("What happened ({reference})"),
        location_text: "PE29 3TN".into(),
        postcode: Some("PE29 3TN".into()),
        easting: Some(place.0),
        northing: Some(place.1),
        district_code: Some("E07000011".into()),
        answers: "{}".into(),
        reporter_name: Some("Sam Green".into()),
        reporter_email: Some("Sam.Green@example.com".into()),
        source: "web".into(),
        form_nonce: format!("nonce-{reference}"),
        created_at: at,
        ..NewReport::default()
    }
}

fn receipt() -> NewOutbound {
    NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: "report-receipt".into(),
        payload: "{}".into(),
    }
}

async fn staff_member(store: &DynStore) -> i64 {
    store.seed_catalogue().await.unwrap();
    let police = store.providers().await.unwrap()[0].id;
    store
        .insert_staff(&store::NewStaff {
            public_id: "op".into(),
            email: "operator@staff.example".into(),
            email_key: "operator@staff.example".into(),
            name: "Priya Shah".into(),
            role_title: "Contact Operator".into(),
            area_label: "Force Control Room".into(),
            provider_id: police,
            permissions: beacon::domain::staff::Permissions::default(),
            enrolment_nonce: "n".into(),
            now: 1_700_000_000,
        })
        .await
        .unwrap()
}

on_both_backends!(
    a_report_is_stored_once_with_its_files_and_receipt,
    stored_once_body
);
async fn stored_once_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let new = report(
        "RPT-AAAA-BBBB",
        "criminal-damage",
        1_000,
        (523_700, 271_800),
    );
    let photo = NewReportFile {
        name: "car.jpg".into(),
        content_type: "image/jpeg".into(),
        content: vec![0xFF, 0xD8, 0x00, 0xFF, 0xD9],
    };
    let (id, new_one) = store
        .create_report(&new, std::slice::from_ref(&photo), Some(&receipt()))
        .await
        .unwrap();
    assert!(new_one);
    // The same form again: nothing more is stored, and the first report is named.
    let again = report("RPT-CCCC-DDDD", "criminal-damage", 1_001, (0, 0));
    let again = NewReport {
        form_nonce: new.form_nonce.clone(),
        ..again
    };
    assert_eq!(
        store
            .create_report(&again, std::slice::from_ref(&photo), Some(&receipt()))
            .await
            .unwrap(),
        (id, false)
    );
    assert_eq!(store.outbound_counts().await.unwrap().waiting, 1);
    let stored = store
        .report_by_reference("RPT-AAAA-BBBB")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.status, ReportStatus::Received);
    assert_eq!(
        store.report_by_reference("RPT-CCCC-DDDD").await.unwrap(),
        None
    );
    let files = store.report_files(id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].size, 5);
    let file = store.report_file(id, files[0].id).await.unwrap().unwrap();
    assert_eq!(file.content, photo.content);
    assert_eq!(store.report_file(id + 1, files[0].id).await.unwrap(), None);

    // What the reporter adds is stored once per form, with its files.
    let added = NewReportUpdate {
        report_id: id,
        at: 2_000,
        author: store::AUTHOR_REPORTER.into(),
        body: "The car was a blue Fiesta".into(),
        public: true,
        form_nonce: Some("add-1".into()),
        ..NewReportUpdate::default()
    };
    assert!(store
        .add_report_update(&added, std::slice::from_ref(&photo), None)
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .add_report_update(&added, &[photo], None)
            .await
            .unwrap(),
        None
    );
    let updates = store.report_updates(id).await.unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].body, "The car was a blue Fiesta");
    assert_eq!(store.report_files(id).await.unwrap().len(), 2);
    // Urgent words in what the reporter adds later mark the report urgent, with them.
    let danger = NewReportUpdate {
        body: "He is back and he has a knife".into(),
        form_nonce: Some("add-2".into()),
        urgent_words: Some("knife".into()),
        ..added.clone()
    };
    assert!(store
        .add_report_update(&danger, &[], None)
        .await
        .unwrap()
        .is_some());
    let stored = store.report(id).await.unwrap().unwrap();
    assert!(stored.urgent);
    assert_eq!(stored.urgent_words, "knife");
    assert_eq!(
        store
            .reports_by_email("sam.green@example.com")
            .await
            .unwrap()
            .len(),
        1
    );
}

on_both_backends!(the_queue_puts_urgent_first_then_oldest, queue_body);
async fn queue_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    for (reference, kind, at, urgent) in [
        ("R1", "theft", 100, false),
        ("R2", "criminal-damage", 50, false),
        ("R3", "theft", 300, true),
        ("R4", "hate-incident", 10, false),
    ] {
        let new = NewReport {
            urgent,
            ..report(reference, kind, at, (523_700, 271_800))
        };
        store.create_report(&new, &[], None).await.unwrap();
    }
    let list = |filter: ReportFilter| {
        let store = store.clone();
        async move {
            store
                .find_reports(&ReportFilter {
                    limit: 100,
                    ..filter
                })
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.reference)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        list(ReportFilter::default()).await,
        ["R3", "R4", "R2", "R1"]
    );
    assert_eq!(
        list(ReportFilter {
            order: ReportOrder::Newest,
            excluded_service_codes: vec!["hate-incident".into()],
            ..ReportFilter::default()
        })
        .await,
        ["R3", "R1", "R2"]
    );
    assert_eq!(
        list(ReportFilter {
            service_codes: vec!["theft".into()],
            since: Some(100),
            ..ReportFilter::default()
        })
        .await,
        ["R3", "R1"]
    );
    assert_eq!(
        list(ReportFilter {
            references: vec!["R2".into(), "R4".into()],
            district_code: Some("E07000011".into()),
            ..ReportFilter::default()
        })
        .await,
        ["R4", "R2"]
    );
    assert!(list(ReportFilter {
        district_code: Some("E07000008".into()),
        ..ReportFilter::default()
    })
    .await
    .is_empty());
}

on_both_backends!(
    assessments_duplicates_and_one_review_decision,
    triage_body,
    multi_thread
);
async fn triage_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let operator = staff_member(&store).await;
    let day = 86_400;
    let (id, _) = store
        .create_report(
            &report("R1", "criminal-damage", 10 * day, (523_700, 271_800)),
            &[],
            None,
        )
        .await
        .unwrap();
    // 200 m away two days earlier: a possible duplicate; 300 m away, or a week and more
    // earlier, or another kind: not.
    for (reference, kind, at, place) in [
        ("NEAR", "criminal-damage", 8 * day, (523_820, 271_960)),
        ("FAR", "criminal-damage", 10 * day, (524_000, 271_800)),
        ("OLD", "criminal-damage", 2 * day, (523_700, 271_800)),
        ("OTHER", "theft", 10 * day, (523_700, 271_800)),
    ] {
        store
            .create_report(&report(reference, kind, at, place), &[], None)
            .await
            .unwrap();
    }
    let nearby = store
        .nearby_reports(
            "criminal-damage",
            523_700,
            271_800,
            250,
            3 * day,
            17 * day,
            id,
        )
        .await
        .unwrap();
    assert_eq!(
        nearby
            .iter()
            .map(|r| r.reference.as_str())
            .collect::<Vec<_>>(),
        ["NEAR"]
    );
    assert!(store
        .link_reports(nearby[0].id, id, operator, 11 * day)
        .await
        .unwrap());
    assert!(!store
        .link_reports(id, nearby[0].id, operator, 11 * day)
        .await
        .unwrap());
    assert_eq!(store.linked_reports(id).await.unwrap()[0].reference, "NEAR");
    assert_eq!(
        store.linked_reports(nearby[0].id).await.unwrap()[0].reference,
        "R1"
    );

    let assessment = |nonce: &str, at: i64| NewAssessment {
        report_id: id,
        staff_id: operator,
        at,
        thrive: "[]".into(),
        decision: r#"{"decision":"respond","to":"scheduled-appointment"}"#.into(),
        urgent: false,
        note: String::new(),
        status: ReportStatus::Assessed,
        reporter_update: Some("We will arrange an appointment".into()),
        form_nonce: nonce.into(),
    };
    assert!(store
        .record_assessment(&assessment("a1", 11 * day), Some(&receipt()))
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .record_assessment(&assessment("a1", 11 * day), None)
            .await
            .unwrap(),
        None
    );
    // Re-assessed later: both kept, the first time kept as when it was assessed.
    assert!(store
        .record_assessment(&assessment("a2", 12 * day), None)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.assessments(id).await.unwrap().len(), 2);
    let stored = store.report(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.assessed_at),
        (ReportStatus::Assessed, Some(11 * day))
    );

    // Two reviewers decide at once: one wins.
    let decision = |status, reference: Option<&str>| ReviewDecision {
        report_id: id,
        staff_id: operator,
        at: 13 * day,
        from: vec![ReportStatus::Assessed],
        status,
        crime_reference: reference.map(str::to_owned),
        allocated_to: None,
        close_reason: None,
        explanation: "Decided".into(),
    };
    let crime = decision(ReportStatus::CrimeRecorded, Some("35/1234/26"));
    let closed = decision(ReportStatus::Closed, None);
    let fire = |decision: ReviewDecision| {
        let store = store.clone();
        tokio::spawn(async move { store.record_review(&decision, Some(&receipt())).await })
    };
    let (a, b) = (fire(crime), fire(closed));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(a.unwrap() ^ b.unwrap(), "exactly one decision wins");
    let stored = store.report(id).await.unwrap().unwrap();
    assert!(matches!(
        stored.status,
        ReportStatus::CrimeRecorded | ReportStatus::Closed
    ));
    assert_eq!(stored.reviewed_at, Some(13 * day));
    let updates = store.report_updates(id).await.unwrap();
    assert_eq!(updates.iter().filter(|u| u.body == "Decided").count(), 1);
    assert_eq!(
        updates.last().unwrap().staff_name.as_deref(),
        Some("Priya Shah")
    );
    // The first assessment's email and the one winning decision's.
    assert_eq!(store.outbound_counts().await.unwrap().waiting, 2);
    // An assessment after the decision is kept, but the decision stands and nobody is emailed.
    let decided = stored.status;
    assert!(store
        .record_assessment(&assessment("a3", 14 * day), Some(&receipt()))
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.report(id).await.unwrap().unwrap().status, decided);
    assert_eq!(store.assessments(id).await.unwrap().len(), 3);
    assert_eq!(store.outbound_counts().await.unwrap().waiting, 2);
    let timings = store.report_timings(10 * day).await.unwrap();
    assert_eq!(timings.len(), 3, "the reports made from day 10 on");
}

on_both_backends!(
    erasure_keeps_recorded_crimes_without_the_reporter,
    erasure_body
);
async fn erasure_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let operator = staff_member(&store).await;
    let (crime, _) = store
        .create_report(&report("CRIME", "theft", 100, (0, 0)), &[], None)
        .await
        .unwrap();
    store
        .create_report(&report("INFO", "drugs", 100, (0, 0)), &[], None)
        .await
        .unwrap();
    let other = NewReport {
        reporter_email: Some("someone.else@example.com".into()),
        ..report("OTHER", "drugs", 100, (0, 0))
    };
    let (other, _) = store.create_report(&other, &[], None).await.unwrap();
    assert!(store
        .record_review(
            &ReviewDecision {
                report_id: crime,
                staff_id: operator,
                at: 200,
                from: vec![ReportStatus::Received],
                status: ReportStatus::CrimeRecorded,
                crime_reference: Some("35/1/26".into()),
                allocated_to: None,
                close_reason: None,
                explanation: "Recorded".into(),
            },
            None
        )
        .await
        .unwrap());
    assert_eq!(
        store
            .erase_reporter("sam.green@example.com", 300)
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.report_by_reference("INFO").await.unwrap(), None);
    let kept = store.report(crime).await.unwrap().unwrap();
    assert_eq!((kept.reporter_name, kept.reporter_email), (None, None));
    assert!(store
        .reports_by_email("sam.green@example.com")
        .await
        .unwrap()
        .is_empty());

    // Purging: only finished reports last changed before the cut-off.
    assert!(store
        .record_review(
            &ReviewDecision {
                report_id: other,
                staff_id: operator,
                at: 400,
                from: vec![ReportStatus::Received],
                status: ReportStatus::Closed,
                crime_reference: None,
                allocated_to: None,
                close_reason: Some("no-crime".into()),
                explanation: "Closed".into(),
            },
            None
        )
        .await
        .unwrap());
    assert_eq!(store.purge_reports(400).await.unwrap(), 0);
    assert_eq!(store.purge_reports(401).await.unwrap(), 1);
    assert!(store.report(crime).await.unwrap().is_some());
}

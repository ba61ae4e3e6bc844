//! The store's behaviour suite: every test runs against SQLite and PostgreSQL, and both must
//! behave the same.

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;
use beacon::domain::subscriber::{EmailFormat, Place, Preferences, QuietHours};
use beacon::domain::{MobileNumber, Postcode, Priority};
use beacon::geo::districts::District;
use beacon::geo::onspd::PostcodeRecord;
use beacon::store::{
    self, ConfirmOutcome, DynStore, NewOutbound, NewSubscriber, OutboundChannel, StoreError,
    SubscriberStatus,
};

async fn empty_store(backend: Backend) -> (DynStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    (store::connect(&url).await.unwrap(), dir)
}

fn preferences(postcode: &str) -> Preferences {
    Preferences {
        name: "Lucy Ward".into(),
        mobile: Some(MobileNumber::parse("07700 900456").unwrap()),
        places: vec![Place {
            postcode: Postcode::parse(postcode).unwrap(),
            label: None,
        }],
        providers: vec!["cambridgeshire-constabulary".into()],
        message_types: vec!["crime-update".into(), "appeal".into()],
        email: true,
        sms: true,
        sms_min_priority: Priority::new(2).unwrap(),
        quiet_hours: None,
        email_format: EmailFormat::Plain,
    }
}

fn new_subscriber(email: &str) -> NewSubscriber {
    NewSubscriber {
        public_id: format!("pub-{email}"),
        email: beacon::domain::EmailAddress::parse(email).unwrap(),
        email_key: email.to_lowercase(),
        preferences: preferences("CB1 1PT"),
        confirm_nonce: "nonce-1".into(),
        now: 1_700_000_000,
    }
}

fn outbound(purpose: &str) -> NewOutbound {
    NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: purpose.into(),
        payload: "{}".into(),
    }
}

on_both_backends!(catalogue_is_seeded_once, catalogue_body);
async fn catalogue_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    store.seed_catalogue().await.unwrap();
    let providers = store.providers().await.unwrap();
    let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Cambridgeshire Constabulary",
            "Report Fraud",
            "Neighbourhood Watch",
            "Trading Standards",
            "Cambridgeshire Fire and Rescue Service"
        ]
    );
    assert_eq!(providers[1].contact_phone.as_deref(), Some("0300 123 2040"));
    let types = store.message_types().await.unwrap();
    assert_eq!(types.len(), 8);
    assert!(types.iter().any(|t| t.name == "Missing person"));
}

on_both_backends!(postcodes_round_trip_with_district_names, postcodes_body);
async fn postcodes_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    store
        .upsert_districts(&[District {
            code: "E07000012".into(),
            name: Some("South Cambridgeshire".into()),
            county_code: Some("E10000003".into()),
            county_name: Some("Cambridgeshire".into()),
        }])
        .await
        .unwrap();
    let record =
        |pc: &str, district: Option<&str>, e: Option<i32>, terminated: bool| PostcodeRecord {
            postcode: Postcode::parse(pc).unwrap(),
            district_code: district.map(str::to_owned),
            easting: e,
            northing: e.map(|e| e + 1),
            terminated,
        };
    store
        .upsert_postcodes(&[
            record("SG8 6DP", Some("E07000012"), Some(537974), false),
            record("CB1 9ZZ", Some("E07000999"), Some(1), false),
            record("CB1 9ZY", None, None, false),
        ])
        .await
        .unwrap();
    // Upserting again replaces, never duplicates.
    store
        .upsert_postcodes(&[record("CB1 9ZY", None, None, true)])
        .await
        .unwrap();
    assert_eq!(store.postcode_count().await.unwrap(), 3);
    let melbourn = store.find_postcode("SG8 6DP").await.unwrap().unwrap();
    assert_eq!(
        melbourn.district_name.as_deref(),
        Some("South Cambridgeshire")
    );
    assert_eq!(
        (melbourn.easting, melbourn.northing),
        (Some(537974), Some(537975))
    );
    let newer = store.find_postcode("CB1 9ZZ").await.unwrap().unwrap();
    assert_eq!(newer.district_code.as_deref(), Some("E07000999"));
    assert_eq!(
        newer.district_name, None,
        "a district code newer than the names file still works"
    );
    assert!(
        store
            .find_postcode("CB1 9ZY")
            .await
            .unwrap()
            .unwrap()
            .terminated
    );
    assert!(store.find_postcode("CB1 9ZX").await.unwrap().is_none());
}

on_both_backends!(
    subscribers_confirm_once_and_erase_completely,
    subscribers_body
);
async fn subscribers_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let id = store
        .insert_pending_subscriber(
            &new_subscriber("Lucy@example.org"),
            Some(&outbound("confirm")),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert_pending_subscriber(&new_subscriber("lucy@example.org"), None)
            .await,
        Err(StoreError::Conflict)
    ));
    let stored = store
        .subscriber_by_email_key("lucy@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, SubscriberStatus::Pending);
    assert_eq!(stored.preferences, preferences("CB1 1PT"));
    assert_eq!(store.outbound_counts().await.unwrap().waiting, 1);

    assert_eq!(
        store.confirm_subscriber(id, "wrong", 1).await.unwrap(),
        ConfirmOutcome::Invalid
    );
    assert_eq!(
        store.confirm_subscriber(id, "nonce-1", 2).await.unwrap(),
        ConfirmOutcome::Confirmed
    );
    assert_eq!(
        store.confirm_subscriber(id, "nonce-1", 3).await.unwrap(),
        ConfirmOutcome::AlreadyConfirmed
    );

    store.confirm_mobile(id, 4).await.unwrap();
    // Same number: still confirmed. New number: confirmation is gone.
    let mut changed = preferences("PE1 1HQ");
    store.update_preferences(id, &changed, 5).await.unwrap();
    assert!(store
        .subscriber(id)
        .await
        .unwrap()
        .unwrap()
        .mobile_confirmed_at
        .is_some());
    changed.mobile = Some(MobileNumber::parse("07700 900999").unwrap());
    store.update_preferences(id, &changed, 6).await.unwrap();
    let updated = store.subscriber(id).await.unwrap().unwrap();
    assert!(updated.mobile_confirmed_at.is_none());
    assert_eq!(updated.preferences.places[0].postcode.as_str(), "PE1 1HQ");

    store.unsubscribe(id, 7).await.unwrap();
    assert_eq!(
        store.subscriber(id).await.unwrap().unwrap().status,
        SubscriberStatus::Unsubscribed
    );
    assert!(store.erase_subscriber(id).await.unwrap());
    assert!(store.subscriber(id).await.unwrap().is_none());
    assert_eq!(
        store.outbound_counts().await.unwrap(),
        Default::default(),
        "queued mail goes too"
    );
}

on_both_backends!(unconfirmed_sign_ups_are_purged, purge_body);
async fn purge_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let old = store
        .insert_pending_subscriber(&new_subscriber("old@example.org"), None)
        .await
        .unwrap();
    let mut recent = new_subscriber("new@example.org");
    recent.now = 1_800_000_000;
    store
        .insert_pending_subscriber(&recent, None)
        .await
        .unwrap();
    assert_eq!(store.purge_pending(1_750_000_000).await.unwrap(), 1);
    assert!(store.subscriber(old).await.unwrap().is_none());
    assert_eq!(
        store
            .count_subscribers(SubscriberStatus::Pending)
            .await
            .unwrap(),
        1
    );
}

on_both_backends!(
    outbound_claims_are_exclusive_until_the_lease_ends,
    outbound_body
);
async fn outbound_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    for n in 0..5 {
        store
            .enqueue_outbound(&outbound(&format!("m{n}")), 100)
            .await
            .unwrap();
    }
    // Not due yet.
    assert!(store.claim_outbound(99, 200, 10).await.unwrap().is_empty());
    let first = store.claim_outbound(100, 200, 3).await.unwrap();
    let second = store.claim_outbound(100, 200, 10).await.unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(second.len(), 2, "claimed messages are not handed out twice");
    assert!(first.iter().all(|m| m.attempts == 1));
    store.mark_outbound_sent(first[0].id, 101).await.unwrap();
    store
        .mark_outbound_failed(first[1].id, 101, "550 no such user")
        .await
        .unwrap();
    store
        .mark_outbound_retry(first[2].id, 150, "451 try later")
        .await
        .unwrap();
    assert!(store.claim_outbound(120, 300, 10).await.unwrap().is_empty());
    // The retry comes due; the lease of the worker that "died" holding `second` runs out at 200.
    let retried = store.claim_outbound(150, 300, 10).await.unwrap();
    assert_eq!(
        retried.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![first[2].id]
    );
    assert_eq!(retried[0].attempts, 2);
    let reclaimed = store.claim_outbound(200, 400, 10).await.unwrap();
    assert_eq!(reclaimed.len(), 2);
    let counts = store.outbound_counts().await.unwrap();
    assert_eq!((counts.waiting, counts.sent, counts.failed), (3, 1, 1));
}

#[tokio::test]
async fn concurrent_claims_on_postgres_never_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(Backend::Postgres, dir.path()).await;
    let store = store::connect(&url).await.unwrap();
    for n in 0..200 {
        store
            .enqueue_outbound(&outbound(&format!("m{n}")), 100)
            .await
            .unwrap();
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_outbound(100, 1_000, 7).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        });
    }
    let mut all = Vec::new();
    while let Some(ids) = workers.join_next().await {
        all.extend(ids.unwrap());
    }
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!(total, 200);
    assert_eq!(all.len(), 200, "no message was claimed by two workers");
}

on_both_backends!(sign_ups_restart_and_codes_count_tries, restart_body);
async fn restart_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let id = store
        .insert_pending_subscriber(&new_subscriber("amy@example.org"), None)
        .await
        .unwrap();
    let mut changed = preferences("PE1 1HQ");
    changed.places[0].label = Some("Mum's house".into());
    changed.quiet_hours = Some(QuietHours {
        start: QuietHours::parse_time("22:00").unwrap(),
        end: QuietHours::parse_time("07:30").unwrap(),
    });
    assert!(store
        .restart_pending(id, &changed, "nonce-2", 1_700_000_500, &outbound("confirm"))
        .await
        .unwrap());
    let restarted = store.subscriber(id).await.unwrap().unwrap();
    assert_eq!(
        restarted.preferences, changed,
        "labels and quiet hours round-trip"
    );
    assert_eq!(restarted.confirm_sent_at, Some(1_700_000_500));
    assert_eq!(restarted.token_version, 1);
    assert_eq!(
        store.confirm_subscriber(id, "nonce-1", 1).await.unwrap(),
        ConfirmOutcome::Invalid,
        "the old link is replaced"
    );

    // A sign-up renewed recently is not purged, however old the first one.
    assert_eq!(store.purge_pending(1_700_000_400).await.unwrap(), 0);

    assert_eq!(
        store.confirm_subscriber(id, "nonce-2", 2).await.unwrap(),
        ConfirmOutcome::Confirmed
    );
    assert!(
        !store
            .restart_pending(
                id,
                &preferences("CB1 1PT"),
                "nonce-3",
                3,
                &outbound("confirm")
            )
            .await
            .unwrap(),
        "an active resident is not put back to pending"
    );
    assert_eq!(
        store.subscriber(id).await.unwrap().unwrap().preferences,
        changed
    );

    // Back from unsubscribed: links are revoked (the version moves on).
    store.unsubscribe(id, 4).await.unwrap();
    assert!(store
        .restart_pending(id, &changed, "nonce-4", 5, &outbound("confirm"))
        .await
        .unwrap());
    assert_eq!(
        store.subscriber(id).await.unwrap().unwrap().token_version,
        2
    );

    // Mobile codes: each try is counted; none is handed out past the limit.
    store
        .set_mobile_code(id, "hash", 10, 100, &outbound("mobile-code"))
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            store.take_mobile_code_attempt(id, 3).await.unwrap(),
            Some(("hash".to_owned(), 100))
        );
    }
    assert_eq!(store.take_mobile_code_attempt(id, 3).await.unwrap(), None);
    store
        .set_mobile_code(id, "hash-2", 11, 200, &outbound("mobile-code"))
        .await
        .unwrap();
    assert_eq!(
        store.take_mobile_code_attempt(id, 3).await.unwrap(),
        Some(("hash-2".to_owned(), 200))
    );
    store.confirm_mobile(id, 12).await.unwrap();
    assert_eq!(
        store.take_mobile_code_attempt(id, 3).await.unwrap(),
        None,
        "no code after confirming"
    );
}

on_both_backends!(sent_messages_keep_no_content, history_body);
async fn history_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let id = store
        .insert_pending_subscriber(
            &new_subscriber("kim@example.org"),
            Some(&outbound("confirm-sign-up")),
        )
        .await
        .unwrap();
    let claimed = store
        .claim_outbound(1_700_000_000, 1_700_000_600, 10)
        .await
        .unwrap();
    assert_eq!(claimed[0].payload, "{}");
    store
        .mark_outbound_sent(claimed[0].id, 1_700_000_001)
        .await
        .unwrap();
    let history = store.outbound_history(id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].purpose, "confirm-sign-up");
    assert_eq!(history[0].sent_at, Some(1_700_000_001));
}

on_both_backends!(
    template_names_are_kept_once_per_organisation,
    templates_body
);
async fn templates_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    store.seed_catalogue().await.unwrap();
    let providers = store.providers().await.unwrap();
    let (police, fire) = (providers[0].id, providers[4].id);
    let crime = store.message_types().await.unwrap()[0].id;
    let staff = store
        .insert_staff(&store::NewStaff {
            public_id: "lucy".into(),
            email: "lucy.ward@staff.example".into(),
            email_key: "lucy.ward@staff.example".into(),
            name: "Lucy Ward".into(),
            role_title: "Communications Assistant".into(),
            area_label: "Cambridge".into(),
            provider_id: police,
            permissions: beacon::domain::staff::Permissions::default(),
            enrolment_nonce: "n".into(),
            now: 1_700_000_000,
        })
        .await
        .unwrap();
    let template = |provider_id: i64, name: &str| store::TemplateContent {
        provider_id,
        name: name.into(),
        message_type_id: crime,
        priority: Priority::new(2).unwrap(),
        title: "Catalytic converter thefts".into(),
        body_markdown: "Thefts in Meldreth.".into(),
        sms_text: None,
    };
    let now = 1_700_000_000;
    let thefts = store
        .insert_template(&template(police, "Thefts"), staff, now)
        .await
        .unwrap();
    // The same name again in the organisation is refused; in another, it is another template.
    let again = store
        .insert_template(&template(police, "Thefts"), staff, now)
        .await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    store
        .insert_template(&template(fire, "Thefts"), staff, now)
        .await
        .unwrap();
    let appeal = store
        .insert_template(&template(police, "Appeal"), staff, now)
        .await
        .unwrap();
    let names = |list: Vec<store::AlertTemplate>| {
        list.into_iter()
            .map(|t| format!("{}: {}", t.provider_name, t.content.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.list_templates(None).await.unwrap()),
        [
            "Cambridgeshire Constabulary: Appeal",
            "Cambridgeshire Constabulary: Thefts",
            "Cambridgeshire Fire and Rescue Service: Thefts"
        ]
    );
    assert_eq!(store.list_templates(Some(police)).await.unwrap().len(), 2);

    // Renamed to a name taken in the organisation: refused, unchanged.
    let renamed = store
        .update_template(appeal, &template(police, "Thefts"), staff, now + 1)
        .await;
    assert!(matches!(renamed, Err(StoreError::Conflict)), "{renamed:?}");
    let kept = store.template(appeal).await.unwrap().unwrap();
    assert_eq!(kept.content.name, "Appeal");
    assert_eq!(kept.updated_at, now);
    assert!(store
        .update_template(appeal, &template(police, "Witness appeal"), staff, now + 1)
        .await
        .unwrap());
    let changed = store.template(appeal).await.unwrap().unwrap();
    assert_eq!(changed.content, template(police, "Witness appeal"));
    assert_eq!((changed.created_at, changed.updated_at), (now, now + 1));
    assert_eq!(changed.message_type_name, "Crime update");

    assert!(store.delete_template(thefts).await.unwrap());
    assert!(!store.delete_template(thefts).await.unwrap());
    assert!(store.template(thefts).await.unwrap().is_none());
    assert!(!store
        .update_template(thefts, &template(police, "Gone"), staff, now)
        .await
        .unwrap());
}

fn scam_report(
    text: &str,
    kind: Option<&str>,
    district: Option<&str>,
    at: i64,
    day: &str,
    nonce: &str,
) -> store::NewScamReport {
    store::NewScamReport {
        text: text.into(),
        channel: Some("sms".into()),
        verdict: if kind.is_some() { "scam" } else { "suspicious" }.into(),
        kind: kind.map(str::to_owned),
        confidence: 0.875,
        district_code: district.map(str::to_owned),
        name: None,
        reported_at: at,
        reported_on: day.into(),
        form_nonce: nonce.into(),
    }
}

on_both_backends!(
    scam_reports_are_stored_once_counted_and_deleted_in_time,
    scam_reports_body
);
async fn scam_reports_body(backend: Backend) {
    let (store, _dir) = empty_store(backend).await;
    let cambridge = Some("E07000008");
    let reports = [
        scam_report(
            "Hi Mum, new number",
            Some("family-friend"),
            cambridge,
            1_000,
            "2026-11-30",
            "n1",
        ),
        scam_report(
            "Hi Dad, new phone",
            Some("family-friend"),
            cambridge,
            2_000,
            "2026-11-30",
            "n2",
        ),
        scam_report(
            "Your bank: safe account",
            Some("impersonation-police-bank"),
            None,
            3_000,
            "2026-12-01",
            "n3",
        ),
        scam_report("An odd one", None, cambridge, 4_000, "2026-12-02", "n4"),
        scam_report(
            "Too old to count",
            Some("family-friend"),
            cambridge,
            500,
            "2026-10-01",
            "n5",
        ),
    ];
    for report in &reports {
        assert!(store.record_scam_report(report).await.unwrap());
    }
    // The same form again stores nothing, whatever it says.
    let mut again = reports[0].clone();
    again.text = "something else".into();
    assert!(!store.record_scam_report(&again).await.unwrap());

    let newest = store.newest_scam_reports(3).await.unwrap();
    let texts: Vec<&str> = newest.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        ["An odd one", "Your bank: safe account", "Hi Dad, new phone"]
    );
    let first = &newest[2];
    assert_eq!(first.kind.as_deref(), Some("family-friend"));
    assert_eq!(first.verdict, "scam");
    assert_eq!(first.channel.as_deref(), Some("sms"));
    assert_eq!(first.district_code.as_deref(), cambridge);
    assert!((first.confidence - 0.875).abs() < 1e-9);
    assert_eq!(first.reported_at, 2_000);
    assert_eq!(store.newest_scam_reports(100).await.unwrap().len(), 5);

    let counts = store.scam_report_counts("2026-11-01").await.unwrap();
    let counts: Vec<(String, Option<String>, Option<String>, i64)> = counts
        .into_iter()
        .map(|c| (c.reported_on, c.kind, c.district_code, c.reports))
        .collect();
    let code = cambridge.map(str::to_owned);
    assert_eq!(
        counts,
        vec![
            (
                "2026-11-30".into(),
                Some("family-friend".into()),
                code.clone(),
                2
            ),
            (
                "2026-12-01".into(),
                Some("impersonation-police-bank".into()),
                None,
                1
            ),
            ("2026-12-02".into(), None, code, 1),
        ]
    );

    // Past their keeping time, reports go; the rest stay.
    assert_eq!(store.purge_scam_reports(1_000).await.unwrap(), 1);
    assert_eq!(store.purge_scam_reports(1_000).await.unwrap(), 0);
    let left: Vec<String> = store
        .newest_scam_reports(100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.text)
        .collect();
    assert_eq!(
        left,
        [
            "An odd one",
            "Your bank: safe account",
            "Hi Dad, new phone",
            "Hi Mum, new number"
        ]
    );
}

//! The public archive as the store keeps it: only sent alerts that are not private, newest first
//! a page at a time, narrowed by place, organisation, kind and dates, and searched by their words
//! with the matched words marked, whatever a visitor types into the search box.

use crate::helpers::{fresh_database_url, Backend};
use crate::on_both_backends;
use beacon::domain::alert::SignOff;
use beacon::store::{
    self, AlertContent, AlertStatus, AlertTransition, Alerts, Archive, ArchiveFilter, ArchiveHit,
    Catalogue, DynStore, NewAlert,
};

const POLICE: &str = "cambridgeshire-constabulary";
const WATCH: &str = "neighbourhood-watch";
/// 2026-11-02 09:00 UTC: when the first alert in these tests is sent.
const MONDAY: i64 = 1_793_610_000;
const HOUR: i64 = 3_600;

/// A test's own empty store, and its URL for looking behind the store's back.
async fn empty_store(backend: Backend) -> (DynStore, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(backend, dir.path()).await;
    (store::connect(&url).await.unwrap(), url, dir)
}

/// Runs one statement on the store's database directly, as an operator (or a later import)
/// would.
async fn execute(url: &str, sql: &str) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

/// An alert as a sender writes it.
struct Draft<'a> {
    provider: &'a str,
    message_type: &'a str,
    title: &'a str,
    body: &'a str,
}

impl<'a> Draft<'a> {
    fn new(title: &'a str, body: &'a str) -> Draft<'a> {
        Draft {
            provider: POLICE,
            message_type: "crime-prevention",
            title,
            body,
        }
    }

    fn from(self, provider: &'a str) -> Draft<'a> {
        Draft { provider, ..self }
    }

    fn of_type(self, message_type: &'a str) -> Draft<'a> {
        Draft {
            message_type,
            ..self
        }
    }
}

/// Stores a draft written at `at`; returns its id.
async fn write<S: Catalogue + Alerts + ?Sized>(store: &S, draft: Draft<'_>, at: i64) -> i64 {
    let providers = store.providers().await.unwrap();
    let provider = providers.iter().find(|p| p.slug == draft.provider).unwrap();
    let types = store.message_types().await.unwrap();
    let message_type = types.iter().find(|t| t.slug == draft.message_type).unwrap();
    store
        .insert_alert(&NewAlert {
            content: AlertContent {
                provider_id: provider.id,
                message_type_id: message_type.id,
                priority: beacon::domain::Priority::new(3).unwrap(),
                title: draft.title.into(),
                body_markdown: draft.body.into(),
                sms_text: None,
                target: serde_json::from_str(r#"{"include":[{"kind":"force_area"}]}"#).unwrap(),
                target_description: "Cambridgeshire and Peterborough".into(),
                private: false,
                members: Default::default(),
            },
            author_staff_id: None,
            api_token_id: None,
            signoff: SignOff {
                name: "Sarah Jones".into(),
                organisation: provider.name.clone(),
                role: "PCSO".into(),
                area: "South Cambridgeshire".into(),
            },
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now: at,
        })
        .await
        .unwrap()
}

/// Writes a draft and sends it at `at`; returns its id.
async fn send<S: Catalogue + Alerts + ?Sized>(store: &S, draft: Draft<'_>, at: i64) -> i64 {
    let id = write(store, draft, at - 60).await;
    move_to(store, id, AlertStatus::Queued, at).await;
    id
}

async fn move_to<S: Alerts + ?Sized>(store: &S, id: i64, to: AlertStatus, at: i64) {
    let every = [
        AlertStatus::Draft,
        AlertStatus::AwaitingApproval,
        AlertStatus::Ready,
        AlertStatus::Scheduled,
        AlertStatus::Queued,
    ];
    let change = AlertTransition {
        scheduled_for: (to == AlertStatus::Scheduled).then_some(at + 24 * HOUR),
        ..AlertTransition::default()
    };
    assert!(store
        .transition_alert(id, &every, to, &change, at)
        .await
        .unwrap());
}

fn everything() -> ArchiveFilter {
    ArchiveFilter {
        limit: 100,
        ..ArchiveFilter::default()
    }
}

fn search(words: &str) -> ArchiveFilter {
    ArchiveFilter {
        query: Some(words.into()),
        ..everything()
    }
}

fn ids(hits: &[ArchiveHit]) -> Vec<i64> {
    hits.iter().map(|hit| hit.alert.id).collect()
}

async fn listed(store: &dyn Archive, filter: ArchiveFilter) -> Vec<i64> {
    ids(&store.public_alerts(&filter).await.unwrap())
}

on_both_backends!(only_sent_public_alerts_are_public, only_public_body);
async fn only_public_body(backend: Backend) {
    let (store, url, _dir) = empty_store(backend).await;
    assert_eq!(store.archive_changed_at().await.unwrap(), 0);
    assert!(store.public_alerts(&everything()).await.unwrap().is_empty());

    let body = "Zebra crossing lights out on **Mill Road**.";
    let draft = write(&*store, Draft::new("Draft zebra", body), MONDAY).await;
    let ready = write(&*store, Draft::new("Ready zebra", body), MONDAY).await;
    move_to(&*store, ready, AlertStatus::Ready, MONDAY).await;
    let scheduled = write(&*store, Draft::new("Scheduled zebra", body), MONDAY).await;
    move_to(&*store, scheduled, AlertStatus::Scheduled, MONDAY).await;
    let cancelled = write(&*store, Draft::new("Cancelled zebra", body), MONDAY).await;
    move_to(&*store, cancelled, AlertStatus::Cancelled, MONDAY).await;
    let private = send(&*store, Draft::new("Private zebra", body), MONDAY + HOUR).await;
    execute(
        &url,
        &format!("UPDATE alerts SET private = TRUE WHERE id = {private}"),
    )
    .await;
    let first = send(&*store, Draft::new("First zebra", body), MONDAY + 2 * HOUR).await;
    let second = send(&*store, Draft::new("Second zebra", body), MONDAY + 3 * HOUR).await;

    assert_eq!(listed(&*store, everything()).await, [second, first]);
    assert_eq!(listed(&*store, search("zebra")).await.len(), 2);
    for hidden in [draft, ready, scheduled, cancelled, private] {
        assert_eq!(store.public_alert(hidden).await.unwrap(), None);
    }
    assert_eq!(store.public_alert(999_999).await.unwrap(), None);

    let alert = store.public_alert(first).await.unwrap().unwrap();
    assert_eq!(alert.title, "First zebra");
    assert_eq!(alert.body_markdown, body);
    assert_eq!(alert.provider_slug, POLICE);
    assert_eq!(alert.provider_name, "Cambridgeshire Constabulary");
    assert_eq!(alert.message_type_slug, "crime-prevention");
    assert_eq!(alert.priority, 3);
    assert_eq!(alert.sent_at, MONDAY + 2 * HOUR);
    assert_eq!(alert.signoff.name, "Sarah Jones");
    assert_eq!(alert.area, "Cambridgeshire and Peterborough");
    assert_eq!(alert.imported_from, None);
    assert!(alert.district_codes.is_empty());
    let listed_first = store.public_alerts(&everything()).await.unwrap();
    assert_eq!(listed_first[1].alert, alert);
    assert_eq!(listed_first[1].snippet, None);
    assert_eq!(store.archive_changed_at().await.unwrap(), MONDAY + 3 * HOUR);

    // Withdrawn after sending: gone from the list and from search, and the archive has changed.
    move_to(&*store, second, AlertStatus::Cancelled, MONDAY + 5 * HOUR).await;
    execute(
        &url,
        &format!(
            "UPDATE alerts SET private = TRUE, updated_at = {} WHERE id = {first}",
            MONDAY + 6 * HOUR
        ),
    )
    .await;
    assert!(listed(&*store, everything()).await.is_empty());
    assert!(listed(&*store, search("zebra")).await.is_empty());
    assert_eq!(store.archive_changed_at().await.unwrap(), MONDAY + 6 * HOUR);
    // Made public again, it is found again.
    execute(
        &url,
        &format!("UPDATE alerts SET private = FALSE WHERE id = {first}"),
    )
    .await;
    assert_eq!(listed(&*store, search("zebra")).await, [first]);
}

on_both_backends!(each_filter_narrows_the_list, filters_body);
async fn filters_body(backend: Backend) {
    let (store, _url, _dir) = empty_store(backend).await;
    let police_scam = send(
        &*store,
        Draft::new("Courier fraud", "Callers pretend to be police officers.")
            .of_type("scam-warning"),
        MONDAY,
    )
    .await;
    let police_prevention = send(
        &*store,
        Draft::new("Lock your sheds", "Tools stolen from sheds in Melbourn."),
        MONDAY + HOUR,
    )
    .await;
    let watch_prevention = send(
        &*store,
        Draft::new("Watch meeting", "Sheds and garages: a talk on tools.").from(WATCH),
        MONDAY + 2 * HOUR,
    )
    .await;
    store
        .set_alert_districts(police_scam, &["E07000008".into(), "E07000012".into()])
        .await
        .unwrap();
    store
        .set_alert_districts(watch_prevention, &["E07000012".into()])
        .await
        .unwrap();

    let with = |change: &dyn Fn(&mut ArchiveFilter)| {
        let mut filter = everything();
        change(&mut filter);
        filter
    };
    assert_eq!(
        listed(&*store, with(&|f| f.provider = Some(POLICE.into()))).await,
        [police_prevention, police_scam]
    );
    assert_eq!(
        listed(
            &*store,
            with(&|f| f.provider = Some("trading-standards".into()))
        )
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        listed(
            &*store,
            with(&|f| f.provider = Some("no-such-organisation".into()))
        )
        .await,
        Vec::<i64>::new()
    );
    assert_eq!(
        listed(
            &*store,
            with(&|f| f.message_type = Some("crime-prevention".into()))
        )
        .await,
        [watch_prevention, police_prevention]
    );
    assert_eq!(
        listed(&*store, with(&|f| f.district = Some("E07000012".into()))).await,
        [watch_prevention, police_scam]
    );
    assert_eq!(
        listed(&*store, with(&|f| f.district = Some("E07000008".into()))).await,
        [police_scam]
    );
    // Since is inclusive, until exclusive.
    assert_eq!(
        listed(&*store, with(&|f| f.since = Some(MONDAY + HOUR))).await,
        [watch_prevention, police_prevention]
    );
    assert_eq!(
        listed(&*store, with(&|f| f.until = Some(MONDAY + HOUR))).await,
        [police_scam]
    );
    assert_eq!(
        listed(
            &*store,
            with(&|f| {
                f.since = Some(MONDAY + HOUR);
                f.until = Some(MONDAY + HOUR + 1);
            })
        )
        .await,
        [police_prevention]
    );
    // Filters narrow a search too.
    assert_eq!(
        listed(&*store, search("sheds")).await.len(),
        2,
        "both alerts about sheds"
    );
    let mut police_sheds = search("sheds");
    police_sheds.provider = Some(POLICE.into());
    assert_eq!(listed(&*store, police_sheds).await, [police_prevention]);
    let mut district_sheds = search("sheds");
    district_sheds.district = Some("E07000012".into());
    district_sheds.message_type = Some("crime-prevention".into());
    assert_eq!(listed(&*store, district_sheds).await, [watch_prevention]);
}

on_both_backends!(pages_cover_the_list_exactly_once, pages_body);
async fn pages_body(backend: Backend) {
    let (store, _url, _dir) = empty_store(backend).await;
    let mut sent = Vec::new();
    for n in 0..23 {
        // Three at a time sent in the same second: the id keeps their order.
        let at = MONDAY + (n / 3) * HOUR;
        let title = format!("Alert number {n}");
        sent.push((at, send(&*store, Draft::new(&title, "Body."), at).await));
    }
    sent.sort_by(|a, b| b.cmp(a));
    let newest_first: Vec<i64> = sent.iter().map(|(_, id)| *id).collect();
    assert_eq!(listed(&*store, everything()).await, newest_first);

    let mut seen = Vec::new();
    let mut filter = ArchiveFilter {
        limit: 4,
        ..ArchiveFilter::default()
    };
    loop {
        let page = store.public_alerts(&filter).await.unwrap();
        assert!(page.len() <= 4);
        let Some(last) = page.last() else { break };
        filter.before = Some((last.alert.listed_at, last.alert.id));
        seen.extend(ids(&page));
    }
    assert_eq!(seen, newest_first);
}

on_both_backends!(search_finds_words_ranks_and_marks_them, search_body);
async fn search_body(backend: Backend) {
    let (store, _url, _dir) = empty_store(backend).await;
    let burglary = send(
        &*store,
        Draft::new(
            "Burglary warning as clocks go back",
            "With more homes empty after sunset, make sure your home is protected. \
             Keep a light on when you go out.",
        ),
        MONDAY,
    )
    .await;
    let in_title = send(
        &*store,
        Draft::new(
            "Garden sheds broken into",
            "Several gardens in Melbourn were visited overnight. Mark your tools.",
        ),
        MONDAY + HOUR,
    )
    .await;
    let in_body = send(
        &*store,
        Draft::new(
            "Overnight thefts in Melbourn",
            "Several gardens were visited overnight and **sheds** were opened. Mark tools.",
        ),
        MONDAY + 2 * HOUR,
    )
    .await;

    // Stemming (Porter on SQLite, the English stemmer on PostgreSQL, which agree here):
    // "burglaries" and "burglary" share a stem, "burgled" has its own ("burgl").
    assert_eq!(listed(&*store, search("burglaries")).await, [burglary]);
    assert_eq!(listed(&*store, search("BURGLARY")).await, [burglary]);
    assert!(listed(&*store, search("burgled")).await.is_empty());
    // Every word must match.
    assert_eq!(listed(&*store, search("burglary clocks")).await, [burglary]);
    assert!(listed(&*store, search("burglary sheds")).await.is_empty());

    // A word in the title ranks above the same word in the body only, though the body-only
    // alert is newer.
    let hits = store.public_alerts(&search("shed")).await.unwrap();
    assert_eq!(ids(&hits), [in_title, in_body]);
    // Matched in the title, which the archive shows above it: the snippet is the body's text.
    let title_snippet = hits[0].snippet.as_deref().unwrap();
    assert!(
        title_snippet.starts_with("Several gardens in Melbourn were visited overnight."),
        "{title_snippet:?}"
    );
    assert!(!title_snippet.contains('\u{1}'), "{title_snippet:?}");
    // The body's snippet is its plain text: the Markdown around "sheds" is gone.
    let body_snippet = hits[1].snippet.as_deref().unwrap();
    assert!(body_snippet.contains("\u{1}sheds\u{2}"), "{body_snippet:?}");
    assert!(!body_snippet.contains('*'), "{body_snippet:?}");
    assert!(!listed(&*store, search("Melbourn")).await.is_empty());

    // Equal matches: newest first, and a page further on with an offset.
    let bins = || {
        Draft::new(
            "Bins collected late",
            "Bin collections in Sawston run a day late.",
        )
    };
    let older = send(&*store, bins(), MONDAY + 3 * HOUR).await;
    let newer = send(&*store, bins(), MONDAY + 4 * HOUR).await;
    assert_eq!(listed(&*store, search("bins late")).await, [newer, older]);
    let second_only = ArchiveFilter {
        offset: 1,
        limit: 1,
        ..search("bins late")
    };
    assert_eq!(listed(&*store, second_only).await, [older]);

    // A search is not a listing: no snippet without one.
    assert!(store
        .public_alerts(&everything())
        .await
        .unwrap()
        .iter()
        .all(|hit| hit.snippet.is_none()));
}

on_both_backends!(
    a_search_ranks_its_newest_thousand_matches_however_common,
    window_body
);
/// A search ranks the newest 1,000 alerts with its words (`SEARCH_WINDOW`). On PostgreSQL the
/// store first measures how common the words are among the newest alerts and reaches back only
/// as far as it expects to need; here it must find that it reached too short and look further.
async fn window_body(backend: Backend) {
    let (store, url, _dir) = empty_store(backend).await;
    let first = send(
        &*store,
        Draft::new("Ember lantern notice 1", "Body"),
        MONDAY,
    )
    .await;
    assert_eq!(first, 1);
    // 3,999 more, sent a second apart: "ember" in every title; "lantern" in the oldest 500,
    // none of the middle 2,500, and 800 of the newest 1,000.
    execute(
        &url,
        "WITH RECURSIVE n (i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) \
         INSERT INTO alerts (id, provider_id, message_type_id, priority, title, body_markdown, \
           body_text, target_json, target_description, status, signoff_name, \
           signoff_organisation, signoff_role, signoff_area, needs_approval, queued_at, \
           created_at, updated_at) \
         SELECT i, a.provider_id, a.message_type_id, a.priority, \
           CASE WHEN i <= 500 OR (i > 3000 AND i % 5 <> 0) THEN 'Ember lantern notice ' \
                ELSE 'Ember notice ' END || i, \
           a.body_markdown, a.body_text, a.target_json, a.target_description, a.status, \
           a.signoff_name, a.signoff_organisation, a.signoff_role, a.signoff_area, \
           a.needs_approval, a.queued_at + i, a.created_at, a.updated_at \
         FROM n CROSS JOIN alerts a WHERE a.id = 1",
    )
    .await;
    let window = |words: &str| ArchiveFilter {
        query: Some(words.into()),
        limit: 1_000,
        ..ArchiveFilter::default()
    };
    let sorted = |mut ids: Vec<i64>| {
        ids.sort_unstable();
        ids
    };

    // In every alert: the newest thousand.
    let hits = listed(&*store, window("ember")).await;
    assert_eq!(sorted(hits), (3001..=4000).collect::<Vec<_>>());

    // The newest thousand with "lantern" are the 800 among the newest alerts and the newest 200
    // of the oldest, 2,500 alerts further back.
    let hits = listed(&*store, window("lantern")).await;
    let expected: Vec<i64> = (301..=500)
        .chain((3001..=4000).filter(|i| i % 5 != 0))
        .collect();
    assert_eq!(sorted(hits.clone()), expected);
    // All equally good matches: newest first.
    assert_eq!(hits[..3], [3999, 3998, 3997]);
    // Narrowed to the organisation that sent them all: the same window.
    let police = ArchiveFilter {
        provider: Some(POLICE.into()),
        ..window("lantern")
    };
    assert_eq!(sorted(listed(&*store, police).await), expected);
    // Narrowed to another organisation: none.
    let elsewhere = ArchiveFilter {
        provider: Some(WATCH.into()),
        ..window("lantern")
    };
    assert!(listed(&*store, elsewhere).await.is_empty());
}

on_both_backends!(anything_typed_is_searched_safely, hostile_body);
async fn hostile_body(backend: Backend) {
    let (store, _url, _dir) = empty_store(backend).await;
    let sheds = send(
        &*store,
        Draft::new("Sheds", "Foo and bar near the allotments. Café closed."),
        MONDAY,
    )
    .await;
    let long = "x".repeat(10_000);
    let long_words = "shed ".repeat(2_000);
    let hostile = [
        "\"",
        "\"\"",
        "foo OR",
        "NEAR(a b)",
        "NEAR(foo bar, 2)",
        "*",
        "foo*",
        "-x",
        "a AND",
        "AND",
        "()",
        "title:foo",
        "{title body}: foo",
        "^foo",
        "foo + bar",
        "' OR 1=1 --",
        "\\",
        "&|!:*",
        "\u{0}",
        "\u{301}",
        long.as_str(),
        long_words.as_str(),
        "?!.,;",
    ];
    for query in hostile {
        let result = store.public_alerts(&search(query)).await;
        assert!(result.is_ok(), "{query:?}: {result:?}");
    }
    // Only punctuation, or only words too common to look for: nothing found.
    assert!(listed(&*store, search("?!.,;")).await.is_empty());
    assert!(listed(&*store, search("")).await.is_empty());
    assert!(listed(&*store, search("a AND")).await.is_empty());
    // Operators are words like any other (or common words, ignored); the rest must all match.
    assert_eq!(listed(&*store, search("\"foo\" -bar*")).await, [sheds]);
    assert_eq!(listed(&*store, search("foo OR")).await, [sheds]);
    assert_eq!(listed(&*store, search("NEAR(foo bar)")).await, [sheds]);
    assert!(listed(&*store, search("NEAR(foo baz)")).await.is_empty());
    // Accents: SQLite's index folds them; PostgreSQL's English configuration keeps them (folding
    // would take the `unaccent` extension).
    assert_eq!(listed(&*store, search("café")).await, [sheds]);
    let folded = listed(&*store, search("cafe")).await;
    match backend {
        Backend::Sqlite => assert_eq!(folded, [sheds]),
        Backend::Postgres => assert!(folded.is_empty()),
    }
}

on_both_backends!(districts_round_trip, districts_body);
async fn districts_body(backend: Backend) {
    let (store, _url, _dir) = empty_store(backend).await;
    let id = send(
        &*store,
        Draft::new("Road closed", "The A10 is closed."),
        MONDAY,
    )
    .await;
    let codes = |list: &[&str]| list.iter().map(|c| c.to_string()).collect::<Vec<_>>();

    store
        .set_alert_districts(id, &codes(&["E07000012", "E07000008", "E07000012"]))
        .await
        .unwrap();
    let alert = store.public_alert(id).await.unwrap().unwrap();
    assert_eq!(alert.district_codes, ["E07000008", "E07000012"]);
    assert_eq!(
        store.public_alerts(&everything()).await.unwrap()[0]
            .alert
            .district_codes,
        ["E07000008", "E07000012"]
    );
    // Recording them changed what the archive shows.
    assert!(store.archive_changed_at().await.unwrap() > MONDAY);

    store
        .set_alert_districts(id, &codes(&["E06000031"]))
        .await
        .unwrap();
    let alert = store.public_alert(id).await.unwrap().unwrap();
    assert_eq!(alert.district_codes, ["E06000031"]);
    store.set_alert_districts(id, &[]).await.unwrap();
    let alert = store.public_alert(id).await.unwrap().unwrap();
    assert!(alert.district_codes.is_empty());
}

on_both_backends!(
    alerts_stored_before_the_archive_are_searchable,
    backfill_body
);
async fn backfill_body(backend: Backend) {
    let (store, url, _dir) = empty_store(backend).await;
    let id = send(&*store, Draft::new("Older alert", "Placeholder."), MONDAY).await;
    // As an alert stored before the archive's migration: Markdown only, no plain text yet.
    execute(
        &url,
        "UPDATE alerts SET body_markdown = 'Report **suspicious** vans on [our site](https://example.org/report).', \
         body_text = NULL",
    )
    .await;
    drop(store);
    let store = store::connect(&url).await.unwrap();
    let hits = store
        .public_alerts(&search("suspicious vans"))
        .await
        .unwrap();
    assert_eq!(ids(&hits), [id]);
    let snippet = hits[0].snippet.as_deref().unwrap();
    assert!(snippet.contains("\u{1}suspicious\u{2}"), "{snippet:?}");
    assert!(!snippet.contains("**"), "{snippet:?}");
    assert!(listed(&*store, search("Placeholder")).await.is_empty());
}

on_both_backends!(
    search_finds_the_kind_the_organisation_and_who_does_it,
    kinds_and_names_body
);
/// Searching "scam" finds the scam warnings, whatever their text says, and the alerts about
/// scams and scammers; an organisation's name finds its alerts; a match in the title gets a
/// snippet of the body.
async fn kinds_and_names_body(backend: Backend) {
    let (store, _url, _dir) = empty_store(backend).await;
    let courier = send(
        &*store,
        Draft::new(
            "Courier fraud: fake police officers",
            "Callers claim to be detectives and ask for your bank card.",
        )
        .of_type("scam-warning"),
        MONDAY,
    )
    .await;
    let scams = send(
        &*store,
        Draft::new(
            "Doorstep traders",
            "Two scams reported in Sawston this week.",
        ),
        MONDAY + HOUR,
    )
    .await;
    let scammers = send(
        &*store,
        Draft::new(
            "Cold callers",
            "Scammers are phoning older residents about their broadband.",
        ),
        MONDAY + 2 * HOUR,
    )
    .await;
    let in_title = send(
        &*store,
        Draft::new(
            "Ticket scam ahead of the summer concerts",
            "Only buy tickets from the venue or an official seller.",
        ),
        MONDAY + 3 * HOUR,
    )
    .await;
    let standards = send(
        &*store,
        Draft::new(
            "Rogue builders",
            "Get three quotes before agreeing to any work.",
        )
        .from("trading-standards"),
        MONDAY + 4 * HOUR,
    )
    .await;
    let _unrelated = send(
        &*store,
        Draft::new("Road closed", "The A10 is closed for resurfacing."),
        MONDAY + 5 * HOUR,
    )
    .await;

    let mut found = listed(&*store, search("scam")).await;
    found.sort_unstable();
    assert_eq!(found, [courier, scams, scammers, in_title]);
    // A match in the alert's own words ranks above one in its kind's name.
    let ranked = listed(&*store, search("scam")).await;
    assert_eq!(ranked.last(), Some(&courier), "{ranked:?}");
    // The organisation's name, and the kind's name with other words.
    assert_eq!(
        listed(&*store, search("Trading Standards")).await,
        [standards]
    );
    assert_eq!(
        listed(&*store, search("fraud warning detectives")).await,
        [courier]
    );

    // Matched in the title only: the snippet is the start of the body, not the title again.
    let hits = store.public_alerts(&search("scam")).await.unwrap();
    let hit = hits.iter().find(|hit| hit.alert.id == in_title).unwrap();
    assert_eq!(
        hit.snippet.as_deref(),
        Some("Only buy tickets from the venue or an official seller.")
    );
    // Matched in the kind's name only: the body's start.
    let hits = store.public_alerts(&search("warning")).await.unwrap();
    assert_eq!(ids(&hits), [courier]);
    assert_eq!(
        hits[0].snippet.as_deref(),
        Some("Callers claim to be detectives and ask for your bank card.")
    );

    // An organisation renamed: its alerts are found by the new name, not the old.
    let providers = store.providers().await.unwrap();
    let trading = providers
        .iter()
        .find(|p| p.slug == "trading-standards")
        .unwrap();
    store
        .update_provider(
            trading.id,
            "Consumer Protection",
            &trading.description,
            None,
        )
        .await
        .unwrap();
    assert_eq!(listed(&*store, search("consumer")).await, [standards]);
    assert!(listed(&*store, search("Standards")).await.is_empty());
}

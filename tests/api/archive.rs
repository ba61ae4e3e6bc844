//! The public archive on the web and through the public API: sent alerts listed, searched and
//! filtered; bad filters refused with a 4xx and words; conditional requests answered with 304;
//! responses compressed.

use crate::delivery::{seed_resident, send_alert, send_alert_with, ResidentSpec, FORCE_AREA};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use std::time::{Duration, Instant};

const MELBOURN_CIRCLE: &str = r#"{"include":[{"kind":"circle","easting":538300.0,"northing":244300.0,"radius_m":3000.0,"label":"Melbourn"}]}"#;

/// An app with a resident in Cambridge and one in Peterborough, and three sent alerts, their
/// fan-outs finished (so their districts are recorded).
pub(crate) async fn archive_app(backend: Backend) -> (TestApp, Vec<i64>) {
    let app = TestApp::spawn(backend).await;
    let store = &app.ctx.store;
    seed_resident(
        store,
        &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
    )
    .await;
    seed_resident(
        store,
        &ResidentSpec::new("bob@example.org", "Bob Patel", "PE1 1HF"),
    )
    .await;
    let mut ids = Vec::new();
    for (title, target) in [
        ("Shed burglaries across the county", FORCE_AREA),
        ("Catalytic converter thefts in Melbourn", MELBOURN_CIRCLE),
        ("Courier fraud warning", FORCE_AREA),
    ] {
        ids.push(send_alert(store, title, 2, target).await);
        // One second apart, so the order is certain.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    app.ctx.fanout_wakeup.notify_one();
    // Generous: under a full parallel test run on two cores a fan-out can wait its turn.
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in &ids {
        while store
            .delivery_report(*id)
            .await
            .unwrap()
            .fanout_done_at
            .is_none()
        {
            assert!(
                Instant::now() < deadline,
                "fan-out of alert {id} did not finish"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (app, ids)
}

async fn the_archive_lists_searches_and_filters(backend: Backend) {
    let (app, ids) = archive_app(backend).await;
    let page = app.get("/alerts").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let first = html.find("Courier fraud warning").expect("newest listed");
    let last = html
        .find("Shed burglaries across the county")
        .expect("oldest listed");
    assert!(first < last, "newest first");

    // Search: ranked, with the matched word highlighted.
    let found = app.get("/alerts?q=burglaries").await.text().await.unwrap();
    assert!(found.contains("Shed burglaries across the county"));
    assert!(!found.contains("Courier fraud warning"));
    // Operators and quotes are words like any other, never an error.
    for hostile in [
        "\"NEAR(",
        "burglary OR *",
        "-fraud AND",
        "()",
        "'; DROP TABLE alerts; --",
    ] {
        let response = app
            .client
            .get(app.url("/alerts"))
            .query(&[("q", hostile)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{hostile}");
    }

    // Place: the Peterborough postcode is not in the Melbourn circle's districts.
    let peterborough = app
        .client
        .get(app.url("/alerts"))
        .query(&[("place", "PE1 1HF")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(peterborough.contains("Courier fraud warning"));
    assert!(!peterborough.contains("Catalytic converter thefts in Melbourn"));
    let by_name = app
        .client
        .get(app.url("/alerts"))
        .query(&[("place", "South Cambridgeshire")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_name.contains("Catalytic converter thefts in Melbourn"));

    // An alert kept to subscribers is delivered but never public.
    let private = send_alert_with(
        &app.ctx.store,
        "Private briefing for members",
        2,
        FORCE_AREA,
        true,
    )
    .await;
    app.ctx.fanout_wakeup.notify_one();
    crate::delivery::wait_for_report(&app.ctx.store, private, 2, 0, Duration::from_secs(20)).await;
    assert!(!app
        .get("/alerts")
        .await
        .text()
        .await
        .unwrap()
        .contains("Private briefing"));
    assert_eq!(app.get(&format!("/alerts/{private}")).await.status(), 404);
    assert_eq!(
        app.get(&format!("/alerts/{private}.cap.xml"))
            .await
            .status(),
        404
    );
    assert!(!app
        .get("/feeds/all.atom")
        .await
        .text()
        .await
        .unwrap()
        .contains("Private briefing"));

    // Each alert has its own page, and the short link in texts leads there.
    let alert = app.get(&format!("/a/{}", ids[1])).await;
    assert_eq!(alert.status(), 200);
    assert!(alert.url().path().ends_with(&format!("/alerts/{}", ids[1])));
    let alert = alert.text().await.unwrap();
    assert!(alert.contains("Catalytic converter thefts in Melbourn"));
    assert!(alert.contains("Sarah Jones"));
    assert!(alert.contains("wa.me"), "share links");
    app.stop().await;
}
on_both_backends!(
    archive_lists_searches_and_filters,
    the_archive_lists_searches_and_filters
);

async fn bad_filters_get_a_clear_4xx(backend: Backend) {
    let (app, _) = archive_app(backend).await;
    let long = "a".repeat(10_000);
    for (params, expected) in [
        (
            vec![("from", "2026-02-30")],
            "Enter the first date as a real date",
        ),
        (
            vec![("to", "yesterday")],
            "Enter the last date as a real date",
        ),
        (
            vec![("place", "ZZ99 9ZZ")],
            "We cannot find the postcode ZZ99 9ZZ",
        ),
        (vec![("place", "Atlantis")], "Enter a postcode"),
        (vec![("provider", "nobody")], "Choose an organisation"),
        (
            vec![("q", long.as_str())],
            "Search for 200 characters or fewer",
        ),
        (vec![("cursor", "garbage")], "That page link is not valid"),
    ] {
        let response = app
            .client
            .get(app.url("/alerts"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{params:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "{params:?}: {html}");
    }
    for path in [
        "/alerts/abc",
        "/alerts/99999999",
        "/alerts/99999999999999999999999",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let api = |params: Vec<(&'static str, String)>| {
        let request = app
            .client
            .get(app.url("/api/v1/public/alerts"))
            .query(&params);
        async move { request.send().await.unwrap() }
    };
    for limit in ["0", "101", "1000000", "-3", "many"] {
        let response = api(vec![("limit", limit.to_owned())]).await;
        assert_eq!(response.status(), 400, "limit {limit}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "limit");
    }
    let response = api(vec![("q", long.clone())]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.get("/api/v1/public/alerts/nope").await.status(), 404);
    app.stop().await;
}
on_both_backends!(archive_refuses_bad_filters, bad_filters_get_a_clear_4xx);

async fn the_api_pages_with_a_cursor_and_caches(backend: Backend) {
    let (app, ids) = archive_app(backend).await;
    let first: serde_json::Value = app
        .get("/api/v1/public/alerts?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let alerts = first["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0]["id"], ids[2]);
    assert_eq!(alerts[0]["provider"]["slug"], "cambridgeshire-constabulary");
    assert!(alerts[0]["cap_url"].as_str().unwrap().ends_with(".cap.xml"));
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let second: serde_json::Value = app
        .client
        .get(app.url("/api/v1/public/alerts"))
        .query(&[("limit", "2"), ("cursor", cursor.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(second["alerts"][0]["id"], ids[0]);
    assert!(second["next_cursor"].is_null());

    let one = app.get(&format!("/api/v1/public/alerts/{}", ids[0])).await;
    assert_eq!(one.status(), 200);

    // Conditional requests: the same ETag back is a 304 with no body; so is a date after the
    // last change.
    let page = app.get("/alerts").await;
    let etag = page.headers()["etag"].to_str().unwrap().to_owned();
    let modified = page.headers()["last-modified"].to_str().unwrap().to_owned();
    assert!(page.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    let again = app
        .client
        .get(app.url("/alerts"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let by_date = app
        .client
        .get(app.url("/alerts"))
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(by_date.status(), 304);
    let stale = app
        .client
        .get(app.url("/alerts"))
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);

    // Compressed for clients that ask.
    for encoding in ["gzip", "br"] {
        let compressed = app
            .client
            .get(app.url("/alerts"))
            .header("Accept-Encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.headers()["content-encoding"], encoding);
    }

    let spec: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    assert_eq!(spec["openapi"], "3.0.3");
    assert!(spec["paths"]["/api/v1/public/alerts"]["get"].is_object());
    app.stop().await;
}
on_both_backends!(
    public_api_pages_and_caches,
    the_api_pages_with_a_cursor_and_caches
);

/// Runs `program args` with `input` on standard input; (succeeded, stdout + stderr).
fn pipe(program: &str, args: &[&str], input: &str) -> (bool, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} must be installed: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

async fn feeds_and_cap_documents_are_served_valid(backend: Backend) {
    let (app, ids) = archive_app(backend).await;
    let reader = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/read_feed.py");
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/CAP-v1.2.xsd");
    // South Cambridgeshire (E07000012) has the Melbourn alert and the force-wide ones.
    for (path, entries) in [
        ("/feeds/all.atom", 3),
        ("/feeds/all.json", 3),
        ("/feeds/district/E07000012.atom", 3),
        ("/feeds/district/E07000010.json", 2),
        ("/feeds/provider/cambridgeshire-constabulary.atom", 3),
        ("/feeds/type/crime-update.json", 3),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let document = response.text().await.unwrap();
        let (ok, output) = pipe("python3", &[reader], &document);
        assert!(ok, "{path}: {output}");
        let read: serde_json::Value = serde_json::from_str(&output).unwrap();
        let titles: Vec<&str> = read["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(titles.len(), entries, "{path}: {titles:?}");
        assert_eq!(titles[0], "Courier fraud warning", "{path}");
    }
    assert_eq!(
        app.get("/feeds/district/E99999999.atom").await.status(),
        404
    );
    assert_eq!(app.get("/feeds/provider/nobody.json").await.status(), 404);
    assert_eq!(app.get("/feeds/all.rss").await.status(), 404);

    // Every alert's CAP document is valid against the OASIS schema.
    for id in &ids {
        let response = app.get(&format!("/alerts/{id}.cap.xml")).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/cap+xml"));
        let xml = response.text().await.unwrap();
        let (ok, report) = pipe(
            "xmllint",
            &["--noout", "--nonet", "--schema", schema, "-"],
            &xml,
        );
        assert!(ok, "alert {id}: {report}\n{xml}");
        assert!(xml.contains("<msgType>Alert</msgType>"));
    }
    let index = app.get("/feeds/cap.atom").await.text().await.unwrap();
    assert!(index.contains("type=\"application/cap+xml\""));
    assert!(index.contains(&format!("/alerts/{}.cap.xml", ids[0])));
    app.stop().await;
}
on_both_backends!(
    feeds_and_cap_are_valid,
    feeds_and_cap_documents_are_served_valid
);

on_both_backends!(
    archive_pages_advertise_the_feed_of_what_they_show,
    feed_autodiscovery_body
);
async fn feed_autodiscovery_body(backend: Backend) {
    let (app, ids) = archive_app(backend).await;
    // What a feed reader looks for in a page's head: its Atom and JSON Feed alternates.
    let alternates = |page: &str| -> Vec<(String, String)> {
        let head = &page[..page.find("</head>").expect("the page has a head")];
        head.split("<link ")
            .skip(1)
            .filter(|link| link.contains("rel=\"alternate\""))
            .map(|link| {
                let attribute = |name: &str| {
                    let start = link.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                    link[start..start + link[start..].find('"').unwrap()].to_owned()
                };
                (attribute("type"), attribute("href"))
            })
            .collect()
    };
    let feeds = |atom: &str, json: &str| {
        vec![
            ("application/atom+xml".to_owned(), atom.to_owned()),
            ("application/feed+json".to_owned(), json.to_owned()),
        ]
    };
    for (path, atom, json) in [
        ("/alerts", "/feeds/all.atom", "/feeds/all.json"),
        (
            "/alerts?place=E07000012",
            "/feeds/district/E07000012.atom",
            "/feeds/district/E07000012.json",
        ),
        (
            "/alerts?provider=cambridgeshire-constabulary",
            "/feeds/provider/cambridgeshire-constabulary.atom",
            "/feeds/provider/cambridgeshire-constabulary.json",
        ),
        (
            "/alerts?type=crime-update",
            "/feeds/type/crime-update.atom",
            "/feeds/type/crime-update.json",
        ),
        // A search has no feed of its own: the whole archive's.
        ("/alerts?q=burglaries", "/feeds/all.atom", "/feeds/all.json"),
        (
            &format!("/alerts/{}", ids[0]),
            "/feeds/all.atom",
            "/feeds/all.json",
        ),
    ] {
        let page = app.get(path).await.text().await.unwrap();
        assert_eq!(alternates(&page), feeds(atom, json), "{path}");
    }
    app.stop().await;
}

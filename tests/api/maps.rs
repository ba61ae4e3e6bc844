//! The audience map gives its context (issue 19, item 6): the districts an alert targets are
//! outlined, with their neighbours and the largest towns named, on the compose preview and,
//! after sending, on the alert's own page.

use crate::alerts::{alert_fields, compose, resident, staff_member, THEFTS};
use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;

const FENLAND: &str = "E07000010";
const CAMBRIDGE: &str = "E07000008";

/// The map's description, which a screen reader reads.
fn map_description(page: &str) -> &str {
    let start = page
        .find("<desc id=\"audience-map-desc\">")
        .expect("the map has a description");
    let end = start + page[start..].find("</desc>").expect("closed");
    &page[start..end]
}

/// What a sender sees of the districts and towns on a page's map.
fn assert_shows_the_area(page: &str) {
    for code in [FENLAND, CAMBRIDGE] {
        assert!(
            page.contains(&format!(
                r#"<path class="district" data-district="{code}" d="M"#
            )),
            "{code} is outlined: {page}"
        );
    }
    // Huntingdonshire borders both, and is drawn faintly as a neighbour.
    assert!(page.contains(r#"<path class="neighbour" data-district="E07000011""#));
    for town in ["Cambridge", "Wisbech"] {
        assert!(page.contains(&format!(">{town}</text>")), "{town} is named");
    }
    let desc = map_description(page);
    assert!(
        desc.contains("District outlines: Fenland and Cambridge (targeted);"),
        "{desc}"
    );
    assert!(desc.contains("Huntingdonshire"), "{desc}");
    assert!(
        desc.contains("Towns named: ") && desc.contains("Wisbech"),
        "{desc}"
    );
}

on_both_backends!(
    the_map_outlines_ticked_districts_before_and_after_sending,
    outlines_body
);
async fn outlines_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    resident(&app, "a@example.org", "CB1 1PT", false).await;
    let (_, browser) = staff_member(
        &app,
        "Lucy Ward",
        "cambridgeshire-constabulary",
        (true, false, false, false),
    )
    .await;
    let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
    fields.push(("districts", FENLAND));
    fields.push(("districts", CAMBRIDGE));

    // The preview: Fenland is drawn though no resident of it has signed up.
    let preview = compose(&app, &browser, "preview", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(preview.contains("1 resident: 1 by email"), "{preview}");
    assert_shows_the_area(&preview);

    // Saved, marked ready and sent: the alert's page still shows where it went.
    let saved = compose(&app, &browser, "save", &fields).await;
    let id: i64 = saved
        .url()
        .path()
        .trim_start_matches("/staff/alerts/")
        .parse()
        .expect("the draft's page");
    let page = saved.text().await.unwrap();
    let csrf = hidden_value(&page, "csrf").unwrap();
    browser
        .post(app.url(&format!("/staff/alerts/{id}/submit")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let asked = browser
        .get(app.url(&format!("/staff/alerts/{id}/send")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&asked, "csrf").unwrap();
    let sent = browser
        .post(app.url(&format!("/staff/alerts/{id}/send")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sent.contains("Sent: the alert is on its way to residents."));
    app.emails(1).await;
    assert!(sent.contains("<h2 id=\"area-title\">Where it was sent</h2>"));
    assert_shows_the_area(&sent);
    assert!(sent.contains("Map of the area this alert was sent to"));
    app.stop().await;
}

on_both_backends!(
    a_configured_tile_server_is_allowed_and_offered_to_the_maps_script,
    tiles_body
);
async fn tiles_body(backend: Backend) {
    const TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
    for configured in [false, true] {
        let app = TestApp::spawn_with(backend, |settings| {
            if configured {
                settings.map.tile_url = TILES.into();
                settings.map.attribution = "© OpenStreetMap contributors".into();
            }
        })
        .await;
        let (_, browser) = staff_member(
            &app,
            "Lucy Ward",
            "cambridgeshire-constabulary",
            (true, false, false, false),
        )
        .await;
        let mut fields = alert_fields("Catalytic converter thefts", THEFTS);
        fields.push(("districts", FENLAND));
        let response = compose(&app, &browser, "preview", &fields).await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let page = response.text().await.unwrap();
        assert!(page.contains(r#"<path class="district" data-district="E07000010""#));
        if configured {
            assert!(
                policy.contains("img-src 'self' data: https://tile.openstreetmap.org;"),
                "{policy}"
            );
            assert!(page.contains(&format!(
                r#"<meta name="beacon-map-tiles" content="{TILES}">"#
            )));
            assert!(page.contains(
                r#"<meta name="beacon-map-attribution" content="© OpenStreetMap contributors">"#
            ));
            assert!(page.contains(r#"<script src="/static/map-tiles.js" defer></script>"#));
            let script = app.get("/static/map-tiles.js").await;
            assert_eq!(script.status(), 200);
            assert!(script.text().await.unwrap().contains("data-nw"));
        } else {
            // Nothing changes: no other origin, no tiles script.
            assert!(policy.contains("img-src 'self' data:;"), "{policy}");
            assert!(!page.contains("beacon-map-tiles"));
            assert!(!page.contains("map-tiles.js"));
        }
        // The corners' positions ride on the map for the script, either way.
        assert!(page.contains(" data-nw=\"52."), "the map's corners");
        app.stop().await;
    }
}

//! Importing other services' archives with the real `beacon import-archive` command: every
//! alert of the real eCops exports stored with the right provider, title and sign-off and shown
//! on the public archive as imported; a second import stores nothing; a file cut short stores
//! only whole alerts; bulletins and news articles import as cleanly, and so do files shaped as
//! real ones are (loose headings, no headline lines, fenced or broken front matter), with the
//! report saying how each odd part was read.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/alerts")
        .join(name)
}

/// Runs `beacon import-archive --json - <args>` against the app's database: the exit status
/// and the JSON report.
fn import(app: &TestApp, args: &[&str], files: &[PathBuf]) -> (bool, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_beacon"))
        .arg("import-archive")
        .args(["--json", "-"])
        .args(args)
        .args(files)
        .env("BEACON_DATABASE_URL", &app.database_url)
        .env("BEACON_DATA_DIR", app.ctx.settings.data_dir.as_os_str())
        .env("BEACON_LOG__FILTER", "warn")
        .output()
        .expect("running beacon import-archive");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the report is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.success(), report)
}

async fn public_alert(app: &TestApp, id: i64) -> Value {
    let response = app.get(&format!("/api/v1/public/alerts/{id}")).await;
    assert_eq!(response.status(), 200, "alert {id}");
    response.json().await.unwrap()
}

/// (line, provider now, provider in the source if renamed, title, sender) of every alert in
/// each real export, read off the files by hand.
type Expected<'a> = [(u64, &'a str, Option<&'a str>, &'a str, Option<&'a str>)];

const POLICE: &str = "Cambridgeshire Constabulary";
const FRAUD: &str = "Report Fraud";
const NFIB: Option<&str> = Some("Action Fraud (NFIB)");

const EXPORT_2022: &Expected = &[
    (
        1,
        POLICE,
        None,
        "Web chat and online reports",
        Some("Lauren Watchorn"),
    ),
    (
        23,
        POLICE,
        None,
        "Burglary warning as clocks go back",
        Some("Grace Corney"),
    ),
    (
        38,
        POLICE,
        None,
        "Could your friends and family benefit from eCops?",
        None,
    ),
    (
        53,
        POLICE,
        None,
        "Catalytic converter thefts in a village near you",
        Some("Tara Dundon"),
    ),
    (
        63,
        FRAUD,
        NFIB,
        "ALERT: Energy Bill Scam texts",
        Some("Action Fraud"),
    ),
    (72, POLICE, None, "Live web chat", Some("Lauren Watchorn")),
    (
        80,
        POLICE,
        None,
        "Could our live web chat be of use to you?",
        None,
    ),
    (
        84,
        POLICE,
        None,
        "What happens when I submit an online report?",
        Some("Lauren Watchorn"),
    ),
    (
        94,
        POLICE,
        None,
        "Speeding, ASB and drug dealing remain priorities for South Cambs",
        None,
    ),
    (
        112,
        POLICE,
        None,
        "Podcast: Vulnerable man gave thousands to fraudster he thought loved him",
        Some("Larissa Chapman"),
    ),
    (121, POLICE, None, "Scam in Focus – Doorstep crime", None),
    (171, POLICE, None, "Burglary in South Cambs", None),
    (188, POLICE, None, "WhatsApp Scam", None),
];

const EXPORT_2025: &Expected = &[
    (
        1,
        FRAUD,
        NFIB,
        "Stay vigilant for ticket fraud ahead of top events and concerts this summer.",
        None,
    ),
    (20, POLICE, None, "The woman locked in the toilet", None),
    (
        35,
        POLICE,
        None,
        "Rural concerns discussed during regular patrols",
        Some("Lucy Ward"),
    ),
    (
        43,
        FRAUD,
        NFIB,
        "People looking to snap up online holiday deals ahead of the summer are being warned to…",
        None,
    ),
    (
        61,
        POLICE,
        None,
        "Work continues following coursing and disorder",
        Some("Tara Dundon"),
    ),
    (
        70,
        POLICE,
        None,
        "Four further arrests linked to hare coursing and violent disorder",
        None,
    ),
    (
        93,
        POLICE,
        None,
        "Updated statement: concerning email to schools",
        None,
    ),
    (
        97,
        "Neighbourhood Watch",
        None,
        "The February 2025 edition of OUR NEWS is here",
        None,
    ),
    (
        110,
        FRAUD,
        NFIB,
        "Booking.com users targeted with scam messages",
        Some("Action Fraud"),
    ),
    (
        131,
        POLICE,
        None,
        "Winter Fuel Allowance scam",
        Some("Lucy Ward"),
    ),
    (
        140,
        POLICE,
        None,
        "Keep your home safe from burglars this Christmas",
        Some("Annabelle Mullee"),
    ),
    (
        150,
        POLICE,
        None,
        "Drink driving: We need your help",
        Some("Tara Cox"),
    ),
    (175, POLICE, None, "Fraud warning", Some("Larissa Chapman")),
    (194, POLICE, None, "Scam Awareness", None),
];

/// Checks a file's report and every alert it stored, as the public API gives it.
async fn check_file(app: &TestApp, report: &Value, file: &str, expected: &Expected<'_>) {
    assert_eq!(report["file"], file);
    assert_eq!(report["format"], "ecops-email");
    assert_eq!(report["found"], expected.len());
    assert_eq!(report["stored"], expected.len());
    assert_eq!(report["unreadable"], serde_json::json!([]));
    let alerts = report["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), expected.len());
    for (outcome, (line, provider, original, title, sender)) in alerts.iter().zip(expected) {
        assert_eq!(outcome["line"], *line, "{outcome}");
        assert_eq!(outcome["outcome"], "stored");
        let stored = public_alert(app, outcome["id"].as_i64().unwrap()).await;
        assert_eq!(stored["title"], *title, "line {line}");
        assert_eq!(
            stored["provider"]["name"], *provider,
            "line {line}: {title}"
        );
        assert_eq!(
            stored["imported_provider"].as_str(),
            *original,
            "line {line}"
        );
        assert_eq!(stored["imported_from"], "an eCops email export");
        let signoff = stored["signoff"].as_array().unwrap();
        match sender {
            Some(name) => assert_eq!(signoff[1], *name, "line {line}: {title}"),
            None => assert_eq!(signoff[1], "", "line {line}: {title}"),
        }
        // Bodies are cleaned: the greeting to the one reader the export was saved by is gone.
        let body = stored["body_text"].as_str().unwrap();
        assert!(!body.contains("Dear Mandy"), "line {line}: {body}");
        assert!(
            !body.contains('\u{A0}'),
            "line {line}: no-break spaces are normalised"
        );
    }
}

async fn fixture_exports_import_into_the_archive(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let files = [
        fixture("ecops-email-export-2022.txt"),
        fixture("ecops-email-export-2025.txt"),
    ];

    // A dry run reports all and stores nothing.
    let (ok, dry) = import(&app, &["--dry-run"], &files);
    assert!(ok, "{dry}");
    assert_eq!(dry["totals"]["found"], 27);
    assert_eq!(dry["totals"]["stored"], 0);
    let listed: Value = app.get("/api/v1/public/alerts").await.json().await.unwrap();
    assert_eq!(
        listed["alerts"],
        serde_json::json!([]),
        "a dry run stores nothing"
    );

    let (ok, report) = import(&app, &[], &files);
    assert!(ok, "{report}");
    assert_eq!(
        report["totals"],
        serde_json::json!({"found": 27, "stored": 27, "duplicates": 0, "unreadable": 0})
    );
    check_file(
        &app,
        &report["files"][0],
        "ecops-email-export-2022.txt",
        EXPORT_2022,
    )
    .await;
    check_file(
        &app,
        &report["files"][1],
        "ecops-email-export-2025.txt",
        EXPORT_2025,
    )
    .await;

    // The date a source gives is kept; an undated alert says so.
    let statement = report["files"][1]["alerts"][6]["id"].as_i64().unwrap();
    let stored = public_alert(&app, statement).await;
    assert!(
        stored["sent_at"]
            .as_str()
            .unwrap()
            .starts_with("2025-02-05T"),
        "{stored}"
    );
    assert!(!stored["inferred"]
        .as_array()
        .unwrap()
        .contains(&"date".into()));
    let whatsapp = report["files"][0]["alerts"][12]["id"].as_i64().unwrap();
    let stored = public_alert(&app, whatsapp).await;
    assert_eq!(
        stored["message_type"]["slug"], "scam-warning",
        "the source says “scam warning”"
    );
    assert_eq!(stored["inferred"], serde_json::json!(["provider", "date"]));
    assert!(stored["body_html"]
        .as_str()
        .unwrap()
        .contains("<li>STOP. THINK. CALL."));

    // On the archive: searchable, and marked as imported with its source.
    let page = app.get("/alerts?q=WhatsApp").await.text().await.unwrap();
    assert!(page.contains("WhatsApp Scam"), "{page}");
    assert!(page.contains("imported from an eCops email export"));
    let energy = report["files"][0]["alerts"][4]["id"].as_i64().unwrap();
    let page = app
        .get(&format!("/alerts/{energy}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Report Fraud"));
    assert!(page.contains("The source names the provider “Action Fraud (NFIB)”, now Report Fraud."));
    assert!(page.contains("The source gives no date"));
    assert!(!page.contains("Message Sent By<br><br>"));

    // The same files again: nothing new.
    let (ok, again) = import(&app, &[], &files);
    assert!(ok, "{again}");
    assert_eq!(
        again["totals"],
        serde_json::json!({"found": 27, "stored": 0, "duplicates": 27, "unreadable": 0})
    );
    let listed: Value = app
        .get("/api/v1/public/alerts?limit=100")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["alerts"].as_array().unwrap().len(), 27);
    app.stop().await;
}
on_both_backends!(
    fixture_exports_import_into_the_archive_once,
    fixture_exports_import_into_the_archive
);

async fn broken_files_store_whole_alerts_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let dir = tempfile::tempdir().unwrap();
    // The 2025 export cut off inside the Winter Fuel alert's sign-off (line 138).
    let full = std::fs::read_to_string(fixture("ecops-email-export-2025.txt")).unwrap();
    let cut_at = full.find("(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)\n\nKeep").unwrap() + 30;
    let cut = dir.path().join("cut-short.txt");
    std::fs::write(&cut, &full[..cut_at]).unwrap();
    let unknown = dir.path().join("minutes.txt");
    std::fs::write(
        &unknown,
        "Minutes of the parish council meeting\n\nApologies were received.\n",
    )
    .unwrap();

    let (ok, report) = import(&app, &[], &[cut.clone(), unknown]);
    assert!(!ok, "unreadable alerts make the command fail: {report}");
    let cut_report = &report["files"][0];
    assert_eq!(cut_report["stored"], 9, "{cut_report}");
    assert_eq!(cut_report["unreadable"][0]["line"], 131);
    assert!(cut_report["unreadable"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("cut short"));
    let other = &report["files"][1];
    assert_eq!(other["format"], Value::Null);
    assert!(other["unreadable"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not a format Beacon reads"));
    let listed: Value = app
        .get("/api/v1/public/alerts?q=Winter+Fuel")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["alerts"],
        serde_json::json!([]),
        "no half alert is stored"
    );

    // A missing file stops the import before anything is stored.
    let (ok, _) = {
        let output = Command::new(env!("CARGO_BIN_EXE_beacon"))
            .args(["import-archive"])
            .arg(fixture("bulletin-export-sample.txt"))
            .arg(dir.path().join("missing.txt"))
            .env("BEACON_DATABASE_URL", &app.database_url)
            .env("BEACON_DATA_DIR", app.ctx.settings.data_dir.as_os_str())
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert!(!ok);
    let listed: Value = app
        .get("/api/v1/public/alerts?q=Pension")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["alerts"], serde_json::json!([]));
    app.stop().await;
}
on_both_backends!(
    broken_import_files_store_whole_alerts_only,
    broken_files_store_whole_alerts_only
);

async fn bulletins_and_news_articles_import_cleanly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Every force-area postcode, as a real install has: they place the towns alerts name.
    beacon::services::postcodes::load_bundled(&*app.ctx.store, |_| true)
        .await
        .unwrap();
    let (ok, report) = import(
        &app,
        &[],
        &[
            fixture("bulletin-export-sample.txt"),
            fixture("news-article-sample.md"),
        ],
    );
    assert!(ok, "{report}");
    let bulletin = &report["files"][0];
    assert_eq!(bulletin["format"], "bulletin");
    assert_eq!(bulletin["stored"], 3);
    let ids: Vec<i64> = bulletin["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    let sellers = public_alert(&app, ids[0]).await;
    assert_eq!(
        sellers["title"],
        "Door to door sellers reported in Huntingdon and St Ives"
    );
    assert_eq!(
        sellers["message_type"]["slug"], "crime-prevention",
        "from “Category:”"
    );
    let body = sellers["body_markdown"].as_str().unwrap();
    assert!(
        body.contains("we’ve had six reports"),
        "mojibake repaired: {body}"
    );
    assert!(
        body.contains("\n- Do not buy or sign anything at the door\n"),
        "{body}"
    );
    assert!(
        body.contains("0808 223 1133 🚪"),
        "numbers and emoji kept: {body}"
    );
    assert_eq!(
        sellers["districts"],
        serde_json::json!(["E07000011"]),
        "Huntingdon"
    );
    let pensions = public_alert(&app, ids[1]).await;
    assert_eq!(pensions["provider"]["name"], "Report Fraud");
    assert_eq!(pensions["imported_provider"], "Action Fraud");
    assert!(pensions["body_text"]
        .as_str()
        .unwrap()
        .contains("report@actionfraud.police.uk or 0300 123 2040"));
    let van = public_alert(&app, ids[2]).await;
    assert_eq!(
        van["message_type"]["slug"], "appeal",
        "inferred from the words"
    );
    assert!(van["inferred"]
        .as_array()
        .unwrap()
        .contains(&"message_type".into()));
    assert_eq!(
        bulletin["alerts"][2]["places"],
        serde_json::json!(["March", "PE15 0AA"]),
        "the town and the postcode it names"
    );
    assert_eq!(
        van["districts"],
        serde_json::json!(["E07000010"]),
        "Fenland"
    );

    let news = &report["files"][1];
    assert_eq!(news["format"], "news");
    let article = public_alert(&app, news["alerts"][0]["id"].as_i64().unwrap()).await;
    assert_eq!(
        article["title"],
        "Man charged after burglaries in Peterborough"
    );
    assert!(article["sent_at"]
        .as_str()
        .unwrap()
        .starts_with("2021-02-01T"));
    assert_eq!(article["districts"], serde_json::json!(["E06000031"]));
    assert!(article["imported_from"]
        .as_str()
        .unwrap()
        .ends_with("man-charged-after-burglaries-in-peterborough"));
    let html = article["body_html"].as_str().unwrap();
    assert!(
        html.contains("<li>Man, 32, charged with three burglaries</li>"),
        "{html}"
    );
    assert!(
        html.contains("<strong>identify the suspect</strong>"),
        "{html}"
    );
    app.stop().await;
}
on_both_backends!(
    bulletins_and_news_articles_import,
    bulletins_and_news_articles_import_cleanly
);

/// Files as real exports come (issue 19, item 22), each with what it does differently from the
/// tidy samples: headings spelled four ways, alerts with no headline line, a BOM and CRLF
/// (`bulletin-export-loose.txt`); Windows-1252 with stray HTML, a Markdown heading and a
/// headline without its bar (`bulletin-export-html.txt`); front matter in a fenced code block
/// (`news-article-fenced.md`), with escapes YAML refuses (`news-article-escapes.md`), not YAML at
/// all (`news-article-loose-yaml.md`) or missing (`news-article-no-front-matter.md`).
const LOOSE_FILES: [(&str, &str); 6] = [
    ("bulletin-export-loose.txt", "bulletin"),
    ("bulletin-export-html.txt", "bulletin"),
    ("news-article-fenced.md", "news"),
    ("news-article-escapes.md", "news"),
    ("news-article-no-front-matter.md", "news"),
    ("news-article-loose-yaml.md", "news"),
];

/// (file, title, date, words of its body) of every alert in the loose files, read off them by
/// hand. Undated alerts get the import's `--undated-date`, 2024-04-01.
const LOOSE_ALERTS: [(usize, &str, &str, &str); 11] = [
    (
        0,
        "Sheds broken into in Ramsey",
        "2024-03-12",
        "Please check your outbuildings and report anything missing on 101.",
    ),
    (
        0,
        "Officers will hold a drop-in at Chatteris library on Friday 15 March from 10am",
        "2024-04-01",
        "Come and meet your local team.",
    ),
    (
        0,
        "Courier fraud",
        "2024-03-14",
        "Police will never ask you to withdraw money or hand over your bank card.",
    ),
    (
        0,
        "Missing man found safe",
        "2024-04-01",
        "has been found safe and well.",
    ),
    (
        1,
        "Residents in Yaxley have received calls from people claiming to be from their bank’s…",
        "2024-04-01",
        "Hang up, wait five minutes and call the number on the back of your card.",
    ),
    (
        1,
        "Quad bike stolen from farm near Whittlesey",
        "2024-04-01",
        "A red Honda quad bike worth £4,500 was stolen",
    ),
    (
        1,
        "Our live web chat is open until midnight",
        "2024-04-01",
        "Chat to an officer online",
    ),
    (
        2,
        "Appeal after \"distraction\" burglary in Wisbech",
        "2023-11-14",
        "took her purse while she was distracted.",
    ),
    (
        3,
        "Officers' warning 🚨 as catalytic converter thefts rise",
        "2024-03-05",
        "consider fitting a Thatcham-approved alarm.",
    ),
    (
        4,
        "Road closed after lorry overturns on the A14",
        "2024-04-01",
        "closed between Bar Hill and Girton",
    ),
    (
        5,
        "[UPDATE] Drugs seized in March: two arrested",
        "2024-02-01",
        "cannabis worth £20,000",
    ),
];

async fn real_files_are_read_liberally(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let files: Vec<PathBuf> = LOOSE_FILES.iter().map(|(name, _)| fixture(name)).collect();
    let (ok, report) = import(&app, &["--undated-date", "2024-04-01"], &files);
    assert!(ok, "{report}");
    assert_eq!(
        report["totals"],
        serde_json::json!({"found": 11, "stored": 11, "duplicates": 0, "unreadable": 0})
    );
    let mut stored = Vec::new();
    for (file, (name, format)) in report["files"].as_array().unwrap().iter().zip(LOOSE_FILES) {
        assert_eq!(file["file"], name);
        assert_eq!(file["format"], format, "{name}");
        for alert in file["alerts"].as_array().unwrap() {
            stored.push(public_alert(&app, alert["id"].as_i64().unwrap()).await);
        }
    }
    assert_eq!(stored.len(), LOOSE_ALERTS.len());
    for (alert, (file, title, date, words)) in stored.iter().zip(LOOSE_ALERTS) {
        assert_eq!(alert["title"], title, "{}", LOOSE_FILES[file].0);
        assert!(
            alert["sent_at"].as_str().unwrap().starts_with(date),
            "{title}: {}",
            alert["sent_at"]
        );
        let body = alert["body_text"].as_str().unwrap();
        assert!(body.contains(words), "{title}: {body}");
        for markup in [
            "<p>",
            "</",
            "&amp;",
            "&#",
            "Dear Subscriber",
            "|",
            "Date:",
            "Category:",
        ] {
            assert!(!body.contains(markup), "{title}: {markup} in {body}");
        }
    }
    // An article's "# " title is its title, not the start of its body.
    for article in [&stored[7], &stored[9]] {
        let body = article["body_text"].as_str().unwrap();
        assert!(
            body.starts_with("Police are") || body.starts_with("The A14"),
            "{body}"
        );
    }
    // The bulletin's paragraphs and bullets, as a reader sees them.
    let sheds = stored[0]["body_html"].as_str().unwrap();
    assert!(
        sheds.contains("taken.</p>\n<p>Please check")
            && sheds.contains("<li>Mark your tools with your postcode</li>"),
        "{sheds}"
    );
    assert_eq!(stored[2]["message_type"]["slug"], "scam-warning");
    assert_eq!(
        stored[4]["message_type"]["slug"], "scam-warning",
        "the heading “eCops: Scam warning” names the type"
    );
    // A title taken from the heading's topic is marked as inferred, and the page says so.
    assert!(stored[0]["inferred"]
        .as_array()
        .unwrap()
        .contains(&"title".into()));
    let page = app
        .get(&format!("/alerts/{}", stored[0]["id"]))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Beacon inferred"), "{page}");

    // The report says how each part that did not have the expected shape was read.
    let notes = |file: usize, alert: usize| report["files"][file]["alerts"][alert]["notes"].clone();
    assert_eq!(
        notes(0, 0),
        serde_json::json!([
            "no headline line: took the heading's topic “Sheds broken into in Ramsey” as the title"
        ])
    );
    assert_eq!(
        notes(0, 1),
        serde_json::json!(["no headline line: the title is the body's first sentence"])
    );
    assert_eq!(
        notes(0, 3),
        serde_json::json!([]),
        "a tidy alert needs no note"
    );
    assert!(notes(1, 1)[0]
        .as_str()
        .unwrap()
        .contains("took the short first line"));
    assert_eq!(
        notes(2, 0),
        serde_json::json!(["front matter read from a fenced code block"])
    );
    assert!(notes(3, 0)[0].as_str().unwrap().contains("read as meant"));
    assert!(notes(4, 0)[0].as_str().unwrap().contains("no front matter"));
    assert!(notes(5, 0)[0].as_str().unwrap().contains("not valid YAML"));
    let title_line = &report["files"][0]["warnings"][0];
    assert_eq!(title_line["line"], 1);
    assert!(title_line["reason"]
        .as_str()
        .unwrap()
        .contains("heads no alert"));

    // The text report lists them too.
    let output = Command::new(env!("CARGO_BIN_EXE_beacon"))
        .args(["import-archive", "--dry-run"])
        .arg(fixture("news-article-fenced.md"))
        .env("BEACON_DATABASE_URL", &app.database_url)
        .env("BEACON_DATA_DIR", app.ctx.settings.data_dir.as_os_str())
        .env("BEACON_LOG__FILTER", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("read so: front matter read from a fenced code block"),
        "{text}"
    );

    // What still cannot be read is reported with its line, and the rest is read as before.
    let dir = tempfile::tempdir().unwrap();
    let mut cut = std::fs::read(fixture("bulletin-export-loose.txt")).unwrap();
    let last_line = String::from_utf8_lossy(&cut).lines().count() + 1;
    cut.extend_from_slice(b"E-Cops \xe2\x80\x93 Fly-tipping in Sawtry\r\n");
    let cut_file = dir.path().join("bulletin-cut.txt");
    std::fs::write(&cut_file, cut).unwrap();
    let (ok, again) = import(&app, &["--undated-date", "2024-04-01"], &[cut_file]);
    assert!(!ok, "{again}");
    let file = &again["files"][0];
    assert_eq!(file["duplicates"], 4, "{file}");
    assert_eq!(file["unreadable"][0]["line"], last_line);
    assert!(file["unreadable"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("“E-Cops – Fly-tipping in Sawtry” has nothing after it"));
    app.stop().await;
}
on_both_backends!(
    real_files_are_read_liberally_into_the_archive,
    real_files_are_read_liberally
);

on_both_backends!(
    undated_imports_never_bury_todays_alerts,
    undated_imports_body
);
/// 27 imported alerts, most of unknown date, and one alert sent today: today's leads the
/// archive's first page; alerts of a file that gives a date nearby sit around that date, in the
/// file's order; a file that gives none goes after every dated alert; paging through the whole
/// list meets each alert once.
async fn undated_imports_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let today = crate::delivery::send_alert(
        &app.ctx.store,
        "Burglary in Melbourn today",
        2,
        crate::delivery::FORCE_AREA,
    )
    .await;
    let files = [
        fixture("ecops-email-export-2022.txt"),
        fixture("ecops-email-export-2025.txt"),
    ];
    let (ok, report) = import(&app, &[], &files);
    assert!(ok, "{report}");
    let file_ids = |file: usize| -> Vec<i64> {
        report["files"][file]["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };

    let page = app.get("/alerts").await.text().await.unwrap();
    let first = page.split("<h2><a href=\"/alerts/").nth(1).unwrap_or("");
    assert!(
        first.starts_with(&format!("{today}\">Burglary in Melbourn today<")),
        "today's alert leads the first page: {page}"
    );

    let mut seen: Vec<i64> = Vec::new();
    let mut cursor = String::new();
    loop {
        let listed: Value = app
            .client
            .get(app.url("/api/v1/public/alerts"))
            .query(&[("limit", "4"), ("cursor", cursor.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            listed["alerts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_i64().unwrap()),
        );
        match listed["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    // Today's; the 2025 export, around its one date (5 February 2025); the 2022 export, which
    // gives no date at all, last.
    let expected: Vec<i64> = std::iter::once(today)
        .chain(file_ids(1))
        .chain(file_ids(0))
        .collect();
    assert_eq!(seen, expected);
    app.stop().await;
}

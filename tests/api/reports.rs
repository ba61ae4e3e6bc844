//! Reporting online, as a resident does it: the emergency question, one question a page with
//! "Check your answers", the receipt on screen and by email, the report's own page from the
//! link in the email, and what goes wrong (a place outside the force area, too long a text,
//! HTML, a tampered link, a form sent twice, urgent words, anonymity where a kind does not
//! allow it); a report's photos kept on the server between pages (never carried by the pages,
//! deleted after a day, checked by digest at the send) and forms past their limits refused;
//! and a reporter's reports in their data download and erasure.

use crate::helpers::{hidden_value, Backend, TestApp};
use crate::on_both_backends;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use beacon::services::report_drafts;
use beacon::services::reports::{self as service, Contact, LocationInput, ReportError, Submission};
use beacon::services::tokens::sha256_hex;
use beacon::store::ReportFilter;
use reqwest::StatusCode;

/// A resident's browser part-way through a report: the page it is on.
struct Walk<'a> {
    app: &'a TestApp,
    browser: reqwest::Client,
    kind: String,
    page: String,
    status: StatusCode,
}

impl<'a> Walk<'a> {
    /// Opens the kind's first question (past any notice).
    async fn start(app: &'a TestApp, kind: &str) -> Walk<'a> {
        let browser = TestApp::client();
        let answer = browser
            .get(app.url(&format!("/report/{kind}?start=yes")))
            .send()
            .await
            .unwrap();
        let status = answer.status();
        Walk {
            app,
            browser,
            kind: kind.to_owned(),
            page: answer.text().await.unwrap(),
            status,
        }
    }

    /// The form's hidden fields as the page carries them.
    fn carried(&self) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        for name in ["csrf", "step", "draft", "seal"] {
            let value = hidden_value(&self.page, name)
                .unwrap_or_else(|| panic!("no {name} on the page:\n{}", self.page));
            fields.push((name.to_owned(), value));
        }
        fields
    }

    /// The request that answers the page with `fields` and presses `action`.
    fn request(&self, fields: &[(&str, &str)], action: &str) -> reqwest::RequestBuilder {
        let mut form = self.carried();
        form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        form.push(("action".into(), action.into()));
        self.browser
            .post(self.app.url(&format!("/report/{}", self.kind)))
            .form(&form)
    }

    /// Answers the page and goes on; the next page.
    async fn answer(&mut self, fields: &[(&str, &str)]) -> &str {
        self.press(fields, "continue").await
    }

    async fn press(&mut self, fields: &[(&str, &str)], action: &str) -> &str {
        let answer = self.request(fields, action).send().await.unwrap();
        self.status = answer.status();
        self.page = answer.text().await.unwrap();
        &self.page
    }

    /// Uploads files on the files page, as a browser does (multipart).
    async fn upload(&mut self, files: &[(&str, &str, &[u8])], action: &str) -> &str {
        self.upload_with(&[], files, action).await
    }

    /// Uploads files with other fields of the files page (`remove`).
    async fn upload_with(
        &mut self,
        extra: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
        action: &str,
    ) -> &str {
        let boundary = "----beacon-test-boundary";
        let mut body = Vec::new();
        let mut fields = self.carried();
        fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        fields.push(("action".into(), action.into()));
        for (name, value) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (file_name, content_type, bytes) in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(*bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let answer = self
            .browser
            .post(self.app.url(&format!("/report/{}", self.kind)))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        self.status = answer.status();
        self.page = answer.text().await.unwrap();
        &self.page
    }

    /// Criminal damage to a car in Cambridge, up to "Check your answers".
    async fn criminal_damage(&mut self, description: &str, contact: &[(&str, &str)]) {
        assert!(self.page.contains("Where did it happen?"), "{}", self.page);
        self.answer(&[("location", "CB1 1PT")]).await;
        assert!(self.page.contains("When did it happen?"), "{}", self.page);
        self.answer(&[("happened", "Last night, about 11pm")]).await;
        self.answer(&[("description", description)]).await;
        assert!(self.page.contains("What was damaged?"), "{}", self.page);
        self.answer(&[("answer", "vehicle")]).await;
        self.answer(&[("answer", "350")]).await;
        self.answer(&[("people", "Two teenagers in dark hoodies")])
            .await;
        self.answer(&[("vehicles", "My car: blue Ford Fiesta AB12 CDE")])
            .await;
        assert!(self.page.contains("photos or files"), "{}", self.page);
        self.answer(&[]).await;
        assert!(
            self.page.contains("How can we contact you?"),
            "{}",
            self.page
        );
        self.answer(contact).await;
    }

    /// Sends the report from "Check your answers"; the receipt page.
    async fn send(&mut self) -> &str {
        assert!(
            self.page.contains("Check your answers"),
            "not on the check page:\n{}",
            self.page
        );
        self.press(&[], "send").await
    }
}

const MANDY: [(&str, &str); 3] = [
    ("name", "Mandy Clarke"),
    ("email", "mandy@example.com"),
    ("phone", "07700 900123"),
];

async fn count_reports(app: &TestApp) -> usize {
    app.ctx
        .store
        .find_reports(&ReportFilter {
            limit: 1000,
            ..ReportFilter::default()
        })
        .await
        .unwrap()
        .len()
}

/// The sealed draft a page carries, read.
fn draft_on(page: &str) -> serde_json::Value {
    let draft = hidden_value(page, "draft").unwrap_or_else(|| panic!("no draft on:\n{page}"));
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(draft).unwrap()).unwrap()
}

/// Whether a page carries these bytes, base64 in any of its spellings.
fn carries(page: &str, bytes: &[u8]) -> bool {
    [
        URL_SAFE_NO_PAD.encode(bytes),
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ]
    .iter()
    .any(|encoded| page.contains(&encoded[..encoded.len().min(64)]))
}

/// How many draft files the store keeps (by deleting them all: for the end of a test).
async fn draft_files_kept(app: &TestApp) -> u64 {
    report_drafts::purge(&app.ctx, chrono::Utc::now().timestamp() + 100 * 86_400)
        .await
        .unwrap()
}

/// The reference on a receipt page.
fn reference_on(page: &str) -> String {
    let start = page.find("RPT-").expect("a reference on the page");
    page[start..start + "RPT-XXXX-XXXX".len()].to_owned()
}

on_both_backends!(
    a_resident_reports_through_the_pages_and_follows_it,
    whole_report
);
async fn whole_report(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let start = app.get("/report").await.text().await.unwrap();
    assert!(start.contains("Is someone in danger, hurt, or is the crime happening now?"));
    assert!(start.contains("18000"));
    assert!(start.contains("/report/criminal-damage"));
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("href=\"/report\""));

    let mut walk = Walk::start(&app, "criminal-damage").await;
    assert_eq!(walk.status, StatusCode::OK);
    walk.criminal_damage("Someone scratched the side of my car with a key.", &MANDY)
        .await;
    let check = walk.page.clone();
    for shown in [
        "CB1 1PT",
        "Last night, about 11pm",
        "A vehicle",
        "Mandy Clarke",
        "Change",
    ] {
        assert!(check.contains(shown), "{shown} on\n{check}");
    }
    assert!(!check.contains("Is someone in danger now?"));
    // A change goes back to its page, and from there straight back to the check.
    walk.press(&[], "change-when").await;
    assert!(walk.page.contains("When did it happen?"));
    walk.answer(&[("happened", "Yesterday evening")]).await;
    assert!(walk.page.contains("Check your answers"), "{}", walk.page);
    assert!(walk.page.contains("Yesterday evening"));
    assert_eq!(
        count_reports(&app).await,
        0,
        "nothing is stored before the send"
    );

    let receipt = walk.send().await.to_owned();
    assert_eq!(walk.status, StatusCode::OK, "{receipt}");
    assert!(receipt.contains("Report sent"));
    assert!(receipt.contains("What happens next"));
    assert!(receipt.contains("5 working days"));
    let reference = reference_on(&receipt);

    let emails = app.emails(1).await;
    let email = &emails[0];
    assert_eq!(email.to, "mandy@example.com");
    assert!(email.subject.contains(&reference), "{}", email.subject);
    assert!(email.text.contains("48 hours"));
    let link = email.link("/reports/");
    let page = app.get(&link).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(&reference));
    assert!(page.contains("A call taker will assess it"), "{page}");
    assert!(page.contains("scratched the side of my car"));

    let report = app
        .ctx
        .store
        .report_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    assert!(!report.urgent);
    assert_eq!(report.postcode.as_deref(), Some("CB1 1PT"));
    assert!(report.district_code.is_some());
    assert_eq!(report.reporter_phone.as_deref(), Some("+447700900123"));

    // The reporter adds something from their page.
    let browser = TestApp::client();
    let html = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = [
        ("csrf", hidden_value(&html, "csrf").unwrap()),
        ("nonce", hidden_value(&html, "nonce").unwrap()),
        ("text", "I have found a witness: my neighbour.".to_owned()),
    ];
    let added = browser.post(&link).form(&form).send().await.unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    let added = added.text().await.unwrap();
    assert!(
        added.contains("We have added that to your report"),
        "{added}"
    );
    assert!(added.contains("my neighbour"));
    // The same form again stores nothing more, and says so.
    let again = browser.post(&link).form(&form).send().await.unwrap();
    let again = again.text().await.unwrap();
    assert!(again.contains("We already have that"), "{again}");
    assert!(!again.contains("We have added that"), "{again}");
    let updates = app.ctx.store.report_updates(report.id).await.unwrap();
    assert_eq!(updates.len(), 1, "{updates:?}");
    // A form without its one-time value, or with a made-up one too long to be ours, is refused.
    let csrf = hidden_value(&html, "csrf").unwrap();
    for nonce in [None, Some(String::new()), Some("x".repeat(101))] {
        let mut form = vec![
            ("csrf", csrf.clone()),
            ("text", "Another witness came forward.".to_owned()),
        ];
        if let Some(nonce) = nonce {
            form.push(("nonce", nonce));
        }
        let refused = browser.post(&link).form(&form).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let refused = refused.text().await.unwrap();
        assert!(refused.contains("has not been sent"), "{refused}");
    }
    let updates = app.ctx.store.report_updates(report.id).await.unwrap();
    assert_eq!(updates.len(), 1, "{updates:?}");
    app.stop().await;
}

on_both_backends!(
    a_report_sent_twice_at_once_is_stored_once,
    double_submit,
    multi_thread
);
async fn double_submit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    walk.criminal_damage("My wing mirror was snapped off.", &MANDY)
        .await;
    let (first, second) = tokio::join!(
        walk.request(&[], "send").send(),
        walk.request(&[], "send").send()
    );
    let first = first.unwrap().text().await.unwrap();
    let second = second.unwrap().text().await.unwrap();
    assert_eq!(reference_on(&first), reference_on(&second));
    assert_eq!(count_reports(&app).await, 1);
    app.wait_until_sent().await;
    assert_eq!(app.outbox_count(), 1, "one receipt");
    app.stop().await;
}

on_both_backends!(bad_input_gets_a_clear_message_and_stores_nothing, bad_input);
async fn bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    walk.answer(&[("location", "SW1A 1AA")]).await;
    assert_eq!(walk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        walk.page.contains("the Metropolitan Police"),
        "{}",
        walk.page
    );
    assert!(walk.page.contains("There is a problem"));
    walk.answer(&[("location", "Leeds")]).await;
    assert!(
        walk.page.contains("Leeds is outside the area"),
        "{}",
        walk.page
    );
    walk.answer(&[("location", "Nowhere-in-particular-shire")])
        .await;
    assert!(walk.page.contains("We cannot find"), "{}", walk.page);
    // A place name inside the area is fine.
    walk.answer(&[("location", "Cambridge")]).await;
    assert!(walk.page.contains("When did it happen?"), "{}", walk.page);
    walk.answer(&[("happened", "This morning")]).await;

    let long = "a".repeat(4_001);
    walk.answer(&[("description", &long)]).await;
    assert_eq!(walk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        walk.page.contains("4000 characters or fewer"),
        "{}",
        walk.page
    );
    walk.answer(&[("description", "<script>alert('x')</script><b>bold</b>")])
        .await;
    assert_eq!(walk.status, StatusCode::OK);

    // A tampered draft is refused.
    let mut form = walk.carried();
    for (name, value) in form.iter_mut() {
        if name == "draft" {
            value.insert(0, 'A');
        }
    }
    form.push(("action".into(), "continue".into()));
    let refused = walk
        .browser
        .post(app.url("/report/criminal-damage"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    // A tampered follow link.
    let tampered = app.get("/reports/AAAA.BBBB").await;
    assert_eq!(tampered.status(), StatusCode::NOT_FOUND);
    assert!(tampered
        .text()
        .await
        .unwrap()
        .contains("link cannot be used"));
    assert_eq!(count_reports(&app).await, 0);

    // The HTML is shown as text on the check page and the report's page.
    walk.answer(&[("answer", "vehicle")]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&MANDY).await;
    assert!(walk.page.contains("&#60;script&#62;"), "{}", walk.page);
    assert!(!walk.page.contains("<script>alert"));
    let receipt = walk.send().await.to_owned();
    let reference = reference_on(&receipt);
    let token = service::follow_token(&app.ctx, &reference);
    let page = app
        .get(&format!("/reports/{token}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("&#60;b&#62;bold&#60;/b&#62;"), "{page}");
    app.stop().await;
}

on_both_backends!(a_file_that_is_not_what_it_claims_is_refused, false_file);
async fn false_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    walk.answer(&[("location", "CB1 1PT")]).await;
    walk.answer(&[("happened", "Today")]).await;
    walk.answer(&[("description", "Graffiti on my garage door")])
        .await;
    walk.answer(&[("answer", "home")]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    assert!(walk.page.contains("photos or files"));
    walk.upload(
        &[("photo.jpg", "image/jpeg", b"MZ\x90\x00 this is a program")],
        "upload",
    )
    .await;
    assert_eq!(
        walk.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        walk.page
    );
    assert!(walk.page.contains("photo.jpg"), "{}", walk.page);
    assert!(draft_on(&walk.page)["files"].as_array().unwrap().is_empty());
    assert_eq!(count_reports(&app).await, 0);
    assert_eq!(draft_files_kept(&app).await, 0);
    app.stop().await;
}

on_both_backends!(urgent_words_bring_up_999_and_mark_the_report_urgent, urgent);
async fn urgent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    walk.criminal_damage(
        "He smashed my window and he is outside now with a knife",
        &MANDY,
    )
    .await;
    assert!(
        walk.page.contains("Is someone in danger now?"),
        "{}",
        walk.page
    );
    assert!(walk.page.contains("tel:999"));
    let receipt = walk.send().await.to_owned();
    assert!(receipt.contains("If someone is in danger now, call 999"));
    let report = app
        .ctx
        .store
        .report_by_reference(&reference_on(&receipt))
        .await
        .unwrap()
        .unwrap();
    assert!(report.urgent);
    assert!(
        report.urgent_words.contains("knife"),
        "{}",
        report.urgent_words
    );
    app.stop().await;
}

fn submission(kind: &str, contact: Contact) -> Submission {
    Submission {
        service_code: kind.into(),
        answers: [("how_known".to_owned(), vec!["seen".to_owned()])].into(),
        description: "A van has been parked outside the school every night this week".into(),
        location: LocationInput {
            text: "CB1 1PT".into(),
            ..LocationInput::default()
        },
        happened: "Every night this week".into(),
        contact,
        form_nonce: beacon::services::tokens::random_id(),
        source: "web".into(),
        ..Submission::default()
    }
}

on_both_backends!(anonymous_only_where_the_kind_allows_it, anonymous);
async fn anonymous(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Through the pages: suspicious activity may be anonymous, and what was typed is not kept.
    let mut walk = Walk::start(&app, "suspicious-activity").await;
    walk.answer(&[("location", "CB1 1PT")]).await;
    walk.answer(&[("happened", "Every night")]).await;
    walk.answer(&[(
        "description",
        "People going in and out of a house at all hours",
    )])
    .await;
    walk.answer(&[("answer", "seen")]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    assert!(walk.page.contains("report anonymously"), "{}", walk.page);
    assert!(walk.page.contains("We cannot contact you"));
    walk.answer(&[("anonymous", "yes"), ("name", "Someone")])
        .await;
    assert!(walk.page.contains("Anonymous"), "{}", walk.page);
    let receipt = walk.send().await.to_owned();
    assert!(receipt.contains("we have no email address"), "{receipt}");
    let report = app
        .ctx
        .store
        .report_by_reference(&reference_on(&receipt))
        .await
        .unwrap()
        .unwrap();
    assert!(report.anonymous);
    assert_eq!(report.reporter_name, None);
    assert_eq!(report.reporter_email, None);

    // Theft may not be anonymous.
    let mut theft = submission(
        "theft",
        Contact {
            anonymous: true,
            ..Contact::default()
        },
    );
    theft.answers = [
        ("stolen_items".to_owned(), vec!["A bicycle".to_owned()]),
        ("from_vehicle".to_owned(), vec!["no".to_owned()]),
    ]
    .into();
    match service::submit(&app.ctx, theft).await {
        Err(ReportError::Invalid(errors)) => {
            let message = errors.for_field("anonymous").expect("an anonymity problem");
            assert!(message.contains("need your contact details"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count_reports(&app).await, 1);
    app.stop().await;
}

on_both_backends!(
    a_reporters_data_download_and_erasure_include_their_reports,
    reporter_data
);
async fn reporter_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let confirmation = app.signed_up("mandy@example.com").await;
    let manage = confirmation.link("/manage/");
    let receipt = service::submit(
        &app.ctx,
        submission(
            "suspicious-activity",
            Contact {
                name: "Mandy Clarke".into(),
                email: "Mandy@Example.com".into(),
                ..Contact::default()
            },
        ),
    )
    .await
    .unwrap();
    let data = app.get(&format!("{manage}/data.json")).await;
    assert_eq!(data.status(), StatusCode::OK);
    let data: serde_json::Value = data.json().await.unwrap();
    let reports = data["your_reports"].as_array().expect("your_reports");
    assert_eq!(reports.len(), 1, "{data}");
    assert_eq!(reports[0]["reference"], receipt.reference.as_str());
    assert!(reports[0]["what_happened"]
        .as_str()
        .unwrap()
        .contains("parked outside the school"));

    let erase_page = app
        .get(&format!("{manage}/erase"))
        .await
        .text()
        .await
        .unwrap();
    assert!(erase_page.contains("Reports you made online"));
    let csrf = hidden_value(&erase_page, "csrf").unwrap();
    let erased = app
        .client
        .post(format!("{manage}/erase"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::OK);
    assert!(app
        .ctx
        .store
        .report_by_reference(&receipt.reference)
        .await
        .unwrap()
        .is_none());
    let link = app.get(&receipt.follow_url).await;
    assert_eq!(link.status(), StatusCode::NOT_FOUND);
    assert!(link
        .text()
        .await
        .unwrap()
        .contains("no longer hold this report"));
    app.stop().await;
}

on_both_backends!(fraud_and_domestic_abuse_show_their_pages_first, kind_pages);
async fn kind_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let fraud = app.get("/report/fraud").await.text().await.unwrap();
    assert!(fraud.contains("0300 123 2040"));
    assert!(fraud.contains("href=\"/scam-checker\""));
    let abuse = app
        .get("/report/domestic-abuse")
        .await
        .text()
        .await
        .unwrap();
    for shown in [
        "Leave this site",
        "data-leave-site",
        "/static/leave-site.js",
        "0808 2000 247",
        "0808 801 0327",
        "55",
        "?start=yes",
    ] {
        assert!(abuse.contains(shown), "{shown} on\n{abuse}");
    }
    // The button stays on every page of the form.
    let walk = Walk::start(&app, "domestic-abuse").await;
    assert!(walk.page.contains("data-leave-site"), "{}", walk.page);
    let script = app.get("/static/leave-site.js").await.text().await.unwrap();
    assert!(script.contains("location.replace"));
    let unknown = app.get("/report/not-a-kind").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A small JPEG whose EXIF block says where it was taken.
fn photo_with_gps() -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    out.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    out.extend(segment(
        0xE1,
        b"Exif\0\0MM\0*GPSLatitude 52.33 GPSLongitude -0.18",
    ));
    out.extend(segment(0xDB, &[0; 65]));
    out.extend(segment(0xC0, &[8, 0, 40, 0, 60, 1, 1, 0x11, 0]));
    out.extend(segment(0xC4, &[0; 20]));
    out.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
    out.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0xFF, 0xD9]);
    out
}

on_both_backends!(a_photo_survives_to_the_send_without_its_location, photo);
async fn photo(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    walk.answer(&[("location", "CB1 1PT")]).await;
    walk.answer(&[("happened", "Today")]).await;
    walk.answer(&[("description", "Someone kicked my car door in")])
        .await;
    walk.answer(&[("answer", "vehicle")]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    let jpeg = photo_with_gps();
    walk.upload(&[("car door.jpg", "image/jpeg", &jpeg)], "upload")
        .await;
    assert_eq!(walk.status, StatusCode::OK, "{}", walk.page);
    assert!(walk.page.contains("Remove car door.jpg"), "{}", walk.page);
    // The page names the kept photo; it does not carry it.
    let named = draft_on(&walk.page)["files"][0].clone();
    let id = named["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "an unguessable id: {id}");
    let kept = app
        .ctx
        .store
        .draft_files(std::slice::from_ref(&id))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    let cleaned = kept[0].content.clone();
    assert_eq!(named["sha256"], kept[0].sha256.as_str());
    assert!(!cleaned.windows(11).any(|w| w == b"GPSLatitude"));
    walk.answer(&[]).await;
    walk.answer(&MANDY).await;
    assert!(walk.page.contains("Check your answers"), "{}", walk.page);
    assert!(walk.page.contains("car door.jpg"), "{}", walk.page);
    assert!(
        !carries(&walk.page, &cleaned),
        "the check page carries the photo"
    );
    assert!(
        !carries(&walk.page, &jpeg),
        "the check page carries the photo"
    );
    assert!(walk.page.len() < 20_000, "{} bytes", walk.page.len());
    let check_page = walk.page.clone();
    let receipt = walk.send().await.to_owned();
    let reference = reference_on(&receipt);
    let report = app
        .ctx
        .store
        .report_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    let files = app.ctx.store.report_files(report.id).await.unwrap();
    assert_eq!(files.len(), 1);
    // The same form sent again (a double click) gets the same receipt, its photo still kept
    // for a few minutes; then the draft's copy is deleted.
    walk.page = check_page;
    let again = walk.send().await.to_owned();
    assert_eq!(reference_on(&again), reference);
    assert_eq!(count_reports(&app).await, 1);
    report_drafts::forget(&app.ctx, std::slice::from_ref(&id)).await;
    assert!(app.ctx.store.draft_files(&[id]).await.unwrap().is_empty());
    let token = service::follow_token(&app.ctx, &reference);
    let page = app
        .get(&format!("/reports/{token}"))
        .await
        .text()
        .await
        .unwrap();
    let href = format!("/reports/{token}/files/{}", files[0].id);
    assert!(page.contains(&href), "{page}");
    let download = app.get(&href).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/jpeg");
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let bytes = download.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(!bytes.windows(11).any(|w| w == b"GPSLatitude"));
    assert_eq!(bytes.as_ref(), cleaned.as_slice());
    // Another report's file is not served through this link.
    let other = app.get(&format!("/reports/{token}/files/999999")).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// Criminal damage up to its files page.
async fn to_the_files_page(walk: &mut Walk<'_>) {
    walk.answer(&[("location", "CB1 1PT")]).await;
    walk.answer(&[("happened", "Today")]).await;
    walk.answer(&[("description", "Someone kicked my car door in")])
        .await;
    walk.answer(&[("answer", "vehicle")]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    walk.answer(&[]).await;
    assert!(walk.page.contains("photos or files"), "{}", walk.page);
}

on_both_backends!(
    the_photos_of_a_report_never_sent_are_deleted_after_a_day,
    draft_files_purged
);
async fn draft_files_purged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    to_the_files_page(&mut walk).await;
    walk.upload(
        &[("car door.jpg", "image/jpeg", &photo_with_gps())],
        "upload",
    )
    .await;
    assert_eq!(walk.status, StatusCode::OK, "{}", walk.page);
    let id = draft_on(&walk.page)["files"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    walk.answer(&[]).await;
    walk.answer(&MANDY).await;
    assert!(walk.page.contains("Check your answers"), "{}", walk.page);

    let now = chrono::Utc::now().timestamp();
    let purged = report_drafts::purge(&app.ctx, now + 23 * 3600)
        .await
        .unwrap();
    assert_eq!(purged, 0);
    assert_eq!(
        app.ctx
            .store
            .draft_files(std::slice::from_ref(&id))
            .await
            .unwrap()
            .len(),
        1
    );
    let purged = report_drafts::purge(&app.ctx, now + 25 * 3600)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert!(app.ctx.store.draft_files(&[id]).await.unwrap().is_empty());

    // Sending it now: nothing is stored, and the files page asks for the photo again.
    walk.press(&[], "send").await;
    assert_eq!(
        walk.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        walk.page
    );
    assert!(
        walk.page.contains("no longer have car door.jpg"),
        "{}",
        walk.page
    );
    assert!(
        walk.page.contains("Choose photos or files"),
        "{}",
        walk.page
    );
    assert_eq!(count_reports(&app).await, 0);
    // Without it, the report goes.
    walk.answer(&[]).await;
    assert!(walk.page.contains("Check your answers"), "{}", walk.page);
    walk.send().await;
    assert_eq!(count_reports(&app).await, 1);
    app.stop().await;
}

on_both_backends!(
    a_draft_naming_a_file_not_kept_or_another_digest_is_refused,
    draft_names_other_files
);
async fn draft_names_other_files(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    to_the_files_page(&mut walk).await;
    walk.upload(
        &[("car door.jpg", "image/jpeg", &photo_with_gps())],
        "upload",
    )
    .await;
    walk.answer(&[]).await;
    walk.answer(&MANDY).await;
    assert!(walk.page.contains("Check your answers"), "{}", walk.page);
    let check_page = walk.page.clone();
    let draft = draft_on(&check_page);

    // The server's own seal on a draft naming what it did not keep, as a forger with the key
    // (or a bug) would make it: the seal alone is not trusted for the files.
    let sealed = |draft: &serde_json::Value| {
        let draft = URL_SAFE_NO_PAD.encode(serde_json::to_vec(draft).unwrap());
        let seal = app.ctx.signer.sign("report-draft", &[&sha256_hex(&draft)]);
        (draft, seal)
    };
    let mut other_digest = draft.clone();
    other_digest["files"][0]["sha256"] = serde_json::json!(sha256_hex("another photo"));
    let mut not_kept = draft.clone();
    not_kept["files"][0]["id"] = serde_json::json!("0123456789abcdef0123456789abcdef");
    for (forged, status) in [
        (other_digest, StatusCode::BAD_REQUEST),
        (not_kept, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (draft, seal) = sealed(&forged);
        walk.page = check_page.replace(&hidden_value(&check_page, "draft").unwrap(), &draft);
        walk.page = walk
            .page
            .replace(&hidden_value(&check_page, "seal").unwrap(), &seal);
        walk.press(&[], "send").await;
        assert_eq!(walk.status, status, "{}", walk.page);
        assert_eq!(count_reports(&app).await, 0);
    }
    // A draft whose seal does not match what it says is refused as before.
    let mut tampered = draft.clone();
    tampered["files"][0]["sha256"] = serde_json::json!(sha256_hex("another photo"));
    walk.page = check_page.replace(
        &hidden_value(&check_page, "draft").unwrap(),
        &URL_SAFE_NO_PAD.encode(serde_json::to_vec(&tampered).unwrap()),
    );
    walk.press(&[], "send").await;
    assert_eq!(walk.status, StatusCode::BAD_REQUEST, "{}", walk.page);
    assert_eq!(count_reports(&app).await, 0);
    // The genuine draft still sends, with its photo.
    walk.page = check_page;
    walk.send().await;
    assert_eq!(count_reports(&app).await, 1);
    app.stop().await;
}

on_both_backends!(
    a_form_past_a_limit_is_refused_unread_with_nothing_kept,
    over_large_parts
);
async fn over_large_parts(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.reports.max_file_bytes = 64 * 1024;
        settings.reports.max_files = 2;
    })
    .await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    to_the_files_page(&mut walk).await;
    let files_page = walk.page.clone();
    let photo = photo_with_gps();

    // A file past `max_file_bytes`.
    let big = vec![0u8; 100 * 1024];
    walk.upload(&[("big.jpg", "image/jpeg", &big)], "upload")
        .await;
    assert_eq!(walk.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", walk.page);
    assert!(walk.page.contains("each up to"), "{}", walk.page);
    assert_eq!(draft_files_kept(&app).await, 0);

    // More files than `max_files` in one form: nothing of it is kept, not even the first ones.
    walk.page = files_page.clone();
    walk.upload(
        &[
            ("one.jpg", "image/jpeg", &photo),
            ("two.jpg", "image/jpeg", &photo),
            ("three.jpg", "image/jpeg", &photo),
        ],
        "upload",
    )
    .await;
    assert_eq!(walk.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", walk.page);
    assert_eq!(draft_files_kept(&app).await, 0);

    // A text field past 64 KiB, multipart or urlencoded.
    walk.page = files_page.clone();
    let long = "a".repeat(65 * 1024);
    walk.press(&[("people", &long)], "continue").await;
    assert_eq!(walk.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", walk.page);

    // Within the limits, the same page takes them.
    walk.page = files_page;
    walk.upload(
        &[
            ("one.jpg", "image/jpeg", &photo),
            ("two.jpg", "image/jpeg", &photo),
        ],
        "upload",
    )
    .await;
    assert_eq!(walk.status, StatusCode::OK, "{}", walk.page);
    assert_eq!(draft_on(&walk.page)["files"].as_array().unwrap().len(), 2);
    assert_eq!(count_reports(&app).await, 0);

    // The reporter's own page is bounded the same way.
    walk.answer(&[]).await;
    walk.answer(&MANDY).await;
    let reference = reference_on(walk.send().await);
    let link = app.url(&format!(
        "/reports/{}",
        service::follow_token(&app.ctx, &reference)
    ));
    let html = walk
        .browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let boundary = "----beacon-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [
        ("csrf", hidden_value(&html, "csrf").unwrap()),
        ("nonce", hidden_value(&html, "nonce").unwrap()),
        ("text", "A bigger photo".to_owned()),
    ] {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"big.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(&big);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let refused = walk
        .browser
        .post(&link)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let report = app
        .ctx
        .store
        .report_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    assert!(app
        .ctx
        .store
        .report_updates(report.id)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        app.ctx.store.report_files(report.id).await.unwrap().len(),
        2
    );
    app.stop().await;
}

on_both_backends!(
    only_so_many_report_forms_are_read_at_once,
    forms_at_once,
    multi_thread
);
async fn forms_at_once(backend: Backend) {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(backend).await;
    let host = app.address.trim_start_matches("http://").to_owned();
    // Eight forms whose senders are slow: each has sent 10 bytes of the 1,000 it announced.
    let mut slow = Vec::new();
    for _ in 0..8 {
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        stream
            .write_all(
                format!(
                    "POST /report/criminal-damage HTTP/1.1\r\nHost: {host}\r\n\
                     Content-Type: application/x-www-form-urlencoded\r\n\
                     Content-Length: 1000\r\n\r\nstep=where&"
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        slow.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A ninth waits (unread) while they hold their places; other pages are not held up.
    let client = TestApp::client();
    let ninth = tokio::spawn(
        client
            .post(app.url("/report/criminal-damage"))
            .form(&[("step", "where")])
            .send(),
    );
    assert_eq!(app.get("/report").await.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(!ninth.is_finished(), "a ninth form was read at once");
    // One slow sender gives up: the ninth is read (and refused: it has no CSRF token).
    drop(slow.pop());
    let answer = tokio::time::timeout(std::time::Duration::from_secs(10), ninth)
        .await
        .expect("the ninth form is read once a place is free")
        .unwrap()
        .unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    drop(slow);
    assert_eq!(count_reports(&app).await, 0);
    app.stop().await;
}

on_both_backends!(
    one_connection_may_keep_only_so_many_files_an_hour,
    files_per_connection
);
async fn files_per_connection(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| settings.reports.max_files = 1).await;
    let mut walk = Walk::start(&app, "criminal-damage").await;
    to_the_files_page(&mut walk).await;
    let photo = photo_with_gps();
    let allowed = report_drafts::DRAFT_REPORTS_PER_IP_PER_HOUR;
    // Each time the photo before is removed and another added: one file in the draft, and
    // another kept each time.
    for _ in 0..allowed {
        walk.upload_with(
            &[("remove", "0")],
            &[("car.jpg", "image/jpeg", &photo)],
            "upload",
        )
        .await;
        assert_eq!(walk.status, StatusCode::OK, "{}", walk.page);
    }
    walk.upload_with(
        &[("remove", "0")],
        &[("more.jpg", "image/jpeg", &photo)],
        "upload",
    )
    .await;
    assert_eq!(
        walk.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        walk.page
    );
    assert!(
        walk.page.contains("more.jpg was not added"),
        "{}",
        walk.page
    );
    assert_eq!(draft_files_kept(&app).await, allowed as u64);
    app.stop().await;
}

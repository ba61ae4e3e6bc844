//! Neighbourhood Watch schemes, as residents, coordinators and the police meet them: a scheme
//! proposed on its public form and verified by staff (its proposer made coordinator and emailed
//! how to sign in); a resident finds it from their manage link and asks to join; the coordinator
//! accepts them and writes to the scheme, and the message reaches its members and nobody else;
//! coordinators see names and streets only where members agreed, and are refused (and audited)
//! outside their schemes and on the force's pages; the police write to a district's
//! coordinators and to schemes' members in an area; closing a scheme or a coordinator leaving
//! keeps the members; bad areas, bad joins and double submits change nothing.

use crate::alerts::{audited, staff_member};
pub(crate) use crate::chat::page as visit;
use crate::delivery::{seed_resident, wait_for_report, ResidentSpec};
use crate::helpers::{hidden_value, Backend, Email, TestApp};
use crate::on_both_backends;
use beacon::domain::scheme::{SchemeStatus, Standing};
use beacon::domain::staff::StaffInput;
use beacon::geo::scheme_area::SchemeArea;
use beacon::services::staff::{self as staff_service, Actor};
use beacon::services::subscriptions as subs;
use beacon::store::{NewScheme, StaffMember};
use reqwest::StatusCode;
use std::time::Duration;

const CAMBS: &str = "cambridgeshire-constabulary";
const PASSWORD: &str = "correct horse battery staple";
/// Meldreth and Melbourn, in South Cambridgeshire.
const MELDRETH: &str = "SG8 6DP";
/// Cambridge.
const CAMBRIDGE: &str = "CB1 1PT";

/// Posts `fields` to `action` as `browser`, with the CSRF token of the form on `page`.
pub(crate) async fn post(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = visit(app, browser, page).await;
    let csrf = hidden_value(&html, "csrf").unwrap_or_else(|| panic!("{page} has a form: {html}"));
    let mut form = vec![("csrf".to_owned(), csrf)];
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    browser
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// An open scheme covering `postcodes`, stored as staff would have verified it; its id.
pub(crate) async fn open_scheme(
    app: &TestApp,
    name: &str,
    district: &str,
    postcodes: &[&str],
) -> i64 {
    app.ctx
        .store
        .insert_scheme(
            &NewScheme {
                name: name.into(),
                district_code: district.into(),
                area: SchemeArea::Postcodes {
                    postcodes: postcodes.iter().map(|p| p.to_string()).collect(),
                    centre: None,
                },
                description: String::new(),
                status: SchemeStatus::Open,
                standing: Standing::PoliceVerified,
                standing_by: Some("PS Test".into()),
                proposer_name: "Test".into(),
                proposer_email: "test@example.org".into(),
            },
            chrono::Utc::now().timestamp(),
        )
        .await
        .unwrap()
}

/// A coordinator of scheme `scheme` (main), enrolled, and a browser signed in as them.
pub(crate) async fn coordinator(
    app: &TestApp,
    name: &str,
    scheme: i64,
) -> (StaffMember, reqwest::Client) {
    let email = format!("{}@nhw.example", name.to_lowercase().replace(' ', "."));
    let nobody = Actor {
        staff: None,
        ip: "test",
    };
    let input = StaffInput {
        email: email.clone(),
        name: name.into(),
        role_title: "Neighbourhood Watch coordinator".into(),
        provider: "neighbourhood-watch".into(),
        coordinate: true,
        ..StaffInput::default()
    };
    let (staff, _) = staff_service::create_staff(&app.ctx, &nobody, &input)
        .await
        .unwrap();
    app.ctx
        .store
        .add_coordinator(scheme, staff.id, true, chrono::Utc::now().timestamp())
        .await
        .unwrap();
    let browser = signed_in(app, &staff).await;
    (staff, browser)
}

/// Enrols `staff` with a known password and key and signs them in: their browser.
async fn signed_in(app: &TestApp, staff: &StaffMember) -> reqwest::Client {
    let secret = staff_service::new_totp_secret();
    staff_service::enrol_for_demo(&app.ctx, staff, PASSWORD, &secret)
        .await
        .unwrap();
    let browser = TestApp::client();
    let code = staff_service::current_code(&secret).unwrap();
    let answer = app
        .sign_in_with(&browser, staff.email.as_str(), PASSWORD, &code)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    browser
}

/// A resident's manage link's path.
pub(crate) async fn manage(app: &TestApp, resident: i64) -> String {
    let subscriber = app.ctx.store.subscriber(resident).await.unwrap().unwrap();
    format!("/manage/{}", subs::manage_token(&app.ctx, &subscriber))
}

/// Every email sent so far, once the outbound queue is empty.
pub(crate) async fn all_emails(app: &TestApp) -> Vec<Email> {
    app.wait_until_sent().await;
    let count = app.outbox_count();
    app.emails(count).await
}

pub(crate) fn to<'a>(emails: &'a [Email], address: &str) -> Vec<&'a Email> {
    emails.iter().filter(|e| e.to.contains(address)).collect()
}

/// The scheme id in the page's link to `/schemes/{id}` named `name`.
fn scheme_id_named(page: &str, name: &str) -> i64 {
    let at = page
        .find(&format!(">{name}</a>"))
        .unwrap_or_else(|| panic!("{name} is listed: {page}"));
    let before = &page[..at];
    let start = before.rfind("/schemes/").unwrap() + "/schemes/".len();
    before[start..].split('"').next().unwrap().parse().unwrap()
}

on_both_backends!(
    a_resident_joins_a_scheme_and_hears_from_its_coordinator_only,
    join_body
);
async fn join_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, lucy) = staff_member(&app, "Lucy Ward", CAMBS, (true, false, false, false)).await;
    // Ann chose only the police's alerts: joining the scheme is her choice to hear from it.
    let mut spec = ResidentSpec::new("ann@example.org", "Ann Jones", MELDRETH);
    spec.providers = &[CAMBS];
    let ann = seed_resident(&app.ctx.store, &spec).await;
    let cat = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("cat@example.org", "Cat Hill", MELDRETH),
    )
    .await;
    let ben = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ben@example.org", "Ben Ode", CAMBRIDGE),
    )
    .await;

    // Margaret proposes a scheme on the public form; it is not listed until it is verified.
    let visitor = TestApp::client();
    let proposed = post(
        &app,
        &visitor,
        "/schemes/propose",
        "/schemes/propose",
        &[
            ("name", "Meldreth Watch"),
            ("postcodes", "sg86dp"),
            (
                "description",
                "We meet monthly.\n\n<script>alert(1)</script>",
            ),
            ("proposer_name", "Margaret Ellis"),
            ("proposer_email", "margaret@nhw.example"),
        ],
    )
    .await;
    assert_eq!(proposed.status(), StatusCode::OK);
    assert!(proposed
        .text()
        .await
        .unwrap()
        .contains("Thank you for proposing a scheme"));
    let (_, directory) = visit(&app, &visitor, "/schemes").await;
    assert!(!directory.contains("Meldreth Watch"), "{directory}");
    let other = open_scheme(&app, "Cambridge Watch", "E07000008", &[CAMBRIDGE]).await;

    // Lucy verifies it: it opens, and Margaret is its main coordinator, emailed how to sign in.
    let (_, list) = visit(&app, &lucy, "/staff/schemes").await;
    let scheme = scheme_id_named(&list, "Meldreth Watch");
    let verified = post(
        &app,
        &lucy,
        &format!("/staff/schemes/{scheme}"),
        &format!("/staff/schemes/{scheme}/standing"),
        &[("standing", "police_verified")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(verified.contains("Verified by the police"), "{verified}");
    assert!(
        verified.contains("Margaret Ellis (main coordinator"),
        "{verified}"
    );
    let emails = all_emails(&app).await;
    let appointed = to(&emails, "margaret@nhw.example");
    assert_eq!(appointed.len(), 1);
    assert!(appointed[0]
        .subject
        .contains("main coordinator of Meldreth Watch"));
    assert!(
        appointed[0].text.contains("/staff/enrol/"),
        "{}",
        appointed[0].text
    );
    let (_, directory) = visit(&app, &visitor, "/schemes").await;
    assert!(directory.contains("Meldreth Watch"), "{directory}");
    let (_, public) = visit(&app, &visitor, &format!("/schemes/{scheme}")).await;
    assert!(
        public.contains("&#60;script&#62;alert(1)") && !public.contains("<script>alert"),
        "the description is shown as text: {public}"
    );
    assert!(
        !public.contains("margaret@nhw.example"),
        "no coordinator's address"
    );

    // Ann finds the schemes covering her home from her manage link: Meldreth's, not Cambridge's.
    let ann_manage = format!("{}/schemes", manage(&app, ann).await);
    let resident = TestApp::client();
    let (_, near) = visit(&app, &resident, &ann_manage).await;
    assert!(
        near.contains("Meldreth Watch") && !near.contains("Cambridge Watch"),
        "{near}"
    );
    // She cannot join Cambridge's, which does not cover her places.
    let elsewhere = post(
        &app,
        &resident,
        &ann_manage,
        &ann_manage,
        &[("scheme", &other.to_string()), ("action", "join")],
    )
    .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    // Sharing needs a name and a street; the problem is shown, nothing is stored.
    let missing = post(
        &app,
        &resident,
        &ann_manage,
        &ann_manage,
        &[
            ("scheme", &scheme.to_string()),
            ("action", "join"),
            ("share", "true"),
            ("name", "Ann Jones"),
        ],
    )
    .await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert!(missing.text().await.unwrap().contains("Enter your street"));
    assert_eq!(app.count("SELECT COUNT(*) FROM scheme_members").await, 0);
    let joined = post(
        &app,
        &resident,
        &ann_manage,
        &ann_manage,
        &[
            ("scheme", &scheme.to_string()),
            ("action", "join"),
            ("share", "true"),
            ("name", "Ann Jones"),
            ("street", "High Street"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(joined.contains("You asked to join"), "{joined}");
    assert!(
        joined.contains("Asked to join: waiting for a coordinator"),
        "{joined}"
    );
    // Cat joins without sharing; Ben joins Cambridge's.
    let cat_manage = format!("{}/schemes", manage(&app, cat).await);
    post(
        &app,
        &resident,
        &cat_manage,
        &cat_manage,
        &[("scheme", &scheme.to_string()), ("action", "join")],
    )
    .await;
    let ben_manage = format!("{}/schemes", manage(&app, ben).await);
    post(
        &app,
        &resident,
        &ben_manage,
        &ben_manage,
        &[("scheme", &other.to_string()), ("action", "join")],
    )
    .await;

    // Margaret enrols and signs in: her schemes, not the force's pages.
    let margaret = app
        .ctx
        .store
        .staff_by_email_key("margaret@nhw.example")
        .await
        .unwrap()
        .unwrap();
    let mbrowser = signed_in(&app, &margaret).await;
    let (_, home) = visit(&app, &mbrowser, "/staff").await;
    assert!(
        home.contains("Your Neighbourhood Watch schemes") && home.contains("Meldreth Watch"),
        "{home}"
    );
    for page in [
        "/staff/alerts/new",
        "/staff/admin/staff",
        "/staff/reports",
        "/staff/schemes",
        "/staff/inbox",
    ] {
        let (status, _) = visit(&app, &mbrowser, page).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    }
    let (status, _) = visit(&app, &mbrowser, &format!("/staff/alerts/{}", 1)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!audited(&app, "view-staff-page", true).await.is_empty());

    // Requests: Ann's name and street (she agreed); Cat's, nothing.
    let page = format!("/staff/coordinate/{scheme}");
    let (_, requests) = visit(&app, &mbrowser, &page).await;
    assert!(
        requests.contains("<strong>Ann Jones</strong>, High Street"),
        "{requests}"
    );
    assert!(
        requests.contains("A resident who did not share their name"),
        "{requests}"
    );
    assert!(!requests.contains("ann@example.org") && !requests.contains("cat@example.org"));
    assert!(!requests.contains(MELDRETH), "no postcode");
    let memberships = app.ctx.store.scheme_memberships(scheme).await.unwrap();
    let ann_request = memberships
        .iter()
        .find(|m| m.subscriber_id == ann)
        .unwrap()
        .id;
    let cat_request = memberships
        .iter()
        .find(|m| m.subscriber_id == cat)
        .unwrap()
        .id;
    let accepted = post(
        &app,
        &mbrowser,
        &page,
        &format!("{page}/requests"),
        &[
            ("membership", &ann_request.to_string()),
            ("decision", "accept"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(accepted.contains("Accepted"), "{accepted}");
    post(
        &app,
        &mbrowser,
        &page,
        &format!("{page}/requests"),
        &[
            ("membership", &cat_request.to_string()),
            ("decision", "refuse"),
        ],
    )
    .await;

    // Cambridge's scheme is not hers: refused and audited, nothing written.
    let (status, _) = visit(&app, &mbrowser, &format!("/staff/coordinate/{other}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let outside = post(
        &app,
        &mbrowser,
        &page,
        &format!("/staff/coordinate/{other}/message"),
        &[("title", "Hello"), ("body", "Not my scheme")],
    )
    .await;
    assert_eq!(outside.status(), StatusCode::FORBIDDEN);
    let refused = audited(&app, "write-to-scheme", true).await;
    assert_eq!(refused, ["not a coordinator of this scheme"]);
    let ben_request = app.ctx.store.scheme_memberships(other).await.unwrap()[0].id;
    let (_, mine) = visit(&app, &mbrowser, &page).await;
    let csrf = hidden_value(&mine, "csrf").unwrap();
    let not_mine = mbrowser
        .post(app.url(&format!("/staff/coordinate/{other}/requests")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("membership", &ben_request.to_string()),
            ("decision", "accept"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(not_mine.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheme_members WHERE status = 'member'")
            .await,
        1
    );

    // She writes to her members: Ann gets it, signed by her; Cat (refused) and Ben do not.
    let sent = post(
        &app,
        &mbrowser,
        &page,
        &format!("{page}/message"),
        &[
            ("title", "Shed break-ins on the High Street"),
            ("body", "Lock your sheds tonight.\n\n<b>Thanks</b>"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        sent.contains("on its way to the scheme&#39;s 1 member"),
        "{sent}"
    );
    let alert: i64 = app.count("SELECT MAX(id) FROM alerts").await;
    wait_for_report(&app.ctx.store, alert, 1, 0, Duration::from_secs(10)).await;
    let emails = all_emails(&app).await;
    let ann_got = to(&emails, "ann@example.org");
    assert_eq!(ann_got.len(), 1);
    assert!(ann_got[0]
        .subject
        .contains("Shed break-ins on the High Street"));
    assert!(
        ann_got[0].text.contains("Margaret Ellis"),
        "{}",
        ann_got[0].text
    );
    assert!(
        ann_got[0].text.contains("Meldreth Watch"),
        "{}",
        ann_got[0].text
    );
    assert!(to(&emails, "cat@example.org").is_empty());
    assert!(to(&emails, "ben@example.org").is_empty());
    // Ann's reply goes to the coordinators by email (a coordinator reads no inbox), with her
    // name and address; no thread is started in the contact centre's inbox.
    let reply = ann_got[0].link("/reply/");
    let (_, form) = visit(&app, &resident, &reply).await;
    assert!(
        form.contains("coordinators of the Neighbourhood Watch scheme"),
        "{form}"
    );
    let csrf = hidden_value(&form, "csrf").unwrap();
    let replied = resident
        .post(&reply)
        .form(&[
            ("csrf", csrf.as_str()),
            ("body", "Thanks, Margaret: mine was tried too."),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(replied.contains("We emailed it to the scheme"), "{replied}");
    let emails = all_emails(&app).await;
    let to_margaret: Vec<&Email> = to(&emails, "margaret@nhw.example")
        .into_iter()
        .filter(|e| e.subject.contains("from Ann Jones"))
        .collect();
    assert_eq!(to_margaret.len(), 1);
    assert!(to_margaret[0].text.contains("mine was tried too"));
    assert!(to_margaret[0].text.contains("ann@example.org"));
    assert_eq!(app.count("SELECT COUNT(*) FROM conversations").await, 0);
    // Kept off the public archive.
    let (_, archive) = visit(&app, &visitor, "/alerts").await;
    assert!(!archive.contains("Shed break-ins"), "{archive}");
    let (_, listed) = visit(&app, &mbrowser, &page).await;
    assert!(
        listed.contains("Shed break-ins on the High Street"),
        "{listed}"
    );

    // Ann's data download names the scheme; leaving takes her off the members' list.
    let data: serde_json::Value = resident
        .get(app.url(&format!("{}/data.json", manage(&app, ann).await)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemes = &data["your_neighbourhood_watch_schemes"];
    assert_eq!(schemes[0]["scheme"], "Meldreth Watch");
    assert_eq!(schemes[0]["status"], "member");
    assert_eq!(schemes[0]["shared_with_coordinators"], true);
    let left = post(
        &app,
        &resident,
        &ann_manage,
        &ann_manage,
        &[("scheme", &scheme.to_string()), ("action", "leave")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(left.contains("You have left the scheme"), "{left}");
    let (_, after) = visit(&app, &mbrowser, &page).await;
    assert!(
        after.contains("No members yet") && !after.contains("Ann Jones"),
        "{after}"
    );
    app.stop().await;
}

on_both_backends!(bad_areas_and_bad_joins_change_nothing, bad_input_body);
async fn bad_input_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let visitor = TestApp::client();
    let propose = |name: &'static str, postcodes: &'static str, polygon: &'static str| {
        let app = &app;
        let visitor = &visitor;
        async move {
            let answer = post(
                app,
                visitor,
                "/schemes/propose",
                "/schemes/propose",
                &[
                    ("name", name),
                    ("postcodes", postcodes),
                    ("polygon", polygon),
                    ("proposer_name", "Jo Bright"),
                    ("proposer_email", "jo@example.org"),
                ],
            )
            .await;
            (answer.status(), answer.text().await.unwrap())
        }
    };
    let crossing = r#"{"type":"Polygon","coordinates":[[[0.02,52.08],[0.04,52.10],[0.04,52.08],[0.02,52.10],[0.02,52.08]]]}"#;
    let paris = r#"{"type":"Polygon","coordinates":[[[2.30,48.85],[2.32,48.85],[2.32,48.87],[2.30,48.85]]]}"#;
    let cases: [(&str, &str, &str, &str); 6] = [
        ("Bow Tie Watch", "", crossing, "crosses itself"),
        ("Paris Watch", "", paris, "must be in Great Britain"),
        ("Both Watch", MELDRETH, crossing, "not both"),
        ("Nowhere Watch", "ZZ99 9ZZ", "", "ZZ99 9ZZ"),
        (
            "Street Watch",
            "SG8 6DP, High Street",
            "",
            "These are not postcodes: High Street",
        ),
        ("", MELDRETH, "", "Enter the scheme"),
    ];
    for (name, postcodes, polygon, problem) in cases {
        let (status, page) = propose(name, postcodes, polygon).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {page}");
        assert!(
            page.contains(problem),
            "{name}: wanted {problem:?} in {page}"
        );
    }
    let long: &'static str = Box::leak("W".repeat(101).into_boxed_str());
    let (status, page) = propose(long, MELDRETH, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("100 characters or fewer"), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM schemes").await, 0);
    // A shape drawn on the proposal form's map arrives as grid points: crossing itself is
    // refused like a pasted one; a square round Melbourn is taken.
    let drawn = |grid: &'static str| {
        let app = &app;
        let visitor = &visitor;
        async move {
            let answer = post(
                app,
                visitor,
                "/schemes/propose",
                "/schemes/propose",
                &[
                    ("name", "Drawn Watch"),
                    ("polygon_grid", grid),
                    ("proposer_name", "Jo Bright"),
                    ("proposer_email", "jo@example.org"),
                ],
            )
            .await;
            (answer.status(), answer.text().await.unwrap())
        }
    };
    let (status, page) = drawn("537000,244000;538000,245000;538000,244000;537000,245000").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("crosses itself"), "{page}");
    let (status, _) = drawn("537000,244000;538000,244000;538000,245000;537000,245000").await;
    assert_eq!(status, StatusCode::OK);
    let stored = app.ctx.store.list_schemes(None).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].district_code, "E07000012");
    assert!(stored[0]
        .area
        .covers("XX1 1XX", Some((537_500.0, 244_500.0))));
    // HTML in a name is kept as typed and shown as text.
    let (status, _) = propose("<b>Bold</b> Watch", "SG8 6DP\nsg8 6dp", "").await;
    assert_eq!(status, StatusCode::OK);
    let (_, lucy) = staff_member(&app, "Lucy Ward", CAMBS, (true, false, false, false)).await;
    let (_, list) = visit(&app, &lucy, "/staff/schemes").await;
    assert!(list.contains("&#60;b&#62;Bold&#60;/b&#62; Watch"), "{list}");
    assert!(!list.contains("<b>Bold</b>"));

    // Joining: five presses at once make one request; accepting twice at once accepts once.
    let scheme = open_scheme(&app, "Meldreth Watch", "E07000012", &[MELDRETH]).await;
    let ann = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ann@example.org", "Ann", MELDRETH),
    )
    .await;
    let path = format!("{}/schemes", manage(&app, ann).await);
    let browser = TestApp::client();
    let (_, page) = visit(&app, &browser, &path).await;
    let csrf = hidden_value(&page, "csrf").unwrap();
    let presses = (0..5).map(|_| {
        browser
            .post(app.url(&path))
            .form(&[
                ("csrf", csrf.as_str()),
                ("scheme", &scheme.to_string()),
                ("action", "join"),
            ])
            .send()
    });
    for answer in futures_util::future::join_all(presses).await {
        assert_eq!(answer.unwrap().status(), StatusCode::OK);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM scheme_members").await, 1);
    // A name over 100 characters, when sharing, is refused.
    let long_name = "N".repeat(101);
    let (_, page) = visit(&app, &browser, &path).await;
    let csrf = hidden_value(&page, "csrf").unwrap();
    let answer = browser
        .post(app.url(&path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("scheme", &scheme.to_string()),
            ("action", "join"),
            ("share", "true"),
            ("name", &long_name),
            ("street", "Mill Lane"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheme_members WHERE share")
            .await,
        0
    );
    // A tampered manage link is refused.
    let tampered = path.replacen("/manage/", "/manage/x", 1);
    let (status, _) = visit(&app, &browser, &tampered).await;
    assert_ne!(status, StatusCode::OK);

    let (_, margaret) = coordinator(&app, "Margaret Ellis", scheme).await;
    let (_, dev) = coordinator(&app, "Dev Chauhan", scheme).await;
    let request = app.ctx.store.scheme_memberships(scheme).await.unwrap()[0].id;
    let page = format!("/staff/coordinate/{scheme}");
    let mut answers = Vec::new();
    for browser in [&margaret, &dev] {
        let (_, html) = visit(&app, browser, &page).await;
        let csrf = hidden_value(&html, "csrf").unwrap();
        answers.push(
            browser
                .post(app.url(&format!("{page}/requests")))
                .form(&[
                    ("csrf", csrf),
                    ("membership", request.to_string()),
                    ("decision", "accept".into()),
                ])
                .send(),
        );
    }
    let mut said = Vec::new();
    for answer in futures_util::future::join_all(answers).await {
        said.push(answer.unwrap().text().await.unwrap());
    }
    assert_eq!(
        said.iter()
            .filter(|p| p.contains("Accepted: they are a member"))
            .count(),
        1,
        "{said:?}"
    );
    assert_eq!(
        said.iter()
            .filter(|p| p.contains("no longer waiting"))
            .count(),
        1,
        "{said:?}"
    );
    assert_eq!(audited(&app, "accept-member", false).await.len(), 1);
    // An empty message and one over the title's length are refused; nothing is sent.
    let (_, html) = visit(&app, &margaret, &page).await;
    let csrf = hidden_value(&html, "csrf").unwrap();
    let empty = margaret
        .post(app.url(&format!("{page}/message")))
        .form(&[("csrf", csrf.as_str()), ("title", ""), ("body", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT COUNT(*) FROM alerts").await, 0);
    app.stop().await;
}

on_both_backends!(
    the_police_write_to_coordinators_and_members_and_schemes_keep_their_members,
    police_body
);
async fn police_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, lucy) = staff_member(&app, "Lucy Ward", CAMBS, (true, false, false, false)).await;
    let south = open_scheme(&app, "Meldreth Watch", "E07000012", &[MELDRETH]).await;
    let city = open_scheme(&app, "Cambridge Watch", "E07000008", &[CAMBRIDGE]).await;
    let (margaret, _) = coordinator(&app, "Margaret Ellis", south).await;
    let (_, grace) = coordinator(&app, "Grace Adeyemi", city).await;
    let ann = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ann@example.org", "Ann", MELDRETH),
    )
    .await;
    seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("cat@example.org", "Cat", MELDRETH),
    )
    .await;
    let ben = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("ben@example.org", "Ben", CAMBRIDGE),
    )
    .await;
    let now = chrono::Utc::now().timestamp();
    for (scheme, resident) in [(south, ann), (city, ben)] {
        app.ctx
            .store
            .request_membership(
                scheme,
                resident,
                &beacon::store::JoinRequest::default(),
                now,
            )
            .await
            .unwrap();
        let id = app.ctx.store.scheme_memberships(scheme).await.unwrap()[0].id;
        app.ctx
            .store
            .decide_membership(scheme, id, true, margaret.id, now)
            .await
            .unwrap();
    }

    // To the coordinators of South Cambridgeshire: Margaret, not Grace.
    let written = post(
        &app,
        &lucy,
        "/staff/schemes",
        "/staff/schemes/coordinators",
        &[
            ("district", "E07000012"),
            ("subject", "Cold callers this week"),
            (
                "body",
                "Tell your members: we have had reports of cold callers.",
            ),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(written.contains("emailed to 1 coordinator"), "{written}");
    let emails = all_emails(&app).await;
    let told = to(&emails, "margaret.ellis@nhw.example");
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].subject, "Cold callers this week");
    assert!(told[0].text.contains("Lucy Ward"));
    assert!(to(&emails, "grace.adeyemi@nhw.example").is_empty());
    // No subject: refused, nothing sent.
    let empty = post(
        &app,
        &lucy,
        "/staff/schemes",
        "/staff/schemes/coordinators",
        &[("district", ""), ("subject", ""), ("body", "x")],
    )
    .await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);

    // An alert to schemes' members in the whole force area: Ann and Ben, not Cat next door.
    let mut fields: Vec<(&str, &str)> = vec![
        ("provider", CAMBS),
        ("message_type", "crime-prevention"),
        ("priority", "3"),
        ("title", "Watch members: bike marking on Saturday"),
        ("body", "Bring your bike to the station."),
        ("force_area", "on"),
        ("members", "schemes"),
    ];
    let preview = post(
        &app,
        &lucy,
        "/staff/alerts/new",
        "/staff/alerts/new",
        &[fields.as_slice(), &[("action", "preview")]].concat(),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(preview.contains("2 residents"), "{preview}");
    fields.push(("action", "save"));
    let saved = post(
        &app,
        &lucy,
        "/staff/alerts/new",
        "/staff/alerts/new",
        &fields,
    )
    .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let alert: i64 = app.count("SELECT MAX(id) FROM alerts").await;
    let stored = app.ctx.store.alert(alert).await.unwrap().unwrap();
    assert!(
        stored.content.private,
        "a message to members is kept off the archive"
    );
    let lucy_staff = app
        .ctx
        .store
        .staff_by_email_key("lucy.ward@staff.example")
        .await
        .unwrap()
        .unwrap();
    let by_lucy = Actor {
        staff: Some(&lucy_staff),
        ip: "test",
    };
    for action in [
        beacon::services::alerts::AlertAction::Submit,
        beacon::services::alerts::AlertAction::SendNow,
    ] {
        let current = app.ctx.store.alert(alert).await.unwrap().unwrap();
        beacon::services::alerts::act(&app.ctx, &by_lucy, &current, action)
            .await
            .unwrap();
    }
    wait_for_report(&app.ctx.store, alert, 2, 0, Duration::from_secs(10)).await;
    let emails = all_emails(&app).await;
    let got = |who: &str| {
        to(&emails, who)
            .iter()
            .any(|e| e.subject.contains("bike marking"))
    };
    assert!(got("ann@example.org") && got("ben@example.org") && !got("cat@example.org"));
    // A scheme that is not open cannot be chosen.
    let wrong = post(
        &app,
        &lucy,
        "/staff/alerts/new",
        "/staff/alerts/new",
        &[
            &fields[..6],
            &[("members", "scheme:999"), ("action", "preview")],
        ]
        .concat(),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Choose an open scheme from the list"));

    // Closing keeps the members; the coordinator cannot write meanwhile; reopening brings
    // them back.
    let page = format!("/staff/schemes/{city}");
    let closed = post(
        &app,
        &lucy,
        &page,
        &format!("{page}/status"),
        &[("action", "close")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(closed.contains("Its members are kept"), "{closed}");
    let (_, directory) = visit(&app, &TestApp::client(), "/schemes").await;
    assert!(!directory.contains("Cambridge Watch"));
    let coordinate = format!("/staff/coordinate/{city}");
    let (_, html) = visit(&app, &grace, &coordinate).await;
    assert!(html.contains("id=\"scheme-closed\""), "{html}");
    let csrf = hidden_value(&html, "csrf").unwrap();
    let refused = grace
        .post(app.url(&format!("{coordinate}/message")))
        .form(&[("csrf", csrf.as_str()), ("title", "Hello"), ("body", "Hi")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refused.contains("The scheme is closed"), "{refused}");
    assert_eq!(
        app.ctx.store.member_ids(Some(city)).await.unwrap(),
        Vec::<i64>::new()
    );
    post(
        &app,
        &lucy,
        &page,
        &format!("{page}/status"),
        &[("action", "reopen")],
    )
    .await;
    assert_eq!(
        app.ctx.store.member_ids(Some(city)).await.unwrap(),
        vec![ben]
    );

    // The main coordinator leaves: the deputy becomes main, and the members stay.
    let south_page = format!("/staff/schemes/{south}");
    let appointed = post(
        &app,
        &lucy,
        &south_page,
        &format!("{south_page}/coordinators"),
        &[("name", "Dev Chauhan"), ("email", "dev@nhw.example")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(appointed.contains("Dev Chauhan (deputy"), "{appointed}");
    // A force's staff address cannot be made a coordinator.
    let staff_address = post(
        &app,
        &lucy,
        &south_page,
        &format!("{south_page}/coordinators"),
        &[("name", "Lucy"), ("email", "lucy.ward@staff.example")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        staff_address.contains("belongs to a member of staff"),
        "{staff_address}"
    );
    let removed = post(
        &app,
        &lucy,
        &south_page,
        &format!("{south_page}/coordinators/{}/remove", margaret.public_id),
        &[],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(removed.contains("Its members are kept"), "{removed}");
    assert!(
        removed.contains("Dev Chauhan (main coordinator"),
        "{removed}"
    );
    assert_eq!(
        app.ctx.store.member_ids(Some(south)).await.unwrap(),
        vec![ann]
    );

    // Erasing a resident erases their memberships.
    let erase = format!("{}/erase", manage(&app, ann).await);
    let browser = TestApp::client();
    let erased = post(&app, &browser, &erase, &erase, &[]).await;
    assert_eq!(erased.status(), StatusCode::OK);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM scheme_members WHERE subscriber_id = {ann}"
        ))
        .await,
        0
    );
    app.stop().await;
}

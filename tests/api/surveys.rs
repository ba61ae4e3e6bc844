//! Resident surveys, as senders and residents meet them: a sender builds one through the builder
//! form (its problems shown with what was typed), sends it with an alert, and reads the results
//! (by district, free text searched, as CSV) and publishes them; residents answer through their
//! own link in the alert email (once in an anonymous survey, otherwise changed until it closes);
//! bad answers, altered links and a closed survey change nothing; other organisations and
//! visitors are kept out.

use crate::alerts::{audited, staff_member};
use crate::chat::{page as visit, sql};
use crate::delivery::{seed_resident, wait_for_report, ResidentSpec, FORCE_AREA};
use crate::helpers::{hidden_value, Backend, Email, TestApp};
use crate::on_both_backends;
use beacon::domain::alert::SignOff;
use beacon::domain::Priority;
use beacon::store::{AlertContent, AlertStatus, AlertTransition, Answered, NewAlert, Respondent};
use reqwest::StatusCode;
use std::time::Duration;

const CAMBS: &str = "cambridgeshire-constabulary";
const CAMBRIDGE: &str = "E07000008";
const SOUTH_CAMBS: &str = "E07000012";
const TITLE: &str = "Community safety survey";
const CONCERN: &str = "Put these in order of concern";
const SAFE: &str = "Do you feel safe walking at night?";
const PLACES: &str = "Where do you see problems?";
const INFORMED: &str = "How well do we keep you informed?";
const ELSE: &str = "Anything else you would like to tell us?";
const ANN_SAYS: &str = "Speeding on Mill Road every night";
/// What a spreadsheet would run as a formula.
const BEN_SAYS: &str = "=SUM(A1:A9) vans speeding";

/// A sender of `provider`, signed in: their browser.
async fn sender(app: &TestApp, name: &str, provider: &str) -> reqwest::Client {
    staff_member(app, name, provider, (true, false, false, false))
        .await
        .1
}

/// A date `days` from today, as people type it: 31/01/2027.
fn days_from_today(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days))
        .format("%d/%m/%Y")
        .to_string()
}

fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The builder's fields for a survey with one question of each kind, closing in four weeks.
fn survey_fields(title: &str, anonymous: bool) -> Vec<(String, String)> {
    let closes = days_from_today(28);
    let mut fields = owned(&[
        ("title", title),
        ("introduction", "We want to know what worries you most."),
        ("opens", ""),
        ("closes", &closes),
        ("q0_prompt", CONCERN),
        ("q0_kind", "ranking"),
        (
            "q0_options",
            "Speeding\nAnti-social behaviour\nDrugs\nBurglary",
        ),
        ("q0_required", "yes"),
        ("q1_prompt", SAFE),
        ("q1_kind", "single"),
        ("q1_options", "Yes\nNo\nNot sure"),
        ("q1_required", "yes"),
        ("q2_prompt", PLACES),
        ("q2_kind", "multiple"),
        ("q2_options", "Park\nHigh Street\nSchool gates"),
        ("q3_prompt", INFORMED),
        ("q3_kind", "rating"),
        ("q4_prompt", ELSE),
        ("q4_kind", "text"),
    ]);
    if anonymous {
        fields.push(("anonymous".into(), "yes".into()));
    }
    fields
}

/// Opens the builder as `browser` and sends it with `fields`.
async fn build(
    app: &TestApp,
    browser: &reqwest::Client,
    fields: &[(String, String)],
) -> reqwest::Response {
    let (_, page) = visit(app, browser, "/staff/surveys/new").await;
    let csrf = hidden_value(&page, "csrf").expect("the builder has a CSRF field");
    let mut form = vec![("csrf".to_owned(), csrf)];
    form.extend_from_slice(fields);
    browser
        .post(app.url("/staff/surveys/new"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Builds the survey of `fields`; its id, from the survey's page the sender is taken to.
async fn built(app: &TestApp, browser: &reqwest::Client, fields: &[(String, String)]) -> i64 {
    let response = build(app, browser, fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    let path = response.url().path().to_owned();
    let page = response.text().await.unwrap();
    assert!(page.contains("is built"), "{page}");
    path.strip_prefix("/staff/surveys/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("taken to {path}, not the survey's page"))
}

/// Sends an alert carrying `survey` to the force area; waits for its emails to the
/// `residents`, each holding the resident's own survey link, and returns them.
async fn send_survey(app: &TestApp, survey: i64, residents: usize) -> Vec<Email> {
    let store = &app.ctx.store;
    let earlier = app.outbox_count();
    let providers = store.providers().await.unwrap();
    let provider = providers.iter().find(|p| p.slug == CAMBS).unwrap();
    let types = store.message_types().await.unwrap();
    let now = chrono::Utc::now().timestamp();
    let alert = store
        .insert_alert(&NewAlert {
            content: AlertContent {
                provider_id: provider.id,
                message_type_id: types[0].id,
                priority: Priority::new(2).unwrap(),
                title: format!("Survey: {TITLE}"),
                body_markdown: "Please tell us what you think.".into(),
                sms_text: None,
                target: serde_json::from_str(FORCE_AREA).unwrap(),
                target_description: "Cambridgeshire".into(),
                private: false,
                members: Default::default(),
            },
            author_staff_id: None,
            api_token_id: None,
            signoff: SignOff {
                name: "Sarah Jones".into(),
                organisation: "Cambridgeshire Constabulary".into(),
                role: "PCSO".into(),
                area: "Cambridgeshire".into(),
            },
            needs_approval: false,
            follows_alert_id: None,
            follow_up: None,
            now,
        })
        .await
        .unwrap();
    // Carried before it is queued, so no email can go out without the link.
    assert!(store.set_alert_survey(alert, Some(survey)).await.unwrap());
    assert!(store
        .transition_alert(
            alert,
            &[AlertStatus::Draft],
            AlertStatus::Queued,
            &AlertTransition::default(),
            now,
        )
        .await
        .unwrap());
    app.ctx.fanout_wakeup.notify_one();
    wait_for_report(store, alert, residents as i64, 0, Duration::from_secs(20)).await;
    let mut emails = app.emails(earlier + residents).await;
    let emails = emails.split_off(earlier);
    for email in &emails {
        let html = email.html.clone().unwrap_or_default();
        assert!(html.contains("Answer the survey"), "{html}");
        email.link("/survey/");
    }
    emails
}

/// The link starting `prefix` in the email to `to`.
fn link_to(emails: &[Email], to: &str, prefix: &str) -> String {
    emails
        .iter()
        .find(|email| email.to == to)
        .unwrap_or_else(|| panic!("no email to {to}"))
        .link(prefix)
}

/// A survey sent to Ann in Cambridge and Ben in South Cambridgeshire.
struct Surveyed {
    sender: reqwest::Client,
    survey: i64,
    ann: (i64, String),
    ben: (i64, String),
    /// Ann's manage link, from the same email.
    ann_manage: String,
    /// The survey links of residents of Cambridge besides Ann.
    neighbours: Vec<String>,
}

async fn surveyed(app: &TestApp, anonymous: bool) -> Surveyed {
    surveyed_with_neighbours(app, anonymous, 0).await
}

/// `surveyed`, with `neighbours` more residents in Cambridge (their links in `neighbours`).
async fn surveyed_with_neighbours(app: &TestApp, anonymous: bool, neighbours: usize) -> Surveyed {
    let store = &app.ctx.store;
    let ann = seed_resident(
        store,
        &ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT"),
    )
    .await;
    let ben = seed_resident(
        store,
        &ResidentSpec::new("ben@example.org", "Ben Okafor", "SG8 6DP"),
    )
    .await;
    let addresses: Vec<String> = (1..=neighbours)
        .map(|n| format!("neighbour{n}@example.org"))
        .collect();
    for address in &addresses {
        seed_resident(
            store,
            &ResidentSpec::new(address, "Sam Neighbour", "CB2 1TN"),
        )
        .await;
    }
    let sender = sender(app, "Lucy Ward", CAMBS).await;
    let survey = built(app, &sender, &survey_fields(TITLE, anonymous)).await;
    let emails = send_survey(app, survey, 2 + neighbours).await;
    Surveyed {
        sender,
        survey,
        ann: (ann, link_to(&emails, "ann@example.org", "/survey/")),
        ben: (ben, link_to(&emails, "ben@example.org", "/survey/")),
        ann_manage: link_to(&emails, "ann@example.org", "/manage/"),
        neighbours: addresses
            .iter()
            .map(|address| link_to(&emails, address, "/survey/"))
            .collect(),
    }
}

/// Ann's answers: anti-social behaviour first, she feels safe, problems in the park and at the
/// school gates, 4 out of 5.
fn ann_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("q0_0", "2"),
        ("q0_1", "1"),
        ("q0_2", "3"),
        ("q0_3", "4"),
        ("q1", "0"),
        ("q2", "0"),
        ("q2", "2"),
        ("q3", "4"),
        ("q4", ANN_SAYS),
    ]
}

/// Ann's answers as stored.
fn ann_stored() -> Vec<(usize, String)> {
    [
        (0, "1,0,2,3"),
        (1, "0"),
        (2, "0,2"),
        (3, "4"),
        (4, ANN_SAYS),
    ]
    .into_iter()
    .map(|(position, answer)| (position, answer.to_owned()))
    .collect()
}

/// Ben's answers: speeding first, he does not feel safe, problems in the park, 2 out of 5.
fn ben_answers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("q0_0", "1"),
        ("q0_1", "3"),
        ("q0_2", "2"),
        ("q0_3", "4"),
        ("q1", "1"),
        ("q2", "0"),
        ("q3", "2"),
        ("q4", BEN_SAYS),
    ]
}

/// `fields` with `name` given `value` instead (or left out, for None).
fn with<'a>(
    fields: &[(&'a str, &'a str)],
    name: &str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut changed: Vec<_> = fields.iter().filter(|(n, _)| *n != name).copied().collect();
    changed.extend(value.map(|v| (fields.iter().find(|(n, _)| *n == name).unwrap().0, v)));
    changed
}

/// Sends the answer form at `link` with an earlier CSRF token (for a page that no longer shows
/// the form).
async fn post_answers(
    app: &TestApp,
    link: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    app.client.post(link).form(&form).send().await.unwrap()
}

/// The status and page of an answer sent through the resident's link.
async fn answer(app: &TestApp, link: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app.submit(link, link, fields).await;
    (response.status(), response.text().await.unwrap())
}

async fn answered(app: &TestApp, survey: i64, subscriber: i64) -> Answered {
    let resident = Respondent::Resident(subscriber);
    app.ctx.store.answered(survey, &resident).await.unwrap()
}

/// How many residents have answered, as the store counts them.
async fn responses(app: &TestApp, survey: i64) -> i64 {
    app.ctx
        .store
        .survey(survey)
        .await
        .unwrap()
        .unwrap()
        .responses
}

/// The part of a results page about question `number` (counting from 1).
fn section(page: &str, number: usize) -> &str {
    let start = page
        .find(&format!("id=\"result-{number}\""))
        .unwrap_or_else(|| panic!("no question {number} in {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// A results table's row: the label and what it says.
fn row(label: &str, value: &str) -> String {
    format!("<th scope=\"row\">{label}</th><td>{value}</td>")
}

/// Asserts that `page` shows each of `texts`.
#[track_caller]
fn shows(page: &str, texts: &[&str]) {
    for text in texts {
        assert!(page.contains(text), "{text:?} is not shown:\n{page}");
    }
}

/// Asserts that `page` shows none of `texts`.
#[track_caller]
fn hides(page: &str, texts: &[&str]) {
    for text in texts {
        assert!(!page.contains(text), "{text:?} is shown:\n{page}");
    }
}

/// The page answered, checking it came with `status`.
async fn page_of(response: reqwest::Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "{}", response.url());
    response.text().await.unwrap()
}

fn today_in_the_uk() -> String {
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::London);
    now.format("%Y-%m-%d").to_string()
}

async fn published(app: &TestApp, survey: i64) -> bool {
    app.ctx
        .store
        .survey(survey)
        .await
        .unwrap()
        .unwrap()
        .published
}

async fn a_sender_builds_a_survey_through_the_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let lucy = sender(&app, "Lucy Ward", CAMBS).await;
    let (status, list) = visit(&app, &lucy, "/staff/surveys").await;
    assert_eq!(status, StatusCode::OK);
    shows(&list, &["No surveys yet."]);
    let (status, blank) = visit(&app, &lucy, "/staff/surveys/new").await;
    assert_eq!(status, StatusCode::OK);
    let opens_today = format!("value=\"{}\"", today_in_the_uk());
    let kinds = [
        "One choice",
        "Several choices",
        "Put in order",
        "Rating from 1 to 5",
    ];
    shows(&blank, &[&kinds[..], &["Free text", &opens_today]].concat());

    // No title, options without their question, closing before it opens: every problem is
    // shown, with the form as it was typed.
    let opens = days_from_today(10);
    let mut fields = owned(&[
        ("title", "  "),
        ("introduction", "Tell us <what> you think"),
        ("opens", &opens),
        ("closes", &days_from_today(5)),
        ("q0_prompt", ELSE),
        ("q0_kind", "text"),
        ("q1_prompt", ""),
        ("q1_kind", "single"),
        ("q1_options", "Park\nShops"),
    ]);
    let page = page_of(
        build(&app, &lucy, &fields).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    shows(
        &page,
        &[
            "There is a problem",
            "Give the survey a title",
            "Question 2: Write the question these options are for",
            "The closing date must be on or after the opening date",
            "Tell us &#60;what&#62; you think",
            &format!("value=\"{opens}\""),
            &format!("value=\"{ELSE}\""),
            ">Park\nShops</textarea>",
        ],
    );

    // A choice of one, and a closing date already passed.
    fields = owned(&[
        ("title", "Speeding survey"),
        ("opens", "01/01/2020"),
        ("closes", "2020-01-31"),
        ("q0_prompt", "Is speeding a problem?"),
        ("q0_kind", "single"),
        ("q0_options", "Yes"),
    ]);
    let page = page_of(
        build(&app, &lucy, &fields).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    shows(
        &page,
        &[
            "Question 1: Give at least two options, one a line",
            "The closing date has passed: choose a later one",
            "value=\"Speeding survey\"",
            "value=\"Is speeding a problem?\"",
            "value=\"2020-01-31\"",
            ">Yes</textarea>",
        ],
    );
    let (_, list) = visit(&app, &lucy, "/staff/surveys").await;
    shows(&list, &["No surveys yet."]);

    // One question of each kind, a title with HTML in it.
    let title = "Safety in <b>your</b> street & \"ours\"";
    let id = built(&app, &lucy, &survey_fields(title, false)).await;
    let (status, page) = visit(&app, &lucy, &format!("/staff/surveys/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let escaped = "Safety in &#60;b&#62;your&#60;/b&#62; street &#38; &#34;ours&#34;";
    let prompts = [CONCERN, SAFE, PLACES, INFORMED, ELSE];
    let numbered: Vec<String> = (1..)
        .zip(prompts)
        .map(|(n, p)| format!("{n}. {p}"))
        .collect();
    let send_it = format!("href=\"/staff/alerts/new?survey={id}\"");
    shows(
        &page,
        &[
            escaped,
            "0 residents have answered.",
            "Not published",
            &send_it,
        ],
    );
    shows(
        &page,
        &numbered.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    hides(&page, &["<b>your</b>"]);
    let (_, list) = visit(&app, &lucy, "/staff/surveys").await;
    let listed = format!("href=\"/staff/surveys/{id}\">{escaped}</a>");
    shows(
        &list,
        &[&listed, "Cambridgeshire Constabulary", "<td>Open</td>"],
    );
    hides(&list, &["<b>your</b>", "No surveys yet."]);

    // The questions were kept as typed, in order, with their options.
    let survey = app.ctx.store.survey(id).await.unwrap().unwrap();
    let kinds: Vec<&str> = survey.questions.iter().map(|q| q.kind.code()).collect();
    assert_eq!(kinds, ["ranking", "single", "multiple", "rating", "text"]);
    let options = ["Speeding", "Anti-social behaviour", "Drugs", "Burglary"];
    assert_eq!(survey.questions[0].options, options);
    assert!(survey.questions[0].required && !survey.questions[2].required);
    app.stop().await;
}

on_both_backends!(
    surveys_are_built_through_the_form,
    a_sender_builds_a_survey_through_the_form
);

async fn residents_answer_and_the_sender_reads_the_results(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Surveyed {
        sender,
        survey,
        ann: (ann, ann_link),
        ben: (_, ben_link),
        ..
    } = surveyed(&app, false).await;

    // Each resident's link shows the survey's questions.
    let form = page_of(app.get(&ann_link).await, StatusCode::OK).await;
    let privacy = "Your answers are kept with your sign-up";
    let options = ["Anti-social behaviour", "School gates", "Send my answers"];
    shows(
        &form,
        &[
            &[TITLE, CONCERN, SAFE, PLACES, INFORMED, ELSE, privacy],
            &options[..],
        ]
        .concat(),
    );

    for (link, fields) in [(&ann_link, ann_answers()), (&ben_link, ben_answers())] {
        let (status, page) = answer(&app, link, &fields).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        shows(&page, &["Thank you: your answers have been kept."]);
    }
    assert_eq!(responses(&app, survey).await, 2);
    assert_eq!(
        answered(&app, survey, ann).await,
        Answered::With(ann_stored())
    );

    // The results: counts and percentages, the ranking in order, by district, free text.
    let results = format!("/staff/surveys/{survey}");
    let (status, page) = visit(&app, &sender, &results).await;
    assert_eq!(status, StatusCode::OK);
    shows(&page, &["2 residents have answered.", "<svg"]);
    let ranking = section(&page, 1);
    let places: Vec<usize> = ["Speeding", "Anti-social behaviour", "Drugs", "Burglary"]
        .iter()
        .map(|option| {
            ranking
                .find(&format!("<th scope=\"row\">{option}<"))
                .unwrap()
        })
        .collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{ranking}");
    shows(
        ranking,
        &[
            &row("Speeding", "average place 1.5, first for 1 (50%)"),
            &row("Burglary", "average place 4.0, first for 0 (0%)"),
            &row(
                "Cambridge",
                "1</td><td>Anti-social behaviour (average place 1.0)",
            ),
            &row(
                "South Cambridgeshire",
                "1</td><td>Speeding (average place 1.0)",
            ),
        ],
    );
    let safe = [
        row("Yes", "1 (50%)"),
        row("No", "1 (50%)"),
        row("Not sure", "0 (0%)"),
    ];
    shows(section(&page, 2), &safe.each_ref().map(String::as_str));
    shows(
        section(&page, 3),
        &[&row("Park", "2 (100%)"), &row("School gates", "1 (50%)")],
    );
    let by_district = row("South Cambridgeshire", "1</td><td>average 2.0 out of 5");
    shows(
        section(&page, 4),
        &[&row("4 out of 5", "1 (50%)"), &by_district],
    );
    shows(section(&page, 5), &["2 answers.", ANN_SAYS, BEN_SAYS]);

    // Free text narrowed by words; everything narrowed to a district.
    let (_, page) = visit(&app, &sender, &format!("{results}?q=MILL")).await;
    shows(&page, &["2 residents have answered."]);
    shows(section(&page, 5), &["1 answer holding “MILL”.", ANN_SAYS]);
    hides(section(&page, 5), &[BEN_SAYS]);
    let (_, page) = visit(&app, &sender, &format!("{results}?district={SOUTH_CAMBS}")).await;
    shows(
        &page,
        &["1 resident has answered in this district.", BEN_SAYS],
    );
    shows(
        section(&page, 2),
        &[&row("No", "1 (100%)"), &row("Yes", "0 (0%)")],
    );
    hides(&page, &[ANN_SAYS]);

    // The CSV: the prompts, then a row a response, a formula made plain text.
    let csv = sender
        .get(app.url(&format!("/staff/surveys/{survey}/answers.csv")))
        .send()
        .await
        .unwrap();
    let kind = csv.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/csv"), "{kind}");
    let csv = page_of(csv, StatusCode::OK).await;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let prompts = [CONCERN, SAFE, PLACES, INFORMED, ELSE];
    assert_eq!(
        header,
        [&["Answered on", "District"][..], &prompts].concat()
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    let ranked = "1. Anti-social behaviour; 2. Speeding; 3. Drugs; 4. Burglary";
    let today = today_in_the_uk();
    let ann_row = [
        &today,
        "Cambridge",
        ranked,
        "Yes",
        "Park; School gates",
        "4",
        ANN_SAYS,
    ];
    assert_eq!(rows[0], ann_row);
    assert_eq!(rows[1][1], "South Cambridgeshire");
    assert_eq!(rows[1][6], format!("'{BEN_SAYS}"));

    // Ann answers again through the same link: her answers change, the count does not.
    let again = page_of(app.get(&ann_link).await, StatusCode::OK).await;
    let her_words = format!(">{ANN_SAYS}</textarea>");
    let her_rating = "name=\"q3\" value=\"4\" checked";
    shows(
        &again,
        &["You have answered already", her_rating, &her_words],
    );
    let (status, page) = answer(&app, &ann_link, &with(&ann_answers(), "q1", Some("2"))).await;
    assert_eq!(status, StatusCode::OK);
    shows(&page, &["Your answers have been changed."]);
    assert_eq!(responses(&app, survey).await, 2);
    let (_, page) = visit(&app, &sender, &results).await;
    shows(&page, &["2 residents have answered."]);
    shows(
        section(&page, 2),
        &[&row("Not sure", "1 (50%)"), &row("Yes", "0 (0%)")],
    );
    let (_, page) = visit(&app, &sender, "/staff/surveys").await;
    shows(&page, &["<td>2</td>"]);
    app.stop().await;
}

on_both_backends!(
    residents_answer_and_results_are_read,
    residents_answer_and_the_sender_reads_the_results
);

async fn wrong_answers_altered_links_and_closed_surveys_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Surveyed {
        survey,
        ann: (ann, ann_link),
        ben: (ben, ben_link),
        ..
    } = surveyed(&app, false).await;
    assert_eq!(
        answer(&app, &ann_link, &ann_answers()).await.0,
        StatusCode::OK
    );

    let long = "x".repeat(2_001);
    let ben = (ben, ben_answers());
    let wrong = [
        (with(&ben.1, "q1", None), "Question 2: Choose an option"),
        (
            with(&ben.1, "q0_1", Some("1")),
            "Question 1: 1 is given to two options: give each a different place",
        ),
        (
            with(&ben.1, "q3", Some("7")),
            "Question 4: Give a rating from 1 to 5",
        ),
        (
            with(&ben.1, "q4", Some(long.as_str())),
            "Question 5: Shorten your answer to 2,000 characters or fewer: it has 2,001",
        ),
    ];
    // What they gave is shown again, to put right and send.
    let kept = "name=\"q2\" value=\"0\" checked";
    for (fields, problem) in &wrong {
        for link in [&ben_link, &ann_link] {
            let (status, page) = answer(&app, link, fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            shows(&page, &["There is a problem", problem, kept]);
        }
    }
    let (_, page) = answer(&app, &ben_link, &wrong[3].0).await;
    assert!(
        page.contains(&format!(">{long}</textarea>")),
        "the long answer is kept"
    );
    let nothing_changed = || async {
        assert_eq!(answered(&app, survey, ben.0).await, Answered::No);
        assert_eq!(
            answered(&app, survey, ann).await,
            Answered::With(ann_stored())
        );
        assert_eq!(responses(&app, survey).await, 1);
    };
    nothing_changed().await;

    // A link with one character changed is refused, whichever way it is used.
    let csrf = app.form_token(&ben_link).await;
    let (base, tag) = ben_link.rsplit_once('.').unwrap();
    let changed = if tag.starts_with('A') { 'B' } else { 'A' };
    let altered = format!("{base}.{changed}{}", &tag[1..]);
    let opened = page_of(app.get(&altered).await, StatusCode::NOT_FOUND).await;
    shows(&opened, &["This link cannot be used"]);
    let sent = post_answers(&app, &altered, &csrf, &ben.1).await;
    shows(
        &page_of(sent, StatusCode::NOT_FOUND).await,
        &["This link cannot be used"],
    );
    nothing_changed().await;

    // Once the survey has closed, answers are refused and nothing is kept.
    let past = chrono::Utc::now().timestamp() - 60;
    sql(
        &app,
        &format!("UPDATE surveys SET closes_at = {past} WHERE id = {survey}"),
    )
    .await;
    let page = page_of(app.get(&ben_link).await, StatusCode::GONE).await;
    shows(
        &page,
        &["This survey has closed, and takes no more answers."],
    );
    hides(&page, &["Send my answers"]);
    for link in [&ben_link, &ann_link] {
        let sent = post_answers(&app, link, &csrf, &ben.1).await;
        shows(&page_of(sent, StatusCode::GONE).await, &["has closed"]);
    }
    nothing_changed().await;
    app.stop().await;
}

on_both_backends!(
    refused_answers_change_nothing,
    wrong_answers_altered_links_and_closed_surveys_change_nothing
);

async fn an_anonymous_survey_keeps_nothing_that_links_an_answer_to_a_resident(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Surveyed {
        sender,
        survey,
        ann: (ann, link),
        ..
    } = surveyed(&app, true).await;
    let form = page_of(app.get(&link).await, StatusCode::OK).await;
    shows(&form, &["This survey is anonymous."]);
    let (_, page) = visit(&app, &sender, &format!("/staff/surveys/{survey}")).await;
    shows(&page, &["Anonymously: with the district and the day only"]);

    let csrf = app.form_token(&link).await;
    let (status, page) = answer(&app, &link, &ann_answers()).await;
    assert_eq!(status, StatusCode::OK);
    shows(
        &page,
        &["This survey is anonymous: nothing links your answers to you."],
    );
    let stored = format!("FROM survey_responses WHERE survey_id = {survey}");
    assert_eq!(app.count(&format!("SELECT COUNT(*) {stored}")).await, 1);
    let no_one = format!("SELECT COUNT(*) {stored} AND subscriber_id IS NULL");
    assert_eq!(
        app.count(&no_one).await,
        1,
        "the response names no resident"
    );
    let time_of_day = format!("SELECT CAST(MAX(answered_at % 86400) AS BIGINT) {stored}");
    assert_eq!(app.count(&time_of_day).await, 0, "only the day is kept");
    let responses_now = app.ctx.store.survey_responses(survey).await.unwrap();
    assert_eq!(responses_now.len(), 1);
    assert_eq!(responses_now[0].district_code, CAMBRIDGE);
    assert_eq!(responses_now[0].answers, ann_stored());
    // Who answered is kept apart from what they said, once.
    let respondents = format!(
        "SELECT COUNT(*) FROM survey_respondents WHERE survey_id = {survey} AND subscriber_id = {ann}"
    );
    assert_eq!(app.count(&respondents).await, 1);

    // A second answer is refused, and the first is not changed.
    let again = page_of(app.get(&link).await, StatusCode::OK).await;
    shows(&again, &["You have answered this survey. Thank you."]);
    hides(&again, &["Send my answers"]);
    let page = post_answers(&app, &link, &csrf, &ben_answers())
        .await
        .text()
        .await
        .unwrap();
    shows(&page, &["You have answered this survey"]);
    hides(&page, &["Answers sent", "Answers changed"]);
    assert_eq!(
        app.ctx.store.survey_responses(survey).await.unwrap(),
        responses_now
    );
    assert_eq!(responses(&app, survey).await, 1);
    assert_eq!(answered(&app, survey, ann).await, Answered::Anonymously);
    app.stop().await;
}

on_both_backends!(
    anonymous_surveys,
    an_anonymous_survey_keeps_nothing_that_links_an_answer_to_a_resident
);

/// Publishes the survey's results (`yes`) or takes them down (`no`) as `browser`.
async fn publish(
    app: &TestApp,
    browser: &reqwest::Client,
    survey: i64,
    published: &str,
) -> reqwest::Response {
    let (_, page) = visit(app, browser, "/staff/surveys/new").await;
    let csrf = hidden_value(&page, "csrf").expect("the builder has a CSRF field");
    browser
        .post(app.url(&format!("/staff/surveys/{survey}/publish")))
        .form(&[("csrf", csrf.as_str()), ("published", published)])
        .send()
        .await
        .unwrap()
}

async fn published_results_are_public_without_residents_words(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Surveyed {
        sender,
        survey,
        ann: (_, ann_link),
        ben: (_, ben_link),
        neighbours,
        ..
    } = surveyed_with_neighbours(&app, false, 4).await;
    let mut answering = vec![(&ben_link, ben_answers()), (&ann_link, ann_answers())];
    answering.extend(neighbours.iter().map(|link| (link, ann_answers())));
    for (link, fields) in &answering[..4] {
        assert_eq!(answer(&app, link, fields).await.0, StatusCode::OK);
    }
    let public = format!("/surveys/{survey}/results");
    let visitor = TestApp::client();
    let page = page_of(
        visitor.get(app.url(&public)).send().await.unwrap(),
        StatusCode::NOT_FOUND,
    );
    shows(&page.await, &["Survey not found"]);

    let page = page_of(publish(&app, &sender, survey, "yes").await, StatusCode::OK).await;
    shows(&page, &[&format!("The results are published at {public}.")]);
    // Four answers are too few to show without telling who said what.
    let (status, page) = visit(&app, &visitor, &public).await;
    assert_eq!(status, StatusCode::OK);
    let heading = format!("{TITLE}: what residents said");
    shows(
        &page,
        &[&heading, "Fewer than 5 residents have answered so far."],
    );
    hides(&page, &["<svg", SAFE]);

    // Six: five in Cambridge, one in South Cambridgeshire. Only districts where five or more
    // answered are counted, so the total less Cambridge cannot give the one answer away.
    for (link, fields) in &answering[4..] {
        assert_eq!(answer(&app, link, fields).await.0, StatusCode::OK);
    }
    let (status, page) = visit(&app, &visitor, &public).await;
    assert_eq!(status, StatusCode::OK);
    shows(&page, &["5 residents have answered.", "<svg"]);
    shows(
        section(&page, 2),
        &[&row("Yes", "5 (100%)"), &row("No", "0 (0%)")],
    );
    let ranking = section(&page, 1);
    let first = row(
        "Anti-social behaviour",
        "average place 1.0, first for 5 (100%)",
    );
    assert!(ranking.contains(&first), "{ranking}");
    // Neither residents' own words nor a district of one resident are published.
    let search = "Free-text answers holding";
    hides(
        &page,
        &[ELSE, ANN_SAYS, BEN_SAYS, search, "South Cambridgeshire"],
    );
    let (_, page) = visit(&app, &visitor, &format!("{public}?district={CAMBRIDGE}")).await;
    shows(&page, &["5 residents have answered in this district."]);
    shows(section(&page, 2), &[&row("Yes", "5 (100%)")]);
    let (_, page) = visit(&app, &visitor, &format!("{public}?district={SOUTH_CAMBS}")).await;
    shows(
        &page,
        &["Fewer than 5 residents in this district have answered"],
    );
    hides(&page, &[SAFE]);

    let csv = sender
        .get(app.url(&format!("/staff/surveys/{survey}/answers.csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let page = page_of(publish(&app, &sender, survey, "no").await, StatusCode::OK).await;
    shows(&page, &["The results are no longer published."]);
    let (status, _) = visit(&app, &visitor, &public).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Each is in the audit log.
    assert_eq!(
        audited(&app, "publish-survey-results", false).await,
        [TITLE]
    );
    assert_eq!(
        audited(&app, "unpublish-survey-results", false).await,
        [TITLE]
    );
    let downloads = audited(&app, "download-survey-answers", false).await;
    assert_eq!(downloads, ["6 responses"]);
    app.stop().await;
}

on_both_backends!(
    publishing_results,
    published_results_are_public_without_residents_words
);

async fn other_organisations_and_visitors_are_kept_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let lucy = sender(&app, "Lucy Ward", CAMBS).await;
    let survey = built(&app, &lucy, &survey_fields(TITLE, false)).await;
    let pages = [
        format!("/staff/surveys/{survey}"),
        format!("/staff/surveys/{survey}/answers.csv"),
    ];

    // A sender of another organisation: not in their list, and refused (audited).
    let tom = sender(&app, "Tom Reed", "trading-standards").await;
    let (status, list) = visit(&app, &tom, "/staff/surveys").await;
    assert_eq!(status, StatusCode::OK);
    hides(&list, &[TITLE]);
    for path in &pages {
        let (status, page) = visit(&app, &tom, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        shows(&page, &["You may not do that"]);
        hides(&page, &[CONCERN]);
    }
    let refused = publish(&app, &tom, survey, "yes").await;
    shows(
        &page_of(refused, StatusCode::FORBIDDEN).await,
        &["You may not do that"],
    );
    assert!(!published(&app, survey).await);
    let refusals = audited(&app, "view-survey", true).await;
    assert_eq!(refusals, ["another organisation's survey"; 3]);
    assert!(audited(&app, "download-survey-answers", false)
        .await
        .is_empty());

    // Staff who do not send alerts are refused too.
    let (_, priya) = crate::report_triage::operator(&app, "Priya Shah").await;
    let (status, page) = visit(&app, &priya, "/staff/surveys").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    shows(&page, &["You may not do that"]);
    assert_eq!(audited(&app, "view-surveys", true).await.len(), 1);

    // A resident, or anyone signed out, is sent to sign in.
    let ann = ResidentSpec::new("ann@example.org", "Ann Smith", "CB1 1PT");
    seed_resident(&app.ctx.store, &ann).await;
    let emails = send_survey(&app, survey, 1).await;
    let resident = &app.client;
    page_of(app.get(&emails[0].link("/survey/")).await, StatusCode::OK).await;
    let paths: Vec<&str> = pages.iter().map(String::as_str).collect();
    for browser in [resident, &TestApp::client()] {
        for path in [&paths[..], &["/staff/surveys", "/staff/surveys/new"]].concat() {
            let response = browser.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.url().path(), "/staff/sign-in", "{path}");
            hides(&response.text().await.unwrap(), &[CONCERN]);
        }
        let sent = browser
            .post(app.url(&format!("/staff/surveys/{survey}/publish")))
            .form(&[("published", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(sent.url().path(), "/staff/sign-in");
    }
    assert!(!published(&app, survey).await);
    app.stop().await;
}

on_both_backends!(
    survey_permissions,
    other_organisations_and_visitors_are_kept_out
);

async fn a_residents_data_holds_their_named_answers_and_erasure_deletes_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Surveyed {
        sender,
        survey,
        ann: (ann, ann_link),
        ben: (_, ben_link),
        ann_manage,
        ..
    } = surveyed(&app, false).await;
    for (link, fields) in [(&ann_link, ann_answers()), (&ben_link, ben_answers())] {
        assert_eq!(answer(&app, link, &fields).await.0, StatusCode::OK);
    }
    // Ann also answers an anonymous survey.
    let hidden = "Night-time safety, anonymously";
    let anonymous = built(&app, &sender, &survey_fields(hidden, true)).await;
    let emails = send_survey(&app, anonymous, 2).await;
    let link = link_to(&emails, "ann@example.org", "/survey/");
    assert_eq!(answer(&app, &link, &ben_answers()).await.0, StatusCode::OK);

    // Her data download holds her named answers, in words; never the anonymous one.
    let data = page_of(
        app.get(&format!("{ann_manage}/data.json")).await,
        StatusCode::OK,
    )
    .await;
    let json: serde_json::Value = serde_json::from_str(&data).unwrap();
    let surveys = json["your_survey_answers"]
        .as_array()
        .expect("her survey answers");
    assert_eq!(surveys.len(), 1, "{json}");
    assert_eq!(surveys[0]["survey"], TITLE);
    let answers: Vec<(&str, &str)> = surveys[0]["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["question"].as_str().unwrap(),
                a["answer"].as_str().unwrap(),
            )
        })
        .collect();
    let ranked = "1. Anti-social behaviour; 2. Speeding; 3. Drugs; 4. Burglary";
    assert_eq!(
        answers,
        [
            (CONCERN, ranked),
            (SAFE, "Yes"),
            (PLACES, "Park; School gates"),
            (INFORMED, "4"),
            (ELSE, ANN_SAYS),
        ]
    );
    hides(&data, &[hidden, BEN_SAYS]);

    // Erasing her account erases her named answers; Ben's, and the anonymous answer (which
    // nothing links to her), stay.
    let erase = app
        .get(&format!("{ann_manage}/erase"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&erase, "csrf").unwrap();
    let erased = app
        .client
        .post(format!("{ann_manage}/erase"))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::OK);
    let (_, page) = visit(&app, &sender, &format!("/staff/surveys/{survey}")).await;
    shows(&page, &["1 resident has answered.", BEN_SAYS]);
    hides(&page, &[ANN_SAYS]);
    assert_eq!(responses(&app, anonymous).await, 1);
    let hers = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE subscriber_id = {ann}");
    assert_eq!(app.count(&hers("survey_responses")).await, 0);
    assert_eq!(app.count(&hers("survey_respondents")).await, 0);
    let answers_left = app.count("SELECT COUNT(*) FROM survey_answers").await;
    assert_eq!(
        answers_left, 10,
        "Ben's five answers and the anonymous five"
    );
    app.stop().await;
}

on_both_backends!(
    survey_answers_in_a_residents_data,
    a_residents_data_holds_their_named_answers_and_erasure_deletes_them
);

async fn two_answers_sent_at_once_leave_one_response(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Surveyed {
        survey,
        ann: (ann, link),
        ..
    } = surveyed(&app, false).await;
    let csrf = app.form_token(&link).await;
    let feels_safe = ann_answers();
    let feels_unsafe = with(&feels_safe, "q1", Some("1"));
    let mut unsafe_stored = ann_stored();
    unsafe_stored[1].1 = "1".into();
    let hers = format!(
        "SELECT COUNT(*) FROM survey_responses WHERE survey_id = {survey} AND subscriber_id = {ann}"
    );
    // Twice: her first answer (a double click), then a change sent twice.
    for _ in 0..2 {
        let (first, second) = tokio::join!(
            post_answers(&app, &link, &csrf, &feels_safe),
            post_answers(&app, &link, &csrf, &feels_unsafe),
        );
        for sent in [first, second] {
            let page = page_of(sent, StatusCode::OK).await;
            let kept = page.contains("Answers sent") || page.contains("Answers changed");
            assert!(kept, "{page}");
        }
        assert_eq!(responses(&app, survey).await, 1);
        assert_eq!(app.count(&hers).await, 1);
        // The answers are one sending's, not a mixture of both.
        let Answered::With(stored) = answered(&app, survey, ann).await else {
            panic!("Ann's answers are kept");
        };
        assert!(
            stored == ann_stored() || stored == unsafe_stored,
            "{stored:?}"
        );
    }
    app.stop().await;
}

on_both_backends!(
    answers_sent_at_once,
    two_answers_sent_at_once_leave_one_response,
    multi_thread
);

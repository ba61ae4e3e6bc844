//! A survey's public page: anyone with a postcode in the area asks for their own link by email,
//! answers through it once per confirmed address (changed later with a new link for the same
//! address, or, in an anonymous survey, never), with bad input, tampered links and too many
//! requests refused; the address itself is never kept.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use beacon::domain::survey::{Question, QuestionKind};
use beacon::store::NewSurvey;
use reqwest::StatusCode;

/// A survey of the constabulary (with a public page, or not), open for a day: a required single
/// choice and an optional free text; its id.
pub(crate) async fn public_survey(app: &TestApp, anonymous: bool, public_page: bool) -> i64 {
    let providers = app.ctx.store.providers().await.unwrap();
    let force = providers
        .iter()
        .find(|p| p.slug == "cambridgeshire-constabulary")
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    let survey = NewSurvey {
        provider_id: force.id,
        created_by: None,
        title: "Speeding in your village".into(),
        introduction: "Tell us where drivers speed.".into(),
        opens_at: now - 60,
        closes_at: now + 86_400,
        anonymous,
        public_page,
        questions: vec![
            Question {
                prompt: "Is speeding a problem where you live?".into(),
                kind: QuestionKind::Single,
                options: vec!["Yes".into(), "No".into()],
                required: true,
            },
            Question {
                prompt: "Which road?".into(),
                kind: QuestionKind::Text,
                options: Vec::new(),
                required: false,
            },
        ],
    };
    app.ctx.store.insert_survey(&survey, now).await.unwrap()
}

/// Asks the public page for a link for `email` from `postcode`: the response.
async fn ask(app: &TestApp, id: i64, email: &str, postcode: &str) -> reqwest::Response {
    let page = format!("/surveys/{id}");
    app.submit(&page, &page, &[("email", email), ("postcode", postcode)])
        .await
}

async fn one_answer_per_confirmed_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, |settings| {
        settings.limits.signups_per_email_per_hour = 3;
    })
    .await;
    let id = public_survey(&app, false, true).await;
    let page = app.get(&format!("/surveys/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Speeding in your village"), "{html}");
    assert!(html.contains("Send me the link"), "{html}");

    // Bad input: both problems named, the values kept, nothing sent.
    let refused = ask(&app, id, "ann@@example", "ZZ99 9ZZ").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("<title>Error: "), "{html}");
    assert!(html.contains("href=\"#email\""), "{html}");
    assert!(html.contains("href=\"#postcode\""), "{html}");
    assert!(html.contains("value=\"ann@@example\""), "{html}");
    let outside = ask(&app, id, "ann@example.org", "SW1A 1AA").await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outside.text().await.unwrap().contains("outside the area"));
    assert_eq!(app.outbox_count(), 0, "no link for a refused request");

    // A link by email; the answer through it.
    let sent = ask(&app, id, "Ann@Example.org", "CB1 1PT").await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(sent.text().await.unwrap().contains("Check your email"));
    let email = app.emails(1).await.remove(0);
    assert_eq!(email.to, "Ann@example.org", "the domain lowercased");
    assert!(
        email.subject.contains("Speeding in your village"),
        "{}",
        email.subject
    );
    let link = email.link(&format!("/surveys/{id}/answer/"));
    let form = app.get(&link).await;
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(
        html.contains("Is speeding a problem where you live?"),
        "{html}"
    );
    let answered = app
        .submit(&link, &link, &[("q0", "0"), ("q1", "<b>Mill Road</b>")])
        .await;
    assert_eq!(answered.status(), StatusCode::OK);
    assert!(answered.text().await.unwrap().contains("Answers sent"));

    // The same address, written otherwise, asks again: its new link shows the answer, and
    // changes it rather than adding one.
    assert_eq!(
        ask(&app, id, "ann@example.org", "CB1 1PT").await.status(),
        StatusCode::OK
    );
    let again = app.emails(2).await.remove(1);
    let link2 = again.link(&format!("/surveys/{id}/answer/"));
    let html = app.get(&link2).await.text().await.unwrap();
    assert!(html.contains("You have answered already"), "{html}");
    assert!(html.contains("&#60;b&#62;Mill Road&#60;/b&#62;"), "{html}");
    let changed = app.submit(&link2, &link2, &[("q0", "1")]).await;
    assert!(changed.text().await.unwrap().contains("Answers changed"));
    let stored = app.ctx.store.survey_responses(id).await.unwrap();
    assert_eq!(stored.len(), 1, "one response per confirmed address");
    assert_eq!(
        stored[0].district_code, "E07000008",
        "Cambridge, from CB1 1PT"
    );
    assert_eq!(stored[0].answers, vec![(0, "1".to_owned())]);
    // The address is never kept, only a keyed hash of it.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM survey_responses WHERE respondent_key IS NOT NULL \
             AND respondent_key NOT LIKE '%ann%' AND subscriber_id IS NULL"
        )
        .await,
        1
    );

    // A required answer left out is refused, and the stored answer stays.
    let missing = app.submit(&link2, &link2, &[("q1", "Station Road")]).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.ctx.store.survey_responses(id).await.unwrap()[0].answers,
        vec![(0, "1".to_owned())]
    );

    // A tampered link, or one for another survey, cannot be used.
    let tampered = format!("{}x", link2);
    let gone = app.get(&tampered).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(gone
        .text()
        .await
        .unwrap()
        .contains("This link cannot be used"));
    let other = public_survey(&app, false, true).await;
    let elsewhere = link2.replace(
        &format!("/surveys/{id}/answer/"),
        &format!("/surveys/{other}/answer/"),
    );
    assert_eq!(app.get(&elsewhere).await.status(), StatusCode::NOT_FOUND);

    // Too many links for one address in an hour.
    assert_eq!(
        ask(&app, id, "ann@example.org", "CB1 1PT").await.status(),
        StatusCode::OK
    );
    let limited = ask(&app, id, "ANN@example.org", "CB1 1PT").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

on_both_backends!(
    a_public_page_takes_one_answer_per_confirmed_address,
    one_answer_per_confirmed_address
);

async fn anonymous_and_closed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = public_survey(&app, true, true).await;
    let html = app
        .get(&format!("/surveys/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("This survey is anonymous"), "{html}");
    assert_eq!(
        ask(&app, id, "bo@example.org", "CB1 1PT").await.status(),
        StatusCode::OK
    );
    let link = app
        .emails(1)
        .await
        .remove(0)
        .link(&format!("/surveys/{id}/answer/"));
    let sent = app.submit(&link, &link, &[("q0", "0")]).await;
    assert!(sent.text().await.unwrap().contains("Answers sent"));
    let again = app.get(&link).await.text().await.unwrap();
    assert!(again.contains("You have answered this survey"), "{again}");
    // (The link's page has no form now: the token comes from another page's.)
    let refused = app.submit("/", &link, &[("q0", "1")]).await;
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("You have answered this survey"));
    // One response, linked to no one; that the address answered is kept apart.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM survey_responses WHERE survey_id = {id} \
                 AND respondent_key IS NULL AND subscriber_id IS NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM survey_public_respondents WHERE survey_id = {id}"
        ))
        .await,
        1
    );

    // A survey without a public page has none; a closed one takes no answer.
    let private = public_survey(&app, false, false).await;
    assert_eq!(
        app.get(&format!("/surveys/{private}")).await.status(),
        StatusCode::NOT_FOUND
    );
    crate::chat::sql(
        &app,
        &format!(
            "UPDATE surveys SET closes_at = {} WHERE id = {id}",
            chrono::Utc::now().timestamp() - 10
        ),
    )
    .await;
    let closed = app.get(&format!("/surveys/{id}")).await;
    assert_eq!(closed.status(), StatusCode::GONE);
    assert!(closed
        .text()
        .await
        .unwrap()
        .contains("This survey has closed"));
    let late = app.submit("/", &link, &[("q0", "1")]).await;
    assert_eq!(late.status(), StatusCode::GONE);
    assert_eq!(app.ctx.store.survey_responses(id).await.unwrap().len(), 1);
    app.stop().await;
}

on_both_backends!(
    an_anonymous_public_survey_takes_one_answer_and_a_closed_one_none,
    anonymous_and_closed
);

async fn residents_answer_as_themselves(backend: Backend) {
    use crate::delivery::{seed_resident, ResidentSpec};
    use beacon::store::{Answered, Respondent};
    let app = TestApp::spawn(backend).await;
    let cat = seed_resident(
        &app.ctx.store,
        &ResidentSpec::new("cat@example.org", "Cat Jones", "SG8 6DP"),
    )
    .await;
    let optional = public_survey(&app, false, true).await;
    // Every question optional here: an empty answer is refused, not kept as nothing.
    crate::chat::sql(
        &app,
        &format!("UPDATE survey_questions SET required = FALSE WHERE survey_id = {optional}"),
    )
    .await;
    assert_eq!(
        ask(&app, optional, "CAT@example.org", "CB1 1PT")
            .await
            .status(),
        StatusCode::OK
    );
    let link = app
        .emails(1)
        .await
        .remove(0)
        .link(&format!("/surveys/{optional}/answer/"));
    let empty = app.submit(&link, &link, &[]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty
        .text()
        .await
        .unwrap()
        .contains("Answer at least one question"));
    assert!(app
        .ctx
        .store
        .survey_responses(optional)
        .await
        .unwrap()
        .is_empty());

    // A signed-up resident's address answers as the resident: in their own data, and one
    // answer whichever link they use.
    let html = app.get(&link).await.text().await.unwrap();
    assert!(html.contains("kept with your sign-up"), "{html}");
    let sent = app.submit(&link, &link, &[("q0", "1")]).await;
    assert!(sent.text().await.unwrap().contains("Answers sent"));
    assert_eq!(
        app.ctx
            .store
            .answered(optional, &Respondent::Resident(cat))
            .await
            .unwrap(),
        Answered::With(vec![(0, "1".to_owned())])
    );
    let stored = app.ctx.store.survey_responses(optional).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].district_code, "E07000008",
        "the district of the postcode given on the page"
    );
    app.stop().await;
}

on_both_backends!(
    a_signed_up_residents_address_answers_as_the_resident,
    residents_answer_as_themselves
);

async fn alerts_carry_their_survey(backend: Backend) {
    use beacon::services::alerts::{self, AlertInput, ComposeError};
    use beacon::services::staff::Actor;
    let app = TestApp::spawn(backend).await;
    let (sam, browser) = crate::report_triage::staff_with(&app, "Sam Patel", |p| {
        p.send = true;
        p.admin = true;
    })
    .await;
    let actor = Actor {
        staff: Some(&sam),
        ip: "test",
    };
    let survey = public_survey(&app, false, false).await;
    let mut input = AlertInput {
        provider: "cambridgeshire-constabulary".into(),
        message_type: "crime-update".into(),
        priority: "3".into(),
        title: "Survey: Speeding in your village".into(),
        body: "Tell us where drivers speed.".into(),
        force_area: Some("on".into()),
        survey: Some(survey),
        ..AlertInput::default()
    };
    let id = alerts::save_draft(&app.ctx, &actor, &input).await.unwrap();

    // Its page names the survey; so does its copy's.
    let page = browser
        .get(app.url(&format!("/staff/alerts/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "<a href=\"/staff/surveys/{survey}\">Speeding in your village</a>"
        )),
        "{page}"
    );
    let copy = alerts::duplicate(&app.ctx, &actor, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.ctx.store.alert(copy).await.unwrap().unwrap().survey_id,
        Some(survey)
    );

    // Moved to another organisation, it may not keep the survey; nothing is changed.
    input.provider = "trading-standards".into();
    input.survey = None;
    let refused = alerts::save_edit(&app.ctx, &actor, id, &input).await;
    let Err(ComposeError::Invalid(errors)) = refused else {
        panic!("an edit to another organisation kept the survey: {refused:?}");
    };
    assert!(
        errors
            .for_field("title")
            .is_some_and(|m| m.contains("send it from that organisation")),
        "{errors:?}"
    );
    let kept = app.ctx.store.alert(id).await.unwrap().unwrap();
    assert_eq!(kept.provider_name, "Cambridgeshire Constabulary");

    // A closed survey is not carried by a new copy.
    crate::chat::sql(
        &app,
        &format!(
            "UPDATE surveys SET closes_at = {} WHERE id = {survey}",
            chrono::Utc::now().timestamp() - 10
        ),
    )
    .await;
    let late = alerts::duplicate(&app.ctx, &actor, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.ctx.store.alert(late).await.unwrap().unwrap().survey_id,
        None
    );
    app.stop().await;
}

on_both_backends!(
    an_alert_names_its_survey_keeps_it_when_copied_and_not_elsewhere,
    alerts_carry_their_survey
);

async fn small_districts_pooled(backend: Backend) {
    use beacon::services::staff::Actor;
    use beacon::services::surveys::{self, OTHER_DISTRICTS};
    use beacon::store::Respondent;
    let app = TestApp::spawn(backend).await;
    let id = public_survey(&app, true, true).await;
    let now = chrono::Utc::now().timestamp();
    // Five anonymous answers from Cambridge, one from South Cambridgeshire.
    for n in 0..6 {
        let district = if n < 5 { "E07000008" } else { "E07000012" };
        let answers = [(0, if n < 5 { "0" } else { "1" }.to_owned())];
        app.ctx
            .store
            .keep_response(
                id,
                &Respondent::Email(format!("key{n}")),
                true,
                district,
                &answers,
                now,
            )
            .await
            .unwrap();
    }
    let survey = app.ctx.store.survey(id).await.unwrap().unwrap();
    // Staff never see a district of one anonymous answer: it is pooled, in the results and the
    // CSV alike.
    let results = surveys::staff_results(&app.ctx, &survey, None, None)
        .await
        .unwrap();
    let districts: Vec<(&str, usize)> = results
        .districts
        .iter()
        .map(|(_, name, count)| (name.as_str(), *count))
        .collect();
    assert_eq!(districts, [("Cambridge", 5), (OTHER_DISTRICTS.1, 1)]);
    let narrowed = surveys::staff_results(&app.ctx, &survey, Some("E07000012"), None)
        .await
        .unwrap();
    assert_eq!(
        narrowed.responses, 0,
        "no filter reaches the district of one"
    );
    let actor = Actor {
        staff: None,
        ip: "test",
    };
    let csv = surveys::csv(&app.ctx, &actor, &survey).await.unwrap();
    assert!(!csv.contains("South Cambridgeshire"), "{csv}");
    assert_eq!(csv.matches(OTHER_DISTRICTS.1).count(), 1, "{csv}");
    assert_eq!(csv.matches("Cambridge").count(), 5, "{csv}");
    app.stop().await;
}

on_both_backends!(
    staff_see_an_anonymous_surveys_small_districts_pooled,
    small_districts_pooled
);

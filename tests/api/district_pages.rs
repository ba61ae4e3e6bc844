//! A district's public page, as a visitor meets it: the priorities its residents chose in a
//! published survey, in the district's own order, only where enough answered there, and its
//! Neighbourhood Watch schemes.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::schemes::{open_scheme, visit};
use reqwest::StatusCode;

const MELDRETH: &str = "SG8 6DP";

on_both_backends!(
    a_district_page_shows_the_priorities_its_residents_chose,
    district_body
);
async fn district_body(backend: Backend) {
    use beacon::domain::survey::{Answer, Question, QuestionKind};
    use beacon::store::{NewSurvey, Respondent};
    let app = TestApp::spawn(backend).await;
    let police = app.ctx.store.providers().await.unwrap()[0].id;
    let now = chrono::Utc::now().timestamp();
    let options = [
        "Speeding",
        "Anti-social behaviour",
        "Drug dealing",
        "Burglary",
    ];
    let survey = |title: &str| NewSurvey {
        provider_id: police,
        created_by: None,
        title: title.into(),
        introduction: String::new(),
        opens_at: now - 86_400,
        closes_at: now + 86_400,
        anonymous: true,
        public_page: false,
        questions: vec![Question {
            prompt: "Put these in order of concern".into(),
            kind: QuestionKind::Ranking,
            options: options.iter().map(|o| o.to_string()).collect(),
            required: true,
        }],
    };
    let published = app
        .ctx
        .store
        .insert_survey(&survey("Local priorities"), now)
        .await
        .unwrap();
    let unpublished = app
        .ctx
        .store
        .insert_survey(&survey("Draft priorities"), now)
        .await
        .unwrap();
    // Six answers from South Cambridgeshire, speeding first in five; two from Cambridge, too
    // few to publish.
    let answers = [
        ("E07000012", vec![0, 1, 2, 3]),
        ("E07000012", vec![0, 2, 1, 3]),
        ("E07000012", vec![0, 1, 3, 2]),
        ("E07000012", vec![0, 1, 2, 3]),
        ("E07000012", vec![0, 2, 1, 3]),
        ("E07000012", vec![1, 0, 2, 3]),
        ("E07000008", vec![3, 2, 1, 0]),
        ("E07000008", vec![3, 2, 1, 0]),
    ];
    for (n, (district, ranking)) in answers.iter().enumerate() {
        for id in [published, unpublished] {
            app.ctx
                .store
                .keep_response(
                    id,
                    &Respondent::Email(format!("key-{n}")),
                    true,
                    district,
                    &[(0, Answer::Ranking(ranking.clone()).encode())],
                    now,
                )
                .await
                .unwrap();
        }
    }
    app.ctx
        .store
        .set_survey_published(published, true)
        .await
        .unwrap();
    let scheme = open_scheme(&app, "Meldreth Watch", "E07000012", &[MELDRETH]).await;

    let visitor = TestApp::client();
    let (status, page) = visit(&app, &visitor, "/districts/E07000012").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>South Cambridgeshire</h1>"), "{page}");
    let order: Vec<usize> = options
        .iter()
        .map(|o| page.find(&format!("<strong>{o}</strong>")).expect(o))
        .collect();
    assert!(
        order[0] < order[1] && order[1] < order[2] && order[2] < order[3],
        "speeding, then anti-social behaviour, drugs and burglary: {page}"
    );
    assert!(
        page.contains("6 answers from South Cambridgeshire"),
        "{page}"
    );
    assert!(
        !page.contains("Draft priorities"),
        "an unpublished survey is not shown"
    );
    assert!(page.contains(&format!("/schemes/{scheme}")), "{page}");
    // Cambridge's two answers are too few to show.
    let (_, city) = visit(&app, &visitor, "/districts/E07000008").await;
    assert!(city.contains("id=\"no-priorities\""), "{city}");
    assert!(!city.contains("<strong>Burglary</strong>"), "{city}");
    let (status, _) = visit(&app, &visitor, "/districts/E99999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The directory leads to the district's page.
    let (_, directory) = visit(&app, &visitor, "/schemes").await;
    assert!(
        directory.contains("href=\"/districts/E07000012\""),
        "{directory}"
    );
    app.stop().await;
}

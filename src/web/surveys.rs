//! Survey pages: senders build a survey, send it with an alert, read its results (by district,
//! free text searchable, CSV) and publish them; residents answer through their alert's link;
//! anyone in the area answers a survey's public page (`/surveys/{id}`) through a link emailed to
//! them; anyone reads published results at `/surveys/{id}/results`.

use super::error::WebResult;
use super::flash::{self, Flash};
use super::permission::SenderStaff;
use super::reported_scams::{bar_chart, Bar};
use super::staff::{actor, forbidden, nav, Nav};
use super::{csrf, views, AppState, ClientIp};
use crate::domain::survey::{Answer, QuestionDraft, QuestionKind, SurveyProblem};
use crate::services::feedback;
use crate::services::survey_links as links;
use crate::services::surveys::{
    self as service, NotKept, QuestionResult, ResidentSurvey, Results, SurveyError, SurveyForm,
    Window,
};
use crate::store::{Answered, Kept, Survey};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

/// A form's fields in the order sent; none if the body is not a form.
fn fields(body: &Bytes) -> Vec<(String, String)> {
    serde_html_form::from_bytes(body).unwrap_or_default()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn survey_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "Survey not found",
            &["There is no such survey, or its results are not published."],
            None,
        ),
    )
        .into_response()
}

/// A survey in the list.
struct SurveyRow {
    id: i64,
    title: String,
    organisation: String,
    dates: String,
    state: &'static str,
    responses: i64,
    published: bool,
}

fn dates(survey: &Survey) -> String {
    format!(
        "{} to {}",
        service::first_day(survey),
        service::last_day(survey)
    )
}

fn state_words(survey: &Survey) -> &'static str {
    match service::window(survey, chrono::Utc::now().timestamp()) {
        Window::NotYetOpen => "Not yet open",
        Window::Open => "Open",
        Window::Closed => "Closed",
    }
}

#[derive(Template)]
#[template(path = "staff/surveys.html")]
struct ListPage {
    nav: Option<Nav>,
    notice: Option<String>,
    surveys: Vec<SurveyRow>,
}

/// `GET /staff/surveys`: the organisation's surveys.
pub async fn list(
    State(ctx): State<AppState>,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let surveys = service::list(&ctx, &staff).await?;
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = ListPage {
        nav: nav(&staff, &csrf),
        notice: flash.notice,
        surveys: surveys
            .iter()
            .map(|s| SurveyRow {
                id: s.id,
                title: s.title.clone(),
                organisation: s.provider_name.clone(),
                dates: dates(s),
                state: state_words(s),
                responses: s.responses,
                published: s.published,
            })
            .collect(),
    };
    Ok((jar, views::render(&page)).into_response())
}

/// A question slot of the builder form.
struct Slot {
    index: usize,
    draft: QuestionDraft,
}

#[derive(Template)]
#[template(path = "staff/survey_new.html")]
struct BuilderPage {
    nav: Option<Nav>,
    csrf: String,
    form: SurveyForm,
    slots: Vec<Slot>,
    kinds: Vec<(&'static str, &'static str)>,
    problems: Vec<SurveyProblem>,
}

fn builder(
    nav: Option<Nav>,
    csrf: String,
    form: SurveyForm,
    problems: Vec<SurveyProblem>,
) -> BuilderPage {
    let slots = form
        .questions
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, draft)| Slot { index, draft })
        .collect();
    BuilderPage {
        nav,
        csrf,
        form,
        slots,
        kinds: QuestionKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        problems,
    }
}

/// `GET /staff/surveys/new`: the survey builder.
pub async fn new_form(
    State(ctx): State<AppState>,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let form = SurveyForm::blank(chrono::Utc::now().timestamp());
    let page = builder(nav(&staff, &csrf), csrf, form, Vec::new());
    Ok((jar, views::render(&page)).into_response())
}

/// `POST /staff/surveys/new`: builds the survey, or shows the form again with its problems.
pub async fn create(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    jar: CookieJar,
    body: Bytes,
) -> WebResult<Response> {
    let sent = fields(&body);
    if !csrf::verify(&ctx, &jar, field(&sent, "csrf")) {
        return Ok(views::form_expired("/staff/surveys/new"));
    }
    let form = SurveyForm::from_fields(&sent);
    match service::create(&ctx, &actor(&staff, &ip), &staff, &form).await {
        Ok(id) => Ok(flash::redirect(
            &ctx,
            jar,
            &format!("/staff/surveys/{id}"),
            Flash::notice(format!(
                "The survey \u{201c}{}\u{201d} is built. Send it with an alert when you are ready.",
                form.title.trim()
            )),
        )),
        Err(SurveyError::Invalid(problems)) => {
            let (jar, csrf) = csrf::issue(&ctx, jar);
            let page = builder(nav(&staff, &csrf), csrf, form, problems);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, views::render(&page)).into_response())
        }
        Err(SurveyError::NotPermitted(_)) => Ok(forbidden()),
        Err(SurveyError::NotFound) => Ok(survey_not_found()),
        Err(SurveyError::Unexpected(error)) => Err(error.into()),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ResultsQuery {
    /// A district's code: its responses only.
    district: String,
    /// Free-text answers holding these words.
    q: String,
}

/// A question's results, with its chart.
struct Shown {
    result: QuestionResult,
    chart: String,
    kind: &'static str,
}

fn shown(results: Results) -> (usize, Vec<(String, String, usize)>, Vec<Shown>) {
    let questions = results
        .questions
        .into_iter()
        .map(|result| {
            let bars: Vec<Bar> = result
                .rows
                .iter()
                .map(|row| Bar {
                    label: if result.question.kind == QuestionKind::Ranking {
                        format!("{} (put first by)", row.label)
                    } else {
                        row.label.clone()
                    },
                    reports: i64::from(row.count),
                })
                .collect();
            Shown {
                chart: if bars.is_empty() {
                    String::new()
                } else {
                    bar_chart(&bars)
                },
                kind: result.question.kind.label(),
                result,
            }
        })
        .collect();
    (results.responses, results.districts, questions)
}

#[derive(Template)]
#[template(path = "staff/survey.html")]
struct ResultsPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    id: i64,
    title: String,
    introduction: String,
    organisation: String,
    dates: String,
    state: &'static str,
    anonymous: bool,
    public_page: bool,
    published: bool,
    open_for_sending: bool,
    responses: usize,
    districts: Vec<(String, String, usize)>,
    district: String,
    search: String,
    questions: Vec<Shown>,
    staff_view: bool,
}

/// `GET /staff/surveys/{id}`: a survey's results, for its organisation's senders.
pub async fn show(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    Query(query): Query<ResultsQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let survey = match service::for_staff(&ctx, &actor(&staff, &ip), &staff, id).await {
        Ok(survey) => survey,
        Err(SurveyError::NotPermitted(_)) => return Ok(forbidden()),
        Err(SurveyError::NotFound) => return Ok(survey_not_found()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let district = query.district.trim().to_owned();
    let results = service::staff_results(
        &ctx,
        &survey,
        (!district.is_empty()).then_some(district.as_str()),
        Some(query.q.as_str()),
    )
    .await?;
    let (responses, districts, questions) = shown(results);
    let (jar, flash) = flash::take(&ctx, jar);
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = ResultsPage {
        nav: nav(&staff, &csrf),
        csrf,
        notice: flash.notice,
        id,
        dates: dates(&survey),
        state: state_words(&survey),
        open_for_sending: service::window(&survey, chrono::Utc::now().timestamp())
            != Window::Closed,
        title: survey.title,
        introduction: survey.introduction,
        organisation: survey.provider_name,
        anonymous: survey.anonymous,
        public_page: survey.public_page,
        published: survey.published,
        responses,
        districts,
        district,
        search: query.q.trim().to_owned(),
        questions,
        staff_view: true,
    };
    Ok((jar, views::render(&page)).into_response())
}

/// `GET /staff/surveys/{id}/answers.csv`: every response, one row each.
pub async fn csv(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    let actor = actor(&staff, &ip);
    let survey = match service::for_staff(&ctx, &actor, &staff, id).await {
        Ok(survey) => survey,
        Err(SurveyError::NotPermitted(_)) => return Ok(forbidden()),
        Err(SurveyError::NotFound) => return Ok(survey_not_found()),
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    let csv = service::csv(&ctx, &actor, &survey).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"survey-{id}-answers.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// `POST /staff/surveys/{id}/publish`: `published` = `yes` publishes the results, `no` takes
/// them down.
pub async fn publish(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    SenderStaff(staff): SenderStaff,
    Path(id): Path<i64>,
    jar: CookieJar,
    body: Bytes,
) -> WebResult<Response> {
    let sent = fields(&body);
    let back = format!("/staff/surveys/{id}");
    if !csrf::verify(&ctx, &jar, field(&sent, "csrf")) {
        return Ok(views::form_expired(&back));
    }
    let published = field(&sent, "published") == "yes";
    match service::publish(&ctx, &actor(&staff, &ip), &staff, id, published).await {
        Ok(()) => Ok(flash::redirect(
            &ctx,
            jar,
            &back,
            Flash::notice(if published {
                format!("The results are published at /surveys/{id}/results.")
            } else {
                "The results are no longer published.".to_owned()
            }),
        )),
        Err(SurveyError::NotPermitted(_)) => Ok(forbidden()),
        Err(SurveyError::NotFound) => Ok(survey_not_found()),
        Err(error) => Err(anyhow::Error::from(error).into()),
    }
}

/// An option of a question on the answer form.
struct Choice {
    i: usize,
    label: String,
    /// Ticked or chosen.
    chosen: bool,
    /// A ranking's place given to it ("" for none).
    place: String,
}

/// A question of the answer form, with the resident's answer so far.
struct AskedQuestion {
    index: usize,
    prompt: String,
    kind: QuestionKind,
    required: bool,
    options: Vec<Choice>,
    rating: u8,
    text: String,
    problem: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/survey_answer.html")]
struct AnswerPage {
    csrf: String,
    /// Where the form is sent: the resident's alert link, or the public page's emailed link.
    action: String,
    title: String,
    /// The introduction's paragraphs.
    introduction: Vec<String>,
    organisation: String,
    last_day: String,
    anonymous: bool,
    /// Answering through the public page as an email address.
    by_email: bool,
    changing: bool,
    questions: Vec<AskedQuestion>,
    problems: usize,
    /// The form had expired: nothing was kept, and it is shown again to send.
    expired: bool,
}

impl AskedQuestion {
    fn choose(&mut self, option: Option<usize>) {
        if let Some(choice) = self.options.iter_mut().find(|c| Some(c.i) == option) {
            choice.chosen = true;
        }
    }

    fn place(&mut self, option: usize, place: String) {
        if let Some(choice) = self.options.get_mut(option) {
            choice.place = place;
        }
    }
}

fn asked(
    current: &ResidentSurvey,
    answers: &[Option<Answer>],
    sent: Option<&[(String, String)]>,
    problems: &[crate::domain::survey::AnswerProblem],
) -> Vec<AskedQuestion> {
    current
        .survey
        .questions
        .iter()
        .enumerate()
        .map(|(index, question)| {
            let answer = answers.get(index).and_then(Option::as_ref);
            let name = format!("q{index}");
            let mut asked = AskedQuestion {
                index,
                prompt: question.prompt.clone(),
                kind: question.kind,
                required: question.required,
                options: question
                    .options
                    .iter()
                    .enumerate()
                    .map(|(i, label)| Choice {
                        i,
                        label: label.clone(),
                        chosen: false,
                        place: String::new(),
                    })
                    .collect(),
                rating: 0,
                text: String::new(),
                problem: problems
                    .iter()
                    .find(|p| p.question == index)
                    .map(|p| p.message.clone()),
            };
            if let Some(sent) = sent {
                // Shown again as the resident sent it, so nothing they wrote is lost.
                for (field_name, value) in sent {
                    if *field_name == name {
                        match question.kind {
                            QuestionKind::Text => asked.text = value.clone(),
                            QuestionKind::Rating => asked.rating = value.parse().unwrap_or(0),
                            _ => asked.choose(value.parse().ok()),
                        }
                    } else if let Some(option) = field_name
                        .strip_prefix(&format!("{name}_"))
                        .and_then(|o| o.parse::<usize>().ok())
                    {
                        asked.place(option, value.clone());
                    }
                }
                return asked;
            }
            match answer {
                Some(Answer::Choice(i)) => asked.choose(Some(*i)),
                Some(Answer::Choices(list)) => {
                    for i in list {
                        asked.choose(Some(*i));
                    }
                }
                Some(Answer::Ranking(order)) => {
                    for (place, option) in order.iter().enumerate() {
                        asked.place(*option, (place + 1).to_string());
                    }
                }
                Some(Answer::Rating(stars)) => asked.rating = *stars,
                Some(Answer::Text(text)) => asked.text = text.clone(),
                None => {}
            }
            asked
        })
        .collect()
}

fn answer_page(
    csrf: String,
    action: &str,
    current: &ResidentSurvey,
    questions: Vec<AskedQuestion>,
    problems: usize,
) -> AnswerPage {
    AnswerPage {
        csrf,
        action: action.to_owned(),
        title: current.survey.title.clone(),
        introduction: paragraphs(&current.survey.introduction),
        organisation: current.survey.provider_name.clone(),
        last_day: service::last_day(&current.survey),
        anonymous: current.survey.anonymous,
        by_email: current.by_email,
        changing: matches!(current.answered, Answered::With(_)),
        questions,
        problems,
        expired: false,
    }
}

/// Text in paragraphs, split at blank lines.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

fn link_gone() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "This link cannot be used",
            &["The link is not complete, or it has expired, or it belongs to alerts you no longer receive, or to an alert that carries no survey."],
            None,
        ),
    )
        .into_response()
}

/// What a resident is told instead of the form, if the survey takes no answer from them now.
fn not_answerable(current: &ResidentSurvey) -> Option<Response> {
    let survey = &current.survey;
    match current.window {
        Window::NotYetOpen => Some(views::message_page(
            &survey.title,
            &[&format!(
                "This survey opens on {}. Use the same link then.",
                service::first_day(survey)
            )],
            None,
        )),
        Window::Closed => Some(
            (
                StatusCode::GONE,
                views::message_page(
                    &survey.title,
                    &["This survey has closed, and takes no more answers. Thank you for your interest."],
                    survey
                        .published
                        .then(|| format!("/surveys/{}/results", survey.id))
                        .as_deref()
                        .map(|link| (link, "See what residents said")),
                ),
            )
                .into_response(),
        ),
        Window::Open if current.answered == Answered::Anonymously => Some(views::message_page(
            &survey.title,
            &["You have answered this survey. Thank you.", "It is anonymous: your answers were kept with nothing that links them to you, so they cannot be shown or changed."],
            None,
        )),
        Window::Open => None,
    }
}

/// The answer form, with the respondent's answers so far (or what they are told instead).
fn form_page(ctx: &AppState, jar: CookieJar, action: &str, current: &ResidentSurvey) -> Response {
    if let Some(response) = not_answerable(current) {
        return response;
    }
    let (jar, csrf) = csrf::issue(ctx, jar);
    let questions = asked(current, &current.answers, None, &[]);
    let page = answer_page(csrf, action, current, questions, 0);
    (jar, views::render(&page)).into_response()
}

/// Keeps a respondent's answers sent to `action`, or shows the form again with what is wrong
/// and everything they gave.
async fn take_answers(
    ctx: &AppState,
    jar: CookieJar,
    action: &str,
    current: &ResidentSurvey,
    answerer: service::Answerer<'_>,
    body: &Bytes,
) -> WebResult<Response> {
    if let Some(response) = not_answerable(current) {
        return Ok(response);
    }
    let sent = fields(body);
    if !csrf::verify(ctx, &jar, field(&sent, "csrf")) {
        let (jar, csrf) = csrf::issue(ctx, jar);
        let questions = asked(current, &[], Some(&sent), &[]);
        let mut page = answer_page(csrf, action, current, questions, 0);
        page.expired = true;
        return Ok((StatusCode::FORBIDDEN, jar, views::render(&page)).into_response());
    }
    let problems = match service::answer(ctx, current, answerer, &sent).await? {
        Ok(kept) => {
            let survey = &current.survey;
            let changed = kept == Kept::Changed;
            let mut said = vec![if changed {
                "Your answers have been changed. Thank you."
            } else {
                "Thank you: your answers have been kept."
            }];
            let until = format!(
                "You can change them with the same link until {}.",
                service::last_day(survey)
            );
            if survey.anonymous {
                said.push("This survey is anonymous: nothing links your answers to you.");
            } else {
                said.push(&until);
            }
            return Ok(views::message_page(
                if changed {
                    "Answers changed"
                } else {
                    "Answers sent"
                },
                &said,
                None,
            ));
        }
        Err(NotKept::Problems(problems)) => problems,
        Err(NotKept::AlreadyAnswered) => {
            return Ok((
                StatusCode::CONFLICT,
                views::message_page(
                    &current.survey.title,
                    &["You have answered this survey already: an anonymous survey takes one answer from each person, and it cannot be changed."],
                    None,
                ),
            )
                .into_response())
        }
        Err(NotKept::NotYetOpen | NotKept::Closed) => {
            return Ok((
                StatusCode::GONE,
                views::message_page(
                    &current.survey.title,
                    &["This survey is not taking answers now. Nothing was kept."],
                    None,
                ),
            )
                .into_response())
        }
    };
    let (jar, csrf) = csrf::issue(ctx, jar);
    let questions = asked(current, &[], Some(&sent), &problems);
    let page = answer_page(csrf, action, current, questions, problems.len());
    Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, views::render(&page)).into_response())
}

/// `GET /survey/{token}`: the survey an alert carries, for the resident its link is for.
pub async fn answer_form(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
) -> WebResult<Response> {
    let Some((alert, subscriber)) = feedback::alert_link(&ctx, &token).await? else {
        return Ok(link_gone());
    };
    let Some(current) = service::for_resident(&ctx, &alert, &subscriber).await? else {
        return Ok(link_gone());
    };
    Ok(form_page(&ctx, jar, &format!("/survey/{token}"), &current))
}

/// `POST /survey/{token}`: keeps the resident's answers.
pub async fn answer(
    State(ctx): State<AppState>,
    Path(token): Path<String>,
    jar: CookieJar,
    body: Bytes,
) -> WebResult<Response> {
    let Some((alert, subscriber)) = feedback::alert_link(&ctx, &token).await? else {
        return Ok(link_gone());
    };
    let Some(current) = service::for_resident(&ctx, &alert, &subscriber).await? else {
        return Ok(link_gone());
    };
    let action = format!("/survey/{token}");
    let answerer = service::Answerer::Resident(&subscriber);
    take_answers(&ctx, jar, &action, &current, answerer, &body).await
}

#[derive(Template)]
#[template(path = "pages/survey_public.html")]
struct PublicPage {
    csrf: String,
    id: i64,
    title: String,
    introduction: Vec<String>,
    organisation: String,
    last_day: String,
    anonymous: bool,
    email: String,
    postcode: String,
    /// By field (`email`, `postcode`).
    problems: Vec<(&'static str, String)>,
}

impl PublicPage {
    fn problem(&self, field: &str) -> &str {
        self.problems
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, message)| message.as_str())
    }
}

fn public_page(csrf: String, survey: &Survey) -> PublicPage {
    PublicPage {
        csrf,
        id: survey.id,
        title: survey.title.clone(),
        introduction: paragraphs(&survey.introduction),
        organisation: survey.provider_name.clone(),
        last_day: service::last_day(survey),
        anonymous: survey.anonymous,
        email: String::new(),
        postcode: String::new(),
        problems: Vec::new(),
    }
}

/// A public survey that is not taking answers now: what a visitor is told instead.
fn public_not_open(survey: &Survey) -> Option<Response> {
    let current = ResidentSurvey {
        by_email: true,
        window: service::window(survey, chrono::Utc::now().timestamp()),
        survey: survey.clone(),
        answered: Answered::No,
        answers: Vec::new(),
    };
    not_answerable(&current)
}

/// `GET /surveys/{id}`: a survey's public page, where anyone in the area asks for their own
/// link to answer it.
pub async fn public_start(
    State(ctx): State<AppState>,
    Path(id): Path<i64>,
    jar: CookieJar,
) -> WebResult<Response> {
    let Some(survey) = links::public_survey(&ctx, id).await? else {
        return Ok(survey_not_found());
    };
    if let Some(response) = public_not_open(&survey) {
        return Ok(response);
    }
    let (jar, csrf) = csrf::issue(&ctx, jar);
    Ok((jar, views::render(&public_page(csrf, &survey))).into_response())
}

/// `POST /surveys/{id}`: emails the address given its own link to answer.
pub async fn public_request(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    jar: CookieJar,
    body: Bytes,
) -> WebResult<Response> {
    let Some(survey) = links::public_survey(&ctx, id).await? else {
        return Ok(survey_not_found());
    };
    if let Some(response) = public_not_open(&survey) {
        return Ok(response);
    }
    let sent = fields(&body);
    let (email, postcode) = (field(&sent, "email"), field(&sent, "postcode"));
    let (status, problems) = if !csrf::verify(&ctx, &jar, field(&sent, "csrf")) {
        (
            StatusCode::FORBIDDEN,
            vec![("email", "This form had expired. Send it again.".to_owned())],
        )
    } else {
        match links::request_public_link(&ctx, &survey, email, postcode, &ip).await {
            Ok(()) => {
                return Ok(views::message_page(
                    "Check your email",
                    &[
                        "We have sent you a link to answer the survey. It is yours alone, and works for seven days.",
                        "If it has not arrived in a few minutes, check your junk or spam folder.",
                    ],
                    None,
                ))
            }
            Err(links::PublicLinkError::Invalid(problems)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, problems)
            }
            Err(links::PublicLinkError::RateLimited) => {
                return Ok((
                    StatusCode::TOO_MANY_REQUESTS,
                    views::message_page(
                        "Too many requests",
                        &["Too many links have been asked for from here or for this address in the last hour. Try again later."],
                        None,
                    ),
                )
                    .into_response())
            }
            Err(links::PublicLinkError::Unexpected(error)) => return Err(error.into()),
        }
    };
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let mut shown = public_page(csrf, &survey);
    shown.email = email.to_owned();
    shown.postcode = postcode.to_owned();
    shown.problems = problems;
    Ok((status, jar, views::render(&shown)).into_response())
}

/// `GET /surveys/{id}/answer/{token}`: the survey, through the link emailed from its public
/// page.
pub async fn public_answer_form(
    State(ctx): State<AppState>,
    Path((id, token)): Path<(i64, String)>,
    jar: CookieJar,
) -> WebResult<Response> {
    let Some((survey, respondent, _)) = links::public_link(&ctx, id, &token).await? else {
        return Ok(link_gone());
    };
    let current = service::for_public(&ctx, survey, &respondent).await?;
    let action = format!("/surveys/{id}/answer/{token}");
    Ok(form_page(&ctx, jar, &action, &current))
}

/// `POST /surveys/{id}/answer/{token}`: keeps the answers, one response per confirmed address.
pub async fn public_answer(
    State(ctx): State<AppState>,
    Path((id, token)): Path<(i64, String)>,
    jar: CookieJar,
    body: Bytes,
) -> WebResult<Response> {
    let Some((survey, respondent, district)) = links::public_link(&ctx, id, &token).await? else {
        return Ok(link_gone());
    };
    let current = service::for_public(&ctx, survey, &respondent).await?;
    let action = format!("/surveys/{id}/answer/{token}");
    let answerer = service::Answerer::PublicPage {
        respondent,
        district,
    };
    take_answers(&ctx, jar, &action, &current, answerer, &body).await
}

#[derive(Template)]
#[template(path = "pages/survey_results.html")]
struct PublicResultsPage {
    id: i64,
    title: String,
    organisation: String,
    dates: String,
    responses: usize,
    districts: Vec<(String, String, usize)>,
    district: String,
    search: String,
    questions: Vec<Shown>,
    staff_view: bool,
    /// Too few answered (in the survey, or the district chosen) to show any result.
    too_few: bool,
    shown_from: usize,
}

/// `GET /surveys/{id}/results`: a survey's published results, for anyone.
pub async fn public_results(
    State(ctx): State<AppState>,
    Path(id): Path<i64>,
    Query(query): Query<ResultsQuery>,
) -> WebResult<Response> {
    let district = query.district.trim().to_owned();
    let Some((survey, results, too_few)) = service::published(
        &ctx,
        id,
        (!district.is_empty()).then_some(district.as_str()),
    )
    .await?
    else {
        return Ok(survey_not_found());
    };
    let (responses, districts, questions) = shown(results);
    Ok(views::render(&PublicResultsPage {
        id,
        dates: dates(&survey),
        title: survey.title,
        organisation: survey.provider_name,
        responses,
        districts,
        district,
        search: String::new(),
        questions,
        staff_view: false,
        too_few,
        shown_from: service::SHOWN_FROM,
    }))
}

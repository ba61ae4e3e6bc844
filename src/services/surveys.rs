//! Surveys of residents: senders build them for their organisation and send them with an alert
//! (its residents answer through the alert's own signed link, one response each, changed until
//! the survey closes; the public page's links are `survey_links`'); senders read the results,
//! by district, searchable, as CSV, and may publish them at `/surveys/{id}/results`.

use super::staff::{audit, Actor};
use super::AppContext;
use crate::domain::survey::{
    self, answers_from_form, questions_from_drafts, Answer, AnswerProblem, Question, QuestionDraft,
    QuestionKind, ResponseRow, SurveyProblem, Tally, MAX_QUESTIONS,
};
use crate::store::Respondent;
use crate::store::{
    Alert, Answered, Kept, NewSurvey, StaffMember, StoredResponse, Subscriber, Survey,
};
use anyhow::Context;
use chrono::{NaiveDate, TimeZone};

/// The longest survey title and introduction, in characters.
pub const MAX_TITLE: usize = 150;
pub const MAX_INTRODUCTION: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum SurveyError {
    #[error("there are problems with the survey")]
    Invalid(Vec<SurveyProblem>),
    #[error("You may not do that: {0}")]
    NotPermitted(String),
    #[error("no such survey")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for SurveyError {
    fn from(error: crate::store::StoreError) -> Self {
        SurveyError::Unexpected(error.into())
    }
}

/// The builder form as sent: every field by name (the questions are `q{i}_prompt`,
/// `q{i}_kind`, `q{i}_options` and `q{i}_required`, `i` from 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyForm {
    pub title: String,
    pub introduction: String,
    /// Dates as typed: `2026-12-31`, or `31/12/2026`.
    pub opens: String,
    pub closes: String,
    pub anonymous: bool,
    /// Anyone in the force area may answer through its public page.
    pub public_page: bool,
    pub questions: Vec<QuestionDraft>,
}

impl SurveyForm {
    /// From the form's fields; always `MAX_QUESTIONS` drafts, blank where not sent.
    pub fn from_fields(fields: &[(String, String)]) -> SurveyForm {
        let mut form = SurveyForm {
            questions: vec![QuestionDraft::default(); MAX_QUESTIONS],
            ..SurveyForm::default()
        };
        for (name, value) in fields {
            match name.as_str() {
                "title" => form.title = value.clone(),
                "introduction" => form.introduction = value.clone(),
                "opens" => form.opens = value.clone(),
                "closes" => form.closes = value.clone(),
                "anonymous" => form.anonymous = !value.is_empty(),
                "public_page" => form.public_page = !value.is_empty(),
                _ => {
                    let Some((index, part)) = name
                        .strip_prefix('q')
                        .and_then(|rest| rest.split_once('_'))
                        .and_then(|(i, part)| Some((i.parse::<usize>().ok()?, part)))
                    else {
                        continue;
                    };
                    let Some(draft) = form.questions.get_mut(index) else {
                        continue;
                    };
                    match part {
                        "prompt" => draft.prompt = value.clone(),
                        "kind" => draft.kind = value.clone(),
                        "options" => draft.options = value.clone(),
                        "required" => draft.required = !value.is_empty(),
                        _ => {}
                    }
                }
            }
        }
        form
    }

    /// A blank form: opening today, closing in four weeks.
    pub fn blank(now: i64) -> SurveyForm {
        let today = uk_date(now);
        SurveyForm {
            opens: today.format("%Y-%m-%d").to_string(),
            closes: (today + chrono::Days::new(28))
                .format("%Y-%m-%d")
                .to_string(),
            questions: vec![QuestionDraft::default(); MAX_QUESTIONS],
            ..SurveyForm::default()
        }
    }
}

fn uk_date(at: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

/// A date as people type it: `2026-12-31`, `31/12/2026`, `31-12-2026` or `31.12.2026`; none
/// outside the years 2000 to 2100 (chrono reads a year of any length, which date arithmetic
/// then cannot hold).
fn parse_date(text: &str) -> Option<NaiveDate> {
    use chrono::Datelike;
    let text = text.trim();
    ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .filter(|date| (2000..=2100).contains(&date.year()))
}

/// The start of `date` in the UK (`end`: the start of the next day).
fn uk_instant(date: NaiveDate, end: bool) -> i64 {
    let date = if end {
        date + chrono::Days::new(1)
    } else {
        date
    };
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::London
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc().timestamp(), |t| t.timestamp())
}

/// Text from a form without control characters but new lines, trimmed.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Checks the builder form into a new survey for `staff`'s organisation.
pub fn check(
    form: &SurveyForm,
    staff: &StaffMember,
    now: i64,
) -> Result<NewSurvey, Vec<SurveyProblem>> {
    let mut problems = Vec::new();
    let whole = |message: &str| SurveyProblem {
        question: None,
        message: message.to_owned(),
    };
    let title = clean(&form.title).replace('\n', " ");
    if title.is_empty() {
        problems.push(whole("Give the survey a title"));
    } else if title.chars().count() > MAX_TITLE {
        problems.push(whole(&format!(
            "The title can be at most {MAX_TITLE} characters"
        )));
    }
    let introduction = clean(&form.introduction);
    if introduction.chars().count() > MAX_INTRODUCTION {
        problems.push(whole(&format!(
            "The introduction can be at most {MAX_INTRODUCTION} characters"
        )));
    }
    let opens = if form.opens.trim().is_empty() {
        Some(uk_date(now))
    } else {
        parse_date(&form.opens)
    };
    let closes = parse_date(&form.closes);
    match (opens, closes) {
        (None, _) => problems.push(whole(
            "Give the opening date as a date, like 2027-01-31 or 31/01/2027",
        )),
        (_, None) => problems.push(whole(
            "Give the closing date as a date, like 2027-01-31 or 31/01/2027",
        )),
        (Some(opens), Some(closes)) if closes < opens => problems.push(whole(
            "The closing date must be on or after the opening date",
        )),
        (_, Some(closes)) if uk_instant(closes, true) <= now => {
            problems.push(whole("The closing date has passed: choose a later one"))
        }
        _ => {}
    }
    let questions = match questions_from_drafts(&form.questions) {
        Ok(questions) => questions,
        Err(problem) => {
            problems.push(problem);
            Vec::new()
        }
    };
    match (problems.is_empty(), opens, closes) {
        (true, Some(opens), Some(closes)) => Ok(NewSurvey {
            provider_id: staff.provider_id,
            created_by: Some(staff.id),
            title,
            introduction,
            opens_at: uk_instant(opens, false),
            closes_at: uk_instant(closes, true),
            anonymous: form.anonymous,
            public_page: form.public_page,
            questions,
        }),
        _ => Err(problems),
    }
}

/// Builds a survey for `staff`'s organisation; its id.
pub async fn create(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    form: &SurveyForm,
) -> Result<i64, SurveyError> {
    let now = chrono::Utc::now().timestamp();
    let survey = check(form, staff, now).map_err(SurveyError::Invalid)?;
    let id = ctx.store.insert_survey(&survey, now).await?;
    audit(
        ctx,
        actor,
        "build-survey",
        &format!("survey {id}"),
        &survey.title,
        false,
    )
    .await?;
    Ok(id)
}

/// The surveys `staff` may see: their organisation's (an admin: every organisation's).
pub async fn list(ctx: &AppContext, staff: &StaffMember) -> anyhow::Result<Vec<Survey>> {
    let provider = (!staff.permissions.admin).then_some(staff.provider_id);
    Ok(ctx.store.surveys_of(provider).await?)
}

/// A survey `staff` may see (their organisation's, or any for an admin); a look at another
/// organisation's is refused and audited.
pub async fn for_staff(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
) -> Result<Survey, SurveyError> {
    let survey = ctx.store.survey(id).await?.ok_or(SurveyError::NotFound)?;
    if survey.provider_id != staff.provider_id && !staff.permissions.admin {
        audit(
            ctx,
            actor,
            "view-survey",
            &format!("survey {id}"),
            "another organisation's survey",
            true,
        )
        .await?;
        return Err(SurveyError::NotPermitted(
            "it is another organisation's survey".into(),
        ));
    }
    Ok(survey)
}

/// Publishes a survey's results at `/surveys/{id}/results`, or takes them down.
pub async fn publish(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    id: i64,
    published: bool,
) -> Result<(), SurveyError> {
    let survey = for_staff(ctx, actor, staff, id).await?;
    ctx.store.set_survey_published(id, published).await?;
    let action = if published {
        "publish-survey-results"
    } else {
        "unpublish-survey-results"
    };
    audit(
        ctx,
        actor,
        action,
        &format!("survey {id}"),
        &survey.title,
        false,
    )
    .await?;
    Ok(())
}

/// Whether a survey takes answers at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    NotYetOpen,
    Open,
    Closed,
}

pub fn window(survey: &Survey, now: i64) -> Window {
    if now < survey.opens_at {
        Window::NotYetOpen
    } else if now >= survey.closes_at {
        Window::Closed
    } else {
        Window::Open
    }
}

/// A survey's closing, in words: "Sunday 31 January 2027" (the last day answers are taken).
pub fn last_day(survey: &Survey) -> String {
    uk_date(survey.closes_at - 1)
        .format("%A %-d %B %Y")
        .to_string()
}

/// A survey's opening day, in words.
pub fn first_day(survey: &Survey) -> String {
    uk_date(survey.opens_at).format("%A %-d %B %Y").to_string()
}

/// What the sender's compose form is filled in with to send survey `id` with an alert: the
/// title and words inviting residents to answer; None if there is no such survey of the
/// sender's organisation that is still to close.
pub async fn alert_for(
    ctx: &AppContext,
    staff: &StaffMember,
    id: i64,
) -> anyhow::Result<Option<(Survey, String, String)>> {
    let Some(survey) = ctx.store.survey(id).await? else {
        return Ok(None);
    };
    if (survey.provider_id != staff.provider_id && !staff.permissions.admin)
        || window(&survey, chrono::Utc::now().timestamp()) == Window::Closed
    {
        return Ok(None);
    }
    let mut body = String::new();
    if !survey.introduction.is_empty() {
        body.push_str(&survey.introduction);
        body.push_str("\n\n");
    }
    body.push_str(&format!(
        "Please tell us what you think: the survey link in this email is yours alone, and takes {} minutes or less. You can answer until {}.",
        survey.questions.len().clamp(2, 10),
        last_day(&survey)
    ));
    Ok(Some((
        survey.clone(),
        format!("Survey: {}", survey.title),
        body,
    )))
}

/// Checks that an alert of `provider_id` may carry survey `id` (the same organisation's, not
/// closed); the problem in words otherwise.
pub async fn may_carry(
    ctx: &AppContext,
    provider_id: i64,
    id: i64,
) -> anyhow::Result<Result<(), String>> {
    let Some(survey) = ctx.store.survey(id).await? else {
        return Ok(Err(
            "The survey this alert was to carry no longer exists".into()
        ));
    };
    if survey.provider_id != provider_id {
        return Ok(Err(format!(
            "The survey \u{201c}{}\u{201d} is {}'s: send it from that organisation",
            survey.title, survey.provider_name
        )));
    }
    if window(&survey, chrono::Utc::now().timestamp()) == Window::Closed {
        return Ok(Err(format!(
            "The survey \u{201c}{}\u{201d} has closed",
            survey.title
        )));
    }
    Ok(Ok(()))
}

/// The survey an alert carries, for its staff page: (id, title).
pub async fn carried(ctx: &AppContext, alert: &Alert) -> anyhow::Result<Option<(i64, String)>> {
    let Some(id) = alert.survey_id else {
        return Ok(None);
    };
    Ok(ctx.store.survey(id).await?.map(|s| (s.id, s.title)))
}

/// Makes alert `alert_id` carry survey `survey_id`.
pub async fn attach(ctx: &AppContext, alert_id: i64, survey_id: i64) -> anyhow::Result<()> {
    ctx.store
        .set_alert_survey(alert_id, Some(survey_id))
        .await
        .context("attaching a survey to an alert")?;
    Ok(())
}

/// A resident's survey through an alert's link: the survey, whether it takes answers, and what
/// they answered (None for each question they left; all None in an anonymous survey).
pub struct ResidentSurvey {
    pub survey: Survey,
    /// Answering through the public page as an email address (not a signed-up resident).
    pub by_email: bool,
    pub window: Window,
    pub answered: Answered,
    pub answers: Vec<Option<Answer>>,
}

/// The survey the alert carries, for the resident the link is for.
pub async fn for_resident(
    ctx: &AppContext,
    alert: &Alert,
    subscriber: &Subscriber,
) -> anyhow::Result<Option<ResidentSurvey>> {
    let Some(id) = alert.survey_id else {
        return Ok(None);
    };
    if subscriber.status != crate::store::SubscriberStatus::Active {
        // Their link outlives their leaving; their say does not.
        return Ok(None);
    }
    let Some(survey) = ctx.store.survey(id).await? else {
        return Ok(None);
    };
    let answered = ctx
        .store
        .answered(id, &Respondent::Resident(subscriber.id))
        .await?;
    let answers = decoded(
        &survey.questions,
        match &answered {
            Answered::With(answers) => answers,
            _ => &[],
        },
    );
    Ok(Some(ResidentSurvey {
        by_email: false,
        window: window(&survey, chrono::Utc::now().timestamp()),
        survey,
        answered,
        answers,
    }))
}

/// A survey for someone answering through its public page with their confirmed address's
/// key: as `for_resident`.
pub async fn for_public(
    ctx: &AppContext,
    survey: Survey,
    respondent: &Respondent,
) -> anyhow::Result<ResidentSurvey> {
    let answered = ctx.store.answered(survey.id, respondent).await?;
    let answers = decoded(
        &survey.questions,
        match &answered {
            Answered::With(answers) => answers,
            _ => &[],
        },
    );
    Ok(ResidentSurvey {
        by_email: matches!(respondent, Respondent::Email(_)),
        window: window(&survey, chrono::Utc::now().timestamp()),
        survey,
        answered,
        answers,
    })
}

/// Stored answers by position, decoded for each question (None where missing or no longer
/// fitting the question).
fn decoded(questions: &[Question], stored: &[(usize, String)]) -> Vec<Option<Answer>> {
    questions
        .iter()
        .enumerate()
        .map(|(position, question)| {
            stored
                .iter()
                .find(|(p, _)| *p == position)
                .and_then(|(_, text)| Answer::decode(question.kind, question.options.len(), text))
        })
        .collect()
}

/// Why a resident's answer was not kept.
#[derive(Debug)]
pub enum NotKept {
    /// The form's problems, each for its question.
    Problems(Vec<AnswerProblem>),
    NotYetOpen,
    Closed,
    /// An anonymous survey they answered already.
    AlreadyAnswered,
}

/// Where a respondent answers from: a resident's first place's district, or the district of
/// the postcode given on the public page.
pub enum Answerer<'a> {
    Resident(&'a Subscriber),
    /// Through the public page: the respondent its link is for, and the district of the
    /// postcode they gave.
    PublicPage {
        respondent: Respondent,
        district: String,
    },
}

/// Keeps a respondent's answers to a survey.
pub async fn answer(
    ctx: &AppContext,
    current: &ResidentSurvey,
    from: Answerer<'_>,
    fields: &[(String, String)],
) -> anyhow::Result<Result<Kept, NotKept>> {
    let survey = &current.survey;
    let now = chrono::Utc::now().timestamp();
    match window(survey, now) {
        Window::NotYetOpen => return Ok(Err(NotKept::NotYetOpen)),
        Window::Closed => return Ok(Err(NotKept::Closed)),
        Window::Open => {}
    }
    let answers = match answers_from_form(&survey.questions, fields) {
        Ok(answers) => answers,
        Err(problems) => return Ok(Err(NotKept::Problems(problems))),
    };
    let encoded: Vec<(usize, String)> = answers
        .iter()
        .enumerate()
        .filter_map(|(position, answer)| answer.as_ref().map(|a| (position, a.encode())))
        .collect();
    if encoded.is_empty() {
        // Every question is optional and none was answered: nothing to keep.
        return Ok(Err(NotKept::Problems(vec![AnswerProblem {
            question: 0,
            message: "Answer at least one question".into(),
        }])));
    }
    let (respondent, district) = match from {
        Answerer::Resident(subscriber) => (
            Respondent::Resident(subscriber.id),
            ctx.store
                .subscriber_district(subscriber.id)
                .await?
                .unwrap_or_default(),
        ),
        Answerer::PublicPage {
            respondent,
            district,
        } => (respondent, district),
    };
    // An anonymous answer keeps only the day (UK time) it was given.
    let at = if survey.anonymous {
        crate::domain::conversation::figures::uk_midnight(uk_date(now))
    } else {
        now
    };
    let kept = ctx
        .store
        .keep_response(
            survey.id,
            &respondent,
            survey.anonymous,
            &district,
            &encoded,
            at,
        )
        .await?;
    tracing::info!(survey = survey.id, "survey answered");
    Ok(match kept {
        Kept::AlreadyAnswered => Err(NotKept::AlreadyAnswered),
        kept => Ok(kept),
    })
}

/// One question's results.
pub struct QuestionResult {
    pub number: usize,
    pub question: Question,
    pub tally: Tally,
    /// Rows for a table and a bar chart: (label, count, percentage of those who answered, or
    /// for a ranking its average position in tenths).
    pub rows: Vec<ResultRow>,
    /// The free-text answers shown (those matching the search, when there is one).
    pub texts: Vec<String>,
    /// By district: (district name, how many answered there, the top option or the average, in
    /// words).
    pub by_district: Vec<(String, u32, String)>,
    /// Published results only: too few answered this question for its answers to be shown.
    pub withheld: bool,
}

pub struct ResultRow {
    pub label: String,
    pub count: u32,
    pub percent: u32,
    /// What the row says in words ("12 (40%)", "average position 1.8").
    pub value: String,
}

/// A survey's results: every question's, of the responses from `district` (a code; None for
/// all), free text narrowed to answers holding `search` (any case).
pub struct Results {
    pub responses: usize,
    /// Every district answers came from: (code, name, how many).
    pub districts: Vec<(String, String, usize)>,
    pub questions: Vec<QuestionResult>,
}

/// The results of `survey` from its stored responses.
pub fn results(
    survey: &Survey,
    stored: &[StoredResponse],
    district: Option<&str>,
    search: Option<&str>,
) -> Results {
    let mut districts: Vec<(String, String, usize)> = Vec::new();
    for response in stored {
        match districts
            .iter_mut()
            .find(|(code, _, _)| *code == response.district_code)
        {
            Some(entry) => entry.2 += 1,
            None => districts.push((
                response.district_code.clone(),
                if response.district_name.is_empty() {
                    "District not known".to_owned()
                } else {
                    response.district_name.clone()
                },
                1,
            )),
        }
    }
    districts.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    let decoded_all: Vec<(String, Vec<Option<Answer>>)> = stored
        .iter()
        .map(|r| {
            (
                r.district_code.clone(),
                decoded(&survey.questions, &r.answers),
            )
        })
        .collect();
    let chosen: Vec<&Vec<Option<Answer>>> = decoded_all
        .iter()
        .filter(|(code, _)| district.is_none_or(|d| d == code))
        .map(|(_, answers)| answers)
        .collect();
    let needle = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let questions = survey
        .questions
        .iter()
        .enumerate()
        .map(|(position, question)| {
            let tally = survey::tally(
                question,
                chosen
                    .iter()
                    .filter_map(|answers| answers.get(position)?.as_ref()),
            );
            let rows = rows_of(question, &tally);
            let texts = match &tally {
                Tally::Text { answers } => answers
                    .iter()
                    .filter(|text| {
                        needle
                            .as_ref()
                            .is_none_or(|n| text.to_lowercase().contains(n.as_str()))
                    })
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            let by_district = if question.kind == QuestionKind::Text {
                Vec::new()
            } else {
                districts
                    .iter()
                    .map(|(code, name, _)| {
                        let there = survey::tally(
                            question,
                            decoded_all
                                .iter()
                                .filter(|(c, _)| c == code)
                                .filter_map(|(_, answers)| answers.get(position)?.as_ref()),
                        );
                        let (answered, summary) = summary(question, &there);
                        (name.clone(), answered, summary)
                    })
                    .collect()
            };
            QuestionResult {
                number: position + 1,
                question: question.clone(),
                tally,
                rows,
                texts,
                by_district,
                withheld: false,
            }
        })
        .collect();
    Results {
        responses: chosen.len(),
        districts,
        questions,
    }
}

fn rows_of(question: &Question, tally: &Tally) -> Vec<ResultRow> {
    match tally {
        Tally::Choices { answered, counts } => question
            .options
            .iter()
            .zip(counts)
            .map(|(label, count)| {
                let percent = survey::percent(*count, *answered);
                ResultRow {
                    label: label.clone(),
                    count: *count,
                    percent,
                    value: format!("{count} ({percent}%)"),
                }
            })
            .collect(),
        Tally::Ranking {
            answered,
            average_position,
            first,
        } => {
            let options = question.options.len().max(1) as f64;
            let mut rows: Vec<(f64, ResultRow)> = question
                .options
                .iter()
                .zip(average_position.iter().zip(first))
                .map(|(label, (average, first))| {
                    // The bar: how near the top it came (first on average: a full bar).
                    let percent = if *answered == 0 {
                        0
                    } else {
                        (((options - average + 1.0) / options) * 100.0).round() as u32
                    };
                    (
                        *average,
                        ResultRow {
                            label: label.clone(),
                            count: *first,
                            percent,
                            value: format!(
                                "average place {average:.1}, first for {first} ({}%)",
                                survey::percent(*first, *answered)
                            ),
                        },
                    )
                })
                .collect();
            if *answered > 0 {
                rows.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
            rows.into_iter().map(|(_, row)| row).collect()
        }
        Tally::Rating {
            answered, counts, ..
        } => (1..=5)
            .zip(counts)
            .map(|(stars, count)| {
                let percent = survey::percent(*count, *answered);
                ResultRow {
                    label: format!("{stars} out of 5"),
                    count: *count,
                    percent,
                    value: format!("{count} ({percent}%)"),
                }
            })
            .collect(),
        Tally::Text { .. } => Vec::new(),
    }
}

/// A question's answers in one district, in a few words: how many answered, and the top
/// option, the first in order, or the average rating.
fn summary(question: &Question, tally: &Tally) -> (u32, String) {
    match tally {
        Tally::Choices { answered, counts } => {
            let top = counts
                .iter()
                .enumerate()
                .max_by_key(|(i, count)| (**count, std::cmp::Reverse(*i)))
                .filter(|(_, count)| **count > 0)
                .and_then(|(i, count)| {
                    Some(format!(
                        "{} ({}%)",
                        question.options.get(i)?,
                        survey::percent(*count, *answered)
                    ))
                });
            (*answered, top.unwrap_or_else(|| "No answers".into()))
        }
        Tally::Ranking {
            answered,
            average_position,
            ..
        } => {
            let top = average_position
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .filter(|_| *answered > 0)
                .and_then(|(i, average)| {
                    Some(format!(
                        "{} (average place {average:.1})",
                        question.options.get(i)?
                    ))
                });
            (*answered, top.unwrap_or_else(|| "No answers".into()))
        }
        Tally::Rating {
            answered, average, ..
        } => (
            *answered,
            if *answered == 0 {
                "No answers".into()
            } else {
                format!("average {average:.1} out of 5")
            },
        ),
        Tally::Text { answers } => (answers.len() as u32, String::new()),
    }
}

/// A survey's results for its organisation's staff: everything, free text included.
pub async fn staff_results(
    ctx: &AppContext,
    survey: &Survey,
    district: Option<&str>,
    search: Option<&str>,
) -> anyhow::Result<Results> {
    let stored = staff_responses(ctx, survey).await?;
    Ok(results(survey, &stored, district, search))
}

/// What staff read of a survey's responses. In an anonymous survey, the responses of districts
/// where fewer than `SHOWN_FROM` answered are pooled as one "other districts", so that no
/// district of one or two answers points at who gave them.
async fn staff_responses(ctx: &AppContext, survey: &Survey) -> anyhow::Result<Vec<StoredResponse>> {
    let mut stored = ctx.store.survey_responses(survey.id).await?;
    if survey.anonymous {
        let mut per_district: std::collections::HashMap<String, usize> = Default::default();
        for response in &stored {
            *per_district
                .entry(response.district_code.clone())
                .or_default() += 1;
        }
        for response in &mut stored {
            if per_district
                .get(&response.district_code)
                .copied()
                .unwrap_or(0)
                < SHOWN_FROM
            {
                response.district_code = OTHER_DISTRICTS.0.to_owned();
                response.district_name = OTHER_DISTRICTS.1.to_owned();
            }
        }
    }
    Ok(stored)
}

/// The code and name anonymous responses of small districts are pooled under.
pub const OTHER_DISTRICTS: (&str, &str) = ("other", "Other districts (fewer than 5 answers each)");

/// Every response as CSV, one row each: the day answered, the district and every answer in
/// words. Audited: it is the residents' answers leaving Beacon.
pub async fn csv(ctx: &AppContext, actor: &Actor<'_>, survey: &Survey) -> anyhow::Result<String> {
    let stored = staff_responses(ctx, survey).await?;
    let mut rows: Vec<ResponseRow> = stored
        .iter()
        .map(|r| ResponseRow {
            answered_on: uk_date(r.answered_at).format("%Y-%m-%d").to_string(),
            district: r.district_name.clone(),
            answers: decoded(&survey.questions, &r.answers),
        })
        .collect();
    if survey.anonymous {
        // Not in the order they came: by district, day and answers.
        rows.sort_by(|a, b| {
            (&a.district, &a.answered_on)
                .cmp(&(&b.district, &b.answered_on))
                .then_with(|| format!("{:?}", a.answers).cmp(&format!("{:?}", b.answers)))
        });
    }
    audit(
        ctx,
        actor,
        "download-survey-answers",
        &format!("survey {}", survey.id),
        &format!("{} responses", rows.len()),
        false,
    )
    .await?;
    Ok(survey::csv(&survey.questions, &rows))
}

/// The fewest answers published results show, in a district or to a question: fewer could tell
/// who answered what.
pub const SHOWN_FROM: usize = 5;

/// A survey whose results are published, with its results, or None. What is published is
/// counted only from districts where at least `SHOWN_FROM` answered (so no total, less the
/// districts shown, gives a smaller district's answers away); a question fewer answered is
/// withheld; free text is left out (residents' own words are for staff). The flag says too few
/// answered (in the survey, or the district asked for) for any result to be shown.
pub async fn published(
    ctx: &AppContext,
    id: i64,
    district: Option<&str>,
) -> anyhow::Result<Option<(Survey, Results, bool)>> {
    let Some(survey) = ctx.store.survey(id).await?.filter(|s| s.published) else {
        return Ok(None);
    };
    let mut stored = ctx.store.survey_responses(id).await?;
    let mut per_district: std::collections::HashMap<String, usize> = Default::default();
    for response in &stored {
        *per_district
            .entry(response.district_code.clone())
            .or_default() += 1;
    }
    stored.retain(|r| per_district.get(&r.district_code).copied().unwrap_or(0) >= SHOWN_FROM);
    let mut results = results(&survey, &stored, district, None);
    results
        .questions
        .retain(|q| q.question.kind != QuestionKind::Text);
    for question in &mut results.questions {
        question
            .by_district
            .retain(|(_, answered, _)| *answered as usize >= SHOWN_FROM);
        let answered = match &question.tally {
            Tally::Choices { answered, .. }
            | Tally::Ranking { answered, .. }
            | Tally::Rating { answered, .. } => *answered as usize,
            Tally::Text { answers } => answers.len(),
        };
        if answered < SHOWN_FROM {
            question.withheld = true;
            question.rows.clear();
            question.by_district.clear();
        }
    }
    let too_few = results.responses < SHOWN_FROM;
    if too_few {
        results.questions.clear();
    }
    Ok(Some((survey, results, too_few)))
}

/// A resident's answers to surveys that are not anonymous, for their data download: (survey,
/// when, question and answer in words).
pub async fn resident_answers(
    ctx: &AppContext,
    subscriber_id: i64,
) -> anyhow::Result<Vec<(String, i64, Vec<(String, String)>)>> {
    Ok(ctx
        .store
        .subscriber_survey_answers(subscriber_id)
        .await?
        .into_iter()
        .map(|(title, at, answers)| {
            let answers = answers
                .into_iter()
                .map(|(question, stored)| {
                    let words = Answer::decode(question.kind, question.options.len(), &stored)
                        .map_or(stored, |answer| answer.describe(&question));
                    (question.prompt, words)
                })
                .collect();
            (title, at, answers)
        })
        .collect())
}

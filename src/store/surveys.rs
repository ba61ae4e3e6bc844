//! Surveys of residents: the surveys staff build with their questions, the alert a survey is
//! sent with, and the responses residents give (one each, kept apart from who gave it in an
//! anonymous survey).

use super::{StoreResult, Timestamp};
use crate::domain::survey::{Question, QuestionKind};
use async_trait::async_trait;

/// A survey as staff built it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSurvey {
    pub provider_id: i64,
    pub created_by: Option<i64>,
    pub title: String,
    pub introduction: String,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    pub anonymous: bool,
    /// Anyone in the force area may answer through its public page.
    pub public_page: bool,
    pub questions: Vec<Question>,
}

/// A stored survey with its questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub title: String,
    pub introduction: String,
    pub opens_at: Timestamp,
    pub closes_at: Timestamp,
    pub anonymous: bool,
    pub public_page: bool,
    pub published: bool,
    pub created_at: Timestamp,
    pub questions: Vec<Question>,
    /// How many residents have answered.
    pub responses: i64,
}

/// A resident's response as stored: the district they answered from (its code and name, both
/// empty when not known), when, and the encoded answers by question position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub id: i64,
    pub district_code: String,
    pub district_name: String,
    pub answered_at: Timestamp,
    pub answers: Vec<(usize, String)>,
}

/// Who answers: a resident through their alert's link, or someone who confirmed their email
/// address on the survey's public page (its keyed hash, never the address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Respondent {
    Resident(i64),
    Email(String),
}

impl Respondent {
    /// The column of `survey_responses` naming them, and the table keeping who answered an
    /// anonymous survey, with its column.
    pub(crate) fn columns(&self) -> (&'static str, &'static str, &'static str) {
        match self {
            Respondent::Resident(_) => ("subscriber_id", "survey_respondents", "subscriber_id"),
            Respondent::Email(_) => (
                "respondent_key",
                "survey_public_respondents",
                "respondent_key",
            ),
        }
    }
}

/// A query with `respondent` (a `Respondent`) bound as its next parameter.
macro_rules! bind_respondent {
    ($query:expr, $respondent:expr) => {
        match $respondent {
            $crate::store::Respondent::Resident(id) => $query.bind(*id),
            $crate::store::Respondent::Email(key) => $query.bind(key.as_str()),
        }
    };
}

/// What a resident has answered of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    No,
    /// An anonymous survey: that they answered is known, not what.
    Anonymously,
    /// Their encoded answers by question position.
    With(Vec<(usize, String)>),
}

/// How a response was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Their first response.
    Stored,
    /// It replaced their earlier response.
    Changed,
    /// An anonymous survey they have answered already: nothing was stored.
    AlreadyAnswered,
}

#[async_trait]
pub trait Surveys: Send + Sync {
    /// Stores a survey and its questions as one transaction; its id.
    async fn insert_survey(&self, survey: &NewSurvey, now: Timestamp) -> StoreResult<i64>;
    /// A survey with its questions and how many have answered.
    async fn survey(&self, id: i64) -> StoreResult<Option<Survey>>;
    /// The surveys of an organisation (all organisations' for `None`), newest first, without
    /// their questions.
    async fn surveys_of(&self, provider_id: Option<i64>) -> StoreResult<Vec<Survey>>;
    /// Publishes a survey's results or takes them down; false if there is no such survey.
    async fn set_survey_published(&self, id: i64, published: bool) -> StoreResult<bool>;
    /// The survey an alert carries (None to carry none); false if there is no such alert.
    async fn set_alert_survey(&self, alert_id: i64, survey_id: Option<i64>) -> StoreResult<bool>;
    /// The district code of a resident's first place, if its postcode is known.
    async fn subscriber_district(&self, subscriber_id: i64) -> StoreResult<Option<String>>;
    /// What a respondent has answered of a survey.
    async fn answered(&self, survey_id: i64, respondent: &Respondent) -> StoreResult<Answered>;
    /// Keeps a respondent's response, as one transaction: in a survey that is not anonymous it
    /// replaces their earlier one; in an anonymous survey the response is stored with no
    /// respondent (and `now` should be only the day), and that they answered is kept apart,
    /// once.
    async fn keep_response(
        &self,
        survey_id: i64,
        respondent: &Respondent,
        anonymous: bool,
        district_code: &str,
        answers: &[(usize, String)],
        now: Timestamp,
    ) -> StoreResult<Kept>;
    /// Every response to a survey, oldest first.
    async fn survey_responses(&self, survey_id: i64) -> StoreResult<Vec<StoredResponse>>;
    /// A resident's responses to surveys that are not anonymous, for their data download:
    /// (survey title, when, each question answered with its encoded answer).
    async fn subscriber_survey_answers(
        &self,
        subscriber_id: i64,
    ) -> StoreResult<Vec<(String, Timestamp, Vec<(Question, String)>)>>;
}

/// A survey row as read, before its questions are added.
#[derive(sqlx::FromRow)]
pub(crate) struct SurveyRow {
    pub(crate) id: i64,
    pub(crate) provider_id: i64,
    pub(crate) provider_name: String,
    pub(crate) title: String,
    pub(crate) introduction: String,
    pub(crate) opens_at: Timestamp,
    pub(crate) closes_at: Timestamp,
    pub(crate) anonymous: bool,
    pub(crate) public_page: bool,
    pub(crate) published: bool,
    pub(crate) created_at: Timestamp,
    pub(crate) responses: i64,
}

impl SurveyRow {
    pub(crate) fn with(self, questions: Vec<Question>) -> Survey {
        Survey {
            id: self.id,
            provider_id: self.provider_id,
            provider_name: self.provider_name,
            title: self.title,
            introduction: self.introduction,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            anonymous: self.anonymous,
            public_page: self.public_page,
            published: self.published,
            created_at: self.created_at,
            questions,
            responses: self.responses,
        }
    }
}

/// A question row as read: an unknown kind (a newer Beacon's) is read as free text.
pub(crate) fn question_of(prompt: String, kind: &str, options: &str, required: bool) -> Question {
    let kind = QuestionKind::parse(kind).unwrap_or(QuestionKind::Text);
    Question {
        prompt,
        kind,
        options: if kind.has_options() {
            options.lines().map(str::to_owned).collect()
        } else {
            Vec::new()
        },
        required,
    }
}

/// The columns of a survey row with its provider's name and its number of responses.
pub(crate) const SURVEY_COLUMNS: &str = "s.id, s.provider_id, p.name AS provider_name, s.title, \
     s.introduction, s.opens_at, s.closes_at, s.anonymous, s.public_page, s.published, s.created_at, \
     (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) AS responses";

/// Implements `Surveys` for a backend's store with the SQL both backends share.
macro_rules! impl_surveys {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Surveys for $store {
            async fn insert_survey(
                &self,
                survey: &$crate::store::NewSurvey,
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<i64> {
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO surveys (provider_id, created_by, title, introduction, opens_at, \
                     closes_at, anonymous, public_page, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                )
                .bind(survey.provider_id)
                .bind(survey.created_by)
                .bind(&survey.title)
                .bind(&survey.introduction)
                .bind(survey.opens_at)
                .bind(survey.closes_at)
                .bind(survey.anonymous)
                .bind(survey.public_page)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for (position, question) in survey.questions.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO survey_questions (survey_id, position, prompt, kind, options, \
                         required) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(&question.prompt)
                    .bind(question.kind.code())
                    .bind(question.options.join("\n"))
                    .bind(question.required)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn survey(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::Survey>> {
                let row: Option<$crate::store::surveys::SurveyRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM surveys s JOIN providers p ON p.id = s.provider_id \
                     WHERE s.id = $1",
                    $crate::store::surveys::SURVEY_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                let questions: Vec<(String, String, String, bool)> = sqlx::query_as(
                    "SELECT prompt, kind, options, required FROM survey_questions \
                     WHERE survey_id = $1 ORDER BY position",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                let questions = questions
                    .into_iter()
                    .map(|(prompt, kind, options, required)| {
                        $crate::store::surveys::question_of(prompt, &kind, &options, required)
                    })
                    .collect();
                Ok(Some(row.with(questions)))
            }

            async fn surveys_of(
                &self,
                provider_id: Option<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Survey>> {
                let rows: Vec<$crate::store::surveys::SurveyRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM surveys s JOIN providers p ON p.id = s.provider_id \
                     WHERE ($1 IS NULL OR s.provider_id = $1) ORDER BY s.id DESC LIMIT 500",
                    $crate::store::surveys::SURVEY_COLUMNS
                ))
                .bind(provider_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|row| row.with(Vec::new())).collect())
            }

            async fn set_survey_published(
                &self,
                id: i64,
                published: bool,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE surveys SET published = $2 WHERE id = $1")
                    .bind(id)
                    .bind(published)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_alert_survey(
                &self,
                alert_id: i64,
                survey_id: Option<i64>,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("UPDATE alerts SET survey_id = $2 WHERE id = $1")
                    .bind(alert_id)
                    .bind(survey_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn subscriber_district(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT pc.district_code FROM subscriber_places sp \
                     JOIN postcodes pc ON pc.postcode = sp.postcode \
                     WHERE sp.subscriber_id = $1 AND pc.district_code IS NOT NULL \
                     ORDER BY sp.position LIMIT 1",
                )
                .bind(subscriber_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn answered(
                &self,
                survey_id: i64,
                respondent: &$crate::store::Respondent,
            ) -> $crate::store::StoreResult<$crate::store::Answered> {
                let (column, respondents, respondents_column) = respondent.columns();
                let sql = format!(
                    "SELECT survey_id FROM {respondents} WHERE survey_id = $1 AND {respondents_column} = $2"
                );
                let query = sqlx::query_scalar(&sql).bind(survey_id);
                let anonymously: Option<i64> = bind_respondent!(query, respondent)
                    .fetch_optional(&self.pool)
                    .await?;
                if anonymously.is_some() {
                    return Ok($crate::store::Answered::Anonymously);
                }
                let sql =
                    format!("SELECT id FROM survey_responses WHERE survey_id = $1 AND {column} = $2");
                let query = sqlx::query_scalar(&sql).bind(survey_id);
                let response: Option<i64> = bind_respondent!(query, respondent)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(response) = response else {
                    return Ok($crate::store::Answered::No);
                };
                let answers: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT position, answer FROM survey_answers WHERE response_id = $1 \
                     ORDER BY position",
                )
                .bind(response)
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::store::Answered::With(
                    answers
                        .into_iter()
                        .map(|(position, answer)| (position as usize, answer))
                        .collect(),
                ))
            }

            async fn keep_response(
                &self,
                survey_id: i64,
                respondent: &$crate::store::Respondent,
                anonymous: bool,
                district_code: &str,
                answers: &[(usize, String)],
                now: $crate::store::Timestamp,
            ) -> $crate::store::StoreResult<$crate::store::Kept> {
                let (column, respondents, respondents_column) = respondent.columns();
                let mut tx = self.pool.begin().await?;
                let kept;
                let response: i64 = if anonymous {
                    // Who answered is kept apart, once: a second answer stores nothing.
                    let sql = format!(
                        "INSERT INTO {respondents} (survey_id, {respondents_column}) VALUES ($1, $2) \
                         ON CONFLICT DO NOTHING"
                    );
                    let query = sqlx::query(&sql).bind(survey_id);
                    let first = bind_respondent!(query, respondent)
                        .execute(&mut *tx)
                        .await?;
                    if first.rows_affected() == 0 {
                        return Ok($crate::store::Kept::AlreadyAnswered);
                    }
                    kept = $crate::store::Kept::Stored;
                    sqlx::query_scalar(
                        "INSERT INTO survey_responses (survey_id, district_code, answered_at) \
                         VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(survey_id)
                    .bind(district_code)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                } else {
                    // One row a respondent: a second answer (even one sent at the same moment)
                    // takes the first one's row, and its answers replace the first's.
                    // Written first, so that on SQLite this transaction holds the write lock
                    // before it reads (a read first could not be upgraded when another answer
                    // wrote meanwhile); it also says whether there was an earlier response.
                    let sql = format!(
                        "UPDATE survey_responses SET answered_at = answered_at \
                         WHERE survey_id = $1 AND {column} = $2"
                    );
                    let query = sqlx::query(&sql).bind(survey_id);
                    let earlier = bind_respondent!(query, respondent)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        > 0;
                    let sql = format!(
                        "INSERT INTO survey_responses (survey_id, {column}, district_code, answered_at) \
                         VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (survey_id, {column}) WHERE {column} IS NOT NULL \
                         DO UPDATE SET district_code = excluded.district_code, \
                         answered_at = excluded.answered_at RETURNING id"
                    );
                    let query = sqlx::query_scalar(&sql).bind(survey_id);
                    let id: i64 = bind_respondent!(query, respondent)
                        .bind(district_code)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM survey_answers WHERE response_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    kept = if earlier {
                        $crate::store::Kept::Changed
                    } else {
                        $crate::store::Kept::Stored
                    };
                    id
                };
                for (position, answer) in answers {
                    sqlx::query(
                        "INSERT INTO survey_answers (response_id, position, answer) \
                         VALUES ($1, $2, $3)",
                    )
                    .bind(response)
                    .bind(*position as i64)
                    .bind(answer)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(kept)
            }

            async fn survey_responses(
                &self,
                survey_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::StoredResponse>> {
                type Row = (i64, String, Option<String>, i64, Option<i64>, Option<String>);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT r.id, r.district_code, d.name, r.answered_at, a.position, a.answer \
                     FROM survey_responses r \
                     LEFT JOIN survey_answers a ON a.response_id = r.id \
                     LEFT JOIN districts d ON d.code = r.district_code \
                     WHERE r.survey_id = $1 ORDER BY r.id, a.position",
                )
                .bind(survey_id)
                .fetch_all(&self.pool)
                .await?;
                let mut responses: Vec<$crate::store::StoredResponse> = Vec::new();
                for (id, code, name, at, position, answer) in rows {
                    if responses.last().is_none_or(|r| r.id != id) {
                        responses.push($crate::store::StoredResponse {
                            id,
                            district_name: name.unwrap_or_else(|| code.clone()),
                            district_code: code,
                            answered_at: at,
                            answers: Vec::new(),
                        });
                    }
                    if let (Some(last), Some(position), Some(answer)) =
                        (responses.last_mut(), position, answer)
                    {
                        last.answers.push((position as usize, answer));
                    }
                }
                Ok(responses)
            }

            async fn subscriber_survey_answers(
                &self,
                subscriber_id: i64,
            ) -> $crate::store::StoreResult<
                Vec<(
                    String,
                    $crate::store::Timestamp,
                    Vec<($crate::domain::survey::Question, String)>,
                )>,
            > {
                type Row = (i64, String, i64, String, String, String, bool, String);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT r.id, s.title, r.answered_at, q.prompt, q.kind, q.options, q.required, \
                     a.answer FROM survey_responses r JOIN surveys s ON s.id = r.survey_id \
                     JOIN survey_answers a ON a.response_id = r.id \
                     JOIN survey_questions q ON q.survey_id = r.survey_id AND q.position = a.position \
                     WHERE r.subscriber_id = $1 ORDER BY r.id, a.position",
                )
                .bind(subscriber_id)
                .fetch_all(&self.pool)
                .await?;
                type Grouped = (i64, String, i64, Vec<($crate::domain::survey::Question, String)>);
                let mut out: Vec<Grouped> = Vec::new();
                for (id, title, at, prompt, kind, options, required, answer) in rows {
                    if out.last().is_none_or(|r| r.0 != id) {
                        out.push((id, title, at, Vec::new()));
                    }
                    let question =
                        $crate::store::surveys::question_of(prompt, &kind, &options, required);
                    if let Some(last) = out.last_mut() {
                        last.3.push((question, answer));
                    }
                }
                Ok(out
                    .into_iter()
                    .map(|(_, title, at, answers)| (title, at, answers))
                    .collect())
            }
        }
    };
}

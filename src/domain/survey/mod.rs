//! Surveys of residents: the kinds of question staff ask, the answers residents give, checked,
//! and the answers counted into results and written out as CSV. No I/O.

use super::thousands;

/// Questions one survey may have.
pub const MAX_QUESTIONS: usize = 12;
/// Choices one question may offer (a ranking: options to put in order).
pub const MAX_OPTIONS: usize = 12;
/// The longest free-text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 2_000;
/// The longest question, in characters.
pub const MAX_PROMPT: usize = 300;
/// The longest choice, in characters.
pub const MAX_OPTION: usize = 120;

/// What kind of answer a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum QuestionKind {
    /// One of the options.
    Single,
    /// Any number of the options.
    Multiple,
    /// Every option put in order, first the most important.
    Ranking,
    /// A rating from 1 to 5.
    Rating,
    /// Words of the resident's own, up to `MAX_TEXT_ANSWER` characters.
    Text,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 5] = [
        QuestionKind::Single,
        QuestionKind::Multiple,
        QuestionKind::Ranking,
        QuestionKind::Rating,
        QuestionKind::Text,
    ];

    /// As stored and in forms: `single`, `multiple`, `ranking`, `rating`, `text`.
    pub fn code(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::Ranking => "ranking",
            QuestionKind::Rating => "rating",
            QuestionKind::Text => "text",
        }
    }

    /// From its code (liberal: any case, surrounding spaces).
    pub fn parse(code: &str) -> Option<QuestionKind> {
        let code = code.trim();
        QuestionKind::ALL
            .into_iter()
            .find(|kind| kind.code().eq_ignore_ascii_case(code))
    }

    /// For staff choosing a kind: "One choice", "Several choices", "Put in order",
    /// "Rating from 1 to 5", "Free text".
    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::Single => "One choice",
            QuestionKind::Multiple => "Several choices",
            QuestionKind::Ranking => "Put in order",
            QuestionKind::Rating => "Rating from 1 to 5",
            QuestionKind::Text => "Free text",
        }
    }

    /// Whether the question offers options (single, multiple, ranking).
    pub fn has_options(self) -> bool {
        matches!(
            self,
            QuestionKind::Single | QuestionKind::Multiple | QuestionKind::Ranking
        )
    }
}

/// A question of a survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub prompt: String,
    pub kind: QuestionKind,
    /// The options, in the order staff gave them; empty for ratings and free text.
    pub options: Vec<String>,
    pub required: bool,
}

/// A question as staff filled it in on the survey builder's form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionDraft {
    pub prompt: String,
    /// A `QuestionKind` code.
    pub kind: String,
    /// The options, one a line.
    pub options: String,
    pub required: bool,
}

/// What is wrong with a survey staff wrote, in words for them: `question` is the question's
/// number counting from 1 (None: the survey as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyProblem {
    pub question: Option<usize>,
    pub message: String,
}

/// The questions of a survey from the builder's drafts. Liberal: a draft with neither question
/// nor options is an unused slot and skipped; options are trimmed, blank lines dropped and a
/// repeated option (any case) kept once; options given for a rating or free text are ignored;
/// control characters are removed. Refused: a draft with options but no question, a question
/// with options of fewer than two options or more than `MAX_OPTIONS`, an unknown kind, text
/// over the limits, no question at all or more than `MAX_QUESTIONS`.
pub fn questions_from_drafts(drafts: &[QuestionDraft]) -> Result<Vec<Question>, SurveyProblem> {
    let mut questions = Vec::new();
    for (slot, draft) in drafts.iter().enumerate() {
        let question = question_from_draft(draft).map_err(|message| SurveyProblem {
            question: Some(slot + 1),
            message,
        })?;
        questions.extend(question);
    }
    if questions.is_empty() {
        return Err(SurveyProblem {
            question: None,
            message: "Add at least one question".to_owned(),
        });
    }
    if questions.len() > MAX_QUESTIONS {
        return Err(SurveyProblem {
            question: None,
            message: format!(
                "A survey can have at most {MAX_QUESTIONS} questions, and this one has {}: \
                 please remove some",
                questions.len()
            ),
        });
    }
    Ok(questions)
}

/// A resident's answer to one question. Options are indexes into the question's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Choice(usize),
    /// In the options' order, each once.
    Choices(Vec<usize>),
    /// Every option, the first the most important.
    Ranking(Vec<usize>),
    /// 1 to 5.
    Rating(u8),
    Text(String),
}

impl Answer {
    /// As stored: a choice `2`, choices `0,3`, a ranking `3,0,1,2`, a rating `4`, text as is.
    pub fn encode(&self) -> String {
        match self {
            Answer::Choice(option) => option.to_string(),
            Answer::Choices(options) | Answer::Ranking(options) => options
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
            Answer::Rating(rating) => rating.to_string(),
            Answer::Text(text) => text.clone(),
        }
    }

    /// From what `encode` stored for a question of `kind` with `options` options; None if it
    /// does not fit the question (say the question was changed).
    pub fn decode(kind: QuestionKind, options: usize, stored: &str) -> Option<Answer> {
        match kind {
            QuestionKind::Single => index(stored)
                .filter(|&option| option < options)
                .map(Answer::Choice),
            QuestionKind::Multiple => {
                // Ticking nothing is no answer, so a stored answer has at least one option.
                let mut chosen = indexes(stored)?;
                if chosen.is_empty() || !distinct_below(&chosen, options) {
                    return None;
                }
                chosen.sort_unstable();
                Some(Answer::Choices(chosen))
            }
            QuestionKind::Ranking => {
                let order = indexes(stored)?;
                (order.len() == options && distinct_below(&order, options))
                    .then_some(Answer::Ranking(order))
            }
            QuestionKind::Rating => rating(stored).map(Answer::Rating),
            QuestionKind::Text => Some(Answer::Text(stored.to_owned())),
        }
    }

    /// In words for a person reading results or a CSV file: the option for a choice, options
    /// joined with "; " for several, "1. Speeding; 2. Drugs; …" for a ranking, the number for
    /// a rating, the text as it is.
    pub fn describe(&self, question: &Question) -> String {
        match self {
            Answer::Choice(option) => option_name(question, *option),
            Answer::Choices(options) => options
                .iter()
                .map(|&option| option_name(question, option))
                .collect::<Vec<_>>()
                .join("; "),
            Answer::Ranking(order) => order
                .iter()
                .enumerate()
                .map(|(place, &option)| format!("{}. {}", place + 1, option_name(question, option)))
                .collect::<Vec<_>>()
                .join("; "),
            Answer::Rating(rating) => rating.to_string(),
            Answer::Text(text) => text.clone(),
        }
    }
}

/// Why an answer to one question was refused, in words for the resident: `question` counts
/// from 0 (the index into the survey's questions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerProblem {
    pub question: usize,
    pub message: String,
}

/// A resident's answers from the answer form's fields (name, value pairs, in the order sent):
/// - single choice and rating: `q{i}` = the option's index / the rating 1–5;
/// - several choices: `q{i}` once for each option ticked (its index);
/// - ranking: `q{i}_{option index}` = the position given to that option, 1 to n;
/// - free text: `q{i}` = the words (trimmed; control characters other than new lines removed;
///   HTML kept as text, the pages escape it).
///
/// One entry for each question, None where it was not answered. Every problem is returned at
/// once: a required question unanswered ("Answer this question" / "Choose an option" …), an
/// option that is not one of the question's, a rating outside 1–5, a ranking giving one position
/// to two options ("2 is given to two options: give each a different place") or leaving some
/// out (a ranking either puts every option in order, or is left blank when not required),
/// free text over `MAX_TEXT_ANSWER` characters (saying how many it has).
pub fn answers_from_form(
    questions: &[Question],
    fields: &[(String, String)],
) -> Result<Vec<Option<Answer>>, Vec<AnswerProblem>> {
    let form = AnswerForm::read(fields);
    let mut answers = Vec::with_capacity(questions.len());
    let mut problems = Vec::new();
    for (number, question) in questions.iter().enumerate() {
        match answer_from_form(question, number, &form) {
            Ok(answer) => answers.push(answer),
            Err(message) => problems.push(AnswerProblem {
                question: number,
                message,
            }),
        }
    }
    if problems.is_empty() {
        Ok(answers)
    } else {
        Err(problems)
    }
}

/// One question's answers counted.
#[derive(Debug, Clone, PartialEq)]
pub enum Tally {
    /// Single and several choices: how many chose each option, of how many answered.
    Choices { answered: u32, counts: Vec<u32> },
    /// A ranking: the average position of each option (1 is first; 0.0 when none answered)
    /// and how many put each option first, of how many answered.
    Ranking {
        answered: u32,
        average_position: Vec<f64>,
        first: Vec<u32>,
    },
    /// How many gave each rating 1 to 5, and the average (0.0 when none answered).
    Rating {
        answered: u32,
        counts: [u32; 5],
        average: f64,
    },
    /// The free-text answers, in the order given.
    Text { answers: Vec<String> },
}

/// Counts `answers` (those given to `question`; answers of another kind are skipped).
pub fn tally<'a>(question: &Question, answers: impl IntoIterator<Item = &'a Answer>) -> Tally {
    let options = question.options.len();
    let answers = answers.into_iter().filter(|answer| fits(question, answer));
    match question.kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            let mut answered = 0;
            let mut counts = vec![0; options];
            for answer in answers {
                answered += 1;
                let chosen = match answer {
                    Answer::Choice(option) => std::slice::from_ref(option),
                    Answer::Choices(chosen) => chosen.as_slice(),
                    _ => &[],
                };
                for &option in chosen {
                    if let Some(count) = counts.get_mut(option) {
                        *count += 1;
                    }
                }
            }
            Tally::Choices { answered, counts }
        }
        QuestionKind::Ranking => {
            let mut answered = 0;
            let mut place_sums = vec![0_u64; options];
            let mut first = vec![0; options];
            for answer in answers {
                let Answer::Ranking(order) = answer else {
                    continue;
                };
                answered += 1;
                for (place, &option) in order.iter().enumerate() {
                    if let Some(sum) = place_sums.get_mut(option) {
                        *sum += place as u64 + 1;
                    }
                }
                if let Some(count) = order.first().and_then(|&option| first.get_mut(option)) {
                    *count += 1;
                }
            }
            let average_position = place_sums
                .into_iter()
                .map(|sum| average(sum, answered))
                .collect();
            Tally::Ranking {
                answered,
                average_position,
                first,
            }
        }
        QuestionKind::Rating => {
            let mut answered = 0;
            let mut counts = [0; 5];
            let mut sum = 0_u64;
            for answer in answers {
                let Answer::Rating(rating) = answer else {
                    continue;
                };
                if let Some(count) = counts.get_mut(usize::from(*rating).wrapping_sub(1)) {
                    answered += 1;
                    *count += 1;
                    sum += u64::from(*rating);
                }
            }
            Tally::Rating {
                answered,
                counts,
                average: average(sum, answered),
            }
        }
        QuestionKind::Text => Tally::Text {
            answers: answers
                .filter_map(|answer| match answer {
                    Answer::Text(text) => Some(text.clone()),
                    _ => None,
                })
                .collect(),
        },
    }
}

/// `count` of `of` as a whole percentage, rounded half up; 0 when `of` is 0.
pub fn percent(count: u32, of: u32) -> u32 {
    if of == 0 {
        return 0;
    }
    let (count, of) = (u64::from(count), u64::from(of));
    // count / of + 1/2, rounded down, in whole numbers.
    u32::try_from((count * 200 + of) / (of * 2)).unwrap_or(u32::MAX)
}

/// One response as a CSV row: when it was answered (a date), the resident's district, and the
/// answer to each question (None: not answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRow {
    pub answered_on: String,
    pub district: String,
    pub answers: Vec<Option<Answer>>,
}

/// The responses as CSV (RFC 4180, CRLF line ends): a header "Answered on,District," then each
/// question's prompt, and a row a response, answers in words (`Answer::describe`). A value a
/// spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) is prefixed with `'`.
pub fn csv(questions: &[Question], rows: &[ResponseRow]) -> String {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header = ["Answered on", "District"]
        .into_iter()
        .chain(questions.iter().map(|question| question.prompt.as_str()))
        .map(spreadsheet_safe);
    write_record(&mut writer, header);
    for row in rows {
        let answers = questions.iter().enumerate().map(|(number, question)| {
            row.answers
                .get(number)
                .and_then(Option::as_ref)
                .map(|answer| answer.describe(question))
                .unwrap_or_default()
        });
        let record = [row.answered_on.clone(), row.district.clone()]
            .into_iter()
            .chain(answers)
            .map(|value| spreadsheet_safe(&value));
        write_record(&mut writer, record);
    }
    let bytes = writer
        .into_inner()
        .expect("a CSV file written to memory cannot fail to flush");
    // Every field was a `String`, so the bytes are UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// One builder draft as a question: None for an unused slot, Err for what staff must put right.
fn question_from_draft(draft: &QuestionDraft) -> Result<Option<Question>, String> {
    let prompt = one_line(&draft.prompt);
    let options = option_lines(&draft.options);
    if prompt.is_empty() {
        if options.is_empty() {
            return Ok(None);
        }
        return Err("Write the question these options are for".to_owned());
    }
    let kind = QuestionKind::parse(&draft.kind)
        .ok_or_else(|| "Choose what kind of answer this question asks for".to_owned())?;
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT {
        return Err(format!(
            "Shorten the question to {MAX_PROMPT} characters or fewer (it has {})",
            thousands(chars as u64)
        ));
    }
    if !kind.has_options() {
        return Ok(Some(Question {
            prompt,
            kind,
            options: Vec::new(),
            required: draft.required,
        }));
    }
    if let Some(long) = options.iter().find(|o| o.chars().count() > MAX_OPTION) {
        return Err(format!(
            "Shorten each option to {MAX_OPTION} characters or fewer (“{}” has {})",
            beginning(long),
            thousands(long.chars().count() as u64)
        ));
    }
    if options.len() < 2 {
        return Err("Give at least two options, one a line".to_owned());
    }
    if options.len() > MAX_OPTIONS {
        return Err(format!(
            "Give at most {MAX_OPTIONS} options (there are {})",
            options.len()
        ));
    }
    Ok(Some(Question {
        prompt,
        kind,
        options,
        required: draft.required,
    }))
}

/// The options typed one a line: trimmed, blank lines dropped, each kept once whatever its case
/// (the first spelling wins).
fn option_lines(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(['\r', '\n'])
        .map(one_line)
        .filter(|option| !option.is_empty() && seen.insert(option.to_lowercase()))
        .collect()
}

/// Text meant for one line, without control characters. A tab or line break becomes a space
/// rather than vanishing, so the words either side of it stay apart.
fn one_line(text: &str) -> String {
    let line: String = text
        .chars()
        .filter_map(|c| match c {
            c if c.is_control() && c.is_whitespace() => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    line.trim().to_owned()
}

/// A resident's own words: line endings become LF whatever the browser sent, other control
/// characters go (a tab becoming a space), and surrounding blank space is trimmed.
fn answer_text(input: &str) -> String {
    let mut text = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                text.push('\n');
            }
            '\n' => text.push('\n'),
            c if c.is_control() && c.is_whitespace() => text.push(' '),
            c if c.is_control() => {}
            c => text.push(c),
        }
    }
    text.trim().to_owned()
}

/// The start of a long text, to name it in a message.
fn beginning(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        return text.to_owned();
    }
    let start: String = text.chars().take(SHOWN).collect();
    format!("{}…", start.trim_end())
}

/// A whole number written only in digits: no sign, no spaces.
fn index(text: &str) -> Option<usize> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Indexes as `encode` joins them: none for an empty text.
fn indexes(text: &str) -> Option<Vec<usize>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(index).collect()
}

/// A rating 1 to 5 written in digits.
fn rating(text: &str) -> Option<u8> {
    index(text)
        .filter(|rating| (1..=5).contains(rating))
        .and_then(|rating| u8::try_from(rating).ok())
}

/// Whether every index is one of `options` options and none comes twice.
fn distinct_below(indexes: &[usize], options: usize) -> bool {
    let mut seen = vec![false; options];
    indexes
        .iter()
        .all(|&i| i < options && !std::mem::replace(&mut seen[i], true))
}

/// An option's words; an index the question no longer has is still shown, by its number.
fn option_name(question: &Question, option: usize) -> String {
    question
        .options
        .get(option)
        .cloned()
        .unwrap_or_else(|| format!("Option {}", option + 1))
}

/// Whether an answer is of the question's kind and fits its options, so it can be counted.
fn fits(question: &Question, answer: &Answer) -> bool {
    let options = question.options.len();
    match (question.kind, answer) {
        (QuestionKind::Single, Answer::Choice(option)) => *option < options,
        (QuestionKind::Multiple, Answer::Choices(chosen)) => {
            !chosen.is_empty() && distinct_below(chosen, options)
        }
        (QuestionKind::Ranking, Answer::Ranking(order)) => {
            order.len() == options && distinct_below(order, options)
        }
        (QuestionKind::Rating, Answer::Rating(rating)) => (1..=5).contains(rating),
        (QuestionKind::Text, Answer::Text(_)) => true,
        _ => false,
    }
}

/// `sum / count`, 0.0 when nothing was counted.
fn average(sum: u64, count: u32) -> f64 {
    if count == 0 {
        0.0
    } else {
        sum as f64 / f64::from(count)
    }
}

/// The answer form's fields that belong to questions: `q{i}` and `q{i}_{option}`.
struct AnswerForm<'a> {
    fields: Vec<(usize, Option<usize>, &'a str)>,
}

impl<'a> AnswerForm<'a> {
    /// Other fields (a CSRF token, the submit button) are not answers and are left out.
    fn read(fields: &'a [(String, String)]) -> AnswerForm<'a> {
        let fields = fields
            .iter()
            .filter_map(|(name, value)| {
                let name = name.strip_prefix('q')?;
                let (question, option) = match name.split_once('_') {
                    None => (index(name)?, None),
                    Some((question, option)) => (index(question)?, Some(index(option)?)),
                };
                Some((question, option, value.as_str()))
            })
            .collect();
        AnswerForm { fields }
    }

    /// The values sent as `q{question}`, in the order sent.
    fn values(&self, question: usize) -> Vec<&'a str> {
        self.fields
            .iter()
            .filter(|(q, option, _)| *q == question && option.is_none())
            .map(|&(_, _, value)| value)
            .collect()
    }

    /// The (option, value) pairs sent as `q{question}_{option}`, in the order sent.
    fn per_option(&self, question: usize) -> Vec<(usize, &'a str)> {
        self.fields
            .iter()
            .filter(|(q, _, _)| *q == question)
            .filter_map(|&(_, option, value)| Some((option?, value)))
            .collect()
    }
}

/// A form sent two different values where it should send one.
struct TwoValues;

/// The one value given, trimmed; None when every value is blank.
fn one_value<'a>(values: &[&'a str]) -> Result<Option<&'a str>, TwoValues> {
    let mut given = values.iter().map(|v| v.trim()).filter(|v| !v.is_empty());
    let first = given.next();
    if let Some(first) = first {
        if given.any(|other| other != first) {
            return Err(TwoValues);
        }
    }
    Ok(first)
}

/// The answer to one question, or what the resident must put right.
fn answer_from_form(
    question: &Question,
    number: usize,
    form: &AnswerForm,
) -> Result<Option<Answer>, String> {
    let answer = match question.kind {
        QuestionKind::Single => choice_answer(question, &form.values(number))?,
        QuestionKind::Multiple => choices_answer(question, &form.values(number))?,
        QuestionKind::Ranking => ranking_answer(question, &form.per_option(number))?,
        QuestionKind::Rating => rating_answer(&form.values(number))?,
        QuestionKind::Text => text_answer(&form.values(number))?,
    };
    if answer.is_none() && question.required {
        let message = match question.kind {
            QuestionKind::Single => "Choose an option",
            QuestionKind::Multiple => "Choose at least one option",
            QuestionKind::Ranking => "Put every option in order",
            QuestionKind::Rating => "Give a rating from 1 to 5",
            QuestionKind::Text => "Answer this question",
        };
        return Err(message.to_owned());
    }
    Ok(answer)
}

fn choice_answer(question: &Question, values: &[&str]) -> Result<Option<Answer>, String> {
    let Some(value) = one_value(values).map_err(|TwoValues| "Choose only one option".to_owned())?
    else {
        return Ok(None);
    };
    index(value)
        .filter(|&option| option < question.options.len())
        .map(|option| Some(Answer::Choice(option)))
        .ok_or_else(|| "Choose one of the options given".to_owned())
}

fn choices_answer(question: &Question, values: &[&str]) -> Result<Option<Answer>, String> {
    let mut chosen = Vec::new();
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        let option = index(value)
            .filter(|&option| option < question.options.len())
            .ok_or_else(|| "Choose only from the options given".to_owned())?;
        if !chosen.contains(&option) {
            chosen.push(option);
        }
    }
    chosen.sort_unstable();
    Ok((!chosen.is_empty()).then_some(Answer::Choices(chosen)))
}

/// A ranking from the place given to each option. The checks go from the most particular
/// to the most general, so the resident is told first what is plainly wrong.
fn ranking_answer(question: &Question, places: &[(usize, &str)]) -> Result<Option<Answer>, String> {
    let options = question.options.len();
    let out_of_range = || format!("Give each option a place from 1 to {options}");
    let mut place_of: Vec<Option<usize>> = vec![None; options];
    for &(option, value) in places {
        let value = value.trim();
        if value.is_empty() {
            // A blank box for an option the question no longer has does no harm.
            continue;
        }
        let slot = place_of
            .get_mut(option)
            .ok_or_else(|| "Put in order only the options given".to_owned())?;
        let place = index(value)
            .filter(|place| (1..=options).contains(place))
            .ok_or_else(out_of_range)?;
        if slot.is_some_and(|earlier| earlier != place) {
            return Err(out_of_range());
        }
        *slot = Some(place);
    }
    let mut option_at: Vec<Vec<usize>> = vec![Vec::new(); options];
    for (option, place) in place_of.iter().enumerate() {
        if let Some(place) = place {
            option_at[place - 1].push(option);
        }
    }
    if let Some((place, sharing)) = option_at
        .iter()
        .enumerate()
        .find(|(_, sharing)| sharing.len() > 1)
    {
        let how_many = match sharing.len() {
            2 => "two".to_owned(),
            n => n.to_string(),
        };
        return Err(format!(
            "{} is given to {how_many} options: give each a different place",
            place + 1
        ));
    }
    let placed = place_of.iter().flatten().count();
    if placed == 0 {
        return Ok(None);
    }
    if placed < options {
        return Err(if question.required {
            "Put every option in order".to_owned()
        } else {
            "Put every option in order, or leave them all blank".to_owned()
        });
    }
    // Every option has a place and no place two options, so each place has exactly one.
    let order = option_at
        .into_iter()
        .map(|sharing| sharing.first().copied())
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(out_of_range)?;
    Ok(Some(Answer::Ranking(order)))
}

fn rating_answer(values: &[&str]) -> Result<Option<Answer>, String> {
    let Some(value) =
        one_value(values).map_err(|TwoValues| "Give only one rating from 1 to 5".to_owned())?
    else {
        return Ok(None);
    };
    rating(value)
        .map(|rating| Some(Answer::Rating(rating)))
        .ok_or_else(|| "Give a rating from 1 to 5".to_owned())
}

fn text_answer(values: &[&str]) -> Result<Option<Answer>, String> {
    // A text box sends one value; should a form send more, the first with words counts.
    let Some(text) = values
        .iter()
        .map(|value| answer_text(value))
        .find(|text| !text.is_empty())
    else {
        return Ok(None);
    };
    let chars = text.chars().count();
    if chars > MAX_TEXT_ANSWER {
        return Err(format!(
            "Shorten your answer to {} characters or fewer: it has {}",
            thousands(MAX_TEXT_ANSWER as u64),
            thousands(chars as u64)
        ));
    }
    Ok(Some(Answer::Text(text)))
}

/// A value a spreadsheet would run as a formula, made plain text with a leading `'`.
fn spreadsheet_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn write_record(writer: &mut ::csv::Writer<Vec<u8>>, record: impl IntoIterator<Item = String>) {
    writer
        .write_record(record)
        .expect("a CSV record of whole rows written to memory cannot fail");
}

#[cfg(test)]
mod tests;

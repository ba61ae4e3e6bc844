//! The demo's survey: local priorities in South Cambridgeshire and around it, built by the
//! demo's South Cambridgeshire sergeant, answered by demo residents (through the store, as
//! their answer page would keep them) and its results published, so `/surveys/{id}/results`
//! shows a chart and a table by district.

use crate::domain::survey::{Answer, Question, QuestionKind};
use crate::services::AppContext;
use crate::store::{NewSurvey, Respondent, StaffMember};

/// Comments a few residents leave, in turn.
const COMMENTS: &[&str] = &[
    "Cars race through the village after 10pm, especially on the high street.",
    "Please put more patrols near the recreation ground at weekends.",
    "Someone tried the door of my shed twice this month.",
    "Thank you for the alerts, they are really useful.",
    "Drug dealing near the bus shelter is getting worse.",
    "Speed cameras on the A1307 would help.",
];

fn questions() -> Vec<Question> {
    let options = |list: &[&str]| list.iter().map(|o| (*o).to_owned()).collect();
    vec![
        Question {
            prompt: "Put these in order of concern where you live".into(),
            kind: QuestionKind::Ranking,
            options: options(&[
                "Speeding",
                "Anti-social behaviour",
                "Drug dealing",
                "Burglary",
                "Fraud and scams",
            ]),
            required: true,
        },
        Question {
            prompt: "How safe do you feel walking alone in your area after dark?".into(),
            kind: QuestionKind::Single,
            options: options(&["Very safe", "Fairly safe", "A bit unsafe", "Very unsafe"]),
            required: true,
        },
        Question {
            prompt: "How would you like to hear from your local team?".into(),
            kind: QuestionKind::Multiple,
            options: options(&[
                "Email alerts",
                "Text messages",
                "Social media",
                "Street meetings",
            ]),
            required: false,
        },
        Question {
            prompt: "How well do we keep you informed about crime where you live?".into(),
            kind: QuestionKind::Rating,
            options: Vec::new(),
            required: false,
        },
        Question {
            prompt: "Is there anything else you want your local team to know?".into(),
            kind: QuestionKind::Text,
            options: Vec::new(),
            required: false,
        },
    ]
}

/// One demo resident's answers, varied by their number and district: speeding first in the
/// villages of South Cambridgeshire, anti-social behaviour in Cambridge.
fn answers_of(n: usize, district: &str) -> Vec<(usize, String)> {
    let ranking = match (district, n % 4) {
        ("E07000012", 0 | 1) => vec![0, 1, 2, 3, 4],
        ("E07000012", 2) => vec![0, 2, 1, 4, 3],
        ("E07000008", 0 | 1) => vec![1, 2, 0, 3, 4],
        (_, 3) => vec![3, 4, 0, 1, 2],
        _ => vec![2, 1, 0, 4, 3],
    };
    let mut answers = vec![
        (0, Answer::Ranking(ranking).encode()),
        (1, Answer::Choice([1, 1, 0, 2, 1, 3][n % 6]).encode()),
    ];
    let mut ways = vec![0];
    if n.is_multiple_of(3) {
        ways.push(1);
    }
    if n.is_multiple_of(5) {
        ways.push(3);
    }
    answers.push((2, Answer::Choices(ways).encode()));
    answers.push((3, Answer::Rating([4, 5, 3, 4, 2][n % 5]).encode()));
    if n.is_multiple_of(7) {
        answers.push((
            4,
            Answer::Text(COMMENTS[(n / 7) % COMMENTS.len()].into()).encode(),
        ));
    }
    answers
}

/// Builds the survey and the demo residents' answers; (its id, how many answered).
pub async fn seed(
    ctx: &AppContext,
    sender: &StaffMember,
    residents: usize,
) -> anyhow::Result<(i64, usize)> {
    let now = chrono::Utc::now().timestamp();
    let day = 86_400;
    let survey = NewSurvey {
        provider_id: sender.provider_id,
        created_by: Some(sender.id),
        title: "Your local policing priorities".into(),
        introduction: "Tell us what concerns you most where you live. Your answers set the priorities of your neighbourhood team for the next three months.".into(),
        opens_at: now - 20 * day,
        closes_at: now + 10 * day,
        anonymous: false,
        public_page: true,
        questions: questions(),
    };
    let id = ctx.store.insert_survey(&survey, now - 21 * day).await?;
    let mut answered = 0;
    for subscriber in 1..=residents as i64 {
        let Some(district) = ctx.store.subscriber_district(subscriber).await? else {
            continue;
        };
        // Sent to South Cambridgeshire and its neighbours; most there answered.
        if !matches!(district.as_str(), "E07000012" | "E07000008" | "E07000009")
            || subscriber % 3 == 2
        {
            continue;
        }
        let answers = answers_of(subscriber as usize, &district);
        let at = now - (subscriber % 19 + 1) * day;
        ctx.store
            .keep_response(
                id,
                &Respondent::Resident(subscriber),
                false,
                &district,
                &answers,
                at,
            )
            .await?;
        answered += 1;
    }
    ctx.store.set_survey_published(id, true).await?;
    Ok((id, answered))
}

//! A district's public page: the priorities its residents chose in published surveys (each
//! ranking question's options in the order the district's answers put them, shown only where
//! enough answered there for the results to be published), and its Neighbourhood Watch schemes.

use super::surveys::{self, SHOWN_FROM};
use super::AppContext;
use crate::domain::scheme::SchemeStatus;
use crate::domain::survey::{QuestionKind, Tally};
use crate::store::Scheme;

/// What one published survey says of a district's priorities.
pub struct Priorities {
    pub survey_id: i64,
    pub title: String,
    pub organisation: String,
    /// How many in the district answered.
    pub responses: usize,
    /// Each ranking question: its prompt, and its options in the order the district put them,
    /// with their average position in words.
    pub rankings: Vec<(String, Vec<(String, String)>)>,
}

/// A district's page.
pub struct DistrictPage {
    pub code: String,
    pub name: String,
    pub priorities: Vec<Priorities>,
    pub schemes: Vec<Scheme>,
}

/// The page of district `code`, or None when this install does not know the district.
pub async fn page(ctx: &AppContext, code: &str) -> anyhow::Result<Option<DistrictPage>> {
    let Some(district) = ctx
        .store
        .districts()
        .await?
        .into_iter()
        .find(|d| d.code == code)
    else {
        return Ok(None);
    };
    let mut priorities = Vec::new();
    for survey in ctx.store.surveys_of(None).await? {
        if !survey.published {
            continue;
        }
        let Some((survey, results, too_few)) =
            surveys::published(ctx, survey.id, Some(code)).await?
        else {
            continue;
        };
        if too_few || results.responses < SHOWN_FROM {
            continue;
        }
        let rankings: Vec<(String, Vec<(String, String)>)> = results
            .questions
            .iter()
            .filter(|q| q.question.kind == QuestionKind::Ranking && !q.withheld)
            .filter_map(|q| {
                let Tally::Ranking {
                    average_position, ..
                } = &q.tally
                else {
                    return None;
                };
                let mut order: Vec<(f64, &String)> = average_position
                    .iter()
                    .copied()
                    .zip(&q.question.options)
                    .filter(|(average, _)| *average > 0.0)
                    .collect();
                order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
                let shown = order
                    .into_iter()
                    .map(|(average, option)| {
                        (option.clone(), format!("average position {average:.1}"))
                    })
                    .collect::<Vec<_>>();
                (!shown.is_empty()).then(|| (q.question.prompt.clone(), shown))
            })
            .collect();
        if rankings.is_empty() {
            continue;
        }
        priorities.push(Priorities {
            survey_id: survey.id,
            title: survey.title,
            organisation: survey.provider_name,
            responses: results.responses,
            rankings,
        });
    }
    let schemes = ctx
        .store
        .list_schemes(Some(SchemeStatus::Open))
        .await?
        .into_iter()
        .filter(|s| s.district_code == code)
        .collect();
    Ok(Some(DistrictPage {
        code: district.code.clone(),
        name: district.name.unwrap_or(district.code),
        priorities,
        schemes,
    }))
}

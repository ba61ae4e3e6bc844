//! The demo's online reports: a handful in each state (waiting for assessment, one of them
//! urgent and one a likely duplicate; assessed; a crime recorded; referred; information), made
//! and moved on through the same use cases residents and staff use.

use crate::services::report_review::{self, ReviewInput};
use crate::services::report_triage::{self, AssessmentInput};
use crate::services::reports::{self, Contact, LocationInput, Submission};
use crate::services::staff::Actor;
use crate::services::tokens::random_id;
use crate::services::AppContext;
use crate::store::StaffMember;
use std::collections::BTreeMap;

/// What happens to a demo report after it is sent.
enum Then {
    Waits,
    Assessed(&'static str, &'static str),
    CrimeRecorded(&'static str),
}

/// (kind, postcode, when, what happened, own answers, anonymous, then)
type DemoReport = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    bool,
    Then,
);

const DEMO_REPORTS: &[DemoReport] = &[
    ("criminal-damage", "PE29 3AB", "Last night, between 11pm and 7am",
     "Someone scratched a long line down the driver's side of my car while it was parked outside my house. The wing mirror was also snapped off.",
     &[("damaged", "vehicle"), ("damage_cost", "450")], false, Then::Waits),
    ("criminal-damage", "PE29 3AD", "Sunday night",
     "My neighbour's van and my car both had their mirrors kicked off overnight on our road.",
     &[("damaged", "vehicle")], false, Then::Waits),
    ("anti-social-behaviour", "CB1 1PT", "Now, and most evenings this week",
     "A group of teenagers are throwing stones at the windows of the community centre. They're outside now and one said he has a knife.",
     &[("asb_type", "rowdy"), ("ongoing", "now")], false, Then::Waits),
    ("theft", "PE1 1HQ", "Friday afternoon, about 3pm",
     "My bike was taken from the rack outside the library. It was locked with a cable lock, which was cut.",
     &[("stolen_items", "Blue Carrera Subway hybrid bike, frame number WTU123456"), ("from_vehicle", "no"), ("value", "380")],
     false, Then::Assessed("respond", "scheduled-appointment")),
    ("burglary", "CB7 4DL", "Between Tuesday evening and Wednesday morning",
     "Our garden shed was broken into; the padlock was levered off and two power tools and a strimmer were taken.",
     &[("building", "shed"), ("touched", "no")], false, Then::CrimeRecorded("35/4821/26")),
    ("suspicious-activity", "SG8 6DP", "Several evenings this month",
     "Cars keep pulling up outside the same house for a few minutes after dark, then leaving.",
     &[("how_known", "seen")], true, Then::Assessed("information", "")),
];

/// Sends the demo reports as residents would, then assesses and reviews some as the demo's
/// operator and reviewer; how many reports.
pub async fn seed(
    ctx: &AppContext,
    operator: &StaffMember,
    reviewer: &StaffMember,
) -> anyhow::Result<usize> {
    let operator = Actor {
        staff: Some(operator),
        ip: "beacon demo",
    };
    let reviewer = Actor {
        staff: Some(reviewer),
        ip: "beacon demo",
    };
    for (i, (kind, postcode, when, what, answers, anonymous, then)) in
        DEMO_REPORTS.iter().enumerate()
    {
        let mut own = BTreeMap::new();
        for (code, answer) in answers.iter() {
            own.insert((*code).to_owned(), vec![(*answer).to_owned()]);
        }
        let contact = if *anonymous {
            Contact {
                anonymous: true,
                ..Contact::default()
            }
        } else {
            Contact {
                anonymous: false,
                name: format!("Demo Reporter {}", i + 1),
                email: format!("reporter{}@example.com", i + 1),
                phone: String::new(),
            }
        };
        let submission = Submission {
            service_code: (*kind).to_owned(),
            answers: own,
            description: (*what).to_owned(),
            location: LocationInput {
                text: (*postcode).to_owned(),
                ..LocationInput::default()
            },
            happened: (*when).to_owned(),
            contact,
            form_nonce: random_id(),
            source: "web".into(),
            ..Submission::default()
        };
        let receipt = reports::submit(ctx, submission)
            .await
            .map_err(|e| anyhow::anyhow!("a demo report ({kind}): {e}"))?;
        let assess = |decision: &str, grade: &str| AssessmentInput {
            threat_level: "low".into(),
            harm_level: "medium".into(),
            risk_level: "low".into(),
            investigation_level: "medium".into(),
            vulnerability_level: "low".into(),
            engagement_level: "medium".into(),
            decision: decision.into(),
            grade: grade.into(),
            note: "Demo assessment.".into(),
            nonce: random_id(),
            ..AssessmentInput::default()
        };
        match then {
            Then::Waits => {}
            Then::Assessed(decision, grade) => {
                report_triage::assess(ctx, &operator, &receipt.reference, &assess(decision, grade))
                    .await
                    .map_err(|e| anyhow::anyhow!("assessing a demo report: {e}"))?;
            }
            Then::CrimeRecorded(crime_reference) => {
                report_triage::assess(
                    ctx,
                    &operator,
                    &receipt.reference,
                    &assess("respond", "scheduled-appointment"),
                )
                .await
                .map_err(|e| anyhow::anyhow!("assessing a demo report: {e}"))?;
                let review = ReviewInput {
                    outcome: "crime".into(),
                    crime_reference: (*crime_reference).to_owned(),
                    explanation: "An officer will contact you to arrange a visit.".into(),
                    seen: "assessed".into(),
                    ..ReviewInput::default()
                };
                report_review::review(ctx, &reviewer, &receipt.reference, &review)
                    .await
                    .map_err(|e| anyhow::anyhow!("reviewing a demo report: {e}"))?;
            }
        }
    }
    Ok(DEMO_REPORTS.len())
}

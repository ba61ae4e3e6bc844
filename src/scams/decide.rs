//! Weighing the evidence: the signs (each with its weight and its kinds), the cues that tell kinds
//! apart, the word model's reading, and the marks of a warning that only describes a scam, into a
//! verdict, a kind and a confidence.

use std::ops::Range;

use super::classifier::{CLASSES, GENUINE};
use super::message::Reading;
use super::signs::{Found, Matches};
use super::{Check, ScamKind, Sign, Verdict};

/// The numbers that weigh the evidence, tuned on the development split's cross-validation (see
/// `examples/scam_eval.rs --tune`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// How much the word model's "reads like a scam" counts against the signs' weights: risk
    /// gains `model_weight × (p(scam) − model_centre)`.
    pub model_weight: f32,
    pub model_centre: f32,
    /// How much of that counts when the model's case is against "scam" (it has seen many more
    /// kinds of ordinary message than it has examples of).
    pub model_doubt: f32,
    /// How much the word model's choice of kind counts against the signs' and cues' kinds.
    pub model_kind_weight: f32,
    /// How much the cues (a courier's name, "HMRC") count towards a kind.
    pub cue_weight: f32,
    /// How much clear evidence of one kind adds to the risk (per 4 points of the kind's score,
    /// up to 8).
    pub kind_risk: f32,
    /// What is taken off the signs' weight for an arrangement between people who will meet, and
    /// for a money request of under £100.
    pub in_person: f32,
    pub small_sum: f32,
    /// Risk from which a message is called a scam (when its kind is clear) or suspicious.
    pub scam_from: f32,
    pub suspicious_from: f32,
    /// A kind is clear when its score is at least this, and this far ahead of the next.
    pub kind_from: f32,
    pub kind_lead: f32,
    /// How many warning marks make a message read as a warning that describes scams, and what
    /// is left of the signs' weight then.
    pub warning_from: usize,
    pub warning_discount: f32,
}

impl Tuning {
    pub const DEFAULT: Tuning = Tuning {
        model_weight: 6.0,
        model_centre: 0.6,
        model_doubt: 1.0,
        model_kind_weight: 2.0,
        cue_weight: 1.0,
        kind_risk: 0.5,
        in_person: 2.0,
        small_sum: 2.0,
        scam_from: 2.0,
        suspicious_from: 2.0,
        kind_from: 1.5,
        kind_lead: 0.3,
        warning_from: 2,
        warning_discount: 0.25,
    };
}

/// The evidence, weighed (kept for the evaluation's confusion list and for tuning).
#[derive(Debug, Clone)]
pub struct Weighing {
    pub risk: f32,
    pub sign_weight: f32,
    pub model_genuine: f32,
    pub kind_scores: [f32; CLASSES],
    pub warning_marks: usize,
}

/// What was gathered from a message before it is weighed.
#[derive(Debug)]
pub struct Evidence {
    pub(crate) reading: Reading,
    pub(crate) matches: Matches,
    pub(crate) link_signs: Vec<Found>,
    pub(crate) model: [f32; CLASSES],
}

pub(crate) fn decide(evidence: &Evidence, tuning: &Tuning) -> (Check, Weighing) {
    let Evidence {
        reading,
        matches,
        link_signs,
        model,
    } = evidence;
    let found: Vec<&Found> = matches.found.iter().chain(link_signs).collect();
    let signs: Vec<&Found> = found.iter().copied().filter(|f| f.weight > 0.0).collect();

    // Strongest first, each further sign adding a little less: ten weak signs are not ten times
    // one strong one.
    let mut weights: Vec<f32> = signs.iter().map(|f| f.weight).collect();
    weights.sort_by(|a, b| b.total_cmp(a));
    let mut sign_weight: f32 = weights
        .iter()
        .enumerate()
        .map(|(i, w)| w * 0.85f32.powi(i as i32))
        .sum();
    let warning = matches.warning_marks >= tuning.warning_from;
    if warning {
        sign_weight *= tuning.warning_discount;
    }
    let asks_for_code = signs
        .iter()
        .any(|f| matches!(f.rule, "asks-code" | "pass-on-code" | "asks-card"));
    if matches.sent_code && !asks_for_code {
        sign_weight = (sign_weight - 2.0).max(0.0);
    }
    // People who will meet, or a seller who lets you see the item first.
    if matches.in_person {
        sign_weight = (sign_weight - tuning.in_person).max(0.0);
    }
    // A receipt for a payment made ("your payment of £2.50 has been received") asks for nothing,
    // unless it also gives a number to call or asks for details, as fake receipts do.
    let receipt_asks = signs.iter().any(|f| {
        matches!(
            f.rule,
            "charged-call-to-cancel" | "asks-card" | "asks-code" | "call-back-number"
        ) || f.rule.starts_with("link")
    });
    if matches.receipt && !receipt_asks {
        sign_weight = (sign_weight - tuning.in_person).max(0.0);
    }
    // A request for a few pounds between friends is not the "Hi Mum" scam's hundreds.
    let asks_for_money = signs
        .iter()
        .any(|f| matches!(f.rule, "money-ask" | "pay-for-me" | "bank-transfer"));
    if asks_for_money && matches.largest_sum.is_some_and(|sum| sum < 100) {
        sign_weight = (sign_weight - tuning.small_sum).max(0.0);
    }
    let model_genuine = model[GENUINE];

    let mut kind_scores = [0f32; CLASSES];
    for f in &found {
        let scale = if f.weight > 0.0 {
            1.0
        } else {
            tuning.cue_weight * f.hits.min(3) as f32
        };
        for (kind, w) in &f.kinds {
            kind_scores[super::classifier::class_of(Some(*kind))] += w * scale;
        }
    }
    let scam_mass = (1.0 - model_genuine).max(1e-3);
    for (c, score) in kind_scores.iter_mut().enumerate().take(GENUINE) {
        *score += tuning.model_kind_weight * model[c] / scam_mass;
    }
    let mut ranked: Vec<usize> = (0..GENUINE).collect();
    ranked.sort_by(|a, b| kind_scores[*b].total_cmp(&kind_scores[*a]));
    let (best, second) = (kind_scores[ranked[0]], kind_scores[ranked[1]]);
    // The word model's case for "scam" needs words to stand on: "ok" or "I'm outside" is not a
    // scam because the model has seen few messages that short.
    let words = reading.folded.split_whitespace().count() as f32;
    let mut model_case = (1.0 - model_genuine) - tuning.model_centre;
    if model_case > 0.0 {
        model_case *= (words / 8.0).min(1.0);
    } else {
        model_case *= tuning.model_doubt;
    }
    let risk =
        sign_weight + tuning.model_weight * model_case + tuning.kind_risk * best.min(8.0) / 4.0;
    let clear_kind =
        (best >= tuning.kind_from && best - second >= tuning.kind_lead && reading.english)
            .then(|| ScamKind::ALL[ranked[0]]);

    let (verdict, kind) = if risk >= tuning.scam_from && clear_kind.is_some() {
        (Verdict::Scam, clear_kind)
    } else if risk >= tuning.suspicious_from.min(tuning.scam_from) {
        (Verdict::Suspicious, None)
    } else {
        (Verdict::NoScamSigns, None)
    };
    let confidence = match verdict {
        Verdict::Scam => {
            let lead = ((best - second) / best.max(1e-3)).clamp(0.0, 1.0);
            (0.55 + 0.3 * (1.0 - (-(risk - tuning.scam_from) / 3.0).exp()) + 0.14 * lead)
                .clamp(0.5, 0.99)
        }
        Verdict::Suspicious => 0.5 + 0.2 * ((risk - tuning.suspicious_from) / 3.0).clamp(0.0, 1.0),
        Verdict::NoScamSigns => {
            (0.95 - 0.4 * (risk / tuning.suspicious_from.max(0.1))).clamp(0.5, 0.95)
        }
    };

    let mut notes = reading.notes.clone();
    if warning && verdict == Verdict::NoScamSigns && !signs.is_empty() {
        notes.push(
            "It reads like a warning that describes a scam (as police and Report Fraud alerts \
             do), not like the scam itself."
                .to_owned(),
        );
    }
    if matches.sent_code && !asks_for_code && verdict == Verdict::NoScamSigns {
        notes.push(
            "It looks like a sign-in code sent to you. That is normal if you were signing in; \
             never read it out or send it to anyone who asks for it."
                .to_owned(),
        );
    }

    // A message with no scam signs lists none: a warning's "safe account" is not a sign.
    let shown: Vec<Sign> = if verdict == Verdict::NoScamSigns {
        Vec::new()
    } else {
        let mut shown = signs.clone();
        shown.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        shown
            .into_iter()
            .map(|f| Sign {
                says: f.says.clone(),
                spans: tidy(f.spans.clone(), &reading.text),
            })
            .collect()
    };
    let check = Check {
        text: reading.text.clone(),
        verdict,
        confidence,
        kind,
        signs: shown,
        notes,
    };
    (
        check,
        Weighing {
            risk,
            sign_weight,
            model_genuine,
            kind_scores,
            warning_marks: matches.warning_marks,
        },
    )
}

/// Spans sorted, merged where they touch, empty ones dropped, all on char boundaries of `text`.
fn tidy(mut spans: Vec<Range<usize>>, text: &str) -> Vec<Range<usize>> {
    spans.retain(|s| {
        s.start < s.end
            && s.end <= text.len()
            && text.is_char_boundary(s.start)
            && text.is_char_boundary(s.end)
    });
    spans.sort_by_key(|s| (s.start, s.end));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

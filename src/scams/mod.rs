//! The scam checker: reads a pasted text message, email, or account of a call or a visit at the
//! door, and says which kind of scam it matches, what gave it away, what to do and where to report.
//! Pure and bundled: no I/O, no network, no model fetched at run time; what it knows is in the
//! binary. Which of the force's own alerts warned about it is the services' business.

pub mod classifier;
pub mod corpus;
mod decide;
pub mod kinds;
mod links;
mod message;
mod signs;

use std::ops::Range;
use std::sync::OnceLock;

pub use classifier::WordModel;
pub use decide::{Evidence, Tuning, Weighing};
pub use kinds::{ReportRoute, ScamKind};
use message::Reading;

/// Longest text checked, in characters (a whole email with headers fits).
pub const MAX_CHARS: usize = 10_000;

/// How the message reached the resident ("How did it reach you?").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Sms,
    Email,
    Call,
    Doorstep,
    Web,
    Social,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Sms,
        Channel::Email,
        Channel::Call,
        Channel::Doorstep,
        Channel::Web,
        Channel::Social,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Call => "call",
            Channel::Doorstep => "doorstep",
            Channel::Web => "web",
            Channel::Social => "social",
        }
    }

    /// As offered on the page: "Text message", "Email", …
    pub fn label(self) -> &'static str {
        match self {
            Channel::Sms => "Text message",
            Channel::Email => "Email",
            Channel::Call => "Phone call",
            Channel::Doorstep => "At the door",
            Channel::Web => "Website or advert",
            Channel::Social => "Social media",
        }
    }

    /// Reads a slug, forgivingly ("SMS", "text", "phone", "door" are understood).
    pub fn parse(s: &str) -> Option<Channel> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "sms" | "text" | "text-message" | "whatsapp" => Channel::Sms,
            "email" | "e-mail" | "mail" => Channel::Email,
            "call" | "phone" | "phone-call" => Channel::Call,
            "doorstep" | "door" | "at-the-door" | "visit" => Channel::Doorstep,
            "web" | "website" | "advert" | "ad" => Channel::Web,
            "social" | "social-media" => Channel::Social,
            _ => return None,
        })
    }
}

/// The checker's answer in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// It matches a known kind of scam.
    Scam,
    /// Warning signs, but no clear kind.
    Suspicious,
    NoScamSigns,
}

impl Verdict {
    pub fn slug(self) -> &'static str {
        match self {
            Verdict::Scam => "scam",
            Verdict::Suspicious => "suspicious",
            Verdict::NoScamSigns => "no-scam-signs",
        }
    }
}

/// One warning sign, in plain words, with the places in the checked text that show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sign {
    /// "asks you to move money to a safe account"
    pub says: String,
    /// Byte ranges into [`Check::text`] (on char boundaries, sorted, not overlapping).
    pub spans: Vec<Range<usize>>,
}

/// What the checker found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Check {
    /// The text that was checked: what was pasted, or an email's decoded subject, sender and body.
    pub text: String,
    pub verdict: Verdict,
    /// How sure, 0–1.
    pub confidence: f32,
    pub kind: Option<ScamKind>,
    pub signs: Vec<Sign>,
    /// Notes about the reading itself ("decoded the email's quoted-printable body", "this does not
    /// look like English, so fewer signs can be recognised").
    pub notes: Vec<String>,
}

/// A stretch of [`Check::text`], marked where a sign points at it (for highlighting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    pub text: &'a str,
    pub marked: bool,
}

impl Check {
    /// What to do now, for the kind found (general advice when suspicious, none otherwise).
    pub fn advice(&self) -> &'static [&'static str] {
        kinds::advice(self.kind, self.verdict)
    }

    /// Where to report, for the kind found and how it arrived.
    pub fn report_to(&self, channel: Option<Channel>) -> Vec<ReportRoute> {
        kinds::report_routes(self.kind, self.verdict, channel)
    }

    /// The checked text cut into marked and unmarked stretches, in order.
    pub fn segments(&self) -> Vec<Segment<'_>> {
        let mut spans: Vec<Range<usize>> = self
            .signs
            .iter()
            .flat_map(|s| s.spans.iter().cloned())
            .collect();
        spans.sort_by_key(|r| (r.start, r.end));
        let mut out = Vec::new();
        let mut at = 0;
        for r in spans {
            let start = r.start.max(at);
            if start >= r.end || r.end > self.text.len() {
                continue;
            }
            if start > at {
                out.push(Segment {
                    text: &self.text[at..start],
                    marked: false,
                });
            }
            out.push(Segment {
                text: &self.text[start..r.end],
                marked: true,
            });
            at = r.end;
        }
        if at < self.text.len() {
            out.push(Segment {
                text: &self.text[at..],
                marked: false,
            });
        }
        out
    }
}

/// Why a text was not checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("Paste the message you want checked.")]
    Empty,
    #[error("That is {chars} characters; the checker reads up to {max}. Paste the part that asks you to do something.", max = MAX_CHARS)]
    TooLong { chars: usize },
}

/// Checks a message. `channel` is how it arrived, when the resident said.
///
/// The first call trains the word model from the bundled corpus and compiles the patterns (about
/// a tenth of a second in a release build; see [`prepare`]); later calls reuse them.
pub fn check(input: &str, channel: Option<Channel>) -> Result<Check, CheckError> {
    check_with(bundled_model(), input, channel)
}

/// Checks a message against a given word model (the evaluation trains its own on part of the
/// corpus).
pub fn check_with(
    model: &WordModel,
    input: &str,
    channel: Option<Channel>,
) -> Result<Check, CheckError> {
    weigh(model, input, channel).map(|(check, _)| check)
}

/// As [`check_with`], with the evidence as weighed (for the evaluation and for tuning).
pub fn weigh(
    model: &WordModel,
    input: &str,
    channel: Option<Channel>,
) -> Result<(Check, Weighing), CheckError> {
    let evidence = gather(model, input, channel)?;
    Ok(decide(&evidence, &Tuning::DEFAULT))
}

/// Reads a message and gathers the evidence: signs, cues, links and the word model's reading.
pub fn gather(
    model: &WordModel,
    input: &str,
    channel: Option<Channel>,
) -> Result<Evidence, CheckError> {
    let chars = input.chars().count();
    if chars > MAX_CHARS {
        return Err(CheckError::TooLong { chars });
    }
    if input.trim().is_empty() {
        return Err(CheckError::Empty);
    }
    // How it arrived is the resident's say-so, and the text decides; the channel only chooses
    // where to report (see `Check::report_to`).
    let _ = channel;
    let reading = Reading::new(input);
    let matches = signs::find(&reading);
    let links = links::find(&reading.folded);
    let link_signs = links::signs(&reading, &links);
    let model = model.classify(&reading.folded);
    Ok(Evidence {
        reading,
        matches,
        link_signs,
        model,
    })
}

/// Weighs gathered evidence into a verdict (with [`Tuning::DEFAULT`] in [`check`]).
pub fn decide(evidence: &Evidence, tuning: &Tuning) -> (Check, Weighing) {
    decide::decide(evidence, tuning)
}

/// Trains a word model on corpus examples (labels that are neither a kind nor "genuine" are
/// skipped).
pub fn train<'a>(examples: impl IntoIterator<Item = &'a corpus::Example>) -> WordModel {
    let folded: Vec<(String, Option<ScamKind>)> = examples
        .into_iter()
        .filter(|e| e.is_genuine() || e.kind().is_some())
        .map(|e| (Reading::new(&e.text).folded, e.kind()))
        .collect();
    WordModel::train(folded.iter().map(|(text, kind)| (text.as_str(), *kind)))
}

static BUNDLED_MODEL: OnceLock<WordModel> = OnceLock::new();

/// Trains the word model and compiles the patterns now (say at start-up) rather than during the
/// first resident's check.
pub fn prepare() {
    bundled_model();
}

/// The word model trained on the bundled corpus's development split (never its test split).
pub fn bundled_model() -> &'static WordModel {
    BUNDLED_MODEL.get_or_init(|| {
        signs::warm_up();
        train(
            corpus::bundled()
                .iter()
                .filter(|e| e.split == corpus::Split::Dev),
        )
    })
}

#[cfg(test)]
mod tests;

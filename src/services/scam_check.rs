//! The scam checker as the web and the API use it: a pasted message checked by `scams` (the
//! web's only door to it), with the force's own published alerts about that kind of scam, rate
//! limited per client address; sharing a checked message with the police; and what staff read
//! of the shared ones on the Reported scams page.
//!
//! What a resident pastes is personal data: it is never logged, and stored only when they share
//! it. No error raised here carries it.

use super::staff::{audit, Actor};
use super::AppContext;
use crate::domain::Postcode;
use crate::store::{ArchiveFilter, NewScamReport, ScamReport, ScamReportCount, Timestamp};
use anyhow::Context;
use sha2::{Digest, Sha256};

pub use crate::scams::{
    Channel, Check, CheckError, ReportRoute, ScamKind, Segment, Sign, Verdict, MAX_CHARS,
};

/// Checks one address may ask for a minute: far more than a resident pasting messages by hand
/// needs, few enough that nobody can use the checker as a free classification service.
pub const CHECKS_PER_MINUTE: u32 = 20;
/// Times one address may check the same text in ten minutes: a resident checks again after
/// changing how it reached them or to share it; more than this is a script.
pub const SAME_TEXT_PER_TEN_MINUTES: u32 = 5;
/// Related alerts shown with an answer.
pub const RELATED_ALERTS: usize = 5;
/// Longest name a resident may give when sharing, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Reports listed on the staff page.
pub const NEWEST_REPORTS: i64 = 20;
/// Weeks the staff page counts.
pub const REPORT_WEEKS: i64 = 12;

/// What a checked message is refused for.
#[derive(Debug, thiserror::Error)]
pub enum ScamCheckError {
    /// Empty, or too long: the message is the resident's (`CheckError`'s Display).
    #[error(transparent)]
    Invalid(#[from] CheckError),
    #[error("You have checked a lot of messages in a short time. Please wait a few minutes and try again.")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// One of the force's own alerts about the kind of scam found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RelatedAlert {
    pub id: i64,
    pub title: String,
    /// The alert's page on this site, as a path (`/alerts/12`).
    pub path: String,
    pub sent_at: Timestamp,
}

/// The checker's answer, with the alerts that warned about it.
#[derive(Debug, Clone)]
pub struct ScamAnswer {
    pub check: Check,
    /// How it reached the resident, if they said.
    pub channel: Option<Channel>,
    pub related_alerts: Vec<RelatedAlert>,
}

impl ScamAnswer {
    pub fn advice(&self) -> &'static [&'static str] {
        self.check.advice()
    }

    pub fn report_to(&self) -> Vec<ReportRoute> {
        self.check.report_to(self.channel)
    }
}

/// A rate-limit key for a text that does not hold the text (it stays in memory a while).
fn text_key(client: &str, text: &str) -> String {
    let digest = Sha256::digest(text.trim().as_bytes());
    format!("scam-text:{client}:{}", hex::encode(&digest[..12]))
}

/// Whether `client` may check `text` now; counts the attempt.
fn within_limits(ctx: &AppContext, client: &str, text: &str) -> bool {
    ctx.scam_checks
        .allow(&format!("scam-check:{client}"), CHECKS_PER_MINUTE)
        && ctx
            .scam_repeats
            .allow(&text_key(client, text), SAME_TEXT_PER_TEN_MINUTES)
}

/// Checks a message for `client` (an IP address): the page's and the API's use case.
pub async fn check(
    ctx: &AppContext,
    text: &str,
    channel: Option<Channel>,
    client: &str,
) -> Result<ScamAnswer, ScamCheckError> {
    if !within_limits(ctx, client, text) {
        return Err(ScamCheckError::RateLimited);
    }
    let check = crate::scams::check(text, channel)?;
    let related_alerts = match check.kind {
        Some(kind) => related_alerts(ctx, kind).await?,
        None => Vec::new(),
    };
    Ok(ScamAnswer {
        check,
        channel,
        related_alerts,
    })
}

/// Readies the checker (trains its word model, compiles its patterns) ahead of the first check.
pub fn prepare() {
    crate::scams::prepare();
}

/// Checks a message with what the binary knows alone (no store, no rate limit, no related
/// alerts): `beacon scam-check` without a database.
pub fn check_offline(text: &str, channel: Option<Channel>) -> Result<ScamAnswer, CheckError> {
    Ok(ScamAnswer {
        check: crate::scams::check(text, channel)?,
        channel,
        related_alerts: Vec::new(),
    })
}

/// The answer as the API and `beacon scam-check --json` give it; spans are counted in characters
/// (Unicode scalar values), and `link` makes an alert's path a full address.
pub fn answer_json(answer: &ScamAnswer, link: impl Fn(&str) -> String) -> serde_json::Value {
    let check = &answer.check;
    let chars_before = |byte: usize| check.text.get(..byte).map_or(0, |s| s.chars().count());
    let signs: Vec<serde_json::Value> = check
        .signs
        .iter()
        .map(|sign| {
            let spans: Vec<serde_json::Value> = sign
                .spans
                .iter()
                .filter_map(|span| {
                    let text = check.text.get(span.clone())?;
                    Some(serde_json::json!({
                        "start": chars_before(span.start),
                        "end": chars_before(span.end),
                        "text": text,
                    }))
                })
                .collect();
            serde_json::json!({ "says": sign.says, "spans": spans })
        })
        .collect();
    let report_to: Vec<serde_json::Value> = answer
        .report_to()
        .into_iter()
        .map(|r| serde_json::json!({ "who": r.who, "how": r.how, "link": r.link }))
        .collect();
    let related: Vec<serde_json::Value> = answer
        .related_alerts
        .iter()
        .map(|a| {
            let sent_at = chrono::DateTime::from_timestamp(a.sent_at, 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            serde_json::json!({
                "id": a.id,
                "title": a.title,
                "url": link(&a.path),
                "sent_at": sent_at,
            })
        })
        .collect();
    serde_json::json!({
        "verdict": check.verdict.slug(),
        "confidence": check.confidence.clamp(0.0, 1.0),
        "type": check.kind.map(|k| k.slug()),
        "type_name": check.kind.map(|k| k.name()),
        "signs": signs,
        "advice": answer.advice(),
        "report_to": report_to,
        "related_alerts": related,
        "notes": check.notes,
        "text": check.text,
    })
}

/// The force's published alerts about `kind`, newest first: scam warnings first, then other
/// alerts the archive's search finds, up to `RELATED_ALERTS`.
pub async fn related_alerts(ctx: &AppContext, kind: ScamKind) -> anyhow::Result<Vec<RelatedAlert>> {
    let search = |message_type: Option<&str>| ArchiveFilter {
        query: Some(kind.search_words().to_owned()),
        message_type: message_type.map(str::to_owned),
        limit: 50,
        ..ArchiveFilter::default()
    };
    let newest_first = |mut hits: Vec<crate::store::ArchiveHit>| {
        hits.sort_by_key(|hit| std::cmp::Reverse((hit.alert.sent_at, hit.alert.id)));
        hits
    };
    let mut found = newest_first(
        ctx.store
            .public_alerts(&search(Some("scam-warning")))
            .await
            .context("searching the archive for scam warnings")?,
    );
    if found.len() < RELATED_ALERTS {
        let others = newest_first(
            ctx.store
                .public_alerts(&search(None))
                .await
                .context("searching the archive for alerts about a scam")?,
        );
        for hit in others {
            if !found.iter().any(|f| f.alert.id == hit.alert.id) {
                found.push(hit);
            }
        }
    }
    Ok(found
        .into_iter()
        .take(RELATED_ALERTS)
        .map(|hit| RelatedAlert {
            id: hit.alert.id,
            path: format!("/alerts/{}", hit.alert.id),
            title: hit.alert.title,
            sent_at: hit.alert.sent_at,
        })
        .collect())
}

/// What a resident sends to share a checked message with the police.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ShareInput {
    pub text: String,
    pub channel: String,
    pub postcode: String,
    pub name: String,
    /// The share form's one-time value (`new_share_nonce`).
    pub nonce: String,
}

/// Why a share was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// A field's problem, for the form: (field, message).
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error(transparent)]
    Check(#[from] ScamCheckError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A fresh one-time value for a share form.
pub fn new_share_nonce() -> String {
    crate::random::random_id()
}

/// Stores a message a resident shares with the police, with what the checker makes of it, the
/// district of their postcode and their name if they gave them. The same form sent twice (a
/// double click) stores it once; both are answered as shared.
pub async fn share(ctx: &AppContext, input: &ShareInput, client: &str) -> Result<(), ShareError> {
    let nonce = input.nonce.trim();
    if nonce.len() != 32 || !nonce.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ShareError::Invalid(
            "text",
            "This form has expired. Check the message again, then share it.".into(),
        ));
    }
    let channel = Channel::parse(&input.channel);
    let district_code = district_of(ctx, &input.postcode).await?;
    let name = input.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ShareError::Invalid(
            "name",
            format!("Your name must be {MAX_NAME_CHARS} characters or fewer"),
        ));
    }
    let answer = check(ctx, &input.text, channel, client).await?;
    let now = chrono::Utc::now();
    let report = NewScamReport {
        text: answer.check.text.clone(),
        channel: channel.map(|c| c.slug().to_owned()),
        verdict: answer.check.verdict.slug().to_owned(),
        kind: answer.check.kind.map(|k| k.slug().to_owned()),
        confidence: f64::from(answer.check.confidence),
        district_code,
        name: (!name.is_empty()).then_some(name),
        reported_at: now.timestamp(),
        reported_on: uk_date(now.timestamp()),
        form_nonce: nonce.to_ascii_lowercase(),
    };
    ctx.store
        .record_scam_report(&report)
        .await
        .context("storing a shared scam message")?;
    Ok(())
}

/// The district of an optional postcode: none for none, or for a real postcode outside the
/// places this service holds; a problem for one that cannot be read or found.
async fn district_of(ctx: &AppContext, raw: &str) -> Result<Option<String>, ShareError> {
    use super::postcodes::{LookupError, PlaceProblem};
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let postcode =
        Postcode::parse(raw).map_err(|e| ShareError::Invalid("postcode", e.to_string()))?;
    match super::postcodes::locate(&*ctx.store, &postcode).await {
        Ok(location) => Ok(location.district_code),
        Err(LookupError::Place(PlaceProblem::OutsideArea { .. })) => Ok(None),
        Err(LookupError::Unexpected(error)) => Err(error.into()),
        Err(problem) => Err(ShareError::Invalid("postcode", problem.to_string())),
    }
}

/// A UK date, YYYY-MM-DD.
fn uk_date(timestamp: Timestamp) -> String {
    chrono::DateTime::from_timestamp(timestamp, 0)
        .map(|t| {
            t.with_timezone(&chrono_tz::Europe::London)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default()
}

/// One ISO week's reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekCount {
    /// "2026-W49"
    pub iso_week: String,
    /// The Monday it starts on, "1 Dec".
    pub starts: String,
    pub reports: i64,
}

/// Reports of one kind, or from one district, over the weeks counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The kind's slug or the district's code; empty for "not named" / "no postcode given".
    pub key: String,
    pub name: String,
    pub reports: i64,
}

/// A shared message as staff read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedScam {
    pub report: ScamReport,
    pub kind_name: Option<&'static str>,
    pub verdict_words: &'static str,
    pub channel_label: Option<&'static str>,
    pub district_name: Option<String>,
}

/// What the Reported scams page shows.
pub struct ReportedScams {
    pub weeks: Vec<WeekCount>,
    pub by_kind: Vec<Tally>,
    pub by_district: Vec<Tally>,
    pub newest: Vec<ReportedScam>,
}

/// The verdict as staff read it in a list.
pub fn verdict_words(slug: &str) -> &'static str {
    match slug {
        "scam" => "Scam",
        "suspicious" => "Suspicious",
        _ => "No scam signs",
    }
}

/// The Reported scams page for a sender or admin (`staff`): counts over the last
/// `REPORT_WEEKS` ISO weeks and the newest reports. Each view is audited.
pub async fn reported_scams(ctx: &AppContext, actor: &Actor<'_>) -> anyhow::Result<ReportedScams> {
    use chrono::{Datelike, Duration, NaiveDate};
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first_monday = this_monday - Duration::weeks(REPORT_WEEKS - 1);
    let counts: Vec<ScamReportCount> = ctx
        .store
        .scam_report_counts(&first_monday.format("%Y-%m-%d").to_string())
        .await
        .context("counting reported scams")?;
    let mut weeks: Vec<WeekCount> = (0..REPORT_WEEKS)
        .map(|i| {
            let monday = first_monday + Duration::weeks(i);
            let iso = monday.iso_week();
            WeekCount {
                iso_week: format!("{}-W{:02}", iso.year(), iso.week()),
                starts: monday.format("%-d %b").to_string(),
                reports: 0,
            }
        })
        .collect();
    let districts = ctx.store.districts().await.context("reading districts")?;
    let district_name = |code: &str| {
        districts
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    let mut by_kind: Vec<Tally> = Vec::new();
    let mut by_district: Vec<Tally> = Vec::new();
    let add = |tallies: &mut Vec<Tally>, key: String, name: String, n: i64| match tallies
        .iter_mut()
        .find(|t| t.key == key)
    {
        Some(tally) => tally.reports += n,
        None => tallies.push(Tally {
            key,
            name,
            reports: n,
        }),
    };
    for count in &counts {
        if let Ok(day) = NaiveDate::parse_from_str(&count.reported_on, "%Y-%m-%d") {
            let week = (day - first_monday).num_days() / 7;
            if let Some(w) = usize::try_from(week).ok().and_then(|w| weeks.get_mut(w)) {
                w.reports += count.reports;
            }
        }
        let kind = count.kind.as_deref().and_then(ScamKind::parse);
        add(
            &mut by_kind,
            kind.map(|k| k.slug().to_owned()).unwrap_or_default(),
            kind.map_or("No kind named", ScamKind::name).to_owned(),
            count.reports,
        );
        let code = count.district_code.clone().unwrap_or_default();
        let name = if code.is_empty() {
            "No postcode given".to_owned()
        } else {
            district_name(&code)
        };
        add(&mut by_district, code, name, count.reports);
    }
    for tallies in [&mut by_kind, &mut by_district] {
        tallies.sort_by(|a, b| b.reports.cmp(&a.reports).then(a.name.cmp(&b.name)));
    }
    let newest = ctx
        .store
        .newest_scam_reports(NEWEST_REPORTS)
        .await
        .context("reading the newest reported scams")?
        .into_iter()
        .map(|report| ReportedScam {
            kind_name: report
                .kind
                .as_deref()
                .and_then(ScamKind::parse)
                .map(ScamKind::name),
            verdict_words: verdict_words(&report.verdict),
            channel_label: report
                .channel
                .as_deref()
                .and_then(Channel::parse)
                .map(Channel::label),
            district_name: report.district_code.as_deref().map(district_name),
            report,
        })
        .collect();
    audit(
        ctx,
        actor,
        "view-reported-scams",
        "reported scams",
        "",
        false,
    )
    .await?;
    Ok(ReportedScams {
        weeks,
        by_kind,
        by_district,
        newest,
    })
}

/// A scam warning's title and body, written from a kind's advice, for the compose form.
pub fn warning_for(kind: ScamKind) -> (String, String) {
    let title = format!("Scam warning: {}", kind.name());
    let mut body = format!(
        "Residents are reporting messages and calls that match this scam: {}.\n\n**What to do**\n\n",
        kind.name()
    );
    for line in kind.advice() {
        body.push_str(&format!("- {line}\n"));
    }
    body.push_str(
        "\nNot sure about a message? Paste it into our scam checker to see what it is and what to do.",
    );
    (title, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_key_does_not_hold_the_text() {
        let key = text_key("127.0.0.1", "Hi Mum, this is my new number");
        assert!(!key.contains("Mum"), "{key}");
        assert_eq!(
            key,
            text_key("127.0.0.1", "  Hi Mum, this is my new number\n")
        );
        assert_ne!(key, text_key("127.0.0.2", "Hi Mum, this is my new number"));
    }

    #[test]
    fn a_warning_is_written_from_the_kinds_advice() {
        let (title, body) = warning_for(ScamKind::FamilyFriend);
        assert!(title.contains(ScamKind::FamilyFriend.name()), "{title}");
        let advice = ScamKind::FamilyFriend.advice();
        assert!(!advice.is_empty());
        for line in advice {
            assert!(body.contains(line), "{body}");
        }
    }

    #[test]
    fn every_kinds_warning_has_a_title_an_alert_may_have() {
        for kind in ScamKind::ALL {
            let (title, body) = warning_for(kind);
            let chars = title.chars().count();
            assert!(chars <= crate::domain::alert::MAX_TITLE_CHARS, "{title}");
            assert!(body.contains(kind.name()), "{kind:?}");
        }
    }

    #[test]
    fn uk_dates_follow_the_clocks() {
        // 23:30 UTC on 1 July 2026 is 00:30 on 2 July in British Summer Time.
        assert_eq!(uk_date(1_782_948_600), "2026-07-02");
        // In winter the UK is on UTC.
        assert_eq!(uk_date(1_796_168_000), "2026-12-01");
    }
}

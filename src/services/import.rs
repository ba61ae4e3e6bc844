//! Importing other services' alert archives (`beacon import-archive`): each alert read from a
//! file is matched to the catalogue, placed by the places it names, fingerprinted and stored as
//! sent to nobody; the report says what was found, stored, skipped and could not be read.

use std::collections::HashSet;

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::AppContext;
use crate::domain::alert::{parse_body, parse_title, AlertError, SignOff};
use crate::domain::catalogue::{MessageType, Priority, Provider};
use crate::geo::target::{AreaTarget, Shape};
use crate::import::classify::{self, ProviderMatch};
use crate::import::{self as source, Format, SourceAlert, Unreadable};
use crate::store::{AlertContent, ImportedAlert, Timestamp};

/// Every imported alert's priority: routine. Old services' exports do not say.
const IMPORTED_PRIORITY: Priority = Priority::LOWEST_BUT_ONE;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The format, where it should not be detected from the file.
    pub format: Option<Format>,
    /// Read and report, but store nothing.
    pub dry_run: bool,
    /// The provider (slug) that "The Police" and alerts naming no provider mean; by default the
    /// first in the catalogue, the force itself.
    pub police_provider: Option<String>,
    /// The date given to alerts whose source gives none; by default the day of the import.
    pub undated: Option<NaiveDate>,
}

/// What became of one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Stored,
    /// `--dry-run`: it would have been stored.
    WouldStore,
    /// Already stored by an earlier import (or earlier in this file).
    Duplicate,
}

/// One alert read from a file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertOutcome {
    pub line: usize,
    pub outcome: Outcome,
    /// The stored alert's id (also that of the earlier copy, for a duplicate already stored).
    pub id: Option<i64>,
    pub title: String,
    /// Today's provider (slug) and, where the source named it otherwise, its name there.
    pub provider: String,
    pub original_provider: Option<String>,
    pub message_type: String,
    /// What the source did not say and Beacon inferred: "provider", "message_type", "title",
    /// "date".
    pub inferred: Vec<String>,
    /// The date it is filed under (YYYY-MM-DD).
    pub date: String,
    /// The places it names, which set its area.
    pub places: Vec<String>,
    pub signoff: Option<String>,
    /// How parts that did not have the expected shape were read ("no headline line; the title
    /// is the body's first sentence").
    pub notes: Vec<String>,
}

/// The report for one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileReport {
    pub file: String,
    /// `None` when the file is in no format Beacon reads.
    pub format: Option<Format>,
    /// Alerts found: stored, duplicates and unreadable together.
    pub found: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub unreadable: Vec<Unreadable>,
    /// Alerts stored with something left out, and why.
    pub warnings: Vec<Unreadable>,
    pub alerts: Vec<AlertOutcome>,
    pub dry_run: bool,
}

/// What the import needs from the store, read once per file.
struct Catalogue {
    providers: Vec<Provider>,
    message_types: Vec<MessageType>,
    police: Provider,
    district_names: std::collections::HashMap<String, String>,
}

async fn catalogue(ctx: &AppContext, options: &ImportOptions) -> anyhow::Result<Catalogue> {
    let providers = ctx.store.providers().await?;
    let message_types = ctx.store.message_types().await?;
    let police = match &options.police_provider {
        Some(slug) => providers
            .iter()
            .find(|p| p.slug == *slug)
            .with_context(|| {
                format!("there is no provider “{slug}” (`beacon admin providers` lists them)")
            })?,
        None => providers
            .iter()
            .min_by_key(|p| p.id)
            .context("the catalogue has no providers: run `beacon migrate` first")?,
    }
    .clone();
    let district_names = ctx
        .store
        .districts()
        .await?
        .into_iter()
        .filter_map(|d| Some((d.code.clone(), d.name.clone()?)))
        .collect();
    Ok(Catalogue {
        providers,
        message_types,
        police,
        district_names,
    })
}

/// Imports one file's bytes. `label` names the file in the report and on the stored alerts;
/// `progress` is told (alerts done, alerts found) as it goes.
pub async fn import_bytes(
    ctx: &AppContext,
    label: &str,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<FileReport> {
    let text = source::text::decode(bytes);
    let mut report = FileReport {
        file: label.to_owned(),
        format: options.format.or_else(|| Format::detect(&text)),
        found: 0,
        stored: 0,
        duplicates: 0,
        unreadable: Vec::new(),
        warnings: Vec::new(),
        alerts: Vec::new(),
        dry_run: options.dry_run,
    };
    let Some(format) = report.format else {
        report.unreadable.push(Unreadable {
            line: 1,
            reason: "this is not a format Beacon reads: an eCops email export, an eCops bulletin \
                     export (headings naming eCops) or a news article in Markdown with YAML front \
                     matter or a “# ” title"
                .into(),
        });
        return Ok(report);
    };
    let parsed = source::parse(format, &text);
    report.found = parsed.alerts.len() + parsed.unreadable.len();
    report.unreadable = parsed.unreadable;
    report.warnings = parsed.warnings;
    let catalogue = catalogue(ctx, options).await?;
    let now = Utc::now().timestamp();
    let undated_base = options.undated.map(midday).unwrap_or(now);
    let today = Utc::now().date_naive();
    let dates: Vec<Option<NaiveDate>> = parsed
        .alerts
        .iter()
        .map(|alert| alert.date.filter(|d| *d <= today))
        .collect();
    let places = undated_places(&dates, options.undated);
    let mut seen = HashSet::new();
    let total = parsed.alerts.len();
    for (position, alert) in parsed.alerts.into_iter().enumerate() {
        progress(position, total);
        let line = alert.line;
        // Undated alerts keep the file's order (newest first, as a mailbox lists them).
        let undated = Undated {
            sent_at: undated_base - i64::try_from(position).unwrap_or(0),
            listed_at: places[position],
        };
        match prepare(ctx, &catalogue, format, alert, undated, now).await {
            Err(PrepareError::Unexpected(error)) => return Err(error),
            Err(unstorable) => report.unreadable.push(Unreadable {
                line,
                reason: unstorable.to_string(),
            }),
            Ok((imported, mut outcome)) => {
                let first_here = seen.insert(imported.import_key.clone());
                let earlier = ctx.store.imported_alert_id(&imported.import_key).await?;
                if !first_here || earlier.is_some() {
                    outcome.outcome = Outcome::Duplicate;
                    outcome.id = earlier;
                    report.duplicates += 1;
                } else if options.dry_run {
                    outcome.outcome = Outcome::WouldStore;
                } else {
                    match ctx.store.import_alert(&imported).await? {
                        Some(id) => {
                            outcome.id = Some(id);
                            report.stored += 1;
                        }
                        None => {
                            // Stored by a concurrent import between the check and now.
                            outcome.outcome = Outcome::Duplicate;
                            outcome.id = ctx.store.imported_alert_id(&imported.import_key).await?;
                            report.duplicates += 1;
                        }
                    }
                }
                report.alerts.push(outcome);
            }
        }
    }
    progress(total, total);
    report.unreadable.sort_by_key(|u| u.line);
    Ok(report)
}

/// Where an undated alert is filed: the date shown (the import's, or the `--undated` date) and
/// its place in the archive's list.
#[derive(Debug, Clone, Copy)]
struct Undated {
    sent_at: Timestamp,
    listed_at: Timestamp,
}

/// The place in the archive's newest-first list of each alert of a file, were it undated
/// (`dates` are the alerts' dates in the file's order, `None` where the source gives none).
/// With an `--undated` date, that date. Otherwise the date the file implies: a file lists its
/// alerts newest first, as a mailbox does, so an undated alert goes just after the nearest
/// dated alert above it, or else just before the nearest one below it. A file with no dates at
/// all implies none: its alerts go after every dated alert (at zero and below, in the file's
/// order), never above today's.
fn undated_places(dates: &[Option<NaiveDate>], undated: Option<NaiveDate>) -> Vec<Timestamp> {
    let step = |steps: usize| i64::try_from(steps).unwrap_or(i64::MAX);
    (0..dates.len())
        .map(|position| {
            if let Some(date) = undated {
                return midday(date) - step(position);
            }
            let above = dates[..position]
                .iter()
                .rposition(Option::is_some)
                .and_then(|at| Some(midday(dates[at]?) - step(position - at)));
            let below = || {
                let offset = dates[position..].iter().position(Option::is_some)?;
                Some(midday(dates[position + offset]?) + step(offset))
            };
            above.or_else(below).unwrap_or(-step(position))
        })
        .collect()
}

/// Noon UTC on a day: a source's date without a time, filed so that it reads as that day in
/// the UK all year round.
fn midday(date: NaiveDate) -> Timestamp {
    date.and_hms_opt(12, 0, 0)
        .map(|t| Utc.from_utc_datetime(&t).timestamp())
        .unwrap_or(0)
}

/// Why an alert read from a file cannot be stored (it goes in the report as unreadable), or the
/// import failing.
#[derive(Debug, thiserror::Error)]
enum PrepareError {
    #[error("the message cannot be stored: {0}")]
    Body(AlertError),
    #[error("the title “{title}” cannot be stored: {problem}")]
    Title { title: String, problem: AlertError },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Matches a source alert to the catalogue and places it: the alert to store and its report
/// line, or why it cannot be stored.
async fn prepare(
    ctx: &AppContext,
    catalogue: &Catalogue,
    format: Format,
    alert: SourceAlert,
    undated: Undated,
    now: Timestamp,
) -> Result<(ImportedAlert, AlertOutcome), PrepareError> {
    let mut inferred: Vec<String> = Vec::new();
    let (provider, original_provider) = match alert.provider.as_deref() {
        Some(name) => {
            let kind = classify::provider(name);
            let matched = match kind {
                ProviderMatch::Police => Some(&catalogue.police),
                ProviderMatch::Slug(slug) => catalogue.providers.iter().find(|p| p.slug == slug),
                ProviderMatch::Unknown => catalogue
                    .providers
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(name)),
            };
            let provider = matched.unwrap_or_else(|| {
                inferred.push("provider".into());
                &catalogue.police
            });
            // "The Police" is the force itself: no need to say it was called that.
            let renamed =
                !provider.name.eq_ignore_ascii_case(name) && !matches!(kind, ProviderMatch::Police);
            (provider, renamed.then(|| name.to_owned()))
        }
        None => {
            inferred.push("provider".into());
            (&catalogue.police, None)
        }
    };

    let body = parse_body(&alert.body).map_err(PrepareError::Body)?;
    if alert.title_inferred {
        inferred.push("title".into());
    }
    let title = match alert.title.clone() {
        Some(title) => title,
        None => {
            inferred.push("title".into());
            source::text::title_from_text(&alert.lead_text, source::MAX_DERIVED_TITLE_CHARS)
        }
    };
    let title = parse_title(&title).map_err(|problem| PrepareError::Title { title, problem })?;
    let body_text = crate::domain::alert::render_markdown(&body).text;

    let named_type: Option<String> = alert.message_type.as_deref().and_then(|label| {
        classify::message_type_label(label)
            .map(str::to_owned)
            .or_else(|| {
                catalogue
                    .message_types
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(label.trim()) || t.slug == label.trim())
                    .map(|t| t.slug.clone())
            })
    });
    let type_slug = named_type.unwrap_or_else(|| {
        inferred.push("message_type".into());
        classify::infer_message_type(&title, &body_text).to_owned()
    });
    let Some(message_type) = catalogue
        .message_types
        .iter()
        .find(|t| t.slug == type_slug)
        .or_else(|| catalogue.message_types.first())
    else {
        return Err(anyhow::anyhow!(
            "the catalogue has no message types: run `beacon migrate` first"
        )
        .into());
    };

    // A date after the import's is a misreading: the alert is filed as undated.
    let today = Utc::now().date_naive();
    let (sent_at, listed_at) = match alert.date.filter(|d| *d <= today) {
        Some(date) => (midday(date), midday(date)),
        None => {
            inferred.push("date".into());
            (undated.sent_at, undated.listed_at)
        }
    };

    // The area: the places and postcodes it names (a news article's `area` first), else the
    // whole force area.
    let words = format!(
        "{}\n{}\n{}",
        alert.area.as_deref().unwrap_or(""),
        title,
        body_text
    );
    let postcodes = postcodes_named(ctx, &words)
        .await
        .context("finding the postcodes an alert names")?;
    let suggestion = super::alerts::suggest_target_with(&words, postcodes);
    let target = match &suggestion {
        Some(s) => AreaTarget {
            include: vec![Shape::Circle {
                easting: s.easting,
                northing: s.northing,
                radius_m: s.radius_km * 1000.0,
                label: s.places.join(", "),
            }],
            exclude: Vec::new(),
        },
        None => AreaTarget {
            include: vec![Shape::ForceArea],
            exclude: Vec::new(),
        },
    };
    let prepared = target.prepare();
    let district_codes: Vec<String> = super::delivery::target_districts(ctx, &target, &prepared)
        .await
        .context("finding the districts an alert's area covers")?
        .into_iter()
        .collect();
    let description = target.describe(|code| {
        catalogue
            .district_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    });

    let signoff = alert.signoff.clone().unwrap_or(SignOff {
        name: String::new(),
        organisation: String::new(),
        role: String::new(),
        area: String::new(),
    });
    let import_key = fingerprint(&provider.slug, &title, &body);
    // What the public sees: the kind of source, and a news article's own address. The file's
    // name (often its mailbox owner's) and the line stay in the import's report.
    let imported_from = match (&alert.url, format) {
        (Some(url), Format::News) => format!("a {}, {url}", format.describe()),
        (None, Format::News) => format!("a {}", format.describe()),
        _ => format!("an {}", format.describe()),
    };
    let outcome = AlertOutcome {
        line: alert.line,
        outcome: Outcome::Stored,
        id: None,
        title: title.clone(),
        provider: provider.slug.clone(),
        original_provider: original_provider.clone(),
        message_type: message_type.slug.clone(),
        inferred: inferred.clone(),
        date: Utc
            .timestamp_opt(sent_at, 0)
            .single()
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        places: suggestion.map(|s| s.places).unwrap_or_default(),
        signoff: alert
            .signoff
            .as_ref()
            .map(|s| s.to_string().replace('\n', " / ")),
        notes: alert.notes.clone(),
    };
    Ok((
        ImportedAlert {
            content: AlertContent {
                provider_id: provider.id,
                message_type_id: message_type.id,
                priority: IMPORTED_PRIORITY,
                title,
                body_markdown: body,
                sms_text: None,
                target,
                target_description: description,
                private: false,
                members: Default::default(),
            },
            signoff,
            sent_at,
            listed_at,
            imported_from,
            imported_provider: original_provider,
            inferred,
            import_key,
            district_codes,
            now,
        },
        outcome,
    ))
}

/// Most postcodes of one alert looked up: a postcode list pasted into an alert sets its area no
/// better than its first few.
const MAX_POSTCODES: usize = 20;

/// The full postcodes `text` writes that the store knows, each once, with their grid positions.
async fn postcodes_named(
    ctx: &AppContext,
    text: &str,
) -> anyhow::Result<Vec<(String, (f64, f64))>> {
    // A postcode is two words, the outward code ("CB1") then the inward ("1PT").
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut candidates: Vec<crate::domain::Postcode> = Vec::new();
    for pair in words.windows(2) {
        let [outward, inward] = pair else { continue };
        let looks_like = inward.len() == 3
            && inward.starts_with(|c: char| c.is_ascii_digit())
            && (2..=4).contains(&outward.len())
            && outward.starts_with(|c: char| c.is_ascii_uppercase());
        if let Ok(postcode) = crate::domain::Postcode::parse(&format!("{outward} {inward}")) {
            if looks_like && !candidates.contains(&postcode) {
                candidates.push(postcode);
            }
        }
        if candidates.len() == MAX_POSTCODES {
            break;
        }
    }
    let mut found = Vec::new();
    for postcode in candidates {
        if let Some(place) = ctx.store.find_postcode(postcode.as_str()).await? {
            if let (Some(e), Some(n)) = (place.easting, place.northing) {
                found.push((postcode.as_str().to_owned(), (f64::from(e), f64::from(n))));
            }
        }
    }
    Ok(found)
}

/// The fingerprint of an imported alert: its provider, title and body. The date is left out:
/// for an undated source it is the day of the import, which differs each time.
fn fingerprint(provider: &str, title: &str, body: &str) -> String {
    let mut hash = Sha256::new();
    for part in [provider, title, body] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undated_alerts_are_listed_where_their_file_puts_them_or_last() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2025, 3, d);
        // Newest first: 5 March, two undated, 1 March, one undated.
        let places = undated_places(&[day(5), None, None, day(1), None], None);
        let (fifth, first) = (midday(day(5).unwrap()), midday(day(1).unwrap()));
        assert_eq!(places[1..3], [fifth - 1, fifth - 2]);
        assert_eq!(places[4], first - 1);
        // Undated alerts before the first dated one go just above it.
        assert_eq!(
            undated_places(&[None, None, day(1)], None)[..2],
            [first + 2, first + 1]
        );
        // No dates at all: after every dated alert, in the file's order.
        assert_eq!(undated_places(&[None, None, None], None), [0, -1, -2]);
        // A date given for the undated: that date, in the file's order.
        assert_eq!(
            undated_places(&[None, day(1), None], day(5)),
            [fifth, fifth - 1, fifth - 2]
        );
    }
}

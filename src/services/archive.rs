//! The public archive: reading the filters people type (a place, an organisation, a kind of
//! message, dates, words to search) into an `ArchiveFilter`, every problem reported in words,
//! and listing public alerts a page at a time.

use super::postcodes::LookupError;
use super::AppContext;
use crate::domain::Postcode;
use crate::store::{ArchiveFilter, ArchiveHit, PublicAlert, StoreResult, Timestamp};
use anyhow::Context;
use std::sync::atomic::{AtomicU64, Ordering};

/// Alerts on a page of the archive or the API, unless asked for fewer.
pub const PAGE_SIZE: i64 = 20;
/// Most alerts one API request may ask for.
pub const MAX_PAGE_SIZE: i64 = 100;
/// Longest search accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// How deep into search results one may page.
pub const MAX_SEARCH_OFFSET: i64 = 1_000;

/// How many times this process has changed what the public archive shows (sent an alert,
/// recorded the districts it concerns). Other processes' changes are seen through the store's
/// `archive_changed_at` instead; this is the cheap, immediate signal for our own.
#[derive(Debug, Default)]
pub struct ArchiveEdits(AtomicU64);

impl ArchiveEdits {
    pub fn record(&self) {
        self.0.fetch_add(1, Ordering::Release);
    }

    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// The filters as typed (page and API share them).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ArchiveQuery {
    /// Words to search for.
    pub q: String,
    /// A postcode, or a district's name or ONS code.
    pub place: String,
    pub provider: String,
    #[serde(rename = "type")]
    pub message_type: String,
    /// YYYY-MM-DD, inclusive, UK dates.
    pub from: String,
    pub to: String,
    /// Where the previous page ended: `LISTED_AT.ID` (listing) or `o.OFFSET` (search).
    pub cursor: String,
    pub limit: String,
}

/// A problem with one filter, for the page's error summary or the API's 400.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FilterProblem {
    pub field: &'static str,
    pub message: String,
}

/// Why the archive could not be listed as asked.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// What was typed has problems, each in words for the filter it is about.
    #[error("The filters have problems")]
    Filters(Vec<FilterProblem>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ArchiveError {
    fn from(error: crate::store::StoreError) -> Self {
        ArchiveError::Unexpected(error.into())
    }
}

/// A page of the archive as filtered, the cursor of the next one, and when the archive last
/// changed (for the response's validators).
pub struct Listing {
    pub filter: ArchiveFilter,
    pub hits: Vec<ArchiveHit>,
    pub next: Option<String>,
    pub changed_at: Timestamp,
}

/// The archive's page for what was typed: the page and API's use case.
pub async fn list(ctx: &AppContext, query: &ArchiveQuery) -> Result<Listing, ArchiveError> {
    let filter = filter(ctx, query).await?;
    let (hits, next) = page(ctx, &filter)
        .await
        .context("listing the public archive")?;
    let changed_at = ctx.store.archive_changed_at().await?;
    Ok(Listing {
        filter,
        hits,
        next,
        changed_at,
    })
}

/// The archive's page with what its filters offer to choose from.
pub struct Browse {
    pub catalogue: super::catalogue::Catalogue,
    pub listing: Result<Listing, Vec<FilterProblem>>,
}

/// The public archive page: the listing, or the problems with its filters, and the choices.
pub async fn browse(ctx: &AppContext, query: &ArchiveQuery) -> anyhow::Result<Browse> {
    let catalogue = super::catalogue::catalogue(ctx).await?;
    let listing = match list(ctx, query).await {
        Ok(listing) => Ok(listing),
        Err(ArchiveError::Filters(problems)) => Err(problems),
        Err(ArchiveError::Unexpected(error)) => return Err(error),
    };
    Ok(Browse { catalogue, listing })
}

/// A public alert by its id, as typed in an address (`None` for anything else).
pub async fn public_alert(ctx: &AppContext, id: &str) -> StoreResult<Option<PublicAlert>> {
    match id.parse::<i64>() {
        Ok(id) => ctx.store.public_alert(id).await,
        Err(_) => Ok(None),
    }
}

/// When the public archive last changed.
pub async fn changed_at(ctx: &AppContext) -> StoreResult<Timestamp> {
    ctx.store.archive_changed_at().await
}

/// The filter, or every problem with what was typed.
async fn filter(ctx: &AppContext, query: &ArchiveQuery) -> Result<ArchiveFilter, ArchiveError> {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, message: String| {
        problems.push(FilterProblem { field, message });
    };
    let mut filter = ArchiveFilter {
        limit: PAGE_SIZE,
        ..ArchiveFilter::default()
    };

    let words = query.q.trim();
    if words.chars().count() > MAX_QUERY_CHARS {
        problem(
            "q",
            format!("Search for {MAX_QUERY_CHARS} characters or fewer"),
        );
    } else if !words.is_empty() {
        filter.query = Some(words.to_owned());
    }

    let place = query.place.trim();
    if !place.is_empty() {
        match district_of_place(ctx, place).await {
            Ok(code) => filter.district = Some(code),
            Err(PlaceFilterError::Unexpected(error)) => return Err(error.into()),
            Err(unplaced) => problem("place", unplaced.to_string()),
        }
    }

    let provider = query.provider.trim();
    if !provider.is_empty() {
        if ctx
            .store
            .providers()
            .await?
            .iter()
            .any(|p| p.slug == provider)
        {
            filter.provider = Some(provider.to_owned());
        } else {
            problem("provider", "Choose an organisation from the list".into());
        }
    }
    let message_type = query.message_type.trim();
    if !message_type.is_empty() {
        if ctx
            .store
            .message_types()
            .await?
            .iter()
            .any(|t| t.slug == message_type)
        {
            filter.message_type = Some(message_type.to_owned());
        } else {
            problem("type", "Choose a kind of message from the list".into());
        }
    }

    match uk_day_start(&query.from) {
        Ok(from) => filter.since = from,
        Err(()) => problem(
            "from",
            "Enter the first date as a real date, like 2026-11-01".into(),
        ),
    }
    match uk_day_start(&query.to) {
        // Inclusive: up to the start of the next UK day (23 or 25 hours on clock-change days).
        Ok(to) => filter.until = to.and_then(next_uk_day_start),
        Err(()) => problem(
            "to",
            "Enter the last date as a real date, like 2026-11-30".into(),
        ),
    }
    if let (Some(since), Some(until)) = (filter.since, filter.until) {
        if until <= since {
            problem(
                "to",
                "The last date must be the same as the first date or after it".into(),
            );
        }
    }

    let limit = query.limit.trim();
    if !limit.is_empty() {
        match limit.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => filter.limit = n,
            _ => problem(
                "limit",
                format!("Ask for between 1 and {MAX_PAGE_SIZE} alerts at a time"),
            ),
        }
    }

    let cursor = query.cursor.trim();
    if !cursor.is_empty() {
        match parse_cursor(cursor) {
            Some(Cursor::Offset(offset)) if filter.query.is_some() => filter.offset = offset,
            Some(Cursor::Before(at, id)) if filter.query.is_none() => {
                filter.before = Some((at, id))
            }
            _ => problem(
                "cursor",
                "That page link is not valid: start again from the first page".into(),
            ),
        }
    }
    if problems.is_empty() {
        Ok(filter)
    } else {
        Err(ArchiveError::Filters(problems))
    }
}

/// A page of the archive and the cursor of the next one, if there is more.
async fn page(
    ctx: &AppContext,
    filter: &ArchiveFilter,
) -> anyhow::Result<(Vec<ArchiveHit>, Option<String>)> {
    let mut asked = filter.clone();
    asked.limit = filter.limit + 1;
    let mut hits = ctx.store.public_alerts(&asked).await?;
    let more = hits.len() as i64 > filter.limit;
    hits.truncate(filter.limit as usize);
    let next = match (more, hits.last()) {
        (true, Some(_)) if filter.query.is_some() => {
            let offset = filter.offset + filter.limit;
            (offset <= MAX_SEARCH_OFFSET).then(|| format!("o.{offset}"))
        }
        (true, Some(last)) => Some(format!("{}.{}", last.alert.listed_at, last.alert.id)),
        _ => None,
    };
    Ok((hits, next))
}

enum Cursor {
    Before(Timestamp, i64),
    Offset(i64),
}

fn parse_cursor(cursor: &str) -> Option<Cursor> {
    if let Some(offset) = cursor.strip_prefix("o.") {
        let offset = offset.parse::<i64>().ok()?;
        return (0..=MAX_SEARCH_OFFSET)
            .contains(&offset)
            .then_some(Cursor::Offset(offset));
    }
    let (at, id) = cursor.split_once('.')?;
    Some(Cursor::Before(at.parse().ok()?, id.parse().ok()?))
}

/// Midnight at the start of a UK date typed as YYYY-MM-DD; `Ok(None)` for nothing typed.
fn uk_day_start(value: &str) -> Result<Option<Timestamp>, ()> {
    use chrono::TimeZone;
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let date = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| ())?;
    if !(2000..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err(());
    }
    let midnight = date.and_hms_opt(0, 0, 0).ok_or(())?;
    chrono_tz::Europe::London
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| Some(t.timestamp()))
        .ok_or(())
}

/// The start of the UK day after the one that starts at `day_start`.
fn next_uk_day_start(day_start: Timestamp) -> Option<Timestamp> {
    let local = chrono::DateTime::from_timestamp(day_start, 0)?
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .succ_opt()?;
    uk_day_start(&local.format("%Y-%m-%d").to_string()).ok()?
}

/// Why a place typed into the archive's filter names no district.
#[derive(Debug, thiserror::Error)]
enum PlaceFilterError {
    #[error(transparent)]
    Postcode(LookupError),
    #[error("We cannot place the postcode {0}")]
    NoDistrict(Postcode),
    #[error(
        "Enter a postcode (like CB1 1PT) or the name of a district (like South Cambridgeshire)"
    )]
    Unknown,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The district a place names: a postcode's district, or a district by name or code.
async fn district_of_place(ctx: &AppContext, place: &str) -> Result<String, PlaceFilterError> {
    if let Ok(postcode) = Postcode::parse(place) {
        return match super::postcodes::locate(&*ctx.store, &postcode).await {
            Ok(location) => location
                .district_code
                .ok_or(PlaceFilterError::NoDistrict(postcode)),
            Err(LookupError::Unexpected(error)) => Err(PlaceFilterError::Unexpected(error)),
            Err(problem) => Err(PlaceFilterError::Postcode(problem)),
        };
    }
    let wanted = place.to_lowercase();
    let districts = ctx.store.districts().await.context("reading districts")?;
    districts
        .iter()
        .find(|d| {
            d.code.eq_ignore_ascii_case(place)
                || d.name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase() == wanted)
        })
        .map(|d| d.code.clone())
        .ok_or(PlaceFilterError::Unknown)
}

/// A snippet with its match markers, as HTML: escaped, matches in `<mark>`.
pub fn snippet_html(snippet: &str) -> String {
    let mut html = String::with_capacity(snippet.len() + 16);
    for c in snippet.chars() {
        match c {
            '\u{1}' => html.push_str("<mark>"),
            '\u{2}' => html.push_str("</mark>"),
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            c if c.is_control() && c != '\n' => {}
            c => html.push(c),
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_escaped_and_matches_marked() {
        assert_eq!(
            snippet_html("a <b> \u{1}burglary\u{2} & more"),
            "a &lt;b&gt; <mark>burglary</mark> &amp; more"
        );
    }

    #[test]
    fn dates_are_uk_days_and_nonsense_is_refused() {
        // 1 July is in British Summer Time: midnight is 23:00 UTC the day before.
        assert_eq!(uk_day_start("2026-07-01"), Ok(Some(1_782_860_400)));
        assert_eq!(uk_day_start(""), Ok(None));
        assert!(uk_day_start("2026-02-30").is_err());
        assert!(uk_day_start("tomorrow").is_err());
        assert!(uk_day_start("99999-01-01").is_err());
        // The day the clocks go back is 25 hours long.
        let start = uk_day_start("2026-10-25").unwrap().unwrap();
        assert_eq!(next_uk_day_start(start), Some(start + 25 * 3_600));
    }

    #[test]
    fn cursors_parse_or_are_refused() {
        assert!(matches!(parse_cursor("o.40"), Some(Cursor::Offset(40))));
        assert!(matches!(
            parse_cursor("1795312560.12"),
            Some(Cursor::Before(1_795_312_560, 12))
        ));
        assert!(parse_cursor("o.999999").is_none());
        assert!(parse_cursor("nonsense").is_none());
    }
}

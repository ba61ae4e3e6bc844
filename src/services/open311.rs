//! Open311 GeoReport v2 for integrators and existing clients: the kinds of report as services
//! with their definitions, posting a report (a service request) with an Open311 API key issued
//! by an admin, and the published list of requests.
//!
//! What is published is chosen to carry no personal data and to point at nobody:
//! - kinds marked sensitive (domestic abuse, hate incidents) are never listed or published, and
//!   cannot be posted over Open311: those reports need the site's own pages (the safety page,
//!   its advice and "Leave this site");
//! - anonymous reports are never published;
//! - a published request has its kind, its Open311 status and its dates, and a place rounded to
//!   the centre of a square of `reports.open311_grid_metres` (500 m by default). Never the
//!   reporter's name, email or phone, the address they typed, the people or vehicles, the
//!   answers, the files, the crime reference, and never the description: it is a resident's
//!   free text, which names people and addresses as often as not, and no kind of report is safe
//!   from that without someone reading it first.

use super::api_tokens;
use super::reports::{self, Contact, LocationInput, ReportError, Submission};
use super::tokens::sha256_hex;
use super::AppContext;
use crate::domain::report::{ReportStatus, ServiceDefinition};
use crate::domain::subscriber::FieldErrors;
use crate::geo::grid::bng_to_wgs84;
use crate::store::{Report, ReportFilter, ReportOrder, TokenScope};
use anyhow::Context;
use std::collections::BTreeMap;

/// Requests one Open311 key may post in an hour.
pub const POSTS_PER_KEY_PER_HOUR: u32 = 120;

/// The version of this interface's behaviour, as discovery reports it.
pub const CHANGESET: &str = "2026-12-06T00:00:00Z";

/// Why an Open311 call was refused: the spec's error list, with its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum Open311Error {
    /// 400: each problem, in words for the integrator.
    #[error("the request has problems")]
    Invalid(Vec<String>),
    /// 403: no API key, an unknown or revoked one, or an alerts token.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404.
    #[error("{0}")]
    NotFound(&'static str),
    /// 429.
    #[error("This API key has posted too many requests in the last hour: try again later")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for Open311Error {
    fn from(error: crate::store::StoreError) -> Self {
        Open311Error::Unexpected(error.into())
    }
}

const UNKNOWN_SERVICE: &str = "There is no service with that service_code";
const UNKNOWN_REQUEST: &str = "There is no published service request with that id";

/// Whether a kind of report is offered through Open311: not sensitive, and not one whose
/// reporters must first see a safety page.
fn is_open(kind: &ServiceDefinition) -> bool {
    !kind.sensitive && !kind.safety_page
}

/// The services an Open311 client can see and post to: every active kind that is not
/// sensitive, in order.
pub async fn services(ctx: &AppContext) -> Result<Vec<ServiceDefinition>, Open311Error> {
    Ok(reports::kinds(ctx)
        .await
        .map_err(unexpected)?
        .into_iter()
        .filter(is_open)
        .collect())
}

/// One service's definition; not found for a sensitive or inactive kind.
pub async fn definition(ctx: &AppContext, code: &str) -> Result<ServiceDefinition, Open311Error> {
    services(ctx)
        .await?
        .into_iter()
        .find(|kind| kind.code == code)
        .ok_or(Open311Error::NotFound(UNKNOWN_SERVICE))
}

fn unexpected(error: ReportError) -> Open311Error {
    match error {
        ReportError::Unexpected(error) => Open311Error::Unexpected(error),
        other => Open311Error::Unexpected(anyhow::anyhow!("{other}")),
    }
}

/// A POST to `/requests`, as its form fields (and query string) carried it: every name with
/// every value, in order.
#[derive(Debug, Clone, Default)]
pub struct PostedFields(pub Vec<(String, String)>);

impl PostedFields {
    fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.trim().is_empty())
    }

    fn text(&self, name: &str) -> String {
        self.first(name).unwrap_or_default().trim().to_owned()
    }

    /// `attribute[code]=value` and `attribute[code][]=value`, by code.
    fn attributes(&self) -> BTreeMap<String, Vec<String>> {
        let mut answers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in &self.0 {
            let Some(code) = key
                .strip_prefix("attribute[")
                .map(|rest| rest.strip_suffix("[]").unwrap_or(rest))
                .and_then(|rest| rest.strip_suffix(']'))
            else {
                continue;
            };
            answers
                .entry(code.to_owned())
                .or_default()
                .push(value.clone());
        }
        answers
    }
}

/// What a client is told when its request is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedRequest {
    /// The report's reference ("RPT-7KQ4-M2XP"), which is its `service_request_id`.
    pub service_request_id: String,
    pub service_notice: String,
}

/// The Open311 key a client sent, if it is a live Open311 key.
async fn open311_key(
    ctx: &AppContext,
    fields: &PostedFields,
) -> Result<crate::store::ApiToken, Open311Error> {
    let Some(key) = fields.first("api_key") else {
        return Err(Open311Error::Forbidden(
            "Send an api_key: admins issue Open311 keys",
        ));
    };
    match api_tokens::authenticate(ctx, key.trim()).await? {
        Some(token) if token.scope == TokenScope::Open311 => Ok(token),
        Some(_) => Err(Open311Error::Forbidden(
            "This key is an alerts token: it cannot post Open311 requests",
        )),
        None => Err(Open311Error::Forbidden(
            "This api_key is not valid, or has been revoked",
        )),
    }
}

/// Posts a report from an Open311 client: the key checked (and limited per hour), the fields
/// read as the spec names them, then sent like any report (`reports::submit`: checked all at
/// once, placed, stored with its receipt email in one transaction). The same form posted twice
/// by the same key makes one report.
pub async fn post_request(
    ctx: &AppContext,
    fields: &PostedFields,
) -> Result<PostedRequest, Open311Error> {
    let key = open311_key(ctx, fields).await?;
    if !ctx
        .limiter
        .allow(&format!("open311:{}", key.id), POSTS_PER_KEY_PER_HOUR)
    {
        return Err(Open311Error::RateLimited);
    }
    let service_code = fields.text("service_code");
    if service_code.is_empty() {
        return Err(Open311Error::Invalid(vec![
            "service_code: send the code of one of the services".to_owned(),
        ]));
    }
    definition(ctx, &service_code).await?;
    let location = location(fields)?;
    let name = [fields.text("first_name"), fields.text("last_name")]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let contact = Contact {
        anonymous: name.is_empty()
            && fields.first("email").is_none()
            && fields.first("phone").is_none(),
        name,
        email: fields.text("email"),
        phone: fields.text("phone"),
    };
    let submission = Submission {
        service_code,
        answers: fields.attributes(),
        description: fields.first("description").unwrap_or_default().to_owned(),
        location,
        contact,
        form_nonce: form_nonce(key.id, fields),
        source: "open311".to_owned(),
        api_token_id: Some(key.id),
        ..Submission::default()
    };
    match reports::submit(ctx, submission).await {
        Ok(receipt) => Ok(PostedRequest {
            service_request_id: receipt.reference,
            service_notice: notice(ctx, receipt.emailed),
        }),
        Err(ReportError::Invalid(errors)) => Err(Open311Error::Invalid(problems(&errors))),
        Err(ReportError::UnknownKind) => Err(Open311Error::NotFound(UNKNOWN_SERVICE)),
        Err(error) => Err(unexpected(error)),
    }
}

/// Where it happened: `lat` and `long` (WGS84 degrees), or `address_string` (a postcode, or a
/// street and town).
fn location(fields: &PostedFields) -> Result<LocationInput, Open311Error> {
    let degrees = |name: &str, limit: f64| -> Result<Option<f64>, String> {
        match fields.first(name) {
            None => Ok(None),
            Some(raw) => match raw.trim().parse::<f64>() {
                Ok(value) if value.is_finite() && value.abs() <= limit => Ok(Some(value)),
                _ => Err(format!(
                    "{name}: {raw:?} is not a WGS84 {} in degrees",
                    if name == "lat" {
                        "latitude"
                    } else {
                        "longitude"
                    }
                )),
            },
        }
    };
    let mut problems = Vec::new();
    let latitude = degrees("lat", 90.0).unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let longitude = degrees("long", 180.0).unwrap_or_else(|p| {
        problems.push(p);
        None
    });
    let text = fields.text("address_string");
    if problems.is_empty() && latitude.is_some() != longitude.is_some() {
        problems.push("lat and long: send both, or neither".to_owned());
    }
    if problems.is_empty() && latitude.is_none() && text.is_empty() {
        problems.push(
            "lat, long, address_string: send where it happened, as lat and long or as an \
             address_string (a postcode, or a street and town)"
                .to_owned(),
        );
    }
    if !problems.is_empty() {
        return Err(Open311Error::Invalid(problems));
    }
    Ok(LocationInput {
        text,
        latitude,
        longitude,
        ..LocationInput::default()
    })
}

/// The same fields from the same key make the same nonce: a client that retries a post it did
/// not hear back from makes one report.
fn form_nonce(key_id: i64, fields: &PostedFields) -> String {
    let mut sorted: Vec<String> = fields
        .0
        .iter()
        .filter(|(key, _)| key != "api_key")
        .map(|(key, value)| format!("{}:{key}={}:{value}", key.len(), value.len()))
        .collect();
    sorted.sort();
    let digest = sha256_hex(&format!("{key_id}\n{}", sorted.join("\n")));
    format!("open311-{}", &digest[..40])
}

fn notice(ctx: &AppContext, emailed: bool) -> String {
    let hours = ctx.settings.reports.triage_target_hours;
    let receipt = if emailed {
        " A receipt has been emailed to the reporter."
    } else {
        ""
    };
    format!(
        "Received. A call taker will assess it within {hours} hours, as they would a call to \
         101.{receipt} If someone is in danger, call 999."
    )
}

/// The Open311 parameter each of the report's fields came from.
fn parameter(field: &str) -> String {
    match field {
        reports::field::LOCATION => "lat, long, address_string".to_owned(),
        reports::field::NAME => "first_name, last_name".to_owned(),
        reports::field::ANONYMOUS => "email, phone".to_owned(),
        other => match other.strip_prefix("question-") {
            Some(code) => format!("attribute[{code}]"),
            None => other.to_owned(),
        },
    }
}

fn problems(errors: &FieldErrors) -> Vec<String> {
    errors
        .iter()
        .map(|error| format!("{}: {}", parameter(&error.field), error.message))
        .collect()
}

/// A published request: no personal data, its place blurred.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedRequest {
    pub service_request_id: String,
    /// "open" or "closed".
    pub status: &'static str,
    pub status_notes: Option<&'static str>,
    pub service_code: String,
    pub service_name: String,
    pub requested_at: i64,
    pub updated_at: i64,
    /// The centre of the grid square it is in, in WGS84 degrees.
    pub position: Option<(f64, f64)>,
}

/// The filters of `GET /requests`, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RequestQuery {
    pub service_request_id: Option<String>,
    pub service_code: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub status: Option<String>,
}

/// Published requests matching the spec's filters, newest first: by default those of the last
/// `reports.open311_default_days` days, at most `reports.open311_max_requests`.
pub async fn requests(
    ctx: &AppContext,
    query: &RequestQuery,
) -> Result<Vec<PublishedRequest>, Open311Error> {
    let settings = &ctx.settings.reports;
    let kinds = publishable_kinds(ctx).await?;
    let mut filter = ReportFilter {
        excluded_service_codes: kinds.sensitive.clone(),
        named_only: true,
        order: ReportOrder::Newest,
        limit: settings.open311_max_requests,
        ..ReportFilter::default()
    };
    let list = |raw: &Option<String>| -> Vec<String> {
        raw.as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let ids = list(&query.service_request_id);
    if !ids.is_empty() {
        // The spec: a list of ids overrides every other filter.
        filter.references = ids;
        filter.service_codes = kinds.open.keys().cloned().collect();
    } else {
        let mut problems = Vec::new();
        let asked = list(&query.service_code);
        filter.service_codes = if asked.is_empty() {
            kinds.open.keys().cloned().collect()
        } else {
            asked
                .into_iter()
                .filter(|code| kinds.open.contains_key(code))
                .collect()
        };
        let mut statuses = Vec::new();
        for status in list(&query.status) {
            match status.to_ascii_lowercase().as_str() {
                "open" => statuses.extend(
                    ReportStatus::ALL
                        .into_iter()
                        .filter(|s| s.open311() == "open"),
                ),
                "closed" => statuses.extend(
                    ReportStatus::ALL
                        .into_iter()
                        .filter(|s| s.open311() == "closed"),
                ),
                _ => problems.push(format!("status: {status:?} is not open or closed")),
            }
        }
        filter.statuses = statuses;
        let start = date(query.start_date.as_deref(), "start_date", &mut problems);
        let end = date(query.end_date.as_deref(), "end_date", &mut problems);
        if !problems.is_empty() {
            return Err(Open311Error::Invalid(problems));
        }
        let days = settings.open311_default_days * 86_400;
        filter.since = match (start, end) {
            (Some(start), _) => Some(start),
            (None, Some(end)) => Some(end - days),
            (None, None) => Some(chrono::Utc::now().timestamp() - days),
        };
        filter.until = end;
    }
    if filter.service_codes.is_empty() {
        // No service the client may see: an empty filter would mean every kind.
        return Ok(Vec::new());
    }
    let found = ctx
        .store
        .find_reports(&filter)
        .await
        .context("listing reports for Open311")?;
    Ok(found
        .into_iter()
        .filter_map(|report| publish(ctx, &kinds, report))
        .collect())
}

/// One published request, by its id (the report's reference): not found for a report that is
/// not published (anonymous, or of a sensitive kind).
pub async fn request(
    ctx: &AppContext,
    service_request_id: &str,
) -> Result<PublishedRequest, Open311Error> {
    let kinds = publishable_kinds(ctx).await?;
    let report = ctx
        .store
        .report_by_reference(service_request_id.trim())
        .await
        .context("reading a report for Open311")?;
    report
        .and_then(|report| publish(ctx, &kinds, report))
        .ok_or(Open311Error::NotFound(UNKNOWN_REQUEST))
}

/// The request a token names. Posts are answered with their `service_request_id` at once, so a
/// token is that id itself; it is answered for published requests only.
pub async fn request_for_token(ctx: &AppContext, token: &str) -> Result<String, Open311Error> {
    Ok(request(ctx, token).await?.service_request_id)
}

/// The kinds whose reports may be published (by code, with their names), and the sensitive
/// ones (active or not), which never are.
struct PublishableKinds {
    open: BTreeMap<String, String>,
    sensitive: Vec<String>,
}

async fn publishable_kinds(ctx: &AppContext) -> Result<PublishableKinds, Open311Error> {
    let stored = reports::stored_kinds(ctx)
        .await
        .context("reading the kinds of report")?;
    let mut kinds = PublishableKinds {
        open: BTreeMap::new(),
        sensitive: Vec::new(),
    };
    for stored in stored {
        // A definition that cannot be read is treated as sensitive: never published.
        match stored.definition {
            Some(kind) if is_open(&kind) => {
                kinds.open.insert(kind.code, kind.name);
            }
            _ => kinds.sensitive.push(stored.code),
        }
    }
    Ok(kinds)
}

/// A report as Open311 publishes it, or nothing if it is not to be published.
fn publish(ctx: &AppContext, kinds: &PublishableKinds, report: Report) -> Option<PublishedRequest> {
    if report.anonymous || kinds.sensitive.contains(&report.service_code) {
        return None;
    }
    let service_name = kinds.open.get(&report.service_code)?.clone();
    let grid = ctx.settings.reports.open311_grid_metres;
    let position = report
        .easting
        .zip(report.northing)
        .map(|(easting, northing)| blurred(easting, northing, grid));
    let status_notes = match report.status {
        ReportStatus::Referred => Some("Passed to the organisation that deals with it."),
        ReportStatus::Information => Some("Recorded as information."),
        ReportStatus::CrimeRecorded => Some("A crime has been recorded."),
        ReportStatus::Allocated => Some("Allocated to an officer or team."),
        _ => None,
    };
    Some(PublishedRequest {
        service_request_id: report.reference,
        status: report.status.open311(),
        status_notes,
        service_code: report.service_code,
        service_name,
        requested_at: report.created_at,
        updated_at: report.updated_at,
        position,
    })
}

/// The centre of the `grid`-metre square a grid position is in, in WGS84 degrees (five
/// decimals: about a metre, far finer than the square).
pub fn blurred(easting: i64, northing: i64, grid: i64) -> (f64, f64) {
    let grid = grid.max(1);
    let centre = |metres: i64| (metres.div_euclid(grid) * grid) as f64 + grid as f64 / 2.0;
    let place = bng_to_wgs84(centre(easting), centre(northing));
    let round = |degrees: f64| (degrees * 1e5).round() / 1e5;
    (round(place.latitude), round(place.longitude))
}

/// A w3c date and time (`2026-12-01T00:00:00Z`, any offset) or a date (`2026-12-01`, from its
/// midnight UTC), as Unix seconds.
fn date(raw: Option<&str>, name: &str, problems: &mut Vec<String>) -> Option<i64> {
    let raw = raw.map(str::trim).filter(|raw| !raw.is_empty())?;
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(time.timestamp());
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    }
    problems.push(format!(
        "{name}: {raw:?} is not a w3c date and time, like 2026-12-01T00:00:00Z"
    ));
    None
}

/// A time as the spec writes it (w3c, UTC).
pub fn w3c(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_rounded_to_the_centre_of_their_square() {
        // Two points in the same 500 m square (Huntingdon) give the same place.
        let a = blurred(523_610, 271_720, 500);
        let b = blurred(523_990, 271_501, 500);
        assert_eq!(a, b);
        let centre = bng_to_wgs84(523_750.0, 271_750.0);
        assert!((a.0 - centre.latitude).abs() < 1e-5);
        assert!((a.1 - centre.longitude).abs() < 1e-5);
        assert_ne!(blurred(524_010, 271_720, 500), a);
    }

    #[test]
    fn attributes_are_read_by_code_with_lists() {
        let fields = PostedFields(vec![
            ("attribute[damaged]".into(), "vehicle".into()),
            ("attribute[motivation][]".into(), "race".into()),
            ("attribute[motivation][]".into(), "religion".into()),
            ("attributes".into(), "ignored".into()),
        ]);
        let answers = fields.attributes();
        assert_eq!(answers["damaged"], ["vehicle"]);
        assert_eq!(answers["motivation"], ["race", "religion"]);
        assert_eq!(answers.len(), 2);
    }

    #[test]
    fn a_repeated_post_has_the_same_nonce_whatever_its_order() {
        let one = PostedFields(vec![
            ("service_code".into(), "theft".into()),
            ("description".into(), "Bike".into()),
            ("api_key".into(), "a".into()),
        ]);
        let two = PostedFields(vec![
            ("description".into(), "Bike".into()),
            ("service_code".into(), "theft".into()),
            ("api_key".into(), "a".into()),
        ]);
        assert_eq!(form_nonce(1, &one), form_nonce(1, &two));
        assert_ne!(form_nonce(1, &one), form_nonce(2, &one));
        assert!(form_nonce(1, &one).len() <= 100);
    }

    #[test]
    fn bad_positions_and_missing_places_are_refused() {
        let fields = |pairs: &[(&str, &str)]| {
            PostedFields(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
        };
        for pairs in [
            &[("lat", "north"), ("long", "0.1")][..],
            &[("lat", "95"), ("long", "0.1")],
            &[("lat", "52.3")],
            &[("lat", "NaN"), ("long", "0")],
            &[],
        ] {
            assert!(
                matches!(location(&fields(pairs)), Err(Open311Error::Invalid(_))),
                "{pairs:?}"
            );
        }
        let placed = location(&fields(&[("lat", "52.33"), ("long", "-0.18")])).unwrap();
        assert_eq!(placed.latitude, Some(52.33));
        let placed = location(&fields(&[("address_string", "PE29 3TQ")])).unwrap();
        assert_eq!(placed.text, "PE29 3TQ");
    }

    #[test]
    fn dates_are_w3c_or_plain_days() {
        let mut problems = Vec::new();
        assert_eq!(
            date(Some("2026-12-01T00:00:00Z"), "start_date", &mut problems),
            Some(1_796_083_200)
        );
        assert_eq!(
            date(
                Some("2026-12-01T01:00:00+01:00"),
                "start_date",
                &mut problems
            ),
            Some(1_796_083_200)
        );
        assert_eq!(
            date(Some("2026-12-01"), "start_date", &mut problems),
            Some(1_796_083_200)
        );
        assert!(problems.is_empty());
        assert_eq!(date(Some("yesterday"), "end_date", &mut problems), None);
        assert_eq!(problems.len(), 1);
        assert_eq!(w3c(1_796_083_200), "2026-12-01T00:00:00Z");
    }
}

//! Online reports, as residents make and follow them: the kinds they can report, sending a
//! report (checked, placed, stored with its files and receipt in one transaction), the link in
//! the receipt that opens the report without a password, adding to it, and a reporter's data.
//!
//! The follow link (`/reports/{token}`) is the report's reference signed with the server's key.
//! It does not expire: a reporter may need it for months. It stops working when the report is
//! gone: erased with the reporter's data, or deleted when the force's retention period
//! (`reports.retention_days`) has passed after the report was finished.

use super::messages::sender_domain;
use super::postcodes::{locate, LookupError, PlaceProblem};
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::domain::mask;
use crate::domain::report::files::CleanFile;
use crate::domain::report::kinds::default_services;
use crate::domain::report::{urgent_words, Datatype, ServiceDefinition};
use crate::domain::subscriber::FieldErrors;
use crate::domain::{EmailAddress, MobileNumber, Postcode};
use crate::geo::forces::force_for_area;
use crate::geo::grid::{grid_distance, wgs84_to_bng};
use crate::store::{
    NewOutbound, NewReport, NewReportFile, NewReportUpdate, OutboundChannel, Report,
    ReportFileMeta, ReportUpdate, Reports, StoreError, StoredService, AUTHOR_REPORTER,
};
use anyhow::Context;
use askama::Template;
use std::collections::BTreeMap;

/// The signed link's purpose, and what it carries: the report's reference.
const FOLLOW_PURPOSE: &str = "report";

/// The longest description (what happened), and the longest addition to a report.
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Where and when, as typed.
pub const MAX_SHORT_CHARS: usize = 200;
/// The parts of a location (between commas) tried as places: each may cost a query.
const MAX_PLACE_PARTS: usize = 6;
/// Reports one email address may send in an hour, and one client address.
const REPORTS_PER_EMAIL_PER_HOUR: u32 = 10;
const REPORTS_PER_IP_PER_HOUR: u32 = 30;
/// Additions to one report in an hour, and files one report may gather in all (its own and
/// its additions'), as a multiple of `reports.max_files`.
const ADDITIONS_PER_REPORT_PER_HOUR: u32 = 20;
const FILES_PER_REPORT_TIMES_MAX: usize = 4;
/// People and vehicles involved.
pub const MAX_INVOLVED_CHARS: usize = 2_000;
/// A short answer (`string`, `number`, `datetime`) to one of a kind's own questions.
const MAX_ANSWER_CHARS: usize = 500;
/// How far from a place name the nearest postcode of the force's area may be for the place to
/// count as inside it.
const PLACE_REACH_M: f64 = 2_000.0;
/// Receipt codes: no 0/O, 1/I/L, so that a code read over the phone is not misheard.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// What anonymity means, said the same way on the form and the check-your-answers page.
pub const ANONYMITY_MEANS: &str = "If you report anonymously we do not ask for, or keep, your \
    name, email address or phone number, and we do not record where you sent it from. We cannot \
    contact you to ask more, or email you a receipt or updates: keep the reference and the link \
    on the next page to follow your report.";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("there are problems with the report")]
    Invalid(FieldErrors),
    /// The kind of report does not exist or is not offered any more.
    #[error("We do not take reports of that kind online")]
    UnknownKind,
    /// A follow link that cannot be used.
    #[error(transparent)]
    Link(#[from] ReportLinkProblem),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ReportError {
    fn from(error: StoreError) -> Self {
        ReportError::Unexpected(error.into())
    }
}

/// Why a report's link cannot be used, in words for the reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportLinkProblem {
    #[error("This link is not valid. Check that you copied the whole link from the email.")]
    Invalid,
    #[error("We no longer hold this report. Reports are deleted when the reporter asks, and some time after they are finished. If you need to tell us more, make a new report or call 101.")]
    Gone,
}

/// Where it happened, as the resident (or an Open311 client) gave it: what they typed (a
/// postcode or a place name), or a position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LocationInput {
    pub text: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub easting: Option<f64>,
    pub northing: Option<f64>,
}

/// Who is reporting: their contact details, or anonymous.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub anonymous: bool,
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// A report as sent, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    pub service_code: String,
    /// A kind's own questions: question code → the answer (several for a multiple choice).
    pub answers: BTreeMap<String, Vec<String>>,
    pub description: String,
    pub location: LocationInput,
    /// When it happened, as typed ("last night about 11pm").
    pub happened: String,
    /// When it happened, if a client sent an exact time (Unix seconds).
    pub happened_at: Option<i64>,
    pub people: String,
    pub vehicles: String,
    /// Already checked (`domain::report::files::inspect`).
    pub files: Vec<CleanFile>,
    pub contact: Contact,
    /// The same form sent twice makes one report.
    pub form_nonce: String,
    /// "web" or "open311".
    pub source: String,
    pub api_token_id: Option<i64>,
    /// Where the report came from (a web client's address), for the hourly limit.
    pub client_ip: Option<String>,
}

/// What the reporter is told on sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: i64,
    /// "RPT-7KQ4-M2XP".
    pub reference: String,
    pub follow_url: String,
    pub urgent: bool,
    /// False when this was the same form sent again: the first report's receipt.
    pub new: bool,
    /// Whether a receipt email was queued.
    pub emailed: bool,
}

/// The field ids errors are reported against (the web form's ids).
pub mod field {
    pub const KIND: &str = "kind";
    pub const LOCATION: &str = "location";
    pub const HAPPENED: &str = "happened";
    pub const DESCRIPTION: &str = "description";
    pub const PEOPLE: &str = "people";
    pub const VEHICLES: &str = "vehicles";
    pub const FILES: &str = "files";
    pub const ANONYMOUS: &str = "anonymous";
    pub const NAME: &str = "name";
    pub const EMAIL: &str = "email";
    pub const PHONE: &str = "phone";

    /// A kind's own question.
    pub fn question(code: &str) -> String {
        format!("question-{code}")
    }
}

/// The address of a report's own page, from the receipt email: no password, the signed
/// reference is the authority.
pub fn follow_url(ctx: &AppContext, reference: &str) -> String {
    ctx.link(&format!("/reports/{}", follow_token(ctx, reference)))
}

/// The token in a report's link.
pub fn follow_token(ctx: &AppContext, reference: &str) -> String {
    ctx.signer.sign(FOLLOW_PURPOSE, &[reference])
}

/// The reference a report's link names, if the link is genuine.
pub fn reference_from_token(ctx: &AppContext, token: &str) -> Option<String> {
    ctx.signer
        .verify(FOLLOW_PURPOSE, token)
        .and_then(|fields| fields.into_iter().next())
}

fn reports(ctx: &AppContext) -> &dyn Reports {
    &*ctx.store
}

/// Stores the bundled kinds of report that are not stored yet (at start; admins' edits are
/// kept). How many were added.
pub async fn seed_kinds(store: &dyn Reports) -> anyhow::Result<u64> {
    let services = default_services()
        .into_iter()
        .enumerate()
        .map(|(position, definition)| {
            Ok(StoredService {
                code: definition.code.clone(),
                definition: serde_json::to_string(&definition)?,
                position: position as i64,
                active: true,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let added = store
        .seed_report_services(&services, chrono::Utc::now().timestamp())
        .await
        .context("storing the kinds of report")?;
    Ok(added)
}

/// A stored kind of report, with its definition read: None when it no longer reads (edited in
/// the database by hand), which each reader treats in its own way.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKind {
    pub code: String,
    pub active: bool,
    pub position: i64,
    pub definition: Option<ServiceDefinition>,
}

/// Every stored kind of report, offered or not, in order. A context built without
/// `app::context` (tests, tools) stores the bundled kinds on first use.
pub async fn stored_kinds(ctx: &AppContext) -> anyhow::Result<Vec<StoredKind>> {
    let mut stored = reports(ctx).report_services().await?;
    if stored.is_empty() {
        seed_kinds(reports(ctx)).await?;
        stored = reports(ctx).report_services().await?;
    }
    Ok(stored
        .into_iter()
        .map(|service| {
            let definition = serde_json::from_str::<ServiceDefinition>(&service.definition)
                .map_err(|error| {
                    tracing::warn!(code = %service.code, error = %error, "a stored kind of report cannot be read");
                })
                .ok();
            StoredKind {
                code: service.code,
                active: service.active,
                position: service.position,
                definition,
            }
        })
        .collect())
}

/// The kinds of report residents can make now, in order (one that cannot be read is not
/// offered).
pub async fn kinds(ctx: &AppContext) -> Result<Vec<ServiceDefinition>, ReportError> {
    Ok(stored_kinds(ctx)
        .await?
        .into_iter()
        .filter(|kind| kind.active)
        .filter_map(|kind| kind.definition)
        .collect())
}

/// One active kind of report.
pub async fn kind(ctx: &AppContext, code: &str) -> Result<ServiceDefinition, ReportError> {
    kinds(ctx)
        .await?
        .into_iter()
        .find(|k| k.code == code)
        .ok_or(ReportError::UnknownKind)
}

/// A report placed: where it is on the grid and in which district, and the postcode if one
/// was given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Placed {
    pub postcode: Option<String>,
    pub easting: Option<i64>,
    pub northing: Option<i64>,
    pub district_code: Option<String>,
}

/// The force this install serves, in words ("Cambridgeshire Constabulary", or "this service").
fn force(ctx: &AppContext) -> String {
    let name = ctx.settings.branding.force_name.trim();
    if name.is_empty() {
        "this service".to_owned()
    } else {
        name.to_owned()
    }
}

/// Where a report happened, or why it cannot be placed (a message for the `location` field).
pub async fn place(ctx: &AppContext, input: &LocationInput) -> Result<Placed, String> {
    let grid = match (
        input.latitude,
        input.longitude,
        input.easting,
        input.northing,
    ) {
        (Some(lat), Some(long), _, _) => {
            if !(49.0..=61.5).contains(&lat) || !(-9.0..=2.5).contains(&long) {
                return Err(format!(
                    "That position is outside the area {} covers. Report it to the police force \
                     for where it happened (police.uk lists them), or call 101.",
                    force(ctx)
                ));
            }
            Some(wgs84_to_bng(lat, long))
        }
        (_, _, Some(e), Some(n)) => Some((e, n)),
        _ => None,
    };
    if let Some((easting, northing)) = grid {
        return place_on_grid(ctx, easting, northing, None)
            .await?
            .ok_or_else(|| {
                format!(
                    "That position is outside the area {} covers. Report it to the police force \
                     for where it happened (police.uk lists them), or call 101.",
                    force(ctx)
                )
            });
    }
    let text = input.text.trim();
    if text.is_empty() {
        return Err(
            "Enter where it happened: a postcode, or the name of a street and town".to_owned(),
        );
    }
    // Every part below may cost a query: a long text is refused before any is made.
    if text.chars().count() > MAX_SHORT_CHARS {
        return Err(format!(
            "Where it happened must be {MAX_SHORT_CHARS} characters or fewer: a postcode, or a \
             street and town"
        ));
    }
    // The whole text, then each part between commas ("High Street, Huntingdon"), last first:
    // a postcode wins over a place name. A few parts at most, each once.
    let mut parts: Vec<&str> = vec![text];
    for part in text.rsplit(',').map(str::trim).filter(|p| !p.is_empty()) {
        if parts.len() >= MAX_PLACE_PARTS {
            break;
        }
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    for part in &parts {
        if let Ok(postcode) = Postcode::parse(part) {
            return place_postcode(ctx, &postcode).await;
        }
    }
    let mut outside = None;
    for part in &parts {
        let found = crate::geo::places::find(part);
        for candidate in &found {
            if let Some(placed) =
                place_on_grid(ctx, candidate.easting, candidate.northing, None).await?
            {
                return Ok(placed);
            }
        }
        if outside.is_none() {
            outside = found.first().map(|p| p.name.clone());
        }
    }
    Err(match outside {
        Some(name) => format!(
            "{name} is outside the area {} covers. Report it to the police force for where it \
             happened (police.uk lists them), or call 101.",
            force(ctx)
        ),
        None => format!(
            "We cannot find “{}”. Enter a postcode, or the name of the town or village",
            text.chars().take(60).collect::<String>()
        ),
    })
}

async fn place_postcode(ctx: &AppContext, postcode: &Postcode) -> Result<Placed, String> {
    match locate(&*ctx.store, postcode).await {
        Ok(location) => Ok(Placed {
            postcode: Some(location.postcode.clone()),
            easting: location.easting.map(i64::from),
            northing: location.northing.map(i64::from),
            district_code: location.district_code.clone(),
        }),
        Err(LookupError::Place(PlaceProblem::OutsideArea { postcode, .. })) => {
            Err(match force_for_area(postcode.area()) {
                Some(other) => format!(
                    "{postcode} is outside the area {} covers. Report it to {other}: on their \
                     website, or call 101.",
                    force(ctx)
                ),
                None => format!(
                    "{postcode} is outside the area {} covers. Report it to the police force for \
                     where it happened (police.uk lists them), or call 101.",
                    force(ctx)
                ),
            })
        }
        Err(LookupError::Place(PlaceProblem::Unknown(postcode))) => Err(format!(
            "We cannot find the postcode {postcode}: check it, or enter the name of the street \
             and town"
        )),
        Err(LookupError::Place(problem)) => Err(problem.to_string()),
        Err(LookupError::Unreadable(problem)) => Err(problem.to_string()),
        Err(LookupError::Unexpected(error)) => {
            tracing::warn!(error = %error, "could not look up a report's postcode");
            Err("We could not look up that postcode just now. Try again in a moment".to_owned())
        }
    }
}

/// A position inside the force's area (a postcode of ours within reach), with the district of
/// the nearest postcode; `None` outside.
async fn place_on_grid(
    ctx: &AppContext,
    easting: f64,
    northing: f64,
    postcode: Option<String>,
) -> Result<Option<Placed>, String> {
    let reach = PLACE_REACH_M as i32;
    let (e, n) = (easting.round() as i32, northing.round() as i32);
    let nearby = ctx
        .store
        .postcodes_in_box((e - reach, e + reach), (n - reach, n + reach))
        .await
        .map_err(|error| {
            tracing::warn!(error = %error, "could not look up postcodes near a report");
            "We could not look up that place just now. Try again in a moment".to_owned()
        })?;
    let nearest = nearby.into_iter().min_by(|a, b| {
        let da = grid_distance(easting, northing, f64::from(a.1), f64::from(a.2));
        let db = grid_distance(easting, northing, f64::from(b.1), f64::from(b.2));
        da.total_cmp(&db)
    });
    Ok(nearest
        .filter(|(_, pe, pn)| {
            grid_distance(easting, northing, f64::from(*pe), f64::from(*pn)) <= PLACE_REACH_M
        })
        .map(|(district, _, _)| Placed {
            postcode,
            easting: Some(easting.round() as i64),
            northing: Some(northing.round() as i64),
            district_code: Some(district),
        }))
}

/// Trims and checks a free-text field's length.
fn bounded(errors: &mut FieldErrors, field: &str, value: &str, max: usize, what: &str) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("{what} must be {max} characters or fewer"));
    }
    value.to_owned()
}

/// The answers to a kind's own questions, checked: (code → answer), as stored.
fn check_answers(
    kind: &ServiceDefinition,
    answers: &BTreeMap<String, Vec<String>>,
    errors: &mut FieldErrors,
) -> BTreeMap<String, serde_json::Value> {
    let mut checked = BTreeMap::new();
    for question in &kind.questions {
        let id = field::question(&question.code);
        let given: Vec<&str> = answers
            .get(&question.code)
            .map(|values| {
                values
                    .iter()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if given.is_empty() {
            if question.required {
                let message = match question.datatype {
                    Datatype::Singlevaluelist | Datatype::Multivaluelist => "Choose an answer",
                    _ => "Answer this question",
                };
                errors.add(id, format!("{message}: {}", question.prompt));
            }
            continue;
        }
        let known = |v: &str| question.values.iter().any(|choice| choice.key == v);
        match question.datatype {
            Datatype::Singlevaluelist => {
                if given.len() != 1 || !known(given[0]) {
                    errors.add(id, format!("Choose one answer: {}", question.prompt));
                } else {
                    checked.insert(question.code.clone(), given[0].into());
                }
            }
            Datatype::Multivaluelist => {
                // Each choice once, and no more of them than there are.
                let mut given = given.clone();
                given.sort_unstable();
                given.dedup();
                if given.len() > question.values.len() || !given.iter().all(|v| known(v)) {
                    errors.add(
                        id,
                        format!("Choose from the answers given: {}", question.prompt),
                    );
                } else {
                    checked.insert(question.code.clone(), given.into());
                }
            }
            Datatype::Number => {
                let value = given[0].trim_start_matches('£').replace(',', "");
                match value.parse::<f64>() {
                    Ok(number) if number.is_finite() && number >= 0.0 && value.len() <= 20 => {
                        checked.insert(question.code.clone(), value.into());
                    }
                    _ => errors.add(id, format!("Enter a number: {}", question.prompt)),
                }
            }
            Datatype::Text => {
                if given[0].chars().count() > MAX_INVOLVED_CHARS {
                    errors.add(
                        id,
                        format!("Your answer must be {MAX_INVOLVED_CHARS} characters or fewer"),
                    );
                } else {
                    checked.insert(question.code.clone(), given[0].into());
                }
            }
            Datatype::String | Datatype::Datetime => {
                if given[0].chars().count() > MAX_ANSWER_CHARS {
                    errors.add(
                        id,
                        format!("Your answer must be {MAX_ANSWER_CHARS} characters or fewer"),
                    );
                } else {
                    checked.insert(question.code.clone(), given[0].into());
                }
            }
        }
    }
    checked
}

/// The reporter's contact details, checked: (name, email, phone), all `None` if anonymous.
type CheckedContact = (Option<String>, Option<EmailAddress>, Option<String>);

fn check_contact(
    kind: &ServiceDefinition,
    contact: &Contact,
    errors: &mut FieldErrors,
) -> CheckedContact {
    if contact.anonymous {
        if !kind.anonymous_allowed {
            errors.add(
                field::ANONYMOUS,
                format!(
                    "Reports of {} need your contact details, so that an officer can reach you",
                    kind.name.to_lowercase()
                ),
            );
        }
        return (None, None, None);
    }
    let name = contact.name.trim();
    let name = if name.is_empty() {
        errors.add(field::NAME, "Enter your name");
        None
    } else if name.chars().count() > 100 {
        errors.add(field::NAME, "Your name must be 100 characters or fewer");
        None
    } else {
        Some(name.to_owned())
    };
    let email = if contact.email.trim().is_empty() {
        None
    } else {
        match EmailAddress::parse(&contact.email) {
            Ok(email) => Some(email),
            Err(problem) => {
                errors.add(field::EMAIL, problem);
                None
            }
        }
    };
    let phone = if contact.phone.trim().is_empty() {
        None
    } else {
        match parse_phone(&contact.phone) {
            Some(phone) => Some(phone),
            None => {
                errors.add(
                    field::PHONE,
                    "Enter a UK phone number, like 01632 960 001 or 07700 900 982",
                );
                None
            }
        }
    };
    if contact.email.trim().is_empty() && contact.phone.trim().is_empty() {
        errors.add(
            field::EMAIL,
            "Enter an email address or a phone number, so that we can contact you",
        );
    }
    (name, email, phone)
}

/// A UK phone number: a mobile in E.164, or a landline as typed without its punctuation.
fn parse_phone(input: &str) -> Option<String> {
    if let Ok(mobile) = MobileNumber::parse(input) {
        return Some(mobile.as_str().to_owned());
    }
    let allowed = input
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+'));
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    let national = if let Some(rest) = digits.strip_prefix("44") {
        format!("0{rest}")
    } else {
        digits
    };
    (allowed && national.starts_with('0') && (10..=11).contains(&national.len()))
        .then_some(national)
}

/// A receipt code: "RPT-" and two groups of four from an alphabet without look-alikes
/// (31^8, about 850 billion codes).
pub fn new_reference() -> String {
    let mut chars = Vec::with_capacity(8);
    while chars.len() < 8 {
        for byte in crate::random::random_bytes(16) {
            // Rejection sampling keeps every character equally likely.
            if usize::from(byte) < CODE_ALPHABET.len() * (256 / CODE_ALPHABET.len())
                && chars.len() < 8
            {
                chars.push(CODE_ALPHABET[usize::from(byte) % CODE_ALPHABET.len()] as char);
            }
        }
    }
    let code: String = chars.into_iter().collect();
    format!("RPT-{}-{}", &code[..4], &code[4..])
}

/// The receipt email's content.
pub struct ReceiptLetter {
    pub name: Option<String>,
    pub reference: String,
    /// The kind's name, or `None` for a sensitive kind (the email says nothing of it, in case
    /// someone else reads the reporter's email).
    pub kind_name: Option<String>,
    pub follow_url: String,
    pub urgent: bool,
    pub force: String,
    pub triage_hours: i64,
}

#[derive(Template)]
#[template(path = "email/report_receipt.txt")]
struct ReceiptText<'a> {
    letter: &'a ReceiptLetter,
}

#[derive(Template)]
#[template(path = "email/report_receipt.html")]
struct ReceiptHtml<'a> {
    letter: &'a ReceiptLetter,
}

fn receipt_email(
    ctx: &AppContext,
    to: &EmailAddress,
    letter: &ReceiptLetter,
) -> anyhow::Result<NewOutbound> {
    let message = EmailMessage {
        to_name: letter.name.clone().unwrap_or_default(),
        to: to.as_str().to_owned(),
        subject: format!("Your report: {}", letter.reference),
        text: ReceiptText { letter }.render()?,
        html: Some(ReceiptHtml { letter }.render()?),
        unsubscribe_url: None,
        message_id: format!(
            "<report-receipt.{}@{}>",
            crate::random::random_id(),
            sender_domain(ctx)
        ),
        list_id: None,
    };
    Ok(NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: "report-receipt".to_owned(),
        payload: serde_json::to_string(&message)?,
    })
}

/// What the check-your-answers page and `submit` both need to know about a report before it is
/// sent: the urgent words its text holds.
pub fn urgent_words_in(submission: &Submission) -> Vec<&'static str> {
    let mut text = vec![
        submission.description.as_str(),
        submission.happened.as_str(),
        submission.people.as_str(),
        submission.vehicles.as_str(),
    ];
    for values in submission.answers.values() {
        text.extend(values.iter().map(String::as_str));
    }
    urgent_words(&text.join("\n"))
}

/// A report's fields, checked.
struct Checked {
    placed: Placed,
    location_text: String,
    happened: String,
    description: String,
    people: String,
    vehicles: String,
    answers: BTreeMap<String, serde_json::Value>,
    name: Option<String>,
    email: Option<EmailAddress>,
    phone: Option<String>,
}

/// Refuses a report over the hourly limits, per email address and per client address, as a
/// problem with the form (nothing is stored): enough for anyone reporting honestly, and a cap on
/// receipts sent to addresses someone typed in.
fn within_limits(
    ctx: &AppContext,
    submission: &Submission,
    email: Option<&EmailAddress>,
) -> Result<(), ReportError> {
    let mut errors = FieldErrors::default();
    if let Some(email) = email {
        let key = format!("report-email:{}", email.as_str().to_lowercase());
        if !ctx.limiter.allow(&key, REPORTS_PER_EMAIL_PER_HOUR) {
            errors.add(
                field::EMAIL,
                "You have sent a lot of reports from this email address in the last hour. Wait \
                 a while and try again, or call 101.",
            );
        }
    }
    if let Some(ip) = &submission.client_ip {
        if !ctx
            .limiter
            .allow(&format!("report-ip:{ip}"), REPORTS_PER_IP_PER_HOUR)
        {
            errors.add(
                field::DESCRIPTION,
                "A lot of reports have been sent from your connection in the last hour. Wait a \
                 while and try again, or call 101.",
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ReportError::Invalid(errors))
    }
}

/// Checks every field of a report at once: the fields checked, and every problem by field.
async fn check(
    ctx: &AppContext,
    kind: &ServiceDefinition,
    submission: &Submission,
) -> (Checked, FieldErrors) {
    let mut errors = FieldErrors::default();
    let placed = match place(ctx, &submission.location).await {
        Ok(placed) => placed,
        Err(message) => {
            errors.add(field::LOCATION, message);
            Placed::default()
        }
    };
    let location_text = bounded(
        &mut errors,
        field::LOCATION,
        &submission.location.text,
        MAX_SHORT_CHARS,
        "Where it happened",
    );
    let happened = bounded(
        &mut errors,
        field::HAPPENED,
        &submission.happened,
        MAX_SHORT_CHARS,
        "When it happened",
    );
    if happened.is_empty() && submission.happened_at.is_none() && submission.source == "web" {
        errors.add(field::HAPPENED, "Enter when it happened");
    }
    let description = bounded(
        &mut errors,
        field::DESCRIPTION,
        &submission.description,
        MAX_DESCRIPTION_CHARS,
        "What happened",
    );
    if description.is_empty() {
        errors.add(field::DESCRIPTION, "Enter what happened");
    }
    let people = bounded(
        &mut errors,
        field::PEOPLE,
        &submission.people,
        MAX_INVOLVED_CHARS,
        "The people involved",
    );
    let vehicles = bounded(
        &mut errors,
        field::VEHICLES,
        &submission.vehicles,
        MAX_INVOLVED_CHARS,
        "The vehicles involved",
    );
    let answers = check_answers(kind, &submission.answers, &mut errors);
    let max_files = ctx.settings.reports.max_files;
    if submission.files.len() > max_files {
        errors.add(
            field::FILES,
            format!("You can add up to {max_files} photos or files"),
        );
    }
    let (name, email, phone) = check_contact(kind, &submission.contact, &mut errors);
    let checked = Checked {
        placed,
        location_text,
        happened,
        description,
        people,
        vehicles,
        answers,
        name,
        email,
        phone,
    };
    (checked, errors)
}

/// Every problem with a report as it stands, by field, without storing anything: the pages
/// that ask one question at a time each show the problems of their own fields.
pub async fn problems(
    ctx: &AppContext,
    submission: &Submission,
) -> Result<FieldErrors, ReportError> {
    let kind = kind(ctx, &submission.service_code).await?;
    Ok(check(ctx, &kind, submission).await.1)
}

/// Checks a report, places it, and stores it with its files and its receipt email in one
/// transaction (a failed email never loses the report). Every problem is reported at once, by
/// field, and nothing is stored. The same form sent twice returns the first report's receipt.
pub async fn submit(ctx: &AppContext, submission: Submission) -> Result<Receipt, ReportError> {
    let kind = kind(ctx, &submission.service_code).await?;
    let (checked, errors) = check(ctx, &kind, &submission).await;
    let nonce = submission.form_nonce.trim();
    if nonce.is_empty() || nonce.len() > 100 {
        return Err(ReportError::Unexpected(anyhow::anyhow!(
            "a report came without its form's one-time value"
        )));
    }
    if !errors.is_empty() {
        return Err(ReportError::Invalid(errors));
    }
    within_limits(ctx, &submission, checked.email.as_ref())?;
    let Checked {
        placed,
        location_text,
        happened,
        description,
        people,
        vehicles,
        answers,
        name,
        email,
        phone,
    } = checked;
    let found = urgent_words_in(&submission);
    let reference = new_reference();
    let now = chrono::Utc::now().timestamp();
    let report = NewReport {
        reference: reference.clone(),
        service_code: kind.code.clone(),
        urgent: !found.is_empty(),
        urgent_words: found.join(", "),
        description,
        happened_text: happened,
        happened_at: submission.happened_at,
        location_text,
        postcode: placed.postcode,
        easting: placed.easting,
        northing: placed.northing,
        district_code: placed.district_code,
        people,
        vehicles,
        answers: serde_json::to_string(&answers).context("writing a report's answers")?,
        anonymous: submission.contact.anonymous,
        reporter_name: name.clone(),
        reporter_email: email.as_ref().map(|e| e.as_str().to_owned()),
        reporter_phone: phone,
        source: submission.source.clone(),
        api_token_id: submission.api_token_id,
        form_nonce: nonce.to_owned(),
        created_at: now,
    };
    let files: Vec<NewReportFile> = submission
        .files
        .into_iter()
        .map(|f| NewReportFile {
            name: f.name,
            content_type: f.content_type.to_owned(),
            content: f.bytes,
        })
        .collect();
    let receipt = match &email {
        Some(to) => Some(receipt_email(
            ctx,
            to,
            &ReceiptLetter {
                name: name.clone(),
                reference: reference.clone(),
                kind_name: (!kind.sensitive).then(|| kind.name.clone()),
                follow_url: follow_url(ctx, &reference),
                urgent: report.urgent,
                force: force(ctx),
                triage_hours: ctx.settings.reports.triage_target_hours,
            },
        )?),
        None => None,
    };
    let (id, new) = reports(ctx)
        .create_report(&report, &files, receipt.as_ref())
        .await?;
    if !new {
        let first = reports(ctx)
            .report(id)
            .await?
            .context("the report a repeated form made has gone")?;
        return Ok(Receipt {
            id,
            follow_url: follow_url(ctx, &first.reference),
            reference: first.reference,
            urgent: first.urgent,
            new: false,
            emailed: first.reporter_email.is_some(),
        });
    }
    if receipt.is_some() {
        ctx.outbound_wakeup.notify_one();
    }
    tracing::info!(
        report = id,
        kind = %kind.code,
        urgent = report.urgent,
        files = files.len(),
        source = %report.source,
        email = %email.as_ref().map(|e| mask::email(e.as_str())).unwrap_or_default(),
        "report received"
    );
    Ok(Receipt {
        id,
        follow_url: follow_url(ctx, &reference),
        reference,
        urgent: report.urgent,
        new: true,
        emailed: receipt.is_some(),
    })
}

/// A report as its reporter sees it from their link.
#[derive(Debug, Clone)]
pub struct FollowedReport {
    pub report: Report,
    pub kind_name: String,
    /// What the reporter may read: public updates, oldest first.
    pub updates: Vec<ReportUpdate>,
    /// The files the reporter sent (with the report or added later).
    pub files: Vec<ReportFileMeta>,
}

/// The report a follow link opens, or why the link cannot be used.
pub async fn report_for_token(ctx: &AppContext, token: &str) -> Result<Report, ReportError> {
    let reference = reference_from_token(ctx, token).ok_or(ReportLinkProblem::Invalid)?;
    reports(ctx)
        .report_by_reference(&reference)
        .await?
        .ok_or(ReportLinkProblem::Gone.into())
}

/// A report with what its reporter may read of it.
pub async fn followed(ctx: &AppContext, report: Report) -> Result<FollowedReport, ReportError> {
    let store = reports(ctx);
    let updates = store.report_updates(report.id).await?;
    let reporter_updates: Vec<i64> = updates
        .iter()
        .filter(|u| u.author == AUTHOR_REPORTER)
        .map(|u| u.id)
        .collect();
    let files = store
        .report_files(report.id)
        .await?
        .into_iter()
        .filter(|f| f.update_id.is_none_or(|u| reporter_updates.contains(&u)))
        .collect();
    let kind_name = kinds(ctx)
        .await?
        .into_iter()
        .find(|k| k.code == report.service_code)
        .map_or_else(|| report.service_code.clone(), |k| k.name);
    Ok(FollowedReport {
        updates: updates.into_iter().filter(|u| u.public).collect(),
        files,
        kind_name,
        report,
    })
}

/// One of a report's files, for its reporter (only those they can see on their page).
pub async fn reporter_file(
    ctx: &AppContext,
    report: Report,
    file_id: i64,
) -> Result<Option<crate::store::ReportFile>, ReportError> {
    let followed = followed(ctx, report).await?;
    if !followed.files.iter().any(|f| f.id == file_id) {
        return Ok(None);
    }
    Ok(reports(ctx)
        .report_file(followed.report.id, file_id)
        .await?)
}

/// Adds what the reporter tells us later (text, photos) to their report. False if this form
/// was sent before (nothing is stored twice).
pub async fn add_information(
    ctx: &AppContext,
    report: &Report,
    text: &str,
    files: Vec<CleanFile>,
    nonce: &str,
) -> Result<bool, ReportError> {
    let mut errors = FieldErrors::default();
    let text = bounded(
        &mut errors,
        field::DESCRIPTION,
        text,
        MAX_DESCRIPTION_CHARS,
        "What you add",
    );
    if text.is_empty() && files.is_empty() {
        errors.add(
            field::DESCRIPTION,
            "Enter what you want to add, or add a photo or file",
        );
    }
    let max_files = ctx.settings.reports.max_files;
    if files.len() > max_files {
        errors.add(
            field::FILES,
            format!("You can add up to {max_files} photos or files"),
        );
    }
    let kept = ctx.store.report_files(report.id).await?.len();
    if !files.is_empty() && kept + files.len() > max_files * FILES_PER_REPORT_TIMES_MAX {
        errors.add(
            field::FILES,
            "This report has as many photos and files as it can hold. If you have more, tell \
             us in words and we will ask for them.",
        );
    }
    if errors.is_empty()
        && !ctx.limiter.allow(
            &format!("report-add:{}", report.id),
            ADDITIONS_PER_REPORT_PER_HOUR,
        )
    {
        errors.add(
            field::DESCRIPTION,
            "A lot has been added to this report in the last hour. Wait a while and try again, \
             or call 101.",
        );
    }
    if !errors.is_empty() {
        return Err(ReportError::Invalid(errors));
    }
    // Danger told later counts as danger told first: the report goes to the top of the queue.
    let found = urgent_words(&text);
    let update = NewReportUpdate {
        report_id: report.id,
        at: chrono::Utc::now().timestamp(),
        author: AUTHOR_REPORTER.to_owned(),
        staff_id: None,
        status: None,
        body: text,
        public: true,
        form_nonce: Some(nonce.to_owned()),
        urgent_words: (!found.is_empty()).then(|| found.join(", ")),
    };
    let files: Vec<NewReportFile> = files
        .into_iter()
        .map(|f| NewReportFile {
            name: f.name,
            content_type: f.content_type.to_owned(),
            content: f.bytes,
        })
        .collect();
    let added = reports(ctx)
        .add_report_update(&update, &files, None)
        .await?;
    if let Some(update) = added {
        tracing::info!(
            report = report.id,
            update,
            files = files.len(),
            "reporter added information"
        );
    }
    Ok(added.is_some())
}

/// Deletes finished reports older than the force's retention period (hourly housekeeping).
pub async fn purge_finished(ctx: &AppContext) -> anyhow::Result<u64> {
    let before = chrono::Utc::now().timestamp() - ctx.settings.reports.retention_days * 86_400;
    Ok(reports(ctx).purge_reports(before).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_codes_are_unambiguous_and_differ() {
        let a = new_reference();
        let b = new_reference();
        assert_ne!(a, b);
        assert_eq!(a.len(), "RPT-XXXX-XXXX".len());
        assert!(a.starts_with("RPT-"));
        for c in a[4..].chars().filter(|c| *c != '-') {
            assert!(CODE_ALPHABET.contains(&(c as u8)), "{c} in {a}");
            assert!(!"01OIL".contains(c));
        }
    }

    #[test]
    fn phones_are_uk_numbers() {
        assert_eq!(
            parse_phone("07700 900123").as_deref(),
            Some("+447700900123")
        );
        assert_eq!(parse_phone("01480 456111").as_deref(), Some("01480456111"));
        assert_eq!(
            parse_phone("+44 1480 456111").as_deref(),
            Some("01480456111")
        );
        assert_eq!(parse_phone("call me"), None);
        assert_eq!(parse_phone("123"), None);
    }
}

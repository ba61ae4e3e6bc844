//! Reporting online, as a resident: the emergency question and the kinds of report (`/report`),
//! one question a page with "Check your answers" before sending (`/report/{kind}`), the receipt,
//! and the reporter's own page from the link in their receipt (`/reports/{token}`), where they
//! read its status and updates and add information or photos.
//!
//! Nothing is stored before the final send. The answers travel with the form from page to page:
//! a hidden `draft` (the answers as JSON, base64url) sealed with the server's key (`seal`), and
//! each attached file as a hidden `file` field (its content, base64url, already checked and
//! cleaned by `domain::report::files::inspect`), whose digest the sealed draft holds. So a file
//! uploaded on the files page survives to the send, on any web process, and cannot be swapped
//! for an unchecked one. The pages work without JavaScript; every form is
//! `multipart/form-data` (the files page needs it), and a plain urlencoded form is read too.

use super::csrf;
use super::error::WebResult;
use super::permission::ReportLink;
use super::views;
use super::{AppState, ClientIp};
use crate::domain::report::files::{inspect, CleanFile, FileLimits};
use crate::domain::report::{Datatype, ServiceDefinition};
use crate::domain::subscriber::FieldErrors;
use crate::services::reports::{
    self as service, field, Contact, LocationInput, ReportError, Submission, ANONYMITY_MEANS,
    MAX_DESCRIPTION_CHARS,
};
use crate::services::tokens::{random_id, sha256_hex};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeMap;

/// The largest body a report's pages take: every file at its largest, carried (base64, 4/3)
/// and uploaded again at once, and room for the rest. The files' own limits are checked one by
/// one (`reports.max_file_bytes`).
pub const REPORT_BODY_LIMIT: usize = 160 * 1024 * 1024;

/// The leave-this-site button's script: replaces the page, and its history entry, with a
/// harmless one.
const LEAVE_SITE_JS: &str = include_str!("../../static/leave-site.js");

/// Where "Leave this site" goes.
const LEAVE_TO: &str = "https://www.bbc.co.uk/weather";

/// A report's answers between pages, before it is sent.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct Draft {
    nonce: String,
    kind: String,
    location: String,
    happened: String,
    description: String,
    answers: BTreeMap<String, Vec<String>>,
    people: String,
    vehicles: String,
    /// The attached files, in the order of the hidden `file` fields.
    files: Vec<DraftFile>,
    anonymous: bool,
    name: String,
    email: String,
    phone: String,
    /// Set once "Check your answers" has been shown: a changed answer goes back there.
    checking: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct DraftFile {
    name: String,
    content_type: String,
    size: usize,
    sha256: String,
}

/// A form as posted: its text fields, in order, and its uploaded files.
pub struct Posted {
    fields: Vec<(String, String)>,
    uploads: Vec<Upload>,
}

pub struct Upload {
    name: String,
    content_type: Option<String>,
    bytes: Bytes,
}

impl Posted {
    fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let bytes = Bytes::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            let fields = serde_html_form::from_bytes::<Vec<(String, String)>>(&bytes)
                .map_err(|_| bad_form())?;
            return Ok(Posted {
                fields,
                uploads: Vec::new(),
            });
        }
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut posted = Posted {
            fields: Vec::new(),
            uploads: Vec::new(),
        };
        while let Some(part) = form.next_field().await.map_err(|error| {
            tracing::info!(error = %error, "a report form could not be read");
            bad_form()
        })? {
            let name = part.name().unwrap_or_default().to_owned();
            let file_name = part.file_name().map(str::to_owned);
            let content_type = part.content_type().map(str::to_owned);
            let bytes = part.bytes().await.map_err(|_| bad_form())?;
            match file_name {
                // A file input left empty still sends a part with no name and no content.
                Some(file_name) if !(file_name.is_empty() && bytes.is_empty()) => {
                    posted.uploads.push(Upload {
                        name: file_name,
                        content_type,
                        bytes,
                    });
                }
                Some(_) => {}
                None => posted
                    .fields
                    .push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        Ok(posted)
    }
}

fn bad_form() -> Response {
    (
        StatusCode::BAD_REQUEST,
        views::message_page(
            "Your form could not be read",
            &["Something went wrong sending the form. Go back and try again."],
            Some(("/report", "Start again")),
        ),
    )
        .into_response()
}

fn form_expired(back: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        views::message_page(
            "Your report has not been sent",
            &[csrf::FORM_EXPIRED],
            Some((back, "Start again")),
        ),
    )
        .into_response()
}

fn kind_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "We do not take reports of that kind online",
            &["Choose what you want to report from the list, or call 101."],
            Some(("/report", "Report something")),
        ),
    )
        .into_response()
}

/// The draft, its seal and its files, as hidden fields.
struct Carried {
    draft: String,
    seal: String,
    files: Vec<String>,
}

impl Draft {
    fn carried(&self, ctx: &AppState, files: &[Vec<u8>]) -> Carried {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let draft = URL_SAFE_NO_PAD.encode(json);
        let seal = ctx.signer.sign("report-draft", &[&sha256_hex(&draft)]);
        Carried {
            draft,
            seal,
            files: files.iter().map(|f| URL_SAFE_NO_PAD.encode(f)).collect(),
        }
    }

    /// The draft a form carries, with its files' content, if it is sealed and whole.
    fn from_posted(ctx: &AppState, posted: &Posted) -> Option<(Draft, Vec<Vec<u8>>)> {
        let draft = posted.get("draft");
        let sealed = ctx.signer.verify("report-draft", posted.get("seal"))?;
        if sealed.first().map(String::as_str) != Some(sha256_hex(draft).as_str()) {
            return None;
        }
        let draft: Draft = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(draft).ok()?).ok()?;
        let encoded = posted.all("file");
        if encoded.len() != draft.files.len() {
            return None;
        }
        let mut files = Vec::new();
        for (meta, content) in draft.files.iter().zip(encoded) {
            let bytes = URL_SAFE_NO_PAD.decode(content).ok()?;
            if hex_sha256(&bytes) != meta.sha256 {
                return None;
            }
            files.push(bytes);
        }
        Some((draft, files))
    }

    fn submission(&self, files: &[Vec<u8>]) -> Submission {
        Submission {
            service_code: self.kind.clone(),
            answers: self.answers.clone(),
            description: self.description.clone(),
            location: LocationInput {
                text: self.location.clone(),
                ..LocationInput::default()
            },
            happened: self.happened.clone(),
            happened_at: None,
            people: self.people.clone(),
            vehicles: self.vehicles.clone(),
            files: self
                .files
                .iter()
                .zip(files)
                .map(|(meta, bytes)| CleanFile {
                    name: meta.name.clone(),
                    content_type: static_type(&meta.content_type),
                    bytes: bytes.clone(),
                })
                .collect(),
            contact: Contact {
                anonymous: self.anonymous,
                name: self.name.clone(),
                email: self.email.clone(),
                phone: self.phone.clone(),
            },
            form_nonce: self.nonce.clone(),
            source: "web".to_owned(),
            api_token_id: None,
            client_ip: None,
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// A checked file's type, as the `'static` name `CleanFile` holds (the draft carries it as
/// text; a type `inspect` never gives is sent as bytes).
fn static_type(content_type: &str) -> &'static str {
    const KNOWN: [&str; 7] = [
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/heic",
        "image/heif",
        "application/pdf",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == content_type)
        .unwrap_or("application/octet-stream")
}

/// The pages of a report of `kind`, in order.
fn steps(kind: &ServiceDefinition) -> Vec<String> {
    let mut steps: Vec<String> = ["where", "when", "what"].map(str::to_owned).to_vec();
    steps.extend(kind.questions.iter().map(|q| format!("q-{}", q.code)));
    steps.extend(["people", "vehicles", "files", "contact", "check"].map(str::to_owned));
    steps
}

/// The fields whose problems a page shows.
fn step_fields(step: &str) -> Vec<String> {
    match step {
        "where" => vec![field::LOCATION.into()],
        "when" => vec![field::HAPPENED.into()],
        "what" => vec![field::DESCRIPTION.into()],
        "people" => vec![field::PEOPLE.into()],
        "vehicles" => vec![field::VEHICLES.into()],
        "files" => vec![field::FILES.into()],
        "contact" => [field::ANONYMOUS, field::NAME, field::EMAIL, field::PHONE]
            .map(str::to_owned)
            .to_vec(),
        other => match other.strip_prefix("q-") {
            Some(code) => vec![field::question(code)],
            None => Vec::new(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// The first page: the emergency question, then what to report.

#[derive(Template)]
#[template(path = "pages/report_start.html")]
struct StartPage {
    kinds: Vec<ServiceDefinition>,
}

pub async fn start(State(ctx): State<AppState>) -> WebResult<Response> {
    let kinds = service::kinds(&ctx).await?;
    Ok(views::render(&StartPage { kinds }))
}

#[derive(Template)]
#[template(path = "pages/report_intro.html")]
struct IntroPage {
    kind: ServiceDefinition,
    leave_to: &'static str,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StartQuery {
    start: Option<String>,
}

/// A kind's first page: its notice or safety page where it has one, else the first question.
pub async fn kind_start(
    State(ctx): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<StartQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let kind = match service::kind(&ctx, &code).await {
        Ok(kind) => kind,
        Err(ReportError::UnknownKind) => return Ok(kind_not_found()),
        Err(error) => return Err(error.into()),
    };
    if query.start.is_none() && (kind.safety_page || kind.notice.is_some()) {
        return Ok(views::render(&IntroPage {
            kind,
            leave_to: LEAVE_TO,
        }));
    }
    let draft = Draft {
        nonce: random_id(),
        kind: kind.code.clone(),
        ..Draft::default()
    };
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = StepPage::new(
        &ctx,
        &kind,
        &draft,
        &[],
        "where",
        csrf,
        FieldErrors::default(),
    );
    Ok((jar, views::render(&page)).into_response())
}

// ---------------------------------------------------------------------------------------------
// One question a page.

/// A choice of a list question.
struct ChoiceView {
    key: String,
    name: String,
    checked: bool,
}

struct QuestionView {
    id: String,
    prompt: String,
    hint: Option<String>,
    /// "radios", "checkboxes", "textarea" or "input".
    control: &'static str,
    choices: Vec<ChoiceView>,
    value: String,
}

/// A row of "Check your answers".
struct CheckRow {
    label: String,
    lines: Vec<String>,
    step: String,
    /// The id of its Change button: the error summary's links land on it.
    anchor: String,
}

#[derive(Template)]
#[template(path = "pages/report_step.html")]
struct StepPage {
    kind_name: String,
    kind_code: String,
    csrf: String,
    carried: Carried,
    step: String,
    heading: String,
    /// "Question 2 of 11".
    number: usize,
    count: usize,
    first: bool,
    errors: FieldErrors,
    /// Urgent words in what they wrote: the 999 panel.
    urgent: bool,
    location: String,
    happened: String,
    description: String,
    people: String,
    vehicles: String,
    max_chars: usize,
    question: Option<QuestionView>,
    files: Vec<(usize, String, String)>,
    max_files: usize,
    max_file_mb: usize,
    anonymous_allowed: bool,
    anonymous: bool,
    name: String,
    email: String,
    phone: String,
    anonymity_means: &'static str,
    sensitive: bool,
    /// Where "Leave this site" goes, on every page of a kind with a safety page.
    leave_to: Option<&'static str>,
    rows: Vec<CheckRow>,
}

impl StepPage {
    fn new(
        ctx: &AppState,
        kind: &ServiceDefinition,
        draft: &Draft,
        files: &[Vec<u8>],
        step: &str,
        csrf: String,
        errors: FieldErrors,
    ) -> StepPage {
        let steps = steps(kind);
        let index = steps.iter().position(|s| s == step).unwrap_or(0);
        let question = step.strip_prefix("q-").and_then(|code| {
            kind.questions.iter().find(|q| q.code == code).map(|q| {
                let given = draft.answers.get(&q.code).cloned().unwrap_or_default();
                QuestionView {
                    id: field::question(&q.code),
                    prompt: q.prompt.clone(),
                    hint: q.hint.clone(),
                    control: match q.datatype {
                        Datatype::Singlevaluelist => "radios",
                        Datatype::Multivaluelist => "checkboxes",
                        Datatype::Text => "textarea",
                        _ => "input",
                    },
                    choices: q
                        .values
                        .iter()
                        .map(|v| ChoiceView {
                            key: v.key.clone(),
                            name: v.name.clone(),
                            checked: given.contains(&v.key),
                        })
                        .collect(),
                    value: given.first().cloned().unwrap_or_default(),
                }
            })
        });
        let urgent = !service::urgent_words_in(&draft.submission(&[])).is_empty();
        StepPage {
            kind_name: kind.name.clone(),
            kind_code: kind.code.clone(),
            csrf,
            carried: draft.carried(ctx, files),
            heading: heading(step, question.as_ref()),
            step: steps.get(index).cloned().unwrap_or_default(),
            number: index + 1,
            count: steps.len() - 1,
            first: index == 0,
            errors,
            urgent,
            location: draft.location.clone(),
            happened: draft.happened.clone(),
            description: draft.description.clone(),
            people: draft.people.clone(),
            vehicles: draft.vehicles.clone(),
            max_chars: MAX_DESCRIPTION_CHARS,
            question,
            files: draft
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (i, f.name.clone(), size_in_words(f.size)))
                .collect(),
            max_files: ctx.settings.reports.max_files,
            max_file_mb: ctx.settings.reports.max_file_bytes / (1024 * 1024),
            anonymous_allowed: kind.anonymous_allowed,
            anonymous: draft.anonymous,
            name: draft.name.clone(),
            email: draft.email.clone(),
            phone: draft.phone.clone(),
            anonymity_means: ANONYMITY_MEANS,
            sensitive: kind.sensitive,
            leave_to: kind.safety_page.then_some(LEAVE_TO),
            rows: check_rows(kind, draft),
        }
    }

    fn error(&self, field: &str) -> &str {
        self.errors.for_field(field).unwrap_or("")
    }
}

/// A page's question, as its heading and title say it.
fn heading(step: &str, question: Option<&QuestionView>) -> String {
    match step {
        "where" => "Where did it happen?".into(),
        "when" => "When did it happen?".into(),
        "what" => "What happened?".into(),
        "people" => "Who was involved, or saw it?".into(),
        "vehicles" => "Were any vehicles involved?".into(),
        "files" => "Do you have photos or files to add?".into(),
        "contact" => "How can we contact you?".into(),
        "check" => "Check your answers before sending your report".into(),
        _ => question.map_or_else(String::new, |q| q.prompt.clone()),
    }
}

fn size_in_words(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

fn check_rows(kind: &ServiceDefinition, draft: &Draft) -> Vec<CheckRow> {
    let lines = |text: &str| -> Vec<String> {
        let lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            vec!["Not given".to_owned()]
        } else {
            lines
        }
    };
    let row = |label: &str, text: &str, step: &str| CheckRow {
        label: label.to_owned(),
        lines: lines(text),
        step: step.to_owned(),
        anchor: step_fields(step).into_iter().next().unwrap_or_default(),
    };
    let mut rows = vec![
        row("What you are reporting", &kind.name, ""),
        row("Where it happened", &draft.location, "where"),
        row("When it happened", &draft.happened, "when"),
        row("What happened", &draft.description, "what"),
    ];
    for question in &kind.questions {
        let given = draft
            .answers
            .get(&question.code)
            .cloned()
            .unwrap_or_default();
        let shown: Vec<String> = given
            .iter()
            .map(|v| {
                question
                    .values
                    .iter()
                    .find(|c| &c.key == v)
                    .map_or_else(|| v.clone(), |c| c.name.clone())
            })
            .collect();
        rows.push(row(
            &question.prompt,
            &shown.join("\n"),
            &format!("q-{}", question.code),
        ));
    }
    rows.push(row("People involved", &draft.people, "people"));
    rows.push(row("Vehicles involved", &draft.vehicles, "vehicles"));
    let files: Vec<String> = draft.files.iter().map(|f| f.name.clone()).collect();
    rows.push(row("Photos and files", &files.join("\n"), "files"));
    let contact = if draft.anonymous {
        "Anonymous: no contact details".to_owned()
    } else {
        [&draft.name, &draft.email, &draft.phone]
            .into_iter()
            .filter(|v| !v.trim().is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    };
    rows.push(row("Your contact details", &contact, "contact"));
    rows
}

/// Takes the answers a page posted into the draft.
fn take_answers(kind: &ServiceDefinition, step: &str, posted: &Posted, draft: &mut Draft) {
    let text = |name: &str| posted.get(name).to_owned();
    match step {
        "where" => draft.location = text("location"),
        "when" => draft.happened = text("happened"),
        "what" => draft.description = text("description"),
        "people" => draft.people = text("people"),
        "vehicles" => draft.vehicles = text("vehicles"),
        "contact" => {
            draft.anonymous = kind.anonymous_allowed && posted.get("anonymous") == "yes";
            if draft.anonymous {
                // Anonymous means we keep none of it, even if it was typed.
                draft.name.clear();
                draft.email.clear();
                draft.phone.clear();
            } else {
                draft.name = text("name");
                draft.email = text("email");
                draft.phone = text("phone");
            }
        }
        other => {
            if let Some(code) = other.strip_prefix("q-") {
                if kind.questions.iter().any(|q| q.code == code) {
                    draft.answers.insert(code.to_owned(), posted.all("answer"));
                }
            }
        }
    }
}

/// Takes the files page's changes: files to remove, and new ones, each checked and cleaned.
fn take_files(
    ctx: &AppState,
    posted: &Posted,
    draft: &mut Draft,
    files: &mut Vec<Vec<u8>>,
    errors: &mut FieldErrors,
) {
    let remove: Vec<usize> = posted
        .all("remove")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let mut index = 0;
    draft.files.retain(|_| {
        let keep = !remove.contains(&index);
        index += 1;
        keep
    });
    let mut index = 0;
    files.retain(|_| {
        let keep = !remove.contains(&index);
        index += 1;
        keep
    });
    let settings = &ctx.settings.reports;
    let limits = FileLimits {
        max_bytes: settings.max_file_bytes,
        max_pixels: settings.max_image_pixels,
    };
    for upload in &posted.uploads {
        if draft.files.len() >= settings.max_files {
            errors.add(
                field::FILES,
                format!(
                    "You can add up to {} photos or files: {} was not added",
                    settings.max_files, upload.name
                ),
            );
            continue;
        }
        match inspect(
            &upload.name,
            upload.content_type.as_deref(),
            &upload.bytes,
            limits,
        ) {
            Ok(clean) => {
                draft.files.push(DraftFile {
                    name: clean.name.clone(),
                    content_type: clean.content_type.to_owned(),
                    size: clean.bytes.len(),
                    sha256: hex_sha256(&clean.bytes),
                });
                files.push(clean.bytes);
            }
            Err(problem) => errors.add(field::FILES, problem),
        }
    }
}

/// Every page of a report posts here: the page's answers are taken into the draft, checked,
/// and the next page shown (or the same one with its problems); "Check your answers" sends it.
pub async fn step(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    jar: CookieJar,
    posted: Posted,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, posted.get("csrf")) {
        return Ok(form_expired(&format!("/report/{code}")));
    }
    let kind = match service::kind(&ctx, &code).await {
        Ok(kind) => kind,
        Err(ReportError::UnknownKind) => return Ok(kind_not_found()),
        Err(error) => return Err(error.into()),
    };
    let Some((mut draft, mut files)) = Draft::from_posted(&ctx, &posted) else {
        return Ok((
            StatusCode::BAD_REQUEST,
            views::message_page(
                "Your answers could not be read",
                &["Your report has not been sent. Please start again."],
                Some((&format!("/report/{code}?start=yes"), "Start again")),
            ),
        )
            .into_response());
    };
    if draft.kind != kind.code {
        return Ok(bad_form());
    }
    let steps = steps(&kind);
    let step = posted.get("step").to_owned();
    let Some(index) = steps.iter().position(|s| *s == step) else {
        return Ok(bad_form());
    };
    let action = posted.get("action").to_owned();
    let csrf_token = posted.get("csrf").to_owned();
    let show = |draft: &Draft, files: &[Vec<u8>], step: &str, errors: FieldErrors| {
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = StepPage::new(&ctx, &kind, draft, files, step, csrf_token.clone(), errors);
        (status, views::render(&page)).into_response()
    };

    if let Some(target) = action.strip_prefix("change-") {
        if steps.iter().any(|s| s == target) {
            draft.checking = true;
            return Ok(show(&draft, &files, target, FieldErrors::default()));
        }
        return Ok(bad_form());
    }
    if step == "check" {
        if action != "send" {
            return Ok(show(&draft, &files, "check", FieldErrors::default()));
        }
        return match service::submit(
            &ctx,
            Submission {
                client_ip: Some(ip),
                ..draft.submission(&files)
            },
        )
        .await
        {
            Ok(receipt) => Ok(Redirect::to(&format!(
                "/reports/{}/receipt",
                service::follow_token(&ctx, &receipt.reference)
            ))
            .into_response()),
            Err(ReportError::Invalid(errors)) => {
                // On this page each answer's link is its Change button.
                let mut anchored = FieldErrors::default();
                for error in errors.iter() {
                    let anchor = steps
                        .iter()
                        .find(|s| step_fields(s).contains(&error.field))
                        .and_then(|s| step_fields(s).into_iter().next())
                        .unwrap_or_else(|| error.field.clone());
                    anchored.add(anchor, error.message.clone());
                }
                Ok(show(&draft, &files, "check", anchored))
            }
            Err(ReportError::UnknownKind) => Ok(kind_not_found()),
            Err(error) => Err(error.into()),
        };
    }

    take_answers(&kind, &step, &posted, &mut draft);
    let mut errors = FieldErrors::default();
    if step == "files" {
        take_files(&ctx, &posted, &mut draft, &mut files, &mut errors);
    }
    if action == "back" {
        let previous = steps[index.saturating_sub(1)].clone();
        return Ok(show(&draft, &files, &previous, FieldErrors::default()));
    }
    let ours = step_fields(&step);
    let problems = service::problems(&ctx, &draft.submission(&files)).await?;
    for problem in problems.iter().filter(|p| ours.contains(&p.field)) {
        if errors.for_field(&problem.field) != Some(problem.message.as_str()) {
            errors.add(problem.field.clone(), problem.message.clone());
        }
    }
    if !errors.is_empty() || action == "upload" {
        return Ok(show(&draft, &files, &step, errors));
    }
    let next = if draft.checking {
        "check".to_owned()
    } else {
        steps[(index + 1).min(steps.len() - 1)].clone()
    };
    if next == "check" {
        draft.checking = true;
    }
    Ok(show(&draft, &files, &next, FieldErrors::default()))
}

// ---------------------------------------------------------------------------------------------
// After sending, and following a report.

#[derive(Template)]
#[template(path = "pages/report_received.html")]
struct ReceivedPage {
    reference: String,
    follow_url: String,
    urgent: bool,
    emailed: bool,
    anonymous: bool,
    triage_hours: i64,
}

/// The receipt: the code, and what happens next.
pub async fn received(State(ctx): State<AppState>, link: ReportLink) -> WebResult<Response> {
    let report = &link.report;
    Ok(views::render(&ReceivedPage {
        reference: report.reference.clone(),
        follow_url: service::follow_url(&ctx, &report.reference),
        urgent: report.urgent,
        emailed: report.reporter_email.is_some(),
        anonymous: report.anonymous,
        triage_hours: ctx.settings.reports.triage_target_hours,
    }))
}

struct UpdateView {
    at: String,
    from: &'static str,
    lines: Vec<String>,
    status: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "pages/report_follow.html")]
struct FollowPage {
    token: String,
    reference: String,
    kind_name: String,
    made: String,
    status_name: &'static str,
    status_words: &'static str,
    crime_reference: Option<String>,
    description: Vec<String>,
    updates: Vec<UpdateView>,
    files: Vec<(i64, String, String)>,
    csrf: String,
    nonce: String,
    text: String,
    errors: FieldErrors,
    added: bool,
    max_files: usize,
    max_chars: usize,
}

impl FollowPage {
    fn error(&self, field: &str) -> &str {
        self.errors.for_field(field).unwrap_or("")
    }
}

fn uk_time(at: i64) -> String {
    super::home::short_uk_time(at)
}

async fn follow_page(
    ctx: &AppState,
    link: ReportLink,
    csrf: String,
    text: String,
    errors: FieldErrors,
    added: bool,
) -> WebResult<Response> {
    let followed = service::followed(ctx, link.report).await?;
    let report = &followed.report;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FollowPage {
        token: link.token,
        reference: report.reference.clone(),
        kind_name: followed.kind_name.clone(),
        made: uk_time(report.created_at),
        status_name: report.status.name(),
        status_words: report.status.for_reporter(),
        crime_reference: report.crime_reference.clone(),
        description: report.description.lines().map(str::to_owned).collect(),
        updates: followed
            .updates
            .iter()
            .map(|u| UpdateView {
                at: uk_time(u.at),
                from: if u.author == crate::store::AUTHOR_REPORTER {
                    "You"
                } else {
                    "The police"
                },
                lines: u.body.lines().map(str::to_owned).collect(),
                status: u
                    .status
                    .as_deref()
                    .and_then(crate::domain::report::ReportStatus::from_slug)
                    .map(|s| s.name()),
            })
            .collect(),
        files: followed
            .files
            .iter()
            .map(|f| (f.id, f.name.clone(), size_in_words(f.size as usize)))
            .collect(),
        csrf,
        nonce: random_id(),
        text,
        errors,
        added,
        max_files: ctx.settings.reports.max_files,
        max_chars: MAX_DESCRIPTION_CHARS,
    };
    Ok((status, views::render(&page)).into_response())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct FollowQuery {
    added: Option<String>,
}

/// The reporter's page: status, crime reference, updates, their files, and a form to add more.
pub async fn follow(
    State(ctx): State<AppState>,
    link: ReportLink,
    Query(query): Query<FollowQuery>,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let page = follow_page(
        &ctx,
        link,
        csrf,
        String::new(),
        FieldErrors::default(),
        query.added.is_some(),
    )
    .await?;
    Ok((jar, page).into_response())
}

/// The reporter adds information or photos.
pub async fn add(
    State(ctx): State<AppState>,
    link: ReportLink,
    jar: CookieJar,
    posted: Posted,
) -> WebResult<Response> {
    if !csrf::verify(&ctx, &jar, posted.get("csrf")) {
        return Ok(form_expired(&format!("/reports/{}", link.token)));
    }
    let settings = &ctx.settings.reports;
    let limits = FileLimits {
        max_bytes: settings.max_file_bytes,
        max_pixels: settings.max_image_pixels,
    };
    let mut errors = FieldErrors::default();
    let mut files = Vec::new();
    for upload in &posted.uploads {
        match inspect(
            &upload.name,
            upload.content_type.as_deref(),
            &upload.bytes,
            limits,
        ) {
            Ok(clean) => files.push(clean),
            Err(problem) => errors.add(field::FILES, problem),
        }
    }
    let text = posted.get("text").to_owned();
    if errors.is_empty() {
        match service::add_information(&ctx, &link.report, &text, files, posted.get("nonce")).await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/reports/{}?added=yes", link.token)).into_response()
                )
            }
            Err(ReportError::Invalid(problems)) => errors = problems,
            Err(error) => return Err(error.into()),
        }
    }
    let csrf = posted.get("csrf").to_owned();
    follow_page(&ctx, link, csrf, text, errors, false).await
}

/// One of the reporter's files, as a download (never shown inline: what is served is only ever
/// what `inspect` let through, but a download cannot run in the site's pages either way).
pub async fn file(
    State(ctx): State<AppState>,
    link: ReportLink,
    Path(params): Path<BTreeMap<String, String>>,
) -> WebResult<Response> {
    let id = params
        .get("id")
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or(-1);
    let found = service::reporter_file(&ctx, link.report, id).await?;
    let Some(file) = found else {
        return Ok(super::pages::not_found().await);
    };
    let safe_name: String = file
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe_name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        file.content,
    )
        .into_response())
}

/// The "Leave this site" button's script.
pub async fn leave_site_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LEAVE_SITE_JS,
    )
        .into_response()
}

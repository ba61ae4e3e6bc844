//! Reporting online, as a resident: the emergency question and the kinds of report (`/report`),
//! one question a page with "Check your answers" before sending (`/report/{kind}`), the receipt,
//! and the reporter's own page from the link in their receipt (`/reports/{token}`), where they
//! read its status and updates and add information or photos.
//!
//! No report is stored before the final send. The answers travel with the form from page to
//! page: a hidden `draft` (the answers as JSON, base64url) sealed with the server's key
//! (`seal`). A photo or file added on the files page is checked and cleaned
//! (`domain::report::files::inspect`) and kept in the store under an unguessable id
//! (`services::report_drafts`); the sealed draft holds only its id and digest, so later pages
//! stay small, any web process can send the report, and a file cannot be swapped for an
//! unchecked one. At the send the files are read back by id, their digests checked, and
//! deleted a few minutes after the report is stored (the same form sent twice finds them and
//! gets the first one's receipt); files of a report never sent are deleted after a day.
//!
//! What one request may cost is bounded (`report_form`): the body (one page's upload and 1 MiB),
//! each text part, the number of file parts (`reports.max_files`) and each one's size
//! (`reports.max_file_bytes`), refused as soon as a limit is passed; and how many report forms
//! are read at once. The pages work without JavaScript; every form is `multipart/form-data`
//! (the files page needs it), and a plain urlencoded form is read too.

use super::csrf;
use super::error::WebResult;
use super::permission::ReportLink;
use super::report_form::{bad_form, Posted};
pub use super::report_form::{REPORT_BODY_LIMIT, REPORT_POSTS_AT_ONCE};
use super::views;
use super::{AppState, ClientIp};
use crate::domain::report::files::{inspect, CleanFile, FileLimits};
use crate::domain::report::{Datatype, ServiceDefinition};
use crate::domain::subscriber::FieldErrors;
use crate::services::report_drafts::{self, DraftFileError};
use crate::services::reports::{
    self as service, field, Contact, LocationInput, ReportError, Submission, ANONYMITY_MEANS,
    MAX_DESCRIPTION_CHARS,
};
use crate::services::tokens::{random_id, sha256_hex};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeMap;

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
    /// The attached files, kept in the store (`services::report_drafts`).
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
    /// The kept file's id: unguessable, and named only in the sealed draft.
    id: String,
    name: String,
    content_type: String,
    size: usize,
    sha256: String,
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

/// The draft and its seal, as hidden fields.
struct Carried {
    draft: String,
    seal: String,
}

impl Draft {
    fn carried(&self, ctx: &AppState) -> Carried {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let draft = URL_SAFE_NO_PAD.encode(json);
        let seal = ctx.signer.sign("report-draft", &[&sha256_hex(&draft)]);
        Carried { draft, seal }
    }

    /// The draft a form carries, if it is sealed and whole.
    fn from_posted(ctx: &AppState, posted: &Posted) -> Option<Draft> {
        let draft = posted.get("draft");
        let sealed = ctx.signer.verify("report-draft", posted.get("seal"))?;
        if sealed.first().map(String::as_str) != Some(sha256_hex(draft).as_str()) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(draft).ok()?).ok()
    }

    /// The kept files it names: `(id, sha256)`.
    fn named_files(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .map(|f| (f.id.clone(), f.sha256.clone()))
            .collect()
    }

    /// Its files as the checks before the send see them: names and types, their content left
    /// in the store.
    fn file_names(&self) -> Vec<CleanFile> {
        self.files
            .iter()
            .map(|f| CleanFile {
                name: f.name.clone(),
                content_type: "application/octet-stream",
                bytes: Vec::new(),
            })
            .collect()
    }

    fn submission(&self, files: Vec<CleanFile>) -> Submission {
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
            files,
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
    let page = StepPage::new(&ctx, &kind, &draft, "where", csrf, FieldErrors::default());
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
        let urgent = !service::urgent_words_in(&draft.submission(Vec::new())).is_empty();
        StepPage {
            kind_name: kind.name.clone(),
            kind_code: kind.code.clone(),
            csrf,
            carried: draft.carried(ctx),
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

/// Takes the files page's changes: files to remove (dropped from the draft; the store deletes
/// them within a day), and new ones, each checked, cleaned and kept.
async fn take_files(
    ctx: &AppState,
    client_ip: &str,
    posted: &Posted,
    draft: &mut Draft,
    errors: &mut FieldErrors,
) -> WebResult<()> {
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
            Ok(_) if !report_drafts::may_keep(ctx, client_ip) => errors.add(
                field::FILES,
                format!(
                    "A lot of photos and files have been added from your connection in the last \
                     hour: {} was not added. Wait a while and try again, or continue without it",
                    upload.name
                ),
            ),
            Ok(clean) => {
                let kept = report_drafts::keep(ctx, clean).await?;
                draft.files.push(DraftFile {
                    id: kept.id,
                    name: kept.name,
                    content_type: kept.content_type,
                    size: kept.size,
                    sha256: kept.sha256,
                });
            }
            Err(problem) => errors.add(field::FILES, problem),
        }
    }
    Ok(())
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
    let Some(mut draft) = Draft::from_posted(&ctx, &posted) else {
        return Ok(unreadable_draft(&code));
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
    let show = |draft: &Draft, step: &str, errors: FieldErrors| {
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let page = StepPage::new(&ctx, &kind, draft, step, csrf_token.clone(), errors);
        (status, views::render(&page)).into_response()
    };

    if let Some(target) = action.strip_prefix("change-") {
        if steps.iter().any(|s| s == target) {
            draft.checking = true;
            return Ok(show(&draft, target, FieldErrors::default()));
        }
        return Ok(bad_form());
    }
    if step == "check" {
        if action != "send" {
            return Ok(show(&draft, "check", FieldErrors::default()));
        }
        let named = draft.named_files();
        let files = match report_drafts::files(&ctx, &named).await {
            Ok(files) => files,
            Err(DraftFileError::Gone) => {
                // Kept a day only: the resident adds them again, and nothing else is lost.
                let names: Vec<String> = draft.files.iter().map(|f| f.name.clone()).collect();
                draft.files.clear();
                let mut errors = FieldErrors::default();
                errors.add(
                    field::FILES,
                    format!(
                        "We keep photos and files for {} hours while you answer, and no longer \
                         have {}: add them again, or continue without them",
                        report_drafts::DRAFT_FILES_KEPT_HOURS,
                        names.join(", ")
                    ),
                );
                return Ok(show(&draft, "files", errors));
            }
            Err(DraftFileError::Altered) => return Ok(unreadable_draft(&code)),
            Err(DraftFileError::Store(error)) => return Err(error.into()),
        };
        return match service::submit(
            &ctx,
            Submission {
                client_ip: Some(ip),
                ..draft.submission(files)
            },
        )
        .await
        {
            Ok(receipt) => {
                let ids: Vec<String> = named.into_iter().map(|(id, _)| id).collect();
                report_drafts::forget_soon(ctx.clone(), ids);
                Ok(Redirect::to(&format!(
                    "/reports/{}/receipt",
                    service::follow_token(&ctx, &receipt.reference)
                ))
                .into_response())
            }
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
                Ok(show(&draft, "check", anchored))
            }
            Err(ReportError::UnknownKind) => Ok(kind_not_found()),
            Err(error) => Err(error.into()),
        };
    }

    take_answers(&kind, &step, &posted, &mut draft);
    let mut errors = FieldErrors::default();
    if step == "files" {
        take_files(&ctx, &ip, &posted, &mut draft, &mut errors).await?;
    }
    if action == "back" {
        let previous = steps[index.saturating_sub(1)].clone();
        return Ok(show(&draft, &previous, FieldErrors::default()));
    }
    let ours = step_fields(&step);
    let problems = service::problems(&ctx, &draft.submission(draft.file_names())).await?;
    for problem in problems.iter().filter(|p| ours.contains(&p.field)) {
        if errors.for_field(&problem.field) != Some(problem.message.as_str()) {
            errors.add(problem.field.clone(), problem.message.clone());
        }
    }
    if !errors.is_empty() || action == "upload" {
        return Ok(show(&draft, &step, errors));
    }
    let next = if draft.checking {
        "check".to_owned()
    } else {
        steps[(index + 1).min(steps.len() - 1)].clone()
    };
    if next == "check" {
        draft.checking = true;
    }
    Ok(show(&draft, &next, FieldErrors::default()))
}

/// A draft whose seal, or one of whose files, does not match.
fn unreadable_draft(code: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        views::message_page(
            "Your answers could not be read",
            &["Your report has not been sent. Please start again."],
            Some((&format!("/report/{code}?start=yes"), "Start again")),
        ),
    )
        .into_response()
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
    /// What the page says of an addition just sent.
    added: Option<&'static str>,
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
    added: Option<&'static str>,
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
        match query.added.as_deref() {
            Some("before") => Some("We already have that: it was added to your report before."),
            Some(_) => Some("Thank you. We have added that to your report."),
            None => None,
        },
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
    let nonce = posted.get("nonce").trim();
    if nonce.is_empty() || nonce.len() > 100 {
        return Ok((
            StatusCode::BAD_REQUEST,
            views::message_page(
                "What you added has not been sent",
                &["The form was incomplete. Open your report's page again and add it there."],
                Some((&format!("/reports/{}", link.token), "Back to your report")),
            ),
        )
            .into_response());
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
        match service::add_information(&ctx, &link.report, &text, files, nonce).await {
            Ok(added) => {
                let added = if added { "yes" } else { "before" };
                return Ok(
                    Redirect::to(&format!("/reports/{}?added={added}", link.token)).into_response(),
                );
            }
            Err(ReportError::Invalid(problems)) => errors = problems,
            Err(error) => return Err(error.into()),
        }
    }
    let csrf = posted.get("csrf").to_owned();
    follow_page(&ctx, link, csrf, text, errors, None).await
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

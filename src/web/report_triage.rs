//! Staff pages for online reports: the queue (`/staff/reports`), a report with its THRIVE
//! form, duplicates and review form (`/staff/reports/{reference}`), its files, and the
//! managers' dashboard. Reading needs an operator, a reviewer or an admin (`ReportStaff`);
//! assessing and linking an operator (`OperatorStaff`); review decisions a reviewer
//! (`ReviewerStaff`). Thin over `services::report_triage` and `services::report_figures`.

use super::csrf;
use super::error::WebResult;
use super::flash::{self, Flash};
use super::home::short_uk_time;
use super::permission::{OperatorStaff, ReportStaff, ReviewerStaff};
use super::reported_scams::{bar_chart, Bar};
use super::staff::{actor, nav, Nav};
use super::{views, AppState, ClientIp};
use crate::domain::report::{
    Decision, Dimension, Level, Referral, ReportStatus, ResponseGrade, CLOSE_REASONS,
};
use crate::domain::subscriber::FieldErrors;
use crate::services::report_figures::{self, Figures, StepTimes};
use crate::services::report_review::{self, ReviewInput};
use crate::services::report_triage::{
    self as triage, duration_words, Assessed, AssessmentInput, QueueQuery, QueueTab, ReportView,
    TriageError,
};
use crate::services::tokens::random_id;
use crate::store::StaffMember;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;

const QUEUE: &str = "/staff/reports";

/// The queue's address query: which list, and its filters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct QueueParams {
    tab: String,
    kind: String,
    district: String,
}

/// One report as a row of the queue.
struct QueueRow {
    reference: String,
    kind: String,
    district: String,
    made: String,
    status: &'static str,
    urgent: bool,
    /// "2 days 3 hours (target 48 hours)", or empty.
    waited: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "staff/report_queue.html")]
struct QueuePage {
    nav: Option<Nav>,
    /// (address, name, current) of each list.
    tabs: Vec<(String, &'static str, bool)>,
    tab: &'static str,
    tab_name: &'static str,
    kinds: Vec<(String, String, bool)>,
    districts: Vec<(String, String, bool)>,
    rows: Vec<QueueRow>,
    overdue: usize,
    triage_target_hours: i64,
}

fn choices(list: Vec<(String, String)>, chosen: &str) -> Vec<(String, String, bool)> {
    list.into_iter()
        .map(|(code, name)| {
            let selected = code == chosen;
            (code, name, selected)
        })
        .collect()
}

/// `GET /staff/reports`: the queue.
pub async fn queue(
    State(ctx): State<AppState>,
    ReportStaff(staff): ReportStaff,
    Query(params): Query<QueueParams>,
    jar: CookieJar,
) -> WebResult<Response> {
    let query = QueueQuery {
        tab: QueueTab::from_slug(&params.tab),
        kind: params.kind.trim().to_owned(),
        district: params.district.trim().to_owned(),
    };
    let queue = triage::queue(&ctx, &query).await?;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let rows: Vec<QueueRow> = queue
        .entries
        .into_iter()
        .map(|e| QueueRow {
            waited: e.wait.as_ref().map_or_else(String::new, |(_, w)| {
                format!("{} (target {} hours)", w.words(), w.target_hours)
            }),
            overdue: e.wait.as_ref().is_some_and(|(_, w)| w.overdue),
            reference: e.report.reference,
            kind: e.kind_name,
            district: e.district_name,
            made: short_uk_time(e.report.created_at),
            status: e.report.status.name(),
            urgent: e.report.urgent,
        })
        .collect();
    let page = QueuePage {
        nav: nav(&staff, &csrf),
        tabs: QueueTab::ALL
            .into_iter()
            .map(|t| {
                (
                    format!("{QUEUE}?tab={}", t.slug()),
                    t.name(),
                    t == query.tab,
                )
            })
            .collect(),
        tab: query.tab.slug(),
        tab_name: query.tab.name(),
        kinds: choices(queue.kinds, &query.kind),
        districts: choices(queue.districts, &query.district),
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
        triage_target_hours: ctx.settings.reports.triage_target_hours,
    };
    Ok((jar, views::render(&page)).into_response())
}

/// A THRIVE dimension as the form shows it.
struct DimensionRow {
    slug: &'static str,
    name: &'static str,
    question: &'static str,
    /// (slug, name, checked) of each level.
    levels: Vec<(&'static str, &'static str, bool)>,
    note: String,
    level_error: Option<String>,
    note_error: Option<String>,
}

/// (value, label, chosen) for radios and selects.
type Choice = (&'static str, &'static str, bool);

fn choose(
    list: impl IntoIterator<Item = (&'static str, &'static str)>,
    chosen: &str,
) -> Vec<Choice> {
    list.into_iter()
        .map(|(value, label)| (value, label, value == chosen.trim()))
        .collect()
}

/// A past assessment as the history shows it.
struct AssessmentRow {
    when: String,
    by: String,
    decision: String,
    urgent: bool,
    note: String,
    /// (dimension, level, note)
    answers: Vec<(&'static str, &'static str, String)>,
}

/// An update as the history shows it.
struct UpdateRow {
    when: String,
    by: String,
    status: Option<&'static str>,
    body: String,
    public: bool,
}

/// A file as the report shows it.
struct FileRow {
    url: String,
    name: String,
    image: bool,
    size: String,
}

#[derive(Template)]
#[template(path = "staff/report.html")]
struct ReportPage {
    nav: Option<Nav>,
    csrf: String,
    notice: Option<String>,
    errors: FieldErrors,
    reference: String,
    kind: String,
    district: String,
    status: &'static str,
    status_slug: &'static str,
    urgent: bool,
    urgent_words: String,
    made: String,
    waited: Option<String>,
    overdue: bool,
    /// (label, value) of what the reporter said, in order.
    details: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    reporter: Vec<(&'static str, String)>,
    crime_reference: Option<String>,
    allocated_to: Option<String>,
    files: Vec<FileRow>,
    updates: Vec<UpdateRow>,
    assessments: Vec<AssessmentRow>,
    /// (reference, kind, made, status) of possible duplicates and of linked reports.
    duplicates: Vec<(String, String, String, &'static str)>,
    linked: Vec<(String, String, String, &'static str)>,
    can_operate: bool,
    can_review: bool,
    /// Whether a review decision can be taken now.
    reviewable: bool,
    dimensions: Vec<DimensionRow>,
    decisions: Vec<Choice>,
    grades: Vec<Choice>,
    referrals: Vec<Choice>,
    assess: AssessmentInput,
    urgent_ticked: bool,
    nonce: String,
    outcomes: Vec<Choice>,
    review: ReviewInput,
    close_reasons: Vec<Choice>,
    crime_example: String,
    other: String,
}

/// What a report page is shown with besides the report: forms as sent back with their
/// problems, and a notice.
#[derive(Default)]
struct Shown {
    /// Opened afresh (audited), rather than shown again with a form's problems.
    opened: bool,
    assess: Option<AssessmentInput>,
    review: ReviewInput,
    other: String,
    errors: FieldErrors,
    notice: Option<String>,
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Low => "Low",
        Level::Medium => "Medium",
        Level::High => "High",
    }
}

/// The THRIVE form filled in as the latest assessment left it (a re-assessment starts from
/// there), with a new one-time value.
fn prefilled(view: &ReportView) -> AssessmentInput {
    let mut input = AssessmentInput::default();
    let Some(latest) = view.assessments.last() else {
        // A report found urgent stays urgent unless the operator unticks it.
        if view.report.urgent {
            input.urgent = Some("true".into());
        }
        return input;
    };
    for answer in &latest.answers {
        let (level, note) = match answer.dimension {
            Dimension::Threat => (&mut input.threat_level, &mut input.threat_note),
            Dimension::Harm => (&mut input.harm_level, &mut input.harm_note),
            Dimension::Risk => (&mut input.risk_level, &mut input.risk_note),
            Dimension::Investigation => (
                &mut input.investigation_level,
                &mut input.investigation_note,
            ),
            Dimension::Vulnerability => (
                &mut input.vulnerability_level,
                &mut input.vulnerability_note,
            ),
            Dimension::Engagement => (&mut input.engagement_level, &mut input.engagement_note),
        };
        *level = answer.level.slug().to_owned();
        *note = answer.note.clone();
    }
    match serde_json::from_str::<Decision>(&latest.assessment.decision) {
        Ok(Decision::Respond(grade)) => {
            input.decision = "respond".into();
            input.grade = grade.slug().into();
        }
        Ok(Decision::Refer(referral)) => {
            input.decision = "refer".into();
            input.referral = referral.slug().into();
        }
        Ok(Decision::InformationOnly) => input.decision = "information".into(),
        Err(_) => {}
    }
    if latest.assessment.urgent {
        input.urgent = Some("true".into());
    }
    input
}

fn report_row(report: &crate::store::Report, kind: &str) -> (String, String, String, &'static str) {
    (
        report.reference.clone(),
        kind.to_owned(),
        short_uk_time(report.created_at),
        report.status.name(),
    )
}

fn size_words(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes / 1024).max(1))
    }
}

/// Renders a report's page.
async fn report_page(
    ctx: &AppState,
    ip: &str,
    staff: &StaffMember,
    reference: &str,
    jar: CookieJar,
    shown: Shown,
    status: StatusCode,
) -> WebResult<Response> {
    let view = if shown.opened {
        triage::open_report(ctx, &actor(staff, ip), reference).await
    } else {
        triage::report_view(ctx, reference).await
    };
    let view = match view {
        Ok(view) => view,
        Err(TriageError::NotFound) => return Ok(super::pages::not_found().await),
        Err(error) => return Err(error.into()),
    };
    let (jar, csrf) = csrf::issue(ctx, jar);
    let r = &view.report;
    let mut assess = shown.assess.unwrap_or_else(|| prefilled(&view));
    if assess.nonce.is_empty() {
        assess.nonce = random_id();
    }
    let nonce = assess.nonce.clone();
    let dimensions = Dimension::ALL
        .into_iter()
        .map(|d| {
            let (level, note) = assess.dimension(d);
            DimensionRow {
                slug: d.slug(),
                name: d.name(),
                question: d.question(),
                levels: choose(Level::ALL.map(|l| (l.slug(), level_name(l))), level),
                note: note.to_owned(),
                level_error: shown
                    .errors
                    .for_field(&format!("{}_level", d.slug()))
                    .map(str::to_owned),
                note_error: shown
                    .errors
                    .for_field(&format!("{}_note", d.slug()))
                    .map(str::to_owned),
            }
        })
        .collect();
    let mut details = vec![("What happened".to_owned(), r.description.clone())];
    for (label, value) in [
        ("When", &r.happened_text),
        ("Where", &r.location_text),
        ("People involved", &r.people),
        ("Vehicles involved", &r.vehicles),
    ] {
        if !value.trim().is_empty() {
            details.push((label.to_owned(), value.clone()));
        }
    }
    if let Some(postcode) = &r.postcode {
        details.push(("Postcode".to_owned(), postcode.clone()));
    }
    if let (Some(e), Some(n)) = (r.easting, r.northing) {
        details.push((
            "Grid reference (easting, northing)".to_owned(),
            format!("{e}, {n}"),
        ));
    }
    let reporter = if r.anonymous {
        vec![("Contact", "Anonymous: no contact details".to_owned())]
    } else {
        [
            ("Name", r.reporter_name.clone()),
            ("Email", r.reporter_email.clone()),
            ("Phone", r.reporter_phone.clone()),
        ]
        .into_iter()
        .filter_map(|(label, value)| value.filter(|v| !v.is_empty()).map(|v| (label, v)))
        .collect()
    };
    let files = view
        .files
        .iter()
        .map(|f| FileRow {
            url: format!("{QUEUE}/{}/files/{}", r.reference, f.id),
            name: f.name.clone(),
            image: f.content_type.starts_with("image/"),
            size: size_words(f.size),
        })
        .collect();
    let updates = view
        .updates
        .iter()
        .map(|u| UpdateRow {
            when: short_uk_time(u.at),
            by: match u.author.as_str() {
                "reporter" => "The reporter".to_owned(),
                "staff" => u.staff_name.clone().unwrap_or_else(|| "Staff".to_owned()),
                _ => "Beacon".to_owned(),
            },
            status: u
                .status
                .as_deref()
                .and_then(ReportStatus::from_slug)
                .map(ReportStatus::name),
            body: u.body.clone(),
            public: u.public,
        })
        .collect();
    let assessments = view
        .assessments
        .iter()
        .rev()
        .map(|a| AssessmentRow {
            when: short_uk_time(a.assessment.at),
            by: a.assessment.staff_name.clone(),
            decision: a.decision.clone(),
            urgent: a.assessment.urgent,
            note: a.assessment.note.clone(),
            answers: a
                .answers
                .iter()
                .map(|t| (t.dimension.name(), level_name(t.level), t.note.clone()))
                .collect(),
        })
        .collect();
    let (waited, overdue) = match &view.wait {
        Some((step, w)) => (
            Some(format!(
                "Waiting for {step} for {} (target {} hours)",
                w.words(),
                w.target_hours
            )),
            w.overdue,
        ),
        None => (None, false),
    };
    let settings = &ctx.settings.reports;
    let page = ReportPage {
        nav: nav(staff, &csrf),
        csrf,
        notice: shown.notice,
        errors: shown.errors,
        reference: r.reference.clone(),
        kind: view.kind_name.clone(),
        district: view.district_name.clone(),
        status: r.status.name(),
        status_slug: r.status.slug(),
        urgent: r.urgent,
        urgent_words: r.urgent_words.clone(),
        made: short_uk_time(r.created_at),
        waited,
        overdue,
        details,
        answers: view.answers.clone(),
        reporter,
        crime_reference: r.crime_reference.clone(),
        allocated_to: r.allocated_to.clone(),
        files,
        updates,
        assessments,
        duplicates: view
            .duplicates
            .iter()
            .map(|(d, kind)| report_row(d, kind))
            .collect(),
        linked: view
            .linked
            .iter()
            .map(|(d, kind)| report_row(d, kind))
            .collect(),
        can_operate: staff.permissions.may_operate(),
        can_review: staff.permissions.may_review(),
        reviewable: matches!(
            r.status,
            ReportStatus::Assessed | ReportStatus::CrimeRecorded | ReportStatus::Allocated
        ),
        dimensions,
        decisions: choose(
            [
                ("respond", "Respond: the police deal with it"),
                ("refer", "Refer it to another organisation"),
                ("information", "Record it as information only"),
            ],
            &assess.decision,
        ),
        grades: choose(
            ResponseGrade::ALL.map(|g| (g.slug(), g.name())),
            &assess.grade,
        ),
        referrals: choose(
            Referral::ALL.map(|r| (r.slug(), r.name())),
            &assess.referral,
        ),
        urgent_ticked: assess.urgent.is_some(),
        assess,
        nonce,
        outcomes: choose(
            report_review::review_outcomes(r.status),
            &shown.review.outcome,
        ),
        close_reasons: choose(CLOSE_REASONS, &shown.review.close_reason),
        review: shown.review,
        crime_example: settings.crime_reference_example.clone(),
        other: shown.other,
    };
    Ok((status, jar, views::render(&page)).into_response())
}

/// `GET /staff/reports/{reference}`.
pub async fn show(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ReportStaff(staff): ReportStaff,
    Path(reference): Path<String>,
    jar: CookieJar,
) -> WebResult<Response> {
    let (jar, said) = flash::take(&ctx, jar);
    let shown = Shown {
        opened: true,
        notice: said.notice,
        ..Shown::default()
    };
    report_page(&ctx, &ip, &staff, &reference, jar, shown, StatusCode::OK).await
}

/// `GET /staff/reports/{reference}/files/{file}`: a file the reporter sent, for staff only.
/// Pictures open in the browser; anything else is downloaded.
pub async fn file(
    State(ctx): State<AppState>,
    ReportStaff(_staff): ReportStaff,
    Path((reference, file)): Path<(String, String)>,
) -> WebResult<Response> {
    let Ok(file_id) = file.parse::<i64>() else {
        return Ok(super::pages::not_found().await);
    };
    let Some(file) = triage::report_file(&ctx, &reference, file_id).await? else {
        return Ok(super::pages::not_found().await);
    };
    let name: String = file
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .collect();
    let disposition = if file.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_owned()),
        ],
        file.content,
    )
        .into_response())
}

/// What every report form carries besides its fields.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CsrfForm {
    csrf: String,
}

/// The link form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct LinkForm {
    csrf: String,
    other: String,
}

fn expired() -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.add("csrf", csrf::FORM_EXPIRED);
    errors
}

fn report_url(reference: &str) -> String {
    format!("{QUEUE}/{reference}")
}

/// `POST /staff/reports/{reference}/assess`: a THRIVE assessment (or re-assessment).
pub async fn assess(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Path(reference): Path<String>,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    let (Ok(form), Ok(input)) = (
        serde_html_form::from_bytes::<CsrfForm>(&body),
        serde_html_form::from_bytes::<AssessmentInput>(&body),
    ) else {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be read").into_response());
    };
    let back = |errors| Shown {
        assess: Some(input.clone()),
        errors,
        ..Shown::default()
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let status = StatusCode::FORBIDDEN;
        return report_page(&ctx, &ip, &staff, &reference, jar, back(expired()), status).await;
    }
    let notice = match triage::assess(&ctx, &actor(&staff, &ip), &reference, &input).await {
        Ok(Assessed::Recorded(status)) => format!("The assessment is recorded: {}.", status.name()),
        Ok(Assessed::AlreadyRecorded) => "This assessment was already recorded.".to_owned(),
        Err(TriageError::Invalid(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return report_page(&ctx, &ip, &staff, &reference, jar, back(errors), status).await;
        }
        Err(error) => return triage_refusal(error, &reference).await,
    };
    let to = report_url(&reference);
    Ok(flash::redirect(&ctx, jar, &to, Flash::notice(notice)))
}

/// What a triage failure that is not about the form answers.
async fn triage_refusal(error: TriageError, reference: &str) -> WebResult<Response> {
    let report = report_url(reference);
    match error {
        TriageError::NotFound => Ok(super::pages::not_found().await),
        TriageError::Changed => Ok((
            StatusCode::CONFLICT,
            views::message_page(
                "Someone else has decided on this report",
                &["The report changed since you opened it: another reviewer may have taken a decision on it. Open it again to see where it is now."],
                Some((&report, "Open the report again")),
            ),
        )
            .into_response()),
        other => Err(other.into()),
    }
}

/// `POST /staff/reports/{reference}/link`: links a possible duplicate.
pub async fn link(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    OperatorStaff(staff): OperatorStaff,
    Path(reference): Path<String>,
    jar: CookieJar,
    Form(form): Form<LinkForm>,
) -> WebResult<Response> {
    let back = |errors| Shown {
        other: form.other.clone(),
        errors,
        ..Shown::default()
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let status = StatusCode::FORBIDDEN;
        return report_page(&ctx, &ip, &staff, &reference, jar, back(expired()), status).await;
    }
    let notice = match triage::link(&ctx, &actor(&staff, &ip), &reference, &form.other).await {
        Ok(true) => format!("Linked with {}.", form.other.trim()),
        Ok(false) => format!("It was already linked with {}.", form.other.trim()),
        Err(TriageError::Invalid(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return report_page(&ctx, &ip, &staff, &reference, jar, back(errors), status).await;
        }
        Err(error) => return triage_refusal(error, &reference).await,
    };
    let to = report_url(&reference);
    Ok(flash::redirect(&ctx, jar, &to, Flash::notice(notice)))
}

/// `POST /staff/reports/{reference}/review`: a reviewer's decision.
pub async fn review(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ReviewerStaff(staff): ReviewerStaff,
    Path(reference): Path<String>,
    jar: CookieJar,
    body: axum::body::Bytes,
) -> WebResult<Response> {
    let (Ok(form), Ok(input)) = (
        serde_html_form::from_bytes::<CsrfForm>(&body),
        serde_html_form::from_bytes::<ReviewInput>(&body),
    ) else {
        return Ok((StatusCode::BAD_REQUEST, "The form could not be read").into_response());
    };
    let back = |errors| Shown {
        review: input.clone(),
        errors,
        ..Shown::default()
    };
    if !csrf::verify(&ctx, &jar, &form.csrf) {
        let status = StatusCode::FORBIDDEN;
        return report_page(&ctx, &ip, &staff, &reference, jar, back(expired()), status).await;
    }
    let notice = match report_review::review(&ctx, &actor(&staff, &ip), &reference, &input).await {
        Ok(status) => format!("Decided: {}. The reporter has been told.", status.name()),
        Err(TriageError::Invalid(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return report_page(&ctx, &ip, &staff, &reference, jar, back(errors), status).await;
        }
        Err(error) => return triage_refusal(error, &reference).await,
    };
    let to = report_url(&reference);
    Ok(flash::redirect(&ctx, jar, &to, Flash::notice(notice)))
}

/// A step's times in words for the dashboard.
struct StepRow {
    step: &'static str,
    count: usize,
    median: String,
    p90: String,
    target: String,
    within: String,
    /// The 90th percentile is over the target.
    over: bool,
}

fn step_row(step: &'static str, times: &StepTimes) -> StepRow {
    let words = |s: Option<i64>| s.map_or_else(|| "None yet".to_owned(), duration_words);
    StepRow {
        step,
        count: times.count,
        median: words(times.median),
        p90: words(times.p90),
        target: format!("{} hours", times.target_hours),
        within: if times.count == 0 {
            "None yet".to_owned()
        } else {
            format!("{} of {}", times.within_target, times.count)
        },
        over: times.p90.is_some_and(|p| p > times.target_hours * 3600),
    }
}

/// A breach as the dashboard lists it.
struct BreachRow {
    reference: String,
    kind: String,
    district: String,
    step: &'static str,
    took: String,
    target: String,
    waiting: bool,
    urgent: bool,
}

#[derive(Template)]
#[template(path = "staff/report_dashboard.html")]
struct DashboardPage {
    nav: Option<Nav>,
    since: String,
    total: i64,
    weeks_chart: String,
    /// (week, total, counts by status)
    weeks: Vec<(String, i64, Vec<i64>)>,
    statuses: Vec<&'static str>,
    kinds: Vec<Bar>,
    kinds_chart: String,
    districts: Vec<Bar>,
    districts_chart: String,
    by_status: Vec<Bar>,
    steps: Vec<StepRow>,
    breaches: Vec<BreachRow>,
}

fn bars(tallies: Vec<report_figures::Tally>) -> Vec<Bar> {
    tallies
        .into_iter()
        .map(|t| Bar {
            label: t.name,
            reports: t.reports,
        })
        .collect()
}

/// `GET /staff/reports/dashboard`: the managers' figures.
pub async fn dashboard(
    State(ctx): State<AppState>,
    ReportStaff(staff): ReportStaff,
    jar: CookieJar,
) -> WebResult<Response> {
    let Figures {
        since,
        total,
        weeks,
        by_kind,
        by_district,
        by_status,
        triage,
        review,
        breaches,
    } = report_figures::dashboard(&ctx).await?;
    let (jar, csrf) = csrf::issue(&ctx, jar);
    let week_bars: Vec<Bar> = weeks
        .iter()
        .map(|w| Bar {
            label: format!("Week of {}", w.starts),
            reports: w.reports,
        })
        .collect();
    let kinds = bars(by_kind);
    let districts = bars(by_district);
    let page = DashboardPage {
        nav: nav(&staff, &csrf),
        since,
        total,
        weeks_chart: bar_chart(&week_bars),
        weeks: weeks
            .into_iter()
            .map(|w| (w.starts, w.reports, w.by_status))
            .collect(),
        statuses: ReportStatus::ALL
            .into_iter()
            .map(ReportStatus::name)
            .collect(),
        kinds_chart: bar_chart(&kinds),
        kinds,
        districts_chart: bar_chart(&districts),
        districts,
        by_status: bars(by_status),
        steps: vec![
            step_row("Triage (made to assessed)", &triage),
            step_row("Review (assessed to decided)", &review),
        ],
        breaches: breaches
            .into_iter()
            .map(|b| BreachRow {
                reference: b.reference,
                kind: b.kind_name,
                district: b.district_name,
                step: b.step,
                took: duration_words(b.seconds),
                target: format!("{} hours", b.target_hours),
                waiting: b.waiting,
                urgent: b.urgent,
            })
            .collect(),
    };
    Ok((jar, views::render(&page)).into_response())
}

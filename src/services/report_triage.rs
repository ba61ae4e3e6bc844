//! Triage and review of online reports, as staff do them: the contact operators' queue (urgent
//! first, then oldest, each against the triage target), a report with everything its reporter
//! sent, its possible duplicates and its history; the THRIVE assessment and its decision
//! (re-assessed whenever things change, every assessment kept); and linking duplicates. Each
//! decision is audited, and what concerns the reporter is stored as
//! a public update with its email in the same transaction. Reviewers' decisions are
//! `report_review.rs`, the managers' figures `report_figures.rs`.

use super::messages::sender_domain;
use super::staff::{audit, Actor};
use super::tokens::random_id;
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::domain::report::{
    Decision, Dimension, Level, Referral, ReportStatus, ResponseGrade, ServiceDefinition,
};
use crate::domain::subscriber::FieldErrors;
use crate::store::{
    Assessment, NewAssessment, NewOutbound, OutboundChannel, Report, ReportFileMeta, ReportFilter,
    ReportOrder, ReportUpdate, StoreError, Timestamp,
};
use anyhow::Context;
use askama::Template;
use std::collections::BTreeMap;

/// Possible duplicates: the same kind within this many metres…
pub const DUPLICATE_RADIUS_METRES: i64 = 250;
/// …made within this many days before or after.
pub const DUPLICATE_DAYS: i64 = 7;
/// The longest list the queue shows at once.
const QUEUE_LIMIT: i64 = 500;
/// The longest note, message or explanation staff may write, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("no such report")]
    NotFound,
    /// Another reviewer decided first, or the report is not waiting for this decision.
    #[error("the report has changed since the page was opened")]
    Changed,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for TriageError {
    fn from(error: StoreError) -> Self {
        TriageError::Unexpected(error.into())
    }
}

/// Which of the queue's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueTab {
    /// Waiting for a THRIVE assessment.
    #[default]
    New,
    /// Assessed, waiting for the investigation management unit.
    Review,
    /// Every report, newest first.
    All,
}

impl QueueTab {
    pub const ALL: [QueueTab; 3] = [QueueTab::New, QueueTab::Review, QueueTab::All];

    pub fn slug(self) -> &'static str {
        match self {
            QueueTab::New => "new",
            QueueTab::Review => "review",
            QueueTab::All => "all",
        }
    }

    pub fn from_slug(slug: &str) -> QueueTab {
        QueueTab::ALL
            .into_iter()
            .find(|t| t.slug() == slug)
            .unwrap_or_default()
    }

    pub fn name(self) -> &'static str {
        match self {
            QueueTab::New => "Waiting for assessment",
            QueueTab::Review => "Waiting for review",
            QueueTab::All => "All reports",
        }
    }
}

/// What the queue is asked for.
#[derive(Debug, Clone, Default)]
pub struct QueueQuery {
    pub tab: QueueTab,
    /// A kind's code; every kind if empty.
    pub kind: String,
    /// A district's code; every district if empty.
    pub district: String,
}

/// How long a report has waited for the step it is waiting for, against its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub seconds: i64,
    pub target_hours: i64,
    pub overdue: bool,
}

impl Wait {
    fn since(start: Timestamp, now: Timestamp, target_hours: i64) -> Wait {
        let seconds = (now - start).max(0);
        Wait {
            seconds,
            target_hours,
            overdue: seconds > target_hours * 3600,
        }
    }

    /// "2 days 3 hours", "5 hours", "under an hour".
    pub fn words(&self) -> String {
        duration_words(self.seconds)
    }
}

/// A length of time in words, to the hour.
pub fn duration_words(seconds: i64) -> String {
    let hours = seconds / 3600;
    let (days, hours) = (hours / 24, hours % 24);
    let plural = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    match (days, hours) {
        (0, 0) => "under an hour".to_owned(),
        (0, h) => plural(h, "hour"),
        (d, 0) => plural(d, "day"),
        (d, h) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

/// What a report waits for now, if anything: its assessment, or its review.
pub fn waiting(ctx: &AppContext, report: &Report, now: Timestamp) -> Option<(&'static str, Wait)> {
    let settings = &ctx.settings.reports;
    match report.status {
        ReportStatus::Received => Some((
            "assessment",
            Wait::since(report.created_at, now, settings.triage_target_hours),
        )),
        ReportStatus::Assessed => Some((
            "review",
            Wait::since(
                report.assessed_at.unwrap_or(report.created_at),
                now,
                settings.review_target_hours,
            ),
        )),
        _ => None,
    }
}

/// One report as a row of the queue.
#[derive(Debug, Clone)]
pub struct QueueEntry {
    pub report: Report,
    pub kind_name: String,
    pub district_name: String,
    /// What it waits for and how long, if it waits.
    pub wait: Option<(&'static str, Wait)>,
}

/// The queue, with what its filters may choose from.
#[derive(Debug, Clone)]
pub struct Queue {
    pub entries: Vec<QueueEntry>,
    /// (code, name) of every kind and of every district.
    pub kinds: Vec<(String, String)>,
    pub districts: Vec<(String, String)>,
}

/// Every kind of report stored, offered or not: staff read reports of kinds no longer offered
/// (`reports::kinds` gives residents' choices, the offered ones).
pub(crate) async fn kinds(ctx: &AppContext) -> anyhow::Result<Vec<ServiceDefinition>> {
    Ok(super::reports::stored_kinds(ctx)
        .await?
        .into_iter()
        .filter_map(|kind| kind.definition)
        .collect())
}

/// District codes and names.
pub(crate) async fn district_names(ctx: &AppContext) -> anyhow::Result<Vec<(String, String)>> {
    let mut districts: Vec<(String, String)> = ctx
        .store
        .districts()
        .await
        .context("reading districts")?
        .into_iter()
        .map(|d| (d.name.clone().unwrap_or_else(|| d.code.clone()), d.code))
        .map(|(name, code)| (code, name))
        .collect();
    districts.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(districts)
}

/// A name from a (code, name) list, or the code itself.
pub(crate) fn name_of(names: &[(String, String)], code: Option<&str>, none: &str) -> String {
    match code {
        None | Some("") => none.to_owned(),
        Some(code) => names
            .iter()
            .find(|(c, _)| c == code)
            .map_or_else(|| code.to_owned(), |(_, n)| n.clone()),
    }
}

fn kind_names(kinds: &[ServiceDefinition]) -> Vec<(String, String)> {
    kinds
        .iter()
        .map(|k| (k.code.clone(), k.name.clone()))
        .collect()
}

/// The queue: new reports urgent first then oldest (or those waiting for review, or all, newest
/// first), filtered by kind and district.
pub async fn queue(ctx: &AppContext, query: &QueueQuery) -> anyhow::Result<Queue> {
    let kinds = kind_names(&kinds(ctx).await?);
    let districts = district_names(ctx).await?;
    let (statuses, order) = match query.tab {
        QueueTab::New => (vec![ReportStatus::Received], ReportOrder::Queue),
        QueueTab::Review => (vec![ReportStatus::Assessed], ReportOrder::Queue),
        QueueTab::All => (Vec::new(), ReportOrder::Newest),
    };
    let filter = ReportFilter {
        statuses,
        service_codes: [query.kind.trim()]
            .into_iter()
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        district_code: Some(query.district.trim().to_owned()).filter(|d| !d.is_empty()),
        order,
        limit: QUEUE_LIMIT,
        ..ReportFilter::default()
    };
    let now = chrono::Utc::now().timestamp();
    let mut reports = ctx
        .store
        .find_reports(&filter)
        .await
        .context("reading the report queue")?;
    if query.tab == QueueTab::Review {
        // Waiting for review: urgent first, then the longest since its assessment.
        reports.sort_by_key(|r| (!r.urgent, r.assessed_at.unwrap_or(r.created_at), r.id));
    }
    let entries = reports
        .into_iter()
        .map(|report| QueueEntry {
            kind_name: name_of(&kinds, Some(&report.service_code), "Unknown kind"),
            district_name: name_of(&districts, report.district_code.as_deref(), "Not known"),
            wait: waiting(ctx, &report, now),
            report,
        })
        .collect();
    Ok(Queue {
        entries,
        kinds,
        districts,
    })
}

/// One of THRIVE's answers as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ThriveAnswer {
    pub dimension: Dimension,
    pub level: Level,
    #[serde(default)]
    pub note: String,
}

/// A stored assessment, read back.
#[derive(Debug, Clone)]
pub struct AssessmentView {
    pub assessment: Assessment,
    pub answers: Vec<ThriveAnswer>,
    /// The decision in words ("Priority response", "Refer to Trading Standards").
    pub decision: String,
}

/// The decision in words.
pub fn decision_words(decision: &Decision) -> String {
    match decision {
        Decision::Respond(grade) => grade.name().to_owned(),
        Decision::Refer(referral) => format!("Refer to {}", referral.name()),
        Decision::InformationOnly => "Record as information only".to_owned(),
    }
}

/// A report with everything staff need to triage or review it.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub report: Report,
    pub kind_name: String,
    pub district_name: String,
    /// The kind's own questions and the reporter's answers, as text.
    pub answers: Vec<(String, String)>,
    pub files: Vec<ReportFileMeta>,
    pub updates: Vec<ReportUpdate>,
    pub assessments: Vec<AssessmentView>,
    /// Possible duplicates not linked yet, and the reports linked to this one.
    pub duplicates: Vec<(Report, String)>,
    pub linked: Vec<(Report, String)>,
    pub wait: Option<(&'static str, Wait)>,
}

/// The reporter's answers to the kind's own questions, as (question, answer) text: a list's
/// keys as their choices' names.
pub fn answers_as_text(kind: Option<&ServiceDefinition>, answers: &str) -> Vec<(String, String)> {
    let Ok(answers) = serde_json::from_str::<BTreeMap<String, serde_json::Value>>(answers) else {
        return Vec::new();
    };
    let choice = |code: &str, key: &str| {
        kind.and_then(|k| k.questions.iter().find(|q| q.code == code))
            .and_then(|q| q.values.iter().find(|v| v.key == key))
            .map_or_else(|| key.to_owned(), |v| v.name.clone())
    };
    let text = |code: &str, value: &serde_json::Value| match value {
        serde_json::Value::String(s) => choice(code, s),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                serde_json::Value::String(s) => choice(code, s),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    // In the kind's order first, then anything it no longer asks.
    let mut shown = Vec::new();
    let mut left = answers;
    if let Some(kind) = kind {
        for question in &kind.questions {
            if let Some(value) = left.remove(&question.code) {
                shown.push((question.prompt.clone(), text(&question.code, &value)));
            }
        }
    }
    for (code, value) in left {
        let answer = text(&code, &value);
        shown.push((code, answer));
    }
    shown.retain(|(_, answer)| !answer.trim().is_empty());
    shown
}

/// A member of staff opens a report: `report_view`, and the view is audited (it holds the
/// reporter's personal data).
pub async fn open_report(
    ctx: &AppContext,
    actor: &Actor<'_>,
    reference: &str,
) -> Result<ReportView, TriageError> {
    let view = report_view(ctx, reference).await?;
    audit(ctx, actor, "view-report", &view.report.reference, "", false).await?;
    Ok(view)
}

/// A report by its reference, with its files, history, assessments and possible duplicates.
pub async fn report_view(ctx: &AppContext, reference: &str) -> Result<ReportView, TriageError> {
    let report = ctx
        .store
        .report_by_reference(reference)
        .await?
        .ok_or(TriageError::NotFound)?;
    let kinds = kinds(ctx).await?;
    let kind = kinds.iter().find(|k| k.code == report.service_code);
    let kind_list = kind_names(&kinds);
    let districts = district_names(ctx).await?;
    let files = ctx.store.report_files(report.id).await?;
    let updates = ctx.store.report_updates(report.id).await?;
    let assessments = ctx
        .store
        .assessments(report.id)
        .await?
        .into_iter()
        .map(|assessment| AssessmentView {
            answers: serde_json::from_str(&assessment.thrive).unwrap_or_default(),
            decision: serde_json::from_str::<Decision>(&assessment.decision)
                .map_or_else(|_| assessment.decision.clone(), |d| decision_words(&d)),
            assessment,
        })
        .collect();
    let linked = ctx.store.linked_reports(report.id).await?;
    let nearby = match (report.easting, report.northing) {
        (Some(easting), Some(northing)) => {
            let around = report.created_at;
            let days = DUPLICATE_DAYS * 86_400;
            ctx.store
                .nearby_reports(
                    &report.service_code,
                    easting,
                    northing,
                    DUPLICATE_RADIUS_METRES,
                    around - days,
                    around + days,
                    report.id,
                )
                .await?
        }
        _ => Vec::new(),
    };
    let with_kind = |r: Report| {
        let name = name_of(&kind_list, Some(&r.service_code), "Unknown kind");
        (r, name)
    };
    let duplicates = nearby
        .into_iter()
        .filter(|r| !linked.iter().any(|l| l.id == r.id))
        .map(with_kind)
        .collect();
    let linked = linked.into_iter().map(with_kind).collect();
    Ok(ReportView {
        kind_name: kind.map_or_else(|| report.service_code.clone(), |k| k.name.clone()),
        district_name: name_of(&districts, report.district_code.as_deref(), "Not known"),
        answers: answers_as_text(kind, &report.answers),
        wait: waiting(ctx, &report, chrono::Utc::now().timestamp()),
        files,
        updates,
        assessments,
        duplicates,
        linked,
        report,
    })
}

/// A file of a report (staff only), or None.
pub async fn report_file(
    ctx: &AppContext,
    reference: &str,
    file_id: i64,
) -> anyhow::Result<Option<crate::store::ReportFile>> {
    let Some(report) = ctx.store.report_by_reference(reference).await? else {
        return Ok(None);
    };
    Ok(ctx.store.report_file(report.id, file_id).await?)
}

/// The THRIVE form as it arrives: a level and a note per dimension, the decision and what to
/// tell the reporter.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AssessmentInput {
    pub threat_level: String,
    pub threat_note: String,
    pub harm_level: String,
    pub harm_note: String,
    pub risk_level: String,
    pub risk_note: String,
    pub investigation_level: String,
    pub investigation_note: String,
    pub vulnerability_level: String,
    pub vulnerability_note: String,
    pub engagement_level: String,
    pub engagement_note: String,
    /// "respond", "refer" or "information".
    pub decision: String,
    /// A `ResponseGrade` slug, for "respond".
    pub grade: String,
    /// A `Referral` slug, for "refer".
    pub referral: String,
    /// Ticked: the operator judges it urgent.
    pub urgent: Option<String>,
    /// An internal note.
    pub note: String,
    /// What to tell the reporter, besides what the decision says.
    pub message: String,
    /// The form's one-time value: the same assessment sent twice is stored once.
    pub nonce: String,
}

impl AssessmentInput {
    /// The level and note the form holds for a dimension.
    pub fn dimension(&self, dimension: Dimension) -> (&str, &str) {
        match dimension {
            Dimension::Threat => (&self.threat_level, &self.threat_note),
            Dimension::Harm => (&self.harm_level, &self.harm_note),
            Dimension::Risk => (&self.risk_level, &self.risk_note),
            Dimension::Investigation => (&self.investigation_level, &self.investigation_note),
            Dimension::Vulnerability => (&self.vulnerability_level, &self.vulnerability_note),
            Dimension::Engagement => (&self.engagement_level, &self.engagement_note),
        }
    }
}

/// A checked assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedAssessment {
    pub answers: Vec<ThriveAnswer>,
    pub decision: Decision,
    pub urgent: bool,
    pub note: String,
    pub message: String,
}

/// Text staff wrote: trimmed, at most `max` characters; otherwise an error on `field`.
pub(crate) fn staff_text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) {
    if value.trim().chars().count() > max {
        errors.add(
            field,
            format!("The {label} must be {max} characters or fewer"),
        );
    }
}

/// Checks the THRIVE form: every dimension's level, the decision with its grade or referral,
/// and the lengths of the notes. Every problem at once, by field.
pub fn check_assessment(input: &AssessmentInput) -> Result<CheckedAssessment, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut answers = Vec::new();
    for dimension in Dimension::ALL {
        let (level, note) = input.dimension(dimension);
        let field = format!("{}_level", dimension.slug());
        match Level::from_slug(level.trim()) {
            Some(level) => answers.push(ThriveAnswer {
                dimension,
                level,
                note: note.trim().to_owned(),
            }),
            None => errors.add(
                field,
                format!("Choose a level for {}", dimension.name().to_lowercase()),
            ),
        }
        staff_text(
            &mut errors,
            &format!("{}_note", dimension.slug()),
            &format!("note on {}", dimension.name().to_lowercase()),
            note,
            MAX_NOTE_CHARS,
        );
    }
    let decision = match input.decision.trim() {
        "respond" => match ResponseGrade::from_slug(input.grade.trim()) {
            Some(grade) => Some(Decision::Respond(grade)),
            None => {
                errors.add("grade", "Choose the response grade");
                None
            }
        },
        "refer" => match Referral::from_slug(input.referral.trim()) {
            Some(referral) => Some(Decision::Refer(referral)),
            None => {
                errors.add("referral", "Choose who to refer the report to");
                None
            }
        },
        "information" => Some(Decision::InformationOnly),
        _ => {
            errors.add("decision", "Choose the decision");
            None
        }
    };
    staff_text(&mut errors, "note", "note", &input.note, MAX_NOTE_CHARS);
    staff_text(
        &mut errors,
        "message",
        "message to the reporter",
        &input.message,
        MAX_NOTE_CHARS,
    );
    match decision {
        Some(decision) if errors.is_empty() => Ok(CheckedAssessment {
            answers,
            decision,
            urgent: input.urgent.is_some(),
            note: input.note.trim().to_owned(),
            message: input.message.trim().to_owned(),
        }),
        _ => Err(errors),
    }
}

/// Where a decision moves a report to.
pub fn status_after(decision: &Decision) -> ReportStatus {
    match decision {
        Decision::Respond(_) => ReportStatus::Assessed,
        Decision::Refer(_) => ReportStatus::Referred,
        Decision::InformationOnly => ReportStatus::Information,
    }
}

/// What happened to an assessment sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assessed {
    /// Stored, the report now in this status.
    Recorded(ReportStatus),
    /// The same form was sent before: stored once.
    AlreadyRecorded,
}

/// Records an operator's THRIVE assessment (a first one, or a re-assessment): the report moves
/// to the decision's status unless a reviewer has already decided on it (then the assessment
/// is kept and the review's outcome stands). The reporter is told of a new status, and of the
/// operator's message, as a public update and by email. Audited.
pub async fn assess(
    ctx: &AppContext,
    actor: &Actor<'_>,
    reference: &str,
    input: &AssessmentInput,
) -> Result<Assessed, TriageError> {
    let staff = actor
        .staff
        .ok_or_else(|| anyhow::anyhow!("an assessment needs a member of staff"))?;
    let checked = check_assessment(input).map_err(TriageError::Invalid)?;
    let report = ctx
        .store
        .report_by_reference(reference)
        .await?
        .ok_or(TriageError::NotFound)?;
    let reviewed = matches!(
        report.status,
        ReportStatus::CrimeRecorded | ReportStatus::Allocated | ReportStatus::Closed
    );
    let status = if reviewed {
        report.status
    } else {
        status_after(&checked.decision)
    };
    let mut told = Vec::new();
    if status != report.status {
        told.push(match checked.decision {
            Decision::Refer(referral) => format!(
                "We have passed your report to {}, who deal with this kind of report.",
                referral.name()
            ),
            _ => status.for_reporter().to_owned(),
        });
    }
    if !checked.message.is_empty() {
        told.push(checked.message.clone());
    }
    let reporter_update = (!told.is_empty()).then(|| told.join("\n\n"));
    let email = match &reporter_update {
        Some(body) => update_email(ctx, &report, body)?,
        None => None,
    };
    let nonce = if input.nonce.trim().is_empty() {
        random_id()
    } else {
        input.nonce.trim().to_owned()
    };
    let assessment = NewAssessment {
        report_id: report.id,
        staff_id: staff.id,
        at: chrono::Utc::now().timestamp(),
        thrive: serde_json::to_string(&checked.answers).context("writing THRIVE")?,
        decision: serde_json::to_string(&checked.decision).context("writing the decision")?,
        urgent: checked.urgent,
        note: checked.note.clone(),
        status,
        reporter_update,
        form_nonce: nonce,
    };
    let stored = ctx
        .store
        .record_assessment(&assessment, email.as_ref())
        .await
        .context("recording an assessment")?;
    let Some(_) = stored else {
        return Ok(Assessed::AlreadyRecorded);
    };
    let levels = checked
        .answers
        .iter()
        .map(|a| format!("{} {}", a.dimension.slug(), a.level.slug()))
        .collect::<Vec<_>>()
        .join(", ");
    let detail = format!(
        "{}; {}{}; {}",
        decision_words(&checked.decision),
        status.name(),
        if checked.urgent { "; urgent" } else { "" },
        levels
    );
    audit(
        ctx,
        actor,
        "assess-report",
        &report.reference,
        &detail,
        false,
    )
    .await?;
    Ok(Assessed::Recorded(status))
}

/// Links two reports as possible duplicates (by the other's reference). False if they were
/// already. Audited.
pub async fn link(
    ctx: &AppContext,
    actor: &Actor<'_>,
    reference: &str,
    other_reference: &str,
) -> Result<bool, TriageError> {
    let staff = actor
        .staff
        .ok_or_else(|| anyhow::anyhow!("linking needs a member of staff"))?;
    let report = ctx
        .store
        .report_by_reference(reference)
        .await?
        .ok_or(TriageError::NotFound)?;
    let other = ctx
        .store
        .report_by_reference(other_reference.trim())
        .await?
        .filter(|other| other.id != report.id);
    let Some(other) = other else {
        let mut errors = FieldErrors::default();
        errors.add("other", "Enter the reference of another report");
        return Err(TriageError::Invalid(errors));
    };
    let (a, b) = (report.id.min(other.id), report.id.max(other.id));
    let now = chrono::Utc::now().timestamp();
    let linked = ctx
        .store
        .link_reports(a, b, staff.id, now)
        .await
        .context("linking reports")?;
    if linked {
        let subject = &report.reference;
        audit(ctx, actor, "link-reports", subject, &other.reference, false).await?;
    }
    Ok(linked)
}

#[derive(Template)]
#[template(path = "email/report_update.txt")]
struct ReportUpdateText<'a> {
    greeting: &'a str,
    reference: &'a str,
    body: &'a str,
    url: &'a str,
}

#[derive(Template)]
#[template(path = "email/report_update.html")]
struct ReportUpdateHtml<'a> {
    greeting: &'a str,
    reference: &'a str,
    paragraphs: Vec<&'a str>,
    url: &'a str,
}

/// The email telling a reporter of an update to their report, with the link to it; None if
/// they gave no email address.
pub fn update_email(
    ctx: &AppContext,
    report: &Report,
    body: &str,
) -> anyhow::Result<Option<NewOutbound>> {
    let Some(to) = report
        .reporter_email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
    else {
        return Ok(None);
    };
    let name = report.reporter_name.clone().unwrap_or_default();
    let first = name.split_whitespace().next().unwrap_or("");
    let greeting = if first.is_empty() {
        "Hello".to_owned()
    } else {
        format!("Dear {first}")
    };
    let url = super::reports::follow_url(ctx, &report.reference);
    let text = ReportUpdateText {
        greeting: &greeting,
        reference: &report.reference,
        body,
        url: &url,
    }
    .render()
    .context("rendering a report update email")?;
    let html = ReportUpdateHtml {
        greeting: &greeting,
        reference: &report.reference,
        paragraphs: body.split("\n\n").map(str::trim).collect(),
        url: &url,
    }
    .render()
    .context("rendering a report update email")?;
    let message = EmailMessage {
        to_name: name,
        to: to.to_owned(),
        subject: format!("Update on your report {}", report.reference),
        text,
        html: Some(html),
        unsubscribe_url: None,
        message_id: format!("<report-update.{}@{}>", random_id(), sender_domain(ctx)),
        list_id: None,
    };
    Ok(Some(NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: "report-update".into(),
        payload: serde_json::to_string(&message)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_input() -> AssessmentInput {
        AssessmentInput {
            threat_level: "low".into(),
            harm_level: "medium".into(),
            harm_note: "Car window broken".into(),
            risk_level: "low".into(),
            investigation_level: "medium".into(),
            investigation_note: "Doorbell camera".into(),
            vulnerability_level: "low".into(),
            engagement_level: "low".into(),
            decision: "respond".into(),
            grade: "scheduled-appointment".into(),
            ..AssessmentInput::default()
        }
    }

    #[test]
    fn an_assessment_needs_every_level_and_a_whole_decision() {
        let checked = check_assessment(&full_input()).unwrap();
        assert_eq!(checked.answers.len(), 6);
        assert_eq!(
            checked.decision,
            Decision::Respond(ResponseGrade::ScheduledAppointment)
        );
        assert_eq!(status_after(&checked.decision), ReportStatus::Assessed);

        let errors = check_assessment(&AssessmentInput {
            risk_level: "".into(),
            decision: "refer".into(),
            ..full_input()
        })
        .unwrap_err();
        assert!(errors.for_field("risk_level").is_some());
        assert!(errors.for_field("referral").is_some());
        assert!(errors.for_field("threat_level").is_none());

        let errors = check_assessment(&AssessmentInput::default()).unwrap_err();
        assert_eq!(errors.iter().count(), 7, "six levels and the decision");
    }

    #[test]
    fn answers_read_as_the_questions_and_choices_they_were() {
        let kind: ServiceDefinition = serde_json::from_value(serde_json::json!({
            "code": "theft", "name": "Theft", "description": "d", "group": "g",
            "questions": [{"code": "what", "prompt": "What was taken?", "datatype": "singlevaluelist",
                           "values": [{"key": "bike", "name": "A bicycle"}]}]
        }))
        .unwrap();
        let shown = answers_as_text(Some(&kind), r#"{"what":"bike","other":"<b>x</b>","n":3}"#);
        assert_eq!(
            shown,
            [
                ("What was taken?".to_owned(), "A bicycle".to_owned()),
                ("n".to_owned(), "3".to_owned()),
                ("other".to_owned(), "<b>x</b>".to_owned()),
            ]
        );
        assert!(answers_as_text(None, "not json").is_empty());
    }

    #[test]
    fn waits_read_in_days_and_hours() {
        assert_eq!(duration_words(59 * 60), "under an hour");
        assert_eq!(duration_words(5 * 3600 + 10), "5 hours");
        assert_eq!(duration_words(49 * 3600), "2 days 1 hour");
        assert_eq!(duration_words(48 * 3600), "2 days");
        let wait = Wait::since(0, 48 * 3600 + 1, 48);
        assert!(wait.overdue);
        assert!(!Wait::since(0, 48 * 3600, 48).overdue);
    }
}

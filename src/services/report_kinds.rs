//! The kinds of report, as admins keep them: every kind (active or not) with its own questions,
//! and saving one, checked and audited. Residents' side reads the active ones
//! (`services::reports`).

use super::reports::stored_kinds;
use super::staff::{audit, Actor, StaffAdminError};
use super::AppContext;
use crate::domain::report::kinds::{check_definition, Question};
use crate::domain::report::ServiceDefinition;
use crate::domain::subscriber::FieldErrors;
use crate::store::StoredService;
use anyhow::Context;

/// A kind of report and whether residents can choose it.
#[derive(Debug, Clone, PartialEq)]
pub struct KindEntry {
    pub definition: ServiceDefinition,
    pub active: bool,
    pub position: i64,
}

/// Every kind of report, in order. A stored definition that no longer reads (edited in the
/// database by hand) is reported, not skipped: the admin must see it.
pub async fn all_kinds(ctx: &AppContext) -> anyhow::Result<Vec<KindEntry>> {
    stored_kinds(ctx)
        .await?
        .into_iter()
        .map(|stored| {
            let definition = stored.definition.with_context(|| {
                format!("the stored kind of report {:?} cannot be read", stored.code)
            })?;
            Ok(KindEntry {
                definition,
                active: stored.active,
                position: stored.position,
            })
        })
        .collect()
}

/// A kind of report as an admin's form gives it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct KindInput {
    pub code: String,
    pub name: String,
    pub description: String,
    pub group: String,
    /// Comma separated.
    pub keywords: String,
    pub notice: String,
    #[serde(deserialize_with = "checkbox")]
    pub sensitive: bool,
    #[serde(deserialize_with = "checkbox")]
    pub anonymous_allowed: bool,
    #[serde(deserialize_with = "checkbox")]
    pub safety_page: bool,
    #[serde(deserialize_with = "checkbox")]
    pub active: bool,
    pub position: String,
    /// The kind's own questions, as JSON (a list of `Question`s).
    pub questions: String,
}

/// A ticked checkbox, as a form sends it ("true", "on") or as JSON does (true): forms' values
/// arrive as text when the form is read through another struct (`#[serde(flatten)]`).
fn checkbox<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Ticked {
        Bool(bool),
        Text(String),
    }
    Ok(
        match <Ticked as serde::Deserialize>::deserialize(deserializer)? {
            Ticked::Bool(ticked) => ticked,
            Ticked::Text(text) => matches!(text.as_str(), "true" | "on" | "1" | "yes"),
        },
    )
}

impl KindInput {
    /// The form for an existing kind.
    pub fn from_entry(entry: &KindEntry) -> KindInput {
        let d = &entry.definition;
        KindInput {
            code: d.code.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            group: d.group.clone(),
            keywords: d.keywords.join(", "),
            notice: d.notice.clone().unwrap_or_default(),
            sensitive: d.sensitive,
            anonymous_allowed: d.anonymous_allowed,
            safety_page: d.safety_page,
            active: entry.active,
            position: entry.position.to_string(),
            questions: serde_json::to_string_pretty(&d.questions).unwrap_or_default(),
        }
    }

    /// The definition, or every problem by field.
    fn checked(&self) -> Result<(ServiceDefinition, i64), FieldErrors> {
        let mut errors = FieldErrors::default();
        let questions: Vec<Question> = if self.questions.trim().is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&self.questions).unwrap_or_else(|error| {
                errors.add(
                    "questions",
                    format!(
                        "The questions are not a JSON list of questions ({error}): each needs \
                         code, prompt and datatype, and choices for a list"
                    ),
                );
                Vec::new()
            })
        };
        let position = self.position.trim().parse::<i64>().unwrap_or_else(|_| {
            if !self.position.trim().is_empty() {
                errors.add(
                    "position",
                    "Enter the position as a whole number, such as 10",
                );
            }
            1_000
        });
        let notice = self.notice.trim();
        let definition = ServiceDefinition {
            code: self.code.trim().to_owned(),
            name: self.name.trim().to_owned(),
            description: self.description.trim().to_owned(),
            group: self.group.trim().to_owned(),
            keywords: self
                .keywords
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            sensitive: self.sensitive,
            anonymous_allowed: self.anonymous_allowed,
            notice: (!notice.is_empty()).then(|| notice.to_owned()),
            safety_page: self.safety_page,
            questions,
        };
        for problem in check_definition(&definition) {
            let field = if problem.starts_with("Question") {
                "questions"
            } else if problem.contains("code") {
                "code"
            } else if problem.contains("description") {
                "description"
            } else if problem.contains("group") {
                "group"
            } else {
                "name"
            };
            errors.add(field, problem);
        }
        if errors.is_empty() {
            Ok((definition, position))
        } else {
            Err(errors)
        }
    }
}

/// Saves a kind of report (`code` is the one being edited, or None for a new one); audited, as
/// is a refusal. Its name.
pub async fn save_kind(
    ctx: &AppContext,
    actor: &Actor<'_>,
    code: Option<&str>,
    input: &KindInput,
) -> Result<String, StaffAdminError> {
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(
            ctx,
            actor,
            "change-report-kind",
            input.code.trim(),
            "not an admin",
            true,
        )
        .await?;
        return Err(StaffAdminError::NotAdmin);
    }
    let (definition, position) = input.checked().map_err(StaffAdminError::Invalid)?;
    let existing = all_kinds(ctx).await?;
    match code {
        Some(code) if code != definition.code => {
            let mut errors = FieldErrors::default();
            errors.add(
                "code",
                "A kind's code cannot change: Open311 clients and stored reports use it",
            );
            return Err(StaffAdminError::Invalid(errors));
        }
        None if existing
            .iter()
            .any(|k| k.definition.code == definition.code) =>
        {
            let mut errors = FieldErrors::default();
            errors.add("code", "There is already a kind of report with this code");
            return Err(StaffAdminError::Invalid(errors));
        }
        Some(_) => {
            // Reports of a sensitive kind were made on the promise that they are never
            // published: Open311 and maps read the kind's flags, so the flags cannot be undone.
            let before = existing
                .iter()
                .find(|k| k.definition.code == definition.code);
            let was =
                |flag: fn(&ServiceDefinition) -> bool| before.is_some_and(|k| flag(&k.definition));
            let mut errors = FieldErrors::default();
            if was(|d| d.sensitive) && !definition.sensitive {
                errors.add(
                    "sensitive",
                    "A sensitive kind stays sensitive: its reports were made on the promise that \
                     they are never published. Add a new kind instead",
                );
            }
            if was(|d| d.safety_page) && !definition.safety_page {
                errors.add(
                    "safety_page",
                    "A kind that starts with a safety page keeps it: its reports are never \
                     published. Add a new kind instead",
                );
            }
            if !errors.is_empty() {
                return Err(StaffAdminError::Invalid(errors));
            }
        }
        _ => {}
    }
    let stored = StoredService {
        code: definition.code.clone(),
        definition: serde_json::to_string(&definition).context("writing a kind of report")?,
        position,
        active: input.active,
    };
    ctx.store
        .save_report_service(&stored, chrono::Utc::now().timestamp())
        .await
        .context("saving a kind of report")?;
    let action = if code.is_some() {
        "change-report-kind"
    } else {
        "add-report-kind"
    };
    let detail = if input.active {
        "active"
    } else {
        "not offered"
    };
    audit(ctx, actor, action, &definition.code, detail, false).await?;
    Ok(definition.name)
}

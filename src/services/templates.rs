//! Alert templates: senders keep, per organisation, a named alert (its kind, priority, title,
//! body and text message) to start new alerts from. Only senders of a template's organisation,
//! or admins, see, use and change it; every change, and every refusal, is audited.

use super::alerts::AlertInput;
use super::staff::{audit, Actor};
use super::AppContext;
use crate::domain::alert as rules;
use crate::domain::subscriber::FieldErrors;
use crate::domain::Priority;
use crate::store::{AlertTemplate, StaffMember, StoreError, TemplateContent};
use anyhow::Context;

/// The longest name a template may have, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// A template's form, as typed: on its own page, or the compose form's alert saved as one.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TemplateInput {
    pub template_name: String,
    pub provider: String,
    pub message_type: String,
    pub priority: String,
    pub title: String,
    pub body: String,
    pub sms_text: String,
}

impl TemplateInput {
    /// The alert being written, kept as a template called `name`.
    pub fn from_alert(name: &str, alert: &AlertInput) -> TemplateInput {
        TemplateInput {
            template_name: name.to_owned(),
            provider: alert.provider.clone(),
            message_type: alert.message_type.clone(),
            priority: alert.priority.clone(),
            title: alert.title.clone(),
            body: alert.body.clone(),
            sms_text: alert.sms_text.clone(),
        }
    }
}

/// Why someone may not see or change a template, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TemplateRefusal {
    #[error("templates need the sender permission")]
    NotSender,
    #[error("another organisation's template")]
    AnotherOrganisation,
    #[error("a template for another organisation")]
    ForAnother,
}

/// Why a template could not be saved, used or deleted.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("You may not do that: {0}")]
    NotPermitted(TemplateRefusal),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for TemplateError {
    fn from(error: StoreError) -> Self {
        TemplateError::Unexpected(error.into())
    }
}

/// Whether `staff` may keep templates for `provider_id`: its senders, or an admin; why not.
fn may_keep(staff: &StaffMember, provider_id: i64) -> Result<(), TemplateRefusal> {
    if staff.permissions.admin || (staff.permissions.send && staff.provider_id == provider_id) {
        Ok(())
    } else if !staff.permissions.send {
        Err(TemplateRefusal::NotSender)
    } else {
        Err(TemplateRefusal::AnotherOrganisation)
    }
}

fn signed_in<'a>(actor: &Actor<'a>) -> anyhow::Result<&'a StaffMember> {
    actor
        .staff
        .context("templates need a signed-in member of staff")
}

/// The templates `staff` may use: their organisation's, or everyone's for an admin.
pub async fn list(ctx: &AppContext, staff: &StaffMember) -> anyhow::Result<Vec<AlertTemplate>> {
    if !staff.permissions.send && !staff.permissions.admin {
        return Ok(Vec::new());
    }
    let scope = (!staff.permissions.admin).then_some(staff.provider_id);
    ctx.store
        .list_templates(scope)
        .await
        .context("listing templates")
}

/// Checks every field of a template's form; all problems at once. `except` is the template
/// being changed, whose own name is no clash.
async fn check(
    ctx: &AppContext,
    input: &TemplateInput,
    except: Option<i64>,
) -> Result<TemplateContent, TemplateError> {
    let mut errors = FieldErrors::default();
    let name = input.template_name.trim();
    if name.is_empty() {
        errors.add("template_name", "Enter a name for the template");
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.add(
            "template_name",
            format!("The template's name must be {MAX_NAME_CHARS} characters or fewer"),
        );
    } else if name.chars().any(char::is_control) {
        errors.add("template_name", "Write the template's name on one line");
    }
    let providers = super::catalogue::providers(ctx)
        .await
        .context("reading the organisations")?;
    let provider = providers.iter().find(|p| p.slug == input.provider);
    if provider.is_none() {
        errors.add("provider", "Choose who the alert is from");
    }
    let types = super::catalogue::message_types(ctx)
        .await
        .context("reading the kinds of message")?;
    let message_type = types.iter().find(|t| t.slug == input.message_type);
    if message_type.is_none() {
        errors.add("message_type", "Choose the kind of message");
    }
    let priority = input
        .priority
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|p| Priority::new(p).ok());
    if priority.is_none() {
        errors.add("priority", "Choose a priority from 1 (urgent) to 5");
    }
    let title = rules::parse_title(&input.title)
        .map_err(|e| errors.add("title", e))
        .ok();
    let body = rules::parse_body(&input.body)
        .map_err(|e| errors.add("body", e))
        .ok();
    // Counted as a public alert's text is, with the link sending adds: the longer case.
    let sms_text = input.sms_text.trim();
    if !sms_text.is_empty() {
        let link_room = super::messages::sms_link_room(ctx, false);
        if let Some(problem) = rules::sms_text_problem(sms_text, link_room) {
            errors.add("sms_text", problem);
        }
    }
    if let (Some(provider), false) = (provider, name.is_empty()) {
        let taken = ctx
            .store
            .list_templates(Some(provider.id))
            .await
            .context("reading the organisation's templates")?
            .into_iter()
            .any(|t| Some(t.id) != except && t.content.name.to_lowercase() == name.to_lowercase());
        if taken {
            errors.add(
                "template_name",
                format!(
                    "{} already has a template called “{name}”: choose another name",
                    provider.name
                ),
            );
        }
    }
    let (Some(provider), Some(message_type), Some(priority), Some(title), Some(body), true) = (
        provider,
        message_type,
        priority,
        title,
        body,
        errors.is_empty(),
    ) else {
        return Err(TemplateError::Invalid(errors));
    };
    Ok(TemplateContent {
        provider_id: provider.id,
        name: name.to_owned(),
        message_type_id: message_type.id,
        priority,
        title,
        body_markdown: body,
        sms_text: (!sms_text.is_empty()).then(|| sms_text.to_owned()),
    })
}

/// Refuses, audited as `action` on `subject`, what `staff` may not keep for `provider_id`.
async fn may_keep_audited(
    ctx: &AppContext,
    actor: &Actor<'_>,
    provider_id: i64,
    action: &str,
    subject: &str,
    refusal: TemplateRefusal,
) -> Result<(), TemplateError> {
    let staff = signed_in(actor)?;
    let Err(reason) = may_keep(staff, provider_id) else {
        return Ok(());
    };
    let reason = match reason {
        TemplateRefusal::AnotherOrganisation => refusal,
        other => other,
    };
    audit(ctx, actor, action, subject, &reason.to_string(), true).await?;
    Err(TemplateError::NotPermitted(reason))
}

/// A name clashing with another template's, when the store finds it first.
fn name_taken(error: StoreError) -> TemplateError {
    match error {
        StoreError::Conflict => {
            let mut errors = FieldErrors::default();
            errors.add(
                "template_name",
                "The organisation already has a template of that name: choose another name",
            );
            TemplateError::Invalid(errors)
        }
        other => TemplateError::Unexpected(anyhow::Error::from(other).context("saving a template")),
    }
}

/// Saves a new template, for an organisation `actor` sends for; its id. Audited.
pub async fn create(
    ctx: &AppContext,
    actor: &Actor<'_>,
    input: &TemplateInput,
) -> Result<i64, TemplateError> {
    let staff = signed_in(actor)?;
    let content = check(ctx, input, None).await?;
    let subject = format!("template “{}”", content.name);
    let refusal = TemplateRefusal::ForAnother;
    may_keep_audited(
        ctx,
        actor,
        content.provider_id,
        "template-new",
        &subject,
        refusal,
    )
    .await?;
    let now = chrono::Utc::now().timestamp();
    let id = ctx
        .store
        .insert_template(&content, staff.id, now)
        .await
        .map_err(name_taken)?;
    let detail = format!("“{}”: {}", content.name, content.title);
    audit(
        ctx,
        actor,
        "template-new",
        &format!("template {id}"),
        &detail,
        false,
    )
    .await?;
    Ok(id)
}

/// Template `id`, if `actor` may keep it (refusals audited as `action`); `None` when there is
/// no such template.
pub async fn template(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    action: &str,
) -> Result<Option<AlertTemplate>, TemplateError> {
    let Some(template) = ctx
        .store
        .template(id)
        .await
        .with_context(|| format!("reading template {id}"))?
    else {
        return Ok(None);
    };
    let subject = format!("template {id}");
    let refusal = TemplateRefusal::AnotherOrganisation;
    may_keep_audited(
        ctx,
        actor,
        template.content.provider_id,
        action,
        &subject,
        refusal,
    )
    .await?;
    Ok(Some(template))
}

async fn message_type_slug(ctx: &AppContext, id: i64) -> anyhow::Result<String> {
    Ok(super::catalogue::message_types(ctx)
        .await
        .context("reading the kinds of message")?
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.slug)
        .unwrap_or_default())
}

/// Template `id` in its form, to change; `None` when there is none.
pub async fn edit_form(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<Option<TemplateInput>, TemplateError> {
    let Some(template) = template(ctx, actor, id, "template-edit").await? else {
        return Ok(None);
    };
    let content = template.content;
    Ok(Some(TemplateInput {
        template_name: content.name,
        provider: super::catalogue::provider_slug(ctx, content.provider_id).await?,
        message_type: message_type_slug(ctx, content.message_type_id).await?,
        priority: content.priority.to_string(),
        title: content.title,
        body: content.body_markdown,
        sms_text: content.sms_text.unwrap_or_default(),
    }))
}

/// A blank template's form, for the sender's own organisation.
pub async fn new_form(ctx: &AppContext, staff: &StaffMember) -> anyhow::Result<TemplateInput> {
    Ok(TemplateInput {
        provider: super::catalogue::provider_slug(ctx, staff.provider_id).await?,
        priority: "3".into(),
        ..TemplateInput::default()
    })
}

/// Saves changes to template `id` (its name too), checked as a new one is; `None` when there is
/// no such template. Audited.
pub async fn update(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    input: &TemplateInput,
) -> Result<Option<()>, TemplateError> {
    let staff = signed_in(actor)?;
    let Some(before) = template(ctx, actor, id, "template-edit").await? else {
        return Ok(None);
    };
    let content = check(ctx, input, Some(id)).await?;
    let subject = format!("template {id}");
    let refusal = TemplateRefusal::ForAnother;
    may_keep_audited(
        ctx,
        actor,
        content.provider_id,
        "template-edit",
        &subject,
        refusal,
    )
    .await?;
    let now = chrono::Utc::now().timestamp();
    if !ctx
        .store
        .update_template(id, &content, staff.id, now)
        .await
        .map_err(name_taken)?
    {
        return Ok(None);
    }
    let detail = if before.content.name == content.name {
        format!("“{}”", content.name)
    } else {
        format!("“{}”, renamed from “{}”", content.name, before.content.name)
    };
    audit(ctx, actor, "template-edit", &subject, &detail, false).await?;
    Ok(Some(()))
}

/// Deletes template `id`; its name, or `None` when there was no such template. Audited.
pub async fn delete(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<Option<String>, TemplateError> {
    let Some(template) = template(ctx, actor, id, "template-delete").await? else {
        return Ok(None);
    };
    if !ctx
        .store
        .delete_template(id)
        .await
        .with_context(|| format!("deleting template {id}"))?
    {
        return Ok(None);
    }
    let name = template.content.name;
    let subject = format!("template {id}");
    audit(
        ctx,
        actor,
        "template-delete",
        &subject,
        &format!("“{name}”"),
        false,
    )
    .await?;
    Ok(Some(name))
}

/// A new alert's compose form filled in from template `id`, and the template's name; `None`
/// when there is no such template.
pub async fn alert_form(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<Option<(AlertInput, String)>, TemplateError> {
    let Some(template) = template(ctx, actor, id, "template-use").await? else {
        return Ok(None);
    };
    let content = template.content;
    let form = AlertInput {
        provider: super::catalogue::provider_slug(ctx, content.provider_id).await?,
        message_type: message_type_slug(ctx, content.message_type_id).await?,
        priority: content.priority.to_string(),
        title: content.title,
        body: content.body_markdown,
        sms_text: content.sms_text.unwrap_or_default(),
        circle_unit: "km".into(),
        exclude_unit: "km".into(),
        ..AlertInput::default()
    };
    Ok(Some((form, content.name)))
}

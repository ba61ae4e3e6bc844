//! What the senders' pages read: their alert list, what the compose form offers to choose from
//! (organisations, kinds of message, the force's districts), a follow-up's form filled in from
//! the alert it follows, what sending an alert now would do (the page that asks before it
//! does), and a sent alert's delivery report.

use super::alerts::{
    self, visible_alert, AlertAction, AlertActionError, AlertInput, Audience, CheckedAlert,
    ComposeError,
};
use super::staff::{audit, Actor};
use super::AppContext;
use crate::geo::target::{AreaTarget, Shape};
use crate::store::{Alert, AlertStatus, DeliveryReport, StaffMember};
use anyhow::Context;

/// How many alerts the staff home lists.
const HOME_ALERTS: i64 = 200;

/// The newest alerts `staff` may see: their organisation's, or everyone's for an admin.
pub async fn staff_alerts(ctx: &AppContext, staff: &StaffMember) -> anyhow::Result<Vec<Alert>> {
    let scope = (!staff.permissions.admin).then_some(staff.provider_id);
    ctx.store
        .list_alerts(scope, HOME_ALERTS)
        .await
        .context("listing alerts")
}

/// What the compose form offers: (slug, name) pairs, and (code, name) for the force's districts.
pub struct ComposeChoices {
    /// The organisations `staff` may write for.
    pub providers: Vec<(String, String)>,
    pub message_types: Vec<(String, String)>,
    pub force_districts: Vec<(String, String)>,
    /// The open Neighbourhood Watch schemes, as (`Members::code`, name and district).
    pub schemes: Vec<(String, String)>,
}

pub async fn choices(ctx: &AppContext, staff: &StaffMember) -> anyhow::Result<ComposeChoices> {
    let providers = ctx
        .store
        .providers()
        .await
        .context("reading the organisations")?
        .into_iter()
        .filter(|p| !p.archived && (staff.permissions.admin || p.id == staff.provider_id))
        .map(|p| (p.slug, p.name))
        .collect();
    let message_types = ctx
        .store
        .message_types()
        .await
        .context("reading the kinds of message")?
        .into_iter()
        .map(|m| (m.slug, m.name))
        .collect();
    let force_districts = ctx
        .store
        .districts()
        .await
        .context("reading districts")?
        .into_iter()
        .filter(|d| crate::geo::districts::FORCE_DISTRICTS.contains(&d.code.as_str()))
        .map(|d| (d.name.clone().unwrap_or_else(|| d.code.clone()), d.code))
        .map(|(name, code)| (code, name))
        .collect();
    let schemes = ctx
        .store
        .list_schemes(Some(crate::domain::scheme::SchemeStatus::Open))
        .await
        .context("reading the schemes")?
        .into_iter()
        .map(|s| {
            let name = format!("{} ({})", s.name, s.district());
            (crate::domain::scheme::Members::Scheme(s.id).code(), name)
        })
        .collect();
    Ok(ComposeChoices {
        providers,
        message_types,
        force_districts,
        schemes,
    })
}

/// A new alert's form: blank for the sender's organisation, or, following up alert `follows`,
/// an update (or with `cancel`, a withdrawal) filled in from it. `None` when there is no sent
/// alert `follows` the sender may see.
pub async fn new_alert_form(
    ctx: &AppContext,
    actor: &Actor<'_>,
    follows: Option<i64>,
    cancel: bool,
) -> Result<Option<AlertInput>, ComposeError> {
    let staff = actor
        .staff
        .ok_or_else(|| anyhow::anyhow!("needs a signed-in member of staff"))?;
    let mut form = AlertInput {
        provider: super::catalogue::provider_slug(ctx, staff.provider_id).await?,
        priority: "3".into(),
        circle_unit: "km".into(),
        exclude_unit: "km".into(),
        ..AlertInput::default()
    };
    let Some(original) = follows else {
        return Ok(Some(form));
    };
    let original = match visible_alert(ctx, actor, original).await {
        Ok(Some(alert)) if alert.status == AlertStatus::Queued => alert,
        Ok(_) => return Ok(None),
        Err(AlertActionError::NotPermitted(reason)) => {
            return Err(ComposeError::NotPermitted(reason))
        }
        Err(error) => return Err(anyhow::Error::from(error).into()),
    };
    form.follows = Some(original.id);
    form.follow_up = if cancel { "cancel" } else { "update" }.into();
    form.title = format!(
        "{}: {}",
        if cancel { "Withdrawn" } else { "Update" },
        original.content.title
    );
    form.body = if cancel {
        format!("This alert has been withdrawn: {}.", original.content.title)
    } else {
        original.content.body_markdown.clone()
    };
    form.message_type = message_type_slug(ctx, original.content.message_type_id).await?;
    form.priority = original.content.priority.to_string();
    // A follow-up goes to whom the original went: kept to its members, and off the archive.
    form.members = original.content.members.code();
    form.private = original.content.private;
    fill_target(&mut form, &original.content.target);
    Ok(Some(form))
}

/// The compose form filled in from alert `id`, for editing it (`alerts::alert_to_edit` says who
/// may, and when); `None` when there is no such alert to see.
pub async fn edit_form(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<Option<AlertInput>, AlertActionError> {
    let Some(alert) = alerts::alert_to_edit(ctx, actor, id, "edit").await? else {
        return Ok(None);
    };
    let content = &alert.content;
    let mut form = AlertInput {
        provider: super::catalogue::provider_slug(ctx, content.provider_id).await?,
        message_type: message_type_slug(ctx, content.message_type_id).await?,
        priority: content.priority.to_string(),
        title: content.title.clone(),
        body: content.body_markdown.clone(),
        sms_text: content.sms_text.clone().unwrap_or_default(),
        circle_unit: "km".into(),
        exclude_unit: "km".into(),
        private: content.private,
        members: content.members.code(),
        ..AlertInput::default()
    };
    fill_target(&mut form, &content.target);
    Ok(Some(form))
}

async fn message_type_slug(ctx: &AppContext, id: i64) -> anyhow::Result<String> {
    Ok(ctx
        .store
        .message_types()
        .await
        .context("reading the kinds of message")?
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.slug)
        .unwrap_or_default())
}

/// Puts a stored target back into the form's fields (for follow-ups and edits).
fn fill_target(form: &mut AlertInput, target: &AreaTarget) {
    for shape in &target.include {
        match shape {
            Shape::ForceArea => form.force_area = Some("on".into()),
            Shape::Districts { codes } => form.districts = codes.clone(),
            Shape::Circle {
                easting,
                northing,
                radius_m,
                label,
            } => {
                form.circle_centre = label.clone();
                form.circle_grid = format!("{easting},{northing}");
                form.circle_radius = format!("{}", radius_m / 1000.0);
                form.circle_unit = "km".into();
            }
            Shape::Polygon { .. } => {
                form.polygon = crate::geo::target::polygon_to_geojson(shape)
                    .map(|v| v.to_string())
                    .unwrap_or_default();
            }
        }
    }
    for shape in &target.exclude {
        match shape {
            Shape::Districts { codes } => form.exclude_districts = codes.clone(),
            // Its label is the postcode or place it was drawn around, found again on saving.
            Shape::Circle {
                radius_m, label, ..
            } => {
                form.exclude_centre = label.clone();
                form.exclude_radius = format!("{}", radius_m / 1000.0);
                form.exclude_unit = "km".into();
            }
            Shape::ForceArea | Shape::Polygon { .. } => {}
        }
    }
}

/// Whom sending `alert` now would reach, by channel, counted as the preview counts them, for
/// the page that asks before sending: for someone who may send it, while it may be sent.
pub async fn before_sending(
    ctx: &AppContext,
    actor: &Actor<'_>,
    alert: &Alert,
) -> Result<Audience, AlertActionError> {
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    if let Err(reason) = alerts::permission(staff, alert, AlertAction::SendNow) {
        let subject = format!("alert {}", alert.id);
        audit(ctx, actor, "send", &subject, &reason.to_string(), true).await?;
        return Err(AlertActionError::NotPermitted(reason));
    }
    if !matches!(alert.status, AlertStatus::Ready | AlertStatus::Scheduled) {
        return Err(AlertActionError::NotReadyToSend);
    }
    let checked = CheckedAlert {
        content: alert.content.clone(),
    };
    Ok(alerts::audience(ctx, &checked).await?)
}

/// How a sent alert's delivery stands.
pub async fn delivery_report(ctx: &AppContext, alert_id: i64) -> anyhow::Result<DeliveryReport> {
    ctx.store
        .delivery_report(alert_id)
        .await
        .with_context(|| format!("reading alert {alert_id}'s delivery report"))
}

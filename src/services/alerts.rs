//! Senders' use cases: composing an alert (content, target, sign-off), previewing whom it
//! reaches, place suggestions from the body, and the workflow from draft through approval to
//! sending now or on schedule, with every permission checked here and refusals audited.

use super::postcodes::LookupError;
use super::staff::{audit, Actor};
use super::AppContext;
use crate::domain::alert::{self as rules, SignOff};
use crate::domain::scheme::{Members, SchemeStatus};
use crate::domain::subscriber::FieldErrors;
use crate::domain::{Postcode, Priority};
use crate::geo::audience::{AudienceIndex, AudiencePreview, AudienceQuery};
use crate::geo::places;
use crate::geo::target::{self, AreaTarget, DistanceUnit, Shape};
use crate::store::{
    Alert, AlertContent, AlertEdit, AlertStatus, AlertTransition, NewAlert, StaffMember, StoreError,
};
use anyhow::Context;
use serde::Deserialize;
use std::sync::Arc;

/// The middle of the force area, for resolving place names and detecting them in text.
pub const FORCE_CENTRE: (f64, f64) = (540_000.0, 270_000.0);
/// How far from the force centre a detected place may be.
const DETECTION_RADIUS_M: f64 = 45_000.0;
/// Margin around detected places in a suggested target.
const SUGGESTION_MARGIN_M: f64 = 2_000.0;
/// How far ahead an alert may be scheduled.
const MAX_SCHEDULE_DAYS: i64 = 30;

/// The compose form, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AlertInput {
    pub provider: String,
    pub message_type: String,
    /// "1" to "5" from the form; 1 to 5 (or the same as text) in the JSON API.
    #[serde(deserialize_with = "text_or_number")]
    pub priority: String,
    pub title: String,
    pub body: String,
    pub sms_text: String,
    /// The whole force area: a ticked box, or `true` in the JSON API.
    #[serde(deserialize_with = "ticked_text")]
    pub force_area: Option<String>,
    pub districts: Vec<String>,
    pub circle_centre: String,
    /// "E,N": a centre already on the grid (set when a suggested area is accepted).
    pub circle_grid: String,
    pub circle_radius: String,
    pub circle_unit: String,
    pub polygon: String,
    /// A shape drawn on the preview map: grid points "E,N;E,N;…" (the page's script fills it).
    pub polygon_grid: String,
    pub exclude_districts: Vec<String>,
    pub exclude_centre: String,
    pub exclude_radius: String,
    pub exclude_unit: String,
    pub follows: Option<i64>,
    pub follow_up: String,
    /// The survey the alert carries (its email links to the survey's answer page): set from
    /// a survey's page, on the compose form as a hidden field.
    pub survey: Option<i64>,
    /// Whom in the area it is for: "" (everyone who chose its organisation and kind of
    /// message), "schemes" (members of Neighbourhood Watch schemes with a place in the area) or
    /// a scheme's id (that scheme's members). A message to members is kept off the archive.
    pub members: String,
    /// Keep it to subscribers: not on the public archive. A ticked box ("on") or, in the JSON
    /// API, `true`.
    #[serde(deserialize_with = "crate::domain::ticked")]
    pub private: bool,
}

/// A form's text, or a JSON number as its digits.
fn text_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum TextOrNumber {
        Number(i64),
        Text(String),
    }
    Ok(match Option::<TextOrNumber>::deserialize(deserializer)? {
        None => String::new(),
        Some(TextOrNumber::Number(n)) => n.to_string(),
        Some(TextOrNumber::Text(t)) => t,
    })
}

/// A checkbox's value as the form sends it ("on"), from a JSON boolean as well.
fn ticked_text<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(crate::domain::ticked(deserializer)?.then(|| "on".to_owned()))
}

/// Why an alert could not be checked or stored as a draft.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("You may not do that: {0}")]
    NotPermitted(NotPermitted),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for ComposeError {
    fn from(error: StoreError) -> Self {
        ComposeError::Unexpected(error.into())
    }
}

/// Why a workflow action on an alert (or seeing it) was refused. The messages are what the
/// sender reads on the alert's page.
#[derive(Debug, thiserror::Error)]
pub enum AlertActionError {
    #[error("You may not do that: {0}")]
    NotPermitted(NotPermitted),
    #[error("That cannot be done to the alert as it is now: it may have changed meanwhile. Reload the page.")]
    StatusChanged,
    #[error("Only an alert that is ready (or scheduled) can be sent")]
    NotReadyToSend,
    #[error("Choose a time in the future, within the next 30 days")]
    ScheduleOutOfRange,
    #[error("Enter the date and time to send it, like 22/11/2026 09:30")]
    UnreadableTime,
    #[error(
        "Only a draft or an alert waiting for approval can be edited: duplicate it to write a \
         new one"
    )]
    NotEditable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for AlertActionError {
    fn from(error: StoreError) -> Self {
        AlertActionError::Unexpected(error.into())
    }
}

/// A checked alert, ready to store.
pub struct CheckedAlert {
    pub content: AlertContent,
}

/// Whether `staff` may write for `provider_id`: their own organisation, or any for an admin.
fn may_write_for(staff: &StaffMember, provider_id: i64) -> bool {
    staff.permissions.admin || (staff.permissions.send && staff.provider_id == provider_id)
}

/// Checks every field of the compose form and resolves the target; all problems at once.
pub async fn check(ctx: &AppContext, input: &AlertInput) -> Result<CheckedAlert, ComposeError> {
    let mut errors = FieldErrors::default();
    let providers = ctx.store.providers().await?;
    let provider = providers
        .iter()
        .find(|p| p.slug == input.provider && !p.archived);
    if provider.is_none() {
        errors.add("provider", "Choose who the alert is from");
    }
    let types = ctx.store.message_types().await?;
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
    let sms_text = input.sms_text.trim();
    if !sms_text.is_empty() {
        let link_room = super::messages::sms_link_room(ctx, input.private);
        if let Some(problem) = rules::sms_text_problem(sms_text, link_room) {
            errors.add("sms_text", problem);
        }
    }
    let target = area_target(ctx, input, &mut errors).await?;
    let members = members(ctx, &input.members, &mut errors).await?;
    let (Some(provider), Some(message_type), Some(priority), Some(title), Some(body), Some(target)) =
        (provider, message_type, priority, title, body, target)
    else {
        return Err(ComposeError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ComposeError::Invalid(errors));
    }
    let districts = ctx.store.districts().await?;
    let describe = target.describe(|code| {
        districts
            .iter()
            .find(|d| d.code == code)
            .and_then(|d| d.name.clone())
            .unwrap_or_else(|| code.to_owned())
    });
    Ok(CheckedAlert {
        content: AlertContent {
            provider_id: provider.id,
            message_type_id: message_type.id,
            priority,
            title,
            body_markdown: body,
            sms_text: (!sms_text.is_empty()).then(|| sms_text.to_owned()),
            target,
            target_description: describe,
            // A message to Neighbourhood Watch members is theirs, not the public's.
            private: input.private || members != Members::Everyone,
            members,
        },
    })
}

/// Whom in the area the form limits the alert to (`AlertInput::members`, as
/// `Members::code` writes it); a scheme must be open.
async fn members(
    ctx: &AppContext,
    chosen: &str,
    errors: &mut FieldErrors,
) -> Result<Members, ComposeError> {
    match Members::parse(chosen.trim()) {
        Some(Members::Scheme(id)) => {
            let open = ctx.store.scheme(id).await?;
            if open.is_some_and(|s| s.status == SchemeStatus::Open) {
                return Ok(Members::Scheme(id));
            }
        }
        Some(members) => return Ok(members),
        None => {}
    }
    errors.add("members", "Choose an open scheme from the list");
    Ok(Members::Everyone)
}

async fn centre(
    ctx: &AppContext,
    text: &str,
    field: &str,
    errors: &mut FieldErrors,
) -> Result<Option<(f64, f64, String)>, ComposeError> {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, "Enter a postcode or a place name for the centre");
        return Ok(None);
    }
    if let Ok(postcode) = Postcode::parse(text) {
        return match super::postcodes::locate(&*ctx.store, &postcode).await {
            Ok(location) => Ok(location
                .easting
                .zip(location.northing)
                .map(|(e, n)| (f64::from(e), f64::from(n), postcode.to_string()))),
            Err(LookupError::Unexpected(error)) => Err(error.into()),
            Err(problem) => {
                errors.add(field, problem);
                Ok(None)
            }
        };
    }
    match places::find_near(text, FORCE_CENTRE.0, FORCE_CENTRE.1) {
        Some(place) => Ok(Some((place.easting, place.northing, place.name.clone()))),
        None => {
            errors.add(
                field,
                format!(
                    "We cannot find a place called “{}”: enter a postcode, or a town or village name",
                    text.chars().take(40).collect::<String>()
                ),
            );
            Ok(None)
        }
    }
}

fn radius(
    text: &str,
    unit: &str,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<(f64, DistanceUnit)> {
    let unit = if unit == "miles" {
        DistanceUnit::Miles
    } else {
        DistanceUnit::Km
    };
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Some((value, unit)),
        _ => {
            errors.add(field, "Enter the radius as a number, like 5 or 2.5");
            None
        }
    }
}

/// Builds the target from the form: the union of what is ticked or filled in, less what is
/// excluded.
async fn area_target(
    ctx: &AppContext,
    input: &AlertInput,
    errors: &mut FieldErrors,
) -> Result<Option<AreaTarget>, ComposeError> {
    let known: Vec<String> = ctx
        .store
        .districts()
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let check_districts = |codes: &[String], field: &str, errors: &mut FieldErrors| {
        if codes.iter().any(|c| !known.contains(c)) {
            errors.add(field, "Choose districts from the list");
        }
    };
    let mut target = AreaTarget {
        include: Vec::new(),
        exclude: Vec::new(),
    };
    if input.force_area.is_some() {
        target.include.push(Shape::ForceArea);
    }
    if !input.districts.is_empty() {
        check_districts(&input.districts, "districts", errors);
        target.include.push(Shape::Districts {
            codes: input.districts.clone(),
        });
    }
    if !input.circle_radius.trim().is_empty() || !input.circle_centre.trim().is_empty() {
        let grid = input.circle_grid.split_once(',').and_then(|(e, n)| {
            Some((e.trim().parse::<f64>().ok()?, n.trim().parse::<f64>().ok()?))
        });
        let centre = match grid {
            Some((e, n)) => match target::centre_name(&input.circle_centre) {
                Ok(name) => Some((e, n, name)),
                Err(problem) => {
                    errors.add("circle_centre", problem);
                    None
                }
            },
            None => centre(ctx, &input.circle_centre, "circle_centre", errors).await?,
        };
        let radius = radius(
            &input.circle_radius,
            &input.circle_unit,
            "circle_radius",
            errors,
        );
        if let (Some((e, n, label)), Some((r, unit))) = (centre, radius) {
            match target::circle(e, n, r, unit, &label) {
                Ok(shape) => target.include.push(shape),
                Err(problem) => errors.add("circle_radius", problem),
            }
        }
    }
    if input.polygon.trim().is_empty() && !input.polygon_grid.trim().is_empty() {
        match drawn_polygon(&input.polygon_grid) {
            Some(shape) => target.include.push(shape),
            None => errors.add(
                "polygon",
                "The drawn shape could not be read: draw it again",
            ),
        }
    } else if !input.polygon.trim().is_empty() {
        match target::polygon_from_geojson(&input.polygon) {
            Ok(shape) => target.include.push(shape),
            Err(problem) => errors.add("polygon", problem),
        }
    }
    if !input.exclude_districts.is_empty() {
        check_districts(&input.exclude_districts, "exclude_districts", errors);
        target.exclude.push(Shape::Districts {
            codes: input.exclude_districts.clone(),
        });
    }
    if !input.exclude_radius.trim().is_empty() || !input.exclude_centre.trim().is_empty() {
        let centre = centre(ctx, &input.exclude_centre, "exclude_centre", errors).await?;
        let radius = radius(
            &input.exclude_radius,
            &input.exclude_unit,
            "exclude_radius",
            errors,
        );
        if let (Some((e, n, label)), Some((r, unit))) = (centre, radius) {
            match target::circle(e, n, r, unit, &label) {
                Ok(shape) => target.exclude.push(shape),
                Err(problem) => errors.add("exclude_radius", problem),
            }
        }
    }
    if target.include.is_empty() {
        errors.add(
            "force_area",
            "Choose where the alert is for: the whole force area, districts, a circle or a shape",
        );
        return Ok(None);
    }
    Ok(Some(target))
}

/// A shape drawn on the map, as grid points: turned into GeoJSON so it passes the same checks
/// (closed, not crossing itself, in Great Britain) as a pasted one.
fn drawn_polygon(points: &str) -> Option<Shape> {
    target::polygon_from_geojson(&target::drawn_polygon_geojson(points)?).ok()
}

/// The audience index, rebuilt when residents have changed since it was built.
pub async fn audience_index(ctx: &AppContext) -> anyhow::Result<Arc<AudienceIndex>> {
    let marker = ctx
        .store
        .subscribers_marker()
        .await
        .context("reading whether residents have changed")?;
    {
        let cached = ctx.audience.read().await;
        if let Some((built_for, index)) = cached.as_ref() {
            if *built_for == marker {
                return Ok(index.clone());
            }
        }
    }
    let mut cached = ctx.audience.write().await;
    if let Some((built_for, index)) = cached.as_ref() {
        if *built_for == marker {
            return Ok(index.clone());
        }
    }
    let entries = ctx
        .store
        .audience_entries()
        .await
        .context("reading residents' places for the audience index")?;
    let index = tokio::task::spawn_blocking(move || AudienceIndex::build(entries))
        .await
        .context("building the audience index")?
        .map_err(|e| anyhow::anyhow!("building the audience index: {e}"))?;
    let index = Arc::new(index);
    *cached = Some((marker, index.clone()));
    Ok(index)
}

/// Whom a checked alert would reach, and the map of it.
pub struct Audience {
    pub preview: AudiencePreview,
    pub by_district: Vec<(String, u64)>,
    pub map_svg: String,
}

/// Counts whom `content` reaches, as `query` would ask (its target and who it is limited to).
async fn count(
    ctx: &AppContext,
    content: &AlertContent,
    map_squares: bool,
) -> anyhow::Result<AudiencePreview> {
    let index = audience_index(ctx).await?;
    let prepared = content.target.prepare();
    let members = super::schemes::member_filter(ctx, content.members).await?;
    Ok(index.preview(&AudienceQuery {
        target: &prepared,
        provider_id: content.provider_id,
        message_type_id: content.message_type_id,
        priority: content.priority.level(),
        map_squares,
        members: members.as_ref(),
    }))
}

/// How many residents `content` would reach now.
pub async fn reach(ctx: &AppContext, content: &AlertContent) -> anyhow::Result<u64> {
    Ok(count(ctx, content, false).await?.residents)
}

pub async fn audience(ctx: &AppContext, checked: &CheckedAlert) -> anyhow::Result<Audience> {
    let preview = count(ctx, &checked.content, true).await?;
    let districts = ctx.store.districts().await.context("reading districts")?;
    let by_district = preview
        .by_district
        .iter()
        .map(|(code, n)| {
            let name = districts
                .iter()
                .find(|d| &d.code == code)
                .and_then(|d| d.name.clone())
                .unwrap_or_else(|| code.clone());
            (name, *n)
        })
        .collect();
    let map_svg = crate::geo::map::preview_svg(&checked.content.target, &preview, 640);
    Ok(Audience {
        preview,
        by_district,
        map_svg,
    })
}

/// The map of an alert's area alone, its districts and towns: a sent alert's page shows where
/// it went, from its stored target (its audience was counted when it was sent).
pub fn area_map(target: &AreaTarget) -> String {
    crate::geo::map::area_svg(target, 640)
}

/// A target suggested from the places a body names.
pub struct Suggestion {
    pub places: Vec<String>,
    pub easting: f64,
    pub northing: f64,
    pub radius_km: f64,
}

impl Suggestion {
    /// What the suggested circle's centre is called: the places named, as many as fit in a
    /// centre's name, then how many more.
    pub fn centre_name(&self) -> String {
        let fits = |name: &String| name.chars().count() <= target::MAX_CENTRE_NAME_CHARS;
        let all = self.places.join(", ");
        if fits(&all) {
            return all;
        }
        (1..self.places.len())
            .rev()
            .map(|shown| {
                format!(
                    "{} and {} more",
                    self.places[..shown].join(", "),
                    self.places.len() - shown
                )
            })
            .find(fits)
            .unwrap_or_else(|| all.chars().take(target::MAX_CENTRE_NAME_CHARS).collect())
    }
}

impl Suggestion {
    /// Adds the suggested circle to what `form` already chooses, and says what changed: the
    /// whole force area, districts and a shape stay chosen; a form holds one circle, so one
    /// already there is replaced, and the words say so.
    pub fn add_to(&self, form: &mut AlertInput) -> String {
        let centre = self.centre_name();
        let circle = format!("within {} km of {centre}", self.radius_km);
        let previous = (!form.circle_centre.trim().is_empty()).then(|| {
            format!(
                "{} {} around {}",
                form.circle_radius.trim(),
                if form.circle_unit == "miles" {
                    "miles"
                } else {
                    "km"
                },
                form.circle_centre.trim()
            )
        });
        let kept = form.force_area.is_some()
            || !form.districts.is_empty()
            || !form.polygon.trim().is_empty()
            || !form.polygon_grid.trim().is_empty();
        form.circle_centre = centre;
        form.circle_grid = format!("{},{}", self.easting, self.northing);
        form.circle_radius = format!("{}", self.radius_km);
        form.circle_unit = "km".into();
        match (previous, kept) {
            (Some(previous), _) => format!(
                "The suggested circle ({circle}) replaces your circle ({previous}): the form holds \
                 one circle. Everything else you chose is kept."
            ),
            (None, true) => format!(
                "The suggested circle ({circle}) is added to the area you chose: nothing you \
                 chose is removed."
            ),
            (None, false) => format!("The area is now the suggested circle ({circle})."),
        }
    }
}

pub fn suggest_target(body: &str) -> Option<Suggestion> {
    suggest_target_with(body, Vec::new())
}

/// A target around the places a body names and the `extra` named points (easting, northing),
/// such as postcodes found in it.
pub fn suggest_target_with(body: &str, extra: Vec<(String, (f64, f64))>) -> Option<Suggestion> {
    let found = places::detect(body, FORCE_CENTRE, DETECTION_RADIUS_M);
    let named: Vec<(String, (f64, f64))> = found
        .iter()
        .map(|p| (p.name.clone(), (p.easting, p.northing)))
        .chain(extra)
        .collect();
    let points: Vec<(f64, f64)> = named.iter().map(|(_, point)| *point).collect();
    let (e, n, r) = places::covering_circle(&points, SUGGESTION_MARGIN_M)?;
    Some(Suggestion {
        places: named.into_iter().map(|(name, _)| name).collect(),
        easting: e.round(),
        northing: n.round(),
        radius_km: (r / 100.0).ceil() / 10.0,
    })
}

/// Refuses, audited, a composed alert for an organisation `staff` may not write for.
async fn may_compose_for(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    checked: &CheckedAlert,
) -> Result<(), ComposeError> {
    if may_write_for(staff, checked.content.provider_id) {
        return Ok(());
    }
    let reason = NotPermitted::WritingForAnother;
    audit(
        ctx,
        actor,
        "compose",
        &checked.content.title,
        &reason.to_string(),
        true,
    )
    .await?;
    Err(ComposeError::NotPermitted(reason))
}

/// Checks a composed alert and counts whom it would reach, for someone who may write for its
/// organisation (a sender of it, or an admin): the audience of another organisation's alert is
/// not theirs to see.
pub async fn preview(
    ctx: &AppContext,
    actor: &Actor<'_>,
    input: &AlertInput,
) -> Result<(CheckedAlert, Audience), ComposeError> {
    let staff = actor
        .staff
        .context("previewing needs a signed-in member of staff")?;
    let checked = check(ctx, input).await?;
    may_compose_for(ctx, actor, staff, &checked).await?;
    let audience = audience(ctx, &checked).await?;
    Ok((checked, audience))
}

/// Stores a draft. A sender writes only for their own organisation; an admin for any.
pub async fn save_draft(
    ctx: &AppContext,
    actor: &Actor<'_>,
    input: &AlertInput,
) -> Result<i64, ComposeError> {
    let staff = actor
        .staff
        .context("composing needs a signed-in member of staff")?;
    let checked = check(ctx, input).await?;
    may_compose_for(ctx, actor, staff, &checked).await?;
    if let Some(original) = input.follows {
        let follows = ctx
            .store
            .alert(original)
            .await
            .context("reading the alert followed up")?;
        let valid = follows.is_some_and(|a| {
            a.status == AlertStatus::Queued && a.content.provider_id == checked.content.provider_id
        });
        if !valid || !matches!(input.follow_up.as_str(), "update" | "cancel") {
            let mut errors = FieldErrors::default();
            errors.add(
                "title",
                "A follow-up must refer to a sent alert of the same organisation",
            );
            return Err(ComposeError::Invalid(errors));
        }
    }
    if let Some(survey) = input.survey {
        if let Err(problem) =
            super::surveys::may_carry(ctx, checked.content.provider_id, survey).await?
        {
            let mut errors = FieldErrors::default();
            errors.add("title", problem);
            return Err(ComposeError::Invalid(errors));
        }
    }
    let new = NewAlert {
        content: checked.content,
        author_staff_id: Some(staff.id),
        api_token_id: None,
        signoff: SignOff {
            name: staff.name.clone(),
            organisation: staff.provider_name.clone(),
            role: staff.role_title.clone(),
            area: staff.area_label.clone(),
        },
        needs_approval: staff.permissions.needs_approval,
        follows_alert_id: input.follows,
        follow_up: input.follows.map(|_| input.follow_up.clone()),
        now: chrono::Utc::now().timestamp(),
    };
    let id = ctx
        .store
        .insert_alert(&new)
        .await
        .context("storing a draft")?;
    if let Some(survey) = input.survey {
        super::surveys::attach(ctx, id, survey).await?;
    }
    audit(
        ctx,
        actor,
        "compose",
        &format!("alert {id}"),
        &new.content.title,
        false,
    )
    .await?;
    Ok(id)
}

/// The states in which an alert's content may still change: editing one waiting for approval
/// makes it a draft again.
pub const EDITABLE: [AlertStatus; 2] = [AlertStatus::Draft, AlertStatus::AwaitingApproval];

/// Whether `staff` may edit or duplicate `alert`: a sender of its organisation, or an admin.
pub fn may_edit(staff: &StaffMember, alert: &Alert) -> Result<(), NotPermitted> {
    if may_write_for(staff, alert.content.provider_id) {
        Ok(())
    } else {
        Err(NotPermitted::NotSender)
    }
}

/// Alert `id`, if `actor` may edit it (`may_edit`, refusals audited as `action`) and it is
/// still editable; `None` when there is no such alert to see.
pub async fn alert_to_edit(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    action: &str,
) -> Result<Option<Alert>, AlertActionError> {
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    let Some(alert) = visible_alert(ctx, actor, id).await? else {
        return Ok(None);
    };
    if let Err(reason) = may_edit(staff, &alert) {
        let subject = format!("alert {id}");
        audit(ctx, actor, action, &subject, &reason.to_string(), true).await?;
        return Err(AlertActionError::NotPermitted(reason));
    }
    if action == "edit" && !EDITABLE.contains(&alert.status) {
        return Err(AlertActionError::NotEditable);
    }
    Ok(Some(alert))
}

/// Saves a sender's changes to a draft, or to an alert waiting for approval, which becomes a
/// draft again (to be asked for approval again). Checked as a new alert is; audited.
pub async fn save_edit(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    input: &AlertInput,
) -> Result<(), ComposeError> {
    let staff = actor
        .staff
        .context("editing needs a signed-in member of staff")?;
    let refused = |error: AlertActionError| match error {
        AlertActionError::NotPermitted(reason) => ComposeError::NotPermitted(reason),
        AlertActionError::Unexpected(error) => ComposeError::Unexpected(error),
        other => {
            let mut errors = FieldErrors::default();
            errors.add("title", other.to_string());
            ComposeError::Invalid(errors)
        }
    };
    let alert = match alert_to_edit(ctx, actor, id, "edit").await {
        Ok(Some(alert)) => alert,
        Ok(None) => return Err(refused(AlertActionError::NotEditable)),
        Err(error) => return Err(refused(error)),
    };
    let checked = check(ctx, input).await?;
    may_compose_for(ctx, actor, staff, &checked).await?;
    // The survey it carries must still be one it may carry (the same organisation's, open).
    if let Some(survey) = alert.survey_id {
        if let Err(problem) =
            super::surveys::may_carry(ctx, checked.content.provider_id, survey).await?
        {
            let mut errors = FieldErrors::default();
            errors.add("title", problem);
            return Err(ComposeError::Invalid(errors));
        }
    }
    let edit = AlertEdit {
        content: checked.content,
        // Whoever wrote or edited it needing approval, it needs approval.
        needs_approval: alert.needs_approval || staff.permissions.needs_approval,
    };
    let now = chrono::Utc::now().timestamp();
    let edited = ctx
        .store
        .edit_alert(id, &EDITABLE, &edit, now)
        .await
        .with_context(|| format!("saving changes to alert {id}"))?;
    if !edited {
        return Err(refused(AlertActionError::NotEditable));
    }
    let detail = match alert.status {
        AlertStatus::AwaitingApproval => format!("{} (a draft again)", edit.content.title),
        _ => edit.content.title.clone(),
    };
    audit(ctx, actor, "edit", &format!("alert {id}"), &detail, false).await?;
    Ok(())
}

/// A new draft with `alert`'s content (any alert, sent or not), written by `actor` and signed
/// off as them; the copy's id. Audited.
pub async fn duplicate(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<Option<i64>, AlertActionError> {
    let staff = actor
        .staff
        .context("duplicating needs a signed-in member of staff")?;
    let Some(alert) = alert_to_edit(ctx, actor, id, "duplicate").await? else {
        return Ok(None);
    };
    // The copy carries the survey while it may (the survey not closed).
    let survey = match alert.survey_id {
        Some(survey)
            if super::surveys::may_carry(ctx, alert.content.provider_id, survey)
                .await?
                .is_ok() =>
        {
            Some(survey)
        }
        _ => None,
    };
    let new = NewAlert {
        content: alert.content,
        author_staff_id: Some(staff.id),
        api_token_id: None,
        signoff: SignOff {
            name: staff.name.clone(),
            organisation: staff.provider_name.clone(),
            role: staff.role_title.clone(),
            area: staff.area_label.clone(),
        },
        needs_approval: staff.permissions.needs_approval,
        follows_alert_id: None,
        follow_up: None,
        now: chrono::Utc::now().timestamp(),
    };
    let copy = ctx
        .store
        .insert_alert(&new)
        .await
        .with_context(|| format!("storing a copy of alert {id}"))?;
    if let Some(survey) = survey {
        super::surveys::attach(ctx, copy, survey).await?;
    }
    let subject = format!("alert {copy}");
    audit(
        ctx,
        actor,
        "duplicate",
        &subject,
        &format!("a copy of alert {id}"),
        false,
    )
    .await?;
    Ok(Some(copy))
}

/// The alert, if `staff` may see it: their organisation's, or any for an admin.
pub async fn visible_alert(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<Option<Alert>, AlertActionError> {
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    let Some(alert) = ctx.store.alert(id).await.context("reading an alert")? else {
        return Ok(None);
    };
    if staff.permissions.admin || staff.provider_id == alert.content.provider_id {
        Ok(Some(alert))
    } else {
        let reason = NotPermitted::AnotherOrganisation;
        audit(
            ctx,
            actor,
            "view-alert",
            &format!("alert {id}"),
            &reason.to_string(),
            true,
        )
        .await?;
        Err(AlertActionError::NotPermitted(reason))
    }
}

/// The workflow's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    /// Draft → waiting for approval, or ready when none is needed.
    Submit,
    Approve,
    SendNow,
    Schedule(i64),
    Cancel,
    /// A copy to the member of staff themselves, marked as a test; the alert stays as it is.
    TestSend,
}

impl AlertAction {
    fn name(self) -> &'static str {
        match self {
            AlertAction::Submit => "submit",
            AlertAction::Approve => "approve",
            AlertAction::SendNow => "send",
            AlertAction::Schedule(_) => "schedule",
            AlertAction::Cancel => "cancel",
            AlertAction::TestSend => "test-send",
        }
    }
}

/// Why `staff` may not take an action on an alert, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotPermitted {
    #[error("senders may not approve their own alerts")]
    OwnAlert,
    #[error("approving needs the approver permission for this organisation")]
    NotApprover,
    #[error("this needs the sender permission for this organisation")]
    NotSender,
    #[error("another organisation's alert")]
    AnotherOrganisation,
    #[error("writing as another organisation")]
    WritingForAnother,
}

/// Whether `staff` may take `action` on `alert`; the reason when not.
pub fn permission(
    staff: &StaffMember,
    alert: &Alert,
    action: AlertAction,
) -> Result<(), NotPermitted> {
    let own_org = staff.provider_id == alert.content.provider_id;
    let admin = staff.permissions.admin;
    match action {
        AlertAction::Approve => {
            if alert.author_staff_id == Some(staff.id) {
                Err(NotPermitted::OwnAlert)
            } else if admin || (staff.permissions.approve && own_org) {
                Ok(())
            } else {
                Err(NotPermitted::NotApprover)
            }
        }
        AlertAction::Submit
        | AlertAction::SendNow
        | AlertAction::Schedule(_)
        | AlertAction::Cancel => {
            if admin || (own_org && (staff.permissions.send || staff.permissions.approve)) {
                Ok(())
            } else {
                Err(NotPermitted::NotSender)
            }
        }
        // A test is an alert sent, if only to oneself: the sender permission, not approval.
        AlertAction::TestSend => {
            if admin || (own_org && staff.permissions.send) {
                Ok(())
            } else {
                Err(NotPermitted::NotSender)
            }
        }
    }
}

/// Takes a workflow action (or sends a test), checking permission and state; refusals are
/// audited.
pub async fn act(
    ctx: &AppContext,
    actor: &Actor<'_>,
    alert: &Alert,
    action: AlertAction,
) -> Result<AlertStatus, AlertActionError> {
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    let subject = format!("alert {}", alert.id);
    if let Err(reason) = permission(staff, alert, action) {
        audit(
            ctx,
            actor,
            action.name(),
            &subject,
            &reason.to_string(),
            true,
        )
        .await?;
        return Err(AlertActionError::NotPermitted(reason));
    }
    let now = chrono::Utc::now().timestamp();
    let (from, to, change): (&[AlertStatus], AlertStatus, AlertTransition) = match action {
        AlertAction::TestSend => {
            send_test(ctx, actor, staff, alert).await?;
            return Ok(alert.status);
        }
        AlertAction::Submit if alert.needs_approval => (
            &[AlertStatus::Draft],
            AlertStatus::AwaitingApproval,
            AlertTransition::default(),
        ),
        AlertAction::Submit => (
            &[AlertStatus::Draft],
            AlertStatus::Ready,
            AlertTransition::default(),
        ),
        AlertAction::Approve => (
            &[AlertStatus::AwaitingApproval],
            AlertStatus::Ready,
            AlertTransition {
                approver_staff_id: Some(staff.id),
                ..AlertTransition::default()
            },
        ),
        AlertAction::SendNow => (
            &[AlertStatus::Ready, AlertStatus::Scheduled],
            AlertStatus::Queued,
            AlertTransition::default(),
        ),
        AlertAction::Schedule(at) => {
            if at <= now || at > now + MAX_SCHEDULE_DAYS * 86_400 {
                return Err(AlertActionError::ScheduleOutOfRange);
            }
            (
                &[AlertStatus::Ready],
                AlertStatus::Scheduled,
                AlertTransition {
                    scheduled_for: Some(at),
                    ..AlertTransition::default()
                },
            )
        }
        AlertAction::Cancel => (
            &[
                AlertStatus::Draft,
                AlertStatus::AwaitingApproval,
                AlertStatus::Ready,
                AlertStatus::Scheduled,
            ],
            AlertStatus::Cancelled,
            AlertTransition::default(),
        ),
    };
    if !ctx
        .store
        .transition_alert(alert.id, from, to, &change, now)
        .await
        .with_context(|| format!("moving alert {} on to {to:?}", alert.id))?
    {
        audit(
            ctx,
            actor,
            action.name(),
            &subject,
            &format!("not possible while {}", status_in_words(alert.status)),
            true,
        )
        .await?;
        return Err(AlertActionError::StatusChanged);
    }
    let detail = match action {
        AlertAction::Schedule(at) => chrono::DateTime::from_timestamp(at, 0)
            .map(|t| format!("for {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default(),
        _ => status_in_words(to).to_owned(),
    };
    audit(ctx, actor, action.name(), &subject, &detail, false).await?;
    if to == AlertStatus::AwaitingApproval {
        super::approval_mail::tell_approvers(ctx, alert, staff)
            .await
            .with_context(|| format!("telling approvers that alert {} waits", alert.id))?;
    }
    if to == AlertStatus::Queued {
        ctx.archive_edits.record();
        ctx.fanout_wakeup.notify_one();
    }
    Ok(to)
}

/// Sends the alert to the member of staff themselves, as residents would see it, marked as a
/// test (`AlertAction::TestSend`, permitted by `act`). Nothing reaches any resident.
async fn send_test(
    ctx: &AppContext,
    actor: &Actor<'_>,
    staff: &StaffMember,
    alert: &Alert,
) -> Result<(), AlertActionError> {
    let message =
        super::messages::alert_test_email(ctx, alert, staff).context("writing a test email")?;
    ctx.store
        .enqueue_outbound(&message, chrono::Utc::now().timestamp())
        .await
        .context("queueing a test email")?;
    ctx.outbound_wakeup.notify_one();
    audit(
        ctx,
        actor,
        "test-send",
        &format!("alert {}", alert.id),
        "to themselves",
        false,
    )
    .await?;
    Ok(())
}

/// Where an alert is in its workflow, in the words senders see (on their pages and in the audit
/// log).
pub fn status_in_words(status: AlertStatus) -> &'static str {
    match status {
        AlertStatus::Draft => "Draft",
        AlertStatus::AwaitingApproval => "Waiting for approval",
        AlertStatus::Ready => "Ready to send",
        AlertStatus::Scheduled => "Scheduled",
        AlertStatus::Queued => "Sent",
        AlertStatus::Cancelled => "Cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::Suggestion;
    use crate::geo::target::{self, MAX_CENTRE_NAME_CHARS};

    #[test]
    fn a_suggested_centre_is_named_within_the_limit_however_many_places() {
        let suggestion = |places: Vec<String>| Suggestion {
            places,
            easting: 540_000.0,
            northing: 250_000.0,
            radius_km: 5.0,
        };
        let two = suggestion(vec!["Meldreth".into(), "Melbourn".into()]);
        assert_eq!(two.centre_name(), "Meldreth, Melbourn");
        let many = suggestion((1..=30).map(|i| format!("Little Village {i}")).collect());
        let name = many.centre_name();
        assert!(name.chars().count() <= MAX_CENTRE_NAME_CHARS, "{name}");
        assert!(
            name.starts_with("Little Village 1, Little Village 2"),
            "{name}"
        );
        assert!(name.ends_with(" more"), "{name}");
        assert_eq!(target::centre_name(&name).unwrap(), name);
    }
}

//! Neighbourhood Watch schemes' use cases for the public and for staff: proposing a scheme,
//! staff verifying it and appointing its coordinators, closing and reopening it, the public
//! directory, residents asking to join and leaving, their memberships in their data, and police
//! writing to the coordinators of a district. Coordinators' own work is in
//! `services::scheme_coordinators`. Every permission is checked here and refusals are audited.

use super::approval_mail::{queue, staff_email};
use super::staff::{audit, Actor, StaffAdminError};
use super::AppContext;
use crate::domain::scheme::{
    self as rules, read_postcodes, Members, MembershipStatus, SchemeStatus, Standing,
};
use crate::domain::staff::StaffInput;
use crate::domain::subscriber::FieldErrors;
use crate::domain::EmailAddress;
use crate::geo::audience::MemberFilter;
use crate::geo::scheme_area::{polygon_area, SchemeArea};
use crate::geo::target::{AreaTarget, Shape};
use crate::store::{
    JoinRequest, Joined, Membership, NewScheme, Scheme, StaffMember, Subscriber, SubscriberStatus,
};
use anyhow::Context;
use askama::Template;
use std::collections::HashMap;

/// The organisation a scheme's messages are from, and its coordinators' accounts belong to.
pub const PROVIDER_SLUG: &str = "neighbourhood-watch";
/// The kind of message a coordinator's message is.
pub const MESSAGE_TYPE_SLUG: &str = "community-news";

/// Why something asked of a scheme was refused.
#[derive(Debug, thiserror::Error)]
pub enum SchemeError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error("You may not do that: {0}")]
    NotPermitted(&'static str),
    /// No such scheme, or not one this person may see.
    #[error("There is no such scheme")]
    NotFound,
    /// The scheme or the request changed meanwhile.
    #[error("{0}")]
    Changed(&'static str),
    /// Too many of these from one address lately: nothing was done.
    #[error("Too many at once: try again later")]
    TooMany,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for SchemeError {
    fn from(error: crate::store::StoreError) -> Self {
        SchemeError::Unexpected(error.into())
    }
}

impl SchemeError {
    pub(crate) fn invalid(field: &str, message: impl ToString) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        SchemeError::Invalid(errors)
    }
}

/// A proposal for a new scheme, as typed on `/schemes/propose`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProposalInput {
    pub name: String,
    /// Postcodes of the streets it covers, separated by commas or lines.
    pub postcodes: String,
    /// Or a polygon, as GeoJSON.
    pub polygon: String,
    /// Or a polygon drawn on the proposal page's map: grid points "E,N;E,N;…".
    pub polygon_grid: String,
    pub description: String,
    pub proposer_name: String,
    pub proposer_email: String,
}

/// Checks a proposal: every problem at once.
pub async fn check(ctx: &AppContext, input: &ProposalInput) -> Result<NewScheme, SchemeError> {
    let mut errors = FieldErrors::default();
    let name = rules::one_line(
        &mut errors,
        "name",
        "the scheme's name",
        &input.name,
        true,
        rules::MAX_NAME_CHARS,
    );
    let description = rules::text(
        &mut errors,
        "description",
        "a description",
        &input.description,
        false,
    );
    let proposer_name = rules::one_line(
        &mut errors,
        "proposer_name",
        "your name",
        &input.proposer_name,
        true,
        rules::MAX_MEMBER_FIELD_CHARS,
    );
    let proposer_email = match EmailAddress::parse(input.proposer_email.trim()) {
        Ok(email) => Some(email),
        Err(problem) => {
            errors.add("proposer_email", problem);
            None
        }
    };
    let area = area(ctx, input, &mut errors).await?;
    match (name, description, proposer_name, proposer_email, area) {
        (
            Some(name),
            Some(description),
            Some(proposer_name),
            Some(email),
            Some((area, district)),
        ) if errors.is_empty() => Ok(NewScheme {
            name,
            district_code: district,
            area,
            description,
            status: SchemeStatus::Proposed,
            standing: Standing::SelfDeclared,
            standing_by: None,
            proposer_name,
            proposer_email: email.as_str().to_owned(),
        }),
        _ => Err(SchemeError::Invalid(errors)),
    }
}

/// The area a proposal gives, and the district it lies in (where most of its postcodes are,
/// or where the middle of its shape is): postcodes, or a shape, not both.
async fn area(
    ctx: &AppContext,
    input: &ProposalInput,
    errors: &mut FieldErrors,
) -> Result<Option<(SchemeArea, String)>, SchemeError> {
    let shape_given = !input.polygon.trim().is_empty() || !input.polygon_grid.trim().is_empty();
    let postcodes_given = !input.postcodes.trim().is_empty();
    if shape_given && postcodes_given {
        errors.add(
            "postcodes",
            "Give the area as postcodes or as a shape on the map, not both",
        );
        return Ok(None);
    }
    if postcodes_given {
        return postcode_area(ctx, &input.postcodes, errors).await;
    }
    if !shape_given {
        errors.add(
            "postcodes",
            "Give the scheme's area: the postcodes of its streets, or a shape drawn on the map",
        );
        return Ok(None);
    }
    let geojson = if input.polygon.trim().is_empty() {
        match crate::geo::target::drawn_polygon_geojson(&input.polygon_grid) {
            Some(geojson) => geojson,
            None => {
                errors.add(
                    "polygon",
                    "The drawn shape could not be read: draw it again",
                );
                return Ok(None);
            }
        }
    } else {
        input.polygon.clone()
    };
    let area = match polygon_area(&geojson) {
        Ok(area) => area,
        Err(problem) => {
            errors.add("polygon", problem);
            return Ok(None);
        }
    };
    let SchemeArea::Polygon { rings } = &area else {
        return Ok(None);
    };
    let outline = &rings[0];
    let corners = outline.len().saturating_sub(1).max(1) as f64;
    let (e, n) = outline[..outline.len().saturating_sub(1).max(1)]
        .iter()
        .fold((0.0, 0.0), |(e, n), p| (e + p[0], n + p[1]));
    let (e, n) = (e / corners, n / corners);
    match crate::geo::outlines::bundled()
        .districts
        .iter()
        .find(|d| d.contains(e, n))
    {
        Some(district) => Ok(Some((area, district.code.clone()))),
        None => {
            errors.add(
                "polygon",
                format!(
                    "The shape is outside the area {} covers: draw it where the scheme is",
                    ctx.settings.branding.force_name
                ),
            );
            Ok(None)
        }
    }
}

async fn postcode_area(
    ctx: &AppContext,
    text: &str,
    errors: &mut FieldErrors,
) -> Result<Option<(SchemeArea, String)>, SchemeError> {
    let (postcodes, unreadable) = read_postcodes(text);
    if !unreadable.is_empty() {
        errors.add(
            "postcodes",
            format!(
                "These are not postcodes: {}. Give whole postcodes, like CB23 6AB, separated by \
                 commas or on lines of their own",
                unreadable.join("; ")
            ),
        );
        return Ok(None);
    }
    if postcodes.len() > rules::MAX_POSTCODES {
        errors.add(
            "postcodes",
            format!(
                "A scheme may list at most {} postcodes: draw a larger area on the map instead",
                rules::MAX_POSTCODES
            ),
        );
        return Ok(None);
    }
    let mut unknown = Vec::new();
    let mut districts: HashMap<String, usize> = HashMap::new();
    let mut points = Vec::new();
    for postcode in &postcodes {
        match super::postcodes::locate(&*ctx.store, postcode).await {
            Ok(found) => {
                if let Some(district) = found.district_code {
                    *districts.entry(district).or_default() += 1;
                }
                if let (Some(e), Some(n)) = (found.easting, found.northing) {
                    points.push((f64::from(e), f64::from(n)));
                }
            }
            Err(super::postcodes::LookupError::Unexpected(error)) => return Err(error.into()),
            Err(_) => unknown.push(postcode.to_string()),
        }
    }
    if !unknown.is_empty() {
        errors.add(
            "postcodes",
            format!(
                "We cannot find {} in the area {} covers: check {}",
                if unknown.len() == 1 {
                    "this postcode"
                } else {
                    "these postcodes"
                },
                ctx.settings.branding.force_name,
                unknown.join(", ")
            ),
        );
        return Ok(None);
    }
    let Some(district) = districts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(code, _)| code)
    else {
        errors.add("postcodes", "Give at least one postcode");
        return Ok(None);
    };
    let centre = (!points.is_empty()).then(|| {
        let count = points.len() as f64;
        let (e, n) = points
            .iter()
            .fold((0.0, 0.0), |(e, n), p| (e + p.0, n + p.1));
        [(e / count).round(), (n / count).round()]
    });
    Ok(Some((
        SchemeArea::Postcodes {
            postcodes: postcodes.iter().map(ToString::to_string).collect(),
            centre,
        },
        district,
    )))
}

/// Stores a checked proposal (`check`) from anyone, waiting for staff to verify it; audited
/// with who proposed it.
pub async fn propose(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme: &NewScheme,
) -> Result<i64, SchemeError> {
    let id = ctx
        .store
        .insert_scheme(scheme, chrono::Utc::now().timestamp())
        .await
        .context("storing a proposed scheme")?;
    audit(
        ctx,
        actor,
        "propose-scheme",
        &format!("scheme {id}"),
        &scheme.name,
        false,
    )
    .await?;
    Ok(id)
}

/// Whether this message may go now: false when the same words went to the same people in the
/// last two minutes (a double click, or two presses at once), so that nobody gets it twice.
pub(crate) fn first_time(ctx: &AppContext, to: &str, words: &[&str]) -> bool {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    words.hash(&mut hasher);
    ctx.repeat_guard
        .allow(&format!("scheme-message:{to}:{:x}", hasher.finish()), 1)
}

/// Whether `staff` may look after schemes for the force (verify, appoint coordinators, close,
/// write to coordinators): a sender of the force, or an admin; never a coordinator as such.
fn may_manage(staff: &StaffMember) -> bool {
    staff.permissions.admin || staff.permissions.send
}

/// Refuses, audited, a member of staff who may not look after schemes.
async fn managing(
    ctx: &AppContext,
    actor: &Actor<'_>,
    action: &str,
    subject: &str,
) -> Result<(), SchemeError> {
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    if may_manage(staff) {
        return Ok(());
    }
    audit(ctx, actor, action, subject, "not a sender", true).await?;
    Err(SchemeError::NotPermitted(
        "looking after schemes needs the send permission",
    ))
}

/// Every scheme, for staff: proposals first.
pub async fn for_staff(ctx: &AppContext, actor: &Actor<'_>) -> Result<Vec<Scheme>, SchemeError> {
    managing(ctx, actor, "view-schemes", "schemes").await?;
    let mut schemes = ctx.store.list_schemes(None).await?;
    schemes.sort_by_key(|s| match s.status {
        SchemeStatus::Proposed => 0,
        SchemeStatus::Open => 1,
        SchemeStatus::Closed => 2,
    });
    Ok(schemes)
}

/// A scheme with its coordinators, for staff.
pub struct StaffScheme {
    pub scheme: Scheme,
    pub coordinators: Vec<crate::store::Coordinator>,
}

pub async fn staff_scheme(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
) -> Result<StaffScheme, SchemeError> {
    managing(ctx, actor, "view-scheme", &format!("scheme {id}")).await?;
    let scheme = ctx.store.scheme(id).await?.ok_or(SchemeError::NotFound)?;
    let coordinators = ctx.store.scheme_coordinators(id).await?;
    Ok(StaffScheme {
        scheme,
        coordinators,
    })
}

/// Staff set a scheme's standing; a proposed scheme verified by the police or a volunteer
/// opens, and its proposer is made its main coordinator (an account is made for them, and
/// they are emailed the link to set up their sign-in).
pub async fn verify(
    ctx: &AppContext,
    actor: &Actor<'_>,
    id: i64,
    standing: &str,
) -> Result<(), SchemeError> {
    let subject = format!("scheme {id}");
    managing(ctx, actor, "verify-scheme", &subject).await?;
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    let standing = Standing::parse(standing)
        .ok_or_else(|| SchemeError::invalid("standing", "Choose the scheme's standing"))?;
    let scheme = ctx.store.scheme(id).await?.ok_or(SchemeError::NotFound)?;
    let opens = scheme.status == SchemeStatus::Proposed && standing != Standing::SelfDeclared;
    let proposer = AppointInput {
        name: scheme.proposer_name.clone(),
        email: scheme.proposer_email.clone(),
        main: true,
    };
    if opens {
        // Checked before anything is saved: the proposer's address must be able to coordinate.
        may_appoint(ctx, &proposer.email).await?;
    }
    let now = chrono::Utc::now().timestamp();
    let by = format!("{}, {}", staff.name, staff.provider_name);
    ctx.store
        .set_scheme_standing(id, standing, &by, now)
        .await?;
    audit(
        ctx,
        actor,
        "verify-scheme",
        &subject,
        standing.words(),
        false,
    )
    .await?;
    // Of two verifications at once, only the one that opens the scheme appoints its proposer.
    if opens
        && ctx
            .store
            .set_scheme_status(id, &[SchemeStatus::Proposed], SchemeStatus::Open, now)
            .await?
    {
        audit(ctx, actor, "open-scheme", &subject, &scheme.name, false).await?;
        if ctx.store.scheme_coordinators(id).await?.is_empty() {
            appoint(ctx, actor, id, &proposer).await?;
        }
    }
    Ok(())
}

/// The coordinator account an address already has (`None` when it has none), or the refusal
/// when it belongs to a member of the force's staff: coordinators have their own accounts.
async fn may_appoint(ctx: &AppContext, email: &str) -> Result<Option<StaffMember>, SchemeError> {
    let email = EmailAddress::parse(email.trim())
        .map_err(|problem| SchemeError::invalid("email", problem))?;
    match ctx.store.staff_by_email_key(&email.key()).await? {
        Some(existing) if existing.permissions.only_coordinates() => Ok(Some(existing)),
        Some(_) => Err(SchemeError::invalid(
            "email",
            "This address belongs to a member of staff: coordinators have their own accounts, \
             so give the coordinator's own address",
        )),
        None => Ok(None),
    }
}

/// A coordinator staff appoint.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AppointInput {
    pub name: String,
    pub email: String,
    #[serde(deserialize_with = "crate::domain::ticked")]
    pub main: bool,
}

#[derive(Template)]
#[template(path = "email/scheme_coordinator.txt", escape = "none")]
struct Appointed<'a> {
    name: &'a str,
    scheme: &'a str,
    role: &'a str,
    link: Option<&'a str>,
    sign_in: &'a str,
}

/// Makes someone a coordinator of a scheme: their coordinator account if they have one, or a
/// new one (coordinate permission only, of the Neighbourhood Watch organisation), and emails
/// them, with the link to set up their two-step sign-in when the account is new. An address
/// that belongs to a member of the force's staff is refused: coordinators are volunteers.
pub async fn appoint(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
    input: &AppointInput,
) -> Result<(), SchemeError> {
    let subject = format!("scheme {scheme_id}");
    managing(ctx, actor, "appoint-coordinator", &subject).await?;
    let scheme = ctx
        .store
        .scheme(scheme_id)
        .await?
        .ok_or(SchemeError::NotFound)?;
    let (coordinator, link) = match may_appoint(ctx, &input.email).await? {
        Some(existing) => (existing, None),
        None => {
            let made = super::staff::add_account(
                ctx,
                actor,
                &StaffInput {
                    email: input.email.trim().to_owned(),
                    name: input.name.clone(),
                    role_title: "Neighbourhood Watch coordinator".into(),
                    area_label: scheme.name.chars().take(100).collect(),
                    provider: PROVIDER_SLUG.into(),
                    coordinate: true,
                    ..StaffInput::default()
                },
            )
            .await;
            match made {
                Ok((staff, link)) => (staff, Some(link)),
                Err(StaffAdminError::Invalid(errors)) => return Err(SchemeError::Invalid(errors)),
                Err(StaffAdminError::NotAdmin) => {
                    return Err(SchemeError::NotPermitted("it needs another permission"))
                }
                Err(StaffAdminError::Unexpected(error)) => return Err(error.into()),
            }
        }
    };
    let now = chrono::Utc::now().timestamp();
    ctx.store
        .add_coordinator(scheme_id, coordinator.id, input.main, now)
        .await?;
    let role = if input.main {
        "main coordinator"
    } else {
        "deputy coordinator"
    };
    audit(
        ctx,
        actor,
        "appoint-coordinator",
        &subject,
        &format!("{} as {role}", coordinator.name),
        false,
    )
    .await?;
    let sign_in = ctx.link("/staff/sign-in");
    let text = Appointed {
        name: &coordinator.name,
        scheme: &scheme.name,
        role,
        link: link.as_deref(),
        sign_in: &sign_in,
    }
    .render()
    .context("writing a coordinator's appointment email")?;
    let subject = format!("You are a {role} of {}", scheme.name);
    let message = staff_email(ctx, &coordinator, subject, text, "scheme-coordinator")?;
    queue(ctx, vec![message]).await?;
    Ok(())
}

/// Takes a coordinator off a scheme. The scheme keeps its members; a deputy becomes main when
/// the main coordinator leaves, and a scheme with no coordinator left waits for staff to
/// appoint one (its members are kept and still hear from the police).
pub async fn remove_coordinator(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
    staff_public_id: &str,
) -> Result<(), SchemeError> {
    let subject = format!("scheme {scheme_id}");
    managing(ctx, actor, "remove-coordinator", &subject).await?;
    let coordinators = ctx.store.scheme_coordinators(scheme_id).await?;
    let Some(leaving) = coordinators.iter().find(|c| c.public_id == staff_public_id) else {
        return Err(SchemeError::NotFound);
    };
    ctx.store
        .remove_coordinator(scheme_id, leaving.staff_id)
        .await?;
    audit(
        ctx,
        actor,
        "remove-coordinator",
        &subject,
        &leaving.name,
        false,
    )
    .await?;
    Ok(())
}

/// Closes an open (or proposed) scheme, or reopens a closed one. Closing keeps every
/// membership: reopening brings the scheme back with its members.
pub async fn set_open(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
    open: bool,
) -> Result<(), SchemeError> {
    let subject = format!("scheme {scheme_id}");
    let action = if open {
        "reopen-scheme"
    } else {
        "close-scheme"
    };
    managing(ctx, actor, action, &subject).await?;
    if open {
        // Closing a proposal is how staff turn it down: nobody verified it, so it stays closed.
        let scheme = ctx
            .store
            .scheme(scheme_id)
            .await?
            .ok_or(SchemeError::NotFound)?;
        if scheme.standing == Standing::SelfDeclared {
            return Err(SchemeError::Changed(
                "Nobody has verified this scheme, so it cannot be reopened: set its standing to \
                 verified first",
            ));
        }
    }
    let (from, to): (&[SchemeStatus], SchemeStatus) = if open {
        (&[SchemeStatus::Closed], SchemeStatus::Open)
    } else {
        (
            &[SchemeStatus::Open, SchemeStatus::Proposed],
            SchemeStatus::Closed,
        )
    };
    let now = chrono::Utc::now().timestamp();
    if !ctx
        .store
        .set_scheme_status(scheme_id, from, to, now)
        .await?
    {
        return Err(SchemeError::Changed(
            "The scheme has changed meanwhile: reload the page",
        ));
    }
    audit(ctx, actor, action, &subject, to.words(), false).await?;
    Ok(())
}

/// The districts this install knows, for the form writing to a district's coordinators.
pub async fn districts(ctx: &AppContext) -> anyhow::Result<Vec<crate::geo::District>> {
    Ok(ctx.store.districts().await?)
}

/// The open schemes, by district, for the public directory.
pub async fn directory(ctx: &AppContext) -> anyhow::Result<Vec<Scheme>> {
    Ok(ctx.store.list_schemes(Some(SchemeStatus::Open)).await?)
}

/// An open scheme, for its public page.
pub async fn public_scheme(ctx: &AppContext, id: i64) -> Result<Scheme, SchemeError> {
    match ctx.store.scheme(id).await? {
        Some(scheme) if scheme.status == SchemeStatus::Open => Ok(scheme),
        _ => Err(SchemeError::NotFound),
    }
}

/// The map of schemes: the districts that have one, each scheme's shape (or a small circle at
/// its postcodes' middle), with the districts' names.
pub fn directory_map(schemes: &[Scheme]) -> String {
    let mut codes: Vec<String> = schemes.iter().map(|s| s.district_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let mut include: Vec<Shape> = schemes
        .iter()
        .filter_map(|s| s.area.map_shape(&s.name))
        .collect();
    if !codes.is_empty() {
        include.insert(0, Shape::Districts { codes });
    }
    crate::geo::map::titled_area_svg(
        &AreaTarget {
            include,
            exclude: Vec::new(),
        },
        640,
        "Map of the Neighbourhood Watch schemes",
    )
}

/// The map a proposer draws their scheme's area on: the whole force area, with its districts
/// and towns.
pub fn proposal_map() -> String {
    crate::geo::map::titled_area_svg(
        &AreaTarget {
            include: vec![Shape::ForceArea],
            exclude: Vec::new(),
        },
        640,
        "Map of the area we cover, to draw the scheme's area on",
    )
}

/// The map of one scheme's area.
pub fn scheme_map(scheme: &Scheme) -> String {
    let include = match scheme.area.map_shape(&scheme.name) {
        Some(shape) => vec![shape],
        None => vec![Shape::Districts {
            codes: vec![scheme.district_code.clone()],
        }],
    };
    crate::geo::map::titled_area_svg(
        &AreaTarget {
            include,
            exclude: Vec::new(),
        },
        640,
        &format!("Map of the area of {}", scheme.name),
    )
}

/// A scheme near a resident, and where they stand with it.
pub struct NearScheme {
    pub scheme: Scheme,
    pub membership: Option<Membership>,
}

impl NearScheme {
    /// A member, or asked to join and waiting.
    pub fn belongs(&self) -> bool {
        self.membership.as_ref().is_some_and(|m| {
            matches!(
                m.status,
                MembershipStatus::Member | MembershipStatus::Requested
            )
        })
    }

    pub fn is_member(&self) -> bool {
        self.membership
            .as_ref()
            .is_some_and(|m| m.status == MembershipStatus::Member)
    }
}

/// The open schemes that cover any of a resident's places, and any scheme they belong to or
/// asked to join.
pub async fn near(ctx: &AppContext, subscriber: &Subscriber) -> anyhow::Result<Vec<NearScheme>> {
    let memberships = ctx.store.memberships_of(subscriber.id).await?;
    let mut places = Vec::new();
    for place in &subscriber.preferences.places {
        let found = ctx.store.find_postcode(place.postcode.as_str()).await?;
        let at = found.and_then(|f| Some((f64::from(f.easting?), f64::from(f.northing?))));
        places.push((place.postcode.to_string(), at));
    }
    let mut near = Vec::new();
    for scheme in ctx.store.list_schemes(None).await? {
        let membership = memberships
            .iter()
            .find(|m| m.scheme_id == scheme.id)
            .cloned();
        let covers = scheme.status == SchemeStatus::Open
            && places.iter().any(|(p, at)| scheme.area.covers(p, *at));
        let item = NearScheme { scheme, membership };
        if covers || item.belongs() {
            near.push(item);
        }
    }
    Ok(near)
}

/// What a resident gives when asking to join, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct JoinInput {
    pub name: String,
    pub street: String,
    #[serde(deserialize_with = "crate::domain::ticked")]
    pub share: bool,
}

/// A resident asks to join an open scheme that covers one of their places; their name and
/// street go to its coordinators only if they agree. Asking again updates what they gave.
pub async fn join(
    ctx: &AppContext,
    subscriber: &Subscriber,
    scheme_id: i64,
    input: &JoinInput,
) -> Result<Joined, SchemeError> {
    if subscriber.status != SubscriberStatus::Active {
        return Err(SchemeError::Changed(
            "Only a resident who is signed up can join a scheme",
        ));
    }
    let mut errors = FieldErrors::default();
    let name = rules::one_line(
        &mut errors,
        "name",
        "your name",
        &input.name,
        input.share,
        rules::MAX_MEMBER_FIELD_CHARS,
    );
    let street = rules::one_line(
        &mut errors,
        "street",
        "your street",
        &input.street,
        input.share,
        rules::MAX_MEMBER_FIELD_CHARS,
    );
    let (Some(name), Some(street)) = (name, street) else {
        return Err(SchemeError::Invalid(errors));
    };
    let near = near(ctx, subscriber).await?;
    let Some(found) = near.iter().find(|n| n.scheme.id == scheme_id) else {
        return Err(SchemeError::NotFound);
    };
    if found.scheme.status != SchemeStatus::Open {
        return Err(SchemeError::Changed("The scheme is closed"));
    }
    let request = JoinRequest {
        name: if input.share { name } else { String::new() },
        street: if input.share { street } else { String::new() },
        share: input.share,
    };
    let joined = ctx
        .store
        .request_membership(
            scheme_id,
            subscriber.id,
            &request,
            chrono::Utc::now().timestamp(),
        )
        .await?;
    Ok(joined)
}

/// A resident leaves a scheme, or withdraws their request.
pub async fn leave(
    ctx: &AppContext,
    subscriber: &Subscriber,
    scheme_id: i64,
) -> anyhow::Result<bool> {
    Ok(ctx
        .store
        .leave_scheme(scheme_id, subscriber.id, chrono::Utc::now().timestamp())
        .await?)
}

/// A resident's memberships, for their data download.
pub async fn memberships(
    ctx: &AppContext,
    subscriber_id: i64,
) -> anyhow::Result<Vec<serde_json::Value>> {
    Ok(ctx
        .store
        .memberships_of(subscriber_id)
        .await?
        .into_iter()
        .map(|m| {
            serde_json::json!({
                "scheme": m.scheme_name,
                "status": m.status.code(),
                "name_given": m.name,
                "street_given": m.street,
                "shared_with_coordinators": m.share,
                "asked_at": iso(m.requested_at),
                "decided_at": m.decided_at.map(iso),
            })
        })
        .collect())
}

fn iso(at: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(at, 0).map(|t| t.to_rfc3339())
}

/// The residents an alert is limited to, when it is for schemes' members.
pub async fn member_filter(
    ctx: &AppContext,
    members: Members,
) -> anyhow::Result<Option<MemberFilter>> {
    let (scheme, anywhere) = match members {
        Members::Everyone => return Ok(None),
        Members::Schemes => (None, false),
        Members::Scheme(id) => (Some(id), true),
    };
    let ids = ctx
        .store
        .member_ids(scheme)
        .await
        .context("reading schemes' members")?;
    Ok(Some(MemberFilter::new(ids, anywhere)))
}

/// A message to a scheme's coordinators from its public page.
#[derive(Debug, Clone, Default)]
pub struct ContactMessage {
    pub name: String,
    pub email: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "email/scheme_contact.txt", escape = "none")]
struct Contacted<'a> {
    name: &'a str,
    scheme: &'a str,
    from: &'a str,
    email: &'a str,
    message: &'a str,
}

/// Emails a message from someone to a scheme's coordinators (those who may sign in), with the
/// sender's name and address so the coordinator can answer; the coordinators' own addresses are
/// never shown. A scheme with no coordinator to read it refuses the message rather than lose it;
/// `allow` (the rate limit) is asked only of a message that would be sent.
pub async fn contact(
    ctx: &AppContext,
    scheme: &Scheme,
    input: &ContactMessage,
    allow: impl FnOnce() -> bool,
) -> Result<(), SchemeError> {
    let mut errors = FieldErrors::default();
    let name = rules::one_line(
        &mut errors,
        "name",
        "your name",
        &input.name,
        true,
        rules::MAX_MEMBER_FIELD_CHARS,
    );
    let email = EmailAddress::parse(input.email.trim())
        .map_err(|problem| errors.add("email", problem))
        .ok();
    let message = rules::text(&mut errors, "message", "your message", &input.message, true);
    let (Some(name), Some(email), Some(message)) = (name, email, message) else {
        return Err(SchemeError::Invalid(errors));
    };
    let mut messages = Vec::new();
    for coordinator in ctx.store.scheme_coordinators(scheme.id).await? {
        if !(coordinator.active && coordinator.enrolled) {
            continue;
        }
        let Some(to) = ctx
            .store
            .staff(coordinator.staff_id)
            .await?
            .filter(|s| s.permissions.coordinate)
        else {
            continue;
        };
        let text = Contacted {
            name: &to.name,
            scheme: &scheme.name,
            from: &name,
            email: email.as_str(),
            message: &message,
        }
        .render()
        .context("writing a message to a scheme's coordinators")?;
        let subject = format!("A message about {} from {name}", scheme.name);
        messages.push(staff_email(ctx, &to, subject, text, "scheme-contact")?);
    }
    if messages.is_empty() {
        return Err(SchemeError::invalid(
            "message",
            "This scheme has no coordinator to read messages at the moment: nothing was sent. \
             Call 101 to reach your neighbourhood policing team instead",
        ));
    }
    if !allow() {
        return Err(SchemeError::TooMany);
    }
    queue(ctx, messages).await?;
    Ok(())
}

/// The scheme whose coordinator wrote `alert`, if it is a coordinator's message (of the
/// Neighbourhood Watch organisation, to one scheme's members); a police alert to a scheme's
/// members is not, and its replies go to the force's inbox as any alert's do.
pub async fn coordinators_message(
    ctx: &AppContext,
    alert: &crate::store::Alert,
) -> anyhow::Result<Option<i64>> {
    let Members::Scheme(scheme) = alert.content.members else {
        return Ok(None);
    };
    let watch = ctx
        .store
        .providers()
        .await?
        .into_iter()
        .any(|p| p.id == alert.content.provider_id && p.slug == PROVIDER_SLUG);
    Ok(watch.then_some(scheme))
}

/// What replying to a coordinator's message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberReply {
    /// Emailed to the scheme's coordinators.
    Sent,
    /// The scheme has no coordinator who can read it: nothing was sent.
    NoCoordinator,
    /// This resident has replied to this message as often as one may: nothing was sent.
    TooMany,
}

/// A member's reply to their scheme's coordinator's message (from the reply link in its email,
/// which only the resident it was sent to holds): emailed to the scheme's coordinators with the
/// member's name and address, as a message from the scheme's page is, at most
/// `MAX_REPLIES_PER_ALERT` an hour for one message and resident.
pub async fn reply_from_member(
    ctx: &AppContext,
    scheme_id: i64,
    alert_id: i64,
    subscriber: &Subscriber,
    body: &str,
) -> anyhow::Result<MemberReply> {
    let Some(scheme) = ctx.store.scheme(scheme_id).await? else {
        return Ok(MemberReply::NoCoordinator);
    };
    let name = subscriber.preferences.name.trim();
    let message = ContactMessage {
        name: if name.is_empty() {
            "A member".to_owned()
        } else {
            name.to_owned()
        },
        email: subscriber.email.to_string(),
        message: body.replace('\r', ""),
    };
    let allow = || {
        let limit = u32::try_from(crate::store::MAX_REPLIES_PER_ALERT).unwrap_or(5);
        ctx.limiter
            .allow(&format!("scheme-reply:{alert_id}:{}", subscriber.id), limit)
    };
    match contact(ctx, &scheme, &message, allow).await {
        Ok(()) => Ok(MemberReply::Sent),
        Err(SchemeError::Invalid(_)) => Ok(MemberReply::NoCoordinator),
        Err(SchemeError::TooMany) => Ok(MemberReply::TooMany),
        Err(error) => Err(anyhow::Error::from(error)),
    }
}

/// A message from the police to the coordinators of a district's schemes (or every district's).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CoordinatorsMessage {
    /// A district code, or empty for every district.
    pub district: String,
    pub subject: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "email/scheme_coordinators_message.txt", escape = "none")]
struct ToCoordinators<'a> {
    name: &'a str,
    body: &'a str,
    sender: &'a str,
    organisation: &'a str,
    sign_in: &'a str,
}

/// Emails every coordinator of the open schemes in a district (each once); how many.
pub async fn write_to_coordinators(
    ctx: &AppContext,
    actor: &Actor<'_>,
    input: &CoordinatorsMessage,
) -> Result<usize, SchemeError> {
    managing(ctx, actor, "write-to-coordinators", "coordinators").await?;
    let staff = actor.staff.context("needs a signed-in member of staff")?;
    let mut errors = FieldErrors::default();
    let subject = rules::one_line(
        &mut errors,
        "subject",
        "a subject",
        &input.subject,
        true,
        150,
    );
    let body = rules::text(&mut errors, "body", "the message", &input.body, true);
    let district = input.district.trim();
    if !district.is_empty()
        && !ctx
            .store
            .districts()
            .await?
            .iter()
            .any(|d| d.code == district)
    {
        errors.add("district", "Choose a district from the list");
    }
    let (Some(subject), Some(body)) = (subject, body) else {
        return Err(SchemeError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(SchemeError::Invalid(errors));
    }
    let district = (!district.is_empty()).then_some(district);
    if !first_time(ctx, district.unwrap_or("all"), &[&subject, &body]) {
        return Err(SchemeError::Changed(
            "This message went to the coordinators a moment ago: it is not sent twice",
        ));
    }
    let ids = ctx.store.district_coordinators(district).await?;
    let sign_in = ctx.link("/staff/sign-in");
    let mut messages = Vec::new();
    for id in &ids {
        let Some(coordinator) = ctx.store.staff(*id).await? else {
            continue;
        };
        let text = ToCoordinators {
            name: &coordinator.name,
            body: &body,
            sender: &staff.name,
            organisation: &staff.provider_name,
            sign_in: &sign_in,
        }
        .render()
        .context("writing a message to coordinators")?;
        messages.push(staff_email(
            ctx,
            &coordinator,
            subject.clone(),
            text,
            "scheme-coordinators",
        )?);
    }
    let sent = messages.len();
    queue(ctx, messages).await?;
    audit(
        ctx,
        actor,
        "write-to-coordinators",
        district.unwrap_or("every district"),
        &format!("{subject} (to {sent})"),
        false,
    )
    .await?;
    Ok(sent)
}

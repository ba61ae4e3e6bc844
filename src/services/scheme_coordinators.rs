//! Neighbourhood Watch coordinators' use cases: their schemes, the requests to join and the
//! members they may see (a name and a street only where the member agreed to share them, and
//! nothing else), accepting or refusing a request, and writing to their scheme's members through
//! the alerts' own delivery. A coordinator acting on a scheme that is not theirs is refused, and
//! the refusal audited.

use super::schemes::{SchemeError, MESSAGE_TYPE_SLUG, PROVIDER_SLUG};
use super::staff::{audit, Actor};
use super::AppContext;
use crate::domain::alert::{self as alert_rules, SignOff};
use crate::domain::scheme::{Members, MembershipStatus, SchemeStatus};
use crate::domain::subscriber::FieldErrors;
use crate::domain::Priority;
use crate::geo::target::{AreaTarget, Shape};
use crate::store::{
    AlertContent, AlertStatus, AlertTransition, NewAlert, Scheme, SchemeMessage, StaffMember,
};
use anyhow::Context;

/// How many of a scheme's past messages its page lists.
const MESSAGES_LISTED: i64 = 20;

/// The schemes a coordinator coordinates, by district then name.
pub async fn my_schemes(ctx: &AppContext, staff: &StaffMember) -> anyhow::Result<Vec<Scheme>> {
    if !staff.permissions.coordinate {
        return Ok(Vec::new());
    }
    let ids = ctx.store.coordinated_schemes(staff.id).await?;
    let mut schemes = Vec::new();
    for id in ids {
        if let Some(scheme) = ctx.store.scheme(id).await? {
            schemes.push(scheme);
        }
    }
    Ok(schemes)
}

/// The scheme `scheme_id`, if the actor is one of its coordinators; otherwise the refusal,
/// audited as `action`.
async fn coordinating(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
    action: &str,
) -> Result<(Scheme, &'static str), SchemeError> {
    let staff = actor.staff.context("needs a signed-in coordinator")?;
    let subject = format!("scheme {scheme_id}");
    let mine = staff.permissions.coordinate
        && ctx
            .store
            .coordinated_schemes(staff.id)
            .await?
            .contains(&scheme_id);
    let scheme = if mine {
        ctx.store.scheme(scheme_id).await?
    } else {
        None
    };
    let Some(scheme) = scheme else {
        audit(
            ctx,
            actor,
            action,
            &subject,
            "not a coordinator of this scheme",
            true,
        )
        .await?;
        return Err(SchemeError::NotPermitted(
            "you are not a coordinator of that scheme",
        ));
    };
    let main = ctx
        .store
        .scheme_coordinators(scheme_id)
        .await?
        .into_iter()
        .any(|c| c.staff_id == staff.id && c.main);
    Ok((
        scheme,
        if main {
            "Coordinator"
        } else {
            "Deputy coordinator"
        },
    ))
}

/// A member (or a request to join) as a coordinator sees them: their name and street only if
/// they agreed to share them.
pub struct MemberView {
    pub id: i64,
    pub status: MembershipStatus,
    pub name: Option<String>,
    pub street: Option<String>,
    pub since: i64,
}

/// A scheme's page for its coordinators.
pub struct CoordinatorView {
    pub scheme: Scheme,
    /// "Coordinator" or "Deputy coordinator": how their messages are signed.
    pub role: &'static str,
    pub requests: Vec<MemberView>,
    pub members: Vec<MemberView>,
    pub messages: Vec<SchemeMessage>,
}

pub async fn view(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
) -> Result<CoordinatorView, SchemeError> {
    let (scheme, role) = coordinating(ctx, actor, scheme_id, "view-scheme-members").await?;
    let mut requests = Vec::new();
    let mut members = Vec::new();
    for m in ctx.store.scheme_memberships(scheme_id).await? {
        let shown = MemberView {
            id: m.id,
            status: m.status,
            name: m.share.then(|| m.name.clone()).filter(|n| !n.is_empty()),
            street: m.share.then(|| m.street.clone()).filter(|s| !s.is_empty()),
            since: m.decided_at.unwrap_or(m.requested_at),
        };
        match m.status {
            MembershipStatus::Requested => requests.push(shown),
            MembershipStatus::Member => members.push(shown),
            // Who left or was refused is none of the coordinator's business any more.
            MembershipStatus::Refused | MembershipStatus::Left => {}
        }
    }
    let messages = ctx
        .store
        .scheme_messages(scheme_id, MESSAGES_LISTED)
        .await?;
    Ok(CoordinatorView {
        scheme,
        role,
        requests,
        members,
        messages,
    })
}

/// Accepts or refuses a request to join.
pub async fn decide(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
    membership_id: i64,
    accept: bool,
) -> Result<(), SchemeError> {
    let action = if accept {
        "accept-member"
    } else {
        "refuse-member"
    };
    coordinating(ctx, actor, scheme_id, action).await?;
    let staff = actor.staff.context("needs a signed-in coordinator")?;
    let now = chrono::Utc::now().timestamp();
    if !ctx
        .store
        .decide_membership(scheme_id, membership_id, accept, staff.id, now)
        .await?
    {
        return Err(SchemeError::Changed(
            "That request is no longer waiting: another coordinator may have answered it, or \
             the resident withdrew it",
        ));
    }
    audit(
        ctx,
        actor,
        action,
        &format!("scheme {scheme_id}"),
        &format!("request {membership_id}"),
        false,
    )
    .await?;
    Ok(())
}

/// A coordinator's message, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MessageInput {
    pub title: String,
    pub body: String,
}

/// Writes to a scheme's members: an alert of the Neighbourhood Watch organisation, limited to
/// the scheme's members (wherever they live, whatever else they chose), kept off the public
/// archive, signed by the coordinator, and queued at once for the alerts' own delivery.
/// Returns the alert's id and how many members it reaches.
pub async fn write(
    ctx: &AppContext,
    actor: &Actor<'_>,
    scheme_id: i64,
    input: &MessageInput,
) -> Result<(i64, u64), SchemeError> {
    let (scheme, role) = coordinating(ctx, actor, scheme_id, "write-to-scheme").await?;
    let staff = actor.staff.context("needs a signed-in coordinator")?;
    if scheme.status != SchemeStatus::Open {
        return Err(SchemeError::Changed(
            "The scheme is closed: its members cannot be written to",
        ));
    }
    let mut errors = FieldErrors::default();
    let title = alert_rules::parse_title(&input.title)
        .map_err(|e| errors.add("title", e))
        .ok();
    let body = alert_rules::parse_body(&input.body)
        .map_err(|e| errors.add("body", e))
        .ok();
    let (Some(title), Some(body)) = (title, body) else {
        return Err(SchemeError::Invalid(errors));
    };
    if !super::schemes::first_time(ctx, &format!("scheme {scheme_id}"), &[&title, &body]) {
        return Err(SchemeError::Changed(
            "This message went to the members a moment ago: it is not sent twice",
        ));
    }
    let provider = ctx
        .store
        .providers()
        .await?
        .into_iter()
        .find(|p| p.slug == PROVIDER_SLUG)
        .context("the Neighbourhood Watch organisation is missing from the catalogue")?;
    let message_type = ctx
        .store
        .message_types()
        .await?
        .into_iter()
        .find(|t| t.slug == MESSAGE_TYPE_SLUG)
        .context("the community news message type is missing from the catalogue")?;
    let content = AlertContent {
        provider_id: provider.id,
        message_type_id: message_type.id,
        priority: Priority::LOWEST_BUT_ONE,
        title,
        body_markdown: body,
        sms_text: None,
        target: AreaTarget {
            include: vec![scheme
                .area
                .map_shape(&scheme.name)
                .unwrap_or(Shape::Districts {
                    codes: vec![scheme.district_code.clone()],
                })],
            exclude: Vec::new(),
        },
        target_description: format!("Members of {}", scheme.name),
        private: true,
        members: Members::Scheme(scheme_id),
    };
    let reached = super::alerts::reach(ctx, &content).await?;
    let now = chrono::Utc::now().timestamp();
    let new = NewAlert {
        content,
        author_staff_id: Some(staff.id),
        api_token_id: None,
        signoff: SignOff {
            name: staff.name.clone(),
            organisation: provider.name.clone(),
            role: role.to_owned(),
            area: scheme.name.clone(),
        },
        needs_approval: false,
        follows_alert_id: None,
        follow_up: None,
        now,
    };
    let id = ctx
        .store
        .insert_alert(&new)
        .await
        .context("storing a coordinator's message")?;
    let queued = ctx
        .store
        .transition_alert(
            id,
            &[AlertStatus::Draft],
            AlertStatus::Queued,
            &AlertTransition::default(),
            now,
        )
        .await
        .context("queueing a coordinator's message")?;
    if !queued {
        return Err(anyhow::anyhow!("a coordinator's new message {id} was not a draft").into());
    }
    audit(
        ctx,
        actor,
        "write-to-scheme",
        &format!("scheme {scheme_id}"),
        &format!("alert {id}: {}", new.content.title),
        false,
    )
    .await?;
    ctx.fanout_wakeup.notify_one();
    Ok((id, reached))
}

//! API tokens: how other systems (a force's website, a partner's case system) compose and send
//! alerts for one organisation, or post reports through Open311 (`TokenScope`: a token is for
//! one of the two). Admins create them (shown once, stored hashed) and revoke them; everything a
//! token does is audited under its name.

use super::alerts::{self, AlertActionError, AlertInput, ComposeError, NotPermitted};
use super::staff::{audit, Actor, StaffAdminError};
use super::tokens::{random_bytes, sha256_hex};
use super::AppContext;
use crate::domain::alert::SignOff;
use crate::domain::staff::SenderInput;
use crate::domain::subscriber::FieldErrors;
use crate::store::{
    Alert, AlertStatus, AlertTransition, ApiToken, DeliveryReport, NewAlert, NewAuditEntry,
    StoreResult, TokenScope,
};
use anyhow::Context;

const PREFIX: &str = "bcn_";

/// An alert as an API client sees it: once sent, with how its delivery stands.
pub struct AlertReport {
    pub alert: Alert,
    pub delivery: Option<DeliveryReport>,
}

/// One alert and, once it is sent, its delivery report; `None` when there is no such alert.
pub async fn alert_report(ctx: &AppContext, id: i64) -> StoreResult<Option<AlertReport>> {
    let Some(alert) = ctx.store.alert(id).await? else {
        return Ok(None);
    };
    let delivery = if alert.status == AlertStatus::Queued {
        Some(ctx.store.delivery_report(id).await?)
    } else {
        None
    };
    Ok(Some(AlertReport { alert, delivery }))
}

/// One of the token's organisation's alerts; `None` for any other.
pub async fn token_alert(
    ctx: &AppContext,
    token: &ApiToken,
    id: i64,
) -> StoreResult<Option<AlertReport>> {
    Ok(alert_report(ctx, id)
        .await?
        .filter(|report| report.alert.content.provider_id == token.provider_id))
}

/// Makes an alerts token for an organisation; returns it in full, the only time it is seen.
pub async fn create(
    ctx: &AppContext,
    actor: &Actor<'_>,
    provider_slug: &str,
    name: &str,
) -> Result<String, StaffAdminError> {
    create_for(ctx, actor, provider_slug, name, TokenScope::Alerts).await
}

/// Makes a token for an organisation, for alerts or for Open311; returns it in full, the only
/// time it is seen.
pub async fn create_for(
    ctx: &AppContext,
    actor: &Actor<'_>,
    provider_slug: &str,
    name: &str,
    scope: TokenScope,
) -> Result<String, StaffAdminError> {
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(ctx, actor, "create-api-token", name, "not an admin", true).await?;
        return Err(StaffAdminError::NotAdmin);
    }
    let mut errors = FieldErrors::default();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > 80 || name.contains(['<', '>']) {
        errors.add(
            "name",
            "Name the token after the system that will use it (80 characters at most, no < or >)",
        );
    }
    let provider = ctx
        .store
        .providers()
        .await
        .context("reading the organisations")?
        .into_iter()
        .find(|p| p.slug == provider_slug && !p.archived);
    if provider.is_none() {
        errors.add("provider", "Choose the organisation the token sends for");
    }
    let Some(provider) = provider.filter(|_| errors.is_empty()) else {
        return Err(StaffAdminError::Invalid(errors));
    };
    let token = format!("{PREFIX}{}", hex::encode(random_bytes(32)));
    ctx.store
        .insert_api_token(
            provider.id,
            &name,
            scope,
            &sha256_hex(&token),
            actor.staff.map(|s| s.id),
            chrono::Utc::now().timestamp(),
        )
        .await
        .context("storing an API token")?;
    let detail = format!("{} ({})", provider.name, scope.slug());
    audit(ctx, actor, "create-api-token", &name, &detail, false).await?;
    Ok(token)
}

pub async fn revoke(ctx: &AppContext, actor: &Actor<'_>, id: i64) -> Result<(), StaffAdminError> {
    if !actor.staff.is_some_and(|s| s.permissions.admin) {
        audit(
            ctx,
            actor,
            "revoke-api-token",
            &format!("token {id}"),
            "not an admin",
            true,
        )
        .await?;
        return Err(StaffAdminError::NotAdmin);
    }
    if ctx
        .store
        .revoke_api_token(id, chrono::Utc::now().timestamp())
        .await
        .context("revoking an API token")?
    {
        audit(
            ctx,
            actor,
            "revoke-api-token",
            &format!("token {id}"),
            "",
            false,
        )
        .await?;
    }
    Ok(())
}

/// The live token a bearer value names.
pub async fn authenticate(ctx: &AppContext, bearer: &str) -> anyhow::Result<Option<ApiToken>> {
    if !bearer.starts_with(PREFIX) || bearer.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    ctx.store
        .use_api_token(&sha256_hex(bearer), chrono::Utc::now().timestamp())
        .await
        .context("checking an API token")
}

async fn audit_token(
    ctx: &AppContext,
    token: &ApiToken,
    ip: &str,
    action: &str,
    subject: &str,
    detail: &str,
    refused: bool,
) -> anyhow::Result<()> {
    ctx.store
        .append_audit(&NewAuditEntry {
            at: chrono::Utc::now().timestamp(),
            staff_id: None,
            actor: format!("API token “{}” ({})", token.name, token.provider_name),
            action: action.to_owned(),
            refused,
            subject: subject.to_owned(),
            detail: detail.to_owned(),
            ip: ip.to_owned(),
        })
        .await
        .with_context(|| format!("writing the audit log ({action})"))?;
    Ok(())
}

/// Composes an alert for the token's organisation; it is ready to send at once (the system
/// that holds the token has its own checks). It is signed off by the `sender` the client names,
/// or by the organisation alone; the token's name is kept for the audit log.
pub async fn compose(
    ctx: &AppContext,
    token: &ApiToken,
    ip: &str,
    input: &AlertInput,
    sender: Option<&SenderInput>,
) -> Result<i64, ComposeError> {
    let signoff = match sender.map(SenderInput::validate).transpose() {
        Ok(Some(sender)) => Ok(SignOff {
            name: sender.name,
            organisation: token.provider_name.clone(),
            role: sender.role,
            area: sender.area,
        }),
        Ok(None) => Ok(SignOff {
            name: token.provider_name.clone(),
            organisation: String::new(),
            role: String::new(),
            area: String::new(),
        }),
        Err(errors) => Err(errors),
    };
    let mut input = input.clone();
    if input.provider.is_empty() {
        input.provider = super::catalogue::provider_slug(ctx, token.provider_id).await?;
    }
    // Every problem at once: the alert's and the sender's.
    let (checked, signoff) = match (alerts::check(ctx, &input).await, signoff) {
        (Ok(checked), Ok(signoff)) => (checked, signoff),
        (Err(ComposeError::Invalid(mut errors)), Err(sender)) => {
            errors.0.extend(sender.0);
            return Err(ComposeError::Invalid(errors));
        }
        (Err(error), _) => return Err(error),
        (Ok(_), Err(sender)) => return Err(ComposeError::Invalid(sender)),
    };
    if checked.content.provider_id != token.provider_id {
        let reason = NotPermitted::WritingForAnother;
        audit_token(
            ctx,
            token,
            ip,
            "compose",
            &checked.content.title,
            &reason.to_string(),
            true,
        )
        .await?;
        return Err(ComposeError::NotPermitted(reason));
    }
    let now = chrono::Utc::now().timestamp();
    let new = NewAlert {
        content: checked.content,
        author_staff_id: None,
        api_token_id: Some(token.id),
        signoff,
        needs_approval: false,
        follows_alert_id: None,
        follow_up: None,
        now,
    };
    let id = ctx
        .store
        .insert_alert(&new)
        .await
        .context("storing an API client's alert")?;
    ctx.store
        .transition_alert(
            id,
            &[AlertStatus::Draft],
            AlertStatus::Ready,
            &AlertTransition::default(),
            now,
        )
        .await
        .with_context(|| format!("making alert {id} ready to send"))?;
    audit_token(
        ctx,
        token,
        ip,
        "compose",
        &format!("alert {id}"),
        &new.content.title,
        false,
    )
    .await?;
    Ok(id)
}

/// Sends (queues) one of the token's organisation's ready alerts.
pub async fn send(
    ctx: &AppContext,
    token: &ApiToken,
    ip: &str,
    id: i64,
) -> Result<AlertStatus, AlertActionError> {
    let alert = ctx
        .store
        .alert(id)
        .await
        .context("reading an alert to send")?
        .context("no such alert")?;
    if alert.content.provider_id != token.provider_id {
        let reason = NotPermitted::AnotherOrganisation;
        audit_token(
            ctx,
            token,
            ip,
            "send",
            &format!("alert {id}"),
            &reason.to_string(),
            true,
        )
        .await?;
        return Err(AlertActionError::NotPermitted(reason));
    }
    let now = chrono::Utc::now().timestamp();
    if !ctx
        .store
        .transition_alert(
            id,
            &[AlertStatus::Ready, AlertStatus::Scheduled],
            AlertStatus::Queued,
            &AlertTransition::default(),
            now,
        )
        .await
        .with_context(|| format!("queueing alert {id}"))?
    {
        return Err(AlertActionError::NotReadyToSend);
    }
    audit_token(
        ctx,
        token,
        ip,
        "send",
        &format!("alert {id}"),
        "Sent",
        false,
    )
    .await?;
    ctx.archive_edits.record();
    ctx.fanout_wakeup.notify_one();
    Ok(AlertStatus::Queued)
}

/// Every API token, revoked ones too, for the admin page.
pub async fn list(ctx: &AppContext) -> StoreResult<Vec<ApiToken>> {
    ctx.store.list_api_tokens().await
}

//! A resident's subscription from sign-up to erasure: double opt-in by email, mobile confirmation
//! by a 6-digit code, managing preferences from a link with no password, one-click unsubscribe,
//! downloading their data and erasing their account.

use super::messages::{self, EmailKind, Letter};
use super::postcodes::{locate, LookupError};
use super::tokens::{random_id, same, sha256_hex};
use super::AppContext;
use crate::domain::conversation::Author;
use crate::domain::mask;
use crate::domain::subscriber::{first_name, FieldErrors, Preferences, SignUpInput};
use crate::domain::{EmailAddress, Postcode};
use crate::store::{ConfirmOutcome, NewSubscriber, StoreError, Subscriber, SubscriberStatus};
use anyhow::Context;
use rand::Rng;

/// A second sign-up for an address whose confirmation went out this recently is a double
/// submit: the first email is on its way, so no second one is sent.
const DOUBLE_SUBMIT_SECS: i64 = 120;
/// Confirmation codes texted per resident, and per number, in an hour.
const MOBILE_CODES_PER_HOUR: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error("there are problems with the form")]
    Invalid(FieldErrors),
    #[error(
        "Too many sign-ups have come from here or for this address. Please try again in an hour."
    )]
    RateLimited,
    /// A link from an email that cannot be used.
    #[error(transparent)]
    Link(#[from] LinkProblem),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for SubscriptionError {
    fn from(error: StoreError) -> Self {
        SubscriptionError::Unexpected(error.into())
    }
}

/// Why a link from an email cannot be used, in words for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("This link is not valid. Check that you copied the whole link from the email.")]
    Invalid,
    #[error("This confirmation link has expired. Sign up again and we will send you a new one.")]
    Expired,
    #[error("This confirmation link has been replaced by a newer one. Use the link in the most recent email we sent you.")]
    Superseded,
    /// A manage or unsubscribe link from before the resident unsubscribed and signed up again.
    #[error("This link has been replaced by a newer one. Use the link in the latest email we sent you, or ask for a new one.")]
    Replaced,
}

/// Checks a sign-up, stores it as pending and queues the confirmation email. The answer is the
/// same whether or not the address was already registered.
pub async fn sign_up(
    ctx: &AppContext,
    input: &SignUpInput,
    client_ip: &str,
) -> Result<(), SubscriptionError> {
    let validated = input.validate();
    let (email, preferences) = checked(ctx, input, validated).await?;
    let limits = &ctx.settings.limits;
    if !ctx.limiter.allow(
        &format!("signup-ip:{client_ip}"),
        limits.signups_per_ip_per_hour,
    ) || !ctx.limiter.allow(
        &format!("signup-email:{}", email.key()),
        limits.signups_per_email_per_hour,
    ) {
        tracing::warn!(email = %mask::email(email.as_str()), "sign-up rate limited");
        return Err(SubscriptionError::RateLimited);
    }

    let now = chrono::Utc::now().timestamp();
    let existing = match ctx.store.subscriber_by_email_key(&email.key()).await? {
        Some(existing) => existing,
        None => {
            let public_id = random_id();
            let nonce = random_id();
            let confirmation =
                confirmation_email(ctx, &email, &preferences, &public_id, &nonce, 1)?;
            let new = NewSubscriber {
                public_id,
                email: email.clone(),
                email_key: email.key(),
                preferences: preferences.clone(),
                confirm_nonce: nonce,
                now,
            };
            match ctx
                .store
                .insert_pending_subscriber(&new, Some(&confirmation))
                .await
            {
                Ok(_) => {
                    tracing::info!(email = %mask::email(email.as_str()), "sign-up stored, confirmation queued");
                    ctx.outbound_wakeup.notify_one();
                    return Ok(());
                }
                // A concurrent submit of the same address won the race: treat as a repeat.
                Err(StoreError::Conflict) => ctx
                    .store
                    .subscriber_by_email_key(&email.key())
                    .await?
                    .context("a conflicting sign-up vanished")?,
                Err(error) => return Err(error.into()),
            }
        }
    };

    let just_sent = existing
        .confirm_sent_at
        .is_some_and(|sent| now - sent < DOUBLE_SUBMIT_SECS);
    if existing.status == SubscriberStatus::Pending
        && just_sent
        && existing.preferences.same_choices(&preferences)
    {
        tracing::info!(email = %mask::email(email.as_str()), "repeat sign-up ignored: confirmation just sent");
        return Ok(());
    }
    if existing.status != SubscriberStatus::Active {
        // Coming back after unsubscribing revokes every link sent before.
        let token_version =
            existing.token_version + i64::from(existing.status == SubscriberStatus::Unsubscribed);
        let nonce = random_id();
        let mut confirmation = confirmation_email(
            ctx,
            &email,
            &preferences,
            &existing.public_id,
            &nonce,
            token_version,
        )?;
        confirmation.subscriber_id = Some(existing.id);
        if ctx
            .store
            .restart_pending(existing.id, &preferences, &nonce, now, &confirmation)
            .await?
        {
            ctx.outbound_wakeup.notify_one();
            return Ok(());
        }
        // Confirmed in the meantime: fall through to the notice for active residents.
    }
    // Preferences are not changed from the sign-up form: only the holder of the address may
    // change them, through the link this email carries. A double click sends one notice.
    if !ctx
        .repeat_guard
        .allow(&format!("already-registered:{}", email.key()), 1)
    {
        return Ok(());
    }
    let Some(existing) = ctx.store.subscriber(existing.id).await? else {
        return Ok(());
    };
    let letter = letter(ctx, &existing, None);
    let mut notice = messages::email(
        ctx,
        EmailKind::AlreadyRegistered,
        existing.email.as_str(),
        &existing.preferences,
        &letter,
    )?;
    notice.subscriber_id = Some(existing.id);
    ctx.store.enqueue_outbound(&notice, now).await?;
    ctx.outbound_wakeup.notify_one();
    Ok(())
}

/// Emails a confirmed resident the link to manage their alerts, when they have lost it. The
/// answer is the same whether or not the address is signed up, so the form cannot be used to
/// find out who is; it is rate-limited as sign-up is, by address and by client.
pub async fn send_manage_link(
    ctx: &AppContext,
    raw_email: &str,
    client_ip: &str,
) -> Result<(), SubscriptionError> {
    let email = EmailAddress::parse(raw_email).map_err(|problem| {
        let mut errors = FieldErrors::default();
        errors.add("email", problem);
        SubscriptionError::Invalid(errors)
    })?;
    let limits = &ctx.settings.limits;
    if !ctx.limiter.allow(
        &format!("manage-link-ip:{client_ip}"),
        limits.signups_per_ip_per_hour,
    ) || !ctx.limiter.allow(
        &format!("manage-link-email:{}", email.key()),
        limits.signups_per_email_per_hour,
    ) {
        tracing::warn!(email = %mask::email(email.as_str()), "manage-link request rate limited");
        return Err(SubscriptionError::RateLimited);
    }
    let Some(resident) = ctx.store.subscriber_by_email_key(&email.key()).await? else {
        return Ok(());
    };
    if resident.status != SubscriberStatus::Active {
        return Ok(());
    }
    let letter = letter(ctx, &resident, None);
    let mut message = messages::email(
        ctx,
        EmailKind::ManageLink,
        resident.email.as_str(),
        &resident.preferences,
        &letter,
    )?;
    message.subscriber_id = Some(resident.id);
    ctx.store
        .enqueue_outbound(&message, chrono::Utc::now().timestamp())
        .await?;
    ctx.outbound_wakeup.notify_one();
    tracing::info!(email = %mask::email(email.as_str()), "manage link sent again");
    Ok(())
}

fn confirmation_email(
    ctx: &AppContext,
    email: &EmailAddress,
    preferences: &Preferences,
    public_id: &str,
    nonce: &str,
    token_version: i64,
) -> anyhow::Result<crate::store::NewOutbound> {
    let hours = ctx.settings.limits.confirmation_link_hours;
    let expires = chrono::Utc::now().timestamp() + hours * 3600;
    let token = ctx
        .signer
        .sign("confirm", &[public_id, nonce, &expires.to_string()]);
    let letter = Letter {
        first_name: messages::greeting_name(preferences),
        manage_url: ctx.link(&format!(
            "/manage/{}",
            manage_token_for(ctx, public_id, token_version)
        )),
        unsubscribe_url: ctx.link(&format!(
            "/unsubscribe/{}",
            unsubscribe_token_for(ctx, public_id, token_version)
        )),
        action_url: Some(ctx.link(&format!("/confirm/{token}"))),
        summary: messages::summary(preferences),
        link_hours: hours,
        report_url: ctx.link("/report"),
    };
    messages::email(
        ctx,
        EmailKind::ConfirmSignUp,
        email.as_str(),
        preferences,
        &letter,
    )
}

fn letter(ctx: &AppContext, subscriber: &Subscriber, action_url: Option<String>) -> Letter {
    Letter {
        first_name: messages::greeting_name(&subscriber.preferences),
        manage_url: ctx.link(&format!("/manage/{}", manage_token(ctx, subscriber))),
        unsubscribe_url: ctx.link(&format!(
            "/unsubscribe/{}",
            unsubscribe_token(ctx, subscriber)
        )),
        action_url,
        summary: Vec::new(),
        link_hours: ctx.settings.limits.confirmation_link_hours,
        report_url: ctx.link("/report"),
    }
}

/// Adds what only the store can tell to the form's own checks: every postcode must be a real
/// place with a location, every provider and message type one that exists. All problems are
/// reported together, so a resident fixes them in one go.
async fn checked<T>(
    ctx: &AppContext,
    input: &SignUpInput,
    validated: Result<T, FieldErrors>,
) -> Result<T, SubscriptionError> {
    let mut errors = match &validated {
        Ok(_) => FieldErrors::default(),
        Err(errors) => errors.clone(),
    };
    for (index, place) in input.places.iter().enumerate() {
        let field = format!("place-{index}-postcode");
        if errors.for_field(&field).is_some() {
            continue;
        }
        if let Ok(postcode) = Postcode::parse(&place.postcode) {
            match locate(&*ctx.store, &postcode).await {
                Ok(_) => {}
                Err(LookupError::Unexpected(error)) => return Err(error.into()),
                Err(problem) => {
                    errors.add(field, problem.naming(&ctx.settings.branding.force_name))
                }
            }
        }
    }
    let providers = super::catalogue::providers(ctx).await?;
    if errors.for_field("providers").is_none()
        && input
            .providers
            .iter()
            .any(|slug| !providers.iter().any(|p| &p.slug == slug))
    {
        errors.add("providers", "Choose from the organisations listed");
    }
    let types = ctx.store.message_types().await?;
    if errors.for_field("message_types").is_none()
        && input
            .message_types
            .iter()
            .any(|slug| !types.iter().any(|t| &t.slug == slug))
    {
        errors.add("message_types", "Choose from the kinds of message listed");
    }
    match validated {
        Ok(value) if errors.is_empty() => Ok(value),
        _ => Err(SubscriptionError::Invalid(errors)),
    }
}

pub struct Confirmation {
    pub subscriber: Subscriber,
    pub outcome: ConfirmOutcome,
    /// A code was texted to the resident's mobile for them to enter.
    pub mobile_code_sent: bool,
}

/// What a confirmation link points at, before anything is changed.
pub enum ConfirmationLink {
    /// Waiting for the resident to press "Confirm".
    Waiting(Box<Subscriber>),
    /// Used already: the subscription is active.
    Used,
}

/// Reads a confirmation link without using it (mail scanners fetch links; only a POST confirms).
pub async fn read_confirmation(
    ctx: &AppContext,
    token: &str,
) -> Result<ConfirmationLink, SubscriptionError> {
    match checked_confirmation(ctx, token).await? {
        (subscriber, _) if subscriber.status == SubscriberStatus::Active => {
            Ok(ConfirmationLink::Used)
        }
        (subscriber, nonce) if subscriber.confirm_nonce.as_deref() == Some(nonce.as_str()) => {
            Ok(ConfirmationLink::Waiting(Box::new(subscriber)))
        }
        _ => Err(LinkProblem::Superseded.into()),
    }
}

/// The resident a confirmation token names and its nonce, if it is genuine and in date.
async fn checked_confirmation(
    ctx: &AppContext,
    token: &str,
) -> Result<(Subscriber, String), SubscriptionError> {
    let Some(fields) = ctx.signer.verify("confirm", token) else {
        return Err(LinkProblem::Invalid.into());
    };
    let [public_id, nonce, expires] = fields.as_slice() else {
        return Err(LinkProblem::Invalid.into());
    };
    let Some(subscriber) = ctx.store.subscriber_by_public_id(public_id).await? else {
        return Err(LinkProblem::Invalid.into());
    };
    let now = chrono::Utc::now().timestamp();
    let expired = expires.parse::<i64>().map_or(true, |e| now > e);
    if expired && subscriber.status != SubscriberStatus::Active {
        return Err(LinkProblem::Expired.into());
    }
    Ok((subscriber, nonce.clone()))
}

/// Uses a confirmation link: the subscription becomes active, once.
pub async fn confirm_email(
    ctx: &AppContext,
    token: &str,
) -> Result<Confirmation, SubscriptionError> {
    let (subscriber, nonce) = checked_confirmation(ctx, token).await?;
    let now = chrono::Utc::now().timestamp();
    let outcome = ctx
        .store
        .confirm_subscriber(subscriber.id, &nonce, now)
        .await?;
    if outcome == ConfirmOutcome::Invalid {
        return Err(LinkProblem::Superseded.into());
    }
    let subscriber = ctx
        .store
        .subscriber(subscriber.id)
        .await?
        .context("a confirmed subscriber vanished")?;
    let mut mobile_code_sent = false;
    if outcome == ConfirmOutcome::Confirmed {
        tracing::info!(email = %mask::email(subscriber.email.as_str()), "subscription confirmed");
        if subscriber.preferences.sms && subscriber.mobile_confirmed_at.is_none() {
            mobile_code_sent = send_mobile_code(ctx, &subscriber).await?;
        }
    }
    Ok(Confirmation {
        subscriber,
        outcome,
        mobile_code_sent,
    })
}

pub fn manage_token(ctx: &AppContext, subscriber: &Subscriber) -> String {
    manage_token_for(ctx, &subscriber.public_id, subscriber.token_version)
}

fn manage_token_for(ctx: &AppContext, public_id: &str, token_version: i64) -> String {
    ctx.signer
        .sign("manage", &[public_id, &token_version.to_string()])
}

pub fn unsubscribe_token(ctx: &AppContext, subscriber: &Subscriber) -> String {
    unsubscribe_token_for(ctx, &subscriber.public_id, subscriber.token_version)
}

fn unsubscribe_token_for(ctx: &AppContext, public_id: &str, token_version: i64) -> String {
    ctx.signer
        .sign("unsubscribe", &[public_id, &token_version.to_string()])
}

/// The resident a manage or unsubscribe link belongs to.
pub async fn subscriber_for_link(
    ctx: &AppContext,
    purpose: &str,
    token: &str,
) -> Result<Subscriber, SubscriptionError> {
    let Some(fields) = ctx.signer.verify(purpose, token) else {
        return Err(LinkProblem::Invalid.into());
    };
    let [public_id, version] = fields.as_slice() else {
        return Err(LinkProblem::Invalid.into());
    };
    match ctx.store.subscriber_by_public_id(public_id).await? {
        Some(s) if s.token_version.to_string() == *version => Ok(s),
        // Signed by us for this resident, but before their links were renewed.
        Some(s) if version.parse::<i64>().is_ok_and(|v| v < s.token_version) => {
            Err(LinkProblem::Replaced.into())
        }
        _ => Err(LinkProblem::Invalid.into()),
    }
}

pub enum PreferencesSaved {
    Saved,
    /// Saved, and a code was texted to a new mobile number.
    SavedMobileCodeSent,
}

/// Replaces a resident's preferences from the manage page.
pub async fn update_preferences(
    ctx: &AppContext,
    subscriber: &Subscriber,
    input: &SignUpInput,
) -> Result<PreferencesSaved, SubscriptionError> {
    let validated = input.validate_preferences();
    let preferences = checked(ctx, input, validated).await?;
    let now = chrono::Utc::now().timestamp();
    ctx.store
        .update_preferences(subscriber.id, &preferences, now)
        .await?;
    let updated = ctx
        .store
        .subscriber(subscriber.id)
        .await?
        .context("an updated subscriber vanished")?;
    if updated.status == SubscriberStatus::Active
        && updated.preferences.sms
        && updated.mobile_confirmed_at.is_none()
        && updated.mobile_code_hash.is_none()
        && send_mobile_code(ctx, &updated).await?
    {
        return Ok(PreferencesSaved::SavedMobileCodeSent);
    }
    Ok(PreferencesSaved::Saved)
}

/// Texts a new confirmation code, unless this resident or this number has had as many codes as
/// an hour allows: a code is a text anyone could ask us to send to any number.
async fn send_mobile_code(
    ctx: &AppContext,
    subscriber: &Subscriber,
) -> Result<bool, SubscriptionError> {
    let Some(mobile) = &subscriber.preferences.mobile else {
        return Ok(false);
    };
    let allowed = ctx.limiter.allow(
        &format!("mobile-code:{}", subscriber.public_id),
        MOBILE_CODES_PER_HOUR,
    ) && ctx.limiter.allow(
        &format!("mobile-code-number:{}", mobile.as_str()),
        MOBILE_CODES_PER_HOUR,
    );
    if !allowed {
        tracing::warn!(to = %mask::phone(mobile.as_str()), "mobile code not sent: hourly limit reached");
        return Ok(false);
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let minutes = ctx.settings.limits.mobile_code_minutes;
    let now = chrono::Utc::now().timestamp();
    let text = messages::mobile_code(subscriber.id, mobile.as_str(), &code, minutes)?;
    ctx.store
        .set_mobile_code(
            subscriber.id,
            &code_hash(&subscriber.public_id, &code),
            now,
            now + minutes * 60,
            &text,
        )
        .await?;
    ctx.outbound_wakeup.notify_one();
    Ok(true)
}

fn code_hash(public_id: &str, code: &str) -> String {
    sha256_hex(&format!("{public_id}:{code}"))
}

/// Sends a fresh code, a few times an hour at most.
pub async fn resend_mobile_code(
    ctx: &AppContext,
    subscriber: &Subscriber,
) -> Result<(), SubscriptionError> {
    if send_mobile_code(ctx, subscriber).await? {
        Ok(())
    } else {
        Err(SubscriptionError::RateLimited)
    }
}

/// Why a mobile confirmation code was not accepted, in words for the resident.
#[derive(Debug, thiserror::Error)]
pub enum MobileCodeError {
    #[error("Enter the 6-digit code from the text message")]
    NotACode,
    #[error("There is no code waiting to be entered: ask for a new code")]
    NoneWaiting,
    #[error("You have entered a wrong code too many times: ask for a new code")]
    TooManyTries,
    #[error("This code has expired: ask for a new code")]
    Expired,
    #[error("That code is not right: check the text message and try again")]
    Wrong,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<StoreError> for MobileCodeError {
    fn from(error: StoreError) -> Self {
        MobileCodeError::Unexpected(anyhow::Error::from(error).context("checking a mobile code"))
    }
}

/// Checks a mobile confirmation code. Each try is counted before the code is compared, in one
/// statement, so parallel guesses cannot get past the limit.
pub async fn confirm_mobile(
    ctx: &AppContext,
    subscriber: &Subscriber,
    code: &str,
) -> Result<(), MobileCodeError> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MobileCodeError::NotACode);
    }
    if subscriber.mobile_code_hash.is_none() {
        return Err(MobileCodeError::NoneWaiting);
    }
    let Some((hash, expires)) = ctx
        .store
        .take_mobile_code_attempt(subscriber.id, ctx.settings.limits.mobile_code_attempts)
        .await?
    else {
        return Err(MobileCodeError::TooManyTries);
    };
    let now = chrono::Utc::now().timestamp();
    if now > expires {
        return Err(MobileCodeError::Expired);
    }
    if !same(&code_hash(&subscriber.public_id, &code), &hash) {
        return Err(MobileCodeError::Wrong);
    }
    ctx.store.confirm_mobile(subscriber.id, now).await?;
    Ok(())
}

pub async fn unsubscribe(
    ctx: &AppContext,
    subscriber: &Subscriber,
) -> Result<(), SubscriptionError> {
    ctx.store
        .unsubscribe(subscriber.id, chrono::Utc::now().timestamp())
        .await?;
    tracing::info!(email = %mask::email(subscriber.email.as_str()), "unsubscribed");
    Ok(())
}

/// Everything Beacon holds about a resident, as they may download it.
pub async fn export(
    ctx: &AppContext,
    subscriber: &Subscriber,
) -> Result<serde_json::Value, SubscriptionError> {
    let mut places = Vec::new();
    for place in &subscriber.preferences.places {
        let location = ctx.store.find_postcode(place.postcode.as_str()).await?;
        places.push(serde_json::json!({
            "postcode": place.postcode,
            "label": place.label,
            "district": location.as_ref().and_then(|l| l.district_name.clone().or(l.district_code.clone())),
        }));
    }
    let iso = |t: Option<i64>| {
        t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
    };
    let messages: Vec<serde_json::Value> = ctx
        .store
        .outbound_history(subscriber.id)
        .await?
        .into_iter()
        .map(|m| {
            serde_json::json!({
                "channel": m.channel,
                "what": m.purpose,
                "queued_at": iso(Some(m.created_at)),
                "sent_at": iso(m.sent_at),
                "failed_at": iso(m.failed_at),
            })
        })
        .collect();
    let feedback: Vec<serde_json::Value> = ctx
        .store
        .subscriber_feedback(subscriber.id)
        .await?
        .into_iter()
        .map(|(alert, what, at)| {
            serde_json::json!({ "alert": format!("Alert {alert}"), "what": what, "at": iso(Some(at)) })
        })
        .collect();
    let mut threads = Vec::new();
    for thread in ctx.store.reply_threads_of(subscriber.id).await? {
        // What the resident and the contact centre said to each other; never internal notes.
        let messages: Vec<serde_json::Value> = ctx
            .store
            .messages_after(thread.id, 0, false)
            .await?
            .into_iter()
            .map(|m| {
                serde_json::json!({
                    "from": match (m.author(), &m.staff_name) {
                        (Author::Resident, _) => "you".to_owned(),
                        (Author::Operator, Some(name)) => first_name(name).to_owned(),
                        _ => thread.provider_name.clone(),
                    },
                    "message": m.body,
                    "at": iso(Some(m.created_at)),
                })
            })
            .collect();
        threads.push(serde_json::json!({
            "alert": thread.alert_id.map(|a| format!("Alert {a}")),
            "about": thread.topic,
            "with": thread.provider_name,
            "state": thread.state,
            "started_at": iso(Some(thread.created_at)),
            "messages": messages,
        }));
    }
    // Answers to surveys that are not anonymous (an anonymous answer has nothing linking it
    // to the resident, so it is neither here nor erased with them).
    let surveys: Vec<serde_json::Value> = super::surveys::resident_answers(ctx, subscriber.id)
        .await?
        .into_iter()
        .map(|(survey, at, answers)| {
            serde_json::json!({
                "survey": survey,
                "answered_at": iso(Some(at)),
                "answers": answers
                    .into_iter()
                    .map(|(question, answer)| serde_json::json!({ "question": question, "answer": answer }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "email": subscriber.email,
        "status": subscriber.status,
        "name": subscriber.preferences.name,
        "mobile": subscriber.preferences.mobile,
        "mobile_confirmed_at": iso(subscriber.mobile_confirmed_at),
        "places": places,
        "providers": subscriber.preferences.providers,
        "message_types": subscriber.preferences.message_types,
        "channels": { "email": subscriber.preferences.email, "sms": subscriber.preferences.sms },
        "sms_min_priority": subscriber.preferences.sms_min_priority,
        "quiet_hours": subscriber.preferences.quiet_hours.map(|q| serde_json::json!({
            "start": q.start.format("%H:%M").to_string(),
            "end": q.end.format("%H:%M").to_string(),
        })),
        "email_format": subscriber.preferences.email_format,
        "signed_up_at": iso(Some(subscriber.created_at)),
        "confirmed_at": iso(subscriber.confirmed_at),
        "unsubscribed_at": iso(subscriber.unsubscribed_at),
        "updated_at": iso(Some(subscriber.updated_at)),
        "messages_sent_to_you": messages,
        "your_ratings_and_replies": feedback,
        "your_conversations_about_alerts": threads,
        "your_survey_answers": surveys,
        "your_neighbourhood_watch_schemes": super::schemes::memberships(ctx, subscriber.id).await?,
        "your_reports": super::reporter_data::reporter_data(ctx, &subscriber.email)
            .await
            .map_err(|error| anyhow::Error::from(error).context("reading a reporter's reports"))?,
    }))
}

/// Erases a resident: their subscription, their conversations with the contact centre about
/// alerts, and the reports they made with the same address (`reporter_data::erase_reporter`).
pub async fn erase(ctx: &AppContext, subscriber: &Subscriber) -> Result<(), SubscriptionError> {
    // Before the resident: erasing them would only unlink their threads (ON DELETE SET NULL),
    // leaving what they wrote.
    ctx.store.erase_reply_threads(subscriber.id).await?;
    super::reporter_data::erase_reporter(ctx, &subscriber.email)
        .await
        .map_err(|error| anyhow::Error::from(error).context("erasing a reporter's reports"))?;
    ctx.store.erase_subscriber(subscriber.id).await?;
    tracing::info!(email = %mask::email(subscriber.email.as_str()), "account erased");
    Ok(())
}

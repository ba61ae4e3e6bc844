//! A survey's public page: anyone with a postcode in the area asks for their own link to answer
//! it, emailed to the address they give; the link says who answers (a signed-up resident, or
//! the keyed hash of the address) and from which district, so one answer is kept per confirmed
//! address. Rate limited as sign-ups are.

use super::messages::sender_domain;
use super::surveys::last_day;
use super::tokens::random_id;
use super::AppContext;
use crate::delivery::email::EmailMessage;
use crate::store::{NewOutbound, OutboundChannel, Respondent, Survey};
use askama::Template;

/// How long a link to answer a survey's public page works, in seconds.
pub const PUBLIC_LINK_SECONDS: i64 = 7 * 86_400;

/// Why someone on a survey's public page was not sent a link.
#[derive(Debug, thiserror::Error)]
pub enum PublicLinkError {
    /// By field (`email`, `postcode`), in words.
    #[error("there are problems with the form")]
    Invalid(Vec<(&'static str, String)>),
    #[error("too many requests")]
    RateLimited,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A survey anyone may answer through its public page, if `id` is one (closed or not).
pub async fn public_survey(ctx: &AppContext, id: i64) -> anyhow::Result<Option<Survey>> {
    Ok(ctx.store.survey(id).await?.filter(|s| s.public_page))
}

/// The signed link token for `respondent` (`r` and a resident's public id, or `e` and a
/// confirmed address's keyed hash: no `:`, which the signer's fields may not hold) to answer survey `id` from `district`, working until
/// `expires`.
pub fn public_link_token(
    ctx: &AppContext,
    id: i64,
    respondent: &str,
    district: &str,
    expires: i64,
) -> String {
    ctx.signer.sign(
        "survey-answer",
        &[&id.to_string(), respondent, district, &expires.to_string()],
    )
}

/// Checks the public page's form (an email address, and a postcode in the area Beacon covers)
/// and emails the address its own link to answer; one answer per confirmed address, whatever
/// the link used. Rate limited per client address and per email address as sign-ups are.
pub async fn request_public_link(
    ctx: &AppContext,
    survey: &Survey,
    raw_email: &str,
    raw_postcode: &str,
    client_ip: &str,
) -> Result<(), PublicLinkError> {
    let mut problems = Vec::new();
    let email = match crate::domain::EmailAddress::parse(raw_email) {
        Ok(email) => Some(email),
        Err(problem) => {
            problems.push(("email", problem.to_string()));
            None
        }
    };
    let place = match super::postcodes::look_up(ctx, raw_postcode).await {
        Ok(place) => Some(place),
        Err(super::postcodes::LookupError::Unexpected(error)) => return Err(error.into()),
        Err(super::postcodes::LookupError::Place(
            super::postcodes::PlaceProblem::OutsideArea {
                postcode,
                covered_by,
                ..
            },
        )) => {
            problems.push((
                "postcode",
                format!(
                    "The postcode {postcode} is outside the area {covered_by} covers: this survey is for people who live or work in it"
                ),
            ));
            None
        }
        Err(problem) => {
            problems.push(("postcode", problem.to_string()));
            None
        }
    };
    let (Some(email), Some(place)) = (email, place) else {
        return Err(PublicLinkError::Invalid(problems));
    };
    let limits = &ctx.settings.limits;
    if !ctx.limiter.allow(
        &format!("survey-link-ip:{client_ip}"),
        limits.signups_per_ip_per_hour,
    ) || !ctx.limiter.allow(
        &format!("survey-link-email:{}", email.key()),
        limits.signups_per_email_per_hour,
    ) {
        tracing::warn!(survey = survey.id, "survey link request rate limited");
        return Err(PublicLinkError::RateLimited);
    }
    // A signed-up resident's address answers as the resident (one answer, whichever link they
    // use; in their data download and erasure); anyone else's by its keyed hash.
    let resident = ctx
        .store
        .subscriber_by_email_key(&email.key())
        .await
        .map_err(anyhow::Error::from)?;
    let respondent = match resident {
        Some(resident) if resident.status == crate::store::SubscriberStatus::Active => {
            format!("r{}", resident.public_id)
        }
        _ => format!(
            "e{}",
            super::chat::keyed_hash(ctx, "survey-email", &email.key())
        ),
    };
    let expires = chrono::Utc::now().timestamp() + PUBLIC_LINK_SECONDS;
    let district = place.district_code.unwrap_or_default();
    let token = public_link_token(ctx, survey.id, &respondent, &district, expires);
    let link = ctx.link(&format!("/surveys/{}/answer/{token}", survey.id));
    queue_link_email(ctx, email.as_str(), survey, &link).await?;
    tracing::info!(survey = survey.id, "survey link sent");
    Ok(())
}

/// Who a public-page link is for: (the survey, the respondent, their district); None if the
/// token does not verify, is another survey's, has expired, or is a resident's who has left.
pub async fn public_link(
    ctx: &AppContext,
    id: i64,
    token: &str,
) -> anyhow::Result<Option<(Survey, Respondent, String)>> {
    let Some(fields) = ctx.signer.verify("survey-answer", token) else {
        return Ok(None);
    };
    let [survey_id, respondent, district, expires] = fields.as_slice() else {
        return Ok(None);
    };
    if survey_id.parse::<i64>().ok() != Some(id)
        || expires
            .parse::<i64>()
            .map_or(true, |at| at <= chrono::Utc::now().timestamp())
    {
        return Ok(None);
    }
    let respondent = match (respondent.get(..1), respondent.get(1..)) {
        (Some("e"), Some(key)) if !key.is_empty() => Respondent::Email(key.to_owned()),
        (Some("r"), Some(public_id)) => match ctx.store.subscriber_by_public_id(public_id).await? {
            Some(resident) if resident.status == crate::store::SubscriberStatus::Active => {
                Respondent::Resident(resident.id)
            }
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some(survey) = public_survey(ctx, id).await? else {
        return Ok(None);
    };
    Ok(Some((survey, respondent, district.clone())))
}

/// What the email holding someone's link to a survey's public page says.
struct LinkLetter<'a> {
    title: &'a str,
    organisation: &'a str,
    link: &'a str,
    last_day: String,
    anonymous: bool,
}

#[derive(Template)]
#[template(path = "email/survey_link.txt")]
struct LinkText<'a> {
    letter: &'a LinkLetter<'a>,
}

#[derive(Template)]
#[template(path = "email/survey_link.html")]
struct LinkHtml<'a> {
    letter: &'a LinkLetter<'a>,
}

/// Queues the email holding someone's link to answer a survey's public page.
async fn queue_link_email(
    ctx: &AppContext,
    to: &str,
    survey: &Survey,
    link: &str,
) -> anyhow::Result<()> {
    let letter = LinkLetter {
        title: &survey.title,
        organisation: &survey.provider_name,
        link,
        last_day: last_day(survey),
        anonymous: survey.anonymous,
    };
    let text = LinkText { letter: &letter }.render()?;
    let html = LinkHtml { letter: &letter }.render()?;
    let message = EmailMessage {
        to_name: String::new(),
        to: to.to_owned(),
        subject: format!("Your link to answer the survey: {}", survey.title),
        text,
        html: Some(html),
        unsubscribe_url: None,
        message_id: format!("<survey-link.{}@{}>", random_id(), sender_domain(ctx)),
        list_id: None,
    };
    let outbound = NewOutbound {
        subscriber_id: None,
        channel: OutboundChannel::Email,
        purpose: "survey-link".to_owned(),
        payload: serde_json::to_string(&message)?,
    };
    ctx.store
        .enqueue_outbound(&outbound, chrono::Utc::now().timestamp())
        .await?;
    ctx.outbound_wakeup.notify_one();
    Ok(())
}

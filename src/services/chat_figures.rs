//! The contact centre's figures on live web chats: the staff dashboard's (an organisation's
//! chats over the last four weeks) and the one the public contact page gives (last calendar
//! month's average first response, or nothing when there were no answered chats). The
//! arithmetic is `domain::conversation::figures`.

use super::AppContext;
use crate::domain::conversation::figures::{
    self, previous_month, seconds_words, uk_midnight, ChatFigures,
};
use anyhow::Context;
use chrono::Duration;

/// Days the staff dashboard covers, today included.
pub const DASHBOARD_DAYS: i64 = 28;

/// An organisation's chat figures over the last `DASHBOARD_DAYS` days (UK days, today
/// included).
pub async fn dashboard(ctx: &AppContext, provider_id: i64) -> anyhow::Result<ChatFigures> {
    let now = chrono::Utc::now();
    let today = now.with_timezone(&chrono_tz::Europe::London).date_naive();
    let first = today - Duration::days(DASHBOARD_DAYS - 1);
    let chats = ctx
        .store
        .chat_timings(provider_id, uk_midnight(first), now.timestamp() + 1)
        .await
        .context("reading chat times")?;
    Ok(figures::figures(&chats, first, DASHBOARD_DAYS))
}

/// The organisation whose operators answer live chats (`[chat] provider`, or the first).
async fn chat_provider(ctx: &AppContext) -> anyhow::Result<Option<i64>> {
    let providers = ctx.store.providers().await.context("listing providers")?;
    let wanted = &ctx.settings.chat.provider;
    Ok(providers
        .iter()
        .find(|p| !wanted.is_empty() && p.slug == *wanted)
        .or_else(|| providers.first())
        .map(|p| p.id))
}

/// The sentence for the contact page, from last calendar month's (UK time) live chats: "Last
/// month our average response time on web chat was 27 seconds." None when no chat was
/// answered then: no figure rather than a made-up one.
pub async fn public_figure(ctx: &AppContext) -> anyhow::Result<Option<String>> {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let (first, next) = previous_month(today);
    let Some(provider) = chat_provider(ctx).await? else {
        return Ok(None);
    };
    let chats = ctx
        .store
        .chat_timings(provider, uk_midnight(first), uk_midnight(next))
        .await
        .context("reading last month's chat times")?;
    let days = (next - first).num_days();
    let average = figures::figures(&chats, first, days).first_response.average;
    Ok(average.map(|seconds| {
        format!(
            "Last month our average response time on web chat was {}.",
            seconds_words(seconds)
        )
    }))
}

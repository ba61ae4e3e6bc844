//! The public archive's feeds: which alerts each feed holds (everything, or one district's,
//! organisation's or kind of message's), and the alert a CAP document describes. Rendering them
//! as Atom, JSON Feed or CAP is `crate::feeds`' job.

use super::AppContext;
use crate::store::{ArchiveFilter, PublicAlert, StoreResult, Timestamp};

/// Entries in a feed.
const FEED_ENTRIES: i64 = 50;

/// A feed's alerts, newest first, and when the archive last changed.
pub struct FeedAlerts {
    pub alerts: Vec<PublicAlert>,
    pub changed_at: Timestamp,
}

/// What a narrowed feed is about, as its title and the archive page it mirrors name it.
pub struct Narrowed {
    pub title: String,
    /// The archive page showing the same alerts.
    pub page: String,
    pub alerts: FeedAlerts,
}

/// Which part of the archive a narrowed feed follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narrowing {
    District,
    Provider,
    MessageType,
}

/// The newest alerts in the whole archive.
pub async fn whole(ctx: &AppContext) -> StoreResult<FeedAlerts> {
    alerts(ctx, ArchiveFilter::default()).await
}

/// The newest alerts for one district, organisation or kind of message (`key` is its code or
/// slug); `None` when there is no such thing.
pub async fn narrowed(
    ctx: &AppContext,
    narrowing: Narrowing,
    key: &str,
) -> StoreResult<Option<Narrowed>> {
    let mut filter = ArchiveFilter::default();
    let (title, page) = match narrowing {
        Narrowing::District => {
            let districts = ctx.store.districts().await?;
            let Some(district) = districts.iter().find(|d| d.code == key) else {
                return Ok(None);
            };
            filter.district = Some(district.code.clone());
            let name = district
                .name
                .clone()
                .unwrap_or_else(|| district.code.clone());
            (
                format!("Alerts for {name}"),
                format!("/alerts?place={}", district.code),
            )
        }
        Narrowing::Provider => {
            let providers = ctx.store.providers().await?;
            let Some(provider) = providers.iter().find(|p| p.slug == key) else {
                return Ok(None);
            };
            filter.provider = Some(provider.slug.clone());
            (
                format!("Alerts from {}", provider.name),
                format!("/alerts?provider={}", provider.slug),
            )
        }
        Narrowing::MessageType => {
            let types = ctx.store.message_types().await?;
            let Some(message_type) = types.iter().find(|t| t.slug == key) else {
                return Ok(None);
            };
            filter.message_type = Some(message_type.slug.clone());
            (
                format!("{} alerts", message_type.name),
                format!("/alerts?type={}", message_type.slug),
            )
        }
    };
    Ok(Some(Narrowed {
        title,
        page,
        alerts: alerts(ctx, filter).await?,
    }))
}

async fn alerts(ctx: &AppContext, filter: ArchiveFilter) -> StoreResult<FeedAlerts> {
    let filter = ArchiveFilter {
        limit: FEED_ENTRIES,
        ..filter
    };
    let alerts = ctx
        .store
        .public_alerts(&filter)
        .await?
        .into_iter()
        .map(|hit| hit.alert)
        .collect();
    let changed_at = ctx.store.archive_changed_at().await?;
    Ok(FeedAlerts { alerts, changed_at })
}

/// A public alert for its CAP document (`number` as typed in the address), and the alert it
/// follows up, if that is public too.
pub async fn cap_alert(
    ctx: &AppContext,
    number: &str,
) -> StoreResult<Option<(PublicAlert, Option<PublicAlert>)>> {
    let Some(alert) = super::archive::public_alert(ctx, number).await? else {
        return Ok(None);
    };
    let original = match alert.follows_alert_id {
        Some(id) => ctx.store.public_alert(id).await?,
        None => None,
    };
    Ok(Some((alert, original)))
}

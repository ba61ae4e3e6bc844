//! Feeds of the public archive: Atom and JSON Feed for everything and for each district,
//! organisation and kind of message; each alert as an OASIS CAP 1.2 document; an Atom index of
//! the CAP documents.

use super::archive::cached;
use super::error::WebResult;
use super::views;
use super::AppState;
use crate::feeds::{self, FeedInfo};
use crate::store::ArchiveFilter;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// Entries in a feed.
const FEED_ENTRIES: i64 = 50;

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "Feed not found",
            &[&format!("There is no feed for {what}.")],
            Some(("/alerts", "See all alerts")),
        ),
    )
        .into_response()
}

/// The host part of the public URL, for CAP identifiers and the sender address.
fn host(ctx: &AppState) -> String {
    let url = &ctx.settings.server.public_url;
    let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
    rest.split(['/', ':']).next().unwrap_or("beacon").to_owned()
}

fn base_url(ctx: &AppState) -> String {
    ctx.settings
        .server
        .public_url
        .trim_end_matches('/')
        .to_owned()
}

/// `GET /alerts/{id}.cap.xml`.
pub async fn cap(ctx: &AppState, headers: &HeaderMap, number: &str) -> WebResult<Response> {
    let alert = match number.parse::<i64>() {
        Ok(id) => ctx.store.public_alert(id).await?,
        Err(_) => None,
    };
    let Some(alert) = alert else {
        return Ok(not_found("that alert"));
    };
    let original = match alert.follows_alert_id {
        Some(id) => ctx.store.public_alert(id).await?,
        None => None,
    };
    let xml = feeds::cap(
        &alert,
        original.as_ref(),
        &base_url(ctx),
        &format!("alerts@{}", host(ctx)),
    );
    Ok(cached(
        headers,
        "application/cap+xml; charset=utf-8",
        alert.sent_at,
        xml.into_bytes(),
    ))
}

/// `GET /feeds/{file}`: `all.atom`, `all.json` and `cap.atom`.
pub async fn whole(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> WebResult<Response> {
    let filter = ArchiveFilter {
        limit: FEED_ENTRIES,
        ..ArchiveFilter::default()
    };
    match file.as_str() {
        "all.atom" | "all.json" => {
            let format = file.rsplit('.').next().unwrap_or_default().to_owned();
            feed(
                &ctx,
                &headers,
                filter,
                "All alerts",
                "/alerts",
                &file,
                &format,
            )
            .await
        }
        "cap.atom" => {
            let alerts = alerts(&ctx, &filter).await?;
            let info = info(&ctx, "Alerts as CAP 1.2", "/alerts", "/feeds/cap.atom");
            let body = feeds::cap_index(&info, &alerts, &base_url(&ctx));
            let changed = ctx.store.archive_changed_at().await?;
            Ok(cached(
                &headers,
                "application/atom+xml; charset=utf-8",
                changed,
                body.into_bytes(),
            ))
        }
        _ => Ok(not_found("that name")),
    }
}

/// `GET /feeds/{kind}/{file}`: `district/E07000008.atom`, `provider/report-fraud.json`,
/// `type/scam-warning.atom`.
pub async fn narrowed(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    Path((kind, file)): Path<(String, String)>,
) -> WebResult<Response> {
    let Some((key, format)) = file
        .rsplit_once('.')
        .filter(|(_, f)| matches!(*f, "atom" | "json"))
    else {
        return Ok(not_found("that name"));
    };
    let mut filter = ArchiveFilter {
        limit: FEED_ENTRIES,
        ..ArchiveFilter::default()
    };
    let (title, page) = match kind.as_str() {
        "district" => {
            let districts = ctx.store.districts().await?;
            let Some(district) = districts.iter().find(|d| d.code == key) else {
                return Ok(not_found("that district"));
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
        "provider" => {
            let providers = ctx.store.providers().await?;
            let Some(provider) = providers.iter().find(|p| p.slug == key) else {
                return Ok(not_found("that organisation"));
            };
            filter.provider = Some(provider.slug.clone());
            (
                format!("Alerts from {}", provider.name),
                format!("/alerts?provider={}", provider.slug),
            )
        }
        "type" => {
            let types = ctx.store.message_types().await?;
            let Some(message_type) = types.iter().find(|t| t.slug == key) else {
                return Ok(not_found("that kind of message"));
            };
            filter.message_type = Some(message_type.slug.clone());
            (
                format!("{} alerts", message_type.name),
                format!("/alerts?type={}", message_type.slug),
            )
        }
        _ => return Ok(not_found("that name")),
    };
    let path = format!("{kind}/{file}");
    feed(&ctx, &headers, filter, &title, &page, &path, format).await
}

async fn alerts(
    ctx: &AppState,
    filter: &ArchiveFilter,
) -> anyhow::Result<Vec<crate::store::PublicAlert>> {
    Ok(ctx
        .store
        .public_alerts(filter)
        .await?
        .into_iter()
        .map(|hit| hit.alert)
        .collect())
}

fn info(ctx: &AppState, title: &str, page: &str, path: &str) -> FeedInfo {
    FeedInfo {
        id_url: ctx.link(path),
        title: format!("{title} – Beacon community alerts"),
        html_url: ctx.link(page),
        updated: 0,
    }
}

async fn feed(
    ctx: &AppState,
    headers: &HeaderMap,
    filter: ArchiveFilter,
    title: &str,
    page: &str,
    file: &str,
    format: &str,
) -> WebResult<Response> {
    let alerts = alerts(ctx, &filter).await?;
    let changed = ctx.store.archive_changed_at().await?;
    let mut info = info(ctx, title, page, &format!("/feeds/{file}"));
    info.updated = alerts.first().map_or(changed, |a| a.sent_at);
    Ok(if format == "json" {
        let body = feeds::json_feed(&info, &alerts, &base_url(ctx));
        cached(
            headers,
            "application/feed+json",
            changed,
            serde_json::to_vec(&body)?,
        )
    } else {
        let body = feeds::atom(&info, &alerts, &base_url(ctx));
        cached(
            headers,
            "application/atom+xml; charset=utf-8",
            changed,
            body.into_bytes(),
        )
    })
}

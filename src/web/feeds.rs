//! Feeds of the public archive: Atom and JSON Feed for everything and for each district,
//! organisation and kind of message; each alert as an OASIS CAP 1.2 document; an Atom index of
//! the CAP documents.

use super::conditional::cached;
use super::error::WebResult;
use super::views;
use super::AppState;
use crate::feeds::{self, FeedInfo};
use crate::services::feeds::{self as feed_service, FeedAlerts, Narrowing};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

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
    let Some((alert, original)) = feed_service::cap_alert(ctx, number).await? else {
        return Ok(not_found("that alert"));
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
    match file.as_str() {
        "all.atom" | "all.json" => {
            let format = file.rsplit('.').next().unwrap_or_default().to_owned();
            let alerts = feed_service::whole(&ctx).await?;
            feed(
                &ctx,
                &headers,
                alerts,
                "All alerts",
                "/alerts",
                &file,
                &format,
            )
        }
        "cap.atom" => {
            let FeedAlerts { alerts, changed_at } = feed_service::whole(&ctx).await?;
            let info = info(&ctx, "Alerts as CAP 1.2", "/alerts", "/feeds/cap.atom");
            let body = feeds::cap_index(&info, &alerts, &base_url(&ctx));
            Ok(cached(
                &headers,
                "application/atom+xml; charset=utf-8",
                changed_at,
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
    let (narrowing, unknown) = match kind.as_str() {
        "district" => (Narrowing::District, "that district"),
        "provider" => (Narrowing::Provider, "that organisation"),
        "type" => (Narrowing::MessageType, "that kind of message"),
        _ => return Ok(not_found("that name")),
    };
    let Some(narrowed) = feed_service::narrowed(&ctx, narrowing, key).await? else {
        return Ok(not_found(unknown));
    };
    let path = format!("{kind}/{file}");
    feed(
        &ctx,
        &headers,
        narrowed.alerts,
        &narrowed.title,
        &narrowed.page,
        &path,
        format,
    )
}

fn info(ctx: &AppState, title: &str, page: &str, path: &str) -> FeedInfo {
    FeedInfo {
        id_url: ctx.link(path),
        title: format!("{title} – Beacon community alerts"),
        html_url: ctx.link(page),
        updated: 0,
    }
}

fn feed(
    ctx: &AppState,
    headers: &HeaderMap,
    FeedAlerts { alerts, changed_at }: FeedAlerts,
    title: &str,
    page: &str,
    file: &str,
    format: &str,
) -> WebResult<Response> {
    let mut info = info(ctx, title, page, &format!("/feeds/{file}"));
    info.updated = alerts.first().map_or(changed_at, |a| a.sent_at);
    Ok(if format == "json" {
        let body = feeds::json_feed(&info, &alerts, &base_url(ctx));
        cached(
            headers,
            "application/feed+json",
            changed_at,
            serde_json::to_vec(&body)?,
        )
    } else {
        let body = feeds::atom(&info, &alerts, &base_url(ctx));
        cached(
            headers,
            "application/atom+xml; charset=utf-8",
            changed_at,
            body.into_bytes(),
        )
    })
}

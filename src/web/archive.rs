//! The public archive on the web: the list of sent alerts with search and filters, each alert's
//! own page, and the same through the public JSON API. Public responses carry an ETag and
//! Last-Modified and answer a matching conditional request with 304.

use super::conditional::cached;
use super::error::{api_problem, WebResult};
use super::views;
use super::AppState;
use crate::services::archive::{self, ArchiveError, ArchiveQuery, FilterProblem};
use crate::services::messages::alert_reference;
use crate::store::{ArchiveHit, PublicAlert};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use serde_json::json;

fn html(request: &HeaderMap, last_modified: i64, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => cached(
            request,
            "text/html; charset=utf-8",
            last_modified,
            body.into_bytes(),
        ),
        Err(error) => {
            tracing::error!(error = %error, "template failed");
            views::render(page)
        }
    }
}

fn uk_date(timestamp: i64) -> (String, String) {
    let time = chrono::DateTime::from_timestamp(timestamp, 0).unwrap_or_default();
    let local = time.with_timezone(&chrono_tz::Europe::London);
    (
        local.format("%-d %B %Y, %H:%M").to_string(),
        local.to_rfc3339(),
    )
}

/// One alert in the list, ready for the template.
struct HitView {
    id: i64,
    title: String,
    provider: String,
    message_type: String,
    sent: String,
    sent_iso: String,
    area: String,
    summary: String,
    snippet_html: Option<String>,
    imported_from: Option<String>,
}

impl HitView {
    fn of(hit: &ArchiveHit) -> HitView {
        let alert = &hit.alert;
        let (mut sent, sent_iso) = uk_date(alert.sent_at);
        if date_unknown(alert) {
            sent = "date unknown".into();
        }
        HitView {
            id: alert.id,
            title: alert.title.clone(),
            provider: alert.provider_name.clone(),
            message_type: alert.message_type_name.clone(),
            sent,
            sent_iso,
            area: alert.area.clone(),
            summary: summary(alert),
            snippet_html: hit.snippet.as_deref().map(archive::snippet_html),
            imported_from: alert.imported_from.clone(),
        }
    }
}

/// The start of the body in plain text, about two lines.
fn summary(alert: &PublicAlert) -> String {
    let text = crate::domain::alert::render_markdown(&alert.body_markdown).text;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 220 {
        flat
    } else {
        let cut: String = flat.chars().take(220).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        format!("{cut}…")
    }
}

#[derive(Template)]
#[template(path = "pages/archive.html")]
struct ArchivePage {
    heading: String,
    problems: Vec<FilterProblem>,
    q: String,
    place: String,
    from: String,
    to: String,
    providers: Vec<(String, String, bool)>,
    types: Vec<(String, String, bool)>,
    hits: Vec<HitView>,
    next_url: Option<String>,
    atom_url: String,
    json_url: String,
}

/// `GET /alerts`.
pub async fn archive_page(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ArchiveQuery>,
) -> WebResult<Response> {
    let archive::Browse { catalogue, listing } = archive::browse(&ctx, &query).await?;
    let (providers, types) = (catalogue.providers, catalogue.message_types);
    let (hits, next, problems, filter, changed) = match listing {
        Ok(listing) => (
            listing.hits,
            listing.next,
            Vec::new(),
            Some(listing.filter),
            listing.changed_at,
        ),
        Err(problems) => (Vec::new(), None, problems, None, 0),
    };
    // Feeds for what is being looked at, where there is one; the whole archive's otherwise.
    let (atom_url, json_url) = match &filter {
        Some(f) if f.district.is_some() => {
            let code = f.district.as_deref().unwrap_or_default();
            (
                format!("/feeds/district/{code}.atom"),
                format!("/feeds/district/{code}.json"),
            )
        }
        Some(f) if f.provider.is_some() => {
            let slug = f.provider.as_deref().unwrap_or_default();
            (
                format!("/feeds/provider/{slug}.atom"),
                format!("/feeds/provider/{slug}.json"),
            )
        }
        Some(f) if f.message_type.is_some() => {
            let slug = f.message_type.as_deref().unwrap_or_default();
            (
                format!("/feeds/type/{slug}.atom"),
                format!("/feeds/type/{slug}.json"),
            )
        }
        _ => ("/feeds/all.atom".to_owned(), "/feeds/all.json".to_owned()),
    };
    let next_url = next.map(|cursor| {
        let mut params = vec![
            ("q", query.q.as_str()),
            ("place", query.place.as_str()),
            ("provider", query.provider.as_str()),
            ("type", query.message_type.as_str()),
            ("from", query.from.as_str()),
            ("to", query.to.as_str()),
        ];
        params.retain(|(_, v)| !v.trim().is_empty());
        params.push(("cursor", cursor.as_str()));
        format!(
            "/alerts?{}",
            serde_html_form::to_string(&params).unwrap_or_default()
        )
    });
    let page = ArchivePage {
        heading: if query.q.trim().is_empty() {
            "Alerts".to_owned()
        } else {
            "Search results".to_owned()
        },
        q: query.q.clone(),
        place: query.place.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        providers: providers
            .iter()
            .map(|p| (p.slug.clone(), p.name.clone(), p.slug == query.provider))
            .collect(),
        types: types
            .iter()
            .map(|t| (t.slug.clone(), t.name.clone(), t.slug == query.message_type))
            .collect(),
        hits: hits.iter().map(HitView::of).collect(),
        next_url,
        atom_url,
        json_url,
        problems: problems.clone(),
    };
    if !problems.is_empty() {
        return Ok((StatusCode::BAD_REQUEST, views::render(&page)).into_response());
    }
    Ok(html(&headers, changed, &page))
}

#[derive(Template)]
#[template(path = "pages/alert.html")]
struct AlertPage {
    id: i64,
    title: String,
    provider: String,
    message_type: String,
    sent: String,
    sent_iso: String,
    reference: String,
    body_html: String,
    /// Empty for an imported alert whose source gave no sign-off.
    signoff: Vec<String>,
    area: String,
    follow: Option<(String, String)>,
    imported_from: Option<String>,
    /// For an imported alert: what the source named differently and what was inferred.
    import_note: Option<String>,
    date_known: bool,
    /// A scam warning links to the scam checker.
    scam_warning: bool,
    share_email: String,
    share_whatsapp: String,
    share_facebook: String,
    share_x: String,
}

fn alert_not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        views::message_page(
            "Alert not found",
            &["There is no public alert at this address."],
            Some(("/alerts", "See all alerts")),
        ),
    )
        .into_response()
}

/// `GET /alerts/{id}`, and `GET /alerts/{id}.cap.xml` (the CAP 1.2 document).
pub async fn alert_page(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> WebResult<Response> {
    if let Some(number) = id.strip_suffix(".cap.xml") {
        return super::feeds::cap(&ctx, &headers, number).await;
    }
    let Some(alert) = archive::public_alert(&ctx, &id).await? else {
        return Ok(alert_not_found());
    };
    let id = alert.id;
    let rendered = crate::domain::alert::render_markdown(&alert.body_markdown);
    let (sent, sent_iso) = uk_date(alert.sent_at);
    let url = ctx.link(&format!("/alerts/{id}"));
    let encode =
        |s: &str| serde_html_form::to_string([("", s)]).unwrap_or_default()[1..].to_owned();
    let text = format!("{} {url}", alert.title);
    let page = AlertPage {
        id,
        title: alert.title.clone(),
        provider: alert.provider_name.clone(),
        message_type: alert.message_type_name.clone(),
        sent,
        sent_iso,
        reference: alert_reference(id),
        body_html: rendered.html,
        signoff: signoff_lines(&alert.signoff),
        area: alert.area.clone(),
        follow: alert.follows_alert_id.map(|original| {
            let text = match alert.follow_up.as_deref() {
                Some("cancel") => format!("This withdraws alert {original}"),
                _ => format!("This updates alert {original}"),
            };
            (format!("/alerts/{original}"), text)
        }),
        imported_from: alert.imported_from.clone(),
        import_note: import_note(&alert),
        date_known: !date_unknown(&alert),
        scam_warning: alert.message_type_slug == "scam-warning",
        share_email: format!(
            "mailto:?subject={}&body={}",
            encode(&alert.title),
            encode(&url)
        ),
        share_whatsapp: format!("https://wa.me/?text={}", encode(&text)),
        share_facebook: format!(
            "https://www.facebook.com/sharer/sharer.php?u={}",
            encode(&url)
        ),
        share_x: format!("https://x.com/intent/post?text={}", encode(&text)),
    };
    Ok(html(&headers, alert.sent_at, &page))
}

/// Whether an imported alert's date is the import's, its source having given none.
fn date_unknown(alert: &PublicAlert) -> bool {
    alert.imported_inferred.iter().any(|i| i == "date")
}

/// The sign-off's lines, or none at all where there is nobody to name.
fn signoff_lines(signoff: &crate::domain::alert::SignOff) -> Vec<String> {
    let lines = signoff.lines();
    if lines[1].is_empty() && lines[2].is_empty() {
        return Vec::new();
    }
    lines.into_iter().filter(|l| !l.is_empty()).collect()
}

/// What a reader should know of an imported alert: the provider's name in the source, and what
/// Beacon inferred because the source did not say.
fn import_note(alert: &PublicAlert) -> Option<String> {
    alert.imported_from.as_ref()?;
    let mut sentences = Vec::new();
    let provider_unknown = alert.imported_inferred.iter().any(|i| i == "provider");
    if let Some(original) = &alert.imported_provider {
        sentences.push(if provider_unknown {
            format!(
                "The source names the provider “{original}”, which Beacon does not know: it is \
                 filed under {}.",
                alert.provider_name
            )
        } else {
            format!(
                "The source names the provider “{original}”, now {}.",
                alert.provider_name
            )
        });
    }
    let inferred: Vec<&str> = alert
        .imported_inferred
        .iter()
        .filter_map(|i| match i.as_str() {
            "provider" if alert.imported_provider.is_none() => Some("the provider"),
            "message_type" => Some("the message type"),
            "title" => Some("the title"),
            _ => None,
        })
        .collect();
    if !inferred.is_empty() {
        sentences.push(format!(
            "The source does not give {}: Beacon inferred {} from its content.",
            inferred.join(" or "),
            if inferred.len() == 1 { "it" } else { "them" },
        ));
    }
    if date_unknown(alert) {
        sentences
            .push("The source gives no date: the date shown is the day it was imported.".into());
    }
    (!sentences.is_empty()).then(|| sentences.join(" "))
}

/// `GET /a/{id}`: the short link in texts.
pub async fn short_link(Path(id): Path<String>) -> Response {
    match id.parse::<i64>() {
        Ok(id) => Redirect::permanent(&format!("/alerts/{id}")).into_response(),
        Err(_) => alert_not_found(),
    }
}

/// An alert as the public JSON API gives it.
pub fn alert_json(ctx: &AppState, alert: &PublicAlert, snippet: Option<&str>) -> serde_json::Value {
    let rendered = crate::domain::alert::render_markdown(&alert.body_markdown);
    let sent = chrono::DateTime::from_timestamp(alert.sent_at, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "id": alert.id,
        "reference": alert_reference(alert.id),
        "url": ctx.link(&format!("/alerts/{}", alert.id)),
        "cap_url": ctx.link(&format!("/alerts/{}.cap.xml", alert.id)),
        "title": alert.title,
        "provider": { "slug": alert.provider_slug, "name": alert.provider_name },
        "message_type": { "slug": alert.message_type_slug, "name": alert.message_type_name },
        "priority": alert.priority,
        "sent_at": sent,
        "area": alert.area,
        "districts": alert.district_codes,
        "body_markdown": alert.body_markdown,
        "body_html": rendered.html,
        "body_text": rendered.text,
        "signoff": alert.signoff.lines(),
        "follows": alert.follows_alert_id,
        "follow_up": alert.follow_up,
        "imported_from": alert.imported_from,
        "imported_provider": alert.imported_provider,
        "inferred": alert.imported_inferred,
        "snippet_html": snippet.map(archive::snippet_html),
    })
}

/// `GET /api/v1/public/alerts`: the archive's list, with the page's filters and a cursor.
pub async fn api_list(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ArchiveQuery>, axum::extract::rejection::QueryRejection>,
) -> WebResult<Response> {
    let Ok(Query(query)) = query else {
        return Ok(api_problem(
            StatusCode::BAD_REQUEST,
            "The query string cannot be read",
            &[],
        ));
    };
    let listing = match archive::list(&ctx, &query).await {
        Ok(listing) => listing,
        Err(error @ ArchiveError::Filters(_)) => return Ok(error.into_response()),
        Err(ArchiveError::Unexpected(error)) => return Err(error.into()),
    };
    let body = json!({
        "alerts": listing.hits
            .iter()
            .map(|h| alert_json(&ctx, &h.alert, h.snippet.as_deref()))
            .collect::<Vec<_>>(),
        "next_cursor": listing.next,
    });
    Ok(cached(
        &headers,
        "application/json",
        listing.changed_at,
        serde_json::to_vec(&body)?,
    ))
}

/// `GET /api/v1/public/alerts/{id}`.
pub async fn api_one(
    State(ctx): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> WebResult<Response> {
    let Some(alert) = archive::public_alert(&ctx, &id).await? else {
        return Ok(api_problem(
            StatusCode::NOT_FOUND,
            "There is no public alert with that id",
            &[],
        ));
    };
    let body = alert_json(&ctx, &alert, None);
    Ok(cached(
        &headers,
        "application/json",
        alert.sent_at,
        serde_json::to_vec(&body)?,
    ))
}

/// `GET /api/openapi.json`: the API described in OpenAPI 3, with this deployment's
/// organisations and kinds of message as the enums of the parameters and fields that take them.
pub async fn openapi(State(ctx): State<AppState>, headers: HeaderMap) -> WebResult<Response> {
    let catalogue = crate::services::catalogue::catalogue(&ctx).await?;
    let mut document: serde_json::Value =
        serde_json::from_slice(include_bytes!("../../static/openapi.json"))?;
    let providers: Vec<&str> = catalogue
        .providers
        .iter()
        .map(|p| p.slug.as_str())
        .collect();
    let kinds: Vec<&str> = catalogue
        .message_types
        .iter()
        .map(|m| m.slug.as_str())
        .collect();
    let filters = &mut document["paths"]["/api/v1/public/alerts"]["get"]["parameters"];
    for parameter in filters.as_array_mut().into_iter().flatten() {
        match parameter["name"].as_str() {
            Some("provider") => parameter["schema"]["enum"] = json!(providers),
            Some("type") => parameter["schema"]["enum"] = json!(kinds),
            _ => {}
        }
    }
    let schemas = &mut document["components"]["schemas"];
    let subscription = &mut schemas["SubscriptionRequest"]["properties"];
    subscription["providers"]["items"]["enum"] = json!(providers);
    subscription["message_types"]["items"]["enum"] = json!(kinds);
    let alert = &mut schemas["AlertRequest"]["properties"];
    alert["provider"]["enum"] = json!(providers);
    alert["message_type"]["enum"] = json!(kinds);
    // The scam checker's kinds and channels, as the checker knows them (`null`: none named).
    use crate::services::scam_check::{Channel, ScamKind};
    let mut scam_kinds: Vec<serde_json::Value> =
        ScamKind::ALL.iter().map(|k| json!(k.slug())).collect();
    scam_kinds.push(serde_json::Value::Null);
    schemas["ScamCheck"]["properties"]["type"]["enum"] = json!(scam_kinds);
    let mut channels: Vec<serde_json::Value> =
        Channel::ALL.iter().map(|c| json!(c.slug())).collect();
    channels.push(serde_json::Value::Null);
    schemas["ScamCheckRequest"]["properties"]["channel"]["enum"] = json!(channels);
    Ok(cached(
        &headers,
        "application/json",
        0,
        serde_json::to_vec(&document)?,
    ))
}

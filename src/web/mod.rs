//! The web room: server-rendered pages for residents, the JSON API and health checks, all thin
//! over `services`. Handlers parse input, call one use case and render its result.

mod admin;
mod alerts;
mod api;
mod archive;
mod conditional;
mod csrf;
mod error;
mod feedback;
mod feeds;
mod health;
mod page_cache;
mod pages;
mod permission;
mod staff;
mod views;

use crate::services::AppContext;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::Router;
use page_cache::PageCache;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub type AppState = Arc<AppContext>;

pub fn router(ctx: AppState, kept_pages: Arc<PageCache>) -> Router {
    let max_body = ctx.settings.limits.max_body_bytes;
    Router::new()
        .route("/", get(pages::sign_up_form))
        .route("/signup", get(pages::sign_up_form).post(pages::sign_up))
        .route("/signup/check-your-email", get(pages::check_your_email))
        .route(
            "/confirm/{token}",
            get(pages::confirm_form).post(pages::confirm),
        )
        .route("/manage/{token}", get(pages::manage_form).post(pages::manage_save))
        .route("/manage/{token}/mobile", post(pages::mobile_code))
        .route("/manage/{token}/mobile/resend", post(pages::mobile_code_resend))
        .route("/manage/{token}/data.json", get(pages::download_data))
        .route("/manage/{token}/erase", get(pages::erase_form).post(pages::erase))
        .route("/unsubscribe/{token}", get(pages::unsubscribe_form).post(pages::unsubscribe))
        .route("/a/{id}", get(archive::short_link))
        .route("/rate/{token}/{verdict}", get(feedback::rate))
        .route("/reply/{token}", get(feedback::reply_form).post(feedback::reply))
        .route("/notify/callback", post(feedback::notify_callback))
        .route("/static/beacon.css", get(pages::stylesheet))
        .route("/static/compose.js", get(pages::compose_script))
        .route("/static/draw.js", get(pages::draw_script))
        .route("/staff", get(alerts::home))
        .route("/staff/alerts/new", get(alerts::compose_form).post(alerts::compose))
        .route("/staff/alerts/{id}", get(alerts::show))
        .route("/staff/alerts/{id}/{action}", post(alerts::action))
        .route("/staff/sign-in", get(staff::sign_in_form).post(staff::sign_in))
        .route("/staff/sign-out", post(staff::sign_out))
        .route("/staff/enrol/{token}", get(staff::enrol_form).post(staff::enrol))
        .route("/staff/admin/staff", get(admin::staff_list))
        .route("/staff/admin/staff/new", get(admin::staff_new_form).post(admin::staff_new))
        .route("/staff/admin/staff/{public_id}/reset", post(admin::staff_reset))
        .route(
            "/staff/admin/staff/{public_id}/edit",
            get(admin::staff_edit_form).post(admin::staff_edit),
        )
        .route("/staff/admin/audit", get(admin::audit_log))
        .route("/staff/admin/tokens", get(admin::tokens).post(admin::token_create))
        .route(
            "/staff/admin/organisations",
            get(admin::organisations).post(admin::organisation_add),
        )
        .route("/staff/admin/organisations/{id}", post(admin::organisation_save))
        .route("/staff/admin/tokens/{id}/revoke", post(admin::token_revoke))
        .route("/staff/admin/contact-problems", get(admin::contact_problems))
        .route(
            "/staff/admin/contact-problems/{subscriber}/{channel}/lift",
            post(admin::contact_problem_lift),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/v1/subscriptions", post(api::create_subscription))
        .route("/api/v1/alerts", post(api::create_alert))
        .route("/api/v1/alerts/{id}", get(api::get_alert))
        .route("/api/v1/alerts/{id}/send", post(api::send_alert))
        .route("/api/v1/providers", get(api::providers))
        .route("/api/v1/message-types", get(api::message_types))
        .route("/api/v1/postcodes/{postcode}", get(api::postcode))
        .merge(public_routes(kept_pages))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Links in residents' emails carry tokens: never leak them to other sites.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            // Paths hold the tokens of residents' links: log the route (`/manage/{token}`),
            // never the path itself.
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("(no route)", MatchedPath::as_str);
            tracing::info_span!("request", method = %request.method(), route = %route)
        }))
        .with_state(ctx)
}

/// The public archive, its feeds and API: cacheable and compressed (nothing secret is in them,
/// so compression cannot leak a token), and the same for everyone, so kept whole in memory
/// once made (`page_cache`), compressed once for each coding.
fn public_routes(kept_pages: Arc<PageCache>) -> Router<AppState> {
    Router::new()
        .route("/alerts", get(archive::archive_page))
        .route("/alerts/{id}", get(archive::alert_page))
        .route("/feeds/{file}", get(feeds::whole))
        .route("/feeds/{kind}/{file}", get(feeds::narrowed))
        .route("/api/v1/public/alerts", get(archive::api_list))
        .route("/api/v1/public/alerts/{id}", get(archive::api_one))
        .route("/api/openapi.json", get(archive::openapi))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            kept_pages,
            page_cache::serve,
        ))
}

/// Serves until `shutdown` is cancelled, then finishes the requests in flight.
pub async fn serve(
    ctx: AppState,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let kept_pages = PageCache::new(ctx.clone());
    let watcher = kept_pages.enabled().then(|| {
        tokio::spawn(page_cache::watch_archive(
            kept_pages.clone(),
            shutdown.clone(),
        ))
    });
    let app = router(ctx, kept_pages).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    served
}

/// The client's address: the socket peer, or the hop our own proxy added to `X-Forwarded-For`
/// when configured to trust one.
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.settings.server.trust_forwarded_for {
            // Each proxy appends the address it saw, so only the last entry (added by our own
            // proxy) can be trusted: earlier ones are whatever the client sent.
            if let Some(forwarded) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|hop| hop.parse::<std::net::IpAddr>().is_ok())
            {
                return Ok(ClientIp(forwarded.to_owned()));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientIp(peer))
    }
}

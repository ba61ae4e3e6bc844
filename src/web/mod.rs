//! The web room: server-rendered pages for residents, the JSON API and health checks, all thin
//! over `services`. Handlers parse input, call one use case and render its result.

mod about;
mod admin;
mod alerts;
mod api;
mod archive;
mod branding;
mod chat;
mod chat_figures;
mod conditional;
mod connections;
mod csrf;
mod districts;
mod error;
mod feedback;
mod feeds;
mod flash;
mod health;
mod home;
mod inbox;
mod inbox_live;
#[allow(dead_code)] // Parts are used by the resident's chat routes, which come next.
mod live;
mod manage_link;
mod open311;
mod page_cache;
mod pages;
mod permission;
mod report_data;
mod report_form;
mod report_kinds;
mod report_triage;
mod reported_scams;
mod reports;
mod scam_checker;
mod scheme_staff;
mod schemes;
mod staff;
mod surveys;
mod templates;
mod views;

pub use permission::{Access, Link};

use crate::services::AppContext;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath};
use axum::handler::Handler;
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::routing::{self, MethodRouter};
use axum::Router;
use page_cache::PageCache;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub type AppState = Arc<AppContext>;

/// One route: a method on a path, who may use it, and its handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// A POST from a browser form, which must carry the CSRF token (`csrf.rs`). The POSTs that
    /// are not: the JSON API and the gateway's callback (credentials a browser does not send
    /// by itself), and the buttons of confirm, rating and unsubscribe links (the token in the
    /// path is the authority, and mail providers' one-click unsubscribe sends no cookie).
    pub form: bool,
    /// The public archive, its feeds and API: kept whole in memory once made and compressed
    /// (`public_routes`).
    pub kept: bool,
    handler: MethodRouter<AppState>,
}

impl Route {
    fn new(
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Route {
        Route {
            method,
            path,
            access,
            form: false,
            kept: false,
            handler,
        }
    }

    fn kept(self) -> Route {
        Route { kept: true, ..self }
    }

    /// Takes bodies up to `bytes` rather than the site's usual limit (`limits.max_body_bytes`).
    fn body_limit(self, bytes: usize) -> Route {
        Route {
            handler: self.handler.layer(DefaultBodyLimit::max(bytes)),
            ..self
        }
    }

    /// Shares a cap on requests handled at once with the other routes given the same `limit`:
    /// the others wait, their bodies unread, until one finishes (or the request timeout ends
    /// the wait).
    fn at_once(self, limit: &GlobalConcurrencyLimitLayer) -> Route {
        Route {
            handler: self.handler.layer(limit.clone()),
            ..self
        }
    }
}

fn get<H: Handler<T, AppState>, T: 'static>(
    path: &'static str,
    access: Access,
    handler: H,
) -> Route {
    Route::new(Method::GET, path, access, routing::get(handler))
}

/// A POST that is not a browser form (see `Route::form`).
fn post<H: Handler<T, AppState>, T: 'static>(
    path: &'static str,
    access: Access,
    handler: H,
) -> Route {
    Route::new(Method::POST, path, access, routing::post(handler))
}

/// A POST from a browser form. Declaring it so does not check anything: its handler must verify
/// the CSRF token (`csrf::verify`), and `tests/api/routes.rs` posts every form without one to
/// prove that it does.
fn form<H: Handler<T, AppState>, T: 'static>(
    path: &'static str,
    access: Access,
    handler: H,
) -> Route {
    Route {
        form: true,
        ..Route::new(Method::POST, path, access, routing::post(handler))
    }
}

/// Every route the app serves, with who may use it. `router` is built from this table and
/// from nothing else, so a route cannot be added without saying who may use it; the test in
/// `tests/api/routes.rs` checks each declaration against the running app.
pub fn routes() -> Vec<Route> {
    use permission::Access::{
        Admin, ApiToken, Coordinator, Enrolment, Gateway, Open311Key, Operator, Public,
        ReportStaff, Resident, Reviewer, Sender, SignedInStaff,
    };
    use permission::Link::{Alert, Chat, Confirm, Manage, Report, Survey, Unsubscribe};
    // Report forms may carry photos: only so many are read at once (`reports.rs`).
    let report_posts = GlobalConcurrencyLimitLayer::new(reports::REPORT_POSTS_AT_ONCE);
    vec![
        // Residents: signing up, and the links in their emails.
        get("/", Public, pages::sign_up_form),
        get("/signup", Public, pages::sign_up_form),
        form("/signup", Public, pages::sign_up),
        get("/signup/check-your-email", Public, pages::check_your_email),
        get("/confirm/{token}", Resident(Confirm), pages::confirm_form),
        post("/confirm/{token}", Resident(Confirm), pages::confirm),
        get("/manage/{token}", Resident(Manage), pages::manage_form),
        form("/manage/{token}", Resident(Manage), pages::manage_save),
        form(
            "/manage/{token}/mobile",
            Resident(Manage),
            pages::mobile_code,
        ),
        form(
            "/manage/{token}/mobile/resend",
            Resident(Manage),
            pages::mobile_code_resend,
        ),
        get(
            "/manage/{token}/data.json",
            Resident(Manage),
            pages::download_data,
        ),
        get("/manage/{token}/erase", Resident(Manage), pages::erase_form),
        form("/manage/{token}/erase", Resident(Manage), pages::erase),
        get(
            "/unsubscribe/{token}",
            Resident(Unsubscribe),
            pages::unsubscribe_form,
        ),
        post(
            "/unsubscribe/{token}",
            Resident(Unsubscribe),
            pages::unsubscribe,
        ),
        get("/manage-link", Public, manage_link::form),
        form("/manage-link", Public, manage_link::request),
        get("/manage-link/sent", Public, manage_link::sent),
        get("/a/{id}", Public, archive::short_link),
        get(
            "/rate/{token}/{verdict}",
            Resident(Alert),
            feedback::rate_form,
        ),
        post("/rate/{token}/{verdict}", Resident(Alert), feedback::rate),
        get("/reply/{token}", Resident(Alert), feedback::reply_form),
        form("/reply/{token}", Resident(Alert), feedback::reply),
        post("/notify/callback", Gateway, feedback::notify_callback),
        get("/static/beacon.css", Public, pages::stylesheet),
        get("/static/compose.js", Public, pages::compose_script),
        get("/static/draw.js", Public, pages::draw_script),
        get("/static/map-tiles.js", Public, pages::map_tiles_script),
        get("/static/favicon.svg", Public, about::favicon),
        get("/favicon.ico", Public, about::favicon_ico),
        get("/branding/logo", Public, branding::logo),
        // The scam checker: check a message, share it with the police.
        get("/scam-checker", Public, scam_checker::form),
        form("/scam-checker", Public, scam_checker::check)
            .body_limit(scam_checker::FORM_BODY_LIMIT),
        form("/scam-checker/share", Public, scam_checker::share)
            .body_limit(scam_checker::FORM_BODY_LIMIT),
        get("/scam-checker/shared", Public, scam_checker::shared),
        // Reporting online, and following a report from the link in its receipt.
        get("/report", Public, reports::start),
        get("/report/{kind}", Public, reports::kind_start),
        form("/report/{kind}", Public, reports::step)
            .body_limit(reports::REPORT_BODY_LIMIT)
            .at_once(&report_posts),
        get("/reports/{token}", Resident(Report), reports::follow),
        form("/reports/{token}", Resident(Report), reports::add)
            .body_limit(reports::REPORT_BODY_LIMIT)
            .at_once(&report_posts),
        get(
            "/reports/{token}/receipt",
            Resident(Report),
            reports::received,
        ),
        get(
            "/reports/{token}/files/{id}",
            Resident(Report),
            reports::file,
        ),
        get(
            "/reports/{token}/data.json",
            Resident(Report),
            report_data::download,
        ),
        get(
            "/reports/{token}/erase",
            Resident(Report),
            report_data::erase_form,
        ),
        form(
            "/reports/{token}/erase",
            Resident(Report),
            report_data::erase,
        ),
        get("/static/leave-site.js", Public, reports::leave_site_script),
        // Live web chat with the contact centre (residents), and the thread of a reply to an
        // alert, at the link in the email answering it.
        get("/chat", Public, chat::start_form),
        form("/chat", Public, chat::start),
        get("/chat/{token}", Resident(Chat), chat::conversation),
        form("/chat/{token}", Resident(Chat), chat::send),
        get("/chat/{token}/live", Resident(Chat), chat::live),
        get("/chat/{token}/events", Resident(Chat), chat::events),
        get("/chat/{token}/messages", Resident(Chat), chat::messages),
        get("/chat/{token}/end", Resident(Chat), chat::end_form),
        form("/chat/{token}/end", Resident(Chat), chat::end),
        form("/chat/{token}/rating", Resident(Chat), chat::rating),
        form("/chat/{token}/transcript", Resident(Chat), chat::transcript),
        get("/static/chat.js", Public, chat::script),
        // What every public body publishes about its site.
        get("/privacy", Public, about::privacy),
        get("/accessibility", Public, about::accessibility),
        // How to reach the force, with last month's response time on web chat.
        get("/contact", Public, chat_figures::contact),
        // Staff: alerts and their workflow.
        get("/staff", SignedInStaff, home::home),
        get("/staff/alerts/new", Sender, alerts::compose_form),
        form("/staff/alerts/new", Sender, alerts::compose),
        get("/staff/alerts/{id}", SignedInStaff, alerts::show),
        get("/staff/alerts/{id}/edit", Sender, alerts::edit_form),
        form("/staff/alerts/{id}/edit", Sender, alerts::edit),
        get(
            "/staff/alerts/{id}/send",
            SignedInStaff,
            alerts::confirm_send,
        ),
        form("/staff/alerts/{id}/send", SignedInStaff, alerts::send),
        form(
            "/staff/alerts/{id}/send-back",
            SignedInStaff,
            alerts::send_back,
        ),
        form("/staff/alerts/{id}/{action}", SignedInStaff, alerts::action),
        get("/staff/scams", Sender, reported_scams::page),
        get("/staff/templates", Sender, templates::list),
        get("/staff/templates/new", Sender, templates::new_form),
        form("/staff/templates/new", Sender, templates::create),
        get("/staff/templates/{id}", Sender, templates::edit_form),
        form("/staff/templates/{id}", Sender, templates::update),
        form("/staff/templates/{id}/delete", Sender, templates::delete),
        get("/staff/sign-in", Public, staff::sign_in_form),
        form("/staff/sign-in", Public, staff::sign_in),
        form("/staff/sign-out", SignedInStaff, staff::sign_out),
        get("/staff/enrol/{token}", Enrolment, staff::enrol_form),
        form("/staff/enrol/{token}", Enrolment, staff::enrol),
        // Staff: administration.
        get("/staff/admin/staff", Admin, admin::staff_list),
        get("/staff/admin/staff/new", Admin, admin::staff_new_form),
        form("/staff/admin/staff/new", Admin, admin::staff_new),
        form(
            "/staff/admin/staff/{public_id}/reset",
            Admin,
            admin::staff_reset,
        ),
        form(
            "/staff/admin/staff/{public_id}/unlock",
            Admin,
            admin::staff_unlock,
        ),
        get(
            "/staff/admin/staff/{public_id}/edit",
            Admin,
            admin::staff_edit_form,
        ),
        form(
            "/staff/admin/staff/{public_id}/edit",
            Admin,
            admin::staff_edit,
        ),
        get("/staff/admin/audit", Admin, admin::audit_log),
        get("/staff/admin/tokens", Admin, admin::tokens),
        form("/staff/admin/tokens", Admin, admin::token_create),
        get("/staff/admin/organisations", Admin, admin::organisations),
        form("/staff/admin/organisations", Admin, admin::organisation_add),
        form(
            "/staff/admin/organisations/{id}",
            Admin,
            admin::organisation_save,
        ),
        form(
            "/staff/admin/organisations/{id}/archive",
            Admin,
            admin::organisation_archive,
        ),
        form(
            "/staff/admin/organisations/{id}/restore",
            Admin,
            admin::organisation_restore,
        ),
        form(
            "/staff/admin/tokens/{id}/revoke",
            Admin,
            admin::token_revoke,
        ),
        get("/staff/admin/report-kinds", Admin, report_kinds::list),
        get(
            "/staff/admin/report-kinds/new",
            Admin,
            report_kinds::new_form,
        ),
        form("/staff/admin/report-kinds/new", Admin, report_kinds::create),
        get(
            "/staff/admin/report-kinds/{code}",
            Admin,
            report_kinds::edit_form,
        ),
        form(
            "/staff/admin/report-kinds/{code}",
            Admin,
            report_kinds::update,
        ),
        get(
            "/staff/admin/contact-problems",
            Admin,
            admin::contact_problems,
        ),
        form(
            "/staff/admin/contact-problems/{subscriber}/{channel}/lift",
            Admin,
            admin::contact_problem_lift,
        ),
        // Surveys: senders build them, send them with an alert and read their results;
        // residents answer through their alert's link; published results are public.
        get("/staff/surveys", Sender, surveys::list),
        get("/staff/surveys/new", Sender, surveys::new_form),
        form("/staff/surveys/new", Sender, surveys::create),
        get("/staff/surveys/{id}", Sender, surveys::show),
        get("/staff/surveys/{id}/answers.csv", Sender, surveys::csv),
        form("/staff/surveys/{id}/publish", Sender, surveys::publish),
        get("/survey/{token}", Resident(Alert), surveys::answer_form),
        form("/survey/{token}", Resident(Alert), surveys::answer),
        get("/surveys/{id}/results", Public, surveys::public_results),
        get("/surveys/{id}", Public, surveys::public_start),
        form("/surveys/{id}", Public, surveys::public_request),
        get(
            "/surveys/{id}/answer/{token}",
            Resident(Survey),
            surveys::public_answer_form,
        ),
        form(
            "/surveys/{id}/answer/{token}",
            Resident(Survey),
            surveys::public_answer,
        ),
        // Neighbourhood Watch: the public directory and a scheme's page, proposing a scheme,
        // a resident's schemes on their manage link; staff verify schemes and appoint their
        // coordinators; coordinators accept members and write to them.
        get("/schemes", Public, schemes::directory),
        get("/schemes/propose", Public, schemes::propose_form),
        form("/schemes/propose", Public, schemes::propose),
        get("/schemes/{id}", Public, schemes::show),
        get("/districts/{code}", Public, districts::show),
        form("/schemes/{id}/contact", Public, schemes::contact),
        get(
            "/manage/{token}/schemes",
            Resident(Manage),
            schemes::resident_schemes,
        ),
        form(
            "/manage/{token}/schemes",
            Resident(Manage),
            schemes::resident_membership,
        ),
        get("/staff/schemes", Sender, scheme_staff::list),
        form(
            "/staff/schemes/coordinators",
            Sender,
            scheme_staff::write_to_coordinators,
        ),
        get("/staff/schemes/{id}", Sender, scheme_staff::show),
        form(
            "/staff/schemes/{id}/standing",
            Sender,
            scheme_staff::standing,
        ),
        form(
            "/staff/schemes/{id}/coordinators",
            Sender,
            scheme_staff::appoint,
        ),
        form(
            "/staff/schemes/{id}/coordinators/{public_id}/remove",
            Sender,
            scheme_staff::remove_coordinator,
        ),
        form("/staff/schemes/{id}/status", Sender, scheme_staff::status),
        get("/staff/coordinate", Coordinator, scheme_staff::my_schemes),
        get(
            "/staff/coordinate/{id}",
            Coordinator,
            scheme_staff::coordinate,
        ),
        form(
            "/staff/coordinate/{id}/requests",
            Coordinator,
            scheme_staff::decide,
        ),
        form(
            "/staff/coordinate/{id}/message",
            Coordinator,
            scheme_staff::write,
        ),
        // Staff: the contact centre's figures on live chats.
        get("/staff/inbox/figures", Operator, chat_figures::figures),
        // Staff: online reports, their triage (THRIVE), review, and the managers' figures.
        get("/staff/reports", ReportStaff, report_triage::queue),
        get(
            "/staff/reports/dashboard",
            ReportStaff,
            report_triage::dashboard,
        ),
        get(
            "/staff/reports/{reference}",
            ReportStaff,
            report_triage::show,
        ),
        get(
            "/staff/reports/{reference}/files/{file}",
            ReportStaff,
            report_triage::file,
        ),
        form(
            "/staff/reports/{reference}/assess",
            Operator,
            report_triage::assess,
        ),
        form(
            "/staff/reports/{reference}/link",
            Operator,
            report_triage::link,
        ),
        form(
            "/staff/reports/{reference}/review",
            Reviewer,
            report_triage::review,
        ),
        // Staff: the operators' inbox (live chats and replies to alerts), canned answers, and
        // the admins' list of escalation phrases.
        get("/staff/inbox", Operator, inbox::list),
        form("/staff/inbox/presence", Operator, inbox::presence),
        form("/staff/inbox/take-next", Operator, inbox::take_next),
        get("/staff/inbox/live", Operator, inbox_live::live),
        get("/staff/inbox/events", Operator, inbox_live::events),
        get("/staff/inbox/canned", Operator, inbox::canned_list),
        form("/staff/inbox/canned", Operator, inbox::canned_add),
        form("/staff/inbox/canned/{id}", Operator, inbox::canned_edit),
        form(
            "/staff/inbox/canned/{id}/delete",
            Operator,
            inbox::canned_delete,
        ),
        get("/staff/inbox/{id}", Operator, inbox::show),
        form("/staff/inbox/{id}/take", Operator, inbox::take),
        form("/staff/inbox/{id}/send", Operator, inbox::send),
        form("/staff/inbox/{id}/note", Operator, inbox::note),
        form("/staff/inbox/{id}/canned", Operator, inbox::use_canned),
        form("/staff/inbox/{id}/transfer", Operator, inbox::transfer),
        form("/staff/inbox/{id}/close", Operator, inbox::close),
        form("/staff/inbox/{id}/block", Operator, inbox::block),
        form("/staff/inbox/{id}/report", Operator, inbox::report),
        get("/staff/admin/escalation", Admin, inbox::escalation),
        form("/staff/admin/escalation", Admin, inbox::escalation_add),
        form(
            "/staff/admin/escalation/remove",
            Admin,
            inbox::escalation_remove,
        ),
        get("/static/inbox.js", Public, inbox_live::script),
        // Health checks and the JSON API.
        get("/healthz", Public, health::healthz),
        get("/readyz", Public, health::readyz),
        post("/api/v1/subscriptions", Public, api::create_subscription),
        post("/api/v1/alerts", ApiToken, api::create_alert),
        get("/api/v1/alerts/{id}", ApiToken, api::get_alert),
        post("/api/v1/alerts/{id}/send", ApiToken, api::send_alert),
        get("/api/v1/providers", Public, api::providers),
        get("/api/v1/message-types", Public, api::message_types),
        get("/api/v1/postcodes/{postcode}", Public, api::postcode),
        post("/api/v1/scam-check", Public, api::scam_check)
            .body_limit(scam_checker::FORM_BODY_LIMIT),
        // The public archive, its feeds and API.
        get("/alerts", Public, archive::archive_page).kept(),
        get("/alerts/{id}", Public, archive::alert_page).kept(),
        get("/feeds/{file}", Public, feeds::whole).kept(),
        get("/feeds/{kind}/{file}", Public, feeds::narrowed).kept(),
        get("/api/v1/public/alerts", Public, archive::api_list).kept(),
        get("/api/v1/public/alerts/{id}", Public, archive::api_one).kept(),
        get("/api/openapi.json", Public, archive::openapi).kept(),
        // Open311 GeoReport v2: JSON or XML by the address's ending (`open311.rs`).
        get("/open311/v2/discovery.json", Public, open311::discovery),
        get("/open311/v2/discovery.xml", Public, open311::discovery),
        get("/open311/v2/services.json", Public, open311::services),
        get("/open311/v2/services.xml", Public, open311::services),
        get(
            "/open311/v2/services/{file}",
            Public,
            open311::service_definition,
        ),
        get("/open311/v2/requests.json", Public, open311::requests),
        get("/open311/v2/requests.xml", Public, open311::requests),
        post(
            "/open311/v2/requests.json",
            Open311Key,
            open311::post_request,
        ),
        post(
            "/open311/v2/requests.xml",
            Open311Key,
            open311::post_request,
        ),
        get("/open311/v2/requests/{file}", Public, open311::request),
        get("/open311/v2/tokens/{file}", Public, open311::token),
    ]
}

/// The one place a route is added to a router: from the table's entries. Two entries for one
/// path (a GET and a POST) merge into one route, as `get(…).post(…)` would.
fn from_table(routes: Vec<Route>) -> Router<AppState> {
    routes
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
}

/// Only Beacon's own scripts, styles and images, and the map tile server's images where one is
/// configured (its origin was checked when the settings were loaded). `connect-src 'self'`: the
/// chat's and the inbox's scripts talk to Beacon only (WebSocket, Server-Sent Events, fetch);
/// without it `default-src 'none'` blocks them all.
fn content_security_policy(map: &crate::config::MapSettings) -> HeaderValue {
    let tiles = map
        .tile_origin()
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:{tiles}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ))
    .unwrap_or_else(|_| {
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
    })
}

pub fn router(ctx: AppState, kept_pages: Arc<PageCache>) -> Router {
    let max_body = ctx.settings.limits.max_body_bytes;
    let request_timeout = Duration::from_secs(ctx.settings.server.request_timeout_secs);
    let (kept, fresh): (Vec<Route>, Vec<Route>) = routes().into_iter().partition(|r| r.kept);
    from_table(fresh)
        .merge(public_routes(kept, kept_pages))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(
                branding::Branding::from_settings(&ctx.settings.branding)
                    .with_map(&ctx.settings.map),
            ),
            branding::scope,
        ))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(&ctx.settings.map),
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
        // Reading the body included: a client that sends its body a byte a minute is let go.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(axum::middleware::from_fn(api::json_errors))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                // Paths hold the tokens of residents' links: log the route (`/manage/{token}`),
                // never the path itself.
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(no route)", MatchedPath::as_str);
                tracing::info_span!("request", method = %request.method(), route = %route)
            }),
        )
        .with_state(ctx)
}

/// The public archive, its feeds and API: cacheable and compressed (nothing secret is in them,
/// so compression cannot leak a token), and the same for everyone, so kept whole in memory
/// once made (`page_cache`), compressed once for each coding.
fn public_routes(kept: Vec<Route>, kept_pages: Arc<PageCache>) -> Router<AppState> {
    from_table(kept)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            kept_pages,
            page_cache::serve,
        ))
}

/// Serves until `shutdown` is cancelled, then finishes the requests in flight. Connections are
/// capped and timed out (`connections`): `axum::serve` has no header-read timeout.
pub async fn serve(ctx: AppState, listener: tokio::net::TcpListener, shutdown: CancellationToken) {
    // Open live connections (chats, inboxes) end when the server stops.
    let live = ctx.clone();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        stop.cancelled().await;
        live.live.close();
    });
    let kept_pages = PageCache::new(ctx.clone());
    let watcher = kept_pages.enabled().then(|| {
        tokio::spawn(page_cache::watch_archive(
            kept_pages.clone(),
            shutdown.clone(),
        ))
    });
    let limits = connections::ConnectionLimits::from_settings(&ctx.settings.server);
    let app = router(ctx, kept_pages);
    connections::serve(listener, app, limits, shutdown).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
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

#[cfg(test)]
mod tests {
    use super::{routes, Access, Method};
    use std::collections::HashSet;
    use std::path::Path;

    #[test]
    fn each_method_and_path_is_declared_once() {
        let mut seen = HashSet::new();
        for route in routes() {
            assert!(
                seen.insert((route.method.clone(), route.path)),
                "{} {} is in the table twice",
                route.method,
                route.path
            );
        }
    }

    #[test]
    fn only_posts_are_forms_and_only_public_pages_are_kept() {
        for route in routes() {
            if route.form {
                assert_eq!(route.method, Method::POST, "{}", route.path);
            }
            if route.kept {
                assert_eq!(route.access, Access::Public, "{}", route.path);
                assert_eq!(route.method, Method::GET, "{}", route.path);
            }
        }
    }

    /// Source files under `dir`, recursively.
    fn sources(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    /// The table is the only way in: no router is built, and no route added, anywhere but in
    /// `from_table`, so a route cannot bypass its declaration.
    #[test]
    fn routes_are_added_only_from_the_table() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        // Spelt in pieces, so this test's own text does not count.
        let calls = [
            [".", "route("].concat(),
            [".", "route_service("].concat(),
            [".", "nest("].concat(),
            [".", "nest_service("].concat(),
            ["Router", "::new()"].concat(),
        ];
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let ours = file.ends_with("web/mod.rs");
            for (i, call) in calls.iter().enumerate() {
                let count = text.matches(call.as_str()).count();
                // `from_table` adds each route and makes the one router.
                let allowed = usize::from(ours && (i == 0 || i == calls.len() - 1));
                assert_eq!(
                    count,
                    allowed,
                    "{} has {count} `{call}`: add routes to the table in src/web/mod.rs",
                    file.display()
                );
            }
        }
    }
}

//! What every public body publishes about its site: the privacy notice and the accessibility
//! statement, worded from the branding and limits this install is configured with; and the
//! favicon. The pages name the force through `brand`, which the layout sets for every page.

use super::views;
use super::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "pages/privacy.html")]
struct PrivacyPage {
    pending_signup_days: i64,
    shared_scam_days: i64,
    confirmation_link_hours: i64,
}

#[derive(Template)]
#[template(path = "pages/accessibility.html")]
struct AccessibilityPage;

/// `GET /privacy`: what is kept about residents, why, for how long, and their rights.
pub async fn privacy(State(ctx): State<AppState>) -> Response {
    let limits = &ctx.settings.limits;
    views::render(&PrivacyPage {
        pending_signup_days: limits.pending_signup_days,
        shared_scam_days: limits.shared_scam_days,
        confirmation_link_hours: limits.confirmation_link_hours,
    })
}

/// `GET /accessibility`: the accessibility statement.
pub async fn accessibility() -> Response {
    views::render(&AccessibilityPage)
}

/// `GET /static/favicon.svg`.
pub async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

/// `GET /favicon.ico`, which browsers ask for by themselves: the SVG icon.
pub async fn favicon_ico() -> Redirect {
    Redirect::permanent("/static/favicon.svg")
}

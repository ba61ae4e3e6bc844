//! CSRF protection for forms: a random value in an HttpOnly, SameSite=Strict cookie, and a hidden
//! field carrying that value signed with the server's key. A POST must bring both, matching.

use super::AppState;
use crate::services::tokens::random_id;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

const COOKIE: &str = "beacon_csrf";

/// The form token for this browser, setting its cookie first if it has none.
pub fn issue(ctx: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let value = match jar.get(COOKIE) {
        Some(cookie) if cookie.value().len() == 32 => cookie.value().to_owned(),
        _ => random_id(),
    };
    let cookie = Cookie::build((COOKIE, value.clone()))
        .path("/")
        .http_only(true)
        .secure(ctx.settings.server.secure_cookies)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), ctx.signer.sign("csrf", &[&value]))
}

/// Whether a submitted form token belongs to this browser's cookie.
pub fn verify(ctx: &AppState, jar: &CookieJar, token: &str) -> bool {
    let Some(cookie) = jar.get(COOKIE) else {
        return false;
    };
    matches!(ctx.signer.verify("csrf", token), Some(fields) if fields.len() == 1 && fields[0] == cookie.value())
}

//! CSRF protection for forms: a random value in an HttpOnly, SameSite=Strict cookie, and a hidden
//! field carrying that value signed with the server's key. A POST must bring both, matching.

use super::AppState;
use crate::services::tokens::random_id;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

/// What a form whose CSRF check failed says (expired, or sent from another site).
pub(super) const FORM_EXPIRED: &str =
    "This form has expired or was sent from another site. Check your answers and send it again.";

/// With `Secure` cookies the `__Host-` prefix stops a sibling subdomain from planting its own
/// cookie (and so a token it knows); plain-HTTP demos cannot use the prefix.
fn cookie_name(ctx: &AppState) -> &'static str {
    if ctx.settings.server.secure_cookies {
        "__Host-beacon_csrf"
    } else {
        "beacon_csrf"
    }
}

/// The form token for this browser, setting its cookie first if it has none.
pub fn issue(ctx: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let name = cookie_name(ctx);
    let value = match jar.get(name) {
        Some(cookie) if cookie.value().len() == 32 => cookie.value().to_owned(),
        _ => random_id(),
    };
    let cookie = Cookie::build((name, value.clone()))
        .path("/")
        .http_only(true)
        .secure(ctx.settings.server.secure_cookies)
        .same_site(SameSite::Strict)
        .build();
    (jar.add(cookie), ctx.signer.sign("csrf", &[&value]))
}

/// Whether a submitted form token belongs to this browser's cookie.
pub fn verify(ctx: &AppState, jar: &CookieJar, token: &str) -> bool {
    let Some(cookie) = jar.get(cookie_name(ctx)) else {
        return false;
    };
    matches!(ctx.signer.verify("csrf", token), Some(fields) if fields.len() == 1 && fields[0] == cookie.value())
}

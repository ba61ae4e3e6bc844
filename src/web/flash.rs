//! One-time notices after a staff form is saved (post, redirect, get): the notice rides to the
//! page the browser is sent to in a short-lived signed cookie, which that page shows once and
//! clears, so a refresh neither posts the form again nor brings the banner back.

use super::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const PURPOSE: &str = "flash";
/// Long enough for a slow redirect, short enough that a notice never turns up days later.
const MAX_AGE_SECS: i64 = 120;

/// What the next page says once: a notice, and perhaps a secret shown only this once (an
/// enrolment link, a new API token).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flash {
    pub notice: Option<String>,
    pub secret: Option<String>,
}

impl Flash {
    pub fn notice(notice: impl Into<String>) -> Self {
        Self {
            notice: Some(notice.into()),
            secret: None,
        }
    }

    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }
}

fn cookie_name(ctx: &AppState) -> &'static str {
    if ctx.settings.server.secure_cookies {
        "__Secure-beacon_flash"
    } else {
        "beacon_flash"
    }
}

fn encode(part: &Option<String>) -> String {
    // The signer's fields may not hold ':', which base64url never does; "-" marks none.
    part.as_deref()
        .map_or_else(|| "-".to_owned(), |p| URL_SAFE_NO_PAD.encode(p))
}

fn decode(part: &str) -> Option<String> {
    (part != "-")
        .then(|| URL_SAFE_NO_PAD.decode(part).ok())
        .flatten()
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

/// `303 See Other` to `to`, carrying `flash` for the page there.
pub fn redirect(ctx: &AppState, jar: CookieJar, to: &str, flash: Flash) -> Response {
    let now = chrono::Utc::now().timestamp().to_string();
    let value = ctx.signer.sign(
        PURPOSE,
        &[&now, &encode(&flash.notice), &encode(&flash.secret)],
    );
    let cookie = Cookie::build((cookie_name(ctx), value))
        .path(cookie_path(to))
        .http_only(true)
        .secure(ctx.settings.server.secure_cookies)
        .same_site(SameSite::Strict)
        .build();
    (
        StatusCode::SEE_OTHER,
        jar.add(cookie),
        [(header::LOCATION, to.to_owned())],
    )
        .into_response()
}

/// Where a notice for the page at `to` is sent: the first segment of its path ("/staff",
/// "/manage", "/schemes"), so that a notice for a resident's page never rides along with a
/// member of staff's requests, nor the other way round.
fn cookie_path(to: &str) -> String {
    let first = to
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    format!("/{first}")
}

/// The notice waiting for this staff page, if any, and the jar that clears it.
pub fn take(ctx: &AppState, jar: CookieJar) -> (CookieJar, Flash) {
    take_at(ctx, jar, "/staff")
}

/// The notice waiting for this page under `path` (as `cookie_path` gives it for the page the
/// redirect went to), and the jar that clears it.
pub fn take_at(ctx: &AppState, jar: CookieJar, path: &str) -> (CookieJar, Flash) {
    let name = cookie_name(ctx);
    let Some(value) = jar.get(name).map(|c| c.value().to_owned()) else {
        return (jar, Flash::default());
    };
    let flash = ctx
        .signer
        .verify(PURPOSE, &value)
        .filter(|fields| fields.len() == 3)
        .filter(|fields| {
            let made = fields[0].parse::<i64>().unwrap_or(0);
            chrono::Utc::now().timestamp() - made <= MAX_AGE_SECS
        })
        .map(|fields| Flash {
            notice: decode(&fields[1]),
            secret: decode(&fields[2]),
        })
        .unwrap_or_default();
    let gone = Cookie::build((name, "")).path(path.to_owned()).build();
    (jar.remove(gone), flash)
}

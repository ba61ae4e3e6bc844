//! Conditional responses for the public pages, feeds and API: each carries an ETag and
//! Last-Modified, and a request that already holds the same version is answered with 304.
//! Shared by the archive, the feeds and the page cache.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// How long browsers and proxies may reuse a public page or feed without asking again.
const PUBLIC_MAX_AGE: &str = "public, max-age=60";

/// A public response: 304 when the client already holds it (by ETag, or by date when it sent
/// no ETag), else the body with its validators and caching headers.
pub fn cached(
    request: &HeaderMap,
    content_type: &'static str,
    last_modified: i64,
    body: Vec<u8>,
) -> Response {
    use sha2::{Digest, Sha256};
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..32]);
    let modified = chrono::DateTime::from_timestamp(last_modified.max(0), 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default();
    let mut response = if not_modified(request, &etag, last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(&modified) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(PUBLIC_MAX_AGE),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

/// Whether the client already holds this version: by ETag, or by date when it sent no ETag.
pub fn not_modified(request: &HeaderMap, etag: &str, last_modified: i64) -> bool {
    match request.get(header::IF_NONE_MATCH) {
        Some(tags) => tags
            .to_str()
            .is_ok_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*")),
        None => request
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| since.timestamp() >= last_modified),
    }
}

//! The public archive's pages, feeds and API answers kept whole in memory, so that a request
//! made before is answered without the store, the templates or the compressor. What is kept: a
//! 200 to a GET (or HEAD) on a public route, without cookies. Those are the same for every
//! visitor: the public layout shows no staff navigation, no CSRF token and no flash message, and
//! the handlers read nothing from the request but its path, query and conditional headers. Each
//! page is kept once per content coding (brotli, gzip, none), compressed once when it is made.
//!
//! Kept pages are dropped when the archive changes: at once when this process changed it
//! (`AppContext::archive_edits`), and within about a second when another process did, seen by a
//! look at the store's `archive_changed_at` every second. While those looks fail (the store is
//! out of reach) every page is rendered afresh, and no page is kept longer than a minute
//! whatever the looks say.

use super::conditional::not_modified;
use super::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How often the store is asked whether the archive changed: how stale a page can be when
/// another process (a second web server, a worker) changed the archive.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// Without a successful look for this long, pages are rendered afresh.
const LOOKS_LAPSE_AFTER: Duration = Duration::from_secs(3);
/// `archive_changed_at` counts whole seconds by the clock of whichever process made the change,
/// so a second change in the same second (or from a machine whose clock is a little behind)
/// leaves it where it was. For this many seconds after the latest change every look drops the
/// kept pages, which also covers clocks a few seconds apart.
const SETTLING_SECS: i64 = 5;
/// The longest a page is kept whatever the looks say: the backstop for a change that does not
/// move `archive_changed_at` (an alert imported with a date in the past, an organisation renamed
/// by another process).
const MAX_AGE: Duration = Duration::from_secs(60);

/// The content codings a page is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity = 0,
    Gzip = 1,
    Brotli = 2,
}

impl Coding {
    /// The coding to send for the request's `Accept-Encoding`: the one it rates highest of
    /// brotli and gzip (brotli on a tie, `*` standing for either), else none.
    fn negotiate(request: &HeaderMap) -> Coding {
        let (mut br, mut gzip, mut any) = (None, None, None);
        for value in request.get_all(header::ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let quality = match parts.find_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
                }) {
                    Some(q) => match q.trim().parse::<f32>() {
                        Ok(q) => q,
                        Err(_) => continue,
                    },
                    None => 1.0,
                };
                let slot = if name.eq_ignore_ascii_case("br") {
                    &mut br
                } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                    &mut gzip
                } else if name == "*" {
                    &mut any
                } else {
                    continue;
                };
                *slot = Some(quality);
            }
        }
        let br = br.or(any).unwrap_or(0.0);
        let gzip = gzip.or(any).unwrap_or(0.0);
        if br > 0.0 && br >= gzip {
            Coding::Brotli
        } else if gzip > 0.0 {
            Coding::Gzip
        } else {
            Coding::Identity
        }
    }

    /// What the compression layer is asked for, so that it makes exactly this coding.
    fn accept_encoding(self) -> Option<HeaderValue> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some(HeaderValue::from_static("gzip")),
            Coding::Brotli => Some(HeaderValue::from_static("br")),
        }
    }
}

/// What a kept page was made under: the looks' generation and this process's own edits. A page
/// is served only while both are what they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    generation: u64,
    edits: u64,
}

/// A whole response, ready to send again.
struct Page {
    headers: HeaderMap,
    body: Bytes,
    etag: String,
    last_modified: i64,
    stamp: Stamp,
    made: Instant,
    /// Seconds since the cache started, at the last use: the least recently used go first.
    used: AtomicU64,
    /// Roughly what keeping it costs in memory.
    size: usize,
}

impl Page {
    /// The page, or 304 when the request says the client holds it already.
    fn answer(&self, request: &HeaderMap) -> Response {
        if not_modified(request, &self.etag, self.last_modified) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            for name in [
                header::ETAG,
                header::LAST_MODIFIED,
                header::CACHE_CONTROL,
                header::VARY,
            ] {
                for value in self.headers.get_all(&name) {
                    response.headers_mut().append(name.clone(), value.clone());
                }
            }
            return response;
        }
        let mut response = Response::new(Body::from(self.body.clone()));
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// The kept pages by path and query, each in up to three codings, and what they take together.
#[derive(Default)]
struct Shelf {
    by_target: HashMap<String, [Option<Arc<Page>>; 3]>,
    pages: usize,
    bytes: usize,
}

impl Shelf {
    fn get(&self, target: &str, coding: Coding, stamp: Stamp, now: u64) -> Option<Arc<Page>> {
        let page = self.by_target.get(target)?[coding as usize].as_ref()?;
        if page.stamp != stamp || page.made.elapsed() >= MAX_AGE {
            return None;
        }
        if page.used.load(Ordering::Relaxed) != now {
            page.used.store(now, Ordering::Relaxed);
        }
        Some(page.clone())
    }

    /// Keeps `page`, first making room within the bounds by dropping outdated pages and then
    /// the least recently used ones.
    fn keep(
        &mut self,
        target: String,
        coding: Coding,
        page: Arc<Page>,
        max_pages: usize,
        max_bytes: usize,
    ) {
        if let Some(old) = self
            .by_target
            .get_mut(&target)
            .and_then(|variants| variants[coding as usize].take())
        {
            self.pages -= 1;
            self.bytes -= old.size;
        }
        if self.pages + 1 > max_pages || self.bytes + page.size > max_bytes {
            self.make_room(page.stamp, max_pages, max_bytes, page.size);
        }
        self.pages += 1;
        self.bytes += page.size;
        self.by_target.entry(target).or_default()[coding as usize] = Some(page);
    }

    /// Drops pages until there is room for `incoming` bytes and a tenth to spare, so that the
    /// sort is not paid on every page kept.
    fn make_room(&mut self, current: Stamp, max_pages: usize, max_bytes: usize, incoming: usize) {
        let pages_goal = (max_pages - max_pages / 10).saturating_sub(1);
        let bytes_goal = (max_bytes - max_bytes / 10).saturating_sub(incoming);
        let mut order: Vec<(bool, u64, String, usize)> = self
            .by_target
            .iter()
            .flat_map(|(target, variants)| {
                variants.iter().enumerate().filter_map(move |(i, page)| {
                    page.as_ref().map(|page| {
                        (
                            page.stamp == current,
                            page.used.load(Ordering::Relaxed),
                            target.clone(),
                            i,
                        )
                    })
                })
            })
            .collect();
        order.sort_unstable_by_key(|(current, used, _, _)| (*current, *used));
        for (_, _, target, i) in order {
            if self.pages <= pages_goal && self.bytes <= bytes_goal {
                break;
            }
            let Some(variants) = self.by_target.get_mut(&target) else {
                continue;
            };
            if let Some(page) = variants[i].take() {
                self.pages -= 1;
                self.bytes -= page.size;
            }
            if variants.iter().all(Option::is_none) {
                self.by_target.remove(&target);
            }
        }
    }

    fn clear(&mut self) {
        *self = Shelf::default();
    }
}

/// The cache, shared by the public routes' middleware and the task that watches the archive.
pub struct PageCache {
    ctx: AppState,
    max_pages: usize,
    max_bytes: usize,
    started: Instant,
    /// Bumped by a look that finds the archive changed (or still settling).
    generation: AtomicU64,
    /// The archive's `archive_changed_at` as last seen.
    changed_at: AtomicI64,
    /// Milliseconds from `started` to the last successful look, plus one; 0 before the first.
    looked: AtomicU64,
    shelf: RwLock<Shelf>,
}

impl PageCache {
    pub fn new(ctx: AppState) -> Arc<PageCache> {
        Arc::new(PageCache {
            max_pages: ctx.settings.server.page_cache_entries,
            max_bytes: ctx.settings.server.page_cache_bytes,
            ctx,
            started: Instant::now(),
            generation: AtomicU64::new(0),
            changed_at: AtomicI64::new(i64::MIN),
            looked: AtomicU64::new(0),
            shelf: RwLock::new(Shelf::default()),
        })
    }

    pub fn enabled(&self) -> bool {
        self.max_pages > 0 && self.max_bytes > 0
    }

    /// What a page made now is made under; none while the looks at the store are not recent.
    fn stamp(&self) -> Option<Stamp> {
        let looked = self.looked.load(Ordering::Acquire);
        let since_start = self.started.elapsed().as_millis() as u64 + 1;
        if looked == 0 || since_start.saturating_sub(looked) > LOOKS_LAPSE_AFTER.as_millis() as u64
        {
            return None;
        }
        Some(Stamp {
            generation: self.generation.load(Ordering::Acquire),
            edits: self.ctx.archive_edits.count(),
        })
    }

    fn now_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    fn get(&self, target: &str, coding: Coding, stamp: Stamp) -> Option<Arc<Page>> {
        let shelf = self.shelf.read().unwrap_or_else(|e| e.into_inner());
        shelf.get(target, coding, stamp, self.now_secs())
    }

    /// Keeps a page unless the archive changed while it was being made, or it is too large to
    /// be worth a place (an eighth of the memory allowed).
    fn keep(&self, target: String, coding: Coding, page: Arc<Page>) {
        if page.size > self.max_bytes / 8 {
            return;
        }
        let mut shelf = self.shelf.write().unwrap_or_else(|e| e.into_inner());
        if self.stamp() != Some(page.stamp) {
            return;
        }
        shelf.keep(target, coding, page, self.max_pages, self.max_bytes);
    }

    /// Records one look at the store: the archive's `changed_at` at wall-clock time `now`.
    fn saw(&self, changed_at: i64, now: i64) {
        let before = self.changed_at.swap(changed_at, Ordering::AcqRel);
        if before != changed_at || now <= changed_at.saturating_add(SETTLING_SECS) {
            // The generation first: a page made before this look can no longer be kept.
            self.generation.fetch_add(1, Ordering::AcqRel);
            self.shelf
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
        }
        let since_start = self.started.elapsed().as_millis() as u64 + 1;
        self.looked.store(since_start, Ordering::Release);
    }
}

/// Asks the store every second whether the archive changed, until `shutdown`.
pub async fn watch_archive(cache: Arc<PageCache>, shutdown: CancellationToken) {
    let mut failing = false;
    loop {
        match crate::services::archive::changed_at(&cache.ctx).await {
            Ok(changed_at) => {
                cache.saw(changed_at, chrono::Utc::now().timestamp());
                if failing {
                    tracing::info!("the store answers again: public pages are kept again");
                }
                failing = false;
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(
                        error = %error,
                        "cannot tell whether the archive changed: public pages are rendered afresh until the store answers"
                    );
                }
                failing = true;
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(LOOK_EVERY) => {}
        }
    }
}

/// Middleware on the public routes (outside the compression layer): answers from a kept page,
/// or makes the page, keeps it, and answers from it.
pub async fn serve(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let method = request.method();
    if (method != Method::GET && method != Method::HEAD) || !cache.enabled() {
        return next.run(request).await;
    }
    let Some(stamp) = cache.stamp() else {
        return next.run(request).await;
    };
    let coding = Coding::negotiate(request.headers());
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |target| target.as_str());
    if let Some(page) = cache.get(target, coding, stamp) {
        return page.answer(request.headers());
    }

    // Make the whole page in the chosen coding whatever the client holds (its conditions are
    // answered from the page), and as a GET: the router drops the body of a HEAD's answer.
    let target = target.to_owned();
    let (mut parts, body) = request.into_parts();
    let mut conditions = HeaderMap::new();
    for name in [header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE] {
        if let Some(value) = parts.headers.remove(&name) {
            conditions.insert(name, value);
        }
    }
    parts.method = Method::GET;
    match coding.accept_encoding() {
        Some(value) => parts.headers.insert(header::ACCEPT_ENCODING, value),
        None => parts.headers.remove(header::ACCEPT_ENCODING),
    };
    let response = next.run(Request::from_parts(parts, body)).await;

    let etag = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(etag) = etag.filter(|_| {
        response.status() == StatusCode::OK && !response.headers().contains_key(header::SET_COOKIE)
    }) else {
        return response;
    };
    let last_modified = response
        .headers()
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map_or(i64::MAX, |t| t.timestamp());
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(error = %error, "could not make a public page");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
            )
                .into_response();
        }
    };
    let mut headers = parts.headers;
    // Set again from the body whenever the page is sent.
    headers.remove(header::CONTENT_LENGTH);
    let size = body.len()
        + target.len()
        + headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum::<usize>()
        + 256;
    let page = Arc::new(Page {
        headers,
        body,
        etag,
        last_modified,
        stamp,
        made: Instant::now(),
        used: AtomicU64::new(cache.now_secs()),
        size,
    });
    cache.keep(target, coding, page.clone());
    page.answer(&conditions)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Coding {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        Coding::negotiate(&headers)
    }

    #[test]
    fn the_coding_is_the_one_the_client_rates_highest() {
        assert_eq!(Coding::negotiate(&HeaderMap::new()), Coding::Identity);
        assert_eq!(accepting("gzip, deflate, br, zstd"), Coding::Brotli);
        assert_eq!(accepting("gzip"), Coding::Gzip);
        assert_eq!(accepting("br;q=0.5, gzip"), Coding::Gzip);
        assert_eq!(accepting("br;q=0, gzip;q=0"), Coding::Identity);
        assert_eq!(accepting("identity"), Coding::Identity);
        assert_eq!(accepting("*"), Coding::Brotli);
        assert_eq!(accepting("*;q=0.1, br;q=0"), Coding::Gzip);
        assert_eq!(accepting("GZIP;Q=0.8, deflate"), Coding::Gzip);
        assert_eq!(accepting("br;q=nonsense, gzip;q=0.2"), Coding::Gzip);
    }

    fn page(stamp: Stamp, used: u64, body: usize) -> Arc<Page> {
        Arc::new(Page {
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; body]),
            etag: "\"e\"".into(),
            last_modified: 0,
            stamp,
            made: Instant::now(),
            used: AtomicU64::new(used),
            size: body,
        })
    }

    #[test]
    fn the_shelf_keeps_within_its_bounds_dropping_the_least_recently_used() {
        let now = Stamp {
            generation: 1,
            edits: 0,
        };
        let mut shelf = Shelf::default();
        for i in 0..100u64 {
            shelf.keep(
                format!("/alerts/{i}"),
                Coding::Gzip,
                page(now, i, 100),
                50,
                1 << 20,
            );
            assert!(shelf.pages <= 50);
        }
        assert!(shelf.get("/alerts/99", Coding::Gzip, now, 100).is_some());
        assert!(shelf.get("/alerts/0", Coding::Gzip, now, 100).is_none());
        assert!(
            shelf.get("/alerts/99", Coding::Brotli, now, 100).is_none(),
            "each coding is its own page"
        );

        let mut shelf = Shelf::default();
        for i in 0..100u64 {
            shelf.keep(
                format!("/feeds/{i}"),
                Coding::Identity,
                page(now, i, 1_000),
                1_000,
                10_000,
            );
            assert!(shelf.bytes <= 10_000, "{}", shelf.bytes);
        }
        assert!(shelf.get("/feeds/99", Coding::Identity, now, 100).is_some());

        // A page made before a change is not served, and goes first when room is needed.
        let before = Stamp {
            generation: 0,
            edits: 0,
        };
        let mut shelf = Shelf::default();
        shelf.keep(
            "/old".into(),
            Coding::Identity,
            page(before, 99, 10),
            2,
            1 << 20,
        );
        shelf.keep("/a".into(), Coding::Identity, page(now, 1, 10), 2, 1 << 20);
        assert!(shelf.get("/old", Coding::Identity, now, 100).is_none());
        shelf.keep("/b".into(), Coding::Identity, page(now, 2, 10), 2, 1 << 20);
        assert!(shelf.get("/a", Coding::Identity, now, 100).is_some());
        assert!(!shelf.by_target.contains_key("/old"));
    }
}

//! A stand-in for GOV.UK Notify for tests, never compiled into the binary: an in-memory axum
//! app on loopback that speaks the slice of Notify's v2 API Beacon uses (send a text, list by
//! reference, fetch by id, status callbacks), checks tokens and numbers as Notify does, and
//! fails or throttles on request. It sends nothing to anyone. Included as a module by the
//! integration tests (`tests/api/main.rs`) and by the library's unit tests (`src/delivery`).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use beacon::delivery::notify::{verify_token, NotifyKey, StatusCallback};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

const RATE_WINDOW: Duration = Duration::from_secs(60);
/// The limit quoted by injected 429s when no limit of our own is configured: Notify's live one.
const NOTIFY_RATE_LIMIT: u32 = beacon::config::NOTIFY_RATE_PER_MINUTE;

/// How the stand-in behaves. The key and template are the ones the client under test must use.
#[derive(Clone)]
pub struct FakeNotifyConfig {
    pub api_key: String,
    pub template_id: String,
    /// Authenticated sends per sliding 60 seconds before answering 429, counting those then
    /// refused as invalid, since Notify counts requests (0: no limit).
    pub rate_limit_per_minute: u32,
    /// Where to post delivery-status callbacks (None: no callbacks).
    pub callback_url: Option<String>,
    /// The bearer token sent with each callback.
    pub callback_token: String,
}

/// One text the stand-in accepted, as the test would read it off the resident's phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeText {
    pub phone_number: String,
    pub body: String,
    pub reference: Option<String>,
    pub id: String,
    /// When the gateway accepted it.
    pub received_at: Instant,
}

#[derive(Clone)]
pub struct FakeNotify {
    gateway: Arc<Mutex<Gateway>>,
    callbacks: reqwest::Client,
}

struct Gateway {
    key: NotifyKey,
    template_id: String,
    rate_limit_per_minute: u32,
    callback_url: Option<String>,
    callback_token: String,
    notifications: Vec<Notification>,
    fail_next: usize,
    throttle_next: usize,
    recent_sends: VecDeque<Instant>,
}

struct Notification {
    id: String,
    reference: Option<String>,
    phone_number: String,
    body: String,
    status: &'static str,
    created_at: String,
    received_at: Instant,
}

impl FakeNotify {
    /// # Panics
    /// When `config.api_key` is not a Notify API key: a mistake in the test or demo set-up.
    pub fn new(config: FakeNotifyConfig) -> FakeNotify {
        let key = NotifyKey::parse(&config.api_key)
            .unwrap_or_else(|e| panic!("FakeNotifyConfig.api_key: {e}"));
        let callbacks = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        FakeNotify {
            gateway: Arc::new(Mutex::new(Gateway {
                key,
                template_id: config.template_id,
                rate_limit_per_minute: config.rate_limit_per_minute,
                callback_url: config.callback_url,
                callback_token: config.callback_token,
                notifications: Vec::new(),
                fail_next: 0,
                throttle_next: 0,
                recent_sends: VecDeque::new(),
            })),
            callbacks,
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/v2/notifications/sms", post(send_sms))
            .route("/v2/notifications", get(list_notifications))
            .route("/v2/notifications/{id}", get(get_notification))
            .with_state(self.clone())
    }

    /// Binds 127.0.0.1:0, serves in a tokio task, returns the base URL ("http://127.0.0.1:PORT").
    pub async fn spawn(&self) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::warn!(%error, "the fake Notify gateway stopped");
            }
        });
        Ok(format!("http://{address}"))
    }

    /// Failure injection: the next `n` POSTs answer 500.
    pub fn fail_next(&self, n: usize) {
        self.lock().fail_next = n;
    }

    /// Failure injection: the next `n` POSTs answer 429.
    pub fn throttle_next(&self, n: usize) {
        self.lock().throttle_next = n;
    }

    /// Texts accepted so far, in order.
    pub fn sent(&self) -> Vec<FakeText> {
        self.lock()
            .notifications
            .iter()
            .map(|n| FakeText {
                phone_number: n.phone_number.clone(),
                body: n.body.clone(),
                reference: n.reference.clone(),
                id: n.id.clone(),
                received_at: n.received_at,
            })
            .collect()
    }

    fn lock(&self) -> MutexGuard<'_, Gateway> {
        // A test that panicked while holding the lock leaves nothing half-written worth refusing.
        self.gateway.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn post_callback(&self, url: String, token: String, callback: StatusCallback) {
        let client = self.callbacks.clone();
        tokio::spawn(async move {
            let result = client
                .post(&url)
                .bearer_auth(token)
                .json(&callback)
                .send()
                .await;
            match result {
                Ok(response) if response.status().is_success() => {}
                Ok(response) => {
                    tracing::warn!(status = %response.status(), "fake Notify callback refused")
                }
                Err(error) => {
                    tracing::warn!(error = %error.without_url(), "fake Notify callback failed")
                }
            }
        });
    }
}

async fn send_sms(State(fake): State<FakeNotify>, headers: HeaderMap, body: String) -> Response {
    let base = base_url(&headers);
    let mut gateway = fake.lock();
    if gateway.fail_next > 0 {
        gateway.fail_next -= 1;
        return internal_error().into_response();
    }
    if gateway.throttle_next > 0 {
        gateway.throttle_next -= 1;
        let limit = match gateway.rate_limit_per_minute {
            0 => NOTIFY_RATE_LIMIT,
            limit => limit,
        };
        return rate_limited(limit).into_response();
    }
    if let Err(refusal) = authenticate(&headers, &gateway.key) {
        return refusal.into_response();
    }
    let limit = gateway.rate_limit_per_minute;
    if !admit(&mut gateway.recent_sends, Instant::now(), limit) {
        return rate_limited(limit).into_response();
    }
    let request = match validate(&body, &gateway.template_id) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };

    let now = timestamp();
    let notification = Notification {
        id: uuid_v4(),
        reference: request.reference,
        status: final_status(&request.phone_number),
        phone_number: request.phone_number,
        body: request.body,
        created_at: now.clone(),
        received_at: Instant::now(),
    };
    let reply = json!({
        "id": notification.id,
        "reference": notification.reference,
        "content": { "body": notification.body, "from_number": "Beacon" },
        "uri": format!("{base}/v2/notifications/{}", notification.id),
        "template": template_json(&base, &gateway.template_id),
    });
    let callback = gateway.callback_url.clone().map(|url| {
        let callback = StatusCallback {
            id: notification.id.clone(),
            reference: notification.reference.clone(),
            to: notification.phone_number.clone(),
            status: notification.status.to_owned(),
            created_at: now.clone(),
            completed_at: Some(now.clone()),
            sent_at: Some(now),
            notification_type: "sms".to_owned(),
        };
        (url, gateway.callback_token.clone(), callback)
    });
    gateway.notifications.push(notification);
    drop(gateway);

    if let Some((url, token, callback)) = callback {
        fake.post_callback(url, token, callback);
    }
    (StatusCode::CREATED, Json(reply)).into_response()
}

#[derive(serde::Deserialize)]
struct ListQuery {
    reference: Option<String>,
    template_type: Option<String>,
    status: Option<String>,
}

/// Newest first, as Notify lists them.
async fn list_notifications(
    State(fake): State<FakeNotify>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let base = base_url(&headers);
    let gateway = fake.lock();
    if let Err(refusal) = authenticate(&headers, &gateway.key) {
        return refusal.into_response();
    }
    if let Some(kind) = query.template_type.as_deref() {
        if !matches!(kind, "sms" | "email" | "letter") {
            return error(
                StatusCode::BAD_REQUEST,
                "ValidationError",
                format!("template_type {kind} is not one of [sms, email, letter]"),
            )
            .into_response();
        }
    }
    // Only texts live here, so asking for emails or letters finds nothing.
    let texts_wanted = query
        .template_type
        .as_deref()
        .is_none_or(|kind| kind == "sms");
    let notifications: Vec<Value> = gateway
        .notifications
        .iter()
        .rev()
        .filter(|_| texts_wanted)
        .filter(|n| query.reference.is_none() || n.reference == query.reference)
        .filter(|n| {
            query
                .status
                .as_deref()
                .is_none_or(|status| status == n.status)
        })
        .map(|n| notification_json(n, &base, &gateway.template_id))
        .collect();
    let mut current = format!("{base}/v2/notifications");
    let mut pairs = Vec::new();
    for (name, value) in [
        ("reference", &query.reference),
        ("template_type", &query.template_type),
        ("status", &query.status),
    ] {
        if let Some(value) = value {
            pairs.push(format!("{name}={value}"));
        }
    }
    if !pairs.is_empty() {
        current = format!("{current}?{}", pairs.join("&"));
    }
    Json(json!({ "notifications": notifications, "links": { "current": current } })).into_response()
}

async fn get_notification(
    State(fake): State<FakeNotify>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let base = base_url(&headers);
    let gateway = fake.lock();
    if let Err(refusal) = authenticate(&headers, &gateway.key) {
        return refusal.into_response();
    }
    match gateway.notifications.iter().find(|n| n.id == id) {
        Some(n) => Json(notification_json(n, &base, &gateway.template_id)).into_response(),
        None => error(StatusCode::NOT_FOUND, "NoResultFound", "No result found").into_response(),
    }
}

/// Notify answers 401 when there is no bearer token at all and 403 when the token is wrong.
fn authenticate(headers: &HeaderMap, key: &NotifyKey) -> Result<(), Refusal> {
    let Some(authorization) = headers.get(header::AUTHORIZATION) else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "AuthError",
            "Unauthorized: authentication token must be provided",
        ));
    };
    let Some(token) = authorization
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "AuthError",
            "Unauthorized: authentication bearer scheme must be used",
        ));
    };
    verify_token(token.trim(), key, chrono::Utc::now().timestamp())
        .map_err(|message| error(StatusCode::FORBIDDEN, "AuthError", message))
}

/// Sliding window: admits and records a send unless `limit` were admitted in the last minute.
pub fn admit(recent: &mut VecDeque<Instant>, now: Instant, limit: u32) -> bool {
    if limit == 0 {
        return true;
    }
    while recent
        .front()
        .is_some_and(|&sent| now.saturating_duration_since(sent) >= RATE_WINDOW)
    {
        recent.pop_front();
    }
    if recent.len() >= limit as usize {
        return false;
    }
    recent.push_back(now);
    true
}

struct SmsRequest {
    phone_number: String,
    body: String,
    reference: Option<String>,
}

fn validate(body: &str, template_id: &str) -> Result<SmsRequest, Refusal> {
    let bad_request = |kind: &str, message: &str| error(StatusCode::BAD_REQUEST, kind, message);
    let request: Value = serde_json::from_str(body)
        .map_err(|_| bad_request("BadRequestError", "Invalid JSON supplied in POST data"))?;
    let text = |field: &str| request.get(field).and_then(Value::as_str);
    let phone_number = text("phone_number")
        .ok_or_else(|| bad_request("ValidationError", "phone_number is a required property"))?;
    let requested_template = text("template_id")
        .ok_or_else(|| bad_request("ValidationError", "template_id is a required property"))?;
    if uk_mobile(phone_number).is_none() {
        return Err(bad_request(
            "ValidationError",
            "phone_number Not a UK mobile number",
        ));
    }
    if requested_template != template_id {
        return Err(bad_request("BadRequestError", "Template not found"));
    }
    let body = request
        .get("personalisation")
        .and_then(|p| p.get("body"))
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request("BadRequestError", "Missing personalisation: body"))?;
    Ok(SmsRequest {
        phone_number: phone_number.to_owned(),
        body: body.to_owned(),
        reference: text("reference").map(str::to_owned),
    })
}

/// `+447…` or `07…` and nine more digits, spaces allowed; E.164 when it is one.
pub fn uk_mobile(number: &str) -> Option<String> {
    let compact: String = number.chars().filter(|c| *c != ' ').collect();
    let rest = compact
        .strip_prefix("+447")
        .or_else(|| compact.strip_prefix("07"))?;
    (rest.len() == 9 && rest.bytes().all(|b| b.is_ascii_digit())).then(|| format!("+447{rest}"))
}

/// Notify's test numbers decide the outcome by their ending: …999 never takes a text, …998 is
/// switched off for too long, everything else arrives.
pub fn final_status(phone_number: &str) -> &'static str {
    let e164 = uk_mobile(phone_number).unwrap_or_default();
    if e164.ends_with("999") {
        "permanent-failure"
    } else if e164.ends_with("998") {
        "temporary-failure"
    } else {
        "delivered"
    }
}

fn notification_json(n: &Notification, base: &str, template_id: &str) -> Value {
    json!({
        "id": n.id,
        "reference": n.reference,
        "email_address": null,
        "phone_number": n.phone_number,
        "line_1": null,
        "postcode": null,
        "type": "sms",
        "status": n.status,
        "template": template_json(base, template_id),
        "body": n.body,
        "subject": null,
        "created_at": n.created_at,
        "created_by_name": null,
        "sent_at": n.created_at,
        "completed_at": n.created_at,
        "scheduled_for": null,
    })
}

fn template_json(base: &str, template_id: &str) -> Value {
    json!({
        "id": template_id,
        "version": 1,
        "uri": format!("{base}/v2/template/{template_id}"),
    })
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// An error answer in Notify's shape: `{"status_code": 400, "errors": [{"error", "message"}]}`.
struct Refusal {
    status: StatusCode,
    kind: String,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({
            "status_code": self.status.as_u16(),
            "errors": [{ "error": self.kind, "message": self.message }],
        });
        (self.status, Json(body)).into_response()
    }
}

fn error(status: StatusCode, kind: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        kind: kind.to_owned(),
        message: message.into(),
    }
}

fn internal_error() -> Refusal {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Exception",
        "Internal server error",
    )
}

fn rate_limited(limit: u32) -> Refusal {
    error(
        StatusCode::TOO_MANY_REQUESTS,
        "RateLimitError",
        format!("Exceeded rate limit for key type LIVE of {limit} requests per 60 seconds"),
    )
}

/// ISO 8601 UTC with microseconds, as Notify writes it: `2026-11-22T01:02:03.123456Z`.
fn timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

pub fn uuid_v4() -> String {
    let mut bytes = beacon::random::random_bytes(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

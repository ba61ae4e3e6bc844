//! The stand-in GOV.UK Notify gateway (`tests/support/fake_notify.rs`) checked against what
//! Notify does: refusals, callbacks, lookups by id and reference, its rate-limit window.

use crate::fake_notify::{admit, final_status, uk_mobile, uuid_v4, FakeNotify, FakeNotifyConfig};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use beacon::delivery::notify::{NotifyClient, NotifyKey, StatusCallback};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

const API_KEY: &str =
    "beacon_live-2c5a1a7e-8f0b-4c3e-9b6d-1f2e3d4c5b6a-9d8c7b6a-5f4e-4d3c-8b2a-1e0f9a8b7c6d";
const TEMPLATE_ID: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";

fn config() -> FakeNotifyConfig {
    FakeNotifyConfig {
        api_key: API_KEY.to_owned(),
        template_id: TEMPLATE_ID.to_owned(),
        rate_limit_per_minute: 0,
        callback_url: None,
        callback_token: String::new(),
    }
}

async fn gateway(config: FakeNotifyConfig) -> (FakeNotify, String, NotifyClient) {
    let fake = FakeNotify::new(config);
    let base_url = fake.spawn().await.unwrap();
    let client =
        NotifyClient::new(&base_url, API_KEY, TEMPLATE_ID, Duration::from_secs(5)).unwrap();
    (fake, base_url, client)
}

fn token() -> String {
    NotifyKey::parse(API_KEY)
        .unwrap()
        .token(chrono::Utc::now().timestamp())
}

/// Posts raw JSON the way a careless client might, for the refusals our client never provokes.
async fn post_raw(base_url: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base_url}/v2/notifications/sms"))
        .bearer_auth(token())
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A tiny service receiving callbacks: each arrives as (Authorization header, body).
async fn callback_receiver() -> (String, mpsc::UnboundedReceiver<(String, StatusCallback)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/notify/callback",
        post(
            move |headers: HeaderMap, Json(callback): Json<StatusCallback>| {
                let tx = tx.clone();
                async move {
                    let authorization = headers
                        .get(header::AUTHORIZATION)
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let _ = tx.send((authorization, callback));
                    StatusCode::NO_CONTENT
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/notify/callback"), rx)
}

#[tokio::test]
async fn callbacks_report_each_texts_final_status_with_the_bearer_token() {
    let (callback_url, mut callbacks) = callback_receiver().await;
    let (_fake, _, client) = gateway(FakeNotifyConfig {
        callback_url: Some(callback_url),
        callback_token: "callback-secret-123".to_owned(),
        ..config()
    })
    .await;

    let unreachable = client
        .send_sms("+447700900999", "Road closed", "d-999")
        .await
        .unwrap();
    let (authorization, callback) = tokio::time::timeout(Duration::from_secs(5), callbacks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(authorization, "Bearer callback-secret-123");
    assert_eq!(callback.id, unreachable.id);
    assert_eq!(callback.reference.as_deref(), Some("d-999"));
    assert_eq!(callback.to, "+447700900999");
    assert_eq!(callback.status, "permanent-failure");
    assert_eq!(callback.notification_type, "sms");
    assert_eq!(
        callback.outcome(),
        beacon::delivery::notify::CallbackOutcome::Permanent
    );
    assert!(chrono::DateTime::parse_from_rfc3339(&callback.created_at).is_ok());

    client
        .send_sms("07700 900998", "Road closed", "d-998")
        .await
        .unwrap();
    let (_, callback) = tokio::time::timeout(Duration::from_secs(5), callbacks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(callback.status, "temporary-failure");

    client
        .send_sms("+447700900123", "Road closed", "d-123")
        .await
        .unwrap();
    let (_, callback) = tokio::time::timeout(Duration::from_secs(5), callbacks.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(callback.status, "delivered");
}

#[tokio::test]
async fn requests_are_refused_as_notify_refuses_them() {
    let (fake, base_url, _) = gateway(config()).await;
    let valid = json!({
        "phone_number": "+447700900123",
        "template_id": TEMPLATE_ID,
        "personalisation": { "body": "Hello" },
    });
    let refusal = |body: &Value| body["errors"][0]["message"].as_str().unwrap().to_owned();

    let mut unknown_template = valid.clone();
    unknown_template["template_id"] = json!("00000000-0000-4000-8000-000000000000");
    let (status, body) = post_raw(&base_url, unknown_template).await;
    assert_eq!(
        (status, body["errors"][0]["error"].as_str()),
        (400, Some("BadRequestError"))
    );
    assert_eq!(refusal(&body), "Template not found");

    let mut no_body = valid.clone();
    no_body["personalisation"] = json!({});
    let (status, body) = post_raw(&base_url, no_body).await;
    assert_eq!(status, 400);
    assert_eq!(refusal(&body), "Missing personalisation: body");

    let mut landline = valid.clone();
    landline["phone_number"] = json!("01632 960001");
    let (status, body) = post_raw(&base_url, landline).await;
    assert_eq!((status, body["status_code"].as_u64()), (400, Some(400)));
    assert_eq!(refusal(&body), "phone_number Not a UK mobile number");

    let response = reqwest::Client::new()
        .post(format!("{base_url}/v2/notifications/sms"))
        .json(&valid)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    assert!(fake.sent().is_empty());
    let (status, body) = post_raw(&base_url, valid).await;
    assert_eq!(status, 201);
    assert_eq!(body["content"]["body"], "Hello");
    assert_eq!(body["template"]["id"], TEMPLATE_ID);
    assert!(body["uri"].as_str().unwrap().ends_with(&format!(
        "/v2/notifications/{}",
        body["id"].as_str().unwrap()
    )));
    assert_eq!(fake.sent().len(), 1);
}

#[tokio::test]
async fn a_text_can_be_fetched_by_its_id() {
    let (_fake, base_url, client) = gateway(config()).await;
    let receipt = client
        .send_sms("+447700900123", "Hello", "d-1")
        .await
        .unwrap();
    let fetch = |id: String| {
        reqwest::Client::new()
            .get(format!("{base_url}/v2/notifications/{id}"))
            .bearer_auth(token())
            .send()
    };
    let found = fetch(receipt.id.clone()).await.unwrap();
    assert_eq!(found.status(), 200);
    let found: Value = found.json().await.unwrap();
    assert_eq!(found["id"], receipt.id.as_str());
    assert_eq!(found["status"], "delivered");
    assert_eq!(found["type"], "sms");
    assert_eq!(found["reference"], "d-1");
    assert_eq!(fetch(uuid_v4()).await.unwrap().status(), 404);
}

#[tokio::test]
async fn duplicate_references_are_kept_and_the_newest_is_found() {
    let (fake, _, client) = gateway(config()).await;
    client
        .send_sms("+447700900123", "First", "same")
        .await
        .unwrap();
    let second = client
        .send_sms("+447700900123", "Second", "same")
        .await
        .unwrap();
    assert_eq!(fake.sent().len(), 2);
    let found = client.find_by_reference("same").await.unwrap().unwrap();
    assert_eq!(found.id, second.id);
}

#[test]
fn the_rate_limit_window_slides() {
    let start = Instant::now();
    let mut recent = VecDeque::new();
    assert!(admit(&mut recent, start, 2));
    assert!(admit(&mut recent, start + Duration::from_secs(30), 2));
    assert!(!admit(&mut recent, start + Duration::from_secs(59), 2));
    assert!(admit(&mut recent, start + Duration::from_secs(60), 2));
    assert!(!admit(&mut recent, start + Duration::from_secs(89), 2));
    assert!(admit(&mut recent, start + Duration::from_secs(90), 2));
    assert!((0..100).all(|_| admit(&mut recent, start, 0)));
}

#[test]
fn uk_mobile_numbers_are_recognised_as_notify_does() {
    for good in [
        "+447700900123",
        "07700900123",
        "07700 900 123",
        "+44 7700 900123",
    ] {
        assert_eq!(uk_mobile(good).as_deref(), Some("+447700900123"), "{good}");
    }
    for bad in [
        "",
        "+15555550123",
        "01632960001",
        "0770090012",
        "077009001234",
        "0770090012x",
    ] {
        assert_eq!(uk_mobile(bad), None, "{bad}");
    }
    assert_eq!(final_status("07700 900 999"), "permanent-failure");
    assert_eq!(final_status("+447700900998"), "temporary-failure");
    assert_eq!(final_status("+447700900997"), "delivered");
}

#[test]
fn ids_look_like_notify_ids() {
    let id = uuid_v4();
    assert_eq!(id.len(), 36);
    assert_eq!(&id[14..15], "4");
    assert_ne!(id, uuid_v4());
}

//! The JSON API as a client developer meets it (issue 19, item 9): every endpoint is in the
//! OpenAPI document, with real types and this deployment's choices as enums, and every error,
//! a server error included, comes back as JSON.

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use axum::http::Method;

#[tokio::test]
async fn every_api_endpoint_is_documented() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document: serde_json::Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let paths = &document["paths"];
    let mut checked = 0;
    for route in beacon::web::routes() {
        if !route.path.starts_with("/api/v1/") {
            continue;
        }
        let method = if route.method == Method::POST {
            "post"
        } else {
            "get"
        };
        let operation = &paths[route.path][method];
        assert!(
            operation.is_object(),
            "{method} {} is not in /api/openapi.json",
            route.path
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.contains_key("500"),
            "{method} {} does not document its server error",
            route.path
        );
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} API routes");

    // Real types: a priority is an integer from 1 to 5, a page size a number.
    let schemas = &document["components"]["schemas"];
    let priority = &schemas["AlertRequest"]["properties"]["priority"];
    assert_eq!(priority["type"], "integer");
    assert_eq!(
        (priority["minimum"].as_i64(), priority["maximum"].as_i64()),
        (Some(1), Some(5))
    );
    let filters = document["paths"]["/api/v1/public/alerts"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let filter = |name: &str| filters.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    assert_eq!(filter("limit")["type"], "integer");
    // Filters that choose from a list are enums of this deployment's list.
    let providers: Vec<String> = app
        .ctx
        .store
        .providers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(filter("provider")["enum"], serde_json::json!(providers));
    let kinds: Vec<String> = app
        .ctx
        .store
        .message_types()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.slug)
        .collect();
    assert_eq!(filter("type")["enum"], serde_json::json!(kinds));
    assert_eq!(
        schemas["SubscriptionRequest"]["properties"]["message_types"]["items"]["enum"],
        serde_json::json!(kinds)
    );
    // Sending alerts needs a token, and says so.
    assert_eq!(
        document["paths"]["/api/v1/alerts"]["post"]["security"],
        serde_json::json!([{ "apiToken": [] }])
    );
    app.stop().await;
}

/// Asserts the answer is `status` with a JSON body `{"error": "…"}`, and gives the message.
async fn json_error(response: reqwest::Response, status: u16) -> String {
    assert_eq!(response.status(), status, "{:?}", response.url());
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        kind.starts_with("application/json"),
        "{status} came as {kind}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    body["error"].as_str().expect("an error message").to_owned()
}

on_both_backends!(api_errors_are_json_even_the_server_s_own, errors_body);
async fn errors_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    json_error(app.get("/api/v1/no-such-thing").await, 404).await;
    let wrong_method = client
        .delete(app.url("/api/v1/providers"))
        .send()
        .await
        .unwrap();
    json_error(wrong_method, 405).await;
    let huge = client
        .post(app.url("/api/v1/subscriptions"))
        .header("content-type", "application/json")
        .body(vec![b' '; 4 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    json_error(huge, 413).await;
    // The pages stay pages: an unknown page is HTML.
    let page = app.get("/no-such-page").await;
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));

    // The database loses a table under the service: a 500, in JSON, saying nothing was saved.
    sqlx_drop_providers(&app).await;
    let message = json_error(app.get("/api/v1/providers").await, 500).await;
    assert!(message.contains("nothing was saved"), "{message}");
    app.stop().await;
}

async fn sqlx_drop_providers(app: &TestApp) {
    use sqlx::Connection;
    if app.database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut db)
            .await
            .unwrap();
        sqlx::query("DROP TABLE providers")
            .execute(&mut db)
            .await
            .unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query("DROP TABLE providers CASCADE")
            .execute(&mut db)
            .await
            .unwrap();
    }
}

on_both_backends!(alerts_take_a_priority_as_a_number, numbers_body);
async fn numbers_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    crate::staff::add_staff(&app, "Alex Morgan", "alex@cambs.police.example", true).await;
    let admin = app.ctx.store.list_staff().await.unwrap().remove(0);
    let by_admin = beacon::services::staff::Actor {
        staff: Some(&admin),
        ip: "test",
    };
    let token = beacon::services::api_tokens::create(
        &app.ctx,
        &by_admin,
        "cambridgeshire-constabulary",
        "Force website CMS",
    )
    .await
    .unwrap();
    // As the document says: an integer priority and a boolean for the whole force area.
    let created = reqwest::Client::new()
        .post(app.url("/api/v1/alerts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "message_type": "crime-update",
            "priority": 2,
            "title": "Shed break-ins in Histon",
            "body": "Lock sheds and mark tools.",
            "force_area": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let alert: serde_json::Value = created.json().await.unwrap();
    assert_eq!(alert["priority"], 2);
    assert_eq!(alert["area"], "The whole force area");
    app.stop().await;
}

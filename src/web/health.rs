//! Health checks: `/healthz` says the process is up; `/readyz` says its database takes writes.

use super::AppState;
use crate::services::health;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;

pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(ctx): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let readiness = health::ready(&ctx).await;
    match readiness.writable {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": readiness.backend })),
        ),
        Err(error) => {
            tracing::warn!(%error, "not ready: the database does not take writes");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": readiness.backend })),
            )
        }
    }
}

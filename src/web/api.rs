//! The JSON API for residents' sign-up and the catalogue, for apps and partner websites.

use super::error::WebResult;
use super::{AppState, ClientIp};
use crate::domain::subscriber::SignUpInput;
use crate::domain::Postcode;
use crate::geo::grid::bng_to_wgs84;
use crate::services::postcodes::locate;
use crate::services::subscriptions::{self as subs, SubscriptionError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// `POST /api/v1/subscriptions`: 202 and a pending subscription (the confirmation email is on its
/// way), 422 with the problems field by field, or 429.
pub async fn create_subscription(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Json<SignUpInput>, JsonRejection>,
) -> WebResult<Response> {
    let Json(input) = match body {
        Ok(body) => body,
        Err(rejection) => return Ok(problem(rejection.status(), &rejection.body_text())),
    };
    Ok(match subs::sign_up(&ctx, &input, &ip).await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(json!({
                "status": "pending",
                "message": "Check your email: we have sent a link to confirm the subscription."
            })),
        )
            .into_response(),
        Err(SubscriptionError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": "The subscription has problems", "errors": errors })),
        )
            .into_response(),
        Err(error @ SubscriptionError::RateLimited) => {
            problem(StatusCode::TOO_MANY_REQUESTS, &error.to_string())
        }
        Err(SubscriptionError::Unexpected(error)) => return Err(error.into()),
    })
}

pub async fn providers(State(ctx): State<AppState>) -> WebResult<Response> {
    Ok(Json(json!({ "providers": ctx.store.providers().await? })).into_response())
}

pub async fn message_types(State(ctx): State<AppState>) -> WebResult<Response> {
    Ok(Json(json!({ "message_types": ctx.store.message_types().await? })).into_response())
}

/// `GET /api/v1/postcodes/{postcode}`: where a postcode is, in grid and WGS84 coordinates.
pub async fn postcode(State(ctx): State<AppState>, Path(raw): Path<String>) -> WebResult<Response> {
    let postcode = match Postcode::parse(&raw) {
        Ok(postcode) => postcode,
        Err(error) => return Ok(problem(StatusCode::BAD_REQUEST, &error.to_string())),
    };
    Ok(match locate(&ctx.store, &postcode).await? {
        Ok(location) => {
            let wgs84 = location
                .easting
                .zip(location.northing)
                .map(|(e, n)| bng_to_wgs84(f64::from(e), f64::from(n)));
            Json(json!({
                "postcode": location.postcode,
                "district_code": location.district_code,
                "district_name": location.district_name,
                "easting": location.easting,
                "northing": location.northing,
                "latitude": wgs84.map(|p| (p.latitude * 1e6).round() / 1e6),
                "longitude": wgs84.map(|p| (p.longitude * 1e6).round() / 1e6),
            }))
            .into_response()
        }
        Err(place_problem) => problem(StatusCode::NOT_FOUND, &place_problem.to_string()),
    })
}

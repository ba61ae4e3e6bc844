//! The JSON API: residents' sign-up and the catalogue for apps and partner websites, and
//! composing and sending alerts for other systems holding an API token.

use super::error::{UseCaseError, WebResult};
use super::{AppState, ClientIp};
use crate::domain::staff::SenderInput;
use crate::domain::subscriber::SignUpInput;
use crate::geo::grid::bng_to_wgs84;
use crate::services::alerts::AlertInput;
use crate::services::alerts::{AlertActionError, ComposeError};
use crate::services::api_tokens::{self, AlertReport};
use crate::services::catalogue;
use crate::services::postcodes::{self, LookupError};
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
        Err(error) => return Err(error.into()),
    })
}

pub async fn providers(State(ctx): State<AppState>) -> WebResult<Response> {
    Ok(Json(json!({ "providers": catalogue::providers(&ctx).await? })).into_response())
}

pub async fn message_types(State(ctx): State<AppState>) -> WebResult<Response> {
    Ok(Json(json!({ "message_types": catalogue::message_types(&ctx).await? })).into_response())
}

/// `GET /api/v1/postcodes/{postcode}`: where a postcode is, in grid and WGS84 coordinates.
pub async fn postcode(State(ctx): State<AppState>, Path(raw): Path<String>) -> WebResult<Response> {
    Ok(match postcodes::look_up(&ctx, &raw).await {
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
        Err(LookupError::Unexpected(error)) => return Err(error.into()),
        Err(error) => problem(error.status_code(), &error.to_string()),
    })
}

/// A request made with an API token (`Authorization: Bearer bcn_…`).
pub struct ApiClient(pub crate::store::ApiToken);

impl axum::extract::FromRequestParts<AppState> for ApiClient {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        ctx: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .unwrap_or_default();
        match api_tokens::authenticate(ctx, bearer).await {
            Ok(Some(token)) if token.scope == crate::store::TokenScope::Alerts => {
                Ok(ApiClient(token))
            }
            Ok(Some(_)) => Err(problem(
                StatusCode::FORBIDDEN,
                "This token is an Open311 key: it cannot compose or send alerts",
            )),
            Ok(None) => Err(problem(
                StatusCode::UNAUTHORIZED,
                "Send a valid API token: Authorization: Bearer bcn_…",
            )),
            Err(error) => Err(super::error::WebError(error).into_response()),
        }
    }
}

/// What an API client reads when a token may not do something (the reason is in the audit log).
const TOKEN_NOT_PERMITTED: &str = "This token may not do that";

fn compose_error(error: ComposeError) -> WebResult<Response> {
    let status = error.status_code();
    Ok(match error {
        ComposeError::Invalid(errors) => (
            status,
            Json(json!({ "error": "The alert has problems", "errors": errors })),
        )
            .into_response(),
        ComposeError::NotPermitted(_) => problem(status, TOKEN_NOT_PERMITTED),
        ComposeError::Unexpected(error) => return Err(error.into()),
    })
}

fn action_error(error: AlertActionError) -> WebResult<Response> {
    Ok(match error {
        AlertActionError::NotPermitted(_) => problem(error.status_code(), TOKEN_NOT_PERMITTED),
        AlertActionError::Unexpected(error) => return Err(error.into()),
        refusal => problem(refusal.status_code(), &refusal.to_string()),
    })
}

/// An alert as an API client writes it: the compose form's fields, and who wrote it.
#[derive(Debug, serde::Deserialize)]
pub struct ApiAlertInput {
    #[serde(flatten)]
    alert: AlertInput,
    /// Named in the sign-off; without it the alert is signed off by the organisation.
    #[serde(default)]
    sender: Option<SenderInput>,
}

/// `POST /api/v1/alerts`: composes an alert for the token's organisation, ready to send.
pub async fn create_alert(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiClient(token): ApiClient,
    body: Result<Json<ApiAlertInput>, JsonRejection>,
) -> WebResult<Response> {
    let Json(input) = match body {
        Ok(body) => body,
        Err(rejection) => return Ok(problem(rejection.status(), &rejection.body_text())),
    };
    let sender = input.sender.as_ref();
    match api_tokens::compose(&ctx, &token, &ip, &input.alert, sender).await {
        Ok(id) => Ok((StatusCode::CREATED, Json(alert_json(&ctx, id).await?)).into_response()),
        Err(error) => compose_error(error),
    }
}

/// `POST /api/v1/alerts/{id}/send`
pub async fn send_alert(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiClient(token): ApiClient,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    if api_tokens::alert_report(&ctx, id).await?.is_none() {
        return Ok(problem(StatusCode::NOT_FOUND, "There is no such alert"));
    }
    match api_tokens::send(&ctx, &token, &ip, id).await {
        Ok(_) => Ok(Json(alert_json(&ctx, id).await?).into_response()),
        Err(error) => action_error(error),
    }
}

/// `GET /api/v1/alerts/{id}`: one of the token's organisation's alerts.
pub async fn get_alert(
    State(ctx): State<AppState>,
    ApiClient(token): ApiClient,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    match api_tokens::token_alert(&ctx, &token, id).await? {
        Some(report) => Ok(Json(report_json(report)).into_response()),
        None => Ok(problem(StatusCode::NOT_FOUND, "There is no such alert")),
    }
}

async fn alert_json(ctx: &AppState, id: i64) -> anyhow::Result<serde_json::Value> {
    use anyhow::Context;
    let report = api_tokens::alert_report(ctx, id)
        .await?
        .context("the alert vanished")?;
    Ok(report_json(report))
}

fn report_json(AlertReport { alert, delivery }: AlertReport) -> serde_json::Value {
    // Once sent, how its delivery stands (counts only: no resident is named).
    let delivery = if let Some(report) = delivery {
        json!({
            "all_queued": report.fanout_done_at.is_some(),
            "email": report.email,
            "sms": report.sms,
            "useful": report.useful,
            "not_useful": report.not_useful,
        })
    } else {
        serde_json::Value::Null
    };
    json!({
        "id": alert.id,
        "reference": format!("Alert {}", alert.id),
        "status": alert.status,
        "provider": alert.provider_name,
        "message_type": alert.message_type_name,
        "priority": alert.content.priority,
        "title": alert.content.title,
        "area": alert.content.target_description,
        "signoff": alert.signoff.lines(),
        "delivery": delivery,
    })
}

/// What an API client reads for a failure that no handler answered in JSON (a panic's or a
/// database's 500, an unknown address, a body too large, a request too slow): the same
/// `{"error": …}` shape as every other API error, with the status kept.
pub async fn json_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = match status {
        StatusCode::INTERNAL_SERVER_ERROR => {
            "Sorry, there is a problem with the service. Try again later: nothing was saved."
        }
        StatusCode::NOT_FOUND => "There is nothing at this address: see /api/openapi.json",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not take that method",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large",
        StatusCode::REQUEST_TIMEOUT => "The request took too long to arrive",
        _ => status.canonical_reason().unwrap_or("The request failed"),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_ENCODING);
    let mut answer = problem(status, message);
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

/// What `POST /api/v1/scam-check` reads.
#[derive(Debug, serde::Deserialize)]
pub struct ScamCheckRequest {
    text: String,
    #[serde(default)]
    channel: Option<String>,
}

/// `POST /api/v1/scam-check`: the scam checker's answer, as the page gives it. The text is
/// neither stored nor logged.
pub async fn scam_check(
    State(ctx): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Json<ScamCheckRequest>, JsonRejection>,
) -> WebResult<Response> {
    use crate::services::scam_check::{self, Channel, CheckError, ScamCheckError};
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return Ok(problem(rejection.status(), &rejection.body_text())),
    };
    let channel = match request.channel.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match Channel::parse(raw) {
            Some(channel) => Some(channel),
            None => {
                let slugs: Vec<&str> = Channel::ALL.iter().map(|c| c.slug()).collect();
                let message = format!("Choose a channel from: {}", slugs.join(", "));
                return Ok((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "error": "The request has problems",
                        "errors": [{ "field": "channel", "message": message }],
                    })),
                )
                    .into_response());
            }
        },
    };
    let answer = match scam_check::check(&ctx, &request.text, channel, &ip).await {
        Ok(answer) => answer,
        Err(ScamCheckError::Invalid(error)) => {
            let status = match error {
                CheckError::TooLong { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return Ok(problem(status, &error.to_string()));
        }
        Err(error @ ScamCheckError::RateLimited) => {
            return Ok(problem(StatusCode::TOO_MANY_REQUESTS, &error.to_string()))
        }
        Err(ScamCheckError::Unexpected(error)) => return Err(error.into()),
    };
    Ok(Json(scam_check::answer_json(&answer, |path| ctx.link(path))).into_response())
}

//! A district's public page (`/districts/{code}`): the priorities its residents chose in
//! published surveys, and its Neighbourhood Watch schemes.

use super::error::WebResult;
use super::views;
use super::AppState;
use crate::services::district_page::{self as service, DistrictPage};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Template)]
#[template(path = "pages/district.html")]
struct Page {
    district: DistrictPage,
}

/// `GET /districts/{code}`: a district's priorities and schemes.
pub async fn show(State(ctx): State<AppState>, Path(code): Path<String>) -> WebResult<Response> {
    match service::page(&ctx, code.trim()).await? {
        Some(district) => Ok(views::render(&Page { district })),
        None => Ok((
            StatusCode::NOT_FOUND,
            views::message_page(
                "District not found",
                &["There is no such district in the area this service covers."],
                Some((
                    "/schemes",
                    "See the Neighbourhood Watch schemes by district",
                )),
            ),
        )
            .into_response()),
    }
}

//! How unexpected failures reach a browser or an API client: an opaque 500, with the detail in
//! the log only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct WebError(pub anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for WebError {
    fn from(error: E) -> Self {
        WebError(error.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        tracing::error!(error = ?self.0, "request failed");
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            super::views::message_page(
                "Sorry, there is a problem with the service",
                &["Try again later. What you entered has not been saved."],
                None,
            ),
        )
            .into_response()
    }
}

pub type WebResult<T> = Result<T, WebError>;

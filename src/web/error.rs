//! How failures reach a browser or an API client. Each use case's error says what HTTP status it
//! is, here and nowhere else (`UseCaseError`); an unexpected failure is an opaque 500, with the
//! detail in the log only.

use crate::services::alerts::{AlertActionError, ComposeError};
use crate::services::approvals::SendBackError;
use crate::services::archive::ArchiveError;
use crate::services::archive::FilterProblem;
use crate::services::postcodes::LookupError;
use crate::services::staff::{EnrolmentError, SignInError, StaffAdminError};
use crate::services::subscriptions::{LinkProblem, MobileCodeError, SubscriptionError};
use crate::services::templates::TemplateError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

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

/// A use case's error as the HTTP status that answers it.
pub trait UseCaseError {
    fn status_code(&self) -> StatusCode;
}

impl UseCaseError for SubscriptionError {
    fn status_code(&self) -> StatusCode {
        match self {
            SubscriptionError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            SubscriptionError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            SubscriptionError::Link(problem) => problem.status_code(),
            SubscriptionError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for LinkProblem {
    fn status_code(&self) -> StatusCode {
        StatusCode::NOT_FOUND
    }
}

impl UseCaseError for MobileCodeError {
    fn status_code(&self) -> StatusCode {
        match self {
            MobileCodeError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

impl UseCaseError for SignInError {
    fn status_code(&self) -> StatusCode {
        match self {
            // Every refusal answers alike, a rate limit too: the answer must not tell which
            // part was wrong.
            SignInError::TooManyAttempts
            | SignInError::UnknownAccount
            | SignInError::Locked
            | SignInError::WrongCredentials { .. } => StatusCode::UNAUTHORIZED,
            SignInError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for EnrolmentError {
    fn status_code(&self) -> StatusCode {
        match self {
            EnrolmentError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            EnrolmentError::LinkUsed => StatusCode::NOT_FOUND,
            EnrolmentError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for StaffAdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            StaffAdminError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            StaffAdminError::NotAdmin => StatusCode::FORBIDDEN,
            StaffAdminError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for ComposeError {
    fn status_code(&self) -> StatusCode {
        match self {
            ComposeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ComposeError::NotPermitted(_) => StatusCode::FORBIDDEN,
            ComposeError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for AlertActionError {
    fn status_code(&self) -> StatusCode {
        match self {
            AlertActionError::NotPermitted(_) => StatusCode::FORBIDDEN,
            AlertActionError::StatusChanged
            | AlertActionError::NotReadyToSend
            | AlertActionError::ScheduleOutOfRange
            | AlertActionError::UnreadableTime
            | AlertActionError::NotEditable => StatusCode::CONFLICT,
            AlertActionError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for TemplateError {
    fn status_code(&self) -> StatusCode {
        match self {
            TemplateError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            TemplateError::NotPermitted(_) => StatusCode::FORBIDDEN,
            TemplateError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for SendBackError {
    fn status_code(&self) -> StatusCode {
        match self {
            SendBackError::NotPermitted(_) => StatusCode::FORBIDDEN,
            SendBackError::NoComment | SendBackError::TooLong(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            SendBackError::NotWaiting => StatusCode::CONFLICT,
            SendBackError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for ArchiveError {
    fn status_code(&self) -> StatusCode {
        match self {
            ArchiveError::Filters(_) => StatusCode::BAD_REQUEST,
            ArchiveError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl UseCaseError for crate::services::reports::ReportError {
    fn status_code(&self) -> StatusCode {
        use crate::services::reports::ReportError;
        match self {
            ReportError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ReportError::UnknownKind | ReportError::Link(_) => StatusCode::NOT_FOUND,
            ReportError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The page for a report's link that cannot be used (tampered with, or its report gone).
pub(super) fn report_link_problem(
    problem: crate::services::reports::ReportLinkProblem,
) -> Response {
    (
        StatusCode::NOT_FOUND,
        super::views::message_page(
            "This link cannot be used",
            &[&problem.to_string()],
            Some(("/report", "Make a new report")),
        ),
    )
        .into_response()
}

impl UseCaseError for LookupError {
    fn status_code(&self) -> StatusCode {
        match self {
            LookupError::Unreadable(_) => StatusCode::BAD_REQUEST,
            LookupError::Place(_) => StatusCode::NOT_FOUND,
            LookupError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The public API's answer to a listing it could not make.
impl IntoResponse for ArchiveError {
    fn into_response(self) -> Response {
        match self {
            ArchiveError::Filters(ref problems) => {
                api_problem(self.status_code(), &self.to_string(), problems)
            }
            ArchiveError::Unexpected(error) => WebError(error).into_response(),
        }
    }
}

pub(super) fn api_problem(
    status: StatusCode,
    message: &str,
    problems: &[FilterProblem],
) -> Response {
    (
        status,
        Json(json!({ "error": message, "errors": problems })),
    )
        .into_response()
}

/// The page a resident sees for a link that cannot be used (expired, replaced or tampered with).
pub(super) fn link_problem(problem: LinkProblem) -> Response {
    let link = match problem {
        LinkProblem::Expired => Some(("/signup", "Sign up again")),
        LinkProblem::Replaced => Some(("/manage-link", "Ask for a new link")),
        _ => None,
    };
    (
        problem.status_code(),
        super::views::message_page("This link cannot be used", &[&problem.to_string()], link),
    )
        .into_response()
}

//! Reading a report form (a resident's report pages, and what a reporter adds to their report)
//! within its limits: the body as a whole (`REPORT_BODY_LIMIT`, set on the routes), each text
//! field, each file and the number of files, refused (413, nothing kept) as soon as a limit is
//! passed, before the rest is read; and how many such forms are read at once
//! (`REPORT_POSTS_AT_ONCE`, on the routes). Multipart (the files page needs it) or urlencoded.

use super::views;
use super::AppState;
use axum::body::Bytes;
use axum::extract::multipart::Field;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The largest body a report's pages take: one upload of every file at its largest (the
/// settings may not ask for more: `config::MAX_REPORT_UPLOAD_BYTES`), and 1 MiB for the rest.
/// The parts' own limits are checked as they arrive (`Posted::from_request`).
pub const REPORT_BODY_LIMIT: usize = crate::config::MAX_REPORT_UPLOAD_BYTES + 1024 * 1024;

/// The largest text field of a report form (a description is at most `MAX_DESCRIPTION_CHARS`
/// characters, and the sealed draft holds the answers): a larger one is refused unread.
pub const MAX_TEXT_PART_BYTES: usize = 64 * 1024;

/// How many report forms (any report's pages, and additions to a report) are read at once; the
/// others wait, their bodies unread, until one finishes or their time runs out.
pub const REPORT_POSTS_AT_ONCE: usize = 8;

/// A form as posted: its text fields, in order, and its uploaded files.
pub struct Posted {
    fields: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
}

/// An uploaded file, not yet checked.
pub struct Upload {
    pub name: String,
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl Posted {
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The largest sealed draft a form may carry (the answers as JSON, base64url): more than any
/// report within the services' limits needs.
const MAX_DRAFT_PART_BYTES: usize = 512 * 1024;

/// The largest urlencoded report form (one has no files), and all of a form's text.
const MAX_PLAIN_FORM_BYTES: usize = 1024 * 1024;

/// The most text fields a report form may have (its longest, a question with many boxes to
/// tick, has a few dozen).
const MAX_TEXT_PARTS: usize = 200;

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    /// Reads a report form part by part, refusing it (413) as soon as a part passes its limit:
    /// a text field `MAX_TEXT_PART_BYTES` (the draft `MAX_DRAFT_PART_BYTES`), all text 1 MiB,
    /// more than `MAX_TEXT_PARTS` text fields, a file `reports.max_file_bytes`, and more than
    /// `reports.max_files` files.
    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let settings = &state.settings.reports;
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let bytes = axum::body::to_bytes(request.into_body(), MAX_PLAIN_FORM_BYTES)
                .await
                .map_err(|_| too_large(settings))?;
            let fields = serde_html_form::from_bytes::<Vec<(String, String)>>(&bytes)
                .map_err(|_| bad_form())?;
            if fields.len() > MAX_TEXT_PARTS
                || fields
                    .iter()
                    .any(|(name, value)| value.len() > text_cap(name))
            {
                return Err(too_large(settings));
            }
            return Ok(Posted {
                fields,
                uploads: Vec::new(),
            });
        }
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut posted = Posted {
            fields: Vec::new(),
            uploads: Vec::new(),
        };
        let mut text_bytes = 0;
        while let Some(mut part) = form.next_field().await.map_err(unreadable)? {
            let name = part.name().unwrap_or_default().to_owned();
            let file_name = part.file_name().map(str::to_owned);
            let content_type = part.content_type().map(str::to_owned);
            let cap = if file_name.is_some() {
                settings.max_file_bytes
            } else {
                text_cap(&name).min(MAX_PLAIN_FORM_BYTES - text_bytes)
            };
            let Some(bytes) = read_part(&mut part, cap).await? else {
                return Err(too_large(settings));
            };
            match file_name {
                // A file input left empty still sends a part with no name and no content.
                Some(file_name) if !(file_name.is_empty() && bytes.is_empty()) => {
                    if posted.uploads.len() == settings.max_files {
                        return Err(too_large(settings));
                    }
                    posted.uploads.push(Upload {
                        name: file_name,
                        content_type,
                        bytes: Bytes::from(bytes),
                    });
                }
                Some(_) => {}
                None => {
                    if posted.fields.len() == MAX_TEXT_PARTS {
                        return Err(too_large(settings));
                    }
                    text_bytes += bytes.len();
                    posted
                        .fields
                        .push((name, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        Ok(posted)
    }
}

/// The most a text field called `name` may hold.
fn text_cap(name: &str) -> usize {
    if name == "draft" {
        MAX_DRAFT_PART_BYTES
    } else {
        MAX_TEXT_PART_BYTES
    }
}

/// A part's content, read chunk by chunk; None as soon as it passes `cap` bytes (the rest is
/// never read).
async fn read_part(part: &mut Field<'_>, cap: usize) -> Result<Option<Vec<u8>>, Response> {
    let mut content = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(unreadable)? {
        if content.len() + chunk.len() > cap {
            return Ok(None);
        }
        content.extend_from_slice(&chunk);
    }
    Ok(Some(content))
}

fn unreadable(error: axum::extract::multipart::MultipartError) -> Response {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            views::message_page(
                "Your form was too large to send",
                &["Go back and choose fewer or smaller photos or files."],
                Some(("/report", "Start again")),
            ),
        )
            .into_response();
    }
    tracing::info!(error = %error, "a report form could not be read");
    bad_form()
}

/// A form with a part past its limit.
fn too_large(settings: &crate::config::ReportSettings) -> Response {
    let files = format!(
        "You can add up to {} photos or files at once, each up to {} MB. Go back and choose \
         fewer or smaller ones.",
        settings.max_files,
        settings.max_file_bytes / (1024 * 1024)
    );
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        views::message_page(
            "Your form was too large to send",
            &[&files, "Nothing has been sent or kept."],
            Some(("/report", "Start again")),
        ),
    )
        .into_response()
}

/// A form that could not be read.
pub fn bad_form() -> Response {
    (
        StatusCode::BAD_REQUEST,
        views::message_page(
            "Your form could not be read",
            &["Something went wrong sending the form. Go back and try again."],
            Some(("/report", "Start again")),
        ),
    )
        .into_response()
}

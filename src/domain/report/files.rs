//! Files residents attach to reports: what a file really is (read from its content, never its
//! name or declared type), whether it is small and safe enough to keep, and the same file with
//! its metadata (EXIF, GPS position, XMP, comments) removed before it is stored.

/// Limits on attached files (`limits.report_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Largest image, in pixels (width × height), so that a small file cannot unpack into
    /// gigabytes.
    pub max_pixels: u64,
}

/// A file as it will be stored: its content with metadata removed, and its real type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFile {
    /// The name to show, made safe (no path, no control characters, at most 100 characters).
    pub name: String,
    /// The MIME type read from the content.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Why a file was refused, in words for the resident.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileProblem {
    #[error("{name} is empty")]
    Empty { name: String },
    #[error("{name} is larger than {limit_mb} MB")]
    TooLarge { name: String, limit_mb: usize },
    #[error("{name} is not a photo (JPEG, PNG, GIF, WebP, HEIC) or a PDF")]
    NotAllowed { name: String },
    #[error("{name} says it is a {claimed} but it is not one")]
    Mismatch { name: String, claimed: String },
    #[error("{name} is too big a picture ({width} × {height} pixels)")]
    TooManyPixels {
        name: String,
        width: u64,
        height: u64,
    },
    #[error("{name} is damaged and cannot be read")]
    Damaged { name: String },
}

/// Reads `bytes` (the resident called it `name`, and their browser said `declared_type`), and
/// gives back the file to store, or why not.
pub fn inspect(
    name: &str,
    _declared_type: Option<&str>,
    _bytes: &[u8],
    _limits: FileLimits,
) -> Result<CleanFile, FileProblem> {
    // Replaced by the real reading in the next commit; until then no file is accepted.
    Err(FileProblem::NotAllowed {
        name: name.to_owned(),
    })
}

//! The limits every step of an SMTP session runs under, and the errors its I/O fails with.

use super::SmtpError;
use std::future::Future;
use std::time::Duration;

pub(super) fn failed(doing: &str, error: std::io::Error) -> SmtpError {
    SmtpError::Io(format!("{doing}: {error}"))
}

/// Runs one step of I/O under the configured timeout.
pub(super) async fn within<T>(
    limit: Duration,
    doing: &str,
    work: impl Future<Output = Result<T, SmtpError>>,
) -> Result<T, SmtpError> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => Err(SmtpError::Io(format!(
            "timed out after {} while {doing}",
            describe(limit)
        ))),
    }
}

pub(super) fn describe(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

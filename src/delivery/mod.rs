//! Delivery: the channels messages leave by (SMTP or a file outbox for email, a file outbox for
//! SMS) and the worker that drains the outbound queue, retrying what failed for a passing reason.

pub mod email;
pub mod outbound;
pub mod sms;

/// Why a send failed, and whether trying again later could help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub transient: bool,
    pub message: String,
}

impl SendError {
    pub fn transient(message: impl Into<String>) -> SendError {
        SendError {
            transient: true,
            message: message.into(),
        }
    }

    pub fn permanent(message: impl Into<String>) -> SendError {
        SendError {
            transient: false,
            message: message.into(),
        }
    }
}

//! Delivery: the channels messages leave by (SMTP or a file outbox for email, a file outbox for
//! SMS) and the worker that drains the outbound queue, retrying what failed for a passing reason.

pub mod email;
/// The stand-in GOV.UK Notify gateway, for the unit tests only: the file lives with the test
/// support, outside the production build.
#[cfg(test)]
#[path = "../../tests/support/fake_notify.rs"]
pub mod fake_notify;
pub mod journal;
pub mod notify;
pub mod outbound;
pub mod sms;
pub mod smtp;

/// Why a send failed, and whether trying again later could help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub transient: bool,
    pub message: String,
}

impl SendError {
    pub fn transient(message: impl AsRef<str>) -> SendError {
        SendError {
            transient: true,
            message: mask_addresses(message.as_ref()),
        }
    }

    pub fn permanent(message: impl AsRef<str>) -> SendError {
        SendError {
            transient: false,
            message: mask_addresses(message.as_ref()),
        }
    }
}

/// Mail servers name the recipient in their replies ("550 <mandy@example.org>: unknown"): mask
/// every address before the text reaches a log or the database.
fn mask_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            if word.contains('@') {
                let trimmed = word.trim_matches(|c: char| matches!(c, '<' | '>' | ':' | ',' | ';'));
                word.replace(trimmed, &crate::domain::mask::email(trimmed))
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_in_server_replies_are_masked() {
        assert_eq!(
            super::SendError::permanent(
                "550 5.1.1 <mandy@example.org>: Recipient address rejected"
            )
            .message,
            "550 5.1.1 <m***@example.org>: Recipient address rejected"
        );
    }
}

//! `EmailAddress`: an address a resident gave, checked once so the rest of Beacon can trust it.

use std::fmt;
use std::str::FromStr;

/// A syntactically valid email address with a domain that has at least one dot. The domain is kept
/// in lower case; the local part is kept as written (some mail servers treat it case-sensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter your email address")]
    Empty,
    #[error("Your email address must be 254 characters or fewer")]
    TooLong,
    #[error("Enter an email address in the correct format, like name@example.com")]
    Malformed,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain = domain.to_ascii_lowercase();
        let plausible_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        // Non-ASCII local parts need SMTPUTF8, which too many mail servers still refuse, so the
        // dot-atom check below admits ASCII only.
        // Only the dot-atom form: quoted local parts are legal but a favourite of injection tricks.
        let dot_atom = local.split('.').all(|atom| !atom.is_empty())
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if local.is_empty() || local.len() > 64 || !dot_atom || !plausible_domain {
            return Err(EmailError::Malformed);
        }
        let address = format!("{local}@{domain}");
        // lettre's parser enforces the RFC 5322 dot-atom rules for the local part and rejects
        // quoting tricks, control characters and header-injection attempts.
        lettre::Address::from_str(&address).map_err(|_| EmailError::Malformed)?;
        if address
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
        {
            return Err(EmailError::Malformed);
        }
        Ok(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under which an address is unique: two sign-ups that differ only in letter case are
    /// the same resident.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// An address read back from storage, checked again (an error, never a guess, if it fails).
impl TryFrom<String> for EmailAddress {
    type Error = EmailError;

    fn try_from(value: String) -> Result<EmailAddress, EmailError> {
        EmailAddress::parse(&value)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        let email = EmailAddress::parse("  Mandy.Smith+alerts@Example.CO.UK ").unwrap();
        assert_eq!(email.as_str(), "Mandy.Smith+alerts@example.co.uk");
        assert_eq!(email.key(), "mandy.smith+alerts@example.co.uk");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "mandy",
            "mandy@",
            "@example.com",
            "mandy@example",
            "mandy@@example.com",
            "mandy smith@example.com",
            "mandy@example..com",
            "mandy@-example.com",
            "<script>@example.com",
            "mandy@example.com\r\nBcc: victim@example.com",
            "\"quoted\"@example.com",
            "zoë@example.com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
        assert_eq!(EmailAddress::parse("   "), Err(EmailError::Empty));
        let long = format!("{}@example.com", "a".repeat(300));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }
}

//! `MobileNumber`: a UK mobile number, normalised to E.164 (`+447700900123`).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct MobileNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    #[error("Enter a UK mobile number, like 07700 900123")]
    Malformed,
    #[error("Enter a UK mobile number: it starts 07 or +447")]
    NotMobile,
}

impl MobileNumber {
    /// Accepts the ways people write UK mobile numbers: `07700 900123`, `07700-900-123`,
    /// `+44 7700 900123`, `+44 (0)7700 900123`, `0044 7700 900123`.
    pub fn parse(input: &str) -> Result<MobileNumber, MobileError> {
        let trimmed = input.trim();
        if trimmed.len() > 32 {
            return Err(MobileError::Malformed);
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '+' | '.'))
        {
            return Err(MobileError::Malformed);
        }
        if trimmed.chars().skip(1).any(|c| c == '+') {
            return Err(MobileError::Malformed);
        }
        let digits: String = trimmed
            .replace("(0)", "")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let national = if trimmed.starts_with('+') {
            digits.strip_prefix("44").map(|rest| format!("0{rest}"))
        } else if let Some(rest) = digits.strip_prefix("0044") {
            Some(format!("0{rest}"))
        } else {
            Some(digits)
        }
        .ok_or(MobileError::NotMobile)?;
        if national.len() != 11 || !national.starts_with('0') {
            return Err(MobileError::Malformed);
        }
        // UK mobiles are 07 followed by 1-5 or 7-9 (070 is personal numbering, 076 pagers).
        let third = national.as_bytes()[2];
        if !national.starts_with("07") || matches!(third, b'0' | b'6') {
            return Err(MobileError::NotMobile);
        }
        Ok(MobileNumber(format!("+44{}", &national[1..])))
    }

    /// E.164 form, for gateways.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The national form a resident recognises: `07700 900123`.
    pub fn national(&self) -> String {
        let rest = &self.0[3..];
        format!("0{} {}", &rest[..4], &rest[4..])
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.national())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_ways_people_write_uk_mobiles() {
        for written in [
            "07700 900123",
            "07700900123",
            "07700-900-123",
            "+44 7700 900123",
            "+44 (0)7700 900123",
            "0044 7700 900123",
        ] {
            let mobile = MobileNumber::parse(written).unwrap();
            assert_eq!(mobile.as_str(), "+447700900123", "{written}");
            assert_eq!(mobile.national(), "07700 900123");
        }
    }

    #[test]
    fn rejects_landlines_foreign_and_malformed_numbers() {
        assert_eq!(
            MobileNumber::parse("01223 123456"),
            Err(MobileError::NotMobile)
        );
        assert_eq!(
            MobileNumber::parse("+33 6 12 34 56 78"),
            Err(MobileError::NotMobile)
        );
        assert_eq!(
            MobileNumber::parse("0770090012"),
            Err(MobileError::Malformed)
        );
        assert_eq!(
            MobileNumber::parse("07700 90012a"),
            Err(MobileError::Malformed)
        );
        assert_eq!(MobileNumber::parse("<script>"), Err(MobileError::Malformed));
        assert_eq!(
            MobileNumber::parse(&"7".repeat(10_000)),
            Err(MobileError::Malformed)
        );
    }
}

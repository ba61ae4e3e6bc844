//! An alert's content and the rules it must follow before anyone receives it: the title (which
//! becomes an email subject), the Markdown body (rendered once to sanitised HTML and to plain text),
//! the text-message version (GSM-7, 160 characters) and the sender's sign-off. Pure functions with
//! no I/O: the composer, the JSON API and the delivery engine all call these.

mod markdown;
mod sms;

pub use markdown::{render_markdown, RenderedBody};
pub use sms::{gsm7_length, short_sms, sms_text_problem, to_gsm7_lossy};

use super::thousands;
use std::fmt;

/// Longest title, in characters. Titles are email subjects and push-notification headlines: mail
/// clients cut subjects off long before this, but some forces put the place and date in it.
pub const MAX_TITLE_CHARS: usize = 150;

/// Longest body, in characters (not bytes, so a Welsh or emoji-laden alert gets the same room).
pub const MAX_BODY_CHARS: usize = 20_000;

/// The most GSM-7 characters one text message carries. Beacon never sends concatenated messages:
/// they cost a credit per part and some handsets show the parts out of order.
pub const SMS_MAX: usize = 160;

/// Why an alert's content was refused. The messages are shown to police staff as they compose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("Enter a title")]
    TitleEmpty,
    #[error(
        "The title is {chars} characters long: the limit is {limit}",
        limit = MAX_TITLE_CHARS
    )]
    TitleTooLong { chars: usize },
    /// A line break in a subject header would let the rest of the title become extra email
    /// headers (header injection), so control characters are refused rather than stripped.
    #[error(
        "Line breaks are not allowed in a title (it becomes the subject line of the email): \
         write it on one line"
    )]
    TitleLineBreak,
    #[error("A title cannot contain < or >: remove them")]
    TitleAngleBrackets,
    #[error("Enter the message")]
    BodyEmpty,
    #[error(
        "The message is {} characters long: the limit is {}. Shorten it, or link to the full \
         details on your website",
        thousands(*.chars as u64),
        thousands(MAX_BODY_CHARS as u64)
    )]
    BodyTooLong { chars: usize },
}

/// Reads an alert title as the sender typed it: trimmed, on one line, without markup, and short
/// enough for an email subject.
pub fn parse_title(input: &str) -> Result<String, AlertError> {
    let title = input.trim();
    if title.is_empty() {
        return Err(AlertError::TitleEmpty);
    }
    // U+2028/U+2029 are not control characters, but some mail clients and browsers treat them as
    // line breaks, so they get the same refusal as CR and LF.
    if title
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(AlertError::TitleLineBreak);
    }
    if title.contains(['<', '>']) {
        return Err(AlertError::TitleAngleBrackets);
    }
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        return Err(AlertError::TitleTooLong { chars });
    }
    Ok(title.to_owned())
}

/// Reads an alert body (Markdown): line endings become LF whatever the browser sent, invisible
/// control characters are removed (a NUL byte cannot be stored in PostgreSQL text, and none of
/// them can be seen or meant), and surrounding blank space is trimmed.
pub fn parse_body(input: &str) -> Result<String, AlertError> {
    let mut body = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // CRLF and a lone CR (old Mac line endings) both become one LF.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                body.push('\n');
            }
            '\n' | '\t' => body.push(c),
            c if c.is_control() => {}
            c => body.push(c),
        }
    }
    let body = body.trim();
    if body.is_empty() {
        return Err(AlertError::BodyEmpty);
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(AlertError::BodyTooLong { chars });
    }
    Ok(body.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Sign-off
// ---------------------------------------------------------------------------------------------

/// The sign-off at the foot of every alert, taken from the sender's profile, as residents of
/// existing community-messaging systems know it:
///
/// ```text
/// Message Sent By
/// Lucy Ward
/// (Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignOff {
    pub name: String,
    pub organisation: String,
    pub role: String,
    pub area: String,
}

impl SignOff {
    /// The three lines of the sign-off. Empty parts are left out of the parentheses (and the
    /// last line is empty when all three are).
    pub fn lines(&self) -> [String; 3] {
        let details: Vec<&str> = [&self.organisation, &self.role, &self.area]
            .into_iter()
            .map(|part| part.trim())
            .filter(|part| !part.is_empty())
            .collect();
        let details = if details.is_empty() {
            String::new()
        } else {
            format!("({})", details.join(", "))
        };
        [
            "Message Sent By".to_owned(),
            self.name.trim().to_owned(),
            details,
        ]
    }
}

impl fmt::Display for SignOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.lines();
        let present: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|l| !l.is_empty())
            .collect();
        f.write_str(&present.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- Titles -----------------------------------------------------------------------------

    #[test]
    fn a_title_is_trimmed() {
        assert_eq!(
            parse_title("  Catalytic converter thefts in Melbourn  "),
            Ok("Catalytic converter thefts in Melbourn".to_owned())
        );
    }

    #[test]
    fn an_empty_title_is_refused() {
        assert_eq!(parse_title(""), Err(AlertError::TitleEmpty));
        assert_eq!(parse_title(" \t\n "), Err(AlertError::TitleEmpty));
        assert_eq!(AlertError::TitleEmpty.to_string(), "Enter a title");
    }

    #[test]
    fn a_title_with_a_line_break_is_refused_as_header_injection() {
        for title in [
            "Thefts\r\nBcc: everyone@example.org",
            "Thefts\nin March",
            "Thefts\rin March",
            "Thefts\u{0}",
            "Thefts\u{1b}[31m",
            "Thefts\u{2028}in March",
            "Thefts\u{85}in March",
        ] {
            assert_eq!(
                parse_title(title),
                Err(AlertError::TitleLineBreak),
                "{title:?}"
            );
        }
        assert!(AlertError::TitleLineBreak
            .to_string()
            .contains("Line breaks are not allowed in a title"));
    }

    #[test]
    fn a_title_with_markup_is_refused() {
        assert_eq!(
            parse_title("<script>alert(1)</script>"),
            Err(AlertError::TitleAngleBrackets)
        );
        assert_eq!(
            parse_title("Fraud > 1000"),
            Err(AlertError::TitleAngleBrackets)
        );
    }

    #[test]
    fn a_title_is_limited_in_characters_not_bytes() {
        let welsh = "ŵ".repeat(MAX_TITLE_CHARS);
        assert_eq!(parse_title(&welsh), Ok(welsh.clone()));
        let long = "a".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(
            parse_title(&long),
            Err(AlertError::TitleTooLong { chars: 151 })
        );
        assert_eq!(
            AlertError::TitleTooLong { chars: 151 }.to_string(),
            "The title is 151 characters long: the limit is 150"
        );
    }

    // --- Bodies -----------------------------------------------------------------------------

    #[test]
    fn a_body_gets_lf_line_endings() {
        assert_eq!(
            parse_body("Line one\r\nLine two\rLine three\n"),
            Ok("Line one\nLine two\nLine three".to_owned())
        );
    }

    #[test]
    fn a_body_loses_invisible_control_characters_but_keeps_tabs() {
        assert_eq!(parse_body("a\u{0}b\u{7}c\td"), Ok("abc\td".to_owned()));
    }

    #[test]
    fn an_empty_body_is_refused() {
        assert_eq!(parse_body(""), Err(AlertError::BodyEmpty));
        assert_eq!(parse_body("\r\n \t\r\n"), Err(AlertError::BodyEmpty));
    }

    #[test]
    fn a_body_over_the_limit_is_refused_with_its_length() {
        let exactly = "é".repeat(MAX_BODY_CHARS);
        assert!(parse_body(&exactly).is_ok());
        let over = "x".repeat(20_345);
        let error = parse_body(&over).unwrap_err();
        assert_eq!(error, AlertError::BodyTooLong { chars: 20_345 });
        assert!(
            error
                .to_string()
                .starts_with("The message is 20,345 characters long: the limit is 20,000"),
            "{error}"
        );
    }

    // --- Sign-off ---------------------------------------------------------------------------

    #[test]
    fn the_sign_off_reads_as_in_a_real_alert() {
        let sign_off = SignOff {
            name: "Lucy Ward".into(),
            organisation: "Cambridgeshire Constabulary".into(),
            role: "Communications Assistant".into(),
            area: "Peterborough and Fenland".into(),
        };
        assert_eq!(
            sign_off.lines(),
            [
                "Message Sent By".to_owned(),
                "Lucy Ward".to_owned(),
                "(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)"
                    .to_owned()
            ]
        );
        assert_eq!(
            sign_off.to_string(),
            "Message Sent By\nLucy Ward\n(Cambridgeshire Constabulary, Communications Assistant, \
             Peterborough and Fenland)"
        );
    }

    #[test]
    fn the_sign_off_leaves_out_empty_parts() {
        let sign_off = SignOff {
            name: "PC 123 Smith".into(),
            organisation: "Cambridgeshire Constabulary".into(),
            role: " ".into(),
            area: "Fenland".into(),
        };
        assert_eq!(
            sign_off.lines()[2],
            "(Cambridgeshire Constabulary, Fenland)"
        );
        let bare = SignOff {
            name: "Lucy Ward".into(),
            organisation: String::new(),
            role: String::new(),
            area: String::new(),
        };
        assert_eq!(bare.lines()[2], "");
        assert_eq!(bare.to_string(), "Message Sent By\nLucy Ward");
    }
}

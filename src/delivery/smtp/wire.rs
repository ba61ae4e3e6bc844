//! The wire under the SMTP session: reading reply lines (bounded, so a hostile server cannot
//! make us buffer without end), dot-stuffing the message, and the timeout every step runs under.

use super::timeout::failed;
use super::tls::Stream;
use super::{SmtpError, MAX_LINE};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Reads one line, through its '\n', refusing lines longer than `MAX_LINE`.
pub(super) async fn read_line(
    reader: &mut BufReader<Stream>,
    line: &mut Vec<u8>,
    doing: &str,
) -> Result<(), SmtpError> {
    loop {
        let available = reader
            .fill_buf()
            .await
            .map_err(|error| failed(doing, error))?;
        if available.is_empty() {
            return Err(SmtpError::Io(format!(
                "{doing}: the server closed the connection"
            )));
        }
        let (take, complete) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Err(SmtpError::Protocol(format!(
                "reply line longer than {} KiB",
                MAX_LINE / 1024
            )));
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if complete {
            return Ok(());
        }
    }
}

/// "250-text" → (250, false, "text"); "250 text" or "250" → (250, true, …).
pub(super) fn parse_line(line: &[u8]) -> Result<(u16, bool, String), SmtpError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let unparseable = || {
        let shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
        SmtpError::Protocol(format!("unparseable reply line {shown:?}"))
    };
    let (code, rest) = match line {
        [a @ b'2'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] => (
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            rest,
        ),
        _ => return Err(unparseable()),
    };
    let (last, text) = match rest {
        [] => (true, rest),
        [b' ', text @ ..] => (true, text),
        [b'-', text @ ..] => (false, text),
        _ => return Err(unparseable()),
    };
    Ok((code, last, String::from_utf8_lossy(text).trim().to_owned()))
}

/// Normalises line endings to CRLF, doubles a leading '.', and ends with CRLF (RFC 5321 4.5.2),
/// so that only the caller's final ".\r\n" can end the message.
pub(super) fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 2);
    // Line by line, each copied whole: the search for the line's end is the only look at
    // every byte (one email a resident, and this was the worker's costliest step).
    let mut rest = message;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            out.push(b'.');
        }
        let Some(end) = memchr::memchr2(b'\r', b'\n', rest) else {
            out.extend_from_slice(rest);
            out.extend_from_slice(b"\r\n");
            break;
        };
        out.extend_from_slice(&rest[..end]);
        out.extend_from_slice(b"\r\n");
        let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
        rest = &rest[end + if crlf { 2 } else { 1 }..];
    }
    out
}

/// An address that could end the command line or the angle brackets would let the caller's data
/// become SMTP commands of its own.
pub(super) fn check_address(address: &str, role: &str) -> Result<(), SmtpError> {
    if address.contains(['\r', '\n', '<', '>']) {
        return Err(SmtpError::Protocol(format!(
            "the {role} address contains a line break or angle bracket"
        )));
    }
    Ok(())
}

pub(super) fn unusable() -> SmtpError {
    SmtpError::Protocol("the connection broke earlier and cannot be used again".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reply_lines_are_parsed() {
        use super::parse_line;
        assert_eq!(
            parse_line(b"250-PIPELINING\r\n").unwrap(),
            (250, false, "PIPELINING".to_owned())
        );
        assert_eq!(
            parse_line(b"250 Ok\r\n").unwrap(),
            (250, true, "Ok".to_owned())
        );
        assert_eq!(parse_line(b"354\r\n").unwrap(), (354, true, String::new()));
        assert!(parse_line(b"HTTP/1.1 400 Bad Request\r\n").is_err());
        assert!(parse_line(b"2500 Ok\r\n").is_err());
    }

    #[test]
    fn an_empty_message_stays_empty_and_a_lone_dot_is_stuffed() {
        use super::dot_stuff;
        assert_eq!(dot_stuff(b""), b"");
        assert_eq!(dot_stuff(b"."), b"..\r\n");
        assert_eq!(dot_stuff(b"a\r\n.\r\nb\r\n"), b"a\r\n..\r\nb\r\n");
        assert_eq!(dot_stuff(b"a\r\r\n\n.b"), b"a\r\n\r\n\r\n..b\r\n");
    }

    /// RFC 5321's rule, a byte at a time: what `dot_stuff` must agree with.
    fn dot_stuff_bytewise(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at_line_start = true;
        let mut bytes = message.iter().copied().peekable();
        while let Some(byte) = bytes.next() {
            match byte {
                b'\r' | b'\n' => {
                    if byte == b'\r' {
                        bytes.next_if_eq(&b'\n');
                    }
                    out.extend_from_slice(b"\r\n");
                    at_line_start = true;
                }
                _ => {
                    if at_line_start && byte == b'.' {
                        out.push(b'.');
                    }
                    out.push(byte);
                    at_line_start = false;
                }
            }
        }
        if !at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]
        #[test]
        fn dot_stuffing_agrees_with_the_rule_byte_by_byte(
            message in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'.'),
                    proptest::strategy::Just(b'\r'),
                    proptest::strategy::Just(b'\n'),
                    proptest::prelude::any::<u8>(),
                ],
                0..64,
            )
        ) {
            proptest::prop_assert_eq!(super::dot_stuff(&message), dot_stuff_bytewise(&message));
        }
    }
}

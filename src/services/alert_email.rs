//! An alert's email bodies made once per alert and filled in for each resident: the letter is
//! rendered with markers where a resident's first name and link tokens go, and encoded as
//! quoted-printable a line at a time, so each resident's copy re-encodes only the few lines that
//! hold their own values.
//!
//! Quoted-printable encodes each line on its own (a hard line break resets the line length), so
//! the lines encoded apart are, joined, exactly the encoding of the whole. The encoder is this
//! module's own, copying runs of plain characters whole: the `quoted_printable` crate's, a
//! character at a time, was the costliest part of filling a copy in.

use askama::filters::Escaper;

/// How every marker starts. Letters and digits only, so escaping leaves it as it is.
const MARK: &str = "BeaconSlot7q";

/// A resident's value in the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    FirstName,
    LinkToken,
    ManageToken,
    UnsubscribeToken,
}

impl Slot {
    const ALL: [Slot; 4] = [
        Slot::FirstName,
        Slot::LinkToken,
        Slot::ManageToken,
        Slot::UnsubscribeToken,
    ];

    fn marker(self) -> &'static str {
        match self {
            Slot::FirstName => "BeaconSlot7qName",
            Slot::LinkToken => "BeaconSlot7qLink",
            Slot::ManageToken => "BeaconSlot7qManage",
            Slot::UnsubscribeToken => "BeaconSlot7qUnsubscribe",
        }
    }

    fn value(self, personal: &Personal) -> &str {
        match self {
            Slot::FirstName => &personal.first_name,
            Slot::LinkToken => &personal.link_token,
            Slot::ManageToken => &personal.manage_token,
            Slot::UnsubscribeToken => &personal.unsubscribe_token,
        }
    }
}

/// What differs between residents' copies of an alert: the greeting's first name and the
/// signed tokens in their links.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Personal {
    pub first_name: String,
    /// In the rating and reply links.
    pub link_token: String,
    pub manage_token: String,
    pub unsubscribe_token: String,
}

/// One alert's email bodies, ready to fill in.
pub struct EmailTemplate {
    text: Encoded,
    html: Encoded,
}

impl EmailTemplate {
    /// `None` when the alert's own words hold the marker, which would be taken for a slot, or
    /// are mostly in a script quoted-printable would triple (lettre then chooses base64, as it
    /// does when more than a third of the bytes need escaping).
    ///
    /// `bodies` renders the alert's full (HTML as well as text) bodies for one resident's values.
    pub fn make(
        bodies: impl Fn(&Personal) -> anyhow::Result<(String, Option<String>)>,
    ) -> anyhow::Result<Option<EmailTemplate>> {
        let (text, html) = bodies(&Personal::default())?;
        let html = html.unwrap_or_default();
        if text.contains(MARK) || html.contains(MARK) {
            return Ok(None);
        }
        let escaped = |body: &str| {
            body.bytes()
                .filter(|b| !matches!(b, b'\t' | b'\r' | b'\n' | b' '..=b'~'))
                .count()
        };
        if escaped(&text) > text.len() / 3 || escaped(&html) > html.len() / 3 {
            return Ok(None);
        }
        let markers = Personal {
            first_name: Slot::FirstName.marker().into(),
            link_token: Slot::LinkToken.marker().into(),
            manage_token: Slot::ManageToken.marker().into(),
            unsubscribe_token: Slot::UnsubscribeToken.marker().into(),
        };
        let (text, html) = bodies(&markers)?;
        Ok(Some(EmailTemplate {
            text: Encoded::of(&text, Escaping::None),
            html: Encoded::of(&html.unwrap_or_default(), Escaping::Html),
        }))
    }

    /// The plain-text body for `personal`, quoted-printable with CRLF line ends.
    pub fn text(&self, personal: &Personal) -> Vec<u8> {
        self.text.fill(personal)
    }

    /// The HTML body for `personal`, quoted-printable with CRLF line ends.
    pub fn html(&self, personal: &Personal) -> Vec<u8> {
        self.html.fill(personal)
    }
}

#[derive(Debug, Clone, Copy)]
enum Escaping {
    None,
    Html,
}

/// A body as encoded runs of lines that are the same for everyone, between lines holding slots.
struct Encoded {
    segments: Vec<Segment>,
    escaping: Escaping,
    /// The size of a filled-in body, near enough to allocate it once.
    size_hint: usize,
}

enum Segment {
    /// Lines encoded once, line ends included.
    Fixed(Vec<u8>),
    /// One line (its line end included) to fill in and encode for each resident.
    Line(Vec<Piece>),
}

enum Piece {
    Text(String),
    Slot(Slot),
}

impl Encoded {
    fn of(body: &str, escaping: Escaping) -> Encoded {
        let body = crlf(body);
        let mut segments = Vec::new();
        for line in body.split_inclusive('\n') {
            if line.contains(MARK) {
                segments.push(Segment::Line(pieces(line)));
                continue;
            }
            match segments.last_mut() {
                Some(Segment::Fixed(run)) => quoted_printable(line.as_bytes(), run),
                _ => {
                    let mut run = Vec::new();
                    quoted_printable(line.as_bytes(), &mut run);
                    segments.push(Segment::Fixed(run));
                }
            }
        }
        Encoded {
            segments,
            escaping,
            size_hint: body.len() + body.len() / 8 + 256,
        }
    }

    fn fill(&self, personal: &Personal) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size_hint);
        let mut line = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Fixed(run) => out.extend_from_slice(run),
                Segment::Line(pieces) => {
                    line.clear();
                    for piece in pieces {
                        match piece {
                            Piece::Text(text) => line.push_str(text),
                            Piece::Slot(slot) => {
                                let value = slot.value(personal);
                                match self.escaping {
                                    Escaping::None => line.push_str(value),
                                    Escaping::Html => {
                                        // Writing into a String cannot fail.
                                        let _ = askama::filters::Html
                                            .write_escaped_str(&mut line, value);
                                    }
                                }
                            }
                        }
                    }
                    quoted_printable(line.as_bytes(), &mut out);
                }
            }
        }
        out
    }
}

/// The longest encoded line, but for the soft break's `=` (RFC 2045 allows 76 in all).
const QP_LINE: usize = 75;

/// Encodes `input` as quoted-printable (RFC 2045, section 6.7) onto `out`: each CRLF is kept as
/// a line break, and lines are broken with soft breaks (`=` CRLF) to at most 76 characters.
/// Printable ASCII but `=` goes as it is, and so do spaces and tabs but at the end of a line;
/// every other byte as `=XX`. Runs of bytes that go as they are are copied whole.
fn quoted_printable(input: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let at_line_end = |j: usize| match input.get(j + 1) {
        None => true,
        Some(b'\r') => input.get(j + 2) == Some(&b'\n'),
        Some(_) => false,
    };
    let plain = |j: usize| match input[j] {
        b'=' => false,
        b' ' | b'\t' => !at_line_end(j),
        byte => (33..=126).contains(&byte),
    };
    out.reserve(input.len() + input.len() / 16);
    let mut column = 0;
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'\r' && input.get(i + 1) == Some(&b'\n') {
            out.extend_from_slice(b"\r\n");
            column = 0;
            i += 2;
        } else if plain(i) {
            if column == QP_LINE {
                out.extend_from_slice(b"=\r\n");
                column = 0;
            }
            let mut end = i + 1;
            while end < input.len() && end - i < QP_LINE - column && plain(end) {
                end += 1;
            }
            out.extend_from_slice(&input[i..end]);
            column += end - i;
            i = end;
        } else {
            if column + 3 > QP_LINE {
                out.extend_from_slice(b"=\r\n");
                column = 0;
            }
            let byte = input[i];
            out.extend_from_slice(&[
                b'=',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ]);
            column += 3;
            i += 1;
        }
    }
}

/// A line split at its markers.
fn pieces(line: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find(MARK) {
        let slot = Slot::ALL
            .into_iter()
            .filter(|slot| rest[at..].starts_with(slot.marker()))
            // The longest marker that fits, should one ever begin another.
            .max_by_key(|slot| slot.marker().len());
        let Some(slot) = slot else {
            // Not a marker after all: kept as text (make() has checked the alert has none).
            pieces.push(Piece::Text(rest[..at + MARK.len()].to_owned()));
            rest = &rest[at + MARK.len()..];
            continue;
        };
        if at > 0 {
            pieces.push(Piece::Text(rest[..at].to_owned()));
        }
        pieces.push(Piece::Slot(slot));
        rest = &rest[at + slot.marker().len()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    pieces
}

/// Line ends made CRLF, as lettre makes them before encoding a body: a CR is added before
/// every LF that has none.
fn crlf(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 32);
    let mut rest = body;
    while let Some(at) = rest.find('\n') {
        out.push_str(&rest[..at]);
        if !out.ends_with('\r') {
            out.push('\r');
        }
        out.push('\n');
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_are_split_at_their_markers() {
        let described = |line: &str| -> Vec<String> {
            pieces(line)
                .into_iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text,
                    Piece::Slot(slot) => format!("{slot:?}"),
                })
                .collect()
        };
        assert_eq!(
            described("Dear BeaconSlot7qName,\r\n"),
            ["Dear ", "FirstName", ",\r\n"]
        );
        assert_eq!(
            described("<a href=\"x/BeaconSlot7qLink/useful\">BeaconSlot7qUnsubscribe"),
            [
                "<a href=\"x/",
                "LinkToken",
                "/useful\">",
                "UnsubscribeToken"
            ]
        );
        assert_eq!(described("BeaconSlot7qNope"), ["BeaconSlot7q", "Nope"]);
    }

    #[test]
    fn line_ends_become_crlf_once() {
        assert_eq!(crlf("a\nb\r\nc\n\nd"), "a\r\nb\r\nc\r\n\r\nd");
        assert_eq!(crlf("\n"), "\r\n");
        assert_eq!(crlf("é"), "é");
    }

    /// Decodes `encoded`, checking as it goes that it is quoted-printable as RFC 2045 has it.
    fn checked_decode(encoded: &[u8]) -> Vec<u8> {
        let text = std::str::from_utf8(encoded).expect("ASCII");
        for line in text.split("\r\n") {
            assert!(
                line.len() <= 76,
                "a line of {} characters: {line:?}",
                line.len()
            );
            assert!(
                line.bytes().all(|b| b == b'\t' || (32..=126).contains(&b)),
                "a byte that must be encoded: {line:?}"
            );
            assert!(
                !line.ends_with(' ') && !line.ends_with('\t'),
                "white space at a line's end: {line:?}"
            );
        }
        quoted_printable::decode(encoded, quoted_printable::ParseMode::Strict).expect("decodes")
    }

    #[test]
    fn long_lines_break_softly_and_escapes_stay_whole() {
        let mut out = Vec::new();
        quoted_printable(
            format!("{}é end \r\nnext\t\r\n", "a".repeat(73)).as_bytes(),
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("{}=\r\n=C3=A9 end=20\r\nnext=09\r\n", "a".repeat(73))
        );
        let mut out = Vec::new();
        quoted_printable("a=b\rc\n".as_bytes(), &mut out);
        assert_eq!(out, b"a=3Db=0Dc=0A");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Any text, encoded whole or a line at a time, decodes to itself, and is valid
        /// quoted-printable: no line over 76 characters, nothing unencoded that must not be,
        /// no white space at a line's end.
        #[test]
        fn encoding_decodes_to_the_text(
            body in "([ -~]{0,90}|[éü“”£\t =]{1,4}|\n|\r\n|\r){0,40}",
        ) {
            let body = crlf(&body);
            let mut whole = Vec::new();
            quoted_printable(body.as_bytes(), &mut whole);
            prop_assert_eq!(checked_decode(&whole), body.as_bytes());
            let mut by_lines = Vec::new();
            for line in body.split_inclusive('\n') {
                quoted_printable(line.as_bytes(), &mut by_lines);
            }
            prop_assert_eq!(by_lines, whole);
        }
    }
}

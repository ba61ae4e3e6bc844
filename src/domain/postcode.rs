//! UK postcodes: parsing what a resident typed into one normalised form ("CB1 1PT"), so the rest of
//! Beacon compares, stores and looks up postcodes without caring how they were written.

use std::fmt;
use std::str::FromStr;

/// Longest input (after trimming) that we try to read as a postcode. The longest real postcode is
/// 8 characters with its space; this leaves room for stray spaces while refusing pasted essays.
const MAX_INPUT_CHARS: usize = 20;

/// How much of a rejected input we echo back in an error message, in characters. Errors are shown
/// to residents and written to logs, so a huge or hostile input must not be reflected in full.
const MAX_ECHO_CHARS: usize = 20;

/// A UK postcode in its normalised form: uppercase, outward code, one space, inward code
/// ("CB1 1PT", "PE29 6XX", "GIR 0AA"). The only way to build one is [`Postcode::parse`], so every
/// value is valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Postcode(String);

/// Why an input is not a postcode. The messages are written for residents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeError {
    #[error("Enter a postcode")]
    Empty,
    #[error("That is too long to be a postcode: enter just the postcode (for example CB1 1PT)")]
    TooLong,
    /// Holds the rejected input as the resident typed it (trimmed, uppercased, at most
    /// `MAX_ECHO_CHARS` characters) so the message can show them what was read.
    #[error("“{0}” is not a UK postcode: check it and try again (for example CB1 1PT)")]
    Malformed(String),
}

impl Postcode {
    /// Reads a postcode however it was typed: surrounding and internal whitespace is ignored and
    /// letters may be in either case, so `cb11pt`, ` CB1 1pt ` and `cb1  1pt` all give `CB1 1PT`.
    pub fn parse(input: &str) -> Result<Postcode, PostcodeError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PostcodeError::Empty);
        }
        // `nth` stops counting early, so a megabyte of input costs no more than 21 characters.
        if trimmed.chars().nth(MAX_INPUT_CHARS).is_some() {
            return Err(PostcodeError::TooLong);
        }

        // Compact into a fixed buffer: this runs for every row of the 2.7M-row postcode file, so
        // the only allocation is the final string.
        let mut compact = [0u8; 7];
        let mut len = 0;
        for c in trimmed.chars().filter(|c| !c.is_whitespace()) {
            if !c.is_ascii_alphanumeric() || len == compact.len() {
                return Err(malformed(trimmed));
            }
            compact[len] = c.to_ascii_uppercase() as u8;
            len += 1;
        }
        let compact = &compact[..len];
        if !is_valid_compact(compact) {
            return Err(malformed(trimmed));
        }

        let (outward, inward) = compact.split_at(len - 3);
        let mut normalised = String::with_capacity(len + 1);
        // Both halves are ASCII alphanumerics (checked above), so each byte is one char.
        normalised.extend(outward.iter().map(|&b| char::from(b)));
        normalised.push(' ');
        normalised.extend(inward.iter().map(|&b| char::from(b)));
        Ok(Postcode(normalised))
    }

    /// The normalised postcode, e.g. "CB1 1PT".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (the part before the space), e.g. "CB1" for "CB1 1PT".
    pub fn outward(&self) -> &str {
        // The normalised form always has exactly one space, so `split` always yields a first part.
        self.0.split(' ').next().unwrap_or(&self.0)
    }

    /// The postcode area: the outward code's letters, e.g. "CB" for "CB1 1PT", "E" for "E1 6AN".
    pub fn area(&self) -> &str {
        let outward = self.outward();
        let letters = outward
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(outward.len());
        &outward[..letters]
    }
}

/// Checks an uppercase, space-free candidate against the UK formats: outward A9, A99, AA9, AA99,
/// A9A or AA9A followed by inward 9AA, plus the special GIR 0AA (Girobank).
fn is_valid_compact(compact: &[u8]) -> bool {
    if compact == b"GIR0AA" {
        return true;
    }
    if !(5..=7).contains(&compact.len()) {
        return false;
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_uppercase()
        && inward[2].is_ascii_uppercase();
    inward_ok && is_valid_outward(outward)
}

fn is_valid_outward(outward: &[u8]) -> bool {
    // Classify each byte as Letter or Digit and compare the shape against the allowed list.
    let letter = |b: &u8| b.is_ascii_uppercase();
    let digit = |b: &u8| b.is_ascii_digit();
    match outward {
        [a, b] => letter(a) && digit(b),
        [a, b, c] => {
            letter(a) && ((digit(b) && (digit(c) || letter(c))) || (letter(b) && digit(c)))
        }
        [a, b, c, d] => letter(a) && letter(b) && digit(c) && (digit(d) || letter(d)),
        _ => false,
    }
}

/// Builds the `Malformed` error, echoing a tidied and capped copy of the input.
fn malformed(trimmed: &str) -> PostcodeError {
    let mut echo = String::new();
    let mut chars = 0;
    let mut last_was_space = false;
    for c in trimmed.chars() {
        // Collapse whitespace runs and drop control characters so the echo is one tidy line.
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control() || (c == ' ' && last_was_space) {
            continue;
        }
        if chars == MAX_ECHO_CHARS {
            echo.push('…');
            break;
        }
        last_was_space = c == ' ';
        echo.extend(c.to_uppercase());
        chars += 1;
    }
    PostcodeError::Malformed(echo)
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Postcode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Postcode {
    type Err = PostcodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Postcode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        match Postcode::parse(input) {
            Ok(p) => p.to_string(),
            Err(e) => panic!("{input:?} should parse, got {e:?}"),
        }
    }

    #[test]
    fn normalises_case_and_whitespace() {
        for input in [
            "cb11pt",
            " CB1 1pt ",
            "cb1  1pt",
            "CB1 1PT",
            "\tc b 1 1 p t\n",
        ] {
            assert_eq!(ok(input), "CB1 1PT", "{input:?}");
        }
        assert_eq!(ok("pe296xx"), "PE29 6XX");
        assert_eq!(ok("sg8 6dp"), "SG8 6DP");
        // The source file's fixed-width "pcd" form pads short outward codes with spaces.
        assert_eq!(ok("A9  9AA"), "A9 9AA");
        // A non-breaking space pasted from a web page is whitespace too.
        assert_eq!(ok("CB1\u{a0}1PT"), "CB1 1PT");
    }

    #[test]
    fn accepts_every_outward_shape() {
        for (input, expected) in [
            ("M11AE", "M1 1AE"),       // A9
            ("B338TH", "B33 8TH"),     // A99
            ("CR26XH", "CR2 6XH"),     // AA9
            ("DN551PT", "DN55 1PT"),   // AA99
            ("W1A1HQ", "W1A 1HQ"),     // A9A
            ("EC1A1BB", "EC1A 1BB"),   // AA9A
            ("gir0aa", "GIR 0AA"),     // Girobank
            ("ZE2 9DA", "ZE2 9DA"),    // Shetland
            (" tr19 7aa", "TR19 7AA"), // Cornwall
            ("PE29 1AA ", "PE29 1AA"), // Huntingdon
            ("sw1a 2aa", "SW1A 2AA"),  // Downing Street
            ("bt1 1aa", "BT1 1AA"),    // Northern Ireland
            ("CB2 1TN", "CB2 1TN"),    // Cambridge
            ("pe1   1xx", "PE1 1XX"),  // Peterborough
            ("sg86dp", "SG8 6DP"),     // South Cambridgeshire
            ("ct16 1aa", "CT16 1AA"),  // Dover
            ("SA62 6AA", "SA62 6AA"),  // Pembrokeshire
            ("ll65 1aa", "LL65 1AA"),  // Anglesey
            ("Kw1 4yA", "KW1 4YA"),    // Caithness
            ("n1c4ag", "N1C 4AG"),     // A9A in London
            ("E1W 1AA", "E1W 1AA"),    // A9A
            ("se1p 5ad", "SE1P 5AD"),  // AA9A
            ("NE1 7RA", "NE1 7RA"),    // Newcastle
            ("PL1 1AA", "PL1 1AA"),    // Plymouth
            ("tn1 1aa", "TN1 1AA"),    // Tunbridge Wells
            ("CB10 1AA", "CB10 1AA"),  // Saffron Walden
            ("cb251aa", "CB25 1AA"),   // East Cambridgeshire
            ("PE15 8AA", "PE15 8AA"),  // Fenland
            ("pe7 3aa", "PE7 3AA"),    // Peterborough
            ("CB4 1AA", "CB4 1AA"),    // Cambridge
            ("cb23 1aa", "CB23 1AA"),  // South Cambridgeshire
            ("PE27 5AA", "PE27 5AA"),  // St Ives
        ] {
            assert_eq!(ok(input), expected, "{input:?}");
        }
    }

    #[test]
    fn outward_and_accessors() {
        let p = Postcode::parse("pe296xx").expect("valid");
        assert_eq!(p.outward(), "PE29");
        assert_eq!(p.as_str(), "PE29 6XX");
        assert_eq!(p.as_ref(), "PE29 6XX");
        assert_eq!(Postcode::parse("m11ae").expect("valid").outward(), "M1");
        assert_eq!(Postcode::parse("gir0aa").expect("valid").outward(), "GIR");
        assert_eq!("cb11pt".parse::<Postcode>(), Postcode::parse("CB1 1PT"));
    }

    #[test]
    fn serialises_as_a_plain_string() {
        let p = Postcode::parse("cb11pt").expect("valid");
        assert_eq!(
            serde_json::to_string(&p).expect("serialises"),
            "\"CB1 1PT\""
        );
    }

    #[test]
    fn empty_input() {
        for input in ["", " ", "\t\n", "\u{a0}"] {
            assert_eq!(
                Postcode::parse(input),
                Err(PostcodeError::Empty),
                "{input:?}"
            );
        }
        assert_eq!(PostcodeError::Empty.to_string(), "Enter a postcode");
    }

    #[test]
    fn rejects_malformed_input() {
        for input in [
            "CB1 1PTX", // too many inward letters
            "CB1",      // outward code only
            "1PT",      // inward code only
            "CB11P",
            "CBX1 1PT",  // three area letters
            "NPT 0AD",   // withdrawn Newport format, not valid today
            "C1 1P1",    // inward must be 9AA
            "CB1 PT1",   // inward must be 9AA
            "1B1 1PT",   // must start with a letter
            "CB 1PT",    // AA with no district digit
            "CBA1 1PT",  // AAA9
            "C1AB 1PT",  // A9AA
            "CB123 1PT", // AA999
            "CB1-1PT",   // punctuation
            "CB1.1PT",
            "<script>",
            "<script>alert(1)</script>",
            "CB1 1PT;",
            "ÇB1 1PT", // non-ASCII letter
            "CB1 1PŤ",
            "ＣＢ１ １ＰＴ", // full-width forms are not ASCII
            "GIR 0AB",
            "12345",
            "AAAAAAA",
        ] {
            match Postcode::parse(input) {
                Err(PostcodeError::Malformed(_)) | Err(PostcodeError::TooLong) => {}
                other => panic!("{input:?} should be rejected as malformed, got {other:?}"),
            }
        }
    }

    #[test]
    fn malformed_message_echoes_the_input() {
        let err = Postcode::parse(" cb1 1ptx ").expect_err("malformed");
        assert_eq!(err, PostcodeError::Malformed("CB1 1PTX".to_owned()));
        assert_eq!(
            err.to_string(),
            "“CB1 1PTX” is not a UK postcode: check it and try again (for example CB1 1PT)"
        );
        // Whitespace runs collapse and control characters vanish from the echo.
        assert_eq!(
            Postcode::parse("cb1 \t  1ptx\u{7}"),
            Err(PostcodeError::Malformed("CB1 1PTX".to_owned()))
        );
    }

    #[test]
    fn long_input_is_not_echoed_back() {
        let huge = "X".repeat(10_000);
        let err = Postcode::parse(&huge).expect_err("too long");
        assert_eq!(err, PostcodeError::TooLong);
        assert!(err.to_string().len() < 200);

        // Exactly at the limit it is still read (and rejected as malformed), with a capped echo.
        let twenty = "<script>alert(1)</s>";
        assert_eq!(twenty.chars().count(), MAX_INPUT_CHARS);
        match Postcode::parse(twenty) {
            Err(PostcodeError::Malformed(echo)) => {
                assert!(echo.chars().count() <= MAX_ECHO_CHARS + 1, "{echo:?}")
            }
            other => panic!("expected malformed, got {other:?}"),
        }
        assert_eq!(
            Postcode::parse(&"y".repeat(MAX_INPUT_CHARS + 1)),
            Err(PostcodeError::TooLong)
        );
        // Surrounding whitespace does not count towards the limit.
        let padded = format!("{}cb1 1pt{}", " ".repeat(500), "\n".repeat(500));
        assert_eq!(ok(&padded), "CB1 1PT");
    }

    #[test]
    fn echo_is_capped_even_when_called_directly() {
        match malformed(&"é".repeat(100)) {
            PostcodeError::Malformed(echo) => {
                assert_eq!(echo.chars().count(), MAX_ECHO_CHARS + 1);
                assert!(echo.ends_with('…'));
            }
            other => panic!("expected malformed, got {other:?}"),
        }
    }

    #[test]
    fn orders_and_hashes_by_normalised_text() {
        let a = Postcode::parse("cb1 1pt").expect("valid");
        let b = Postcode::parse("CB11PT").expect("valid");
        assert_eq!(a, b);
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert!(
            Postcode::parse("CB1 1PT").expect("valid")
                < Postcode::parse("CB10 1AA").expect("valid")
        );
    }
}

//! Reading what was pasted, liberally: a whole email with its headers is decoded (subject, sender,
//! text body, HTML turned to text, base64 and quoted-printable undone) and everything is folded
//! into one plain, lower-case form for matching (smart quotes, look-alike letters, invisible
//! characters, runs of spaces), keeping a map back to the text the resident sees so that a sign can
//! highlight the very words that show it.

use std::ops::Range;
use std::sync::LazyLock;

use mail_parser::{Encoding, MessageParser, PartType};
use regex::Regex;

/// The sender of a decoded email, as shown in [`Reading::text`].
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    /// The display name ("HMRC Refunds"), lower case, and where it is in the text.
    pub name: String,
    pub name_range: Range<usize>,
    /// The domain of the address ("refund-hmrc.info"), lower case, and where it is in the text.
    pub domain: String,
    pub domain_range: Range<usize>,
}

/// What was pasted, read.
#[derive(Debug)]
pub(crate) struct Reading {
    /// The text the resident sees: what was pasted, or an email's sender, subject and body.
    pub text: String,
    /// `text` folded for matching: lower case, plain quotes, look-alike letters as Latin ones,
    /// invisible characters gone, each run of white space one space.
    pub folded: String,
    /// For each byte of `folded`, the start and the end of the character of `text` it came from.
    starts: Vec<u32>,
    ends: Vec<u32>,
    pub sender: Option<Sender>,
    pub notes: Vec<String>,
    /// Whether it reads as English (the signs and the word model only know English).
    pub english: bool,
}

impl Reading {
    pub fn new(input: &str) -> Reading {
        let (text, sender, mut notes) = match read_email(input) {
            Some(email) => (email.text, email.sender, email.notes),
            None => {
                let mut notes = Vec::new();
                if LOOKS_LIKE_HTML.is_match(input) {
                    notes.push(
                        "It contains HTML or script: it was read as plain text, and nothing in it \
                         was run or opened."
                            .to_owned(),
                    );
                }
                (input.to_owned(), None, notes)
            }
        };
        let folding = fold(&text);
        if folding.disguised {
            notes.push(
                "Some letters were disguised (look-alike letters from other alphabets or \
                 invisible characters); they were read as the plain letters they imitate."
                    .to_owned(),
            );
        }
        let english = reads_as_english(&folding.folded, &text);
        if !english {
            notes.push(
                "This does not look like English, so fewer warning signs can be recognised. \
                 If in doubt, do not reply, click or pay, and ask someone you trust."
                    .to_owned(),
            );
        }
        Reading {
            text,
            folded: folding.folded,
            starts: folding.starts,
            ends: folding.ends,
            sender,
            notes,
            english,
        }
    }

    /// The stretch of [`Reading::text`] that a stretch of [`Reading::folded`] came from (on char
    /// boundaries of the text).
    pub fn span(&self, folded: Range<usize>) -> Range<usize> {
        if folded.start >= folded.end || folded.end > self.starts.len() {
            return 0..0;
        }
        self.starts[folded.start] as usize..self.ends[folded.end - 1] as usize
    }
}

static LOOKS_LIKE_HTML: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)<\s*/?\s*(?:html|head|body|div|p|a|script|span|table|td|tr|br|img|style|iframe|form|input|meta|font|center|b|strong)(?:\s[^>]*)?/?>")
        .expect("the HTML pattern compiles")
});

static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z][A-Za-z0-9-]{0,40}:(?:\s|$)").expect("the header pattern compiles")
});

static HREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)href\s*=\s*["']?\s*((?:https?://|www\.)[^"'\s>]+)"#)
        .expect("the href pattern compiles")
});

struct Email {
    text: String,
    sender: Option<Sender>,
    notes: Vec<String>,
}

/// Headers that say "this is an email" when they open the paste.
const EMAIL_HEADERS: &[&str] = &[
    "from",
    "subject",
    "to",
    "date",
    "content-type",
    "mime-version",
    "received",
    "return-path",
    "message-id",
    "reply-to",
    "delivered-to",
    "content-transfer-encoding",
];

/// Whether the paste opens with a block of email headers (at least two, one of them a well-known
/// one), followed by a blank line.
fn opens_with_headers(input: &str) -> bool {
    let mut headers = 0;
    let mut known = false;
    for line in input.trim_start().lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return headers >= 2 && known;
        }
        if line.starts_with([' ', '\t']) {
            continue; // a folded header
        }
        if !HEADER_LINE.is_match(line) {
            return false;
        }
        headers += 1;
        let name = line[..line.find(':').unwrap_or(0)].to_ascii_lowercase();
        known |= EMAIL_HEADERS.contains(&name.as_str());
    }
    false
}

fn read_email(input: &str) -> Option<Email> {
    if !opens_with_headers(input) {
        return None;
    }
    let message = MessageParser::default().parse(input.trim_start().as_bytes())?;
    let mut text = String::new();
    let mut sender = None;
    if let Some(from) = message.from().and_then(|a| a.first()) {
        let name = from.name().unwrap_or("").trim();
        let address = from.address().unwrap_or("").trim();
        text.push_str("From: ");
        let name_start = text.len();
        text.push_str(name);
        let name_range = name_start..text.len();
        let mut domain_range = 0..0;
        if !address.is_empty() {
            text.push_str(if name.is_empty() { "" } else { " " });
            text.push('<');
            let address_start = text.len();
            text.push_str(address);
            if let Some(at) = address.rfind('@') {
                domain_range = address_start + at + 1..text.len();
            }
            text.push('>');
        }
        text.push('\n');
        sender = Some(Sender {
            name: name.to_lowercase(),
            name_range,
            domain: text[domain_range.clone()].to_lowercase(),
            domain_range,
        });
    }
    if let Some(subject) = message.subject() {
        text.push_str("Subject: ");
        text.push_str(subject.trim());
        text.push('\n');
    }
    text.push('\n');

    let (mut base64, mut quoted_printable) = (false, false);
    for part in &message.parts {
        match part.encoding {
            Encoding::Base64 => base64 = true,
            Encoding::QuotedPrintable => quoted_printable = true,
            Encoding::None => {}
        }
    }
    let mut from_html = false;
    let mut bodies = Vec::new();
    for i in 0..message.text_body.len() {
        if let Some(part) = message.text_part(i) {
            from_html |= matches!(part.body, PartType::Html(_));
        }
        if let Some(body) = message.body_text(i) {
            let body = body.trim().to_owned();
            if !body.is_empty() && !bodies.contains(&body) {
                bodies.push(body);
            }
        }
    }
    text.push_str(&bodies.join("\n\n"));

    // Where the HTML's links really go: often not where their words say.
    let mut targets: Vec<String> = Vec::new();
    for i in 0..message.html_body.len() {
        if let Some(PartType::Html(html)) = message.html_part(i).map(|p| &p.body) {
            for found in HREF.captures_iter(html).take(40) {
                let target = found[1].to_owned();
                if !targets.contains(&target) && !text.contains(&target) {
                    targets.push(target);
                }
            }
        }
    }
    if !targets.is_empty() {
        text.push_str("\n\nLinks in the email: ");
        text.push_str(&targets.join(" "));
    }

    let mut decoded = Vec::new();
    if base64 {
        decoded.push("base64");
    }
    if quoted_printable {
        decoded.push("quoted-printable");
    }
    let mut note = "Read as a whole email: the sender, the subject and the text of the message \
                    were taken from it"
        .to_owned();
    if !decoded.is_empty() {
        note.push_str(&format!(" (decoded from {})", decoded.join(" and ")));
    }
    if from_html {
        note.push_str("; its HTML was turned into plain text");
    }
    if !targets.is_empty() {
        note.push_str("; the addresses its links really go to are listed at the end");
    }
    note.push('.');
    Some(Email {
        text,
        sender,
        notes: vec![note],
    })
}

struct Folding {
    folded: String,
    starts: Vec<u32>,
    ends: Vec<u32>,
    disguised: bool,
}

/// Folds `text` for matching, remembering where each folded byte came from.
fn fold(text: &str) -> Folding {
    let (mut latin, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if c.is_ascii() {
            latin += 1;
        } else {
            other += 1;
        }
    }
    // Look-alike letters are undone only in mostly Latin text: in Russian or Greek they are
    // simply letters.
    let undo_lookalikes = latin >= other * 2;
    let mut folded = String::with_capacity(text.len());
    let mut starts = Vec::with_capacity(text.len());
    let mut ends = Vec::with_capacity(text.len());
    let mut disguised = false;
    let mut push = |folded: &mut String, c: char, start: usize, end: usize| {
        let before = folded.len();
        folded.push(c);
        for _ in before..folded.len() {
            starts.push(start as u32);
            ends.push(end as u32);
        }
    };
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        let plain = match c {
            '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' => {
                disguised = true;
                continue;
            }
            c if c.is_whitespace() || c.is_control() => {
                if !folded.is_empty() && !folded.ends_with(' ') {
                    push(&mut folded, ' ', start, end);
                }
                continue;
            }
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => {
                '\''
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2026}' => '.',
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(c as u32 - 0xFEE0).map_or(c, |c| c.to_ascii_lowercase())
            }
            c if undo_lookalikes && !c.is_ascii() => match lookalike(c) {
                Some(plain) => {
                    disguised = true;
                    plain
                }
                None => c,
            },
            c => c,
        };
        if plain.is_ascii() {
            push(&mut folded, plain.to_ascii_lowercase(), start, end);
        } else {
            for lower in plain.to_lowercase() {
                push(&mut folded, lower, start, end);
            }
        }
    }
    if folded.ends_with(' ') {
        folded.pop();
        starts.pop();
        ends.pop();
    }
    Folding {
        folded,
        starts,
        ends,
        disguised,
    }
}

/// Cyrillic and Greek letters that look like Latin ones, as used to slip past filters.
fn lookalike(c: char) -> Option<char> {
    Some(match c {
        'а' | 'А' | 'α' | 'Α' => 'a',
        'В' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ε' | 'Ε' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'М' | 'Μ' => 'm',
        'Ν' => 'n',
        'о' | 'О' | 'ο' | 'Ο' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ѕ' | 'Ѕ' => 's',
        'Т' | 'τ' | 'Τ' => 't',
        'υ' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'Х' | 'Χ' => 'x',
        'у' | 'У' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    })
}

/// Short English words that almost any English message uses and other languages rarely do.
const ENGLISH_WORDS: &[&str] = &[
    "the", "to", "you", "your", "is", "and", "of", "for", "it", "on", "this", "we", "have", "be",
    "are", "in", "me", "my", "with", "please", "can", "will", "that", "at", "has", "been", "from",
    "not", "our", "us", "was", "if", "by", "or", "an", "do", "now", "here", "hi", "hello", "dear",
    "am", "need", "just", "get", "call", "text", "pay", "click", "what", "who", "when", "there",
    "they", "he", "she", "would", "could", "should", "i'm", "it's", "don't", "no", "yes", "today",
    "new", "day", "all", "up", "out", "about", "but", "more", "only", "free", "any", "see", "know",
    "back", "how", "over", "tonight", "tomorrow", "thanks", "thank", "mum", "dad", "after",
    "before",
];

/// Short words of the languages most often pasted instead (Welsh, Polish, Romanian, Spanish,
/// French, German, Italian, Portuguese) that are not English words.
const OTHER_WORDS: &[&str] = &[
    "yn", "eich", "mae", "ei", "y", "yr", "gyda", "neu", "chi", "ac", "i'r", "bydd", "cael", "hwn",
    "os", "ydych", "się", "nie", "jest", "na", "w", "z", "że", "mnie", "jak", "mój", "moja",
    "mamo", "tato", "proszę", "czy", "ale", "jestem", "și", "este", "pentru", "sunt", "el", "la",
    "los", "las", "que", "en", "por", "su", "es", "una", "con", "para", "hola", "le", "les", "des",
    "est", "vous", "votre", "pour", "avec", "une", "et", "je", "bonjour", "der", "die", "das",
    "und", "ist", "sie", "ihr", "ihre", "nicht", "mit", "ein", "eine", "bitte", "il", "di", "per",
    "che", "sono", "não", "você", "um", "uma", "olá",
];

/// Whether the text reads as English: most of its letters are Latin, and more of its words are
/// common English ones than common words of other languages.
fn reads_as_english(folded: &str, text: &str) -> bool {
    let (mut latin, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if c.is_ascii() {
            latin += 1;
        } else {
            other += 1;
        }
    }
    if latin < 2 || latin < other * 3 {
        return false;
    }
    let mut words = 0usize;
    let mut english = 0usize;
    let mut other_words = 0usize;
    for word in folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| w.chars().any(char::is_alphabetic))
    {
        words += 1;
        if ENGLISH_WORDS.contains(&word) {
            english += 1;
        } else if OTHER_WORDS.contains(&word) {
            other_words += 1;
        }
    }
    // Very short messages ("Call me") have too few words to judge by.
    words <= 3 || (english >= other_words && english * 100 >= words * 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_a_map_back_to_the_words_the_resident_sees() {
        let reading = Reading::new("Hi  Mum,\u{200B} it\u{2019}s my NEW   numbеr"); // a Cyrillic е
        assert_eq!(reading.folded, "hi mum, it's my new number");
        let at = reading.folded.find("new number").unwrap();
        let span = reading.span(at..at + "new number".len());
        assert_eq!(&reading.text[span], "NEW   numbеr");
        assert!(reading.notes.iter().any(|n| n.contains("disguised")));
    }

    #[test]
    fn a_pasted_email_is_decoded_into_sender_subject_and_body() {
        let raw = "From: \"Royal Mail\" <noreply@rm-parcels.top>\r\nTo: you@example.com\r\n\
                   Subject: =?utf-8?B?WW91ciBwYXJjZWw=?=\r\nMIME-Version: 1.0\r\n\
                   Content-Type: text/plain; charset=utf-8\r\n\
                   Content-Transfer-Encoding: quoted-printable\r\n\r\n\
                   We could not deliver your parcel. Pay =C2=A31.45 today.\r\n";
        let reading = Reading::new(raw);
        assert!(
            reading.text.contains("Subject: Your parcel"),
            "{}",
            reading.text
        );
        assert!(
            reading.text.contains("Pay £1.45 today."),
            "{}",
            reading.text
        );
        let sender = reading.sender.as_ref().unwrap();
        assert_eq!(sender.name, "royal mail");
        assert_eq!(&reading.text[sender.domain_range.clone()], "rm-parcels.top");
        assert!(reading.notes[0].contains("quoted-printable"));
    }

    #[test]
    fn welsh_polish_and_emoji_are_noted_as_not_english() {
        for text in [
            "Mae eich parsel yn aros. Talwch y ffi fach heddiw neu bydd yn cael ei ddychwelyd.",
            "Cześć mamo, to mój nowy numer. Mój telefon się zepsuł, napisz do mnie.",
            "🎉🎉🎉 👍",
        ] {
            let reading = Reading::new(text);
            assert!(!reading.english, "{text}");
        }
        assert!(Reading::new("Hi Mum, running late, home by 6").english);
    }
}

//! Reading other services' alert archives (eCops / Neighbourhood Alert email and bulletin
//! exports, police news articles in Markdown) into alerts Beacon can store. Parsing only: what
//! is stored, and how, is `services::import`.

pub mod bulletin;
pub mod classify;
pub mod ecops_email;
pub mod news;
pub mod text;

use crate::domain::alert::SignOff;

/// Longest title made from the start of a body, for a source that gives none.
pub const MAX_DERIVED_TITLE_CHARS: usize = 90;

/// The formats Beacon reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// eCops / Neighbourhood Alert emails saved as text: "eCops Logo <provider>", "Message Type
    /// Icon <title>", the body and a "Message Sent By" sign-off.
    EcopsEmail,
    /// Bulletin exports: a heading line ("E-Cops – …"), a headline ending " |" and the body
    /// ending " |"; or the heading followed straight by the body, one paragraph per line.
    Bulletin,
    /// A news article in Markdown with YAML front matter (between "---" lines or in a fenced
    /// code block), or opening with a "# " heading.
    News,
}

impl Format {
    /// How the format is named to people (in the archive: "imported from an eCops email export").
    pub fn describe(self) -> &'static str {
        match self {
            Format::EcopsEmail => "eCops email export",
            Format::Bulletin => "eCops bulletin export",
            Format::News => "police news article",
        }
    }

    /// The format of a file's text, judged by its shape; `None` if it is none of them.
    pub fn detect(text: &str) -> Option<Format> {
        let text = text.trim_start_matches('\u{FEFF}');
        if news::has_front_matter(text) {
            return Some(Format::News);
        }
        let lines = || text.lines().map(str::trim);
        if lines().any(|l| {
            ecops_email::provider_line(l).is_some() || ecops_email::title_line(l).is_some()
        }) {
            return Some(Format::EcopsEmail);
        }
        if lines().filter(|l| l.ends_with(" |") || *l == "|").count() >= 2
            || lines()
                .flat_map(text::html_lines)
                .any(|l| classify::is_service_heading(&text::clean_line(&l)))
        {
            return Some(Format::Bulletin);
        }
        // Markdown that opens with a heading: an article saved without its front matter.
        let first = lines().find(|l| !l.is_empty())?;
        (first.starts_with("# ") && first.len() > 2).then_some(Format::News)
    }
}

/// One alert as a source gives it, cleaned but not yet matched to Beacon's catalogue.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct SourceAlert {
    /// The line (from 1) where it starts in the file.
    pub line: usize,
    /// The provider as the source names it ("Action Fraud (NFIB)").
    pub provider: Option<String>,
    /// The title, if the source gives one.
    pub title: Option<String>,
    /// The message type or category as the source names it ("scam warning").
    pub message_type: Option<String>,
    /// The body as Markdown.
    pub body: String,
    /// The body's first words as plain text, for a title where the source gives none.
    pub lead_text: String,
    pub signoff: Option<SignOff>,
    pub date: Option<chrono::NaiveDate>,
    /// The area the source says the alert concerns ("Peterborough").
    pub area: Option<String>,
    /// Where the source published it.
    pub url: Option<String>,
    /// The title was not the source's headline but read from elsewhere (a heading's topic).
    pub title_inferred: bool,
    /// How a part that did not have the expected shape was read ("no headline line; the title
    /// is the body's first sentence"), for the import's report.
    pub notes: Vec<String>,
}

/// Part of a file that could not be read as an alert, and why. Nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    pub line: usize,
    pub reason: String,
}

/// What a parser found in a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub alerts: Vec<SourceAlert>,
    pub unreadable: Vec<Unreadable>,
    /// Alerts read, but with something the importer had to leave out (an unreadable date).
    pub warnings: Vec<Unreadable>,
}

/// Reads `text` as `format`.
pub fn parse(format: Format, text: &str) -> Parsed {
    match format {
        Format::EcopsEmail => ecops_email::parse(text),
        Format::Bulletin => bulletin::parse(text),
        Format::News => news::parse(text),
    }
}

/// The earliest year an alert's date may have: older ones are misreadings ("1.2.3").
const EARLIEST_YEAR: i32 = 1990;

/// A date written in a heading or front matter: "05.02.2025" and "5/2/2025" (day first, as in
/// the UK), "1 Feb 2021", "1st February 2021", "2021-02-01".
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    read_date(text).filter(|d| d.year() >= EARLIEST_YEAR)
}

fn read_date(text: &str) -> Option<chrono::NaiveDate> {
    use chrono::NaiveDate;
    let text = text.trim().trim_matches(['"', '\'']).trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(date);
    }
    // "2021-02-01T09:30:00Z", "2021-02-01 09:30": the day is what matters.
    if let Some(day) = text
        .get(..10)
        .filter(|_| text[10..].starts_with(['T', ' ']) && text.is_char_boundary(10))
    {
        if let Ok(date) = NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            return Some(date);
        }
    }
    let parts: Vec<&str> = text.split(['.', '/', '-']).collect();
    if let [d, m, y] = parts.as_slice() {
        if let (Ok(d), Ok(m), Ok(y)) = (d.parse(), m.parse(), y.parse()) {
            return NaiveDate::from_ymd_opt(y, m, d);
        }
    }
    // "Monday 1 February 2021", "1st February, 2021", "February 1, 2021".
    let words: Vec<&str> = text
        .split([' ', ','])
        .filter(|w| !w.is_empty())
        .filter(|w| !is_weekday(w))
        .collect();
    let (d, m, y) = match words.as_slice() {
        [d, m, y] if month_number(d).is_some() => (m, d, y),
        [d, m, y] => (d, m, y),
        _ => return None,
    };
    let day: u32 = d
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse()
        .ok()?;
    let month = month_number(m.trim_end_matches('.'))?;
    let year: i32 = y.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let lower = word.trim_end_matches('.').to_lowercase();
    lower.len() >= 3
        && DAYS.iter().any(|d| lower.starts_with(d))
        && lower.chars().all(|c| c.is_ascii_alphabetic())
        && (lower.len() == 3 || lower.ends_with("day") || lower.len() <= 5)
}

fn month_number(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_lowercase();
    let prefix: String = lower.chars().take(3).collect();
    let position = MONTHS.iter().position(|m| *m == prefix)?;
    u32::try_from(position + 1).ok()
}

/// A date at the end of a heading ("… – 05.02.2025"), and the heading without it.
pub fn trailing_date(heading: &str) -> (Option<chrono::NaiveDate>, &str) {
    let Some((before, last)) = heading.rsplit_once(' ') else {
        return (None, heading);
    };
    match parse_date(last) {
        Some(date) if last.chars().any(|c| matches!(c, '.' | '/' | '-')) => {
            (Some(date), before.trim_end_matches([' ', '–', '-', '—']))
        }
        _ => (None, heading),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format() {
        assert_eq!(
            Format::detect("X\n\neCops Logo The Police\nMessage Type Icon T\nbody"),
            Some(Format::EcopsEmail)
        );
        assert_eq!(
            Format::detect("E-Cops Bulletin\nHeadline |\nBody |\n"),
            Some(Format::Bulletin)
        );
        assert_eq!(
            Format::detect("---\ntitle: x\n---\nbody"),
            Some(Format::News)
        );
        assert_eq!(Format::detect("just some text"), None);
        // As real files come: headings only, front matter in a fence, no front matter at all.
        assert_eq!(
            Format::detect(
                "\u{FEFF}ECops Bulletin\r\n\r\ne-cops - Sheds\r\nSheds were broken into.\r\n"
            ),
            Some(Format::Bulletin)
        );
        assert_eq!(
            Format::detect("<p>E-Cops – Sheds</p>\n<p>Sheds were broken into.</p>"),
            Some(Format::Bulletin)
        );
        assert_eq!(
            Format::detect("\n```yaml\ntitle: x\n```\nbody"),
            Some(Format::News)
        );
        assert_eq!(
            Format::detect("# Road closed\n\nThe A14."),
            Some(Format::News)
        );
    }

    #[test]
    fn reads_dates_as_uk_sources_write_them() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("05.02.2025"), d(2025, 2, 5));
        assert_eq!(parse_date("1 Feb 2021"), d(2021, 2, 1));
        assert_eq!(parse_date("21st June 2022"), d(2022, 6, 21));
        assert_eq!(parse_date("2021-02-01"), d(2021, 2, 1));
        assert_eq!(parse_date("2021-02-01T09:30:00Z"), d(2021, 2, 1));
        assert_eq!(parse_date("2021-02-01 09:30"), d(2021, 2, 1));
        assert_eq!(parse_date("Monday 1 February 2021"), d(2021, 2, 1));
        assert_eq!(parse_date("February 1, 2021"), d(2021, 2, 1));
        assert_eq!(parse_date("Tue, 2 Mar 2021"), d(2021, 3, 2));
        assert_eq!(parse_date("12-03-2024"), d(2024, 3, 12));
        assert_eq!(parse_date("31.02.2025"), None);
        assert_eq!(parse_date("soon"), None);
        assert_eq!(parse_date("1.2.3"), None, "no alert is from the year 3");
        assert_eq!(
            trailing_date("ECops – Statement – 05.02.2025"),
            (d(2025, 2, 5), "ECops – Statement")
        );
        assert_eq!(trailing_date("Drink driving"), (None, "Drink driving"));
    }

    #[test]
    fn hostile_html_in_a_source_is_shown_as_text() {
        let body =
            text::markdown_from_lines(&["<script>alert(1)</script> <img src=x onerror=alert(1)>"]);
        let html = crate::domain::alert::render_markdown(&body).html;
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }
}

/// The parsers never panic, whatever they are given, and what they return is consistent: every
/// alert has a body, and every line number is inside the file.
#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Lines that mean something to one parser or another, and some that mean nothing.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("eCops Logo The Police".to_owned()),
            Just("eCops Logo Action Fraud (NFIB)".to_owned()),
            "Message Type Icon ?[ -~]{0,20}",
            Just("Message Sent By".to_owned()),
            Just("Lucy Ward".to_owned()),
            Just("(Police, Role, Area)".to_owned()),
            Just("(Police, Ro".to_owned()),
            Just("Follow us on".to_owned()),
            Just("Twitter| Facebook".to_owned()),
            Just("Kind regards,".to_owned()),
            Just("Dear Mandy,".to_owned()),
            Just("scam warning".to_owned()),
            Just("·  one ·  two".to_owned()),
            Just("* ### Headline".to_owned()),
            Just("ECops – Door to Door Sellers".to_owned()),
            "[ -~]{0,30} \\|",
            Just("Category: Scams".to_owned()),
            Just("---".to_owned()),
            Just("title: T".to_owned()),
            Just("publish:".to_owned()),
            Just("  date: 1 Feb 2021".to_owned()),
            "\\PC{0,40}",
        ]
    }

    fn check(text: &str) {
        let lines = text.lines().count().max(1);
        let _ = Format::detect(text);
        for format in [Format::EcopsEmail, Format::Bulletin, Format::News] {
            let parsed = parse(format, text);
            for alert in &parsed.alerts {
                assert!(!alert.body.trim().is_empty(), "{format:?}: {alert:?}");
                assert!((1..=lines).contains(&alert.line), "{format:?}: {alert:?}");
            }
            for problem in parsed.unreadable.iter().chain(&parsed.warnings) {
                assert!(
                    (1..=lines).contains(&problem.line),
                    "{format:?}: {problem:?}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn any_text_parses_without_panicking(text in "\\PC{0,400}") {
            check(&text);
        }

        #[test]
        fn shaped_text_parses_consistently(lines in proptest::collection::vec(line(), 0..40)) {
            check(&lines.join("\n"));
        }

        #[test]
        fn any_bytes_decode_and_clean(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let text = text::decode(&bytes);
            for line in text.lines() {
                let cleaned = text::clean_line(line);
                prop_assert!(!cleaned.chars().any(char::is_control));
            }
            check(&text);
        }

        #[test]
        fn derived_titles_fit(text in "\\PC{0,300}", max in 2usize..120) {
            prop_assert!(text::title_from_text(&text, max).chars().count() <= max);
        }
    }
}

//! Syndication: sent public alerts as an Atom feed, a JSON Feed and OASIS CAP 1.2 messages (one
//! per alert, listed by an Atom index), for feed readers, websites that embed alerts, and the
//! emergency-alerting systems that gather CAP. Pure functions from `store::PublicAlert` to text:
//! no I/O and no store; the web layer fetches the alerts and serves what these return.
//!
//! Every address is absolute, made from the site's base URL ("https://alerts.example.org", no
//! trailing slash): an alert's page is `{base}/alerts/{id}`, its CAP message
//! `{base}/alerts/{id}.cap.xml`. Times are UK local time with a numeric offset (+00:00 in winter,
//! +01:00 in summer), the form CAP insists on, used in every feed so they agree with each other.

mod atom;
mod cap;
mod json_feed;

pub use atom::{atom, cap_index};
pub use cap::cap;
pub use json_feed::json_feed;

use crate::domain::alert::{render_markdown, RenderedBody};
use crate::store::{PublicAlert, Timestamp};

/// The media types to serve each document with.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
pub const JSON_FEED_CONTENT_TYPE: &str = "application/feed+json; charset=utf-8";
pub const CAP_CONTENT_TYPE: &str = "application/cap+xml; charset=utf-8";

/// Longest entry summary, in characters, before it is cut at a word and given an ellipsis.
const SUMMARY_CHARS: usize = 200;

/// What a feed says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// The absolute URL this feed is served at: its identity and its `self` link.
    pub id_url: String,
    /// "Cambridgeshire alerts", "Scam warnings in Fenland"... Also names the feed's author.
    pub title: String,
    /// The archive page (with the same filters) that this feed mirrors.
    pub html_url: String,
    /// When anything in the feed last changed (Unix seconds): the newest alert, or the time the
    /// archive last changed.
    pub updated: Timestamp,
}

/// The public page of an alert.
pub fn alert_url(base_url: &str, id: i64) -> String {
    format!("{base_url}/alerts/{id}")
}

/// The CAP 1.2 message of an alert.
pub fn cap_url(base_url: &str, id: i64) -> String {
    format!("{base_url}/alerts/{id}.cap.xml")
}

/// An alert's text in the forms the feeds need: the body rendered once, with the sign-off.
struct AlertText {
    body: RenderedBody,
    signoff: Vec<String>,
}

impl AlertText {
    fn of(alert: &PublicAlert) -> AlertText {
        AlertText {
            body: render_markdown(&alert.body_markdown),
            signoff: alert
                .signoff
                .lines()
                .into_iter()
                .filter(|line| !line.is_empty())
                .collect(),
        }
    }

    /// The sanitised body followed by the sign-off, as residents see it on the alert's page.
    fn html(&self) -> String {
        let signoff: Vec<String> = self.signoff.iter().map(|l| xml_escape(l)).collect();
        format!("{}<p>{}</p>", self.body.html, signoff.join("<br>"))
    }

    /// The plain-text body followed by the sign-off.
    fn text(&self) -> String {
        format!(
            "{}\n\n{}",
            self.body.text.trim_end(),
            self.signoff.join("\n")
        )
    }

    /// The opening of the plain-text body on one line, cut at a word.
    fn summary(&self) -> String {
        summarise(&self.body.text, SUMMARY_CHARS)
    }
}

/// `text` with runs of white space made single spaces, cut to at most `limit` characters at a
/// word boundary with an ellipsis when it was longer.
fn summarise(text: &str, limit: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    if flat.chars().count() <= limit {
        return flat;
    }
    let mut cut = String::new();
    for word in words {
        // The ellipsis takes the last character of the limit.
        let extra = usize::from(!cut.is_empty()) + word.chars().count();
        if cut.chars().count() + extra > limit - 1 {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    if cut.is_empty() {
        // One enormous word (a pasted link): cut it mid-word rather than show nothing.
        cut = flat.chars().take(limit - 1).collect();
    }
    cut.push('…');
    cut
}

/// A Unix time as RFC 3339 in UK local time: "2026-07-01T10:00:00+01:00". Never "Z", which CAP
/// forbids. A time chrono cannot represent (corrupt data) becomes the epoch rather than a panic.
fn uk_time(at: Timestamp) -> String {
    let utc = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
    utc.with_timezone(&chrono_tz::Europe::London)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Text made safe to place in XML content or a quoted attribute: the five special characters
/// escaped, and the characters XML 1.0 cannot carry at all (control characters other than tab,
/// newline and carriage return; U+FFFE and U+FFFF) left out.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `<name>text</name>` with the text escaped.
fn push_element(out: &mut String, indent: &str, name: &str, text: &str) {
    out.push_str(indent);
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(&xml_escape(text));
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

/// The host (with any port) of the base URL: "alerts.example.org".
fn host(base_url: &str) -> &str {
    let rest = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// What the feed tests share: alerts as a sender would write them, and the outside tools that
/// read what the feeds produce (an XML Schema validator, feed readers).
#[cfg(test)]
mod test_support {
    use crate::domain::alert::SignOff;
    use crate::geo::target::{AreaTarget, Shape};
    use crate::store::PublicAlert;
    use std::io::Write;
    use std::process::{Command, Stdio};

    pub const BASE: &str = "https://alerts.example.org";
    pub const SENDER: &str = "alerts@alerts.example.org";
    /// 22 November 2026, 02:10 UTC: winter, so UK time is UTC.
    pub const WINTER: i64 = 1_795_313_400;
    /// 1 July 2026, 09:00 UTC: summer, 10:00 in the UK.
    pub const SUMMER: i64 = 1_782_896_400;

    pub fn target(include: Vec<Shape>, exclude: Vec<Shape>) -> String {
        serde_json::to_string(&AreaTarget { include, exclude }).unwrap()
    }

    /// A crime update for the whole force area, sent on a winter night.
    pub fn alert(id: i64, title: &str) -> PublicAlert {
        PublicAlert {
            id,
            title: title.to_owned(),
            body_markdown: "Two sheds were broken into on **Mill Lane** overnight.\n\n\
                            Call 101 quoting [incident 123](https://example.org/report) if you \
                            saw anything."
                .to_owned(),
            provider_slug: "cambridgeshire-constabulary".to_owned(),
            provider_name: "Cambridgeshire Constabulary".to_owned(),
            message_type_slug: "crime-update".to_owned(),
            message_type_name: "Crime update".to_owned(),
            priority: 2,
            sent_at: WINTER,
            listed_at: WINTER,
            signoff: SignOff {
                name: "Lucy Ward".to_owned(),
                organisation: "Cambridgeshire Constabulary".to_owned(),
                role: "Communications Assistant".to_owned(),
                area: "Peterborough and Fenland".to_owned(),
            },
            area: "Cambridgeshire and Peterborough".to_owned(),
            target_json: target(vec![Shape::ForceArea], vec![]),
            district_codes: crate::geo::districts::FORCE_DISTRICTS
                .iter()
                .map(|c| (*c).to_owned())
                .collect(),
            follows_alert_id: None,
            follow_up: None,
            imported_from: None,
            imported_provider: None,
            imported_inferred: Vec::new(),
        }
    }

    /// Runs a program, feeding it `input`, and returns what it printed; panics with `install`
    /// when the program is not there, so a machine without the tool fails the test loudly.
    pub fn run(program: &str, args: &[&str], input: &str, install: &str) -> (bool, String) {
        let mut child = match Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(error) => panic!("cannot run {program} ({error}): {install}"),
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        (output.status.success(), format!("{stdout}{stderr}"))
    }

    /// Checks a CAP message against the OASIS CAP 1.2 schema with xmllint.
    pub fn assert_valid_cap(xml: &str) {
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/CAP-v1.2.xsd");
        let (ok, report) = run(
            "xmllint",
            &["--noout", "--nonet", "--schema", schema, "-"],
            xml,
            "install libxml2-utils (apt-get install -y libxml2-utils)",
        );
        assert!(ok, "the CAP message is not valid CAP 1.2:\n{report}\n{xml}");
    }

    /// Checks a document is well-formed XML with xmllint.
    pub fn assert_well_formed(xml: &str) {
        let (ok, report) = run(
            "xmllint",
            &["--noout", "--nonet", "-"],
            xml,
            "install libxml2-utils (apt-get install -y libxml2-utils)",
        );
        assert!(ok, "not well-formed XML:\n{report}\n{xml}");
    }

    /// Reads a feed as a feed reader would (`tests/support/read_feed.py`: feedparser for Atom,
    /// feedparser-rs for JSON Feed) and returns what it made of it.
    pub fn read_feed(document: &str) -> serde_json::Value {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/read_feed.py");
        let (ok, output) = run(
            "python3",
            &[script],
            document,
            "install python3, then pip install feedparser feedparser-rs",
        );
        assert!(
            ok,
            "the feed reader failed (pip install feedparser feedparser-rs):\n{output}"
        );
        serde_json::from_str(&output).unwrap_or_else(|e| panic!("{e}: {output}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_nothing_xml_cannot_carry() {
        assert_eq!(
            xml_escape("Fish & chips <\"best\"> 'ever'"),
            "Fish &amp; chips &lt;&quot;best&quot;&gt; &apos;ever&apos;"
        );
        assert_eq!(xml_escape("a\u{0}b\u{1}c\u{1b}d\u{FFFF}e"), "abcde");
        assert_eq!(
            xml_escape("tab\tline\nreturn\r 🚓 é"),
            "tab\tline\nreturn\r 🚓 é"
        );
    }

    #[test]
    fn times_are_uk_local_with_an_offset() {
        use test_support::{SUMMER, WINTER};
        assert_eq!(uk_time(WINTER), "2026-11-22T02:10:00+00:00");
        assert_eq!(uk_time(SUMMER), "2026-07-01T10:00:00+01:00");
        // The UK kept British Standard Time (UTC+1) all year from 1968 to 1971.
        assert_eq!(uk_time(i64::MAX), "1970-01-01T01:00:00+01:00");
    }

    #[test]
    fn summaries_are_cut_at_a_word() {
        assert_eq!(summarise("  Short\n\n text ", 200), "Short text");
        let long = "word ".repeat(100);
        let summary = summarise(&long, 200);
        assert!(summary.chars().count() <= 200, "{summary}");
        assert!(summary.ends_with("word…"), "{summary}");
        let one_word = "x".repeat(300);
        assert_eq!(summarise(&one_word, 200).chars().count(), 200);
    }

    #[test]
    fn hosts_come_from_the_base_url() {
        assert_eq!(host("https://alerts.example.org"), "alerts.example.org");
        assert_eq!(host("http://127.0.0.1:8080/beacon"), "127.0.0.1:8080");
        assert_eq!(host("alerts.example.org"), "alerts.example.org");
    }
}

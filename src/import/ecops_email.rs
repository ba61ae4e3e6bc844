//! eCops / Neighbourhood Alert emails saved as text: alerts one after another, each usually a
//! subject-like heading, "eCops Logo <provider>", "Message Type Icon <title>", the body and a
//! "Message Sent By" sign-off; newsletters come as a heading and paragraphs only.
//!
//! Where one alert ends and the next begins is read from the shape of the text: a provider or
//! title line always starts an alert (taking the heading above it, if one stands alone between
//! blank lines), and a heading standing alone starts one after an alert has clearly ended (its
//! sign-off, a "Follow us on" footer, or a "Kind regards" closing and the blank line after it).
//! Elsewhere such a heading is a section within the alert.

use super::text::{clean_line, markdown_from_lines, split_flattened_paragraphs, strip_greeting};
use super::{Parsed, SourceAlert, Unreadable};
use crate::domain::alert::SignOff;

/// The provider named by an "eCops Logo <provider>" line.
pub fn provider_line(line: &str) -> Option<&str> {
    strip_prefix_ignore_case(line.trim(), "ecops logo ")
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// The title on a "Message Type Icon <title>" line (possibly empty).
pub fn title_line(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.eq_ignore_ascii_case("message type icon") {
        return Some("");
    }
    strip_prefix_ignore_case(line, "message type icon ").map(str::trim)
}

fn is_sent_by(line: &str) -> bool {
    line.trim().eq_ignore_ascii_case("message sent by")
}

fn is_footer(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    lower == "follow us on" || lower == "follow us on:"
}

/// A closing ("Kind regards,", "Kind Regards, Superintendent Ben Martin"), not a sentence that
/// starts with the same words ("Many thanks to everyone who came along.").
fn is_closing(line: &str) -> bool {
    const MAX_CLOSING_CHARS: usize = 60;
    let lower = line.trim().to_lowercase();
    [
        "kind regards",
        "best regards",
        "many thanks",
        "best wishes",
        "yours sincerely",
    ]
    .iter()
    .any(|c| lower.starts_with(c))
        && lower.chars().count() <= MAX_CLOSING_CHARS
        && !lower.ends_with(['.', '!', '?'])
}

/// Whether a heading names the service ("ECops – …", "Crime Update from eCops"): the mark of
/// an export's subject line, which a closing line of the alert before it never has.
fn names_service(line: &str) -> bool {
    let squashed: String = line
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    squashed.contains("ecops")
}

/// Whether a heading is the subject line of the alert titled `title`: most of its words are
/// in the title ("Energy Bill Scam Texts" above "ALERT: Energy Bill Scam texts").
fn heads(heading: &str, title: &str) -> bool {
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let title_words = words(title);
    let heading_words = words(heading);
    let shared = heading_words
        .iter()
        .filter(|w| title_words.contains(w))
        .count();
    !heading_words.is_empty() && shared * 2 >= heading_words.len()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

/// Longest a heading can be; longer lines are paragraphs.
const MAX_HEADING_CHARS: usize = 150;

/// Could this line be a heading: short, alone between blank lines (or before a provider or
/// title line), not a sentence ending in a full stop or colon, not a list item.
fn heading_like(lines: &[String], i: usize) -> bool {
    let Some(line) = lines.get(i) else {
        return false;
    };
    let blank_before = i == 0 || lines.get(i - 1).is_some_and(|l| l.is_empty());
    let fits_after = lines.get(i + 1).is_some_and(|next| {
        next.is_empty() || provider_line(next).is_some() || title_line(next).is_some()
    });
    blank_before && fits_after && plain_heading(line)
}

fn plain_heading(line: &str) -> bool {
    !line.is_empty()
        && line.chars().count() <= MAX_HEADING_CHARS
        && !line.ends_with(['.', ',', ';', ':'])
        && !line.starts_with(['·', '•', '*', '-', '('])
        && provider_line(line).is_none()
        && title_line(line).is_none()
        && !is_sent_by(line)
        && !is_footer(line)
}

/// An alert being read.
#[derive(Default)]
struct Block {
    line: usize,
    heading: Option<String>,
    provider: Option<String>,
    title: Option<String>,
    label: Option<String>,
    /// Body lines with their line numbers; blank lines are empty strings.
    body: Vec<(usize, String)>,
    signoff: Option<SignOff>,
    problem: Option<String>,
}

impl Block {
    fn has_text(&self) -> bool {
        self.body.iter().any(|(_, l)| !l.is_empty())
    }

    /// Only a heading so far: it belongs to whatever provider or title line comes next.
    fn heading_only(&self) -> bool {
        self.heading.is_some()
            && self.provider.is_none()
            && self.title.is_none()
            && !self.has_text()
    }

    /// Takes off the body's last line if it is the next alert's subject line: standing alone
    /// (blank lines before and after it), naming the service or sharing most words with the
    /// next alert's title, and not the only text of this alert. A closing line ("Please share
    /// this with your neighbours") stays.
    fn take_trailing_heading(&mut self, next_title: Option<&str>) -> Option<(usize, String)> {
        self.take_heading_line(false, next_title)
    }

    /// At the end of the file no blank line need follow: a subject line there is the start of
    /// an alert the file lost.
    fn take_heading_line(
        &mut self,
        at_end: bool,
        next_title: Option<&str>,
    ) -> Option<(usize, String)> {
        let last = self.body.iter().rposition(|(_, l)| !l.is_empty())?;
        let blank_after = at_end || self.body.len() > last + 1;
        let blank_before = last == 0 || self.body.get(last - 1).is_some_and(|(_, l)| l.is_empty());
        let (number, line) = self.body.get(last)?;
        let only_text = !self.body.iter().take(last).any(|(_, l)| !l.is_empty());
        // A line on its own, under no heading, provider or title, can only be a heading.
        let stray =
            only_text && self.heading.is_none() && self.provider.is_none() && self.title.is_none();
        let subject = names_service(line) || next_title.is_some_and(|t| heads(line, t));
        let standing_alone = blank_after && blank_before && plain_heading(line);
        if !(standing_alone && (stray || (subject && !only_text))) {
            return None;
        }
        let taken = (*number, line.clone());
        self.body.truncate(last);
        Some(taken)
    }
}

struct Reader {
    parsed: Parsed,
    current: Option<Block>,
}

impl Reader {
    /// Ends the alert being read, and hands on the heading that the next one (titled
    /// `next_title`, where known) takes, if any.
    fn finish_for_next(&mut self, next_title: Option<&str>) -> Option<(usize, String)> {
        let mut block = self.current.take()?;
        if block.heading_only() {
            return block.heading.map(|h| (block.line, h));
        }
        let heading = block.take_trailing_heading(next_title);
        let nothing_left = !block.has_text()
            && block.heading.is_none()
            && block.provider.is_none()
            && block.title.is_none();
        if !nothing_left {
            self.finish_block(block);
        }
        heading
    }

    fn finish(&mut self) {
        if let Some(block) = self.current.take() {
            self.finish_block(block);
        }
    }

    fn finish_block(&mut self, block: Block) {
        if let Some(reason) = block.problem {
            self.parsed.unreadable.push(Unreadable {
                line: block.line,
                reason,
            });
            return;
        }
        let mut lines: Vec<String> = block.body.into_iter().map(|(_, l)| l).collect();
        if let Some(first) = lines.iter_mut().find(|l| !l.is_empty()) {
            *first = strip_greeting(first).to_owned();
        }
        let body = markdown_from_lines(&lines);
        let named = block
            .title
            .clone()
            .filter(|t| !t.is_empty())
            .or_else(|| block.heading.clone())
            .unwrap_or_else(|| "the alert".to_owned());
        if body.is_empty() {
            self.parsed.unreadable.push(Unreadable {
                line: block.line,
                reason: format!("“{named}” has no message text after it"),
            });
            return;
        }
        let (date, heading) = match &block.heading {
            Some(h) => {
                let (date, rest) = super::trailing_date(h);
                (date, Some(rest.to_owned()))
            }
            None => (None, None),
        };
        let title = block
            .title
            .filter(|t| !t.is_empty())
            .or_else(|| heading.as_deref().and_then(super::classify::heading_title));
        let lead_text = lines
            .iter()
            .find(|l| !l.is_empty())
            .cloned()
            .unwrap_or_default();
        self.parsed.alerts.push(SourceAlert {
            line: block.line,
            provider: block.provider,
            title,
            message_type: block.label,
            body,
            lead_text,
            signoff: block.signoff,
            date,
            area: None,
            url: None,
            title_inferred: false,
            notes: Vec::new(),
        });
    }

    fn start(&mut self, line: usize, heading: Option<(usize, String)>) -> &mut Block {
        let (line, heading) = match heading {
            Some((at, h)) => (at, Some(h)),
            None => (line, None),
        };
        self.current.insert(Block {
            line,
            heading,
            ..Block::default()
        })
    }
}

/// Reads an email export.
pub fn parse(text: &str) -> Parsed {
    let raw: Vec<&str> = text.lines().collect();
    let lines: Vec<String> = raw.iter().map(|l| clean_line(l)).collect();
    let mut reader = Reader {
        parsed: Parsed::default(),
        current: None,
    };
    // Whether the last alert has clearly ended, so that a heading starts the next; and whether a
    // "Kind regards" closing was seen, ending it at the next blank line.
    let mut closed = true;
    let mut closing = false;
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        let number = i + 1;
        if line.is_empty() {
            if closing {
                closed = true;
                closing = false;
            }
            if let Some(block) = reader.current.as_mut() {
                block.body.push((number, String::new()));
            }
            i += 1;
            continue;
        }
        if let Some(provider) = provider_line(line) {
            let next_title = next_text(&lines, i + 1)
                .and_then(|j| lines.get(j))
                .and_then(|l| title_line(l));
            let heading = reader.finish_for_next(next_title);
            reader.start(number, heading).provider = Some(provider.to_owned());
            (closed, closing) = (false, false);
            i += 1;
            continue;
        }
        if let Some(title) = title_line(line) {
            let fits = reader
                .current
                .as_ref()
                .is_some_and(|b| b.title.is_none() && !b.has_text());
            if !fits {
                let heading = reader.finish_for_next(Some(title));
                reader.start(number, heading);
            }
            if let Some(block) = reader.current.as_mut() {
                block.title = Some(title.to_owned());
                if title.is_empty() {
                    block.problem = Some(format!(
                        "the “Message Type Icon” line at line {number} has no title after it"
                    ));
                }
            }
            (closed, closing) = (false, false);
            i += 1;
            continue;
        }
        if is_sent_by(line) {
            i = read_signoff(&lines, i, &mut reader);
            (closed, closing) = (true, false);
            continue;
        }
        if is_footer(line) {
            // "Follow us on", then the links ("Twitter| Facebook|…") on the next line.
            i += 1;
            while lines.get(i).is_some_and(|l| l.is_empty()) {
                i += 1;
            }
            if lines.get(i).is_some_and(|l| l.contains('|')) {
                i += 1;
            }
            reader.finish();
            (closed, closing) = (true, false);
            continue;
        }
        if closed && heading_like(&lines, i) {
            reader.finish();
            let block = reader.start(number, Some((number, line.clone())));
            (closed, closing) = (false, false);
            i += 1;
            // A newsletter may give its message type and then its title under the heading
            // ("WhatsApp Scam", "scam warning", "WhatsApp Scam").
            let next = next_text(&lines, i);
            if let Some(j) = next.filter(|&j| {
                lines
                    .get(j)
                    .is_some_and(|l| super::classify::message_type_label(l).is_some())
            }) {
                block.label = lines.get(j).cloned();
                i = j + 1;
                if let Some(k) = next_text(&lines, i).filter(|&k| heading_like(&lines, k)) {
                    block.title = lines.get(k).cloned();
                    i = k + 1;
                }
            }
            continue;
        }
        if closed {
            reader.finish();
        }
        if reader.current.is_none() {
            reader.start(number, None);
        }
        if let Some(block) = reader.current.as_mut() {
            // Paragraphs the mail client ran together on one line are paragraphs again.
            let paragraphs = split_flattened_paragraphs(raw.get(i).copied().unwrap_or_default());
            for (n, paragraph) in paragraphs.iter().enumerate() {
                if n > 0 {
                    block.body.push((number, String::new()));
                }
                block.body.push((number, clean_line(paragraph)));
            }
        }
        closing |= is_closing(line);
        closed = false;
        i += 1;
    }
    if let Some(block) = reader.current.as_mut().filter(|b| !b.heading_only()) {
        if let Some((line, heading)) = block.take_heading_line(true, None) {
            reader.parsed.unreadable.push(Unreadable {
                line,
                reason: format!(
                    "“{heading}” stands alone at the end of the file with no alert after it: the \
                     file may be cut short"
                ),
            });
        }
    }
    reader.finish();
    reader.parsed.unreadable.sort_by_key(|u| u.line);
    reader.parsed
}

/// The index of the next non-blank line from `i`.
fn next_text(lines: &[String], i: usize) -> Option<usize> {
    (i..lines.len()).find(|&j| lines.get(j).is_some_and(|l| !l.is_empty()))
}

/// Reads "Message Sent By", the name on the next line and "(Organisation, Role, Area)" on the
/// one after, into the alert being read, and ends it. Returns the index of the line after.
fn read_signoff(lines: &[String], i: usize, reader: &mut Reader) -> usize {
    let number = i + 1;
    let Some(block) = reader.current.as_mut() else {
        reader.parsed.unreadable.push(Unreadable {
            line: number,
            reason: "a “Message Sent By” sign-off with no alert above it".into(),
        });
        return i + 1;
    };
    let name = lines.get(i + 1).filter(|l| {
        !l.is_empty()
            && provider_line(l).is_none()
            && title_line(l).is_none()
            && !l.starts_with('(')
    });
    let Some(name) = name else {
        block.problem = Some(format!(
            "the sign-off at line {number} has no sender's name after “Message Sent By”: the \
             file may be cut short"
        ));
        reader.finish();
        return i + 1;
    };
    let mut signoff = SignOff {
        name: name.clone(),
        organisation: String::new(),
        role: String::new(),
        area: String::new(),
    };
    let mut next = i + 2;
    if lines.get(i + 2).is_none() {
        block.problem = Some(format!(
            "the file ends after the sender's name at line {}, before their organisation, role \
             and area: it may be cut short",
            i + 2
        ));
    }
    if let Some(details) = lines.get(i + 2).filter(|l| l.starts_with('(')) {
        next = i + 3;
        match details.strip_prefix('(').and_then(|d| d.strip_suffix(')')) {
            Some(inner) => {
                let parts: Vec<String> = inner.split(',').map(|p| p.trim().to_owned()).collect();
                match parts.as_slice() {
                    [organisation] => signoff.organisation = organisation.clone(),
                    [organisation, area] => {
                        signoff.organisation = organisation.clone();
                        signoff.area = area.clone();
                    }
                    [organisation, middle @ .., area] => {
                        signoff.organisation = organisation.clone();
                        signoff.role = middle.join(", ");
                        signoff.area = area.clone();
                    }
                    [] => {}
                }
            }
            None => {
                block.problem = Some(format!(
                    "the sign-off's details at line {} have no closing bracket: the file may be \
                     cut short",
                    i + 3
                ));
            }
        }
    }
    block.signoff = Some(signoff);
    reader.finish();
    next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_whole_alert() {
        let text = "ECops – Winter Fuel Allowance Scam\n\neCops Logo The Police\nMessage Type Icon Winter Fuel Allowance scam\n\
                    Dear Mandy,\u{A0} One of our PCSOs received this text.\nMessage Sent By\nLucy Ward\n\
                    (Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)\n";
        let parsed = parse(text);
        assert_eq!(parsed.unreadable, vec![]);
        let [alert] = parsed.alerts.as_slice() else {
            panic!("{parsed:?}")
        };
        assert_eq!(alert.line, 1);
        assert_eq!(alert.provider.as_deref(), Some("The Police"));
        assert_eq!(alert.title.as_deref(), Some("Winter Fuel Allowance scam"));
        assert_eq!(alert.body, "One of our PCSOs received this text.");
        let signoff = alert.signoff.as_ref().unwrap();
        assert_eq!(signoff.name, "Lucy Ward");
        assert_eq!(signoff.organisation, "Cambridgeshire Constabulary");
        assert_eq!(signoff.role, "Communications Assistant");
        assert_eq!(signoff.area, "Peterborough and Fenland");
    }

    #[test]
    fn a_cut_short_signoff_stores_nothing_of_that_alert() {
        let text = "One\n\neCops Logo The Police\nMessage Type Icon First\nBody one.\nMessage Sent By\nA Person\n(Police, Role, Area)\n\
                    Two\n\neCops Logo The Police\nMessage Type Icon Second\nBody two.\nMessage Sent By\nB Person\n(Police, Ro";
        let parsed = parse(text);
        assert_eq!(parsed.alerts.len(), 1);
        assert_eq!(parsed.alerts[0].title.as_deref(), Some("First"));
        assert_eq!(parsed.unreadable.len(), 1);
        assert_eq!(parsed.unreadable[0].line, 9);
        assert!(parsed.unreadable[0].reason.contains("closing bracket"));
        let parsed =
            parse("Title\n\neCops Logo The Police\nMessage Type Icon T\nBody.\nMessage Sent By\n");
        assert_eq!(parsed.alerts, vec![]);
        assert!(parsed.unreadable[0].reason.contains("no sender's name"));
    }

    #[test]
    fn a_provider_line_with_nothing_after_it_is_unreadable() {
        let parsed = parse("Heading\n\neCops Logo The Police\n");
        assert_eq!(parsed.alerts, vec![]);
        assert_eq!(parsed.unreadable.len(), 1);
        assert_eq!(parsed.unreadable[0].line, 1);
    }
}

/// The real eCops exports in `tests/fixtures/alerts`, checked alert by alert against the files.
#[cfg(test)]
mod fixtures {
    use super::parse;

    /// (line, provider, title, sender's name) of each alert in a file, in order.
    type Expected = [(
        usize,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    )];

    fn check(text: &str, expected: &Expected) {
        let parsed = parse(text);
        assert_eq!(
            parsed.unreadable,
            vec![],
            "nothing in a real export is unreadable"
        );
        let found: Vec<(usize, Option<&str>, String, Option<&str>)> = parsed
            .alerts
            .iter()
            .map(|a| {
                (
                    a.line,
                    a.provider.as_deref(),
                    a.title.clone().unwrap_or_else(|| {
                        let title = crate::import::text::title_from_text(
                            &a.lead_text,
                            crate::import::MAX_DERIVED_TITLE_CHARS,
                        );
                        format!("(from the body) {title}")
                    }),
                    a.signoff.as_ref().map(|s| s.name.as_str()),
                )
            })
            .collect();
        let expected: Vec<(usize, Option<&str>, String, Option<&str>)> = expected
            .iter()
            .map(|(l, p, t, s)| (*l, *p, (*t).to_owned(), *s))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn export_2022() {
        const POLICE: Option<&str> = Some("The Police");
        check(
            include_str!("../../tests/fixtures/alerts/ecops-email-export-2022.txt"),
            &[
                (
                    1,
                    POLICE,
                    "Web chat and online reports",
                    Some("Lauren Watchorn"),
                ),
                (
                    23,
                    POLICE,
                    "Burglary warning as clocks go back",
                    Some("Grace Corney"),
                ),
                (
                    38,
                    None,
                    "Could your friends and family benefit from eCops?",
                    None,
                ),
                (
                    53,
                    POLICE,
                    "Catalytic converter thefts in a village near you",
                    Some("Tara Dundon"),
                ),
                (
                    63,
                    Some("Action Fraud (NFIB)"),
                    "ALERT: Energy Bill Scam texts",
                    Some("Action Fraud"),
                ),
                (72, POLICE, "Live web chat", Some("Lauren Watchorn")),
                (
                    80,
                    POLICE,
                    "Could our live web chat be of use to you?",
                    None,
                ),
                (
                    84,
                    POLICE,
                    "What happens when I submit an online report?",
                    Some("Lauren Watchorn"),
                ),
                (
                    94,
                    None,
                    "Speeding, ASB and drug dealing remain priorities for South Cambs",
                    None,
                ),
                (
                    112,
                    POLICE,
                    "Podcast: Vulnerable man gave thousands to fraudster he thought loved him",
                    Some("Larissa Chapman"),
                ),
                (121, None, "Scam in Focus – Doorstep crime", None),
                (171, None, "Burglary in South Cambs", None),
                (188, None, "WhatsApp Scam", None),
            ],
        );
    }

    #[test]
    fn export_2025() {
        const POLICE: Option<&str> = Some("The Police");
        const FRAUD: Option<&str> = Some("Action Fraud (NFIB)");
        check(
            include_str!("../../tests/fixtures/alerts/ecops-email-export-2025.txt"),
            &[
                (1, FRAUD, "Stay vigilant for ticket fraud ahead of top events and concerts this summer.", None),
                (20, POLICE, "The woman locked in the toilet", None),
                (35, POLICE, "Rural concerns discussed during regular patrols", Some("Lucy Ward")),
                (43, FRAUD, "(from the body) People looking to snap up online holiday deals ahead of the summer are being warned to…", None),
                (61, POLICE, "Work continues following coursing and disorder", Some("Tara Dundon")),
                (70, None, "Four further arrests linked to hare coursing and violent disorder", None),
                (93, None, "Updated statement: concerning email to schools", None),
                (97, Some("Neighbourhood Watch"), "The February 2025 edition of OUR NEWS is here", None),
                (110, FRAUD, "Booking.com users targeted with scam messages", Some("Action Fraud")),
                (131, POLICE, "Winter Fuel Allowance scam", Some("Lucy Ward")),
                (140, POLICE, "Keep your home safe from burglars this Christmas", Some("Annabelle Mullee")),
                (150, POLICE, "Drink driving: We need your help", Some("Tara Cox")),
                (175, POLICE, "Fraud warning", Some("Larissa Chapman")),
                (194, None, "Scam Awareness", None),
            ],
        );
    }

    #[test]
    fn the_whatsapp_newsletter_gives_its_message_type() {
        let parsed = parse(include_str!(
            "../../tests/fixtures/alerts/ecops-email-export-2022.txt"
        ));
        let whatsapp = parsed.alerts.last().unwrap();
        assert_eq!(whatsapp.message_type.as_deref(), Some("scam warning"));
        assert!(
            whatsapp.body.contains("\n- STOP. THINK. CALL."),
            "{}",
            whatsapp.body
        );
        assert!(!whatsapp.body.contains("Follow us on"));
        let scam_in_focus = &parsed.alerts[10];
        assert!(scam_in_focus
            .body
            .contains("Unsolicited calls from Alarm Companies"));
        assert!(!scam_in_focus.body.contains("Twitter"));
    }

    /// A file cut short at any line gives, for every alert that ended before the cut, exactly
    /// what the whole file gives: a cut can lose the alert it falls in, never change another.
    #[test]
    fn a_cut_never_changes_the_alerts_before_it() {
        for text in [
            include_str!("../../tests/fixtures/alerts/ecops-email-export-2022.txt"),
            include_str!("../../tests/fixtures/alerts/ecops-email-export-2025.txt"),
        ] {
            let full = parse(text);
            let lines: Vec<&str> = text.lines().collect();
            for cut in 0..=lines.len() {
                let part = parse(&lines[..cut].join("\n"));
                for (i, alert) in full.alerts.iter().enumerate() {
                    // Complete once the next alert's heading, provider and title lines are in:
                    // a subject line alone could as well be this alert's last line.
                    let next_start = full.alerts.get(i + 1).map_or(usize::MAX, |n| n.line);
                    if next_start.saturating_add(3) <= cut {
                        assert!(
                            part.alerts.contains(alert),
                            "cut at line {cut}: the alert at line {} changed",
                            alert.line
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn closing_lines_and_one_line_alerts_stay_where_they_are() {
        let text = "Sheds\n\neCops Logo The Police\nMessage Type Icon Shed thefts\nLock your sheds.\n\n\
                    Please share this with your neighbours\n\n\
                    eCops Logo The Police\nMessage Type Icon Road closed\nThe A14 is closed tonight\n\n\
                    ECops – Burglary\n\neCops Logo The Police\nMessage Type Icon Burglary\nA burglary.\n";
        let parsed = parse(text);
        assert_eq!(parsed.unreadable, vec![]);
        let titles: Vec<_> = parsed
            .alerts
            .iter()
            .map(|a| a.title.clone().unwrap())
            .collect();
        assert_eq!(titles, ["Shed thefts", "Road closed", "Burglary"]);
        assert!(parsed.alerts[0]
            .body
            .ends_with("Please share this with your neighbours"));
        assert_eq!(parsed.alerts[1].body, "The A14 is closed tonight");
        assert_eq!(
            parsed.alerts[2].line, 13,
            "the subject line heads its alert"
        );
        let thanks = parse(
            "Meeting\n\nMany thanks to everyone who came along.\n\nWhat we agreed\n\nMore text.\n",
        );
        assert_eq!(thanks.alerts.len(), 1, "{thanks:?}");
        let cut = parse(
            "T\n\neCops Logo The Police\nMessage Type Icon T\nBody.\nMessage Sent By\nLucy Ward",
        );
        assert_eq!(cut.alerts, vec![]);
        assert!(cut.unreadable[0].reason.contains("cut short"));
    }
}

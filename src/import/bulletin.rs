//! eCops bulletin exports, read liberally. An alert starts at a heading naming the service in
//! any of its spellings ("E-Cops – Door to Door Sellers", "ECops Bulletin", "e-cops - Rural
//! crime - 12.03.2024", "eCops: Scam warning"), or at any other line followed by a headline
//! ending " |". In the tidy shape the heading is followed by a headline ending " |" and the
//! body on one line ending " |" (bullets inline as " · "); in the loose one by the body
//! straight away, one paragraph per line, up to the next heading. "Category: <name>" and
//! "Date: <date>" lines are read where they stand; stray HTML is dropped. What had to be
//! inferred goes in each alert's notes, and what cannot be read is reported with its line.

use chrono::NaiveDate;

use super::text::{clean_line, html_lines, markdown_from_lines, strip_greeting};
use super::{classify, Parsed, SourceAlert, Unreadable};

fn category(line: &str) -> Option<&str> {
    let head = line.get(..9)?;
    head.eq_ignore_ascii_case("category:")
        .then(|| line.get(9..))
        .flatten()
        .map(str::trim)
}

/// A line's text without the " |" that ends a headline or body, if it ends so.
fn closed_field(line: &str) -> Option<&str> {
    line.strip_suffix('|').map(str::trim_end)
}

/// A line that only gives the alert's date: "Date: 5 March 2024", "Sent: 05/03/2024", or the
/// date alone.
fn date_line(line: &str) -> Option<NaiveDate> {
    let value = ["date:", "sent:", "published:", "posted:"]
        .iter()
        .find_map(|label| {
            line.get(..label.len())
                .filter(|head| head.eq_ignore_ascii_case(label))
                .and_then(|_| line.get(label.len()..))
        })
        .unwrap_or(line);
    super::parse_date(value)
}

/// Longest line taken for a headline that lacks its " |".
const MAX_HEADLINE_CHARS: usize = 100;
const MAX_HEADLINE_WORDS: usize = 14;

/// Whether the first line of a body is plausibly a headline written without its " |": short,
/// not a sentence ending in a full stop, comma or colon, not a list item or a greeting.
fn headline_like(line: &str) -> bool {
    line.chars().count() <= MAX_HEADLINE_CHARS
        && line.split_whitespace().count() <= MAX_HEADLINE_WORDS
        && !line.ends_with(['.', ',', ';', ':'])
        && !line.starts_with(['·', '•', '▪', '*', '-', '('])
        && !line.starts_with("Dear ")
}

/// An alert being read: its heading, its headline if it has one ending " |", and the rest.
#[derive(Default)]
struct Block {
    line: usize,
    heading: Option<String>,
    headline: Option<String>,
    /// Body lines with their line numbers; blank lines are empty strings.
    body: Vec<(usize, String)>,
    /// A body line ended with " |".
    closed: bool,
    /// The first line of text after the body's closing " |".
    after_close: Option<usize>,
    label: Option<String>,
    date: Option<NaiveDate>,
}

impl Block {
    fn has_body(&self) -> bool {
        self.body.iter().any(|(_, l)| !l.is_empty())
    }

    /// Waiting for the body of a headline ending " |".
    fn awaits_body(&self) -> bool {
        self.headline.is_some() && !self.has_body()
    }
}

/// Reads a bulletin export.
pub fn parse(text: &str) -> Parsed {
    let lines: Vec<(usize, String)> = text
        .lines()
        .enumerate()
        .flat_map(|(i, raw)| {
            html_lines(raw)
                .into_iter()
                .map(move |piece| (i + 1, clean_line(&piece)))
        })
        .collect();
    let mut parsed = Parsed::default();
    let mut blocks: Vec<Block> = Vec::new();
    let next_text = |from: usize| (from..lines.len()).find(|&j| !lines[j].1.is_empty());
    for (j, (at, line)) in lines.iter().enumerate() {
        let at = *at;
        if line.is_empty() {
            if let Some(block) = blocks.last_mut().filter(|b| b.has_body()) {
                block.body.push((at, String::new()));
            }
            continue;
        }
        if let Some(name) = category(line) {
            // A category before, inside or after the alert it describes.
            match blocks.last_mut() {
                Some(block) if block.label.is_none() => block.label = Some(name.to_owned()),
                _ => parsed.unreadable.push(Unreadable {
                    line: at,
                    reason: "a “Category:” line that belongs to no alert".into(),
                }),
            }
            continue;
        }
        let bar = closed_field(line);
        let before_headline = next_text(j + 1).is_some_and(|k| {
            closed_field(&lines[k].1).is_some() && category(&lines[k].1).is_none()
        });
        let awaiting = blocks.last().is_some_and(Block::awaits_body);
        let heading =
            bar.is_none() && (classify::is_service_heading(line) || before_headline && !awaiting);
        if heading {
            blocks.push(Block {
                line: at,
                heading: Some(line.clone()),
                ..Block::default()
            });
            continue;
        }
        // A headline after a closed body, or before any heading: an alert without a heading.
        if blocks.is_empty() || bar.is_some() && blocks.last().is_some_and(|b| b.closed) {
            blocks.push(Block {
                line: at,
                ..Block::default()
            });
        }
        let Some(block) = blocks.last_mut() else {
            continue;
        };
        match bar {
            Some(field) if block.headline.is_none() && !block.has_body() => {
                block.headline = Some(field.to_owned());
            }
            Some(field) => {
                block.body.push((at, field.to_owned()));
                block.closed = true;
            }
            None => {
                if !block.has_body() && block.date.is_none() {
                    if let Some(date) = date_line(line) {
                        block.date = Some(date);
                        continue;
                    }
                }
                if block.closed && block.after_close.is_none() {
                    block.after_close = Some(at);
                }
                block.body.push((at, line.clone()));
            }
        }
    }
    let count = blocks.len();
    for (n, block) in blocks.into_iter().enumerate() {
        finish(&mut parsed, block, n + 1 == count, n == 0 && count > 1);
    }
    parsed.unreadable.sort_by_key(|u| u.line);
    parsed
}

/// Reads one block as an alert, or reports why it is none. `last`: nothing follows it, so a
/// missing end means the file was cut short. `preamble`: text before the file's first heading.
fn finish(parsed: &mut Parsed, block: Block, last: bool, preamble: bool) {
    let mut notes = Vec::new();
    let mut body_lines: Vec<(usize, String)> = block.body;
    while body_lines.last().is_some_and(|(_, l)| l.is_empty()) {
        body_lines.pop();
    }
    if block.heading.is_none() && block.headline.is_none() && preamble {
        let first = body_lines.first().map(|(_, l)| l.as_str()).unwrap_or("");
        parsed.warnings.push(Unreadable {
            line: block.line,
            reason: format!(
                "text before the first heading (“{}”) is not an alert's: left out",
                super::text::title_from_text(first, 60)
            ),
        });
        return;
    }
    if body_lines.is_empty() {
        match (&block.headline, &block.heading) {
            (None, Some(heading)) if !last => parsed.warnings.push(Unreadable {
                line: block.line,
                reason: format!(
                    "“{heading}” heads no alert (another heading follows it): read as a title"
                ),
            }),
            (None, heading) => parsed.unreadable.push(Unreadable {
                line: block.line,
                reason: format!(
                    "“{}” has nothing after it: the file may be cut short",
                    heading.as_deref().unwrap_or_default()
                ),
            }),
            (Some(headline), _) => parsed.unreadable.push(Unreadable {
                line: block.line,
                reason: if last {
                    format!(
                        "“{headline}” has no body after its headline: the file may be cut short"
                    )
                } else {
                    format!("“{headline}” has no body after its headline")
                },
            }),
        }
        return;
    }
    if let Some(headline) = &block.headline {
        if !block.closed {
            let body_line = body_lines.first().map_or(block.line, |(at, _)| *at);
            if last {
                parsed.unreadable.push(Unreadable {
                    line: block.line,
                    reason: format!(
                        "the body of “{headline}” (line {body_line}) does not end with “ |”: the \
                         file may be cut short"
                    ),
                });
                return;
            }
            notes.push(format!(
                "the body (line {body_line}) does not end with “ |”: read up to the next heading"
            ));
        }
    }
    if let Some(at) = block.after_close {
        notes.push(format!(
            "text after the body's closing “ |” (line {at}) is read as part of the body"
        ));
    }
    let (heading_date, heading) = match &block.heading {
        Some(h) => {
            let (date, rest) = super::trailing_date(h);
            (date, Some(rest.to_owned()))
        }
        None => (None, None),
    };
    let topic = heading.as_deref().and_then(classify::heading_title);
    let mut label = block.label;
    let mut title_inferred = false;
    let text_lines = body_lines.iter().filter(|(_, l)| !l.is_empty()).count();
    let title = match block.headline {
        Some(headline) => Some(headline),
        None if text_lines > 1 && headline_like(&body_lines[0].1) => {
            let (_, line) = body_lines.remove(0);
            notes.push(format!(
                "no “ |” after the headline: took the short first line “{line}” as the headline"
            ));
            Some(line)
        }
        None => match topic {
            Some(topic) if classify::message_type_label(&topic).is_none() => {
                notes.push(format!(
                    "no headline line: took the heading's topic “{topic}” as the title"
                ));
                title_inferred = true;
                Some(topic)
            }
            other => {
                if let Some(kind) = other {
                    label.get_or_insert(kind);
                }
                notes.push("no headline line: the title is the body's first sentence".into());
                None
            }
        },
    };
    if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        parsed.unreadable.push(Unreadable {
            line: block.line,
            reason: "the headline is empty".into(),
        });
        return;
    }
    let mut lines: Vec<String> = body_lines.into_iter().map(|(_, l)| l).collect();
    if let Some(first) = lines.iter_mut().find(|l| !l.is_empty()) {
        *first = strip_greeting(first).to_owned();
    }
    // One paragraph per line: a blank line between each.
    let paragraphs: Vec<&str> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .flat_map(|l| [l.as_str(), ""])
        .collect();
    let body = markdown_from_lines(&paragraphs);
    if body.is_empty() {
        parsed.unreadable.push(Unreadable {
            line: block.line,
            reason: format!(
                "“{}” has an empty body",
                title.as_deref().or(heading.as_deref()).unwrap_or_default()
            ),
        });
        return;
    }
    parsed.alerts.push(SourceAlert {
        line: block.line,
        provider: heading.as_deref().and_then(classify::provider_in_heading),
        title,
        message_type: label,
        lead_text: lines
            .iter()
            .find(|l| !l.is_empty())
            .cloned()
            .unwrap_or_default(),
        body,
        signoff: None,
        date: block.date.or(heading_date),
        area: None,
        url: None,
        title_inferred,
        notes,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "E-Cops – Door to Door Sellers\n\
        Door to door sellers in Huntingdon |\n\
        Residents in Huntingdon have reported sellers at the door. · Do not buy at the door · Ask for ID |\n\
        Category: Crime Prevention\n\
        \n\
        ECops – ActionFraud – Pensions\n\
        Pension scams cost savers millions |\n\
        Fraudsters offer early access to pensions. |\n";

    #[test]
    fn reads_alerts_with_inline_bullets_and_categories() {
        let parsed = parse(SAMPLE);
        assert_eq!(parsed.unreadable, vec![]);
        assert_eq!(parsed.alerts.len(), 2);
        let first = &parsed.alerts[0];
        assert_eq!(first.line, 1);
        assert_eq!(
            first.title.as_deref(),
            Some("Door to door sellers in Huntingdon")
        );
        assert_eq!(first.message_type.as_deref(), Some("Crime Prevention"));
        assert_eq!(
            first.body,
            "Residents in Huntingdon have reported sellers at the door.\n- Do not buy at the door\n- Ask for ID"
        );
        let second = &parsed.alerts[1];
        assert_eq!(second.line, 6);
        assert_eq!(second.provider.as_deref(), Some("Action Fraud"));
        assert_eq!(second.message_type, None);
    }

    #[test]
    fn a_cut_short_body_is_reported_not_stored() {
        let cut = &SAMPLE[..SAMPLE.len() - 3];
        let parsed = parse(cut);
        assert_eq!(parsed.alerts.len(), 1);
        assert_eq!(parsed.unreadable.len(), 1);
        assert_eq!(parsed.unreadable[0].line, 6);
        assert!(
            parsed.unreadable[0].reason.contains("cut short"),
            "{:?}",
            parsed.unreadable
        );
    }

    #[test]
    fn a_body_without_its_bar_ends_at_the_next_heading() {
        let parsed = parse("E-Cops – One\nFirst headline |\nFirst body.\nE-Cops – Two\nSecond headline |\nSecond body. |\n");
        assert_eq!(parsed.unreadable, vec![]);
        let titles: Vec<_> = parsed.alerts.iter().map(|a| a.title.as_deref()).collect();
        assert_eq!(titles, [Some("First headline"), Some("Second headline")]);
        assert_eq!(parsed.alerts[0].body, "First body.");
        assert_eq!(parsed.alerts[1].line, 4);
        assert_eq!(
            parsed.alerts[0].notes,
            ["the body (line 3) does not end with “ |”: read up to the next heading"]
        );
    }

    #[test]
    fn headings_are_spelled_many_ways() {
        for heading in [
            "E-Cops",
            "ECops",
            "e-cops",
            "eCops Bulletin",
            "E-COPS BULLETIN",
            "E Cops – Rural crime",
            "e-cops - Rural crime - 12.03.2024",
            "eCops: Scam warning",
            "## ECops Bulletin – Burglary",
            "**E-Cops**",
            "Keep safe – ECops",
        ] {
            assert!(classify::is_service_heading(heading), "{heading}");
        }
        for line in [
            "eCops is how we tell you",
            "Cops and robbers",
            "E-Copsley fete",
        ] {
            assert!(!classify::is_service_heading(line), "{line}");
        }
    }

    #[test]
    fn alerts_without_headline_lines_read_one_paragraph_per_line() {
        let parsed = parse(
            "eCops Bulletin – March 2024\n\n\
             e-cops - Sheds broken into - 12.03.2024\n\
             Several sheds were broken into in Ramsey overnight.\n\
             Please check your outbuildings.\n\
             · Fit a shed alarm\n\
             · Mark your tools\n\
             ECops\n\
             Dear Mandy, Officers will hold a drop-in at Chatteris library on Friday. All welcome.\n\
             Category: Community news\n\
             E Cops – Scam warning\n\
             Date: 14 March 2024\n\
             Fraudsters are calling residents pretending to be from their bank.\n",
        );
        assert_eq!(parsed.unreadable, vec![]);
        assert_eq!(parsed.alerts.len(), 3, "{parsed:?}");
        assert_eq!(parsed.warnings.len(), 1, "the file's title heads no alert");
        assert_eq!(parsed.warnings[0].line, 1);

        let sheds = &parsed.alerts[0];
        assert_eq!(sheds.line, 3);
        assert_eq!(sheds.title.as_deref(), Some("Sheds broken into"));
        assert!(sheds.title_inferred);
        assert_eq!(sheds.date, chrono::NaiveDate::from_ymd_opt(2024, 3, 12));
        assert_eq!(
            sheds.body,
            "Several sheds were broken into in Ramsey overnight.\n\nPlease check your outbuildings.\n\n- Fit a shed alarm\n- Mark your tools"
        );
        assert_eq!(
            sheds.notes,
            ["no headline line: took the heading's topic “Sheds broken into” as the title"]
        );

        let drop_in = &parsed.alerts[1];
        assert_eq!(drop_in.title, None, "the service infers the first sentence");
        assert_eq!(
            drop_in.lead_text,
            "Officers will hold a drop-in at Chatteris library on Friday. All welcome."
        );
        assert_eq!(drop_in.message_type.as_deref(), Some("Community news"));
        assert_eq!(
            drop_in.notes,
            ["no headline line: the title is the body's first sentence"]
        );

        let scam = &parsed.alerts[2];
        assert_eq!(scam.title, None);
        assert_eq!(scam.message_type.as_deref(), Some("Scam warning"));
        assert_eq!(scam.date, chrono::NaiveDate::from_ymd_opt(2024, 3, 14));
    }

    #[test]
    fn stray_html_and_a_short_first_line_without_its_bar() {
        let parsed = parse(
            "<p><b>E-Cops – Catalytic converters</b></p>\n\
             Catalytic converter thefts in St Neots\n\
             <p>Three converters were stolen this week &amp; more attempts were reported.</p><p>Park in a garage if you can.</p>\n\
             <div>ECops</div>\n\
             <p></p>\n",
        );
        let alert = &parsed.alerts[0];
        assert_eq!(
            alert.title.as_deref(),
            Some("Catalytic converter thefts in St Neots")
        );
        assert_eq!(
            alert.body,
            "Three converters were stolen this week & more attempts were reported.\n\nPark in a garage if you can."
                .replace('&', "\\&")
        );
        assert!(alert.notes[0].contains("took the short first line"));
        assert_eq!(
            parsed.unreadable.len(),
            1,
            "the last heading has nothing after it"
        );
        assert_eq!(parsed.unreadable[0].line, 4);
    }
}

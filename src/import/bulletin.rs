//! eCops bulletin exports: each alert a heading line ("E-Cops – Door to Door Sellers"), a
//! headline ending " |", then the whole body on one line ending " |" (bullets inline as " · "),
//! and sometimes a "Category: <name>" line.

use super::text::{clean_line, markdown_from_lines, strip_greeting};
use super::{Parsed, SourceAlert, Unreadable};

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

/// Reads a bulletin export.
pub fn parse(text: &str) -> Parsed {
    let lines: Vec<String> = text.lines().map(clean_line).collect();
    let mut parsed = Parsed::default();
    let mut i = 0;
    let next_text = |from: usize| (from..lines.len()).find(|&j| !lines[j].is_empty());
    while let Some(start) = next_text(i) {
        let line = &lines[start];
        if let Some(name) = category(line) {
            // A category after the alert it describes.
            match parsed.alerts.last_mut() {
                Some(last) if last.message_type.is_none() => {
                    last.message_type = Some(name.to_owned())
                }
                _ => parsed.unreadable.push(Unreadable {
                    line: start + 1,
                    reason: "a “Category:” line that belongs to no alert".into(),
                }),
            }
            i = start + 1;
            continue;
        }
        // The heading, unless the file goes straight to a headline.
        let (heading, headline_at) = if closed_field(line).is_some() {
            (None, Some(start))
        } else {
            (Some(line.clone()), next_text(start + 1))
        };
        let mut label = None;
        let mut at = headline_at;
        while let Some(name) = at.and_then(|j| category(&lines[j])) {
            label = Some(name.to_owned());
            at = at.and_then(|j| next_text(j + 1));
        }
        let Some(headline) = at.and_then(|j| closed_field(&lines[j]).map(|h| (j, h))) else {
            parsed.unreadable.push(Unreadable {
                line: start + 1,
                reason: format!(
                    "“{}” is not followed by a headline ending with “ |”",
                    heading.as_deref().unwrap_or(line)
                ),
            });
            i = start + 1;
            continue;
        };
        // The body: from the next line up to the one that ends with " |", without blank lines.
        let Some(body_start) = next_text(headline.0 + 1) else {
            parsed.unreadable.push(Unreadable {
                line: start + 1,
                reason: format!(
                    "“{}” has no body after its headline: the file may be cut short",
                    headline.1
                ),
            });
            break;
        };
        let mut body_lines = Vec::new();
        let mut end = None;
        let mut resume = None;
        for (j, l) in lines.iter().enumerate().skip(body_start) {
            if l.is_empty() {
                break;
            }
            // A line before a headline is the next alert's heading: this body never ended.
            if closed_field(l).is_none()
                && lines.get(j + 1).is_some_and(|n| closed_field(n).is_some())
            {
                resume = Some(j);
                break;
            }
            if let Some(name) = category(l) {
                label = Some(name.to_owned());
                continue;
            }
            match closed_field(l) {
                Some(last) => {
                    body_lines.push(last.to_owned());
                    end = Some(j);
                    break;
                }
                None => body_lines.push(l.clone()),
            }
        }
        let Some(end) = end else {
            parsed.unreadable.push(Unreadable {
                line: start + 1,
                reason: format!(
                    "the body of “{}” (line {}) does not end with “ |”: the file may be cut short",
                    headline.1,
                    body_start + 1
                ),
            });
            i = resume.unwrap_or(body_start + body_lines.len().max(1));
            continue;
        };
        i = end + 1;
        if let Some(j) = next_text(i) {
            if let Some(name) = category(&lines[j]) {
                label = Some(name.to_owned());
                i = j + 1;
            }
        }
        if let Some(first) = body_lines.first_mut() {
            *first = strip_greeting(first).to_owned();
        }
        let body = markdown_from_lines(&body_lines);
        let title = headline.1.trim().to_owned();
        if body.is_empty() || title.is_empty() {
            parsed.unreadable.push(Unreadable {
                line: start + 1,
                reason: if title.is_empty() {
                    "the headline is empty".into()
                } else {
                    format!("“{title}” has an empty body")
                },
            });
            continue;
        }
        let (date, heading) = match heading {
            Some(h) => {
                let (date, rest) = super::trailing_date(&h);
                (date, Some(rest.to_owned()))
            }
            None => (None, None),
        };
        parsed.alerts.push(SourceAlert {
            line: start + 1,
            provider: heading
                .as_deref()
                .and_then(super::classify::provider_in_heading),
            title: Some(title),
            message_type: label,
            lead_text: body_lines.first().cloned().unwrap_or_default(),
            body,
            signoff: None,
            date,
            area: None,
            url: None,
        });
    }
    parsed
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
    fn a_body_without_its_bar_does_not_swallow_the_next_alert() {
        let parsed = parse("E-Cops – One\nFirst headline |\nFirst body.\nE-Cops – Two\nSecond headline |\nSecond body. |\n");
        assert_eq!(parsed.alerts.len(), 1, "{parsed:?}");
        assert_eq!(parsed.alerts[0].title.as_deref(), Some("Second headline"));
        assert_eq!(parsed.alerts[0].line, 4);
        assert_eq!(parsed.unreadable.len(), 1);
        assert_eq!(parsed.unreadable[0].line, 1);
    }
}

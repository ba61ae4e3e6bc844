//! Police news articles saved as Markdown: front matter (`title`, `url`, `area`, `publish.date`
//! or `date`, `og.description`), then the article, which may open with headline bullets written
//! "* ### …". One article per file. Read liberally: front matter between "---" lines, in a
//! fenced code block or with no opening "---"; YAML with escapes it does not allow read line by
//! line; no front matter at all when the article opens with a "# " heading. The alert's notes
//! say which reading was taken.

use yaml_rust2::{Yaml, YamlLoader};

use super::text::{clean_line, decode_entities, repair_mojibake};
use super::{Parsed, SourceAlert, Unreadable};

/// Front matter larger or more deeply nested than any article's is refused unread.
const MAX_FRONT_MATTER_BYTES: usize = 64 * 1024;
const MAX_NESTING: usize = 64;

/// The keys an article's title, date and summary go by, most usual first.
const TITLE_KEYS: [&[&str]; 4] = [&["title"], &["headline"], &["og", "title"], &["name"]];
const DATE_KEYS: [&[&str]; 8] = [
    &["publish", "date"],
    &["date"],
    &["published"],
    &["publish_date"],
    &["pubdate"],
    &["published_at"],
    &["datepublished"],
    &["created"],
];
const DESCRIPTION_KEYS: [&[&str]; 3] = [&["og", "description"], &["description"], &["summary"]];

/// A key of a mapping, matched without regard to case.
fn key<'a>(node: &'a Yaml, name: &str) -> Option<&'a Yaml> {
    let Yaml::Hash(map) = node else {
        return None;
    };
    map.iter()
        .find(|(k, _)| {
            k.as_str()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v)
}

/// A field, nested (`publish:` then `date:`) or written with a dot, colon or underscore
/// (`publish.date:`, `og:description:`).
fn field<'a>(doc: &'a Yaml, path: &[&str]) -> Option<&'a Yaml> {
    path.iter()
        .try_fold(doc, |node, name| key(node, name))
        .or_else(|| {
            ['.', ':', '_']
                .iter()
                .find_map(|sep| key(doc, &path.join(&sep.to_string())))
        })
}

fn scalar(node: Option<&Yaml>) -> Option<String> {
    let text = match node? {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        _ => return None,
    };
    let text = clean_line(&decode_entities(&text));
    (!text.is_empty()).then_some(text)
}

fn first_of(doc: &Yaml, keys: &[&[&str]]) -> Option<String> {
    keys.iter().find_map(|path| scalar(field(doc, path)))
}

/// A fence that opens a code block ("```yaml", "~~~"): its characters.
fn fence(line: &str) -> Option<&str> {
    let line = line.trim();
    ["```", "~~~"].into_iter().find(|f| line.starts_with(f))
}

/// A line of YAML front matter written without its "---": "title: …" and the like.
fn key_line(line: &str) -> bool {
    line.split_once(':').is_some_and(|(k, _)| {
        let k = k.trim();
        !k.is_empty()
            && !line.starts_with([' ', '\t', '#', '-', '*'])
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | ' '))
            && k.split_whitespace().count() == 1
    })
}

/// Where the front matter is: its text, the line its article starts on, and how it was found.
struct FrontMatter {
    text: String,
    body_from: usize,
    notes: Vec<String>,
}

/// Finds the front matter at the start of the article's lines. `Ok(None)`: there is none.
fn front_matter(lines: &[&str]) -> Result<Option<FrontMatter>, String> {
    let Some(start) = lines.iter().position(|l| !l.trim().is_empty()) else {
        return Ok(None);
    };
    let first = lines[start].trim();
    let found = |from: usize, to: usize, body_from: usize, notes: Vec<String>| {
        let inner: Vec<&str> = lines
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .copied()
            .skip_while(|l| l.trim() == "---")
            .collect();
        let end = inner
            .iter()
            .rposition(|l| l.trim() != "---")
            .map_or(0, |i| i + 1);
        Some(FrontMatter {
            text: inner[..end].join("\n"),
            body_from,
            notes,
        })
    };
    if first == "---" {
        let close = lines
            .iter()
            .enumerate()
            .skip(start + 1)
            .find(|(_, l)| matches!(l.trim_end(), "---" | "..."))
            .map(|(i, _)| i);
        if let Some(end) = close {
            return Ok(found(start + 1, end, end + 1, Vec::new()));
        }
        // No closing "---": the front matter plausibly ends at the first blank line, if an
        // article follows it.
        let blank = lines
            .iter()
            .enumerate()
            .skip(start + 1)
            .find(|(_, l)| l.trim().is_empty())
            .map(|(i, _)| i);
        return match blank {
            Some(end) if lines[end..].iter().any(|l| !l.trim().is_empty()) => Ok(found(
                start + 1,
                end,
                end + 1,
                vec![
                    "the front matter has no closing “---”: it is taken to end at the first \
                      blank line"
                        .into(),
                ],
            )),
            _ => Err("the front matter has no closing “---”: the file may be cut short".into()),
        };
    }
    if let Some(mark) = fence(first) {
        let Some(end) = lines
            .iter()
            .enumerate()
            .skip(start + 1)
            .find(|(_, l)| {
                let l = l.trim();
                l.starts_with(mark) && l.chars().all(|c| mark.starts_with(c))
            })
            .map(|(i, _)| i)
        else {
            return Err(
                "the fenced front matter has no closing fence: the file may be cut short".into(),
            );
        };
        let inner = &lines[start + 1..end];
        if !inner.iter().any(|l| key_line(l.trim_start())) {
            return Ok(None);
        }
        return Ok(found(
            start + 1,
            end,
            end + 1,
            vec!["front matter read from a fenced code block".into()],
        ));
    }
    if key_line(first)
        && TITLE_KEYS.iter().any(|k| {
            first
                .split_once(':')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case(k[0]))
        })
    {
        let end = lines
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, l)| l.trim().is_empty() || l.trim_end() == "---")
            .map_or(lines.len(), |(i, _)| i);
        return Ok(found(
            start,
            end,
            end + 1,
            vec!["the front matter has no opening “---”: read up to the first blank line".into()],
        ));
    }
    Ok(None)
}

/// Whether a file opens with front matter as an article's (for telling the formats apart).
pub fn has_front_matter(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().take(200).collect();
    let first = lines.iter().map(|l| l.trim()).find(|l| !l.is_empty());
    first == Some("---") || matches!(front_matter(&lines), Ok(Some(_)))
}

/// Escapes YAML does not allow but exports write: `\'` in a double-quoted string (JSON's habit
/// and Python's) and UTF-16 surrogate pairs for emoji (`\ud83d\udea8`).
fn repair_escapes(front: &str) -> String {
    let mut out = String::with_capacity(front.len());
    let mut rest = front;
    while let Some(slash) = rest.find('\\') {
        out.push_str(&rest[..slash]);
        let after = &rest[slash..];
        if let Some(unescaped) = after.strip_prefix("\\'") {
            out.push('\'');
            rest = unescaped;
            continue;
        }
        let pair = (|| {
            let high = u32::from_str_radix(after.get(2..6)?, 16).ok()?;
            let low_part = after.get(6..12)?;
            let low = u32::from_str_radix(low_part.strip_prefix("\\u")?, 16).ok()?;
            let both = (0xD800..0xDC00).contains(&high) && (0xDC00..0xE000).contains(&low);
            both.then(|| char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)))?
        })()
        .filter(|_| after.starts_with("\\u"));
        match pair {
            Some(c) => {
                out.push_str(&format!("\\U{:08X}", u32::from(c)));
                rest = &after[12..];
            }
            None => {
                let width = after.chars().nth(1).map_or(1, |c| 1 + c.len_utf8());
                out.push_str(&after[..width]);
                rest = &after[width..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A quoted value as written in a "key: value" line read without YAML: the quotes removed and
/// the usual escapes (`\"`, `\'`, `\n`, `\t`, `\\`, `\uXXXX`) decoded.
fn loose_value(raw: &str) -> String {
    let raw = raw.trim();
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    if !quoted {
        return raw.to_owned();
    }
    let inner = &raw[1..raw.len() - 1];
    if raw.starts_with('\'') {
        return inner.replace("''", "'").replace("\\'", "'");
    }
    let inner = repair_escapes(inner);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push(' '),
            Some(width @ ('u' | 'U')) => {
                let hex: String = chars
                    .by_ref()
                    .take(if width == 'u' { 4 } else { 8 })
                    .collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// Front matter that is not valid YAML, read as "key: value" lines, one level of nesting
/// ("publish:" then "  date: …") kept as a dotted key.
fn loose_front_matter(front: &str) -> Yaml {
    let mut map = yaml_rust2::yaml::Hash::new();
    let mut parent: Option<String> = None;
    for line in front.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let indented = line.starts_with([' ', '\t']);
        let name = name.trim();
        if name.is_empty() || name.contains(' ') {
            continue;
        }
        let value = value.trim();
        if !indented {
            parent = value.is_empty().then(|| name.to_owned());
        }
        if value.is_empty() {
            continue;
        }
        let full = match (&parent, indented) {
            (Some(p), true) => format!("{p}.{name}"),
            _ => name.to_owned(),
        };
        map.insert(Yaml::String(full), Yaml::String(loose_value(value)));
    }
    Yaml::Hash(map)
}

/// Reads one news article.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let unreadable = |reason: String| Parsed {
        unreadable: vec![Unreadable { line: 1, reason }],
        ..Parsed::default()
    };
    let text = text.trim_start_matches('\u{FEFF}');
    let lines: Vec<&str> = text.lines().collect();
    let mut notes = Vec::new();
    let (doc, body_from) = match front_matter(&lines) {
        Err(reason) => return unreadable(reason),
        Ok(None) => (Yaml::Null, 0),
        Ok(Some(front)) => {
            notes.extend(front.notes);
            match read_yaml(&front.text, &mut notes) {
                Ok(doc) => (doc, front.body_from),
                Err(reason) => return unreadable(reason),
            }
        }
    };
    let has_front = !matches!(doc, Yaml::Null);
    let date = match first_of(&doc, &DATE_KEYS) {
        Some(written) => match super::parse_date(&written) {
            Some(date) => Some(date),
            None => {
                parsed.warnings.push(Unreadable {
                    line: 1,
                    reason: format!(
                        "“{written}” in the front matter is not a date like “1 Feb 2021”: the \
                         article is stored as undated"
                    ),
                });
                None
            }
        },
        None => None,
    };
    let mut title = first_of(&doc, &TITLE_KEYS);
    let mut body_lines: Vec<String> = Vec::new();
    let mut first_heading: Option<String> = None;
    for line in lines.iter().skip(body_from) {
        let line = repair_mojibake(line.trim_end());
        let trimmed = line.trim_start();
        // The article's own "# Title": the title where the front matter gives none, and left
        // out of the body where it repeats it.
        if let Some(heading) = trimmed.strip_prefix("# ").map(clean_line) {
            if first_heading.is_none() && body_lines.iter().all(|l| l.trim().is_empty()) {
                first_heading = Some(heading.clone());
                if title.is_none()
                    || title
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(&heading))
                {
                    continue;
                }
            }
        }
        // "* ### Man charged": a headline bullet is a plain list item.
        let item = trimmed
            .strip_prefix("* ")
            .or_else(|| trimmed.strip_prefix("- "))
            .map(|rest| rest.trim_start().trim_start_matches('#').trim())
            .filter(|rest| trimmed.contains('#') && !rest.is_empty());
        match item {
            Some(headline) => body_lines.push(format!("- {headline}")),
            None => body_lines.push(line),
        }
    }
    if title.is_none() {
        if let Some(heading) = first_heading.filter(|h| !h.is_empty()) {
            notes.push(if has_front {
                "the front matter has no title: took the article's “# ” heading".into()
            } else {
                "no front matter: the title is the article's “# ” heading".into()
            });
            title = Some(heading);
        }
    }
    if !has_front && title.is_none() {
        return unreadable(
            "the article starts with neither front matter (“---”) nor a “# ” title".into(),
        );
    }
    let mut body = body_lines.join("\n").trim().to_owned();
    let description = first_of(&doc, &DESCRIPTION_KEYS);
    if body.is_empty() {
        body = description
            .clone()
            .map(|d| super::text::escape_markdown(&d))
            .unwrap_or_default();
    }
    if body.is_empty() {
        return unreadable(format!(
            "“{}” has no article text and no og.description",
            title.as_deref().unwrap_or("the article")
        ));
    }
    if title.is_none() {
        notes.push(
            "no title in the front matter or the article: the title is the first \
                    sentence"
                .into(),
        );
    }
    let lead_text = description.unwrap_or_else(|| {
        body.lines()
            .map(|l| l.trim_start_matches(['-', '*', '#', ' ']))
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_owned()
    });
    parsed.alerts.push(SourceAlert {
        line: 1,
        // A police news article is the force's own.
        provider: Some("Police".into()),
        title,
        message_type: scalar(field(&doc, &["category"])),
        body,
        lead_text,
        signoff: None,
        date,
        area: scalar(field(&doc, &["area"])),
        url: scalar(field(&doc, &["url"])),
        title_inferred: false,
        notes,
    });
    parsed
}

/// The front matter as YAML: as written, else with the escapes exports get wrong repaired,
/// else line by line. Refused only when it could do harm (aliases) or is not an article's.
fn read_yaml(front: &str, notes: &mut Vec<String>) -> Result<Yaml, String> {
    let nesting = front.chars().filter(|c| matches!(c, '[' | '{')).count();
    if front.len() > MAX_FRONT_MATTER_BYTES || nesting > MAX_NESTING {
        return Err("the front matter is too large or too deeply nested to be an article's".into());
    }
    // An alias copies what its anchor names each time it is used: a few hundred bytes of them
    // can ask for gigabytes. Article front matter has no use for them.
    let mut events = yaml_rust2::parser::Parser::new_from_str(front);
    loop {
        match events.next_token() {
            Ok((yaml_rust2::Event::StreamEnd, _)) | Err(_) => break,
            Ok((yaml_rust2::Event::Alias(_), _)) => {
                return Err(
                    "the front matter uses YAML aliases (“*name”), which an article has no use for"
                        .into(),
                );
            }
            Ok(_) => {}
        }
    }
    let load = |text: &str| match YamlLoader::load_from_str(text) {
        Ok(mut docs) if !docs.is_empty() => Ok(docs.swap_remove(0)),
        Ok(_) => Ok(Yaml::Null),
        Err(e) => Err(e),
    };
    let mapping = |doc: Yaml| matches!(doc, Yaml::Hash(_)).then_some(doc);
    let error = match load(front) {
        Ok(doc) => match mapping(doc) {
            Some(doc) => return Ok(doc),
            None => "it is not a list of “key: value” lines".to_owned(),
        },
        Err(e) => e.to_string(),
    };
    let repaired = repair_escapes(front);
    if repaired != front {
        if let Some(doc) = load(&repaired).ok().and_then(mapping) {
            notes.push(
                "the front matter’s YAML has escapes YAML does not allow (“\\'”, “\\ud83d”): \
                 read as meant"
                    .into(),
            );
            return Ok(doc);
        }
    }
    let loose = loose_front_matter(front);
    if first_of(&loose, &TITLE_KEYS).is_none() {
        return Err(format!("the front matter is not valid YAML: {error}"));
    }
    notes.push(format!(
        "the front matter is not valid YAML ({error}): read line by line as “key: value”"
    ));
    Ok(loose)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "---\ntitle: \"Man charged after Peterborough burglaries\"\nurl: https://www.cambs.police.uk/news/1\n\
        area: Peterborough\npublish:\n  date: 1 Feb 2021\nog:\n  description: A man has been charged.\n---\n\
        * ### Man charged\n* ### Appeal for witnesses\n\nA 32-year-old man has been charged with three burglaries in Peterborough.\n";

    #[test]
    fn reads_front_matter_and_body() {
        let parsed = parse(ARTICLE);
        assert_eq!(parsed.unreadable, vec![]);
        let [alert] = parsed.alerts.as_slice() else {
            panic!("{parsed:?}")
        };
        assert_eq!(
            alert.title.as_deref(),
            Some("Man charged after Peterborough burglaries")
        );
        assert_eq!(alert.date, chrono::NaiveDate::from_ymd_opt(2021, 2, 1));
        assert_eq!(alert.area.as_deref(), Some("Peterborough"));
        assert_eq!(
            alert.url.as_deref(),
            Some("https://www.cambs.police.uk/news/1")
        );
        assert!(alert
            .body
            .starts_with("- Man charged\n- Appeal for witnesses\n\nA 32-year-old"));
        assert_eq!(alert.lead_text, "A man has been charged.");
    }

    #[test]
    fn dotted_keys_work_too() {
        let parsed = parse("---\ntitle: T\npublish.date: 2 Mar 2022\n---\nBody.\n");
        assert_eq!(
            parsed.alerts[0].date,
            chrono::NaiveDate::from_ymd_opt(2022, 3, 2)
        );
    }

    #[test]
    fn broken_articles_are_reported() {
        assert!(parse("no front matter").alerts.is_empty());
        let cut = parse("---\ntitle: T\n");
        assert!(cut.unreadable[0].reason.contains("cut short"));
        let bomb = parse("---\na: &a [x, x]\nb: &b [*a, *a]\ntitle: T\n---\nBody\n");
        assert!(bomb.unreadable[0].reason.contains("aliases"), "{bomb:?}");
        let bad = parse("---\nsummary: [unclosed\n---\nBody\n");
        assert!(
            bad.unreadable[0].reason.contains("not valid YAML"),
            "{bad:?}"
        );
        let unfenced = parse("```yaml\ntitle: T\n");
        assert!(unfenced.unreadable[0].reason.contains("cut short"));
        let bare = parse("Just some words.\n");
        assert!(bare.unreadable[0].reason.contains("neither front matter"));
        let undated = parse("---\ntitle: T\npublish:\n  date: someday\n---\nBody\n");
        assert_eq!(undated.alerts.len(), 1);
        assert_eq!(undated.warnings.len(), 1);
    }

    #[test]
    fn front_matter_in_a_fenced_code_block_with_escapes() {
        let parsed = parse(
            "\u{FEFF}```yaml\r\ntitle: \"Appeal after \\\"distraction\\\" burglary in Wisbech\\nupdate\"\r\n\
             date: 2023-11-14T09:30:00Z\r\ndescription: \"Caf\\u00e9 owner targeted \\u2013 can you help?\"\r\n\
             ```\r\n\r\n# Appeal after \"distraction\" burglary in Wisbech update\r\n\r\nOfficers are appealing for witnesses.\r\n",
        );
        assert_eq!(parsed.unreadable, vec![]);
        let [alert] = parsed.alerts.as_slice() else {
            panic!("{parsed:?}")
        };
        assert_eq!(
            alert.title.as_deref(),
            Some("Appeal after \"distraction\" burglary in Wisbech update")
        );
        assert_eq!(alert.date, chrono::NaiveDate::from_ymd_opt(2023, 11, 14));
        assert_eq!(alert.lead_text, "Café owner targeted – can you help?");
        assert_eq!(
            alert.body, "Officers are appealing for witnesses.",
            "the repeated title goes"
        );
        assert_eq!(alert.notes, ["front matter read from a fenced code block"]);
    }

    #[test]
    fn escapes_yaml_refuses_are_read_as_meant() {
        let parsed = parse(
            "---\ntitle: \"Police\\'s warning \\ud83d\\udea8 after thefts\"\npublish.date: 3 March 2024\n---\nBody.\n",
        );
        assert_eq!(
            parsed.alerts[0].title.as_deref(),
            Some("Police's warning 🚨 after thefts")
        );
        assert!(
            parsed.alerts[0].notes[0].contains("read as meant"),
            "{parsed:?}"
        );
        let loose =
            parse("---\nTitle: [UPDATE] Man charged\npublish:\n  date: 2 Mar 2022\n---\nBody.\n");
        let alert = &loose.alerts[0];
        assert_eq!(alert.title.as_deref(), Some("[UPDATE] Man charged"));
        assert_eq!(alert.date, chrono::NaiveDate::from_ymd_opt(2022, 3, 2));
        assert!(alert.notes[0].contains("read line by line"), "{alert:?}");
    }

    #[test]
    fn an_article_without_front_matter_takes_its_heading() {
        let parsed = parse("\n# Road closed after crash\n\nThe A14 is closed.\n");
        let alert = &parsed.alerts[0];
        assert_eq!(alert.title.as_deref(), Some("Road closed after crash"));
        assert_eq!(alert.body, "The A14 is closed.");
        assert_eq!(alert.date, None);
        assert!(alert.notes[0].contains("no front matter"), "{alert:?}");
        let unopened = parse("title: Drugs seized\ndate: 01/02/2024\n\nOfficers seized drugs.\n");
        assert_eq!(unopened.alerts[0].title.as_deref(), Some("Drugs seized"));
        assert_eq!(
            unopened.alerts[0].date,
            chrono::NaiveDate::from_ymd_opt(2024, 2, 1)
        );
        assert!(unopened.alerts[0].notes[0].contains("no opening"));
    }
}

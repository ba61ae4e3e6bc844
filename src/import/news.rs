//! Police news articles saved as Markdown with YAML front matter: `title`, `url`, `area`,
//! `publish.date` ("1 Feb 2021") and `og.description`, then the article, which may open with
//! headline bullets written "* ### …". One article per file.

use yaml_rust2::{Yaml, YamlLoader};

use super::text::{clean_line, repair_mojibake};
use super::{Parsed, SourceAlert, Unreadable};

/// Front matter larger or more deeply nested than any article's is refused unread.
const MAX_FRONT_MATTER_BYTES: usize = 64 * 1024;
const MAX_NESTING: usize = 64;

/// A field, nested (`publish:` then `date:`) or written with a dot (`publish.date:`).
fn field<'a>(doc: &'a Yaml, path: &[&str]) -> Option<&'a Yaml> {
    let nested = path.iter().try_fold(doc, |node, key| match &node[*key] {
        Yaml::BadValue => None,
        found => Some(found),
    });
    nested.or_else(|| match &doc[path.join(".").as_str()] {
        Yaml::BadValue => None,
        found => Some(found),
    })
}

fn scalar(node: Option<&Yaml>) -> Option<String> {
    let text = match node? {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        _ => return None,
    };
    let text = clean_line(&text);
    (!text.is_empty()).then_some(text)
}

/// Reads one news article.
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let unreadable = |reason: String| Parsed {
        unreadable: vec![Unreadable { line: 1, reason }],
        ..Parsed::default()
    };
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return unreadable("the article does not start with “---” and its front matter".into());
    }
    let Some(end) = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim_end(), "---" | "..."))
        .map(|p| p + 1)
    else {
        return unreadable(
            "the front matter has no closing “---”: the file may be cut short".into(),
        );
    };
    let front = lines.get(1..end).unwrap_or_default().join("\n");
    let nesting = front.chars().filter(|c| matches!(c, '[' | '{')).count();
    if front.len() > MAX_FRONT_MATTER_BYTES || nesting > MAX_NESTING {
        return unreadable(
            "the front matter is too large or too deeply nested to be an article's".into(),
        );
    }
    // An alias copies what its anchor names each time it is used: a few hundred bytes of them
    // can ask for gigabytes. Article front matter has no use for them.
    let mut events = yaml_rust2::parser::Parser::new_from_str(&front);
    loop {
        match events.next_token() {
            Ok((yaml_rust2::Event::StreamEnd, _)) | Err(_) => break,
            Ok((yaml_rust2::Event::Alias(_), _)) => {
                return unreadable(
                    "the front matter uses YAML aliases (“*name”), which an article has no use for"
                        .into(),
                );
            }
            Ok(_) => {}
        }
    }
    let doc = match YamlLoader::load_from_str(&front) {
        Ok(mut docs) if !docs.is_empty() => docs.swap_remove(0),
        Ok(_) => Yaml::Null,
        Err(e) => {
            return unreadable(format!("the front matter is not valid YAML: {e}"));
        }
    };
    let Some(title) = scalar(field(&doc, &["title"])) else {
        return unreadable("the front matter has no title".into());
    };
    let date = match scalar(field(&doc, &["publish", "date"])) {
        Some(written) => match super::parse_date(&written) {
            Some(date) => Some(date),
            None => {
                parsed.warnings.push(Unreadable {
                    line: 1,
                    reason: format!(
                        "“{written}” in publish.date is not a date like “1 Feb 2021”: the article \
                         is stored as undated"
                    ),
                });
                None
            }
        },
        None => None,
    };
    let mut body_lines: Vec<String> = Vec::new();
    for line in lines.iter().skip(end + 1) {
        let line = repair_mojibake(line.trim_end());
        let trimmed = line.trim_start();
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
    let mut body = body_lines.join("\n").trim().to_owned();
    let description = scalar(field(&doc, &["og", "description"]));
    if body.is_empty() {
        body = description
            .clone()
            .map(|d| super::text::escape_markdown(&d))
            .unwrap_or_default();
    }
    if body.is_empty() {
        return unreadable(format!(
            "“{title}” has no article text and no og.description"
        ));
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
        title: Some(title),
        message_type: scalar(field(&doc, &["category"])),
        body,
        lead_text,
        signoff: None,
        date,
        area: scalar(field(&doc, &["area"])),
        url: scalar(field(&doc, &["url"])),
    });
    parsed
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
        let bad = parse("---\ntitle: [unclosed\n---\nBody\n");
        assert!(bad.unreadable[0].reason.contains("not valid YAML"));
        let undated = parse("---\ntitle: T\npublish:\n  date: someday\n---\nBody\n");
        assert_eq!(undated.alerts.len(), 1);
        assert_eq!(undated.warnings.len(), 1);
    }
}

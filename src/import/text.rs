//! Cleaning text copied out of other services' exports: bytes to text, mojibake repaired, blank
//! space normalised, greetings to one reader removed, bullets turned into Markdown lists, and
//! everything else escaped so that it reads exactly as written.

/// The file's bytes as text: UTF-8 where they are (a byte-order mark dropped), otherwise
/// Windows-1252, which is what a Windows mail client saves. Line endings become LF.
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| cp1252_char(b)).collect(),
    };
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The characters Windows-1252 gives the bytes 0x80 to 0x9F (the rest are Latin-1's). The five
/// bytes it leaves undefined keep their C1 code points.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

fn cp1252_char(byte: u8) -> char {
    match byte {
        0x80..=0x9F => CP1252_HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// The Windows-1252 byte for `c`, if it has one.
fn cp1252_byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    if code < 0x80 || (0xA0..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    CP1252_HIGH
        .iter()
        .position(|&h| h == c)
        .and_then(|i| u8::try_from(0x80 + i).ok())
}

/// Repairs mojibake: UTF-8 that was once read as Windows-1252 ("weâ€™ve" for "we’ve", "Â£" for
/// "£"). A run of characters is replaced only when their Windows-1252 bytes form exactly one
/// well-formed UTF-8 character, so real accented text ("café", "Ångström") is left alone.
pub fn repair_mojibake(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let Some(lead) = cp1252_byte(c) else {
            out.push(c);
            i += 1;
            continue;
        };
        let width: usize = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        let mut bytes = vec![lead];
        for next in chars.iter().skip(i + 1).take(width.saturating_sub(1)) {
            match cp1252_byte(*next) {
                Some(b @ 0x80..=0xBF) => bytes.push(b),
                _ => break,
            }
        }
        let repaired = (width > 0 && bytes.len() == width)
            .then(|| std::str::from_utf8(&bytes).ok())
            .flatten()
            .and_then(|s| s.chars().next());
        match repaired {
            Some(fixed) => {
                out.push(fixed);
                i += width;
            }
            None => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// One line as a reader expects it: mojibake repaired, control characters removed, no-break
/// and other odd spaces made ordinary, runs of spaces made one, and the ends trimmed.
pub fn clean_line(line: &str) -> String {
    let repaired = repair_mojibake(line);
    let mut out = String::with_capacity(repaired.len());
    let mut space = false;
    for c in repaired.chars() {
        let c = match c {
            // A line break inside a value (a YAML "\n") separates words as a space does.
            '\t'
            | '\n'
            | '\r'
            | '\u{A0}'
            | '\u{2000}'..='\u{200A}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}' => ' ',
            // Zero-width characters and the byte-order mark: invisible, and they break words.
            '\u{200B}' | '\u{2060}' | '\u{FEFF}' => continue,
            c if c.is_control() => continue,
            c => c,
        };
        if c == ' ' {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Tags that end a line of text where a page was copied with its markup ("<br>", "</p>").
const BREAKING_TAGS: [&str; 13] = [
    "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
];

/// A line copied with stray HTML, as the lines a reader sees: split where a tag breaks the line
/// ("<br>", "<p>", "</div>"), a list item ("<li>") marked with a bullet, every other tag
/// ("<span class=…>", "<b>") dropped and character references ("&amp;", "&nbsp;", "&#8217;")
/// decoded. Text that only looks like a tag ("<https://…>", "a < b") is kept.
pub fn html_lines(line: &str) -> Vec<String> {
    if !line.contains(['<', '&']) {
        return vec![line.to_owned()];
    }
    let mut lines = vec![String::new()];
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let current = lines.last_mut().expect("never empty");
        current.push_str(&rest[..open]);
        let after = &rest[open..];
        match html_tag(after) {
            Some((name, closing, len)) => {
                if BREAKING_TAGS.contains(&name.as_str()) {
                    let item = name == "li" && !closing;
                    lines.push(if item { "· ".into() } else { String::new() });
                }
                rest = &after[len..];
            }
            None => {
                current.push('<');
                rest = &after[1..];
            }
        }
    }
    if let Some(current) = lines.last_mut() {
        current.push_str(rest);
    }
    let lines: Vec<String> = lines
        .iter()
        .map(|l| decode_entities(l))
        .filter(|l| !l.trim().is_empty() && l.trim() != "·")
        .collect();
    if lines.is_empty() {
        // A line of markup only stays a blank line: it still separates paragraphs.
        return vec![String::new()];
    }
    lines
}

/// The tag at the start of `text` ("<br/>", "</p>", "<span class=\"x\">"): its lower-cased
/// name, whether it closes, and its length in bytes.
fn html_tag(text: &str) -> Option<(String, bool, usize)> {
    let end = text.find('>')?;
    let inner = &text[1..end];
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name: String = inner
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let after_name = &inner[name.len()..];
    let shaped = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && (after_name.is_empty()
            || after_name == "/"
            || after_name.starts_with(char::is_whitespace))
        && !inner.contains('<');
    shaped.then(|| (name.to_ascii_lowercase(), closing, end + 1))
}

/// Decodes HTML character references: the named ones exports use and numeric ones. Anything
/// else that starts with "&" is kept as written.
pub fn decode_entities(text: &str) -> String {
    const NAMED: [(&str, &str); 16] = [
        ("amp", "&"),
        ("lt", "<"),
        ("gt", ">"),
        ("quot", "\""),
        ("apos", "'"),
        ("nbsp", "\u{A0}"),
        ("rsquo", "’"),
        ("lsquo", "‘"),
        ("rdquo", "”"),
        ("ldquo", "“"),
        ("ndash", "–"),
        ("mdash", "—"),
        ("pound", "£"),
        ("euro", "€"),
        ("hellip", "…"),
        ("middot", "·"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let name = &after[..semi];
            let c = match name.strip_prefix('#') {
                Some(number) => {
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => number.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                        .filter(|c| !c.is_control())
                        .map(String::from)
                }
                None => NAMED
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, c)| (*c).to_owned()),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push_str(&c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits a line that a mail client flattened from several paragraphs: where a sentence ends
/// and a no-break space (with any ordinary spaces) stands before the next one's capital letter,
/// digit or opening quote ("…in the dark.\u{A0} For more advice…"), a paragraph ended.
pub fn split_flattened_paragraphs(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = raw.char_indices().collect();
    let mut i = 0;
    while let Some(&(at, c)) = chars.get(i) {
        i += 1;
        if !matches!(c, '.' | '!' | '?' | ':' | '…' | '”' | ')') {
            continue;
        }
        let mut j = i;
        let mut no_break = false;
        while let Some(&(_, gap)) = chars.get(j) {
            match gap {
                '\u{A0}' => no_break = true,
                ' ' => {}
                _ => break,
            }
            j += 1;
        }
        let next_starts = chars.get(j).is_some_and(|&(_, n)| {
            n.is_uppercase() || n.is_ascii_digit() || matches!(n, '“' | '‘')
        });
        if no_break && next_starts {
            parts.push(&raw[start..at + c.len_utf8()]);
            start = chars.get(j).map_or(raw.len(), |&(next, _)| next);
            i = j;
        }
    }
    parts.push(&raw[start..]);
    parts
}

/// Bullet characters that start a list item when they start a line, and, surrounded by spaces,
/// separate items written on one line.
const BULLETS: [char; 3] = ['·', '•', '▪'];

/// A line's list item text, if the line is one: "· Lock your shed", "• Lock", "* Lock",
/// "- Lock", and "* ### Headline" as news pages write them.
fn list_item(line: &str) -> Option<&str> {
    let mut chars = line.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    let item = if BULLETS.contains(&first) {
        rest
    } else if first == '*' || first == '-' {
        // "*STOP. THINK. CALL." is an item; "**bold**" and "-5°C" are not.
        if rest.starts_with(['*', '-']) || rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        rest
    } else {
        return None;
    };
    let item = item.trim_start();
    // "* ### Headline": the heading marks go; "· #1 priority" keeps its "#".
    let unmarked = item.trim_start_matches('#');
    let item = if unmarked.len() < item.len() && unmarked.starts_with(' ') {
        unmarked.trim()
    } else {
        item.trim()
    };
    (!item.is_empty()).then_some(item)
}

/// Splits a line at inline bullets (" · "): the text before the first, and the items.
fn inline_items(line: &str) -> (String, Vec<String>) {
    let mut parts = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let spaced_before = i == 0 || chars.get(i.wrapping_sub(1)) == Some(&' ');
        let spaced_after = chars.get(i + 1).is_none_or(|&n| n == ' ');
        if BULLETS.contains(&c) && spaced_before && spaced_after {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    let mut parts = parts.into_iter().map(|p| p.trim().to_owned());
    let lead = parts.next().unwrap_or_default();
    (lead, parts.filter(|p| !p.is_empty()).collect())
}

/// Escapes what Markdown would otherwise read as markup, so plain text renders as written.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '~' | '|' | '&' => {
                out.push('\\');
                out.push(c);
            }
            // At the start of a line these make headings, lists or quotes.
            '#' | '+' | '-' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    // "1. " or "1) " at the start would become a numbered list the writer did not make.
    if let Some(digits) = out.find(|c: char| !c.is_ascii_digit()) {
        if digits > 0 && out[digits..].starts_with(['.', ')']) {
            out.insert(digits, '\\');
        }
    }
    out
}

/// Removes a greeting to the one reader an export was saved by ("Dear Mandy,", "Dear Mandy
/// Smith,", "Dear Subscriber,"): Beacon greets each resident itself, and the name is that
/// reader's own. Without a comma only one name is taken, and only where the next word starts a
/// sentence ("Dear Mandy Don’t miss…"); "Dear John letters are…" is left alone.
pub fn strip_greeting(line: &str) -> &str {
    const MAX_GREETING_WORDS: usize = 4;
    let Some(rest) = line.strip_prefix("Dear ") else {
        return line;
    };
    if !rest.starts_with(char::is_uppercase) {
        return line;
    }
    // "Dear Mandy Smith, Did you know": a comma within a few words ends the greeting.
    if let Some(comma) = rest.find(',') {
        let greeting = &rest[..comma];
        if greeting.split_whitespace().count() <= MAX_GREETING_WORDS
            && greeting.chars().all(|c| {
                c.is_alphabetic() || c == ' ' || c == '\'' || c == '’' || c == '-' || c == '.'
            })
        {
            return rest[comma + 1..].trim_start();
        }
    }
    let mut words = rest.splitn(2, ' ');
    let name = words.next().unwrap_or_default();
    let after = words.next().unwrap_or_default().trim_start();
    let name_only = name
        .chars()
        .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-');
    if name_only && (after.is_empty() || after.starts_with(char::is_uppercase)) {
        return after;
    }
    line
}

/// Builds a Markdown body from cleaned lines: a blank line separates paragraphs, lines within a
/// paragraph keep their breaks, bullets (at the start of a line or inline) become list items,
/// and all other text is escaped. Leading and trailing blank lines are dropped.
pub fn markdown_from_lines<S: AsRef<str>>(lines: &[S]) -> String {
    let mut out = String::new();
    // What the last line written was: nothing yet, text, a list item; and whether a blank
    // line came since.
    #[derive(PartialEq, Clone, Copy)]
    enum Last {
        Nothing,
        Text,
        Item,
    }
    let mut last = Last::Nothing;
    let mut blank = false;
    let push = |out: &mut String, kind: Last, text: &str, last: &mut Last, blank: &mut bool| {
        match (*last, kind) {
            (Last::Nothing, _) => {}
            // Items stay one tight list even where the source spaced them with blank lines.
            (Last::Item, Last::Item) => out.push('\n'),
            (Last::Text, Last::Text) if !*blank => out.push('\n'),
            (Last::Text, Last::Item) if !*blank => out.push('\n'),
            _ => out.push_str("\n\n"),
        }
        out.push_str(text);
        *last = kind;
        *blank = false;
    };
    for line in lines {
        let line = line.as_ref().trim();
        if line.is_empty() {
            blank = true;
            continue;
        }
        let (lead, items) = match list_item(line) {
            // A bullet line is an item, and further items may follow on it ("· one · two").
            Some(item) => {
                let (first, more) = inline_items(item);
                (String::new(), std::iter::once(first).chain(more).collect())
            }
            None => inline_items(line),
        };
        if !lead.is_empty() {
            push(
                &mut out,
                Last::Text,
                &escape_markdown(&lead),
                &mut last,
                &mut blank,
            );
        }
        for item in items.iter().filter(|i| !i.is_empty()) {
            push(
                &mut out,
                Last::Item,
                &format!("- {}", escape_markdown(item)),
                &mut last,
                &mut blank,
            );
        }
    }
    out
}

/// A title made from the start of a body, for a source that gives none: its first sentence,
/// cut at a word to at most `max` characters with an ellipsis.
pub fn title_from_text(text: &str, max: usize) -> String {
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let sentence_end = first_line
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '.' | '!' | '?')
                && first_line[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or(first_line.len());
    let sentence = first_line[..sentence_end]
        .trim_end_matches('.')
        .trim()
        .to_owned();
    if sentence.chars().count() <= max {
        return sentence;
    }
    let mut cut = String::new();
    for word in sentence.split(' ') {
        if cut.chars().count() + word.chars().count() + 2 > max {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    if cut.is_empty() {
        cut = sentence.chars().take(max.saturating_sub(1)).collect();
    }
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_windows_1252_when_not_utf8() {
        assert_eq!(decode(b"caf\xe9 \x93quoted\x94\r\n"), "café “quoted”\n");
        assert_eq!(decode("\u{FEFF}plain".as_bytes()), "plain");
    }

    #[test]
    fn repairs_mojibake_but_not_real_accents() {
        assert_eq!(repair_mojibake("weâ€™ve lost Â£18.7m"), "we’ve lost £18.7m");
        assert_eq!(
            repair_mojibake("café Ångström naïve"),
            "café Ångström naïve"
        );
        assert_eq!(repair_mojibake("ðŸš“ patrol"), "🚓 patrol");
        assert_eq!(repair_mojibake("â"), "â");
    }

    #[test]
    fn cleans_blank_space_and_keeps_emoji() {
        assert_eq!(
            clean_line("  Dear\u{A0}Mandy,\u{A0} Action  Fraud 🚨 \t"),
            "Dear Mandy, Action Fraud 🚨"
        );
    }

    #[test]
    fn strips_a_greeting_to_one_reader() {
        assert_eq!(strip_greeting("Dear Mandy, Did you know"), "Did you know");
        assert_eq!(strip_greeting("Dear Mandy Don’t miss"), "Don’t miss");
        assert_eq!(strip_greeting("Dear Subscriber,"), "");
        assert_eq!(strip_greeting("Dear all, hello"), "Dear all, hello");
        assert_eq!(strip_greeting("Dearest"), "Dearest");
        assert_eq!(strip_greeting("Dear Mandy Smith, Did you"), "Did you");
        assert_eq!(strip_greeting("Dear Mr Jones, please"), "please");
        assert_eq!(
            strip_greeting("Dear John letters are a common scam"),
            "Dear John letters are a common scam"
        );
    }

    #[test]
    fn turns_bullets_into_lists_and_escapes_the_rest() {
        let lines = [
            "Protect your home:",
            "· Lock windows",
            "• Use timers",
            "",
            "Tips:  ·  one ·  two",
            "*STOP. THINK. CALL.",
            "Email a_b@example.org or call 0300 123 2040 *now*",
            "1. not a list",
        ];
        assert_eq!(
            markdown_from_lines(&lines),
            "Protect your home:\n- Lock windows\n- Use timers\n\nTips:\n- one\n- two\n- STOP. THINK. CALL.\n\n\
             Email a\\_b@example.org or call 0300 123 2040 \\*now\\*\n1\\. not a list"
        );
        let rendered = crate::domain::alert::render_markdown(&markdown_from_lines(&lines));
        assert!(
            rendered.text.contains("a_b@example.org"),
            "{}",
            rendered.text
        );
        assert!(
            rendered.html.contains("<li>Lock windows</li>"),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn splits_paragraphs_a_mail_client_flattened() {
        assert_eq!(
            split_flattened_paragraphs(
                "Call 999.\u{A0} For more advice, visit us.\u{A0} \u{A0} “Quote”"
            ),
            ["Call 999.", "For more advice, visit us.", "“Quote”"]
        );
        assert_eq!(
            split_flattened_paragraphs("Dear Subscriber,\u{A0} Action Fraud. Next sentence."),
            ["Dear Subscriber,\u{A0} Action Fraud. Next sentence."]
        );
    }

    #[test]
    fn news_headline_bullets_become_items() {
        assert_eq!(
            markdown_from_lines(&["* ### Man charged", "* ### Appeal"]),
            "- Man charged\n- Appeal"
        );
        assert_eq!(
            markdown_from_lines(&["· #1 priority · Lock up"]),
            "- \\#1 priority\n- Lock up"
        );
    }

    #[test]
    fn makes_a_title_from_the_first_sentence() {
        assert_eq!(
            title_from_text("People are warned. More text.", 80),
            "People are warned"
        );
        let long = "People looking to snap up online holiday deals ahead of the summer are being warned to stay extra alert";
        let title = title_from_text(long, 60);
        assert!(
            title.ends_with('…') && title.chars().count() <= 60,
            "{title}"
        );
        assert_eq!(title_from_text("", 60), "");
    }

    #[test]
    fn stray_html_becomes_lines_of_text() {
        assert_eq!(
            html_lines("<p>Lock up &amp; light up.</p><p>Call&nbsp;101<br/>or 999</p>"),
            ["Lock up & light up.", "Call\u{A0}101", "or 999"]
        );
        assert_eq!(
            html_lines("<ul><li>One</li><li>Two &#8211; &#x2019;</li></ul>"),
            ["· One", "· Two – ’"]
        );
        assert_eq!(html_lines("<p></p>"), [""]);
        assert_eq!(
            html_lines("a < b and <https://example.org> & co &bogus;"),
            ["a < b and <https://example.org> & co &bogus;"]
        );
    }
}

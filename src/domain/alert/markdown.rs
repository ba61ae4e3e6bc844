//! An alert body in Markdown, rendered once to sanitised HTML (for email and the web) and to
//! plain text (the email's text part): raw HTML is stripped and only safe links survive.

use std::collections::HashSet;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// An alert body rendered for email and the web: `html` is safe to put inside a page or an email
/// as it is; `text` is the plain-text part of the email (and what screen readers of text mail get).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    pub html: String,
    pub text: String,
}

/// Link schemes a resident may be sent to: web pages, an email address or a phone number.
/// Everything else (`javascript:`, `data:`, `file:`, relative paths) is dropped, keeping the text.
const LINK_SCHEMES: [&str; 4] = ["http", "https", "mailto", "tel"];

/// Renders the Markdown body to sanitised HTML and to readable plain text.
///
/// Raw HTML in the Markdown is stripped, never passed through: senders paste from Word and web
/// pages, and an alert goes to thousands of inboxes under a police force's name. Links survive
/// only with the schemes in [`LINK_SCHEMES`]; images become their description (remote images track
/// who opened the email, and an alert must not depend on them). The HTML is then cleaned again by
/// ammonia as a second, independent line of defence.
pub fn render_markdown(markdown: &str) -> RenderedBody {
    RenderedBody {
        html: render_html(markdown),
        text: render_text(markdown),
    }
}

fn markdown_options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

fn render_html(markdown: &str) -> String {
    let mut sanitiser = EventSanitiser::default();
    let events = Parser::new_ext(markdown, markdown_options())
        .filter_map(|event| sanitiser.apply(event))
        // Senders write in a text box, not in Markdown: a line break they typed is meant to show,
        // as it does in the plain-text part, so a soft break becomes <br>.
        .map(|event| match event {
            Event::SoftBreak => Event::HardBreak,
            other => other,
        });
    let mut raw = String::with_capacity(markdown.len() + markdown.len() / 4);
    pulldown_cmark::html::push_html(&mut raw, events);

    ammonia::Builder::default()
        .rm_tags(["img"])
        .url_schemes(HashSet::from(LINK_SCHEMES))
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .clean(&raw)
        .to_string()
}

/// Deepest nesting of lists and block quotes kept. Deeper ones are flattened into the deepest
/// kept level: no alert needs more, and a body of 20,000 characters of "- - - -" would otherwise
/// cost seconds to render (HTML parsers check the stack of open elements as they go).
const MAX_NESTING: usize = 8;

/// Removes from the Markdown event stream what must never reach a resident: raw HTML, images and
/// links with unsafe destinations (keeping their text, unless the text is the unsafe address
/// itself), and nesting beyond [`MAX_NESTING`]. Links and containers are tracked on stacks so that
/// a dropped start also drops its end and the HTML stays balanced.
#[derive(Default)]
struct EventSanitiser {
    links: Vec<LinkFate>,
    /// For each open list, list item and block quote: whether it was kept.
    containers: Vec<bool>,
    /// How many of the open lists and block quotes were kept.
    depth: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum LinkFate {
    Kept,
    /// The link goes but its words stay: `[click here](javascript:...)` reads "click here".
    TextOnly,
    /// The link and its text go: the text of `<javascript:alert(1)>` is the address.
    Removed,
}

impl EventSanitiser {
    fn apply<'a>(&mut self, event: Event<'a>) -> Option<Event<'a>> {
        if self.links.last() == Some(&LinkFate::Removed) && event != Event::End(TagEnd::Link) {
            return None;
        }
        match event {
            Event::Start(Tag::List(_) | Tag::BlockQuote(_)) => {
                let keep = self.depth < MAX_NESTING;
                self.containers.push(keep);
                self.depth += usize::from(keep);
                keep.then_some(event)
            }
            // An item goes with its list.
            Event::Start(Tag::Item) => {
                let keep = self.containers.last().copied().unwrap_or(true);
                self.containers.push(keep);
                keep.then_some(event)
            }
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::Item) => {
                let kept = self.containers.pop().unwrap_or(true);
                if kept && !matches!(event, Event::End(TagEnd::Item)) {
                    self.depth = self.depth.saturating_sub(1);
                }
                kept.then_some(event)
            }
            Event::Html(_) | Event::InlineHtml(_) => None,
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => None,
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => match safe_link(&dest_url, link_type) {
                Some(url) => {
                    self.links.push(LinkFate::Kept);
                    Some(Event::Start(Tag::Link {
                        // The email address of an autolink is now a full `mailto:` URL, so
                        // it must not be prefixed again as an `Email` link would be.
                        link_type: LinkType::Inline,
                        dest_url: url.into(),
                        title,
                        id,
                    }))
                }
                None => {
                    self.links.push(if link_type == LinkType::Autolink {
                        LinkFate::Removed
                    } else {
                        LinkFate::TextOnly
                    });
                    None
                }
            },
            Event::End(TagEnd::Link) => {
                if self.links.pop() == Some(LinkFate::Kept) {
                    Some(Event::End(TagEnd::Link))
                } else {
                    None
                }
            }
            other => Some(other),
        }
    }
}

/// The destination a link may keep, or `None` when it must go. Email autolinks (`<a@b.uk>`)
/// arrive without their scheme.
fn safe_link(dest: &str, link_type: LinkType) -> Option<String> {
    let dest = dest.trim();
    if dest.is_empty() || dest.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    if link_type == LinkType::Email {
        return Some(format!("mailto:{dest}"));
    }
    let (scheme, rest) = dest.split_once(':')?;
    if !LINK_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return None;
    }
    let is_web = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    // "https:example.org" is not a web address anyone meant; require the authority part.
    if is_web && !(rest.starts_with("//") && rest.len() > 2) {
        return None;
    }
    if rest.is_empty() {
        return None;
    }
    Some(dest.to_owned())
}

fn render_text(markdown: &str) -> String {
    let mut sanitiser = EventSanitiser::default();
    let mut writer = TextWriter::default();
    for event in Parser::new_ext(markdown, markdown_options()) {
        // Link destinations are judged by the same sanitiser as the HTML, so an unsafe link
        // cannot appear in the text part as "(javascript:...)".
        if let Some(event) = sanitiser.apply(event) {
            writer.event(event);
        }
    }
    writer.finish()
}

/// Builds the plain-text rendering from Markdown events: paragraphs separated by a blank line,
/// list items on their own lines with "•" or their number, links followed by their address.
#[derive(Default)]
struct TextWriter {
    out: String,
    /// For each open list: the next number of an ordered list, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// A list item's marker has just been written, so its first paragraph starts on that line.
    after_item_marker: bool,
    /// For each open link: its destination and where its text starts in `out`.
    links: Vec<(String, usize)>,
    /// Cells written so far in the current table row.
    cells_in_row: usize,
}

impl TextWriter {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) | Event::Code(text) => self.write(&text),
            Event::SoftBreak | Event::HardBreak => self.line_break(),
            Event::Rule => {
                self.block_break();
                self.write("----------");
            }
            // Raw HTML never reaches here (the sanitiser removes it); the rest are not enabled.
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph
            | Tag::Heading { .. }
            | Tag::BlockQuote(_)
            | Tag::CodeBlock(_)
            | Tag::Table(_) => self.block_break(),
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.block_break();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                self.new_line();
                let depth = self.lists.len().saturating_sub(1);
                self.out.push_str(&"  ".repeat(depth));
                match self.lists.last_mut() {
                    Some(Some(number)) => {
                        self.out.push_str(&format!("{number}. "));
                        *number = number.saturating_add(1);
                    }
                    _ => self.out.push_str("• "),
                }
                self.after_item_marker = true;
            }
            Tag::TableHead | Tag::TableRow => {
                self.new_line();
                self.cells_in_row = 0;
            }
            Tag::TableCell => {
                if self.cells_in_row > 0 {
                    self.out.push_str(" | ");
                }
                self.cells_in_row += 1;
            }
            Tag::Link { dest_url, .. } => {
                self.links.push((dest_url.to_string(), self.out.len()));
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::Link => {
                if let Some((url, start)) = self.links.pop() {
                    let text = self.out.get(start..).unwrap_or_default().trim();
                    let shown = url
                        .strip_prefix("mailto:")
                        .or_else(|| url.strip_prefix("tel:"))
                        .unwrap_or(&url);
                    if text.is_empty() {
                        self.out.push_str(&url);
                    } else if text != url && text != shown {
                        self.out.push_str(&format!(" ({url})"));
                    }
                }
            }
            _ => {}
        }
    }

    fn write(&mut self, text: &str) {
        self.after_item_marker = false;
        self.out.push_str(text);
    }

    fn line_break(&mut self) {
        self.out.push('\n');
    }

    /// Starts a new line unless already at the start of one.
    fn new_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// Leaves a blank line before the next block, except straight after a list item's marker.
    fn block_break(&mut self) {
        if self.after_item_marker || self.out.is_empty() {
            return;
        }
        let kept = self.out.trim_end().len();
        self.out.truncate(kept);
        self.out.push_str("\n\n");
    }

    fn finish(self) -> String {
        // Trailing spaces on lines are noise in a mail client, and runs of blank lines come from
        // empty blocks (a paragraph that was only raw HTML).
        let mut text = String::with_capacity(self.out.len());
        let mut blank_lines = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                blank_lines += 1;
                if blank_lines > 1 {
                    continue;
                }
            } else {
                blank_lines = 0;
            }
            text.push_str(line);
            text.push('\n');
        }
        text.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alert::MAX_BODY_CHARS;

    const ALERT: &str = "\
## Catalytic converter thefts

There have been a number of thefts in **Meldreth** and *Foxton*.
Please check your vehicle.

- Park in a garage
- Fit a *Thatcham* approved lock

1. Note the time
2. Call [101](tel:101)

See [our advice](https://www.cambs.police.uk/advice) or https://example.org or
[https://www.cambs.police.uk](https://www.cambs.police.uk). Email <crime@example.org>.";

    #[test]
    fn markdown_becomes_html_with_safe_links() {
        let html = render_markdown(ALERT).html;
        assert!(
            html.contains("<h2>Catalytic converter thefts</h2>"),
            "{html}"
        );
        assert!(html.contains("<strong>Meldreth</strong>"), "{html}");
        assert!(html.contains("<li>Park in a garage</li>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://www.cambs.police.uk/advice" rel="noopener noreferrer">our advice</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="tel:101" rel="noopener noreferrer">101</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="mailto:crime@example.org" rel="noopener noreferrer">"#),
            "{html}"
        );
        // The line break the sender typed shows.
        assert!(html.contains("<br>"), "{html}");
    }

    #[test]
    fn markdown_becomes_readable_text() {
        let text = render_markdown(ALERT).text;
        let expected = "\
Catalytic converter thefts

There have been a number of thefts in Meldreth and Foxton.
Please check your vehicle.

• Park in a garage
• Fit a Thatcham approved lock

1. Note the time
2. Call 101

See our advice (https://www.cambs.police.uk/advice) or https://example.org or
https://www.cambs.police.uk. Email crime@example.org.";
        assert_eq!(text, expected);
    }

    #[test]
    fn text_keeps_hard_breaks_nested_lists_and_tables() {
        let markdown = "\
Line one  
Line two

- Outer
  - Inner
- ~~Old~~ New

| Place | Thefts |
| --- | --- |
| Melbourn | 3 |

---

```
code  block
```";
        let text = render_markdown(markdown).text;
        let expected = "\
Line one
Line two

• Outer
  • Inner
• Old New

Place | Thefts
Melbourn | 3

----------

code  block";
        assert_eq!(text, expected);
        let html = render_markdown(markdown).html;
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<del>Old</del>"), "{html}");
    }

    #[test]
    fn loose_list_items_keep_their_marker_on_the_first_line() {
        let text = render_markdown("5. First\n\n6. Second\n").text;
        assert_eq!(text, "5. First\n6. Second");
    }

    /// Hostile bodies, and what must not survive in either rendering.
    const HOSTILE: [&str; 16] = [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script> there",
        "<img src=x onerror=alert(1)>",
        "Text <img src=x onerror=\"alert(1)\"> more",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](  javascript:alert(1) )",
        "<javascript:alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![tracker](https://evil.example/pixel.png)",
        "![x](data:image/png;base64,AAAA)",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"position:fixed\" onclick=\"alert(1)\">Click</div>",
        "<a href=\"javascript:alert(1)\" onmouseover=\"alert(1)\">link</a>",
        "[x][r]\n\n[r]: javascript:alert(1)",
    ];

    #[test]
    fn hostile_markdown_survives_in_neither_rendering() {
        let forbidden = [
            "<script",
            "onerror",
            "onclick",
            "onmouseover",
            "javascript:",
            "data:",
            "<img",
            "<iframe",
            "style=",
            "evil.example",
        ];
        for input in HOSTILE {
            let rendered = render_markdown(input);
            for output in [&rendered.html, &rendered.text] {
                let lower = output.to_lowercase();
                for bad in forbidden {
                    assert!(
                        !lower.contains(bad),
                        "{bad:?} survived {input:?} as {output:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn hostile_links_keep_their_text() {
        let rendered = render_markdown("Click [here](javascript:alert(1)) now");
        assert_eq!(rendered.text, "Click here now");
        assert_eq!(rendered.html, "<p>Click here now</p>\n");
        let rendered = render_markdown("![Suspect vehicle](https://evil.example/car.jpg)");
        assert_eq!(rendered.text, "Suspect vehicle");
    }

    #[test]
    fn relative_links_are_dropped() {
        let rendered = render_markdown("[home](/admin) and [x](https:nohost)");
        assert_eq!(rendered.text, "home and x");
        assert!(!rendered.html.contains("href"), "{}", rendered.html);
    }

    #[test]
    fn entities_and_angle_brackets_in_text_stay_text() {
        let rendered = render_markdown("Fines &gt; £100 & 5 < 6");
        assert_eq!(rendered.text, "Fines > £100 & 5 < 6");
        assert!(
            rendered.html.contains("Fines &gt; £100 &amp; 5 &lt; 6"),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn deeply_nested_markdown_is_flattened_and_rendered_quickly() {
        // The longest body allowed, spent entirely on nesting.
        for unit in ["> ", "- ", "1. ", "[", "*", "<div>", "![", "`"] {
            let body = unit.repeat(MAX_BODY_CHARS / unit.len()) + "x";
            let rendered = render_markdown(&body);
            assert!(!rendered.html.contains("<div"), "{unit}");
            let depth = rendered.html.matches("<ul>").count()
                + rendered.html.matches("<ol").count()
                + rendered.html.matches("<blockquote>").count();
            assert!(depth <= MAX_NESTING, "{unit}: {depth}");
        }
    }

    #[test]
    fn rendering_never_panics_on_random_input() {
        let pieces = [
            "*",
            "_",
            "[",
            "]",
            "(",
            ")",
            "<",
            ">",
            "`",
            "#",
            "-",
            "1.",
            "\n",
            " ",
            "!",
            "|",
            "~~",
            "javascript:",
            "http://",
            "&#",
            ";",
            "a",
            "é",
            "\t",
            "    ",
            "> ",
            "\\",
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..300 {
            let mut input = String::new();
            for _ in 0..(state % 60) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % pieces.len() as u64).unwrap_or(0);
                input.push_str(pieces.get(index).copied().unwrap_or(""));
            }
            let rendered = render_markdown(&input);
            assert!(!rendered.html.contains("<script"));
        }
    }
}

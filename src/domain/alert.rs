//! An alert's content and the rules it must follow before anyone receives it: the title (which
//! becomes an email subject), the Markdown body (rendered once to sanitised HTML and to plain text),
//! the text-message version (GSM-7, 160 characters) and the sender's sign-off. Pure functions with
//! no I/O: the composer, the JSON API and the delivery engine all call these.

use std::collections::HashSet;
use std::fmt;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

/// Longest title, in characters. Titles are email subjects and push-notification headlines: mail
/// clients cut subjects off long before this, but some forces put the place and date in it.
pub const MAX_TITLE_CHARS: usize = 150;

/// Longest body, in characters (not bytes, so a Welsh or emoji-laden alert gets the same room).
pub const MAX_BODY_CHARS: usize = 20_000;

/// The most GSM-7 characters one text message carries. Beacon never sends concatenated messages:
/// they cost a credit per part and some handsets show the parts out of order.
pub const SMS_MAX: usize = 160;

/// Why an alert's content was refused. The messages are shown to police staff as they compose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("Enter a title")]
    TitleEmpty,
    #[error(
        "The title is {chars} characters long: the limit is {limit}",
        limit = MAX_TITLE_CHARS
    )]
    TitleTooLong { chars: usize },
    /// A line break in a subject header would let the rest of the title become extra email
    /// headers (header injection), so control characters are refused rather than stripped.
    #[error(
        "Line breaks are not allowed in a title (it becomes the subject line of the email): \
         write it on one line"
    )]
    TitleLineBreak,
    #[error("A title cannot contain < or >: remove them")]
    TitleAngleBrackets,
    #[error("Enter the message")]
    BodyEmpty,
    #[error(
        "The message is {} characters long: the limit is {}. Shorten it, or link to the full \
         details on your website",
        thousands(*.chars),
        thousands(MAX_BODY_CHARS)
    )]
    BodyTooLong { chars: usize },
}

/// Reads an alert title as the sender typed it: trimmed, on one line, without markup, and short
/// enough for an email subject.
pub fn parse_title(input: &str) -> Result<String, AlertError> {
    let title = input.trim();
    if title.is_empty() {
        return Err(AlertError::TitleEmpty);
    }
    // U+2028/U+2029 are not control characters, but some mail clients and browsers treat them as
    // line breaks, so they get the same refusal as CR and LF.
    if title
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(AlertError::TitleLineBreak);
    }
    if title.contains(['<', '>']) {
        return Err(AlertError::TitleAngleBrackets);
    }
    let chars = title.chars().count();
    if chars > MAX_TITLE_CHARS {
        return Err(AlertError::TitleTooLong { chars });
    }
    Ok(title.to_owned())
}

/// Reads an alert body (Markdown): line endings become LF whatever the browser sent, invisible
/// control characters are removed (a NUL byte cannot be stored in PostgreSQL text, and none of
/// them can be seen or meant), and surrounding blank space is trimmed.
pub fn parse_body(input: &str) -> Result<String, AlertError> {
    let mut body = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // CRLF and a lone CR (old Mac line endings) both become one LF.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                body.push('\n');
            }
            '\n' | '\t' => body.push(c),
            c if c.is_control() => {}
            c => body.push(c),
        }
    }
    let body = body.trim();
    if body.is_empty() {
        return Err(AlertError::BodyEmpty);
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(AlertError::BodyTooLong { chars });
    }
    Ok(body.to_owned())
}

/// "20345" as "20,345", for messages a person reads.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Text messages (GSM 03.38)
// ---------------------------------------------------------------------------------------------

/// The GSM 03.38 basic character set, in table order, without the escape code (0x1B). Each costs
/// one of the 160 places in a text message.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 03.38 extension table: each is sent as the escape code and a second code, so costs two.
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// How many of the 160 places a character takes, or `None` when GSM-7 cannot carry it.
fn gsm7_units(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The length of `text` as a text message, counting extension characters (`^{}\[~]|€` and form
/// feed) as two, or the first character that a GSM-7 message cannot carry at all.
pub fn gsm7_length(text: &str) -> Result<usize, char> {
    text.chars()
        .try_fold(0usize, |total, c| gsm7_units(c).map(|n| total + n).ok_or(c))
}

/// What to type instead of a character GSM-7 cannot carry: the typographic characters word
/// processors put in (curly quotes, dashes, ellipsis, special spaces) and accented letters outside
/// the set. `Some("")` means the character is invisible and can simply go.
fn gsm7_replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '‘' | '’' | '‚' | '‛' | '′' | 'ʼ' | '`' | '´' => "'",
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => "\"",
        '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' => "-",
        '…' => "...",
        '•' | '·' => "-",
        '\t' | '\u{A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' => "",
        'á' | 'â' | 'ã' | 'ā' => "a",
        'Á' | 'Â' | 'À' | 'Ã' | 'Ā' => "A",
        'ê' | 'ë' | 'ē' => "e",
        'Ê' | 'Ë' | 'È' | 'Ē' => "E",
        'í' | 'î' | 'ï' | 'ī' => "i",
        'Í' | 'Î' | 'Ï' | 'Ì' => "I",
        'ó' | 'ô' | 'õ' | 'ō' => "o",
        'Ó' | 'Ô' | 'Õ' | 'Ò' => "O",
        'ú' | 'û' | 'ū' => "u",
        'Ú' | 'Û' | 'Ù' => "U",
        'ŵ' => "w",
        'Ŵ' => "W",
        'ŷ' | 'ý' | 'ÿ' => "y",
        'Ŷ' | 'Ý' => "Y",
        // GSM has a capital C with cedilla but no small one; networks conventionally swap them.
        'ç' => "Ç",
        _ => return None,
    })
}

/// A character named so a sender can find it: visible ones in quotes, spaces and invisible ones
/// by name (a quoted non-breaking space looks like an ordinary one).
fn describe_char(c: char) -> String {
    match c {
        '\t' => "a tab".to_owned(),
        '\u{A0}' | '\u{202F}' => "a non-breaking space".to_owned(),
        c if c.is_whitespace() => format!("an unusual space (U+{:04X})", u32::from(c)),
        c if c.is_control() || gsm7_replacement(c) == Some("") => {
            format!("an invisible character (U+{:04X})", u32::from(c))
        }
        c => format!("“{c}”"),
    }
}

/// What stops `text` going out as a single text message, worded for the sender, or `None` when it
/// can be sent as it is. Blank text is a problem: the caller decides whether a text is wanted.
pub fn sms_text_problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("Enter the text message".to_owned());
    }
    match gsm7_length(text) {
        Err(c) => {
            let fix = match gsm7_replacement(c) {
                Some(" ") => "use an ordinary space instead".to_owned(),
                Some("") | None => "remove it".to_owned(),
                Some(r) => format!("use {r} instead"),
            };
            Some(format!(
                "The text message uses {}, which a text message cannot carry: {fix}",
                describe_char(c)
            ))
        }
        Ok(length) if length > SMS_MAX => {
            let doubles = if text.chars().any(|c| gsm7_units(c) == Some(2)) {
                " (€ and ^ { } [ ] ~ | \\ each count as two)"
            } else {
                ""
            };
            Some(format!(
                "The text message is {length} characters long: the limit is {SMS_MAX}{doubles}"
            ))
        }
        Ok(_) => None,
    }
}

/// `text` with every character a text message cannot carry replaced by its nearest GSM-7
/// equivalent (straight quotes for curly ones, "-" for dashes, "..." for an ellipsis, a space for
/// special spaces) or dropped when there is none (emoji).
pub fn to_gsm7_lossy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if gsm7_units(c).is_some() {
            out.push(c);
        } else if let Some(replacement) = gsm7_replacement(c) {
            out.push_str(replacement);
        }
    }
    out
}

/// A generated text message for an alert: "<provider>: <title> <link>", fitting one message. When
/// it would not, the title is shortened (at a word break where one is near) and ends in "..."
/// (the ellipsis character is not GSM-7). If even that cannot fit, the title goes, and then the
/// provider: the link is the point of the message. A link longer than a text message is returned
/// whole rather than broken.
pub fn short_sms(provider_short: &str, title: &str, link: &str) -> String {
    let provider = one_line(&to_gsm7_lossy(provider_short));
    let title = one_line(&to_gsm7_lossy(title));
    // A link cannot contain spaces; any in the input are stray.
    let link: String = to_gsm7_lossy(link)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let provider = if provider.is_empty() {
        String::new()
    } else {
        format!("{provider}:")
    };

    let whole = join_words(&[&provider, &title, &link]);
    if fits(&whole) {
        return whole;
    }
    let overhead = gsm7_len_lossy(&join_words(&[&provider, "x", &link])) - 1;
    let budget = SMS_MAX.saturating_sub(overhead);
    if budget >= 4 {
        let shortened = shorten(&title, budget);
        let message = join_words(&[&provider, &shortened, &link]);
        if fits(&message) {
            return message;
        }
    }
    let without_title = join_words(&[&provider, &link]);
    if fits(&without_title) {
        return without_title;
    }
    link
}

fn fits(message: &str) -> bool {
    gsm7_len_lossy(message) <= SMS_MAX
}

/// Length in GSM-7 units of text already made GSM-7 by [`to_gsm7_lossy`].
fn gsm7_len_lossy(text: &str) -> usize {
    text.chars().map(|c| gsm7_units(c).unwrap_or(0)).sum()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn join_words(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `title` cut to at most `budget` GSM-7 units including the "..." it then ends with.
fn shorten(title: &str, budget: usize) -> String {
    let room = budget.saturating_sub(3);
    let mut used = 0;
    let mut cut = 0;
    for (index, c) in title.char_indices() {
        let units = gsm7_units(c).unwrap_or(0);
        if used + units > room {
            break;
        }
        used += units;
        cut = index + c.len_utf8();
    }
    let mut kept = title.get(..cut).unwrap_or_default();
    let cut_mid_word = title
        .get(cut..)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| !c.is_whitespace());
    // Prefer ending on a whole word, unless that throws away a lot of the little room there is.
    if cut_mid_word {
        if let Some(space) = kept.rfind(' ') {
            if kept.len() - space <= 15 {
                kept = kept.get(..space).unwrap_or(kept);
            }
        }
    }
    let kept = kept.trim_end_matches(|c: char| c.is_whitespace() || ",;:-".contains(c));
    format!("{kept}...")
}

// ---------------------------------------------------------------------------------------------
// Sign-off
// ---------------------------------------------------------------------------------------------

/// The sign-off at the foot of every alert, taken from the sender's profile, as residents of
/// existing community-messaging systems know it:
///
/// ```text
/// Message Sent By
/// Lucy Ward
/// (Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignOff {
    pub name: String,
    pub organisation: String,
    pub role: String,
    pub area: String,
}

impl SignOff {
    /// The three lines of the sign-off. Empty parts are left out of the parentheses (and the
    /// last line is empty when all three are).
    pub fn lines(&self) -> [String; 3] {
        let details: Vec<&str> = [&self.organisation, &self.role, &self.area]
            .into_iter()
            .map(|part| part.trim())
            .filter(|part| !part.is_empty())
            .collect();
        let details = if details.is_empty() {
            String::new()
        } else {
            format!("({})", details.join(", "))
        };
        [
            "Message Sent By".to_owned(),
            self.name.trim().to_owned(),
            details,
        ]
    }
}

impl fmt::Display for SignOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines = self.lines();
        let present: Vec<&str> = lines
            .iter()
            .map(String::as_str)
            .filter(|l| !l.is_empty())
            .collect();
        f.write_str(&present.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // --- Titles -----------------------------------------------------------------------------

    #[test]
    fn a_title_is_trimmed() {
        assert_eq!(
            parse_title("  Catalytic converter thefts in Melbourn  "),
            Ok("Catalytic converter thefts in Melbourn".to_owned())
        );
    }

    #[test]
    fn an_empty_title_is_refused() {
        assert_eq!(parse_title(""), Err(AlertError::TitleEmpty));
        assert_eq!(parse_title(" \t\n "), Err(AlertError::TitleEmpty));
        assert_eq!(AlertError::TitleEmpty.to_string(), "Enter a title");
    }

    #[test]
    fn a_title_with_a_line_break_is_refused_as_header_injection() {
        for title in [
            "Thefts\r\nBcc: everyone@example.org",
            "Thefts\nin March",
            "Thefts\rin March",
            "Thefts\u{0}",
            "Thefts\u{1b}[31m",
            "Thefts\u{2028}in March",
            "Thefts\u{85}in March",
        ] {
            assert_eq!(
                parse_title(title),
                Err(AlertError::TitleLineBreak),
                "{title:?}"
            );
        }
        assert!(AlertError::TitleLineBreak
            .to_string()
            .contains("Line breaks are not allowed in a title"));
    }

    #[test]
    fn a_title_with_markup_is_refused() {
        assert_eq!(
            parse_title("<script>alert(1)</script>"),
            Err(AlertError::TitleAngleBrackets)
        );
        assert_eq!(
            parse_title("Fraud > 1000"),
            Err(AlertError::TitleAngleBrackets)
        );
    }

    #[test]
    fn a_title_is_limited_in_characters_not_bytes() {
        let welsh = "ŵ".repeat(MAX_TITLE_CHARS);
        assert_eq!(parse_title(&welsh), Ok(welsh.clone()));
        let long = "a".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(
            parse_title(&long),
            Err(AlertError::TitleTooLong { chars: 151 })
        );
        assert_eq!(
            AlertError::TitleTooLong { chars: 151 }.to_string(),
            "The title is 151 characters long: the limit is 150"
        );
    }

    // --- Bodies -----------------------------------------------------------------------------

    #[test]
    fn a_body_gets_lf_line_endings() {
        assert_eq!(
            parse_body("Line one\r\nLine two\rLine three\n"),
            Ok("Line one\nLine two\nLine three".to_owned())
        );
    }

    #[test]
    fn a_body_loses_invisible_control_characters_but_keeps_tabs() {
        assert_eq!(parse_body("a\u{0}b\u{7}c\td"), Ok("abc\td".to_owned()));
    }

    #[test]
    fn an_empty_body_is_refused() {
        assert_eq!(parse_body(""), Err(AlertError::BodyEmpty));
        assert_eq!(parse_body("\r\n \t\r\n"), Err(AlertError::BodyEmpty));
    }

    #[test]
    fn a_body_over_the_limit_is_refused_with_its_length() {
        let exactly = "é".repeat(MAX_BODY_CHARS);
        assert!(parse_body(&exactly).is_ok());
        let over = "x".repeat(20_345);
        let error = parse_body(&over).unwrap_err();
        assert_eq!(error, AlertError::BodyTooLong { chars: 20_345 });
        assert!(
            error
                .to_string()
                .starts_with("The message is 20,345 characters long: the limit is 20,000"),
            "{error}"
        );
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    // --- Markdown ---------------------------------------------------------------------------

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

    // --- GSM-7 ------------------------------------------------------------------------------

    #[test]
    fn the_gsm7_tables_have_the_standard_sizes() {
        // 128 codes less the escape code, and the nine extension characters plus form feed.
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        let basic: HashSet<char> = GSM7_BASIC.chars().collect();
        assert_eq!(basic.len(), 127, "no duplicates");
    }

    #[test]
    fn gsm7_length_counts_extension_characters_twice() {
        assert_eq!(gsm7_length(""), Ok(0));
        assert_eq!(gsm7_length("Thefts in Melbourn"), Ok(18));
        assert_eq!(gsm7_length("£5 @ 10:00"), Ok(10));
        assert_eq!(gsm7_length("€5"), Ok(3));
        assert_eq!(gsm7_length("[a]{b}"), Ok(10));
        assert_eq!(gsm7_length("line\nbreak"), Ok(10));
    }

    #[test]
    fn gsm7_length_names_the_first_character_it_cannot_carry() {
        assert_eq!(gsm7_length("Don’t"), Err('’'));
        assert_eq!(gsm7_length("“Hi”"), Err('“'));
        assert_eq!(gsm7_length("Stay safe 🚓"), Err('🚓'));
        assert_eq!(gsm7_length("a`b"), Err('`'));
    }

    #[test]
    fn sms_problems_suggest_what_to_type_instead() {
        assert_eq!(
            sms_text_problem("Don’t leave valuables"),
            Some(
                "The text message uses “’”, which a text message cannot carry: use ' instead"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("Thefts – Melbourn"),
            Some(
                "The text message uses “–”, which a text message cannot carry: use - instead"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("Wait…"),
            Some(
                "The text message uses “…”, which a text message cannot carry: use ... instead"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("Stay safe 🚓"),
            Some("The text message uses “🚓”, which a text message cannot carry: remove it".into())
        );
        assert_eq!(
            sms_text_problem("10\u{a0}am"),
            Some(
                "The text message uses a non-breaking space, which a text message cannot carry: \
                 use an ordinary space instead"
                    .into()
            )
        );
    }

    #[test]
    fn sms_problems_give_the_length_and_the_limit() {
        assert_eq!(sms_text_problem(&"a".repeat(160)), None);
        assert_eq!(
            sms_text_problem(&"a".repeat(172)),
            Some("The text message is 172 characters long: the limit is 160".into())
        );
        let with_euro = format!("{}€", "a".repeat(159));
        assert_eq!(
            sms_text_problem(&with_euro),
            Some(
                "The text message is 161 characters long: the limit is 160 \
                 (€ and ^ { } [ ] ~ | \\ each count as two)"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("  "),
            Some("Enter the text message".into())
        );
    }

    #[test]
    fn lossy_conversion_replaces_typography_and_drops_emoji() {
        assert_eq!(
            to_gsm7_lossy("“Don’t” – wait…\u{a0}now 🚓 café crème Llanfair ŵ"),
            "\"Don't\" - wait... now  café crème Llanfair w"
        );
        for text in ["😀 ✓ ☎ 中文", "‘’“”–—…", "\u{200b}\u{feff}x"] {
            assert!(gsm7_length(&to_gsm7_lossy(text)).is_ok(), "{text}");
        }
    }

    #[test]
    fn a_short_sms_that_fits_is_left_whole() {
        assert_eq!(
            short_sms(
                "Cambs Police",
                "Catalytic converter thefts",
                "https://beacon.example/a/123"
            ),
            "Cambs Police: Catalytic converter thefts https://beacon.example/a/123"
        );
    }

    #[test]
    fn a_short_sms_shortens_the_title_to_fit() {
        let title = "Catalytic converter thefts in the villages of Meldreth, Foxton, Melbourn, \
                     Eltisley and Great Shelford over the past week – please check your vehicles";
        let link = "https://beacon.example/a/123";
        let sms = short_sms("Cambs Police", title, link);
        assert!(gsm7_length(&sms).is_ok_and(|n| n <= SMS_MAX), "{sms}");
        assert!(
            sms.starts_with("Cambs Police: Catalytic converter thefts"),
            "{sms}"
        );
        assert!(sms.ends_with("... https://beacon.example/a/123"), "{sms}");
        assert!(!sms.contains('…'));
        // Cut at a word break, not in the middle of one.
        let kept = sms
            .trim_end_matches("... https://beacon.example/a/123")
            .trim_start_matches("Cambs Police: ");
        assert!(title.starts_with(kept), "{sms}");
        assert!(
            title
                .get(kept.len()..)
                .is_some_and(|rest| rest.starts_with([' ', ','])),
            "{sms}"
        );
    }

    #[test]
    fn a_short_sms_counts_extension_characters_and_drops_emoji() {
        let title = "€".repeat(100) + "🚓";
        let sms = short_sms("Cambs Police", &title, "https://b.example/1");
        assert!(gsm7_length(&sms).is_ok_and(|n| n <= SMS_MAX), "{sms}");
        assert!(!sms.contains('🚓'));
    }

    #[test]
    fn a_short_sms_gives_up_the_title_then_the_provider_for_the_link() {
        let link = format!("https://b.example/{}", "x".repeat(130));
        let sms = short_sms("Cambridgeshire Constabulary", "Thefts", &link);
        assert_eq!(sms, link);
        let link = format!("https://b.example/{}", "x".repeat(120));
        let sms = short_sms("Cambs", "A title too long to fit anywhere here", &link);
        assert!(gsm7_length(&sms).is_ok_and(|n| n <= SMS_MAX), "{sms}");
        assert!(sms.starts_with("Cambs: "), "{sms}");
        assert_eq!(short_sms("", "Thefts", ""), "Thefts");
        assert_eq!(
            short_sms("Cambs", "", "https://b.example"),
            "Cambs: https://b.example"
        );
    }

    #[test]
    fn a_short_sms_always_fits_for_random_input() {
        let pieces = ["a", "bb ", "€", "🚓", "’", "…", " ", "\n", "{", "Melbourn "];
        let mut state: u64 = 88_172_645_463_325_252;
        for _ in 0..300 {
            let mut title = String::new();
            for _ in 0..(state % 120) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % pieces.len() as u64).unwrap_or(0);
                title.push_str(pieces.get(index).copied().unwrap_or(""));
            }
            let sms = short_sms("Cambs Police", &title, "https://beacon.example/a/1");
            assert!(gsm7_length(&sms).is_ok_and(|n| n <= SMS_MAX), "{sms:?}");
        }
    }

    // --- Sign-off ---------------------------------------------------------------------------

    #[test]
    fn the_sign_off_reads_as_in_a_real_alert() {
        let sign_off = SignOff {
            name: "Lucy Ward".into(),
            organisation: "Cambridgeshire Constabulary".into(),
            role: "Communications Assistant".into(),
            area: "Peterborough and Fenland".into(),
        };
        assert_eq!(
            sign_off.lines(),
            [
                "Message Sent By".to_owned(),
                "Lucy Ward".to_owned(),
                "(Cambridgeshire Constabulary, Communications Assistant, Peterborough and Fenland)"
                    .to_owned()
            ]
        );
        assert_eq!(
            sign_off.to_string(),
            "Message Sent By\nLucy Ward\n(Cambridgeshire Constabulary, Communications Assistant, \
             Peterborough and Fenland)"
        );
    }

    #[test]
    fn the_sign_off_leaves_out_empty_parts() {
        let sign_off = SignOff {
            name: "PC 123 Smith".into(),
            organisation: "Cambridgeshire Constabulary".into(),
            role: " ".into(),
            area: "Fenland".into(),
        };
        assert_eq!(
            sign_off.lines()[2],
            "(Cambridgeshire Constabulary, Fenland)"
        );
        let bare = SignOff {
            name: "Lucy Ward".into(),
            organisation: String::new(),
            role: String::new(),
            area: String::new(),
        };
        assert_eq!(bare.lines()[2], "");
        assert_eq!(bare.to_string(), "Message Sent By\nLucy Ward");
    }
}

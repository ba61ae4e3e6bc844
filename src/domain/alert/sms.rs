//! Text messages: GSM 03.38 (GSM-7) character counting, what to type instead of a character
//! a text cannot carry, and the short text that links to an alert.

use super::SMS_MAX;

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
/// can be sent as it is. `link_room` is what is added to it when it is sent (the space and the
/// link to the alert, [`SMS_MAX`] in all), counted against the same limit. Blank text is a
/// problem: the caller decides whether a text is wanted.
pub fn sms_text_problem(text: &str, link_room: usize) -> Option<String> {
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
        Ok(length) if length + link_room > SMS_MAX => {
            let doubles = if text.chars().any(|c| gsm7_units(c) == Some(2)) {
                " (€ and ^ { } [ ] ~ | \\ each count as two)"
            } else {
                ""
            };
            Some(if link_room == 0 {
                format!(
                    "The text message is {length} characters long: the limit is {SMS_MAX}{doubles}"
                )
            } else {
                format!(
                    "The text message is {length} characters long and the link to the alert adds \
                     {link_room}: the limit is {SMS_MAX} in all, so {} for your text{doubles}",
                    SMS_MAX.saturating_sub(link_room)
                )
            })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

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
            sms_text_problem("Don’t leave valuables", 0),
            Some(
                "The text message uses “’”, which a text message cannot carry: use ' instead"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("Thefts – Melbourn", 0),
            Some(
                "The text message uses “–”, which a text message cannot carry: use - instead"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("Wait…", 0),
            Some(
                "The text message uses “…”, which a text message cannot carry: use ... instead"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("Stay safe 🚓", 0),
            Some("The text message uses “🚓”, which a text message cannot carry: remove it".into())
        );
        assert_eq!(
            sms_text_problem("10\u{a0}am", 0),
            Some(
                "The text message uses a non-breaking space, which a text message cannot carry: \
                 use an ordinary space instead"
                    .into()
            )
        );
    }

    #[test]
    fn sms_problems_give_the_length_and_the_limit() {
        assert_eq!(sms_text_problem(&"a".repeat(160), 0), None);
        assert_eq!(
            sms_text_problem(&"a".repeat(172), 0),
            Some("The text message is 172 characters long: the limit is 160".into())
        );
        let with_euro = format!("{}€", "a".repeat(159));
        assert_eq!(
            sms_text_problem(&with_euro, 0),
            Some(
                "The text message is 161 characters long: the limit is 160 \
                 (€ and ^ { } [ ] ~ | \\ each count as two)"
                    .into()
            )
        );
        assert_eq!(
            sms_text_problem("  ", 0),
            Some("Enter the text message".into())
        );
    }

    #[test]
    fn the_link_added_to_a_text_counts_against_the_limit() {
        // " https://beacon.example/a/1234567": the link and the space before it.
        let room = 32;
        assert_eq!(sms_text_problem(&"a".repeat(128), room), None);
        assert_eq!(
            sms_text_problem(&"a".repeat(160), room),
            Some(
                "The text message is 160 characters long and the link to the alert adds 32: \
                 the limit is 160 in all, so 128 for your text"
                    .into()
            )
        );
        assert!(sms_text_problem(&"a".repeat(129), room).is_some());
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
}

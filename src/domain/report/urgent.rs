//! Words in a report that suggest someone is in danger now: they bring up the 999 panel before
//! the report is sent and mark it urgent for triage. Nothing is ever blocked.

/// Phrases that mark a report urgent, lower case. Matched on word boundaries, ignoring case and
/// runs of spaces and apostrophes ("he's outside", "hes outside").
pub const URGENT_PHRASES: &[&str] = &[
    "outside now",
    "is outside",
    "he's outside",
    "she's outside",
    "they're outside",
    "happening now",
    "right now",
    "knife",
    "gun",
    "machete",
    "going to kill",
    "gonna kill",
    "kill me",
    "kill myself",
    "overdose",
    "overdosed",
    "can't breathe",
    "not breathing",
    "unconscious",
    "bleeding",
    "help me",
    "threatening me",
    "breaking in",
    "trying to get in",
    "fire",
];

/// The urgent phrases found in `text`, each once, in the order of the list.
pub fn urgent_words(text: &str) -> Vec<&'static str> {
    let folded = fold(text);
    URGENT_PHRASES
        .iter()
        .filter(|phrase| contains_words(&folded, &fold(phrase)))
        .copied()
        .collect()
}

/// Lower case, apostrophes dropped, everything but letters and digits as single spaces, padded.
pub(crate) fn fold(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.chars() {
        if matches!(c, '\'' | '’' | '‘') {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn contains_words(folded_text: &str, folded_phrase: &str) -> bool {
    folded_text.contains(folded_phrase)
}

#[cfg(test)]
mod tests {
    use super::urgent_words;

    #[test]
    fn finds_danger_in_ordinary_writing() {
        let found = urgent_words("He's OUTSIDE now with a Knife!");
        for phrase in ["outside now", "he's outside", "knife"] {
            assert!(found.contains(&phrase), "{phrase} in {found:?}");
        }
        assert!(urgent_words("hes outside").contains(&"he's outside"));
        assert!(urgent_words("I think she has taken an overdose.").contains(&"overdose"));
        assert!(urgent_words("he said he was going to kill him").contains(&"going to kill"));
    }

    #[test]
    fn words_inside_other_words_do_not_count() {
        assert!(urgent_words("My knifeblock was stolen from the shed").is_empty());
        assert!(urgent_words("Someone keyed my car on Gunhild Way").is_empty());
        assert!(urgent_words("A bonfire was lit in the park last week").is_empty());
    }
}

//! The contact centre's rules: what a conversation is (a live web chat, or a resident's reply to
//! an alert and what follows), its states and authors, what a message may hold, the phrases
//! that escalate it, and how a conversation may end. No I/O.

pub mod figures;
pub mod hours;
pub mod wait;

use crate::domain::report::urgent::fold;

/// Longest message, in characters, from a resident or an operator.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// What started a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationKind {
    /// A live web chat started at `/chat`.
    Chat,
    /// A resident's reply to an alert, threaded under the alert it answers.
    Reply,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Chat => "chat",
            ConversationKind::Reply => "reply",
        }
    }

    pub fn parse(text: &str) -> Option<ConversationKind> {
        match text {
            "chat" => Some(ConversationKind::Chat),
            "reply" => Some(ConversationKind::Reply),
            _ => None,
        }
    }
}

/// Where a conversation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversationState {
    /// Waiting for an operator (a new chat, a transferred one, an unanswered reply).
    Waiting,
    /// An operator has it.
    Open,
    Closed,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Waiting => "waiting",
            ConversationState::Open => "open",
            ConversationState::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<ConversationState> {
        match text {
            "waiting" => Some(ConversationState::Waiting),
            "open" => Some(ConversationState::Open),
            "closed" => Some(ConversationState::Closed),
            _ => None,
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    Resident,
    Operator,
    /// An operator's internal note: never shown to the resident, never in a transcript.
    Note,
    /// A line Beacon adds ("Priya joined the chat"), shown to both sides.
    System,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Resident => "resident",
            Author::Operator => "operator",
            Author::Note => "note",
            Author::System => "system",
        }
    }

    pub fn parse(text: &str) -> Option<Author> {
        match text {
            "resident" => Some(Author::Resident),
            "operator" => Some(Author::Operator),
            "note" => Some(Author::Note),
            "system" => Some(Author::System),
            _ => None,
        }
    }

    /// Whether the resident sees messages by this author.
    pub fn shown_to_resident(self) -> bool {
        self != Author::Note
    }
}

/// How a conversation ended, as operators choose it: (code, words).
pub const OUTCOMES: &[(&str, &str)] = &[
    ("advice-given", "Advice given"),
    ("report-made", "Online report made"),
    ("referred", "Referred to another organisation"),
    ("passed-to-officer", "Passed to an officer"),
    ("emergency", "Emergency: told to call 999"),
    ("no-reply", "Resident stopped replying"),
    ("abusive", "Abusive: ended"),
    ("other", "Other"),
];

/// The words for an outcome code, if it is one.
pub fn outcome_words(code: &str) -> Option<&'static str> {
    OUTCOMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, words)| *words)
}

/// What is wrong with a message, in words for whoever wrote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MessageProblem {
    #[error("Write a message first")]
    Empty,
    #[error("Your message must be 2,000 characters or fewer")]
    TooLong,
    #[error("Your message has characters we cannot store: write it again as plain text")]
    ControlCharacters,
}

/// A message as it will be stored: trimmed, with line breaks kept, checked for length and for
/// control characters. HTML is kept as typed; every page shows it as text.
pub fn message_text(text: &str) -> Result<String, MessageProblem> {
    let text = text.trim().replace("\r\n", "\n");
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\t'))
    {
        return Err(MessageProblem::ControlCharacters);
    }
    if text.is_empty() {
        return Err(MessageProblem::Empty);
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(MessageProblem::TooLong);
    }
    Ok(text)
}

/// The escalation phrases (`phrases`, as admins keep them) found in `text`, each once, in the
/// order of the list. Matched on word boundaries, ignoring case, punctuation and apostrophes
/// ("hes outside" finds "he's outside").
pub fn escalation_words<'a>(text: &str, phrases: &'a [String]) -> Vec<&'a str> {
    let folded = fold(text);
    phrases
        .iter()
        .filter(|phrase| {
            let phrase = fold(phrase);
            phrase.trim() != "" && folded.contains(&phrase)
        })
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_checked() {
        assert_eq!(message_text("  hello\r\nthere "), Ok("hello\nthere".into()));
        assert_eq!(message_text("   "), Err(MessageProblem::Empty));
        assert_eq!(
            message_text(&"a".repeat(2_001)),
            Err(MessageProblem::TooLong)
        );
        assert_eq!(message_text(&"é".repeat(2_000)).map(|t| t.len()), Ok(4_000));
        assert_eq!(
            message_text("bell\u{7}"),
            Err(MessageProblem::ControlCharacters)
        );
        assert_eq!(
            message_text("<script>alert(1)</script>"),
            Ok("<script>alert(1)</script>".into())
        );
    }

    #[test]
    fn escalation_finds_phrases_on_word_boundaries() {
        let phrases: Vec<String> = ["help me", "he's outside", "knife", "kill myself"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            escalation_words("Please HELP ME, hes outside!!", &phrases),
            vec!["help me", "he's outside"]
        );
        assert!(escalation_words("I was helped by meeting them", &phrases).is_empty());
        assert!(escalation_words("knifes and forks", &phrases).is_empty());
        assert_eq!(
            escalation_words("I want to kill\nmyself", &phrases),
            vec!["kill myself"]
        );
    }

    #[test]
    fn kinds_states_and_authors_read_back() {
        for kind in [ConversationKind::Chat, ConversationKind::Reply] {
            assert_eq!(ConversationKind::parse(kind.as_str()), Some(kind));
        }
        for state in [
            ConversationState::Waiting,
            ConversationState::Open,
            ConversationState::Closed,
        ] {
            assert_eq!(ConversationState::parse(state.as_str()), Some(state));
        }
        for author in [
            Author::Resident,
            Author::Operator,
            Author::Note,
            Author::System,
        ] {
            assert_eq!(Author::parse(author.as_str()), Some(author));
        }
        assert!(!Author::Note.shown_to_resident());
        assert_eq!(outcome_words("advice-given"), Some("Advice given"));
        assert_eq!(outcome_words("nonsense"), None);
    }
}

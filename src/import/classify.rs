//! Matching what an old service called things to Beacon's catalogue: its providers' names to
//! today's providers, its message types and categories to ours, and, where a source gives no
//! message type, one inferred from the words of the alert.

/// What a provider's name in an old service means today.
pub enum ProviderMatch {
    /// The force itself ("The Police"): whichever provider the import is told is the force.
    Police,
    /// A provider by its catalogue slug.
    Slug(&'static str),
    /// A name Beacon does not know.
    Unknown,
}

/// Names old services used, lower-cased, and the provider each now is. Action Fraud and the
/// National Fraud Intelligence Bureau became Report Fraud in 2025.
const PROVIDER_NAMES: [(&str, &str); 8] = [
    ("action fraud", "report-fraud"),
    ("actionfraud", "report-fraud"),
    ("nfib", "report-fraud"),
    ("national fraud intelligence bureau", "report-fraud"),
    ("report fraud", "report-fraud"),
    ("neighbourhood watch", "neighbourhood-watch"),
    ("trading standards", "trading-standards"),
    ("fire and rescue", "cambridgeshire-fire-and-rescue"),
];

/// Which provider a source's provider name means.
pub fn provider(name: &str) -> ProviderMatch {
    let lower = name.to_lowercase();
    if let Some((_, slug)) = PROVIDER_NAMES.iter().find(|(n, _)| lower.contains(n)) {
        return ProviderMatch::Slug(slug);
    }
    if lower == "the police"
        || lower == "police"
        || lower.ends_with("constabulary")
        || lower.ends_with(" police")
    {
        return ProviderMatch::Police;
    }
    ProviderMatch::Unknown
}

/// A provider named inside a heading ("ECops – ActionFraud – Pensions"), if any.
pub fn provider_in_heading(heading: &str) -> Option<String> {
    let lower = heading.to_lowercase();
    PROVIDER_NAMES
        .iter()
        .find(|(n, _)| lower.contains(n))
        .map(|(n, _)| match *n {
            "actionfraud" | "action fraud" => "Action Fraud".to_owned(),
            other => title_case(other),
        })
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// Message type labels and categories sources use, lower-cased, with our slug for each.
const TYPE_LABELS: [(&str, &str); 22] = [
    ("scam warning", "scam-warning"),
    ("scam and fraud warning", "scam-warning"),
    ("scam alert", "scam-warning"),
    ("fraud", "scam-warning"),
    ("fraud warning", "scam-warning"),
    ("scams", "scam-warning"),
    ("appeal", "appeal"),
    ("appeal for information", "appeal"),
    ("witness appeal", "appeal"),
    ("crime update", "crime-update"),
    ("crime alert", "crime-update"),
    ("crime prevention", "crime-prevention"),
    ("crime prevention advice", "crime-prevention"),
    ("advice", "crime-prevention"),
    ("community news", "community-news"),
    ("news", "community-news"),
    ("newsletter", "newsletter"),
    ("road safety", "road-safety"),
    ("roads policing", "road-safety"),
    ("missing person", "missing-person"),
    ("missing", "missing-person"),
    ("wanted", "appeal"),
];

/// Our message type for a label a source gives ("scam warning", "Category: Crime Prevention").
pub fn message_type_label(label: &str) -> Option<&'static str> {
    let lower = label.trim().trim_end_matches(':').to_lowercase();
    TYPE_LABELS
        .iter()
        .find(|(l, _)| *l == lower)
        .map(|(_, slug)| *slug)
}

/// Words that suggest each message type, most specific first. A word in the title counts three
/// times as much as one in the body.
const TYPE_WORDS: [(&str, &[&str]); 7] = [
    (
        "missing-person",
        &[
            "missing person",
            "last seen",
            "have you seen",
            "concern for",
        ],
    ),
    (
        "appeal",
        &[
            "appeal",
            "witness",
            "anyone with information",
            "any information",
            "come forward",
            "dashcam",
            "footage",
            "quote reference",
        ],
    ),
    (
        "scam-warning",
        &[
            "scam",
            "fraud",
            "phishing",
            "quishing",
            "fake text",
            "cold call",
            "doorstep crime",
            "rogue trader",
            "too good to be true",
        ],
    ),
    (
        "road-safety",
        &[
            "speeding",
            "drink driving",
            "drink-driving",
            "road safety",
            "collision",
            "designated driver",
            "speedwatch",
        ],
    ),
    (
        "crime-update",
        &[
            "arrested",
            "charged",
            "sentenced",
            "jailed",
            "burglaries",
            "thefts",
            "stolen",
            "investigation",
            "warrant",
        ],
    ),
    (
        "crime-prevention",
        &[
            "protect your",
            "protect yourself",
            "prevention",
            "secure",
            "security",
            "lock ",
            "tips",
            "advice",
            "keep your",
        ],
    ),
    (
        "newsletter",
        &["newsletter", "edition", "podcast", "survey", "sign up"],
    ),
];

/// The message type the words of an alert suggest, if any do; "community-news" otherwise.
pub fn infer_message_type(title: &str, body: &str) -> &'static str {
    let title = title.to_lowercase();
    let body = body.to_lowercase();
    let mut best = ("community-news", 0usize);
    for (slug, words) in TYPE_WORDS {
        let score: usize = words
            .iter()
            .map(|w| 3 * title.matches(w).count() + body.matches(w).count())
            .sum();
        if score > best.1 {
            best = (slug, score);
        }
    }
    best.0
}

/// A heading's own words, without the service's name ("ECops – Drink driving" is "Drink
/// driving"; "Keep safe – ECops" is "Keep safe"). `None` when nothing is left but the service's
/// name or a generic label ("ECops", "E-Cops Bulletin", "Crime Update from eCops").
pub fn heading_title(heading: &str) -> Option<String> {
    let mut rest = heading.trim();
    loop {
        let before = rest;
        if let Some(stripped) = strip_service_prefix(rest) {
            rest = stripped;
        }
        if let Some(stripped) = strip_service_suffix(rest) {
            rest = stripped;
        }
        if rest == before {
            break;
        }
    }
    let rest = rest.trim_matches(|c: char| c == '–' || c == '-' || c == '—' || c.is_whitespace());
    let lower = rest.to_lowercase();
    let generic = lower.is_empty()
        || is_service_name(rest)
        || lower == "bulletin"
        || lower.starts_with("crime update from")
        || lower == "update";
    (!generic).then(|| rest.to_owned())
}

/// Words that may follow the service's name in a heading without saying what it is about
/// ("E-Cops Bulletin", "eCops Crime Update"), longest first where one starts another.
const GENERIC_HEADING_WORDS: [&str; 10] = [
    "bulletin",
    "alerts",
    "alert",
    "update",
    "message",
    "newsletter",
    "news",
    "crime",
    "community",
    "weekly",
];

/// "ecops", "e-cops", "e cops", "E-COPS Bulletin", "eCops Crime Update", "Neighbourhood Alert":
/// the service's name alone or with generic words after it.
fn is_service_name(text: &str) -> bool {
    let squashed: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if squashed == "neighbourhoodalert" || squashed.starts_with("crimeupdatefrom") {
        return squashed.ends_with("ecops") || squashed == "neighbourhoodalert";
    }
    let Some(mut rest) = squashed.strip_prefix("ecops") else {
        return false;
    };
    while let Some(word) = GENERIC_HEADING_WORDS.iter().find(|w| rest.starts_with(*w)) {
        rest = &rest[word.len()..];
    }
    rest.is_empty()
}

/// Whether a line is the heading an eCops export puts above each alert: the service's name,
/// alone ("ECops", "e-cops bulletin") or with a topic after a dash or colon ("E-Cops – Door to
/// Door Sellers", "eCops: Scam warning"), or after the topic ("Keep safe – ECops"), with any
/// date at the end. Markdown or bold marks around it do not matter.
pub fn is_service_heading(line: &str) -> bool {
    const MAX_HEADING_CHARS: usize = 150;
    let line = line
        .trim()
        .trim_start_matches('#')
        .trim_matches(|c: char| c == '*' || c == '_' || c.is_whitespace());
    if line.is_empty() || line.chars().count() > MAX_HEADING_CHARS {
        return false;
    }
    let (_, line) = super::trailing_date(line);
    is_service_name(line.trim_end_matches([':', ' ', '–', '-', '—']))
        || strip_service_prefix(line).is_some()
        || strip_service_suffix(line).is_some()
}

fn strip_service_prefix(text: &str) -> Option<&str> {
    // The service's own name may hold a hyphen ("E-Cops - Booking.com"): try each separator.
    text.char_indices()
        .filter(|&(_, c)| matches!(c, '–' | '—' | '-' | ':' | '|'))
        .find(|&(i, _)| is_service_name(text[..i].trim()))
        .map(|(i, c)| text[i + c.len_utf8()..].trim())
}

fn strip_service_suffix(text: &str) -> Option<&str> {
    let (head, tail) = text.rsplit_once(['–', '—'])?;
    is_service_name(tail.trim()).then(|| head.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_old_provider_names() {
        assert!(matches!(
            provider("Action Fraud (NFIB)"),
            ProviderMatch::Slug("report-fraud")
        ));
        assert!(matches!(provider("The Police"), ProviderMatch::Police));
        assert!(matches!(
            provider("Cambridgeshire Constabulary"),
            ProviderMatch::Police
        ));
        assert!(matches!(
            provider("Neighbourhood Watch"),
            ProviderMatch::Slug("neighbourhood-watch")
        ));
        assert!(matches!(provider("Parish Council"), ProviderMatch::Unknown));
        assert_eq!(
            provider_in_heading("ECops – ActionFraud – Pensions").as_deref(),
            Some("Action Fraud")
        );
    }

    #[test]
    fn strips_the_service_name_from_headings() {
        assert_eq!(
            heading_title("ECops – Winter Fuel Allowance Scam").as_deref(),
            Some("Winter Fuel Allowance Scam")
        );
        assert_eq!(
            heading_title("E-Cops -Booking.com").as_deref(),
            Some("Booking.com")
        );
        assert_eq!(
            heading_title("Keep your home safe from burglars this Christmas – ECops").as_deref(),
            Some("Keep your home safe from burglars this Christmas")
        );
        assert_eq!(
            heading_title("Safer Cambs – Live Web Chat").as_deref(),
            Some("Safer Cambs – Live Web Chat")
        );
        assert_eq!(heading_title("ECops"), None);
        assert_eq!(heading_title("E-Cops Bulletin"), None);
        assert_eq!(heading_title("Crime Update from eCops"), None);
    }

    #[test]
    fn infers_message_types_from_words() {
        assert_eq!(
            infer_message_type("WhatsApp Scam", "criminals pretend to be family"),
            "scam-warning"
        );
        assert_eq!(
            infer_message_type(
                "Drink driving: We need your help",
                "designated driver scheme"
            ),
            "road-safety"
        );
        assert_eq!(
            infer_message_type("Four further arrests", "men have been arrested and charged"),
            "crime-update"
        );
        assert_eq!(
            infer_message_type("Hello", "nothing here"),
            "community-news"
        );
        assert_eq!(message_type_label("Scam warning"), Some("scam-warning"));
        assert_eq!(message_type_label("Category: x"), None);
    }
}

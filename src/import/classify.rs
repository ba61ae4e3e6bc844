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
        || is_service_name(&lower)
        || lower == "bulletin"
        || lower.starts_with("crime update from")
        || lower == "update";
    (!generic).then(|| rest.to_owned())
}

/// "ecops", "e-cops", "e cops", "e-cops bulletin", lower-cased.
fn is_service_name(lower: &str) -> bool {
    let squashed: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    matches!(
        squashed.as_str(),
        "ecops" | "ecopsbulletin" | "ecopsalert" | "neighbourhoodalert"
    )
}

fn strip_service_prefix(text: &str) -> Option<&str> {
    // The service's own name may hold a hyphen ("E-Cops - Booking.com"): try each dash.
    text.char_indices()
        .filter(|&(_, c)| matches!(c, '–' | '—' | '-'))
        .find(|&(i, _)| is_service_name(&text[..i].trim().to_lowercase()))
        .map(|(i, c)| text[i + c.len_utf8()..].trim())
}

fn strip_service_suffix(text: &str) -> Option<&str> {
    let (head, tail) = text.rsplit_once(['–', '—'])?;
    is_service_name(&tail.trim().to_lowercase()).then(|| head.trim())
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

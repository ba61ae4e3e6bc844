//! The gazetteer: towns and villages of Great Britain by name (GeoNames, bundled from
//! `data/places-gb.csv`), for centring a circle target on a place a sender types and for spotting
//! the places an alert's text names, so the composer can suggest a target that covers them.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Serialize;

use super::grid::{grid_distance, wgs84_to_bng};

const PLACES_CSV: &str = include_str!("../../data/places-gb.csv");

/// A named town or village with its position both ways: WGS84 for maps, grid metres for targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// "England", "Scotland", "Wales" (and "Northern Ireland": the source includes some, though
    /// their grid position is only an extrapolation of Great Britain's grid).
    pub country_part: String,
    /// The county or unitary authority ("Cambridgeshire"), empty where the source has none.
    pub admin_area: String,
    pub easting: f64,
    pub northing: f64,
}

/// Gazetteer names that are also everyday English words. At the start of a sentence their
/// capital letter proves nothing ("March saw a rise in thefts", "Over the past week"), so there
/// they are not taken as places; anywhere else a capitalised "March" or "Eye" is the town.
/// Kept to words an alert might plausibly open a sentence with.
const COMMON_WORDS: [&str; 25] = [
    "ash", "battle", "box", "bury", "church", "deal", "dollar", "eye", "fleet", "hook", "hope",
    "march", "mere", "moss", "over", "par", "reading", "sale", "sandy", "send", "stone", "street",
    "ware", "wing", "wool",
];

/// Small words that join the parts of a name ("Stoke-on-Trent", "Ashby-de-la-Zouch"). The source
/// capitalises a few of them oddly ("Berwick-Upon-Tweed"), so they match in either case.
const JOINING_WORDS: [&str; 12] = [
    "on", "upon", "in", "the", "of", "le", "by", "under", "next", "de", "la", "en",
];

/// All the places, in the order of the bundled file.
pub fn gazetteer() -> &'static [Place] {
    &index().places
}

/// The places called `name`, however it is typed: case, spacing, hyphens and apostrophes do not
/// matter, and "St", "St." and "Saint" are the same word ("st neots" finds Saint Neots,
/// "kings lynn" finds King's Lynn). Several places share some names (there are five Newports).
pub fn find(name: &str) -> Vec<&'static Place> {
    let index = index();
    let key = name_key(name);
    index
        .by_key
        .get(&key)
        .map(|positions| {
            positions
                .iter()
                .filter_map(|&i| index.places.get(i))
                .collect()
        })
        .unwrap_or_default()
}

/// The place called `name` nearest a grid position (say, the centre of the force area, about E
/// 540000 N 270000): the March in Cambridgeshire, not some other.
pub fn find_near(name: &str, easting: f64, northing: f64) -> Option<&'static Place> {
    find(name).into_iter().min_by(|a, b| {
        let da = grid_distance(a.easting, a.northing, easting, northing);
        let db = grid_distance(b.easting, b.northing, easting, northing);
        da.total_cmp(&db)
    })
}

/// The gazetteer places that `text` names and that lie within `within_m` metres of `near`
/// (easting, northing), each once, in order of first mention.
///
/// Names are matched as whole words and must be capitalised as the gazetteer capitalises them,
/// so "in March" finds the Fenland town and "in march" does not; "Meldreth's" counts as
/// Meldreth, and multi-word names may be spaced or hyphenated either way ("Stoke on Trent").
/// The longest name wins ("Great Shelford" before any "Shelford"). A name in [`COMMON_WORDS`]
/// is ignored at the start of a sentence or line.
pub fn detect(text: &str, near: (f64, f64), within_m: f64) -> Vec<&'static Place> {
    let index = index();
    let tokens = tokenise(text);
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut position = 0;
    while let Some(token) = tokens.get(position) {
        let matched = index.by_first_word.get(&token.key).and_then(|candidates| {
            candidates
                .iter()
                .find(|c| matches_at(text, &tokens, position, &c.words))
        });
        let Some(candidate) = matched else {
            position += 1;
            continue;
        };
        let at_sentence_start = starts_sentence(text, token.start);
        let common_word = candidate.words.len() == 1 && COMMON_WORDS.contains(&token.key.as_str());
        if !(common_word && at_sentence_start) {
            let mut nearby: Vec<(f64, usize)> = candidate
                .places
                .iter()
                .filter_map(|&i| {
                    let place = index.places.get(i)?;
                    let distance = grid_distance(place.easting, place.northing, near.0, near.1);
                    (distance <= within_m).then_some((distance, i))
                })
                .collect();
            nearby.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (_, i) in nearby {
                if seen.insert(i) {
                    if let Some(place) = index.places.get(i) {
                        found.push(place);
                    }
                }
            }
        }
        position += candidate.words.len();
    }
    found
}

/// A circle (centre easting, centre northing, radius in metres) around all `points` with
/// `margin_m` to spare, and never smaller than `margin_m`: the suggested target for the places an
/// alert names. Centred on the points' bounding box, which is within a few percent of the
/// smallest circle for the handful of villages an alert names. `None` without any finite points.
pub fn covering_circle(points: &[(f64, f64)], margin_m: f64) -> Option<(f64, f64, f64)> {
    let finite: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|(e, n)| e.is_finite() && n.is_finite())
        .collect();
    let &(e0, n0) = finite.first()?;
    let (mut min_e, mut min_n, mut max_e, mut max_n) = (e0, n0, e0, n0);
    for &(e, n) in &finite {
        min_e = min_e.min(e);
        min_n = min_n.min(n);
        max_e = max_e.max(e);
        max_n = max_n.max(n);
    }
    let (centre_e, centre_n) = ((min_e + max_e) / 2.0, (min_n + max_n) / 2.0);
    let furthest = finite
        .iter()
        .map(|&(e, n)| grid_distance(e, n, centre_e, centre_n))
        .fold(0.0, f64::max);
    let margin = if margin_m.is_finite() {
        margin_m.max(0.0)
    } else {
        0.0
    };
    Some((centre_e, centre_n, (furthest + margin).max(margin)))
}

// ---------------------------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------------------------

struct Index {
    places: Vec<Place>,
    /// Places by normalised name ("st neots").
    by_key: HashMap<String, Vec<usize>>,
    /// Distinct names by their first normalised word, longest names first, for detection.
    by_first_word: HashMap<String, Vec<Candidate>>,
}

/// One distinct name as it appears in the gazetteer, and the places that have it.
struct Candidate {
    words: Vec<NameWord>,
    places: Vec<usize>,
}

struct NameWord {
    key: String,
    /// Whether the gazetteer capitalises it ("Stoke", but not "on" in "Stoke-on-Trent", nor any
    /// of the [`JOINING_WORDS`]): a capitalised word must be capitalised in the text too.
    capitalised: bool,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| build_index(parse_places(PLACES_CSV)))
}

/// Reads `name,latitude,longitude,country_part,admin_area` rows. The file is compiled in and the
/// tests check every row is read, so a bad row is skipped rather than failing at run time.
fn parse_places(csv_text: &str) -> Vec<Place> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let mut places = Vec::new();
    for record in reader.records().flatten() {
        let field = |i: usize| record.get(i).unwrap_or_default();
        let (Ok(latitude), Ok(longitude)) = (field(1).parse::<f64>(), field(2).parse::<f64>())
        else {
            continue;
        };
        if field(0).is_empty() || !latitude.is_finite() || !longitude.is_finite() {
            continue;
        }
        let (easting, northing) = wgs84_to_bng(latitude, longitude);
        places.push(Place {
            name: field(0).to_owned(),
            latitude,
            longitude,
            country_part: field(3).to_owned(),
            admin_area: field(4).to_owned(),
            easting,
            northing,
        });
    }
    places
}

fn build_index(places: Vec<Place>) -> Index {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, place) in places.iter().enumerate() {
        by_key.entry(name_key(&place.name)).or_default().push(i);
        by_name.entry(place.name.as_str()).or_default().push(i);
    }
    let mut by_first_word: HashMap<String, Vec<Candidate>> = HashMap::new();
    for (name, positions) in by_name {
        let words: Vec<NameWord> = name_words(name)
            .enumerate()
            .map(|(position, word)| {
                let key = word_key(word);
                let joining = position > 0 && JOINING_WORDS.contains(&key.as_str());
                NameWord {
                    capitalised: !joining && word.chars().next().is_some_and(char::is_uppercase),
                    key,
                }
            })
            .filter(|w| !w.key.is_empty())
            .collect();
        let Some(first) = words.first() else { continue };
        by_first_word
            .entry(first.key.clone())
            .or_default()
            .push(Candidate {
                words,
                places: positions,
            });
    }
    for candidates in by_first_word.values_mut() {
        candidates.sort_by_key(|c| std::cmp::Reverse(c.words.len()));
    }
    Index {
        places,
        by_key,
        by_first_word,
    }
}

/// The words of a name, split at spaces and hyphens.
fn name_words(name: &str) -> impl Iterator<Item = &str> {
    name.split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
}

/// One word compared without case, apostrophes or full stops, with "Saint" as "St".
fn word_key(word: &str) -> String {
    let key: String = word
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    if key == "saint" {
        "st".to_owned()
    } else {
        key
    }
}

/// A whole name compared the same way: "King's Lynn", "kings  lynn" and "Kings-Lynn" all give
/// "kings lynn".
fn name_key(name: &str) -> String {
    name_words(name)
        .map(word_key)
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Reading free text
// ---------------------------------------------------------------------------------------------

/// A word of the alert text, with where it is.
struct Token {
    start: usize,
    end: usize,
    key: String,
    /// The key without a possessive "'s" ("meldreth" for "Meldreth's"), when there is one.
    base: Option<String>,
    capitalised: bool,
}

/// Splits text into words: runs of letters and digits, with apostrophes inside a word kept
/// ("King's").
fn tokenise(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            let apostrophe_inside = matches!(next, '\'' | '’')
                && text
                    .get(i + next.len_utf8()..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(char::is_alphanumeric);
            if next.is_alphanumeric() || apostrophe_inside {
                end = i + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let word = text.get(start..end).unwrap_or_default();
        let base = ["'s", "’s", "'S", "’S"]
            .iter()
            .find_map(|suffix| word.strip_suffix(suffix))
            .map(word_key);
        tokens.push(Token {
            start,
            end,
            key: word_key(word),
            base,
            capitalised: c.is_uppercase(),
        });
    }
    tokens
}

/// Whether the name `words` is written at `tokens[first..]`: each word the same (the last may be
/// possessive), capitalised where the name is, and joined only by spaces, a hyphen, or the full
/// stop of "St.".
fn matches_at(text: &str, tokens: &[Token], first: usize, words: &[NameWord]) -> bool {
    let count = words.len();
    for (offset, word) in words.iter().enumerate() {
        let Some(token) = tokens.get(first + offset) else {
            return false;
        };
        let last = offset + 1 == count;
        let same = token.key == word.key || (last && token.base.as_deref() == Some(&word.key));
        if !same || (word.capitalised && !token.capitalised) {
            return false;
        }
        if offset > 0 {
            let Some(previous) = tokens.get(first + offset - 1) else {
                return false;
            };
            let gap = text.get(previous.end..token.start).unwrap_or_default();
            if !joins_name(gap, &previous.key) {
                return false;
            }
        }
    }
    true
}

/// Whether the text between two words of a name can be inside the name: spaces (one line break
/// at most, as a wrapped line), a hyphen, or the full stop after "St".
fn joins_name(gap: &str, previous_key: &str) -> bool {
    let gap = if previous_key == "st" {
        gap.strip_prefix('.').unwrap_or(gap)
    } else {
        gap
    };
    let hyphens = gap.chars().filter(|&c| c == '-').count();
    let line_breaks = gap.chars().filter(|&c| c == '\n').count();
    !gap.is_empty()
        && gap.chars().all(|c| c.is_whitespace() || c == '-')
        && hyphens <= 1
        && line_breaks <= 1
}

/// Whether the word at byte `start` begins a sentence or a line (ignoring Markdown markers,
/// quotes and brackets before it).
fn starts_sentence(text: &str, start: usize) -> bool {
    let before = text.get(..start).unwrap_or_default();
    let previous = before
        .chars()
        .rev()
        .find(|&c| !(c == ' ' || c == '\t' || "*_#>-+\"'“‘([".contains(c)));
    match previous {
        None => true,
        Some(c) => matches!(c, '.' | '!' | '?' | '\n' | '\r'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Roughly the middle of Cambridgeshire Constabulary's force area.
    const FORCE_CENTRE: (f64, f64) = (540_000.0, 270_000.0);
    const FORTY_KM: f64 = 40_000.0;

    fn names(places: &[&Place]) -> Vec<String> {
        places.iter().map(|p| p.name.clone()).collect()
    }

    #[test]
    fn the_whole_gazetteer_is_read() {
        let places = gazetteer();
        // 3,636 data rows in data/places-gb.csv; none may be lost to a parsing slip.
        assert_eq!(places.len(), 3_636);
        for place in places {
            assert!(!place.name.is_empty());
            assert!(
                place.easting.is_finite() && place.northing.is_finite(),
                "{place:?}"
            );
        }
        let melbourn = find("Melbourn");
        assert_eq!(melbourn.len(), 1);
        let m = melbourn[0];
        assert_eq!((m.latitude, m.longitude), (52.08128, 0.01514));
        assert_eq!(m.admin_area, "Cambridgeshire");
        // PROJ puts 52.08128N 0.01514E at 538183.759 E 244462.486 N (see geo::grid's tests).
        assert!((m.easting - 538_183.759).abs() < 1.0 && (m.northing - 244_462.486).abs() < 1.0);
    }

    #[test]
    fn names_are_found_however_they_are_typed() {
        for typed in [
            "great stukeley",
            "GREAT STUKELEY",
            " Great  Stukeley ",
            "Great-Stukeley",
        ] {
            assert_eq!(names(&find(typed)), ["Great Stukeley"], "{typed}");
        }
        assert_eq!(names(&find("kings lynn")), ["King's Lynn"]);
        assert_eq!(names(&find("King’s Lynn")), ["King's Lynn"]);
        assert_eq!(names(&find("St Neots")), ["Saint Neots"]);
        assert_eq!(names(&find("St. Neots")), ["Saint Neots"]);
        assert_eq!(names(&find("stoke on trent")), ["Stoke-on-Trent"]);
        assert!(find("Nowhere-in-Particular").is_empty());
        assert!(find("").is_empty());
        assert!(find("  -- ' ").is_empty());
    }

    #[test]
    fn ambiguous_names_give_every_place_and_the_nearest_can_be_chosen() {
        let newports = find("Newport");
        assert_eq!(newports.len(), 5);
        let nearest = find_near("Newport", FORCE_CENTRE.0, FORCE_CENTRE.1).unwrap();
        assert_eq!(nearest.admin_area, "East Riding of Yorkshire");
        let march = find_near("march", FORCE_CENTRE.0, FORCE_CENTRE.1).unwrap();
        assert_eq!(march.admin_area, "Cambridgeshire");
        assert_eq!(find_near("Nowhere", 0.0, 0.0), None);
    }

    #[test]
    fn the_villages_in_a_real_alert_are_found_where_the_gazetteer_has_them() {
        let sentence = "There have been a number of catalytic converter thefts in the villages of \
                        Meldreth, Foxton, Melbourn, Eltisley and Great Shelford over the past week";
        let found = detect(sentence, FORCE_CENTRE, FORTY_KM);
        // Foxton, Eltisley and Great Shelford have under about 1,000 people and are not in the
        // GeoNames extract; "over" is lower case, so the Cheshire village of Over is not meant.
        assert_eq!(names(&found), ["Meldreth", "Melbourn"]);
        for missing in ["Foxton", "Eltisley", "Great Shelford"] {
            assert!(
                find(missing).is_empty(),
                "{missing} is now in the gazetteer"
            );
        }
    }

    #[test]
    fn proper_nouns_only() {
        let found = detect("Thefts in March and Chatteris", FORCE_CENTRE, FORTY_KM);
        assert_eq!(names(&found), ["March", "Chatteris"]);
        assert!(detect("thefts in march and chatteris", FORCE_CENTRE, FORTY_KM).is_empty());
        // "Marching" and "Elyse" are not March and Ely.
        assert!(detect("Marching near Elyse", FORCE_CENTRE, FORTY_KM).is_empty());
    }

    #[test]
    fn common_words_at_the_start_of_a_sentence_are_not_places() {
        let text = "March saw a rise in thefts in Ely. Over the past week, more in March.\n\
                    Eye witnesses came forward in Eye";
        let found = detect(text, FORCE_CENTRE, FORTY_KM);
        assert_eq!(names(&found), ["Ely", "March", "Eye"]);
        // Ely is a city, not a common word: a sentence may start with it.
        assert_eq!(
            names(&detect("Ely had three.", FORCE_CENTRE, FORTY_KM)),
            ["Ely"]
        );
        assert_eq!(
            names(&detect("- March\n- Chatteris", FORCE_CENTRE, FORTY_KM)),
            ["Chatteris"]
        );
    }

    #[test]
    fn multi_word_hyphenated_and_possessive_names_are_found() {
        let text = "In Hemingford Grey, Little Paxton and St. Neots; also St Neots again, \
                    Papworth Everard's shop and Eaton Socon.";
        let found = detect(text, FORCE_CENTRE, FORTY_KM);
        assert_eq!(
            names(&found),
            [
                "Hemingford Grey",
                "Little Paxton",
                "Saint Neots",
                "Papworth Everard",
                "Eaton Socon"
            ]
        );
        let stoke = find_near("Stoke-on-Trent", 0.0, 0.0).unwrap();
        let near_stoke = (stoke.easting, stoke.northing);
        for text in [
            "Thefts in Stoke-on-Trent.",
            "Thefts in Stoke on Trent.",
            "Thefts in Stoke-on-Trent's centre.",
        ] {
            assert_eq!(
                names(&detect(text, near_stoke, 1_000.0)),
                ["Stoke-on-Trent"],
                "{text}"
            );
        }
        let berwick = find_near("Berwick-Upon-Tweed", 0.0, 0.0).unwrap();
        for text in ["Seen in Berwick-upon-Tweed", "Seen in Berwick Upon Tweed"] {
            let found = detect(text, (berwick.easting, berwick.northing), 1_000.0);
            assert_eq!(names(&found), ["Berwick-Upon-Tweed"], "{text}");
        }
        let lynn = find_near("King's Lynn", 0.0, 0.0).unwrap();
        for text in [
            "Seen in King's Lynn",
            "Seen in King’s Lynn",
            "Seen in Kings Lynn",
        ] {
            let found = detect(text, (lynn.easting, lynn.northing), 1_000.0);
            assert_eq!(names(&found), ["King's Lynn"], "{text}");
        }
    }

    #[test]
    fn only_places_within_range_count_and_each_once() {
        // St Ives in the gazetteer is the Cornish town; the Cambridgeshire one is not in it.
        assert!(detect("Thefts in St Ives", FORCE_CENTRE, FORTY_KM).is_empty());
        let text = "Melbourn, then Meldreth, then Melbourn again and Royston";
        let found = detect(text, FORCE_CENTRE, FORTY_KM);
        assert_eq!(names(&found), ["Melbourn", "Meldreth", "Royston"]);
        assert!(detect(text, FORCE_CENTRE, 1_000.0).is_empty());
        assert!(detect("", FORCE_CENTRE, FORTY_KM).is_empty());
    }

    #[test]
    fn detection_never_panics_on_odd_text() {
        let pieces = [
            "March", "St", ".", "'", "’", "s", " ", "\n", "-", "Stoke", "on", "Trent", "é", "🚓",
            "King", "Lynn", "Great", "Shelford", "\r\n", "#", "*",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..300 {
            let mut text = String::new();
            for _ in 0..(state % 50) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = usize::try_from(state % pieces.len() as u64).unwrap_or(0);
                text.push_str(pieces.get(index).copied().unwrap_or(""));
            }
            let _ = detect(&text, FORCE_CENTRE, f64::INFINITY);
            let _ = detect(&text, (f64::NAN, f64::NAN), FORTY_KM);
        }
    }

    #[test]
    fn a_covering_circle_holds_every_point_with_a_margin() {
        let villages: Vec<(f64, f64)> = detect(
            "Meldreth, Melbourn, Royston and Bassingbourn",
            FORCE_CENTRE,
            FORTY_KM,
        )
        .iter()
        .map(|p| (p.easting, p.northing))
        .collect();
        assert_eq!(villages.len(), 4);
        let (e, n, radius) = covering_circle(&villages, 1_000.0).unwrap();
        for &(pe, pn) in &villages {
            assert!(grid_distance(e, n, pe, pn) + 1_000.0 <= radius + 1e-6);
        }
        assert!(radius < 10_000.0, "{radius}");

        assert_eq!(
            covering_circle(&[(538_000.0, 244_000.0)], 2_000.0),
            Some((538_000.0, 244_000.0, 2_000.0))
        );
        assert_eq!(covering_circle(&[], 2_000.0), None);
        assert_eq!(covering_circle(&[(f64::NAN, 1.0)], 2_000.0), None);
        assert_eq!(
            covering_circle(&[(0.0, 0.0), (f64::INFINITY, 0.0)], f64::NAN),
            Some((0.0, 0.0, 0.0))
        );
    }
}

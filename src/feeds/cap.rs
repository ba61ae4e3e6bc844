//! OASIS Common Alerting Protocol 1.2 messages, one per public alert, for the systems that gather
//! and pass on official warnings. Written by hand in the order the schema requires, and checked
//! against the OASIS schema itself (`tests/support/CAP-v1.2.xsd`) by the tests below.
//!
//! CAP describes an area as the union of everything in it and has no way to leave a part out, so
//! the area given here may be larger than the one residents were chosen from, never smaller:
//! excluded shapes and the holes in polygons are left out (the `areaDesc` words still say
//! "excluding ..."), and a polygon is given by its outline alone.

use super::{alert_url, host, push_element, uk_time, AlertText};
use crate::geo::districts::FORCE_DISTRICTS;
use crate::geo::grid::bng_to_wgs84;
use crate::geo::target::{AreaTarget, Shape};
use crate::store::PublicAlert;

const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// CAP asks for headlines of at most 160 characters (what fits a text message or a pager).
const HEADLINE_CHARS: usize = 160;

/// The `valueName` of a geocode holding an ONS (GSS) local authority district code, "E07000012".
/// No UK-wide CAP profile names one, so this says what it is in the ONS's own terms.
pub const DISTRICT_GEOCODE: &str = "ONS_LAD";

/// The CAP 1.2 message for a sent public alert.
///
/// `original` is the alert a follow-up updates or withdraws: with it, the message refers to the
/// original's CAP message (`references`), which consumers need to replace or withdraw it. Without
/// it (the original is no longer public), the follow-up still says Update or Cancel but cannot
/// point at what it follows. `sender` identifies this installation ("alerts@alerts.example.org");
/// spaces, commas and the characters `<` and `&` are removed from it, as CAP forbids them.
pub fn cap(
    alert: &PublicAlert,
    original: Option<&PublicAlert>,
    base_url: &str,
    sender: &str,
) -> String {
    let sender = cap_token(sender);
    let msg_type = msg_type(alert);
    let text = AlertText::of(alert);
    let mut out = String::with_capacity(2048 + alert.body_markdown.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<alert xmlns=\"{CAP_NAMESPACE}\">\n"));
    push_element(
        &mut out,
        "  ",
        "identifier",
        &identifier(base_url, alert.id),
    );
    push_element(&mut out, "  ", "sender", &sender);
    push_element(&mut out, "  ", "sent", &uk_time(alert.sent_at));
    push_element(&mut out, "  ", "status", "Actual");
    push_element(&mut out, "  ", "msgType", msg_type);
    push_element(&mut out, "  ", "scope", "Public");
    if let (Some(original), true) = (original, msg_type != "Alert") {
        debug_assert_eq!(alert.follows_alert_id, Some(original.id));
        let reference = format!(
            "{sender},{},{}",
            identifier(base_url, original.id),
            uk_time(original.sent_at)
        );
        push_element(&mut out, "  ", "references", &reference);
    }

    out.push_str("  <info>\n");
    let info = "    ";
    push_element(&mut out, info, "language", "en-GB");
    for category in categories(alert) {
        push_element(&mut out, info, "category", category.as_str());
    }
    push_element(&mut out, info, "event", &alert.message_type_name);
    let (urgency, severity, certainty) = urgency_severity_certainty(alert);
    push_element(&mut out, info, "urgency", urgency);
    push_element(&mut out, info, "severity", severity);
    push_element(&mut out, info, "certainty", certainty);
    push_element(&mut out, info, "senderName", &alert.provider_name);
    push_element(&mut out, info, "headline", &headline(&alert.title));
    push_element(&mut out, info, "description", text.body.text.trim());
    push_element(&mut out, info, "web", &alert_url(base_url, alert.id));
    push_element(&mut out, info, "contact", &contact(alert));
    push_area(&mut out, alert);
    out.push_str("  </info>\n");
    out.push_str("</alert>\n");
    out
}

/// The message's identifier, unique to this installation and alert: "alerts.example.org-alert-42".
fn identifier(base_url: &str, id: i64) -> String {
    cap_token(&format!("{}-alert-{id}", host(base_url)))
}

/// CAP's identifiers and senders may not contain spaces, commas, `<` or `&`.
fn cap_token(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ',' | '<' | '&'))
        .collect()
}

/// Alert, or Update / Cancel for a follow-up (a withdrawn alert is a Cancel).
fn msg_type(alert: &PublicAlert) -> &'static str {
    match (alert.follows_alert_id, alert.follow_up.as_deref()) {
        (Some(_), Some("cancel")) => "Cancel",
        (Some(_), _) => "Update",
        (None, _) => "Alert",
    }
}

/// The CAP event categories Beacon's alerts fall under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    /// General public safety: advice on staying safe.
    Safety,
    /// Law enforcement: crime, appeals, fraud.
    Security,
    /// Rescue and recovery: finding missing people.
    Rescue,
    Fire,
    Transport,
    Met,
    Health,
    Other,
}

impl Category {
    fn as_str(self) -> &'static str {
        match self {
            Category::Safety => "Safety",
            Category::Security => "Security",
            Category::Rescue => "Rescue",
            Category::Fire => "Fire",
            Category::Transport => "Transport",
            Category::Met => "Met",
            Category::Health => "Health",
            Category::Other => "Other",
        }
    }
}

/// The categories of an alert: its message type's, and Fire for anything a fire and rescue
/// service sends (instead of Other, or as well as the message type's own).
///
/// | message type                    | category  |
/// |---------------------------------|-----------|
/// | crime-update, appeal            | Security  |
/// | scam-warning                    | Security  (fraud is crime; Report Fraud is law enforcement) |
/// | crime-prevention                | Safety    |
/// | road-safety                     | Transport |
/// | missing-person                  | Rescue    |
/// | community-news, newsletter      | Other     |
///
/// Message types added later are judged by the words in their slug (missing, fire, road or
/// traffic, flood or weather, health, scam, fraud or crime), and are Other failing those.
fn categories(alert: &PublicAlert) -> Vec<Category> {
    let own = message_type_category(&alert.message_type_slug);
    if !alert.provider_slug.contains("fire") {
        return vec![own];
    }
    match own {
        Category::Other | Category::Fire => vec![Category::Fire],
        own => vec![own, Category::Fire],
    }
}

fn message_type_category(slug: &str) -> Category {
    match slug {
        "crime-update" | "appeal" | "scam-warning" => Category::Security,
        "crime-prevention" => Category::Safety,
        "road-safety" => Category::Transport,
        "missing-person" => Category::Rescue,
        "community-news" | "newsletter" => Category::Other,
        slug => {
            let has = |words: &[&str]| words.iter().any(|w| slug.contains(w));
            if has(&["missing"]) {
                Category::Rescue
            } else if has(&["fire"]) {
                Category::Fire
            } else if has(&["road", "traffic"]) {
                Category::Transport
            } else if has(&["flood", "weather"]) {
                Category::Met
            } else if has(&["health"]) {
                Category::Health
            } else if has(&["scam", "fraud", "crime"]) {
                Category::Security
            } else {
                Category::Other
            }
        }
    }
}

/// How urgent, severe and certain an alert is, from its priority and message type.
///
/// | priority | urgency   | severity |
/// |----------|-----------|----------|
/// | 1        | Immediate | Severe   |
/// | 2        | Expected  | Moderate |
/// | 3        | Expected  | Minor    |
/// | 4, 5     | Future    | Minor    |
///
/// Advice and news (crime-prevention, community-news, newsletter) describe no threat, so their
/// severity is Minor whatever the priority. Certainty: Observed for what has happened
/// (crime-update, appeal, missing-person), Likely for warnings (scam-warning, road-safety),
/// Unknown otherwise.
fn urgency_severity_certainty(alert: &PublicAlert) -> (&'static str, &'static str, &'static str) {
    let (urgency, severity) = match alert.priority {
        i64::MIN..=1 => ("Immediate", "Severe"),
        2 => ("Expected", "Moderate"),
        3 => ("Expected", "Minor"),
        _ => ("Future", "Minor"),
    };
    let slug = alert.message_type_slug.as_str();
    let severity = match slug {
        "crime-prevention" | "community-news" | "newsletter" => "Minor",
        _ => severity,
    };
    let certainty = match slug {
        "crime-update" | "appeal" | "missing-person" => "Observed",
        "scam-warning" | "road-safety" => "Likely",
        _ => "Unknown",
    };
    (urgency, severity, certainty)
}

/// The title, cut to CAP's 160 characters with an ellipsis when longer.
fn headline(title: &str) -> String {
    let title = title.trim();
    if title.chars().count() <= HEADLINE_CHARS {
        return title.to_owned();
    }
    let mut cut: String = title.chars().take(HEADLINE_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Who sent it, from the sign-off: "Lucy Ward (Cambridgeshire Constabulary, Communications
/// Assistant, Peterborough and Fenland)"; the organisation's name when the sign-off is empty.
fn contact(alert: &PublicAlert) -> String {
    let [_, name, details] = alert.signoff.lines();
    let who = format!("{name} {details}").trim().to_owned();
    if who.is_empty() {
        alert.provider_name.clone()
    } else {
        who
    }
}

/// The `area` block: the words, then a polygon for each included polygon's outline, a circle
/// for each included circle, and a geocode for each district included whole. An alert whose
/// target cannot be read (an imported alert), or gives no shape, is described by its districts.
fn push_area(out: &mut String, alert: &PublicAlert) {
    let indent = "      ";
    out.push_str("    <area>\n");
    let words = alert.area.trim();
    push_element(
        out,
        indent,
        "areaDesc",
        if words.is_empty() {
            "Not stated"
        } else {
            words
        },
    );

    let target: Option<AreaTarget> = serde_json::from_str(&alert.target_json).ok();
    let include = target.as_ref().map_or(&[][..], |t| &t.include[..]);
    let polygons: Vec<String> = include
        .iter()
        .filter_map(|shape| match shape {
            Shape::Polygon { rings } => rings.first().and_then(|outline| cap_polygon(outline)),
            _ => None,
        })
        .collect();
    let circles: Vec<String> = include
        .iter()
        .filter_map(|shape| match shape {
            Shape::Circle {
                easting,
                northing,
                radius_m,
                ..
            } => cap_circle(*easting, *northing, *radius_m),
            _ => None,
        })
        .collect();
    let mut districts = target.as_ref().map(whole_districts).unwrap_or_default();
    if polygons.is_empty() && circles.is_empty() && districts.is_empty() {
        districts.clone_from(&alert.district_codes);
    }

    for polygon in &polygons {
        push_element(out, indent, "polygon", polygon);
    }
    for circle in &circles {
        push_element(out, indent, "circle", circle);
    }
    for code in &districts {
        out.push_str(indent);
        out.push_str("<geocode>\n");
        push_element(out, "        ", "valueName", DISTRICT_GEOCODE);
        push_element(out, "        ", "value", code);
        out.push_str(indent);
        out.push_str("</geocode>\n");
    }
    out.push_str("    </area>\n");
}

/// The districts a target includes whole (the force area, chosen districts) and does not
/// exclude whole. Districts that a circle or polygon merely touches are not among them: CAP
/// would read a geocode as the whole district being in the area.
fn whole_districts(target: &AreaTarget) -> Vec<String> {
    let codes_of = |shapes: &[Shape]| -> Vec<String> {
        let mut codes = Vec::new();
        for shape in shapes {
            match shape {
                Shape::ForceArea => codes.extend(FORCE_DISTRICTS.iter().map(|c| (*c).to_owned())),
                Shape::Districts { codes: chosen } => codes.extend(chosen.iter().cloned()),
                Shape::Circle { .. } | Shape::Polygon { .. } => {}
            }
        }
        codes
    };
    let excluded = codes_of(&target.exclude);
    let mut included: Vec<String> = Vec::new();
    for code in codes_of(&target.include) {
        if !excluded.contains(&code) && !included.contains(&code) {
            included.push(code);
        }
    }
    included
}

/// A grid position as CAP's "latitude,longitude" in WGS84, to five decimal places (about a
/// metre, finer than the conversion's accuracy); `None` off the map.
fn cap_point(easting: f64, northing: f64) -> Option<String> {
    let position = bng_to_wgs84(easting, northing);
    (position.latitude.is_finite() && position.longitude.is_finite())
        .then(|| format!("{:.5},{:.5}", position.latitude, position.longitude))
}

/// A ring as CAP's polygon: at least four points, the first repeated at the end.
fn cap_polygon(ring: &[[f64; 2]]) -> Option<String> {
    let mut points = ring
        .iter()
        .map(|&[easting, northing]| cap_point(easting, northing))
        .collect::<Option<Vec<String>>>()?;
    if points.first() != points.last() {
        points.push(points[0].clone());
    }
    (points.len() >= 4).then(|| points.join(" "))
}

/// A circle as CAP's "latitude,longitude radius", the radius in kilometres.
fn cap_circle(easting: f64, northing: f64, radius_m: f64) -> Option<String> {
    if !(radius_m.is_finite() && radius_m >= 0.0) {
        return None;
    }
    let km = format!("{:.3}", radius_m / 1000.0);
    let km = km.trim_end_matches('0').trim_end_matches('.');
    Some(format!("{} {km}", cap_point(easting, northing)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::MESSAGE_TYPES;
    use crate::feeds::test_support::{
        alert, assert_valid_cap, target, BASE, SENDER, SUMMER, WINTER,
    };

    /// The text of every `<name>` element, in order (enough for the flat documents made here).
    fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let mut found = Vec::new();
        let mut rest = xml;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start + open.len()..];
            let end = after.find(&close).expect("a closing tag");
            found.push(&after[..end]);
            rest = &after[end + close.len()..];
        }
        found
    }

    fn only<'a>(xml: &'a str, name: &str) -> &'a str {
        let found = elements(xml, name);
        assert_eq!(found.len(), 1, "one <{name}> in\n{xml}");
        found[0]
    }

    fn districts_alert() -> PublicAlert {
        let mut a = alert(2, "Scam calls claiming to be from your bank");
        a.message_type_slug = "scam-warning".into();
        a.message_type_name = "Scam and fraud warning".into();
        a.area = "South Cambridgeshire and Cambridge".into();
        a.target_json = target(
            vec![Shape::Districts {
                codes: vec!["E07000012".into(), "E07000008".into()],
            }],
            vec![],
        );
        a.district_codes = vec!["E07000008".into(), "E07000012".into()];
        a
    }

    fn circle_alert() -> PublicAlert {
        let mut a = alert(3, "Missing: Tom, 14, from Melbourn");
        a.message_type_slug = "missing-person".into();
        a.message_type_name = "Missing person".into();
        a.priority = 1;
        a.area = "Within 5 km of Melbourn".into();
        a.target_json = target(
            vec![Shape::Circle {
                easting: 538_150.0,
                northing: 244_850.0,
                radius_m: 5_000.0,
                label: "Melbourn".into(),
            }],
            vec![],
        );
        a.district_codes = vec!["E07000012".into(), "E07000099".into()];
        a
    }

    fn square(e: f64, n: f64, side: f64) -> Vec<[f64; 2]> {
        vec![
            [e, n],
            [e + side, n],
            [e + side, n + side],
            [e, n + side],
            [e, n],
        ]
    }

    fn polygon_alert() -> PublicAlert {
        let mut a = alert(4, "Road closed: Hills Road");
        a.message_type_slug = "road-safety".into();
        a.message_type_name = "Road safety".into();
        a.priority = 3;
        a.area = "The area drawn round the station".into();
        a.target_json = target(
            vec![Shape::Polygon {
                rings: vec![
                    square(545_000.0, 256_000.0, 2_000.0),
                    square(545_500.0, 256_500.0, 500.0),
                ],
            }],
            vec![],
        );
        a.district_codes = vec!["E07000008".into()];
        a
    }

    fn follow_up(id: i64, of: &PublicAlert, kind: &str) -> PublicAlert {
        let mut a = of.clone();
        a.id = id;
        a.title = format!("{kind}: {}", of.title);
        a.sent_at = of.sent_at + 3_600;
        a.follows_alert_id = Some(of.id);
        a.follow_up = Some(kind.to_owned());
        a
    }

    #[test]
    fn every_kind_of_alert_is_valid_cap_1_2() {
        let force = alert(1, "Sheds broken into in Whittlesey");
        let circle = circle_alert();
        let update = follow_up(5, &circle, "update");
        let cancel = follow_up(6, &circle, "cancel");
        let mut mixed = districts_alert();
        mixed.target_json = target(
            vec![
                Shape::Districts {
                    codes: vec!["E07000012".into()],
                },
                Shape::Circle {
                    easting: 520_000.0,
                    northing: 300_000.0,
                    radius_m: 1_500.0,
                    label: "Ramsey".into(),
                },
            ],
            vec![Shape::Circle {
                easting: 535_700.0,
                northing: 240_500.0,
                radius_m: 2_000.0,
                label: "Royston".into(),
            }],
        );
        let mut imported = alert(7, "An alert from the old system");
        imported.target_json = String::new();
        imported.imported_from = Some("neighbourhood-alert".into());
        let mut awkward = alert(8, "Fish & chips <shop> \"raid\" 'again'\u{1} 🚓");
        awkward.body_markdown = "Control\u{0}characters\u{1b} & <b>tags</b> ]]> stay text".into();
        awkward.area = String::new();
        awkward.signoff.name = String::new();
        awkward.provider_slug = "cambridgeshire-fire-and-rescue".into();
        awkward.priority = 9;

        let messages = [
            cap(&force, None, BASE, SENDER),
            cap(&districts_alert(), None, BASE, SENDER),
            cap(&circle, None, BASE, SENDER),
            cap(&polygon_alert(), None, BASE, SENDER),
            cap(&update, Some(&circle), BASE, SENDER),
            cap(&cancel, Some(&circle), BASE, SENDER),
            cap(&cancel, None, BASE, SENDER),
            cap(&mixed, None, BASE, SENDER),
            cap(&imported, None, BASE, SENDER),
            cap(&awkward, None, BASE, "alerts @example.org, <&"),
        ];
        for message in &messages {
            assert_valid_cap(message);
        }
        assert_eq!(
            only(&messages[9], "headline"),
            "Fish &amp; chips &lt;shop&gt; &quot;raid&quot; &apos;again&apos; 🚓"
        );
        assert_eq!(only(&messages[9], "sender"), "alerts@example.org");
    }

    #[test]
    fn sent_is_uk_time_with_an_offset_never_z() {
        let mut a = alert(1, "Winter");
        a.sent_at = WINTER;
        let winter = cap(&a, None, BASE, SENDER);
        assert_eq!(only(&winter, "sent"), "2026-11-22T02:10:00+00:00");
        a.sent_at = SUMMER;
        let summer = cap(&a, None, BASE, SENDER);
        assert_eq!(only(&summer, "sent"), "2026-07-01T10:00:00+01:00");
        for message in [winter, summer] {
            assert!(!only(&message, "sent").ends_with('Z'));
        }
    }

    #[test]
    fn an_alert_says_who_sent_it_and_where_to_read_it() {
        let message = cap(&alert(42, "Sheds broken into"), None, BASE, SENDER);
        assert!(message.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">"));
        assert_eq!(only(&message, "identifier"), "alerts.example.org-alert-42");
        assert_eq!(only(&message, "sender"), SENDER);
        assert_eq!(only(&message, "status"), "Actual");
        assert_eq!(only(&message, "msgType"), "Alert");
        assert_eq!(only(&message, "scope"), "Public");
        assert!(elements(&message, "references").is_empty());
        assert_eq!(only(&message, "language"), "en-GB");
        assert_eq!(only(&message, "event"), "Crime update");
        assert_eq!(only(&message, "senderName"), "Cambridgeshire Constabulary");
        assert_eq!(
            only(&message, "web"),
            "https://alerts.example.org/alerts/42"
        );
        assert_eq!(
            only(&message, "contact"),
            "Lucy Ward (Cambridgeshire Constabulary, Communications Assistant, Peterborough and \
             Fenland)"
        );
        let description = only(&message, "description");
        assert!(
            description.starts_with("Two sheds were broken into on Mill Lane overnight."),
            "{description}"
        );
        assert!(!description.contains("**"), "{description}");
    }

    #[test]
    fn follow_ups_refer_to_the_original_message() {
        let original = circle_alert();
        let original_cap = cap(&original, None, BASE, SENDER);
        let expected = format!(
            "{},{},{}",
            only(&original_cap, "sender"),
            only(&original_cap, "identifier"),
            only(&original_cap, "sent")
        );
        assert_eq!(
            expected,
            "alerts@alerts.example.org,alerts.example.org-alert-3,2026-11-22T02:10:00+00:00"
        );

        let update = cap(
            &follow_up(5, &original, "update"),
            Some(&original),
            BASE,
            SENDER,
        );
        assert_eq!(only(&update, "msgType"), "Update");
        assert_eq!(only(&update, "references"), expected);
        assert_eq!(only(&update, "identifier"), "alerts.example.org-alert-5");

        let withdrawn = follow_up(6, &original, "cancel");
        let cancel = cap(&withdrawn, Some(&original), BASE, SENDER);
        assert_eq!(only(&cancel, "msgType"), "Cancel");
        assert_eq!(only(&cancel, "references"), expected);

        let orphan = cap(&withdrawn, None, BASE, SENDER);
        assert_eq!(only(&orphan, "msgType"), "Cancel");
        assert!(elements(&orphan, "references").is_empty());
    }

    fn points(polygon: &str) -> Vec<(f64, f64)> {
        polygon
            .split(' ')
            .map(|point| {
                let (lat, lon) = point.split_once(',').unwrap();
                assert_eq!(lat.split_once('.').unwrap().1.len(), 5, "{point}");
                assert_eq!(lon.split_once('.').unwrap().1.len(), 5, "{point}");
                (lat.parse().unwrap(), lon.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn a_polygon_is_its_outline_in_latitude_longitude() {
        let message = cap(&polygon_alert(), None, BASE, SENDER);
        let polygon = only(&message, "polygon");
        let corners = points(polygon);
        assert_eq!(corners.len(), 5);
        assert_eq!(corners.first(), corners.last());
        for (lat, lon) in corners {
            // Cambridge: about 52.19 N, 0.14 E.
            assert!((52.1..52.3).contains(&lat), "{polygon}");
            assert!((0.0..0.3).contains(&lon), "{polygon}");
        }
        assert!(elements(&message, "circle").is_empty());
        assert!(
            elements(&message, "geocode").is_empty(),
            "a drawn shape is not a whole district:\n{message}"
        );
        assert_eq!(
            only(&message, "areaDesc"),
            "The area drawn round the station"
        );
        assert_eq!(only(&message, "category"), "Transport");
    }

    #[test]
    fn an_open_ring_is_closed() {
        let mut ring = square(545_000.0, 256_000.0, 2_000.0);
        ring.pop();
        let corners = points(&cap_polygon(&ring).unwrap());
        assert_eq!(corners.len(), 5);
        assert_eq!(corners.first(), corners.last());
        assert_eq!(cap_polygon(&ring[..2]), None);
    }

    #[test]
    fn a_circle_is_its_centre_and_radius_in_km() {
        let message = cap(&circle_alert(), None, BASE, SENDER);
        let circle = only(&message, "circle");
        let (centre, radius) = circle.split_once(' ').unwrap();
        assert_eq!(radius, "5");
        let (lat, lon) = points(centre)[0];
        // Melbourn: about 52.08 N, 0.02 E.
        assert!((52.0..52.15).contains(&lat), "{circle}");
        assert!((-0.05..0.1).contains(&lon), "{circle}");
        assert!(elements(&message, "polygon").is_empty());
        assert!(
            elements(&message, "geocode").is_empty(),
            "the districts a circle touches are not all in it:\n{message}"
        );
        assert_eq!(
            cap_circle(538_150.0, 244_850.0, 1_250.0)
                .unwrap()
                .split(' ')
                .nth(1),
            Some("1.25")
        );
    }

    #[test]
    fn whole_districts_are_geocodes() {
        let message = cap(&districts_alert(), None, BASE, SENDER);
        assert_eq!(elements(&message, "valueName"), ["ONS_LAD", "ONS_LAD"]);
        assert_eq!(elements(&message, "value"), ["E07000012", "E07000008"]);

        let force = cap(&alert(1, "Force-wide"), None, BASE, SENDER);
        assert_eq!(elements(&force, "value"), FORCE_DISTRICTS);

        let mut all_but_cambridge = alert(1, "Not Cambridge");
        all_but_cambridge.target_json = target(
            vec![Shape::ForceArea],
            vec![Shape::Districts {
                codes: vec!["E07000008".into()],
            }],
        );
        let message = cap(&all_but_cambridge, None, BASE, SENDER);
        assert_eq!(elements(&message, "value").len(), 5);
        assert!(!elements(&message, "value").contains(&"E07000008"));

        let mut imported = alert(1, "Imported");
        imported.target_json = "not json".into();
        imported.district_codes = vec!["E07000011".into()];
        let message = cap(&imported, None, BASE, SENDER);
        assert_eq!(elements(&message, "value"), ["E07000011"]);
    }

    #[test]
    fn message_types_map_to_cap_categories() {
        let category = |message_type: &str, provider: &str| {
            let mut a = alert(1, "x");
            a.message_type_slug = message_type.into();
            a.provider_slug = provider.into();
            categories(&a)
                .into_iter()
                .map(Category::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let police = "cambridgeshire-constabulary";
        let expected = [
            ("crime-update", "Security"),
            ("appeal", "Security"),
            ("scam-warning", "Security"),
            ("crime-prevention", "Safety"),
            ("community-news", "Other"),
            ("newsletter", "Other"),
            ("road-safety", "Transport"),
            ("missing-person", "Rescue"),
        ];
        assert_eq!(expected.len(), MESSAGE_TYPES.len());
        for (slug, cap_category) in expected {
            assert!(MESSAGE_TYPES.iter().any(|t| t.slug == slug), "{slug}");
            assert_eq!(category(slug, police), cap_category, "{slug}");
        }
        let fire = "cambridgeshire-fire-and-rescue";
        assert_eq!(category("community-news", fire), "Fire");
        assert_eq!(category("crime-prevention", fire), "Safety Fire");
        assert_eq!(category("flood-warning", police), "Met");
        assert_eq!(category("wildfire", police), "Fire");
        assert_eq!(category("bin-collections", police), "Other");
    }

    #[test]
    fn priority_and_message_type_set_urgency_severity_certainty() {
        let judge = |message_type: &str, priority: i64| {
            let mut a = alert(1, "x");
            a.message_type_slug = message_type.into();
            a.priority = priority;
            urgency_severity_certainty(&a)
        };
        assert_eq!(
            judge("crime-update", 1),
            ("Immediate", "Severe", "Observed")
        );
        assert_eq!(
            judge("missing-person", 1),
            ("Immediate", "Severe", "Observed")
        );
        assert_eq!(judge("appeal", 2), ("Expected", "Moderate", "Observed"));
        assert_eq!(judge("scam-warning", 3), ("Expected", "Minor", "Likely"));
        assert_eq!(judge("road-safety", 4), ("Future", "Minor", "Likely"));
        assert_eq!(judge("newsletter", 5), ("Future", "Minor", "Unknown"));
        assert_eq!(
            judge("crime-prevention", 1),
            ("Immediate", "Minor", "Unknown")
        );
        assert_eq!(judge("community-news", 2), ("Expected", "Minor", "Unknown"));
    }

    #[test]
    fn long_titles_are_cut_to_a_headline() {
        let title = "Burglary ".repeat(30);
        let message = cap(&alert(1, &title), None, BASE, SENDER);
        let headline = only(&message, "headline");
        assert_eq!(headline.chars().count(), HEADLINE_CHARS);
        assert!(headline.ends_with(" Burgla…"), "{headline}");
        assert_eq!(super::headline("  Short  "), "Short");
    }
}

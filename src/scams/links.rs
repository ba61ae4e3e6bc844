//! Links in a message, and what is wrong with them: a brand's name in an address that is not the
//! brand's own ("evri-redelivery.com"), a claim to be government off gov.uk ("gov-uk-refund.com"),
//! a shortened link that hides where it goes, a bare number address, the cheap endings scammers
//! favour, and an email whose sender's name is a brand its address does not belong to.

use std::sync::LazyLock;

use regex::Regex;

use super::message::Reading;
use super::signs::Found;
use super::ScamKind;

/// A link or address found in [`Reading::folded`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Link {
    /// Lower case, without `www.`: "evri-redelivery.com".
    pub host: String,
    /// Where the whole link is, in the folded text.
    pub at: std::ops::Range<usize>,
    /// Whether it is the domain of an email address (`…@host`).
    pub email: bool,
}

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:https?://|www\.)[^\s<>\x22'(){}\[\]|\\^]+",
        r"|(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+[a-z]{2,24}(?:/[^\s<>\x22'(){}\[\]]*)?",
    ))
    .expect("the link pattern compiles")
});

/// Endings accepted for a bare domain (one written without http:// or www.). English words that
/// are also endings ("at", "in", "it", "me", "no", "to", "us") are left out: "home.at" is more
/// likely a typo than an address.
const BARE_ENDINGS: &[&str] = &[
    "com", "net", "org", "uk", "info", "biz", "io", "app", "xyz", "top", "icu", "live", "click",
    "shop", "online", "site", "buzz", "vip", "cfd", "sbs", "cyou", "rest", "support", "help",
    "link", "win", "bid", "loan", "work", "cc", "tk", "ml", "ga", "cf", "gq", "pw", "eu", "de",
    "fr", "ru", "cn", "ly", "gl", "gd", "gy", "tv", "ai", "pl", "es", "nl", "ie", "ch", "au", "ca",
    "nz", "pro", "club", "store", "tech", "space", "website", "fun", "today", "services", "cloud",
    "digital", "page", "dev", "news", "ws", "su", "mobi", "name", "one", "life", "world", "zone",
    "email", "delivery", "finance", "bond", "quest", "lat", "autos", "ink", "run", "wiki", "sh",
    "im", "to", "me", "co", "at", "is", "vn", "id", "ph", "br", "in",
];

/// Endings that are also common English words: accepted for a bare domain only after a dotted
/// shortener or when the part before is itself a brand or a long word.
const WORDLIKE_ENDINGS: &[&str] = &["to", "me", "co", "at", "is", "in", "id"];

/// Endings that cost almost nothing to register and are used heavily in scam texts.
const CHEAP_ENDINGS: &[&str] = &[
    "top", "xyz", "icu", "info", "live", "click", "shop", "online", "site", "buzz", "vip", "cfd",
    "sbs", "cyou", "rest", "support", "help", "link", "win", "bid", "loan", "work", "tk", "ml",
    "ga", "cf", "gq", "pw", "su", "mobi", "life", "world", "zone", "bond", "quest", "lat", "autos",
    "delivery", "finance", "email", "today", "club", "store", "fun", "ws",
];

const SHORTENERS: &[&str] = &[
    "bit.ly",
    "tinyurl.com",
    "t.co",
    "goo.gl",
    "ow.ly",
    "is.gd",
    "rb.gy",
    "cutt.ly",
    "shorturl.at",
    "t.ly",
    "tiny.cc",
    "rebrand.ly",
    "buff.ly",
    "s.id",
    "v.gd",
    "shorturl.gg",
    "qrco.de",
    "tiny.one",
    "urlz.fr",
    "lnkd.in",
    "surl.li",
    "clck.ru",
    "short.gy",
    "bl.ink",
];

/// A brand scammers imitate: the words that name it in an address, its real domains, and the kind
/// of scam that uses its name.
struct Brand {
    name: &'static str,
    keys: &'static [&'static str],
    official: &'static [&'static str],
    kind: ScamKind,
}

const GOV: &[&str] = &["gov.uk"];

#[rustfmt::skip]
const BRANDS: &[Brand] = &[
    Brand { name: "Evri", keys: &["evri", "hermes"], official: &["evri.com", "myhermes.co.uk", "hermes-europe.co.uk"], kind: ScamKind::ParcelDelivery },
    Brand { name: "Royal Mail", keys: &["royalmail", "royalmai1", "rmail"], official: &["royalmail.com", "royalmail.co.uk", "royalmailgroup.com"], kind: ScamKind::ParcelDelivery },
    Brand { name: "DPD", keys: &["dpd"], official: &["dpd.co.uk", "dpd.com", "dpdlocal.co.uk"], kind: ScamKind::ParcelDelivery },
    Brand { name: "DHL", keys: &["dhl"], official: &["dhl.com", "dhl.co.uk", "dhlparcel.co.uk"], kind: ScamKind::ParcelDelivery },
    Brand { name: "Parcelforce", keys: &["parcelforce"], official: &["parcelforce.com"], kind: ScamKind::ParcelDelivery },
    Brand { name: "Yodel", keys: &["yodel"], official: &["yodel.co.uk"], kind: ScamKind::ParcelDelivery },
    Brand { name: "UPS", keys: &["ups"], official: &["ups.com"], kind: ScamKind::ParcelDelivery },
    Brand { name: "FedEx", keys: &["fedex"], official: &["fedex.com"], kind: ScamKind::ParcelDelivery },
    Brand { name: "InPost", keys: &["inpost"], official: &["inpost.co.uk"], kind: ScamKind::ParcelDelivery },
    Brand { name: "the Post Office", keys: &["postoffice"], official: &["postoffice.co.uk"], kind: ScamKind::ParcelDelivery },
    Brand { name: "HMRC", keys: &["hmrc"], official: GOV, kind: ScamKind::GovernmentTaxBenefit },
    Brand { name: "the DVLA", keys: &["dvla"], official: GOV, kind: ScamKind::GovernmentTaxBenefit },
    Brand { name: "the DWP", keys: &["dwp"], official: GOV, kind: ScamKind::GovernmentTaxBenefit },
    Brand { name: "the NHS", keys: &["nhs"], official: &["nhs.uk", "nhs.net"], kind: ScamKind::GovernmentTaxBenefit },
    Brand { name: "TV Licensing", keys: &["tvlicens", "tvlicenc"], official: &["tvlicensing.co.uk"], kind: ScamKind::GovernmentTaxBenefit },
    Brand { name: "Ofgem", keys: &["ofgem"], official: &["ofgem.gov.uk"], kind: ScamKind::GovernmentTaxBenefit },
    Brand { name: "the DVSA", keys: &["dvsa"], official: GOV, kind: ScamKind::FinesAndTolls },
    Brand { name: "Facebook", keys: &["facebook", "instagram", "metaappeal", "metasupport", "metabusiness"], official: &["facebook.com", "fb.com", "meta.com", "instagram.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "Transport for London", keys: &["tfl", "ulez"], official: &["tfl.gov.uk"], kind: ScamKind::FinesAndTolls },
    Brand { name: "Dart Charge", keys: &["dartcharge", "dartford"], official: GOV, kind: ScamKind::FinesAndTolls },
    Brand { name: "PayPal", keys: &["paypal", "paypa1"], official: &["paypal.com", "paypal.co.uk", "paypal.me"], kind: ScamKind::AccountPhishing },
    Brand { name: "Amazon", keys: &["amazon", "amzn", "arnazon"], official: &["amazon.co.uk", "amazon.com", "amazon.de", "amzn.to", "amzn.eu", "amazon.jobs"], kind: ScamKind::AccountPhishing },
    Brand { name: "Netflix", keys: &["netflix", "netf1ix"], official: &["netflix.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "Apple", keys: &["apple", "icloud", "itunes"], official: &["apple.com", "icloud.com", "apple.co"], kind: ScamKind::AccountPhishing },
    Brand { name: "Microsoft", keys: &["microsoft", "office365", "msonline"], official: &["microsoft.com", "microsoftonline.com", "office.com", "live.com", "outlook.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "WhatsApp", keys: &["whatsapp"], official: &["whatsapp.com", "whatsapp.net", "wa.me"], kind: ScamKind::AccountPhishing },
    Brand { name: "Barclays", keys: &["barclays"], official: &["barclays.co.uk", "barclays.com", "barclaycard.co.uk"], kind: ScamKind::AccountPhishing },
    Brand { name: "HSBC", keys: &["hsbc"], official: &["hsbc.co.uk", "hsbc.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "Lloyds Bank", keys: &["lloyds"], official: &["lloydsbank.com", "lloydsbank.co.uk", "lloydsbankinggroup.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "NatWest", keys: &["natwest"], official: &["natwest.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "Santander", keys: &["santander"], official: &["santander.co.uk", "santander.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "Nationwide", keys: &["nationwide"], official: &["nationwide.co.uk"], kind: ScamKind::AccountPhishing },
    Brand { name: "Halifax", keys: &["halifax"], official: &["halifax.co.uk", "halifax-online.co.uk"], kind: ScamKind::AccountPhishing },
    Brand { name: "Monzo", keys: &["monzo"], official: &["monzo.com", "monzo.me"], kind: ScamKind::AccountPhishing },
    Brand { name: "Starling Bank", keys: &["starling"], official: &["starlingbank.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "TSB", keys: &["tsb"], official: &["tsb.co.uk"], kind: ScamKind::AccountPhishing },
    Brand { name: "eBay", keys: &["ebay"], official: &["ebay.co.uk", "ebay.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "Vodafone", keys: &["vodafone"], official: &["vodafone.co.uk", "vodafone.com"], kind: ScamKind::AccountPhishing },
    Brand { name: "British Gas", keys: &["britishgas"], official: &["britishgas.co.uk"], kind: ScamKind::AccountPhishing },
    Brand { name: "Booking.com", keys: &["bookingcom"], official: &["booking.com"], kind: ScamKind::HolidayBooking },
    Brand { name: "Airbnb", keys: &["airbnb"], official: &["airbnb.co.uk", "airbnb.com"], kind: ScamKind::HolidayBooking },
    Brand { name: "Ticketmaster", keys: &["ticketmaster"], official: &["ticketmaster.co.uk", "ticketmaster.com"], kind: ScamKind::PurchaseTicket },
];

/// Finds the links and addresses in the folded text.
pub(crate) fn find(folded: &str) -> Vec<Link> {
    let mut links = Vec::new();
    for found in LINK.find_iter(folded) {
        let raw = found.as_str();
        let explicit = raw.starts_with("http") || raw.starts_with("www.");
        let after = folded[found.end()..].chars().next();
        if after == Some('@') {
            continue; // the part before an email address's @
        }
        let email = folded[..found.start()].ends_with('@');
        let trimmed = raw.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
        let at = found.start()..found.start() + trimmed.len();
        let host = host_of(trimmed);
        if host.is_empty() || !host.contains('.') {
            continue;
        }
        let ending = host.rsplit('.').next().unwrap_or("");
        if !explicit && !email {
            if !BARE_ENDINGS.contains(&ending) {
                continue;
            }
            // "home.in" or "go.to": an English word after a dot is a typo, not an address,
            // unless it is a known shortener or the name before it is long enough to be a site.
            let name = host.rsplit('.').nth(1).unwrap_or("");
            if WORDLIKE_ENDINGS.contains(&ending)
                && !SHORTENERS.contains(&host.as_str())
                && name.len() < 6
            {
                continue;
            }
            if name.chars().all(|c| c.is_ascii_digit()) {
                continue;
            }
        }
        links.push(Link { host, at, email });
    }
    links
}

/// "https://www.Evri-Redelivery.com/track?x" → "evri-redelivery.com"
fn host_of(link: &str) -> String {
    let rest = link
        .strip_prefix("https://")
        .or_else(|| link.strip_prefix("http://"))
        .unwrap_or(link);
    let host = rest
        .split(['/', '?', '#', ':', '\\'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let host = host.trim_end_matches('.');
    host.strip_prefix("www.").unwrap_or(host).to_owned()
}

fn is_on(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

fn is_ip(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
}

/// Whether two words differ by one letter added, dropped, changed or two swapped ("hrmes",
/// "paypa1", "amazom").
fn one_slip_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b || a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let longest = a.len().max(b.len());
    if prefix + suffix + 1 >= longest {
        return true; // one added, dropped or changed
    }
    // Two neighbours swapped.
    a.len() == b.len()
        && prefix + 2 <= a.len()
        && a[prefix] == b[prefix + 1]
        && a[prefix + 1] == b[prefix]
        && a[prefix + 2..] == b[prefix + 2..]
}

/// The brand a host names, or nearly names, without being the brand's own, if any.
fn imitated_brand(host: &str) -> Option<&'static Brand> {
    let squashed: String = host.chars().filter(|c| *c != '.' && *c != '-').collect();
    let tokens: Vec<&str> = host.split(['.', '-']).collect();
    BRANDS.iter().find(|brand| {
        let named = brand.keys.iter().any(|key| {
            // A long name anywhere ("myroyalmail-help"); a short one only where a word of the
            // address starts ("dpd-parcel", not "updates"); a long one misspelt by one letter
            // as a word of its own ("hrmes-track").
            let named = if key.len() >= 6 {
                squashed.contains(key)
            } else {
                tokens.iter().any(|t| t.starts_with(key))
            };
            named || (key.len() >= 5 && tokens.iter().any(|t| one_slip_apart(t, key)))
        });
        named && !brand.official.iter().any(|d| is_on(host, d))
    })
}

/// Whether a host claims to be government ("gov-uk-refund.com", "govuk.help") but is not on
/// gov.uk (nor a real public body's own: nhs.uk, police.uk, .gov.uk).
fn fake_government(host: &str) -> bool {
    let tokens: Vec<&str> = host.split(['.', '-']).collect();
    let claims = tokens
        .iter()
        .any(|t| t.starts_with("gov") && !t.starts_with("govern"))
        || host.contains("govuk")
        || tokens.contains(&"government")
        || tokens
            .iter()
            .any(|t| t.starts_with("hmrc") || t.starts_with("dvla"));
    let real = is_on(host, "gov.uk")
        || is_on(host, "nhs.uk")
        || is_on(host, "police.uk")
        || is_on(host, "gov.wales")
        || is_on(host, "gov.scot")
        || host.ends_with(".gov");
    claims && !real
}

/// Public bodies' and reporting services' own addresses, which a message may rightly point to
/// whatever brand it names.
fn public_service(host: &str) -> bool {
    [
        "gov.uk",
        "police.uk",
        "nhs.uk",
        "nhs.net",
        "ncsc.gov.uk",
        "gov.wales",
        "gov.scot",
    ]
    .iter()
    .any(|d| is_on(host, d))
}

/// The brands a message names in its words (as a word of its own: "Royal Mail:", "Evri").
fn brands_named(folded: &str) -> Vec<&'static Brand> {
    BRANDS
        .iter()
        .filter(|brand| {
            let name = brand.name.trim_start_matches("the ").to_lowercase();
            name.len() >= 3 && contains_word(folded, &name)
                || brand
                    .keys
                    .iter()
                    .any(|k| k.len() >= 4 && contains_word(folded, k))
        })
        .collect()
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// The signs the links give.
pub(crate) fn signs(reading: &Reading, links: &[Link]) -> Vec<Found> {
    let named = brands_named(&reading.folded);
    let mut found: Vec<Found> = Vec::new();
    let mut add = |rule: &'static str,
                   says: String,
                   span: std::ops::Range<usize>,
                   weight: f32,
                   kinds: Vec<(ScamKind, f32)>| {
        match found.iter_mut().find(|f| f.rule == rule && f.says == says) {
            Some(same) => same.spans.push(span),
            None => found.push(Found {
                rule,
                says,
                spans: vec![span],
                weight,
                kinds,
                hits: 1,
            }),
        }
    };
    for link in links {
        let host = link.host.as_str();
        let span = reading.span(link.at.clone());
        let what = if link.email {
            format!("an email address at {host}")
        } else {
            format!("a link to {host}")
        };
        let brand = imitated_brand(host);
        if fake_government(host) {
            let kind = brand.map_or(ScamKind::GovernmentTaxBenefit, |b| b.kind);
            add(
                "link-fake-government",
                format!("{what}, which claims to be government but is not on gov.uk"),
                span.clone(),
                3.0,
                vec![(kind, 2.5)],
            );
        } else if let Some(brand) = brand {
            add(
                "link-lookalike",
                format!("{what}, which is not {}'s site", brand.name),
                span.clone(),
                3.0,
                vec![(brand.kind, 2.5)],
            );
        } else if !link.email
            && !public_service(host)
            && !BRANDS
                .iter()
                .any(|b| b.official.iter().any(|d| is_on(host, d)))
        {
            // The message speaks as a brand and links somewhere else.
            if let Some(brand) = named.first() {
                add(
                    "link-elsewhere",
                    format!("{what}, which is not {}'s site", brand.name),
                    span.clone(),
                    2.0,
                    vec![(brand.kind, 1.5)],
                );
            }
        }
        if SHORTENERS.iter().any(|s| is_on(host, s)) {
            add(
                "link-shortened",
                format!("a shortened link ({host}), which hides where it really goes"),
                span.clone(),
                1.2,
                vec![],
            );
        } else if is_ip(host) {
            add(
                "link-ip",
                format!("a link to a bare number address ({host}) rather than a named website"),
                span.clone(),
                2.0,
                vec![],
            );
        } else if brand.is_none() && !fake_government(host) {
            let ending = host.rsplit('.').next().unwrap_or("");
            if CHEAP_ENDINGS.contains(&ending) {
                add(
                    "link-cheap-ending",
                    format!(
                        "{what}: addresses ending .{ending} are cheap to set up and much used by \
                         scammers"
                    ),
                    span,
                    1.0,
                    vec![],
                );
            }
        }
    }
    if let Some(sender) = &reading.sender {
        let claimed = BRANDS.iter().find(|brand| {
            let name: String = sender
                .name
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect();
            brand.keys.iter().any(|key| {
                if key.len() >= 5 {
                    name.contains(key)
                } else {
                    sender
                        .name
                        .split(|c: char| !c.is_alphanumeric())
                        .any(|w| w == *key)
                }
            })
        });
        if let Some(brand) = claimed {
            let domain = sender.domain.as_str();
            if !domain.is_empty() && !brand.official.iter().any(|d| is_on(domain, d)) {
                let mut spans = vec![sender.name_range.clone(), sender.domain_range.clone()];
                spans.retain(|s| !s.is_empty());
                found.push(Found {
                    rule: "sender-mismatch",
                    says: format!(
                        "the sender's name says {}, but the address is at {domain}",
                        brand.name
                    ),
                    spans,
                    weight: 2.5,
                    kinds: vec![(brand.kind, 2.0)],
                    hits: 1,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str) -> Vec<String> {
        find(text).into_iter().map(|l| l.host).collect()
    }

    #[test]
    fn bare_domains_and_full_links_are_found_but_not_ordinary_words() {
        assert_eq!(
            hosts("pay at evri-redelivery.com today, or royalmail.parcel-uk.info or bit.ly/x"),
            ["evri-redelivery.com", "royalmail.parcel-uk.info", "bit.ly"]
        );
        assert_eq!(hosts("see https://www.gov.uk/tax."), ["gov.uk"]);
        assert!(hosts("it costs £1.45, e.g. at 10.30am. mr.smith said ok.so").is_empty());
        assert_eq!(
            hosts("write to report@phishing.gov.uk"),
            ["phishing.gov.uk"]
        );
    }

    #[test]
    fn a_brand_off_its_own_domain_is_a_lookalike_and_its_own_is_not() {
        assert_eq!(
            imitated_brand("evri-redelivery.com").map(|b| b.name),
            Some("Evri")
        );
        assert_eq!(
            imitated_brand("royalmail.parcel-uk.info").map(|b| b.name),
            Some("Royal Mail")
        );
        assert!(imitated_brand("evri.com").is_none());
        assert!(imitated_brand("track.royalmail.com").is_none());
        assert!(imitated_brand("updates.example.com").is_none());
        assert_eq!(
            imitated_brand("hrmes-track.top").map(|b| b.name),
            Some("Evri")
        );
        assert_eq!(
            imitated_brand("paypa1-login.com").map(|b| b.name),
            Some("PayPal")
        );
        assert!(imitated_brand("homes-track.com").is_none());
        assert!(fake_government("gov-uk-refund.com"));
        assert!(fake_government("hmrc-rebate.co"));
        assert!(!fake_government("www.gov.uk"));
        assert!(!fake_government("tax.service.gov.uk"));
    }
}

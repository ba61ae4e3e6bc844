//! The domain: Beacon's types and rules, with no I/O. Values are validated once, at the edge, into
//! newtypes (`Postcode`, `EmailAddress`, `MobileNumber`) and trusted from then on.

pub mod alert;
pub mod catalogue;
pub mod conversation;
pub mod email;
pub mod mask;
pub mod mobile;
pub mod postcode;
pub mod report;
pub mod scheme;
pub mod staff;
pub mod subscriber;
pub mod survey;

pub use catalogue::{MessageType, Priority, Provider};
pub use email::EmailAddress;
pub use mobile::MobileNumber;
pub use postcode::Postcode;

/// 8412 as "8,412", for counts a person reads (messages, pages, maps).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A checkbox (present with any value but "false", "off" or "0") or a JSON boolean, for
/// serde's `deserialize_with`: how every form and the JSON API read a yes or no.
pub fn ticked<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Ticked {
        Bool(bool),
        Text(String),
    }
    Ok(
        match <Option<Ticked> as serde::Deserialize>::deserialize(deserializer)? {
            None => false,
            Some(Ticked::Bool(b)) => b,
            Some(Ticked::Text(t)) => !matches!(t.as_str(), "" | "false" | "off" | "0"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(20_000), "20,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}

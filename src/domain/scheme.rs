//! Neighbourhood Watch schemes: a scheme's standing and status, a resident's membership, whom a
//! message is limited to (`Members`), and the checks on what proposers, coordinators and
//! members type. Where a scheme is, its area, is geography: `geo::scheme_area`.

use super::subscriber::FieldErrors;
use super::Postcode;
use serde::Serialize;

/// Longest scheme name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest public description, and longest message to a scheme's coordinators, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Most postcodes a scheme's area may list: a few streets, or a village.
pub const MAX_POSTCODES: usize = 500;
/// Longest name or street a member gives, in characters.
pub const MAX_MEMBER_FIELD_CHARS: usize = 100;

/// A state kept in the database as text: every variant (`ALL`), its `code`, `parse` back, and
/// reading a stored code (an unknown one is an error naming `$what`).
macro_rules! stored_as_text {
    ($type:ident, $what:literal, { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            pub fn code(self) -> &'static str {
                match self {
                    $($type::$variant => $code),+
                }
            }

            pub fn parse(code: &str) -> Option<$type> {
                $type::ALL.iter().copied().find(|s| s.code() == code)
            }
        }

        impl TryFrom<String> for $type {
            type Error = String;

            fn try_from(code: String) -> Result<$type, String> {
                $type::parse(&code).ok_or(format!(concat!($what, " {:?}"), code))
            }
        }
    };
}

/// How far a scheme has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// As its coordinator declared it: nobody has checked it yet.
    SelfDeclared,
    /// Checked by a Neighbourhood Watch volunteer (an association's officer).
    VolunteerVerified,
    /// Checked by the police.
    PoliceVerified,
}

stored_as_text!(Standing, "scheme standing", {
    SelfDeclared => "self_declared",
    VolunteerVerified => "volunteer_verified",
    PoliceVerified => "police_verified",
});

impl Standing {
    pub fn words(self) -> &'static str {
        match self {
            Standing::SelfDeclared => "Self-declared",
            Standing::VolunteerVerified => "Verified by a volunteer",
            Standing::PoliceVerified => "Verified by the police",
        }
    }
}

/// Where a scheme is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchemeStatus {
    /// Proposed by a resident, waiting for staff to verify it: not yet listed.
    Proposed,
    Open,
    /// Closed by staff: not listed and not written to, its members kept for reopening.
    Closed,
}

stored_as_text!(SchemeStatus, "scheme status", {
    Proposed => "proposed",
    Open => "open",
    Closed => "closed",
});

impl SchemeStatus {
    pub fn words(self) -> &'static str {
        match self {
            SchemeStatus::Proposed => "Proposed, waiting to be verified",
            SchemeStatus::Open => "Open",
            SchemeStatus::Closed => "Closed",
        }
    }
}

/// Where a resident's request to join a scheme stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    Requested,
    Member,
    Refused,
    Left,
}

stored_as_text!(MembershipStatus, "membership status", {
    Requested => "requested",
    Member => "member",
    Refused => "refused",
    Left => "left",
});

impl MembershipStatus {
    pub fn words(self) -> &'static str {
        match self {
            MembershipStatus::Requested => "Asked to join: waiting for a coordinator",
            MembershipStatus::Member => "Member",
            MembershipStatus::Refused => "Not accepted",
            MembershipStatus::Left => "Left",
        }
    }
}

/// Whom an alert is limited to beyond its area and the residents' choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "scheme")]
pub enum Members {
    /// Everyone in the area who chose its organisation and kind of message.
    #[default]
    Everyone,
    /// Members of any open scheme, with a place in the area, whatever they chose.
    Schemes,
    /// The members of one scheme, wherever their places are, whatever they chose: a
    /// coordinator's message, or a police message to that scheme.
    Scheme(i64),
}

impl Members {
    /// As the `alerts` table keeps it: "", "schemes" or "scheme:12".
    pub fn code(self) -> String {
        match self {
            Members::Everyone => String::new(),
            Members::Schemes => "schemes".to_owned(),
            Members::Scheme(id) => format!("scheme:{id}"),
        }
    }

    pub fn parse(code: &str) -> Option<Members> {
        match code {
            "" => Some(Members::Everyone),
            "schemes" => Some(Members::Schemes),
            other => other
                .strip_prefix("scheme:")
                .and_then(|id| id.parse().ok())
                .map(Members::Scheme),
        }
    }
}

impl TryFrom<String> for Members {
    type Error = String;

    fn try_from(code: String) -> Result<Members, String> {
        Members::parse(&code).ok_or(format!("alert members {code:?}"))
    }
}

/// A line of text a person typed: spaces collapsed, one line, no control characters; `None`
/// (with the problem added) when it is refused.
pub fn one_line(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
    limit: usize,
) -> Option<String> {
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars = value.chars().count();
    if required && value.is_empty() {
        errors.add(field, format!("Enter {label}"));
    } else if chars > limit {
        errors.add(
            field,
            format!(
                "{} must be {limit} characters or fewer: it is {chars}",
                capital(label)
            ),
        );
    } else if value.chars().any(char::is_control) {
        errors.add(
            field,
            format!("{} cannot hold control characters", capital(label)),
        );
    } else {
        return Some(value);
    }
    None
}

/// Text of several lines (a description, a message): trimmed, line breaks kept, other control
/// characters refused, at most `MAX_TEXT_CHARS`.
pub fn text(
    errors: &mut FieldErrors,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
) -> Option<String> {
    let value = value.replace("\r\n", "\n").trim().to_owned();
    let chars = value.chars().count();
    if required && value.is_empty() {
        errors.add(field, format!("Enter {label}"));
    } else if chars > MAX_TEXT_CHARS {
        errors.add(
            field,
            format!(
                "{} must be {MAX_TEXT_CHARS} characters or fewer: it is {chars}",
                capital(label)
            ),
        );
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        errors.add(
            field,
            format!("{} cannot hold control characters", capital(label)),
        );
    } else {
        return Some(value);
    }
    None
}

fn capital(label: &str) -> String {
    let label = label
        .strip_prefix("the ")
        .or_else(|| label.strip_prefix("a "))
        .or_else(|| label.strip_prefix("your "))
        .unwrap_or(label);
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The postcodes in what someone typed or pasted, read liberally: separated by commas,
/// semicolons or line breaks (or by spaces where each postcode is written with its own space
/// or none), in any case, repeated ones once. Returns the postcodes read and the pieces that
/// are not postcodes.
pub fn read_postcodes(text: &str) -> (Vec<Postcode>, Vec<String>) {
    let mut found: Vec<Postcode> = Vec::new();
    let mut unreadable = Vec::new();
    for piece in text
        .split([',', ';', '\n', '\r', '\t', '|'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let mut add = |postcode: Postcode| {
            if !found.contains(&postcode) {
                found.push(postcode);
            }
        };
        if let Ok(postcode) = Postcode::parse(piece) {
            add(postcode);
            continue;
        }
        // "CB8 6AB CB8 6AD" on one line: read pairs of words, then single words.
        let words: Vec<&str> = piece.split_whitespace().collect();
        let mut i = 0;
        let mut read_all = true;
        let mut read = Vec::new();
        while i < words.len() {
            if i + 1 < words.len() {
                if let Ok(postcode) = Postcode::parse(&format!("{} {}", words[i], words[i + 1])) {
                    read.push(postcode);
                    i += 2;
                    continue;
                }
            }
            match Postcode::parse(words[i]) {
                Ok(postcode) => read.push(postcode),
                Err(_) => read_all = false,
            }
            i += 1;
        }
        if read_all && !read.is_empty() {
            read.into_iter().for_each(add);
        } else {
            unreadable.push(piece.chars().take(40).collect());
        }
    }
    (found, unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_read_however_they_are_written() {
        let (found, bad) =
            read_postcodes("cb236ab, CB23 6AD\nCB23  6AE; cb23 6ab\nSG8 6AA SG8 6AB");
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["CB23 6AB", "CB23 6AD", "CB23 6AE", "SG8 6AA", "SG8 6AB"]
        );
        assert!(bad.is_empty());
        let (found, bad) = read_postcodes("CB23 6AB, High Street, <b>x</b>");
        assert_eq!(found.len(), 1);
        assert_eq!(bad, ["High Street", "<b>x</b>"]);
    }

    #[test]
    fn members_round_trip_through_their_code() {
        for members in [Members::Everyone, Members::Schemes, Members::Scheme(42)] {
            assert_eq!(Members::parse(&members.code()), Some(members));
        }
        assert_eq!(Members::parse("scheme:x"), None);
        assert_eq!(Members::parse("everyone"), None);
    }

    #[test]
    fn text_refuses_what_is_too_long_or_hidden() {
        let mut errors = FieldErrors::default();
        assert_eq!(
            one_line(
                &mut errors,
                "name",
                "the scheme's name",
                "  High   Street ",
                true,
                100
            ),
            Some("High Street".into())
        );
        assert!(one_line(&mut errors, "name", "the scheme's name", "", true, 100).is_none());
        assert!(text(&mut errors, "d", "a description", &"x".repeat(2001), false).is_none());
        assert!(text(&mut errors, "d", "a description", "a\u{7}b", false).is_none());
        assert_eq!(
            text(
                &mut errors,
                "d",
                "a description",
                "<b>hi</b>\r\nthere",
                false
            ),
            Some("<b>hi</b>\nthere".into())
        );
    }
}

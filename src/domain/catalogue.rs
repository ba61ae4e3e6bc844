//! The catalogue a resident chooses from: information providers, message types and priorities,
//! with the set a new install is seeded with.

use std::fmt;

/// An organisation that sends alerts (a police force, Report Fraud, Neighbourhood Watch...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provider {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub contact_phone: Option<String>,
    /// Archived by an admin: kept for its alerts' sake, offered to no one.
    #[serde(skip)]
    pub archived: bool,
}

/// A kind of message, chosen by residents (a crime update, a scam warning...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageType {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// A provider or message type before it has an id: the seed data of a new install.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueSeed {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub contact_phone: Option<&'static str>,
}

pub const PROVIDERS: &[CatalogueSeed] = &[
    CatalogueSeed {
        slug: "cambridgeshire-constabulary",
        name: "Cambridgeshire Constabulary",
        description: "Your local police: crime updates, appeals and advice for your neighbourhood.",
        contact_phone: Some("101"),
    },
    CatalogueSeed {
        slug: "report-fraud",
        name: "Report Fraud",
        description: "The national fraud and cyber crime reporting service, which replaced Action Fraud in December 2025.",
        contact_phone: Some("0300 123 2040"),
    },
    CatalogueSeed {
        slug: "neighbourhood-watch",
        name: "Neighbourhood Watch",
        description: "Local Neighbourhood Watch schemes and their coordinators.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "trading-standards",
        name: "Trading Standards",
        description: "Rogue traders, doorstep crime and unsafe products.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "cambridgeshire-fire-and-rescue",
        name: "Cambridgeshire Fire and Rescue Service",
        description: "Fire safety advice and incidents that affect your area.",
        contact_phone: None,
    },
];

pub const MESSAGE_TYPES: &[CatalogueSeed] = &[
    CatalogueSeed {
        slug: "crime-update",
        name: "Crime update",
        description: "Crimes that have happened near you.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "appeal",
        name: "Appeal for information",
        description: "Requests for witnesses and information.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "scam-warning",
        name: "Scam and fraud warning",
        description: "Scams doing the rounds and how to spot them.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "crime-prevention",
        name: "Crime prevention advice",
        description: "How to keep your home, vehicle and family safe.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "community-news",
        name: "Community news",
        description: "Events, meetings and news from your neighbourhood team.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "newsletter",
        name: "Newsletter",
        description: "Regular round-ups such as Scam in Focus.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "road-safety",
        name: "Road safety",
        description: "Road closures, speed checks and road safety campaigns.",
        contact_phone: None,
    },
    CatalogueSeed {
        slug: "missing-person",
        name: "Missing person",
        description: "Appeals to help find people who are missing.",
        contact_phone: None,
    },
];

/// How urgent an alert is: 1 is the highest, 5 the lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Priority(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Choose a priority from 1 (highest) to 5 (lowest)")]
pub struct PriorityError;

impl Priority {
    pub const HIGHEST: Priority = Priority(1);
    pub const LOWEST: Priority = Priority(5);
    /// 4, "low": what alerts imported from another service are given.
    pub const LOWEST_BUT_ONE: Priority = Priority(4);

    pub fn new(level: i64) -> Result<Priority, PriorityError> {
        u8::try_from(level)
            .ok()
            .filter(|l| (1..=5).contains(l))
            .map(Priority)
            .ok_or(PriorityError)
    }

    pub fn level(self) -> u8 {
        self.0
    }

    pub fn label(self) -> &'static str {
        match self.0 {
            1 => "1 – urgent",
            2 => "2 – high",
            3 => "3 – medium",
            4 => "4 – low",
            _ => "5 – for information",
        }
    }

    pub fn all() -> impl Iterator<Item = Priority> {
        (1..=5).map(Priority)
    }
}

/// A stored priority outside 1 to 5: data that cannot be trusted, named in the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("priority {0} is not between 1 and 5")]
pub struct PriorityOutOfRange(pub i64);

impl TryFrom<i64> for Priority {
    type Error = PriorityOutOfRange;

    fn try_from(level: i64) -> Result<Priority, PriorityOutOfRange> {
        Priority::new(level).map_err(|_| PriorityOutOfRange(level))
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_run_from_one_to_five() {
        assert!(Priority::new(0).is_err());
        assert!(Priority::new(6).is_err());
        assert_eq!(Priority::new(1).unwrap(), Priority::HIGHEST);
        assert!(Priority::HIGHEST < Priority::LOWEST);
        assert_eq!(Priority::all().count(), 5);
    }

    #[test]
    fn seed_slugs_are_unique() {
        for seeds in [PROVIDERS, MESSAGE_TYPES] {
            let mut slugs: Vec<_> = seeds.iter().map(|s| s.slug).collect();
            slugs.sort();
            slugs.dedup();
            assert_eq!(slugs.len(), seeds.len());
        }
    }
}

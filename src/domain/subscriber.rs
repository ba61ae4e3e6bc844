//! A resident's subscription: who they are, the places they care about, and what they want to
//! hear, by which channel. `SignUpInput` is what arrives from a form or the API; `Preferences` is
//! what remains once every field has been checked.

use super::{EmailAddress, MobileNumber, Postcode, Priority};
use chrono::NaiveTime;
use std::fmt;

/// A resident may follow their home and up to two more places (a parent's home, a workplace).
pub const MAX_PLACES: usize = 3;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_LABEL_CHARS: usize = 40;

/// Raw input, as typed by a resident or sent to the JSON API. Nothing here is trusted yet.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct SignUpInput {
    pub name: String,
    pub email: String,
    pub mobile: String,
    pub places: Vec<PlaceInput>,
    pub providers: Vec<String>,
    pub message_types: Vec<String>,
    pub channels: Vec<String>,
    pub sms_min_priority: Option<i64>,
    pub quiet_start: String,
    pub quiet_end: String,
    pub email_format: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct PlaceInput {
    pub postcode: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailFormat {
    /// HTML with a plain-text alternative.
    #[default]
    Full,
    /// Plain text only, compact: for screen readers, older devices and people who prefer it.
    Plain,
}

impl EmailFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailFormat::Full => "full",
            EmailFormat::Plain => "plain",
        }
    }

    pub fn from_stored(value: &str) -> EmailFormat {
        if value == "plain" {
            EmailFormat::Plain
        } else {
            EmailFormat::Full
        }
    }
}

/// Hours (UK local time) during which texts are held back. May wrap midnight (22:00–07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// When these quiet hours end, if `now` falls inside them; quiet hours are UK local time,
    /// whatever the clocks are doing.
    pub fn ends_after(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        use chrono::TimeZone;
        let local = now.with_timezone(&chrono_tz::Europe::London);
        if !self.contains(local.time()) {
            return None;
        }
        let mut day = local.date_naive();
        if self.end <= local.time() {
            day = day.succ_opt()?;
        }
        // An end time that the clocks skip (spring forward) ends at the first moment after.
        let end = day.and_time(self.end);
        let resolved = chrono_tz::Europe::London
            .from_local_datetime(&end)
            .earliest()
            .or_else(|| {
                chrono_tz::Europe::London
                    .from_local_datetime(&(end + chrono::Duration::hours(1)))
                    .earliest()
            })?;
        Some(resolved.with_timezone(&chrono::Utc))
    }

    pub fn parse_time(value: &str) -> Option<NaiveTime> {
        NaiveTime::parse_from_str(value.trim(), "%H:%M").ok()
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub postcode: Postcode,
    pub label: Option<String>,
}

/// Everything a resident chose, checked for shape. Whether the postcodes and catalogue slugs
/// exist is for the sign-up service to check against the store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preferences {
    pub name: String,
    pub mobile: Option<MobileNumber>,
    pub places: Vec<Place>,
    pub providers: Vec<String>,
    pub message_types: Vec<String>,
    pub email: bool,
    pub sms: bool,
    pub sms_min_priority: Priority,
    pub quiet_hours: Option<QuietHours>,
    pub email_format: EmailFormat,
}

impl Preferences {
    /// The same choices, whatever order the lists were given in.
    pub fn same_choices(&self, other: &Preferences) -> bool {
        let sorted = |list: &[String]| {
            let mut list = list.to_vec();
            list.sort();
            list
        };
        let normalised = |p: &Preferences| Preferences {
            providers: sorted(&p.providers),
            message_types: sorted(&p.message_types),
            ..p.clone()
        };
        normalised(self) == normalised(other)
    }
}

/// One problem with one field, worded for the resident, and the id of the field it belongs to so
/// the error summary can link to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: impl Into<String>, message: impl ToString) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.to_string(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

/// Why a resident's name cannot be used, in words for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    #[error("Enter your name")]
    Missing,
    #[error("Your name must be 100 characters or fewer")]
    TooLong,
    #[error("Your name must not contain the characters < or >")]
    Markup,
}

/// Why a place's name cannot be used, in words for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlaceLabelProblem {
    #[error("A place name must be 40 characters or fewer")]
    TooLong,
    #[error("A place name must not contain the characters < or >")]
    Markup,
}

/// A resident's name: what their alerts greet them by.
pub fn parse_name(input: &str) -> Result<String, NameProblem> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(NameProblem::Missing);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameProblem::TooLong);
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>'))
    {
        return Err(NameProblem::Markup);
    }
    Ok(name)
}

fn parse_label(input: &str) -> Result<Option<String>, PlaceLabelProblem> {
    let label = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if label.is_empty() {
        return Ok(None);
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(PlaceLabelProblem::TooLong);
    }
    if label
        .chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>'))
    {
        return Err(PlaceLabelProblem::Markup);
    }
    Ok(Some(label))
}

/// The first name alerts greet a resident by ("Dear Mandy,").
pub fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

impl SignUpInput {
    /// Checks the email address and every preference; returns all the problems at once so a
    /// resident can fix them in one go.
    pub fn validate(&self) -> Result<(EmailAddress, Preferences), FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = EmailAddress::parse(&self.email)
            .map_err(|e| errors.add("email", e))
            .ok();
        let preferences = self.preferences(&mut errors);
        match (email, preferences) {
            (Some(email), Some(preferences)) if errors.is_empty() => Ok((email, preferences)),
            _ => Err(errors),
        }
    }

    /// The preferences alone, as on the manage page where the email address is not editable.
    pub fn validate_preferences(&self) -> Result<Preferences, FieldErrors> {
        let mut errors = FieldErrors::default();
        match self.preferences(&mut errors) {
            Some(preferences) if errors.is_empty() => Ok(preferences),
            _ => Err(errors),
        }
    }

    fn preferences(&self, errors: &mut FieldErrors) -> Option<Preferences> {
        let name = parse_name(&self.name)
            .map_err(|e| errors.add("name", e))
            .ok();

        let mobile = if self.mobile.trim().is_empty() {
            None
        } else {
            MobileNumber::parse(&self.mobile)
                .map_err(|e| errors.add("mobile", e))
                .ok()
        };

        let mut places = Vec::new();
        if self.places.len() > MAX_PLACES {
            errors.add("place-0-postcode", "You can follow up to 3 places");
        }
        for (index, place) in self.places.iter().take(MAX_PLACES).enumerate() {
            let blank = place.postcode.trim().is_empty();
            if blank && index > 0 {
                if !place.label.trim().is_empty() {
                    errors.add(
                        format!("place-{index}-postcode"),
                        "Enter a postcode for this place, or clear its name",
                    );
                }
                continue;
            }
            let postcode = Postcode::parse(&place.postcode)
                .map_err(|e| errors.add(format!("place-{index}-postcode"), e))
                .ok();
            let label = parse_label(&place.label)
                .map_err(|e| errors.add(format!("place-{index}-label"), e))
                .ok()
                .flatten();
            if let Some(postcode) = postcode {
                if places.iter().any(|p: &Place| p.postcode == postcode) {
                    errors.add(
                        format!("place-{index}-postcode"),
                        format!("You have already added {postcode}"),
                    );
                } else {
                    places.push(Place { postcode, label });
                }
            }
        }
        if self.places.is_empty() {
            errors.add("place-0-postcode", "Enter your postcode");
        }

        let providers = distinct(&self.providers);
        if providers.is_empty() {
            errors.add("providers", "Choose at least one organisation to hear from");
        }
        let message_types = distinct(&self.message_types);
        if message_types.is_empty() {
            errors.add("message_types", "Choose at least one kind of message");
        }

        let mut email = false;
        let mut sms = false;
        for channel in &self.channels {
            match channel.as_str() {
                "email" => email = true,
                "sms" => sms = true,
                _ => errors.add("channels", "Choose email, text message or both"),
            }
        }
        if !email && !sms {
            errors.add(
                "channels",
                "Choose how you want to receive alerts: email, text message or both",
            );
        }
        if sms && mobile.is_none() && self.mobile.trim().is_empty() {
            errors.add(
                "mobile",
                "Enter your mobile number to receive text messages",
            );
        }

        let sms_min_priority = match self.sms_min_priority {
            None => Some(Priority::new(2).expect("2 is a valid priority")),
            Some(level) => Priority::new(level)
                .map_err(|e| errors.add("sms_min_priority", e))
                .ok(),
        };

        let quiet_hours = match (self.quiet_start.trim(), self.quiet_end.trim()) {
            ("", "") => Some(None),
            (start, end) => {
                let start_time = QuietHours::parse_time(start);
                let end_time = QuietHours::parse_time(end);
                if start_time.is_none() {
                    errors.add(
                        "quiet_start",
                        "Enter the start of quiet hours as a time, like 22:00",
                    );
                }
                if end_time.is_none() {
                    errors.add(
                        "quiet_end",
                        "Enter the end of quiet hours as a time, like 07:00",
                    );
                }
                match (start_time, end_time) {
                    (Some(start), Some(end)) if start == end => {
                        errors.add(
                            "quiet_end",
                            "Quiet hours must end at a different time from when they start",
                        );
                        None
                    }
                    (Some(start), Some(end)) => Some(Some(QuietHours { start, end })),
                    _ => None,
                }
            }
        };

        let email_format = match self.email_format.as_str() {
            "" | "full" => Some(EmailFormat::Full),
            "plain" => Some(EmailFormat::Plain),
            _ => {
                errors.add("email_format", "Choose full or plain emails");
                None
            }
        };

        Some(Preferences {
            name: name?,
            mobile,
            places,
            providers,
            message_types,
            email,
            sms,
            sms_min_priority: sms_min_priority?,
            quiet_hours: quiet_hours?,
            email_format: email_format?,
        })
    }
}

fn distinct(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let value = value.trim();
        if !value.is_empty() && !out.iter().any(|v| v == value) {
            out.push(value.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SignUpInput {
        SignUpInput {
            name: "  Mandy   Smith ".into(),
            email: "mandy@example.com".into(),
            mobile: "".into(),
            places: vec![PlaceInput {
                postcode: "cb11pt".into(),
                label: "Home".into(),
            }],
            providers: vec!["report-fraud".into()],
            message_types: vec!["scam-warning".into(), "scam-warning".into()],
            channels: vec!["email".into()],
            ..SignUpInput::default()
        }
    }

    #[test]
    fn a_valid_sign_up_is_normalised() {
        let (email, prefs) = input().validate().unwrap();
        assert_eq!(email.as_str(), "mandy@example.com");
        assert_eq!(prefs.name, "Mandy Smith");
        assert_eq!(prefs.places[0].postcode.as_str(), "CB1 1PT");
        assert_eq!(prefs.message_types, vec!["scam-warning"]);
        assert_eq!(prefs.sms_min_priority.level(), 2);
        assert_eq!(first_name(&prefs.name), "Mandy");
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let mut bad = input();
        bad.name = "x".repeat(10_000);
        bad.email = "not-an-email".into();
        bad.channels = vec!["sms".into()];
        bad.quiet_start = "25:00".into();
        bad.places.push(PlaceInput {
            postcode: "CB1 1PT".into(),
            label: "".into(),
        });
        let errors = bad.validate().unwrap_err();
        for field in [
            "name",
            "email",
            "mobile",
            "quiet_start",
            "quiet_end",
            "place-1-postcode",
        ] {
            assert!(
                errors.for_field(field).is_some(),
                "no error for {field}: {errors:?}"
            );
        }
    }

    #[test]
    fn quiet_hours_may_wrap_midnight() {
        let quiet = QuietHours {
            start: QuietHours::parse_time("22:00").unwrap(),
            end: QuietHours::parse_time("07:00").unwrap(),
        };
        assert!(quiet.contains(QuietHours::parse_time("23:30").unwrap()));
        assert!(quiet.contains(QuietHours::parse_time("06:59").unwrap()));
        assert!(!quiet.contains(QuietHours::parse_time("07:00").unwrap()));
        assert!(!quiet.contains(QuietHours::parse_time("12:00").unwrap()));
    }

    #[test]
    fn quiet_hours_end_in_uk_time_across_midnight_and_clock_changes() {
        use chrono::TimeZone;
        let quiet = QuietHours {
            start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        };
        // 23:30 UTC on 1 July is 00:30 BST: quiet until 07:00 BST, 06:00 UTC.
        let summer = chrono::Utc.with_ymd_and_hms(2026, 7, 1, 23, 30, 0).unwrap();
        assert_eq!(
            quiet.ends_after(summer),
            Some(chrono::Utc.with_ymd_and_hms(2026, 7, 2, 6, 0, 0).unwrap())
        );
        // 22:30 GMT in January: quiet until 07:00 the next morning.
        let winter = chrono::Utc
            .with_ymd_and_hms(2026, 1, 10, 22, 30, 0)
            .unwrap();
        assert_eq!(
            quiet.ends_after(winter),
            Some(chrono::Utc.with_ymd_and_hms(2026, 1, 11, 7, 0, 0).unwrap())
        );
        // Noon is not quiet.
        let noon = chrono::Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        assert_eq!(quiet.ends_after(noon), None);
    }
}

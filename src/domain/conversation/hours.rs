//! When operators answer live chats: opening hours written as `"Mon-Fri 08:00-20:00; Sat
//! 09:00-13:00"` (day names in any case, ranges and lists of days, one or more times a day),
//! read in UK time. Empty means always open. No I/O.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

/// The time zone opening hours are written in.
pub const ZONE: Tz = chrono_tz::Europe::London;

/// One stretch of opening: the days it applies to (Monday first) and its times, as minutes
/// after midnight (the end may be 24:00).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Opening {
    days: [bool; 7],
    start: u32,
    end: u32,
}

/// Opening hours, read from the settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours {
    /// Empty: always open.
    openings: Vec<Opening>,
}

const DAYS: [(&str, &[&str]); 7] = [
    ("Monday", &["mon", "monday"]),
    ("Tuesday", &["tue", "tues", "tuesday"]),
    ("Wednesday", &["wed", "weds", "wednesday"]),
    ("Thursday", &["thu", "thur", "thurs", "thursday"]),
    ("Friday", &["fri", "friday"]),
    ("Saturday", &["sat", "saturday"]),
    ("Sunday", &["sun", "sunday"]),
];

fn day(name: &str) -> Result<usize, String> {
    let lower = name.trim().to_lowercase();
    DAYS.iter()
        .position(|(_, names)| names.contains(&lower.as_str()))
        .ok_or_else(|| format!("\"{}\" is not a day (write Mon, Tue, … Sun)", name.trim()))
}

fn minutes(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let wrong = || format!("\"{text}\" is not a time (write 24-hour times such as 08:00)");
    let (h, m) = text.split_once(':').ok_or_else(wrong)?;
    let (h, m): (u32, u32) = (
        h.parse().map_err(|_| wrong())?,
        m.parse().map_err(|_| wrong())?,
    );
    if m > 59 || h > 24 || (h == 24 && m > 0) || text.len() > 5 {
        return Err(wrong());
    }
    Ok(h * 60 + m)
}

impl OpeningHours {
    /// Always open.
    pub fn always() -> OpeningHours {
        OpeningHours::default()
    }

    /// Reads opening hours: entries separated by `;`, each days then times, as in
    /// `"Mon-Fri 08:00-12:00, 13:00-20:00; Sat, Sun 10:00-16:00"`. Empty means always open.
    pub fn parse(text: &str) -> Result<OpeningHours, String> {
        let mut openings = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let split = entry.find(|c: char| c.is_ascii_digit()).ok_or_else(|| {
                format!("\"{entry}\" has no times (write e.g. Mon-Fri 08:00-20:00)")
            })?;
            let (day_text, time_text) = entry.split_at(split);
            let day_text = day_text.trim().trim_end_matches(',');
            if day_text.is_empty() {
                return Err(format!(
                    "\"{entry}\" has no days (write e.g. Mon-Fri 08:00-20:00)"
                ));
            }
            let mut days = [false; 7];
            for part in day_text.split(',').map(str::trim) {
                match part.split_once('-') {
                    Some((from, to)) => {
                        let (from, to) = (day(from)?, day(to)?);
                        let mut d = from;
                        loop {
                            days[d] = true;
                            if d == to {
                                break;
                            }
                            d = (d + 1) % 7;
                        }
                    }
                    None => days[day(part)?] = true,
                }
            }
            for times in time_text.split(',').map(str::trim) {
                let (start, end) = times.split_once('-').ok_or_else(|| {
                    format!("\"{times}\" is not a time range (write e.g. 08:00-20:00)")
                })?;
                let (start, end) = (minutes(start)?, minutes(end)?);
                if end <= start {
                    return Err(format!("\"{times}\" must end after it starts"));
                }
                openings.push(Opening { days, start, end });
            }
        }
        Ok(OpeningHours { openings })
    }

    /// Whether chat is open at `at`.
    pub fn is_open<Z: TimeZone>(&self, at: &DateTime<Z>) -> bool {
        if self.openings.is_empty() {
            return true;
        }
        let local = at.with_timezone(&ZONE);
        let weekday = local.weekday().num_days_from_monday() as usize;
        let minute = local.hour_minute();
        self.openings
            .iter()
            .any(|o| o.days[weekday] && o.start <= minute && minute < o.end)
    }

    /// When chat next opens after `at` (None when it never does, or is always open).
    pub fn next_opening<Z: TimeZone>(&self, at: &DateTime<Z>) -> Option<DateTime<Tz>> {
        let local = at.with_timezone(&ZONE);
        let mut best: Option<DateTime<Tz>> = None;
        for ahead in 0..8 {
            let date = local.date_naive() + Duration::days(ahead);
            let weekday = date.weekday().num_days_from_monday() as usize;
            for opening in self.openings.iter().filter(|o| o.days[weekday]) {
                let Some(time) = NaiveTime::from_hms_opt(opening.start / 60, opening.start % 60, 0)
                else {
                    continue;
                };
                let Some(start) = ZONE.from_local_datetime(&date.and_time(time)).earliest() else {
                    continue;
                };
                if start > local && best.is_none_or(|b| start < b) {
                    best = Some(start);
                }
            }
            if best.is_some() {
                break;
            }
        }
        best
    }

    /// When chat next opens, in words, from `now`: "today at 08:00", "tomorrow at 09:00",
    /// "on Monday at 08:00".
    pub fn next_opening_in_words<Z: TimeZone>(&self, now: &DateTime<Z>) -> Option<String> {
        let next = self.next_opening(now)?;
        let today = now.with_timezone(&ZONE).date_naive();
        let time = next.format("%H:%M");
        let days = (next.date_naive() - today).num_days();
        Some(match days {
            0 => format!("today at {time}"),
            1 => format!("tomorrow at {time}"),
            _ => format!("on {} at {time}", weekday_name(next.weekday())),
        })
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    DAYS[day.num_days_from_monday() as usize].0
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for DateTime<Tz> {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn london(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Tz> {
        ZONE.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn empty_means_always_open() {
        let hours = OpeningHours::parse("  ").unwrap();
        assert!(hours.is_open(&Utc::now()));
        assert_eq!(hours.next_opening(&Utc::now()), None);
    }

    #[test]
    fn days_and_times_are_read_in_any_case() {
        let hours = OpeningHours::parse("mon-FRI 08:00-20:00; Sat 09:00-13:00").unwrap();
        // Monday 7 December 2026 (winter: UK time is UTC).
        assert!(!hours.is_open(&london(2026, 12, 7, 7, 59)));
        assert!(hours.is_open(&london(2026, 12, 7, 8, 0)));
        assert!(hours.is_open(&london(2026, 12, 11, 19, 59)));
        assert!(!hours.is_open(&london(2026, 12, 11, 20, 0)));
        assert!(hours.is_open(&london(2026, 12, 12, 12, 0)));
        assert!(!hours.is_open(&london(2026, 12, 12, 13, 0)));
        assert!(!hours.is_open(&london(2026, 12, 13, 12, 0)));
    }

    #[test]
    fn lists_wrapping_ranges_and_several_times_a_day() {
        let hours =
            OpeningHours::parse("Sat-Mon 10:00-12:00, 14:00-24:00; Wednesday, thu 09:30-10:00")
                .unwrap();
        assert!(hours.is_open(&london(2026, 12, 13, 23, 59))); // Sunday
        assert!(!hours.is_open(&london(2026, 12, 13, 13, 0)));
        assert!(hours.is_open(&london(2026, 12, 7, 11, 0))); // Monday
        assert!(!hours.is_open(&london(2026, 12, 8, 11, 0))); // Tuesday
        assert!(hours.is_open(&london(2026, 12, 10, 9, 45))); // Thursday
    }

    #[test]
    fn summer_time_is_uk_time() {
        let hours = OpeningHours::parse("Mon-Sun 08:00-20:00").unwrap();
        // 07:30 UTC on 1 July is 08:30 in London.
        let at = Utc.with_ymd_and_hms(2026, 7, 1, 7, 30, 0).unwrap();
        assert!(hours.is_open(&at));
    }

    #[test]
    fn the_next_opening_is_said_in_words() {
        let hours = OpeningHours::parse("Mon-Fri 08:00-20:00; Sat 09:00-13:00").unwrap();
        let friday_night = london(2026, 12, 11, 21, 0);
        assert_eq!(
            hours.next_opening_in_words(&friday_night).as_deref(),
            Some("tomorrow at 09:00")
        );
        let early_monday = london(2026, 12, 7, 6, 0);
        assert_eq!(
            hours.next_opening_in_words(&early_monday).as_deref(),
            Some("today at 08:00")
        );
        let saturday_afternoon = london(2026, 12, 12, 14, 0);
        assert_eq!(
            hours.next_opening_in_words(&saturday_afternoon).as_deref(),
            Some("on Monday at 08:00")
        );
    }

    #[test]
    fn mistakes_are_explained() {
        for (text, says) in [
            ("Mon-Fri", "has no times"),
            ("08:00-20:00", "has no days"),
            ("Mon-Fry 08:00-20:00", "\"Fry\" is not a day"),
            ("Mon 8am-20:00", "is not a time"),
            ("Mon 20:00-08:00", "must end after it starts"),
            ("Mon 08:00-25:00", "is not a time"),
            ("Mon 08:00", "is not a time range"),
        ] {
            let error = OpeningHours::parse(text).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}

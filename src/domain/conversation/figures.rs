//! The contact centre's figures on live web chats, as pure arithmetic over each chat's times:
//! how soon an operator first answered (median, 90th percentile, average), how long residents
//! waited for one, how many left before anyone took their chat, chats by hour of the day and
//! by day, and residents' ratings. Days and hours are UK time. No I/O.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Timelike};

/// A time, in Unix seconds.
type Timestamp = i64;

/// The times of one live chat, as the store keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatTiming {
    /// When the resident started it (and first joined the queue).
    pub created_at: Timestamp,
    /// When an operator first took it.
    pub taken_at: Option<Timestamp>,
    /// An operator's first message.
    pub first_response_at: Option<Timestamp>,
    /// The resident left before anyone took it.
    pub abandoned: bool,
    /// The resident's rating, 1 to 5.
    pub rating: Option<i64>,
}

/// The value below which `p` (0 to 1) of `sorted` lie, by nearest rank.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// How long something took, over the chats where it happened, in seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durations {
    pub count: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
    /// The mean, to the nearest second.
    pub average: Option<i64>,
}

impl Durations {
    pub fn of(mut seconds: Vec<i64>) -> Durations {
        seconds.sort_unstable();
        let total: i64 = seconds.iter().sum();
        Durations {
            count: seconds.len(),
            median: percentile(&seconds, 0.5),
            p90: percentile(&seconds, 0.9),
            average: (!seconds.is_empty())
                .then(|| (total as f64 / seconds.len() as f64).round() as i64),
        }
    }
}

/// Residents' ratings of their chats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ratings {
    pub count: i64,
    /// To one decimal place.
    pub average: Option<f64>,
    /// How many gave 1 star, 2 stars, … 5 stars.
    pub per_star: [i64; 5],
}

/// The figures over a run of days.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatFigures {
    pub chats: usize,
    /// First answer: an operator's first message, from when the chat started.
    pub first_response: Durations,
    /// Waiting: until an operator took the chat.
    pub waiting: Durations,
    /// Ended by the resident before anyone took them.
    pub abandoned: usize,
    /// Chats started in each hour of the day, 0 to 23.
    pub by_hour: Vec<i64>,
    /// Chats started each day, oldest first.
    pub by_day: Vec<(NaiveDate, i64)>,
    pub ratings: Ratings,
}

/// The UK time a Unix time falls on.
fn uk(at: Timestamp) -> chrono::DateTime<chrono_tz::Tz> {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&chrono_tz::Europe::London)
}

/// The Unix time a UK day starts.
pub fn uk_midnight(day: NaiveDate) -> Timestamp {
    chrono_tz::Europe::London
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or(0, |t| t.timestamp())
}

/// The figures for `chats` over `days` days from `first` (UK days).
pub fn figures(chats: &[ChatTiming], first: NaiveDate, days: i64) -> ChatFigures {
    let mut by_hour = vec![0; 24];
    let mut by_day: Vec<(NaiveDate, i64)> =
        (0..days).map(|i| (first + Duration::days(i), 0)).collect();
    let (mut responses, mut waits, mut abandoned) = (Vec::new(), Vec::new(), 0);
    let mut ratings = Ratings::default();
    let mut stars = 0;
    for chat in chats {
        let started = uk(chat.created_at);
        by_hour[started.hour() as usize] += 1;
        let day = (started.date_naive() - first).num_days();
        if let Some(slot) = usize::try_from(day).ok().and_then(|d| by_day.get_mut(d)) {
            slot.1 += 1;
        }
        if let Some(at) = chat.first_response_at {
            responses.push((at - chat.created_at).max(0));
        }
        if let Some(at) = chat.taken_at {
            waits.push((at - chat.created_at).max(0));
        }
        if chat.abandoned {
            abandoned += 1;
        }
        if let Some(rating @ 1..=5) = chat.rating {
            ratings.count += 1;
            ratings.per_star[(rating - 1) as usize] += 1;
            stars += rating;
        }
    }
    if ratings.count > 0 {
        ratings.average = Some((stars as f64 / ratings.count as f64 * 10.0).round() / 10.0);
    }
    ChatFigures {
        chats: chats.len(),
        first_response: Durations::of(responses),
        waiting: Durations::of(waits),
        abandoned,
        by_hour,
        by_day,
        ratings,
    }
}

/// The calendar month before the one `today` is in: its first day, and the first day of the
/// month after it.
pub fn previous_month(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this_month = today.with_day(1).unwrap_or(today);
    let last_month = (this_month - Duration::days(1))
        .with_day(1)
        .unwrap_or(this_month);
    (last_month, this_month)
}

/// A short time in words, as the public sees it: "27 seconds", "1 minute 5 seconds",
/// "3 minutes".
pub fn seconds_words(seconds: i64) -> String {
    let plural = |n: i64, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
    let seconds = seconds.max(0);
    match (seconds / 60, seconds % 60) {
        (0, s) => plural(s, "second"),
        (m, 0) => plural(m, "minute"),
        (m, s) if m < 10 => format!("{} {}", plural(m, "minute"), plural(s, "second")),
        (m, s) => plural(m + i64::from(s >= 30), "minute"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chat(created: Timestamp) -> ChatTiming {
        ChatTiming {
            created_at: created,
            ..ChatTiming::default()
        }
    }

    #[test]
    fn percentiles_are_by_nearest_rank() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&values, 0.5), Some(5));
        assert_eq!(percentile(&values, 0.9), Some(9));
        assert_eq!(percentile(&[7], 0.9), Some(7));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn response_waiting_abandoned_and_ratings_are_counted() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        // 09:00 UTC is 09:00 in London in November.
        let nine = uk_midnight(first) + 9 * 3600;
        let answered = |start: Timestamp, wait: i64, answer: i64, rating| ChatTiming {
            created_at: start,
            taken_at: Some(start + wait),
            first_response_at: Some(start + answer),
            abandoned: false,
            rating,
        };
        let chats = [
            answered(nine, 5, 10, Some(5)),
            answered(nine + 60, 10, 20, Some(4)),
            answered(nine + 3600, 20, 30, None),
            answered(nine + 86_400, 30, 40, Some(2)),
            answered(nine + 86_400 + 7200, 100, 200, Some(5)),
            ChatTiming {
                abandoned: true,
                ..chat(nine + 2 * 86_400)
            },
        ];
        let f = figures(&chats, first, 7);
        assert_eq!(f.chats, 6);
        assert_eq!(
            f.first_response,
            Durations {
                count: 5,
                median: Some(30),
                p90: Some(200),
                average: Some(60),
            }
        );
        assert_eq!(f.waiting.median, Some(20));
        assert_eq!(f.waiting.p90, Some(100));
        assert_eq!(f.abandoned, 1);
        assert_eq!(f.by_hour[9], 4);
        assert_eq!(f.by_hour[10], 1);
        assert_eq!(f.by_hour[11], 1);
        assert_eq!(f.by_hour.iter().sum::<i64>(), 6);
        let days: Vec<i64> = f.by_day.iter().map(|d| d.1).collect();
        assert_eq!(days, [3, 2, 1, 0, 0, 0, 0]);
        assert_eq!(f.by_day[0].0, first);
        assert_eq!(f.ratings.count, 4);
        assert_eq!(f.ratings.per_star, [0, 1, 0, 1, 2]);
        assert_eq!(f.ratings.average, Some(4.0));
    }

    #[test]
    fn nothing_to_count_gives_no_figures_rather_than_zero() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let f = figures(&[], first, 3);
        assert_eq!(f.first_response, Durations::default());
        assert_eq!(f.ratings.average, None);
        assert_eq!(f.by_day.len(), 3);
    }

    #[test]
    fn hours_and_days_are_uk_time() {
        // 23:30 UTC on 1 July is 00:30 on 2 July in London (summer time).
        let first = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let late = chrono::Utc
            .with_ymd_and_hms(2026, 7, 1, 23, 30, 0)
            .unwrap()
            .timestamp();
        let f = figures(&[chat(late)], first, 2);
        assert_eq!(f.by_hour[0], 1);
        assert_eq!(f.by_day[1].1, 1);
    }

    #[test]
    fn last_month_is_the_calendar_month_before() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            previous_month(day(2026, 12, 6)),
            (day(2026, 11, 1), day(2026, 12, 1))
        );
        assert_eq!(
            previous_month(day(2027, 1, 1)),
            (day(2026, 12, 1), day(2027, 1, 1))
        );
    }

    #[test]
    fn short_times_read_as_words() {
        assert_eq!(seconds_words(27), "27 seconds");
        assert_eq!(seconds_words(1), "1 second");
        assert_eq!(seconds_words(65), "1 minute 5 seconds");
        assert_eq!(seconds_words(120), "2 minutes");
        assert_eq!(seconds_words(754), "13 minutes");
    }
}

//! A waiting chat's place in the queue and its expected wait, in the words a resident reads
//! ("You are 3rd in the queue, about 2 minutes"), from how long recent chats waited. No I/O.

/// `n` as an English ordinal: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 101st…
pub fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The median of some waits in seconds; None when there are none.
pub fn median(waits: &[i64]) -> Option<i64> {
    if waits.is_empty() {
        return None;
    }
    let mut sorted = waits.to_vec();
    sorted.sort_unstable();
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2
    } else {
        sorted[middle]
    })
}

/// The expected wait in seconds of the chat at `position` in the queue (1 is next): the median
/// wait of recent chats for each place ahead, shared by the operators available (at least one).
/// None without any recent wait to go on.
pub fn expected_wait(recent_waits: &[i64], position: i64, operators: i64) -> Option<i64> {
    let median = median(recent_waits)?.max(0);
    Some(median * position.max(1) / operators.max(1))
}

/// A wait in words: "less than a minute", "about 2 minutes", "about an hour", "about 3 hours".
pub fn wait_in_words(seconds: i64) -> String {
    let minutes = (seconds + 59) / 60;
    match minutes {
        m if m <= 1 && seconds < 60 => "less than a minute".to_owned(),
        1 => "about 1 minute".to_owned(),
        m if m < 60 => format!("about {m} minutes"),
        m if m < 90 => "about an hour".to_owned(),
        m => format!("about {} hours", (m + 30) / 60),
    }
}

/// Where a waiting chat is, as the resident reads it: the place, and the expected wait when
/// there is one.
pub fn queue_line(position: i64, wait_seconds: Option<i64>) -> String {
    let place = format!("You are {} in the queue", ordinal(position));
    match wait_seconds {
        Some(seconds) => format!("{place}, {}", wait_in_words(seconds)),
        None => place,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_are_english() {
        let cases = [
            (1, "1st"),
            (2, "2nd"),
            (3, "3rd"),
            (4, "4th"),
            (10, "10th"),
            (11, "11th"),
            (12, "12th"),
            (13, "13th"),
            (21, "21st"),
            (22, "22nd"),
            (23, "23rd"),
            (101, "101st"),
            (111, "111th"),
            (112, "112th"),
        ];
        for (n, words) in cases {
            assert_eq!(ordinal(n), words);
        }
    }

    #[test]
    fn the_wait_is_the_median_per_place_shared_by_operators() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[30, 10, 600]), Some(30));
        assert_eq!(median(&[10, 20, 30, 40]), Some(25));
        assert_eq!(expected_wait(&[], 3, 1), None);
        assert_eq!(expected_wait(&[40, 40, 900], 3, 1), Some(120));
        assert_eq!(expected_wait(&[40, 40, 900], 3, 2), Some(60));
        // Nobody counted as available still gives an estimate (one operator).
        assert_eq!(expected_wait(&[40], 2, 0), Some(80));
    }

    #[test]
    fn the_queue_line_reads_naturally() {
        assert_eq!(
            queue_line(3, Some(120)),
            "You are 3rd in the queue, about 2 minutes"
        );
        assert_eq!(queue_line(1, None), "You are 1st in the queue");
        assert_eq!(
            queue_line(2, Some(20)),
            "You are 2nd in the queue, less than a minute"
        );
        assert_eq!(wait_in_words(60), "about 1 minute");
        assert_eq!(wait_in_words(61), "about 2 minutes");
        assert_eq!(wait_in_words(3_600), "about an hour");
        assert_eq!(wait_in_words(3 * 3_600), "about 3 hours");
    }
}

//! Sliding-window rate limits held in memory, keyed by what is limited (an IP address, an email
//! address). Kept per process: behind several web processes each enforces its own share.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(window: Duration) -> RateLimiter {
        RateLimiter {
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Records a hit for `key` and says whether it is within `limit` hits per window.
    pub fn allow(&self, key: &str, limit: u32) -> bool {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > 100_000 {
            // Forget keys whose hits have all expired, so the map cannot grow without bound.
            hits.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        let times = hits.entry(key.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            times.pop_front();
        }
        if times.len() >= limit as usize {
            return false;
        }
        times.push_back(now);
        true
    }

    /// Takes back the latest hit for `key`: for a limit that counts only some outcomes, whose
    /// attempts hold a place from the start (so that attempts in parallel cannot all slip under
    /// it) and give it back when they turn out not to count.
    pub fn release(&self, key: &str) {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = hits.get_mut(key) {
            times.pop_back();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit_per_key() {
        let limiter = RateLimiter::new(Duration::from_secs(3600));
        assert!(limiter.allow("ip:1", 2));
        assert!(limiter.allow("ip:1", 2));
        assert!(!limiter.allow("ip:1", 2));
        assert!(limiter.allow("ip:2", 2));
    }

    #[test]
    fn a_released_hit_frees_its_place() {
        let limiter = RateLimiter::new(Duration::from_secs(3600));
        assert!(limiter.allow("ip:1", 1));
        limiter.release("ip:1");
        assert!(limiter.allow("ip:1", 1));
        assert!(!limiter.allow("ip:1", 1));
        limiter.release("never-seen");
    }

    #[test]
    fn hits_expire_with_the_window() {
        let limiter = RateLimiter::new(Duration::from_millis(20));
        assert!(limiter.allow("k", 1));
        assert!(!limiter.allow("k", 1));
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.allow("k", 1));
    }
}

//! Failed-attempt throttling: an address that fails authentication `max_failures` times within
//! `window_sec` gets 429 instead of 401 for its further failures during `cooldown_sec`.
//! Successful requests are never counted, refused or delayed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::settings::AuthThrottleSettings;

/// Addresses tracked at most; beyond it the oldest windows are dropped first.
const MAX_TRACKED: usize = 65_536;

struct Window {
    started: Instant,
    failures: u64,
    blocked_until: Option<Instant>,
}

pub struct Throttle {
    enabled: bool,
    max_failures: u64,
    window: Duration,
    cooldown: Duration,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl Throttle {
    pub fn new(settings: &AuthThrottleSettings) -> Throttle {
        Throttle {
            enabled: settings.enabled,
            max_failures: settings.max_failures.max(1),
            window: Duration::from_secs(settings.window_sec.max(1)),
            cooldown: Duration::from_secs(settings.cooldown_sec.max(1)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Records one failure from `addr`; `true` when `addr` is over its budget (answer 429).
    pub fn record_failure(&self, addr: IpAddr) -> bool {
        self.record_failure_at(addr, Instant::now())
    }

    fn record_failure_at(&self, addr: IpAddr, now: Instant) -> bool {
        if !self.enabled {
            return false;
        }
        let mut windows = self.windows.lock();
        if windows.len() >= MAX_TRACKED && !windows.contains_key(&addr) {
            let (window, cooldown) = (self.window, self.cooldown);
            windows.retain(|_, w| {
                now.duration_since(w.started) < window
                    || w.blocked_until.is_some_and(|b| b > now)
                    || now.duration_since(w.started) < cooldown
            });
            if windows.len() >= MAX_TRACKED {
                return false;
            }
        }
        let w = windows.entry(addr).or_insert(Window {
            started: now,
            failures: 0,
            blocked_until: None,
        });
        if let Some(until) = w.blocked_until {
            if now < until {
                return true;
            }
            w.blocked_until = None;
            w.started = now;
            w.failures = 0;
        }
        if now.duration_since(w.started) >= self.window {
            w.started = now;
            w.failures = 0;
        }
        w.failures += 1;
        if w.failures > self.max_failures {
            w.blocked_until = Some(now + self.cooldown);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(max: u64) -> Throttle {
        Throttle::new(&AuthThrottleSettings {
            enabled: true,
            max_failures: max,
            window_sec: 60,
            cooldown_sec: 30,
        })
    }

    #[test]
    fn failures_beyond_the_budget_are_throttled_until_the_cooldown_ends() {
        let t = throttle(3);
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert!(!t.record_failure_at(addr, start));
        }
        assert!(t.record_failure_at(addr, start));
        assert!(t.record_failure_at(addr, start + Duration::from_secs(29)));
        assert!(!t.record_failure_at(addr, start + Duration::from_secs(31)));
    }

    #[test]
    fn addresses_are_counted_separately_and_windows_expire() {
        let t = throttle(1);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let start = Instant::now();
        assert!(!t.record_failure_at(a, start));
        assert!(!t.record_failure_at(b, start));
        assert!(!t.record_failure_at(a, start + Duration::from_secs(61)));
    }

    #[test]
    fn a_disabled_throttle_never_throttles() {
        let t = Throttle::new(&AuthThrottleSettings {
            enabled: false,
            max_failures: 1,
            window_sec: 60,
            cooldown_sec: 60,
        });
        let addr: IpAddr = "10.0.0.1".parse().unwrap();
        assert!((0..10).all(|_| !t.record_failure(addr)));
    }
}

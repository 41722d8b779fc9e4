//! Rate limits of robot tokens: a token bucket per token (GCRA, from the
//! `governor` crate), so a robot "runs gently" however it is written. The
//! buckets live in each app instance's memory: behind a load balancer with N
//! instances a robot gets up to N times the rate, which is still bounded;
//! a shared limit would cost a database write per request.
//!
//! The same buckets, keyed by client address, limit password attempts from
//! one source across all usernames (`login_guard`, against spraying).

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A token bucket per key.
pub struct Limits<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

/// Per robot token (its id).
pub type RobotLimits = Limits<i64>;
/// Password attempts per client address.
pub type SourceLimits = Limits<IpAddr>;

impl<K: Hash + Eq + Clone> Limits<K> {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Limits {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the token's bucket, or says how long to wait
    /// before the next one is allowed.
    pub fn check(&self, key: K) -> Result<(), Duration> {
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets the buckets of tokens that are full again (idle robots).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_a_wait() {
        let l = RobotLimits::new(60, 3);
        for _ in 0..3 {
            assert!(l.check(1).is_ok());
        }
        let wait = l.check(1).expect_err("the fourth request waits");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        // Another token has its own bucket.
        assert!(l.check(2).is_ok());
    }
}

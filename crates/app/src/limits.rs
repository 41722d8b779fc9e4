//! Rate limits of robot tokens: a token bucket per token (GCRA, from the
//! `governor` crate), so a robot "runs gently" however it is written. The
//! buckets live in each app instance's memory: behind a load balancer with N
//! instances a robot gets up to N times the rate, which is still bounded;
//! a shared limit would cost a database write per request.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct RobotLimits {
    limiter: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl RobotLimits {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        RobotLimits {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one request from the token's bucket, or says how long to wait
    /// before the next one is allowed.
    pub fn check(&self, token: i64) -> Result<(), Duration> {
        self.limiter
            .check_key(&token)
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

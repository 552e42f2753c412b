//! What every remote-API platform shares: the request budget, one rate limiter for all of a
//! sink's (or source's) workers, and the retry schedule. Classifying a response as retryable,
//! unknown or final stays with each platform (vector's `RetryLogic`); this module only paces.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `--rate N/PERIOD`, read by every remote-API endpoint.
pub static RATE: crate::registry::Flag = crate::registry::Flag::new(
    "rate",
    "N/PERIOD",
    "API platforms (Clerk): the request budget, as REQUESTS/PERIOD (`1000/10s`). Default: the \
     platform's published limit for the key (Clerk: sk_live_ 1000/10s, sk_test_ 100/10s)",
)
.check(|v| v.parse::<RateBudget>().map(|_| ()))
.ignored_elsewhere();

/// `N` requests per `period`, as a platform documents its limit or `--rate N/PERIOD` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateBudget {
    pub requests: u32,
    pub period: Duration,
}

impl RateBudget {
    pub const fn new(requests: u32, period_seconds: u64) -> Self {
        RateBudget {
            requests,
            period: Duration::from_secs(period_seconds),
        }
    }
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.period.as_secs_f64()
    }
}

impl std::fmt::Display for RateBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.period.as_secs_f64();
        if p.fract() == 0.0 {
            write!(f, "{} requests / {} s", self.requests, p as u64)
        } else {
            write!(f, "{} requests / {p} s", self.requests)
        }
    }
}

impl FromStr for RateBudget {
    type Err = String;
    /// `1000/10s`, `100/10`, `50/1s`, `3000/1m`, `20/500ms`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a rate: write REQUESTS/PERIOD, e.g. 1000/10s or 50/1s");
        let (n, p) = s.trim().split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let p = p.trim();
        let split = p
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(p.len());
        let (num, unit) = p.split_at(split);
        let num: f64 = if num.is_empty() && !unit.is_empty() {
            1.0
        } else {
            num.parse().map_err(|_| bad())?
        };
        let seconds = match unit {
            "" | "s" | "sec" => num,
            "ms" => num / 1000.0,
            "m" | "min" => num * 60.0,
            "h" => num * 3600.0,
            _ => return Err(bad()),
        };
        if requests == 0 || !(seconds > 0.0 && seconds.is_finite()) {
            return Err(format!("`{s}`: the rate must be positive"));
        }
        Ok(RateBudget {
            requests,
            period: Duration::from_secs_f64(seconds),
        })
    }
}

/// The share of a budget the limiter uses. The platform counts requests in fixed windows and
/// sees them a network hop later than they leave; 1 % headroom keeps a window from ever
/// seeing one request too many, whose 429 would pause every worker until the window ends.
pub const HEADROOM: f64 = 0.99;

/// The burst the limiter allows: half the headroom of one period. A worker that wakes late
/// (a busy machine) may then catch up on the slots it missed instead of losing them, while any
/// one period still sees at most `⌈rate × period⌉ + burst − 1` requests, within the budget.
/// (1000 / 10 s → 5; 100 / 10 s → 1, i.e. evenly spaced.)
pub fn burst_within_headroom(budget: RateBudget) -> NonZeroU32 {
    let spare = budget.requests as f64 * (1.0 - HEADROOM) / 2.0;
    NonZeroU32::new((spare.floor() as u32).clamp(1, 50)).expect("at least 1")
}

/// One GCRA limiter (governor) shared by every worker of a sink, plus a shared pause: a 429's
/// `Retry-After` stops all workers, not just the one that was refused.
pub struct SharedLimiter {
    budget: RateBudget,
    limiter: DefaultDirectRateLimiter,
    clock: DefaultClock,
    paused_until: Mutex<Option<Instant>>,
}

impl SharedLimiter {
    pub fn new(budget: RateBudget) -> Self {
        let per_request = budget.period.as_secs_f64() / (budget.requests as f64 * HEADROOM);
        let quota = Quota::with_period(Duration::from_secs_f64(per_request))
            .expect("a positive period")
            .allow_burst(burst_within_headroom(budget));
        SharedLimiter {
            budget,
            limiter: RateLimiter::direct(quota),
            clock: DefaultClock::default(),
            paused_until: Mutex::new(None),
        }
    }

    pub fn budget(&self) -> RateBudget {
        self.budget
    }

    /// Requests per second this limiter lets through.
    pub fn per_second(&self) -> f64 {
        self.budget.per_second() * HEADROOM
    }

    /// Blocks until the caller may send one request.
    pub fn acquire(&self) {
        loop {
            self.wait_out_pause();
            match self.limiter.check() {
                Ok(()) => break,
                Err(not_until) => std::thread::sleep(not_until.wait_time_from(self.clock.now())),
            }
        }
        // A pause that began while this worker waited for its turn still applies.
        self.wait_out_pause();
    }

    /// Stops every worker for `d` (a 429's `Retry-After`), extending a pause already running.
    pub fn pause_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut p = self.paused_until.lock().expect("pause lock");
        if p.is_none_or(|cur| cur < until) {
            *p = Some(until);
        }
    }

    fn wait_out_pause(&self) {
        loop {
            let until = *self.paused_until.lock().expect("pause lock");
            match until {
                Some(u) if u > Instant::now() => std::thread::sleep(u - Instant::now()),
                _ => return,
            }
        }
    }
}

/// Jittered exponential backoff: attempt `n` (from 1) waits a random time between half and
/// all of `base × 2^(n-1)`, at most `cap`; after `max_attempts` the record fails with the last
/// status.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(10),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.cap);
        exp.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }
}

/// Parses an HTTP `Retry-After` given in seconds (Clerk and most APIs; an HTTP date falls back
/// to `default`).
pub fn retry_after(value: Option<&str>, default: Duration) -> Duration {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
        .unwrap_or(default)
}

/// One HTTP attempt's result, as every remote platform's retry logic sees it.
pub(crate) enum Attempt {
    /// The platform answered.
    Reply {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    /// The request never left (connection refused, name not resolved): safe to send again.
    NotSent(String),
    /// The request may have reached the platform (timeout, connection reset): its outcome is
    /// unknown.
    Unknown(String),
}

/// Classifies what ureq gave for one request; bodies are read up to `body_limit` bytes.
pub(crate) fn attempt_of(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    body_limit: u64,
) -> Attempt {
    match result {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match resp
                .body_mut()
                .with_config()
                .limit(body_limit)
                .read_to_string()
            {
                Ok(body) => Attempt::Reply {
                    status,
                    retry_after,
                    body,
                },
                Err(e) => Attempt::Unknown(format!(
                    "HTTP {status}, body unreadable: {}",
                    describe_error(&e)
                )),
            }
        }
        Err(e @ (ureq::Error::ConnectionFailed | ureq::Error::HostNotFound)) => {
            Attempt::NotSent(describe_error(&e))
        }
        Err(ureq::Error::Timeout(t))
            if matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve) =>
        {
            Attempt::NotSent(format!("timed out connecting ({t})"))
        }
        Err(e) => Attempt::Unknown(describe_error(&e)),
    }
}

/// A path for messages: query strings carry identifiers (emails), which reports need not show.
pub(crate) fn strip_query(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}

/// A transport error for people (no URL query, no header).
pub(crate) fn describe_error(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::Io(io) => format!("connection error: {}", io.kind()),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!("1000/10s".parse(), Ok(RateBudget::new(1000, 10)));
        assert_eq!("100/10".parse(), Ok(RateBudget::new(100, 10)));
        assert_eq!("3000/1m".parse(), Ok(RateBudget::new(3000, 60)));
        assert_eq!("5/s".parse(), Ok(RateBudget::new(5, 1)));
        let ms: RateBudget = "20/500ms".parse().unwrap();
        assert_eq!(ms.period, Duration::from_millis(500));
        for bad in ["", "10", "x/1s", "0/1s", "10/0s", "10/1y", "10/-1s"] {
            assert!(bad.parse::<RateBudget>().is_err(), "{bad}");
        }
        assert_eq!(
            RateBudget::new(1000, 10).to_string(),
            "1000 requests / 10 s"
        );
    }

    #[test]
    fn limiter_spaces_requests_at_the_budget_less_headroom() {
        let l = SharedLimiter::new(RateBudget::new(200, 1));
        let start = Instant::now();
        for _ in 0..101 {
            l.acquire();
        }
        // 100 intervals of 1/198 s.
        let took = start.elapsed().as_secs_f64();
        assert!(took >= 100.0 / 198.0 * 0.98, "{took}");
    }

    #[test]
    fn the_burst_stays_within_the_headroom() {
        assert_eq!(burst_within_headroom(RateBudget::new(1000, 10)).get(), 5);
        assert_eq!(burst_within_headroom(RateBudget::new(100, 10)).get(), 1);
        assert_eq!(
            burst_within_headroom(RateBudget::new(100_000, 60)).get(),
            50
        );
        // Whatever the burst, one period never sees more than the budget.
        for b in [
            RateBudget::new(1000, 10),
            RateBudget::new(100, 10),
            RateBudget::new(5, 1),
        ] {
            // Evenly spaced at `rate`, plus the burst's extra requests at once.
            let most =
                (b.requests as f64 * HEADROOM).ceil() + burst_within_headroom(b).get() as f64 - 1.0;
            assert!(most <= b.requests as f64, "{b}: {most}");
        }
        // 5 at once after an idle spell, then paced.
        let l = SharedLimiter::new(RateBudget::new(1000, 10));
        let start = Instant::now();
        for _ in 0..5 {
            l.acquire();
        }
        assert!(start.elapsed() < Duration::from_millis(8));
    }

    #[test]
    fn a_pause_holds_every_caller() {
        let l = SharedLimiter::new(RateBudget::new(1000, 1));
        l.pause_for(Duration::from_millis(150));
        let start = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| l.acquire());
            }
        });
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let b = Backoff::default();
        for attempt in 1..12 {
            let d = b.delay(attempt);
            let full = b.base.saturating_mul(1 << (attempt - 1)).min(b.cap);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert_eq!(
            retry_after(Some("3"), Duration::ZERO),
            Duration::from_secs(3)
        );
        assert_eq!(
            retry_after(
                Some("Wed, 21 Oct 2015 07:28:00 GMT"),
                Duration::from_secs(1)
            ),
            Duration::from_secs(1)
        );
    }
}

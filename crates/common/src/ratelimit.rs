//! Rate limiting: tiers, policies and the sliding-window-counter algorithm. Pure: the caller
//! passes the clock, the Durable Object stores the state.
//!
//! ## Algorithm
//!
//! Each window (a minute, a day) keeps two counters: the requests of the current window and of
//! the one before. The estimated count at time `t` into the current window of length `w` is
//! `previous × (w − t) / w + current`; a request is allowed when that estimate plus its cost stays
//! within the limit. Both windows of a policy are checked first and counted only if both allow,
//! so a refused request costs nothing.
//!
//! Why this rather than GCRA: GCRA spreads a per-minute budget evenly (one request per second for
//! 60/min after the burst), which cannot express "1,000 per day" next to "60 per minute" without
//! two GCRA states, and it reports a remaining count that grows back continuously, which reads
//! oddly in `X-RateLimit-Remaining`. The sliding window counter keeps two integers per window,
//! is exact inside a window, smooths the boundary burst that fixed windows allow (at most the
//! weighted share of the previous window, instead of 2×), and gives a plain remaining count.
//!
//! Windows are anchored at the subject's first request rather than at wall-clock minutes, so
//! resets of different keys are spread out instead of all falling on `:00`.

use serde::{Deserialize, Serialize};

pub const MINUTE_MS: u64 = 60_000;
pub const DAY_MS: u64 = 86_400_000;

/// The tiers of the product description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Public,
    Free,
    Starter,
    Professional,
    Enterprise,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Public => "public",
            Tier::Free => "free",
            Tier::Starter => "starter",
            Tier::Professional => "professional",
            Tier::Enterprise => "enterprise",
        }
    }

    /// The tier of a billing plan name (`organizations.plan`); unknown plans are Free.
    pub fn from_plan(plan: &str) -> Tier {
        match plan {
            "starter" => Tier::Starter,
            "professional" => Tier::Professional,
            "enterprise" => Tier::Enterprise,
            _ => Tier::Free,
        }
    }

    /// Default (per minute, per day) limits. Enterprise has no default: its limits are stored
    /// with the organization (and fall back to Professional's when unset).
    pub fn default_limits(self) -> (u64, u64) {
        match self {
            Tier::Public => (10, 100),
            Tier::Free => (60, 1_000),
            Tier::Starter => (300, 50_000),
            Tier::Professional | Tier::Enterprise => (1_000, 500_000),
        }
    }
}

/// One window of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// `minute` or `day`: also the name used in `RateLimit-Policy`.
    pub name: String,
    pub limit: u64,
    pub window_ms: u64,
}

/// A named set of windows. The name identifies the counters: two policies with different names
/// never share state, so changing a subject's tier or limits starts fresh counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub tier: Tier,
    pub windows: Vec<Window>,
}

impl Policy {
    /// The policy for a tier; `custom` (per minute, per day) applies to Enterprise only.
    pub fn for_tier(tier: Tier, custom: Option<(u64, u64)>) -> Policy {
        let (per_minute, per_day) = match (tier, custom) {
            (Tier::Enterprise, Some(c)) => c,
            _ => tier.default_limits(),
        };
        let name = match tier {
            // Custom limits are part of the name, so a renegotiated contract starts new counters.
            Tier::Enterprise => format!("enterprise:{per_minute}:{per_day}"),
            _ => tier.as_str().to_string(),
        };
        Policy {
            name,
            tier,
            windows: vec![
                Window { name: "minute".into(), limit: per_minute, window_ms: MINUTE_MS },
                Window { name: "day".into(), limit: per_day, window_ms: DAY_MS },
            ],
        }
    }

    /// `RateLimit-Policy` (IETF draft): `"minute";q=60;w=60, "day";q=1000;w=86400`.
    pub fn header(&self) -> String {
        self.windows
            .iter()
            .map(|w| format!("\"{}\";q={};w={}", w.name, w.limit, w.window_ms / 1000))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Counters of one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    /// Index of the current window since the anchor.
    pub index: u64,
    pub current: u64,
    pub previous: u64,
}

/// Everything stored for one (subject, policy).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Time of the first request: windows are aligned to it.
    pub anchor_ms: u64,
    /// Latest time seen; the clock is never allowed to run backwards past it.
    pub last_ms: u64,
    pub counters: Vec<Counter>,
}

/// The outcome for one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStatus {
    pub name: String,
    pub limit: u64,
    pub remaining: u64,
    /// Unix milliseconds at which the current window ends.
    pub reset_ms: u64,
    /// Milliseconds until a request of the same cost would be allowed (0 if allowed now).
    pub retry_after_ms: u64,
}

/// The decision for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub policy: String,
    pub tier: Tier,
    /// The window reported in the headers: the refusing one, or the one closest to exhaustion.
    pub reported: WindowStatus,
    pub windows: Vec<WindowStatus>,
}

impl Decision {
    /// `Retry-After` in whole seconds (rounded up, at least 1 when refused).
    pub fn retry_after_secs(&self) -> u64 {
        if self.allowed {
            0
        } else {
            self.reported.retry_after_ms.div_ceil(1000).max(1)
        }
    }

    /// `X-RateLimit-Reset`: Unix seconds at which the reported window ends.
    pub fn reset_secs(&self) -> u64 {
        self.reported.reset_ms.div_ceil(1000)
    }

    /// The response headers every limited response carries.
    pub fn headers(&self, policy: &Policy, now_ms: u64) -> Vec<(&'static str, String)> {
        let r = &self.reported;
        let mut h = vec![
            ("X-RateLimit-Limit", r.limit.to_string()),
            ("X-RateLimit-Remaining", r.remaining.to_string()),
            ("X-RateLimit-Reset", self.reset_secs().to_string()),
            ("RateLimit-Policy", policy.header()),
            (
                "RateLimit",
                format!(
                    "\"{}\";r={};t={}",
                    r.name,
                    r.remaining,
                    r.reset_ms.saturating_sub(now_ms).div_ceil(1000)
                ),
            ),
        ];
        if !self.allowed {
            h.push(("Retry-After", self.retry_after_secs().to_string()));
        }
        h
    }
}

fn estimate(c: &Counter, elapsed_in_window: u64, window_ms: u64) -> f64 {
    let weight = (window_ms - elapsed_in_window) as f64 / window_ms as f64;
    c.previous as f64 * weight + c.current as f64
}

/// The counter as of window `index` (rolling forward as time passes).
fn rolled(c: Counter, index: u64) -> Counter {
    match index.saturating_sub(c.index) {
        0 => c,
        1 => Counter { index, current: 0, previous: c.current },
        _ => Counter { index, current: 0, previous: 0 },
    }
}

/// Milliseconds from now (`elapsed` into the window) until `cost` more requests fit, given the
/// rolled counter. Solved in closed form, then nudged forward so that it agrees exactly with the
/// floating-point test `check` applies.
fn wait_ms(c: &Counter, elapsed: u64, window_ms: u64, limit: u64, cost: u64) -> u64 {
    if cost > limit {
        return u64::MAX;
    }
    let w = window_ms as f64;
    let fits = |prev: u64, cur: u64, t: u64| {
        prev as f64 * (window_ms - t) as f64 / w + (cur + cost) as f64 <= limit as f64
    };
    let settle = |mut t: u64, prev: u64, cur: u64| {
        while t < window_ms && !fits(prev, cur, t) {
            t += 1;
        }
        t
    };
    if fits(c.previous, c.current, elapsed) {
        return 0;
    }
    // Later in this window, once previous × (w − t)/w ≤ limit − current − cost.
    if c.current + cost <= limit && c.previous > 0 {
        let t =
            (w - (limit - c.current - cost) as f64 * w / c.previous as f64).ceil().max(0.0) as u64;
        let t = settle(t.max(elapsed), c.previous, c.current);
        if t < window_ms {
            return t - elapsed;
        }
    }
    // In the next window, where `current` becomes `previous` and the new current is empty.
    let to_next = window_ms - elapsed;
    if c.current == 0 {
        return to_next;
    }
    let t = (w - (limit - cost) as f64 * w / c.current as f64).ceil().max(0.0) as u64;
    to_next + settle(t, c.current, 0)
}

/// Checks and, if allowed, counts `cost` requests at `now_ms`. The state is updated only when the
/// request is allowed (apart from the clock and window roll-over, which change nothing observable).
pub fn check(policy: &Policy, state: &mut State, now_ms: u64, cost: u64) -> Decision {
    if state.counters.len() != policy.windows.len() || state.anchor_ms == 0 {
        *state = State {
            anchor_ms: now_ms.max(1),
            last_ms: now_ms,
            counters: vec![Counter::default(); policy.windows.len()],
        };
    }
    // A clock that steps backwards is treated as standing still.
    let now = now_ms.max(state.last_ms);
    state.last_ms = now;
    let since_anchor = now - state.anchor_ms;

    let mut statuses = Vec::with_capacity(policy.windows.len());
    let mut rolled_counters = Vec::with_capacity(policy.windows.len());
    let mut allowed = true;
    for (w, c) in policy.windows.iter().zip(state.counters.iter()) {
        let index = since_anchor / w.window_ms;
        let elapsed = since_anchor % w.window_ms;
        let c = rolled(*c, index);
        let est = estimate(&c, elapsed, w.window_ms);
        let ok = est + cost as f64 <= w.limit as f64;
        allowed &= ok;
        let reset_ms = state.anchor_ms + (index + 1) * w.window_ms;
        statuses.push((w, c, elapsed, reset_ms, ok));
        rolled_counters.push(c);
    }
    if allowed {
        for c in rolled_counters.iter_mut() {
            c.current += cost;
        }
    }
    let windows: Vec<WindowStatus> = statuses
        .iter()
        .zip(rolled_counters.iter())
        .map(|((w, before, elapsed, reset_ms, _), after)| {
            let used = estimate(after, *elapsed, w.window_ms).ceil() as u64;
            WindowStatus {
                name: w.name.clone(),
                limit: w.limit,
                remaining: w.limit.saturating_sub(used),
                reset_ms: *reset_ms,
                retry_after_ms: if allowed {
                    0
                } else {
                    wait_ms(before, *elapsed, w.window_ms, w.limit, cost)
                },
            }
        })
        .collect();
    state.counters = rolled_counters;

    // Report the refusing window with the longest wait, else the one with the least headroom
    // (relative to its limit; ties go to the shorter window).
    let reported = if allowed {
        windows
            .iter()
            .min_by(|a, b| {
                let ra = a.remaining as f64 / a.limit.max(1) as f64;
                let rb = b.remaining as f64 / b.limit.max(1) as f64;
                ra.partial_cmp(&rb).unwrap_or(std::cmp::Ordering::Equal)
            })
            .cloned()
    } else {
        windows.iter().filter(|w| w.retry_after_ms > 0).max_by_key(|w| w.retry_after_ms).cloned()
    }
    .unwrap_or_else(|| windows[0].clone());

    Decision { allowed, policy: policy.name.clone(), tier: policy.tier, reported, windows }
}

/// Gives back `cost` requests counted in the current windows (used when the request turned out
/// to be a 401/403, which must not consume the budget).
pub fn refund(state: &mut State, cost: u64) {
    for c in state.counters.iter_mut() {
        c.current = c.current.saturating_sub(cost);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_800_000_000_000;

    fn policy(per_minute: u64, per_day: u64) -> Policy {
        Policy::for_tier(Tier::Enterprise, Some((per_minute, per_day)))
    }

    #[test]
    fn tiers_match_the_product_table() {
        assert_eq!(Tier::Public.default_limits(), (10, 100));
        assert_eq!(Tier::Free.default_limits(), (60, 1_000));
        assert_eq!(Tier::Starter.default_limits(), (300, 50_000));
        assert_eq!(Tier::Professional.default_limits(), (1_000, 500_000));
        let p = Policy::for_tier(Tier::Enterprise, Some((5_000, 9_000_000)));
        assert_eq!(p.windows[0].limit, 5_000);
        assert_eq!(p.name, "enterprise:5000:9000000");
        assert_eq!(
            Policy::for_tier(Tier::Free, Some((1, 1))).windows[0].limit,
            60,
            "custom only for enterprise"
        );
        assert_eq!(Tier::from_plan("starter"), Tier::Starter);
        assert_eq!(Tier::from_plan("nonsense"), Tier::Free);
        assert_eq!(
            Policy::for_tier(Tier::Free, None).header(),
            "\"minute\";q=60;w=60, \"day\";q=1000;w=86400"
        );
    }

    #[test]
    fn exactly_the_limit_inside_a_window() {
        let p = Policy::for_tier(Tier::Free, None);
        let mut s = State::default();
        let allowed = (0..120).filter(|i| check(&p, &mut s, T0 + i * 10, 1).allowed).count();
        assert_eq!(allowed, 60);
        let d = check(&p, &mut s, T0 + 2_000, 1);
        assert!(!d.allowed);
        assert_eq!(d.reported.name, "minute");
        assert_eq!(d.reported.remaining, 0);
        assert_eq!(d.reported.limit, 60);
        // The minute window started at T0 and ends a minute later.
        assert_eq!(d.reported.reset_ms, T0 + MINUTE_MS);
        assert_eq!(d.reset_secs(), (T0 + MINUTE_MS) / 1000);
        // Everything was counted in the current window; the previous one is empty, so the wait
        // is to the end of the window plus the share of it that still weighs.
        assert!(
            d.retry_after_secs() >= 58 && d.retry_after_secs() <= 61,
            "{}",
            d.retry_after_secs()
        );
    }

    #[test]
    fn refused_requests_cost_nothing() {
        let p = policy(2, 100);
        let mut s = State::default();
        assert!(check(&p, &mut s, T0, 1).allowed);
        assert!(check(&p, &mut s, T0 + 1, 1).allowed);
        for i in 0..50 {
            assert!(!check(&p, &mut s, T0 + 2 + i, 1).allowed);
        }
        assert_eq!(s.counters[1].current, 2, "the day window counted only the allowed two");
    }

    #[test]
    fn boundaries_weigh_the_previous_window() {
        let p = policy(10, 1_000);
        let mut s = State::default();
        for i in 0..10 {
            assert!(check(&p, &mut s, T0 + i, 1).allowed);
        }
        // Exactly at the boundary the previous window still weighs fully: nothing fits.
        assert!(!check(&p, &mut s, T0 + MINUTE_MS, 1).allowed);
        // Half-way through the next window half of it still counts: 5 more fit.
        let half = T0 + MINUTE_MS + MINUTE_MS / 2;
        let n = (0..10).filter(|i| check(&p, &mut s, half + i, 1).allowed).count();
        assert_eq!(n, 5);
        // Two windows later everything is forgotten.
        let n = (0..20).filter(|i| check(&p, &mut s, T0 + 3 * MINUTE_MS + i, 1).allowed).count();
        assert_eq!(n, 10);
    }

    #[test]
    fn retry_after_is_when_the_next_request_fits() {
        let p = policy(10, 1_000);
        let mut s = State::default();
        for i in 0..10 {
            check(&p, &mut s, T0 + i, 1);
        }
        let now = T0 + MINUTE_MS + 1_000;
        let d = check(&p, &mut s, now, 1);
        assert!(!d.allowed);
        let wait = d.reported.retry_after_ms;
        assert!(!check(&p, &mut s.clone(), now + wait - 1, 1).allowed, "not a millisecond earlier");
        assert!(check(&p, &mut s.clone(), now + wait, 1).allowed, "but exactly then");
    }

    #[test]
    fn both_windows_and_the_day_can_run_out_first() {
        // A day limit smaller than what the minute window would allow over time.
        let p = policy(10, 25);
        let mut s = State::default();
        let mut allowed = 0;
        for minute in 0..5 {
            for i in 0..10 {
                if check(&p, &mut s, T0 + minute * 3 * MINUTE_MS + i, 1).allowed {
                    allowed += 1;
                }
            }
        }
        assert_eq!(allowed, 25, "the day window capped the total");
        let d = check(&p, &mut s, T0 + 20 * MINUTE_MS, 1);
        assert!(!d.allowed);
        assert_eq!(d.reported.name, "day", "the refusing window is reported");
        assert_eq!(d.reported.reset_ms, T0 + DAY_MS);
        assert!(d.retry_after_secs() > 3600);
        let minute = d.windows.iter().find(|w| w.name == "minute").unwrap();
        assert_eq!(minute.retry_after_ms, 0, "the minute window alone would allow it");
    }

    #[test]
    fn the_tightest_window_is_reported_when_allowed() {
        let p = policy(100, 5);
        let mut s = State::default();
        let d = check(&p, &mut s, T0, 1);
        assert!(d.allowed);
        assert_eq!(d.reported.name, "day");
        assert_eq!(d.reported.remaining, 4);
        let headers = d.headers(&p, T0);
        assert!(headers.contains(&("X-RateLimit-Remaining", "4".to_string())));
        assert!(headers.contains(&("X-RateLimit-Limit", "5".to_string())));
        assert!(!headers.iter().any(|(k, _)| *k == "Retry-After"));
    }

    #[test]
    fn a_clock_running_backwards_does_not_reopen_windows() {
        let p = policy(3, 100);
        let mut s = State::default();
        for i in 0..3 {
            assert!(check(&p, &mut s, T0 + 5_000 + i, 1).allowed);
        }
        // Skewed clock: 10 minutes in the past. Treated as "no time passed".
        assert!(!check(&p, &mut s, T0 - 600_000, 1).allowed);
        assert_eq!(s.last_ms, T0 + 5_002);
        // And a big jump forward simply rolls the windows.
        assert!(check(&p, &mut s, T0 + 10 * MINUTE_MS, 1).allowed);
    }

    #[test]
    fn refunds_give_back_the_current_window() {
        let p = policy(2, 100);
        let mut s = State::default();
        check(&p, &mut s, T0, 1);
        check(&p, &mut s, T0 + 1, 1);
        assert!(!check(&p, &mut s, T0 + 2, 1).allowed);
        refund(&mut s, 1);
        assert!(check(&p, &mut s, T0 + 3, 1).allowed);
    }

    #[test]
    fn costs_larger_than_the_limit_never_fit() {
        let p = policy(5, 100);
        let mut s = State::default();
        let d = check(&p, &mut s, T0, 6);
        assert!(!d.allowed);
        assert_eq!(s.counters[0].current, 0);
    }
}

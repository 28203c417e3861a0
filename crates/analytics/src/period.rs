//! Windows of time and their buckets. Times are epoch milliseconds; a window is `[from, to)`.
//! Every answer is in UTC (the organization has no time-zone setting yet), and says so.

use crow_common::time::{civil_from_days, days_from_civil, iso8601, parse_iso8601};
use crow_common::ApiError;

use crate::metric::Totals;

pub const DAY_MS: i64 = 86_400_000;
/// The time zone every answer is given in.
pub const TIME_ZONE: &str = "UTC";
/// Default window: the last 30 days.
pub const DEFAULT_DAYS: i64 = 30;
/// Longest window: two years (731 days, so a leap year fits).
pub const MAX_DAYS: i64 = 731;

/// `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Window {
    pub fn new(from_ms: i64, to_ms: i64) -> Window {
        Window { from_ms, to_ms }
    }

    /// From the `from`/`to` query values (ISO 8601 timestamps or dates; `to` exclusive). A
    /// missing `to` is now; a missing `from` is 30 days before `to`.
    pub fn parse(from: Option<&str>, to: Option<&str>, now_ms: i64) -> Result<Window, ApiError> {
        let ts = |field: &str, v: &str| {
            parse_iso8601(v).ok_or_else(|| {
                ApiError::invalid_field(field, "must be an ISO 8601 timestamp or date")
                    .detail("expected", "ISO 8601 format, e.g. 2026-11-01 or 2026-11-01T00:00:00Z")
            })
        };
        let to_ms = match to {
            Some(v) => ts("to", v)?,
            None => now_ms,
        };
        let from_ms = match from {
            Some(v) => ts("from", v)?,
            None => to_ms - DEFAULT_DAYS * DAY_MS,
        };
        if from_ms >= to_ms {
            return Err(ApiError::invalid_field("from", "must be before `to`"));
        }
        if to_ms - from_ms > MAX_DAYS * DAY_MS {
            return Err(ApiError::invalid_field("from", "the range must be at most 2 years")
                .detail("maxDays", MAX_DAYS));
        }
        Ok(Window { from_ms, to_ms })
    }

    pub fn span_ms(&self) -> i64 {
        self.to_ms - self.from_ms
    }

    /// The window of equal length that ends where this one starts.
    pub fn previous(&self) -> Window {
        Window { from_ms: self.from_ms - self.span_ms(), to_ms: self.from_ms }
    }

    pub fn from_iso(&self) -> String {
        iso8601(self.from_ms)
    }

    pub fn to_iso(&self) -> String {
        iso8601(self.to_ms)
    }

    /// "2026-10-01 to 2026-10-31": the days covered, `to` shown inclusively when it is midnight.
    pub fn describe(&self) -> String {
        let first = date(self.from_ms);
        let last = if self.to_ms % DAY_MS == 0 {
            date(self.to_ms - DAY_MS)
        } else {
            iso8601(self.to_ms)[..16].replace('T', " ")
        };
        let first = if self.from_ms % DAY_MS == 0 {
            first
        } else {
            iso8601(self.from_ms)[..16].replace('T', " ")
        };
        if first == last {
            first
        } else {
            format!("{first} to {last}")
        }
    }
}

/// A window as the store reads it: whole UTC days `[first_day, end_day)` from the daily rollups,
/// and the rest (`[from, edge_a)` and `[edge_b, to)`, partial days) from the interactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub first_day: i64,
    pub end_day: i64,
    pub edge_a: i64,
    pub edge_b: i64,
}

impl Window {
    pub fn split(&self) -> Split {
        let first =
            self.from_ms.div_euclid(DAY_MS) + i64::from(self.from_ms.rem_euclid(DAY_MS) != 0);
        let end = self.to_ms.div_euclid(DAY_MS);
        if first < end {
            Split { first_day: first, end_day: end, edge_a: first * DAY_MS, edge_b: end * DAY_MS }
        } else {
            // No whole day inside: everything from the interactions.
            Split { first_day: 0, end_day: 0, edge_a: self.to_ms, edge_b: self.to_ms }
        }
    }
}

/// `YYYY-MM-DD` of a time.
pub fn date(ms: i64) -> String {
    iso8601(ms)[..10].to_string()
}

/// Bucket width of a time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
}

impl Interval {
    pub const NAMES: [&'static str; 3] = ["day", "week", "month"];

    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// First day (days since 1970-01-01) of the bucket holding `day`. Weeks start on Monday
    /// (ISO 8601); 1970-01-01 was a Thursday.
    pub fn bucket_start(self, day: i64) -> i64 {
        match self {
            Interval::Day => day,
            Interval::Week => day - (day + 3).rem_euclid(7),
            Interval::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1)
            }
        }
    }

    /// First day of the bucket after the one starting at `start`.
    pub fn next_start(self, start: i64) -> i64 {
        match self {
            Interval::Day => start + 1,
            Interval::Week => start + 7,
            Interval::Month => {
                let (y, m, _) = civil_from_days(start);
                if m == 12 {
                    days_from_civil(y + 1, 1, 1)
                } else {
                    days_from_civil(y, m + 1, 1)
                }
            }
        }
    }
}

/// One bucket of a series: its part of the window and the sums of the days in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub window: Window,
    pub totals: Totals,
}

/// Most buckets one series has (a two-year window by day).
pub const MAX_BUCKETS: usize = MAX_DAYS as usize + 1;

/// The buckets covering `window`, in order, each clipped to the window; `days` are per-day
/// sums (days since 1970-01-01, any order) and days without a row are zeros.
pub fn buckets(window: Window, interval: Interval, days: &[(i64, Totals)]) -> Vec<Bucket> {
    let first_day = window.from_ms.div_euclid(DAY_MS);
    let mut out = Vec::new();
    let mut start = interval.bucket_start(first_day);
    while start * DAY_MS < window.to_ms && out.len() < MAX_BUCKETS {
        let next = interval.next_start(start);
        let w =
            Window::new((start * DAY_MS).max(window.from_ms), (next * DAY_MS).min(window.to_ms));
        let mut totals = Totals::default();
        for (d, t) in days {
            if *d >= start && *d < next {
                totals.add(t);
            }
        }
        out.push(Bucket { window: w, totals });
        start = next;
    }
    out
}

/// A period named the way people say it, relative to `now_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relative {
    Today,
    Yesterday,
    ThisWeek,
    LastWeek,
    ThisMonth,
    LastMonth,
    ThisYear,
    LastYear,
    LastDays(i64),
    /// A calendar month (1-12) of the current year, or of last year when it has not come yet.
    Month(i64),
}

impl Relative {
    pub fn window(self, now_ms: i64) -> Window {
        let today = now_ms.div_euclid(DAY_MS);
        let (y, m, _) = civil_from_days(today);
        let days = |a: i64, b: i64| Window::new(a * DAY_MS, b * DAY_MS);
        match self {
            Relative::Today => Window::new(today * DAY_MS, now_ms.max(today * DAY_MS + 1)),
            Relative::Yesterday => days(today - 1, today),
            Relative::ThisWeek => {
                let s = Interval::Week.bucket_start(today);
                Window::new(s * DAY_MS, now_ms.max(s * DAY_MS + 1))
            }
            Relative::LastWeek => {
                let s = Interval::Week.bucket_start(today);
                days(s - 7, s)
            }
            Relative::ThisMonth => {
                let s = days_from_civil(y, m, 1);
                Window::new(s * DAY_MS, now_ms.max(s * DAY_MS + 1))
            }
            Relative::LastMonth => {
                let s = days_from_civil(y, m, 1);
                days(Interval::Month.bucket_start(s - 1), s)
            }
            Relative::ThisYear => {
                let s = days_from_civil(y, 1, 1);
                Window::new(s * DAY_MS, now_ms.max(s * DAY_MS + 1))
            }
            Relative::LastYear => days(days_from_civil(y - 1, 1, 1), days_from_civil(y, 1, 1)),
            Relative::LastDays(n) => Window::new(now_ms - n * DAY_MS, now_ms),
            Relative::Month(month) => {
                let year = if month >= m {
                    if month == m {
                        y
                    } else {
                        y - 1
                    }
                } else {
                    y
                };
                let s = days_from_civil(year, month, 1);
                days(s, Interval::Month.next_start(s))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        parse_iso8601(s).unwrap()
    }

    #[test]
    fn windows_default_validate_and_name_the_field() {
        let now = ms("2026-12-02T06:00:00Z");
        let w = Window::parse(None, None, now).unwrap();
        assert_eq!((w.to_ms, w.span_ms()), (now, 30 * DAY_MS));
        let w = Window::parse(Some("2026-10-01"), Some("2026-11-01"), now).unwrap();
        assert_eq!(w.describe(), "2026-10-01 to 2026-10-31");
        assert_eq!(w.previous(), Window::new(ms("2026-08-31"), ms("2026-10-01")));
        for (from, to, field) in [
            (Some("yesterday"), None, "from"),
            (None, Some("2026-13-01"), "to"),
            (Some("2026-11-02"), Some("2026-11-01"), "from"),
            (Some("2026-11-01"), Some("2026-11-01"), "from"),
            (Some("2024-01-01"), Some("2026-11-01"), "from"),
        ] {
            let e = Window::parse(from, to, now).unwrap_err();
            assert_eq!(e.details["field"], field, "{from:?} {to:?}");
            assert_eq!(e.status(), 400);
        }
        assert!(Window::parse(Some("2024-11-01"), Some("2026-11-01"), now).is_ok());
    }

    #[test]
    fn windows_split_into_whole_days_and_edges() {
        let w = Window::new(ms("2026-10-01T12:00:00Z"), ms("2026-10-04T06:00:00Z"));
        let s = w.split();
        assert_eq!(
            (s.first_day, s.end_day),
            (ms("2026-10-02") / DAY_MS, ms("2026-10-04") / DAY_MS)
        );
        assert_eq!((s.edge_a, s.edge_b), (ms("2026-10-02"), ms("2026-10-04")));
        let whole = Window::new(ms("2026-10-01"), ms("2026-11-01")).split();
        assert_eq!((whole.edge_a, whole.edge_b), (ms("2026-10-01"), ms("2026-11-01")));
        let short = Window::new(ms("2026-10-01T01:00:00Z"), ms("2026-10-01T05:00:00Z"));
        let s = short.split();
        assert!(s.first_day >= s.end_day);
        assert_eq!((s.edge_a, s.edge_b), (short.to_ms, short.to_ms));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let d = ms("2026-11-05") / DAY_MS; // a Thursday
        assert_eq!(Interval::Week.bucket_start(d), ms("2026-11-02") / DAY_MS);
        assert_eq!(Interval::Month.bucket_start(d), ms("2026-11-01") / DAY_MS);
        assert_eq!(
            Interval::Month.next_start(ms("2026-12-01") / DAY_MS),
            ms("2027-01-01") / DAY_MS
        );
        assert_eq!(
            Interval::Month.next_start(ms("2028-02-01") / DAY_MS),
            ms("2028-03-01") / DAY_MS
        );
    }

    #[test]
    fn buckets_cover_the_window_with_zeros() {
        let w = Window::new(ms("2026-10-28T12:00:00Z"), ms("2026-11-10"));
        let one = Totals { purchases: 2.0, ..Totals::default() };
        let days = [(ms("2026-10-29") / DAY_MS, one), (ms("2026-11-09") / DAY_MS, one)];
        let b = buckets(w, Interval::Week, &days);
        // Weeks of Oct 26, Nov 2 and Nov 9, the first and last clipped to the window.
        assert_eq!(b.len(), 3);
        assert_eq!(b[0].window, Window::new(w.from_ms, ms("2026-11-02")));
        assert_eq!(b[1].totals, Totals::default());
        assert_eq!(b[2].window, Window::new(ms("2026-11-09"), ms("2026-11-10")));
        assert_eq!((b[0].totals.purchases, b[2].totals.purchases), (2.0, 2.0));
        let d = buckets(w, Interval::Day, &days);
        assert_eq!(d.len(), 13);
        assert_eq!(d.iter().map(|b| b.totals.purchases).sum::<f64>(), 4.0);
        let m = buckets(w, Interval::Month, &days);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].window.from_ms, ms("2026-11-01"));
        let long = Window::parse(Some("2024-11-02"), Some("2026-11-02"), 0).unwrap();
        assert_eq!(buckets(long, Interval::Day, &[]).len(), 730);
    }

    #[test]
    fn relative_periods() {
        let now = ms("2026-12-02T06:53:00Z"); // a Wednesday
        let w = |r: Relative| {
            let w = r.window(now);
            (date(w.from_ms), date(w.to_ms))
        };
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(w(Relative::LastWeek), s("2026-11-23", "2026-11-30"));
        assert_eq!(w(Relative::LastMonth), s("2026-11-01", "2026-12-01"));
        assert_eq!(w(Relative::Yesterday), s("2026-12-01", "2026-12-02"));
        assert_eq!(w(Relative::Month(10)), s("2026-10-01", "2026-11-01"));
        assert_eq!(w(Relative::Month(12)), s("2026-12-01", "2027-01-01"));
        assert_eq!(w(Relative::LastYear), s("2025-01-01", "2026-01-01"));
        assert_eq!(Relative::LastDays(7).window(now).span_ms(), 7 * DAY_MS);
        let jan = ms("2027-01-15T00:00:00Z");
        assert_eq!(date(Relative::LastMonth.window(jan).from_ms), "2026-12-01");
        assert_eq!(date(Relative::Month(11).window(jan).from_ms), "2026-11-01");
    }
}

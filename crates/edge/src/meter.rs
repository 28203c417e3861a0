//! The per-request binding meter: every D1 statement, Durable Object call, service-binding
//! call, KV read and model call of one request is counted and timed here (a `Span` records
//! itself when dropped). The tally goes into the request's log line, and into a
//! `Server-Timing` header when the worker's `SERVER_TIMING` variable is `on` (local config only;
//! production does not expose it).

use std::cell::RefCell;
use std::rc::Rc;

use crow_common::timing::Tally;

/// Shared by the request's context and everything it calls; cloning shares the tally.
#[derive(Debug, Clone, Default)]
pub struct Meter(Rc<RefCell<Tally>>);

impl Meter {
    pub fn new() -> Meter {
        Meter::default()
    }

    /// Starts timing one call of kind `kind`; recorded when the span is dropped, so an early
    /// return or an error still counts the call.
    pub fn span(&self, kind: &'static str) -> Span {
        Span { meter: self.clone(), kind, started: js_sys::Date::now() }
    }

    /// Merges the `Server-Timing` header of another worker's response under `prefix`.
    pub fn merge_header(&self, prefix: &str, header: &str) {
        self.0.borrow_mut().merge_prefixed(prefix, &Tally::parse_header(header));
    }

    pub fn tally(&self) -> Tally {
        self.0.borrow().clone()
    }
}

pub struct Span {
    meter: Meter,
    kind: &'static str,
    started: f64,
}

impl Drop for Span {
    fn drop(&mut self) {
        let ms = js_sys::Date::now() - self.started;
        self.meter.0.borrow_mut().add(self.kind, 1, ms);
    }
}

//! Retail analytics over an organization's interactions, as pure logic:
//!
//! - [`metric`]: what each metric means (which interaction `kind` and attribute it counts), the
//!   one SQL select list every analytics query aggregates with, and the figures derived from it;
//! - [`period`]: the `from`/`to` window (ISO 8601, default the last 30 days, at most two years),
//!   the previous window of equal length, and day/week/month buckets with empty ones as zeros;
//! - [`params`]: the query parameters of each endpoint, validated into 400s naming the field;
//! - [`report`]: the typed answers of `/api/v1/analytics/organization/:orgId/*`, built from the
//!   rows the gateway's store reads;
//! - [`text`]: plain sentences about an answer, shared by the MCP tools and the agent.
//!
//! The gateway only runs the SQL this crate chooses and hands back the rows, so every figure
//! is computed from the organization's own interactions at request time.

pub mod metric;
pub mod params;
pub mod period;
pub mod report;
pub mod text;

pub use metric::{Figures, Metric, Totals};
pub use period::{Interval, Window};

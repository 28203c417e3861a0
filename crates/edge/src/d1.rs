//! A thin typed layer over a D1 binding, shared by the gateway (`crow-db`) and the A2A worker
//! (`crow-a2a`). Every statement is parameterised; integers are bound as JS numbers (D1 refuses
//! BigInt); rows decode straight into serde types; every call is counted on the request's
//! `Meter`. Failures are `Error::D1`, which each worker maps to a 503 in its own error type.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::meter::Meter;
use crate::Error;

/// A bound parameter.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    Real(f64),
    Null,
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl From<f64> for Arg<'_> {
    fn from(n: f64) -> Self {
        Arg::Real(n)
    }
}

impl From<u64> for Arg<'_> {
    fn from(n: u64) -> Self {
        Arg::Int(n as i64)
    }
}

impl<'a, T: Into<Arg<'a>>> From<Option<T>> for Arg<'a> {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Arg::Null)
    }
}

impl Arg<'_> {
    fn js(&self) -> JsValue {
        match self {
            Arg::Text(s) => JsValue::from_str(s),
            // Safe for every value used here (ids are text; counts and epoch ms fit in 2^53).
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Real(x) => JsValue::from_f64(*x),
            Arg::Null => JsValue::NULL,
        }
    }
}

/// Shorthand for building an argument list: `args![a, b, 3i64]`.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => { &[$($crate::d1::Arg::from($x)),*] };
}

fn fail(op: &'static str) -> impl Fn(worker::Error) -> Error {
    move |source| Error::D1 { op, source }
}

/// Whether D1 refused a statement because the database was busy (another writer held the lock):
/// nothing was applied, so even a write may be retried.
fn is_busy(e: &worker::Error) -> bool {
    let text = e.to_string();
    text.contains("SQLITE_BUSY") || text.contains("database is locked")
}

/// Pause before a retry.
async fn backoff(attempt: u32) {
    worker::Delay::from(std::time::Duration::from_millis(25 << attempt.min(4))).await;
}

/// Writes retried this many times when the database was busy.
const BUSY_RETRIES: u32 = 3;

/// A D1 binding and the meter of the request using it.
pub struct D1 {
    db: D1Database,
    meter: Meter,
}

impl D1 {
    pub fn bind(env: &Env, binding: &str, meter: &Meter) -> Result<D1, Error> {
        Ok(D1 { db: env.d1(binding).map_err(fail("binding"))?, meter: meter.clone() })
    }

    /// The meter of the request using this database (for the calls made next to it).
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// A prepared statement with its parameters bound (no round trip yet).
    pub fn statement(&self, sql: &str, args: &[Arg<'_>]) -> Result<D1PreparedStatement, Error> {
        let values: Vec<JsValue> = args.iter().map(Arg::js).collect();
        self.db.prepare(sql).bind(&values).map_err(fail("binding parameters"))
    }

    /// A read. Reads are idempotent, so one transient failure (a dropped connection to the
    /// database) is retried once before it becomes an error.
    pub async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<T>, Error> {
        self.first_of(&self.statement(sql, args)?).await
    }

    /// All rows of a read, retried once like `first`.
    pub async fn all<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Vec<T>, Error> {
        self.all_of(&self.statement(sql, args)?).await
    }

    /// The first row of a prepared read (retried once).
    pub async fn first_of<T: DeserializeOwned>(
        &self,
        statement: &D1PreparedStatement,
    ) -> Result<Option<T>, Error> {
        let once = {
            let _span = self.meter.span("d1");
            statement.first::<T>(None).await
        };
        match once {
            Ok(v) => Ok(v),
            Err(e) => {
                worker::console_warn!("D1 read failed, retrying once: {e}");
                backoff(0).await;
                let _span = self.meter.span("d1");
                statement.first::<T>(None).await.map_err(fail("reading"))
            }
        }
    }

    /// All rows of a prepared read (retried once).
    pub async fn all_of<T: DeserializeOwned>(
        &self,
        statement: &D1PreparedStatement,
    ) -> Result<Vec<T>, Error> {
        let once = {
            let _span = self.meter.span("d1");
            statement.all().await
        };
        let rows = match once {
            Ok(r) => r,
            Err(e) => {
                worker::console_warn!("D1 read failed, retrying once: {e}");
                backoff(0).await;
                let _span = self.meter.span("d1");
                statement.all().await.map_err(fail("reading"))?
            }
        };
        rows.results::<T>().map_err(fail("decoding rows"))
    }

    /// Runs a write and returns how many rows it changed.
    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64, Error> {
        let statement = self.statement(sql, args)?;
        self.run_of(&statement).await
    }

    /// Runs a prepared write and returns how many rows it changed.
    pub async fn run_of(&self, statement: &D1PreparedStatement) -> Result<u64, Error> {
        let mut attempt = 0;
        let result = loop {
            let outcome = {
                let _span = self.meter.span("d1");
                statement.run().await
            };
            match outcome {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    worker::console_warn!("D1 busy, retrying the write: {e}");
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => break other.map_err(fail("writing"))?,
            }
        };
        Ok(result
            .meta()
            .map_err(fail("reading write metadata"))?
            .and_then(|m| m.changes)
            .unwrap_or(0) as u64)
    }

    /// Runs statements in one round trip as one implicit transaction: all of them or none.
    /// Returns each statement's changed-row count.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<u64>, Error> {
        let results = self.results(statements).await?;
        results
            .iter()
            .map(|r| {
                Ok(r.meta()
                    .map_err(fail("reading write metadata"))?
                    .and_then(|m| m.changes)
                    .unwrap_or(0) as u64)
            })
            .collect()
    }

    /// Runs statements in one round trip and returns each one's result (rows and metadata).
    /// A batch is one transaction: when the database was busy none of it was applied, and it is
    /// sent again (at most `BUSY_RETRIES` times).
    pub async fn results(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, Error> {
        let mut attempt = 0;
        loop {
            let outcome = {
                let _span = self.meter.span("d1");
                self.db.batch(statements.clone()).await
            };
            match outcome {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    worker::console_warn!("D1 busy, retrying the batch: {e}");
                    backoff(attempt).await;
                    attempt += 1;
                }
                other => return other.map_err(fail("running a batch")),
            }
        }
    }
}

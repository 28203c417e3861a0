//! A thin typed layer over the D1 binding. Every statement is parameterised; integers are bound
//! as JS numbers (D1 refuses BigInt), and rows decode straight into serde types.

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

use crate::error::{DependencyExt, Error, Result};

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
    ($($x:expr),* $(,)?) => { &[$($crate::db::Arg::from($x)),*] };
}

pub struct Db(D1Database);

const DEP: &str = "database";

impl Db {
    pub fn new(env: &Env) -> Result<Db> {
        Ok(Db(env.d1("DB").dep(DEP)?))
    }

    pub fn statement(&self, sql: &str, args: &[Arg<'_>]) -> Result<D1PreparedStatement> {
        let values: Vec<JsValue> = args.iter().map(Arg::js).collect();
        self.0.prepare(sql).bind(&values).map_err(Error::Internal)
    }

    /// A read. Reads are idempotent, so one transient failure (a dropped connection to the
    /// database) is retried once before it becomes a 503.
    pub async fn first<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>> {
        match self.statement(sql, args)?.first::<T>(None).await {
            Ok(v) => Ok(v),
            Err(e) => {
                worker::console_warn!("D1 read failed, retrying once: {e}");
                self.statement(sql, args)?.first::<T>(None).await.dep(DEP)
            }
        }
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>> {
        let rows = match self.statement(sql, args)?.all().await {
            Ok(r) => r,
            Err(e) => {
                worker::console_warn!("D1 read failed, retrying once: {e}");
                self.statement(sql, args)?.all().await.dep(DEP)?
            }
        };
        rows.results::<T>().dep(DEP)
    }

    /// Runs a write and returns how many rows it changed.
    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let result = self.statement(sql, args)?.run().await.dep(DEP)?;
        Ok(result.meta().dep(DEP)?.and_then(|m| m.changes).unwrap_or(0) as u64)
    }

    /// Runs statements as one implicit transaction: all of them or none.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<u64>> {
        let results = self.0.batch(statements).await.dep(DEP)?;
        results
            .iter()
            .map(|r| Ok(r.meta().dep(DEP)?.and_then(|m| m.changes).unwrap_or(0) as u64))
            .collect()
    }
}

/// Whether a D1 failure was a UNIQUE constraint (used to turn races into 409s).
pub fn is_unique_violation(e: &Error) -> bool {
    matches!(e, Error::Dependency { source, .. } if source.to_string().contains("UNIQUE constraint failed"))
}

impl Db {
    /// Runs read statements in one round trip and returns each one's rows.
    pub async fn read_batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<worker::D1Result>> {
        self.0.batch(statements).await.dep(DEP)
    }
}

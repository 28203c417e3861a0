//! The gateway's handle on its D1 database (`DB`): the shared typed layer in `crow_edge::d1`,
//! with failures mapped into the gateway's `Error` (a 503 naming the database) and every
//! statement counted on the request's meter.

use serde::de::DeserializeOwned;
use worker::{D1PreparedStatement, Env};

pub use crow_edge::d1::Arg;
use crow_edge::d1::D1;
use crow_edge::Meter;

use crate::error::{Error, Result};

/// Shorthand for building an argument list: `args![a, b, 3i64]`.
#[macro_export]
macro_rules! args {
    ($($x:expr),* $(,)?) => { &[$($crate::db::Arg::from($x)),*] };
}

pub struct Db(D1);

impl Db {
    pub fn new(env: &Env, meter: &Meter) -> Result<Db> {
        Ok(Db(D1::bind(env, "DB", meter)?))
    }

    /// The request's binding meter.
    pub fn meter(&self) -> &Meter {
        self.0.meter()
    }

    pub fn statement(&self, sql: &str, args: &[Arg<'_>]) -> Result<D1PreparedStatement> {
        Ok(self.0.statement(sql, args)?)
    }

    /// A read (retried once on a transient failure).
    pub async fn first<T: DeserializeOwned>(
        &self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<T>> {
        Ok(self.0.first(sql, args).await?)
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>> {
        Ok(self.0.all(sql, args).await?)
    }

    /// Runs a write and returns how many rows it changed.
    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        Ok(self.0.run(sql, args).await?)
    }

    /// Runs statements as one implicit transaction: all of them or none.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<u64>> {
        Ok(self.0.batch(statements).await?)
    }

    /// Runs read statements in one round trip and returns each one's rows.
    pub async fn read_batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<worker::D1Result>> {
        Ok(self.0.results(statements).await?)
    }
}

/// Whether a D1 failure was a UNIQUE constraint (used to turn races into 409s).
pub fn is_unique_violation(e: &Error) -> bool {
    matches!(e, Error::Dependency { source, .. } if source.to_string().contains("UNIQUE constraint failed"))
}

//! The worker's one error type. Every failure becomes the envelope (`ApiError`) in one place;
//! nothing internal reaches a client.

use crow_common::ApiError;
use thiserror::Error;
use worker::console_error;

#[derive(Debug, Error)]
pub enum Error {
    /// The Workers runtime refused something (building a request or response, reading a body).
    #[error("runtime failure while {what}: {source}")]
    Runtime {
        what: &'static str,
        #[source]
        source: worker::Error,
    },
    /// A response could not be assembled for another reason (already logged).
    #[error("internal failure (logged above)")]
    Internal,
}

impl Error {
    /// `map_err` helper: `.map_err(Error::runtime("building a response"))`.
    pub fn runtime(what: &'static str) -> impl Fn(worker::Error) -> Error {
        move |source| Error::Runtime { what, source }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        console_error!("{e}");
        match e {
            Error::Runtime { .. } | Error::Internal => ApiError::internal(),
        }
    }
}

//! The worker's one error type. Every failure becomes the envelope (`ApiError`) in one place;
//! binding failures are logged and answered with 503, bugs with a fixed 500; nothing internal
//! reaches a client.

use crow_common::ApiError;
use thiserror::Error;
use worker::console_error;

#[derive(Debug, Error)]
pub enum Error {
    /// D1 refused or failed a statement.
    #[error("database failure while {what}: {source}")]
    Db {
        what: &'static str,
        #[source]
        source: worker::Error,
    },
    /// The Workers runtime refused something (building a request or response, reading a body).
    #[error("runtime failure while {what}: {source}")]
    Runtime {
        what: &'static str,
        #[source]
        source: worker::Error,
    },
    /// A client-facing error decided by a handler.
    #[error("{}", .0.message)]
    Api(ApiError),
}

impl Error {
    pub fn db(what: &'static str) -> impl Fn(worker::Error) -> Error {
        move |source| Error::Db { what, source }
    }
    pub fn runtime(what: &'static str) -> impl Fn(worker::Error) -> Error {
        move |source| Error::Runtime { what, source }
    }
}

impl From<crow_edge::Error> for Error {
    fn from(e: crow_edge::Error) -> Error {
        match e {
            crow_edge::Error::D1 { op, source } => Error::Db { what: op, source },
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Error {
        Error::Api(e)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Api(e) => e,
            Error::Db { .. } => {
                console_error!("{e}");
                ApiError::unavailable("database")
            }
            Error::Runtime { .. } => {
                console_error!("{e}");
                ApiError::internal()
            }
        }
    }
}

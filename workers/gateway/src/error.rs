//! The gateway's error type. Handlers return `Result<_, Error>`; `From<Error> for ApiError` is
//! the one place where failures become the client-facing envelope, and where internal causes are
//! logged instead of returned.

use crow_common::ApiError;
use worker::console_error;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client-facing error, already in envelope terms.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A binding (D1, KV, a Durable Object, another worker) failed.
    #[error("{dependency} failed: {source}")]
    Dependency { dependency: &'static str, source: worker::Error },
    /// A runtime failure that is a bug on our side.
    #[error("internal: {0}")]
    Internal(#[from] worker::Error),
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Api(api) => api,
            Error::Dependency { dependency, source } => {
                console_error!("dependency {dependency} failed: {source}");
                ApiError::unavailable(dependency)
            }
            Error::Internal(source) => {
                console_error!("internal error: {source}");
                ApiError::internal()
            }
        }
    }
}

impl From<crow_edge::Error> for Error {
    fn from(e: crow_edge::Error) -> Error {
        match e {
            crow_edge::Error::D1 { source, .. } => {
                Error::Dependency { dependency: "database", source }
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Tags a binding failure with the dependency it came from (503 instead of 500).
pub trait DependencyExt<T> {
    fn dep(self, dependency: &'static str) -> Result<T>;
}

impl<T> DependencyExt<T> for std::result::Result<T, worker::Error> {
    fn dep(self, dependency: &'static str) -> Result<T> {
        self.map_err(|source| Error::Dependency { dependency, source })
    }
}

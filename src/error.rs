//! The one error type of Quiver and its mapping to HTTP status codes.
//!
//! Every fallible operation in the engine, storage and transports returns [`Error`]. Each variant
//! carries the human-readable detail; `Display` adds Qdrant's message prefix for that kind, so the
//! text a client sees is `Not found: Collection `docs` doesn't exist!` whichever transport it
//! used. The HTTP status and the gRPC code for a kind are decided here and nowhere else
//! ([`Error::http_status`], [`Error::grpc_code`]); the gRPC message is the REST message.

use axum::http::StatusCode;

/// Everything that can go wrong while serving a request.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The request is well-formed but its content is wrong (dimension, unknown name, bad id).
    #[error("Wrong input: {0}")]
    BadInput(String),
    /// The request asks for something this server cannot do in this form.
    #[error("Bad request: {0}")]
    BadRequest(String),
    /// A collection, alias or point does not exist.
    #[error("Not found: {0}")]
    NotFound(String),
    /// Creating something that already exists (Qdrant words it as wrong input, answers 409).
    #[error("Wrong input: {0}")]
    AlreadyExists(String),
    /// No credential, or one that is not valid (wrong, expired, not yet valid). The detail is
    /// the full message.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's credential does not allow this operation.
    #[error("Forbidden: {0}")]
    Forbidden(String),
    /// A gRPC message that does not convert into the model (no id, a malformed UUID, a selector
    /// with no case). The detail is the full message, worded as Qdrant's gRPC API words it.
    #[error("{0}")]
    InvalidMessage(String),
    /// The JSON body could not be parsed into the expected shape.
    #[error("Format error in JSON body: {0}")]
    Format(String),
    /// The JSON body parsed but breaks a documented constraint (`limit: 0`, empty vector, …).
    /// The detail is the `path: message; path: message` list.
    #[error("Validation error in JSON body: [{0}]")]
    Validation(String),
    /// Query-string parameters could not be parsed.
    #[error("Deserialize error in query parameters: {0}")]
    QueryParams(String),
    /// The request body exceeds `service.max_request_size_mb`. The detail is the full message.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many failed authentication attempts from one address. The detail is the message.
    #[error("{0}")]
    TooManyRequests(String),
    /// The request did not finish within its `timeout`.
    #[error("Timeout: {0}")]
    Timeout(String),
    /// Something failed inside the server (storage I/O, a broken invariant). Never caused by input.
    #[error("Service internal error: {0}")]
    Internal(String),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The HTTP status code Qdrant answers for this kind of error.
    pub fn http_status(&self) -> StatusCode {
        match self {
            Error::BadInput(_)
            | Error::BadRequest(_)
            | Error::Format(_)
            | Error::InvalidMessage(_)
            | Error::QueryParams(_)
            | Error::PayloadTooLarge(_) => StatusCode::BAD_REQUEST,
            Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::AlreadyExists(_) => StatusCode::CONFLICT,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Error::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The gRPC status code Qdrant answers for this kind of error.
    pub fn grpc_code(&self) -> tonic::Code {
        match self {
            Error::BadInput(_)
            | Error::BadRequest(_)
            | Error::Format(_)
            | Error::InvalidMessage(_)
            | Error::QueryParams(_)
            | Error::Validation(_) => tonic::Code::InvalidArgument,
            Error::PayloadTooLarge(_) => tonic::Code::ResourceExhausted,
            Error::NotFound(_) => tonic::Code::NotFound,
            Error::AlreadyExists(_) => tonic::Code::AlreadyExists,
            Error::Unauthorized(_) => tonic::Code::Unauthenticated,
            Error::Forbidden(_) => tonic::Code::PermissionDenied,
            Error::TooManyRequests(_) => tonic::Code::ResourceExhausted,
            Error::Timeout(_) => tonic::Code::DeadlineExceeded,
            Error::Internal(_) => tonic::Code::Internal,
        }
    }

    /// `collection `name` doesn't exist` in Qdrant's words.
    pub fn collection_not_found(name: &str) -> Error {
        Error::NotFound(format!("Collection `{name}` doesn't exist!"))
    }

    /// A validation failure at one field path (`limit`, `points[0].vector`).
    pub fn validation(path: &str, message: &str) -> Error {
        Error::Validation(format!("{path}: {message}"))
    }
}

impl From<sled::Error> for Error {
    fn from(err: sled::Error) -> Self {
        Error::Internal(format!("storage error: {err}"))
    }
}

/// The gRPC status for an error: the REST message, except that a validation failure says
/// `in body` rather than `in JSON body`, as Qdrant's gRPC API does.
impl From<Error> for tonic::Status {
    fn from(err: Error) -> Self {
        let message = match &err {
            Error::Validation(detail) => format!("Validation error in body: [{detail}]"),
            other => other.to_string(),
        };
        tonic::Status::new(err.grpc_code(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_qdrants_grpc_code_and_the_rest_message() {
        let cases = [
            (Error::BadInput("x".into()), tonic::Code::InvalidArgument),
            (Error::Validation("x".into()), tonic::Code::InvalidArgument),
            (Error::NotFound("x".into()), tonic::Code::NotFound),
            (Error::AlreadyExists("x".into()), tonic::Code::AlreadyExists),
            (
                Error::Unauthorized("x".into()),
                tonic::Code::Unauthenticated,
            ),
            (Error::Forbidden("x".into()), tonic::Code::PermissionDenied),
            (
                Error::PayloadTooLarge("x".into()),
                tonic::Code::ResourceExhausted,
            ),
            (
                Error::TooManyRequests("x".into()),
                tonic::Code::ResourceExhausted,
            ),
            (Error::Timeout("x".into()), tonic::Code::DeadlineExceeded),
            (Error::Internal("x".into()), tonic::Code::Internal),
        ];
        for (err, code) in cases {
            let message = match &err {
                Error::Validation(d) => format!("Validation error in body: [{d}]"),
                other => other.to_string(),
            };
            let status = tonic::Status::from(err);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), message);
        }
    }
}

//! axum's extractors, answering bad input in the API's error shape: a path
//! that does not parse is a 404 (the resource cannot exist), a bad query a
//! 400, a body of the wrong shape a 422 naming the problem (`error.rs`).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;

use super::Error;

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Error))]
pub struct Query<T>(pub T);

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Error))]
pub struct Json<T>(pub T);

impl From<PathRejection> for Error {
    fn from(_: PathRejection) -> Self {
        Error::NotFound
    }
}

impl From<QueryRejection> for Error {
    fn from(rejection: QueryRejection) -> Self {
        Error::BadRequest(rejection.body_text())
    }
}

//! Query parameters, read so that a wrong one is named: `limit=-1` answers 400 with
//! `errors[].path` `/limit` and what was wrong, like a wrong field of a body.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::de::DeserializeOwned;

use crate::error::{BadInputCode, Error, FieldError};

/// A handler argument: the query string read into `T`.
pub struct Params<T>(pub T);

impl<T> std::ops::Deref for Params<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Params<T> {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(Params))
    }
}

/// `query` read into `T`; a wrong parameter is named by its path.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let param = e.path().to_string();
        let message = e.into_inner().to_string();
        let (detail, path) = match param.as_str() {
            "" | "." => (format!("bad query: {message}"), String::new()),
            name => (format!("bad `{name}` parameter: {message}"), format!("/{name}")),
        };
        Error::BadInput {
            code: BadInputCode::bad_query,
            detail,
            errors: vec![FieldError::new(path, "bad_query", message)],
        }
    })
}

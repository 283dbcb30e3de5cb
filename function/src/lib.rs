//! The sessions API. One router (`router`) holds every rule of the HTTP contract; two thin
//! adapters serve it: `lambda` behind API Gateway's IAM auth, and `local`, a plain HTTP server
//! that verifies SigV4 itself the way API Gateway would. `store` is DynamoDB (and an in-memory
//! store for fast tests); `aws` builds the AWS client both binaries use.

pub mod auth;
pub mod aws;
pub mod domain;
pub mod lambda;
pub mod local;
pub mod router;
pub mod settings;
pub mod store;
pub mod telemetry;

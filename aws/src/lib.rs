//! The AWS client side that cargo-ai, the function, the tests and the benchmarks share: the
//! one SigV4 signer for the sessions API, and the one TLS setup (rustls with the `ring` crypto
//! provider) every HTTPS client of ours uses.

pub mod sign;
pub mod tls;

pub use sign::{Request, SERVICE, SignError, sign_request, static_credentials};

//! TLS for every HTTPS client of ours: rustls with the `ring` crypto provider and the system's
//! root certificates. The AWS SDK's default provider, aws-lc, compiles a C crypto library from
//! source, the slowest unit of a cold build by far; `ring` serves the same SDK calls.

use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The HTTP client for AWS SDK clients (DynamoDB, and the STS/SSO clients of the credential
/// chain): HTTP/1.1 and HTTP/2, `http://` endpoints too. It reads the TLS roots when its first
/// connector is made, not when it is built.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Makes `ring` the process's rustls provider, which `reqwest` (built without a provider of
/// its own) uses. Call before building a `reqwest` client; calling again changes nothing.
pub fn install_rustls_provider() {
    // Err only means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_installed_once_and_is_ring() {
        install_rustls_provider();
        install_rustls_provider();
        let provider = rustls::crypto::CryptoProvider::get_default().expect("installed");
        let ring = rustls::crypto::ring::default_provider();
        assert_eq!(
            provider.cipher_suites.len(),
            ring.cipher_suites.len(),
            "the installed provider is ring's"
        );
    }
}

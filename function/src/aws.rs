//! The one place that builds AWS configuration: the DynamoDB client both binaries (the
//! Lambda `bootstrap` and `sessions-local`) use, from the standard AWS environment, with
//! bounded timeouts and a cold start that skips what the environment already answers.

use std::time::Duration;

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::meta::region::ProvideRegion;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_dynamodb::Client;
use sessions_aws::tls::https_client;

/// Builds the SDK client from the standard AWS environment (region, credentials,
/// `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local), with bounded timeouts.
pub async fn dynamodb_client() -> Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    // The standard region and credential chains look at the environment first. When it
    // already answers (always in Lambda; locally through infra/local/up), hand those
    // answers over and the rest of each chain is never built: profile, SSO, web identity
    // (with an STS client), container and instance-metadata providers, a millisecond or
    // so of every cold start. Otherwise the chains run in full, exactly as before.
    if let Some(region) = EnvironmentVariableRegionProvider::new().region().await {
        loader = loader.region(region);
    }
    let environment_keys = EnvironmentVariableCredentialsProvider::new();
    if environment_keys.provide_credentials().await.is_ok() {
        loader = loader.credentials_provider(environment_keys);
    }
    loader = loader.http_client(if plain_http_endpoint() {
        plain_http_first::client()
    } else {
        https_client()
    });
    Client::new(&loader.load().await)
}

/// A client for DynamoDB at `endpoint` (DynamoDB Local) that ignores the caller's AWS
/// environment: static placeholder keys, `us-east-1`. For the tests and the fault run.
pub async fn local_dynamodb_client(endpoint: &str) -> Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .http_client(plain_http_first::client())
        .load()
        .await;
    Client::new(&config)
}

/// Whether DynamoDB is reached over plain HTTP (DynamoDB Local), as the SDK resolves its
/// endpoint from the environment: `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`.
fn plain_http_endpoint() -> bool {
    ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .is_some_and(|url| {
            url.trim()
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
        })
}

/// The HTTP client for a plain-HTTP DynamoDB endpoint. The SDK's default client reads and
/// parses the system's TLS roots when a client is built (about 5 ms, most of a local
/// server's start-up), which DynamoDB Local never needs. This one sends `http://` requests
/// over a plain connector (same settings, same proxy rules) and builds the SDK's default
/// HTTPS client only when a request needs TLS (an SSO or STS credential provider, say).
mod plain_http_first {
    use std::sync::OnceLock;

    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    use aws_smithy_runtime_api::client::http::{
        HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
        SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
    use aws_smithy_runtime_api::shared::IntoShared;

    pub fn client() -> SharedHttpClient {
        // As the SDK's default client connects, minus TLS.
        let plain = Builder::new().build_with_connector_fn(|settings, components| {
            let mut connector = ConnectorBuilder::default();
            connector.set_connector_settings(settings.cloned());
            if let Some(components) = components {
                connector.set_sleep_impl(components.sleep_impl());
            }
            connector.set_proxy_config(Some(ProxyConfig::from_env()));
            connector.build_http()
        });
        // Reads the TLS roots when its first connector is made.
        let tls = super::https_client();
        PlainHttpFirst { plain, tls }.into_shared()
    }

    #[derive(Debug)]
    struct PlainHttpFirst {
        plain: SharedHttpClient,
        tls: SharedHttpClient,
    }

    impl HttpClient for PlainHttpFirst {
        fn http_connector(
            &self,
            settings: &HttpConnectorSettings,
            components: &RuntimeComponents,
        ) -> SharedHttpConnector {
            ByScheme {
                plain: self.plain.http_connector(settings, components),
                tls_client: self.tls.clone(),
                settings: settings.clone(),
                components: components.clone(),
                tls: OnceLock::new(),
            }
            .into_shared()
        }
    }

    #[derive(Debug)]
    struct ByScheme {
        plain: SharedHttpConnector,
        tls_client: SharedHttpClient,
        settings: HttpConnectorSettings,
        components: RuntimeComponents,
        tls: OnceLock<SharedHttpConnector>,
    }

    impl HttpConnector for ByScheme {
        fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
            let plain = request
                .uri()
                .get(..7)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"));
            if plain {
                return self.plain.call(request);
            }
            self.tls
                .get_or_init(|| {
                    self.tls_client
                        .http_connector(&self.settings, &self.components)
                })
                .call(request)
        }
    }
}

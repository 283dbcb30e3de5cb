//! A long-lived client outlives its temporary credentials: the AWS provider (a real profile
//! with a `credential_process`) is asked again as they expire, and every request is signed
//! with its current answer.

use std::path::Path;
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use sessions_cli::aws::AwsIdentity;
use sessions_cli::client::ApiClient;
use sessions_e2e::{REGION, Stack, alice, bob};

/// How long each answer of the script is valid for.
const LIFETIME_S: u64 = 20;

/// A `credential_process` that counts its calls in `calls` and hands out credentials that
/// expire `LIFETIME_S` seconds later: Alice's local keys the first time, Bob's after, so a
/// request shows which answer signed it. The local server refuses session tokens, as its
/// keys are long-term ones; the expiry is what the provider and the client act on.
fn expiring_credentials(dir: &Path) -> std::path::PathBuf {
    let script = dir.join("credentials");
    let calls = dir.join("calls");
    let (a, b) = (alice(), bob());
    std::fs::write(
        &script,
        format!(
            "#!/bin/bash\n\
             echo x >> '{calls}'\n\
             if [ \"$(wc -l < '{calls}')\" -eq 1 ]; then id={a_id}; secret={a_secret}; else id={b_id}; secret={b_secret}; fi\n\
             printf '{{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", \"Expiration\": \"%s\"}}\\n' \
               \"$id\" \"$secret\" \"$(date -u -d '+{LIFETIME_S} seconds' +%Y-%m-%dT%H:%M:%SZ)\"\n",
            calls = calls.display(),
            a_id = a.access_key_id,
            a_secret = a.secret_access_key,
            b_id = b.access_key_id,
            b_secret = b.secret_access_key,
        ),
    )
    .expect("write the script");
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile expiring]\ncredential_process = {}\n",
            script.display()
        ),
    )
    .expect("write the AWS config file");
    config
}

fn calls(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("calls"))
        .unwrap_or_default()
        .lines()
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_lived_client_asks_the_provider_again_as_credentials_expire() {
    let stack = Stack::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = expiring_credentials(dir.path());
    let provider = ProfileFileCredentialsProvider::builder()
        .configure(&ProviderConfig::default().with_http_client(sessions_aws::tls::https_client()))
        .profile_files(
            EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Config, &config)
                .build(),
        )
        .profile_name("expiring")
        .build();
    let identity = AwsIdentity::new(SharedCredentialsProvider::new(provider), REGION.to_owned());
    let client =
        ApiClient::new(stack.url.parse().expect("the stack's URL"), identity).expect("a client");

    let first = client.whoami().await.expect("the first request");
    assert_eq!(first.user_arn, alice().arn);
    assert_eq!(calls(dir.path()), 1, "the first request asks the provider");
    let again = client
        .whoami()
        .await
        .expect("a request while they are current");
    assert_eq!(again.user_arn, alice().arn);
    assert_eq!(
        calls(dir.path()),
        1,
        "current credentials are not asked for again"
    );

    // Past the point where the first answer is about to expire.
    tokio::time::sleep(Duration::from_secs(LIFETIME_S - 8)).await;
    for n in 0..3 {
        let later = client
            .whoami()
            .await
            .unwrap_or_else(|e| panic!("request {n} after the expiry: {e}"));
        assert_eq!(
            later.user_arn,
            bob().arn,
            "signed with the provider's new answer"
        );
    }
    assert_eq!(
        calls(dir.path()),
        2,
        "asked once more, then the new answer is kept"
    );
}

//! The local server: the same API as the Lambda function, verifying SigV4 itself, for
//! development and tests against DynamoDB Local. See `infra/local/up`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use sessions_function::auth::{LOCAL_KEYS, LocalVerifier};
use sessions_function::router::Api;
use sessions_function::settings::{ALLOWLIST_ENV, AllowList, TABLE_ENV};
use sessions_function::store::{DynamoStore, table};
use sessions_function::{aws, local, telemetry};

/// Serve the sessions API locally, verifying SigV4 signatures like API Gateway's IAM auth.
///
/// DynamoDB is reached through the standard AWS environment: set AWS_ENDPOINT_URL_DYNAMODB
/// for DynamoDB Local (infra/local/up does all of this).
#[derive(Parser)]
#[command(version, after_help = local_keys_help())]
struct Args {
    /// Address to listen on (port 0: a free one, named in the "listening on" line). Loopback by
    /// default; anything else exposes the API to the network.
    #[arg(long, env = "SESSIONS_BIND", default_value = "127.0.0.1:8787")]
    bind: SocketAddr,

    /// DynamoDB table name.
    #[arg(long, env = TABLE_ENV, default_value = table::DEFAULT_TABLE_NAME)]
    table: String,

    /// Comma-separated workspace UUIDs to accept; empty accepts any.
    #[arg(long, env = ALLOWLIST_ENV, default_value = "")]
    allow_workspaces: String,

    /// Create the table (with its indexes) if it does not exist, before serving.
    #[arg(long)]
    create_table: bool,
}

fn local_keys_help() -> String {
    let mut help = String::from("Local credentials (sign with these; region: any):\n");
    for key in LOCAL_KEYS.iter() {
        help.push_str(&format!(
            "  {} / {}  ->  {}\n",
            key.access_key_id, key.secret_access_key, key.arn
        ));
    }
    help
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    telemetry::init(false);
    let allow_list = match AllowList::parse(&args.allow_workspaces) {
        Ok(list) => list,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let client = aws::dynamodb_client().await;
    if args.create_table {
        match table::create_if_missing(&client, &args.table).await {
            Ok(true) => eprintln!("created table {}", args.table),
            Ok(false) => {}
            Err(e) => {
                eprintln!(
                    "error: {e}\nhelp: is DynamoDB Local running? `infra/local/up` starts it"
                );
                return ExitCode::from(1);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(args.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {}: {e}\nhelp: pick another port with --bind or SESSIONS_BIND",
                args.bind
            );
            return ExitCode::from(1);
        }
    };
    // With port 0 the system picks the port: say the one it picked.
    let bound = listener.local_addr().unwrap_or(args.bind);
    if !bound.ip().is_loopback() {
        eprintln!(
            "WARNING: listening on {bound} - NOT loopback. Anyone who can reach this address and knows the documented local keys can write sessions."
        );
    }
    eprintln!(
        "sessions-local listening on http://{bound} (table {})",
        args.table
    );
    let api = Arc::new(Api::new(DynamoStore::new(client, args.table), allow_list));
    local::serve(
        listener,
        api,
        Arc::new(LocalVerifier::default()),
        shutdown_signal(),
    )
    .await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

//! One upsert straight to DynamoDB, no API in between: the function's own store call
//! (`DynamoStore::upsert`: the same conditional UpdateItem, names, values and condition),
//! with the client built the way the function builds it, in a process started the way
//! `cargo-ai` starts (one current-thread runtime). What a write costs without our API.
//!
//!   ddb-update --workspace UUID --session-id ID --title T --summary S
//!
//! Reads the standard AWS environment (`AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local).

use std::process::ExitCode;

use clap::Parser;
use sessions_core::{SessionId, Summary, Timestamp, Title, UpsertBody, WorkspaceId};
use sessions_function::domain::{Caller, UpsertCommand, WriteMode};
use sessions_function::store::{DynamoStore, SessionStore, table};

/// Upsert one session directly in DynamoDB, as Alice (the local stack's first identity).
#[derive(Parser)]
struct Args {
    #[arg(long, env = "CARGO_AI_WORKSPACE")]
    workspace: String,
    #[arg(long)]
    session_id: String,
    #[arg(long)]
    title: String,
    #[arg(long)]
    summary: String,
    #[arg(long, env = "SESSIONS_TABLE", default_value = table::DEFAULT_TABLE_NAME)]
    table: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let command = match command(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let store = DynamoStore::new(sessions_function::aws::dynamodb_client().await, &args.table);
    match store.upsert(&command).await {
        Ok(upserted) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&upserted.session).expect("a session serializes")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:?}");
            ExitCode::from(1)
        }
    }
}

/// The command the router would hand the store for this `PUT` by Alice.
fn command(args: &Args) -> Result<UpsertCommand, String> {
    let now = Timestamp::now();
    Ok(UpsertCommand {
        workspace: WorkspaceId::parse(&args.workspace).map_err(|e| e.message)?,
        session_id: SessionId::parse(&args.session_id).map_err(|e| e.message)?,
        fields: UpsertBody {
            title: Title::parse(&args.title).map_err(|e| e.message)?,
            summary: Summary::parse(&args.summary).map_err(|e| e.message)?,
            finished_at: None,
            observed_at: now,
            facts: Default::default(),
        },
        caller: Caller::from_arn(sessions_bench::alice().arn),
        mode: WriteMode::Upsert,
        new_uuid: uuid::Uuid::new_v4(),
        now,
    })
}

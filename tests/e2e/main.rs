//! The end-to-end tests, one binary (one link of the AWS SDK and lambda_http instead of one per
//! area): the real `cargo-ai` binary and SigV4-signed HTTP over real sockets -> the function ->
//! DynamoDB Local, the Lambda adapter with real API Gateway events, the hooks under the real
//! Claude Code CLI, and the local stack's scripts. Shared setup lives in tests/harness.

mod api;
mod changes;
mod claude_code;
mod cli;
mod cli_errors;
mod cli_query;
mod cli_stdout;
mod client_prices;
mod concurrency;
mod credentials;
mod delete;
mod facts;
mod hooks;
mod lambda;
mod local_stack;
mod mcp_tools;
mod outbox;
mod plugin;
mod redaction;
mod report_html;
mod request_log;
mod security;
mod store_model;
mod sync;
mod team_view;

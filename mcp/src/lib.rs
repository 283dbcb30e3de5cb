//! `cargo-ai mcp`: the team's session log as a read-only MCP server over stdio, so that Claude
//! can see what teammates already did before it starts the same work again.
//!
//! The server knows the session model and the [`TeamLog`] it answers from, not the CLI: the
//! CLI implements `TeamLog` over its local mirror (blocking SQLite reads; the server makes
//! them on a blocking thread) and serves it, with logs on stderr and nothing else on stdout:
//!
//! ```text
//! let caller = Caller::new(env CLAUDE_CODE_SESSION_ID, repo of the current directory);
//! serve_stdio(TeamMemory::new(mirror_log, caller)).await
//! ```

pub mod args;
pub mod log;
pub mod memory;
pub mod render;
pub mod server;

pub use args::Caller;
pub use log::{Freshness, Hit, LogError, RecentQuery, SearchQuery, TeamLog};
pub use server::{INSTRUCTIONS, TeamMemory, serve_stdio};

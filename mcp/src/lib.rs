//! `cargo-ai mcp`: the team's session log as a read-only MCP server over stdio, so that Claude
//! can see what teammates already did before it starts the same work again.
//!
//! The server knows the session model and the [`TeamLog`] it answers from, not the CLI: the
//! CLI implements `TeamLog` over its local mirror and starts [`serve_stdio`].

pub mod args;
pub mod log;
pub mod memory;
pub mod render;
pub mod server;

pub use args::Caller;
pub use log::{Freshness, Hit, LogError, RecentQuery, SearchQuery, TeamLog};
pub use server::{INSTRUCTIONS, TeamMemory, serve_stdio};

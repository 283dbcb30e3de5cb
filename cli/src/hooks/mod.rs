//! Claude Code hooks: what `cargo-ai hooks` reads from a session and sends on its behalf.

mod handoff;
pub mod input;
pub mod install;
pub mod log;
pub mod metadata;
mod outcome;
pub mod process;
pub mod run;
pub mod settings;
pub mod state;
pub mod summarize;
pub mod worker;

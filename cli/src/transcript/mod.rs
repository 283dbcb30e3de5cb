//! Reading a Claude Code session transcript into a bounded digest, for the session's title and summary.

// The transcript is JSONL written while the session runs, in a format internal to Claude Code
// that changes between versions: every line is parsed defensively, and only `user`/`assistant`
// entries count as the conversation (bookkeeping entries such as `api-request-blob` carry the
// system prompt and injected context, never the user's words). Memory stays bounded whatever the
// file's size: a long transcript is digested from its head and its tail, and the part between is
// only scanned for `/rename` and AI titles, which can be written at any point of a session.

mod conversation;
mod counts;
mod digest;
pub(crate) mod entry;
mod heuristic;
pub(crate) mod lines;
pub(crate) mod prompt;
mod tail;
#[cfg(test)]
pub(crate) mod testing;

pub use counts::Counts;
pub use digest::{Digest, Limits, digest};
pub use heuristic::{heuristic_summary, heuristic_title};

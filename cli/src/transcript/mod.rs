//! Reading a Claude Code session transcript once: a bounded digest for the session's title and summary, and the numbers its facts are made of.

// The transcript is JSONL written while the session runs, in a format internal to Claude Code
// that changes between versions: every line is parsed defensively, and only `user`/`assistant`
// entries count as the conversation (bookkeeping entries such as `api-request-blob` carry the
// system prompt and injected context, never the user's words). Memory stays bounded whatever the
// file's size: the words of a long transcript are kept from its head and its tail, and the part
// between only adds its numbers and its `/rename` and AI titles, which can come at any point.

mod conversation;
mod counts;
mod digest;
mod entry;
mod heuristic;
mod lines;
mod prompt;
mod read;
mod responses;
mod tail;
#[cfg(test)]
pub(crate) mod testing;

pub use counts::Counts;
pub use digest::{Digest, Limits};
pub use heuristic::{heuristic_summary, heuristic_title};
pub use read::{Transcript, Unread, read, read_within};
pub use responses::{Response, Responses, Tokens};

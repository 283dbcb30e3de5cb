//! What `session-end` hands the detached worker besides its arguments: the environment it passes.

/// Tells the worker when its news was learnt, where that is not the end itself (a session
/// caught up later).
pub const OBSERVED_AT_ENV: &str = "CARGO_AI_HOOK_OBSERVED_AT";
/// Tells the worker how the session ended: SessionEnd's `reason`, or `caught_up`.
pub const END_REASON_ENV: &str = "CARGO_AI_HOOK_END_REASON";
/// The end reason of a session whose SessionEnd never fired.
pub const CAUGHT_UP: &str = "caught_up";
/// Tells the worker HEAD's commit when the session started (empty: an unborn branch); unset
/// when it was not recorded (not a repository then, or a session older than the record).
pub const START_HEAD_ENV: &str = "CARGO_AI_HOOK_START_HEAD";
/// Tells the worker when the session started.
pub const STARTED_AT_ENV: &str = "CARGO_AI_HOOK_STARTED_AT";

//! The one deadline for blocking work (file and git reads): run off the async threads, awaited until a deadline.

// A read on a stuck network mount blocks its thread in the kernel, where no timeout can reach
// it. So the work runs on a thread of its own that is left behind at the deadline, and the async
// caller awaits only a channel: the runtime's thread stays free (even a current-thread runtime's)
// and `timeout`s keep firing. Not tokio's blocking pool: a runtime waits for those threads when
// it shuts down, so one stuck read would hold the process's exit.

use std::fmt;
use std::time::Instant;

/// The work did not deliver by its deadline: still running (left behind), or it never could
/// (its thread did not start, or it panicked; the panic hook has said why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not done by its deadline")
    }
}

impl std::error::Error for TimedOut {}

/// Runs `work` on its own thread and waits for its result until `deadline`; past it the thread
/// is left to the process's exit.
pub async fn within<T: Send + 'static>(
    deadline: Instant,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TimedOut> {
    let (send, done) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("blocking-read".to_owned())
        .spawn(move || {
            let _ = send.send(work());
        });
    if spawned.is_err() {
        return Err(TimedOut);
    }
    match tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), done).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(_)) | Err(_) => Err(TimedOut),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn work_past_its_deadline_is_left_behind_and_the_runtime_keeps_running() {
        let begun = Instant::now();
        // A read stuck in the kernel, as far as the caller can tell.
        let stuck = within(begun + Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_secs(30));
        });
        // The only runtime thread is not held: a timer on it still fires meanwhile.
        let ticked = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            true
        });
        let (stuck, ticked) = tokio::join!(stuck, ticked);
        assert_eq!(stuck, Err(TimedOut));
        assert_eq!(ticked, Ok(true));
        assert!(begun.elapsed() < Duration::from_secs(5));
        assert_eq!(
            within(Instant::now() + Duration::from_secs(5), || 7).await,
            Ok(7)
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panic_in_the_work_is_no_result_not_a_crash() {
        let panicked = within(Instant::now() + Duration::from_secs(5), || -> u8 {
            panic!("a read that panics")
        })
        .await;
        assert_eq!(panicked, Err(TimedOut));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_deadline_already_past_gives_up_at_once() {
        let begun = Instant::now();
        let late = within(begun, || std::thread::sleep(Duration::from_millis(200))).await;
        assert_eq!(late, Err(TimedOut));
        assert!(begun.elapsed() < Duration::from_millis(150));
    }
}

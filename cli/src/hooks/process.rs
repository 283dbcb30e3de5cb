//! The Claude Code process behind a hook, found and checked through `/proc`: a session is over
//! once its process is gone, however long it has been idle.

use serde::{Deserialize, Serialize};

/// What Claude Code runs hook commands through; the process above them is Claude Code.
const SHELLS: [&str; 8] = ["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish"];
/// How far up to look past shells before giving up.
const MAX_DEPTH: usize = 8;

/// A process as `/proc` names it. The start time (clock ticks after boot, field 22 of
/// `/proc/<pid>/stat`) tells it apart from a later process that reuses the pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub pid: u32,
    pub start_time: u64,
}

/// The fields of `/proc/<pid>/stat` we use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stat {
    comm: String,
    state: char,
    ppid: u32,
    start_time: u64,
}

/// Parses `/proc/<pid>/stat`. The command name sits in parentheses and may itself hold spaces
/// and parentheses, so the fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // `rest` starts at field 3 (state): ppid is field 4, starttime field 22.
    Some(Stat {
        comm,
        state: rest.first()?.chars().next()?,
        ppid: rest.get(1)?.parse().ok()?,
        start_time: rest.get(19)?.parse().ok()?,
    })
}

fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

impl Process {
    /// The process with this pid now, if there is one.
    pub fn of(pid: u32) -> Option<Process> {
        stat(pid).map(|s| Process {
            pid,
            start_time: s.start_time,
        })
    }

    /// The Claude Code process that ran this hook: the parent, past the shells in between.
    /// `None` without `/proc` or when the chain ends at init (the parent is already gone).
    pub fn running_this_hook() -> Option<Process> {
        let mut pid = std::os::unix::process::parent_id();
        for _ in 0..MAX_DEPTH {
            if pid <= 1 {
                return None;
            }
            let stat = stat(pid)?;
            if !SHELLS.contains(&stat.comm.as_str()) {
                return Some(Process {
                    pid,
                    start_time: stat.start_time,
                });
            }
            pid = stat.ppid;
        }
        None
    }

    /// Whether this process still runs: `None` when `/proc` cannot tell (not mounted here).
    pub fn is_alive(&self) -> Option<bool> {
        // Without a `/proc` of our own, no answer about another process is one.
        stat(std::process::id())?;
        Some(stat(self.pid).is_some_and(|s| {
            s.start_time == self.start_time && !matches!(s.state, 'Z' | 'X' | 'x')
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_lines_with_odd_command_names() {
        let line = "4242 (my (odd) prog) S 17 4242 4242 0 -1 4194560 3629 46535 0 66 2 2 36 21 \
                    20 0 1 0 2016558 5124096 958 18446744073709551615 0 0";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                comm: "my (odd) prog".into(),
                state: 'S',
                ppid: 17,
                start_time: 2016558,
            })
        );
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("1 (x) S 0"), None, "too few fields");
        assert_eq!(
            parse_stat("1 (x) S zero 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 5"),
            None
        );
    }

    #[test]
    fn a_live_process_is_alive_and_a_reused_or_finished_one_is_not() {
        let alive = Process::of(std::process::id()).expect("/proc in tests");
        assert_eq!(alive.is_alive(), Some(true));
        let reused = Process {
            start_time: alive.start_time + 1,
            ..alive
        };
        assert_eq!(reused.is_alive(), Some(false), "same pid, another process");
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("run true");
        let finished = Process::of(child.id()).unwrap_or(Process {
            pid: child.id(),
            start_time: 0,
        });
        child.wait().expect("wait for true");
        assert_eq!(finished.is_alive(), Some(false));
    }

    #[test]
    fn the_process_running_a_hook_is_alive() {
        // Under the test harness the process "running the hook" is whatever started the tests.
        let found = Process::running_this_hook().expect("a parent process");
        assert_eq!(found.is_alive(), Some(true));
        let parent = std::os::unix::process::parent_id();
        if stat(parent).is_some_and(|s| !SHELLS.contains(&s.comm.as_str())) {
            assert_eq!(found.pid, parent);
        }
    }
}

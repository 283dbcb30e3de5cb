//! The report as a value: totals for the window, per person and per repository, the busiest
//! days and the most recent titles, folded one session at a time so that memory stays bounded
//! by the number of people, repositories and days, not sessions.

use std::collections::BTreeMap;

use serde::Serialize;
use sessions_core::{Session, Usd};

use crate::listing::window::Window;

/// How many days and titles the report names.
const BUSIEST_DAYS: usize = 5;
const RECENT_TITLES: usize = 10;

/// What a group of sessions adds up to. A fact no session of the group knows is `None`
/// (shown "-"), never 0; one that some know is the sum of those that do.
///
/// Commits and lines come from sessions that recorded commit facts (run in a git repository
/// by a hook that reads them); the others count as unknown, not as sessions that made
/// nothing. `cost_per_commit` is the estimated cost of the sessions that made commits divided
/// by their commits: sessions without commits, and those whose cost or commits are unknown,
/// are left out of both sides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub sessions: u64,
    pub active_s: Option<u64>,
    pub tokens: Option<u64>,
    pub cost_usd: Option<Usd>,
    /// How many of `sessions` know their commits.
    pub sessions_with_commit_facts: u64,
    pub commits: Option<u64>,
    /// Lines the sessions' commits and what they left uncommitted added and removed.
    pub lines_added: Option<u64>,
    pub lines_removed: Option<u64>,
    pub cost_per_commit: Option<Usd>,
    /// The cost and commits of the sessions that made commits at a known cost.
    #[serde(skip)]
    pub(crate) committing: (u64, u64),
}

impl Tally {
    fn add(&mut self, s: &Session) {
        let f = &s.facts;
        self.sessions += 1;
        sum(&mut self.active_s, f.active_s);
        sum(&mut self.tokens, tokens(s));
        if let Some(cost) = f.cost_usd {
            let before = self.cost_usd.map_or(0, Usd::micros);
            self.cost_usd = Some(Usd::from_micros(before.saturating_add(cost.micros())));
        }
        if f.commit_count.is_some() {
            self.sessions_with_commit_facts += 1;
        }
        sum(&mut self.commits, f.commit_count);
        sum(&mut self.lines_added, f.lines_added);
        sum(&mut self.lines_removed, f.lines_removed);
        if let (Some(cost), Some(commits @ 1..)) = (f.cost_usd, f.commit_count) {
            let (micros, count) = &mut self.committing;
            *micros = micros.saturating_add(cost.micros());
            *count = count.saturating_add(commits);
            self.cost_per_commit = Some(Usd::from_micros(*micros / *count));
        }
    }
}

fn sum(total: &mut Option<u64>, value: Option<u64>) {
    if let Some(v) = value {
        *total = Some(total.unwrap_or(0).saturating_add(v));
    }
}

/// Every token a session counted (input, output, cache reads and writes); `None` when it
/// counted none.
fn tokens(s: &Session) -> Option<u64> {
    let f = &s.facts;
    [
        f.input_tokens,
        f.output_tokens,
        f.cache_read_tokens,
        f.cache_write_tokens,
    ]
    .into_iter()
    .flatten()
    .reduce(u64::saturating_add)
}

/// One line of the per-person or per-repository table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// The creator's ARN, or the repository (`host/owner/name`); `None` for sessions that do
    /// not know their repository.
    pub name: Option<String>,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub sessions: u64,
}

/// One day's sessions, by who created them (ARN to count).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Daily {
    /// `YYYY-MM-DD`, UTC.
    pub date: String,
    pub sessions: u64,
    pub people: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recent {
    pub created_at: String,
    pub user_arn: String,
    pub repo: Option<String>,
    pub session_id: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub window: Window,
    pub totals: Tally,
    /// The most sessions first.
    pub people: Vec<Group>,
    pub repos: Vec<Group>,
    /// The most sessions first, then the latest.
    pub busiest_days: Vec<Day>,
    /// Every day with sessions, oldest first.
    pub days: Vec<Daily>,
    /// Newest first.
    pub recent: Vec<Recent>,
}

/// Folds sessions, given newest first, into a `Report`.
#[derive(Debug, Default)]
pub struct Builder {
    totals: Tally,
    people: BTreeMap<String, Tally>,
    repos: BTreeMap<Option<String>, Tally>,
    days: BTreeMap<String, BTreeMap<String, u64>>,
    recent: Vec<Recent>,
}

impl Builder {
    pub fn add(&mut self, s: &Session) {
        self.totals.add(s);
        self.people.entry(s.user_arn.clone()).or_default().add(s);
        self.repos.entry(s.facts.repo.clone()).or_default().add(s);
        let date = s.created_at.get(..10).unwrap_or(&s.created_at);
        let day = self.days.entry(date.to_owned()).or_default();
        *day.entry(s.user_arn.clone()).or_default() += 1;
        if self.recent.len() < RECENT_TITLES {
            self.recent.push(Recent {
                created_at: s.created_at.clone(),
                user_arn: s.user_arn.clone(),
                repo: s.facts.repo.clone(),
                session_id: s.session_id.clone(),
                title: s.title.clone(),
            });
        }
    }

    pub fn finish(self, window: Window) -> Report {
        let days: Vec<Daily> = self
            .days
            .into_iter()
            .map(|(date, people)| Daily {
                sessions: people.values().sum(),
                date,
                people,
            })
            .collect();
        let mut busiest_days: Vec<Day> = days
            .iter()
            .map(|d| Day {
                date: d.date.clone(),
                sessions: d.sessions,
            })
            .collect();
        busiest_days.sort_by(|a, b| b.sessions.cmp(&a.sessions).then(b.date.cmp(&a.date)));
        busiest_days.truncate(BUSIEST_DAYS);
        Report {
            window,
            totals: self.totals,
            people: ranked(self.people.into_iter().map(|(n, t)| (Some(n), t))),
            repos: ranked(self.repos.into_iter()),
            busiest_days,
            days,
            recent: self.recent,
        }
    }
}

/// Groups by the most sessions first; ties in name order, the unknown one last.
fn ranked(groups: impl Iterator<Item = (Option<String>, Tally)>) -> Vec<Group> {
    let mut groups: Vec<Group> = groups.map(|(name, tally)| Group { name, tally }).collect();
    groups.sort_by_key(|g| (std::cmp::Reverse(g.tally.sessions), g.name.is_none()));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessions_core::Facts;

    const ALICE: &str = "arn:aws:iam::1:user/alice";
    const BOB: &str = "arn:aws:iam::1:user/bob";

    fn session(who: &str, created: &str, facts: Facts) -> Session {
        Session {
            uuid: "u".into(),
            session_id: format!("{who}-{created}"),
            user_uuid: "uu".into(),
            workspace_uuid: "w".into(),
            title: format!("title {created}"),
            summary: "s".into(),
            created_at: created.into(),
            finished_at: None,
            updated_at: created.into(),
            user_arn: who.into(),
            facts: Box::new(facts),
        }
    }

    fn known(repo: &str, active_s: u64, input: u64, output: u64, micros: u64) -> Facts {
        Facts {
            repo: Some(repo.into()),
            active_s: Some(active_s),
            input_tokens: Some(input),
            output_tokens: Some(output),
            cost_usd: Some(Usd::from_micros(micros)),
            ..Facts::default()
        }
    }

    fn build(sessions: &[Session]) -> Report {
        let mut b = Builder::default();
        for s in sessions {
            b.add(s);
        }
        b.finish(Window::default())
    }

    #[test]
    fn totals_people_and_repos_add_up() {
        let r = build(&[
            session(
                BOB,
                "2026-11-23T10:00:00.000Z",
                known("g/a/x", 600, 10, 5, 250_000),
            ),
            session(
                ALICE,
                "2026-11-22T10:00:00.000Z",
                known("g/a/y", 3600, 100, 50, 1_000_000),
            ),
            session(
                ALICE,
                "2026-11-22T09:00:00.000Z",
                known("g/a/x", 1800, 1, 2, 500_000),
            ),
        ]);
        assert_eq!(
            r.totals,
            Tally {
                sessions: 3,
                active_s: Some(6000),
                tokens: Some(168),
                cost_usd: Some(Usd::from_micros(1_750_000)),
                ..Tally::default()
            }
        );
        assert_eq!(r.people[0].name.as_deref(), Some(ALICE));
        assert_eq!(r.people[0].tally.sessions, 2);
        assert_eq!(r.people[0].tally.active_s, Some(5400));
        assert_eq!(r.people[1].name.as_deref(), Some(BOB));
        assert_eq!(r.repos[0].name.as_deref(), Some("g/a/x"));
        assert_eq!(r.repos[0].tally.cost_usd, Some(Usd::from_micros(750_000)));
        assert_eq!(r.repos[1].tally.tokens, Some(150));
    }

    #[test]
    fn missing_facts_stay_unknown_not_zero() {
        let r = build(&[
            session(ALICE, "2026-11-22T10:00:00.000Z", Facts::default()),
            session(BOB, "2026-11-22T09:00:00.000Z", known("g/a/x", 60, 0, 0, 0)),
        ]);
        let alice = r
            .people
            .iter()
            .find(|g| g.name.as_deref() == Some(ALICE))
            .unwrap();
        assert_eq!(
            alice.tally,
            Tally {
                sessions: 1,
                ..Tally::default()
            }
        );
        let unknown_repo = r.repos.iter().find(|g| g.name.is_none()).unwrap();
        assert_eq!(unknown_repo.tally.cost_usd, None);
        assert_eq!(
            r.repos[1].name, None,
            "the unknown repository last among equals"
        );
        // Bob's are known and zero: that is 0, not unknown.
        assert_eq!(r.totals.tokens, Some(0));
        assert_eq!(r.totals.cost_usd, Some(Usd::from_micros(0)));
        assert_eq!(build(&[]).totals, Tally::default());
    }

    fn committed(cost_micros: Option<u64>, commits: u64, added: u64, removed: u64) -> Facts {
        Facts {
            repo: Some("g/a/x".into()),
            cost_usd: cost_micros.map(Usd::from_micros),
            commit_count: Some(commits),
            lines_added: Some(added),
            lines_removed: Some(removed),
            ..Facts::default()
        }
    }

    #[test]
    fn commits_lines_and_cost_per_commit() {
        let r = build(&[
            // Three commits for $1.50, one for $0.50: $2.00 for 4 commits.
            session(
                ALICE,
                "2026-11-23T10:00:00.000Z",
                committed(Some(1_500_000), 3, 40, 7),
            ),
            session(
                BOB,
                "2026-11-23T09:00:00.000Z",
                committed(Some(500_000), 1, 2, 2),
            ),
            // Known to have made nothing: 0 commits, its lines count, its cost is no commit's.
            session(
                ALICE,
                "2026-11-23T08:00:00.000Z",
                committed(Some(9_000_000), 0, 5, 0),
            ),
            // Commits at an unknown cost: counted, but out of the cost per commit.
            session(BOB, "2026-11-23T07:00:00.000Z", committed(None, 2, 10, 1)),
            // No commit facts at all (no repository, or an older hook): unknown, not zero.
            session(
                ALICE,
                "2026-11-23T06:00:00.000Z",
                known("g/a/y", 60, 1, 1, 7_000_000),
            ),
        ]);
        let t = &r.totals;
        assert_eq!(t.sessions, 5);
        assert_eq!(t.sessions_with_commit_facts, 4);
        assert_eq!(t.commits, Some(6));
        assert_eq!((t.lines_added, t.lines_removed), (Some(57), Some(10)));
        assert_eq!(t.cost_per_commit, Some(Usd::from_micros(500_000)));
        let alice = &r
            .people
            .iter()
            .find(|g| g.name.as_deref() == Some(ALICE))
            .unwrap()
            .tally;
        assert_eq!(
            (alice.commits, alice.sessions_with_commit_facts),
            (Some(3), 2)
        );
        assert_eq!(alice.cost_per_commit, Some(Usd::from_micros(500_000)));
        let y = &r
            .repos
            .iter()
            .find(|g| g.name.as_deref() == Some("g/a/y"))
            .unwrap()
            .tally;
        assert_eq!(
            (y.commits, y.lines_added, y.cost_per_commit),
            (None, None, None)
        );
        assert_eq!(y.sessions_with_commit_facts, 0);
        // Sessions that made no commit have no cost per commit, whatever they cost.
        let idle = build(&[session(
            ALICE,
            "2026-11-23T08:00:00.000Z",
            committed(Some(9), 0, 0, 0),
        )]);
        assert_eq!(
            (idle.totals.commits, idle.totals.cost_per_commit),
            (Some(0), None)
        );
        let json = serde_json::to_value(&r.totals).unwrap();
        assert_eq!(json["cost_per_commit"], 0.5);
        assert_eq!(json["commits"], 6);
        assert_eq!(json["sessions_with_commit_facts"], 4);
        assert!(json.get("committing").is_none(), "{json}");
    }

    #[test]
    fn busiest_days_and_recent_titles() {
        let mut sessions = Vec::new();
        for day in 1..=8u32 {
            for hour in 0..day.min(3) {
                let created = format!("2026-11-{day:02}T{hour:02}:00:00.000Z");
                sessions.push(session(ALICE, &created, Facts::default()));
            }
        }
        sessions.reverse(); // newest first, as the API lists them
        let r = build(&sessions);
        let days: Vec<(&str, u64)> = r
            .busiest_days
            .iter()
            .map(|d| (d.date.as_str(), d.sessions))
            .collect();
        assert_eq!(
            days,
            [
                ("2026-11-08", 3),
                ("2026-11-07", 3),
                ("2026-11-06", 3),
                ("2026-11-05", 3),
                ("2026-11-04", 3)
            ]
        );
        assert_eq!(r.recent.len(), RECENT_TITLES);
        assert_eq!(r.recent[0].created_at, "2026-11-08T02:00:00.000Z");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["people"][0]["sessions"], 1 + 2 + 3 * 6);
        assert_eq!(json["people"][0]["cost_usd"], serde_json::Value::Null);
        assert_eq!(r.days.len(), 8, "every day with sessions");
        assert_eq!(r.days[0].date, "2026-11-01");
        assert_eq!(r.days[7].people[ALICE], 3);
    }

    #[test]
    fn days_count_each_person() {
        let r = build(&[
            session(BOB, "2026-11-23T10:00:00.000Z", Facts::default()),
            session(ALICE, "2026-11-23T09:00:00.000Z", Facts::default()),
            session(ALICE, "2026-11-23T08:00:00.000Z", Facts::default()),
            session(ALICE, "2026-11-21T08:00:00.000Z", Facts::default()),
        ]);
        let dates: Vec<&str> = r.days.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-21", "2026-11-23"]);
        assert_eq!(r.days[1].sessions, 3);
        assert_eq!(r.days[1].people[ALICE], 2);
        assert_eq!(r.days[1].people[BOB], 1);
    }
}

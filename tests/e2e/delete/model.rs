//! The in-memory store against DynamoDB Local: random sequences of upserts (plain and
//! create-only), deletes and reads by two identities, with `observed_at` before, at and after
//! each delete's, applied to both stores. Every outcome, and the listings and change feeds after
//! each sequence, must be the same: the memory store's tests of the router then hold for
//! DynamoDB too.

use crate::store_model::{assert_same_changes, assert_same_listing};
use sessions_core::wire::{Change, ChangePage};
use sessions_core::{Session, SessionId, Timestamp, UpsertBody, WorkspaceId};
use sessions_e2e::{Stack, alice, bob, new_workspace};
use sessions_function::domain::{
    Caller, ChangeQuery, DeleteCommand, ListQuery, Rejection, UpsertCommand, WriteMode,
};
use sessions_function::store::{DynamoStore, MemoryStore, SessionStore, StoreError};

const SEQUENCES: u64 = 40;
const STEPS: u64 = 16;

/// splitmix64: a small PRNG, so a failing sequence replays from its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

#[derive(Debug)]
enum Op {
    Upsert(UpsertCommand),
    Delete(DeleteCommand),
    Get(SessionId),
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Written { session: Session, created: bool },
    Deleted,
    Read(Option<Session>),
    Refused(Rejection),
}

fn outcome<T>(result: Result<T, StoreError>, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match result {
        Ok(value) => ok(value),
        Err(StoreError::Rejected(rejection)) => Outcome::Refused(rejection),
        Err(e) => panic!("the store failed: {e:?}"),
    }
}

async fn apply(store: &impl SessionStore, workspace: &WorkspaceId, op: &Op) -> Outcome {
    match op {
        Op::Upsert(cmd) => outcome(store.upsert(cmd).await, |u| Outcome::Written {
            session: u.session,
            created: u.created,
        }),
        Op::Delete(cmd) => outcome(store.delete(cmd).await, |()| Outcome::Deleted),
        Op::Get(id) => outcome(store.get(workspace, id).await, Outcome::Read),
    }
}

/// One random step at `step` seconds past the base time (the server's clock); every
/// `observed_at` is drawn from the same few seconds, so writes land before, at and after
/// each delete's.
fn op(rng: &mut Rng, workspace: WorkspaceId, step: u64) -> Op {
    let base = Timestamp::parse("base", "2026-11-20T09:00:00Z").expect("base time");
    let seconds = |n: u64| base.plus_seconds(n as i64);
    let time = |rng: &mut Rng| seconds(rng.below(STEPS + 4));
    let now = seconds(step);
    let session_id = SessionId::parse(["s1", "s2"][rng.below(2) as usize]).expect("id");
    let who = [alice(), bob()][rng.below(2) as usize];
    let caller = Caller::from_arn(who.arn);
    match rng.below(10) {
        0..=4 => {
            let observed_at = time(rng);
            let finished = rng.below(2) == 0;
            let fields = UpsertBody::from_json(
                serde_json::json!({
                    "title": format!("t{}", rng.below(100)),
                    "summary": "s",
                    "finished_at": finished.then(|| observed_at.to_string()),
                    "observed_at": observed_at.to_string(),
                })
                .to_string()
                .as_bytes(),
            )
            .expect("a valid body");
            let mode = if rng.below(4) == 0 {
                WriteMode::CreateOnly
            } else {
                WriteMode::Upsert
            };
            Op::Upsert(UpsertCommand {
                workspace,
                session_id,
                fields,
                caller,
                mode,
                new_uuid: uuid::Uuid::new_v4(),
                now,
            })
        }
        5..=7 => Op::Delete(DeleteCommand {
            workspace,
            session_id,
            caller,
            client_observed_at: (rng.below(2) == 0).then(|| time(rng)),
            now,
        }),
        _ => Op::Get(session_id),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_agrees_with_dynamodb_on_writes_and_deletes() {
    let stack = Stack::start().await;
    let dynamo = DynamoStore::new(stack.dynamodb.clone(), &stack.table);
    let first = std::env::var("SESSIONS_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Timestamp::now().unix_millis() as u64);
    // How often the cases that matter here came up: deletes that went through, writes refused
    // by a tombstone as stale, and rows recorded again after a delete.
    let (mut deletes, mut stale_on_tombstone, mut recorded_again) = (0, 0, 0);
    let mut tombstones_in_feed = 0;
    // Sequences are random (a new seed each run): past the first SEQUENCES, more run until
    // they reach those cases, so that a thin draw does not fail.
    for seed in first..first + 4 * SEQUENCES {
        if seed >= first + SEQUENCES && deletes > 20 && stale_on_tombstone > 5 && recorded_again > 5
        {
            break;
        }
        let memory = MemoryStore::new();
        let workspace = WorkspaceId::parse(&new_workspace()).expect("workspace");
        let mut rng = Rng(seed);
        let mut history = Vec::new();
        let mut deleted = std::collections::HashSet::new();
        for step in 0..STEPS {
            let op = op(&mut rng, workspace, step);
            let expected = apply(&memory, &workspace, &op).await;
            let actual = apply(&dynamo, &workspace, &op).await;
            history.push(format!("{op:?}\n  -> {expected:?}"));
            assert_eq!(
                actual,
                expected,
                "DynamoDB (left) and the memory store (right) differ at step {step} of seed \
                 {seed} (replay with SESSIONS_MODEL_SEED={seed}):\n{}",
                history.join("\n")
            );
            match (&op, &expected) {
                (Op::Delete(cmd), Outcome::Deleted) => {
                    deletes += 1;
                    deleted.insert(cmd.session_id.clone());
                }
                (Op::Upsert(cmd), Outcome::Refused(Rejection::Stale))
                    if deleted.contains(&cmd.session_id) =>
                {
                    stale_on_tombstone += 1;
                }
                (Op::Upsert(cmd), Outcome::Written { .. }) => {
                    recorded_again += usize::from(deleted.remove(&cmd.session_id));
                }
                _ => {}
            }
        }
        for (who, mine) in [(alice(), false), (alice(), true), (bob(), true)] {
            let query = ListQuery {
                workspace,
                caller: Caller::from_arn(who.arn),
                mine,
                limit: 100,
                cursor: None,
                filter: Default::default(),
            };
            assert_same_listing(&memory, &dynamo, &query, || {
                format!("(mine={mine}) after seed {seed}:\n{}", history.join("\n"))
            })
            .await;
        }
        // Each step writes at its own second of the server's clock: no two changes tie.
        let base = Timestamp::parse("base", "2026-11-20T09:00:00Z").expect("base time");
        for (since, limit) in [(0, ChangePage::MAX_LIMIT), (0, 1), (STEPS / 2, 2)] {
            let query = ChangeQuery {
                workspace,
                since: base.plus_seconds(since as i64),
                limit,
                cursor: None,
                now: base.plus_seconds(STEPS as i64),
            };
            let changes = assert_same_changes(&memory, &dynamo, &query, || {
                format!(
                    "(from +{since}s, limit {limit:?}) after seed {seed}:\n{}",
                    history.join("\n")
                )
            })
            .await;
            tombstones_in_feed += changes
                .iter()
                .filter(|c| matches!(c, Change::Deleted(_)))
                .count();
        }
    }
    // The sequences did reach the interesting cases.
    assert!(deletes > 20, "only {deletes} deletes went through");
    assert!(
        tombstones_in_feed > 10,
        "only {tombstones_in_feed} tombstones in the change feeds"
    );
    assert!(
        stale_on_tombstone > 5,
        "only {stale_on_tombstone} stale writes on tombstones"
    );
    assert!(
        recorded_again > 5,
        "only {recorded_again} rows recorded again"
    );
}

//! The in-memory store against DynamoDB Local for facts: random sequences of upserts carrying
//! random subsets of facts (or none), by two identities, with `observed_at` drawn from a few
//! seconds so that many are stale, and some deletes. Every outcome must be the same, and so
//! must every listing by repo, branch and user afterwards.

use crate::store_model::assert_same_listing;
use serde_json::{Value, json};
use sessions_core::{Session, SessionId, Timestamp, UpsertBody, WorkspaceId};
use sessions_e2e::{Stack, alice, bob, new_workspace};
use sessions_function::domain::{
    Caller, DeleteCommand, ListFilter, ListQuery, Rejection, UpsertCommand, WriteMode,
};
use sessions_function::store::{DynamoStore, MemoryStore, SessionStore, StoreError};

use super::{BILLING, UPLOADER};

const SEQUENCES: u64 = 30;
const STEPS: u64 = 14;

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

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.below(options.len() as u64) as usize]
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Written(Box<Session>),
    Deleted,
    Refused(Rejection),
}

fn outcome<T>(result: Result<T, StoreError>, ok: impl FnOnce(T) -> Outcome) -> Outcome {
    match result {
        Ok(value) => ok(value),
        Err(StoreError::Rejected(rejection)) => Outcome::Refused(rejection),
        Err(e) => panic!("the store failed: {e:?}"),
    }
}

/// Each fact present with probability one half, from a few values.
fn random_facts(rng: &mut Rng) -> Value {
    let mut facts = json!({});
    let mut maybe = |rng: &mut Rng, name: &str, value: Value| {
        if rng.below(2) == 0 {
            facts[name] = value;
        }
    };
    let repo = rng.pick(&[UPLOADER, BILLING]);
    maybe(rng, "repo", json!(repo));
    let branch = rng.pick(&["main", "fix/retry"]);
    maybe(rng, "branch", json!(branch));
    let models = [
        vec!["claude-opus-4-5"],
        vec!["claude-haiku-4-5", "claude-opus-4-5"],
    ];
    let models = models[rng.below(2) as usize].clone();
    maybe(rng, "models", json!(models));
    let tokens = rng.below(1_000_000);
    maybe(rng, "input_tokens", json!(tokens));
    let cost = [0.000001, 1.09, 12.5, 0.0][rng.below(4) as usize];
    maybe(rng, "cost_usd", json!(cost));
    let reason = rng.pick(&["other", "caught_up"]);
    maybe(rng, "end_reason", json!(reason));
    facts
}

async fn apply(store: &impl SessionStore, op: &Result<UpsertCommand, DeleteCommand>) -> Outcome {
    match op {
        Ok(cmd) => outcome(store.upsert(cmd).await, |u| {
            Outcome::Written(Box::new(u.session))
        }),
        Err(cmd) => outcome(store.delete(cmd).await, |()| Outcome::Deleted),
    }
}

fn op(rng: &mut Rng, workspace: WorkspaceId, step: u64) -> Result<UpsertCommand, DeleteCommand> {
    let base = Timestamp::parse("base", "2026-11-20T09:00:00Z").expect("base time");
    let now = base.plus_seconds(step as i64);
    let session_id = SessionId::parse(rng.pick(&["s1", "s2", "s3"])).expect("id");
    let caller = Caller::from_arn([alice(), bob()][rng.below(2) as usize].arn);
    if rng.below(8) == 0 {
        return Err(DeleteCommand {
            workspace,
            session_id,
            caller,
            client_observed_at: None,
            now,
        });
    }
    // Mostly in order (so facts pile up), one write in three at any of the sequence's seconds.
    let second = if rng.below(3) == 0 {
        rng.below(STEPS)
    } else {
        step + 1
    };
    let observed_at = base.plus_seconds(second as i64);
    let mut body = random_facts(rng);
    body["title"] = json!(format!("t{}", rng.below(100)));
    body["summary"] = json!("s");
    body["observed_at"] = json!(observed_at.to_string());
    let fields = UpsertBody::from_json(body.to_string().as_bytes()).expect("a valid body");
    Ok(UpsertCommand {
        workspace,
        session_id,
        fields,
        caller,
        mode: WriteMode::Upsert,
        new_uuid: uuid::Uuid::new_v4(),
        now,
    })
}

/// Every filter worth comparing: by repo (the repo index), branch, user, and combinations.
fn filters() -> Vec<(bool, ListFilter)> {
    let mut all = Vec::new();
    for repo in [None, Some(UPLOADER), Some(BILLING)] {
        for branch in [None, Some("main")] {
            for user in [None, Some(bob().arn)] {
                let filter = ListFilter {
                    repo: repo.map(str::to_owned),
                    branch: branch.map(str::to_owned),
                    user_arn: user.map(str::to_owned),
                };
                all.push((false, filter.clone()));
                if user.is_none() {
                    all.push((true, filter));
                }
            }
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_store_agrees_with_dynamodb_on_facts_and_filters() {
    let stack = Stack::start().await;
    let dynamo = DynamoStore::new(stack.dynamodb.clone(), &stack.table);
    let first = std::env::var("SESSIONS_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Timestamp::now().unix_millis() as u64);
    let (mut kept, mut stale_with_facts, mut listed_by_repo) = (0, 0, 0);
    // Sequences are random (a new seed each run): past the first SEQUENCES, more run until
    // they reach the interesting cases counted below, so that a thin draw does not fail.
    for seed in first..first + 4 * SEQUENCES {
        if seed >= first + SEQUENCES && kept > 20 && stale_with_facts > 20 && listed_by_repo > 20 {
            break;
        }
        let memory = MemoryStore::new();
        let workspace = WorkspaceId::parse(&new_workspace()).expect("workspace");
        let mut rng = Rng(seed);
        let mut history = Vec::new();
        for step in 0..STEPS {
            let op = op(&mut rng, workspace, step);
            let expected = apply(&memory, &op).await;
            let actual = apply(&dynamo, &op).await;
            history.push(format!("{op:?}\n  -> {expected:?}"));
            assert_eq!(
                actual,
                expected,
                "DynamoDB (left) and the memory store (right) differ at step {step} of seed \
                 {seed} (replay with SESSIONS_MODEL_SEED={seed}):\n{}",
                history.join("\n")
            );
            if let (Ok(cmd), Outcome::Written(session)) = (&op, &expected) {
                // A fact the write did not carry, still there from an earlier write.
                kept +=
                    usize::from(cmd.fields.facts.repo.is_none() && session.facts.repo.is_some());
            }
            if let (Ok(cmd), Outcome::Refused(Rejection::Stale)) = (&op, &expected) {
                stale_with_facts += usize::from(!cmd.fields.facts.is_empty());
            }
        }
        for (mine, filter) in filters() {
            let query = ListQuery {
                workspace,
                caller: Caller::from_arn(alice().arn),
                mine,
                limit: 100,
                cursor: None,
                filter: filter.clone(),
            };
            let expected = assert_same_listing(&memory, &dynamo, &query, || {
                format!(
                    "(mine={mine}, {filter:?}) after seed {seed}:\n{}",
                    history.join("\n")
                )
            })
            .await;
            if filter.repo.is_some() {
                listed_by_repo += expected.len();
            }
        }
    }
    // The sequences did reach the interesting cases.
    assert!(kept > 20, "only {kept} writes kept an earlier fact");
    assert!(
        stale_with_facts > 20,
        "only {stale_with_facts} stale writes carried facts"
    );
    assert!(
        listed_by_repo > 20,
        "only {listed_by_repo} sessions listed by repo"
    );
}

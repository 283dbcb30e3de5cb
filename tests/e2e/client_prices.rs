//! Claude Code's own cost estimate against the price table: the real client, told by the
//! stand-in API exactly what each call used, prices every model id of prices.toml with a short
//! prompt and with one above the long-context thresholds; every disagreement is reported per
//! rate on stderr, and only those the table documents (`[[model.client_rates]]`, to the exact
//! rate) are allowed.

// A few `claude -p` processes take their prompts one at a time over stream-json: each prompt is
// one API call, and each `result` event says what the calls since the previous one cost
// (`model_usage_since_last_result`); `set_model` moves a process on to the next id. Each id is
// first asked one call that bills all five rates at once, in counts of different sizes, so that
// rates which differ would have to differ in exact proportion to those counts to cancel out.
// Where that call's cost differs from the table's, or the table documents a difference, each rate
// is then asked on its own so that the difference is pinned to a rate.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sessions_cli::facts::{PriceTable, Rate, read_transcript};
use sessions_cli::transcript::Tokens;
use sessions_core::Timestamp;
use sessions_e2e::fake_anthropic::{Billed, FakeAnthropic, Scripted, claude_command};

/// Tokens of a short probe of one rate: below every long-context threshold.
const SHORT: u64 = 20_000;
/// Prompt tokens of a long probe of one rate: above every long-context threshold of the table
/// (100,000 and 200,000).
const LONG: u64 = 200_001;
/// Output tokens of the long output probe (its prompt is `LONG` input tokens).
const LONG_OUTPUT: u64 = 20_000;
/// The call that bills every rate at once, with a short prompt (73,340 tokens).
const MIXED_SHORT: Tokens = Tokens {
    input: 20_011,
    cache_write_5m: 3_001,
    cache_write_1h: 307,
    cache_read: 50_021,
    output: 1_009,
};
/// The same with a long prompt (253,340 tokens).
const MIXED_LONG: Tokens = Tokens {
    input: 200_011,
    ..MIXED_SHORT
};
/// `claude` processes at once.
const PARALLEL: usize = 3;
/// How long one answer of the client may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);
/// Dated snapshots, for the models of the table that have no exact id, only `...-20*` patterns.
const SNAPSHOTS: &[&str] = &["claude-3-haiku-20240307"];
/// What a prompt says, followed by the number of its call in `Calls`.
const TAG: &str = "price probe ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    Short,
    Long,
}

impl Prompt {
    fn name(self) -> &'static str {
        match self {
            Prompt::Short => "short",
            Prompt::Long => "long",
        }
    }

    fn mixed(self) -> Tokens {
        match self {
            Prompt::Short => MIXED_SHORT,
            Prompt::Long => MIXED_LONG,
        }
    }

    /// The call that bills `rate` alone (the long output call needs a long prompt too).
    fn isolating(self, rate: Rate) -> Tokens {
        match (self, rate) {
            (Prompt::Short, rate) => rate.tokens(SHORT),
            (Prompt::Long, Rate::Output) => Tokens {
                input: LONG,
                output: LONG_OUTPUT,
                ..Tokens::default()
            },
            (Prompt::Long, rate) => rate.tokens(LONG),
        }
    }

    /// Tokens of the isolating call billed at `rate`.
    fn rated_tokens(self, rate: Rate) -> u64 {
        match (self, rate) {
            (Prompt::Short, _) => SHORT,
            (Prompt::Long, Rate::Output) => LONG_OUTPUT,
            (Prompt::Long, _) => LONG,
        }
    }
}

/// The ids a model of the table is asked under: its exact ids, or the known snapshots of its
/// `...-20*` patterns when it has none.
fn probed_ids(ids: &[String]) -> Vec<String> {
    let exact: Vec<String> = ids
        .iter()
        .filter(|id| !id.ends_with('*'))
        .cloned()
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    SNAPSHOTS
        .iter()
        .filter(|snapshot| {
            ids.iter().any(|pattern| {
                pattern
                    .strip_suffix('*')
                    .is_some_and(|prefix| snapshot.starts_with(prefix))
            })
        })
        .map(|s| (*s).to_owned())
        .collect()
}

/// The number in a prompt's tag: the last one of the conversation is the current prompt.
fn call_number(text: &str) -> Option<usize> {
    let (_, rest) = text.rsplit_once(TAG)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn billed(t: &Tokens) -> Billed {
    Billed {
        input: t.input,
        output: t.output,
        cache_read: t.cache_read,
        cache_write_5m: t.cache_write_5m,
        cache_write_1h: t.cache_write_1h,
    }
}

/// The usage of every tagged call, by number, and what the stand-in answered with it (the
/// model the request named, the tokens), for the transcripts' check.
#[derive(Default)]
struct Calls {
    asked: Vec<Tokens>,
    answered: Vec<(String, Tokens)>,
}

/// A `claude -p` that takes its prompts one at a time on stdin (stream-json) and reports on
/// stdout, read by a thread so that a silent client fails the test instead of hanging it.
struct Client {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
    home: PathBuf,
    calls: Arc<Mutex<Calls>>,
    next_request: u64,
}

impl Client {
    fn start(home: &Path, anthropic_url: &str, model: &str, calls: Arc<Mutex<Calls>>) -> Client {
        let stderr = std::fs::File::create(home.join("claude.stderr")).expect("stderr file");
        let mut child = claude_command(home, anthropic_url)
            .args(["-p", "--model", model])
            .args(["--input-format", "stream-json"])
            .args(["--output-format", "stream-json", "--verbose"])
            // A long call fills a 200K context window: compacting it would be another call
            // (the conversation is cleared instead).
            .env("DISABLE_AUTO_COMPACT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start claude");
        let stdin = child.stdin.take().expect("claude's stdin");
        let stdout = child.stdout.take().expect("claude's stdout");
        let (send, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && send.send(event).is_err()
                {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            events,
            home: home.to_path_buf(),
            calls,
            next_request: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").expect("write to claude's stdin");
        self.stdin.flush().expect("flush claude's stdin");
    }

    /// The next event `wanted` accepts; fails with the client's stderr if none comes in time.
    fn wait_for(&self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) if wanted(&event) => return event,
                Ok(_) => {}
                Err(e) => panic!(
                    "claude gave no {what} ({e}); its stderr: {}",
                    std::fs::read_to_string(self.home.join("claude.stderr")).unwrap_or_default()
                ),
            }
        }
    }

    /// Sends one prompt and returns its `result` event.
    fn prompt(&mut self, text: &str) -> Value {
        self.send(&json!({"type": "user", "message": {"role": "user", "content": text}}));
        let result = self.wait_for("result", |e| e["type"] == "result");
        assert_eq!(result["is_error"], false, "{text}: {result}");
        result
    }

    /// One call of `model` that uses `tokens`: what the client says it used and cost, for that
    /// model alone, after checking that it saw every token the stand-in reported.
    fn call(&mut self, model: &str, tokens: Tokens) -> Value {
        let number = {
            let mut calls = self.calls.lock().expect("calls");
            calls.asked.push(tokens);
            calls.asked.len() - 1
        };
        let result = self.prompt(&format!("{TAG}{number}"));
        let since = &result["model_usage_since_last_result"];
        assert_eq!(
            since.as_object().map(|o| o.len()),
            Some(1),
            "{model} {tokens:?}: one model since the last result: {since}"
        );
        let usage = since[model].clone();
        let counts = [
            ("inputTokens", tokens.input),
            ("outputTokens", tokens.output),
            ("cacheReadInputTokens", tokens.cache_read),
            ("cacheCreationEphemeral5mInputTokens", tokens.cache_write_5m),
            ("cacheCreationEphemeral1hInputTokens", tokens.cache_write_1h),
        ];
        for (field, want) in counts {
            assert_eq!(usage[field], want, "{model} {tokens:?}: {field} in {since}");
        }
        usage
    }

    /// Forgets the conversation, so that a long call does not leave the next one too long.
    fn clear(&mut self) {
        self.prompt("/clear");
    }

    /// Switches the model of the following prompts; returns the model the client chose (it
    /// replaces some retired ones).
    fn set_model(&mut self, model: &str) -> String {
        let id = format!("set-model-{}", self.next_request);
        self.next_request += 1;
        self.send(&json!({
            "type": "control_request", "request_id": id,
            "request": {"subtype": "set_model", "model": model},
        }));
        let reply = self.wait_for("control_response", |e| {
            e["type"] == "control_response" && e["response"]["request_id"] == id.as_str()
        });
        assert_eq!(
            reply["response"]["subtype"], "success",
            "claude refused the model {model}: {reply}"
        );
        reply["response"]["response"]["model"]
            .as_str()
            .unwrap_or(model)
            .to_owned()
    }

    /// Ends the conversation and waits for the client to exit.
    fn finish(self) {
        let Client {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        let status = child.wait().expect("wait for claude");
        assert!(status.success(), "claude exited with {status}");
    }
}

/// How a rate of the client compares with the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Agrees,
    /// Differs exactly as the table's `client_rates` say.
    Documented,
    /// Differs, and the table does not say so (or says another rate).
    Undocumented,
    /// The table documents a difference the client no longer makes.
    Stale,
}

impl Verdict {
    fn fails(self) -> bool {
        matches!(self, Verdict::Undocumented | Verdict::Stale)
    }

    fn mark(self) -> &'static str {
        match self {
            Verdict::Agrees => "agrees",
            Verdict::Documented => "documented in prices.toml",
            Verdict::Undocumented => "UNDOCUMENTED",
            Verdict::Stale => "STALE: prices.toml documents a difference the client does not make",
        }
    }
}

/// `tokens` tokens cost `client` nano-dollars at the client's rate and `ours` at the table's;
/// `documented` is the client's rate as the table states it, in thousandths of a dollar per
/// million tokens (nano-dollars per token), if it states one.
fn verdict(tokens: u64, ours: u64, client: u64, documented: Option<u64>) -> Verdict {
    match documented {
        None if client == ours => Verdict::Agrees,
        None => Verdict::Undocumented,
        Some(_) if client == ours => Verdict::Stale,
        Some(rate) if rate.checked_mul(tokens) == Some(client) => Verdict::Documented,
        Some(_) => Verdict::Undocumented,
    }
}

/// One rate of one id and prompt, compared; rates in dollars per million tokens.
#[derive(Debug)]
struct Line {
    model: String,
    prompt: Prompt,
    rate: Rate,
    ours: f64,
    client: f64,
    verdict: Verdict,
}

/// What became of one id of the table.
#[derive(Debug)]
enum Outcome {
    /// Ten lines (five rates with a short prompt, five with a long one), and what no line
    /// explains: a call of every rate at once that cost other than the table says though each
    /// rate alone agrees.
    Compared {
        lines: Vec<Line>,
        unexplained: Vec<String>,
    },
    /// The client replaced the id with this model: it never runs the id.
    RunsAs(String),
    /// The client has no price for the id (`costBasis: "unknown"`): its estimate is a guess.
    NoClientPrice(f64),
}

/// The client's cost of a call, in nano-dollars.
fn nanodollars(usage: &Value) -> u64 {
    let usd = usage["costUSD"]
        .as_f64()
        .unwrap_or_else(|| panic!("no costUSD in {usage}"));
    (usd * 1e9).round() as u64
}

/// Asks the client about `id` and compares its answers with the table.
fn probe(client: &mut Client, table: &PriceTable, at: Timestamp, id: &str) -> Outcome {
    let runs_as = client.set_model(id);
    if runs_as != id {
        return Outcome::RunsAs(runs_as);
    }
    let ours = |tokens: &Tokens| {
        table
            .nanodollars(id, Some(at), tokens)
            .unwrap_or_else(|| panic!("{id} has no price in prices.toml"))
    };
    let mut lines = Vec::new();
    let mut unexplained = Vec::new();
    for prompt in [Prompt::Short, Prompt::Long] {
        let documented = table
            .client_rates(id)
            .iter()
            .find(|c| c.long_prompt == (prompt == Prompt::Long))
            .cloned();
        let mixed = client.call(id, prompt.mixed());
        if prompt == Prompt::Long {
            client.clear();
        }
        if mixed["costBasis"] == "unknown" {
            return Outcome::NoClientPrice(nanodollars(&mixed) as f64 / 1e9);
        }
        let (client_mixed, our_mixed) = (nanodollars(&mixed), ours(&prompt.mixed()));
        let agrees = client_mixed == our_mixed;
        let mut client_costs = [0u64; 5];
        if !agrees || documented.is_some() {
            for (cost, rate) in client_costs.iter_mut().zip(Rate::ALL) {
                *cost = nanodollars(&client.call(id, prompt.isolating(rate)));
                if prompt == Prompt::Long {
                    client.clear();
                }
            }
        }
        let our_costs = Rate::ALL.map(|r| ours(&prompt.isolating(r)));
        let first = lines.len();
        for (i, rate) in Rate::ALL.into_iter().enumerate() {
            // The long output call's prompt is the long input call: its cost is taken off.
            let base = |costs: [u64; 5]| match (prompt, rate) {
                (Prompt::Long, Rate::Output) => costs[0],
                _ => 0,
            };
            let our_cost = our_costs[i] - base(our_costs);
            let client_cost = if agrees && documented.is_none() {
                our_cost
            } else {
                client_costs[i].saturating_sub(base(client_costs))
            };
            let tokens = prompt.rated_tokens(rate);
            let per_million = |nd: u64| nd as f64 / tokens as f64 / 1000.0;
            lines.push(Line {
                model: id.to_owned(),
                prompt,
                rate,
                ours: per_million(our_cost),
                client: per_million(client_cost),
                verdict: verdict(
                    tokens,
                    our_cost,
                    client_cost,
                    documented.as_ref().and_then(|d| d.thousandths(rate)),
                ),
            });
        }
        if !agrees && lines[first..].iter().all(|l| l.verdict == Verdict::Agrees) {
            unexplained.push(format!(
                "{id} {} prompt: {:?} cost {client_mixed} nano-dollars, the table says \
                 {our_mixed}, though each rate alone agrees",
                prompt.name(),
                prompt.mixed()
            ));
        }
    }
    Outcome::Compared { lines, unexplained }
}

/// The facts' own reading of the client's transcripts (the usage it logged, 5-minute and 1-hour
/// writes apart, priced by the table) comes to what the table gives for the calls answered.
fn transcripts_priced_as_the_table(
    table: &PriceTable,
    at: Timestamp,
    homes: &[PathBuf],
    calls: &Calls,
) {
    let mut read = 0u64;
    for home in homes {
        let projects = home.join(".claude/projects");
        for dir in std::fs::read_dir(&projects).into_iter().flatten().flatten() {
            for file in std::fs::read_dir(dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = file.path();
                if path.extension().is_none_or(|e| e != "jsonl") {
                    continue;
                }
                let facts = read_transcript(&path, Instant::now() + ANSWER_WITHIN, table)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                read += facts.cost_nanodollars.unwrap_or(0);
            }
        }
    }
    let want: u64 = calls
        .answered
        .iter()
        .map(|(model, tokens)| table.nanodollars(model, Some(at), tokens).unwrap_or(0))
        .sum();
    assert_eq!(
        read, want,
        "the facts of the client's transcripts, in nano-dollars"
    );
}

/// The report on stderr: every id and prompt with its five rates (`table->client` where they
/// differ), the ids the client does not price itself, then each disagreement.
fn report(table: &PriceTable, outcomes: &[(String, Outcome)], version: &str) -> String {
    let mut out = format!(
        "\nClaude Code {version}'s own estimate against prices.toml, USD per million tokens\n{:<26} {:<6}{}\n",
        "model",
        "prompt",
        Rate::ALL.map(|r| format!("{:>16}", r.name())).join("")
    );
    let mut differing: Vec<&Line> = Vec::new();
    for (id, outcome) in outcomes {
        match outcome {
            Outcome::Compared { lines, unexplained } => {
                for line in unexplained {
                    out += &format!("{line}\n");
                }
                for row in lines.chunks(Rate::ALL.len()) {
                    let cells: String = row
                        .iter()
                        .map(|l| match l.verdict {
                            Verdict::Agrees => format!("{:>16}", l.ours),
                            _ => format!("{:>16}", format!("{}->{}", l.ours, l.client)),
                        })
                        .collect();
                    out += &format!("{id:<26} {:<6}{cells}\n", row[0].prompt.name());
                }
                differing.extend(lines.iter().filter(|l| l.verdict != Verdict::Agrees));
            }
            Outcome::RunsAs(other) => {
                out += &format!("{id:<26} not compared: the client runs it as {other}\n");
            }
            Outcome::NoClientPrice(usd) => {
                out += &format!(
                    "{id:<26} not compared: the client has no price for it (costBasis \"unknown\"; ${usd} for the short call)\n"
                );
            }
        }
    }
    out += &format!("{} rates differ from the table\n", differing.len());
    let mut reasons: Vec<String> = Vec::new();
    for l in differing {
        out += &format!(
            "  {} {} prompt {}: table {} client {}: {}\n",
            l.model,
            l.prompt.name(),
            l.rate.name(),
            l.ours,
            l.client,
            l.verdict.mark()
        );
        let documented = table
            .client_rates(&l.model)
            .iter()
            .find(|c| c.long_prompt == (l.prompt == Prompt::Long));
        if let Some(c) = documented {
            let reason = format!(
                "  {} {} prompt, measured with Claude Code {}: {}\n",
                l.model,
                l.prompt.name(),
                c.claude_code,
                c.reason
            );
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }
    if !reasons.is_empty() {
        out += "where prices.toml says why:\n";
        out.extend(reasons);
    }
    out
}

#[test]
fn claude_code_prices_every_model_as_the_table_or_as_its_row_documents() {
    let table = PriceTable::pinned();
    let mut ids: Vec<String> = Vec::new();
    for (name, model_ids) in table.models() {
        let probed = probed_ids(model_ids);
        assert!(
            !probed.is_empty(),
            "{name} has no exact id and no snapshot in SNAPSHOTS to ask for it under: add one"
        );
        ids.extend(probed);
    }
    let calls = Arc::new(Mutex::new(Calls::default()));
    let fake = FakeAnthropic::replying("ok");
    let scripted = calls.clone();
    fake.script(move |request| {
        if request.body["stream"] != true {
            return None;
        }
        let mut calls = scripted.lock().expect("calls");
        let tokens = *calls.asked.get(call_number(&request.user_text())?)?;
        let model = request.body["model"].as_str()?.to_owned();
        calls.answered.push((model, tokens));
        Some(Scripted {
            model: None,
            usage: billed(&tokens),
        })
    });
    let url = fake.url();
    let at = Timestamp::now();
    let started = Instant::now();

    let queue = Mutex::new(ids.iter().rev().cloned().collect::<Vec<_>>());
    let outcomes: Mutex<Vec<(String, Outcome)>> = Mutex::new(Vec::new());
    let homes: Mutex<Vec<tempfile::TempDir>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| {
                // A worker that failed leaves the queue poisoned: the others stop too.
                let next = || queue.lock().ok().and_then(|mut q| q.pop());
                let Some(mut id) = next() else { return };
                let home = tempfile::tempdir().expect("temp HOME");
                let mut client = Client::start(home.path(), &url, &id, calls.clone());
                loop {
                    let outcome = probe(&mut client, table, at, &id);
                    outcomes.lock().expect("outcomes").push((id, outcome));
                    match next() {
                        Some(more) => id = more,
                        None => break,
                    }
                }
                client.finish();
                homes.lock().expect("homes").push(home);
            });
        }
    });
    let took = started.elapsed();
    let mut outcomes = outcomes.into_inner().expect("outcomes");
    outcomes.sort_by_key(|(id, _)| ids.iter().position(|i| i == id));
    let homes = homes.into_inner().expect("homes");
    let calls = calls.lock().expect("calls");

    eprintln!(
        "{}",
        report(
            table,
            &outcomes,
            &sessions_e2e::fake_anthropic::claude_version()
        )
    );
    eprintln!(
        "{} ids of {} models, {} calls priced by Claude Code in {took:.1?}",
        ids.len(),
        table.models().count(),
        calls.answered.len()
    );
    let paths: Vec<PathBuf> = homes.iter().map(|h| h.path().to_path_buf()).collect();
    transcripts_priced_as_the_table(table, at, &paths, &calls);

    let mut failing: Vec<String> = Vec::new();
    for (_, outcome) in &outcomes {
        if let Outcome::Compared { lines, unexplained } = outcome {
            failing.extend(lines.iter().filter(|l| l.verdict.fails()).map(|l| {
                format!(
                    "{} {} prompt {}: table {} client {}: {}",
                    l.model,
                    l.prompt.name(),
                    l.rate.name(),
                    l.ours,
                    l.client,
                    l.verdict.mark()
                )
            }));
            failing.extend(unexplained.iter().cloned());
        }
    }
    assert!(
        failing.is_empty(),
        "Claude Code's estimate and prices.toml disagree where the table does not say so. \
         Find which is right on Anthropic's pricing pages, then fix the row or document the \
         client's rates in its [[model.client_rates]]:\n{}",
        failing.join("\n")
    );
}

/// A documented difference allows exactly the documented rate, never another, and one the
/// client no longer makes fails too.
#[test]
fn a_documented_difference_cannot_hide_another() {
    let tokens = 20_000;
    // The table: $0.10 per million; the client charges $0.50.
    let (ours, client) = (100 * tokens, 500 * tokens);
    assert_eq!(verdict(tokens, ours, ours, None), Verdict::Agrees);
    assert_eq!(verdict(tokens, ours, client, None), Verdict::Undocumented);
    assert_eq!(
        verdict(tokens, ours, client, Some(500)),
        Verdict::Documented
    );
    // Documented as $0.50, charged $0.501 or $0.499: not what the row says.
    assert_eq!(
        verdict(tokens, ours, client + tokens, Some(500)),
        Verdict::Undocumented
    );
    assert_eq!(
        verdict(tokens, ours, client - tokens, Some(500)),
        Verdict::Undocumented
    );
    // Documented, but the client charges the table's rate again.
    assert_eq!(verdict(tokens, ours, ours, Some(500)), Verdict::Stale);
    assert!(Verdict::Undocumented.fails() && Verdict::Stale.fails());
    assert!(!Verdict::Agrees.fails() && !Verdict::Documented.fails());
}

"""Steps 11 and 12 of infra/bench/run: the local mirror at a team's scale, and `cargo-ai mcp`.

`loadgen seed` writes two workspaces of the private stack through the function's own store: a
team's week of 10,000 sessions and a large team's month of 100,000 (every session inside
`report --since 30d`). Then, as a teammate runs them (wall time from process start to exit):

11. the first `cargo-ai sync` of 10,000 sessions, an incremental sync when nothing changed (its
    requests counted), an incremental sync after 1,000 rows changed (re-written by `loadgen seed`),
    the mirror's size on disk per 10,000 sessions; `cargo-ai search` over 100,000 and 10,000
    mirrored sessions alternating with today's search through the API at 10,000
    (`session list --search`, CARGO_AI_MIRROR=off); the mirror crate's in-process query times
    (`cargo bench -p sessions-mirror`, over a copy of the 100,000-session mirror); `cargo-ai
    report --since 30d` over 100,000 mirrored sessions alternating with the same report through
    the API.
12. `cargo-ai mcp` over stdio at 100,000 mirrored sessions: spawn, initialize and one search
    (start to first answer), then search round trips (mcp/bench_stdio.py's client).

Every CLI read of the mirror first asks the API for what changed (one request when nothing
did; `--no-sync` means the API alone, not the mirror without a sync). The search's start-to-exit
figure is therefore measured with that freshness request, and without it by subtracting the
request's own time, which `--verbose` prints. The measured reads start once the change feed's
overlap window (cli/src/mirror.rs OVERLAP, 120 s) has passed since the last seeded write, so a
read that finds nothing changed fetches nothing.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "mcp"))
import bench_stdio  # noqa: E402  (mcp/bench_stdio.py: the MCP client over stdio)

REPO = Path(__file__).resolve().parents[2]
TEAM_MONTH = 100_000
TEAM_WEEK = 10_000
CHANGED = 1_000
# cli/src/mirror.rs OVERLAP, and a little more: how long after the last write a sync that
# finds nothing changed also reads nothing.
OVERLAP_S = 125
QUERIES = ["retry", "upload retries", "flaky integration tests", "\"dark mode\"", "pagin*",
           "who already worked on the S3 uploader's retries?", "csv export", "zeppelin"]
TRACED_REQUEST = re.compile(r"^< HTTP \d+[^\n]* in ([\d.]+) ms", re.M)

# The targets of issues 20 and 21.
SEARCH_P50_MS, SEARCH_P99_MS, IN_PROCESS_P50_MS = 30, 60, 5
FIRST_SYNC_S, NOTHING_CHANGED_MS, CHANGED_SYNC_S = 3, 100, 1
REPORT_S, MB_PER_10K = 1, 40
MCP_START_MS, MCP_CALL_P50_MS = 150, 20


class Seeded:
    """The two seeded workspaces, each with its teammate's environment (own state dir)."""

    def __init__(self, release, env, work, loadgen, month, week):
        self.release, self.loadgen = release, loadgen
        self.sizes = {"month": month, "week": week}
        self.env, self.seed, self.last_write, self.last_sync = {}, {}, {}, {}
        self.synced = set()
        for name in ("month", "week"):
            self.env[name] = dict(env, CARGO_AI_WORKSPACE=str(uuid.uuid4()),
                                  CARGO_AI_STATE_DIR=str(work / f"mirror-{name}-state"))
        # The month in one go, then its first sync (timed): 100,000 sessions in one pull.
        self.seed["month"] = loadgen(
            ["seed", "--workspace", self.env["month"]["CARGO_AI_WORKSPACE"], "--sessions",
             str(month), "--people", "50", "--repos", "10", "--days", "30", "--seed", "100"],
            self.env["month"])
        self.last_write["month"] = time.monotonic()
        ms, out = self.sync("month")
        if out["written"] != month:
            raise RuntimeError(f"a first sync of {month} sessions printed {out}")
        self.seed["month"]["first_sync_ms"] = ms
        self.seed["month"]["first_sync_requests"] = out["requests"]
        self.synced.add("month")
        self.seed["week"] = loadgen(
            ["seed", "--workspace", self.env["week"]["CARGO_AI_WORKSPACE"], "--sessions",
             str(week), "--people", "8", "--repos", "6", "--days", "7"], self.env["week"])
        self.last_write["week"] = time.monotonic()

    def rewrite(self, name, sessions):
        """Writes the workspace's first `sessions` sessions again: each a newer version."""
        self.loadgen(["seed", "--workspace", self.env[name]["CARGO_AI_WORKSPACE"], "--sessions",
                      str(sessions)], self.env[name])
        self.last_write[name] = time.monotonic()

    def settle(self, name):
        """Waits until the change feed's overlap window has passed since the last write, then
        syncs once (untimed): the next sync starts after every write and reads nothing."""
        left = self.last_write[name] + OVERLAP_S - time.monotonic()
        if left > 0:
            say(f"waiting {left:.0f} s for the change feed's overlap window to pass")
            time.sleep(left)
        if self.last_sync.get(name, 0) < self.last_write[name] + OVERLAP_S:
            self.sync(name)

    def mirror_dir(self, name):
        return Path(self.env[name]["CARGO_AI_STATE_DIR"]) / "mirror"

    def sync(self, name):
        """`cargo-ai sync --json`: wall ms and what it printed."""
        started = time.monotonic()
        ms, out, _ = cargo_ai(self.release, ["sync", "--json"], self.env[name])
        self.last_sync[name] = started
        return ms, json.loads(out)

    def ensure_synced(self, name):
        if name not in self.synced:
            self.sync(name)
            self.synced.add(name)

    def status(self, name):
        """`cargo-ai sync --status --json` in a fresh process: the WAL folded into the file."""
        return json.loads(cargo_ai(self.release, ["sync", "--status", "--json"],
                                   self.env[name])[1])


def say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def cargo_ai(release, args, env, ok=True):
    """Wall ms from spawning `cargo-ai ARGS` to its exit, its stdout and stderr."""
    started = time.perf_counter_ns()
    result = subprocess.run([str(release / "cargo-ai"), *args], env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True)
    elapsed = (time.perf_counter_ns() - started) / 1e6
    if ok and result.returncode != 0:
        raise RuntimeError(f"cargo-ai {' '.join(args)} exited {result.returncode}: "
                           f"{result.stderr.strip()[-2000:]}")
    return elapsed, result.stdout, result.stderr


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, -(-len(s) * p // 100) - 1))]


def spread(values):
    return {"n": len(values), "p50": statistics.median(values), "p99": pct(values, 99),
            "max": max(values)}


def bench_first_sync(s, runs):
    say(f"11. sync: first sync of {s.sizes['week']} sessions ({min(runs, 3)} runs)")
    first = []
    for _ in range(min(runs, 3)):
        shutil.rmtree(s.mirror_dir("week"), ignore_errors=True)
        ms, out = s.sync("week")
        if not out["first"] or out["written"] != s.sizes["week"]:
            raise RuntimeError(f"a first sync of {s.sizes['week']} sessions printed {out}")
        first.append((ms, out["requests"]))
    s.synced.add("week")
    return {"first_ms": spread([ms for ms, _ in first]), "first_requests": first[0][1],
            "week_status": s.status("week")}


def bench_incremental(s, runs):
    say(f"11. sync: nothing changed ({runs} runs), {CHANGED} changed rows ({min(runs, 3)} runs)")
    s.settle("week")
    unchanged = []
    for _ in range(runs):
        ms, out = s.sync("week")
        if out["requests"] != 1 or out["written"] != 0:
            raise RuntimeError(f"a sync with nothing changed printed {out}")
        unchanged.append(ms)
    changed = []
    for _ in range(min(runs, 3)):
        s.rewrite("week", CHANGED)
        ms, out = s.sync("week")
        # The overlap re-reads the previous round's rows too (each applied again, harmlessly).
        if out["written"] < CHANGED:
            raise RuntimeError(f"a sync after {CHANGED} changed rows printed {out}")
        changed.append((ms, out["requests"], out["written"] + out["unchanged"]))
        s.last_write["week"] = time.monotonic()
    return {
        "unchanged_ms": spread(unchanged),
        "changed_ms": spread([ms for ms, _, _ in changed]),
        "changed_requests": max(r for _, r, _ in changed),
        "changed_fetched": max(f for _, _, f in changed),
    }


def search_once(s, name, query, traced):
    """One `cargo-ai search` over a workspace's mirror: wall ms, and the same less the
    freshness request's own time (from the --verbose trace)."""
    args = ["search", query, "--json"] + (["--verbose"] if traced else [])
    ms, out, err = cargo_ai(s.release, args, s.env[name])
    json.loads(out)
    requests = [float(x) for x in TRACED_REQUEST.findall(err)]
    if traced and len(requests) != 1:
        raise RuntimeError(f"a search made {len(requests)} requests, one expected: {err[-1000:]}")
    return ms, ms - sum(requests), sum(requests)


def api_search_once(s, query):
    """Today's search: the API's listing, paged and filtered on the client."""
    env = dict(s.env["week"], CARGO_AI_MIRROR="off")
    ms, out, _ = cargo_ai(s.release, ["workspaceManagement", "session", "list", "--search",
                                      query, "--limit", "10", "--json"], env)
    json.loads(out)
    return ms


def bench_search(s, runs):
    rounds = max(runs * 5, 10)
    say(f"11. search: {rounds} rounds over {s.sizes['month']} and {s.sizes['week']} mirrored "
        f"sessions, {runs} of them alternating with today's search through the API at "
        f"{s.sizes['week']}")
    for name in ("month", "week"):
        s.ensure_synced(name)
        s.settle(name)
    total = {"month": [], "week": []}
    local = {"month": [], "week": []}
    request = {"month": [], "week": []}
    plain = []
    api = []
    for i in range(2 + rounds):
        query = QUERIES[i % len(QUERIES)]
        for name in ("month", "week"):
            ms, without, req = search_once(s, name, query, traced=True)
            if i >= 2:
                total[name].append(ms)
                local[name].append(without)
                request[name].append(req)
        ms = search_once(s, "month", query, traced=False)[0]
        if i >= 2:
            plain.append(ms)
        if i < 2 + runs:
            ms = api_search_once(s, query)
            if i >= 2:
                api.append(ms)
    return {
        "queries": QUERIES,
        "with_request_ms": {name: spread(v) for name, v in total.items()},
        "without_request_ms": {name: spread(v) for name, v in local.items()},
        "request_ms": {name: spread(v) for name, v in request.items()},
        "untraced_month_ms": spread(plain),
        "api_week_ms": spread(api),
    }


def bench_in_process(s, work):
    say(f"11. in-process search: `cargo bench -p sessions-mirror` over a copy of the "
        f"{s.sizes['month']}-session mirror")
    s.ensure_synced("month")
    rows = s.status("month")["rows"]
    source = next(s.mirror_dir("month").glob("*.sqlite3"))
    copy = work / "in-process.sqlite3"
    shutil.copyfile(source, copy)
    try:
        out = subprocess.run(
            ["cargo", "bench", "-q", "-p", "sessions-mirror"], cwd=REPO,
            env=dict(os.environ, MIRROR_BENCH_FILE=str(copy), MIRROR_BENCH_SESSIONS=str(rows)),
            capture_output=True, text=True)
    finally:
        copy.unlink(missing_ok=True)
    if out.returncode != 0:
        raise RuntimeError(f"cargo bench -p sessions-mirror: {out.stderr.strip()[-2000:]}")
    m = re.search(r"^all queries\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", out.stdout, re.M)
    if not m:
        raise RuntimeError(f"cargo bench -p sessions-mirror printed no figures: {out.stdout}")
    return {"sessions": rows, "p50_ms": float(m.group(1)), "p99_ms": float(m.group(2)),
            "cpu_p50_ms": float(m.group(3)), "output": out.stdout}


def bench_report(s, runs):
    api_runs = 2 if runs >= 10 else 1
    say(f"11. report --since 30d over {s.sizes['month']} sessions: mirror text and --json "
        f"({runs} rounds), the API's text alternating ({api_runs} rounds)")
    s.ensure_synced("month")
    s.settle("month")
    api_env = dict(s.env["month"], CARGO_AI_MIRROR="off")
    times = {"text": [], "json": [], "api": []}
    for i in range(1 + runs):
        ms = cargo_ai(s.release, ["report", "--since", "30d"], s.env["month"])[0]
        jms, out, _ = cargo_ai(s.release, ["report", "--since", "30d", "--json"],
                               s.env["month"])
        counted = json.loads(out)["totals"]["sessions"]
        # The seed spreads sessions over 30 days before it ran: a few age out of the window.
        if counted < s.sizes["month"] * 0.999:
            raise RuntimeError(f"the mirror's report counted {counted} of "
                               f"{s.sizes['month']} sessions")
        if i >= 1:
            times["text"].append(ms)
            times["json"].append(jms)
        if 1 <= i <= api_runs:
            times["api"].append(cargo_ai(s.release, ["report", "--since", "30d"], api_env)[0])
    return dict({name: spread(v) for name, v in times.items()}, counted=counted)


def bench_mirror(release, env, work, loadgen, runs, month, week):
    """Step 11. Returns the results and the seeded workspaces (step 12 uses them)."""
    say(f"11. seeding {month} sessions (a month) and {week} (a week) through the store")
    s = Seeded(release, env, work, loadgen, month, week)
    result = {"seed": s.seed, "load_before": loadavg()}
    # What does not depend on the change feed's overlap window first, while it passes.
    result["sync"] = bench_first_sync(s, runs)
    result["month_status"] = s.status("month")
    result["in_process"] = bench_in_process(s, work)
    result["sync"].update(bench_incremental(s, runs))
    result["report"] = bench_report(s, max(runs // 4, 2))
    result["search"] = bench_search(s, runs)
    result["load_after"] = loadavg()
    return result, s


def bench_mcp(s, runs):
    """Step 12: bench_stdio's client against `cargo-ai mcp` on the month's mirror, the server
    syncing in the background against the stack as it does in a Claude session."""
    starts_n, calls_n = max(runs, 3), max(runs * 15, 30)
    say(f"12. cargo-ai mcp at {s.sizes['month']} mirrored sessions: {starts_n} starts, "
        f"{calls_n} search round trips")
    s.ensure_synced("month")
    s.settle("month")
    binary = str(s.release / "cargo-ai")
    queries = bench_stdio.QUERIES
    load_before = loadavg()
    starts = []
    for i in range(starts_n):
        begun = time.perf_counter()
        server = bench_stdio.Server(binary, s.env["month"])
        server.initialize()
        server.search(queries[i % len(queries)])
        starts.append((time.perf_counter() - begun) * 1000)
        server.close()
    server = bench_stdio.Server(binary, s.env["month"])
    server.initialize()
    calls = []
    for i in range(calls_n):
        begun = time.perf_counter()
        server.search(queries[i % len(queries)])
        calls.append((time.perf_counter() - begun) * 1000)
    server.close()
    return {"sessions": s.sizes["month"], "start_ms": spread(starts), "call_ms": spread(calls),
            "load_before": load_before, "load_after": loadavg()}


def loadavg():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def per_10k_mb(status):
    return status["bytes"] / 1e6 / (status["rows"] / 10_000)


def rows(r, verdict):
    """The results table's rows for steps 10 and 11 (whichever ran)."""
    out = []
    if "mirror" in r:
        m = r["mirror"]
        sy, se, rep, ip = m["sync"], m["search"], m["report"], m["in_process"]
        load = f"load {m['load_before']} before, {m['load_after']} after"
        month, week = m["seed"]["month"]["sessions"], m["seed"]["week"]["sessions"]
        month_sync_s = m["seed"]["month"]["first_sync_ms"] / 1e3
        w, wo, req = se["with_request_ms"], se["without_request_ms"], se["request_ms"]
        out += [
            ("11", f"search over {month} mirrored sessions, start to exit, no sync "
             f"(with `--verbose`, less its freshness request; {w['month']['n']} runs, "
             f"{len(se['queries'])} queries)",
             f"p50 **{wo['month']['p50']:.1f} ms** / p99 **{wo['month']['p99']:.1f} ms**",
             f"at {week}: p50 {wo['week']['p50']:.1f} / p99 {wo['week']['p99']:.1f} ms; {load}",
             f"< {SEARCH_P50_MS} / < {SEARCH_P99_MS} ms",
             verdict(wo["month"]["p50"] < SEARCH_P50_MS and wo["month"]["p99"] < SEARCH_P99_MS)),
            ("11", f"search over {month} mirrored sessions, start to exit, with its freshness "
             "request (what a person waits)",
             f"p50 {w['month']['p50']:.1f} ms / p99 {w['month']['p99']:.1f} ms "
             f"(without --verbose: p50 {se['untraced_month_ms']['p50']:.1f} / p99 "
             f"{se['untraced_month_ms']['p99']:.1f} ms)",
             f"the request: p50 {req['month']['p50']:.1f} ms; at {week}: p50 "
             f"{w['week']['p50']:.1f} / p99 {w['week']['p99']:.1f} ms", "", ""),
            ("11", f"before: today's `session list --search` through the API at {week} "
             f"(CARGO_AI_MIRROR=off, {se['api_week_ms']['n']} runs, same queries, alternating)",
             f"p50 {se['api_week_ms']['p50']:.0f} ms, max {se['api_week_ms']['max']:.0f} ms",
             f"mirror at {week} with its request: **{se['api_week_ms']['p50'] / w['week']['p50']:.0f}x**"
             " faster", "reported", ""),
            ("11", f"search in-process over {ip['sessions']} sessions (`cargo bench -p "
             "sessions-mirror` on a copy of the synced mirror)",
             f"p50 **{ip['p50_ms']:.2f} ms**, p99 {ip['p99_ms']:.2f} ms",
             f"CPU p50 {ip['cpu_p50_ms']:.2f} ms", f"< {IN_PROCESS_P50_MS} ms p50",
             verdict(ip["p50_ms"] < IN_PROCESS_P50_MS)),
            ("11", f"first sync of {week} sessions, start to exit ({sy['first_ms']['n']} runs)",
             f"p50 **{sy['first_ms']['p50'] / 1e3:.2f} s** (max {sy['first_ms']['max'] / 1e3:.2f} s)",
             f"{sy['first_requests']} requests; the first sync of {month}: {month_sync_s:.1f} s "
             f"({m['seed']['month']['first_sync_requests']} requests, one run)", f"< {FIRST_SYNC_S} s", verdict(sy["first_ms"]["p50"] < FIRST_SYNC_S * 1e3)),
            ("11", f"incremental sync, nothing changed, start to exit ({sy['unchanged_ms']['n']} runs)",
             f"p50 **{sy['unchanged_ms']['p50']:.1f} ms** (p99 {sy['unchanged_ms']['p99']:.1f})",
             "1 request each (checked)", f"one request, < {NOTHING_CHANGED_MS} ms",
             verdict(sy["unchanged_ms"]["p50"] < NOTHING_CHANGED_MS)),
            ("11", f"incremental sync of {CHANGED} changed rows, start to exit "
             f"({sy['changed_ms']['n']} runs)",
             f"p50 **{sy['changed_ms']['p50']:.0f} ms** (max {sy['changed_ms']['max']:.0f})",
             f"{sy['changed_requests']} request(s), up to {sy['changed_fetched']} rows fetched "
             "(the overlap re-reads the previous round's)", f"< {CHANGED_SYNC_S} s",
             verdict(sy["changed_ms"]["p50"] < CHANGED_SYNC_S * 1e3)),
            ("11", f"`report --since 30d` over {rep['counted']} mirrored sessions, start to exit "
             f"({rep['text']['n']} runs)",
             f"text p50 **{rep['text']['p50'] / 1e3:.2f} s**, --json {rep['json']['p50'] / 1e3:.2f} s",
             f"through the API, same run: {rep['api']['p50'] / 1e3:.1f} s "
             f"({rep['api']['n']} runs): **{rep['api']['p50'] / rep['text']['p50']:.0f}x**",
             f"< {REPORT_S} s", verdict(rep["text"]["p50"] < REPORT_S * 1e3)),
            ("11", "mirror size on disk per 10,000 sessions (with the FTS index)",
             f"**{per_10k_mb(m['month_status']):.1f} MB** ({m['month_status']['bytes'] / 1e6:.0f} MB"
             f" for {m['month_status']['rows']})",
             f"{per_10k_mb(sy['week_status']):.1f} MB at {sy['week_status']['rows']}",
             f"< {MB_PER_10K} MB", verdict(per_10k_mb(m["month_status"]) < MB_PER_10K)),
        ]
    if "mcp" in r:
        c = r["mcp"]
        out += [
            ("12", f"`cargo-ai mcp` at {c['sessions']} mirrored sessions: start to first answer "
             f"(spawn, initialize, one search; {c['start_ms']['n']} runs)",
             f"p50 **{c['start_ms']['p50']:.0f} ms** (p99 {c['start_ms']['p99']:.0f})",
             f"background sync against the stack; load {c['load_before']}",
             f"< {MCP_START_MS} ms", verdict(c["start_ms"]["p50"] < MCP_START_MS)),
            ("12", f"`cargo-ai mcp`: search round trip over stdio ({c['call_ms']['n']} calls)",
             f"p50 **{c['call_ms']['p50']:.1f} ms** (p99 {c['call_ms']['p99']:.1f})", "",
             f"p50 < {MCP_CALL_P50_MS} ms", verdict(c["call_ms"]["p50"] < MCP_CALL_P50_MS)),
        ]
    return out

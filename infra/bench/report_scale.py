"""Step 9 of infra/bench/run: `cargo-ai report` over a workspace of many sessions.

`loadgen seed` writes a team's week (8 people, 6 repositories, facts on most sessions, summaries
from a few hundred bytes to 4 KiB) into a fresh workspace of the private stack, through the
function's own `DynamoStore::upsert`. Then `cargo-ai report --since 8d` runs as a teammate runs
it, once per output (the terminal's text into /dev/null, --json, --csv, --html FILE), the outputs
alternating round by round: wall time from process start to exit, and the peak resident memory
of the cargo-ai process (ru_maxrss from wait4, through bench's `peak-rss`). The CPU that DynamoDB Local and sessions-local
spend during the timed runs says where the time goes. Every output is checked to hold every
session.
"""

import csv
import json
import os
import statistics
import subprocess
import uuid

# The listing's page size (sessions_core::fields::LIST_MAX_LIMIT): how many API round trips a
# report over N sessions makes.
API_PAGE = 100
# The target: a report over 10,000 sessions in under 3 s against the local stack.
TARGET_S = 3.0
TARGET_SESSIONS = 10_000
FORMATS = ("text", "json", "csv", "html")


def run_cargo_ai(release, argv, env, stdout_path):
    """Wall seconds from spawning argv to its exit, and its peak RSS in KiB, as `peak-rss`
    (bench/src/bin/peak-rss.rs) measures them: a Python parent would count its own image in
    the child's peak."""
    result = subprocess.run(
        [str(release / "peak-rss"), "--stdout", str(stdout_path), "--", *argv], env=env,
        stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv[1:]))}: {result.stderr.strip()[-2000:]}")
    measured = json.loads(result.stdout)
    return measured["wall_ms"] / 1e3, measured["max_rss_kib"]


def check_outputs(paths, sessions):
    """Each output holds every seeded session: JSON totals, CSV records, HTML table rows."""
    totals = json.loads(paths["json"].read_text())["totals"]["sessions"]
    with open(paths["csv"], newline="", encoding="utf-8") as f:
        records = sum(1 for _ in csv.reader(f)) - 1
    if totals != sessions or records != sessions:
        raise RuntimeError(f"report over {sessions} seeded sessions counted {totals} (JSON), "
                           f"{records} CSV records")
    html = paths["html"].read_text(encoding="utf-8")
    if html.count("</tr>") < sessions:
        raise RuntimeError(f"the HTML report holds {html.count('</tr>')} table rows for "
                           f"{sessions} sessions")


def bench(release, env, work, sessions, runs, loadgen, cpu_seconds, pids):
    """Seeds `sessions` sessions into a fresh workspace, then times every output `runs` times
    after one untimed round. `env` is a teammate's shell on the stack; `loadgen(args, env)` runs
    the load generator; `pids` names the stack's processes for `cpu_seconds(pid)`."""
    workspace = str(uuid.uuid4())
    # Through the API, as before the local mirror (CARGO_AI_MIRROR=off).
    env = dict(env, CARGO_AI_WORKSPACE=workspace, CARGO_AI_MIRROR="off",
               CARGO_AI_STATE_DIR=str(work / "report-scale-state"))
    seeded = loadgen(["seed", "--workspace", workspace, "--sessions", str(sessions),
                      "--people", "8", "--repos", "6", "--days", "7"], env)
    cargo_ai = str(release / "cargo-ai")
    paths = {fmt: work / f"report-scale.{fmt}" for fmt in FORMATS}
    argv = {
        "text": [cargo_ai, "report", "--since", "8d"],
        "json": [cargo_ai, "report", "--since", "8d", "--json"],
        "csv": [cargo_ai, "report", "--since", "8d", "--csv"],
        "html": [cargo_ai, "report", "--since", "8d", "--html", str(paths["html"])],
    }
    times = {fmt: [] for fmt in FORMATS}
    rss = {fmt: [] for fmt in FORMATS}
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    timed_runs = 0
    for round_ in range(1 + runs):
        if round_ == 1:
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        for fmt in FORMATS:
            # The text report's stdout is /dev/null, as in a benchmark of a terminal.
            out = os.devnull if fmt in ("text", "html") else paths[fmt]
            elapsed, peak_kib = run_cargo_ai(release, argv[fmt], env, out)
            if round_ >= 1:
                times[fmt].append(elapsed)
                rss[fmt].append(peak_kib)
                timed_runs += 1
    cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / timed_runs
           for name, pid in pids.items()}
    check_outputs(paths, sessions)
    return {
        "sessions": sessions,
        "runs": runs,
        "seed": seeded,
        "median_s": {fmt: statistics.median(v) for fmt, v in times.items()},
        "max_s": {fmt: max(v) for fmt, v in times.items()},
        "peak_rss_mib": {fmt: max(v) / 1024 for fmt, v in rss.items()},
        "bytes": {fmt: paths[fmt].stat().st_size for fmt in ("json", "csv", "html")},
        "api_pages": sessions // API_PAGE + 1,
        "server_cpu_s_per_report": cpu,
    }


def rows(r, verdict):
    """The results table's rows for step 9."""
    n, m, b = r["sessions"], r["median_s"], r["bytes"]
    rss = r["peak_rss_mib"]
    cpu = r["server_cpu_s_per_report"]
    slowest = max(m.values())
    per_page_ms = m["text"] * 1e3 / r["api_pages"]
    return [
        ("9", f"report over {n} sessions, start to exit (median of {r['runs']})",
         f"text {m['text']:.2f} s, --json {m['json']:.2f} s, --csv {m['csv']:.2f} s, "
         f"--html {m['html']:.2f} s",
         f"{r['api_pages']} API pages of {API_PAGE}, {per_page_ms:.0f} ms each; CPU per report: "
         f"DynamoDB Local {cpu['dynamodb_local']:.2f} s, sessions-local "
         f"{cpu['sessions_local']:.2f} s",
         f"< {TARGET_S:.0f} s at {TARGET_SESSIONS:,} sessions",
         verdict(slowest < TARGET_S) if n >= TARGET_SESSIONS else "not judged (fewer sessions)"),
        ("9", f"report over {n} sessions: peak RSS, output sizes",
         f"peak RSS text {rss['text']:.0f} MiB, --json {rss['json']:.0f}, --csv "
         f"{rss['csv']:.0f}, --html {rss['html']:.0f} MiB; HTML {b['html'] / 1e6:.1f} MB, "
         f"CSV {b['csv'] / 1e6:.1f} MB, JSON {b['json'] / 1e3:.0f} KB",
         f"seeded at {r['seed']['rows_per_s']:.0f} rows/s, {r['seed']['with_facts']} with facts",
         "", ""),
    ]

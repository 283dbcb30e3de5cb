#!/usr/bin/env python3
"""`cargo-ai mcp` over stdio as Claude Code drives it: server start to its first answer (spawn,
initialize, one search), then search round trips, over a given mirror file.

  MIRROR_BENCH_FILE=/tmp/m.sqlite3 cargo bench -p sessions-mirror   # a 100,000-session mirror
  python3 mcp/bench_stdio.py target/release/cargo-ai /tmp/m.sqlite3

The mirror is moved to where `cargo-ai mcp` looks for it (and back), under a private state dir, with an
endpoint nothing listens on: the background sync fails at once, as offline, and every answer
comes from the mirror.
"""

import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

# cli/src/mirror.rs FILE_NAMESPACE: the mirror's file name for an endpoint and workspace.
FILE_NAMESPACE = uuid.UUID("7d1c52a4-0f3e-4b8a-9c61-2e5d8a4fb370")
ENDPOINT = "http://127.0.0.1:9"
WORKSPACE = "0b9f3d4e-8a61-4f2c-9d3e-5c7b1a2e4f60"
QUERIES = ["retry", "upload retries", "flaky integration tests", "\"dark mode\"", "pagin*",
           "who already worked on the S3 uploader's retries?", "zeppelin"]
STARTS = 20
CALLS = 300


def message(id_, method, params=None):
    body = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        body["id"] = id_
    if params is not None:
        body["params"] = params
    return (json.dumps(body) + "\n").encode()


class Server:
    def __init__(self, binary, env):
        self.proc = subprocess.Popen([binary, "mcp"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.next_id = 0

    def ask(self, method, params=None):
        self.next_id += 1
        self.proc.stdin.write(message(self.next_id, method, params))
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        answer = json.loads(line)
        if "error" in answer or answer.get("result", {}).get("isError"):
            raise SystemExit(f"{method}: {line!r}")
        return answer

    def initialize(self):
        self.ask("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "bench", "version": "1"}})
        self.proc.stdin.write(message(None, "notifications/initialized"))
        self.proc.stdin.flush()

    def search(self, query):
        return self.ask("tools/call", {"name": "search_sessions", "arguments": {"query": query}})

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    binary, source = sys.argv[1], sys.argv[2]
    state = tempfile.mkdtemp()
    name = uuid.uuid5(FILE_NAMESPACE, f"{ENDPOINT}\n{WORKSPACE}")
    os.makedirs(os.path.join(state, "mirror"))
    mirror = os.path.join(state, "mirror", f"{name}.sqlite3")
    # Moved in and back out: a 100,000-session mirror is some 330 MB.
    shutil.move(source, mirror)
    with sqlite3.connect(mirror) as db:
        rows = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        # Synced a moment ago: no read waits for a first sync.
        db.execute("INSERT OR REPLACE INTO meta VALUES ('last_sync', ?)",
                   (time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),))
    env = {"PATH": os.environ.get("PATH", ""), "HOME": state, "CARGO_AI_STATE_DIR": state,
           "CARGO_AI_ENDPOINT": ENDPOINT, "CARGO_AI_WORKSPACE": WORKSPACE,
           "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDBENCH",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true"}

    starts = []
    for i in range(STARTS):
        begun = time.perf_counter()
        server = Server(binary, env)
        server.initialize()
        server.search(QUERIES[i % len(QUERIES)])
        starts.append((time.perf_counter() - begun) * 1000)
        server.close()

    server = Server(binary, env)
    server.initialize()
    calls = []
    for i in range(CALLS):
        begun = time.perf_counter()
        server.search(QUERIES[i % len(QUERIES)])
        calls.append((time.perf_counter() - begun) * 1000)
    server.close()
    shutil.move(mirror, source)
    shutil.rmtree(state)

    print(f"mirror: {rows} sessions")
    print(f"start to first answer (spawn, initialize, one search), {STARTS} runs: "
          f"p50 {statistics.median(starts):.1f} ms, p99 {percentile(starts, 0.99):.1f} ms")
    print(f"search round trip over stdio, {CALLS} calls: "
          f"p50 {statistics.median(calls):.2f} ms, p99 {percentile(calls, 0.99):.2f} ms")


if __name__ == "__main__":
    main()

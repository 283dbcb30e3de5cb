"""The MCP server through an independent client: the official Python SDK (`mcp`, pinned in
infra/tools/requirements-mcp.txt) drives the server over stdio as Claude Code would.

    .venv-mcp/bin/python mcp/tests/protocol.py SERVER_BINARY
    .venv-mcp/bin/python mcp/tests/protocol.py --live online|offline SPEC.json -- COMMAND [ARG...]

SERVER_BINARY is sessions-mcp-fixture (it serves a team log read from a JSON file, as
`cargo-ai mcp` serves the mirror). Run by `cargo test -p sessions-mcp --test protocol`.
`--live` drives COMMAND (the real `cargo-ai mcp`) against a team log seeded through the API;
SPEC.json names the seeded sessions and the server's environment (see `live`). `online` runs
a whole session; `offline`, once the API is stopped, checks the mirror answers and says so.
Run by the end-to-end test tests/e2e/mcp_tools.rs.
Prints one line per check and `N passed, N failed`; exits non-zero when a check failed.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import anyio
import mcp_types as types
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.shared.exceptions import MCPError

ME = "5d1a0c4e-0000-4000-8000-00000000me01"
ARN = "arn:aws:iam::123456789012:user/{}"
WORKSPACE = "0b0e7f44-7a8c-4d2e-9d53-3f7a2f1b9c10"


def session(sid, who, created, title, summary, repo=None, branch=None, finished=True, **facts):
    row = {
        "uuid": f"uuid-{sid}",
        "session_id": sid,
        "user_uuid": f"user-{who}",
        "workspace_uuid": WORKSPACE,
        "title": title,
        "summary": summary,
        "created_at": created,
        "finished_at": created if finished else None,
        "updated_at": created,
        "user_arn": ARN.format(who),
    }
    if repo:
        row["repo"] = repo
    if branch:
        row["branch"] = branch
    row.update(facts)
    return row


SESSIONS = [
    session("alice-1", "alice", "2026-11-20T09:30:00.000Z", "Fix the flaky login test",
            "The login test waited on a real timer; it now uses a fake clock. Ask alice about tests/login.rs.",
            "github.com/acme/api", "fix/login", prompts=14, models=["claude-opus-4-5", "claude-haiku-4-5"],
            commit_count=1, lines_added=12, lines_removed=3,
            commits=[{"sha": "3f2a9c1e0b7d4a5f8c6e2d1b0a9f8e7d6c5b4a39", "subject": "Use a fake clock in the login test",
                      "added": 12, "removed": 3, "claude": True}]),
    session("bob-1", "bob", "2026-11-22T15:00:00.000Z", "Migrate billing to the new queue",
            "Half done: the consumer is in, the producer still writes to the old queue.",
            "github.com/acme/api", "main", finished=False),
    session("carol-1", "carol", "2026-10-01T08:00:00.000Z", "Flaky login test on CI again",
            "Retries hid it; not fixed.", "github.com/acme/web", "main"),
    # The calling session itself: it matches every query below and must never be answered.
    session(ME, "dave", "2026-11-24T11:00:00.000Z", "Fix the flaky login test (this session)",
            "Working on the flaky login test right now.", "github.com/acme/api", "main", finished=False),
]


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed.append(name)
            print(f"FAIL {name}\n     {detail}")

    def summary(self):
        print(f"{self.passed} passed, {len(self.failed)} failed")
        return 1 if self.failed else 0


def text_of(result):
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def main(server):
    with tempfile.TemporaryDirectory(prefix="mcp-protocol-") as work:
        return await checked(server, Path(work))


async def checked(server, work):
    checks = Checks()
    log_file = work / "log.json"
    log_file.write_text(json.dumps({"sessions": SESSIONS, "synced_at": "2099-01-01T00:00:00Z"}))
    stderr = await serve(
        server, [str(log_file), "--repo", "github.com/acme/api"], {"CLAUDE_CODE_SESSION_ID": ME},
        work, checks, whole_session,
    )
    checks.check("logs go to stderr", "serving the team log over stdio" in stderr, stderr[-500:])

    await offline(server, work, checks)
    return checks.summary()


async def serve(command, args, env, work, checks, body):
    """Runs one server session of `command args` (with `env`) through `body(client, checks)`,
    a copy of its stdout kept to check that every byte is JSON-RPC; returns its stderr."""
    stdout_copy = work / "stdout"
    stderr_file = work / "stderr"
    params = StdioServerParameters(
        command="sh",
        args=["-c", '"$0" "$@" | tee -- "$STDOUT_COPY"', command, *args],
        env={**env, "STDOUT_COPY": str(stdout_copy)},
    )
    with open(stderr_file, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as client:
                await body(client, checks)

    raw = stdout_copy.read_bytes()
    lines = raw.split(b"\n")
    checks.check("stdout ends with a newline", raw.endswith(b"\n"), repr(raw[-80:]))
    bad = []
    for line in lines[:-1]:
        try:
            message = json.loads(line)
            if not (isinstance(message, dict) and message.get("jsonrpc") == "2.0"):
                bad.append(line)
        except ValueError:
            bad.append(line)
    checks.check(
        f"every byte on stdout is JSON-RPC ({len(lines) - 1} messages, {len(raw)} bytes)",
        not bad and len(lines) > 10,
        repr(bad[:3]),
    )
    return stderr_file.read_text()


async def whole_session(client, checks):
    await handshake(client, checks)

    async def call(name, arguments):
        result = await client.call_tool(name, arguments)
        return result, text_of(result)

    result, text = await call("search_sessions", {"query": "flaky login"})
    lines = [l for l in text.splitlines() if l.startswith("- ")]
    checks.check("search: not an error", not result.is_error, text)
    checks.check(
        "search: teammates' sessions, one line each, best first",
        len(lines) == 2 and lines[0].startswith("- alice-1 | alice | 2026-11-20 09:30Z | github.com/acme/api@fix/login | Fix the flaky login test")
        and lines[1].startswith("- carol-1 | carol |"),
        text,
    )
    checks.check("search: matched words marked in the snippet", "[login]" in lines[0] if lines else False, text)
    checks.check("search: never the calling session", ME not in text and "this session" not in text, text)
    checks.check("search: a fresh log carries no age note", "Note:" not in text, text)

    _, text = await call("search_sessions", {"query": "flaky login", "repo": "acme/web", "since": "2026-09-01", "limit": 5})
    checks.check("search: repo and since filter", "carol-1" in text and "alice-1" not in text, text)
    _, text = await call("search_sessions", {"query": "login", "person": "Alice"})
    checks.check("search: person filters by name", "alice-1" in text and "carol-1" not in text, text)
    _, text = await call("search_sessions", {"query": "kubernetes"})
    checks.check("search: nothing found says what to try", text.startswith("No teammate's session matches"), text)

    result, text = await call("get_session", {"session_id": "alice-1"})
    checks.check(
        "get_session: the whole row",
        not result.is_error
        and all(
            want in text
            for want in [
                "title: Fix the flaky login test",
                "who: alice (arn:aws:iam::123456789012:user/alice)",
                "status: finished 2026-11-20T09:30:00.000Z",
                "branch: fix/login",
                "prompts: 14",
                "models: claude-opus-4-5, claude-haiku-4-5",
                "commits (newest first):\n- 3f2a9c1e0b7d +12 -3 Use a fake clock in the login test (co-authored by Claude)",
                "it now uses a fake clock",
            ]
        ),
        text,
    )
    _, text = await call("get_session", {"session_id": "bob-1"})
    checks.check("get_session: an unfinished session says so", "status: in progress" in text, text)
    _, text = await call("get_session", {"session_id": ME})
    checks.check("get_session: the calling session is not answered", "this session itself" in text and "Working on" not in text, text)
    result, text = await call("get_session", {"session_id": "nobody-9"})
    checks.check("get_session: an unknown id says where ids come from", not result.is_error and text.startswith("No session \"nobody-9\""), text)

    _, text = await call("recent_sessions", {})
    lines = [l for l in text.splitlines() if l.startswith("- ")]
    checks.check(
        "recent: the server's repository by default, newest first, not the caller",
        text.startswith("The latest 2 session(s) in github.com/acme/api")
        and [l.split(" | ")[0] for l in lines] == ["- bob-1", "- alice-1"]
        and "| in progress" in lines[0],
        text,
    )
    _, text = await call("recent_sessions", {"repo": "acme/web", "branch": "main", "limit": 1})
    checks.check("recent: another repo and branch", "carol-1" in text and "bob-1" not in text, text)

    await bad_arguments(client, checks)

    _, text = await call("search_sessions", {"query": "billing"})
    checks.check("the server still answers after bad calls", "bob-1" in text, text)


async def handshake(client, checks):
    """initialize and tools/list: the server, its instructions, the three read-only tools."""
    init = await client.initialize()
    checks.check("initialize: the server names itself", init.server_info.name == "sessions", init.server_info)
    checks.check(
        "initialize: the instructions say when to look",
        "Before starting work on a feature, a bug" in (init.instructions or ""),
        init.instructions,
    )
    checks.check("initialize: tools offered", init.capabilities.tools is not None, init.capabilities)

    tools = {t.name: t for t in (await client.list_tools()).tools}
    checks.check(
        "tools/list: exactly the three tools",
        sorted(tools) == ["get_session", "recent_sessions", "search_sessions"],
        sorted(tools),
    )
    for name, tool in tools.items():
        checks.check(
            f"{name}: marked read-only",
            tool.annotations is not None and tool.annotations.read_only_hint is True,
            tool.annotations,
        )
        checks.check(f"{name}: a concise description", 40 < len(tool.description or "") <= 300, tool.description)
        schema = tool.input_schema
        checks.check(
            f"{name}: an object schema refusing unknown arguments",
            schema.get("type") == "object" and schema.get("additionalProperties") is False,
            schema,
        )
    search_schema = tools["search_sessions"].input_schema
    checks.check(
        "search_sessions: query required, filters optional",
        search_schema.get("required") == ["query"]
        and set(search_schema["properties"]) == {"query", "repo", "person", "since", "limit"},
        search_schema,
    )
    limit = search_schema["properties"]["limit"]
    checks.check("search_sessions: limit 1-20 in the schema", limit.get("minimum") == 1 and limit.get("maximum") == 20, limit)
    checks.check(
        "get_session: session_id required",
        tools["get_session"].input_schema.get("required") == ["session_id"],
        tools["get_session"].input_schema,
    )
    checks.check(
        "recent_sessions: nothing required",
        not tools["recent_sessions"].input_schema.get("required"),
        tools["recent_sessions"].input_schema,
    )


async def bad_arguments(client, checks):
    """Every kind of bad argument is a tool error that says the fix; an unknown tool is a
    protocol error."""
    for name, arguments, says in [
        ("search_sessions", {}, "search_sessions takes query"),
        ("search_sessions", {"query": "x", "repository": "acme/api"}, "unknown field `repository`"),
        ("search_sessions", {"query": "x", "limit": "five"}, "limit (1-20)"),
        ("search_sessions", {"query": "x", "limit": 50}, "limit 50 is out of range; pass 1-20"),
        ("search_sessions", {"query": "x", "since": "last week"}, "pass 30m, 12h, 7d or 2w"),
        ("search_sessions", {"query": "   "}, "query is empty"),
        ("search_sessions", {"query": "x", "repo": "api"}, "host/owner/name"),
        ("get_session", {"session_id": "../etc"}, "contains '/'"),
        ("get_session", {"id": "alice-1"}, "get_session takes session_id"),
        ("recent_sessions", {"limit": 0}, "pass 1-20"),
    ]:
        result = await client.call_tool(name, arguments)
        text = text_of(result)
        checks.check(f"bad arguments {name} {json.dumps(arguments)}: a tool error that says the fix", result.is_error and says in text, f"is_error={result.is_error} {text}")

    try:
        await client.call_tool("delete_session", {"session_id": "alice-1"})
        checks.check("an unknown tool is a protocol error", False, "no error raised")
    except MCPError as e:
        checks.check("an unknown tool is a protocol error", "not found" in str(e), str(e))


async def offline(server, work, checks):
    """The API is down: the mirror's copy answers, and says how old it is; an unreadable log is
    a tool error, and the server stays up."""
    log_file = work / "offline.json"
    log_file.write_text(json.dumps({
        "sessions": SESSIONS,
        "synced_at": "2026-11-20T10:00:00Z",
        "sync_error": "cannot reach the API: connection refused",
    }))
    broken = work / "broken.json"
    broken.write_text(json.dumps({"sessions": [], "fail": "database disk image is malformed"}))
    for path, body in [(log_file, offline_session), (broken, broken_session)]:
        params = StdioServerParameters(command=server, args=[str(path)], env={"CLAUDE_CODE_SESSION_ID": ME})
        with open(work / "stderr-offline", "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as client:
                    await client.initialize()
                    await body(client, checks)


async def offline_session(client, checks):
    result = await client.call_tool("search_sessions", {"query": "flaky login"})
    text = text_of(result)
    checks.check(
        "offline: answers from the copy and says how old it is",
        not result.is_error
        and "alice-1" in text
        and "Note: this answer is from the team log as of 2026-11-20 10:00Z, " in text
        and "the latest sync failed: cannot reach the API: connection refused" in text,
        text,
    )
    text = text_of(await client.call_tool("get_session", {"session_id": "alice-1"}))
    checks.check("offline: get_session says it too", "Note: this answer is from the team log" in text, text)


async def broken_session(client, checks):
    result = await client.call_tool("recent_sessions", {})
    text = text_of(result)
    checks.check(
        "an unreadable log is a tool error, not a crash",
        result.is_error and "The team log cannot be read: database disk image is malformed" in text,
        text,
    )
    result = await client.call_tool("search_sessions", {"query": "x"})
    checks.check("the server stays up after it", result.is_error and "cannot be read" in text_of(result), text_of(result))


async def live(phase, spec, command):
    """The real server against a team log seeded through the API. SPEC names the seeded
    sessions: `found` (a teammate's, matching `query`, in `repo`), `newer` (the teammate's
    latest in `repo`), `deleted` (deleted by its owner), `elsewhere` (another workspace's),
    `me` (the calling session's own, matching `query`); and `env`, the server's environment."""
    checks = Checks()
    env = {**spec["env"], "CLAUDE_CODE_SESSION_ID": spec["me"]}
    body = live_online if phase == "online" else live_offline
    with tempfile.TemporaryDirectory(prefix="mcp-live-") as work:
        stderr = await serve(command[0], command[1:], env, Path(work), checks, lambda c, k: body(c, k, spec))
    checks.check("stderr holds no JSON-RPC", '"jsonrpc"' not in stderr, stderr[-500:])
    return checks.summary()


def never_the_others(checks, what, text, spec):
    for key in ["deleted", "elsewhere", "me"]:
        checks.check(f"{what}: never the {key} session", spec[key] not in text, text)


async def live_online(client, checks, spec):
    await handshake(client, checks)

    result = await client.call_tool("search_sessions", {"query": spec["query"]})
    text = text_of(result)
    checks.check(
        "search: the teammate's session, one line",
        not result.is_error and any(l.startswith(f"- {spec['found']} | bob | ") for l in text.splitlines()),
        text,
    )
    never_the_others(checks, "search", text, spec)

    result = await client.call_tool("get_session", {"session_id": spec["found"]})
    text = text_of(result)
    checks.check(
        "get_session: the whole row",
        not result.is_error
        and all(
            want in text
            for want in [
                f"session: {spec['found']}",
                f"title: {spec['title']}",
                "who: bob (arn:aws:iam::",
                f"status: finished {spec['finished_at']}",
                f"repo: {spec['repo']}",
                "branch: retries",
                spec["summary"],
            ]
        ),
        text,
    )
    for key, says in [("deleted", "No session"), ("elsewhere", "No session"), ("me", "this session itself")]:
        result = await client.call_tool("get_session", {"session_id": spec[key]})
        text = text_of(result)
        checks.check(f"get_session: the {key} session is not answered", not result.is_error and says in text, text)

    result = await client.call_tool("recent_sessions", {"repo": spec["repo"]})
    text = text_of(result)
    ids = [l.split(" | ")[0] for l in text.splitlines() if l.startswith("- ")]
    checks.check(
        "recent: the repo's sessions newest first, not the caller's own",
        not result.is_error and ids == [f"- {spec['newer']}", f"- {spec['found']}"],
        text,
    )

    await bad_arguments(client, checks)
    text = text_of(await client.call_tool("search_sessions", {"query": spec["query"]}))
    checks.check("the server still answers after bad calls", spec["found"] in text, text)


async def live_offline(client, checks, spec):
    """The API is stopped: the mirror answers, and says how old it is and that the sync failed
    (the first answers may come before the background sync has given up)."""
    await client.initialize()
    deadline = anyio.current_time() + 15
    while True:
        result = await client.call_tool("search_sessions", {"query": spec["query"]})
        text = text_of(result)
        if "the latest sync failed" in text or anyio.current_time() > deadline:
            break
        await anyio.sleep(0.2)
    checks.check(
        "offline: search answers from the mirror and says its age and the failed sync",
        not result.is_error
        and spec["found"] in text
        and "Note: this answer is from the team log as of " in text
        and "the latest sync failed" in text,
        text,
    )
    never_the_others(checks, "offline search", text, spec)
    result = await client.call_tool("get_session", {"session_id": spec["found"]})
    text = text_of(result)
    checks.check(
        "offline: get_session answers from the mirror and says so",
        not result.is_error and spec["summary"] in text and "the latest sync failed" in text,
        text,
    )
    result = await client.call_tool("recent_sessions", {"repo": spec["repo"]})
    text = text_of(result)
    checks.check("offline: recent_sessions answers too", not result.is_error and spec["newer"] in text, text)
    await bad_arguments(client, checks)


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "--live" and sys.argv[2] in ("online", "offline") and sys.argv[4] == "--":
        spec = json.loads(Path(sys.argv[3]).read_text())
        sys.exit(anyio.run(live, sys.argv[2], spec, sys.argv[5:]))
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit(f"usage: {sys.argv[0]} SERVER_BINARY (sessions-mcp-fixture, built)\n"
                 f"       {sys.argv[0]} --live online|offline SPEC.json -- COMMAND [ARG...]")
    sys.exit(anyio.run(main, sys.argv[1]))

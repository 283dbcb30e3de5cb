//! The MCP server over real stdio, driven by an independent client: the official Python SDK
//! runs `protocol.py` (initialize, list tools, every tool, bad arguments, an offline and a
//! broken log, every stdout byte read as JSON-RPC) against the built fixture server.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_python_sdk_client_drives_every_tool_over_stdio() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = repo.join(".venv-mcp/bin/python");
    assert!(
        python.exists(),
        "the MCP Python client is not installed at {}.\n\
         help: run infra/tools/mcp-client-tools (pip install of the pinned mcp package; infra/test does it)",
        python.display()
    );
    let started = Instant::now();
    let out = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/protocol.py"))
        .arg(env!("CARGO_BIN_EXE_sessions-mcp-fixture"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the Python MCP client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the protocol checks failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // The script's own closing line: no check may be silently skipped.
    let closing = stdout.lines().last().unwrap_or_default();
    assert!(
        closing.ends_with(" passed, 0 failed") && !closing.starts_with("0 "),
        "{stdout}\n{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "three server sessions took {:?}",
        started.elapsed()
    );
}

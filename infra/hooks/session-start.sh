#!/bin/bash
set -u

INPUT="$(cat)"
SESSION_ID="$(printf '%s' "$INPUT" | jq -r '.session_id // "unknown"' 2>/dev/null || echo "unknown")"

cargo-ai workspaceManagement session upsert \
  --session-id "$SESSION_ID" \
  --title "Claude Code session ${SESSION_ID}" \
  --summary "Session in progress." >/dev/null 2>&1 || true

exit 0

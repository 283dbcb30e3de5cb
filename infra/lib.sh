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

# The tools the scripts install (virtualenvs, npm packages) are kept once per user, outside
# any clone, keyed by what pins them: a fresh clone links the installs an earlier clone made
# from the same lock files instead of making them again (about a minute saved: two Claude Code
# releases are 380 MB each). SESSIONS_TOOLS_CACHE overrides where. Deleting it is safe: the
# next infra script that needs a tool installs it again.
tools_cache() {
  if [ -n "${SESSIONS_TOOLS_CACHE:-}" ]; then printf '%s\n' "$SESSIONS_TOOLS_CACHE"
  elif [ -n "${XDG_CACHE_HOME:-}" ]; then printf '%s\n' "$XDG_CACHE_HOME/sessions-tools"
  elif [ -n "${HOME:-}" ]; then printf '%s\n' "$HOME/.cache/sessions-tools"
  else printf '%s\n' "${TMPDIR:-/tmp}/sessions-tools-$(id -u)"; fi # no HOME: some CI runners
}

# cached_install LINK KEY[/PATH] MAKE [ARG...]: makes LINK a symbolic link to the cache's entry
# for KEY (or PATH inside it), running `MAKE ENTRY ARG...` first when the entry is missing or
# incomplete (an interrupted run leaves no `.complete` mark, and the next run starts that entry
# again). Concurrent runs wait for each other. A directory at LINK (from before the cache) is
# replaced.
cached_install() {
  local link="$1" key="$2" make="$3"; shift 3
  local root entry target
  root="$(tools_cache)"
  entry="$root/${key%%/*}"
  target="$root/$key"
  if [ ! -f "$entry/.complete" ]; then
    mkdir -p "$root" || die "cannot create the tools cache $root" "set SESSIONS_TOOLS_CACHE to a writable directory"
    exec 9>"$entry.lock"
    command -v flock >/dev/null && flock 9
    if [ ! -f "$entry/.complete" ]; then
      rm -rf -- "$entry"
      mkdir -p "$entry"
      "$make" "$entry" "$@" || { exec 9>&-; return 1; }
      touch "$entry/.complete"
    fi
    exec 9>&-
  fi
  if [ "$(readlink -- "$link" 2>/dev/null)" != "$target" ]; then
    rm -rf -- "$link"
    ln -s -- "$target" "$link"
  fi
}

# key_of NAME FILE...: a cache key: NAME and the SHA-256 of the files' contents (and of the
# tool that installs from them, e.g. `python3 --version`, passed as a file by the caller).
key_of() {
  local name="$1"; shift
  printf '%s-%s\n' "$name" "$(cat -- "$@" | sha256sum | cut -c1-16)"
}

# npm_install DIR: DIR/node_modules as DIR/package-lock.json pins it (`npm ci`), a link into the
# tools cache: one install per package.json, lock file and Node major version.
npm_install() {
  local dir="$1" rel="${1#"$REPO"/}" key
  [ -f "$dir/package-lock.json" ] || die "$rel/package-lock.json is missing" "restore it from git: git checkout -- $rel/package-lock.json"
  command -v npm >/dev/null || die "npm is not installed; it fetches the packages pinned in $rel" "apt-get install -y nodejs npm"
  command -v node >/dev/null || die "node is not installed; npm needs it" "apt-get install -y nodejs"
  key="$(key_of "npm-${rel//\//-}" "$dir/package.json" "$dir/package-lock.json" <(node --version | cut -d. -f1))"
  _npm_make() {
    local entry="$1" from="$2"
    cp -- "$from/package.json" "$from/package-lock.json" "$entry/"
    say "npm ci: the packages pinned in ${from#"$REPO"/}/package-lock.json (into $entry)"
    (cd "$entry" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
      die "npm ci failed for ${from#"$REPO"/}" "check that the npm registry is reachable (npm ping), then run again"
  }
  cached_install "$dir/node_modules" "$key/node_modules" _npm_make "$dir"
}

# venv_install VENV REQUIREMENTS...: a Python virtualenv with the pinned packages, at VENV (a
# link into the tools cache, one venv per set of requirement files and Python version).
# Needs Python 3.11+ with venv (PYTHON= overrides).
venv_install() {
  local venv="$1"; shift
  local req python="" candidate
  for req in "$@"; do
    [ -f "$req" ] || die "missing $req" "restore it from git: git checkout -- ${req#"$REPO"/}"
  done
  for candidate in ${PYTHON:-python3.11 python3 python3.12 python3.13}; do
    if command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python="$candidate"; break
    fi
  done
  [ -n "$python" ] || die "Python 3.11 or newer with the venv module is required for ${venv#"$REPO"/}" \
    "Debian/Ubuntu: sudo apt-get install python3.11 python3.11-venv" \
    "or point PYTHON at one: PYTHON=/path/to/python3.11 $0"
  local key
  key="$(key_of "$(basename "$venv" | sed 's/^[.]//')" "$@" <("$python" -c 'import sys; print(sys.executable, sys.version)'))"
  _venv_make() {
    local entry="$1"; shift
    say "creating ${venv#"$REPO"/} with $("$python" --version 2>&1) (in $entry)"
    "$python" -m venv -- "$entry" >&2 || die "'$python -m venv $entry' failed (see above)"
    say "installing pinned packages from ${*#"$REPO"/}"
    local reqs=() req
    for req in "$@"; do reqs+=(--requirement "$req"); done
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$entry/bin/python" -m pip install --no-input --progress-bar off "${reqs[@]}" >&2 ||
      die "pip install failed (see above)" "check that PyPI is reachable (pip download pip), then run again"
  }
  cached_install "$venv" "$key" _venv_make "$@"
}

#!/usr/bin/env bash
# levcheck bootstrap: installs what levcheck needs (a Python venv, the pinned npm solc-js and anvil),
# then runs it. Re-running is fast: installs happen only when pyproject.toml or package-lock.json change.
#   ./levcheck.sh check        set up, then run the whole battery (levcheck check)
#   ./levcheck.sh test         set up, then run the test suite (pytest)
#   ./levcheck.sh setup        set up only
#   ./levcheck.sh ARGS...      set up, then run `levcheck ARGS...`
set -euo pipefail
cd "$(dirname "$0")"
HERE="$PWD"
# The project's solc (solc-js behind a native command line) must shadow solc-select's from the venv.
export PATH="$HERE/bin:$HERE/.venv/bin:$PATH"

need_node() {
  if command -v node >/dev/null && command -v npm >/dev/null; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "levcheck: node/npm missing; installing Debian's nodejs and npm" >&2
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  command -v node >/dev/null && command -v npm >/dev/null || {
    echo "levcheck: error: node and npm are required (Node.js 20): install them, then re-run" >&2; exit 2; }
}

# lcov (genhtml, `lcov --summary`): the real LCOV reader the coverage tests check lcov.info with.
# Optional for levcheck itself; installed like node: only if missing, only as root.
need_lcov() {
  if command -v lcov >/dev/null && command -v genhtml >/dev/null; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "levcheck: lcov missing; installing Debian's lcov" >&2
    apt-get update -qq && apt-get install -y -qq lcov >/dev/null || echo "levcheck: could not install lcov (the coverage tests need it)" >&2
  fi
}

setup() {
  need_node
  need_lcov
  local stamp=".venv/.levcheck-stamp" want
  want=$(cat pyproject.toml package-lock.json | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d node_modules/solc ]; then return; fi
  echo "levcheck: installing Python packages and the npm compiler (first run or changed pins)" >&2
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import levcheck, z3, hypothesis, slither, pyrevm, web3" || { echo "levcheck: error: Python install failed" >&2; exit 2; }
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  node bin/solc --version >/dev/null
  echo "$want" > "$stamp"
}

cmd="${1:-check}"
[ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup ;;
  test) setup; exec .venv/bin/python -m pytest "$@" ;;
  *) setup; exec .venv/bin/levcheck "$cmd" "$@" ;;
esac

#!/usr/bin/env bash
# What `npm test` needs besides node_modules, checked before every run (npm runs this as `pretest`):
#   redis-server  the tests start their own Redis servers on free ports;
#   FerretDB      the MongoDB-wire database, built once into .tools/bin from source (needs Go);
#   Chromium      the Bull Board and API-docs tests drive a real browser (/usr/bin/chromium, or CHROMIUM_PATH);
#   promtool      checks and unit-tests the Prometheus alert rules in docs/.
# What is missing is installed when it can be (Debian packages, as root); otherwise the run stops at once,
# naming the command to run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

updated=false
# need <command or path> <Debian package> <what it is for>
need() {
  local have=false
  if [[ "$1" == /* ]]; then [[ -x "$1" ]] && have=true; else command -v "$1" >/dev/null && have=true; fi
  $have && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test prerequisites: installing $2 ($3)"
    if ! $updated; then
      apt-get update -qq
      updated=true
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
  else
    echo "test prerequisites: $1 is missing ($3). Install it first: sudo apt-get install -y $2" >&2
    exit 1
  fi
}

need redis-server redis-server 'the tests start their own Redis servers'
if [[ ! -x .tools/bin/ferretdb ]]; then
  need go golang-go 'Go builds FerretDB, the MongoDB-wire database the tests use'
  bash scripts/install-ferretdb.sh
fi
need "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium 'the browser tests of Bull Board and /docs'
need promtool prometheus 'promtool checks the alert rules in docs/'

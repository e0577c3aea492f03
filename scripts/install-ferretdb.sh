#!/usr/bin/env bash
# Builds FerretDB (a MongoDB-wire database on PostgreSQL or SQLite) into .tools/bin for tests and `npm run dev`.
# Built once and reused; set FERRETDB_FORCE=1 to rebuild. Needs Go and the Go module proxy.
set -euo pipefail
VERSION="${FERRETDB_VERSION:-v1.24.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin/ferretdb"

if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  echo "usage: scripts/install-ferretdb.sh   builds FerretDB $VERSION into .tools/bin/ferretdb (FERRETDB_FORCE=1 rebuilds)"
  exit 0
fi

# Output is captured whole, never piped into an early-exiting reader: with pipefail a SIGPIPE (exit 141) fails the script.
if [[ -x "$BIN" && -z "${FERRETDB_FORCE:-}" ]] && [[ "$("$BIN" --version 2>/dev/null || true)" == *"${VERSION}"* ]]; then
  echo "ferretdb $VERSION already built at $BIN"
  exit 0
fi

command -v go >/dev/null || { echo "error: Go is required to build FerretDB (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$(dirname "$BIN")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
echo "building ferretdb $VERSION (go $(go env GOVERSION)) in $WORK ..."
# `go install` of FerretDB panics; a throwaway wrapper module builds it cleanly.
go mod init ferretdb-build >/dev/null 2>&1
go get "github.com/FerretDB/FerretDB/cmd/ferretdb@${VERSION}"
# Recent Go toolchains record FerretDB itself as the binary's main module, and FerretDB then insists on an
# embedded build/version/version.txt that the module zip does not ship (it panics at start-up without it).
# A local copy of the module with that one file written in, wired by `replace`, gives it what it expects.
SRC="$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
cp -r "$SRC" "$WORK/ferretdb-src"
chmod -R u+w "$WORK/ferretdb-src"
echo "$VERSION" >"$WORK/ferretdb-src/build/version/version.txt"
go mod edit -replace "github.com/FerretDB/FerretDB=./ferretdb-src"
CGO_ENABLED=0 go build -trimpath -o "$BIN" github.com/FerretDB/FerretDB/cmd/ferretdb
echo "built $BIN"
BUILT="$("$BIN" --version)"
echo "$BUILT"

#!/usr/bin/env bash
# Run every fuzz target of the module for a while each: ./scripts/fuzz.sh [DURATION]
# (default 60s). Targets are found with `go test -list`, so new ones need no
# edit here. New failing inputs land in the package's testdata/fuzz/ and
# become regression tests of plain `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60s}"
status=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for target in $targets; do
    echo "== $pkg $target ($duration)"
    # -parallel bounds the workers on shared machines; FUZZ_PARALLEL overrides.
    if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$duration" \
        -parallel "${FUZZ_PARALLEL:-$(nproc)}"; then
      echo "FAIL: $pkg $target"
      status=1
    fi
  done
done
exit "$status"

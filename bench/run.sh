#!/usr/bin/env bash
# `make bench`: supervise side by side with the limit (gen > file, gen | cat)
# and the Debian peers (s6-log, svlogd, multilog, supervisord) in one run;
# writes docs/benchmarks.md and docs/benchmarks.png.
#
# Usage: bench/run.sh BIN [runner flags...]
#   SIZE=50M   bytes each contestant logs (default 400M; 50M is the quick mode)
#   ROUNDS=N   alternating rounds, medians reported (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/supervise}
shift || true
size=${SIZE:-400M}
rounds=${ROUNDS:-5}

# The peers and the chart come from Debian; install whatever is missing.
missing=()
for tool_pkg in s6-log:s6 svlogd:runit multilog:daemontools supervisord:supervisor \
  gnuplot:gnuplot-nox unshare:util-linux; do
  command -v "${tool_pkg%%:*}" >/dev/null || missing+=("${tool_pkg#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bench: missing ${missing[*]} (run as root to install them); those rows will show as failed" >&2
  fi
fi

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
go build -o "$tools/gen" ./bench/cmd/gen
go build -o "$tools/runner" ./bench/cmd/runner
go build -o "$tools/ptycat" ./bench/cmd/ptycat

# The sink's own micro-benchmarks, once they exist, go into the report too.
sink_out=$tools/sink-bench.txt
: >"$sink_out"
if grep -qs '^func Benchmark' pkg/sink/*_test.go; then
  echo "bench: go test -run XXX -bench . -benchmem ./pkg/sink/" >&2
  go test -run XXX -bench . -benchmem ./pkg/sink/ >"$sink_out" 2>&1 || echo "bench: sink benchmarks failed (kept in the report)" >&2
fi

mkdir -p var/bench
"$tools/runner" --bin "$bin" --gen "$tools/gen" --ptycat "$tools/ptycat" --size "$size" --rounds "$rounds" \
  --sink-bench "$sink_out" --json var/bench/results.json "$@"

#!/usr/bin/env bash
# Reliability suite: faults, abuse and a soak against the real binary.
#   chaos/run.sh BIN [go test flags...]        short mode (CI, a few minutes)
#   SOAK=1 [SOAK_MINUTES=30] chaos/run.sh BIN  mixed load, sampled each minute, charted
# Needs root (PID and mount namespaces, tmpfs, cgroups); skips otherwise.
# CHAOS_OUT (default var/chaos) receives report.jsonl, soak.csv and the logs
# of failed scenarios.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:?usage: chaos/run.sh BIN [go test flags]}
shift
bin=$(realpath "$bin")

if [ "$(id -u)" != 0 ] || [ "$(uname -s)" != Linux ]; then
	echo "chaos: SKIP: needs root on Linux (unshare --pid --mount, tmpfs, cgroups)"
	exit 0
fi
for tool in unshare nsenter mount dd; do
	command -v "$tool" >/dev/null || { echo "chaos: FAIL: $tool not found" >&2; exit 1; }
done

out=$(realpath -m "${CHAOS_OUT:-var/chaos}")
mkdir -p "$out"
work=$(mktemp -d /tmp/supervise-chaos-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
"${GO:-go}" test -c -tags chaos -o "$work/chaos.test" ./chaos/

args=(-test.v -test.count=1 -bin "$bin" -out "$out")
if [ "${SOAK:-}" = 1 ]; then
	minutes=${SOAK_MINUTES:-30}
	args+=(-test.run '^TestSoak$' -soak "$minutes" -test.timeout "$((minutes + 10))m")
else
	args+=(-test.skip '^TestSoak$' -test.timeout 8m)
fi
# A private mount namespace: the suite's tmpfs and bind mounts vanish with
# it, whatever happens to the test process.
status=0
unshare --mount --propagation private "$work/chaos.test" "${args[@]}" "$@" || status=$?
if [ "${SOAK:-}" = 1 ] && [ -s "$out/soak.csv" ]; then
	if command -v gnuplot >/dev/null; then
		gnuplot -e "csv='$out/soak.csv'; png='docs/soak.png'" chaos/soak.gp
		echo "chaos: soak chart written to docs/soak.png"
	else
		echo "chaos: gnuplot not installed; samples are in $out/soak.csv"
	fi
fi
exit $status

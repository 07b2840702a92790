#!/bin/sh
# End-to-end check of [logfile] through the real binary: a service writes its
# own file (numbered lines, reopening on SIGHUP), `supervise ctl rotate NAME`
# renames it while it writes, and every line must be in the live file or an
# archive exactly once. A second [logfile] uses copytruncate on a writer that
# cannot reopen; its loss is reported.
# Usage: scripts/logfile_e2e.sh [bin/supervise]
set -eu
BIN=$(realpath "${1:-bin/supervise}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d)
SUP=
trap '[ -n "$SUP" ] && kill $SUP 2>/dev/null; rm -rf "$T"' EXIT
N=400000
(cd "$ROOT" && go test -c -o "$T/writer" ./pkg/sink)
mkdir -p "$T/app" "$T/ct"
cat > "$T/services.conf" <<CONF
[supervise]
control = $T/sock
log_dir = $T/log

[service app]
command = $T/writer -test.run=^TestLogfileHelperProcess\$
env = SINK_LOGFILE_HELPER_PATH=$T/app/app.log
env = SINK_LOGFILE_HELPER_LINES=$N
env = SINK_LOGFILE_HELPER_SIZE=100
env = SINK_LOGFILE_HELPER_REOPEN=1
restart = never

[service ct]
command = $T/writer -test.run=^TestLogfileHelperProcess\$
env = SINK_LOGFILE_HELPER_PATH=$T/ct/ct.log
env = SINK_LOGFILE_HELPER_LINES=$N
env = SINK_LOGFILE_HELPER_SIZE=100
env = SINK_LOGFILE_HELPER_REOPEN=0
restart = never

[logfile applog]
path = $T/app/app.log
service = app
signal = HUP
rotate_size = 0
compress = gzip
keep = 100
check_every = 1s

[logfile ctlog]
path = $T/ct/ct.log
method = copytruncate
rotate_size = 0
compress = zstd
keep = 100
check_every = 1s
CONF
"$BIN" check -c "$T/services.conf" >/dev/null
"$BIN" -c "$T/services.conf" 2>"$T/supervise.err" &
SUP=$!
export SUPERVISE_SOCKET="$T/sock"
i=0
while [ ! -S "$T/sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
rot=0
while "$BIN" ctl status app | grep -Eq "starting|running" || "$BIN" ctl status ct | grep -Eq "starting|running"; do
	"$BIN" ctl rotate applog ctlog >/dev/null
	rot=$((rot+1))
	sleep 0.05
done
sleep 2.5 # two checks: the last rename archive settles and gets compressed
"$BIN" ctl shutdown >/dev/null || true
wait $SUP || true
SUP=
fail=0
for name in applog ctlog; do
	"$BIN" logs "$name" -c "$T/services.conf" > "$T/$name.all"
	# A whole line is "out NUMBER 100 letters": 99 bytes and its newline.
	awk '$2 ~ /^[0-9]+$/ && length($0) == 99 {print $2}' "$T/$name.all" > "$T/$name.seq"
	torn=$(awk '!($2 ~ /^[0-9]+$/ && length($0) == 99)' "$T/$name.all" | wc -l)
	lines=$(wc -l < "$T/$name.seq")
	uniq=$(sort -u "$T/$name.seq" | wc -l)
	dup=$((lines - uniq))
	lost=$((N - uniq))
	files=$(ls "$T/${name%log}" | wc -l)
	echo "$name: $rot ctl rotate calls, $files files, $uniq of $N lines, $dup duplicated, $lost lost, $torn torn"
	[ "$dup" -eq 0 ] || fail=1
	# copytruncate loses the lines written inside its window, whole; a torn
	# one needs the writer preempted in the middle of a write for 10ms.
	[ "$name" = ctlog ] || [ "$lost" -eq 0 ] || fail=1
	[ "$name" = ctlog ] && [ "$torn" -le 1 ] || [ "$torn" -eq 0 ] || fail=1
done
grep -c ' rotated ' "$T/supervise.err" | sed 's/^/rotated events: /'
ls "$T/app" | head -5
[ $fail -eq 0 ] && echo "logfile e2e: OK" || { echo "logfile e2e: FAIL"; cat "$T/supervise.err" | tail -20; exit 1; }

#!/usr/bin/env bash
# Replays a failed TestConfigAbuse run kept under CHAOS_OUT/failed/: starts
# BIN on the run's base.conf as PID 1 and reloads the same configs in the
# same way (HUP or ctl reload), stopping at the first crash.
#   chaos/replay-reload.sh BIN KEPT_BOX_DIR ORIGINAL_BOX_DIR
set -euo pipefail
bin=$(realpath "$1"); kept=$(realpath "$2"); box=$3
[ -e "$box" ] && { echo "replay: $box exists; remove it first" >&2; exit 2; }
mkdir -p "$box/log"
cp "$kept"/config-*.conf "$kept/base.conf" "$kept/replay.txt" "$box/"
cp "$box/base.conf" "$box/services.conf"
unshare --pid --fork --mount-proc --kill-child "$bin" -c "$box/services.conf" >"$box/stdout" 2>"$box/stderr" &
uns=$!
sleep 1
pid=$(cat /proc/$uns/task/$uns/children | awk '{print $1}')
while read -r n how _; do
	kill -0 "$pid" 2>/dev/null || { echo "replay: supervise died before config-$n"; break; }
	[ "$how" = skip ] && continue
	cp "$box/config-$n.conf" "$box/services.conf"
	if [ "$how" = hup ]; then kill -HUP "$pid"; sleep 0.02
	else "$bin" ctl --socket "$box/supervise.sock" reload >/dev/null 2>&1 || true; fi
	echo "applied config-$n ($how)"
done <"$box/replay.txt"
sleep 1
kill -0 "$pid" 2>/dev/null && echo "replay: supervise alive" || { echo "replay: supervise died"; grep -A3 panic "$box/stderr" || tail -5 "$box/stderr"; }
kill "$uns" 2>/dev/null || true

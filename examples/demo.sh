#!/usr/bin/env bash
# The `make run` demo: runs supervise on examples/demo.conf for a few
# seconds with everything under ./var/, shows what it did, then stops it
# with TERM. It needs nothing but bash and coreutils.
set -uo pipefail
bin=$(realpath "${1:-bin/supervise}")
cd "$(dirname "$0")/.."
conf=examples/demo.conf
export PWD # demo.conf puts the socket and the logs under ${PWD}/var
export SUPERVISE_SOCKET="$PWD/var/supervise.sock"
secs=${DEMO_SECONDS:-12}

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf var && mkdir -p var/log
section "supervise check -c $conf"
"$bin" check -c "$conf" || exit 1

section "starting supervise (events go to var/supervise.err), running ${secs}s"
"$bin" -c "$conf" >var/supervise.out 2>var/supervise.err &
pid=$!
sleep $((secs / 2))
section "kill -USR1 $pid   (rotate every log now)"
kill -USR1 "$pid"
sleep $((secs - secs / 2))

section "supervise ctl status"
"$bin" ctl status || echo "(ctl failed: exit $?)"

section "ls -l var/log   (USR1 and rotate_size = 64K: numbered .gz archives, .1 the newest)"
ls -l var/log

section "progress log: the \\r progress bar, collapsed to one line per second and its final form"
tail -n 6 var/log/progress.log

section "cron job log (schedule = @every 5s)"
cat var/log/cleanup.log

section "supervise logs ticker -n 3   (reads the live file and every archive)"
"$bin" logs ticker -c "$conf" -n 3 || true

section "kill -TERM $pid"
kill -TERM "$pid"
wait "$pid"
code=$?

section "supervise's own events (stderr)"
cat var/supervise.err
section "supervise exited with status $code"
exit 0

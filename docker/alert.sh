#!/bin/sh
# event_command for supervise (SPEC §2, [supervise] event_command).
# supervise runs it without a shell for every event, with
#   SUPERVISE_EVENT    started exited backoff fatal rotated disk_warn disk_low dropped
#   SUPERVISE_SERVICE  the service or log concerned (may be empty for disk events)
#   SUPERVISE_DETAIL   free text (exit code, path, bytes...)
# in its environment. It must be quick and must never fail loudly: supervise
# does not wait on it for anything important, but a hung alert is a leaked
# process.
#
# What it does:
#   - ALERT_LOG set: append one line per event to that file (all events);
#   - ALERT_WEBHOOK set: POST a JSON message for the events worth waking
#     someone for (fatal, backoff, disk_low, disk_warn, dropped), with curl,
#     bounded to 10 seconds;
#   - always: one line on stderr for those same events, so they show up in
#     `docker logs` next to supervise's own event lines.
set -u

event=${SUPERVISE_EVENT:-unknown}
service=${SUPERVISE_SERVICE:-}
detail=${SUPERVISE_DETAIL:-}
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)

if [ -n "${ALERT_LOG:-}" ]; then
	printf '%s event=%s service=%s detail=%s\n' "$now" "$event" "$service" "$detail" >>"$ALERT_LOG"
fi

case $event in
fatal | backoff | disk_low | disk_warn | dropped) ;;
*) exit 0 ;;
esac

host=$(hostname 2>/dev/null || echo unknown)
echo "alert: $host: $event ${service:+$service: }$detail" >&2

if [ -n "${ALERT_WEBHOOK:-}" ] && command -v curl >/dev/null 2>&1; then
	# JSON string escaping for the only characters that can break it here.
	esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n\r\t'; }
	body=$(printf '{"text":"supervise on %s: %s %s %s","event":"%s","service":"%s","detail":"%s","time":"%s"}' \
		"$(esc "$host")" "$(esc "$event")" "$(esc "$service")" "$(esc "$detail")" \
		"$(esc "$event")" "$(esc "$service")" "$(esc "$detail")" "$now")
	curl -fsS --max-time 10 -H 'Content-Type: application/json' -d "$body" "$ALERT_WEBHOOK" >/dev/null ||
		echo "alert: webhook failed for $event" >&2
fi
exit 0

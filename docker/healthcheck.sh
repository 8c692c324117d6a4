#!/bin/bash
# Container health check: exit 0 when the relay's admin server answers GET /health/ready with
# 200 (database reachable, SMTP listener bound, disk above data.min-free-space), 1 otherwise.
# Uses only bash (/dev/tcp), so it costs no second JVM inside the memory limit.
port="${RELAY_ADMIN_PORT:-8025}"
host="${RELAY_ADMIN_BIND:-127.0.0.1}"
case "$host" in 0.0.0.0|::|"[::]"|"") host=127.0.0.1 ;; esac
exec 3<>"/dev/tcp/$host/$port" || { echo "no connection to the admin server on $host:$port"; exit 1; }
printf 'GET /health/ready HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
if ! IFS= read -r -t 4 status <&3; then
    echo "no answer from $host:$port"
    exit 1
fi
body=$(timeout 4 cat <&3 | tr -d '\r' | sed -n '/^$/,$p' | tr -d '\n')
exec 3<&-
case "$status" in
    "HTTP/1."?" 200"*) echo "ready ${body}"; exit 0 ;;
    *) echo "not ready: ${status%$'\r'} ${body}"; exit 1 ;;
esac

#!/bin/bash
# Container health check: exit 0 when the relay's SMTP listener answers with a 220 greeting,
# 1 otherwise. Uses only bash (/dev/tcp), so it costs no second JVM inside the memory limit.
# Replaced by GET /health/ready on the admin port once the admin HTTP server exists.
port="${RELAY_SMTP_PORT:-2525}"
host="${RELAY_SMTP_BIND:-127.0.0.1}"
case "$host" in 0.0.0.0|::|"[::]"|"") host=127.0.0.1 ;; esac
exec 3<>"/dev/tcp/$host/$port" || { echo "no connection to $host:$port"; exit 1; }
if ! IFS= read -r -t 4 greeting <&3; then
    echo "no greeting from $host:$port"
    exit 1
fi
printf 'QUIT\r\n' >&3
exec 3<&-
case "$greeting" in
    "220 "*|"220-"*) echo "ok: ${greeting%$'\r'}"; exit 0 ;;
    *) echo "unexpected greeting: ${greeting%$'\r'}"; exit 1 ;;
esac

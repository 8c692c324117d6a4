#!/bin/bash
# Builds the relay's image from docker/Dockerfile with podman (no Docker engine needed), runs it
# and checks it: SMTP greeting, a message queued (250 reply, log line, bytes in the data dir),
# the image's health check, and a non-root process. Prints PASS/FAIL per check; exits 1 if any
# check fails. Not part of .ci/run.
#
#   sudo docker/test-image.sh            # on a fresh Debian 12 machine, after the Maven build
#
# As /work/shared/reference/containers.md describes: podman with runc, default ulimits in
# /etc/containers/containers.conf, and a JRE base image made from Debian packages with
# debootstrap and imported as localhost/debian-jre:17 (made once, then reused), since nothing
# can be pulled from a registry here. Environment: RELAY_TEST_PORT (default 25925),
# RELAY_TEST_BASE (default localhost/debian-jre:17), RELAY_TEST_IMAGE (default localhost/relay:test).
set -euo pipefail

cd "$(dirname "$0")/.."
start=$SECONDS
port="${RELAY_TEST_PORT:-25925}"
base="${RELAY_TEST_BASE:-localhost/debian-jre:17}"
image="${RELAY_TEST_IMAGE:-localhost/relay:test}"
name="relay-test-$$"
failures=0

log() { printf '== %s\n' "$*"; }
pass() { printf 'PASS %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; failures=$((failures + 1)); }
die() { printf 'FAIL %s\n' "$*"; exit 1; }

# --- tools -------------------------------------------------------------------------------------
missing=()
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || die "missing ${missing[*]}: run as root, or apt-get install podman runc debootstrap"
    log "installing podman runc debootstrap"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi
if [[ $(id -u) == 0 ]] && ! grep -qs default_ulimits /etc/containers/containers.conf; then
    # podman's default ulimits exceed the sandbox's hard limits.
    log "writing default_ulimits to /etc/containers/containers.conf"
    mkdir -p /etc/containers
    if [[ -s /etc/containers/containers.conf ]]; then
        cp /etc/containers/containers.conf /etc/containers/containers.conf.orig
    fi
    cat >/etc/containers/containers.conf <<'CONF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
CONF
fi
# crun refuses cgroups in hybrid mode; runc does not.
podman=(podman --runtime runc)

[[ -f relay-app/target/relay.jar ]] || die "relay-app/target/relay.jar missing: run mvn -q -DskipTests package first"

# --- base image ----------------------------------------------------------------------------------
if "${podman[@]}" image exists "$base"; then
    log "base image $base exists: reused"
elif [[ $base == localhost/debian-jre:17 ]]; then
    [[ $(id -u) == 0 ]] || die "making $base needs root (debootstrap)"
    log "making $base with debootstrap (about a minute)"
    rootfs=$(mktemp -d /var/tmp/rootfs-jre.XXXXXX)
    debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$rootfs" >/dev/null
    chroot "$rootfs" apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | "${podman[@]}" import --quiet - "$base" >/dev/null
    rm -rf "$rootfs"
else
    die "base image $base not found"
fi

# --- build ------------------------------------------------------------------------------------------
log "building $image from docker/Dockerfile (BASE_IMAGE=$base)"
build_start=$SECONDS
# --format docker: the OCI image format has no HEALTHCHECK.
if "${podman[@]}" build --format docker --pull=never --build-arg "BASE_IMAGE=$base" \
        -f docker/Dockerfile -t "$image" . >/tmp/relay-image-build.log 2>&1; then
    pass "image builds ($((SECONDS - build_start)) s)"
else
    tail -20 /tmp/relay-image-build.log
    die "image build (log: /tmp/relay-image-build.log)"
fi

# --- run ----------------------------------------------------------------------------------------------
data=$(mktemp -d /var/tmp/relay-test-data.XXXXXX)
chown 10001:10001 "$data" 2>/dev/null || chmod 777 "$data"
cleanup() {
    "${podman[@]}" rm -f -t 5 "$name" >/dev/null 2>&1 || true
    rm -rf "$data"
}
trap cleanup EXIT

log "running $name on port $port (--network host, data in $data)"
# Without systemd podman cannot start its health check timer and says so on stderr (kept in
# $errors); `podman healthcheck run` below runs the image's check on demand all the same.
errors=/tmp/relay-image-test.err
"${podman[@]}" run -d --name "$name" --network host \
    -e RELAY_SMTP_PORT="$port" \
    -e RELAY_ADMIN_PORT="$((port + 1))" \
    -e RELAY_DELIVERY_ENABLED=false \
    -v "$data:/data" \
    "$image" >/dev/null 2>"$errors" || { cat "$errors"; die "podman run"; }

greeting=""
for _ in $(seq 1 60); do
    if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
        IFS= read -r -t 5 greeting <&3 || true
        break
    fi
    if [[ $("${podman[@]}" inspect -f '{{.State.Running}}' "$name" 2>/dev/null) != true ]]; then
        break
    fi
    sleep 1
done
greeting="${greeting%$'\r'}"
if [[ $greeting == 220* ]]; then
    pass "SMTP greeting on port $port: $greeting"
else
    fail "SMTP greeting on port $port: '${greeting}'"
    "${podman[@]}" logs "$name" 2>&1 | tail -20
    echo "$failures check(s) failed"
    exit 1
fi

# --- submit one message -------------------------------------------------------------------------------
# reply: reads one SMTP reply (all lines of a multi-line one) into $reply, the last line.
reply() {
    local line
    while IFS= read -r -t 10 line <&3; do
        line="${line%$'\r'}"
        [[ ${line:3:1} == "-" ]] && continue
        reply="$line"
        return 0
    done
    reply="(no reply)"
    return 1
}
send() { printf '%s\r\n' "$1" >&3; reply || true; }

token="relay-image-test-$$-$RANDOM"
send "EHLO test.example"
send "MAIL FROM:<sender@test.example>"
send "RCPT TO:<someone@example.com>"
rcpt="$reply"
send "DATA"
printf '%s\r\n' "From: sender@test.example" "To: someone@example.com" "Subject: $token" "" \
    "The body of $token." "." >&3
reply || true
queued="$reply"
send "QUIT"
exec 3<&-

if [[ $queued =~ ^250\ .*queued\ as\ ([^ ]+) ]]; then
    id="${BASH_REMATCH[1]}"
    pass "message queued: $queued"
else
    id=""
    fail "message queued: RCPT '$rcpt', DATA '$queued'"
fi
if [[ -n $id ]] && "${podman[@]}" logs "$name" 2>&1 | grep -q "accepted id=$id "; then
    pass "log line 'accepted id=$id'"
else
    fail "log line 'accepted id=$id'"
fi
if grep -aqr "$token" "$data"; then
    pass "message in the data volume: $(cd "$data" && ls | tr '\n' ' ')"
else
    fail "message in the data volume ($(ls "$data" | tr '\n' ' '))"
fi

# --- health check and user -----------------------------------------------------------------------------
if out=$("${podman[@]}" healthcheck run "$name" 2>&1); then
    pass "health check (podman healthcheck run): ${out:-healthy}"
else
    fail "health check (podman healthcheck run): $out"
fi
if out=$("${podman[@]}" exec -e RELAY_ADMIN_PORT=1 "$name" bash /opt/relay/healthcheck.sh 2>&1); then
    fail "health check fails where nothing listens (port 1): $out"
else
    pass "health check fails where nothing listens (port 1): ${out##*$'\n'}"
fi
uid=$("${podman[@]}" exec "$name" id -u 2>&1 || true)
pid1_uid=$("${podman[@]}" exec "$name" awk '/^Uid:/ {print $2}' /proc/1/status 2>&1 || true)
owner=$(stat -c %u "$data"/relay.mv.db 2>/dev/null || echo none)
if [[ $uid =~ ^[0-9]+$ && $uid != 0 && $pid1_uid == "$uid" && $owner != 0 ]]; then
    pass "non-root: id -u = $uid, the java process (pid 1) runs as uid $pid1_uid, data files owned by uid $owner"
else
    fail "non-root: id -u = '$uid', pid 1 uid '$pid1_uid', data owner '$owner'"
fi

# --- stop ---------------------------------------------------------------------------------------------------
"${podman[@]}" stop -t 30 "$name" >/dev/null 2>>"$errors"
if "${podman[@]}" logs "$name" 2>&1 | grep -q "relay stopped"; then
    pass "stops cleanly on SIGTERM"
else
    fail "stops cleanly on SIGTERM"
fi

echo "took $((SECONDS - start)) s"
if ((failures)); then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"

#!/usr/bin/env bash
# bench/e2e-postfix.sh -- end to end: the relay delivers over STARTTLS to a real Postfix MX.
#
# Everything runs on loopback, started and stopped by this script:
#   DNS     dnsmasq on 127.0.0.1:5390, zone example.test: MX 10 mx1.example.test,
#           mx1 A 127.0.0.3, mx2 A 127.0.0.4 (nothing else; --no-resolv, --no-hosts)
#   MX      Postfix instance /etc/postfix-bench-mx (queue /var/spool/postfix-bench-mx):
#             127.0.0.3:25  "mx1.example.test", STARTTLS (may) with a certificate for mx1.example.test
#             127.0.0.4:25  "mx2.example.test", STARTTLS with a certificate for wrong.example.test
#           relay_domains example.test other.test; every message goes before-queue
#           (smtpd_proxy_filter) to smtp-sink, so the MX queues nothing.
#   sink    smtp-sink on 127.0.0.1:2537, one dump file per message (bench/out/e2e/sink/)
#   relay   java -Xmx256m -jar relay-app/target/relay.jar run on 127.0.0.1:2535, dns.servers
#           127.0.0.1:5390, delivery.extra-ca-files = the throwaway CA, one route only:
#           other.test -> mx2.example.test:25 tls: verified (the negative case). example.test has
#           no route, so the relay looks up its MX.
#   CA      a throwaway CA made with openssl (bench/out/e2e/pki/), certificates for
#           mx1.example.test and wrong.example.test.
#
# Then it submits two messages to the relay (swaks), each with a unique Subject:
#   positive  to rcpt@example.test: MX lookup, STARTTLS, verified certificate, must reach the sink;
#   negative  to rcpt@other.test: the route requires a verified certificate, mx2 presents one for
#             wrong.example.test, so the relay must defer with 4.7.5 and nothing may reach the sink.
# It prints PASS/FAIL per check and the evidence: the relay's attempt and delivery lines, the MX's
# Postfix log lines for the relay's connection, and the Received header Postfix added.
#
# Usage (as root, Debian 12):  bench/e2e-postfix.sh [options]
#   -o DIR     output dir for logs, configs, PKI, sink dumps   (default bench/out/e2e)
#   -t SECS    how long to wait for the delivery                 (default 60)
#   -k         keep the output dir's data (relay queue, sink dumps) after the run
#   -h         help
# Environment:
#   BENCH_JAVA_OPTS="..."   JVM options for the relay (default -Xmx256m)
#   RELAY_* variables are removed from the relay's environment (they would override the config).
#
# Exit status: 0 = every check passed, 1 = a check failed, 2 = usage/setup error.
set -euo pipefail

# ================================================================ adjust here
RELAY_BIND=127.0.0.1
RELAY_PORT=2535
RELAY_HOSTNAME=relay-e2e.bench.test     # the relay's EHLO name (found again in the MX's log)
read -r -a RELAY_JAVA_OPTS <<<"${BENCH_JAVA_OPTS:--Xmx256m}"
RELAY_READY_TIMEOUT=90
DNS_ADDR=127.0.0.1
DNS_PORT=5390
MX1_ADDR=127.0.0.3                      # mx1.example.test, good certificate
MX2_ADDR=127.0.0.4                      # mx2.example.test, certificate for wrong.example.test
SINK_ADDR=127.0.0.1
SINK_PORT=2537
PF_NAME=postfix-bench-mx
PF_CONF=/etc/$PF_NAME
PF_QUEUE=/var/spool/$PF_NAME
PF_DATA=/var/lib/$PF_NAME
PF_LOG=/var/log/$PF_NAME.log
SENDER=sender@client.test
RCPT_OK=rcpt@example.test
RCPT_NEG=rcpt@other.test
# ================================================================

WAIT=60; KEEP=0
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/out/e2e
JAR=$REPO/relay-app/target/relay.jar

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "e2e-postfix.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -o) OUT=$2; shift 2;; -t) WAIT=$2; shift 2;; -k) KEEP=1; shift;;
    -h|--help) usage; exit 0;;
    *) usage >&2; die "unknown argument: $1";;
  esac
done
[[ $WAIT =~ ^[0-9]+$ ]] || die "-t must be a number"
[ "$(id -u)" = 0 ] || die "run as root (Postfix on port 25, ip addr)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for v in $(compgen -e | grep '^RELAY_' || true); do echo "e2e-postfix.sh: ignoring $v from the environment" >&2; unset "$v"; done

log() { echo "$@"; }
# a TCP listener on ADDR:PORT (or the wildcard address)? Asks ss, so no probe connection clutters the MX log
listening() { ss -ltnH "sport = :$2" 2>/dev/null | awk -v a="$1:$2" -v m="[::ffff:$1]:$2" '$4 == a || $4 == m || $4 ~ /^(0\.0\.0\.0|\*|\[::\]):/ {f=1} END{exit !f}'; }
pf() { script -qec "postfix -c $PF_CONF $*" /dev/null; }   # script(1): fatals need a tty (no syslog)

# ---------------------------------------------------------------- packages
need=(); pkgs=()
want() { command -v "$1" >/dev/null || { need+=("$1"); pkgs+=("$2"); }; }
want postfix postfix; want smtp-sink postfix; want dnsmasq dnsmasq-base; want openssl openssl
want swaks swaks; want ip iproute2; want script bsdutils; want dig dnsutils; want java default-jre-headless
if [ ${#need[@]} -gt 0 ]; then
  log "== installing packages (missing: ${need[*]})"
  apt-get update -q
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi

# ---------------------------------------------------------------- cleanup (only what we started)
PIDS=(); PF_STARTED=0; RELAY_PID=""
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
stop_pid() {  # $1 pid, $2 grace seconds
  local p=$1 t=${2:-10}
  if ! alive "$p"; then [ -z "$p" ] || wait "$p" 2>/dev/null || true; return 0; fi
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq $((t * 10))); do alive "$p" || break; sleep 0.1; done
  if alive "$p"; then echo "   !! pid $p ignored SIGTERM for ${t}s, sending SIGKILL" >&2; kill -KILL "$p" 2>/dev/null || true; fi
  wait "$p" 2>/dev/null || true
}
cleanup() {
  local rc=$? p
  set +e
  [ -z "$RELAY_PID" ] || stop_pid "$RELAY_PID" 30
  if [ "$PF_STARTED" = 1 ]; then postfix -c "$PF_CONF" stop >/dev/null 2>&1; fi
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  rm -f "$OUT"/*.pid
  if [ "$KEEP" = 0 ]; then rm -rf "$OUT/relay-data"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an interrupted earlier run: our pid files, checked against the command line.
for f in "$OUT"/*.pid; do
  [ -s "$f" ] || continue
  old=$(cat "$f")
  if alive "$old" && tr '\0' ' ' <"/proc/$old/cmdline" | grep -q -- "$OUT/"; then
    log "== stopping $(basename "$f" .pid) left over from an earlier run (pid $old)"; stop_pid "$old" 20
  fi
  rm -f "$f"
done
[ -f "$PF_CONF/main.cf" ] && postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true

for hp in "$RELAY_BIND:$RELAY_PORT" "$MX1_ADDR:25" "$MX2_ADDR:25" "$SINK_ADDR:$SINK_PORT" "$DNS_ADDR:$DNS_PORT"; do
  listening "${hp%:*}" "${hp##*:}" && die "something already listens on $hp: $(ss -ltnpH "sport = :${hp##*:}" | head -1)"
done

if [ ! -f "$JAR" ]; then
  log "== $JAR missing: building (mvn -q -DskipTests package)"
  (cd "$REPO" && mvn -q -DskipTests package) || die "build failed"
fi

STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "== e2e-postfix $STAMP: relay $JAR ($(date -u -r "$JAR" +%Y-%m-%dT%H:%MZ), repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo n/a)), postfix $(postconf -d -h mail_version), output in $OUT"

# ---------------------------------------------------------------- addresses
LO=$(ip -4 -o addr show dev lo)
for a in "$MX1_ADDR" "$MX2_ADDR"; do
  case "$LO " in *" $a/"*) ;; *) log "== adding $a/32 to lo (Postfix binds only configured addresses; left in place)"; ip addr add "$a/32" dev lo;; esac
done

# ---------------------------------------------------------------- throwaway CA
PKI=$OUT/pki
rm -rf "$PKI"; mkdir -p "$PKI"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=relay e2e throwaway CA" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() {  # issue NAME: key + certificate with CN and SAN = NAME, signed by the CA
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' "$1" >"$PKI/$1.ext"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
    -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" 2>/dev/null
}
issue mx1.example.test
issue wrong.example.test
chmod 644 "$PKI"/*.crt; chmod 600 "$PKI"/*.key
log "   CA: $(openssl x509 -in "$PKI/ca.crt" -noout -subject); certificates for mx1.example.test and wrong.example.test"

# ---------------------------------------------------------------- DNS (dnsmasq)
DNS_LOG=$OUT/dnsmasq.log
: >"$DNS_LOG"
dnsmasq --keep-in-foreground --port="$DNS_PORT" --listen-address="$DNS_ADDR" --bind-interfaces \
  --no-resolv --no-hosts --user=root --pid-file= \
  --local=/example.test/ --local=/other.test/ \
  --mx-host=example.test,mx1.example.test,10 \
  --host-record=mx1.example.test,"$MX1_ADDR" --host-record=mx2.example.test,"$MX2_ADDR" \
  --log-queries --log-facility="$DNS_LOG" &
DNS_PID=$!; PIDS+=("$DNS_PID"); echo "$DNS_PID" >"$OUT/dnsmasq.pid"
for _ in $(seq 50); do [ -n "$(dig +short +time=1 +tries=1 @"$DNS_ADDR" -p "$DNS_PORT" example.test MX 2>/dev/null)" ] && break; sleep 0.1; done
log "   dnsmasq pid $DNS_PID on $DNS_ADDR:$DNS_PORT: example.test MX -> $(dig +short @"$DNS_ADDR" -p "$DNS_PORT" example.test MX | tr '\n' ' ')| mx1 A $(dig +short @"$DNS_ADDR" -p "$DNS_PORT" mx1.example.test A) | mx2 A $(dig +short @"$DNS_ADDR" -p "$DNS_PORT" mx2.example.test A)"

# ---------------------------------------------------------------- sink behind the MX
SINK_DIR=$OUT/sink
rm -rf "$SINK_DIR"; mkdir -p "$SINK_DIR"; chown nobody: "$SINK_DIR"   # smtp-sink -u nobody writes the dumps
smtp-sink -u nobody -4 -h sink.example.test -d "$SINK_DIR/%Y%m%d%H%M%S." "$SINK_ADDR:$SINK_PORT" 256 >"$OUT/smtp-sink.out" 2>&1 &
SINK_PID=$!; PIDS+=("$SINK_PID"); echo "$SINK_PID" >"$OUT/smtp-sink.pid"
for _ in $(seq 50); do listening "$SINK_ADDR" "$SINK_PORT" && break; sleep 0.1; done
listening "$SINK_ADDR" "$SINK_PORT" || die "smtp-sink did not start: $(cat "$OUT/smtp-sink.out")"
log "   smtp-sink pid $SINK_PID on $SINK_ADDR:$SINK_PORT, dumps to $SINK_DIR"

# ---------------------------------------------------------------- Postfix MX instance
mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"; chown postfix:postfix "$PF_DATA"
mcf=/usr/share/postfix/master.cf.dist; [ -f "$mcf" ] || mcf=/etc/postfix/master.cf
cp "$mcf" "$PF_CONF/master.cf"
cat >"$PF_CONF/main.cf" <<EOF
# Postfix MX for bench/e2e-postfix.sh (generated; rewritten on every run)
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
multi_instance_name = $PF_NAME
myhostname = mx1.example.test
mydestination =
local_recipient_maps =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
inet_interfaces = $MX1_ADDR, $MX2_ADDR
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = example.test, other.test
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
smtpd_tls_security_level = may
smtpd_tls_chain_files = $PKI/mx1.example.test.key, $PKI/mx1.example.test.crt
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
# before-queue: smtpd hands each message to smtp-sink and answers with its reply; nothing is queued
smtpd_proxy_filter = $SINK_ADDR:$SINK_PORT
maillog_file = $PF_LOG
biff = no
EOF
postconf -c "$PF_CONF" -MX smtp/inet
postconf -c "$PF_CONF" -M "$MX1_ADDR:smtp/inet=$MX1_ADDR:smtp inet n - n - - smtpd"
postconf -c "$PF_CONF" -M "$MX2_ADDR:smtp/inet=$MX2_ADDR:smtp inet n - n - - smtpd -o myhostname=mx2.example.test -o smtpd_tls_chain_files=$PKI/wrong.example.test.key,$PKI/wrong.example.test.crt"
postconf -c "$PF_CONF" -F '*/*/chroot = n'     # no init script to populate a chroot here
: >"$PF_LOG"
pf check >/dev/null || die "postfix -c $PF_CONF check failed"
pf start >/dev/null || { tail -5 "$PF_LOG" >&2; die "postfix -c $PF_CONF start failed"; }
PF_STARTED=1
for a in "$MX1_ADDR" "$MX2_ADDR"; do
  for _ in $(seq 100); do listening "$a" 25 && break; sleep 0.1; done
  listening "$a" 25 || die "postfix not listening on $a:25 (see $PF_LOG)"
done
log "   postfix MX up: $PF_CONF on $MX1_ADDR:25 (mx1.example.test) and $MX2_ADDR:25 (cert wrong.example.test), log $PF_LOG"

# ---------------------------------------------------------------- relay
CFG=$OUT/relay.yaml
RELAY_LOG=$OUT/relay.log
DATA=$OUT/relay-data
rm -rf "$DATA"; mkdir -p "$DATA"
cat >"$CFG" <<EOF
# generated by bench/e2e-postfix.sh
hostname: $RELAY_HOSTNAME
data:
  dir: $DATA
smtp:
  bind: $RELAY_BIND
  port: $RELAY_PORT
dns:
  servers: ["$DNS_ADDR:$DNS_PORT"]
  timeout: 2s
delivery:
  extra-ca-files: ["$PKI/ca.crt"]
  # example.test has no route: the relay looks up its MX. The one route is the negative case.
  routes:
    - {domain: other.test, host: mx2.example.test, port: 25, tls: verified}
EOF
java "${RELAY_JAVA_OPTS[@]}" -jar "$JAR" run --config "$CFG" >"$RELAY_LOG" 2>&1 &
RELAY_PID=$!; echo "$RELAY_PID" >"$OUT/relay.pid"
t0=$SECONDS
until listening "$RELAY_BIND" "$RELAY_PORT"; do
  alive "$RELAY_PID" || { tail -20 "$RELAY_LOG" >&2; die "relay exited during startup (log above)"; }
  [ $((SECONDS - t0)) -lt "$RELAY_READY_TIMEOUT" ] || { tail -20 "$RELAY_LOG" >&2; die "relay not listening after ${RELAY_READY_TIMEOUT}s"; }
  sleep 0.2
done
log "   relay up: pid $RELAY_PID on $RELAY_BIND:$RELAY_PORT ($((SECONDS - t0)) s), config $CFG, log $RELAY_LOG"

# ---------------------------------------------------------------- submit
TAG=$(date -u +%Y%m%dT%H%M%S)-$$-$RANDOM
SUBJ_OK="relay e2e positive $TAG"
SUBJ_NEG="relay e2e negative $TAG"
submit() {  # submit RCPT SUBJECT OUTFILE -> prints the queue id (empty if refused)
  swaks --server "$RELAY_BIND" --port "$RELAY_PORT" --helo client.test --from "$SENDER" --to "$1" \
    --header "Subject: $2" --body "end-to-end check $TAG" >"$3" 2>&1 || true
  sed -n 's/^<[-~] *250 .*queued as \([^ ]*\).*/\1/p' "$3" | tail -1
}
log "-- submitting to the relay ($RELAY_BIND:$RELAY_PORT): Subject \"$SUBJ_OK\" to <$RCPT_OK>, \"$SUBJ_NEG\" to <$RCPT_NEG>"
sleep 0.5; DNS_MARK=$(wc -l <"$DNS_LOG")   # dnsmasq lines before this are the script's own dig checks
ID_OK=$(submit "$RCPT_OK" "$SUBJ_OK" "$OUT/swaks-positive.txt")
ID_NEG=$(submit "$RCPT_NEG" "$SUBJ_NEG" "$OUT/swaks-negative.txt")
log "   queue ids: positive ${ID_OK:-none} (swaks: $OUT/swaks-positive.txt), negative ${ID_NEG:-none}"

# ---------------------------------------------------------------- wait
sink_file() { grep -lF "Subject: $1" "$SINK_DIR"/* 2>/dev/null | head -1 || true; }
attempt_line() { [ -n "$1" ] && grep -F "attempt id=$1 " "$RELAY_LOG" | tail -1 || true; }
delivery_line() { [ -n "$1" ] && grep -F "delivery id=$1 " "$RELAY_LOG" | tail -1 || true; }
t0=$SECONDS; DUMP=""; NEG_ATTEMPT=""
while [ $((SECONDS - t0)) -lt "$WAIT" ]; do
  [ -n "$DUMP" ] || DUMP=$(sink_file "$SUBJ_OK")
  [ -n "$NEG_ATTEMPT" ] || NEG_ATTEMPT=$(attempt_line "$ID_NEG")
  if [ -n "$DUMP" ] && [ -n "$NEG_ATTEMPT" ]; then break; fi
  sleep 0.2
done
log "   waited $((SECONDS - t0)) s"
sleep 2   # let late log lines and any (wrong) late arrival land before judging the negative case
NEG_DUMP=$(sink_file "$SUBJ_NEG")
OK_ATTEMPT=$(attempt_line "$ID_OK"); OK_DELIVERY=$(delivery_line "$ID_OK")
NEG_ATTEMPT=$(attempt_line "$ID_NEG"); NEG_DELIVERY=$(delivery_line "$ID_NEG")

# ---------------------------------------------------------------- checks
FAILS=0
check() {  # check NAME 'SHELL CONDITION' (evaluated here)
  if eval "$2"; then echo "PASS  $1"; else echo "FAIL  $1"; FAILS=$((FAILS + 1)); fi
}
has() { [ -n "$1" ] && grep -qE -- "$2" <<<"$1"; }
# The MX's smtpd process that served the relay: the proxy-accept line with the relay's HELO name.
MX_PID=$(grep -F "helo=<$RELAY_HOSTNAME>" "$PF_LOG" | grep -F 'proxy-accept' | tail -1 | sed -n 's/.*smtpd\[\([0-9]*\)\].*/\1/p')
MX_LINES=""; [ -z "$MX_PID" ] || MX_LINES=$(grep -F "smtpd[$MX_PID]:" "$PF_LOG" || true)
MX2_LINES=$(grep -E "TLS connection established from|connect from|lost connection|disconnect from" "$PF_LOG" | grep -vF "smtpd[${MX_PID:-x}]:" || true)
RECEIVED=""
# the Received field Postfix (by mx1.example.test) added; smtp-sink puts its own above it
[ -z "$DUMP" ] || RECEIVED=$(awk '/^[^ \t]/{ if (f ~ /by mx1\.example\.test/) {print f; exit}; f="" } /^Received: /{f=$0; next} f!="" && /^[ \t]/{f=f "\n" $0}' "$DUMP")
ANY_NEG_AT_MX=$(grep -F "to=<$RCPT_NEG>" "$PF_LOG" || true)
DNS_RELAY=$(tail -n +"$((DNS_MARK + 1))" "$DNS_LOG")   # the queries the relay made

echo
echo "== checks"
check "relay accepted both messages (250 with a queue id)" '[ -n "$ID_OK" ] && [ -n "$ID_NEG" ]'
check "relay looked up the MX of example.test (and mx1's address) at dnsmasq" \
  'has "$DNS_RELAY" "query\[MX\] example\.test from" && has "$DNS_RELAY" "query\[A\] mx1\.example\.test from"'
check "positive: attempt to mx1.example.test[$MX1_ADDR]:25 over TLS, verify=trusted, result ok" \
  'has "$OK_ATTEMPT" "domain=example\.test mx=mx1\.example\.test\[$MX1_ADDR\]:25 tls=TLSv1\.[23] cipher=[A-Z0-9_]+ verify=trusted .*result=\"ok\""'
check "positive: recipient state=delivered status=2.x.x" 'has "$OK_DELIVERY" "to=<$RCPT_OK> attempt=1 state=delivered status=2\."'
check "positive: the message reached the sink behind the MX" '[ -n "$DUMP" ]'
check "positive: Postfix MX logged a TLS connection from the relay (EHLO $RELAY_HOSTNAME)" \
  'has "$MX_LINES" "TLS connection established from .*: TLSv1\.[23] with cipher"'
check "positive: Received header by mx1.example.test says \"using TLSv1.x with cipher\"" \
  'has "$RECEIVED" "by mx1\.example\.test" && has "$RECEIVED" "using TLSv1\.[23] with cipher"'
check "positive: envelope at the sink is <$SENDER> -> <$RCPT_OK>" \
  '[ -n "$DUMP" ] && grep -qF "X-Mail-Args: <$SENDER>" "$DUMP" && grep -qF "X-Rcpt-Args: <$RCPT_OK>" "$DUMP"'
check "negative: attempt to mx2.example.test[$MX2_ADDR]:25 saw the wrong certificate and deferred 4.7.5" \
  'has "$NEG_ATTEMPT" "domain=other\.test mx=mx2\.example\.test\[$MX2_ADDR\]:25 tls=TLSv1\.[23] .*verify=host-mismatch .*result=\"4\.7\.5 "'
check "negative: recipient state=deferred status=4.7.5" 'has "$NEG_DELIVERY" "to=<$RCPT_NEG> attempt=1 state=deferred status=4\.7\.5"'
check "negative: nothing reached the sink (no dump with its Subject, no RCPT at the MX)" '[ -z "$NEG_DUMP" ] && [ -z "$ANY_NEG_AT_MX" ]'
ERRS=$(grep -cE ' ERROR |Exception' "$RELAY_LOG" || true)
check "relay log has no ERROR/Exception lines" '[ "$ERRS" = 0 ]'

echo
echo "== evidence"
echo "-- relay ($RELAY_LOG):"
grep -E "accepted id=($ID_OK|$ID_NEG) |attempt id=($ID_OK|$ID_NEG) |delivery id=($ID_OK|$ID_NEG) " "$RELAY_LOG" | sed 's/^/   /' || echo "   (none)"
echo "-- dnsmasq ($DNS_LOG), the relay's queries:"
grep -E "query\[|reply|config" <<<"$DNS_RELAY" | sed 's/^/   /' | head -16
echo "-- Postfix MX ($PF_LOG), smtpd[$MX_PID] = the relay's connection to mx1:"
[ -n "$MX_LINES" ] && sed 's/^/   /' <<<"$MX_LINES" || echo "   (none found)"
echo "-- Postfix MX, the other connections (the negative case: TLS, then the relay leaves without MAIL):"
[ -n "$MX2_LINES" ] && sed 's/^/   /' <<<"$MX2_LINES" || echo "   (none)"
echo "-- Received header Postfix added (in the sink dump ${DUMP:-<none>}):"
[ -n "$RECEIVED" ] && sed 's/^/   /' <<<"$RECEIVED" || echo "   (none)"
[ "$ERRS" = 0 ] || { echo "-- relay ERROR/Exception lines:"; grep -E ' ERROR |Exception' "$RELAY_LOG" | head -20 | sed 's/^/   /'; }

echo
if [ "$FAILS" = 0 ]; then echo "== e2e-postfix: PASS (all checks)"; exit 0; fi
echo "== e2e-postfix: FAIL ($FAILS check(s) failed)"; exit 1

#!/usr/bin/env bash
# bench/sts.sh -- what MTA-STS enforcement costs the relay once the policy is cached: the network
# round trips beyond the SMTP sessions, and the end-to-end rate, enforce vs no policy.
#
# One relay delivers to two domains that differ only in their MTA-STS: both have the same MX,
# mx1.example.test (a STARTTLS sink with a certificate from a throwaway CA);
#   example.test    _mta-sts TXT "v=STSv1; id=..." and a policy "mode: enforce, mx: mx1.example.test"
#                   at https://mta-sts.example.test/.well-known/mta-sts.txt
#   nopolicy.test   no _mta-sts record (NXDOMAIN): opportunistic TLS, certificate only logged
# Every DNS record has a long TTL (--ttl, default 1 day; negative answers carry the SOA, so they
# are cached as long). Checks:
#   1. no network round trip beyond SMTP: after the first message to each domain, the relay sends
#      no DNS query and fetches no policy (counted at the DNS server and the policy host, per name
#      and type); printed per message, PASS/FAIL;
#   2. rate: end-to-end msg/s to example.test (enforce) within 5 % of nopolicy.test (ratio of
#      medians >= 0.95), runs interleaved enforce/none, none/enforce, enforce/none... so that
#      machine noise and drift hit both alike; PASS/FAIL.
#
# What runs (loopback only; everything is started, and stopped at exit, by this script):
#   StsPeers    127.0.0.1:5392   java -cp relay.jar bench/StsPeers.java: authoritative DNS for
#                                "test." (UDP+TCP) and the HTTPS policy host on 127.0.0.11:8443
#                                (mta-sts.example.test, mta-sts.https-port 8443); counts queries
#                                by name and type, requests by host and path
#   TlsSink     127.0.0.10:25    java bench/TlsSink.java: STARTTLS sink, mx1.example.test
#   relay       127.0.0.1:2555   java -Xmx256m -jar relay-app/target/relay.jar run, no routes (MX
#                                lookups), the CA in delivery.extra-ca-files, mta-sts enabled
#   smtp-source                  Postfix's load generator: -s SESS sessions, one message per
#                                connection into the relay
#
# Usage (as root, Debian 12):  bench/sts.sh [options]
#   -n N       messages per timed run                         (default 5000)
#   -r RUNS    timed runs per domain                          (default 3)
#   -s SESS    concurrent smtp-source sessions                (default 20)
#   -l BYTES   message size                                   (default 10240)
#   -w N       warm-up messages per domain, not timed         (default 10000; the relay's JVM needs
#              about that many to reach steady state)
#   --new-conn a new connection (and TLS handshake) per delivery: delivery.max-idle-per-destination 0
#              (default: the relay's connection reuse)
#   --ttl SECS TTL of every DNS record and of negative answers (default 86400)
#   --no-negative-soa  NXDOMAIN/NODATA answers without the SOA (as dnsmasq gives for --local
#              names): a resolver cannot cache them (RFC 2308 §5); shows what that costs
#   -o DIR     output dir for logs, configs, summary          (default bench/out/sts)
#   -k         keep the relay data dir
#   -q SECS    before each timed run, wait up to SECS for the machine to be idle (CPU busy <= 10 %
#              over 1 s) (default 120; 0 = don't wait)
#   -e RELAY_KEY=VALUE     pass this configuration override to the relay (repeatable)
#   -h         help
# Environment:
#   BENCH_JAVA_OPTS="..."   JVM options for the relay (default -Xmx256m)
#   RELAY_* variables are removed from the relay's environment (use -e to set one on purpose).
#
# Exit status: 0 = both checks pass, 1 = a check fails, 2 = usage/setup error or a run failed.
set -euo pipefail

# ================================================================ adjust here
RELAY_BIND=127.0.0.1
RELAY_PORT=2555
RELAY_HOSTNAME=relay-bench.bench.test
read -r -a RELAY_JAVA_OPTS <<<"${BENCH_JAVA_OPTS:--Xmx256m}"
RELAY_READY_TIMEOUT=90
DNS_ADDR=127.0.0.1
DNS_PORT=5392
MX_ADDR=127.0.0.10            # TlsSink: mx1.example.test
MX_NAME=mx1.example.test
SINK_PORT=25                  # delivery.port
HTTPS_ADDR=127.0.0.11         # StsPeers: mta-sts.example.test
HTTPS_PORT=8443               # mta-sts.https-port
STS_DOMAIN=example.test
NONE_DOMAIN=nopolicy.test
POLICY_ID=20261122T120000
SENDER=sender@client.test
TLS_SINK_JAVA_OPTS=(-Xmx512m -XX:+UseParallelGC)
PEERS_JAVA_OPTS=(-Xmx128m)
# ================================================================

N=5000; RUNS=3; SESS=20; LEN=10240; WARMUP=10000; KEEP=0; QUIET=120; RELAY_ENV=(); NEWCONN=0; TTL=86400; NEGSOA=1
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/out/sts
JAR=$REPO/relay-app/target/relay.jar

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "sts.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2;; -r) RUNS=$2; shift 2;; -s) SESS=$2; shift 2;; -l) LEN=$2; shift 2;;
    -w) WARMUP=$2; shift 2;; -o) OUT=$2; shift 2;; -k) KEEP=1; shift;; -q) QUIET=$2; shift 2;;
    --new-conn) NEWCONN=1; shift;; --ttl) TTL=$2; shift 2;; --no-negative-soa) NEGSOA=0; shift;;
    -e) [[ ${2:-} =~ ^RELAY_[A-Z0-9_]+=.+$ ]] || die "-e takes RELAY_KEY=VALUE"; RELAY_ENV+=("$2"); shift 2;;
    -h|--help) usage; exit 0;;
    *) usage >&2; die "unknown argument: $1";;
  esac
done
for v in N RUNS SESS LEN WARMUP QUIET TTL; do [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"; done
[ "$N" -gt 0 ] && [ "$RUNS" -gt 0 ] && [ "$TTL" -gt 0 ] || die "-n, -r and --ttl must be > 0"
[ "$(id -u)" = 0 ] || die "run as root (the sink listens on port 25)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for v in $(compgen -e | grep '^RELAY_' || true); do echo "sts.sh: ignoring $v from the environment" >&2; unset "$v"; done
SUMMARY=$OUT/summary.txt
COUNTS=$OUT/peers.counts

# ---------------------------------------------------------------- helpers
now() { date +%s.%N; }
log() { echo "$@"; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.3f}" 'BEGIN{ if (b>0) printf f"\n", a/b; else print "n/a" }'; }
median() { [ $# -gt 0 ] || { echo n/a; return; }; printf '%s\n' "$@" | grep -v n/a | sort -g | awk '{a[NR]=$1} END{ if (!NR) {print "n/a"; exit}
  m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.0f\n", m }'; }
listening() { ss -ltnH "sport = :$2" 2>/dev/null | awk -v a="$1:$2" -v m="[::ffff:$1]:$2" '$4 == a || $4 == m || $4 ~ /^(0\.0\.0\.0|\*|\[::\]):/ {f=1} END{exit !f}'; }
wait_listening() {  # ADDR PORT PID WHAT
  for _ in $(seq 600); do listening "$1" "$2" && return 0; alive "$3" || break; sleep 0.1; done
  die "$4 is not listening on $1:$2"
}
exec {NAP_FD}<> <(:)                                          # read -t on it = sleep without a fork
nap() { read -r -t "$1" -u "$NAP_FD" || true; }
cpu_busy() {  # % of all CPUs busy over 1 s
  local a b; a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN{ split(a,x); split(b,y); for (i=2;i<=9;i++){t+=y[i]-x[i]}; id=(y[5]-x[5])+(y[6]-x[6]);
    printf "%.0f\n", (t > 0) ? 100*(t-id)/t : 0 }'; }
wait_quiet() {  # shared machine: let other people's builds finish before a timed run
  [ "$QUIET" -gt 0 ] || return 0
  local t0=$SECONDS b
  while b=$(cpu_busy); [ "$b" -gt 10 ]; do
    if [ $((SECONDS - t0)) -ge "$QUIET" ]; then echo "   (machine still ${b}% busy after ${QUIET}s; running anyway)" >&2; return 0; fi
  done
  [ $((SECONDS - t0)) -le 1 ] || echo "   (waited $((SECONDS - t0)) s for other processes to go idle)"
}
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
stop_pid() {  # $1 pid, $2 grace seconds
  local p=$1 t=${2:-15}
  if ! alive "$p"; then [ -z "$p" ] || wait "$p" 2>/dev/null || true; return 0; fi
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq $((t * 10))); do alive "$p" || break; sleep 0.1; done
  if alive "$p"; then echo "   !! pid $p ignored SIGTERM for ${t}s, sending SIGKILL" >&2; kill -KILL "$p" 2>/dev/null || true; fi
  wait "$p" 2>/dev/null || true
}
pticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12+$13+$14+$15}' || echo 0; }
sum_ticks() { local t=0 p; for p in "$@"; do [ -z "$p" ] || t=$((t + $(pticks "$p"))); done; echo "$t"; }
cpu_snap() {  # relay sink peers script+source machine-busy machine-all
  echo "$(sum_ticks "$RELAY_PID") $(sum_ticks "$SINK_PID") $(sum_ticks "$PEERS_PID") $(pticks $$)" \
    "$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat)"; }
cpu_report() {  # SNAP0 SNAP1 SECONDS -> "relay 95% sink 30% peers 0% source 20% others 3%" (% of one CPU)
  awk -v a="$1" -v b="$2" -v s="$3" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" 'BEGIN{ split(a,x); split(b,y);
    for (i=1;i<=6;i++) d[i]=y[i]-x[i]; ours=d[1]+d[2]+d[3]+d[4];
    others = (d[6] > 0) ? 100*n*(d[5]-ours)/d[6] : 0; if (others < 0) others = 0;
    f = (s > 0) ? 100/(hz*s) : 0;
    printf "relay %3.0f%% sink %3.0f%% peers %2.0f%% source %3.0f%% others %3.0f%%", d[1]*f, d[2]*f, d[3]*f, d[4]*f, others }'; }

# ---------------------------------------------------------------- packages
need=(); pkgs=()
want() { command -v "$1" >/dev/null || { need+=("$1"); pkgs+=("$2"); }; }
want smtp-source postfix; want openssl openssl; want ss iproute2; want java default-jre-headless
if [ ! -f "$JAR" ] || [ -n "$(find "$REPO"/relay-*/src/main "$REPO/conf" "$REPO/pom.xml" "$REPO"/relay-*/pom.xml -newer "$JAR" -print -quit 2>/dev/null)" ]; then
  want mvn maven; want javac default-jdk-headless
fi
if [ ${#need[@]} -gt 0 ]; then
  log "== installing packages (missing: ${need[*]})"
  apt-get update -q
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi

# ---------------------------------------------------------------- cleanup (only what we started)
RELAY_PID=""; SINK_PID=""; PEERS_PID=""; DATA_DIR=""
stop_relay() { [ -z "$RELAY_PID" ] || stop_pid "$RELAY_PID" 30; RELAY_PID=""; rm -f "$OUT/relay.pid"; }
cleanup() {
  local rc=$? p
  set +e
  stop_relay
  for p in "$SINK_PID" "$PEERS_PID"; do [ -z "$p" ] || stop_pid "$p" 5; done
  rm -f "$OUT"/*.pid
  if [ "$KEEP" = 0 ] && [ -n "$DATA_DIR" ]; then rm -rf "$DATA_DIR"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# leftovers of an interrupted earlier run: our pid files, checked against the command line
for f in "$OUT"/*.pid; do
  [ -s "$f" ] || continue
  old=$(cat "$f")
  if alive "$old" && tr '\0' ' ' <"/proc/$old/cmdline" | grep -qE -- "$OUT/|TlsSink|StsPeers"; then
    log "== stopping $(basename "$f" .pid) left over from an earlier run (pid $old)"; stop_pid "$old" 20
  fi
  rm -f "$f"
done
for hp in "$RELAY_BIND:$RELAY_PORT" "$MX_ADDR:$SINK_PORT" "$HTTPS_ADDR:$HTTPS_PORT" "$DNS_ADDR:$DNS_PORT"; do
  listening "${hp%:*}" "${hp##*:}" && die "something already listens on $hp: $(ss -ltnpH "sport = :${hp##*:}" | head -1)"
done
if [ -n "$(ss -lunH "sport = :$DNS_PORT")" ]; then die "something already uses UDP port $DNS_PORT"; fi

# ---------------------------------------------------------------- the relay jar
if [ ! -f "$JAR" ]; then
  log "== $JAR missing: building (mvn -q -DskipTests package)"
  (cd "$REPO" && mvn -q -DskipTests package) || die "build failed"
elif newer=$(find "$REPO"/relay-*/src/main "$REPO/conf" "$REPO/pom.xml" "$REPO"/relay-*/pom.xml -newer "$JAR" -print -quit 2>/dev/null) && [ -n "$newer" ]; then
  log "== $JAR is older than $newer: rebuilding (mvn -q -DskipTests package)"
  (cd "$REPO" && mvn -q -DskipTests package) || die "build failed"
fi

STAMP=$(date -u +%Y-%m-%dT%H:%MZ)
CONNMODE=$( [ "$NEWCONN" = 1 ] && echo "new connection per delivery" || echo "connection reuse (relay defaults)")
log "== MTA-STS benchmark $STAMP: $(nproc) vCPU, kernel $(uname -r), $(java -version 2>&1 | head -1)"
log "== N=$N x $LEN B, $SESS sessions into the relay (one message per connection), $RUNS runs per domain, warm-up $WARMUP per domain, relay -> MX: $CONNMODE, DNS TTL $TTL s$( [ "$NEGSOA" = 1 ] || echo ', negative answers without SOA'); output in $OUT"
log "== relay: $JAR ($(date -u -r "$JAR" +%Y-%m-%dT%H:%MZ), repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo n/a)), JVM ${RELAY_JAVA_OPTS[*]}$( [ ${#RELAY_ENV[@]} = 0 ] || echo ", overrides: ${RELAY_ENV[*]}")"
log "== machine before start: $(cpu_busy)% CPU busy, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- throwaway CA, MX and policy host certificates
PKI=$OUT/pki
rm -rf "$PKI"; mkdir -p "$PKI"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=relay sts bench throwaway CA" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
issue() {  # NAME -> $PKI/NAME.crt, $PKI/NAME.key (PKCS#8)
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$1" >"$PKI/$1.ext"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
    -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" 2>/dev/null
}
issue "$MX_NAME"; issue "mta-sts.$STS_DOMAIN"
log "   throwaway CA $PKI/ca.crt; certificates for $MX_NAME and mta-sts.$STS_DOMAIN (RSA 2048)"

# ---------------------------------------------------------------- DNS and the policy host
cat >"$OUT/zone.txt" <<EOF
; generated by bench/sts.sh; origin test., TTL $TTL (SOA and NS added by StsPeers)
$STS_DOMAIN.              MX  10 $MX_NAME.
$MX_NAME.                 A   $MX_ADDR
mta-sts.$STS_DOMAIN.      A   $HTTPS_ADDR
_mta-sts.$STS_DOMAIN.     TXT "v=STSv1; id=$POLICY_ID;"
$NONE_DOMAIN.             MX  10 $MX_NAME.
EOF
printf 'version: STSv1\nmode: enforce\nmx: %s\nmax_age: 604800\n' "$MX_NAME" >"$OUT/mta-sts.txt"
rm -f "$COUNTS"
java "${PEERS_JAVA_OPTS[@]}" -cp "$JAR" "$BENCH_DIR/StsPeers.java" "$DNS_ADDR:$DNS_PORT" "$HTTPS_ADDR:$HTTPS_PORT" \
  "$PKI/mta-sts.$STS_DOMAIN.crt" "$PKI/mta-sts.$STS_DOMAIN.key" "$COUNTS" "$TTL" "$OUT/zone.txt" "$OUT/mta-sts.txt" \
  $( [ "$NEGSOA" = 1 ] || echo no-negative-soa) >"$OUT/peers.out" 2>&1 &
PEERS_PID=$!; echo "$PEERS_PID" >"$OUT/peers.pid"
wait_listening "$HTTPS_ADDR" "$HTTPS_PORT" "$PEERS_PID" "StsPeers (HTTPS)"
wait_listening "$DNS_ADDR" "$DNS_PORT" "$PEERS_PID" "StsPeers (DNS over TCP)"
for _ in $(seq 50); do [ -f "$COUNTS" ] && break; sleep 0.1; done
[ -f "$COUNTS" ] || die "StsPeers wrote no $COUNTS"
log "   StsPeers pid $PEERS_PID: DNS $DNS_ADDR:$DNS_PORT, HTTPS $HTTPS_ADDR:$HTTPS_PORT; zone $OUT/zone.txt, policy $OUT/mta-sts.txt"

# counter snapshots: a copy of the counts file
snap() { cp "$COUNTS" "$OUT/counts.$1"; }
# delta SNAP_A SNAP_B -> "KEY DELTA" lines for the keys that changed
delta() { awk 'FILENAME==ARGV[1] { n=$NF; $NF=""; a[$0]=n; next } { n=$NF; $NF=""; d=n-a[$0]; if (d) print $0 d }' "$OUT/counts.$1" "$OUT/counts.$2"; }
# classify "KEY DELTA" lines -> "txt mx a aaaa other https" sums
classify() { awk '
  $1=="dns" { t=$3; sub(/\/tcp$/, "", t);
    if (t=="TXT" && $2 ~ /^_mta-sts\./) c[1]+=$NF; else if (t=="MX") c[2]+=$NF; else if (t=="A") c[3]+=$NF;
    else if (t=="AAAA") c[4]+=$NF; else c[5]+=$NF }
  $1=="https" && $3=="/.well-known/mta-sts.txt" { c[6]+=$NF }
  END { printf "%d %d %d %d %d %d\n", c[1], c[2], c[3], c[4], c[5], c[6] }'; }
net_short() {  # SNAP_A SNAP_B -> "dns +N https +N"
  local c; read -r -a c <<<"$(delta "$1" "$2" | classify)"
  echo "dns +$((c[0] + c[1] + c[2] + c[3] + c[4])) https +${c[5]}"; }

# ---------------------------------------------------------------- sink
sink_count() {  # the latest mesg= count of TlsSink
  local s; s=$(tail -c 120 "$SINK_OUT" 2>/dev/null) || s=""
  s=${s%$'\r'}; s=${s##*$'\r'}
  case "$s" in *mesg=*) s=${s##*mesg=}; echo "${s%% *}";; *) echo 0;; esac; }
tls_stats() { local x; x=$(tail -c 120 "$SINK_OUT" 2>/dev/null); x=${x%$'\r'}; x=${x##*$'\r'}; echo "$x"; }
SINK_OUT=$OUT/tlssink.out
java "${TLS_SINK_JAVA_OPTS[@]}" "$BENCH_DIR/TlsSink.java" server "$MX_ADDR:$SINK_PORT" "$PKI/$MX_NAME.crt" "$PKI/$MX_NAME.key" "$MX_NAME" \
  >"$SINK_OUT" 2>"$OUT/tlssink.err" &
SINK_PID=$!; echo "$SINK_PID" >"$OUT/tlssink.pid"
wait_listening "$MX_ADDR" "$SINK_PORT" "$SINK_PID" "TlsSink"
log "   TlsSink pid $SINK_PID on $MX_ADDR:$SINK_PORT (STARTTLS, $MX_NAME)"

# ---------------------------------------------------------------- relay
RELAY_CFG=$OUT/relay.yaml; RELAY_LOG=$OUT/relay.log; DATA_DIR=$OUT/relay-data
rm -rf "$DATA_DIR"; mkdir -p "$DATA_DIR"
{
  echo "# generated by bench/sts.sh"
  echo "hostname: $RELAY_HOSTNAME"
  echo "data:"; echo "  dir: $DATA_DIR"
  echo "smtp:"; echo "  bind: $RELAY_BIND"; echo "  port: $RELAY_PORT"
  echo "dns:"; echo "  servers: [\"$DNS_ADDR:$DNS_PORT\"]"; echo "  timeout: 2s"
  echo "delivery:"
  echo "  port: $SINK_PORT"
  echo "  extra-ca-files: [\"$PKI/ca.crt\"]"
  [ "$NEWCONN" = 0 ] || echo "  max-idle-per-destination: 0"
  echo "mta-sts:"; echo "  enabled: true"; echo "  https-port: $HTTPS_PORT"
} >"$RELAY_CFG"
env "${RELAY_ENV[@]}" java "${RELAY_JAVA_OPTS[@]}" -jar "$JAR" run --config "$RELAY_CFG" >"$RELAY_LOG" 2>&1 &
RELAY_PID=$!; echo "$RELAY_PID" >"$OUT/relay.pid"
t0=$SECONDS
until listening "$RELAY_BIND" "$RELAY_PORT"; do
  alive "$RELAY_PID" || { tail -20 "$RELAY_LOG" >&2; die "relay exited during startup (log above)"; }
  [ $((SECONDS - t0)) -lt "$RELAY_READY_TIMEOUT" ] || { tail -20 "$RELAY_LOG" >&2; die "relay not listening after ${RELAY_READY_TIMEOUT}s"; }
  sleep 0.2
done
log "   relay up: pid $RELAY_PID, config $RELAY_CFG ($((SECONDS - t0)) s)"
relay_count() { grep -c -- "$1" "$RELAY_LOG" 2>/dev/null || true; }

# ---------------------------------------------------------------- one timed run
# measure LABEL N RCPT -> RUN_RATE (end-to-end msg/s), RUN_INGEST, RUN_ARRIVED, RUN_SECS, RUN_CPU, RUN_OK
MAX_OTHERS=0; RUN_FAILED=0
measure() {
  local label=$1 n=$2 rcpt=$3 base cur t0 t1 tsrc="" src rc=0 last_change lastc c0 c1 stall=0 d0 d1 f0 f1
  d0=$(relay_count 'state=delivered'); f0=$(relay_count 'state=deferred\|state=bounced')
  base=$(sink_count)
  c0=$(cpu_snap); t0=$(now)
  smtp-source -4 -s "$SESS" -l "$LEN" -m "$n" -f "$SENDER" -t "$rcpt" "$RELAY_BIND:$RELAY_PORT" >"$OUT/load.out" 2>&1 &
  src=$!
  lastc=$base; last_change=$SECONDS
  while true; do
    cur=$(sink_count)
    [ "$cur" -ge $((base + n)) ] && break
    if [ -z "$tsrc" ] && ! kill -0 "$src" 2>/dev/null; then tsrc=$(now); fi
    if [ "$cur" != "$lastc" ]; then lastc=$cur; last_change=$SECONDS; fi
    if [ $((SECONDS - last_change)) -ge 60 ]; then stall=1; break; fi
    nap 0.05
  done
  t1=$(now)
  wait "$src" 2>/dev/null || rc=$?
  [ -n "$tsrc" ] || tsrc=$(now)
  c1=$(cpu_snap)
  RUN_ARRIVED=$(( $(sink_count) - base ))
  RUN_SECS=$(fsub "$t1" "$t0")
  RUN_RATE=$(div "$((RUN_ARRIVED < n ? RUN_ARRIVED : n))" "$RUN_SECS" %.0f)
  RUN_INGEST=$(div "$n" "$(fsub "$tsrc" "$t0")" %.0f)
  RUN_CPU=$(cpu_report "$c0" "$c1" "$RUN_SECS")
  # the relay's own CPU time per message: less sensitive than the rate to what else runs on the machine
  RUN_RELAY_MS=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN{ split(a,x); split(b,y); printf "%.2f", (y[1]-x[1])*1000/hz/n }')
  local o; o=$(sed -n 's/.*others *\([0-9]*\)%.*/\1/p' <<<"$RUN_CPU"); [ "${o:-0}" -le "$MAX_OTHERS" ] || MAX_OTHERS=$o
  RUN_OK=1
  [ "$rc" = 0 ] || { RUN_OK=0; echo "   !! smtp-source exit $rc: $(head -c 300 "$OUT/load.out")" >&2; }
  [ "$stall" = 0 ] || { RUN_OK=0; echo "   !! no arrival at the sink for 60 s: $RUN_ARRIVED of $n arrived" >&2; }
  for _ in $(seq 25); do d1=$(relay_count 'state=delivered'); [ $((d1 - d0)) -ge "$n" ] && break; sleep 0.2; done
  f1=$(relay_count 'state=deferred\|state=bounced')
  if [ $((d1 - d0)) != "$n" ] || [ "$f1" != "$f0" ]; then
    RUN_OK=0; echo "   !! relay log: $((d1 - d0)) state=delivered, $((f1 - f0)) deferred/bounced for $n messages" >&2
  fi
  [ "$RUN_OK" = 1 ] || RUN_FAILED=1
  printf '   %-20s %6d msgs, %6d arrived in %7.3f s = %5s msg/s e2e (load done %5s msg/s)' \
    "$label" "$n" "$RUN_ARRIVED" "$RUN_SECS" "$RUN_RATE" "$RUN_INGEST"
}

# ---------------------------------------------------------------- first messages (cold cache)
log "-- first message to each domain (cold: DNS and policy caches empty)"
snap start
measure "first $STS_DOMAIN" 1 "rcpt@$STS_DOMAIN"; echo; snap first-sts
log "     network: $(delta start first-sts | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
measure "first $NONE_DOMAIN" 1 "rcpt@$NONE_DOMAIN"; echo; snap warm
log "     network: $(delta first-sts warm | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
WARM_MSGS=0

# ---------------------------------------------------------------- warm-up (not timed)
if [ "$WARMUP" -gt 0 ]; then
  log "-- warm-up: $WARMUP messages to each domain (not timed; JIT, pools)"
  snap w0
  measure "warm-up enforce" "$WARMUP" "rcpt@$STS_DOMAIN"; snap w1; echo "  [$(net_short w0 w1)]"
  measure "warm-up none" "$WARMUP" "rcpt@$NONE_DOMAIN"; snap w2; echo "  [$(net_short w1 w2)]"
  WARM_MSGS=$((WARM_MSGS + 2 * WARMUP))
fi

# ---------------------------------------------------------------- timed runs, interleaved
log "-- timed runs: enforce ($STS_DOMAIN) and none ($NONE_DOMAIN) interleaved, in the order A B B A A B ...; [cpu: % of one CPU] [network round trips during the run]"
ER=(); NR=(); EC=(); NC=(); declare -A DOM_MSGS=([enforce]=0 [none]=0)
snap t0; : >"$OUT/counts.enforce.delta"; : >"$OUT/counts.none.delta"
for i in $(seq "$RUNS"); do
  # A B, B A, A B, ...: a drift (JIT, page cache, other load) that grows through the runs favours
  # neither side, as it would the second of each pair with A B, A B
  if [ $((i % 2)) = 1 ]; then order="enforce none"; else order="none enforce"; fi
  for kind in $order; do
    if [ "$kind" = enforce ]; then d=$STS_DOMAIN; else d=$NONE_DOMAIN; fi
    sync; wait_quiet
    snap r0
    measure "run $i $kind" "$N" "rcpt@$d"
    snap r1
    echo "  [cpu: $RUN_CPU; relay $RUN_RELAY_MS ms/msg] [$(net_short r0 r1)]"
    delta r0 r1 >>"$OUT/counts.$kind.delta"
    if [ "$kind" = enforce ]; then ER+=("$RUN_RATE"); EC+=("$RUN_RELAY_MS"); else NR+=("$RUN_RATE"); NC+=("$RUN_RELAY_MS"); fi
    DOM_MSGS[$kind]=$((DOM_MSGS[$kind] + N)); WARM_MSGS=$((WARM_MSGS + N))
  done
done
snap end

# ---------------------------------------------------------------- results
E_MED=$(median "${ER[@]}"); N_MED=$(median "${NR[@]}")
median2() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{ m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f\n", m }'; }
EC_MED=$(median2 "${EC[@]}"); NC_MED=$(median2 "${NC[@]}")
RATIO=$(div "$E_MED" "$N_MED" %.3f)
RATE_OK=$(awk -v r="$RATIO" 'BEGIN{ print (r != "n/a" && r >= 0.95) ? 1 : 0 }')
read -r -a W <<<"$(delta warm end | classify)"        # everything after the first message per domain
read -r -a WE <<<"$(classify <"$OUT/counts.enforce.delta")"
read -r -a WN <<<"$(classify <"$OUT/counts.none.delta")"
per() { div "$1" "$2" %.4f; }
W_DNS=$((W[0] + W[1] + W[2] + W[3] + W[4]))
NET_OK=$( [ "$W_DNS" = 0 ] && [ "${W[5]}" = 0 ] && echo 1 || echo 0)
ATT_E=$(grep -c "domain=$STS_DOMAIN .*policy=mta-sts enforce" "$RELAY_LOG" || true)
ATT_N=$(grep -c "domain=$NONE_DOMAIN .*policy=" "$RELAY_LOG" || true)
POL_N=$(grep -m1 -o "domain=$NONE_DOMAIN .*policy=[a-z -]* rcpts" "$RELAY_LOG" | sed 's/.*policy=\(.*\) rcpts/\1/' || true)
ERRS=$(grep -cE ' ERROR |Exception' "$RELAY_LOG" || true)
{
  echo "== summary $STAMP  N=$N x $LEN B, $SESS sessions, $RUNS runs per domain (interleaved), warm-up $WARMUP per domain, relay -> MX: $CONNMODE, DNS TTL $TTL s$( [ "$NEGSOA" = 1 ] || echo ', negative answers without SOA'), $(nproc) vCPU; CPU used by other processes: at most $MAX_OTHERS% of one CPU during a timed run"
  [ "$MAX_OTHERS" -le 20 ] || echo "!! other processes used up to $MAX_OTHERS% of one CPU during the runs: the rates are not reliable, run again on a quiet machine"
  echo "enforce ($STS_DOMAIN) e2e msg/s: median $E_MED (runs: ${ER[*]})"
  echo "none    ($NONE_DOMAIN) e2e msg/s: median $N_MED (runs: ${NR[*]})"
  echo "relay CPU per message: enforce median $EC_MED ms (runs: ${EC[*]}), none median $NC_MED ms (runs: ${NC[*]}), enforce/none $(div "$EC_MED" "$NC_MED" %.3f)"
  echo "ratio enforce/none: $RATIO (target >= 0.95, within 5 %): $( [ "$RATE_OK" = 1 ] && echo PASS || echo FAIL)"
  echo "network after the first message to each domain ($WARM_MSGS messages: warm-up and timed runs), per message:"
  printf '  all         DNS: TXT _mta-sts %s, MX %s, A %s, AAAA %s, other %s (total %d queries); HTTPS policy fetches %s (total %d)\n' \
    "$(per "${W[0]}" "$WARM_MSGS")" "$(per "${W[1]}" "$WARM_MSGS")" "$(per "${W[2]}" "$WARM_MSGS")" "$(per "${W[3]}" "$WARM_MSGS")" \
    "$(per "${W[4]}" "$WARM_MSGS")" "$W_DNS" "$(per "${W[5]}" "$WARM_MSGS")" "${W[5]}"
  printf '  enforce runs DNS: TXT _mta-sts %s, MX %s, A %s, AAAA %s, other %s; HTTPS fetches %s  (%d messages)\n' \
    "$(per "${WE[0]}" "${DOM_MSGS[enforce]}")" "$(per "${WE[1]}" "${DOM_MSGS[enforce]}")" "$(per "${WE[2]}" "${DOM_MSGS[enforce]}")" \
    "$(per "${WE[3]}" "${DOM_MSGS[enforce]}")" "$(per "${WE[4]}" "${DOM_MSGS[enforce]}")" "$(per "${WE[5]}" "${DOM_MSGS[enforce]}")" "${DOM_MSGS[enforce]}"
  printf '  none runs    DNS: TXT _mta-sts %s, MX %s, A %s, AAAA %s, other %s; HTTPS fetches %s  (%d messages)\n' \
    "$(per "${WN[0]}" "${DOM_MSGS[none]}")" "$(per "${WN[1]}" "${DOM_MSGS[none]}")" "$(per "${WN[2]}" "${DOM_MSGS[none]}")" \
    "$(per "${WN[3]}" "${DOM_MSGS[none]}")" "$(per "${WN[4]}" "${DOM_MSGS[none]}")" "$(per "${WN[5]}" "${DOM_MSGS[none]}")" "${DOM_MSGS[none]}"
  echo "no network round trip beyond SMTP (0 DNS queries, 0 policy fetches after the first message): $( [ "$NET_OK" = 1 ] && echo PASS || echo FAIL)"
  if [ "$NET_OK" != 1 ]; then echo "  queries after the first messages, by name and type:"; delta warm end | sed 's/^/    /'; fi
  echo "cold (first message per domain): $STS_DOMAIN $(delta start first-sts | classify | awk '{printf "TXT %d MX %d A %d AAAA %d other %d fetches %d", $1,$2,$3,$4,$5,$6}'); $NONE_DOMAIN $(delta first-sts warm | classify | awk '{printf "TXT %d MX %d A %d AAAA %d other %d fetches %d", $1,$2,$3,$4,$5,$6}')"
  echo "relay: $(relay_count 'state=delivered') delivered, $(relay_count 'state=deferred') deferred, $(relay_count 'state=bounced') bounced, $ERRS ERROR/Exception lines; attempts logged policy=mta-sts enforce to $STS_DOMAIN: $ATT_E; to $NONE_DOMAIN: $ATT_N (policy=${POL_N:-?}); reused connections: $(relay_count 'verify=reused') of $(relay_count 'attempt id=.* mx=') attempts; TlsSink $(tls_stats)"
  [ "$RUN_FAILED" = 0 ] || echo "!! at least one run failed (messages missing at the sink, deferred, or an smtp-source error; see above)"
} | tee "$SUMMARY"

[ "$RUN_FAILED" = 0 ] || exit 2
[ "$RATE_OK" = 1 ] && [ "$NET_OK" = 1 ] || exit 1
exit 0

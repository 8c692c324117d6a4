#!/usr/bin/env bash
# bench/delivery.sh -- end-to-end delivery throughput: relay vs Postfix as a relay, same machine,
# same run.
#
# smtp-source (SESS sessions, LEN-byte messages, one message per connection) submits to the relay
# under test, which stores each message durably, then delivers it to a sink; the rate is
#   end-to-end msg/s = messages / (first smtp-source connection -> last message arrived at the sink)
# Cases (-c), each measured for the relay and for Postfix doing the same job:
#   plain/new-conn      no TLS to the sink, a new connection per message
#   plain/reuse         no TLS, connections reused
#   verified/new-conn   STARTTLS with a verified certificate (mx1.example.test, throwaway CA),
#                       a new connection (and handshake) per message
#   verified/reuse      verified STARTTLS, connections (TLS sessions) reused
#   blackhole           relay only: the domain has two MX hosts of equal preference; one of them
#                       has its packets dropped (iptables DROP). Rate vs the same relay with both
#                       hosts up (new connection per message, no TLS). Target: at least half.
# Target for the first four: relay >= 2x Postfix, relay heap capped (-Xmx256m), every message
# durable before its 250 (relay: H2 + group-commit fsync; Postfix: its queue file, fsynced).
#
# What runs (loopback only; everything is started, and stopped at exit, by this script):
#   dnsmasq     127.0.0.1:5391  example.test: sink A 127.0.0.7, mx1 A 127.0.0.8;
#                               twomx.test: MX 10 mxa (127.0.0.7), MX 10 mxb (127.0.0.9); TTL 300;
#                               authoritative mode, so NXDOMAIN/NODATA answers carry the SOA and
#                               a resolver may cache them (RFC 2308 §5), as with any real zone
#   smtp-sink   127.0.0.7:25    plain sink (no STARTTLS); also "mxa" of twomx.test
#   smtp-sink   127.0.0.9:25    "mxb" of twomx.test (blackhole case only)
#   TLS sink    127.0.0.8:25    java -cp relay.jar bench/BoringSink.java (Netty + BoringSSL, the relay
#                               jar's copies; --tls-sink jdk: java bench/TlsSink.java, the JDK's TLS):
#                               STARTTLS sink, certificate for
#                               mx1.example.test from a throwaway CA (bench/out/delivery/pki)
#   relay       127.0.0.1:2545  java -Xmx256m -jar relay-app/target/relay.jar run, one JVM per case,
#                               routes: example.test -> sink.example.test:25 tls none (plain) or
#                               -> mx1.example.test:25 tls verified (CA in extra-ca-files);
#                               new-conn: delivery.max-idle-per-destination 0; reuse: defaults.
#                               blackhole: no route (MX lookup), delivery.connect-timeout 2s,
#                               max-idle-per-destination 0.
#   Postfix     127.0.0.6:25    instance /etc/postfix-bench-relay, disk queue, relayhost =
#                               [127.0.0.7]:25 (plain) or [127.0.0.8]:25 with
#                               smtp_tls_security_level = secure (match mx1.example.test)
# Before the cases, the sinks' own ceilings are measured (smtp-source -> smtp-sink, and TlsSink's
# own verifying client -> TlsSink), so a rate near a ceiling can be recognised as the sink's.
#
# Usage (as root, Debian 12):  bench/delivery.sh [options]
#   -n N       messages per timed run                         (default 5000)
#   -r RUNS    timed runs per case and side                   (default 3)
#   -s SESS    concurrent smtp-source sessions                (default 20)
#   -l BYTES   message size                                   (default 10240)
#   -w N       warm-up messages per case for the relay, not timed (default 60000: its JIT is still
#              compiling after 10000 and settles after about 50000; see bench/README.md)
#   -W N       warm-up messages per case for Postfix, not timed (default 10000: no JIT to warm)
#   -c LIST    cases, comma-separated (default: plain/new-conn,plain/reuse,verified/new-conn,verified/reuse,blackhole)
#   -o DIR     output dir for logs, configs, summary          (default bench/out/delivery)
#   -k         keep the relay data dirs
#   --only relay|postfix   measure one side only
#   --no-ceiling           skip the sink ceiling measurements
#   --key rsa|ec           the sink certificate's key type   (default rsa: 2048-bit RSA)
#   --tls-sink boring|jdk  the STARTTLS sink: BoringSink (default; about a fifth of TlsSink's CPU
#              per message) or TlsSink (the JDK's TLS, a thread per connection)
#   -q SECS    before each timed run, wait up to SECS for the machine to be idle (CPU busy <= 10 %
#              over 1 s) (default 120; 0 = don't wait)
#   -e RELAY_KEY=VALUE     pass this configuration override to every relay (repeatable; printed in
#              the summary), e.g. -e RELAY_DELIVERY_IDLE_CONNECTION_TIME=10m
#   -h         help
# Environment:
#   BENCH_JAVA_OPTS="..."   JVM options for the relay (default -Xmx256m)
#   TLSSINK_JAVA_OPTS="..." JVM options for the TLS sink (default -Xmx512m -XX:+UseParallelGC)
#   RELAY_* variables are removed from the relay's environment (use -e to set one on purpose).
#
# Exit status: 0 = completed and every measured target met (or one side only), 1 = a target not
#              met, 2 = usage/setup error or a run failed (messages missing at the sink).
set -euo pipefail

# ================================================================ adjust here
RELAY_BIND=127.0.0.1
RELAY_PORT=2545
RELAY_HOSTNAME=relay-bench.bench.test
read -r -a RELAY_JAVA_OPTS <<<"${BENCH_JAVA_OPTS:--Xmx256m}"
RELAY_READY_TIMEOUT=90
RELAY_DEAD_MEMORY=60          # delivery.dead-host-memory default (s)
BH_CONNECT_TIMEOUT=2s         # delivery.connect-timeout in the blackhole case
DNS_ADDR=127.0.0.1
DNS_PORT=5391
PLAIN_ADDR=127.0.0.7          # smtp-sink: sink.example.test, mxa.twomx.test
TLS_ADDR=127.0.0.8            # the TLS sink (BoringSink or TlsSink): mx1.example.test
BH_ADDR=127.0.0.9             # smtp-sink: mxb.twomx.test, black-holed in the blackhole runs
SINK_PORT=25                  # every sink; also delivery.port (MX hosts found via DNS)
PF_NAME=postfix-bench-relay
PF_ADDR=127.0.0.6
PF_PORT=25
PF_CONF=/etc/$PF_NAME
PF_QUEUE=/var/spool/$PF_NAME
PF_DATA=/var/lib/$PF_NAME
PF_LOG=/var/log/$PF_NAME.log
SENDER=sender@client.test
RCPT=rcpt@example.test
RCPT_BH=rcpt@twomx.test
read -r -a TLS_SINK_JAVA_OPTS <<<"${TLSSINK_JAVA_OPTS:--Xmx512m -XX:+UseParallelGC}"
IPT_COMMENT=relay-bench-delivery
SINK_WARMUP=10000             # messages that warm the TLS sink's JIT before its ceiling is measured
# ================================================================

ALL_CASES=plain/new-conn,plain/reuse,verified/new-conn,verified/reuse,blackhole
N=5000; RUNS=3; SESS=20; LEN=10240; WARMUP=60000; PF_WARMUP=10000; CASES=$ALL_CASES; KEEP=0; ONLY=both; CEILING=1
KEYTYPE=rsa; QUIET=120; RELAY_ENV=(); TLS_SINK=boring
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
OUT=$BENCH_DIR/out/delivery
JAR=$REPO/relay-app/target/relay.jar

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "delivery.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2;; -r) RUNS=$2; shift 2;; -s) SESS=$2; shift 2;; -l) LEN=$2; shift 2;;
    -w) WARMUP=$2; shift 2;; -W) PF_WARMUP=$2; shift 2;; -c) CASES=$2; shift 2;; -o) OUT=$2; shift 2;; -k) KEEP=1; shift;;
    --only) ONLY=$2; shift 2;; --no-ceiling) CEILING=0; shift;; --key) KEYTYPE=$2; shift 2;;
    --tls-sink) TLS_SINK=$2; shift 2;;
    -q) QUIET=$2; shift 2;;
    -e) [[ $2 =~ ^RELAY_[A-Z0-9_]+=.+$ ]] || die "-e takes RELAY_KEY=VALUE"; RELAY_ENV+=("$2"); shift 2;;
    -h|--help) usage; exit 0;;
    *) usage >&2; die "unknown argument: $1";;
  esac
done
case "$ONLY" in both|relay|postfix) ;; *) die "--only takes relay or postfix";; esac
case "$KEYTYPE" in rsa|ec) ;; *) die "--key takes rsa or ec";; esac
case "$TLS_SINK" in boring|jdk) ;; *) die "--tls-sink takes boring or jdk";; esac
for v in N RUNS SESS LEN WARMUP PF_WARMUP QUIET; do [[ ${!v} =~ ^[0-9]+$ ]] || die "-$v must be a number"; done
[ "$N" -gt 0 ] && [ "$RUNS" -gt 0 ] || die "-n and -r must be > 0"
IFS=, read -r -a CASE_LIST <<<"$CASES"
for c in "${CASE_LIST[@]}"; do case ",$ALL_CASES," in *",$c,"*) ;; *) die "unknown case '$c' (cases: $ALL_CASES)";; esac; done
[ "$(id -u)" = 0 ] || die "run as root (Postfix on port 25, ip addr, iptables)"
do_relay() { [ "$ONLY" != postfix ]; }
do_postfix() { [ "$ONLY" != relay ]; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for v in $(compgen -e | grep '^RELAY_' || true); do echo "delivery.sh: ignoring $v from the environment" >&2; unset "$v"; done
SUMMARY=$OUT/summary.txt

# ---------------------------------------------------------------- helpers
now() { date +%s.%N; }
log() { echo "$@"; }
fsub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.3f}" 'BEGIN{ if (b>0) printf f"\n", a/b; else print "n/a" }'; }
median() { [ $# -gt 0 ] || { echo n/a; return; }; printf '%s\n' "$@" | grep -v n/a | sort -g | awk '{a[NR]=$1} END{ if (!NR) {print "n/a"; exit}
  m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.0f\n", m }'; }
# a TCP listener on ADDR:PORT (or on the wildcard address)? ss only: no probe connections
listening() { ss -ltnH "sport = :$2" 2>/dev/null | awk -v a="$1:$2" -v m="[::ffff:$1]:$2" '$4 == a || $4 == m || $4 ~ /^(0\.0\.0\.0|\*|\[::\]):/ {f=1} END{exit !f}'; }
wait_listening() {  # ADDR PORT PID WHAT
  for _ in $(seq 300); do listening "$1" "$2" && return 0; alive "$3" || break; sleep 0.1; done
  die "$4 is not listening on $1:$2"
}
pf() { script -qec "postfix -c $PF_CONF $*" /dev/null; }   # script(1): fatals need a tty (no syslog)
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

# CPU time (clock ticks) per party while a run is timed: what explains a rate (who was busy)
pticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12+$13+$14+$15}' || echo 0; }
pf_master() { tr -d ' \n' <"$PF_QUEUE/pid/master.pid" 2>/dev/null || true; }
pf_ticks() {  # master (incl. reaped children) + live children
  local m t=0 c; m=$(pf_master)
  [ "$PF_STARTED" = 1 ] && [ -n "$m" ] && alive "$m" || { echo 0; return; }
  t=$(pticks "$m"); for c in $(cat /proc/"$m"/task/*/children 2>/dev/null); do t=$((t + $(pticks "$c"))); done
  echo "$t"; }
sum_ticks() { local t=0 p; for p in "$@"; do [ -z "$p" ] || t=$((t + $(pticks "$p"))); done; echo "$t"; }
cpu_snap() {  # relay postfix sinks script+source dns machine-busy machine-all
  echo "$(sum_ticks "$RELAY_PID") $(pf_ticks) $(sum_ticks "$PLAIN_SINK_PID" "$TLS_SINK_PID" "$BH_SINK_PID") $(pticks $$) $(sum_ticks "$DNS_PID")" \
    "$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat)"; }
# cpu_report SNAP0 SNAP1 SECONDS -> "relay 95% postfix 0% sink 30% source 20% others 3%" (% of one CPU)
cpu_report() {
  awk -v a="$1" -v b="$2" -v s="$3" -v hz="$(getconf CLK_TCK)" -v n="$(nproc)" 'BEGIN{ split(a,x); split(b,y);
    for (i=1;i<=7;i++) d[i]=y[i]-x[i]; ours=d[1]+d[2]+d[3]+d[4]+d[5];
    others = (d[7] > 0) ? 100*n*(d[6]-ours)/d[7] : 0; if (others < 0) others = 0;
    f = (s > 0) ? 100/(hz*s) : 0;
    printf "relay %3.0f%% postfix %3.0f%% sink %3.0f%% source %3.0f%% others %3.0f%%", d[1]*f, d[2]*f, d[3]*f, d[4]*f, others }'; }

# ---------------------------------------------------------------- packages
need=(); pkgs=()
want() { command -v "$1" >/dev/null || { need+=("$1"); pkgs+=("$2"); }; }
want smtp-source postfix; want smtp-sink postfix; want postconf postfix; want postsuper postfix
want dnsmasq dnsmasq-base; want openssl openssl; want ip iproute2; want ss iproute2; want iptables iptables
want script bsdutils; want java default-jre-headless
if [ ${#need[@]} -gt 0 ]; then
  log "== installing packages (missing: ${need[*]})"
  apt-get update -q
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"
fi

# ---------------------------------------------------------------- cleanup (only what we started)
RELAY_PID=""; DNS_PID=""; PLAIN_SINK_PID=""; TLS_SINK_PID=""; BH_SINK_PID=""; PF_STARTED=0; BH_RULE=0; DATA_DIRS=()
bh_rule() { iptables "$1" INPUT -d "$BH_ADDR/32" -p tcp --dport "$SINK_PORT" -m comment --comment "$IPT_COMMENT" -j DROP; }
stop_relay() { [ -z "$RELAY_PID" ] || stop_pid "$RELAY_PID" 30; RELAY_PID=""; rm -f "$OUT/relay.pid"; }
pf_stop() {
  [ "$PF_STARTED" = 1 ] || return 0
  postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
  postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1 || true
  PF_STARTED=0
}
cleanup() {
  local rc=$? p
  set +e
  if [ "$BH_RULE" = 1 ]; then bh_rule -D; fi
  stop_relay
  pf_stop
  for p in "$PLAIN_SINK_PID" "$TLS_SINK_PID" "$BH_SINK_PID" "$DNS_PID"; do [ -z "$p" ] || stop_pid "$p" 5; done
  rm -f "$OUT"/*.pid
  if [ "$KEEP" = 0 ]; then for p in "${DATA_DIRS[@]}"; do rm -rf "$p"; done; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an interrupted earlier run: our pid files (checked against the command line) and
# our iptables rule (found by its comment).
for f in "$OUT"/*.pid; do
  [ -s "$f" ] || continue
  old=$(cat "$f")
  if alive "$old" && tr '\0' ' ' <"/proc/$old/cmdline" | grep -qE -- "$OUT/|TlsSink|BoringSink|smtp-sink|dnsmasq"; then
    log "== stopping $(basename "$f" .pid) left over from an earlier run (pid $old)"; stop_pid "$old" 20
  fi
  rm -f "$f"
done
while iptables -S INPUT 2>/dev/null | grep -q -- "--comment $IPT_COMMENT"; do
  log "== removing an iptables rule left over from an earlier run"; bh_rule -D || break
done
[ -f "$PF_CONF/main.cf" ] && postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true

for hp in "$RELAY_BIND:$RELAY_PORT" "$PF_ADDR:$PF_PORT" "$PLAIN_ADDR:$SINK_PORT" "$TLS_ADDR:$SINK_PORT" "$BH_ADDR:$SINK_PORT"; do
  listening "${hp%:*}" "${hp##*:}" && die "something already listens on $hp: $(ss -ltnpH "sport = :${hp##*:}" | head -1)"
done
if [ -n "$(ss -lunH "sport = :$DNS_PORT")" ]; then die "something already uses UDP port $DNS_PORT"; fi

if do_relay && [ ! -f "$JAR" ]; then
  log "== $JAR missing: building (mvn -q -DskipTests package)"
  (cd "$REPO" && mvn -q -DskipTests package) || die "build failed"
fi

STAMP=$(date -u +%Y-%m-%dT%H:%MZ)
log "== delivery benchmark $STAMP: $(nproc) vCPU, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), postfix $(postconf -d -h mail_version), $(java -version 2>&1 | head -1)"
log "== N=$N x $LEN B, $SESS sessions (one message per connection into the relays), $RUNS runs per case, warm-up $WARMUP (relay) / $PF_WARMUP (Postfix), cases $CASES; output in $OUT"
if do_relay; then
  log "== relay: $JAR ($(date -u -r "$JAR" +%Y-%m-%dT%H:%MZ), repo HEAD $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo n/a)$( [ -n "$(git -C "$REPO" status --porcelain -- '*.java' 'pom.xml' '*/pom.xml' 2>/dev/null | grep -v '^?? bench/')" ] && echo ', with uncommitted source changes')), JVM ${RELAY_JAVA_OPTS[*]}$( [ ${#RELAY_ENV[@]} = 0 ] || echo ", overrides: ${RELAY_ENV[*]}")"
  # the newest commit that changes what goes into the jar (main sources, resources, poms, conf/)
  jar_ct=$(date -r "$JAR" +%s)
  head_ct=$(git -C "$REPO" log -1 --format=%ct -- '*/src/main/*' 'pom.xml' '*/pom.xml' 'conf' 2>/dev/null || echo 0)
  [ "$jar_ct" -ge "${head_ct:-0}" ] || echo "   !! warning: relay.jar is older than the newest commit to the relay's sources (rebuild: mvn -q -o -DskipTests package)" >&2
fi
BUSY0=$(cpu_busy)
log "== machine before start: ${BUSY0}% CPU busy, load average $(cut -d' ' -f1-3 /proc/loadavg) (each run line shows who used the CPU, in % of one CPU)"

# ---------------------------------------------------------------- addresses
case " $(ip -4 -o addr show dev lo) " in
  *" $PF_ADDR/"*) ;;
  *) if do_postfix; then log "== adding $PF_ADDR/32 to lo (Postfix binds only configured addresses; left in place)"; ip addr add "$PF_ADDR/32" dev lo; fi;;
esac

# ---------------------------------------------------------------- throwaway CA and the sink's certificate
PKI=$OUT/pki
rm -rf "$PKI"; mkdir -p "$PKI"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=relay bench throwaway CA" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
if [ "$KEYTYPE" = ec ]; then keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:P-256); else keyopt=(-newkey rsa:2048); fi
openssl req "${keyopt[@]}" -nodes -subj "/CN=mx1.example.test" -keyout "$PKI/mx1.key" -out "$PKI/mx1.csr" 2>/dev/null
printf 'subjectAltName=DNS:mx1.example.test\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$PKI/mx1.ext"
openssl x509 -req -in "$PKI/mx1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial -days 30 \
  -extfile "$PKI/mx1.ext" -out "$PKI/mx1.crt" 2>/dev/null
log "   throwaway CA $PKI/ca.crt; sink certificate mx1.example.test ($( [ "$KEYTYPE" = ec ] && echo 'ECDSA P-256' || echo 'RSA 2048'))"

# ---------------------------------------------------------------- DNS
dnsmasq --keep-in-foreground --port="$DNS_PORT" --listen-address="$DNS_ADDR" --bind-interfaces \
  --no-resolv --no-hosts --user=root --pid-file= --local-ttl=300 --log-facility="$OUT/dnsmasq.log" \
  --auth-server=ns.example.test,"$DNS_ADDR" --auth-zone=example.test --auth-zone=twomx.test \
  --auth-ttl=300 --auth-soa=1,hostmaster.example.test \
  --host-record=sink.example.test,"$PLAIN_ADDR" --host-record=mx1.example.test,"$TLS_ADDR" \
  --mx-host=twomx.test,mxa.twomx.test,10 --mx-host=twomx.test,mxb.twomx.test,10 \
  --host-record=mxa.twomx.test,"$PLAIN_ADDR" --host-record=mxb.twomx.test,"$BH_ADDR" &
DNS_PID=$!; echo "$DNS_PID" >"$OUT/dnsmasq.pid"
for _ in $(seq 50); do [ -n "$(ss -lunH "sport = :$DNS_PORT")" ] && break; sleep 0.1; done
log "   dnsmasq pid $DNS_PID on $DNS_ADDR:$DNS_PORT"

# ---------------------------------------------------------------- sinks
# smtp-sink -c prints "sess=N quit=N mesg=N\r" after every session/message; TlsSink prints the
# same "mesg=N" field. sink_count reads the last record of a sink's output file.
sink_count() {  # FILE... -> sum of the latest mesg= counts
  local f s t=0
  for f in "$@"; do
    s=$(tail -c 120 "$f" 2>/dev/null) || s=""
    s=${s%$'\r'}; s=${s##*$'\r'}
    case "$s" in *mesg=*) s=${s##*mesg=}; s=${s%% *}; t=$((t + s));; esac
  done
  echo "$t"; }
tls_stats() { local x; x=$(tail -c 120 "$TLS_OUT" 2>/dev/null); x=${x%$'\r'}; x=${x##*$'\r'}; echo "$x"; }
PLAIN_OUT=$OUT/smtp-sink-plain.out; TLS_OUT=$OUT/tlssink.out; BH_OUT=$OUT/smtp-sink-mxb.out
smtp-sink -c -u nobody -4 -h sink.example.test "$PLAIN_ADDR:$SINK_PORT" 1024 >"$PLAIN_OUT" 2>&1 &
PLAIN_SINK_PID=$!; echo "$PLAIN_SINK_PID" >"$OUT/smtp-sink-plain.pid"
wait_listening "$PLAIN_ADDR" "$SINK_PORT" "$PLAIN_SINK_PID" "smtp-sink"
if [ "$TLS_SINK" = boring ]; then
  TLS_SINK_CMD=(java "${TLS_SINK_JAVA_OPTS[@]}" -cp "$JAR" "$BENCH_DIR/BoringSink.java"); TLS_SINK_NAME=BoringSink
else
  TLS_SINK_CMD=(java "${TLS_SINK_JAVA_OPTS[@]}" "$BENCH_DIR/TlsSink.java"); TLS_SINK_NAME=TlsSink
fi
"${TLS_SINK_CMD[@]}" server "$TLS_ADDR:$SINK_PORT" "$PKI/mx1.crt" "$PKI/mx1.key" mx1.example.test \
  >"$TLS_OUT" 2>"$OUT/tlssink.err" &
TLS_SINK_PID=$!; echo "$TLS_SINK_PID" >"$OUT/tlssink.pid"
wait_listening "$TLS_ADDR" "$SINK_PORT" "$TLS_SINK_PID" "$TLS_SINK_NAME"
log "   sinks: smtp-sink pid $PLAIN_SINK_PID on $PLAIN_ADDR:$SINK_PORT (plain); $TLS_SINK_NAME pid $TLS_SINK_PID on $TLS_ADDR:$SINK_PORT (STARTTLS, mx1.example.test)"

# ---------------------------------------------------------------- one timed run
# measure LABEL N SINKFILES(comma) -- LOAD COMMAND...
#   -> RUN_RATE (end-to-end msg/s), RUN_INGEST (msg/s until the load generator exited),
#      RUN_ARRIVED, RUN_SECS, RUN_CPU, RUN_OK (1 = all N arrived and the generator exited 0)
MAX_OTHERS=0
measure() {
  local label=$1 n=$2 files=() base cur t0 t1 tsrc="" src rc=0 last_change lastc c0 c1 stall=0
  IFS=, read -r -a files <<<"$3"; shift 4
  base=$(sink_count "${files[@]}")
  c0=$(cpu_snap); t0=$(now)
  "$@" >"$OUT/load.out" 2>&1 &
  src=$!
  lastc=$base; last_change=$SECONDS
  while true; do
    cur=$(sink_count "${files[@]}")
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
  RUN_ARRIVED=$(( $(sink_count "${files[@]}") - base ))
  RUN_SECS=$(fsub "$t1" "$t0")
  RUN_RATE=$(div "$((RUN_ARRIVED < n ? RUN_ARRIVED : n))" "$RUN_SECS" %.0f)
  RUN_INGEST=$(div "$n" "$(fsub "$tsrc" "$t0")" %.0f)
  RUN_CPU=$(cpu_report "$c0" "$c1" "$RUN_SECS")
  # the sink's own CPU per message, and what that allows if the sink had every CPU to itself
  RUN_SINK_MS=$(awk -v c="$RUN_CPU" -v r="$RUN_RATE" 'BEGIN{ if (match(c, /sink +[0-9]+%/)) { v=substr(c, RSTART, RLENGTH); gsub(/[^0-9]/, "", v); if (r > 0) printf "%.2f", v*10/r; else print "n/a" } else print "n/a" }')
  RUN_SINK_MAX=$(awk -v m="$RUN_SINK_MS" -v n="$(nproc)" 'BEGIN{ if (m+0 > 0) printf "%.0f", n*1000/m; else print "n/a" }')
  local o; o=$(sed -n 's/.*others *\([0-9]*\)%.*/\1/p' <<<"$RUN_CPU"); [ "${o:-0}" -le "$MAX_OTHERS" ] || MAX_OTHERS=$o
  RUN_OK=1
  [ "$rc" = 0 ] || { RUN_OK=0; echo "   !! load generator exit $rc: $(head -c 300 "$OUT/load.out")" >&2; }
  [ "$stall" = 0 ] || { RUN_OK=0; echo "   !! no arrival at the sink for 60 s: $RUN_ARRIVED of $n arrived" >&2; }
  printf '   %-22s %6d msgs, %6d arrived in %7.3f s = %5s msg/s e2e (load done %5s msg/s)  [cpu: %s]\n' \
    "$label" "$n" "$RUN_ARRIVED" "$RUN_SECS" "$RUN_RATE" "$RUN_INGEST" "$RUN_CPU"
}
source_cmd() {  # HOST PORT COUNT RCPT [extra smtp-source options] -> SRC_CMD
  SRC_CMD=(smtp-source -4 -s "$SESS" -l "$LEN" -m "$3" -f "$SENDER" -t "$4" "${@:5}" "$1:$2"); }

# ---------------------------------------------------------------- sink ceilings
declare -A CEIL CEIL_X
if [ "$CEILING" = 1 ]; then
  log "-- sink ceilings (the receiving side on its own; the relays' rates must stay well below)"
  source_cmd "$PLAIN_ADDR" "$SINK_PORT" "$N" "$RCPT"
  measure "warm-up smtp-sink" "$N" "$PLAIN_OUT" -- "${SRC_CMD[@]}" >/dev/null
  sync; wait_quiet
  measure "smtp-sink new-conn" "$N" "$PLAIN_OUT" -- "${SRC_CMD[@]}"; CEIL[plain/new-conn]=$RUN_RATE; CEIL_X[plain/new-conn]=$RUN_SINK_MAX
  log "     smtp-sink used $RUN_SINK_MS ms CPU per message: ~$RUN_SINK_MAX msg/s if it had all $(nproc) CPUs"
  source_cmd "$PLAIN_ADDR" "$SINK_PORT" "$N" "$RCPT" -d
  wait_quiet
  measure "smtp-sink reuse" "$N" "$PLAIN_OUT" -- "${SRC_CMD[@]}"; CEIL[plain/reuse]=$RUN_RATE; CEIL_X[plain/reuse]=$RUN_SINK_MAX
  log "     smtp-sink used $RUN_SINK_MS ms CPU per message: ~$RUN_SINK_MAX msg/s if it had all $(nproc) CPUs"
  tls_client() { TLS_CMD=(java -Xmx256m "$BENCH_DIR/TlsSink.java" client "$TLS_ADDR:$SINK_PORT" mx1.example.test "$PKI/ca.crt" "$SESS" "$1" "$LEN" "$2"); }
  # the sink's JIT needs a warm-up too (a cold JVM is several times slower)
  tls_client "$SINK_WARMUP" reuse; measure "warm-up $TLS_SINK_NAME" "$SINK_WARMUP" "$TLS_OUT" -- "${TLS_CMD[@]}" >/dev/null
  tls_client "$((N / 2))" new; measure "warm-up $TLS_SINK_NAME" "$((N / 2))" "$TLS_OUT" -- "${TLS_CMD[@]}" >/dev/null
  wait_quiet
  client_rate() { sed -n 's/^client: .* = \([0-9]*\) msg\/s.*/\1/p' "$OUT/load.out" | tail -1; }
  tls_client "$N" new; measure "$TLS_SINK_NAME new-conn" "$N" "$TLS_OUT" -- "${TLS_CMD[@]}"; CEIL[verified/new-conn]=$(client_rate); CEIL_X[verified/new-conn]=$RUN_SINK_MAX
  log "     $(tail -1 "$OUT/load.out")"
  log "     $TLS_SINK_NAME used $RUN_SINK_MS ms CPU per message: ~$RUN_SINK_MAX msg/s if it had all $(nproc) CPUs; $(tls_stats)"
  wait_quiet
  tls_client "$N" reuse; measure "$TLS_SINK_NAME reuse" "$N" "$TLS_OUT" -- "${TLS_CMD[@]}"; CEIL[verified/reuse]=$(client_rate); CEIL_X[verified/reuse]=$RUN_SINK_MAX
  log "     $(tail -1 "$OUT/load.out")"
  log "     $TLS_SINK_NAME used $RUN_SINK_MS ms CPU per message: ~$RUN_SINK_MAX msg/s if it had all $(nproc) CPUs"
  log "     (TLS ceilings: the client's own count, without its JVM start-up; the client is Java and verifies the"
  log "      certificate as the relays do, on the same CPUs, so this is a lower bound of what $TLS_SINK_NAME can take)"
fi

# ---------------------------------------------------------------- relay
relay_config() {  # CASE FILE DATADIR
  local c=$1
  {
    echo "# generated by bench/delivery.sh for case $c"
    echo "hostname: $RELAY_HOSTNAME"
    echo "data:"; echo "  dir: $3"
    echo "smtp:"; echo "  bind: $RELAY_BIND"; echo "  port: $RELAY_PORT"
    echo "dns:"; echo "  servers: [\"$DNS_ADDR:$DNS_PORT\"]"; echo "  timeout: 2s"
    echo "delivery:"
    echo "  port: $SINK_PORT"
    echo "  extra-ca-files: [\"$PKI/ca.crt\"]"
    case "$c" in
      */new-conn) echo "  max-idle-per-destination: 0";;
    esac
    case "$c" in
      plain/*) echo "  routes:"; echo "    - {domain: example.test, host: sink.example.test, port: $SINK_PORT, tls: none}";;
      verified/*) echo "  routes:"; echo "    - {domain: example.test, host: mx1.example.test, port: $SINK_PORT, tls: verified}";;
      # a new connection per message: every delivery must get past the dead host (with pooled
      # connections most deliveries would ride a session to the live host and never notice)
      blackhole) echo "  connect-timeout: $BH_CONNECT_TIMEOUT"; echo "  max-idle-per-destination: 0";;
    esac
  } >"$2"
}
start_relay() {  # CASE
  local c=$1 name=${1//\//-} cfg data t0
  cfg=$OUT/relay-$name.yaml; data=$OUT/relay-data-$name; RELAY_LOG=$OUT/relay-$name.log
  rm -rf "$data"; mkdir -p "$data"; DATA_DIRS+=("$data")
  relay_config "$c" "$cfg" "$data"
  env "${RELAY_ENV[@]}" java "${RELAY_JAVA_OPTS[@]}" -jar "$JAR" run --config "$cfg" >"$RELAY_LOG" 2>&1 &
  RELAY_PID=$!; echo "$RELAY_PID" >"$OUT/relay.pid"
  t0=$SECONDS
  until listening "$RELAY_BIND" "$RELAY_PORT"; do
    alive "$RELAY_PID" || { tail -20 "$RELAY_LOG" >&2; die "relay exited during startup (log above)"; }
    [ $((SECONDS - t0)) -lt "$RELAY_READY_TIMEOUT" ] || { tail -20 "$RELAY_LOG" >&2; die "relay not listening after ${RELAY_READY_TIMEOUT}s"; }
    sleep 0.2
  done
  log "   relay up: pid $RELAY_PID, config $cfg ($((SECONDS - t0)) s)"
}
relay_count() { grep -c -- "$1" "$RELAY_LOG" 2>/dev/null || true; }
relay_peak_rss() { awk '/^VmHWM/{printf "%.0f", $2/1024}' "/proc/$RELAY_PID/status" 2>/dev/null || echo n/a; }

# ---------------------------------------------------------------- Postfix as a relay
pf_configure() {  # CASE
  local c=$1 mcf=/usr/share/postfix/master.cf.dist
  postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
  mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA"; chown postfix:postfix "$PF_DATA"
  [ -f "$mcf" ] || mcf=/etc/postfix/master.cf
  cp "$mcf" "$PF_CONF/master.cf"
  cat >"$PF_CONF/main.cf" <<EOF
# Postfix as a relay for bench/delivery.sh, case $c (generated; rewritten for every case)
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
multi_instance_name = $PF_NAME
myhostname = postfix-bench.bench.test
mydestination =
local_recipient_maps =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
inet_interfaces = $PF_ADDR
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_peername_lookup = no
maillog_file = $PF_LOG
biff = no
# concurrency: Postfix's defaults (default_destination_concurrency_limit = 20), like the relay's
# queue.workers = delivery.max-per-domain = 20
EOF
  case "$c" in
    plain/*) postconf -c "$PF_CONF" -e "relayhost = [$PLAIN_ADDR]:$SINK_PORT" "smtp_tls_security_level = none";;
    verified/*)
      postconf -c "$PF_CONF" -e "relayhost = [$TLS_ADDR]:$SINK_PORT" "smtp_tls_security_level = secure" \
        "smtp_tls_CAfile = $PKI/ca.crt" "smtp_tls_servername = mx1.example.test" "smtp_tls_loglevel = 1" \
        "smtp_tls_policy_maps = inline:{ { [$TLS_ADDR]:$SINK_PORT = secure match=mx1.example.test } }" \
        "smtp_tls_session_cache_database = btree:\${data_directory}/smtp_scache";;
  esac
  case "$c" in
    */new-conn) postconf -c "$PF_CONF" -e "smtp_connection_cache_on_demand = no" "smtp_tls_connection_reuse = no";;
    plain/reuse) postconf -c "$PF_CONF" -e "smtp_connection_cache_on_demand = yes" \
        "smtp_connection_cache_destinations = [$PLAIN_ADDR]:$SINK_PORT";;
    verified/reuse) postconf -c "$PF_CONF" -e "smtp_connection_cache_on_demand = yes" \
        "smtp_connection_cache_destinations = [$TLS_ADDR]:$SINK_PORT" "smtp_tls_connection_reuse = yes"
      postconf -c "$PF_CONF" -M "tlsproxy/unix=tlsproxy unix - - n - 0 tlsproxy";;
  esac
  if [ "$PF_PORT" != 25 ]; then
    postconf -c "$PF_CONF" -M "$PF_PORT/inet=$PF_PORT inet n - n - - smtpd"; postconf -c "$PF_CONF" -MX smtp/inet
  fi
  postconf -c "$PF_CONF" -F '*/*/chroot = n'     # no init script to populate a chroot here
  pf check >/dev/null || die "postfix -c $PF_CONF check failed"
}
pf_start() {
  pf start >/dev/null || { tail -5 "$PF_LOG" >&2; die "postfix -c $PF_CONF start failed"; }
  PF_STARTED=1
  for _ in $(seq 100); do listening "$PF_ADDR" "$PF_PORT" && break; sleep 0.1; done
  listening "$PF_ADDR" "$PF_PORT" || die "postfix not listening on $PF_ADDR:$PF_PORT (see $PF_LOG)"
  log "   postfix up: master pid $(pf_master), $PF_CONF on $PF_ADDR:$PF_PORT"
}
pf_queued() { find "$PF_QUEUE"/{maildrop,incoming,active,deferred,hold} -type f 2>/dev/null | wc -l; }
pf_count() { grep -c -- "$1" "$PF_LOG" 2>/dev/null || true; }

# ---------------------------------------------------------------- the four relay-vs-Postfix cases
declare -A R_MED P_MED R_RSS R_NOTE P_NOTE
RUN_FAILED=0
sinks_for() { case "$1" in plain/*) echo "$PLAIN_OUT";; verified/*) echo "$TLS_OUT";; blackhole) echo "$PLAIN_OUT,$BH_OUT";; esac; }

relay_side_run() {  # CASE LABEL COUNT
  local d0 d1 f0 f1
  d0=$(relay_count 'state=delivered'); f0=$(relay_count 'state=deferred\|state=bounced')
  source_cmd "$RELAY_BIND" "$RELAY_PORT" "$3" "$( [ "$1" = blackhole ] && echo "$RCPT_BH" || echo "$RCPT")"
  measure "$2 relay" "$3" "$(sinks_for "$1")" -- "${SRC_CMD[@]}"
  for _ in $(seq 25); do d1=$(relay_count 'state=delivered'); [ $((d1 - d0)) -ge "$3" ] && break; sleep 0.2; done
  f1=$(relay_count 'state=deferred\|state=bounced')
  if [ $((d1 - d0)) != "$3" ] || [ "$f1" != "$f0" ]; then
    echo "   !! relay log: $((d1 - d0)) state=delivered, $((f1 - f0)) deferred/bounced for $3 messages" >&2
  fi
  [ "$RUN_OK" = 1 ] || RUN_FAILED=1
}
pf_side_run() {  # CASE LABEL COUNT
  local s0 s1 q
  s0=$(pf_count 'status=sent')
  source_cmd "$PF_ADDR" "$PF_PORT" "$3" "$RCPT"
  measure "$2 postfix" "$3" "$(sinks_for "$1")" -- "${SRC_CMD[@]}"
  for _ in $(seq 25); do s1=$(pf_count 'status=sent'); q=$(pf_queued); [ $((s1 - s0)) -ge "$3" ] && [ "$q" = 0 ] && break; sleep 0.2; done
  if [ $((s1 - s0)) != "$3" ] || [ "$q" != 0 ]; then
    echo "   !! postfix log: $((s1 - s0)) status=sent for $3 messages; $q still queued; $(pf_count 'status=deferred') deferred in all" >&2
  fi
  [ "$RUN_OK" = 1 ] || RUN_FAILED=1
}

run_case() {  # CASE (not blackhole)
  local c=$1 i rr=() pr=()
  log "-- case $c"
  case "$c" in verified/*) log "   $TLS_SINK_NAME before: $(tls_stats)";; esac
  if do_relay; then start_relay "$c"; fi
  if do_postfix; then pf_configure "$c"; : >"$PF_LOG"; pf_start; fi
  if [ "$WARMUP" -gt 0 ] && do_relay; then relay_side_run "$c" "warm-up" "$WARMUP"; fi
  if [ "$PF_WARMUP" -gt 0 ] && do_postfix; then pf_side_run "$c" "warm-up" "$PF_WARMUP"; fi
  # interleaved, so that drift in this VM's CPU and disk hits both sides alike
  for i in $(seq "$RUNS"); do
    if do_relay; then sync; wait_quiet; relay_side_run "$c" "run $i" "$N"; rr+=("$RUN_RATE"); fi
    if do_postfix; then sync; wait_quiet; pf_side_run "$c" "run $i" "$N"; pr+=("$RUN_RATE"); fi
  done
  if do_relay; then
    R_MED[$c]=$(median "${rr[@]}"); R_RSS[$c]=$(relay_peak_rss)
    local errs; errs=$(grep -cE ' ERROR |Exception' "$RELAY_LOG" || true)
    R_NOTE[$c]="runs ${rr[*]}; $(relay_count 'state=delivered') delivered, $(relay_count 'state=deferred') deferred, $errs ERROR/Exception lines in $(basename "$RELAY_LOG")"
    log "   relay   median ${R_MED[$c]} msg/s (runs: ${rr[*]}), peak RSS (VmHWM) ${R_RSS[$c]} MiB; ${R_NOTE[$c]}"
    if [ "$c" != "${c%reuse}" ]; then
      log "   relay   attempts on reused connections: $(relay_count 'verify=reused') of $(relay_count 'attempt id=.* mx=')"
    fi
    stop_relay
    [ "$KEEP" = 1 ] || rm -rf "$OUT/relay-data-${c//\//-}"
  fi
  if do_postfix; then
    P_MED[$c]=$(median "${pr[@]}")
    P_NOTE[$c]="runs ${pr[*]}; $(pf_count 'status=sent') sent, $(pf_count 'status=deferred') deferred"
    log "   postfix median ${P_MED[$c]} msg/s (runs: ${pr[*]}); ${P_NOTE[$c]}"
    case "$c" in verified/*) log "   postfix TLS: $(pf_count 'Verified TLS connection established') verified handshakes logged; sample: $(grep -m1 -o 'Verified TLS connection established.*' "$PF_LOG" || echo none)";; esac
    case "$c" in */reuse) log "   postfix connection reuse: $(grep -c 'conn_use=' "$PF_LOG" || true) of $(pf_count 'status=sent') deliveries logged conn_use=N (N>1: a cached connection)";; esac
    pf_stop
  fi
  case "$c" in verified/*) log "   $TLS_SINK_NAME after:  $(tls_stats)  (tls = handshakes, resumed = of them TLS session resumptions)";; esac
}

# ---------------------------------------------------------------- blackhole case (relay only)
run_blackhole() {
  local i nr=() br=() t_next=0 w
  log "-- case blackhole: twomx.test has MX 10 mxa ($PLAIN_ADDR) and MX 10 mxb ($BH_ADDR); relay connect-timeout $BH_CONNECT_TIMEOUT, a new connection per message, dead-host-memory ${RELAY_DEAD_MEMORY}s (default)"
  do_relay || { log "   (relay only; skipped with --only postfix)"; return 0; }
  smtp-sink -c -u nobody -4 -h mxb.twomx.test "$BH_ADDR:$SINK_PORT" 1024 >"$BH_OUT" 2>&1 &
  BH_SINK_PID=$!; echo "$BH_SINK_PID" >"$OUT/smtp-sink-mxb.pid"
  wait_listening "$BH_ADDR" "$SINK_PORT" "$BH_SINK_PID" "smtp-sink (mxb)"
  start_relay blackhole
  local mxa0; mxa0=$(sink_count "$PLAIN_OUT")
  if [ "$WARMUP" -gt 0 ]; then relay_side_run blackhole "warm-up" "$WARMUP"; fi
  log "   (both MX up: mxa got $(( $(sink_count "$PLAIN_OUT") - mxa0 )), mxb $(sink_count "$BH_OUT") of the warm-up messages)"
  local mxb_lost=0 m0 tmo0
  # Interleaved: normal run i, then black-holed run i (iptables -I INPUT -d mxb -p tcp --dport 25
  # -j DROP, removed after the run). Every run starts with the relay not knowing that mxb is or
  # was dead: its memory of the previous black-holed run must have run out first, so each
  # black-holed run pays the connect timeouts again (the worst case for a run this short; over a
  # long run the cost recurs once per dead-host-memory) and each normal run uses both hosts.
  for i in $(seq "$RUNS"); do
    w=$((t_next - SECONDS)); if [ "$w" -gt 0 ]; then log "   (waiting ${w} s for the relay's dead-host memory to run out)"; sleep "$w"; fi
    sync; wait_quiet
    relay_side_run blackhole "normal $i" "$N"; nr+=("$RUN_RATE")
    bh_rule -I; BH_RULE=1
    sync; wait_quiet
    m0=$(sink_count "$BH_OUT"); tmo0=$(relay_count "mx=mxb.twomx.test\[$BH_ADDR\]:$SINK_PORT .*result=\"4\.4\.")
    relay_side_run blackhole "blackholed $i" "$N"; br+=("$RUN_RATE")
    bh_rule -D; BH_RULE=0
    t_next=$((SECONDS + RELAY_DEAD_MEMORY + 2))
    mxb_lost=$((mxb_lost + $(sink_count "$BH_OUT") - m0))
    log "     connect timeouts to mxb in this run: $(( $(relay_count "mx=mxb.twomx.test\[$BH_ADDR\]:$SINK_PORT .*result=\"4\.4\.") - tmo0 )) (iptables DROP rule removed again)"
  done
  log "   mxb received $mxb_lost messages while black-holed (expected 0)"
  R_MED[blackhole]=$(median "${br[@]}"); R_MED[blackhole-normal]=$(median "${nr[@]}"); R_RSS[blackhole]=$(relay_peak_rss)
  local errs; errs=$(grep -cE ' ERROR |Exception' "$RELAY_LOG" || true)
  R_NOTE[blackhole]="normal runs ${nr[*]}, black-holed runs ${br[*]}; $(relay_count 'state=delivered') delivered, $(relay_count 'state=deferred') deferred, $errs ERROR/Exception lines"
  log "   relay   black-holed median ${R_MED[blackhole]} msg/s vs normal median ${R_MED[blackhole-normal]} msg/s; peak RSS ${R_RSS[blackhole]} MiB; ${R_NOTE[blackhole]}"
  log "   sample: $(grep -m1 "mx=mxb.twomx.test\[$BH_ADDR\]:$SINK_PORT .*result=\"4\.4\." "$RELAY_LOG" | cut -c1-320 || echo 'no timeout logged')"
  stop_relay
  [ "$KEEP" = 1 ] || rm -rf "$OUT/relay-data-blackhole"
  stop_pid "$BH_SINK_PID" 5; BH_SINK_PID=""; rm -f "$OUT/smtp-sink-mxb.pid"
}

for c in "${CASE_LIST[@]}"; do
  if [ "$c" = blackhole ]; then run_blackhole; else run_case "$c"; fi
done

# ---------------------------------------------------------------- summary
STATUS=0
LINES=()
verdict() {  # VALUE THRESHOLD -> VERDICT (and STATUS=1 when not met)
  if awk -v r="$1" -v t="$2" 'BEGIN{exit !(r != "n/a" && r >= t)}'; then VERDICT=MET; else VERDICT="NOT MET"; STATUS=1; fi; }
LINES+=("== summary $STAMP  N=$N x $LEN B, $SESS sessions, $RUNS runs/case (median), warm-up $WARMUP (relay) / $PF_WARMUP (Postfix), $(nproc) vCPU, relay ${RELAY_JAVA_OPTS[*]}$( [ ${#RELAY_ENV[@]} = 0 ] || echo " ${RELAY_ENV[*]}"), sink key $KEYTYPE, TLS sink $TLS_SINK_NAME; CPU used by other processes: ${BUSY0}% at start, at most ${MAX_OTHERS}% of one CPU during a run")
[ "$MAX_OTHERS" -le 20 ] || LINES+=("!! other processes used up to ${MAX_OTHERS}% of a CPU during the runs: the figures are not reliable, run again on a quiet machine")
if [ "$CEILING" = 1 ]; then
  LINES+=("sink ceiling (measured / sink alone on all CPUs, from its CPU per message): plain new-conn ${CEIL[plain/new-conn]:-n/a} / ~${CEIL_X[plain/new-conn]:-n/a}, plain reuse ${CEIL[plain/reuse]:-n/a} / ~${CEIL_X[plain/reuse]:-n/a} msg/s (smtp-source -> smtp-sink); verified new-conn ${CEIL[verified/new-conn]:-n/a} / ~${CEIL_X[verified/new-conn]:-n/a}, verified reuse ${CEIL[verified/reuse]:-n/a} / ~${CEIL_X[verified/reuse]:-n/a} msg/s (TlsSink's Java client -> $TLS_SINK_NAME)")
fi
for c in "${CASE_LIST[@]}"; do
  if [ "$c" = blackhole ]; then
    if do_relay; then
      ratio=$(div "${R_MED[blackhole]:-0}" "${R_MED[blackhole-normal]:-0}" %.2f); verdict "$ratio" 0.5
      LINES+=("case blackhole: relay ${R_MED[blackhole]} msg/s with 1 of 2 MX dropped, ${R_MED[blackhole-normal]} msg/s normal, ratio $ratio (target >= 0.5): $VERDICT; relay peak RSS ${R_RSS[blackhole]} MiB")
    fi
    continue
  fi
  if do_relay && do_postfix; then
    ratio=$(div "${R_MED[$c]}" "${P_MED[$c]}" %.2f); verdict "$ratio" 2.0
    LINES+=("case $c: relay ${R_MED[$c]} msg/s, postfix ${P_MED[$c]} msg/s, ratio $ratio (target >= 2.0): $VERDICT; relay peak RSS ${R_RSS[$c]} MiB")
  elif do_relay; then
    LINES+=("case $c: relay ${R_MED[$c]} msg/s, postfix not measured; relay peak RSS ${R_RSS[$c]} MiB")
  else
    LINES+=("case $c: postfix ${P_MED[$c]} msg/s, relay not measured")
  fi
done
for c in "${CASE_LIST[@]}"; do
  [ -z "${R_NOTE[$c]:-}" ] || LINES+=("  relay   $c: ${R_NOTE[$c]}")
  [ -z "${P_NOTE[$c]:-}" ] || LINES+=("  postfix $c: ${P_NOTE[$c]}")
done
[ "$RUN_FAILED" = 0 ] || LINES+=("!! at least one run failed (messages missing at the sink or a load generator error; see above)")
printf '%s\n' "${LINES[@]}" | tee "$SUMMARY"
[ "$RUN_FAILED" = 0 ] || STATUS=2
exit $STATUS

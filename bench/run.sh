#!/usr/bin/env bash
# bench/run.sh — seam against an nginx reverse proxy: same static upstream,
# same load, same run.  `make bench` builds build/seam and calls this.
#
# What it does (details and the meaning of every figure: bench/README.md):
#   1. nginx #1: a static upstream that answers POST /v1/chat/completions
#      with a fixed OpenAI chat.completion (bench/conf/reply.json).
#   2. nginx #2: a plain reverse proxy to it (keep-alive pool of 64).
#   3. seam serve in front of the same upstream: key check, metrics and
#      access log on (the access log goes to a file in the temp dir).
#   4. wrk rounds, interleaved (nginx, seam), order alternating from round
#      to round, x BENCH_ROUNDS; medians.
#   5. CPU per request of each proxy from /proc/PID/stat (all its processes
#      and threads; not the upstream's, not wrk's).
#   6. Latency at concurrency 1: direct, through nginx, through seam, in
#      BENCH_LAT_ROUNDS rounds; medians.
#   6b. Translation: seam's route `chat-anthropic` (an anthropic-type
#      provider on the same upstream, which also answers POST /v1/messages
#      with a fixed Anthropic message) against the passthrough route `chat`,
#      and an Anthropic client (POST /v1/messages to seam, route `chat`),
#      BENCH_XL_ROUNDS interleaved rounds, order rotating; ratios to the
#      passthrough, judged on the median of each round's own ratio (the
#      paths of a round run back to back).  BENCH_PROFILE=1
#      adds one perf-recorded run of each path and the top functions.
#   6c. Shadow traffic: route `chat-shadow` (every request also sent to a
#      `seam mock --latency 500`) against `chat`, at BENCH_SHADOW_CONN
#      connections, interleaved rounds; the client's p50/p99 side by side.
#   7. seam's memory: idle, and while holding BENCH_STREAMS streams open
#      against `seam mock --chunk-delay 50`.
#   8. A table on stdout, and the same in Markdown in bench/out/latest.md.
#
# BENCH_SECTIONS picks what runs (comma-separated; default all):
#   throughput (4, 5)  latency (6)  anthropic (6b)  shadow (6c)  streams (7)
# e.g. BENCH_SECTIONS=anthropic BENCH_XL_ROUNDS=1 bench/run.sh for a quick look.
#
# Overrides (environment): BENCH_CONN (64) BENCH_THREADS (2) BENCH_DURATION (10s)
# BENCH_ROUNDS (3) BENCH_XL_ROUNDS (6: section 6b's rounds) BENCH_WARMUP (2s) BENCH_WORKERS (nproc) BENCH_UP_WORKERS (nproc)
# BENCH_LAT_DURATION (5s) BENCH_LAT_ROUNDS (3) BENCH_STREAMS (1000) BENCH_STREAM_WORDS (250)
# BENCH_CHUNK_DELAY (50) BENCH_MOCK_WORKERS (1) BENCH_SKIP_STREAMS (0) BENCH_SKIP_SEAM (0: nginx only,
# for working on the script) BENCH_KEEP (0: keep the temp dir) BENCH_OUT
# (bench/out/latest.md) BENCH_SEAM (build/seam) BENCH_NGINX (/usr/sbin/nginx)
# BENCH_SECTIONS (throughput,latency,anthropic,streams) BENCH_ANTHROPIC_CLIENT
# (1: include the Anthropic-client path in section 6b) BENCH_PROFILE (0: 1 adds
# perf-recorded runs to section 6b) BENCH_SHADOW_RATE (1000 requests/s) BENCH_SHADOW_SAMPLE (1)
# BENCH_SHADOW_MAX (2000: the shadow provider's max_inflight).
#
# Exit status: 0 when every request of every run succeeded; 1 when any run
# saw non-2xx responses or socket errors or a stream did not finish (the
# report is still written, with the failures listed), or when a server would
# not start or died (then it stops at once, with the server's log).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=bench/lib/proc.sh
source "$ROOT/bench/lib/proc.sh"

SEAM=$(realpath -m "${BENCH_SEAM:-build/seam}")
NGINX=${BENCH_NGINX:-/usr/sbin/nginx}
WORKERS=${BENCH_WORKERS:-$(nproc)}
UP_WORKERS=${BENCH_UP_WORKERS:-$(nproc)}
THREADS=${BENCH_THREADS:-2}
CONN=${BENCH_CONN:-64}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
XL_ROUNDS=${BENCH_XL_ROUNDS:-6}
WARMUP=${BENCH_WARMUP:-2s}
LAT_DURATION=${BENCH_LAT_DURATION:-5s}
LAT_ROUNDS=${BENCH_LAT_ROUNDS:-3}
STREAMS=${BENCH_STREAMS:-1000}
STREAM_WORDS=${BENCH_STREAM_WORDS:-250}
MOCK_WORKERS=${BENCH_MOCK_WORKERS:-1}
CHUNK_DELAY=${BENCH_CHUNK_DELAY:-50}
SKIP_STREAMS=${BENCH_SKIP_STREAMS:-0}
SKIP_SEAM=${BENCH_SKIP_SEAM:-0}
ALL_SECTIONS="throughput latency anthropic shadow streams"
SECTIONS=${BENCH_SECTIONS:-all}
ANTH_CLIENT=${BENCH_ANTHROPIC_CLIENT:-1}
PROFILE=${BENCH_PROFILE:-0}
SH_RATE=${BENCH_SHADOW_RATE:-1000}
SH_SAMPLE=${BENCH_SHADOW_SAMPLE:-1}
SH_MAX=${BENCH_SHADOW_MAX:-2000}
# seam's anthropic-type provider reads its key from here (the static upstream
# ignores it); `seam keys create` does not need it.
export BENCH_ANTHROPIC_KEY=${BENCH_ANTHROPIC_KEY:-sk-ant-bench-0000}
KEEP=${BENCH_KEEP:-0}
OUT=$(realpath -m "${BENCH_OUT:-bench/out/latest.md}")
LUA=$ROOT/bench/lua/chat.lua
export BENCH_BODY_FILE=$ROOT/bench/conf/request.json
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    printf '\n[bench] ERROR: %s\n' "$*" >&2
    exit 1
}

# A duration as wrk takes it (10, 10s, 2m, 1h) in whole seconds.
secs() {
    local d=$1
    case $d in
    *h) echo $((${d%h} * 3600)) ;;
    *m) echo $((${d%m} * 60)) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
    esac
}

for v in CONN THREADS ROUNDS XL_ROUNDS LAT_ROUNDS WORKERS UP_WORKERS STREAMS STREAM_WORDS CHUNK_DELAY MOCK_WORKERS SH_RATE SH_MAX; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
done
for v in DURATION WARMUP LAT_DURATION; do
    [[ ${!v} =~ ^[1-9][0-9]*[smh]?$ ]] || die "BENCH_$v must look like 10s, 2m or 30 (got '${!v}')"
done
((THREADS <= CONN)) || die "BENCH_THREADS ($THREADS) must not exceed BENCH_CONN ($CONN)"
[[ $ANTH_CLIENT == [01] ]] || die "BENCH_ANTHROPIC_CLIENT must be 0 or 1 (got '$ANTH_CLIENT')"
[[ $PROFILE == [01] ]] || die "BENCH_PROFILE must be 0 or 1 (got '$PROFILE')"

# Sections: the names in BENCH_SECTIONS (commas or spaces), in the order of
# ALL_SECTIONS whatever the order given.  Without seam only throughput and
# latency (nginx's half) can run.
[[ $SECTIONS == all ]] && SECTIONS=$ALL_SECTIONS
SECTIONS=" ${SECTIONS//,/ } "
for s in $SECTIONS; do
    [[ " $ALL_SECTIONS " == *" $s "* ]] || die "BENCH_SECTIONS: unknown section '$s' (known: ${ALL_SECTIONS// /, }, or all)"
done
[[ $SKIP_STREAMS != 1 ]] || SECTIONS=${SECTIONS/ streams / }
if [[ $SKIP_SEAM == 1 ]]; then
    SECTIONS=${SECTIONS/ anthropic / }
    SECTIONS=${SECTIONS/ shadow / }
    SECTIONS=${SECTIONS/ streams / }
fi
has() { [[ $SECTIONS == *" $1 "* ]]; }
RUN_SECTIONS=""
for s in $ALL_SECTIONS; do has "$s" && RUN_SECTIONS+="${RUN_SECTIONS:+, }$s"; done
[[ -n $RUN_SECTIONS ]] || die "nothing to run (BENCH_SECTIONS='${BENCH_SECTIONS:-}', BENCH_SKIP_SEAM=$SKIP_SEAM, BENCH_SKIP_STREAMS=$SKIP_STREAMS)"

need=("$NGINX" wrk curl)
[[ $SKIP_SEAM == 1 ]] || need+=("$SEAM")
! has streams || need+=(node)
! has shadow || need+=(node)
if has anthropic && [[ $PROFILE == 1 ]]; then need+=(perf); fi
for b in "${need[@]}"; do
    command -v "$b" >/dev/null || die "'$b' not found (scripts/setup.sh installs nginx-light, wrk, nodejs; make build/seam builds seam)"
done

# Streams and servers need file descriptors: 1,000 streams are 2,000 sockets
# in seam alone.  Take what the hard limit allows, up to 65536.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# --- processes and clean-up ---------------------------------------------------
TMP=$(mktemp -d /tmp/seam-bench.XXXXXX)
chmod 755 "$TMP" # nginx workers run as nobody when started by root
PIDS=()          # every process this script started, in start order
WRK_PID=""       # the wrk run in progress
PERF_PID=""      # the perf record in progress (BENCH_PROFILE=1)

# Stops PID (and the processes under it) with TERM, then KILL after 5 s.
stop_pid() {
    local pid=$1 i tree
    [[ -e /proc/$pid ]] || return 0
    tree=$(proc_tree "$pid" | tr '\n' ' ')
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        is_running "$pid" || break
        sleep 0.1
    done
    if is_running "$pid"; then
        log "pid $pid did not stop on TERM in 5 s; killing"
    fi
    for p in $tree; do
        if is_running "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
    done
    wait "$pid" 2>/dev/null || true
}

# Running, and not a zombie waiting to be reaped.
is_running() {
    local s
    s=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
    s=${s##*) }
    [[ ${s:0:1} != Z ]]
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local i
    [[ -z ${WRK_PID:-} ]] || stop_pid "$WRK_PID"
    [[ -z ${PERF_PID:-} ]] || stop_pid "$PERF_PID"
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${PIDS[i]}"
    done
    if [[ $KEEP == 1 ]]; then
        log "temp dir kept: $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

USED_PORTS=" "
# Ports are taken below the kernel's ephemeral range, so that no client
# connection on the machine (ours or anyone's) can be holding one.
read -r EPH_LO _ </proc/sys/net/ipv4/ip_local_port_range
PORT_LO=10000
PORT_SPAN=$((EPH_LO - PORT_LO))
((PORT_SPAN >= 1000)) || PORT_LO=$((EPH_LO > 2000 ? EPH_LO / 2 : 1024)) PORT_SPAN=$((EPH_LO - PORT_LO))
# A free loopback port: random, not ours already, nothing listening on it.
free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((PORT_LO + RANDOM % PORT_SPAN))
        [[ $USED_PORTS == *" $p "* ]] && continue
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            USED_PORTS+="$p "
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

# Fills @NAME@ placeholders from NAME=value arguments.
render() {
    local in=$1 out=$2
    shift 2
    local args=() kv
    for kv in "$@"; do
        args+=(-e "s|@${kv%%=*}@|${kv#*=}|g")
    done
    sed "${args[@]}" "$in" >"$out"
}

# The last lines of a server's output (and of nginx's error log).
server_log() {
    tail -n 30 "$TMP/$1.log" "$TMP/$1/error.log" 2>/dev/null || true
}

# wait_http NAME PID URL [curl args...]: until URL answers 2xx; bounded (15 s).
wait_http() {
    local name=$1 pid=$2 url=$3 i code
    shift 3
    for ((i = 0; i < 150; i++)); do
        is_running "$pid" || die "$name exited during start-up; its log:
$(server_log "$name")"
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" "$url" 2>/dev/null) || true
        [[ $code == 2* ]] && return 0
        sleep 0.1
    done
    die "$name not ready after 15 s (last status '$code' from $url); its log:
$(server_log "$name")"
}

# start_nginx NAME TEMPLATE WORKERS PORT [KEY=VALUE...] -> sets LAST_PID
start_nginx() {
    local name=$1 tmpl=$2 workers=$3 port=$4
    shift 4
    local dir=$TMP/$name
    mkdir -p "$dir/tmp"
    render "$tmpl" "$dir/nginx.conf" "DIR=$dir" "WORKERS=$workers" "PORT=$port" "$@"
    "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' \
        >"$TMP/$name.log" 2>&1 || die "nginx config for $name rejected:
$(cat "$TMP/$name.log")"
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' \
        >>"$TMP/$name.log" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

# --- one wrk run ------------------------------------------------------------------
FAILS=()
RUN_N=0
# run_wrk LABEL URL THREADS CONN DURATION [PID...]: runs wrk; measures the CPU
# of the PIDs' process trees over the run.  Sets W_REQ W_RPS W_P50 W_P99
# W_CPU (µs of CPU per request, "" without PIDs) W_CSW (context switches of
# the PIDs' threads per request, "" without PIDs) W_ERR (status errors)
# W_SOCK (socket errors).  A run with errors is recorded in FAILS.
# Optional, as assignments in front of the call (they last for that call):
#   WRK_BODY=FILE      the request body (default $BENCH_BODY_FILE)
#   WRK_KEYHDR=x-api-key  send the key as an Anthropic client does (x-api-key
#                      and anthropic-version) instead of Authorization: Bearer
#   WRK_PERF=FILE      perf record the first PID over the run, into FILE, with
#                      call graphs unwound from DWARF (seam is built without
#                      frame pointers), 999 samples/s
run_wrk() {
    local label=$1 url=$2 t=$3 c=$4 d=$5
    shift 5
    local pids=("$@") out c0 c1 line
    local body=${WRK_BODY:-$BENCH_BODY_FILE} keyhdr=${WRK_KEYHDR:-authorization}
    RUN_N=$((RUN_N + 1))
    out=$TMP/wrk-$RUN_N-${label//[^A-Za-z0-9_.-]/_}.txt
    for p in "${pids[@]}"; do
        is_running "$p" || die "$label: server pid $p is gone before the run"
    done
    if [[ -n ${WRK_PERF:-} ]]; then
        perf record --call-graph dwarf,16384 -F 999 -o "$WRK_PERF" -p "${pids[0]}" >"$WRK_PERF.log" 2>&1 &
        PERF_PID=$!
        sleep 0.5 # attached to every thread before the load starts
        is_running "$PERF_PID" || die "$label: perf record did not start: $(cat "$WRK_PERF.log")"
    fi
    c0=$(proc_ticks "${pids[@]}")
    local x0=0 x1=0
    ((${#pids[@]} == 0)) || x0=$(proc_ctxsw "${pids[@]}")
    # In the background and waited for, so that a signal to this script is
    # handled at once (cleanup stops WRK_PID).
    timeout --kill-after=5 $(($(secs "$d") + 30)) \
        env BENCH_KEY="${KEY:-sk-none}" BENCH_BODY_FILE="$body" BENCH_KEY_HEADER="$keyhdr" \
        wrk -t"$t" -c"$c" -d"$d" --latency -s "$LUA" "$url" \
        >"$out" 2>&1 &
    WRK_PID=$!
    local rc=0
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    if [[ -n ${WRK_PERF:-} ]]; then
        kill -INT "$PERF_PID" 2>/dev/null || true
        wait "$PERF_PID" 2>/dev/null || true
        PERF_PID=""
    fi
    if ((rc)); then
        cat "$out" >&2
        die "$label: wrk failed or did not stop (exit $rc)"
    fi
    c1=$(proc_ticks "${pids[@]}")
    ((${#pids[@]} == 0)) || x1=$(proc_ctxsw "${pids[@]}")
    line=$(grep '^BENCH ' "$out") || {
        cat "$out" >&2
        die "$label: no BENCH line in wrk's output"
    }
    local requests duration_us p50_us p99_us status_errors connect_errors read_errors write_errors timeouts
    eval "$(echo "${line#BENCH }" | tr ' ' '\n' | grep -E '^(requests|duration_us|p50_us|p99_us|status_errors|connect_errors|read_errors|write_errors|timeouts)=[0-9.]+$')"
    W_REQ=$requests
    W_P50=$p50_us
    W_P99=$p99_us
    W_ERR=$status_errors
    W_SOCK=$((connect_errors + read_errors + write_errors + timeouts))
    W_RPS=$(awk -v n="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", (d > 0 ? n * 1e6 / d : 0) }')
    W_CPU="" W_CSW=""
    if ((${#pids[@]})); then
        W_CPU=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" -v n="$requests" \
            'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }')
        W_CSW=$(awk -v a="$x0" -v b="$x1" -v n="$requests" 'BEGIN { printf "%.2f", (n > 0 ? (b - a) / n : 0) }')
    fi
    if ((requests == 0 || W_ERR > 0 || W_SOCK > 0)); then
        local msg="$label: $requests requests, $W_ERR non-2xx/3xx responses, socket errors: connect $connect_errors, read $read_errors, write $write_errors, timeout $timeouts"
        FAILS+=("$msg")
        printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
        printf '!!! %s\n' "$msg" >&2
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
        sed 's/^/    wrk| /' "$out" >&2
        if [[ -n ${SEAM_PID:-} && " ${pids[*]} " == *" $SEAM_PID "* ]]; then
            show_seam_errors "$url" "$body" "$keyhdr"
        fi
    fi
    for p in "${pids[@]}"; do
        if ! is_running "$p"; then
            FAILS+=("$label: server pid $p died during the run")
            die "$label: server pid $p died during the run; log tail:
$(tail -n 30 "$TMP"/*.log 2>/dev/null)"
        fi
    done
    log "$(printf '%-22s %8s req/s  p50 %6s us  p99 %6s us  cpu %6s us/req  (%s requests, %s non-2xx, %s socket errors)' \
        "$label" "$W_RPS" "$W_P50" "$W_P99" "${W_CPU:--}" "$W_REQ" "$W_ERR" "$W_SOCK")"
}

# auth_args KEYHDR: curl's arguments for the key, as run_wrk's wrk sends it.
auth_args() {
    if [[ $1 == x-api-key ]]; then
        printf '%s\n' -H "x-api-key: $KEY" -H "anthropic-version: 2023-06-01"
    else
        printf '%s\n' -H "Authorization: Bearer $KEY"
    fi
}

# What seam answers when it answers an error: one sample request (the URL,
# body and key header of the failed run), and the statuses in its access log.
show_seam_errors() {
    local url=${1:-http://127.0.0.1:$SEAM_PORT/v1/chat/completions} body=${2:-$BENCH_BODY_FILE} keyhdr=${3:-authorization}
    local -a auth
    mapfile -t auth < <(auth_args "$keyhdr")
    log "one request to seam, verbatim (POST $url, body $(basename "$body")):"
    curl -s -i --max-time 5 "${auth[@]}" -H 'Content-Type: application/json' \
        --data-binary @"$body" "$url" |
        sed 's/^/    seam| /' >&2 || true
    echo >&2
    log "statuses in seam's access log (count status):"
    grep -oE '"status": ?[0-9]+' "$TMP/seam.log" 2>/dev/null | grep -oE '[0-9]+$' | sort | uniq -c |
        sed 's/^/    /' >&2 || true
    log "last non-access-log lines of seam's stderr:"
    grep -v '"status"' "$TMP/seam.log" 2>/dev/null | tail -n 10 | sed 's/^/    seam| /' >&2 || true
}

# The median of numbers; of an even count, the mean of the middle two, with
# as many decimals as the most precise input (integers stay integers).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1; d = index($1, ".") ? length($1) - index($1, ".") : 0
                                          if (d > dec) dec = d }
        END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2];
              else printf "%.*f\n", dec, (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# The median of ratios (values or "n/a"), to two decimals; n/a when none.
median_ratio() {
    printf '%s\n' "$@" | grep -v '^n/a$' | sort -g | awk '{ a[NR] = $1 }
        END { if (NR == 0) print "n/a"; else if (NR % 2) printf "%.2f\n", a[(NR + 1) / 2];
              else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "n/a"; else printf "%+.0f", a - b }'; }
mb() { awk -v k="$1" 'BEGIN { if (k == "") print "n/a"; else printf "%.1f", k / 1024 }'; }
fmt0() { awk -v a="$1" 'BEGIN { if (a == "") print "n/a"; else printf "%.0f", a }'; }

# Busy share of all CPUs over 1 s, from /proc/stat, in % of one CPU x nproc:
# what else runs on the machine (measured while none of ours run).
busy_pct() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.0f", (y[2] > x[2] ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0) }'
}
# log_status_counts FILE [PATH [ROUTE]]: "COUNT STATUS" lines from a seam
# access log, for requests to PATH (default /v1/chat/completions), and only
# those routed to ROUTE when given.
log_status_counts() {
    local file=$1 path=${2:-/v1/chat/completions} route=${3:-}
    grep -F "\"path\":\"$path\"," "$file" 2>/dev/null |
        { if [[ -n $route ]]; then grep -F "\"route\":\"$route\","; else cat; fi; } |
        grep -oE '"status":[0-9]+' | grep -oE '[0-9]+$' | sort | uniq -c || true
}
# log_statuses FILE [PATH [ROUTE]]: the same as "N × STATUS, ..."
log_statuses() {
    log_status_counts "$@" | awk '{ printf "%s%s × %s", (NR > 1 ? ", " : ""), $1, $2 }'
}

BUSY_BEFORE=$(busy_pct)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "other load on the machine before start: ${BUSY_BEFORE}% of all CPUs busy (load average $LOAD_BEFORE)"

# --- 1. upstream, 2. nginx proxy ------------------------------------------------
# The replies go into nginx's config in '...' through sed (render): no ', |,
# & or backslash in them.
REPLY=$(tr -d '\n' <"$ROOT/bench/conf/reply.json")
[[ $REPLY != *[\'\|\&\\]* ]] || die "bench/conf/reply.json must not contain ' | & or \\"
REPLY_ANTH=$(tr -d '\n' <"$ROOT/bench/conf/reply-anthropic.json")
[[ $REPLY_ANTH != *[\'\|\&\\]* ]] || die "bench/conf/reply-anthropic.json must not contain ' | & or \\"
UP_PORT=$(free_port)
NGX_PORT=$(free_port)
SEAM_PORT=$(free_port)
CHAT=/v1/chat/completions

log "temp dir $TMP; workers: $WORKERS per proxy, $UP_WORKERS for the upstream"
if [[ $SKIP_SEAM != 1 ]]; then
    # Run a copy: build/seam may be rebuilt while the benchmark runs.
    SEAM_SHA_START=$(sha256sum "$SEAM" | cut -c1-12)
    SEAM_BUILT=$(date -u -r "$SEAM" '+%Y-%m-%d %H:%M UTC')
    cp "$SEAM" "$TMP/seam"
    SEAM=$TMP/seam
fi
start_nginx upstream "$ROOT/bench/conf/nginx-upstream.conf.in" "$UP_WORKERS" "$UP_PORT" \
    "REPLY=$REPLY" "REPLY_ANTH=$REPLY_ANTH"
UP_PID=$LAST_PID
wait_http upstream "$UP_PID" "http://127.0.0.1:$UP_PORT$CHAT" --data-binary @"$BENCH_BODY_FILE"
start_nginx nginx "$ROOT/bench/conf/nginx-proxy.conf.in" "$WORKERS" "$NGX_PORT" "UPPORT=$UP_PORT"
NGX_PID=$LAST_PID
wait_http nginx "$NGX_PID" "http://127.0.0.1:$NGX_PORT$CHAT" --data-binary @"$BENCH_BODY_FILE"
log "upstream on :$UP_PORT (pid $UP_PID), nginx proxy on :$NGX_PORT (pid $NGX_PID)"

# --- 3. seam ------------------------------------------------------------------------
KEY=""
SEAM_PID=""
RSS_IDLE="" RSS_LOADED="" HWM_LOADED="" SEAM_THREADS="" STATUSES1=""
URL_MSG=http://127.0.0.1:$SEAM_PORT/v1/messages
ANTH_BODY_FILE=$ROOT/bench/conf/request-anthropic.json  # an Anthropic client's body, model chat
ROUTE_BODY_FILE=$TMP/request-chat-anthropic.json        # request.json with model chat-anthropic
sed 's/"model":"chat"/"model":"chat-anthropic"/' "$BENCH_BODY_FILE" >"$ROUTE_BODY_FILE"
grep -q '"model":"chat-anthropic"' "$ROUTE_BODY_FILE" ||
    die "bench/conf/request.json must contain \"model\":\"chat\" (section anthropic sends it with model chat-anthropic)"

# check_answer NAME CODE BODY WHAT PATTERN...: CODE must be 200 and BODY
# contain every PATTERN; otherwise stop, showing the body.
check_answer() {
    local name=$1 code=$2 body=$3 what=$4 pat
    shift 4
    [[ $code == 200 ]] || die "$name answered $code, not 200; its answer:
$body"
    for pat in "$@"; do
        [[ $body == *"$pat"* ]] || die "$name answered 200 but not $what (no '$pat' in it); its answer:
$body"
    done
}
# post URL BODYFILE KEYHDR: prints the answer's body, a newline, the status.
post() {
    local -a auth
    mapfile -t auth < <(auth_args "$3")
    curl -s --max-time 5 -w '\n%{http_code}' "${auth[@]}" -H 'Content-Type: application/json' \
        --data-binary @"$2" "$1" || echo "
curl-failed"
}

# The upstream speaks both wires.
a=$(post "http://127.0.0.1:$UP_PORT/v1/messages" "$ANTH_BODY_FILE" x-api-key)
check_answer "the upstream (POST /v1/messages)" "${a##*$'\n'}" "${a%$'\n'*}" "an Anthropic message" \
    '"type":"message"' '"content":[{"type":"text"' '"stop_reason":"end_turn"'

SH_PORT=$(free_port)
SHADOW_BODY_FILE=$TMP/request-chat-shadow.json # request.json with model chat-shadow
sed 's/"model":"chat"/"model":"chat-shadow"/' "$BENCH_BODY_FILE" >"$SHADOW_BODY_FILE"
if has shadow; then
    "$SEAM" mock --listen "127.0.0.1:$SH_PORT" --latency 500 --echo --workers 2 >"$TMP/shadow-mock.log" 2>&1 &
    SH_MOCK_PID=$!
    PIDS+=("$SH_MOCK_PID")
    wait_http shadow-mock "$SH_MOCK_PID" "http://127.0.0.1:$SH_PORT/healthz"
fi
if [[ $SKIP_SEAM != 1 ]]; then
    render "$ROOT/bench/conf/seam.yaml.in" "$TMP/seam.yaml" \
        "DIR=$TMP" "PORT=$SEAM_PORT" "WORKERS=$WORKERS" "UPPORT=$UP_PORT" \
        "SHPORT=$SH_PORT" "SHMAX=$SH_MAX" "SHSAMPLE=$SH_SAMPLE"
    KEY=$(timeout 30 "$SEAM" keys create --name bench --config "$TMP/seam.yaml" 2>"$TMP/keys.log" | tail -n 1) ||
        die "seam keys create failed: $(cat "$TMP/keys.log")"
    [[ -n $KEY && $KEY != *" "* ]] || die "seam keys create printed no key (got '$KEY'): $(cat "$TMP/keys.log")"
    "$SEAM" serve --config "$TMP/seam.yaml" >"$TMP/seam.out" 2>"$TMP/seam.log" &
    SEAM_PID=$!
    PIDS+=("$SEAM_PID")
    wait_http seam "$SEAM_PID" "http://127.0.0.1:$SEAM_PORT/healthz"
    sleep 1
    RSS_IDLE=$(proc_status_kb "$SEAM_PID" VmRSS)
    SEAM_THREADS=$(proc_threads "$SEAM_PID")
    log "seam on :$SEAM_PORT (pid $SEAM_PID, $SEAM_THREADS threads), idle VmRSS $(mb "$RSS_IDLE") MB"

    # One request through each path, checked, before any load.
    for path in "nginx $NGX_PORT" "seam $SEAM_PORT"; do
        read -r -a pp <<<"$path"
        a=$(post "http://127.0.0.1:${pp[1]}$CHAT" "$BENCH_BODY_FILE" authorization)
        check_answer "${pp[0]}" "${a##*$'\n'}" "${a%$'\n'*}" "a chat.completion with usage" \
            '"chat.completion"' '"usage"'
    done
    log "a request through seam: 200, chat.completion with usage"
    if has anthropic; then
        # The answer of the anthropic-type provider, translated: the upstream's
        # Anthropic message id and text, in OpenAI's shape.
        a=$(post "http://127.0.0.1:$SEAM_PORT$CHAT" "$ROUTE_BODY_FILE" authorization)
        check_answer "seam, route chat-anthropic" "${a##*$'\n'}" "${a%$'\n'*}" \
            "the upstream's Anthropic message as a chat.completion" \
            '"chat.completion"' '"usage"' '"msg_01Bench' '"finish_reason":"stop"' 'To reset your VPN token'
        log "a request through seam's route chat-anthropic: 200, the Anthropic message as a chat.completion"
        if ((ANTH_CLIENT)); then
            a=$(post "$URL_MSG" "$ANTH_BODY_FILE" x-api-key)
            check_answer "seam, POST /v1/messages (route chat)" "${a##*$'\n'}" "${a%$'\n'*}" \
                "an Anthropic message" '"type":"message"' '"stop_reason":"end_turn"' 'To reset your VPN token'
            log "an Anthropic client's request through seam (route chat): 200, an Anthropic message"
        fi
    fi
fi

# --- 4, 5. throughput and CPU, interleaved rounds ---------------------------------
URL_NGX=http://127.0.0.1:$NGX_PORT$CHAT
URL_SEAM=http://127.0.0.1:$SEAM_PORT$CHAT
URL_UP=http://127.0.0.1:$UP_PORT$CHAT

declare -a N_RPS N_P50 N_P99 N_CPU S_RPS S_P50 S_P99 S_CPU ROUND_ROWS
THREAD_CPU=""
if has throughput; then
    log "warm-up: $WARMUP each"
    run_wrk "warm-up nginx" "$URL_NGX" "$THREADS" "$CONN" "$WARMUP"
    [[ $SKIP_SEAM == 1 ]] || run_wrk "warm-up seam" "$URL_SEAM" "$THREADS" "$CONN" "$WARMUP"

    S_REQ_TOTAL=0
    [[ $SKIP_SEAM == 1 ]] || proc_thread_ticks "$SEAM_PID" >"$TMP/threads0.txt"
    for ((r = 1; r <= ROUNDS; r++)); do
        log "round $r/$ROUNDS: wrk -t$THREADS -c$CONN -d$DURATION"
        # Odd rounds run nginx first, even rounds seam first, so that neither
        # always follows the other.
        order=(nginx seam)
        ((r % 2)) || order=(seam nginx)
        for who in "${order[@]}"; do
            if [[ $who == nginx ]]; then
                run_wrk "nginx round $r" "$URL_NGX" "$THREADS" "$CONN" "$DURATION" "$NGX_PID"
                N_RPS+=("$W_RPS") N_P50+=("$W_P50") N_P99+=("$W_P99") N_CPU+=("$W_CPU")
                ROUND_ROWS+=("| $r | nginx proxy | $W_RPS | $W_P50 | $W_P99 | $W_CPU | $W_REQ | $W_ERR | $W_SOCK |")
            elif [[ $SKIP_SEAM != 1 ]]; then
                run_wrk "seam round $r" "$URL_SEAM" "$THREADS" "$CONN" "$DURATION" "$SEAM_PID"
                S_RPS+=("$W_RPS") S_P50+=("$W_P50") S_P99+=("$W_P99") S_CPU+=("$W_CPU")
                S_REQ_TOTAL=$((S_REQ_TOTAL + W_REQ))
                ROUND_ROWS+=("| $r | seam | $W_RPS | $W_P50 | $W_P99 | $W_CPU | $W_REQ | $W_ERR | $W_SOCK |")
            fi
        done
    done

    # seam's CPU by thread over the rounds (seam is idle during nginx's rounds):
    # the main thread is the process id; the others in order of creation.
    if [[ $SKIP_SEAM != 1 ]]; then
        proc_thread_ticks "$SEAM_PID" >"$TMP/threads1.txt"
        THREAD_CPU=$(awk -v hz="$CLK_TCK" -v n="$S_REQ_TOTAL" -v pid="$SEAM_PID" '
            NR == FNR { t0[$1] = $2; next }
            { d = $2 - t0[$1]; name = ($1 == pid ? "main" : "thread " (++k)); total += d
              out = out sprintf("%s%s %.1f", (out == "" ? "" : ", "), name, (n > 0 ? d * 1e6 / hz / n : 0)) }
            END { printf "%s (µs/req; total %.1f)", out, (n > 0 ? total * 1e6 / hz / n : 0) }' \
            "$TMP/threads0.txt" "$TMP/threads1.txt")
        log "seam CPU by thread over the rounds: $THREAD_CPU"
    fi
fi

# --- 6. latency at concurrency 1 ----------------------------------------------------
# Rounds of (direct, nginx, seam), the order rotating from round to round;
# medians over the rounds.
declare -a LU50 LU99 LN50 LN99 LNCPU LS50 LS99 LSCPU LAT_ROWS
if has latency; then
    log "latency at c=1: wrk -t1 -c1 -d$LAT_DURATION, $LAT_ROUNDS rounds of (direct, nginx, seam)"
    paths=(direct nginx seam)
    [[ $SKIP_SEAM != 1 ]] || paths=(direct nginx)
    for ((r = 1; r <= LAT_ROUNDS; r++)); do
        n=${#paths[@]}
        for ((k = 0; k < n; k++)); do
            who=${paths[(k + r - 1) % n]}
            case $who in
            direct)
                run_wrk "c1 direct round $r" "$URL_UP" 1 1 "$LAT_DURATION"
                LU50+=("$W_P50") LU99+=("$W_P99")
                ;;
            nginx)
                run_wrk "c1 nginx round $r" "$URL_NGX" 1 1 "$LAT_DURATION" "$NGX_PID"
                LN50+=("$W_P50") LN99+=("$W_P99") LNCPU+=("$W_CPU")
                ;;
            seam)
                run_wrk "c1 seam round $r" "$URL_SEAM" 1 1 "$LAT_DURATION" "$SEAM_PID"
                LS50+=("$W_P50") LS99+=("$W_P99") LSCPU+=("$W_CPU")
                ;;
            esac
            LAT_ROWS+=("| $r | $who | $W_RPS | $W_P50 | $W_P99 | ${W_CPU:-—} |")
        done
    done
fi
L_UP_50=$(median "${LU50[@]}") L_UP_99=$(median "${LU99[@]}")
L_NGX_50=$(median "${LN50[@]}") L_NGX_99=$(median "${LN99[@]}") L_NGX_CPU=$(median "${LNCPU[@]}")
L_SEAM_50="" L_SEAM_99="" L_SEAM_CPU=""
if [[ $SKIP_SEAM != 1 ]] && has latency; then
    L_SEAM_50=$(median "${LS50[@]}") L_SEAM_99=$(median "${LS99[@]}") L_SEAM_CPU=$(median "${LSCPU[@]}")
fi

# --- 6b. translation: an anthropic-type upstream, and an Anthropic client ------------
# Three paths through the same seam to the same upstream, same load as 4:
#   pass    route chat, POST /v1/chat/completions: the OpenAI passthrough
#   anth    route chat-anthropic, POST /v1/chat/completions: OpenAI request ->
#           Anthropic Messages request upstream -> Anthropic answer -> OpenAI
#   client  route chat, POST /v1/messages with an Anthropic body and x-api-key:
#           Anthropic request -> OpenAI upstream -> answer back to Anthropic
# Rounds interleave them, the order rotating; medians; ratios to pass.
declare -A XP_NAME=([pass]="passthrough (route chat, OpenAI upstream)"
    [anth]="anthropic upstream (route chat-anthropic)"
    [client]="Anthropic client (POST /v1/messages, route chat)")
declare -A XP_URL XP_BODY XP_HDR XP_PATH XP_ROUTE XR_RPS XR_P50 XR_P99 XR_CPU XV_RPS XV_CPU
declare -A XM_RPS XM_P50 XM_P99 XM_CPU XR_CSW XM_CSW
XP_URL=([pass]=$URL_SEAM [anth]=$URL_SEAM [client]=$URL_MSG)
XP_BODY=([pass]=$BENCH_BODY_FILE [anth]=$ROUTE_BODY_FILE [client]=$ANTH_BODY_FILE)
XP_HDR=([pass]=authorization [anth]=authorization [client]=x-api-key)
XP_PATH=([pass]=$CHAT [anth]=$CHAT [client]=/v1/messages)
XP_ROUTE=([pass]=chat [anth]=chat-anthropic [client]=chat)
declare -a XPATHS=(pass anth) X_ROWS
((ANTH_CLIENT)) && XPATHS+=(client)
XL_STATUS_ROWS=()
PROFILED=()

# xl_run WHO LABEL DURATION: one wrk run of path WHO at the throughput load.
xl_run() {
    local who=$1
    WRK_BODY=${XP_BODY[$who]} WRK_KEYHDR=${XP_HDR[$who]} \
        run_wrk "$2" "${XP_URL[$who]}" "$THREADS" "$CONN" "$3" "$SEAM_PID"
}

if has anthropic; then
    log "translation: warm-up $WARMUP each of: ${XPATHS[*]}"
    for who in "${XPATHS[@]}"; do xl_run "$who" "warm-up seam $who" "$WARMUP"; done
    n=${#XPATHS[@]}
    for ((r = 1; r <= XL_ROUNDS; r++)); do
        log "translation round $r/$XL_ROUNDS: wrk -t$THREADS -c$CONN -d$DURATION"
        for ((k = 0; k < n; k++)); do
            who=${XPATHS[(k + r - 1) % n]}
            xl_run "$who" "seam $who round $r" "$DURATION"
            XR_RPS[$who]+=" $W_RPS" XR_P50[$who]+=" $W_P50" XR_P99[$who]+=" $W_P99" XR_CPU[$who]+=" $W_CPU"
            XV_RPS[$who:$r]=$W_RPS XV_CPU[$who:$r]=$W_CPU XR_CSW[$who]+=" $W_CSW"
            X_ROWS+=("| $r | ${XP_NAME[$who]} | $W_RPS | $W_P50 | $W_P99 | $W_CPU | $W_CSW | $W_REQ | $W_ERR | $W_SOCK |")
        done
    done
    for who in "${XPATHS[@]}"; do
        # shellcheck disable=SC2086 # the lists are space-separated numbers
        XM_RPS[$who]=$(median ${XR_RPS[$who]}) XM_P50[$who]=$(median ${XR_P50[$who]})
        # shellcheck disable=SC2086
        XM_P99[$who]=$(median ${XR_P99[$who]}) XM_CPU[$who]=$(median ${XR_CPU[$who]})
        # shellcheck disable=SC2086
        XM_CSW[$who]=$(median ${XR_CSW[$who]})
        log "translation, $who (median): ${XM_RPS[$who]} req/s, p50 ${XM_P50[$who]} us, p99 ${XM_P99[$who]} us, cpu ${XM_CPU[$who]} us/req; ratio to pass: req/s $(ratio "${XM_RPS[$who]}" "${XM_RPS[pass]}"), cpu $(ratio "${XM_CPU[$who]}" "${XM_CPU[pass]}")"
    done
    if [[ $PROFILE == 1 ]]; then
        # One more run of each path under perf record (not in the medians:
        # perf costs seam some CPU too).
        for who in anth pass client; do
            [[ " ${XPATHS[*]} " == *" $who "* ]] || continue
            log "translation: perf record of seam during a $DURATION run of $who"
            WRK_PERF=$TMP/perf-$who.data xl_run "$who" "seam $who perf" "$DURATION"
            PROFILED+=("$who")
        done
    fi
    # Every answer must have been 2xx: wrk counts only >= 400 as errors, so
    # the access log is read too (a 499 is a request in flight when wrk
    # stopped and closed its connection).
    for who in "${XPATHS[@]}"; do
        counts=$(log_status_counts "$TMP/seam.log" "${XP_PATH[$who]}" "${XP_ROUTE[$who]}")
        XL_STATUS_ROWS+=("${XP_NAME[$who]}: $(log_statuses "$TMP/seam.log" "${XP_PATH[$who]}" "${XP_ROUTE[$who]}")")
        bad=$(awk '$2 !~ /^2/ && $2 != 499 { n += $1 } END { print n + 0 }' <<<"$counts")
        if ((bad > 0)); then
            msg="translation, ${XP_NAME[$who]}: $bad answers neither 2xx nor 499 in seam's access log ($(log_statuses "$TMP/seam.log" "${XP_PATH[$who]}" "${XP_ROUTE[$who]}"))"
            FAILS+=("$msg")
            printf '\n!!! %s\n' "$msg" >&2
            show_seam_errors "${XP_URL[$who]}" "${XP_BODY[$who]}" "${XP_HDR[$who]}"
        fi
    done
fi

# --- 6c. shadow traffic: does a slow shadow slow the client? ---------------------------
# Routes chat and chat-shadow (the same, plus a copy of every request to a
# mock 500 ms slower), interleaved rounds, order alternating; medians.
declare -A SH_P50 SH_P99 SH_P999 SH_CPU SHM_P50 SHM_P99 SHM_P999 SHM_CPU
SH_ROWS=() SH_EVENTS=""
# sh_run WHO LABEL SECONDS: open-loop load (bench/rate.mjs) on route WHO.
sh_run() {
    local who=$1 body=$BENCH_BODY_FILE out=$TMP/rate-$1-$RANDOM.json c0 c1
    [[ $who == shadow ]] && body=$SHADOW_BODY_FILE
    c0=$(proc_ticks "$SEAM_PID")
    node "$ROOT/bench/rate.mjs" --url "$URL_SEAM" --key "$KEY" --body "$body" \
        --rate "$SH_RATE" --seconds "$3" >"$out" 2>&1 || FAILS+=("$2: $(cat "$out")")
    c1=$(proc_ticks "$SEAM_PID")
    local j
    j=$(tail -n 1 "$out")
    W_REQ=$(sed -E 's/.*"requests":([0-9]+).*/\1/' <<<"$j")
    W_P50=$(sed -E 's/.*"p50_us":([0-9]+).*/\1/' <<<"$j")
    W_P99=$(sed -E 's/.*"p99_us":([0-9]+).*/\1/' <<<"$j")
    W_P999=$(sed -E 's/.*"p999_us":([0-9]+).*/\1/' <<<"$j")
    W_CPU=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" -v n="$W_REQ" \
        'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }')
    log "$(printf '%-22s %s req at %s/s  p50 %6s us  p99 %6s us  p99.9 %6s us  cpu %6s us/req' \
        "$2" "$W_REQ" "$SH_RATE" "$W_P50" "$W_P99" "$W_P999" "$W_CPU")"
}
if has shadow; then
    sh_secs=$(secs "$DURATION")
    log "shadow: warm-up 2 s each of: plain, shadow"
    for who in plain shadow; do sh_run "$who" "warm-up seam $who" 2; done
    for ((r = 1; r <= ROUNDS; r++)); do
        log "shadow round $r/$ROUNDS: $SH_RATE requests/s for $sh_secs s"
        for who in $( ((r % 2)) && echo plain shadow || echo shadow plain); do
            sh_run "$who" "seam $who round $r" "$sh_secs"
            SH_P50[$who]+=" $W_P50" SH_P99[$who]+=" $W_P99" SH_P999[$who]+=" $W_P999" SH_CPU[$who]+=" $W_CPU"
            SH_ROWS+=("| $r | $who | $W_REQ | $W_P50 | $W_P99 | $W_P999 | $W_CPU |")
        done
    done
    for who in plain shadow; do
        # shellcheck disable=SC2086 # space-separated numbers
        SHM_P50[$who]=$(median ${SH_P50[$who]}) SHM_P99[$who]=$(median ${SH_P99[$who]})
        # shellcheck disable=SC2086
        SHM_P999[$who]=$(median ${SH_P999[$who]}) SHM_CPU[$who]=$(median ${SH_CPU[$who]})
    done
    sleep 1 # the last shadows end (500 ms) and are counted
    SH_EVENTS=$(curl -s "http://127.0.0.1:$SEAM_PORT/metrics" | grep 'route="chat-shadow",event="shadow' | sed 's/seam_route_events_total//')
    log "shadow (median): plain p99 ${SHM_P99[plain]} us, shadow p99 ${SHM_P99[shadow]} us ($(ratio "${SHM_P99[shadow]}" "${SHM_P99[plain]}")x)"
fi

report_shadow() {
    echo "## Shadow traffic (route chat-shadow: every request also sent to a mock 500 ms slower)"
    echo
    echo "Open-loop load at a fixed $SH_RATE requests/s (\`bench/rate.mjs\`: requests leave on schedule"
    echo "whatever the answers do), $(secs "$DURATION") s per round, $ROUNDS rounds, order alternating, medians."
    echo "Route \`chat\` against \`chat-shadow\`, the same plus a copy of every request (sample $SH_SAMPLE)"
    echo "to \`seam mock --latency 500\` (max_inflight $SH_MAX on that provider)."
    echo
    echo "| route | p50 µs | p99 µs | p99.9 µs | seam CPU µs/req |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    for who in plain shadow; do
        echo "| $who | ${SHM_P50[$who]} | ${SHM_P99[$who]} | ${SHM_P999[$who]} | ${SHM_CPU[$who]} |"
    done
    echo "| **shadow / plain** | $(ratio "${SHM_P50[shadow]}" "${SHM_P50[plain]}")× | **$(ratio "${SHM_P99[shadow]}" "${SHM_P99[plain]}")×** | $(ratio "${SHM_P999[shadow]}" "${SHM_P999[plain]}")× | $(ratio "${SHM_CPU[shadow]}" "${SHM_CPU[plain]}")× |"
    echo
    echo "Shadow calls (seam_route_events_total, warm-up included):"
    echo
    echo "\`\`\`"
    echo "$SH_EVENTS"
    echo "\`\`\`"
    echo
    echo "| round | route | requests | p50 µs | p99 µs | p99.9 µs | seam CPU µs/req |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${SH_ROWS[@]}"
    echo
}

if [[ $SKIP_SEAM != 1 ]]; then
    RSS_LOADED=$(proc_status_kb "$SEAM_PID" VmRSS)
    HWM_LOADED=$(proc_status_kb "$SEAM_PID" VmHWM)
    ACCESS_LINES=$(wc -l <"$TMP/seam.log")
    log "seam after the load runs: VmRSS $(mb "$RSS_LOADED") MB, VmHWM $(mb "$HWM_LOADED") MB; $ACCESS_LINES lines on stderr (access log)"
    STATUSES1=$(log_statuses "$TMP/seam.log" "$CHAT" chat)
    log "seam access log, route chat on $CHAT by status: $STATUSES1"
    stop_pid "$SEAM_PID"
fi
stop_pid "$NGX_PID"

# perf report of the profiled runs, before the copy of seam goes with $TMP:
#   perf-WHO.txt   perf report --no-children --sort dso,sym (self time), as text
#   perf-WHO.tsv   the same as "percent <tab> dso <tab> symbol"
#   perf-WHO.incl  inclusive time (--children) of seam's and jansson's named
#                  functions: "percent <tab> dso <tab> symbol"
# The first 60 lines of the text go next to the report (bench/out/).
for who in "${PROFILED[@]}"; do
    pf=$TMP/perf-$who
    perf report -i "$pf.data" --no-children --sort dso,sym -g none --stdio >"$pf.txt" 2>/dev/null || true
    perf report -i "$pf.data" --no-children --sort dso,sym -g none --stdio -t $'\t' 2>/dev/null |
        awk -F'\t' '$1 ~ /^ *[0-9.]+%/ { gsub(/[ %]/, "", $1); gsub(/^ +| +$/, "", $2); print $1 "\t" $2 "\t" $3 }' >"$pf.tsv" || true
    perf report -i "$pf.data" --children --sort dso,sym -g none --stdio -t $'\t' 2>/dev/null |
        awk -F'\t' '$1 ~ /^ *[0-9.]+%/ { gsub(/[ %]/, "", $1); gsub(/^ +| +$/, "", $3)
            if (($3 == "seam" || $3 ~ /^libjansson/) && $4 !~ /\] 0x/) print $1 "\t" $3 "\t" $4 }' >"$pf.incl" || true
    mkdir -p "$(dirname "$OUT")"
    head -n 60 "$pf.txt" >"$(dirname "$OUT")/perf-$who.txt"
done

# --- 7. memory with many concurrent streams -----------------------------------------
STATUSES2="" ST_DONE="" ST_JSON="" ST_EVENTS=0 ST_DUR="" ST_TTFB="" ST_NOMINAL=""
ST_SEAM_CPU="" ST_MOCK_CPU="" ST_EV_CPU="" RSS2_IDLE="" RSS2_MID="" RSS2_PEAK="" HWM2="" RSS2_AFTER="" FDS_PEAK=""
if has streams; then
    M_PORT=$(free_port)
    S2_PORT=$(free_port)
    # --echo: the reply is the user message, one word per event up to 256
    # content events (beyond that, words share events), plus a role event,
    # a finish event and [DONE]: a stream lasts about events x delay.
    "$SEAM" mock --listen "127.0.0.1:$M_PORT" --chunk-delay "$CHUNK_DELAY" --echo \
        --workers "$MOCK_WORKERS" >"$TMP/mock.log" 2>&1 &
    MOCK_PID=$!
    PIDS+=("$MOCK_PID")
    wait_http mock "$MOCK_PID" "http://127.0.0.1:$M_PORT/healthz"
    render "$ROOT/bench/conf/seam-streams.yaml.in" "$TMP/seam2.yaml" \
        "DIR=$TMP" "PORT=$S2_PORT" "WORKERS=$WORKERS" "UPPORT=$UP_PORT" "MPORT=$M_PORT"
    "$SEAM" serve --config "$TMP/seam2.yaml" >"$TMP/seam2.out" 2>"$TMP/seam2.log" &
    S2_PID=$!
    PIDS+=("$S2_PID")
    wait_http seam2 "$S2_PID" "http://127.0.0.1:$S2_PORT/healthz"
    sleep 1
    RSS2_IDLE=$(proc_status_kb "$S2_PID" VmRSS)
    events=$((STREAM_WORDS < 256 ? STREAM_WORDS + 3 : 259))
    expect_s=$((events * CHUNK_DELAY / 1000))
    limit_s=$((expect_s * 3 + 60))
    log "streams: $STREAMS concurrent, $STREAM_WORDS-word message (~${expect_s} s each at ${CHUNK_DELAY} ms/event); seam idle VmRSS $(mb "$RSS2_IDLE") MB"
    node "$ROOT/bench/streams.mjs" --url "http://127.0.0.1:$S2_PORT$CHAT" --key "$KEY" \
        --n "$STREAMS" --words "$STREAM_WORDS" --model slow --timeout "$limit_s" \
        >"$TMP/streams.json" 2>"$TMP/streams.log" &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    t0=$(date +%s.%N)
    sc0=$(proc_ticks "$S2_PID") mc0=$(proc_ticks "$MOCK_PID")
    : >"$TMP/rss.txt"
    # Sample seam every 200 ms while the client runs (bounded by the client's
    # own timeout plus a margin).
    deadline=$(($(date +%s) + limit_s + 15))
    while is_running "$NODE_PID" && (($(date +%s) < deadline)); do
        fds=$(find /proc/"$S2_PID"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        echo "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN { printf "%.2f", a - b }') $(proc_status_kb "$S2_PID" VmRSS) $fds" >>"$TMP/rss.txt"
        is_running "$S2_PID" || break
        sleep 0.2
    done
    sc1=$(proc_ticks "$S2_PID") mc1=$(proc_ticks "$MOCK_PID")
    ST_SEAM_CPU=$(awk -v a="$sc0" -v b="$sc1" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')
    ST_MOCK_CPU=$(awk -v a="$mc0" -v b="$mc1" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (b - a) / hz }')
    is_running "$NODE_PID" && stop_pid "$NODE_PID"
    node_rc=0
    wait "$NODE_PID" 2>/dev/null || node_rc=$?
    is_running "$S2_PID" || FAILS+=("streams: seam (pid $S2_PID) died while holding the streams")
    ST_JSON=$(tail -n 1 "$TMP/streams.json" 2>/dev/null || true)
    sleep 2
    RSS2_AFTER=$(proc_status_kb "$S2_PID" VmRSS)
    HWM2=$(proc_status_kb "$S2_PID" VmHWM)
    RSS2_PEAK=$(awk 'BEGIN { m = 0 } $2 > m { m = $2 } END { print m }' "$TMP/rss.txt")
    FDS_PEAK=$(awk 'BEGIN { m = 0 } $3 > m { m = $3 } END { print m }' "$TMP/rss.txt")
    # mid-way: the sample nearest half of the client's wall time
    RSS2_MID=$(awk '{ t[NR] = $1; r[NR] = $2 } END { if (NR) { h = t[NR] / 2; b = 1
        for (i = 1; i <= NR; i++) if ((t[i] - h) ^ 2 < (t[b] - h) ^ 2) b = i; print r[b] } }' "$TMP/rss.txt")
    if [[ $ST_JSON == \{* ]]; then
        jf() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$ST_JSON" "$1"; }
        ST_DONE=$(jf "done")
        ST_EVENTS=$(jf events_max)
        ST_DUR=$(jf dur_p50_ms)
        ST_TTFB=$(jf ttfb_p50_ms)
        ST_NOMINAL=$((ST_EVENTS * CHUNK_DELAY))
        ST_EV_CPU=$(awk -v c="$ST_SEAM_CPU" -v n="$ST_DONE" -v e="$ST_EVENTS" \
            'BEGIN { printf "%.1f", (n * e > 0 ? c * 1e6 / (n * e) : 0) }')
    else
        ST_DONE=0
        ST_JSON='(no summary from bench/streams.mjs)'
    fi
    sed 's/^/    streams| /' "$TMP/streams.log" >&2
    log "streams: $ST_DONE/$STREAMS ended with data: [DONE]; VmRSS mid-way $(mb "$RSS2_MID") MB, peak $(mb "$RSS2_PEAK") MB (VmHWM $(mb "$HWM2") MB), $FDS_PEAK fds at most; after $(mb "$RSS2_AFTER") MB"
    log "streams: $ST_EVENTS events each, median duration $ST_DUR ms (events x delay: $ST_NOMINAL ms), first byte $ST_TTFB ms; CPU seam ${ST_SEAM_CPU} s (${ST_EV_CPU} us per event), mock ${ST_MOCK_CPU} s"
    log "streams summary: $ST_JSON"
    if [[ $ST_DONE != "$STREAMS" || $node_rc != 0 ]]; then
        FAILS+=("streams: $ST_DONE of $STREAMS streams ended with data: [DONE] (client exit $node_rc): $ST_JSON")
        grep -v '"status"' "$TMP/seam2.log" | tail -n 10 | sed 's/^/    seam| /' >&2 || true
    fi
    stop_pid "$S2_PID"
    stop_pid "$MOCK_PID"
    STATUSES2=$(log_statuses "$TMP/seam2.log")
fi
stop_pid "$UP_PID"
BUSY_AFTER=$(busy_pct)
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 8. report ---------------------------------------------------------------------------
# The section of the report for 6b (translation).
report_translation() {
    local who r pr pc xr xc rounds_txt=""
    xr=$(ratio "${XM_RPS[anth]}" "${XM_RPS[pass]}")
    xc=$(ratio "${XM_CPU[anth]}" "${XM_CPU[pass]}")
    echo "## Translation: Anthropic-type upstream (wrk -t$THREADS -c$CONN -d$DURATION, medians of $XL_ROUNDS interleaved rounds, order rotating)"
    echo
    echo "One seam, one upstream (which answers \`POST /v1/messages\` with a fixed"
    echo "$(wc -c <"$ROOT/bench/conf/reply-anthropic.json")-byte Anthropic message, \`bench/conf/reply-anthropic.json\`), $( ((${#XPATHS[@]} == 3)) && echo three || echo two) paths:"
    echo
    echo "- *passthrough*: route \`chat\` (provider type \`openai\`), the $(wc -c <"$BENCH_BODY_FILE")-byte OpenAI body of the throughput section;"
    echo "- *anthropic upstream*: the same body with model \`chat-anthropic\`: route to a provider of type"
    echo "  \`anthropic\` — translated to a Messages API request, and the Anthropic answer back to a \`chat.completion\`;"
    if [[ " ${XPATHS[*]} " == *" client "* ]]; then
        echo "- *Anthropic client*: \`POST /v1/messages\` with an Anthropic body ($(wc -c <"$ANTH_BODY_FILE") bytes, \`x-api-key\`),"
        echo "  route \`chat\` (the OpenAI upstream): translated to OpenAI and the answer back to an Anthropic message."
    fi
    echo
    echo "| path | req/s | p50 µs | p99 µs | CPU µs/req | ctx sw/req | req/s ÷ passthrough | CPU ÷ passthrough |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for who in pass anth client; do
        [[ " ${XPATHS[*]} " == *" $who "* ]] || continue
        pr=$(ratio "${XM_RPS[$who]}" "${XM_RPS[pass]}")
        pc=$(ratio "${XM_CPU[$who]}" "${XM_CPU[pass]}")
        [[ $who == pass ]] && pr="—" pc="—"
        [[ $who == anth ]] && pr="**${pr}×**" pc="**${pc}×**"
        [[ $who == client ]] && pr="${pr}×" pc="${pc}×"
        echo "| ${XP_NAME[$who]} | ${XM_RPS[$who]} | $(fmt0 "${XM_P50[$who]}") | $(fmt0 "${XM_P99[$who]}") | ${XM_CPU[$who]} | ${XM_CSW[$who]} | $pr | $pc |"
    done
    echo
    # Each round runs the paths back to back: the ratio within a round
    # cancels what the machine's speed does between rounds (a 2-vCPU VM on
    # a shared host runs whole rounds up to ~25% slower, user time included).
    local pr_list="" pc_list="" rounds_txt="" pr pc
    for ((r = 1; r <= XL_ROUNDS; r++)); do
        pr=$(ratio "${XV_RPS[anth:$r]:-}" "${XV_RPS[pass:$r]:-}")
        pc=$(ratio "${XV_CPU[anth:$r]:-}" "${XV_CPU[pass:$r]:-}")
        pr_list+=" $pr" pc_list+=" $pc"
        rounds_txt+="${rounds_txt:+; }round $r: ${pr}× req/s, ${pc}× CPU"
    done
    local yr yc ok_r ok_c
    # shellcheck disable=SC2086 # space-separated ratios
    yr=$(median_ratio $pr_list) yc=$(median_ratio $pc_list)
    ok_r=$(awk -v v="$yr" 'BEGIN { if (v == "n/a") print "n/a"; else print (v + 0 >= 0.90 ? "pass" : "FAIL") }')
    ok_c=$(awk -v v="$yc" 'BEGIN { if (v == "n/a") print "n/a"; else print (v + 0 <= 1.10 ? "pass" : "FAIL") }')
    echo "Target (the anthropic upstream within 10% of the passthrough), on the median of the rounds'"
    echo "own ratios: req/s ${yr}× — **$ok_r**; CPU µs/req ${yc}× — **$ok_c**. The ratios of the medians"
    echo "above: req/s ${xr}×, CPU ${xc}× ($(awk -v a="${XM_CPU[anth]}" -v b="${XM_CPU[pass]}" 'BEGIN {
        d = a - b; printf "%.1f µs %s per request", (d < 0 ? -d : d), (d < 0 ? "less" : "more") }'))."
    echo
    echo "Anthropic upstream ÷ passthrough in each round: $rounds_txt."
    echo "*ctx sw/req*: context switches of seam's threads per request (from \`/proc/PID/task/*/status\`,"
    echo "voluntary and not). Under this load nearly all are involuntary — a busy worker preempted by wrk"
    echo "or the upstream, which share the CPUs — so they grow with seam's CPU time per request, and each"
    echo "costs kernel time of its own."
    echo
    echo "seam's access log by status (warm-up included):"
    echo
    printf -- '- %s\n' "${XL_STATUS_ROWS[@]}"
    echo
    echo "Every round:"
    echo
    echo "| round | path | req/s | p50 µs | p99 µs | CPU µs/req | ctx sw/req | requests | non-2xx | socket errors |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${X_ROWS[@]}"
    echo
    ((${#PROFILED[@]})) || return 0
    local args=() incl=() cols="" seps="" delta=0 lines
    for who in "${PROFILED[@]}"; do
        args+=("$who" "${XM_CPU[$who]}" "$TMP/perf-$who.tsv")
        incl+=("$who" "${XM_CPU[$who]}" "$TMP/perf-$who.incl")
        cols+=" | $who µs/req (%)"
        seps+=" | ---:"
    done
    [[ " ${PROFILED[*]} " == *" anth "* && " ${PROFILED[*]} " == *" pass "* ]] && delta=1
    ((delta)) && cols+=" | anth − pass µs/req" seps+=" | ---:"
    lines=$(head -n 60 "$TMP/perf-${PROFILED[0]}.txt" | wc -l)
    echo "### Where seam's CPU goes (perf, BENCH_PROFILE=1)"
    echo
    echo "\`perf record --call-graph dwarf -F 999 -p <seam>\` over one more $DURATION run of each path (not in"
    echo "the medians above: perf slows seam down), then \`perf report --sort dso,sym\`. *%* is the share of"
    echo "seam's samples; *µs/req* is that share of the path's median CPU µs/req above. The first $lines"
    echo "lines of each \`perf report --no-children --sort dso,sym\` are in \`$(dirname "$OUT")/perf-*.txt\`."
    echo "Samples in a library without symbols (libjansson here) are summed as *(no symbol)*; on this VM"
    echo "the sampling clock is a software timer, so kernel time tends to land on the points where"
    echo "interrupts are re-enabled (\`_raw_spin_unlock_irqrestore\`, \`finish_task_switch\`)."
    echo
    echo "Self time by shared object:"
    echo
    echo "| object$cols |"
    echo "| ---$seps |"
    profile_table dso 100 "${args[@]}"
    echo
    echo "Self time, the top 30 functions$( ((delta)) && echo " of the anthropic upstream's run"):"
    echo
    echo "| function | object$cols |"
    echo "| --- | ---$seps |"
    profile_table sym 30 "${args[@]}"
    echo
    echo "Inclusive time (\`--children\`: the function and all it calls) of seam's and jansson's functions,"
    echo "the top 25 — where the translation sits in the request:"
    echo
    echo "| function | object$cols |"
    echo "| --- | ---$seps |"
    profile_table incl 25 "${incl[@]}"
    echo
}

# profile_table dso|sym|incl MAX (WHO CPU TSV)...: Markdown rows from lines
# "percent <tab> dso <tab> symbol"; µs/req = percent x CPU / 100; sorted by the
# first WHO's share (incl: by the highest share in any WHO, so that each
# path's own functions show); at most MAX rows; a last column anth - pass when
# both are there.  dso sums by object; sym sums a library's unnamed addresses
# into "(no symbol)"; incl drops the frames every sample has (thread start,
# event loop: >= 95%).
profile_table() {
    local by=$1 max=$2
    shift 2
    local spec=""
    while (($#)); do spec+="$1=$2=$3 "; shift 3; done
    awk -v by="$by" -v max="$max" -v spec="$spec" '
        BEGIN { n = split(spec, s, " ")
                for (i = 1; i <= n; i++) { split(s[i], f, "="); who[i] = f[1]; cpu[i] = f[2]
                    while ((getline line < f[3]) > 0) { split(line, x, "\t")
                        sym = x[3]
                        if (sym ~ /^\[\.\] 0x[0-9a-f]+$/) sym = "[.] (no symbol)"
                        k = (by == "dso" ? x[2] : sym "\t" x[2])
                        pct[i, k] += x[1]; if (!(k in seen)) { seen[k] = 1; keys[++nk] = k } } }
                for (i = 1; i <= n; i++) { if (who[i] == "anth") ia = i; if (who[i] == "pass") ip = i }
                for (j = 1; j <= nk; j++) { order[j] = j; k = keys[j]; key[j] = pct[1, k]
                    if (by == "incl") for (i = 2; i <= n; i++) if (pct[i, k] > key[j]) key[j] = pct[i, k] }
                # descending (insertion sort: a few thousand keys at most)
                for (j = 2; j <= nk; j++) { t = order[j]; v = key[t]
                    for (m = j - 1; m >= 1 && key[order[m]] < v; m--) order[m + 1] = order[m]
                    order[m + 1] = t }
                rows = 0
                for (j = 1; j <= nk && rows < max; j++) { k = keys[order[j]]
                    if (by == "incl" && key[order[j]] >= 95) continue
                    if (by != "dso" && key[order[j]] < 0.1) break
                    split(k, kk, "\t"); name = kk[1]; gsub(/\|/, "\\|", name)
                    row = (by == "dso" ? "| " name : "| `" name "` | " kk[2])
                    for (i = 1; i <= n; i++)
                        row = row sprintf(" | %.1f (%.1f%%)", pct[i, k] * cpu[i] / 100, pct[i, k])
                    if (ia && ip) row = row sprintf(" | %+.1f", pct[ia, k] * cpu[ia] / 100 - pct[ip, k] * cpu[ip] / 100)
                    print row " |"; rows++ } }'
}

nm() { median "$@"; }
NR_RPS=$(nm "${N_RPS[@]}") NR_P50=$(nm "${N_P50[@]}") NR_P99=$(nm "${N_P99[@]}") NR_CPU=$(nm "${N_CPU[@]}")
SR_RPS="" SR_P50="" SR_P99="" SR_CPU=""
if [[ $SKIP_SEAM != 1 ]]; then
    SR_RPS=$(nm "${S_RPS[@]}") SR_P50=$(nm "${S_P50[@]}") SR_P99=$(nm "${S_P99[@]}") SR_CPU=$(nm "${S_CPU[@]}")
fi
added99=$(minus "$L_SEAM_99" "$L_UP_99")
verdict() { # verdict VALUE LIMIT -> PASS/FAIL/n/a
    awk -v v="$1" -v l="$2" 'BEGIN { if (v == "" || v == "n/a") print "n/a"; else print (v + 0 < l + 0 ? "pass" : "FAIL") }'
}
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)
NGX_VER=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
WRK_VER=$(wrk --version 2>&1 | head -n 1 | awk '{ print $2 }' || true)
SEAM_VER="not run"
if [[ $SKIP_SEAM != 1 ]]; then
    SEAM_VER="$("$SEAM" version 2>/dev/null || echo seam) (build/seam sha256 $SEAM_SHA_START, built $SEAM_BUILT)"
fi
GIT_REV=$(git rev-parse --short HEAD 2>/dev/null || echo "no commit")
[[ -z $(git status --porcelain 2>/dev/null | head -n 1) ]] || GIT_REV+=", working tree modified"

{
    echo "# seam benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    if ((${#FAILS[@]})); then
        echo "**This run had failures (listed at the end); figures from failed runs are not valid.**"
        echo
    fi
    echo "Machine: $(nproc) CPUs ($CPU_MODEL), $MEM_TOTAL RAM, Linux $(uname -r)."
    echo "Software: $SEAM_VER, git $GIT_REV; $NGX_VER, wrk $WRK_VER, Node $(node --version 2>/dev/null || echo '-')."
    echo "Everything on loopback on this one machine: upstream nginx ($UP_WORKERS workers, fixed"
    echo "$(wc -c <"$ROOT/bench/conf/reply.json")-byte chat.completion), the proxy under test ($WORKERS workers), and wrk."
    echo "Other load on the machine, measured over 1 s with none of ours running: ${BUSY_BEFORE}% of all"
    echo "CPUs busy before the run (load average $LOAD_BEFORE), ${BUSY_AFTER}% after ($LOAD_AFTER)."
    echo "Sections run: $RUN_SECTIONS (BENCH_SECTIONS)."
    echo
  if has throughput; then
    echo "## Throughput at c=$CONN (wrk -t$THREADS -c$CONN -d$DURATION, medians of $ROUNDS interleaved rounds, order alternating)"
    echo
    echo "POST $CHAT, $(wc -c <"$BENCH_BODY_FILE")-byte chat body, \`Authorization: Bearer\` key (seam checks it; nginx ignores it)."
    echo "seam: key check, metrics and access log on."
    echo
    echo "| proxy | req/s | p50 µs | p99 µs | CPU µs/req |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    echo "| nginx proxy | $NR_RPS | $(fmt0 "$NR_P50") | $(fmt0 "$NR_P99") | $NR_CPU |"
    echo "| seam | ${SR_RPS:-n/a} | $(fmt0 "$SR_P50") | $(fmt0 "$SR_P99") | ${SR_CPU:-n/a} |"
    echo "| **seam / nginx** | **$(ratio "$SR_RPS" "$NR_RPS")×** | $(ratio "$SR_P50" "$NR_P50")× | $(ratio "$SR_P99" "$NR_P99")× | **$(ratio "$SR_CPU" "$NR_CPU")×** |"
    echo
    [[ -z $STATUSES1 ]] || echo "seam's access log, route \`chat\` on $CHAT by status (all runs, warm-up, c=1 and the translation section's passthrough included): $STATUSES1."
    [[ -z $STATUSES1 ]] || echo
    [[ -z $THREAD_CPU ]] || echo "seam's CPU by thread over its rounds: $THREAD_CPU."
    [[ -z $THREAD_CPU ]] || echo
    echo "Every round:"
    echo
    echo "| round | proxy | req/s | p50 µs | p99 µs | CPU µs/req | requests | non-2xx | socket errors |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROUND_ROWS[@]}"
    echo
  fi
  if has latency; then
    echo "## Added latency at c=1 (wrk -t1 -c1 -d$LAT_DURATION, medians of $LAT_ROUNDS rounds, order rotating)"
    echo
    echo "| path | p50 µs | p99 µs | added p50 µs | added p99 µs | CPU µs/req |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    echo "| direct to upstream | $(fmt0 "$L_UP_50") | $(fmt0 "$L_UP_99") | — | — | — |"
    echo "| through nginx | $(fmt0 "$L_NGX_50") | $(fmt0 "$L_NGX_99") | $(minus "$L_NGX_50" "$L_UP_50") | $(minus "$L_NGX_99" "$L_UP_99") | $L_NGX_CPU |"
    echo "| through seam | $(fmt0 "$L_SEAM_50") | $(fmt0 "$L_SEAM_99") | $(minus "$L_SEAM_50" "$L_UP_50") | $added99 | ${L_SEAM_CPU:-n/a} |"
    echo
    noisy=$(awk -v d="$L_UP_99" 'BEGIN { print (d > 500 ? 1 : 0) }')
    echo "Target: seam adds < 150 µs at p99 — $(verdict "$added99" 150)$([[ $noisy == 0 ]] || echo " (inconclusive on this run: see the caution below)")."
    echo
    echo "Every round:"
    echo
    echo "| round | path | req/s | p50 µs | p99 µs | CPU µs/req |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${LAT_ROWS[@]}"
    if [[ $noisy == 1 ]]; then
        echo
        echo "Caution: p99 straight to the upstream was $L_UP_99 µs, far above its p50 of $L_UP_50 µs —"
        echo "the machine was busy (see above), so the p99 columns measure the scheduler more than the"
        echo "proxies; the p50 columns and CPU µs/req are the figures to compare."
    fi
    echo
  fi
    has anthropic && report_translation
    has shadow && report_shadow
  if [[ $SKIP_SEAM != 1 ]]; then
    echo "## seam memory (VmRSS)"
    echo
    echo "| when | MB | target |"
    echo "| --- | ---: | --- |"
    echo "| idle, 1 s after start ($WORKERS workers, ${SEAM_THREADS:-?} threads) | $(mb "$RSS_IDLE") | < 30 MB — $(verdict "$(mb "$RSS_IDLE")" 30) |"
    echo "| after the load runs (VmRSS / VmHWM) | $(mb "$RSS_LOADED") / $(mb "$HWM_LOADED") | |"
    if [[ -n $ST_DONE ]]; then
        echo "| stream instance, idle | $(mb "$RSS2_IDLE") | |"
        echo "| $STREAMS concurrent streams, mid-way | $(mb "$RSS2_MID") | |"
        echo "| $STREAMS concurrent streams, peak (sampled every 200 ms / VmHWM) | $(mb "$RSS2_PEAK") / $(mb "$HWM2") | < 150 MB — $(verdict "$(mb "$((RSS2_PEAK > HWM2 ? RSS2_PEAK : HWM2))")" 150) |"
        echo "| 2 s after the streams ended | $(mb "$RSS2_AFTER") | |"
        echo
        echo "Streams: **$ST_DONE of $STREAMS** ended with \`data: [DONE]\` ($STREAM_WORDS-word message"
        echo "through \`seam mock --echo --chunk-delay $CHUNK_DELAY\`; seam held up to $FDS_PEAK file descriptors;"
        echo "its access log, by status: ${STATUSES2:-none})."
        echo "Each stream: $ST_EVENTS events; median duration $ST_DUR ms against $ST_NOMINAL ms of"
        echo "events x delay; median first byte $ST_TTFB ms. CPU over the streams: seam ${ST_SEAM_CPU} s"
        echo "(${ST_EV_CPU} µs per event relayed), the mock ${ST_MOCK_CPU} s."
        echo
        echo "\`\`\`"
        echo "$ST_JSON"
        echo "\`\`\`"
    fi
    echo
  fi
    echo "## Failures"
    echo
    if ((${#FAILS[@]})); then
        printf -- '- %s\n' "${FAILS[@]}"
    else
        echo "None: every request of every run answered 2xx, no socket errors."
    fi
} >"$TMP/report.md"

mkdir -p "$(dirname "$OUT")"
cp "$TMP/report.md" "$OUT"
echo
cat "$TMP/report.md"
echo
log "written to $OUT"
if ((${#FAILS[@]})); then
    printf '\n[bench] FAILED: %d problem(s), listed above under "Failures".\n' "${#FAILS[@]}" >&2
    exit 1
fi

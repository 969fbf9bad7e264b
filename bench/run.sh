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
#   7. seam's memory: idle, and while holding BENCH_STREAMS streams open
#      against `seam mock --chunk-delay 50`.
#   8. A table on stdout, and the same in Markdown in bench/out/latest.md.
#
# Overrides (environment): BENCH_CONN (64) BENCH_THREADS (2) BENCH_DURATION (10s)
# BENCH_ROUNDS (3) BENCH_WARMUP (2s) BENCH_WORKERS (nproc) BENCH_UP_WORKERS (nproc)
# BENCH_LAT_DURATION (5s) BENCH_LAT_ROUNDS (3) BENCH_STREAMS (1000) BENCH_STREAM_WORDS (250)
# BENCH_CHUNK_DELAY (50) BENCH_MOCK_WORKERS (1) BENCH_SKIP_STREAMS (0) BENCH_SKIP_SEAM (0: nginx only,
# for working on the script) BENCH_KEEP (0: keep the temp dir) BENCH_OUT
# (bench/out/latest.md) BENCH_SEAM (build/seam) BENCH_NGINX (/usr/sbin/nginx).
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
WARMUP=${BENCH_WARMUP:-2s}
LAT_DURATION=${BENCH_LAT_DURATION:-5s}
LAT_ROUNDS=${BENCH_LAT_ROUNDS:-3}
STREAMS=${BENCH_STREAMS:-1000}
STREAM_WORDS=${BENCH_STREAM_WORDS:-250}
MOCK_WORKERS=${BENCH_MOCK_WORKERS:-1}
CHUNK_DELAY=${BENCH_CHUNK_DELAY:-50}
SKIP_STREAMS=${BENCH_SKIP_STREAMS:-0}
SKIP_SEAM=${BENCH_SKIP_SEAM:-0}
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

for v in CONN THREADS ROUNDS LAT_ROUNDS WORKERS UP_WORKERS STREAMS STREAM_WORDS CHUNK_DELAY MOCK_WORKERS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
done
for v in DURATION WARMUP LAT_DURATION; do
    [[ ${!v} =~ ^[1-9][0-9]*[smh]?$ ]] || die "BENCH_$v must look like 10s, 2m or 30 (got '${!v}')"
done
((THREADS <= CONN)) || die "BENCH_THREADS ($THREADS) must not exceed BENCH_CONN ($CONN)"

need=("$NGINX" wrk curl)
[[ $SKIP_SEAM == 1 ]] || need+=("$SEAM" node)
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
# W_CPU (µs of CPU per request, "" without PIDs) W_ERR (status errors)
# W_SOCK (socket errors).  A run with errors is recorded in FAILS.
run_wrk() {
    local label=$1 url=$2 t=$3 c=$4 d=$5
    shift 5
    local pids=("$@") out c0 c1 line
    RUN_N=$((RUN_N + 1))
    out=$TMP/wrk-$RUN_N-${label// /_}.txt
    for p in "${pids[@]}"; do
        is_running "$p" || die "$label: server pid $p is gone before the run"
    done
    c0=$(proc_ticks "${pids[@]}")
    # In the background and waited for, so that a signal to this script is
    # handled at once (cleanup stops WRK_PID).
    timeout --kill-after=5 $(($(secs "$d") + 30)) \
        env BENCH_KEY="${KEY:-sk-none}" wrk -t"$t" -c"$c" -d"$d" --latency -s "$LUA" "$url" \
        >"$out" 2>&1 &
    WRK_PID=$!
    local rc=0
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    if ((rc)); then
        cat "$out" >&2
        die "$label: wrk failed or did not stop (exit $rc)"
    fi
    c1=$(proc_ticks "${pids[@]}")
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
    W_CPU=""
    if ((${#pids[@]})); then
        W_CPU=$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" -v n="$requests" \
            'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }')
    fi
    if ((requests == 0 || W_ERR > 0 || W_SOCK > 0)); then
        local msg="$label: $requests requests, $W_ERR non-2xx/3xx responses, socket errors: connect $connect_errors, read $read_errors, write $write_errors, timeout $timeouts"
        FAILS+=("$msg")
        printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
        printf '!!! %s\n' "$msg" >&2
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
        sed 's/^/    wrk| /' "$out" >&2
        if [[ $label == seam* && -n ${SEAM_PID:-} ]]; then
            show_seam_errors
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

# What seam answers when it answers an error: one sample request, and the
# statuses in its access log.
show_seam_errors() {
    log "one request to seam, verbatim:"
    curl -s -i --max-time 5 -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        --data-binary @"$BENCH_BODY_FILE" "http://127.0.0.1:$SEAM_PORT/v1/chat/completions" |
        sed 's/^/    seam| /' >&2 || true
    echo >&2
    log "statuses in seam's access log (count status):"
    grep -oE '"status": ?[0-9]+' "$TMP/seam.log" 2>/dev/null | grep -oE '[0-9]+$' | sort | uniq -c |
        sed 's/^/    /' >&2 || true
    log "last non-access-log lines of seam's stderr:"
    grep -v '"status"' "$TMP/seam.log" 2>/dev/null | tail -n 10 | sed 's/^/    seam| /' >&2 || true
}

median() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 }
        END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2];
              else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
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
# count status: statuses in a seam access log, "N x STATUS, ..."
log_statuses() {
    grep -oE '"path":"/v1/chat/completions","status":[0-9]+' "$1" 2>/dev/null | grep -oE '[0-9]+$' |
        sort | uniq -c | awk '{ printf "%s%s × %s", (NR > 1 ? ", " : ""), $1, $2 }'
}

BUSY_BEFORE=$(busy_pct)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "other load on the machine before start: ${BUSY_BEFORE}% of all CPUs busy (load average $LOAD_BEFORE)"

# --- 1. upstream, 2. nginx proxy ------------------------------------------------
REPLY=$(tr -d '\n' <"$ROOT/bench/conf/reply.json")
[[ $REPLY != *"'"* && $REPLY != *"|"* ]] || die "bench/conf/reply.json must not contain ' or |"
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
start_nginx upstream "$ROOT/bench/conf/nginx-upstream.conf.in" "$UP_WORKERS" "$UP_PORT" "REPLY=$REPLY"
UP_PID=$LAST_PID
wait_http upstream "$UP_PID" "http://127.0.0.1:$UP_PORT$CHAT" --data-binary @"$BENCH_BODY_FILE"
start_nginx nginx "$ROOT/bench/conf/nginx-proxy.conf.in" "$WORKERS" "$NGX_PORT" "UPPORT=$UP_PORT"
NGX_PID=$LAST_PID
wait_http nginx "$NGX_PID" "http://127.0.0.1:$NGX_PORT$CHAT" --data-binary @"$BENCH_BODY_FILE"
log "upstream on :$UP_PORT (pid $UP_PID), nginx proxy on :$NGX_PORT (pid $NGX_PID)"

# --- 3. seam ------------------------------------------------------------------------
KEY=""
SEAM_PID=""
RSS_IDLE="" RSS_LOADED="" HWM_LOADED="" SEAM_THREADS=""
if [[ $SKIP_SEAM != 1 ]]; then
    render "$ROOT/bench/conf/seam.yaml.in" "$TMP/seam.yaml" \
        "DIR=$TMP" "PORT=$SEAM_PORT" "WORKERS=$WORKERS" "UPPORT=$UP_PORT"
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
        set -- "${pp[@]}"
        body=$(curl -s --max-time 5 -w '\n%{http_code}' -H "Authorization: Bearer $KEY" \
            -H 'Content-Type: application/json' --data-binary @"$BENCH_BODY_FILE" \
            "http://127.0.0.1:$2$CHAT") || die "$1: request failed"
        code=${body##*$'\n'}
        body=${body%$'\n'*}
        [[ $code == 200 && $body == *'"chat.completion"'* && $body == *'"usage"'* ]] ||
            die "$1 answered $code, not a chat.completion: $body"
    done
    log "a request through seam: 200, chat.completion with usage"
fi

# --- 4, 5. throughput and CPU, interleaved rounds ---------------------------------
URL_NGX=http://127.0.0.1:$NGX_PORT$CHAT
URL_SEAM=http://127.0.0.1:$SEAM_PORT$CHAT
URL_UP=http://127.0.0.1:$UP_PORT$CHAT

log "warm-up: $WARMUP each"
run_wrk "warm-up nginx" "$URL_NGX" "$THREADS" "$CONN" "$WARMUP"
[[ $SKIP_SEAM == 1 ]] || run_wrk "warm-up seam" "$URL_SEAM" "$THREADS" "$CONN" "$WARMUP"

declare -a N_RPS N_P50 N_P99 N_CPU S_RPS S_P50 S_P99 S_CPU ROUND_ROWS
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
THREAD_CPU=""
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

# --- 6. latency at concurrency 1 ----------------------------------------------------
# Rounds of (direct, nginx, seam), the order rotating from round to round;
# medians over the rounds.
log "latency at c=1: wrk -t1 -c1 -d$LAT_DURATION, $LAT_ROUNDS rounds of (direct, nginx, seam)"
declare -a LU50 LU99 LN50 LN99 LNCPU LS50 LS99 LSCPU LAT_ROWS
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
L_UP_50=$(median "${LU50[@]}") L_UP_99=$(median "${LU99[@]}")
L_NGX_50=$(median "${LN50[@]}") L_NGX_99=$(median "${LN99[@]}") L_NGX_CPU=$(median "${LNCPU[@]}")
L_SEAM_50="" L_SEAM_99="" L_SEAM_CPU=""
if [[ $SKIP_SEAM != 1 ]]; then
    L_SEAM_50=$(median "${LS50[@]}") L_SEAM_99=$(median "${LS99[@]}") L_SEAM_CPU=$(median "${LSCPU[@]}")
    RSS_LOADED=$(proc_status_kb "$SEAM_PID" VmRSS)
    HWM_LOADED=$(proc_status_kb "$SEAM_PID" VmHWM)
    ACCESS_LINES=$(wc -l <"$TMP/seam.log")
    log "seam after the load runs: VmRSS $(mb "$RSS_LOADED") MB, VmHWM $(mb "$HWM_LOADED") MB; $ACCESS_LINES lines on stderr (access log)"
    STATUSES1=$(log_statuses "$TMP/seam.log")
    log "seam access log, chat requests by status: $STATUSES1"
    stop_pid "$SEAM_PID"
fi
stop_pid "$NGX_PID"

# --- 7. memory with many concurrent streams -----------------------------------------
STATUSES1="" STATUSES2="" ST_DONE="" ST_JSON="" ST_EVENTS=0 ST_DUR="" ST_TTFB="" ST_NOMINAL=""
ST_SEAM_CPU="" ST_MOCK_CPU="" ST_EV_CPU="" RSS2_IDLE="" RSS2_MID="" RSS2_PEAK="" HWM2="" RSS2_AFTER="" FDS_PEAK=""
if [[ $SKIP_SEAM != 1 && $SKIP_STREAMS != 1 ]]; then
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
    echo
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
    [[ -z $STATUSES1 ]] || echo "seam's access log, chat requests by status (all runs, warm-up and c=1 included): $STATUSES1."
    [[ -z $STATUSES1 ]] || echo
    [[ -z $THREAD_CPU ]] || echo "seam's CPU by thread over its rounds: $THREAD_CPU."
    [[ -z $THREAD_CPU ]] || echo
    echo "Every round:"
    echo
    echo "| round | proxy | req/s | p50 µs | p99 µs | CPU µs/req | requests | non-2xx | socket errors |"
    echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROUND_ROWS[@]}"
    echo
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
    echo "## seam memory (VmRSS)"
    echo
    echo "| when | MB | target |"
    echo "| --- | ---: | --- |"
    echo "| idle, 1 s after start ($WORKERS workers, ${SEAM_THREADS:-?} threads) | $(mb "$RSS_IDLE") | < 30 MB — $(verdict "$(mb "$RSS_IDLE")" 30) |"
    echo "| after the throughput and c=1 runs (VmRSS / VmHWM) | $(mb "$RSS_LOADED") / $(mb "$HWM_LOADED") | |"
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

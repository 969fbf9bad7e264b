#!/usr/bin/env bash
# bench/lib/proc.sh — small helpers for reading /proc, sourced by bench/run.sh.
#
#   proc_tree PID          PID and all its descendants, one per line
#   proc_ticks PID...      utime+stime (clock ticks) summed over each PID's tree;
#                          /proc/PID/stat of a process already covers all of its
#                          threads, so a threaded server is one entry
#   proc_thread_ticks PID  "TID TICKS" per thread of PID
#   proc_status_kb PID KEY a /proc/PID/status field in kB (VmRSS, VmHWM, ...)
#   proc_threads PID       the number of threads of PID
#   proc_ctxsw PID...      context switches (voluntary + involuntary) summed over
#                          every thread of each PID's tree
#
# Run directly for a quick look:  bench/lib/proc.sh PID

proc_tree() {
    local p=$1 c
    [[ -d /proc/$p ]] || return 0
    echo "$p"
    # shellcheck disable=SC2013 # the file is one line of space-separated pids
    for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
        proc_tree "$c"
    done
}

proc_ticks() {
    local total=0 root p s
    local -a f
    for root in "$@"; do
        for p in $(proc_tree "$root"); do
            s=$(cat /proc/"$p"/stat 2>/dev/null) || continue
            # comm (field 2) may hold spaces or ')': split after the last ')'.
            # f[0] is field 3 (state); utime is field 14, stime field 15.
            read -ra f <<<"${s##*) }"
            total=$((total + f[11] + f[12]))
        done
    done
    echo "$total"
}

# proc_thread_ticks PID: "TID TICKS" for each thread of PID (utime+stime).
proc_thread_ticks() {
    local t s
    local -a f
    for t in /proc/"$1"/task/*; do
        s=$(cat "$t"/stat 2>/dev/null) || continue
        read -ra f <<<"${s##*) }"
        echo "${t##*/} $((f[11] + f[12]))"
    done
}

proc_status_kb() {
    awk -v k="$2:" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' \
        /proc/"$1"/status 2>/dev/null || echo 0
}

proc_threads() {
    awk '$1 == "Threads:" { print $2 }' /proc/"$1"/status 2>/dev/null || echo 0
}

proc_ctxsw() {
    local root p
    for root in "$@"; do
        for p in $(proc_tree "$root"); do
            # a process of the tree may be gone by now: cat skips it
            cat /proc/"$p"/task/*/status 2>/dev/null || true
        done
    done | awk '$1 == "voluntary_ctxt_switches:" || $1 == "nonvoluntary_ctxt_switches:" { n += $2 }
        END { print n + 0 }'
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -eu
    for pid in "$@"; do
        echo "pid $pid: tree $(proc_tree "$pid" | tr '\n' ' ')"
        echo "  cpu ticks $(proc_ticks "$pid") (CLK_TCK $(getconf CLK_TCK))," \
            "VmRSS $(proc_status_kb "$pid" VmRSS) kB, VmHWM $(proc_status_kb "$pid" VmHWM) kB," \
            "threads $(proc_threads "$pid"), context switches $(proc_ctxsw "$pid")"
    done
fi

#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - run every bench/bench_* program built in BUILD_DIR
# and rewrite bench/RESULTS.md: a table of the numbers the programs print as
#   RESULT <case> <metric> <value> <unit>
# with the date and the machine (nproc, CPU model).  When a previous
# RESULTS.md exists, its numbers are kept in a "previous" column next to the
# ratio new/old.  Extra arguments are passed to every program.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
    echo "usage: bench/run.sh BUILD_DIR [args for the bench programs]" >&2
    exit 2
fi
BUILD=$(cd "$1" && pwd)
shift
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
OUT="$HERE/RESULTS.md"
export QKT_SHARED="${QKT_SHARED:-$(cd "$ROOT/.." && pwd)/shared}"
# one thread per call: the numbers are per-k costs, threads are the engine's business
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# previous numbers: "program case metric value" from the table rows
prev_date="" prev_machine=""
if [ -f "$OUT" ]; then
    awk -F'|' '/^\| bench_/ {
        for (i = 2; i <= 5; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i)
        print $2, $3, $4, $5 }' "$OUT" >"$tmp/prev"
    prev_date=$(sed -n 's/^- Date: //p' "$OUT" | head -n 1)
    prev_machine=$(sed -n 's/^- Machine: //p' "$OUT" | head -n 1)
fi
touch "$tmp/prev"

progs=()
for p in "$BUILD"/bench_*; do
    [ -f "$p" ] && [ -x "$p" ] && progs+=("$p")
done
if [ ${#progs[@]} -eq 0 ]; then
    echo "bench/run.sh: no bench_* programs in $BUILD (build them first)" >&2
    exit 1
fi

status=0
: >"$tmp/results"
for p in "${progs[@]}"; do
    name=$(basename "$p")
    echo "== $name" >&2
    if ! "$p" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
        echo "bench/run.sh: $name exited with an error (see RESULTS.md)" >&2
        status=1
    fi
    awk -v prog="$name" '$1 == "RESULT" && NF >= 5 { print prog, $2, $3, $4, $5 }' \
        "$tmp/$name.out" >>"$tmp/results"
done

date_now=$(date -u '+%Y-%m-%d %H:%M UTC')
cpu=$(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
ncpu=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)
machine="$ncpu CPUs (nproc), ${cpu:-unknown CPU}"
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n 1)" ]; then
    commit="$commit + uncommitted changes"
fi

{
    echo "# Benchmark results"
    echo
    echo "Written by \`bench/run.sh BUILD_DIR${*:+ $*}\` (do not edit by hand; rerun it to refresh)."
    echo
    echo "- Date: $date_now"
    echo "- Machine: $machine"
    echo "- Source: git $commit; build directory $BUILD"
    echo "- Environment: OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"
    if [ -s "$tmp/prev" ]; then
        echo "- Previous run (column \"previous\"): ${prev_date:-unknown date}, ${prev_machine:-unknown machine}"
    fi
    echo
    echo "new/old is value/previous: above 1 is faster for rates (k/s), slower for times (us, s)."
    echo
    echo "| program | case | metric | value | unit | previous | new/old |"
    echo "|---|---|---|---|---|---|---|"
    awk 'FILENAME == ARGV[1] { prev[$1 " " $2 " " $3] = $4; next }
         {
             key = $1 " " $2 " " $3
             old = (key in prev) ? prev[key] : ""
             ratio = (old != "" && old + 0 != 0) ? sprintf("%.3f", $4 / old) : ""
             printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, old, ratio
         }' "$tmp/prev" "$tmp/results"
    echo
    echo "## Program output"
    for p in "${progs[@]}"; do
        name=$(basename "$p")
        echo
        echo "### $name"
        echo
        echo '```'
        grep -v '^RESULT ' "$tmp/$name.out" || true
        if [ -s "$tmp/$name.err" ]; then
            echo "--- stderr"
            cat "$tmp/$name.err"
        fi
        echo '```'
    done
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT" >&2
exit $status

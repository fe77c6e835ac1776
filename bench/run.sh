#!/usr/bin/env bash
# bench/run.sh BUILD_DIR - run every bench/bench_* program built in BUILD_DIR
# and rewrite bench/RESULTS.md: a table of the numbers the programs print as
#   RESULT <case> <metric> <value> <unit>
# with the date and the machine (nproc, CPU model).  When a previous
# RESULTS.md exists, its numbers are kept in a "previous" column next to the
# ratio new/old.  Extra arguments are passed to every program.
# Long programs (QKT_BENCH_LONG_PROGS, default bench_large: about half an
# hour) run only with QKT_BENCH_LONG=1; otherwise their rows and output are
# copied from the previous RESULTS.md, marked "kept from <date of the run
# that measured them>".  QKT_BENCH_ONLY="bench_x bench_y" runs those
# programs alone (long or not) and keeps the rows of the others the same way.
# Every program runs as its own process under bench/peakrss.c (compiled here
# with the system C compiler), which records its wall time and peak resident
# memory (ru_maxrss): rows "process wall_time" and "process peak_rss" per
# program, and the column "peak RSS" of the table.
set -euo pipefail
t_start=$(date +%s)

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

# the peak-memory wrapper: bench/peakrss.c, else GNU time, else none
wrap=()
if "${CC:-cc}" -O2 -o "$tmp/peakrss" "$HERE/peakrss.c" 2>"$tmp/peakrss.log"; then
    wrap=(peakrss)
elif [ -x /usr/bin/time ]; then
    wrap=(gnutime)
else
    echo "bench/run.sh: cannot compile bench/peakrss.c and no /usr/bin/time: no memory numbers" >&2
fi

# run_one NAME PROG ARGS...: output in $tmp/NAME.out/.err, "wall_s rss_KiB" in $tmp/NAME.rss
run_one() {
    local name=$1
    shift
    case "${wrap[0]:-}" in
    peakrss) "$tmp/peakrss" "$tmp/$name.rss" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ;;
    gnutime) /usr/bin/time -o "$tmp/$name.rss" -f '%e %M' "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ;;
    *) "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ;;
    esac
}

in_list() { # NAME LIST
    case " $2 " in
    *" $1 "*) return 0 ;;
    esac
    return 1
}
if [ -f "$OUT" ]; then cp "$OUT" "$tmp/prev.md"; else : >"$tmp/prev.md"; fi

status=0
: >"$tmp/results"
: >"$tmp/rss"
kept=()
for p in "${progs[@]}"; do
    name=$(basename "$p")
    if [ -n "${QKT_BENCH_ONLY:-}" ]; then
        if ! in_list "$name" "$QKT_BENCH_ONLY"; then
            echo "== $name: not run (QKT_BENCH_ONLY), rows kept from the previous RESULTS.md" >&2
            kept+=("$name")
            continue
        fi
    elif in_list "$name" "${QKT_BENCH_LONG_PROGS-bench_large}" && [ "${QKT_BENCH_LONG:-0}" != 1 ]; then
        echo "== $name: not run (long; QKT_BENCH_LONG=1 runs it), rows kept from the previous RESULTS.md" >&2
        kept+=("$name")
        continue
    fi
    echo "== $name" >&2
    t0=$(date +%s.%N)
    if ! run_one "$name" "$p" "$@"; then
        echo "bench/run.sh: $name exited with an error (see RESULTS.md)" >&2
        status=1
    fi
    t1=$(date +%s.%N)
    awk -v prog="$name" '$1 == "RESULT" && NF >= 5 { print prog, $2, $3, $4, $5 }' \
        "$tmp/$name.out" >>"$tmp/results"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    rss=""
    if [ -s "$tmp/$name.rss" ]; then
        rss=$(awk 'NF >= 2 { printf "%.1f", $2 / 1024 }' "$tmp/$name.rss" | tail -n 1)
    fi
    echo "$name process wall_time $wall s" >>"$tmp/results"
    if [ -n "$rss" ]; then
        echo "$name process peak_rss $rss MB" >>"$tmp/results"
        echo "$name $rss" >>"$tmp/rss"
    fi
    echo "   $wall s, peak RSS ${rss:-?} MB" >&2
done
t_total=$(( $(date +%s) - t_start ))

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
    echo "- Environment: OMP_NUM_THREADS=$OMP_NUM_THREADS OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS (programs may set their own thread count: see their output)"
    echo "- Total time of bench/run.sh: $t_total s"
    case "${wrap[0]:-}" in
    peakrss) echo "- Peak RSS: ru_maxrss of each program's process (bench/peakrss.c, wait4)" ;;
    gnutime) echo "- Peak RSS: maximum resident set size from /usr/bin/time" ;;
    *) echo "- Peak RSS: not measured (no C compiler, no /usr/bin/time)" ;;
    esac
    if [ -s "$tmp/prev" ]; then
        echo "- Previous run (column \"previous\"): ${prev_date:-unknown date}, ${prev_machine:-unknown machine}"
    fi
    echo
    echo "new/old is value/previous: above 1 is faster for rates (k/s), slower for times (us, s), more memory (MB)."
    echo "peak RSS is that of the whole program (process) that printed the row."
    echo
    echo "| program | case | metric | value | unit | previous | new/old | peak RSS (MB) |"
    echo "|---|---|---|---|---|---|---|---|"
    awk 'FILENAME == ARGV[1] { prev[$1 " " $2 " " $3] = $4; next }
         FILENAME == ARGV[2] { rss[$1] = $2; next }
         {
             key = $1 " " $2 " " $3
             old = (key in prev) ? prev[key] : ""
             ratio = (old != "" && old + 0 != 0) ? sprintf("%.3f", $4 / old) : ""
             printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, old, ratio, \
                 ($1 in rss) ? rss[$1] : ""
         }' "$tmp/prev" "$tmp/rss" "$tmp/results"
    # rows of the long programs not run: as they were, with the date of the
    # run that measured them in the new/old column
    for name in "${kept[@]}"; do
        awk -F'|' -v prog="$name" -v d="${prev_date:-unknown date}" '
            { c = $2; gsub(/^[ \t]+|[ \t]+$/, "", c) }
            c == prog && NF >= 9 {
                for (i = 2; i <= 9; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i)
                mark = ($8 ~ /^kept from/) ? $8 : "kept from " d
                printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, mark, $9
            }' "$tmp/prev.md"
    done
    echo
    echo "## Program output"
    for name in "${kept[@]}"; do
        echo
        echo "### $name"
        sect=$(awk -v h="### $name" '$0 == h { on = 1; next } on && /^### / { exit } on { print }' "$tmp/prev.md")
        if [ -z "$sect" ]; then
            echo
            echo "Not run in this pass (see the top of bench/run.sh), and no earlier output."
        else
            case "$sect" in
            *"Not run in this pass"*) ;;
            *)
                echo
                echo "Not run in this pass (see the top of bench/run.sh): the output of the run of ${prev_date:-unknown date}."
                ;;
            esac
            printf '%s\n' "$sect"
        fi
    done
    for p in "${progs[@]}"; do
        name=$(basename "$p")
        for k in "${kept[@]}"; do [ "$k" = "$name" ] && continue 2; done
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

#!/usr/bin/env bash
# run.sh - build the libFuzzer targets (clang, ASan + UBSan, CMake option
# QKT_FUZZ) in a separate build folder and run each for a bounded time.
#   bash tests/fuzz/run.sh [BUILD_DIR]        (make fuzz; BUILD_DIR default build-fuzz)
# Environment: FUZZ_SECONDS per target (default 60), JOBS for the build (2),
# FUZZ_TARGETS (default "runfile wannier").
# The growing corpus of each target is kept in BUILD_DIR/corpus_<target> (the
# seeds in tests/fuzz/corpus_<target> and the regressions in
# tests/fuzz/regress/<target> are read, never written).  A crash, a broken
# harness invariant, a timeout (> 30 s for one input) or an out-of-memory
# (> 2 GiB) stops that target and leaves the input in BUILD_DIR/artifacts/;
# the script then prints how to reproduce it and exits 1 after all targets ran.
# A new crash input belongs in tests/fuzz/regress/<target>/ (replayed by the
# CTest test test_fuzz_regress).
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-fuzz}
S=${FUZZ_SECONDS:-60}
J=${JOBS:-2}
TARGETS=${FUZZ_TARGETS:-runfile wannier}

if [ ! -f "$B/CMakeCache.txt" ]; then
  cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DQKT_FUZZ=ON -DQKT_WITH_MPI=OFF
fi
cmake --build "$B" -j "$J" $(for t in $TARGETS; do printf -- '--target fuzz_%s ' "$t"; done)

mkdir -p "$B/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in $TARGETS; do
  mkdir -p "$B/corpus_$t"
  seeds=("tests/fuzz/corpus_$t")
  # regression inputs: only those not known to fail (tests/fuzz/regress/KNOWN)
  if [ -d "tests/fuzz/regress/$t" ] && [ -n "$(ls -A "tests/fuzz/regress/$t" 2>/dev/null)" ]; then
    mkdir -p "$B/regress_$t"
    rm -f "$B/regress_$t"/*
    for f in "tests/fuzz/regress/$t"/*; do
      grep -qs "^$t/$(basename "$f")\b" tests/fuzz/regress/KNOWN || cp "$f" "$B/regress_$t/"
    done
    seeds+=("$B/regress_$t")
  fi
  echo "== fuzz_$t: $S s (corpus $B/corpus_$t, seeds ${seeds[*]})"
  t0=$(date +%s)
  set +e
  "$B/fuzz_$t" -max_total_time="$S" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="tests/fuzz/$t.dict" -artifact_prefix="$B/artifacts/$t-" "$B/corpus_$t" "${seeds[@]}" \
    >"$B/fuzz_$t.log" 2>&1
  rc=$?
  set -e
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$B/fuzz_$t.log" || true
  echo "   fuzz_$t: exit $rc after $(($(date +%s) - t0)) s (log $B/fuzz_$t.log)"
  if [ $rc -ne 0 ]; then
    status=1
    grep -E 'ERROR|SUMMARY|invariant violated|Test unit written' "$B/fuzz_$t.log" | head -20 || true
    echo "   reproduce: $B/fuzz_$t $B/artifacts/$t-<crash file>   (then add it to tests/fuzz/regress/$t/)"
  fi
done
[ $status -eq 0 ] && echo "fuzz: all targets ran ${S} s without a finding" || echo "fuzz: FINDINGS, see above"
exit $status

#!/usr/bin/env bash
# test_inputs.sh - inputs that cannot hurt the user (issue 20, rows 4, 5, 6, 8):
# run files that are devices, FIFOs or hold NUL bytes are errors at once, never
# waits; reading a run file is linear in its size; geometry.k with many
# k-points streams its output; no JSON is printed when the run fails.  Every
# run has a timeout, so no test can hang.  The timing checks below guard
# against hangs and quadratic time only: their bounds are loose on purpose.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
printf '[model]\nname = weyl2\n[geometry]\nk = 0.1 0 0.3\n' >"$T/g.ini"

# trun SECONDS ARGS...: run qkt with a timeout (exit 124 when it runs out)
trun() {
    timeout "$1" "$BIN" "${@:2}" >"$T/out" 2>"$T/err"
    rc=$?
}

# ---------------------------------------------------------------- row 4: run files
trun 20 geometry /dev/zero
expect_rc 3 "run file /dev/zero (an endless line of NUL bytes) is refused at once"
expect_in "$T/err" "'/dev/zero': it is a character device" "/dev/zero: the message names the file"
mkfifo "$T/fifo.ini"
trun 20 geometry "$T/fifo.ini"
expect_rc 3 "run file: a FIFO without a writer is refused, not waited on"
expect_in "$T/err" "FIFO without a writer" "FIFO: the message says why"
# a writer that holds the FIFO open (fd 7, opened read-write so that opening
# never waits) and writes a second later
exec 7<>"$T/fifo.ini"
(sleep 1; cat "$T/g.ini" >&7) &
exec 7>&-
trun 20 geometry "$T/fifo.ini"
wait
expect_rc 0 "run file: a FIFO whose writer is slow is read"
trun 20 geometry <(cat "$T/g.ini")
expect_rc 0 "run file: a pipe (<(...)) is read"
trun 20 geometry "$T"
expect_rc 3 "run file: a directory is refused"
printf '[model]\nname = weyl2\n[geometry]\nk = 0.1 0 0.3\0junk\n' >"$T/nul.ini"
trun 20 geometry "$T/nul.ini"
expect_rc 4 "run file: a NUL byte inside a line"
expect_in "$T/err" "nul.ini:4: contains a NUL byte" "NUL byte: file:line named"
{ printf '[model]\nname = weyl2\n'; head -c 100000 /dev/zero; } >"$T/nul2.ini"
trun 20 geometry "$T/nul2.ini"
expect_rc 4 "run file: a line of NUL bytes"
expect_in "$T/err" "nul2.ini:3: contains a NUL byte" "NUL line: file:line named"
truncate -s 300M "$T/huge.ini"
trun 20 geometry "$T/huge.ini"
expect_rc 5 "run file beyond 256 MiB refused from its size"
expect_in "$T/err" "is longer than 268435456 bytes" "size bound named"
rm -f "$T/huge.ini"

# ---------------------------------------------------------------- row 5: linear time
# sections N: [sI] / x = 1; keys N: one section with N keys.  Quadratic reading
# took 2.2 s at 25k and over 100 s at 200k.
sections() { awk -v n="$1" 'BEGIN{print "[model]\nname = weyl2\n[geometry]\nk = 0.1 0 0.3"; for(i=0;i<n;i++) printf "[s%d]\nx = 1\n", i}'; }
keys() { awk -v n="$1" 'BEGIN{print "[model]\nname = weyl2\n[geometry]\nk = 0.1 0 0.3\n[big]"; for(i=0;i<n;i++) printf "x%d = 1\n", i}'; }
now() { date +%s.%N; }
# time_run FILE ARGS...: seconds of one run into $secs (20 s at most)
time_run() {
    local t0
    t0=$(now)
    trun 20 geometry "$@"
    secs=$(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}')
}
for kind in sections keys; do
    $kind 50000 >"$T/$kind.1.ini"
    $kind 200000 >"$T/$kind.4.ini"
    extra=()
    [ $kind = keys ] && extra=(--ignore-section=big)
    time_run "$T/$kind.1.ini" "${extra[@]}"
    t1=$secs rc1=$rc
    time_run "$T/$kind.4.ini" "${extra[@]}"
    t4=$secs rc4=$rc
    want=2
    [ $kind = keys ] && want=0
    if [ "$rc1" = $want ] && [ "$rc4" = $want ]; then ok "$kind: 50k and 200k read (exit $want)"
    else bad "$kind: exits $rc1 and $rc4 (124: no answer in 20 s), want $want; $(head -c 300 "$T/err")"; fi
    if awk -v a="$t1" -v b="$t4" 'BEGIN{exit !(b < 8 * a + 1)}'; then ok "$kind: 4x the file in ${t4} s against ${t1} s (linear)"
    else bad "$kind: 4x the file took ${t4} s against ${t1} s (quadratic?)"; fi
done
trun 20 geometry "$T/sections.4.ini"
expect_in "$T/err" "unknown key 's0.x' (" "200k sections: the first unknown key named with its origin"
expect_in "$T/err" "sections.4.ini:6)" "200k sections: origin file:line"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# test_inputs.sh - inputs that cannot hurt the user (issue 20, rows 4, 5, 6, 8):
# run files that are devices, FIFOs or hold NUL bytes are errors at once, never
# waits; reading a run file is linear in its size; geometry.k with many
# k-points streams its output; no JSON is printed when the run fails;
# sweep.vary reads decimal numbers only.  Every
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

# ---------------------------------------------------------------- row 6: streaming geometry.k
# 20000 k-points on one line.  Every k-point used to stay in memory as JSON
# (about 11 kB each: 230 MB here, 12.5 GB for a million) even for the table.
# mem_run OUT ARGS...: qkt's stdout into OUT; sets rc and peak (kB, resident).
# Under AddressSanitizer (make sanitize) freed blocks are held in a quarantine
# of up to 256 MB, which the resident size would count: it is switched off for
# these runs (the variable is ignored by a build without the sanitizer).
mem_run() {
    local o=$1
    shift
    read -r rc peak < <(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    try:
        rc = subprocess.run(sys.argv[3:], stdout=out, stderr=err, timeout=120).returncode
    except subprocess.TimeoutExpired:
        rc = 124
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$o" "$T/err" "$BIN" "$@")
}
awk 'BEGIN{printf "[model]\nname = weyl2\n[geometry]\nk = "; for(i=0;i<20000;i++) printf "%s0.1 %g 0.3", (i?"; ":""), i*1e-5; print ""}' >"$T/k20k.ini"
mem_run "$T/k.txt" geometry "$T/k20k.ini"
expect_rc 0 "20000 k-points, table"
if [ "$peak" -lt 100000 ]; then ok "table of 20000 k-points in $peak kB (under 100 MB)"
else bad "table of 20000 k-points took $peak kB"; fi
n=$(grep -c '^k-point ' "$T/k.txt")
[ "$n" = 20000 ] && ok "table: 20000 k-point blocks" || bad "table: $n k-point blocks"
mem_run "$T/k.json" geometry "$T/k20k.ini" --json -o "$T/k-file.json"
expect_rc 0 "20000 k-points, --json and --output"
if [ "$peak" -lt 100000 ]; then ok "JSON of 20000 k-points in $peak kB (under 100 MB)"
else bad "JSON of 20000 k-points took $peak kB"; fi
cmp -s "$T/k.json" "$T/k-file.json" && ok "the --output file is the document printed" || bad "--output file and stdout differ"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); k = d["results"]["kpoints"]
assert len(k) == 20000 and len(d["inputs"]["geometry.k"]) == 20000 and d["status"] == "ok"
assert abs(k[-1]["k"][1] - 0.19999) < 1e-12 and len(k[7]["eps"]) == 2' "$T/k.json"; then
    ok "the streamed document parses: 20000 k-points in order, inputs echoed"
else bad "the streamed document is wrong"; fi
ls -a "$T" | grep -q '^\.k-file' && bad "a temporary file was left" || ok "no temporary file left"
# the spool of the streamed k-points lives in TMPDIR; when it cannot, no document
TMPDIR="$T/no-such-dir" trun 60 geometry "$T/g.ini" --json
expect_rc 3 "streamed JSON with an unusable TMPDIR"
expect_in "$T/err" "no-such-dir" "the error names TMPDIR"
[ -s "$T/out" ] && bad "a JSON document was printed on a failed run" || ok "no JSON printed on that failure"

# ---------------------------------------------------------------- row 8: no JSON on failure
trun 60 geometry "$T/g.ini" --json -o "$T/nodir/x.json"
expect_rc 3 "--json -o into a missing folder"
[ -s "$T/out" ] && bad "JSON printed although the run failed (exit 3)" || ok "no JSON on stdout on exit 3"
expect_in "$T/err" "nodir/x.json" "the error names the output file"
trun 60 geometry "$T/g.ini" --json -o /dev/full
expect_rc 3 "--json -o /dev/full (the write itself fails)"
[ -s "$T/out" ] && bad "JSON printed although writing the file failed" || ok "no JSON on stdout when the file write fails"
trun 60 geometry "$T/g.ini" --json -o "$T"
expect_rc 3 "--json -o onto a folder"
[ -s "$T/out" ] && bad "JSON printed although the output is a folder" || ok "no JSON on stdout (-o a folder)"
# the output path is checked before the command runs: a value the command
# rejects (exit 2 inside it) comes after the unwritable output (exit 3)
trun 60 geometry "$T/g.ini" --set geometry.degen_tol=-1 -o "$T/nodir/x.json"
expect_rc 3 "an unwritable --output is found before the computation"
for cmd in info sigma cme streda pump mc scan export sweep run; do
    trun 20 $cmd --json -o "$T/nodir/x.json"
    if [ "$rc" = 3 ] && [ ! -s "$T/out" ]; then ok "$cmd --json -o nodir/x.json: exit 3 at once, no JSON"
    else bad "$cmd --json -o nodir/x.json: exit $rc, $(wc -c <"$T/out") bytes on stdout"; fi
done

# ---------------------------------------------------------------- sweep.vary: decimal numbers only
for v in 0x10:1:3 1e-400:1:3 inf:1:3 0.1:0.3:0 0.1:0.3; do
    trun 20 sweep --set sweep.command=sigma --set sweep.vary=model.b=$v --set sweep.output="$T/sw"
    if [ "$rc" = 2 ] && grep -q "sweep.vary (--set): expected KEY=FROM:TO:N" "$T/err"; then ok "sweep.vary=model.b=$v refused"
    else bad "sweep.vary=model.b=$v: exit $rc, $(head -c 200 "$T/err") ... $(tail -c 600 "$T/err")"; fi
done
expect_in "$T/err" "no ':' after TO" "sweep.vary: the reason is given"
trun 20 sweep --set sweep.command=sigma --set sweep.vary=model.b=0x10:1:3 --set sweep.output="$T/sw"
expect_in "$T/err" "FROM: hexadecimal is not accepted" "sweep.vary: hexadecimal FROM named"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

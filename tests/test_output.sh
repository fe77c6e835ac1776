#!/usr/bin/env bash
# test_output.sh - the output-file guarantees of --output (docs/cli.md):
# a regular file (also through a symbolic link) is replaced atomically from a
# temporary file of an unpredictable name created exclusively in its
# directory; a device or FIFO is written in place and stays what it is; two
# runs writing one path at once both succeed and leave one complete result.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
printf '[model]\nname = weyl2\n[geometry]\nk = 0.1 0 0.3\n' >"$T/g.ini"
valid_json() { python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$1" 2>/dev/null; }

# 1. a symbolic link given as -o: the target is replaced, the link kept
echo old >"$T/real.json"
ln -s real.json "$T/link.json"
run geometry "$T/g.ini" -o "$T/link.json"
expect_rc 0 "-o through a symlink"
if [ -L "$T/link.json" ] && valid_json "$T/real.json"; then ok "the link stays a link, its target holds the JSON"
else bad "link replaced or target not written: $(ls -la "$T" | head -c 400)"; fi

# 2. a predictable temporary name is no attack: a link named PATH.tmp is not followed
echo precious >"$T/precious.txt"
ln -s precious.txt "$T/victim.json.tmp"
run geometry "$T/g.ini" -o "$T/victim.json"
expect_rc 0 "-o next to a planted PATH.tmp link"
if [ "$(cat "$T/precious.txt")" = precious ] && valid_json "$T/victim.json"; then
    ok "the planted link's target is untouched, the output is complete"
else bad "precious.txt now: $(head -c 100 "$T/precious.txt")"; fi
if ls -a "$T" | grep -q '^\.victim\.json\.'; then bad "a temporary file was left behind"; else ok "no temporary file left"; fi

# 3. a FIFO: written in place with a reader; refused at once without one; never replaced
mkfifo "$T/fifo"
timeout 30 cat "$T/fifo" >"$T/fifo.out" &
reader=$!
run geometry "$T/g.ini" -o "$T/fifo"
wait $reader
expect_rc 0 "-o onto a FIFO with a reader"
if [ -p "$T/fifo" ] && valid_json "$T/fifo.out"; then ok "the FIFO stays a FIFO, its reader got the JSON"
else bad "FIFO replaced or reader got nothing"; fi
timeout 60 "$BIN" geometry "$T/g.ini" -o "$T/fifo" >"$T/out" 2>"$T/err"
rc=$?
expect_rc 3 "-o onto a FIFO without a reader (no wait)"
expect_in "$T/err" "FIFO without a reader" "the message says why"
[ -p "$T/fifo" ] && ok "the FIFO is still a FIFO" || bad "the FIFO was replaced"

# 4. device nodes (made here with mknod, as root): written in place, never replaced
if mknod "$T/null" c 1 3 2>/dev/null && mknod "$T/full" c 1 7 2>/dev/null; then
    run geometry "$T/g.ini" -o "$T/null"
    expect_rc 0 "-o onto a null device"
    [ -c "$T/null" ] && ok "the null device stays a character device" || bad "the device node was replaced"
    run geometry "$T/g.ini" -o "$T/full"
    expect_rc 3 "-o onto a full device (ENOSPC)"
    expect_in "$T/err" "No space left on device" "the message names the failure"
    [ -c "$T/full" ] && ok "the full device stays a character device" || bad "the device node was replaced"
else
    echo "(no mknod permission: device cases not run)"
fi

# 5. two runs writing one path at once, 20 times: both succeed, one complete result
nfail=0
for i in $(seq 1 20); do
    "$BIN" geometry "$T/g.ini" -o "$T/both.json" >/dev/null 2>"$T/e1" &
    p1=$!
    "$BIN" geometry "$T/g.ini" --set geometry.k="0.2 0 0.1" -o "$T/both.json" >/dev/null 2>"$T/e2" &
    p2=$!
    wait $p1; r1=$?
    wait $p2; r2=$?
    if [ $r1 -ne 0 ] || [ $r2 -ne 0 ] || ! valid_json "$T/both.json"; then
        nfail=$((nfail + 1))
        echo "  try $i: exits $r1 $r2: $(head -c 200 "$T/e1") $(head -c 200 "$T/e2")"
    fi
done
[ $nfail -eq 0 ] && ok "20 pairs of concurrent writers: every run exit 0, the file one complete JSON document" \
    || bad "$nfail of 20 concurrent pairs failed"
if ls -a "$T" | grep -q '^\.both\.json\.'; then bad "temporary files left by concurrent runs"; else ok "no temporary file left by concurrent runs"; fi

# 6. a dangling symbolic link given as -o: refused, the link left as it is
ln -s missing-target.json "$T/dangling.json"
run geometry "$T/g.ini" -o "$T/dangling.json"
expect_rc 3 "-o onto a dangling symlink"
expect_in "$T/err" "symbolic link to a missing file" "the message says why"
if [ -L "$T/dangling.json" ] && [ ! -e "$T/missing-target.json" ]; then ok "the link is kept and nothing created through it"
else bad "dangling link replaced or followed"; fi

# 7. every writer goes through the same output file: qkt export (a Wannier
# file) next to a planted PATH.tmp link, and sweep's plots next to planted
# PREFIX.png.tmp / PREFIX.svg.tmp links, with a prefix no shell would survive
printf '[model]\nname = lattice_weyl\n[export]\nfile = %s\n' "$T/lw_tb.dat" >"$T/exp.ini"
echo precious >"$T/precious2.txt"
ln -s precious2.txt "$T/lw_tb.dat.tmp"
run export "$T/exp.ini"
expect_rc 0 "export next to a planted PATH.tmp link"
if [ "$(cat "$T/precious2.txt")" = precious ] && head -1 "$T/lw_tb.dat" | grep -q "written by qkt"; then
    ok "export: the planted link's target is untouched, the model file is written"
else bad "export: precious2.txt now: $(head -c 100 "$T/precious2.txt")"; fi
if command -v gnuplot >/dev/null; then
    printf '[model]\nname = weyl2\n[run]\nmu = 0.1\nT = 0.01\n[sigma]\norder = 0\n[sweep]\ncommand = sigma\nfields = sigma0.xx\n' >"$T/sw.ini"
    P="$T/it's \$(touch pwned)"
    echo precious >"$T/precious3.txt"
    ln -s precious3.txt "$P.png.tmp"
    ln -s precious3.txt "$P.svg.tmp"
    (cd "$T" && run sweep "$T/sw.ini" --vary model.b=0.15:0.25:2 --set numerics.reltol=0.1 --set sweep.output="$P" \
        && echo "$rc" >"$T/sweep.rc")
    rc=$(cat "$T/sweep.rc" 2>/dev/null || echo none)
    expect_rc 0 "sweep with a quote and \$(...) in its prefix"
    [ -s "$P.png" ] && [ -s "$P.svg" ] && ok "sweep: PNG and SVG written under the odd prefix" || bad "sweep: no plot"
    [ "$(cat "$T/precious3.txt")" = precious ] && ok "sweep: the planted links' target is untouched" \
        || bad "sweep: precious3.txt now: $(head -c 100 "$T/precious3.txt")"
    [ ! -e "$T/pwned" ] && ok "sweep: no shell ran the prefix" || bad "sweep: the prefix was run by a shell"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# test_regress.sh - the guard of the numbers: every case of
# tests/regress/cases.txt (every example of examples/ and the benchmark cases,
# at reduced accuracy) is run with --json and compared, number by number, with
# its stored reference tests/regress/ref/NAME.json (tests/regress/compare.py:
# |x - y| <= 1e-12 (1 + max(|x|, |y|)), wall times left out), and its exit
# status with tests/regress/ref/NAME.rc.
# QKT_REGRESS_UPDATE=1 writes the references instead (refresh them only with a
# reason in the commit message); QKT_REGRESS_ONLY=NAME runs one case.  @TMP@ in
# an argument stands for the scratch folder (files a case writes).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DIR=tests/regress
while IFS='|' read -r name args; do
    name=${name//[[:space:]]/}
    [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
    [ -n "${QKT_REGRESS_ONLY:-}" ] && [ "$name" != "$QKT_REGRESS_ONLY" ] && continue
    read -r -a argv <<<"${args//@TMP@/$T}"
    "$BIN" "${argv[@]}" --json --quiet >"$T/$name.raw" 2>"$T/$name.err"
    rc=$?
    sed "s|$T|@TMP@|g" "$T/$name.raw" >"$T/$name.json"
    if [ "${QKT_REGRESS_UPDATE:-0}" = 1 ]; then
        cp "$T/$name.json" "$DIR/ref/$name.json"
        echo "$rc" >"$DIR/ref/$name.rc"
        ok "$name: reference written (exit $rc)"
        continue
    fi
    want=$(cat "$DIR/ref/$name.rc" 2>/dev/null || echo missing)
    if [ "$rc" != "$want" ]; then
        bad "$name: exit $rc, reference $want; stderr: $(head -c 300 "$T/$name.err")"
        continue
    fi
    if python3 "$DIR/compare.py" "$DIR/ref/$name.json" "$T/$name.json" >"$T/$name.diff"; then
        ok "$name: every number within 1e-12 (1 + max) of the reference"
    else
        bad "$name: differs from the reference:"
        sed 's/^/     /' "$T/$name.diff"
    fi
done <"$DIR/cases.txt"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

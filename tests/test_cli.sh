#!/usr/bin/env bash
# test_cli.sh - end-to-end tests of the qkt program ($QKT_BIN): version and
# help texts, `qkt geometry` on weyl2 against closed forms, JSON output,
# --output, and exit codes and messages for malformed input.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
expect_not_in() { # FILE NEEDLE WHAT
    if grep -qF -- "$2" "$1"; then bad "$3: $(basename "$1") contains '$2'"; else ok "$3: no '$2' in $(basename "$1")"; fi
}
# pycheck WHAT PYTHON-EXPRESSION (d = the JSON document in $T/out; must be true)
pycheck() {
    if python3 - "$T/out" "$2" <<'EOF'; then ok "$1"; else bad "$1 ($2)"; fi
import json, math, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}

if [ ! -x "$BIN" ]; then
    echo "FAIL qkt program not found at '$BIN' (set QKT_BIN)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ------------------------------------------------------------------ version, help
run --version
expect_rc 0 "--version"
if head -n 1 "$T/out" | grep -qx "qkt 0.1.0"; then ok "--version first line is 'qkt 0.1.0'"; else bad "--version first line: $(head -n 1 "$T/out")"; fi
expect_in "$T/out" "MPI" "--version reports MPI"
expect_in "$T/out" "OpenMP" "--version reports OpenMP"

run --help
expect_rc 0 "--help"
expect_in "$T/out" "geometry" "--help lists the geometry command"
expect_in "$T/out" "exit codes" "--help lists the exit codes"

run geometry --help
expect_rc 0 "geometry --help"
expect_in "$T/out" "geometry.k" "geometry --help lists geometry.k"
expect_in "$T/out" "geometry.degen_tol" "geometry --help lists geometry.degen_tol"
expect_in "$T/out" "1e-9" "geometry --help shows the default of degen_tol"
expect_in "$T/out" "model.name" "geometry --help lists the [model] keys"

run help geometry
expect_rc 0 "help geometry"
expect_in "$T/out" "geometry.frac" "help geometry lists geometry.frac"

run help models
expect_rc 0 "help models"
expect_in "$T/out" "model.Delta" "help models lists weyl2's Delta"

run
expect_rc 2 "no arguments"

# ------------------------------------------------------------------ geometry on weyl2
cat >"$T/w.ini" <<'EOF'
# weyl2 at one k-point
[model]
name = weyl2
v = 1
b = 0.2
Delta = 0

[geometry]
k = 0.1 0 0.3
EOF
# bands +-sqrt(0.1^2 + (0.2 - 0.3)^2); upper-band curvature (0.1, 0, 0.1)/(2 * 0.02^1.5)
E=$(python3 -c 'import math; print(math.sqrt(0.01 + (0.2 - 0.3)**2))')
run geometry "$T/w.ini"
expect_rc 0 "geometry on weyl2"
expect_in "$T/out" "natural units (hbar = e = 1)" "geometry prints the unit system"
line=$(grep -E '^ *eps = ' "$T/out" | head -n 1)
if python3 -c "
import sys, re
v = [float(x) for x in re.findall(r'[-+0-9.eE]+', sys.argv[1].split('=')[1].split('[')[0])]
sys.exit(0 if len(v) == 2 and abs(v[0] + $E) < 1e-9 and abs(v[1] - $E) < 1e-9 else 1)" "$line"; then
    ok "table: eps = -+$E ($line)"
else
    bad "table: eps line '$line', want -+$E"
fi

run geometry "$T/w.ini" --json
expect_rc 0 "geometry --json"
if python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out"; then ok "--json output parses"; else bad "--json output does not parse"; fi
pycheck "JSON eps = -+sqrt(0.02)" "abs(d['results']['kpoints'][0]['eps'][1] - math.sqrt(0.02)) < 1e-12 and abs(d['results']['kpoints'][0]['eps'][0] + math.sqrt(0.02)) < 1e-12"
pycheck "JSON Omega of the upper band = (0.1, 0, 0.1)/(2*0.02^1.5)" "all(abs(a - b) < 1e-9 for a, b in zip(d['results']['kpoints'][0]['Omega'][1], [0.1/(2*0.02**1.5), 0, 0.1/(2*0.02**1.5)]))"
pycheck "JSON Omega sums to zero over the two bands" "all(abs(d['results']['kpoints'][0]['Omega'][0][a] + d['results']['kpoints'][0]['Omega'][1][a]) < 1e-9 for a in range(3))"
pycheck "JSON v is Hermitian" "all(abs(d['results']['kpoints'][0]['v'][c]['re'][0][1] - d['results']['kpoints'][0]['v'][c]['re'][1][0]) < 1e-12 and abs(d['results']['kpoints'][0]['v'][c]['im'][0][1] + d['results']['kpoints'][0]['v'][c]['im'][1][0]) < 1e-12 for c in 'xyz')"
pycheck "JSON R diagonal is null" "d['results']['kpoints'][0]['R']['x']['re'][0][0] is None"
pycheck "JSON carries command, version, unit system" "d['command'] == 'geometry' and d['version'] == '0.1.0' and d['unit_system'] == 'natural units (hbar = e = 1)'"
pycheck "JSON inputs after defaults with origins" "d['inputs']['model.b'] == 0.2 and d['inputs']['geometry.degen_tol'] == 1e-9 and d['input_origins']['model.b'].endswith('w.ini:5') and d['input_origins']['geometry.degen_tol'] == 'default'"
pycheck "JSON status ok, no warnings" "d['status'] == 'ok' and d['warnings'] == []"

run geometry "$T/w.ini" --set geometry.k="0.1 0 0.3; 0 0 0.5" --set model.b=0.3 --json
expect_rc 0 "geometry with two k-points and --set"
pycheck "two k-points; --set model.b wins: eps = sqrt(0.01 + 0)" "len(d['results']['kpoints']) == 2 and abs(d['results']['kpoints'][0]['eps'][1] - 0.1) < 1e-12 and d['input_origins']['model.b'] == '--set'"

run geometry "$T/w.ini" --output "$T/res.json"
expect_rc 0 "geometry --output"
if [ -f "$T/res.json" ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/res.json"; then ok "--output file parses"; else bad "--output file missing or not JSON"; fi
if [ -e "$T/res.json.tmp" ]; then bad "--output left res.json.tmp behind"; else ok "--output leaves no .tmp file"; fi
expect_in "$T/out" "eps = " "--output still prints the table"

run geometry "$T/w.ini" --output "$T/no/such/dir/res.json"
expect_rc 3 "--output into a missing directory"
expect_in "$T/err" "res.json" "--output error names the file"

# degenerate bands: dirac at k = 0 (two degenerate pairs)
run geometry --set model.name=dirac --set geometry.k="0 0 0" --json
expect_rc 0 "geometry at a degenerate point"
expect_in "$T/err" "qkt: warning: degenerate band pairs" "degeneracy warning on stderr"
pycheck "degenerate pairs listed and their R is null" "d['results']['kpoints'][0]['degenerate_pairs'] == [[0, 1], [2, 3]] and d['results']['kpoints'][0]['R']['x']['re'][0][1] is None and len(d['warnings']) == 1"
run geometry --set model.name=dirac --set geometry.k="0 0 0"
expect_in "$T/out" "degenerate" "table marks degenerate R elements"
run geometry --set model.name=dirac --set geometry.k="0 0 0" --quiet
if [ ! -s "$T/err" ]; then ok "--quiet: nothing on stderr"; else bad "--quiet: stderr has $(cat "$T/err")"; fi

# reduced coordinates on a lattice model: k = 0.5 b3 = (0, 0, pi)
run geometry --set model.name=lattice_weyl --set geometry.k="0 0 0.5" --set geometry.frac=true --json
expect_rc 0 "geometry.frac on lattice_weyl"
pycheck "frac k = (0, 0, 0.5) maps to (0, 0, pi)" "abs(d['results']['kpoints'][0]['k'][2] - math.pi) < 1e-12"

# ------------------------------------------------------------------ malformed input
run geometry "$T/missing.ini"
expect_rc 3 "missing run file"
expect_in "$T/err" "missing.ini" "missing run file: message names the file"
expect_in "$T/err" "qkt: error: " "errors start with 'qkt: error: '"

printf '[model]\nname = weyl2\n[geometry]\nk = 0 0 0.1\ndegen_tl = 1e-9\n' >"$T/unk.ini"
run geometry "$T/unk.ini"
expect_rc 2 "unknown key"
expect_in "$T/err" "unknown key 'geometry.degen_tl'" "unknown key: names the key"
expect_in "$T/err" "unk.ini:5" "unknown key: names file:line"
expect_in "$T/err" "did you mean 'geometry.degen_tol'?" "unknown key: suggests the closest key"

printf '[model]\nname = weyl2\nb = 0.2\ndelta = 0.1\n[geometry]\nk = 0 0 0.1\n' >"$T/case.ini"
run geometry "$T/case.ini"
expect_rc 2 "model parameter with the wrong case"
expect_in "$T/err" "did you mean 'model.Delta'?" "wrong case: suggests model.Delta"

printf '[model]\nname = weyl2\nv = fast\n[geometry]\nk = 0 0 0.1\n' >"$T/num.ini"
run geometry "$T/num.ini"
expect_rc 2 "non-numeric value"
expect_in "$T/err" "'model.v' (" "non-numeric value: names the key"
expect_in "$T/err" "num.ini:3" "non-numeric value: names file:line"

printf '[model]\nname = weyl2\nb = nan\n[geometry]\nk = 0 0 0.1\n' >"$T/nan.ini"
run geometry "$T/nan.ini"
expect_rc 2 "NaN value"
expect_in "$T/err" "nan.ini:3" "NaN value: names file:line"
expect_in "$T/err" "not a finite number" "NaN value: says why"

run geometry "$T/w.ini" --set geometry.k="0 inf 1"
expect_rc 2 "Inf in a vector"

run geometry "$T/w.ini" --set geometry.k="0 0"
expect_rc 2 "vector of the wrong length"
expect_in "$T/err" "expected 3 numbers, got 2" "wrong length: says so"

run geometry "$T/w.ini" --set model.name=weyl3
expect_rc 2 "unknown model name"
expect_in "$T/err" "unknown model 'weyl3'" "unknown model: names it"
expect_in "$T/err" "weyl2" "unknown model: lists the models"

printf '[model\nname = weyl2\n' >"$T/syn.ini"
run geometry "$T/syn.ini"
expect_rc 4 "syntax error in the run file"
expect_in "$T/err" "syn.ini:1" "syntax error: names file:line"

run geometry --set model.name=weyl2
expect_rc 2 "required key missing"
expect_in "$T/err" "geometry.k" "required key: names it"

run geometry "$T/w.ini" --set geometry.frac=true
expect_rc 2 "reduced coordinates on a continuum model"

run geometry "$T/w.ini" --set model.v=-1
expect_rc 2 "invalid model parameter"
expect_in "$T/err" "model.v = -1 (--set)" "invalid parameter: names the key and origin"

run geometry "$T/w.ini" --jsn
expect_rc 2 "unknown option"
expect_in "$T/err" "did you mean '--json'?" "unknown option: suggestion"

run geometri "$T/w.ini"
expect_rc 2 "unknown command"
expect_in "$T/err" "did you mean 'geometry'?" "unknown command: suggestion"

run geometry "$T/w.ini" "$T/w.ini"
expect_rc 2 "two run files"

run geometry "$T/w.ini" --set
expect_rc 2 "--set without argument"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# test_time_limit.sh - numerics.time_limit (docs/cli.md): a run that reaches
# it ends with the best result so far and its error estimates, status "time
# limit reached", exit code 9, the JSON printed and the --output file written
# whole; adaptive integration (parts not finished keep their pilot values)
# and mesh refinement (the cells so far).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cat >"$T/f3.ini" <<'INI'
[model]
name = weyl2
b = 0.1
[run]
mu = 0.1
T = 0.005
B = 0 0 1
[mc]
E = 0 0 1
INI

# the reference: the same Fig. 3 point (k0 = 0.1), run to its accuracy
run mc "$T/f3.ini" --set numerics.reltol=1e-3 --json
expect_rc 0 "Fig. 3 point at reltol 1e-3"
cp "$T/out" "$T/full.json"

# a time limit far below the run's time: exit 9, every number still there
run mc "$T/f3.ini" --set numerics.reltol=1e-5 --set numerics.time_limit=0.05 --json -o "$T/cut.json"
expect_rc 9 "time limit reached"
expect_in "$T/err" "numerics.time_limit = 0.05 s reached" "the warning names the key"
pycheck "status 'time limit reached'" "d['status'] == 'time limit reached'"
cmp -s "$T/out" "$T/cut.json" && ok "the --output file holds the printed document" || bad "-o file differs from stdout"
# C of the cut run against the full one, within the two error estimates
# (the parts cut keep one cubature rule each, whose error estimate is the
# rule pair's difference)
if python3 -c "
import json, sys
a = json.load(open('$T/full.json'))['results']['weyl']; b = json.load(open('$T/cut.json'))['results']['weyl']
print('  C full %.8f +- %.2g, cut %.8f +- %.2g' % (a['C'], a['C_err'], b['C'], b['C_err']))
sys.exit(0 if abs(a['C'] - b['C']) <= 3 * (a['C_err'] + b['C_err']) and b['C_err'] > 0 else 1)"; then
    ok "C of the cut run agrees with the full run within 3x their error estimates"
else bad "C of the cut run is off"; fi

# mesh refinement of Si (order 0) asked for far more than the limit allows
cat >"$T/si.ini" <<INI
[model]
name = wannier
file = ${QKT_SHARED:-../shared}/data/si/Si_tb.dat
spin_degeneracy = 2
[run]
mu = 7.5
T = 300
tau_intra = 10
[sigma]
order = 0
[numerics]
mesh = 10
refine = true
reltol = 1e-7
maxeval = 100000000
INI
run sigma "$T/si.ini" --set numerics.time_limit=3 --json
expect_rc 9 "Si refinement stopped by the time limit"
pycheck "Si: sigma_xx and its error estimate are finite and positive" \
    "r['sigma0']['xx'] > 0 and 0 < r['sigma0']['xx_err'] < r['sigma0']['xx']"

# bad values
run mc "$T/f3.ini" --set numerics.time_limit=-1
expect_rc 2 "negative time limit"
expect_in "$T/err" "numerics.time_limit" "the message names the key"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# test_mesh_estimate_cli.sh - numerics.mesh_estimate on the command line
# (docs/wannier.md, "Error estimate of a mesh"): error blocks and the
# integration line of sigma, error columns of scan equal to single runs, the
# Bloch check of cme with an estimate, the time limit reached after the mesh
# (exit 9, the copies skipped, the output file written whole), and bad values
# refused with the key named.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SI=${QKT_SHARED:-../shared}/data/si/Si_tb.dat
cat >"$T/si.ini" <<INI
[model]
name = wannier
file = $SI
spin_degeneracy = 2
[run]
mu = 7.5
T = 300
tau_intra = 10
rule = rta
[sigma]
order = 1
[numerics]
mesh = 12
mesh_estimate = 3
INI

# sigma at order 1: values of the plain mesh, errors from the copies
run sigma "$T/si.ini" --set numerics.mesh_estimate=0 --json
cp "$T/out" "$T/plain.json"
run sigma "$T/si.ini" --json
expect_rc 7 "Si 12^3 with 3 copies: not converged at reltol 1e-3 (exit 7)"
pycheck "the integration line names the displaced copies" \
    "r['numerics']['integration'].startswith('uniform mesh + displaced copies')"
pycheck "4 x 12^3 evaluations" "r['numerics']['evaluations'] == 4 * 12**3"
if python3 -c "
import json, sys
a = json.load(open('$T/plain.json'))['results']; b = json.load(open('$T/out'))['results']
ok = all(a[t][c] == b[t][c] for t in ('sigma0', 'sigma1') for c in ('xx', 'xy', 'yx', 'zz'))
ok = ok and b['sigma1']['xy_err'] > 0 and b['sigma0']['xx_err'] > 0 and 'xy_err' not in a['sigma1']
sys.exit(0 if ok else 1)"; then ok "values equal to the plain mesh's, with positive estimates (the plain run has none)"
else bad "values or estimates of the estimated run"; fi

# scan: error columns, each equal to the estimate of a single run
cat >"$T/scan.ini" <<INI
[model]
name = wannier
file = $SI
spin_degeneracy = 2
[run]
T = 300
tau_intra = 10
[numerics]
mesh = 10
mesh_estimate = 3
[scan]
mu = 7.0 7.5
INI
run scan "$T/scan.ini" --json
cp "$T/out" "$T/scan.json"
run sigma "$T/scan.ini" --ignore-section=scan --set run.mu=7.5 --set sigma.order=0 --json
if python3 -c "
import json, sys
s = json.load(open('$T/scan.json'))['results']; one = json.load(open('$T/out'))['results']['sigma0']
tab = s['scan']; cols = tab['columns']; row = tab['rows'][1]
e = row[cols.index('xx_err')]
print('  scan sigma_xx_err %.6g, single run %.6g' % (e, one['xx_err']))
sys.exit(0 if e > 0 and abs(e - one['xx_err']) <= 1e-9 * e else 1)"; then ok "scan error column = single run's estimate"
else bad "scan error column"; fi

# cme: the Bloch check carries an error estimate
cat >"$T/lw.ini" <<INI
[model]
name = lattice_weyl
tilt = 0 0 0.3
[run]
mu = 0.1
T = 0.05
B = 0 0 1
[numerics]
mesh = 12
mesh_estimate = 3
INI
run cme "$T/lw.ini" --json
pycheck "cme on a mesh with copies: Bloch check with an error estimate, holds" \
    "r['bloch']['error_estimate'] > 0 and r['bloch']['verdict'] == 'holds within 3 error estimates'"

# (a mesh large enough, 48^3, that its sum always outlasts the 1 ms limit:
# 12^3 could finish first, and then the copies began)
run cme "$T/lw.ini" --set numerics.mesh=48 --set numerics.time_limit=0.001 --json
expect_rc 9 "cme: time limit reached before the copies"
pycheck "cme: the verdict says there is no estimate" "'no error estimate' in r['bloch']['verdict']"

# the time limit, reached during the mesh: the copies are skipped
run sigma "$T/si.ini" --set numerics.mesh=20 --set numerics.time_limit=0.01 --json -o "$T/cut.json"
expect_rc 9 "time limit reached after the mesh"
expect_in "$T/err" "3 of the 3 displaced meshes were not summed" "the warning says what was skipped"
cmp -s "$T/out" "$T/cut.json" && ok "the --output file holds the printed document" || bad "-o file differs from stdout"
pycheck "errors are at least the values (no estimate), the mesh's evaluations only" \
    "r['numerics']['evaluations'] == 20**3 and r['sigma1']['xy_err'] >= abs(r['sigma1']['xy']) > 0"

# bad values name the key
for v in 8 -1 x; do
    run sigma "$T/si.ini" --set numerics.mesh_estimate=$v
    expect_rc 2 "mesh_estimate = $v refused"
    expect_in "$T/err" "numerics.mesh_estimate" "the message names the key"
done
run sigma "$T/si.ini" --set numerics.refine=true --set sigma.order=0
expect_rc 2 "mesh_estimate with refine refused"
expect_in "$T/err" "numerics.mesh_estimate" "the message names the key"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

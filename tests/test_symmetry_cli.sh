#!/usr/bin/env bash
# test_symmetry_cli.sh - numerics.symmetry in the commands (docs/runfile.md):
# the report of the magnetic point group and its forbidden components, the
# keys model.win, model.moments, model.magnetization and their errors, and
# symmetry off (the default) leaving results untouched.  Small meshes; the
# physics of the symmetrization is in test_symmetry_mag.c.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SH=${QKT_SHARED:-../shared}

cat >"$T/fe.ini" <<INI
[model]
name = wannier
file = $SH/data/fe/Fe_tb.dat.gz
[run]
T = 300
[sigma]
order = 0
[numerics]
mesh = 6
INI

# Fe, M || z: 4/mm'm', 16 = 8 + 8; sigma0 xz yz zx zy exactly 0, xx = yy, xy = -yx
run sigma "$T/fe.ini" --set numerics.symmetry=true --set model.magnetization=0,0,1 --json
expect_rc 0 "sigma on Fe with symmetry"
pycheck "Fe: group 4/mm'm' (BNS 139.537), 16 operations, 8 antiunitary, .win found beside model.file" \
    "r['symmetry']['operations'] == 16 and r['symmetry']['antiunitary'] == 8 and '139.537' in r['symmetry']['magnetic_space_group'] and r['symmetry']['structure'].endswith('Fe.win')"
pycheck "Fe: forbidden sigma0 components are xz yz zx zy" "r['symmetry']['sigma0_forbidden'] == 'xz yz zx zy'"
pycheck "Fe: symmetrized sigma0 has exact zeros, xx = yy, xy = -yx != 0" \
    "(lambda s: s['xz'] == 0 and s['yz'] == 0 and s['zx'] == 0 and s['zy'] == 0 and s['xx'] == s['yy'] and s['xy'] == -s['yx'] and s['xy'] != 0)(r['sigma0'])"
cp "$T/out" "$T/fe_sym.json"

# off (default): no symmetry block, the same xx within 1e-6 (the mesh is symmetric)
run sigma "$T/fe.ini" --json
expect_rc 0 "sigma on Fe without symmetry"
pycheck "Fe without symmetry: no symmetry block; xx within 1e-6 of the symmetrized run" \
    "'symmetry' not in r and abs(r['sigma0']['xx'] / json.load(open('$T/fe_sym.json'))['results']['sigma0']['xx'] - 1) < 1e-6"

# the irreducible wedge: scan over two chemical potentials, 12^3 mesh
run scan "$T/fe.ini" --set numerics.mesh=12 --set numerics.symmetry=true --set model.magnetization=0,0,1 --set "scan.mu=13.4 13.5463" --json
expect_rc 0 "scan on Fe, symmetrized"
cp "$T/out" "$T/scan_full.json"
run scan "$T/fe.ini" --set numerics.mesh=12 --set numerics.symmetry=true --set numerics.symmetry_wedge=true --set model.magnetization=0,0,1 --set "scan.mu=13.4 13.5463" --json
expect_rc 0 "scan on Fe over the irreducible wedge"
pycheck "Fe wedge: 163 of 1728 mesh points (4/mm'm' orbits) evaluated" \
    "r['symmetry']['wedge_points'] == 163 and r['symmetry']['mesh_points'] == 1728 and r['numerics']['evaluations'] == 163"
pycheck "Fe wedge: every scan value within 1e-6 (relative to the row's xx) of the symmetrized full mesh" \
    "all(abs(a - b) <= 1e-6 * abs(ra[1]) for ra, rb in zip(json.load(open('$T/scan_full.json'))['results']['scan']['rows'], r['scan']['rows']) for a, b in zip(ra[1:10], rb[1:10]))"
# order 1 (rule rta): the orbits of the unitary subgroup (8 operations), the
# symmetrized tensors within 1e-5 of the symmetrized full mesh (Fe's own
# asymmetry is 1e-6 of sigma^(1): test_symmetry_mag), no per-pocket results
run sigma "$T/fe.ini" --set numerics.symmetry=true --set model.magnetization=0,0,1 --set sigma.order=1 --set run.rule=rta --set run.B=0,0,1 --json
expect_rc 0 "sigma order 1 on Fe, symmetrized"
cp "$T/out" "$T/o1_full.json"
run sigma "$T/fe.ini" --set numerics.symmetry=true --set numerics.symmetry_wedge=true --set model.magnetization=0,0,1 --set sigma.order=1 --set run.rule=rta --set run.B=0,0,1 --json
expect_rc 7 "sigma order 1 on Fe over the irreducible wedge (exit 7: not converged by its meshes-N/2 estimate at 6^3)"
pycheck "Fe order-1 wedge, even mesh: errors from the 8 meshes N/2 that make up the mesh, named in the report" \
    "r['sigma1']['xy_err'] > 0 and '8 meshes N/2' in r['numerics']['integration']"
pycheck "Fe order-1 wedge: 36 of 216 points (orbits of the 8 unitary operations); sigma0 and sigma1 within 1e-5 of the full mesh; no pockets" \
    "(lambda f: r['symmetry']['wedge_points'] == 36 and r['numerics']['evaluations'] == 36 and all(abs(r[t][c] - f[t][c]) <= 1e-5 * max(abs(v) for v in f[t].values()) for t in ('sigma0', 'sigma1') for c in f[t]) and not r.get('pockets'))(json.load(open('$T/o1_full.json'))['results'])"
run sigma "$T/fe.ini" --set numerics.symmetry=true --set numerics.symmetry_wedge=true --set model.magnetization=0,0,1 --set sigma.order=1
expect_rc 2 "wedge at order 1 under rule paper refused"
expect_in "$T/err" "run.rule = rta" "the error names the rule it needs"

# moments are required, and must match the atoms
run sigma "$T/fe.ini" --set numerics.symmetry=true
expect_rc 2 "symmetry without moments refused"
expect_in "$T/err" "model.moments = none for a non-magnetic crystal" "the error says how to state the moments"
run sigma "$T/fe.ini" --set numerics.symmetry=true --set "model.moments=0 0 1; 0 0 1"
expect_rc 2 "two moments for one atom refused"
expect_in "$T/err" "2 moments for the 1 atoms" "the error counts moments and atoms"
run sigma "$T/fe.ini" --set numerics.symmetry=true --set model.moments=none --set model.magnetization=0,0,1
expect_rc 2 "moments and magnetization together refused"
# Fe declared non-magnetic (moments = none): m-3m1'; the magnetized model breaks
# the cubic operations that move z (dropped, warned), but not time reversal on
# its bands (inversion gives eps(-k) = eps(k)), so T stays and removes the Hall
# part: the band test cannot see M, which is why the moments must be stated
run sigma "$T/fe.ini" --set numerics.symmetry=true --set model.moments=none --json
expect_rc 0 "Fe as if non-magnetic"
pycheck "Fe with moments = none: m-3m1' (96), the model breaks some: dropped and warned" \
    "r['symmetry']['crystal_operations'] == 96 and r['symmetry']['operations'] < 96 and any('breaks' in w for w in d['warnings'])"
pycheck "Fe with moments = none: the Hall part is then forbidden (xy = 0 exactly)" "r['sigma0']['xy'] == 0"

# a wrong .win: lattice mismatch named
run sigma "$T/fe.ini" --set numerics.symmetry=true --set model.moments=none --set model.win=$SH/data/si/Si.win
expect_rc 2 "Si.win for the Fe model refused"
expect_in "$T/err" "differs from the model's" "lattice mismatch explained"

# a model without a .win (continuum) refused
run sigma --set model.name=weyl4 --set numerics.symmetry=true --set sigma.order=0
expect_rc 2 "symmetry on a continuum model refused"
expect_in "$T/err" "Wannier models" "the error says it is for Wannier models"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

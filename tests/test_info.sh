#!/usr/bin/env bash
# test_info.sh - `qkt info` ($QKT_BIN): Weyl nodes and Fermi pockets of weyl2 (pockets
# Q = +1, -1 at b = 0.2; one pocket Q = 0 at b = 0.05; a gap), node, dirac, rashba2d,
# lattice_weyl; JSON and table; malformed input (exit 2 naming the key).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# pycheck WHAT PYTHON-EXPRESSION (d = the JSON document in $T/out, r = d['results'],
# N = r['nodes']['list'], P = r['pockets']['list']; must be true)
pycheck() {
    if python3 - "$T/out" "$2" <<'EOF'; then ok "$1"; else bad "$1 ($2)"; fi
import json, math, sys
try:
    d = json.load(open(sys.argv[1]))
    r = d['results']
    N = r.get('nodes', {}).get('list', [])
    P = r.get('pockets', {}).get('list', [])
    ok = eval(sys.argv[2])
except Exception as e:
    print('   python: %s' % e)
    ok = False
sys.exit(0 if ok else 1)
EOF
}

if [ ! -x "$BIN" ]; then
    echo "FAIL qkt program not found at '$BIN' (set QKT_BIN)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ------------------------------------------------------------------ help
run --help
expect_rc 0 "--help"
expect_in "$T/out" "info" "--help lists the info command"
run info --help
expect_rc 0 "info --help"
for k in info.mu info.T info.search_grid info.node_tol info.node_radius; do
    expect_in "$T/out" "$k" "info --help lists $k"
done

# ------------------------------------------------------------------ weyl2, b = 0.2: two nodes, two pockets
# Nodes (0, 0, -+b/v); near (0, 0, -b) the block is v(qx sx + qy sy) + v qz sz: Q = +1.
# At mu = 0.1 < b the Fermi surface is two spheres of radius mu/v, one per node,
# each with Q of its node (Eq. 3) and dos = mu^2/(2 pi^2 v^3) (T -> 0).
cat >"$T/w.ini" <<'EOF'
[model]
name = weyl2
v = 1
b = 0.2
[info]
mu = 0.1
T = 0.005
EOF
run info "$T/w.ini" --json
expect_rc 0 "info weyl2 b=0.2"
pycheck "JSON parses; command info" "d['command'] == 'info' and d['status'] == 'ok'"
pycheck "model block: weyl2, 2 bands, 3D, continuum, natural units" "r['model']['name'] == 'weyl2' and r['model']['bands'] == 2 and r['model']['dim'] == 3 and r['model']['periodic'] is False and r['model']['unit_system'].startswith('natural')"
pycheck "model parameters v = 1, b = 0.2, Delta = 0" "r['model']['parameters']['v'] == 1 and r['model']['parameters']['b'] == 0.2 and r['model']['parameters']['Delta'] == 0"
pycheck "two Weyl nodes at (0, 0, -+0.2) (tol 1e-9)" "len(N) == 2 and abs(N[0]['k'][2] + 0.2) < 1e-9 and abs(N[1]['k'][2] - 0.2) < 1e-9 and max(abs(n['k'][a]) for n in N for a in (0, 1)) < 1e-9"
pycheck "node chiralities +1 (kz < 0), -1 (kz > 0); flux within 1e-6" "[n['chirality'] for n in N] == [1, -1] and abs(N[0]['flux'] - 1) < 1e-6 and abs(N[1]['flux'] + 1) < 1e-6"
pycheck "nodes carry energy 0 +- err, bands [0, 1], radius, flux_err, gap_tol" "all(abs(n['energy']) <= 1e-12 and n['bands'] == [0, 1] and n['radius'] > 0 and 'flux_err' in n and 'energy_err' in n and n['gap'] <= n['gap_tol'] for n in N)"
pycheck "node chiralities sum to 0; no extended touchings" "r['nodes']['chirality_sum'] == 0 and r['nodes']['extended'] == []"
pycheck "two pockets" "r['pockets']['count'] == 2 and len(P) == 2 and r['pockets']['in_gap'] is False"
pycheck "pocket chiralities (Eq. 3) +1 and -1 (tol 0.01) with error estimates" "sorted(round(p['chirality']) for p in P) == [-1, 1] and all(abs(abs(p['chirality']) - 1) < 0.01 and p['chirality_err'] < 0.01 for p in P)"
pycheck "each pocket has the chirality of the node it encloses (centre kz sign)" "all((p['chirality'] > 0) == (p['center'][2] < 0) for p in P)"
pycheck "each pocket encloses its node: enclosed_charge = chirality (the seed below Eq. 3), node_check agree" "all(p['enclosed_charge'] == round(p['chirality']) and p['enclosed_nodes'] == 1 and p['node_check'] == 'agree' for p in P)"
pycheck "node_check summary: 2 agree, none differ, thermal, incomplete or unresolved" "r['pockets']['node_check']['agree'] == 2 and all(r['pockets']['node_check'][k] == 0 for k in ('differ', 'thermal', 'incomplete', 'unresolved'))"
pycheck "pocket centres at kz = -+0.2 (tol 0.01)" "all(abs(abs(p['center'][2]) - 0.2) < 0.01 for p in P)"
pycheck "pocket dos = mu^2/(2 pi^2 v^3) = 5.066e-4 (tol 2%, finite T)" "all(abs(p['dos'] / (0.01 / (2 * math.pi**2)) - 1) < 0.02 for p in P)"
pycheck "inputs recorded: info.mu, info.T from the file, search grid default" "d['inputs']['info.mu'] == 0.1 and d['inputs']['info.T'] == 0.005 and d['input_origins']['info.search_grid'] == 'default'"

run info "$T/w.ini"
expect_rc 0 "info weyl2 b=0.2 (table)"
expect_in "$T/out" "Weyl nodes:" "table has the node section"
expect_in "$T/out" "chirality = 1" "table shows a node of chirality 1"
expect_in "$T/out" "chirality = -1" "table shows a node of chirality -1"
expect_in "$T/out" "flux = " "table shows the raw flux"
expect_in "$T/out" "+/- " "table shows error estimates"
expect_in "$T/out" "Fermi pockets:" "table has the pocket section"
expect_in "$T/out" "unit_system = natural units (hbar = e = 1)" "table names the unit system"

# ------------------------------------------------------------------ weyl2, b = 0.05: one pocket around both nodes
run info "$T/w.ini" --set model.b=0.05 --json
expect_rc 0 "info weyl2 b=0.05"
pycheck "two nodes at (0, 0, -+0.05), chiralities +1, -1" "len(N) == 2 and abs(N[0]['k'][2] + 0.05) < 1e-9 and abs(N[1]['k'][2] - 0.05) < 1e-9 and [n['chirality'] for n in N] == [1, -1]"
pycheck "one pocket (mu = 0.1 > b: the two Fermi spheres merge)" "r['pockets']['count'] == 1 and len(P) == 1"
pycheck "its chirality is 0 (tol 0.01)" "abs(P[0]['chirality']) < 0.01"
pycheck "it encloses both nodes, charge 0: node_check agree" "P[0]['enclosed_nodes'] == 2 and P[0]['enclosed_charge'] == 0 and P[0]['node_check'] == 'agree'"
# the nodes at energy 0 lie within 5 k_B T of mu = 0.02 at T = 0.005: thermal, not checked
run info "$T/w.ini" --set info.mu=0.02 --json
pycheck "weyl2 mu = 0.02 (nodes within 5 T): every pocket's node_check is thermal" "len(P) == 2 and all(p['node_check'] == 'thermal' and p['enclosed_nodes'] == 0 for p in P)"
# hole pockets (mu < 0): each still has the chirality of its node, and encloses it
run info "$T/w.ini" --set info.mu=-0.1 --json
pycheck "weyl2 mu = -0.1 (hole pockets): chirality = enclosed charge = the node's, agree" "len(P) == 2 and all(p['node_check'] == 'agree' and p['enclosed_charge'] == round(p['chirality']) and (p['chirality'] > 0) == (p['center'][2] < 0) for p in P)"

# ------------------------------------------------------------------ gapped weyl2: mu in the gap
run info "$T/w.ini" --set model.b=0.05 --set model.Delta=0.1 --set info.mu=0.02 --json
expect_rc 0 "info gapped weyl2 (Delta > b), mu = 0.02 in the gap 2(Delta - b) = 0.1"
pycheck "no nodes, no pockets, in_gap" "len(N) == 0 and r['nodes']['count'] == 0 and r['pockets']['count'] == 0 and r['pockets']['in_gap'] is True"
run info "$T/w.ini" --set model.b=0.05 --set model.Delta=0.1 --set info.mu=0.02
expect_in "$T/out" "lies in a gap" "table says mu lies in a gap"

# ------------------------------------------------------------------ node, Eq. (91): one pocket, Q = chirality
for q in 1 -1; do
    run info --set model.name=node --set model.chirality=$q --set info.mu=0.1 --json
    expect_rc 0 "info node chirality=$q"
    pycheck "node Q=$q: one node at the origin with chirality $q" "len(N) == 1 and N[0]['chirality'] == $q and max(abs(x) for x in N[0]['k']) < 1e-10"
    pycheck "node Q=$q: one pocket with chirality $q (tol 0.01)" "len(P) == 1 and abs(P[0]['chirality'] - ($q)) < 0.01"
done

# ------------------------------------------------------------------ dirac: blocks
run info --set model.name=dirac --set info.pockets=false --json
expect_rc 0 "info dirac, pockets off"
pycheck "dirac: two blocks; nodes Q = +1 in block 0, -1 in block 1" "r['model']['blocks'] == 2 and [(n['block'], n['chirality']) for n in N] == [(0, 1), (1, -1)]"
pycheck "dirac: pockets section absent when info.pockets = false" "'pockets' not in r"

# ------------------------------------------------------------------ 2D model
run info --set model.name=rashba2d --json
expect_rc 0 "info rashba2d"
pycheck "2D: nodes not defined" "r['nodes']['defined'] is False and r['model']['dim'] == 2"
pycheck "2D: pockets without chirality" "r['pockets']['count'] >= 1 and all('chirality' not in p for p in P)"

# ------------------------------------------------------------------ periodic model
run info --set model.name=lattice_weyl --set info.pockets=false --json
expect_rc 0 "info lattice_weyl"
pycheck "lattice_weyl: nodes (0, 0, -+0.5), Q = +1, -1, reduced coordinates given" "len(N) == 2 and abs(N[0]['k'][2] + 0.5) < 1e-9 and abs(N[1]['k'][2] - 0.5) < 1e-9 and [n['chirality'] for n in N] == [1, -1] and abs(N[1]['k_frac'][2] - 0.5 / (2 * math.pi)) < 1e-9"

# ------------------------------------------------------------------ nodes about to annihilate
# weyl2 with b = 0.100001, Delta = 0.1: nodes 9e-4 apart (k0 = sqrt(b^2 - Delta^2)/v), with a
# z velocity 0.0045 v: the sphere's curvature is concentrated near its equator; the lattice
# Chern number on the sphere resolves it (the Gauss-Legendre flux of earlier versions did not)
run info --set model.name=weyl2 --set model.b=0.100001 --set model.Delta=0.1 --set info.pockets=false --json
expect_rc 0 "info weyl2 b=0.100001 Delta=0.1"
pycheck "nodes 9e-4 apart: Q = +1, -1, resolved (two meshes agree, plaquette phases < 1 rad), no warning" "[n['chirality'] for n in N] == [1, -1] and all(n['resolved'] and n['max_phase'] < 1 and abs(abs(n['flux']) - 1) < 1e-9 for n in N) and d['warnings'] == []"
run info --set model.name=weyl2 --set model.b=0.10001 --set model.Delta=0.1 --set info.pockets=false --json
expect_rc 0 "info weyl2 b=0.10001 Delta=0.1 (nodes 0.0028 apart, one scan cell)"
pycheck "nodes 0.0028 apart: both found, Q = +1, -1, flux through ellipsoids within 1e-6" "[n['chirality'] for n in N] == [1, -1] and all(n['ellipsoid'] and abs(abs(n['flux']) - 1) < 1e-6 for n in N) and d['warnings'] == []"

# ------------------------------------------------------------------ band pairs, energy window
# lattice_weyl: one pair, nodes at energy 0 (the tilt is zero)
run info --set model.name=lattice_weyl --set info.pockets=false --json
pycheck "pair report: one pair searched, 2 nodes, chirality sum 0, nothing extended or unresolved" "r['nodes']['pairs_searched'] == 1 and r['nodes']['pairs']['rows'] == [[0, 0, r['nodes']['pairs']['rows'][0][2], r['nodes']['pairs']['rows'][0][3], 2, 2, 0, 0, 0]] and r['nodes']['pairs_failing_check'] == 0"
run info --set model.name=lattice_weyl --set info.pockets=false --set info.mu=0.05 --set info.node_window=0.1 --json
expect_rc 0 "info lattice_weyl, window 0.05 +- 0.1"
pycheck "window 0.05 +- 0.1: both nodes listed with energy - mu = -0.05, the window in the search block" "len(N) == 2 and all(abs(n['energy_minus_mu'] + 0.05) < 1e-9 for n in N) and r['nodes']['search']['window'] == [-0.05, 0.15] and r['nodes']['count_outside_window'] == 0"
run info --set model.name=lattice_weyl --set info.pockets=false --set info.mu=-5 --set info.node_window=0.1 --json
expect_rc 0 "info lattice_weyl, window -5 +- 0.1 (below every band touching)"
pycheck "window below the touchings: no pair searched, no node" "len(N) == 0 and r['nodes']['pairs_searched'] == 0"
run info --set model.name=weyl4 --set info.pockets=false --set info.node_bands='1 2' --json
expect_rc 0 "info weyl4, node_bands 1 2"
pycheck "weyl4 node_bands 1 2: only the pair (1, 2), its two nodes" "r['nodes']['pairs_searched'] == 1 and r['nodes']['pairs']['rows'][0][0] == 1 and len(N) == 2 and all(n['bands'] == [1, 2] for n in N)"

# weyl4 with Delta = 0: bands (0, 1) and (2, 3) touch on the plane kz = 0 (docs/commands/info.md)
run info --set model.name=weyl4 --set model.b=0,0,0.2 --set info.pockets=false --json
pycheck "weyl4 Delta=0: the extended touchings of (0,1) and (2,3) come with sample points on kz = 0 (1e-9)" "[e['bands'] for e in r['nodes']['extended']] == [[0, 1], [2, 3]] and all(e['sample_points'] >= 1 and len(e['sample_k']) == e['sample_points'] and max(abs(p[2]) for p in e['sample_k']) < 1e-9 for e in r['nodes']['extended'])"

# ------------------------------------------------------------------ FermiSurfer file (info.frmsf)
# lattice_weyl with k0 = pi/2: nodes at (0, 0, -+pi/2), separate pockets at mu = 0.3.  The file
# holds the grid, type 1, the band crossing mu, the reciprocal vectors (2 pi along each axis),
# eps - mu with the third index fastest, and the colour.  Eq. 3 from the file alone:
# Q = -(1/2 pi) sum_k delta(eps - mu) |v| (Omega.v/|v|) dk^3, |v| by central differences of the
# energies, delta a Gaussian of width 0.04 (measured 1.8 % from the engine's +-1; tol 5 %).
# frmsf_check FILE EXPR WHAT: N, typ, nb, B, E[nb, N, N, N], C[ncol, nb, N, N, N], Q(upper half
# kz in [0, pi)), P the pockets of the run's JSON in $T/out
frmsf_check() {
    if /usr/bin/python3 - "$1" "$T/out" "$2" <<'EOF'; then ok "$3"; else bad "$3 ($2)"; fi
import json, sys
import numpy as np
try:
    f = open(sys.argv[1]).read().split()
    N = [int(x) for x in f[:3]]; typ = int(f[3]); nb = int(f[4])
    B = np.array(f[5:14], float).reshape(3, 3)
    vals = np.array(f[14:], float); npt = N[0] * N[1] * N[2]
    ncol = len(vals) // (nb * npt) - 1
    E = vals[:nb * npt].reshape(nb, *N); C = vals[nb * npt:].reshape(ncol, nb, *N)
    g = np.stack([(np.roll(E, -1, axis=1 + a) - np.roll(E, 1, axis=1 + a)) * N[a] / 2 for a in range(3)])
    vn = np.sqrt((np.einsum('ia,a...->i...', np.linalg.inv(B), g) ** 2).sum(0))
    d = np.exp(-E ** 2 / (2 * 0.04 ** 2)) / np.sqrt(2 * np.pi) / 0.04
    dens = -d * vn * C[0] * abs(np.linalg.det(B)) / npt / (2 * np.pi)
    x3 = np.arange(N[2]) / N[2]
    Q = lambda upper: dens[..., (x3 < 0.5) == upper].sum()
    P = json.load(open(sys.argv[2]))['results']['pockets']['list']
    ok = eval(sys.argv[3])
except Exception as e:
    print('   python: %s' % e)
    ok = False
sys.exit(0 if ok else 1)
EOF
}
LW="--set model.name=lattice_weyl --set model.k0=1.5707963267948966 --set info.mu=0.3"
run info $LW --set info.frmsf="$T/lw.frmsf" --set info.frmsf_grid=64 --json
expect_rc 0 "info.frmsf, lattice_weyl k0 = pi/2, mu = 0.3, grid 64"
pycheck "the frmsf block: file, grid 64, 1 band, colour flux" "r['frmsf']['grid'] == 64 and r['frmsf']['bands'] == 1 and r['frmsf']['color'] == 'flux' and r['frmsf']['file'].endswith('lw.frmsf')"
frmsf_check "$T/lw.frmsf" "N == [64, 64, 64] and typ == 1 and nb == 1 and ncol == 1 and np.allclose(B, 2 * np.pi * np.eye(3)) and len(vals) == 2 * npt" "frmsf header: 64^3 grid, type 1, 1 band, b_i = 2 pi e_i; energies and one colour block"
frmsf_check "$T/lw.frmsf" "abs(E[0, 0, 0, 0] - 0.7) < 1e-6" "frmsf energy at Gamma (first point): the upper band |d| = t (1 - cos k0) = 1, minus mu = 0.3"
frmsf_check "$T/lw.frmsf" "len(P) == 2 and all(abs(Q(p['center'][2] > 0) - p['chirality']) < 0.05 for p in P)" "Eq. 3 from the file's flux colour: each kz half gives its pocket's chirality (+-1) within 5 %"
run info $LW --set info.frmsf="$T/lwc.frmsf" --set info.frmsf_grid=16 --set info.frmsf_color=curvature --json
frmsf_check "$T/lwc.frmsf" "ncol == 3 and nb == 1" "frmsf_color = curvature: three colour blocks"
run info $LW --set info.frmsf="$T/lwq.frmsf" --set info.frmsf_grid=32 --set info.frmsf_color=chirality --json
frmsf_check "$T/lwq.frmsf" "ncol == 1 and sorted(set(np.round(C[0][C[0] != 0], 5))) == sorted(round(p['chirality'], 5) for p in P)" "frmsf_color = chirality: the values are the pockets' chiralities (and 0 outside them)"
run info --set model.name=weyl2 --set info.frmsf="$T/no.frmsf"
expect_rc 2 "info.frmsf for a continuum model"
expect_in "$T/err" "info.frmsf" "continuum model: the message names info.frmsf"
run info $LW --set info.frmsf="$T/no.frmsf" --set info.frmsf_color=spin
expect_rc 2 "info.frmsf_color = spin"
expect_in "$T/err" "info.frmsf_color" "unknown colour: the message names the key"
run info $LW --set info.pockets=false --set info.frmsf="$T/no.frmsf" --set info.frmsf_color=chirality
expect_rc 2 "info.frmsf_color = chirality without pockets"
run info $LW --set info.frmsf="$T/nodir/x.frmsf"
expect_rc 3 "info.frmsf in a folder that does not exist (an I/O error, before any computation)"
expect_in "$T/err" "info.frmsf" "missing folder: the message names info.frmsf"
run info $LW --set info.pockets=false --set info.mu=20 --set info.frmsf="$T/no.frmsf"
expect_rc 8 "info.frmsf with mu above every band (no Fermi surface)"
if [ ! -e "$T/no.frmsf" ]; then ok "no file left by the refused or failed runs"; else bad "a refused run left $T/no.frmsf"; fi

# ------------------------------------------------------------------ malformed input
run info --set model.name=lattice_weyl --set info.node_window=-1
expect_rc 2 "info.node_window = -1"
expect_in "$T/err" "info.node_window" "node_window: message names the key"
run info --set model.name=lattice_weyl --set info.node_bands='1 0'
expect_rc 2 "info.node_bands = 1 0"
expect_in "$T/err" "info.node_bands" "node_bands: message names the key"
run info --set model.name=lattice_weyl --set info.node_bands='0 2'
expect_rc 2 "info.node_bands beyond the 2 bands of lattice_weyl"
run info --set model.name=lattice_weyl --set info.node_symmetry=true
expect_rc 2 "info.node_symmetry for a built-in model"
expect_in "$T/err" "info.node_symmetry" "node_symmetry: message names the key"

run info "$T/w.ini" --set info.T=-1
expect_rc 2 "info.T = -1"
expect_in "$T/err" "info.T" "info.T = -1: message names info.T"
expect_in "$T/err" "--set" "info.T = -1: message names the origin"
printf '[model]\nname = weyl2\n[info]\nT = -1\n' >"$T/badT.ini"
run info "$T/badT.ini"
expect_rc 2 "info.T = -1 in a file"
expect_in "$T/err" "badT.ini:4" "info.T = -1 in a file: names file:line"
run info "$T/w.ini" --set info.search_grid=2
expect_rc 2 "info.search_grid = 2"
expect_in "$T/err" "info.search_grid" "search_grid: message names the key"
run info "$T/w.ini" --set info.node_tol=0.5
expect_rc 2 "info.node_tol = 0.5"
expect_in "$T/err" "info.node_tol" "node_tol: message names the key"
run info "$T/w.ini" --set info.node_radius=-1
expect_rc 2 "info.node_radius = -1"
run info "$T/w.ini" --set info.mu=abc
expect_rc 2 "info.mu not a number"
expect_in "$T/err" "info.mu" "info.mu: message names the key"
run info "$T/w.ini" --set info.temperature=1
expect_rc 2 "unknown key info.temperature"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

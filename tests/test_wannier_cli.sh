#!/usr/bin/env bash
# test_wannier_cli.sh - the commands on Wannier90 models in physical units
# (issue 7): qkt scan and sigma on Si and Fe (values against Wannier90/postw90
# references of ../shared/data at loose tolerances, small meshes; the tight
# comparisons are in test_materials.c), qkt export and its round trip, and the
# errors of bad unit and mesh input.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SH=${QKT_SHARED:-../shared}

cat >"$T/si.ini" <<INI
[model]
name = wannier
file = $SH/data/si/Si_tb.dat
spin_degeneracy = 2
[run]
mu = 7.5
[numerics]
mesh = 40
[scan]
mu = 5.0 7.5 8.0
INI

# Si Drude at the default T = 300 K, tau = 10 fs, in S/m, against BoltzWann (REF si)
run scan "$T/si.ini" --set run.sigma_unit=S/m --json
expect_rc 0 "scan on Si (40^3 mesh)"
pycheck "scan: inputs record T = 300 and tau = 10 (Wannier defaults)" \
    "d['inputs']['run.T'] == 300 and d['inputs']['run.tau_intra'] == 10 and d['input_origins']['run.T'] == 'default'"
pycheck "scan: sigma_xx in S/m at 5.0, 7.5, 8.0 eV within 1% of BoltzWann (7.831226e6, 3.843637e6, 8.338712e6)" \
    "all(abs(row[1] / w - 1) < 0.01 for row, w in zip(r['scan']['rows'], [7.831226e6, 3.843637e6, 8.338712e6]))"
pycheck "scan: column units say S/m" "r['scan']['column_units'][1] == 'S/m'"
pycheck "scan: no error columns for a mesh (the mesh sets the accuracy)" "'xx_err' not in r['scan']['columns']"
# the two lowest conduction bands of Si are degenerate at X = (0, 1/2, 1/2),
# a point of the 40^3 mesh inside the 300 K shell at 8.0 eV: reported, not hidden
pycheck "scan: Si degenerate band pairs at the Fermi level counted (numerics.degenerate_points > 0) and warned of" \
    "r['numerics']['degenerate_points'] > 0 and any('degenerate bands' in w for w in d['warnings'])"

# lattice_weyl with k0 = pi/2: on a 4^3 mesh both nodes are mesh points, and at
# mu = 0 their degenerate pair sits at the Fermi level; with k0 = 1 none is
cat >"$T/lw.ini" <<INI
[model]
name = lattice_weyl
k0 = 1.5707963267948966
[run]
mu = 0
T = 0.05
[numerics]
mesh = 4
[sigma]
order = 0
INI
run sigma "$T/lw.ini" --json
expect_rc 0 "sigma, lattice_weyl nodes on the mesh"
pycheck "lattice_weyl nodes on mesh points: degenerate_points = 2 (the two nodes), with a warning" \
    "r['numerics']['degenerate_points'] == 2 and any('degenerate bands' in w for w in d['warnings'])"
pycheck "lattice_weyl nodes on mesh points: their share of the Fermi-level weight > 1% (2 of 64 points, nearest mu)" \
    "r['numerics']['degenerate_share'] > 0.01"
# adaptive rules sample a node inside the thermal shell as close as 1e-11
# (rays from the pocket centre): counted, but with a vanishing share of the
# Fermi-level weight, so no warning
cat >"$T/lwa.ini" <<INI
[model]
name = lattice_weyl
k0 = 0.6
tilt = 0.3 0.1 0.2
[run]
mu = 0.25
T = 0.05
rule = rta
B = 1 0 0
[numerics]
reltol = 1e-2
[sigma]
order = 1
INI
run sigma "$T/lwa.ini" --json
expect_rc 0 "sigma, tilted lattice_weyl, adaptive, order 1"
pycheck "adaptive: points next to a node counted (degenerate_points > 0), share < 1e-20, no warning" \
    "r['numerics']['degenerate_points'] > 0 and r['numerics']['degenerate_share'] < 1e-20 and not any('degenerate' in w for w in d['warnings'])"
pycheck "adaptive: the pocket's Berry flux is an integer (both nodes inside, 0), no pocket warning" \
    "abs(r['pockets'][0]['chirality']) < 0.01 and not any('Berry flux' in w for w in d['warnings'])"
# the same pocket's flux summed on a coarse 8^3 mesh is far from an integer: warned of
run sigma "$T/lwa.ini" --set numerics.mesh=8 --json
expect_rc 0 "sigma, tilted lattice_weyl, 8^3 mesh, order 1"
pycheck "coarse mesh: non-integer pocket Berry flux (|Q - round(Q)| > 0.05) is warned of" \
    "abs(r['pockets'][0]['chirality'] - round(r['pockets'][0]['chirality'])) > 0.05 and any('Berry flux' in w and 'not an integer' in w for w in d['warnings'])"
run sigma "$T/lw.ini" --set model.k0=1 --json
expect_rc 0 "sigma, lattice_weyl nodes off the mesh"
pycheck "lattice_weyl nodes off the mesh: degenerate_points = 0, no warning" \
    "r['numerics']['degenerate_points'] == 0 and not any('degenerate' in w for w in d['warnings'])"

# the same tensor from qkt sigma at one mu, in the default S/cm
run sigma "$T/si.ini" --ignore-section=scan --set sigma.order=0 --json
expect_rc 0 "sigma on Si, order 0"
pycheck "sigma: sigma0.xx at 7.5 eV = 3.8436e4 S/cm within 1% (BoltzWann 3.843637e6 S/m)" \
    "abs(r['sigma0']['xx'] / 3.843637e4 - 1) < 0.01"

# Fe anomalous Hall conductivity on a coarse mesh at T = 0, in S/cm: the two
# commands agree, and sigma_xy = -sigma_yx (antisymmetric Hall part)
cat >"$T/fe.ini" <<INI
[model]
name = wannier
file = $SH/data/fe/Fe_tb.dat.gz
[run]
mu = 13.5463
T = 0
[numerics]
mesh = 8
[scan]
mu = 13.5463
INI
run sigma "$T/fe.ini" --ignore-section=scan --set sigma.order=0 --json
expect_rc 0 "sigma on Fe at T = 0 (8^3 mesh)"
cp "$T/out" "$T/fe_sigma.json"
pycheck "sigma: Fe sigma0.xy = -sigma0.yx, non-zero" "abs(r['sigma0']['xy'] + r['sigma0']['yx']) < 1e-8 * abs(r['sigma0']['xy']) and abs(r['sigma0']['xy']) > 10"
xy_sigma=$(python3 -c "import json; print(json.load(open('$T/fe_sigma.json'))['results']['sigma0']['xy'])")
run scan "$T/fe.ini" --json
expect_rc 0 "scan on Fe at T = 0"
pycheck "scan and sigma give the same Fe sigma_xy ($xy_sigma S/cm) to 1e-10" \
    "abs(r['scan']['rows'][0][2] - $xy_sigma) <= 1e-10 * abs($xy_sigma)"

# export: lattice_weyl -> _tb.dat -> wannier gives the same sigma0
cat >"$T/lw.ini" <<INI
[model]
name = lattice_weyl
[export]
file = $T/lw_tb.dat
INI
run export "$T/lw.ini"
expect_rc 0 "export lattice_weyl"
[ -s "$T/lw_tb.dat" ] && ok "export wrote lw_tb.dat" || bad "export wrote nothing"
run sigma "$T/lw.ini" --ignore-section=export --set sigma.order=0 --set numerics.mesh=10 --set run.mu=0.3 --set run.T=0.1 --json
expect_rc 0 "sigma on lattice_weyl, 10^3 mesh"
cp "$T/out" "$T/lw_sigma.json"
cat >"$T/back.ini" <<INI
[model]
name = wannier
file = $T/lw_tb.dat
INI
# the exported model is in eV/Angstrom: give T in kelvin (0.1 eV) and compare in e^2/(hbar Ang)
TK=$(python3 -c "print(0.1 / 8.617333262e-5)")
run sigma "$T/back.ini" --set sigma.order=0 --set numerics.mesh=10 --set run.mu=0.3 --set run.T="$TK" --set run.tau_intra=0.6582119569 --set run.sigma_unit=S/m --json
expect_rc 0 "sigma on the exported model"
pycheck "round trip: sigma0 of the export (S/m, tau = 1 hbar/eV) / 2.434134807e6 equals lattice_weyl's to 1e-7" \
    "all(abs(r['sigma0'][c] / 2.434134807e6 - json.load(open('$T/lw_sigma.json'))['results']['sigma0'][c]) <= 1e-7 * max(1e-3, abs(json.load(open('$T/lw_sigma.json'))['results']['sigma0']['xy'])) for c in ['xx','xy','yx','zz'])"

# bad input: named keys, exit 2, no output file
run scan "$T/si.ini" --set numerics.mesh="10 10" --output "$T/o.txt"
expect_rc 2 "mesh with two sizes"
expect_in "$T/err" "numerics.mesh" "mesh error names the key"
[ ! -e "$T/o.txt" ] && ok "no output file after an error" || bad "output file left after an error"
run scan "$T/si.ini" --set run.sigma_unit=mS
expect_rc 2 "unknown conductivity unit"
expect_in "$T/err" "run.sigma_unit" "unit error names the key"
run scan "$T/si.ini" --set scan.mu=8:5:0.1
expect_rc 2 "scan stop < start"
expect_in "$T/err" "scan.mu" "scan error names the key"
cat >"$T/nomu.ini" <<INI
[model]
name = wannier
file = $SH/data/si/Si_tb.dat
INI
run sigma "$T/nomu.ini"
expect_rc 2 "Wannier model without run.mu"
expect_in "$T/err" "run.mu" "missing mu names the key"
run sigma "$T/si.ini" --ignore-section=scan --set run.T=0
expect_rc 2 "T = 0 at order 1"
expect_in "$T/err" "order 0" "T = 0 error says why"
cat >"$T/w4.ini" <<INI
[model]
name = weyl4
[numerics]
mesh = 10
INI
run sigma "$T/w4.ini"
expect_rc 2 "mesh on a continuum model"
expect_in "$T/err" "numerics.mesh" "continuum mesh error names the key"
run export "$T/w4.ini" --set export.file="$T/w4_hr.dat"
expect_rc 2 "export of a continuum model"
[ ! -e "$T/w4_hr.dat" ] && ok "no file from a failed export" || bad "file left by a failed export"

# input bounds of the Wannier90 reader: only regular files are read (a device
# or a FIFO without a writer is refused at once, exit 3, never waited on), a
# NUL byte is an error naming file and line (exit 4), and a file whose R
# vectors span a wide box loads with memory proportional to its content
cat >"$T/wide.ini" <<INI
[model]
name = wannier
file = $T/wide_hr.dat
avec1 = 1 0 0
avec2 = 0 1 0
avec3 = 0 0 1
[geometry]
k = 0.1 0 0.3
INI
# bounded runs: a reader that blocks is killed after 20 s and fails the check
brun() {
    local t0=$(date +%s.%N)
    timeout 20 "$BIN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    secs=$(python3 -c "print('%.3f' % ($(date +%s.%N) - $t0))")
}
brun geometry "$T/wide.ini" --set model.file=/dev/zero
expect_rc 3 "model.file = /dev/zero refused in $secs s (124: killed after 20 s)"
expect_in "$T/err" "/dev/zero: is a character device" "/dev/zero error names the file and its kind"
mkfifo "$T/fifo_hr.dat"
brun geometry "$T/wide.ini" --set model.file="$T/fifo_hr.dat"
expect_rc 3 "model.file = a FIFO without a writer refused in $secs s (124: killed after 20 s)"
expect_in "$T/err" "fifo_hr.dat: is a FIFO" "FIFO error names the file and its kind"
printf 'nul\n1\n1\n1\n0 0 0 1 1 1.0 0.0\0 junk\n' >"$T/nul_hr.dat"
brun geometry "$T/wide.ini" --set model.file="$T/nul_hr.dat"
expect_rc 4 "NUL byte at the end of a data line"
expect_in "$T/err" "nul_hr.dat:5: NUL byte at column 18" "NUL error names file, line and column"
# R = +-(291, 291, 291): a 583^3 box (1.55 GB peak with a dense R index)
printf 'wide\n1\n3\n1 1 1\n0 0 0 1 1 1.0 0.0\n291 291 291 1 1 0.1 0.0\n-291 -291 -291 1 1 0.1 0.0\n' >"$T/wide_hr.dat"
peak=$(python3 -c "
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=open('$T/out', 'w'), stderr=open('$T/err', 'w'), timeout=60)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)" "$BIN" geometry "$T/wide.ini" --json)
rc=${peak% *}
kb=${peak#* }
expect_rc 0 "geometry on a 7-line _hr.dat with R = +-(291, 291, 291)"
[ "$kb" -lt 102400 ] && ok "its peak memory is $kb kB < 100 MB" || bad "its peak memory is $kb kB, want < 100 MB"
pycheck "wide box: eps = 1 + 0.2 cos(k.R) = 1 + 0.2 cos(116.4) at k = (0.1, 0, 0.3)" \
    "abs(r['kpoints'][0]['eps'][0] - (1 + 0.2 * math.cos(116.4))) < 1e-9"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

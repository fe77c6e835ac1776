#!/usr/bin/env bash
# test_commands.sh - end-to-end tests of the engine commands (sigma, mc, cme,
# streda, pump, scatter, sweep, run): results in the documented JSON schema, physics
# values at loose tolerances (the precise anchors are in test_engine.c), bad
# input (exit 2 with a message naming the key), and no partial output files.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# expect_in FILE NEEDLE WHAT, with shorter messages than lib.sh's
expect_in() {
    if grep -qF -- "$2" "$1"; then ok "$3: contains '$2'"; else bad "$3: lacks '$2'; has: $(head -c 400 "$1")"; fi
}

cat >"$T/weyl2.ini" <<'INI'
[model]
name = weyl2
b = 0.2
[run]
mu = 0.1
T = 0.005
B = 0 0 1
[numerics]
reltol = 1e-2
INI

# mc: the JSON schema and C of Fig. 3 at k0 = 0.2 (PHYSICS.md anchor 5: 0.41052)
run mc "$T/weyl2.ini" --set mc.E="0 0 1" --json
expect_rc 0 "mc on weyl2"
pycheck "mc: sigma2 is an object xx..zz with errors" "all(k in r['sigma2'] for k in ['xx','xy','zz','zz_err'])"
pycheck "mc: C = 0.4105 +- 1% (anchor 5)" "abs(r['weyl']['C'] - 0.41052) < 0.0041"
pycheck "mc: C_S : C_xi = 2 (anchor 5)" "abs(r['weyl']['C_S'] / r['weyl']['C_xi'] - 2) < 0.02"
pycheck "mc: two pockets with chirality -1, +1" "sorted(round(p['chirality']) for p in r['pockets']) == [-1, 1]"
pycheck "mc: numerics block" "r['numerics']['converged'] in (True, False) and r['numerics']['evaluations'] > 0"
pycheck "mc: inputs after defaults" "d['inputs']['run.rule'] == 'paper' and 'version' in json.dumps(d)"

# scatter: Born times of the two pockets (tests/test_scatter.c has the anchors): at xi = 0 the
# pockets scatter into each other as into themselves (ratio 1 within 2 %), at xi = 10 intervalley
# scattering is suppressed (tau_inter/tau_intra > 10); detailed balance (equal dos: symmetric)
run scatter "$T/weyl2.ini" --set run.nimp_U0sq=0.3 --json
expect_rc 0 "scatter on weyl2, xi = 0"
pycheck "scatter: two pockets with dos, tau, tau_tr, tau_inter and errors" "r['count'] == 2 and all(k in p for p in r['pockets'] for k in ('dos', 'tau', 'tau_err', 'tau_tr', 'tau_tr_err', 'tau_inter', 'tau_inter_err'))"
pycheck "scatter xi = 0: tau_inter^12 = tau_inter^11 within 2 % (short-range: the same overlap)" "all(abs(p['tau_inter'][0] / p['tau_inter'][1] - 1) < 0.02 for p in r['pockets'])"
pycheck "scatter: 1/tau = sum of 1/tau_inter (1e-12)" "all(abs(1 / p['tau'] - sum(1 / t for t in p['tau_inter'])) < 1e-12 / p['tau'] for p in r['pockets'])"
pycheck "scatter: numerics block names the sampling" "r['numerics']['refine'] == 8 and r['numerics']['ncell'] == 24 and r['numerics']['samples'] > 0"
run scatter "$T/weyl2.ini" --set run.nimp_U0sq=0.3 --set run.disorder_xi=10 --json
expect_rc 0 "scatter on weyl2, xi = 10"
pycheck "scatter xi = 10: tau_inter/tau_intra > 10 in both pockets" "r['pockets'][0]['tau_inter'][1] / r['pockets'][0]['tau_inter'][0] > 10 and r['pockets'][1]['tau_inter'][0] / r['pockets'][1]['tau_inter'][1] > 10"
# the engine takes tau_inter from the same disorder (run.tau_from_disorder): qkt scatter's population time
run scatter "$T/weyl2.ini" --set run.nimp_U0sq=0.3 --set run.disorder_xi=5 --json
cp "$T/out" "$T/scatter5.json"
run sigma "$T/weyl2.ini" --set sigma.order=1 --set run.rule=valley --set run.nimp_U0sq=0.3 --set run.tau_from_disorder=true --set run.disorder_xi=5 --json
expect_rc 0 "sigma order 1 with tau_from_disorder and run.disorder_xi = 5"
pycheck "sigma: numerics.tau_inter_born = qkt scatter's valley_mode_times[1] (1e-9)" "abs(r['numerics']['tau_inter_born'] / json.load(open('$T/scatter5.json'))['results']['valley_mode_times'][1] - 1) < 1e-9"
run scatter "$T/weyl2.ini"
expect_rc 2 "scatter without run.nimp_U0sq"
expect_in "$T/err" "run.nimp_U0sq" "scatter: the missing key is named"
run scatter "$T/weyl2.ini" --set run.nimp_U0sq=0.3 --set scatter.refine=3
expect_rc 2 "scatter.refine = 3 (odd)"
expect_in "$T/err" "scatter.refine" "scatter: the bad key is named"
run scatter "$T/weyl2.ini" --set run.nimp_U0sq=0.3 --set run.disorder_xi=-1
expect_rc 2 "run.disorder_xi = -1"
expect_in "$T/err" "run.disorder_xi" "scatter: xi < 0 named"

# pump: per pocket rate_qkt = (2/3) rate_semiclassical (Eq. 105)
run pump "$T/weyl2.ini" --set run.E="0 0 1" --json
expect_rc 0 "pump on weyl2"
pycheck "pump: rate_qkt / rate_semiclassical = 2/3 in every pocket" \
    "all(abs(p['rate_qkt'] / p['rate_semiclassical'] - 2/3) < 0.01 for p in r['pockets'])"
pycheck "pump: rates sum to zero" "abs(r['sum_over_pockets']) < 1e-6"

# sigma: order 0 and 1 tensors, JSON keys
run sigma "$T/weyl2.ini" --json
expect_rc 0 "sigma on weyl2"
pycheck "sigma: sigma0 and sigma1 tensors" "'sigma0' in r and 'sigma1' in r and 'xy_err' in r['sigma1']"
pycheck "sigma: sigma1_zz = 0 for E || B (anchor 7)" "abs(r['sigma1']['zz']) <= 1e-3 * abs(r['sigma1']['xy']) + 3 * r['sigma1']['zz_err']"
pycheck "sigma: no vertex warning without disorder" "not any('K^od' in w for w in d['warnings'])"
# the vertex correction at B^0 and B^1: its paths, tables and the diagnostics of
# both (the values are checked in test_vertex1); no warning of a missing term
run sigma "$T/weyl2.ini" --set run.nimp_U0sq=0.01 --set numerics.reltol=3e-2 --json
expect_rc 0 "sigma on weyl2 with nimp_U0sq"
pycheck "sigma with nimp_U0sq > 0: extrinsic_SJ at B^0, the five vertex paths at B^1, the vertex tables in numerics" \
    "'extrinsic_SJ' in r['sigma0_parts'] and all(p in r['sigma1_paths'] for p in ['anomaly_SJ>nEB', 'SJ>SEB', 'lorentz_nE>nEB>SJ', 'anomaly_SE>nEB>SJ', 'anomaly_SJ>nEB>SJ']) and len(r['numerics']['vertex_segments']) >= 2 and r['numerics']['vertex_dropped_share'] < 1e-6 and not any('not implemented' in w for w in d['warnings'])"
run sigma "$T/weyl2.ini" --set run.tau_from_disorder=true --set sigma.order=0 --json
expect_rc 2 "sigma: tau_from_disorder without disorder"
expect_in "$T/err" "run.tau_from_disorder" "tau_from_disorder without disorder: the key is named"
run mc "$T/weyl2.ini" --set mc.E="0 0 1" --set run.nimp_U0sq=0.01 --set numerics.reltol=3e-2 --json
expect_rc 0 "mc on weyl2 with nimp_U0sq"
pycheck "mc with nimp_U0sq > 0 warns that sigma^(2) has no vertex" "any('no ladder vertex' in w for w in d['warnings'])"
# the reciprocal expansion: its two paths at order 1; refused with rule paper (key named)
run sigma "$T/weyl2.ini" --set run.rule=rta --set run.expansion=reciprocal --json
expect_rc 0 "sigma, reciprocal expansion"
pycheck "sigma, reciprocal expansion: paths SB>nBE and anomaly_sea_SE>nEB, numerics.expansion" \
    "'SB>nBE' in r['sigma1_paths'] and 'anomaly_sea_SE>nEB' in r['sigma1_paths'] and r['numerics']['expansion'] == 'reciprocal'"
run sigma "$T/weyl2.ini" --set run.expansion=reciprocal
expect_rc 2 "reciprocal expansion with rule paper"
expect_in "$T/err" "run.expansion" "reciprocal with rule paper: message names the key"
run sigma "$T/weyl2.ini" --set run.expansion=both
expect_rc 2 "unknown expansion"
expect_in "$T/err" "run.expansion" "unknown expansion: message names the key"

# cme: j, j_S, j_xi arrays; zero for equal node chemical potentials (Eq. 90)
run cme "$T/weyl2.ini" --json
expect_rc 0 "cme on weyl2"
pycheck "cme: j, j_S, j_xi are [x, y, z] with errors" "len(r['j']) == 3 and len(r['j_err']) == 3 and len(r['j_S']) == 3"
pycheck "cme: j_z = 0 for mu+ = mu- (Eq. 90)" "abs(r['j'][2]) < 1e-2 * abs(r['j_S'][2]) + 3 * r['j_err'][2]"

# bad input: message names the key and its place, exit 2, no output file
run mc "$T/weyl2.ini" --set run.T=-1 --output "$T/res.json"
expect_rc 2 "negative temperature"
expect_in "$T/err" "run.T" "negative temperature: message names the key"
[ ! -e "$T/res.json" ] && ok "no output file after an error" || bad "an output file was left after an error"
run mc "$T/weyl2.ini" --set run.rule=rtx
expect_rc 2 "unknown rule"
expect_in "$T/err" "run.rule" "unknown rule: message names the key"
run cme "$T/weyl2.ini" --set run.B="0 0 0"
expect_rc 2 "zero magnetic field"
expect_in "$T/err" "run.B" "zero field: message names the key"
run sigma "$T/weyl2.ini" --set numerics.reltol=nan
expect_rc 2 "NaN tolerance"
run sweep "$T/weyl2.ini" --vary model.b=0.1:0.2
expect_rc 2 "malformed --vary"

# sweep: two points, table and plot written, rows in JSON
cat >>"$T/weyl2.ini" <<'INI'
[mc]
E = 0 0 1
[sweep]
command = mc
fields = weyl.k0 weyl.C
INI
run sweep "$T/weyl2.ini" --vary model.b=0.15:0.25:2 --set sweep.output="$T/sw" --json
expect_rc 0 "sweep of two points"
pycheck "sweep: one JSON row per point with weyl.k0 and weyl.C (full field paths)" "len(r['rows']) == 2 and all('weyl.C' in x and 'weyl.k0' in x for x in r['rows'])"
[ -s "$T/sw.tsv" ] && ok "sweep wrote the table" || bad "no table $T/sw.tsv"
if command -v gnuplot >/dev/null; then
    [ -s "$T/sw.png" ] && [ -s "$T/sw.svg" ] && ok "sweep wrote PNG and SVG" || bad "no plot"
fi
ls "$T"/*.tmp >/dev/null 2>&1 && bad "temporary files left behind" || ok "no temporary files left"

# planar Hall law from sweeps of the field direction (KEY@xy): for an isotropic
# node in RTA, sigma_yx(45 deg) = (sigma_xx(0) - sigma_xx(90))/2
cat >"$T/ph.ini" <<'INI'
[model]
name = node
[run]
mu = 0.1
T = 0.005
rule = rta
B = 1 0 0
[mc]
E = 1 0 0
valley = false
[numerics]
reltol = 1e-2
[sweep]
command = mc
fields = sigma2.xx sigma2.yx
INI
run sweep "$T/ph.ini" --vary "run.B@xy=0:90:3" --set sweep.output="$T/ph" --set sweep.plot=false --json
expect_rc 0 "sweep of the field direction"
pycheck "planar Hall: sigma_yx(45) = (sigma_xx(0) - sigma_xx(90))/2 within 2%" \
    "abs(r['rows'][1]['sigma2.yx'] - (r['rows'][0]['sigma2.xx'] - r['rows'][2]['sigma2.xx']) / 2) < 0.02 * abs(r['rows'][1]['sigma2.yx'])"

# pump with the chemical potential below a parabolic band: no Fermi surface,
# a physics error (exit 8) naming run.mu, and no output file
cat >"$T/gap.ini" <<'INI'
[model]
name = parabolic
[run]
mu = -1
INI
run pump "$T/gap.ini" --output "$T/gap.txt"
expect_rc 8 "pump with mu below the band"
expect_in "$T/err" "run.mu" "no-Fermi-surface error"
[ ! -e "$T/gap.txt" ] && ok "no output file after the physics error" || bad "output file left after the physics error"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# test_rho.sh - the resistivity outputs of `qkt sigma`, `qkt mc` and `qkt sweep`
# (issue 18, finding 1): rho0, rho1, R_H, rho2 and MR with their units in text
# and JSON, the single-band Drude result on the parabolic band (R_H = -1/(n e),
# n = k_F^3/(6 pi^2) at T -> 0; MR = 0), the AMR/PHE block with mc.rank4, a
# sweep field selecting R_H, and the note for a singular sigma0.  About 20 s.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# parabolic band, mass 1, mu = 1: n = (2 m mu)^{3/2}/(6 pi^2) = 0.0477612 (T = 0.02
# changes n by ~1e-4 relative, Sommerfeld)
cat >"$T/p.ini" <<'INI'
[model]
name = parabolic
[run]
mu = 1
T = 0.02
rule = rta
B = 0 0 0.01
[numerics]
kbox = 2
reltol = 1e-3
INI

run sigma "$T/p.ini"
expect_rc 0 "sigma on parabolic"
expect_in "$T/out" "rho0 [hbar/e^2]" "sigma text: rho0 with its unit"
expect_in "$T/out" "rho1 [hbar/e^2, at run.B]" "sigma text: rho1 with its unit"
expect_in "$T/out" "[length^3/e]" "sigma text: R_H with its unit"
expect_in "$T/out" "wc_tau = " "sigma text: w_c tau printed"

run sigma "$T/p.ini" --json
expect_rc 0 "sigma --json"
pycheck "sigma: R_H = -1/(n e), n = (2 mu)^1.5/(6 pi^2), within 0.5%" \
    "abs(r['rho']['R_H'] / (-6 * pi**2 / 2**1.5) - 1) < 5e-3"
pycheck "sigma: rho.units names R_H's unit" "r['rho']['units']['R_H'] == 'length^3/e'"
pycheck "sigma: rho0_xx = 1/sigma0_xx" "abs(r['rho']['rho0']['xx'] * r['sigma0']['xx'] - 1) < 1e-12"
pycheck "sigma: rho1_yx = -sigma1_yx/sigma0^2 (isotropic)" \
    "abs(r['rho']['rho1']['yx'] + r['sigma1']['yx'] / r['sigma0']['xx']**2) < 1e-9 * abs(r['rho']['rho1']['yx'])"
pycheck "sigma: w_c tau = e B tau/m = 0.01" "abs(r['rho']['wc_tau'] - 0.01) < 1e-4"

run mc "$T/p.ini" --set mc.rank4=true --json
expect_rc 0 "mc on parabolic with rank4"
pycheck "mc: MR_xx per B^2 = 0 within its error (single band)" \
    "abs(r['rho']['MR_per_B2']['xx']) <= r['rho']['MR_per_B2']['xx_err'] and abs(r['rho']['MR_per_B2']['xx']) < 1e-5"
pycheck "mc: rho2, MR_at_B with units" \
    "r['rho']['units']['rho2'] == 'hbar/e^2, at run.B' and r['rho']['MR_per_B2']['units']['xx'] == '1/field^2'"
pycheck "mc: AMR, PHE of the isotropic single band = 0 within error" \
    "all(abs(r['rho']['rho_angular'][p][k]) <= r['rho']['rho_angular'][p][k + '_err'] for p in ['xy','yz','zx'] for k in ['AMR','PHE'])"
run mc "$T/p.ini" --set numerics.reltol=1e-2
expect_in "$T/out" "MR per unit B^2" "mc text: MR per B^2"
expect_in "$T/out" "[1/field^2]" "mc text: MR unit"

# sweep: a field selecting R_H
cat >"$T/sw.ini" <<'INI'
[model]
name = parabolic
[run]
T = 0.02
rule = rta
B = 0 0 0.01
[numerics]
kbox = 2
reltol = 1e-3
[sweep]
command = sigma
fields = rho.R_H rho.wc_tau
INI
run sweep "$T/sw.ini" --vary "run.mu=0.5:1:2" --set sweep.output="$T/sw" --set sweep.plot=false --json
expect_rc 0 "sweep of R_H over mu"
pycheck "sweep: R_H = -6 pi^2/(2 mu)^1.5 at mu = 0.5 and 1 within 0.5%" \
    "all(abs(row['rho.R_H'] / (-6 * pi**2 / (2 * mu)**1.5) - 1) < 5e-3 for row, mu in zip(r['rows'], [0.5, 1]))"

# a 3D model with E only along z: sigma0 singular, a note instead of rho (exit 0)
run mc "$T/p.ini" --set mc.E="0 0 1" --set numerics.reltol=1e-2 --set numerics.maxeval=20000
[ "$rc" -eq 0 ] || [ "$rc" -eq 7 ] && ok "mc with E along z only: exit $rc" || bad "mc with E along z only: exit $rc"
expect_in "$T/out" "singular" "singular sigma0: note printed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

/* test_covariance.c - rotation covariance of sigma^(2) under the relaxation rules
 * (docs/physics.md, "Relaxation rules" and "Theorems"; issue 16, item 1).
 *
 * Model: weyl4 (Eq. 69) with Delta = 0, |b| = 0.2, mu = 0.05, T = 0.0025,
 * tau_intra = 10, tau_inter = 100: two isotropic Weyl cones at +-b, two
 * separated Fermi pockets.  Natural units, sigma^(2) per unit B^2.
 *
 *   (a) anchor of the rule: rule paper with a field direction along an axis
 *       reproduces the Cartesian-pair assembly bit for bit at that field (E || B
 *       along z: the seed's Fig. 3 numbers; E perpendicular to B: Eq. 121 with
 *       vanishing pocket sums), for every E column, path and tau bin.
 *   (b) the planar Hall relation of issue 16 (b along z, E along x, B in the xy
 *       plane, one run re-assembled at three field directions): the model is
 *       symmetric under rotations about b, so rotating B by 45 degrees gives
 *       sigma2_yx(45) = (sigma2_xx(B || x) - sigma2_xx(B || y))/2 and
 *       sigma2_xx(45) = (sigma2_xx(B || x) + sigma2_xx(B || y))/2.  Tolerance:
 *       2 x the sum of the error estimates.  Control: the withdrawn per-pair
 *       rule (par.field = 0) violates it (issue 16: 443 against 256).
 *   (c) covariance under random rotations R, re-assembled under rules paper
 *       (field B, resp. R B), valley and rta: sigma^(2)(R b; R B) =
 *       R sigma^(2)(b; B) R^T for field directions B along z, along b and a
 *       random one, within 2 x (e' + |R| e |R|^T).  (c1) b along z against a
 *       run with b1 = R1 b, R1 random; (c2) b1 oblique and two random rotations
 *       R2 about b1 (a symmetry of the model: the same run at the rotated
 *       fields).  Controls: the per-pair rule paper violates each of them (the
 *       checks have the power to fail).
 * Coarse numerics (reltol 5e-2, small pocket map, 2^3 cells, 20 rays per ball
 * patch, thermal window 8 T) keep the two runs short; the closed box
 * |k_a| <= 0.3 holds both pockets for every direction of b. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "qkt.h"
#include "engine_util.h"
#include "tensor_util.h"

#define run(label, m, p) run_w(40, label, m, p)

static const double TI = 10, TX = 100;

/* ------------------------------------------------------------------ helpers */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static double urand(void) { return urand_next(&rng_state); }

/* weyl4 with exchange field b, Delta = 0, all E columns and B components, with
 * the tallies of rule valley */
static qkt_response_t *weyl4_run(const double b[3], const char *label)
{
    qkt_model_t *m = model("weyl4");
    set3v(m, "b", b);
    set1(m, "Delta", 0);
    setup(m);
    qkt_params_t p = params_at(0.05, 0.0025, 2);
    p.tau_intra = TI;
    p.tau_inter = TX;
    p.rule = QKT_RULE_PAPER;
    p.valley_tallies = 1;
    p.reltol = 5e-2;
    p.kbox = 0.3;  /* the pockets, |k| <= |b| + mu = 0.25, are inside for every direction of b */
    p.ncell = 16;  /* pocket map: 16^3 points, cells of 0.0375 < the pockets' diameter 0.1 */
    p.icell = 2;   /* 2^3 integration cells */
    p.pilot = 2000;
    p.maxeval = 2000; /* a ball patch around a pocket: 20 ray directions */
    p.window = 8;     /* thermal window +-8 T (the least allowed): shorter rays (the same cut for every direction) */
    qkt_response_t *r = run(label, m, &p);
    qkt_model_free(m);
    return r;
}

/* sigma^(2) of r at field B under rule (paper: assembled for the direction of B,
 * or per Cartesian pair if cart) */
static void sigma2_at(qkt_response_t *r, qkt_rule_t rule, int cart, const double B[3], qkt_tensor_t *out)
{
    qkt_status_t s = sigma2_rule(r, rule, cart, TI, TX, B, out);
    CHECK(s == QKT_OK, "assemble under rule %s: %s", qkt_rule_name(rule), s ? qkt_strerror() : "");
}

static int teq(const qkt_tensor_t *a, const qkt_tensor_t *b)
{
    return !memcmp(a->v, b->v, sizeof a->v) && !memcmp(a->e, b->e, sizeof a->e);
}

/* ------------------------------------------------------------------ (a) */
static void test_axes(qkt_response_t *r)
{
    printf("\n== (a) rule paper at a field along an axis = the Cartesian-pair assembly, bit for bit ==\n");
    for (int ax = 0; ax < 3; ax++) {
        double B[3] = {0, 0, 0};
        B[ax] = 1;
        qkt_tensor_t s[2], pt[2][QKT_MAX_PATHS], tb[2][16];
        for (int cart = 1; cart >= 0; cart--) { /* the field direction last: its decisions are printed */
            sigma2_at(r, QKT_RULE_PAPER, cart, B, &s[cart]);
            for (int t = 0; t < r->npath2; t++) qkt_tensor_contract2(r->path2[t], B, &pt[cart][t]);
            for (int i = 0; i < 16; i++) qkt_tensor_contract2(r->tau2[i / 4][i % 4], B, &tb[cart][i]);
        }
        int same = teq(&s[0], &s[1]), diff = 0;
        for (int t = 0; t < r->npath2; t++) diff += !teq(&pt[0][t], &pt[1][t]);
        for (int i = 0; i < 16; i++) diff += !teq(&tb[0][i], &tb[1][i]);
        CHECK_OK(same && !diff,
                 "B along %c: sigma2 (all nine components), its %d paths and 16 tau bins of rule paper at the field "
                 "direction equal the per-pair assembly bit for bit (E || B: Eq. 106, Fig. 3 numbers; E perpendicular "
                 "to B: Eq. 121); %d differ",
                 "xyz"[ax], r->npath2, diff + !same);
        printf("     decisions (bit 0 order-1 anomaly node, bits 1-2 order-2 n children; -1 no part): E x par %d perp %d,"
               " E y par %d perp %d, E z par %d perp %d\n",
               r->paper_dec[0][0], r->paper_dec[0][1], r->paper_dec[1][0], r->paper_dec[1][1], r->paper_dec[2][0],
               r->paper_dec[2][1]);
    }
    /* the anomaly decisions at B = z: E || B takes tau_inter for all three anomaly
     * nodes (Eq. 106); E perpendicular has zero pocket sums (isotropic nodes) */
    double Bz[3] = {0, 0, 1};
    qkt_tensor_t t;
    sigma2_at(r, QKT_RULE_PAPER, 0, Bz, &t);
    CHECK_OK(r->paper_dec[2][0] == 7 && r->paper_dec[2][1] == -1 && r->paper_dec[0][0] == -1 &&
                 r->paper_dec[0][1] == 0 && r->paper_dec[1][1] == 0,
             "B along z: E z only a part along B, all anomaly nodes tau_inter (7; got %d, perp %d); E x, y only a "
             "perpendicular part with zero pocket sums (0; got %d, %d)",
             r->paper_dec[2][0], r->paper_dec[2][1], r->paper_dec[0][1], r->paper_dec[1][1]);
    /* no rank-4 tensor under rule paper with tau_intra != tau_inter: the AMR/planar
     * Hall amplitudes of a rotating field are refused; under rule rta they exist */
    qkt_rho_plane_t pl;
    qkt_status_t st = qkt_response_rho_plane(r, 0, 1, &pl);
    CHECK_OK(st == QKT_EINVAL, "rule paper (tau_intra 10, tau_inter 100): qkt_response_rho_plane refused (status %d, "
             "want %d: %s)", (int)st, (int)QKT_EINVAL, st ? qkt_strerror() : "accepted");
    qkt_clear_error();
    sigma2_at(r, QKT_RULE_RTA, 0, Bz, &t);
    st = qkt_response_rho_plane(r, 0, 1, &pl);
    CHECK_OK(st == QKT_OK, "rule rta: qkt_response_rho_plane available (status %d)", (int)st);
}

/* ------------------------------------------------------------------ (b) */
static void test_planar_hall(qkt_response_t *r)
{
    printf("\n== (b) planar Hall relation of issue 16 (b along z, E along x) ==\n");
    const double h = sqrt(0.5);
    double Bx[3] = {1, 0, 0}, By[3] = {0, 1, 0}, Bd[3] = {h, h, 0};
    for (int cart = 0; cart < 2; cart++) {
        qkt_tensor_t sx, sy, sd;
        sigma2_at(r, QKT_RULE_PAPER, cart, Bx, &sx);
        sigma2_at(r, QKT_RULE_PAPER, cart, By, &sy);
        sigma2_at(r, QKT_RULE_PAPER, cart, Bd, &sd);
        double want = 0.5 * (sx.v[0][0] - sy.v[0][0]), wsum = 0.5 * (sx.v[0][0] + sy.v[0][0]);
        double tol = 2 * (sd.e[1][0] + 0.5 * (sx.e[0][0] + sy.e[0][0]));
        double tolx = 2 * (sd.e[0][0] + 0.5 * (sx.e[0][0] + sy.e[0][0]));
        printf("  rule paper%s: sigma2_xx(B x) = %.6g +- %.2g, sigma2_xx(B y) = %.6g +- %.2g, B at 45 deg: "
               "sigma2_xx = %.6g +- %.2g, sigma2_yx = %.6g +- %.2g\n",
               cart ? " per Cartesian pair (withdrawn)" : "", sx.v[0][0], sx.e[0][0], sy.v[0][0], sy.e[0][0],
               sd.v[0][0], sd.e[0][0], sd.v[1][0], sd.e[1][0]);
        if (!cart) {
            CHECK_ABS(sd.v[1][0], want, tol,
                      "rule paper: sigma2_yx(B at 45 deg) = (sigma2_xx(B x) - sigma2_xx(B y))/2 (rotation by 45 deg "
                      "about b, a symmetry of the model), tol 2 x the errors");
            CHECK_ABS(sd.v[0][0], wsum, tolx,
                      "rule paper: sigma2_xx(B at 45 deg) = (sigma2_xx(B x) + sigma2_xx(B y))/2, tol 2 x the errors");
        } else {
            CHECK_OK(fabs(sd.v[1][0] - want) > tol,
                     "control: the per-pair rule paper violates the relation beyond the tolerance, |%.6g - %.6g| > "
                     "tol %.2g",
                     sd.v[1][0], want, tol);
        }
    }
}

/* ------------------------------------------------------------------ (c) */
static double covariance(const char *name, qkt_response_t *r, qkt_response_t *r2, double R[3][3], const double b[3],
                         qkt_rule_t rule, int cart, int quiet)
{
    double dirs[3][3] = {{0, 0, 1}, {b[0], b[1], b[2]}, {urand(), urand(), urand()}}, worst = 0;
    static const char *const dn[3] = {"z", "b", "random"};
    for (int d = 0; d < 3; d++) {
        qkt_tensor_t s2, want;
        qkt_status_t st;
        double dev, q = cov_ratio(r, r2, R, dirs[d], rule, cart, TI, TX, &s2, &want, &dev, &st);
        CHECK(st == QKT_OK, "assemble under rule %s: %s", qkt_rule_name(rule), st ? qkt_strerror() : "");
        worst = fmax(worst, q);
        if (quiet) continue;
        if (d == 2 && rule == QKT_RULE_PAPER) {
            print_t(WHAT("%s: sigma2(R b; R B), B random", name), &s2);
            print_t("R sigma2(b; B) R^T", &want);
        }
        printf("%s %s, rule %s, B %s: sigma2(R b; R B) = R sigma2(b; B) R^T, tol 2 (e' + |R| e |R|^T): worst "
               "|diff|/tol %.3g (max|diff| %.3g)\n",
               q <= 1 ? "ok  " : "FAIL", name, qkt_rule_name(rule), dn[d], q, dev);
        CHECK(q <= 1, "covariance %s rule %s B %s", name, qkt_rule_name(rule), dn[d]);
    }
    return worst;
}

static void test_rotations(qkt_response_t *rz, const double bz[3])
{
    printf("\n== (c) covariance under random rotations ==\n");
    static const qkt_rule_t rules[3] = {QKT_RULE_PAPER, QKT_RULE_VALLEY, QKT_RULE_RTA};
    double R[3][3], b1[3], bh[3] = {0, 0, 1};
    /* (c1) b along z against b1 = R1 b: two runs */
    random_rotation(&rng_state, R);
    matvec(R, bz, b1);
    printf("  R1 = [% .4f % .4f % .4f; % .4f % .4f % .4f; % .4f % .4f % .4f], b = (0, 0, 0.2), b1 = R1 b = "
           "(%.4g, %.4g, %.4g)\n",
           R[0][0], R[0][1], R[0][2], R[1][0], R[1][1], R[1][2], R[2][0], R[2][1], R[2][2], b1[0], b1[1], b1[2]);
    qkt_response_t *r1 = weyl4_run(b1, "weyl4 b1 = R1 b (oblique)");
    if (!r1) return;
    for (int k = 0; k < 3; k++) covariance("b along z -> R1", rz, r1, R, bh, rules[k], 0, 0);
    unsigned long long keep = rng_state;
    double q = covariance("b along z -> R1", rz, r1, R, bh, QKT_RULE_PAPER, 1, 1);
    rng_state = keep;
    CHECK_OK(q > 1, "control (b along z -> R1): the per-pair rule paper is not covariant, worst |diff|/tol %.3g > 1",
             q);
    /* (c2) b1 oblique: a rotation R2 about b1 leaves the model unchanged, so the
     * same run at the rotated fields: sigma2(b1; R2 B) = R2 sigma2(b1; B) R2^T */
    double n = sqrt(b1[0] * b1[0] + b1[1] * b1[1] + b1[2] * b1[2]), b1h[3];
    for (int a = 0; a < 3; a++) b1h[a] = b1[a] / n;
    for (int c = 0; c < 2; c++) {
        random_rotation_about(&rng_state, b1h, R);
        printf("  R2 = [% .4f % .4f % .4f; % .4f % .4f % .4f; % .4f % .4f % .4f] (about b1)\n", R[0][0], R[0][1],
               R[0][2], R[1][0], R[1][1], R[1][2], R[2][0], R[2][1], R[2][2]);
        for (int k = 0; k < 3; k++) covariance("b1 oblique, R2 about b1", r1, r1, R, b1h, rules[k], 0, 0);
        keep = rng_state;
        q = covariance("b1 oblique, R2 about b1", r1, r1, R, b1h, QKT_RULE_PAPER, 1, 1);
        rng_state = keep;
        CHECK_OK(q > 1,
                 "control (b1 oblique, R2 about b1): the per-pair rule paper is not covariant, worst |diff|/tol %.3g > 1",
                 q);
    }
    release(r1);
}

int main(void)
{
    double t0 = wall();
    double bz[3] = {0, 0, 0.2};
    qkt_response_t *r = weyl4_run(bz, "weyl4 b along z");
    if (r) {
        test_axes(r);
        test_planar_hall(r);
        test_rotations(r, bz);
    }
    release(r);
    printf("\ntotal wall time %.1f s\n", wall() - t0);
    CHECK_DONE();
}

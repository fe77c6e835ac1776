/* test_derivs.c - numerics.derivatives = analytic against its oracle, the
 * finite differences of the response tree (src/engine/tree.c), at single
 * k-points of weyl4 (oblique b, Delta), a tilted lattice_weyl, bcc Fe (with
 * its position matrix), Si (../shared/data), dirac (two blocks whose bands
 * cross exactly) and rashba2d (2D, B along z), two points each (fixed seed).
 *
 * Quantity: every sigma tally of the tree at one k (all paths of orders 0, 1
 * and 2, E and B along x, y, z), with analytic derivatives (A) and with the
 * fourth-order finite differences at the steps h, h/2, h/4, h/8 (F_h ...),
 * h ~ 0.05 T/v as the engine's step.
 *   order 0: no derivative is read, A = F bit for bit.
 *   order 1: A has no step; F_h/2 is within |F_h - F_h/2|/15 of the exact
 *            derivative (h^4 convergence, Richardson), so
 *            |A - F_h/2| <= |F_h - F_h/2|/4 + 1e-9 scale.
 *   order 2: both modes differentiate the order-1 nodes by finite differences;
 *            A is Richardson-extrapolated from h and h/2.  The nested finite
 *            differences converge slowly next to close band pairs (Fe: a
 *            plateau 1e-7 off up to h/4, round-off from h/16, while A is
 *            stable to 1e-9 from h/4 on), so the oracle is F_h/8:
 *            |A - F_h/8| <= 2 |F_h/4 - F_h/8| + 1e-6 scale.
 * scale: the largest |A| of the tally's integration group (at least 1e-4 of
 * the order's largest).  Each check also requires its resolution, the largest
 * tolerance relative to its scale, to be below 1e-4: a relative error of A
 * above it fails (measured 5e-9 to 2e-7 at order 1, 1e-6 to 9e-6 at order 2).
 * Points are drawn where some band lies within 3T of mu (Fermi-surface nodes
 * not zero) and no two bands of one block are closer than 1e4 degen_tol; a point with
 * degenerate bands is handed to the finite differences (Si at Gamma: one
 * fallback, the same digits). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "engine/tree.h"
#include "engine_util.h"
#include "tree_util.h"

#define FLOOR 1e-9
#define ORDER2_REL 1e-6


/* a pseudo-random number in [0, 1) (fixed seed: the same points every run) */
static double urand(unsigned long *x)
{
    *x = *x * 6364136223846793005UL + 1442695040888963407UL;
    return (double)(*x >> 11) / 9007199254740992.0;
}

typedef struct {
    const char *name;
    qkt_model_t *m;
    double mu, T, h; /* h: the finite-difference step, ~ 0.05 T / v as the engine's */
    double kscale;   /* continuum: points drawn in [-kscale, kscale]^3; periodic: the zone */
} case_t;

/* a point with some band in the thermal window [mu - 3T, mu + 3T] and no two
 * bands of one block closer than 1e4 degen_tol */
static int draw_point(const case_t *c, unsigned long *seed, double k[3])
{
    qkt_bands_t *b = qkt_bands_alloc(c->m->nb);
    for (int tries = 0; tries < 20000; tries++) {
        double f[3];
        for (int a = 0; a < 3; a++) f[a] = urand(seed);
        if (c->m->periodic) {
            for (int a = 0; a < 3; a++) {
                k[a] = 0;
                for (int i = 0; i < 3; i++) k[a] += f[i] * c->m->bvec[i][a];
            }
        } else
            for (int a = 0; a < 3; a++) k[a] = (2 * f[a] - 1) * c->kscale;
        if (c->m->dim == 2) k[2] = 0;
        if (qkt_bands_compute(b, c->m, k, QKT_BANDS_ENERGY)) continue;
        int in = 0, close = 0;
        for (int n = 0; n < c->m->nb; n++) {
            if (fabs(b->eps[n] - c->mu) < 3 * c->T) in = 1;
            for (int l = 0; l < n; l++) /* within a block: bands of two blocks may cross freely */
                if (b->block[l] == b->block[n] && fabs(b->eps[n] - b->eps[l]) < 1e4 * c->m->degen_tol) close = 1;
        }
        if (in && !close) {
            qkt_bands_free(b);
            return 1;
        }
    }
    qkt_bands_free(b);
    return 0;
}

/* the check of one order's tallies [o0, o1): per tally |A - F| <= tol_i with
 * tol_i = c_F |dF_i| + FLOOR scale_i (dF: the finite differences' own change
 * with the step, scale: the largest |A| of the tally's integration group, at
 * least 1e-9 of the order's largest); returns the worst |A - F|/tol and, in
 * *res, the check's resolution max_i tol_i/scale_i (its power: a relative
 * error of A above it fails) */
static double worst(const int *grp, const double *A, const double *F, const double *dF, double cF, double floor_,
                    int o0, int o1, int *iworst, double *res)
{
    double r = 0, all = 0;
    *res = 0;
    for (int j = o0; j < o1; j++) all = fmax(all, fabs(A[j]));
    for (int i = o0; i < o1; i++) {
        /* a group far below the order's largest (round-off values, 1e-12 of
         * it on weyl4) is measured against 1e-4 of that instead */
        double scale = 1e-4 * all;
        for (int j = o0; j < o1; j++)
            if (grp[j] == grp[i]) scale = fmax(scale, fabs(A[j]));
        if (scale == 0) continue;
        double tol = cF * fabs(dF[i]) + floor_ * scale;
        *res = fmax(*res, tol / scale);
        double q = fabs(A[i] - F[i]) / tol;
        if (q > r) {
            r = q;
            *iworst = i;
        }
    }
    return r;
}

static double *eval_mode(const case_t *c, const qkt_layout_t *L, qkt_tree_par_t *tp, const double k[3], int analytic,
                         double h, long *nfb)
{
    tp->analytic = analytic;
    tp->h = h;
    return tree_eval_at(c->m, L, tp, k, nfb);
}

static void run_case(case_t *c, int npoints, unsigned long seed)
{
    int nu3[3] = {0, 1, 2}, al3[3] = {0, 1, 2};
    int nd = c->m->dim;
    qkt_layout_t L;
    /* 2D models: B along z only (the only component that acts) */
    qkt_layout_init(&L, 2, nd, 0, 0, nu3, nd, nd == 2 ? al3 + 2 : al3, nd == 2 ? 1 : 3);
    int *grp = malloc(sizeof(int) * L.fdim);
    double *dF = malloc(sizeof(double) * L.fdim);
    qkt_layout_groups(&L, grp);
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = c->mu;
    tp.T = c->T;
    tp.window = 12;
    double h = c->h;
    for (int ip = 0; ip < npoints; ip++) {
        double k[3];
        if (!draw_point(c, &seed, k)) {
            CHECK_OK(0, "%s: no point with a band in the thermal window", c->name);
            continue;
        }
        long nfb = -1;
        double *A1 = eval_mode(c, &L, &tp, k, 1, h, &nfb), *A2 = eval_mode(c, &L, &tp, k, 1, h / 2, NULL);
        double *F1 = eval_mode(c, &L, &tp, k, 0, h, NULL), *F2 = eval_mode(c, &L, &tp, k, 0, h / 2, NULL);
        double *F4 = eval_mode(c, &L, &tp, k, 0, h / 4, NULL), *F8 = eval_mode(c, &L, &tp, k, 0, h / 8, NULL);
        CHECK_OK(nfb == 0, "%s k%d: no finite-difference fallback at a non-degenerate point (%ld)", c->name, ip, nfb);
        /* order 0 reads no derivative: the same digits */
        double d0 = 0;
        for (int i = L.o_s0; i < L.o_s1; i++) d0 = fmax(d0, fabs(A1[i] - F1[i]));
        CHECK_OK(d0 == 0, "%s k%d order 0: analytic = finite differences bit for bit (max diff %.3g)", c->name, ip, d0);
        /* order 1: no step in the analytic mode; F_h/2 within |F_h - F_h/2|/15 of the limit */
        for (int i = 0; i < L.fdim; i++) dF[i] = F1[i] - F2[i];
        int iw = -1;
        double res, r = worst(grp, A1, F2, dF, 0.25, FLOOR, L.o_s1, L.o_s2, &iw, &res);
        CHECK_OK(r <= 1 && res < 1e-4,
                 "%s k%d order 1: |A - F_h/2| <= |F_h - F_h/2|/4 + %.0e scale, worst ratio %.3g, resolution %.2g "
                 "(tally %d: A %.12g F_h %.12g F_h/2 %.12g)",
                 c->name, ip, FLOOR, r, res, iw, iw >= 0 ? A1[iw] : 0, iw >= 0 ? F1[iw] : 0, iw >= 0 ? F2[iw] : 0);
        /* order 2: both modes take the outer derivative by finite differences;
         * the analytic mode's is Richardson-extrapolated (h, h/2).  The nested
         * finite differences converge slowly where two bands are close (Fe:
         * a plateau 1e-7 off until h/8, round-off from h/16), so the oracle is
         * F_h/8 with its change from h/4, and a floor of ORDER2_REL */
        for (int i = L.o_s2; i < L.o_p1; i++) {
            A2[i] += (A2[i] - A1[i]) / 15;
            dF[i] = F4[i] - F8[i];
        }
        iw = -1;
        r = worst(grp, A2, F8, dF, 2, ORDER2_REL, L.o_s2, L.o_p1, &iw, &res);
        CHECK_OK(r <= 1 && res < 1e-4,
                 "%s k%d order 2: |A - F_h/8| <= 2 |F_h/4 - F_h/8| + %.0e scale, worst ratio %.3g, resolution %.2g "
                 "(tally %d: A %.12g F_h %.12g F_h/8 %.12g)",
                 c->name, ip, ORDER2_REL, r, res, iw, iw >= 0 ? A2[iw] : 0, iw >= 0 ? F1[iw] : 0, iw >= 0 ? F8[iw] : 0);
        free(A1);
        free(A2);
        free(F1);
        free(F2);
        free(F4);
        free(F8);
    }
    free(grp);
    free(dF);
}

/* Si at Gamma (the threefold valence-band top): the analytic mode hands the
 * point to the finite differences (nfallback > 0) and gives their digits at
 * orders 0 and 1 */
static void fallback_case(const case_t *c)
{
    int nu3[3] = {0, 1, 2}, al3[3] = {0, 1, 2};
    qkt_layout_t L;
    qkt_layout_init(&L, 1, 3, 0, 0, nu3, 3, al3, 3);
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = c->mu;
    tp.T = c->T;
    tp.window = 12;
    double k[3] = {0, 0, 0};
    long nfb = 0;
    double *A = eval_mode(c, &L, &tp, k, 1, c->h, &nfb), *F = eval_mode(c, &L, &tp, k, 0, c->h, NULL);
    double d = 0;
    for (int i = 0; i < L.fdim; i++) d = fmax(d, fabs(A[i] - F[i]));
    CHECK_OK(nfb == 1 && d == 0, "%s at Gamma (degenerate): %ld fallback, every tally as the finite differences' (max diff %.3g)",
             c->name, nfb, d);
    free(A);
    free(F);
}

int main(void)
{
    const qkt_units_t *u = qkt_units();
    case_t cs[6];
    int nc = 0;

    qkt_model_t *w4 = model("weyl4");
    set3(w4, "b", 0.08, -0.05, 0.2);
    set1(w4, "Delta", 0.03);
    setup(w4);
    cs[nc++] = (case_t){"weyl4", w4, 0.05, 0.0025, 0.05 * 0.0025, 0.4};

    qkt_model_t *lw = model("lattice_weyl");
    set3(lw, "tilt", 0.1, 0.05, 0.3);
    setup(lw);
    cs[nc++] = (case_t){"lattice_weyl", lw, 0.1, 0.01, 0.05 * 0.01, 0};

    double T300 = 300 * u->kB_eV;
    qkt_model_t *fe = shared_wannier("fe/Fe_tb.dat.gz", NULL, 1, 1);
    cs[nc++] = (case_t){"Fe", fe, 13.5463, T300, 0.05 * T300 / 3, 0};
    qkt_model_t *si = shared_wannier("si/Si_tb.dat", NULL, 1, 2);
    cs[nc++] = (case_t){"Si", si, 7.2, T300, 0.05 * T300 / 3, 0};

    /* two blocks (valleys) whose bands cross exactly: no interband term
     * between blocks, no division by their energy difference */
    qkt_model_t *dc = model("dirac");
    setup(dc);
    cs[nc++] = (case_t){"dirac", dc, 0.1, 0.005, 0.05 * 0.005, 0.3};
    /* two dimensions */
    qkt_model_t *ra = model("rashba2d");
    setup(ra);
    cs[nc++] = (case_t){"rashba2d", ra, 0.2, 0.01, 0.05 * 0.01, 1.0};

    for (int i = 0; i < nc; i++) run_case(&cs[i], 2, 12345 + 77 * i);
    fallback_case(&cs[3]);
    for (int i = 0; i < nc; i++) qkt_model_free(cs[i].m);
    CHECK_DONE();
}

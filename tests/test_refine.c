/* test_refine.c - adaptive refinement of the uniform mesh (numerics.refine,
 * src/integrate/refine.c), order B^0 of periodic models:
 *   (a) exactness: with the evaluations of the first refinement only
 *       (maxeval = 9 N^3), the result is the plain sum over the 8 N^3 child
 *       centres (j + (+-1/4, +-1/4, +-1/4))/N, its cells are centred on the
 *       postw90 mesh (their centres sum to the numerics.mesh result), and
 *       the error estimate is the sum over the cells of |children - cell|:
 *       bcc Fe at T = 0 (the Fermi-sea step) on a 4^3 start;
 *   (b) the estimate bounds the actual error: lattice_weyl at T = 0.1
 *       (smooth occupations) against a run 10x tighter, and at mu = 0, T = 0
 *       (no Fermi surface; the Berry monopoles at the two nodes are point
 *       singularities of the integrand) against the exact value from the
 *       Chern numbers of the kz slices;
 *   (c) the same digits for 1 and 2 threads (lattice_weyl and Fe);
 *   (e) on the real material: bcc Fe sigma_xy from an 8^3 start with a small
 *       budget lies within its estimate of the converged value (410.40 +-
 *       8.26 S/cm: 4.5e6 evaluations from 16^3, bench/bench_wannier.c,
 *       docs/wannier.md), and the estimate is not vacuous (< 40 %);
 *   (f) order B^1: the totals of rule rta drive the refinement and carry
 *       its direct estimate; on a tilted lattice_weyl (mu = 0.8, T = 0.05,
 *       its nodes beyond the thermal window) every component of sigma^(0)
 *       and sigma^(1) of a reltol 3e-2 run lies within its estimate plus
 *       the reference's of a reltol 6e-3 run; the
 *       tallied totals equal the assembled sums of the paths; the direct
 *       estimates never exceed the sums of the paths' estimates; an assembly
 *       at another tau_intra keeps the paths' sums; Onsager's relation
 *       sigma_ij(B; M) = sigma_ji(-B; -M) (M = m0, t, w, odd under time
 *       reversal) of the refined results, per power of tau, for tau^2 and
 *       tau^1 under run.expansion = reciprocal (docs/method.md: the seed's
 *       tau^1 and tau^0 parts are not reciprocal), within the estimates;
 *   (g) the Landau cutoff: inert with the nodes beyond the thermal window;
 *       with a node in it, weight removed alike for M and -M, and Onsager's
 *       relation of the tau^2 part kept;
 *   (h) the cutoff's sensitivity d sigma/d ln rho_c at orders 1 and 2 equals
 *       the central difference of runs at neighbouring radii on a mesh;
 *   (d) bad input: errors that name the key (library and command line). */
#include <omp.h>
#include <stdio.h>
#include <string.h>
#include "engine/tree.h"
#include "response/raw.h"
#include "integrate/integrate.h"
#include "engine_util.h"

static qkt_model_t *lattice_weyl(void)
{
    qkt_model_t *m = model("lattice_weyl");
    setup(m);
    return m;
}

/* sigma^(0)_xy of the intrinsic path (E along y) at one k: the tally the
 * engine integrates, evaluated here directly */
typedef struct {
    qkt_layout_t L;
    qkt_tree_par_t tp;
    qkt_tree_ws_t *ws;
    double *buf;
    int ix;
} direct_t;

static void direct_init(direct_t *d, const qkt_model_t *m, double mu, double T)
{
    int nu[1] = {1}, al[1] = {2};
    qkt_layout_init(&d->L, 0, 3, 0, 0, nu, 1, al, 1);
    memset(&d->tp, 0, sizeof d->tp);
    d->tp.mu = mu;
    d->tp.T = T;
    d->tp.degen_tol = m->degen_tol;
    d->tp.window = 12;
    d->tp.h = 1e-4 * m->kcut;
    d->ws = qkt_tree_ws_alloc(m, &d->L, &d->tp, NULL);
    d->buf = malloc(sizeof(double) * d->L.fdim);
    d->ix = L_s0(&d->L, T0_SE, 0, 0);
    if (!d->ws || !d->buf) {
        printf("FAIL tree workspace: %s\n", qkt_strerror());
        exit(1);
    }
}

static double direct_at(direct_t *d, const qkt_model_t *m, const double x[3])
{
    double k[3];
    for (int a = 0; a < 3; a++) k[a] = x[0] * m->bvec[0][a] + x[1] * m->bvec[1][a] + x[2] * m->bvec[2][a];
    memset(d->buf, 0, sizeof(double) * d->L.fdim);
    if (qkt_tree_eval(d->ws, k, d->buf)) {
        printf("FAIL tree evaluation: %s\n", qkt_strerror());
        exit(1);
    }
    return d->buf[d->ix];
}

/* ---- (a) exactness of the first refinement, Fe 4^3, T = 0 */
static void exactness(const qkt_model_t *fe)
{
    const int N = 4;
    const double S_cm = qkt_units()->sigma3_Sm / 100, mu = 13.5463;
    direct_t d;
    direct_init(&d, fe, mu, 0);
    /* the sums of the cells: centres j/N, children (j + s/4)/N, s = +-1 */
    double centres = 0, children = 0, absdiff = 0;
    for (int j0 = 0; j0 < N; j0++)
        for (int j1 = 0; j1 < N; j1++)
            for (int j2 = 0; j2 < N; j2++) {
                double x[3] = {(double)j0 / N, (double)j1 / N, (double)j2 / N};
                double fc = direct_at(&d, fe, x), sc = 0;
                for (int c = 0; c < 8; c++) {
                    double y[3];
                    for (int a = 0; a < 3; a++) y[a] = (x[a] * N + ((c >> a & 1) ? 0.25 : -0.25)) / N;
                    sc += direct_at(&d, fe, y);
                }
                centres += fc;
                children += sc / 8;
                absdiff += fabs(sc / 8 - fc);
            }
    qkt_tree_ws_free(d.ws);
    free(d.buf);
    double w = S_cm / (N * N * N * fe->cell_volume);
    centres *= w;
    children *= w;
    absdiff *= w;

    qkt_params_t p = params_at(mu, 0, 0);
    p.nu_mask = 2;
    p.mesh[0] = p.mesh[1] = p.mesh[2] = N;
    qkt_response_t *mesh = run_w(34, "Fe 4^3 mesh", fe, &p);
    p.refine = 1;
    p.maxeval = 9 * N * N * N; /* the first refinement and nothing else */
    qkt_response_t *ref = run_w(34, "Fe 4^3 refine, maxeval 9 N^3", fe, &p);
    if (!mesh || !ref) return;
    /* the cells are centred on postw90's mesh: sum of centres = the mesh result */
    CHECK_REL(centres, S_cm * mesh->sigma0.v[0][1], 1e-12,
              "Fe sigma_xy [S/cm], 4^3: test's sum over the cell centres = numerics.mesh = 4 (same points)");
    CHECK_OK(ref->neval == (size_t)9 * N * N * N && !ref->converged,
             "Fe 4^3 refine: %zu evaluations (want 9 N^3 = %d), converged = %d (want 0: reltol 1e-3 not reached)",
             ref->neval, 9 * N * N * N, ref->converged);
    CHECK_REL(S_cm * ref->sigma0.v[0][1], children, 1e-12,
              "Fe sigma_xy [S/cm] after the first refinement = direct sum over the 8 N^3 child centres");
    CHECK_REL(S_cm * ref->sigma0.e[0][1], absdiff, 1e-12,
              "Fe sigma_xy error estimate [S/cm] = sum over the 4^3 cells of |children - cell|");
    CHECK_OK(fabs(children - centres) <= absdiff,
             "Fe: the first refinement moves sigma_xy by %.3f S/cm, within its estimate %.3f S/cm",
             fabs(children - centres), absdiff);
    CHECK_ABS(ref->path0[T0_NE].v[0][1], 0, 1e-14, "Fe Drude part at T = 0 is 0 (no Fermi-surface term)");
    release(mesh);
    release(ref);
}

/* a coarse and a fine refinement of p from an N^3 start (reltol coarse,
 * fine), labelled "what, reltol ..." */
static void refine_pair(const qkt_model_t *m, qkt_params_t p, int N, size_t maxeval, double coarse, double fine,
                        const char *what, qkt_response_t **c, qkt_response_t **f)
{
    p.mesh[0] = p.mesh[1] = p.mesh[2] = N;
    p.refine = 1;
    p.maxeval = maxeval;
    p.reltol = coarse;
    *c = run_w(34, WHAT("%s, reltol %g", what, coarse), m, &p);
    p.reltol = fine;
    *f = run_w(34, WHAT("%s, reltol %g", what, fine), m, &p);
}

/* ---- (b) the estimate against the actual error */
static void bounds(const qkt_model_t *lw)
{
    /* smooth occupations: T = 0.1, mu = 0.3 (two Fermi pockets), from 10^3 */
    qkt_params_t p = params_at(0.3, 0.1, 0);
    qkt_response_t *c, *f;
    refine_pair(lw, p, 10, 20000000, 3e-2, 3e-3, "lattice_weyl T = 0.1", &c, &f);
    if (c && f) {
        CHECK_OK(c->converged && f->converged, "both runs converged");
        /* Drude xx and intrinsic xy: the coarse run's interval [v - e, v + e]
         * contains the fine run's (estimate >= actual error + fine error) */
        const qkt_tensor_t *tc[2] = {&c->path0[T0_NE], &c->path0[T0_SE]}, *tf[2] = {&f->path0[T0_NE], &f->path0[T0_SE]};
        const int ii[2] = {0, 0}, jj[2] = {0, 1};
        const char *what[2] = {"Drude xx", "intrinsic xy"};
        for (int q = 0; q < 2; q++) {
            double vc = tc[q]->v[ii[q]][jj[q]], ec = tc[q]->e[ii[q]][jj[q]];
            double vf = tf[q]->v[ii[q]][jj[q]], ef = tf[q]->e[ii[q]][jj[q]];
            printf("     %s: reltol 3e-2: %.8f +- %.2e, 3e-3: %.8f +- %.2e\n", what[q], vc, ec, vf, ef);
            CHECK_OK(fabs(vc - vf) <= ec - ef && ef < ec / 2,
                     "lattice_weyl T = 0.1 %s [e^2/hbar]: |coarse - fine| = %.2e <= coarse estimate %.2e - fine "
                     "estimate %.2e", what[q], fabs(vc - vf), ec, ef);
        }
    }
    release(c);
    release(f);

    /* point singularities: mu = 0, T = 0, no Fermi surface; the lower band's
     * Berry curvature has monopoles at the nodes (0, 0, +-k0).  A kz slice
     * has Chern number 1 for k0 < |kz| < pi/a (the mass at Gamma changes
     * sign at the nodes) and 0 otherwise, so sigma_xy = (pi/a - k0)/(2 pi^2)
     * e^2/hbar exactly (a = 1, k0 = 0.5: 0.1338254...) */
    const double exact = (PI - 0.5) / (2 * PI * PI);
    p = params_at(0, 0, 0);
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 8;
    p.refine = 1;
    p.maxeval = 20000000;
    p.reltol = 1e-2;
    qkt_response_t *r = run_w(34, "lattice_weyl mu = 0, T = 0, 1e-2", lw, &p);
    if (r) {
        double v = r->sigma0.v[0][1], e = r->sigma0.e[0][1];
        CHECK_OK(r->converged && e <= 1e-2 * fabs(v), "converged: estimate %.2e <= reltol |sigma_xy| = %.2e", e,
                 1e-2 * fabs(v));
        CHECK_ABS(v, exact, e, "lattice_weyl mu = 0 sigma_xy [e^2/hbar] vs (pi - k0)/(2 pi^2), within its estimate");
        CHECK_ABS(-r->sigma0.v[1][0], exact, r->sigma0.e[1][0], "same for -sigma_yx");
    }
    release(r);
}

/* ---- (e) Fe: a short refinement against the converged value */
static void fe_converged(const qkt_model_t *fe)
{
    const double S_cm = qkt_units()->sigma3_Sm / 100;
    const double conv = 410.4018, conv_err = 8.2566; /* S/cm, the converged run (header) */
    qkt_params_t p = params_at(13.5463, 0, 0);
    p.nu_mask = 2; /* E along y: sigma_xy */
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 8;
    p.refine = 1;
    p.reltol = 1e-2;
    p.maxeval = 40000; /* stops at maxeval: ~6 s on 2 threads */
    qkt_response_t *r = run_w(34, "Fe 8^3 refine, 4e4 evaluations", fe, &p);
    if (r) {
        double v = S_cm * r->sigma0.v[0][1], e = S_cm * r->sigma0.e[0][1];
        CHECK_ABS(v, conv, e + conv_err,
                  "Fe sigma_xy [S/cm] after 4e4 evaluations vs the converged 410.40 +- 8.26, within both estimates");
        CHECK_OK(e > 0 && e < 0.4 * fabs(v), "Fe estimate %.1f S/cm is positive and below 40 %% of |sigma_xy| = %.1f",
                 e, fabs(v));
    }
    release(r);
}

/* ---- (f) orders 1 and 2 */
/* orders 0 and 1 of a refined result r against a finer one ref */
static void total_checks(const qkt_response_t *r, const qkt_response_t *ref, const char *label)
{
    char what[128];
    snprintf(what, sizeof what, "%.100s", label);
    const qkt_layout_t *L = &r->raw->L;
    const double *val = r->raw->val;
    double big[2] = {0, 0}, worst[2] = {0, 0}, tsum = 0, esum = 0;
    for (int o = 0; o <= 1; o++)
        for (int a = 0; a < (o ? 3 : 1); a++) {
            const qkt_tensor_t *t = o == 0 ? &r->sigma0 : &r->sigma1[a];
            const qkt_tensor_t *u = o == 0 ? &ref->sigma0 : &ref->sigma1[a];
            for (int mu = 0; mu < 3; mu++)
                for (int nu = 0; nu < 3; nu++) {
                    big[o] = fmax(big[o], fabs(u->v[mu][nu]));
                    /* |refined - reference| / (both estimates) */
                    double d = fabs(t->v[mu][nu] - u->v[mu][nu]) / (t->e[mu][nu] + u->e[mu][nu] + 1e-300);
                    if (d > worst[o])
                        printf("     sigma^(%d) [%d][%d][%d]: refined %.6e +- %.2e, reference %.6e +- %.2e\n", o, a,
                               mu, nu, t->v[mu][nu], t->e[mu][nu], u->v[mu][nu], u->e[mu][nu]);
                    worst[o] = fmax(worst[o], d);
                    /* the tallied total against the assembly's sum of paths */
                    int i = o == 0 ? L->o_d0 + nu * 3 + mu : L->o_d1 + (nu * 3 + a) * 3 + mu;
                    tsum = fmax(tsum, fabs(val[i] - t->v[mu][nu]));
                    esum = fmax(esum, fabs(t->v[mu][nu]));
                }
        }
    CHECK_OK(r->totals_direct == 1, "%s: the totals carry the refinement's direct estimates", what);
    CHECK_OK(tsum <= 1e-12 * esum, "%s: tallied totals = assembled sums of the paths (max diff %.2e of %.2e)", what,
             tsum, esum);
    for (int o = 0; o <= 1; o++)
        CHECK_OK(worst[o] <= 1, "%s: sigma^(%d) [e^2/hbar] within the estimates of a reltol 6e-3 refinement (worst "
                 "|diff|/(e + e_ref) = %.3f; largest component %.3e)", what, o, worst[o], big[o]);
    /* assembled at a tau_intra 1e-9 away: the paths' sums of estimates (the
     * totals were integrated for the drive's tau only) */
    qkt_response_t c = *r, d = *r;
    if (!qkt_response_assemble(&c, QKT_RULE_RTA, r->par.tau_intra * (1 + 1e-9), r->par.tau_inter) &&
        !qkt_response_assemble(&d, QKT_RULE_RTA, r->par.tau_intra, r->par.tau_inter)) {
        CHECK_OK(c.totals_direct == 0 && d.totals_direct == 1,
                 "%s: another tau_intra keeps the paths' sums (flags %d, %d)", what, c.totals_direct, d.totals_direct);
        double ratio = 0;
        for (int a = 0; a < 3; a++)
            for (int mu = 0; mu < 3; mu++)
                for (int nu = 0; nu < 3; nu++)
                    ratio = fmax(ratio, d.sigma1[a].e[mu][nu] / (c.sigma1[a].e[mu][nu] * (1 + 1e-6) + 1e-300));
        CHECK_OK(ratio <= 1, "%s: direct estimates of sigma^(1) <= the sums of its paths' estimates (largest ratio "
                 "%.3f)", what, ratio);
    }
}

/* Onsager's relation at B^1 between the partners M (a) and -M (b), B along
 * x: the worst |a_ij + b_ji| / (e_ij + e'_ji); *big the largest |a_ij| */
static double onsager_worst(const qkt_tensor_t *a, const qkt_tensor_t *b, double *big)
{
    double worst = 0;
    *big = 0;
    for (int mu = 0; mu < 3; mu++)
        for (int nu = 0; nu < 3; nu++) {
            *big = fmax(*big, fabs(a->v[mu][nu]));
            worst = fmax(worst, fabs(a->v[mu][nu] + b->v[nu][mu]) / (a->e[mu][nu] + b->e[nu][mu] + 1e-300));
        }
    return worst;
}

/* Onsager at B^1 on refined results: the partners M and -M.  Power to fail:
 * with the seed's expansion the tau^1 part misses by 5.9 times the estimates
 * (measured), the tau^2 part passes (0.07) */
static void onsager_refined(void)
{
    qkt_response_t *r[2] = {NULL, NULL};
    for (int s = 0; s < 2; s++) {
        double sg = s ? -1 : 1;
        qkt_model_t *m = model("lattice_weyl");
        set1(m, "m0", 2 * sg);
        set1(m, "t", sg);
        set3(m, "tilt", 0.1 * sg, 0.05 * sg, 0.2 * sg);
        setup(m);
        qkt_params_t p = params_at(0.8, 0.05, 1);
        p.rule = QKT_RULE_RTA;
        p.expansion = QKT_EXPANSION_RECIPROCAL;
        p.tau_intra = p.tau_inter = 5;
        p.al_mask = 1; /* B along x */
        p.mesh[0] = p.mesh[1] = p.mesh[2] = 8;
        p.refine = 1;
        p.reltol = 3e-2;
        p.maxeval = 600000;
        r[s] = run_w(34, WHAT("tilted lattice_weyl, M sign %+g, refine", sg), m, &p);
        qkt_model_free(m);
    }
    if (r[0] && r[1])
        for (int pw = 1; pw <= 2; pw++) {
            /* sigma1_{mu nu}(M) = -sigma1_{nu mu}(-M) for B along x, tau_intra^pw */
            double big, worst = onsager_worst(&r[0]->tau1[pw][0][0], &r[1]->tau1[pw][0][0], &big);
            CHECK_OK(worst <= 1 && big > 0, "refined order 1, tau^%d part: Onsager sigma_ij(B; M) = sigma_ji(-B; -M) "
                     "within the estimates (worst |diff|/(e + e') = %.3f, largest component %.3e)", pw, worst, big);
        }
    release(r[0]);
    release(r[1]);
}

static void orders12(void)
{
    qkt_model_t *m = model("lattice_weyl");
    set3(m, "tilt", 0.1, 0.05, 0.2);
    setup(m);
    {
        int order = 1;
        /* the nodes (energies +-0.096) 14 T and 18 T from mu, beyond the
         * thermal window (12 T): at a tilted node inside it the Fermi-sea
         * path SE>SEB diverges logarithmically (docs/physics.md, open point
         * 9), and no estimate could be checked there */
        qkt_params_t p = params_at(0.8, 0.05, order);
        p.rule = QKT_RULE_RTA;
        p.tau_intra = 5;
        qkt_response_t *r, *ref;
        refine_pair(m, p, 8, 30000000, 3e-2, 6e-3, "tilted lattice_weyl order 1, refine 8^3", &r, &ref);
        if (r && ref) {
            printf("     order %d: %zu evaluations, converged %d, levels %d\n", order, r->neval, r->converged,
                   r->refine_levels);
            CHECK_OK(r->converged && ref->converged, "both order-1 refinements converged");
            total_checks(r, ref, "tilted lattice_weyl order 1");
        }
        release(r);
        release(ref);
    }
    {
        /* order 2 with the Landau cutoff (l_B = 100; inert here, test (g)):
         * the totals of sigma^(2) drive the refinement too */
        qkt_params_t p = params_at(0.8, 0.05, 2);
        p.rule = QKT_RULE_RTA;
        p.tau_intra = 5;
        p.al_mask = 4;
        p.landau_B = 1e-4;
        qkt_response_t *r, *ref;
        refine_pair(m, p, 8, 30000000, 5e-2, 1e-2, "tilted lattice_weyl order 2, refine 8^3", &r, &ref);
        if (r && ref) {
            printf("     order 2: %zu and %zu evaluations, converged %d %d, levels %d\n", r->neval, ref->neval,
                   r->converged, ref->converged, r->refine_levels);
            CHECK_OK(r->converged && ref->converged, "both order-2 refinements converged");
            const qkt_layout_t *L = &r->raw->L;
            const qkt_tensor_t *t = &r->sigma2[2][2], *u = &ref->sigma2[2][2];
            double worst = 0, tsum = 0, big = 0;
            for (int mu = 0; mu < 3; mu++)
                for (int nu = 0; nu < 3; nu++) {
                    big = fmax(big, fabs(u->v[mu][nu]));
                    worst = fmax(worst, fabs(t->v[mu][nu] - u->v[mu][nu]) / (t->e[mu][nu] + u->e[mu][nu] + 1e-300));
                    /* the tallied total (one E direction per column, B along z only) */
                    tsum = fmax(tsum, fabs(r->raw->val[L->o_d2 + nu * 3 + mu] - t->v[mu][nu]));
                }
            CHECK_OK(r->totals_direct == 1 && tsum <= 1e-12 * big,
                     "order 2: tallied totals of sigma^(2) = assembled sums of the paths (max diff %.2e of %.2e), "
                     "direct estimates", tsum, big);
            CHECK_OK(worst <= 1 && big > 0, "order 2: sigma^(2) (B along z) within the estimates of a reltol 1e-2 "
                     "refinement (worst |diff|/(e + e_ref) = %.3f; largest component %.3e)", worst, big);
        }
        release(r);
        release(ref);
    }
    qkt_model_free(m);
}

/* (g) the Landau cutoff (qkt_params_t.landau_B; docs/physics.md, "Landau
 * cutoff of the expansion in B").  Inert where no pair of a thermal-window
 * band comes within l_B: the tilted lattice_weyl with its nodes beyond the
 * window gives the same digits with and without it.  With a node in the
 * window (mu = 0.3, T = 0.1, node at 0.096: open point 9) it removes weight,
 * and the Lorentz (tau^2) part of the refined results still obeys Onsager's
 * relation (the weight is even under time reversal). */
static void landau(void)
{
    qkt_model_t *m = model("lattice_weyl");
    set3(m, "tilt", 0.1, 0.05, 0.2);
    setup(m);
    qkt_params_t p = params_at(0.8, 0.05, 1);
    p.rule = QKT_RULE_RTA;
    p.tau_intra = p.tau_inter = 5;
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 8;
    p.refine = 1;
    p.reltol = 3e-2;
    p.maxeval = 400000;
    qkt_response_t *r0 = run_w(34, "tilted lattice_weyl, mu 0.8, no cutoff", m, &p);
    p.landau_B = 1e-4; /* l_B = 100 lattice constants */
    qkt_response_t *r1 = run_w(34, "tilted lattice_weyl, mu 0.8, Landau cutoff l_B = 100", m, &p);
    if (r0 && r1) {
        double d = 0;
        for (int a = 0; a < 3; a++)
            for (int mu = 0; mu < 3; mu++)
                for (int nu = 0; nu < 3; nu++) d = fmax(d, fabs(r0->sigma1[a].v[mu][nu] - r1->sigma1[a].v[mu][nu]));
        CHECK_OK(d == 0 && r1->landau_weight == 0 && r1->neval == r0->neval,
                 "nodes beyond the thermal window: the Landau cutoff changes nothing (max |diff| %.3g, weight removed "
                 "%.3g, evaluations %zu and %zu)", d, r1->landau_weight, r0->neval, r1->neval);
    }
    release(r0);
    release(r1);
    qkt_model_free(m);
    qkt_response_t *r[2] = {NULL, NULL};
    for (int s = 0; s < 2; s++) {
        double sg = s ? -1 : 1;
        m = model("lattice_weyl");
        set1(m, "m0", 2 * sg);
        set1(m, "t", sg);
        set3(m, "tilt", 0.1 * sg, 0.05 * sg, 0.2 * sg);
        setup(m);
        p = params_at(0.3, 0.1, 1);
        p.rule = QKT_RULE_RTA;
        p.tau_intra = p.tau_inter = 5;
        p.al_mask = 1;
        p.mesh[0] = p.mesh[1] = p.mesh[2] = 8;
        p.refine = 1;
        p.reltol = 3e-2;
        p.maxeval = 400000;
        p.landau_B = 1e-4;
        r[s] = run_w(34, WHAT("tilted lattice_weyl, node in the window, M sign %+g, Landau cutoff", sg), m, &p);
        qkt_model_free(m);
    }
    if (r[0] && r[1]) {
        printf("     weight removed %.3g and %.3g of dos %.3g\n", r[0]->landau_weight, r[1]->landau_weight, r[0]->dos);
        CHECK_OK(r[0]->landau_weight > 0 && fabs(r[0]->landau_weight - r[1]->landau_weight) <= 1e-6 * r[0]->landau_weight + 1e-15,
                 "node in the window: the cutoff removes weight, the same for M and -M (%.6g, %.6g)",
                 r[0]->landau_weight, r[1]->landau_weight);
        double big, worst = onsager_worst(&r[0]->tau1[2][0][0], &r[1]->tau1[2][0][0], &big);
        CHECK_OK(worst <= 1 && big > 0, "node in the window, Landau cutoff: tau^2 part of sigma^(1) obeys Onsager "
                 "sigma_ij(B; M) = sigma_ji(-B; -M) within the estimates (worst |diff|/(e + e') = %.3f, largest %.3e)",
                 worst, big);
    }
    release(r[0]);
    release(r[1]);
}

/* (h) the Landau cutoff's sensitivity (qkt_response_t.lsens*: d/d ln rho_c
 * of sigma^(1), sigma^(2) and their paths, tallied at each point as
 * (ds/d ln rho_c) times the point's unweighted contribution): on a uniform
 * mesh, whose points do not move with rho_c, it is the derivative of the
 * sums, so it must equal the central difference (sigma(rho e^d) - sigma(rho
 * e^-d)) / (2 d), d = 1e-3, of runs at the neighbouring radii.  Its error is
 * O(d^2) s''' (measured: 7e-6 of the largest derivative at both orders); tolerance
 * 1e-4 of the largest |derivative| of the order.  Tilted lattice_weyl with a
 * node in the window (mu = 0.3, T = 0.1), l_B = 10 lattice constants, rule
 * rta; order 1 on a 12^3 mesh, order 2 on 6^3.  With the nodes beyond the
 * window every derivative is exactly 0. */
static double lsens_check(const qkt_response_t *r0, const qkt_response_t *rp, const qkt_response_t *rm, int order,
                          double d, double *big)
{
    double worst = 0;
    *big = 0;
    int np = order == 1 ? r0->npath1 : r0->npath2, nab = order == 1 ? 3 : 9;
    for (int pass = 0; pass < 2; pass++)
        for (int t = -1; t < np; t++)
            for (int ab = 0; ab < nab; ab++) {
                const qkt_tensor_t *s0, *sp, *sm;
                if (order == 1) {
                    s0 = t < 0 ? &r0->lsens1[ab] : r0->raw->lsens_path + t * 3 + ab;
                    sp = t < 0 ? &rp->sigma1[ab] : &rp->path1[t][ab];
                    sm = t < 0 ? &rm->sigma1[ab] : &rm->path1[t][ab];
                } else {
                    s0 = t < 0 ? &r0->lsens2[ab / 3][ab % 3] : r0->raw->lsens_path + QKT_MAX_PATHS * 3 + t * 9 + ab;
                    sp = t < 0 ? &rp->sigma2[ab / 3][ab % 3] : &rp->path2[t][ab / 3][ab % 3];
                    sm = t < 0 ? &rm->sigma2[ab / 3][ab % 3] : &rm->path2[t][ab / 3][ab % 3];
                }
                for (int mu = 0; mu < 3; mu++)
                    for (int nu = 0; nu < 3; nu++) {
                        double fd = (sp->v[mu][nu] - sm->v[mu][nu]) / (2 * d);
                        if (pass == 0) *big = fmax(*big, fabs(s0->v[mu][nu]));
                        else worst = fmax(worst, fabs(fd - s0->v[mu][nu]) / *big);
                    }
            }
    return worst;
}

static void landau_sens(void)
{
    qkt_model_t *m = model("lattice_weyl");
    set3(m, "tilt", 0.1, 0.05, 0.2);
    setup(m);
    const double d = 1e-3;
    for (int order = 1; order <= 2; order++) {
        qkt_params_t p = params_at(0.3, 0.1, order);
        p.rule = QKT_RULE_RTA;
        p.tau_intra = p.tau_inter = 5;
        p.mesh[0] = p.mesh[1] = p.mesh[2] = order == 1 ? 12 : 6;
        if (order == 2) p.al_mask = 4;
        p.landau_B = 1e-2; /* l_B = 10 */
        qkt_response_t *r[3];
        for (int i = 0; i < 3; i++) {
            p.landau_rho = exp(i == 0 ? 0 : i == 1 ? d : -d);
            r[i] = run_w(34, WHAT("order %d, node in the window, rho_c = e^%+g", order, i == 0 ? 0 : i == 1 ? d : -d),
                         m, &p);
        }
        if (r[0] && r[1] && r[2]) {
            double big, worst = lsens_check(r[0], r[1], r[2], order, d, &big);
            CHECK_OK(r[0]->landau_sens && big > 0 && worst <= 1e-4,
                     "order %d: d sigma/d ln rho_c tallied = central difference of runs at rho_c = e^+-%g, every "
                     "path and component (worst |diff| %.2e of the largest derivative %.3e, tol 1e-4)",
                     order, d, worst, big);
        }
        for (int i = 0; i < 3; i++) release(r[i]);
        /* nodes beyond the window: no point has a weight strictly between 0 and 1 */
        p = params_at(0.8, 0.05, order);
        p.rule = QKT_RULE_RTA;
        p.tau_intra = p.tau_inter = 5;
        p.mesh[0] = p.mesh[1] = p.mesh[2] = order == 1 ? 12 : 6;
        if (order == 2) p.al_mask = 4;
        p.landau_B = 1e-4;
        qkt_response_t *q = run_w(34, WHAT("order %d, nodes beyond the window", order), m, &p);
        if (q) {
            double big = 0;
            for (int ab = 0; ab < (order == 1 ? 3 : 9); ab++)
                for (int mu = 0; mu < 3; mu++)
                    for (int nu = 0; nu < 3; nu++)
                        big = fmax(big, fabs(order == 1 ? q->lsens1[ab].v[mu][nu] : q->lsens2[ab / 3][ab % 3].v[mu][nu]));
            CHECK_OK(q->landau_sens && big == 0, "order %d, nodes beyond the window: every d sigma/d ln rho_c is 0 "
                                                 "(largest %.3g)", order, big);
        }
        release(q);
    }
    qkt_model_free(m);
}

/* ---- (c) threads */
static void threads(const qkt_model_t *lw, const qkt_model_t *fe)
{
    for (int im = 0; im < 2; im++) {
        const qkt_model_t *m = im ? fe : lw;
        qkt_params_t p = params_at(im ? 13.5463 : 0.3, im ? 0 : 0.1, 0);
        p.mesh[0] = p.mesh[1] = p.mesh[2] = im ? 4 : 8;
        p.refine = 1;
        p.reltol = im ? 1e-3 : 1e-2;
        p.maxeval = im ? 6000 : 2000000; /* Fe: stops at maxeval, after several batches */
        qkt_response_t *r[2];
        for (int t = 0; t < 2; t++) {
            omp_set_num_threads(t + 1);
            r[t] = run_w(34, WHAT("%s, %d thread(s)", im ? "Fe 4^3" : "lattice_weyl 8^3", t + 1), m, &p);
        }
        omp_set_num_threads(2);
        if (r[0] && r[1]) {
            int same = r[0]->neval == r[1]->neval && r[0]->refine_leaves == r[1]->refine_leaves;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    same &= r[0]->sigma0.v[i][j] == r[1]->sigma0.v[i][j] && r[0]->sigma0.e[i][j] == r[1]->sigma0.e[i][j];
            CHECK_OK(same && r[0]->neval > (size_t)9 * p.mesh[0] * p.mesh[1] * p.mesh[2],
                     "%s: sigma^(0) and its estimate bit for bit equal for 1 and 2 threads (%zu evaluations, beyond "
                     "the first refinement)", im ? "Fe" : "lattice_weyl", r[0]->neval);
        }
        release(r[0]);
        release(r[1]);
    }
}

/* ---- (d) bad input */
static int has(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }

static void bad_input(const qkt_model_t *lw)
{
    qkt_response_t r;
    qkt_params_t p = params_at(0.3, 0.1, 0);
    p.refine = 1; /* no mesh */
    qkt_status_t s = qkt_response_compute(lw, &p, &r);
    CHECK_OK(s == QKT_EINVAL && has(qkt_strerror(), "numerics.refine") && has(qkt_strerror(), "numerics.mesh"),
             "refine without a mesh: status %d, '%s'", (int)s, qkt_strerror());
    qkt_model_t *w2 = model("weyl2");
    setup(w2);
    s = qkt_response_compute(w2, &p, &r);
    CHECK_OK(s == QKT_EINVAL && has(qkt_strerror(), "numerics.refine") && has(qkt_strerror(), "periodic"),
             "refine on a continuum model: status %d, '%s'", (int)s, qkt_strerror());
    qkt_model_free(w2);
    p.mesh[0] = p.mesh[1] = p.mesh[2] = 8;
    p.bonly = 1;
    s = qkt_response_compute(lw, &p, &r);
    CHECK_OK(s == QKT_EINVAL && has(qkt_strerror(), "numerics.refine") && has(qkt_strerror(), "B-only"),
             "refine of the B-only response: status %d, '%s'", (int)s, qkt_strerror());
    p.bonly = 0;
    p.order = 2;
    s = qkt_response_compute(lw, &p, &r);
    CHECK_OK(s == QKT_EINVAL && has(qkt_strerror(), "numerics.refine") && has(qkt_strerror(), "B^2") &&
             has(qkt_strerror(), "Landau"),
             "refine at order 2 without the Landau cutoff: status %d, '%s'", (int)s, qkt_strerror());
    p.order = 0;
    p.order = 0;
    p.maxeval = 1000;
    s = qkt_response_compute(lw, &p, &r);
    CHECK_OK(s == QKT_EINVAL && has(qkt_strerror(), "numerics.maxeval") && has(qkt_strerror(), "4608"),
             "refine with maxeval below 9 N^3 = 4608: status %d, '%s'", (int)s, qkt_strerror());
    p.maxeval = 100000;
    double mus[2] = {0.2, 0.3};
    qkt_response_t rs[2];
    s = qkt_response_scan(lw, &p, 2, mus, rs);
    CHECK_OK(s == QKT_EINVAL && has(qkt_strerror(), "numerics.refine"), "refine in a scan: status %d, '%s'", (int)s,
             qkt_strerror());

    /* the command line names the key and where it was set */
    const char *bin = getenv("QKT_BIN");
    if (!bin) {
        printf("note: QKT_BIN not set, command-line checks skipped\n");
        return;
    }
    const char *cases[2][3] = {
        {"--set model.name=lattice_weyl --set sigma.order=0 --set numerics.refine=true", "numerics.refine (--set)",
         "refine without mesh"},
        {"--set model.name=weyl2 --set sigma.order=0 --set numerics.refine=true --set numerics.mesh=8",
         "numerics.mesh (--set)", "refine with a mesh on a continuum model"},
    };
    for (int i = 0; i < 2; i++) {
        char cmd[1024], out[4096] = "";
        snprintf(cmd, sizeof cmd, "'%s' sigma %s 2>&1; echo \"exit=$?\"", bin, cases[i][0]);
        FILE *f = popen(cmd, "r");
        size_t n = f ? fread(out, 1, sizeof out - 1, f) : 0;
        out[n] = 0;
        if (f) pclose(f);
        CHECK_OK(has(out, "exit=2") && has(out, cases[i][1]), "qkt sigma, %s: exit 2 and the message names %s: %s",
                 cases[i][2], cases[i][1], out);
    }
}

int main(void)
{
    omp_set_num_threads(2);
    qkt_model_t *fe = shared_wannier("fe/Fe_tb.dat.gz", NULL, 1, 1), *lw = lattice_weyl();
    exactness(fe);
    bounds(lw);
    threads(lw, fe);
    fe_converged(fe);
    orders12();
    onsager_refined();
    landau();
    landau_sens();
    bad_input(lw);
    qkt_model_free(fe);
    qkt_model_free(lw);
    CHECK_DONE();
}

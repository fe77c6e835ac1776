/* test_scatter.c - Born scattering times on the Fermi surface
 * (qkt_scatter_compute, src/disorder/scatter.c; issue on disorder, seed Eqs. 56-60):
 *
 *   Scattering is elastic: at T > 0 each state scatters into its own energy
 *   shell, so with <X> = int -f0'(e) X(e) de and g(e) the density of states,
 *   the pocket time is tau = <g>/(2 pi W <overlap> <g^2>).
 *   1  one isotropic Weyl node (model node, Q = +1, g = e^2/(2 pi^2)) with
 *      short-range disorder: |<u_k|u_k'>|^2 = (1 + cos theta)/2, so the rates
 *      carry 1/2 and, for the transport time, (1/2)(1 - <cos^2>) = 1/3:
 *      tau_tr/tau = 3/2 (the test, 0.5 %); tau = 2 <g>/(2 pi W <g^2>)
 *      and dos = <g> to 0.5 % (moments by quadrature).
 *   2  one parabolic band (3D, g = m sqrt(2 m e)/(2 pi^2)): overlaps 1, tau_tr =
 *      tau = <g>/(2 pi W <g^2>) to 0.2 %; dos = m k_F/(2 pi^2) to 0.5 %
 *      (T/mu = 0.02); the engine's Born time (tau_born, Eq. 56) to 0.5 %.
 *   3  weyl2 (two pockets): detailed balance dos_p/tau_inter^pq = dos_q/tau_inter^qp
 *      (the double sum is symmetric) to 1e-12; the pockets' mean out-scattering
 *      rate against the engine's tau_born (both 1/<1/tau_m(k)> over the shell) to
 *      1 %; tau_inter/tau_intra grows monotonically with the correlation length
 *      xi = 0, 2, 5, 10 (smooth disorder suppresses the momentum 2b between the
 *      nodes, Sec. IV), and at xi = 10 exceeds 10.
 *      The pocket-population block (Eq. 59): rates 0 (the total number, to 1e-12) and
 *      2/tau_inter^12 (1e-9).
 *   3b lattice_weyl (periodic, k0 = pi/2, pockets pi apart): tau_born to 1 %, detailed
 *      balance, and xi = 2 raising tau_inter/tau_intra more than tenfold (the shortest image
 *      of k - k' is taken).
 *   3c weyl4 with Delta = 0: tau_z = +-1 pockets are not mixed by scalar disorder: tau_inter^12 = inf and
 *      two conserved population modes.
 *   3d rotation covariance: weyl4 (Delta = 0.05) with b along z, x and (1,1,1): the same
 *      times within the estimates (population time to 2 %; 6 samples per cell edge).
 *   3e 1 and 2 threads give the same bits (chunks and rows summed in order).
 *   3f gauge invariance at degenerate points: weyl4 with b = 0 and Delta = 0.05 (a massive
 *      Dirac fermion: PT makes every band doubly degenerate) gives the same times, to 1e-10
 *      relative, when a random unitary rotates the eigenvectors inside every degenerate
 *      group (qkt_bands_test_gauge): the overlaps enter summed over the degenerate partners
 *      and averaged over the group (traces), and the group's velocity block is d eps/dk
 *      times 1.  Control: the rotation changes the eigenvectors.
 *   4  the error estimates: refine 4 against refine 8 within the sum of the two
 *      estimates.
 *   5  run.tau_from_disorder at order 1 (weyl2, rule valley, xi = 5): the engine's tau_inter is
 *      qkt scatter's population time, to 1e-12. */
#include <math.h>
#include <omp.h>
#include "check.h"
#include "engine_util.h"
#include "core/internal.h"

#define run(label, m, p) run_w(34, label, m, p)

static qkt_params_t at(double mu, double T)
{
    qkt_params_t p;
    qkt_params_default(&p);
    p.mu = mu;
    p.T = T;
    return p;
}

/* <eps^n> and <eps^2n> over -f0'(eps) at mu, T (eps > 0; Simpson on 20001 points over mu +- 40 T) */
static void thermal_moments(double mu, double T, double n, double *g1, double *g2)
{
    const int N = 20000;
    double lo = fmax(0, mu - 40 * T), hi = mu + 40 * T, h = (hi - lo) / N;
    *g1 = *g2 = 0;
    for (int i = 0; i <= N; i++) {
        double e = lo + i * h, x = (e - mu) / T, w = (i == 0 || i == N) ? 1 : (i % 2 ? 4 : 2);
        double fp = 1 / (4 * T * cosh(x / 2) * cosh(x / 2));
        *g1 += w * fp * pow(e, n) * h / 3;
        *g2 += w * fp * pow(e, 2 * n) * h / 3;
    }
}

/* the engine's Born time of short-range disorder W at mu, T (order 0, rule born), NAN on failure */
static double engine_tau_born(const char *label, const qkt_model_t *m, double mu, double T, double W)
{
    qkt_params_t pe = at(mu, T);
    pe.rule = QKT_RULE_BORN;
    pe.order = 0;
    pe.nimp_U0sq = W;
    pe.nu_mask = 1;
    qkt_response_t *r = run(label, m, &pe);
    double t = r ? r->tau_born : NAN;
    if (r) release(r);
    return t;
}

/* weyl2 at the Fig. 3 point: b = 0.2 (nodes at kz = -+0.2), v = 1, Delta = 0 */
static qkt_model_t *weyl2_fig3(void)
{
    qkt_model_t *m = model("weyl2");
    set1(m, "b", 0.2);
    setup(m);
    return m;
}

/* weyl4 with the exchange vector b and mass Delta */
static qkt_model_t *weyl4_at(const double b[3], double Delta)
{
    qkt_model_t *m = model("weyl4");
    set3v(m, "b", b);
    set1(m, "Delta", Delta);
    setup(m);
    return m;
}

static int scatter(const char *label, const qkt_model_t *m, const qkt_params_t *p, double W, double xi, int refine,
                   qkt_scatter_t *s)
{
    qkt_disorder_t d = {W, xi, refine};
    double t0 = wall();
    qkt_status_t st = qkt_scatter_compute(m, p, &d, s);
    printf("scatter %-44s status %d, %.2f s, %ld samples, %d groups, %d pockets, lost %.2g\n", label, (int)st,
           wall() - t0, s->nsamples, s->ngroups, s->npocket, s->lost_fraction);
    CHECK(st == QKT_OK, "%s: %s", label, qkt_strerror());
    for (int q = 0; q < s->npocket; q++)
        printf("   pocket %d: dos %.6g +- %.2g, tau %.6g +- %.2g, tau_tr %.6g +- %.2g\n", q, s->dos[q], s->dos_err[q],
               s->tau[q], s->tau_err[q], s->tau_tr[q], s->tau_tr_err[q]);
    return st == QKT_OK;
}

static void test_node(void)
{
    printf("\n== 1: one isotropic Weyl node, short-range disorder: tau_tr/tau = 3/2 ==\n");
    qkt_model_t *m = model("node");
    setup(m);
    qkt_params_t p = at(0.1, 0.005);
    qkt_scatter_t s;
    const double W = 0.3;
    if (scatter("node, mu = 0.1, T = 0.005", m, &p, W, 0, 8, &s) && s.npocket == 1) {
        CHECK_REL(s.tau_tr[0] / s.tau[0], 1.5, 0.005, "node: tau_tr/tau = 3/2 (overlap (1 + cos)/2, Eq. 58)");
        double g1, g2;
        thermal_moments(0.1, 0.005, 2, &g1, &g2);
        CHECK_REL(s.dos[0], g1 / (2 * PI * PI), 0.005, "node: dos = <eps^2>/(2 pi^2) (v = 1)");
        CHECK_REL(s.tau[0], 2 * g1 / (2 * PI * W * g2 / (2 * PI * PI)), 0.005,
                  "node: tau = 2 <g>/(2 pi W <g^2>) (Eq. 56 elastic, half overlap; <.> over -f0')");
        CHECK_REL(s.tau_inter[0][0], s.tau[0], 1e-12, "node: one pocket, tau_inter^11 = tau");
    } else
        CHECK(0, "node: one pocket expected, got %d", s.npocket);
    qkt_model_free(m);
}

static void test_parabolic(void)
{
    printf("\n== 2: one parabolic band: tau_tr = tau = 1/(2 pi W g) ==\n");
    const double W = 0.7, mass = 1.3, mu = 0.5, T = 0.01;
    qkt_model_t *m = model("parabolic");
    set1(m, "mass", mass);
    setup(m);
    qkt_params_t p = at(mu, T);
    qkt_scatter_t s;
    if (scatter("parabolic, mu = 0.5, T = 0.01", m, &p, W, 0, 8, &s) && s.npocket == 1) {
        double kf = sqrt(2 * mass * mu), g = mass * kf / (2 * PI * PI);
        CHECK_REL(s.dos[0], g, 0.005, "parabolic: dos = m k_F/(2 pi^2) (T/mu = 0.02)");
        double g1, g2, c = mass * sqrt(2 * mass) / (2 * PI * PI); /* g(e) = c sqrt(e) */
        thermal_moments(mu, T, 0.5, &g1, &g2);
        CHECK_REL(s.tau[0], g1 / (2 * PI * W * c * g2), 0.002,
                  "parabolic: tau = <g>/(2 pi W <g^2>) (Eq. 56 elastic; <.> over -f0')");
        CHECK_REL(s.tau_tr[0], s.tau[0], 0.005, "parabolic: tau_tr = tau (isotropic, Eq. 58)");
        /* the engine's Born time of the same disorder (order 0, rule born) */
        double tb = engine_tau_born("parabolic, rule born (tau_born)", m, mu, T, W);
        CHECK_REL(s.tau[0], tb, 0.005, "parabolic: tau = the engine's tau_born (Eq. 56; its tables smear delta by T/4)");
    } else
        CHECK(0, "parabolic: one pocket expected, got %d", s.npocket);
    qkt_model_free(m);
}

static void test_weyl2(void)
{
    printf("\n== 3: weyl2, two pockets: detailed balance, tau_born, smooth disorder ==\n");
    qkt_model_t *m = weyl2_fig3();
    const double W = 0.3, mu = 0.1, T = 0.005;
    qkt_params_t p = at(mu, T);
    p.ncell = 24; /* a coarser pocket map: fewer groups (the sub-division resolves the shell) */
    qkt_scatter_t s;
    double ratio[4], xis[4] = {0, 2, 5, 10};
    for (int i = 0; i < 4; i++) {
        char label[64];
        snprintf(label, sizeof label, "weyl2, xi = %g", xis[i]);
        ratio[i] = NAN;
        if (!scatter(label, m, &p, W, xis[i], 4, &s) || s.npocket != 2) {
            CHECK(0, "%s: two pockets expected, got %d", label, s.npocket);
            continue;
        }
        double a = s.dos[0] / s.tau_inter[0][1], b = s.dos[1] / s.tau_inter[1][0], intra = s.dos[0] / s.tau_inter[0][0];
        CHECK_ABS(a - b, 0, 1e-12 * intra,
                  WHAT("%s: detailed balance dos_p/tau_inter^pq = dos_q/tau_inter^qp (1e-12 of the intra rate)", label));
        ratio[i] = s.tau_inter[0][1] / s.tau_inter[0][0];
        /* the population block (Eq. 59): the total is conserved, the imbalance relaxes at 2/tau_inter^12 */
        CHECK_OK(fabs(s.valley_rate[0]) <= 1e-12 * s.valley_rate[1] &&
                     fabs(s.valley_rate[1] * s.tau_inter[0][1] / 2 - 1) < 1e-9,
                 "%s: population modes: rate 0 (total number) and 2/tau_inter^12 (%.6g vs %.6g)", label,
                 s.valley_rate[1], 2 / s.tau_inter[0][1]);
        printf("   tau_inter^12 = %.6g +- %.2g, tau_inter^11 = %.6g: ratio %.5g\n", s.tau_inter[0][1],
               s.tau_inter_err[0][1], s.tau_inter[0][0], ratio[i]);
        if (i == 0) {
            double tb = engine_tau_born("weyl2, rule born (tau_born)", m, mu, T, W);
            double rate = (s.dos[0] / s.tau[0] + s.dos[1] / s.tau[1]) / (s.dos[0] + s.dos[1]);
            CHECK_REL(1 / rate, tb, 0.01, "weyl2 xi = 0: the pockets' mean out-scattering time = the engine's tau_born");
        }
    }
    int mono = 1;
    for (int i = 1; i < 4; i++) mono &= ratio[i] > ratio[i - 1];
    CHECK_OK(mono && ratio[3] > 10, "weyl2: tau_inter/tau_intra grows with xi: %.4g, %.4g, %.4g, %.4g (> 10 at xi = 10)",
             ratio[0], ratio[1], ratio[2], ratio[3]);
    qkt_model_free(m);
}

/* a periodic model: the shortest image of k - k' between the pockets at -+pi/2 (distance pi,
 * the same across the zone boundary), the engine's tau_born, and suppression with xi */
static void test_lattice(void)
{
    printf("\n== 3b: lattice_weyl (k0 = pi/2): periodic images, tau_born, smooth disorder ==\n");
    qkt_model_t *m = model("lattice_weyl");
    set1(m, "k0", PI / 2);
    setup(m);
    const double W = 0.5, mu = 0.3, T = 0.01;
    qkt_params_t p = at(mu, T);
    qkt_scatter_t s0, s2;
    if (scatter("lattice_weyl, xi = 0", m, &p, W, 0, 0, &s0) && scatter("lattice_weyl, xi = 2", m, &p, W, 2, 0, &s2) &&
        s0.npocket == 2 && s2.npocket == 2) {
        double tb = engine_tau_born("lattice_weyl, rule born (tau_born)", m, mu, T, W);
        double rate = (s0.dos[0] / s0.tau[0] + s0.dos[1] / s0.tau[1]) / (s0.dos[0] + s0.dos[1]);
        CHECK_REL(1 / rate, tb, 0.01, "lattice_weyl xi = 0: mean out-scattering time = tau_born");
        double a = s2.dos[0] / s2.tau_inter[0][1], b = s2.dos[1] / s2.tau_inter[1][0];
        CHECK_ABS(a - b, 0, 1e-12 * s2.dos[0] / s2.tau_inter[0][0], "lattice_weyl xi = 2: detailed balance");
        /* |q| = pi between the pockets: W drops by exp(-pi^2 xi^2/2) = exp(-2 pi^2) */
        CHECK_OK(s2.tau_inter[0][1] / s2.tau_inter[0][0] > 10 * s0.tau_inter[0][1] / s0.tau_inter[0][0],
                 "lattice_weyl: xi = 2 raises tau_inter/tau_intra more than tenfold (%.4g -> %.4g)",
                 s0.tau_inter[0][1] / s0.tau_inter[0][0], s2.tau_inter[0][1] / s2.tau_inter[0][0]);
    } else
        CHECK(0, "lattice_weyl: two pockets expected");
    qkt_model_free(m);
}

/* weyl4 with Delta = 0: tau_z is conserved, the pockets (tau_z = +-1) are orthogonal in the
 * orbital space and scalar disorder does not mix them: no intervalley scattering, two
 * conserved population modes */
static void test_blocks(void)
{
    printf("\n== 3c: weyl4, Delta = 0: pockets of tau_z = +-1 ==\n");
    qkt_model_t *m = weyl4_at((double[3]){0, 0, 0.2}, 0);
    qkt_params_t p = at(0.1, 0.005);
    p.ncell = 24;
    qkt_scatter_t s;
    if (scatter("weyl4 Delta = 0", m, &p, 0.3, 0, 4, &s) && s.npocket == 2) {
        CHECK_OK(isinf(s.tau_inter[0][1]) && isinf(s.tau_inter[1][0]) && s.valley_rate[0] == 0 && s.valley_rate[1] == 0,
                 "weyl4 Delta = 0: no scattering between tau_z = +-1 (tau_inter^12 = %g), two conserved modes (rates "
                 "%g, %g)", s.tau_inter[0][1], s.valley_rate[0], s.valley_rate[1]);
    } else
        CHECK(0, "weyl4 Delta = 0: two pockets expected (%d)", s.npocket);
    qkt_model_free(m);
}

/* run.tau_from_disorder at order 1: tau_inter is the slowest population mode of the same
 * disorder (qkt_scatter_compute with disorder_xi): the engine uses exactly that time */
static void test_engine_tau_inter(void)
{
    printf("\n== 5: tau_from_disorder: tau_inter from the disorder (weyl2, rule valley, order 1) ==\n");
    qkt_model_t *m = weyl2_fig3();
    const double W = 0.3, mu = 0.1, T = 0.005, xi = 5;
    qkt_params_t p = at(mu, T);
    p.order = 1;
    p.rule = QKT_RULE_VALLEY;
    p.nimp_U0sq = W;
    p.tau_from_disorder = 1;
    p.disorder_xi = xi;
    p.nu_mask = 4;
    p.al_mask = 4;
    p.reltol = 1e-2;
    qkt_response_t *r = run("weyl2 order 1, tau_from_disorder", m, &p);
    qkt_scatter_t s;
    if (r && scatter("weyl2 xi = 5 (defaults)", m, &p, W, xi, 0, &s) && s.npocket == 2) {
        CHECK_REL(r->tau_inter_born, 1 / s.valley_rate[1], 1e-12,
                  "tau_inter_born = qkt scatter's population time (tau_inter^12/2)");
        CHECK_REL(r->par.tau_inter, r->tau_inter_born, 1e-15, "the assembly used tau_inter_born");
        CHECK_REL(r->par.tau_intra, r->tau_born, 1e-15, "and tau_intra = tau_born");
        CHECK_OK(r->tau_inter_born > 5 * r->tau_born && r->tau_inter_born_err < 0.05 * r->tau_inter_born,
                 "xi = 5: tau_inter %.5g +- %.2g well above tau_intra %.5g", r->tau_inter_born, r->tau_inter_born_err,
                 r->tau_born);
    } else
        CHECK(0, "weyl2 tau_from_disorder: runs failed");
    if (r) release(r);
    qkt_model_free(m);
}

/* rotation covariance: the times are scalars of each pocket, so weyl4 (Delta = 0.05, which
 * mixes tau_z and so the pockets) with b along z and the same b turned onto x and onto an
 * oblique axis gives the same times, within the estimates (the sampling grid is not rotated) */
static void test_rotation(void)
{
    printf("\n== 3d: rotation covariance: weyl4 with b along z, x and oblique ==\n");
    const double bz[3] = {0, 0, 0.2}, bx[3] = {0.2, 0, 0}, bo[3] = {0.2 / sqrt(3), 0.2 / sqrt(3), 0.2 / sqrt(3)};
    const double *bs[3] = {bz, bx, bo};
    const char *names[3] = {"weyl4 b || z", "weyl4 b || x", "weyl4 b || (1,1,1)"};
    qkt_scatter_t s[3];
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        qkt_model_t *m = weyl4_at(bs[i], 0.05);
        qkt_params_t p = at(0.1, 0.005);
        p.ncell = 24;
        ok &= scatter(names[i], m, &p, 0.3, 0, 6, &s[i]) && s[i].npocket == 2;
        qkt_model_free(m);
    }
    if (!ok) {
        CHECK(0, "weyl4 rotated: two pockets expected in every orientation");
        return;
    }
    for (int i = 1; i < 3; i++) {
        /* the pockets sit at +-k0 along b: compare them in any order (equal by symmetry) */
        double dt = fabs(s[i].tau[0] - s[0].tau[0]), et = s[i].tau_err[0] + s[0].tau_err[0];
        double dr = fabs(s[i].tau_tr[0] - s[0].tau_tr[0]), er = s[i].tau_tr_err[0] + s[0].tau_tr_err[0];
        double dv = fabs(s[i].valley_time[1] - s[0].valley_time[1]);
        CHECK_OK(dt <= et && dr <= er && dv <= 0.02 * s[0].valley_time[1],
                 "%s vs b || z: tau %.6g / %.6g (diff %.2g, errors %.2g), tau_tr %.6g / %.6g (diff %.2g, errors %.2g), "
                 "population time %.6g / %.6g",
                 names[i], s[i].tau[0], s[0].tau[0], dt, et, s[i].tau_tr[0], s[0].tau_tr[0], dr, er,
                 s[i].valley_time[1], s[0].valley_time[1]);
    }
}

/* the sums do not depend on the number of threads: 1 and 2 threads give the same bits */
static void test_threads(void)
{
    printf("\n== 3e: 1 and 2 threads ==\n");
    qkt_model_t *m = weyl2_fig3();
    qkt_params_t p = at(0.1, 0.005);
    p.ncell = 24;
    qkt_scatter_t s1, s2;
    int nt = omp_get_max_threads();
    omp_set_num_threads(1);
    int ok = scatter("weyl2 xi = 5, 1 thread", m, &p, 0.3, 5, 4, &s1);
    omp_set_num_threads(2);
    ok &= scatter("weyl2 xi = 5, 2 threads", m, &p, 0.3, 5, 4, &s2);
    omp_set_num_threads(nt);
    CHECK_OK(ok && s1.npocket == 2 && s2.npocket == 2 && s1.tau[0] == s2.tau[0] && s1.tau_tr[1] == s2.tau_tr[1] &&
                 s1.tau_inter[0][1] == s2.tau_inter[0][1] && s1.valley_time[1] == s2.valley_time[1] &&
                 s1.tau_err[0] == s2.tau_err[0],
             "1 and 2 threads: identical times (tau %.17g / %.17g, tau_inter %.17g / %.17g)", s1.tau[0], s2.tau[0],
             s1.tau_inter[0][1], s2.tau_inter[0][1]);
    qkt_model_free(m);
}

static void test_gauge(void)
{
    printf("\n== 3f: gauge invariance, weyl4 b = 0, Delta = 0.05 (doubly degenerate bands) ==\n");
    qkt_model_t *m = weyl4_at((double[3]){0, 0, 0}, 0.05);
    qkt_params_t p = at(0.1, 0.005);
    p.ncell = 24;
    /* the control: the hook rotates the eigenvectors of a degenerate pair */
    qkt_bands_t *b0 = qkt_bands_alloc(m->nb), *b1 = qkt_bands_alloc(m->nb);
    double k[3] = {0.031, -0.047, 0.062}, ov = 1;
    if (b0 && b1 && !qkt_bands_compute(b0, m, k, QKT_BANDS_ENERGY)) {
        qkt_bands_test_gauge(20261207);
        int bad = qkt_bands_compute(b1, m, k, QKT_BANDS_ENERGY) != QKT_OK;
        qkt_bands_test_gauge(0);
        if (!bad) {
            double complex o = 0;
            for (int i = 0; i < m->nb; i++) o += conj(b0->U[i * m->nb + 2]) * b1->U[i * m->nb + 2];
            ov = creal(o * conj(o));
        }
    }
    CHECK_OK(b0 && b0->ngrp == 2 && ov < 0.999, "control: two degenerate pairs at k (%d), and the rotation changes the "
             "eigenvectors (|<u_2|u_2'>|^2 = %.4f < 0.999)", b0 ? b0->ngrp : -1, ov);
    qkt_bands_free(b0);
    qkt_bands_free(b1);
    for (int ix = 0; ix < 2; ix++) {
        double xi = ix ? 2 : 0;
        qkt_scatter_t s0, s1;
        int ok = scatter(WHAT("weyl4 b = 0, xi = %g", xi), m, &p, 0.3, xi, 4, &s0);
        qkt_bands_test_gauge(20261207);
        ok &= scatter(WHAT("weyl4 b = 0, xi = %g, rotated", xi), m, &p, 0.3, xi, 4, &s1);
        qkt_bands_test_gauge(0);
        if (!ok || s0.npocket != 1 || s1.npocket != 1) {
            CHECK(0, "weyl4 b = 0: one pocket expected (%d, %d)", s0.npocket, s1.npocket);
            continue;
        }
        double d = fmax(fabs(s1.dos[0] / s0.dos[0] - 1), fmax(fabs(s1.tau[0] / s0.tau[0] - 1),
                   fmax(fabs(s1.tau_tr[0] / s0.tau_tr[0] - 1), fabs(s1.tau_inter[0][0] / s0.tau_inter[0][0] - 1))));
        CHECK_ABS(d, 0, 1e-10, WHAT("xi = %g: dos, tau, tau_tr, tau_inter unchanged by the rotations (largest relative "
                  "change; tau %.9g, tau_tr %.9g)", xi, s0.tau[0], s0.tau_tr[0]));
    }
    qkt_model_free(m);
}

static void test_estimate(void)
{
    printf("\n== 4: the error estimates: refine 4 against refine 8 ==\n");
    qkt_model_t *m = weyl2_fig3();
    qkt_params_t p = at(0.1, 0.005);
    p.ncell = 24;
    qkt_scatter_t s4, s8;
    if (scatter("weyl2 xi = 5, refine 4", m, &p, 0.3, 5, 4, &s4) && scatter("weyl2 xi = 5, refine 8", m, &p, 0.3, 5, 8, &s8) &&
        s4.npocket == 2 && s8.npocket == 2) {
        for (int q = 0; q < 2; q++) {
            CHECK_OK(fabs(s4.tau[q] - s8.tau[q]) <= s4.tau_err[q] + s8.tau_err[q] &&
                         fabs(s4.tau_tr[q] - s8.tau_tr[q]) <= s4.tau_tr_err[q] + s8.tau_tr_err[q] &&
                         fabs(s4.tau_inter[q][1 - q] - s8.tau_inter[q][1 - q]) <=
                             s4.tau_inter_err[q][1 - q] + s8.tau_inter_err[q][1 - q],
                     "pocket %d: tau %.6g / %.6g (err %.2g, %.2g), tau_tr %.6g / %.6g (err %.2g, %.2g), tau_inter "
                     "%.6g / %.6g (err %.2g, %.2g): agree within their estimates",
                     q, s4.tau[q], s8.tau[q], s4.tau_err[q], s8.tau_err[q], s4.tau_tr[q], s8.tau_tr[q],
                     s4.tau_tr_err[q], s8.tau_tr_err[q], s4.tau_inter[q][1 - q], s8.tau_inter[q][1 - q],
                     s4.tau_inter_err[q][1 - q], s8.tau_inter_err[q][1 - q]);
        }
    }
    qkt_model_free(m);
}

int main(void)
{
    test_node();
    test_parabolic();
    test_weyl2();
    test_lattice();
    test_blocks();
    test_rotation();
    test_threads();
    test_gauge();
    test_estimate();
    test_engine_tau_inter();
    CHECK_DONE();
}

/* test_mod_integrate.c - module test of src/integrate: the uniform mesh and
 * the adaptive integrator on integrals known in closed form, and their
 * independence of the number of OpenMP threads.  Natural units hbar = e = 1;
 * measure d^Dk/(2 pi)^D (integrate.h).
 *
 * 1. qkt_integrate_mesh, lattice_weyl with a = 1.3 (cell volume a^3 = 2.197),
 *    order 0, T = 0.01, 6^3 mesh.  The density tally (o_dos + 1) of a
 *    periodic model integrates sum_m f0(e_m), the electrons counted from the
 *    bottom of the lowest band; |e| < 11 (|d| <= sqrt(2/a^2 + (4 m0 + 2 t)^2)):
 *      mu = +30: f0 = 1 for both bands (exactly: beyond the thermal window),
 *                tally 2 at every k: value (1/(N V)) sum_k 2 = 2/V = 0.91033;
 *      mu = -30: f0 = 0, tally 0;
 *    their difference is the number of bands per cell volume, 2/V.  The DOS
 *    tally (o_dos, sum -f0') is exactly 0 there.  Tolerance 1e-14 relative
 *    (216 additions of 1).
 *    Progress with mesh weights (an irreducible wedge's): the callback counts
 *    the points with a weight, not the planes (exact counts, 8^3 mesh).
 *    Threads: a 10^3 mesh at mu = 0.3, T = 0.05 (Fermi surface inside the
 *    zone), every tally bit for bit equal with 1 and 2 threads.
 *    The meshes N/2 of an irreducible wedge (stats.cosets): a scalar
 *    integrand invariant under the group {1, M, -1, -M} on the indices,
 *    M = [[1,-1,0],[0,-1,0],[0,0,1]] (a mirror in the reduced coordinates of
 *    a hexagonal cell: not orthogonal, and M mod 2 is not symmetric, so
 *    transposed operations would move other parities), made invariant as
 *    the group average of a periodic h with a kink, summed over one point per
 *    orbit with the orbit's size, must give in coset c exactly the plain sum
 *    over the points of parity c (times 8/(N^3 V)), and the mesh N their mean;
 *    12^3 mesh, tolerance 1e-13.  Weights that are not orbit sizes of the
 *    operations given (1 and M alone) are refused.
 * 2. qkt_integrate (adaptive, pocket map and balls), parabolic band, mass
 *    m = 1.3, mu = 0.5, T = 0.01, window 30 T (the cut of the Fermi tails,
 *    ~2 e^-26, is negligible), order 0, E along x, y, z:
 *    DOS g(E) = m sqrt(2 m E)/(2 pi^2) (3D, spinless; m k_F/(2 pi^2) at
 *    E = mu, k_F = sqrt(2 m mu)), N(E) = (2/3) E g(E), and the Sommerfeld
 *    expansion int h(E) (-f0') dE = sum_j c_2j T^2j h^(2j)(mu), c_0 = 1,
 *    c_2 = pi^2/6, c_4 = 7 pi^4/360, c_6 = 31 pi^6/15120 (2 (1 - 2^(1-2j)) zeta(2j)),
 *    with g^(2)/g = -1/(4 mu^2), g^(4)/g = -15/(16 mu^4), g^(6)/g = -945/(64 mu^6):
 *      sum_k -f0' = g(mu) [1 - pi^2 x^2/24 - 7 pi^4 x^4/384 - 31 pi^6 x^6/1024],
 *      density sum_k f0 = n0 [1 + pi^2 x^2/8 + 7 pi^4 x^4/640 + 31 pi^6 x^6/3072],
 *      x = T/mu = 0.02, n0 = k_F^3/(6 pi^2) (PHYSICS.md, parabolic band);
 *    the x^6 terms are 1.9e-9 and 6.2e-10, the next ones ~3e-11 relative.  The
 *    Drude tally sum -f0' v_a^2 = n/m exactly (by parts: -f0' v_x = -d f0/dk_x,
 *    d v_x/dk_x = 1/m) for a = x, y, z.
 *    Tolerance: the integrator's error estimates + 1e-9 relative.  The margin
 *    is needed: the estimates come from the angular cubature only, while the
 *    radial integral along each ray of a pocket ball uses fixed Gauss-Legendre
 *    panels (adaptive.c ray_integral) whose error is not estimated; for this
 *    isotropic band the estimates are ~1e-16 relative and the actual errors
 *    ~1e-10 (printed below).
 *    Threads: the same run with 1 and 2 threads gives the same values, error
 *    estimates and evaluation count, bit for bit. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "integrate/integrate.h"
#include "response/integrand.h"
#include "engine_util.h"

/* the group of 1.4 on the indices, and a scalar integrand invariant under it:
 * the group average of a periodic h with a kink (|sin|), so that the meshes
 * N/2 differ; x = reduced coordinates (lattice_weyl, a = 1.3: x = k a / 2 pi) */
#define TOY_NOP 4
static int toy_ops[TOY_NOP][3][3], toy_nop;
static void toy_group(void)
{
    /* closure of M and -1 */
    static const int gen[2][3][3] = {{{1, -1, 0}, {0, -1, 0}, {0, 0, 1}}, {{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}}};
    memset(toy_ops, 0, sizeof toy_ops);
    for (int i = 0; i < 3; i++) toy_ops[0][i][i] = 1;
    toy_nop = 1;
    for (int q = 0; q < toy_nop; q++)
        for (int s = 0; s < 2; s++) {
            int Q[3][3] = {{0}};
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    for (int l = 0; l < 3; l++) Q[i][j] += gen[s][i][l] * toy_ops[q][l][j];
            int known = 0;
            for (int r = 0; r < toy_nop && !known; r++) known = !memcmp(Q, toy_ops[r], sizeof Q);
            if (!known && toy_nop < TOY_NOP) memcpy(toy_ops[toy_nop++], Q, sizeof Q);
        }
}
static double toy_h(const double x[3])
{
    return exp(cos(2 * M_PI * x[0]) + 0.5 * sin(2 * M_PI * x[1]) + 0.3 * cos(2 * M_PI * (x[2] + x[0]))) +
           fabs(sin(M_PI * x[0]) * sin(M_PI * (x[1] - x[2])));
}
static void *toy_ws(const void *ctx)
{
    (void)ctx;
    return malloc(1);
}
static void toy_free(void *ws) { free(ws); }
static long toy_zero(const void *ws)
{
    (void)ws;
    return 0;
}
static qkt_status_t toy_eval(void *ws, const double k[3], double *out)
{
    (void)ws;
    const double a = 1.3;
    double x[3] = {k[0] * a / (2 * M_PI), k[1] * a / (2 * M_PI), k[2] * a / (2 * M_PI)};
    for (int g = 0; g < toy_nop; g++) {
        double y[3];
        for (int i = 0; i < 3; i++) y[i] = toy_ops[g][i][0] * x[0] + toy_ops[g][i][1] * x[1] + toy_ops[g][i][2] * x[2];
        out[0] += toy_h(y) / toy_nop;
    }
    return QKT_OK;
}

/* the integrators on the tree's integrand (response/integrand.h) */
static qkt_status_t mesh_sum(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp, const int N[3],
                             double *val, qkt_intstats_t *st)
{
    qkt_tree_integrand_t ti;
    qkt_status_t r = qkt_tree_integrand_init(&ti, m, L, tp, NULL);
    if (!r) r = qkt_integrate_mesh(m, &ti.f, N, 0, NULL, NULL, val, st);
    qkt_tree_integrand_free(&ti);
    return r;
}

static qkt_status_t adaptive(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                             const qkt_pockets_t *pk, qkt_intopts_t io, double *val, double *err, qkt_intstats_t *st)
{
    qkt_tree_integrand_t ti;
    qkt_status_t r = qkt_tree_integrand_init(&ti, m, L, tp, pk);
    qkt_tree_integrand_shell(tp, &io);
    if (!r) r = qkt_integrate(m, &ti.f, pk, &io, val, err, st);
    qkt_tree_integrand_free(&ti);
    return r;
}

static qkt_tree_par_t tpar(const qkt_model_t *m, double mu, double T, double window)
{
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = mu;
    tp.T = T;
    tp.h = 1e-4 * m->kcut;
    tp.window = window;
    return tp;
}

/* progress reports of a mesh sum: (done, total) as passed to the callback */
typedef struct {
    long n, last_done, last_total, bad;
} prog_t;

static void prog_cb(void *user, long done, long total)
{
    prog_t *p = user;
    if (p->n > 0 && (done < p->last_done || total != p->last_total)) p->bad++;
    p->n++;
    p->last_done = done;
    p->last_total = total;
}

static void mesh_part(void)
{
    const double a = 1.3, V = a * a * a;
    qkt_model_t *m = model("lattice_weyl");
    set1(m, "a", a);
    setup(m);
    CHECK_REL(m->cell_volume, V, 1e-15, "lattice_weyl cell volume a^3");
    int nu3[3] = {0, 1, 2};
    qkt_layout_t L;
    qkt_layout_init(&L, 0, 3, 0, 0, nu3, 3, NULL, 0);
    double *val = calloc(L.fdim, sizeof(double));
    const int N6[3] = {6, 6, 6};
    double dens[2];
    for (int s = 0; s < 2; s++) {
        double mu = s ? -30 : 30;
        qkt_tree_par_t tp = tpar(m, mu, 0.01, 12);
        qkt_intstats_t st;
        memset(&st, 0, sizeof st);
        qkt_status_t r = mesh_sum(m, &L, &tp, N6, val, &st);
        CHECK(r == QKT_OK, "mesh sum failed: %s", qkt_strerror());
        dens[s] = val[L.o_dos + 1];
        CHECK_ABS(val[L.o_dos + 1], s ? 0 : 2 / V, 1e-14 * 2 / V,
                  WHAT("mesh 6^3, mu = %+g: density tally sum_m f0 = %s/V_cell (from the band bottom)", mu,
                       s ? "0" : "2"));
        CHECK_OK(val[L.o_dos] == 0 && st.neval == 216,
                 "mesh 6^3, mu = %+g: DOS tally sum -f0' = %g (want 0: every band outside the window), %zu points (216)",
                 mu, val[L.o_dos], st.neval);
    }
    CHECK_REL(dens[0] - dens[1], 2 / V, 1e-14, "mesh: density(mu above all bands) - density(below) = nb/V_cell = 2/a^3");

    /* progress with mesh weights: 1.3 */
    {
        const int N8[3] = {8, 8, 8};
        int *wt = calloc(512, sizeof(int));
        long npts = 0;
        /* every point of the planes j_1 = 0, 1, one point of the others:
         * 128 + 6 = 134 points, 96 % of them in 2 of 8 planes */
        for (int i = 0; i < 512; i++) {
            int j1 = i / 64;
            wt[i] = j1 < 2 || i % 64 == 5 ? 1 + i % 3 : 0;
            npts += wt[i] != 0;
        }
        qkt_tree_integrand_t ti;
        qkt_tree_par_t tp = tpar(m, 0.3, 0.05, 12);
        prog_t pg;
        memset(&pg, 0, sizeof pg);
        qkt_intopts_t io;
        memset(&io, 0, sizeof io);
        io.weight = wt;
        io.progress = prog_cb;
        io.progress_user = &pg;
        qkt_intstats_t st;
        memset(&st, 0, sizeof st);
        qkt_status_t r = qkt_tree_integrand_init(&ti, m, &L, &tp, NULL);
        if (!r) r = qkt_integrate_mesh(m, &ti.f, N8, 0, NULL, &io, val, &st);
        qkt_tree_integrand_free(&ti);
        CHECK(r == QKT_OK, "weighted mesh sum failed: %s", qkt_strerror());
        /* the progress counts evaluated points, so that the time left is
         * judged from them: the total is the number of points with a weight
         * (134), reached at the end, and never decreasing; counting planes
         * (total 8) put 2 of 8 = 25 % where 96 % of the work was done */
        CHECK_OK(pg.n == 8 && pg.bad == 0 && pg.last_total == npts && pg.last_done == npts && (long)st.neval == npts,
                 "mesh 8^3 with weights on %ld points (128 of them in 2 planes): %ld progress calls (8), final "
                 "done/total %ld/%ld (want %ld/%ld, monotonic: %ld violations), %zu evaluations",
                 npts, pg.n, pg.last_done, pg.last_total, npts, npts, pg.bad, st.neval);
        free(wt);
    }

    /* the meshes N/2 of a wedge: 1.4 */
    {
        const int n1 = 12, n = n1 * n1 * n1, N12[3] = {12, 12, 12};
        toy_group();
        int *wt = calloc(n, sizeof(int));
        unsigned char *seen = calloc(n, 1);
        for (int idx = 0; idx < n; idx++) {
            if (seen[idx]) continue;
            int j[3] = {idx / (n1 * n1), idx / n1 % n1, idx % n1}, orb[TOY_NOP], norb = 0;
            for (int g = 0; g < toy_nop; g++) {
                int jp[3];
                for (int i = 0; i < 3; i++)
                    jp[i] = (((toy_ops[g][i][0] * j[0] + toy_ops[g][i][1] * j[1] + toy_ops[g][i][2] * j[2]) % n1) + n1) %
                            n1;
                int id2 = (jp[0] * n1 + jp[1]) * n1 + jp[2], dup = 0;
                for (int q = 0; q < norb; q++) dup |= orb[q] == id2;
                if (!dup) orb[norb++] = id2, seen[id2] = 1;
            }
            wt[idx] = norb;
        }
        /* the plain sums by parity */
        double brute[8] = {0}, all = 0;
        for (int idx = 0; idx < n; idx++) {
            int j[3] = {idx / (n1 * n1), idx / n1 % n1, idx % n1};
            double k[3], f = 0;
            for (int i = 0; i < 3; i++) k[i] = 2 * M_PI / a * j[i] / n1;
            toy_eval(NULL, k, &f);
            brute[(j[0] & 1) | (j[1] & 1) << 1 | (j[2] & 1) << 2] += 8 * f / (n * V);
            all += f / (n * V);
        }
        int grp = 0;
        unsigned char fam = 0, loose = 0, drive = 1;
        qkt_integrand_t tf = {1, 1, &grp, &fam, &loose, &drive, toy_ws, toy_free, toy_eval, NULL, toy_zero, NULL,
                              NULL, NULL};
        qkt_intopts_t io;
        memset(&io, 0, sizeof io);
        io.weight = wt;
        io.half = 1;
        io.ops = (const int (*)[3][3])toy_ops;
        io.nops = toy_nop;
        CHECK(toy_nop == 4, "the group of M and -1 has 4 operations (%d)", toy_nop);
        double cos8[8], v = 0;
        qkt_intstats_t st;
        memset(&st, 0, sizeof st);
        st.cosets = cos8;
        qkt_status_t r = qkt_integrate_mesh(m, &tf, N12, 0, NULL, &io, &v, &st);
        CHECK(r == QKT_OK, "wedge mesh sum with its meshes N/2 failed: %s", qkt_strerror());
        double dev = 0, mean = 0, spread = 0;
        for (int c = 0; c < 8; c++) {
            dev = fmax(dev, fabs(cos8[c] - brute[c]));
            mean += cos8[c] / 8;
            spread = fmax(spread, fabs(brute[c] - all));
        }
        long nw = 0;
        for (int idx = 0; idx < n; idx++) nw += wt[idx] != 0;
        CHECK_OK(dev <= 1e-13 * all && fabs(v - all) <= 1e-13 * all && fabs(mean - all) <= 1e-13 * all &&
                     spread > 1e-3 * all && (long)st.neval == nw,
                 "wedge of 12^3 under a non-orthogonal group of 4 (%ld points): the 8 meshes N/2 equal the plain sums "
                 "over each parity (worst %.2g of %.6g; they spread by %.3g), the mesh N %.15g = plain %.15g = their "
                 "mean %.15g",
                 nw, dev, all, spread, v, all, mean);
        /* these weights with only the first 2 operations (1 and M): refused */
        io.nops = 2;
        r = qkt_integrate_mesh(m, &tf, N12, 0, NULL, &io, &v, &st);
        CHECK(r == QKT_EINVAL && strstr(qkt_strerror(), "not the size of its orbit"),
              "weights and operations of different groups refused (%s)", qkt_strerror());
        /* without the operations a wedge's meshes N/2 are refused */
        io.ops = NULL;
        io.nops = toy_nop;
        r = qkt_integrate_mesh(m, &tf, N12, 0, NULL, &io, &v, &st);
        CHECK(r == QKT_EINVAL, "meshes N/2 of a wedge without its operations refused (%s)", qkt_strerror());
        free(wt);
        free(seen);
    }

    /* threads */
    const int N10[3] = {10, 10, 10};
    qkt_tree_par_t tp = tpar(m, 0.3, 0.05, 12);
    double *v2[2];
    for (int t = 0; t < 2; t++) {
        v2[t] = calloc(L.fdim, sizeof(double));
        omp_set_num_threads(t + 1);
        qkt_status_t r = mesh_sum(m, &L, &tp, N10, v2[t], NULL);
        CHECK(r == QKT_OK, "mesh sum failed: %s", qkt_strerror());
    }
    omp_set_num_threads(2);
    int same = 1;
    for (int i = 0; i < L.fdim; i++) same &= v2[0][i] == v2[1][i];
    CHECK_OK(same && v2[0][L.o_dos] > 0 && v2[0][L_s0(&L, T0_NE, 0, 0)] > 0,
             "mesh 10^3, mu = 0.3, T = 0.05: all %d tallies bit for bit equal with 1 and 2 threads (DOS %.10g, Drude "
             "xx %.10g, intrinsic xy %.10g)",
             L.fdim, v2[0][L.o_dos], v2[0][L_s0(&L, T0_NE, 0, 0)], v2[0][L_s0(&L, T0_SE, 1, 0)]);
    free(v2[0]);
    free(v2[1]);
    free(val);
    qkt_model_free(m);
}

static void adaptive_part(void)
{
    const double ms = 1.3, mu = 0.5, T = 0.01, W = 30;
    qkt_model_t *m = model("parabolic");
    set1(m, "mass", ms);
    setup(m);
    qkt_mapopts_t mo;
    memset(&mo, 0, sizeof mo);
    mo.ncell = 48;
    mo.window = W;
    qkt_pockets_t *pk = NULL;
    if (qkt_pockets_build(m, mu, T, &mo, &pk)) {
        printf("FAIL pocket map: %s\n", qkt_strerror());
        exit(1);
    }
    int nu3[3] = {0, 1, 2};
    qkt_layout_t L;
    qkt_layout_init(&L, 0, 3, pk->n, 0, nu3, 3, NULL, 0);
    qkt_tree_par_t tp = tpar(m, mu, T, W);
    qkt_intopts_t io;
    memset(&io, 0, sizeof io);
    io.reltol = 1e-7;
    io.maxeval = 400000;
    io.pilot = 20000;
    double *val[2], *err[2];
    qkt_intstats_t st[2];
    for (int t = 0; t < 2; t++) {
        val[t] = calloc(L.fdim, sizeof(double));
        err[t] = calloc(L.fdim, sizeof(double));
        memset(&st[t], 0, sizeof st[t]);
        omp_set_num_threads(t + 1);
        double t0 = wall();
        qkt_status_t r = adaptive(m, &L, &tp, pk, io, val[t], err[t], &st[t]);
        CHECK(r == QKT_OK, "adaptive integration failed: %s", qkt_strerror());
        printf("  adaptive, %d thread(s): %zu evaluations, %d balls, %d parts, converged %d, %.2f s\n", t + 1,
               st[t].neval, st[t].nballs, st[t].nparts, st[t].converged, wall() - t0);
    }
    omp_set_num_threads(2);
    CHECK_OK(pk->n == 1 && st[0].converged, "one pocket (%d), converged to reltol %g (%d)", pk->n, io.reltol,
             st[0].converged);
    const double *v = val[1], *e = err[1];
    double kF = sqrt(2 * ms * mu), g = ms * kF / (2 * PI * PI), x = T / mu;
    double dos = g * (1 - PI * PI * x * x / 24 - 7 * pow(PI * x, 4) / 384 - 31 * pow(PI * x, 6) / 1024);
    double n0 = kF * kF * kF / (6 * PI * PI);
    double dens = n0 * (1 + PI * PI * x * x / 8 + 7 * pow(PI * x, 4) / 640 + 31 * pow(PI * x, 6) / 3072);
    printf("  T = 0 closed forms: g(mu) = m k_F/(2 pi^2) = %.12g, n0 = k_F^3/(6 pi^2) = %.12g\n", g, n0);
    CHECK_ABS(v[L.o_dos], dos, e[L.o_dos] + 1e-9 * dos,
              "parabolic DOS sum -f0' = m k_F/(2 pi^2) (1 - pi^2 x^2/24 - ...), tol = error estimate + 1e-9 rel");
    CHECK_ABS(v[L.o_dos + 1], dens, e[L.o_dos + 1] + 1e-9 * dens,
              "parabolic density sum f0 = k_F^3/(6 pi^2) (1 + pi^2 x^2/8 + ...), tol = error estimate + 1e-9 rel");
    CHECK_OK(e[L.o_dos] < 1e-5 * dos && e[L.o_dos + 1] < 1e-5 * dens,
             "the error estimates are not vacuous: DOS %.3g, density %.3g relative (< 1e-5)", e[L.o_dos] / dos,
             e[L.o_dos + 1] / dens);
    for (int a = 0; a < 3; a++) {
        int i = L_s0(&L, T0_NE, a, a);
        CHECK_ABS(v[i], v[L.o_dos + 1] / ms, e[i] + e[L.o_dos + 1] / ms + 1e-9 * v[i],
                  WHAT("parabolic Drude sum -f0' v_%c^2 = n/m (by parts), tol = both error estimates + 1e-9 rel",
                       "xyz"[a]));
    }
    int same = st[0].neval == st[1].neval;
    for (int i = 0; i < L.fdim; i++) same &= val[0][i] == val[1][i] && err[0][i] == err[1][i];
    CHECK_OK(same, "adaptive: all %d values and error estimates bit for bit equal with 1 and 2 threads (%zu evaluations)",
             L.fdim, st[0].neval);
    for (int t = 0; t < 2; t++) {
        free(val[t]);
        free(err[t]);
    }
    qkt_pockets_free(pk);
    qkt_model_free(m);
}

int main(void)
{
    printf("== uniform mesh: lattice_weyl, a = 1.3 ==\n");
    mesh_part();
    printf("== adaptive: parabolic band, m = 1.3, mu = 0.5, T = 0.01 ==\n");
    adaptive_part();
    CHECK_DONE();
}

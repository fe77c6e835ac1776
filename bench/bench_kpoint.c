/* bench_kpoint.c - cost of one k-point of the response tree (src/engine/tree.c)
 * at orders B^0, B^1 and B^2, with the k-derivatives of the order-0 nodes
 * analytic (numerics.derivatives = analytic, the default) and by finite
 * differences (fd), side by side in one run, for 4 (weyl4), 18 (bcc Fe with
 * its position matrix, ../shared/data/fe) and 100 bands (a synthetic
 * Wannier90 file written to /tmp), next to one bare LAPACKE_zheevd of the
 * same size.  E along x, y, z; B along z (the sigma^(1) and sigma^(2) tensors
 * of a field along z); T = 300 K (Wannier models) at random points of the zone.
 *
 * Output: a readable table, then RESULT lines for bench/run.sh.  Speed is
 * measured here, never asserted.  Usage: bench_kpoint [seconds per measurement]. */
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine/tree.h"
#include "bench_util.h"

#define NK 8 /* distinct k-points per case, cycled */
#define NLINE 4 /* mesh lines (periodic models), cycled: */
#define LINE_PTS 30 /* points on each, k = x_1 b_1 + x_2 b_2 + (j + 1/2)/30 b_3 as on a 30^3 mesh */

typedef struct {
    const char *name;
    qkt_model_t *m;
    double mu, T, h;
    int max_order_fd; /* the finite differences at orders above this take too long to time here */
} kcase_t;

/* seconds per k-point of qkt_tree_eval (best of 3 runs of >= tmin) */
static double time_tree(const kcase_t *c, int order, int analytic, const double (*k)[3], int nk, int lines,
                        double tmin, int *fail)
{
    int nu3[3] = {0, 1, 2}, alz[1] = {2};
    qkt_layout_t L;
    qkt_layout_init(&L, order, 3, 0, 0, nu3, 3, alz, 1);
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = c->mu;
    tp.T = c->T;
    tp.window = 13;
    tp.h = c->h;
    tp.analytic = analytic;
    qkt_tree_ws_t *w = qkt_tree_ws_alloc(c->m, &L, &tp, NULL);
    double *out = calloc(L.fdim, sizeof(double));
    double best = INFINITY;
    qkt_tree_ws_lines(w, lines ? LINE_PTS : 0); /* as the uniform-mesh sum does */
    if (!w || !out) {
        *fail = 1;
        return NAN;
    }
    for (int rep = 0; rep < 3; rep++) {
        long n = 0;
        double t0 = now(), t;
        do {
            for (int ik = 0; ik < nk; ik++) *fail |= qkt_tree_eval(w, k[ik], out) != QKT_OK;
            n += nk;
            t = now() - t0;
        } while (t < tmin);
        if (t / n < best) best = t / n;
    }
    qkt_tree_ws_free(w);
    free(out);
    return best;
}

/* seconds of one bare LAPACKE_zheevd on the model's H(k) at the points k */
static double zheevd_at(const qkt_model_t *m, const double (*k)[3], double tmin, int *fail)
{
    size_t n2 = (size_t)m->nb * m->nb;
    double complex *buf = malloc(sizeof(double complex) * n2), *Hs = malloc(sizeof(double complex) * NK * n2);
    for (int ik = 0; ik < NK; ik++) {
        *fail |= qkt_model_hk(m, k[ik], 0, buf) != QKT_OK;
        memcpy(Hs + ik * n2, buf, sizeof(double complex) * n2);
    }
    double t = time_zheevd(m->nb, NK, Hs, tmin, fail);
    free(buf);
    free(Hs);
    return t;
}

int main(int argc, char **argv)
{
    double tmin = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(tmin > 0)) tmin = 0.3;
    const qkt_units_t *u = qkt_units();
    const char *shared = getenv("QKT_SHARED") ? getenv("QKT_SHARED") : "../shared";
    char fe[1024], synth[256];
    snprintf(fe, sizeof fe, "%s/data/fe/Fe_tb.dat.gz", shared);
    snprintf(synth, sizeof synth, "/tmp/qkt_bench_kpoint_synth100_%ld_hr.dat", (long)getpid());
    double T300 = 300 * u->kB_eV;
    kcase_t cs[3];
    int nc = 0, status = 0;

    qkt_model_t *w4 = qkt_model_alloc("weyl4");
    if (!w4 || qkt_model_setup(w4)) {
        fprintf(stderr, "bench_kpoint: weyl4: %s\n", qkt_strerror());
        return 1;
    }
    cs[nc++] = (kcase_t){"weyl4", w4, 0.05, 0.0025, 0.05 * 0.0025, 2};
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = fe;
    qkt_model_t *m = NULL;
    if (qkt_wannier_load(&o, &m) == QKT_OK) cs[nc++] = (kcase_t){"Fe_tb", m, 13.5463, T300, 0.05 * T300 / 3, 2};
    else {
        fprintf(stderr, "bench_kpoint: skipping Fe: %s\n", qkt_strerror());
        status = 1;
    }
    if (write_synthetic(synth, 100) == 0) {
        qkt_wannier_opts_default(&o);
        o.path = synth;
        o.have_avec = 1;
        for (int a = 0; a < 3; a++) o.avec[a][a] = 3.0;
        m = NULL;
        if (qkt_wannier_load(&o, &m) == QKT_OK) cs[nc++] = (kcase_t){"synthetic100", m, 0, T300, 0.05 * T300 / 1, 1};
        else {
            fprintf(stderr, "bench_kpoint: synthetic model: %s\n", qkt_strerror());
            status = 1;
        }
        remove(synth);
    }

    printf("bench_kpoint: one thread, %d k-points per case, best of 3 runs of >= %.2f s; E along x, y, z, B along z\n\n",
           NK, tmin);
    printf("%-14s %5s %10s | %12s %8s | %12s %8s | %8s | %12s %8s\n", "model", "order", "zheevd us", "analytic us",
           "/zheevd", "fd us", "/zheevd", "fd/an", "mesh line us", "/zheevd");
    for (int i = 0; i < nc; i++) {
        const kcase_t *c = &cs[i];
        double (*k)[3] = malloc(sizeof(double[3]) * NK);
        for (int ik = 0; ik < NK; ik++) {
            double f[3] = {urand() - 0.5, urand() - 0.5, urand() - 0.5};
            for (int a = 0; a < 3; a++)
                k[ik][a] = c->m->periodic ? f[0] * c->m->bvec[0][a] + f[1] * c->m->bvec[1][a] + f[2] * c->m->bvec[2][a]
                                          : 0.2 * f[a];
        }
        /* the points of a mesh sum: lines along b_3 (the Fourier sums of a
         * Wannier model reuse a line's partial sums, src/wannier/fourier.c) */
        double (*kl)[3] = c->m->periodic ? malloc(sizeof(double[3]) * NLINE * LINE_PTS) : NULL;
        for (int il = 0; kl && il < NLINE; il++) {
            double x1 = urand(), x2 = urand();
            for (int j = 0; j < LINE_PTS; j++)
                for (int a = 0; a < 3; a++)
                    kl[il * LINE_PTS + j][a] = x1 * c->m->bvec[0][a] + x2 * c->m->bvec[1][a] +
                                               (j + 0.5) / LINE_PTS * c->m->bvec[2][a];
        }
        int zfail = 0;
        double tz = zheevd_at(c->m, (const double(*)[3])k, tmin, &zfail);
        if (zfail) {
            fprintf(stderr, "bench_kpoint: %s: zheevd: %s\n", c->name, qkt_strerror());
            status = 1;
        }
        result(c->name, "zheevd_us", tz * 1e6, "us");
        for (int order = 0; order <= 2; order++) {
            int fail = 0;
            double ta = time_tree(c, order, 1, (const double(*)[3])k, NK, 0, tmin, &fail);
            double tf = order <= c->max_order_fd ? time_tree(c, order, 0, (const double(*)[3])k, NK, 0, tmin, &fail) : NAN;
            double tl = kl ? time_tree(c, order, 1, (const double(*)[3])kl, NLINE * LINE_PTS, 1, tmin, &fail) : NAN;
            if (fail) {
                fprintf(stderr, "bench_kpoint: %s order %d: %s\n", c->name, order, qkt_strerror());
                status = 1;
            }
            char lab[64];
            snprintf(lab, sizeof lab, "%s_order%d", c->name, order);
            char fds[64] = "not timed", fdr[32] = "", rat[32] = "";
            if (tf == tf) {
                snprintf(fds, sizeof fds, "%12.1f", tf * 1e6);
                snprintf(fdr, sizeof fdr, "%8.1f", tf / tz);
                snprintf(rat, sizeof rat, "%8.2f", tf / ta);
            }
            char lns[32] = "", lnr[32] = "";
            if (tl == tl) {
                snprintf(lns, sizeof lns, "%12.1f", tl * 1e6);
                snprintf(lnr, sizeof lnr, "%8.1f", tl / tz);
            }
            printf("%-14s %5d %10.2f | %12.1f %8.1f | %12s %8s | %8s | %12s %8s\n", c->name, order, tz * 1e6, ta * 1e6,
                   ta / tz, fds, fdr, rat, lns, lnr);
            result(lab, "analytic_us", ta * 1e6, "us");
            result(lab, "analytic_over_zheevd", ta / tz, "x");
            if (tl == tl) {
                result(lab, "mesh_line_us", tl * 1e6, "us");
                result(lab, "mesh_line_over_zheevd", tl / tz, "x");
            }
            if (tf == tf) {
                result(lab, "fd_us", tf * 1e6, "us");
                result(lab, "fd_over_zheevd", tf / tz, "x");
                result(lab, "fd_over_analytic", tf / ta, "x");
            }
        }
        free(k);
        free(kl);
    }
    printf("\n/zheevd: per k-point time over one bare LAPACKE_zheevd of the same size (H(k) not included);\n"
           "analytic and fd at random points; mesh line: analytic, at the points of %d lines of a 30^3 mesh\n"
           "(what a uniform-mesh sum evaluates; at orders 0 and 1 Wannier models reuse the Fourier sums\n"
           "along a line, order 2 sums every point directly);\n"
           "order 0 reads no derivative (both columns time the same code); the finite differences of the\n"
           "100-band model at order 2 are not timed (seconds per point).\n", NLINE);
    for (int i = 0; i < nc; i++) qkt_model_free(cs[i].m);
    return status;
}

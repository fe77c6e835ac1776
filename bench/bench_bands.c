/* bench_bands.c - band-geometry throughput: k-points per second of
 * qkt_bands_compute(QKT_BANDS_GEOMETRY) for models with 2 (weyl2), 4 (weyl4),
 * 18 (Fe_tb.dat.gz, Wannier90) and 100 bands (a synthetic Wannier90 file
 * written to /tmp), next to the bare LAPACKE_zheevd call on the same H(k)
 * matrices and, for Wannier models, the H(k) Fourier sum alone.
 *
 * Output: a readable table, then one line per number
 *   RESULT <case> <metric> <value> <unit>
 * which bench/run.sh collects into bench/RESULTS.md.  Speed is measured
 * here, never asserted.  Usage: bench_bands [seconds per measurement]. */
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "qkt.h"
#include "bench_util.h"

#define NK 64 /* distinct k-points per case, cycled */

typedef struct {
    const char *name;
    qkt_model_t *m;
    int wannier;
} bcase_t;

/* Seconds per call of fn over the k list, best of 3 runs of >= tmin seconds. */
#define TIME_LOOP(tmin, best, BODY)                                                            \
    do {                                                                                       \
        best = INFINITY;                                                                       \
        for (int rep_ = 0; rep_ < 3; rep_++) {                                                 \
            long n_ = 0;                                                                       \
            double t0_ = now(), t_;                                                            \
            do {                                                                               \
                for (int ik = 0; ik < NK; ik++) { BODY; }                                      \
                n_ += NK;                                                                      \
                t_ = now() - t0_;                                                              \
            } while (t_ < (tmin));                                                             \
            if (t_ / n_ < best) best = t_ / n_;                                                \
        }                                                                                      \
    } while (0)

static int run_case(const bcase_t *c, double tmin, char lines[][256], int *nlines)
{
    const qkt_model_t *m = c->m;
    int nb = m->nb;
    size_t n2 = (size_t)nb * nb;
    double (*k)[3] = malloc(sizeof(double[3]) * NK);
    double complex *Hs = malloc(sizeof(double complex) * n2 * NK);
    double complex *buf = malloc(sizeof(double complex) * 10 * n2);
    qkt_bands_t *b = qkt_bands_alloc(nb);
    if (!k || !Hs || !buf || !b) {
        fprintf(stderr, "bench_bands: out of memory (%s)\n", c->name);
        return 1;
    }
    for (int i = 0; i < NK; i++) {
        double u[3] = {urand() - 0.5, urand() - 0.5, urand() - 0.5};
        for (int a = 0; a < 3; a++) {
            if (m->periodic)
                k[i][a] = u[0] * m->bvec[0][a] + u[1] * m->bvec[1][a] + u[2] * m->bvec[2][a];
            else
                k[i][a] = 2 * u[a] * 0.5 * m->kcut;
        }
        if (qkt_model_hk(m, k[i], 0, buf)) {
            fprintf(stderr, "bench_bands: %s: %s\n", c->name, qkt_strerror());
            return 1;
        }
        memcpy(Hs + i * n2, buf, sizeof(double complex) * n2);
    }
    double t_bands, t_eig, t_hk = 0, t_hk0 = 0;
    int fail = 0;
    TIME_LOOP(tmin, t_bands, fail |= qkt_bands_compute(b, m, k[ik], QKT_BANDS_GEOMETRY));
    t_eig = time_zheevd(nb, NK, Hs, tmin, &fail);
    TIME_LOOP(tmin, t_hk, fail |= m->hk(m, k[ik], 1, buf));
    if (c->wannier) TIME_LOOP(tmin, t_hk0, fail |= m->hk(m, k[ik], 0, buf));
    if (fail) fprintf(stderr, "bench_bands: %s: a call failed: %s\n", c->name, qkt_strerror());
    char hk0[32];
    if (c->wannier)
        snprintf(hk0, sizeof hk0, "%10.2f", t_hk0 * 1e6);
    else
        snprintf(hk0, sizeof hk0, "%10s", "analytic");
    snprintf(lines[*nlines], 256, "%-14s %5d %12.0f %12.2f %12.2f %8.2f %12.2f %s", c->name, nb, 1 / t_bands,
             t_bands * 1e6, t_eig * 1e6, t_bands / t_eig, t_hk * 1e6, hk0);
    (*nlines)++;
    result(c->name, "bands_geometry_kps", 1 / t_bands, "k/s");
    result(c->name, "bands_geometry_us", t_bands * 1e6, "us");
    result(c->name, "zheevd_us", t_eig * 1e6, "us");
    result(c->name, "overhead_ratio", t_bands / t_eig, "x");
    result(c->name, "hk_order1_us", t_hk * 1e6, "us");
    if (c->wannier) result(c->name, "hk_order0_us", t_hk0 * 1e6, "us");
    free(k);
    free(Hs);
    free(buf);
    qkt_bands_free(b);
    return fail;
}

int main(int argc, char **argv)
{
    double tmin = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(tmin > 0)) tmin = 0.3;
    const char *shared = getenv("QKT_SHARED") ? getenv("QKT_SHARED") : "../shared";
    char fe[1024], synth[256];
    snprintf(fe, sizeof fe, "%s/data/fe/Fe_tb.dat.gz", shared);
    snprintf(synth, sizeof synth, "/tmp/qkt_bench_synth100_%ld_hr.dat", (long)getpid());

    bcase_t cases[4];
    int nc = 0, status = 0;
    const char *cont[2] = {"weyl2", "weyl4"};
    for (int i = 0; i < 2; i++) {
        qkt_model_t *m = qkt_model_alloc(cont[i]);
        if (!m || qkt_model_setup(m)) {
            fprintf(stderr, "bench_bands: %s: %s\n", cont[i], qkt_strerror());
            return 1;
        }
        cases[nc++] = (bcase_t){cont[i], m, 0};
    }
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = fe;
    qkt_model_t *m = NULL;
    double t0 = now();
    if (qkt_wannier_load(&o, &m) == QKT_OK) {
        double tl = now() - t0;
        printf("loaded %s in %.3f s (nrpts %d)\n", fe, tl, qkt_wannier_nrpts(m));
        result("Fe_tb", "load_s", tl, "s");
        cases[nc++] = (bcase_t){"Fe_tb", m, 1};
    } else {
        fprintf(stderr, "bench_bands: skipping Fe: %s\n", qkt_strerror());
        status = 1;
    }
    if (write_synthetic(synth, 100) == 0) {
        qkt_wannier_opts_default(&o);
        o.path = synth;
        o.have_avec = 1;
        for (int a = 0; a < 3; a++) o.avec[a][a] = 3.0;
        m = NULL;
        if (qkt_wannier_load(&o, &m) == QKT_OK)
            cases[nc++] = (bcase_t){"synthetic100", m, 1};
        else {
            fprintf(stderr, "bench_bands: synthetic model: %s\n", qkt_strerror());
            status = 1;
        }
        remove(synth);
    } else {
        fprintf(stderr, "bench_bands: cannot write %s\n", synth);
        status = 1;
    }

    const char *omp = getenv("OMP_NUM_THREADS"), *obl = getenv("OPENBLAS_NUM_THREADS");
    printf("bench_bands: one thread per call (OMP_NUM_THREADS=%s, OPENBLAS_NUM_THREADS=%s), %d k-points per "
           "case, best of 3 runs of >= %.2f s\n",
           omp ? omp : "unset", obl ? obl : "unset", NK, tmin);
    char lines[8][256];
    int nl = 0;
    for (int i = 0; i < nc; i++) status |= run_case(&cases[i], tmin, lines, &nl);
    printf("\n%-14s %5s %12s %12s %12s %8s %12s %10s\n", "model", "bands", "k/s", "bands us", "zheevd us",
           "ratio", "H(k)+dH us", "H(k) us");
    for (int i = 0; i < nl; i++) printf("%s\n", lines[i]);
    printf("\nratio = qkt_bands_compute(GEOMETRY) time / bare LAPACKE_zheevd time on the same H(k);\n"
           "H(k)+dH = the model's H(k) and dH/dk (order 1, what GEOMETRY uses); H(k) = the Fourier sum\n"
           "of order 0 alone (Wannier models).\n"
           "For 2 bands the library uses a closed form instead of zheevd.\n");
    for (int i = 0; i < nc; i++) qkt_model_free(cases[i].m);
    return status;
}

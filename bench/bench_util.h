/* bench_util.h - helpers shared by the bench programs: wall time, a fixed
 * pseudo-random sequence, the RESULT lines of bench/run.sh, and a synthetic
 * Wannier90 model of any size (header-only; include once per program). */
#ifndef QKT_BENCH_UTIL_H
#define QKT_BENCH_UTIL_H
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "qkt.h"

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static unsigned long long rng = 0x853C49E6748FEA9Bull;
static inline double urand(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* A Wannier90 _hr.dat with nw orbitals on a cubic lattice: R in {-1,0,1}^3
 * (27 vectors, ndegen 1), random on-site levels in [-2, 2] eV and random
 * complex hoppings of size ~0.1 eV with H(-R) = H(R)^dagger. */
static inline int write_synthetic(const char *path, int nw)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    int nR = 27;
    double complex *H = calloc((size_t)nR * nw * nw, sizeof(double complex));
    if (!H) {
        fclose(f);
        return -1;
    }
    for (int r = 0; r < nR; r++) {
        int R[3] = {r / 9 - 1, r / 3 % 3 - 1, r % 3 - 1};
        int mr = (2 - (R[0] + 1)) * 9 + (2 - (R[1] + 1)) * 3 + (2 - (R[2] + 1)); /* index of -R */
        if (mr < r) continue; /* filled with its partner */
        for (int m = 0; m < nw; m++)
            for (int n = 0; n < nw; n++) {
                double complex v;
                if (r == mr) { /* R = 0: Hermitian */
                    if (n < m) continue;
                    v = m == n ? 4 * urand() - 2 : 0.1 * ((urand() - 0.5) + I * (urand() - 0.5));
                    H[(size_t)r * nw * nw + m * nw + n] = v;
                    H[(size_t)r * nw * nw + n * nw + m] = conj(v);
                } else {
                    v = 0.1 * ((urand() - 0.5) + I * (urand() - 0.5));
                    H[(size_t)r * nw * nw + m * nw + n] = v;
                    H[(size_t)mr * nw * nw + n * nw + m] = conj(v);
                }
            }
    }
    fprintf(f, " synthetic %d-orbital cubic tight-binding model (bench/bench_util.h)\n%12d\n%12d\n", nw, nw, nR);
    for (int r = 0; r < nR; r++) fprintf(f, "%5d%s", 1, (r % 15 == 14 || r == nR - 1) ? "\n" : "");
    for (int r = 0; r < nR; r++) {
        int R[3] = {r / 9 - 1, r / 3 % 3 - 1, r % 3 - 1};
        for (int n = 0; n < nw; n++)
            for (int m = 0; m < nw; m++) {
                double complex v = H[(size_t)r * nw * nw + m * nw + n];
                fprintf(f, "%5d%5d%5d%5d%5d %18.12f %18.12f\n", R[0], R[1], R[2], m + 1, n + 1, creal(v), cimag(v));
            }
    }
    free(H);
    return fclose(f);
}

/* Seconds of one bare LAPACKE_zheevd (eigenvalues and vectors) on the nk
 * nb x nb matrices Hs, cycled, best of 3 runs of >= tmin seconds; *fail set
 * on a LAPACK error.  The reference of every per-k cost ratio. */
static inline double time_zheevd(int nb, int nk, const double complex *Hs, double tmin, int *fail)
{
    size_t n2 = (size_t)nb * nb;
    lapack_int lwork = 2 * nb + nb * nb, lrwork = 1 + 5 * nb + 2 * nb * nb, liwork = 3 + 5 * nb;
    double complex *A = malloc(sizeof(double complex) * n2), *work = malloc(sizeof(double complex) * lwork);
    double *w = malloc(sizeof(double) * nb), *rwork = malloc(sizeof(double) * lrwork);
    lapack_int *iwork = malloc(sizeof(lapack_int) * liwork);
    double best = INFINITY;
    if (!A || !work || !w || !rwork || !iwork) *fail = 1;
    for (int rep = 0; rep < 3 && !*fail; rep++) {
        long n = 0;
        double t0 = now(), t;
        do {
            for (int ik = 0; ik < nk; ik++) {
                memcpy(A, Hs + ik * n2, sizeof(double complex) * n2);
                *fail |= LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'V', 'U', nb, (lapack_complex_double *)A, nb, w,
                                             (lapack_complex_double *)work, lwork, rwork, lrwork, iwork, liwork) != 0;
            }
            n += nk;
            t = now() - t0;
        } while (t < tmin);
        if (t / n < best) best = t / n;
    }
    free(A);
    free(work);
    free(w);
    free(rwork);
    free(iwork);
    return best;
}

/* A model of ../shared/data (rel: path below it; wsvec: the _wsvec.dat or NULL),
 * with spin_degeneracy spin; exits on failure. */
static inline qkt_model_t *bench_load_wannier(const char *rel, const char *wsvec, double spin)
{
    const char *sh = getenv("QKT_SHARED");
    char path[1024], wpath[1024];
    snprintf(path, sizeof path, "%s/data/%s", sh ? sh : "../shared", rel);
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    o.path = path;
    if (wsvec) {
        snprintf(wpath, sizeof wpath, "%s/data/%s", sh ? sh : "../shared", wsvec);
        o.wsvec_path = wpath;
    }
    o.spin_degeneracy = spin;
    qkt_model_t *m = NULL;
    if (qkt_wannier_load(&o, &m)) {
        printf("# load %s failed: %s\n", rel, qkt_strerror());
        exit(1);
    }
    return m;
}

/* one number for bench/run.sh's table */
static inline void result(const char *c, const char *metric, double v, const char *unit)
{
    printf("RESULT %s %s %.6g %s\n", c, metric, v, unit);
}

#endif

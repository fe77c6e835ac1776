/* bench_util.h - helpers shared by the bench programs: wall time, a fixed
 * pseudo-random sequence, the RESULT lines of bench/run.sh, and a synthetic
 * Wannier90 model of any size, with or without its position matrix
 * (header-only; include once per program). */
#ifndef QKT_BENCH_UTIL_H
#define QKT_BENCH_UTIL_H
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>
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

/* The synthetic model of any size: nw orbitals on a cubic lattice, R in
 * {-1,0,1}^3 (27 vectors, index r = 9 (R0+1) + 3 (R1+1) + R2+1, ndegen 1).
 * H: random on-site levels in [-2, 2] eV and random complex hoppings of size
 * ~0.1 eV with H(-R) = H(R)^dagger.  With pos (3 nR nw^2 values, Angstrom,
 * block [a][r]): the position matrix of a cell of edge alat, Wannier centres
 * at random points of the cell (R = 0 diagonal, real) and random complex
 * elements of size ~0.01 alat elsewhere, r_a(-R) = r_a(R)^dagger.  Row-major
 * blocks, element (m, n) at m nw + n.  Returns H (nR nw^2) or NULL. */
#define SYNTH_NR 27
static inline double complex *synthetic_fill(int nw, double alat, double complex *pos)
{
    const int nR = SYNTH_NR;
    size_t n2 = (size_t)nw * nw;
    double complex *H = calloc(nR * n2, sizeof(double complex));
    if (!H) return NULL;
    for (int r = 0; r < nR; r++) {
        int mr = nR - 1 - r; /* index of -R */
        if (mr < r) continue; /* filled with its partner */
        for (int m = 0; m < nw; m++)
            for (int n = 0; n < nw; n++) {
                if (r == mr && n < m) continue; /* R = 0: Hermitian, upper triangle drawn */
                int diag = r == mr && m == n;
                double complex v = diag ? 4 * urand() - 2 : 0.1 * ((urand() - 0.5) + I * (urand() - 0.5));
                H[r * n2 + m * nw + n] = v;
                H[mr * n2 + n * nw + m] = conj(v);
                for (int a = 0; pos && a < 3; a++) {
                    double complex x = diag ? alat * urand() : 0.01 * alat * ((urand() - 0.5) + I * (urand() - 0.5));
                    pos[((size_t)a * nR + r) * n2 + m * nw + n] = x;
                    pos[((size_t)a * nR + mr) * n2 + n * nw + m] = conj(x);
                }
            }
    }
    return H;
}

static inline void synthetic_R(int r, int R[3])
{
    R[0] = r / 9 - 1;
    R[1] = r / 3 % 3 - 1;
    R[2] = r % 3 - 1;
}

/* the synthetic model as a Wannier90 _hr.dat (no position matrix) */
static inline int write_synthetic(const char *path, int nw)
{
    double complex *H = synthetic_fill(nw, 1, NULL);
    FILE *f = H ? fopen(path, "w") : NULL;
    if (!f) {
        free(H);
        return -1;
    }
    const int nR = SYNTH_NR;
    size_t n2 = (size_t)nw * nw;
    fprintf(f, " synthetic %d-orbital cubic tight-binding model (bench/bench_util.h)\n%12d\n%12d\n", nw, nw, nR);
    for (int r = 0; r < nR; r++) fprintf(f, "%5d%s", 1, (r % 15 == 14 || r == nR - 1) ? "\n" : "");
    for (int r = 0; r < nR; r++) {
        int R[3];
        synthetic_R(r, R);
        for (int n = 0; n < nw; n++)
            for (int m = 0; m < nw; m++) {
                double complex v = H[r * n2 + m * nw + n];
                fprintf(f, "%5d%5d%5d%5d%5d %18.12f %18.12f\n", R[0], R[1], R[2], m + 1, n + 1, creal(v), cimag(v));
            }
    }
    free(H);
    return fclose(f);
}

/* the synthetic model with its position matrix as a gzip-compressed
 * Wannier90 _tb.dat (cubic cell of edge alat Angstrom), written as postw90's
 * write_tb does: header, lattice vectors, num_wann, nrpts, degeneracies, then
 * per R the block of H (m fastest) and the block of r_x, r_y, r_z */
static inline int write_synthetic_tb(const char *path, int nw, double alat)
{
    const int nR = SYNTH_NR;
    size_t n2 = (size_t)nw * nw;
    double complex *pos = malloc(sizeof(double complex) * 3 * nR * n2), *H = pos ? synthetic_fill(nw, alat, pos) : NULL;
    gzFile f = H ? gzopen(path, "wb1") : NULL;
    if (!f) {
        free(pos);
        free(H);
        return -1;
    }
    gzbuffer(f, 1 << 20);
    int ok = gzprintf(f, " synthetic %d-orbital cubic tight-binding model (bench/bench_util.h)\n", nw) > 0;
    for (int a = 0; a < 3; a++) ok &= gzprintf(f, "%22.16f%22.16f%22.16f\n", a == 0 ? alat : 0., a == 1 ? alat : 0., a == 2 ? alat : 0.) > 0;
    ok &= gzprintf(f, "%12d\n%12d\n", nw, nR) > 0;
    for (int r = 0; r < nR; r++) ok &= gzprintf(f, "%5d%s", 1, (r % 15 == 14 || r == nR - 1) ? "\n" : "") > 0;
    char line[256];
    for (int blk = 0; blk < 2 && ok; blk++)
        for (int r = 0; r < nR && ok; r++) {
            int R[3];
            synthetic_R(r, R);
            ok &= gzprintf(f, "\n%5d%5d%5d\n", R[0], R[1], R[2]) > 0;
            for (int n = 0; n < nw && ok; n++)
                for (int m = 0; m < nw; m++) {
                    size_t i = r * n2 + m * nw + n;
                    int len;
                    if (blk == 0)
                        len = snprintf(line, sizeof line, "%5d%5d %15.8E %15.8E\n", m + 1, n + 1, creal(H[i]), cimag(H[i]));
                    else
                        len = snprintf(line, sizeof line, "%5d%5d %15.8E %15.8E %15.8E %15.8E %15.8E %15.8E\n", m + 1, n + 1,
                                       creal(pos[i]), cimag(pos[i]), creal(pos[nR * n2 + i]), cimag(pos[nR * n2 + i]),
                                       creal(pos[2 * nR * n2 + i]), cimag(pos[2 * nR * n2 + i]));
                    ok &= gzwrite(f, line, (unsigned)len) == len;
                }
        }
    free(pos);
    free(H);
    return (gzclose(f) == Z_OK && ok) ? 0 : -1;
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

/* a field of /proc/self/status in MB ("VmRSS:" the resident memory now,
 * "VmHWM:" its peak); NAN if unreadable */
static inline double status_mb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double v = NAN;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) v = atof(line + strlen(key)) / 1024;
    if (f) fclose(f);
    return v;
}

/* one number for bench/run.sh's table */
static inline void result(const char *c, const char *metric, double v, const char *unit)
{
    printf("RESULT %s %s %.6g %s\n", c, metric, v, unit);
}

#endif

/* fourier.c - the Fourier sums of a Wannier model, O(k) = sum_R e^{ik.R} O(R)
 * and its k-derivatives, for the Hamiltonian and the position matrix, from
 * the half-set tables of tables.h (built by wannier.c). */
#define _GNU_SOURCE
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "wannier/tables.h"

#define RBLK 1024  /* R vectors per block of phases (stack buffer) */

/* Kernels: sums over the R vectors of one block for one chunk of CW pairs,
 *   acc[0], acc[1] = sum (c S_r - s S_i), sum (s D_r + c D_i);
 *   order >= 1: acc[2 + 2a], acc[3 + 2a] = sum R_a (s S_r + c S_i), sum R_a (c D_r - s D_i);
 *   order 2: acc[8 + 2q], acc[9 + 2q] = sum R_a R_b (c S_r - s S_i), ... (q in QKT_XX.. order);
 * acc[col * CW + lane].  One set per instruction set, CW = its vector width
 * (AVX-512: 8, AVX2 + FMA: 4, otherwise 2), chosen when the model is loaded;
 * the storage layout follows CW. */
#define KERN_LOAD(VT, q)                                                                      \
    VT sr = *(const VT *)(q), si = *(const VT *)((q) + L), dr = *(const VT *)((q) + 2 * L),   \
       di = *(const VT *)((q) + 3 * L)

#define KERN_DEFS(SFX, VT, LANES, ATTR)                                                       \
    ATTR static void kern0_##SFX(int n, const double *restrict g, const double *restrict pc,  \
                                 const double *restrict ps, const double *restrict Rc,        \
                                 double *restrict acc)                                        \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        VT a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};                                            \
        (void)Rc;                                                                             \
        int r = 0;                                                                            \
        for (; r + 1 < n; r += 2, g += 8 * L) { /* two independent chains */                  \
            double c = pc[r], s = ps[r], c2 = pc[r + 1], s2 = ps[r + 1];                      \
            {                                                                                 \
                KERN_LOAD(VT, g);                                                             \
                a0 += c * sr - s * si;                                                        \
                a1 += s * dr + c * di;                                                        \
            }                                                                                 \
            {                                                                                 \
                KERN_LOAD(VT, g + 4 * L);                                                     \
                b0 += c2 * sr - s2 * si;                                                      \
                b1 += s2 * dr + c2 * di;                                                      \
            }                                                                                 \
        }                                                                                     \
        if (r < n) {                                                                          \
            double c = pc[r], s = ps[r];                                                      \
            KERN_LOAD(VT, g);                                                                 \
            a0 += c * sr - s * si;                                                            \
            a1 += s * dr + c * di;                                                            \
        }                                                                                     \
        *(VT *)acc = a0 + b0;                                                                 \
        *(VT *)(acc + L) = a1 + b1;                                                           \
    }                                                                                         \
    ATTR static void kern1_##SFX(int n, const double *restrict g, const double *restrict pc,  \
                                 const double *restrict ps, const double *restrict Rc,        \
                                 double *restrict acc)                                        \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        VT a0 = {0}, a1 = {0}, xr = {0}, xi = {0}, yr = {0}, yi = {0}, zr = {0}, zi = {0};    \
        for (int r = 0; r < n; r++, g += 4 * L) {                                             \
            double c = pc[r], s = ps[r], x = Rc[3 * r], y = Rc[3 * r + 1], z = Rc[3 * r + 2]; \
            KERN_LOAD(VT, g);                                                                 \
            VT u = c * sr - s * si, v = s * dr + c * di, u1 = c * dr - s * di,                \
               v1 = s * sr + c * si;                                                          \
            a0 += u;                                                                          \
            a1 += v;                                                                          \
            xr += x * v1;                                                                     \
            xi += x * u1;                                                                     \
            yr += y * v1;                                                                     \
            yi += y * u1;                                                                     \
            zr += z * v1;                                                                     \
            zi += z * u1;                                                                     \
        }                                                                                     \
        *(VT *)acc = a0;                                                                      \
        *(VT *)(acc + L) = a1;                                                                \
        *(VT *)(acc + 2 * L) = xr;                                                            \
        *(VT *)(acc + 3 * L) = xi;                                                            \
        *(VT *)(acc + 4 * L) = yr;                                                            \
        *(VT *)(acc + 5 * L) = yi;                                                            \
        *(VT *)(acc + 6 * L) = zr;                                                            \
        *(VT *)(acc + 7 * L) = zi;                                                            \
    }                                                                                         \
    ATTR static void kern2_##SFX(int n, const double *restrict g, const double *restrict pc,  \
                                 const double *restrict ps, const double *restrict Rc,        \
                                 double *restrict acc)                                        \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        VT t[20];                                                                             \
        for (int i = 0; i < 20; i++) t[i] = (VT){0};                                          \
        for (int r = 0; r < n; r++, g += 4 * L) {                                             \
            double c = pc[r], s = ps[r], x = Rc[3 * r], y = Rc[3 * r + 1], z = Rc[3 * r + 2]; \
            KERN_LOAD(VT, g);                                                                 \
            VT u = c * sr - s * si, v = s * dr + c * di, u1 = c * dr - s * di,                \
               v1 = s * sr + c * si;                                                          \
            const double w6[6] = {x * x, y * y, z * z, y * z, x * z, x * y};                  \
            t[0] += u;                                                                        \
            t[1] += v;                                                                        \
            t[2] += x * v1;                                                                   \
            t[3] += x * u1;                                                                   \
            t[4] += y * v1;                                                                   \
            t[5] += y * u1;                                                                   \
            t[6] += z * v1;                                                                   \
            t[7] += z * u1;                                                                   \
            for (int q = 0; q < 6; q++) {                                                     \
                t[8 + 2 * q] += w6[q] * u;                                                    \
                t[9 + 2 * q] += w6[q] * v;                                                    \
            }                                                                                 \
        }                                                                                     \
        for (int i = 0; i < 20; i++) *(VT *)(acc + i * L) = t[i];                             \
    }                                                                                         \
    /* kern0/1/2 for the phases (c, s) into acc[0, blk) and for (-s, c) into                 \
     * acc[blk, 2 blk), blk = 2 ncol L, in one pass: the second phase's four                 \
     * products are the first's, (u, v, u1, v1) -> (-v1, u1, -v, u) */                        \
    ATTR static void kernd0_##SFX(int n, const double *restrict g, const double *restrict pc, \
                                  const double *restrict ps, const double *restrict Rc,       \
                                  double *restrict acc)                                       \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        VT a0 = {0}, a1 = {0}, b0 = {0}, b1 = {0};                                            \
        (void)Rc;                                                                             \
        for (int r = 0; r < n; r++, g += 4 * L) {                                             \
            double c = pc[r], s = ps[r];                                                      \
            KERN_LOAD(VT, g);                                                                 \
            a0 += c * sr - s * si;                                                            \
            a1 += s * dr + c * di;                                                            \
            b0 -= s * sr + c * si;                                                            \
            b1 += c * dr - s * di;                                                            \
        }                                                                                     \
        *(VT *)acc = a0;                                                                      \
        *(VT *)(acc + L) = a1;                                                                \
        *(VT *)(acc + 2 * L) = b0;                                                            \
        *(VT *)(acc + 3 * L) = b1;                                                            \
    }                                                                                         \
    ATTR static void kernd1_##SFX(int n, const double *restrict g, const double *restrict pc, \
                                  const double *restrict ps, const double *restrict Rc,       \
                                  double *restrict acc)                                       \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        VT t[16];                                                                             \
        for (int i = 0; i < 16; i++) t[i] = (VT){0};                                          \
        for (int r = 0; r < n; r++, g += 4 * L) {                                             \
            double c = pc[r], s = ps[r];                                                      \
            KERN_LOAD(VT, g);                                                                 \
            VT u = c * sr - s * si, v = s * dr + c * di, u1 = c * dr - s * di,                \
               v1 = s * sr + c * si;                                                          \
            t[0] += u;                                                                        \
            t[1] += v;                                                                        \
            t[8] -= v1;                                                                       \
            t[9] += u1;                                                                       \
            for (int a = 0; a < 3; a++) {                                                     \
                double x = Rc[3 * r + a];                                                     \
                t[2 + 2 * a] += x * v1;                                                       \
                t[3 + 2 * a] += x * u1;                                                       \
                t[10 + 2 * a] += x * u;                                                       \
                t[11 + 2 * a] -= x * v;                                                       \
            }                                                                                 \
        }                                                                                     \
        for (int i = 0; i < 16; i++) *(VT *)(acc + i * L) = t[i];                             \
    }                                                                                         \
    ATTR static void kernd2_##SFX(int n, const double *restrict g, const double *restrict pc, \
                                  const double *restrict ps, const double *restrict Rc,       \
                                  double *restrict acc)                                       \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        VT t[40];                                                                             \
        for (int i = 0; i < 40; i++) t[i] = (VT){0};                                          \
        for (int r = 0; r < n; r++, g += 4 * L) {                                             \
            double c = pc[r], s = ps[r], x = Rc[3 * r], y = Rc[3 * r + 1], z = Rc[3 * r + 2]; \
            KERN_LOAD(VT, g);                                                                 \
            VT u = c * sr - s * si, v = s * dr + c * di, u1 = c * dr - s * di,                \
               v1 = s * sr + c * si;                                                          \
            const double w3[3] = {x, y, z}, w6[6] = {x * x, y * y, z * z, y * z, x * z, x * y}; \
            t[0] += u;                                                                        \
            t[1] += v;                                                                        \
            t[20] -= v1;                                                                      \
            t[21] += u1;                                                                      \
            for (int a = 0; a < 3; a++) {                                                     \
                t[2 + 2 * a] += w3[a] * v1;                                                   \
                t[3 + 2 * a] += w3[a] * u1;                                                   \
                t[22 + 2 * a] += w3[a] * u;                                                   \
                t[23 + 2 * a] -= w3[a] * v;                                                   \
            }                                                                                 \
            for (int q = 0; q < 6; q++) {                                                     \
                t[8 + 2 * q] += w6[q] * u;                                                    \
                t[9 + 2 * q] += w6[q] * v;                                                    \
                t[28 + 2 * q] -= w6[q] * v1;                                                  \
                t[29 + 2 * q] += w6[q] * u1;                                                  \
            }                                                                                 \
        }                                                                                     \
        for (int i = 0; i < 40; i++) *(VT *)(acc + i * L) = t[i];                             \
    }                                                                                         \
    /* a mesh line's sum: acc[i] = sum_g c3[g] q_g[i] + s3[g] q_g[blk + i] (q_g = q + 2 blk g) */ \
    ATTR static void comb_##SFX(int ng, int blk, const double *restrict c3,                   \
                                const double *restrict s3, const double *restrict q,          \
                                double *restrict acc)                                         \
    {                                                                                         \
        enum { L = LANES };                                                                   \
        for (int i = 0; i < blk; i += L) {                                                    \
            VT a = {0}, b = {0};                                                              \
            const double *p = q + i;                                                          \
            for (int g = 0; g < ng; g++, p += 2 * blk) {                                      \
                a += c3[g] * *(const VT *)p;                                                  \
                b += s3[g] * *(const VT *)(p + blk);                                          \
            }                                                                                 \
            *(VT *)(acc + i) = a + b;                                                         \
        }                                                                                     \
    }

typedef double v2d __attribute__((vector_size(16)));
KERN_DEFS(gen, v2d, 2, )
#if defined(__x86_64__) && defined(__GNUC__)
#define QKT_X86_KERNELS 1
typedef double v4d __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));
KERN_DEFS(avx2, v4d, 4, __attribute__((target("avx2,fma"))))
KERN_DEFS(avx512, v8d, 8, __attribute__((target("avx512f,avx2,fma"))))
#endif

/* Kernel set and lane count for this CPU (QKT_WANNIER_KERNEL = generic,
 * avx2 or avx512 overrides, for tests). */
int qkt_wan_pick_kernels(kern_fn k[3], kern_fn kd[3], comb_fn *comb)
{
    const char *env = getenv("QKT_WANNIER_KERNEL");
#ifdef QKT_X86_KERNELS
    __builtin_cpu_init();
    int has512 = __builtin_cpu_supports("avx512f"), has2 = __builtin_cpu_supports("avx2") &&
                                                            __builtin_cpu_supports("fma");
    if (env && strcmp(env, "generic") == 0) has512 = has2 = 0;
    if (env && strcmp(env, "avx2") == 0) has512 = 0;
    if (has512) {
        k[0] = kern0_avx512;
        k[1] = kern1_avx512;
        k[2] = kern2_avx512;
        *comb = comb_avx512;
        kd[0] = kernd0_avx512;
        kd[1] = kernd1_avx512;
        kd[2] = kernd2_avx512;
        return 8;
    }
    if (has2) {
        k[0] = kern0_avx2;
        k[1] = kern1_avx2;
        k[2] = kern2_avx2;
        *comb = comb_avx2;
        kd[0] = kernd0_avx2;
        kd[1] = kernd1_avx2;
        kd[2] = kernd2_avx2;
        return 4;
    }
#endif
    (void)env;
    k[0] = kern0_gen;
    k[1] = kern1_gen;
    k[2] = kern2_gen;
    *comb = comb_gen;
    kd[0] = kernd0_gen;
    kd[1] = kernd1_gen;
    kd[2] = kernd2_gen;
    return 2;
}

/* Phases e^{ik.R} of R vectors [r0, r0 + n) into pc, ps; tab[a][n - lo[a]] =
 * e^{i n k.a_a} when the tables are in use. */
static void phases(const fset_t *f, const double complex (*tab)[2 * PTAB + 1], const double k[3],
                   int r0, int n, double *pc, double *ps)
{
    if (tab) {
        const int *lo = f->lo;
        for (int r = 0; r < n; r++) {
            const int *R = f->iR + 3 * (r0 + r);
            double complex e = tab[0][R[0] - lo[0]] * tab[1][R[1] - lo[1]] * tab[2][R[2] - lo[2]];
            pc[r] = creal(e);
            ps[r] = cimag(e);
        }
    } else {
        for (int r = 0; r < n; r++) {
            const double *R = f->Rc + 3 * (r0 + r);
            sincos(k[0] * R[0] + k[1] * R[1] + k[2] * R[2], &ps[r], &pc[r]);
        }
    }
}

/* Lower triangle from the upper one: X[n][m] = conj(X[m][n]). */
static void fill_lower(double complex *X, int nw)
{
    enum { B = 16 }; /* tiles keep the strided writes within a few cache lines */
    for (int ib = 0; ib < nw; ib += B)
        for (int jb = ib; jb < nw; jb += B) {
            int ie = ib + B < nw ? ib + B : nw, je = jb + B < nw ? jb + B : nw;
            for (int m = ib; m < ie; m++)
                for (int n = (jb > m + 1 ? jb : m + 1); n < je; n++) X[n * nw + m] = conj(X[m * nw + n]);
        }
}

/* ------------------------------------------------------------------ mesh lines
 * Along a line of a uniform mesh, k = sum_i x_i b_i with x_1 and x_2 fixed,
 * the phase factorizes, e^{ik.R} = e12(n_1, n_2) e3(n_3) with e3 = e^{i n_3
 * k.a_3}.  Each kernel output is linear in the phase (c, s) of every R, so
 * with Q_g = K(e12) and Q'_g = K(i e12), the kernel over the R of one n_3
 * group g,
 *     K(e12 e3) = sum_g Re(e3_g) Q_g + Im(e3_g) Q'_g.
 * Q and Q' are built in one pass over the tables (kernd*); every later
 * point of the line costs ng3 multiply-adds per output instead of nr.  A
 * point on no line (adaptive cubature, stencils) is summed directly.  Lines are recognised by k.a_1
 * and k.a_2 within LINE_KEY_TOL radians (a mesh computes them to a few
 * 1e-15): the phases then differ from the direct sum's by at most
 * |n| LINE_KEY_TOL. */
#define LINE_KEY_TOL 1e-13
/* A build costs one to two direct sums (the dual kernel's pass), so a line
 * is built at its third point, or at its first when the caller visits
 * LINE_LONG points or more on every line (a uniform mesh without weights);
 * short lines (the sparse points of a symmetry wedge) are summed directly.
 * Whether a point is summed directly or from its line depends on its place
 * in the line alone, not on the lines before it, so that the digits do not
 * depend on how lines are shared among threads and MPI ranks. */
#define LINE_BUILD_PTS 3
#define LINE_LONG 8
/* partial sums of one workspace (one per thread), all lines.  A table that
 * does not fit is summed directly from then on (off); which tables fit is
 * the same in every thread only because the centre asks for the same tables
 * in the same order at every point (and when an allocation fails, digits
 * may differ between thread counts at rounding level). */
#define LINE_MAX_BYTES ((size_t)128 << 20)

typedef struct {
    int state;     /* 0: unused; 1: key seen once; 2: Q built for key */
    int off;       /* 1: the tables do not fit (LINE_MAX_BYTES) */
    int npts;      /* points of this line so far */
    double key[2]; /* k.a_1, k.a_2 of the line */
    double *Q;     /* [nchunk][ng3][2][2 ncol CW] (Q, Q'), 64-byte aligned */
} line_t;

struct qkt_wan_ws {
    unsigned long id;  /* the model's wan_t.id */
    line_t H[3];       /* Hamiltonian, per derivative order */
    line_t A[6][2];    /* position planes, per order */
    double *pc, *ps;   /* phases of one group (scratch, nr_max each) */
    size_t bytes;      /* held by the lines' partial sums */
    int build_at;      /* a line is built at its point build_at (1, 2, ...) */
};

/* column c of a chunk's kernel output into the matrices out (see fsum) */
static void put_chunk(const wan_t *w, int ch, int ncol, const double *acc, double complex *const *out, int mode,
                      int first)
{
    int CW = w->cw, nw = w->nw, p0 = ch * CW, np = w->npair - p0 < CW ? w->npair - p0 : CW;
    /* column c of acc: (re, im) of matrix c at acc[2c CW + j], acc[(2c+1) CW + j],
     * with d_a O = i R_a (u1 + i v1) = -R_a v1 + i R_a u1 and -R_a R_b for order 2 */
    for (int c = 0; c < ncol; c++) {
        const double *ar = acc + 2 * c * CW, *ai = ar + CW;
        double sr = c == 0 ? 1 : -1, si = c < 4 ? 1 : -1;
        double complex *X = out[c];
        for (int j = 0; j < np; j++) {
            int e = w->pe[p0 + j];
            double re = sr * ar[j], im = si * ai[j];
            if (mode == 0) {
                if (first)
                    X[e] = CMPLX(re, im);
                else
                    X[e] += CMPLX(re, im);
            } else { /* -i (re + i im) = im - i re, and its conjugate below the diagonal */
                int m = w->pm[p0 + j], n = w->pn[p0 + j];
                X[e] += CMPLX(im, -re);
                if (m != n) X[n * nw + m] += CMPLX(-im, -re);
            }
        }
    }
}

/* Q and Q' of line ln (key set) from the phase tables tabs; 0, or -1 when
 * they do not fit */
static int line_build(const wan_t *w, const fset_t *f, int plane, int order, line_t *ln,
                      const double complex (*tabs)[2 * PTAB + 1], qkt_wan_ws_t *ws)
{
    int CW = w->cw, nchunk = w->nchunk, nr = f->nr, ncol = order == 0 ? 1 : order == 1 ? 4 : 10;
    size_t blk = (size_t)2 * ncol * CW, bytes = (size_t)f->ng3 * nchunk * 2 * blk * sizeof(double);
    if (!ln->Q) {
        bytes = (bytes + 63) / 64 * 64;
        if (ws->bytes + bytes > LINE_MAX_BYTES || !(ln->Q = aligned_alloc(64, bytes))) {
            ln->off = 1;
            return -1;
        }
        ws->bytes += bytes;
    }
    kern_fn kern = w->kernd[order];
    const double *G = f->G[plane];
    for (int g = 0; g < f->ng3; g++) {
        int r0 = f->g3off[g], n = f->g3off[g + 1] - r0;
        for (int r = 0; r < n; r++) {
            const int *R = f->iR + 3 * (r0 + r);
            double complex e = tabs[0][R[0] - f->lo[0]] * tabs[1][R[1] - f->lo[1]];
            ws->pc[r] = creal(e);
            ws->ps[r] = cimag(e);
        }
        for (int ch = 0; ch < nchunk; ch++)
            kern(n, G + ((size_t)ch * nr + r0) * 4 * CW, ws->pc, ws->ps, f->Rc + 3 * r0,
                 ln->Q + ((size_t)ch * f->ng3 + g) * 2 * blk);
    }
    ln->state = 2;
    return 0;
}

/* the sum at a point of line ln (built) from e3 = tab3 */
static void line_sum(const wan_t *w, const fset_t *f, int order, const line_t *ln, const double complex *tab3,
                     double complex *const *out, int mode)
{
    int CW = w->cw, nchunk = w->nchunk, ncol = order == 0 ? 1 : order == 1 ? 4 : 10, ng = f->ng3;
    size_t blk = (size_t)2 * ncol * CW;
    double acc[20 * MAXCW] __attribute__((aligned(64)));
    double c3[2 * PTAB + 1], s3[2 * PTAB + 1];
    for (int g = 0; g < ng; g++) {
        double complex e3 = tab3[f->g3lo + g - f->lo[2]];
        c3[g] = creal(e3);
        s3[g] = cimag(e3);
    }
    for (int ch = 0; ch < nchunk; ch++) {
        w->comb(ng, (int)blk, c3, s3, ln->Q + (size_t)ch * ng * 2 * blk, acc);
        put_chunk(w, ch, ncol, acc, out, mode, 1);
    }
}

/* Sum of plane `plane` of f at k into out[c], c < ncol = 1, 4, 10: O(k) =
 * sum_R e^{ik.R} O(R), then i R_a O(R) (d_a O), then -R_a R_b O(R) (QKT_XX..
 * order); out[c] are nw x nw complex matrices.
 * mode 0: out = O (upper triangle and diagonal written; lower left to the
 *         caller, see fill_lower);
 * mode 1: out += -i O (both triangles; the b part of a split position matrix).
 * ln: NULL, or the line state of this table and order in a workspace ws
 * (mesh lines, above).  No allocation, except a line's partial sums once. */
static void fsum(const wan_t *w, const fset_t *f, int plane, const double k[3], int order,
                 double complex *const *out, int mode, line_t *ln, qkt_wan_ws_t *ws)
{
    int nr = f->nr, nchunk = w->nchunk, CW = w->cw;
    int ncol = order == 0 ? 1 : order == 1 ? 4 : 10;
    if (mode == 0 && nr == 0)
        for (int c = 0; c < ncol; c++) memset(out[c], 0, sizeof(double complex) * w->nel);
    double complex tabs[3][2 * PTAB + 1];
    double ka[3];
    int use_tab = 1;
    for (int a = 0; a < 3; a++)
        if (f->lo[a] < -PTAB || f->hi[a] > PTAB) use_tab = 0;
    for (int a = 0; a < 3; a++) ka[a] = k[0] * w->avec[a][0] + k[1] * w->avec[a][1] + k[2] * w->avec[a][2];
    if (use_tab)
        for (int a = 0; a < 3; a++)
            for (int n = f->lo[a]; n <= f->hi[a]; n++) {
                double s, c;
                sincos(n * ka[a], &s, &c);
                tabs[a][n - f->lo[a]] = c + I * s;
            }
    /* a line's sum reads 2 ng3 ncol numbers per pair where the direct sum
     * reads 4 nr: used where that saves half or more (not for models with
     * few R vectors per n_3) */
    if (ln && use_tab && f->ng3 > 0 && !ln->off && 2 * f->ng3 * ncol <= nr) {
        const double complex(*tb)[2 * PTAB + 1] = (const double complex(*)[2 * PTAB + 1])tabs;
        int same = ln->state > 0 && fabs(ka[0] - ln->key[0]) <= LINE_KEY_TOL &&
                   fabs(ka[1] - ln->key[1]) <= LINE_KEY_TOL;
        if (!same) {
            ln->state = 1;
            ln->npts = 0;
            ln->key[0] = ka[0];
            ln->key[1] = ka[1];
        }
        ln->npts++;
        if (ln->state == 2 || (ln->npts >= ws->build_at && line_build(w, f, plane, order, ln, tb, ws) == 0)) {
            line_sum(w, f, order, ln, tabs[2], out, mode);
            return;
        }
    }
    double pc[RBLK], ps[RBLK];
    double acc[20 * MAXCW] __attribute__((aligned(64)));
    kern_fn kern = w->kern[order];
    const double *G = f->G[plane];
    for (int r0 = 0; r0 < nr; r0 += RBLK) {
        int nb = nr - r0 < RBLK ? nr - r0 : RBLK;
        phases(f, use_tab ? (const double complex(*)[2 * PTAB + 1])tabs : NULL, k, r0, nb, pc, ps);
        const double *Rc = f->Rc + 3 * r0;
        for (int ch = 0; ch < nchunk; ch++) {
            kern(nb, G + ((size_t)ch * nr + r0) * 4 * CW, pc, ps, Rc, acc);
            put_chunk(w, ch, ncol, acc, out, mode, r0 == 0);
        }
    }
}

static qkt_status_t hk_impl(const qkt_model_t *m, qkt_wan_ws_t *ws, const double k[3], int order,
                            double complex *out)
{
    const wan_t *w = m->priv;
    if (order < 0 || order > 2) return qkt_error(QKT_EINVAL, "wannier: derivative order %d", order);
    if (ws && ws->id != w->id) ws = NULL;
    int ncol = order == 0 ? 1 : order == 1 ? 4 : 10;
    double complex *o[10];
    for (int c = 0; c < ncol; c++) o[c] = out + (size_t)c * w->nel;
    fsum(w, &w->H, 0, k, order, o, 0, ws ? &ws->H[order] : NULL, ws);
    for (int c = 0; c < ncol; c++) fill_lower(o[c], w->nw);
    return QKT_OK;
}

static qkt_status_t awk_impl(const qkt_model_t *m, qkt_wan_ws_t *ws, const double k[3], int order,
                             double complex *out)
{
    const wan_t *w = m->priv;
    if (order < 0 || order > 1) return qkt_error(QKT_EINVAL, "wannier: position derivative order %d", order);
    if (ws && ws->id != w->id) ws = NULL;
    for (int a = 0; a < 3; a++) {
        double complex *o[4];
        o[0] = out + (size_t)a * w->nel;
        for (int b = 0; b < 3; b++) o[1 + b] = out + (size_t)(3 + 3 * a + b) * w->nel;
        fsum(w, &w->A, a, k, order, o, 0, ws ? &ws->A[a][order] : NULL, ws);
        for (int c = 0; c < (order ? 4 : 1); c++) fill_lower(o[c], w->nw);
        if (w->A.nplane == 6) /* r = h - i b */
            fsum(w, &w->A, 3 + a, k, order, o, 1, ws ? &ws->A[3 + a][order] : NULL, ws);
    }
    return QKT_OK;
}

qkt_status_t qkt_wan_hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    return hk_impl(m, NULL, k, order, out);
}

qkt_status_t qkt_wan_awk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    return awk_impl(m, NULL, k, order, out);
}

qkt_status_t qkt_wan_hk_ws(const qkt_model_t *m, void *ws, const double k[3], int order, double complex *out)
{
    return hk_impl(m, ws, k, order, out);
}

qkt_status_t qkt_wan_awk_ws(const qkt_model_t *m, void *ws, const double k[3], int order, double complex *out)
{
    return awk_impl(m, ws, k, order, out);
}

void *qkt_wan_ws_alloc(const qkt_model_t *m, int line_pts)
{
    const wan_t *w = m->priv;
    qkt_wan_ws_t *ws = calloc(1, sizeof *ws);
    int nmax = 1;
    for (int g = 0; g < w->H.ng3; g++)
        if (w->H.g3off[g + 1] - w->H.g3off[g] > nmax) nmax = w->H.g3off[g + 1] - w->H.g3off[g];
    for (int g = 0; g < w->A.ng3; g++)
        if (w->A.g3off[g + 1] - w->A.g3off[g] > nmax) nmax = w->A.g3off[g + 1] - w->A.g3off[g];
    if (ws) {
        ws->id = w->id;
        ws->build_at = line_pts >= LINE_LONG ? 1 : LINE_BUILD_PTS;
        ws->pc = malloc(sizeof(double) * nmax);
        ws->ps = malloc(sizeof(double) * nmax);
    }
    if (!ws || !ws->pc || !ws->ps) {
        qkt_wan_ws_free(ws);
        return NULL;
    }
    return ws;
}

void qkt_wan_ws_free(void *p)
{
    qkt_wan_ws_t *ws = p;
    if (!ws) return;
    for (int o = 0; o < 3; o++) free(ws->H[o].Q);
    for (int a = 0; a < 6; a++)
        for (int o = 0; o < 2; o++) free(ws->A[a][o].Q);
    free(ws->pc);
    free(ws->ps);
    free(ws);
}


/* linalg.c - small dense complex matrix helpers and the Hermitian eigen-solver
 * (closed form for 1x1 and 2x2, LAPACKE zheevd otherwise). */
#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include "core/internal.h"

void qkt_blas_serial(void)
{
    static int done = 0;
    int first;
#pragma omp critical(qkt_blas_serial)
    {
        first = !done;
        done = 1;
    }
    if (first && !getenv("OPENBLAS_NUM_THREADS") && !getenv("GOTO_NUM_THREADS")) openblas_set_num_threads(1);
}

/* Dense complex products.  2x2 is written out (the continuum models), large
 * matrices go to BLAS zgemm, the rest use plain loops. */
#define QKT_GEMM_MIN 8

/* The kernels below work on the real and imaginary parts (a double complex
 * is an array of two doubles) with the operations of C's complex product,
 * re = ac - bd, im = ad + bc, and sums in the same order as the plain loops:
 * the results are those of the complex-typed code, bit for bit, for finite
 * input, without the compiler's NaN-recovery branch after every product. */
#define RE(p, i) ((p)[2 * (i)])
#define IM(p, i) ((p)[2 * (i) + 1])

/* C = A B, 2x2 */
static inline void mm2r(const double *restrict a, const double *restrict b, double *restrict c)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double ar0 = RE(a, 2 * i), ai0 = IM(a, 2 * i), ar1 = RE(a, 2 * i + 1), ai1 = IM(a, 2 * i + 1);
            double br0 = RE(b, j), bi0 = IM(b, j), br1 = RE(b, 2 + j), bi1 = IM(b, 2 + j);
            RE(c, 2 * i + j) = (ar0 * br0 - ai0 * bi0) + (ar1 * br1 - ai1 * bi1);
            IM(c, 2 * i + j) = (ar0 * bi0 + ai0 * br0) + (ar1 * bi1 + ai1 * br1);
        }
}

/* C = U^dagger T, 2x2: C_ij = sum_l conj(U_li) T_lj */
static inline void mhm2r(const double *restrict u, const double *restrict t, double *restrict c)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double ur0 = RE(u, i), ui0 = IM(u, i), ur1 = RE(u, 2 + i), ui1 = IM(u, 2 + i);
            double tr0 = RE(t, j), ti0 = IM(t, j), tr1 = RE(t, 2 + j), ti1 = IM(t, 2 + j);
            RE(c, 2 * i + j) = (ur0 * tr0 + ui0 * ti0) + (ur1 * tr1 + ui1 * ti1);
            IM(c, 2 * i + j) = (ur0 * ti0 - ui0 * tr0) + (ur1 * ti1 - ui1 * tr1);
        }
}

/* C = T U^dagger, 2x2: C_ij = sum_l T_il conj(U_jl) */
static inline void mmh2r(const double *restrict t, const double *restrict u, double *restrict c)
{
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double tr0 = RE(t, 2 * i), ti0 = IM(t, 2 * i), tr1 = RE(t, 2 * i + 1), ti1 = IM(t, 2 * i + 1);
            double ur0 = RE(u, 2 * j), ui0 = IM(u, 2 * j), ur1 = RE(u, 2 * j + 1), ui1 = IM(u, 2 * j + 1);
            RE(c, 2 * i + j) = (tr0 * ur0 + ti0 * ui0) + (tr1 * ur1 + ti1 * ui1);
            IM(c, 2 * i + j) = (ti0 * ur0 - tr0 * ui0) + (ti1 * ur1 - tr1 * ui1);
        }
}

/* general small n (plain loops, same order of operations as above) */
static void mmr(int n, const double *restrict a, const double *restrict b, double *restrict c)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sr = 0, si = 0;
            for (int l = 0; l < n; l++) {
                double ar = RE(a, i * n + l), ai = IM(a, i * n + l), br = RE(b, l * n + j), bi = IM(b, l * n + j);
                sr += ar * br - ai * bi;
                si += ar * bi + ai * br;
            }
            RE(c, i * n + j) = sr;
            IM(c, i * n + j) = si;
        }
}

void qkt_mat_mul(int n, const double complex *A, const double complex *B, double complex *C)
{
    if (n == 2) {
        mm2r((const double *)A, (const double *)B, (double *)C);
        return;
    }
    if (n >= QKT_GEMM_MIN) {
        const double complex one = 1, zero = 0;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, A, n, B, n, &zero, C, n);
        return;
    }
    mmr(n, (const double *)A, (const double *)B, (double *)C);
}

void qkt_mat_anticomm_add(int n, double alpha, const double complex *A, const double complex *B, double complex *C)
{
    if (n >= QKT_GEMM_MIN) {
        const double complex al = alpha, one = 1;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &al, A, n, B, n, &one, C, n);
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &al, B, n, A, n, &one, C, n);
        return;
    }
    /* on real and imaginary parts (no complex-multiply NaN branch) */
    const double *a = (const double *)A, *b = (const double *)B;
    double *c = (double *)C;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sr = 0, si = 0;
            for (int l = 0; l < n; l++) {
                double ar = RE(a, i * n + l), ai = IM(a, i * n + l), br = RE(b, l * n + j), bi = IM(b, l * n + j);
                double er = RE(b, i * n + l), ei = IM(b, i * n + l), fr = RE(a, l * n + j), fi = IM(a, l * n + j);
                sr += (ar * br - ai * bi) + (er * fr - ei * fi);
                si += (ar * bi + ai * br) + (er * fi + ei * fr);
            }
            RE(c, i * n + j) += alpha * sr;
            IM(c, i * n + j) += alpha * si;
        }
}

void qkt_mat_comm(int n, const double complex *A, const double complex *B, double complex *C)
{
    qkt_mat_mul(n, A, B, C);
    if (n >= QKT_GEMM_MIN) {
        const double complex mone = -1, one = 1;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &mone, B, n, A, n, &one, C, n);
        return;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex z = 0;
            for (int l = 0; l < n; l++) z += B[i * n + l] * A[l * n + j];
            C[i * n + j] -= z;
        }
}

void qkt_mat_to_eigbasis(int n, const double complex *U, const double complex *B,
                         double complex *C, double complex *tmp)
{
    /* tmp = B U ; C = U^dagger tmp */
    if (n == 2) {
        double t[8];
        mm2r((const double *)B, (const double *)U, t);
        mhm2r((const double *)U, t, (double *)C);
        return;
    }
    if (n >= QKT_GEMM_MIN) {
        const double complex one = 1, zero = 0;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, B, n, U, n, &zero, tmp, n);
        cblas_zgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, n, n, n, &one, U, n, tmp, n, &zero, C, n);
        return;
    }
    const double *u = (const double *)U;
    double *t = (double *)tmp, *c = (double *)C;
    mmr(n, (const double *)B, u, t);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sr = 0, si = 0;
            for (int l = 0; l < n; l++) {
                double ur = RE(u, l * n + i), ui = IM(u, l * n + i), tr = RE(t, l * n + j), ti = IM(t, l * n + j);
                sr += ur * tr + ui * ti;
                si += ur * ti - ui * tr;
            }
            RE(c, i * n + j) = sr;
            IM(c, i * n + j) = si;
        }
}

void qkt_mat_to_eigbasis_diag(int n, const double complex *U, const double complex *B, double *d,
                              double complex *tmp)
{
    /* the real diagonal of U^dagger B U, computed as in qkt_mat_to_eigbasis */
    if (n == 2 || n < QKT_GEMM_MIN) {
        const double *u = (const double *)U;
        double t2[8], *t = n == 2 ? t2 : (double *)tmp;
        if (n == 2) mm2r((const double *)B, u, t);
        else mmr(n, (const double *)B, u, t);
        for (int i = 0; i < n; i++) {
            double sr = 0;
            if (n == 2) {
                sr = (RE(u, i) * RE(t, i) + IM(u, i) * IM(t, i)) + (RE(u, 2 + i) * RE(t, 2 + i) + IM(u, 2 + i) * IM(t, 2 + i));
            } else {
                for (int l = 0; l < n; l++) sr += RE(u, l * n + i) * RE(t, l * n + i) + IM(u, l * n + i) * IM(t, l * n + i);
            }
            d[i] = sr;
        }
        return;
    }
    const double complex one = 1, zero = 0;
    cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, B, n, U, n, &zero, tmp, n);
    for (int i = 0; i < n; i++) {
        double complex s = 0;
        for (int l = 0; l < n; l++) s += conj(U[l * n + i]) * tmp[l * n + i];
        d[i] = creal(s);
    }
}

void qkt_mat_to_orbbasis(int n, const double complex *U, const double complex *B,
                         double complex *C, double complex *tmp)
{
    /* tmp = U B ; C = tmp U^dagger */
    if (n == 2) {
        double t[8];
        mm2r((const double *)U, (const double *)B, t);
        mmh2r(t, (const double *)U, (double *)C);
        return;
    }
    if (n >= QKT_GEMM_MIN) {
        const double complex one = 1, zero = 0;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, U, n, B, n, &zero, tmp, n);
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, n, n, n, &one, tmp, n, U, n, &zero, C, n);
        return;
    }
    const double *u = (const double *)U;
    double *t = (double *)tmp, *c = (double *)C;
    mmr(n, u, (const double *)B, t);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double sr = 0, si = 0;
            for (int l = 0; l < n; l++) {
                double tr = RE(t, i * n + l), ti = IM(t, i * n + l), ur = RE(u, j * n + l), ui = IM(u, j * n + l);
                sr += tr * ur + ti * ui;
                si += ti * ur - tr * ui;
            }
            RE(c, i * n + j) = sr;
            IM(c, i * n + j) = si;
        }
}

/* Closed-form 2x2: H = c0 + c.sigma.  Eigenvectors chosen smooth away from
 * the south pole of c (standard spinor gauge). */
static void eigh2(const double complex *A, double *w, double complex *U)
{
    double c0 = 0.5 * (creal(A[0]) + creal(A[3]));
    double cz = 0.5 * (creal(A[0]) - creal(A[3]));
    double cx = creal(A[2]), cy = cimag(A[2]);
    double r = sqrt(cx * cx + cy * cy + cz * cz);
    w[0] = c0 - r;
    w[1] = c0 + r;
    if (r == 0) {
        U[0] = 1; U[1] = 0; U[2] = 0; U[3] = 1;
        return;
    }
    /* upper state (along c): (cos t/2, e^{i phi} sin t/2); lower: (-e^{-i phi} sin, cos) */
    double rho = sqrt(cx * cx + cy * cy);
    double complex ph = rho > 0 ? (cx + I * cy) / rho : 1;
    double ch = sqrt(0.5 * (1 + cz / r)), sh = sqrt(0.5 * (1 - cz / r));
    if (cz >= 0) {
        U[1] = ch;        /* orbital 0, band 1 (upper) */
        U[3] = ph * sh;   /* orbital 1, band 1 */
        U[0] = -conj(ph) * sh;
        U[2] = ch;
    } else {
        /* gauge smooth near the south pole */
        U[1] = conj(ph) * ch;
        U[3] = sh;
        U[0] = -sh;
        U[2] = ph * ch;
    }
}

qkt_status_t qkt_eigvalsh(int n, double complex *A, double *w, qkt_bands_t *ws)
{
    if (n <= 2) {
        double complex U[4];
        if (n == 1) w[0] = creal(A[0]);
        else eigh2(A, w, U);
        return QKT_OK;
    }
    /* the eigenvalues of conj(A) (row-major A read as column-major) are A's */
    lapack_int info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'N', 'U', n, (lapack_complex_double *)A, n, w,
                                          (lapack_complex_double *)ws->work, ws->lwork, ws->rwork, ws->lrwork,
                                          ws->iwork, ws->liwork);
    if (info != 0) return qkt_error(QKT_ENUM, "zheevd failed (info = %d) for n = %d", (int)info, n);
    return QKT_OK;
}

qkt_status_t qkt_eigh(int n, double complex *A, double *w, qkt_bands_t *ws)
{
    if (n == 1) {
        w[0] = creal(A[0]);
        A[0] = 1;
        return QKT_OK;
    }
    if (n == 2) {
        double complex U[4];
        eigh2(A, w, U);
        memcpy(A, U, sizeof U);
        return QKT_OK;
    }
    /* Row-major Hermitian A read as column-major is A^T = conj(A); its
     * eigenvectors are the conjugates of A's.  Undo that afterwards. */
    lapack_int info = LAPACKE_zheevd_work(LAPACK_COL_MAJOR, 'V', 'U', n, (lapack_complex_double *)A,
                                          n, w, (lapack_complex_double *)ws->work, ws->lwork,
                                          ws->rwork, ws->lrwork, ws->iwork, ws->liwork);
    if (info != 0) return qkt_error(QKT_ENUM, "zheevd failed (info = %d) for n = %d", (int)info, n);
    /* column-major column j = conj(u_j): U_rowmajor[o][j] = conj(A[j*n + o]) */
    double complex *T = ws->tmp;
    for (int j = 0; j < n; j++)
        for (int o = 0; o < n; o++) T[o * n + j] = conj(A[j * n + o]);
    memcpy(A, T, sizeof(double complex) * n * n);
    return QKT_OK;
}

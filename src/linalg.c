/* linalg.c - small dense complex matrix helpers and the Hermitian eigen-solver
 * (closed form for 1x1 and 2x2, LAPACKE zheevd otherwise). */
#include <cblas.h>
#include <lapacke.h>
#include <stdlib.h>
#include "qkt_internal.h"

/* Dense complex products.  2x2 is written out (the continuum models), large
 * matrices go to BLAS zgemm, the rest use plain loops. */
#define QKT_GEMM_MIN 8

static void mm2(const double complex *restrict A, const double complex *restrict B, double complex *restrict C)
{
    C[0] = A[0] * B[0] + A[1] * B[2];
    C[1] = A[0] * B[1] + A[1] * B[3];
    C[2] = A[2] * B[0] + A[3] * B[2];
    C[3] = A[2] * B[1] + A[3] * B[3];
}

void qkt_mat_mul(int n, const double complex *A, const double complex *B, double complex *C)
{
    if (n == 2) {
        mm2(A, B, C);
        return;
    }
    if (n >= QKT_GEMM_MIN) {
        const double complex one = 1, zero = 0;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, A, n, B, n, &zero, C, n);
        return;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex s = 0;
            for (int l = 0; l < n; l++) s += A[i * n + l] * B[l * n + j];
            C[i * n + j] = s;
        }
}

void qkt_mat_to_eigbasis(int n, const double complex *U, const double complex *B,
                         double complex *C, double complex *tmp)
{
    /* tmp = B U ; C = U^dagger tmp */
    if (n == 2) {
        double complex Ud[4] = {conj(U[0]), conj(U[2]), conj(U[1]), conj(U[3])};
        mm2(B, U, tmp);
        mm2(Ud, tmp, C);
        return;
    }
    if (n >= QKT_GEMM_MIN) {
        const double complex one = 1, zero = 0;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, B, n, U, n, &zero, tmp, n);
        cblas_zgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, n, n, n, &one, U, n, tmp, n, &zero, C, n);
        return;
    }
    qkt_mat_mul(n, B, U, tmp);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex s = 0;
            for (int l = 0; l < n; l++) s += conj(U[l * n + i]) * tmp[l * n + j];
            C[i * n + j] = s;
        }
}

void qkt_mat_to_orbbasis(int n, const double complex *U, const double complex *B,
                         double complex *C, double complex *tmp)
{
    /* tmp = U B ; C = tmp U^dagger */
    if (n == 2) {
        double complex Ud[4] = {conj(U[0]), conj(U[2]), conj(U[1]), conj(U[3])};
        mm2(U, B, tmp);
        mm2(tmp, Ud, C);
        return;
    }
    if (n >= QKT_GEMM_MIN) {
        const double complex one = 1, zero = 0;
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, &one, U, n, B, n, &zero, tmp, n);
        cblas_zgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, n, n, n, &one, tmp, n, U, n, &zero, C, n);
        return;
    }
    qkt_mat_mul(n, U, B, tmp);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double complex s = 0;
            for (int l = 0; l < n; l++) s += tmp[i * n + l] * conj(U[j * n + l]);
            C[i * n + j] = s;
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

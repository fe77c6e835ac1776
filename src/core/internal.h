/* qkt_internal.h - helpers shared by the library's source files (not public). */
#ifndef QKT_INTERNAL_H
#define QKT_INTERNAL_H
#include <complex.h>
#include <math.h>
#include <string.h>
#include <time.h>
#include "qkt.h"

/* Bands closer than this (in the model's energy unit) count as degenerate,
 * unless the model (Wannier files: 1e-6 eV, their printed precision) or the
 * user (numerics.degen_tol, geometry.degen_tol) says otherwise: far below
 * any physical splitting of the built-in models' O(1) energies, and far
 * above the 1e-14 roundoff of their eigenvalues. */
#define QKT_DEGEN_TOL_DEFAULT 1e-10

/* seconds on CLOCK_MONOTONIC (wall time, never set back) */
static inline double qkt_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
/* a deadline (qkt_now() time, 0: none) has passed */
static inline int qkt_deadline_passed(double deadline) { return deadline > 0 && qkt_now() >= deadline; }

/* Pauli-matrix helper: write c0*1 + c.sigma (2x2, row-major) into M. */
static inline void qkt_pauli2(double complex *M, double c0, double cx, double cy, double cz)
{
    M[0] = c0 + cz;
    M[1] = cx - I * cy;
    M[2] = cx + I * cy;
    M[3] = c0 - cz;
}

/* C = A * B (n x n, row-major). */
void qkt_mat_mul(int n, const double complex *A, const double complex *B, double complex *C);
/* C += alpha (A * B + B * A) (n x n, row-major). */
void qkt_mat_anticomm_add(int n, double alpha, const double complex *A, const double complex *B, double complex *C);
/* C = A * B - B * A (n x n, row-major). */
void qkt_mat_comm(int n, const double complex *A, const double complex *B, double complex *C);
/* C = A^dagger * B * A  (the eigenbasis form of an orbital matrix B, U = A). */
void qkt_mat_to_eigbasis(int n, const double complex *U, const double complex *B,
                         double complex *C, double complex *tmp);
/* d = Re diag(A^dagger * B * A) (the diagonal of qkt_mat_to_eigbasis, same digits);
 * tmp: n*n scratch. */
void qkt_mat_to_eigbasis_diag(int n, const double complex *U, const double complex *B, double *d,
                              double complex *tmp);
/* C = A * B * A^dagger  (orbital form of an eigenbasis matrix B). */
void qkt_mat_to_orbbasis(int n, const double complex *U, const double complex *B,
                         double complex *C, double complex *tmp);

/* OpenBLAS threads inside qkt's OpenMP threads: the engine solves many small
 * (2-100 band) problems in parallel, where OpenBLAS's own threads only add
 * contention (Fe, 18 bands, 2 OpenMP threads: 13.6 s against 3.1 s).  Sets
 * OpenBLAS to one thread, once per process, unless OPENBLAS_NUM_THREADS (or
 * GOTO_NUM_THREADS) is set by the user.  Called by the engine's entry points
 * outside parallel regions. */
void qkt_blas_serial(void);

/* Band geometry in part: eigenpairs, and v_a, R_a for the directions a of the
 * bit mask dirs only (no curvature), for points where the rest is not read.
 * Returns the mask of directions computed (7, with the curvature, when the
 * model has A^W or dirs = 7); *st: the status.  qkt_bands_complete() then adds
 * the other directions and the curvature (have: the mask returned).  The
 * values are those of qkt_bands_compute(GEOMETRY), digit for digit. */
int qkt_bands_compute_dirs(qkt_bands_t *b, const qkt_model_t *m, const double k[3], int dirs, qkt_status_t *st);
void qkt_bands_complete(qkt_bands_t *b, int have);
/* Eigen-decomposition at k and the band velocities v_a^nn = Re <n|d_a H|n>
 * (vd[a * nb + n]; the diagonal of the velocity matrices of
 * QKT_BANDS_GEOMETRY, same digits, whose A^W term vanishes on the diagonal)
 * without the position matrix, connection and curvature.  b->v is
 * overwritten. */
qkt_status_t qkt_bands_velocities(qkt_bands_t *b, const qkt_model_t *m, const double k[3], double *vd);
/* The eigenbasis covariant second derivative of H at the point of b (computed
 * with all directions): W = U^dagger D_a D_nu H U with D X = d X - i [A^W, X]
 * (plain derivatives for models without A^W), so that W^mm is the derivative
 * of v_nu^mm's orbital form's trace and the analytic k-derivatives of the
 * response tree's nodes follow (engine/tree.c).  hk2: the model's order-2
 * output at b->k (H, 3 first, 6 second derivatives); tmp: 3 nb^2 scratch. */
void qkt_bands_cov_hessian(const qkt_bands_t *b, const double complex *hk2, int a, int nu, double complex *W,
                           double complex *tmp);
/* Test hook: seed != 0 makes every later eigen-decomposition (all threads)
 * multiply the eigenvectors of each degenerate group (qkt_bands_t.grp) by a
 * pseudo-random unitary matrix drawn from seed and k, a gauge choice that no
 * result may depend on; 0 turns it off.  Not for use during a computation. */
void qkt_bands_test_gauge(unsigned long seed);

/* Model registry entries, one per file in src/model/. */
extern const qkt_model_info_t qkt_model_weyl4, qkt_model_weyl2, qkt_model_node,
    qkt_model_dirac, qkt_model_parabolic, qkt_model_lattice_weyl, qkt_model_rashba2d,
    qkt_model_wannier;

/* Parameter access by name inside a model's setup/hk (index fixed by info). */
#define QKT_PAR(m, i) ((m)->par[(i)][0])
#define QKT_PARV(m, i) ((m)->par[(i)])

#endif

/* tables.h - the storage of a Wannier model's Fourier sums, shared by the
 * loader (wannier.c) and the sums themselves (fourier.c); private to
 * src/wannier. */
#ifndef QKT_WANNIER_TABLES_H
#define QKT_WANNIER_TABLES_H
#include "core/internal.h"

/* ------------------------------------------------------------------ storage
 * The Fourier sum is the hot loop.  Every operator kept here is a Hermitian
 * lattice sum, O(-R) = O(R)^dagger, so only half of the R set is stored
 * (R > 0 in lexicographic order, and R = 0 with weight 1/2):
 *   O(k) = sum_{R in half} [e^{ik.R} G(R) + (e^{ik.R} G(R))^dagger],
 * and likewise each k-derivative.  Only the upper triangle m <= n is summed:
 * with S = G_mn + G_nm, D = G_mn - G_nm and the phase c + i s,
 *   Re O_mn = sum (c S_r - s S_i),      Im O_mn = sum (s D_r + c D_i),
 *   d_a O_mn = sum i R_a [(c D_r - s D_i) + i (s S_r + c S_i)].
 * Pairs (m, n) are processed in chunks of CW lanes (the SIMD width, see
 * pick_kernels); for one chunk the four numbers S_r, S_i, D_r, D_i of all R
 * are contiguous,
 *   G[((chunk * nr) + r) * 4 * CW + {0, CW, 2 CW, 3 CW} + lane],
 * so a chunk's accumulators stay in registers while the R loop streams
 * through memory once.  O(k) is Hermitian by construction.  A non-Hermitian
 * position matrix (hermitize_position = 0) is split as r = h - i b with h
 * and b Hermitian lattice sums. */
#define MAXCW 8    /* widest SIMD lane count */
#define PTAB 64    /* largest |n_i| served by the per-axis phase tables */

typedef struct {
    int nr;          /* number of R vectors (half set) */
    int nplane;      /* 1 (H), 3 (position x, y, z) or 6 (h_xyz, b_xyz) */
    int *iR;         /* 3 nr lattice coordinates n_i of R = n_i a_i */
    double *Rc;      /* 3 nr Cartesian coordinates (Angstrom) */
    int lo[3], hi[3];/* range of iR per axis */
    double *G[6];    /* coefficient planes, layout above (aligned) */
    /* the R vectors are ordered by n_3: those with n_3 = g3lo + g are
     * [g3off[g], g3off[g + 1]) (ng3 groups, some empty) */
    int g3lo, ng3;
    int *g3off;
} fset_t;

typedef void (*kern_fn)(int n, const double *restrict g, const double *restrict pc,
                        const double *restrict ps, const double *restrict Rc, double *restrict acc);
typedef void (*comb_fn)(int ng, int blk, const double *restrict c3, const double *restrict s3,
                        const double *restrict q, double *restrict acc);

typedef struct {
    int nw, nel, npair, nchunk;
    int cw;                /* lanes per chunk (CW) */
    kern_fn kern[3];       /* Fourier-sum kernels for order 0, 1, 2 */
    kern_fn kernd[3];      /* the same for the phases e and i e at once (mesh lines) */
    comb_fn comb;          /* the sum along a mesh line from its partial sums */
    int *pm, *pn, *pe;     /* pair p = (pm[p], pn[p]), pm <= pn; pe = pm nw + pn */
    int nrpts;             /* R vectors in the file */
    double sum_inv_degen;  /* sum over the file's R of 1/ndegen */
    int use_ws;
    double avec[3][3];     /* lattice vectors (rows, Angstrom) */
    fset_t H, A;           /* A.nr == 0: no position matrix */
    unsigned long id;      /* distinct for every model loaded (workspaces check it) */
} wan_t;

/* The kernel set and lane count (CW) of this CPU (fourier.c). */
int qkt_wan_pick_kernels(kern_fn k[3], kern_fn kd[3], comb_fn *comb);
/* qkt_model_t.hk, .awk, and the workspace forms of Wannier models
 * (fourier.c): a workspace keeps the partial sums of a mesh line. */
typedef struct qkt_wan_ws qkt_wan_ws_t;
qkt_status_t qkt_wan_hk(const qkt_model_t *m, const double k[3], int order, double complex *out);
qkt_status_t qkt_wan_awk(const qkt_model_t *m, const double k[3], int order, double complex *out);
qkt_status_t qkt_wan_hk_ws(const qkt_model_t *m, void *ws, const double k[3], int order, double complex *out);
qkt_status_t qkt_wan_awk_ws(const qkt_model_t *m, void *ws, const double k[3], int order, double complex *out);
void *qkt_wan_ws_alloc(const qkt_model_t *m, int line_pts);
void qkt_wan_ws_free(void *ws);
#endif

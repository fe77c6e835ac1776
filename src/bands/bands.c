/* bands.c - band geometry at one k-point: eigenvalues and eigenvectors of
 * H(k), velocity matrices v_a = <m|d_a H|n>, the generalized Berry connection
 * R_a^{mn} = i<m|d_a H|n>/(eps_n - eps_m) (m != n) and the Berry curvature
 * Omega_c^m = -2 Im sum_n R_a^{mn} R_b^{nm} (abc cyclic), from exact
 * derivatives of H(k).  Block-diagonal models are diagonalized block by block.
 *
 * Models with a Wannier-gauge position matrix A^W(k) (Wannier90 _tb.dat):
 * the Hamiltonian-gauge connection is A^H = U^dagger A^W U + i U^dagger dU,
 * so the velocity matrix gains v_a^mn += i (eps_m - eps_n) Abar_a^mn (the
 * covariant derivative of H), R_a^mn = i v_a^mn/(eps_n - eps_m) then equals
 * Abar_a^mn + i <m|d_a H|n>/(eps_n - eps_m), and the band curvature is
 * Omega_c^m = Re(U^dagger F^W_c U)_mm - 2 Im sum_n R_a^mn R_b^nm with
 * F^W_c = d_a A^W_b - d_b A^W_a - i[A^W_a, A^W_b]: the covariance of the
 * non-abelian curvature, F^H = U^dagger F^W U (Wang, Yates, Souza, Vanderbilt,
 * PRB 74, 195118, Eqs. 27-32, in another arrangement). */
#include <stdint.h>
#include <stdlib.h>
#include "core/internal.h"

/* qkt_bands_test_gauge(): 0, or the seed of the rotations inside groups */
static unsigned long gauge_seed;

qkt_bands_t *qkt_bands_alloc(int nb)
{
    if (nb < 1) {
        qkt_error(QKT_EINVAL, "qkt_bands_alloc: nb = %d", nb);
        return NULL;
    }
    qkt_bands_t *b = calloc(1, sizeof *b);
    if (!b) goto fail;
    size_t n2 = (size_t)nb * nb;
    b->nb = nb;
    b->degen_tol = QKT_DEGEN_TOL_DEFAULT;
    b->eps = calloc(nb, sizeof(double));
    b->U = calloc(n2, sizeof(double complex));
    b->Hk = calloc(10 * n2, sizeof(double complex));
    b->Omega = calloc(3 * (size_t)nb, sizeof(double));
    b->block = calloc(nb, sizeof(int));
    b->tmp = calloc(n2, sizeof(double complex));
    b->OmegaW = calloc(3 * (size_t)nb, sizeof(double));
    b->AW = calloc(12 * n2, sizeof(double complex));
    b->grp = calloc(nb, sizeof(int));
    b->grp_end = calloc(nb, sizeof(int));
    b->epsg = calloc(nb, sizeof(double));
    b->Fblk = calloc(3 * n2, sizeof(double complex));
    if (!b->eps || !b->U || !b->Hk || !b->Omega || !b->block || !b->tmp || !b->OmegaW || !b->AW || !b->grp ||
        !b->grp_end || !b->Fblk || !b->epsg)
        goto fail;
    for (int a = 0; a < 3; a++) {
        b->v[a] = calloc(n2, sizeof(double complex));
        b->R[a] = calloc(n2, sizeof(double complex));
        b->Abar[a] = calloc(n2, sizeof(double complex));
        if (!b->v[a] || !b->R[a] || !b->Abar[a]) goto fail;
    }
    /* zheevd workspace for the largest block (nb) */
    b->lwork = 2 * nb + nb * nb;
    b->lrwork = 1 + 5 * nb + 2 * nb * nb;
    b->liwork = 3 + 5 * nb;
    b->work = calloc(b->lwork, sizeof(double complex));
    b->rwork = calloc(b->lrwork, sizeof(double));
    b->iwork = calloc(b->liwork, sizeof(int));
    if (!b->work || !b->rwork || !b->iwork) goto fail;
    return b;
fail:
    qkt_bands_free(b);
    qkt_error(QKT_ENOMEM, "out of memory allocating band workspace (nb = %d)", nb);
    return NULL;
}

void qkt_bands_free(qkt_bands_t *b)
{
    if (!b) return;
    free(b->eps);
    free(b->U);
    free(b->Hk);
    free(b->Omega);
    free(b->block);
    free(b->tmp);
    free(b->OmegaW);
    free(b->AW);
    free(b->grp);
    free(b->grp_end);
    free(b->epsg);
    free(b->Fblk);
    for (int a = 0; a < 3; a++) {
        free(b->v[a]);
        free(b->R[a]);
        free(b->Abar[a]);
    }
    free(b->work);
    free(b->rwork);
    free(b->iwork);
    if (b->mws) b->mws_free(b->mws);
    free(b);
}

/* the off-diagonal elements inside groups of U^dagger F^W_c U, with
 * F^W_c = Fo - i [A_a, A_b] (Fo the curl, Xa, Xb the rotated A^W): the part of
 * the group's non-abelian curvature that comes from A^W itself */
static void group_curvature_w(const qkt_bands_t *b, const double complex *Fo, const double complex *Xa,
                              const double complex *Xb, double complex *F)
{
    int nb = b->nb;
    for (int m = 0; m < nb; m++)
        for (int n = b->grp[m]; n < b->grp_end[m]; n++) {
            if (n == m) continue;
            double complex z = 0, cm = 0;
            for (int i = 0; i < nb; i++) {
                double complex t = 0;
                for (int j = 0; j < nb; j++) t += Fo[i * nb + j] * b->U[j * nb + n];
                z += conj(b->U[i * nb + m]) * t;
            }
            for (int l = 0; l < nb; l++) cm += Xa[m * nb + l] * Xb[l * nb + n] - Xb[m * nb + l] * Xa[l * nb + n];
            F[m * nb + n] = z - I * cm;
        }
}

/* the model's workspace for this band workspace (made on first use), or NULL */
static void *model_ws(qkt_bands_t *b, const qkt_model_t *m)
{
    if (!m->ws_alloc || b->use_model_ws <= 0) return NULL;
    if (b->mws_model != m || b->mws_lines != b->use_model_ws) {
        if (b->mws) b->mws_free(b->mws);
        b->mws = m->ws_alloc(m, b->use_model_ws);
        b->mws_free = m->ws_free;
        b->mws_model = m;
        b->mws_lines = b->use_model_ws;
    }
    return b->mws;
}

/* A^W terms at k: Abar, the covariant velocity and OmegaW (see the header) */
static qkt_status_t position_terms(qkt_bands_t *b, const qkt_model_t *m, const double k[3])
{
    int nb = b->nb;
    size_t n2 = (size_t)nb * nb;
    void *ws = model_ws(b, m);
    qkt_status_t s = ws && m->awk_ws ? m->awk_ws(m, ws, k, 1, b->AW) : m->awk(m, k, 1, b->AW);
    if (s) return s;
    for (int a = 0; a < 3; a++) {
        qkt_mat_to_eigbasis(nb, b->U, b->AW + a * n2, b->Abar[a], b->tmp);
        for (int i = 0; i < nb; i++)
            for (int j = 0; j < nb; j++)
                if (i != j) b->v[a][i * nb + j] += I * (b->epsg[i] - b->epsg[j]) * b->Abar[a][i * nb + j];
    }
    /* Re (U^dagger F_c U)_mm with F_c = d_a A_b - d_b A_a - i [A_a, A_b]:
     * the curl through one product with U (R[0] as scratch for it), the
     * commutator from the rotated Abar, U^dagger [A_a, A_b] U = [Abar_a,
     * Abar_b] (U unitary), whose diagonal costs nb^2 instead of nb^3 */
    double complex *Fo = b->R[0];
    for (int c = 0; c < 3; c++) {
        int a = (c + 1) % 3, bb = (c + 2) % 3;
        const double complex *dAb_a = b->AW + (3 + 3 * bb + a) * n2; /* d_a A_b */
        const double complex *dAa_b = b->AW + (3 + 3 * a + bb) * n2; /* d_b A_a */
        for (size_t e = 0; e < n2; e++) Fo[e] = dAb_a[e] - dAa_b[e];
        double *om = b->OmegaW + c * nb;
        const double complex *Xa = b->Abar[a], *Xb = b->Abar[bb];
        if (b->ngrp) group_curvature_w(b, Fo, Xa, Xb, b->Fblk + c * n2);
        qkt_mat_to_eigbasis_diag(nb, b->U, Fo, om, b->tmp);
        for (int mm = 0; mm < nb; mm++) {
            double complex cm = 0;
            for (int l = 0; l < nb; l++) cm += Xa[mm * nb + l] * Xb[l * nb + mm] - Xb[mm * nb + l] * Xa[l * nb + mm];
            om[mm] += cimag(cm); /* Re(-i cm) */
        }
    }
    return QKT_OK;
}

/* velocity and connection along the directions of the mask dirs (bit a: a) */
static void geometry_dirs(qkt_bands_t *b, int dirs)
{
    int nb = b->nb;
    size_t n2 = (size_t)nb * nb;
    for (int a = 0; a < 3; a++)
        if (dirs >> a & 1) qkt_mat_to_eigbasis(nb, b->U, b->Hk + (1 + a) * n2, b->v[a], b->tmp);
}

/* R_a = i v_a/(eps_n - eps_m) off the diagonal, inside blocks, for the
 * directions of the mask; count_degen: also count the degenerate pairs */
static void connection_dirs(qkt_bands_t *b, int dirs, int count_degen)
{
    int nb = b->nb;
    for (int m1 = 0; m1 < nb; m1++)
        for (int n1 = 0; n1 < nb; n1++) {
            if (m1 == n1 || b->block[m1] != b->block[n1]) {
                for (int a = 0; a < 3; a++)
                    if (dirs >> a & 1) b->R[a][m1 * nb + n1] = 0;
                continue;
            }
            double de = b->epsg[n1] - b->epsg[m1];
            if (b->grp[m1] == b->grp[n1]) {
                if (m1 < n1 && count_degen) b->ndegen++;
                for (int a = 0; a < 3; a++)
                    if (dirs >> a & 1) b->R[a][m1 * nb + n1] = 0;
                continue;
            }
            /* R = i v / de, written out on real and imaginary parts (the
             * digits of the complex expression, without a library call per
             * product) */
            for (int a = 0; a < 3; a++) {
                if (!(dirs >> a & 1)) continue;
                const double *v = (const double *)&b->v[a][m1 * nb + n1];
                double *r = (double *)&b->R[a][m1 * nb + n1];
                double re = 0 * v[0] - v[1], im = 0 * v[1] + v[0];
                r[0] = re / de;
                r[1] = im / de;
            }
        }
}

/* the off-diagonal elements inside groups of the non-abelian curvature,
 * F_c^mn = i sum_l (R_a^ml R_b^ln - R_b^ml R_a^ln) (l outside the group:
 * R vanishes inside it) + (U^dagger F^W_c U)^mn, whose diagonal is Omega_c^m */
static void group_curvature(qkt_bands_t *b)
{
    int nb = b->nb;
    size_t n2 = (size_t)nb * nb;
    for (int c = 0; c < 3; c++) {
        int a = (c + 1) % 3, bb = (c + 2) % 3;
        const double complex *Ra = b->R[a], *Rb = b->R[bb];
        double complex *F = b->Fblk + c * n2;
        for (int m = 0; m < nb; m++)
            for (int n = b->grp[m]; n < b->grp_end[m]; n++) {
                if (n == m) continue;
                double complex z = 0;
                for (int l = 0; l < nb; l++) z += Ra[m * nb + l] * Rb[l * nb + n] - Rb[m * nb + l] * Ra[l * nb + n];
                F[m * nb + n] = I * z + (b->has_aw ? F[m * nb + n] : 0);
            }
    }
}

static void curvature(qkt_bands_t *b)
{
    int nb = b->nb;
    static const int cyc1[3] = {1, 2, 0}, cyc2[3] = {2, 0, 1};
    for (int mm = 0; mm < nb; mm++)
        for (int c = 0; c < 3; c++) {
            int a = cyc1[c], bb = cyc2[c];
            double sum = 0;
            for (int n1 = 0; n1 < nb; n1++) {
                /* Im(R_a^{m n} R_b^{n m}) */
                const double *x = (const double *)&b->R[a][mm * nb + n1], *y = (const double *)&b->R[bb][n1 * nb + mm];
                sum += x[0] * y[1] + x[1] * y[0];
            }
            b->Omega[c * nb + mm] = -2 * sum + (b->has_aw ? b->OmegaW[c * nb + mm] : 0);
        }
    if (b->ngrp) group_curvature(b);
}

/* a pseudo-random number in [-1, 1) from the state x (splitmix64) */
static double rnd(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-52 - 1;
}

/* the test hook: eigenvectors of the group [g0, g1) times a random unitary Q
 * (Gram-Schmidt on a random complex matrix), drawn from the seed and k so
 * that the result does not depend on the thread */
static void gauge_rotate(qkt_bands_t *b, int g0, int g1)
{
    int nb = b->nb, d = g1 - g0;
    uint64_t x = gauge_seed * 0x2545f4914f6cdd1dULL + (uint64_t)g0;
    for (int a = 0; a < 3; a++) {
        uint64_t bits;
        memcpy(&bits, &b->k[a], sizeof bits);
        x = x * 0x100000001b3ULL ^ bits;
    }
    double complex *Q = b->work, *col = b->tmp; /* eigh's workspace is free again */
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) Q[i * d + j] = rnd(&x) + I * rnd(&x);
        for (int p = 0; p < i; p++) { /* orthogonalize row i against rows p < i */
            double complex z = 0;
            for (int j = 0; j < d; j++) z += conj(Q[p * d + j]) * Q[i * d + j];
            for (int j = 0; j < d; j++) Q[i * d + j] -= z * Q[p * d + j];
        }
        double nrm = 0;
        for (int j = 0; j < d; j++) nrm += creal(Q[i * d + j] * conj(Q[i * d + j]));
        for (int j = 0; j < d; j++) Q[i * d + j] /= sqrt(nrm);
    }
    /* columns g0..g1-1 of U: U'_{r, g0+j} = sum_i U_{r, g0+i} Q_{ij} */
    for (int r = 0; r < nb; r++) {
        for (int j = 0; j < d; j++) {
            double complex z = 0;
            for (int i = 0; i < d; i++) z += b->U[r * nb + g0 + i] * Q[i * d + j];
            col[j] = z;
        }
        for (int j = 0; j < d; j++) b->U[r * nb + g0 + j] = col[j];
    }
}

/* degenerate groups: consecutive bands of one block (sorted by energy inside
 * it) with gaps <= degen_tol; the test hook rotates inside each */
static void groups(qkt_bands_t *b, int vectors)
{
    int nb = b->nb;
    b->ngrp = 0;
    for (int m = 0; m < nb;) {
        int e = m + 1;
        while (e < nb && b->block[e] == b->block[m] && fabs(b->eps[e] - b->eps[e - 1]) <= b->degen_tol) e++;
        double se = 0;
        for (int j = m; j < e; j++) {
            b->grp[j] = m;
            b->grp_end[j] = e;
            se += b->eps[j];
        }
        for (int j = m; j < e; j++) b->epsg[j] = e - m > 1 ? se / (e - m) : b->eps[j];
        if (e - m > 1) {
            b->ngrp++;
            if (gauge_seed && vectors) gauge_rotate(b, m, e);
        }
        m = e;
    }
}

void qkt_bands_test_gauge(unsigned long seed)
{
    gauge_seed = seed;
}

/* eigenpairs and H(k), dH/dk (what = 1) */
static qkt_status_t eigen(qkt_bands_t *b, const qkt_model_t *m, const double k[3], int what)
{
    int nb = m->nb;
    if (nb != b->nb) return qkt_error(QKT_EINVAL, "band workspace for %d bands used with %d", b->nb, nb);
    size_t n2 = (size_t)nb * nb;
    int order = what != QKT_BANDS_GEOMETRY ? 0 : b->hk_order >= 2 ? 2 : 1;
    qkt_status_t (*solve)(int, double complex *, double *, qkt_bands_t *) =
        what == QKT_BANDS_EIGVALS ? qkt_eigvalsh : qkt_eigh;
    /* the model's H(k) with qkt_model_hk's check for non-finite entries done
     * here in one branch-free pass (x - x is NaN for NaN or infinite x); on a
     * non-finite entry qkt_model_hk is called for its diagnosis */
    void *ws = model_ws(b, m);
    qkt_status_t s = ws && m->hk_ws ? m->hk_ws(m, ws, k, order, b->Hk) : m->hk(m, k, order, b->Hk);
    if (s) return s;
    {
        const double *h = (const double *)b->Hk;
        size_t nd = 2 * (size_t)(order == 0 ? 1 : order == 1 ? 4 : 10) * n2;
        double z[4] = {0, 0, 0, 0}; /* four independent sums of zeros (or NaN) */
        size_t i = 0;
        for (; i + 4 <= nd; i += 4)
            for (int j = 0; j < 4; j++) z[j] += h[i + j] - h[i + j];
        for (; i < nd; i++) z[0] += h[i] - h[i];
        if (!(z[0] + z[1] + z[2] + z[3] == 0)) {
            s = qkt_model_hk(m, k, order, b->Hk);
            if (s) return s;
        }
    }
    memcpy(b->k, k, sizeof b->k);
    if (m->nblock <= 1) {
        /* one block: diagonalize in place in U */
        memcpy(b->U, b->Hk, n2 * sizeof(double complex));
        s = solve(nb, b->U, b->eps, b);
        if (s) return s;
        for (int j = 0; j < nb; j++) b->block[j] = 0;
        for (int i = 0; i < nb; i++)
            if (!isfinite(b->eps[i])) return qkt_error(QKT_ENUM, "non-finite eigenvalue at k = (%g, %g, %g)", k[0], k[1], k[2]);
        b->ndegen = 0;
        groups(b, what != QKT_BANDS_EIGVALS);
        return QKT_OK;
    }
    memset(b->U, 0, n2 * sizeof(double complex));
    /* diagonalize block by block; blocks keep their band order */
    for (int bl = 0; bl < m->nblock; bl++) {
        int o0 = m->block_off[bl], nbl = m->block_off[bl + 1] - o0;
        double complex *A = b->R[0]; /* scratch until R is computed below */
        for (int i = 0; i < nbl; i++)
            for (int j = 0; j < nbl; j++) A[i * nbl + j] = b->Hk[(o0 + i) * nb + o0 + j];
        s = solve(nbl, A, b->eps + o0, b);
        if (s) return s;
        for (int i = 0; i < nbl; i++)
            for (int j = 0; j < nbl; j++) b->U[(o0 + i) * nb + o0 + j] = A[i * nbl + j];
        for (int j = 0; j < nbl; j++) b->block[o0 + j] = bl;
    }
    for (int i = 0; i < nb; i++)
        if (!isfinite(b->eps[i])) return qkt_error(QKT_ENUM, "non-finite eigenvalue at k = (%g, %g, %g)", k[0], k[1], k[2]);
    b->ndegen = 0;
    groups(b, what != QKT_BANDS_EIGVALS);
    return QKT_OK;
}

qkt_status_t qkt_bands_compute(qkt_bands_t *b, const qkt_model_t *m, const double k[3], int what)
{
    qkt_status_t s = eigen(b, m, k, what);
    if (s || what != QKT_BANDS_GEOMETRY) return s;
    geometry_dirs(b, 7);
    b->has_aw = m->awk != NULL;
    if (b->has_aw) {
        s = position_terms(b, m, k);
        if (s) return s;
    }
    connection_dirs(b, 7, 1);
    curvature(b);
    return QKT_OK;
}

qkt_status_t qkt_bands_velocities(qkt_bands_t *b, const qkt_model_t *m, const double k[3], double *vd)
{
    int hk_order = b->hk_order;
    b->hk_order = 0; /* H and d_a H only */
    qkt_status_t s = eigen(b, m, k, QKT_BANDS_GEOMETRY);
    b->hk_order = hk_order;
    if (s) return s;
    /* the whole matrices (into v), so that the diagonal has the digits of
     * QKT_BANDS_GEOMETRY's */
    int nb = b->nb;
    size_t n2 = (size_t)nb * nb;
    for (int a = 0; a < 3; a++) {
        qkt_mat_to_eigbasis(nb, b->U, b->Hk + (1 + a) * n2, b->v[a], b->tmp);
        for (int n = 0; n < nb; n++) vd[a * nb + n] = creal(b->v[a][n * nb + n]);
    }
    return QKT_OK;
}

int qkt_bands_compute_dirs(qkt_bands_t *b, const qkt_model_t *m, const double k[3], int dirs, qkt_status_t *st)
{
    if (m->awk || dirs == 7) {
        *st = qkt_bands_compute(b, m, k, QKT_BANDS_GEOMETRY);
        return 7;
    }
    *st = eigen(b, m, k, QKT_BANDS_GEOMETRY);
    if (*st) return 0;
    b->has_aw = 0;
    geometry_dirs(b, dirs);
    connection_dirs(b, dirs, 1);
    return dirs;
}

void qkt_bands_complete(qkt_bands_t *b, int have)
{
    if (have == 7) return;
    geometry_dirs(b, 7 & ~have);
    connection_dirs(b, 7 & ~have, 0);
    curvature(b);
}

/* W = h_anu - i [Abar'_anu, E] - i [Abar_nu, h_a] - i [Abar_a, V_nu] (eigenbasis):
 * D_a (d_nu H - i [A_nu, H]) - i [A_a, .] written out, with h = U^dagger d H U
 * (h_a = v_a - i (eps_m - eps_n) Abar_a off the diagonal), Abar' = U^dagger
 * d_a A_nu U and E = diag(epsg), the energies of v's A^W term (equal to eps
 * where the engine calls it: points without degenerate groups) */
void qkt_bands_cov_hessian(const qkt_bands_t *b, const double complex *hk2, int a, int nu, double complex *W,
                           double complex *tmp)
{
    int nb = b->nb;
    size_t n2 = (size_t)nb * nb;
    qkt_mat_to_eigbasis(nb, b->U, hk2 + (4 + qkt_pair_index(a, nu)) * n2, W, tmp);
    if (!b->has_aw) return;
    double complex *ha = tmp + n2, *C = tmp + 2 * n2;
    /* -i [Abar'_anu, E]^mn = -i Abar'^mn (e_n - e_m) */
    qkt_mat_to_eigbasis(nb, b->U, b->AW + (3 + 3 * nu + a) * n2, C, tmp);
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++) W[m * nb + n] += -I * C[m * nb + n] * (b->epsg[n] - b->epsg[m]);
    for (int m = 0; m < nb; m++)
        for (int n = 0; n < nb; n++)
            ha[m * nb + n] = b->v[a][m * nb + n] - (m == n ? 0 : I * (b->epsg[m] - b->epsg[n]) * b->Abar[a][m * nb + n]);
    qkt_mat_comm(nb, b->Abar[nu], ha, C);
    for (size_t e = 0; e < n2; e++) W[e] += -I * C[e];
    qkt_mat_comm(nb, b->Abar[a], b->v[nu], C);
    for (size_t e = 0; e < n2; e++) W[e] += -I * C[e];
}

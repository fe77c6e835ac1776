/* kernel.h - the disorder kernel of short-range scalar impurities (Born
 * approximation): its energy tables of orbital matrices (the data), and what
 * the response tree needs of it at one k-point: the kernel at the band
 * energies, the Born rate, the vertex J of a diagonal node, the adjoint
 * vertex weights vj, and the integrands of the tabulation passes.  The
 * tables are built, by integrating these integrands, in src/response/tables.c. */
#ifndef QKT_DISORDER_KERNEL_H
#define QKT_DISORDER_KERNEL_H
#include "core/internal.h"
#include "core/chebyshev.h"

/* Short-range scalar disorder (Born approximation): the ladder vertex J(n_E)
 * of Eq. (16) factorizes into orbital matrices of energy,
 *   G(e) = sum_m int P_m(k) delta(e - eps_m(k)),
 *   Nt_nu(e) = sum_m int phi_nu^m(k) P_m(k) delta(e - eps_m(k)),
 * where n_E^m = f0'(eps_m) phi_nu^m is the diagonal node per unit E along nu:
 * phi = v_nu^m with a unit relaxation time (rules rta, paper, valley), and the
 * Born solution phi = tau_m (v_nu^m + 2 pi nimp_U0sq <m|Nt_nu(eps_m)|m>) with
 * 1/tau_m = 2 pi nimp_U0sq <m|G(eps_m)|m> under rule born (Eq. 56).
 * Tabulated at Chebyshev nodes of the thermal window.
 *
 * The vertex of any other diagonal node n (order B^1: n_EB, whose entries on
 * band m carry f0' of the other bands' energies, so that its N(e) is not
 * confined to the thermal window) is taken on the velocity side: with
 *   Q_mu^m(k) = sum_{m' != m} R_mu^{m'm} |m'><m| + h.c.,  R^{m'm} = i v^{m'm}/(eps_m - eps_m'),
 *   Qt_mu(e) = sum_m int Q_mu^m delta(e - eps_m),
 * the current of S_J = -P^-1 J(n) is exactly
 *   -Tr[v_mu S_J] = sum_k sum_m n^m vj_mu^m,
 *   vj_mu^m = -pi nimp_U0sq (Tr[G(eps_m) Q_mu^m] - <m|Qt_mu(eps_m)|m>),
 * which needs G and Qt at the energies of the bands that carry n: the thermal
 * window, and extra energy segments found from the band energies on the
 * Fermi-surface cells (response.c).  tail: an interpolation-error bound per
 * segment (relative to the largest tabulated entry). */
#define QKT_VT_NODES 12
#define QKT_VT_MAXSEG QKT_MAX_VSEG
struct qkt_vseg {
    double emin, emax;
    double x[QKT_VT_NODES];       /* nodes (energies) */
    double complex *G;            /* [n][nb*nb] orbital */
    double complex *Qt;           /* [n][3][nb*nb] orbital */
    /* Chebyshev series on x = (e - centre)/half-width of the four tables G,
     * Qt_x, Qt_y, Qt_z: cf[k][q][nb*nb], k = 0..n-1 (sum_k cf_k T_k(x)), and
     * cf2 the same for their second derivatives in x */
    double complex *cf, *cf2;
    double gmax, qmax;            /* largest |entry| of G over the nodes; of Qabs = sum_m int
                                     |Q^m| delta (the scale of Qt, whose entries may cancel) */
    double gtail, qtail;          /* error bounds per entry (interpolation, smearing, integration) */
    double gerr, qerr;            /* the tabulation integrals' errors per entry */
};
struct qkt_vtable {
    int n, nb;
    int born;                     /* 1: Nt holds the Born solution (rule born) */
    double emin, emax;
    double x[QKT_VT_NODES];       /* nodes (energies) */
    double complex *G;            /* [n][nb*nb] orbital */
    double complex *Nt;           /* [n][3][nb*nb] orbital */
    /* adjoint tables for vj: seg[0] is the thermal window (G shared with the above) */
    int nseg;
    struct qkt_vseg seg[QKT_VT_MAXSEG];
};

/* Rule born, tabulation pass 2.  Hermitian nb x nb matrices X are written in
 * the orthonormal basis B_a (Tr B_a B_b = delta_ab): E_ii, then for i < j
 * (E_ij + E_ji)/sqrt 2 and i (E_ij - E_ji)/sqrt 2, with real coordinates
 * x_a = Tr(B_a X), so Tr(P X) = sum_a p_a x_a.  nh = nb^2 coordinates.  At a
 * node energy e the pass integrates, with delta(e - eps) smeared by -f0' at
 * T/4 and tau_m = 1/(2 pi nimp_U0sq <m|G(e)|m>):
 *   M_ab = sum_m int tau_m p_a p_b delta       (a <= b, nM = nh (nh + 1)/2 values)
 *   A_nu,a = sum_m int tau_m v_nu^m p_a delta  (3 nh values)
 *   Aref = sum_m int tau_m |v^m| delta         (scale of the drive)
 * and the shell equation (I - 2 pi nimp_U0sq M) Nt_nu = A_nu is solved. */
static inline int qkt_born_nh(int nb) { return nb * nb; }
static inline int qkt_born_nM(int nb) { return nb * nb * (nb * nb + 1) / 2; }
static inline int qkt_born_block(int nb)
{
    int a = qkt_born_nM(nb), b = 3 * qkt_born_nh(nb) + 1;
    return a > b ? a : b;
}
/* index of M_ab (a <= b) in the packed upper triangle */
static inline int qkt_born_mi(int nh, int a, int b) { return a * nh - a * (a - 1) / 2 + (b - a); }
/* coordinates p[nh] of the projector on column m of U (nb x nb, columns = bands) */
void qkt_born_coords(int nb, const double complex *U, int m, double *p);
/* orbital matrix X (nb x nb) from coordinates x[nh] */
void qkt_born_matrix(int nb, const double *x, double complex *X);

/* ---- the kernel at one k-point ------------------------------------------- */
typedef struct {
    const struct qkt_vtable *vt;
    double nimp_U0sq, T;
    int nb, nb2;
    /* the kernel at the band energies, eigenbasis at k: vG[m] = G(eps_m),
     * vN[m][inu] = Nt_nu(eps_m); vok[m]: band m in the table range with f0' != 0 */
    double complex *vG, *vN;
    int *vok;
    /* adjoint vertex weights vj[mu][m], their signed error estimates vjd
     * (interpolation), vjs (smearing) and bound vje; vjok[m]: eps_m lies in
     * a tabulated segment */
    double *vj, *vjd, *vjs, *vje;
    int *vjok;
    double complex *vjm, *vjg, *B1, *B2, *T1, *T2; /* scratch */
    double *hp;                                     /* nb^2 coordinates (tabulation pass 2) */
} qkt_vertex_ws_t;

/* workspace of the kernel at k for nb bands (vt may be NULL: tabulation passes) */
qkt_vertex_ws_t *qkt_vertex_ws_alloc(int nb, const struct qkt_vtable *vt, double nimp_U0sq, double T);
void qkt_vertex_ws_free(qkt_vertex_ws_t *x);
/* the kernel at the band energies of b (fp[m] = f0'(eps_m)) for the nnu E
 * directions nu */
void qkt_vertex_prep(qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, int nnu, const int *nu);
/* Born rate 1/tau_m = 2 pi nimp_U0sq <m|G(eps_m)|m> (0 outside the table) */
double qkt_vertex_born_rate(const qkt_vertex_ws_t *x, int m);
/* rule born: phi^m = tau_m (v_nu^m + 2 pi nimp_U0sq <m|Nt_nu(eps_m)|m>) into phi[nb] */
void qkt_vertex_born_phi(const qkt_vertex_ws_t *x, const qkt_bands_t *b, int in, int nu, double *phi);
/* J(n) of the diagonal node n^m = nmv[m] (Eq. 16), eigenbasis, off-diagonal:
 * J^{mm'} = pi nimp_U0sq [n^m G(e_m) - f'_m Nt(e_m) + (m <-> m')]^{mm'} */
void qkt_vertex_j(const qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, int in, const double *nmv,
                  double complex *out);
/* the adjoint weights vj (and their estimates) of every band of b */
void qkt_vertex_vj(qkt_vertex_ws_t *x, const qkt_bands_t *b);
/* sum_m d^m vj^m into out[mu]; signed estimates into oe[mu], oe[stride + mu],
 * the bound into oe[2 stride + mu]; sum |d||v| outside the tables into
 * drop[0], over all bands into drop[1] */
void qkt_vertex_tally_vj(const qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *d, double *out, double *oe,
                         size_t stride, double *drop);
/* Integrands of the tabulation passes at one k-point (weights -fp[m]):
 * pass 1, G, Nt_x,y,z and Qt_x,y,z (real and imaginary parts, 2 nb^2 each)
 * and the scale Qabs into out; pass 2 (rule born), the shell operator M into
 * oM and the drive A into oA, with G at the node energy Gn */
void qkt_vertex_tab1(qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, double *out);
void qkt_vertex_tab2(qkt_vertex_ws_t *x, const qkt_bands_t *b, const double *fp, const double complex *Gn, double *oM,
                     double *oA);

#endif

/* layout.h - the vector of integrated quantities (tallies) of the response
 * tree: the paths of each order, pocket sums and diagnostics, with their
 * offsets in one array.  All quantities in units hbar = e = 1 of the model. */
#ifndef QKT_ENGINE_LAYOUT_H
#define QKT_ENGINE_LAYOUT_H
#include "core/internal.h"

/* ---- response-tree paths --------------------------------------------------
 * Order 0 (one per E direction nu):  nE (Drude), SE (intrinsic interband),
 *   SJ (extrinsic interband: -P^-1 J(nE), vertex correction).
 * Order 1 (per nu and B component alpha): children of nE: nL (D_B^d, Lorentz),
 *   SnE (D_B^o), xiE (Berry);  children of SE/SJ: nA (FS part of D_B^d,
 *   anomaly) and SS (D_B^o).
 * Order 2 (per nu, alpha, beta): children {n, S, xi} of each order-1 node.
 * Pocket modes u_p (rule valley) have children {n, S, xi} too. */
enum { T0_NE, T0_SE, T0_SJ, T0_N };
enum { T1_NL, T1_SNE, T1_XIE, T1_NA, T1_SS, T1_N };
/* diagonal order-1 nodes of the reciprocal completion (docs/method.md): the
 * Fermi-sea remainder of the anomaly drive D_B^d(S_E), and D_E^d acting on the
 * field's equilibrium coherence S_B = P^-1 D_B(rho0); both relaxed by tau */
enum { X1_SEA, X1_NBE, X1_N };
enum { CH_N, CH_S, CH_XI, CH_NCHILD };
/* order-1 diagonal nodes whose vertex -P^-1 J(n) is tallied (paths "...>SJ") */
enum { J1_NL, J1_NA, J1_NSJ, J1_N };
/* order-1 children of the vertex part S_J(n_E) of rho_E under D_B: its
 * diagonal (a Fermi-surface drive, relaxed like the anomaly node) and P^-1 of
 * its off-diagonal part */
enum { SJ1_N, SJ1_S, SJ1_NCHILD };
#define T2_N (T1_N * CH_NCHILD)

/* diagonal nodes among order-1 nodes (parents of xi children) */
static inline int qkt_t1_is_diag(int t) { return t == T1_NL || t == T1_XIE || t == T1_NA; }

/* Layout of the integrand's output vector (all offsets into one array). */
typedef struct {
    int order, npk, dim;
    int nnu, nal;           /* number of E directions and B components */
    int nu[3], al[3];       /* the Cartesian directions */
    int bonly;              /* CME mode: B only, no E */
    int valley;             /* pocket-mode children are needed (rule valley) */
    int vtab;               /* tabulation pass of the disorder kernel: 1 (G, Nt), 2 (rule born:
                               the shell operator M and drive A, see qkt_born_tab_*) */
    int o_vtab;             /* pass 1: [7][2][nb*nb]: G, Nt_x,y,z and Qt_x,y,z, real and imaginary
                               parts, then the scale Qabs (1 value);
                               pass 2: [2][vtab_block]: M, then A_x,y,z and the scale Aref */
    int vtab_block;         /* pass 1: 2 nb^2, size of one tabulated matrix; pass 2: max(nM, 3 nh + 1) */
    int born;               /* n_E from the Born collision operator (rule born): tally the
                               Born relaxation rate at o_born */
    int brate;              /* tally the Born relaxation rate at o_born (rule born, tau_from_disorder) */
    int o_born;             /* sum_k -f0' / tau_m(k) (1 value) */
    int recip;              /* order 1 completed for Onsager reciprocity (run.expansion =
                               reciprocal): tally the X1_* nodes at o_x1 */
    int o_x1;               /* sigma contributions [X1_N][nu][al][mu] */
    int vj;                 /* vertex on the velocity side (needs tp.vt with the adjoint tables):
                               S_J of order 0 again at o_j0; at order 1 the vertex of the
                               order-1 diagonal nodes, -P^-1 K^od n_EB (Eq. 54), at o_j1 */
    int o_j1;               /* [4][J1_N][nu][al][mu]: sigma contributions, then their error
                               estimates (L_j1err) */
    int o_uj1;              /* [4][pk][mu]: the same for the pocket modes u_p (rule valley) */
    int o_sj1;              /* [SJ1_NCHILD][nu][al][mu]: sigma of the children of S_J(n_E) (order 1) */
    int o_psj, o_asj;       /* [nu][al][pk]: pocket sums (and |.|) of the n child of S_J(n_E) */
    int o_j0;               /* [4][nu][mu]: S_J of order 0 again, by the adjoint route (a check),
                               and its error estimates (as L_j1err) */
    int o_jdrop;            /* sum |n| |v| of the J nodes on bands outside the adjoint tables, and on
                               all bands [2] */
    /* offsets */
    int o_s0, o_s1, o_s2;   /* sigma contributions [path][nu][mu] etc. */
    int o_p1, o_p2;         /* pocket sums of n drivings [ord1 n-path][nu][al][pk] */
    int o_a1, o_a2;         /* |.| of the same (scale for the nonzero test) */
    int o_sea1, o_sea2;     /* pocket sums of dropped Fermi-sea remainders */
    int o_u1, o_u2;         /* pocket mode u_p: sigma of u_p [pk][mu]; children [pk][al][child][mu] */
    int o_up2;              /* pocket sums of u_p's n-child driving [pk][al][pk'] */
    int o_norm;             /* pocket norms sum_k -f0' [pk] */
    int o_chir;             /* pocket Berry flux  sum_k f0' v.Omega [pk] */
    int o_cme;              /* CME: j_S[3], j_xi[3] */
    int o_streda;           /* Tr xi_B per unit B_alpha: [3] */
    int o_pump67;           /* Eq. 67 integrand per pocket [pk][nu][al] */
    int o_dos;              /* density of states sum_k -f0' (all bands) and density sum f0 */
    int fdim;
} qkt_layout_t;

void qkt_layout_init(qkt_layout_t *L, int order, int dim, int npk, int bonly,
                     const int *nu, int nnu, const int *al, int nal);

/* index helpers (compact: only the computed directions are stored) */
static inline int L_P(const qkt_layout_t *L) { return L->npk > 0 ? L->npk : 1; }
static inline int L_s0(const qkt_layout_t *L, int t, int inu, int mu)
{ return L->o_s0 + (t * L->nnu + inu) * 3 + mu; }
static inline int L_x1(const qkt_layout_t *L, int t, int inu, int ia, int mu)
{ return L->o_x1 + ((t * L->nnu + inu) * L->nal + ia) * 3 + mu; }
static inline int L_j1(const qkt_layout_t *L, int j, int inu, int ia, int mu)
{ return L->o_j1 + ((j * L->nnu + inu) * L->nal + ia) * 3 + mu; }
/* the error estimates of the J paths: k = 1 (interpolation, signed), 2
 * (smearing, signed), 3 (tabulation integrals, bound) */
static inline int L_j1stride(const qkt_layout_t *L) { return J1_N * L->nnu * L->nal * 3; }
static inline int L_j1err(const qkt_layout_t *L, int j, int inu, int ia, int mu, int k)
{ return L_j1(L, j, inu, ia, mu) + k * L_j1stride(L); }
static inline int L_sj1(const qkt_layout_t *L, int c, int inu, int ia, int mu)
{ return L->o_sj1 + ((c * L->nnu + inu) * L->nal + ia) * 3 + mu; }
static inline int L_s1(const qkt_layout_t *L, int t, int inu, int ia, int mu)
{ return L->o_s1 + ((t * L->nnu + inu) * L->nal + ia) * 3 + mu; }
static inline int L_s2(const qkt_layout_t *L, int t, int inu, int ia, int ib, int mu)
{ return L->o_s2 + (((t * L->nnu + inu) * L->nal + ia) * L->nal + ib) * 3 + mu; }
/* pocket tallies: order 1 by n-path t, order 2 by the parent t of the n child */
static inline int L_q1(const qkt_layout_t *L, int t, int inu, int ia)
{ return ((t * L->nnu + inu) * L->nal + ia) * L_P(L); }
static inline int L_q2(const qkt_layout_t *L, int t, int inu, int ia, int ib)
{ return (((t * L->nnu + inu) * L->nal + ia) * L->nal + ib) * L_P(L); }
static inline int L_u2(const qkt_layout_t *L, int q, int ib)
{ return L->o_u2 + (q * L->nal + ib) * CH_NCHILD * 3; }
static inline int L_up2(const qkt_layout_t *L, int q, int ib)
{ return L->o_up2 + (q * L->nal + ib) * L_P(L); }

#endif

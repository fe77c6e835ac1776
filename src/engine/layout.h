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
 * field's equilibrium coherence S_B = P^-1 D_B(rho0); with the equilibrium
 * expansion also D_E^d acting on D_B, the band-diagonal part of the field's
 * equilibrium density matrix (docs/physics.md); all relaxed by tau */
enum { X1_SEA, X1_NBE, X1_NDB, X1_N };
enum { CH_N, CH_S, CH_XI, CH_NCHILD };
/* order-1 diagonal nodes whose vertex -P^-1 J(n) is tallied (paths "...>SJ") */
enum { J1_NL, J1_NA, J1_NSJ, J1_N };
/* order-1 children of the vertex part S_J(n_E) of rho_E under D_B: its
 * diagonal (a Fermi-surface drive, relaxed like the anomaly node) and P^-1 of
 * its off-diagonal part */
enum { SJ1_N, SJ1_S, SJ1_NCHILD };
#define T2_N (T1_N * CH_NCHILD)
/* the B-only currents (qkt cme), per B component: the seed's S_B (Eq. 42)
 * and its Fermi-sea part (the Fermi-surface part is their difference), xi_B
 * (Eq. 43); the equilibrium rho_B's interband part (S_B again, from divided
 * differences of the unwindowed occupation: no 1/(eps_m - eps_n) spikes at
 * near-degenerate pairs), its band-diagonal part D_B and D_B's orbital-moment
 * share (docs/physics.md) */
enum { QKT_CME_S, QKT_CME_S_SEA, QKT_CME_XI, QKT_CME_S_EQ, QKT_CME_D, QKT_CME_ORB, QKT_CME_N };

/* diagonal nodes among order-1 nodes (parents of xi children) */
static inline int qkt_t1_is_diag(int t) { return t == T1_NL || t == T1_XIE || t == T1_NA; }

/* ---- the one table of tally blocks ----------------------------------------
 * The integrand's output vector is a sequence of blocks, declared once, in
 * order, by qkt_layout_build (layout.c): each block has its offset and size,
 * its integration groups (every group of related values shares one error
 * scale), the family of its groups (a group far below the largest group of
 * its family is converged absolutely: integrate/), whether its groups are
 * diagnostics (error scale 10x looser) or drive mesh refinement, and, for
 * conductivity blocks, the names of its paths.  The integrators receive the
 * groups as data (qkt_layout_groups) and never know what they integrate.
 * Adding a node to the response tree: one line in qkt_layout_build, its
 * tallies in engine/tree.c, its assembly in response/ (docs/architecture.md). */
enum {
    QKT_B_S0, QKT_B_S1, QKT_B_S2,             /* sigma contributions of each order, per path */
    QKT_B_P1, QKT_B_A1, QKT_B_SEA1,           /* order-1 n drives: pocket sums, |.|, sea remainders */
    QKT_B_P2, QKT_B_A2, QKT_B_SEA2,           /* the same at order 2 */
    QKT_B_U1, QKT_B_U2, QKT_B_UP2,            /* pocket modes u_p (rule valley) and their children */
    QKT_B_NORM, QKT_B_CHIR, QKT_B_CME, QKT_B_STREDA, QKT_B_PUMP67, QKT_B_DOS,
    QKT_B_VTAB,                               /* a tabulation pass of the disorder kernel */
    QKT_B_X1,                                 /* reciprocal completion of order 1 */
    QKT_B_BORN,                               /* Born relaxation rate */
    QKT_B_J0, QKT_B_JDROP,                    /* vertex by the adjoint route, order 0; dropped share */
    QKT_B_J1, QKT_B_UJ1,                      /* vertex of the order-1 diagonal nodes (and pocket modes) */
    QKT_B_SJ1, QKT_B_PSJ, QKT_B_ASJ,          /* children of S_J(n_E) and pocket sums of its n child */
    QKT_B_D0, QKT_B_D1, QKT_B_D2,             /* the rule-rta totals of orders 0, 1, 2 (mesh refinement) */
    QKT_B_LS1, QKT_B_LS2,                     /* the Landau cutoff's sensitivity of the sigma1, sigma2 paths */
    QKT_NBLOCK
};
/* families of groups: orders 0, 1, 2 in B, the B-only quantities, bookkeeping */
enum { QKT_FAM_B0, QKT_FAM_B1, QKT_FAM_B2, QKT_FAM_BONLY, QKT_FAM_BOOK, QKT_NFAM };
#define QKT_MAXGROUP 160

typedef struct {
    const char *name;
    int off, size;            /* offset and number of values (0: absent) */
    int group0;               /* group of the first value */
    int gstride;              /* values per group */
    int gcycle;               /* > 0: group = group0 + (j / gstride) % gcycle (interleaved groups) */
    int nvalue;               /* values carrying the groups; the rest (error estimates of the
                                 values, 3 copies) belong to the diagnostics group */
    const char *const *paths; /* names of the paths (conductivity blocks; NULL otherwise) */
    const int *tau;           /* power of tau_intra of each path under rule rta (its relaxation-time
                                 monomial: one per diagonal node on the path; rule paper puts
                                 tau_inter on anomaly nodes, rule valley adds pocket-mode parts) */
    int npath;
} qkt_block_t;

/* What a computation tallies (the switches of qkt_layout_build). */
typedef struct {
    int order, dim, npk, bonly;
    const int *nu, *al;
    int nnu, nal;
    int valley;               /* pocket-mode children (rule valley) */
    int recip;                /* reciprocal completion of order 1 */
    int eq1;                  /* and the equilibrium expansion's node D_E(D_B) */
    int brate, born;          /* Born relaxation rate tallied; n_E from the Born operator */
    int vj;                   /* the vertex on the velocity side */
    int vtab, vtab_block, vtab_size; /* tabulation pass: kind, values per group, number of values */
    int accuracy_from;        /* conductivity paths of orders below this are loose groups
                                 (qkt_params_t.accuracy_from) */
    double drive_tau;         /* > 0 (orders >= 1): tally the totals of orders 0 to 2 under rule rta
                                 with this tau_intra (blocks QKT_B_D0, QKT_B_D1, QKT_B_D2), which then
                                 drive mesh refinement instead of the sigma^(0) paths */
    int landau;               /* the Landau cutoff is on (orders >= 1): tally d/d ln rho_c of the
                                 sigma1 and sigma2 paths (blocks QKT_B_LS1, QKT_B_LS2) */
} qkt_layout_spec_t;

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
    int o_x1;               /* sigma contributions [nx1][nu][al][mu] */
    int nx1;                /* X1 nodes present: 0, 2 (reciprocal) or 3 (equilibrium, order 1) */
    int vj;                 /* vertex on the velocity side (needs tp.vt with the adjoint tables):
                               S_J of order 0 again at o_j0; at order 1 the vertex of the
                               order-1 diagonal nodes, -P^-1 K^od n_EB (Eq. 54), at o_j1 */
    int o_j1;               /* [4][J1_N][nu][al][mu]: sigma contributions, then their error
                               estimates (L_j1err) */
    int o_uj1;              /* [4][pk][mu]: the same for the pocket modes u_p (rule valley) */
    int o_sj1;              /* [SJ1_NCHILD][nu][al][mu]: sigma of the children of S_J(n_E) (order 1) */
    int o_psj, o_asj;       /* [nu][al][pk]: pocket sums (and |.|) of the n child of S_J(n_E) */
    double drive_tau;       /* > 0: the tau_intra of the totals below */
    int o_ls1, o_ls2;       /* the layouts of the sigma1 and sigma2 paths (o_s1, o_s2): the
                               derivative of each tally with respect to ln rho_c, the log of
                               the Landau cutoff's radius (tree.c, landau_apply) */
    int o_d0, o_d1, o_d2;   /* [nu][mu], [nu][al][mu], [nu][al][al'][mu]: sum over the paths of
                               sigma0 (o_d0), of sigma1 and sigma1_recip (o_d1), of sigma2 (o_d2),
                               each times drive_tau to its power
                               under rule rta: sigma^(0), sigma^(1) of rule rta as one integrand
                               each, whose error mesh refinement estimates and controls
                               directly (qkt_layout_drive) */
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
    int o_cme;              /* CME: [al][QKT_CME_N parts][mu] */
    int o_streda;           /* Tr xi_B per unit B_alpha: [3] */
    int o_pump67;           /* Eq. 67 integrand per pocket [pk][nu][al] */
    int o_dos;              /* density of states sum_k -f0' (all bands), density sum f0, the weight
                               of degenerate pairs (qkt_response_t.degen_weight) and the weight the
                               Landau cutoff removed (landau_weight) */
    int fdim;
    /* the blocks and their groups */
    qkt_block_t blk[QKT_NBLOCK];
    int ngroup;
    int gdiag;                               /* the diagnostics group (-1: none yet) */
    unsigned char gfam[QKT_MAXGROUP];        /* family of each group */
    unsigned char gloose[QKT_MAXGROUP];      /* 1: diagnostics, error scale 10x looser; 2: passive */
    unsigned char gdrive[QKT_MAXGROUP];      /* drives mesh refinement (sigma^(0) paths) */
} qkt_layout_t;

/* Build the layout of what spec tallies: every block of the table, in order. */
void qkt_layout_build(qkt_layout_t *L, const qkt_layout_spec_t *spec);
/* The plain layout (no vertex, no tabulation, no completion): qkt_layout_build
 * with only these switches set. */
void qkt_layout_init(qkt_layout_t *L, int order, int dim, int npk, int bonly,
                     const int *nu, int nnu, const int *al, int nal);
/* group[i] for every tally i < L->fdim */
void qkt_layout_groups(const qkt_layout_t *L, int *group);
/* The totals of blocks QKT_B_D0, QKT_B_D1 (present when drive_tau > 0) from
 * one evaluation of the tree: qkt_layout_drive_save copies the path blocks
 * they sum (qkt_layout_drive_size values) before the evaluation adds into
 * out, qkt_layout_drive adds the evaluation's share of each path times
 * drive_tau to its power under rule rta to the totals. */
int qkt_layout_drive_size(const qkt_layout_t *L);
void qkt_layout_drive_save(const qkt_layout_t *L, const double *out, double *before);
void qkt_layout_drive(const qkt_layout_t *L, double *out, const double *before);

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

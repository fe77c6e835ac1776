/* engine.h - internal interface of the response engine: the response tree
 * of PHYSICS.md evaluated at one k-point (tree.c), the Fermi-pocket map and
 * the k-space integrator (integrate.c), and the assembly of observables
 * (response.c).  All quantities in units hbar = e = 1 of the model. */
#ifndef QKT_ENGINE_H
#define QKT_ENGINE_H
#include "qkt_internal.h"

/* Fermi-Dirac occupation and its first energy derivative. */
double qkt_f0(double e, double mu, double T);
double qkt_f0p(double e, double mu, double T);

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

typedef struct qkt_pockets qkt_pockets_t;

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

/* Parameters of the per-point evaluation. */
typedef struct {
    double mu, T;
    double h;          /* finite-difference step in k */
    double degen_tol;
    double window;     /* thermal window half-width, units of T */
    double nimp_U0sq;  /* disorder for the vertex correction (0: off) */
    const struct qkt_vtable *vt; /* energy tables of the disorder kernel (NULL: no J) */
    const double complex *born_G; /* tabulation pass 2: G at the node energy (orbital nb*nb) */
} qkt_tree_par_t;

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

typedef struct qkt_tree_ws qkt_tree_ws_t;

qkt_tree_ws_t *qkt_tree_ws_alloc(const qkt_model_t *m, const qkt_layout_t *L,
                                 const qkt_tree_par_t *p, const qkt_pockets_t *pk);
void qkt_tree_ws_free(qkt_tree_ws_t *w);
/* Evaluate every tallied quantity at k (added into out[L->fdim], which the
 * caller zeroes).  Returns QKT_OK or a status. */
qkt_status_t qkt_tree_eval(qkt_tree_ws_t *w, const double k[3], double *out);
/* Order-0 tallies at k for nmu chemical potentials (bands computed once);
 * out: nmu blocks of L->fdim.  Needs L->order == 0, no pockets, no vertex. */
qkt_status_t qkt_tree_eval_scan(qkt_tree_ws_t *w, const double k[3], int nmu, const double *mus, double *out);
/* Evaluation points so far at which two bands of one block were degenerate
 * (within degen_tol) at the Fermi level: their interband terms were dropped. */
long qkt_tree_ws_ndegen(const qkt_tree_ws_t *w);

/* ---- Fermi pockets ---------------------------------------------------------- */
struct qkt_pockets {
    const qkt_model_t *m;
    int periodic;
    int n;               /* number of pockets */
    int nb, dim, ncell;  /* cell grid ncell^dim over the integration domain */
    double umin[3], umax[3]; /* integration domain (u coordinates) */
    double gmin[3], gmax[3]; /* box of the pocket grid (u coordinates) */
    int open[3];         /* open axes use the map k = s u/(1 - u^2) */
    int wrap[3];         /* pocket grid wraps around the zone along this axis */
    double scale;        /* s of the open-axis map */
    int nblk;            /* blocks (valleys) of the model */
    int *bblock;         /* block of each band */
    int *label;          /* [cell * nblk + block] -> pocket id or -1 (dilated by one cell) */
    int *fs;             /* [cell] 1 if some band's energy window meets this cell */
    int *band;           /* block of each pocket */
    double (*center)[3]; /* centroid of each pocket's cells (k-space) */
    int *ncells;         /* cells of each pocket */
};

/* Integration options. */
typedef struct {
    int ncell;          /* cells per axis of the pocket map */
    int icell;          /* cells per axis of the integration grid */
    double reltol;      /* requested relative accuracy (per path, per quantity) */
    size_t maxeval;     /* maximum integrand evaluations per integration cell */
    size_t pilot;       /* evaluations of the pilot pass that sets the scales */
    double kbox;        /* continuum: half-width of closed axes */
    int open[3];        /* continuum: axes integrated to infinity */
    double scale;       /* continuum: scale s of the open-axis map k = s u/(1-u^2) */
    double window;      /* thermal window half-width (units of T) for the pocket map */
    int no_balls;       /* 1: cells only, no spherical shells around pockets */
    void (*progress)(void *user, long done, long total);
    void *progress_user;
} qkt_intopts_t;

typedef struct {
    size_t neval;       /* integrand evaluations */
    int converged;      /* 1 if the requested accuracy was reached */
    double seconds;     /* wall time */
    long ndegen;        /* points with degenerate bands at the Fermi level */
    int nballs, nparts; /* spherical pocket regions and parts integrated */
    /* mesh refinement (qkt_integrate_refine) */
    size_t nleaves;     /* cells of the final sum */
    int maxlevel;       /* most halvings of a starting-mesh cell */
    double mem_bytes;   /* memory of the cell store and buffers */
} qkt_intstats_t;

qkt_status_t qkt_pockets_build(const qkt_model_t *m, double mu, double T,
                               const qkt_intopts_t *o, qkt_pockets_t **out);
void qkt_pockets_free(qkt_pockets_t *pk);
/* Band-energy ranges on the Fermi-surface cells of the pocket map, each cut
 * into 3^D sub-cubes: for every sub-cube and every band a coupled (v^{aj} !=
 * 0 at a vertex) to another band j whose range over the sub-cube meets the window
 * mu +- halfw, the range [lo, hi] of eps_a over the sub-cube's vertices,
 * widened by a quarter of its width on each side (the margin of the pocket
 * map).  *lohi: n pairs (malloc'ed). */
qkt_status_t qkt_pockets_shell_bands(const qkt_pockets_t *pk, double mu, double halfw, double **lohi, size_t *n);

/* Integrate every tallied quantity of layout L over the Brillouin zone (or the
 * continuum domain) with the measure d^Dk/(2 pi)^D.  val, err: L->fdim. */
qkt_status_t qkt_integrate(const qkt_model_t *m, const qkt_layout_t *L,
                           const qkt_tree_par_t *tp, const qkt_pockets_t *pk,
                           const qkt_intopts_t *o, double *val, double *err,
                           qkt_intstats_t *stats);

/* Uniform-mesh sum (periodic models): k = sum_i (j_i/N_i) b_i, j_i = 0..N_i-1
 * (Gamma included, as Wannier90/postw90 meshes), weight 1/(N V_cell), i.e.
 * the measure d^Dk/(2 pi)^D.  nmu > 0: order-0 tallies at the nmu chemical
 * potentials mus (val holds nmu blocks of L->fdim); nmu = 0: qkt_tree_eval at
 * tp->mu (val: L->fdim).  Deterministic: one row per mesh plane j_1, summed in
 * plane order, so threads and MPI ranks give the same digits. */
qkt_status_t qkt_integrate_mesh(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                                const qkt_pockets_t *pk, const int mesh[3], int nmu, const double *mus,
                                const qkt_intopts_t *o, double *val, qkt_intstats_t *stats);
/* Adaptive refinement of the uniform mesh (periodic models, order B^0, any
 * T >= 0; refine.c): cells centred on the mesh points above, valued by
 * volume x integrand at the centre (the mesh sum), every cell halved once
 * (2^D children at +-1/4 of its edge), then the cells with the largest
 * estimated errors and their coarser neighbours, until every sigma^(0)
 * path's error is below reltol times its largest component or maxeval
 * evaluations (counted in total, the first refinement's (2^D + 1) N1 N2 N3
 * included) are used.  err (per tally): over the starting-mesh cells, the sum
 * of |value - value one halving coarser|.  Deterministic in threads and MPI
 * ranks, like the mesh; val and err on every rank. */
qkt_status_t qkt_integrate_refine(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                                  const qkt_pockets_t *pk, const int mesh[3], double reltol, size_t maxeval,
                                  const qkt_intopts_t *o, double *val, double *err, qkt_intstats_t *stats);
/* MPI rank of this process (0 without MPI) and the number of ranks */
int qkt_mpi_rank_size(int *size);

/* k-space map of the integration domain */
void qkt_domain_map(const qkt_pockets_t *pk, const double *u, double *k, double *jac);
/* pocket of band m at k (or -1) */
int qkt_pocket_at(const qkt_pockets_t *pk, const double k[3], int m);
/* the same in two steps, for all bands of one k: the pocket-map cell of k
 * (-1: outside the map or no pockets), then the pocket of band m there */
long qkt_pocket_cell(const qkt_pockets_t *pk, const double k[3]);
static inline int qkt_pocket_of_cell(const qkt_pockets_t *pk, long cell, int m)
{
    return cell < 0 ? -1 : pk->label[(size_t)cell * pk->nblk + pk->bblock[m]];
}

/* integrals kept in a qkt_response_t for re-assembly */
struct qkt_response_raw {
    qkt_layout_t L;
    double *val, *err;
    int nu[3], nnu, al[3], nal, npk, valley;
    int born;   /* n_E (and S_J) hold the Born relaxation: assemble under rule born only */
};

#endif

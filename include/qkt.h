/* qkt.h - the one public header of libqkt, quantum kinetic magnetotransport.
 *
 * Implements the low-field quantum kinetic theory of Sekine, Culcer and
 * MacDonald, Phys. Rev. B 96, 235134 (2017) ("the paper"; equation numbers
 * below are the paper's).
 *
 * Conventions, stated once for the whole library
 * -----------------------------------------------
 *  - Electron charge is -e with e > 0.  Current j = Tr[(-e) v rho], where Tr is
 *    the band trace plus the integral d^Dk/(2 pi)^D.  sigma_{mu nu} = j_mu/E_nu.
 *  - Units.  Continuum models (weyl4, weyl2, node, dirac, parabolic, rashba2d,
 *    lattice_weyl): natural units hbar = e = 1, energies and momenta in model
 *    units.  Wannier models: energies in eV, lengths in Angstrom, k in 1/Angstrom
 *    (conversion to S/m etc. is done by the reporting layer, see qkt_units_t).
 *  - Complex matrices are dense, row-major: element (m, n) of an nb x nb matrix
 *    is at [m * nb + n].  Eigenvectors are stored as columns: U[o * nb + n] is
 *    the amplitude of orbital o in band n.
 *  - Cartesian indices a = 0, 1, 2 mean x, y, z.  Second derivatives of H are
 *    stored in the order xx, yy, zz, yz, xz, xy (QKT_XX ... QKT_XY).
 *  - Berry connection R_a^{mn} = i <u_m | d_a u_n>; for m != n
 *    R_a^{mn} = i <m| d_a H |n> / (eps_n - eps_m).
 *    Berry curvature Omega_a^m = eps_abc i <d_b u_m | d_c u_m>; with this sign
 *    the upper band of H = +k.sigma has Omega = -k/(2 k^3) and chirality +1
 *    (Eq. 3).
 *  - Velocity matrix v_a = DH/Dk_a, in the eigenbasis v_a^{mn} = <m| d_a H |n>.
 *
 * The library never prints, never exits and never aborts.  Every fallible call
 * returns a qkt_status_t; the message of the last failure in the calling thread
 * is read with qkt_strerror().
 */
#ifndef QKT_H
#define QKT_H

#include <complex.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QKT_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------ status */
typedef enum {
    QKT_OK = 0,
    QKT_EINVAL = 2,   /* invalid argument, key or value in a run file */
    QKT_EIO = 3,      /* file missing or unreadable */
    QKT_EFORMAT = 4,  /* malformed file contents */
    QKT_ENOMEM = 5,   /* allocation failed or input larger than allowed */
    QKT_ENUM = 6,     /* numerical failure (eigen-solver, non-finite value) */
    QKT_ENOCONV = 7,  /* integral did not reach the requested accuracy */
    QKT_EPHYS = 8     /* physically ill-posed request (no Fermi surface, ...) */
} qkt_status_t;

/* Message describing the last failure in this thread ("" if none). */
const char *qkt_strerror(void);
/* Short name of a status code ("invalid input", ...). */
const char *qkt_status_name(qkt_status_t s);
/* Record a failure (used by the library and by front ends built on it). */
qkt_status_t qkt_error(qkt_status_t s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void qkt_clear_error(void);

/* ------------------------------------------------------------------ numbers */
/* The reader of every real number in text input: decimal notation only
 * ([sign] digits [. digits] [e|E [sign] digits]; with fortran_d also the
 * exponent letters d and D), finite, and a non-zero input never read as zero
 * or as a subnormal.  Hexadecimal, "inf" and "nan" are refused.  Leading
 * blanks are not skipped.  On success *x is set and NULL returned; otherwise
 * a short reason ("not a decimal number", "overflows ...", "underflows ...")
 * for the caller's message, which names the key or line.  *end (if not NULL)
 * points after the lexical number in both cases; the caller checks what
 * follows it. */
const char *qkt_parse_real(const char *s, const char **end, double *x, int fortran_d);

/* ------------------------------------------------------------------ output files */
/* The one way qkt writes a file.  qkt_outfile_open: a regular file or a new
 * path gets a temporary file of an unpredictable name, created exclusively in
 * the target's folder (a symbolic link's target is replaced, the link kept; a
 * dangling link is refused); a device, FIFO or terminal is opened in place and
 * never replaced (a FIFO without a reader is an error at once).  Write to fd
 * (or with qkt_outfile_write, which records a failure); tmp is the temporary
 * file's name (NULL in place), for a program that writes it by name.  Then
 * qkt_outfile_commit (sync and rename over the target: a complete file or
 * the old one, never half of one) or qkt_outfile_abort (the temporary file
 * removed).  Concurrent writers of one path each use their own file. */
typedef struct {
    int fd;
    char *tmp;    /* temporary file (NULL: written in place) */
    char *target; /* the file it replaces */
    int failed;   /* errno of a failed qkt_outfile_write, or 0 */
} qkt_outfile_t;
qkt_status_t qkt_outfile_open(qkt_outfile_t *o, const char *path);
qkt_status_t qkt_outfile_write(qkt_outfile_t *o, const void *data, size_t len);
qkt_status_t qkt_outfile_commit(qkt_outfile_t *o);
void qkt_outfile_abort(qkt_outfile_t *o);
/* Cheap checks before a long computation: the folder exists and is writable,
 * the path is neither a folder nor a dangling link (writing can still fail
 * later). */
qkt_status_t qkt_outfile_check(const char *path);

/* ------------------------------------------------------------------ indices */
enum { QKT_XX = 0, QKT_YY, QKT_ZZ, QKT_YZ, QKT_XZ, QKT_XY };
/* Index of the symmetric pair (a, b) in the order above. */
int qkt_pair_index(int a, int b);

/* ------------------------------------------------------------------ models */
#define QKT_MAX_PARAMS 16

typedef struct {
    const char *name;  /* key in the run file ([model] section) */
    int ncomp;         /* 1: scalar, 3: vector "x y z" */
    double def[3];     /* default value(s) */
    const char *unit;  /* "energy", "velocity", "1", ... */
    const char *doc;   /* one line */
} qkt_param_info_t;

typedef struct qkt_model qkt_model_t;

/* Capability of a model: linear Weyl nodes with one isotropic velocity, so that
 * the dimensionless coefficients of Eqs. (111), (122) (qkt_weyl_coefficients)
 * apply.  The library reads the model's parameters by these names, never by
 * the model's name. */
typedef struct {
    const char *velocity;  /* scalar parameter: node velocity v (unit v^3/mu^2 of C) */
    const char *exchange;  /* parameter b (scalar or vector) of the node half-separation
                              k0 = sqrt(|b|^2 - Delta^2)/v (0 if |b| <= |Delta|), Eqs. (69), (70);
                              NULL: no k0 */
    const char *mass;      /* scalar parameter Delta of k0 (with exchange) */
} qkt_weyl_info_t;

typedef struct {
    const char *name;       /* "weyl4" */
    const char *summary;    /* one line */
    const char *reference;  /* "Eq. (69)" */
    int nparams;
    const qkt_param_info_t *params;
    /* Set nb, dim, periodic, hk ... from m->par; validate parameters. */
    qkt_status_t (*setup)(qkt_model_t *m);
    const qkt_weyl_info_t *weyl; /* NULL: not a Weyl model (capability above) */
} qkt_model_info_t;

enum { QKT_UNITS_NATURAL = 0, QKT_UNITS_EV_ANGSTROM = 1 };

/* Hamiltonian callback.  Writes H(k) (order 0), then the three first
 * derivatives d_a H (order >= 1), then the six second derivatives
 * d_a d_b H in QKT_XX.. order (order >= 2), each an nb x nb row-major
 * matrix in the model's k-independent orbital basis. */
typedef qkt_status_t (*qkt_hk_fn)(const qkt_model_t *m, const double k[3],
                                  int order, double complex *out);

struct qkt_model {
    const qkt_model_info_t *info;
    int nb;             /* number of orbitals (= bands) */
    int dim;            /* 2 or 3 */
    int periodic;       /* 1: lattice model (k in a Brillouin zone) */
    int units;          /* QKT_UNITS_* */
    double avec[3][3];  /* lattice vectors (rows), periodic models */
    double bvec[3][3];  /* reciprocal vectors (rows), a_i . b_j = 2 pi delta_ij */
    double cell_volume; /* |a1 . (a2 x a3)| (3D) or area (2D), periodic models */
    double kcut;        /* continuum: natural half-width of the k-space box */
    double par[QKT_MAX_PARAMS][3]; /* parameter values, indexed as info->params */
    qkt_hk_fn hk;
    /* Optional: Wannier-gauge position matrix A^W_a(k) = sum_R e^{ik.R}
     * <0m|r_a|Rn> (3 matrices) and, for order >= 1, its 9 first derivatives
     * d_b A^W_a at [3 + 3*a + b].  NULL when the model has none. */
    qkt_status_t (*awk)(const qkt_model_t *m, const double k[3], int order,
                        double complex *out);
    void (*destroy)(qkt_model_t *m);
    void *priv;
    /* Optional (NULL: none): a per-thread workspace through which hk and awk
     * reuse work from call to call (Wannier models: the partial Fourier sums
     * of a line of a uniform mesh).  hk_ws and awk_ws return the values of
     * hk and awk to rounding; ws_alloc returns NULL when out of memory (the
     * plain callbacks then serve).  line_pts: the points the caller visits
     * on each line of a uniform mesh, in order (1: unknown).  qkt_bands_t
     * keeps one.  A copy of a model that replaces hk or awk must replace or
     * clear hk_ws and awk_ws with them. */
    void *(*ws_alloc)(const qkt_model_t *m, int line_pts);
    void (*ws_free)(void *ws);
    qkt_status_t (*hk_ws)(const qkt_model_t *m, void *ws, const double k[3], int order,
                          double complex *out);
    qkt_status_t (*awk_ws)(const qkt_model_t *m, void *ws, const double k[3], int order,
                           double complex *out);
    /* Block structure: H(k) is block diagonal with blocks of orbitals
     * [block_off[i], block_off[i+1]) for every k (e.g. the two Weyl nodes of
     * `dirac`).  Bands are then labelled by block, which keeps degenerate
     * blocks apart (valleys).  nblock = 1 for a general model. */
    int nblock;
    int block_off[9];
    char source[1024];  /* where the model came from (file name or "built-in") */
    double degen_tol;   /* bands closer than this count as degenerate (default 1e-10) */
    double spin_degeneracy; /* states per band: 1 (default; spinor or spin-resolved bands)
                               or 2 (spinless orbitals, as Wannier90's num_elec_per_state);
                               every response of the engine is multiplied by it */
};

/* Registry. */
int qkt_model_count(void);
const qkt_model_info_t *qkt_model_info_at(int i);
const qkt_model_info_t *qkt_model_lookup(const char *name);
int qkt_model_param_index(const qkt_model_info_t *info, const char *name);

/* Create a model with default parameters; then set parameters with
 * qkt_model_set() and call qkt_model_setup() before use. */
qkt_model_t *qkt_model_alloc(const char *name);
qkt_status_t qkt_model_set(qkt_model_t *m, const char *param, const double *val,
                           int ncomp);
qkt_status_t qkt_model_setup(qkt_model_t *m);
void qkt_model_free(qkt_model_t *m);

/* Convenience: H(k) and derivatives, with finite-value checks. */
qkt_status_t qkt_model_hk(const qkt_model_t *m, const double k[3], int order,
                          double complex *out);

/* ------------------------------------------------------------------ Wannier90 */
typedef struct {
    const char *path;       /* seedname_hr.dat or seedname_tb.dat (.gz allowed) */
    const char *wsvec_path; /* optional seedname_wsvec.dat (.gz allowed) */
    int use_position;       /* 1: use <0m|r|Rn> from _tb.dat in A^W (default) */
    int hermitize_position; /* 1: symmetrize <0m|r|Rn> as 1/2(r + r^dagger) */
    double avec[3][3];      /* lattice vectors in Angstrom for _hr.dat (rows) */
    int have_avec;          /* avec given (required for _hr.dat) */
    double herm_tol;        /* max |H_mn(R) - conj(H_nm(-R))| allowed, eV */
    size_t max_bytes;       /* refuse tight-binding data larger than this */
    double spin_degeneracy; /* 1 (default) or 2: copied to the model */
} qkt_wannier_opts_t;

void qkt_wannier_opts_default(qkt_wannier_opts_t *o);
/* Load a Wannier90 tight-binding model.  *out is a ready model ("wannier"). */
qkt_status_t qkt_wannier_load(const qkt_wannier_opts_t *o, qkt_model_t **out);
/* The same model from arrays instead of a file (what pythtb, TBmodels and
 * WannierBerri users hold in memory).  nw orbitals and nR lattice vectors
 * iR[3 r + i] in units of the lattice vectors avec (rows, Angstrom);
 * ndegen[r] (NULL: all 1) divides H(R) as in Wannier90's files;
 * H[(r nw + m) nw + n] = <0m|H|Rn> in eV; pos (NULL: none) is
 * pos[((r 3 + a) nw + m) nw + n] = <0m|r_a|Rn> in Angstrom.  opts: the
 * options of qkt_wannier_load (NULL: defaults; path, wsvec_path and avec are
 * not used).  label names the arrays in messages (NULL: "model arrays"),
 * where "label:N:" means the N-th R vector.  The arrays are copied. */
qkt_status_t qkt_wannier_from_arrays(int nw, int nR, const int *iR, const int *ndegen,
                                     const double complex *H, const double complex *pos,
                                     const double avec[3][3], const qkt_wannier_opts_t *opts,
                                     const char *label, qkt_model_t **out);
/* sizeof(qkt_wannier_opts_t): bindings check their copy of the layout. */
size_t qkt_wannier_opts_sizeof(void);
/* Number of R vectors, sum of 1/ndegen (the Wannier90 k-grid size). */
int qkt_wannier_nrpts(const qkt_model_t *m);
double qkt_wannier_sum_inv_degen(const qkt_model_t *m);
/* Write a model sampled on the lattice as _hr.dat / _tb.dat (periodic models). */
qkt_status_t qkt_wannier_write(const qkt_model_t *m, const char *path, int tb);

/* ------------------------------------------------------------------ band geometry */
enum {
    QKT_BANDS_ENERGY = 0,   /* eigenvalues and eigenvectors only */
    QKT_BANDS_GEOMETRY = 1, /* + velocity matrices, Berry connection, curvature */
    QKT_BANDS_EIGVALS = 2   /* eigenvalues (and degenerate groups) only: U is not set */
};

typedef struct {
    int nb;
    double k[3];
    double *eps;          /* nb eigenvalues, ascending */
    double complex *U;    /* nb x nb eigenvectors (columns) */
    double complex *Hk;   /* (1 + 3 + 6) orbital matrices from the model */
    double complex *v[3]; /* velocity matrices in the eigenbasis */
    double complex *R[3]; /* Berry connection, off-diagonal (diagonal set 0) */
    double *Omega;        /* Berry curvature, Omega[a * nb + m] (all terms) */
    /* Models with a Wannier-gauge position matrix (m->awk): the connection in
     * the eigenbasis Abar_a = U^dagger A^W_a U (diagonal included), and the
     * part of Omega that comes from the curvature of A^W itself,
     * OmegaW[c * nb + m] = Re (U^dagger F^W_c U)_mm with
     * F^W_c = d_a A^W_b - d_b A^W_a - i [A^W_a, A^W_b] (abc cyclic).  v and R
     * then include the A^W terms (v_a^mn += i (eps_m - eps_n) Abar_a^mn).
     * has_aw = 0 (Abar, OmegaW zero) for models without A^W. */
    int has_aw;
    double complex *Abar[3];
    double *OmegaW;
    int *block;           /* block (valley) index of each band */
    double degen_tol;     /* |eps_m - eps_n| below which bands count as degenerate (default 1e-10) */
    int ndegen;           /* degenerate pairs met at this k */
    /* Degenerate subspaces: bands of one block whose sorted energies are
     * chained by gaps <= degen_tol form a group, the index range
     * [grp[m], grp_end[m]) (a single band: [m, m + 1)).  Quantities that do
     * not depend on the eigenvectors chosen inside a group are traces over
     * it (docs/method.md, "Degenerate bands").  ngrp: groups of two or more
     * bands at this k (0: every group is a single band). */
    int *grp, *grp_end;
    int ngrp;
    /* energy of each band's group, the mean over it (eps itself for a single
     * band): the denominators of R and P^-1, common to a group's bands so
     * that they commute with a change of basis inside it */
    double *epsg;
    /* for ngrp > 0: the non-abelian Berry curvature inside each group,
     * Fblk[c * nb * nb + m * nb + n] for m != n of one group (other entries
     * unspecified); its diagonal is Omega */
    double complex *Fblk;
    /* workspace */
    double complex *work, *tmp;
    double complex *AW;   /* 12 nb x nb: A^W_a and d_b A^W_a from the model */
    double *rwork;
    int *iwork;
    int lwork, lrwork, liwork;
    /* the model's workspace (qkt_model_t.ws_alloc), made on first use for
     * model mws_model and freed with mws_free, when use_model_ws is set */
    void *mws;
    const qkt_model_t *mws_model;
    void (*mws_free)(void *ws);
    int use_model_ws;     /* > 0: use one, made with line_pts = use_model_ws; 0 (default):
                             the model's plain callbacks.  Only for callers whose
                             sequence of points does not depend on how work is shared
                             among threads (the digits may depend on which points a
                             workspace saw before) */
    int mws_lines;        /* the line_pts mws was made with */
    /* 2: qkt_bands_compute(GEOMETRY) also keeps the model's six second
     * derivatives of H in Hk (after H and its first derivatives), from the
     * same Fourier sum (the engine's analytic derivatives read them); 0
     * (default): first derivatives only */
    int hk_order;
} qkt_bands_t;

qkt_bands_t *qkt_bands_alloc(int nb);
void qkt_bands_free(qkt_bands_t *b);
/* Eigen-decomposition and band geometry at k.  what = QKT_BANDS_*. */
qkt_status_t qkt_bands_compute(qkt_bands_t *b, const qkt_model_t *m,
                               const double k[3], int what);
/* Hermitian eigen-solver used by the library (LAPACKE zheevd, or closed form
 * for 2x2).  A (row-major, overwritten by eigenvectors as columns). */
qkt_status_t qkt_eigh(int n, double complex *A, double *w, qkt_bands_t *ws);
/* Its eigenvalues only (A destroyed): zheevd without vectors, 3-4x cheaper */
qkt_status_t qkt_eigvalsh(int n, double complex *A, double *w, qkt_bands_t *ws);


/* ------------------------------------------------------------------ response engine */
/* Relaxation rules of diagonal nodes (PHYSICS.md). */
typedef enum {
    QKT_RULE_RTA = 0,    /* one relaxation time tau_intra for every diagonal node */
    QKT_RULE_PAPER = 1,  /* the paper's Sec. VII recipe (tau_inter on anomaly nodes driven by
                            the part of E along B or with non-zero pocket sums), applied to
                            the field direction qkt_params_t.field (per Cartesian pair when
                            it is 0: not rotation covariant); not linear in the fields, so
                            it has no field-independent rank-4 tensor */
    QKT_RULE_VALLEY = 2, /* pocket-uniform Fermi-surface modes relax with tau_inter */
    QKT_RULE_BORN = 3    /* n_E = (K^dd)^-1 D_E rho0 with the Born collision operator of the
                            short-range scalar disorder nimp_U0sq (Eq. 56); order B^0 only;
                            tau_intra, tau_inter unused */
} qkt_rule_t;

const char *qkt_rule_name(qkt_rule_t r);

typedef struct {
    double mu;          /* chemical potential (energy units of the model) */
    double T;           /* temperature (energy units), > 0 */
    double tau_intra;   /* intravalley relaxation time */
    double tau_inter;   /* intervalley relaxation time */
    qkt_rule_t rule;
    int order;          /* highest order in B computed: 0, 1 or 2 */
    int bonly;          /* 1: response to B alone (chiral magnetic effect, Streda) */
    int nu_mask;        /* E directions computed (bit a for axis a); default 7 */
    int al_mask;        /* B components computed (bit a); default 7 */
    double field[3];    /* rule paper: the direction of B the tensors are assembled for
                           (any length).  The anomaly decisions are made for the parts of E
                           along and perpendicular to it (docs/physics.md, rule paper), and
                           sigma1[a], sigma2[a][b] then hold, column nu, the response to E
                           along axis nu at a field along this direction only: contract them
                           with a B parallel to it.  0 0 0 (default): per Cartesian pair (E
                           axis, B axis): sigma1[a] and sigma2[a][a] are the results for B
                           along axis a, the mixed sigma2[a][b] are not physical.  Other
                           rules ignore it.  The command-line program sets it to run.B */
    /* numerics */
    double reltol;      /* relative accuracy per path and tally group */
    size_t maxeval;     /* integrand evaluations at most, per integration cell */
    size_t pilot;       /* evaluations of the pilot pass */
    int ncell;          /* pocket-map cells per axis */
    int icell;          /* integration cells per axis (0: 6 in 3D, 12 in 2D) */
    double kbox;        /* continuum: half-width of the closed axes (0: model's kcut) */
    int open[3];        /* continuum: axes integrated to infinity */
    double kscale;      /* continuum: scale of the open-axis map (0: model's kcut) */
    double fd_step;     /* finite-difference step in k (0: 0.05 T / v_F estimate) */
    double degen_tol;   /* degeneracy threshold for |eps_m - eps_n| (0: the model's
                           degen_tol, 1e-10 for built-in models, 1e-6 eV for Wannier models:
                           the precision of their files) */
    double window;      /* thermal window half-width, units of T */
    double pocket_thresh; /* pocket sum counts as non-zero above this fraction of its |.| sum */
    int valley_tallies; /* also integrate what rule valley needs (to re-assemble under it) */
    int expansion;      /* QKT_EXPANSION_SEED (default): Eq. 38 as the seed writes it, D_E acting
                           on rho0 only and the anomaly drive relaxed through its Fermi-surface
                           part (PHYSICS.md).  QKT_EXPANSION_RECIPROCAL (order 1, rule rta):
                           also D_E acting on the field's equilibrium coherence S_B, and the
                           anomaly drive's Fermi-sea remainder relaxed; this makes the tau^1 part
                           of sigma^(1) obey Onsager reciprocity (docs/method.md).
                           QKT_EXPANSION_EQUILIBRIUM (the response to B alone, bonly): rho_B is
                           the order-B part of the equilibrium density matrix f(H) of the
                           crystal in the field, S_B (its interband part, as the seed's) plus
                           its band-diagonal part in place of xi_B; its current obeys Bloch's
                           theorem (docs/physics.md, "Equilibrium in a magnetic field") */
    /* optional progress report, called (one call at a time) as integration
     * proceeds: done of total of the current phase (adaptive integration: in
     * thousandths of a part, the parts finished and the share of its budget each
     * part under way has used); progress_phase (optional) names the phase that
     * the calls after it measure */
    void (*progress)(void *user, long done, long total);
    void (*progress_phase)(void *user, const char *phase);
    void *progress_user;
    double nimp_U0sq;   /* short-range scalar disorder n_imp U_0^2 of the ladder vertex
                           (Eq. 16): J(n_E) at order B^0 and, at order 1, the children of
                           S_J(n_E) and K^od n_EB (Eq. 54); 0: vertex correction not computed.
                           Rule born (> 0 required): also the Born collision operator K^dd
                           that relaxes n_E (Eq. 56) */
    int tau_from_disorder; /* 1 (rules rta, paper, valley; nimp_U0sq > 0): tau_intra is the Born
                           relaxation time of the same disorder at the Fermi level, 1/<1/tau_m(k)>
                           over the thermal shell with 1/tau_m = 2 pi nimp_U0sq <m|G(eps_m)|m>
                           (Eq. 56, out-scattering); tau_intra is not read; tau_born holds it.
                           At orders >= 1 tau_inter too comes from the disorder where the pockets
                           exchange electrons: the time of the slowest population mode of
                           qkt_scatter_compute (Eq. 59; two equal pockets: tau_inter^12/2) for
                           the correlator of disorder_xi; tau_inter_born holds it (0: none, the
                           input tau_inter is used) */
    double disorder_xi; /* tau_from_disorder: correlation length of the disorder (length; 0:
                           short-range), W(q) = nimp_U0sq exp(-q^2 xi^2/2), for tau_inter only
                           (tau_born and the vertex are short-range) */
    int mesh[3];        /* periodic models: > 0 sums over the uniform mesh k = sum_i (j_i/N_i) b_i
                           (Gamma included, the Wannier90/postw90 mesh) instead of adaptive
                           integration; no error estimate (errors are 0), the mesh sets the
                           accuracy.  T = 0 (step occupations) is allowed with a mesh at order 0
                           and for the B-only response. */
    int refine;         /* 1 (with mesh): start from the mesh and refine its cells adaptively
                           until every sigma^(0) path (order 0), or every component of the
                           rule-rta tensors sigma^(0), sigma^(1), sigma^(2) at tau_intra (orders 1
                           and 2; order 2 needs landau_B > 0), has an estimated error below reltol
                           times its largest component, or maxeval evaluations in total; errors
                           are estimates (docs/wannier.md, "Adaptive refinement") */
    int mesh_estimate;  /* n in 1..2^D - 1 (with mesh, no refinement, no mesh weights): the mesh sum
                           is repeated on n copies of the mesh displaced by half steps, and each
                           value's error estimate is its largest change (n + 1 times the
                           evaluations; the values are those of the mesh itself); converged = every
                           estimate below reltol times its path's largest component.  0: none
                           (docs/wannier.md, "Error estimate of a mesh") */
    double time_limit;  /* wall seconds at most from the start of qkt_response_compute (0: none).
                           When reached, adaptive integration ends with the parts not finished
                           at their pilot values and errors (one cubature rule each), mesh
                           refinement with its cells so far; the result is complete, its error
                           estimates honest, converged = 0 and timed_out > 0.  A plain mesh
                           (no refinement) has no partial result and does not stop; with
                           mesh_estimate, the displaced meshes not yet begun when the limit is
                           reached are skipped (timed_out = their number; with none summed the
                           errors are |values|); one that has begun is finished. */
    int accuracy_from;  /* 0 (default): every order's conductivity paths to reltol.  N in 1..order:
                           the paths of the orders below N (by-products of the recursion, e.g.
                           sigma^(0) of an order-2 run that reports only sigma^(2)) and, for
                           N = 2, the Eq.-67 pumping tallies (order E B) are converged to
                           10 reltol; the paths still carry their error estimates.  The Fig. 3
                           curve: 15% fewer evaluations, C unchanged to 1e-10 */
    int derivatives;    /* QKT_DERIVATIVES_ANALYTIC (default): the k-derivatives of the order-0
                           nodes (orders >= 1) from the point's own eigen-decomposition and the
                           model's exact second derivatives (no stencil at order 1; one band
                           evaluation per level-1 point at order 2, whose outer derivative is
                           still a finite difference of fd_step); points with degenerate bands
                           take the finite differences (response.nfallback).
                           QKT_DERIVATIVES_FD: fourth-order finite differences of fd_step for
                           both, the oracle of the analytic path (tests/test_derivs.c).
                           docs/method.md, "Analytic derivatives" */
    const int *mesh_weight; /* NULL, or with mesh (no refinement, no disorder, no valley tallies;
                           at orders >= 1 rule rta only, and no per-pocket results): the
                           multiplicity of every mesh point, index (j1 N2 + j2) N3 + j3, its term
                           counted that many times and points of weight 0 not evaluated (the
                           irreducible wedge of qkt_magsym_mesh_weights; the result is then
                           right only after symmetrization, qkt_magsym_response).  With even
                           mesh sizes the errors come from the 2^D meshes N/2 that make up the
                           mesh (qkt_response_t.half_estimate), which need mesh_ops */
    const int (*mesh_ops)[3][3]; /* with mesh_weight: the mesh_nops operations whose orbits the
                           weights count, acting on the mesh indices (qkt_magsym_mesh_ops with
                           the use_anti of the weights; each weight is checked to be its point's
                           orbit size under them) */
    int mesh_nops;
    double landau_B;    /* > 0: the Landau cutoff of the expansion in B (orders >= 1 with E; docs/physics.md,
                           "Landau cutoff"), for a field of this magnitude |B| in the engine's units
                           (hbar/(e length^2); Wannier models: tesla / qkt_units()->field_T), magnetic
                           length l_B = |B|^-1/2.  Near a crossing of two bands in the thermal window the
                           expansion's parameter is |R^mn| / l_B (R the interband Berry connection, 1/(2 q)
                           at q from a Weyl node): where it exceeds 1/landau_rho the field mixes the pair
                           (Landau levels) and the terms of order B^1 and B^2 are not defined (open point 9:
                           the tau^0 path SE>SEB diverges there).  Every order-B^1 and B^2 tally of a
                           k-point is weighted by s(l_B / (landau_rho x^1/2) - 1), s rising smoothly
                           from 0 to 1 on [0, 1], x the largest block sum_{m in G, n in G'} |R^mn|^2
                           between two degenerate groups G != G', times the thermal taper of G (1 in
                           the window); orders B^0 and the B-only response are not weighted.  0
                           (default): no cutoff, the seed's expansion at every k */
    double landau_rho;  /* the cutoff's threshold rho_c (default 1): weight 0 where
                           x^1/2 >= l_B / rho_c, 1 where x^1/2 <= l_B / (2 rho_c) */
} qkt_params_t;

/* 1 if p's rule is paper with a field direction (p->field != 0): the tensors
 * assembled under p are then valid for B along that direction only */
int qkt_paper_field(const qkt_params_t *p);

void qkt_params_default(qkt_params_t *p);
/* The defaults for model m: those of qkt_params_default, except for models in
 * eV and Angstrom (Wannier90): mu = NaN (no default: the material's Fermi
 * level must be given), T = 300 K and tau_intra = tau_inter = 10 fs, in the
 * engine's units (eV, hbar/eV). */
void qkt_params_default_for_model(const qkt_model_t *m, qkt_params_t *p);

enum { QKT_DERIVATIVES_FD = 0, QKT_DERIVATIVES_ANALYTIC = 1 };
enum { QKT_EXPANSION_SEED = 0, QKT_EXPANSION_RECIPROCAL = 1, QKT_EXPANSION_EQUILIBRIUM = 2 };
/* the expansion's name in reports and run files: seed, reciprocal, equilibrium */
const char *qkt_expansion_name(int expansion);

#define QKT_MAX_POCKETS 32
#define QKT_MAX_PATHS 24
#define QKT_MAX_VSEG 32

/* A 3x3 tensor [mu][nu] with error estimates. */
typedef struct {
    double v[3][3], e[3][3];
} qkt_tensor_t;

typedef struct {
    int block;                        /* block (valley) of the model's H it lives in */
    double center[3];
    double chirality, chirality_err;  /* Eq. (3) */
    double dos;                       /* sum over the pocket of -f0' */
} qkt_pocket_info_t;

/* Results of one engine run.  Conductivities in units e^2/hbar (times
 * length^(2-D)); sigma^(1) per unit B, sigma^(2) per unit B^2. */
typedef struct {
    qkt_params_t par;
    int dim;
    int npocket;
    qkt_pocket_info_t pocket[QKT_MAX_POCKETS];
    /* order 0: by path (Drude nE, intrinsic SE, extrinsic SJ) */
    int npath0, npath1, npath2;
    const char *path0_name[QKT_MAX_PATHS], *path1_name[QKT_MAX_PATHS], *path2_name[QKT_MAX_PATHS];
    qkt_tensor_t sigma0, path0[QKT_MAX_PATHS];
    /* order 1 and 2 for every Cartesian B component (pair), [alpha] and [alpha][beta]:
     * ordered pairs (first D_B along alpha, then along beta); only the sum over
     * both orders is physical, sigma2_{ab} + sigma2_{ba} (see qkt_response_sigma2) */
    qkt_tensor_t sigma1[3], path1[QKT_MAX_PATHS][3];
    qkt_tensor_t sigma2[3][3], path2[QKT_MAX_PATHS][3][3];
    /* split by powers of tau: [power of tau_intra][power of tau_inter] */
    qkt_tensor_t tau1[4][4][3], tau2[4][4][3][3];
    /* anomaly decisions of rule paper: 1 if tau_inter was used for (nu, alpha) (per
     * Cartesian pair; with par.field set, the pocket test of the pair, a diagnostic) */
    int anomaly1[3][3];
    /* rule paper with par.field: paper_field = 1, paper_b the unit field direction, and per
     * E column nu the decisions of its part along b [nu][0] and perpendicular [nu][1]: bit 0
     * the order-1 anomaly node, bits 1 and 2 the n children of n_E>S_EB and S_E>S_EB
     * (1: tau_inter); bits 3, 4, 5 (8, 16, 32): that decision is split, the part's
     * component along the line paper_kernel[0, 1, 2] of the plane perpendicular to b
     * relaxes with tau_intra (its pocket sums vanish) and the rest with tau_inter;
     * -1: the part is zero */
    int paper_field;
    double paper_b[3];
    int paper_dec[3][2];
    double paper_kernel[3][3];
    /* pocket sums of the order-1 anomaly driving term (pumping, Eq. 61) per unit E, B:
     * [pocket][nu][alpha], Fermi-sea remainder dropped from it, and the Eq. 67 form */
    double pump[QKT_MAX_POCKETS][3][3], pump_err[QKT_MAX_POCKETS][3][3];
    double pump_sea[QKT_MAX_POCKETS][3][3];
    double pump67[QKT_MAX_POCKETS][3][3];
    /* response to B alone: j_mu per unit B_alpha, [alpha][mu]: S_B (its Fermi-surface
     * and Fermi-sea parts) and xi_B; Streda Tr xi_B per unit B_alpha */
    double cme_S_fs[3][3], cme_S_sea[3][3], cme_xi[3][3];
    double cme_S_fs_err[3][3], cme_S_sea_err[3][3], cme_xi_err[3][3];
    /* S_B whole (cme_S_fs = cme_S - cme_S_sea: each part has 1/(eps_m - eps_n)
     * spikes at near-degenerate pairs that cancel in the whole) */
    double cme_S[3][3], cme_S_err[3][3];
    /* the equilibrium rho_B (QKT_EXPANSION_EQUILIBRIUM): its interband part
     * S_eq (the seed's S_B, from the symmetric divided differences of the
     * unwindowed occupation), its band-diagonal (degenerate-block) part D_B,
     * the replacement of xi_B, and D_B's orbital-moment share -f0' m.B */
    double cme_S_eq[3][3], cme_S_eq_err[3][3];
    double cme_D[3][3], cme_D_err[3][3], cme_orb[3][3], cme_orb_err[3][3];
    double streda[3], streda_err[3];
    double dos;         /* density of states at mu: sum_k -f0' (thermally smeared) */
    double density;     /* carrier density: periodic models sum_k f0 (from the bottom of the lowest band);
                           continuum models sum_k [f0 - theta(-eps)] (relative to filling below 0) */
    int vertex;         /* 1: the extrinsic part S_J = -P^-1 J(n_E) was computed */
    /* order >= 1 with the vertex: the vertex of the order-1 diagonal nodes,
     * -P^-1 K^od n_EB (Eq. 54), is computed on the velocity side from tables of
     * G(e) and Qt(e) (docs/method.md, "Vertex correction at order B^1") over
     * vertex_nseg energy segments (the thermal window first); vertex_tail is
     * the largest interpolation-error bound of the tables relative to their
     * largest entry; vertex_dropped the share of sum |n| |v| of the order-1
     * diagonal nodes on bands outside every segment (their vertex is missing);
     * sj_adjoint is sigma^(0)'s extrinsic part S_J computed again by the
     * adjoint route (a check of the tables: it equals path0 extrinsic_SJ
     * within the errors) */
    int vertex_nseg;
    double vertex_seg[QKT_MAX_VSEG][2];
    double vertex_tail, vertex_dropped;
    qkt_tensor_t sj_adjoint;
    /* rule born: the Born relaxation time at the Fermi level, 1/<1/tau_m(k)> with the
     * average over the thermal shell (weight -f0'), 1/tau_m(k) = 2 pi nimp_U0sq
     * <m|G(eps_m)|m> (Eq. 56, out-scattering part); and the checks of the zero
     * modes of K^dd on each energy shell: the largest number of modes dropped at one
     * tabulation energy besides the uniform shell mode (conserved quantities such as
     * decoupled blocks or spins), and the largest component of the drive on the
     * dropped modes relative to int -f0' tau |v| (0 in exact arithmetic) */
    double tau_born, tau_born_err;
    double tau_inter_born, tau_inter_born_err; /* tau_from_disorder: tau_inter used (0: the input) */
    int born_null_modes;
    double born_null_drive;
    /* the integrals behind the result (private; see qkt_response_assemble) */
    struct qkt_response_raw *raw;
    /* numerics actually used */
    double sys_rel;     /* relative systematic error added to every error estimate
                           (thermal-window cut and finite-difference step) */
    double fd_step;
    double vF;          /* the Fermi velocity's scale: the largest band velocity in the thermal
                           window at the pocket map's Fermi-surface cells (0: no Fermi surface) */
    size_t neval;
    int converged;
    int timed_out;      /* par.time_limit was reached: adaptive parts left at their pilot
                           value, or mesh refinement stopped (converged is then 0) */
    long ndegen;        /* evaluation points where two bands of one block were
                           degenerate (|eps_m - eps_n| <= degen_tol) at the Fermi
                           level; their interband terms are dropped there */
    long nfallback;     /* with numerics.derivatives = analytic: order-1 node evaluations (level-1
                           points) at degenerate bands, which took the finite differences */
    double hot_share[3]; /* uniform mesh (no refinement): for the sigma paths of order 0, 1, 2,
                           the largest contribution of a single mesh point to a component,
                           relative to the largest component of its path tensor (0: not a
                           mesh run or the order is not computed).  Far above 1/N^3 it flags
                           hot spots (near-degenerate bands) that the mesh does not resolve */
    const char *hot_path[3]; /* the path of hot_share (NULL: none) */
    double degen_weight; /* their share of the density of states: the integral of
                           -f0' over the bands of those pairs (T = 0: of 1 per
                           pair), in the units of dos */
    double landau_weight; /* par.landau_B > 0: the Fermi-level weight the Landau cutoff removed
                           from orders >= 1, the integral of (1 - s) -f0' over the thermal-window
                           bands of the points it weighted, in the units of dos */
    /* par.landau_B > 0 (landau_sens = 1; not with the vertex correction or the
     * reciprocal and equilibrium expansions, whose added paths have no such
     * tallies): the derivatives with respect to ln rho_c (rho_c = par.landau_rho,
     * the cutoff's radius in units of l_B) of sigma1 and sigma2, assembled under
     * rule rta with the intraband time of the assembly (each path's own power of
     * it) whatever the rule: the cutoff's convergence control.  A path whose
     * value comes from the band pairs at the cutoff (the Landau regime) has a
     * derivative comparable to itself; one that converges as rho_c grows has a
     * small one.  Same units as sigma1, sigma2.  Summary per order n = 1, 2
     * (index n - 1): lsens_rel, the largest |d sigma^(n)/d ln rho_c| over the
     * components relative to the largest component of sigma^(n) under the same
     * rule rta, with the error of that component likewise (lsens_rel_err); the
     * path whose derivative is largest (lsens_path, an index into path1_name or
     * path2_name; -1: every derivative is 0) and its share likewise */
    int landau_sens;
    qkt_tensor_t lsens1[3], lsens2[3][3];
    double lsens_rel[2], lsens_rel_err[2], lsens_path_rel[2], lsens_path_rel_err[2];
    int lsens_path[2];
    double seconds;
    /* mesh refinement (par.refine): cells of the final sum, most halvings of a
     * starting-mesh cell, memory of the cell store (MB) */
    size_t refine_leaves;
    int refine_levels;
    double refine_mb;
    /* 1: the error estimates of sigma0 and sigma1 (the totals, not the
     * paths) are the refinement's estimates of the totals themselves, which
     * drove it (mesh refinement at order 1, assembled under rule rta with
     * the tau_intra it was computed for, no vertex); 0: sums of the paths'
     * estimates (an upper bound: cancellations between paths not counted) */
    int totals_direct;
    /* 1: an irreducible wedge (par.mesh_weight) with even mesh sizes: each
     * error is that of the tensor component itself (not of the tallies it is
     * assembled from), from the 2^D meshes N/2 that make up the mesh (its
     * points of each parity of the indices: no extra evaluations), after
     * every re-assembly and symmetrization: max_c |S_N - S_c| + sys_rel |S_N|.
     * S_N is the mean of the S_c; with e_N and e_c their errors,
     * max_c |S_N - S_c| >= max_c |e_c| - |e_N| >= |e_N| while the error at
     * least halves from the worst mesh N/2 to the mesh N (the premise).  It
     * fails only where all 8 meshes N/2 share one error (aliasing that the
     * displacements by one step do not change), not where one of them agrees
     * with S_N by chance.  0: not such a run. */
    int half_estimate;
} qkt_response_t;

/* Run the engine for model m with parameters p.  Release with qkt_response_free().
 * The engine and qkt_response_scan() / qkt_find_nodes() set OpenBLAS to one
 * thread (once per process) unless OPENBLAS_NUM_THREADS is set: its threads
 * inside qkt's OpenMP threads slow the small eigen-problems 2-4x. */
qkt_status_t qkt_response_compute(const qkt_model_t *m, const qkt_params_t *p, qkt_response_t *r);
/* Re-assemble the tensors of a computed result under another rule or other
 * relaxation times, without integrating again (rule valley needs the
 * pocket-mode tallies: p.rule == QKT_RULE_VALLEY or p.valley_tallies at compute;
 * a result computed under rule born is assembled under born only, and born
 * needs such a result). */
qkt_status_t qkt_response_assemble(qkt_response_t *r, qkt_rule_t rule, double tau_intra,
                                   double tau_inter);
void qkt_response_free(qkt_response_t *r);
/* The order-0 response at nmu chemical potentials mus (p->mu is ignored; p->order
 * is taken as 0; no vertex correction).  With a mesh (p->mesh) the bands of each
 * k-point are computed once for all mu (one pass); otherwise one adaptive
 * integration per mu.  r: nmu results, each released with qkt_response_free(). */
qkt_status_t qkt_response_scan(const qkt_model_t *m, const qkt_params_t *p, int nmu, const double *mus,
                               qkt_response_t *r);

/* sigma^(1)(B) = sum_a B_a sigma1[a]; sigma^(2)(B) = sum_ab B_a B_b sigma2[a][b]. */
void qkt_response_sigma1(const qkt_response_t *r, const double B[3], qkt_tensor_t *out);
void qkt_response_sigma2(const qkt_response_t *r, const double B[3], qkt_tensor_t *out);

/* ------------------------------------------------------------------ physical units */
/* The one place where physical constants live (src/core/units.c; CODATA 2018:
 * e, hbar (exact since the 2019 SI), k_B).  The engine works with hbar = e = 1
 * in the model's units; for models in eV and Angstrom (Wannier90) these
 * factors convert between the engine and SI units:
 *   time:      1 hbar/eV          = qkt_units()->time_fs fs      (0.6582119569)
 *   field:     1 hbar/(e Ang^2)   = qkt_units()->field_T tesla   (6.582119569e4)
 *   sigma 3D:  1 e^2/(hbar Ang)   = qkt_units()->sigma3_Sm S/m   (2.434134807e6)
 *   sigma 2D:  1 e^2/hbar         = qkt_units()->sigma2_S S      (2.434134807e-4)
 *   temperature: k_B T [eV]       = qkt_units()->kB_eV * T [K]
 *   current density: 1 e eV/(hbar Ang^2) = qkt_units()->current_Am2 A/m^2
 *   rate density:    1 eV/(hbar Ang^3)   = qkt_units()->rate_m3s 1/(m^3 s) */
#define QKT_E_CHARGE 1.602176634e-19     /* C (exact) */
#define QKT_PLANCK 6.62607015e-34        /* J s (exact) */
#define QKT_HBAR (QKT_PLANCK / (2 * 3.14159265358979323846)) /* J s */
#define QKT_KB 1.380649e-23              /* J/K (exact) */
#define QKT_ANGSTROM 1e-10               /* m */
#define QKT_FS 1e-15                     /* s */

typedef struct {
    double e, hbar, kB;     /* SI */
    double kB_eV;           /* eV/K */
    double hbar_eVs;        /* eV s */
    double time_fs;         /* hbar/eV in fs */
    double field_T;         /* hbar/(e Ang^2) in tesla */
    double sigma3_Sm;       /* e^2/(hbar Ang) in S/m */
    double sigma2_S;        /* e^2/hbar in S */
    double current_Am2;     /* e eV/(hbar Ang^2) in A/m^2 */
    double rate_m3s;        /* eV/(hbar Ang^3) in 1/(m^3 s) */
} qkt_units_t;

const qkt_units_t *qkt_units(void);

/* ------------------------------------------------------------------ Weyl nodes */
/* Band-touching points of adjacent bands n, n+1 of one block, found by a grid
 * scan of the gap followed by a Newton (Levenberg-Marquardt) descent on the
 * pair's 2x2 block, with the chirality from the Berry flux of band n+1 through
 * a small closed surface around the node: Q = -(1/2pi) oint Omega^{n+1}.dS (+1
 * for the upper band of H = +k.sigma, as Eq. 3).  The surface is the ellipsoid
 * on which the node's linear 2x2 Hamiltonian has a constant gap (a sphere when
 * that is degenerate); the flux is its lattice Chern number (Fukui, Hatsugai and
 * Suzuki 2005) on a theta-phi mesh, exact for any mesh whose plaquettes carry
 * Berry phases below pi, so curvature concentrated by a quadratic or strongly
 * anisotropic node needs no finer mesh.  Search region: continuum, the cube
 * |k_a| <= kcut; periodic, the Brillouin zone k = sum_i x_i b_i, x_i in [-0.5, 0.5).
 * The search reads the model without its Wannier position matrix (the
 * tight-binding convention): positions, energies and integer charges do not
 * depend on it. */
typedef struct {
    int grid;       /* scan points per axis, >= 4 (default 24) */
    double tol;     /* a minimum is a node if its gap < tol * (energy range of the scan) (1e-8) */
    double radius;  /* largest half-axis of the flux surface (0: automatic, min(0.1 h, 0.3 d),
                       h = the smallest scan spacing, d = distance to the nearest other touching
                       of the pair or of the pair above; where the gap closes on it, grown
                       2x, 4x up to min(0.4 h, d/2).  Given (> 0): used as is, never grown) */
    int nquad;      /* rings in theta of the first mesh of the flux surface (8); phi gets
                       2 nquad meridians; refined by factors 1.5 (8, 12, 18, 27) until two
                       meshes agree (|dQ| < qtol) with every plaquette's Berry phase below
                       1 rad, but not beyond 4 nquad rings */
    double qtol;    /* largest change of Q between two meshes accepted (1e-6) */
    /* Energy window [emin, emax] (absolute energy; default -inf, +inf): only the
     * band pairs that can touch inside it are searched (pairs whose scan gives
     * min eps_{n+1} <= emax and max eps_n >= emin, widened by one spacing's change),
     * each over the whole zone and at every energy, so that its chirality sum
     * (zero in a periodic crystal) stays a check; qkt_node_t.in_window marks
     * the touchings inside. */
    double emin, emax;
    int pair_min, pair_max; /* lower bands n of the pairs searched, inclusive (-1: no bound) */
    /* Point operations (Cartesian, proper or improper) of a symmetry of the
     * model, anti[i] = 1 when combined with time reversal: k -> R k, or -R k.
     * Every isolated touching found is mapped by each; an image with no touching
     * of the pair near it is searched by a descent from it and its chirality
     * computed, not assumed (det R Q is expected).  Touchings are grouped into
     * orbits (qkt_node_t.orbit).  nsym = 0: none. */
    int nsym;
    const double (*symR)[3][3];
    const int *sym_anti;
} qkt_node_opts_t;

typedef struct {
    double k[3];        /* position (periodic: folded into x_i in [-0.5, 0.5)) */
    double k_err;       /* estimated distance to the exact crossing */
    double energy;      /* (eps_n + eps_{n+1})/2 at k */
    double energy_err;  /* gap/2 + |grad energy| k_err */
    double gap;         /* eps_{n+1} - eps_n at k (residual) */
    double gap_tol;     /* gap accepted as a touching point (absolute energy) */
    int band;           /* lower band n of the pair (global index); upper band n + 1 */
    int block;          /* block (valley) of the pair */
    int isolated;       /* 1: isolated point (Weyl node); 0: the bands also (nearly) touch
                           on every surface tried around it (radius, grown as described
                           there): their gap on it,
                           minimized, is below max(2 gap_tol, 1e-3 x its largest value on
                           it): a nodal line or surface; one entry per pair, chirality 0,
                           flux, k_err and energy_err NaN */
    int chirality;      /* flux rounded to the nearest integer */
    double flux, flux_err; /* Q on the finest mesh (the lattice Chern number of band n+1 on the
                              surface, Fukui-Hatsugai-Suzuki: an integer up to roundoff);
                              |Q(finest) - Q(previous mesh)| */
    double max_phase;   /* largest Berry phase of one plaquette of the finest mesh (rad) */
    int resolved;       /* 1: two meshes agree and max_phase < 1 rad (the Chern number is the flux) */
    double radius;      /* largest half-axis of the flux surface */
    int ellipsoid;      /* 1: ellipsoid adapted to the node; 0: sphere of that radius */
    int nquad;          /* rings in theta of the finest mesh (2 nquad meridians) */
    double sphere_gap;  /* smallest gap of the pair on the flux surface (minimized) */
    int in_window;      /* energy inside [emin, emax] of the options (always 1 without a window) */
    int orbit;          /* index (in the sorted output) of the first touching of its symmetry orbit;
                           its own index without symmetry operations */
    int sym_image;      /* 1: found by a descent from the image of another touching under a
                           symmetry operation (not by the scan) */
    int sym_mismatch;   /* images of it under the operations whose touching has a chirality other
                           than det(R) x its own, or that no descent confirmed (symmetry broken) */
} qkt_node_t;

void qkt_node_opts_default(qkt_node_opts_t *o);
/* Find the touching points of model m (o NULL: defaults).  Writes at most max
 * nodes, sorted by block, band and position; *n is the number found (more than
 * max means the array was too small).  2D models and single bands: *n = 0.
 * A touching that is not isolated at the first surface (0.1 spacing) is tried
 * on surfaces twice and four times larger, up to 0.4 spacing and half the
 * distance to the nearest other touching (nodes of charge 2 or more, with a
 * quadratic gap in some direction, open only there; not with a radius given
 * in o); it is extended only if the gap closes on every one. */
qkt_status_t qkt_find_nodes(const qkt_model_t *m, const qkt_node_opts_t *o, qkt_node_t *nodes,
                            int max, int *n);

#define QKT_NODE_LINE_MAX 64
/* One band pair (n, n + 1) of a search: the checks of its touchings. */
typedef struct {
    int band;            /* lower band n */
    int block;
    int searched;        /* 1: searched (inside the band range and the energy window) */
    double e_lo, e_hi;   /* touching energies possible on the scan: [min eps_{n+1}, max eps_n] */
    int nnode;           /* isolated touchings found, at every energy */
    int nwindow;         /* of those, inside the energy window */
    int nextended;       /* 1 if the pair also touches on an extended set (nodal line or surface) */
    int chirality_sum;   /* sum over the zone: 0 in a periodic crystal when every node is found */
    int unresolved;      /* nodes with qkt_node_t.resolved = 0 */
    int sym_mismatch;    /* sum of qkt_node_t.sym_mismatch over the pair */
    /* sample points of the pair's extended touchings (nodal lines or surfaces):
     * every crossing the descents found on them that is more than one scan
     * spacing from the earlier ones, in the order found (at most
     * QKT_NODE_LINE_MAX; nline_total counts them all) */
    int nline, nline_total;
    double line_k[QKT_NODE_LINE_MAX][3];
} qkt_node_pair_t;

/* qkt_find_nodes, and for every band pair of the model (adjacent bands of one
 * block, in order) its checks: pairs[max_pairs], *npairs the number of pairs
 * (pairs may be NULL with max_pairs 0). */
qkt_status_t qkt_find_nodes_report(const qkt_model_t *m, const qkt_node_opts_t *o, qkt_node_t *nodes, int max,
                                   int *n, qkt_node_pair_t *pairs, int max_pairs, int *npairs);

/* Which Fermi pocket encloses each touching (the seed below Eq. 3: a pocket's
 * chirality is the sum of the charges of the nodes its Fermi surface encloses).
 * A node of the pair (n, n + 1) with charge Q lies, for each band b of the
 * pair, in a region of the zone where b is occupied (node energy below mu) or
 * empty (above); the Fermi sheets of b that bound that region carry, together,
 * the node's contribution s c to their chirality (Eq. 3), with c = +Q for
 * b = n + 1 and -Q for b = n, and s = +1 (occupied) or -1 (empty): the
 * divergence theorem for the curvature of b, whose monopoles are the nodes.
 * The sheets are found by rays from the node in 26 directions, each followed
 * until b crosses mu (steps of half a pocket-map cell, then bisection); the
 * pocket of the pocket map at the crossing is that ray's.  The node is
 * enclosed by a pocket when every ray meets a sheet of that pocket. */
enum {
    QKT_ENCLOSE_NONE = -1,     /* no ray meets a sheet of the band (the band does not cross mu there) */
    QKT_ENCLOSE_SHARED = -2,   /* the rays meet sheets of several pockets: the region is bounded by
                                  all of them, and the contribution is not one pocket's */
    QKT_ENCLOSE_UNMAPPED = -3, /* a ray meets a sheet in a cell the pocket map left unlabelled */
    QKT_ENCLOSE_OPEN = -4      /* some rays meet no sheet (within a zone diagonal, or within the map of
                                  a continuum model): the region is not enclosed by a Fermi surface */
};
typedef struct {
    int pocket[2];  /* [0] band n, [1] band n + 1: the pocket (index as in qkt_response_t.pocket)
                       or a QKT_ENCLOSE_* code */
    int charge[2];  /* the contribution s c to that pocket's chirality (0 for the codes) */
    int nrays[2];   /* rays that met a sheet of the band (they stop at the first that meets none
                       or another pocket) */
    int shell;      /* 1: the node lies in the thermal shell (within 5 k_B T of mu); pocket[b] is
                       then the map's pocket at the node (or QKT_ENCLOSE_NONE), charge 0 */
} qkt_node_enclosure_t;

/* For the n touchings of a search of model m (qkt_find_nodes; extended ones
 * get QKT_ENCLOSE_NONE), the pockets of the map the response engine builds
 * with parameters p (mu, T, numerics.ncell, window, kbox, open axes: pass
 * qkt_response_t.par of the run whose pockets are compared).  *npocket: the
 * map's pockets.  sheet (NULL, or max_pockets x nb): sheet[q * nb + b] = 1
 * where band b meets the thermal window in a cell of pocket q (it may have a
 * Fermi sheet there). */
qkt_status_t qkt_pockets_enclosing(const qkt_model_t *m, const qkt_params_t *p, const qkt_node_t *nodes, int n,
                                   qkt_node_enclosure_t *out, int *npocket, unsigned char *sheet, int max_pockets);

/* ================================================================== observables
 * (src/observe/) Quantities assembled from a computed qkt_response_t: the
 * tensors contracted with the field directions, the Weyl coefficients of
 * Eqs. (111), (122), the CME current (Eqs. 86-95) and the pumping rates
 * (Eqs. 61-68).  Engine units (e = hbar = 1, the model's energies and
 * lengths); conversion to SI is left to the caller (qkt_units). */

/* sum_a B_a t[a] and sum_ab B_a B_b t[a][b]; errors sum |B_a| e, |B_a B_b| e.
 * qkt_response_sigma1/2 are these applied to r->sigma1, r->sigma2.  Under rule
 * paper the tensors hold for B parallel to r->par.field only (re-assemble with
 * another field to contract with another direction). */
void qkt_tensor_contract1(const qkt_tensor_t t[3], const double B[3], qkt_tensor_t *out);
void qkt_tensor_contract2(const qkt_tensor_t t[3][3], const double B[3], qkt_tensor_t *out);
/* e.t.e = sum_ij e_i t_ij e_j; *err (if not NULL) = sum_ij |e_i e_j| err_ij. */
double qkt_tensor_quad(const qkt_tensor_t *t, const double e[3], double *err);
/* The rank-4 tensor sigma_{mu nu, ab} of sigma^(2)(B) = sum_ab B_a B_b sigma_{mu nu, ab},
 * symmetrized in (a, b): sigma2[a][a], or (sigma2[a][b] + sigma2[b][a])/2.  Not a
 * material property under rule paper with tau_intra != tau_inter (no such tensor
 * exists; see qkt_params_t.field). */
void qkt_response_sigma2_sym(const qkt_response_t *r, int a, int b, qkt_tensor_t *out);

/* Resistivity rho(B) = [sigma(B)]^-1 to order B^2 (src/observe/resistivity.c),
 * for sigma(B) = s0 + s1 + s2 with s1 = sigma^(1)(B), s2 = sigma^(2)(B) the
 * tensors contracted with the field B (qkt_response_sigma1/2):
 *   rho0 = s0^-1, rho1 = -rho0 s1 rho0, rho2 = -rho0 s2 rho0 + rho0 s1 rho0 s1 rho0
 * (rho_{mu nu} = E_mu/j_nu; the anomalous Hall part of s0 is kept).  n = 3, or
 * 2 for a 2D model (the xy block; other entries 0).  Refused (QKT_EPHYS) when
 * s0's block is singular within its errors: smallest singular value <= 64 eps
 * times the largest, or spectral radius of |s0^-1| err >= 1 (then some matrix
 * within the elementwise error bars is singular).
 * Derived, with B = |B| b:
 *   hall = R_H = b.h/|B|, h_l = (1/2) eps_lij rho1_ji (for b = z:
 *          (rho1_yx - rho1_xy)/(2 B_z); -1/(n e) for free electrons)
 *   mr1[i] = rho1_ii/(rho0_ii |B|)     the MR term odd in B, per unit |B|
 *   mr2[i] = rho2_ii/(rho0_ii |B|^2)   MR per unit B^2
 *   mr[i]  = (rho1_ii + rho2_ii)/rho0_ii   MR = [rho_ii(B) - rho_ii(0)]/rho_ii(0) at B
 *   hall_angle = max_ij |(rho0 s1)_ij|, the expansion's small parameter
 *          (w_c tau for one isotropic band): the B^2 truncation needs it << 1.
 * Errors: first order, sum_c |dF/dx_c| e_c over the 27 input elements with
 * errors e_c (a worst-case linear bound; derivatives exact).  s1, s2 may be
 * NULL (order 0 or 1; B then only sets the direction of R_H). */
typedef struct {
    int n, order;
    double B;                       /* |B| */
    qkt_tensor_t rho0, rho1, rho2;  /* rho1, rho2 at the field B */
    double hall, hall_err;
    double mr1[3], mr1_err[3], mr2[3], mr2_err[3], mr[3], mr_err[3];
    double hall_angle;
} qkt_rho_t;
qkt_status_t qkt_rho_expand(const qkt_tensor_t *s0, const qkt_tensor_t *s1, const qkt_tensor_t *s2,
                            const double B[3], int n, qkt_rho_t *out);
/* qkt_rho_expand of a result at field B, to its order (at most 2). */
qkt_status_t qkt_response_rho(const qkt_response_t *r, const double B[3], qkt_rho_t *out);

/* Scalar disorder in the Born approximation: <U(r) U(r')> has the Fourier
 * transform W(q) = nimp_U0sq exp(-q^2 xi^2 / 2), so that
 * <|U_kk'^{mm'}|^2> = W(k - k') |<u_mk|u_m'k'>|^2 (the overlaps of the
 * cell-periodic states in the orbital basis; periodic models: the shortest
 * image of k - k').  xi = 0: short-range impurities, W = nimp_U0sq, the
 * disorder of run.nimp_U0sq; xi > 0 suppresses the scattering by momenta
 * beyond 1/xi (smooth disorder, Sec. IV). */
typedef struct {
    double nimp_U0sq; /* n_imp U0^2 (energy^2 length^D), > 0 */
    double xi;        /* correlation length (length), >= 0 */
    int refine;       /* sub-division of the pocket-map cells per axis (even, >= 2; 0: 8) */
} qkt_disorder_t;

/* Born scattering times of the Fermi pockets (times in 1/energy, hbar = 1). */
typedef struct {
    int npocket;
    int block[QKT_MAX_POCKETS];
    double center[QKT_MAX_POCKETS][3];
    double dos[QKT_MAX_POCKETS], dos_err[QKT_MAX_POCKETS];        /* sum_k -f0' over the pocket */
    /* quasiparticle (out-scattering) time, 1/tau_p = sum_q 1/tau_inter^{pq}: the average of the
     * out-scattering rate over the pocket's thermal shell */
    double tau[QKT_MAX_POCKETS], tau_err[QKT_MAX_POCKETS];
    double tau_tr[QKT_MAX_POCKETS], tau_tr_err[QKT_MAX_POCKETS];  /* Eq. 58, within the pocket */
    /* Eq. 60: 1/tau_inter^{pq} = 2 pi sum_{k in p, k' in q} <|U|^2> w_k w_k' / dos_p (INFINITY when
     * no scattering connects them); the diagonal is the pocket's rate into itself */
    double tau_inter[QKT_MAX_POCKETS][QKT_MAX_POCKETS], tau_inter_err[QKT_MAX_POCKETS][QKT_MAX_POCKETS];
    /* the pocket-population block of K^dd (Eq. 59, for unequal pockets): with
     * Gamma_pq = dos_p/tau_inter^pq (symmetric), a shift dmu_p of each pocket's
     * chemical potential relaxes as dos_p d(dmu_p)/dt = -sum_q Gamma_pq (dmu_p - dmu_q);
     * its rates lambda (the generalized eigenvalues of that Laplacian and diag(dos)),
     * ascending: one 0 per set of pockets that scattering connects (their total
     * number), then the intervalley relaxation rates (two equal pockets: 2/tau_inter^12).
     * valley_time = 1/lambda (INFINITY for the conserved modes): the time of rule
     * valley's pocket-uniform modes (run.tau_inter). */
    double valley_rate[QKT_MAX_POCKETS], valley_time[QKT_MAX_POCKETS];
    double lost_fraction; /* thermal weight on no pocket (not counted) */
    long nsamples;        /* (point, band) samples on the thermal shell */
    int ngroups;          /* groups of samples in the pair sums */
    int refine, ncell;    /* the sub-division and the pocket map's cells per axis */
} qkt_scatter_t;

/* The scattering times of disorder d at mu, T of p (p's numerics.ncell,
 * window, kbox and open axes set the pocket map; ncell 0: 24, window 0:
 * 16 T): the thermal shell sampled
 * at d->refine points per map-cell edge, delta(mu - eps) of Eqs. 58 and 60
 * as -f0'(eps).  Errors: the change from half that sub-division, plus, for
 * xi > 0, from evaluating W between blocks of cells twice as wide (the
 * blocks are at most 0.1/xi wide).  Scattering is elastic, delta(eps - eps')
 * smeared over T/4 (src/disorder/scatter.c). */
qkt_status_t qkt_scatter_compute(const qkt_model_t *m, const qkt_params_t *p, const qkt_disorder_t *d,
                                 qkt_scatter_t *out);

/* The Fermi surface of a periodic 3D model as a FermiSurfer file (.frmsf,
 * written whole or not at all): the bands that cross mu somewhere on the
 * Gamma-centred grid x_i = i/grid of the reciprocal cell (FermiSurfer's grid
 * type 1), their energies eps - mu (FermiSurfer puts the Fermi level at 0),
 * and a colour per point and band, averaged over degenerate groups (gauge
 * invariant): */
enum {
    QKT_FS_FLUX = 0,      /* Omega.v/|v|: the Berry flux density through the surface, whose
                             integral over a pocket's sheets is -2 pi times its chirality (Eq. 3), length^2 */
    QKT_FS_CURVATURE = 1, /* Omega_x, Omega_y, Omega_z: three colour blocks (a vector) */
    QKT_FS_CHIRALITY = 2  /* the chirality (Eq. 3) of the pocket of r at the point (0 outside pockets) */
};
/* r: the order-0 run with the pockets (QKT_FS_CHIRALITY only; else may be
 * NULL).  *nbands: bands written. */
qkt_status_t qkt_fermisurfer_write(const qkt_model_t *m, double mu, int grid, int color, const qkt_response_t *r,
                                   const char *path, int *nbands);

/* Anisotropic MR and planar Hall effect for a unit field rotating in the
 * plane of axes i (current direction) and j, b(phi) = cos(phi) e_i + sin(phi) e_j,
 * from an order-2 result with B components i and j (the rank-4 tensor):
 * the B^2 part of rho is quadratic in b, rho2_kl(phi) = M_uu cos^2 phi +
 * M_ww sin^2 phi + 2 M_uw sin phi cos phi (M_uw from b = (e_i + e_j)/sqrt 2).
 *   par  = rho2_ii(b = e_i),  perp = rho2_ii(b = e_j)   (per unit B^2)
 *   amr  = par - perp:   rho_ii(phi) = rho0_ii + B^2 [perp + amr cos^2 phi]
 *   phe  = 2 M_uw of rho_ji:  rho_ji(phi) contains B^2 (phe/2) sin 2phi
 * (an in-plane-isotropic system has phe = amr = rho_par - rho_perp);
 * *_rel = divided by rho0_ii.  Errors as qkt_rho_expand, over sigma0,
 * sigma1[i], sigma1[j] and the symmetric pieces ii, jj, ij of sigma2.
 * Refused (QKT_EINVAL) under rule paper with tau_intra != tau_inter: that
 * rule is not linear in the fields, so rho2 is not quadratic in b. */
typedef struct {
    double rho0;
    double par, par_err, perp, perp_err, amr, amr_err, amr_rel, amr_rel_err;
    double phe, phe_err, phe_rel, phe_rel_err;
} qkt_rho_plane_t;
qkt_status_t qkt_response_rho_plane(const qkt_response_t *r, int i, int j, qkt_rho_plane_t *out);

/* Chiral magnetic current at field B (order-0 B-only run, p.bonly = 1),
 * j_mu = sum_a B_a j_{a mu}: the seed's S_B (S_seed = S_fs + S_sea, its
 * Fermi-surface and Fermi-sea parts) and xi_B; the equilibrium rho_B's
 * interband part S_eq, its band-diagonal part D and D's orbital-moment share
 * orb; j_seed = S_seed + xi, j_eq = S_eq + D.  S and j are those of the
 * result's expansion (S_eq, j_eq under QKT_EXPANSION_EQUILIBRIUM; S_seed,
 * j_seed otherwise); *_err the error estimates. */
typedef struct {
    double S_fs[3], S_sea[3], S_seed[3], S_eq[3], S[3], xi[3], D[3], orb[3], j_seed[3], j_eq[3], j[3];
    double S_fs_err[3], S_sea_err[3], S_seed_err[3], S_eq_err[3], S_err[3], xi_err[3], D_err[3], orb_err[3],
        j_seed_err[3], j_eq_err[3], j_err[3];
} qkt_cme_t;
void qkt_response_cme(const qkt_response_t *r, const double B[3], qkt_cme_t *out);

/* Pumping of pocket q at fields E, B (order-1 run): rate = sum_ab E_a B_b
 * pump[q][a][b] (Eqs. 61, 65), the Fermi-sea remainder, the Eq. (67) form
 * (valid for E || B: parallel = 1), and free semiclassics (Eq. 68) with the
 * pocket's chirality.  Electrons per unit time and volume. */
typedef struct {
    double rate, rate_err;
    double sea;
    double eq67;
    int parallel;
    double semi, semi_err;
} qkt_pump_t;
qkt_status_t qkt_pump_pocket(const qkt_response_t *r, int q, const double E[3], const double B[3],
                             qkt_pump_t *out);
/* Eq. (68): dN/dt = Q e^2 E.B / (4 pi^2 hbar^2) of a node of chirality Q. */
double qkt_pump_semiclassical(double Q, const double E[3], const double B[3]);

/* Dimensionless coefficients of a Weyl model (m->info->weyl not NULL) from an
 * order-2 run at field B, in units (e^2/4pi^2)(eB)^2 v^3/mu^2 per relaxation
 * time (Eq. 111): C, the tau_intra^0 tau_inter^1 part of sigma^(2)_{bb} (b = B/|B|);
 * its anomaly parts C_S (path S_E>n_EB>S_EB2) and C_xi (S_E>n_EB>xi_EB2) per
 * tau_inter (rule paper) or tau_intra (other rules); C' (Eq. 122), the same
 * two paths for E along e perpendicular to B, per tau_intra (have_prime: that
 * E direction was computed); with valley = 1, C_valley, C under rule valley
 * (the run needs valley tallies; r is re-assembled under rule valley and back
 * under its own rule).  k0 (have_k0) from the parameters named by the model's
 * qkt_weyl_info_t.  The relaxation times are those of r->par. */
typedef struct {
    double v;              /* node velocity */
    double unit;           /* v^3 |B|^2 / (4 pi^2 mu^2): C = sigma / (tau unit) */
    int have_k0;
    double k0;
    double C, C_err;
    double C_S, C_S_err, C_xi, C_xi_err;
    int have_prime;
    double C_prime, C_prime_err, C_prime_E[3];
    int have_valley;
    double C_valley, C_valley_err;
} qkt_weyl_coef_t;
qkt_status_t qkt_weyl_coefficients(const qkt_model_t *m, qkt_response_t *r, const double B[3], int valley,
                                   qkt_weyl_coef_t *out);


/* ------------------------------------------------------------------ magnetic symmetry */
/* src/symmetry/symmetry.c, docs/physics.md "Magnetic symmetry".
 * The crystal of a Wannier90 .win file: unit_cell_cart (optional first line
 * bohr or ang; Angstrom here, bohr converted with Wannier90's CODATA 2006
 * value) and atoms_frac or atoms_cart (positions stored fractional).  Block
 * names and units are case-insensitive; ! and # start comments.  Species
 * (types) are the labels' leading letters, case-insensitive (Fe1 and fe2: one type). */
typedef struct {
    int natom, ntype;
    double avec[3][3];  /* lattice vectors (rows), Angstrom */
    double (*pos)[3];   /* fractional coordinates */
    int *type;
    char (*label)[16];
    char source[1024];
} qkt_crystal_t;
qkt_status_t qkt_win_structure_read(const char *path, qkt_crystal_t *c);
void qkt_crystal_free(qkt_crystal_t *c);

#define QKT_MAGSYM_MAX 96
/* The magnetic point group: Cartesian rotations R (proper or improper) with
 * anti = 1 when combined with time reversal; each (R, anti) once. */
typedef struct {
    int nop, nunitary, nanti;
    double R[QKT_MAGSYM_MAX][3][3];
    int anti[QKT_MAGSYM_MAX];
    int magnetic;                    /* some moment was non-zero */
    int uni_number, msg_type;        /* spglib's magnetic space-group type (UNI number, type I-IV) */
    char bns_number[8], og_number[12];
    char family_symbol[16];          /* the family (unitary) space group, Hermann-Mauguin short */
    char family_pointgroup[8];
    int nop_crystal;                 /* operations of the crystal (before qkt_magsym_restrict) */
    /* qkt_magsym_check_model: the largest |eps_n(g k) - eps_n(k)| of each operation */
    int model_checked;
    double model_tol;
    double model_dev[QKT_MAGSYM_MAX];
    int model_ok[QKT_MAGSYM_MAX];
    /* qkt_magsym_restrict: the operations dropped because the model breaks them */
    int ndropped;
    double dropped_R[QKT_MAGSYM_MAX][3][3];
    int dropped_anti[QKT_MAGSYM_MAX];
    double dropped_dev[QKT_MAGSYM_MAX];
} qkt_magsym_t;
/* Magnetic point group of crystal c with moments[3 * natom] (Cartesian, any
 * unit; NULL or all zero: non-magnetic, the grey group with time reversal),
 * from spglib's magnetic dataset (moments as axial vectors) at tolerance
 * symprec (Angstrom; <= 0: 1e-5).  Cartesian entries are rounded to the exact
 * 0, +-1/2, +-sqrt(3)/2, +-1 (error when one is not within 1e-4 of those). */
qkt_status_t qkt_magsym_find(const qkt_crystal_t *c, const double *moments, double symprec, qkt_magsym_t *g);
/* The crystal's lattice vectors equal the model's within reltol (relative to the largest entry). */
qkt_status_t qkt_magsym_check_lattice(const qkt_crystal_t *c, const qkt_model_t *m, double reltol);
/* Test each operation on the model's spectrum at nk fixed pseudo-random
 * k-points: eps_n(R k) = eps_n(k) (unitary), eps_n(-R k) = eps_n(k)
 * (antiunitary), within tol (energy units).  A necessary condition only. */
qkt_status_t qkt_magsym_check_model(qkt_magsym_t *g, const qkt_model_t *m, int nk, double tol);
/* Keep the operations that passed qkt_magsym_check_model (they must form a group). */
qkt_status_t qkt_magsym_restrict(qkt_magsym_t *g);
/* The group average of the representation on tensors T[i1..in] (flat index
 * i1*3^(n-1) + ... + in) of rank n (2..4) with naxial axial indices (the last
 * ones: B) and order = the power of B (T-odd per power): unitary (R):
 * T' = det(R)^naxial R..R T; antiunitary (R, theta): T'_{ij..} = (-1)^order
 * [det(R)^naxial R..R T]_{ji..}.  P[3^n * 3^n] is the projector onto the
 * invariant tensors, entries below 1e-12 of the largest set to 0; use_anti = 0
 * averages over the unitary subgroup only. */
qkt_status_t qkt_magsym_projector(const qkt_magsym_t *g, int rank, int naxial, int order, int use_anti, double *P);
/* v = P v; e (optional) = |P| e (each error the |weight|-average of the errors
 * it is averaged from); forbidden[I] (optional) = 1 where the row of P is 0,
 * and then v[I] = e[I] = 0 exactly. */
qkt_status_t qkt_magsym_apply(const qkt_magsym_t *g, int rank, int naxial, int order, int use_anti, double *v,
                              double *e, int *forbidden);
qkt_status_t qkt_magsym_forbidden(const qkt_magsym_t *g, int rank, int naxial, int order, int use_anti, int *forbidden);
/* The smallest set of Cartesian B axes (bit mask) that contains mask and that
 * the group (use_anti = 0: its unitary subgroup) maps onto itself: the B
 * components a result contracted with a field in mask needs, e.g. z alone for
 * B along z in 4/mm'm' and all three in a cubic group. */
int qkt_magsym_field_mask(const qkt_magsym_t *g, int use_anti, int mask);
/* Symmetrize a result: sigma0 and its paths with the whole group; sigma1,
 * sigma2, their paths and tau splits (orders the run computed, needs nu_mask =
 * 7 and an al_mask that qkt_magsym_field_mask leaves unchanged; components
 * outside it come out 0) with the whole group when anti_high, else the unitary
 * subgroup. */
qkt_status_t qkt_magsym_response(const qkt_magsym_t *g, qkt_response_t *r, int anti_high);
/* The irreducible points of the uniform mesh of size mesh[3] (qkt_params_t.mesh)
 * under the group's action on k (unitary R: k -> R k; antiunitary: k -> -R k;
 * with use_anti = 0 the unitary subgroup only, the group qkt_magsym_response
 * averages orders >= 1 with when anti_high is 0):
 * weight[(j1 N2 + j2) N3 + j3] = the size of the point's orbit for one point of
 * each orbit, 0 for the others; *nirr = the number of orbits.  Refused when the
 * mesh is not mapped onto itself.  The weighted sum over the irreducible points,
 * symmetrized, equals the symmetrized sum over the whole mesh when the
 * integrand is covariant (docs/physics.md, "Magnetic symmetry"). */
qkt_status_t qkt_magsym_mesh_weights(const qkt_magsym_t *g, const qkt_model_t *m, const int mesh[3], int use_anti,
                                     int *weight, long *nirr);
/* The same group's action on the indices of that mesh: for each of its *nops
 * operations (those of g in its order, the antiunitary ones only with
 * use_anti; at most QKT_MAGSYM_MAX) the integer matrix A with
 * j'_i = sum_l A_il j_l (mod N_i), the point j's image (qkt_params_t.mesh_ops,
 * with the weights of the same use_anti).  Refused as qkt_magsym_mesh_weights. */
qkt_status_t qkt_magsym_mesh_ops(const qkt_magsym_t *g, const qkt_model_t *m, const int mesh[3], int use_anti,
                                 int (*ops)[3][3], int *nops);

#ifdef __cplusplus
}
#endif
#endif /* QKT_H */

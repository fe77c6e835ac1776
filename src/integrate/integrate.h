/* integrate.h - the k-space integrators of the tally vector: adaptive
 * cubature with a pocket-aware partition (adaptive.c), the uniform mesh
 * (mesh.c), its adaptive refinement (refine.c), and the parallel reduction. */
#ifndef QKT_INTEGRATE_H
#define QKT_INTEGRATE_H
#include "core/internal.h"
#include "pockets/pockets.h"

/* ---- the integrand ------------------------------------------------------------
 * The integrators evaluate a vector of fdim values at k-points and never know
 * what it holds (as cubature's integrand contract).  Values come in groups
 * that share one error scale (group[i] < ngroup); each group has a family
 * (family[g] < QKT_INT_NFAM: a group far below the largest group of its
 * family is converged absolutely), may be a diagnostic (loose[g] = 1: its
 * error scale is 10x looser) or passive (loose[g] = 2: integrated along with
 * the rest, never limiting convergence and left out of the family scales, so
 * that the other values are integrated as without it) and may drive mesh
 * refinement (drive[g]).  eval adds
 * the values at k into out (which the integrator zeroes); eval_scan (may be
 * NULL) the values at nmu chemical potentials.  A workspace per thread. */
#define QKT_INT_NFAM 8
typedef struct {
    int fdim, ngroup;
    const int *group;
    const unsigned char *family, *loose, *drive;
    void *(*ws_alloc)(const void *ctx);
    void (*ws_free)(void *ws);
    qkt_status_t (*eval)(void *ws, const double k[3], double *out);
    qkt_status_t (*eval_scan)(void *ws, const double k[3], int nmu, const double *mus, double *out);
    long (*ndegen)(const void *ws); /* evaluation points with degenerate bands at the Fermi level */
    long (*nfallback)(const void *ws); /* NULL, or points whose analytic derivatives fell back to finite differences */
    const void *ctx;
    /* NULL, or told by the uniform-mesh sum that this workspace will see the
     * points of mesh lines in order, npts on each (1: unknown), and no other */
    void (*lines)(void *ws, int npts);
} qkt_integrand_t;

/* Integration options. */
typedef struct {
    int icell;          /* cells per axis of the integration grid */
    double reltol;      /* requested relative accuracy (per path, per quantity) */
    size_t maxeval;     /* maximum integrand evaluations per integration cell */
    size_t pilot;       /* evaluations of the pilot pass that sets the scales */
    int no_balls;       /* 1: cells only, no spherical shells around pockets */
    /* the thermal shell that the spherical shells around pockets must hold:
     * chemical potential, temperature, window half-width (units of T), and
     * the finite-difference step of the integrand (its stencil's reach) */
    double mu, T, window, fd_step;
    void (*progress)(void *user, long done, long total);
    void (*progress_phase)(void *user, const char *phase);
    void *progress_user;
    /* CLOCK_MONOTONIC time (qkt_now) after which the main pass stops, or 0:
     * adaptive parts not finished keep their pilot value and error, mesh
     * refinement keeps its current cells; the result is marked not converged
     * and stats->timed_out counts what was cut */
    double deadline;
    /* uniform mesh only: NULL, or the multiplicity of every mesh point
     * (index (j1 N2 + j2) N3 + j3); 0: not evaluated */
    const int *weight;
    /* uniform mesh only: s in 1..2^D - 1 moves every point by half a step
     * along some periodic axes, k = sum_i ((j_i + u_s,i)/N_i) b_i, u_s in
     * {0, 1/2}^D: s = 1 along all, then along each axis alone, then pairs
     * (the displaced meshes of qkt_integrate_mesh_shifts); 0: none */
    int shifted;
    /* uniform mesh only (no scan, even sizes along the periodic axes): 1 also
     * sums the 2^D meshes N/2 that make up the mesh, its points of each parity
     * of the indices (p_a = j_a mod 2, coset c = p_1 + 2 p_2 + 4 p_3; c = 0 is
     * the mesh N/2 inside the mesh), each with the weight of a mesh N/2, into
     * stats->cosets.  With weights (an irreducible wedge) a point stands for
     * its orbit under the nops operations ops (j'_i = sum_l A_il j_l mod N_i,
     * qkt_magsym_mesh_ops), which it adds to each coset as many times as the
     * orbit has points there; symmetrized, coset c's sum is then the average
     * of the sums of the cosets the group maps c onto */
    int half;
    const int (*ops)[3][3];
    int nops;
} qkt_intopts_t;

typedef struct {
    size_t neval;       /* integrand evaluations */
    int converged;      /* 1 if the requested accuracy was reached */
    double seconds;     /* wall time */
    long ndegen;        /* points with degenerate bands at the Fermi level */
    long nfallback;     /* points whose analytic derivatives fell back to finite differences */
    int nballs, nparts; /* spherical pocket regions and parts integrated */
    /* mesh refinement (qkt_integrate_refine) */
    size_t nleaves;     /* cells of the final sum */
    int maxlevel;       /* most halvings of a starting-mesh cell */
    double mem_bytes;   /* memory of the cell store and buffers */
    int timed_out;      /* parts (adaptive) or refinement rounds (refine) cut by the deadline */
    double *ptmax;      /* uniform mesh without a scan: NULL, or fdim values set to the largest
                           contribution of one mesh point to val, |f_i(k)| / (N cell volume) */
    double *cosets;     /* uniform mesh with o->half: 2^D fdim values, the sums of the meshes N/2
                           of the parities c = 0 .. 2^D - 1 (set by the caller) */
    double *cosets_kept; /* qkt_integrate_tree with o->half: those values (malloc'd, the caller
                           frees them; NULL when out of memory) */
    int ncoset;         /* their number, 2^D */
} qkt_intstats_t;

/* Integrate the integrand f over the Brillouin zone (or the continuum domain
 * of the pocket map pk) with the measure d^Dk/(2 pi)^D.  val, err: f->fdim. */
qkt_status_t qkt_integrate(const qkt_model_t *m, const qkt_integrand_t *f, const qkt_pockets_t *pk,
                           const qkt_intopts_t *o, double *val, double *err, qkt_intstats_t *stats);

/* Uniform-mesh sum (periodic models): k = sum_i (j_i/N_i) b_i, j_i = 0..N_i-1
 * (Gamma included, as Wannier90/postw90 meshes), weight 1/(N V_cell), i.e.
 * the measure d^Dk/(2 pi)^D.  nmu > 0: f->eval_scan at the nmu chemical
 * potentials mus (val holds nmu blocks of f->fdim); nmu = 0: f->eval (val:
 * f->fdim).  Deterministic: one row per mesh plane j_1, summed in plane
 * order, so threads and MPI ranks give the same digits. */
qkt_status_t qkt_integrate_mesh(const qkt_model_t *m, const qkt_integrand_t *f, const int mesh[3], int nmu,
                                const double *mus, const qkt_intopts_t *o, double *val, qkt_intstats_t *stats);
/* The uniform-mesh sum above (val, Gamma included, the same digits) with an
 * error estimate from nshift displaced copies of the mesh (1 to 2^D - 1):
 * err = the largest |S_0 - S_s| over the copies, per value (the sensitivity
 * of the sum to where the mesh is laid).  The aliasing error of the mesh is
 * sum_{G != 0} f^(N G), and copy s (displaced by u_s in {0, 1/2}^D steps)
 * carries mode G with the sign (-1)^(2 G.u_s): S_0 - S_s is twice the sum
 * of the modes with 2 G.u_s odd.  The first copies, u = (1/2, 1/2, 1/2),
 * (1/2, 0, 0), (0, 1/2, 0), leave only the modes with every G_a even unseen,
 * i.e. the aliasing of the mesh 2N.  Half steps keep the pairing k <-> -k
 * of the mesh, so that terms that cancel between k and -k by inversion or
 * time reversal cancel on every copy (displacements by other fractions break
 * it: Fe's B-only current then scatters by 1e8 A/m^2 against 0.02 on the
 * Gamma mesh).  Where the mesh samples features thinner than its spacing (a
 * thermal shell, a near-crossing) the sums scatter and the differences
 * measure the scatter (docs/wannier.md, "Error estimate of a mesh", has the
 * measured coverage).  (nshift + 1) times the evaluations.  Not for mesh
 * weights (the copies have other symmetries).
 * o->reltol set: stats->converged = every value's estimate below reltol times
 * its group's scale (qkt_integrate_scales).  o->deadline passed after a mesh:
 * the remaining copies are skipped; with none summed err = |val| (no
 * estimate); stats->timed_out = copies skipped.  val, err: f->fdim values per
 * chemical potential (nmu blocks, or one). */
qkt_status_t qkt_integrate_mesh_shifts(const qkt_model_t *m, const qkt_integrand_t *f, const int mesh[3], int nmu,
                                       const double *mus, int nshift, const qkt_intopts_t *o, double *val,
                                       double *err, qkt_intstats_t *stats);
/* The error scale of every value of f (scale, f->fdim) from np blocks of
 * values cv (np x fdim): the largest sum over blocks of |value| of its group;
 * a group below 1e-6 of the largest group of its family is converged to
 * 1e-3 of that group; loose groups 10x (adaptive.c). */
qkt_status_t qkt_integrate_scales(const qkt_integrand_t *f, int np, const double *cv, double *scale);
/* Adaptive refinement of the uniform mesh (periodic models; refine.c): cells
 * centred on the mesh points above, valued by volume x integrand at the
 * centre (the mesh sum), every cell halved once (2^D children at +-1/4 of its
 * edge), then the cells with the largest estimated errors and their coarser
 * neighbours, until every value of a driving group (f->drive) has an error
 * below reltol times the largest |value| of its group or maxeval evaluations
 * (counted in total, the first refinement's (2^D + 1) N1 N2 N3 included) are
 * used.  err (per value): over the starting-mesh cells, the sum of |value -
 * value one halving coarser|.  Deterministic in threads and MPI ranks, like
 * the mesh; val and err on every rank. */
qkt_status_t qkt_integrate_refine(const qkt_model_t *m, const qkt_integrand_t *f, const int mesh[3], double reltol,
                                  size_t maxeval, const qkt_intopts_t *o, double *val, double *err,
                                  qkt_intstats_t *stats);
/* MPI rank of this process (0 without MPI) and the number of ranks */
int qkt_mpi_rank_size(int *size);
/* The deadline (qkt_now() time, 0: none) has passed, decided on rank 0 and
 * shared (collective: every rank must call it at the same point), so that
 * all ranks stop before the same collective step. */
int qkt_mpi_deadline_passed(double deadline);

#endif

/* tree.h - the response tree of PHYSICS.md evaluated at one k-point: every
 * tally of a layout (engine/layout.h) at k, with a per-thread workspace. */
#ifndef QKT_ENGINE_TREE_H
#define QKT_ENGINE_TREE_H
#include "core/internal.h"
#include "engine/layout.h"
#include "pockets/pockets.h"
#include "disorder/kernel.h"

/* Parameters of the per-point evaluation. */
typedef struct {
    double mu, T;
    double h;          /* finite-difference step in k */
    double degen_tol;
    double window;     /* thermal window half-width, units of T */
    double nimp_U0sq;  /* disorder for the vertex correction (0: off) */
    const struct qkt_vtable *vt; /* energy tables of the disorder kernel (NULL: no J) */
    const double complex *born_G; /* tabulation pass 2: G at the node energy (orbital nb*nb) */
    int analytic;      /* 1: k-derivatives of the order-0 nodes from the point's own bands and
                          the model's second derivatives (numerics.derivatives = analytic);
                          0: finite differences on the stencil (the oracle) */
    double landau_x2;  /* > 0: the Landau cutoff (qkt_params_t.landau_B), rho_c^2 |B|: the
                          order >= 1 tallies of a point are weighted by s(1/sqrt(landau_x2
                          max|R^mn|^2) - 1) (tree.c, landau_weight); 0: none */
} qkt_tree_par_t;

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
/* Order-1 node evaluations (level-1 points) that took the finite-difference
 * path although analytic derivatives were asked for: points with degenerate
 * bands (tree.c, analytic derivatives). */
long qkt_tree_ws_nfallback(const qkt_tree_ws_t *w);
/* npts > 0: the caller evaluates the points of mesh lines in order, npts
 * on each (1: unknown), as a uniform mesh does (integrate/mesh.c), so the
 * centre's band workspace may use the model's workspace (a Wannier model's
 * line sums) at order 0, and at order 1 with analytic derivatives (the
 * centre alone; the finite differences sum the centre and the stencil
 * directly, with one rounding); 0 (default): it does not. */
void qkt_tree_ws_lines(qkt_tree_ws_t *w, int npts);

#endif

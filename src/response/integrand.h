/* integrand.h - the response tree at one k-point (engine/tree.h) as the
 * integrators' integrand (integrate/integrate.h): its values are the tallies
 * of a layout, its groups those of the layout's table. */
#ifndef QKT_RESPONSE_INTEGRAND_H
#define QKT_RESPONSE_INTEGRAND_H
#include "engine/tree.h"
#include "integrate/integrate.h"

typedef struct {
    qkt_integrand_t f;
    /* what the tree's workspaces are made of */
    const qkt_model_t *m;
    const qkt_layout_t *L;
    const qkt_tree_par_t *tp;
    const qkt_pockets_t *pk;
    int *group; /* [L->fdim] */
} qkt_tree_integrand_t;

/* The integrand of the tree of m with layout L, parameters tp and pocket map
 * pk (may be NULL); ti must stay where it is while ti->f is used.  Free with
 * qkt_tree_integrand_free. */
qkt_status_t qkt_tree_integrand_init(qkt_tree_integrand_t *ti, const qkt_model_t *m, const qkt_layout_t *L,
                                     const qkt_tree_par_t *tp, const qkt_pockets_t *pk);
void qkt_tree_integrand_free(qkt_tree_integrand_t *ti);

/* The options of the pocket map and of the integrator of one computation. */
typedef struct {
    qkt_mapopts_t map;
    qkt_intopts_t integ;
} qkt_runopts_t;

/* Which integrator, with its arguments. */
enum { QKT_INT_ADAPTIVE, QKT_INT_MESH, QKT_INT_REFINE };
typedef struct {
    int kind;
    const int *mesh;      /* QKT_INT_MESH, QKT_INT_REFINE */
    int nmu;              /* QKT_INT_MESH: chemical-potential scan (0: none) */
    const double *mus;
    double reltol;        /* QKT_INT_REFINE; QKT_INT_MESH with estimate: the convergence test */
    size_t maxeval;
    int estimate;         /* QKT_INT_MESH: > 0 adds that many displaced meshes, err = the largest |difference|
                             (qkt_integrate_mesh_shifts) */
} qkt_integ_t;

/* Integrate the tree of m (layout L, parameters tp, pocket map pk) with the
 * integrator how and options io (the thermal shell is taken from tp). */
qkt_status_t qkt_integrate_tree(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                                const qkt_pockets_t *pk, const qkt_intopts_t *io, const qkt_integ_t *how,
                                double *val, double *err, qkt_intstats_t *stats);

/* Integration options for the thermal shell of tp (the pocket balls of the
 * adaptive integrator): copies mu, T, window and the step into o. */
void qkt_tree_integrand_shell(const qkt_tree_par_t *tp, qkt_intopts_t *o);

#endif

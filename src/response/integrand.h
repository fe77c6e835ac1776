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

/* Integration options for the thermal shell of tp (the pocket balls of the
 * adaptive integrator): copies mu, T, window and the step into o. */
void qkt_tree_integrand_shell(const qkt_tree_par_t *tp, qkt_intopts_t *o);

#endif

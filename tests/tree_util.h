/* tree_util.h - the response tree at one k-point for the module tests of
 * src/engine (test_mod_tree, test_derivs).  Include after check.h. */
#ifndef QKT_TREE_UTIL_H
#define QKT_TREE_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include "engine/tree.h"

/* qkt_tree_eval at k into a fresh buffer of L->fdim values (caller frees);
 * *nfallback (if not NULL): the workspace's finite-difference fallbacks */
static inline double *tree_eval_at(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                                   const double k[3], long *nfallback)
{
    qkt_tree_ws_t *w = qkt_tree_ws_alloc(m, L, tp, NULL);
    double *out = calloc(L->fdim, sizeof(double));
    if (!w || !out) {
        printf("FAIL tree workspace: %s\n", qkt_strerror());
        exit(1);
    }
    qkt_status_t s = qkt_tree_eval(w, k, out);
    CHECK(s == QKT_OK, "qkt_tree_eval failed: %s", qkt_strerror());
    if (nfallback) *nfallback = qkt_tree_ws_nfallback(w);
    qkt_tree_ws_free(w);
    return out;
}

#endif

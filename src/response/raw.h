/* raw.h - the integrals a qkt_response_t keeps for re-assembly under another
 * relaxation rule or relaxation times. */
#ifndef QKT_RESPONSE_RAW_H
#define QKT_RESPONSE_RAW_H
#include "engine/layout.h"

/* the meshes N/2 that make up an even mesh: 2^D */
#define QKT_MAX_COSETS 8

/* integrals kept in a qkt_response_t for re-assembly */
struct qkt_response_raw {
    qkt_layout_t L;
    double *val, *err;
    int nu[3], nnu, al[3], nal, npk, valley;
    int born;   /* n_E (and S_J) hold the Born relaxation: assemble under rule born only */
    /* the Landau cutoff's sensitivity (qkt_response_t.landau_sens): sigma1 and
     * sigma2 under rule rta, and the derivatives of the paths, [QKT_MAX_PATHS][3]
     * for order 1, then [QKT_MAX_PATHS][3][3] for order 2 (NULL: not made) */
    qkt_tensor_t rta1[3], rta2[3][3];
    qkt_tensor_t *lsens_path;
    /* qkt_response_t.half_estimate: the tallies on the 2^D meshes N/2 that
     * make up the mesh (hval, nhalf of them, fdim values each;
     * src/integrate/mesh.c), and the tensors assembled from them (half[l]:
     * their tensors only, raw NULL), which follow every re-assembly and
     * symmetrization of the result (qkt_response_half_errors) */
    double *hval;
    int nhalf;
    qkt_response_t *half[QKT_MAX_COSETS];
};

/* half_estimate: every tensor error from the largest change of its own
 * component from one of the meshes N/2, e = max_c |v - v_c| + sys_rel |v|
 * (qkt_response_t.half_estimate; assemble.c), and converged from these
 * errors */
void qkt_response_half_errors(qkt_response_t *r);

/* the summary fields of the Landau cutoff's sensitivity (qkt_response_t.lsens_rel
 * and the rest) from r->lsens1, lsens2 and the raw tensors above, after an
 * assembly or a symmetrization (assemble.c) */
void qkt_response_landau_summary(qkt_response_t *r);

#endif

/* raw.h - the integrals a qkt_response_t keeps for re-assembly under another
 * relaxation rule or relaxation times. */
#ifndef QKT_RESPONSE_RAW_H
#define QKT_RESPONSE_RAW_H
#include "engine/layout.h"

/* integrals kept in a qkt_response_t for re-assembly */
struct qkt_response_raw {
    qkt_layout_t L;
    double *val, *err;
    int nu[3], nnu, al[3], nal, npk, valley;
    int born;   /* n_E (and S_J) hold the Born relaxation: assemble under rule born only */
};

#endif

/* node.c - one isotropic Weyl node, Eq. (91) of the paper:
 * H = v (qx sx + qy sy + Q qz sz) + (w.q + E0) 1, chirality Q = +-1,
 * optional tilt w and node energy E0 (the node's own chemical potential is
 * mu - E0). */
#include "core/internal.h"

enum { P_V, P_Q, P_TILT, P_E0, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"v", 1, {1, 0, 0}, "velocity", "Weyl velocity v_F"},
    {"chirality", 1, {1, 0, 0}, "1", "chirality Q = +1 or -1"},
    {"tilt", 3, {0, 0, 0}, "velocity", "tilt vector w (adds w.q to both bands)"},
    {"energy", 1, {0, 0, 0}, "energy", "energy E0 of the node"},
};

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double v = QKT_PAR(m, P_V), Q = QKT_PAR(m, P_Q), e0 = QKT_PAR(m, P_E0);
    const double *w = QKT_PARV(m, P_TILT);
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * 4 * nmat);
    qkt_pauli2(out, e0 + w[0] * k[0] + w[1] * k[1] + w[2] * k[2], v * k[0], v * k[1], Q * v * k[2]);
    if (order >= 1) {
        qkt_pauli2(out + 4, w[0], v, 0, 0);
        qkt_pauli2(out + 8, w[1], 0, v, 0);
        qkt_pauli2(out + 12, w[2], 0, 0, Q * v);
    }
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    double v = QKT_PAR(m, P_V), Q = QKT_PAR(m, P_Q);
    const double *w = QKT_PARV(m, P_TILT);
    if (!(v > 0)) return qkt_error(QKT_EINVAL, "node: v must be > 0");
    if (Q != 1 && Q != -1) return qkt_error(QKT_EINVAL, "node: chirality must be +1 or -1, got %g", Q);
    if (sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]) >= v)
        return qkt_error(QKT_EINVAL, "node: |tilt| must be below v (type-I node)");
    m->nb = 2;
    m->dim = 3;
    m->periodic = 0;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    m->kcut = 1.0;
    return QKT_OK;
}

/* capability: isotropic linear Weyl nodes of velocity v (C, C' of Eqs. 111, 122) */
static const qkt_weyl_info_t weyl = {"v", NULL, NULL};

const qkt_model_info_t qkt_model_node = {
    "node", "one Weyl node v(qx sx + qy sy + Q qz sz) + w.q + E0", "Eq. (91)", NPAR, params, setup, &weyl};

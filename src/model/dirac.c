/* dirac.c - Dirac metal: two degenerate Weyl nodes of opposite chirality,
 * block diagonal as in Eqs. (62)/(113): H = diag(H_+, H_-),
 * H_Q = v (qx sx + qy sy + Q qz sz) - Q mu5.  The blocks are the valleys. */
#include "core/internal.h"

enum { P_V, P_MU5, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"v", 1, {1, 0, 0}, "velocity", "Weyl velocity v_F"},
    {"mu5", 1, {0, 0, 0}, "energy", "chiral chemical potential: node Q sits at energy -Q mu5"},
};

static void block(double complex *M, int blk, double c0, double cx, double cy, double cz)
{
    double complex b[4];
    qkt_pauli2(b, c0, cx, cy, cz);
    int o = 2 * blk;
    M[o * 4 + o] = b[0];
    M[o * 4 + o + 1] = b[1];
    M[(o + 1) * 4 + o] = b[2];
    M[(o + 1) * 4 + o + 1] = b[3];
}

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double v = QKT_PAR(m, P_V), mu5 = QKT_PAR(m, P_MU5);
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * 16 * nmat);
    for (int blk = 0; blk < 2; blk++) {
        double Q = blk == 0 ? 1 : -1;
        block(out, blk, -Q * mu5, v * k[0], v * k[1], Q * v * k[2]);
        if (order >= 1) {
            block(out + 16, blk, 0, v, 0, 0);
            block(out + 32, blk, 0, 0, v, 0);
            block(out + 48, blk, 0, 0, 0, Q * v);
        }
    }
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    if (!(QKT_PAR(m, P_V) > 0)) return qkt_error(QKT_EINVAL, "dirac: v must be > 0");
    m->nb = 4;
    m->dim = 3;
    m->periodic = 0;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    m->kcut = 1.0;
    m->nblock = 2;
    m->block_off[0] = 0;
    m->block_off[1] = 2;
    m->block_off[2] = 4;
    return QKT_OK;
}

/* capability: isotropic linear Weyl nodes of velocity v (C, C' of Eqs. 111, 122) */
static const qkt_weyl_info_t weyl = {"v", NULL, NULL};

const qkt_model_info_t qkt_model_dirac = {
    "dirac", "Dirac metal: two degenerate Weyl nodes of opposite chirality (blocks = valleys)",
    "Eqs. (62), (113)", NPAR, params, setup, &weyl};

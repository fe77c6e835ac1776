/* rashba2d.c - magnetic Rashba model in two dimensions (Culcer, Sekine,
 * MacDonald, PRB 96, 035106): H = k^2/(2 m) + alpha (kx sy - ky sx) + M sz. */
#include "core/internal.h"

enum { P_MASS, P_ALPHA, P_M, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"mass", 1, {1, 0, 0}, "mass", "effective mass m"},
    {"alpha", 1, {0.5, 0, 0}, "velocity", "Rashba coupling alpha"},
    {"M", 1, {0.1, 0, 0}, "energy", "exchange field M (sz)"},
};

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double ms = QKT_PAR(m, P_MASS), al = QKT_PAR(m, P_ALPHA), M = QKT_PAR(m, P_M);
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * 4 * nmat);
    qkt_pauli2(out, (k[0] * k[0] + k[1] * k[1]) / (2 * ms), -al * k[1], al * k[0], M);
    if (order >= 1) {
        qkt_pauli2(out + 4, k[0] / ms, 0, al, 0);
        qkt_pauli2(out + 8, k[1] / ms, -al, 0, 0);
        if (order >= 2) {
            qkt_pauli2(out + 4 * (4 + QKT_XX), 1 / ms, 0, 0, 0);
            qkt_pauli2(out + 4 * (4 + QKT_YY), 1 / ms, 0, 0, 0);
        }
    }
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    if (!(QKT_PAR(m, P_MASS) > 0)) return qkt_error(QKT_EINVAL, "rashba2d: mass must be > 0");
    m->nb = 2;
    m->dim = 2;
    m->periodic = 0;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    m->kcut = 1.0 + 4 * QKT_PAR(m, P_MASS) * fabs(QKT_PAR(m, P_ALPHA));
    return QKT_OK;
}

const qkt_model_info_t qkt_model_rashba2d = {
    "rashba2d", "2D magnetic Rashba model k^2/2m + alpha(kx sy - ky sx) + M sz",
    "PRB 96, 035106", NPAR, params, setup, NULL};

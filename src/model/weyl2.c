/* weyl2.c - two-band Weyl model, Eq. (70) of the paper (the t = - block of
 * weyl4): H = v (kx sx + ky sy) + m(kz) sz, m(kz) = b - sqrt(v^2 kz^2 + Delta^2).
 * Nodes at (0, 0, +-k0), k0 = sqrt(b^2 - Delta^2)/v. */
#include "core/internal.h"

enum { P_V, P_B, P_DELTA, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"v", 1, {1, 0, 0}, "velocity", "Dirac velocity v_F"},
    {"b", 1, {0.2, 0, 0}, "energy", "exchange splitting b (node separation 2 sqrt(b^2-Delta^2)/v)"},
    {"Delta", 1, {0, 0, 0}, "energy", "Dirac mass Delta"},
};

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double v = QKT_PAR(m, P_V), b = QKT_PAR(m, P_B), dl = QKT_PAR(m, P_DELTA);
    double r = sqrt(v * v * k[2] * k[2] + dl * dl);
    double mz = b - r;
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * 4 * nmat);
    qkt_pauli2(out, 0, v * k[0], v * k[1], mz);
    if (order >= 1) {
        double dm = r > 0 ? -v * v * k[2] / r : -v; /* one-sided limit at r = 0 (Delta = 0, kz = 0) */
        qkt_pauli2(out + 4, 0, v, 0, 0);
        qkt_pauli2(out + 8, 0, 0, v, 0);
        qkt_pauli2(out + 12, 0, 0, 0, dm);
        if (order >= 2) {
            double d2m = r > 0 ? -v * v * dl * dl / (r * r * r) : 0;
            qkt_pauli2(out + 4 * (4 + QKT_ZZ), 0, 0, 0, d2m);
        }
    }
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    if (!(QKT_PAR(m, P_V) > 0)) return qkt_error(QKT_EINVAL, "weyl2: v must be > 0");
    m->nb = 2;
    m->dim = 3;
    m->periodic = 0;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    m->kcut = 1.0 + 2 * (fabs(QKT_PAR(m, P_B)) + fabs(QKT_PAR(m, P_DELTA))) / QKT_PAR(m, P_V);
    return QKT_OK;
}

/* capability: isotropic linear Weyl nodes of velocity v at +-k0, k0 = sqrt(b^2 - Delta^2)/v
 * (C, C' of Eqs. 111, 122) */
static const qkt_weyl_info_t weyl = {"v", "b", "Delta"};

const qkt_model_info_t qkt_model_weyl2 = {
    "weyl2", "two-band Weyl model v(kx sx + ky sy) + (b - sqrt(v^2 kz^2 + Delta^2)) sz",
    "Eq. (70)", NPAR, params, setup, &weyl};

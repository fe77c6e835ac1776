/* parabolic.c - one parabolic band H = k^2/(2 mass) in D = 3 (or 2)
 * dimensions: the Boltzmann limit of the kinetic equation, Eq. (29). */
#include "core/internal.h"

enum { P_MASS, P_DIM, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"mass", 1, {1, 0, 0}, "mass", "effective mass m"},
    {"dim", 1, {3, 0, 0}, "1", "dimension D (2 or 3)"},
};

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double ms = QKT_PAR(m, P_MASS);
    int d = m->dim;
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * nmat);
    double k2 = 0;
    for (int a = 0; a < d; a++) k2 += k[a] * k[a];
    out[0] = k2 / (2 * ms);
    if (order >= 1)
        for (int a = 0; a < d; a++) out[1 + a] = k[a] / ms;
    if (order >= 2)
        for (int a = 0; a < d; a++) out[4 + a] = 1 / ms; /* xx, yy, zz */
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    if (!(QKT_PAR(m, P_MASS) > 0)) return qkt_error(QKT_EINVAL, "parabolic: mass must be > 0");
    double d = QKT_PAR(m, P_DIM);
    if (d != 2 && d != 3) return qkt_error(QKT_EINVAL, "parabolic: dim must be 2 or 3, got %g", d);
    m->nb = 1;
    m->dim = (int)d;
    m->periodic = 0;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    m->kcut = 1.0;
    return QKT_OK;
}

const qkt_model_info_t qkt_model_parabolic = {
    "parabolic", "one parabolic band k^2/(2 m)", "Eq. (29)", NPAR, params, setup, NULL};

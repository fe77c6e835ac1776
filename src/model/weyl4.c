/* weyl4.c - four-band two-node Weyl semimetal, Eq. (69) of the paper:
 * H = v tau_z k.sigma + Delta tau_x + b.sigma + mu5 tau_z.
 * Orbital index 2*t + s (t: node/tau, s: spin/sigma).  Nodes at (0,0,+-k0),
 * k0 = sqrt(b^2 - Delta^2)/v for b along z with |b| > |Delta|. */
#include "core/internal.h"

enum { P_V, P_B, P_DELTA, P_MU5, NPAR };

static const qkt_param_info_t params[NPAR] = {
    {"v", 1, {1, 0, 0}, "velocity", "Dirac velocity v_F"},
    {"b", 3, {0, 0, 0.2}, "energy", "magnetic exchange vector b (bx by bz)"},
    {"Delta", 1, {0, 0, 0}, "energy", "Dirac mass Delta (tau_x)"},
    {"mu5", 1, {0, 0, 0}, "energy", "chiral chemical potential mu5 (tau_z)"},
};

/* 4x4 element (t s, t' s') = tau[t][t'] * sigma[s][s'] */
static void kron(double complex *M, const double complex tau[4], const double complex sig[4],
                 double complex scale)
{
    for (int t = 0; t < 2; t++)
        for (int s = 0; s < 2; s++)
            for (int u = 0; u < 2; u++)
                for (int r = 0; r < 2; r++)
                    M[(2 * t + s) * 4 + 2 * u + r] += scale * tau[2 * t + u] * sig[2 * s + r];
}

static const double complex s0[4] = {1, 0, 0, 1}, sx[4] = {0, 1, 1, 0},
                            sy[4] = {0, -I, I, 0}, sz[4] = {1, 0, 0, -1};

static qkt_status_t hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    double v = QKT_PAR(m, P_V), dl = QKT_PAR(m, P_DELTA), mu5 = QKT_PAR(m, P_MU5);
    const double *b = QKT_PARV(m, P_B);
    const double complex *sig[3] = {sx, sy, sz};
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    memset(out, 0, sizeof(double complex) * 16 * nmat);
    for (int a = 0; a < 3; a++) {
        kron(out, sz, sig[a], v * k[a]);
        kron(out, s0, sig[a], b[a]);
    }
    kron(out, sx, s0, dl);
    kron(out, sz, s0, mu5);
    if (order >= 1)
        for (int a = 0; a < 3; a++) kron(out + 16 * (1 + a), sz, sig[a], v);
    return QKT_OK;
}

static qkt_status_t setup(qkt_model_t *m)
{
    if (!(QKT_PAR(m, P_V) > 0)) return qkt_error(QKT_EINVAL, "weyl4: v must be > 0");
    m->nb = 4;
    m->dim = 3;
    m->periodic = 0;
    m->units = QKT_UNITS_NATURAL;
    m->hk = hk;
    const double *b = QKT_PARV(m, P_B);
    double bn = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
    m->kcut = 1.0 + 2 * (bn + fabs(QKT_PAR(m, P_DELTA))) / QKT_PAR(m, P_V);
    return QKT_OK;
}

/* capability: isotropic linear Weyl nodes of velocity v at +-k0, k0 = sqrt(b^2 - Delta^2)/v
 * (C, C' of Eqs. 111, 122) */
static const qkt_weyl_info_t weyl = {"v", "b", "Delta"};

const qkt_model_info_t qkt_model_weyl4 = {
    "weyl4", "four-band two-node Weyl semimetal v tau_z k.sigma + Delta tau_x + b.sigma + mu5 tau_z",
    "Eq. (69)", NPAR, params, setup, &weyl};

/* weyl.c - dimensionless magnetoconductivity coefficients of Weyl models:
 * C of Eq. (111) (tau_inter part of the longitudinal sigma^(2) along B in units
 * (e^2/4pi^2)(eB)^2 v^3/mu^2), its S_EB2 and xi_EB2 parts, C under rule valley,
 * and C' of Eq. (122) (anomaly paths for E perpendicular to B). */
#include <math.h>
#include <string.h>
#include "qkt.h"

static int path_index(const qkt_response_t *r, const char *name)
{
    for (int t = 0; t < r->npath2; t++)
        if (!strcmp(r->path2_name[t], name)) return t;
    return -1;
}

/* value of the scalar parameter named name (fallback if name is NULL or absent) */
static double param(const qkt_model_t *m, const char *name, double fallback)
{
    int i = name ? qkt_model_param_index(m->info, name) : -1;
    return i >= 0 ? m->par[i][0] : fallback;
}

qkt_status_t qkt_weyl_coefficients(const qkt_model_t *m, qkt_response_t *r, const double B[3], int valley,
                                   qkt_weyl_coef_t *out)
{
    memset(out, 0, sizeof *out);
    const qkt_weyl_info_t *w = m->info->weyl;
    if (!w) return qkt_error(QKT_EINVAL, "model %s is not a Weyl model (no Weyl capability)", m->info->name);
    if (r->par.order < 2 || r->par.bonly)
        return qkt_error(QKT_EINVAL, "the Weyl coefficients need an order-2 run (order %d)", r->par.order);
    int iS = path_index(r, "anomaly_SE>nEB>SEB2"), iX = path_index(r, "anomaly_SE>nEB>xiEB2");
    if (iS < 0 || iX < 0) return qkt_error(QKT_EINVAL, "the Weyl coefficients need the anomaly paths of sigma^(2)");
    double Bn = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
    if (!(Bn > 0)) return qkt_error(QKT_EINVAL, "the Weyl coefficients need a non-zero field B");
    const qkt_params_t *p = &r->par;
    double v = param(m, w->velocity, 1);
    double bh[3] = {B[0] / Bn, B[1] / Bn, B[2] / Bn};
    /* unit vector perpendicular to B for C' (z projected, or x) */
    double eh[3] = {0, 0, 1};
    double dz = bh[2];
    if (fabs(dz) > 0.999) {
        eh[0] = 1;
        eh[2] = 0;
        dz = bh[0];
        for (int a = 0; a < 3; a++) eh[a] -= dz * bh[a];
    } else {
        for (int a = 0; a < 3; a++) eh[a] -= dz * bh[a];
    }
    double en = sqrt(eh[0] * eh[0] + eh[1] * eh[1] + eh[2] * eh[2]);
    for (int a = 0; a < 3; a++) eh[a] /= en;
    double norm = v * v * v / (4 * M_PI * M_PI * p->mu * p->mu) * Bn * Bn;
    out->v = v;
    out->unit = norm;
    qkt_tensor_t tx, tS, tX;
    qkt_tensor_contract2(r->tau2[0][1], B, &tx);
    out->C = qkt_tensor_quad(&tx, bh, &out->C_err) / (p->tau_inter * norm);
    out->C_err /= p->tau_inter * norm;
    qkt_tensor_contract2(r->path2[iS], B, &tS);
    qkt_tensor_contract2(r->path2[iX], B, &tX);
    double tauA = p->rule == QKT_RULE_PAPER ? p->tau_inter : p->tau_intra;
    out->C_S = qkt_tensor_quad(&tS, bh, &out->C_S_err) / (tauA * norm);
    out->C_xi = qkt_tensor_quad(&tX, bh, &out->C_xi_err) / (tauA * norm);
    out->C_S_err /= tauA * norm;
    out->C_xi_err /= tauA * norm;
    double eP1, eP2;
    out->C_prime = (qkt_tensor_quad(&tS, eh, &eP1) + qkt_tensor_quad(&tX, eh, &eP2)) / (p->tau_intra * norm);
    out->C_prime_err = (eP1 + eP2) / (p->tau_intra * norm);
    for (int a = 0; a < 3; a++) out->C_prime_E[a] = eh[a];
    /* C' needs the E direction perpendicular to B among the computed ones */
    out->have_prime = 1;
    for (int a = 0; a < 3; a++)
        if (fabs(eh[a]) > 1e-12 && !(p->nu_mask >> a & 1)) out->have_prime = 0;
    int ib = w->exchange ? qkt_model_param_index(m->info, w->exchange) : -1;
    int idl = w->mass ? qkt_model_param_index(m->info, w->mass) : -1;
    if (ib >= 0 && idl >= 0) {
        double bb = 0;
        for (int c = 0; c < m->info->params[ib].ncomp; c++) bb += m->par[ib][c] * m->par[ib][c];
        double d = bb - m->par[idl][0] * m->par[idl][0];
        out->k0 = d > 0 ? sqrt(d) / v : 0;
        out->have_k0 = 1;
    }
    if (valley) {
        qkt_rule_t rule = p->rule;
        double ti = p->tau_intra, tx_ = p->tau_inter;
        qkt_status_t s = qkt_response_assemble(r, QKT_RULE_VALLEY, ti, tx_);
        if (s) return s;
        qkt_tensor_contract2(r->tau2[0][1], B, &tx);
        out->C_valley = qkt_tensor_quad(&tx, bh, &out->C_valley_err) / (p->tau_inter * norm);
        out->C_valley_err /= p->tau_inter * norm;
        out->have_valley = 1;
        if ((s = qkt_response_assemble(r, rule, ti, tx_))) return s;
    }
    return QKT_OK;
}

/* model.c - the model registry and the generic model object (parameters,
 * set-up, H(k) with finite-value checks).  One built-in model per file. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

static const qkt_model_info_t *const registry[] = {
    &qkt_model_weyl4,     &qkt_model_weyl2,        &qkt_model_node,
    &qkt_model_dirac,     &qkt_model_parabolic,    &qkt_model_lattice_weyl,
    &qkt_model_rashba2d,  &qkt_model_wannier,
};

int qkt_model_count(void) { return (int)(sizeof registry / sizeof registry[0]); }

const qkt_model_info_t *qkt_model_info_at(int i)
{
    return (i >= 0 && i < qkt_model_count()) ? registry[i] : NULL;
}

const qkt_model_info_t *qkt_model_lookup(const char *name)
{
    for (int i = 0; i < qkt_model_count(); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

int qkt_model_param_index(const qkt_model_info_t *info, const char *name)
{
    for (int i = 0; i < info->nparams; i++)
        if (strcmp(info->params[i].name, name) == 0) return i;
    return -1;
}

qkt_model_t *qkt_model_alloc(const char *name)
{
    const qkt_model_info_t *info = qkt_model_lookup(name);
    if (!info) {
        qkt_error(QKT_EINVAL, "unknown model '%s'", name);
        return NULL;
    }
    qkt_model_t *m = calloc(1, sizeof *m);
    if (!m) {
        qkt_error(QKT_ENOMEM, "out of memory allocating model '%s'", name);
        return NULL;
    }
    m->info = info;
    for (int i = 0; i < info->nparams && i < QKT_MAX_PARAMS; i++)
        for (int c = 0; c < info->params[i].ncomp; c++) m->par[i][c] = info->params[i].def[c];
    m->nblock = 1;
    m->spin_degeneracy = 1;
    m->degen_tol = QKT_DEGEN_TOL_DEFAULT;
    snprintf(m->source, sizeof m->source, "built-in model %s", name);
    return m;
}

qkt_status_t qkt_model_set(qkt_model_t *m, const char *param, const double *val, int ncomp)
{
    int i = qkt_model_param_index(m->info, param);
    if (i < 0) return qkt_error(QKT_EINVAL, "model %s has no parameter '%s'", m->info->name, param);
    if (ncomp != m->info->params[i].ncomp)
        return qkt_error(QKT_EINVAL, "model parameter '%s' takes %d value(s), got %d", param,
                         m->info->params[i].ncomp, ncomp);
    for (int c = 0; c < ncomp; c++) {
        if (!isfinite(val[c]))
            return qkt_error(QKT_EINVAL, "model parameter '%s' is not a finite number", param);
        m->par[i][c] = val[c];
    }
    return QKT_OK;
}

qkt_status_t qkt_model_setup(qkt_model_t *m)
{
    m->nblock = 1;
    qkt_status_t s = m->info->setup ? m->info->setup(m) : QKT_OK;
    if (s) return s;
    if (m->nblock <= 1) {
        m->nblock = 1;
        m->block_off[0] = 0;
        m->block_off[1] = m->nb;
    }
    return QKT_OK;
}

void qkt_model_free(qkt_model_t *m)
{
    if (!m) return;
    if (m->destroy) m->destroy(m);
    free(m);
}

qkt_status_t qkt_model_hk(const qkt_model_t *m, const double k[3], int order, double complex *out)
{
    qkt_status_t s = m->hk(m, k, order, out);
    if (s) return s;
    int nmat = order == 0 ? 1 : order == 1 ? 4 : 10;
    size_t n = (size_t)nmat * m->nb * m->nb;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(creal(out[i])) || !isfinite(cimag(out[i])))
            return qkt_error(QKT_ENUM, "model %s: H(k) is not finite at k = (%g, %g, %g)",
                             m->info->name, k[0], k[1], k[2]);
    return QKT_OK;
}

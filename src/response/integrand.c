/* integrand.c - the response tree as the integrators' integrand: per-thread
 * tree workspaces, evaluation at k, and the tally groups of the layout's
 * table handed to the integrators as data. */
#include <stdlib.h>
#include "response/integrand.h"

/* a thread's workspace: the tree's, and the path values before an
 * evaluation (the totals of orders 1 and 2 add the evaluation's share) */
typedef struct {
    qkt_tree_ws_t *tw;
    const qkt_layout_t *L;
    double *before;
} iws_t;

static void ws_free(void *ws)
{
    iws_t *w = ws;
    if (!w) return;
    qkt_tree_ws_free(w->tw);
    free(w->before);
    free(w);
}

static void *ws_alloc(const void *ctx)
{
    const qkt_tree_integrand_t *ti = ctx;
    iws_t *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->L = ti->L;
    w->tw = qkt_tree_ws_alloc(ti->m, ti->L, ti->tp, ti->pk);
    int n = qkt_layout_drive_size(ti->L);
    if (n > 0) w->before = malloc(sizeof(double) * n);
    if (!w->tw || (n > 0 && !w->before)) {
        ws_free(w);
        return NULL;
    }
    return w;
}

static qkt_status_t eval(void *ws, const double k[3], double *out)
{
    iws_t *w = ws;
    if (w->before) qkt_layout_drive_save(w->L, out, w->before);
    qkt_status_t st = qkt_tree_eval(w->tw, k, out);
    if (!st && w->before) qkt_layout_drive(w->L, out, w->before);
    return st;
}

static qkt_status_t eval_scan(void *ws, const double k[3], int nmu, const double *mus, double *out)
{
    return qkt_tree_eval_scan(((iws_t *)ws)->tw, k, nmu, mus, out);
}

static long ndegen(const void *ws) { return qkt_tree_ws_ndegen(((const iws_t *)ws)->tw); }
static long nfallback(const void *ws) { return qkt_tree_ws_nfallback(((const iws_t *)ws)->tw); }
static void lines(void *ws, int npts) { qkt_tree_ws_lines(((iws_t *)ws)->tw, npts); }

qkt_status_t qkt_tree_integrand_init(qkt_tree_integrand_t *ti, const qkt_model_t *m, const qkt_layout_t *L,
                                     const qkt_tree_par_t *tp, const qkt_pockets_t *pk)
{
    memset(ti, 0, sizeof *ti);
    ti->m = m;
    ti->L = L;
    ti->tp = tp;
    ti->pk = pk;
    ti->group = malloc(sizeof(int) * (L->fdim > 0 ? L->fdim : 1));
    if (!ti->group) return qkt_error(QKT_ENOMEM, "out of memory (%d tallies)", L->fdim);
    qkt_layout_groups(L, ti->group);
    qkt_integrand_t *f = &ti->f;
    f->fdim = L->fdim;
    f->ngroup = L->ngroup;
    f->group = ti->group;
    f->family = L->gfam;
    f->loose = L->gloose;
    f->drive = L->gdrive;
    f->ws_alloc = ws_alloc;
    f->ws_free = ws_free;
    f->eval = eval;
    f->eval_scan = eval_scan;
    f->ndegen = ndegen;
    f->nfallback = nfallback;
    f->lines = lines;
    f->ctx = ti;
    return QKT_OK;
}

void qkt_tree_integrand_free(qkt_tree_integrand_t *ti)
{
    if (!ti) return;
    free(ti->group);
    ti->group = NULL;
}

void qkt_tree_integrand_shell(const qkt_tree_par_t *tp, qkt_intopts_t *o)
{
    o->mu = tp->mu;
    o->T = tp->T;
    o->window = tp->window;
    o->fd_step = tp->h;
}

/* the mesh sum with the largest change from one of the 2^D meshes N/2 that
 * make it up as the error estimate: err = max_c |S_N - S_c| (S_N is their
 * mean); converged when every value's estimate is below reltol times its
 * group's scale */
static qkt_status_t mesh_half(const qkt_model_t *m, const qkt_integrand_t *f, const qkt_integ_t *how,
                              const qkt_intopts_t *io, double *val, double *err, qkt_intstats_t *stats)
{
    int nc = m->dim == 2 ? 4 : 8;
    double *cs = calloc((size_t)f->fdim * nc, sizeof(double)), *scale = calloc(f->fdim, sizeof(double));
    if (!cs || !scale) {
        free(cs);
        free(scale);
        return qkt_error(QKT_ENOMEM, "out of memory (%d tallies)", f->fdim);
    }
    stats->cosets = cs;
    qkt_status_t st = qkt_integrate_mesh(m, f, how->mesh, 0, NULL, io, val, stats);
    stats->cosets = NULL;
    if (!st) {
        for (int i = 0; i < f->fdim; i++) {
            err[i] = 0;
            for (int c = 0; c < nc; c++) err[i] = fmax(err[i], fabs(val[i] - cs[(size_t)c * f->fdim + i]));
        }
        st = qkt_integrate_scales(f, 1, val, scale);
        stats->converged = 1;
        for (int i = 0; i < f->fdim && !st; i++)
            if (err[i] > how->reltol * scale[i]) stats->converged = 0;
    }
    /* the caller assembles the meshes N/2 too (the estimate of the final
     * quantities, qkt_response_t.half_estimate) */
    if (!st) {
        stats->cosets_kept = cs;
        stats->ncoset = nc;
        cs = NULL;
    }
    free(cs);
    free(scale);
    return st;
}

qkt_status_t qkt_integrate_tree(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                                const qkt_pockets_t *pk, const qkt_intopts_t *io0, const qkt_integ_t *how,
                                double *val, double *err, qkt_intstats_t *stats)
{
    qkt_tree_integrand_t ti;
    qkt_status_t st = qkt_tree_integrand_init(&ti, m, L, tp, pk);
    qkt_intopts_t io = *io0;
    qkt_tree_integrand_shell(tp, &io);
    if (!st) switch (how->kind) {
        case QKT_INT_MESH:
            if (how->estimate) {
                io.reltol = how->reltol;
                st = qkt_integrate_mesh_shifts(m, &ti.f, how->mesh, how->nmu, how->mus, how->estimate, &io, val, err,
                                               stats);
            } else if (io.half && stats) {
                st = mesh_half(m, &ti.f, how, &io, val, err, stats);
            } else
                st = qkt_integrate_mesh(m, &ti.f, how->mesh, how->nmu, how->mus, &io, val, stats);
            break;
        case QKT_INT_REFINE:
            st = qkt_integrate_refine(m, &ti.f, how->mesh, how->reltol, how->maxeval, &io, val, err, stats);
            break;
        default: st = qkt_integrate(m, &ti.f, pk, &io, val, err, stats);
        }
    qkt_tree_integrand_free(&ti);
    return st;
}

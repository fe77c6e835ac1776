/* refine.c - adaptive refinement of a uniform mesh (periodic models, order B^0).
 *
 * The Fermi-sea integrands of order B^0 at T = 0 (the anomalous Hall
 * conductivity -sum_n theta(mu - eps_n) Omega_n) have a step on the Fermi
 * surface and Berry-curvature spikes at avoided crossings near mu; uniform
 * meshes converge slowly and erratically on them and give no error estimate,
 * while the cubature rules of integrate.c assume smooth integrands.  Here the
 * mesh itself is refined, with the simplest rule that stays honest on
 * discontinuous integrands:
 *
 * - Cells are the parallelepipeds (cubes in reduced coordinates) centred on
 *   the N1 x N2 x N3 mesh points k = sum_a (j_a/N_a) b_a (Gamma included),
 *   each valued by its volume times the integrand at its centre: the sum over
 *   the cells is exactly the uniform-mesh sum of mesh.c.
 * - Refining a cell evaluates the integrand at its 2^D children's centres
 *   (offsets +-1/4 of the edge) and replaces the cell by them (midpoint rule
 *   on the halved mesh); d = sum of children - cell is the change.  Every
 *   cell of the starting mesh is refined once.  A refined cell whose children
 *   are all leaves is a "family"; its children share one estimate, |d|, and
 *   are refined together.
 * - Error estimate, per tally: for every starting-mesh cell, the signed sum
 *   of d over its families with leaf children, i.e. its value minus the same
 *   sum one halving coarser everywhere; added in absolute value over the
 *   starting-mesh cells (no cancellation assumed between them).  The
 *   per-family sum of |d| is much more pessimistic for a step, whose cell
 *   errors have random signs (10x on Fe); the signed sum inside a starting
 *   cell is what the refinement of that cell last changed.
 * - Batches: first the neighbours that must be refined (below), then the
 *   families with the largest |d| relative to the scale of their sigma^(0)
 *   path, until every path has an estimate below reltol times its largest
 *   component, or maxeval evaluations are used.
 * - Neighbours: a cell next to a refined family (faces, edges, corners,
 *   across the zone boundary) whose finest family is coarser than that
 *   family is refined in the next batch (a 2:1 balance of the sampling).
 *   Features that pass between the points of a cell show no d; without this
 *   rule, step functions with known integrals (the volume of a sphere, a
 *   smooth function cut by a sphere, a Berry-like tube 1/r^3 cut by a
 *   sphere) on starts of 6^3-12^3 kept errors 10-70 times their estimates;
 *   with it, 59 of 60 such runs (and smooth periodic ones) at reltol 1e-3
 *   and 1e-4 were within their estimates (one sphere volume at 1.8 times),
 *   at 1-7 times the evaluations.
 *
 * A refined leaf's own value is needed again (the estimate compares its
 * children with it); it is evaluated again rather than stored, which costs one
 * evaluation in 2^D + 1 but keeps the memory to a family's index and its d
 * vector (no per-point values).
 *
 * Determinism: the cells of a batch are fixed before evaluation (neighbours
 * in the order found, then heap order with ties by creation index), each
 * cell's 2^D + 1 points are evaluated and combined in a fixed order by one
 * thread, results are stored by cell index (MPI ranks take every size-th cell
 * and one MPI_Allreduce adds rows that are non-zero on one rank only), and
 * all sums run serially in cell order: one or more threads and ranks give the
 * same digits. */
#include <stdint.h>
#include <omp.h>
#include <stdlib.h>
#include <time.h>
#if QKT_HAVE_MPI
#include <mpi.h>
#endif
#include "integrate/integrate.h"

/* cells evaluated per round (buffers of 2 CHUNK fdim doubles) */
#define CHUNK 4096
/* families this deep are not refined further (cell indices N 2^level stay
 * far inside int64 and the centres exact in double); their estimates stay */
#define MAXLEVEL 40

/* A family: a refined cell whose children are the leaves below it (or were:
 * once its children are refined themselves it is closed). */
typedef struct {
    int64_t i[3];         /* cell index at its level: centre (i + 1/2) 2^-level - 1/2 in units of 1/N_a */
    int level;            /* 0: a cell of the starting mesh; each refinement halves the edges */
    unsigned char open;   /* 1 while its children are leaves */
    unsigned char forced; /* on the list of neighbours to refine next */
    double prio;          /* largest |difference| / group scale over the sigma^(0) tallies */
} fam_t;

typedef struct {
    fam_t *f;
    double *d;       /* sum of children - cell, per tally: [family][fdim] */
    size_t n, cap;
    size_t *heap;    /* max-heap of families by prio (ties by index); closed ones are skipped */
    size_t nheap, nopen;
    size_t *hash;    /* (level, i) -> family, open addressing; SIZE_MAX: empty */
    size_t hcap;
    size_t *forced;  /* families to refine in the next batch (neighbours of refined ones) */
    size_t nforced, fcap;
    int fdim;
} store_t;

static int before(const store_t *s, size_t a, size_t b)
{
    double pa = s->f[a].prio, pb = s->f[b].prio;
    return pa > pb || (pa == pb && a < b);
}

static void heap_push(store_t *s, size_t id)
{
    size_t i = s->nheap++;
    s->heap[i] = id;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(s, s->heap[i], s->heap[p])) break;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[p];
        s->heap[p] = t;
        i = p;
    }
}

static size_t heap_pop(store_t *s)
{
    size_t top = s->heap[0];
    s->heap[0] = s->heap[--s->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, b = i;
        if (l < s->nheap && before(s, s->heap[l], s->heap[b])) b = l;
        if (r < s->nheap && before(s, s->heap[r], s->heap[b])) b = r;
        if (b == i) break;
        size_t t = s->heap[i];
        s->heap[i] = s->heap[b];
        s->heap[b] = t;
        i = b;
    }
    return top;
}

static size_t hslot(const store_t *s, int level, const int64_t i[3])
{
    uint64_t h = 0x9e3779b97f4a7c15ull * (uint64_t)(level + 1);
    for (int a = 0; a < 3; a++) {
        h ^= (uint64_t)i[a] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdull;
    }
    return (size_t)(h ^ (h >> 29)) & (s->hcap - 1);
}

static size_t hfind(const store_t *s, int level, const int64_t i[3])
{
    for (size_t p = hslot(s, level, i);; p = (p + 1) & (s->hcap - 1)) {
        size_t id = s->hash[p];
        if (id == SIZE_MAX) return SIZE_MAX;
        const fam_t *f = &s->f[id];
        if (f->level == level && f->i[0] == i[0] && f->i[1] == i[1] && f->i[2] == i[2]) return id;
    }
}

static void hput(store_t *s, size_t id)
{
    size_t p = hslot(s, s->f[id].level, s->f[id].i);
    while (s->hash[p] != SIZE_MAX) p = (p + 1) & (s->hcap - 1);
    s->hash[p] = id;
}

/* room for need families (and a hash table at most half full) */
static qkt_status_t store_grow(store_t *s, size_t need)
{
    if (need > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < need) cap *= 2;
        fam_t *f = realloc(s->f, cap * sizeof *f);
        if (f) s->f = f;
        double *d = f ? realloc(s->d, cap * s->fdim * sizeof(double)) : NULL;
        if (d) s->d = d;
        size_t *h = d ? realloc(s->heap, cap * sizeof(size_t)) : NULL;
        if (h) s->heap = h;
        if (!f || !d || !h)
            return qkt_error(QKT_ENOMEM, "out of memory for %zu refined cells of %d tallies", cap, s->fdim);
        s->cap = cap;
    }
    if (2 * need > s->hcap) {
        size_t hcap = s->hcap ? s->hcap : 8192;
        while (hcap < 2 * need) hcap *= 2;
        size_t *h = malloc(hcap * sizeof(size_t));
        if (!h) return qkt_error(QKT_ENOMEM, "out of memory for the index of %zu refined cells", need);
        free(s->hash);
        s->hash = h;
        s->hcap = hcap;
        memset(h, 0xff, hcap * sizeof(size_t));
        for (size_t id = 0; id < s->n; id++) hput(s, id);
    }
    return QKT_OK;
}

static qkt_status_t force(store_t *s, size_t id)
{
    if (s->f[id].forced || !s->f[id].open) return QKT_OK;
    if (s->nforced == s->fcap) {
        size_t cap = s->fcap ? 2 * s->fcap : 4096;
        size_t *f = realloc(s->forced, cap * sizeof(size_t));
        if (!f) return qkt_error(QKT_ENOMEM, "out of memory for the refinement list");
        s->forced = f;
        s->fcap = cap;
    }
    s->f[id].forced = 1;
    s->forced[s->nforced++] = id;
    return QKT_OK;
}

typedef struct {
    const qkt_model_t *m;
    int D, N[3], fdim;
    const qkt_integrand_t *fn;
} geom_t;

/* centre of cell i at level l, in units of the starting-mesh spacing (exact) */
static void centre(const geom_t *g, const int64_t i[3], int level, double u[3])
{
    for (int a = 0; a < 3; a++) u[a] = a < g->D ? ldexp((double)i[a] + 0.5, -level) - 0.5 : 0;
}

static void kpoint(const geom_t *g, const double u[3], double k[3])
{
    double x[3];
    for (int a = 0; a < 3; a++) x[a] = a < g->D ? u[a] / g->N[a] : 0;
    for (int a = 0; a < 3; a++) k[a] = x[0] * g->m->bvec[0][a] + x[1] * g->m->bvec[1][a] + x[2] * g->m->bvec[2][a];
}

/* Refine one cell: its value (volume x integrand at the centre) and the
 * difference sum of children - value, in units of the volume of a
 * starting-mesh cell. */
static qkt_status_t refine_cell(const geom_t *g, void *ws, const double u[3], int level, double *buf,
                                double *sum, double *val, double *diff)
{
    int fdim = g->fdim, nch = 1 << g->D;
    double w = ldexp(1, -g->D * level), h = ldexp(1, -(level + 2)), k[3];
    memset(buf, 0, sizeof(double) * fdim);
    kpoint(g, u, k);
    qkt_status_t s = g->fn->eval(ws, k, buf);
    if (s) return s;
    memcpy(val, buf, sizeof(double) * fdim);
    memset(sum, 0, sizeof(double) * fdim);
    for (int c = 0; c < nch; c++) {
        double uc[3] = {u[0], u[1], u[2]};
        for (int a = 0; a < g->D; a++) uc[a] += (c >> a & 1) ? h : -h;
        kpoint(g, uc, k);
        memset(buf, 0, sizeof(double) * fdim);
        if ((s = g->fn->eval(ws, k, buf))) return s;
        for (int i = 0; i < fdim; i++) sum[i] += buf[i];
    }
    for (int i = 0; i < fdim; i++) {
        diff[i] = w * (sum[i] / nch - val[i]);
        val[i] *= w;
    }
    return QKT_OK;
}

/* Evaluate ncell cells (centres u, levels lev) into val, diff ([cell][fdim]):
 * threads take cells dynamically, MPI ranks every size-th cell. */
static qkt_status_t refine_round(const geom_t *g, void **ws, int nws, const double (*u)[3], const int *lev,
                                 int ncell, double *val, double *diff, char *msg, size_t nmsg)
{
    int fdim = g->fdim, size, rank = qkt_mpi_rank_size(&size);
    qkt_status_t st = QKT_OK;
    memset(val, 0, sizeof(double) * ncell * fdim);
    memset(diff, 0, sizeof(double) * ncell * fdim);
#pragma omp parallel num_threads(nws)
    {
        int t = omp_get_thread_num();
        double *buf = malloc(sizeof(double) * 2 * fdim);
        if (!buf) {
#pragma omp critical(qkt_refine)
            {
                st = QKT_ENOMEM;
                snprintf(msg, nmsg, "out of memory in the refinement workspace");
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (int c = 0; c < ncell; c++) {
            if (c % size != rank || !buf || st) continue;
            qkt_status_t s =
                refine_cell(g, ws[t], u[c], lev[c], buf, buf + fdim, val + (size_t)c * fdim, diff + (size_t)c * fdim);
            if (s) {
#pragma omp critical(qkt_refine)
                {
                    st = s;
                    snprintf(msg, nmsg, "%s", qkt_strerror());
                }
            }
        }
        free(buf);
    }
#if QKT_HAVE_MPI
    if (size > 1) {
        /* every row was written by exactly one rank: the sums are exact */
        MPI_Allreduce(MPI_IN_PLACE, val, ncell * fdim, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, diff, ncell * fdim, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        int bad = st != QKT_OK, anybad = 0;
        MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (anybad && !st) {
            st = QKT_ENUM;
            snprintf(msg, nmsg, "refinement failed on another MPI rank");
        }
    }
#endif
    return st;
}

/* The values that drive the refinement (those of the integrand's driving
 * groups, f->drive: the sigma^(0) paths) with their groups, and the groups'
 * scales. */
typedef struct {
    int n, *ix, *g; /* n values: index, group */
    int ng;         /* groups of the integrand */
    const unsigned char *fam; /* [ng] family of each group (orders 0, 1, 2 in B: scales apart) */
    double *S;      /* [ng] scale of each driving group for the priorities (set once) */
    double *Se;     /* [ng] the same at the running value (error test) */
} drive_t;

static qkt_status_t drive_init(drive_t *d, const qkt_integrand_t *f)
{
    memset(d, 0, sizeof *d);
    d->ng = f->ngroup;
    d->fam = f->family;
    d->ix = malloc(sizeof(int) * (f->fdim > 0 ? f->fdim : 1));
    d->g = malloc(sizeof(int) * (f->fdim > 0 ? f->fdim : 1));
    d->S = calloc(d->ng > 0 ? d->ng : 1, sizeof(double));
    d->Se = calloc(d->ng > 0 ? d->ng : 1, sizeof(double));
    if (!d->ix || !d->g || !d->S || !d->Se) return qkt_error(QKT_ENOMEM, "out of memory for the refinement's groups");
    for (int i = 0; i < f->fdim; i++)
        if (f->drive[f->group[i]]) {
            d->ix[d->n] = i;
            d->g[d->n++] = f->group[i];
        }
    if (d->n == 0) return qkt_error(QKT_EINVAL, "mesh refinement: the integrand has no values that drive it");
    return QKT_OK;
}

static void drive_free(drive_t *d)
{
    free(d->ix);
    free(d->g);
    free(d->S);
    free(d->Se);
}

/* Scales of the driving groups: the largest |value| of each.  A group below
 * 1e-6 of the largest one of its family is zero (Drude at T = 0, the vertex
 * path without disorder, a part that vanishes by symmetry) and is converged
 * absolutely, to 1e-3 of that group, as the adaptive integrator does.  The
 * families (orders B^0, B^1, B^2) are compared apart: their tensors are per
 * unit field to the power of the order, so their sizes say nothing about each
 * other (sigma^(2) per unit B^2 of the engine's units is 1e9 times sigma^(0)
 * for iron). */
static void group_scales(const drive_t *d, const double *V, double *S)
{
    double big[QKT_INT_NFAM] = {0};
    for (int j = 0; j < d->n; j++) S[d->g[j]] = 0;
    for (int j = 0; j < d->n; j++) S[d->g[j]] = fmax(S[d->g[j]], fabs(V[d->ix[j]]));
    for (int j = 0; j < d->n; j++) big[d->fam[d->g[j]]] = fmax(big[d->fam[d->g[j]]], S[d->g[j]]);
    for (int j = 0; j < d->n; j++) {
        double b = big[d->fam[d->g[j]]];
        if (!(S[d->g[j]] > 1e-6 * b)) S[d->g[j]] = b > 0 ? 1e-3 * b : 1;
    }
}

static double priority(const drive_t *dv, const double *d)
{
    double p = 0;
    for (int j = 0; j < dv->n; j++) p = fmax(p, fabs(d[dv->ix[j]]) / dv->S[dv->g[j]]);
    return p;
}

/* The error estimate of value i: for every starting-mesh cell, the change of
 * its value in the last halving of each of its leaves (the signed sum of the
 * differences of its open families: its value minus the same sum one halving
 * coarser), added in absolute value over the starting-mesh cells.  blk: one
 * double per starting-mesh cell. */
static double tally_error(const store_t *s, const geom_t *g, int i, double *blk)
{
    size_t nb = (size_t)g->N[0] * g->N[1] * g->N[2];
    memset(blk, 0, sizeof(double) * nb);
    for (size_t id = 0; id < s->n; id++) {
        const fam_t *f = &s->f[id];
        if (!f->open) continue;
        size_t b = 0;
        for (int a = 0; a < 3; a++) b = b * g->N[a] + (size_t)(f->i[a] >> f->level);
        blk[b] += s->d[id * s->fdim + i];
    }
    double e = 0;
    for (size_t b = 0; b < nb; b++) e += fabs(blk[b]);
    return e;
}

/* Errors of the driving values into E; returns the largest E / (reltol S)
 * over them (<= 1: converged), S the group scales at the running value V. */
static double drive_error(const store_t *s, const geom_t *g, drive_t *d, const double *V, double reltol, double *E,
                          double *blk)
{
    double worst = 0;
    group_scales(d, V, d->Se);
    for (int j = 0; j < d->n; j++) {
        int ix = d->ix[j];
        E[ix] = tally_error(s, g, ix, blk);
        worst = fmax(worst, E[ix] / (reltol * d->Se[d->g[j]]));
    }
    return worst;
}

/* ---- one refinement: its state and its steps */
typedef struct {
    geom_t g;
    const qkt_intopts_t *o;
    size_t maxeval, ncell0, nch, per;
    store_t s;
    drive_t dv;
    void **ws;
    int nws;
    double (*cu)[3];      /* a chunk of cell centres and levels */
    int *clev;
    double *cval, *cdiff; /* their values and differences */
    double *V, *E, *blk;  /* running values, errors, per-starting-cell scratch */
    size_t *batch;
    size_t neval;
    int maxlevel;
    int timed_out;        /* refinement stopped by the deadline */
    char msg[512];        /* a worker thread's message */
} run_t;

/* the deadline has passed (every rank stops after the same batch: the
 * batches are collective) */
static int deadline_stop(const run_t *r) { return r->o ? qkt_mpi_deadline_passed(r->o->deadline) : 0; }

static qkt_status_t check_args(const qkt_model_t *m, const int mesh[3], double reltol, size_t maxeval, geom_t *g,
                               size_t *ncell0)
{
    if (!m->periodic) return qkt_error(QKT_EINVAL, "mesh refinement (numerics.refine) needs a periodic model");
    if (!(reltol > 0 && reltol < 1))
        return qkt_error(QKT_EINVAL, "reltol must be in (0, 1) for mesh refinement (got %g)", reltol);
    if (!(m->cell_volume > 0)) return qkt_error(QKT_EINVAL, "the model has no cell volume");
    g->N[0] = mesh[0];
    g->N[1] = mesh[1];
    g->N[2] = m->dim == 2 ? 1 : mesh[2];
    for (int a = 0; a < 3; a++)
        if (g->N[a] < 1 || g->N[a] > 100000) return qkt_error(QKT_EINVAL, "mesh size %d out of range", g->N[a]);
    size_t nch = (size_t)1 << m->dim;
    *ncell0 = (size_t)g->N[0] * g->N[1] * g->N[2];
    if ((double)*ncell0 * (nch + 1) > (double)maxeval)
        return qkt_error(QKT_EINVAL, "numerics.maxeval = %zu is below the %zu evaluations of the first refinement "
                                     "of the starting mesh (%zu cells x %zu points); raise numerics.maxeval or "
                                     "start from a smaller numerics.mesh", maxeval, *ncell0 * (nch + 1), *ncell0,
                         nch + 1);
    return QKT_OK;
}

static qkt_status_t run_alloc(run_t *r)
{
    int fdim = r->g.fdim;
    r->nws = omp_get_max_threads();
    r->s.fdim = fdim;
    r->ws = calloc(r->nws, sizeof *r->ws);
    r->cu = malloc(sizeof(*r->cu) * CHUNK);
    r->clev = malloc(sizeof(int) * CHUNK);
    r->cval = malloc(sizeof(double) * CHUNK * fdim);
    r->cdiff = malloc(sizeof(double) * CHUNK * fdim);
    r->V = calloc(fdim, sizeof(double));
    r->E = calloc(fdim, sizeof(double));
    r->blk = malloc(sizeof(double) * r->ncell0);
    if (!r->ws || !r->cu || !r->clev || !r->cval || !r->cdiff || !r->V || !r->E || !r->blk)
        return qkt_error(QKT_ENOMEM, "out of memory for the refinement buffers (%d tallies, %zu cells)", fdim,
                         r->ncell0);
    for (int t = 0; t < r->nws; t++)
        if (!(r->ws[t] = r->g.fn->ws_alloc(r->g.fn->ctx)))
            return qkt_error(QKT_ENOMEM, "out of memory allocating the refinement workspace");
    return drive_init(&r->dv, r->g.fn);
}

static void run_free(run_t *r)
{
    for (int t = 0; r->ws && t < r->nws; t++) r->g.fn->ws_free(r->ws[t]);
    free(r->ws);
    free(r->cu);
    free(r->clev);
    free(r->cval);
    free(r->cdiff);
    free(r->V);
    free(r->E);
    free(r->blk);
    free(r->batch);
    free(r->s.f);
    free(r->s.d);
    free(r->s.heap);
    free(r->s.hash);
    free(r->s.forced);
    drive_free(&r->dv);
}

static void progress(const run_t *r)
{
    if (r->o && r->o->progress) r->o->progress(r->o->progress_user, (long)r->neval, (long)r->maxeval);
}

/* The starting mesh, every cell refined once (in chunks of cells, j1
 * slowest); then the group scales of the priorities, set once from the
 * refined starting mesh (a pilot pass), so that the order of refinement does
 * not move with the running value. */
static qkt_status_t start_mesh(run_t *r)
{
    store_t *s = &r->s;
    int fdim = r->g.fdim;
    qkt_status_t st = store_grow(s, r->ncell0);
    if (st) return st;
    for (size_t c0 = 0; c0 < r->ncell0; c0 += CHUNK) {
        int n = (int)(r->ncell0 - c0 < CHUNK ? r->ncell0 - c0 : CHUNK);
        for (int c = 0; c < n; c++) {
            size_t j = c0 + c;
            fam_t *f = &s->f[s->n + c];
            f->i[2] = (int64_t)(j % r->g.N[2]);
            f->i[1] = (int64_t)(j / r->g.N[2] % r->g.N[1]);
            f->i[0] = (int64_t)(j / ((size_t)r->g.N[2] * r->g.N[1]));
            f->level = 0;
            f->open = 1;
            f->forced = 0;
            centre(&r->g, f->i, 0, r->cu[c]);
            r->clev[c] = 0;
        }
        if ((st = refine_round(&r->g, r->ws, r->nws, (const double(*)[3])r->cu, r->clev, n, r->cval, r->cdiff,
                               r->msg, sizeof r->msg)))
            return st;
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < fdim; i++) {
                r->V[i] += r->cval[(size_t)c * fdim + i] + r->cdiff[(size_t)c * fdim + i];
                s->d[s->n * fdim + i] = r->cdiff[(size_t)c * fdim + i];
            }
            hput(s, s->n);
            s->n++;
        }
        r->neval += (size_t)n * (r->nch + 1);
        progress(r);
    }
    s->nopen = s->n;
    group_scales(&r->dv, r->V, r->dv.S);
    for (size_t f = 0; f < s->n; f++) {
        s->f[f].prio = priority(&r->dv, s->d + f * fdim);
        heap_push(s, f);
    }
    return QKT_OK;
}

/* The next batch into r->batch: the neighbours on the forced list, then up
 * to nb open families by estimate, within the budget of families.  *B: the
 * batch size, *nf: how many of it are neighbours. */
static qkt_status_t select_batch(run_t *r, size_t nb, size_t budget, size_t *B, size_t *nf)
{
    store_t *s = &r->s;
    size_t *bt = realloc(r->batch, sizeof(size_t) * (s->nforced + nb));
    if (!bt) return qkt_error(QKT_ENOMEM, "out of memory for a refinement batch");
    r->batch = bt;
    *B = 0;
    for (size_t q = 0; q < s->nforced && *B < budget; q++) {
        fam_t *f = &s->f[s->forced[q]];
        f->forced = 0;
        if (f->open) r->batch[(*B)++] = s->forced[q];
        f->open = 0;
    }
    for (size_t q = 0; q < s->nforced; q++) s->f[s->forced[q]].forced = 0;
    s->nforced = 0;
    *nf = *B;
    while (*B < *nf + nb && *B < budget && s->nheap > 0) {
        size_t id = heap_pop(s);
        if (!s->f[id].open) continue; /* refined earlier as a neighbour */
        s->f[id].open = 0;
        r->batch[(*B)++] = id;
    }
    return QKT_OK;
}

/* The children of the B families of the batch become families themselves:
 * evaluated (in chunks), their priorities set and pushed on the heap. */
static qkt_status_t refine_batch(run_t *r, size_t B)
{
    store_t *s = &r->s;
    int fdim = r->g.fdim;
    qkt_status_t st;
    s->nopen -= B;
    if ((st = store_grow(s, s->n + B * r->nch))) return st;
    size_t first = s->n;
    for (size_t q = 0; q < B; q++) {
        const fam_t *p = &s->f[r->batch[q]];
        for (size_t c = 0; c < r->nch; c++) {
            fam_t *f = &s->f[s->n];
            for (int a = 0; a < 3; a++) f->i[a] = a < r->g.D ? 2 * p->i[a] + (int64_t)(c >> a & 1) : 0;
            f->level = p->level + 1;
            f->open = 1;
            f->forced = 0;
            hput(s, s->n);
            s->n++;
        }
    }
    size_t ncell = s->n - first;
    for (size_t c0 = 0; c0 < ncell; c0 += CHUNK) {
        int n = (int)(ncell - c0 < CHUNK ? ncell - c0 : CHUNK);
        for (int c = 0; c < n; c++) {
            centre(&r->g, s->f[first + c0 + c].i, s->f[first + c0 + c].level, r->cu[c]);
            r->clev[c] = s->f[first + c0 + c].level;
        }
        if ((st = refine_round(&r->g, r->ws, r->nws, (const double(*)[3])r->cu, r->clev, n, r->cval, r->cdiff,
                               r->msg, sizeof r->msg)))
            return st;
        for (int c = 0; c < n; c++) {
            size_t id = first + c0 + c;
            for (int i = 0; i < fdim; i++) {
                r->V[i] += r->cdiff[(size_t)c * fdim + i];
                s->d[id * fdim + i] = r->cdiff[(size_t)c * fdim + i];
            }
            s->f[id].prio = priority(&r->dv, s->d + id * fdim);
            if (s->f[id].level > r->maxlevel) r->maxlevel = s->f[id].level;
        }
        r->neval += (size_t)n * (r->nch + 1);
        progress(r);
    }
    s->nopen += ncell;
    for (size_t id = first; id < s->n; id++)
        if (s->f[id].level < MAXLEVEL) heap_push(s, id);
    return QKT_OK;
}

/* Neighbours (faces, edges and corners, across the zone boundary) of the
 * families batch[nf..B) refined for their estimates, at their level: where
 * the finest family containing one is coarser, it is refined next, so that no
 * cell next to a refined family is sampled more than one halving more
 * coarsely.  Neighbours refined as neighbours do not spread further. */
static qkt_status_t force_neighbours(run_t *r, size_t nf, size_t B)
{
    store_t *s = &r->s;
    for (size_t q = nf; q < B; q++) {
        const fam_t *p = &s->f[r->batch[q]];
        int l = p->level, nn = 1;
        for (int a = 0; a < r->g.D; a++) nn *= 3;
        for (int c = 0; c < nn; c++) {
            int64_t n[3] = {p->i[0], p->i[1], p->i[2]};
            int cc = c, self = 1;
            for (int a = 0; a < r->g.D; a++) {
                int dlt = cc % 3 - 1;
                cc /= 3;
                self &= dlt == 0;
                int64_t M = (int64_t)r->g.N[a] << l;
                n[a] = ((n[a] + dlt) % M + M) % M;
            }
            if (self) continue;
            size_t id;
            int lv = l;
            while ((id = hfind(s, lv, n)) == SIZE_MAX) {
                lv--; /* every starting-mesh cell is a family: ends at level 0 */
                for (int a = 0; a < r->g.D; a++) n[a] >>= 1;
            }
            qkt_status_t st;
            if (lv < l && (st = force(s, id))) return st;
        }
    }
    return QKT_OK;
}

/* Refine, a batch at a time: first the coarser neighbours of the families
 * refined in the previous batch (so that a Fermi-surface sheet or a
 * curvature spike that passes between the points of a cell next to a refined
 * one is found: without this, step functions on a coarse start kept errors
 * 10-70 times their estimate, measured on spheres and tubes with known
 * integrals), then the families with the largest estimates.  *converged: the
 * estimate was reached. */
static qkt_status_t refine_loop(run_t *r, double reltol, int *converged)
{
    store_t *s = &r->s;
    qkt_status_t st;
    for (;;) {
        double worst = drive_error(s, &r->g, &r->dv, r->V, reltol, r->E, r->blk);
        if (worst <= 1 && s->nforced == 0) {
            *converged = 1;
            return QKT_OK;
        }
        if (deadline_stop(r)) {
            r->timed_out = 1; /* the cells so far, their estimate, not converged */
            return QKT_OK;
        }
        size_t budget = (r->maxeval - r->neval) / r->per;
        if (budget == 0 || s->nopen == 0) return QKT_OK;
        /* batch: the neighbours, then 1/128 of the open families by
         * estimate, at least 16 (parallel work): a batch adds ~10 % to the
         * evaluations (the last one overshoots by that much); none beyond
         * the neighbours once the estimate is reached */
        size_t nb = worst <= 1 ? 0 : s->nopen / 128 < 16 ? 16 : s->nopen / 128, B = 0, nf = 0;
        if ((st = select_batch(r, nb, budget, &B, &nf))) return st;
        if (B == 0) return QKT_OK; /* only families at MAXLEVEL are left */
        if ((st = refine_batch(r, B))) return st;
        if ((st = force_neighbours(r, nf, B))) return st;
    }
}

/* All values' errors (the loop kept those of the driving values only), the
 * results and the statistics. */
static void finish(run_t *r, int converged, double *val, double *err, qkt_intstats_t *stats)
{
    int fdim = r->g.fdim;
    for (int i = 0; i < fdim; i++) r->E[i] = tally_error(&r->s, &r->g, i, r->blk);
    double w = 1 / ((double)r->ncell0 * r->g.m->cell_volume);
    for (int i = 0; i < fdim; i++) {
        val[i] = w * r->V[i];
        err[i] = w * r->E[i];
    }
    if (!stats) return;
    long ndeg = 0, nfall = 0;
    for (int t = 0; t < r->nws; t++) {
        ndeg += r->g.fn->ndegen(r->ws[t]);
        if (r->g.fn->nfallback) nfall += r->g.fn->nfallback(r->ws[t]);
    }
#if QKT_HAVE_MPI
    int size;
    qkt_mpi_rank_size(&size);
    if (size > 1) {
        MPI_Allreduce(MPI_IN_PLACE, &ndeg, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &nfall, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    }
#endif
    stats->neval = r->neval;
    stats->converged = converged;
    stats->timed_out = r->timed_out;
    stats->ndegen = ndeg;
    stats->nfallback = nfall;
    stats->nleaves = r->s.nopen * r->nch;
    stats->maxlevel = r->maxlevel;
    stats->mem_bytes = (double)r->s.cap * (sizeof(fam_t) + sizeof(double) * fdim + sizeof(size_t)) +
                       (double)(r->s.hcap + r->s.fcap) * sizeof(size_t) + (double)r->ncell0 * sizeof(double) +
                       (double)CHUNK * (sizeof(double) * (2 * fdim + 3) + sizeof(int));
}

qkt_status_t qkt_integrate_refine(const qkt_model_t *m, const qkt_integrand_t *f, const int mesh[3], double reltol,
                                  size_t maxeval, const qkt_intopts_t *o, double *val, double *err,
                                  qkt_intstats_t *stats)
{
    run_t r;
    memset(&r, 0, sizeof r);
    qkt_status_t st = check_args(m, mesh, reltol, maxeval, &r.g, &r.ncell0);
    if (st) return st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (o && o->progress_phase) o->progress_phase(o->progress_user, "integrating");
    r.g.m = m;
    r.g.D = m->dim;
    r.g.fdim = f->fdim;
    r.g.fn = f;
    r.o = o;
    r.maxeval = maxeval;
    r.nch = (size_t)1 << r.g.D;
    r.per = r.nch * (r.nch + 1); /* evaluations per refined family: its children, each refined */
    int converged = 0;
    if (!(st = run_alloc(&r)) && !(st = start_mesh(&r)) && !(st = refine_loop(&r, reltol, &converged))) {
        if (o && o->progress) o->progress(o->progress_user, 1, 1);
        finish(&r, converged, val, err, stats);
    } else if (r.msg[0]) {
        qkt_error(st, "%s", r.msg);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats) stats->seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    run_free(&r);
    return st;
}

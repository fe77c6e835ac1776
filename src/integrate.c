/* integrate.c - k-space integration of the response tree and the map of
 * Fermi pockets.
 *
 * Domain: the Brillouin zone in reduced coordinates (periodic models) or a
 * box in k (continuum models) whose "open" axes are mapped to the whole real
 * line by k = s u/(1 - u^2), u in (-1, 1), so that Fermi-sea integrals that
 * converge only slice by slice (the anomalous Hall effect of a Weyl pair,
 * Eq. 81) are done as the physics requires.
 * Integrator: adaptive cubature (libcubature hcubature_v) of the whole vector
 * of tallies; a short pilot pass sets one scale per tally group so that every
 * group (every path of the tree, every pocket sum) is converged to the
 * requested relative accuracy.  Points of a batch are evaluated by OpenMP
 * threads (and MPI ranks) and stored by index: results do not depend on the
 * number of threads or ranks.
 * Pockets: connected pieces of the Fermi surface, found on a cell grid from
 * band energies at the cell corners (PHYSICS.md: pockets are found, not
 * declared). */
#include <cubature.h>
#include <omp.h>
#include <stdlib.h>
#include <time.h>
#if QKT_HAVE_MPI
#include <mpi.h>
#endif
#include "engine.h"

/* ------------------------------------------------------------------ domain */
static double map_open(double u, double s, double *jac)
{
    double d = 1 - u * u;
    *jac = s * (1 + u * u) / (d * d);
    return s * u / d;
}

void qkt_domain_map(const qkt_pockets_t *pk, const double *u, double *k, double *jac)
{
    const qkt_model_t *m = pk->m;
    *jac = 1;
    k[0] = k[1] = k[2] = 0;
    if (pk->periodic) {
        for (int a = 0; a < 3; a++)
            for (int i = 0; i < m->dim; i++) k[a] += u[i] * m->bvec[i][a];
        double det = m->dim == 3
                         ? fabs(m->bvec[0][0] * (m->bvec[1][1] * m->bvec[2][2] - m->bvec[1][2] * m->bvec[2][1]) -
                                m->bvec[0][1] * (m->bvec[1][0] * m->bvec[2][2] - m->bvec[1][2] * m->bvec[2][0]) +
                                m->bvec[0][2] * (m->bvec[1][0] * m->bvec[2][1] - m->bvec[1][1] * m->bvec[2][0]))
                         : fabs(m->bvec[0][0] * m->bvec[1][1] - m->bvec[0][1] * m->bvec[1][0]);
        *jac = det;
        return;
    }
    for (int a = 0; a < m->dim; a++) {
        if (pk->open[a]) {
            double j;
            k[a] = map_open(u[a], pk->scale, &j);
            *jac *= j;
        } else {
            k[a] = u[a];
        }
    }
}

/* inverse map of one coordinate */
static double unmap(const qkt_pockets_t *pk, const double k[3], int a)
{
    const qkt_model_t *m = pk->m;
    if (pk->periodic) {
        double x = 0;
        for (int c = 0; c < 3; c++) x += k[c] * m->avec[a][c];
        x /= 2 * M_PI;
        x -= floor(x + 0.5); /* wrap into [-0.5, 0.5) */
        return x;
    }
    if (pk->open[a]) {
        double s = pk->scale, kk = k[a];
        return 2 * kk / (s + sqrt(s * s + 4 * kk * kk));
    }
    return k[a];
}

static int cell_index(const qkt_pockets_t *pk, const int *c)
{
    int idx = 0;
    for (int a = 0; a < pk->dim; a++) idx = idx * pk->ncell + c[a];
    return idx;
}

int qkt_pocket_at(const qkt_pockets_t *pk, const double k[3], int m)
{
    if (!pk || pk->n == 0) return -1;
    int c[3] = {0, 0, 0};
    for (int a = 0; a < pk->dim; a++) {
        double u = unmap(pk, k, a);
        double x = (u - pk->umin[a]) / (pk->umax[a] - pk->umin[a]) * pk->ncell;
        int i = (int)floor(x);
        if (i < 0 || i >= pk->ncell) {
            if (pk->periodic) i = ((i % pk->ncell) + pk->ncell) % pk->ncell;
            else return -1;
        }
        c[a] = i;
    }
    return pk->label[(size_t)cell_index(pk, c) * pk->nblk + pk->bblock[m]];
}

void qkt_pockets_free(qkt_pockets_t *pk)
{
    if (!pk) return;
    free(pk->label);
    free(pk->bblock);
    free(pk->fs);
    free(pk->band);
    free(pk->center);
    free(pk->ncells);
    free(pk);
}

static void setup_domain(qkt_pockets_t *pk, const qkt_model_t *m, const qkt_intopts_t *o)
{
    pk->m = m;
    pk->periodic = m->periodic;
    pk->dim = m->dim;
    pk->nb = m->nb;
    pk->scale = o->scale > 0 ? o->scale : m->kcut;
    for (int a = 0; a < 3; a++) {
        if (m->periodic) {
            pk->umin[a] = -0.5;
            pk->umax[a] = 0.5;
            pk->open[a] = 0;
        } else {
            pk->open[a] = o->open[a];
            double K = o->kbox > 0 ? o->kbox : m->kcut;
            pk->umin[a] = pk->open[a] ? -1 : -K;
            pk->umax[a] = pk->open[a] ? 1 : K;
        }
    }
}

qkt_status_t qkt_pockets_build(const qkt_model_t *m, double mu, double T, const qkt_intopts_t *o,
                               qkt_pockets_t **out)
{
    *out = NULL;
    qkt_pockets_t *pk = calloc(1, sizeof *pk);
    double *emin = NULL, *emax = NULL, *ecorner = NULL;
    int *queue = NULL;
    qkt_bands_t *b = NULL;
    qkt_status_t st = QKT_OK;
    if (!pk) return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    setup_domain(pk, m, o);
    int D = m->dim, N = o->ncell > 1 ? o->ncell : 24, nb = m->nb;
    const int NBL = m->nblock;
    pk->bblock = calloc(nb, sizeof(int));
    if (!pk->bblock) {
        free(pk);
        return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    }
    pk->ncell = N;
    size_t ncells = 1, ncorn = 1;
    for (int a = 0; a < D; a++) {
        ncells *= N;
        ncorn *= (N + 1);
    }
    pk->nblk = m->nblock;
    for (int bl = 0; bl < m->nblock; bl++)
        for (int j = m->block_off[bl]; j < m->block_off[bl + 1]; j++) pk->bblock[j] = bl;
    pk->label = malloc(ncells * NBL * sizeof(int));
    pk->fs = calloc(ncells, sizeof(int));
    ecorner = malloc(ncorn * nb * sizeof(double));
    emin = malloc(ncells * nb * sizeof(double));
    emax = malloc(ncells * nb * sizeof(double));
    queue = malloc(ncells * nb * sizeof(int));
    b = qkt_bands_alloc(nb);
    if (!pk->label || !pk->fs || !ecorner || !emin || !emax || !queue || !b) {
        st = qkt_error(QKT_ENOMEM, "out of memory building the Fermi-pocket map (%zu cells)", ncells);
        goto fail;
    }
    /* energies at the cell corners */
    for (size_t ic = 0; ic < ncorn; ic++) {
        double u[3] = {0, 0, 0}, k[3], jac;
        size_t r = ic;
        for (int a = D - 1; a >= 0; a--) {
            int i = (int)(r % (N + 1));
            r /= (N + 1);
            u[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * i / N;
            if (pk->open[a]) u[a] = fmax(-0.999, fmin(0.999, u[a]));
        }
        qkt_domain_map(pk, u, k, &jac);
        st = qkt_bands_compute(b, m, k, QKT_BANDS_ENERGY);
        if (st) goto fail;
        memcpy(ecorner + ic * nb, b->eps, nb * sizeof(double));
    }
    double W = o->window * T;
    for (size_t c = 0; c < ncells; c++) {
        int ci[3] = {0, 0, 0};
        size_t r = c;
        for (int a = D - 1; a >= 0; a--) {
            ci[a] = (int)(r % N);
            r /= N;
        }
        for (int bl = 0; bl < NBL; bl++) pk->label[c * NBL + bl] = -1;
        for (int mm = 0; mm < nb; mm++) {
            double lo = INFINITY, hi = -INFINITY;
            for (int corner = 0; corner < (1 << D); corner++) {
                size_t idx = 0;
                for (int a = 0; a < D; a++) idx = idx * (N + 1) + ci[a] + ((corner >> a) & 1);
                double e = ecorner[idx * nb + mm];
                lo = fmin(lo, e);
                hi = fmax(hi, e);
            }
            double margin = 0.25 * (hi - lo);
            emin[c * nb + mm] = lo - margin;
            emax[c * nb + mm] = hi + margin;
            int inwin = emin[c * nb + mm] <= mu + W && emax[c * nb + mm] >= mu - W;
            int cross = lo <= mu && hi >= mu;
            /* per block (valley): -2 the Fermi surface crosses the cell (unlabelled);
             * -3 thermal window only; -1 neither */
            int *lab = &pk->label[c * NBL + pk->bblock[mm]];
            if (cross) *lab = -2;
            else if (inwin && *lab == -1) *lab = -3;
            if (inwin) pk->fs[c] = 1;
        }
    }
    /* connected components (face neighbours, same band) */
    int npk = 0;
    for (size_t c0 = 0; c0 < ncells; c0++)
        for (int mm = 0; mm < NBL; mm++) {
            if (pk->label[c0 * NBL + mm] != -2) continue;
            int head = 0, tail = 0;
            queue[tail++] = (int)c0;
            pk->label[c0 * NBL + mm] = npk;
            while (head < tail) {
                int c = queue[head++];
                int ci[3] = {0, 0, 0};
                int r = c;
                for (int a = D - 1; a >= 0; a--) {
                    ci[a] = r % N;
                    r /= N;
                }
                for (int a = 0; a < D; a++)
                    for (int dir = -1; dir <= 1; dir += 2) {
                        int cj[3] = {ci[0], ci[1], ci[2]};
                        cj[a] += dir;
                        if (cj[a] < 0 || cj[a] >= N) {
                            if (!pk->periodic) continue;
                            cj[a] = (cj[a] + N) % N;
                        }
                        int nbc = cell_index(pk, cj);
                        if (pk->label[(size_t)nbc * NBL + mm] == -2) {
                            pk->label[(size_t)nbc * NBL + mm] = npk;
                            queue[tail++] = nbc;
                        }
                    }
            }
            npk++;
        }
    /* grow the pockets through the thermal window (multi-source breadth-first) */
    {
        int head = 0, tail = 0;
        for (size_t c = 0; c < ncells; c++)
            for (int mm = 0; mm < NBL; mm++)
                if (pk->label[c * NBL + mm] >= 0) queue[tail++] = (int)(c * NBL + mm);
        while (head < tail) {
            int e = queue[head++];
            int c = e / NBL, mm = e % NBL;
            int ci[3] = {0, 0, 0};
            int r = c;
            for (int a = D - 1; a >= 0; a--) {
                ci[a] = r % N;
                r /= N;
            }
            for (int a = 0; a < D; a++)
                for (int dir = -1; dir <= 1; dir += 2) {
                    int cj[3] = {ci[0], ci[1], ci[2]};
                    cj[a] += dir;
                    if (cj[a] < 0 || cj[a] >= N) {
                        if (!pk->periodic) continue;
                        cj[a] = (cj[a] + N) % N;
                    }
                    size_t f = (size_t)cell_index(pk, cj) * NBL + mm;
                    if (pk->label[f] == -3) {
                        pk->label[f] = pk->label[e];
                        queue[tail++] = (int)f;
                    }
                }
        }
        for (size_t i = 0; i < ncells * NBL; i++)
            if (pk->label[i] < -1) pk->label[i] = -1;
    }
    pk->n = npk;
    pk->band = calloc(npk > 0 ? npk : 1, sizeof(int));
    pk->center = calloc(npk > 0 ? npk : 1, sizeof *pk->center);
    pk->ncells = calloc(npk > 0 ? npk : 1, sizeof(int));
    if (!pk->band || !pk->center || !pk->ncells) {
        st = qkt_error(QKT_ENOMEM, "out of memory (pockets)");
        goto fail;
    }
    for (size_t c = 0; c < ncells; c++) {
        int ci[3] = {0, 0, 0};
        size_t r = c;
        for (int a = D - 1; a >= 0; a--) {
            ci[a] = (int)(r % N);
            r /= N;
        }
        double u[3] = {0, 0, 0}, k[3], jac;
        for (int a = 0; a < D; a++) u[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * (ci[a] + 0.5) / N;
        qkt_domain_map(pk, u, k, &jac);
        for (int mm = 0; mm < NBL; mm++) {
            int p = pk->label[c * NBL + mm];
            if (p < 0) continue;
            pk->band[p] = mm;
            pk->ncells[p]++;
            for (int a = 0; a < 3; a++) pk->center[p][a] += k[a];
        }
    }
    for (int p = 0; p < npk; p++)
        for (int a = 0; a < 3; a++) pk->center[p][a] /= pk->ncells[p];
    /* dilate the labels by one cell so that stencil points just outside the
     * marked cells still find their pocket */
    int *copy = malloc(ncells * NBL * sizeof(int));
    if (!copy) {
        st = qkt_error(QKT_ENOMEM, "out of memory (pockets)");
        goto fail;
    }
    memcpy(copy, pk->label, ncells * NBL * sizeof(int));
    for (size_t c = 0; c < ncells; c++) {
        int ci[3] = {0, 0, 0};
        size_t r = c;
        for (int a = D - 1; a >= 0; a--) {
            ci[a] = (int)(r % N);
            r /= N;
        }
        for (int mm = 0; mm < NBL; mm++) {
            if (copy[c * NBL + mm] >= 0) continue;
            for (int a = 0; a < D && pk->label[c * NBL + mm] < 0; a++)
                for (int dir = -1; dir <= 1; dir += 2) {
                    int cj[3] = {ci[0], ci[1], ci[2]};
                    cj[a] += dir;
                    if (cj[a] < 0 || cj[a] >= N) {
                        if (!pk->periodic) continue;
                        cj[a] = (cj[a] + N) % N;
                    }
                    int l = copy[(size_t)cell_index(pk, cj) * NBL + mm];
                    if (l >= 0) {
                        pk->label[c * NBL + mm] = l;
                        break;
                    }
                }
        }
    }
    free(copy);
    free(ecorner);
    free(emin);
    free(emax);
    free(queue);
    qkt_bands_free(b);
    *out = pk;
    return QKT_OK;
fail:
    free(ecorner);
    free(emin);
    free(emax);
    free(queue);
    qkt_bands_free(b);
    qkt_pockets_free(pk);
    return st;
}

/* ------------------------------------------------------------------ integration */
typedef struct {
    const qkt_model_t *m;
    const qkt_layout_t *L;
    const qkt_pockets_t *pk;
    qkt_tree_ws_t *ws;
    const double *scale; /* per component (NULL: none) */
    qkt_status_t status;
    size_t neval;
    double norm; /* 1/(2 pi)^D */
} ictx_t;

static int tree_integrand(unsigned ndim, size_t npt, const double *x, void *data, unsigned fdim, double *fval)
{
    ictx_t *c = data;
    c->neval += npt;
    for (size_t i = 0; i < npt; i++) {
        double k[3], jac;
        double *f = fval + i * fdim;
        memset(f, 0, fdim * sizeof(double));
        qkt_domain_map(c->pk, x + i * ndim, k, &jac);
        qkt_status_t s = qkt_tree_eval(c->ws, k, f);
        if (s) {
            c->status = s;
            return 1;
        }
        double w = jac * c->norm;
        for (unsigned j = 0; j < fdim; j++) {
            f[j] *= w;
            if (c->scale) f[j] /= c->scale[j];
            if (!isfinite(f[j])) f[j] = 0; /* isolated singular points (nodes) carry no weight */
        }
    }
    return 0;
}

/* tally groups: every block of related components shares one scale */
static int group_of(const qkt_layout_t *L, int i)
{
    int P = L_P(L), N = L->nnu > 0 ? L->nnu : 1, A = L->nal > 0 ? L->nal : 1;
    if (i < L->o_s1) return (i - L->o_s0) / (N * 3);
    if (i < L->o_s2) return 10 + (i - L->o_s1) / (N * A * 3);
    if (i < L->o_p1) return 20 + (i - L->o_s2) / (N * A * A * 3);
    if (i < L->o_p2) return 40 + (i - L->o_p1) / (N * A * P);
    if (i < L->o_u1) return 60 + (i - L->o_p2) / (N * A * A * P);
    if (i < L->o_u2) return 80;
    if (i < L->o_up2) return 81 + (i - L->o_u2) / 3 % CH_NCHILD;
    if (i < L->o_norm) return 85;
    if (i < L->o_chir) return 86;
    if (i < L->o_cme) return 87;
    if (i < L->o_streda) return 88 + (i - L->o_cme) / 3 % 3;
    if (i < L->o_pump67) return 92;
    if (i < L->o_dos) return 93;
    return 94 + (i - L->o_dos);
}
#define NGROUP 100

static void cell_box(const qkt_pockets_t *pk, int D, int nc, int c, double *lo, double *hi)
{
    for (int a = D - 1; a >= 0; a--) {
        int i = c % nc;
        c /= nc;
        double w = (pk->umax[a] - pk->umin[a]) / nc;
        lo[a] = pk->umin[a] + i * w;
        hi[a] = lo[a] + w;
    }
}

static int mpi_rank_size(int *size)
{
    *size = 1;
#if QKT_HAVE_MPI
    int inited = 0, rank = 0;
    MPI_Initialized(&inited);
    if (inited) {
        MPI_Comm_size(MPI_COMM_WORLD, size);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    return rank;
#else
    return 0;
#endif
}

/* Integrate cells [0, nc) (those owned by this rank) into cv/ce (nc x fdim). */
static qkt_status_t run_cells(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                              const qkt_pockets_t *pk, int ncx, int nc, size_t maxeval, const double *scale,
                              const double *abstol, double *cv, double *ce, size_t *neval, int *unconv)
{
    int size, rank = mpi_rank_size(&size);
    qkt_status_t st = QKT_OK;
    size_t nev = 0;
    int nun = 0;
    int fdim = L->fdim, D = m->dim;
    memset(cv, 0, sizeof(double) * nc * fdim);
    memset(ce, 0, sizeof(double) * nc * fdim);
#pragma omp parallel reduction(+ : nev, nun)
    {
        ictx_t c;
        memset(&c, 0, sizeof c);
        c.m = m;
        c.L = L;
        c.pk = pk;
        c.scale = scale;
        c.norm = pow(2 * M_PI, -D);
        c.ws = qkt_tree_ws_alloc(m, L, tp, pk);
        if (!c.ws) {
#pragma omp critical
            st = QKT_ENOMEM;
        }
#pragma omp for schedule(dynamic, 1)
        for (int cell = 0; cell < nc; cell++) {
            if (cell % size != rank || !c.ws || st) continue;
            double lo[3], hi[3];
            cell_box(pk, D, ncx, cell, lo, hi);
            size_t before = c.neval;
            int rc = hcubature_v((unsigned)fdim, tree_integrand, &c, (unsigned)D, lo, hi, maxeval,
                                 abstol ? abstol[cell] : 0, 0, ERROR_LINF, cv + (size_t)cell * fdim,
                                 ce + (size_t)cell * fdim);
            if (rc || c.status) {
#pragma omp critical
                st = c.status ? c.status : qkt_error(QKT_ENUM, "cubature failed in cell %d", cell);
            }
            if (abstol) {
                double e = 0;
                for (int i = 0; i < fdim; i++) e = fmax(e, ce[(size_t)cell * fdim + i]);
                if (e > abstol[cell] * 1.0000001 || c.neval - before >= maxeval) nun++;
            }
        }
        nev += c.neval;
        qkt_tree_ws_free(c.ws);
    }
#if QKT_HAVE_MPI
    if (size > 1) {
        /* every cell row was written by exactly one rank: the sum is exact */
        MPI_Allreduce(MPI_IN_PLACE, cv, nc * fdim, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, ce, nc * fdim, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        unsigned long n = nev;
        MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_UNSIGNED_LONG, MPI_SUM, MPI_COMM_WORLD);
        nev = n;
        MPI_Allreduce(MPI_IN_PLACE, &nun, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        int bad = st != QKT_OK, anybad = 0;
        MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (anybad && !st) st = qkt_error(QKT_ENUM, "integration failed on another MPI rank");
    }
#endif
    *neval += nev;
    *unconv += nun;
    return st;
}

qkt_status_t qkt_integrate(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                           const qkt_pockets_t *pk, const qkt_intopts_t *o, double *val, double *err,
                           qkt_intstats_t *stats)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int D = m->dim, ncx = o->icell > 0 ? o->icell : (D == 3 ? 6 : 12);
    int nc = 1;
    for (int a = 0; a < D; a++) nc *= ncx;
    int fdim = L->fdim;
    qkt_status_t st = QKT_OK;
    double *cv = malloc(sizeof(double) * nc * fdim), *ce = malloc(sizeof(double) * nc * fdim);
    double *scale = malloc(sizeof(double) * fdim), *abstol = malloc(sizeof(double) * nc);
    size_t neval = 0;
    int unconv = 0;
    if (!cv || !ce || !scale || !abstol) {
        st = qkt_error(QKT_ENOMEM, "out of memory (integrator: %d cells x %d tallies)", nc, fdim);
        goto done;
    }
    /* pilot: one cubature rule per cell sets the scale of every tally group */
    st = run_cells(m, L, tp, pk, ncx, nc, 1, NULL, NULL, cv, ce, &neval, &unconv);
    if (st) goto done;
    double gmax[NGROUP];
    for (int g = 0; g < NGROUP; g++) gmax[g] = 0;
    for (int i = 0; i < fdim; i++) {
        double mass = 0;
        for (int c = 0; c < nc; c++) mass += fabs(cv[(size_t)c * fdim + i]);
        int g = group_of(L, i);
        gmax[g] = fmax(gmax[g], mass);
    }
    double all = 0;
    for (int g = 0; g < NGROUP; g++) all = fmax(all, gmax[g]);
    for (int i = 0; i < fdim; i++) {
        double s = gmax[group_of(L, i)];
        scale[i] = s > 1e-14 * all ? s : (all > 0 ? all : 1);
    }
    for (int c = 0; c < nc; c++) {
        double mag = 0;
        for (int i = 0; i < fdim; i++) mag = fmax(mag, fabs(cv[(size_t)c * fdim + i]) / scale[i]);
        abstol[c] = o->reltol * fmax(mag, 1.0 / nc);
    }
    st = run_cells(m, L, tp, pk, ncx, nc, o->maxeval, scale, abstol, cv, ce, &neval, &unconv);
    if (st) goto done;
    for (int i = 0; i < fdim; i++) {
        double v = 0, e = 0;
        for (int c = 0; c < nc; c++) {
            v += cv[(size_t)c * fdim + i];
            e += ce[(size_t)c * fdim + i];
        }
        val[i] = v * scale[i];
        err[i] = e * scale[i];
    }
    if (stats) {
        stats->neval = neval;
        stats->converged = unconv == 0;
    }
done:
    free(cv);
    free(ce);
    free(scale);
    free(abstol);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats) stats->seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    return st;
}

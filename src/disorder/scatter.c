/* scatter.c - Born scattering times of a disorder model on the Fermi surface
 * (qkt_scatter_compute in qkt.h; docs/commands/scatter.md): per Fermi pocket
 * the quasiparticle time, the transport time (Eq. 58) and the intervalley
 * times to every pocket (Eq. 60), for scalar disorder with the correlator
 * <|U_kk'|^2> = W(k - k') |<u_k|u_k'>|^2, W(q) = n_imp U0^2 exp(-q^2 xi^2 / 2)
 * (xi = 0: short-range impurities).
 *
 * The Fermi surface is sampled on the thermal shell: every Fermi-surface cell
 * of the pocket map is cut into r^D sub-cells whose centres carry, for each
 * band, dk^D/(2 pi)^D and -f0'(eps).  Scattering is elastic: delta(eps - eps')
 * is the partition of unity of hat functions phi_b(e) on energy nodes Delta
 * = T/4 apart, delta(e - e') ~ sum_b phi_b(e) phi_b(e')/Delta, so that with
 * a(k) = phi_b(eps) sqrt(-f0'(eps)) dk/(2 pi)^D the double sums of Eq. 56
 * factorize: the samples of one pocket in one group of cells at one energy
 * node are summed into orbital matrices A = sum a P and Av_c = sum a vhat_c P
 * (P the band's projector, vhat its velocity direction, a trace over a
 * degenerate group), and the rates become sums over pairs of groups at the
 * same node, W(k_g - k_h) Tr(A_g A_h)/Delta: symmetric (detailed balance)
 * and, as T -> 0, Eqs. 58 and 60.  One group per pocket for xi = 0 (W is
 * constant: exact), one per block of map cells no wider than 0.1/xi for
 * xi > 0 (one cell when a cell is already wider; W at the groups'
 * centroids).  Error estimates: the change from sub-cells twice as coarse and,
 * for xi > 0, from blocks twice as wide. */
#include <complex.h>
#include <lapacke.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "pockets/pockets.h"
#include "core/fermi.h"

/* The thermal window (units of T) when p->window is 0 (automatic): -f0'
 * beyond it carries 2 e^-16 of the weight. */
#define SCATTER_WINDOW 16
/* Defaults: pocket-map cells per axis (numerics.ncell = 0; for xi > 0 a
 * group of samples is a block of cells, one cell when a cell is already
 * wider than 0.1/xi, so the pair sums scale as the 6th power of the cells
 * per axis), and samples per cell edge (the shell is resolved by them) */
#define SCATTER_NCELL 24
#define SCATTER_REFINE 8
/* xi > 0: W is taken between groups of cells no wider than this / xi */
#define SCATTER_GROUP_XI 0.1
/* energy nodes of the elastic delta function, in units of T */
#define SCATTER_DELTA 0.25
/* samples with -f0' below this fraction of its peak 1/(4T) are skipped */
#define SCATTER_WEIGHT_CUT 1e-8

/* one group of samples: a pocket's states in a cell or in a block of cells */
typedef struct {
    int pocket, ebin;  /* pocket; energy node */
    double w;          /* sum of -f0' dk^D/(2 pi)^D phi_b (its share of the pocket's density of states) */
    double k[3];       /* weighted centroid (sum w k while summing) */
    double complex *G; /* nb^2: A = sum a P */
    double complex *Gv;/* 3 nb^2: Av_c = sum a vhat_c P */
} group_t;

typedef struct {
    int n, cap, nb2;
    group_t *g;
    long *key;         /* key of each group */
    int *hash;         /* open addressing: group index + 1, 0 empty; size hcap (a power of 2) */
    int hcap;
} groups_t;

static void groups_free(groups_t *gs)
{
    for (int i = 0; i < gs->n; i++) {
        free(gs->g[i].G);
        free(gs->g[i].Gv);
    }
    free(gs->g);
    free(gs->key);
    free(gs->hash);
    memset(gs, 0, sizeof *gs);
}

static size_t hash_slot(long key, int hcap)
{
    unsigned long long h = (unsigned long long)key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 20) & (size_t)(hcap - 1);
}

/* the hash table rebuilt at twice the size */
static int rehash(groups_t *gs)
{
    int hcap = gs->hcap ? 2 * gs->hcap : 1024;
    int *h = calloc(hcap, sizeof *h);
    if (!h) return 1;
    for (int i = 0; i < gs->n; i++) {
        size_t sl = hash_slot(gs->key[i], hcap);
        while (h[sl]) sl = (sl + 1) & (size_t)(hcap - 1);
        h[sl] = i + 1;
    }
    free(gs->hash);
    gs->hash = h;
    gs->hcap = hcap;
    return 0;
}

/* the group of key (created when new); NULL when out of memory */
static group_t *group_of(groups_t *gs, long key, int pocket, int ebin)
{
    if (gs->hcap) {
        size_t sl = hash_slot(key, gs->hcap);
        while (gs->hash[sl]) {
            if (gs->key[gs->hash[sl] - 1] == key) return &gs->g[gs->hash[sl] - 1];
            sl = (sl + 1) & (size_t)(gs->hcap - 1);
        }
    }
    if (gs->n == gs->cap) {
        int cap = gs->cap ? 2 * gs->cap : 64;
        group_t *g = realloc(gs->g, sizeof *g * cap);
        if (!g) return NULL;
        gs->g = g;
        long *k = realloc(gs->key, sizeof *k * cap);
        if (!k) return NULL;
        gs->key = k;
        gs->cap = cap;
    }
    group_t *g = &gs->g[gs->n];
    memset(g, 0, sizeof *g);
    g->pocket = pocket;
    g->ebin = ebin;
    g->G = calloc(gs->nb2, sizeof *g->G);
    g->Gv = calloc(3 * (size_t)gs->nb2, sizeof *g->Gv);
    if (!g->G || !g->Gv) {
        free(g->G);
        free(g->Gv);
        return NULL;
    }
    gs->key[gs->n++] = key;
    if (2 * gs->n > gs->hcap) {
        if (rehash(gs)) return NULL;
    } else {
        size_t sl = hash_slot(key, gs->hcap);
        while (gs->hash[sl]) sl = (sl + 1) & (size_t)(gs->hcap - 1);
        gs->hash[sl] = gs->n;
    }
    return g;
}

/* the shortest image of q (periodic models: over q + G for the 27 nearest G) */
static double q2_min(const qkt_model_t *m, const double q[3])
{
    if (!m->periodic) return q[0] * q[0] + q[1] * q[1] + q[2] * q[2];
    double x[3], best = INFINITY;
    for (int i = 0; i < 3; i++) {
        x[i] = 0;
        for (int c = 0; c < 3; c++) x[i] += q[c] * m->avec[i][c];
        x[i] /= 2 * M_PI;
        x[i] -= floor(x[i] + 0.5);
    }
    int lim = m->dim == 3 ? 1 : 0;
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
            for (int l = -lim; l <= lim; l++) {
                double s[3] = {x[0] + i, x[1] + j, x[2] + l}, k[3] = {0, 0, 0};
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < m->dim; b++) k[a] += s[b] * m->bvec[b][a];
                best = fmin(best, k[0] * k[0] + k[1] * k[1] + k[2] * k[2]);
            }
    return best;
}

/* Re Tr(A B) of two Hermitian nb x nb matrices */
static double trace_prod(const double complex *A, const double complex *B, int nb)
{
    double t = 0;
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < nb; j++) t += creal(A[i * nb + j] * B[j * nb + i]);
    return t;
}

/* the rates of one grouping: inter[p][q] = 2 pi sum W Tr(A_g A_h)/Delta over
 * pairs at one energy node, tr[p] the same with Tr(A A) - sum_c Tr(Av_c Av_c);
 * each group's row is summed alone and the rows are added in order (the
 * result does not depend on the threads) */
static qkt_status_t pair_sums(const qkt_model_t *m, const groups_t *gs, double W0, double xi, double Delta, int npk,
                              double inter[][QKT_MAX_POCKETS], double *tr)
{
    const int nb = m->nb;
    const size_t nb2 = (size_t)nb * nb;
    for (int p = 0; p < npk; p++) {
        tr[p] = 0;
        for (int q = 0; q < npk; q++) inter[p][q] = 0;
    }
    /* the groups ordered by energy node */
    int emax = 0;
    for (int i = 0; i < gs->n; i++) emax = gs->g[i].ebin > emax ? gs->g[i].ebin : emax;
    int *ord = malloc(sizeof(int) * (gs->n > 0 ? gs->n : 1));
    int *start = calloc(emax + 2, sizeof(int));
    int *fill = malloc(sizeof(int) * (emax + 1));
    /* per group (row): its pocket's row of inter and its tr term, reduced in order */
    double *acc = calloc((size_t)(gs->n > 0 ? gs->n : 1) * (npk + 1), sizeof(double));
    if (!ord || !start || !fill || !acc) {
        free(ord);
        free(start);
        free(fill);
        free(acc);
        return qkt_error(QKT_ENOMEM, "out of memory (scattering times: pair sums)");
    }
    for (int i = 0; i < gs->n; i++) start[gs->g[i].ebin + 1]++;
    for (int b = 0; b <= emax; b++) start[b + 1] += start[b];
    memcpy(fill, start, sizeof(int) * (emax + 1));
    for (int i = 0; i < gs->n; i++) ord[fill[gs->g[i].ebin]++] = i;
    free(fill);
#pragma omp parallel for schedule(dynamic, 16)
    for (int ii = 0; ii < gs->n; ii++) {
        const group_t *g = &gs->g[ord[ii]];
        double *row = acc + (size_t)ii * (npk + 1);
        for (int jj = start[g->ebin]; jj < start[g->ebin + 1]; jj++) {
            const group_t *h = &gs->g[ord[jj]];
            double W = W0;
            if (xi > 0) {
                double q[3] = {g->k[0] - h->k[0], g->k[1] - h->k[1], g->k[2] - h->k[2]};
                W *= exp(-0.5 * q2_min(m, q) * xi * xi);
            }
            double r = W * trace_prod(g->G, h->G, nb);
            row[h->pocket] += r;
            if (g->pocket == h->pocket) {
                double v = 0;
                for (int a = 0; a < 3; a++) v += trace_prod(g->Gv + a * nb2, h->Gv + a * nb2, nb);
                row[npk] += r - W * v;
            }
        }
    }
    for (int ii = 0; ii < gs->n; ii++) {
        const double *row = acc + (size_t)ii * (npk + 1);
        int p = gs->g[ord[ii]].pocket;
        tr[p] += 2 * M_PI * row[npk] / Delta;
        for (int q = 0; q < npk; q++) inter[p][q] += 2 * M_PI * row[q] / Delta;
    }
    free(ord);
    free(start);
    free(acc);
    return QKT_OK;
}

/* the samples of sub-division r, summed into groups (per pocket and energy
 * node, and for xi > 0 per block of blk^D cells, and of (2 blk)^D cells for
 * the second grouping); *lost: the weight on no pocket */
typedef struct {
    const qkt_model_t *m;
    const qkt_pockets_t *pk;
    double mu, T;
    int r;
    int nblock;      /* groupings: 1 or 2 (the second: blocks twice as wide) */
    int per_pocket;  /* xi = 0: one group per pocket */
    double Delta;    /* spacing of the energy nodes */
    int ne;          /* energy nodes: mu + (b - ne/2) Delta, b = 0 .. ne - 1 */
    int blk;         /* cells per axis of a group (xi > 0); the second grouping has 2 blk */
} sample_t;

static long block_key(const qkt_pockets_t *pk, size_t c, int blk, int pocket, int per_pocket, int ebin, int ne)
{
    if (per_pocket) return (long)pocket * ne + ebin;
    int ci[3] = {0, 0, 0};
    size_t cc = c;
    for (int a = pk->dim - 1; a >= 0; a--) {
        ci[a] = (int)(cc % pk->ncell) / blk;
        cc /= pk->ncell;
    }
    long key = 0;
    for (int a = 0; a < pk->dim; a++) key = key * (pk->ncell / blk + 1) + ci[a];
    return (key * QKT_MAX_POCKETS + pocket) * ne + ebin;
}

/* the samples of map cell c into the groups gs (nblock groupings); 0, or 1
 * a failed band computation, 2 out of memory */
static int sample_cell(const sample_t *s, size_t c, groups_t *gs, qkt_bands_t *bt, double complex *P, double *lost,
                       long *nsamples)
{
    const qkt_pockets_t *pk = s->pk;
    const qkt_model_t *m = s->m;
    const int nb = m->nb, D = pk->dim, r = s->r;
    const size_t nb2 = (size_t)nb * nb;
    int nsub = 1, fail = 0;
    for (int a = 0; a < D; a++) nsub *= r;
    double du[3];
    for (int a = 0; a < D; a++) du[a] = (pk->gmax[a] - pk->gmin[a]) / pk->ncell;
    double cut = SCATTER_WEIGHT_CUT / (4 * s->T);
    int ci[3] = {0, 0, 0};
    size_t cc = c;
    for (int a = D - 1; a >= 0; a--) {
        ci[a] = (int)(cc % pk->ncell);
        cc /= pk->ncell;
    }
    for (int sub = 0; sub < nsub && !fail; sub++) {
        double u[3] = {0, 0, 0}, k[3], jac;
        int ss = sub;
        for (int a = D - 1; a >= 0; a--) {
            int j = ss % r;
            ss /= r;
            u[a] = pk->gmin[a] + du[a] * (ci[a] + (j + 0.5) / r);
        }
        qkt_domain_map(pk, u, k, &jac);
        double dV = jac;
        for (int a = 0; a < D; a++) dV *= du[a] / r;
        dV /= pow(2 * M_PI, D);
        if (qkt_bands_compute(bt, m, k, QKT_BANDS_GEOMETRY)) {
            fail = 1;
            break;
        }
        for (int b = 0; b < nb; b++) {
            double fp = -qkt_f0p(bt->eps[b], s->mu, s->T);
            if (!(fp > cut)) continue;
            int p = qkt_pocket_at(pk, k, b);
            if (p < 0) {
                *lost += fp * dV;
                continue;
            }
            (*nsamples)++;
            /* velocity direction: the trace over the band's degenerate group */
            int g0 = bt->grp[b], g1 = bt->grp_end[b];
            double v[3] = {0, 0, 0};
            for (int j = g0; j < g1; j++)
                for (int a = 0; a < 3; a++) v[a] += creal(bt->v[a][j * nb + j]) / (g1 - g0);
            double vn = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            for (int i = 0; i < nb; i++)
                for (int j = 0; j < nb; j++) P[i * nb + j] = bt->U[i * nb + b] * conj(bt->U[j * nb + b]);
            /* the two energy nodes around eps: hat weights */
            double x = (bt->eps[b] - s->mu) / s->Delta + s->ne / 2;
            int b0 = (int)floor(x);
            double t = x - b0;
            for (int e = 0; e < 2; e++) {
                int eb = b0 + e;
                double phi = e ? t : 1 - t;
                if (eb < 0 || eb >= s->ne || phi <= 0) continue;
                double a = phi * sqrt(fp) * dV;
                for (int gi = 0; gi < s->nblock; gi++) {
                    group_t *g = group_of(&gs[gi], block_key(pk, c, s->blk << gi, p, s->per_pocket, eb, s->ne), p, eb);
                    if (!g) {
                        fail = 2;
                        break;
                    }
                    g->w += phi * fp * dV;
                    for (int c3 = 0; c3 < 3; c3++) g->k[c3] += phi * fp * dV * k[c3];
                    for (size_t el = 0; el < nb2; el++) g->G[el] += a * P[el];
                    if (vn > 0)
                        for (int c3 = 0; c3 < 3; c3++)
                            for (size_t el = 0; el < nb2; el++) g->Gv[c3 * nb2 + el] += a * v[c3] / vn * P[el];
                }
                if (fail) break;
            }
            if (fail) break;
        }
    }
    return fail;
}

/* group h added into the group of its key in gs */
static int group_add(groups_t *gs, long key, const group_t *h)
{
    group_t *g = group_of(gs, key, h->pocket, h->ebin);
    if (!g) return 1;
    g->w += h->w;
    for (int a = 0; a < 3; a++) g->k[a] += h->k[a];
    for (int e = 0; e < gs->nb2; e++) g->G[e] += h->G[e];
    for (int e = 0; e < 3 * gs->nb2; e++) g->Gv[e] += h->Gv[e];
    return 0;
}

/* Fermi-surface cells per chunk: a chunk's samples are summed into its own
 * groups, and the chunks are merged in their order, so that the sums do not
 * depend on the number of threads */
#define SCATTER_CHUNK 32

/* every Fermi-surface cell, in parallel chunks merged in order */
static qkt_status_t sample(const sample_t *s, groups_t *gs, double *lost, long *nsamples)
{
    const qkt_pockets_t *pk = s->pk;
    const int nb = s->m->nb;
    size_t ncells = 1;
    for (int a = 0; a < pk->dim; a++) ncells *= (size_t)pk->ncell;
    const long nchunk = (long)((ncells + SCATTER_CHUNK - 1) / SCATTER_CHUNK);
    *lost = 0;
    *nsamples = 0;
    for (int i = 0; i < s->nblock; i++) gs[i].nb2 = nb * nb;
    int fail = 0;
#pragma omp parallel reduction(max : fail)
    {
        int mine = 0;
        groups_t local[2];
        memset(local, 0, sizeof local);
        qkt_bands_t *bt = qkt_bands_alloc(nb);
        double complex *P = malloc(sizeof *P * (size_t)nb * nb);
        if (!bt || !P) mine = 2;
#pragma omp for ordered schedule(static, 1)
        for (long ch = 0; ch < nchunk; ch++) {
            double l = 0;
            long ns = 0;
            for (int i = 0; i < 2; i++) {
                groups_free(&local[i]);
                local[i].nb2 = nb * nb;
            }
            for (size_t c = (size_t)ch * SCATTER_CHUNK; c < ncells && c < (size_t)(ch + 1) * SCATTER_CHUNK && !mine; c++)
                if (pk->fs[c]) mine = sample_cell(s, c, local, bt, P, &l, &ns);
#pragma omp ordered
            {
                *lost += l;
                *nsamples += ns;
                for (int i = 0; i < s->nblock && !mine; i++)
                    for (int j = 0; j < local[i].n && !mine; j++)
                        if (group_add(&gs[i], local[i].key[j], &local[i].g[j])) mine = 2;
            }
        }
        for (int i = 0; i < 2; i++) groups_free(&local[i]);
        qkt_bands_free(bt);
        free(P);
        fail = mine;
    }
    if (fail == 1) return qkt_error(QKT_ENUM, "scattering times: band geometry failed on the Fermi surface");
    if (fail == 2) return qkt_error(QKT_ENOMEM, "out of memory (scattering times)");
    for (int gi = 0; gi < s->nblock; gi++)
        for (int i = 0; i < gs[gi].n; i++)
            for (int a = 0; a < 3; a++) gs[gi].g[i].k[a] /= gs[gi].g[i].w;
    return QKT_OK;
}

/* one resolution: rates into o (dos, times) for grouping 0, and the times of
 * the coarser grouping into alt (xi > 0) */
typedef struct {
    double dos[QKT_MAX_POCKETS], rate_tr[QKT_MAX_POCKETS];
    double inter[QKT_MAX_POCKETS][QKT_MAX_POCKETS];
    double lost;
    long nsamples;
    int ngroups;
} rates_t;

static qkt_status_t rates_at(const sample_t *s, double W0, double xi, int npk, rates_t *o, rates_t *alt)
{
    groups_t gs[2];
    memset(gs, 0, sizeof gs);
    qkt_status_t st = sample(s, gs, &o->lost, &o->nsamples);
    for (int gi = 0; !st && gi < s->nblock; gi++) {
        rates_t *x = gi ? alt : o;
        memset(x->dos, 0, sizeof x->dos);
        for (int i = 0; i < gs[gi].n; i++) x->dos[gs[gi].g[i].pocket] += gs[gi].g[i].w;
        x->ngroups = gs[gi].n;
        st = pair_sums(s->m, &gs[gi], W0, xi, s->Delta, npk, x->inter, x->rate_tr);
        if (gi) x->lost = o->lost, x->nsamples = o->nsamples;
    }
    for (int gi = 0; gi < 2; gi++) groups_free(&gs[gi]);
    return st;
}

/* times of rates x into out (or the change from x into the errors) */
static void times(const rates_t *x, int npk, qkt_scatter_t *out, int err)
{
    for (int p = 0; p < npk; p++) {
        double d = x->dos[p], qp = 0;
        for (int q = 0; q < npk; q++) qp += x->inter[p][q];
        /* a pocket without samples (thinner than the sampling): no rate, times inf */
        double tau = d > 0 && qp > 0 ? d / qp : INFINITY, ttr = d > 0 && x->rate_tr[p] > 0 ? d / x->rate_tr[p] : INFINITY;
        if (!err) {
            out->dos[p] = d;
            out->tau[p] = tau;
            out->tau_tr[p] = ttr;
        } else {
            out->dos_err[p] += fabs(d - out->dos[p]);
            out->tau_err[p] += isfinite(tau) && isfinite(out->tau[p]) ? fabs(tau - out->tau[p]) : INFINITY;
            out->tau_tr_err[p] += isfinite(ttr) && isfinite(out->tau_tr[p]) ? fabs(ttr - out->tau_tr[p]) : INFINITY;
        }
        for (int q = 0; q < npk; q++) {
            double ti = d > 0 && x->inter[p][q] > 0 ? d / x->inter[p][q] : INFINITY;
            if (!err) out->tau_inter[p][q] = ti;
            else if (isfinite(ti) && isfinite(out->tau_inter[p][q]))
                out->tau_inter_err[p][q] += fabs(ti - out->tau_inter[p][q]);
            else if (isfinite(ti) != isfinite(out->tau_inter[p][q]))
                out->tau_inter_err[p][q] = INFINITY;
        }
    }
}

/* The pocket-population block (Eq. 59): generalized eigenvalues of the
 * Laplacian of Gamma_pq = dos_p/tau_inter^pq (symmetrized) against diag(dos),
 * by LAPACK's dsygv; a rate below 1e-12 of the largest is a conserved mode. */
static qkt_status_t valley_modes(qkt_scatter_t *out)
{
    double L[QKT_MAX_POCKETS * QKT_MAX_POCKETS] = {0}, Dg[QKT_MAX_POCKETS * QKT_MAX_POCKETS] = {0};
    double lam[QKT_MAX_POCKETS];
    int idx[QKT_MAX_POCKETS], n = 0;
    /* the pockets with samples (a pocket without any has no population to relax) */
    for (int p = 0; p < out->npocket; p++) {
        out->valley_rate[p] = 0;
        out->valley_time[p] = INFINITY;
        if (out->dos[p] > 0) idx[n++] = p;
    }
    for (int i = 0; i < n; i++) {
        int p = idx[i];
        Dg[i * n + i] = out->dos[p];
        for (int j = 0; j < n; j++) {
            int q = idx[j];
            if (q == p) continue;
            double g = 0.5 * (out->dos[p] / out->tau_inter[p][q] + out->dos[q] / out->tau_inter[q][p]);
            L[i * n + j] -= g;
            L[i * n + i] += g;
        }
    }
    if (n > 0 && LAPACKE_dsygv(LAPACK_ROW_MAJOR, 1, 'N', 'U', n, L, n, Dg, n, lam) != 0)
        return qkt_error(QKT_ENUM, "scattering times: the pocket-population eigenproblem failed");
    double top = 0;
    for (int i = 0; i < n; i++) top = fmax(top, fabs(lam[i]));
    /* ascending: the modes of the pockets without samples (conserved) first */
    int off = out->npocket - n;
    for (int i = 0; i < n; i++) {
        out->valley_rate[off + i] = fabs(lam[i]) <= 1e-12 * top ? 0 : lam[i];
        out->valley_time[off + i] = out->valley_rate[off + i] > 0 ? 1 / out->valley_rate[off + i] : INFINITY;
    }
    return QKT_OK;
}

qkt_status_t qkt_scatter_compute(const qkt_model_t *m, const qkt_params_t *p, const qkt_disorder_t *d,
                                 qkt_scatter_t *out)
{
    memset(out, 0, sizeof *out);
    if (!m || !p || !d) return qkt_error(QKT_EINVAL, "qkt_scatter_compute: invalid arguments");
    if (!(d->nimp_U0sq > 0) || !(d->xi >= 0) || !isfinite(d->xi))
        return qkt_error(QKT_EINVAL, "scattering times: need a disorder strength n_imp U0^2 > 0 and xi >= 0 "
                                     "(got %g, %g)", d->nimp_U0sq, d->xi);
    int r = d->refine > 0 ? d->refine : SCATTER_REFINE;
    if (r < 2 || r % 2)
        return qkt_error(QKT_EINVAL, "scattering times: the sub-division of the pocket-map cells must be even "
                                     "and >= 2 (got %d): the error estimate halves it", r);
    if (!(p->T > 0)) return qkt_error(QKT_EINVAL, "scattering times: need T > 0 (the thermal shell)");
    qkt_mapopts_t mo;
    qkt_mapopts_from_params(p, &mo);
    if (mo.window == 0) mo.window = SCATTER_WINDOW;
    if (mo.ncell <= 1) mo.ncell = SCATTER_NCELL;
    qkt_pockets_t *pk;
    qkt_status_t st = qkt_pockets_build(m, p->mu, p->T, &mo, &pk);
    if (st) return st;
    int npk = pk->n;
    if (npk > QKT_MAX_POCKETS) {
        qkt_pockets_free(pk);
        return qkt_error(QKT_EPHYS, "%d Fermi pockets; at most %d are supported", npk, QKT_MAX_POCKETS);
    }
    out->npocket = npk;
    for (int q = 0; q < npk; q++) {
        out->block[q] = pk->band[q];
        memcpy(out->center[q], pk->center[q], sizeof out->center[q]);
    }
    out->refine = r;
    out->ncell = pk->ncell;
    if (npk == 0) {
        qkt_pockets_free(pk);
        return QKT_OK;
    }
    qkt_blas_serial();
    rates_t *x = calloc(3, sizeof *x);
    if (!x) {
        qkt_pockets_free(pk);
        return qkt_error(QKT_ENOMEM, "out of memory (scattering times)");
    }
    double Delta = SCATTER_DELTA * p->T;
    /* energy nodes over the window and the weight cut (-f0' > 1e-8 of its peak: |e - mu| < 19.8 T) */
    int ne = 2 * (int)ceil(fmax(mo.window, 20) / SCATTER_DELTA) + 4;
    /* xi > 0: groups of blk^D cells, blk the largest power of 2 with blk x
     * (cell edge) x xi <= SCATTER_GROUP_XI (the error estimate doubles blk) */
    int blk = 1;
    if (d->xi > 0) {
        double edge = 0;
        size_t ncells = 1;
        for (int a = 0; a < pk->dim; a++) ncells *= (size_t)pk->ncell;
        for (size_t c = 0; c < ncells; c++)
            if (pk->fs[c]) edge = fmax(edge, 2 * qkt_pocket_cell_reach(pk, c) / pk->dim);
        while (2 * blk * edge * d->xi <= SCATTER_GROUP_XI && 2 * blk <= pk->ncell / 4) blk *= 2;
    }
    sample_t s = {m, pk, p->mu, p->T, r, d->xi > 0 ? 2 : 1, !(d->xi > 0), Delta, ne, blk};
    st = rates_at(&s, d->nimp_U0sq, d->xi, npk, &x[0], &x[1]);
    if (!st) {
        times(&x[0], npk, out, 0);
        if (d->xi > 0) times(&x[1], npk, out, 1);
        out->nsamples = x[0].nsamples;
        out->ngroups = x[0].ngroups;
        double all = x[0].lost;
        for (int q = 0; q < npk; q++) all += x[0].dos[q];
        out->lost_fraction = all > 0 ? x[0].lost / all : 0;
        s.r = r / 2;
        s.nblock = 1;
        st = rates_at(&s, d->nimp_U0sq, d->xi, npk, &x[2], NULL);
        if (!st) times(&x[2], npk, out, 1);
    }
    if (!st) st = valley_modes(out);
    /* states per band: the densities of states as the engine counts them (the times are ratios) */
    double g = m->spin_degeneracy > 0 ? m->spin_degeneracy : 1;
    for (int q = 0; q < npk; q++) out->dos[q] *= g, out->dos_err[q] *= g;
    free(x);
    qkt_pockets_free(pk);
    return st;
}

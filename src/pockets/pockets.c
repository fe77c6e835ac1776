/* pockets.c - the integration domain and the map of Fermi pockets.
 *
 * Domain: the Brillouin zone in reduced coordinates (periodic models) or a
 * box in k (continuum models) whose "open" axes are mapped to the whole real
 * line by k = s u/(1 - u^2), u in (-1, 1), so that Fermi-sea integrals that
 * converge only slice by slice (the anomalous Hall effect of a Weyl pair,
 * Eq. 81) are done as the physics requires.
 * Pockets: connected pieces of the Fermi surface, found on a cell grid from
 * band energies at the cell corners (PHYSICS.md: pockets are found, not
 * declared). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "pockets/pockets.h"
#include "core/fermi.h"

/* ------------------------------------------------------ named constants */
/* Default cells per axis of the pocket map (numerics.ncell = 0).  A continuum
 * map covers only the box around the thermal window found by the coarse scan,
 * so its cells are fine at 48; a lattice map spans the window's bounding box
 * in the zone, where each corner costs a diagonalization of possibly many
 * Wannier bands: 24 (docs/method.md, docs/runfile.md). */
#define MAP_NCELL_CONTINUUM 48
#define MAP_NCELL_LATTICE 24
/* Cells per axis of the coarse scan that finds the box: coarser than the map,
 * since it only bounds the window (docs/method.md "Fermi pockets"). */
#define SCAN_NCELL_CONTINUUM 40
#define SCAN_NCELL_LATTICE 24
/* Scans of a growing box: it doubles at most SCAN_GROW_MAX - 1 = 7 times
 * (to 128 times its first size; docs/method.md), a bound on the work. */
#define SCAN_GROW_MAX 8
/* The scan keeps the energies of at most this many bands (per-cell ranges on
 * the stack); with more, every cell is kept and no energy is computed. */
#define SCAN_MAX_BANDS 64
/* A cell's band range [lo, hi] over its corners is widened by MAP_MARGIN *
 * (hi - lo) on each side: an allowance (a heuristic) for a band that bends
 * beyond its corner values inside the cell; the thermal window covers the rest. */
#define MAP_MARGIN 0.25
/* Corners on an open axis are kept at |u| <= OPEN_UMAX: u = +-1 is |k| = inf. */
#define OPEN_UMAX 0.999
/* Sub-cells per axis of a pocket-map cell in qkt_pockets_shell_bands: 3^D
 * sub-cubes tighten each band's range over a cell, (3 + 1)^D vertices each. */
#define SHELL_SUB 3
/* Bands a != j count as coupled where max_d |v_d^{aj}| exceeds this fraction
 * of the largest |v| at the vertex: a relative zero, a few orders above the
 * rounding of an eigen-decomposition. */
#define SHELL_COUPLING_TOL 1e-10
/* Direction mask x | y | z of qkt_bands_compute_dirs: every v_d is read. */
#define ALL_DIRS 7

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

/* coordinates ci of cell c of a grid of n cells per axis in D dimensions
 * (the last axis fastest) */
static void grid_coords(size_t c, int n, int D, int ci[3])
{
    ci[0] = ci[1] = ci[2] = 0;
    for (int a = D - 1; a >= 0; a--) {
        ci[a] = (int)(c % n);
        c /= n;
    }
}

/* grid coordinates of cell c */
static void cell_coords(const qkt_pockets_t *pk, size_t c, int ci[3])
{
    grid_coords(c, pk->ncell, pk->dim, ci);
}

/* index of corner `corner` (bit a: the upper side along axis a) of cell ci
 * of a grid of n cells per axis, whose (n + 1)^D corners are numbered as its
 * cells */
static size_t corner_index(const int ci[3], int corner, int n, int D)
{
    size_t idx = 0;
    for (int a = 0; a < D; a++) idx = idx * (n + 1) + ci[a] + ((corner >> a) & 1);
    return idx;
}

/* k-space centre of cell c of the pocket grid (and its u coordinates) */
void qkt_pocket_cell_center(const qkt_pockets_t *pk, size_t c, double u[3], double k[3])
{
    int ci[3];
    double jac;
    cell_coords(pk, c, ci);
    u[0] = u[1] = u[2] = 0;
    for (int a = 0; a < pk->dim; a++) u[a] = pk->gmin[a] + (pk->gmax[a] - pk->gmin[a]) * (ci[a] + 0.5) / pk->ncell;
    qkt_domain_map(pk, u, k, &jac);
}

double qkt_pocket_cell_reach(const qkt_pockets_t *pk, size_t c)
{
    double u[3], k[3], jac, reach = 0;
    qkt_pocket_cell_center(pk, c, u, k);
    for (int a = 0; a < pk->dim; a++) {
        /* the longer half edge along a, towards either face (the open-axis
         * map stretches one side more than the other) */
        double half = 0;
        for (int sg = -1; sg <= 1; sg += 2) {
            double uu[3] = {u[0], u[1], u[2]}, k2[3], d2 = 0;
            uu[a] += sg * 0.5 * (pk->gmax[a] - pk->gmin[a]) / pk->ncell;
            qkt_domain_map(pk, uu, k2, &jac);
            for (int b = 0; b < 3; b++) d2 += (k2[b] - k[b]) * (k2[b] - k[b]);
            half = fmax(half, sqrt(d2));
        }
        reach += half;
    }
    return reach;
}

/* index of the face neighbour of ci along axis a in direction dir (periodic
 * wrap for lattice models), or -1 outside the grid */
static int cell_neighbour(const qkt_pockets_t *pk, const int ci[3], int a, int dir)
{
    int cj[3] = {ci[0], ci[1], ci[2]};
    cj[a] += dir;
    if (cj[a] < 0 || cj[a] >= pk->ncell) {
        if (!pk->wrap[a]) return -1;
        cj[a] = (cj[a] + pk->ncell) % pk->ncell;
    }
    return cell_index(pk, cj);
}

long qkt_pocket_cell(const qkt_pockets_t *pk, const double k[3])
{
    if (!pk || pk->n == 0) return -1;
    int c[3] = {0, 0, 0};
    for (int a = 0; a < pk->dim; a++) {
        double u = unmap(pk, k, a);
        double x = (u - pk->gmin[a]) / (pk->gmax[a] - pk->gmin[a]) * pk->ncell;
        int i = (int)floor(x);
        if (i < 0 || i >= pk->ncell) {
            if (pk->wrap[a]) i = ((i % pk->ncell) + pk->ncell) % pk->ncell;
            else return -1;
        }
        c[a] = i;
    }
    return (long)cell_index(pk, c);
}

int qkt_pocket_at(const qkt_pockets_t *pk, const double k[3], int m)
{
    return qkt_pocket_of_cell(pk, qkt_pocket_cell(pk, k), m);
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
    free(pk->sheet);
    free(pk);
}

static void setup_domain(qkt_pockets_t *pk, const qkt_model_t *m, const qkt_mapopts_t *o)
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

/* k-point of corner ic of a grid of N cells per axis over the box lo..hi
 * (u coordinates; the pocket grid: gmin..gmax) */
static void corner_k(const qkt_pockets_t *pk, const double lo[3], const double hi[3], int N, size_t ic, double u[3],
                     double k[3])
{
    double jac;
    size_t r = ic;
    u[0] = u[1] = u[2] = 0;
    for (int a = pk->dim - 1; a >= 0; a--) {
        int i = (int)(r % (N + 1));
        r /= (N + 1);
        u[a] = lo[a] + (hi[a] - lo[a]) * i / N;
        if (pk->open[a]) u[a] = fmax(-OPEN_UMAX, fmin(OPEN_UMAX, u[a]));
    }
    qkt_domain_map(pk, u, k, &jac);
}

/* ------------------------------------------------- qkt_pockets_shell_bands */
/* per-thread workspace of qkt_pockets_shell_bands (nv = (SHELL_SUB + 1)^D
 * vertices of a cell's sub-grid) */
typedef struct {
    qkt_bands_t *b;
    double *e;                /* [v * nb + a]: eps_a at vertex v */
    unsigned char *cp;        /* [(v * nb + a) * nb + j]: bands a != j coupled (v^{aj} != 0) at vertex v */
    unsigned char *win, *rec; /* [a]: band a meets the window; band a is coupled to a band that does */
    double *lo, *hi;          /* [a]: widened range of eps_a over a sub-cube */
} shell_ws_t;

/* 1 if every buffer was allocated */
static int shell_ws_alloc(shell_ws_t *w, int nb, int nv)
{
    w->b = qkt_bands_alloc(nb);
    w->e = malloc(sizeof(double) * nv * nb);
    w->cp = malloc((size_t)nv * nb * nb + 2 * (size_t)nb);
    w->win = w->cp ? w->cp + (size_t)nv * nb * nb : NULL;
    w->rec = w->win ? w->win + nb : NULL;
    w->lo = malloc(sizeof(double) * 2 * nb);
    w->hi = w->lo ? w->lo + nb : NULL;
    return w->b && w->e && w->cp && w->lo;
}

static void shell_ws_free(shell_ws_t *w)
{
    qkt_bands_free(w->b);
    free(w->e);
    free(w->cp);
    free(w->lo);
}

/* energies and band couplings at the nv vertices of cell's sub-grid; 0 if
 * the band geometry failed at one */
static int shell_vertices(const qkt_pockets_t *pk, shell_ws_t *w, size_t cell, int nv)
{
    const qkt_model_t *m = pk->m;
    const int D = pk->dim, nb = m->nb, S = SHELL_SUB;
    int ci[3];
    cell_coords(pk, cell, ci);
    for (int v = 0; v < nv; v++) {
        double u[3] = {0, 0, 0}, k[3], jac;
        for (int a = 0, r = v; a < D; a++, r /= S + 1) {
            u[a] = pk->gmin[a] + (pk->gmax[a] - pk->gmin[a]) * (ci[a] + (double)(r % (S + 1)) / S) / pk->ncell;
            if (pk->open[a]) u[a] = fmax(-OPEN_UMAX, fmin(OPEN_UMAX, u[a]));
        }
        qkt_domain_map(pk, u, k, &jac);
        qkt_status_t st;
        qkt_bands_compute_dirs(w->b, m, k, ALL_DIRS, &st);
        if (st) return 0;
        memcpy(w->e + (size_t)v * nb, w->b->eps, sizeof(double) * nb);
        double vmax = 0;
        for (int d = 0; d < 3; d++)
            for (int q = 0; q < nb * nb; q++) vmax = fmax(vmax, cabs(w->b->v[d][q]));
        for (int a = 0; a < nb; a++)
            for (int j = 0; j < nb; j++) {
                double c = 0;
                for (int d = 0; d < 3; d++) c = fmax(c, cabs(w->b->v[d][a * nb + j]));
                w->cp[((size_t)v * nb + a) * nb + j] = a != j && c > SHELL_COUPLING_TOL * vmax;
            }
    }
    return 1;
}

/* sub-cube sc of a cell: os[2a], os[2a+1] = the widened range of every band
 * a coupled, at some vertex, to a band in the window mu +- halfw (a diagonal
 * node on band a carries f0' of such bands only); other bands untouched */
static void shell_subcube(const qkt_pockets_t *pk, shell_ws_t *w, int sc, double mu, double halfw, double *os)
{
    const int D = pk->dim, nb = pk->m->nb, S = SHELL_SUB;
    /* the sub-cube's vertices: its band ranges, with the margin of the
     * pocket map */
    int vtx[8], nvx = 1 << D;
    for (int q = 0; q < nvx; q++) {
        int idx = 0, mult = 1;
        for (int a = 0, r = sc; a < D; a++, r /= S) {
            idx += ((r % S) + ((q >> a) & 1)) * mult;
            mult *= S + 1;
        }
        vtx[q] = idx;
    }
    double *lo = w->lo, *hi = w->hi;
    for (int a = 0; a < nb; a++) {
        lo[a] = INFINITY;
        hi[a] = -INFINITY;
        for (int q = 0; q < nvx; q++) {
            lo[a] = fmin(lo[a], w->e[(size_t)vtx[q] * nb + a]);
            hi[a] = fmax(hi[a], w->e[(size_t)vtx[q] * nb + a]);
        }
        double mg = MAP_MARGIN * (hi[a] - lo[a]);
        lo[a] -= mg;
        hi[a] += mg;
        w->win[a] = lo[a] <= mu + halfw && hi[a] >= mu - halfw;
    }
    for (int a = 0; a < nb; a++) {
        w->rec[a] = 0;
        for (int j = 0; j < nb && !w->rec[a]; j++)
            for (int q = 0; q < nvx && w->win[j] && !w->rec[a]; q++)
                w->rec[a] = w->cp[((size_t)vtx[q] * nb + a) * nb + j];
        if (w->rec[a]) {
            os[2 * a] = lo[a];
            os[2 * a + 1] = hi[a];
        }
    }
}

qkt_status_t qkt_pockets_shell_bands(const qkt_pockets_t *pk, double mu, double halfw, double **lohi, size_t *n)
{
    *lohi = NULL;
    *n = 0;
    int D = pk->dim, nb = pk->m->nb, S = SHELL_SUB, nv = 1, nsub = 1;
    for (int a = 0; a < D; a++) {
        nv *= S + 1;
        nsub *= S;
    }
    size_t ncells = 1;
    for (int a = 0; a < D; a++) ncells *= (size_t)pk->ncell;
    size_t nfs = 0;
    for (size_t c = 0; c < ncells; c++) nfs += pk->fs[c] != 0;
    size_t *fsc = malloc(sizeof(size_t) * (nfs ? nfs : 1));
    double *out = malloc(sizeof(double) * 2 * (nfs ? nfs : 1) * nsub * nb);
    if (!fsc || !out) {
        free(fsc);
        free(out);
        return qkt_error(QKT_ENOMEM, "out of memory (energy segments)");
    }
    nfs = 0;
    for (size_t c = 0; c < ncells; c++)
        if (pk->fs[c]) fsc[nfs++] = c;
    int bad = 0;
#pragma omp parallel reduction(+ : bad)
    {
        shell_ws_t w;
        int have = shell_ws_alloc(&w, nb, nv);
        if (!have) bad++;
#pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < nfs; i++) {
            /* every (sub-cube, band) starts empty (lo > hi) */
            double *o = out + i * 2 * nsub * nb;
            for (size_t q = 0; q < (size_t)nsub * nb; q++) {
                o[2 * q] = INFINITY;
                o[2 * q + 1] = -INFINITY;
            }
            if (!have || !shell_vertices(pk, &w, fsc[i], nv)) continue;
            for (int sc = 0; sc < nsub; sc++) shell_subcube(pk, &w, sc, mu, halfw, o + (size_t)sc * 2 * nb);
        }
        shell_ws_free(&w);
    }
    free(fsc);
    if (bad) {
        free(out);
        return qkt_error(QKT_ENOMEM, "out of memory (energy segments)");
    }
    /* keep the non-empty ranges, in order */
    size_t k = 0;
    for (size_t i = 0; i < nfs * nsub * nb; i++)
        if (out[2 * i] <= out[2 * i + 1]) {
            out[2 * k] = out[2 * i];
            out[2 * k + 1] = out[2 * i + 1];
            k++;
        }
    *lohi = out;
    *n = k;
    return QKT_OK;
}

/* ------------------------------------------------------ qkt_pockets_build */
/* Step 1, the box (continuum models): a coarse scan of the whole domain finds
 * the box that holds the thermal window; the pocket grid covers that box.
 * Lattice models scan the zone and keep it (wrapped) along the axes the
 * window spans. */

/* one coarse scan: SCAN cells per axis over umin..umax */
typedef struct {
    int n, nbs;          /* cells per axis; bands whose energies are kept */
    double *e1;          /* [corner * nbs + band], NULL: very many bands */
    unsigned char *ok1;  /* [corner]: the energies there are valid */
} scan_t;

/* band energies at the corners of the coarse grid (shared by up to 2^D
 * cells), in parallel; a corner where they fail is left out (ok1 = 0).
 * Returns the number of threads without a workspace. */
static int scan_energies(const qkt_pockets_t *pk, const scan_t *s, size_t nc1)
{
    const qkt_model_t *m = pk->m;
    int bad = 0;
#pragma omp parallel reduction(+ : bad)
    {
        qkt_bands_t *b1 = qkt_bands_alloc(pk->nb);
        if (!b1) bad++;
#pragma omp for schedule(static)
        for (size_t ic = 0; ic < nc1; ic++) {
            s->ok1[ic] = 0;
            if (!b1) continue;
            double u[3], k[3];
            corner_k(pk, pk->umin, pk->umax, s->n, ic, u, k);
            if (qkt_bands_compute(b1, m, k, QKT_BANDS_EIGVALS)) continue;
            memcpy(s->e1 + ic * s->nbs, b1->eps, s->nbs * sizeof(double));
            s->ok1[ic] = 1;
        }
        qkt_bands_free(b1);
    }
    return bad;
}

/* does coarse cell ci meet the thermal window mu +- W (some band's corner
 * range, widened by the margin)?  With very many bands (no energies) every
 * cell does, except the outermost layer of an open axis. */
static int scan_cell_hot(const qkt_pockets_t *pk, const scan_t *s, const int ci[3], double mu, double W)
{
    const int D = pk->dim, N1 = s->n, nbs = s->nbs;
    double lo[SCAN_MAX_BANDS], hi[SCAN_MAX_BANDS];
    for (int n = 0; n < nbs; n++) {
        lo[n] = INFINITY;
        hi[n] = -INFINITY;
    }
    for (int corner = 0; corner < (1 << D) && s->e1; corner++) {
        size_t idx = corner_index(ci, corner, N1, D);
        if (!s->ok1[idx]) continue;
        for (int n = 0; n < nbs; n++) {
            lo[n] = fmin(lo[n], s->e1[idx * nbs + n]);
            hi[n] = fmax(hi[n], s->e1[idx * nbs + n]);
        }
    }
    int in = pk->nb > SCAN_MAX_BANDS; /* very many bands: keep every cell */
    /* the outermost layer of an open axis maps to |k| -> infinity: its
     * energy range is huge and says nothing about a Fermi surface */
    for (int a = 0; a < D; a++)
        if (pk->open[a] && (ci[a] == 0 || ci[a] == N1 - 1)) return 0;
    for (int n = 0; n < nbs && s->e1; n++) {
        double margin = MAP_MARGIN * (hi[n] - lo[n]);
        if (lo[n] - margin <= mu + W && hi[n] + margin >= mu - W) in = 1;
    }
    return in;
}

/* one scan with N1 cells per axis over umin..umax: ilo..ihi, the bounding
 * box (cell indices) of the cells that meet the window (ihi[a] = -1: none) */
static qkt_status_t scan_coarse(const qkt_pockets_t *pk, int N1, double mu, double W, int ilo[3], int ihi[3])
{
    const int D = pk->dim, nb = pk->nb;
    scan_t s = {N1, nb < SCAN_MAX_BANDS ? nb : SCAN_MAX_BANDS, NULL, NULL};
    size_t n1 = 1, nc1 = 1;
    for (int a = 0; a < D; a++) {
        n1 *= N1;
        nc1 *= N1 + 1;
    }
    for (int a = 0; a < 3; a++) {
        ilo[a] = N1;
        ihi[a] = -1;
    }
    if (nb <= SCAN_MAX_BANDS) {
        s.e1 = malloc(nc1 * s.nbs * sizeof(double));
        s.ok1 = malloc(nc1);
        if (!s.e1 || !s.ok1 || scan_energies(pk, &s, nc1)) {
            free(s.e1);
            free(s.ok1);
            return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
        }
    }
    for (size_t c = 0; c < n1; c++) {
        int ci[3];
        grid_coords(c, N1, D, ci);
        if (!scan_cell_hot(pk, &s, ci, mu, W)) continue;
        for (int a = 0; a < D; a++) {
            ilo[a] = ci[a] < ilo[a] ? ci[a] : ilo[a];
            ihi[a] = ci[a] > ihi[a] ? ci[a] : ihi[a];
        }
    }
    free(s.e1);
    free(s.ok1);
    return QKT_OK;
}

/* step 1: gmin..gmax (and wrap) of the pocket grid; continuum models may
 * double umin..umax along closed axes */
static qkt_status_t scan_box(qkt_pockets_t *pk, double mu, double W)
{
    const int D = pk->dim, periodic = pk->periodic;
    const int N1 = periodic ? SCAN_NCELL_LATTICE : SCAN_NCELL_CONTINUUM;
    for (int a = 0; a < 3; a++) {
        pk->gmin[a] = pk->umin[a];
        pk->gmax[a] = pk->umax[a];
    }
    for (int a = 0; a < 3; a++) pk->wrap[a] = periodic;
    for (int grow = 0; grow < SCAN_GROW_MAX; grow++) {
        int ilo[3], ihi[3];
        qkt_status_t st = scan_coarse(pk, N1, mu, W, ilo, ihi);
        if (st) return st;
        /* the thermal window reaches a closed face of the box: the box is too
         * small for this mu (e.g. a parabolic band); double it and scan again */
        int touch = 0;
        for (int a = 0; a < D; a++)
            if (!periodic && !pk->open[a] && ihi[a] >= 0 && (ilo[a] == 0 || ihi[a] == N1 - 1)) touch = 1;
        if (touch && grow < SCAN_GROW_MAX - 1) {
            for (int a = 0; a < D; a++)
                if (!pk->open[a]) {
                    pk->umin[a] *= 2;
                    pk->umax[a] *= 2;
                    pk->gmin[a] = pk->umin[a];
                    pk->gmax[a] = pk->umax[a];
                }
            continue;
        }
        for (int a = 0; a < D; a++) {
            if (ihi[a] < 0) break; /* no Fermi surface: keep the whole domain */
            /* a lattice model keeps the whole zone (with wrap-around) along an
             * axis where the window reaches both zone faces */
            if (periodic && ilo[a] == 0 && ihi[a] == N1 - 1) continue;
            if (periodic) pk->wrap[a] = 0;
            /* the bounding box plus one cell on each side */
            int l = ilo[a] > 0 ? ilo[a] - 1 : 0, h = ihi[a] < N1 - 1 ? ihi[a] + 2 : N1;
            pk->gmin[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * l / N1;
            pk->gmax[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * h / N1;
        }
        break;
    }
    return QKT_OK;
}

/* Steps 2 to 6, the map: N cells per axis over gmin..gmax. */
typedef struct {
    qkt_pockets_t *pk;
    double mu, W;       /* the thermal window mu +- W */
    int N, NBL;         /* cells per axis; blocks (valleys) */
    size_t ncells, ncorn;
    double *ecorner;    /* [corner * nb + band]: band energies at the cell corners */
    int *queue;         /* breadth-first queue (ncells * nb entries) */
    const qkt_mapopts_t *o;
} build_t;

static qkt_status_t map_alloc(build_t *bs)
{
    qkt_pockets_t *pk = bs->pk;
    const qkt_model_t *m = pk->m;
    const int D = pk->dim, N = bs->N, nb = pk->nb;
    pk->bblock = calloc(nb, sizeof(int));
    if (!pk->bblock) return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    pk->ncell = N;
    bs->ncells = bs->ncorn = 1;
    for (int a = 0; a < D; a++) {
        bs->ncells *= N;
        bs->ncorn *= (N + 1);
    }
    pk->nblk = m->nblock;
    for (int bl = 0; bl < m->nblock; bl++)
        for (int j = m->block_off[bl]; j < m->block_off[bl + 1]; j++) pk->bblock[j] = bl;
    pk->label = malloc(bs->ncells * bs->NBL * sizeof(int));
    pk->fs = calloc(bs->ncells, sizeof(int));
    bs->ecorner = malloc(bs->ncorn * nb * sizeof(double));
    bs->queue = malloc(bs->ncells * nb * sizeof(int));
    if (!pk->label || !pk->fs || !bs->ecorner || !bs->queue)
        return qkt_error(QKT_ENOMEM, "out of memory building the Fermi-pocket map (%zu cells)", bs->ncells);
    return QKT_OK;
}

/* step 2: energies at the cell corners, in parallel; the first failing corner
 * (in index order) is computed again here for its message */
static qkt_status_t map_corner_energies(build_t *bs)
{
    const qkt_pockets_t *pk = bs->pk;
    const qkt_model_t *m = pk->m;
    const int N = bs->N, nb = pk->nb;
    const size_t ncorn = bs->ncorn;
    double *ecorner = bs->ecorner;
    size_t bad = ncorn;
    int nomem = 0;
    const qkt_mapopts_t *o = bs->o;
    /* progress in about 200 steps: a thread reports after each of its chunks */
    const size_t chunk = ncorn / 200 + 1;
    long done = 0;
    if (o && o->progress_phase) o->progress_phase(o->progress_user, "mapping Fermi pockets");
#pragma omp parallel reduction(min : bad) reduction(+ : nomem)
    {
        qkt_bands_t *bt = qkt_bands_alloc(nb);
        if (!bt) nomem++;
#pragma omp for schedule(dynamic, 1)
        for (size_t c0 = 0; c0 < ncorn; c0 += chunk) {
            for (size_t ic = c0; ic < c0 + chunk && ic < ncorn; ic++) {
                if (!bt || ic > bad) continue;
                double u[3], k[3];
                corner_k(pk, pk->gmin, pk->gmax, N, ic, u, k);
                if (qkt_bands_compute(bt, m, k, QKT_BANDS_EIGVALS)) bad = ic < bad ? ic : bad;
                else memcpy(ecorner + ic * nb, bt->eps, nb * sizeof(double));
            }
            if (o && o->progress) {
#pragma omp critical(qkt_progress)
                o->progress(o->progress_user, ++done, (long)((ncorn + chunk - 1) / chunk));
            }
        }
        qkt_bands_free(bt);
    }
    if (nomem) return qkt_error(QKT_ENOMEM, "out of memory building the Fermi-pocket map");
    if (bad < ncorn) {
        double u[3], k[3];
        qkt_bands_t *b = qkt_bands_alloc(nb);
        if (!b) return qkt_error(QKT_ENOMEM, "out of memory building the Fermi-pocket map");
        corner_k(pk, pk->gmin, pk->gmax, N, bad, u, k);
        qkt_status_t st = qkt_bands_compute(b, m, k, QKT_BANDS_EIGVALS);
        qkt_bands_free(b);
        if (!st) st = qkt_error(QKT_ENUM, "band energies failed at a pocket-map corner");
        return st;
    }
    return QKT_OK;
}

/* the extent of a band's corner energies over cell ci: [*lo, *hi] */
static void cell_range(const build_t *bs, const int ci[3], int mm, double *lo, double *hi)
{
    const int D = bs->pk->dim, nb = bs->pk->nb;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int corner = 0; corner < (1 << D); corner++) {
        double e = bs->ecorner[corner_index(ci, corner, bs->N, D) * nb + mm];
        *lo = fmin(*lo, e);
        *hi = fmax(*hi, e);
    }
}

/* step 3: per cell and block (valley): -2 the Fermi surface crosses the cell
 * (unlabelled); -3 thermal window only; -1 neither; fs[cell] = 1 where some
 * band meets the window */
static void map_classify(build_t *bs)
{
    qkt_pockets_t *pk = bs->pk;
    const int D = pk->dim, N = bs->N, nb = pk->nb, NBL = bs->NBL;
    const double mu = bs->mu, W = bs->W;
    for (size_t c = 0; c < bs->ncells; c++) {
        int ci[3];
        grid_coords(c, N, D, ci);
        for (int bl = 0; bl < NBL; bl++) pk->label[c * NBL + bl] = -1;
        for (int mm = 0; mm < nb; mm++) {
            double lo, hi;
            cell_range(bs, ci, mm, &lo, &hi);
            double margin = MAP_MARGIN * (hi - lo);
            double emin = lo - margin, emax = hi + margin;
            int inwin = emin <= mu + W && emax >= mu - W;
            int cross = lo <= mu && hi >= mu;
            int *lab = &pk->label[c * NBL + pk->bblock[mm]];
            if (cross) *lab = -2;
            else if (inwin && *lab == -1) *lab = -3;
            if (inwin) pk->fs[c] = 1;
        }
    }
}

/* step 4: connected components of the -2 cells (face neighbours, same
 * block), numbered in cell order; returns their number */
static int map_components(build_t *bs)
{
    qkt_pockets_t *pk = bs->pk;
    const int D = pk->dim, NBL = bs->NBL;
    int *queue = bs->queue, npk = 0;
    for (size_t c0 = 0; c0 < bs->ncells; c0++)
        for (int mm = 0; mm < NBL; mm++) {
            if (pk->label[c0 * NBL + mm] != -2) continue;
            int head = 0, tail = 0;
            queue[tail++] = (int)c0;
            pk->label[c0 * NBL + mm] = npk;
            while (head < tail) {
                int c = queue[head++], ci[3];
                cell_coords(pk, (size_t)c, ci);
                for (int a = 0; a < D; a++)
                    for (int dir = -1; dir <= 1; dir += 2) {
                        int nbc = cell_neighbour(pk, ci, a, dir);
                        if (nbc >= 0 && pk->label[(size_t)nbc * NBL + mm] == -2) {
                            pk->label[(size_t)nbc * NBL + mm] = npk;
                            queue[tail++] = nbc;
                        }
                    }
            }
            npk++;
        }
    return npk;
}

/* step 5b: the bands that may have a Fermi sheet in each of the npk
 * pockets: those whose range over a cell of the pocket, widened by the
 * margin, meets the thermal window (a sheet smaller than a cell crosses mu
 * at no corner) */
static qkt_status_t map_sheets(build_t *bs, int npk)
{
    qkt_pockets_t *pk = bs->pk;
    const int NBL = bs->NBL, nb = pk->nb;
    pk->sheet = calloc((size_t)(npk > 0 ? npk : 1) * nb, 1);
    if (!pk->sheet) return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    for (size_t c = 0; c < bs->ncells; c++) {
        int ci[3];
        grid_coords(c, bs->N, pk->dim, ci);
        for (int mm = 0; mm < nb; mm++) {
            int p = pk->label[c * NBL + pk->bblock[mm]];
            if (p < 0) continue;
            double lo, hi;
            cell_range(bs, ci, mm, &lo, &hi);
            double margin = MAP_MARGIN * (hi - lo);
            if (lo - margin <= bs->mu + bs->W && hi + margin >= bs->mu - bs->W) pk->sheet[(size_t)p * nb + mm] = 1;
        }
    }
    return QKT_OK;
}

/* step 5: grow the pockets through the thermal window (multi-source
 * breadth-first); the cells left unlabelled become -1 */
static void map_grow(build_t *bs)
{
    qkt_pockets_t *pk = bs->pk;
    const int D = pk->dim, NBL = bs->NBL;
    int *queue = bs->queue, head = 0, tail = 0;
    for (size_t c = 0; c < bs->ncells; c++)
        for (int mm = 0; mm < NBL; mm++)
            if (pk->label[c * NBL + mm] >= 0) queue[tail++] = (int)(c * NBL + mm);
    while (head < tail) {
        int e = queue[head++];
        int c = e / NBL, mm = e % NBL, ci[3];
        cell_coords(pk, (size_t)c, ci);
        for (int a = 0; a < D; a++)
            for (int dir = -1; dir <= 1; dir += 2) {
                int nbc = cell_neighbour(pk, ci, a, dir);
                if (nbc < 0) continue;
                size_t f = (size_t)nbc * NBL + mm;
                if (pk->label[f] == -3) {
                    pk->label[f] = pk->label[e];
                    queue[tail++] = (int)f;
                }
            }
    }
    for (size_t i = 0; i < bs->ncells * NBL; i++)
        if (pk->label[i] < -1) pk->label[i] = -1;
}

/* step 6: block, cell count and centroid (k-space) of each of the npk pockets */
static qkt_status_t pockets_describe(qkt_pockets_t *pk, int npk)
{
    const int NBL = pk->nblk;
    size_t ncells = 1;
    for (int a = 0; a < pk->dim; a++) ncells *= (size_t)pk->ncell;
    pk->n = npk;
    pk->band = calloc(npk > 0 ? npk : 1, sizeof(int));
    pk->center = calloc(npk > 0 ? npk : 1, sizeof *pk->center);
    pk->ncells = calloc(npk > 0 ? npk : 1, sizeof(int));
    if (!pk->band || !pk->center || !pk->ncells) return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    /* Along an axis where the grid wraps around the zone, a pocket can
     * straddle the zone face (Te's pockets around H = (1/3, 1/3, 1/2)): the
     * plain mean of its cells lies half a zone away from it.  Such a
     * pocket's cells are placed within half a period of their circular mean,
     * the direction of sum_c e^{2 pi i u_c} (one turn per period), averaged
     * in u and placed at its image nearest to Gamma.  A pocket none of whose cells
     * needs moving (every pocket that does not straddle a face) keeps the
     * plain mean of its cells' k. */
    double (*cs)[3][2] = calloc(npk > 0 ? npk : 1, sizeof *cs);
    double (*ub)[3] = calloc(npk > 0 ? npk : 1, sizeof *ub); /* mean u, cells moved */
    int *moved = calloc(npk > 0 ? npk : 1, sizeof(int));
    if (!cs || !ub || !moved) {
        free(cs);
        free(ub);
        free(moved);
        return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    }
    for (size_t c = 0; c < ncells; c++) {
        double u[3], k[3];
        qkt_pocket_cell_center(pk, c, u, k);
        for (int mm = 0; mm < NBL; mm++) {
            int p = pk->label[c * NBL + mm];
            if (p < 0) continue;
            pk->band[p] = mm;
            pk->ncells[p]++;
            for (int a = 0; a < 3; a++) pk->center[p][a] += k[a];
            for (int a = 0; a < pk->dim; a++) {
                if (!pk->wrap[a]) continue;
                double th = 2 * M_PI * (u[a] - pk->gmin[a]) / (pk->gmax[a] - pk->gmin[a]);
                cs[p][a][0] += cos(th);
                cs[p][a][1] += sin(th);
            }
        }
    }
    for (int p = 0; p < npk; p++)
        for (int a = 0; a < 3; a++) pk->center[p][a] /= pk->ncells[p];
    for (size_t c = 0; c < ncells && pk->periodic; c++) {
        double u[3], k[3];
        qkt_pocket_cell_center(pk, c, u, k);
        for (int mm = 0; mm < NBL; mm++) {
            int p = pk->label[c * NBL + mm];
            if (p < 0) continue;
            for (int a = 0; a < pk->dim; a++) {
                double x = u[a];
                /* a pocket spread around the whole axis (resultant below 0.1
                 * of its cells) has no circular mean: its cells stay */
                if (pk->wrap[a] && hypot(cs[p][a][0], cs[p][a][1]) > 0.1 * pk->ncells[p]) {
                    double per = pk->gmax[a] - pk->gmin[a];
                    /* the mean direction as a point of the grid, gmin <= uc < gmax */
                    double f = atan2(cs[p][a][1], cs[p][a][0]) / (2 * M_PI);
                    double uc = pk->gmin[a] + per * (f < 0 ? f + 1 : f);
                    if (x < uc - per / 2) x += per, moved[p] = 1;
                    else if (x >= uc + per / 2)
                        x -= per, moved[p] = 1;
                }
                ub[p][a] += x;
            }
        }
    }
    for (int p = 0; p < npk; p++) {
        if (!moved[p]) continue;
        double u[3] = {0, 0, 0}, jac, best = INFINITY;
        for (int a = 0; a < pk->dim; a++) u[a] = ub[p][a] / pk->ncells[p];
        /* of the images u + n (n_a in -1, 0, 1 along the wrapped axes), the
         * one nearest to Gamma: the centre in the first Brillouin zone (Si's
         * pockets around X print as (0, 0, 2 pi/a), not as the equivalent
         * (0, -2 pi/a, 2 pi/a) of the cell of the grid) */
        for (int n = 0; n < 27; n++) {
            double v[3] = {u[0], u[1], u[2]}, k[3];
            int ok = 1;
            for (int a = 0, q = n; a < 3; a++, q /= 3) {
                int sh = q % 3 - 1;
                if (sh && !(a < pk->dim && pk->wrap[a])) ok = 0;
                if (a < pk->dim && pk->wrap[a]) v[a] += sh * (pk->gmax[a] - pk->gmin[a]);
            }
            if (!ok) continue;
            qkt_domain_map(pk, v, k, &jac);
            double k2 = k[0] * k[0] + k[1] * k[1] + k[2] * k[2];
            if (k2 < best - 1e-12 * (1 + k2)) {
                best = k2;
                memcpy(pk->center[p], k, sizeof k);
            }
        }
    }
    free(cs);
    free(ub);
    free(moved);
    return QKT_OK;
}

/* step 7: dilate the labels by one cell so that stencil points just outside
 * the marked cells still find their pocket */
static qkt_status_t pockets_dilate(qkt_pockets_t *pk)
{
    const int D = pk->dim, NBL = pk->nblk;
    size_t ncells = 1;
    for (int a = 0; a < D; a++) ncells *= (size_t)pk->ncell;
    int *copy = malloc(ncells * NBL * sizeof(int));
    if (!copy) return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    memcpy(copy, pk->label, ncells * NBL * sizeof(int));
    for (size_t c = 0; c < ncells; c++) {
        int ci[3];
        cell_coords(pk, c, ci);
        for (int mm = 0; mm < NBL; mm++) {
            if (copy[c * NBL + mm] >= 0) continue;
            for (int a = 0; a < D && pk->label[c * NBL + mm] < 0; a++)
                for (int dir = -1; dir <= 1; dir += 2) {
                    int nbc = cell_neighbour(pk, ci, a, dir);
                    int l = nbc >= 0 ? copy[(size_t)nbc * NBL + mm] : -1;
                    if (l >= 0) {
                        pk->label[c * NBL + mm] = l;
                        break;
                    }
                }
        }
    }
    free(copy);
    return QKT_OK;
}

void qkt_mapopts_from_params(const qkt_params_t *p, qkt_mapopts_t *o)
{
    memset(o, 0, sizeof *o);
    o->ncell = p->ncell;
    o->kbox = p->kbox;
    for (int a = 0; a < 3; a++) o->open[a] = p->open[a];
    o->scale = p->kscale;
    o->window = p->window;
}

/* the steps: 1 box (scan_box), 2 corner energies, 3 cell classes, 4 pockets
 * = connected Fermi-surface cells, 5 grown through the window, 6 their
 * blocks and centroids, 7 labels dilated by one cell (5b: the bands of each
 * pocket's sheets) */
qkt_status_t qkt_pockets_build(const qkt_model_t *m, double mu, double T, const qkt_mapopts_t *o,
                               qkt_pockets_t **out)
{
    *out = NULL;
    qkt_pockets_t *pk = calloc(1, sizeof *pk);
    if (!pk) return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
    setup_domain(pk, m, o);
    const int N = o->ncell > 1 ? o->ncell : (m->periodic ? MAP_NCELL_LATTICE : MAP_NCELL_CONTINUUM);
    build_t bs = {pk, mu, o->window * T, N, m->nblock, 0, 0, NULL, NULL, o};
    qkt_status_t st = scan_box(pk, mu, bs.W);
    if (!st) st = map_alloc(&bs);
    if (!st) st = map_corner_energies(&bs);
    if (!st) {
        map_classify(&bs);
        int npk = map_components(&bs);
        map_grow(&bs);
        st = map_sheets(&bs, npk);
        if (!st) st = pockets_describe(pk, npk);
    }
    if (!st) st = pockets_dilate(pk);
    free(bs.ecorner);
    free(bs.queue);
    if (st) {
        qkt_pockets_free(pk);
        return st;
    }
    *out = pk;
    return QKT_OK;
}

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
#include "pockets/pockets.h"
#include "core/fermi.h"

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

/* grid coordinates of cell c */
static void cell_coords(const qkt_pockets_t *pk, size_t c, int ci[3])
{
    ci[0] = ci[1] = ci[2] = 0;
    for (int a = pk->dim - 1; a >= 0; a--) {
        ci[a] = (int)(c % pk->ncell);
        c /= pk->ncell;
    }
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

/* k-point of corner ic of the pocket grid (N cells per axis over gmin..gmax) */
static void corner_k(const qkt_pockets_t *pk, int N, size_t ic, double u[3], double k[3])
{
    double jac;
    size_t r = ic;
    u[0] = u[1] = u[2] = 0;
    for (int a = pk->dim - 1; a >= 0; a--) {
        int i = (int)(r % (N + 1));
        r /= (N + 1);
        u[a] = pk->gmin[a] + (pk->gmax[a] - pk->gmin[a]) * i / N;
        if (pk->open[a]) u[a] = fmax(-0.999, fmin(0.999, u[a]));
    }
    qkt_domain_map(pk, u, k, &jac);
}

/* sub-cells per axis of a pocket-map cell in qkt_pockets_shell_bands */
#define SHELL_SUB 3

qkt_status_t qkt_pockets_shell_bands(const qkt_pockets_t *pk, double mu, double halfw, double **lohi, size_t *n)
{
    *lohi = NULL;
    *n = 0;
    const qkt_model_t *m = pk->m;
    int D = pk->dim, nb = m->nb, S = SHELL_SUB, nv = 1, nsub = 1;
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
        qkt_bands_t *b = qkt_bands_alloc(nb);
        double *e = malloc(sizeof(double) * nv * nb);
        /* cp[v * nb * nb + a * nb + j]: bands a != j are coupled (v^{aj} != 0) at vertex v */
        unsigned char *cp = malloc((size_t)nv * nb * nb + 2 * (size_t)nb);
        unsigned char *win = cp ? cp + (size_t)nv * nb * nb : NULL, *rec = win ? win + nb : NULL;
        double *lo = malloc(sizeof(double) * 2 * nb), *hi = lo ? lo + nb : NULL;
        if (!b || !e || !cp || !lo) bad++;
#pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < nfs; i++) {
            double *o = out + i * 2 * nsub * nb;
            for (size_t q = 0; q < (size_t)nsub * nb; q++) {
                o[2 * q] = INFINITY;
                o[2 * q + 1] = -INFINITY;
            }
            if (!b || !e || !cp || !lo) continue;
            int ci[3], ok = 1;
            cell_coords(pk, fsc[i], ci);
            for (int v = 0; v < nv && ok; v++) {
                double u[3] = {0, 0, 0}, k[3], jac;
                for (int a = 0, r = v; a < D; a++, r /= S + 1) {
                    u[a] = pk->gmin[a] + (pk->gmax[a] - pk->gmin[a]) * (ci[a] + (double)(r % (S + 1)) / S) / pk->ncell;
                    if (pk->open[a]) u[a] = fmax(-0.999, fmin(0.999, u[a]));
                }
                qkt_domain_map(pk, u, k, &jac);
                qkt_status_t st;
                qkt_bands_compute_dirs(b, m, k, 7, &st);
                if (st) {
                    ok = 0;
                    break;
                }
                memcpy(e + (size_t)v * nb, b->eps, sizeof(double) * nb);
                double vmax = 0;
                for (int d = 0; d < 3; d++)
                    for (int q = 0; q < nb * nb; q++) vmax = fmax(vmax, cabs(b->v[d][q]));
                for (int a = 0; a < nb; a++)
                    for (int j = 0; j < nb; j++) {
                        double c = 0;
                        for (int d = 0; d < 3; d++) c = fmax(c, cabs(b->v[d][a * nb + j]));
                        cp[((size_t)v * nb + a) * nb + j] = a != j && c > 1e-10 * vmax;
                    }
            }
            if (!ok) continue;
            for (int sc = 0; sc < nsub; sc++) {
                /* the sub-cube's vertices: its band ranges, with a quarter of
                 * their width as margin (as the pocket map) */
                int vtx[8], nvx = 1 << D;
                for (int q = 0; q < nvx; q++) {
                    int idx = 0, mult = 1;
                    for (int a = 0, r = sc; a < D; a++, r /= S) {
                        idx += ((r % S) + ((q >> a) & 1)) * mult;
                        mult *= S + 1;
                    }
                    vtx[q] = idx;
                }
                double *os = o + (size_t)sc * 2 * nb;
                for (int a = 0; a < nb; a++) {
                    lo[a] = INFINITY;
                    hi[a] = -INFINITY;
                    for (int q = 0; q < nvx; q++) {
                        lo[a] = fmin(lo[a], e[(size_t)vtx[q] * nb + a]);
                        hi[a] = fmax(hi[a], e[(size_t)vtx[q] * nb + a]);
                    }
                    double mg = 0.25 * (hi[a] - lo[a]);
                    lo[a] -= mg;
                    hi[a] += mg;
                    win[a] = lo[a] <= mu + halfw && hi[a] >= mu - halfw;
                }
                /* the bands coupled to another band in the window, at some vertex
                 * (a diagonal node on band a carries f0' of such bands only) */
                for (int a = 0; a < nb; a++) {
                    rec[a] = 0;
                    for (int j = 0; j < nb && !rec[a]; j++)
                        for (int q = 0; q < nvx && win[j] && !rec[a]; q++)
                            rec[a] = cp[((size_t)vtx[q] * nb + a) * nb + j];
                    if (rec[a]) {
                        os[2 * a] = lo[a];
                        os[2 * a + 1] = hi[a];
                    }
                }
            }
        }
        qkt_bands_free(b);
        free(e);
        free(cp);
        free(lo);
    }
    free(fsc);
    if (bad) {
        free(out);
        return qkt_error(QKT_ENOMEM, "out of memory (energy segments)");
    }
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

qkt_status_t qkt_pockets_build(const qkt_model_t *m, double mu, double T, const qkt_mapopts_t *o,
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
    int D = m->dim, N = o->ncell > 1 ? o->ncell : (m->periodic ? 24 : 48), nb = m->nb;
    /* stage 1 (continuum models): a coarse scan of the whole domain finds the
     * box that holds the thermal window; the pocket grid covers that box */
    for (int a = 0; a < 3; a++) {
        pk->gmin[a] = pk->umin[a];
        pk->gmax[a] = pk->umax[a];
    }
    for (int a = 0; a < 3; a++) pk->wrap[a] = m->periodic;
    for (int grow = 0; grow < 8; grow++) {
        const int N1 = m->periodic ? 24 : 40;
        int ilo[3] = {N1, N1, N1}, ihi[3] = {-1, -1, -1};
        size_t n1 = 1, nc1 = 1;
        for (int a = 0; a < D; a++) {
            n1 *= N1;
            nc1 *= N1 + 1;
        }
        int nbs = nb < 64 ? nb : 64;
        /* band energies at the corners of the coarse grid (shared by up to
         * 2^D cells), computed in parallel; with very many bands every cell
         * is kept and no energy is needed */
        double *e1 = NULL;
        unsigned char *ok1 = NULL;
        if (nb <= 64) {
            e1 = malloc(nc1 * nbs * sizeof(double));
            ok1 = malloc(nc1);
            if (!e1 || !ok1) {
                free(e1);
                free(ok1);
                free(pk->bblock);
                free(pk);
                return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
            }
            int bad = 0;
#pragma omp parallel reduction(+ : bad)
            {
                qkt_bands_t *b1 = qkt_bands_alloc(nb);
                if (!b1) bad++;
#pragma omp for schedule(static)
                for (size_t ic = 0; ic < nc1; ic++) {
                    ok1[ic] = 0;
                    if (!b1) continue;
                    double u[3] = {0, 0, 0}, k[3], jac;
                    size_t r = ic;
                    for (int a = D - 1; a >= 0; a--) {
                        int i = (int)(r % (N1 + 1));
                        r /= N1 + 1;
                        u[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * i / N1;
                        if (pk->open[a]) u[a] = fmax(-0.999, fmin(0.999, u[a]));
                    }
                    qkt_domain_map(pk, u, k, &jac);
                    if (qkt_bands_compute(b1, m, k, QKT_BANDS_ENERGY)) continue;
                    memcpy(e1 + ic * nbs, b1->eps, nbs * sizeof(double));
                    ok1[ic] = 1;
                }
                qkt_bands_free(b1);
            }
            if (bad) {
                free(e1);
                free(ok1);
                free(pk->bblock);
                free(pk);
                return qkt_error(QKT_ENOMEM, "out of memory (pockets)");
            }
        }
        for (size_t c = 0; c < n1; c++) {
            int ci[3] = {0, 0, 0};
            size_t r = c;
            for (int a = D - 1; a >= 0; a--) {
                ci[a] = (int)(r % N1);
                r /= N1;
            }
            double lo[64], hi[64];
            for (int n = 0; n < nbs; n++) {
                lo[n] = INFINITY;
                hi[n] = -INFINITY;
            }
            for (int corner = 0; corner < (1 << D) && e1; corner++) {
                size_t idx = 0;
                for (int a = 0; a < D; a++) idx = idx * (N1 + 1) + ci[a] + ((corner >> a) & 1);
                if (!ok1[idx]) continue;
                for (int n = 0; n < nbs; n++) {
                    lo[n] = fmin(lo[n], e1[idx * nbs + n]);
                    hi[n] = fmax(hi[n], e1[idx * nbs + n]);
                }
            }
            int in = nb > 64; /* very many bands: keep every cell */
            /* the outermost layer of an open axis maps to |k| -> infinity: its
             * energy range is huge and says nothing about a Fermi surface */
            int edge = 0;
            for (int a = 0; a < D; a++)
                if (pk->open[a] && (ci[a] == 0 || ci[a] == N1 - 1)) edge = 1;
            if (edge) continue;
            for (int n = 0; n < nbs && e1; n++) {
                double margin = 0.25 * (hi[n] - lo[n]);
                if (lo[n] - margin <= mu + o->window * T && hi[n] + margin >= mu - o->window * T) in = 1;
            }
            if (in) {
                for (int a = 0; a < D; a++) {
                    ilo[a] = ci[a] < ilo[a] ? ci[a] : ilo[a];
                    ihi[a] = ci[a] > ihi[a] ? ci[a] : ihi[a];
                }
            }
        }
        free(e1);
        free(ok1);
        /* the thermal window reaches a closed face of the box: the box is too
         * small for this mu (e.g. a parabolic band); double it and scan again */
        int touch = 0;
        for (int a = 0; a < D; a++)
            if (!m->periodic && !pk->open[a] && ihi[a] >= 0 && (ilo[a] == 0 || ihi[a] == N1 - 1)) touch = 1;
        if (touch && grow < 7) {
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
            if (m->periodic && ilo[a] == 0 && ihi[a] == N1 - 1) continue;
            if (m->periodic) pk->wrap[a] = 0;
            int l = ilo[a] > 0 ? ilo[a] - 1 : 0, h = ihi[a] < N1 - 1 ? ihi[a] + 2 : N1;
            pk->gmin[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * l / N1;
            pk->gmax[a] = pk->umin[a] + (pk->umax[a] - pk->umin[a]) * h / N1;
        }
        break;
    }
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
    /* energies at the cell corners, in parallel; the first failing corner
     * (in index order) is computed again here for its message */
    {
        size_t bad = ncorn;
        int nomem = 0;
#pragma omp parallel reduction(min : bad) reduction(+ : nomem)
        {
            qkt_bands_t *bt = qkt_bands_alloc(nb);
            if (!bt) nomem++;
#pragma omp for schedule(static)
            for (size_t ic = 0; ic < ncorn; ic++) {
                if (!bt || ic > bad) continue;
                double u[3], k[3];
                corner_k(pk, N, ic, u, k);
                if (qkt_bands_compute(bt, m, k, QKT_BANDS_ENERGY)) bad = ic < bad ? ic : bad;
                else memcpy(ecorner + ic * nb, bt->eps, nb * sizeof(double));
            }
            qkt_bands_free(bt);
        }
        if (nomem) {
            st = qkt_error(QKT_ENOMEM, "out of memory building the Fermi-pocket map");
            goto fail;
        }
        if (bad < ncorn) {
            double u[3], k[3];
            corner_k(pk, N, bad, u, k);
            st = qkt_bands_compute(b, m, k, QKT_BANDS_ENERGY);
            if (!st) st = qkt_error(QKT_ENUM, "band energies failed at a pocket-map corner");
            goto fail;
        }
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
    /* grow the pockets through the thermal window (multi-source breadth-first) */
    {
        int head = 0, tail = 0;
        for (size_t c = 0; c < ncells; c++)
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
        double u[3], k[3];
        qkt_pocket_cell_center(pk, c, u, k);
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


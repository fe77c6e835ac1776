/* enclose.c - the Fermi pocket whose sheets enclose each band touching, for
 * the check below the seed's Eq. 3: a pocket's chirality is the sum of the
 * charges of the nodes its Fermi surface encloses (qkt_pockets_enclosing in
 * qkt.h; docs/commands/info.md, "Pockets and nodes").
 *
 * The curvature of band b has monopoles at the touchings of b with its
 * neighbours, -Q at a node of (b - 1, b) and +Q at a node of (b, b + 1) in
 * units of the flux 2 pi out of a small sphere, and is smooth elsewhere.  So
 * the sheets of b that bound a region where b is occupied carry, in the sum
 * of their Eq. 3 chiralities, the charges inside it; for an empty region the
 * sign turns.  A ray from the node meets, first, a sheet that bounds the
 * node's region; rays in many directions that all meet one pocket make that
 * pocket the region's boundary. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pockets/pockets.h"

/* Rays from each node: the 26 directions to the neighbours of a cube's
 * centre (faces, edges, corners), in Cartesian k. */
#define RAY_DIRS 26
/* Step along a ray: this fraction of the mean edge of the pocket-map cell at
 * the current point (outside the map: of the cell at the map's centre), so
 * that a sheet resolved by the map is not stepped over. */
#define RAY_STEP 0.5
/* Halvings of the step that brackets a crossing: the crossing is then known
 * to 1/64 of a step, far inside the labelled (dilated) cells around it. */
#define RAY_BISECT 6
/* A node within this many k_B T of mu lies in the thermal shell: the
 * pocket's Eq. 3 chirality is then a thermal average over sheets on both
 * sides of the node, off an integer by about f0(5 T) = 0.7 %. */
#define SHELL_KT 5.0

typedef struct {
    const qkt_pockets_t *pk;
    double mu;
    double hout; /* step outside the map */
    double dirs[RAY_DIRS][3];
} ray_ctx_t;

static void ray_dirs(double d[RAY_DIRS][3])
{
    int n = 0;
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
            for (int l = -1; l <= 1; l++) {
                if (!i && !j && !l) continue;
                double r = sqrt((double)(i * i + j * j + l * l));
                d[n][0] = i / r;
                d[n][1] = j / r;
                d[n][2] = l / r;
                n++;
            }
}

static double ray_step(const ray_ctx_t *c, const double k[3])
{
    long cell = qkt_pocket_cell(c->pk, k);
    if (cell < 0) return c->hout;
    return RAY_STEP * 2 * qkt_pocket_cell_reach(c->pk, (size_t)cell) / c->pk->dim;
}

/* the length of a ray from k0: a periodic model's longest body diagonal of
 * the reciprocal cell (the ray has crossed the zone), a continuum model's
 * distance to the farthest corner of the pocket map (no sheet lies beyond) */
static double ray_length(const qkt_pockets_t *pk, const double k0[3])
{
    double L = 0;
    for (int corner = 0; corner < 8; corner++) {
        double u[3], k[3], jac, d2 = 0;
        for (int a = 0; a < 3; a++) {
            int up = corner >> a & 1;
            if (pk->periodic) u[a] = up ? 1 : -1;
            else u[a] = up ? pk->gmax[a] : pk->gmin[a];
        }
        qkt_domain_map(pk, u, k, &jac);
        for (int a = 0; a < 3; a++) {
            double x = pk->periodic ? k[a] : k[a] - k0[a];
            d2 += x * x;
        }
        L = fmax(L, sqrt(d2));
    }
    return L;
}

/* energy of band b at k0 + t d, relative to mu */
static qkt_status_t energy_at(qkt_bands_t *bt, const qkt_model_t *m, const double k0[3], const double d[3], double t,
                              double mu, double e[2], int band)
{
    double k[3] = {k0[0] + t * d[0], k0[1] + t * d[1], k0[2] + t * d[2]};
    qkt_status_t s = qkt_bands_compute(bt, m, k, QKT_BANDS_EIGVALS);
    if (s) return s;
    e[0] = bt->eps[band] - mu;
    e[1] = bt->eps[band + 1] - mu;
    return QKT_OK;
}

/* One ray from node q along d: hit[b] the pocket at the first crossing of
 * band n + b through mu (QKT_ENCLOSE_UNMAPPED: no label there; NONE: none
 * within the ray's length), for the bands with want[b] set. */
static qkt_status_t ray(const ray_ctx_t *c, qkt_bands_t *bt, const qkt_node_t *q, const double d[3],
                        const int want[2], int hit[2])
{
    const qkt_pockets_t *pk = c->pk;
    const double *k0 = q->k;
    int s0 = q->energy < c->mu ? -1 : 1; /* sign of eps - mu on the node's side */
    int done[2] = {!want[0], !want[1]};
    hit[0] = hit[1] = QKT_ENCLOSE_NONE;
    double L = ray_length(pk, k0), t = 0;
    while (t < L && !(done[0] && done[1])) {
        double k[3] = {k0[0] + t * d[0], k0[1] + t * d[1], k0[2] + t * d[2]};
        double h = ray_step(c, k), e[2];
        qkt_status_t s = energy_at(bt, pk->m, k0, d, t + h, c->mu, e, q->band);
        if (s) return s;
        for (int b = 0; b < 2; b++) {
            if (done[b] || (e[b] < 0 ? -1 : 1) == s0) continue;
            double lo = t, hi = t + h, eb[2];
            for (int it = 0; it < RAY_BISECT; it++) {
                double mid = 0.5 * (lo + hi);
                if ((s = energy_at(bt, pk->m, k0, d, mid, c->mu, eb, q->band))) return s;
                if ((eb[b] < 0 ? -1 : 1) == s0) lo = mid;
                else hi = mid;
            }
            double kc[3] = {k0[0] + hi * d[0], k0[1] + hi * d[1], k0[2] + hi * d[2]};
            int p = qkt_pocket_at(pk, kc, q->band + b);
            hit[b] = p >= 0 ? p : QKT_ENCLOSE_UNMAPPED;
            done[b] = 1;
        }
        t += h;
    }
    return QKT_OK;
}

/* The rays of node q combined into out.  A band's rays stop at the first
 * that meets no sheet (the region is open) or another pocket (shared);
 * bands without a sheet in any pocket (has_sheet[b] = 0) cast none. */
static qkt_status_t enclose_one(const ray_ctx_t *c, qkt_bands_t *bt, const qkt_node_t *q, double T,
                                const unsigned char *has_sheet, qkt_node_enclosure_t *out)
{
    memset(out, 0, sizeof *out);
    out->pocket[0] = out->pocket[1] = QKT_ENCLOSE_NONE;
    if (!q->isolated) return QKT_OK;
    if (T > 0 && fabs(q->energy - c->mu) < SHELL_KT * T) {
        out->shell = 1;
        for (int b = 0; b < 2; b++) {
            int p = qkt_pocket_at(c->pk, q->k, q->band + b);
            out->pocket[b] = p >= 0 ? p : QKT_ENCLOSE_NONE;
        }
        return QKT_OK;
    }
    int want[2] = {has_sheet[q->band], has_sheet[q->band + 1]};
    for (int r = 0; r < RAY_DIRS && (want[0] || want[1]); r++) {
        int hit[2];
        qkt_status_t s = ray(c, bt, q, c->dirs[r], want, hit);
        if (s) return s;
        for (int b = 0; b < 2; b++) {
            if (!want[b]) continue;
            if (hit[b] == QKT_ENCLOSE_NONE) {
                out->pocket[b] = out->nrays[b] ? QKT_ENCLOSE_OPEN : QKT_ENCLOSE_NONE;
                want[b] = 0;
                continue;
            }
            out->nrays[b]++;
            if (out->nrays[b] == 1) out->pocket[b] = hit[b];
            else if (hit[b] != out->pocket[b]) {
                out->pocket[b] = out->pocket[b] == QKT_ENCLOSE_UNMAPPED || hit[b] == QKT_ENCLOSE_UNMAPPED
                                     ? QKT_ENCLOSE_UNMAPPED
                                     : QKT_ENCLOSE_SHARED;
                want[b] = 0;
            }
        }
    }
    int s = q->energy < c->mu ? 1 : -1; /* occupied region: +1, empty: -1 */
    for (int b = 0; b < 2; b++)
        if (out->pocket[b] >= 0) out->charge[b] = s * (b ? q->chirality : -q->chirality);
    return QKT_OK;
}

qkt_status_t qkt_pockets_enclosing(const qkt_model_t *m, const qkt_params_t *p, const qkt_node_t *nodes, int n,
                                   qkt_node_enclosure_t *out, int *npocket, unsigned char *sheet, int max_pockets)
{
    if (!m || !p || n < 0 || (n > 0 && (!nodes || !out)) || !npocket || max_pockets < 0 || (sheet && !max_pockets))
        return qkt_error(QKT_EINVAL, "qkt_pockets_enclosing: invalid arguments");
    *npocket = 0;
    if (m->dim != 3) return qkt_error(QKT_EINVAL, "qkt_pockets_enclosing: nodes are points of a 3D model");
    qkt_mapopts_t mo;
    qkt_mapopts_from_params(p, &mo);
    qkt_pockets_t *pk;
    qkt_status_t st = qkt_pockets_build(m, p->mu, p->T, &mo, &pk);
    if (st) return st;
    *npocket = pk->n;
    if (sheet)
        for (int q = 0; q < pk->n && q < max_pockets; q++) memcpy(sheet + (size_t)q * m->nb, pk->sheet + (size_t)q * m->nb, m->nb);
    ray_ctx_t c = {.pk = pk, .mu = p->mu};
    ray_dirs(c.dirs);
    /* outside the map: the step of its central cell */
    size_t centre = 0;
    for (int a = 0; a < pk->dim; a++) centre = centre * pk->ncell + pk->ncell / 2;
    c.hout = RAY_STEP * 2 * qkt_pocket_cell_reach(pk, centre) / pk->dim;
    for (int i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        out[i].pocket[0] = out[i].pocket[1] = QKT_ENCLOSE_NONE;
    }
    if (pk->n == 0) {
        qkt_pockets_free(pk);
        return QKT_OK;
    }
    unsigned char *has_sheet = calloc(m->nb, 1);
    if (!has_sheet) {
        qkt_pockets_free(pk);
        return qkt_error(QKT_ENOMEM, "out of memory (pocket enclosures)");
    }
    for (int q = 0; q < pk->n; q++)
        for (int b = 0; b < m->nb; b++) has_sheet[b] |= pk->sheet[(size_t)q * m->nb + b];
    qkt_blas_serial();
    int bad = n, nomem = 0;
    qkt_status_t first = QKT_OK;
    char msg[1024] = ""; /* the failing thread's message (qkt_error's buffer is per thread) */
#pragma omp parallel reduction(+ : nomem)
    {
        qkt_bands_t *bt = qkt_bands_alloc(m->nb);
        if (!bt) nomem++;
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < n; i++) {
            if (!bt) continue;
            qkt_status_t s = nodes[i].band + 1 < m->nb ? enclose_one(&c, bt, &nodes[i], p->T, has_sheet, &out[i]) : QKT_OK;
            if (s) {
#pragma omp critical(qkt_enclose)
                if (i < bad) {
                    bad = i;
                    first = s;
                    snprintf(msg, sizeof msg, "%s", qkt_strerror());
                }
            }
        }
        qkt_bands_free(bt);
    }
    free(has_sheet);
    qkt_pockets_free(pk);
    if (nomem) return qkt_error(QKT_ENOMEM, "out of memory (pocket enclosures)");
    if (first) return qkt_error(first, "pocket enclosure of touching %d: %s", bad + 1, msg);
    return QKT_OK;
}

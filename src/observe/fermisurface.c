/* fermisurface.c - the Fermi surface of a periodic model as a FermiSurfer
 * file (.frmsf: the k grid, its type, the bands, the reciprocal vectors, the
 * energies band by band with the third grid index fastest, then up to three
 * blocks of colour values in the same order), coloured by the Berry flux
 * density through the surface, the curvature vector, or the chirality of the
 * Fermi pocket (qkt_fermisurfer_write in qkt.h; docs/commands/info.md). */
#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pockets/pockets.h"

/* FermiSurfer's grid type 1: x_i = (i - 1)/N along each reciprocal vector
 * (Gamma-centred, the zone's [0, 1) in reduced coordinates) */
#define FRMSF_GRID_TYPE 1

/* reduced coordinates of grid point idx (third index fastest) */
static void grid_k(const qkt_model_t *m, int N, size_t idx, double k[3])
{
    int i3 = (int)(idx % N), i2 = (int)(idx / N % N), i1 = (int)(idx / N / N);
    double x[3] = {(double)i1 / N, (double)i2 / N, (double)i3 / N};
    for (int a = 0; a < 3; a++) k[a] = x[0] * m->bvec[0][a] + x[1] * m->bvec[1][a] + x[2] * m->bvec[2][a];
}

/* pass 1: each band's energy range over the grid, lo[b], hi[b] */
static qkt_status_t band_ranges(const qkt_model_t *m, int N, double *lo, double *hi)
{
    const int nb = m->nb;
    const size_t npt = (size_t)N * N * N;
    for (int b = 0; b < nb; b++) lo[b] = INFINITY, hi[b] = -INFINITY;
    int fail = 0;
#pragma omp parallel reduction(+ : fail)
    {
        qkt_bands_t *bt = qkt_bands_alloc(nb);
        double *l = malloc(sizeof(double) * 2 * nb);
        if (!bt || !l) fail++;
        else
            for (int b = 0; b < nb; b++) l[b] = INFINITY, l[nb + b] = -INFINITY;
#pragma omp for schedule(static)
        for (size_t i = 0; i < npt; i++) {
            double k[3];
            if (fail) continue;
            grid_k(m, N, i, k);
            if (qkt_bands_compute(bt, m, k, QKT_BANDS_EIGVALS)) {
                fail++;
                continue;
            }
            for (int b = 0; b < nb; b++) l[b] = fmin(l[b], bt->eps[b]), l[nb + b] = fmax(l[nb + b], bt->eps[b]);
        }
        if (l && bt)
#pragma omp critical(qkt_frmsf_range)
            for (int b = 0; b < nb; b++) lo[b] = fmin(lo[b], l[b]), hi[b] = fmax(hi[b], l[nb + b]);
        free(l);
        qkt_bands_free(bt);
    }
    return fail ? qkt_error(QKT_ENUM, "FermiSurfer file: band energies failed on the grid (or out of memory)")
                : QKT_OK;
}

/* the colour values of band b at one point: the curvature and the diagonal
 * velocity averaged over b's degenerate group (gauge invariant) */
static void colour_at(const qkt_bands_t *bt, int b, int color, double chir, double *out)
{
    const int nb = bt->nb;
    int g0 = bt->grp ? bt->grp[b] : b, g1 = bt->grp ? bt->grp_end[b] : b + 1;
    double O[3] = {0, 0, 0}, v[3] = {0, 0, 0};
    for (int j = g0; j < g1; j++)
        for (int a = 0; a < 3; a++) {
            O[a] += bt->Omega[a * nb + j] / (g1 - g0);
            v[a] += creal(bt->v[a][j * nb + j]) / (g1 - g0);
        }
    if (color == QKT_FS_CURVATURE) {
        for (int a = 0; a < 3; a++) out[a] = O[a];
    } else if (color == QKT_FS_FLUX) {
        double vn = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        out[0] = vn > 0 ? (O[0] * v[0] + O[1] * v[1] + O[2] * v[2]) / vn : 0;
    } else {
        out[0] = chir;
    }
}

/* pass 2: energies (minus mu) and colours of the nw bands wb[] at every point;
 * E[w * npt + i], C[(c * nw + w) * npt + i] */
static qkt_status_t grid_values(const qkt_model_t *m, int N, double mu, int color, const qkt_response_t *r,
                                const qkt_pockets_t *pk, const int *wb, int nw, int ncol, float *E, float *C)
{
    const size_t npt = (size_t)N * N * N;
    int fail = 0;
#pragma omp parallel reduction(+ : fail)
    {
        qkt_bands_t *bt = qkt_bands_alloc(m->nb);
        if (!bt) fail++;
#pragma omp for schedule(dynamic, 64)
        for (size_t i = 0; i < npt; i++) {
            double k[3];
            if (fail) continue;
            grid_k(m, N, i, k);
            int what = color == QKT_FS_CHIRALITY ? QKT_BANDS_ENERGY : QKT_BANDS_GEOMETRY;
            if (qkt_bands_compute(bt, m, k, what)) {
                fail++;
                continue;
            }
            for (int w = 0; w < nw; w++) {
                double col[3], chir = 0;
                if (color == QKT_FS_CHIRALITY) {
                    int q = qkt_pocket_at(pk, k, wb[w]);
                    chir = q >= 0 ? r->pocket[q].chirality : 0;
                }
                colour_at(bt, wb[w], color, chir, col);
                E[(size_t)w * npt + i] = (float)(bt->eps[wb[w]] - mu);
                for (int c = 0; c < ncol; c++) C[((size_t)c * nw + w) * npt + i] = (float)col[c];
            }
        }
        qkt_bands_free(bt);
    }
    return fail ? qkt_error(QKT_ENUM, "FermiSurfer file: band geometry failed on the grid (or out of memory)")
                : QKT_OK;
}

/* formatted text through the output file, in blocks */
typedef struct {
    qkt_outfile_t *o;
    char buf[1 << 16];
    size_t n;
} text_t;

static void text_flush(text_t *t)
{
    if (t->n) qkt_outfile_write(t->o, t->buf, t->n);
    t->n = 0;
}

__attribute__((format(printf, 2, 3))) static void text_printf(text_t *t, const char *fmt, ...)
{
    if (t->n + 256 > sizeof t->buf) text_flush(t);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->buf + t->n, sizeof t->buf - t->n, fmt, ap);
    va_end(ap);
    if (k > 0) t->n += (size_t)k < sizeof t->buf - t->n ? (size_t)k : sizeof t->buf - t->n - 1;
}

static qkt_status_t write_file(const qkt_model_t *m, int N, int nw, int ncol, const float *E, const float *C,
                               const char *path)
{
    qkt_outfile_t o;
    qkt_status_t s = qkt_outfile_open(&o, path);
    if (s) return s;
    text_t *t = malloc(sizeof *t);
    if (!t) {
        qkt_outfile_abort(&o);
        return qkt_error(QKT_ENOMEM, "out of memory (FermiSurfer file)");
    }
    t->o = &o;
    t->n = 0;
    const size_t npt = (size_t)N * N * N;
    text_printf(t, "%d %d %d\n%d\n%d\n", N, N, N, FRMSF_GRID_TYPE, nw);
    for (int i = 0; i < 3; i++) text_printf(t, "%.10e %.10e %.10e\n", m->bvec[i][0], m->bvec[i][1], m->bvec[i][2]);
    for (size_t j = 0; j < (size_t)nw * npt; j++) text_printf(t, "%.7e\n", E[j]);
    for (size_t j = 0; j < (size_t)ncol * nw * npt; j++) text_printf(t, "%.7e\n", C[j]);
    text_flush(t);
    free(t);
    if (o.failed) {
        int e = o.failed;
        qkt_outfile_abort(&o);
        return qkt_error(QKT_EIO, "%s: write failed: %s", path, strerror(e));
    }
    return qkt_outfile_commit(&o);
}

qkt_status_t qkt_fermisurfer_write(const qkt_model_t *m, double mu, int grid, int color, const qkt_response_t *r,
                                   const char *path, int *nbands)
{
    if (nbands) *nbands = 0;
    if (!m || !path || grid < 2 || color < QKT_FS_FLUX || color > QKT_FS_CHIRALITY ||
        (color == QKT_FS_CHIRALITY && !r))
        return qkt_error(QKT_EINVAL, "qkt_fermisurfer_write: invalid arguments");
    if (!m->periodic || m->dim != 3)
        return qkt_error(QKT_EINVAL, "a FermiSurfer file needs a periodic 3D model (its reciprocal cell); %s is %s",
                         m->info ? m->info->name : "the model", m->periodic ? "2D" : "a continuum model");
    const int nb = m->nb;
    const size_t npt = (size_t)grid * grid * grid;
    qkt_blas_serial();
    double *lo = malloc(sizeof(double) * 2 * nb);
    int *wb = malloc(sizeof(int) * nb);
    if (!lo || !wb) {
        free(lo);
        free(wb);
        return qkt_error(QKT_ENOMEM, "out of memory (FermiSurfer file)");
    }
    qkt_status_t s = band_ranges(m, grid, lo, lo + nb);
    int nw = 0;
    for (int b = 0; !s && b < nb; b++)
        if (lo[b] <= mu && lo[nb + b] >= mu) wb[nw++] = b;
    free(lo);
    if (!s && nw == 0)
        s = qkt_error(QKT_EPHYS, "no band crosses mu = %g on the %d^3 grid: no Fermi surface to write", mu, grid);
    int ncol = color == QKT_FS_CURVATURE ? 3 : 1;
    float *E = NULL, *C = NULL;
    qkt_pockets_t *pk = NULL;
    if (!s) {
        E = malloc(sizeof(float) * npt * nw);
        C = malloc(sizeof(float) * npt * nw * ncol);
        if (!E || !C) s = qkt_error(QKT_ENOMEM, "out of memory (FermiSurfer file: %d bands on %d^3 points)", nw, grid);
    }
    if (!s && color == QKT_FS_CHIRALITY) {
        qkt_mapopts_t mo;
        qkt_mapopts_from_params(&r->par, &mo);
        s = qkt_pockets_build(m, r->par.mu, r->par.T, &mo, &pk);
        if (!s && pk->n != r->npocket)
            s = qkt_error(QKT_ENUM, "FermiSurfer file: the map has %d pockets, the run %d", pk->n, r->npocket);
    }
    if (!s) s = grid_values(m, grid, mu, color, r, pk, wb, nw, ncol, E, C);
    if (!s) s = write_file(m, grid, nw, ncol, E, C, path);
    if (!s && nbands) *nbands = nw;
    qkt_pockets_free(pk);
    free(E);
    free(C);
    free(wb);
    return s;
}

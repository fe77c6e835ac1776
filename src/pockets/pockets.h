/* pockets.h - the integration domain (Brillouin zone or continuum box with
 * open axes) and the map of Fermi pockets: connected pieces of the thermal
 * shell found on a cell grid from band energies. */
#ifndef QKT_POCKETS_H
#define QKT_POCKETS_H
#include "core/internal.h"

typedef struct qkt_pockets qkt_pockets_t;

/* Options of the domain and of the pocket map. */
typedef struct {
    int ncell;          /* cells per axis of the pocket map */
    double kbox;        /* continuum: half-width of closed axes */
    int open[3];        /* continuum: axes integrated to infinity */
    double scale;       /* continuum: scale s of the open-axis map k = s u/(1-u^2) */
    double window;      /* thermal window half-width (units of T) for the pocket map */
    /* optional progress report of the band energies at the map's corners (the
     * map's cost: one eigenvalue problem per corner), as qkt_params_t's;
     * qkt_mapopts_from_params leaves them NULL (the response sets them for
     * its own map) */
    void (*progress)(void *user, long done, long total);
    void (*progress_phase)(void *user, const char *phase);
    void *progress_user;
} qkt_mapopts_t;

/* ---- Fermi pockets ---------------------------------------------------------- */
struct qkt_pockets {
    const qkt_model_t *m;
    int periodic;
    int n;               /* number of pockets */
    int nb, dim, ncell;  /* cell grid ncell^dim over the integration domain */
    double umin[3], umax[3]; /* integration domain (u coordinates) */
    double gmin[3], gmax[3]; /* box of the pocket grid (u coordinates) */
    int open[3];         /* open axes use the map k = s u/(1 - u^2) */
    int wrap[3];         /* pocket grid wraps around the zone along this axis */
    double scale;        /* s of the open-axis map */
    int nblk;            /* blocks (valleys) of the model */
    int *bblock;         /* block of each band */
    int *label;          /* [cell * nblk + block] -> pocket id or -1 (dilated by one cell) */
    int *fs;             /* [cell] 1 if some band's energy window meets this cell */
    int *band;           /* block of each pocket */
    double (*center)[3]; /* centroid of each pocket's cells (k-space) */
    int *ncells;         /* cells of each pocket */
    unsigned char *sheet; /* [pocket * nb + band] 1: the band meets the thermal window in some
                             cell of the pocket (it may have a Fermi sheet there) */
};

qkt_status_t qkt_pockets_build(const qkt_model_t *m, double mu, double T,
                               const qkt_mapopts_t *o, qkt_pockets_t **out);
/* the map options of run parameters p (numerics.ncell, kbox, open axes, scale, window) */
void qkt_mapopts_from_params(const qkt_params_t *p, qkt_mapopts_t *o);
void qkt_pockets_free(qkt_pockets_t *pk);
/* Band-energy ranges on the Fermi-surface cells of the pocket map, each cut
 * into 3^D sub-cubes: for every sub-cube and every band a coupled (v^{aj} !=
 * 0 at a vertex) to another band j whose range over the sub-cube meets the window
 * mu +- halfw, the range [lo, hi] of eps_a over the sub-cube's vertices,
 * widened by a quarter of its width on each side (the margin of the pocket
 * map).  *lohi: n pairs (malloc'ed). */
qkt_status_t qkt_pockets_shell_bands(const qkt_pockets_t *pk, double mu, double halfw, double **lohi, size_t *n);

/* k-space map of the integration domain */
void qkt_domain_map(const qkt_pockets_t *pk, const double *u, double *k, double *jac);
/* centre of pocket-map cell c in u coordinates and in k */
void qkt_pocket_cell_center(const qkt_pockets_t *pk, size_t c, double u[3], double k[3]);
/* an upper bound of the distance in k from the centre of cell c to any
 * point of the cell: the sum of the half-edge lengths */
double qkt_pocket_cell_reach(const qkt_pockets_t *pk, size_t c);
/* pocket of band m at k (or -1) */
int qkt_pocket_at(const qkt_pockets_t *pk, const double k[3], int m);
/* the same in two steps, for all bands of one k: the pocket-map cell of k
 * (-1: outside the map or no pockets), then the pocket of band m there */
long qkt_pocket_cell(const qkt_pockets_t *pk, const double k[3]);
static inline int qkt_pocket_of_cell(const qkt_pockets_t *pk, long cell, int m)
{
    return cell < 0 ? -1 : pk->label[(size_t)cell * pk->nblk + pk->bblock[m]];
}

#endif

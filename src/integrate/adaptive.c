/* adaptive.c - adaptive k-space integration of the tally vector over the
 * domain of the pocket map (src/pockets/).
 * Integrator: adaptive cubature (libcubature hcubature_v) of the whole vector
 * of tallies; a short pilot pass sets one scale per tally group so that every
 * group (every path of the tree, every pocket sum) is converged to the
 * requested relative accuracy (the main pass starts from the pilot's
 * values of each part's first rule instead of evaluating them again).  Points
 * of a batch are evaluated by OpenMP
 * threads (and MPI ranks) and stored by index: results do not depend on the
 * number of threads or ranks. */
#include <cubature.h>
#include <omp.h>
#include <stdlib.h>
#include <time.h>
#if QKT_HAVE_MPI
#include <mpi.h>
#endif
#include "integrate/integrate.h"
#include "core/fermi.h"

/* ------------------------------------------------------------------ integration */
/* The domain is cut into parts, each integrated by adaptive cubature:
 *  - cells of a regular grid over the domain (Fermi sea; weight 1 - sum chi_p);
 *  - for continuum models whose pockets are isolated, a ball around each
 *    pocket (weight chi_p, a smooth partition of unity), integrated in
 *    spherical coordinates: adaptive cubature over directions, and along every
 *    ray fixed Gauss-Legendre panels whose ends are the radii where the
 *    pocket's bands cross mu + x T, x = -W, -W+3, ..., W (so the thermal shell
 *    is resolved in energy, not by refining cubes).
 * Part results are summed in a fixed order. */

/* ------------------------------------------------------------------ constants */
/* Every algorithmic constant of this file, with its reason (the accuracy
 * scales of the tally groups are at group_scales). */
/* rays of a ball (ray_integral, ray_root) */
#define NSAMP 48           /* band energies sampled on [0, R1] of a ray to bracket the crossings of mu + x T
                            * (crossings closer together than R1/48 on one band can be missed) */
#define XPANEL 3.0         /* panel ends every 3 T across the thermal window: f0 and its derivatives are
                            * smooth on a 3 T panel, which GL-8 then integrates */
#define RAY_MAX_BANDS 8    /* bands followed along a ray (a stack array); models with more use cells only */
#define RAY_MAX_BREAKS 500 /* panel ends per ray (a stack array); a band crossing the window adds
                            * 2W/XPANEL + 1 of them (11 at the automatic W <= 16) */
#define RAY_X_SLACK 1e-9   /* keeps the last grid point x = W despite the roundoff of x += XPANEL */
#define PANEL_MIN_REL 1e-15 /* panels shorter than this x (1 + r) are coincident ends: skipped */
#define GL_SHELL 8         /* Gauss-Legendre points of a panel in the thermal shell (one XPANEL of energy) */
#define GL_GAP 16          /* ... of a gap outside the shell (smooth in energy, but it may be long in r) */
#define ROOT_MAXIT 60      /* Illinois iterations; the bisection fallback alone reaches 2^-60 of the bracket */
#define ROOT_RELTOL 1e-14  /* a crossing's radius to this relative bracket width (near roundoff) */
#define RAY_COST 100       /* tree evaluations per ray, about (2W/XPANEL shell panels x GL_SHELL + gaps x GL_GAP,
                            * automatic W = 12..16): a ball patch gets maxeval/RAY_COST directions */
/* balls around pockets (make_balls) */
#define BALL_MERGE_DIST 1e-3 /* pocket centres closer than this x the map's scale are one centre (degenerate
                              * valleys): they share a ball */
#define BALL_CELL_MARGIN 2 /* crude extent: farthest labelled cell centre + 2 cell diagonals (a label marks a
                            * cell, whose centre can lie a cell away from the pocket's edge) */
#define BALL_NDIR_3D 200   /* directions of the ray march that sets R1 (Fibonacci sphere) */
#define BALL_NDIR_2D 64    /* ... in 2D (equal angles) */
#define BALL_NSTEP 400     /* steps of the ray march over [0, crude extent] */
#define BALL_STEP_MARGIN 1.5 /* the window's edge lies within one step beyond the last in-window point */
#define BALL_R1_MARGIN 1.03 /* R1 3% beyond the march's largest radius, for directions between the marched ones */
#define BALL_FD_REACH 4    /* the tree's stencil reaches 4 h per axis (differences of differences, tree.c's
                            * offsets -4..4): a Fermi-surface tally is nonzero up to 4 h sqrt(3) outside the shell */
#define BALL_FD_SAFETY 2   /* R1 adds BALL_FD_SAFETY x BALL_FD_REACH steps h = 8 h > 4 h sqrt(3) */
#define BALL_R2_MAX 1.5    /* the partition of unity's outer layer is at most 0.5 R1 thick (R2 <= 1.5 R1) */
#define BALL_R2_MIN 1.05   /* a layer thinner than 5% of R1 (chi too steep for the cubature) is refused:
                            * the pockets are then merged, or integrated by cells */
/* parts (qkt_integrate) */
#define BALL_PATCH_NU 4    /* a 3D ball's directions: 4 bands in u = cos(theta) ... */
#define BALL_PATCH_NPHI 4  /* ... x 4 quarters in phi, so that a ball spreads over threads (a part is the
                            * unit of parallel work) and each patch starts from its own rule */
#define BALL_PATCH_DU (2.0 / BALL_PATCH_NU) /* width of a band in u in [-1, 1] */
#define BALL_PATCHES_3D (BALL_PATCH_NU * BALL_PATCH_NPHI)
#define BALL_PATCHES_2D 8  /* a 2D ball's directions: 8 sectors of pi/4, for the same reason */
#define CELLS_3D 6         /* default cells per axis (numerics.icell = 0): 216 parts in 3D, enough to spread over
                            * threads, few enough that the pilot (33 points a part) stays cheap */
#define CELLS_2D 12        /* ... 144 parts in 2D (17 points a part) */
#define PILOT_RULE_MAXPTS 33 /* points of hcubature's first rule on a part: 33 in 3D (degree-7 Genz-Malik), 17 in
                              * 2D, 15 (Gauss-Kronrod) in 1D; the pilot records hold at most this many */
#define PILOT_MAX_BYTES (256.0 * 1024 * 1024) /* memory the pilot records may take; above it the main pass
                                               * evaluates the first rules again (same digits, more time) */
#define CONV_SLACK 1.0000001 /* a part is unconverged when its error exceeds its tolerance by more than
                              * this factor (hcubature stops at error <= tolerance, up to roundoff) */

typedef struct {
    double c[3];
    double R1, R2; /* chi = 1 for r <= R1, 0 for r >= R2 */
    int block;
} ball_t;

typedef struct {
    int kind;      /* 0 cell, 1 patch of a ball */
    int ball;
    double lo[3], hi[3];
} part_t;

/* The pilot pass evaluates the first cubature rule of every part; the main
 * pass starts with the very same rule on the same region.  The pilot's points
 * and (unscaled) values are kept per part and handed back to the main pass's
 * first integrand call when its points are the same, bit for bit. */
typedef struct {
    size_t npt;
    size_t nev;      /* tree evaluations behind the values */
    double *x, *f;   /* npt * ndim points, npt * fdim values */
} pilot_t;

/* Progress of a pass, in thousandths of a part: the parts done, plus
 * for each part under way the share of its evaluation budget it has used (a
 * part that converges early jumps to done).  So that a run whose parts are
 * few and long (a real crystal at low T) still shows it is moving, the
 * threads report while they integrate, at most every PROGRESS_EVERY s each. */
#define PROGRESS_UNIT 1000
#define PROGRESS_EVERY 1.0
typedef struct {
    long ndone;    /* parts done (under the critical section qkt_progress) */
    long *cur;     /* per thread: thousandths of its current part (0 when idle) */
    int nslot;
    int np;
} progress_t;

typedef struct {
    const qkt_model_t *m;
    const qkt_integrand_t *fn;
    const qkt_intopts_t *o;
    const qkt_pockets_t *pk;
    const ball_t *balls;
    int nballs;
    const part_t *part;
    pilot_t *pilot;      /* this part's pilot record: to fill (pilot pass) or to reuse (main pass) */
    int pilot_fill;      /* 1: record the next call; 0: reuse on the first call */
    int ncall;           /* integrand calls on this part */
    size_t nreused;      /* tree evaluations of the pilot reused on this part */
    void *ws;            /* the integrand's workspace */
    qkt_bands_t *eb;     /* energies along rays */
    double *f;           /* one evaluation (fdim) */
    const double *scale; /* per component (NULL: none) */
    qkt_status_t status;
    int timed_out;       /* the deadline passed during this part (main pass) */
    size_t neval;
    double norm;         /* 1/(2 pi)^D */
    progress_t *pg;      /* the pass's progress (NULL: none) */
    int slot;            /* this thread's slot in pg */
    size_t part_start;   /* neval + nreused when this part began */
    size_t part_budget;  /* the part's evaluation budget */
} ictx_t;

/* report the progress (call inside the critical section qkt_progress) */
static void progress_report(const qkt_intopts_t *o, const progress_t *pg)
{
    long done = pg->ndone * PROGRESS_UNIT;
    for (int t = 0; t < pg->nslot; t++) {
        done += __atomic_load_n(&pg->cur[t], __ATOMIC_RELAXED);
    }
    long total = (long)pg->np * PROGRESS_UNIT;
    o->progress(o->progress_user, done < total ? done : total - 1, total);
}

/* this thread's share of its current part, and now and then a report */
static void progress_tick(ictx_t *c, double *last)
{
    progress_t *pg = c->pg;
    size_t used = c->neval + c->nreused - c->part_start;
    long v = used >= c->part_budget ? PROGRESS_UNIT - 1
                                    : (long)((double)PROGRESS_UNIT * (double)used / (double)c->part_budget);
    __atomic_store_n(&pg->cur[c->slot], v, __ATOMIC_RELAXED);
    double t = qkt_now();
    if (t - *last < PROGRESS_EVERY) return;
    *last = t;
#pragma omp critical(qkt_progress)
    progress_report(c->o, pg);
}

static double chi_ball(const ball_t *b, const double k[3]);

/* smooth partition of unity: weight of ball `which` (or of the cells, which = -1) */
static double pu_weight(const ball_t *balls, int nballs, const double k[3], int which)
{
    double S = 0, mine = 0;
    for (int b = 0; b < nballs; b++) {
        double x = chi_ball(&balls[b], k);
        S += x;
        if (b == which) mine = x;
    }
    if (S == 0) return which < 0 ? 1 : 0;
    /* weights chi_p / max(1, S); the kink at S = 1 lies where balls' outer
     * layers overlap, outside every thermal shell */
    double N = S > 1 ? S : 1;
    return which < 0 ? 1 - S / N : mine / N;
}

static double chi_ball(const ball_t *b, const double k[3])
{
    double r = sqrt((k[0] - b->c[0]) * (k[0] - b->c[0]) + (k[1] - b->c[1]) * (k[1] - b->c[1]) +
                    (k[2] - b->c[2]) * (k[2] - b->c[2]));
    return qkt_smooth_step((r - b->R1) / (b->R2 - b->R1));
}

/* add w * F(k) into acc; returns status */
static qkt_status_t eval_add(ictx_t *c, const double k[3], double w, double *acc)
{
    unsigned fdim = (unsigned)c->fn->fdim;
    memset(c->f, 0, fdim * sizeof(double));
    qkt_status_t s = c->fn->eval(c->ws, k, c->f);
    if (s) return s;
    c->neval++;
    for (unsigned j = 0; j < fdim; j++) {
        double v = c->f[j] * w;
        if (isfinite(v)) acc[j] += v; /* isolated singular points (nodes) carry no weight */
    }
    return QKT_OK;
}

static int cell_integrand(unsigned ndim, size_t npt, const double *x, ictx_t *c, unsigned fdim, double *fval)
{
    for (size_t i = 0; i < npt; i++) {
        double k[3], jac;
        double *f = fval + i * fdim;
        memset(f, 0, fdim * sizeof(double));
        qkt_domain_map(c->pk, x + i * ndim, k, &jac);
        double w = jac * c->norm * pu_weight(c->balls, c->nballs, k, -1);
        if (w == 0) continue;
        qkt_status_t s = eval_add(c, k, w, f);
        if (s) {
            c->status = s;
            return 1;
        }
    }
    return 0;
}

/* Gauss-Legendre nodes/weights on [-1, 1]: GL_SHELL and GL_GAP points */
static const double gl8x[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                               0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
static const double gl8w[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
                               0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};
static const double gl16x[16] = {-0.9894009349916499, -0.9445750230732326, -0.8656312023878318, -0.7554044083550030,
                                 -0.6178762444026438, -0.4580167776572274, -0.2816035507792589, -0.0950125098376374,
                                 0.0950125098376374,  0.2816035507792589,  0.4580167776572274,  0.6178762444026438,
                                 0.7554044083550030,  0.8656312023878318,  0.9445750230732326,  0.9894009349916499};
static const double gl16w[16] = {0.0271524594117541, 0.0622535239386479, 0.0951585116824928, 0.1246289712555339,
                                 0.1495959888165767, 0.1691565193950025, 0.1826034150449236, 0.1894506104550685,
                                 0.1894506104550685, 0.1826034150449236, 0.1691565193950025, 0.1495959888165767,
                                 0.1246289712555339, 0.0951585116824928, 0.0622535239386479, 0.0271524594117541};

_Static_assert(sizeof gl8x / sizeof gl8x[0] == GL_SHELL && sizeof gl16x / sizeof gl16x[0] == GL_GAP,
               "the Gauss-Legendre tables have GL_SHELL and GL_GAP points");

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* energy of band m at c + r w */
static qkt_status_t ray_energy(ictx_t *c, const double *c0, const double *dir, double r, int m, double *e)
{
    double k[3] = {c0[0] + r * dir[0], c0[1] + r * dir[1], c0[2] + r * dir[2]};
    qkt_status_t s = qkt_bands_compute(c->eb, c->m, k, QKT_BANDS_EIGVALS);
    if (s) return s;
    *e = c->eb->eps[m];
    return QKT_OK;
}

/* radius in [ra, rb] where band m reaches energy target (bracketed); Illinois method */
static qkt_status_t ray_root(ictx_t *c, const double *c0, const double *dir, int m, double ra, double ea,
                             double rb, double eb, double target, double *r)
{
    double fa = ea - target, fb = eb - target;
    int side = 0;
    for (int it = 0; it < ROOT_MAXIT; it++) {
        double rc = (ra * fb - rb * fa) / (fb - fa);
        if (!(rc > fmin(ra, rb) && rc < fmax(ra, rb))) rc = 0.5 * (ra + rb);
        double ec;
        qkt_status_t s = ray_energy(c, c0, dir, rc, m, &ec);
        if (s) return s;
        double fc = ec - target;
        if (fabs(rb - ra) < ROOT_RELTOL * (1 + fabs(rb)) || fc == 0) {
            *r = rc;
            return QKT_OK;
        }
        if (fc * fb > 0) {
            rb = rc;
            fb = fc;
            if (side == -1) fa /= 2;
            side = -1;
        } else {
            ra = rc;
            fa = fc;
            if (side == 1) fb /= 2;
            side = 1;
        }
    }
    *r = 0.5 * (ra + rb);
    return QKT_OK;
}

/* integral along one ray of chi * r^(D-1) * F, into acc (fdim).
 * No error estimate: the panels are fixed Gauss-Legendre rules (GL_SHELL
 * points in the thermal shell, GL_GAP in the gaps), neither refined nor
 * compared with a second rule, so the error a ball reports is hcubature's
 * estimate over directions alone and the radial quadrature error is not in
 * it (parabolic band at reltol 1e-7: estimate ~1e-16 relative, true error
 * ~1e-10, as an isotropic integrand leaves nothing to the angular rule). */
static qkt_status_t ray_integral(ictx_t *c, const ball_t *bl, int ib, const double *dir, double *acc)
{
    const qkt_model_t *m = c->m;
    int D = m->dim, nb = m->nb;
    int b0 = 0, b1 = m->nb; /* every band's shell is followed (balls may hold several blocks) */
    double mu = c->o->mu, T = c->o->T, W = c->o->window;
    double rs[NSAMP + 1], es[NSAMP + 1][RAY_MAX_BANDS];
    double brk[RAY_MAX_BREAKS];
    int nbrk = 0;
    qkt_status_t s;
    if (b1 - b0 > RAY_MAX_BANDS) return qkt_error(QKT_EINVAL, "internal: too many bands for ray integration");
    for (int i = 0; i <= NSAMP; i++) {
        rs[i] = bl->R1 * i / NSAMP;
        double k[3] = {bl->c[0] + rs[i] * dir[0], bl->c[1] + rs[i] * dir[1], bl->c[2] + rs[i] * dir[2]};
        s = qkt_bands_compute(c->eb, m, k, QKT_BANDS_EIGVALS);
        if (s) return s;
        for (int j = b0; j < b1; j++) es[i][j - b0] = c->eb->eps[j];
    }
    brk[nbrk++] = 0;
    brk[nbrk++] = bl->R1;
    brk[nbrk++] = bl->R2;
    /* panel ends where a band crosses mu + x T, x on a grid of step XPANEL in [-W, W] */
    for (int j = b0; j < b1; j++)
        for (int i = 0; i < NSAMP; i++) {
            double ea = es[i][j - b0], eb = es[i + 1][j - b0];
            double lo = fmin(ea, eb), hi = fmax(ea, eb);
            if (hi < mu - W * T || lo > mu + W * T) continue;
            for (double x = -W; x <= W + RAY_X_SLACK; x += XPANEL) {
                double tgt = mu + x * T;
                if (!(tgt > lo && tgt <= hi) || nbrk >= RAY_MAX_BREAKS) continue;
                double r;
                s = ray_root(c, bl->c, dir, j, rs[i], ea, rs[i + 1], eb, tgt, &r);
                if (s) return s;
                brk[nbrk++] = r;
            }
        }
    qsort(brk, nbrk, sizeof(double), cmp_double);
    unsigned fdim = (unsigned)c->fn->fdim;
    (void)nb;
    for (int i = 0; i + 1 < nbrk; i++) {
        double a = brk[i], b = brk[i + 1];
        if (b - a <= PANEL_MIN_REL * (1 + b)) continue;
        /* panels inside the thermal shell get GL_SHELL points, the smooth gaps GL_GAP */
        int shell = 0;
        {
            double rm = 0.5 * (a + b);
            double k[3] = {bl->c[0] + rm * dir[0], bl->c[1] + rm * dir[1], bl->c[2] + rm * dir[2]};
            s = qkt_bands_compute(c->eb, m, k, QKT_BANDS_EIGVALS);
            if (s) return s;
            for (int j = b0; j < b1; j++)
                if (fabs(c->eb->eps[j] - mu) <= W * T) shell = 1;
        }
        int n = shell ? GL_SHELL : GL_GAP;
        const double *gx = shell ? gl8x : gl16x, *gw = shell ? gl8w : gl16w;
        for (int g = 0; g < n; g++) {
            double r = 0.5 * (a + b) + 0.5 * (b - a) * gx[g];
            double k[3] = {bl->c[0] + r * dir[0], bl->c[1] + r * dir[1], bl->c[2] + r * dir[2]};
            double w = 0.5 * (b - a) * gw[g] * pow(r, D - 1);
            if (r > bl->R1) w *= pu_weight(c->balls, c->nballs, k, ib);
            if (w == 0) continue;
            s = eval_add(c, k, w * c->norm, acc);
            if (s) return s;
        }
    }
    (void)fdim;
    return QKT_OK;
}

static int patch_integrand(unsigned ndim, size_t npt, const double *x, ictx_t *c, unsigned fdim, double *fval)
{
    const ball_t *bl = &c->balls[c->part->ball];
    for (size_t i = 0; i < npt; i++) {
        double *f = fval + i * fdim;
        memset(f, 0, fdim * sizeof(double));
        double dir[3] = {0, 0, 0}, jac = 1;
        if (c->m->dim == 3) {
            double u = x[i * ndim], ph = x[i * ndim + 1], st = sqrt(fmax(0, 1 - u * u));
            dir[0] = st * cos(ph);
            dir[1] = st * sin(ph);
            dir[2] = u;
        } else {
            double ph = x[i * ndim];
            dir[0] = cos(ph);
            dir[1] = sin(ph);
        }
        qkt_status_t s = ray_integral(c, bl, c->part->ball, dir, f);
        if (s) {
            c->status = s;
            return 1;
        }
        for (unsigned j = 0; j < fdim; j++) f[j] *= jac;
    }
    return 0;
}

static int part_integrand(unsigned ndim, size_t npt, const double *x, void *data, unsigned fdim, double *fval)
{
    ictx_t *c = data;
    if (c->scale && qkt_deadline_passed(c->o->deadline)) {
        /* stop this part: run_parts keeps its pilot value */
        c->timed_out = 1;
        return 1;
    }
    pilot_t *pl = c->pilot;
    int first = c->ncall++ == 0;
    if (pl && !c->pilot_fill && first && pl->npt == npt && pl->x &&
        memcmp(pl->x, x, sizeof(double) * npt * ndim) == 0) {
        memcpy(fval, pl->f, sizeof(double) * npt * fdim);
        c->nreused += pl->nev;
    } else {
        size_t nev0 = c->neval;
        int rc = c->part->kind == 0 ? cell_integrand(ndim, npt, x, c, fdim, fval)
                                    : patch_integrand(ndim, npt, x, c, fdim, fval);
        if (rc) return rc;
        if (pl && c->pilot_fill && first) {
            free(pl->x);
            free(pl->f);
            pl->x = malloc(sizeof(double) * npt * ndim);
            pl->f = malloc(sizeof(double) * npt * fdim);
            if (pl->x && pl->f) {
                memcpy(pl->x, x, sizeof(double) * npt * ndim);
                memcpy(pl->f, fval, sizeof(double) * npt * fdim);
                pl->npt = npt;
                pl->nev = c->neval - nev0;
            } else {
                free(pl->x);
                free(pl->f);
                pl->x = pl->f = NULL;
                pl->npt = 0;
            }
        }
    }
    if (c->scale)
        for (size_t i = 0; i < npt; i++)
            for (unsigned j = 0; j < fdim; j++) fval[i * fdim + j] /= c->scale[j];
    if (c->pg) {
        static _Thread_local double last = 0;
        progress_tick(c, &last);
    }
    return 0;
}

typedef struct {
    const qkt_model_t *m;
    const qkt_integrand_t *fn;
    const qkt_pockets_t *pk;
    const ball_t *balls;
    int nballs;
    const part_t *parts;
    int nparts;
    const double *pv0, *pe0; /* the pilot's (unscaled) part values and errors: a part that the
                              * deadline stops keeps them (NULL in the pilot pass) */
} job_t;

/* part ip stopped by the deadline (or never started): its pilot value and
 * error, in the main pass's scaled units */
static void keep_pilot_value(const job_t *J, int ip, const double *scale, double *pv, double *pe)
{
    int fdim = J->fn->fdim;
    for (int i = 0; i < fdim; i++) {
        pv[(size_t)ip * fdim + i] = J->pv0[(size_t)ip * fdim + i] / scale[i];
        pe[(size_t)ip * fdim + i] = J->pe0[(size_t)ip * fdim + i] / scale[i];
    }
}

/* Integrate every part owned by this rank into pv/pe (nparts x fdim). */
static qkt_status_t run_parts(const job_t *J, size_t maxeval, const double *scale, const double *abstol,
                              double *pv, double *pe, size_t *neval, int *unconv, long *ndegen, long *nfb,
                              const qkt_intopts_t *o, pilot_t *pilot, int *ntimeout)
{
    int size, rank = qkt_mpi_rank_size(&size);
    int nthr = omp_get_max_threads();
    long *cur = o->progress ? calloc((size_t)nthr, sizeof(long)) : NULL;
    progress_t pg = {0, cur, nthr, 0};
    for (int ip = 0; ip < J->nparts; ip++) pg.np += ip % size == rank; /* the parts of this rank */
    qkt_status_t st = QKT_OK;
    size_t nev = 0;
    int nun = 0, nto = 0;
    long ndg = 0, nfall = 0;
    int fdim = J->fn->fdim, D = J->m->dim, np = J->nparts;
    char msg[512] = ""; /* a worker's message (messages are per thread) */
    memset(pv, 0, sizeof(double) * np * fdim);
    memset(pe, 0, sizeof(double) * np * fdim);
#pragma omp parallel reduction(+ : nev, nun, ndg, nto)
    {
        ictx_t c;
        memset(&c, 0, sizeof c);
        c.m = J->m;
        c.fn = J->fn;
        c.o = o;
        c.pk = J->pk;
        c.balls = J->balls;
        c.nballs = J->nballs;
        c.scale = scale;
        c.norm = pow(2 * M_PI, -D);
        c.pg = cur ? &pg : NULL;
        c.slot = omp_get_thread_num();
        c.ws = J->fn->ws_alloc(J->fn->ctx);
        c.eb = qkt_bands_alloc(J->m->nb);
        c.f = malloc(sizeof(double) * fdim);
        if (!c.ws || !c.eb || !c.f) {
#pragma omp critical
            {
                st = QKT_ENOMEM;
                snprintf(msg, sizeof msg, "out of memory allocating the integration workspace");
            }
        }
#pragma omp for schedule(dynamic, 1)
        for (int ip = 0; ip < np; ip++) {
            if (ip % size != rank || !c.ws || !c.eb || !c.f || st) continue;
            if (J->pv0 && qkt_deadline_passed(o->deadline)) {
                keep_pilot_value(J, ip, scale, pv, pe);
                nto++;
                continue;
            }
            const part_t *pt = &J->parts[ip];
            c.part = pt;
            c.pilot = pilot ? &pilot[ip] : NULL;
            c.pilot_fill = abstol == NULL;
            c.ncall = 0;
            c.timed_out = 0;
            int ndim = pt->kind == 0 ? D : D - 1;
            size_t before = c.neval;
            c.nreused = 0;
            /* maxeval counts tree evaluations; a ray costs about RAY_COST of them */
            size_t me = pt->kind == 0 ? maxeval : (maxeval > RAY_COST ? maxeval / RAY_COST : 1);
            c.part_start = before;
            c.part_budget = me > 0 ? me : 1;
            int rc = hcubature_v((unsigned)fdim, part_integrand, &c, (unsigned)ndim, pt->lo, pt->hi, me,
                                 abstol ? abstol[ip] : 0, 0, ERROR_LINF, pv + (size_t)ip * fdim,
                                 pe + (size_t)ip * fdim);
            if (c.pg && c.timed_out) __atomic_store_n(&cur[c.slot], 0, __ATOMIC_RELAXED);
            if (c.timed_out && !c.status) {
                keep_pilot_value(J, ip, scale, pv, pe);
                nto++;
                continue;
            }
            if (rc || c.status) {
#pragma omp critical
                {
                    st = c.status ? c.status : qkt_error(QKT_ENUM, "cubature failed in part %d", ip);
                    snprintf(msg, sizeof msg, "%s", qkt_strerror());
                }
            }
            if (c.pg) {
#pragma omp critical(qkt_progress)
                {
                    __atomic_store_n(&cur[c.slot], 0, __ATOMIC_RELAXED);
                    pg.ndone++;
                    progress_report(o, &pg);
                }
            }
            if (abstol) {
                double e = 0;
                for (int i = 0; i < fdim; i++) e = fmax(e, pe[(size_t)ip * fdim + i]);
                if (e > abstol[ip] * CONV_SLACK || c.neval + c.nreused - before >= maxeval) nun++;
            }
        }
        nev += c.neval;
        if (c.ws) ndg += J->fn->ndegen(c.ws);
        if (c.ws && J->fn->nfallback) nfall += J->fn->nfallback(c.ws);
        J->fn->ws_free(c.ws);
        qkt_bands_free(c.eb);
        free(c.f);
    }
#if QKT_HAVE_MPI
    if (size > 1) {
        /* every part row was written by exactly one rank: the sum is exact */
        MPI_Allreduce(MPI_IN_PLACE, pv, np * fdim, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, pe, np * fdim, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        unsigned long n = nev;
        MPI_Allreduce(MPI_IN_PLACE, &n, 1, MPI_UNSIGNED_LONG, MPI_SUM, MPI_COMM_WORLD);
        nev = n;
        MPI_Allreduce(MPI_IN_PLACE, &nun, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &nto, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &ndg, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &nfall, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
        int bad = st != QKT_OK, anybad = 0;
        MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (anybad && !st) st = qkt_error(QKT_ENUM, "integration failed on another MPI rank");
    }
#endif
    free(cur);
    *neval += nev;
    *unconv += nun + nto;
    *ndegen += ndg;
    *nfb += nfall;
    if (ntimeout) *ntimeout += nto;
    if (st && msg[0]) qkt_error(st, "%s", msg);
    return st;
}

/* Balls around the pockets of continuum models.  R1 is the largest radius, over
 * a set of directions, at which some band is still inside the thermal window
 * (so every Fermi-surface tally of the pocket lives inside r < R1); R2 leaves
 * room for the smooth partition of unity without reaching another pocket's
 * shell.  Pockets with the same centre (degenerate valleys) share a ball. */
typedef struct {
    const qkt_model_t *m;
    const qkt_pockets_t *pk;
    const qkt_intopts_t *tp;
    ball_t *balls;
    int nbl;
    double rmax[QKT_MAX_POCKETS]; /* crude extent of each ball (bounds the ray march) */
    int owner[QKT_MAX_POCKETS];   /* ball of each pocket */
} ballset_t;

/* centres: one ball per pocket centre (centres closer than BALL_MERGE_DIST
 * share one), or one ball at the mean centre of all pockets (merge_all) */
static void ball_centres(ballset_t *S, int merge_all)
{
    const qkt_pockets_t *pk = S->pk;
    ball_t *balls = S->balls;
    int nbl = 0;
    if (merge_all) {
        nbl = 1;
        for (int a = 0; a < 3; a++) {
            balls[0].c[a] = 0;
            for (int p = 0; p < pk->n; p++) balls[0].c[a] += pk->center[p][a] / pk->n;
        }
        balls[0].block = 0;
        S->rmax[0] = 0;
    }
    for (int p = 0; p < pk->n; p++) {
        int found = merge_all ? 0 : -1;
        for (int b = 0; b < nbl && !merge_all; b++) {
            double d2 = 0;
            for (int a = 0; a < 3; a++) d2 += pow(balls[b].c[a] - pk->center[p][a], 2);
            if (sqrt(d2) < BALL_MERGE_DIST * pk->scale) found = b;
        }
        if (found < 0) {
            found = nbl++;
            memcpy(balls[found].c, pk->center[p], sizeof balls[found].c);
            balls[found].block = pk->band[p];
            S->rmax[found] = 0;
        }
        S->owner[p] = found;
    }
    S->nbl = nbl;
}

/* crude extent from the labelled cells (to bound the ray march) */
static void ball_extents(ballset_t *S)
{
    const qkt_pockets_t *pk = S->pk;
    int D = pk->dim, N = pk->ncell;
    size_t ncells = 1;
    for (int a = 0; a < D; a++) ncells *= N;
    for (size_t c = 0; c < ncells; c++) {
        double u[3], k[3], jac;
        qkt_pocket_cell_center(pk, c, u, k);
        double cs = 0;
        for (int a = 0; a < D; a++) {
            double uu[3] = {u[0], u[1], u[2]}, k2[3];
            uu[a] += (pk->gmax[a] - pk->gmin[a]) / N;
            qkt_domain_map(pk, uu, k2, &jac);
            cs += pow(k2[a] - k[a], 2);
        }
        for (int bl = 0; bl < pk->nblk; bl++) {
            int p = pk->label[c * pk->nblk + bl];
            if (p < 0) continue;
            int b = S->owner[p];
            double d2 = 0;
            for (int a = 0; a < 3; a++) d2 += pow(k[a] - S->balls[b].c[a], 2);
            S->rmax[b] = fmax(S->rmax[b], sqrt(d2) + BALL_CELL_MARGIN * sqrt(cs));
        }
    }
}

/* march direction i of ndir: a Fibonacci sphere (3D) or equal angles (2D) */
static void march_direction(int D, int i, int ndir, double dir[3])
{
    dir[0] = dir[1] = dir[2] = 0;
    if (D == 3) {
        double z = 1 - (2.0 * i + 1) / ndir, ph = i * M_PI * (3 - sqrt(5.0));
        dir[0] = sqrt(1 - z * z) * cos(ph);
        dir[1] = sqrt(1 - z * z) * sin(ph);
        dir[2] = z;
    } else {
        dir[0] = cos(2 * M_PI * i / ndir);
        dir[1] = sin(2 * M_PI * i / ndir);
    }
}

/* 1 when k, at distance r from ball b's centre, is no nearer to another centre */
static int nearest_centre(const ballset_t *S, int b, const double k[3], double r)
{
    int nearest = 1;
    for (int q = 0; q < S->nbl; q++) {
        if (q == b) continue;
        double dq = 0;
        for (int a = 0; a < 3; a++) dq += pow(k[a] - S->balls[q].c[a], 2);
        if (sqrt(dq) < r) nearest = 0;
    }
    return nearest;
}

/* walk outward from ball b's centre along dir; a run of in-window points
 * belongs to this ball when it starts at a point labelled with one of its
 * pockets that is nearer to this centre than to any other; *R1 grows to every
 * such point's radius plus BALL_STEP_MARGIN steps */
static void march_ray(const ballset_t *S, int b, const double dir[3], qkt_bands_t *eb, double *R1)
{
    const qkt_model_t *m = S->m;
    const ball_t *bb = &S->balls[b];
    double W = S->tp->window * S->tp->T, mu = S->tp->mu;
    double prev[RAY_MAX_BANDS]; /* energies at the previous step (make_balls_try: nb <= RAY_MAX_BANDS) */
    int inrun = 0, accept = 0, have_prev = 0;
    for (int j = 0; j <= BALL_NSTEP; j++) {
        double r = S->rmax[b] * j / BALL_NSTEP;
        double k[3] = {bb->c[0] + r * dir[0], bb->c[1] + r * dir[1], bb->c[2] + r * dir[2]};
        if (qkt_bands_compute(eb, m, k, QKT_BANDS_EIGVALS)) {
            have_prev = 0;
            continue;
        }
        int in = 0, mine = 0;
        for (int n = 0; n < m->nb; n++) {
            /* in the window here, or jumped across it since the previous
             * step (a shell thinner than a step lies between two points
             * outside it, on either side) */
            double e = eb->eps[n];
            int meets = fabs(e - mu) <= W ||
                        (have_prev && fmin(e, prev[n]) < mu - W && fmax(e, prev[n]) > mu + W);
            prev[n] = e;
            if (!meets) continue;
            in = 1;
            int p = qkt_pocket_at(S->pk, k, n);
            if (p >= 0 && S->owner[p] == b) mine = 1;
        }
        have_prev = 1;
        if (in && !inrun) {
            inrun = 1;
            accept = mine && nearest_centre(S, b, k, r);
        }
        if (!in) inrun = 0;
        if (in && accept) *R1 = fmax(*R1, r + BALL_STEP_MARGIN * S->rmax[b] / BALL_NSTEP);
    }
}

/* precise shell radius of ball b by marching along rays, before the margins;
 * returns 0 when out of memory */
static int shell_radius(const ballset_t *S, int b, double *R1out)
{
    int D = S->pk->dim, ndir = D == 3 ? BALL_NDIR_3D : BALL_NDIR_2D;
    double R1 = 0;
    int nomem = 0;
    /* directions in parallel; R1 is their maximum (independent of the order) */
#pragma omp parallel reduction(max : R1) reduction(+ : nomem)
    {
        qkt_bands_t *eb = qkt_bands_alloc(S->m->nb);
        if (!eb) nomem++;
#pragma omp for schedule(static)
        for (int i = 0; i < ndir; i++) {
            if (!eb) continue;
            double dir[3];
            march_direction(D, i, ndir, dir);
            march_ray(S, b, dir, eb, &R1);
        }
        qkt_bands_free(eb);
    }
    *R1out = R1;
    return !nomem;
}

/* outer radius R2 of ball b: at most BALL_R2_MAX R1, clear of the other
 * balls' R1 and of the zone boundary (periodic) or the closed box faces */
static double outer_radius(const ballset_t *S, int b)
{
    const qkt_model_t *m = S->m;
    const ball_t *balls = S->balls;
    double R2 = BALL_R2_MAX * balls[b].R1;
    for (int q = 0; q < S->nbl; q++) {
        if (q == b) continue;
        double d2 = 0;
        for (int a = 0; a < 3; a++) d2 += pow(balls[b].c[a] - balls[q].c[a], 2);
        R2 = fmin(R2, sqrt(d2) - balls[q].R1);
    }
    for (int a = 0; a < S->pk->dim; a++) {
        if (m->periodic) {
            /* the ball must stay inside the zone |u_a| < 1/2, u_a = k.a_a/(2 pi) */
            double an = sqrt(m->avec[a][0] * m->avec[a][0] + m->avec[a][1] * m->avec[a][1] +
                             m->avec[a][2] * m->avec[a][2]);
            double ua = (balls[b].c[0] * m->avec[a][0] + balls[b].c[1] * m->avec[a][1] +
                         balls[b].c[2] * m->avec[a][2]) / (2 * M_PI);
            R2 = fmin(R2, (0.5 - fabs(ua)) * 2 * M_PI / an);
        } else if (!S->pk->open[a]) {
            R2 = fmin(R2, S->pk->umax[a] - fabs(balls[b].c[a]));
        }
    }
    return R2;
}

/* The balls (merged into one when merge_all); returns their number, or 0 when
 * the pockets cannot be separated so (cells are then used). */
static int make_balls_try(const qkt_model_t *m, const qkt_pockets_t *pk, const qkt_intopts_t *tp, ball_t *balls,
                          int merge_all)
{
    if (pk->n == 0 || pk->n > QKT_MAX_POCKETS || m->nb > RAY_MAX_BANDS) return 0;
    ballset_t S = {.m = m, .pk = pk, .tp = tp, .balls = balls};
    ball_centres(&S, merge_all);
    ball_extents(&S);
    for (int b = 0; b < S.nbl; b++) {
        double R1;
        if (!shell_radius(&S, b, &R1)) return 0;
        balls[b].R1 = R1 * BALL_R1_MARGIN + BALL_FD_SAFETY * tp->fd_step * BALL_FD_REACH;
    }
    for (int b = 0; b < S.nbl; b++) {
        double R2 = outer_radius(&S, b);
        if (!(R2 > BALL_R2_MIN * balls[b].R1)) return 0;
        balls[b].R2 = R2;
    }
    return S.nbl;
}

static int make_balls(const qkt_model_t *m, const qkt_pockets_t *pk, const qkt_intopts_t *tp, ball_t *balls)
{
    int n = make_balls_try(m, pk, tp, balls, 0);
    /* pockets too close to be separated: one ball around all of them (rays
     * may then cross several shells, which the panel breakpoints follow) */
    if (n == 0 && pk->n > 1) n = make_balls_try(m, pk, tp, balls, 1);
    return n;
}

/* The error scale of every tally from the pilot values cv (np parts x fdim):
 * the largest pilot mass sum_parts |value| of its group.  A group far below
 * the largest group of its family (same order in B) is converged absolutely,
 * relative to that largest group: its pilot mass is then roundoff, not
 * physics. */
#define SCALE_FLOOR 1e-6   /* a group below this share of its family is zero */
#define SCALE_ZERO 1e-3    /* ... and is converged to reltol x this share of its family */
#define SCALE_ROUND 1e-14  /* relative roundoff of the largest group of all */
#define SCALE_LOOSE 10     /* diagnostics (|.| sums, sea remainders, error bounds) */
#define SCALE_PASSIVE 1e12 /* passive groups (integrate.h) */
qkt_status_t qkt_integrate_scales(const qkt_integrand_t *fn, int np, const double *cv, double *scale)
{
    int fdim = fn->fdim, ng = fn->ngroup > 0 ? fn->ngroup : 1;
    const int *group = fn->group;
    double *gmax = calloc(ng, sizeof(double));
    if (!gmax) return qkt_error(QKT_ENOMEM, "out of memory (integrator: %d tallies)", fdim);
    for (int i = 0; i < fdim; i++) {
        double mass = 0;
        for (int c = 0; c < np; c++) mass += fabs(cv[(size_t)c * fdim + i]);
        gmax[group[i]] = fmax(gmax[group[i]], mass);
    }
    double fam[QKT_INT_NFAM] = {0}, all = 0;
    for (int g = 0; g < fn->ngroup; g++) {
        if (fn->loose[g] == 2) continue; /* passive */
        fam[fn->family[g]] = fmax(fam[fn->family[g]], gmax[g]);
        all = fmax(all, gmax[g]);
    }
    for (int i = 0; i < fdim; i++) {
        int g = group[i];
        if (fn->loose[g] == 2) { /* passive: its errors never reach reltol times this, whatever
                                    the pilot saw of it (the largest other group sets the floor) */
            double sc = fmax(gmax[g], all);
            scale[i] = (sc > 0 ? sc : 1) * SCALE_PASSIVE;
            continue;
        }
        double floor = fmax(SCALE_FLOOR * fam[fn->family[g]], SCALE_ROUND * all);
        /* a group at roundoff (zero by symmetry, e.g. the intrinsic order-0 part
         * for E || B || z of an axial model) is converged to reltol x 1e-3 of its
         * family's largest group, three orders below that group's own error:
         * scaling it by the floor itself made such zeros drive the refinement
         * of every cell (2.2x the evaluations of the Fig. 3 curve) */
        double zero = fmax(SCALE_ZERO * fam[fn->family[g]], SCALE_ROUND * all);
        scale[i] = gmax[g] > floor ? gmax[g] : (zero > 0 ? zero : 1);
        if (fn->loose[g]) scale[i] *= SCALE_LOOSE;
    }
    free(gmax);
    return QKT_OK;
}

/* parts: balls first (they carry the Fermi surface), then cells */
static void make_parts(part_t *parts, int D, int nballs, int npatch, const qkt_pockets_t *pk, int ncx, int nc)
{
    int ip = 0;
    for (int b = 0; b < nballs; b++)
        for (int q = 0; q < npatch; q++) {
            part_t *pt = &parts[ip++];
            pt->kind = 1;
            pt->ball = b;
            if (D == 3) {
                pt->lo[0] = -1 + BALL_PATCH_DU * (q / BALL_PATCH_NPHI);
                pt->hi[0] = pt->lo[0] + BALL_PATCH_DU;
                pt->lo[1] = 2 * M_PI * (q % BALL_PATCH_NPHI) / BALL_PATCH_NPHI;
                pt->hi[1] = 2 * M_PI * (q % BALL_PATCH_NPHI + 1) / BALL_PATCH_NPHI;
            } else {
                pt->lo[0] = 2 * M_PI * q / npatch;
                pt->hi[0] = 2 * M_PI * (q + 1) / npatch;
            }
        }
    for (int c = 0; c < nc; c++) {
        part_t *pt = &parts[ip++];
        pt->kind = 0;
        int r = c;
        for (int a = D - 1; a >= 0; a--) {
            int i = r % ncx;
            r /= ncx;
            double w = (pk->umax[a] - pk->umin[a]) / ncx;
            pt->lo[a] = pk->umin[a] + i * w;
            pt->hi[a] = pt->lo[a] + w;
        }
    }
}

/* each part's tolerance, in the scaled units: reltol x max(its pilot share, 1/np) */
static void part_tolerances(const qkt_intopts_t *o, int np, int fdim, const double *cv, const double *scale,
                            double *abstol)
{
    for (int c = 0; c < np; c++) {
        double mag = 0;
        for (int i = 0; i < fdim; i++) mag = fmax(mag, fabs(cv[(size_t)c * fdim + i]) / scale[i]);
        abstol[c] = o->reltol * fmax(mag, 1.0 / np);
    }
}

/* values and errors: the sums over parts in their fixed order, unscaled */
static void sum_parts(int np, int fdim, const double *cv, const double *ce, const double *scale, double *val,
                      double *err)
{
    for (int i = 0; i < fdim; i++) {
        double v = 0, e = 0;
        for (int c = 0; c < np; c++) {
            v += cv[(size_t)c * fdim + i];
            e += ce[(size_t)c * fdim + i];
        }
        val[i] = v * scale[i];
        err[i] = e * scale[i];
    }
}

static void pilot_free(pilot_t *pilot, int np)
{
    for (int i = 0; pilot && i < np; i++) {
        free(pilot[i].x);
        free(pilot[i].f);
    }
    free(pilot);
}

qkt_status_t qkt_integrate(const qkt_model_t *m, const qkt_integrand_t *fn, const qkt_pockets_t *pk,
                           const qkt_intopts_t *o, double *val, double *err, qkt_intstats_t *stats)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int D = m->dim, ncx = o->icell > 0 ? o->icell : (D == 3 ? CELLS_3D : CELLS_2D);
    int nc = 1;
    for (int a = 0; a < D; a++) nc *= ncx;
    int fdim = fn->fdim;
    qkt_status_t st = QKT_OK;
    ball_t balls[QKT_MAX_POCKETS];
    int nballs = o->no_balls ? 0 : make_balls(m, pk, o, balls);
    int npatch = D == 3 ? BALL_PATCHES_3D : BALL_PATCHES_2D, np = nc + nballs * npatch;
    part_t *parts = calloc(np, sizeof *parts);
    /* pilot records: at most PILOT_RULE_MAXPTS points of fdim values per part;
     * kept when that stays below PILOT_MAX_BYTES (else the main pass simply
     * evaluates the first rule again; the digits are the same either way) */
    int keep_pilot = (double)np * PILOT_RULE_MAXPTS * fdim * sizeof(double) <= PILOT_MAX_BYTES;
    pilot_t *pilot = keep_pilot ? calloc(np, sizeof *pilot) : NULL;
    double *cv = malloc(sizeof(double) * np * fdim), *ce = malloc(sizeof(double) * np * fdim);
    double *scale = malloc(sizeof(double) * fdim), *abstol = malloc(sizeof(double) * np);
    double *pv0 = NULL, *pe0 = NULL;
    size_t neval = 0;
    int unconv = 0;
    long ndegen = 0, nfb = 0;
    if (!parts || (keep_pilot && !pilot) || !cv || !ce || !scale || !abstol) {
        st = qkt_error(QKT_ENOMEM, "out of memory (integrator: %d parts x %d tallies)", np, fdim);
        goto done;
    }
    make_parts(parts, D, nballs, npatch, pk, ncx, nc);
    job_t J = {m, fn, pk, balls, nballs, parts, np, NULL, NULL};
    /* pilot: one cubature rule per part sets the scale of every tally group */
    if (o->progress_phase) o->progress_phase(o->progress_user, "integrating: pilot (one cubature rule per part)");
    st = run_parts(&J, 1, NULL, NULL, cv, ce, &neval, &unconv, &ndegen, &nfb, o, pilot, NULL);
    if (st) goto done;
    st = qkt_integrate_scales(fn, np, cv, scale);
    if (st) goto done;
    part_tolerances(o, np, fdim, cv, scale, abstol);
    if (o->deadline > 0) {
        /* with a time limit the pilot's values stand in for the parts the
         * main pass does not finish */
        pv0 = malloc(sizeof(double) * np * fdim);
        pe0 = malloc(sizeof(double) * np * fdim);
        if (!pv0 || !pe0) {
            st = qkt_error(QKT_ENOMEM, "out of memory (integrator: %d parts x %d tallies)", np, fdim);
            goto done;
        }
        memcpy(pv0, cv, sizeof(double) * np * fdim);
        memcpy(pe0, ce, sizeof(double) * np * fdim);
        J.pv0 = pv0;
        J.pe0 = pe0;
    }
    int ntimeout = 0;
    if (o->progress_phase) o->progress_phase(o->progress_user, "integrating");
    st = run_parts(&J, o->maxeval, scale, abstol, cv, ce, &neval, &unconv, &ndegen, &nfb, o, pilot, &ntimeout);
    if (st) goto done;
    if (stats) stats->timed_out = ntimeout;
    sum_parts(np, fdim, cv, ce, scale, val, err);
    if (stats) {
        stats->neval = neval;
        stats->converged = unconv == 0;
        stats->ndegen = ndegen;
        stats->nfallback = nfb;
        stats->nballs = nballs;
        stats->nparts = np;
    }
done:
    free(parts);
    pilot_free(pilot, np);
    free(pv0);
    free(pe0);
    free(cv);
    free(ce);
    free(scale);
    free(abstol);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (stats) stats->seconds = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    return st;
}

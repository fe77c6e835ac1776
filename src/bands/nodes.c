/* nodes.c - Weyl nodes: touching points of adjacent bands, from a gap scan and a Newton
 * (Levenberg-Marquardt) descent on the pair's 2x2 block; chirality Q = -(1/2pi) oint
 * Omega^{n+1}.dS through an ellipsoid around the node, the flux form of Eq. (3), as the
 * lattice Chern number of band n+1 on the surface; the energy window, band range,
 * symmetry images and orbits, and the per-pair checks (qkt_find_nodes_report). */
#include <float.h>
#include <lapacke.h>
#include <omp.h>
#include <stdlib.h>
#include "core/internal.h"

/* ------------------------------------------------------------------ constants
 * The user's knobs are qkt_node_opts_t (grid, tol, radius, nquad, qtol; defaults
 * in qkt_node_opts_default).  These are the algorithm's own choices. */

/* option ranges accepted by check_opts (STR: the same numbers in its messages) */
#define STR_(x) #x
#define STR(x) STR_(x)
#define OPT_GRID_MIN 4     /* fewer points per axis cannot tell a minimum from its neighbours */
#define OPT_GRID_MAX 256   /* 256^3 points: 200 MB of gaps and predictions per band pair */
#define OPT_TOL_MAX 1e-2   /* relative to the energy range; larger accepts gapped minima as touchings */
#define OPT_NQUAD_MIN 2    /* the smallest Gauss-Legendre rule with a theta resolution */
#define OPT_NQUAD_MAX 512  /* refined up to 4x: 2048 x 4096 surface points at most */

/* Levenberg-Marquardt descent (lm_descend, lm_step) */
#define LM_MAXIT 100       /* a generous cap: near a crossing the descent converges quadratically */
#define LM_SLOW_RATIO 0.5  /* a step that does not bring the gap below this fraction is slow ... */
#define LM_SLOW_MAX 8      /* ... and this many slow steps in a row mean a gapped minimum */
#define LM_TRIES 20        /* damped retries of one step: lam from LM_LAM0 up to 1e13 */
#define LM_LAM0 1e-6       /* first damping after a rejected Gauss-Newton step (relative to tr J^T J / p) */
#define LM_LAM_UP 10       /* damping grows by this on a rejected step, shrinks by it on an accepted one */
#define LM_LAM_MIN 1e-9    /* below this the damping is dropped: pure Gauss-Newton again */
#define LM_RIDGE 1e-14     /* always added to the damping, so a singular J^T J still solves */
#define LM_STEP_EPS 4      /* a step below LM_STEP_EPS eps (|k| + maxstep) is roundoff: stop */


/* the flux surface (surf_make, surf_thr, surf_flux, surf_open) */
#define ELLIPSOID_MIN_GAP 100 /* ellipsoid only when its gap 2 rho >= this x gap_tol, else a sphere */
#define SURF_THR_MIN 2        /* smallest gap on the surface (minimized) below this x gap_tol: touching there */
#define SURF_THR_REL 1e-3     /* ... or below this fraction of the largest gap on the surface */
#define SURF_LM_MAXIT 30      /* surface descent: only confirms the sampled minimum */
#define SURF_LM_FLOOR 0.5     /* surface descent stops below this fraction of the threshold */
#define FLUX_PARALLEL_MIN 256 /* surface points below which threads cost more than they save */

/* the search (qkt_find_nodes) */
#define MAX_CAND_PER_PAIR 512 /* descents started per band pair at most */
#define PREDICT_REACH 1.5     /* start where a crossing is predicted within this many spacings */
#define GRID_LM_MAXSTEP 2     /* descent step at most this many spacings: stays near its start */
#define GRID_LM_FLOOR 1e-6    /* descent stops below this x gap_tol: well inside the acceptance */
#define DEGEN_REL 1e-3        /* bands within this x gap_tol are degenerate for the band workspace */
#define BOX_SLACK 1e-9        /* continuum: a node on the box face (up to roundoff) is still inside */
#define KERR_ROUNDOFF 16      /* k error floor: this many eps x energy range over s_min(J) */
#define DUP_ABS 1e-4          /* two crossings closer than this x spacing are one node ... */
#define DUP_REL 10            /* ... or closer than this x their summed position errors */
#define RADIUS_SPACING 0.1    /* automatic surface radius: this x the spacing ... */
#define RADIUS_NEIGHBOR 0.3   /* ... and at most this x the distance to the nearest other touching */
#define RADIUS_GROW 2         /* a surface on which the gap closes is retried this x larger ... */
#define RADIUS_GROW_MAX 0.4   /* ... up to this x the spacing (a quadratic touching opens there) */
#define SYM_MATCH 1e-3        /* an image within this x spacing of a touching of its pair is that touching */
#define SYM_REACH 0.25        /* the descent from an image must end within this x spacing of it */
#define SYM_ORBIT 0.02        /* orbits: an image within this x spacing (symmetry broken by the model's
                                 interpolation by about 1e-4 eV moves a node by much less) */
#define QUAD_MAX_FACTOR 4     /* flux mesh refined up to this x nquad (qkt.h) ... */
#define QUAD_GROW(n) ((3 * (n) + 1) / 2) /* ... by factors of 1.5: 8, 12, 18, 27 (another mesh, not only a finer one) */
#define FHS_PHASE_MAX 1.0     /* a plaquette phase (rad) below this: the lattice Chern number is the flux */
#define SET_MAX 8             /* bands at most in the set of the flux (band n+1 and those it touches above) */
#define SET_GAP 10            /* the set ends at a band whose gap to the next stays above this x gap_tol on
                                 every point of the surface (sampled: a margin over the touching threshold) */
#define LIST_CAP0 16          /* first capacity of the growing node lists */

void qkt_node_opts_default(qkt_node_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->grid = 24;
    o->tol = 1e-8;
    o->radius = 0;
    o->nquad = 8;
    o->qtol = 1e-6;
    o->emin = -INFINITY;
    o->emax = INFINITY;
    o->pair_min = o->pair_max = -1;
    o->nsym = 0;
}

/* ------------------------------------------------------------------ one band pair */
typedef struct {
    const qkt_model_t *m;
    qkt_bands_t *b;
    int lo, hi; /* global band indices of the pair, hi = lo + 1 */
} pctx_t;

/* the first failure of the worker threads, with its message (messages are per
 * thread); call inside a critical section */
static void keep_first_error(qkt_status_t *st, char *msg, size_t n, qkt_status_t s)
{
    if (*st) return;
    *st = s;
    snprintf(msg, n, "%s", qkt_strerror());
}

static qkt_status_t pair_gap(pctx_t *c, const double k[3], double *g)
{
    qkt_status_t s = qkt_bands_compute(c->b, c->m, k, QKT_BANDS_EIGVALS);
    if (s) return s;
    *g = c->b->eps[c->hi] - c->b->eps[c->lo];
    return QKT_OK;
}

/* The pair's block in the eigenbasis at k (bands already computed in c->b), to first order in q:
 * H(k+q) = diag(eps_lo, eps_hi) + q.v, written as c0 + d.sigma with
 * d = (d_z, d_x, d_y) = d0 + Jk q.  Also the gradient of the mid energy c0. */
static void pair_linear(const pctx_t *c, double *g, double d0[3], double Jk[3][3], double ge[3])
{
    int nb = c->m->nb, lo = c->lo, hi = c->hi;
    *g = c->b->eps[hi] - c->b->eps[lo];
    d0[0] = -0.5 * *g;
    d0[1] = d0[2] = 0;
    for (int a = 0; a < 3; a++) {
        const double complex *v = c->b->v[a];
        Jk[0][a] = 0.5 * (creal(v[lo * nb + lo]) - creal(v[hi * nb + hi]));
        Jk[1][a] = creal(v[lo * nb + hi]);
        Jk[2][a] = -cimag(v[lo * nb + hi]);
        ge[a] = 0.5 * (creal(v[lo * nb + lo]) + creal(v[hi * nb + hi]));
    }
}

static qkt_status_t pair_model(pctx_t *c, const double k[3], double *g, double d0[3],
                               double Jk[3][3], double ge[3])
{
    qkt_status_t s = qkt_bands_compute(c->b, c->m, k, QKT_BANDS_GEOMETRY);
    if (s) return s;
    pair_linear(c, g, d0, Jk, ge);
    return QKT_OK;
}

/* Search coordinates x -> k and the Jacobian K = dk/dx (3 x p):
 * p = 3, k = x; p = 2, the ellipsoid k = c + M n(theta, phi), n the unit vector. */
typedef struct {
    int p;
    double c[3], M[3][3];
} map_t;

static void map_eval(const map_t *mp, const double *x, double k[3], double K[3][3])
{
    memset(K, 0, 9 * sizeof(double));
    if (mp->p == 3) {
        for (int a = 0; a < 3; a++) {
            k[a] = x[a];
            K[a][a] = 1;
        }
        return;
    }
    double st = sin(x[0]), ct = cos(x[0]), sp = sin(x[1]), cp = cos(x[1]);
    double n[3] = {st * cp, st * sp, ct}, nt[3] = {ct * cp, ct * sp, -st}, np[3] = {-st * sp, st * cp, 0};
    for (int a = 0; a < 3; a++) {
        k[a] = mp->c[a];
        for (int b = 0; b < 3; b++) {
            k[a] += mp->M[a][b] * n[b];
            K[a][0] += mp->M[a][b] * nt[b];
            K[a][1] += mp->M[a][b] * np[b];
        }
    }
}

/* Solve the p x p system A y = rhs (p <= 3) by Gaussian elimination with
 * partial pivoting.  Returns 0 if singular. */
static int solve_small(int p, double A[3][3], const double *rhs, double *y)
{
    double M[3][4];
    for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) M[i][j] = A[i][j];
        M[i][p] = rhs[i];
    }
    for (int col = 0; col < p; col++) {
        int piv = col;
        for (int i = col + 1; i < p; i++)
            if (fabs(M[i][col]) > fabs(M[piv][col])) piv = i;
        if (!(fabs(M[piv][col]) > 0)) return 0;
        if (piv != col)
            for (int j = 0; j <= p; j++) {
                double t = M[col][j];
                M[col][j] = M[piv][j];
                M[piv][j] = t;
            }
        for (int i = col + 1; i < p; i++) {
            double f = M[i][col] / M[col][col];
            for (int j = col; j <= p; j++) M[i][j] -= f * M[col][j];
        }
    }
    for (int i = p - 1; i >= 0; i--) {
        double s = M[i][p];
        for (int j = i + 1; j < p; j++) s -= M[i][j] * y[j];
        y[i] = s / M[i][i];
    }
    for (int i = 0; i < p; i++)
        if (!isfinite(y[i])) return 0;
    return 1;
}

typedef struct {
    double k[3], g;
    double kerr;   /* length of the Gauss-Newton step still left at the end */
    double smin, smax; /* smallest and largest singular values of Jk at the end */
    double Jk[3][3];   /* the pair's linear model d(k+q) = d(k) + Jk q at the end */
    double ge[3];  /* gradient of the mid energy */
    double emid;
} lm_out_t;

/* Damped step (J^T J + lam tr I) dx = -J^T d of the linear model; dk = K dx. */
static int lm_step(int p, double Jk[3][3], double K[3][3], const double d0[3], double lam,
                   double *dx, double dk[3])
{
    double J[3][3] = {{0}}, A[3][3] = {{0}}, rhs[3] = {0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < p; j++)
            for (int a = 0; a < 3; a++) J[i][j] += Jk[i][a] * K[a][j];
    double tr = 0;
    for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++)
            for (int l = 0; l < 3; l++) A[i][j] += J[l][i] * J[l][j];
        for (int l = 0; l < 3; l++) rhs[i] -= J[l][i] * d0[l];
        tr += A[i][i];
    }
    tr /= p;
    if (!(tr > 0)) return 0;
    for (int i = 0; i < p; i++) A[i][i] += (lam + LM_RIDGE) * tr;
    if (!solve_small(p, A, rhs, dx)) return 0;
    for (int a = 0; a < 3; a++) {
        dk[a] = 0;
        for (int j = 0; j < p; j++) dk[a] += K[a][j] * dx[j];
    }
    return 1;
}

static double norm3(const double v[3]) { return sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); }

/* Levenberg-Marquardt descent of the pair's gap in the coordinates of mp,
 * starting at x (updated).  Steps come from the linear model of d; a step is
 * accepted when the true gap decreases.  Stops below gfloor, when no step
 * helps, after LM_SLOW_MAX steps in a row that do not halve the gap (a gapped minimum:
 * next to a crossing the descent converges quadratically) or after maxit steps. */
static qkt_status_t lm_descend(pctx_t *c, const map_t *mp, double *x, double maxstep, double gfloor,
                               int maxit, lm_out_t *out)
{
    int p = mp->p;
    double k[3], K[3][3], Jk[3][3], d0[3], g, lam = 0;
    map_eval(mp, x, k, K);
    qkt_status_t s = pair_model(c, k, &g, d0, Jk, out->ge);
    if (s) return s;
    /* the pair's mid energy at k (c->b holds the last trial point after a rejected step) */
    double emid = 0.5 * (c->b->eps[c->lo] + c->b->eps[c->hi]);
    int slow = 0; /* accepted steps in a row that did not halve the gap */
    for (int it = 0; it < maxit && g > gfloor && slow < LM_SLOW_MAX; it++) {
        int accepted = 0;
        double xn[3], kn[3], Kn[3][3], gn = g, len = 0;
        for (int tries = 0; tries < LM_TRIES && !accepted; tries++) {
            double dx[3], dk[3];
            if (!lm_step(p, Jk, K, d0, lam, dx, dk)) break;
            len = norm3(dk);
            if (len > maxstep)
                for (int j = 0; j < p; j++) dx[j] *= maxstep / len;
            for (int j = 0; j < p; j++) xn[j] = x[j] + dx[j];
            map_eval(mp, xn, kn, Kn);
            if ((s = pair_gap(c, kn, &gn))) return s;
            if (gn < g)
                accepted = 1;
            else
                lam = lam == 0 ? LM_LAM0 : lam * LM_LAM_UP;
        }
        if (!accepted) break;
        slow = gn > LM_SLOW_RATIO * g ? slow + 1 : 0; /* near a crossing Gauss-Newton converges quadratically */
        lam = lam > LM_LAM_MIN ? lam / LM_LAM_UP : 0;
        for (int j = 0; j < p; j++) x[j] = xn[j];
        map_eval(mp, x, k, K);
        if ((s = pair_model(c, k, &g, d0, Jk, out->ge))) return s;
        emid = 0.5 * (c->b->eps[c->lo] + c->b->eps[c->hi]);
        if (len <= LM_STEP_EPS * DBL_EPSILON * (norm3(k) + maxstep)) break;
    }
    memcpy(out->k, k, sizeof out->k);
    out->g = g;
    out->emid = emid;
    /* what is left: the undamped Gauss-Newton step in k, and the conditioning */
    double dx[3], dk[3], I3[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    out->kerr = lm_step(3, Jk, I3, d0, 0, dx, dk) ? norm3(dk) : INFINITY;
    memcpy(out->Jk, Jk, sizeof out->Jk);
    double JtJ[9] = {0}, ev[3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++) JtJ[3 * i + j] += Jk[l][i] * Jk[l][j];
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', 3, JtJ, 3, ev) == 0) {
        out->smin = sqrt(fmax(ev[0], 0));
        out->smax = sqrt(fmax(ev[2], 0));
    } else {
        out->smin = out->smax = 0;
    }
    return QKT_OK;
}

/* ------------------------------------------------------------------ geometry helpers */
/* Reduced coordinates x_i = k.a_i / 2pi (periodic models). */
static void to_reduced(const qkt_model_t *m, const double k[3], double x[3])
{
    for (int i = 0; i < 3; i++)
        x[i] = (k[0] * m->avec[i][0] + k[1] * m->avec[i][1] + k[2] * m->avec[i][2]) / (2 * M_PI);
}

static void from_reduced(const qkt_model_t *m, const double x[3], double k[3])
{
    for (int a = 0; a < 3; a++) k[a] = x[0] * m->bvec[0][a] + x[1] * m->bvec[1][a] + x[2] * m->bvec[2][a];
}

/* Distance of two k-points (periodic: to the nearest image). */
static double kdist(const qkt_model_t *m, const double k1[3], const double k2[3])
{
    double d[3] = {k1[0] - k2[0], k1[1] - k2[1], k1[2] - k2[2]};
    if (!m->periodic) return norm3(d);
    double x[3], best = INFINITY;
    to_reduced(m, d, x);
    for (int i = 0; i < 3; i++) x[i] -= round(x[i]);
    for (int s = 0; s < 27; s++) {
        double y[3] = {x[0] + s % 3 - 1, x[1] + (s / 3) % 3 - 1, x[2] + s / 9 - 1}, kc[3];
        from_reduced(m, y, kc);
        best = fmin(best, norm3(kc));
    }
    return best;
}

/* The closed surface of the flux: k = c + M n over the unit sphere n.  Around a
 * linear node d(k0+q) = J q it is the ellipsoid M = rho J^-1, rho = r s_min(J), on
 * which the pair's gap is 2 rho everywhere and the Berry flux is spread evenly;
 * it lies inside the sphere of radius r.  When J is (nearly) singular (2 rho <
 * ELLIPSOID_MIN_GAP gap_tol), the sphere M = r 1.  orient = sign(det M): -1 when the map
 * turns the unit sphere's outward normal inward. */
typedef struct {
    double c[3], M[3][3];
    int ellipsoid, orient;
} surf_t;

/* Below this smallest gap on the surface (minimized, not sampled) the bands
 * count as touching there too: SURF_THR_MIN gap_tol, or SURF_THR_REL of the
 * largest gap on it (an anisotropy beyond which no flux is resolved). */
static double surf_thr(double gap_tol, double gmax)
{
    return fmax(SURF_THR_MIN * gap_tol, SURF_THR_REL * gmax);
}

static void surf_make(surf_t *sf, const double c[3], double r, const double J[3][3], double gap_tol)
{
    memset(sf, 0, sizeof *sf);
    memcpy(sf->c, c, sizeof sf->c);
    double det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) - J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                 J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
    double JtJ[9] = {0}, ev[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++) JtJ[3 * i + j] += J[l][i] * J[l][j];
    double smin = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', 3, JtJ, 3, ev) == 0 ? sqrt(fmax(ev[0], 0)) : 0;
    double rho = r * smin;
    if (det != 0 && isfinite(det) && 2 * rho >= ELLIPSOID_MIN_GAP * gap_tol) {
        /* M = rho J^-1 (adjugate / det), det M = rho^3 / det J */
        double adj[3][3];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                int a1 = (b + 1) % 3, a2 = (b + 2) % 3, b1 = (a + 1) % 3, b2 = (a + 2) % 3;
                adj[a][b] = J[a1][b1] * J[a2][b2] - J[a1][b2] * J[a2][b1];
            }
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                sf->M[a][b] = rho * adj[a][b] / det;
            }
        sf->ellipsoid = 1;
        sf->orient = det > 0 ? 1 : -1;
    } else {
        for (int a = 0; a < 3; a++) sf->M[a][a] = r;
        sf->orient = 1;
    }
}

static int band_block(const qkt_model_t *m, int band);

/* The determinant of the s x s overlap <u_i(p)|u_j(q)> of two points' band sets
 * (s <= SET_MAX, column-major vectors of nb components each). */
static double complex set_overlap_det(int s, int nb, const double complex *up, const double complex *uq)
{
    double complex A[SET_MAX * SET_MAX];
    lapack_int ipiv[SET_MAX];
    for (int i = 0; i < s; i++)
        for (int j = 0; j < s; j++) {
            double complex ov = 0;
            for (int o = 0; o < nb; o++) ov += conj(up[i * nb + o]) * uq[j * nb + o];
            A[i * s + j] = ov;
        }
    if (s == 1) return A[0];
    /* read as column-major: the transpose, whose determinant is the same (no copy inside LAPACKE) */
    lapack_int info = LAPACKE_zgetrf(LAPACK_COL_MAJOR, s, s, (lapack_complex_double *)A, s, ipiv);
    if (info < 0) return NAN; /* NaN input */
    if (info > 0) return 0;   /* singular: a zero link */
    double complex det = 1;
    for (int i = 0; i < s; i++) det *= ipiv[i] != i + 1 ? -A[i * s + i] : A[i * s + i];
    return det;
}

/* Q = -(1/2pi) oint Omega^{hi}.dS over the surface, as a lattice Chern number on
 * it (Fukui, Hatsugai and Suzuki, J. Phys. Soc. Jpn. 74, 1674 (2005)): the mesh
 * of nth + 1 rings theta_i = pi i/nth (the poles single points) times nph = 2 nth
 * meridians; each plaquette (i, j), (i+1, j), (i+1, j+1), (i, j+1) circulates
 * counterclockwise about the outward normal and its Berry phase is -arg of the
 * product of the link determinants around it, so Q = (1/2pi) sum arg(prod), an
 * integer for any mesh.  It is the flux when every plaquette's phase is below pi
 * (*maxphase: the largest |phase|, the resolution check): curvature concentrated
 * by a quadratic or anisotropic node needs no finer mesh.
 * The bands are the set hi .. top of the block, cut above the first band top
 * >= hi whose gap to the next stays above SET_GAP gap_tol on every point: band hi
 * alone when it is apart from hi + 1 on the surface, else with the bands it
 * touches there (the single band's curvature is singular at such a point; the
 * set's monopoles inside the surface are this node's Q plus pairs that cancel).
 * Eigenvectors only; points evaluated in parallel, summed in a fixed order.  Also
 * the smallest and largest gap of the pair on the points and where the smallest
 * is (theta, phi), and *nset the size of the set (0: more than SET_MAX bands
 * touch on the surface: Q, maxphase NaN). */
static qkt_status_t surf_flux(const pctx_t *c, const surf_t *sf, int nth, double gap_tol, double *Q, double *maxphase,
                              double *gmin, double *gmax, double at[2], int *nset)
{
    int nph = 2 * nth, nb = c->m->nb, hi = c->hi;
    int bl = band_block(c->m, hi), bend = c->m->block_off[bl + 1];
    int kmax = bend - hi < SET_MAX ? bend - hi : SET_MAX; /* bands stored per point: hi .. hi + kmax - 1 */
    long np = 2 + (long)(nth - 1) * nph; /* north pole, rings 1 .. nth-1, south pole */
    double complex *u = malloc(sizeof *u * (size_t)np * kmax * nb);
    double *gp = malloc(sizeof *gp * (size_t)np * (kmax + 1));
    if (!u || !gp) {
        free(u);
        free(gp);
        return qkt_error(QKT_ENOMEM, "out of memory (flux surface)");
    }
    qkt_status_t st = QKT_OK;
    char msg[1024] = "";
#pragma omp parallel if (np >= FLUX_PARALLEL_MIN && !omp_in_parallel())
    {
        qkt_bands_t *tb = qkt_bands_alloc(nb);
        if (tb) {
            tb->degen_tol = c->b->degen_tol;
        } else {
#pragma omp critical(qkt_nodes_sphere)
            if (!st) {
                st = QKT_ENOMEM;
                snprintf(msg, sizeof msg, "%s", qkt_strerror());
            }
        }
#pragma omp for schedule(static)
        for (long i = 0; i < np; i++) {
            if (!tb || st) continue;
            double th = i == 0 ? 0 : i == np - 1 ? M_PI : M_PI * (1 + (i - 1) / nph) / nth;
            double ph = i == 0 || i == np - 1 ? 0 : 2 * M_PI * ((i - 1) % nph) / nph;
            double n[3] = {sin(th) * cos(ph), sin(th) * sin(ph), cos(th)}, k[3];
            for (int a = 0; a < 3; a++) k[a] = sf->c[a] + sf->M[a][0] * n[0] + sf->M[a][1] * n[1] + sf->M[a][2] * n[2];
            qkt_status_t s = qkt_bands_compute(tb, c->m, k, QKT_BANDS_ENERGY);
            if (s) {
#pragma omp critical(qkt_nodes_sphere)
                if (!st) {
                    st = s;
                    snprintf(msg, sizeof msg, "%s", qkt_strerror());
                }
                continue;
            }
            /* gp[i (kmax + 1)]: the pair's gap, then the gaps above hi, hi + 1, ... */
            double *g = gp + (size_t)i * (kmax + 1);
            g[0] = tb->eps[hi] - tb->eps[c->lo];
            for (int q = 0; q < kmax; q++) g[q + 1] = hi + q + 1 < bend ? tb->eps[hi + q + 1] - tb->eps[hi + q] : INFINITY;
            for (int q = 0; q < kmax; q++)
                for (int o = 0; o < nb; o++) u[((size_t)i * kmax + q) * nb + o] = tb->U[o * nb + hi + q];
        }
        qkt_bands_free(tb);
    }
    if (st) {
        free(u);
        free(gp);
        return qkt_error(st, "%s", msg);
    }
    *gmin = INFINITY;
    *gmax = 0;
    double gset[SET_MAX];
    for (int q = 0; q < kmax; q++) gset[q] = INFINITY;
    for (long i = 0; i < np; i++) {
        const double *g = gp + (size_t)i * (kmax + 1);
        if (g[0] < *gmin) {
            *gmin = g[0];
            at[0] = i == 0 ? 0 : i == np - 1 ? M_PI : M_PI * (1 + (i - 1) / nph) / nth;
            at[1] = i == 0 || i == np - 1 ? 0 : 2 * M_PI * ((i - 1) % nph) / nph;
        }
        *gmax = fmax(*gmax, g[0]);
        for (int q = 0; q < kmax; q++) gset[q] = fmin(gset[q], g[q + 1]);
    }
    int set = 0;
    for (int q = 0; q < kmax && !set; q++)
        if (gset[q] > SET_GAP * gap_tol) set = q + 1;
    *nset = set;
    *Q = *maxphase = NAN;
    if (set > 0) {
        /* point index of ring i, meridian j */
#define RING_PT(i, j) ((i) == 0 ? 0L : (i) == nth ? np - 1 : 1 + (long)((i) - 1) * nph + (j) % nph)
        double sum = 0, mx = 0;
        for (int i = 0; i < nth; i++)
            for (int j = 0; j < nph; j++) {
                long cp[4] = {RING_PT(i, j), RING_PT(i + 1, j), RING_PT(i + 1, j + 1), RING_PT(i, j + 1)};
                double complex prod = 1;
                for (int e = 0; e < 4; e++)
                    prod *= set_overlap_det(set, nb, u + (size_t)cp[e] * kmax * nb, u + (size_t)cp[(e + 1) % 4] * kmax * nb);
                double phase = carg(prod);
                sum += phase;
                /* a zero link (orthogonal sets) has no phase: not resolved */
                mx = fmax(mx, cabs(prod) > 0 ? fabs(phase) : M_PI);
            }
#undef RING_PT
        *Q = sf->orient * sum / (2 * M_PI);
        *maxphase = mx;
    }
    free(u);
    free(gp);
    if (set > 0 && !isfinite(*Q))
        return qkt_error(QKT_ENUM, "non-finite Berry flux through the surface around k = (%g, %g, %g)", sf->c[0],
                         sf->c[1], sf->c[2]);
    return QKT_OK;
}

/* ------------------------------------------------------------------ the search */
typedef struct {
    const qkt_model_t *m;
    int N;
    double L;    /* continuum: half-width of the cube */
    double h[3]; /* spacing along each grid axis */
    double hmin, hmax;
} grid_t;

static void grid_point(const grid_t *g, size_t ip, double k[3])
{
    int N = g->N;
    int idx[3] = {(int)(ip / ((size_t)N * N)), (int)((ip / N) % N), (int)(ip % N)};
    if (g->m->periodic) {
        double x[3];
        for (int a = 0; a < 3; a++) x[a] = -0.5 + (double)idx[a] / N;
        from_reduced(g->m, x, k);
    } else {
        for (int a = 0; a < 3; a++) k[a] = -g->L + (idx[a] + 0.5) * g->h[a];
    }
}

/* Grid index of ip shifted by d, or -1 outside the cube (continuum). */
static long grid_shift(const grid_t *g, size_t ip, const int d[3])
{
    int N = g->N;
    int j[3] = {(int)(ip / ((size_t)N * N)) + d[0], (int)((ip / N) % N) + d[1], (int)(ip % N) + d[2]};
    for (int a = 0; a < 3; a++) {
        if (g->m->periodic)
            j[a] = (j[a] + N) % N;
        else if (j[a] < 0 || j[a] >= N)
            return -1;
    }
    return ((long)j[0] * N + j[1]) * N + j[2];
}

typedef struct {
    int pair;
    double k[3];
} ext_t;

typedef struct {
    int pair, kind; /* kind 0: local minimum of the gap; 1: crossing predicted within reach */
    long pt;
    double key;     /* gap (kind 0) or predicted distance (kind 1) */
} cand_t;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand_t *a = pa, *b = pb;
    if (a->pair != b->pair) return a->pair < b->pair ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->pt < b->pt ? -1 : a->pt > b->pt;
}

static int node_cmp(const void *pa, const void *pb)
{
    const qkt_node_t *a = pa, *b = pb;
    if (a->block != b->block) return a->block < b->block ? -1 : 1;
    if (a->band != b->band) return a->band < b->band ? -1 : 1;
    if (a->isolated != b->isolated) return a->isolated > b->isolated ? -1 : 1;
    for (int i = 2; i >= 0; i--)
        if (a->k[i] != b->k[i]) return a->k[i] < b->k[i] ? -1 : 1;
    return 0;
}

static int band_block(const qkt_model_t *m, int band)
{
    for (int bl = 0; bl < m->nblock; bl++)
        if (band < m->block_off[bl + 1]) return bl;
    return m->nblock - 1;
}

static qkt_status_t check_opts(const qkt_node_opts_t *o)
{
    if (o->grid < OPT_GRID_MIN || o->grid > OPT_GRID_MAX)
        return qkt_error(QKT_EINVAL, "node search grid must be in [" STR(OPT_GRID_MIN) ", " STR(OPT_GRID_MAX) "], got %d",
                         o->grid);
    if (!(o->tol > 0 && o->tol <= OPT_TOL_MAX))
        return qkt_error(QKT_EINVAL, "node gap tolerance must be in (0, " STR(OPT_TOL_MAX) "], got %g", o->tol);
    if (!(o->radius >= 0) || !isfinite(o->radius))
        return qkt_error(QKT_EINVAL, "chirality surface radius must be >= 0 (0: automatic), got %g", o->radius);
    if (o->nquad < OPT_NQUAD_MIN || o->nquad > OPT_NQUAD_MAX)
        return qkt_error(QKT_EINVAL, "node quadrature points must be in [" STR(OPT_NQUAD_MIN) ", " STR(OPT_NQUAD_MAX)
                                     "], got %d",
                         o->nquad);
    if (!(o->qtol > 0) || !isfinite(o->qtol)) return qkt_error(QKT_EINVAL, "node quadrature tolerance must be > 0, got %g", o->qtol);
    if (!(o->emin <= o->emax)) return qkt_error(QKT_EINVAL, "node energy window: need emin <= emax, got [%g, %g]", o->emin, o->emax);
    if (o->pair_min < -1 || o->pair_max < -1 || (o->pair_min >= 0 && o->pair_max >= 0 && o->pair_min > o->pair_max))
        return qkt_error(QKT_EINVAL, "node band pairs: need -1 (no bound) or 0 <= pair_min <= pair_max, got %d, %d",
                         o->pair_min, o->pair_max);
    if (o->nsym < 0 || o->nsym > QKT_MAGSYM_MAX || (o->nsym > 0 && (!o->symR || !o->sym_anti)))
        return qkt_error(QKT_EINVAL, "node symmetry: need 0 <= nsym <= %d with the operations, got %d", QKT_MAGSYM_MAX,
                         o->nsym);
    return QKT_OK;
}

/* Does the pair's gap stay open on the surface around the touching?  The gap
 * is sampled on the first quadrature and minimized on the surface from the
 * lowest sample (a nodal line through the surface is found there); below
 * surf_thr() the bands (nearly) touch on the surface: an extended degeneracy.
 * *Q: the flux on that first quadrature (nth points in theta). */
static qkt_status_t surf_open(pctx_t *c, const surf_t *sf, int nth, double gap_tol, int *open, double *sgap,
                              double *Q)
{
    double gmin, gmax, at[2] = {0, 0}, ph;
    int nset;
    qkt_status_t s = surf_flux(c, sf, nth, gap_tol, Q, &ph, &gmin, &gmax, at, &nset);
    if (s) return s;
    double thr = surf_thr(gap_tol, gmax);
    map_t mp = {2, {sf->c[0], sf->c[1], sf->c[2]}, {{0}}};
    memcpy(mp.M, sf->M, sizeof mp.M);
    double r = 0;
    for (int a = 0; a < 3; a++) r = fmax(r, norm3(sf->M[a]));
    lm_out_t lo;
    if ((s = lm_descend(c, &mp, at, r, SURF_LM_FLOOR * thr, SURF_LM_MAXIT, &lo))) return s;
    *sgap = fmin(gmin, lo.g);
    *open = *sgap > thr;
    return QKT_OK;
}

/* Append a candidate; the buffer (2 cap) is sorted and cut to the best cap per pair when full. */
static void cand_push(cand_t *buf, int *nbuf, int cap, cand_t c)
{
    if (*nbuf == 2 * cap) {
        qsort(buf, *nbuf, sizeof *buf, cand_cmp);
        *nbuf = cap;
    }
    buf[(*nbuf)++] = c;
}
/* The state of one search, shared by its steps. */
typedef struct {
    const qkt_model_t *m;
    const qkt_node_opts_t *opts;
    int nb, npair;
    int *pairs;       /* lower band of each pair of adjacent bands within a block */
    grid_t g;
    size_t npt;       /* grid points, g.N^3 */
    double *gaps;     /* gap of pair p at grid point ip: gaps[p npt + ip] */
    float *qlen;      /* predicted distance to a crossing, same layout */
    double *Lg;       /* per pair: largest change of the gap over one spacing, per unit k */
    double *erange;   /* per pair: [2p] max of eps_n, [2p + 1] min of eps_{n+1} on the scan */
    float *mid;       /* (eps_n + eps_{n+1})/2 of pair p at grid point ip, as gaps; only with a
                         window, until select_pairs */
    double escale;    /* energy range of the scan */
    double gap_tol;   /* gap accepted as a touching: opts->tol escale */
    cand_t *cand, *buf; /* starting points (in order), per-pair buffer */
    int ncand;
    lm_out_t *res;    /* the descent from each starting point */
    qkt_bands_t *b;   /* workspace of the serial steps */
    qkt_node_t *list; /* touchings found */
    int nlist, caplist;
    ext_t *ext;       /* every point found on an extended touching */
    int next, capext;
    char msg[1024];   /* the first worker thread's error message */
} search_t;

static void search_free(search_t *S)
{
    qkt_bands_free(S->b);
    free(S->pairs);
    free(S->gaps);
    free(S->qlen);
    free(S->Lg);
    free(S->erange);
    free(S->mid);
    free(S->cand);
    free(S->buf);
    free(S->res);
    free(S->ext);
    free(S->list);
}

/* 0. pairs of adjacent bands within a block; the region and spacing of the scan */
static qkt_status_t search_setup(search_t *S)
{
    const qkt_model_t *m = S->m;
    int N = S->opts->grid, nb = S->nb;
    S->npt = (size_t)N * N * N;
    S->pairs = malloc(sizeof(int) * (nb > 1 ? nb : 1));
    if (!S->pairs) return qkt_error(QKT_ENOMEM, "out of memory (node search)");
    const qkt_node_opts_t *o = S->opts;
    for (int bl = 0; bl < m->nblock; bl++)
        for (int i = m->block_off[bl]; i + 1 < m->block_off[bl + 1]; i++)
            if ((o->pair_min < 0 || i >= o->pair_min) && (o->pair_max < 0 || i <= o->pair_max)) S->pairs[S->npair++] = i;
    if (S->npair == 0) return QKT_OK;

    grid_t g = {m, N, m->kcut, {0, 0, 0}, INFINITY, 0};
    for (int a = 0; a < 3; a++) {
        if (m->periodic) {
            g.h[a] = norm3(m->bvec[a]) / N;
        } else {
            if (!(g.L > 0))
                return qkt_error(QKT_EINVAL, "model %s: no k-space box (kcut = %g) to search for nodes", m->info->name,
                                 g.L);
            g.h[a] = 2 * g.L / N;
        }
        g.hmin = fmin(g.hmin, g.h[a]);
        g.hmax = fmax(g.hmax, g.h[a]);
    }
    S->g = g;

    S->gaps = malloc(sizeof(double) * S->npt * S->npair);
    S->qlen = malloc(sizeof(float) * S->npt * S->npair);
    S->Lg = calloc(S->npair, sizeof(double));
    S->erange = malloc(sizeof(double) * 2 * S->npair);
    /* the pair energies only for the window's margin (select_pairs), freed there */
    int window = isfinite(S->opts->emin) || isfinite(S->opts->emax);
    S->mid = window ? malloc(sizeof(float) * S->npt * S->npair) : NULL;
    if (!S->gaps || !S->qlen || !S->Lg || !S->erange || (window && !S->mid))
        return qkt_error(QKT_ENOMEM, "out of memory (node search grid %d^3 x %d band pairs)", N, S->npair);
    return QKT_OK;
}

/* 1. the gap of every pair on the grid; the energy range sets gap_tol */
static qkt_status_t scan_gaps(search_t *S)
{
    const qkt_model_t *m = S->m;
    const grid_t *g = &S->g;
    const int *pairs = S->pairs;
    int nb = S->nb, npair = S->npair;
    size_t npt = S->npt;
    double *gaps = S->gaps;
    qkt_status_t st = QKT_OK;
    double emin = INFINITY, emax = -INFINITY, *er = S->erange;
    for (int p = 0; p < npair; p++) er[2 * p] = -INFINITY, er[2 * p + 1] = INFINITY;
#pragma omp parallel reduction(min : emin) reduction(max : emax)
    {
        qkt_bands_t *tb = qkt_bands_alloc(nb);
        double *ter = malloc(sizeof(double) * 2 * npair);
        if (ter)
            for (int p = 0; p < npair; p++) ter[2 * p] = -INFINITY, ter[2 * p + 1] = INFINITY;
        if (!tb || !ter) {
#pragma omp critical(qkt_nodes_err)
            keep_first_error(&st, S->msg, sizeof S->msg, qkt_error(QKT_ENOMEM, "out of memory (node scan)"));
        }
#pragma omp for schedule(dynamic, 64)
        for (long ip = 0; ip < (long)npt; ip++) {
            if (!tb || !ter || st) continue;
            double k[3];
            grid_point(g, ip, k);
            qkt_status_t s = qkt_bands_compute(tb, m, k, QKT_BANDS_EIGVALS);
            if (s) {
#pragma omp critical(qkt_nodes_err)
                keep_first_error(&st, S->msg, sizeof S->msg, s);
                continue;
            }
            for (int i = 0; i < nb; i++) {
                emin = fmin(emin, tb->eps[i]);
                emax = fmax(emax, tb->eps[i]);
            }
            for (int p = 0; p < npair; p++) {
                gaps[(size_t)p * npt + ip] = tb->eps[pairs[p] + 1] - tb->eps[pairs[p]];
                if (S->mid) S->mid[(size_t)p * npt + ip] = (float)(0.5 * (tb->eps[pairs[p] + 1] + tb->eps[pairs[p]]));
                ter[2 * p] = fmax(ter[2 * p], tb->eps[pairs[p]]);
                ter[2 * p + 1] = fmin(ter[2 * p + 1], tb->eps[pairs[p] + 1]);
            }
        }
#pragma omp critical(qkt_nodes_range)
        if (ter)
            for (int p = 0; p < npair; p++) {
                er[2 * p] = fmax(er[2 * p], ter[2 * p]);
                er[2 * p + 1] = fmin(er[2 * p + 1], ter[2 * p + 1]);
            }
        free(ter);
        qkt_bands_free(tb);
    }
    if (st) return qkt_error(st, "%s", S->msg);
    double escale = emax - emin;
    if (!(escale > 0)) escale = 1;
    S->escale = escale;
    S->gap_tol = S->opts->tol * escale;
    return QKT_OK;
}

/* 1b. the largest change of each pair's gap over one spacing; with an energy
 * window, only the pairs that can touch inside it (the range [min eps_{n+1},
 * max eps_n] of touching energies on the scan, widened by the largest change of
 * the pair's energies over one spacing, meets the window) are kept */
static void select_pairs(search_t *S)
{
    const grid_t *g = &S->g;
    size_t npt = S->npt;
    int w = 0;
    for (int p = 0; p < S->npair; p++) {
        const double *G = S->gaps + (size_t)p * npt;
        const float *E = S->mid ? S->mid + (size_t)p * npt : NULL;
        double Lg = 0, Le = 0;
        for (size_t ip = 0; ip < npt; ip++)
            for (int a = 0; a < 3; a++) {
                int d[3] = {a == 0, a == 1, a == 2};
                long j = grid_shift(g, ip, d);
                if (j < 0) continue;
                Lg = fmax(Lg, fabs(G[j] - G[ip]) / g->h[a]);
                if (E) Le = fmax(Le, fabs((double)E[j] - (double)E[ip]) / g->h[a]);
            }
        double margin = (Le + 0.5 * Lg) * g->hmax;
        if (S->erange[2 * p + 1] - margin > S->opts->emax || S->erange[2 * p] + margin < S->opts->emin) continue;
        if (w != p) {
            memmove(S->gaps + (size_t)w * npt, G, sizeof(double) * npt);
            S->erange[2 * w] = S->erange[2 * p];
            S->erange[2 * w + 1] = S->erange[2 * p + 1];
            S->pairs[w] = S->pairs[p];
        }
        S->Lg[w++] = Lg;
    }
    S->npair = w;
    free(S->mid);
    S->mid = NULL;
}

/* 2. where a crossing may lie within about one spacing (gap below its largest
 * change over one spacing), predict it by one Gauss-Newton step of the pair's
 * linear model; qlen is the predicted distance */
static qkt_status_t predict_crossings(search_t *S)
{
    const qkt_model_t *m = S->m;
    const grid_t *g = &S->g;
    const int *pairs = S->pairs;
    int nb = S->nb, npair = S->npair;
    size_t npt = S->npt;
    const double *gaps = S->gaps;
    const double *Lg = S->Lg;
    float *qlen = S->qlen;
    for (size_t i = 0; i < npt * npair; i++) qlen[i] = INFINITY;
    qkt_status_t st = QKT_OK;
#pragma omp parallel
    {
        qkt_bands_t *tb = qkt_bands_alloc(nb);
        if (!tb) {
#pragma omp critical(qkt_nodes_err)
            keep_first_error(&st, S->msg, sizeof S->msg, QKT_ENOMEM);
        }
#pragma omp for schedule(dynamic, 16)
        for (long ip = 0; ip < (long)npt; ip++) {
            if (!tb || st) continue;
            int need = 0;
            for (int p = 0; p < npair && !need; p++) need = gaps[(size_t)p * npt + ip] <= Lg[p] * g->hmax;
            if (!need) continue;
            double k[3];
            grid_point(g, ip, k);
            qkt_status_t s = qkt_bands_compute(tb, m, k, QKT_BANDS_GEOMETRY);
            if (s) {
#pragma omp critical(qkt_nodes_err)
                keep_first_error(&st, S->msg, sizeof S->msg, s);
                continue;
            }
            for (int p = 0; p < npair; p++) {
                if (!(gaps[(size_t)p * npt + ip] <= Lg[p] * g->hmax)) continue;
                pctx_t c = {m, tb, pairs[p], pairs[p] + 1};
                double gg, d0[3], Jk[3][3], ge[3], dx[3], dk[3], I3[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
                pair_linear(&c, &gg, d0, Jk, ge);
                if (lm_step(3, Jk, I3, d0, 0, dx, dk)) qlen[(size_t)p * npt + ip] = (float)norm3(dk);
            }
        }
        qkt_bands_free(tb);
    }
    if (st) return qkt_error(st, "%s", S->msg);
    return QKT_OK;
}

/* 3. starting points: local minima of the gap (ties kept), then the points
 * whose predicted crossing is within PREDICT_REACH spacings, at most
 * MAX_CAND_PER_PAIR per pair */
static qkt_status_t pick_starts(search_t *S)
{
    const grid_t *g = &S->g;
    size_t npt = S->npt;
    S->cand = malloc(sizeof(cand_t) * (size_t)S->npair * MAX_CAND_PER_PAIR);
    S->buf = malloc(sizeof(cand_t) * 2 * MAX_CAND_PER_PAIR);
    if (!S->cand || !S->buf) return qkt_error(QKT_ENOMEM, "out of memory (node candidates)");
    cand_t *buf = S->buf;
    for (int p = 0; p < S->npair; p++) {
        const double *G = S->gaps + (size_t)p * npt;
        const float *QL = S->qlen + (size_t)p * npt;
        int nbuf = 0;
        for (size_t ip = 0; ip < npt; ip++) {
            int ismin = 1;
            for (int s = 0; s < 27 && ismin; s++) {
                int d[3] = {s / 9 - 1, (s / 3) % 3 - 1, s % 3 - 1};
                if (s == 13) continue;
                long j = grid_shift(g, ip, d);
                if (j >= 0 && G[j] < G[ip]) ismin = 0;
            }
            if (ismin) {
                cand_t cd = {p, 0, (long)ip, G[ip]};
                cand_push(buf, &nbuf, MAX_CAND_PER_PAIR, cd);
            } else if (QL[ip] <= PREDICT_REACH * g->hmax) {
                cand_t cd = {p, 1, (long)ip, QL[ip]};
                cand_push(buf, &nbuf, MAX_CAND_PER_PAIR, cd);
            }
        }
        qsort(buf, nbuf, sizeof *buf, cand_cmp);
        if (nbuf > MAX_CAND_PER_PAIR) nbuf = MAX_CAND_PER_PAIR;
        memcpy(S->cand + S->ncand, buf, sizeof *buf * nbuf);
        S->ncand += nbuf;
    }
    return QKT_OK;
}

/* fn(S, tb, i, ctx) for i in [0, n) in parallel (dynamic schedule, one item at a
 * time), each thread with its own band workspace tb (degen_tol of S->b); the
 * first failure is returned with its message. */
typedef qkt_status_t (*item_fn)(const search_t *S, qkt_bands_t *tb, int i, void *ctx);

static qkt_status_t parallel_items(search_t *S, int n, item_fn fn, void *ctx)
{
    qkt_status_t st = QKT_OK;
    double degen_tol = S->b->degen_tol;
#pragma omp parallel
    {
        qkt_bands_t *tb = qkt_bands_alloc(S->nb);
        if (tb) {
            tb->degen_tol = degen_tol;
        } else {
#pragma omp critical(qkt_nodes_err)
            keep_first_error(&st, S->msg, sizeof S->msg, QKT_ENOMEM);
        }
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < n; i++) {
            if (!tb || st) continue;
            qkt_status_t s = fn(S, tb, i, ctx);
            if (s) {
#pragma omp critical(qkt_nodes_err)
                keep_first_error(&st, S->msg, sizeof S->msg, s);
            }
        }
        qkt_bands_free(tb);
    }
    if (st) return qkt_error(st, "%s", S->msg);
    return QKT_OK;
}

/* 4a. descend from every starting point (in parallel) */
static qkt_status_t descend_one(const search_t *S, qkt_bands_t *tb, int ic, void *ctx)
{
    (void)ctx;
    int p = S->cand[ic].pair;
    pctx_t c = {S->m, tb, S->pairs[p], S->pairs[p] + 1};
    double x[3];
    grid_point(&S->g, S->cand[ic].pt, x);
    map_t mp = {3, {0, 0, 0}, {{0}}};
    return lm_descend(&c, &mp, x, GRID_LM_MAXSTEP * S->g.hmax, GRID_LM_FLOOR * S->gap_tol, LM_MAXIT, &S->res[ic]);
}

static qkt_status_t descend_all(search_t *S)
{
    S->res = malloc(sizeof *S->res * (S->ncand > 0 ? S->ncand : 1));
    S->b = qkt_bands_alloc(S->nb);
    if (!S->res || !S->b) return qkt_error(QKT_ENOMEM, "out of memory (node descents)");
    S->b->degen_tol = DEGEN_REL * S->gap_tol;
    return parallel_items(S, S->ncand, descend_one, NULL);
}

/* A new zeroed entry of the list, at *i. */
static qkt_status_t list_add(search_t *S, int *i)
{
    if (S->nlist == S->caplist) {
        int nc = S->caplist ? 2 * S->caplist : LIST_CAP0;
        qkt_node_t *nl = realloc(S->list, sizeof *nl * nc);
        if (!nl) return qkt_error(QKT_ENOMEM, "out of memory (nodes)");
        S->list = nl;
        S->caplist = nc;
    }
    *i = S->nlist++;
    memset(&S->list[*i], 0, sizeof S->list[*i]);
    return QKT_OK;
}

/* Remember kf as a point of an extended touching of pair p. */
static qkt_status_t ext_add(search_t *S, int p, const double kf[3])
{
    if (S->next == S->capext) {
        int nc = S->capext ? 2 * S->capext : LIST_CAP0;
        ext_t *ne = realloc(S->ext, sizeof *ne * nc);
        if (!ne) return qkt_error(QKT_ENOMEM, "out of memory (nodes)");
        S->ext = ne;
        S->capext = nc;
    }
    S->ext[S->next].pair = p;
    memcpy(S->ext[S->next++].k, kf, sizeof S->ext[0].k);
    return QKT_OK;
}

/* Is the gap open on a surface around kf?  Tried at r0, then RADIUS_GROW
 * times larger up to RADIUS_GROW_MAX spacings: a touching of charge 2 or
 * more has a gap that grows quadratically in some direction and opens only on
 * a larger surface; on a nodal line or surface it closes on every one.
 * *r_open: the first radius on which it is open (or the last tried). */
static qkt_status_t open_radius(const search_t *S, pctx_t *c, const double kf[3], const double Jk[3][3], double r0,
                                int *open, double *sgap, double *r_open, double *Q)
{
    double rmax = fmax(r0, RADIUS_GROW_MAX * S->g.hmin);
    *open = 0;
    *sgap = INFINITY;
    for (double r = r0; r <= rmax * (1 + 1e-12); r *= RADIUS_GROW) {
        surf_t sf;
        double sg;
        surf_make(&sf, kf, r, Jk, S->gap_tol);
        qkt_status_t st = surf_open(c, &sf, S->opts->nquad, S->gap_tol, open, &sg, Q);
        if (st) return st;
        *r_open = r;
        *sgap = sg;
        if (*open || S->opts->radius > 0) break; /* a radius given by the user is not changed */
    }
    return QKT_OK;
}

/* The crossing at the end lo of a descent, folded into the zone (periodic),
 * with its position error (the step still left plus the roundoff floor of the
 * gap); 0 when it is no touching (gap above gap_tol) or outside the box. */
static int crossing_at(const search_t *S, const lm_out_t *lo, double kf[3], double *kerr)
{
    const qkt_model_t *m = S->m;
    const grid_t *g = &S->g;
    if (!(lo->g <= S->gap_tol)) return 0;
    if (!m->periodic && (fabs(lo->k[0]) > g->L * (1 + BOX_SLACK) || fabs(lo->k[1]) > g->L * (1 + BOX_SLACK) ||
                         fabs(lo->k[2]) > g->L * (1 + BOX_SLACK)))
        return 0;
    memcpy(kf, lo->k, 3 * sizeof *kf);
    if (m->periodic) {
        double xr[3];
        to_reduced(m, lo->k, xr);
        for (int i = 0; i < 3; i++) xr[i] -= floor(xr[i] + 0.5);
        from_reduced(m, xr, kf);
    }
    *kerr = lo->kerr + (lo->smin > 0 ? KERR_ROUNDOFF * DBL_EPSILON * S->escale / lo->smin : 0);
    return 1;
}

static int same_crossing(const search_t *S, const double k1[3], double e1, const double k2[3], double e2)
{
    return kdist(S->m, k1, k2) <= fmax(DUP_ABS * S->g.hmin, DUP_REL * (e1 + e2));
}

/* the crossing kf of pair p is next to a point of an extended touching of the pair */
static int on_extended(const search_t *S, int p, const double kf[3])
{
    for (int q = 0; q < S->next; q++)
        if (S->ext[q].pair == p && kdist(S->m, S->ext[q].k, kf) <= S->g.hmax) return 1;
    return 0;
}

/* Enter a new touching tested for isolation (open, sgap, ropen, Q from
 * open_radius) into the list, or as a point of an extended set (listed once per
 * pair).  *at: its entry, or -1. */
static qkt_status_t enter_new(search_t *S, int p, const lm_out_t *lo, const double kf[3], double kerr, int open,
                              double sgap, double ropen, double Q, int *at)
{
    qkt_status_t st;
    int band = S->pairs[p], has_ext = 0;
    *at = -1;
    for (int q = 0; q < S->nlist && !has_ext; q++) has_ext = S->list[q].band == band && !S->list[q].isolated;
    if (!open) {
        if ((st = ext_add(S, p, kf))) return st;
        if (has_ext) return QKT_OK;
    }
    int i = -1;
    if ((st = list_add(S, &i))) return st;
    qkt_node_t *nd = &S->list[i];
    nd->isolated = open;
    nd->sphere_gap = sgap;
    nd->radius = ropen;
    nd->flux = open ? Q : NAN; /* first mesh on that surface, reused by node_chirality */
    memcpy(nd->k, kf, sizeof nd->k);
    nd->k_err = kerr;
    nd->energy = lo->emid;
    nd->energy_err = 0.5 * lo->g + norm3(lo->ge) * kerr;
    nd->gap = lo->g;
    nd->gap_tol = S->gap_tol;
    nd->band = band;
    nd->block = band_block(S->m, band);
    *at = i;
    return QKT_OK;
}

/* 4b. (one crossing, serial) a crossing of pair p at the end lo of a descent:
 * merge it with a duplicate (keeping the smaller gap), or test a new one for
 * isolation (first surface radius r0) and enter it.  *at: its entry in the list,
 * or -1 when it was dropped (no touching, outside the box, part of an extended
 * touching of the pair). */
static qkt_status_t take_point(search_t *S, int p, const lm_out_t *lo, double r0, int *at)
{
    double kf[3], kerr;
    *at = -1;
    if (!crossing_at(S, lo, kf, &kerr)) return QKT_OK;
    int band = S->pairs[p];
    for (int q = 0; q < S->nlist; q++) {
        qkt_node_t *l = &S->list[q];
        if (l->band != band || !l->isolated || !same_crossing(S, l->k, l->k_err, kf, kerr)) continue;
        *at = q;
        if (lo->g < l->gap) { /* the better point; its surface is tested again */
            memcpy(l->k, kf, sizeof l->k);
            l->k_err = kerr;
            l->energy = lo->emid;
            l->energy_err = 0.5 * lo->g + norm3(lo->ge) * kerr;
            l->gap = lo->g;
            l->flux = NAN;
        }
        return QKT_OK;
    }
    if (on_extended(S, p, kf)) return QKT_OK;
    pctx_t c = {S->m, S->b, band, band + 1};
    int open;
    double sgap, ropen = r0, Q = NAN;
    qkt_status_t st = open_radius(S, &c, kf, lo->Jk, r0, &open, &sgap, &ropen, &Q);
    if (st) return st;
    return enter_new(S, p, lo, kf, kerr, open, sgap, ropen, Q, at);
}

/* 4b. (every crossing of the descents) the crossings merged into distinct ones in
 * candidate order (a duplicate keeps the smaller gap), their surfaces tested for
 * isolation in parallel, then entered in that order (a crossing next to an
 * extended touching of its pair already entered is part of it). */
typedef struct {
    int pair, ic; /* the descent whose end is kept */
    double k[3], kerr;
    int open;
    double sgap, ropen, Q;
} uniq_t;

/* the isolation test of distinct crossing q (parallel_items) */
static qkt_status_t open_one(const search_t *S, qkt_bands_t *tb, int q, void *ctx)
{
    uniq_t *u = (uniq_t *)ctx + q;
    pctx_t c = {S->m, tb, S->pairs[u->pair], S->pairs[u->pair] + 1};
    double r0 = S->opts->radius > 0 ? S->opts->radius : RADIUS_SPACING * S->g.hmin;
    u->ropen = r0;
    u->Q = NAN;
    return open_radius(S, &c, u->k, S->res[u->ic].Jk, r0, &u->open, &u->sgap, &u->ropen, &u->Q);
}

static qkt_status_t take_all(search_t *S, double r0)
{
    uniq_t *u = malloc(sizeof *u * (S->ncand > 0 ? S->ncand : 1));
    if (!u) return qkt_error(QKT_ENOMEM, "out of memory (node crossings)");
    int nu = 0;
    for (int ic = 0; ic < S->ncand; ic++) {
        double kf[3], kerr;
        const lm_out_t *lo = &S->res[ic];
        if (!crossing_at(S, lo, kf, &kerr)) continue;
        int p = S->cand[ic].pair, dup = -1;
        for (int q = 0; q < nu && dup < 0; q++)
            if (u[q].pair == p && same_crossing(S, u[q].k, u[q].kerr, kf, kerr)) dup = q;
        if (dup >= 0 && !(lo->g < S->res[u[dup].ic].g)) continue;
        uniq_t *x = dup >= 0 ? &u[dup] : &u[nu++];
        x->pair = p;
        x->ic = ic;
        memcpy(x->k, kf, sizeof x->k);
        x->kerr = kerr;
    }
    qkt_status_t st = parallel_items(S, nu, open_one, u);
    for (int q = 0; q < nu && !st; q++) {
        if (on_extended(S, u[q].pair, u[q].k)) continue;
        int at;
        st = enter_new(S, u[q].pair, &S->res[u[q].ic], u[q].k, u[q].kerr, u[q].open, u[q].sgap, u[q].ropen, u[q].Q, &at);
    }
    free(u);
    return st;
}

/* the pair index p of lower band n, or -1 */
static int pair_of(const search_t *S, int band)
{
    for (int p = 0; p < S->npair; p++)
        if (S->pairs[p] == band) return p;
    return -1;
}

/* the image of k under operation i: R k, or -R k with time reversal */
static void sym_image(const search_t *S, int i, const double k[3], double kp[3])
{
    const double(*R)[3] = S->opts->symR[i];
    double sg = S->opts->sym_anti[i] ? -1 : 1;
    for (int a = 0; a < 3; a++) kp[a] = sg * (R[a][0] * k[0] + R[a][1] * k[1] + R[a][2] * k[2]);
}

static double det3x3(const double R[3][3])
{
    return R[0][0] * (R[1][1] * R[2][2] - R[1][2] * R[2][1]) - R[0][1] * (R[1][0] * R[2][2] - R[1][2] * R[2][0]) +
           R[0][2] * (R[1][0] * R[2][1] - R[1][1] * R[2][0]);
}

/* 4c. symmetry: every isolated touching mapped by every operation; an image
 * with no touching of its pair within SYM_MATCH spacings is searched by a
 * descent from it (its chirality is computed later like any other); an image
 * the descent does not confirm within SYM_REACH spacings counts against the
 * touching (sym_mismatch). */
static qkt_status_t sym_complete(search_t *S, double r0)
{
    const qkt_model_t *m = S->m;
    double hmin = S->g.hmin;
    for (int i = 0; i < S->nlist; i++) { /* the list grows: images are mapped too */
        if (!S->list[i].isolated) continue;
        for (int o = 0; o < S->opts->nsym; o++) {
            double kp[3];
            sym_image(S, o, S->list[i].k, kp);
            int band = S->list[i].band, found = 0;
            for (int q = 0; q < S->nlist && !found; q++)
                found = S->list[q].band == band && S->list[q].isolated && kdist(m, S->list[q].k, kp) <= SYM_MATCH * hmin;
            if (found) continue;
            int p = pair_of(S, band);
            pctx_t c = {m, S->b, band, band + 1};
            map_t mp = {3, {0, 0, 0}, {{0}}};
            lm_out_t lo;
            double x[3] = {kp[0], kp[1], kp[2]};
            qkt_status_t st = lm_descend(&c, &mp, x, GRID_LM_MAXSTEP * S->g.hmax, GRID_LM_FLOOR * S->gap_tol, LM_MAXIT, &lo);
            if (st) return st;
            int at = -1, n0 = S->nlist;
            if (kdist(m, lo.k, kp) <= SYM_REACH * hmin && (st = take_point(S, p, &lo, r0, &at))) return st;
            if (at >= n0) S->list[at].sym_image = 1; /* no touching there: counted by assign_orbits */
        }
    }
    return QKT_OK;
}

/* the distance of touching i (bands n, n+1) to the nearest other touching of its
 * pair or of the pair above (n+1, n+2): the only ones whose charges enter the
 * flux of band n+1 (those of other pairs are no monopoles of it) */
static double nearest(const search_t *S, int i)
{
    double dnn = INFINITY;
    int n = S->list[i].band;
    for (int j = 0; j < S->nlist; j++)
        if (j != i && (S->list[j].band == n || S->list[j].band == n + 1))
            dnn = fmin(dnn, kdist(S->m, S->list[i].k, S->list[j].k));
    return dnn;
}

/* 5. surface size: well inside the distance to every other touching of the
 * block; a touching whose gap opened only on a grown surface (radius above
 * r0) keeps that radius, up to half that distance */
static void set_radii(search_t *S, double r0)
{
    qkt_node_t *list = S->list;
    for (int i = 0; i < S->nlist; i++) {
        if (!list[i].isolated) continue;
        double dnn = nearest(S, i), r = fmin(RADIUS_SPACING * S->g.hmin, RADIUS_NEIGHBOR * dnn);
        if (list[i].radius > r0 * (1 + 1e-12)) r = fmax(r, fmin(list[i].radius, 0.5 * dnn));
        if (S->opts->radius > 0) r = S->opts->radius;
        if (r != list[i].radius) list[i].flux = NAN;
        list[i].radius = r;
    }
}

/* 6. chirality of one touching: the lattice Chern number on meshes 1.5 times finer
 * each until two agree to qtol with every plaquette phase below FHS_PHASE_MAX (at
 * most QUAD_MAX_FACTOR nquad); a touching whose surface gap closes is extended */
static qkt_status_t node_chirality(const search_t *S, qkt_bands_t *b, qkt_node_t *nd, double dnn)
{
    const qkt_node_opts_t *opts = S->opts;
    if (nd->isolated) {
        pctx_t c = {S->m, b, nd->band, nd->band + 1};
        int nth = opts->nquad;
        double Q1, Q2, P2, gmin, gmax, at[2], gg, d0[3], Jk[3][3], ge[3];
        surf_t sf;
        qkt_status_t st;
        if ((st = pair_model(&c, nd->k, &gg, d0, Jk, ge))) return st;
        /* the radius of set_radii, grown like open_radius when the gap closes on
         * it, but not beyond half the distance to the nearest other touching */
        double rmax = fmax(nd->radius, fmin(RADIUS_GROW_MAX * S->g.hmin, 0.5 * dnn));
        for (;;) {
            int open = 1;
            double sg;
            surf_make(&sf, nd->k, nd->radius, Jk, S->gap_tol);
            if (isfinite(nd->flux)) { /* tested on this surface by take_point (its sphere_gap) */
                Q1 = nd->flux;
            } else {
                if ((st = surf_open(&c, &sf, nth, S->gap_tol, &open, &sg, &Q1))) return st;
                nd->sphere_gap = sg; /* of the surface now used */
            }
            nd->isolated = open;
            if (open || opts->radius > 0 || RADIUS_GROW * nd->radius > rmax * (1 + 1e-12)) break;
            nd->radius *= RADIUS_GROW;
        }
        nd->ellipsoid = sf.ellipsoid;
        /* meshes doubled until two agree and every plaquette phase is below FHS_PHASE_MAX */
        while (nd->isolated) {
            int nset;
            if ((st = surf_flux(&c, &sf, QUAD_GROW(nth), S->gap_tol, &Q2, &P2, &gmin, &gmax, at, &nset))) return st;
            nth = QUAD_GROW(nth);
            nd->sphere_gap = fmin(nd->sphere_gap, gmin);
            int ok = fabs(Q2 - Q1) < opts->qtol && P2 < FHS_PHASE_MAX; /* false for NaN */
            if (ok || QUAD_GROW(nth) > QUAD_MAX_FACTOR * opts->nquad) {
                nd->flux = Q2;
                nd->flux_err = fabs(Q2 - Q1);
                nd->max_phase = P2;
                nd->resolved = ok;
                nd->nquad = nth;
                nd->chirality = isfinite(Q2) ? (int)lround(Q2) : 0;
                break;
            }
            Q1 = Q2;
        }
    }
    if (!nd->isolated) { /* one point of an extended set: no chirality */
        nd->chirality = 0;
        nd->flux = nd->flux_err = nd->max_phase = NAN;
        nd->resolved = 0;
        nd->k_err = nd->energy_err = NAN;
        nd->nquad = 0;
    }
    return QKT_OK;
}

/* 6b. orbits: touchings related by an operation (an image within SYM_ORBIT
 * spacings) are joined (orbit = the smallest index of the orbit in the list);
 * an image whose touching has a chirality other than det(R) x the touching's
 * counts against it (sym_mismatch) */
static int orbit_root(const qkt_node_t *list, int i)
{
    while (list[i].orbit != i) i = list[i].orbit;
    return i;
}

static void assign_orbits(search_t *S)
{
    qkt_node_t *list = S->list;
    double hmin = S->g.hmin;
    for (int i = 0; i < S->nlist; i++) list[i].orbit = i;
    for (int i = 0; i < S->nlist; i++) {
        if (!list[i].isolated) continue;
        for (int o = 0; o < S->opts->nsym; o++) {
            double kp[3], best = INFINITY;
            sym_image(S, o, list[i].k, kp);
            int jb = -1;
            for (int j = 0; j < S->nlist; j++) {
                if (!list[j].isolated || list[j].band != list[i].band) continue;
                double d = kdist(S->m, list[j].k, kp);
                if (d < best) best = d, jb = j;
            }
            if (jb < 0 || best > SYM_ORBIT * hmin) { /* no touching of the pair at the image */
                list[i].sym_mismatch++;
                continue;
            }
            int want = det3x3(S->opts->symR[o]) > 0 ? list[i].chirality : -list[i].chirality;
            if (list[jb].chirality != want) list[i].sym_mismatch++;
            int ri = orbit_root(list, i), rj = orbit_root(list, jb);
            if (ri < rj) list[rj].orbit = ri;
            else if (rj < ri) list[ri].orbit = rj;
        }
    }
    for (int i = 0; i < S->nlist; i++) list[i].orbit = orbit_root(list, i);
}

/* 6 for every touching, in parallel (distances to the neighbours first) */
static qkt_status_t chirality_one(const search_t *S, qkt_bands_t *tb, int i, void *ctx)
{
    return node_chirality(S, tb, &S->list[i], ((const double *)ctx)[i]);
}

static qkt_status_t all_chiralities(search_t *S)
{
    int nl = S->nlist;
    double *dnn = malloc(sizeof *dnn * (nl > 0 ? nl : 1));
    if (!dnn) return qkt_error(QKT_ENOMEM, "out of memory (nodes)");
    for (int i = 0; i < nl; i++) dnn[i] = nearest(S, i);
    qkt_status_t st = parallel_items(S, nl, chirality_one, dnn);
    free(dnn);
    return st;
}

/* 7. one entry per band pair for an extended degeneracy; sorted output, the
 * orbits renumbered to output positions; in_window from the energy */
typedef struct {
    qkt_node_t nd;
    int orig;
} sorted_t;

static int sorted_cmp(const void *pa, const void *pb)
{
    const sorted_t *a = pa, *b = pb;
    int c = node_cmp(&a->nd, &b->nd);
    return c ? c : (a->orig > b->orig) - (a->orig < b->orig);
}

static qkt_status_t write_nodes(search_t *S, qkt_node_t *nodes, int max, int *n)
{
    qkt_node_t *list = S->list;
    int nl = S->nlist, w = 0;
    sorted_t *t = malloc(sizeof *t * (nl > 0 ? nl : 1));
    int *pos = malloc(sizeof *pos * (nl > 0 ? nl : 1));
    if (!t || !pos) {
        free(t);
        free(pos);
        return qkt_error(QKT_ENOMEM, "out of memory (nodes)");
    }
    for (int i = 0; i < nl; i++) {
        int keep = 1;
        if (!list[i].isolated)
            for (int j = 0; j < w && keep; j++)
                if (!t[j].nd.isolated && t[j].nd.band == list[i].band) keep = 0;
        pos[i] = -1;
        if (keep) {
            t[w].nd = list[i];
            t[w++].orig = i;
        }
    }
    if (w > 1) qsort(t, w, sizeof *t, sorted_cmp);
    /* pos[orig]: output position; then pos[root]: the first output position of its orbit */
    for (int i = 0; i < w; i++) pos[t[i].orig] = i;
    for (int i = 0; i < w; i++) {
        int r = t[i].nd.orbit;
        if (r != t[i].orig && pos[r] >= 0 && i < pos[r]) pos[r] = i;
    }
    for (int i = 0; i < w && i < max; i++) {
        nodes[i] = t[i].nd;
        int r = pos[nodes[i].orbit];
        nodes[i].orbit = r >= 0 ? r : i;
        nodes[i].in_window = nodes[i].energy >= S->opts->emin && nodes[i].energy <= S->opts->emax;
    }
    *n = w;
    free(t);
    free(pos);
    return QKT_OK;
}

/* Steps 0-7 above, in order. */
static qkt_status_t search_run(search_t *S)
{
    qkt_status_t st;
    if ((st = search_setup(S)) || S->npair == 0) return st;
    if ((st = scan_gaps(S))) return st;
    select_pairs(S);
    if (S->npair == 0) return QKT_OK;
    if ((st = predict_crossings(S))) return st;
    if ((st = pick_starts(S))) return st;
    if ((st = descend_all(S))) return st;
    double r0 = S->opts->radius > 0 ? S->opts->radius : RADIUS_SPACING * S->g.hmin;
    if ((st = take_all(S, r0))) return st;
    if (S->opts->nsym > 0 && (st = sym_complete(S, r0))) return st;
    set_radii(S, r0);
    if ((st = all_chiralities(S))) return st;
    assign_orbits(S);
    return QKT_OK;
}

/* the checks of every band pair of the model from the sorted output */
static void pair_report(const search_t *S, const qkt_node_t *nodes, int n, qkt_node_pair_t *pairs, int max_pairs,
                        int *npairs)
{
    const qkt_model_t *m = S->m;
    int np = 0;
    for (int bl = 0; bl < m->nblock; bl++)
        for (int i = m->block_off[bl]; i + 1 < m->block_off[bl + 1]; i++, np++) {
            if (np >= max_pairs) continue;
            qkt_node_pair_t *P = &pairs[np];
            memset(P, 0, sizeof *P);
            P->band = i;
            P->block = bl;
            P->e_lo = P->e_hi = NAN;
            int p = pair_of(S, i);
            P->searched = p >= 0;
            if (p >= 0) {
                P->e_lo = S->erange[2 * p + 1];
                P->e_hi = S->erange[2 * p];
                for (int q = 0; q < S->next; q++) {
                    if (S->ext[q].pair != p) continue;
                    if (P->nline < QKT_NODE_LINE_MAX) memcpy(P->line_k[P->nline++], S->ext[q].k, sizeof P->line_k[0]);
                    P->nline_total++;
                }
            }
            for (int j = 0; j < n; j++) {
                const qkt_node_t *q = &nodes[j];
                if (q->band != i) continue;
                if (!q->isolated) {
                    P->nextended = 1;
                    continue;
                }
                P->nnode++;
                P->nwindow += q->in_window;
                P->chirality_sum += q->chirality;
                P->unresolved += !q->resolved;
                P->sym_mismatch += q->sym_mismatch;
            }
        }
    *npairs = np;
}

qkt_status_t qkt_find_nodes_report(const qkt_model_t *m, const qkt_node_opts_t *opts, qkt_node_t *nodes, int max,
                                   int *n, qkt_node_pair_t *pairs, int max_pairs, int *npairs)
{
    qkt_node_opts_t od;
    qkt_blas_serial();
    if (!opts) {
        qkt_node_opts_default(&od);
        opts = &od;
    }
    if (!m || !n || max < 0 || (max > 0 && !nodes) || max_pairs < 0 || (max_pairs > 0 && !pairs) || (pairs && !npairs))
        return qkt_error(QKT_EINVAL, "qkt_find_nodes: invalid arguments");
    *n = 0;
    if (npairs) *npairs = 0;
    qkt_status_t st = check_opts(opts);
    if (st) return st;
    if (m->dim != 3) return QKT_OK; /* nodes are points of a 3D band structure */

    /* The search reads the model without its position matrix (the tight-binding
     * convention): a node's position, energy and chirality (an integer flux
     * through a closed surface) do not depend on it, and it is most of the cost
     * of every evaluation of a Wannier model's curvature. */
    qkt_model_t mt = *m;
    mt.awk = NULL;
    mt.awk_ws = NULL;
    mt.destroy = NULL;
    search_t S = {.m = &mt, .opts = opts, .nb = m->nb};
    st = search_run(&S);
    qkt_node_t *all = NULL;
    int nall = 0;
    if (!st && pairs) {
        /* the checks need every touching, also those beyond max */
        all = malloc(sizeof *all * (S.nlist > 0 ? S.nlist : 1));
        if (!all) st = qkt_error(QKT_ENOMEM, "out of memory (nodes)");
    }
    if (!st) st = write_nodes(&S, all ? all : nodes, all ? S.nlist : max, all ? &nall : n);
    if (!st && all) {
        if (max > 0) memcpy(nodes, all, sizeof *all * (size_t)(nall < max ? nall : max));
        *n = nall;
        pair_report(&S, all, nall, pairs, max_pairs, npairs);
    }
    free(all);
    search_free(&S);
    return st;
}

qkt_status_t qkt_find_nodes(const qkt_model_t *m, const qkt_node_opts_t *opts, qkt_node_t *nodes, int max, int *n)
{
    return qkt_find_nodes_report(m, opts, nodes, max, n, NULL, 0, NULL);
}

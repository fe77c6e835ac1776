/* nodes.c - Weyl nodes: touching points of adjacent bands, from a gap scan and a Newton
 * (Levenberg-Marquardt) descent on the pair's 2x2 block; chirality Q = -(1/2pi) oint
 * Omega^{n+1}.dS through an ellipsoid around the node, the flux form of Eq. (3). */
#include <float.h>
#include <lapacke.h>
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
#define OPT_NQUAD_MAX 512  /* doubled twice: 2048 x 4096 surface points at most */

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

/* Gauss-Legendre nodes (gauss_legendre) */
#define GL_MAXIT 100       /* a cap; Newton from the asymptotic guess needs a few */
#define GL_TOL 1e-16       /* Newton correction below double precision of z in [-1, 1] */

/* the flux surface (surf_make, surf_thr, surf_flux, surf_open) */
#define ELLIPSOID_MIN_GAP 100 /* ellipsoid only when its gap 2 rho >= this x gap_tol, else a sphere */
#define SURF_THR_ELLIPSOID 10 /* surface gap below this x gap_tol: touching there (ellipsoid, gap uniform) */
#define SURF_THR_SPHERE 100   /* the same on a sphere, where the gap varies over the surface */
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
#define QUAD_MAX_FACTOR 4     /* flux quadrature doubled up to this x nquad (qkt.h) */
#define LIST_CAP0 16          /* first capacity of the growing node lists */

void qkt_node_opts_default(qkt_node_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->grid = 24;
    o->tol = 1e-8;
    o->radius = 0;
    o->nquad = 12;
    o->qtol = 1e-6;
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
    qkt_status_t s = qkt_bands_compute(c->b, c->m, k, QKT_BANDS_ENERGY);
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
        if (len <= LM_STEP_EPS * DBL_EPSILON * (norm3(k) + maxstep)) break;
    }
    memcpy(out->k, k, sizeof out->k);
    out->g = g;
    out->emid = 0.5 * (c->b->eps[c->lo] + c->b->eps[c->hi]);
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

/* Gauss-Legendre nodes and weights on [-1, 1] (Newton iteration on P_n). */
static void gauss_legendre(int n, double *x, double *w)
{
    for (int i = 0; i < n; i++) {
        double z = cos(M_PI * (i + 0.75) / (n + 0.5)), pp = 1;
        for (int it = 0; it < GL_MAXIT; it++) {
            double p1 = 1, p2 = 0;
            for (int j = 1; j <= n; j++) {
                double p3 = p2;
                p2 = p1;
                p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
            }
            pp = n * (z * p1 - p2) / (z * z - 1);
            double dz = p1 / pp;
            z -= dz;
            if (fabs(dz) < GL_TOL) break;
        }
        x[i] = z;
        w[i] = 2 / ((1 - z * z) * pp * pp);
    }
}

/* The closed surface of the flux: k = c + M n over the unit sphere n.  Around a
 * linear node d(k0+q) = J q it is the ellipsoid M = rho J^-1, rho = r s_min(J), on
 * which the pair's gap is 2 rho everywhere and the Berry flux is spread evenly;
 * it lies inside the sphere of radius r.  When J is (nearly) singular (2 rho <
 * ELLIPSOID_MIN_GAP gap_tol), the sphere M = r 1.  N = |det M| M^-T gives the outward surface
 * element dS = N n dcos(theta) dphi. */
typedef struct {
    double c[3], M[3][3], N[3][3];
    int ellipsoid;
} surf_t;

/* Below this gap on the surface the bands count as touching there too: SURF_THR_REL
 * of the largest gap on it, and at least SURF_THR_ELLIPSOID gap_tol on an ellipsoid
 * (where the linear model predicts one uniform gap) or SURF_THR_SPHERE gap_tol on a
 * sphere. */
static double surf_thr(const surf_t *sf, double gap_tol, double gmax)
{
    return fmax((sf->ellipsoid ? SURF_THR_ELLIPSOID : SURF_THR_SPHERE) * gap_tol, SURF_THR_REL * gmax);
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
        /* M = rho J^-1 (adjugate / det), N = |det M| M^-T = (rho^2 / |det J|) J^T */
        double adj[3][3];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                int a1 = (b + 1) % 3, a2 = (b + 2) % 3, b1 = (a + 1) % 3, b2 = (a + 2) % 3;
                adj[a][b] = J[a1][b1] * J[a2][b2] - J[a1][b2] * J[a2][b1];
            }
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                sf->M[a][b] = rho * adj[a][b] / det;
                sf->N[a][b] = rho * rho / fabs(det) * J[b][a];
            }
        sf->ellipsoid = 1;
    } else {
        for (int a = 0; a < 3; a++) {
            sf->M[a][a] = r;
            sf->N[a][a] = r * r;
        }
    }
}

/* Q = -(1/2pi) oint Omega^{hi}.dS over the surface: Gauss-Legendre in cos(theta)
 * (nth points) times the midpoint rule in phi (2 nth points), points evaluated in
 * parallel and summed in a fixed order.  Also the smallest and largest gap of the
 * pair on the points, and where the smallest is (theta, phi). */
static qkt_status_t surf_flux(const pctx_t *c, const surf_t *sf, int nth, double *Q, double *gmin,
                              double *gmax, double at[2])
{
    int nph = 2 * nth, nb = c->m->nb;
    long np = (long)nth * nph;
    double *u = malloc((2 * (size_t)nth + 2 * (size_t)np) * sizeof *u);
    if (!u) return qkt_error(QKT_ENOMEM, "out of memory (flux quadrature)");
    double *w = u + nth, *on = w + nth, *gp = on + np, sum = 0;
    gauss_legendre(nth, u, w);
    qkt_status_t st = QKT_OK;
    char msg[1024] = "";
#pragma omp parallel if (np >= FLUX_PARALLEL_MIN)
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
            double ct = u[i / nph], sn = sqrt(fmax(0, 1 - ct * ct)), ph = 2 * M_PI * (i % nph + 0.5) / nph;
            double n[3] = {sn * cos(ph), sn * sin(ph), ct}, k[3], dS[3];
            for (int a = 0; a < 3; a++) {
                k[a] = sf->c[a] + sf->M[a][0] * n[0] + sf->M[a][1] * n[1] + sf->M[a][2] * n[2];
                dS[a] = sf->N[a][0] * n[0] + sf->N[a][1] * n[1] + sf->N[a][2] * n[2];
            }
            qkt_status_t s = qkt_bands_compute(tb, c->m, k, QKT_BANDS_GEOMETRY);
            if (s) {
#pragma omp critical(qkt_nodes_sphere)
                if (!st) {
                    st = s;
                    snprintf(msg, sizeof msg, "%s", qkt_strerror());
                }
                continue;
            }
            gp[i] = tb->eps[c->hi] - tb->eps[c->lo];
            on[i] = 0;
            for (int a = 0; a < 3; a++) on[i] += tb->Omega[a * nb + c->hi] * dS[a];
        }
        qkt_bands_free(tb);
    }
    if (st) {
        free(u);
        return qkt_error(st, "%s", msg);
    }
    *gmin = INFINITY;
    *gmax = 0;
    for (long i = 0; i < np; i++) {
        if (gp[i] < *gmin) {
            *gmin = gp[i];
            at[0] = acos(u[i / nph]);
            at[1] = 2 * M_PI * (i % nph + 0.5) / nph;
        }
        *gmax = fmax(*gmax, gp[i]);
        sum += w[i / nph] * (2 * M_PI / nph) * on[i];
    }
    free(u);
    *Q = -sum / (2 * M_PI);
    if (!isfinite(*Q))
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
    return QKT_OK;
}

/* Does the pair's gap stay open on the surface around the touching?  The gap
 * is sampled on the first quadrature and minimized on the surface from the
 * lowest sample; below surf_thr() the bands (nearly) touch on the surface too:
 * an extended degeneracy. */
static qkt_status_t surf_open(pctx_t *c, const surf_t *sf, int nth, double gap_tol, int *open, double *sgap)
{
    double Q, gmin, gmax, at[2] = {0, 0};
    qkt_status_t s = surf_flux(c, sf, nth, &Q, &gmin, &gmax, at);
    if (s) return s;
    double thr = surf_thr(sf, gap_tol, gmax);
    map_t mp = {2, {sf->c[0], sf->c[1], sf->c[2]}, {{0}}};
    memcpy(mp.M, sf->M, sizeof mp.M);
    double r = 0;
    for (int a = 0; a < 3; a++) r = fmax(r, norm3(sf->M[a]));
    lm_out_t lo;
    if (gmin > thr && (s = lm_descend(c, &mp, at, r, SURF_LM_FLOOR * thr, SURF_LM_MAXIT, &lo))) return s;
    *sgap = gmin > thr ? fmin(gmin, lo.g) : gmin;
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
    for (int bl = 0; bl < m->nblock; bl++)
        for (int i = m->block_off[bl]; i + 1 < m->block_off[bl + 1]; i++) S->pairs[S->npair++] = i;
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
    if (!S->gaps || !S->qlen || !S->Lg)
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
    double emin = INFINITY, emax = -INFINITY;
#pragma omp parallel reduction(min : emin) reduction(max : emax)
    {
        qkt_bands_t *tb = qkt_bands_alloc(nb);
        if (!tb) {
#pragma omp critical(qkt_nodes_err)
            keep_first_error(&st, S->msg, sizeof S->msg, QKT_ENOMEM);
        }
#pragma omp for schedule(dynamic, 64)
        for (long ip = 0; ip < (long)npt; ip++) {
            if (!tb || st) continue;
            double k[3];
            grid_point(g, ip, k);
            qkt_status_t s = qkt_bands_compute(tb, m, k, QKT_BANDS_ENERGY);
            if (s) {
#pragma omp critical(qkt_nodes_err)
                keep_first_error(&st, S->msg, sizeof S->msg, s);
                continue;
            }
            for (int i = 0; i < nb; i++) {
                emin = fmin(emin, tb->eps[i]);
                emax = fmax(emax, tb->eps[i]);
            }
            for (int p = 0; p < npair; p++) gaps[(size_t)p * npt + ip] = tb->eps[pairs[p] + 1] - tb->eps[pairs[p]];
        }
        qkt_bands_free(tb);
    }
    if (st) return qkt_error(st, "%s", S->msg);
    double escale = emax - emin;
    if (!(escale > 0)) escale = 1;
    S->escale = escale;
    S->gap_tol = S->opts->tol * escale;
    return QKT_OK;
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
    double *Lg = S->Lg;
    float *qlen = S->qlen;
    for (int p = 0; p < npair; p++) {
        const double *G = gaps + (size_t)p * npt;
        for (size_t ip = 0; ip < npt; ip++)
            for (int a = 0; a < 3; a++) {
                int d[3] = {a == 0, a == 1, a == 2};
                long j = grid_shift(g, ip, d);
                if (j >= 0) Lg[p] = fmax(Lg[p], fabs(G[j] - G[ip]) / g->h[a]);
            }
    }
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

/* 4a. descend from every starting point (in parallel) */
static qkt_status_t descend_all(search_t *S)
{
    const qkt_model_t *m = S->m;
    const grid_t *g = &S->g;
    int nb = S->nb, ncand = S->ncand;
    S->res = malloc(sizeof *S->res * (ncand > 0 ? ncand : 1));
    S->b = qkt_bands_alloc(nb);
    if (!S->res || !S->b) return qkt_error(QKT_ENOMEM, "out of memory (node descents)");
    S->b->degen_tol = DEGEN_REL * S->gap_tol;
    const cand_t *cand = S->cand;
    const int *pairs = S->pairs;
    lm_out_t *res = S->res;
    double degen_tol = S->b->degen_tol, gfloor = GRID_LM_FLOOR * S->gap_tol;
    qkt_status_t st = QKT_OK;
#pragma omp parallel
    {
        qkt_bands_t *tb = qkt_bands_alloc(nb);
        if (tb) {
            tb->degen_tol = degen_tol;
        } else {
#pragma omp critical(qkt_nodes_err)
            keep_first_error(&st, S->msg, sizeof S->msg, QKT_ENOMEM);
        }
#pragma omp for schedule(dynamic, 1)
        for (int ic = 0; ic < ncand; ic++) {
            if (!tb || st) continue;
            int p = cand[ic].pair;
            pctx_t c = {m, tb, pairs[p], pairs[p] + 1};
            double x[3];
            grid_point(g, cand[ic].pt, x);
            map_t mp = {3, {0, 0, 0}, {{0}}};
            qkt_status_t s = lm_descend(&c, &mp, x, GRID_LM_MAXSTEP * g->hmax, gfloor, LM_MAXIT, &res[ic]);
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

/* 4b. the descent from starting point ic, in candidate order: keep a crossing,
 * merge it with a duplicate, test a new one for isolation (surface radius r0) */
static qkt_status_t take_crossing(search_t *S, int ic, double r0)
{
    const qkt_model_t *m = S->m;
    const grid_t *g = &S->g;
    double gap_tol = S->gap_tol;
    int p = S->cand[ic].pair;
    pctx_t c = {m, S->b, S->pairs[p], S->pairs[p] + 1};
    const lm_out_t lo = S->res[ic];
    if (!(lo.g <= gap_tol)) return QKT_OK;
    if (!m->periodic && (fabs(lo.k[0]) > g->L * (1 + BOX_SLACK) || fabs(lo.k[1]) > g->L * (1 + BOX_SLACK) ||
                         fabs(lo.k[2]) > g->L * (1 + BOX_SLACK)))
        return QKT_OK;
    double kf[3];
    memcpy(kf, lo.k, sizeof kf);
    if (m->periodic) {
        double xr[3];
        to_reduced(m, lo.k, xr);
        for (int i = 0; i < 3; i++) xr[i] -= floor(xr[i] + 0.5);
        from_reduced(m, xr, kf);
    }
    /* position error: the step still left plus the roundoff floor of the gap */
    double kerr = lo.kerr + (lo.smin > 0 ? KERR_ROUNDOFF * DBL_EPSILON * S->escale / lo.smin : 0);
    int dup = -1, has_ext = 0;
    for (int q = 0; q < S->nlist; q++) {
        const qkt_node_t *l = &S->list[q];
        if (l->band != c.lo) continue;
        if (!l->isolated) has_ext = 1;
        if (dup < 0 && l->isolated && kdist(m, l->k, kf) <= fmax(DUP_ABS * g->hmin, DUP_REL * (kerr + l->k_err)))
            dup = q;
    }
    if (dup >= 0 && lo.g >= S->list[dup].gap) return QKT_OK;
    qkt_status_t st;
    if (dup < 0) {
        /* next to a point of an extended touching of this pair already seen: part of it */
        int onext = 0;
        for (int q = 0; q < S->next && !onext; q++) onext = S->ext[q].pair == p && kdist(m, S->ext[q].k, kf) <= g->hmax;
        if (onext) return QKT_OK;
        int open;
        double sgap;
        surf_t sf;
        surf_make(&sf, kf, r0, lo.Jk, gap_tol);
        if ((st = surf_open(&c, &sf, S->opts->nquad, gap_tol, &open, &sgap))) return st;
        if (!open) {
            if ((st = ext_add(S, p, kf))) return st;
            if (has_ext) return QKT_OK;
        }
        if ((st = list_add(S, &dup))) return st;
        S->list[dup].isolated = open;
        S->list[dup].sphere_gap = sgap;
        S->list[dup].radius = r0;
    }
    qkt_node_t *nd = &S->list[dup];
    memcpy(nd->k, kf, sizeof nd->k);
    nd->k_err = kerr;
    nd->energy = lo.emid;
    nd->energy_err = 0.5 * lo.g + norm3(lo.ge) * kerr;
    nd->gap = lo.g;
    nd->gap_tol = gap_tol;
    nd->band = c.lo;
    nd->block = band_block(m, c.lo);
    return QKT_OK;
}

/* 5. surface size: well inside the distance to every other touching of the block */
static void set_radii(search_t *S)
{
    qkt_node_t *list = S->list;
    for (int i = 0; i < S->nlist; i++) {
        if (!list[i].isolated) continue;
        double dnn = INFINITY;
        for (int j = 0; j < S->nlist; j++)
            if (j != i && list[j].block == list[i].block) dnn = fmin(dnn, kdist(S->m, list[i].k, list[j].k));
        list[i].radius = S->opts->radius > 0 ? S->opts->radius
                                             : fmin(RADIUS_SPACING * S->g.hmin, RADIUS_NEIGHBOR * dnn);
    }
}

/* 6. chirality of one touching: quadrature doubled until two agree to qtol (at
 * most QUAD_MAX_FACTOR nquad); a touching whose surface gap closes is extended */
static qkt_status_t node_chirality(search_t *S, qkt_node_t *nd)
{
    const qkt_node_opts_t *opts = S->opts;
    if (nd->isolated) {
        pctx_t c = {S->m, S->b, nd->band, nd->band + 1};
        int nth = opts->nquad;
        double Q1, Q2, gmin, gmax, at[2], gg, d0[3], Jk[3][3], ge[3];
        surf_t sf;
        qkt_status_t st;
        if ((st = pair_model(&c, nd->k, &gg, d0, Jk, ge))) return st;
        surf_make(&sf, nd->k, nd->radius, Jk, S->gap_tol);
        if ((st = surf_flux(&c, &sf, nth, &Q1, &gmin, &gmax, at))) return st;
        nd->ellipsoid = sf.ellipsoid;
        nd->sphere_gap = fmin(nd->sphere_gap, gmin);
        nd->isolated = gmin > surf_thr(&sf, S->gap_tol, gmax);
        while (nd->isolated) {
            if ((st = surf_flux(&c, &sf, 2 * nth, &Q2, &gmin, &gmax, at))) return st;
            nth *= 2;
            nd->sphere_gap = fmin(nd->sphere_gap, gmin);
            if (fabs(Q2 - Q1) < opts->qtol || nth >= QUAD_MAX_FACTOR * opts->nquad) {
                nd->flux = Q2;
                nd->flux_err = fabs(Q2 - Q1);
                nd->nquad = nth;
                nd->chirality = (int)lround(Q2);
                break;
            }
            Q1 = Q2;
        }
    }
    if (!nd->isolated) { /* one point of an extended set: no chirality */
        nd->chirality = 0;
        nd->flux = nd->flux_err = NAN;
        nd->k_err = nd->energy_err = NAN;
        nd->nquad = 0;
    }
    return QKT_OK;
}

/* 7. one entry per band pair for an extended degeneracy; sorted output */
static void write_nodes(search_t *S, qkt_node_t *nodes, int max, int *n)
{
    qkt_node_t *list = S->list;
    int w = 0;
    for (int i = 0; i < S->nlist; i++) {
        int keep = 1;
        if (!list[i].isolated)
            for (int j = 0; j < w && keep; j++)
                if (!list[j].isolated && list[j].band == list[i].band) keep = 0;
        if (keep) list[w++] = list[i];
    }
    S->nlist = w;
    if (S->nlist > 1) qsort(list, S->nlist, sizeof *list, node_cmp);
    for (int i = 0; i < S->nlist && i < max; i++) nodes[i] = list[i];
    *n = S->nlist;
}

/* Steps 0-7 above, in order. */
static qkt_status_t search_run(search_t *S, qkt_node_t *nodes, int max, int *n)
{
    qkt_status_t st;
    if ((st = search_setup(S)) || S->npair == 0) return st;
    if ((st = scan_gaps(S))) return st;
    if ((st = predict_crossings(S))) return st;
    if ((st = pick_starts(S))) return st;
    if ((st = descend_all(S))) return st;
    double r0 = S->opts->radius > 0 ? S->opts->radius : RADIUS_SPACING * S->g.hmin;
    for (int ic = 0; ic < S->ncand; ic++)
        if ((st = take_crossing(S, ic, r0))) return st;
    set_radii(S);
    for (int i = 0; i < S->nlist; i++)
        if ((st = node_chirality(S, &S->list[i]))) return st;
    write_nodes(S, nodes, max, n);
    return QKT_OK;
}

qkt_status_t qkt_find_nodes(const qkt_model_t *m, const qkt_node_opts_t *opts, qkt_node_t *nodes, int max, int *n)
{
    qkt_node_opts_t od;
    qkt_blas_serial();
    if (!opts) {
        qkt_node_opts_default(&od);
        opts = &od;
    }
    if (!m || !n || max < 0 || (max > 0 && !nodes)) return qkt_error(QKT_EINVAL, "qkt_find_nodes: invalid arguments");
    *n = 0;
    qkt_status_t st = check_opts(opts);
    if (st) return st;
    if (m->dim != 3) return QKT_OK; /* nodes are points of a 3D band structure */

    search_t S = {.m = m, .opts = opts, .nb = m->nb};
    st = search_run(&S, nodes, max, n);
    search_free(&S);
    return st;
}

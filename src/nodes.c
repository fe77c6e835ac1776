/* nodes.c - Weyl nodes: the touching points of adjacent bands n, n+1 of one block,
 * from a grid scan of the gap and a Levenberg-Marquardt descent on the pair's 2x2
 * block, d(k+q) = d(k) + J q with H_pair = c0 + d.sigma and J from the exact
 * velocity matrices; the chirality is the Berry flux of band n+1 through a small
 * sphere, Q = -(1/2pi) oint Omega^{n+1}.dS, the flux form of Eq. (3) of the paper. */
#include <float.h>
#include <lapacke.h>
#include <stdlib.h>
#include "qkt_internal.h"

#define MAX_CAND_PER_PAIR 256 /* grid minima refined per band pair, lowest gaps first */
#define LM_MAXIT 100

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

static qkt_status_t pair_gap(pctx_t *c, const double k[3], double *g)
{
    qkt_status_t s = qkt_bands_compute(c->b, c->m, k, QKT_BANDS_ENERGY);
    if (s) return s;
    *g = c->b->eps[c->hi] - c->b->eps[c->lo];
    return QKT_OK;
}

/* The pair's block in the eigenbasis at k, to first order in q:
 * H(k+q) = diag(eps_lo, eps_hi) + q.v, written as c0 + d.sigma with
 * d = (d_z, d_x, d_y) = d0 + Jk q.  Also the gradient of the mid energy c0. */
static qkt_status_t pair_model(pctx_t *c, const double k[3], double *g, double d0[3],
                               double Jk[3][3], double ge[3])
{
    qkt_status_t s = qkt_bands_compute(c->b, c->m, k, QKT_BANDS_GEOMETRY);
    if (s) return s;
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
    return QKT_OK;
}

/* Search coordinates x -> k and the Jacobian K = dk/dx (3 x p):
 * p = 3, k = x; p = 2, the sphere k = c + r n(theta, phi). */
typedef struct {
    int p;
    double c[3], r;
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
    double st = sin(x[0]), ct = cos(x[0]), sp = sin(x[1]), cp = cos(x[1]), r = mp->r;
    k[0] = mp->c[0] + r * st * cp;
    k[1] = mp->c[1] + r * st * sp;
    k[2] = mp->c[2] + r * ct;
    K[0][0] = r * ct * cp;
    K[1][0] = r * ct * sp;
    K[2][0] = -r * st;
    K[0][1] = -r * st * sp;
    K[1][1] = r * st * cp;
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
    double smin;   /* smallest singular value of Jk at the end */
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
    for (int i = 0; i < p; i++) A[i][i] += (lam + 1e-14) * tr;
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
 * helps, or after maxit steps. */
static qkt_status_t lm_descend(pctx_t *c, const map_t *mp, double *x, double maxstep, double gfloor,
                               int maxit, lm_out_t *out)
{
    int p = mp->p;
    double k[3], K[3][3], Jk[3][3], d0[3], g, lam = 0;
    map_eval(mp, x, k, K);
    qkt_status_t s = pair_model(c, k, &g, d0, Jk, out->ge);
    if (s) return s;
    for (int it = 0; it < maxit && g > gfloor; it++) {
        int accepted = 0;
        double xn[3], kn[3], Kn[3][3], gn = g, len = 0;
        for (int tries = 0; tries < 20 && !accepted; tries++) {
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
                lam = lam == 0 ? 1e-6 : lam * 10;
        }
        if (!accepted) break;
        lam = lam > 1e-9 ? lam / 10 : 0;
        for (int j = 0; j < p; j++) x[j] = xn[j];
        map_eval(mp, x, k, K);
        if ((s = pair_model(c, k, &g, d0, Jk, out->ge))) return s;
        if (len <= 4 * DBL_EPSILON * (norm3(k) + maxstep)) break;
    }
    memcpy(out->k, k, sizeof out->k);
    out->g = g;
    out->emid = 0.5 * (c->b->eps[c->lo] + c->b->eps[c->hi]);
    /* what is left: the undamped Gauss-Newton step in k, and the conditioning */
    double dx[3], dk[3], I3[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    out->kerr = lm_step(3, Jk, I3, d0, 0, dx, dk) ? norm3(dk) : INFINITY;
    double JtJ[9] = {0}, ev[3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int l = 0; l < 3; l++) JtJ[3 * i + j] += Jk[l][i] * Jk[l][j];
    out->smin = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', 3, JtJ, 3, ev) == 0 ? sqrt(fmax(ev[0], 0)) : 0;
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
        for (int it = 0; it < 100; it++) {
            double p1 = 1, p2 = 0;
            for (int j = 1; j <= n; j++) {
                double p3 = p2;
                p2 = p1;
                p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
            }
            pp = n * (z * p1 - p2) / (z * z - 1);
            double dz = p1 / pp;
            z -= dz;
            if (fabs(dz) < 1e-16) break;
        }
        x[i] = z;
        w[i] = 2 / ((1 - z * z) * pp * pp);
    }
}

/* Q = -(1/2pi) oint Omega^{hi}.dS over the sphere |k - k0| = r: Gauss-Legendre
 * in cos(theta) (nth points) times the midpoint rule in phi (2 nth points).
 * Also the smallest and largest gap of the pair on the points, and where the
 * smallest is (theta, phi). */
static qkt_status_t sphere_flux(pctx_t *c, const double k0[3], double r, int nth, double *Q,
                                double *gmin, double *gmax, double at[2])
{
    double *u = malloc(2 * (size_t)nth * sizeof *u);
    if (!u) return qkt_error(QKT_ENOMEM, "out of memory (sphere quadrature)");
    double *w = u + nth, sum = 0;
    gauss_legendre(nth, u, w);
    int nph = 2 * nth, nb = c->m->nb;
    *gmin = INFINITY;
    *gmax = 0;
    for (int it = 0; it < nth; it++) {
        double ct = u[it], st = sqrt(fmax(0, 1 - ct * ct));
        for (int ip = 0; ip < nph; ip++) {
            double ph = 2 * M_PI * (ip + 0.5) / nph;
            double n[3] = {st * cos(ph), st * sin(ph), ct}, k[3];
            for (int a = 0; a < 3; a++) k[a] = k0[a] + r * n[a];
            qkt_status_t s = qkt_bands_compute(c->b, c->m, k, QKT_BANDS_GEOMETRY);
            if (s) {
                free(u);
                return s;
            }
            double g = c->b->eps[c->hi] - c->b->eps[c->lo];
            if (g < *gmin) {
                *gmin = g;
                at[0] = acos(ct);
                at[1] = ph;
            }
            *gmax = fmax(*gmax, g);
            double on = 0;
            for (int a = 0; a < 3; a++) on += c->b->Omega[a * nb + c->hi] * n[a];
            sum += w[it] * (2 * M_PI / nph) * r * r * on;
        }
    }
    free(u);
    *Q = -sum / (2 * M_PI);
    if (!isfinite(*Q)) return qkt_error(QKT_ENUM, "non-finite Berry flux on the sphere of radius %g around "
                                        "k = (%g, %g, %g)", r, k0[0], k0[1], k0[2]);
    return QKT_OK;
}

/* ------------------------------------------------------------------ the search */
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

typedef struct {
    int pair, pt;
    double g;
} cand_t;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand_t *a = pa, *b = pb;
    if (a->pair != b->pair) return a->pair < b->pair ? -1 : 1;
    if (a->g != b->g) return a->g < b->g ? -1 : 1;
    return a->pt < b->pt ? -1 : a->pt > b->pt;
}

static qkt_status_t check_opts(const qkt_node_opts_t *o)
{
    if (o->grid < 4 || o->grid > 256) return qkt_error(QKT_EINVAL, "node search grid must be in [4, 256], got %d", o->grid);
    if (!(o->tol > 0 && o->tol <= 1e-2)) return qkt_error(QKT_EINVAL, "node gap tolerance must be in (0, 1e-2], got %g", o->tol);
    if (!(o->radius >= 0) || !isfinite(o->radius))
        return qkt_error(QKT_EINVAL, "chirality sphere radius must be >= 0 (0: automatic), got %g", o->radius);
    if (o->nquad < 2 || o->nquad > 512) return qkt_error(QKT_EINVAL, "node quadrature points must be in [2, 512], got %d", o->nquad);
    if (!(o->qtol > 0) || !isfinite(o->qtol)) return qkt_error(QKT_EINVAL, "node quadrature tolerance must be > 0, got %g", o->qtol);
    return QKT_OK;
}

qkt_status_t qkt_find_nodes(const qkt_model_t *m, const qkt_node_opts_t *opts, qkt_node_t *nodes, int max, int *n)
{
    qkt_node_opts_t od;
    if (!opts) {
        qkt_node_opts_default(&od);
        opts = &od;
    }
    if (!m || !n || max < 0 || (max > 0 && !nodes)) return qkt_error(QKT_EINVAL, "qkt_find_nodes: invalid arguments");
    *n = 0;
    qkt_status_t st = check_opts(opts);
    if (st) return st;
    if (m->dim != 3) return QKT_OK; /* nodes are points of a 3D band structure */

    int N = opts->grid, nb = m->nb;
    size_t npt = (size_t)N * N * N;
    int npair = 0;
    double *gaps = NULL;
    cand_t *cand = NULL;
    qkt_node_t *list = NULL;
    qkt_bands_t *b = NULL;
    int nlist = 0, caplist = 0, ncand = 0;
    /* pairs of adjacent bands within a block */
    int *pairs = malloc(sizeof(int) * (nb > 1 ? nb : 1));
    if (!pairs) return qkt_error(QKT_ENOMEM, "out of memory (node search)");
    for (int bl = 0; bl < m->nblock; bl++)
        for (int i = m->block_off[bl]; i + 1 < m->block_off[bl + 1]; i++) pairs[npair++] = i;
    if (npair == 0) goto done;

    /* region and spacing */
    double L = m->kcut, h;
    if (m->periodic) {
        h = INFINITY;
        for (int i = 0; i < 3; i++) h = fmin(h, norm3(m->bvec[i]) / N);
    } else {
        if (!(L > 0)) {
            st = qkt_error(QKT_EINVAL, "model %s: no k-space box (kcut = %g) to search for nodes", m->info->name, L);
            goto done;
        }
        h = 2 * L / N;
    }

    /* 1. gap of every pair on the grid */
    gaps = malloc(sizeof(double) * npt * npair);
    if (!gaps) {
        st = qkt_error(QKT_ENOMEM, "out of memory (node search grid %d^3 x %d band pairs)", N, npair);
        goto done;
    }
    double emin = INFINITY, emax = -INFINITY;
    char msg[1024] = "";
#pragma omp parallel reduction(min : emin) reduction(max : emax)
    {
        qkt_bands_t *tb = qkt_bands_alloc(nb);
        if (!tb) {
#pragma omp critical(qkt_nodes_err)
            if (!st) {
                st = QKT_ENOMEM;
                snprintf(msg, sizeof msg, "%s", qkt_strerror());
            }
        }
#pragma omp for schedule(dynamic, 64)
        for (long ip = 0; ip < (long)npt; ip++) {
            if (!tb || st) continue;
            int idx[3] = {(int)(ip / ((long)N * N)), (int)((ip / N) % N), (int)(ip % N)};
            double k[3];
            if (m->periodic) {
                double x[3];
                for (int a = 0; a < 3; a++) x[a] = -0.5 + (double)idx[a] / N;
                from_reduced(m, x, k);
            } else {
                for (int a = 0; a < 3; a++) k[a] = -L + (idx[a] + 0.5) * h;
            }
            qkt_status_t s = qkt_bands_compute(tb, m, k, QKT_BANDS_ENERGY);
            if (s) {
#pragma omp critical(qkt_nodes_err)
                if (!st) {
                    st = s;
                    snprintf(msg, sizeof msg, "%s", qkt_strerror());
                }
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
    if (st) {
        st = qkt_error(st, "%s", msg);
        goto done;
    }
    double escale = emax - emin;
    if (!(escale > 0)) escale = 1;
    double gap_tol = opts->tol * escale;

    /* 2. local minima of each pair's gap (ties broken by grid index) */
    cand = malloc(sizeof(cand_t) * (size_t)npair * MAX_CAND_PER_PAIR);
    if (!cand) {
        st = qkt_error(QKT_ENOMEM, "out of memory (node candidates)");
        goto done;
    }
    for (int p = 0; p < npair; p++) {
        const double *G = gaps + (size_t)p * npt;
        int c0 = ncand;
        for (size_t ip = 0; ip < npt; ip++) {
            int ix = (int)(ip / ((size_t)N * N)), iy = (int)((ip / N) % N), iz = (int)(ip % N), ismin = 1;
            for (int s = 0; s < 27 && ismin; s++) {
                if (s == 13) continue;
                int jx = ix + s / 9 - 1, jy = iy + (s / 3) % 3 - 1, jz = iz + s % 3 - 1;
                if (m->periodic) {
                    jx = (jx + N) % N;
                    jy = (jy + N) % N;
                    jz = (jz + N) % N;
                } else if (jx < 0 || jy < 0 || jz < 0 || jx >= N || jy >= N || jz >= N) {
                    continue;
                }
                size_t jp = ((size_t)jx * N + jy) * N + jz;
                if (G[jp] < G[ip] || (G[jp] == G[ip] && jp < ip)) ismin = 0;
            }
            if (!ismin) continue;
            cand_t cd = {p, (int)ip, G[ip]};
            if (ncand - c0 < MAX_CAND_PER_PAIR) {
                cand[ncand++] = cd;
            } else { /* keep the lowest gaps: replace the worst kept one */
                int worst = c0;
                for (int q = c0 + 1; q < ncand; q++)
                    if (cand[q].g > cand[worst].g) worst = q;
                if (cd.g < cand[worst].g) cand[worst] = cd;
            }
        }
    }
    qsort(cand, ncand, sizeof *cand, cand_cmp);

    /* 3. descend from every minimum; keep the crossings, merge duplicates */
    b = qkt_bands_alloc(nb);
    if (!b) {
        st = QKT_ENOMEM;
        goto done;
    }
    b->degen_tol = 1e-3 * gap_tol;
    for (int ic = 0; ic < ncand; ic++) {
        int p = cand[ic].pair;
        pctx_t c = {m, b, pairs[p], pairs[p] + 1};
        int ip = cand[ic].pt, idx[3] = {ip / (N * N), (ip / N) % N, ip % N};
        double x[3];
        map_t mp = {3, {0, 0, 0}, 0};
        if (m->periodic) {
            double xr[3];
            for (int a = 0; a < 3; a++) xr[a] = -0.5 + (double)idx[a] / N;
            from_reduced(m, xr, x);
        } else {
            for (int a = 0; a < 3; a++) x[a] = -L + (idx[a] + 0.5) * h;
        }
        lm_out_t lo;
        if ((st = lm_descend(&c, &mp, x, 2 * h, 1e-6 * gap_tol, LM_MAXIT, &lo))) goto done;
        if (!(lo.g <= gap_tol)) continue;
        if (!m->periodic && (fabs(lo.k[0]) > L * (1 + 1e-9) || fabs(lo.k[1]) > L * (1 + 1e-9) ||
                             fabs(lo.k[2]) > L * (1 + 1e-9)))
            continue;
        double kf[3];
        memcpy(kf, lo.k, sizeof kf);
        if (m->periodic) {
            double xr[3];
            to_reduced(m, lo.k, xr);
            for (int i = 0; i < 3; i++) xr[i] -= floor(xr[i] + 0.5);
            from_reduced(m, xr, kf);
        }
        /* position error: the step still left plus the roundoff floor of the gap */
        double kerr = lo.kerr + (lo.smin > 0 ? 16 * DBL_EPSILON * escale / lo.smin : 0);
        int dup = -1;
        for (int q = 0; q < nlist && dup < 0; q++)
            if (list[q].band == c.lo && kdist(m, list[q].k, kf) <= fmax(1e-4 * h, 10 * (kerr + list[q].k_err))) dup = q;
        if (dup >= 0) {
            if (lo.g >= list[dup].gap) continue;
        } else {
            if (nlist == caplist) {
                int nc = caplist ? 2 * caplist : 16;
                qkt_node_t *nl = realloc(list, sizeof *nl * nc);
                if (!nl) {
                    st = qkt_error(QKT_ENOMEM, "out of memory (nodes)");
                    goto done;
                }
                list = nl;
                caplist = nc;
            }
            dup = nlist++;
        }
        qkt_node_t *nd = &list[dup];
        memset(nd, 0, sizeof *nd);
        memcpy(nd->k, kf, sizeof nd->k);
        nd->k_err = kerr;
        nd->energy = lo.emid;
        nd->energy_err = 0.5 * lo.g + norm3(lo.ge) * kerr;
        nd->gap = lo.g;
        nd->gap_tol = gap_tol;
        nd->band = c.lo;
        nd->block = b->block[c.lo];
        nd->isolated = 1;
    }

    /* 4. sphere radius: well inside the distance to every other touching point of the block */
    for (int i = 0; i < nlist; i++) {
        double dnn = INFINITY;
        for (int j = 0; j < nlist; j++)
            if (j != i && list[j].block == list[i].block) dnn = fmin(dnn, kdist(m, list[i].k, list[j].k));
        list[i].radius = opts->radius > 0 ? opts->radius : fmin(0.1 * h, 0.3 * dnn);
    }

    /* 5. isolation test and chirality */
    for (int i = 0; i < nlist; i++) {
        qkt_node_t *nd = &list[i];
        pctx_t c = {m, b, nd->band, nd->band + 1};
        int nth = opts->nquad;
        double Q1, Q2, gmin, gmax, at[2] = {0, 0}, g2, a2;
        if ((st = sphere_flux(&c, nd->k, nd->radius, nth, &Q1, &gmin, &gmax, at))) goto done;
        /* the smallest gap on the sphere, minimized from the lowest point sampled */
        double thr = fmax(100 * gap_tol, 1e-6 * gmax);
        map_t mp = {2, {nd->k[0], nd->k[1], nd->k[2]}, nd->radius};
        lm_out_t lo;
        if ((st = lm_descend(&c, &mp, at, nd->radius, 0.5 * thr, 30, &lo))) goto done;
        nd->sphere_gap = fmin(gmin, lo.g);
        nd->isolated = nd->sphere_gap > thr;
        if (!nd->isolated) {
            nd->chirality = 0;
            nd->flux = nd->flux_err = NAN;
            nd->nquad = 0;
            continue;
        }
        for (;;) {
            if ((st = sphere_flux(&c, nd->k, nd->radius, 2 * nth, &Q2, &g2, &a2, at))) goto done;
            nth *= 2;
            nd->sphere_gap = fmin(nd->sphere_gap, g2);
            if (fabs(Q2 - Q1) < opts->qtol || nth >= 8 * opts->nquad) break;
            Q1 = Q2;
        }
        nd->flux = Q2;
        nd->flux_err = fabs(Q2 - Q1);
        nd->nquad = nth;
        nd->chirality = (int)lround(Q2);
    }

    /* 6. one entry per band pair for an extended degeneracy */
    int w = 0;
    for (int i = 0; i < nlist; i++) {
        int keep = 1;
        if (!list[i].isolated)
            for (int j = 0; j < w && keep; j++)
                if (!list[j].isolated && list[j].band == list[i].band) keep = 0;
        if (keep) list[w++] = list[i];
    }
    nlist = w;
    qsort(list, nlist, sizeof *list, node_cmp);
    for (int i = 0; i < nlist && i < max; i++) nodes[i] = list[i];
    *n = nlist;

done:
    qkt_bands_free(b);
    free(pairs);
    free(gaps);
    free(cand);
    free(list);
    return st;
}

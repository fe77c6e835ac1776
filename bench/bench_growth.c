/* bench_growth.c - how the cost of the Fermi-surface-aware adaptive integrator
 * grows with the requested accuracy and with mu/T, next to a plain uniform grid
 * (midpoint rule, N^3 points over the same k-box, the same integrand).
 *
 * Main quantity: the Drude conductivity sigma_zz (path nE, tau_intra = 1) of one
 * isotropic Weyl node (model node, v = 1, mu = 0.1, E || z).  It is a pure
 * Fermi-surface integral with a closed form at any temperature,
 *     sigma_zz / tau = (mu^2 + pi^2 T^2 / 3) / (6 pi^2 v)
 * (both bands: int de e^2 (-f0'(e)) over the whole real line), so the achieved
 * error is exact and needs no reference run, and it is cheap per point (~0.3 us
 * with 2 threads on the grid), so the uniform grid can be pushed towards
 * T/mu = 0.005 within minutes.  The Fig. 3 point itself (weyl2, order 2) costs
 * ~25 us per point on the grid, whose error at N = 162 and 244 (4e6 and 1.5e7
 * points) is still ~1e-2; it gets a shorter section: adaptive cost against T/mu
 * at reltol 1e-3, errors against a closed form (fig3_closed below), and one
 * uniform-grid sum at T/mu = 0.05.  (Its accuracy sweep at T/mu = 0.05 is in
 * bench_engine.)
 *
 * (a) T/mu = 0.05, reltol 1e-2 ... 1e-5; (b) reltol 1e-3, T/mu = 0.05 ... 0.005.
 * Uniform grid: N = 32, 48, 72, ... (x 1.5) until the error reaches the target
 * or the next sum would overrun the ladder's share of the time cap; then the
 * cost of reaching the target is extrapolated with a fitted error law and the
 * measured time per point, and labelled EXTRAPOLATED.
 *
 * Prints RESULT lines for bench/run.sh and readable tables.  Threads: 2
 * (QKT_BENCH_THREADS overrides).  Time caps in seconds of uniform-grid sums:
 * QKT_GROWTH_CAP (default 420) shared by the Drude ladders, QKT_GROWTH_FIG3_CAP
 * (default 120) for the Fig. 3 sums.
 * Exploration: bench_growth --ladder Q T N0 NMAX [REF [WINDOW]] prints the
 * uniform sums N0 ... NMAX of quantity Q (0 Drude, 1 Fig. 3) at temperature T. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/tree.h"
#include "integrate/integrate.h"
#include "response/raw.h"
#include "qkt.h"

static const double PI = 3.14159265358979323846;

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

/* ------------------------------------------------------------ the two cases */
enum { Q_DRUDE, Q_FIG3 };

static qkt_model_t *make_model(int q)
{
    qkt_model_t *m = qkt_model_alloc(q == Q_DRUDE ? "node" : "weyl2");
    if (!m) {
        printf("# cannot create model: %s\n", qkt_strerror());
        exit(1);
    }
    if (q == Q_FIG3) {
        double b = 0.2;
        qkt_model_set(m, "b", &b, 1);
    }
    if (qkt_model_setup(m)) {
        printf("# model setup failed: %s\n", qkt_strerror());
        exit(1);
    }
    return m;
}

static qkt_params_t make_params(int q, double T, double reltol)
{
    qkt_params_t p;
    qkt_params_default(&p);
    p.mu = 0.1;
    p.T = T;
    p.order = q == Q_DRUDE ? 0 : 2;
    p.nu_mask = 4; /* E || z */
    p.al_mask = 4; /* B || z */
    p.reltol = reltol;
    return p;
}

/* the benchmarked number of a result and its error estimate */
static double quantity(int q, const qkt_response_t *r, double *err)
{
    if (q == Q_DRUDE) {
        *err = r->path0[T0_NE].e[2][2];
        return r->path0[T0_NE].v[2][2];
    }
    double norm = 1 / (4 * PI * PI * r->par.mu * r->par.mu); /* C of Eq. 111 (v = tau = 1) */
    *err = r->tau2[0][1][2][2].e[2][2] / norm;
    return r->tau2[0][1][2][2].v[2][2] / norm;
}

/* the engine's automatic thermal window at a requested accuracy (response.c) */
static double engine_window(double reltol) { return fmin(30, fmax(12, 4 + log(10 / reltol))); }

static double drude_exact(double mu, double T) { return (mu * mu + PI * PI * T * T / 3) / (6 * PI * PI); }

/* one engine run; wall time of qkt_response_compute (pocket map included) */
static double adaptive(int q, double T, double reltol, double *secs, size_t *neval, double *est, double *fd)
{
    qkt_model_t *m = make_model(q);
    qkt_params_t p = make_params(q, T, reltol);
    qkt_response_t r;
    double v = NAN;
    double t0 = wall();
    if (qkt_response_compute(m, &p, &r) == QKT_OK) {
        *secs = wall() - t0;
        *neval = r.neval;
        v = quantity(q, &r, est);
        if (fd) *fd = r.fd_step;
    } else {
        printf("# adaptive run failed (T %g, reltol %g): %s\n", T, reltol, qkt_strerror());
        *secs = wall() - t0;
        *neval = 0;
        *est = NAN;
        if (fd) *fd = 0.05 * T; /* the engine's step for v = 1 */
    }
    qkt_response_free(&r);
    qkt_model_free(m);
    return v;
}

/* ---------------------------------------------------------- the uniform grid
 * Midpoint rule with N points per axis over the box [-K, K]^3 that
 * qkt_integrate uses for these (closed-axis continuum) models, K = kbox or the
 * model's kcut, measure d^3k/(2 pi)^3; the same integrand (qkt_tree_eval with
 * the engine's layout, pocket map and finite-difference step), assembled into
 * the same tensors by qkt_response_assemble.  The thermal window (the engine
 * sets occupations to exact 0/1 beyond |eps - mu| = window T) is part of the
 * integrand: the ladders use the window of the reference they are compared
 * with (30 T, the widest, against the closed form; the engine's automatic
 * window at reltol 1e-5 against a reltol 1e-5 run).  It matters for weyl2:
 * with 30 T at T/mu = 0.05 the window reaches the Weyl nodes, where
 * f0'(0) ~ e^-20 multiplies order-B^2 terms singular at the node.  Slices of
 * constant kx are summed by threads and added in a fixed order. */
static double uniform(int q, double T, int N, double fd_step, double window, double *secs, int *failed)
{
    double t0 = wall();
    qkt_model_t *m = make_model(q);
    qkt_params_t p = make_params(q, T, 1e-3);
    p.window = window;
    *failed = 1;
    qkt_intopts_t io;
    memset(&io, 0, sizeof io);
    io.icell = p.icell;
    io.reltol = p.reltol;
    io.maxeval = p.maxeval;
    io.pilot = p.pilot;
    qkt_mapopts_t mo;
    memset(&mo, 0, sizeof mo);
    mo.ncell = p.ncell;
    mo.kbox = p.kbox;
    for (int a = 0; a < 3; a++) mo.open[a] = p.open[a];
    mo.scale = p.kscale;
    mo.window = p.window;
    qkt_pockets_t *pk = NULL;
    if (qkt_pockets_build(m, p.mu, p.T, &mo, &pk)) {
        printf("# pocket map failed: %s\n", qkt_strerror());
        qkt_model_free(m);
        return NAN;
    }
    int nu[3], nnu = 0, al[3], nal = 0;
    for (int a = 0; a < 3; a++) {
        if (p.nu_mask >> a & 1) nu[nnu++] = a;
        if (p.al_mask >> a & 1) al[nal++] = a;
    }
    qkt_layout_t L;
    qkt_layout_init(&L, p.order, m->dim, pk->n, 0, nu, nnu, al, nal);
    L.valley = 0;
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = p.mu;
    tp.T = p.T;
    tp.degen_tol = p.degen_tol;
    tp.window = p.window;
    tp.h = fd_step;
    const double K = p.kbox > 0 ? p.kbox : m->kcut, h = 2 * K / N;
    const int fdim = L.fdim;
    double *slice = calloc((size_t)N * fdim, sizeof(double));
    int bad = slice == NULL;
#pragma omp parallel
    {
        qkt_tree_ws_t *ws = qkt_tree_ws_alloc(m, &L, &tp, pk);
        double *f = malloc(sizeof(double) * fdim), *acc = malloc(sizeof(double) * fdim);
        if (!ws || !f || !acc) {
#pragma omp atomic write
            bad = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int i = 0; i < N; i++) {
            if (bad) continue;
            memset(acc, 0, sizeof(double) * fdim);
            double k[3];
            k[0] = -K + (i + 0.5) * h;
            for (int j = 0; j < N; j++) {
                k[1] = -K + (j + 0.5) * h;
                for (int l = 0; l < N; l++) {
                    k[2] = -K + (l + 0.5) * h;
                    memset(f, 0, sizeof(double) * fdim);
                    if (qkt_tree_eval(ws, k, f)) {
#pragma omp atomic write
                        bad = 1;
                        break;
                    }
                    for (int c = 0; c < fdim; c++)
                        if (isfinite(f[c])) acc[c] += f[c]; /* as the engine: isolated singular points carry no weight */
                }
            }
            memcpy(slice + (size_t)i * fdim, acc, sizeof(double) * fdim);
        }
        qkt_tree_ws_free(ws);
        free(f);
        free(acc);
    }
    double v = NAN;
    if (!bad) {
        qkt_response_t r;
        memset(&r, 0, sizeof r);
        r.par = p;
        r.dim = m->dim;
        r.raw = calloc(1, sizeof *r.raw);
        double *val = calloc(fdim, sizeof(double)), *err = calloc(fdim, sizeof(double));
        if (r.raw && val && err) {
            double w = h * h * h / pow(2 * PI, 3);
            for (int c = 0; c < fdim; c++) {
                double s = 0;
                for (int i = 0; i < N; i++) s += slice[(size_t)i * fdim + c];
                val[c] = s * w;
            }
            r.raw->L = L;
            r.raw->val = val;
            r.raw->err = err;
            r.raw->nnu = nnu;
            r.raw->nal = nal;
            memcpy(r.raw->nu, nu, sizeof nu);
            memcpy(r.raw->al, al, sizeof al);
            r.raw->npk = pk->n;
            r.raw->valley = 0;
            if (qkt_response_assemble(&r, p.rule, p.tau_intra, p.tau_inter) == QKT_OK) {
                double e;
                v = quantity(q, &r, &e);
                *failed = 0;
            } else {
                printf("# assembly failed: %s\n", qkt_strerror());
            }
            qkt_response_free(&r); /* frees val, err */
        } else {
            free(r.raw);
            free(val);
            free(err);
        }
    } else {
        printf("# uniform grid N = %d failed: %s\n", N, qkt_strerror());
    }
    free(slice);
    qkt_pockets_free(pk);
    qkt_model_free(m);
    *secs = wall() - t0;
    return v;
}

/* ------------------------------------------------------------------ ladders */
typedef struct {
    int N;
    double points, secs, err; /* err: signed relative error against the reference */
} rung_t;

#define MAXRUNG 24

typedef struct {
    int q;
    double T, ref, fd, K, window;
    rung_t r[MAXRUNG];
    int n;
    double spent; /* seconds of all sums of this ladder */
    int capped;   /* stopped by its time budget before reaching its target */
} ladder_t;

static int next_N(int N)
{
    int M = (int)ceil(1.5 * N);
    return M + (M & 1);
}

static int first_hit(const ladder_t *L, double target)
{
    for (int i = 0; i < L->n; i++)
        if (fabs(L->r[i].err) <= target) return i;
    return -1;
}

/* Error law of the midpoint rule for an integrand whose only sharp feature is a
 * thermal shell of width ~T/v (Poisson summation: the first aliased Fourier
 * component of -f0'(v k - mu) at 2 pi/h = pi N/K is damped by ~exp(-pi^2 T N/(K v))):
 *     |error| ~ alpha (T/mu) exp(-x),  x = pi^2 T N / (K v),  v = 1 here.
 * alpha: geometric mean over the sums that resolve the shell (x >= XMIN) of the
 * given ladders (the error oscillates in sign with N around this envelope). */
#define XMIN 4.0
static double xvar(const ladder_t *L, int N) { return PI * PI * L->T * N / L->K; }

static void alpha_sums(const ladder_t *L, double *s, int *n)
{
    for (int i = 0; i < L->n; i++) {
        const rung_t *r = &L->r[i];
        double x = xvar(L, r->N);
        if (x < XMIN || r->err == 0) continue;
        *s += log(fabs(r->err) / (L->T / 0.1)) + x;
        (*n)++;
    }
}

/* alpha from ladders Ls[0..nl-1] and (if not NULL) one more */
static double fit_alpha(const ladder_t *Ls, int nl, const ladder_t *more, int *nfit)
{
    double s = 0;
    int n = 0;
    for (int l = 0; l < nl; l++) alpha_sums(&Ls[l], &s, &n);
    if (more) alpha_sums(more, &s, &n);
    *nfit = n;
    return n ? exp(s / n) : NAN;
}

static double extrap_N(const ladder_t *L, double alpha, double target)
{
    double N = L->K / (PI * PI * L->T) * log(alpha * (L->T / 0.1) / target);
    return 2 * ceil(fmax(N, 2) / 2);
}

/* Uniform sums with N = N0, 1.5 N0, ... until |error| <= target, or until the
 * next sum would end beyond `budget` seconds for the ladder (predicted from
 * the last sum's time per point).  When the next x1.5 step does not fit but the
 * error law (alpha from earlier ladders; NAN: none) puts the target at a
 * smaller N that fits, one last sum is made there (5% above the law's N).
 * The law's alpha: earlier ladders prev[0..nprev-1] and this one; nprev < 0: no law. */
static void run_ladder(ladder_t *L, int N0, double target, double budget, const ladder_t *prev, int nprev)
{
    double tpp = 0;
    L->n = 0;
    L->spent = 0;
    L->capped = 0;
    int N = N0, last = 0;
    while (L->n < MAXRUNG) {
        double pts = pow(N, 3);
        if (budget <= 0 || (tpp > 0 && L->spent + tpp * pts > budget)) {
            int nfit;
            double alpha = nprev >= 0 ? fit_alpha(prev, nprev, L, &nfit) : NAN;
            double Nl = isfinite(alpha) ? 2 * ceil(0.525 * extrap_N(L, alpha, target)) : 0;
            if (!last && Nl > L->r[L->n - 1].N && Nl < N && L->spent + tpp * pow(Nl, 3) <= budget) {
                N = (int)Nl;
                last = 1;
                printf("#   (next x1.5 step does not fit the time cap; last sum at N = %d, where the error law puts "
                       "the target)\n", N);
                continue;
            }
            L->capped = 1;
            break;
        }
        int fail;
        double s, v = uniform(L->q, L->T, N, L->fd, L->window, &s, &fail);
        if (fail) {
            L->capped = 1;
            break;
        }
        rung_t *r = &L->r[L->n++];
        r->N = N;
        r->points = pts;
        r->secs = s;
        r->err = (v - L->ref) / fabs(L->ref);
        L->spent += s;
        tpp = s / pts;
        printf("#   uniform T/mu = %-6g N = %5d  %10.3e points  %8.2f s  %6.3f us/point  rel. error %+.3e\n",
               L->T / 0.1, N, pts, s, 1e6 * s / pts, r->err);
        fflush(stdout);
        if (fabs(r->err) <= target) break;
        if (last) {
            L->capped = 1;
            break;
        }
        N = next_N(N);
    }
}

/* time per point of the largest sum of a ladder */
static double ladder_tpp(const ladder_t *L) { return L->n ? L->r[L->n - 1].secs / L->r[L->n - 1].points : NAN; }

static double env_double(const char *name, double def)
{
    const char *s = getenv(name);
    return s && *s ? atof(s) : def;
}

/* one row of the table: adaptive numbers, then the uniform grid */
typedef struct {
    double Tmu, tol;
    double a_s, a_err, a_est;
    size_t a_ne;
} arow_t;

static void result_adaptive(const char *cs, const arow_t *a)
{
    printf("RESULT %s adaptive_s %.3f s\n", cs, a->a_s);
    printf("RESULT %s adaptive_evals %zu k\n", cs, a->a_ne);
    printf("RESULT %s adaptive_rel_error %.2e 1\n", cs, a->a_err);
    printf("RESULT %s adaptive_est_rel_error %.2e 1\n", cs, a->a_est);
}

/* RESULT lines and a text cell for the uniform grid at one target */
static void result_uniform(const char *cs, const ladder_t *L, double target, double alpha, const char *why,
                           double a_s, char *cell, size_t ncell)
{
    int i = first_hit(L, target);
    if (i >= 0) {
        const rung_t *r = &L->r[i];
        printf("RESULT %s uniform_N %d 1\n", cs, r->N);
        printf("RESULT %s uniform_points %.4g k\n", cs, r->points);
        printf("RESULT %s uniform_s %.3f s\n", cs, r->secs);
        printf("RESULT %s uniform_rel_error %.2e 1\n", cs, fabs(r->err));
        printf("RESULT %s uniform_over_adaptive_time %.3g x\n", cs, r->secs / a_s);
        snprintf(cell, ncell, "N = %d, %.3g points, %.2f s, error %.1e", r->N, r->points, r->secs, fabs(r->err));
        return;
    }
    const rung_t *r = L->n ? &L->r[L->n - 1] : NULL;
    printf("RESULT %s uniform_capped_s %.1f s\n", cs, L->spent);
    if (r) {
        printf("RESULT %s uniform_last_N %d 1\n", cs, r->N);
        printf("RESULT %s uniform_last_rel_error %.2e 1\n", cs, fabs(r->err));
    }
    if (isfinite(alpha) && r) {
        double N = extrap_N(L, alpha, target), pts = N * N * N, s = ladder_tpp(L) * pts;
        printf("RESULT %s uniform_extrapolated_N %.0f 1\n", cs, N);
        printf("RESULT %s uniform_extrapolated_points %.4g k\n", cs, pts);
        printf("RESULT %s uniform_extrapolated_s %.4g s\n", cs, s);
        printf("RESULT %s uniform_over_adaptive_time_extrapolated %.3g x\n", cs, s / a_s);
        snprintf(cell, ncell, "> %.0f s (N = %d, error %.1e); EXTRAPOLATED: N ~ %.0f, %.2g points, ~%.3g s", L->spent,
                 r->N, fabs(r->err), N, pts, s);
    } else {
        snprintf(cell, ncell, "> %.0f s (N = %d, error %.1e); no extrapolation: %s", L->spent, r ? r->N : 0,
                 r ? fabs(r->err) : NAN, why);
    }
}

/* Reference of the Fig. 3 point.  For separated nodes (k0 = 0.2 >= mu/v) each
 * pocket is an isotropic linear node, and PHYSICS.md (anchor 5) gives at T = 0
 * sigma_zz^CA = (e^2/4 pi^2) C B^2 v^3 tau/mu^2 with C = 2/5 for any mu.  A
 * Fermi-surface response at T > 0 is the thermal average of the T = 0 one over
 * energy shells, sigma(T) = int de (-f0'(e)) sigma_{T=0}(mu = e), so with the
 * normalisation of Eq. 111 at the actual mu,
 *     C(T) = (2/5) int de (-f0'(e)) (mu/e)^2.
 * The integrand has a pole at the node (e = 0), which the engine never reaches:
 * its thermal window (occupations exactly 0/1 beyond |e - mu| = W T, smooth
 * taper over the last 4 T) keeps away from it while W T < mu.  The reference
 * uses the same taper with W = 17.8 (the engine's automatic window at reltol
 * 1e-5); it agrees with reltol-1e-5 engine runs to 1e-7 at T/mu <= 0.02 (the
 * stored values below, printed as a check).  At T/mu = 0.05 the window edge
 * comes within 0.011 of the node and the engine's C depends on W at the 1e-4
 * level (W = 15.5: 0.410507, equal to this formula to 1e-7; W = 17.8: 0.410563,
 * 1.2e-4 above it), so the reference is good to ~1e-4 there. */
static const double fig3_Tmu[4] = {0.05, 0.02, 0.01, 0.005};
/* engine runs at reltol 1e-5 (window 17.8), estimated relative errors ~1e-5 */
static const double fig3_engine1e5[4] = {0.4105629038, 0.4015937657, 0.4003955704, 0.4000986556};

/* the smooth step of the engine's thermal window: 1 for t <= W - 4, 0 for t >= W */
static double window_taper(double t, double W)
{
    double lo = W - 4;
    if (t <= lo) return 1;
    if (t >= W) return 0;
    double u = (t - lo) / 4, a = exp(-1 / u), b = exp(-1 / (1 - u));
    return b / (a + b);
}

static double fig3_closed(double mu, double T, double W)
{
    double lo = fmax(mu - W * T, 1e-12 * mu), hi = mu + W * T, s = 0;
    const int n = 200000; /* midpoint rule on a smooth integrand, error ~1e-12 */
    double h = (hi - lo) / n;
    for (int i = 0; i < n; i++) {
        double e = lo + (i + 0.5) * h, c = cosh((e - mu) / (2 * T));
        s += 1 / (4 * T * c * c) * (mu / e) * (mu / e) * window_taper(fabs(e - mu) / T, W);
    }
    return 0.4 * s * h;
}

int main(int argc, char **argv)
{
    int nt = 2;
    if (getenv("QKT_BENCH_THREADS")) nt = atoi(getenv("QKT_BENCH_THREADS"));
    omp_set_num_threads(nt > 0 ? nt : 1);
    printf("# threads %d\n", omp_get_max_threads());
    if (argc > 1 && !strcmp(argv[1], "--ladder")) {
        /* exploration: bench_growth --ladder Q T N0 NMAX [REF [WINDOW]] (Q: 0 Drude, 1 Fig. 3) */
        if (argc < 6) return 2;
        int q = atoi(argv[2]);
        double T = atof(argv[3]);
        int N = atoi(argv[4]), NM = atoi(argv[5]);
        double s, est, fd, ref;
        size_t ne;
        if (argc > 6) {
            ref = atof(argv[6]);
            fd = 0.05 * T;
        } else {
            ref = adaptive(q, T, q == Q_DRUDE ? 1e-6 : 1e-5, &s, &ne, &est, &fd);
            printf("adaptive %.10g (est. rel. error %.2e, %.1f s)\n", ref, est / fabs(ref), s);
            if (q == Q_DRUDE) ref = drude_exact(0.1, T);
        }
        for (; N <= NM; N = next_N(N)) {
            int fail;
            double v = uniform(q, T, N, fd, argc > 7 ? atof(argv[7]) : 30, &s, &fail);
            printf("N %5d  %.10g  rel err %+.3e  %.2f s  %.3f us/pt\n", N, v, (v - ref) / ref, s, s / pow(N, 3) * 1e6);
            fflush(stdout);
        }
        return 0;
    }
    const double t_start = wall();
    const double Tmu[4] = {0.05, 0.02, 0.01, 0.005}, tols[4] = {1e-2, 1e-3, 1e-4, 1e-5}, mu = 0.1;
    char cs[96], cell[4][4][256];

    /* ---- Drude of one node: adaptive */
    printf("# Drude sigma_zz of one Weyl node (model node, v = 1, mu = 0.1, E || z, path nE, tau = 1);\n"
           "# exact value (mu^2 + pi^2 T^2/3)/(6 pi^2) at every T.\n");
    arow_t A[4][4]; /* [T/mu][tol]; filled: (0, all tols) and (all T/mu, tol 1e-3) */
    memset(A, 0, sizeof A);
    double fd[4];
    for (int it = 0; it < 4; it++)
        for (int j = 0; j < 4; j++) {
            if (it > 0 && j != 1) continue;
            double T = Tmu[it] * mu, ex = drude_exact(mu, T), est, f;
            arow_t *a = &A[it][j];
            a->Tmu = Tmu[it];
            a->tol = tols[j];
            double v = adaptive(Q_DRUDE, T, tols[j], &a->a_s, &a->a_ne, &est, &f);
            a->a_err = fabs(v - ex) / ex;
            a->a_est = est / fabs(v);
            if (j == 1) fd[it] = f;
            snprintf(cs, sizeof cs, "drude_Tmu%g_tol%.0e", Tmu[it], tols[j]);
            result_adaptive(cs, a);
            fflush(stdout);
        }

    /* ---- Drude of one node: uniform grid ladders, T/mu = 0.05 down to 1e-5, others to 1e-3 */
    double cap = env_double("QKT_GROWTH_CAP", 420);
    printf("# uniform grid: midpoint rule over the box [-K, K]^3 (K = kcut), N = 32, 48, 72, ... per axis;\n"
           "# the ladders share a cap of %.0f s of sums\n", cap);
    ladder_t LD[4];
    double spent = 0;
    {
        qkt_model_t *m = make_model(Q_DRUDE);
        for (int it = 0; it < 4; it++) {
            LD[it].q = Q_DRUDE;
            LD[it].T = Tmu[it] * mu;
            LD[it].ref = drude_exact(mu, LD[it].T);
            LD[it].fd = fd[it];
            LD[it].K = m->kcut;
            LD[it].window = 30;
        }
        qkt_model_free(m);
    }
    for (int it = 0; it < 4; it++) {
        double budget = (cap - spent) / (4 - it);
        run_ladder(&LD[it], 32, it == 0 ? tols[3] : tols[1], budget, LD, it);
        spent += LD[it].spent;
    }
    int nfit;
    double alpha = fit_alpha(LD, 4, NULL, &nfit);
    printf("# fitted error law of the uniform grid: |error| ~ %.3g (T/mu) exp(-pi^2 T N / K), from %d sums with "
           "pi^2 T N/K >= %g\n", alpha, nfit, XMIN);
    printf("RESULT drude_uniform_error_law alpha %.3g 1\n", alpha);
    /* check of the law where the target was reached */
    for (int it = 0; it < 4; it++) {
        int j = it == 0 ? 3 : 1;
        int i = first_hit(&LD[it], tols[j]);
        if (i >= 0)
            printf("#   law check T/mu = %g, target %.0e: first N reaching it %d, law predicts N ~ %.0f\n", Tmu[it],
                   tols[j], LD[it].r[i].N, extrap_N(&LD[it], alpha, tols[j]));
    }
    for (int it = 0; it < 4; it++)
        for (int j = 0; j < 4; j++) {
            if (it > 0 && j != 1) continue;
            snprintf(cs, sizeof cs, "drude_Tmu%g_tol%.0e", Tmu[it], tols[j]);
            result_uniform(cs, &LD[it], tols[j], alpha, "no sum resolved the shell", A[it][j].a_s, cell[it][j], sizeof cell[it][j]);
        }
    printf("\nDrude sigma_zz of one Weyl node, mu = 0.1: adaptive engine vs uniform midpoint grid (2 threads)\n");
    printf("%-6s %-6s | %9s %10s %9s %9s | %s\n", "T/mu", "reltol", "adapt. s", "evals", "error", "est.", "uniform grid");
    for (int it = 0; it < 4; it++)
        for (int j = 0; j < 4; j++) {
            if (it > 0 && j != 1) continue;
            const arow_t *a = &A[it][j];
            printf("%-6g %-6.0e | %9.3f %10zu %9.1e %9.1e | %s\n", a->Tmu, a->tol, a->a_s, a->a_ne, a->a_err, a->a_est,
                   cell[it][j]);
        }
    printf("growth from T/mu = 0.05 to 0.005 at reltol 1e-3: adaptive evaluations x %.2f, (mu/T)^3 x 1000\n\n",
           (double)A[3][1].a_ne / (double)A[0][1].a_ne);
    printf("RESULT drude_growth_Tmu0.05_to_0.005 adaptive_evals_ratio %.3f x\n",
           (double)A[3][1].a_ne / (double)A[0][1].a_ne);
    fflush(stdout);

    /* ---- the Fig. 3 point */
    printf("# Fig. 3 point C (weyl2 b = 0.2, Delta = 0, mu = 0.1, rule paper, order 2, E || B || z), reltol 1e-3\n");
    arow_t F[4];
    memset(F, 0, sizeof F);
    double ffd[4];
    for (int it = 0; it < 4; it++) {
        double T = fig3_Tmu[it] * mu, est;
        arow_t *a = &F[it];
        a->Tmu = fig3_Tmu[it];
        a->tol = 1e-3;
        double v = adaptive(Q_FIG3, T, 1e-3, &a->a_s, &a->a_ne, &est, &ffd[it]);
        double ref = fig3_closed(mu, T, engine_window(1e-5));
        a->a_err = fabs(v - ref) / ref;
        printf("#   T/mu = %-6g reference C = %.9f (closed form); engine at reltol 1e-5: %.9f (%+.1e)\n", fig3_Tmu[it],
               ref, fig3_engine1e5[it], (fig3_engine1e5[it] - ref) / ref);
        a->a_est = est / fabs(v);
        snprintf(cs, sizeof cs, "fig3_Tmu%g_tol1e-03", fig3_Tmu[it]);
        printf("#   adaptive T/mu = %-6g C = %.7f  %7.2f s  %zu evaluations\n", fig3_Tmu[it], v, a->a_s, a->a_ne);
        result_adaptive(cs, a);
        fflush(stdout);
    }
    /* uniform sums from N = 162 (4.3e6 points, 30-120 s) while they fit the cap:
     * the order-2 integrand carries up to three energy derivatives of f0 and its
     * uniform-grid error does not follow the Drude law above (N = 162 and 244
     * both give ~1e-2), so no extrapolation is made */
    double fcap = env_double("QKT_GROWTH_FIG3_CAP", 120);
    ladder_t LF;
    {
        qkt_model_t *m = make_model(Q_FIG3);
        LF.K = m->kcut;
        qkt_model_free(m);
    }
    LF.q = Q_FIG3;
    LF.T = fig3_Tmu[0] * mu;
    LF.ref = fig3_closed(mu, LF.T, engine_window(1e-5));
    LF.fd = ffd[0];
    LF.window = engine_window(1e-5);
    run_ladder(&LF, 162, 1e-3, fcap, NULL, -1);
    char fcell[256];
    result_uniform("fig3_Tmu0.05_tol1e-03", &LF, 1e-3, NAN, "error law of this integrand not established", F[0].a_s,
                   fcell, sizeof fcell);
    printf("\nFig. 3 point C at reltol 1e-3: adaptive engine (2 threads); reference: thermal average of C = 2/5\n");
    printf("%-6s | %9s %10s %9s %9s | %s\n", "T/mu", "adapt. s", "evals", "error", "est.", "uniform grid");
    for (int it = 0; it < 4; it++)
        printf("%-6g | %9.3f %10zu %9.1e %9.1e | %s\n", F[it].Tmu, F[it].a_s, F[it].a_ne, F[it].a_err, F[it].a_est,
               it == 0 ? fcell : "not run (see T/mu = 0.05)");
    printf("growth from T/mu = 0.05 to 0.005: adaptive evaluations x %.2f, time x %.2f; (mu/T)^3 x 1000\n",
           (double)F[3].a_ne / (double)F[0].a_ne, F[3].a_s / F[0].a_s);
    printf("RESULT fig3_growth_Tmu0.05_to_0.005 adaptive_evals_ratio %.3f x\n", (double)F[3].a_ne / (double)F[0].a_ne);
    printf("RESULT bench_growth total_s %.1f s\n", wall() - t_start);
    return 0;
}

/* response.c - one run of the response engine: Fermi pockets, integration of
 * the response tree (tree.c, integrate.c) and assembly of the conductivity
 * tensors of orders B^0, B^1, B^2 (Eq. 39) under a relaxation rule of
 * PHYSICS.md, split by path and by powers of tau_intra and tau_inter. */
#include <lapacke.h>
#include <stdlib.h>
#include "response/raw.h"
#include "integrate/integrate.h"
#include "response/integrand.h"
#include "core/fermi.h"
#include "core/chebyshev.h"

/* the options of the pocket map and of the integrator of one computation */
typedef struct {
    qkt_mapopts_t map;
    qkt_intopts_t integ;
} ropts_t;

/* the integrators, on the tree's integrand */
enum { INT_ADAPTIVE, INT_MESH, INT_REFINE };
typedef struct {
    int kind;
    const int *mesh;      /* INT_MESH, INT_REFINE */
    int nmu;              /* INT_MESH: chemical-potential scan (0: none) */
    const double *mus;
    double reltol;        /* INT_REFINE */
    size_t maxeval;
} integ_t;

static qkt_status_t integrate_tree(const qkt_model_t *m, const qkt_layout_t *L, const qkt_tree_par_t *tp,
                                   const qkt_pockets_t *pk, const qkt_intopts_t *io0, const integ_t *how,
                                   double *val, double *err, qkt_intstats_t *stats)
{
    qkt_tree_integrand_t ti;
    qkt_status_t st = qkt_tree_integrand_init(&ti, m, L, tp, pk);
    qkt_intopts_t io = *io0;
    qkt_tree_integrand_shell(tp, &io);
    if (!st) switch (how->kind) {
        case INT_MESH: st = qkt_integrate_mesh(m, &ti.f, how->mesh, how->nmu, how->mus, &io, val, stats); break;
        case INT_REFINE:
            st = qkt_integrate_refine(m, &ti.f, how->mesh, how->reltol, how->maxeval, &io, val, err, stats);
            break;
        default: st = qkt_integrate(m, &ti.f, pk, &io, val, err, stats);
        }
    qkt_tree_integrand_free(&ti);
    return st;
}

const char *qkt_rule_name(qkt_rule_t r)
{
    switch (r) {
    case QKT_RULE_RTA: return "rta";
    case QKT_RULE_PAPER: return "paper";
    case QKT_RULE_VALLEY: return "valley";
    case QKT_RULE_BORN: return "born";
    }
    return "?";
}

void qkt_params_default(qkt_params_t *p)
{
    memset(p, 0, sizeof *p);
    p->mu = 0.1;
    p->T = 0.005;
    p->tau_intra = 1;
    p->tau_inter = 1;
    p->rule = QKT_RULE_PAPER;
    p->order = 2;
    p->nu_mask = 7;
    p->al_mask = 7;
    p->reltol = 1e-3;
    p->maxeval = 400000;
    p->pilot = 20000;
    p->ncell = 0; /* automatic: 48 per axis for continuum models, 24 for periodic ones */
    p->fd_step = 0;
    p->degen_tol = 0; /* automatic: the model's */
    p->window = 0; /* automatic: auto_window() */
    p->pocket_thresh = 1e-3;
}

void qkt_params_default_for_model(const qkt_model_t *m, qkt_params_t *p)
{
    qkt_params_default(p);
    if (m && m->units == QKT_UNITS_EV_ANGSTROM) {
        const qkt_units_t *u = qkt_units();
        p->mu = NAN;                  /* no default: the material's Fermi level */
        p->T = 300 * u->kB_eV;        /* 300 K in eV */
        p->tau_intra = 10 / u->time_fs; /* 10 fs in hbar/eV */
        p->tau_inter = 10 / u->time_fs;
    }
}

/* ---- polynomials in (tau_intra, tau_inter), degree < 4 in each */
typedef struct {
    double c[4][4];
} pol_t;

static pol_t pol_mono(int a, int b, double c)
{
    pol_t p;
    memset(&p, 0, sizeof p);
    p.c[a][b] = c;
    return p;
}

static pol_t pol_mul(pol_t x, pol_t y)
{
    pol_t r;
    memset(&r, 0, sizeof r);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            if (x.c[a][b] != 0)
                for (int c = 0; c + a < 4; c++)
                    for (int d = 0; d + b < 4; d++) r.c[a + c][b + d] += x.c[a][b] * y.c[c][d];
    return r;
}

static pol_t pol_add(pol_t x, pol_t y, double s)
{
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) x.c[a][b] += s * y.c[a][b];
    return x;
}

/* accumulate value (and error) times a polynomial into a path tensor and the tau bins */
typedef struct {
    const qkt_params_t *p;
    double ti, tx;
} asm_t;

static double pol_eval(const asm_t *A, const pol_t *f, int a, int b)
{
    return f->c[a][b] * pow(A->ti, a) * pow(A->tx, b);
}

/* bins: tensor of monomial (a, b) at bins[(a * 4 + b) * stride] (NULL: none) */
static void acc(const asm_t *A, qkt_tensor_t *path, qkt_tensor_t *total, qkt_tensor_t *bins, int stride,
                int mu, int nu, pol_t f, double v, double e)
{
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            if (f.c[a][b] == 0) continue;
            double w = pol_eval(A, &f, a, b);
            path->v[mu][nu] += w * v;
            path->e[mu][nu] += fabs(w) * e;
            total->v[mu][nu] += w * v;
            total->e[mu][nu] += fabs(w) * e;
            if (bins) {
                bins[(a * 4 + b) * stride].v[mu][nu] += w * v;
                bins[(a * 4 + b) * stride].e[mu][nu] += fabs(w) * e;
            }
        }
}

static double vscale_estimate(const qkt_model_t *m, const qkt_pockets_t *pk, const qkt_params_t *p)
{
    qkt_bands_t *b = qkt_bands_alloc(m->nb);
    if (!b) return 0;
    double vmax = 0;
    size_t ncells = 1;
    for (int a = 0; a < pk->dim; a++) ncells *= pk->ncell;
    for (size_t c = 0; c < ncells; c++) {
        if (!pk->fs[c]) continue;
        int ci[3] = {0, 0, 0};
        size_t r = c;
        for (int a = pk->dim - 1; a >= 0; a--) {
            ci[a] = (int)(r % pk->ncell);
            r /= pk->ncell;
        }
        double u[3] = {0, 0, 0}, k[3], jac;
        for (int a = 0; a < pk->dim; a++) u[a] = pk->gmin[a] + (pk->gmax[a] - pk->gmin[a]) * (ci[a] + 0.5) / pk->ncell;
        qkt_domain_map(pk, u, k, &jac);
        if (qkt_bands_compute(b, m, k, QKT_BANDS_GEOMETRY)) continue;
        for (int n = 0; n < m->nb; n++) {
            if (fabs(b->eps[n] - p->mu) > p->window * p->T) continue;
            double v2 = 0;
            for (int a = 0; a < 3; a++) v2 += pow(creal(b->v[a][n * m->nb + n]), 2);
            vmax = fmax(vmax, sqrt(v2));
        }
    }
    qkt_bands_free(b);
    return vmax;
}

/* The automatic thermal window (units of T): 4 + ln(10/reltol), whose cut
 * tails 2 e^-(W-4) are then below reltol/5, within [12, 16].  Not wider:
 * beyond ~16 T the shell reaches energies near band touchings, where the
 * order-B^2 integrands grow as a power of 1/(eps - eps_node) and the result
 * depends on the window itself, not on the Fermi tails (weyl2 at mu/T = 20,
 * Fig. 3: C changes by 3e-6 from W = 16 to 17 and by +-1e-4 between 17.8
 * and 21; docs/method.md, "Thermal window"). */
static double auto_window(double reltol) { return fmin(16, fmax(12, 4 + log(10 / reltol))); }

static qkt_status_t check_params(const qkt_model_t *m, const qkt_params_t *p)
{
    int mesh = p->mesh[0] > 0 || p->mesh[1] > 0 || p->mesh[2] > 0;
    if (mesh && !m->periodic) return qkt_error(QKT_EINVAL, "a uniform mesh needs a periodic (lattice or Wannier) model");
    for (int a = 0; a < (mesh ? m->dim : 0); a++)
        if (p->mesh[a] < 1 || p->mesh[a] > 100000)
            return qkt_error(QKT_EINVAL, "mesh size along b%d must be in [1, 100000] (got %d)", a + 1, p->mesh[a]);
    if (p->refine && !mesh)
        return qkt_error(QKT_EINVAL, "mesh refinement (numerics.refine) needs a starting mesh (numerics.mesh = N) "
                                     "of a periodic (lattice or Wannier) model");
    if (p->refine && (p->order != 0 || p->bonly))
        return qkt_error(QKT_EINVAL, "mesh refinement (numerics.refine) is for the order-B^0 conductivity only "
                                     "(got %s; with qkt sigma set sigma.order = 0)",
                         p->bonly ? "the B-only response" : p->order == 1 ? "order 1" : "order 2");
    if (mesh && p->T == 0 && p->order > 0 && !p->bonly)
        return qkt_error(QKT_EINVAL, "T = 0 (step occupations) is allowed at order 0 only; orders 1 and 2 "
                                     "need the Fermi surface (T > 0)");
    if (mesh && p->T == 0 && p->nimp_U0sq > 0)
        return qkt_error(QKT_EINVAL, "the vertex correction needs T > 0");
    if (!(mesh && p->T == 0) && (!(p->T > 0) || !isfinite(p->T)))
        return qkt_error(QKT_EINVAL, "temperature must be > 0 (got %g)%s", p->T,
                         m->periodic ? "; T = 0 is allowed with a uniform mesh at order 0" : "");
    if (!isfinite(p->mu)) return qkt_error(QKT_EINVAL, "chemical potential is not finite");
    if (!(p->tau_intra > 0) || !isfinite(p->tau_intra))
        return qkt_error(QKT_EINVAL, "tau_intra must be > 0 (got %g)", p->tau_intra);
    if (!(p->nimp_U0sq >= 0) || !isfinite(p->nimp_U0sq))
        return qkt_error(QKT_EINVAL, "nimp_U0sq must be >= 0 (got %g)", p->nimp_U0sq);
    if (!(p->tau_inter > 0) || !isfinite(p->tau_inter))
        return qkt_error(QKT_EINVAL, "tau_inter must be > 0 (got %g)", p->tau_inter);
    if (p->order < 0 || p->order > 2) return qkt_error(QKT_EINVAL, "order must be 0, 1 or 2 (got %d)", p->order);
    if (!(p->reltol > 0 && p->reltol < 1)) return qkt_error(QKT_EINVAL, "reltol must be in (0, 1)");
    if (p->rule != QKT_RULE_RTA && p->rule != QKT_RULE_PAPER && p->rule != QKT_RULE_VALLEY &&
        p->rule != QKT_RULE_BORN)
        return qkt_error(QKT_EINVAL, "unknown relaxation rule %d", (int)p->rule);
    if (p->rule == QKT_RULE_BORN && !p->bonly) {
        if (!(p->nimp_U0sq > 0))
            return qkt_error(QKT_EINVAL, "rule born needs the disorder strength nimp_U0sq > 0 (run.nimp_U0sq): "
                                         "n_imp U0^2 sets the Born collision operator K^dd");
        if (p->order != 0)
            return qkt_error(QKT_EINVAL, "rule born is available at order B^0 only (got order %d; with qkt sigma "
                                         "set sigma.order = 0): elastic Born scattering conserves the electrons "
                                         "on every energy shell, which the anomaly drive changes, so K^dd has no "
                                         "inverse there; at order B^1 use a rule with run.tau_from_disorder = true",
                             p->order);
    }
    if (p->tau_from_disorder && !p->bonly && (!(p->nimp_U0sq > 0) || p->rule == QKT_RULE_BORN))
        return qkt_error(QKT_EINVAL, "tau_from_disorder needs nimp_U0sq > 0 and rule rta, paper or valley (rule "
                                     "born has the Born relaxation already)");
    if (p->expansion != QKT_EXPANSION_SEED && p->expansion != QKT_EXPANSION_RECIPROCAL)
        return qkt_error(QKT_EINVAL, "unknown expansion %d", p->expansion);
    if (p->expansion == QKT_EXPANSION_RECIPROCAL && !p->bonly && (p->order != 1 || p->rule != QKT_RULE_RTA))
        return qkt_error(QKT_EINVAL, "the reciprocal expansion (run.expansion = reciprocal) is defined at order B^1 "
                                     "with rule rta (got order %d, rule %s): the seed's rules do not say how its "
                                     "added diagonal nodes relax", p->order, qkt_rule_name(p->rule));
    if (p->window != 0 && !(p->window >= 8)) return qkt_error(QKT_EINVAL, "thermal window must be >= 8 T (or 0: automatic)");
    if (p->ncell != 0 && (p->ncell < 4 || p->ncell > 400)) return qkt_error(QKT_EINVAL, "ncell must be 0 (automatic) or in [4, 400]");
    if (m->dim != 2 && m->dim != 3) return qkt_error(QKT_EINVAL, "model dimension %d not supported", m->dim);
    return QKT_OK;
}

void qkt_response_sigma1(const qkt_response_t *r, const double B[3], qkt_tensor_t *out)
{
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                out->v[i][j] += B[a] * r->sigma1[a].v[i][j];
                out->e[i][j] += fabs(B[a]) * r->sigma1[a].e[i][j];
            }
}

void qkt_response_sigma2(const qkt_response_t *r, const double B[3], qkt_tensor_t *out)
{
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    out->v[i][j] += B[a] * B[b] * r->sigma2[a][b].v[i][j];
                    out->e[i][j] += fabs(B[a] * B[b]) * r->sigma2[a][b].e[i][j];
                }
}

/* One integration of a tabulation pass at energy e (temperature Ts): kind 1
 * tabulates G and Nt (vertex correction), kind 2 the Born shell operator
 * (born_G: G at e).  The extra tallies (extra values, blocks of blk) follow
 * the plain layout.  *val: the integrals (malloc'ed, L->fdim values); *errp (if
 * errp is not NULL): their error estimates (malloc'ed). */
static qkt_status_t table_pass(const qkt_model_t *m, const qkt_params_t *p, const ropts_t *io0, double e,
                               double Ts, int kind, int blk, int extra, const double complex *born_G,
                               qkt_layout_t *L, double **val, double **errp)
{
    qkt_mapopts_t mo = io0->map;
    mo.window = p->window;
    qkt_pockets_t *pk = NULL;
    qkt_status_t st = qkt_pockets_build(m, e, Ts, &mo, &pk);
    if (st) return st;
    int none[1] = {0};
    qkt_layout_spec_t ls;
    memset(&ls, 0, sizeof ls);
    ls.dim = m->dim;
    ls.npk = pk->n;
    ls.nu = ls.al = none;
    ls.vtab = kind;
    ls.vtab_block = blk;
    ls.vtab_size = extra;
    qkt_layout_build(L, &ls);
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = e;
    tp.T = Ts;
    tp.degen_tol = p->degen_tol;
    tp.window = p->window;
    tp.h = 0.05 * Ts;
    if (kind == 2) {
        tp.nimp_U0sq = p->nimp_U0sq;
        tp.born_G = born_G;
    }
    *val = calloc(L->fdim, sizeof(double));
    double *err = calloc(L->fdim, sizeof(double));
    qkt_intstats_t stats;
    if (!*val || !err) st = qkt_error(QKT_ENOMEM, "out of memory (energy tables)");
    else {
        integ_t how = {INT_ADAPTIVE, NULL, 0, NULL, 0, 0};
        st = integrate_tree(m, L, &tp, pk, &io0->integ, &how, *val, err, &stats);
    }
    qkt_pockets_free(pk);
    if (st || !errp) {
        free(err);
        err = NULL;
    }
    if (errp) *errp = err;
    if (st) {
        free(*val);
        *val = NULL;
    }
    return st;
}

/* The Chebyshev series of the tables G, Qt_x,y,z of a segment and of their
 * second derivatives (struct qkt_vseg: cf, cf2) */
static qkt_status_t cheb_series(int n, int nb2, struct qkt_vseg *sg)
{
    size_t st = 4 * (size_t)nb2;
    sg->cf = calloc((size_t)n * st, sizeof(double complex));
    sg->cf2 = calloc((size_t)n * st, sizeof(double complex));
    double complex *d1 = calloc((size_t)n, sizeof(double complex)), *d2 = calloc((size_t)n, sizeof(double complex));
    if (!sg->cf || !sg->cf2 || !d1 || !d2) {
        free(d1);
        free(d2);
        return qkt_error(QKT_ENOMEM, "out of memory (vertex table)");
    }
    for (int q = 0; q < 4; q++)
        for (int i = 0; i < nb2; i++) {
            /* values at the nodes */
            const double complex *f = q == 0 ? sg->G + i : sg->Qt + (size_t)(q - 1) * nb2 + i;
            size_t fs = q == 0 ? (size_t)nb2 : 3 * (size_t)nb2;
            double complex *c = sg->cf + (size_t)q * nb2 + i;
            qkt_cheb_coeffs(n, f, fs, c, st);
            qkt_cheb_deriv2(n, c, st, d1, d2);
            for (int k = 0; k < n; k++) sg->cf2[(size_t)k * st + (size_t)q * nb2 + i] = d2[k];
        }
    free(d1);
    free(d2);
    return QKT_OK;
}

/* Error bound per entry of the tables q0 <= q < q1 (0: G, 1..3: Qt) of a
 * segment of half-width h, from their Chebyshev series: the largest over the
 * entries of |c_{n-1}| + |c_{n-2}| (interpolation, when the coefficients
 * decay) plus (pi^2/6) Ts^2 max|g''|, |g''| <= sum_k |c_k| k^2 (k^2 - 1)/(3 h^2)
 * (the smearing of delta(e - eps) by -f0' at Ts shifts a table g(e) by
 * (pi^2/6) Ts^2 g''(e) to leading order) */
static double cheb_tail(const struct qkt_vseg *sg, int n, int nb2, int q0, int q1, double h, double Ts)
{
    double tail = 0;
    for (int i = q0 * nb2; i < q1 * nb2; i++) {
        double t = 0, d2 = 0;
        for (int k = 0; k < n; k++) {
            double a = cabs(sg->cf[(size_t)k * 4 * nb2 + i]);
            if (k >= n - 2) t += a;
            d2 += a * k * k * (k * k - 1) / 3.0;
        }
        tail = fmax(tail, t + M_PI * M_PI / 6 * Ts * Ts * d2 / (h * h));
    }
    return tail;
}

/* Tabulate G(e), Nt_nu(e) (into Nt, unless NULL) and Qt_mu(e) (engine.h) of
 * the disorder kernel at the Chebyshev nodes of [emin, emax] of a segment:
 * at each node energy e_j an integration with delta(e_j - eps) smeared by
 * -f0' at temperature T/4 (smooth functions of e: the smearing changes them
 * by O((T/4)^2) relative to their curvature); then their Chebyshev series and
 * error bounds. */
static qkt_status_t table_segment(const qkt_model_t *m, const qkt_params_t *p, const ropts_t *io0, int n,
                                  struct qkt_vseg *sg, double complex *Nt)
{
    int nb = m->nb, nb2 = nb * nb;
    sg->G = calloc((size_t)n * nb2, sizeof(double complex));
    sg->Qt = calloc((size_t)n * 3 * nb2, sizeof(double complex));
    if (!sg->G || !sg->Qt) return qkt_error(QKT_ENOMEM, "out of memory (vertex table)");
    double c = 0.5 * (sg->emin + sg->emax), h = 0.5 * (sg->emax - sg->emin);
    double Ts = p->T / 4, qabs = 0, gerr = 0, qerr = 0;
    qkt_status_t st = QKT_OK;
    for (int j = 0; j < n && !st; j++) {
        sg->x[j] = qkt_cheb_node(j, n, c, h);
        qkt_layout_t L;
        double *val = NULL, *err = NULL;
        st = table_pass(m, p, io0, sg->x[j], Ts, 1, 2 * nb2, 7 * 2 * nb2 + 1, NULL, &L, &val, &err);
        if (!st) {
            qabs = fmax(qabs, fabs(val[L.o_vtab + 7 * 2 * nb2]));
            /* the integration errors of the entries (real and imaginary parts) */
            for (int i = 0; i < 2 * nb2; i++) {
                gerr = fmax(gerr, err[L.o_vtab + i]);
                for (int q = 4; q < 7; q++) qerr = fmax(qerr, err[L.o_vtab + q * 2 * nb2 + i]);
            }
            for (int q = 0; q < 7; q++)
                for (int i = 0; i < nb2; i++) {
                    double complex z = val[L.o_vtab + q * 2 * nb2 + i] + I * val[L.o_vtab + q * 2 * nb2 + nb2 + i];
                    if (q == 0) sg->G[(size_t)j * nb2 + i] = z;
                    else if (q < 4 && Nt) Nt[((size_t)j * 3 + q - 1) * nb2 + i] = z;
                    else if (q >= 4) sg->Qt[((size_t)j * 3 + q - 4) * nb2 + i] = z;
                }
        }
        free(err);
        free(val);
    }
    if (st || (st = cheb_series(n, nb2, sg))) return st;
    sg->gmax = sg->qmax = 0;
    for (size_t i = 0; i < (size_t)n * nb2; i++) sg->gmax = fmax(sg->gmax, cabs(sg->G[i]));
    for (size_t i = 0; i < (size_t)n * 3 * nb2; i++) sg->qmax = fmax(sg->qmax, cabs(sg->Qt[i]));
    sg->qmax = fmax(sg->qmax, qabs);
    /* interpolation and smearing, plus the tabulation integrals' own errors */
    sg->gerr = M_SQRT2 * gerr;
    sg->qerr = M_SQRT2 * qerr;
    sg->gtail = cheb_tail(sg, n, nb2, 0, 1, h, Ts) + sg->gerr;
    sg->qtail = cheb_tail(sg, n, nb2, 1, 4, h, Ts) + sg->qerr;
    return QKT_OK;
}

/* the thermal window's table: G, Nt and Qt (segment 0) */
static qkt_status_t vertex_table(const qkt_model_t *m, const qkt_params_t *p, const ropts_t *io0,
                                 struct qkt_vtable *vt)
{
    int nb = m->nb, nb2 = nb * nb, n = QKT_VT_NODES;
    vt->n = n;
    vt->nb = nb;
    vt->emin = p->mu - p->window * p->T;
    vt->emax = p->mu + p->window * p->T;
    vt->Nt = calloc((size_t)n * 3 * nb2, sizeof(double complex));
    if (!vt->Nt) return qkt_error(QKT_ENOMEM, "out of memory (vertex table)");
    struct qkt_vseg *sg = &vt->seg[0];
    vt->nseg = 1;
    sg->emin = vt->emin;
    sg->emax = vt->emax;
    qkt_status_t st = table_segment(m, p, io0, n, sg, vt->Nt);
    vt->G = sg->G; /* owned by seg[0] */
    memcpy(vt->x, sg->x, sizeof vt->x);
    return st;
}

/* halvings of an adjoint-table segment at most */
#define VSEG_DEPTH 2

static int cmp_lo(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The energy segments of the adjoint tables beyond the thermal window: the
 * band energies, on the Fermi-surface cells, of the bands coupled to a band in
 * the window (qkt_pockets_shell_bands), merged where they lie within half a
 * window width (hw = window T) of each other, widened by hw/4, minus the
 * window itself (segment 0).  At most QKT_VT_MAXSEG/4 are kept (the closest
 * are merged); each is then tabulated and halved while its interpolation-
 * error bound exceeds reltol (VSEG_DEPTH times at most, within
 * QKT_VT_MAXSEG segments in all). */
static qkt_status_t vertex_segments(const qkt_model_t *m, const qkt_params_t *p, const ropts_t *io0,
                                    const qkt_pockets_t *pk, struct qkt_vtable *vt)
{
    double *iv = NULL;
    size_t niv = 0;
    double hw = p->window * p->T;
    qkt_status_t st = qkt_pockets_shell_bands(pk, p->mu, hw, &iv, &niv);
    if (st) return st;
    qsort(iv, niv, 2 * sizeof(double), cmp_lo);
    /* merged intervals minus [emin, emax] of segment 0 */
    double (*seg)[2] = malloc(sizeof *seg * (2 * niv + 2));
    if (!seg) {
        free(iv);
        return qkt_error(QKT_ENOMEM, "out of memory (energy segments)");
    }
    int ns = 0;
    double lo = 0, hi = 0;
    int open = 0;
    for (size_t i = 0; i <= niv; i++) {
        if (i < niv && open && iv[2 * i] <= hi + 0.5 * hw) {
            hi = fmax(hi, iv[2 * i + 1]);
            continue;
        }
        if (open) {
            /* close [lo, hi] widened, cut by the window */
            double a = lo - 0.25 * hw, bnd = hi + 0.25 * hw;
            double pieces[2][2] = {{a, fmin(bnd, vt->emin)}, {fmax(a, vt->emax), bnd}};
            for (int q = 0; q < 2; q++)
                if (pieces[q][1] > pieces[q][0]) {
                    seg[ns][0] = pieces[q][0];
                    seg[ns][1] = pieces[q][1];
                    ns++;
                }
        }
        if (i < niv) {
            lo = iv[2 * i];
            hi = iv[2 * i + 1];
            open = 1;
        }
    }
    free(iv);
    /* keep at most QKT_VT_MAXSEG / 4, merging across the smallest gaps (a
     * merged segment never spans the window: the pieces below and above it
     * are merged among themselves); the rest of the budget is for splitting */
    while (ns > QKT_VT_MAXSEG / 4) {
        int best = -1;
        for (int r = 0; r + 1 < ns; r++) {
            if (seg[r][1] <= vt->emin && seg[r + 1][0] >= vt->emax) continue;
            if (best < 0 || seg[r + 1][0] - seg[r][1] < seg[best + 1][0] - seg[best][1]) best = r;
        }
        if (best < 0) break;
        seg[best][1] = seg[best + 1][1];
        memmove(seg[best + 1], seg[best + 2], sizeof seg[0] * (ns - best - 2));
        ns--;
    }
    /* tabulate; a segment whose interpolation-error bound exceeds reltol of
     * its largest entry is halved (breadth first, at most VSEG_DEPTH times)
     * while the budget of segments lasts */
    int depth[QKT_VT_MAXSEG];
    for (int r = 0; r < ns && vt->nseg < QKT_VT_MAXSEG; r++) {
        vt->seg[vt->nseg].emin = seg[r][0];
        vt->seg[vt->nseg].emax = seg[r][1];
        depth[vt->nseg++] = 0;
    }
    free(seg);
    for (int q = 1; q < vt->nseg && !st; q++) {
        struct qkt_vseg *sg = &vt->seg[q];
        st = table_segment(m, p, io0, vt->n, sg, NULL);
        if (st) break;
        int bad = sg->gtail > p->reltol * sg->gmax || sg->qtail > p->reltol * sg->qmax;
        if (!bad || depth[q] >= VSEG_DEPTH || vt->nseg >= QKT_VT_MAXSEG) continue;
        double lo = sg->emin, mid = 0.5 * (sg->emin + sg->emax), hi = sg->emax;
        free(sg->G);
        free(sg->Qt);
        free(sg->cf);
        free(sg->cf2);
        memset(sg, 0, sizeof *sg);
        /* drop it; its halves go to the end of the list */
        int d = depth[q] + 1;
        memmove(&vt->seg[q], &vt->seg[q + 1], sizeof vt->seg[0] * (vt->nseg - q - 1));
        memmove(&depth[q], &depth[q + 1], sizeof depth[0] * (vt->nseg - q - 1));
        vt->nseg--;
        memset(&vt->seg[vt->nseg], 0, sizeof vt->seg[0]);
        vt->seg[vt->nseg].emin = lo;
        vt->seg[vt->nseg].emax = mid;
        depth[vt->nseg++] = d;
        memset(&vt->seg[vt->nseg], 0, sizeof vt->seg[0]);
        vt->seg[vt->nseg].emin = mid;
        vt->seg[vt->nseg].emax = hi;
        depth[vt->nseg++] = d;
        q--; /* the segment now at q is not tabulated yet */
    }
    return st;
}

static void vtable_free(struct qkt_vtable *vt)
{
    for (int s = 0; s < vt->nseg; s++) {
        free(vt->seg[s].G);
        free(vt->seg[s].Qt);
        free(vt->seg[s].cf);
        free(vt->seg[s].cf2);
    }
    if (vt->nseg == 0) free(vt->G);
    free(vt->Nt);
    memset(vt, 0, sizeof *vt);
}

/* drop eigenvalues of the shell operator below this fraction of the largest:
 * conserved quantities (the uniform shell mode, decoupled blocks or spins)
 * whose tabulated eigenvalue is integration noise */
#define BORN_NULL_REL 1e-3

/* Rule born: the second tabulation pass and the solution of the Born
 * equation on each energy shell.  K^dd n_E = d (Eq. 56, short-range scalar
 * disorder, <U U> = nimp_U0sq Tr(P_mk P_m'k')) with d = v_nu f0' and n_E =
 * f0' phi becomes, on the shell of energy e,
 *   phi^m(k) = tau_m(k) [v_nu^m + W <m|Nt(e)|m>],   W = 2 pi nimp_U0sq,
 *   Nt(e) = A(e) + W M[Nt(e)],  A = int tau v_nu P delta,  M[X] = int tau P Tr(P X) delta,
 * a linear equation for the Hermitian matrix Nt(e) (nh = nb^2 real coordinates,
 * engine.h).  L = I - W M is symmetric and positive semi-definite with the
 * uniform shell mode (phi = const, Nt = const G) as exact zero mode: G is
 * projected out explicitly, and any further eigenvalue below BORN_NULL_REL of
 * the largest (another conserved quantity) is dropped; a uniform shift of phi
 * on a conserved set carries no current and drops out of J.  The drive must
 * have no component on the dropped modes; the largest one relative to
 * int tau |v| delta is reported (r->born_null_drive).  Nt of vt is replaced by
 * the solution. */
static qkt_status_t born_table(const qkt_model_t *m, const qkt_params_t *p, const ropts_t *io0,
                               struct qkt_vtable *vt, qkt_response_t *r)
{
    int nb = m->nb, nb2 = nb * nb, nh = qkt_born_nh(nb), blk = qkt_born_block(nb), n = vt->n;
    double W2 = 2 * M_PI * p->nimp_U0sq, Ts = p->T / 4;
    double *Lm = malloc(sizeof(double) * nh * nh), *ev = malloc(sizeof(double) * nh);
    double *g = malloc(sizeof(double) * nh), *x = malloc(sizeof(double) * nh), *Q = malloc(sizeof(double) * nh * nh);
    double *T = malloc(sizeof(double) * nh * nh);
    qkt_status_t st = QKT_OK;
    if (!Lm || !ev || !g || !x || !Q || !T) st = qkt_error(QKT_ENOMEM, "out of memory (Born tables)");
    r->born_null_modes = 0;
    r->born_null_drive = 0;
    for (int j = 0; j < n && !st; j++) {
        qkt_layout_t L;
        double *val = NULL;
        st = table_pass(m, p, io0, vt->x[j], Ts, 2, blk, 2 * blk, vt->G + (size_t)j * nb2, &L, &val, NULL);
        if (!st) {
            const double *oM = val + L.o_vtab, *oA = oM + blk;
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++)
                    Lm[a * nh + b] = (a == b) - W2 * oM[a <= b ? qkt_born_mi(nh, a, b) : qkt_born_mi(nh, b, a)];
            /* the uniform shell mode: coordinates of G(e_j), normalized */
            const double complex *Gj = vt->G + (size_t)j * nb2;
            int c = 0;
            for (int i = 0; i < nb; i++) g[c++] = creal(Gj[i * nb + i]);
            for (int i = 0; i < nb; i++)
                for (int k = i + 1; k < nb; k++) {
                    g[c++] = M_SQRT2 * creal(Gj[i * nb + k]);
                    g[c++] = M_SQRT2 * cimag(Gj[i * nb + k]);
                }
            double gn = 0;
            for (int a = 0; a < nh; a++) gn += g[a] * g[a];
            gn = sqrt(gn);
            for (int a = 0; a < nh; a++) g[a] = gn > 0 ? g[a] / gn : 0;
            /* Lq = Q L Q, Q = 1 - g g^T */
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++) Q[a * nh + b] = (a == b) - g[a] * g[b];
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++) {
                    double s = 0;
                    for (int k = 0; k < nh; k++) s += Lm[a * nh + k] * Q[k * nh + b];
                    T[a * nh + b] = s;
                }
            for (int a = 0; a < nh; a++)
                for (int b = 0; b < nh; b++) {
                    double s = 0;
                    for (int k = 0; k < nh; k++) s += Q[a * nh + k] * T[k * nh + b];
                    Lm[a * nh + b] = s;
                }
            for (int a = 0; a < nh; a++)
                for (int b = a + 1; b < nh; b++) Lm[a * nh + b] = Lm[b * nh + a] = 0.5 * (Lm[a * nh + b] + Lm[b * nh + a]);
            if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', nh, Lm, nh, ev) != 0)
                st = qkt_error(QKT_ENUM, "Born tables: eigen-decomposition of the shell operator failed at e = %g",
                               vt->x[j]);
            double lmax = 0;
            for (int a = 0; a < nh && !st; a++) lmax = fmax(lmax, fabs(ev[a]));
            int ndrop = 0;
            for (int a = 0; a < nh && !st; a++)
                if (!(fabs(ev[a]) > BORN_NULL_REL * lmax)) ndrop++;
            if (gn > 0) ndrop--; /* the uniform shell mode */
            if (ndrop > r->born_null_modes) r->born_null_modes = ndrop;
            double aref = oA[3 * nh];
            for (int nu = 0; nu < 3 && !st; nu++) {
                const double *A = oA + nu * nh;
                memset(x, 0, sizeof(double) * nh);
                for (int i = 0; i < nh; i++) {
                    double ua = 0;
                    for (int a = 0; a < nh; a++) ua += Lm[a * nh + i] * A[a];
                    if (fabs(ev[i]) > BORN_NULL_REL * lmax) {
                        for (int a = 0; a < nh; a++) x[a] += Lm[a * nh + i] * ua / ev[i];
                    } else if (aref > 0)
                        r->born_null_drive = fmax(r->born_null_drive, fabs(ua) / aref);
                }
                qkt_born_matrix(nb, x, vt->Nt + ((size_t)j * 3 + nu) * nb2);
            }
        }
        free(val);
    }
    free(Lm);
    free(ev);
    free(g);
    free(x);
    free(Q);
    free(T);
    if (!st) vt->born = 1;
    return st;
}

qkt_status_t qkt_response_compute(const qkt_model_t *m, const qkt_params_t *p, qkt_response_t *r)
{
    memset(r, 0, sizeof *r);
    r->par = *p;
    r->dim = m->dim;
    qkt_blas_serial();
    qkt_status_t st = check_params(m, p);
    if (st) return st;
    qkt_params_t pw = *p; /* with the automatic choices filled in */
    if (pw.degen_tol == 0) pw.degen_tol = m->degen_tol;
    if (pw.window == 0) pw.window = auto_window(pw.reltol);
    p = &pw;
    r->par = pw;
    ropts_t ro;
    memset(&ro, 0, sizeof ro);
    ro.map.ncell = p->ncell;
    ro.map.kbox = p->kbox;
    for (int a = 0; a < 3; a++) ro.map.open[a] = p->open[a];
    ro.map.scale = p->kscale;
    ro.map.window = p->window;
    ro.integ.icell = p->icell;
    ro.integ.reltol = p->reltol;
    ro.integ.maxeval = p->maxeval;
    ro.integ.pilot = p->pilot;
    ro.integ.progress = p->progress;
    ro.integ.progress_user = p->progress_user;
    qkt_pockets_t *pk = NULL;
    double *val = NULL, *err = NULL;
    struct qkt_vtable vt;
    memset(&vt, 0, sizeof vt);
    int mesh = p->mesh[0] > 0;
    int need_pockets = !mesh || (p->T > 0 && p->order > 0 && !p->bonly);
    if (need_pockets) {
        st = qkt_pockets_build(m, p->mu, p->T, &ro.map, &pk);
        if (st) return st;
    }
    int npk = pk ? pk->n : 0;
    if (npk > QKT_MAX_POCKETS) {
        st = qkt_error(QKT_EPHYS, "%d Fermi pockets found; at most %d are supported (check numerics.ncell "
                       "or check mu)", npk, QKT_MAX_POCKETS);
        goto done;
    }
    int nu[3], nnu = 0, al[3], nal = 0;
    for (int a = 0; a < 3; a++) {
        if ((p->nu_mask >> a & 1) && a < m->dim) nu[nnu++] = a;
        if (p->al_mask >> a & 1) al[nal++] = a;
    }
    if (m->dim == 2) { /* only B along z acts on a 2D system */
        nal = 0;
        if (p->al_mask >> 2 & 1) al[nal++] = 2;
    }
    int born = p->rule == QKT_RULE_BORN && !p->bonly;
    int tfd = p->tau_from_disorder && !p->bonly;
    qkt_layout_spec_t ls;
    memset(&ls, 0, sizeof ls);
    ls.order = p->bonly ? 0 : p->order;
    ls.dim = m->dim;
    ls.npk = npk;
    ls.bonly = p->bonly;
    ls.nu = nu;
    ls.nnu = nnu;
    ls.al = al;
    ls.nal = nal;
    ls.valley = p->rule == QKT_RULE_VALLEY || p->valley_tallies;
    ls.recip = p->expansion == QKT_EXPANSION_RECIPROCAL && ls.order == 1;
    /* n_E from the Born K^dd (rule born) and/or the Born rate's tally */
    ls.born = born;
    ls.brate = born || tfd;
    /* the vertex on the velocity side: S_J of order 0 again (with the error
     * bound of its tables) and, at order 1, the vertex -P^-1 K^od n of the
     * order-1 diagonal nodes (Eq. 54); order 2 has none yet */
    ls.vj = p->nimp_U0sq > 0 && !p->bonly;
    qkt_layout_t L;
    qkt_layout_build(&L, &ls);
    qkt_tree_par_t tp;
    tp.mu = p->mu;
    tp.T = p->T;
    tp.degen_tol = p->degen_tol;
    tp.window = p->window;
    tp.nimp_U0sq = 0;
    tp.vt = NULL;
    double vs = pk ? vscale_estimate(m, pk, p) : 0;
    tp.h = p->fd_step > 0 ? p->fd_step : (vs > 0 ? 0.05 * p->T / vs : 1e-4 * m->kcut);
    r->fd_step = tp.h;
    if (p->nimp_U0sq > 0 && !p->bonly) {
        st = vertex_table(m, p, &ro, &vt);
        if (!st && L.order == 1) st = vertex_segments(m, p, &ro, pk, &vt);
        if (st) goto done;
        if (born) {
            st = born_table(m, p, &ro, &vt, r);
            if (st) goto done;
        }
        tp.vt = &vt;
        tp.nimp_U0sq = p->nimp_U0sq;
        r->vertex = 1;
    }
    val = calloc(L.fdim, sizeof(double));
    err = calloc(L.fdim, sizeof(double));
    if (!val || !err) {
        st = qkt_error(QKT_ENOMEM, "out of memory");
        goto done;
    }
    qkt_intstats_t stats;
    memset(&stats, 0, sizeof stats);
    integ_t how = {mesh ? (p->refine ? INT_REFINE : INT_MESH) : INT_ADAPTIVE, p->mesh, 0, NULL, p->reltol,
                   p->maxeval};
    st = integrate_tree(m, &L, &tp, pk, &ro.integ, &how, val, err, &stats);
    if (st) goto done;
    if (m->spin_degeneracy > 1)
        for (int i = 0; i < L.fdim; i++) {
            val[i] *= m->spin_degeneracy;
            err[i] *= m->spin_degeneracy;
        }
    r->neval = stats.neval;
    r->converged = stats.converged;
    r->ndegen = stats.ndegen;
    r->seconds = stats.seconds;
    r->refine_leaves = stats.nleaves;
    r->refine_levels = stats.maxlevel;
    r->refine_mb = stats.mem_bytes / (1 << 20);
    /* systematic errors not seen by the cubature: the thermal window cuts the
     * Fermi function's tails beyond (window - 4) T (relative size 2 e^-(W-4)),
     * and the fourth-order differences err by ~ (h v / T)^4 */
    /* (mesh refinement: the window's tails at T > 0 only, no finite
     * differences at order 0; a plain mesh has no error estimate at all) */
    if (!mesh || (p->refine && p->T > 0)) {
        double hv = !mesh && vs > 0 ? tp.h * vs / p->T : 0;
        r->sys_rel = 2 * exp(-(p->window - 4)) + pow(hv, 4);
        for (int i = 0; i < L.fdim; i++) err[i] += r->sys_rel * fabs(val[i]);
    }

    /* pockets */
    r->npocket = npk;
    double fourpi2 = 4 * M_PI * M_PI;
    for (int q = 0; q < npk; q++) {
        r->pocket[q].block = pk->band[q];
        memcpy(r->pocket[q].center, pk->center[q], sizeof pk->center[q]);
        /* a band property: not multiplied by the spin degeneracy */
        r->pocket[q].chirality = fourpi2 * val[L.o_chir + q] / m->spin_degeneracy;
        r->pocket[q].chirality_err = fourpi2 * err[L.o_chir + q] / m->spin_degeneracy;
        r->pocket[q].dos = val[L.o_norm + q];
    }
    r->dos = val[L.o_dos];
    r->density = val[L.o_dos + 1];
    r->degen_weight = val[L.o_dos + 2];
    if (L.brate && val[L.o_born] > 0) {
        /* 1/<1/tau> over the thermal shell */
        r->tau_born = val[L.o_dos] / val[L.o_born];
        r->tau_born_err = r->tau_born * (err[L.o_dos] / fabs(val[L.o_dos]) + err[L.o_born] / val[L.o_born]);
    }

    if (L.vj) {
        /* (sj_adjoint is assembled with the relaxation time of n_E) */
        r->vertex_nseg = vt.nseg;
        r->vertex_tail = 0;
        for (int q = 0; q < vt.nseg; q++) {
            const struct qkt_vseg *sg = &vt.seg[q];
            r->vertex_seg[q][0] = sg->emin;
            r->vertex_seg[q][1] = sg->emax;
            if (sg->gmax > 0) r->vertex_tail = fmax(r->vertex_tail, sg->gtail / sg->gmax);
            if (sg->qmax > 0) r->vertex_tail = fmax(r->vertex_tail, sg->qtail / sg->qmax);
        }
        r->vertex_dropped = val[L.o_jdrop + 1] > 0 ? val[L.o_jdrop] / val[L.o_jdrop + 1] : 0;
    }

    r->raw = malloc(sizeof *r->raw);
    if (!r->raw) {
        st = qkt_error(QKT_ENOMEM, "out of memory");
        goto done;
    }
    r->raw->L = L;
    r->raw->val = val;
    r->raw->err = err;
    r->raw->nnu = nnu;
    r->raw->nal = nal;
    memcpy(r->raw->nu, nu, sizeof nu);
    memcpy(r->raw->al, al, sizeof al);
    r->raw->npk = npk;
    r->raw->valley = L.valley;
    r->raw->born = born;
    val = err = NULL; /* owned by r->raw now */
    if (p->bonly) {
        val = r->raw->val;
        err = r->raw->err;
        for (int ia = 0; ia < nal; ia++)
            for (int mu = 0; mu < 3; mu++) {
                int a = al[ia];
                r->cme_S_fs[a][mu] = val[L.o_cme + (ia * 3 + 0) * 3 + mu];
                r->cme_S_sea[a][mu] = val[L.o_cme + (ia * 3 + 1) * 3 + mu];
                r->cme_xi[a][mu] = val[L.o_cme + (ia * 3 + 2) * 3 + mu];
                r->cme_S_fs_err[a][mu] = err[L.o_cme + (ia * 3 + 0) * 3 + mu];
                r->cme_S_sea_err[a][mu] = err[L.o_cme + (ia * 3 + 1) * 3 + mu];
                r->cme_xi_err[a][mu] = err[L.o_cme + (ia * 3 + 2) * 3 + mu];
            }
        for (int a = 0; a < 3; a++) {
            r->streda[a] = val[L.o_streda + a];
            r->streda_err[a] = err[L.o_streda + a];
        }
        val = err = NULL;
        goto done;
    }
    if (tfd && !(r->tau_born > 0)) {
        st = qkt_error(QKT_EPHYS, "tau_from_disorder: no Born relaxation rate at the Fermi level (no states "
                                  "within the thermal window?)");
        goto done;
    }
    st = qkt_response_assemble(r, p->rule, tfd ? r->tau_born : p->tau_intra, p->tau_inter);

done:
    qkt_pockets_free(pk);
    free(val);
    free(err);
    vtable_free(&vt);
    return st;
}

void qkt_response_free(qkt_response_t *r)
{
    if (!r || !r->raw) return;
    free(r->raw->val);
    free(r->raw->err);
    free(r->raw);
    r->raw = NULL;
}

qkt_status_t qkt_response_scan(const qkt_model_t *m, const qkt_params_t *p, int nmu, const double *mus,
                               qkt_response_t *r)
{
    if (nmu < 1 || !mus || !r) return qkt_error(QKT_EINVAL, "qkt_response_scan: no chemical potentials");
    qkt_blas_serial();
    if (p->rule == QKT_RULE_BORN)
        return qkt_error(QKT_EINVAL, "rule born is not available for chemical-potential scans (they compute no "
                                     "disorder kernel); use rta, paper or valley");
    qkt_params_t q = *p;
    q.order = 0;
    q.bonly = 0;
    q.nimp_U0sq = 0;
    for (int i = 0; i < nmu; i++) memset(&r[i], 0, sizeof r[i]);
    for (int i = 0; i < nmu; i++)
        if (!isfinite(mus[i])) return qkt_error(QKT_EINVAL, "chemical potential %d of the scan is not finite", i + 1);
    qkt_status_t st = QKT_OK;
    if (q.refine)
        return qkt_error(QKT_EINVAL, "mesh refinement (numerics.refine) is not available for chemical-potential "
                                     "scans (the refined cells depend on mu); refine one mu at a time with qkt sigma");
    if (!(q.mesh[0] > 0)) {
        /* adaptive: one integration per mu (the pocket map depends on mu) */
        for (int i = 0; i < nmu && !st; i++) {
            q.mu = mus[i];
            st = qkt_response_compute(m, &q, &r[i]);
        }
        if (st)
            for (int i = 0; i < nmu; i++) qkt_response_free(&r[i]);
        return st;
    }
    q.mu = mus[0];
    if ((st = check_params(m, &q))) return st;
    if (q.degen_tol == 0) q.degen_tol = m->degen_tol;
    if (q.window == 0) q.window = auto_window(q.reltol);
    int nu[3], nnu = 0, none[1] = {0};
    for (int a = 0; a < m->dim; a++)
        if (q.nu_mask >> a & 1) nu[nnu++] = a;
    qkt_layout_t L;
    qkt_layout_init(&L, 0, m->dim, 0, 0, nu, nnu, none, 0);
    qkt_tree_par_t tp;
    memset(&tp, 0, sizeof tp);
    tp.mu = q.mu;
    tp.T = q.T;
    tp.degen_tol = q.degen_tol;
    tp.window = q.window;
    tp.h = 1e-4 * m->kcut;
    qkt_intopts_t io;
    memset(&io, 0, sizeof io);
    io.progress = q.progress;
    io.progress_user = q.progress_user;
    double *val = calloc((size_t)nmu * L.fdim, sizeof(double));
    if (!val) return qkt_error(QKT_ENOMEM, "out of memory");
    qkt_intstats_t stats;
    memset(&stats, 0, sizeof stats);
    integ_t how = {INT_MESH, q.mesh, nmu, mus, 0, 0};
    st = integrate_tree(m, &L, &tp, NULL, &io, &how, val, NULL, &stats);
    if (m->spin_degeneracy > 1)
        for (size_t i = 0; i < (size_t)nmu * L.fdim; i++) val[i] *= m->spin_degeneracy;
    for (int i = 0; i < nmu && !st; i++) {
        qkt_response_t *ri = &r[i];
        ri->par = q;
        ri->par.mu = mus[i];
        ri->dim = m->dim;
        ri->neval = stats.neval;
        ri->converged = 1;
        ri->ndegen = stats.ndegen;
        ri->seconds = stats.seconds;
        ri->fd_step = 0;
        const double *v = val + (size_t)i * L.fdim;
        ri->dos = v[L.o_dos];
        ri->density = v[L.o_dos + 1];
        ri->degen_weight = v[L.o_dos + 2];
        ri->raw = calloc(1, sizeof *ri->raw);
        if (ri->raw) {
            ri->raw->val = malloc(sizeof(double) * L.fdim);
            ri->raw->err = calloc(L.fdim, sizeof(double));
        }
        if (!ri->raw || !ri->raw->val || !ri->raw->err) {
            st = qkt_error(QKT_ENOMEM, "out of memory");
            break;
        }
        memcpy(ri->raw->val, v, sizeof(double) * L.fdim);
        ri->raw->L = L;
        ri->raw->nnu = nnu;
        memcpy(ri->raw->nu, nu, sizeof nu);
        st = qkt_response_assemble(ri, q.rule, q.tau_intra, q.tau_inter);
    }
    free(val);
    if (st)
        for (int i = 0; i < nmu; i++) qkt_response_free(&r[i]);
    return st;
}

/* the error estimate of a value tallied with the velocity-side vertex: the
 * integration error, the signed interpolation and smearing estimates (in
 * absolute value) and the tabulation bound, three blocks of stride values
 * after the value i */
static double vj_err(const double *val, const double *err, int i, int stride)
{
    return err[i] + fabs(val[i + stride]) + fabs(val[i + 2 * stride]) + fabs(val[i + 3 * stride]);
}

qkt_status_t qkt_response_assemble(qkt_response_t *r, qkt_rule_t rule, double tau_intra, double tau_inter)
{
    if (!r->raw) return qkt_error(QKT_EINVAL, "qkt_response_assemble: no integrals kept in this result");
    if (r->par.bonly) return QKT_OK;
    if (rule == QKT_RULE_VALLEY && !r->raw->valley)
        return qkt_error(QKT_EINVAL, "rule valley needs the pocket-mode tallies: compute with "
                         "rule valley or valley_tallies = 1");
    if (!(tau_intra > 0) || !(tau_inter > 0))
        return qkt_error(QKT_EINVAL, "relaxation times must be > 0");
    if (r->raw->born && rule != QKT_RULE_BORN)
        return qkt_error(QKT_EINVAL, "this result was computed under rule born (n_E from the Born collision "
                                     "operator); it cannot be re-assembled under rule %s", qkt_rule_name(rule));
    if (!r->raw->born && rule == QKT_RULE_BORN)
        return qkt_error(QKT_EINVAL, "rule born needs a computation under rule born (its n_E comes from the "
                                     "disorder's collision operator, not from tau_intra)");
    if (r->raw->L.recip && rule != QKT_RULE_RTA)
        return qkt_error(QKT_EINVAL, "this result holds the reciprocal expansion, defined under rule rta only; it "
                                     "cannot be re-assembled under rule %s", qkt_rule_name(rule));
    r->par.rule = rule;
    r->par.tau_intra = tau_intra;
    r->par.tau_inter = tau_inter;
    /* clear what is assembled */
    memset(&r->sigma0, 0, sizeof r->sigma0);
    memset(r->path0, 0, sizeof r->path0);
    memset(r->sigma1, 0, sizeof r->sigma1);
    memset(r->path1, 0, sizeof r->path1);
    memset(r->sigma2, 0, sizeof r->sigma2);
    memset(r->path2, 0, sizeof r->path2);
    memset(r->tau1, 0, sizeof r->tau1);
    memset(r->tau2, 0, sizeof r->tau2);
    memset(r->anomaly1, 0, sizeof r->anomaly1);
    const qkt_params_t *p = &r->par;
    const qkt_layout_t L = r->raw->L;
    const double *val = r->raw->val, *err = r->raw->err;
    const int nnu = r->raw->nnu, nal = r->raw->nal, *nu = r->raw->nu, *al = r->raw->al;
    struct {
        int n;
    } pkv = {r->raw->npk}, *pk = &pkv;
    int P = pk->n > 0 ? pk->n : 1;
    asm_t A = {p, p->tau_intra, p->tau_inter};
    pol_t one = pol_mono(0, 0, 1), ti = pol_mono(1, 0, 1), tx = pol_mono(0, 1, 1);
    pol_t txmti = pol_add(tx, ti, -1); /* tau_inter - tau_intra */
    int valley = p->rule == QKT_RULE_VALLEY;

    /* ---- order 0 */
    r->npath0 = T0_N;
    for (int t = 0; t < T0_N; t++) r->path0_name[t] = L.blk[QKT_B_S0].paths[t];
    for (int in = 0; in < nnu; in++)
        for (int mu = 0; mu < 3; mu++) {
            int i0 = L_s0(&L, T0_NE, in, mu), i1 = L_s0(&L, T0_SE, in, mu), i2 = L_s0(&L, T0_SJ, in, mu);
            /* rule born: n_E (and S_J from it) carry the Born relaxation already */
            pol_t fn = r->raw->born ? one : ti;
            acc(&A, &r->path0[T0_NE], &r->sigma0, NULL, 0, mu, nu[in], fn, val[i0], err[i0]);
            acc(&A, &r->path0[T0_SE], &r->sigma0, NULL, 0, mu, nu[in], one, val[i1], err[i1]);
            /* + the tables' error bound (interpolation and smearing), from the
             * adjoint route (L.vj) */
            double e2 = err[i2] + (L.vj ? vj_err(val, err, L.o_j0 + in * 3 + mu, nnu * 3) - err[L.o_j0 + in * 3 + mu] : 0);
            acc(&A, &r->path0[T0_SJ], &r->sigma0, NULL, 0, mu, nu[in], fn, val[i2], e2);
        }
    if (L.vj) {
        /* relaxed as n_E (rule born: n_E holds its relaxation already) */
        double f = r->raw->born ? 1 : p->tau_intra;
        memset(&r->sj_adjoint, 0, sizeof r->sj_adjoint);
        for (int in = 0; in < nnu; in++)
            for (int mu = 0; mu < 3; mu++) {
                r->sj_adjoint.v[mu][nu[in]] = f * val[L.o_j0 + in * 3 + mu];
                r->sj_adjoint.e[mu][nu[in]] = f * vj_err(val, err, L.o_j0 + in * 3 + mu, nnu * 3);
            }
    }
    if (p->order < 1) return QKT_OK;

    /* pocket-mode coefficients alpha_p = (pocket sum of d) / (pocket norm) */
#define NORM(q) (val[L.o_norm + (q)])
    /* ---- order 1 */
    r->npath1 = T1_N;
    for (int t = 0; t < T1_N; t++) r->path1_name[t] = L.blk[QKT_B_S1].paths[t];
    for (int in = 0; in < nnu; in++)
        for (int ia = 0; ia < nal; ia++) {
            int a = al[ia], n_ = nu[in];
            /* rule paper: the anomaly node of the Cartesian pair (nu, alpha) relaxes
             * with tau_inter when E.B != 0 (nu = alpha, Eq. 106) or when its driving
             * term has a non-zero sum over some pocket; else tau_intra (Eq. 121) */
            int anom = n_ == a;
            for (int q = 0; q < pk->n; q++) {
                int base = L_q1(&L, T1_NA, in, ia) + q;
                double ps = val[L.o_p1 + base], pa = val[L.o_a1 + base], pe = err[L.o_p1 + base];
                if (fabs(ps) > p->pocket_thresh * pa && fabs(ps) > 10 * pe) anom = 1;
                r->pump[q][n_][a] = ps;
                r->pump_err[q][n_][a] = pe;
                r->pump_sea[q][n_][a] = val[L.o_sea1 + base];
                /* Eq. 67 form, written for E || B along one axis */
                double tr = 0;
                for (int c = 0; c < 3; c++) tr += val[L.o_pump67 + q * 9 + c * 3 + c];
                r->pump67[q][n_][a] = (n_ == a ? tr : 0) - val[L.o_pump67 + q * 9 + a * 3 + n_];
                if (L.vj && L.order == 1) {
                    /* the drive D_B^d S_J(n_E) of the vertex part counts too, in the
                     * anomaly test and in the pumping rate (Eq. 61 with rho_E whole) */
                    int bj = (in * nal + ia) * P + q;
                    double qs = val[L.o_psj + bj], qa = val[L.o_asj + bj], qe = err[L.o_psj + bj];
                    if (fabs(qs) > p->pocket_thresh * qa && fabs(qs) > 10 * qe) anom = 1;
                    r->pump[q][n_][a] += qs;
                    r->pump_err[q][n_][a] += qe;
                }
            }
            r->anomaly1[n_][a] = anom;
            qkt_tensor_t *B1 = &r->tau1[0][0][a];
            pol_t f[T1_N];
            f[T1_NL] = pol_mul(ti, ti);
            f[T1_SNE] = ti;
            f[T1_XIE] = ti;
            f[T1_NA] = p->rule == QKT_RULE_PAPER && anom ? tx : ti;
            f[T1_SS] = one;
            for (int mu = 0; mu < 3; mu++) {
                for (int t = 0; t < T1_N; t++) {
                    int i = L_s1(&L, t, in, ia, mu);
                    acc(&A, &r->path1[t][a], &r->sigma1[a], B1, 3, mu, n_, f[t], val[i], err[i]);
                }
                if (valley)
                    for (int t = T1_NL; t <= T1_NA; t += T1_NA - T1_NL) {
                        pol_t base = t == T1_NL ? ti : one;
                        for (int q = 0; q < pk->n; q++) {
                            double alpha = val[L.o_p1 + L_q1(&L, t, in, ia) + q] / NORM(q);
                            double u = val[L.o_u1 + q * 3 + mu], ue = err[L.o_u1 + q * 3 + mu];
                            acc(&A, &r->path1[t][a], &r->sigma1[a], B1, 3, mu, n_, pol_mul(base, txmti),
                                alpha * u, fabs(alpha) * ue);
                        }
                    }
            }
        }
    if (L.recip) {
        for (int t = 0; t < X1_N; t++) r->path1_name[T1_N + t] = L.blk[QKT_B_X1].paths[t];
        r->npath1 = T1_N + X1_N;
        for (int in = 0; in < nnu; in++)
            for (int ia = 0; ia < nal; ia++)
                for (int t = 0; t < X1_N; t++)
                    for (int mu = 0; mu < 3; mu++) {
                        int i = L_x1(&L, t, in, ia, mu), a = al[ia];
                        acc(&A, &r->path1[T1_N + t][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, nu[in], ti, val[i],
                            err[i]);
                    }
    }
    if (L.vj && L.order == 1) {
        /* the children of S_J(n_E) (S_J relaxes as n_E, with tau_intra), and the
         * vertex J(n) of each diagonal node n, which relaxes as n (under rule
         * valley with the pocket-mode parts' J(u_p) relaxed by tau_inter) */
        int j0 = r->npath1, s0 = j0 + J1_N;
        for (int j = 0; j < J1_N; j++) r->path1_name[j0 + j] = L.blk[QKT_B_J1].paths[j];
        for (int c = 0; c < SJ1_NCHILD; c++) r->path1_name[s0 + c] = L.blk[QKT_B_SJ1].paths[c];
        r->npath1 = s0 + SJ1_NCHILD;
        for (int in = 0; in < nnu; in++)
            for (int ia = 0; ia < nal; ia++) {
                int a = al[ia], n_ = nu[in];
                pol_t fa = p->rule == QKT_RULE_PAPER && r->anomaly1[n_][a] ? tx : ti;
                /* the node's own polynomial and that of its pocket-mode part */
                pol_t fj[J1_N] = {pol_mul(ti, ti), fa, pol_mul(ti, fa)};
                pol_t fu[J1_N] = {pol_mul(ti, txmti), txmti, pol_mul(ti, txmti)};
                for (int mu = 0; mu < 3; mu++) {
                    for (int c = 0; c < SJ1_NCHILD; c++) {
                        int i = L_sj1(&L, c, in, ia, mu);
                        acc(&A, &r->path1[s0 + c][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_,
                            c == SJ1_N ? fj[J1_NSJ] : ti, val[i], err[i]);
                    }
                    for (int j = 0; j < J1_N; j++) {
                        int i = L_j1(&L, j, in, ia, mu);
                        acc(&A, &r->path1[j0 + j][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_, fj[j], val[i],
                            vj_err(val, err, i, L_j1stride(&L)));
                    }
                    if (!valley) continue;
                    for (int q = 0; q < pk->n; q++) {
                        double u = val[L.o_u1 + q * 3 + mu], ue = err[L.o_u1 + q * 3 + mu];
                        double uj = val[L.o_uj1 + q * 3 + mu];
                        double uje = vj_err(val, err, L.o_uj1 + q * 3 + mu, pk->n * 3);
                        for (int j = 0; j < J1_N; j++) {
                            double ps = j == J1_NSJ ? val[L.o_psj + (in * nal + ia) * P + q]
                                                    : val[L.o_p1 + L_q1(&L, j == J1_NL ? T1_NL : T1_NA, in, ia) + q];
                            double alpha = ps / NORM(q);
                            acc(&A, &r->path1[j0 + j][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_, fu[j],
                                alpha * uj, fabs(alpha) * uje);
                            if (j == J1_NSJ) /* the n child's own pocket-mode part */
                                acc(&A, &r->path1[s0 + SJ1_N][a], &r->sigma1[a], &r->tau1[0][0][a], 3, mu, n_,
                                    fu[j], alpha * u, fabs(alpha) * ue);
                        }
                    }
                }
            }
    }
    if (p->order < 2) return QKT_OK;

    /* ---- order 2 */
    r->npath2 = T2_N;
    for (int t = 0; t < T2_N; t++) r->path2_name[t] = L.blk[QKT_B_S2].paths[t];
    for (int in = 0; in < nnu; in++)
        for (int ia = 0; ia < nal; ia++)
            for (int ib = 0; ib < nal; ib++) {
                int a = al[ia], b = al[ib], n_ = nu[in];
                qkt_tensor_t *B2 = &r->tau2[0][0][a][b];
                pol_t base[T1_N], own[T1_N];
                base[T1_NL] = ti; own[T1_NL] = ti;
                base[T1_SNE] = ti; own[T1_SNE] = one;
                base[T1_XIE] = ti; own[T1_XIE] = one;
                base[T1_NA] = one;
                own[T1_NA] = p->rule == QKT_RULE_PAPER && r->anomaly1[n_][a] ? tx : ti;
                base[T1_SS] = one; own[T1_SS] = one;
                for (int t = 0; t < T1_N; t++)
                    for (int ch = 0; ch < CH_NCHILD; ch++) {
                        if (ch == CH_XI && !qkt_t1_is_diag(t)) continue;
                        int tn = t * CH_NCHILD + ch;
                        pol_t cf = one;
                        int bidx = L_q2(&L, t, in, ia, ib);
                        if (ch == CH_N) {
                            /* only a diagonal node fed by D_B acting on an off-diagonal parent
                             * is an anomaly node; as at order 1, for the pair (nu, beta) */
                            int anom = !qkt_t1_is_diag(t) && n_ == b;
                            if (!qkt_t1_is_diag(t))
                                for (int q = 0; q < pk->n && !anom; q++) {
                                    double ps = val[L.o_p2 + bidx + q], pa = val[L.o_a2 + bidx + q];
                                    if (fabs(ps) > p->pocket_thresh * pa && fabs(ps) > 10 * err[L.o_p2 + bidx + q])
                                        anom = 1;
                                }
                            cf = p->rule == QKT_RULE_PAPER && anom ? tx : ti;
                        }
                        pol_t f = pol_mul(base[t], pol_mul(own[t], cf));
                        for (int mu = 0; mu < 3; mu++) {
                            int i = L_s2(&L, tn, in, ia, ib, mu);
                            acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_, f, val[i], err[i]);
                            if (!valley) continue;
                            /* projection of this n child on the pocket modes */
                            if (ch == CH_N)
                                for (int q = 0; q < pk->n; q++) {
                                    double al2 = val[L.o_p2 + bidx + q] / NORM(q);
                                    acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_,
                                        pol_mul(base[t], pol_mul(own[t], txmti)), al2 * val[L.o_u1 + q * 3 + mu],
                                        fabs(al2) * err[L.o_u1 + q * 3 + mu]);
                                }
                            /* children of the pocket-mode part of an n parent */
                            if (t == T1_NL || t == T1_NA)
                                for (int q = 0; q < pk->n; q++) {
                                    double alp = val[L.o_p1 + L_q1(&L, t, in, ia) + q] / NORM(q);
                                    const double *u2 = val + L_u2(&L, q, ib);
                                    const double *u2e = err + L_u2(&L, q, ib);
                                    pol_t pf = pol_mul(base[t], txmti);
                                    if (ch == CH_N) {
                                        acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_, pol_mul(pf, ti),
                                            alp * u2[CH_N * 3 + mu], fabs(alp) * u2e[CH_N * 3 + mu]);
                                        for (int q2 = 0; q2 < pk->n; q2++) {
                                            double al3 = val[L_up2(&L, q, ib) + q2] / NORM(q2);
                                            acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_,
                                                pol_mul(pf, txmti), alp * al3 * val[L.o_u1 + q2 * 3 + mu],
                                                fabs(alp * al3) * err[L.o_u1 + q2 * 3 + mu]);
                                        }
                                    } else {
                                        acc(&A, &r->path2[tn][a][b], &r->sigma2[a][b], B2, 9, mu, n_, pf,
                                            alp * u2[ch * 3 + mu], fabs(alp) * u2e[ch * 3 + mu]);
                                    }
                                }
                        }
                    }
            }
    return QKT_OK;
}

/* response.c - one run of the response engine: parameters and their
 * defaults, Fermi pockets, the disorder kernel's tables, integration of the
 * response tree (engine/, integrate/) and the assembly of its tensors
 * (assemble.c); the one-pass chemical-potential scan. */
#include <float.h>
#include <stdlib.h>
#include "response/raw.h"
#include "response/integrand.h"
#include "response/tables.h"
#include "core/fermi.h"

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
    p->derivatives = QKT_DERIVATIVES_ANALYTIC;
    p->degen_tol = 0; /* automatic: the model's */
    p->window = 0; /* automatic: auto_window() */
    p->pocket_thresh = 1e-3;
    p->landau_B = 0;      /* no Landau cutoff (the command-line program sets it for Wannier models) */
    p->landau_rho = 1;
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

/* The automatic finite-difference step of the tree's covariant derivatives:
 * 0.05 T / v_F, so that a band's energy changes by 0.05 T across one step and
 * the fourth-order differences err by ~(h v/T)^4 ~ 6e-6 (reported as part of
 * the systematic error); 1e-4 of the model's k scale without a Fermi surface
 * (no thermal shell to resolve). */
#define FD_STEP_T 0.05
#define FD_STEP_KCUT 1e-4

/* the largest band velocity in the thermal window at the centres of the
 * pocket map's Fermi-surface cells (the scale of the finite-difference step)
 * and the largest |k| of those cells.  Pass 0 takes the bands within the
 * window at a centre; when no centre lies in the shell (a shell thinner than
 * the map's cells), pass 1 takes the bands that reach it within their cell
 * at the centre's velocity. */
static double vscale_estimate(const qkt_model_t *m, const qkt_pockets_t *pk, const qkt_params_t *p, double *kmax)
{
    const int nb = m->nb;
    double vmax = 0, kx = 0;
    size_t ncells = 1;
    for (int a = 0; a < pk->dim; a++) ncells *= pk->ncell;
    /* progress in about 100 steps per pass */
    const size_t chunk = ncells / 100 + 1;
    const long nchunk = (long)((ncells + chunk - 1) / chunk);
    if (p->progress_phase) p->progress_phase(p->progress_user, "Fermi velocity (finite-difference step)");
    int nomem = 0;
    for (int pass = 0; pass < 2 && vmax == 0 && !nomem; pass++) {
        long done = 0;
#pragma omp parallel reduction(max : vmax, kx) reduction(+ : nomem)
        {
            qkt_bands_t *b = qkt_bands_alloc(nb);
            double *vd = malloc(3 * sizeof(double) * nb);
            if (!b || !vd) nomem++;
#pragma omp for schedule(dynamic, 1)
            for (size_t c0 = 0; c0 < ncells; c0 += chunk) {
                for (size_t c = c0; c < c0 + chunk && c < ncells; c++) {
                    if (!b || !vd || !pk->fs[c]) continue;
                    double u[3], k[3];
                    qkt_pocket_cell_center(pk, c, u, k);
                    if (qkt_bands_velocities(b, m, k, vd)) continue;
                    double reach = qkt_pocket_cell_reach(pk, c);
                    for (int n = 0; n < nb; n++) {
                        double v2 = 0;
                        for (int a = 0; a < 3; a++) v2 += vd[a * nb + n] * vd[a * nb + n];
                        double reachable = p->window * p->T + (pass ? sqrt(v2) * reach : 0);
                        if (fabs(b->eps[n] - p->mu) > reachable) continue;
                        vmax = fmax(vmax, sqrt(v2));
                        kx = fmax(kx, sqrt(k[0] * k[0] + k[1] * k[1] + k[2] * k[2]) + reach);
                    }
                }
                if (p->progress) {
#pragma omp critical(qkt_progress)
                    p->progress(p->progress_user, ++done, nchunk);
                }
            }
            qkt_bands_free(b);
            free(vd);
        }
    }
    if (nomem) { /* as without a pocket map: the step from the model's cutoff */
        qkt_clear_error();
        *kmax = 0;
        return 0;
    }
    *kmax = kx;
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
    if (p->refine && p->bonly)
        return qkt_error(QKT_EINVAL, "mesh refinement (numerics.refine) is for the conductivities, not the B-only "
                                     "response: its integrands are Fermi-sea integrals whose large values cancel "
                                     "over the zone, which a uniform mesh sums with spectral accuracy at T > 0 and "
                                     "a locally refined one does not");
    if (p->refine && p->order == 2 && !(p->landau_B > 0))
        return qkt_error(QKT_EINVAL, "mesh refinement (numerics.refine) at order B^2 needs the Landau cutoff "
                                     "(landau_B > 0; run.landau_cutoff, the default for Wannier models): without it "
                                     "the order-B^2 integrand is singular at a Weyl node inside the thermal window "
                                     "and the refinement does not converge there");
    if (!(p->landau_B >= 0 && isfinite(p->landau_B)) ||
        (p->landau_B > 0 && !(p->landau_rho > 0 && isfinite(p->landau_rho))))
        return qkt_error(QKT_EINVAL, "the Landau cutoff needs |B| >= 0 and a threshold rho_c > 0 (got %g, %g)",
                         p->landau_B, p->landau_rho);
    if (p->mesh_estimate < 0 || p->mesh_estimate > (m->dim == 2 ? 3 : 7))
        return qkt_error(QKT_EINVAL, "the number of displaced meshes (numerics.mesh_estimate) is 0 to %d in %dD, got %d",
                         m->dim == 2 ? 3 : 7, m->dim, p->mesh_estimate);
    if (p->mesh_estimate && (!mesh || p->refine || p->mesh_weight))
        return qkt_error(QKT_EINVAL, "the displaced-mesh error estimate (numerics.mesh_estimate) is for a plain uniform "
                                     "mesh (numerics.mesh = N, without numerics.refine or an irreducible wedge)");
    if (p->mesh_weight && (!mesh || p->refine || p->bonly || p->nimp_U0sq > 0 || p->rule == QKT_RULE_VALLEY ||
                           p->valley_tallies || (p->order > 0 && p->rule != QKT_RULE_RTA)))
        return qkt_error(QKT_EINVAL, "mesh weights (an irreducible wedge) are for the conductivities on a plain uniform "
                                     "mesh, without disorder or valley tallies, and at orders B^1 and B^2 under rule "
                                     "rta only (rules paper and valley read pocket sums, which a wedge does not "
                                     "hold)");
    if (mesh && p->T == 0 && p->order > 0 && !p->bonly)
        return qkt_error(QKT_EINVAL, "T = 0 (step occupations) is allowed at order 0 only; orders 1 and 2 "
                                     "need the Fermi surface (T > 0)");
    if (mesh && p->T == 0 && p->nimp_U0sq > 0)
        return qkt_error(QKT_EINVAL, "the vertex correction needs T > 0");
    if (!(mesh && p->T == 0) && (!(p->T > 0) || !isfinite(p->T)))
        return qkt_error(QKT_EINVAL, "temperature must be > 0 (got %g)%s", p->T,
                         m->periodic ? "; T = 0 is allowed with a uniform mesh at order 0" : "");
    if (!isfinite(p->mu)) return qkt_error(QKT_EINVAL, "chemical potential is not finite");
    if (!isfinite(p->field[0]) || !isfinite(p->field[1]) || !isfinite(p->field[2]))
        return qkt_error(QKT_EINVAL, "the field direction of rule paper (field) is not finite");
    if (!(p->tau_intra > 0) || !isfinite(p->tau_intra))
        return qkt_error(QKT_EINVAL, "tau_intra must be > 0 (got %g)", p->tau_intra);
    if (!(p->nimp_U0sq >= 0) || !isfinite(p->nimp_U0sq))
        return qkt_error(QKT_EINVAL, "nimp_U0sq must be >= 0 (got %g)", p->nimp_U0sq);
    if (!(p->tau_inter > 0) || !isfinite(p->tau_inter))
        return qkt_error(QKT_EINVAL, "tau_inter must be > 0 (got %g)", p->tau_inter);
    if (p->order < 0 || p->order > 2) return qkt_error(QKT_EINVAL, "order must be 0, 1 or 2 (got %d)", p->order);
    if (!(p->reltol > 0 && p->reltol < 1)) return qkt_error(QKT_EINVAL, "reltol must be in (0, 1)");
    if (p->accuracy_from < 0 || p->accuracy_from > p->order)
        return qkt_error(QKT_EINVAL, "accuracy_from must be 0..order (%d; got %d)", p->order, p->accuracy_from);
    if (!(p->time_limit >= 0) || !isfinite(p->time_limit))
        return qkt_error(QKT_EINVAL, "time_limit must be >= 0 seconds (0: none; got %g)", p->time_limit);
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
    if (!(p->disorder_xi >= 0) || !isfinite(p->disorder_xi))
        return qkt_error(QKT_EINVAL, "disorder_xi must be >= 0 (got %g)", p->disorder_xi);
    if (p->tau_from_disorder && !p->bonly && (!(p->nimp_U0sq > 0) || p->rule == QKT_RULE_BORN))
        return qkt_error(QKT_EINVAL, "tau_from_disorder needs nimp_U0sq > 0 and rule rta, paper or valley (rule "
                                     "born has the Born relaxation already)");
    if (p->expansion != QKT_EXPANSION_SEED && p->expansion != QKT_EXPANSION_RECIPROCAL &&
        p->expansion != QKT_EXPANSION_EQUILIBRIUM)
        return qkt_error(QKT_EINVAL, "unknown expansion %d", p->expansion);
    if (p->expansion == QKT_EXPANSION_EQUILIBRIUM && !p->bonly && (p->order != 1 || p->rule != QKT_RULE_RTA))
        return qkt_error(QKT_EINVAL, "the equilibrium expansion (run.expansion = equilibrium) is defined for the "
                                     "response to B alone (qkt cme) and at order B^1 with rule rta (got order %d, rule "
                                     "%s): order B^2 under it is not built yet", p->order, qkt_rule_name(p->rule));
    if (p->expansion == QKT_EXPANSION_RECIPROCAL && !p->bonly && (p->order != 1 || p->rule != QKT_RULE_RTA))
        return qkt_error(QKT_EINVAL, "the reciprocal expansion (run.expansion = reciprocal) is defined at order B^1 "
                                     "with rule rta (got order %d, rule %s): the seed's rules do not say how its "
                                     "added diagonal nodes relax", p->order, qkt_rule_name(p->rule));
    if (p->window != 0 && !(p->window >= 8)) return qkt_error(QKT_EINVAL, "thermal window must be >= 8 T (or 0: automatic)");
    if (p->ncell != 0 && (p->ncell < 4 || p->ncell > 400)) return qkt_error(QKT_EINVAL, "ncell must be 0 (automatic) or in [4, 400]");
    if (m->dim != 2 && m->dim != 3) return qkt_error(QKT_EINVAL, "model dimension %d not supported", m->dim);
    return QKT_OK;
}


/* ---- one computation, step by step */
typedef struct {
    const qkt_model_t *m;
    const qkt_params_t *p; /* with the automatic choices filled in */
    qkt_response_t *r;
    qkt_runopts_t ro;
    qkt_pockets_t *pk;
    int npk;
    int mesh, born, tfd;   /* uniform mesh; rule born; tau_from_disorder */
    int nu[3], nnu, al[3], nal;
    qkt_layout_t L;
    qkt_tree_par_t tp;
    double vs;             /* the Fermi velocity's scale (0: unknown) */
    double kmax;           /* the largest |k| of the shell's cells (with vs) */
    struct qkt_vtable vt;
    double *val, *err;
    double *hval; /* half_estimate: the tallies on the 2^D meshes N/2 that make up the mesh (NULL otherwise) */
    int nhalf;    /* meshes in hval */
} run_t;

/* the options of the pocket map and of the integrators */
static void run_options(const qkt_params_t *p, qkt_runopts_t *ro)
{
    memset(ro, 0, sizeof *ro);
    qkt_mapopts_from_params(p, &ro->map);
    ro->map.progress = p->progress; /* the run's own pocket map reports its progress */
    ro->map.progress_phase = p->progress_phase;
    ro->map.progress_user = p->progress_user;
    ro->integ.icell = p->icell;
    ro->integ.reltol = p->reltol;
    ro->integ.maxeval = p->maxeval;
    ro->integ.pilot = p->pilot;
    ro->integ.progress = p->progress;
    ro->integ.progress_phase = p->progress_phase;
    ro->integ.progress_user = p->progress_user;
    ro->integ.deadline = p->time_limit > 0 ? qkt_now() + p->time_limit : 0;
}

/* the Fermi pockets (none for a plain mesh at order 0 or at T = 0) */
static qkt_status_t build_pockets(run_t *w)
{
    const qkt_params_t *p = w->p;
    int need_pockets = !w->mesh || (p->T > 0 && p->order > 0 && !p->bonly);
    if (need_pockets) {
        qkt_status_t st = qkt_pockets_build(w->m, p->mu, p->T, &w->ro.map, &w->pk);
        if (st) return st;
    }
    w->npk = w->pk ? w->pk->n : 0;
    if (w->npk > QKT_MAX_POCKETS)
        return qkt_error(QKT_EPHYS, "%d Fermi pockets found; at most %d are supported (check numerics.ncell "
                         "or check mu)", w->npk, QKT_MAX_POCKETS);
    return QKT_OK;
}

/* the E directions nu and B components alpha of the masks */
static void select_axes(run_t *w)
{
    const qkt_params_t *p = w->p;
    w->nnu = w->nal = 0;
    for (int a = 0; a < 3; a++) {
        if ((p->nu_mask >> a & 1) && a < w->m->dim) w->nu[w->nnu++] = a;
        if (p->al_mask >> a & 1) w->al[w->nal++] = a;
    }
    if (w->m->dim == 2) { /* only B along z acts on a 2D system */
        w->nal = 0;
        if (p->al_mask >> 2 & 1) w->al[w->nal++] = 2;
    }
}

/* the layout of the integrated tallies */
static void build_layout(run_t *w)
{
    const qkt_params_t *p = w->p;
    qkt_layout_spec_t ls;
    memset(&ls, 0, sizeof ls);
    ls.order = p->bonly ? 0 : p->order;
    ls.dim = w->m->dim;
    ls.npk = w->npk;
    ls.bonly = p->bonly;
    ls.nu = w->nu;
    ls.nnu = w->nnu;
    ls.al = w->al;
    ls.nal = w->nal;
    ls.valley = p->rule == QKT_RULE_VALLEY || p->valley_tallies;
    ls.recip = (p->expansion == QKT_EXPANSION_RECIPROCAL || p->expansion == QKT_EXPANSION_EQUILIBRIUM) && ls.order == 1;
    ls.eq1 = p->expansion == QKT_EXPANSION_EQUILIBRIUM && ls.order == 1;
    /* n_E from the Born K^dd (rule born) and/or the Born rate's tally */
    ls.born = w->born;
    ls.brate = w->born || w->tfd;
    /* the vertex on the velocity side: S_J of order 0 again (with the error
     * bound of its tables) and, at order 1, the vertex -P^-1 K^od n of the
     * order-1 diagonal nodes (Eq. 54); order 2 has none yet */
    ls.vj = p->nimp_U0sq > 0 && !p->bonly;
    ls.accuracy_from = p->bonly ? 0 : p->accuracy_from;
    /* mesh refinement at orders 1 and 2: the totals of rule rta drive it */
    ls.drive_tau = p->refine && ls.order >= 1 ? p->tau_intra : 0;
    ls.landau = !p->bonly && p->landau_B > 0;
    qkt_layout_build(&w->L, &ls);
}

/* the tree's parameters; the finite-difference step from the Fermi velocity */
static void tree_params(run_t *w)
{
    const qkt_params_t *p = w->p;
    qkt_tree_par_t *tp = &w->tp;
    tp->mu = p->mu;
    tp->T = p->T;
    tp->degen_tol = p->degen_tol;
    tp->window = p->window;
    tp->analytic = p->derivatives == QKT_DERIVATIVES_ANALYTIC;
    /* the Landau cutoff: weight 0 where |R^mn|^2 >= l_B^2 / rho_c^2 = 1 / (rho_c^2 |B|) */
    tp->landau_x2 = !p->bonly && p->order >= 1 ? p->landau_rho * p->landau_rho * p->landau_B : 0;
    tp->nimp_U0sq = 0;
    tp->vt = NULL;
    w->vs = w->pk ? vscale_estimate(w->m, w->pk, p, &w->kmax) : 0;
    tp->h = p->fd_step > 0 ? p->fd_step : (w->vs > 0 ? FD_STEP_T * p->T / w->vs : FD_STEP_KCUT * w->m->kcut);
    w->r->fd_step = tp->h;
    w->r->vF = w->vs;
}

/* A thermal shell too thin for double precision is refused.  Its relative
 * width T/max(|mu|, v |k|) (|k|, v: the largest on the shell's cells) is
 * compared with DBL_EPSILON: the band energies and the points of k carry that
 * roundoff, which the finite differences of orders 1 and 2 amplify.  Limits
 * of DBL_EPSILON/width, measured on weyl2 (mu = 0.1, v = 1, numerics.reltol
 * 0.3-0.5): order 0 is still right to 4e-8 at 6.6e-5 (T = 1e-12); order 1
 * right at 6.6e-9 (T = 1e-8), error bars 300x the Hall value at 6.6e-7
 * (T = 1e-10); order 2 right at 6.6e-12 (T = 1e-5), not converged with error
 * bars 5x the result after 4 minutes at 6.6e-11 (T = 1e-6).  Between the
 * limits below and those failures the error estimates still see the noise
 * (the run ends not converged). */
static const double SHELL_ROUNDOFF_MAX[3] = {1e-3, 1e-7, 1e-11};
static qkt_status_t shell_resolvable(const run_t *w)
{
    const qkt_params_t *p = w->p;
    if (!(w->vs > 0) || !(p->T > 0) || w->L.order < 0 || w->L.order > 2) return QKT_OK;
    double escale = fmax(fabs(p->mu), w->vs * w->kmax);
    double ratio = DBL_EPSILON * escale / p->T;
    if (ratio <= SHELL_ROUNDOFF_MAX[w->L.order]) return QKT_OK;
    return qkt_error(QKT_EPHYS,
                     "run.T = %g is too small to resolve in double precision at order B^%d: the thermal shell is "
                     "%.2g of the energy scale %.3g (|mu|, v|k| at the Fermi surface), and the roundoff of energies "
                     "and k points, amplified by the %s, would exceed the error estimates (limit: T >= %.3g); "
                     "raise run.T",
                     p->T, w->L.order, p->T / escale, escale,
                     w->L.order ? "finite differences of the covariant derivatives" : "Fermi-surface quadrature",
                     DBL_EPSILON * escale / SHELL_ROUNDOFF_MAX[w->L.order]);
}

/* the disorder kernel's energy tables (response/tables.h), when there is disorder */
static qkt_status_t disorder_tables(run_t *w)
{
    const qkt_params_t *p = w->p;
    if (!(p->nimp_U0sq > 0 && !p->bonly)) return QKT_OK;
    qkt_status_t st = qkt_vtable_window(w->m, p, &w->ro, &w->vt);
    if (!st && w->L.order == 1) st = qkt_vtable_segments(w->m, p, &w->ro, w->pk, &w->vt);
    if (st) return st;
    if (w->born) {
        st = qkt_vtable_born(w->m, p, &w->ro, &w->vt, w->r);
        if (st) return st;
    }
    w->tp.vt = &w->vt;
    w->tp.nimp_U0sq = p->nimp_U0sq;
    w->r->vertex = 1;
    return QKT_OK;
}

/* Hot spots of a uniform mesh: per sigma order, the largest contribution of
 * one point to a component of a path, relative to the largest component of
 * the order's paths (qkt_response_t.hot_share, the path in hot_path); ptmax
 * from the mesh sum (before the spin degeneracy is applied to val: it cancels
 * in the ratio). */
static void hot_spots(run_t *w, const double *ptmax)
{
    const qkt_layout_t *L = &w->L;
    const int bl[3] = {QKT_B_S0, QKT_B_S1, QKT_B_S2};
    for (int o = 0; o < 3; o++) {
        const qkt_block_t *B = &L->blk[bl[o]];
        if (B->size <= 0 || B->npath <= 0) continue;
        int per = B->size / B->npath, thot = -1;
        double big = 0, hot = 0;
        for (int i = 0; i < B->size; i++) {
            big = fmax(big, fabs(w->val[B->off + i]));
            if (ptmax[B->off + i] > hot) {
                hot = ptmax[B->off + i];
                thot = i / per;
            }
        }
        if (!(big > 0) || thot < 0) continue;
        w->r->hot_share[o] = hot / big;
        w->r->hot_path[o] = B->paths ? B->paths[thot] : NULL;
    }
}


/* even sizes along the periodic axes: the meshes N/2 make up the mesh */
static int mesh_even(const qkt_model_t *m, const int mesh[3])
{
    for (int a = 0; a < m->dim; a++)
        if (mesh[a] % 2) return 0;
    return 1;
}

/* the integration of the tree, times the spin degeneracy; its statistics */
static qkt_status_t integrate(run_t *w)
{
    const qkt_params_t *p = w->p;
    qkt_response_t *r = w->r;
    w->val = calloc(w->L.fdim, sizeof(double));
    w->err = calloc(w->L.fdim, sizeof(double));
    if (!w->val || !w->err) return qkt_error(QKT_ENOMEM, "out of memory");
    qkt_intstats_t stats;
    memset(&stats, 0, sizeof stats);
    qkt_integ_t how = {w->mesh ? (p->refine ? QKT_INT_REFINE : QKT_INT_MESH) : QKT_INT_ADAPTIVE, p->mesh, 0, NULL,
                       p->reltol, p->maxeval, p->mesh_estimate};
    qkt_intopts_t io = w->ro.integ;
    if (how.kind == QKT_INT_MESH) {
        io.weight = p->mesh_weight;
        /* an irreducible wedge (no displaced copies) with even sizes: the
         * changes from the 2^D meshes N/2 that make it up are the error
         * estimate, which needs the group's operations on the indices */
        io.half = p->mesh_weight && mesh_even(w->m, p->mesh);
        if (io.half && !(p->mesh_ops && p->mesh_nops > 0))
            return qkt_error(QKT_EINVAL, "mesh weights with even mesh sizes need the group's operations on the mesh "
                                         "(qkt_params_t.mesh_ops from qkt_magsym_mesh_ops): the errors come from "
                                         "the meshes N/2 that make up the mesh, whose orbits they count");
        io.ops = p->mesh_ops;
        io.nops = p->mesh_nops;
        r->half_estimate = io.half;
        stats.ptmax = calloc(w->L.fdim, sizeof(double));
        if (!stats.ptmax) return qkt_error(QKT_ENOMEM, "out of memory");
    }
    qkt_status_t st = qkt_integrate_tree(w->m, &w->L, &w->tp, w->pk, &io, &how, w->val, w->err, &stats);
    if (!st && stats.ptmax) hot_spots(w, stats.ptmax);
    free(stats.ptmax);
    w->hval = stats.cosets_kept;
    w->nhalf = w->hval ? stats.ncoset : 0;
    if (st) return st;
    if (io.half && !w->hval) return qkt_error(QKT_ENOMEM, "out of memory for the sums of the meshes N/2");
    if (w->m->spin_degeneracy > 1) {
        for (int i = 0; i < w->L.fdim; i++) {
            w->val[i] *= w->m->spin_degeneracy;
            w->err[i] *= w->m->spin_degeneracy;
        }
        for (size_t i = 0; i < (size_t)w->L.fdim * w->nhalf; i++) w->hval[i] *= w->m->spin_degeneracy;
    }
    r->neval = stats.neval;
    r->converged = stats.converged && !stats.timed_out;
    r->timed_out = stats.timed_out;
    r->ndegen = stats.ndegen;
    r->nfallback = stats.nfallback;
    r->seconds = stats.seconds;
    r->refine_leaves = stats.nleaves;
    r->refine_levels = stats.maxlevel;
    r->refine_mb = stats.mem_bytes / (1 << 20);
    return QKT_OK;
}

/* systematic errors not seen by the cubature: the thermal window cuts the
 * Fermi function's tails beyond (window - 4) T (relative size 2 e^-(W-4)),
 * and the fourth-order differences err by ~ (h v / T)^4 */
static void systematic_errors(run_t *w)
{
    const qkt_params_t *p = w->p;
    /* (mesh refinement and the displaced-mesh estimate: the window's tails
     * at T > 0 only.  The truncation error of finite differences (fd, and the
     * fallback points of analytic) is not seen on a mesh: every copy uses the
     * same step, so it cancels in the copies' differences; a plain mesh has
     * no error estimate at all) */
    if (!w->mesh || ((p->refine || p->mesh_estimate || w->r->half_estimate) && p->T > 0)) {
        double hv = !w->mesh && w->vs > 0 ? w->tp.h * w->vs / p->T : 0;
        w->r->sys_rel = 2 * exp(-(p->window - 4)) + pow(hv, 4);
        for (int i = 0; i < w->L.fdim; i++) w->err[i] += w->r->sys_rel * fabs(w->val[i]);
    }
}

/* the pockets (centres, chirality, density of states), the shell's totals and
 * the Born relaxation time */
static void fill_pockets(const run_t *w)
{
    qkt_response_t *r = w->r;
    const qkt_layout_t *L = &w->L;
    const double *val = w->val, *err = w->err;
    r->npocket = w->npk;
    double fourpi2 = 4 * M_PI * M_PI;
    for (int q = 0; q < w->npk; q++) {
        r->pocket[q].block = w->pk->band[q];
        memcpy(r->pocket[q].center, w->pk->center[q], sizeof w->pk->center[q]);
        /* a band property: not multiplied by the spin degeneracy */
        r->pocket[q].chirality = fourpi2 * val[L->o_chir + q] / w->m->spin_degeneracy;
        r->pocket[q].chirality_err = fourpi2 * err[L->o_chir + q] / w->m->spin_degeneracy;
        r->pocket[q].dos = val[L->o_norm + q];
    }
    r->dos = val[L->o_dos];
    r->density = val[L->o_dos + 1];
    r->degen_weight = val[L->o_dos + 2];
    r->landau_weight = val[L->o_dos + 3];
    if (L->brate && val[L->o_born] > 0) {
        /* 1/<1/tau> over the thermal shell */
        r->tau_born = val[L->o_dos] / val[L->o_born];
        r->tau_born_err = r->tau_born * (err[L->o_dos] / fabs(val[L->o_dos]) + err[L->o_born] / val[L->o_born]);
    }
}

/* the vertex correction's numerics: its energy segments, their tails and the
 * dropped share (sj_adjoint is assembled with the relaxation time of n_E) */
static void fill_vertex_numerics(const run_t *w)
{
    qkt_response_t *r = w->r;
    r->vertex_nseg = w->vt.nseg;
    r->vertex_tail = 0;
    for (int q = 0; q < w->vt.nseg; q++) {
        const struct qkt_vseg *sg = &w->vt.seg[q];
        r->vertex_seg[q][0] = sg->emin;
        r->vertex_seg[q][1] = sg->emax;
        if (sg->gmax > 0) r->vertex_tail = fmax(r->vertex_tail, sg->gtail / sg->gmax);
        if (sg->qmax > 0) r->vertex_tail = fmax(r->vertex_tail, sg->qtail / sg->qmax);
    }
    r->vertex_dropped = w->val[w->L.o_jdrop + 1] > 0 ? w->val[w->L.o_jdrop] / w->val[w->L.o_jdrop + 1] : 0;
}

/* the integrals kept for re-assembly: val and err move into r->raw */
static qkt_status_t keep_raw(run_t *w)
{
    qkt_response_t *r = w->r;
    r->raw = malloc(sizeof *r->raw);
    if (!r->raw) return qkt_error(QKT_ENOMEM, "out of memory");
    r->raw->L = w->L;
    r->raw->val = w->val;
    r->raw->err = w->err;
    r->raw->nnu = w->nnu;
    r->raw->nal = w->nal;
    memcpy(r->raw->nu, w->nu, sizeof w->nu);
    memcpy(r->raw->al, w->al, sizeof w->al);
    r->raw->npk = w->npk;
    r->raw->valley = w->L.valley;
    r->raw->born = w->born;
    r->raw->lsens_path = NULL;
    r->raw->hval = w->hval;
    r->raw->nhalf = w->nhalf;
    for (int l = 0; l < QKT_MAX_COSETS; l++) r->raw->half[l] = NULL;
    w->val = w->err = w->hval = NULL; /* owned by r->raw now */
    return QKT_OK;
}

/* the B-only response: the CME currents and the Streda terms */
static void fill_cme(qkt_response_t *r)
{
    const qkt_layout_t *L = &r->raw->L;
    const double *val = r->raw->val, *err = r->raw->err;
    for (int ia = 0; ia < r->raw->nal; ia++)
        for (int mu = 0; mu < 3; mu++) {
            int a = r->raw->al[ia];
            r->cme_S[a][mu] = val[L->o_cme + (ia * QKT_CME_N + QKT_CME_S) * 3 + mu];
            r->cme_S_sea[a][mu] = val[L->o_cme + (ia * QKT_CME_N + QKT_CME_S_SEA) * 3 + mu];
            r->cme_xi[a][mu] = val[L->o_cme + (ia * QKT_CME_N + QKT_CME_XI) * 3 + mu];
            r->cme_S_eq[a][mu] = val[L->o_cme + (ia * QKT_CME_N + QKT_CME_S_EQ) * 3 + mu];
            r->cme_D[a][mu] = val[L->o_cme + (ia * QKT_CME_N + QKT_CME_D) * 3 + mu];
            r->cme_orb[a][mu] = val[L->o_cme + (ia * QKT_CME_N + QKT_CME_ORB) * 3 + mu];
            r->cme_S_err[a][mu] = err[L->o_cme + (ia * QKT_CME_N + QKT_CME_S) * 3 + mu];
            r->cme_S_fs[a][mu] = r->cme_S[a][mu] - r->cme_S_sea[a][mu];
            r->cme_S_sea_err[a][mu] = err[L->o_cme + (ia * QKT_CME_N + QKT_CME_S_SEA) * 3 + mu];
            r->cme_xi_err[a][mu] = err[L->o_cme + (ia * QKT_CME_N + QKT_CME_XI) * 3 + mu];
            r->cme_S_eq_err[a][mu] = err[L->o_cme + (ia * QKT_CME_N + QKT_CME_S_EQ) * 3 + mu];
            r->cme_D_err[a][mu] = err[L->o_cme + (ia * QKT_CME_N + QKT_CME_D) * 3 + mu];
            r->cme_orb_err[a][mu] = err[L->o_cme + (ia * QKT_CME_N + QKT_CME_ORB) * 3 + mu];
            r->cme_S_fs_err[a][mu] = r->cme_S_err[a][mu] + r->cme_S_sea_err[a][mu];
        }
    for (int a = 0; a < 3; a++) {
        r->streda[a] = val[L->o_streda + a];
        r->streda_err[a] = err[L->o_streda + a];
    }
}

/* tau_from_disorder at orders >= 1: tau_inter from the same disorder, the
 * time of the slowest population mode that relaxes (Eq. 59) with its
 * error from the largest relative error of the intervalley times; none
 * (tau_inter_born 0) when no scattering connects two pockets */
static qkt_status_t intervalley_time(run_t *w)
{
    /* qkt scatter's own thermal window (the engine's is set by reltol), so that
     * the time is the one qkt scatter prints at these mu, T and map cells */
    qkt_params_t pc = *w->p;
    pc.window = 0;
    qkt_disorder_t d = {pc.nimp_U0sq, pc.disorder_xi, 0};
    qkt_scatter_t *sc = malloc(sizeof *sc);
    if (!sc) return qkt_error(QKT_ENOMEM, "out of memory (intervalley time)");
    qkt_status_t st = qkt_scatter_compute(w->m, &pc, &d, sc);
    if (!st) {
        double rate = 0, rel = 0;
        for (int i = 0; i < sc->npocket; i++)
            if (sc->valley_rate[i] > 0 && (rate == 0 || sc->valley_rate[i] < rate)) rate = sc->valley_rate[i];
        for (int a = 0; a < sc->npocket; a++)
            for (int b = 0; b < sc->npocket; b++)
                if (a != b && isfinite(sc->tau_inter[a][b]) && sc->tau_inter[a][b] > 0 &&
                    isfinite(sc->tau_inter_err[a][b]))
                    rel = fmax(rel, sc->tau_inter_err[a][b] / sc->tau_inter[a][b]);
        w->r->tau_inter_born = rate > 0 ? 1 / rate : 0;
        w->r->tau_inter_born_err = rate > 0 ? rel / rate : 0;
    }
    free(sc);
    return st;
}

/* the steps after the options: pockets, layout, tables, integration, their
 * products into r and the assembly of the tensors */
static qkt_status_t compute_steps(run_t *w)
{
    const qkt_params_t *p = w->p;
    qkt_response_t *r = w->r;
    qkt_status_t st = build_pockets(w);
    if (st) return st;
    select_axes(w);
    w->born = p->rule == QKT_RULE_BORN && !p->bonly;
    w->tfd = p->tau_from_disorder && !p->bonly;
    build_layout(w);
    tree_params(w);
    if ((st = shell_resolvable(w))) return st;
    if ((st = disorder_tables(w))) return st;
    if ((st = integrate(w))) return st;
    systematic_errors(w);
    fill_pockets(w);
    /* an irreducible wedge sums each orbit at one point, in whichever pocket
     * holds it: per-pocket sums are not the pockets' (the tensors are, once
     * symmetrized) */
    if (p->mesh_weight && p->order >= 1) r->npocket = 0;
    if (w->L.vj) fill_vertex_numerics(w);
    if ((st = keep_raw(w))) return st;
    if (p->bonly) {
        fill_cme(r);
        return QKT_OK;
    }
    if (w->tfd && !(r->tau_born > 0))
        return qkt_error(QKT_EPHYS, "tau_from_disorder: no Born relaxation rate at the Fermi level (no states "
                                    "within the thermal window?)");
    /* tau_inter is read by rules paper and valley (and mc's C_valley re-assembly) */
    if (w->tfd && p->order >= 1 && (p->rule != QKT_RULE_RTA || p->valley_tallies) && (st = intervalley_time(w)))
        return st;
    return qkt_response_assemble(r, p->rule, w->tfd ? r->tau_born : p->tau_intra,
                                 r->tau_inter_born > 0 ? r->tau_inter_born : p->tau_inter);
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
    r->par = pw;
    run_t w;
    memset(&w, 0, sizeof w);
    w.m = m;
    w.p = &pw;
    w.r = r;
    w.mesh = pw.mesh[0] > 0;
    run_options(&pw, &w.ro);
    st = compute_steps(&w);
    qkt_pockets_free(w.pk);
    free(w.val);
    free(w.err);
    free(w.hval);
    qkt_vtable_free(&w.vt);
    return st;
}

void qkt_response_free(qkt_response_t *r)
{
    if (!r || !r->raw) return;
    free(r->raw->val);
    free(r->raw->err);
    free(r->raw->lsens_path);
    free(r->raw->hval);
    for (int l = 0; l < QKT_MAX_COSETS; l++) free(r->raw->half[l]);
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
    tp.h = FD_STEP_KCUT * m->kcut;
    qkt_intopts_t io;
    memset(&io, 0, sizeof io);
    io.progress = q.progress;
    io.progress_phase = q.progress_phase;
    io.progress_user = q.progress_user;
    io.weight = q.mesh_weight;
    double *val = calloc((size_t)nmu * L.fdim, sizeof(double));
    if (!val) return qkt_error(QKT_ENOMEM, "out of memory");
    qkt_intstats_t stats;
    memset(&stats, 0, sizeof stats);
    qkt_integ_t how = {QKT_INT_MESH, q.mesh, nmu, mus, q.reltol, 0, q.mesh_estimate};
    double *err = q.mesh_estimate ? calloc((size_t)nmu * L.fdim, sizeof(double)) : NULL;
    if (q.mesh_estimate && !err) {
        free(val);
        return qkt_error(QKT_ENOMEM, "out of memory");
    }
    io.deadline = q.time_limit > 0 ? qkt_now() + q.time_limit : 0;
    st = qkt_integrate_tree(m, &L, &tp, NULL, &io, &how, val, err, &stats);
    if (m->spin_degeneracy > 1)
        for (size_t i = 0; i < (size_t)nmu * L.fdim; i++) val[i] *= m->spin_degeneracy;
    /* the estimate: the two meshes' difference, and the window's tails at T > 0
     * (as systematic_errors) */
    double sys_rel = err && q.T > 0 ? 2 * exp(-(q.window - 4)) : 0;
    for (size_t i = 0; err && i < (size_t)nmu * L.fdim; i++)
        err[i] = err[i] * m->spin_degeneracy + sys_rel * fabs(val[i]);
    for (int i = 0; i < nmu && !st; i++) {
        qkt_response_t *ri = &r[i];
        ri->par = q;
        ri->par.mu = mus[i];
        ri->dim = m->dim;
        ri->neval = stats.neval;
        ri->converged = !err || (stats.converged && !stats.timed_out);
        ri->timed_out = stats.timed_out;
        ri->sys_rel = sys_rel;
        ri->ndegen = stats.ndegen;
        ri->nfallback = stats.nfallback;
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
        if (err) memcpy(ri->raw->err, err + (size_t)i * L.fdim, sizeof(double) * L.fdim);
        ri->raw->L = L;
        ri->raw->nnu = nnu;
        memcpy(ri->raw->nu, nu, sizeof nu);
        st = qkt_response_assemble(ri, q.rule, q.tau_intra, q.tau_inter);
    }
    free(val);
    free(err);
    if (st)
        for (int i = 0; i < nmu; i++) qkt_response_free(&r[i]);
    return st;
}


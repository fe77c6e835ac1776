/* engine_cli.c - run-file keys of the response engine and the output blocks
 * shared by its commands: numerics (accuracy, evaluations, time), Fermi
 * pockets, tensors with error estimates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine_cli.h"

struct qkt_engine_key_text qkt_engine_text;

void qkt_engine_keys_init(void)
{
    struct qkt_engine_key_text *k = &qkt_engine_text;
    qkt_params_t p, w;
    qkt_params_default(&p);
    qkt_model_t wm; /* stands for any model in eV and Angstrom (Wannier90) */
    memset(&wm, 0, sizeof wm);
    wm.units = QKT_UNITS_EV_ANGSTROM;
    qkt_params_default_for_model(&wm, &w);
    const qkt_units_t *u = qkt_units();
    snprintf(k->mu, sizeof k->mu, "%g", p.mu);
    snprintf(k->T, sizeof k->T, "%g", p.T);
    snprintf(k->tau_intra, sizeof k->tau_intra, "%g", p.tau_intra);
    snprintf(k->tau_inter, sizeof k->tau_inter, "%g", p.tau_inter);
    snprintf(k->rule, sizeof k->rule, "%s", qkt_rule_name(p.rule));
    snprintf(k->reltol, sizeof k->reltol, "%g", p.reltol);
    snprintf(k->maxeval, sizeof k->maxeval, "%zu", p.maxeval);
    snprintf(k->T_doc, sizeof k->T_doc, "temperature: k_B T (Wannier: kelvin, default %g), > 0", w.T / u->kB_eV);
    snprintf(k->tau_intra_doc, sizeof k->tau_intra_doc, "intravalley relaxation time (Wannier: fs, default %g)",
             w.tau_intra * u->time_fs);
    snprintf(k->tau_inter_doc, sizeof k->tau_inter_doc, "intervalley relaxation time (Wannier: fs, default %g)",
             w.tau_inter * u->time_fs);
}

int qkt_mask_of(const double v[3])
{
    int m = 0;
    for (int a = 0; a < 3; a++)
        if (v[a] != 0) m |= 1 << a;
    return m;
}

/* conductivities: factor from the engine's e^2/hbar (per length) to the
 * printed unit, and its label; set by qkt_cli_engine_params() */
static double sigma_factor = 1;
static int mesh_sums = 0; /* uniform mesh without refinement: no error estimates to print */
static const char *sigma_label = "e^2/hbar";

static int physical(const qkt_model_t *m) { return m && m->units == QKT_UNITS_EV_ANGSTROM; }

/* engine units per user unit of a field key (1 for natural-unit models) */
static double field_scale(qkt_cli_t *cli, const char *key)
{
    qkt_model_t *m = NULL;
    if (qkt_cli_model(cli, &m) || !physical(m)) return 1;
    if (!strcmp(key, "run.B")) return 1 / qkt_units()->field_T; /* tesla -> hbar/(e Ang^2) */
    if (!strcmp(key, "run.E")) return 1e-10;                     /* V/m -> eV/Ang (e E) */
    return 1;
}

/* run.B as read (engine units), for the estimate of w_c tau */
static double field_B[3];
static int field_set;

qkt_status_t qkt_cli_field(qkt_cli_t *cli, const char *key, double B[3])
{
    qkt_status_t s = qkt_cli_vec(cli, key, 3, B);
    if (s) return s;
    if (!strcmp(key, "run.B")) {
        double sc = field_scale(cli, key);
        for (int a = 0; a < 3; a++) field_B[a] = B[a] * sc;
        field_set = 1;
    }
    if (B[0] == 0 && B[1] == 0 && B[2] == 0)
        return qkt_error(QKT_EINVAL, "%s: the field must not be zero", qkt_cli_where(cli, key));
    double sc = field_scale(cli, key);
    for (int a = 0; a < 3; a++) B[a] *= sc;
    qkt_model_t *m = NULL;
    if (!strcmp(key, "run.B") && !qkt_cli_model(cli, &m) && m->dim == 2 && (B[0] != 0 || B[1] != 0))
        qkt_cli_warn(cli, "%s: the model is two-dimensional; only B_z acts on it (B_x, B_y are ignored)",
                     qkt_cli_where(cli, key));
    return QKT_OK;
}

qkt_status_t qkt_cli_require_field(qkt_cli_t *cli, const char *key)
{
    qkt_model_t *m = NULL;
    if (qkt_cli_has(cli, key) || qkt_cli_model(cli, &m) || physical(m)) return QKT_OK;
    return qkt_error(QKT_EINVAL,
                     "%s is required at order B^1 and above for a model in natural units: no field is "
                     "small for every model (the low-field expansion needs w_c tau = v_F B tau_intra/k_F "
                     "<< 1, printed under numerics); give it, e.g. 'B = 0 0 0.01' under [run] or "
                     "--set %s=0,0,0.01",
                     key, key);
}

void qkt_out_field(qkt_cli_t *cli, const char *name, const char *key, const double F[3])
{
    qkt_model_t *m = NULL;
    double sc = field_scale(cli, key), v[3];
    for (int a = 0; a < 3; a++) v[a] = F[a] / sc;
    qkt_cli_model(cli, &m);
    qkt_out_vector(cli, name, 3, v, NULL,
                   physical(m) ? (!strcmp(key, "run.E") ? "V/m" : "T") : "field");
}

double qkt_cli_sigma_factor(void) { return sigma_factor; }

static qkt_status_t positive(qkt_cli_t *cli, const char *key, double v, int strict)
{
    if (strict ? !(v > 0) : !(v >= 0))
        return qkt_error(QKT_EINVAL, "%s: must be %s 0, got %g", qkt_cli_where(cli, key), strict ? ">" : ">=", v);
    return QKT_OK;
}

static void engine_progress(void *user, long done, long total)
{
    qkt_cli_t *cli = user;
    if (done >= total) qkt_cli_progress_end(cli);
    else qkt_cli_progress(cli, cli->phase_label[0] ? cli->phase_label : "integrating", done, total);
}

static void engine_progress_phase(void *user, const char *phase) { qkt_cli_progress_phase(user, phase); }

/* 1 if the command's key table lists the key: a command reads only the
 * engine keys it lists (scan lists no run.mu, rule, tau_inter ...) */
static int listed(const qkt_cli_t *cli, const char *key)
{
    for (const qkt_key_t *k = cli->cmd->keys; k && k->name; k++)
        if (!strcmp(k->name, key)) return 1;
    return 0;
}

#define OPT(call, key) (listed(cli, key) ? (call) : QKT_OK)

/* the run-file text of the engine's keys, before parsing */
struct engine_keys {
    const char *rule, *open, *sunit, *meshs, *expn, *derivs;
    long maxeval, ncell, icell;
    int refine;
    long estimate;
};

/* Wannier models: physical units; the library's defaults for the model
 * (qkt_params_default_for_model) written in the run file's units K, fs */
static qkt_status_t wannier_defaults(qkt_cli_t *cli, const qkt_params_t *p)
{
    qkt_status_t s;
    if (listed(cli, "run.mu") && !qkt_cli_default_fermi(cli, "run.mu"))
        return qkt_error(QKT_EINVAL, "missing key 'run.mu': a Wannier model needs the chemical potential in eV, "
                                     "[run] mu = ... (it is taken from fermi_energy of SEEDNAME.win beside "
                                     "model.file when that file has one)");
    const qkt_units_t *u = qkt_units();
    char T[32], ti[32], tx[32];
    snprintf(T, sizeof T, "%.15g", p->T / u->kB_eV);
    snprintf(ti, sizeof ti, "%.15g", p->tau_intra * u->time_fs);
    snprintf(tx, sizeof tx, "%.15g", p->tau_inter * u->time_fs);
    if ((s = qkt_cli_default(cli, "run.T", T)) || (s = qkt_cli_default(cli, "run.tau_intra", ti)) ||
        (s = OPT(qkt_cli_default(cli, "run.tau_inter", tx), "run.tau_inter")))
        return s;
    return QKT_OK;
}

/* the printed unit of conductivities (run.sigma_unit; e^2/hbar for natural units) */
static qkt_status_t set_sigma_unit(qkt_cli_t *cli, const qkt_model_t *m, int phys, const char *sunit)
{
    if (phys) {
        const qkt_units_t *u = qkt_units();
        if (!strcmp(sunit, "S/cm")) {
            sigma_factor = m->dim == 3 ? u->sigma3_Sm / 100 : u->sigma2_S;
            sigma_label = m->dim == 3 ? "S/cm" : "S";
        } else if (!strcmp(sunit, "S/m")) {
            sigma_factor = m->dim == 3 ? u->sigma3_Sm : u->sigma2_S;
            sigma_label = m->dim == 3 ? "S/m" : "S";
        } else
            return qkt_error(QKT_EINVAL, "%s: 'S/cm' or 'S/m', got '%s'", qkt_cli_where(cli, "run.sigma_unit"), sunit);
    } else {
        sigma_factor = 1;
        sigma_label = "e^2/hbar";
    }
    return QKT_OK;
}

/* every other key, in the order of the key table */
static qkt_status_t read_keys(qkt_cli_t *cli, qkt_params_t *p, struct engine_keys *k)
{
    qkt_status_t s;
    if ((s = OPT(qkt_cli_double(cli, "run.mu", &p->mu), "run.mu")) || (s = qkt_cli_double(cli, "run.T", &p->T)) ||
        (s = qkt_cli_double(cli, "run.tau_intra", &p->tau_intra)) ||
        (s = OPT(qkt_cli_double(cli, "run.tau_inter", &p->tau_inter), "run.tau_inter")) ||
        (s = OPT(qkt_cli_string(cli, "run.rule", &k->rule), "run.rule")) ||
        (s = OPT(qkt_cli_string(cli, "run.expansion", &k->expn), "run.expansion")) ||
        (s = OPT(qkt_cli_string(cli, "numerics.derivatives", &k->derivs), "numerics.derivatives")) ||
        (s = qkt_cli_double(cli, "numerics.reltol", &p->reltol)) ||
        (s = qkt_cli_int(cli, "numerics.maxeval", &k->maxeval)) ||
        (s = qkt_cli_double(cli, "numerics.kbox", &p->kbox)) ||
        (s = qkt_cli_string(cli, "numerics.open", &k->open)) || (s = qkt_cli_int(cli, "numerics.ncell", &k->ncell)) ||
        (s = qkt_cli_int(cli, "numerics.icell", &k->icell)) ||
        (s = qkt_cli_double(cli, "numerics.fd_step", &p->fd_step)) ||
        (s = qkt_cli_double(cli, "numerics.window", &p->window)) ||
        (s = qkt_cli_double(cli, "numerics.degen_tol", &p->degen_tol)) ||
        (s = OPT(qkt_cli_double(cli, "numerics.time_limit", &p->time_limit), "numerics.time_limit")) ||
        (s = OPT(qkt_cli_double(cli, "run.nimp_U0sq", &p->nimp_U0sq), "run.nimp_U0sq")) ||
        (s = qkt_cli_string(cli, "numerics.mesh", &k->meshs)) ||
        (s = OPT(qkt_cli_bool(cli, "numerics.refine", &k->refine), "numerics.refine")) ||
        (s = OPT(qkt_cli_int(cli, "numerics.mesh_estimate", &k->estimate), "numerics.mesh_estimate")) ||
        (s = OPT(qkt_cli_bool(cli, "run.tau_from_disorder", &p->tau_from_disorder), "run.tau_from_disorder")) ||
        (s = OPT(qkt_cli_double(cli, "run.disorder_xi", &p->disorder_xi), "run.disorder_xi")))
        return s;
    return QKT_OK;
}

/* numerics.mesh: one size for all axes, or N1 N2 N3 */
static qkt_status_t parse_mesh(qkt_cli_t *cli, const char *meshs, double mesh[3])
{
    const char *end;
    const char *c = meshs;
    int n = 0;
    while (n < 4) {
        while (*c == ' ' || *c == '\t') c++;
        if (!*c) break;
        double v = 0;
        if (qkt_parse_real(c, &end, &v, 0) || (*end && *end != ' ' && *end != '\t')) n = 5;
        else if (n < 3) mesh[n] = v;
        n++;
        c = end;
    }
    if (n == 1) mesh[1] = mesh[2] = mesh[0];
    if (n != 1 && n != 3)
        return qkt_error(QKT_EINVAL, "%s: expected one mesh size or three (N1 N2 N3), got '%s'",
                         qkt_cli_where(cli, "numerics.mesh"), meshs);
    return QKT_OK;
}

/* the uniform mesh and its refinement: sizes, and which models they are for */
static qkt_status_t set_mesh(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p, const double mesh[3], int refine,
                             long estimate)
{
    for (int a = 0; a < 3; a++) {
        if (!(mesh[a] >= 0 && mesh[a] <= 100000 && mesh[a] == floor(mesh[a])))
            return qkt_error(QKT_EINVAL, "%s: mesh sizes are integers in [1, 100000] (0 0 0: adaptive), got %g",
                             qkt_cli_where(cli, "numerics.mesh"), mesh[a]);
        p->mesh[a] = (int)mesh[a];
    }
    int use_mesh = p->mesh[0] || p->mesh[1] || p->mesh[2];
    mesh_sums = use_mesh && !refine && !estimate;
    int nmax = m->dim == 2 ? 3 : 7;
    if (estimate < 0 || estimate > nmax)
        return qkt_error(QKT_EINVAL, "%s: the number of displaced meshes is 0 (no estimate) to %d in %dD (%d see "
                                     "every aliasing mode but those of the mesh 2N), got %ld",
                         qkt_cli_where(cli, "numerics.mesh_estimate"), nmax, m->dim, m->dim, estimate);
    if (estimate && (!use_mesh || refine))
        return qkt_error(QKT_EINVAL, "%s: the displaced-mesh estimate is for a plain uniform mesh: set numerics.mesh = N "
                                     "and leave numerics.refine off (refinement has its own estimate)",
                         qkt_cli_where(cli, "numerics.mesh_estimate"));
    p->mesh_estimate = (int)estimate;
    if (refine && !use_mesh)
        return qkt_error(QKT_EINVAL, "%s: refinement starts from a uniform mesh: set numerics.mesh = N (e.g. 16 "
                                     "or 25) for a periodic (lattice, Wannier) model",
                         qkt_cli_where(cli, "numerics.refine"));
    p->refine = refine;
    if (use_mesh && !m->periodic)
        return qkt_error(QKT_EINVAL, "%s: a uniform mesh is for periodic (lattice, Wannier) models; continuum "
                                     "models are integrated adaptively", qkt_cli_where(cli, "numerics.mesh"));
    if (use_mesh && m->dim == 2) p->mesh[2] = 1;
    if (use_mesh && (!p->mesh[0] || !p->mesh[1] || !p->mesh[2]))
        return qkt_error(QKT_EINVAL, "%s: give one size or all three (N1 N2 N3), got %d %d %d",
                         qkt_cli_where(cli, "numerics.mesh"), p->mesh[0], p->mesh[1], p->mesh[2]);
    return QKT_OK;
}

/* the ranges of the numbers (run.T may be 0 on a uniform mesh: step occupations) */
static qkt_status_t check_ranges(qkt_cli_t *cli, qkt_params_t *p, const struct engine_keys *k)
{
    qkt_status_t s;
    int use_mesh = p->mesh[0] || p->mesh[1] || p->mesh[2];
    if ((s = positive(cli, "run.T", p->T, !use_mesh)) || (s = positive(cli, "run.tau_intra", p->tau_intra, 1)) ||
        (s = positive(cli, "run.tau_inter", p->tau_inter, 1)) || (s = positive(cli, "numerics.kbox", p->kbox, 0)) ||
        (s = positive(cli, "numerics.fd_step", p->fd_step, 0)) ||
        (s = positive(cli, "numerics.degen_tol", p->degen_tol, 0)) ||
        (s = positive(cli, "numerics.time_limit", p->time_limit, 0)) ||
        (s = positive(cli, "run.nimp_U0sq", p->nimp_U0sq, 0)) ||
        (s = positive(cli, "run.disorder_xi", p->disorder_xi, 0)))
        return s;
    if (!(p->reltol > 0 && p->reltol < 1))
        return qkt_error(QKT_EINVAL, "%s: must be in (0, 1), got %g", qkt_cli_where(cli, "numerics.reltol"), p->reltol);
    if (k->maxeval < 100)
        return qkt_error(QKT_EINVAL, "%s: must be >= 100, got %ld", qkt_cli_where(cli, "numerics.maxeval"), k->maxeval);
    if (k->ncell != 0 && (k->ncell < 4 || k->ncell > 400))
        return qkt_error(QKT_EINVAL, "%s: must be 0 (automatic) or in [4, 400], got %ld",
                         qkt_cli_where(cli, "numerics.ncell"), k->ncell);
    if (k->icell < 0 || k->icell > 64)
        return qkt_error(QKT_EINVAL, "%s: must be in [0, 64], got %ld", qkt_cli_where(cli, "numerics.icell"), k->icell);
    if (p->window != 0 && !(p->window >= 8 && p->window <= 60))
        return qkt_error(QKT_EINVAL, "%s: must be 0 (automatic) or in [8, 60], got %g",
                         qkt_cli_where(cli, "numerics.window"), p->window);
    p->maxeval = (size_t)k->maxeval;
    p->ncell = (int)k->ncell;
    p->icell = (int)k->icell;
    return QKT_OK;
}

/* run.rule and run.expansion, and what each needs */
static qkt_status_t set_rule(qkt_cli_t *cli, qkt_params_t *p, const char *rule, const char *expn)
{
    if (!strcmp(rule, "rta")) p->rule = QKT_RULE_RTA;
    else if (!strcmp(rule, "paper")) p->rule = QKT_RULE_PAPER;
    else if (!strcmp(rule, "valley")) p->rule = QKT_RULE_VALLEY;
    else if (!strcmp(rule, "born")) p->rule = QKT_RULE_BORN;
    else
        return qkt_error(QKT_EINVAL, "%s: unknown rule '%s' (rta, paper, valley or born)",
                         qkt_cli_where(cli, "run.rule"), rule);
    if (!strcmp(expn, "seed")) p->expansion = QKT_EXPANSION_SEED;
    else if (!strcmp(expn, "reciprocal")) p->expansion = QKT_EXPANSION_RECIPROCAL;
    else if (!strcmp(expn, "equilibrium")) p->expansion = QKT_EXPANSION_EQUILIBRIUM;
    else
        return qkt_error(QKT_EINVAL, "%s: unknown expansion '%s' (seed, reciprocal or equilibrium)",
                         qkt_cli_where(cli, "run.expansion"), expn);
    if (p->expansion == QKT_EXPANSION_RECIPROCAL && p->rule != QKT_RULE_RTA)
        return qkt_error(QKT_EINVAL, "%s: the reciprocal expansion is defined with rule rta only (got rule %s)",
                         qkt_cli_where(cli, "run.expansion"), rule);
    if (p->rule == QKT_RULE_BORN && !(p->nimp_U0sq > 0)) {
        char where[256]; /* qkt_cli_where() returns one static buffer */
        snprintf(where, sizeof where, "%s", qkt_cli_where(cli, "run.rule"));
        return qkt_error(QKT_EINVAL, "%s: rule born needs the disorder strength %s > 0 (got %g): n_imp U0^2 sets "
                                     "the Born collision operator that relaxes n_E",
                         where, qkt_cli_where(cli, "run.nimp_U0sq"), p->nimp_U0sq);
    }
    if (p->tau_from_disorder && (!(p->nimp_U0sq > 0) || p->rule == QKT_RULE_BORN)) {
        char where[256];
        snprintf(where, sizeof where, "%s", qkt_cli_where(cli, "run.tau_from_disorder"));
        return qkt_error(QKT_EINVAL, "%s: %s", where,
                         p->rule == QKT_RULE_BORN ? "rule born has the Born relaxation already; drop the key"
                                                  : "needs the disorder strength run.nimp_U0sq > 0");
    }
    return QKT_OK;
}

/* run.landau_cutoff: the threshold rho_c of the Landau cutoff at the field
 * |run.B| (docs/physics.md, "Landau cutoff").  auto: 1 for models in eV and
 * Angstrom, whose run.B is a field in tesla; 0 (off) for natural units, whose
 * tensors are the coefficients of the expansion in B */
static qkt_status_t set_landau(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p)
{
    if (!listed(cli, "run.landau_cutoff")) return QKT_OK;
    qkt_status_t s;
    double rho = physical(m) ? 1 : 0, B[3] = {0, 0, 1};
    if (!qkt_config_get(cli->cfg, "run.landau_cutoff") &&
        (s = qkt_cli_default(cli, "run.landau_cutoff", physical(m) ? "1" : "0")))
        return s;
    if (strcmp(qkt_config_get(cli->cfg, "run.landau_cutoff"), "auto") &&
        (s = qkt_cli_double(cli, "run.landau_cutoff", &rho)))
        return s;
    if (!(rho >= 0 && isfinite(rho)))
        return qkt_error(QKT_EINVAL, "%s: must be >= 0 (0: no cutoff), got %g", qkt_cli_where(cli, "run.landau_cutoff"),
                         rho);
    if (rho == 0) return QKT_OK;
    if (listed(cli, "run.B") && (s = qkt_cli_vec(cli, "run.B", 3, B))) return s;
    double sc = field_scale(cli, "run.B");
    p->landau_rho = rho;
    p->landau_B = sc * sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
    return QKT_OK;
}

/* numerics.open: axes along which a continuum model is not closed */
static qkt_status_t set_open(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p, const char *open)
{
    for (const char *c = open; c && *c; c++) {
        if (*c == ' ' || *c == ',') continue;
        int a = *c == 'x' ? 0 : *c == 'y' ? 1 : *c == 'z' ? 2 : -1;
        if (a < 0)
            return qkt_error(QKT_EINVAL, "%s: axes are x, y, z, got '%s'", qkt_cli_where(cli, "numerics.open"), open);
        p->open[a] = 1;
    }
    if (m->periodic && (p->open[0] || p->open[1] || p->open[2]))
        return qkt_error(QKT_EINVAL, "%s: open axes are for continuum models only", qkt_cli_where(cli, "numerics.open"));
    return QKT_OK;
}

qkt_status_t qkt_cli_engine_params(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p)
{
    qkt_params_default_for_model(m, p);
    p->progress = engine_progress;
    p->progress_phase = engine_progress_phase;
    p->progress_user = cli;
    qkt_status_t s;
    /* rule and expansion of a command that lists neither: the library's defaults */
    struct engine_keys k = {qkt_engine_text.rule, NULL, NULL, NULL, "seed", "analytic", 0, 0, 0, 0, 0};
    double mesh[3] = {0, 0, 0};
    int phys = physical(m);
    if (phys && (s = wannier_defaults(cli, p))) return s;
    if ((s = qkt_cli_string(cli, "run.sigma_unit", &k.sunit))) return s;
    if ((s = set_sigma_unit(cli, m, phys, k.sunit))) return s;
    if ((s = read_keys(cli, p, &k))) return s;
    if ((s = parse_mesh(cli, k.meshs, mesh))) return s;
    if ((s = set_mesh(cli, m, p, mesh, k.refine, k.estimate))) return s;
    qkt_cli_check_temperature(cli, "run.T", p->T, listed(cli, "run.mu") ? p->mu : 0);
    if (phys) {
        const qkt_units_t *u = qkt_units();
        p->T *= u->kB_eV;                    /* K -> eV */
        p->tau_intra /= u->time_fs;          /* fs -> hbar/eV */
        p->tau_inter /= u->time_fs;
    }
    if ((s = check_ranges(cli, p, &k))) return s;
    if ((s = set_rule(cli, p, k.rule, k.expn)) || (s = set_landau(cli, m, p))) return s;
    if (!strcmp(k.derivs, "fd")) p->derivatives = QKT_DERIVATIVES_FD;
    else if (!strcmp(k.derivs, "analytic")) p->derivatives = QKT_DERIVATIVES_ANALYTIC;
    else
        return qkt_error(QKT_EINVAL, "%s: unknown value '%s' (fd or analytic)", qkt_cli_where(cli, "numerics.derivatives"),
                         k.derivs);
    return set_open(cli, m, p, k.open);
}

const char *qkt_sigma_unit(const qkt_model_t *m, int order)
{
    /* tensors of orders 1 and 2 are printed at the field run.B */
    static char buf[3][64];
    (void)m;
    snprintf(buf[order], sizeof buf[order], "%s%s", sigma_label, order ? ", at run.B" : "");
    return buf[order];
}

void qkt_out_qtensor(qkt_cli_t *cli, const char *name, const qkt_tensor_t *t, const char *unit)
{
    double v[9], e[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            v[3 * i + j] = sigma_factor * t->v[i][j];
            e[3 * i + j] = sigma_factor * t->e[i][j];
        }
    qkt_out_tensor(cli, name, v, mesh_sums ? NULL : e, unit);
}

/* A mesh point carrying more than this share of the largest component of an
 * order's conductivity means the sum rests on a few points.  Measured: Si's
 * Drude tensor on 40^3 at 300 K and 7.2 eV 4.6e-3 (a thermal shell over many
 * points); bcc Fe's anomalous Hall conductivity at T = 0 on 25^3, 30^3, 32^3,
 * 36^3: 0.042, 0.10, 0.031, 0.047 with values 405, 1808, 456, 483 S/cm (a
 * spike of near-degenerate bands that each mesh meets differently). */
#define HOT_SPOT_WARN 0.01

/* Share of the Fermi-level weight carried by evaluation points with a degenerate
 * pair (fs_degenerate in tree.c): of the density of states at T > 0, of the
 * Brillouin zone at T = 0 (uniform mesh).  Isolated crossings (a Weyl node
 * sampled closely by the adaptive rules) carry a vanishing share. */
/* a path's share above which the Landau cutoff's sensitivity (qkt_response_t.lsens_path_rel) is reported */
#define LANDAU_SENS_WARN 0.1

static double degen_share(qkt_cli_t *cli, const qkt_response_t *r)
{
    if (r->ndegen == 0) return 0;
    if (r->par.T > 0) return r->dos > 0 ? r->degen_weight / r->dos : 1;
    qkt_model_t *m = NULL;
    if (qkt_cli_model(cli, &m) || !m || !(m->cell_volume > 0)) return 1;
    return r->degen_weight * m->cell_volume / m->spin_degeneracy;
}

/* The low-field expansion's parameter w_c tau = e |B| v_F tau_intra / (hbar
 * k_F) for the field run.B (docs/physics.md, "Low-field expansion"): v_F the
 * engine's Fermi velocity scale (largest band velocity on the Fermi surface),
 * k_F of each pocket from its density of states as for a sphere (3D: dos =
 * g k_F^2 / (2 pi^2 hbar v_F)) or a circle (2D: dos = g k_F / (2 pi hbar
 * v_F)); the largest over the pockets.  Exact for one isotropic pocket; an
 * estimate otherwise.  -1 when it is not defined (no field, no pocket). */
static double wc_tau(const qkt_model_t *m, const qkt_response_t *r)
{
    if (!field_set || !m || !(r->vF > 0)) return -1;
    double B = m->dim == 2 ? fabs(field_B[2]) : sqrt(field_B[0] * field_B[0] + field_B[1] * field_B[1] +
                                                      field_B[2] * field_B[2]);
    double g = m->spin_degeneracy > 0 ? m->spin_degeneracy : 1, best = -1;
    for (int q = 0; q < r->npocket; q++) {
        double d = r->pocket[q].dos;
        if (!(d > 0)) continue;
        double kF = m->dim == 2 ? 2 * M_PI * r->vF * d / g : sqrt(2 * M_PI * M_PI * r->vF * d / g);
        best = fmax(best, B * r->vF * r->par.tau_intra / kF);
    }
    return best;
}

void qkt_out_numerics(qkt_cli_t *cli, const qkt_response_t *r)
{
    qkt_model_t *wm = NULL;
    if (qkt_cli_model(cli, &wm)) wm = NULL;
    double wct = wc_tau(wm, r);
    qkt_out_push(cli, "numerics", "numerics (what sets the accuracy)");
    qkt_out_string(cli, "rule", qkt_rule_name(r->par.rule));
    qkt_out_string(cli, "expansion", qkt_expansion_name(r->par.expansion));
    if (r->par.mesh[0] > 0 && r->par.refine) {
        double mv[3] = {r->par.mesh[0], r->par.mesh[1], r->par.mesh[2]};
        qkt_out_string(cli, "integration", "uniform mesh + adaptive refinement (errors are estimates)");
        qkt_out_vector(cli, "mesh", 3, mv, NULL, NULL);
        qkt_out_scalar(cli, "reltol", r->par.reltol, NULL, NULL);
        qkt_out_int(cli, "refine_levels", r->refine_levels);
        qkt_out_int(cli, "refine_cells", (long)r->refine_leaves);
        qkt_out_scalar(cli, "refine_memory", r->refine_mb, NULL, "MB");
        if (r->par.order >= 1)
            qkt_out_string(cli, "total_errors", !r->totals_direct ? "sums of the paths' estimates (an upper bound)"
                                                : r->par.order >= 2
                                                    ? "direct (sigma0, sigma1, sigma2: the refinement's estimates of "
                                                      "the rule-rta totals it was driven by)"
                                                    : "direct (sigma0, sigma1: the refinement's estimates of the "
                                                      "rule-rta totals it was driven by)");
    } else if (r->par.mesh[0] > 0) {
        double mv[3] = {r->par.mesh[0], r->par.mesh[1], r->par.mesh[2]};
        qkt_out_string(cli, "integration",
                       r->half_estimate ? "uniform mesh, irreducible wedge (errors: each component's largest "
                                          "change from one of the 8 meshes N/2 that make up the mesh, its points "
                                          "of each parity of the indices, max_c |S_N - S_c|; S_N is their mean, "
                                          "so an upper estimate while the error at least halves from the worst "
                                          "of them to the mesh N)"
                                        : qkt_cli_mesh_text(&r->par));
        qkt_out_vector(cli, "mesh", 3, mv, NULL, NULL);
        if (r->par.mesh_estimate || r->half_estimate) qkt_out_scalar(cli, "reltol", r->par.reltol, NULL, NULL);
    } else {
        qkt_out_string(cli, "integration", "adaptive (errors are estimates)");
        qkt_out_scalar(cli, "reltol", r->par.reltol, NULL, NULL);
    }
    qkt_out_bool(cli, "converged", r->converged);
    qkt_out_int(cli, "evaluations", (long)r->neval);
    qkt_out_int(cli, "degenerate_points", r->ndegen);
    qkt_out_scalar(cli, "degenerate_share", degen_share(cli, r), NULL, NULL);
    qkt_out_scalar(cli, "seconds", r->seconds, NULL, "s");
    if (r->par.order >= 1 && !r->par.bonly) {
        qkt_out_scalar(cli, "landau_cutoff", r->par.landau_B > 0 ? r->par.landau_rho : 0, NULL, NULL);
        if (r->par.landau_B > 0) {
            qkt_model_t *m = NULL;
            qkt_cli_model(cli, &m);
            qkt_out_scalar(cli, "magnetic_length", 1 / sqrt(r->par.landau_B), NULL, physical(m) ? "Angstrom" : "length");
            qkt_out_scalar(cli, "landau_share", r->dos > 0 ? r->landau_weight / r->dos : 0, NULL, NULL);
            for (int o = 1; o <= r->par.order && o <= 2 && r->landau_sens; o++) {
                char key[64];
                int t = r->lsens_path[o - 1];
                snprintf(key, sizeof key, "landau_sensitivity%d", o);
                qkt_out_scalar(cli, key, r->lsens_rel[o - 1], &r->lsens_rel_err[o - 1], NULL);
                snprintf(key, sizeof key, "landau_sensitivity%d_path", o);
                qkt_out_string(cli, key, t < 0 ? "none" : o == 1 ? r->path1_name[t] : r->path2_name[t]);
            }
        }
    }
    if (r->par.order >= 1 && !r->par.bonly) {
        qkt_out_string(cli, "derivatives", r->par.derivatives == QKT_DERIVATIVES_ANALYTIC ? "analytic" : "fd");
        if (r->par.derivatives == QKT_DERIVATIVES_ANALYTIC) qkt_out_int(cli, "fallback_points", r->nfallback);
    }
    for (int o = 0; o < 3; o++)
        if (r->hot_path[o]) {
            char key[32], pk[32];
            snprintf(key, sizeof key, "hot_spot_share%d", o);
            snprintf(pk, sizeof pk, "hot_spot_path%d", o);
            qkt_out_scalar(cli, key, r->hot_share[o], NULL, NULL);
            qkt_out_string(cli, pk, r->hot_path[o]);
        }
    qkt_out_scalar(cli, "fd_step", r->fd_step, NULL, NULL);
    qkt_out_scalar(cli, "systematic_rel_error", r->sys_rel, NULL, NULL);
    qkt_out_scalar(cli, "thermal_window", r->par.window, NULL, "T");
    qkt_out_int(cli, "pockets", r->npocket);
    if (wct >= 0) qkt_out_scalar(cli, "wc_tau", wct, NULL, NULL);
    if ((r->par.rule == QKT_RULE_BORN || r->par.tau_from_disorder) && r->tau_born > 0) {
        /* the Born relaxation time 1/<1/tau> at the Fermi level (rule born) */
        qkt_model_t *m = NULL;
        if (qkt_cli_model(cli, &m)) m = NULL;
        double f = physical(m) ? qkt_units()->time_fs : 1; /* hbar/eV -> fs */
        double t = f * r->tau_born, te = f * r->tau_born_err;
        qkt_out_scalar(cli, "tau_born", t, &te, qkt_cli_unit(m, "time"));
        if (r->tau_inter_born > 0) {
            double ti = f * r->tau_inter_born, tie = f * r->tau_inter_born_err;
            qkt_out_scalar(cli, "tau_inter_born", ti, &tie, qkt_cli_unit(m, "time"));
        }
        if (r->par.rule == QKT_RULE_BORN) {
            qkt_out_int(cli, "born_conserved_modes", r->born_null_modes);
            qkt_out_scalar(cli, "born_zero_mode_drive", r->born_null_drive, NULL, NULL);
        }
    }
    if (r->vertex_nseg > 0) {
        /* the tables behind the vertex of the order-1 diagonal nodes */
        double sg[2 * QKT_MAX_VSEG];
        for (int q = 0; q < r->vertex_nseg; q++) {
            sg[2 * q] = r->vertex_seg[q][0];
            sg[2 * q + 1] = r->vertex_seg[q][1];
        }
        qkt_model_t *m = NULL;
        if (qkt_cli_model(cli, &m)) m = NULL;
        static const char *const lab[2] = {"emin", "emax"};
        qkt_out_matrix(cli, "vertex_segments", r->vertex_nseg, 2, sg, lab, qkt_cli_unit(m, "energy"));
        qkt_out_scalar(cli, "vertex_table_tail", r->vertex_tail, NULL, NULL);
        qkt_out_scalar(cli, "vertex_dropped_share", r->vertex_dropped, NULL, NULL);
    }
    qkt_out_pop(cli);
    if (wct > 0.3 && (r->par.order >= 1 || r->par.bonly))
        qkt_cli_warn(cli, "w_c tau = %.3g at %s: the low-field expansion in B needs w_c tau << 1 (above 0.3 the "
                          "orders B^1, B^2 printed at this field are no longer a good approximation); lower |run.B| "
                          "(the orders scale as B, B^2) or tau",
                     wct, qkt_cli_where(cli, "run.B"));
    if (r->vertex_nseg > 0 && r->vertex_dropped > r->par.reltol)
        qkt_cli_warn(cli, "the vertex of the order-1 diagonal nodes misses %.2g of their weight (bands outside the "
                          "tabulated energy segments); raise numerics.ncell", r->vertex_dropped);
    if (r->par.rule == QKT_RULE_BORN && r->born_null_drive > fmax(1e-2, 10 * r->par.reltol))
        qkt_cli_warn(cli, "rule born: the drive has a component %.3g (relative) on a conserved mode of the "
                          "collision operator; n_E is not a steady state there (check the thermal window and "
                          "numerics.reltol)",
                     r->born_null_drive);
    for (int o = 0; o < 3; o++)
        if (r->hot_path[o] && r->hot_share[o] > HOT_SPOT_WARN)
            qkt_cli_warn(cli, "one mesh point carries %.2g of the largest sigma^(%d) component (path %s): the sum "
                              "over the %d x %d x %d mesh rests on a few points (a hot spot where two bands nearly cross, "
                              "or a thermal shell thinner than the mesh spacing) and has not converged; compare a "
                              "denser mesh%s",
                         r->hot_share[o], o, r->hot_path[o], r->par.mesh[0], r->par.mesh[1], r->par.mesh[2],
                         r->par.mesh_estimate ? ""
                                              : " (on a mesh without numerics.symmetry_wedge, numerics.mesh_estimate = 3 "
                                                "gives every value an error estimate)");
    double share = degen_share(cli, r);
    if (share > 1e-6)
        qkt_cli_warn(cli, "%ld of %zu evaluation points met two degenerate bands (|eps_m - eps_n| <= "
                          "numerics.degen_tol = %g) at the Fermi level, carrying %.2g of the Fermi-level "
                          "weight; their interband terms (Berry connection, P^-1) are dropped there, which is "
                          "exact only if the pair stays degenerate nearby",
                     r->ndegen, r->neval, r->par.degen_tol, share);
    for (int o = 1; o <= r->par.order && o <= 2 && !r->par.bonly && r->landau_sens; o++) {
        int t = r->lsens_path[o - 1];
        double v = r->lsens_path_rel[o - 1], e = r->lsens_path_rel_err[o - 1];
        if (t >= 0 && v > LANDAU_SENS_WARN && v > 2 * e)
            qkt_cli_warn(cli, "sigma^(%d) path %s depends on the Landau cutoff: its derivative with respect to ln "
                              "run.landau_cutoff is %.2g of the largest component of sigma^(%d) (rule rta, +- %.2g): "
                              "it comes from band pairs at the cutoff, where the field mixes them into Landau levels "
                              "and the expansion in B does not hold, so this part is not a coefficient of B^%d",
                         o, o == 1 ? r->path1_name[t] : r->path2_name[t], v, o, e, o);
    }
    if (r->par.order >= 1 && !r->par.bonly && r->par.landau_B > 0 && r->landau_weight > 0)
        qkt_cli_warn(cli, "the Landau cutoff (run.landau_cutoff = %g, l_B = %.4g) tapered off the order-B^1%s terms "
                          "near band pairs that the field mixes, %.2g of the Fermi-level weight: there the expansion "
                          "in B does not hold, and such contributions depend on |B| beyond the power printed; "
                          "compare run.landau_cutoff = %g",
                     r->par.landau_rho, 1 / sqrt(r->par.landau_B), r->par.order >= 2 ? " and B^2" : "",
                     r->dos > 0 ? r->landau_weight / r->dos : 0, 2 * r->par.landau_rho);
    if (r->timed_out && r->par.mesh_estimate)
        qkt_cli_time_limit(cli, "numerics.time_limit = %g s reached: %d of the %d displaced meshes were not summed%s; "
                                "the values printed are the mesh's, not converged",
                           r->par.time_limit, r->timed_out, r->par.mesh_estimate,
                           r->timed_out == r->par.mesh_estimate ? " (no estimate: each error is set to the value itself)"
                                                                : " (the estimates come from the others)");
    else if (r->timed_out)
        qkt_cli_time_limit(cli, "numerics.time_limit = %g s reached: the integration stopped (%d part%s or "
                                "refinement round%s cut, at their estimates so far); the results and error "
                                "estimates printed are those reached, not converged",
                           r->par.time_limit, r->timed_out, r->timed_out == 1 ? "" : "s",
                           r->timed_out == 1 ? "" : "s");
    else if (!r->converged && (r->par.mesh_estimate || r->half_estimate))
        qkt_cli_not_converged(cli, "the mesh sums did not all reach numerics.reltol = %g by their %s estimates; the "
                                   "values are those of the %d x %d x %d mesh with the estimates printed: raise "
                                   "numerics.mesh",
                              r->par.reltol, r->half_estimate ? "meshes-N/2" : "displaced-mesh", r->par.mesh[0],
                              r->par.mesh[1], r->par.mesh[2]);
    else if (!r->converged)
        qkt_cli_not_converged(cli, "the integrals did not all reach numerics.reltol = %g within numerics.maxeval; "
                                   "the error estimates printed are the achieved ones",
                              r->par.reltol);
}

const char *qkt_cli_mesh_text(const qkt_params_t *p)
{
    return p->mesh_estimate ? "uniform mesh + displaced copies (errors: the largest change, an estimate)"
                            : "uniform mesh (no error estimate; the mesh sets the accuracy)";
}

void qkt_out_pockets(qkt_cli_t *cli, const qkt_model_t *m, const qkt_response_t *r)
{
    qkt_out_push_array(cli, "pockets", "Fermi pockets");
    for (int q = 0; q < r->npocket; q++) {
        qkt_out_push(cli, NULL, "pocket");
        qkt_out_int(cli, "index", q);
        qkt_out_int(cli, "block", r->pocket[q].block);
        qkt_out_vector(cli, "center", 3, r->pocket[q].center, NULL, qkt_cli_unit(m, "1/length"));
        if (m->dim == 3) qkt_out_scalar(cli, "chirality", r->pocket[q].chirality, &r->pocket[q].chirality_err, NULL);
        qkt_out_scalar(cli, "dos", r->pocket[q].dos, NULL, "1/(energy volume)");
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
    /* the Berry flux through a closed Fermi surface is an integer (Eq. 3): a
     * pocket whose flux is not is a piece the map could not separate cleanly */
    for (int q = 0; q < r->npocket && m->dim == 3; q++) {
        double Q = r->pocket[q].chirality, e = r->pocket[q].chirality_err;
        if (fabs(Q - round(Q)) > fmax(0.05, 3 * e))
            qkt_cli_warn(cli, "pocket %d: Berry flux %.3g +/- %.2g is not an integer, so its Fermi surface is not "
                              "closed inside the pocket (it was cut or joined to another piece: raise "
                              "numerics.ncell, or lower run.T if thermal shells of neighbouring pockets overlap%s); "
                              "its chirality, pumping rate and the per-pocket relaxation rules are unreliable",
                         q, Q, e, r->par.mesh[0] > 0 ? ", or refine the mesh" : "");
    }
}

/* ------------------------------------------------------------------ numerics.symmetry */

qkt_status_t qkt_cli_symmetry_setup(qkt_cli_t *cli, const qkt_model_t *m, qkt_params_t *p, qkt_cli_sym_t *sy)
{
    memset(sy, 0, sizeof *sy);
    double tol = 1e-4;
    qkt_status_t s;
    if ((s = qkt_cli_bool(cli, "numerics.symmetry", &sy->on)) ||
        (s = qkt_cli_double(cli, "numerics.symmetry_tol", &tol)) ||
        (s = qkt_cli_bool(cli, "numerics.symmetry_wedge", &sy->wedge)))
        return s;
    if (sy->wedge && !sy->on)
        return qkt_error(QKT_EINVAL, "%s needs numerics.symmetry = true", qkt_cli_where(cli, "numerics.symmetry_wedge"));
    if (sy->wedge && (!(p->mesh[0] > 0) || p->refine))
        return qkt_error(QKT_EINVAL, "%s: the irreducible wedge is for a plain uniform mesh (numerics.mesh, no "
                                     "numerics.refine)",
                         qkt_cli_where(cli, "numerics.symmetry_wedge"));
    if (sy->wedge && p->order >= 1 && p->rule != QKT_RULE_RTA)
        return qkt_error(QKT_EINVAL, "%s at order B^%d needs run.rule = rta (got %s): rules paper and valley decide "
                                     "with pocket sums, which the irreducible wedge does not hold",
                         qkt_cli_where(cli, "numerics.symmetry_wedge"), p->order, qkt_rule_name(p->rule));
    if (!sy->on) return QKT_OK;
    if (p->order >= 1 && p->rule == QKT_RULE_PAPER && (p->tau_from_disorder || p->tau_intra != p->tau_inter))
        return qkt_error(QKT_EINVAL,
                         "%s at order B^%d needs a relaxation rule linear in the drive (run.rule = rta or "
                         "valley): rule paper is assembled for the one field run.B, so its tensors of order >= 1 "
                         "are not the material's and the group average does not apply (docs/physics.md)",
                         qkt_cli_where(cli, "numerics.symmetry"), p->order);
    if (!(tol > 0))
        return qkt_error(QKT_EINVAL, "%s: must be > 0, got %g", qkt_cli_where(cli, "numerics.symmetry_tol"), tol);
    if ((s = qkt_cli_magsym(cli, m, tol, &sy->g, &sy->c))) return s;
    /* Onsager per power of tau holds at orders >= 1 only with the reciprocal
     * expansion (docs/method.md): with the seed's, antiunitary operations are
     * used at order 0 only */
    sy->anti_high = p->expansion == QKT_EXPANSION_RECIPROCAL || p->expansion == QKT_EXPANSION_EQUILIBRIUM;
    /* the group average needs every E direction, and the B components of the
     * smallest subspace holding the caller's (run.B) that the group maps onto
     * itself: for Fe (4/mm'm') and B along z, z alone, which halves the cost */
    p->nu_mask = 7;
    if (p->order >= 1) p->al_mask = p->al_mask ? qkt_magsym_field_mask(&sy->g, sy->anti_high, p->al_mask) : 7;
    if (sy->wedge) {
        sy->nmesh = (long)p->mesh[0] * p->mesh[1] * p->mesh[2];
        sy->weight = malloc((size_t)sy->nmesh * sizeof *sy->weight);
        if (!sy->weight) return qkt_error(QKT_ENOMEM, "out of memory for the mesh weights");
        /* orbits of the group the average uses: at orders >= 1 without
         * anti_high the unitary subgroup */
        int use_anti = p->order == 0 || sy->anti_high;
        if ((s = qkt_magsym_mesh_weights(&sy->g, m, p->mesh, use_anti, sy->weight, &sy->nirr)) ||
            (s = qkt_magsym_mesh_ops(&sy->g, m, p->mesh, use_anti, sy->ops, &sy->nops)))
            return s;
        p->mesh_ops = (const int (*)[3][3])sy->ops;
        p->mesh_nops = sy->nops;
        /* even sizes: the errors are the changes from the meshes N/2 that
         * make up the mesh (qkt_response_t.half_estimate) */
        if (p->mesh[0] % 2 == 0 && p->mesh[1] % 2 == 0 && (m->dim == 2 || p->mesh[2] % 2 == 0)) mesh_sums = 0;
        p->mesh_weight = sy->weight;
    }
    return QKT_OK;
}

static void out_forbidden(qkt_cli_t *cli, const qkt_magsym_t *g, const char *name, int rank, int order, int anti)
{
    int forb[81], n = rank == 2 ? 9 : rank == 3 ? 27 : 81, nf = 0;
    if (qkt_magsym_forbidden(g, rank, rank - 2, order, anti, forb)) return;
    char list[81 * 6 + 1] = "", *o = list;
    for (int i = 0; i < n; i++) {
        if (!forb[i]) continue;
        nf++;
        int idx[4], J = i;
        for (int a = rank - 1; a >= 0; a--) idx[a] = J % 3, J /= 3;
        if (o != list) *o++ = ' ';
        for (int a = 0; a < rank; a++) *o++ = "xyz"[idx[a]];
        *o = 0;
    }
    char key[64];
    snprintf(key, sizeof key, "%s_forbidden", name);
    qkt_out_string(cli, key, nf ? list : "(none)");
    snprintf(key, sizeof key, "%s_nforbidden", name);
    qkt_out_int(cli, key, nf);
}

qkt_status_t qkt_cli_symmetry_apply(qkt_cli_t *cli, qkt_cli_sym_t *sy, qkt_response_t *r)
{
    if (!sy->on) return QKT_OK;
    /* the tensors before: how much the average changes them is reported */
    qkt_tensor_t *raw = malloc(13 * sizeof *raw);
    if (!raw) return qkt_error(QKT_ENOMEM, "out of memory");
    raw[0] = r->sigma0;
    memcpy(raw + 1, r->sigma1, 3 * sizeof *raw);
    memcpy(raw + 4, r->sigma2, 9 * sizeof *raw);
    qkt_status_t s = qkt_magsym_response(&sy->g, r, sy->anti_high);
    r->par.mesh_weight = NULL; /* freed with sy */
    r->par.mesh_ops = NULL;
    double chg[3] = {0, 0, 0}, big[3] = {0, 0, 0}, err[3] = {0, 0, 0};
    for (int t = 0; !s && t < 13; t++) {
        int o = t == 0 ? 0 : t < 4 ? 1 : 2;
        const qkt_tensor_t *now = t == 0 ? &r->sigma0 : t < 4 ? &r->sigma1[t - 1] : &r->sigma2[(t - 4) / 3][(t - 4) % 3];
        for (int i = 0; i < 9; i++) {
            double a = raw[t].v[i / 3][i % 3], b = now->v[i / 3][i % 3];
            chg[o] = fmax(chg[o], fabs(a - b));
            big[o] = fmax(big[o], fabs(a));
            err[o] = fmax(err[o], raw[t].e[i / 3][i % 3]);
        }
    }
    free(raw);
    if (s || sy->reported) return s;
    sy->reported = 1;
    const qkt_magsym_t *g = &sy->g;
    qkt_out_push(cli, "symmetry", "magnetic point group (numerics.symmetry)");
    qkt_out_string(cli, "structure", sy->c.source);
    qkt_out_bool(cli, "magnetic", g->magnetic);
    char txt[128];
    snprintf(txt, sizeof txt, "UNI %d, BNS %s, OG %s, type %s", g->uni_number, g->bns_number, g->og_number,
             g->msg_type == 1 ? "I" : g->msg_type == 2 ? "II" : g->msg_type == 3 ? "III" : "IV");
    qkt_out_string(cli, "magnetic_space_group", txt);
    snprintf(txt, sizeof txt, "%s (point group %s)", g->family_symbol, g->family_pointgroup);
    qkt_out_string(cli, "family_space_group", txt);
    qkt_out_int(cli, "crystal_operations", g->nop_crystal);
    qkt_out_int(cli, "operations", g->nop);
    qkt_out_int(cli, "unitary", g->nunitary);
    qkt_out_int(cli, "antiunitary", g->nanti);
    double worst = 0;
    for (int o = 0; o < g->nop; o++) worst = fmax(worst, g->model_dev[o]);
    qkt_out_scalar(cli, "model_band_deviation", worst, NULL, "eV");
    if (sy->wedge) {
        qkt_out_int(cli, "wedge_points", sy->nirr);
        qkt_out_int(cli, "mesh_points", sy->nmesh);
    }
    if (g->ndropped) {
        double lo = INFINITY;
        for (int o = 0; o < g->ndropped; o++) lo = fmin(lo, g->dropped_dev[o]);
        qkt_out_int(cli, "dropped", g->ndropped);
        qkt_cli_warn(cli,
                     "numerics.symmetry: the model breaks %d of the crystal's %d point operations (its bands move by "
                     "%.3g eV or more under them, above numerics.symmetry_tol = %g eV); the tensors are symmetrized "
                     "with the %d operations it obeys",
                     g->ndropped, g->nop_crystal, lo, g->model_tol, g->nop);
    }
    out_forbidden(cli, g, "sigma0", 2, 0, 1);
    if (r->par.order >= 1) out_forbidden(cli, g, "sigma1", 3, 1, sy->anti_high);
    if (r->par.order >= 2) out_forbidden(cli, g, "sigma2", 4, 2, sy->anti_high);
    static const char *const names[3] = {"sigma0", "sigma1", "sigma2"};
    if (sy->wedge) qkt_out_note(cli, "summed over the irreducible mesh points, so the result exists only symmetrized");
    for (int o = 0; o <= r->par.order && o < 3 && !sy->wedge; o++) {
        char key[48];
        snprintf(key, sizeof key, "%s_change", names[o]);
        double rel = big[o] > 0 ? chg[o] / big[o] : 0;
        qkt_out_scalar(cli, key, rel, NULL, "1");
        if (err[o] > 0 && chg[o] > 2 * err[o])
            qkt_cli_warn(cli, "numerics.symmetry changed %s by %.3g of its largest component, more than twice its largest "
                              "error estimate (%.3g): the computed tensor does not obey the group within its errors "
                              "(a model that breaks it, or an expansion that breaks Onsager's relation)",
                         names[o], rel, big[o] > 0 ? err[o] / big[o] : 0);
    }
    if (r->par.order >= 1 && !sy->anti_high && g->nanti)
        qkt_out_note(cli, "orders B^1, B^2: unitary operations only (%d); the antiunitary ones hold per power of tau "
                          "only with run.expansion = reciprocal (docs/method.md, Onsager reciprocity)",
                     g->nunitary);
    qkt_out_note(cli, "forbidden components are exactly 0; errors are |P|-weighted averages (docs/physics.md)");
    qkt_out_pop(cli);
    return QKT_OK;
}

void qkt_cli_symmetry_free(qkt_cli_sym_t *sy)
{
    qkt_crystal_free(&sy->c);
    free(sy->weight);
    sy->weight = NULL;
}

/* cmd_mc.c - `qkt mc`: quadratic magnetoconductivity sigma^(2) (Eq. 97) for
 * any E and B directions: the full 3x3 tensor for the field run.B, on request
 * the rank-4 tensor sigma_{mu nu, a b}, split by path of the response tree
 * (anomaly S_E>n_EB>S_EB2 + xi_EB2, Lorentz n_E>n_EB>n_EB2, the others) and by
 * powers of tau; for Weyl/Dirac models the dimensionless C of Eq. (111), its
 * S and xi parts, C under rule valley, and C' of Eq. (122). */
#include <math.h>
#include <string.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_ENGINE_KEYS,
    {"mc.rank4", "false", "bool", "also print the rank-4 tensor sigma_{mu nu, a b} (all B directions)"},
    {"mc.valley", "true", "bool", "Weyl/Dirac models: also assemble C under rule valley"},
    {"mc.E", "", "field", "compute only the columns nu of E along this vector (default: all nine)"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes sigma^(2)_{mu nu}(B) = Tr[(-e) v (L^-1 D_B)^2 L^-1 D_E rho0]/E (Eq. 97) for the\n"
    "field run.B, all nine components, by path of the response tree (the seed's Fig. 2)\n"
    "and by powers of tau_intra and tau_inter under run.rule.  With mc.rank4 the tensor\n"
    "sigma_{mu nu, a b} with sigma^(2)(B) = sum_ab B_a B_b sigma_{mu nu, a b} is printed too\n"
    "(planar Hall effect, angular magnetoresistance).  For weyl2, weyl4, node and dirac\n"
    "it prints C of Eq. (111): the tau_inter coefficient of the longitudinal sigma^(2)\n"
    "along B in units (e^2/4pi^2)(eB)^2 v^3/mu^2, its parts C_S (S_EB2) and C_xi\n"
    "(xi_EB2), C_valley (rule valley) and C' (Eq. 122: anomaly-path tau_intra term for E\n"
    "perpendicular to B).\n"
    "\n"
    "Example (the seed's Fig. 3 at k0 = 0.2):\n"
    "  [model]\n  name = weyl2\n  b = 0.2\n  [run]\n  mu = 0.1\n  T = 0.005\n  B = 0 0 1\n";

static void field_sum2(const qkt_tensor_t (*t)[3], const double B[3], qkt_tensor_t *out)
{
    memset(out, 0, sizeof *out);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    out->v[i][j] += B[a] * B[b] * t[a][b].v[i][j];
                    out->e[i][j] += fabs(B[a] * B[b]) * t[a][b].e[i][j];
                }
}

static double quad(const qkt_tensor_t *t, const double e[3], double *err)
{
    double v = 0, ee = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            v += e[i] * t->v[i][j] * e[j];
            ee += fabs(e[i] * e[j]) * t->e[i][j];
        }
    if (err) *err = ee;
    return v;
}

static int path_index(const qkt_response_t *r, const char *name)
{
    for (int t = 0; t < r->npath2; t++)
        if (!strcmp(r->path2_name[t], name)) return t;
    return -1;
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    double B[3];
    int rank4 = 0, want_valley = 1;
    double Edir[3] = {0, 0, 0};
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p)) ||
        (s = qkt_cli_field(cli, "run.B", B)) || (s = qkt_cli_bool(cli, "mc.rank4", &rank4)) ||
        (s = qkt_cli_bool(cli, "mc.valley", &want_valley)) || (s = qkt_cli_vec(cli, "mc.E", 3, Edir)))
        return qkt_cli_fail(cli, s);
    int numask = qkt_cli_has(cli, "mc.E") ? qkt_mask_of(Edir) : 7;
    if (!numask) return qkt_cli_failf(cli, QKT_EINVAL, "%s: must not be zero", qkt_cli_where(cli, "mc.E"));
    const char *mn = m->info->name;
    int weyl = !strcmp(mn, "weyl2") || !strcmp(mn, "weyl4") || !strcmp(mn, "node") || !strcmp(mn, "dirac");
    p.order = 2;
    p.nu_mask = numask;
    p.al_mask = rank4 ? 7 : qkt_mask_of(B);
    p.valley_tallies = weyl && want_valley;
    qkt_response_t r;
    s = qkt_response_compute(m, &p, &r);
    if (s) {
        qkt_response_free(&r);
        return qkt_cli_fail(cli, s);
    }
    if (p.nimp_U0sq > 0)
        qkt_cli_warn(cli, "run.nimp_U0sq > 0: sigma^(2) has no ladder vertex (the K^od n terms of Eq. 54 at B^1 "
                          "and B^2 are computed by qkt sigma at order 1 only)");
    const char *u2 = qkt_sigma_unit(m, 2);
    qkt_tensor_t s2;
    field_sum2(r.sigma2, B, &s2);
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_field(cli, "B", "run.B", B);
    qkt_out_qtensor(cli, "sigma2", &s2, u2);
    qkt_out_push(cli, "sigma2_paths", "sigma^(2) by path");
    for (int t = 0; t < r.npath2; t++) {
        if (!strcmp(r.path2_name[t], "(none)")) continue;
        qkt_tensor_t pt;
        field_sum2(r.path2[t], B, &pt);
        qkt_out_qtensor(cli, r.path2_name[t], &pt, u2);
    }
    qkt_out_pop(cli);
    qkt_out_push(cli, "sigma2_by_tau", "sigma^(2) by powers of tau (tau_intra^a tau_inter^b)");
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            qkt_tensor_t t;
            field_sum2(r.tau2[a][b], B, &t);
            int any = 0;
            for (int i = 0; i < 9; i++) any |= t.v[i / 3][i % 3] != 0;
            if (!any) continue;
            char name[40];
            snprintf(name, sizeof name, "tau_intra%d_tau_inter%d", a, b);
            qkt_out_qtensor(cli, name, &t, u2);
        }
    qkt_out_pop(cli);
    if (rank4) {
        static const char *pr[6] = {"xx", "yy", "zz", "yz", "xz", "xy"};
        static const int pa[6] = {0, 1, 2, 1, 0, 0}, pb[6] = {0, 1, 2, 2, 2, 1};
        qkt_out_push(cli, "sigma2_rank4", "rank-4 tensor sigma_{mu nu, a b} (B pair a b, symmetrized)");
        for (int q = 0; q < 6; q++) {
            qkt_tensor_t t;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    int a = pa[q], b = pb[q];
                    double f = a == b ? 1 : 0.5;
                    t.v[i][j] = a == b ? r.sigma2[a][a].v[i][j] : f * (r.sigma2[a][b].v[i][j] + r.sigma2[b][a].v[i][j]);
                    t.e[i][j] = a == b ? r.sigma2[a][a].e[i][j] : f * (r.sigma2[a][b].e[i][j] + r.sigma2[b][a].e[i][j]);
                }
            qkt_out_qtensor(cli, pr[q], &t, u2);
        }
        qkt_out_pop(cli);
    }
    if (weyl) {
        int iv = qkt_model_param_index(m->info, "v");
        double v = iv >= 0 ? m->par[iv][0] : 1;
        double Bn = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
        double bh[3] = {B[0] / Bn, B[1] / Bn, B[2] / Bn};
        /* unit vector perpendicular to B for C' (z projected, or x) */
        double eh[3] = {0, 0, 1};
        double dz = bh[2];
        if (fabs(dz) > 0.999) {
            eh[0] = 1;
            eh[2] = 0;
            dz = bh[0];
            for (int a = 0; a < 3; a++) eh[a] -= dz * bh[a];
        } else {
            for (int a = 0; a < 3; a++) eh[a] -= dz * bh[a];
        }
        double en = sqrt(eh[0] * eh[0] + eh[1] * eh[1] + eh[2] * eh[2]);
        for (int a = 0; a < 3; a++) eh[a] /= en;
        double norm = v * v * v / (4 * M_PI * M_PI * p.mu * p.mu) * Bn * Bn;
        qkt_tensor_t tx;
        field_sum2(r.tau2[0][1], B, &tx);
        double Ce, C = quad(&tx, bh, &Ce) / (p.tau_inter * norm);
        Ce /= p.tau_inter * norm;
        int iS = path_index(&r, "anomaly_SE>nEB>SEB2"), iX = path_index(&r, "anomaly_SE>nEB>xiEB2");
        qkt_tensor_t tS, tX;
        field_sum2(r.path2[iS], B, &tS);
        field_sum2(r.path2[iX], B, &tX);
        double eS, eX;
        double tauA = p.rule == QKT_RULE_PAPER ? p.tau_inter : p.tau_intra;
        double CS = quad(&tS, bh, &eS) / (tauA * norm), CX = quad(&tX, bh, &eX) / (tauA * norm);
        double eP1, eP2;
        double Cp = (quad(&tS, eh, &eP1) + quad(&tX, eh, &eP2)) / (p.tau_intra * norm);
        double Cpe = (eP1 + eP2) / (p.tau_intra * norm);
        qkt_out_push(cli, "weyl", "dimensionless coefficients (Eqs. 111, 122), units (e^2/4pi^2)(eB)^2 v^3/mu^2");
        double k0 = 0;
        int ib = qkt_model_param_index(m->info, "b"), idl = qkt_model_param_index(m->info, "Delta");
        if (ib >= 0 && idl >= 0) {
            double bb = 0;
            for (int c = 0; c < m->info->params[ib].ncomp; c++) bb += m->par[ib][c] * m->par[ib][c];
            double d = bb - m->par[idl][0] * m->par[idl][0];
            k0 = d > 0 ? sqrt(d) / v : 0;
            qkt_out_scalar(cli, "k0", k0, NULL, qkt_cli_unit(m, "1/length"));
        }
        qkt_out_scalar(cli, "C", C, &Ce, NULL);
        eS /= tauA * norm;
        eX /= tauA * norm;
        qkt_out_scalar(cli, "C_S", CS, &eS, NULL);
        qkt_out_scalar(cli, "C_xi", CX, &eX, NULL);
        /* C' needs the E direction perpendicular to B among the computed ones */
        int have_perp = 1;
        for (int a = 0; a < 3; a++)
            if (fabs(eh[a]) > 1e-12 && !(p.nu_mask >> a & 1)) have_perp = 0;
        if (have_perp) {
            qkt_out_scalar(cli, "C_prime", Cp, &Cpe, NULL);
            qkt_out_vector(cli, "C_prime_E", 3, eh, NULL, NULL);
        }
        if (p.valley_tallies) {
            s = qkt_response_assemble(&r, QKT_RULE_VALLEY, p.tau_intra, p.tau_inter);
            if (s) {
                qkt_response_free(&r);
                return qkt_cli_fail(cli, s);
            }
            field_sum2(r.tau2[0][1], B, &tx);
            double Cve, Cv = quad(&tx, bh, &Cve) / (p.tau_inter * norm);
            Cve /= p.tau_inter * norm;
            qkt_out_scalar(cli, "C_valley", Cv, &Cve, NULL);
            s = qkt_response_assemble(&r, p.rule, p.tau_intra, p.tau_inter);
            if (s) {
                qkt_response_free(&r);
                return qkt_cli_fail(cli, s);
            }
        }
        qkt_out_pop(cli);
    }
    qkt_out_pockets(cli, m, &r);
    qkt_out_numerics(cli, &r);
    qkt_response_free(&r);
    return 0;
}

const qkt_command_t qkt_cmd_mc = {"mc", "quadratic magnetoconductivity sigma^(2), by path and power of tau", help,
                                  keys, run, 0};

/* cmd_mc.c - `qkt mc`: quadratic magnetoconductivity sigma^(2) (Eq. 97) for
 * any E and B directions: the full 3x3 tensor for the field run.B, on request
 * the rank-4 tensor sigma_{mu nu, a b}, split by path of the response tree
 * (anomaly S_E>n_EB>S_EB2 + xi_EB2, Lorentz n_E>n_EB>n_EB2, the others) and by
 * powers of tau; for Weyl/Dirac models the dimensionless C of Eq. (111), its
 * S and xi parts, C under rule valley, and C' of Eq. (122) (all computed by
 * the library: qkt_weyl_coefficients, qkt_tensor_contract2). */
#include <string.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_ENGINE_KEYS,
    QKT_EK_DERIVATIVES,
    QKT_EK_SYMMETRY,
    {"mc.rank4", "false", "bool", "also print the rank-4 tensor sigma_{mu nu, a b} (all B directions; not under rule paper)"},
    {"mc.valley", "true", "bool", "Weyl/Dirac models: also assemble C under rule valley"},
    {"mc.E", "", "-", "compute only the columns nu of E along this vector (default: all nine)"},
    {"mc.rho", "true", "bool",
     "print the resistivity block (needs sigma^(0), sigma^(1) to numerics.reltol); false: no rho, and the "
     "orders B^0, B^1 are by-products converged to 10 reltol (faster: the Fig. 3 curve)"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes sigma^(2)_{mu nu}(B) = Tr[(-e) v (L^-1 D_B)^2 L^-1 D_E rho0]/E (Eq. 97) for the\n"
    "field run.B, all nine components, by path of the response tree (the seed's Fig. 2)\n"
    "and by powers of tau_intra and tau_inter under run.rule.  With mc.rank4 the tensor\n"
    "sigma_{mu nu, a b} with sigma^(2)(B) = sum_ab B_a B_b sigma_{mu nu, a b} is printed too\n"
    "(planar Hall effect, angular magnetoresistance; not under rule paper, whose\n"
    "decisions depend on the angle between E and B: there each direction of run.B is\n"
    "its own computation, the columns nu being E along axis nu).  For weyl2, weyl4, node and dirac\n"
    "it prints C of Eq. (111): the tau_inter coefficient of the longitudinal sigma^(2)\n"
    "along B in units (e^2/4pi^2)(eB)^2 v^3/mu^2, its parts C_S (S_EB2) and C_xi\n"
    "(xi_EB2), C_valley (rule valley) and C' (Eq. 122: anomaly-path tau_intra term for E\n"
    "perpendicular to B).  The resistivity to order B^2, rho2 = -rho0 sigma^(2) rho0 +\n"
    "rho0 sigma^(1) rho0 sigma^(1) rho0, the magnetoresistance per unit B^2 and at run.B,\n"
    "R_H and w_c tau are printed too; with mc.rank4 the anisotropic-MR and planar-Hall\n"
    "amplitudes for a field rotating in the planes xy, yz, zx (mc.rho = false leaves the\n"
    "resistivity out, and with it the accuracy it needs of the orders B^0 and B^1).\n"
    "\n"
    "Example (the seed's Fig. 3 at k0 = 0.2):\n"
    "  [model]\n  name = weyl2\n  b = 0.2\n  [run]\n  mu = 0.1\n  T = 0.005\n  B = 0 0 1\n";

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    double B[3];
    int rank4 = 0, want_valley = 1, want_rho = 1;
    double Edir[3] = {0, 0, 0};
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p)) ||
        (s = qkt_cli_require_field(cli, "run.B")) || (s = qkt_cli_field(cli, "run.B", B)) ||
        (s = qkt_cli_bool(cli, "mc.rank4", &rank4)) ||
        (s = qkt_cli_bool(cli, "mc.valley", &want_valley)) || (s = qkt_cli_vec(cli, "mc.E", 3, Edir)) ||
        (s = qkt_cli_bool(cli, "mc.rho", &want_rho)))
        return qkt_cli_fail(cli, s);
    int numask = qkt_cli_has(cli, "mc.E") ? qkt_mask_of(Edir) : 7;
    if (!numask) return qkt_cli_failf(cli, QKT_EINVAL, "%s: must not be zero", qkt_cli_where(cli, "mc.E"));
    int weyl = m->info->weyl != NULL;
    /* rule paper is applied to the field direction run.B (not linear in the fields: no
     * rank-4 tensor); the part of E along B needs the E columns of B's direction */
    int paper = p.rule == QKT_RULE_PAPER && (p.tau_from_disorder || p.tau_intra != p.tau_inter);
    if (p.rule == QKT_RULE_PAPER) {
        memcpy(p.field, B, sizeof p.field);
        if (numask & qkt_mask_of(B)) numask |= qkt_mask_of(B);
    }
    p.order = 2;
    p.nu_mask = numask;
    p.al_mask = rank4 && !paper ? 7 : qkt_mask_of(B);
    p.valley_tallies = weyl && want_valley;
    /* without the resistivity the lower orders are not printed: only
     * sigma^(2) needs numerics.reltol */
    p.accuracy_from = want_rho ? 0 : 2;
    qkt_cli_sym_t sy;
    if ((s = qkt_cli_symmetry_setup(cli, m, &p, &sy))) return qkt_cli_fail(cli, s);
    qkt_response_t r;
    s = qkt_response_compute(m, &p, &r);
    if (!s) s = qkt_cli_symmetry_apply(cli, &sy, &r);
    qkt_cli_symmetry_free(&sy);
    if (s) {
        qkt_response_free(&r);
        return qkt_cli_fail(cli, s);
    }
    if (p.nimp_U0sq > 0)
        qkt_cli_warn(cli, "run.nimp_U0sq > 0: sigma^(2) has no ladder vertex (the K^od n terms of Eq. 54 at B^1 "
                          "and B^2 are computed by qkt sigma at order 1 only)");
    const char *u2 = qkt_sigma_unit(m, 2);
    qkt_tensor_t s2;
    qkt_response_sigma2(&r, B, &s2);
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_field(cli, "B", "run.B", B);
    qkt_out_qtensor(cli, "sigma2", &s2, u2);
    qkt_out_push(cli, "sigma2_paths", "sigma^(2) by path");
    for (int t = 0; t < r.npath2; t++) {
        if (!strcmp(r.path2_name[t], "(none)")) continue;
        qkt_tensor_t pt;
        qkt_tensor_contract2(r.path2[t], B, &pt);
        qkt_out_qtensor(cli, r.path2_name[t], &pt, u2);
    }
    qkt_out_pop(cli);
    qkt_out_push(cli, "sigma2_by_tau", "sigma^(2) by powers of tau (tau_intra^a tau_inter^b)");
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            qkt_tensor_t t;
            qkt_tensor_contract2(r.tau2[a][b], B, &t);
            int any = 0;
            for (int i = 0; i < 9; i++) any |= t.v[i / 3][i % 3] != 0;
            if (!any) continue;
            char name[40];
            snprintf(name, sizeof name, "tau_intra%d_tau_inter%d", a, b);
            qkt_out_qtensor(cli, name, &t, u2);
        }
    qkt_out_pop(cli);
    if (rank4 && paper) {
        qkt_out_push(cli, "sigma2_rank4", "rank-4 tensor sigma_{mu nu, a b}");
        qkt_out_string(cli, "not_available",
                       "rule paper with tau_intra != tau_inter: its anomaly decisions depend on the direction of B "
                       "relative to E (docs/physics.md, rule paper), so sigma^(2) is not a quadratic form in B; "
                       "compute each field direction with run.B (e.g. qkt sweep over an angle), or use rule rta or "
                       "valley");
        qkt_out_pop(cli);
    } else if (rank4) {
        static const char *pr[6] = {"xx", "yy", "zz", "yz", "xz", "xy"};
        static const int pa[6] = {0, 1, 2, 1, 0, 0}, pb[6] = {0, 1, 2, 2, 2, 1};
        qkt_out_push(cli, "sigma2_rank4", "rank-4 tensor sigma_{mu nu, a b} (B pair a b, symmetrized)");
        for (int q = 0; q < 6; q++) {
            qkt_tensor_t t;
            qkt_response_sigma2_sym(&r, pa[q], pb[q], &t);
            qkt_out_qtensor(cli, pr[q], &t, u2);
        }
        qkt_out_pop(cli);
    }
    if (want_rho) qkt_out_rho(cli, m, &r, B, rank4); /* rule paper: the planes say why they are missing */
    if (weyl) {
        qkt_weyl_coef_t w;
        s = qkt_weyl_coefficients(m, &r, B, p.valley_tallies, &w);
        if (s) {
            qkt_response_free(&r);
            return qkt_cli_fail(cli, s);
        }
        qkt_out_push(cli, "weyl", "dimensionless coefficients (Eqs. 111, 122), units (e^2/4pi^2)(eB)^2 v^3/mu^2");
        if (w.have_k0) qkt_out_scalar(cli, "k0", w.k0, NULL, qkt_cli_unit(m, "1/length"));
        qkt_out_scalar(cli, "C", w.C, &w.C_err, NULL);
        qkt_out_scalar(cli, "C_S", w.C_S, &w.C_S_err, NULL);
        qkt_out_scalar(cli, "C_xi", w.C_xi, &w.C_xi_err, NULL);
        if (w.have_prime) {
            qkt_out_scalar(cli, "C_prime", w.C_prime, &w.C_prime_err, NULL);
            qkt_out_vector(cli, "C_prime_E", 3, w.C_prime_E, NULL, NULL);
        }
        if (w.have_valley) qkt_out_scalar(cli, "C_valley", w.C_valley, &w.C_valley_err, NULL);
        qkt_out_pop(cli);
    }
    qkt_out_pockets(cli, m, &r);
    qkt_out_numerics(cli, &r);
    qkt_response_free(&r);
    return 0;
}

const qkt_command_t qkt_cmd_mc = {"mc", "quadratic magnetoconductivity sigma^(2), by path and power of tau", help,
                                  keys, run, 0};

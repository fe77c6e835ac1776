/* cmd_sigma.c - `qkt sigma`: the conductivity tensors sigma^(0) and sigma^(1)
 * (Eq. 39, N = 0, 1) with their split into Drude (n_E), intrinsic interband
 * (S_E from D_E) and extrinsic interband (S_E from J(n_E)) parts, and at B^1
 * by path of the response tree and by powers of tau. */
#include <math.h>
#include <string.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_ENGINE_KEYS,
    QKT_EK_DERIVATIVES,
    {"sigma.order", "1", "1", "highest order in B: 0 or 1"},
    QKT_EK_SYMMETRY,
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes sigma^(0)_{mu nu} and (sigma.order = 1) sigma^(1)_{mu nu}(B) for the field\n"
    "run.B, all nine components, from the response tree of the kinetic equation\n"
    "(Eq. 38): sigma^(N) = Tr[(-e) v (L^-1 D_B)^N L^-1 D_E rho0] / E.  sigma^(0) is split\n"
    "into Drude (n_E, ~tau_intra), intrinsic interband (S_E from D_E, Fermi sea:\n"
    "the anomalous Hall effect) and, with run.nimp_U0sq > 0, extrinsic interband\n"
    "(S_J = -P^-1 J(n_E), the ladder vertex of short-range disorder, Eq. 16); sigma^(1)\n"
    "by path (Lorentz n_E>n_EB, n_E>S_EB, n_E>xi_EB, anomaly S_E>n_EB, S_E>S_EB; with\n"
    "run.nimp_U0sq > 0 also the children S_J>n_EB, S_J>S_EB of the vertex part of rho_E\n"
    "and the vertex -P^-1 K^od n_EB of every diagonal node n_EB, Eq. 54: paths ...>SJ)\n"
    "and by powers of tau_intra and tau_inter.  The resistivity rho = [sigma(B)]^-1 to\n"
    "the same order (rho0 = sigma0^-1, rho1 = -rho0 sigma^(1) rho0, anomalous Hall part\n"
    "kept), the Hall coefficient R_H (m^3/C for Wannier models) and w_c tau follow.\n"
    "\n"
    "Example:\n"
    "  [model]\n  name = weyl4\n  b = 0 0 0.2\n  [run]\n  mu = 0.02\n  T = 0.002\n"
    "  [numerics]\n  open = x y\n";

void qkt_out_tau_split1(qkt_cli_t *cli, const qkt_response_t *r, const double B[3], const char *unit);

void qkt_out_tau_split1(qkt_cli_t *cli, const qkt_response_t *r, const double B[3], const char *unit)
{
    qkt_out_push(cli, "sigma1_by_tau", "sigma^(1) by powers of tau (tau_intra^a tau_inter^b)");
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) {
            int any = 0;
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 9; i++) any |= r->tau1[a][b][c].v[i / 3][i % 3] != 0;
            if (!any) continue;
            qkt_tensor_t t;
            qkt_tensor_contract1(r->tau1[a][b], B, &t);
            char name[32];
            snprintf(name, sizeof name, "tau_intra%d_tau_inter%d", a, b);
            qkt_out_qtensor(cli, name, &t, unit);
        }
    qkt_out_pop(cli);
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    double B[3];
    long order = 1;
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p)) ||
        (s = qkt_cli_int(cli, "sigma.order", &order)) ||
        (order >= 1 && (s = qkt_cli_require_field(cli, "run.B"))) || (s = qkt_cli_field(cli, "run.B", B)))
        return qkt_cli_fail(cli, s);
    if (order < 0 || order > 1)
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be 0 or 1 (use 'qkt mc' for B^2)",
                             qkt_cli_where(cli, "sigma.order"));
    p.order = (int)order;
    p.nu_mask = 7;
    p.al_mask = qkt_mask_of(B);
    /* rule paper: the anomaly decisions for the direction of run.B (docs/physics.md) */
    if (p.rule == QKT_RULE_PAPER) memcpy(p.field, B, sizeof p.field);
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
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_qtensor(cli, "sigma0", &r.sigma0, qkt_sigma_unit(m, 0));
    qkt_out_push(cli, "sigma0_parts", "sigma^(0) by part");
    for (int t = 0; t < r.npath0; t++) {
        if (!r.vertex && !strcmp(r.path0_name[t], "extrinsic_SJ")) continue;
        qkt_out_qtensor(cli, r.path0_name[t], &r.path0[t], qkt_sigma_unit(m, 0));
    }
    if (!r.vertex) qkt_out_note(cli, "extrinsic part S_J = -P^-1 J(n_E) not computed (set run.nimp_U0sq > 0)");
    qkt_out_pop(cli);
    if (order >= 1) {
        qkt_tensor_t s1;
        qkt_response_sigma1(&r, B, &s1);
        qkt_out_field(cli, "B", "run.B", B);
        qkt_out_qtensor(cli, "sigma1", &s1, qkt_sigma_unit(m, 0));
        qkt_out_push(cli, "sigma1_paths", "sigma^(1) by path");
        for (int t = 0; t < r.npath1; t++) {
            qkt_tensor_t pt;
            qkt_tensor_contract1(r.path1[t], B, &pt);
            qkt_out_qtensor(cli, r.path1_name[t], &pt, qkt_sigma_unit(m, 0));
        }
        qkt_out_pop(cli);
        qkt_out_tau_split1(cli, &r, B, qkt_sigma_unit(m, 0));
    }
    qkt_out_rho(cli, m, &r, B, 0);
    qkt_out_pockets(cli, m, &r);
    qkt_out_numerics(cli, &r);
    qkt_response_free(&r);
    return 0;
}

const qkt_command_t qkt_cmd_sigma = {"sigma", "conductivity tensors at orders B^0 and B^1, split by path", help,
                                     keys, run, 0};

/* cmd_streda.c - `qkt streda`: the Streda formula (Eq. 44),
 * sigma_{ab} = -e d/dB_c Tr rho_B = -e^2 sum_m int f0 Omega_c^m (abc cyclic),
 * next to the intrinsic interband Hall conductivity of the kinetic equation. */
#include <math.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_ENGINE_KEYS,
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes the Hall conductivity from the B-induced change of the density,\n"
    "sigma_xy = -e dTr[rho_B]/dB_z = -e^2 sum_m int f0 Omega_z^m (Eq. 44; only the Berry-\n"
    "phase part xi_B has a trace), for all three planes, and next to it the intrinsic\n"
    "interband conductivity Tr[(-e) v S_E]/E of sigma^(0) (Eq. 81).  They agree for an\n"
    "insulator or a Weyl metal with mu close to the nodes.  Fermi-sea integrals of\n"
    "continuum models need numerics.open (e.g. 'x y' for nodes along z, Eq. 81).\n";

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p))) return qkt_cli_fail(cli, s);
    p.bonly = 1;
    p.order = 0;
    p.nu_mask = 0;
    p.al_mask = 7;
    qkt_response_t rb, r0;
    s = qkt_response_compute(m, &p, &rb);
    if (s) {
        qkt_response_free(&rb);
        return qkt_cli_fail(cli, s);
    }
    qkt_params_t p0 = p;
    p0.bonly = 0;
    p0.nu_mask = 7;
    p0.al_mask = 0;
    s = qkt_response_compute(m, &p0, &r0);
    if (s) {
        qkt_response_free(&rb);
        qkt_response_free(&r0);
        return qkt_cli_fail(cli, s);
    }
    /* sigma_yz <- Omega_x, sigma_zx <- Omega_y, sigma_xy <- Omega_z */
    double st[3], se[3], in[3], ie[3];
    for (int c = 0; c < 3; c++) {
        int a = (c + 1) % 3, b = (c + 2) % 3;
        st[c] = -rb.streda[c];
        se[c] = rb.streda_err[c];
        in[c] = r0.path0[1].v[a][b];
        ie[c] = r0.path0[1].e[a][b];
    }
    const char *u = qkt_sigma_unit(m, 0);
    double sf = qkt_cli_sigma_factor();
    for (int c = 0; c < 3; c++) st[c] *= sf, se[c] *= sf, in[c] *= sf, ie[c] *= sf;
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_note(cli, "components: [sigma_yz, sigma_zx, sigma_xy]");
    qkt_out_vector(cli, "sigma_streda", 3, st, se, u);
    qkt_out_vector(cli, "sigma_intrinsic", 3, in, ie, u);
    qkt_out_numerics(cli, &r0);
    if (!rb.converged)
        qkt_cli_not_converged(cli, "the Streda integral did not reach numerics.reltol = %g", p.reltol);
    qkt_response_free(&rb);
    qkt_response_free(&r0);
    return 0;
}

const qkt_command_t qkt_cmd_streda = {"streda", "Hall conductivity from the Streda formula (Eq. 44)", help, keys,
                                      run, 0};

/* cmd_cme.c - `qkt cme`: the current driven by a magnetic field alone, the
 * chiral magnetic effect (Eqs. 86-95): j = Tr[(-e) v (S_B + xi_B)] with
 * S_B = P^-1 D_B(rho0) (Eq. 42, split into its Fermi-surface and Fermi-sea
 * parts) and xi_B = e f0 B.Omega (Eq. 43). */
#include <math.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_ENGINE_KEYS,
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes the current j = Tr[(-e) v rho_B] of the density matrix linear in B and\n"
    "free of E (Eqs. 40-43): j_S from the interband S_B = P^-1 D_B(rho0) (its Fermi-\n"
    "surface part: the derivative acting on f0; its Fermi-sea part) and j_xi from the\n"
    "Berry-phase diagonal part xi_B = e f0 B.Omega.  For a Weyl node the Fermi-surface\n"
    "part is 2/3 and xi_B 1/3 of (e^2/4pi^2) Q mu B (Eqs. 93-95); xi_B also carries a\n"
    "cutoff term that cancels between nodes of opposite chirality.  Node chemical\n"
    "potentials: weyl4's mu5, dirac's mu5, or node's energy.\n"
    "\n"
    "Example:\n  [model]\n  name = weyl4\n  b = 0 0 0.2\n  mu5 = 0.02\n  [run]\n  mu = 0.1\n  B = 0 0 1\n";

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    double B[3];
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p)) ||
        (s = qkt_cli_field(cli, "run.B", B)))
        return qkt_cli_fail(cli, s);
    p.bonly = 1;
    p.order = 0;
    p.nu_mask = 0;
    p.al_mask = qkt_mask_of(B);
    qkt_response_t r;
    s = qkt_response_compute(m, &p, &r);
    if (s) {
        qkt_response_free(&r);
        return qkt_cli_fail(cli, s);
    }
    qkt_cme_t c;
    qkt_response_cme(&r, B, &c);
    double j[3], jS[3], jSf[3], jSs[3], jx[3], ej[3], eS[3], eSf[3], eSs[3], ex[3];
    for (int mu = 0; mu < 3; mu++) {
        j[mu] = c.j[mu], jS[mu] = c.S[mu], jSf[mu] = c.S_fs[mu], jSs[mu] = c.S_sea[mu], jx[mu] = c.xi[mu];
        ej[mu] = c.j_err[mu], eS[mu] = c.S_err[mu], eSf[mu] = c.S_fs_err[mu], eSs[mu] = c.S_sea_err[mu];
        ex[mu] = c.xi_err[mu];
    }
    const char *u = "e^2/hbar^2 x field x energy";
    if (m->units == QKT_UNITS_EV_ANGSTROM) {
        /* engine e eV/(hbar Ang^2) -> A/m^2 */
        double f = qkt_units()->current_Am2;
        for (int a = 0; a < 3; a++) {
            j[a] *= f, ej[a] *= f, jS[a] *= f, eS[a] *= f, jx[a] *= f, ex[a] *= f;
            jSf[a] *= f, eSf[a] *= f, jSs[a] *= f, eSs[a] *= f;
        }
        u = "A/m^2";
    }
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_field(cli, "B", "run.B", B);
    qkt_out_vector(cli, "j", 3, j, ej, u);
    qkt_out_vector(cli, "j_S", 3, jS, eS, u);
    qkt_out_vector(cli, "j_xi", 3, jx, ex, u);
    qkt_out_vector(cli, "j_S_fermi_surface", 3, jSf, eSf, u);
    qkt_out_vector(cli, "j_S_fermi_sea", 3, jSs, eSs, u);
    qkt_out_pockets(cli, m, &r);
    qkt_out_numerics(cli, &r);
    qkt_response_free(&r);
    return 0;
}

const qkt_command_t qkt_cmd_cme = {"cme", "chiral magnetic current j(B), split into S_B and xi_B parts", help, keys,
                                   run, 0};

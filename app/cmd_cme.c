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
    double j[3] = {0, 0, 0}, jS[3] = {0, 0, 0}, jSf[3] = {0, 0, 0}, jSs[3] = {0, 0, 0}, jx[3] = {0, 0, 0};
    double ej[3] = {0, 0, 0}, eS[3] = {0, 0, 0}, eSf[3] = {0, 0, 0}, eSs[3] = {0, 0, 0}, ex[3] = {0, 0, 0};
    for (int a = 0; a < 3; a++)
        for (int mu = 0; mu < 3; mu++) {
            jSf[mu] += B[a] * r.cme_S_fs[a][mu];
            jSs[mu] += B[a] * r.cme_S_sea[a][mu];
            jx[mu] += B[a] * r.cme_xi[a][mu];
            eSf[mu] += fabs(B[a]) * r.cme_S_fs_err[a][mu];
            eSs[mu] += fabs(B[a]) * r.cme_S_sea_err[a][mu];
            ex[mu] += fabs(B[a]) * r.cme_xi_err[a][mu];
        }
    for (int mu = 0; mu < 3; mu++) {
        jS[mu] = jSf[mu] + jSs[mu];
        eS[mu] = eSf[mu] + eSs[mu];
        j[mu] = jS[mu] + jx[mu];
        ej[mu] = eS[mu] + ex[mu];
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

/* cmd_cme.c - `qkt cme`: the current driven by a magnetic field alone, the
 * chiral magnetic effect (Eqs. 86-95): j = Tr[(-e) v rho_B].  Under the
 * default expansion, equilibrium, rho_B is the order-B part of the
 * equilibrium density matrix, S_B + D_B; under the seed's, S_B + xi_B with
 * S_B = P^-1 D_B(rho0) (Eq. 42, split into its Fermi-surface and Fermi-sea
 * parts) and xi_B = e f0 B.Omega (Eq. 43).  For a periodic model the current
 * is Bloch's theorem's consistency check (it must vanish). */
#include <math.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_CME_ENGINE_KEYS,
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes the current j = Tr[(-e) v rho_B] of the density matrix linear in B and\n"
    "free of E (Eqs. 40-43): j_S from the interband S_B = P^-1 D_B(rho0) (its Fermi-\n"
    "surface part: the derivative acting on f0; its Fermi-sea part), and the band-\n"
    "diagonal part in one of two expansions (run.expansion):\n"
    "  equilibrium (default): D_B, the diagonal of the order-B equilibrium density\n"
    "    matrix f(H) in the field; j_orbital_moment is its share -f0' m.B (the orbital\n"
    "    moment's shift of the occupations).  S_B + D_B is that whole density matrix,\n"
    "    so a periodic crystal carries no current (Bloch's theorem): j is then the\n"
    "    check of the result, reported against its error estimate.\n"
    "  seed: xi_B = e f0 B.Omega (Eq. 43), as the paper; its current vanishes in a\n"
    "    crystal only while the Fermi surface stays in the linear-cone regime.\n"
    "Both are printed (j_equilibrium, j_seed); j is the chosen one.  For a Weyl node\n"
    "the Fermi-surface part of S_B is 2/3 of (e^2/4pi^2) Q mu B (Eqs. 93-95), and\n"
    "xi_B (seed) or D_B (equilibrium: the orbital moment) the other 1/3; xi_B also\n"
    "carries a cutoff term that cancels between nodes of opposite chirality.  Node\n"
    "chemical potentials: weyl4's mu5, dirac's mu5, or node's energy.\n"
    "\n"
    "Example:\n  [model]\n  name = weyl4\n  b = 0 0 0.2\n  mu5 = 0.02\n  [run]\n  mu = 0.1\n  B = 0 0 1\n";

/* Bloch's theorem: no current in a periodic crystal in equilibrium.  The
 * equilibrium expansion's current must vanish within its error estimate (a
 * larger one means an unconverged or inconsistent result); on a uniform mesh
 * without numerics.mesh_estimate (or whose displaced meshes the time limit
 * skipped), which has no estimate, it is reported relative to its parts.
 * The seed's is reported for comparison. */
static void bloch_check(qkt_cli_t *cli, const qkt_cme_t *c, const qkt_response_t *r, double f, const char *u)
{
    int onmesh = r->par.mesh[0] > 0, est = r->par.mesh_estimate > 0;
    int mesh = onmesh && (!est || r->timed_out == r->par.mesh_estimate); /* no estimate */
    double jn = 0, en = 0, sn = 0, dn = 0;
    for (int a = 0; a < 3; a++) {
        jn = fmax(jn, fabs(c->j_eq[a]));
        en = fmax(en, c->j_eq_err[a]);
        sn = fmax(sn, fabs(c->j_seed[a]));
        dn = fmax(dn, fmax(fabs(c->S_eq[a]), fabs(c->D[a])));
    }
    double rel = dn > 0 ? jn / dn : 0;
    qkt_out_push(cli, "bloch", "Bloch's theorem (a periodic crystal in equilibrium carries no current)");
    qkt_out_scalar(cli, "max_abs_j_equilibrium", f * jn, NULL, u);
    if (!mesh) qkt_out_scalar(cli, "error_estimate", f * en, NULL, u);
    qkt_out_scalar(cli, "relative_to_parts", rel, NULL, "of max |j_S|, |j_D|");
    qkt_out_scalar(cli, "max_abs_j_seed", f * sn, NULL, u);
    int ok = jn <= 3 * en + 1e-9 * dn;
    qkt_out_string(cli, "verdict", mesh ? (est ? "uniform mesh, its displaced copies skipped by the time limit: no "
                                                 "error estimate"
                                               : "uniform mesh, no error estimate: compare relative_to_parts on two "
                                                 "meshes (or set numerics.mesh_estimate = 3)")
                                   : ok ? "holds within 3 error estimates"
                                        : "VIOLATED: |j| exceeds 3 error estimates");
    qkt_out_pop(cli);
    if (!mesh && !ok)
        qkt_cli_warn(cli, "the equilibrium current %.3g %s exceeds 3 times its error estimate %.3g: Bloch's theorem "
                          "demands 0; %s, or check the model",
                     f * jn, u, f * en, onmesh ? "raise numerics.mesh" : "tighten numerics.reltol");
}

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
    const char *u = "e^2/hbar^2 x field x energy";
    double f = 1;
    if (m->units == QKT_UNITS_EV_ANGSTROM) {
        f = qkt_units()->current_Am2; /* engine e eV/(hbar Ang^2) -> A/m^2 */
        u = "A/m^2";
    }
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_field(cli, "B", "run.B", B);
    const struct {
        const char *name;
        const double *v, *e;
    } part[] = {
        {"j", c.j, c.j_err},
        {"j_S", c.S, c.S_err},
        {"j_xi", c.xi, c.xi_err},
        {"j_S_fermi_surface", c.S_fs, c.S_fs_err},
        {"j_S_fermi_sea", c.S_sea, c.S_sea_err},
        {"j_D", c.D, c.D_err},
        {"j_orbital_moment", c.orb, c.orb_err},
        {"j_equilibrium", c.j_eq, c.j_eq_err},
        {"j_seed", c.j_seed, c.j_seed_err},
    };
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
        double v[3], e[3];
        for (int a = 0; a < 3; a++) v[a] = f * part[i].v[a], e[a] = f * part[i].e[a];
        qkt_out_vector(cli, part[i].name, 3, v, e, u);
    }
    if (m->periodic) bloch_check(cli, &c, &r, f, u);
    qkt_out_pockets(cli, m, &r);
    qkt_out_numerics(cli, &r);
    qkt_response_free(&r);
    return 0;
}

const qkt_command_t qkt_cmd_cme = {"cme", "chiral magnetic current j(B), split into S_B, D_B and xi_B parts", help, keys,
                                   run, 0};

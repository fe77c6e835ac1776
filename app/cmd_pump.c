/* cmd_pump.c - `qkt pump`: the rate of change of the electron number of every
 * Fermi pocket in fields E and B, dN/dt = sum_{k in pocket} Tr D_B(rho_E)
 * (Eq. 61; its Fermi-surface part, Eq. 65), next to its Eq. (67) form and to
 * free semiclassics Q e^2 E.B/(4 pi^2) (Eq. 68), with each pocket's chirality
 * (the rates come from the library: qkt_pump_pocket). */
#include <math.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_ENGINE_KEYS,
    QKT_EK_DERIVATIVES,
    {"run.E", "0 0 1", "E field", "electric field vector"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "For each Fermi pocket: the pumping rate dN/dt = sum over the pocket of Tr D_B(rho_E),\n"
    "rho_E = L^-1 D_E rho0 (Eqs. 61-65; the Fermi-surface part, as the kinetic equation\n"
    "relaxes it), the same written as Eq. (67) (for E || B), the rate of free\n"
    "semiclassical dynamics Q e^2 E.B/(4 pi^2) (Eq. 68) and the chirality Q (Eq. 3).\n"
    "For an isotropic node the kinetic rate is 2/3 of the semiclassical one (Eq. 105).\n"
    "The Fermi-sea remainder that is not relaxed is printed as a diagnostic.\n";

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    double B[3], E[3];
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p)) ||
        (s = qkt_cli_field(cli, "run.B", B)) || (s = qkt_cli_field(cli, "run.E", E)))
        return qkt_cli_fail(cli, s);
    if (m->dim != 3) return qkt_cli_failf(cli, QKT_EPHYS, "pumping between pockets needs a 3D model");
    p.order = 1;
    p.nu_mask = qkt_mask_of(E);
    p.al_mask = qkt_mask_of(B);
    qkt_response_t r;
    s = qkt_response_compute(m, &p, &r);
    if (s) {
        qkt_response_free(&r);
        return qkt_cli_fail(cli, s);
    }
    if (r.npocket == 0) {
        qkt_response_free(&r);
        return qkt_cli_failf(cli, QKT_EPHYS, "%s: no Fermi surface at this chemical potential (mu in a gap or "
                                             "outside the bands): pumping between pockets needs Fermi pockets",
                             qkt_cli_where(cli, "run.mu"));
    }
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_field(cli, "E", "run.E", E);
    qkt_out_field(cli, "B", "run.B", B);
    /* rates: engine eV/(hbar Ang^3) -> 1/(m^3 s) for Wannier models */
    int phys = m->units == QKT_UNITS_EV_ANGSTROM;
    double rf = phys ? qkt_units()->rate_m3s : 1;
    const char *ru = phys ? "1/(m^3 s)" : "e^2 E B / hbar^2";
    qkt_out_push_array(cli, "pockets", "pumping per pocket (electrons per unit time and volume)");
    double total = 0;
    for (int q = 0; q < r.npocket; q++) {
        qkt_pump_t pq;
        if ((s = qkt_pump_pocket(&r, q, E, B, &pq))) {
            qkt_response_free(&r);
            return qkt_cli_fail(cli, s);
        }
        double rate = pq.rate, err = pq.rate_err, sea = pq.sea, r67 = pq.eq67, semi = pq.semi, semie = pq.semi_err;
        total += rate;
        rate *= rf, err *= rf, sea *= rf, r67 *= rf, semi *= rf, semie *= rf;
        qkt_out_push(cli, NULL, "pocket");
        qkt_out_int(cli, "index", q);
        qkt_out_vector(cli, "center", 3, r.pocket[q].center, NULL, qkt_cli_unit(m, "1/length"));
        qkt_out_scalar(cli, "chirality", r.pocket[q].chirality, &r.pocket[q].chirality_err, NULL);
        qkt_out_scalar(cli, "rate_qkt", rate, &err, ru);
        if (pq.parallel) qkt_out_scalar(cli, "rate_eq67", r67, NULL, ru);
        qkt_out_scalar(cli, "rate_semiclassical", semi, &semie, ru);
        if (semi != 0) qkt_out_scalar(cli, "ratio_qkt_semiclassical", rate / semi, NULL, NULL);
        qkt_out_scalar(cli, "fermi_sea_remainder", sea, NULL, ru);
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
    total *= rf;
    qkt_out_scalar(cli, "sum_over_pockets", total, NULL, ru);
    qkt_out_numerics(cli, &r);
    qkt_response_free(&r);
    return 0;
}

const qkt_command_t qkt_cmd_pump = {"pump", "pumping rate between Fermi pockets (Eqs. 61, 67, 68)", help, keys,
                                    run, 0};

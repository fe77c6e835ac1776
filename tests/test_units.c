/* test_units.c - the physical constants and conversion factors of
 * qkt_units() against published CODATA 2018 values (NIST, "Fundamental
 * Physical Constants", 2018 adjustment): each derived factor is checked
 * against an independently published constant to its printed precision. */
#include <math.h>
#include <stdio.h>
#include "check.h"
#include "qkt.h"

static void rel(const char *what, double got, double want, double tol) { CHECK_REL(got, want, tol, what); }

int main(void)
{
    const qkt_units_t *u = qkt_units();
    /* exact SI defining constants */
    rel("e [C]", u->e, 1.602176634e-19, 0);
    rel("k_B [J/K]", u->kB, 1.380649e-23, 0);
    rel("h = 2 pi hbar [J s] (exact 6.62607015e-34)", 2 * M_PI * u->hbar, 6.62607015e-34, 1e-15);
    /* derived constants as CODATA prints them (10 significant digits) */
    rel("k_B [eV/K]", u->kB_eV, 8.617333262e-5, 1e-9);
    rel("hbar [eV s]", u->hbar_eVs, 6.582119569e-16, 1e-9);
    /* conductance quantum G0 = 2e^2/h = 7.748091729e-5 S, so e^2/hbar = pi G0 */
    rel("e^2/hbar [S] = pi G0", u->sigma2_S, M_PI * 7.748091729e-5, 1e-9);
    rel("e^2/(hbar Ang) [S/m]", u->sigma3_Sm, M_PI * 7.748091729e-5 / 1e-10, 1e-9);
    /* magnetic flux quantum Phi0 = h/2e = 2.067833848e-15 Wb, so hbar/e = Phi0/pi */
    rel("hbar/(e Ang^2) [T] = Phi0/(pi Ang^2)", u->field_T, 2.067833848e-15 / M_PI / 1e-20, 1e-9);
    rel("hbar/eV [fs]", u->time_fs, 0.6582119569, 1e-9);
    /* current density unit e eV/(hbar Ang^2) = (e^2/hbar) x 1 V / Ang^2 */
    rel("e eV/(hbar Ang^2) [A/m^2]", u->current_Am2, M_PI * 7.748091729e-5 * 1e20, 1e-9);
    rel("eV/(hbar Ang^3) [1/(m^3 s)]", u->rate_m3s, 1e30 / 6.582119569e-16, 1e-9);
    /* worked numbers used in the documentation (docs/units.md) */
    rel("k_B x 300 K [eV]", 300 * u->kB_eV, 0.02585199979, 1e-9);
    rel("10 fs in hbar/eV", 10 / u->time_fs, 15.19267447, 1e-9); /* 10/0.6582119569 */
    rel("1 T in hbar/(e Ang^2)", 1 / u->field_T, 1.519267447e-5, 1e-9);
    CHECK_DONE();
}

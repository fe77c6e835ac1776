/* units.c - physical constants (CODATA 2018, SI) and the conversion factors
 * between the engine's hbar = e = 1 units of an eV/Angstrom model and SI.
 * Every conversion in qkt goes through qkt_units(). */
#include "core/internal.h"

static const qkt_units_t U = {
    .e = QKT_E_CHARGE,
    .hbar = QKT_HBAR,
    .kB = QKT_KB,
    .kB_eV = QKT_KB / QKT_E_CHARGE,
    .hbar_eVs = QKT_HBAR / QKT_E_CHARGE,
    .time_fs = QKT_HBAR / QKT_E_CHARGE / QKT_FS,
    .field_T = QKT_HBAR / (QKT_E_CHARGE * QKT_ANGSTROM * QKT_ANGSTROM),
    .sigma3_Sm = QKT_E_CHARGE * QKT_E_CHARGE / QKT_HBAR / QKT_ANGSTROM,
    .sigma2_S = QKT_E_CHARGE * QKT_E_CHARGE / QKT_HBAR,
    .current_Am2 = QKT_E_CHARGE * QKT_E_CHARGE / QKT_HBAR / (QKT_ANGSTROM * QKT_ANGSTROM),
    .rate_m3s = QKT_E_CHARGE / QKT_HBAR / (QKT_ANGSTROM * QKT_ANGSTROM * QKT_ANGSTROM),
};

const qkt_units_t *qkt_units(void) { return &U; }

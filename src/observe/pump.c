/* pump.c - pumping of electrons between Fermi pockets in fields E and B:
 * dN/dt = sum_{k in pocket} Tr D_B(rho_E) (Eqs. 61, 65), its Eq. (67) form,
 * and the rate of free semiclassical dynamics Q e^2 E.B/(4 pi^2) (Eq. 68). */
#include <math.h>
#include <string.h>
#include "qkt.h"

double qkt_pump_semiclassical(double Q, const double E[3], const double B[3])
{
    double EB = E[0] * B[0] + E[1] * B[1] + E[2] * B[2];
    return Q * EB / (4 * M_PI * M_PI);
}

qkt_status_t qkt_pump_pocket(const qkt_response_t *r, int q, const double E[3], const double B[3],
                             qkt_pump_t *out)
{
    memset(out, 0, sizeof *out);
    if (q < 0 || q >= r->npocket)
        return qkt_error(QKT_EINVAL, "qkt_pump_pocket: pocket %d out of range (%d pockets)", q, r->npocket);
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            out->rate += E[a] * B[b] * r->pump[q][a][b];
            out->rate_err += fabs(E[a] * B[b]) * r->pump_err[q][a][b];
            out->sea += E[a] * B[b] * r->pump_sea[q][a][b];
            out->eq67 += E[a] * B[b] * r->pump67[q][a][b];
        }
    double EB = E[0] * B[0] + E[1] * B[1] + E[2] * B[2];
    double En = sqrt(E[0] * E[0] + E[1] * E[1] + E[2] * E[2]), Bn = sqrt(B[0] * B[0] + B[1] * B[1] + B[2] * B[2]);
    out->parallel = fabs(fabs(EB) - En * Bn) <= 1e-12 * En * Bn;
    out->semi = qkt_pump_semiclassical(r->pocket[q].chirality, E, B);
    out->semi_err = r->pocket[q].chirality_err * fabs(EB) / (4 * M_PI * M_PI);
    return QKT_OK;
}

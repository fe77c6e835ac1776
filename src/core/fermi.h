/* fermi.h - Fermi-Dirac occupation, its energy derivative, and the smooth
 * switch that cuts the thermal window (core stage: used by the tree, the
 * pocket map and the integrators). */
#ifndef QKT_CORE_FERMI_H
#define QKT_CORE_FERMI_H
#include <math.h>

/* Fermi-Dirac occupation and its first energy derivative. */
double qkt_f0(double e, double mu, double T);
double qkt_f0p(double e, double mu, double T);

/* C-infinity step: 1 for t <= 0, 0 for t >= 1, smooth in between */
double qkt_smooth_step(double t);
/* its derivative d/dt (0 outside (0, 1)) */
double qkt_smooth_step_deriv(double t);

#endif

/* fermi.c - Fermi-Dirac occupation f0, its derivative f0', and the smooth
 * switch that cuts the thermal window. */
#include "core/fermi.h"

double qkt_f0(double e, double mu, double T)
{
    double x = (e - mu) / T;
    if (x > 0) {
        double t = exp(-x);
        return t / (1 + t);
    }
    return 1 / (1 + exp(x));
}

double qkt_f0p(double e, double mu, double T)
{
    double x = fabs(e - mu) / T;
    double t = exp(-x);
    return -t / (T * (1 + t) * (1 + t));
}

double qkt_smooth_step(double t)
{
    if (t <= 0) return 1;
    if (t >= 1) return 0;
    double a = exp(-1 / t), b = exp(-1 / (1 - t));
    return b / (a + b);
}

double qkt_smooth_step_deriv(double t)
{
    if (t <= 0 || t >= 1) return 0;
    /* s = b/(a + b): s' = -a b (1/t^2 + 1/(1 - t)^2)/(a + b)^2 */
    double a = exp(-1 / t), b = exp(-1 / (1 - t)), u = 1 - t;
    return -a * b * (1 / (t * t) + 1 / (u * u)) / ((a + b) * (a + b));
}

/* cmd_scatter.c - `qkt scatter`: Born scattering times of a disorder model on
 * the Fermi pockets: quasiparticle time, transport time (Eq. 58) and the
 * intervalley times between every two pockets (Eq. 60), for short-range or
 * Gaussian-correlated scalar disorder (qkt_scatter_compute). */
#include <math.h>
#include <string.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_EK_MU,
    QKT_EK_T_TAU,
    QKT_EK_UNIT_MESH,
    QKT_EK_NUMERICS,
    {"run.nimp_U0sq", "", "energy^2 volume", "disorder strength n_imp U0^2 (> 0, required): the Fourier transform "
                                             "of <U(r) U(r')> at q = 0"},
    {"run.disorder_xi", "0", "length", "correlation length of the disorder, <U(r) U(r')> ~ exp(-|r - r'|^2/(2 xi^2)) "
                                       "(0: short-range impurities; the key of run.tau_from_disorder)"},
    {"scatter.refine", "8", "1", "samples per pocket-map cell edge on the thermal shell (even, 2 to 32); the "
                                 "error estimate halves it (the map: numerics.ncell, here 0 = 24 cells per axis)"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Born scattering times of scalar disorder on the Fermi pockets at run.mu and\n"
    "run.T: for each pocket the quasiparticle time tau (1/tau: the out-scattering\n"
    "rate averaged over the pocket), the transport time tau_tr (Eq. 58: the rate\n"
    "weighted by 1 - cos of the angle between the velocities, within the pocket),\n"
    "and the intervalley times tau_inter to every pocket (Eq. 60; the diagonal is\n"
    "the pocket's rate into itself).  The disorder correlator is\n"
    "<|U_kk'|^2> = n_imp U0^2 exp(-|k - k'|^2 xi^2/2) |<u_k|u_k'>|^2: xi = 0 is the\n"
    "short-range disorder of run.nimp_U0sq in the other commands, and a longer xi\n"
    "suppresses the large momenta between pockets (the smooth disorder of the\n"
    "seed's Sec. IV), so tau_inter/tau grows.  Scattering is elastic at T > 0.\n"
    "Times in 1/energy (hbar = 1) for models in natural units, fs for Wannier\n"
    "models; errors from a coarser sampling (docs/commands/scatter.md).\n"
    "\n"
    "Example run file:\n"
    "  [model]\n  name = weyl2\n  b = 0.2\n  [run]\n  mu = 0.1\n  T = 0.005\n  nimp_U0sq = 0.3\n"
    "  disorder_xi = 5\n";

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    double W = 0, xi = 0;
    long refine = 8;
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p))) return qkt_cli_fail(cli, s);
    if (!qkt_cli_has(cli, "run.nimp_U0sq"))
        return qkt_cli_failf(cli, QKT_EINVAL, "missing key 'run.nimp_U0sq': the disorder strength n_imp U0^2 (> 0)");
    if ((s = qkt_cli_double(cli, "run.nimp_U0sq", &W)) || (s = qkt_cli_double(cli, "run.disorder_xi", &xi)) ||
        (s = qkt_cli_int(cli, "scatter.refine", &refine)))
        return qkt_cli_fail(cli, s);
    if (!(W > 0) || !isfinite(W))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be > 0, got %g", qkt_cli_where(cli, "run.nimp_U0sq"), W);
    if (!(xi >= 0) || !isfinite(xi))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be >= 0, got %g", qkt_cli_where(cli, "run.disorder_xi"), xi);
    if (refine < 2 || refine > 32 || refine % 2)
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: an even number from 2 to 32, got %ld",
                             qkt_cli_where(cli, "scatter.refine"), refine);
    if (m->dim != 3 && m->dim != 2)
        return qkt_cli_failf(cli, QKT_EINVAL, "model %s: scattering times need a 2D or 3D model", m->info->name);
    qkt_disorder_t d = {W, xi, (int)refine};
    qkt_scatter_t r;
    if ((s = qkt_scatter_compute(m, &p, &d, &r))) return qkt_cli_fail(cli, s);

    int wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    double f = wannier ? qkt_units()->time_fs : 1; /* hbar/eV -> fs */
    const char *u_t = qkt_cli_unit(m, "time"), *u_k = qkt_cli_unit(m, "1/length");
    char u_dos[64];
    snprintf(u_dos, sizeof u_dos, "1/(%s %s^%d)", qkt_cli_unit(m, "energy"), qkt_cli_unit(m, "length"), m->dim);
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_scalar(cli, "nimp_U0sq", W, NULL, NULL);
    qkt_out_scalar(cli, "xi", xi, NULL, qkt_cli_unit(m, "length"));
    qkt_out_int(cli, "count", r.npocket);
    if (r.npocket == 0) qkt_out_note(cli, "no Fermi pockets at mu = %g: nothing scatters", p.mu);
    qkt_out_push_array(cli, "pockets", r.npocket ? "pockets" : NULL);
    for (int q = 0; q < r.npocket; q++) {
        char title[64];
        snprintf(title, sizeof title, "pocket %d", q + 1);
        qkt_out_push(cli, NULL, title);
        qkt_out_int(cli, "block", r.block[q]);
        qkt_out_vector(cli, "center", 3, r.center[q], NULL, u_k);
        qkt_out_scalar(cli, "dos", r.dos[q], &r.dos_err[q], u_dos);
        double t = f * r.tau[q], te = f * r.tau_err[q], tt = f * r.tau_tr[q], tte = f * r.tau_tr_err[q];
        qkt_out_scalar(cli, "tau", t, &te, u_t);
        qkt_out_scalar(cli, "tau_tr", tt, &tte, u_t);
        double ratio = r.tau_tr[q] / r.tau[q], rerr = ratio * (r.tau_tr_err[q] / r.tau_tr[q] + r.tau_err[q] / r.tau[q]);
        qkt_out_scalar(cli, "tau_tr_over_tau", ratio, &rerr, NULL);
        double ti[QKT_MAX_POCKETS], tie[QKT_MAX_POCKETS];
        for (int j = 0; j < r.npocket; j++) ti[j] = f * r.tau_inter[q][j], tie[j] = f * r.tau_inter_err[q][j];
        qkt_out_vector(cli, "tau_inter", r.npocket, ti, tie, u_t);
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
    qkt_out_note(cli, "tau: quasiparticle time, 1/tau = sum_q 1/tau_inter[q]; tau_tr: transport time within the pocket "
                      "(Eq. 58); tau_inter[q]: Eq. 60 to pocket q (inf: no scattering connects them)");
    if (r.npocket > 0) {
        double vt[QKT_MAX_POCKETS];
        for (int q = 0; q < r.npocket; q++) vt[q] = f * r.valley_time[q];
        qkt_out_vector(cli, "valley_mode_times", r.npocket, vt, NULL, u_t);
        qkt_out_note(cli, "valley_mode_times: relaxation times of the pockets' populations (the block of K^dd of "
                          "Eq. 59, unequal pockets included), ascending rates: inf for each conserved total "
                          "(pockets that no scattering connects), then the intervalley times; rule valley's "
                          "run.tau_inter is the time of such a mode (two equal pockets: tau_inter^12/2)");
    }
    qkt_out_push(cli, "numerics", "numerics");
    qkt_out_scalar(cli, "mu", p.mu, NULL, qkt_cli_unit(m, "energy"));
    qkt_out_scalar(cli, "T", wannier ? p.T / qkt_units()->kB_eV : p.T, NULL, wannier ? "K" : qkt_cli_unit(m, "energy"));
    qkt_out_int(cli, "refine", r.refine);
    qkt_out_int(cli, "ncell", r.ncell);
    qkt_out_int(cli, "samples", r.nsamples);
    qkt_out_int(cli, "groups", r.ngroups);
    qkt_out_scalar(cli, "weight_outside_pockets", r.lost_fraction, NULL, NULL);
    qkt_out_note(cli, "the thermal shell sampled at %d points per edge of the %d-cell pocket map; errors: the change "
                      "from %d points%s; delta(eps - eps') smeared over T/4",
                 r.refine, r.ncell, r.refine / 2, xi > 0 ? ", plus W(k - k') between blocks of cells twice as wide" : "");
    qkt_out_pop(cli);
    return 0;
}

const qkt_command_t qkt_cmd_scatter = {"scatter",
                                       "Born scattering times of the Fermi pockets: quasiparticle, transport (Eq. "
                                       "58), intervalley (Eq. 60)",
                                       help, keys, run, 0};

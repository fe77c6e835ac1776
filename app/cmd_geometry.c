/* cmd_geometry.c - `qkt geometry`: band geometry at given k-points: energies,
 * velocity matrices v_a^{mn} = <m|d_a H|n>, Berry connection
 * R_a^{mn} = i v_a^{mn}/(eps_n - eps_m) (m != n) and Berry curvature of every
 * band (conventions of qkt.h), with degenerate band pairs flagged. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const qkt_key_t keys[] = {
    {"geometry.k", NULL, "1/length",
     "k-point 'kx ky kz' (Cartesian), or several separated by ';'"},
    {"geometry.frac", "false", "bool",
     "k is given in reduced coordinates of b1 b2 b3 (periodic models only)"},
    {"geometry.degen_tol", "1e-9", "energy",
     "bands closer than this are degenerate: their R is not computed"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Diagonalizes H(k) of the model at each k-point and prints the band energies\n"
    "eps_m, the velocity matrices v_a^{mn} = <m|dH/dk_a|n> (a = x, y, z), the Berry\n"
    "connection R_a^{mn} = i v_a^{mn} / (eps_n - eps_m) for m != n, and the Berry\n"
    "curvature Omega_a^m of every band (Omega = -k/(2k^3) for the upper band of\n"
    "H = k.sigma).  Band pairs of one block closer than geometry.degen_tol are\n"
    "degenerate: their R elements are reported as 'degenerate' (null in JSON) and\n"
    "their curvature leaves out the degenerate partner; a warning lists them.\n"
    "Bands of different blocks (valleys) do not couple: R = 0 between them.\n"
    "\n"
    "Example run file:\n"
    "  [model]\n"
    "  name = weyl2\n"
    "  b = 0.2\n"
    "  [geometry]\n"
    "  k = 0.1 0 0.3; 0 0 0.5\n";

static const char *const maskl[] = {"", "-", "degenerate"};
static const char *const xyz[3] = {"x", "y", "z"};

/* the keys: k-points (Cartesian, or reduced with geometry.frac) and degen_tol */
static int read_keys(qkt_cli_t *cli, const qkt_model_t *m, double **kin, int *nk, int *frac, double *tol)
{
    qkt_status_t s;
    if ((s = qkt_cli_vec_list(cli, "geometry.k", 3, kin, nk)) ||
        (s = qkt_cli_bool(cli, "geometry.frac", frac)) ||
        (s = qkt_cli_double(cli, "geometry.degen_tol", tol))) {
        free(*kin);
        return qkt_cli_fail(cli, s);
    }
    if (!(*tol >= 0)) {
        free(*kin);
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be >= 0, got %g",
                             qkt_cli_where(cli, "geometry.degen_tol"), *tol);
    }
    if (*frac && !m->periodic) {
        free(*kin);
        return qkt_cli_failf(cli, QKT_EINVAL,
                             "%s: reduced coordinates need a periodic model; model %s is a continuum model",
                             qkt_cli_where(cli, "geometry.frac"), m->info->name);
    }
    return 0;
}

/* masks: diagonal (not defined here) and degenerate pairs of one block; the
 * pairs listed in text (pairs) and as a JSON array (returned, NULL if out of memory) */
static cJSON *degen_mask(const qkt_bands_t *b, int nb, double tol, unsigned char *mask, char *pairs,
                         size_t pairs_len, int *npairs)
{
    size_t plen = 0;
    *npairs = 0;
    cJSON *jp = cJSON_CreateArray();
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < nb; j++) {
            unsigned char c = 0;
            if (i == j)
                c = 1;
            else if (b->block[i] == b->block[j] && fabs(b->eps[j] - b->eps[i]) <= tol)
                c = 2;
            mask[i * nb + j] = c;
            if (c == 2 && i < j) {
                ++*npairs;
                if (plen < pairs_len)
                    plen += snprintf(pairs + plen, pairs_len - plen, "%s(%d,%d)", *npairs > 1 ? " " : "", i, j);
                int pr[2] = {i, j};
                if (jp) cJSON_AddItemToArray(jp, cJSON_CreateIntArray(pr, 2));
            }
        }
    return jp;
}

/* one k-point's block: k, energies, blocks, curvature, velocity and connection,
 * degenerate pairs; returns their number, listed in pairs */
static int out_kpoint(qkt_cli_t *cli, const qkt_model_t *m, const qkt_bands_t *b, unsigned char *mask, double tol,
                      int ik, const double k[3], char *pairs, size_t pairs_len)
{
    int nb = m->nb, npairs;
    double kf[3];
    if (m->periodic) /* reduced coordinates f_i = k . a_i / (2 pi) */
        for (int i = 0; i < 3; i++)
            kf[i] = (k[0] * m->avec[i][0] + k[1] * m->avec[i][1] + k[2] * m->avec[i][2]) / (2 * M_PI);
    cJSON *jp = degen_mask(b, nb, tol, mask, pairs, pairs_len, &npairs);
    const char *u_k = qkt_cli_unit(m, "1/length"), *u_e = qkt_cli_unit(m, "energy"),
               *u_v = qkt_cli_unit(m, "velocity"), *u_r = qkt_cli_unit(m, "length"),
               *u_o = qkt_cli_unit(m, "length^2");
    char title[256];
    snprintf(title, sizeof title, "k-point %d: k = (%.10g, %.10g, %.10g)", ik + 1, k[0], k[1], k[2]);
    qkt_out_push(cli, NULL, title);
    qkt_out_vector(cli, "k", 3, k, NULL, u_k);
    if (m->periodic) qkt_out_vector(cli, "k_frac", 3, kf, NULL, "1");
    qkt_out_vector(cli, "eps", nb, b->eps, NULL, u_e);
    if (m->nblock > 1) {
        cJSON *jb = cJSON_CreateIntArray(b->block, nb);
        if (jb) cJSON_AddItemToObject(qkt_out_json(cli), "block", jb);
        char bl[512] = "";
        size_t o = 0;
        for (int i = 0; i < nb && o < sizeof bl; i++)
            o += snprintf(bl + o, sizeof bl - o, "%s%d", i ? " " : "", b->block[i]);
        qkt_out_note(cli, "block (valley) of each band = (%s)", bl);
    }
    double *om = malloc(3 * (size_t)nb * sizeof *om);
    if (om) {
        for (int i = 0; i < nb; i++)
            for (int a = 0; a < 3; a++) om[3 * i + a] = b->Omega[a * nb + i];
        qkt_out_matrix(cli, "Omega", nb, 3, om, xyz, u_o);
        free(om);
    }
    qkt_out_push(cli, "v", "velocity matrices v_a^{mn} (rows m, columns n)");
    for (int a = 0; a < 3; a++) qkt_out_cmatrix(cli, xyz[a], nb, b->v[a], NULL, NULL, u_v);
    qkt_out_pop(cli);
    qkt_out_push(cli, "R", "Berry connection R_a^{mn}, m != n");
    for (int a = 0; a < 3; a++) qkt_out_cmatrix(cli, xyz[a], nb, b->R[a], mask, maskl, u_r);
    qkt_out_pop(cli);
    if (jp) cJSON_AddItemToObject(qkt_out_json(cli), "degenerate_pairs", jp);
    if (npairs) qkt_out_note(cli, "degenerate band pairs (|eps_m - eps_n| <= %g): %s", tol, pairs);
    qkt_out_pop(cli);
    return npairs;
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    if ((s = qkt_cli_model(cli, &m))) return qkt_cli_fail(cli, s);
    double *kin = NULL, tol = 1e-9;
    int nk = 0, frac = 0;
    int code = read_keys(cli, m, &kin, &nk, &frac, &tol);
    if (code) return code;
    int nb = m->nb;
    size_t n2 = (size_t)nb * nb;
    qkt_bands_t *b = qkt_bands_alloc(nb);
    unsigned char *mask = malloc(n2);
    if (!b || !mask) {
        qkt_bands_free(b);
        free(mask);
        free(kin);
        return qkt_cli_fail(cli, b ? qkt_error(QKT_ENOMEM, "out of memory") : QKT_ENOMEM);
    }
    b->degen_tol = tol;
    int nwarn = 0;
    char degen_all[1024] = "";
    size_t dlen = 0;

    /* each k-point is written out and freed once complete: memory does not
     * grow with the number of k-points */
    qkt_out_stream_array(cli, "kpoints", NULL);
    for (int ik = 0; ik < nk && !code; ik++) {
        double k[3];
        const double *ki = kin + 3 * ik;
        for (int a = 0; a < 3; a++)
            k[a] = frac ? ki[0] * m->bvec[0][a] + ki[1] * m->bvec[1][a] + ki[2] * m->bvec[2][a] : ki[a];
        if ((s = qkt_bands_compute(b, m, k, QKT_BANDS_GEOMETRY))) {
            char msg[1500];
            snprintf(msg, sizeof msg, "k-point %d: %s", ik + 1, qkt_strerror());
            code = qkt_cli_fail(cli, qkt_error(s, "%s", msg));
            break;
        }
        char pairs[512] = "";
        if (out_kpoint(cli, m, b, mask, tol, ik, k, pairs, sizeof pairs)) {
            nwarn++;
            if (dlen < sizeof degen_all)
                dlen += snprintf(degen_all + dlen, sizeof degen_all - dlen, "%sk-point %d: %s",
                                 nwarn > 1 ? "; " : "", ik + 1, pairs);
        }
    }
    qkt_out_pop(cli);
    if (!code && nwarn)
        qkt_cli_warn(cli,
                     "degenerate band pairs (|eps_m - eps_n| <= geometry.degen_tol = %g): %s; their Berry "
                     "connection is reported as 'degenerate' and their Berry curvature omits the partner",
                     tol, degen_all);
    qkt_bands_free(b);
    free(mask);
    free(kin);
    return code;
}

const qkt_command_t qkt_cmd_geometry = {
    "geometry",
    "band energies, velocity matrices, Berry connection and curvature at k-points",
    help,
    keys,
    run,
    0,
};

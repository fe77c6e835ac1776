/* cmd_scan.c - `qkt scan`: the order-B^0 conductivity tensor (Drude and
 * intrinsic anomalous Hall parts) at many chemical potentials.  With a uniform
 * mesh (numerics.mesh) the bands of every k-point are computed once for all
 * chemical potentials (one pass over k-space); with adaptive integration each
 * chemical potential is its own integration with its own error estimate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine_cli.h"

static const qkt_key_t keys[] = {
    QKT_SCAN_ENGINE_KEYS,
    QKT_EK_SYMMETRY,
    {"scan.mu", NULL, "energy", "chemical potentials: 'start:stop:step' or a list 'mu1 mu2 ...' (required)"},
    {"scan.parts", "false", "bool", "also print the Drude (n_E) and intrinsic (S_E) parts of each component"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Computes sigma^(0)_{mu nu} (Drude n_E + intrinsic interband S_E, the anomalous\n"
    "Hall effect) at every chemical potential of scan.mu and prints one row per\n"
    "chemical potential: the nine components (first index current, second field),\n"
    "the density of states and the carrier density.  With numerics.mesh = N (periodic\n"
    "models) one pass over the mesh serves all chemical potentials, and run.T = 0\n"
    "gives step occupations (the anomalous Hall conductivity as Wannier90/postw90's\n"
    "berry_task = ahc computes it).\n"
    "\n"
    "Example (bcc Fe, Wannier90):\n"
    "  [model]\n  name = wannier\n  file = Fe_tb.dat.gz\n"
    "  [run]\n  mu = 13.5463\n  T = 0\n  [numerics]\n  mesh = 25\n"
    "  [scan]\n  mu = 12.5463:14.5463:0.1\n";

#define MAXMU 100000

/* 'a:b:h' (inclusive of b within h/1000) or a list of numbers */
static qkt_status_t parse_mu(qkt_cli_t *cli, const char *txt, double **out, int *n)
{
    const char *where = qkt_cli_where(cli, "scan.mu");
    const char *end;
    *out = NULL;
    *n = 0;
    if (strchr(txt, ':')) {
        double v[3];
        const char *c = txt;
        for (int i = 0; i < 3; i++) {
            const char *why = qkt_parse_real(c, &end, &v[i], 0);
            if (why || (i < 2 && *end != ':') || (i == 2 && *end && *end != ' '))
                return qkt_error(QKT_EINVAL, "%s: expected 'start:stop:step', got '%s'", where, txt);
            c = end + (i < 2);
        }
        if (!(v[2] > 0) || v[1] < v[0])
            return qkt_error(QKT_EINVAL, "%s: need step > 0 and stop >= start, got '%s'", where, txt);
        double cnt = floor((v[1] - v[0]) / v[2] + 1e-3) + 1;
        if (cnt > MAXMU) return qkt_error(QKT_EINVAL, "%s: %g chemical potentials, at most %d", where, cnt, MAXMU);
        *n = (int)cnt;
        *out = malloc(sizeof(double) * *n);
        if (!*out) return qkt_error(QKT_ENOMEM, "out of memory");
        for (int i = 0; i < *n; i++) (*out)[i] = v[0] + i * v[2];
        return QKT_OK;
    }
    int cap = 16;
    double *a = malloc(sizeof(double) * cap);
    const char *c = txt;
    while (a) {
        while (*c == ' ' || *c == '\t' || *c == ',') c++;
        if (!*c) break;
        double x;
        const char *why = qkt_parse_real(c, &end, &x, 0);
        if (why || (*end && *end != ' ' && *end != '\t' && *end != ',')) {
            free(a);
            return qkt_error(QKT_EINVAL, "%s: '%s' is not a list of numbers or 'start:stop:step'", where, txt);
        }
        if (*n == cap) {
            double *b = *n < MAXMU ? realloc(a, sizeof(double) * (cap *= 2)) : NULL;
            if (!b) free(a);
            a = b;
            if (!a) break;
        }
        a[(*n)++] = x;
        c = end;
    }
    if (!a) return qkt_error(QKT_ENOMEM, "%s: too many chemical potentials", where);
    if (*n == 0) {
        free(a);
        return qkt_error(QKT_EINVAL, "%s: no chemical potential given", where);
    }
    *out = a;
    return QKT_OK;
}

/* the table's columns: mu, the nine components (value, and error for adaptive
 * integration; with scan.parts also the Drude and intrinsic parts), dos, density */
static qkt_status_t make_columns(const qkt_model_t *m, int parts, int per, char **cols, const char **units)
{
    static const char *const comp[9] = {"xx", "xy", "xz", "yx", "yy", "yz", "zx", "zy", "zz"};
    static const char *const pre[3] = {"", "drude_", "intrinsic_"};
    const char *su = qkt_sigma_unit(m, 0);
    int c = 0;
    cols[c] = strdup("mu");
    units[c++] = qkt_cli_unit(m, "energy");
    for (int g = 0; g < (parts ? 3 : 1); g++)
        for (int i = 0; i < 9; i++)
            for (int e = 0; e < per; e++) {
                char buf[64];
                snprintf(buf, sizeof buf, "%s%s%s", pre[g], comp[i], e ? "_err" : "");
                cols[c] = strdup(buf);
                units[c++] = su;
            }
    cols[c] = strdup("dos");
    units[c++] = m->units == QKT_UNITS_EV_ANGSTROM ? "1/(eV Angstrom^3)" : "1/(energy volume)";
    cols[c] = strdup("density");
    units[c++] = m->units == QKT_UNITS_EV_ANGSTROM ? "1/Angstrom^3" : "1/volume";
    for (int i = 0; i < c; i++)
        if (!cols[i]) return qkt_error(QKT_ENOMEM, "out of memory");
    return QKT_OK;
}

/* one row per chemical potential; returns whether all converged */
static int out_rows(qkt_cli_t *cli, const qkt_response_t *r, const double *mus, int nmu, int parts, int per,
                    double *row)
{
    double sf = qkt_cli_sigma_factor();
    int allconv = 1;
    for (int k = 0; k < nmu; k++) {
        int j = 0;
        row[j++] = mus[k];
        for (int g = 0; g < (parts ? 3 : 1); g++) {
            const qkt_tensor_t *t = g == 0 ? &r[k].sigma0 : &r[k].path0[g - 1];
            for (int i = 0; i < 9; i++) {
                row[j++] = sf * t->v[i / 3][i % 3];
                if (per == 2) row[j++] = sf * t->e[i / 3][i % 3];
            }
        }
        row[j++] = r[k].dos;
        row[j++] = r[k].density;
        qkt_out_table_row(cli, row);
        if (!r[k].converged) allconv = 0;
    }
    return allconv;
}

/* numerics: evaluations and time (one pass on a mesh), degenerate points, convergence */
static void out_scan_numerics(qkt_cli_t *cli, const qkt_model_t *m, const qkt_params_t *p, const qkt_response_t *r,
                              int nmu, int allconv)
{
    int mesh = p->mesh[0] > 0;
    qkt_out_push(cli, "numerics", "numerics (what sets the accuracy)");
    if (m->units == QKT_UNITS_EV_ANGSTROM) qkt_out_scalar(cli, "T", p->T / qkt_units()->kB_eV, NULL, "K");
    else qkt_out_scalar(cli, "T", p->T, NULL, "energy");
    qkt_out_int(cli, "chemical_potentials", nmu);
    if (!mesh || p->mesh_estimate) qkt_out_scalar(cli, "reltol", p->reltol, NULL, NULL);
    long nev = 0, ndeg = 0;
    double sec = 0, share = 0;
    for (int k = 0; k < (mesh ? 1 : nmu); k++) nev += (long)r[k].neval, sec += r[k].seconds, ndeg += r[k].ndegen;
    /* the largest share of the Fermi-level weight on degenerate pairs (engine_cli.c) */
    for (int k = 0; k < nmu && ndeg > 0; k++) {
        double s1 = p->T > 0 ? (r[k].dos > 0 ? r[k].degen_weight / r[k].dos : 0)
                             : r[k].degen_weight * m->cell_volume / m->spin_degeneracy;
        share = fmax(share, s1);
    }
    qkt_out_int(cli, "evaluations", nev);
    qkt_out_int(cli, "degenerate_points", ndeg);
    qkt_out_scalar(cli, "degenerate_share", share, NULL, NULL);
    qkt_out_scalar(cli, "seconds", sec, NULL, "s");
    qkt_out_bool(cli, "converged", allconv);
    qkt_out_pop(cli);
    if (share > 1e-6)
        qkt_cli_warn(cli, "%ld of %ld evaluation points met two degenerate bands (|eps_m - eps_n| <= "
                          "numerics.degen_tol = %g) at one of the chemical potentials, carrying up to %.2g of "
                          "the Fermi-level weight; their interband terms are dropped there",
                     ndeg, nev, p->degen_tol > 0 ? p->degen_tol : m->degen_tol, share);
    if (!allconv && p->mesh_estimate)
        qkt_cli_not_converged(cli, "the mesh sums did not all reach numerics.reltol = %g by their displaced-mesh "
                                   "estimates (one flag for all chemical potentials): raise numerics.mesh",
                              p->reltol);
    else if (!allconv)
        qkt_cli_not_converged(cli, "some integrals did not reach numerics.reltol = %g; the errors printed are the "
                                   "achieved ones", p->reltol);
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    qkt_params_t p;
    const char *mtxt = NULL;
    int parts = 0;
    if ((s = qkt_cli_model(cli, &m)) || (s = qkt_cli_engine_params(cli, m, &p)) ||
        (s = qkt_cli_string(cli, "scan.mu", &mtxt)) || (s = qkt_cli_bool(cli, "scan.parts", &parts)))
        return qkt_cli_fail(cli, s);
    double *mus = NULL;
    int nmu = 0;
    if ((s = parse_mu(cli, mtxt, &mus, &nmu))) return qkt_cli_fail(cli, s);
    p.order = 0;
    p.nu_mask = 7;
    qkt_response_t *r = calloc(nmu, sizeof *r);
    if (!r) {
        free(mus);
        return qkt_cli_failf(cli, QKT_ENOMEM, "out of memory for %d results", nmu);
    }
    qkt_cli_sym_t sy;
    if ((s = qkt_cli_symmetry_setup(cli, m, &p, &sy))) {
        free(mus);
        free(r);
        return qkt_cli_fail(cli, s);
    }
    s = qkt_response_scan(m, &p, nmu, mus, r);
    int computed = !s;
    for (int k = 0; !s && k < nmu; k++) s = qkt_cli_symmetry_apply(cli, &sy, &r[k]);
    qkt_cli_symmetry_free(&sy);
    if (s) {
        for (int k = 0; computed && k < nmu; k++) qkt_response_free(&r[k]);
        free(mus);
        free(r);
        return qkt_cli_fail(cli, s);
    }
    int mesh = p.mesh[0] > 0;
    int per = mesh && !p.mesh_estimate ? 1 : 2; /* value (and error for adaptive integration or a mesh estimate) */
    int ncol = 1 + 9 * per * (parts ? 3 : 1) + 2;
    char **cols = calloc(ncol, sizeof *cols);
    const char **units = calloc(ncol, sizeof *units);
    double *row = calloc(ncol, sizeof *row);
    if (!cols || !units || !row) {
        s = qkt_error(QKT_ENOMEM, "out of memory");
        goto out;
    }
    if ((s = make_columns(m, parts, per, cols, units))) goto out;
    qkt_out_string(cli, "units", qkt_cli_unit_system(m));
    qkt_out_string(cli, "integration", mesh ? qkt_cli_mesh_text(&p) : "adaptive, one integration per chemical potential");
    if (mesh) {
        double mv[3] = {p.mesh[0], p.mesh[1], p.mesh[2]};
        qkt_out_vector(cli, "mesh", 3, mv, NULL, NULL);
    }
    /* what the density column counts from (docs/commands/scan.md) */
    if (m->periodic) {
        qkt_out_string(cli, "density_from", "bottom of the lowest band: electrons per cell = density x cell_volume");
        qkt_out_scalar(cli, "cell_volume", m->cell_volume, NULL, qkt_cli_unit(m, m->dim == 3 ? "volume" : "length^2"));
    } else {
        qkt_out_string(cli, "density_from", "energy 0: states below 0 count as filled (the continuum's sea is infinite)");
    }
    qkt_out_table_begin(cli, "scan", ncol, (const char *const *)cols, units);
    int allconv = out_rows(cli, r, mus, nmu, parts, per, row);
    qkt_out_table_end(cli);
    out_scan_numerics(cli, m, &p, r, nmu, allconv);
out:
    for (int i = 0; cols && i < ncol; i++) free(cols[i]);
    free(cols);
    free(units);
    free(row);
    for (int k = 0; k < nmu; k++) qkt_response_free(&r[k]);
    free(r);
    free(mus);
    return s ? qkt_cli_fail(cli, s) : 0;
}

const qkt_command_t qkt_cmd_scan = {"scan", "sigma^(0) (Drude, anomalous Hall) at many chemical potentials in one pass",
                                    help, keys, run, 0};

/* cmd_info.c - `qkt info`: a model's parameters, bands and units, its Weyl nodes
 * (qkt_find_nodes: position, energy, chirality as a Berry flux) and its Fermi pockets
 * at mu from the response engine (block, centre, chirality of Eq. 3, density of states). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define INFO_MAX_NODES 256

static const qkt_key_t keys[] = {
    {"info.mu", "", "energy", "chemical potential of the Fermi pockets (default 0.1; Wannier: fermi_energy of "
                              "SEEDNAME.win beside model.file, else required for the pockets)"},
    {"info.T", "", "energy|K", "temperature (> 0) of the Fermi function for the pockets: k_B T in energy units "
                               "(default 0.005); Wannier: kelvin (default 300), as run.T"},
    {"info.pockets", "", "bool", "find the Fermi pockets (runs the response engine at order 0; default true, "
                                 "Wannier false: a bounded integration, reltol 1e-2, ask for it)"},
    {"info.nodes", "", "bool", "search the Weyl nodes (default true; Wannier false: minutes for many bands, "
                               "e.g. 2 min for Fe's 18 at search_grid 24; ask for it)"},
    {"info.search_grid", "24", "1", "node search: scan points per axis (4 to 256)"},
    {"info.node_tol", "0", "1",
     "node search: a gap below node_tol x (energy range of the scan) is a band touching "
     "(0: automatic, 1e-8; 1e-5 for wannier models)"},
    {"info.node_radius", "0", "1/length",
     "size (largest half-axis) of the surface of the chirality flux (0: automatic, 0.1 x scan "
     "spacing or less)"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Describes the model of the run file: name, parameters, number of bands and\n"
    "blocks, dimension, periodic or continuum, unit system; its Weyl nodes; and its\n"
    "Fermi pockets at the chemical potential info.mu.\n"
    "\n"
    "Weyl nodes (3D models): points where adjacent bands n, n+1 of one block touch,\n"
    "found by scanning the gap on info.search_grid^3 points (continuum: the cube\n"
    "|k_a| <= kcut; periodic: the Brillouin zone) and refining every local minimum,\n"
    "and every point whose predicted crossing is within reach, by a Newton\n"
    "(Levenberg-Marquardt) descent on the pair's 2x2 block.  A point is a touching\n"
    "when its gap is below info.node_tol x (energy range of the scan).\n"
    "Each node is reported with its position, energy, band pair and chirality\n"
    "Q = -(1/2pi) x (Berry flux of band n+1 through a small closed surface around it:\n"
    "the ellipsoid on which the node's linear Hamiltonian has a constant gap), which\n"
    "is +1 for H = +k.sigma, as Eq. (3); the raw flux and its quadrature error are printed.\n"
    "Touchings that are not isolated (nodal lines or surfaces) are listed apart, one\n"
    "point per band pair.  Nodes much closer together than the scan spacing (about to\n"
    "annihilate) can be missed or get an unresolved chirality (a warning says so).\n"
    "\n"
    "Fermi pockets: connected pieces of the Fermi surface at mu = info.mu and\n"
    "temperature info.T, each with its block, centre, chirality from Eq. (3) and\n"
    "density of states sum_k -f0'(eps) (per unit volume), computed by the response\n"
    "engine (relative accuracy 1e-3).  Units as for the other commands: info.T is\n"
    "k_B T in energy units for models in natural units and kelvin for Wannier\n"
    "models.  For Wannier models the pockets are found only with info.pockets =\n"
    "true (bounded: reltol 1e-2, 5000 evaluations per integration cell), at\n"
    "info.mu or else the\n"
    "fermi_energy of SEEDNAME.win beside model.file.\n"
    "\n"
    "Example run file:\n"
    "  [model]\n"
    "  name = weyl2\n"
    "  b = 0.2\n"
    "  [info]\n"
    "  mu = 0.1\n";

static void out_model(qkt_cli_t *cli, const qkt_model_t *m)
{
    const qkt_model_info_t *in = m->info;
    qkt_out_push(cli, "model", "model");
    qkt_out_string(cli, "name", in->name);
    qkt_out_string(cli, "summary", in->summary);
    qkt_out_string(cli, "reference", in->reference);
    qkt_out_string(cli, "source", m->source);
    if (in->nparams > 0) {
        qkt_out_push(cli, "parameters", "parameters");
        for (int i = 0; i < in->nparams; i++) {
            const qkt_param_info_t *p = &in->params[i];
            const char *u = strcmp(p->unit, "1") == 0 ? NULL : qkt_cli_unit(m, p->unit);
            if (p->ncomp == 1)
                qkt_out_scalar(cli, p->name, m->par[i][0], NULL, u);
            else
                qkt_out_vector(cli, p->name, p->ncomp, m->par[i], NULL, u);
        }
        qkt_out_pop(cli);
    }
    qkt_out_int(cli, "bands", m->nb);
    qkt_out_int(cli, "blocks", m->nblock);
    if (m->nblock > 1) {
        char bl[512] = "";
        size_t o = 0;
        for (int i = 0; i < m->nblock && o < sizeof bl; i++)
            o += snprintf(bl + o, sizeof bl - o, "%s[%d, %d)", i ? " " : "", m->block_off[i], m->block_off[i + 1]);
        qkt_out_note(cli, "bands of each block: %s", bl);
        cJSON *jb = cJSON_CreateIntArray(m->block_off, m->nblock + 1);
        if (jb) cJSON_AddItemToObject(qkt_out_json(cli), "block_offsets", jb);
    }
    qkt_out_int(cli, "dim", m->dim);
    qkt_out_bool(cli, "periodic", m->periodic);
    qkt_out_string(cli, "unit_system", qkt_cli_unit_system(m));
    if (m->periodic) {
        qkt_out_matrix(cli, "avec", 3, 3, &m->avec[0][0], NULL, qkt_cli_unit(m, "length"));
        qkt_out_matrix(cli, "bvec", 3, 3, &m->bvec[0][0], NULL, qkt_cli_unit(m, "1/length"));
    } else {
        qkt_out_scalar(cli, "kcut", m->kcut, NULL, qkt_cli_unit(m, "1/length"));
    }
    qkt_out_pop(cli);
}

/* search settings: they set what can be found and how precisely */
static void out_search(qkt_cli_t *cli, const qkt_model_t *m, const qkt_node_opts_t *o, const char *u_k)
{
    double h;
    if (m->periodic) {
        h = INFINITY;
        for (int i = 0; i < 3; i++)
            h = fmin(h, sqrt(m->bvec[i][0] * m->bvec[i][0] + m->bvec[i][1] * m->bvec[i][1] +
                             m->bvec[i][2] * m->bvec[i][2]) / o->grid);
    } else {
        h = 2 * m->kcut / o->grid;
    }
    qkt_out_push(cli, "search", "search");
    if (m->periodic)
        qkt_out_string(cli, "region", "Brillouin zone, k = sum_i x_i b_i, x_i in [-0.5, 0.5)");
    else
        qkt_out_string(cli, "region", "cube |k_a| <= kcut");
    qkt_out_int(cli, "grid", o->grid);
    qkt_out_scalar(cli, "spacing", h, NULL, u_k);
    qkt_out_scalar(cli, "tol", o->tol, NULL, NULL);
    qkt_out_note(cli, "a gap below tol x (energy range of the scan) counts as a touching; "
                      "nodes closer than about one spacing can be missed");
    qkt_out_scalar(cli, "radius", o->radius, NULL, u_k);
    if (o->radius == 0)
        qkt_out_note(cli, "radius 0: automatic, min(0.1 spacing, 0.3 x distance to the nearest other touching)");
    qkt_out_pop(cli);
}

/* one isolated node: position, energy, band pair, chirality and its flux surface */
static void out_node(qkt_cli_t *cli, const qkt_model_t *m, const qkt_node_t *q, int in)
{
    const char *u_k = qkt_cli_unit(m, "1/length"), *u_e = qkt_cli_unit(m, "energy");
    char title[128];
    snprintf(title, sizeof title, "node %d (bands %d, %d)", in, q->band, q->band + 1);
    qkt_out_push(cli, NULL, title);
    qkt_out_vector(cli, "k", 3, q->k, NULL, u_k);
    qkt_out_scalar(cli, "k_err", q->k_err, NULL, u_k);
    if (m->periodic) {
        double x[3];
        for (int a = 0; a < 3; a++)
            x[a] = (q->k[0] * m->avec[a][0] + q->k[1] * m->avec[a][1] + q->k[2] * m->avec[a][2]) / (2 * M_PI);
        qkt_out_vector(cli, "k_frac", 3, x, NULL, "1");
    }
    qkt_out_scalar(cli, "energy", q->energy, &q->energy_err, u_e);
    int bands[2] = {q->band, q->band + 1};
    cJSON *jb = cJSON_CreateIntArray(bands, 2);
    if (jb) cJSON_AddItemToObject(qkt_out_json(cli), "bands", jb);
    qkt_out_int(cli, "block", q->block);
    qkt_out_int(cli, "chirality", q->chirality);
    qkt_out_scalar(cli, "flux", q->flux, &q->flux_err, NULL);
    qkt_out_scalar(cli, "radius", q->radius, NULL, u_k);
    qkt_out_int(cli, "nquad", q->nquad);
    qkt_out_bool(cli, "ellipsoid", q->ellipsoid);
    qkt_out_note(cli, "flux of band %d through the %s of %s %.3g, %d x %d points "
                      "(error: change from %d x %d)", q->band + 1, q->ellipsoid ? "ellipsoid" : "sphere",
                 q->ellipsoid ? "largest half-axis" : "radius", q->radius, q->nquad, 2 * q->nquad,
                 q->nquad / 2, q->nquad);
    qkt_out_scalar(cli, "gap", q->gap, NULL, u_e);
    qkt_out_scalar(cli, "gap_tol", q->gap_tol, NULL, u_e);
    qkt_out_scalar(cli, "sphere_gap", q->sphere_gap, NULL, u_e);
    qkt_out_pop(cli);
}

/* the isolated nodes, their chirality sum, and warnings on unresolved chiralities */
static void out_isolated(qkt_cli_t *cli, const qkt_node_t *nd, int n, const qkt_model_t *m)
{
    int niso = 0, qsum = 0;
    for (int i = 0; i < n; i++) {
        if (nd[i].isolated) {
            niso++;
            qsum += nd[i].chirality;
        }
    }
    qkt_out_int(cli, "count", niso);
    qkt_out_push_array(cli, "list", niso ? "nodes" : NULL);
    int in = 0;
    for (int i = 0; i < n; i++)
        if (nd[i].isolated) out_node(cli, m, &nd[i], ++in);
    qkt_out_pop(cli);
    if (niso == 0) qkt_out_note(cli, "no isolated band touchings found");
    qkt_out_int(cli, "chirality_sum", qsum);
    for (int i = 0, j = 0; i < n; i++) {
        if (!nd[i].isolated) continue;
        j++;
        if (fabs(nd[i].flux - nd[i].chirality) > 0.1 || nd[i].flux_err > 0.1)
            qkt_cli_warn(cli, "node %d: its Berry flux %.3g +/- %.2g is not close to an integer: chirality %d is not "
                              "resolved (a node very close to another or very anisotropic; try another "
                              "info.node_radius than %.3g or a finer info.search_grid)",
                         j, nd[i].flux, nd[i].flux_err, nd[i].chirality, nd[i].radius);
    }
    if (niso && qsum != 0)
        qkt_cli_warn(cli, "the chiralities of the nodes found add up to %d, not 0: a node is missing "
                          "(outside the search region or closer to another than the scan spacing)", qsum);
}

/* touchings that are not isolated (nodal lines or surfaces): one point each */
static void out_extended(qkt_cli_t *cli, const qkt_node_t *nd, int n, const qkt_model_t *m)
{
    const char *u_k = qkt_cli_unit(m, "1/length"), *u_e = qkt_cli_unit(m, "energy");
    int next = 0;
    for (int i = 0; i < n; i++)
        if (!nd[i].isolated) next++;
    qkt_out_push_array(cli, "extended", next ? "extended band touchings (nodal lines or surfaces), one point each" : NULL);
    for (int i = 0; i < n; i++) {
        const qkt_node_t *q = &nd[i];
        if (q->isolated) continue;
        char title[128];
        snprintf(title, sizeof title, "bands %d, %d touch on an extended set through", q->band, q->band + 1);
        qkt_out_push(cli, NULL, title);
        qkt_out_vector(cli, "k", 3, q->k, NULL, u_k);
        int bands[2] = {q->band, q->band + 1};
        cJSON *jb = cJSON_CreateIntArray(bands, 2);
        if (jb) cJSON_AddItemToObject(qkt_out_json(cli), "bands", jb);
        qkt_out_int(cli, "block", q->block);
        qkt_out_scalar(cli, "energy", q->energy, NULL, u_e);
        qkt_out_scalar(cli, "gap", q->gap, NULL, u_e);
        qkt_out_scalar(cli, "gap_tol", q->gap_tol, NULL, u_e);
        qkt_out_scalar(cli, "sphere_gap", q->sphere_gap, NULL, u_e);
        qkt_out_note(cli, "the bands also touch on the surface of size %.3g around it: no chirality", q->radius);
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
}

static int out_nodes(qkt_cli_t *cli, const qkt_model_t *m, const qkt_node_opts_t *o)
{
    qkt_out_push(cli, "nodes", "Weyl nodes");
    if (m->dim != 3) {
        qkt_out_bool(cli, "defined", 0);
        qkt_out_note(cli, "not defined for a %dD model", m->dim);
        qkt_out_pop(cli);
        return 0;
    }
    qkt_out_bool(cli, "defined", 1);
    qkt_node_t *nd = malloc(sizeof *nd * INFO_MAX_NODES);
    if (!nd) return qkt_cli_fail(cli, qkt_error(QKT_ENOMEM, "out of memory"));
    int n = 0;
    qkt_status_t s = qkt_find_nodes(m, o, nd, INFO_MAX_NODES, &n);
    if (s) {
        free(nd);
        char msg[1500];
        snprintf(msg, sizeof msg, "node search: %s", qkt_strerror());
        return qkt_cli_fail(cli, qkt_error(s, "%s", msg));
    }
    if (n > INFO_MAX_NODES) {
        qkt_cli_warn(cli, "%d band touchings found; only the first %d are listed", n, INFO_MAX_NODES);
        n = INFO_MAX_NODES;
    }
    out_search(cli, m, o, qkt_cli_unit(m, "1/length"));
    out_isolated(cli, nd, n, m);
    out_extended(cli, nd, n, m);
    qkt_out_pop(cli);
    free(nd);
    return 0;
}

/* A Wannier model's pockets: evaluations at most per integration cell and
 * the accuracy asked.  With the defaults (400000, 1e-3) Si at mu = 7.3 eV
 * took 5.2 million evaluations, 3 minutes, and ended not converged; the
 * pockets' centres and densities of states need less.  Beyond the bound the
 * run ends not converged (exit 7) with the achieved accuracy. */
#define INFO_WANNIER_MAXEVAL 5000
#define INFO_WANNIER_RELTOL 1e-2

static int out_pockets(qkt_cli_t *cli, const qkt_model_t *m, double mu, double T)
{
    qkt_params_t p;
    qkt_params_default(&p);
    int wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    p.mu = mu;
    p.T = wannier ? T * qkt_units()->kB_eV : T; /* kelvin -> eV */
    if (wannier) p.maxeval = INFO_WANNIER_MAXEVAL, p.reltol = INFO_WANNIER_RELTOL;
    p.order = 0;
    p.nu_mask = 1;
    p.al_mask = 0;
    p.reltol = 1e-3;
    qkt_response_t r;
    qkt_status_t s = qkt_response_compute(m, &p, &r);
    if (s) {
        char msg[1500];
        snprintf(msg, sizeof msg, "Fermi pockets at mu = %g, T = %g: %s", mu, T, qkt_strerror());
        return qkt_cli_fail(cli, qkt_error(s, "%s", msg));
    }
    const char *u_k = qkt_cli_unit(m, "1/length"), *u_e = qkt_cli_unit(m, "energy");
    char u_dos[64];
    snprintf(u_dos, sizeof u_dos, "1/(%s %s^%d)", u_e, qkt_cli_unit(m, "length"), m->dim);
    qkt_out_push(cli, "pockets", "Fermi pockets");
    qkt_out_scalar(cli, "mu", mu, NULL, u_e);
    qkt_out_scalar(cli, "T", T, NULL, wannier ? "K" : u_e);
    qkt_out_int(cli, "count", r.npocket);
    qkt_out_bool(cli, "in_gap", r.npocket == 0);
    if (r.npocket == 0)
        qkt_out_note(cli, "mu = %g lies in a gap: no Fermi pockets (density of states %.3g)", mu, r.dos);
    qkt_out_push_array(cli, "list", r.npocket ? "pockets" : NULL);
    double qsum = 0, qerr = 0;
    for (int q = 0; q < r.npocket; q++) {
        const qkt_pocket_info_t *pk = &r.pocket[q];
        char title[64];
        snprintf(title, sizeof title, "pocket %d", q + 1);
        qkt_out_push(cli, NULL, title);
        qkt_out_int(cli, "block", pk->block);
        qkt_out_vector(cli, "center", 3, pk->center, NULL, u_k);
        if (m->dim == 3) {
            qkt_out_scalar(cli, "chirality", pk->chirality, &pk->chirality_err, NULL);
            qsum += pk->chirality;
            qerr += pk->chirality_err;
        }
        qkt_out_scalar(cli, "dos", pk->dos, NULL, u_dos);
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
    if (m->dim == 3 && r.npocket) qkt_out_scalar(cli, "chirality_sum", qsum, &qerr, NULL);
    qkt_out_scalar(cli, "dos", r.dos, NULL, u_dos);
    qkt_out_push(cli, "numerics", "numerics");
    qkt_out_scalar(cli, "reltol", r.par.reltol, NULL, NULL);
    qkt_out_int(cli, "ncell", r.par.ncell);
    qkt_out_scalar(cli, "window", r.par.window, NULL, NULL);
    qkt_out_int(cli, "evaluations", (long)r.neval);
    qkt_out_bool(cli, "converged", r.converged);
    char cells[64];
    if (r.par.ncell > 0)
        snprintf(cells, sizeof cells, "%d cells per axis", r.par.ncell);
    else
        snprintf(cells, sizeof cells, "the engine's automatic number of cells per axis");
    qkt_out_note(cli, "pockets: connected pieces of a map with %s of the thermal window mu +- %g T; "
                      "centres are centroids of map cells; dos to relative accuracy about reltol",
                 cells, r.par.window);
    qkt_out_pop(cli);
    qkt_out_pop(cli);
    /* in a gap the integrals are exponentially small: no relative accuracy to reach */
    if (!r.converged && r.npocket > 0)
        qkt_cli_not_converged(cli, "the pocket integrals did not reach the relative accuracy %g", r.par.reltol);
    qkt_response_free(&r);
    return 0;
}

/* info.pockets, info.mu, info.T with the defaults of the model class: a
 * Wannier model's pockets only on request (their integration over the zone
 * takes a minute, the rest of info seconds), its mu from the .win file's
 * fermi_energy, its T in kelvin as run.T; mu and T are read only for the
 * pockets. */
static qkt_status_t pocket_keys(qkt_cli_t *cli, const qkt_model_t *m, int *pockets, double *mu, double *T)
{
    int wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    qkt_status_t s;
    if ((s = qkt_cli_default(cli, "info.pockets", wannier ? "false" : "true")) ||
        (s = qkt_cli_bool(cli, "info.pockets", pockets)))
        return s;
    if (!*pockets) return QKT_OK;
    if (wannier && !qkt_cli_default_fermi(cli, "info.mu"))
        return qkt_error(QKT_EINVAL, "missing key 'info.mu': the Fermi pockets of a Wannier model need the chemical "
                                     "potential in eV, [info] mu = ... (it is taken from fermi_energy of "
                                     "SEEDNAME.win beside model.file when that file has one)");
    if ((s = qkt_cli_default(cli, "info.mu", "0.1")) || (s = qkt_cli_default(cli, "info.T", wannier ? "300" : "0.005")) ||
        (s = qkt_cli_double(cli, "info.mu", mu)) || (s = qkt_cli_double(cli, "info.T", T)))
        return s;
    if (!(*T > 0))
        return qkt_error(QKT_EINVAL, "%s: the temperature must be > 0, got %g", qkt_cli_where(cli, "info.T"), *T);
    qkt_cli_check_temperature(cli, "info.T", *T, *mu);
    return QKT_OK;
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    if ((s = qkt_cli_model(cli, &m))) return qkt_cli_fail(cli, s);
    double mu = 0.1, T = 0.005;
    long grid = 24;
    int pockets = 1;
    qkt_node_opts_t o;
    qkt_node_opts_default(&o);
    int nodes = 1, wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    if ((s = pocket_keys(cli, m, &pockets, &mu, &T)) ||
        (s = qkt_cli_default(cli, "info.nodes", wannier ? "false" : "true")) ||
        (s = qkt_cli_bool(cli, "info.nodes", &nodes)))
        return qkt_cli_fail(cli, s);
    if (nodes && ((s = qkt_cli_int(cli, "info.search_grid", &grid)) || (s = qkt_cli_double(cli, "info.node_tol", &o.tol)) ||
                  (s = qkt_cli_double(cli, "info.node_radius", &o.radius))))
        return qkt_cli_fail(cli, s);
    if (grid < 4 || grid > 256)
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be in [4, 256], got %ld", qkt_cli_where(cli, "info.search_grid"), grid);
    if (!(o.tol >= 0 && o.tol <= 1e-2))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be in (0, 1e-2] (or 0: automatic), got %g",
                             qkt_cli_where(cli, "info.node_tol"), o.tol);
    /* interpolated (Wannier) bands split symmetry degeneracies by about 1e-7 .. 1e-4 eV */
    if (o.tol == 0) o.tol = m->units == QKT_UNITS_EV_ANGSTROM ? 1e-5 : 1e-8;
    if (!(o.radius >= 0))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be >= 0 (0: automatic), got %g",
                             qkt_cli_where(cli, "info.node_radius"), o.radius);
    o.grid = (int)grid;

    out_model(cli, m);
    int code = nodes ? out_nodes(cli, m, &o) : 0;
    if (code) return code;
    if (wannier && (!nodes || !pockets))
        qkt_out_note(cli, "Wannier model: %s%s%s only on request (info.nodes = true, info.pockets = true: minutes)",
                     nodes ? "" : "Weyl nodes", !nodes && !pockets ? " and " : "", pockets ? "" : "Fermi pockets");
    if (pockets) return out_pockets(cli, m, mu, T);
    return 0;
}

const qkt_command_t qkt_cmd_info = {
    "info",
    "model summary: parameters, bands, units, Weyl nodes with chirality, Fermi pockets",
    help,
    keys,
    run,
    0,
};

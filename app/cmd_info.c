/* cmd_info.c - `qkt info`: a model's parameters, bands and units, its Weyl nodes
 * (qkt_find_nodes: position, energy, chirality as a Berry flux) and its Fermi pockets
 * at mu from the response engine (block, centre, chirality of Eq. 3, density of states). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define INFO_MAX_NODES 4096

static const qkt_key_t keys[] = {
    {"info.mu", "", "energy", "chemical potential of the Fermi pockets (default 0.1; Wannier: fermi_energy of "
                              "SEEDNAME.win beside model.file, else required for the pockets)"},
    {"info.T", "", "energy|K", "temperature (> 0) of the Fermi function for the pockets: k_B T in energy units "
                               "(default 0.005); Wannier: kelvin (default 300), as run.T"},
    {"info.pockets", "", "bool", "find the Fermi pockets (runs the response engine at order 0; default true, "
                                 "Wannier false: a bounded integration, reltol 1e-2, ask for it)"},
    {"info.nodes", "", "bool", "search the Weyl nodes (default true; Wannier false: minutes for many bands, "
                               "e.g. 30 s for Fe's 18 at search_grid 24 in its 0.5 eV window; ask for it)"},
    {"info.search_grid", "24", "1", "node search: scan points per axis (4 to 256)"},
    {"info.node_tol", "0", "1",
     "node search: a gap below node_tol x (energy range of the scan) is a band touching "
     "(0: automatic, 1e-8; 1e-5 for wannier models)"},
    {"info.node_radius", "0", "1/length",
     "size (largest half-axis) of the surface of the chirality flux (0: automatic, 0.1 x scan "
     "spacing or less, grown up to 0.4 spacing where the gap closes on it)"},
    {"info.node_window", "", "energy",
     "node search: only the band pairs that can touch within mu +- node_window (info.mu) are searched, "
     "each over the whole zone so that its chirality sum is checked; nodes inside are listed "
     "(default: Wannier 0.5 eV, others 0: every pair)"},
    {"info.node_bands", "", "1",
     "node search: 'n1 n2', only the pairs of bands (n, n + 1) with n1 <= n < n2 (0-based band "
     "indices; default: every pair)"},
    {"info.node_symmetry", "false", "bool",
     "node search: map every node by the magnetic point group of the crystal (Wannier models: "
     "model.win or SEEDNAME.win, with model.moments or model.magnetization as for numerics.symmetry), "
     "search each image that was not found and group the nodes into orbits"},
    {"info.node_symmetry_tol", "1e-4", "eV",
     "info.node_symmetry: an operation is used only if the bands obey it within this"},
    {"info.frmsf", "", "-",
     "write the Fermi surface at info.mu as a FermiSurfer file of this name (.frmsf; periodic 3D "
     "models): the bands crossing mu on a grid of the reciprocal cell, coloured by info.frmsf_color"},
    {"info.frmsf_grid", "40", "1", "info.frmsf: points per reciprocal vector (4 to 400)"},
    {"info.frmsf_color", "flux", "-",
     "info.frmsf: flux (Berry curvature along the Fermi velocity, Omega.v/|v|, length^2: its integral over "
     "a pocket is -2 pi times its chirality, Eq. 3), curvature (Omega_x, Omega_y, Omega_z: three blocks), or "
     "chirality (of the pocket, Eq. 3; needs info.pockets)"},
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
    "With the nodes, each pocket's chirality is compared with the charges of the\n"
    "nodes its sheets enclose (found by rays from every node to the first Fermi\n"
    "sheet of each band of its pair): node_check agree, differ (a warning),\n"
    "thermal (a node within 5 k_B T of mu), incomplete (a pair not searched) or\n"
    "unresolved (the chirality's error too large).\n"
    "\n"
    "info.frmsf = FILE writes the Fermi surface (periodic 3D models) as a\n"
    "FermiSurfer file, coloured by info.frmsf_color: flux (Omega.v/|v|),\n"
    "curvature (three components) or chirality (of the pocket).\n"
    "\n"
    "Example run file:\n"
    "  [model]\n"
    "  name = weyl2\n"
    "  b = 0.2\n"
    "  [info]\n"
    "  mu = 0.1\n";

/* info.frmsf: the file, its grid and colour (file NULL: none) */
typedef struct {
    const char *file;
    long grid;
    int color;
} frmsf_keys_t;

static qkt_status_t frmsf_keys(qkt_cli_t *cli, const qkt_model_t *m, int pockets, frmsf_keys_t *f)
{
    static const char *const names[] = {"flux", "curvature", "chirality"};
    const char *col = NULL;
    qkt_status_t s;
    f->file = NULL;
    if (!qkt_cli_has(cli, "info.frmsf")) return QKT_OK;
    if ((s = qkt_cli_string(cli, "info.frmsf", &f->file)) || (s = qkt_cli_int(cli, "info.frmsf_grid", &f->grid)) ||
        (s = qkt_cli_string(cli, "info.frmsf_color", &col)))
        return s;
    if (!m->periodic || m->dim != 3)
        return qkt_error(QKT_EINVAL, "%s: a FermiSurfer file needs a periodic 3D model (model %s is %s)",
                         qkt_cli_where(cli, "info.frmsf"), m->info->name, m->periodic ? "2D" : "a continuum model");
    if (f->grid < 4 || f->grid > 400)
        return qkt_error(QKT_EINVAL, "%s: must be in [4, 400], got %ld", qkt_cli_where(cli, "info.frmsf_grid"),
                         f->grid);
    f->color = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(col, names[i])) f->color = i;
    if (f->color < 0)
        return qkt_error(QKT_EINVAL, "%s: flux, curvature or chirality, got '%s'",
                         qkt_cli_where(cli, "info.frmsf_color"), col);
    if (f->color == QKT_FS_CHIRALITY && !pockets)
        return qkt_error(QKT_EINVAL, "%s: chirality colours the pockets: set info.pockets = true",
                         qkt_cli_where(cli, "info.frmsf_color"));
    if ((s = qkt_outfile_check(f->file)))
        return qkt_error(s, "%s: %s", qkt_cli_where(cli, "info.frmsf"), qkt_strerror());
    return QKT_OK;
}

/* the FermiSurfer file (r: the pockets' run, or NULL) */
static qkt_status_t out_frmsf(qkt_cli_t *cli, const qkt_model_t *m, double mu, const frmsf_keys_t *f,
                              const qkt_response_t *r)
{
    static const char *const names[] = {"flux", "curvature", "chirality"};
    int nw = 0;
    qkt_status_t s = qkt_fermisurfer_write(m, mu, (int)f->grid, f->color, r, f->file, &nw);
    if (s) {
        char msg[1500];
        snprintf(msg, sizeof msg, "%s: %s", qkt_cli_where(cli, "info.frmsf"), qkt_strerror());
        return qkt_error(s, "%s", msg);
    }
    qkt_out_push(cli, "frmsf", "FermiSurfer file");
    qkt_out_string(cli, "file", f->file);
    qkt_out_int(cli, "grid", f->grid);
    qkt_out_int(cli, "bands", nw);
    qkt_out_string(cli, "color", names[f->color]);
    qkt_out_note(cli, "energies eps - mu (mu = %g %s) on the Gamma-centred %ld^3 grid of the reciprocal cell; colour "
                      "%s, averaged over degenerate bands; open with: fermisurfer %s",
                 mu, qkt_cli_unit(m, "energy"), f->grid,
                 f->color == QKT_FS_FLUX ? "Omega.v/|v| (length^2)"
                                         : f->color == QKT_FS_CURVATURE ? "Omega_x, Omega_y, Omega_z (length^2)"
                                                                        : "the pocket's chirality (Eq. 3)",
                 f->file);
    qkt_out_pop(cli);
    return QKT_OK;
}

/* The node search's keys: grid, tolerance, radius, energy window about info.mu,
 * band range, and the crystal's symmetry operations. */
typedef struct {
    qkt_node_opts_t o;
    double window, mu; /* window > 0: o.emin, o.emax = mu -+ window */
    int bands[2];      /* pairs (n, n + 1) with bands[0] <= n < bands[1]; -1: every pair */
    int sym;
    qkt_magsym_t *g;
    qkt_crystal_t c;
} node_keys_t;

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
static void out_search(qkt_cli_t *cli, const qkt_model_t *m, const node_keys_t *k, const char *u_k)
{
    const qkt_node_opts_t *o = &k->o;
    const char *u_e = qkt_cli_unit(m, "energy");
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
        qkt_out_note(cli, "radius 0: automatic, min(0.1 spacing, 0.3 x distance to the nearest other touching), "
                          "grown up to 0.4 spacing where the gap closes on it (quadratic touchings)");
    if (k->window > 0) {
        double w[2] = {o->emin, o->emax};
        qkt_out_scalar(cli, "mu", k->mu, NULL, u_e);
        qkt_out_vector(cli, "window", 2, w, NULL, u_e);
        qkt_out_note(cli, "only the band pairs that can touch in the window are searched, each over the whole "
                          "zone and at every energy (its chirality sum is a check); the nodes in the window are listed");
    }
    if (k->bands[0] >= 0) {
        double b[2] = {k->bands[0], k->bands[1]};
        qkt_out_vector(cli, "bands", 2, b, NULL, "1");
    }
    qkt_out_bool(cli, "symmetry", k->sym);
    if (k->sym) {
        qkt_out_int(cli, "operations", k->g->nop);
        qkt_out_string(cli, "magnetic_group_family", k->g->family_symbol);
        qkt_out_note(cli, "every node mapped by the %d operations of the magnetic point group; images not found "
                          "by the scan searched by a descent from the image; nodes grouped into orbits",
                     k->g->nop);
    }
    qkt_out_pop(cli);
}

/* one isolated node: position, energy, band pair, chirality, orbit and its flux surface */
static void out_node(qkt_cli_t *cli, const qkt_model_t *m, const node_keys_t *k, const qkt_node_t *q, int in)
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
    if (k->window > 0) qkt_out_scalar(cli, "energy_minus_mu", q->energy - k->mu, &q->energy_err, u_e);
    int bands[2] = {q->band, q->band + 1};
    cJSON *jb = cJSON_CreateIntArray(bands, 2);
    if (jb) cJSON_AddItemToObject(qkt_out_json(cli), "bands", jb);
    qkt_out_int(cli, "block", q->block);
    qkt_out_int(cli, "chirality", q->chirality);
    qkt_out_scalar(cli, "flux", q->flux, &q->flux_err, NULL);
    qkt_out_scalar(cli, "max_phase", q->max_phase, NULL, "rad");
    qkt_out_bool(cli, "resolved", q->resolved);
    qkt_out_scalar(cli, "radius", q->radius, NULL, u_k);
    qkt_out_int(cli, "nquad", q->nquad);
    qkt_out_bool(cli, "ellipsoid", q->ellipsoid);
    qkt_out_note(cli, "flux of band %d through the %s of %s %.3g: its lattice Chern number on %d x %d points "
                      "(error: change from the previous mesh, 1.5 x coarser; resolved when 0 and every plaquette "
                      "phase < 1 rad)",
                 q->band + 1, q->ellipsoid ? "ellipsoid" : "sphere", q->ellipsoid ? "largest half-axis" : "radius",
                 q->radius, q->nquad, 2 * q->nquad);
    qkt_out_scalar(cli, "gap", q->gap, NULL, u_e);
    qkt_out_scalar(cli, "gap_tol", q->gap_tol, NULL, u_e);
    qkt_out_scalar(cli, "sphere_gap", q->sphere_gap, NULL, u_e);
    if (k->sym) {
        qkt_out_int(cli, "orbit", q->orbit + 1);
        qkt_out_bool(cli, "symmetry_image", q->sym_image);
        qkt_out_int(cli, "symmetry_mismatch", q->sym_mismatch);
    }
    qkt_out_pop(cli);
}

/* The isolated nodes in the window (numbered by their position in the whole
 * list, as the orbits are), their chirality sum, and warnings on unresolved
 * chiralities and broken symmetry. */
static void out_isolated(qkt_cli_t *cli, const qkt_node_t *nd, int n, const qkt_model_t *m, const node_keys_t *k)
{
    int niso = 0, nwin = 0, qsum = 0;
    for (int i = 0; i < n; i++) {
        if (!nd[i].isolated) continue;
        niso++;
        qsum += nd[i].chirality;
        nwin += nd[i].in_window;
    }
    qkt_out_int(cli, "count", nwin);
    if (k->window > 0) qkt_out_int(cli, "count_outside_window", niso - nwin);
    qkt_out_push_array(cli, "list", nwin ? (k->window > 0 ? "nodes in the window" : "nodes") : NULL);
    for (int i = 0; i < n; i++)
        if (nd[i].isolated && nd[i].in_window) out_node(cli, m, k, &nd[i], i + 1);
    qkt_out_pop(cli);
    if (nwin == 0) qkt_out_note(cli, "no isolated band touchings found%s", k->window > 0 ? " in the window" : "");
    if (k->sym) {
        int norb = 0, nimg = 0;
        for (int i = 0; i < n; i++)
            if (nd[i].isolated) norb += nd[i].orbit == i, nimg += nd[i].sym_image;
        qkt_out_int(cli, "orbits", norb);
        qkt_out_int(cli, "symmetry_images", nimg);
        if (nimg)
            qkt_out_note(cli, "%d nodes were found only as images of others under the operations", nimg);
    }
    qkt_out_int(cli, "chirality_sum", qsum);
    qkt_out_note(cli, "chirality_sum: every node of the pairs searched, at every energy");
    for (int i = 0; i < n; i++) {
        if (!nd[i].isolated || !nd[i].in_window) continue;
        if (!nd[i].resolved)
            qkt_cli_warn(cli, "node %d: its chirality %d is not resolved (the flux changed by %.2g between the last "
                              "two meshes, largest plaquette phase %.2g rad: a node very close to another; try another "
                              "info.node_radius than %.3g or a finer info.search_grid)",
                         i + 1, nd[i].chirality, nd[i].flux_err, nd[i].max_phase, nd[i].radius);
        if (nd[i].sym_mismatch)
            qkt_cli_warn(cli, "node %d: %d of its images under the symmetry operations have no node of chirality "
                              "det(R) x %d: the model breaks the symmetry there (raise info.node_symmetry_tol only if "
                              "that is expected) or a node is unresolved",
                         i + 1, nd[i].sym_mismatch, nd[i].chirality);
    }
}

/* Per band pair: the touching energies possible, nodes, chirality sum (zero in
 * a periodic crystal), with a warning and advice where the check fails. */
static void out_pairs(qkt_cli_t *cli, const qkt_model_t *m, const node_keys_t *k, const qkt_node_pair_t *P, int np)
{
    static const char *const cols[] = {"band", "block", "e_lo", "e_hi", "nodes", "in_window", "chirality_sum",
                                       "extended", "unresolved"};
    const char *u_e = qkt_cli_unit(m, "energy");
    const char *const units[] = {"1", "1", u_e, u_e, "1", "1", "1", "1", "1"};
    int nsearched = 0, nfail = 0;
    for (int i = 0; i < np; i++) nsearched += P[i].searched;
    qkt_out_int(cli, "pairs_searched", nsearched);
    qkt_out_table_begin(cli, "pairs", 9, cols, units);
    for (int i = 0; i < np; i++) {
        if (!P[i].searched) continue;
        double row[9] = {P[i].band, P[i].block, P[i].e_lo, P[i].e_hi, P[i].nnode, P[i].nwindow, P[i].chirality_sum,
                         P[i].nextended, P[i].unresolved};
        qkt_out_table_row(cli, row);
    }
    qkt_out_table_end(cli);
    qkt_out_note(cli, "pairs: bands (band, band + 1); e_lo, e_hi: the energies at which they can touch on the scan; "
                      "chirality_sum over the zone (0 in a periodic crystal when every node is found)");
    for (int i = 0; i < np; i++) {
        if (!P[i].searched || (P[i].chirality_sum == 0 && P[i].unresolved == 0)) continue;
        nfail++;
        if (m->periodic)
            qkt_cli_warn(cli, "bands (%d, %d): the chiralities of their %d nodes add up to %d%s: nodes are "
                              "missing or unresolved (closer than the scan spacing%s); try info.search_grid = %d%s%s",
                         P[i].band, P[i].band + 1, P[i].nnode, P[i].chirality_sum,
                         P[i].chirality_sum ? (P[i].unresolved ? " (some unresolved), not 0" : ", not 0")
                                            : ", but some are unresolved",
                         P[i].nextended ? ", or next to a touching listed as extended: with a gap below 2 gap_tol "
                                          "on every surface around it, a node with a slow direction is not told "
                                          "from a nodal line"
                                        : "",
                         2 * k->o.grid <= 256 ? 2 * k->o.grid : 256, P[i].nextended ? ", a smaller info.node_tol" : "",
                         k->sym || m->units != QKT_UNITS_EV_ANGSTROM ? "" : ", or info.node_symmetry = true");
    }
    qkt_out_int(cli, "pairs_failing_check", nfail);
}

/* touchings that are not isolated (nodal lines or surfaces): one point each */
static void out_extended(qkt_cli_t *cli, const qkt_node_t *nd, int n, const qkt_model_t *m, const qkt_node_pair_t *P,
                         int np)
{
    const char *u_k = qkt_cli_unit(m, "1/length"), *u_e = qkt_cli_unit(m, "energy");
    int next = 0;
    for (int i = 0; i < n; i++)
        if (!nd[i].isolated) next++;
    qkt_out_push_array(cli, "extended", next ? "extended band touchings (nodal lines or surfaces), one entry per pair" : NULL);
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
        qkt_out_note(cli, "the bands also touch on every surface up to size %.3g around it: no chirality", q->radius);
        for (int j = 0; j < np; j++) {
            if (P[j].band != q->band || P[j].nline == 0) continue;
            qkt_out_int(cli, "sample_points", P[j].nline_total);
            qkt_out_matrix(cli, "sample_k", P[j].nline, 3, &P[j].line_k[0][0], NULL, u_k);
            if (m->periodic) {
                double x[QKT_NODE_LINE_MAX][3];
                for (int r = 0; r < P[j].nline; r++)
                    for (int a = 0; a < 3; a++)
                        x[r][a] = (P[j].line_k[r][0] * m->avec[a][0] + P[j].line_k[r][1] * m->avec[a][1] +
                                   P[j].line_k[r][2] * m->avec[a][2]) / (2 * M_PI);
                qkt_out_matrix(cli, "sample_k_frac", P[j].nline, 3, &x[0][0], NULL, "1");
            }
            if (P[j].nline_total > P[j].nline)
                qkt_out_note(cli, "the first %d of %d sample points", P[j].nline, P[j].nline_total);
            qkt_out_note(cli, "sample points: crossings found on the extended set, each more than one scan spacing "
                              "from the earlier ones (a nodal line is traced by them)");
        }
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
}

/* the search's touchings and pairs (*nd_out, *P_out: malloc'ed, kept for the
 * pockets' check; NULL where no search ran) */
static int out_nodes(qkt_cli_t *cli, const qkt_model_t *m, const node_keys_t *k, qkt_node_t **nd_out, int *n_out,
                     qkt_node_pair_t **P_out, int *np_out)
{
    *nd_out = NULL;
    *P_out = NULL;
    *n_out = *np_out = 0;
    qkt_out_push(cli, "nodes", "Weyl nodes");
    if (m->dim != 3) {
        qkt_out_bool(cli, "defined", 0);
        qkt_out_note(cli, "not defined for a %dD model", m->dim);
        qkt_out_pop(cli);
        return 0;
    }
    qkt_out_bool(cli, "defined", 1);
    qkt_node_t *nd = malloc(sizeof *nd * INFO_MAX_NODES);
    qkt_node_pair_t *P = malloc(sizeof *P * (m->nb > 1 ? m->nb : 1));
    if (!nd || !P) {
        free(nd);
        free(P);
        return qkt_cli_fail(cli, qkt_error(QKT_ENOMEM, "out of memory"));
    }
    int n = 0, np = 0;
    qkt_status_t s = qkt_find_nodes_report(m, &k->o, nd, INFO_MAX_NODES, &n, P, m->nb, &np);
    if (s) {
        free(nd);
        free(P);
        char msg[1500];
        snprintf(msg, sizeof msg, "node search: %s", qkt_strerror());
        return qkt_cli_fail(cli, qkt_error(s, "%s", msg));
    }
    if (n > INFO_MAX_NODES) {
        qkt_cli_warn(cli, "%d band touchings found; only the first %d are listed (the pair checks count all; the "
                          "pockets' node check is then incomplete)", n, INFO_MAX_NODES);
        n = INFO_MAX_NODES;
    }
    out_search(cli, m, k, qkt_cli_unit(m, "1/length"));
    out_isolated(cli, nd, n, m, k);
    out_pairs(cli, m, k, P, np);
    out_extended(cli, nd, n, m, P, np);
    if (n == INFO_MAX_NODES) /* the list may be partial: the pockets' check calls every pair unsearched */
        for (int i = 0; i < np; i++) P[i].searched = 0;
    qkt_out_pop(cli);
    *nd_out = nd;
    *n_out = n;
    *P_out = P;
    *np_out = np;
    return 0;
}

/* A Wannier model's pockets: evaluations at most per integration cell and
 * the accuracy asked.  With the defaults (400000, 1e-3) Si at mu = 7.3 eV
 * took 5.2 million evaluations, 3 minutes, and ended not converged; the
 * pockets' centres and densities of states need less.  Beyond the bound the
 * run ends not converged (exit 7) with the achieved accuracy. */
#define INFO_WANNIER_MAXEVAL 5000
#define INFO_WANNIER_RELTOL 1e-2

/* A pocket's chirality (Eq. 3) agrees with the charges it encloses when they
 * differ by less than this plus twice its error estimate: the enclosed sum
 * is an integer, and so is the chirality up to the thermal weight beyond the
 * nearest node (below 1 % outside the thermal shell) and the integration
 * error. */
#define POCKET_CHECK_TOL 0.1

/* The check of the seed below Eq. 3 for every pocket of r: the charges of the
 * nodes its sheets enclose (qkt_pockets_enclosing), written into the pocket
 * entries by out_pockets.  sum[q], cnt[q]: enclosed charge and nodes; verdict[q]:
 * 0 agree, 1 differ, 2 a node in the thermal shell, 3 a pair of one of its
 * bands not searched, 4 the chirality's error too large to tell integers
 * apart. */
typedef struct {
    int on;
    int sum[QKT_MAX_POCKETS], cnt[QKT_MAX_POCKETS], verdict[QKT_MAX_POCKETS];
    int unsearched[QKT_MAX_POCKETS]; /* a pair not searched: its lower band */
    int nshared, nunmapped;          /* node sides whose rays met several pockets / unlabelled cells */
} pocket_check_t;

#define NVERDICT 5
static const char *const check_name[NVERDICT] = {"agree", "differ", "thermal", "incomplete", "unresolved"};

static qkt_status_t pocket_check(const qkt_model_t *m, const qkt_response_t *r, const qkt_node_t *nd, int n,
                                 const qkt_node_pair_t *P, int np, pocket_check_t *c)
{
    memset(c, 0, sizeof *c);
    if (!nd || m->dim != 3 || r->npocket == 0) return QKT_OK;
    qkt_node_enclosure_t *e = malloc(sizeof *e * (n > 0 ? n : 1));
    unsigned char *sheet = malloc((size_t)QKT_MAX_POCKETS * m->nb);
    if (!e || !sheet) {
        free(e);
        free(sheet);
        return qkt_error(QKT_ENOMEM, "out of memory (pocket check)");
    }
    int npk = 0;
    qkt_status_t s = qkt_pockets_enclosing(m, &r->par, nd, n, e, &npk, sheet, QKT_MAX_POCKETS);
    if (!s && npk != r->npocket)
        s = qkt_error(QKT_ENUM, "pocket check: the map has %d pockets, the run %d", npk, r->npocket);
    if (s) {
        free(e);
        free(sheet);
        return s;
    }
    c->on = 1;
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 2; b++) {
            int q = e[i].pocket[b];
            if (q == QKT_ENCLOSE_SHARED) c->nshared++;
            if (q == QKT_ENCLOSE_UNMAPPED) c->nunmapped++;
            if (q < 0) continue;
            if (e[i].shell) {
                c->verdict[q] = 2;
                continue;
            }
            c->sum[q] += e[i].charge[b];
            c->cnt[q]++;
        }
    for (int q = 0; q < npk; q++) {
        c->unsearched[q] = -1;
        /* every pair (b - 1, b) and (b, b + 1) of a band b with a sheet in q */
        for (int i = 0; i < np && c->unsearched[q] < 0; i++) {
            int lo = P[i].band;
            if (!P[i].searched && (sheet[(size_t)q * m->nb + lo] || sheet[(size_t)q * m->nb + lo + 1]))
                c->unsearched[q] = lo;
        }
        if (c->verdict[q] == 2) continue;
        double tol = POCKET_CHECK_TOL + 2 * r->pocket[q].chirality_err;
        if (c->unsearched[q] >= 0) c->verdict[q] = 3;
        else if (tol >= 0.5) c->verdict[q] = 4; /* adjacent integers not told apart */
        else c->verdict[q] = fabs(r->pocket[q].chirality - c->sum[q]) > tol;
    }
    free(e);
    free(sheet);
    return QKT_OK;
}

/* the summary of the pockets' node check, with a warning per disagreement */
static void out_pocket_check(qkt_cli_t *cli, const qkt_response_t *r, const pocket_check_t *c)
{
    int count[NVERDICT] = {0};
    for (int q = 0; q < r->npocket; q++) count[c->verdict[q]]++;
    qkt_out_push(cli, "node_check", "pockets and the nodes they enclose");
    for (int v = 0; v < NVERDICT; v++) qkt_out_int(cli, check_name[v], count[v]);
    qkt_out_int(cli, "rays_shared", c->nshared);
    qkt_out_int(cli, "rays_unmapped", c->nunmapped);
    qkt_out_note(cli, "each pocket's chirality (Eq. 3) against the charges of the nodes its sheets enclose (the "
                      "seed below Eq. 3): found by 26 rays from every node to the first sheet of each band of its pair; "
                      "agree within %g + 2 errors; thermal: a node within 5 k_B T of mu (the chirality is then a "
                      "thermal average); incomplete: a pair of one of the pocket's bands was not searched; unresolved: "
                      "the chirality's error is too large to tell integers apart (Wannier models: the pocket "
                      "integrals are bounded, reltol 1e-2 and 5000 evaluations per cell)",
                 POCKET_CHECK_TOL);
    qkt_out_pop(cli);
    for (int q = 0; q < r->npocket; q++) {
        if (c->verdict[q] == 1)
            qkt_cli_warn(cli, "pocket %d: chirality %.4g +- %.2g, but its sheets enclose nodes of total charge %d: a "
                              "node is missing or its chirality is wrong (try a finer info.search_grid), or the pocket "
                              "is not resolved (a lower info.T)",
                         q + 1, r->pocket[q].chirality, r->pocket[q].chirality_err, c->sum[q]);
        else if (c->verdict[q] == 3)
            qkt_out_note(cli, "pocket %d: not checked: bands (%d, %d) were not searched for nodes (widen "
                              "info.node_window or set info.node_bands)",
                         q + 1, c->unsearched[q], c->unsearched[q] + 1);
    }
    if (c->nshared || c->nunmapped)
        qkt_out_note(cli, "%d node-band sides lie in regions bounded by several pockets and %d met unlabelled cells: "
                          "they count for no pocket",
                     c->nshared, c->nunmapped);
}

static int out_pockets(qkt_cli_t *cli, const qkt_model_t *m, double mu, double T, const qkt_node_t *nd, int n,
                       const qkt_node_pair_t *P, int np, const frmsf_keys_t *fk)
{
    qkt_params_t p;
    qkt_params_default(&p);
    int wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    p.mu = mu;
    p.T = wannier ? T * qkt_units()->kB_eV : T; /* kelvin -> eV */
    p.order = 0;
    p.nu_mask = 1;
    p.al_mask = 0;
    p.reltol = 1e-3;
    if (wannier) p.maxeval = INFO_WANNIER_MAXEVAL, p.reltol = INFO_WANNIER_RELTOL;
    qkt_response_t r;
    qkt_status_t s = qkt_response_compute(m, &p, &r);
    if (s) {
        char msg[1500];
        snprintf(msg, sizeof msg, "Fermi pockets at mu = %g, T = %g: %s", mu, T, qkt_strerror());
        return qkt_cli_fail(cli, qkt_error(s, "%s", msg));
    }
    pocket_check_t chk;
    if ((s = pocket_check(m, &r, nd, n, P, np, &chk))) {
        char msg[1500];
        snprintf(msg, sizeof msg, "pockets and nodes: %s", qkt_strerror());
        qkt_response_free(&r);
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
        if (chk.on) {
            qkt_out_int(cli, "enclosed_charge", chk.sum[q]);
            qkt_out_int(cli, "enclosed_nodes", chk.cnt[q]);
            qkt_out_string(cli, "node_check", check_name[chk.verdict[q]]);
        }
        qkt_out_scalar(cli, "dos", pk->dos, NULL, u_dos);
        qkt_out_pop(cli);
    }
    qkt_out_pop(cli);
    if (m->dim == 3 && r.npocket) qkt_out_scalar(cli, "chirality_sum", qsum, &qerr, NULL);
    if (chk.on) out_pocket_check(cli, &r, &chk);
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
    if (fk->file && (s = out_frmsf(cli, m, mu, fk, &r))) {
        qkt_response_free(&r);
        return qkt_cli_fail(cli, s);
    }
    /* in a gap the integrals are exponentially small: no relative accuracy to reach */
    if (!r.converged && r.npocket > 0)
        qkt_cli_not_converged(cli, "the pocket integrals did not reach the relative accuracy %g", r.par.reltol);
    qkt_response_free(&r);
    return 0;
}

/* info.mu (for what: the pockets or the node window): a Wannier model's from
 * the .win file's fermi_energy, else required; 0.1 for the others */
static qkt_status_t mu_key(qkt_cli_t *cli, const qkt_model_t *m, const char *what, double *mu)
{
    qkt_status_t s;
    if (m->units == QKT_UNITS_EV_ANGSTROM && !qkt_cli_default_fermi(cli, "info.mu"))
        return qkt_error(QKT_EINVAL, "missing key 'info.mu': %s of a Wannier model need the chemical "
                                     "potential in eV, [info] mu = ... (it is taken from fermi_energy of "
                                     "SEEDNAME.win beside model.file when that file has one)", what);
    if ((s = qkt_cli_default(cli, "info.mu", "0.1")) || (s = qkt_cli_double(cli, "info.mu", mu))) return s;
    return QKT_OK;
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
    if ((s = mu_key(cli, m, "the Fermi pockets", mu)) ||
        (s = qkt_cli_default(cli, "info.T", wannier ? "300" : "0.005")) || (s = qkt_cli_double(cli, "info.T", T)))
        return s;
    if (!(*T > 0))
        return qkt_error(QKT_EINVAL, "%s: the temperature must be > 0, got %g", qkt_cli_where(cli, "info.T"), *T);
    qkt_cli_check_temperature(cli, "info.T", *T, *mu);
    return QKT_OK;
}

/* The keys of node_keys_t; k->o starts from qkt_node_opts_default. */
static qkt_status_t node_keys(qkt_cli_t *cli, const qkt_model_t *m, node_keys_t *k)
{
    qkt_node_opts_t *o = &k->o;
    int wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    long grid = 24;
    qkt_status_t s;
    if ((s = qkt_cli_int(cli, "info.search_grid", &grid)) || (s = qkt_cli_double(cli, "info.node_tol", &o->tol)) ||
        (s = qkt_cli_double(cli, "info.node_radius", &o->radius)) ||
        (s = qkt_cli_default(cli, "info.node_window", wannier ? "0.5" : "0")) ||
        (s = qkt_cli_double(cli, "info.node_window", &k->window)) ||
        (s = qkt_cli_bool(cli, "info.node_symmetry", &k->sym)))
        return s;
    if (grid < 4 || grid > 256)
        return qkt_error(QKT_EINVAL, "%s: must be in [4, 256], got %ld", qkt_cli_where(cli, "info.search_grid"), grid);
    if (!(o->tol >= 0 && o->tol <= 1e-2))
        return qkt_error(QKT_EINVAL, "%s: must be in (0, 1e-2] (or 0: automatic), got %g",
                         qkt_cli_where(cli, "info.node_tol"), o->tol);
    /* interpolated (Wannier) bands split symmetry degeneracies by about 1e-7 .. 1e-4 eV */
    if (o->tol == 0) o->tol = wannier ? 1e-5 : 1e-8;
    if (!(o->radius >= 0) || !isfinite(o->radius))
        return qkt_error(QKT_EINVAL, "%s: must be >= 0 (0: automatic), got %g", qkt_cli_where(cli, "info.node_radius"),
                         o->radius);
    o->grid = (int)grid;
    if (!(k->window >= 0) || !isfinite(k->window))
        return qkt_error(QKT_EINVAL, "%s: must be >= 0 (0: every energy), got %g", qkt_cli_where(cli, "info.node_window"),
                         k->window);
    if (k->window > 0) {
        if ((s = mu_key(cli, m, "the node window", &k->mu))) return s;
        o->emin = k->mu - k->window;
        o->emax = k->mu + k->window;
    }
    k->bands[0] = k->bands[1] = -1;
    if (qkt_cli_has(cli, "info.node_bands")) {
        double v[2];
        if ((s = qkt_cli_vec(cli, "info.node_bands", 2, v))) return s;
        if (!(v[0] >= 0 && v[1] > v[0] && v[1] < m->nb && v[0] == floor(v[0]) && v[1] == floor(v[1])))
            return qkt_error(QKT_EINVAL, "%s: need integers 0 <= n1 < n2 < %d (bands of the model, 0-based), got %g %g",
                             qkt_cli_where(cli, "info.node_bands"), m->nb, v[0], v[1]);
        k->bands[0] = (int)v[0];
        k->bands[1] = (int)v[1];
        o->pair_min = k->bands[0];
        o->pair_max = k->bands[1] - 1;
    }
    if (k->sym) {
        double tol = 1e-4;
        if ((s = qkt_cli_double(cli, "info.node_symmetry_tol", &tol))) return s;
        if (!(tol > 0))
            return qkt_error(QKT_EINVAL, "%s: must be > 0, got %g", qkt_cli_where(cli, "info.node_symmetry_tol"), tol);
        k->g = calloc(1, sizeof *k->g);
        if (!k->g) return qkt_error(QKT_ENOMEM, "out of memory");
        if ((s = qkt_cli_magsym(cli, m, tol, k->g, &k->c))) {
            char msg[1500];
            snprintf(msg, sizeof msg, "%s: %s", qkt_cli_where(cli, "info.node_symmetry"), qkt_strerror());
            free(k->g);
            k->g = NULL;
            return qkt_error(s, "%s", msg);
        }
        o->nsym = k->g->nop;
        o->symR = (const double(*)[3][3])k->g->R;
        o->sym_anti = k->g->anti;
    }
    return QKT_OK;
}

static void node_keys_free(node_keys_t *k)
{
    if (k->g) {
        qkt_crystal_free(&k->c);
        free(k->g);
    }
}

static int run(qkt_cli_t *cli)
{
    qkt_model_t *m;
    qkt_status_t s;
    if ((s = qkt_cli_model(cli, &m))) return qkt_cli_fail(cli, s);
    double mu = 0.1, T = 0.005;
    int pockets = 1;
    node_keys_t nk;
    frmsf_keys_t fk = {NULL, 40, 0};
    memset(&nk, 0, sizeof nk);
    qkt_node_opts_default(&nk.o);
    int nodes = 1, wannier = m->units == QKT_UNITS_EV_ANGSTROM;
    if ((s = pocket_keys(cli, m, &pockets, &mu, &T)) ||
        (s = qkt_cli_default(cli, "info.nodes", wannier ? "false" : "true")) ||
        (s = qkt_cli_bool(cli, "info.nodes", &nodes)) || (nodes && (s = node_keys(cli, m, &nk))) ||
        (s = frmsf_keys(cli, m, pockets, &fk)) ||
        (fk.file && !pockets && (s = mu_key(cli, m, "the FermiSurfer file", &mu)))) {
        node_keys_free(&nk);
        return qkt_cli_fail(cli, s);
    }

    out_model(cli, m);
    qkt_node_t *nd = NULL;
    qkt_node_pair_t *P = NULL;
    int n = 0, np = 0;
    int code = nodes ? out_nodes(cli, m, &nk, &nd, &n, &P, &np) : 0;
    node_keys_free(&nk);
    if (!code && wannier && (!nodes || !pockets))
        qkt_out_note(cli, "Wannier model: %s%s%s only on request (info.nodes = true, info.pockets = true: minutes)",
                     nodes ? "" : "Weyl nodes", !nodes && !pockets ? " and " : "", pockets ? "" : "Fermi pockets");
    if (!code && pockets) code = out_pockets(cli, m, mu, T, nd, n, P, np, &fk);
    else if (!code && fk.file && (s = out_frmsf(cli, m, mu, &fk, NULL))) code = qkt_cli_fail(cli, s);
    free(nd);
    free(P);
    return code;
}

const qkt_command_t qkt_cmd_info = {
    "info",
    "model summary: parameters, bands, units, Weyl nodes with chirality, Fermi pockets",
    help,
    keys,
    run,
    0,
};

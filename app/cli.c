/* cli.c - the shared machinery of the qkt program: argument parsing, help
 * texts, run-file keys with defaults and origins, the [model] section (built-in
 * models and Wannier90 files), exit codes, the result tree printed as an
 * indented table and collected as one JSON document (stdout or an atomically
 * written file), and a progress line for terminals. */
#define _GNU_SOURCE /* mkostemp */
#include "cli.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MODEL "weyl2"

/* ================================================================== global keys */
/* Keys of the [model] section other than the model's own parameters.  Built
 * once: the model list and the Wannier defaults come from the library. */
enum { NGLOBAL = 13 };
static qkt_key_t g_keys[NGLOBAL + 1];
static char g_model_doc[512], g_pos_def[8], g_herm_def[8], g_tol_def[32];
static int g_init = 0;

static void init_global_keys(void)
{
    if (g_init) return;
    g_init = 1;
    size_t o = 0;
    o += snprintf(g_model_doc + o, sizeof g_model_doc - o, "model: ");
    for (int i = 0; i < qkt_model_count() && o < sizeof g_model_doc; i++)
        o += snprintf(g_model_doc + o, sizeof g_model_doc - o, "%s%s", i ? ", " : "",
                      qkt_model_info_at(i)->name);
    if (o < sizeof g_model_doc) snprintf(g_model_doc + o, sizeof g_model_doc - o, " ('qkt help models')");
    qkt_wannier_opts_t w;
    qkt_wannier_opts_default(&w);
    snprintf(g_pos_def, sizeof g_pos_def, "%s", w.use_position ? "true" : "false");
    snprintf(g_herm_def, sizeof g_herm_def, "%s", w.hermitize_position ? "true" : "false");
    snprintf(g_tol_def, sizeof g_tol_def, "%g", w.herm_tol);
    int n = 0;
    g_keys[n++] = (qkt_key_t){"model.name", DEFAULT_MODEL, "-", g_model_doc};
    g_keys[n++] = (qkt_key_t){"model.file", "", "-",
                              "wannier: seedname_hr.dat or seedname_tb.dat (.gz allowed), required"};
    g_keys[n++] = (qkt_key_t){"model.wsvec", "", "-", "wannier: seedname_wsvec.dat (optional)"};
    g_keys[n++] = (qkt_key_t){"model.position", g_pos_def, "bool",
                              "wannier: use <0m|r|Rn> of _tb.dat in the Berry connection"};
    g_keys[n++] = (qkt_key_t){"model.hermitize_position", g_herm_def, "bool",
                              "wannier: symmetrize <0m|r|Rn> as (r + r^dagger)/2"};
    g_keys[n++] = (qkt_key_t){"model.herm_tol", g_tol_def, "eV",
                              "wannier: largest |H_mn(R) - conj(H_nm(-R))| accepted"};
    g_keys[n++] = (qkt_key_t){"model.spin_degeneracy", "1", "1",
                              "wannier: states per band, 1 (spinor WFs) or 2 (spinless WFs, as "
                              "Wannier90's num_elec_per_state)"};
    g_keys[n++] = (qkt_key_t){"model.avec1", "", "Angstrom",
                              "wannier: lattice vector a1 (needed for _hr.dat; _tb.dat has them)"};
    g_keys[n++] = (qkt_key_t){"model.avec2", "", "Angstrom", "wannier: lattice vector a2"};
    g_keys[n++] = (qkt_key_t){"model.avec3", "", "Angstrom", "wannier: lattice vector a3"};
    g_keys[n++] = (qkt_key_t){"model.win", "", "-",
                              "wannier, numerics.symmetry: the Wannier90 .win with unit_cell_cart and atoms_frac or "
                              "atoms_cart (default: SEEDNAME.win beside model.file)"};
    g_keys[n++] = (qkt_key_t){"model.moments", "", "mu_B",
                              "wannier, numerics.symmetry: magnetic moment of each atom of the .win, in its order, "
                              "'mx my mz; mx my mz; ...' (Cartesian), or 'none' (non-magnetic: time reversal is "
                              "a symmetry)"};
    g_keys[n++] = (qkt_key_t){"model.magnetization", "", "mu_B",
                              "wannier, numerics.symmetry: one moment 'mx my mz' on every atom (ferromagnet of "
                              "one species; else use model.moments)"};
    g_keys[n] = (qkt_key_t){NULL, NULL, NULL, NULL};
}

static int is_wannier_key(const char *k)
{
    init_global_keys();
    for (int i = 1; i < NGLOBAL; i++)
        if (strcmp(g_keys[i].name, k) == 0) return 1;
    return 0;
}

/* ================================================================== status */
int qkt_cli_exit_code(qkt_status_t s)
{
    switch (s) {
    case QKT_OK: return QKT_EXIT_OK;
    case QKT_EINVAL: return QKT_EXIT_INPUT;
    case QKT_EIO: return QKT_EXIT_IO;
    case QKT_EFORMAT: return QKT_EXIT_FORMAT;
    case QKT_ENOMEM: return QKT_EXIT_NOMEM;
    case QKT_ENUM: return QKT_EXIT_NUMERIC;
    case QKT_ENOCONV: return QKT_EXIT_NOCONV;
    case QKT_EPHYS: return QKT_EXIT_PHYSICS;
    }
    return QKT_EXIT_INTERNAL;
}

int qkt_cli_fail(qkt_cli_t *cli, qkt_status_t s)
{
    if (cli) qkt_cli_progress_end(cli);
    fflush(stdout);
    const char *msg = qkt_strerror();
    fprintf(stderr, "qkt: error: %s\n", (msg && *msg) ? msg : qkt_status_name(s));
    int code = qkt_cli_exit_code(s);
    return code ? code : QKT_EXIT_INTERNAL;
}

int qkt_cli_failf(qkt_cli_t *cli, qkt_status_t s, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    qkt_error(s, "%s", buf);
    return qkt_cli_fail(cli, s);
}

static void vwarn(qkt_cli_t *cli, const char *fmt, va_list ap)
{
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (cli->warnings) {
        cJSON *w = cJSON_CreateString(buf);
        if (w)
            cJSON_AddItemToArray(cli->warnings, w);
        else
            cli->nomem = 1;
    }
    if (!cli->quiet) {
        qkt_cli_progress_end(cli);
        fflush(stdout);
        fprintf(stderr, "qkt: warning: %s\n", buf);
    }
}

void qkt_cli_warn(qkt_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(cli, fmt, ap);
    va_end(ap);
}

void qkt_cli_not_converged(qkt_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(cli, fmt, ap);
    va_end(ap);
    cli->noconv = 1;
}

void qkt_cli_time_limit(qkt_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(cli, fmt, ap);
    va_end(ap);
    cli->noconv = cli->timeout = 1; /* not converged, with its own exit code */
}

/* ================================================================== keys */
static const qkt_key_t *spec_of(const qkt_cli_t *cli, const char *key)
{
    if (cli->cmd && cli->cmd->keys)
        for (const qkt_key_t *k = cli->cmd->keys; k->name; k++)
            if (strcmp(k->name, key) == 0) return k;
    init_global_keys();
    for (const qkt_key_t *k = g_keys; k->name; k++)
        if (strcmp(k->name, key) == 0) return k;
    return NULL;
}

const char *qkt_cli_where(const qkt_cli_t *cli, const char *key)
{
    static char buf[1200];
    const char *o = qkt_config_origin(cli->cfg, key);
    if (o)
        snprintf(buf, sizeof buf, "%s (%s)", key, o);
    else
        snprintf(buf, sizeof buf, "%s", key);
    return buf;
}

int qkt_cli_has(const qkt_cli_t *cli, const char *key)
{
    const char *o = qkt_config_origin(cli->cfg, key);
    return o && strcmp(o, "default") != 0;
}

qkt_status_t qkt_cli_default(qkt_cli_t *cli, const char *key, const char *value)
{
    return qkt_config_set_default(cli->cfg, key, value);
}

/* Make sure key has a value (the default if not given).  *present = 0 for an
 * optional key without default. */
static qkt_status_t prep_def(qkt_cli_t *cli, const char *key, const char *def, int *present)
{
    *present = 1;
    if (qkt_config_get(cli->cfg, key)) return QKT_OK;
    if (!def) {
        const char *dot = strrchr(key, '.');
        if (dot)
            return qkt_error(QKT_EINVAL,
                             "missing key '%s': set it in the run file ([%.*s] %s = ...) or with --set %s=...",
                             key, (int)(dot - key), key, dot + 1, key);
        return qkt_error(QKT_EINVAL, "missing key '%s': set it in the run file or with --set %s=...", key, key);
    }
    if (!*def) {
        *present = 0;
        return QKT_OK;
    }
    return qkt_config_set_default(cli->cfg, key, def);
}

static qkt_status_t prep(qkt_cli_t *cli, const char *key, int *present)
{
    const qkt_key_t *k = spec_of(cli, key);
    if (!k)
        return qkt_error(QKT_EINVAL, "internal error: command '%s' reads key '%s' that it does not declare",
                         cli->cmd ? cli->cmd->name : "?", key);
    return prep_def(cli, key, k->def, present);
}

static void record(qkt_cli_t *cli, const char *key, cJSON *val)
{
    if (!cli->inputs) {
        cJSON_Delete(val);
        return;
    }
    cJSON *org = cJSON_CreateString(qkt_config_origin(cli->cfg, key) ? qkt_config_origin(cli->cfg, key) : "default");
    if (!val || !org) {
        cJSON_Delete(val);
        cJSON_Delete(org);
        cli->nomem = 1;
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(cli->inputs, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cli->inputs, key, val);
    else
        cJSON_AddItemToObject(cli->inputs, key, val);
    if (cJSON_GetObjectItemCaseSensitive(cli->origins, key))
        cJSON_ReplaceItemInObjectCaseSensitive(cli->origins, key, org);
    else
        cJSON_AddItemToObject(cli->origins, key, org);
}

qkt_status_t qkt_cli_double(qkt_cli_t *cli, const char *key, double *out)
{
    int present;
    qkt_status_t s = prep(cli, key, &present);
    if (s || !present) return s;
    double v = *out;
    if ((s = qkt_config_double(cli->cfg, key, &v))) return s;
    *out = v;
    record(cli, key, cJSON_CreateNumber(v));
    return QKT_OK;
}

qkt_status_t qkt_cli_vec(qkt_cli_t *cli, const char *key, int n, double *out)
{
    int present;
    qkt_status_t s = prep(cli, key, &present);
    if (s || !present) return s;
    if ((s = qkt_config_vec(cli->cfg, key, n, out))) return s;
    record(cli, key, cJSON_CreateDoubleArray(out, n));
    return QKT_OK;
}

/* A list of n-vectors as the JSON text cJSON would print for an array of
 * arrays, kept as one raw item: a list of a million k-points costs the
 * document its text (tens of bytes a vector), not four cJSON nodes a vector. */
static cJSON *raw_vec_list(const double *v, int n, int count)
{
    size_t len = 0, cap = 256;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    buf[len++] = '[';
    for (int i = 0; i < count; i++) {
        cJSON *row = cJSON_CreateDoubleArray(v + (size_t)i * n, n);
        char *t = row ? cJSON_Print(row) : NULL;
        cJSON_Delete(row);
        size_t tl = t ? strlen(t) : 0;
        while (t && len + tl + 4 > cap) {
            char *nb = realloc(buf, 2 * cap);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        if (!t || len + tl + 4 > cap) {
            free(t);
            free(buf);
            return NULL;
        }
        if (i) buf[len++] = ',', buf[len++] = ' ';
        memcpy(buf + len, t, tl);
        len += tl;
        free(t);
    }
    buf[len++] = ']';
    buf[len] = '\0';
    cJSON *raw = cJSON_CreateRaw(""); /* then given buf, not a copy of it */
    if (!raw) {
        free(buf);
        return NULL;
    }
    cJSON_free(raw->valuestring);
    raw->valuestring = buf;
    return raw;
}

qkt_status_t qkt_cli_vec_list(qkt_cli_t *cli, const char *key, int n, double **out, int *count)
{
    int present;
    qkt_status_t s = prep(cli, key, &present);
    if (s || !present) return s;
    if ((s = qkt_config_vec_list(cli->cfg, key, n, out, count))) return s;
    record(cli, key, raw_vec_list(*out, n, *count));
    return QKT_OK;
}

qkt_status_t qkt_cli_int(qkt_cli_t *cli, const char *key, long *out)
{
    int present;
    qkt_status_t s = prep(cli, key, &present);
    if (s || !present) return s;
    if ((s = qkt_config_int(cli->cfg, key, out))) return s;
    record(cli, key, cJSON_CreateNumber((double)*out));
    return QKT_OK;
}

qkt_status_t qkt_cli_bool(qkt_cli_t *cli, const char *key, int *out)
{
    int present;
    qkt_status_t s = prep(cli, key, &present);
    if (s || !present) return s;
    if ((s = qkt_config_bool(cli->cfg, key, out))) return s;
    record(cli, key, cJSON_CreateBool(*out));
    return QKT_OK;
}

qkt_status_t qkt_cli_string(qkt_cli_t *cli, const char *key, const char **out)
{
    int present;
    qkt_status_t s = prep(cli, key, &present);
    if (s || !present) return s;
    if ((s = qkt_config_string(cli->cfg, key, out))) return s;
    record(cli, key, cJSON_CreateString(*out));
    return QKT_OK;
}

/* ================================================================== model */
const char *qkt_cli_unit_system(const qkt_model_t *m)
{
    return (m && m->units == QKT_UNITS_EV_ANGSTROM)
               ? "SI-based: energies eV, lengths Angstrom, T kelvin, tau fs, B tesla, E V/m, conductivities as labelled"
               : "natural units (hbar = e = 1)";
}

const char *qkt_cli_unit(const qkt_model_t *m, const char *q)
{
    if (!m || m->units != QKT_UNITS_EV_ANGSTROM) return q;
    static const char *const map[][2] = {
        {"energy", "eV"},         {"length", "Angstrom"}, {"1/length", "1/Angstrom"},
        {"length^2", "Angstrom^2"}, {"velocity", "eV Angstrom"}, {"area", "Angstrom^2"}, {"volume", "Angstrom^3"},
        {"field", "T"}, {"temperature", "K"}, {"time", "fs"}, {"E field", "V/m"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(q, map[i][0]) == 0) return map[i][1];
    return q;
}

static void fmt_vec(char *buf, size_t len, const double *v, int n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && o < len; i++) o += snprintf(buf + o, len - o, "%s%.15g", i ? " " : "", v[i]);
}

/* A relative path written in the run file is relative to the run file's
 * folder; one given with --set is relative to the working directory. */
static const char *resolve_path(qkt_cli_t *cli, const char *key, const char *path, char *buf, size_t len)
{
    const char *o = qkt_config_origin(cli->cfg, key);
    const char *slash = cli->runfile ? strrchr(cli->runfile, '/') : NULL;
    if (!path || path[0] == '/' || !o || strcmp(o, "--set") == 0 || strcmp(o, "default") == 0 || !slash)
        return path;
    int n = snprintf(buf, len, "%.*s/%s", (int)(slash - cli->runfile), cli->runfile, path);
    if (n < 0 || (size_t)n >= len) return path;
    record(cli, key, cJSON_CreateString(buf));
    return buf;
}

/* The value of 'fermi_energy' in a Wannier90 .win file (keyword any case,
 * then '=', ':' or blanks, a number in eV; '!' and '#' start comments).
 * 1 when found. */
static int win_fermi(const char *win, double *ef)
{
    FILE *f = fopen(win, "r");
    if (!f) return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *c = line + strspn(line, " \t");
        if (strncasecmp(c, "fermi_energy", 12) != 0) continue;
        c += 12;
        c += strspn(c, " \t=:");
        char *end;
        double v = strtod(c, &end);
        if (end != c && isfinite(v)) *ef = v, found = 1;
    }
    fclose(f);
    return found;
}

void qkt_cli_check_temperature(qkt_cli_t *cli, const char *key, double T, double mu)
{
    const qkt_model_t *m = cli->model;
    if (!m || !(T > 0)) return; /* T = 0: step occupations on a mesh, meant as such */
    const qkt_units_t *u = qkt_units();
    if (m->units == QKT_UNITS_EV_ANGSTROM && T < 1)
        qkt_cli_warn(cli, "%s = %g K: did you mean eV? T is in kelvin for Wannier models (%g eV would be %.4g K); "
                          "a shell this cold needs very fine k sampling",
                     qkt_cli_where(cli, key), T, T, T / u->kB_eV);
    else if (m->units != QKT_UNITS_EV_ANGSTROM && T >= 1 && T > 10 * fabs(mu))
        qkt_cli_warn(cli, "%s = %g: did you mean kelvin? T is k_B T in the model's energy units for models in "
                          "natural units, here %g times |mu| = %g",
                     qkt_cli_where(cli, key), T, fabs(mu) > 0 ? T / fabs(mu) : INFINITY, fabs(mu));
}

/* SEEDNAME.win beside a Wannier file SEEDNAME_hr.dat / _tb.dat (maybe .gz)
 * into win; 0 when path has no such ending or win is too short */
static int seed_win(const char *path, char *win, size_t len)
{
    static const char *const tails[] = {"_hr.dat.gz", "_tb.dat.gz", "_hr.dat", "_tb.dat"};
    size_t n = strlen(path), cut = 0;
    for (int i = 0; i < 4 && !cut; i++) {
        size_t t = strlen(tails[i]);
        if (n > t && !strcmp(path + n - t, tails[i])) cut = n - t;
    }
    return cut && snprintf(win, len, "%.*s.win", (int)cut, path) < (int)len;
}

int qkt_cli_default_fermi(qkt_cli_t *cli, const char *key)
{
    if (qkt_config_get(cli->cfg, key)) return 1;
    const char *file = qkt_config_get(cli->cfg, "model.file");
    if (!file || !*file) return 0;
    char buf[4096], win[4200], val[64], origin[4300];
    const char *path = resolve_path(cli, "model.file", file, buf, sizeof buf);
    double ef;
    if (!seed_win(path, win, sizeof win) || !win_fermi(win, &ef)) return 0;
    snprintf(val, sizeof val, "%.15g", ef);
    snprintf(origin, sizeof origin, "fermi_energy of %s", win);
    return qkt_config_set_default_from(cli->cfg, key, val, origin) == QKT_OK;
}

/* The .win of numerics.symmetry: model.win, or SEEDNAME.win beside model.file. */
static qkt_status_t win_path(qkt_cli_t *cli, char *win, size_t len)
{
    const char *w = NULL, *file = NULL;
    char buf[4096];
    qkt_status_t s;
    if ((s = qkt_cli_string(cli, "model.win", &w))) return s;
    if (w && *w) {
        snprintf(win, len, "%s", resolve_path(cli, "model.win", w, buf, sizeof buf));
        return QKT_OK;
    }
    if ((s = qkt_cli_string(cli, "model.file", &file))) return s;
    const char *path = resolve_path(cli, "model.file", file, buf, sizeof buf);
    if (!seed_win(path, win, len))
        return qkt_error(QKT_EINVAL, "numerics.symmetry needs the crystal structure: set model.win = SEEDNAME.win "
                                     "(model.file '%s' does not end in _hr.dat or _tb.dat)", path);
    return QKT_OK;
}

qkt_status_t qkt_cli_magsym(qkt_cli_t *cli, const qkt_model_t *m, double tol, qkt_magsym_t *g, qkt_crystal_t *c)
{
    char win[4300];
    qkt_status_t s;
    if (!m->periodic || strcmp(m->info->name, "wannier"))
        return qkt_error(QKT_EINVAL, "numerics.symmetry is for Wannier models (model.name = wannier), not '%s'",
                         m->info->name);
    if ((s = win_path(cli, win, sizeof win))) return s;
    if ((s = qkt_win_structure_read(win, c))) return s;
    const char *ms = qkt_config_get(cli->cfg, "model.moments");
    int have_mag = qkt_config_get(cli->cfg, "model.magnetization") != NULL;
    double *mom = NULL;
    if (ms && have_mag) s = qkt_error(QKT_EINVAL, "model.moments and model.magnetization: give one of them");
    else if (!ms && !have_mag)
        s = qkt_error(QKT_EINVAL,
                      "numerics.symmetry needs the magnetic moments: model.magnetization = mx my mz (every atom), "
                      "model.moments = 'mx my mz; ...' (one per atom of %s, %d atoms), or model.moments = none for "
                      "a non-magnetic crystal",
                      win, c->natom);
    else if (have_mag) {
        double v[3];
        if (!(s = qkt_cli_vec(cli, "model.magnetization", 3, v))) {
            mom = malloc(sizeof(double) * 3 * c->natom);
            if (!mom) s = qkt_error(QKT_ENOMEM, "out of memory");
            for (int i = 0; mom && i < c->natom; i++) memcpy(mom + 3 * i, v, sizeof v);
        }
    } else {
        char t[16];
        snprintf(t, sizeof t, "%s", ms + strspn(ms, " \t"));
        t[strcspn(t, " \t")] = 0;
        if (strcasecmp(t, "none") != 0) {
            int count = 0;
            if (!(s = qkt_cli_vec_list(cli, "model.moments", 3, &mom, &count)) && count != c->natom)
                s = qkt_error(QKT_EINVAL, "%s: %d moments for the %d atoms of %s (one 'mx my mz' per atom, "
                                          "';'-separated, in the order of the .win)",
                              qkt_cli_where(cli, "model.moments"), count, c->natom, win);
        } else {
            const char *dummy;
            s = qkt_cli_string(cli, "model.moments", &dummy);
        }
    }
    if (!s) s = qkt_magsym_find(c, mom, 1e-5, g);
    free(mom);
    if (!s) s = qkt_magsym_check_lattice(c, m, 1e-5);
    if (!s) s = qkt_magsym_check_model(g, m, 8, tol);
    if (!s) s = qkt_magsym_restrict(g);
    if (s) qkt_crystal_free(c);
    return s;
}

static qkt_status_t build_wannier(qkt_cli_t *cli, qkt_model_t **out)
{
    char fbuf[4096], wbuf[4096];
    qkt_wannier_opts_t o;
    qkt_wannier_opts_default(&o);
    const char *file = NULL, *wsvec = NULL;
    qkt_status_t s;
    if ((s = qkt_cli_string(cli, "model.file", &file))) return s;
    if (!file || !*file)
        return qkt_error(QKT_EINVAL, "model wannier needs model.file = seedname_hr.dat or seedname_tb.dat");
    o.path = resolve_path(cli, "model.file", file, fbuf, sizeof fbuf);
    if ((s = qkt_cli_string(cli, "model.wsvec", &wsvec))) return s;
    if (wsvec && *wsvec) o.wsvec_path = resolve_path(cli, "model.wsvec", wsvec, wbuf, sizeof wbuf);
    if ((s = qkt_cli_bool(cli, "model.position", &o.use_position))) return s;
    if ((s = qkt_cli_bool(cli, "model.hermitize_position", &o.hermitize_position))) return s;
    if ((s = qkt_cli_double(cli, "model.herm_tol", &o.herm_tol))) return s;
    if (!(o.herm_tol >= 0))
        return qkt_error(QKT_EINVAL, "%s: must be >= 0", qkt_cli_where(cli, "model.herm_tol"));
    if ((s = qkt_cli_double(cli, "model.spin_degeneracy", &o.spin_degeneracy))) return s;
    if (o.spin_degeneracy != 1 && o.spin_degeneracy != 2)
        return qkt_error(QKT_EINVAL, "%s: must be 1 or 2, got %g", qkt_cli_where(cli, "model.spin_degeneracy"),
                         o.spin_degeneracy);
    static const char *const av[3] = {"model.avec1", "model.avec2", "model.avec3"};
    int given = 0;
    for (int i = 0; i < 3; i++) {
        if (!qkt_cli_has(cli, av[i])) continue;
        if ((s = qkt_cli_vec(cli, av[i], 3, o.avec[i]))) return s;
        given++;
    }
    if (given && given < 3)
        return qkt_error(QKT_EINVAL, "model.avec1, model.avec2 and model.avec3 go together: %d of 3 given", given);
    o.have_avec = given == 3;
    return qkt_wannier_load(&o, out);
}

static qkt_status_t build_builtin(qkt_cli_t *cli, const qkt_model_info_t *info, qkt_model_t **out)
{
    qkt_model_t *m = qkt_model_alloc(info->name);
    if (!m) return qkt_error(QKT_ENOMEM, "cannot create model %s: %s", info->name, qkt_strerror());
    qkt_status_t s = QKT_OK;
    for (int i = 0; i < info->nparams && !s; i++) {
        const qkt_param_info_t *p = &info->params[i];
        char key[256], def[256];
        snprintf(key, sizeof key, "model.%s", p->name);
        fmt_vec(def, sizeof def, p->def, p->ncomp);
        double v[3] = {0, 0, 0};
        int present;
        if ((s = prep_def(cli, key, def, &present))) break;
        if ((s = qkt_config_vec(cli->cfg, key, p->ncomp, v))) break;
        record(cli, key, p->ncomp == 1 ? cJSON_CreateNumber(v[0]) : cJSON_CreateDoubleArray(v, p->ncomp));
        if ((s = qkt_model_set(m, p->name, v, p->ncomp))) {
            char msg[1500];
            snprintf(msg, sizeof msg, "%s: %s", qkt_cli_where(cli, key), qkt_strerror());
            s = qkt_error(s, "%s", msg);
        }
    }
    if (!s && (s = qkt_model_setup(m))) {
        /* name the parameters the user gave, with their origins */
        char msg[2048];
        size_t o = (size_t)snprintf(msg, sizeof msg, "%s", qkt_strerror());
        int ng = 0;
        for (int i = 0; i < info->nparams && o < sizeof msg; i++) {
            char key[256];
            snprintf(key, sizeof key, "model.%s", info->params[i].name);
            if (!qkt_cli_has(cli, key)) continue;
            o += snprintf(msg + o, sizeof msg - o, "%s%s = %s (%s)", ng++ ? ", " : " (given: ", key,
                          qkt_config_get(cli->cfg, key), qkt_config_origin(cli->cfg, key));
        }
        if (ng && o < sizeof msg) snprintf(msg + o, sizeof msg - o, ")");
        s = qkt_error(s, "%s", msg);
    }
    if (s) {
        qkt_model_free(m);
        return s;
    }
    *out = m;
    return QKT_OK;
}

static cJSON *replace_or_add(cJSON *obj, const char *name, cJSON *item)
{
    if (!item) return NULL;
    if (cJSON_GetObjectItemCaseSensitive(obj, name))
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, item);
    else
        cJSON_AddItemToObject(obj, name, item);
    return item;
}

qkt_status_t qkt_cli_model(qkt_cli_t *cli, qkt_model_t **out)
{
    if (cli->model) {
        *out = cli->model;
        return QKT_OK;
    }
    const char *name = DEFAULT_MODEL;
    qkt_status_t s = qkt_cli_string(cli, "model.name", &name);
    if (s) return s;
    const qkt_model_info_t *info = qkt_model_lookup(name);
    if (!info)
        return qkt_error(QKT_EINVAL, "unknown model '%s' (%s)", name, qkt_config_origin(cli->cfg, "model.name"));
    qkt_model_t *m = NULL;
    s = strcmp(info->name, "wannier") == 0 ? build_wannier(cli, &m) : build_builtin(cli, info, &m);
    if (s) return s;
    cli->model = m;
    cli->model_info = info;
    if (cli->doc) {
        cJSON *md = cJSON_CreateObject();
        if (md) {
            cJSON_AddStringToObject(md, "name", m->info->name);
            cJSON_AddStringToObject(md, "source", m->source);
            cJSON_AddNumberToObject(md, "bands", m->nb);
            cJSON_AddNumberToObject(md, "dim", m->dim);
            cJSON_AddBoolToObject(md, "periodic", m->periodic);
            if (m->periodic) {
                cJSON *a = cJSON_CreateArray(), *b = cJSON_CreateArray();
                for (int i = 0; i < 3 && a && b; i++) {
                    cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(m->avec[i], 3));
                    cJSON_AddItemToArray(b, cJSON_CreateDoubleArray(m->bvec[i], 3));
                }
                cJSON_AddItemToObject(md, "avec", a);
                cJSON_AddItemToObject(md, "bvec", b);
            }
        }
        if (!replace_or_add(cli->doc, "model", md)) cli->nomem = 1;
        if (!replace_or_add(cli->doc, "unit_system", cJSON_CreateString(qkt_cli_unit_system(m))))
            cli->nomem = 1;
    }
    *out = m;
    return QKT_OK;
}

/* ================================================================== text output */
static int text_on(const qkt_cli_t *cli) { return !cli->json; }

static void indent(qkt_cli_t *cli)
{
    qkt_cli_progress_end(cli); /* a table line never shares the progress line */
    for (int i = 1; i <= cli->depth; i++)
        if (cli->titled[i]) fputs("  ", stdout);
}

/* -0 printed as 0 */
static double nz(double x) { return x == 0 ? 0.0 : x; }

/* The unit of an input key as the model reads it: the key table's unit
 * ("energy", or "energy|K": natural units | Wannier units), a built-in
 * model's parameter unit, in the model's unit system; "" for strings,
 * booleans and paths.  Static buffer for the combined forms. */
static const char *input_unit(const qkt_cli_t *cli, const char *key)
{
    static char buf[64];
    const qkt_model_t *m = cli->model;
    const char *u = NULL;
    const qkt_key_t *k = spec_of(cli, key);
    if (k) u = k->unit;
    if (!u && !strncmp(key, "model.", 6) && cli->model_info)
        for (int i = 0; i < cli->model_info->nparams && !u; i++)
            if (!strcmp(cli->model_info->params[i].name, key + 6)) u = cli->model_info->params[i].unit;
    if (!u || !strcmp(u, "-") || !strcmp(u, "bool") || !strcmp(u, "path")) return "";
    const char *bar = strchr(u, '|');
    if (bar) {
        if (m && m->units == QKT_UNITS_EV_ANGSTROM) return bar + 1;
        snprintf(buf, sizeof buf, "%.*s", (int)(bar - u), u);
        return buf;
    }
    return qkt_cli_unit(m, u);
}

/* "input_units" of the JSON document: each input's unit ("" for none) */
static void add_input_units(qkt_cli_t *cli)
{
    cJSON *iu = cJSON_CreateObject(), *it;
    if (!iu) {
        cli->nomem = 1;
        return;
    }
    cJSON_ArrayForEach(it, cli->inputs) cJSON_AddStringToObject(iu, it->string, input_unit(cli, it->string));
    cJSON *old = cJSON_GetObjectItemCaseSensitive(cli->doc, "input_units");
    if (old) cJSON_ReplaceItemInObjectCaseSensitive(cli->doc, "input_units", iu);
    else cJSON_AddItemToObject(cli->doc, "input_units", iu);
}

static void header(qkt_cli_t *cli)
{
    if (cli->header_done || !text_on(cli)) return;
    cli->header_done = 1;
    qkt_cli_progress_end(cli);
    printf("# qkt %s %s", QKT_VERSION_STRING, cli->cmd->name);
    if (cli->runfile) printf(" %s", cli->runfile);
    printf("\n");
    if (cli->model) {
        const qkt_model_t *m = cli->model;
        printf("# model: %s (%s), %d band%s, %dD, %s\n", m->info->name, m->source, m->nb,
               m->nb == 1 ? "" : "s", m->dim, m->periodic ? "periodic" : "continuum");
        printf("# units: %s\n", qkt_cli_unit_system(m));
    }
    cJSON *it;
    int first = 1;
    cJSON_ArrayForEach(it, cli->inputs)
    {
        if (first) printf("# inputs:\n");
        first = 0;
        const char *v = qkt_config_get(cli->cfg, it->string);
        const char *o = qkt_config_origin(cli->cfg, it->string);
        const char *u = input_unit(cli, it->string);
        printf("#   %s = %s%s%s  (%s)\n", it->string, v ? v : "", *u && strcmp(u, "1") ? " " : "",
               *u && strcmp(u, "1") ? u : "", o ? o : "default");
    }
}

static const char *num(char *buf, size_t len, double x)
{
    snprintf(buf, len, "%.10g", nz(x));
    return buf;
}

/* Print a block of rows x cols cells (stride CELL) with row/column labels. */
enum { CELL = 64 };
static void print_block(qkt_cli_t *cli, const char *title, const char *unit, int rows, int cols,
                        const char *cells, const char *const *rowlab, const char *const *collab)
{
    indent(cli);
    if (unit && *unit)
        printf("%s [%s]:\n", title, unit);
    else
        printf("%s:\n", title);
    int w = 1, wr = 1;
    char lab[32];
    for (int r = 0; r < rows; r++) {
        int l = rowlab ? (int)strlen(rowlab[r]) : snprintf(lab, sizeof lab, "%d", r);
        if (l > wr) wr = l;
        for (int c = 0; c < cols; c++) {
            int lc = (int)strlen(cells + (size_t)(r * cols + c) * CELL);
            if (lc > w) w = lc;
        }
    }
    for (int c = 0; c < cols; c++) {
        int l = collab ? (int)strlen(collab[c]) : snprintf(lab, sizeof lab, "%d", c);
        if (l > w) w = l;
    }
    indent(cli);
    printf("  %*s", wr, "");
    for (int c = 0; c < cols; c++) {
        if (collab)
            printf("  %*s", w, collab[c]);
        else
            printf("  %*d", w, c);
    }
    printf("\n");
    for (int r = 0; r < rows; r++) {
        indent(cli);
        if (rowlab)
            printf("  %*s", wr, rowlab[r]);
        else
            printf("  %*d", wr, r);
        for (int c = 0; c < cols; c++) printf("  %*s", w, cells + (size_t)(r * cols + c) * CELL);
        printf("\n");
    }
}

/* ================================================================== JSON output */
/* A JSON document is wanted: on stdout (--json) or in a file (--output). */
static int doc_wanted(const qkt_cli_t *cli) { return cli->json || cli->output; }

/* The spool of the streamed elements: a temporary file of TMPDIR, unlinked at
 * once, so that nothing is left behind however the run ends. */
static FILE *open_spool(void)
{
    const char *t = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/.qkt-json.XXXXXX", t && *t ? t : "/tmp");
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) return NULL;
    unlink(path);
    FILE *f = fdopen(fd, "w+");
    if (!f) close(fd);
    return f;
}

/* Append one element's JSON text to the spool, indented as it would be
 * inside the document (one tab per level), after ", " from the previous one:
 * the document reads exactly as if printed whole. */
static int spool_element(qkt_cli_t *cli, const char *text)
{
    static const char tabs[QKT_CLI_MAXDEPTH + 2] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
    FILE *f = cli->spool;
    /* levels above an element: the document's object, "results", stack[1..] */
    size_t nt = (size_t)cli->stream_depth + 2;
    if (cli->stream_items && fputs(", ", f) == EOF) return -1;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (fwrite(p, 1, n, f) != n || (nl && fwrite(tabs, 1, nt, f) != nt)) return -1;
        p += n;
    }
    return 0;
}

/* Write the complete elements of the streamed array out (when a document is
 * wanted) and free them. */
static void stream_flush(qkt_cli_t *cli)
{
    cJSON *it;
    while ((it = cli->stream->child)) {
        cJSON_DetachItemViaPointer(cli->stream, it);
        if (doc_wanted(cli) && !cli->spool_err) {
            errno = 0;
            if (!cli->spool && !(cli->spool = open_spool())) cli->spool_err = errno ? errno : EIO;
            char *text = cli->spool ? cJSON_Print(it) : NULL;
            if (cli->spool && !text) cli->nomem = 1;
            if (text && spool_element(cli, text)) cli->spool_err = errno ? errno : EIO;
            free(text);
        }
        cJSON_Delete(it);
        cli->stream_items++;
    }
}

static void add_item(qkt_cli_t *cli, const char *name, cJSON *item, const char *unit)
{
    if (!item) {
        cli->nomem = 1;
        return;
    }
    cJSON *c = cli->stack[cli->depth];
    if (!c) {
        cJSON_Delete(item);
        return;
    }
    if (cJSON_IsArray(c)) {
        cJSON_AddItemToArray(c, item);
        if (c == cli->stream && cli->stream_depth && !cli->pushing) stream_flush(cli);
        return;
    }
    replace_or_add(c, name, item);
    if (unit && *unit) {
        cJSON *u = cJSON_GetObjectItemCaseSensitive(c, "units");
        if (!u) u = cJSON_AddObjectToObject(c, "units");
        if (!u || !replace_or_add(u, name, cJSON_CreateString(unit))) cli->nomem = 1;
    }
}

cJSON *qkt_out_json(qkt_cli_t *cli) { return cli->stack[cli->depth]; }

static void push(qkt_cli_t *cli, const char *name, const char *title, cJSON *item)
{
    header(cli);
    if (text_on(cli) && title) {
        indent(cli);
        printf("%s:\n", title);
    }
    if (!item) cli->nomem = 1;
    if (cli->depth + 1 >= QKT_CLI_MAXDEPTH) {
        /* nesting this deep is a bug in a command; keep the document valid */
        cJSON_Delete(item);
        cli->nomem = 1;
        return;
    }
    cJSON *keep = item;
    cli->pushing = 1;
    add_item(cli, name, item, NULL);
    cli->pushing = 0;
    cli->stack[++cli->depth] = keep;
    cli->titled[cli->depth] = title != NULL;
}

void qkt_out_push(qkt_cli_t *cli, const char *name, const char *title)
{
    push(cli, name, title ? title : name, cJSON_CreateObject());
}

void qkt_out_push_array(qkt_cli_t *cli, const char *name, const char *title)
{
    push(cli, name, title, cJSON_CreateArray());
}

void qkt_out_pop(qkt_cli_t *cli)
{
    if (cli->depth > 0) cli->depth--;
    if (!cli->stream_depth) return;
    if (cli->depth == cli->stream_depth)
        stream_flush(cli); /* an element is complete */
    else if (cli->depth < cli->stream_depth)
        cli->stream_depth = 0; /* the array is closed */
}

void qkt_out_stream_array(qkt_cli_t *cli, const char *name, const char *title)
{
    cJSON *parent = cli->stack[cli->depth];
    qkt_out_push_array(cli, name, title);
    cJSON *arr = cli->stack[cli->depth];
    if (cli->stream || !arr || arr == parent) return; /* one per document */
    cli->stream = cli->stack[cli->depth];
    cli->stream_parent = parent;
    cli->stream_depth = cli->depth;
}

void qkt_out_scalar(qkt_cli_t *cli, const char *name, double v, const double *err, const char *unit)
{
    header(cli);
    if (text_on(cli)) {
        char b1[64], b2[64];
        indent(cli);
        printf("%s = %s", name, num(b1, sizeof b1, v));
        if (err) printf(" +/- %s", num(b2, sizeof b2, *err));
        if (unit && *unit) printf("  [%s]", unit);
        printf("\n");
    }
    add_item(cli, name, cJSON_CreateNumber(v), unit);
    if (err && !cJSON_IsArray(cli->stack[cli->depth])) {
        char en[256];
        snprintf(en, sizeof en, "%s_err", name);
        add_item(cli, en, cJSON_CreateNumber(*err), unit);
    }
}

void qkt_out_int(qkt_cli_t *cli, const char *name, long v)
{
    header(cli);
    if (text_on(cli)) {
        indent(cli);
        printf("%s = %ld\n", name, v);
    }
    add_item(cli, name, cJSON_CreateNumber((double)v), NULL);
}

void qkt_out_string(qkt_cli_t *cli, const char *name, const char *v)
{
    header(cli);
    if (text_on(cli)) {
        indent(cli);
        printf("%s = %s\n", name, v);
    }
    add_item(cli, name, cJSON_CreateString(v), NULL);
}

void qkt_out_bool(qkt_cli_t *cli, const char *name, int v)
{
    header(cli);
    if (text_on(cli)) {
        indent(cli);
        printf("%s = %s\n", name, v ? "true" : "false");
    }
    add_item(cli, name, cJSON_CreateBool(v), NULL);
}

void qkt_out_vector(qkt_cli_t *cli, const char *name, int n, const double *v, const double *err,
                    const char *unit)
{
    header(cli);
    if (text_on(cli)) {
        char b[64];
        indent(cli);
        printf("%s = (", name);
        for (int i = 0; i < n; i++) printf("%s%s", i ? ", " : "", num(b, sizeof b, v[i]));
        printf(")");
        if (err) {
            printf(" +/- (");
            for (int i = 0; i < n; i++) printf("%s%s", i ? ", " : "", num(b, sizeof b, err[i]));
            printf(")");
        }
        if (unit && *unit) printf("  [%s]", unit);
        printf("\n");
    }
    add_item(cli, name, cJSON_CreateDoubleArray(v, n), unit);
    if (err && !cJSON_IsArray(cli->stack[cli->depth])) {
        char en[256];
        snprintf(en, sizeof en, "%s_err", name);
        add_item(cli, en, cJSON_CreateDoubleArray(err, n), unit);
    }
}

static const char *const xyz[3] = {"x", "y", "z"};

void qkt_out_tensor(qkt_cli_t *cli, const char *name, const double t[9], const double *err,
                    const char *unit)
{
    header(cli);
    if (text_on(cli)) {
        char cells[9 * CELL];
        for (int i = 0; i < 9; i++) snprintf(cells + i * CELL, CELL, "%.10g", nz(t[i]));
        print_block(cli, name, unit, 3, 3, cells, xyz, xyz);
        if (err) {
            char title[300];
            snprintf(title, sizeof title, "%s error estimate", name);
            for (int i = 0; i < 9; i++) snprintf(cells + i * CELL, CELL, "%.3g", err[i]);
            print_block(cli, title, unit, 3, 3, cells, xyz, xyz);
        }
    }
    cJSON *o = cJSON_CreateObject();
    for (int a = 0; o && a < 3; a++)
        for (int b = 0; b < 3; b++) {
            char k[16];
            snprintf(k, sizeof k, "%s%s", xyz[a], xyz[b]);
            if (!cJSON_AddNumberToObject(o, k, t[3 * a + b])) cli->nomem = 1;
            if (err) {
                snprintf(k, sizeof k, "%s%s_err", xyz[a], xyz[b]);
                if (!cJSON_AddNumberToObject(o, k, err[3 * a + b])) cli->nomem = 1;
            }
        }
    add_item(cli, name, o, unit);
}

void qkt_out_matrix(qkt_cli_t *cli, const char *name, int rows, int cols, const double *M,
                    const char *const *collabels, const char *unit)
{
    header(cli);
    if (text_on(cli)) {
        char *cells = malloc((size_t)rows * cols * CELL + 1);
        if (cells) {
            for (int i = 0; i < rows * cols; i++) snprintf(cells + (size_t)i * CELL, CELL, "%.10g", nz(M[i]));
            print_block(cli, name, unit, rows, cols, cells, NULL, collabels);
            free(cells);
        } else {
            cli->nomem = 1;
        }
    }
    cJSON *a = cJSON_CreateArray();
    for (int r = 0; a && r < rows; r++) {
        cJSON *row = cJSON_CreateDoubleArray(M + (size_t)r * cols, cols);
        if (!row) cli->nomem = 1;
        cJSON_AddItemToArray(a, row);
    }
    add_item(cli, name, a, unit);
}

void qkt_out_cmatrix(qkt_cli_t *cli, const char *name, int n, const double complex *M,
                     const unsigned char *mask, const char *const *masklabel, const char *unit)
{
    header(cli);
    if (text_on(cli)) {
        char *cells = malloc((size_t)n * n * CELL + 1);
        if (cells) {
            for (int i = 0; i < n * n; i++) {
                char *c = cells + (size_t)i * CELL;
                if (mask && mask[i])
                    snprintf(c, CELL, "%s", masklabel ? masklabel[mask[i]] : "-");
                else
                    snprintf(c, CELL, "%.8g%+.8gi", nz(creal(M[i])), nz(cimag(M[i])));
            }
            print_block(cli, name, unit, n, n, cells, NULL, NULL);
            free(cells);
        } else {
            cli->nomem = 1;
        }
    }
    cJSON *o = cJSON_CreateObject(), *re = cJSON_CreateArray(), *im = cJSON_CreateArray();
    if (!o || !re || !im) {
        cJSON_Delete(o);
        cJSON_Delete(re);
        cJSON_Delete(im);
        cli->nomem = 1;
        return;
    }
    for (int m = 0; m < n; m++) {
        cJSON *rr = cJSON_CreateArray(), *ri = cJSON_CreateArray();
        if (!rr || !ri) cli->nomem = 1;
        for (int k = 0; rr && ri && k < n; k++) {
            int i = m * n + k;
            int masked = mask && mask[i];
            cJSON_AddItemToArray(rr, masked ? cJSON_CreateNull() : cJSON_CreateNumber(creal(M[i])));
            cJSON_AddItemToArray(ri, masked ? cJSON_CreateNull() : cJSON_CreateNumber(cimag(M[i])));
        }
        cJSON_AddItemToArray(re, rr);
        cJSON_AddItemToArray(im, ri);
    }
    cJSON_AddItemToObject(o, "re", re);
    cJSON_AddItemToObject(o, "im", im);
    add_item(cli, name, o, unit);
}

void qkt_out_table_begin(qkt_cli_t *cli, const char *name, int ncol, const char *const *cols,
                         const char *const *units)
{
    header(cli);
    if (text_on(cli)) {
        indent(cli);
        printf("%s:\n", name);
        indent(cli);
        printf("#");
        for (int c = 0; c < ncol; c++) {
            char h[256];
            if (units && units[c] && *units[c])
                snprintf(h, sizeof h, "%s[%s]", cols[c], units[c]);
            else
                snprintf(h, sizeof h, "%s", cols[c]);
            printf(" %*s", c == 0 ? 17 : 18, h);
        }
        printf("\n");
    }
    cJSON *t = cJSON_CreateObject();
    cJSON *cn = cJSON_CreateArray(), *cu = cJSON_CreateArray();
    for (int c = 0; cn && cu && c < ncol; c++) {
        cJSON_AddItemToArray(cn, cJSON_CreateString(cols[c]));
        cJSON_AddItemToArray(cu, cJSON_CreateString(units && units[c] ? units[c] : ""));
    }
    if (t) {
        cJSON_AddItemToObject(t, "columns", cn);
        cJSON_AddItemToObject(t, "column_units", cu);
        if (!cJSON_AddArrayToObject(t, "rows")) cli->nomem = 1;
    } else {
        cJSON_Delete(cn);
        cJSON_Delete(cu);
    }
    push(cli, name, NULL, t); /* the heading was printed above */
    cli->table_ncol = ncol;
}

void qkt_out_table_row(qkt_cli_t *cli, const double *vals)
{
    int n = cli->table_ncol;
    if (text_on(cli)) {
        indent(cli);
        printf(" ");
        for (int c = 0; c < n; c++) printf(" %18.10g", nz(vals[c]));
        printf("\n");
    }
    cJSON *rows = cJSON_GetObjectItemCaseSensitive(cli->stack[cli->depth], "rows");
    cJSON *r = cJSON_CreateDoubleArray(vals, n);
    if (!rows || !r) {
        cJSON_Delete(r);
        cli->nomem = 1;
        return;
    }
    cJSON_AddItemToArray(rows, r);
}

void qkt_out_table_end(qkt_cli_t *cli)
{
    qkt_out_pop(cli);
    cli->table_ncol = 0;
}

void qkt_out_note(qkt_cli_t *cli, const char *fmt, ...)
{
    if (!text_on(cli)) return;
    header(cli);
    va_list ap;
    va_start(ap, fmt);
    indent(cli);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* ================================================================== progress */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Off a terminal: a whole line now and then, so that a log shows that a long
 * run is alive, in which phase and how far (a run killed near its end leaves
 * its last line).  The time left assumes the rest of the phase goes at the
 * pace of the phase so far. */
static void progress_line(qkt_cli_t *cli, const char *label, long done, long total)
{
    double t = now_s(), el = t - cli->t_start;
    /* the pace of the named phase (qkt_cli_progress_phase), else of the run */
    double ph = cli->t_phase > 0 && strcmp(label, cli->phase_label) == 0 ? t - cli->t_phase : el;
    double every = cli->progress_every > 0 ? cli->progress_every : 15;
    if (cli->progress_every <= 0 && el < 5) return;
    if (cli->t_line > 0 ? t - cli->t_line < every : cli->progress_every > 0 && el < every) return;
    cli->t_line = t;
    double frac = (double)done / (double)total;
    fprintf(stderr, "qkt: progress: %s %d%%, %.0f s elapsed", label, (int)(100 * frac), el);
    if (frac > 0.02) fprintf(stderr, ", about %.0f s left%s", ph * (1 - frac) / frac, ph < el ? " in this phase" : "");
    fprintf(stderr, "\n");
    fflush(stderr);
}

void qkt_cli_progress(qkt_cli_t *cli, const char *label, long done, long total)
{
    if (cli->quiet || total <= 0) return;
    if (!cli->tty) {
        progress_line(cli, label, done, total);
        return;
    }
    int pct = (int)(100.0 * (double)done / (double)total);
    if (cli->progress_active && pct == cli->progress_last) return;
    fprintf(stderr, "\r%s %3d%%", label, pct);
    fflush(stderr);
    cli->progress_active = 1;
    cli->progress_last = pct;
}

void qkt_cli_progress_phase(qkt_cli_t *cli, const char *label)
{
    qkt_cli_progress_end(cli);
    snprintf(cli->phase_label, sizeof cli->phase_label, "%s", label);
    cli->t_phase = now_s();
}

void qkt_cli_progress_end(qkt_cli_t *cli)
{
    if (!cli->progress_active) return;
    fprintf(stderr, "\r%60s\r", "");
    fflush(stderr);
    cli->progress_active = 0;
}

/* ================================================================== help */
static const char *const option_names[] = {"--set",     "--json",    "--output", "--quiet",
                                           "--help",    "--version", "--vary",   "--progress"};

static void print_usage(FILE *f, const qkt_command_t *const *commands)
{
    fprintf(f,
            "qkt %s - quantum kinetic magnetotransport (Sekine, Culcer and MacDonald, PRB 96, 235134)\n\n"
            "usage: qkt COMMAND [RUNFILE] [--set KEY=VALUE]... [--json] [--output PATH] [--quiet]\n"
            "       qkt COMMAND --help        keys of a command, with defaults and units\n"
            "       qkt help [COMMAND|models]\n"
            "       qkt --version\n\ncommands:\n",
            QKT_VERSION_STRING);
    int w = 8;
    for (int i = 0; commands[i]; i++)
        if ((int)strlen(commands[i]->name) > w) w = (int)strlen(commands[i]->name);
    for (int i = 0; commands[i]; i++) fprintf(f, "  %-*s  %s\n", w, commands[i]->name, commands[i]->summary);
    fprintf(f,
            "\noptions:\n"
            "  --set KEY=VALUE  set a run-file key (repeatable; wins over the run file)\n"
            "  --json           print one JSON document on stdout instead of the table\n"
            "  --output PATH    also write the JSON document to PATH (atomically)\n"
            "  --quiet          no progress and no warnings on stderr\n"
            "  --progress[=S]   progress lines on stderr every S s (default 10) also when it is\n"
            "                   no terminal (without it: every 15 s once a run lasts 5 s)\n"
            "  --ignore-section=S[,S2...]  unknown keys of these run-file sections are not errors\n"
            "                   (sections that only other commands read are skipped anyway)\n"
            "  --help           this text; after a command: the command's keys (with --json:\n"
            "                   as one JSON document)\n"
            "  --version        version and build information\n"
            "\nexit codes: 0 ok, 2 bad input, 3 file error, 4 malformed file, 5 out of memory,\n"
            "  6 numerical failure, 7 not converged (results printed with a warning),\n"
            "  8 ill-posed physics\n");
}

static void print_keys(FILE *f, const qkt_key_t *keys, int nkeys)
{
    int wn = 3, wd = 7, wu = 4;
    for (int i = 0; i < nkeys; i++) {
        const char *d = keys[i].def ? (*keys[i].def ? keys[i].def : "(none)") : "(required)";
        if ((int)strlen(keys[i].name) > wn) wn = (int)strlen(keys[i].name);
        if ((int)strlen(d) > wd) wd = (int)strlen(d);
        if ((int)strlen(keys[i].unit ? keys[i].unit : "-") > wu) wu = (int)strlen(keys[i].unit ? keys[i].unit : "-");
    }
    fprintf(f, "  %-*s  %-*s  %-*s  %s\n", wn, "key", wd, "default", wu, "unit", "meaning");
    for (int i = 0; i < nkeys; i++) {
        const char *d = keys[i].def ? (*keys[i].def ? keys[i].def : "(none)") : "(required)";
        fprintf(f, "  %-*s  %-*s  %-*s  %s\n", wn, keys[i].name, wd, d, wu, keys[i].unit ? keys[i].unit : "-",
                keys[i].doc ? keys[i].doc : "");
    }
}

static void print_command_help(FILE *f, const qkt_command_t *c)
{
    fprintf(f, "qkt %s - %s\n\nusage: qkt %s [RUNFILE] [--set KEY=VALUE]... [--json] [--output PATH] [--quiet]\n\n",
            c->name, c->summary, c->name);
    if (c->help && *c->help) fprintf(f, "%s%s\n", c->help, c->help[strlen(c->help) - 1] == '\n' ? "" : "\n");
    int n = 0;
    if (c->keys)
        while (c->keys[n].name) n++;
    if (n) {
        fprintf(f, "keys of the command:\n");
        print_keys(f, c->keys, n);
        fprintf(f, "\n");
    }
    init_global_keys();
    fprintf(f, "keys of the [model] section (every command):\n");
    qkt_key_t all[NGLOBAL + 1];
    all[0] = g_keys[0];
    all[1] = (qkt_key_t){"model.<param>", "(per model)", "(per model)",
                         "parameters of the chosen model: 'qkt help models'"};
    for (int i = 1; i < NGLOBAL; i++) all[i + 1] = g_keys[i];
    print_keys(f, all, NGLOBAL + 1);
    fprintf(f, "\nKeys are written 'key = value' under [section] in the run file, or --set section.key=value.\n");
}

/* --help --json: the command's keys and the [model] keys as one JSON
 * document (the Python package resolves its keyword arguments with it) */
static void add_keys_json(cJSON *arr, const qkt_key_t *k, int n)
{
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", k[i].name);
        if (k[i].def)
            cJSON_AddStringToObject(o, "default", k[i].def);
        else
            cJSON_AddNullToObject(o, "default");
        cJSON_AddStringToObject(o, "unit", k[i].unit ? k[i].unit : "-");
        cJSON_AddStringToObject(o, "doc", k[i].doc ? k[i].doc : "");
        cJSON_AddItemToArray(arr, o);
    }
}

static int print_command_keys_json(FILE *f, const qkt_command_t *c)
{
    init_global_keys();
    int n = 0;
    if (c->keys)
        while (c->keys[n].name) n++;
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "command", c->name);
    cJSON_AddStringToObject(doc, "summary", c->summary);
    cJSON_AddBoolToObject(doc, "passes_keys", c->pass_keys);
    add_keys_json(cJSON_AddArrayToObject(doc, "keys"), c->keys, n);
    add_keys_json(cJSON_AddArrayToObject(doc, "model_keys"), g_keys, NGLOBAL);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!text) {
        fprintf(stderr, "qkt: error: out of memory\n");
        return QKT_EXIT_NOMEM;
    }
    fprintf(f, "%s\n", text);
    free(text);
    return QKT_EXIT_OK;
}

static void print_models(FILE *f)
{
    fprintf(f, "Models (run-file key model.name; parameters are model.<param>):\n");
    for (int i = 0; i < qkt_model_count(); i++) {
        const qkt_model_info_t *in = qkt_model_info_at(i);
        fprintf(f, "\n%s - %s (%s)\n", in->name, in->summary, in->reference);
        if (strcmp(in->name, "wannier") == 0) {
            init_global_keys();
            print_keys(f, g_keys + 1, NGLOBAL - 1);
            continue;
        }
        qkt_key_t k[QKT_MAX_PARAMS];
        char names[QKT_MAX_PARAMS][96], defs[QKT_MAX_PARAMS][96];
        int n = in->nparams < QKT_MAX_PARAMS ? in->nparams : QKT_MAX_PARAMS;
        for (int p = 0; p < n; p++) {
            snprintf(names[p], sizeof names[p], "model.%s", in->params[p].name);
            fmt_vec(defs[p], sizeof defs[p], in->params[p].def, in->params[p].ncomp);
            k[p] = (qkt_key_t){names[p], defs[p], in->params[p].unit, in->params[p].doc};
        }
        if (n) print_keys(f, k, n);
    }
    fprintf(f, "\nUnits: continuum models use natural units (hbar = e = 1); wannier uses eV, Angstrom, S/m.\n");
}

static const qkt_command_t *find_command(const qkt_command_t *const *commands, const char *name)
{
    for (int i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

static int unknown_command(const qkt_command_t *const *commands, const char *name)
{
    const char *names[64];
    int n = 0;
    for (int i = 0; commands[i] && n < 62; i++) names[n++] = commands[i]->name;
    names[n++] = "help";
    const char *s = qkt_config_suggest(name, names, n);
    if (s)
        fprintf(stderr, "qkt: error: unknown command '%s'; did you mean '%s'? (see 'qkt --help')\n", name, s);
    else
        fprintf(stderr, "qkt: error: unknown command '%s' (see 'qkt --help')\n", name);
    return QKT_EXIT_INPUT;
}

/* ================================================================== known keys */
static int key_known(const char *const *known, int n, const char *k)
{
    for (int i = 0; i < n; i++)
        if (strcmp(known[i], k) == 0) return 1;
    return 0;
}

/* 1 if section (the part of a key before its '.', length ln) is that of a
 * key in the table */
static int table_has_section(const qkt_key_t *keys, const char *key, size_t ln)
{
    for (const qkt_key_t *t = keys; t && t->name; t++)
        if (strncmp(t->name, key, ln) == 0 && t->name[ln] == '.') return 1;
    return 0;
}

/* Keys that the unknown-key check passes over: those of a section named by
 * --ignore-section, and those of a section that only other commands read
 * and keys that another command reads (one run file with [run], [sigma],
 * [scan], [info] serves every command; other keys of a section the command
 * reads itself are still errors, so typos are found). */
static int section_skipped(const qkt_cli_t *cli, const char *k)
{
    size_t ln = strcspn(k, ".");
    if (!k[ln]) return 0;
    for (int i = 0; i < cli->nignore; i++)
        if (strncmp(k, cli->ignore_section[i], ln + 1) == 0 && cli->ignore_section[i][ln + 1] == '\0') return 1;
    if (!strncmp(k, "model.", 6)) return 0;
    int own = table_has_section(cli->cmd->keys, k, ln);
    for (int i = 0; cli->commands && cli->commands[i]; i++) {
        const qkt_key_t *t = cli->commands[i]->keys;
        if (cli->commands[i] == cli->cmd || !t) continue;
        if (!own && table_has_section(t, k, ln)) return 1;
        for (; t->name; t++) /* run.mu in a file that scan reads: sigma's key */
            if (!strcmp(t->name, k)) return 1;
    }
    return 0;
}

/* Validate model.name and reject unknown keys (known = the command's keys,
 * the [model] keys and the chosen model's parameters). */
static qkt_status_t check_keys(qkt_cli_t *cli)
{
    const char *name = qkt_config_get(cli->cfg, "model.name");
    if (!name) name = DEFAULT_MODEL;
    const qkt_model_info_t *info = qkt_model_lookup(name);
    if (!info) {
        const char *names[64];
        char list[1024];
        size_t o = 0;
        int n = 0;
        list[0] = '\0';
        for (int i = 0; i < qkt_model_count() && n < 64; i++) {
            names[n++] = qkt_model_info_at(i)->name;
            if (o < sizeof list)
                o += snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", qkt_model_info_at(i)->name);
        }
        const char *s = qkt_config_suggest(name, names, n);
        char sug[160] = "";
        if (s) snprintf(sug, sizeof sug, "; did you mean '%s'?", s);
        return qkt_error(QKT_EINVAL, "unknown model '%s' (%s)%s (models: %s)", name,
                         qkt_config_origin(cli->cfg, "model.name"), sug, list);
    }
    int wannier = strcmp(info->name, "wannier") == 0;
    int cap = 8 + NGLOBAL + info->nparams;
    if (cli->cmd->keys)
        for (const qkt_key_t *k = cli->cmd->keys; k->name; k++) cap++;
    const char **known = malloc((size_t)cap * sizeof *known);
    char (*pk)[128] = malloc((size_t)(info->nparams + 1) * sizeof *pk);
    if (!known || !pk) {
        free(known);
        free(pk);
        return qkt_error(QKT_ENOMEM, "out of memory");
    }
    int n = 0;
    if (cli->cmd->keys)
        for (const qkt_key_t *k = cli->cmd->keys; k->name; k++) known[n++] = k->name;
    init_global_keys();
    known[n++] = "model.name";
    int nmodel0 = n;
    if (wannier)
        for (int i = 1; i < NGLOBAL; i++) known[n++] = g_keys[i].name;
    for (int i = 0; !wannier && i < info->nparams; i++) {
        snprintf(pk[i], sizeof pk[i], "model.%s", info->params[i].name);
        known[n++] = pk[i];
    }
    qkt_status_t st = QKT_OK;
    for (int i = 0; i < qkt_config_count(cli->cfg) && !st; i++) {
        const char *k = qkt_config_key_at(cli->cfg, i);
        if (key_known(known, n, k)) continue;
        if (section_skipped(cli, k)) continue;
        if (cli->cmd->pass_keys && cli->cmd->keys && cli->cmd->keys[0].name) {
            /* only the command's own section (that of its first key) is checked here */
            const char *own = cli->cmd->keys[0].name;
            size_t ln = strcspn(own, ".");
            if (strncmp(k, own, ln) != 0 || k[ln] != '.') continue;
        }
        const char *origin = qkt_config_origin(cli->cfg, k);
        if (strncmp(k, "model.", 6) != 0) {
            /* name this key, not the first unknown one of a skipped section */
            const char *s = qkt_config_suggest(k, known, n);
            if (s) st = qkt_error(QKT_EINVAL, "unknown key '%s' (%s); did you mean '%s'?", k, origin, s);
            else st = qkt_error(QKT_EINVAL, "unknown key '%s' (%s)", k, origin);
            break;
        }
        /* a key of the [model] section: say what the chosen model takes */
        const char *s = qkt_config_suggest(k, known, n);
        char sug[200] = "", takes[1024];
        if (s) snprintf(sug, sizeof sug, "; did you mean '%s'?", s);
        size_t o = 0;
        takes[0] = '\0';
        for (int j = nmodel0; j < n && o < sizeof takes; j++)
            o += snprintf(takes + o, sizeof takes - o, "%s%s", j > nmodel0 ? ", " : "", known[j] + 6);
        if (!wannier && is_wannier_key(k))
            st = qkt_error(QKT_EINVAL, "unknown key '%s' (%s): only model wannier reads it; model %s takes %s",
                           k, origin, info->name, n > nmodel0 ? takes : "no parameters");
        else
            st = qkt_error(QKT_EINVAL, "unknown key '%s' (%s)%s (model %s takes: %s)", k, origin, sug,
                           info->name, n > nmodel0 ? takes : "no parameters");
    }
    free(known);
    free(pk);
    return st;
}

/* ================================================================== output file */
/* A document is written as parts: texts, and the streamed part of the JSON
 * document spooled in a file (read from its start). */
typedef struct {
    const char *text; /* NULL: the part is file */
    FILE *file;
} part_t;

static qkt_status_t write_all(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, text, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return QKT_EIO;
        }
        text += w;
        len -= (size_t)w;
    }
    return QKT_OK;
}

/* Copy the spool file from its start to fd; errno tells a failure. */
static qkt_status_t copy_file(int fd, FILE *f)
{
    char buf[65536];
    size_t n;
    errno = 0;
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) return QKT_EIO;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (write_all(fd, buf, n)) return QKT_EIO;
    if (ferror(f)) {
        if (!errno) errno = EIO;
        return QKT_EIO;
    }
    return QKT_OK;
}

static qkt_status_t write_parts(int fd, const part_t *parts, int n)
{
    for (int i = 0; i < n; i++) {
        qkt_status_t s = parts[i].text ? write_all(fd, parts[i].text, strlen(parts[i].text))
                         : parts[i].file ? copy_file(fd, parts[i].file)
                                         : QKT_OK;
        if (s) return s;
    }
    return QKT_OK;
}

static int silent_rank = 0;

void qkt_cli_silent_rank(void)
{
    silent_rank = 1;
}

/* Write the parts to path through the library's output file (a regular file
 * replaced atomically from a temporary file of its own, a device or FIFO
 * written in place; include/qkt.h, qkt_outfile_open). */
static qkt_status_t write_atomic_parts(const char *path, const part_t *parts, int n)
{
    qkt_outfile_t o;
    qkt_status_t s = qkt_outfile_open(&o, path);
    if (s) return s;
    errno = 0;
    if (write_parts(o.fd, parts, n)) o.failed = errno ? errno : EIO;
    return qkt_outfile_commit(&o);
}

qkt_status_t qkt_write_atomic(const char *path, const char *text, const char *tail)
{
    part_t parts[2] = {{text, NULL}, {tail ? tail : "", NULL}};
    return write_atomic_parts(path, parts, 2);
}

/* ================================================================== main */
/* --ignore-section=S1,S2: add each section name ("S." is stored) */
static int add_ignored(qkt_cli_t *cli, const char *list)
{
    for (const char *c = list; *c;) {
        size_t n = strcspn(c, ",");
        if (n == 0 || n > sizeof cli->ignore_section[0] - 2 || cli->nignore >= 16) {
            qkt_error(QKT_EINVAL, "--ignore-section: expected section names S1,S2,... (at most 16, each under 62 "
                                  "characters), got '%s'", list);
            return 1;
        }
        snprintf(cli->ignore_section[cli->nignore++], sizeof cli->ignore_section[0], "%.*s.", (int)n, c);
        c += n + (c[n] == ',');
    }
    return 0;
}

static int parse_options(qkt_cli_t *cli, int argc, char **argv, int *help)
{
    int only_pos = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && a[0] == '-' && a[1]) {
            if (strcmp(a, "--") == 0) {
                only_pos = 1;
            } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                *help = 1;
            } else if (strcmp(a, "--json") == 0) {
                cli->json = 1;
            } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
                cli->quiet = 1;
            } else if (strcmp(a, "--progress") == 0 || strncmp(a, "--progress=", 11) == 0) {
                char *end = NULL;
                cli->progress_every = a[10] == '=' ? strtod(a + 11, &end) : 10;
                if ((end && (*end || end == a + 11)) || !(cli->progress_every >= 1 && cli->progress_every <= 86400)) {
                    qkt_error(QKT_EINVAL, "--progress=S: seconds between progress lines, 1 to 86400, got '%s'", a + 11);
                    return 1;
                }
            } else if (strcmp(a, "--set") == 0 || strcmp(a, "-s") == 0 || strncmp(a, "--set=", 6) == 0) {
                const char *v = a[2] == 's' && a[5] == '=' ? a + 6 : NULL;
                if (!v) {
                    if (i + 1 >= argc) {
                        qkt_error(QKT_EINVAL, "%s needs an argument KEY=VALUE", a);
                        return 1;
                    }
                    v = argv[++i];
                }
                if (cli->nset >= QKT_CLI_MAXSET) {
                    qkt_error(QKT_EINVAL, "too many --set options (at most %d)", QKT_CLI_MAXSET);
                    return 1;
                }
                cli->sets[cli->nset++] = v;
            } else if (strcmp(a, "--vary") == 0 || strncmp(a, "--vary=", 7) == 0) {
                /* --vary KEY=FROM:TO:N is --set sweep.vary=KEY=FROM:TO:N */
                const char *v = a[6] == '=' ? a + 7 : NULL;
                if (!v) {
                    if (i + 1 >= argc) {
                        qkt_error(QKT_EINVAL, "%s needs an argument KEY=FROM:TO:N", a);
                        return 1;
                    }
                    v = argv[++i];
                }
                if (cli->nset >= QKT_CLI_MAXSET || strlen(v) > sizeof cli->vary - 16) {
                    qkt_error(QKT_EINVAL, "--vary: too long or too many options");
                    return 1;
                }
                snprintf(cli->vary, sizeof cli->vary, "sweep.vary=%s", v);
                cli->sets[cli->nset++] = cli->vary;
            } else if (strncmp(a, "--ignore-section=", 17) == 0) {
                /* keys of these sections are not checked (sweep and run use it for
                 * their own section); S1,S2 and repeated options add up */
                if (add_ignored(cli, a + 17)) return 1;
            } else if (strcmp(a, "--output") == 0 || strcmp(a, "-o") == 0 || strncmp(a, "--output=", 9) == 0) {
                const char *v = strncmp(a, "--output=", 9) == 0 ? a + 9 : NULL;
                if (!v) {
                    if (i + 1 >= argc) {
                        qkt_error(QKT_EINVAL, "%s needs an argument PATH", a);
                        return 1;
                    }
                    v = argv[++i];
                }
                if (!*v) {
                    qkt_error(QKT_EINVAL, "--output needs a non-empty PATH");
                    return 1;
                }
                cli->output = v;
            } else {
                char opt[128];
                snprintf(opt, sizeof opt, "%.*s", (int)strcspn(a, "="), a);
                const char *s = qkt_config_suggest(opt, option_names, 8);
                if (s)
                    qkt_error(QKT_EINVAL, "unknown option '%s'; did you mean '%s'?", a, s);
                else
                    qkt_error(QKT_EINVAL, "unknown option '%s' (see 'qkt %s --help')", a, argv[1]);
                return 1;
            }
        } else if (!cli->runfile) {
            cli->runfile = a;
        } else {
            qkt_error(QKT_EINVAL, "unexpected argument '%s' (one run file only; it is '%s')", a, cli->runfile);
            return 1;
        }
    }
    return 0;
}

/* The streamed array's place in the document: a raw byte that no printed
 * JSON text holds elsewhere (cJSON escapes control characters in strings). */
#define STREAM_MARK "\x01"

/* The document as parts: its text around the streamed array, whose elements
 * come from the spool.  *text: the printed document (free it). */
static qkt_status_t document_parts(qkt_cli_t *cli, part_t parts[5], int *n, char **text)
{
    if (cli->spool_err)
        return qkt_error(QKT_EIO, "cannot write the temporary file of the JSON document in '%s': %s",
                         getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(cli->spool_err));
    if (cli->stream) {
        cJSON *mark = cJSON_CreateRaw(STREAM_MARK);
        if (!mark) return qkt_error(QKT_ENOMEM, "out of memory printing the JSON document");
        if (cJSON_IsObject(cli->stream_parent))
            cJSON_ReplaceItemInObjectCaseSensitive(cli->stream_parent, cli->stream->string, mark);
        else
            cJSON_ReplaceItemViaPointer(cli->stream_parent, cli->stream, mark);
        cli->stream = NULL;
    }
    *text = cJSON_Print(cli->doc);
    if (!*text) return qkt_error(QKT_ENOMEM, "out of memory printing the JSON document");
    char *at = strstr(*text, STREAM_MARK);
    if (at) {
        *at = '\0';
        parts[0] = (part_t){*text, NULL};
        parts[1] = (part_t){"[", NULL};
        parts[2] = (part_t){NULL, cli->spool};
        parts[3] = (part_t){"]", NULL};
        parts[4] = (part_t){at + 1, NULL};
        *n = 5;
    } else {
        parts[0] = (part_t){*text, NULL};
        *n = 1;
    }
    return QKT_OK;
}

/* The end of a run: on exit 0, 7 or 9 the JSON document is written to the
 * --output file first and then printed (--json), so that a failure to write
 * the file prints no document; on other exits neither happens. */
static int finish(qkt_cli_t *cli, int code)
{
    qkt_cli_progress_end(cli);
    if (code != QKT_EXIT_OK) return code;
    if (cli->noconv) code = cli->timeout ? QKT_EXIT_TIMEOUT : QKT_EXIT_NOCONV;
    add_input_units(cli);
    cJSON_AddStringToObject(cli->doc, "status",
                            cli->timeout ? "time limit reached" : cli->noconv ? "not converged" : "ok");
    if (cli->nomem) return qkt_cli_failf(cli, QKT_ENOMEM, "out of memory building the JSON document");
    if (doc_wanted(cli)) {
        part_t parts[6];
        int n = 0;
        char *text = NULL;
        qkt_status_t s = document_parts(cli, parts, &n, &text);
        parts[n++] = (part_t){"\n", NULL};
        /* MPI ranks other than 0 write no file */
        if (!s && cli->output && !silent_rank) s = write_atomic_parts(cli->output, parts, n);
        errno = 0;
        if (!s && cli->json && (fflush(stdout) != 0 || write_parts(STDOUT_FILENO, parts, n)))
            s = qkt_error(QKT_EIO, "cannot write to standard output: %s", strerror(errno ? errno : EIO));
        free(text);
        if (s) return qkt_cli_fail(cli, s);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        return qkt_cli_failf(cli, QKT_EIO, "cannot write to standard output: %s", strerror(errno));
    return code;
}

/* 'qkt help [TOPIC]': the usage, the models, or one command's help */
static int help_topic(int argc, char **argv, const qkt_command_t *const *commands)
{
    if (argc < 3) {
        print_usage(stdout, commands);
        return QKT_EXIT_OK;
    }
    if (argc > 3) {
        fprintf(stderr, "qkt: error: 'qkt help' takes one topic, got %d\n", argc - 2);
        return QKT_EXIT_INPUT;
    }
    if (strcmp(argv[2], "models") == 0) {
        print_models(stdout);
        return QKT_EXIT_OK;
    }
    const qkt_command_t *c = find_command(commands, argv[2]);
    if (!c) return unknown_command(commands, argv[2]);
    print_command_help(stdout, c);
    return QKT_EXIT_OK;
}

/* the first argument when it is not a command: --version, --help, help, an
 * unknown option; returns 1 and sets *code if it was one of these */
static int program_option(int argc, char **argv, const qkt_command_t *const *commands, void (*version)(FILE *out),
                          int *code)
{
    const char *a1 = argv[1];
    if (strcmp(a1, "--version") == 0 || strcmp(a1, "-V") == 0) {
        version(stdout);
        *code = QKT_EXIT_OK;
    } else if (strcmp(a1, "--help") == 0 || strcmp(a1, "-h") == 0) {
        print_usage(stdout, commands);
        *code = QKT_EXIT_OK;
    } else if (strcmp(a1, "help") == 0) {
        *code = help_topic(argc, argv, commands);
    } else if (a1[0] == '-') {
        const char *s = qkt_config_suggest(a1, option_names, 6);
        fprintf(stderr, "qkt: error: unknown option '%s'%s%s%s; usage: qkt COMMAND [RUNFILE] [options] (see 'qkt --help')\n",
                a1, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
        *code = QKT_EXIT_INPUT;
    } else {
        return 0;
    }
    return 1;
}

/* the run file, then the --set values over it, then the keys checked against the command's */
static qkt_status_t load_config(qkt_cli_t *cli)
{
    qkt_status_t s;
    if (cli->runfile && (s = qkt_config_read(cli->cfg, cli->runfile))) return s;
    for (int i = 0; i < cli->nset; i++)
        if ((s = qkt_config_set(cli->cfg, cli->sets[i]))) return s;
    return check_keys(cli);
}

/* the JSON document's header and the objects the command fills; 0 if out of memory */
static int open_document(qkt_cli_t *cli)
{
    cli->doc = cJSON_CreateObject();
    if (!cli->doc) return 0;
    cJSON_AddStringToObject(cli->doc, "program", "qkt");
    cJSON_AddStringToObject(cli->doc, "version", QKT_VERSION_STRING);
    cJSON_AddStringToObject(cli->doc, "command", cli->cmd->name);
    if (cli->runfile)
        cJSON_AddStringToObject(cli->doc, "runfile", cli->runfile);
    else
        cJSON_AddNullToObject(cli->doc, "runfile");
    cJSON_AddNullToObject(cli->doc, "unit_system");
    cJSON_AddNullToObject(cli->doc, "model");
    cli->inputs = cJSON_AddObjectToObject(cli->doc, "inputs");
    cli->origins = cJSON_AddObjectToObject(cli->doc, "input_origins");
    cli->stack[0] = cJSON_AddObjectToObject(cli->doc, "results");
    cli->warnings = cJSON_AddArrayToObject(cli->doc, "warnings");
    return cli->inputs && cli->origins && cli->stack[0] && cli->warnings;
}

int qkt_cli_main(int argc, char **argv, const qkt_command_t *const *commands, void (*version)(FILE *out))
{
    if (argc < 2) {
        print_usage(stderr, commands);
        return QKT_EXIT_INPUT;
    }
    int code = QKT_EXIT_OK;
    if (program_option(argc, argv, commands, version, &code)) return code;
    const qkt_command_t *cmd = find_command(commands, argv[1]);
    if (!cmd) return unknown_command(commands, argv[1]);

    qkt_cli_t cli;
    memset(&cli, 0, sizeof cli);
    cli.cmd = cmd;
    cli.commands = commands;
    cli.tty = isatty(STDERR_FILENO);
    cli.t_start = now_s();
    int help = 0;
    if (parse_options(&cli, argc, argv, &help)) return qkt_cli_fail(&cli, QKT_EINVAL);
    if (help) {
        if (cli.json) return print_command_keys_json(stdout, cmd);
        print_command_help(stdout, cmd);
        return QKT_EXIT_OK;
    }
    qkt_status_t s;
    cli.cfg = qkt_config_alloc();
    if (!cli.cfg) return qkt_cli_fail(&cli, QKT_ENOMEM);
    if ((s = load_config(&cli)) || (cli.output && !silent_rank && (s = qkt_outfile_check(cli.output)))) {
        code = qkt_cli_fail(&cli, s);
    } else if (!open_document(&cli)) {
        code = qkt_cli_failf(&cli, QKT_ENOMEM, "out of memory");
    } else {
        qkt_clear_error();
        code = cmd->run(&cli);
        code = finish(&cli, code);
    }
    qkt_cli_progress_end(&cli);
    if (cli.spool) fclose(cli.spool);
    cJSON_Delete(cli.doc);
    qkt_model_free(cli.model);
    qkt_config_free(cli.cfg);
    return code;
}

/* cmd_run.c - `qkt run`: the main job.  For the run file's model: the
 * anomalous Hall conductivity (sigma^(0), Eq. 81) with its intrinsic and
 * extrinsic parts, the chiral magnetic current (Eq. 95), and the seed's
 * Fig. 3 (C of Eq. 111 against k0, from main.fig3) as a table and a plot.
 * Each part is a child run of the corresponding command. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "child.h"

static const qkt_key_t keys[] = {
    {"main.fig3", "examples/fig3.ini", "path", "run file of the Fig. 3 sweep (empty value: skip)"},
    {"main.fig3_points", "13", "1", "points of the Fig. 3 curve (k0 from 0 to 0.3)"},
    {"main.fig3_reltol", "1e-2", "1", "relative accuracy of each Fig. 3 point"},
    {"main.output", "out/fig3", "path", "prefix of the Fig. 3 table and plot"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "The main job: for the model of the run file, the anomalous Hall conductivity\n"
    "sigma_xy (Drude, intrinsic and extrinsic parts), the chiral magnetic current j(B)\n"
    "with its S_B and xi_B parts, and the seed's Fig. 3 (C against the node separation\n"
    "k0 for weyl2, from the run file main.fig3) written as a table and a plot.  It runs\n"
    "'qkt sigma', 'qkt cme' and 'qkt sweep' and summarizes them; see their help for the\n"
    "keys ([run], [numerics] and [model] are passed on).\n";

static const cJSON *child_results(qkt_cli_t *cli, char **argv, cJSON **doc, int *rc)
{
    char *out = NULL;
    size_t len = 0;
    *rc = qkt_run_child(argv, &out, &len);
    *doc = out ? cJSON_Parse(out) : NULL;
    free(out);
    if (*rc == QKT_EXIT_NOCONV) qkt_cli_not_converged(cli, "'qkt %s' did not reach its accuracy", argv[1]);
    if (*rc == QKT_EXIT_TIMEOUT) qkt_cli_time_limit(cli, "'qkt %s' reached numerics.time_limit", argv[1]);
    if (*rc != 0 && *rc != QKT_EXIT_NOCONV && *rc != QKT_EXIT_TIMEOUT) return NULL;
    return *doc ? cJSON_GetObjectItemCaseSensitive(*doc, "results") : NULL;
}

static double num(const cJSON *res, const char *path)
{
    const cJSON *v = qkt_json_path(res, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* the command line of the child runs: the run file and the --set values
 * outside [main]; returns the number of arguments (argv[na] = NULL) */
static int child_argv(qkt_cli_t *cli, char **argv)
{
    int na = 0;
    argv[na++] = "qkt";
    argv[na++] = "sigma";
    if (cli->runfile) argv[na++] = (char *)cli->runfile;
    argv[na++] = "--json";
    argv[na++] = "--quiet";
    argv[na++] = "--ignore-section=main";
    for (int i = 0; i < cli->nset; i++) {
        if (!strncmp(cli->sets[i], "main.", 5)) continue;
        argv[na++] = "--set";
        argv[na++] = (char *)cli->sets[i];
    }
    argv[na++] = "--set";
    argv[na++] = "sigma.order=0";
    argv[na] = NULL;
    return na;
}

/* the exit code after a failed child run */
static int child_failed(cJSON *doc, int rc)
{
    cJSON_Delete(doc);
    return rc > 0 ? rc : QKT_EXIT_INTERNAL;
}

/* anomalous Hall conductivity: 'qkt sigma' at order 0 */
static int anomalous_hall(qkt_cli_t *cli, char **argv)
{
    int rc;
    cJSON *doc = NULL;
    qkt_cli_progress(cli, "anomalous Hall", 0, 3);
    const cJSON *res = child_results(cli, argv, &doc, &rc);
    if (!res) {
        qkt_cli_progress_end(cli);
        fprintf(stderr, "qkt: error: 'qkt sigma' failed (exit %d); run it on the same run file to see why\n", rc);
        return child_failed(doc, rc);
    }
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(res, "units");
    qkt_out_string(cli, "units", cJSON_IsString(u) ? u->valuestring : "");
    qkt_out_push(cli, "anomalous_hall", "anomalous Hall conductivity sigma_xy (Eq. 81)");
    double v = num(res, "sigma0.xy"), e = num(res, "sigma0.xy_err");
    qkt_out_scalar(cli, "sigma_xy", v, &e, "e^2/hbar");
    v = num(res, "sigma0_parts.intrinsic_SE.xy");
    e = num(res, "sigma0_parts.intrinsic_SE.xy_err");
    qkt_out_scalar(cli, "intrinsic", v, &e, "e^2/hbar");
    if (qkt_json_path(res, "sigma0_parts.extrinsic_SJ")) {
        v = num(res, "sigma0_parts.extrinsic_SJ.xy");
        e = num(res, "sigma0_parts.extrinsic_SJ.xy_err");
        qkt_out_scalar(cli, "extrinsic", v, &e, "e^2/hbar");
    }
    v = num(res, "sigma0_parts.drude_nE.xy");
    e = num(res, "sigma0_parts.drude_nE.xy_err");
    qkt_out_scalar(cli, "drude", v, &e, "e^2/hbar");
    qkt_out_pop(cli);
    cJSON_Delete(doc);
    return 0;
}

/* chiral magnetic current and its S_B, D_B (the default expansion's
 * diagonal part) and xi_B (the seed's) parts: 'qkt cme' */
static int chiral_magnetic(qkt_cli_t *cli, char **argv)
{
    int rc;
    cJSON *doc = NULL;
    qkt_cli_progress(cli, "chiral magnetic effect", 1, 3);
    const cJSON *res = child_results(cli, argv, &doc, &rc);
    if (!res) {
        qkt_cli_progress_end(cli);
        fprintf(stderr, "qkt: error: 'qkt cme' failed (exit %d); run it on the same run file to see why\n", rc);
        return child_failed(doc, rc);
    }
    qkt_out_push(cli, "chiral_magnetic", "chiral magnetic current along B (Eq. 95)");
    const char *names[4] = {"j", "j_S", "j_D", "j_xi"};
    for (int i = 0; i < 4; i++) {
        const cJSON *a = qkt_json_path(res, names[i]);
        char en[16];
        snprintf(en, sizeof en, "%s_err", names[i]);
        const cJSON *ae = qkt_json_path(res, en);
        double vv[3], ee[3];
        for (int c = 0; c < 3; c++) {
            const cJSON *x = cJSON_GetArrayItem(a, c), *y = cJSON_GetArrayItem(ae, c);
            vv[c] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
            ee[c] = cJSON_IsNumber(y) ? y->valuedouble : NAN;
        }
        qkt_out_vector(cli, names[i], 3, vv, ee, "e^2/hbar^2 x field x energy");
    }
    qkt_out_pop(cli);
    cJSON_Delete(doc);
    return 0;
}

/* the seed's Fig. 3: 'qkt sweep' of the run file fig3 over k0 (model.b) */
static int fig3_sweep(qkt_cli_t *cli, const char *fig3, long npts, double rtol, const char *prefix)
{
    int rc;
    cJSON *doc = NULL;
    char setv[64], seto[1100], setr[64];
    snprintf(setv, sizeof setv, "sweep.vary=model.b=0:0.3:%ld", npts);
    snprintf(seto, sizeof seto, "sweep.output=%s", prefix);
    snprintf(setr, sizeof setr, "numerics.reltol=%g", rtol);
    char *a2[] = {"qkt", "sweep", (char *)fig3, "--json", "--quiet", "--set", setv, "--set", seto, "--set", setr, NULL};
    qkt_cli_progress(cli, "Fig. 3", 2, 3);
    const cJSON *res = child_results(cli, a2, &doc, &rc);
    qkt_cli_progress_end(cli);
    if (!res) {
        fprintf(stderr, "qkt: error: 'qkt sweep %s' failed (exit %d)\n", fig3, rc);
        return child_failed(doc, rc);
    }
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(res, "rows");
    static const char *cols[] = {"k0", "C", "C_err", "C_S", "C_xi", "C_valley"};
    /* the sweep's rows are keyed by the full field paths of fig3's sweep.fields */
    static const char *path[] = {"weyl.k0", "weyl.C", "weyl.C_err", "weyl.C_S", "weyl.C_xi", "weyl.C_valley"};
    qkt_out_table_begin(cli, "fig3", 6, cols, NULL);
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        double vals[6];
        for (int c = 0; c < 6; c++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, path[c]); /* a key with dots, not a path */
            vals[c] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        }
        qkt_out_table_row(cli, vals);
    }
    qkt_out_table_end(cli);
    const cJSON *pp = cJSON_GetObjectItemCaseSensitive(res, "plot_png");
    const cJSON *tt = cJSON_GetObjectItemCaseSensitive(res, "table");
    if (cJSON_IsString(tt)) qkt_out_string(cli, "fig3_table", tt->valuestring);
    if (cJSON_IsString(pp)) qkt_out_string(cli, "fig3_plot", pp->valuestring);
    cJSON_Delete(doc);
    return 0;
}

static int run(qkt_cli_t *cli)
{
    qkt_status_t s;
    const char *fig3, *prefix;
    long npts;
    double rtol;
    if ((s = qkt_cli_string(cli, "main.fig3", &fig3)) || (s = qkt_cli_int(cli, "main.fig3_points", &npts)) ||
        (s = qkt_cli_double(cli, "main.fig3_reltol", &rtol)) || (s = qkt_cli_string(cli, "main.output", &prefix)))
        return qkt_cli_fail(cli, s);
    if (npts < 2 || npts > 1000)
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be in [2, 1000]", qkt_cli_where(cli, "main.fig3_points"));
    if (!(rtol > 0 && rtol < 1))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: must be in (0, 1)", qkt_cli_where(cli, "main.fig3_reltol"));
    char *argv[QKT_CLI_MAXSET * 2 + 16];
    int na = child_argv(cli, argv);
    int code = anomalous_hall(cli, argv);
    if (code) return code;
    argv[1] = "cme";
    argv[na - 2] = NULL; /* drop --set sigma.order */
    if ((code = chiral_magnetic(cli, argv))) return code;

    char fig3path[2048];
    if (fig3[0] && fig3[0] != '/' && cli->runfile && strchr(cli->runfile, '/') &&
        strcmp(qkt_cli_where(cli, "main.fig3"), "main.fig3 (default)") != 0 && access(fig3, R_OK) != 0) {
        /* a path written in a run file is relative to that file's folder */
        snprintf(fig3path, sizeof fig3path, "%.*s/%s", (int)(strrchr(cli->runfile, '/') - cli->runfile), cli->runfile,
                 fig3);
        fig3 = fig3path;
    }
    if (fig3[0]) return fig3_sweep(cli, fig3, npts, rtol, prefix);
    return 0;
}

const qkt_command_t qkt_cmd_run = {"run", "the main job: anomalous Hall, chiral magnetic effect, Fig. 3", help, keys,
                                   run, 1};

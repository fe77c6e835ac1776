/* cmd_sweep.c - `qkt sweep`: run one command over a range of one run-file
 * parameter (sweep.vary = KEY=FROM:TO:N, or --vary), collect chosen result
 * fields into a table (TSV), JSON rows and a plot (PNG and SVG by gnuplot).
 * Every point is a child run of this program (same run file and --set
 * options), so a sweep gives exactly the numbers of the single runs. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"

static const qkt_key_t keys[] = {
    {"sweep.command", "mc", "-", "command run at every point (sigma, mc, cme, streda, pump)"},
    {"sweep.vary", NULL, "-",
     "KEY=FROM:TO:N: the key varied over N equal steps; KEY@xy=FROM:TO:N turns a vector key in the xy plane "
     "(angle in degrees)"},
    {"sweep.fields", "", "-", "result fields to tabulate, e.g. 'weyl.k0 weyl.C' (default: all scalars)"},
    {"sweep.x", "", "-", "field used as the plot's x axis (default: the varied key)"},
    {"sweep.output", "out/sweep", "path", "prefix of the files written: PREFIX.tsv, PREFIX.png, PREFIX.svg"},
    {"sweep.plot", "true", "bool", "draw the plot with gnuplot"},
    {"sweep.title", "", "-", "plot title"},
    {"sweep.ylabel", "value (units in the JSON output)", "-", "plot y-axis label"},
    {NULL, NULL, NULL, NULL},
};

static const char help[] =
    "Runs sweep.command at N values of one key (sweep.vary = KEY=FROM:TO:N, or the\n"
    "option --vary KEY=FROM:TO:N) and tabulates result fields (JSON paths under\n"
    "'results', e.g. weyl.C or sigma2.zz) with their error estimates.  Writes\n"
    "PREFIX.tsv, and with gnuplot PREFIX.png and PREFIX.svg (files are written to a\n"
    "temporary name and renamed, so an interrupted sweep leaves no partial file).\n"
    "With --json the rows are printed as JSON objects.  Every point is an ordinary\n"
    "run of the command with the same run file and --set options.\n"
    "\n"
    "Example (the seed's Fig. 3):\n"
    "  [model]\n  name = weyl2\n  [run]\n  mu = 0.1\n  T = 0.005\n  [mc]\n  E = 0 0 1\n"
    "  [sweep]\n  command = mc\n  vary = model.b=0:0.3:31\n  fields = weyl.k0 weyl.C weyl.C_S weyl.C_xi weyl.C_valley\n";

#define MAXF 32

/* a text for a single-quoted gnuplot string (' doubled) */
static const char *gq(const char *in, char *buf, size_t n)
{
    size_t o = 0;
    for (; *in && o + 3 < n; in++) {
        if (*in == '\'') buf[o++] = '\'';
        buf[o++] = *in;
    }
    buf[o] = '\0';
    return buf;
}

static int run(qkt_cli_t *cli)
{
    qkt_status_t s;
    const char *command, *vary, *fields = "", *xfield = "", *prefix, *title = "", *ylabel = "";
    int plot = 1;
    if ((s = qkt_cli_string(cli, "sweep.command", &command)) || (s = qkt_cli_string(cli, "sweep.vary", &vary)) ||
        (s = qkt_cli_string(cli, "sweep.fields", &fields)) || (s = qkt_cli_string(cli, "sweep.x", &xfield)) ||
        (s = qkt_cli_string(cli, "sweep.output", &prefix)) || (s = qkt_cli_bool(cli, "sweep.plot", &plot)) ||
        (s = qkt_cli_string(cli, "sweep.title", &title)) || (s = qkt_cli_string(cli, "sweep.ylabel", &ylabel)))
        return qkt_cli_fail(cli, s);
    static const char *allowed[] = {"sigma", "mc", "cme", "streda", "pump"};
    int ok = 0;
    for (int i = 0; i < 5; i++) ok |= !strcmp(command, allowed[i]);
    if (!ok)
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: '%s' cannot be swept (sigma, mc, cme, streda, pump)",
                             qkt_cli_where(cli, "sweep.command"), command);
    char key[128];
    double from, to;
    long n;
    const char *eq = strchr(vary, '=');
    char tail[256];
    if (!eq || eq - vary >= (long)sizeof key || sscanf(eq + 1, "%lf:%lf:%ld%255s", &from, &to, &n, tail) != 3 ||
        n < 1 || n > 100000 || !isfinite(from) || !isfinite(to))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: expected KEY=FROM:TO:N (N >= 1), got '%s'",
                             qkt_cli_where(cli, "sweep.vary"), vary);
    snprintf(key, sizeof key, "%.*s", (int)(eq - vary), vary);
    /* KEY@xy / @yz / @zx: vary the direction of a vector key by an angle */
    char vkey[128] = "", plane[3] = "";
    char *at = strchr(key, '@');
    if (at) {
        if (strlen(at + 1) != 2 || at[1] < 'x' || at[1] > 'z' || at[2] < 'x' || at[2] > 'z' || at[1] == at[2])
            return qkt_cli_failf(cli, QKT_EINVAL, "%s: after '@' give a plane xy, yz or zx, got '%s'",
                                 qkt_cli_where(cli, "sweep.vary"), at + 1);
        snprintf(plane, sizeof plane, "%s", at + 1);
        snprintf(vkey, sizeof vkey, "%.*s", (int)(at - key), key);
    }
    if (!strncmp(key, "sweep.", 6))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: cannot vary a sweep key", qkt_cli_where(cli, "sweep.vary"));
    /* field list */
    char fbuf[1024], *fld[MAXF];
    int nf = 0;
    snprintf(fbuf, sizeof fbuf, "%s", fields);
    for (char *t = strtok(fbuf, " ,"); t && nf < MAXF; t = strtok(NULL, " ,")) fld[nf++] = t;
    /* child argv */
    char *argv[QKT_CLI_MAXSET * 2 + 16];
    char setbuf[1200];
    int na = 0;
    argv[na++] = "qkt";
    argv[na++] = (char *)command;
    if (cli->runfile) argv[na++] = (char *)cli->runfile;
    argv[na++] = "--json";
    argv[na++] = "--quiet";
    argv[na++] = "--ignore-section=sweep";
    for (int i = 0; i < cli->nset; i++) {
        if (!strncmp(cli->sets[i], "sweep.", 6)) continue;
        argv[na++] = "--set";
        argv[na++] = (char *)cli->sets[i];
    }
    argv[na++] = "--set";
    argv[na++] = setbuf;
    argv[na] = NULL;

    double *rows = NULL;
    int ncol = 0;
    char **colname = NULL;
    char tsv[1 << 16];
    size_t tl = 0;
    int status = 0;
    qkt_out_push_array(cli, "rows", "sweep");
    for (long i = 0; i < n; i++) {
        double x = n == 1 ? from : from + (to - from) * (double)i / (double)(n - 1);
        if (plane[0]) {
            /* KEY@PLANE: x is an angle in degrees, KEY the unit vector at that
             * angle in the plane (xy: (cos t, sin t, 0), yz, zx) */
            double v[3] = {0, 0, 0}, t = x * M_PI / 180;
            v[plane[0] - 'x'] = cos(t);
            v[plane[1] - 'x'] = sin(t);
            snprintf(setbuf, sizeof setbuf, "%s=%.17g %.17g %.17g", vkey, v[0], v[1], v[2]);
        } else {
            snprintf(setbuf, sizeof setbuf, "%s=%.17g", key, x);
        }
        qkt_cli_progress(cli, "sweep", i, n);
        char *out = NULL;
        size_t len = 0;
        int rc = qkt_run_child(argv, &out, &len);
        if (rc != 0 && rc != QKT_EXIT_NOCONV) {
            free(out);
            qkt_cli_progress_end(cli);
            qkt_out_pop(cli);
            status = rc > 0 ? rc : QKT_EXIT_INTERNAL;
            fprintf(stderr, "qkt: error: sweep point %s = %g failed (exit %d); run 'qkt %s' with --set %s to see why\n",
                    key, x, rc, command, setbuf);
            goto finish;
        }
        if (rc == QKT_EXIT_NOCONV) qkt_cli_not_converged(cli, "sweep point %s = %g did not converge", key, x);
        cJSON *doc = cJSON_Parse(out);
        free(out);
        const cJSON *res = doc ? cJSON_GetObjectItemCaseSensitive(doc, "results") : NULL;
        if (!res) {
            cJSON_Delete(doc);
            qkt_cli_progress_end(cli);
            qkt_out_pop(cli);
            return qkt_cli_failf(cli, QKT_ENUM, "sweep point %s = %g: no results in the child's output", key, x);
        }
        if (i == 0) {
            /* columns: the varied key, then each field and its error */
            if (!nf) {
                const cJSON *it;
                cJSON_ArrayForEach(it, res) {
                    if (cJSON_IsNumber(it) && nf < MAXF && !strstr(it->string, "_err")) fld[nf++] = it->string ? strdup(it->string) : NULL;
                }
            }
            colname = calloc(2 * nf + 1, sizeof *colname);
            if (!colname) {
                cJSON_Delete(doc);
                return qkt_cli_failf(cli, QKT_ENOMEM, "out of memory");
            }
            colname[ncol++] = strdup(key);
            for (int f = 0; f < nf; f++) {
                const char *last = strrchr(fld[f], '.');
                last = last ? last + 1 : fld[f];
                colname[ncol++] = strdup(last);
                char e[160];
                snprintf(e, sizeof e, "%s_err", last);
                colname[ncol++] = strdup(e);
            }
            rows = calloc((size_t)n * ncol, sizeof *rows);
            if (!rows) {
                cJSON_Delete(doc);
                return qkt_cli_failf(cli, QKT_ENOMEM, "out of memory");
            }
            tl += snprintf(tsv + tl, sizeof tsv - tl, "#");
            for (int c = 0; c < ncol; c++) tl += snprintf(tsv + tl, sizeof tsv - tl, "%s%s", c ? "\t" : " ", colname[c]);
            tl += snprintf(tsv + tl, sizeof tsv - tl, "\n");
        }
        double *row = rows + i * ncol;
        row[0] = x;
        for (int f = 0; f < nf; f++) {
            const cJSON *v = qkt_json_path(res, fld[f]);
            char ep[300];
            snprintf(ep, sizeof ep, "%s_err", fld[f]);
            const cJSON *e = qkt_json_path(res, ep);
            if (!cJSON_IsNumber(v) && i == 0)
                qkt_cli_warn(cli, "sweep field '%s' is not a number in the results of '%s' (column left NaN)", fld[f],
                             command);
            row[1 + 2 * f] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
            row[2 + 2 * f] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        }
        cJSON_Delete(doc);
        qkt_out_push(cli, NULL, "point");
        for (int c = 0; c < ncol; c++) {
            if (c > 0 && c % 2 == 0) continue;
            double *err = c > 0 && !isnan(row[c + 1]) ? &row[c + 1] : NULL;
            qkt_out_scalar(cli, colname[c], row[c], err, NULL);
        }
        qkt_out_pop(cli);
        for (int c = 0; c < ncol; c++)
            if (tl < sizeof tsv - 64) tl += snprintf(tsv + tl, sizeof tsv - tl, "%s%.10g", c ? "\t" : "", row[c]);
        tl += snprintf(tsv + tl, sizeof tsv - tl, "\n");
    }
    qkt_cli_progress_end(cli);
    qkt_out_pop(cli);
    {
        char path[1100];
        qkt_mkdirs_for(prefix);
        snprintf(path, sizeof path, "%s.tsv", prefix);
        qkt_status_t ws = qkt_write_atomic(path, tsv, NULL);
        if (ws) {
            status = qkt_cli_fail(cli, ws);
            goto finish;
        }
        qkt_out_string(cli, "table", path);
        if (plot && nf > 0) {
            int xc = 0;
            for (int f = 0; f < nf; f++)
                if (xfield[0] && !strcmp(fld[f], xfield)) xc = 1 + 2 * f;
            char script[8192], q1[300], q2[600], q3[600];
            size_t sl = 0;
            char png[1100], svg[1100];
            snprintf(png, sizeof png, "%s.png", prefix);
            snprintf(svg, sizeof svg, "%s.svg", prefix);
            for (int term = 0; term < 2; term++) {
                sl += snprintf(script + sl, sizeof script - sl,
                               "set terminal %s size 800,560 noenhanced\nset output '%s.tmp'\nset key left top\n"
                               "set grid\nset xlabel '%s'\nset ylabel '%s'\nset title '%s'\nplot ",
                               term ? "svg" : "pngcairo", term ? svg : png, gq(colname[xc], q1, sizeof q1),
                               gq(ylabel, q2, sizeof q2), gq(title[0] ? title : command, q3, sizeof q3));
                for (int f = 0; f < nf; f++) {
                    if (1 + 2 * f == xc) continue;
                    sl += snprintf(script + sl, sizeof script - sl, "%s'%s.tsv' using %d:%d:%d with yerrorlines title '%s'",
                                   sl && script[sl - 1] != ' ' ? ", " : "", prefix, xc + 1, 2 + 2 * f, 3 + 2 * f,
                                   colname[1 + 2 * f]);
                }
                sl += snprintf(script + sl, sizeof script - sl, "\nunset output\n");
            }
            char sp[1100];
            snprintf(sp, sizeof sp, "%s.gp", prefix);
            if (qkt_write_atomic(sp, script, NULL) == QKT_OK) {
                char cmd[2400];
                snprintf(cmd, sizeof cmd, "gnuplot '%s' 2>/dev/null", sp);
                int rc = system(cmd);
                char tp[1200], ts[1200];
                snprintf(tp, sizeof tp, "%s.tmp", png);
                snprintf(ts, sizeof ts, "%s.tmp", svg);
                if (rc == 0 && !rename(tp, png) && !rename(ts, svg)) {
                    qkt_out_string(cli, "plot_png", png);
                    qkt_out_string(cli, "plot_svg", svg);
                } else {
                    unlink(tp);
                    unlink(ts);
                    qkt_cli_warn(cli, "gnuplot failed or is not installed: no plot written (table: %s)", path);
                }
            }
        }
    }
finish:
    if (colname)
        for (int c = 0; c < ncol; c++) free(colname[c]);
    free(colname);
    free(rows);
    return status;
}

const qkt_command_t qkt_cmd_sweep = {"sweep", "one command over a range of one parameter: table, JSON rows, plot",
                                     help, keys, run, 1};

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

#define MAXF 32           /* result fields tabulated at most */
#define MAX_POINTS 100000 /* points of one sweep at most (N of KEY=FROM:TO:N) */

/* The sweep's keys, read and checked. */
typedef struct {
    const char *command, *vary, *fields, *xfield, *prefix, *title, *ylabel;
    int plot;
    char key[128];        /* the varied key as given (KEY or KEY@PLANE) */
    char vkey[128];       /* KEY@PLANE: the vector key */
    char plane[3];        /* KEY@PLANE: the plane, "" for a scalar key */
    double from, to;
    long n;
    char fbuf[1024];      /* sweep.fields, cut into fld[] */
    char *fld[MAXF];
    int nf;
    int fld_own;          /* fld[] strdup'ed from the first results (no sweep.fields) */
} sweep_t;

/* The collected results: one row per point, the varied value then each field
 * and its error; the TSV text of the table. */
typedef struct {
    double *rows;
    int ncol;
    char **colname;
    char **colunit;       /* each column's unit from the child's "units" (NULL: none) */
    char tsv[1 << 16];
    size_t tl;
} table_t;

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

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* FROM:TO:N of sweep.vary into sw, the numbers read by the library's reader
 * of decimal numbers (no hexadecimal, inf, nan, or underflow to zero, as in
 * run files).  0, or -1 with what is wrong in why. */
static int parse_range(const char *s, sweep_t *sw, char *why, size_t len)
{
    static const char *const name[2] = {"FROM", "TO"};
    double x[2];
    for (int i = 0; i < 2; i++) {
        const char *end, *w = qkt_parse_real(skip_blanks(s), &end, &x[i], 0);
        if (w) {
            snprintf(why, len, "%s: %s", name[i], w);
            return -1;
        }
        end = skip_blanks(end);
        if (*end != ':') {
            snprintf(why, len, "no ':' after %s", name[i]);
            return -1;
        }
        s = end + 1;
    }
    s = skip_blanks(s);
    char *end = NULL;
    errno = 0;
    long n = *s >= '0' && *s <= '9' ? strtol(s, &end, 10) : 0;
    if (!end || errno || *skip_blanks(end) || n < 1 || n > MAX_POINTS) {
        snprintf(why, len, "N is not an integer from 1 to %d", MAX_POINTS);
        return -1;
    }
    sw->from = x[0];
    sw->to = x[1];
    sw->n = n;
    return 0;
}

/* The sweep.* keys into sw; 0, or the exit status of the error reported. */
static int read_keys(qkt_cli_t *cli, sweep_t *sw)
{
    qkt_status_t s;
    sw->fields = sw->xfield = sw->title = sw->ylabel = "";
    sw->plot = 1;
    if ((s = qkt_cli_string(cli, "sweep.command", &sw->command)) || (s = qkt_cli_string(cli, "sweep.vary", &sw->vary)) ||
        (s = qkt_cli_string(cli, "sweep.fields", &sw->fields)) || (s = qkt_cli_string(cli, "sweep.x", &sw->xfield)) ||
        (s = qkt_cli_string(cli, "sweep.output", &sw->prefix)) || (s = qkt_cli_bool(cli, "sweep.plot", &sw->plot)) ||
        (s = qkt_cli_string(cli, "sweep.title", &sw->title)) || (s = qkt_cli_string(cli, "sweep.ylabel", &sw->ylabel)))
        return qkt_cli_fail(cli, s);
    static const char *allowed[] = {"sigma", "mc", "cme", "streda", "pump"};
    int ok = 0;
    for (int i = 0; i < 5; i++) ok |= !strcmp(sw->command, allowed[i]);
    if (!ok)
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: '%s' cannot be swept (sigma, mc, cme, streda, pump)",
                             qkt_cli_where(cli, "sweep.command"), sw->command);
    const char *vary = sw->vary, *eq = strchr(vary, '=');
    char why[200] = "no KEY=";
    if (!eq || eq - vary >= (long)sizeof sw->key || parse_range(eq + 1, sw, why, sizeof why))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: expected KEY=FROM:TO:N, got '%s': %s",
                             qkt_cli_where(cli, "sweep.vary"), vary, why);
    snprintf(sw->key, sizeof sw->key, "%.*s", (int)(eq - vary), vary);
    /* KEY@xy / @yz / @zx: vary the direction of a vector key by an angle */
    char *at = strchr(sw->key, '@');
    if (at) {
        if (strlen(at + 1) != 2 || at[1] < 'x' || at[1] > 'z' || at[2] < 'x' || at[2] > 'z' || at[1] == at[2])
            return qkt_cli_failf(cli, QKT_EINVAL, "%s: after '@' give a plane xy, yz or zx, got '%s'",
                                 qkt_cli_where(cli, "sweep.vary"), at + 1);
        snprintf(sw->plane, sizeof sw->plane, "%s", at + 1);
        snprintf(sw->vkey, sizeof sw->vkey, "%.*s", (int)(at - sw->key), sw->key);
    }
    if (!strncmp(sw->key, "sweep.", 6))
        return qkt_cli_failf(cli, QKT_EINVAL, "%s: cannot vary a sweep key", qkt_cli_where(cli, "sweep.vary"));
    /* field list */
    snprintf(sw->fbuf, sizeof sw->fbuf, "%s", sw->fields);
    for (char *t = strtok(sw->fbuf, " ,"); t && sw->nf < MAXF; t = strtok(NULL, " ,")) sw->fld[sw->nf++] = t;
    return 0;
}

/* The child's argv: the command with this run's run file and --set options
 * (sweep.* left out), its last --set the point's assignment in setbuf. */
static void child_argv(const qkt_cli_t *cli, const sweep_t *sw, char **argv, char *setbuf)
{
    int na = 0;
    argv[na++] = "qkt";
    argv[na++] = (char *)sw->command;
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
}

/* The assignment of point x: KEY=x, or for KEY@PLANE the unit vector at the
 * angle x in degrees in the plane (xy: (cos t, sin t, 0), yz, zx). */
static void point_set(const sweep_t *sw, double x, char *setbuf, size_t n)
{
    if (sw->plane[0]) {
        double v[3] = {0, 0, 0}, t = x * M_PI / 180;
        v[sw->plane[0] - 'x'] = cos(t);
        v[sw->plane[1] - 'x'] = sin(t);
        snprintf(setbuf, n, "%s=%.17g %.17g %.17g", sw->vkey, v[0], v[1], v[2]);
    } else {
        snprintf(setbuf, n, "%s=%.17g", sw->key, x);
    }
}

/* The unit of the result at path: the "units" entry of its container, or,
 * for a component of a tensor or vector (sigma0.xx), the container's unit of
 * the tensor.  NULL when there is none. */
static const char *unit_of(const cJSON *res, const char *path)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (int up = 0; up < 2; up++) {
        char *dot = strrchr(tmp, '.');
        if (dot) *dot = '\0';
        const cJSON *box = dot ? qkt_json_path(res, tmp) : res;
        const char *last = dot ? dot + 1 : tmp;
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(box, "units"), last);
        if (cJSON_IsString(u)) return u->valuestring;
        if (!dot) break; /* up 1: the tensor's name in its container */
    }
    return NULL;
}

/* At the first point: the columns (the varied key, then each field and its
 * error; no fields given: every number of the results), the rows and the TSV
 * header.  0, or -1 out of memory. */
static int make_columns(sweep_t *sw, table_t *tb, const cJSON *res)
{
    if (!sw->nf) {
        sw->fld_own = 1;
        const cJSON *it;
        cJSON_ArrayForEach(it, res) {
            if (cJSON_IsNumber(it) && sw->nf < MAXF && !strstr(it->string, "_err"))
                sw->fld[sw->nf++] = it->string ? strdup(it->string) : NULL;
        }
    }
    tb->colname = calloc(2 * sw->nf + 1, sizeof *tb->colname);
    tb->colunit = calloc(2 * sw->nf + 1, sizeof *tb->colunit);
    if (!tb->colname || !tb->colunit) return -1;
    tb->colname[tb->ncol++] = strdup(sw->key);
    for (int f = 0; f < sw->nf; f++) {
        /* the full path: sigma0.xx and sigma1.xx are two columns, not two 'xx' */
        const char *u = unit_of(res, sw->fld[f]);
        tb->colunit[tb->ncol] = u ? strdup(u) : NULL;
        tb->colname[tb->ncol++] = strdup(sw->fld[f]);
        char e[300];
        snprintf(e, sizeof e, "%s_err", sw->fld[f]);
        tb->colunit[tb->ncol] = u ? strdup(u) : NULL;
        tb->colname[tb->ncol++] = strdup(e);
    }
    tb->rows = calloc((size_t)sw->n * tb->ncol, sizeof *tb->rows);
    if (!tb->rows) return -1;
    char *tsv = tb->tsv;
    tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "#");
    for (int c = 0; c < tb->ncol; c++)
        tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "%s%s", c ? "\t" : " ", tb->colname[c]);
    tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "\n# units:");
    for (int c = 0; c < tb->ncol; c++)
        tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "%s%s", c ? "\t" : " ",
                           tb->colunit[c] ? tb->colunit[c] : "-");
    tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "\n");
    return 0;
}

/* The model and unit system of the sweep's document: those of the first
 * point's run (the varied key, if a model key, takes each point's value). */
static void take_model(qkt_cli_t *cli, const cJSON *child)
{
    static const char *const item[2] = {"model", "unit_system"};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(child, item[i]);
        cJSON *d = v ? cJSON_Duplicate(v, 1) : NULL;
        if (d && !cJSON_ReplaceItemInObjectCaseSensitive(cli->doc, item[i], d)) cJSON_Delete(d);
    }
}

/* Row i (point x) from the child's results: into the table, the JSON rows and the TSV. */
static void take_point(qkt_cli_t *cli, const sweep_t *sw, table_t *tb, const cJSON *res, long i, double x)
{
    int ncol = tb->ncol;
    double *row = tb->rows + i * ncol;
    row[0] = x;
    for (int f = 0; f < sw->nf; f++) {
        const cJSON *v = qkt_json_path(res, sw->fld[f]);
        char ep[300];
        snprintf(ep, sizeof ep, "%s_err", sw->fld[f]);
        const cJSON *e = qkt_json_path(res, ep);
        if (!cJSON_IsNumber(v) && i == 0)
            qkt_cli_warn(cli, "sweep field '%s' is not a number in the results of '%s' (column left NaN)", sw->fld[f],
                         sw->command);
        row[1 + 2 * f] = cJSON_IsNumber(v) ? v->valuedouble : NAN;
        row[2 + 2 * f] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
    }
    qkt_out_push(cli, NULL, "point");
    for (int c = 0; c < ncol; c++) {
        if (c > 0 && c % 2 == 0) continue;
        double *err = c > 0 && !isnan(row[c + 1]) ? &row[c + 1] : NULL;
        qkt_out_scalar(cli, tb->colname[c], row[c], err, tb->colunit ? tb->colunit[c] : NULL);
    }
    qkt_out_pop(cli);
    char *tsv = tb->tsv;
    for (int c = 0; c < ncol; c++)
        if (tb->tl < sizeof tb->tsv - 64)
            tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "%s%.10g", c ? "\t" : "", row[c]);
    tb->tl += snprintf(tsv + tb->tl, sizeof tb->tsv - tb->tl, "\n");
}

/* Every point as a child run, its results into tb and the JSON rows.  0, or
 * the exit status of the error reported. */
static int run_points(qkt_cli_t *cli, sweep_t *sw, table_t *tb)
{
    char *argv[QKT_CLI_MAXSET * 2 + 16];
    char setbuf[1200];
    child_argv(cli, sw, argv, setbuf);
    long n = sw->n;
    qkt_out_push_array(cli, "rows", "sweep");
    for (long i = 0; i < n; i++) {
        double x = n == 1 ? sw->from : sw->from + (sw->to - sw->from) * (double)i / (double)(n - 1);
        point_set(sw, x, setbuf, sizeof setbuf);
        qkt_cli_progress(cli, "sweep", i, n);
        char *out = NULL;
        size_t len = 0;
        int rc = qkt_run_child(argv, &out, &len);
        if (rc != 0 && rc != QKT_EXIT_NOCONV && rc != QKT_EXIT_TIMEOUT) {
            free(out);
            qkt_cli_progress_end(cli);
            qkt_out_pop(cli);
            fprintf(stderr, "qkt: error: sweep point %s = %g failed (exit %d); run 'qkt %s' with --set %s to see why\n",
                    sw->key, x, rc, sw->command, setbuf);
            return rc > 0 ? rc : QKT_EXIT_INTERNAL;
        }
        if (rc == QKT_EXIT_NOCONV) qkt_cli_not_converged(cli, "sweep point %s = %g did not converge", sw->key, x);
        if (rc == QKT_EXIT_TIMEOUT)
            qkt_cli_time_limit(cli, "sweep point %s = %g reached numerics.time_limit (not converged)", sw->key, x);
        cJSON *doc = cJSON_Parse(out);
        free(out);
        const cJSON *res = doc ? cJSON_GetObjectItemCaseSensitive(doc, "results") : NULL;
        if (!res) {
            cJSON_Delete(doc);
            qkt_cli_progress_end(cli);
            qkt_out_pop(cli);
            return qkt_cli_failf(cli, QKT_ENUM, "sweep point %s = %g: no results in the child's output", sw->key, x);
        }
        if (i == 0 && make_columns(sw, tb, res)) {
            cJSON_Delete(doc);
            return qkt_cli_failf(cli, QKT_ENOMEM, "out of memory");
        }
        if (i == 0) take_model(cli, doc);
        take_point(cli, sw, tb, res, i, x);
        cJSON_Delete(doc);
    }
    qkt_cli_progress_end(cli);
    qkt_out_pop(cli);
    return 0;
}

/* gnuplot on the script at path, without a shell (a prefix may hold any
 * character); its messages discarded.  1 when it ran and exited 0. */
static int run_gnuplot(const char *script)
{
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0) {
            dup2(dn, STDOUT_FILENO);
            dup2(dn, STDERR_FILENO);
        }
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* PREFIX.png and PREFIX.svg by gnuplot from the table at path (PREFIX.tsv):
 * every field against the varied key or sweep.x.  gnuplot writes each plot
 * into the temporary file of a library output file (qkt_outfile_open: a name
 * of its own, created exclusively), renamed over the plot when gnuplot
 * succeeded; a plot onto a device or FIFO is written in place. */
static void write_plot(qkt_cli_t *cli, const sweep_t *sw, const table_t *tb, const char *path)
{
    const char *prefix = sw->prefix;
    int nf = sw->nf, xc = 0;
    for (int f = 0; f < nf; f++)
        if (sw->xfield[0] && !strcmp(sw->fld[f], sw->xfield)) xc = 1 + 2 * f;
    char script[8192], q1[300], q2[600], q3[600], q4[2400], q5[2400];
    size_t sl = 0;
    char png[1100], svg[1100], tsv[1100];
    snprintf(png, sizeof png, "%s.png", prefix);
    snprintf(svg, sizeof svg, "%s.svg", prefix);
    snprintf(tsv, sizeof tsv, "%s.tsv", prefix);
    qkt_outfile_t out[2];
    if (qkt_outfile_open(&out[0], png)) {
        qkt_cli_warn(cli, "no plot written: %s", qkt_strerror());
        return;
    }
    if (qkt_outfile_open(&out[1], svg)) {
        qkt_cli_warn(cli, "no plot written: %s", qkt_strerror());
        qkt_outfile_abort(&out[0]);
        return;
    }
    for (int term = 0; term < 2; term++) {
        /* gnuplot opens the file by name: the temporary file, or the target
         * itself when it is written in place */
        const char *dest = out[term].tmp ? out[term].tmp : out[term].target ? out[term].target : term ? svg : png;
        sl += snprintf(script + sl, sizeof script - sl,
                       "set terminal %s size 800,560 noenhanced\nset output '%s'\nset key left top\n"
                       "set grid\nset xlabel '%s'\nset ylabel '%s'\nset title '%s'\nplot ",
                       term ? "svg" : "pngcairo", gq(dest, q4, sizeof q4), gq(tb->colname[xc], q1, sizeof q1),
                       gq(sw->ylabel, q2, sizeof q2), gq(sw->title[0] ? sw->title : sw->command, q3, sizeof q3));
        for (int f = 0; f < nf; f++) {
            if (1 + 2 * f == xc) continue;
            sl += snprintf(script + sl, sizeof script - sl, "%s'%s' using %d:%d:%d with yerrorlines title '%s'",
                           sl && script[sl - 1] != ' ' ? ", " : "", gq(tsv, q5, sizeof q5), xc + 1, 2 + 2 * f,
                           3 + 2 * f, tb->colname[1 + 2 * f]);
        }
        sl += snprintf(script + sl, sizeof script - sl, "\nunset output\n");
    }
    char sp[1100];
    snprintf(sp, sizeof sp, "%s.gp", prefix);
    if (qkt_write_atomic(sp, script, NULL) != QKT_OK) {
        qkt_outfile_abort(&out[0]);
        qkt_outfile_abort(&out[1]);
        return;
    }
    if (run_gnuplot(sp) && !qkt_outfile_commit(&out[0]) && !qkt_outfile_commit(&out[1])) {
        qkt_out_string(cli, "plot_png", png);
        qkt_out_string(cli, "plot_svg", svg);
    } else {
        qkt_outfile_abort(&out[0]);
        qkt_outfile_abort(&out[1]);
        qkt_cli_warn(cli, "gnuplot failed or is not installed: no plot written (table: %s)", path);
    }
}

/* PREFIX.tsv, then the plot.  0, or the exit status of the error reported. */
static int write_outputs(qkt_cli_t *cli, const sweep_t *sw, const table_t *tb)
{
    char path[1100];
    qkt_mkdirs_for(sw->prefix);
    snprintf(path, sizeof path, "%s.tsv", sw->prefix);
    qkt_status_t ws = qkt_write_atomic(path, tb->tsv, NULL);
    if (ws) return qkt_cli_fail(cli, ws);
    qkt_out_string(cli, "table", path);
    if (sw->plot && sw->nf > 0) write_plot(cli, sw, tb, path);
    return 0;
}

static int run(qkt_cli_t *cli)
{
    sweep_t sw = {0};
    table_t tb = {0};
    int status = read_keys(cli, &sw);
    if (status) return status;
    status = run_points(cli, &sw, &tb);
    if (!status) status = write_outputs(cli, &sw, &tb);
    for (int c = 0; c < tb.ncol; c++) {
        if (tb.colname) free(tb.colname[c]);
        if (tb.colunit) free(tb.colunit[c]);
    }
    free(tb.colname);
    free(tb.colunit);
    free(tb.rows);
    if (sw.fld_own)
        for (int f = 0; f < sw.nf; f++) free(sw.fld[f]);
    return status;
}

const qkt_command_t qkt_cmd_sweep = {"sweep", "one command over a range of one parameter: table, JSON rows, plot",
                                     help, keys, run, 1};

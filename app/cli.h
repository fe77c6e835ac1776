/* cli.h - shared machinery of the qkt program: the command table, argument
 * parsing, run-file keys with their defaults, the [model] section, exit codes,
 * results printed as a table and collected as one JSON document, progress on
 * a terminal.  Only app/ prints; the library reports through qkt_status_t.
 *
 * Adding a command: write app/cmd_NAME.c defining
 *     const qkt_command_t qkt_cmd_NAME = {"NAME", summary, help, keys, run};
 * and add X(NAME) to QKT_COMMANDS in app/main.c.  Inside run(), read keys with
 * qkt_cli_double() & co. (defaults come from the key table), get the model
 * with qkt_cli_model(), print results with qkt_out_*(), return 0 or
 * qkt_cli_fail(cli, status). */
#ifndef QKT_CLI_H
#define QKT_CLI_H
#include <cjson/cJSON.h>
#include <complex.h>
#include <stdarg.h>
#include <stdio.h>
#include "qkt.h"
#include "config.h"

/* ------------------------------------------------------------------ commands */
/* One run-file key of a command. */
typedef struct {
    const char *name; /* "section.key", e.g. "geometry.k" */
    const char *def;  /* default as run-file text; NULL: required; "": optional, no default */
    const char *unit; /* "energy", "1/length", "-" for none ... */
    const char *doc;  /* meaning, one line */
} qkt_key_t;

typedef struct qkt_cli qkt_cli_t;

typedef struct {
    const char *name;     /* "geometry" */
    const char *summary;  /* one line */
    const char *help;     /* long help: lines separated by '\n' */
    const qkt_key_t *keys; /* the command's keys, ended by {NULL} */
    int (*run)(qkt_cli_t *cli); /* exit code: 0, or the value of qkt_cli_fail() */
    int pass_keys; /* 1: keys outside the command's own section are passed on to
                      the commands it runs (sweep, run), which check them */
} qkt_command_t;

/* Exit codes (equal to the qkt_status_t values). */
enum {
    QKT_EXIT_OK = 0,
    QKT_EXIT_INTERNAL = 1, /* bug: should not happen */
    QKT_EXIT_INPUT = 2,    /* unknown key, malformed value, bad option (QKT_EINVAL) */
    QKT_EXIT_IO = 3,       /* file missing or unreadable (QKT_EIO) */
    QKT_EXIT_FORMAT = 4,   /* malformed file (QKT_EFORMAT) */
    QKT_EXIT_NOMEM = 5,    /* QKT_ENOMEM */
    QKT_EXIT_NUMERIC = 6,  /* QKT_ENUM */
    QKT_EXIT_NOCONV = 7,   /* not converged: results printed with a warning */
    QKT_EXIT_PHYSICS = 8,  /* ill-posed physics (QKT_EPHYS) */
    QKT_EXIT_TIMEOUT = 9   /* numerics.time_limit reached: results so far printed, not converged */
};

#define QKT_CLI_MAXDEPTH 32
#define QKT_CLI_MAXSET 256

/* State of one program run.  Commands may read the public fields. */
struct qkt_cli {
    /* public, read-only */
    const qkt_command_t *cmd;
    const char *runfile;  /* NULL when no run file was given */
    const char *output;   /* --output PATH or NULL */
    int json;             /* --json: the JSON document on stdout, no table */
    int quiet;            /* --quiet: no progress and no warnings on stderr */
    qkt_config_t *cfg;    /* run file + --set; defaults are added as keys are read */
    /* private */
    qkt_model_t *model;
    const qkt_model_info_t *model_info;
    cJSON *doc, *inputs, *origins, *warnings;
    cJSON *stack[QKT_CLI_MAXDEPTH];
    int depth;
    unsigned char titled[QKT_CLI_MAXDEPTH]; /* level printed a heading (indents) */
    int header_done;
    int noconv;
    int timeout;  /* numerics.time_limit reached (exit 9; implies noconv) */
    int tty;
    int progress_active, progress_last;
    double progress_every; /* --progress[=S]: lines every S s also off a terminal (0: default rule) */
    double t_start, t_line; /* monotonic seconds: start of the run, last progress line */
    double t_phase;         /* monotonic seconds: start of the phase named in phase_label */
    char phase_label[96];   /* the label of the last progress call */
    int table_ncol;
    int nomem;            /* the JSON document could not be built */
    cJSON *stream;        /* the streamed array (qkt_out_stream_array) or NULL */
    cJSON *stream_parent; /* its container */
    int stream_depth;     /* its level in stack[]; 0 once it is closed */
    int pushing;          /* push() is adding a container: not an element to write out yet */
    long stream_items;    /* elements written out */
    FILE *spool;          /* their JSON text, when a JSON document is wanted */
    int spool_err;        /* errno of a failed write to the spool */
    const char *sets[QKT_CLI_MAXSET];
    int nset;
    char vary[1024];          /* --vary, kept as a --set of sweep.vary */
    /* --ignore-section=S[,S2...] (repeatable): "sweep.", ...: keys not checked */
    char ignore_section[16][64];
    int nignore;
    const qkt_command_t *const *commands; /* every command: their sections are skipped */
};

/* The whole program: parse argv, run the command, print, map to exit code.
 * commands: NULL-terminated table; version: prints the --version text. */
/* This process is an MPI rank other than 0: it writes no files (rank 0 does). */
void qkt_cli_silent_rank(void);
/* Write text (then tail, if not NULL) to path: a regular file through a
 * temporary file of its folder + fsync + rename (docs/cli.md, Output), never
 * leaving a partial file behind; a device or FIFO in place.  Errors name the
 * file and the failed step. */
qkt_status_t qkt_write_atomic(const char *path, const char *text, const char *tail);
int qkt_cli_main(int argc, char **argv, const qkt_command_t *const *commands,
                 void (*version)(FILE *out));

/* ------------------------------------------------------------------ status */
int qkt_cli_exit_code(qkt_status_t s);
/* Print "qkt: error: <qkt_strerror()>" on stderr and return the exit code. */
int qkt_cli_fail(qkt_cli_t *cli, qkt_status_t s);
/* Record an error message (like qkt_error) and fail with it. */
int qkt_cli_failf(qkt_cli_t *cli, qkt_status_t s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "qkt: warning: ..." on stderr (unless --quiet) and in the JSON "warnings". */
void qkt_cli_warn(qkt_cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A warning that also makes the program exit with 7 after printing results. */
void qkt_cli_not_converged(qkt_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same for a run stopped by numerics.time_limit: exit code 9. */
void qkt_cli_time_limit(qkt_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ run-file keys */
/* Typed getters for keys declared in the command's table (or the [model]
 * keys).  The default is the table's text; a required key that is absent is
 * an error.  Every key read is recorded with its value and origin in the
 * JSON "inputs".  Optional keys without default ("") leave *out unchanged. */
qkt_status_t qkt_cli_double(qkt_cli_t *cli, const char *key, double *out);
qkt_status_t qkt_cli_vec(qkt_cli_t *cli, const char *key, int n, double *out);
qkt_status_t qkt_cli_vec_list(qkt_cli_t *cli, const char *key, int n, double **out, int *count);
qkt_status_t qkt_cli_int(qkt_cli_t *cli, const char *key, long *out);
qkt_status_t qkt_cli_bool(qkt_cli_t *cli, const char *key, int *out);
qkt_status_t qkt_cli_string(qkt_cli_t *cli, const char *key, const char **out);
/* Give key the value (origin "default") unless it was set. */
qkt_status_t qkt_cli_default(qkt_cli_t *cli, const char *key, const char *value);
/* Give key the Fermi energy of a Wannier model (in eV) unless it was set:
 * fermi_energy of SEEDNAME.win beside model.file (SEEDNAME_hr.dat or
 * SEEDNAME_tb.dat, maybe .gz), recorded with that origin.  1 when the key
 * has a value after the call, 0 when there is no such file or line. */
int qkt_cli_default_fermi(qkt_cli_t *cli, const char *key);
/* numerics.symmetry of a Wannier model: the crystal of model.win (default
 * SEEDNAME.win beside model.file), the moments of model.moments or
 * model.magnetization (one of them required; model.moments = none:
 * non-magnetic), the magnetic point group (lattice checked against the
 * model's), restricted to the operations the model's spectrum obeys within
 * tol (eV).  On success c holds the crystal (qkt_crystal_free). */
qkt_status_t qkt_cli_magsym(qkt_cli_t *cli, const qkt_model_t *m, double tol, qkt_magsym_t *g, qkt_crystal_t *c);
/* Warn when a temperature (as read, in the key's unit: kelvin for Wannier
 * models, k_B T in model energy units for the others) looks like the other
 * unit: 0 < T < 1 K for a Wannier model (meant as eV?), T >= 1 and above
 * 10 |mu| for a model in natural units (meant as kelvin?). */
void qkt_cli_check_temperature(qkt_cli_t *cli, const char *key, double T, double mu);
/* 1 if the key was given (run file or --set). */
int qkt_cli_has(const qkt_cli_t *cli, const char *key);
/* "key (file:line)" for messages; static buffer, valid until the next call. */
const char *qkt_cli_where(const qkt_cli_t *cli, const char *key);

/* ------------------------------------------------------------------ model */
/* The model of the [model] section, built on first call (owned by cli). */
qkt_status_t qkt_cli_model(qkt_cli_t *cli, qkt_model_t **out);
/* "natural units (hbar = e = 1)" or "eV, Angstrom, S/m". */
const char *qkt_cli_unit_system(const qkt_model_t *m);
/* Unit label of a quantity in the model's units: "energy", "length",
 * "1/length", "length^2", "velocity"; other strings are returned unchanged. */
const char *qkt_cli_unit(const qkt_model_t *m, const char *quantity);

/* ------------------------------------------------------------------ results */
/* Results form a tree under "results" in the JSON document; the text table
 * follows the same tree (indented).  name: JSON key (ignored inside arrays);
 * title: text heading (NULL: name); unit: NULL or a unit label (stored in the
 * container's "units" object).  err: NULL when there is no error estimate. */
void qkt_out_push(qkt_cli_t *cli, const char *name, const char *title);       /* object */
void qkt_out_push_array(qkt_cli_t *cli, const char *name, const char *title); /* array */
void qkt_out_pop(qkt_cli_t *cli);
/* An array whose elements are written out as each one is complete (popped
 * back to the array's level) and then freed, so that memory does not grow
 * with their number (geometry.k with a million k-points).  The JSON text of
 * the elements waits in an unlinked temporary file of TMPDIR until the run
 * succeeds; the document is the same as with qkt_out_push_array.  One per
 * document; close it with qkt_out_pop. */
void qkt_out_stream_array(qkt_cli_t *cli, const char *name, const char *title);
void qkt_out_scalar(qkt_cli_t *cli, const char *name, double v, const double *err,
                    const char *unit);
void qkt_out_int(qkt_cli_t *cli, const char *name, long v);
void qkt_out_string(qkt_cli_t *cli, const char *name, const char *v);
void qkt_out_bool(qkt_cli_t *cli, const char *name, int v);
void qkt_out_vector(qkt_cli_t *cli, const char *name, int n, const double *v, const double *err,
                    const char *unit);
/* 3x3 tensor t[3*a+b]: JSON {"xx": .., "xy": .., ..., "xy_err": ..}. */
void qkt_out_tensor(qkt_cli_t *cli, const char *name, const double t[9], const double *err,
                    const char *unit);
/* Real rows x cols matrix (row-major); collabels may be NULL (0, 1, ...).
 * JSON: array of rows. */
void qkt_out_matrix(qkt_cli_t *cli, const char *name, int rows, int cols, const double *M,
                    const char *const *collabels, const char *unit);
/* Complex n x n matrix; JSON {"re": [[..]], "im": [[..]]}.  mask (may be
 * NULL): element (m, n) with mask[m*n+n] = c > 0 is printed as masklabel[c]
 * and stored as null. */
void qkt_out_cmatrix(qkt_cli_t *cli, const char *name, int n, const double complex *M,
                     const unsigned char *mask, const char *const *masklabel, const char *unit);
/* Row table: JSON {"columns": [..], "column_units": [..], "rows": [[..], ..]}. */
void qkt_out_table_begin(qkt_cli_t *cli, const char *name, int ncol, const char *const *cols,
                         const char *const *units);
void qkt_out_table_row(qkt_cli_t *cli, const double *vals);
void qkt_out_table_end(qkt_cli_t *cli);
/* A line of the text table only (not in JSON). */
void qkt_out_note(qkt_cli_t *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The current JSON container, for anything the helpers do not cover. */
cJSON *qkt_out_json(qkt_cli_t *cli);

/* ------------------------------------------------------------------ progress */
/* "label  42%" on stderr, not with --quiet; call from one thread.  On a
 * terminal one line rewritten in place; otherwise (a log file, a batch job)
 * a line "qkt: progress: label 42%, 31 s elapsed, about 40 s left" every
 * 15 s once the run has lasted 5 s, or every S s from the start with
 * --progress[=S] (default 10).  qkt_cli_progress_end() clears the line. */
void qkt_cli_progress(qkt_cli_t *cli, const char *label, long done, long total);
void qkt_cli_progress_end(qkt_cli_t *cli);
/* a new phase of the progress lines, named label: its share and time left
 * are measured from now (the engine's integration phases) */
void qkt_cli_progress_phase(qkt_cli_t *cli, const char *label);

#endif

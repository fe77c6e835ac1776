/* main.c - the qkt program: the table of commands and the version text.
 * Everything else (options, run files, output, exit codes) is in cli.c. */
#include <stdio.h>
#include "cli.h"

/* The commands, one X(name) each, in the order of 'qkt --help'.  A command
 * NAME lives in app/cmd_NAME.c and defines `const qkt_command_t qkt_cmd_NAME`.
 * To add one, append X(NAME) here (planned: info, sigma, cme, streda, pump,
 * mc, sweep, run). */
#define QKT_COMMANDS(X) \
    X(info) \
    X(geometry) X(sigma) X(mc) X(cme) X(streda) X(pump) X(sweep) X(run)

#define QKT_DECLARE(name) extern const qkt_command_t qkt_cmd_##name;
#define QKT_ENTRY(name) &qkt_cmd_##name,
QKT_COMMANDS(QKT_DECLARE)
static const qkt_command_t *const commands[] = {QKT_COMMANDS(QKT_ENTRY) NULL};

static void version(FILE *out)
{
    fprintf(out, "qkt %s\n", QKT_VERSION_STRING);
#if QKT_HAVE_MPI
    const char *mpi = "yes";
#else
    const char *mpi = "no";
#endif
#ifdef _OPENMP
    fprintf(out, "build: MPI %s, OpenMP yes (%d)", mpi, _OPENMP);
#else
    fprintf(out, "build: MPI %s, OpenMP no", mpi);
#endif
#ifdef __VERSION__
    fprintf(out, ", compiler %s", __VERSION__);
#endif
#ifdef NDEBUG
    fprintf(out, ", assertions off");
#endif
    fprintf(out, "\nlibraries: inih, cJSON %d.%d.%d, LAPACKE + OpenBLAS, zlib, cubature\n",
            CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH);
}

int main(int argc, char **argv) { return qkt_cli_main(argc, argv, commands, version); }

/* main.c - the qkt program: the table of commands and the version text.
 * Everything else (options, run files, output, exit codes) is in cli.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if QKT_HAVE_MPI
#include <mpi.h>
#endif
#include "engine_cli.h"

/* The commands, one X(name) each, in the order of 'qkt --help'.  A command
 * NAME lives in app/cmd_NAME.c and defines `const qkt_command_t qkt_cmd_NAME`.
 * To add one, append X(NAME) here (planned: info, sigma, cme, streda, pump,
 * mc, sweep, run). */
#define QKT_COMMANDS(X) \
    X(info) \
    X(geometry) X(sigma) X(scan) X(mc) X(cme) X(streda) X(pump) X(scatter) X(sweep) X(export) X(run)

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

/* Under mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE) the engine splits its
 * integration parts across ranks; rank 0 prints and writes files (--output),
 * the others stay silent.  Commands that start child runs (sweep, run) or only
 * write a file (export) run on rank 0 only. */
int main(int argc, char **argv)
{
    qkt_engine_keys_init();
#if QKT_HAVE_MPI
    const char *ws = getenv("OMPI_COMM_WORLD_SIZE");
    int use_mpi = ws && atoi(ws) > 1;
    if (use_mpi && argc > 1 && (!strcmp(argv[1], "sweep") || !strcmp(argv[1], "run") || !strcmp(argv[1], "export"))) {
        const char *rk = getenv("OMPI_COMM_WORLD_RANK");
        if (rk && atoi(rk) != 0) return 0;
        use_mpi = 0;
        /* children must not join this MPI job */
        unsetenv("OMPI_COMM_WORLD_SIZE");
    }
    if (use_mpi) {
        MPI_Init(&argc, &argv);
        int rank = 0;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        if (rank != 0) {
            if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) return 1;
            qkt_cli_silent_rank(); /* two ranks renaming one --output file race */
        }
        int rc = qkt_cli_main(argc, argv, commands, version);
        MPI_Finalize();
        return rc;
    }
#endif
    return qkt_cli_main(argc, argv, commands, version);
}

/* parallel.c - the MPI rank and size seen by the integrators (a single
 * process without MPI). */
#if QKT_HAVE_MPI
#include <mpi.h>
#endif
#include "integrate/integrate.h"

int qkt_mpi_rank_size(int *size)
{
    *size = 1;
#if QKT_HAVE_MPI
    int inited = 0, rank = 0;
    MPI_Initialized(&inited);
    if (inited) {
        MPI_Comm_size(MPI_COMM_WORLD, size);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    return rank;
#else
    return 0;
#endif
}

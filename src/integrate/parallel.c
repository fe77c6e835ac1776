/* parallel.c - the MPI rank and size seen by the integrators (a single
 * process without MPI), and deadlines decided for all ranks at once. */
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

int qkt_mpi_deadline_passed(double deadline)
{
    int stop = qkt_deadline_passed(deadline);
#if QKT_HAVE_MPI
    int size;
    qkt_mpi_rank_size(&size);
    if (size > 1 && deadline > 0) MPI_Bcast(&stop, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return stop;
}

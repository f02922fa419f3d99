// Which GPU this process uses: the local rank (Open MPI's or SLURM's variable) modulo the
// number of visible devices, so that `mpirun -np 8` or `srun` with one rank per GPU puts each
// rank on its own device without any configuration.
#pragma once

namespace slatetrain {

// OMPI_COMM_WORLD_LOCAL_RANK, else SLURM_LOCALID, else MPI_LOCALRANKID, else 0.
int local_rank_from_environment();

// Number of visible CUDA devices; 0 when there is no device or no driver (never throws).
int cuda_device_count();

// local_rank_from_environment() % cuda_device_count(); Error when there is no device.
int select_local_device();

}  // namespace slatetrain

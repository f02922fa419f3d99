# slatetrain_dist: the MPI communicator, launch environment, the sharded item table, dense
# gradient buckets and the distributed top-k merge.
add_library(slatetrain_dist STATIC
  ${CMAKE_CURRENT_LIST_DIR}/failure_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mpi_error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mpi_session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mpi_communicator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/launch_environment.cpp
  ${CMAKE_CURRENT_LIST_DIR}/item_prior.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sharded_embedding.cpp
  ${CMAKE_CURRENT_LIST_DIR}/gradient_buckets.cpp
  ${CMAKE_CURRENT_LIST_DIR}/topk_merge.cpp
)
target_link_libraries(slatetrain_dist PUBLIC slatetrain_optimizers slatetrain_core MPI::MPI_C)
# Only MPI's C API: without this, <mpi.h> in C++ pulls in Open MPI's removed C++ bindings.
target_compile_definitions(slatetrain_dist PUBLIC OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)

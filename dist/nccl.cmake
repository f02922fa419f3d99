# The NCCL communicator (CUDA builds only): Communicator on device buffers, id over MPI.
if(SLATETRAIN_CUDA)
  add_library(slatetrain_nccl STATIC ${CMAKE_CURRENT_LIST_DIR}/nccl_communicator.cpp)
  target_link_libraries(slatetrain_nccl PUBLIC slatetrain_dist slatetrain_core slatetrain_cuda_backend MPI::MPI_C
                                               CUDA::cudart ${NCCL_LIBRARY})
  target_compile_definitions(slatetrain_nccl PUBLIC OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
endif()

# slatetrain_loader: the per-rank streaming loader (user order per epoch, batch decoding, the
# prefetch thread). Uses only the Communicator interface, so it does not link an MPI backend.
add_library(slatetrain_loader STATIC
  ${CMAKE_CURRENT_LIST_DIR}/batch_decoder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/user_order.cpp
  ${CMAKE_CURRENT_LIST_DIR}/slate_loader.cpp)
target_link_libraries(slatetrain_loader PUBLIC slatetrain_shards slatetrain_split slatetrain_core
                                               Threads::Threads)

# The loader's decode rate over a converted directory (bench/; prints one key=value line).
add_executable(loader_bench ${CMAKE_SOURCE_DIR}/bench/loader_bench.cpp)
target_link_libraries(loader_bench PRIVATE slatetrain_loader)

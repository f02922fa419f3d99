# Checkpoints: the HDF5 file and the coordinator (rank 0 writes, rename, keep the last K).
add_library(slatetrain_checkpoint STATIC checkpoint_file.cpp checkpoint_directory.cpp)
target_link_libraries(slatetrain_checkpoint PUBLIC slatetrain_shards slatetrain_core)

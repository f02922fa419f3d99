# The training program: configuration, training loop, evaluation, checkpoints.
add_library(slatetrain_run_config STATIC run_config.cpp)
target_link_libraries(slatetrain_run_config PUBLIC slatetrain_core yaml-cpp)

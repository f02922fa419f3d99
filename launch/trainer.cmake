# The training program: configuration, training loop, evaluation, checkpoints.
add_library(slatetrain_run_config STATIC run_config.cpp)
target_link_libraries(slatetrain_run_config PUBLIC slatetrain_core yaml-cpp)

add_library(slatetrain_trainer STATIC
  trainer.cpp
  trained_model.cpp
  batch_preparer.cpp
  dataset_identity.cpp
  run_directory.cpp
  evaluator.cpp
  catalogue_ranker.cpp
  metrics_log.cpp
  split_requirements.cpp
  stop_signal.cpp)
target_link_libraries(slatetrain_trainer PUBLIC
  slatetrain_run_config slatetrain_models slatetrain_metrics slatetrain_dist slatetrain_loader
  slatetrain_checkpoint nlohmann_json::nlohmann_json)

add_executable(slatetrain slatetrain.cpp train_command.cpp evaluate_command.cpp index_command.cpp
                          run_devices.cpp)
target_link_libraries(slatetrain PRIVATE slatetrain_trainer slatetrain_command_line
                                         slatetrain_item_index slatetrain_output)
if(SLATETRAIN_CUDA)
  target_link_libraries(slatetrain PRIVATE slatetrain_nccl)
endif()
install(TARGETS slatetrain RUNTIME DESTINATION bin)

# slatetrain_output: the atomic output directory and the rule of which existing directories
# --force may replace (slateconvert synth, finn, sessions; slatetrain export).
add_library(slatetrain_output STATIC
  ${CMAKE_CURRENT_LIST_DIR}/output_directory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output_ownership.cpp)
target_link_libraries(slatetrain_output PUBLIC slatetrain_core nlohmann_json::nlohmann_json)

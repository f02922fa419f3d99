# slatetrain_output: the atomic output directory and file, and the rule of which existing
# outputs --force may replace (slateconvert synth, finn, sessions; slatetrain export, recommend,
# index).
add_library(slatetrain_output STATIC
  ${CMAKE_CURRENT_LIST_DIR}/output_directory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output_ownership.cpp)
target_link_libraries(slatetrain_output PUBLIC slatetrain_core nlohmann_json::nlohmann_json)

# slatetrain_convert: `slateconvert finn`, `sessions`, `verify`, `check` and `inspect` (the
# FINN.no files and session logs to sharded HDF5 and back), the input checks, checksums and the
# atomic output directory.
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
# ind2val.json on its own, so its fuzz target (tests/fuzz) links nothing else.
add_library(slatetrain_index_to_value STATIC ${CMAKE_CURRENT_LIST_DIR}/index_to_value.cpp)
target_link_libraries(slatetrain_index_to_value
  PUBLIC slatetrain_core nlohmann_json::nlohmann_json)
add_library(slatetrain_convert STATIC
  ${CMAKE_CURRENT_LIST_DIR}/check_directory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/checksum.cpp
  ${CMAKE_CURRENT_LIST_DIR}/converter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/converter_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/delimited_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/finn_checks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/id_dictionary.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inspect.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_converter.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_events.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_filters.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_options.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_sort.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_verify.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session_source.cpp
  ${CMAKE_CURRENT_LIST_DIR}/verify.cpp
  ${CMAKE_CURRENT_LIST_DIR}/verify_files.cpp)
target_link_libraries(slatetrain_convert
  PUBLIC slatetrain_output slatetrain_shards slatetrain_npz slatetrain_split slatetrain_index_to_value
         slatetrain_core
         nlohmann_json::nlohmann_json
  PRIVATE OpenSSL::Crypto ZLIB::ZLIB Threads::Threads)

# slatetrain_shards: the HDF5 shard files of docs/FORMAT.md (writer, reader, items file) and
# manifest.json. Used by the converter and the loader.
add_library(slatetrain_shards STATIC
  ${CMAKE_CURRENT_LIST_DIR}/file_crc32.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hdf5_error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/item_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/manifest.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shard_hdf5.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shard_integrity.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shard_items.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shard_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/shard_writer.cpp)
target_link_libraries(slatetrain_shards
  PUBLIC slatetrain_core slatetrain_split HDF5::HDF5 nlohmann_json::nlohmann_json
  PRIVATE ZLIB::ZLIB)

# slatetrain_npz: our own NPZ/NPY reader and writer (zip stored/deflated, zip64, .npy v1-v3).
add_library(slatetrain_npz STATIC
  ${CMAKE_CURRENT_LIST_DIR}/npy_format.cpp
  ${CMAKE_CURRENT_LIST_DIR}/zip_input_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/zip_directory.cpp
  ${CMAKE_CURRENT_LIST_DIR}/zip_member_stream.cpp
  ${CMAKE_CURRENT_LIST_DIR}/npz_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/npz_writer.cpp
)
target_link_libraries(slatetrain_npz PUBLIC slatetrain_core ZLIB::ZLIB)

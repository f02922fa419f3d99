# slatetrain_item_index: FAISS indexes over a model's item vectors and their file
# (`slatetrain index`, `recommend --index`; docs/ITEM_INDEX.md). FAISS is Debian's static
# libfaiss.a; its exported target brings OpenMP and BLAS/LAPACK (CMakeLists.txt finds them).
add_library(slatetrain_item_index STATIC item_index.cpp item_index_file.cpp)
target_link_libraries(slatetrain_item_index PUBLIC slatetrain_core slatetrain_output faiss ZLIB::ZLIB
                      nlohmann_json::nlohmann_json)
target_link_libraries(slatetrain_item_index PRIVATE OpenMP::OpenMP_CXX ${BLAS_LIBRARIES})
target_include_directories(slatetrain_item_index PRIVATE ${CBLAS_INCLUDE_DIR})

# bench/ann_bench: recall and queries/s of the index kinds at a FINN-sized catalogue.
add_executable(ann_bench ${CMAKE_SOURCE_DIR}/bench/ann_bench.cpp)
target_link_libraries(ann_bench PRIVATE slatetrain_item_index)


# Damaging shards on purpose (tests/shard_corruption: flipping a bit at a dataset's element
# through HDF5's own chunk address), for these tests and the loader's (tests/loader.cmake).
add_library(slatetrain_shard_corruption STATIC ${CMAKE_CURRENT_LIST_DIR}/shard_corruption.cpp)
target_link_libraries(slatetrain_shard_corruption PUBLIC slatetrain_shards)
add_executable(shard_flip_bit ${CMAKE_CURRENT_LIST_DIR}/shard_flip_bit.cpp)
target_link_libraries(shard_flip_bit PRIVATE slatetrain_shard_corruption)

# slateconvert check and inspect on damaged conversions (tests/convert_check_cli_test.sh).
if(TARGET slateconvert)
  foreach(case IN ITEMS good missing_shard flipped_bit swapped_shard missing_manifest id_range
                        inspect_damaged sessions)
    add_test(NAME ConvertCheckCli.${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/convert_check_cli_test.sh ${case}
                     $<TARGET_FILE:slateconvert> $<TARGET_FILE:shard_flip_bit>
                     ${CMAKE_CURRENT_BINARY_DIR}/convert_check_cli/${case})
    set_tests_properties(ConvertCheckCli.${case} PROPERTIES LABELS "unit;integrity" TIMEOUT 60)
  endforeach()
endif()

# MovieLens-100K from the recbole 1.2.1 wheel (launch/fetch-ml-100k.sh, needs PyPI once per data
# cache: $SLATETRAIN_DATA_CACHE or out/data-cache) through slateconvert (tests/ml100k_test.sh).
# Fixtures: ml100k (the files fetched) and ml100k_converted (leave-one-out conversion in
# ${CMAKE_CURRENT_BINARY_DIR}/ml100k/converted, for the training tests to require).
if(TARGET slateconvert)
  set(ml100k_work ${CMAKE_CURRENT_BINARY_DIR}/ml100k)
  foreach(case IN ITEMS fetch convert filters)
    add_test(NAME ml100k_${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/ml100k_test.sh ${case}
                     $<TARGET_FILE:slateconvert> ${ml100k_work})
    set_tests_properties(ml100k_${case} PROPERTIES LABELS "ml100k;sessions" TIMEOUT 300)
  endforeach()
  set_tests_properties(ml100k_fetch PROPERTIES FIXTURES_SETUP ml100k)
  set_tests_properties(ml100k_convert PROPERTIES FIXTURES_REQUIRED ml100k
                                                 FIXTURES_SETUP ml100k_converted)
  set_tests_properties(ml100k_filters PROPERTIES FIXTURES_REQUIRED ml100k)
endif()

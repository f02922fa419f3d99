# The relocatable bundle (launch/make-bundle.sh) through tests/bundle_test.sh: made from this
# build tree, unpacked at a new path, checked with ldd, run in a clean environment and (where
# unshare/mount are permitted) in a mount namespace whose system library directory holds only glibc.
if(TARGET slatetrain AND TARGET slateconvert)
  set(bundle_work ${CMAKE_CURRENT_BINARY_DIR}/bundle-test)
  foreach(case IN ITEMS make layout run minimal-root)
    add_test(NAME bundle_${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bundle_test.sh ${case} ${CMAKE_SOURCE_DIR}
                     $<TARGET_FILE_DIR:slatetrain>/.. ${bundle_work})
    set_tests_properties(bundle_${case} PROPERTIES LABELS bundle TIMEOUT 60 RESOURCE_LOCK bundle)
    if(case STREQUAL "make")
      set_tests_properties(bundle_${case} PROPERTIES FIXTURES_SETUP slatetrain_bundle)
    else()
      set_tests_properties(bundle_${case} PROPERTIES FIXTURES_REQUIRED slatetrain_bundle)
    endif()
  endforeach()
  set_tests_properties(bundle_minimal-root PROPERTIES SKIP_RETURN_CODE 77)
endif()

# --force replaces only outputs slateconvert wrote and never the input (tests/output_safety_test.sh).
if(TARGET slateconvert)
  foreach(case IN ITEMS finn synth sessions bundle)
    add_test(NAME OutputSafety.${case}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/output_safety_test.sh ${case}
                     $<TARGET_FILE:slateconvert> ${CMAKE_CURRENT_BINARY_DIR}/output_safety/${case})
    set_tests_properties(OutputSafety.${case} PROPERTIES LABELS unit TIMEOUT 180)
  endforeach()
endif()

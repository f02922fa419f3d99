# Every slateconvert and slatetrain subcommand through its command line: --help, errors that
# name the option with exit 2, both option forms (tests/command_line_test.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

if(TARGET slateconvert AND TARGET slatetrain)
  foreach(case slateconvert_help slateconvert_errors slateconvert_forms slatetrain)
    add_test(NAME command_line_${case}
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/command_line_test.py
                     ${case} --bin $<TARGET_FILE_DIR:slatetrain>
                     --work ${CMAKE_CURRENT_BINARY_DIR}/command_line)
    set_tests_properties(command_line_${case} PROPERTIES LABELS unit TIMEOUT 120)
  endforeach()
endif()

# slateconvert sessions: logs in the source formats written by our generator
# (tests/session_log_generator.*), converted, compared with a naive reading, verified; bad input.
add_library(slatetrain_session_log_generator STATIC
  ${CMAKE_CURRENT_LIST_DIR}/session_log_generator.cpp)
target_link_libraries(slatetrain_session_log_generator PUBLIC slatetrain_core)

# The generator as a program (bench/session_convert.sh writes 20M-row logs with it).
add_executable(session_log_writer ${CMAKE_CURRENT_LIST_DIR}/session_log_writer.cpp)
target_link_libraries(session_log_writer PRIVATE slatetrain_session_log_generator)

slatetrain_add_test(NAME convert_sessions_tests
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/convert_sessions_test.cpp
          ${CMAKE_CURRENT_LIST_DIR}/session_parts_test.cpp
  LIBRARIES slatetrain_convert slatetrain_session_log_generator
  LABELS unit sessions)

# slateconvert: one dispatcher, one file per subcommand.
add_executable(slateconvert
  slateconvert.cpp
  synth_command.cpp
  finn_command.cpp
  sessions_command.cpp
  verify_command.cpp
  check_command.cpp
  inspect_command.cpp
  split_options.cpp)
target_link_libraries(slateconvert PRIVATE slatetrain_generator slatetrain_convert
                                           slatetrain_command_line)
install(TARGETS slateconvert RUNTIME DESTINATION bin)

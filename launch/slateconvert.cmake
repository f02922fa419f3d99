# slateconvert: one dispatcher, one file per subcommand.
set(slateconvert_sources
  slateconvert.cpp
  synth_command.cpp
  finn_command.cpp
  verify_command.cpp
  inspect_command.cpp)
# TEMPORARY while the subcommands are being written in parallel: skip until all exist.
set(slateconvert_complete TRUE)
foreach(source IN LISTS slateconvert_sources)
  if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${source})
    set(slateconvert_complete FALSE)
  endif()
endforeach()
if(slateconvert_complete)
  add_executable(slateconvert ${slateconvert_sources})
  target_link_libraries(slateconvert PRIVATE slatetrain_generator slatetrain_convert)
  install(TARGETS slateconvert RUNTIME DESTINATION bin)
endif()

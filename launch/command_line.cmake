# The command-line parser of every slatetrain and slateconvert subcommand (CLI11, header-only:
# Debian's libcli11-dev). GLOBAL: the tests link the commands too.
find_package(CLI11 2 REQUIRED GLOBAL)
add_library(slatetrain_command_line STATIC command_line.cpp)
target_link_libraries(slatetrain_command_line PUBLIC CLI11::CLI11)

# Instrumented builds, each in its own build tree (docs/TESTING.md):
#   SLATETRAIN_SANITIZE=ON  AddressSanitizer + UndefinedBehaviorSanitizer on every target, for
#                           the unit and MPI tests (build-asan/, launch/run-tests.sh).
#   SLATETRAIN_FUZZ=ON      libFuzzer targets (clang only): every library is compiled with
#                           -fsanitize=fuzzer-no-link,address,undefined, the targets in
#                           tests/fuzz/ link -fsanitize=fuzzer (build-fuzz/, launch/fuzz.sh).
# Both abort on the first report: -fno-sanitize-recover=all makes UBSan fatal as well.
option(SLATETRAIN_SANITIZE "Build with -fsanitize=address,undefined (tests under sanitizers)" OFF)
option(SLATETRAIN_FUZZ "Build the libFuzzer targets of tests/fuzz (clang)" OFF)

set(slatetrain_sanitizer_flags
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
if(SLATETRAIN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SLATETRAIN_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX,C>:-fsanitize=fuzzer-no-link>
                      "$<$<COMPILE_LANGUAGE:CXX,C>:${slatetrain_sanitizer_flags}>")
  add_link_options(-fsanitize=address,undefined)
elseif(SLATETRAIN_SANITIZE)
  add_compile_options("$<$<COMPILE_LANGUAGE:CXX,C>:${slatetrain_sanitizer_flags}>")
  add_link_options(-fsanitize=address,undefined)
endif()
if(SLATETRAIN_FUZZ OR SLATETRAIN_SANITIZE)
  if(SLATETRAIN_CUDA)
    message(STATUS "slatetrain: sanitizer builds are CPU-only, CUDA backend OFF")
    set(SLATETRAIN_CUDA OFF)
  endif()
endif()

# The GRU gate loop uses the branch-free activations of core/cpu/fast_activations.hpp; GCC
# if-converts their clamps and selects (and so vectorises the loop) only when it may assume that
# float comparisons do not trap. This changes no result: it only drops the trap assumption.
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set_source_files_properties(cpu/gru.cpp PROPERTIES COMPILE_OPTIONS "-fno-trapping-math")
endif()

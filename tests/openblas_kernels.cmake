# slatetrain's restart with faster OpenBLAS kernels when OpenBLAS loads its fallback
# (tests/openblas_kernels_test.py).
find_package(Python3 REQUIRED COMPONENTS Interpreter)

if(TARGET slatetrain)
  add_test(NAME openblas_kernels_restart
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/openblas_kernels_test.py
                   --slatetrain $<TARGET_FILE:slatetrain>)
  set_tests_properties(openblas_kernels_restart PROPERTIES LABELS unit TIMEOUT 120)
endif()

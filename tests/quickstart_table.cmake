# The quickstart's table (launch/compare_with_truth.py): one model or several side by side.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME quickstart_table
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/compare_with_truth_test.py
                 ${PROJECT_SOURCE_DIR}/launch/compare_with_truth.py)
set_tests_properties(quickstart_table PROPERTIES LABELS "quickstart" TIMEOUT 60)

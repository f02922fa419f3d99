# launch/batch_preparer: the worker that builds the next step's ModelBatch.
slatetrain_add_test(NAME batch_preparer_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/batch_preparer_test.cpp
  LIBRARIES slatetrain_trainer
  LABELS unit)

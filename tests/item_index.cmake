# launch/item_index and its file: exactness, exclusions, hnsw recall, damage, ownership.
slatetrain_add_test(NAME item_index_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/item_index_test.cpp
  LIBRARIES slatetrain_item_index
  LABELS unit)

# Shard files and the manifest (data/shard_*, data/manifest*).
slatetrain_add_test(NAME shard_format_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/shard_format_test.cpp
  LIBRARIES slatetrain_shards
  LABELS unit)
slatetrain_add_test(NAME shard_session_format_tests
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/shard_session_format_test.cpp
  LIBRARIES slatetrain_shards
  LABELS unit sessions)

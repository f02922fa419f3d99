# Ranking metrics of the evaluation (the FINN protocol).
add_library(slatetrain_metrics STATIC ranking_metrics.cpp)
target_link_libraries(slatetrain_metrics PUBLIC slatetrain_core)

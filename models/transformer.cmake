# The transformer's layers (layer norm, causal self-attention, feed-forward, dropout) and its
# encoder stack; they join slatetrain_models (models.cmake, sorted before this fragment).
target_sources(slatetrain_models PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/causal_self_attention.cpp
  ${CMAKE_CURRENT_LIST_DIR}/feed_forward.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transformer_encoder.cpp
)

# bench/transformer_encoder_bench: one training step of the encoder and its ops on the CPU.
add_executable(transformer_encoder_bench ${CMAKE_SOURCE_DIR}/bench/transformer_encoder_bench.cpp)
target_link_libraries(transformer_encoder_bench PRIVATE slatetrain_models)
